#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// What one WebSocket client may say, in what order, and what the server answers: the protocol's
// rules without any sockets, so they are tested directly. A WebSocket session feeds it frames and
// carries out the outcome (send these texts, then maybe close with this code).
namespace cc::server::net {

struct ProtocolOutcome {
    std::vector<std::string> replies;       // sent in order
    std::optional<std::uint16_t> closeCode; // close after the replies are sent
    std::string closeReason;                // at most 123 bytes (RFC 6455)
};

class ClientProtocol {
public:
    struct Identity {
        std::string node;          // this server node's name
        std::string serverVersion; // the build's version
    };
    using Clock = std::function<std::int64_t()>; // Unix epoch milliseconds

    ClientProtocol(Identity identity, Clock clock);

    ProtocolOutcome onText(std::string_view text);
    ProtocolOutcome onBinary();

    bool greeted() const { return m_protocol.has_value(); }
    std::optional<int> protocolVersion() const { return m_protocol; }
    const std::string& deviceId() const { return m_deviceId; }
    const std::string& clientDescription() const { return m_client; }

private:
    Identity m_identity;
    Clock m_clock;
    std::optional<int> m_protocol;
    std::string m_deviceId;
    std::string m_client;
};

} // namespace cc::server::net
