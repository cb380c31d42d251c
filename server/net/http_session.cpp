#include "callcommander/version.h"
#include "server/db/database.h"
#include "server/db/migrations.h"
#include "server/net/sessions.h"
#include "server/ops/config.h"
#include "server/ops/log.h"
#include "server/ops/metrics.h"
#include "server/ops/readiness.h"
#include "server/sync/hub.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>

namespace cc::server::net {
namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr auto kReadyzTimeout = std::chrono::seconds(3);
constexpr auto kReadyzProbeMaxAge = std::chrono::seconds(1);

Response readyResponse(const Request& req, const std::string& node,
                       const ops::Readiness::Probe& probe)
{
    if (probe.ok) {
        return makeResponse(
            req, http::status::ok,
            {{"status", "ready"}, {"node", node}, {"schemaVersion", probe.schemaVersion}});
    }
    return makeResponse(req, http::status::service_unavailable,
                        {{"status", "not_ready"}, {"node", node}, {"reason", probe.reason}});
}

// Rate limits key on this. An IPv6 client controls a whole /64, so that is its address.
std::string rateKey(const std::string& address)
{
    error_code ec;
    const auto a = asio::ip::make_address(address, ec);
    if (ec) {
        return address;
    }
    if (a.is_v6() && !a.to_v6().is_v4_mapped()) {
        auto bytes = a.to_v6().to_bytes();
        std::fill(bytes.begin() + 8, bytes.end(), 0);
        return asio::ip::address_v6(bytes).to_string() + "/64";
    }
    return a.to_string();
}

// The X-Request-Id a trusted proxy sent when it is a plain identifier, else a new one.
std::string requestIdOf(const Request& req, bool trusted)
{
    const std::string_view given =
        trusted ? std::string_view(req["X-Request-Id"]) : std::string_view();
    const bool plain =
        !given.empty() && given.size() <= 64 && std::all_of(given.begin(), given.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.';
        });
    if (plain) {
        return std::string(given);
    }
    std::array<unsigned char, 8> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    for (unsigned char b : bytes) {
        id.push_back(kHex[b >> 4]);
        id.push_back(kHex[b & 15]);
    }
    return id;
}

bool equalSecrets(std::string_view a, std::string_view b)
{
    // Compared as digests: neither the length nor a prefix leaks through the time taken.
    std::array<unsigned char, SHA256_DIGEST_LENGTH> da{};
    std::array<unsigned char, SHA256_DIGEST_LENGTH> db{};
    SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da.data());
    SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db.data());
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

} // namespace

Response makeResponse(const Request& req, http::status status, const boost::json::object& body)
{
    Response res{status, req.version()};
    res.set(http::field::server, std::string("callcommander-server/") + kVersion);
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.set(http::field::strict_transport_security, "max-age=31536000");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(req.keep_alive());
    if (req.method() != http::verb::head) {
        res.body() = boost::json::serialize(body);
    }
    res.prepare_payload();
    return res;
}

Response errorResponse(const Request& req, http::status status, std::string_view message)
{
    return makeResponse(req, status, {{"error", message}});
}

Response methodNotAllowed(const Request& req, std::string_view allow)
{
    auto res = errorResponse(req, http::status::method_not_allowed, "use " + std::string(allow));
    res.set(http::field::allow, allow);
    return res;
}

HttpSession::HttpSession(NodeContext& ctx, tcp::socket&& socket, ssl::context& tls,
                         beast::flat_buffer&& buffer, ConnectionSlot&& slot)
    : m_ctx(ctx)
    , m_stream(beast::tcp_stream(std::move(socket)), tls)
    , m_executor(m_stream.get_executor())
    , m_socketIp([this] {
        error_code ec;
        auto address = beast::get_lowest_layer(m_stream).socket().remote_endpoint(ec).address();
        return ec ? std::string() : address.to_string();
    }())
    , m_clientIp(m_socketIp)
    , m_peerIp(rateKey(m_socketIp))
    , m_buffer(std::move(buffer))
    , m_slot(std::move(slot))
{}

HttpSession::~HttpSession()
{
    m_ctx.sessions.remove(this);
}

void HttpSession::start()
{
    m_ctx.sessions.add(shared_from_this());
    beast::get_lowest_layer(m_stream).expires_after(m_ctx.config.handshakeTimeout);
    // The detector already read the start of the ClientHello into m_buffer: hand it over.
    m_stream.async_handshake(
        ssl::stream_base::server, m_buffer.data(),
        beast::bind_front_handler(&HttpSession::onHandshake, shared_from_this()));
}

void HttpSession::shutdown()
{
    asio::post(m_executor, [self = shared_from_this()] {
        if (self->m_handedOver) {
            return;
        }
        self->m_closing = true;
        if (!self->m_busy) {
            // Waiting for the next request on a kept-alive connection: stop waiting.
            beast::get_lowest_layer(self->m_stream).cancel();
        }
    });
}

void HttpSession::onHandshake(error_code ec, std::size_t used)
{
    if (ec) {
        log::debug("net", "TLS handshake failed: " + ec.message());
        return;
    }
    m_buffer.consume(used);
    doRead();
}

void HttpSession::doRead()
{
    if (m_closing || m_ctx.stopping) {
        doClose();
        return;
    }
    // Nothing of the last request on this connection speaks for the next one.
    m_requestId.clear();
    m_webhook = false;
    m_clientIp = m_socketIp;
    m_peerIp = rateKey(m_socketIp);
    m_parser.emplace();
    m_parser->header_limit(kMaxHeaderBytes);
    m_parser->body_limit(m_ctx.config.httpMaxBodyBytes);
    beast::get_lowest_layer(m_stream).expires_after(m_ctx.config.idleTimeout);
    http::async_read(m_stream, m_buffer, *m_parser,
                     beast::bind_front_handler(&HttpSession::onRead, shared_from_this()));
}

void HttpSession::onRead(error_code ec, std::size_t /*bytes*/)
{
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout) {
        doClose();
        return;
    }
    if (ec) {
        Request bad;
        bad.version(11);
        bad.keep_alive(false);
        m_busy = true;
        const bool tooLarge = ec == http::error::body_limit || ec == http::error::header_limit;
        send(errorResponse(bad,
                           tooLarge ? http::status::payload_too_large : http::status::bad_request,
                           tooLarge ? "request too large" : "malformed HTTP request"));
        return;
    }
    m_busy = true;
    route(m_parser->release());
}

bool HttpSession::fromTrustedProxy() const
{
    const auto& trusted = m_ctx.config.trustedProxies;
    return std::find(trusted.begin(), trusted.end(), m_socketIp) != trusted.end();
}

std::string HttpSession::clientAddress(const Request& req) const
{
    const auto& trusted = m_ctx.config.trustedProxies;
    const auto isTrusted = [&](const std::string& a) {
        return std::find(trusted.begin(), trusted.end(), a) != trusted.end();
    };
    if (!isTrusted(m_socketIp)) {
        return m_socketIp;
    }
    // Each proxy appends the address it heard from: read from the right, past our own proxies,
    // to the first address they did not add themselves. Anything unreadable ends the walk.
    std::string forwarded;
    for (const auto& field : req) {
        if (beast::iequals(field.name_string(), "X-Forwarded-For")) {
            forwarded += (forwarded.empty() ? "" : ",") + std::string(field.value());
        }
    }
    std::string client = m_socketIp;
    std::size_t end = forwarded.size();
    while (end > 0 && isTrusted(client)) {
        const std::size_t comma = forwarded.rfind(',', end - 1);
        const std::size_t begin = comma == std::string::npos ? 0 : comma + 1;
        std::string hop = forwarded.substr(begin, end - begin);
        hop.erase(0, hop.find_first_not_of(" \t"));
        hop.erase(hop.find_last_not_of(" \t") + 1);
        error_code ec;
        const auto address = asio::ip::make_address(hop, ec);
        if (ec) {
            break;
        }
        client = address.to_string();
        end = comma == std::string::npos ? 0 : comma;
    }
    return client;
}

void HttpSession::route(Request&& req)
{
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    m_requestStart = std::chrono::steady_clock::now();
    m_requestId = requestIdOf(req, fromTrustedProxy());
    m_clientIp = clientAddress(req);
    m_peerIp = rateKey(m_clientIp);
    m_webhook = path.starts_with("/twilio/");
    // This request's log lines and database jobs say which request they serve.
    const log::Scope scope({m_requestId, {}});

    if (path.starts_with("/twilio/")) {
        handleTwilio(std::move(req), path); // signed by the provider; budgets of its own
        return;
    }
    if (const auto budget = m_ctx.limits.requestsPerIp.take(m_peerIp); !budget.allowed) {
        auto res = errorResponse(req, http::status::too_many_requests, "rate_limited");
        res.set(http::field::retry_after, std::to_string(budget.retryAfter.count()));
        send(std::move(res));
        return;
    }
    if (path == "/metrics") {
        handleMetrics(req);
        return;
    }
    if (path.starts_with("/v1/auth/")) {
        handleAuth(std::move(req), path);
        return;
    }
    if (path == "/v1/analytics" || path == "/v1/admin/analytics-settings") {
        handleAnalytics(std::move(req), path);
        return;
    }
    if (path == "/v1/admin/customers" || path.starts_with("/v1/admin/customers/") ||
        path == "/v1/me/cache-key") {
        handlePrivacy(std::move(req), path);
        return;
    }
    if (path.starts_with("/v1/admin/") || path == "/v1/me/presence") {
        handleAdmin(std::move(req), path);
        return;
    }
    if (path == "/v1/stock") {
        handleIntegrations(std::move(req), path);
        return;
    }

    if (websocket::is_upgrade(req)) {
        if (path != "/ws") {
            send(errorResponse(req, http::status::not_found, "WebSocket endpoint is /ws"));
            return;
        }
        if (m_ctx.stopping) {
            send(errorResponse(req, http::status::service_unavailable, "server is stopping"));
            return;
        }
        // The WebSocket session takes the TLS stream over; this HTTP session ends here.
        beast::get_lowest_layer(m_stream).expires_never();
        m_busy = false;
        m_handedOver = true;
        std::make_shared<WsSession>(m_ctx, std::move(m_stream), std::move(m_slot), m_clientIp)
            ->run(std::move(req));
        return;
    }
    if (path != "/healthz" && path != "/readyz") {
        send(errorResponse(req, http::status::not_found, "no such endpoint"));
        return;
    }
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
        send(methodNotAllowed(req, "GET, HEAD"));
        return;
    }
    if (path == "/healthz") {
        // Alive: the process answers. Says nothing about the database (that is /readyz).
        send(makeResponse(req, http::status::ok,
                          {{"status", "ok"}, {"node", m_ctx.node}, {"version", kVersion}}));
        return;
    }
    readyz(req);
}

void HttpSession::readyz(const Request& req)
{
    if (m_ctx.stopping) {
        send(makeResponse(req, http::status::service_unavailable,
                          {{"status", "stopping"}, {"node", m_ctx.node}}));
        return;
    }
    if (!m_ctx.readiness.migrated()) {
        send(makeResponse(req, http::status::service_unavailable,
                          {{"status", "not_ready"},
                           {"node", m_ctx.node},
                           {"reason", m_ctx.readiness.problem()}}));
        return;
    }
    if (auto recent = m_ctx.readiness.recentProbe(kReadyzProbeMaxAge)) {
        send(readyResponse(req, m_ctx.node, *recent));
        return;
    }
    // Ask the database now: ready means it answers and has our schema, not that it did once.
    // The timer holds this session until the answer is sent (at most kReadyzTimeout); the
    // database job only holds a weak reference, so a slow database cannot pile sessions up.
    struct Pending {
        Request req;
        std::atomic<bool> answered{false};
        asio::steady_timer timer;
        Pending(Request r, const asio::any_io_executor& ex)
            : req(std::move(r))
            , timer(ex)
        {}
    };
    auto pending = std::make_shared<Pending>(req, m_executor);
    auto answer = [weak = weak_from_this(), executor = m_executor, pending,
                   node = m_ctx.node](const ops::Readiness::Probe& probe) {
        if (pending->answered.exchange(true)) {
            return;
        }
        asio::dispatch(executor, [weak, pending, probe, node] {
            pending->timer.cancel();
            if (auto self = weak.lock()) {
                self->send(readyResponse(pending->req, node, probe));
            }
        });
    };
    pending->timer.expires_after(kReadyzTimeout);
    pending->timer.async_wait([self = shared_from_this(), answer](error_code ec) {
        if (!ec) {
            answer({false, 0, "database timed out", std::chrono::steady_clock::now()});
        }
    });
    const int expected = db::embeddedMigrations().back().version;
    ops::Readiness& readiness = m_ctx.readiness;
    m_ctx.database.submit(
        [answer, expected, &readiness](pqxx::connection& conn) {
            pqxx::read_transaction txn(conn);
            const int applied =
                txn.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
            ops::Readiness::Probe probe{applied >= expected, applied,
                                        applied >= expected ? "" : "schema out of date",
                                        std::chrono::steady_clock::now()};
            readiness.recordProbe(probe);
            answer(probe);
        },
        [answer, &readiness](const std::string& reason) {
            log::warn("readyz", reason);
            ops::Readiness::Probe probe{false, 0, "database unavailable",
                                        std::chrono::steady_clock::now()};
            readiness.recordProbe(probe);
            answer(probe);
        });
}

void HttpSession::handleMetrics(const Request& req)
{
    if (m_ctx.config.metricsToken.empty()) {
        send(errorResponse(req, http::status::not_found,
                           "metrics are off on this node (set metrics.token)"));
        return;
    }
    const std::string_view auth = req[http::field::authorization];
    constexpr std::string_view kBearer = "Bearer "; // the scheme in any case (RFC 7235)
    if (auth.size() < kBearer.size() || !beast::iequals(auth.substr(0, kBearer.size()), kBearer) ||
        !equalSecrets(auth.substr(kBearer.size()), m_ctx.config.metricsToken)) {
        send(unauthenticatedResponse(req));
        return;
    }
    if (req.method() != http::verb::get) {
        send(methodNotAllowed(req, "GET"));
        return;
    }
    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    std::vector<ops::Gauge> gauges = {
        {"connections", "Open TCP connections, all kinds.",
         static_cast<double>(m_ctx.connections.load())},
        {"devices", "Signed-in devices connected to this node.",
         static_cast<double>(m_ctx.devices.size())},
        {"sync_subscribers", "Devices receiving live changes from this node.",
         static_cast<double>(m_ctx.syncHub != nullptr ? m_ctx.syncHub->subscribers() : 0)},
        {"db_pool_size", "Database worker connections.",
         static_cast<double>(m_ctx.database.workers())},
        {"db_pool_busy", "Database workers running a job now.",
         static_cast<double>(m_ctx.database.busy())},
        {"db_queue", "Database jobs waiting for a worker.",
         static_cast<double>(m_ctx.database.queued())},
        {"uptime_seconds", "Seconds since the node started.",
         seconds(std::chrono::steady_clock::now() - m_ctx.started)},
    };
    Response res{http::status::ok, req.version()};
    res.set(http::field::server, std::string("callcommander-server/") + kVersion);
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = ops::renderPrometheus(ops::metrics(), gauges);
    res.prepare_payload();
    send(std::move(res));
}

void HttpSession::send(Response&& res)
{
    if (!m_requestId.empty()) {
        res.set("X-Request-Id", m_requestId);
    }
    const unsigned statusClass = std::clamp(res.result_int() / 100, 1U, 5U);
    ops::metrics().httpResponses[statusClass - 1].add();
    if (m_webhook) {
        ops::metrics().webhookSeconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - m_requestStart)
                .count());
    }
    const bool keepAlive = res.keep_alive() && !m_closing;
    res.keep_alive(keepAlive);
    m_response = std::make_shared<Response>(std::move(res));
    beast::get_lowest_layer(m_stream).expires_after(m_ctx.config.idleTimeout);
    http::async_write(
        m_stream, *m_response,
        beast::bind_front_handler(&HttpSession::onWrite, shared_from_this(), keepAlive));
}

void HttpSession::onWrite(bool keepAlive, error_code ec, std::size_t /*bytes*/)
{
    m_response.reset();
    m_busy = false;
    if (ec) {
        log::debug("net", "HTTP write failed: " + ec.message());
        return;
    }
    if (!keepAlive) {
        doClose();
        return;
    }
    doRead();
}

void HttpSession::doClose()
{
    beast::get_lowest_layer(m_stream).expires_after(std::chrono::seconds(3));
    m_stream.async_shutdown([self = shared_from_this()](error_code) {
        beast::get_lowest_layer(self->m_stream).close();
    });
}

} // namespace cc::server::net
