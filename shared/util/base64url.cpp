#include "shared/util/base64url.h"

#include <array>
#include <cstdint>

namespace cc::util {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> makeReverse()
{
    std::array<std::int8_t, 256> r{};
    for (auto& v : r) {
        v = -1;
    }
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        r[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    }
    return r;
}
constexpr auto kReverse = makeReverse();

} // namespace

std::string base64UrlEncode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t n =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
            static_cast<unsigned char>(bytes[i + 2]);
        out.push_back(kAlphabet[(n >> 18U) & 63U]);
        out.push_back(kAlphabet[(n >> 12U) & 63U]);
        out.push_back(kAlphabet[(n >> 6U) & 63U]);
        out.push_back(kAlphabet[n & 63U]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
                                << 16U;
        out.push_back(kAlphabet[(n >> 18U) & 63U]);
        out.push_back(kAlphabet[(n >> 12U) & 63U]);
    } else if (rest == 2) {
        const std::uint32_t n =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U);
        out.push_back(kAlphabet[(n >> 18U) & 63U]);
        out.push_back(kAlphabet[(n >> 12U) & 63U]);
        out.push_back(kAlphabet[(n >> 6U) & 63U]);
    }
    return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text)
{
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const std::int8_t v = kReverse[static_cast<unsigned char>(c)];
        if (v < 0) {
            return std::nullopt;
        }
        buffer = (buffer << 6U) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU));
        }
    }
    // Canonical form: the leftover bits (2 or 4) must be zero.
    if (bits > 0 && (buffer & ((1U << static_cast<unsigned>(bits)) - 1U)) != 0) {
        return std::nullopt;
    }
    return out;
}

} // namespace cc::util
