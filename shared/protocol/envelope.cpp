#include "shared/protocol/envelope.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace json = boost::json;

namespace cc::protocol {
namespace {

constexpr std::size_t kMaxDepth = 16;

constexpr std::array<std::pair<ErrorCode, std::string_view>, 8> kErrorNames{{
    {ErrorCode::MalformedMessage, "malformed_message"},
    {ErrorCode::UnsupportedVersion, "unsupported_version"},
    {ErrorCode::UnknownType, "unknown_type"},
    {ErrorCode::ProtocolViolation, "protocol_violation"},
    {ErrorCode::MessageTooLarge, "message_too_large"},
    {ErrorCode::NotReady, "not_ready"},
    {ErrorCode::Unauthenticated, "unauthenticated"},
    {ErrorCode::Internal, "internal"},
}};

// Thrown only inside this file, turned into a DecodeError at the boundary.
struct Invalid {
    std::string message;
};

std::string_view sv(const json::string& s)
{
    return {s.data(), s.size()};
}

const json::value& require(const json::object& obj, std::string_view key, std::string_view where)
{
    const json::value* v = obj.if_contains(key);
    if (v == nullptr) {
        throw Invalid{std::string(where) + ": missing \"" + std::string(key) + "\""};
    }
    return *v;
}

std::string readString(const json::object& obj, std::string_view key, std::string_view where,
                       std::size_t maxLength, bool required = true)
{
    const json::value* v = obj.if_contains(key);
    if (v == nullptr) {
        if (required) {
            throw Invalid{std::string(where) + ": missing \"" + std::string(key) + "\""};
        }
        return {};
    }
    const json::string* s = v->if_string();
    if (s == nullptr) {
        throw Invalid{std::string(where) + ": \"" + std::string(key) + "\" must be a string"};
    }
    if (s->size() > maxLength) {
        throw Invalid{std::string(where) + ": \"" + std::string(key) + "\" is longer than " +
                      std::to_string(maxLength) + " characters"};
    }
    return std::string(sv(*s));
}

std::int64_t readInt(const json::value& v, std::string_view what)
{
    if (v.is_int64()) {
        return v.get_int64();
    }
    if (v.is_uint64() &&
        v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    throw Invalid{std::string(what) + " must be an integer"};
}

int readVersionNumber(const json::value& v, std::string_view what)
{
    const std::int64_t n = readInt(v, what);
    if (n < 0 || n > 0xFFFF) {
        throw Invalid{std::string(what) + " is out of range"};
    }
    return static_cast<int>(n);
}

const json::object& requireObject(const json::value& v, std::string_view what)
{
    const json::object* o = v.if_object();
    if (o == nullptr) {
        throw Invalid{std::string(what) + " must be an object"};
    }
    return *o;
}

VersionRange readRange(const json::value& v, std::string_view what)
{
    const json::object& o = requireObject(v, what);
    VersionRange r{readVersionNumber(require(o, "min", what), std::string(what) + ".min"),
                   readVersionNumber(require(o, "max", what), std::string(what) + ".max")};
    if (r.min > r.max) {
        throw Invalid{std::string(what) + ": min is greater than max"};
    }
    return r;
}

json::object rangeToJson(VersionRange r)
{
    return {{"min", r.min}, {"max", r.max}};
}

json::object bodyToJson(const Hello& m)
{
    return {{"protocol", rangeToJson(m.protocol)},
            {"client", m.client},
            {"clientVersion", m.clientVersion},
            {"deviceId", m.deviceId},
            {"token", m.token}};
}

json::object bodyToJson(const Reauth& m)
{
    return {{"token", m.token}};
}

json::object bodyToJson(const Welcome& m)
{
    return {{"protocol", m.protocol},
            {"server", m.server},
            {"serverVersion", m.serverVersion},
            {"node", m.node},
            {"serverTimeMs", m.serverTimeMs},
            {"userId", m.userId},
            {"role", m.role}};
}

json::object bodyToJson(const Error& m)
{
    json::object o{{"code", toString(m.code)}, {"message", m.message}};
    if (m.supported) {
        o["supported"] = rangeToJson(*m.supported);
    }
    return o;
}

Hello helloFromJson(const json::object& o)
{
    Hello m;
    m.protocol = readRange(require(o, "protocol", "hello"), "hello.protocol");
    m.client = readString(o, "client", "hello", kMaxNameLength);
    m.clientVersion = readString(o, "clientVersion", "hello", kMaxNameLength);
    m.deviceId = readString(o, "deviceId", "hello", kMaxIdLength);
    m.token = readString(o, "token", "hello", kMaxTokenLength, false);
    return m;
}

Reauth reauthFromJson(const json::object& o)
{
    Reauth m;
    m.token = readString(o, "token", "reauth", kMaxTokenLength);
    return m;
}

Welcome welcomeFromJson(const json::object& o)
{
    Welcome m;
    m.protocol = readVersionNumber(require(o, "protocol", "welcome"), "welcome.protocol");
    m.server = readString(o, "server", "welcome", kMaxNameLength);
    m.serverVersion = readString(o, "serverVersion", "welcome", kMaxNameLength);
    m.node = readString(o, "node", "welcome", kMaxNameLength, false);
    m.serverTimeMs = readInt(require(o, "serverTimeMs", "welcome"), "welcome.serverTimeMs");
    m.userId = readString(o, "userId", "welcome", kMaxIdLength, false);
    m.role = readString(o, "role", "welcome", kMaxNameLength, false);
    return m;
}

Error errorFromJson(const json::object& o)
{
    Error m;
    const std::string code = readString(o, "code", "error", kMaxNameLength);
    // An error code from a newer peer is still an error; keep its text in the message.
    auto known = errorCodeFromString(code);
    m.code = known.value_or(ErrorCode::Internal);
    m.message = readString(o, "message", "error", kMaxMessageLength, false);
    if (!known) {
        m.message = code + ": " + m.message;
    }
    if (const json::value* s = o.if_contains("supported")) {
        m.supported = readRange(*s, "error.supported");
    }
    return m;
}

} // namespace

std::string_view toString(ErrorCode code)
{
    for (const auto& [c, name] : kErrorNames) {
        if (c == code) {
            return name;
        }
    }
    return "internal";
}

std::optional<ErrorCode> errorCodeFromString(std::string_view name)
{
    for (const auto& [c, n] : kErrorNames) {
        if (n == name) {
            return c;
        }
    }
    return std::nullopt;
}

std::optional<int> negotiate(VersionRange ours, VersionRange theirs)
{
    const int low = std::max(ours.min, theirs.min);
    const int high = std::min(ours.max, theirs.max);
    if (low > high) {
        return std::nullopt;
    }
    return high;
}

std::string_view typeName(const Body& body)
{
    struct Visitor {
        std::string_view operator()(const Hello&) const { return "hello"; }
        std::string_view operator()(const Welcome&) const { return "welcome"; }
        std::string_view operator()(const Error&) const { return "error"; }
        std::string_view operator()(const Reauth&) const { return "reauth"; }
    };
    return std::visit(Visitor{}, body);
}

std::string encode(const Envelope& envelope)
{
    json::object o;
    o["v"] = envelope.version;
    o["type"] = typeName(envelope.body);
    if (!envelope.id.empty()) {
        o["id"] = envelope.id;
    }
    o["body"] = std::visit([](const auto& m) { return bodyToJson(m); }, envelope.body);
    return json::serialize(o);
}

Result<Envelope, DecodeError> decode(std::string_view text)
{
    json::parse_options options;
    options.max_depth = kMaxDepth;
    json::error_code ec;
    json::value root = json::parse(text, ec, {}, options);
    if (ec) {
        return DecodeError{ErrorCode::MalformedMessage, "not valid JSON: " + ec.message(), {}, {}};
    }
    DecodeError failure;
    try {
        const json::object& o = requireObject(root, "message");
        // Read the correlation id and version first, so every later error can carry them.
        failure.id = readString(o, "id", "message", kMaxIdLength, false);
        Envelope env;
        env.id = failure.id;
        env.version = readVersionNumber(require(o, "v", "message"), "message.v");
        failure.version = env.version;
        if (env.version < kMinProtocolVersion || env.version > kMaxProtocolVersion) {
            failure.code = ErrorCode::UnsupportedVersion;
            failure.message =
                "protocol version " + std::to_string(env.version) +
                " is not supported; supported: " + std::to_string(kMinProtocolVersion) + ".." +
                std::to_string(kMaxProtocolVersion);
            return failure;
        }
        const std::string type = readString(o, "type", "message", kMaxNameLength);
        const json::object& body = requireObject(require(o, "body", "message"), "message.body");
        if (type == "hello") {
            env.body = helloFromJson(body);
        } else if (type == "welcome") {
            env.body = welcomeFromJson(body);
        } else if (type == "error") {
            env.body = errorFromJson(body);
        } else if (type == "reauth") {
            env.body = reauthFromJson(body);
        } else {
            failure.code = ErrorCode::UnknownType;
            failure.message = "unknown message type \"" + type + "\"";
            return failure;
        }
        return env;
    } catch (const Invalid& e) {
        failure.code = ErrorCode::MalformedMessage;
        failure.message = e.message;
        return failure;
    }
}

Envelope makeError(ErrorCode code, std::string message, std::string inReplyTo)
{
    Error error{code, std::move(message), std::nullopt};
    if (code == ErrorCode::UnsupportedVersion) {
        error.supported = VersionRange{kMinProtocolVersion, kMaxProtocolVersion};
    }
    return Envelope{kMaxProtocolVersion, std::move(inReplyTo), std::move(error)};
}

} // namespace cc::protocol
