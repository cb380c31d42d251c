#pragma once

#include "server/integrations/calendar.h"
#include "server/integrations/inventory.h"
#include "server/integrations/store.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// The threads that talk to providers. Like the database workers, they take jobs from a bounded
// queue and hand results back through the job's own callback; unlike them they wait on the
// network, so they are kept apart: a slow provider never holds up a database job or a socket.
namespace cc::server::integrations {

struct PoolOptions {
    std::size_t workers = 4;
    std::size_t maxQueue = 256;
    std::string caFile;                 // empty: the system's store (tests trust their fakes' CA)
    bool allowPrivateAddresses = false; // HttpsClient::Options
    RetryPolicy policy;
    int breakerThreshold = 5;
    std::chrono::milliseconds breakerCoolDown{30000};
};

class Pool;

// What a job gets: its thread's HTTPS client, and the calls that go through the organisation's
// circuit breaker.
class Worker {
public:
    Worker(Pool& pool, HttpsClient::Options http);

    // Stock for one store. NotFound when the store has no location at the provider. With a
    // deadline (a caller waiting on the phone), every request and wait ends by then.
    Result<StockResult, ProviderError>
    findStock(const OpenedIntegration& integration, const std::string& storeId, StockQuery query,
              std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

    // A small real call that proves the settings and credentials work ("test connection").
    std::optional<ProviderError> test(const OpenedIntegration& integration);

    // Runs `call` with a Google Calendar client for the organisation, through its breaker.
    template <typename T>
    Result<T, ProviderError>
    withCalendar(const OpenedIntegration& integration,
                 const std::function<Result<T, ProviderError>(GoogleCalendar&)>& call)
    {
        return guarded<T>(integration, [&]() -> Result<T, ProviderError> {
            GoogleCalendar calendar(m_caller, integration.google, tokens(),
                                    integration.organisationId + ":" + integration.version);
            return call(calendar);
        });
    }

    HttpsClient& http() { return m_http; }

private:
    template <typename T>
    Result<T, ProviderError> guarded(const OpenedIntegration& integration,
                                     const std::function<Result<T, ProviderError>()>& call)
    {
        const auto now = std::chrono::steady_clock::now();
        if (!allow(integration)) {
            return ProviderError{ProviderError::Kind::CircuitOpen,
                                 std::string(toString(integration.provider)) +
                                     " failed repeatedly just now: not asked for a while",
                                 0};
        }
        try {
            auto result = call();
            record(integration,
                   result ? std::nullopt : std::optional<ProviderError>(result.error()), now);
            return result;
        } catch (...) {
            // A half-open trial that threw must still settle the breaker, or it stays half open.
            record(integration,
                   ProviderError{ProviderError::Kind::Unavailable, "the call failed", 0}, now);
            throw;
        }
    }
    bool allow(const OpenedIntegration& integration);
    void record(const OpenedIntegration& integration, const std::optional<ProviderError>& error,
                std::chrono::steady_clock::time_point now);
    AccessTokens& tokens();

    Pool& m_pool;
    HttpsClient m_http;
    RetryingCaller m_caller;
};

class Pool {
public:
    using Job = std::function<void(Worker&)>;
    using Failure = std::function<void(const std::string& reason)>;

    explicit Pool(PoolOptions options);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Queues `job`; `onFailure` instead when the queue is full, the pool is stopping, or the job
    // threw (with a reason fit for a log).
    void submit(Job job, Failure onFailure);
    void stop();

    CircuitBreakers& breakers() { return m_breakers; }
    AccessTokens& tokens() { return m_tokens; }
    const PoolOptions& options() const { return m_options; }

private:
    struct Task {
        Job job;
        Failure onFailure;
    };
    void workerLoop(std::size_t index);
    HttpsClient::Options clientOptions() const;

    PoolOptions m_options;
    CircuitBreakers m_breakers;
    AccessTokens m_tokens;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Task> m_queue;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

} // namespace cc::server::integrations
