#pragma once

// Private to tests/fakes: the request and answer the provider fakes work on (plain C++, no Asio),
// and the small helpers they share (JSON answers, URL and form decoding, base64, RFC 3339 times,
// random tokens, case-insensitive text matching).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cc::fakes::detail {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::sys_time<std::chrono::milliseconds>;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method; // "GET", "POST", ...
    std::string target; // path and query as sent
    std::string path;   // the target without its query, not decoded
    std::string query;  // after '?', not decoded
    Headers headers;    // as sent
    std::string body;

    // The first header of that name (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string contentType = "application/json; charset=UTF-8";
    std::string body;
    Headers headers; // extra headers (Retry-After, ...)
};

// What the server does with a request after the fakes have seen it.
struct Outcome {
    enum class Action { Answer, Close };
    Action action = Action::Answer;
    Response response;
    std::chrono::milliseconds delay{0}; // before answering
    bool closeAfter = false;            // close the connection once answered
};

Response jsonResponse(int status, const boost::json::value& body);
std::string reasonPhrase(int status);

std::string toLower(std::string_view text);
bool startsWith(std::string_view text, std::string_view prefix);
bool iequals(std::string_view a, std::string_view b);
// Case-insensitive substring search.
bool icontains(std::string_view haystack, std::string_view needle);
// The lower-cased alphanumeric words of `text` ("Blue / M" -> {"blue", "m"}).
std::vector<std::string> wordsOf(std::string_view text);

// Percent-decoding; '+' becomes a space when `plusIsSpace` (form bodies, query strings).
std::string urlDecode(std::string_view text, bool plusIsSpace);
// "a=1&b=2" (application/x-www-form-urlencoded), decoded, in order.
std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body);
const std::string* findParam(const std::vector<std::pair<std::string, std::string>>& params,
                             std::string_view name);

// Standard base64 (RFC 4648 section 4) with padding, and its decoding (padding optional).
std::string base64Encode(std::string_view bytes);
std::optional<std::string> base64Decode(std::string_view text);

// RFC 3339 date-times: "2026-03-01T10:00:00Z", "...T10:00:00.250+01:00". A time without an
// offset is read as UTC (the fakes have no time zone database).
std::optional<Millis> parseRfc3339(std::string_view text);
// "2026-03-01T10:00:00Z", or "2026-03-01T10:00:00.000Z" with `withMillis`.
std::string formatRfc3339(Millis time, bool withMillis);
Millis nowMillis();

// `length` characters drawn from `alphabet` with a random_device-seeded engine.
std::string randomString(std::size_t length, std::string_view alphabet);
inline constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// The body as a JSON object, or nothing when it is not one.
std::optional<boost::json::object> parseJsonObject(std::string_view body);
// A string member, or nothing when absent or not a string.
std::optional<std::string> stringMember(const boost::json::object& object, std::string_view key);

} // namespace cc::fakes::detail
