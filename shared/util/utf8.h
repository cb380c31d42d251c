#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing above U+10FFFF.
namespace cc::util {

// The length of the well-formed sequence at `s[i]` (1-4), with its code point in `codePoint`;
// 0 when the bytes there are not one.
std::size_t decodeUtf8(std::string_view s, std::size_t i, std::uint32_t& codePoint);

bool isValidUtf8(std::string_view s);

// At most `maxBytes` of `s`, cut before a character rather than inside one, with anything that
// is not well-formed UTF-8 replaced by '?': text from elsewhere (a provider's error message) made
// fit for a database column or a log line.
std::string clipUtf8(std::string_view s, std::size_t maxBytes);

} // namespace cc::util
