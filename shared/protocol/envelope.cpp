#include "shared/protocol/envelope.h"

#include "shared/sync/json_value.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace json = boost::json;

namespace cc::protocol {
namespace {

constexpr std::size_t kMaxDepth = 16;

constexpr std::array<std::pair<ErrorCode, std::string_view>, 11> kErrorNames{{
    {ErrorCode::MalformedMessage, "malformed_message"},
    {ErrorCode::UnsupportedVersion, "unsupported_version"},
    {ErrorCode::UnknownType, "unknown_type"},
    {ErrorCode::ProtocolViolation, "protocol_violation"},
    {ErrorCode::MessageTooLarge, "message_too_large"},
    {ErrorCode::NotReady, "not_ready"},
    {ErrorCode::Unauthenticated, "unauthenticated"},
    {ErrorCode::InvalidCursor, "invalid_cursor"},
    {ErrorCode::Forbidden, "forbidden"},
    {ErrorCode::Overloaded, "overloaded"},
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
    json::object o{{"protocol", rangeToJson(m.protocol)},
                   {"client", m.client},
                   {"clientVersion", m.clientVersion},
                   {"deviceId", m.deviceId},
                   {"token", m.token}};
    if (!m.features.empty()) {
        json::array features;
        for (const auto& f : m.features) {
            features.emplace_back(f);
        }
        o["features"] = std::move(features);
    }
    return o;
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

// ---- sync bodies ----

std::int64_t readVersion(const json::object& o, std::string_view key, std::string_view where,
                         bool required = true)
{
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
        if (required) {
            throw Invalid{std::string(where) + ": missing \"" + std::string(key) + "\""};
        }
        return 0;
    }
    const std::int64_t n = readInt(*v, std::string(where) + "." + std::string(key));
    if (n < 0) {
        throw Invalid{std::string(where) + "." + std::string(key) + " must not be negative"};
    }
    return n;
}

bool readBool(const json::object& o, std::string_view key, std::string_view where)
{
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
        return false;
    }
    if (!v->is_bool()) {
        throw Invalid{std::string(where) + "." + std::string(key) + " must be true or false"};
    }
    return v->get_bool();
}

const json::array& requireArray(const json::value& v, std::string_view what, std::size_t max)
{
    const json::array* a = v.if_array();
    if (a == nullptr) {
        throw Invalid{std::string(what) + " must be an array"};
    }
    if (a->size() > max) {
        throw Invalid{std::string(what) + " has more than " + std::to_string(max) + " entries"};
    }
    return *a;
}

sync::Fields fieldsFromJson(const json::value& v, std::string_view where)
{
    const json::object& o = requireObject(v, where);
    if (o.size() > kMaxFieldsPerRow) {
        throw Invalid{std::string(where) + " has more than " + std::to_string(kMaxFieldsPerRow) +
                      " fields"};
    }
    // Names are unique: Boost.JSON keeps the last of duplicate keys while parsing.
    sync::Fields fields;
    fields.reserve(o.size());
    for (const auto& [name, value] : o) {
        if (name.empty() || name.size() > kMaxNameLength) {
            throw Invalid{std::string(where) + ": a field name is empty or too long"};
        }
        if (const json::string* text = value.if_string(); text && text->size() > kMaxValueLength) {
            throw Invalid{std::string(where) + "." + std::string(sv(name)) + " is longer than " +
                          std::to_string(kMaxValueLength) + " bytes"};
        }
        auto out = sync::fromJsonValue(value);
        if (!out) {
            throw Invalid{std::string(where) + "." + std::string(sv(name)) +
                          " must be null, true/false, a number or text"};
        }
        fields.push_back({std::string(sv(name)), std::move(*out)});
    }
    return fields;
}

json::object bodyToJson(const Subscribe& m)
{
    return {{"cursor", m.cursor}, {"scopeKey", m.scopeKey}};
}

json::object bodyToJson(const Pull& m)
{
    return {{"cursor", m.cursor}};
}

json::object rowToJson(const SyncRow& r)
{
    json::object o{{"e", r.entity}, {"k", r.key}, {"v", r.version}};
    if (r.deleted) {
        o["d"] = true;
    } else {
        o["f"] = sync::toJsonObject(r.fields);
    }
    if (!r.mutationId.empty()) {
        o["m"] = r.mutationId;
    }
    if (!r.hlc.empty()) {
        o["h"] = r.hlc;
    }
    return o;
}

json::object bodyToJson(const Changes& m)
{
    json::array rows;
    rows.reserve(m.rows.size());
    for (const auto& r : m.rows) {
        rows.emplace_back(rowToJson(r));
    }
    json::object o{
        {"from", m.from}, {"to", m.to}, {"scopeKey", m.scopeKey}, {"rows", std::move(rows)}};
    if (m.reset) {
        o["reset"] = true;
    }
    if (m.complete) {
        o["complete"] = true;
    }
    if (m.remaining > 0) {
        o["remaining"] = m.remaining;
    }
    return o;
}

json::object bodyToJson(const Push& m)
{
    json::array mutations;
    mutations.reserve(m.mutations.size());
    for (const auto& mu : m.mutations) {
        json::object o{{"id", mu.id},
                       {"e", mu.entity},
                       {"k", mu.key},
                       {"op", sync::toString(mu.op)},
                       {"h", mu.hlc}};
        if (mu.op != sync::Op::Delete) {
            o["f"] = sync::toJsonObject(mu.fields);
        }
        mutations.emplace_back(std::move(o));
    }
    return {{"mutations", std::move(mutations)}};
}

json::object bodyToJson(const PushResult& m)
{
    json::array results;
    results.reserve(m.results.size());
    for (const auto& r : m.results) {
        json::object o{{"id", r.id},
                       {"s", r.status == MutationStatus::Applied ? "applied" : "rejected"}};
        if (r.version > 0) {
            o["v"] = r.version;
        }
        if (!r.reason.empty()) {
            o["reason"] = r.reason;
        }
        if (!r.overridden.empty()) {
            json::array fields;
            for (const auto& f : r.overridden) {
                fields.emplace_back(json::string(f));
            }
            o["overridden"] = std::move(fields);
        }
        results.emplace_back(std::move(o));
    }
    return {{"results", std::move(results)}, {"hlc", m.hlc}};
}

Subscribe subscribeFromJson(const json::object& o)
{
    Subscribe m;
    m.cursor = readVersion(o, "cursor", "subscribe");
    m.scopeKey = readString(o, "scopeKey", "subscribe", kMaxNameLength, false);
    return m;
}

Pull pullFromJson(const json::object& o)
{
    return Pull{readVersion(o, "cursor", "pull")};
}

SyncRow rowFromJson(const json::value& v)
{
    const json::object& o = requireObject(v, "changes.rows[]");
    SyncRow r;
    r.entity = readString(o, "e", "row", kMaxNameLength);
    r.key = readString(o, "k", "row", kMaxKeyLength);
    r.version = readVersion(o, "v", "row");
    r.deleted = readBool(o, "d", "row");
    if (!r.deleted) {
        r.fields = fieldsFromJson(require(o, "f", "row"), "row.f");
    }
    r.mutationId = readString(o, "m", "row", kMaxIdLength, false);
    r.hlc = readString(o, "h", "row", kMaxNameLength, false);
    return r;
}

Changes changesFromJson(const json::object& o)
{
    Changes m;
    m.from = readVersion(o, "from", "changes");
    m.to = readVersion(o, "to", "changes");
    if (m.to + 1 < m.from) {
        throw Invalid{"changes: \"to\" is before \"from\""};
    }
    m.reset = readBool(o, "reset", "changes");
    m.complete = readBool(o, "complete", "changes");
    m.remaining = readVersion(o, "remaining", "changes", false);
    m.scopeKey = readString(o, "scopeKey", "changes", kMaxNameLength, false);
    const json::array& rows =
        requireArray(require(o, "rows", "changes"), "changes.rows", kMaxRowsPerChanges);
    m.rows.reserve(rows.size());
    for (const auto& row : rows) {
        m.rows.push_back(rowFromJson(row));
        const auto version = m.rows.back().version;
        if (version < m.from || version > m.to) {
            throw Invalid{"changes: a row's version is outside [from, to]"};
        }
    }
    return m;
}

Push pushFromJson(const json::object& o)
{
    Push m;
    const json::array& list =
        requireArray(require(o, "mutations", "push"), "push.mutations", kMaxMutationsPerPush);
    m.mutations.reserve(list.size());
    for (const auto& item : list) {
        const json::object& mo = requireObject(item, "push.mutations[]");
        Mutation mu;
        mu.id = readString(mo, "id", "mutation", kMaxIdLength);
        mu.entity = readString(mo, "e", "mutation", kMaxNameLength);
        mu.key = readString(mo, "k", "mutation", kMaxKeyLength);
        const std::string op = readString(mo, "op", "mutation", kMaxNameLength);
        if (op == "insert") {
            mu.op = sync::Op::Insert;
        } else if (op == "update") {
            mu.op = sync::Op::Update;
        } else if (op == "delete") {
            mu.op = sync::Op::Delete;
        } else {
            throw Invalid{"mutation.op must be insert, update or delete"};
        }
        if (mu.op != sync::Op::Delete) {
            mu.fields = fieldsFromJson(require(mo, "f", "mutation"), "mutation.f");
        }
        mu.hlc = readString(mo, "h", "mutation", kMaxNameLength);
        m.mutations.push_back(std::move(mu));
    }
    return m;
}

PushResult pushResultFromJson(const json::object& o)
{
    PushResult m;
    const json::array& list = requireArray(require(o, "results", "push_result"),
                                           "push_result.results", kMaxMutationsPerPush);
    m.results.reserve(list.size());
    for (const auto& item : list) {
        const json::object& ro = requireObject(item, "push_result.results[]");
        MutationResult r;
        r.id = readString(ro, "id", "result", kMaxIdLength);
        const std::string status = readString(ro, "s", "result", kMaxNameLength);
        if (status == "applied") {
            r.status = MutationStatus::Applied;
        } else if (status == "rejected") {
            r.status = MutationStatus::Rejected;
        } else {
            throw Invalid{"result.s must be applied or rejected"};
        }
        r.version = readVersion(ro, "v", "result", false);
        r.reason = readString(ro, "reason", "result", kMaxMessageLength, false);
        if (const json::value* ov = ro.if_contains("overridden")) {
            for (const auto& f : requireArray(*ov, "result.overridden", kMaxFieldsPerRow)) {
                const json::string* s = f.if_string();
                if (s == nullptr || s->size() > kMaxNameLength) {
                    throw Invalid{"result.overridden must hold field names"};
                }
                r.overridden.emplace_back(sv(*s));
            }
        }
        m.results.push_back(std::move(r));
    }
    m.hlc = readString(o, "hlc", "push_result", kMaxNameLength, false);
    return m;
}

Hello helloFromJson(const json::object& o)
{
    Hello m;
    m.protocol = readRange(require(o, "protocol", "hello"), "hello.protocol");
    m.client = readString(o, "client", "hello", kMaxNameLength);
    m.clientVersion = readString(o, "clientVersion", "hello", kMaxNameLength);
    m.deviceId = readString(o, "deviceId", "hello", kMaxIdLength);
    m.token = readString(o, "token", "hello", kMaxTokenLength, false);
    if (const json::value* v = o.if_contains("features")) {
        const json::array* a = v->if_array();
        if (a == nullptr || a->size() > kMaxFeatures) {
            throw Invalid{"hello: \"features\" must be a list of at most " +
                          std::to_string(kMaxFeatures) + " names"};
        }
        for (const auto& item : *a) {
            const json::string* name = item.if_string();
            if (name == nullptr || name->empty() || name->size() > kMaxNameLength) {
                throw Invalid{"hello: every feature must be a name of 1 to " +
                              std::to_string(kMaxNameLength) + " characters"};
            }
            m.features.emplace_back(sv(*name));
        }
    }
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

// ---- analytics ----

// Counters on the wire, by their names in docs/analytics.md.
constexpr std::array<std::pair<std::string_view, std::int64_t analytics::Counters::*>, 15>
    kCounterFields{{
        {"offered", &analytics::Counters::offered},
        {"answered", &analytics::Counters::answered},
        {"answered_in_sl", &analytics::Counters::answeredInSl},
        {"abandoned", &analytics::Counters::abandoned},
        {"short_abandoned", &analytics::Counters::shortAbandoned},
        {"missed", &analytics::Counters::missed},
        {"callbacks", &analytics::Counters::callbacks},
        {"self_served", &analytics::Counters::selfServed},
        {"outbound", &analytics::Counters::outbound},
        {"wait_answered_ms", &analytics::Counters::waitAnsweredMs},
        {"handled", &analytics::Counters::handled},
        {"talk_ms", &analytics::Counters::talkMs},
        {"wrap_ms", &analytics::Counters::wrapMs},
        {"fcr_resolved", &analytics::Counters::fcrResolved},
        {"answered_elsewhere", &analytics::Counters::answeredElsewhere},
    }};

json::object countersToJson(const analytics::Counters& c)
{
    json::object o;
    for (const auto& [name, member] : kCounterFields) {
        if (c.*member != 0) {
            o[name] = c.*member;
        }
    }
    return o;
}

analytics::Counters countersFromJson(const json::value& v, std::string_view what)
{
    const json::object& o = requireObject(v, what);
    analytics::Counters c;
    for (const auto& [name, member] : kCounterFields) {
        if (const json::value* f = o.if_contains(name)) {
            const std::int64_t n = readInt(*f, std::string(what) + "." + std::string(name));
            // Live figures of one day: counts and durations never negative; a year of calls in
            // milliseconds stays far below 2^53 (exact in every JSON reader).
            if (n < 0 || n > (std::int64_t{1} << 53)) {
                throw Invalid{std::string(what) + "." + std::string(name) + " is out of range"};
            }
            c.*member = n;
        }
    }
    return c;
}

json::object bodyToJson(const AnalyticsSubscribe& m)
{
    json::array locations;
    for (const auto& l : m.locations) {
        locations.emplace_back(json::string(l));
    }
    json::object o{{"locations", std::move(locations)}};
    if (m.stop) {
        o["stop"] = true;
    }
    return o;
}

json::object bodyToJson(const AnalyticsUpdate& m)
{
    json::object o{{"scope", m.scope},
                   {"key", m.key},
                   {"asOfMs", m.asOfMs},
                   {"eventMs", m.eventMs},
                   {"serviceLevelSeconds", m.serviceLevelSeconds},
                   {"totals", countersToJson(m.totals)},
                   {"waiting", m.waiting},
                   {"oldestWaitingMs", m.oldestWaitingMs}};
    if (!m.date.empty()) {
        o["date"] = m.date;
    }
    if (!m.hours.empty()) {
        json::array hours;
        for (const auto& h : m.hours) {
            hours.emplace_back(countersToJson(h));
        }
        o["hours"] = std::move(hours);
    }
    if (!m.people.empty()) {
        json::array people;
        for (const auto& p : m.people) {
            json::object po = countersToJson(p.counters);
            po["userId"] = p.userId;
            people.emplace_back(std::move(po));
        }
        o["people"] = std::move(people);
    }
    return o;
}

AnalyticsSubscribe analyticsSubscribeFromJson(const json::object& o)
{
    AnalyticsSubscribe m;
    if (const json::value* v = o.if_contains("locations")) {
        for (const auto& l :
             requireArray(*v, "analytics_subscribe.locations", kMaxAnalyticsLocations)) {
            const json::string* s = l.if_string();
            if (s == nullptr || s->empty() || s->size() > kMaxIdLength) {
                throw Invalid{"analytics_subscribe.locations must hold store ids"};
            }
            m.locations.emplace_back(sv(*s));
        }
    }
    if (o.if_contains("stop") != nullptr) {
        m.stop = readBool(o, "stop", "analytics_subscribe");
    }
    return m;
}

AnalyticsUpdate analyticsUpdateFromJson(const json::object& o)
{
    AnalyticsUpdate m;
    m.scope = readString(o, "scope", "analytics", kMaxNameLength);
    if (m.scope != "location" && m.scope != "organisation") {
        throw Invalid{"analytics.scope must be \"location\" or \"organisation\""};
    }
    m.key = readString(o, "key", "analytics", kMaxIdLength);
    m.date = readString(o, "date", "analytics", 10, false);
    m.asOfMs = readInt(require(o, "asOfMs", "analytics"), "analytics.asOfMs");
    m.eventMs = readInt(require(o, "eventMs", "analytics"), "analytics.eventMs");
    const std::int64_t sl =
        readInt(require(o, "serviceLevelSeconds", "analytics"), "analytics.serviceLevelSeconds");
    if (sl < 1 || sl > 3600) {
        throw Invalid{"analytics.serviceLevelSeconds is out of range"};
    }
    m.serviceLevelSeconds = static_cast<int>(sl);
    m.totals = countersFromJson(require(o, "totals", "analytics"), "analytics.totals");
    if (const json::value* v = o.if_contains("hours")) {
        const json::array& hours = requireArray(*v, "analytics.hours", 24);
        if (hours.size() != 24) {
            throw Invalid{"analytics.hours must have 24 entries"};
        }
        for (const auto& h : hours) {
            m.hours.push_back(countersFromJson(h, "analytics.hours[]"));
        }
    }
    if (const json::value* v = o.if_contains("people")) {
        for (const auto& p : requireArray(*v, "analytics.people", kMaxAnalyticsPeople)) {
            const json::object& po = requireObject(p, "analytics.people[]");
            m.people.push_back({readString(po, "userId", "analytics.people[]", kMaxIdLength),
                                countersFromJson(p, "analytics.people[]")});
        }
    }
    const std::int64_t waiting = readInt(require(o, "waiting", "analytics"), "analytics.waiting");
    if (waiting < 0 || waiting > 1000000) {
        throw Invalid{"analytics.waiting is out of range"};
    }
    m.waiting = static_cast<int>(waiting);
    m.oldestWaitingMs =
        readInt(require(o, "oldestWaitingMs", "analytics"), "analytics.oldestWaitingMs");
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
        std::string_view operator()(const Subscribe&) const { return "subscribe"; }
        std::string_view operator()(const Changes&) const { return "changes"; }
        std::string_view operator()(const Pull&) const { return "pull"; }
        std::string_view operator()(const Push&) const { return "push"; }
        std::string_view operator()(const PushResult&) const { return "push_result"; }
        std::string_view operator()(const AnalyticsSubscribe&) const
        {
            return "analytics_subscribe";
        }
        std::string_view operator()(const AnalyticsUpdate&) const { return "analytics"; }
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
        } else if (type == "subscribe") {
            env.body = subscribeFromJson(body);
        } else if (type == "changes") {
            env.body = changesFromJson(body);
        } else if (type == "pull") {
            env.body = pullFromJson(body);
        } else if (type == "push") {
            env.body = pushFromJson(body);
        } else if (type == "push_result") {
            env.body = pushResultFromJson(body);
        } else if (type == "analytics_subscribe") {
            env.body = analyticsSubscribeFromJson(body);
        } else if (type == "analytics") {
            env.body = analyticsUpdateFromJson(body);
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
