#include "server/auth/ratelimit.h"

#include <algorithm>
#include <cmath>

namespace cc::server::auth {

RateLimiter::RateLimiter(Options options)
    : m_options(options)
{}

void RateLimiter::refill(Bucket& bucket, Clock::time_point now) const
{
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    if (elapsed > 0) {
        bucket.tokens =
            std::min(m_options.burst, bucket.tokens + elapsed * m_options.ratePerSecond);
        bucket.updated = now;
    }
}

void RateLimiter::prune(Clock::time_point now)
{
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        refill(it->second, now);
        it = it->second.tokens >= m_options.burst ? m_buckets.erase(it) : std::next(it);
    }
}

RateLimiter::Decision RateLimiter::take(const std::string& key, Clock::time_point now)
{
    const std::lock_guard lock(m_mutex);
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= m_options.maxKeys) {
            prune(now);
            if (m_buckets.size() >= m_options.maxKeys) {
                return {false, std::chrono::seconds(1)};
            }
        }
        it = m_buckets.emplace(key, Bucket{m_options.burst, now}).first;
    }
    Bucket& bucket = it->second;
    refill(bucket, now);
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return {true, std::chrono::seconds(0)};
    }
    const double wait = (1.0 - bucket.tokens) / m_options.ratePerSecond;
    return {false, std::chrono::seconds(
                       std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait))))};
}

std::size_t RateLimiter::size() const
{
    const std::lock_guard lock(m_mutex);
    return m_buckets.size();
}

} // namespace cc::server::auth
