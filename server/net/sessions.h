#pragma once

// Private to server/net: what the listener hands to sessions, and the session types.

#include "server/analytics/live.h"
#include "server/auth/auth_service.h"
#include "server/auth/policy.h"
#include "server/auth/ratelimit.h"
#include "server/auth/tokens.h"
#include "server/net/beast.h"
#include "server/net/client_protocol.h"
#include "server/sync/hub.h"
#include "shared/sync/hlc.h"

#include <pqxx/connection>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace boost::json {
class object;
class value;
} // namespace boost::json

namespace cc::server {
namespace db {
class Database;
}
namespace ops {
struct Config;
class Readiness;
} // namespace ops
namespace crypto {
class SecretBox;
}
namespace integrations {
class Pool;
}
namespace telephony {
class Directory;
struct Webhook;
} // namespace telephony
} // namespace cc::server

namespace cc::server::net {

// Anything the graceful shutdown must close.
class Closable {
public:
    virtual ~Closable() = default;
    virtual void shutdown() = 0; // thread-safe; posts to the session's strand
    // A login session was revoked (on any node); thread-safe. Sessions speaking for it close.
    virtual void onSessionRevoked(const std::string& /*sessionId*/) {}
};

class SessionRegistry {
public:
    void add(const std::shared_ptr<Closable>& session);
    void remove(const Closable* session);
    std::vector<std::shared_ptr<Closable>> snapshot() const;
    std::size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::unordered_map<const Closable*, std::weak_ptr<Closable>> m_sessions;
};

// Counts one open connection, from accept to close. It moves along as the connection changes
// hands (detector, HTTP session, WebSocket session), so the count is exact whatever happens.
class ConnectionSlot {
public:
    ConnectionSlot() = default;
    explicit ConnectionSlot(std::atomic<std::size_t>& counter)
        : m_counter(&counter)
    {
        ++counter;
    }
    ConnectionSlot(ConnectionSlot&& other) noexcept
        : m_counter(std::exchange(other.m_counter, nullptr))
    {}
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept
    {
        release();
        m_counter = std::exchange(other.m_counter, nullptr);
        return *this;
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot() { release(); }

private:
    void release()
    {
        if (m_counter != nullptr) {
            --*m_counter;
            m_counter = nullptr;
        }
    }
    std::atomic<std::size_t>* m_counter = nullptr;
};

// Sign-ins revoked in the last minute, as announced by NOTIFY. A hello whose session check read
// "live" just before the revocation committed consults this before it welcomes.
class RecentRevocations {
public:
    void add(const std::string& sessionId)
    {
        const std::lock_guard lock(m_mutex);
        const auto now = std::chrono::steady_clock::now();
        while (!m_entries.empty() && now - m_entries.front().second > std::chrono::minutes(1)) {
            m_entries.pop_front();
        }
        if (m_entries.size() < 100'000) {
            m_entries.emplace_back(sessionId, now);
        }
    }
    bool contains(const std::string& sessionId) const
    {
        const std::lock_guard lock(m_mutex);
        return std::any_of(m_entries.begin(), m_entries.end(),
                           [&](const auto& e) { return e.first == sessionId; });
    }

private:
    mutable std::mutex m_mutex;
    std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> m_entries;
};

// Request budgets of one node (see docs/security.md). Per node: behind a load balancer with N
// nodes a client gets up to N times these.
struct Limits {
    // Every HTTP request, per client address.
    auth::RateLimiter requestsPerIp{{50.0, 200.0, 100'000}};
    // Sign-in attempts per client address. A store's tablets share one address behind its
    // router: room for all of them at opening time.
    auth::RateLimiter loginsPerIp{{30.0 / 60, 60.0, 100'000}};
    // Sign-in attempts per organisation + e-mail (lower case): the brute-force brake.
    auth::RateLimiter loginsPerAccount{{5.0 / 60, 5.0, 100'000}};
    // Provider webhooks, per address: signed, and Twilio sends a busy chain's calls from few
    // addresses, so far above the per-request budget; bad signatures have a budget of their own.
    auth::RateLimiter webhooksPerIp{{2'000.0, 4'000.0, 100'000}};
    auth::RateLimiter badSignaturesPerIp{{1.0, 20.0, 100'000}};
};

// A signed-in device's row in device_sessions, which is how routing knows its person is online.
// Written and removed by database jobs that may run in either order on different workers: the
// insert is skipped once `closed`, and the removal finds the row id the insert left (under
// `mutex`, which only database threads take).
struct DeviceRegistration {
    std::string userId;
    std::string organisationId;
    std::mutex mutex;
    std::string rowId; // empty: not (or no longer) written
    std::atomic<bool> closed{false};
};

// Writes the row of `device` if it is still open and not written (database threads only).
void registerDevice(pqxx::connection& conn, const std::string& node, const std::string& incarnation,
                    DeviceRegistration& device);

// Writes, in one statement, the rows of every open device in `devices` that has none; with
// `forgetRows`, first takes every row as gone (the node's row was just re-created, which removed
// them). Database threads only.
void registerDevices(pqxx::connection& conn, const std::string& node,
                     const std::string& incarnation,
                     const std::vector<std::shared_ptr<DeviceRegistration>>& devices,
                     bool forgetRows);

// The signed-in devices of this node. The heartbeat writes again those whose row is missing: a
// write that failed, or every one of them after other nodes took this node for dead (its row and
// sessions removed while the database was out of its reach).
class DeviceRegistry {
public:
    void add(const std::shared_ptr<DeviceRegistration>& device);
    void remove(const DeviceRegistration* device);
    std::vector<std::shared_ptr<DeviceRegistration>> snapshot() const;
    std::size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::unordered_map<const DeviceRegistration*, std::weak_ptr<DeviceRegistration>> m_devices;
};

// A random UUID naming this server process.
std::string newIncarnation();

// Shared by every session of one node; outlives them all.
struct NodeContext {
    NodeContext(const ops::Config& configRef, db::Database& databaseRef,
                ops::Readiness& readinessRef, SessionRegistry& sessionsRef, std::string nodeName,
                auth::TokenSigner tokenSigner, auth::AuthSettings settings)
        : config(configRef)
        , database(databaseRef)
        , readiness(readinessRef)
        , sessions(sessionsRef)
        , node(std::move(nodeName))
        , signer(std::move(tokenSigner))
        , authSettings(settings)
    {}

    const ops::Config& config;
    db::Database& database;
    ops::Readiness& readiness;
    SessionRegistry& sessions;
    std::string node;
    std::string incarnation = newIncarnation(); // this process, among nodes of the same name
    auth::TokenSigner signer;
    auth::AuthSettings authSettings;
    Limits limits;
    RecentRevocations revocations;
    DeviceRegistry devices;
    sync::SyncHub* syncHub = nullptr;                  // set once by the server before it accepts
    telephony::Directory* directory = nullptr;         // likewise
    const crypto::SecretBox* secrets = nullptr;        // likewise
    integrations::Pool* integrations = nullptr;        // likewise
    analytics::LiveAnalytics* liveAnalytics = nullptr; // likewise
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> connections{0}; // open TCP connections, all kinds
    const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

using Response = http::response<http::string_body>;
using Request = http::request<http::string_body>;

// A JSON answer to `req` with the headers every response of ours carries.
Response makeResponse(const Request& req, http::status status, const boost::json::object& body);
Response errorResponse(const Request& req, http::status status, std::string_view message);
// 401 with WWW-Authenticate: Bearer.
Response unauthenticatedResponse(const Request& req);
// 405 with Allow: `allow` ("GET, HEAD").
Response methodNotAllowed(const Request& req, std::string_view allow);

// On a database thread: whether the caller's sign-in is still live and their current role (not
// the token's) may do `operation`; if not, `reply` has been given the 401 or 403.
bool confirmRole(pqxx::connection& conn, const auth::Claims& caller, auth::Operation operation,
                 const std::function<void(http::status, boost::json::value)>& reply);

// A TLS connection speaking HTTP/1.1: health endpoints, and the upgrade to a WebSocket.
class HttpSession : public Closable, public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(NodeContext& ctx, tcp::socket&& socket, ssl::context& tls,
                beast::flat_buffer&& buffer, ConnectionSlot&& slot);
    ~HttpSession() override;
    void start();
    void shutdown() override;

private:
    void onHandshake(error_code ec, std::size_t used);
    void doRead();
    void onRead(error_code ec, std::size_t bytes);
    void route(Request&& req);
    void readyz(const Request& req);
    void handleAuth(Request&& req, std::string_view path);  // http_auth.cpp
    void handleAdmin(Request&& req, std::string_view path); // http_admin.cpp
    // The bearer token's claims when it is valid and its role may do `operation`; otherwise the
    // 401 or 403 is sent and nothing is returned. The database re-checks the live role.
    std::optional<auth::Claims> authorise(const Request& req, auth::Operation operation);
    // Answers `req` later, from any thread: a JSON object with the status (401 adds
    // WWW-Authenticate). Takes the request over.
    using JsonReply = std::function<void(http::status, boost::json::value)>;
    JsonReply jsonReply(Request&& req);
    void handleTwilio(Request&& req, std::string_view path); // http_twilio.cpp
    using TwilioAnswer = std::function<void(http::status, std::string, bool xml)>;
    void answerStock(std::shared_ptr<telephony::Webhook> hook, TwilioAnswer answer,
                     std::string whenNotApplied, std::chrono::steady_clock::time_point received);
    void handleIntegrations(Request&& req, std::string_view path); // http_integrations.cpp
    void handleAnalytics(Request&& req, std::string_view path);    // http_analytics.cpp
    void handlePrivacy(Request&& req, std::string_view path);      // http_privacy.cpp
    void handleMetrics(const Request& req);
    // The client's address: the socket's, or behind a trusted load balancer the one
    // X-Forwarded-For names.
    std::string clientAddress(const Request& req) const;
    bool fromTrustedProxy() const;
    void send(Response&& res);
    void onWrite(bool keepAlive, error_code ec, std::size_t bytes);
    void doClose();

    NodeContext& m_ctx;
    TlsStream m_stream;
    asio::any_io_executor m_executor; // the connection's strand; outlives a handed-over stream
    std::string m_socketIp;           // the connection's peer, as it is
    std::string m_clientIp;           // the current request's client (audit log, logs)
    std::string m_peerIp;             // the same as rate limits key it (an IPv6 client by its /64)
    std::string m_requestId;
    std::chrono::steady_clock::time_point m_requestStart;
    bool m_webhook = false; // the current request is a provider's webhook
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::shared_ptr<Response> m_response; // kept alive while being written
    bool m_busy = false;                  // a request is being answered
    bool m_closing = false;
    bool m_handedOver = false; // the stream now belongs to a WsSession
    ConnectionSlot m_slot;
};

// A secure WebSocket client, from its upgrade request to its close.
class WsSession : public Closable,
                  public sync::SyncSubscriber,
                  public analytics::LiveSubscriber,
                  public std::enable_shared_from_this<WsSession> {
public:
    WsSession(NodeContext& ctx, TlsStream&& stream, ConnectionSlot&& slot, std::string peer);
    ~WsSession() override;
    void run(Request&& upgrade);
    void shutdown() override;
    void onSessionRevoked(const std::string& sessionId) override;
    // Queues a message for this client; thread-safe. A client whose queue outgrows the
    // configured limit is closed rather than allowed to hold the server's memory.
    void send(std::shared_ptr<const std::string> message);
    void deliver(std::shared_ptr<const sync::SharedBatch> batch) override;
    void sendAnalytics(std::shared_ptr<const std::string> message) override;

private:
    // Sync (ws_sync.cpp): catch-up in pages the client pulls, then live batches from the hub.
    enum class SyncMode { Idle, Reading, AwaitingPull, Live };
    void handleSync(SyncRequest&& request);
    // Live figures (docs/analytics.md): which stores this person may watch, then subscribe.
    void watchAnalytics(const std::string& id, const protocol::AnalyticsSubscribe& request);
    void subscribe(const std::string& id, const protocol::Subscribe& request);
    void pull(const std::string& id, const protocol::Pull& request);
    void push(std::string id, protocol::Push&& request);
    void startPush();
    void readNextPage(bool countRemaining, bool serverInitiated);
    void sendPage(sync::Page&& page, bool reset);
    void goLive();
    void onSyncBatch(const std::shared_ptr<const sync::SharedBatch>& batch);
    void replyError(protocol::ErrorCode code, std::string message, const std::string& id);
    void closeDisabled(const std::string& id);
    bool changesOwnAccess(const std::vector<protocol::SyncRow>& rows) const;
    void closeForAccessChange();
    bool understandsWildcards() const;
    void downloadAgain();

    void onAccept(error_code ec);
    void doRead();
    void onRead(error_code ec, std::size_t bytes);
    void apply(ProtocolOutcome&& outcome);
    void checkSession(const auth::Claims& claims);
    void onPrincipalChanged();
    void enqueue(std::shared_ptr<const std::string> message);
    void doWrite();
    void onWrite(error_code ec, std::size_t bytes);
    void closeWith(websocket::close_reason reason);
    void doClose();
    void abort(); // drops the TCP connection without a closing handshake

    NodeContext& m_ctx;
    websocket::stream<TlsStream> m_ws;
    beast::flat_buffer m_buffer;
    asio::steady_timer m_helloTimer;
    asio::steady_timer m_closeTimer;
    asio::steady_timer m_expiryTimer;
    asio::steady_timer m_syncRetry; // a catch-up read the server started, after a failure
    ClientProtocol m_protocol;
    std::deque<std::shared_ptr<const std::string>> m_queue;
    std::size_t m_queuedBytes = 0;
    bool m_writing = false;
    bool m_accepted = false; // the upgrade is complete; before that, a close waits for it
    std::optional<websocket::close_reason> m_pendingClose;
    bool m_closing = false;
    std::string m_peer;
    ConnectionSlot m_slot;

    SyncMode m_syncMode = SyncMode::Idle;
    std::optional<sync::SyncScope> m_scope;
    std::int64_t m_cursor = 0;       // the client holds everything of its scope up to here
    bool m_snapshotting = false;     // the pages sent since the last reset are not complete yet
    std::int64_t m_scopeVersion = 0; // m_scope reflects every change numbered up to here
    std::int64_t m_remaining = 0;    // rows left in the current catch-up (for progress)
    bool m_registered = false;       // with the hub
    std::deque<std::shared_ptr<const sync::SharedBatch>> m_heldBatches; // while catching up
    bool m_batchesOverflowed = false;
    std::deque<std::pair<std::string, protocol::Push>> m_pushes; // waiting behind the one running
    bool m_pushing = false;
    std::shared_ptr<cc::sync::HlcClock> m_clock;  // used by one push at a time, on a DB thread
    std::shared_ptr<DeviceRegistration> m_device; // from the first welcome on
};

} // namespace cc::server::net
