#include "tests/fakes/provider_fakes.h"

#include "tests/fakes/fake_http.h"
#include "tests/fakes/google_fake.h"
#include "tests/fakes/shopify_fake.h"
#include "tests/fakes/square_fake.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace cc::fakes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kDefaultMaxBody = 1024 * 1024;
// Bodies up to this size are read whole (and answered 413 when over the configured maximum),
// so that the client sees the answer rather than a reset; larger ones close the connection.
constexpr std::uint64_t kReadLimit = 16 * 1024 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr auto kShutdownTimeout = std::chrono::seconds(2);
constexpr std::string_view kServerName = "callcommander-provider-fakes";

std::size_t indexOf(Provider p)
{
    return static_cast<std::size_t>(p);
}

// Which provider a path belongs to: by its prefix, as the three live on one port.
std::optional<Provider> providerOf(std::string_view path)
{
    if (detail::startsWith(path, "/admin/")) {
        return Provider::Shopify;
    }
    if (detail::startsWith(path, "/v2/")) {
        return Provider::Square;
    }
    if (path == "/token" || detail::startsWith(path, "/calendar/")) {
        return Provider::Google;
    }
    return std::nullopt;
}

// ---- the network: one TLS port, sessions with keep-alive ----

class Session;

// What the sessions share with the server that owns them; outlives every session.
struct ServerShared {
    std::function<detail::Outcome(detail::Request)> handler; // called on the io thread
    std::atomic<std::size_t> connections{0};
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, ssl::context& tls, ServerShared& shared)
        : m_stream(beast::tcp_stream(std::move(socket)), tls)
        , m_shared(shared)
        , m_timer(m_stream.get_executor())
    {}

    void run()
    {
        beast::get_lowest_layer(m_stream).expires_after(kHandshakeTimeout);
        m_stream.async_handshake(ssl::stream_base::server,
                                 [self = shared_from_this()](error_code ec) {
                                     if (!ec) {
                                         self->doRead();
                                     }
                                 });
    }

    // Closes the socket at once, no TLS close_notify (io thread only).
    void closeNow()
    {
        m_timer.cancel();
        error_code ignored;
        beast::get_lowest_layer(m_stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(m_stream).socket().close(ignored);
    }

private:
    void doRead()
    {
        m_parser.emplace();
        m_parser->header_limit(kHeaderLimit);
        m_parser->body_limit(kReadLimit);
        beast::get_lowest_layer(m_stream).expires_after(kIdleTimeout);
        http::async_read_header(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](error_code ec, std::size_t) { self->onHeader(ec); });
    }

    // A client that asks (curl does for larger bodies) is told to go on before the body.
    void onHeader(error_code ec)
    {
        if (ec) {
            onRead(ec);
            return;
        }
        if (!detail::iequals(m_parser->get()[http::field::expect], "100-continue")) {
            readBody();
            return;
        }
        m_continue = {http::status::continue_, m_parser->get().version()};
        http::async_write(m_stream, m_continue,
                          [self = shared_from_this()](error_code e, std::size_t) {
                              if (e) {
                                  self->closeNow();
                              } else {
                                  self->readBody();
                              }
                          });
    }

    void readBody()
    {
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(error_code ec)
    {
        if (ec == http::error::end_of_stream) {
            shutdown();
            return;
        }
        if (ec) {
            closeNow();
            return;
        }
        auto& req = m_parser->get();
        detail::Request request;
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        const std::size_t q = request.target.find('?');
        request.path = request.target.substr(0, q);
        request.query = q == std::string::npos ? std::string() : request.target.substr(q + 1);
        for (const auto& field : req) {
            request.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
        }
        request.body = std::move(req.body());
        m_keepAlive = req.keep_alive();
        m_version = req.version();

        detail::Outcome outcome;
        try {
            outcome = m_shared.handler(std::move(request));
        } catch (const std::exception& e) {
            outcome.response =
                detail::jsonResponse(500, boost::json::object{{"error", std::string(e.what())}});
            outcome.closeAfter = true;
        }
        if (outcome.action == detail::Outcome::Action::Close) {
            closeNow();
            return;
        }
        m_closeAfter = outcome.closeAfter;
        if (outcome.delay.count() > 0) {
            m_delayed = std::move(outcome.response);
            beast::get_lowest_layer(m_stream).expires_never();
            m_timer.expires_after(outcome.delay);
            m_timer.async_wait([self = shared_from_this()](error_code e) {
                if (!e) {
                    self->write(std::move(self->m_delayed));
                }
            });
            return;
        }
        write(std::move(outcome.response));
    }

    void write(detail::Response r)
    {
        m_response = {};
        m_response.version(m_version);
        m_response.result(static_cast<unsigned>(r.status));
        m_response.set(http::field::server, kServerName);
        if (!r.contentType.empty()) {
            m_response.set(http::field::content_type, r.contentType);
        }
        for (const auto& [name, value] : r.headers) {
            m_response.set(name, value);
        }
        m_response.body() = std::move(r.body);
        m_response.keep_alive(m_keepAlive && !m_closeAfter);
        m_response.prepare_payload();
        beast::get_lowest_layer(m_stream).expires_after(kWriteTimeout);
        http::async_write(m_stream, m_response,
                          [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) {
                                  self->closeNow();
                              } else if (!self->m_response.keep_alive()) {
                                  self->shutdown();
                              } else {
                                  self->doRead();
                              }
                          });
    }

    void shutdown()
    {
        beast::get_lowest_layer(m_stream).expires_after(kShutdownTimeout);
        m_stream.async_shutdown([self = shared_from_this()](error_code) { self->closeNow(); });
    }

    TlsStream m_stream;
    ServerShared& m_shared;
    asio::steady_timer m_timer;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    http::response<http::string_body> m_response;
    http::response<http::empty_body> m_continue;
    detail::Response m_delayed;
    bool m_keepAlive = true;
    bool m_closeAfter = false;
    unsigned m_version = 11;
};

class HttpsServer {
public:
    explicit HttpsServer(std::function<detail::Outcome(detail::Request)> handler)
    {
        m_shared.handler = std::move(handler);
    }

    ~HttpsServer() { stop(); }
    HttpsServer(const HttpsServer&) = delete;
    HttpsServer& operator=(const HttpsServer&) = delete;

    void start(const std::string& certFile, const std::string& keyFile, std::uint16_t port)
    {
        if (m_thread.joinable() || m_stopped) {
            throw std::logic_error("the provider fakes start once");
        }
        m_tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1);
        error_code ec;
        m_tls.use_certificate_chain_file(certFile, ec);
        if (ec) {
            throw std::runtime_error("cannot load the TLS certificate " + certFile + ": " +
                                     ec.message());
        }
        m_tls.use_private_key_file(keyFile, ssl::context::pem, ec);
        if (ec) {
            throw std::runtime_error("cannot load the TLS key " + keyFile + ": " + ec.message());
        }
        const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
        m_acceptor.open(endpoint.protocol(), ec);
        if (!ec) {
            m_acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        }
        if (!ec) {
            m_acceptor.bind(endpoint, ec);
        }
        if (!ec) {
            m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            error_code ignored;
            m_acceptor.close(ignored);
            throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                                     ec.message());
        }
        m_port = m_acceptor.local_endpoint().port();
        doAccept();
        m_thread = std::thread([this] { m_ioc.run(); });
    }

    void stop()
    {
        if (!m_thread.joinable()) {
            return;
        }
        asio::post(m_ioc, [this] {
            error_code ignored;
            m_acceptor.close(ignored);
            for (const auto& weak : m_sessions) {
                if (auto session = weak.lock()) {
                    session->closeNow();
                }
            }
            m_sessions.clear();
            m_ioc.stop();
        });
        m_thread.join();
        m_stopped = true;
    }

    std::uint16_t port() const { return m_port; }
    std::size_t connections() const { return m_shared.connections.load(); }

private:
    void doAccept()
    {
        m_acceptor.async_accept(m_ioc, [this](error_code ec, tcp::socket socket) {
            if (ec) {
                if (ec != asio::error::operation_aborted) {
                    doAccept();
                }
                return;
            }
            ++m_shared.connections;
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto session = std::make_shared<Session>(std::move(socket), m_tls, m_shared);
            std::erase_if(m_sessions, [](const std::weak_ptr<Session>& s) { return s.expired(); });
            m_sessions.push_back(session);
            session->run();
            doAccept();
        });
    }

    // Destroyed in reverse: the thread is joined first, then the sessions go with the
    // io_context's handlers, before the TLS context and the shared state they use.
    ServerShared m_shared;
    ssl::context m_tls{ssl::context::tls_server};
    asio::io_context m_ioc{1};
    asio::executor_work_guard<asio::io_context::executor_type> m_work{m_ioc.get_executor()};
    tcp::acceptor m_acceptor{m_ioc};
    std::vector<std::weak_ptr<Session>> m_sessions; // io thread only
    std::uint16_t m_port = 0;
    bool m_stopped = false;
    std::thread m_thread;
};

} // namespace

// ---- Fault ----

Fault Fault::error(int status, std::optional<int> retryAfterSeconds, std::string body)
{
    Fault f;
    f.kind = Kind::Status;
    f.httpStatus = status;
    f.retryAfterSeconds = retryAfterSeconds;
    f.body = std::move(body);
    return f;
}

Fault Fault::delayed(std::chrono::milliseconds delay)
{
    Fault f;
    f.kind = Kind::Delay;
    f.delay = delay;
    return f;
}

Fault Fault::malformedJson()
{
    Fault f;
    f.kind = Kind::MalformedJson;
    return f;
}

Fault Fault::closeConnection()
{
    Fault f;
    f.kind = Kind::CloseConnection;
    return f;
}

Fault& Fault::onPath(std::string part) &
{
    pathContains = std::move(part);
    return *this;
}

Fault&& Fault::onPath(std::string part) &&
{
    pathContains = std::move(part);
    return std::move(*this);
}

std::string RecordedRequest::header(const std::string& name) const
{
    for (const auto& [key, value] : headers) {
        if (detail::iequals(key, name)) {
            return value;
        }
    }
    return {};
}

// ---- ProviderFakes ----

struct ProviderFakes::Impl {
    Impl(std::string cert, std::string key)
        : certFile(std::move(cert))
        , keyFile(std::move(key))
        , server([this](detail::Request r) { return dispatch(std::move(r)); })
    {}

    detail::Response providerError(Provider provider, int status, const std::string& path)
    {
        switch (provider) {
        case Provider::Shopify:
            return shopify.errorResponse(status);
        case Provider::Square:
            return detail::SquareFake::errorResponse(status);
        case Provider::Google:
            return detail::GoogleFake::errorResponse(status, path);
        }
        return detail::jsonResponse(status, boost::json::object{});
    }

    detail::Response handle(Provider provider, const detail::Request& request,
                            detail::Clock::time_point now, Counters& counts)
    {
        switch (provider) {
        case Provider::Shopify:
            return shopify.handle(request, now, counts);
        case Provider::Square:
            return square.handle(request, counts);
        case Provider::Google:
            return google.handle(request, now, counts);
        }
        return detail::jsonResponse(404, boost::json::object{});
    }

    // On the io thread: records the request, applies the next matching fault or answers.
    detail::Outcome dispatch(detail::Request request)
    {
        detail::Outcome outcome;
        const auto provider = providerOf(request.path);
        if (!provider) {
            outcome.response = detail::jsonResponse(
                404, boost::json::object{{"error", "not_found"},
                                         {"message", "No provider fake serves " + request.path}});
            return outcome;
        }
        const std::size_t i = indexOf(*provider);
        const auto now = detail::Clock::now();
        const std::lock_guard lock(mutex);
        ++counters[i].requests;
        log[i].push_back({request.method, request.target, request.headers, request.body});
        if (request.body.size() > maxBodyBytes) {
            outcome.response = providerError(*provider, 413, request.path);
            outcome.closeAfter = true;
            return outcome;
        }
        auto& queue = faults[i];
        const auto it = std::find_if(queue.begin(), queue.end(), [&](const Fault& f) {
            return request.path.find(f.pathContains) != std::string::npos;
        });
        if (it == queue.end()) {
            outcome.response = handle(*provider, request, now, counters[i]);
            return outcome;
        }
        const Fault fault = *it;
        queue.erase(it);
        ++counters[i].faultsApplied;
        switch (fault.kind) {
        case Fault::Kind::Status:
            if (fault.body.empty()) {
                outcome.response = providerError(*provider, fault.httpStatus, request.path);
            } else {
                outcome.response.status = fault.httpStatus;
                outcome.response.body = fault.body;
            }
            if (fault.retryAfterSeconds) {
                outcome.response.headers.emplace_back("Retry-After",
                                                      std::to_string(*fault.retryAfterSeconds));
            }
            break;
        case Fault::Kind::Delay:
            outcome.delay = fault.delay;
            outcome.response = handle(*provider, request, now, counters[i]);
            break;
        case Fault::Kind::MalformedJson:
            outcome.response.status = 200;
            if (!fault.body.empty()) {
                outcome.response.body = fault.body;
            } else if (*provider == Provider::Shopify) {
                outcome.response.body = detail::ShopifyFake::malformedBody();
            } else if (*provider == Provider::Square) {
                outcome.response.body = detail::SquareFake::malformedBody();
            } else {
                outcome.response.body = detail::GoogleFake::malformedBody();
            }
            break;
        case Fault::Kind::CloseConnection:
            outcome.action = detail::Outcome::Action::Close;
            break;
        }
        return outcome;
    }

    const std::string certFile;
    const std::string keyFile;
    mutable std::mutex mutex;
    detail::ShopifyFake shopify;
    detail::SquareFake square;
    detail::GoogleFake google;
    std::array<std::deque<Fault>, 3> faults;
    std::array<std::vector<RecordedRequest>, 3> log;
    std::array<Counters, 3> counters{};
    std::size_t maxBodyBytes = kDefaultMaxBody;
    // Last: stopped and destroyed first, while the state its handler uses still exists.
    HttpsServer server;
};

ProviderFakes::ProviderFakes(std::string certFile, std::string keyFile)
    : m_impl(std::make_unique<Impl>(std::move(certFile), std::move(keyFile)))
{}

ProviderFakes::~ProviderFakes()
{
    stop();
}

void ProviderFakes::start(std::uint16_t port)
{
    m_impl->server.start(m_impl->certFile, m_impl->keyFile, port);
}

void ProviderFakes::stop()
{
    m_impl->server.stop();
}

std::uint16_t ProviderFakes::port() const
{
    return m_impl->server.port();
}

std::string ProviderFakes::baseUrl() const
{
    return "https://127.0.0.1:" + std::to_string(port());
}

void ProviderFakes::setMaxBodyBytes(std::size_t bytes)
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->maxBodyBytes = bytes;
}

void ProviderFakes::setPageSize(Provider provider, std::size_t n)
{
    const std::lock_guard lock(m_impl->mutex);
    switch (provider) {
    case Provider::Shopify:
        m_impl->shopify.setPageSize(n);
        break;
    case Provider::Square:
        m_impl->square.setPageSize(n);
        break;
    case Provider::Google:
        break; // no paginated Google endpoint is faked
    }
}

std::string ProviderFakes::addShopifyVariant(const ShopifyVariant& variant)
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->shopify.addVariant(variant);
}

bool ProviderFakes::setShopifyQuantity(const std::string& variantGid,
                                       const std::string& locationGid, std::optional<int> available)
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->shopify.setQuantity(variantGid, locationGid, available);
}

void ProviderFakes::setShopifyAccessToken(std::string token)
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->shopify.setAccessToken(std::move(token));
}

std::string ProviderFakes::shopifyAccessToken() const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->shopify.accessToken();
}

void ProviderFakes::setShopifyThrottle(double maximumAvailable, double restoreRatePerSecond)
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->shopify.setThrottle(maximumAvailable, restoreRatePerSecond, detail::Clock::now());
}

double ProviderFakes::shopifyCurrentlyAvailable() const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->shopify.currentlyAvailable(detail::Clock::now());
}

SquareItem ProviderFakes::addSquareItem(SquareItem item)
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->square.addItem(std::move(item));
}

bool ProviderFakes::setSquareCount(const std::string& variationId, const std::string& locationId,
                                   std::optional<std::string> quantity)
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->square.setCount(variationId, locationId, std::move(quantity));
}

void ProviderFakes::setSquareAccessToken(std::string token)
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->square.setAccessToken(std::move(token));
}

std::string ProviderFakes::squareAccessToken() const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->square.accessToken();
}

void ProviderFakes::setGoogleCredentials(GoogleCredentials credentials)
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->google.setCredentials(std::move(credentials));
}

GoogleCredentials ProviderFakes::googleCredentials() const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->google.credentials();
}

void ProviderFakes::addGoogleCalendar(const std::string& calendarId)
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->google.addCalendar(calendarId);
}

void ProviderFakes::setGoogleAccessTokenLifetime(std::chrono::seconds lifetime)
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->google.setLifetime(lifetime);
}

void ProviderFakes::expireAccessTokens()
{
    const std::lock_guard lock(m_impl->mutex);
    m_impl->google.expireAll();
}

std::string ProviderFakes::issueGoogleAccessToken()
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->google.issueToken(detail::Clock::now());
}

std::string ProviderFakes::addCalendarEvent(const std::string& calendarId,
                                            const CalendarEvent& event)
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->google.addEvent(calendarId, event);
}

std::vector<CalendarEvent> ProviderFakes::calendarEvents(const std::string& calendarId) const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->google.events(calendarId);
}

void ProviderFakes::injectFaults(Provider provider, std::vector<Fault> faults)
{
    const std::lock_guard lock(m_impl->mutex);
    auto& queue = m_impl->faults[indexOf(provider)];
    for (auto& f : faults) {
        queue.push_back(std::move(f));
    }
}

std::size_t ProviderFakes::pendingFaults(Provider provider) const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->faults[indexOf(provider)].size();
}

std::vector<RecordedRequest> ProviderFakes::requests(Provider provider) const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->log[indexOf(provider)];
}

Counters ProviderFakes::counters(Provider provider) const
{
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->counters[indexOf(provider)];
}

std::size_t ProviderFakes::connectionsAccepted() const
{
    return m_impl->server.connections();
}

void ProviderFakes::clearLog()
{
    const std::lock_guard lock(m_impl->mutex);
    for (std::size_t i = 0; i < 3; ++i) {
        m_impl->log[i].clear();
        m_impl->counters[i] = Counters{};
        m_impl->faults[i].clear();
    }
}

} // namespace cc::fakes
