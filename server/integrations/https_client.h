#pragma once

#include "shared/util/result.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The HTTPS client the server uses to reach the providers an organisation connects (Shopify,
// Square, Google): Beast over OpenSSL, certificates verified against the system's store or a
// configured CA file, every stage bounded in time and every answer bounded in size.
//
// A client belongs to one integration worker thread and blocks that thread for at most the
// timeout it is given: adapters read like the provider's documentation (ask, look at the answer,
// maybe ask again) and the network threads never wait on a provider.
namespace cc::server::integrations {

// https://host[:port][/path prefix], as an organisation or a test configures a provider.
struct BaseUrl {
    std::string host;
    std::string port = "443";
    std::string prefix; // "" or "/something", never ending in '/'

    std::string hostHeader() const; // "host" or "host:port"
};

// Only https: credentials never cross the network in the clear. The reason when it is not one.
Result<BaseUrl, std::string> parseBaseUrl(std::string_view text);

struct HttpRequest {
    std::string method = "GET"; // GET, POST, PATCH, PUT, DELETE
    std::string target;         // path and query, appended to the base URL's prefix
    std::vector<std::pair<std::string, std::string>> headers;
    std::string contentType; // set when there is a body
    std::string body;
};

struct HttpResponse {
    int status = 0;
    std::string body;
    std::string contentType;
    std::chrono::seconds retryAfter{-1}; // -1: the answer had no (valid) Retry-After
};

enum class TransportErrorKind {
    Resolve, // the name does not resolve
    Connect, // refused, unreachable
    Tls,     // handshake failed (certificate not trusted, wrong name)
    Timeout, // a stage took longer than the request's time allowed
    TooLarge,
    Protocol, // not HTTP, or cut off
};

struct TransportError {
    TransportErrorKind kind = TransportErrorKind::Protocol;
    std::string message; // fit for a log: no request body, no headers
};

class HttpsClient {
public:
    struct Options {
        std::string caFile; // empty: the system's certificate store
        std::size_t maxResponseBytes = 2 * 1024 * 1024;
        std::string userAgent = "callcommander-server";
        // Addresses organisations set are reached only on the public internet: a loopback,
        // private, link-local or unique-local address is refused after the name resolves, so an
        // admin cannot point the server at its own network. Tests and the demo, whose providers
        // are local stand-ins, allow them (integrations.allow_private_addresses).
        bool allowPrivateAddresses = false;
    };

    explicit HttpsClient(Options options);
    ~HttpsClient();
    HttpsClient(const HttpsClient&) = delete;
    HttpsClient& operator=(const HttpsClient&) = delete;

    // Sends one request and waits for its answer, within `timeout` from the first byte to the
    // last (connecting included). An idle connection to the same origin is reused; one the
    // provider closed meanwhile is replaced without sending the request twice.
    Result<HttpResponse, TransportError> send(const BaseUrl& base, const HttpRequest& request,
                                              std::chrono::milliseconds timeout);

    // How many TLS connections this client has opened: tests check reuse with it.
    std::size_t connectionsOpened() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Percent-encodes a path segment or query value (RFC 3986 unreserved characters stay).
std::string urlEncode(std::string_view text);

} // namespace cc::server::integrations
