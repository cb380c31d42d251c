#include "server/net/server.h"

#include "server/db/database.h"
#include "server/db/migrations.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"
#include "server/ops/readiness.h"

#include <boost/asio/signal_set.hpp>
#include <pqxx/pqxx>

#include <array>
#include <condition_variable>
#include <thread>
#include <unistd.h>

namespace cc::server::net {
namespace {

std::string defaultNodeName()
{
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0) {
        return "node-" + std::to_string(getpid());
    }
    return std::string(host.data()) + "-" + std::to_string(getpid());
}

// Reads the first bytes of a new connection: a TLS ClientHello goes on to an HttpSession,
// anything else (plain HTTP on the TLS port) gets a clear 400 and is closed.
class Detector : public std::enable_shared_from_this<Detector> {
public:
    Detector(NodeContext& ctx, tcp::socket&& socket, ssl::context& tls)
        : m_ctx(ctx)
        , m_stream(std::move(socket))
        , m_tls(tls)
    {}

    void run()
    {
        m_stream.expires_after(m_ctx.config.handshakeTimeout);
        beast::async_detect_ssl(m_stream, m_buffer,
                                beast::bind_front_handler(&Detector::onDetect, shared_from_this()));
    }

private:
    void onDetect(error_code ec, bool isTls)
    {
        if (ec) {
            log::debug("net", "connection closed before TLS detection: " + ec.message());
            return;
        }
        if (isTls) {
            std::make_shared<HttpSession>(m_ctx, m_stream.release_socket(), m_tls,
                                          std::move(m_buffer))
                ->start();
            return;
        }
        log::info("net", "rejected a plain-text connection on the TLS port");
        m_response.version(11);
        m_response.result(http::status::bad_request);
        m_response.set(http::field::content_type, "text/plain; charset=utf-8");
        m_response.set(http::field::connection, "close");
        m_response.body() = "This port speaks only TLS. Use https:// or wss:// to connect.\n";
        m_response.prepare_payload();
        http::async_write(m_stream, m_response,
                          [self = shared_from_this()](error_code, std::size_t) {
                              error_code ignored;
                              self->m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                              self->m_stream.close();
                          });
    }

    NodeContext& m_ctx;
    beast::tcp_stream m_stream;
    ssl::context& m_tls;
    beast::flat_buffer m_buffer;
    http::response<http::string_body> m_response;
};

} // namespace

void SessionRegistry::add(const std::shared_ptr<Closable>& session)
{
    const std::lock_guard lock(m_mutex);
    m_sessions.emplace(session.get(), session);
}

void SessionRegistry::remove(const Closable* session)
{
    const std::lock_guard lock(m_mutex);
    m_sessions.erase(session);
}

std::vector<std::shared_ptr<Closable>> SessionRegistry::snapshot() const
{
    std::vector<std::shared_ptr<Closable>> out;
    const std::lock_guard lock(m_mutex);
    out.reserve(m_sessions.size());
    for (const auto& [ptr, weak] : m_sessions) {
        if (auto s = weak.lock()) {
            out.push_back(std::move(s));
        }
    }
    return out;
}

std::size_t SessionRegistry::size() const
{
    const std::lock_guard lock(m_mutex);
    return m_sessions.size();
}

struct Server::Impl {
    explicit Impl(ops::Config cfg)
        : config(std::move(cfg))
        , tls(ssl::context::tls_server)
        , acceptor(asio::make_strand(ioc))
        , shutdownTimer(ioc)
        , signals(ioc)
        , database(config.dbConninfo, config.dbPoolSize, config.dbMaxQueue)
        , ctx{config, database, readiness, sessions,
              config.nodeName.empty() ? defaultNodeName() : config.nodeName}
    {}

    void loadTls()
    {
        tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use);
        error_code ec;
        tls.use_certificate_chain_file(config.tlsCertFile, ec);
        if (ec) {
            throw std::runtime_error("cannot load TLS certificate " + config.tlsCertFile + ": " +
                                     ec.message());
        }
        tls.use_private_key_file(config.tlsKeyFile, ssl::context::pem, ec);
        if (ec) {
            throw std::runtime_error("cannot load TLS key " + config.tlsKeyFile + ": " +
                                     ec.message());
        }
    }

    void bind()
    {
        error_code ec;
        const auto address = asio::ip::make_address(config.listenAddress, ec);
        if (ec) {
            throw std::runtime_error("listen.address \"" + config.listenAddress +
                                     "\" is not an IP address");
        }
        const tcp::endpoint endpoint{address, config.listenPort};
        acceptor.open(endpoint.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(endpoint, ec);
        if (ec) {
            throw std::runtime_error("cannot listen on " + config.listenAddress + ":" +
                                     std::to_string(config.listenPort) + ": " + ec.message());
        }
        acceptor.listen(asio::socket_base::max_listen_connections);
        boundPort = acceptor.local_endpoint().port();
    }

    void doAccept()
    {
        acceptor.async_accept(asio::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
            if (ec) {
                if (ec != asio::error::operation_aborted) {
                    log::warn("net", "accept failed: " + ec.message());
                }
                if (!acceptor.is_open()) {
                    return;
                }
            } else {
                std::make_shared<Detector>(ctx, std::move(socket), tls)->run();
            }
            doAccept();
        });
    }

    // Connects to PostgreSQL and applies migrations, retrying with backoff until it works or the
    // server stops. Runs on its own thread: it may wait for the database for a long time.
    void migrateInBackground()
    {
        migrator = std::thread([this] {
            auto delay = std::chrono::milliseconds(250);
            for (;;) {
                try {
                    pqxx::connection conn(config.dbConninfo);
                    const auto applied = db::applyMigrations(conn, db::embeddedMigrations());
                    const auto status = db::migrationStatus(conn, db::embeddedMigrations());
                    readiness.setMigrated(status.appliedVersion);
                    log::info("db", "schema at version " + std::to_string(status.appliedVersion) +
                                        " (" + std::to_string(applied) + " migrations applied)");
                    return;
                } catch (const std::exception& e) {
                    readiness.setProblem(std::string("database: ") + e.what());
                    log::warn("db", std::string("not ready: ") + e.what() + "; retrying in " +
                                        std::to_string(delay.count()) + " ms");
                }
                std::unique_lock lock(migratorMutex);
                if (migratorWake.wait_for(lock, delay, [this] { return ctx.stopping.load(); })) {
                    return;
                }
                delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
            }
        });
    }

    void beginShutdown()
    {
        if (ctx.stopping.exchange(true)) {
            return;
        }
        log::info("server", "shutting down: no new connections, closing " +
                                std::to_string(sessions.size()) + " sessions");
        {
            // Taking the lock orders this after any predicate check in progress: no lost wake-up.
            const std::lock_guard lock(migratorMutex);
        }
        migratorWake.notify_all();
        asio::post(acceptor.get_executor(), [this] {
            error_code ignored;
            acceptor.close(ignored);
        });
        signals.cancel();
        for (const auto& session : sessions.snapshot()) {
            session->shutdown();
        }
        shutdownDeadline = std::chrono::steady_clock::now() + config.shutdownGrace;
        waitForSessions();
    }

    // Ends the event loop once every session is gone, or when the grace period is over.
    void waitForSessions()
    {
        shutdownTimer.expires_after(std::chrono::milliseconds(20));
        shutdownTimer.async_wait([this](error_code ec) {
            if (ec) {
                return;
            }
            const auto left = sessions.size();
            if (left == 0) {
                ioc.stop();
                return;
            }
            if (std::chrono::steady_clock::now() >= shutdownDeadline) {
                log::warn("server",
                          std::to_string(left) + " sessions did not close within the grace period");
                ioc.stop();
                return;
            }
            waitForSessions();
        });
    }

    ops::Config config;
    SessionRegistry sessions;
    ops::Readiness readiness;
    ssl::context tls;
    asio::io_context ioc;
    tcp::acceptor acceptor;
    asio::steady_timer shutdownTimer;
    asio::signal_set signals;
    db::Database database; // destroyed before ioc: its threads post results into it
    NodeContext ctx;
    std::uint16_t boundPort = 0;
    std::chrono::steady_clock::time_point shutdownDeadline;
    std::thread migrator;
    std::mutex migratorMutex;
    std::condition_variable migratorWake;
};

Server::Server(ops::Config config)
    : m_impl(std::make_unique<Impl>(std::move(config)))
{}

Server::~Server()
{
    if (m_impl->migrator.joinable()) {
        stop();
        m_impl->migrator.join();
    }
}

void Server::listen()
{
    m_impl->loadTls();
    m_impl->bind();
}

std::uint16_t Server::port() const
{
    return m_impl->boundPort;
}

void Server::run(bool handleSignals)
{
    Impl& d = *m_impl;
    if (handleSignals) {
        d.signals.add(SIGINT);
        d.signals.add(SIGTERM);
        d.signals.async_wait([&d](error_code ec, int signo) {
            if (!ec) {
                log::info("server",
                          std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM"));
                d.beginShutdown();
            }
        });
    }
    d.migrateInBackground();
    d.doAccept();
    log::info("server", "node " + d.ctx.node + " listening on https://" + d.config.listenAddress +
                            ":" + std::to_string(d.boundPort) + " (WebSocket: /ws)");

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < d.config.ioThreads; ++i) {
        threads.emplace_back([&d] { d.ioc.run(); });
    }
    d.ioc.run();
    for (auto& t : threads) {
        t.join();
    }
    d.migratorWake.notify_all();
    if (d.migrator.joinable()) {
        d.migrator.join();
    }
    d.database.stop();
    log::info("server", "stopped");
}

void Server::stop()
{
    asio::post(m_impl->ioc, [d = m_impl.get()] { d->beginShutdown(); });
}

} // namespace cc::server::net
