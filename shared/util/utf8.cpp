#include "shared/util/utf8.h"

#include <algorithm>

namespace cc::util {

std::size_t decodeUtf8(std::string_view s, std::size_t i, std::uint32_t& codePoint)
{
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        codePoint = b0;
        return 1;
    }
    std::size_t length = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((b0 & 0xE0U) == 0xC0U) {
        length = 2;
        cp = b0 & 0x1FU;
        min = 0x80;
    } else if ((b0 & 0xF0U) == 0xE0U) {
        length = 3;
        cp = b0 & 0x0FU;
        min = 0x800;
    } else if ((b0 & 0xF8U) == 0xF0U) {
        length = 4;
        cp = b0 & 0x07U;
        min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() - i < length) {
        return 0;
    }
    for (std::size_t k = 1; k < length; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0U) != 0x80U) {
            return 0;
        }
        cp = (cp << 6U) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    codePoint = cp;
    return length;
}

bool isValidUtf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        std::uint32_t cp = 0;
        const std::size_t length = decodeUtf8(s, i, cp);
        if (length == 0) {
            return false;
        }
        i += length;
    }
    return true;
}

std::string clipUtf8(std::string_view s, std::size_t maxBytes)
{
    std::string out;
    out.reserve(std::min(s.size(), maxBytes));
    std::size_t i = 0;
    while (i < s.size()) {
        std::uint32_t cp = 0;
        const std::size_t length = decodeUtf8(s, i, cp);
        const std::size_t take = length == 0 ? 1 : length;
        if (out.size() + take > maxBytes) {
            break;
        }
        if (length == 0) {
            out.push_back('?');
        } else {
            out.append(s.substr(i, length));
        }
        i += take;
    }
    return out;
}

} // namespace cc::util
