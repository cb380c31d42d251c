#pragma once

// The simulator's network side: Asio and Beast names, TLS set-up, and a pool of HTTPS
// keep-alive connections to one server. Kept out of the logic library (cc_callsim), which has
// no I/O.

#include "tools/callsim/options.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cc::callsim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The client TLS context the options ask for: the CA of --ca, none with --insecure, else the
// system's. Throws with a readable message when the CA file cannot be read.
ssl::context makeTlsContext(const Options& options);

// Sets SNI and, when the context verifies, the host name check on a new stream. False (and
// `error`) when SNI cannot be set.
bool prepareTls(TlsStream& stream, const std::string& host, bool verify, std::string& error);

struct HttpCall {
    http::verb method = http::verb::post;
    std::string target; // path and query
    std::string contentType;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpAnswer {
    int status = 0; // 0: no HTTP answer (`error` says why)
    std::string body;
    std::string error;
    double latencyMs = 0; // from writing the request to having the whole answer
    std::chrono::seconds retryAfter{0};
};

// Up to `maxConnections` TLS connections to one origin, each carrying one request at a time and
// kept alive for the next; requests beyond that wait in order. A request that finds a kept-alive
// connection closed by the server (its idle timeout) before any answer byte is sent again once,
// on a new connection. Single-threaded: use from the executor's one thread.
class HttpsPool {
public:
    using Handler = std::function<void(HttpAnswer)>;

    HttpsPool(asio::any_io_executor executor, ssl::context& tls, bool verify, Origin origin,
              tcp::resolver::results_type endpoints, std::size_t maxConnections);
    ~HttpsPool();
    HttpsPool(const HttpsPool&) = delete;
    HttpsPool& operator=(const HttpsPool&) = delete;

    void request(HttpCall call, Handler handler);
    // Closes idle connections with a TLS close_notify, busy ones after their answer.
    void close();

    std::uint64_t opened() const { return m_opened; }
    std::size_t waiting() const { return m_waiting.size(); }

    // For WebSocket sessions that want their own connection to the same server.
    const tcp::resolver::results_type& endpoints() const { return m_endpoints; }
    const Origin& origin() const { return m_origin; }
    ssl::context& tls() { return m_tls; }
    bool verify() const { return m_verify; }

private:
    class Connection;
    struct Job {
        HttpCall call;
        Handler handler;
        bool resent = false;
    };

    void start(std::shared_ptr<Job> job);
    void startOnNewConnection(std::shared_ptr<Job> job);
    void release(std::shared_ptr<Connection> connection); // the answer came; reusable
    void lost();                                          // a connection closed

    asio::any_io_executor m_executor;
    ssl::context& m_tls;
    bool m_verify;
    Origin m_origin;
    std::string m_hostHeader;
    tcp::resolver::results_type m_endpoints;
    std::size_t m_max;
    std::size_t m_live = 0; // open or opening
    std::uint64_t m_opened = 0;
    bool m_closing = false;
    std::vector<std::shared_ptr<Connection>> m_idle;
    std::deque<std::shared_ptr<Job>> m_waiting;
};

} // namespace cc::callsim
