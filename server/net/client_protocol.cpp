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
    case ErrorCode::Overloaded:
        return protocol::kCloseTryAgainLater;
    case ErrorCode::Unauthenticated:
        return protocol::kCloseUnauthenticated;
    case ErrorCode::UnknownType:
    case ErrorCode::ProtocolViolation:
    case ErrorCode::InvalidCursor:
    case ErrorCode::Forbidden:
    case ErrorCode::Internal:
        break;
    }
    return protocol::kClosePolicy;
}

ProtocolOutcome unauthenticated(std::string message, std::string inReplyTo)
{
    return fail(ErrorCode::Unauthenticated, std::move(message), std::move(inReplyTo),
                protocol::kCloseUnauthenticated);
}

} // namespace

ClientProtocol::ClientProtocol(Identity identity, Clock clock, const auth::TokenSigner& signer)
    : m_identity(std::move(identity))
    , m_clock(std::move(clock))
    , m_signer(signer)
{}

ProtocolOutcome ClientProtocol::onBinary()
{
    return fail(ErrorCode::MalformedMessage, "binary frames are not part of this protocol", {},
                protocol::kCloseMalformed);
}

ProtocolOutcome ClientProtocol::onText(std::string_view text)
{
    // Before the welcome nothing may overtake the hello; once greeted, sync traffic goes on while
    // a reauth is being checked (the current token is valid until it expires).
    if (m_pending && !m_principal) {
        return fail(ErrorCode::ProtocolViolation, "wait for the answer to the last message", {},
                    protocol::kClosePolicy);
    }
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
        if (m_protocol) {
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
        if (hello->token.empty()) {
            return unauthenticated("sign in first: hello needs an access token", env.id);
        }
        auto claims = m_signer.verify(hello->token, m_clock() / 1000);
        if (!claims) {
            return unauthenticated(std::string(auth::toString(claims.error())), env.id);
        }
        m_protocol = *version;
        m_deviceId = hello->deviceId;
        m_features = hello->features;
        m_pending = std::move(claims).value();
        m_pendingId = env.id;
        ProtocolOutcome out;
        out.checkSession = m_pending;
        return out;
    }
    if (!greeted()) {
        return fail(ErrorCode::ProtocolViolation,
                    "the first message must be hello, not " +
                        std::string(protocol::typeName(env.body)),
                    env.id, protocol::kClosePolicy);
    }
    if (m_pending && std::holds_alternative<protocol::Reauth>(env.body)) {
        return fail(ErrorCode::ProtocolViolation, "wait for the answer to the last reauth", env.id,
                    protocol::kClosePolicy);
    }
    if (const auto* reauth = std::get_if<protocol::Reauth>(&env.body)) {
        auto claims = m_signer.verify(reauth->token, m_clock() / 1000);
        if (!claims) {
            return unauthenticated(std::string(auth::toString(claims.error())), env.id);
        }
        if (claims->userId != m_principal->userId || claims->sessionId != m_principal->sessionId) {
            return unauthenticated("a new token must belong to the same sign-in", env.id);
        }
        m_pending = std::move(claims).value();
        m_pendingId = env.id;
        ProtocolOutcome out;
        out.checkSession = m_pending;
        return out;
    }
    if (std::holds_alternative<protocol::Error>(env.body)) {
        return {}; // the client reports a problem; the session logs it, nothing to answer
    }
    ProtocolOutcome out;
    if (const auto* subscribe = std::get_if<protocol::Subscribe>(&env.body)) {
        out.sync = SyncRequest{env.id, *subscribe};
        return out;
    }
    if (const auto* pull = std::get_if<protocol::Pull>(&env.body)) {
        out.sync = SyncRequest{env.id, *pull};
        return out;
    }
    if (auto* push = std::get_if<protocol::Push>(&decoded.value().body)) {
        out.sync = SyncRequest{env.id, std::move(*push)};
        return out;
    }
    if (auto* analytics = std::get_if<protocol::AnalyticsSubscribe>(&decoded.value().body)) {
        out.analytics.emplace(env.id, std::move(*analytics));
        return out;
    }
    return fail(ErrorCode::ProtocolViolation,
                std::string(protocol::typeName(env.body)) + " is sent by servers, not clients",
                env.id, protocol::kClosePolicy);
}

ProtocolOutcome ClientProtocol::sessionCheckUnavailable()
{
    m_pending.reset();
    return fail(ErrorCode::NotReady, "the server cannot check sign-ins right now; try again",
                std::exchange(m_pendingId, {}), protocol::kCloseTryAgainLater);
}

ProtocolOutcome ClientProtocol::completeSessionCheck(bool live)
{
    if (!m_pending) {
        return {};
    }
    auto claims = std::move(*m_pending);
    m_pending.reset();
    const std::string id = std::exchange(m_pendingId, {});
    if (!live) {
        m_principal.reset();
        return unauthenticated("this sign-in has ended; sign in again", id);
    }
    const bool first = !m_principal.has_value();
    m_principal = std::move(claims);
    ProtocolOutcome out;
    if (first) {
        protocol::Welcome welcome{*m_protocol,
                                  "callcommander-server",
                                  m_identity.serverVersion,
                                  m_identity.node,
                                  m_clock(),
                                  m_principal->userId,
                                  std::string(domain::toString(m_principal->role))};
        out.replies.push_back(protocol::encode(protocol::Envelope{*m_protocol, id, welcome}));
    }
    return out;
}

} // namespace cc::server::net
