#include "server/net/server.h"

#include "server/crypto/secretbox.h"
#include "server/db/database.h"
#include "server/db/listener.h"
#include "server/db/migrations.h"
#include "server/db/prepared.h"
#include "server/integrations/calendar_sync.h"
#include "server/integrations/pool.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"
#include "server/ops/readiness.h"
#include "server/telephony/call_flow.h"
#include "server/telephony/directory.h"

#include <boost/asio/signal_set.hpp>
#include <openssl/rand.h>
#include <pqxx/pqxx>

#include <array>
#include <condition_variable>
#include <future>
#include <thread>
#include <unistd.h>

namespace cc::server::net {
namespace {

constexpr auto kTelephonyTick = std::chrono::seconds(5);
constexpr auto kTelephonyFirstTicks = std::chrono::milliseconds(250); // until the directory loads
constexpr auto kDirectoryRefresh = std::chrono::seconds(30);
// Appointments written to calendars per upkeep run: at most a few seconds each, well within the
// two minutes the outbox leases them for.
constexpr std::size_t kCalendarBatch = 10;

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
    Detector(NodeContext& ctx, tcp::socket&& socket, ssl::context& tls, ConnectionSlot&& slot)
        : m_ctx(ctx)
        , m_stream(std::move(socket))
        , m_tls(tls)
        , m_slot(std::move(slot))
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
        if (m_ctx.stopping) {
            return; // shutting down: the connection closes with this object
        }
        if (isTls) {
            std::make_shared<HttpSession>(m_ctx, m_stream.release_socket(), m_tls,
                                          std::move(m_buffer), std::move(m_slot))
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
    ConnectionSlot m_slot;
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

void DeviceRegistry::add(const std::shared_ptr<DeviceRegistration>& device)
{
    const std::lock_guard lock(m_mutex);
    m_devices[device.get()] = device;
}

void DeviceRegistry::remove(const DeviceRegistration* device)
{
    const std::lock_guard lock(m_mutex);
    m_devices.erase(device);
}

std::vector<std::shared_ptr<DeviceRegistration>> DeviceRegistry::snapshot() const
{
    std::vector<std::shared_ptr<DeviceRegistration>> out;
    const std::lock_guard lock(m_mutex);
    out.reserve(m_devices.size());
    for (const auto& [ptr, weak] : m_devices) {
        if (auto d = weak.lock()) {
            out.push_back(std::move(d));
        }
    }
    return out;
}

std::size_t DeviceRegistry::size() const
{
    const std::lock_guard lock(m_mutex);
    return m_devices.size();
}

void registerDevice(pqxx::connection& conn, const std::string& node, const std::string& incarnation,
                    DeviceRegistration& device)
{
    const std::lock_guard lock(device.mutex);
    if (device.closed || !device.rowId.empty()) {
        return;
    }
    pqxx::work tx(conn);
    tx.exec_params("INSERT INTO server_nodes (node) VALUES ($1) ON CONFLICT (node) DO UPDATE SET "
                   "heartbeat_at = now()",
                   node);
    const pqxx::row r = tx.exec_params1(
        "INSERT INTO device_sessions (id, node, incarnation, user_id, organisation_id) VALUES "
        "(gen_random_uuid(), $1, $2::uuid, $3::uuid, $4::uuid) RETURNING id::text",
        node, incarnation, device.userId, device.organisationId);
    tx.commit();
    device.rowId = r[0].as<std::string>();
}

void registerDevices(pqxx::connection& conn, const std::string& node,
                     const std::string& incarnation,
                     const std::vector<std::shared_ptr<DeviceRegistration>>& devices,
                     bool forgetRows)
{
    std::vector<std::shared_ptr<DeviceRegistration>> todo;
    std::vector<std::string> ids;
    std::string idArray, userArray, orgArray;
    for (const auto& d : devices) {
        const std::lock_guard lock(d->mutex);
        if (forgetRows) {
            d->rowId.clear();
        }
        if (d->closed || !d->rowId.empty()) {
            continue;
        }
        ids.push_back(newIncarnation()); // a random UUID, as good for a row as for a process
        todo.push_back(d);
        idArray += (idArray.empty() ? "" : ",") + ids.back();
        userArray += (userArray.empty() ? "" : ",") + d->userId;
        orgArray += (orgArray.empty() ? "" : ",") + d->organisationId;
    }
    if (todo.empty()) {
        return;
    }
    {
        pqxx::work tx(conn);
        db::execPrepared(tx,
                         "INSERT INTO device_sessions (id, node, incarnation, user_id, "
                         "organisation_id) SELECT i, $4, $5::uuid, u, o FROM unnest($1::uuid[], "
                         "$2::uuid[], $3::uuid[]) AS t(i, u, o) ON CONFLICT (id) DO NOTHING",
                         "{" + idArray + "}", "{" + userArray + "}", "{" + orgArray + "}", node,
                         incarnation);
        tx.commit();
    }
    // A device that closed meanwhile found no row to remove: remove it here.
    std::string orphans;
    for (std::size_t i = 0; i < todo.size(); ++i) {
        const std::lock_guard lock(todo[i]->mutex);
        if (todo[i]->closed || !todo[i]->rowId.empty()) { // closed, or written by its own job
            orphans += (orphans.empty() ? "" : ",") + ids[i];
        } else {
            todo[i]->rowId = ids[i];
        }
    }
    if (!orphans.empty()) {
        pqxx::work tx(conn);
        db::execPrepared(tx, "DELETE FROM device_sessions WHERE id = ANY ($1::uuid[])",
                         "{" + orphans + "}");
        tx.commit();
    }
}

std::string newIncarnation()
{
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
        throw std::runtime_error("no randomness for the node's incarnation id");
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0FU) | 0x40U); // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3FU) | 0x80U); // RFC 4122 variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += kHex[b[i] >> 4U];
        out += kHex[b[i] & 0x0FU];
    }
    return out;
}

integrations::PoolOptions poolOptions(const ops::Config& config)
{
    integrations::PoolOptions options;
    options.workers = config.integrationWorkers;
    options.caFile = config.integrationsCaFile;
    options.allowPrivateAddresses = config.integrationsAllowPrivate;
    return options;
}

struct Server::Impl {
    explicit Impl(ops::Config cfg)
        : config(std::move(cfg))
        , tls(ssl::context::tls_server)
        , ctx(config, database, readiness, sessions,
              config.nodeName.empty() ? defaultNodeName() : config.nodeName,
              auth::TokenSigner(config.tokenKeys),
              auth::AuthSettings{config.accessTokenLifetime, config.refreshTokenLifetime})
        , acceptor(asio::make_strand(ioc))
        , acceptRetry(acceptor.get_executor())
        , shutdownTimer(ioc)
        , signals(ioc)
        , secrets(config.secretKeys)
        , database(config.dbConninfo, config.dbPoolSize, config.dbMaxQueue)
        , integrations(poolOptions(config))
        , liveAnalytics(database, syncHub, ioc)
        , syncPoll(ioc)
        , telephonyTick(ioc)
    {
        ctx.syncHub = &syncHub;
        ctx.directory = &directory;
        ctx.secrets = &secrets;
        ctx.integrations = &integrations;
        ctx.liveAnalytics = &liveAnalytics;
    }

    // Every few seconds, once the schema is there: this node says it is alive (its devices count
    // as online while it does), the sessions of nodes that stopped saying so are removed, the
    // telephony upkeep runs, and the number directory is read again when it is due.
    void tickTelephony()
    {
        telephonyTick.expires_after(directory.loaded() ? std::chrono::milliseconds(kTelephonyTick)
                                                       : kTelephonyFirstTicks);
        telephonyTick.async_wait([this](error_code ec) {
            if (ec || ctx.stopping) {
                return;
            }
            if (readiness.migrated()) {
                database.submit(
                    [node = ctx.node, incarnation = ctx.incarnation,
                     devices = ctx.devices.snapshot()](pqxx::connection& conn) {
                        bool recreated = false;
                        {
                            pqxx::work tx(conn);
                            // xmax = 0: inserted, not updated. Other nodes took this one for
                            // dead meanwhile (its sessions went with its row): write them again.
                            recreated = tx.exec_params1("INSERT INTO server_nodes (node) VALUES "
                                                        "($1) ON CONFLICT (node) DO UPDATE SET "
                                                        "heartbeat_at = now() RETURNING xmax = 0",
                                                        node)[0]
                                            .as<bool>();
                            // A previous process of this name (crashed, restarted) left these.
                            tx.exec_params("DELETE FROM device_sessions WHERE node = $1 AND "
                                           "incarnation <> $2::uuid",
                                           node, incarnation);
                            tx.exec("DELETE FROM server_nodes WHERE heartbeat_at < now() - "
                                    "interval '30 seconds'");
                            tx.commit();
                        }
                        registerDevices(conn, node, incarnation, devices, recreated);
                        telephony::sweep(conn);
                    },
                    [](const std::string& reason) {
                        log::warn("telephony", "upkeep skipped: " + reason);
                    });
                if (!directoryLoading &&
                    (!directory.loaded() || directoryDue ||
                     std::chrono::steady_clock::now().time_since_epoch() -
                             std::chrono::steady_clock::duration(directoryLoadedAt.load()) >
                         kDirectoryRefresh)) {
                    loadDirectory();
                }
                syncCalendars();
            }
            tickTelephony();
        });
    }

    // Stores' calendars kept in step with appointments: one batch at a time per node (other nodes
    // take other work: the outbox leases it), read, written on an integration worker, recorded.
    void syncCalendars()
    {
        if (calendarBusy.exchange(true)) {
            return;
        }
        const auto idle = [this](const std::string& reason) {
            log::warn("integrations", "calendar upkeep skipped: " + reason);
            calendarBusy = false;
        };
        database.submit(
            [this, idle](pqxx::connection& conn) {
                auto batch = std::make_shared<const integrations::CalendarBatch>(
                    integrations::takeCalendarWork(conn, secrets, kCalendarBatch));
                if (batch->work.empty()) {
                    calendarBusy = false;
                    return;
                }
                integrations.submit(
                    [this, batch, idle](integrations::Worker& worker) {
                        auto outcomes = integrations::writeCalendarBatch(worker, *batch);
                        database.submit(
                            [this, batch, outcomes = std::move(outcomes)](pqxx::connection& c) {
                                for (std::size_t i = 0; i < batch->work.size(); ++i) {
                                    if (outcomes[i].error) {
                                        log::warn("integrations", "calendar: appointment " +
                                                                      batch->work[i].appointmentId +
                                                                      ": " +
                                                                      outcomes[i].error->message);
                                    }
                                    try {
                                        integrations::recordCalendarOutcome(c, batch->work[i],
                                                                            outcomes[i]);
                                    } catch (const std::exception& e) {
                                        // Its lease runs out and it is done again.
                                        log::warn("integrations",
                                                  std::string("calendar outcome not recorded: ") +
                                                      e.what());
                                    }
                                }
                                calendarBusy = false;
                            },
                            idle);
                    },
                    idle);
            },
            idle);
    }

    // A change was announced (any thread): read the directory now, or once more right after
    // the read in flight, so a burst of changes costs at most two reads.
    void requestDirectory()
    {
        if (directoryLoading.exchange(true)) {
            directoryDue = true;
            return;
        }
        asio::post(ioc, [this] { loadDirectory(); });
    }

    void loadDirectory()
    {
        directoryLoading = true;
        directoryDue = false;
        directoryLoadedAt = std::chrono::steady_clock::now().time_since_epoch().count();
        database.submit(
            [this](pqxx::connection& conn) {
                directory.replace(telephony::loadDirectory(conn, secrets));
                directoryLoading = false;
                if (directoryDue.exchange(false)) {
                    requestDirectory();
                }
            },
            [this](const std::string& reason) {
                directoryLoading = false;
                directoryDue = true; // the next tick tries again
                log::warn("telephony", "number directory not refreshed: " + reason);
            });
    }

    // This node's devices go offline with it: its row (and, by cascade, their sessions) is
    // removed before the database workers stop.
    void forgetNode()
    {
        auto done = std::make_shared<std::promise<void>>();
        auto finished = done->get_future();
        database.submit(
            [node = ctx.node, done](pqxx::connection& conn) {
                pqxx::work tx(conn);
                tx.exec_params("DELETE FROM server_nodes WHERE node = $1", node);
                tx.commit();
                done->set_value();
            },
            [done](const std::string&) { done->set_value(); });
        finished.wait_for(std::chrono::seconds(2));
    }

    // Once a second the hub looks for changes whose NOTIFY it missed (or whose read failed).
    void pollSync()
    {
        syncPoll.expires_after(std::chrono::seconds(1));
        syncPoll.async_wait([this](error_code ec) {
            if (ec || ctx.stopping) {
                return;
            }
            syncHub.pollAll();
            liveAnalytics.tick();
            pollSync();
        });
    }

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
            if (!acceptor.is_open()) {
                return; // shutting down
            }
            if (ec) {
                // Out of file descriptors, or the like: retrying at once would spin the CPU.
                log::warn("net", "accept failed: " + ec.message() + "; pausing 100 ms");
                acceptRetry.expires_after(std::chrono::milliseconds(100));
                acceptRetry.async_wait([this](error_code timerEc) {
                    if (!timerEc) {
                        doAccept();
                    }
                });
                return;
            }
            if (ctx.connections.load() >= config.maxConnections) {
                log::warn("net", "refused a connection: " + std::to_string(config.maxConnections) +
                                     " connections already open (server.max_connections)");
                error_code ignored;
                socket.close(ignored);
            } else {
                // Small messages (a push's answer, a live change) go out at once instead of
                // waiting up to 40 ms for Nagle's algorithm to batch them with the next one.
                error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                std::make_shared<Detector>(ctx, std::move(socket), tls,
                                           ConnectionSlot(ctx.connections))
                    ->run();
            }
            doAccept();
        });
    }

    // Connects to PostgreSQL and applies migrations, retrying with backoff while the database is
    // unreachable. A schema this build cannot serve (a changed or unknown migration) is fatal:
    // the node stops with exit code 1 rather than run against it.
    void migrateInBackground()
    {
        migrator = std::thread([this] {
            auto delay = std::chrono::milliseconds(250);
            const auto cancelled = [this] { return ctx.stopping.load(); };
            for (;;) {
                try {
                    pqxx::connection conn(config.dbConninfo);
                    const auto applied =
                        db::applyMigrations(conn, db::embeddedMigrations(), cancelled);
                    const auto status = db::migrationStatus(conn, db::embeddedMigrations());
                    readiness.setMigrated(status.appliedVersion);
                    log::info("db", "schema at version " + std::to_string(status.appliedVersion) +
                                        " (" + std::to_string(applied) + " migrations applied)");
                    return;
                } catch (const db::MigrationCancelled&) {
                    return;
                } catch (const db::MigrationError& e) {
                    readiness.setProblem("schema mismatch");
                    log::error("db", std::string("cannot serve this database: ") + e.what());
                    exitCode = 1;
                    stop();
                    return;
                } catch (const std::exception& e) {
                    readiness.setProblem("database unavailable");
                    log::warn("db", std::string("not ready: ") + e.what() + "; retrying in " +
                                        std::to_string(delay.count()) + " ms");
                }
                std::unique_lock lock(migratorMutex);
                if (migratorWake.wait_for(lock, delay, cancelled)) {
                    return;
                }
                delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
            }
        });
    }

    // Thread-safe: the graceful shutdown runs on the io_context.
    void stop()
    {
        asio::post(ioc, [this] { beginShutdown(); });
    }

    void beginShutdown()
    {
        if (ctx.stopping.exchange(true)) {
            return;
        }
        log::info("server", "shutting down: no new connections, closing " +
                                std::to_string(sessions.size()) + " sessions");
        wakeMigrator();
        syncPoll.cancel();
        liveAnalytics.stop();
        asio::post(acceptor.get_executor(), [this] {
            error_code ignored;
            acceptor.close(ignored);
            acceptRetry.cancel();
        });
        for (const auto& session : sessions.snapshot()) {
            session->shutdown();
        }
        shutdownDeadline = std::chrono::steady_clock::now() + config.shutdownGrace;
        waitForSessions();
    }

    void wakeMigrator()
    {
        {
            // Taking the lock orders this after any predicate check in progress: no lost wake-up.
            const std::lock_guard lock(migratorMutex);
        }
        migratorWake.notify_all();
    }

    // SIGINT/SIGTERM once: graceful shutdown. Twice: stop now.
    void waitForSignal()
    {
        signals.async_wait([this](error_code ec, int signo) {
            if (ec) {
                return;
            }
            const char* name = signo == SIGINT ? "SIGINT" : "SIGTERM";
            if (ctx.stopping) {
                log::warn("server", std::string("received ") + name + " again: stopping now");
                ioc.stop();
                return;
            }
            log::info("server", std::string("received ") + name);
            beginShutdown();
            waitForSignal();
        });
    }

    // Ends the event loop once every connection is gone, or when the grace period is over.
    void waitForSessions()
    {
        shutdownTimer.expires_after(std::chrono::milliseconds(20));
        shutdownTimer.async_wait([this](error_code ec) {
            if (ec) {
                return;
            }
            const auto left = ctx.connections.load();
            if (left == 0) {
                signals.cancel();
                ioc.stop();
                return;
            }
            if (std::chrono::steady_clock::now() >= shutdownDeadline) {
                log::warn("server", std::to_string(left) +
                                        " connections did not close within the grace period");
                signals.cancel();
                ioc.stop();
                return;
            }
            waitForSessions();
        });
    }

    // Declaration order is destruction order reversed, and it matters: `database` goes first
    // (its threads post results into `ioc`), then the I/O objects and `ioc` (whose pending
    // handlers hold sessions, which use `ctx`, `sessions` and `tls`), then the rest.
    ops::Config config;
    SessionRegistry sessions;
    ops::Readiness readiness;
    ssl::context tls;
    NodeContext ctx;
    // Before `ioc`: sessions that `ioc`'s pending handlers still hold leave the hub as they go.
    // (It keeps a reference to `database`, declared later, but uses it only once running.)
    sync::SyncHub syncHub{database};
    asio::io_context ioc;
    tcp::acceptor acceptor;
    asio::steady_timer acceptRetry;
    asio::steady_timer shutdownTimer;
    asio::signal_set signals;
    // Used by database jobs: declared before `database`, so they outlive its workers.
    crypto::SecretBox secrets;
    telephony::Directory directory;
    std::atomic<bool> calendarBusy{false}; // a calendar batch is being read, written or recorded
    std::atomic<bool> directoryDue{false}; // read again when the one in flight is done
    std::atomic<bool> directoryLoading{false};                        // a read is queued or running
    std::atomic<std::chrono::steady_clock::rep> directoryLoadedAt{0}; // read by any I/O thread
    db::Database database;
    // After `database`, so it goes first: its jobs may still hand work to the database.
    integrations::Pool integrations;
    // After `database` and `syncHub`, which it uses; stopped with the sessions.
    analytics::LiveAnalytics liveAnalytics;
    asio::steady_timer syncPoll;
    asio::steady_timer telephonyTick;
    std::unique_ptr<db::NotificationListener> listener; // stopped before anything it touches
    std::uint16_t boundPort = 0;
    std::atomic<int> exitCode{0};
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
    // Sessions still held by the I/O context's handlers leave after the live figures engine
    // (declared later, destroyed first): they must not reach it then.
    m_impl->ctx.liveAnalytics = nullptr;
    // Normally run() has joined the migrator; this is the path where run() threw.
    m_impl->ctx.stopping = true;
    m_impl->wakeMigrator();
    if (m_impl->migrator.joinable()) {
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

int Server::run(bool handleSignals)
{
    Impl& d = *m_impl;
    if (handleSignals) {
        d.signals.add(SIGINT);
        d.signals.add(SIGTERM);
        d.waitForSignal();
    }
    d.migrateInBackground();
    // Revocations from any node (or from SQL) close this node's sessions of that sign-in.
    // Committed sync changes (from any node, or SQL) are read once and fanned out to this node's
    // live subscribers of that organisation.
    d.listener = std::make_unique<db::NotificationListener>(
        d.config.dbConninfo,
        std::vector<std::string>{"cc_session_revoked", "cc_sync", "cc_sync_sequenced",
                                 "cc_telephony", "cc_analytics_settings"},
        [&d](const std::string& channel, const std::string& payload) {
            if (payload.empty() || payload.size() > 64) {
                return;
            }
            if (channel == "cc_telephony") {
                d.requestDirectory();
                return;
            }
            if (channel == "cc_analytics_settings") {
                d.liveAnalytics.settingsChanged(payload);
                return;
            }
            if (channel == "cc_sync" || channel == "cc_sync_sequenced") {
                d.syncHub.notify(payload);
                return;
            }
            d.ctx.revocations.add(payload);
            for (const auto& session : d.sessions.snapshot()) {
                session->onSessionRevoked(payload);
            }
        },
        [&d] { d.syncHub.pollAll(); }); // notifications sent while disconnected are lost
    d.pollSync();
    d.tickTelephony();
    d.listener->start();
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
    d.listener->stop();
    d.ctx.stopping = true;
    d.wakeMigrator();
    if (d.migrator.joinable()) {
        d.migrator.join();
    }
    if (d.readiness.migrated()) {
        d.forgetNode();
    }
    d.integrations.stop(); // its jobs' last answers may still go to the database
    d.database.stop();
    log::info("server", d.exitCode == 0 ? "stopped" : "stopped with errors");
    return d.exitCode;
}

void Server::stop()
{
    m_impl->stop();
}

} // namespace cc::server::net
