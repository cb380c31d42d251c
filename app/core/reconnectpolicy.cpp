#include "app/core/reconnectpolicy.h"

#include <algorithm>

namespace cc::app {

ReconnectPolicy::ReconnectPolicy(Random random)
    : ReconnectPolicy(Limits{}, std::move(random))
{}

ReconnectPolicy::ReconnectPolicy(Limits limits, Random random)
    : m_limits(limits)
    , m_random(std::move(random))
    , m_ceiling(limits.initial)
{}

std::chrono::milliseconds ReconnectPolicy::nextDelay()
{
    const double r = std::clamp(m_random(), 0.0, 1.0);
    const auto drawn = std::chrono::milliseconds(
        static_cast<std::int64_t>(r * static_cast<double>(m_ceiling.count())));
    const auto delay = std::max(drawn, m_limits.minimum);
    ++m_attempts;
    m_ceiling = std::min(m_ceiling * 2, m_limits.maximum);
    return delay;
}

void ReconnectPolicy::reset()
{
    m_attempts = 0;
    m_ceiling = m_limits.initial;
}

} // namespace cc::app
