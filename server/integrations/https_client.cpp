#include "server/integrations/https_client.h"

#include "callcommander/version.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

namespace cc::server::integrations {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxPrefixLength = 256;

std::chrono::seconds parseRetryAfter(std::string_view value)
{
    // Seconds only: providers we talk to send delta-seconds; an HTTP date counts as absent.
    int seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
        return std::chrono::seconds(-1);
    }
    return std::chrono::seconds(seconds);
}

std::optional<http::verb> verbOf(std::string_view method)
{
    if (method == "GET") {
        return http::verb::get;
    }
    if (method == "POST") {
        return http::verb::post;
    }
    if (method == "PATCH") {
        return http::verb::patch;
    }
    if (method == "PUT") {
        return http::verb::put;
    }
    if (method == "DELETE") {
        return http::verb::delete_;
    }
    return std::nullopt;
}

bool validHostChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

// Not loopback, private (RFC 1918, RFC 4193), link-local, carrier-grade NAT, "this network",
// multicast or unspecified; IPv4-mapped IPv6 addresses are judged as the IPv4 they carry.
bool isPublic(const asio::ip::address& address)
{
    if (address.is_v6()) {
        const auto v6 = address.to_v6();
        if (v6.is_v4_mapped()) {
            return isPublic(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
        }
        const auto bytes = v6.to_bytes();
        const bool uniqueLocal = (bytes[0] & 0xFE) == 0xFC;
        return !(v6.is_loopback() || v6.is_unspecified() || v6.is_link_local() ||
                 v6.is_multicast() || uniqueLocal);
    }
    const auto b = address.to_v4().to_bytes();
    const bool privateRange =
        b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168);
    const bool sharedRange = b[0] == 100 && (b[1] & 0xC0) == 64; // 100.64.0.0/10
    return !(b[0] == 127 || b[0] == 0 || privateRange || sharedRange ||
             (b[0] == 169 && b[1] == 254) || b[0] >= 224);
}

} // namespace

std::string BaseUrl::hostHeader() const
{
    return port == "443" ? host : host + ":" + port;
}

Result<BaseUrl, std::string> parseBaseUrl(std::string_view text)
{
    constexpr std::string_view scheme = "https://";
    if (!text.starts_with(scheme)) {
        return std::string("the address must start with https://");
    }
    text.remove_prefix(scheme.size());
    const auto slash = text.find('/');
    std::string_view authority = text.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view{} : text.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
        return std::string("the address must not hold credentials");
    }
    BaseUrl url;
    if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        const std::string_view port = authority.substr(colon + 1);
        int number = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number < 1 ||
            number > 65535) {
            return std::string("the port must be a number from 1 to 65535");
        }
        url.port = std::to_string(number);
        authority = authority.substr(0, colon);
    }
    if (authority.empty() || authority.size() > kMaxHostLength ||
        !std::all_of(authority.begin(), authority.end(), validHostChar)) {
        return std::string("the host name is not valid");
    }
    url.host = std::string(authority);
    while (path.ends_with('/')) {
        path.remove_suffix(1);
    }
    if (path.size() > kMaxPrefixLength ||
        path.find_first_of("?#% \t\r\n") != std::string_view::npos) {
        return std::string("the path must be a plain path without query or fragment");
    }
    url.prefix = std::string(path);
    return url;
}

std::string urlEncode(std::string_view text)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
            (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' || byte == '.' ||
            byte == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0F]);
        }
    }
    return out;
}

// One idle connection is kept per origin: a worker talks to few providers, in turn.
struct HttpsClient::Impl {
    struct Connection {
        std::string origin; // host:port
        std::unique_ptr<TlsStream> stream;
    };

    explicit Impl(Options o)
        : options(std::move(o))
        , tls(ssl::context::tls_client)
    {
        tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        error_code ec;
        if (!options.caFile.empty()) {
            tls.load_verify_file(options.caFile, ec);
            if (ec) {
                throw std::runtime_error("cannot read the integrations CA file " + options.caFile +
                                         ": " + ec.message());
            }
        } else {
            tls.set_default_verify_paths(ec);
            if (ec) {
                throw std::runtime_error("cannot load the system's CA certificates: " +
                                         ec.message());
            }
        }
        tls.set_verify_mode(ssl::verify_peer);
    }

    // Runs the io_context until the operation started before it completes: the calling thread
    // blocks, bounded by the stream's expiry.
    void runUntilDone()
    {
        io.restart();
        io.run();
    }

    Result<std::unique_ptr<TlsStream>, TransportError>
    connect(const BaseUrl& base, std::chrono::steady_clock::time_point deadline)
    {
        auto stream = std::make_unique<TlsStream>(io, tls);
        auto& lowest = beast::get_lowest_layer(*stream);
        lowest.expires_at(deadline);

        error_code ec;
        tcp::resolver::results_type endpoints;
        tcp::resolver resolver(io);
        // The stream's expiry does not cover name resolution: a timer cancels a slow one.
        asio::steady_timer resolveTimer(io);
        resolveTimer.expires_at(deadline);
        bool resolveTimedOut = false;
        resolveTimer.async_wait([&](error_code e) {
            if (!e) {
                resolveTimedOut = true;
                resolver.cancel();
            }
        });
        resolver.async_resolve(base.host, base.port,
                               [&](error_code e, tcp::resolver::results_type r) {
                                   ec = e;
                                   endpoints = std::move(r);
                                   resolveTimer.cancel();
                               });
        runUntilDone();
        if (resolveTimedOut) {
            return TransportError{TransportErrorKind::Timeout,
                                  "resolving " + base.host + " took too long"};
        }
        if (ec) {
            return TransportError{TransportErrorKind::Resolve,
                                  "cannot resolve " + base.host + ": " + ec.message()};
        }
        if (!options.allowPrivateAddresses) {
            for (const auto& entry : endpoints) {
                if (!isPublic(entry.endpoint().address())) {
                    return TransportError{TransportErrorKind::Resolve,
                                          base.host + " is not a public address"};
                }
            }
        }
        lowest.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
        runUntilDone();
        if (ec) {
            return TransportError{ec == beast::error::timeout ? TransportErrorKind::Timeout
                                                              : TransportErrorKind::Connect,
                                  "cannot connect to " + base.hostHeader() + ": " + ec.message()};
        }
        lowest.socket().set_option(tcp::no_delay(true), ec);

        error_code notAnAddress;
        asio::ip::make_address(base.host, notAnAddress);
        // SNI is for names only (RFC 6066 section 3). SSL_set_tlsext_host_name is a macro with
        // a C cast; this is what it expands to.
        if (notAnAddress &&
            SSL_ctrl(stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name,
                     static_cast<void*>(const_cast<char*>(base.host.c_str()))) != 1) {
            return TransportError{TransportErrorKind::Tls, "cannot set the TLS server name"};
        }
        stream->set_verify_callback(ssl::host_name_verification(base.host));
        stream->async_handshake(ssl::stream_base::client, [&](error_code e) { ec = e; });
        runUntilDone();
        if (ec) {
            return TransportError{
                ec == beast::error::timeout ? TransportErrorKind::Timeout : TransportErrorKind::Tls,
                "TLS handshake with " + base.hostHeader() + " failed: " + ec.message()};
        }
        ++opened;
        return stream;
    }

    struct Exchange {
        error_code ec;
        bool gotSome = false;
        std::optional<HttpResponse> response;
        bool keepAlive = false;
    };

    Exchange exchange(TlsStream& stream, const http::request<http::string_body>& req,
                      std::chrono::steady_clock::time_point deadline)
    {
        Exchange out;
        beast::get_lowest_layer(stream).expires_at(deadline);
        http::async_write(stream, req, [&](error_code e, std::size_t) { out.ec = e; });
        runUntilDone();
        if (out.ec) {
            return out;
        }
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(options.maxResponseBytes);
        parser.header_limit(64 * 1024);
        http::async_read(stream, buffer, parser, [&](error_code e, std::size_t) { out.ec = e; });
        runUntilDone();
        out.gotSome = parser.got_some();
        if (out.ec) {
            return out;
        }
        const auto& res = parser.get();
        HttpResponse response;
        response.status = static_cast<int>(res.result_int());
        response.retryAfter = parseRetryAfter(res[http::field::retry_after]);
        response.contentType = std::string(res[http::field::content_type]);
        out.keepAlive = parser.keep_alive();
        response.body = parser.release().body();
        out.response = std::move(response);
        return out;
    }

    void drop()
    {
        if (idle.stream) {
            error_code ignored;
            beast::get_lowest_layer(*idle.stream).socket().close(ignored);
            idle.stream.reset();
        }
        idle.origin.clear();
    }

    Options options;
    asio::io_context io{1};
    ssl::context tls;
    Connection idle;
    std::size_t opened = 0;
};

HttpsClient::HttpsClient(Options options)
    : m_impl(std::make_unique<Impl>(std::move(options)))
{}

HttpsClient::~HttpsClient()
{
    m_impl->drop();
}

std::size_t HttpsClient::connectionsOpened() const
{
    return m_impl->opened;
}

Result<HttpResponse, TransportError> HttpsClient::send(const BaseUrl& base,
                                                       const HttpRequest& request,
                                                       std::chrono::milliseconds timeout)
{
    const auto verb = verbOf(request.method);
    if (!verb || (!request.target.empty() && !request.target.starts_with('/'))) {
        return TransportError{TransportErrorKind::Protocol, "not a request this client sends"};
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string target = base.prefix + request.target;
    http::request<http::string_body> req{*verb, target.empty() ? std::string("/") : target, 11};
    req.set(http::field::host, base.hostHeader());
    req.set(http::field::user_agent, m_impl->options.userAgent + "/" + kVersion);
    req.set(http::field::accept, "application/json");
    for (const auto& [name, value] : request.headers) {
        req.set(name, value);
    }
    if (!request.body.empty() || !request.contentType.empty()) {
        req.set(http::field::content_type, request.contentType);
    }
    req.body() = request.body;
    req.keep_alive(true);
    req.prepare_payload();

    const std::string origin = base.host + ":" + base.port;
    if (m_impl->idle.origin != origin) {
        m_impl->drop();
    }
    // A kept-alive connection may have been closed by the provider while idle. When it fails
    // before a single byte of answer, the request never reached the provider's application
    // (RFC 9112 section 9.3.1): it goes once more, on a fresh connection.
    for (int round = 0; round < 2; ++round) {
        const bool reused = m_impl->idle.stream != nullptr;
        std::unique_ptr<TlsStream> stream = std::move(m_impl->idle.stream);
        m_impl->idle.origin.clear();
        if (!stream) {
            auto connected = m_impl->connect(base, deadline);
            if (!connected) {
                return std::move(connected).error();
            }
            stream = std::move(connected).value();
        }
        Impl::Exchange ex = m_impl->exchange(*stream, req, deadline);
        if (ex.response) {
            if (ex.keepAlive) {
                beast::get_lowest_layer(*stream).expires_never();
                m_impl->idle = {origin, std::move(stream)};
            }
            return std::move(*ex.response);
        }
        error_code ignored;
        beast::get_lowest_layer(*stream).socket().close(ignored);
        if (reused && !ex.gotSome && ex.ec != beast::error::timeout) {
            continue;
        }
        if (ex.ec == beast::error::timeout) {
            return TransportError{TransportErrorKind::Timeout,
                                  base.hostHeader() + " did not answer within " +
                                      std::to_string(timeout.count()) + " ms"};
        }
        if (ex.ec == http::error::body_limit || ex.ec == http::error::header_limit) {
            return TransportError{TransportErrorKind::TooLarge,
                                  base.hostHeader() + " sent an answer over the size limit"};
        }
        return TransportError{TransportErrorKind::Protocol,
                              "exchange with " + base.hostHeader() + " failed: " + ex.ec.message()};
    }
    return TransportError{TransportErrorKind::Protocol,
                          base.hostHeader() + " closed the connection twice"};
}

} // namespace cc::server::integrations
