#pragma once

#include <optional>
#include <string>
#include <string_view>

// Base64url without padding (RFC 4648 section 5), as used in tokens.
namespace cc::util {

std::string base64UrlEncode(std::string_view bytes);
// Nothing for input that is not canonical unpadded base64url.
std::optional<std::string> base64UrlDecode(std::string_view text);

} // namespace cc::util
