#include "server/net/client_protocol.h"

#include "shared/protocol/envelope.h"

namespace cc::server::net {
namespace {

using protocol::ErrorCode;

constexpr std::size_t kMaxCloseReason = 123;

// Close reasons are at most 123 bytes and must stay valid UTF-8: cut at a character boundary.
std::string clip(std::string s)
{
    if (s.size() <= kMaxCloseReason) {
        return s;
    }
    std::size_t end = kMaxCloseReason;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0U) == 0x80U) {
        --end; // s[end] continues a character that started before it
    }
    s.resize(end);
    return s;
}

// Answer with an error and close the connection.
ProtocolOutcome fail(ErrorCode code, std::string message, std::string inReplyTo,
                     std::uint16_t closeCode)
{
    ProtocolOutcome out;
    out.replies.push_back(
        protocol::encode(protocol::makeError(code, message, std::move(inReplyTo))));
    out.closeCode = closeCode;
    out.closeReason = clip(std::move(message));
    return out;
}

std::uint16_t closeCodeFor(ErrorCode code)
{
    switch (code) {
    case ErrorCode::MalformedMessage:
        return protocol::kCloseMalformed;
    case ErrorCode::UnsupportedVersion:
        return protocol::kCloseUnsupportedVersion;
    case ErrorCode::MessageTooLarge:
        return protocol::kCloseTooBig;
    case ErrorCode::NotReady:
        return protocol::kCloseTryAgainLater;
    case ErrorCode::UnknownType:
    case ErrorCode::ProtocolViolation:
    case ErrorCode::Internal:
        break;
    }
    return protocol::kClosePolicy;
}

} // namespace

ClientProtocol::ClientProtocol(Identity identity, Clock clock)
    : m_identity(std::move(identity))
    , m_clock(std::move(clock))
{}

ProtocolOutcome ClientProtocol::onBinary()
{
    return fail(ErrorCode::MalformedMessage, "binary frames are not part of this protocol", {},
                protocol::kCloseMalformed);
}

ProtocolOutcome ClientProtocol::onText(std::string_view text)
{
    auto decoded = protocol::decode(text);
    if (!decoded) {
        const auto& e = decoded.error();
        if (e.code == ErrorCode::UnknownType && greeted()) {
            // A newer client may try something this server does not know: say so, stay open.
            ProtocolOutcome out;
            out.replies.push_back(protocol::encode(protocol::makeError(e.code, e.message, e.id)));
            return out;
        }
        return fail(e.code, e.message, e.id, closeCodeFor(e.code));
    }
    const protocol::Envelope& env = decoded.value();

    if (const auto* hello = std::get_if<protocol::Hello>(&env.body)) {
        if (greeted()) {
            return fail(ErrorCode::ProtocolViolation, "hello was already received", env.id,
                        protocol::kClosePolicy);
        }
        const auto version = protocol::negotiate(
            {protocol::kMinProtocolVersion, protocol::kMaxProtocolVersion}, hello->protocol);
        if (!version) {
            return fail(ErrorCode::UnsupportedVersion,
                        "no protocol version in common: client speaks " +
                            std::to_string(hello->protocol.min) + ".." +
                            std::to_string(hello->protocol.max) + ", server speaks " +
                            std::to_string(protocol::kMinProtocolVersion) + ".." +
                            std::to_string(protocol::kMaxProtocolVersion),
                        env.id, protocol::kCloseUnsupportedVersion);
        }
        m_protocol = *version;
        m_deviceId = hello->deviceId;
        m_client = hello->client + "/" + hello->clientVersion;
        protocol::Welcome welcome{*version, "callcommander-server", m_identity.serverVersion,
                                  m_identity.node, m_clock()};
        ProtocolOutcome out;
        out.replies.push_back(protocol::encode(protocol::Envelope{*version, env.id, welcome}));
        return out;
    }
    if (!greeted()) {
        return fail(ErrorCode::ProtocolViolation,
                    "the first message must be hello, not " +
                        std::string(protocol::typeName(env.body)),
                    env.id, protocol::kClosePolicy);
    }
    if (std::holds_alternative<protocol::Error>(env.body)) {
        return {}; // the client reports a problem; the session logs it, nothing to answer
    }
    return fail(ErrorCode::ProtocolViolation,
                std::string(protocol::typeName(env.body)) + " is sent by servers, not clients",
                env.id, protocol::kClosePolicy);
}

} // namespace cc::server::net
