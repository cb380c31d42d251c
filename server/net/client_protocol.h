#pragma once

#include "server/auth/tokens.h"
#include "shared/protocol/messages.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// What one WebSocket client may say, in what order, and what the server answers: the protocol's
// rules without any sockets, so they are tested directly. A WebSocket session feeds it frames and
// carries out the outcome (send these texts, check this login session, then maybe close).
namespace cc::server::net {

// A sync request of a greeted client, carried out by the session against the database.
struct SyncRequest {
    std::string id; // the envelope id, echoed in the answer
    std::variant<protocol::Subscribe, protocol::Pull, protocol::Push> body;
};

struct ProtocolOutcome {
    std::vector<std::string> replies;       // sent in order
    std::optional<std::uint16_t> closeCode; // close after the replies are sent
    std::string closeReason;                // at most 123 bytes (RFC 6455), valid UTF-8
    // The token checked out; before going on, the session must ask the database whether this
    // login session is still live and answer with ClientProtocol::completeSessionCheck().
    std::optional<auth::Claims> checkSession;
    std::optional<SyncRequest> sync;
    // A live-figures subscription (docs/analytics.md): the session authorises and starts it.
    std::optional<std::pair<std::string, protocol::AnalyticsSubscribe>> analytics;
};

class ClientProtocol {
public:
    struct Identity {
        std::string node;          // this server node's name
        std::string serverVersion; // the build's version
    };
    using Clock = std::function<std::int64_t()>; // Unix epoch milliseconds

    ClientProtocol(Identity identity, Clock clock, const auth::TokenSigner& signer);

    ProtocolOutcome onText(std::string_view text);
    ProtocolOutcome onBinary();
    ProtocolOutcome completeSessionCheck(bool live);
    // The database could not say: ask the client to come back later (it keeps its sign-in).
    ProtocolOutcome sessionCheckUnavailable();

    bool greeted() const { return m_protocol.has_value() && m_principal.has_value(); }
    std::optional<int> protocolVersion() const { return m_protocol; }
    // Who this connection speaks for, once greeted.
    const std::optional<auth::Claims>& principal() const { return m_principal; }
    const std::string& deviceId() const { return m_deviceId; }
    // Whether the client named `feature` in its hello (protocol::kFeature...).
    bool understands(std::string_view feature) const
    {
        return std::find(m_features.begin(), m_features.end(), feature) != m_features.end();
    }

private:
    Identity m_identity;
    Clock m_clock;
    const auth::TokenSigner& m_signer;
    std::optional<int> m_protocol; // negotiated in hello
    std::optional<auth::Claims> m_principal;
    std::optional<auth::Claims> m_pending; // awaiting the session check
    std::string m_pendingId;               // the id of the message being checked
    std::string m_deviceId;
    std::vector<std::string> m_features; // as the hello named them
};

} // namespace cc::server::net
