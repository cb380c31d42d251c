#include "server/integrations/pool.h"

#include "server/ops/log.h"

namespace cc::server::integrations {

using K = ProviderError::Kind;

Worker::Worker(Pool& pool, HttpsClient::Options http)
    : m_pool(pool)
    , m_http(std::move(http))
    , m_caller(m_http, pool.options().policy)
{}

bool Worker::allow(const OpenedIntegration& integration)
{
    return m_pool.breakers().allow(integration.organisationId, integration.provider,
                                   std::chrono::steady_clock::now());
}

void Worker::record(const OpenedIntegration& integration, const std::optional<ProviderError>& error,
                    std::chrono::steady_clock::time_point now)
{
    // A missing item or a misconfigured store says nothing about the provider's health.
    const bool healthy = !error || !countsAgainstProvider(*error);
    m_pool.breakers().record(integration.organisationId, integration.provider, healthy, now);
}

AccessTokens& Worker::tokens()
{
    return m_pool.tokens();
}

Result<StockResult, ProviderError>
Worker::findStock(const OpenedIntegration& integration, const std::string& storeId,
                  StockQuery query, std::optional<std::chrono::steady_clock::time_point> deadline)
{
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        return ProviderError{K::Unavailable, "the caller could not wait any longer", 0};
    }
    m_caller.setDeadline(deadline);
    struct Clear {
        RetryingCaller& caller;
        ~Clear() { caller.setDeadline(std::nullopt); }
    } clear{m_caller};
    const auto location = integration.locations.find(storeId);
    if (location == integration.locations.end()) {
        return ProviderError{
            K::NotFound,
            "this store has no location at " + std::string(toString(integration.provider)), 0};
    }
    query.locationRef = location->second;
    return guarded<StockResult>(integration, [&]() -> Result<StockResult, ProviderError> {
        if (integration.provider == Provider::Shopify) {
            return makeShopifyInventory(m_caller, integration.shopify)->findStock(query);
        }
        if (integration.provider == Provider::Square) {
            return makeSquareInventory(m_caller, integration.square)->findStock(query);
        }
        return ProviderError{K::Rejected, "not a source of stock", 0};
    });
}

std::optional<ProviderError> Worker::test(const OpenedIntegration& integration)
{
    if (integration.locations.empty()) {
        return ProviderError{K::Rejected, "no store is linked to the provider yet", 0};
    }
    const auto& [storeId, externalId] = *integration.locations.begin();
    if (integration.provider == Provider::GoogleCalendar) {
        // The next hour of the first store's calendar: proves the token refresh and access.
        auto busy =
            withCalendar<std::vector<BusyInterval>>(integration, [&](GoogleCalendar& calendar) {
                const auto now = std::chrono::system_clock::now();
                const auto format = [](std::chrono::system_clock::time_point t) {
                    const std::time_t s = std::chrono::system_clock::to_time_t(t);
                    std::tm tm{};
                    gmtime_r(&s, &tm);
                    char text[32];
                    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
                    return std::string(text);
                };
                return calendar.freeBusy(externalId, format(now),
                                         format(now + std::chrono::hours(1)), "UTC");
            });
        return busy ? std::nullopt : std::optional<ProviderError>(busy.error());
    }
    // One page of one variant of anything at the first linked store.
    OpenedIntegration small = integration;
    small.shopify.pageSize = 1;
    small.shopify.maxPages = 1;
    small.square.pageSize = 1;
    small.square.maxPages = 1;
    auto stock = findStock(small, storeId, StockQuery{});
    return stock ? std::nullopt : std::optional<ProviderError>(stock.error());
}

Pool::Pool(PoolOptions options)
    : m_options(std::move(options))
    , m_breakers(m_options.breakerThreshold, m_options.breakerCoolDown)
{
    // Fails here, at start, when the CA file is unreadable: not on a caller's first question.
    HttpsClient probe(clientOptions());
    for (std::size_t i = 0; i < std::max<std::size_t>(1, m_options.workers); ++i) {
        m_threads.emplace_back([this, i] { workerLoop(i); });
    }
}

HttpsClient::Options Pool::clientOptions() const
{
    HttpsClient::Options o;
    o.caFile = m_options.caFile;
    o.allowPrivateAddresses = m_options.allowPrivateAddresses;
    return o;
}

Pool::~Pool()
{
    stop();
}

void Pool::submit(Job job, Failure onFailure)
{
    std::string refusal;
    {
        const std::lock_guard lock(m_mutex);
        if (!m_stopping && m_queue.size() < m_options.maxQueue) {
            m_queue.push_back(Task{std::move(job), std::move(onFailure)});
            m_wake.notify_one();
            return;
        }
        refusal = m_stopping ? "integrations are shutting down" : "integrations queue is full";
    }
    onFailure(refusal);
}

void Pool::stop()
{
    std::deque<Task> abandoned;
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
        abandoned.swap(m_queue);
    }
    m_wake.notify_all();
    for (auto& t : abandoned) {
        t.onFailure("integrations are shutting down");
    }
    for (auto& t : m_threads) {
        if (t.joinable()) {
            t.join();
        }
    }
    m_threads.clear();
}

void Pool::workerLoop(std::size_t index)
{
    Worker worker(*this, clientOptions());
    for (;;) {
        Task task;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty()) {
                return;
            }
            task = std::move(m_queue.front());
            m_queue.pop_front();
        }
        try {
            task.job(worker);
        } catch (const std::exception& e) {
            log::error("integrations", "worker " + std::to_string(index) + ": " + e.what());
            task.onFailure(e.what());
        }
    }
}

} // namespace cc::server::integrations
