#include "server/integrations/resilience.h"

#include <algorithm>
#include <random>
#include <thread>

namespace cc::server::integrations {

std::string_view toString(Provider provider)
{
    switch (provider) {
    case Provider::Shopify:
        return "shopify";
    case Provider::Square:
        return "square";
    case Provider::GoogleCalendar:
        return "google_calendar";
    }
    return "unknown";
}

std::string_view toString(ProviderError::Kind kind)
{
    using K = ProviderError::Kind;
    switch (kind) {
    case K::Unavailable:
        return "unavailable";
    case K::RateLimited:
        return "rate_limited";
    case K::Unauthorized:
        return "unauthorized";
    case K::NotFound:
        return "not_found";
    case K::Rejected:
        return "rejected";
    case K::Malformed:
        return "malformed";
    case K::CircuitOpen:
        return "circuit_open";
    }
    return "unknown";
}

bool countsAgainstProvider(const ProviderError& error)
{
    using K = ProviderError::Kind;
    return error.kind == K::Unavailable || error.kind == K::RateLimited ||
           error.kind == K::Malformed || error.kind == K::Unauthorized;
}

std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int attempt,
                                       std::chrono::milliseconds retryAfter,
                                       const std::function<double()>& random01)
{
    if (retryAfter.count() >= 0) {
        return retryAfter;
    }
    const int exponent = std::clamp(attempt - 1, 0, 20);
    const auto ceiling = std::min<std::int64_t>(
        policy.maxDelay.count(), policy.baseDelay.count() * (std::int64_t{1} << exponent));
    const double r = std::clamp(random01(), 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(r * static_cast<double>(ceiling)));
}

Sleeper realSleeper()
{
    return [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

double randomUnit()
{
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

RetryingCaller::RetryingCaller(HttpsClient& http, RetryPolicy policy, Sleeper sleep,
                               std::function<double()> random01)
    : m_http(http)
    , m_policy(policy)
    , m_sleep(std::move(sleep))
    , m_random(std::move(random01))
{}

Result<HttpResponse, ProviderError>
RetryingCaller::call(const BaseUrl& base, const HttpRequest& request, const Classifier& classify)
{
    using namespace std::chrono;
    using K = ProviderError::Kind;
    const auto started = steady_clock::now();
    const auto remaining = [&] {
        const auto now = steady_clock::now();
        milliseconds left = m_policy.budget - duration_cast<milliseconds>(now - started);
        if (m_deadline) {
            left = std::min(left, duration_cast<milliseconds>(*m_deadline - now));
        }
        return left;
    };
    ProviderError last{K::Unavailable, "no time was left to ask", 0};
    for (int attempt = 1; attempt <= std::max(1, m_policy.maxAttempts); ++attempt) {
        const milliseconds timeout = std::min(m_policy.attemptTimeout, remaining());
        if (timeout <= milliseconds(0)) {
            break;
        }
        ++m_attempts;
        milliseconds wish{-1};
        auto sent = m_http.send(base, request, timeout);
        if (!sent) {
            const TransportError& t = sent.error();
            last = ProviderError{K::Unavailable, t.message, 0};
            if (t.kind == TransportErrorKind::Resolve || t.kind == TransportErrorKind::Tls ||
                t.kind == TransportErrorKind::TooLarge) {
                if (t.kind == TransportErrorKind::TooLarge) {
                    last.kind = K::Malformed;
                }
                return last;
            }
        } else {
            Verdict v = classify(sent.value());
            if (v.next == Verdict::Next::Done) {
                return std::move(sent).value();
            }
            last = std::move(v.error);
            last.httpStatus = sent.value().status;
            if (v.next == Verdict::Next::Fail) {
                return last;
            }
            wish = v.retryAfter;
            if (wish > m_policy.maxRetryAfter) {
                return last; // the provider asks for longer than a caller can wait
            }
        }
        if (attempt == m_policy.maxAttempts) {
            break;
        }
        const milliseconds delay = backoffDelay(m_policy, attempt, wish, m_random);
        if (delay >= remaining()) {
            break;
        }
        m_sleep(delay);
    }
    return last;
}

CircuitBreakers::CircuitBreakers(int threshold, std::chrono::milliseconds coolDown)
    : m_threshold(std::max(1, threshold))
    , m_coolDown(coolDown)
{}

bool CircuitBreakers::allow(const std::string& organisationId, Provider provider,
                            Clock::time_point now)
{
    std::lock_guard lock(m_mutex);
    auto& e = m_entries[{organisationId, provider}];
    if (!e.open) {
        return true;
    }
    if (now < e.openUntil || e.trialOut) {
        return false;
    }
    e.trialOut = true; // half open: this one call finds out
    return true;
}

void CircuitBreakers::record(const std::string& organisationId, Provider provider, bool success,
                             Clock::time_point now)
{
    std::lock_guard lock(m_mutex);
    auto& e = m_entries[{organisationId, provider}];
    if (success) {
        e = Entry{};
        return;
    }
    e.trialOut = false;
    if (e.open || ++e.failures >= m_threshold) {
        e.open = true;
        e.openUntil = now + m_coolDown;
    }
}

void CircuitBreakers::reset(const std::string& organisationId, Provider provider)
{
    std::lock_guard lock(m_mutex);
    m_entries.erase({organisationId, provider});
}

CircuitBreakers::State CircuitBreakers::state(const std::string& organisationId, Provider provider,
                                              Clock::time_point now) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_entries.find({organisationId, provider});
    if (it == m_entries.end() || !it->second.open) {
        return State::Closed;
    }
    return now < it->second.openUntil ? State::Open : State::HalfOpen;
}

} // namespace cc::server::integrations
