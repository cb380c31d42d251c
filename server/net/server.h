#pragma once

#include "server/ops/config.h"

#include <cstdint>
#include <memory>

namespace cc::server::net {

// The network front of one server node: HTTPS and secure WebSocket on one TLS port, the
// start-up migration task and the database workers. Beast and Asio stay behind this interface.
class Server {
public:
    explicit Server(ops::Config config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Loads the TLS certificate and binds the port; throws std::runtime_error with a clear
    // message (bad certificate, port in use). port() is valid afterwards.
    void listen();
    std::uint16_t port() const;

    // Serves until SIGINT/SIGTERM (when `handleSignals`) or stop(), then shuts down gracefully:
    // stops accepting, closes WebSocket sessions with 1001 "going away", lets HTTP responses in
    // flight finish, and forces the rest closed after the configured grace period. A second
    // signal stops at once. Returns the process exit code: 0, or 1 when the node had to stop
    // because it cannot serve its database (a changed or unknown migration).
    int run(bool handleSignals);

    // Starts the graceful shutdown from any thread.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace cc::server::net
