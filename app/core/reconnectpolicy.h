#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace cc::app {

// When to try the server again after a connection failed: exponential backoff with "full
// jitter" (a random delay between zero and the current ceiling), so 500 tablets whose store
// router just came back do not all reconnect in the same millisecond.
class ReconnectPolicy {
public:
    using Random = std::function<double()>; // uniform in [0, 1)

    struct Limits {
        std::chrono::milliseconds initial{500};
        std::chrono::milliseconds maximum{30'000};
        std::chrono::milliseconds minimum{100}; // never hammer, even with an unlucky draw
    };

    explicit ReconnectPolicy(Random random);
    ReconnectPolicy(Limits limits, Random random);

    // The delay before the next attempt; each call after a failure widens the ceiling.
    std::chrono::milliseconds nextDelay();
    // After a successful connection the next failure starts from the initial ceiling again.
    void reset();

    int attempts() const { return m_attempts; }
    std::chrono::milliseconds ceiling() const { return m_ceiling; }

private:
    Limits m_limits;
    Random m_random;
    std::chrono::milliseconds m_ceiling;
    int m_attempts = 0;
};

} // namespace cc::app
