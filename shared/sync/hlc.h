#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Hybrid logical clocks (Kulkarni et al., 2014): a wall-clock time in milliseconds, a counter that
// orders events within one millisecond or while the wall clock lags, and the id of the node (a
// device, a server, or "db" for changes made by SQL) that breaks the remaining ties. Every field
// write carries one; the write with the greater stamp wins.
//
// Encoded as "<13-digit ms>-<6-digit counter>-<node>" so that comparing encodings as plain
// strings (as PostgreSQL and SQLite do) gives the same order as comparing stamps.
namespace cc::sync {

struct Hlc {
    std::int64_t wallMs = 0;
    std::uint32_t counter = 0;
    std::string node;

    friend auto operator<=>(const Hlc&, const Hlc&) = default;
    friend bool operator==(const Hlc&, const Hlc&) = default;
};

inline constexpr std::int64_t kMaxHlcWallMs = 9'999'999'999'999; // year 2286
inline constexpr std::uint32_t kMaxHlcCounter = 999'999;
inline constexpr std::size_t kMaxHlcNodeLength = 64;

std::string encode(const Hlc& hlc);
// Strict: fixed widths, node of [A-Za-z0-9_.:-], 1..64 characters.
std::optional<Hlc> parseHlc(std::string_view text);

// One node's clock. Not thread-safe: each owner (a device's sync client, a server connection)
// keeps its own and serialises access.
class HlcClock {
public:
    explicit HlcClock(std::string node, Hlc last = {});

    // A stamp for a local event, greater than every stamp this clock has issued or received.
    Hlc now(std::int64_t physicalMs);
    // Takes in a stamp seen from elsewhere so later local stamps order after it. A stamp more
    // than `maxDriftMs` ahead of the physical clock is not followed (a device with a wrong clock
    // must not drag everyone's stamps into the future); returns false then.
    bool receive(const Hlc& remote, std::int64_t physicalMs, std::int64_t maxDriftMs);

    const Hlc& last() const { return m_last; }

private:
    Hlc m_last;
};

} // namespace cc::sync
