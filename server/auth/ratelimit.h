#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cc::server::auth {

// Token buckets by key (an IP address, an account): `burst` requests at once, refilled at
// `ratePerSecond`. Thread-safe. Memory is bounded: past `maxKeys`, buckets that have refilled
// completely (idle keys) are dropped, and if none has, the request is refused rather than let
// an attacker with many addresses grow the table.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    struct Options {
        double ratePerSecond = 1.0;
        double burst = 10.0;
        std::size_t maxKeys = 100'000;
    };

    struct Decision {
        bool allowed = true;
        std::chrono::seconds retryAfter{0}; // when refused: when one request fits again
    };

    explicit RateLimiter(Options options);

    Decision take(const std::string& key, Clock::time_point now = Clock::now());
    std::size_t size() const;

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    void refill(Bucket& bucket, Clock::time_point now) const;
    void prune(Clock::time_point now);

    Options m_options;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Bucket> m_buckets;
};

} // namespace cc::server::auth
