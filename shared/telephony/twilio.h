#pragma once

#include "shared/util/result.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// What Twilio's voice webhooks need on our side of the wire: reading their form-encoded bodies
// and checking X-Twilio-Signature, and the inverse (encoding, signing) for the call simulator,
// which plays Twilio against our server.
//
// The signing contract is https://www.twilio.com/docs/usage/security#validating-requests.
namespace cc::telephony {

// Name/value pairs in the order they arrived. Not a map: Twilio may repeat a name, and every
// occurrence takes part in the signature.
using FormParams = std::vector<std::pair<std::string, std::string>>;

// Limits on what parseFormUrlEncoded accepts. A voice webhook carries 20-40 short fields; these
// leave ample room while bounding the work one request can cause.
inline constexpr std::size_t kMaxFormBodyBytes = 64 * 1024;
inline constexpr std::size_t kMaxFormParams = 200;

// Decodes an application/x-www-form-urlencoded body: '+' is a space, %XX a byte. Refuses a '%'
// not followed by two hex digits, decoded names or values holding NUL or invalid UTF-8, more than
// kMaxFormParams parameters and bodies over kMaxFormBodyBytes. Empty segments ("a=1&&b=2") are
// skipped and a segment without '=' is a name with an empty value, as browsers do.
Result<FormParams, std::string> parseFormUrlEncoded(std::string_view body);

// The inverse: every byte except the unreserved A-Z a-z 0-9 - _ . ~ as %XX, space as '+'.
std::string formUrlEncode(const FormParams& params);

// base64(HMAC-SHA1(authToken, fullUrl + name1 + value1 + name2 + value2 ...)), the pairs sorted
// by name in byte order and, for a repeated name, by value. The URL is used exactly as given.
// For a GET, or a JSON body, pass no params (Twilio signs only the URL then).
std::string twilioSignature(std::string_view authToken, std::string_view fullUrl,
                            const FormParams& params);

// Whether `headerValue` (X-Twilio-Signature) is the signature of this request, compared in
// constant time. False for an empty or wrongly sized header.
//
// `fullUrl` is the public URL Twilio called, query included. Twilio is not consistent about the
// port (for voice over HTTPS it drops any port before signing; its SDKs also accept the URL with
// the scheme's default port added), so besides the URL as given this accepts: the URL without
// its port when the scheme is https or the port is the scheme's default, and the URL with the
// default port (:443, :80 for http) when it has none. Credentials in the URL
// ("https://user:pass@host/...") are removed first: Twilio never signs them.
bool validateTwilioSignature(std::string_view authToken, std::string_view fullUrl,
                             const FormParams& params, std::string_view headerValue);

// For a request with a JSON body, Twilio adds bodySHA256=<hex SHA-256 of the body> to the query
// and signs the URL alone. True when the signature over `fullUrlWithQuery` is valid (with the
// same port tolerance) and its one bodySHA256 parameter is the lower-case hex SHA-256 of `body`.
bool validateTwilioJsonSignature(std::string_view authToken, std::string_view fullUrlWithQuery,
                                 std::string_view body, std::string_view headerValue);

// Lower-case hex SHA-256, the bodySHA256 value for `body` (the simulator adds it to URLs).
std::string bodySha256Hex(std::string_view body);

} // namespace cc::telephony
