#include "tools/callsim/net.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <charconv>
#include <optional>
#include <stdexcept>

namespace cc::callsim {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);
// Twilio waits 15 s for a webhook's answer before it gives up on the URL.
constexpr auto kRequestTimeout = std::chrono::seconds(15);
constexpr auto kShutdownTimeout = std::chrono::seconds(2);
constexpr std::uint64_t kMaxAnswerBytes = 1024 * 1024;
constexpr std::string_view kUserAgent = "callcommander-callsim/0.1";

std::chrono::seconds parseRetryAfter(std::string_view value)
{
    int seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
        return std::chrono::seconds(0);
    }
    return std::chrono::seconds(seconds);
}

} // namespace

ssl::context makeTlsContext(const Options& options)
{
    ssl::context tls(ssl::context::tls_client);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (options.insecure) {
        tls.set_verify_mode(ssl::verify_none);
        return tls;
    }
    error_code ec;
    if (!options.caFile.empty()) {
        tls.load_verify_file(options.caFile, ec);
        if (ec) {
            throw std::runtime_error("cannot read the CA file " + options.caFile + ": " +
                                     ec.message());
        }
    } else {
        tls.set_default_verify_paths(ec);
        if (ec) {
            throw std::runtime_error("cannot load the system's CA certificates: " + ec.message());
        }
    }
    tls.set_verify_mode(ssl::verify_peer);
    return tls;
}

bool prepareTls(TlsStream& stream, const std::string& host, bool verify, std::string& error)
{
    error_code ec;
    asio::ip::make_address(host, ec);
    const bool isAddress = !ec;
    // SNI is for names only (RFC 6066 section 3).
    // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
    if (!isAddress &&
        SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 static_cast<void*>(const_cast<char*>(host.c_str()))) != 1) {
        error = "cannot set the TLS server name";
        return false;
    }
    if (verify) {
        stream.set_verify_callback(ssl::host_name_verification(host));
    }
    return true;
}

// ---- one connection ----

class HttpsPool::Connection : public std::enable_shared_from_this<Connection> {
public:
    explicit Connection(HttpsPool& pool)
        : m_pool(pool)
        , m_stream(pool.m_executor, pool.m_tls)
    {}

    void run(std::shared_ptr<Job> job)
    {
        m_job = std::move(job);
        if (m_connected) {
            m_reused = true;
            write();
            return;
        }
        std::string error;
        if (!prepareTls(m_stream, m_pool.m_origin.host, m_pool.m_verify, error)) {
            fail(error);
            return;
        }
        beast::get_lowest_layer(m_stream).expires_after(kConnectTimeout);
        beast::get_lowest_layer(m_stream).async_connect(
            m_pool.m_endpoints, [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
                self->onConnect(ec);
            });
    }

    // TLS close_notify, then the socket; bounded in time.
    void shutdown()
    {
        beast::get_lowest_layer(m_stream).expires_after(kShutdownTimeout);
        m_stream.async_shutdown([self = shared_from_this()](error_code) {
            error_code ignored;
            beast::get_lowest_layer(self->m_stream).socket().close(ignored);
        });
    }

private:
    void onConnect(error_code ec)
    {
        if (ec) {
            fail("cannot connect: " + ec.message());
            return;
        }
        // Webhook answers are small: send each request at once rather than wait for more data.
        beast::get_lowest_layer(m_stream).socket().set_option(tcp::no_delay(true), ec);
        ++m_pool.m_opened;
        m_stream.async_handshake(ssl::stream_base::client,
                                 [self = shared_from_this()](error_code e) { self->onTls(e); });
    }

    void onTls(error_code ec)
    {
        if (ec) {
            fail("TLS handshake failed: " + ec.message());
            return;
        }
        m_connected = true;
        write();
    }

    void write()
    {
        const HttpCall& call = m_job->call;
        m_request = {};
        m_request.version(11);
        m_request.method(call.method);
        m_request.target(call.target);
        m_request.set(http::field::host, m_pool.m_hostHeader);
        m_request.set(http::field::user_agent, kUserAgent);
        if (!call.contentType.empty()) {
            m_request.set(http::field::content_type, call.contentType);
        }
        for (const auto& [name, value] : call.headers) {
            m_request.set(name, value);
        }
        m_request.keep_alive(true);
        m_request.body() = call.body;
        m_request.prepare_payload();

        m_parser.emplace();
        m_parser->body_limit(kMaxAnswerBytes);
        beast::get_lowest_layer(m_stream).expires_after(kRequestTimeout);
        m_sentAt = Clock::now();
        http::async_write(
            m_stream, m_request,
            [self = shared_from_this()](error_code ec, std::size_t) { self->onWrite(ec); });
    }

    void onWrite(error_code ec)
    {
        if (ec) {
            lostOrFail("cannot send the request: " + ec.message());
            return;
        }
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](error_code e, std::size_t) { self->onRead(e); });
    }

    void onRead(error_code ec)
    {
        if (ec) {
            lostOrFail(ec == beast::error::timeout ? std::string("no answer within 15 s")
                                                   : "cannot read the answer: " + ec.message());
            return;
        }
        const auto& response = m_parser->get();
        HttpAnswer answer;
        answer.status = static_cast<int>(response.result_int());
        answer.latencyMs =
            std::chrono::duration<double, std::milli>(Clock::now() - m_sentAt).count();
        answer.retryAfter = parseRetryAfter(response[http::field::retry_after]);
        const bool keepAlive = m_parser->keep_alive();
        answer.body = m_parser->release().body();
        auto job = std::move(m_job);
        if (keepAlive) {
            beast::get_lowest_layer(m_stream).expires_never();
            m_pool.release(shared_from_this());
        } else {
            close();
        }
        job->handler(std::move(answer));
    }

    // A kept-alive connection the server has closed meanwhile fails before any answer byte:
    // the request never reached the application, so it goes again on a new connection.
    void lostOrFail(std::string what)
    {
        if (m_reused && !m_parser->got_some() && !m_job->resent) {
            m_job->resent = true;
            // First in line: closing this connection hands its place to the job.
            m_pool.m_waiting.push_front(std::move(m_job));
            close();
            return;
        }
        fail(std::move(what));
    }

    void fail(std::string what)
    {
        auto job = std::move(m_job);
        close();
        HttpAnswer answer;
        answer.error = std::move(what);
        job->handler(std::move(answer));
    }

    void close()
    {
        error_code ignored;
        beast::get_lowest_layer(m_stream).socket().close(ignored);
        m_pool.lost();
    }

    HttpsPool& m_pool;
    TlsStream m_stream;
    beast::flat_buffer m_buffer;
    http::request<http::string_body> m_request;
    std::optional<http::response_parser<http::string_body>> m_parser;
    std::shared_ptr<Job> m_job;
    bool m_connected = false;
    bool m_reused = false;
    Clock::time_point m_sentAt;
};

// ---- the pool ----

HttpsPool::HttpsPool(asio::any_io_executor executor, ssl::context& tls, bool verify, Origin origin,
                     tcp::resolver::results_type endpoints, std::size_t maxConnections)
    : m_executor(std::move(executor))
    , m_tls(tls)
    , m_verify(verify)
    , m_origin(std::move(origin))
    , m_hostHeader(m_origin.base.substr(m_origin.base.find("://") + 3))
    , m_endpoints(std::move(endpoints))
    , m_max(std::max<std::size_t>(1, maxConnections))
{}

HttpsPool::~HttpsPool() = default;

void HttpsPool::request(HttpCall call, Handler handler)
{
    start(std::make_shared<Job>(Job{std::move(call), std::move(handler), false}));
}

void HttpsPool::start(std::shared_ptr<Job> job)
{
    if (!m_idle.empty()) {
        auto connection = std::move(m_idle.back());
        m_idle.pop_back();
        connection->run(std::move(job));
    } else if (m_live < m_max) {
        startOnNewConnection(std::move(job));
    } else {
        m_waiting.push_back(std::move(job));
    }
}

void HttpsPool::startOnNewConnection(std::shared_ptr<Job> job)
{
    ++m_live;
    std::make_shared<Connection>(*this)->run(std::move(job));
}

void HttpsPool::release(std::shared_ptr<Connection> connection)
{
    if (!m_waiting.empty()) {
        auto job = std::move(m_waiting.front());
        m_waiting.pop_front();
        // Posted: the answer's handler runs first, and the stack does not grow with the queue.
        asio::post(m_executor,
                   [connection = std::move(connection), job = std::move(job)]() mutable {
                       connection->run(std::move(job));
                   });
        return;
    }
    if (m_closing) {
        connection->shutdown();
        --m_live;
        return;
    }
    m_idle.push_back(std::move(connection));
}

void HttpsPool::lost()
{
    --m_live;
    if (!m_waiting.empty()) {
        auto job = std::move(m_waiting.front());
        m_waiting.pop_front();
        // The place is taken now, so that another loss meanwhile does not open one more than
        // the bound; the connection starts from the executor, not deep in this call stack.
        ++m_live;
        asio::post(m_executor, [this, job = std::move(job)]() mutable {
            std::make_shared<Connection>(*this)->run(std::move(job));
        });
    }
}

void HttpsPool::close()
{
    m_closing = true;
    for (auto& connection : m_idle) {
        connection->shutdown();
        --m_live;
    }
    m_idle.clear();
}

} // namespace cc::callsim
