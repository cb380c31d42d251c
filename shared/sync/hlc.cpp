#include "shared/sync/hlc.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace cc::sync {
namespace {

bool nodeCharOk(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
}

template <typename T>
std::optional<T> digits(std::string_view text)
{
    T value{};
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

std::string encode(const Hlc& hlc)
{
    char head[32];
    std::snprintf(head, sizeof head, "%013lld-%06u-", static_cast<long long>(hlc.wallMs),
                  static_cast<unsigned>(hlc.counter));
    return std::string(head) + hlc.node;
}

std::optional<Hlc> parseHlc(std::string_view text)
{
    // 13 digits, '-', 6 digits, '-', node
    if (text.size() < 13 + 1 + 6 + 1 + 1 || text.size() > 13 + 1 + 6 + 1 + kMaxHlcNodeLength ||
        text[13] != '-' || text[20] != '-') {
        return std::nullopt;
    }
    const auto wall = digits<std::int64_t>(text.substr(0, 13));
    const auto counter = digits<std::uint32_t>(text.substr(14, 6));
    const std::string_view node = text.substr(21);
    if (!wall || !counter || !std::all_of(node.begin(), node.end(), nodeCharOk)) {
        return std::nullopt;
    }
    return Hlc{*wall, *counter, std::string(node)};
}

HlcClock::HlcClock(std::string node, Hlc last)
    : m_last(std::move(last))
{
    m_last.node = std::move(node);
}

Hlc HlcClock::now(std::int64_t physicalMs)
{
    physicalMs = std::clamp<std::int64_t>(physicalMs, 0, kMaxHlcWallMs);
    if (physicalMs > m_last.wallMs) {
        m_last.wallMs = physicalMs;
        m_last.counter = 0;
    } else if (m_last.counter < kMaxHlcCounter) {
        ++m_last.counter;
    } else {
        // A million events in one millisecond (or a clock far behind): borrow from the future.
        m_last.wallMs = std::min(m_last.wallMs + 1, kMaxHlcWallMs);
        m_last.counter = 0;
    }
    return m_last;
}

bool HlcClock::receive(const Hlc& remote, std::int64_t physicalMs, std::int64_t maxDriftMs)
{
    if (remote.wallMs > physicalMs + maxDriftMs) {
        return false;
    }
    if (remote.wallMs > m_last.wallMs ||
        (remote.wallMs == m_last.wallMs && remote.counter > m_last.counter)) {
        m_last.wallMs = remote.wallMs;
        m_last.counter = remote.counter;
    }
    return true;
}

} // namespace cc::sync
