#pragma once

#include "server/integrations/https_client.h"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

// What keeps a slow or failing provider from holding up a caller: bounded retries with
// exponential backoff and full jitter, and a circuit breaker per organisation and provider, so
// that after repeated failures we stop asking for a while and answer "let me connect you to a
// colleague" at once (docs/integrations.md).
namespace cc::server::integrations {

enum class Provider { Shopify, Square, GoogleCalendar };
std::string_view toString(Provider provider); // "shopify", "square", "google_calendar"

// Why a provider call did not give an answer. The message is fit for a log and for an admin's
// screen: it never holds a credential, a request body or a customer's details.
struct ProviderError {
    enum class Kind {
        Unavailable,  // network, timeout, 5xx: worth trying again later
        RateLimited,  // 429 or the provider's throttling, after the retries we allow
        Unauthorized, // credentials refused: an admin must fix them
        NotFound,     // the item, location or calendar does not exist there
        Rejected,     // 4xx: our request or the configuration is wrong
        Malformed,    // an answer we cannot read
        CircuitOpen,  // not asked at all: the provider failed repeatedly just now
    };
    Kind kind = Kind::Unavailable;
    std::string message;
    int httpStatus = 0; // 0 when there was no HTTP answer
};
std::string_view toString(ProviderError::Kind kind);

// Whether a failure says something about the provider's health (the breaker counts these) or
// only about this request (a missing item, a bad configuration).
bool countsAgainstProvider(const ProviderError& error);

struct RetryPolicy {
    int maxAttempts = 3;
    std::chrono::milliseconds baseDelay{200};
    std::chrono::milliseconds maxDelay{2000};
    // A Retry-After longer than this is not waited for: the caller is on the phone.
    std::chrono::milliseconds maxRetryAfter{3000};
    std::chrono::milliseconds attemptTimeout{3000};
    // All attempts and waits together stay within this: Twilio waits 15 s for a webhook.
    std::chrono::milliseconds budget{8000};
};

// How an adapter reads one answer: done (the response is the result), worth another attempt
// (a 429 or 5xx, maybe with the provider's wish for a delay), or a failure to report.
struct Verdict {
    enum class Next { Done, Retry, Fail };
    Next next = Next::Done;
    ProviderError error;                      // for Retry (if it is the last) and Fail
    std::chrono::milliseconds retryAfter{-1}; // the provider's own wish, when it said one
};
using Classifier = std::function<Verdict(const HttpResponse&)>;

// The delay before attempt `attempt` + 1 (attempt counts from 1): a uniformly random time in
// [0, min(maxDelay, baseDelay * 2^(attempt-1))] ("full jitter"), or the provider's Retry-After
// when it gave one. `random01` returns [0, 1).
std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int attempt,
                                       std::chrono::milliseconds retryAfter,
                                       const std::function<double()>& random01);

// Sleeps on the calling thread (an integration worker); tests pass one that only records.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
Sleeper realSleeper();
double randomUnit(); // [0, 1), thread-safe

// Sends a request with the policy's retries. Transport failures (timeouts, refused or cut
// connections) are retried; name and certificate failures are not (they are configuration).
// The answer is the last Done response, or the error of the last attempt.
class RetryingCaller {
public:
    RetryingCaller(HttpsClient& http, RetryPolicy policy, Sleeper sleep = realSleeper(),
                   std::function<double()> random01 = randomUnit);

    Result<HttpResponse, ProviderError> call(const BaseUrl& base, const HttpRequest& request,
                                             const Classifier& classify);

    const RetryPolicy& policy() const { return m_policy; }
    int attempts() const { return m_attempts; } // made so far, over every call

    // An absolute end for everything this caller does until it is cleared: a caller on the phone
    // waits for one answer, however many requests (pages, a token refresh) it takes.
    void setDeadline(std::optional<std::chrono::steady_clock::time_point> deadline)
    {
        m_deadline = deadline;
    }

private:
    HttpsClient& m_http;
    RetryPolicy m_policy;
    Sleeper m_sleep;
    std::function<double()> m_random;
    int m_attempts = 0;
    std::optional<std::chrono::steady_clock::time_point> m_deadline;
};

// Per organisation and provider: Closed lets calls through and counts consecutive failures;
// `threshold` of them open it for `coolDown`; then one trial call is let through (half open):
// its success closes the breaker, its failure opens it again.
class CircuitBreakers {
public:
    using Clock = std::chrono::steady_clock;
    CircuitBreakers(int threshold = 5,
                    std::chrono::milliseconds coolDown = std::chrono::seconds(30));

    // Whether a call may go now; false while open (and while a half-open trial is out).
    bool allow(const std::string& organisationId, Provider provider, Clock::time_point now);
    void record(const std::string& organisationId, Provider provider, bool success,
                Clock::time_point now);
    // Forgets the organisation's record with the provider (its settings changed: a new chance).
    void reset(const std::string& organisationId, Provider provider);

    enum class State { Closed, Open, HalfOpen };
    State state(const std::string& organisationId, Provider provider, Clock::time_point now) const;

private:
    struct Entry {
        int failures = 0;
        Clock::time_point openUntil{};
        bool open = false;
        bool trialOut = false;
    };
    const int m_threshold;
    const std::chrono::milliseconds m_coolDown;
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, Provider>, Entry> m_entries;
};

} // namespace cc::server::integrations
