#pragma once

#include "shared/analytics/measures.h"
#include "shared/sync/value.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}
namespace cc::server::db {
class Database;
}
namespace cc::server::sync {
class SyncHub;
}

// Live "today so far" figures (docs/analytics.md, "Live"). For each organisation somebody
// watches, a node keeps one LiveBoard per store, seeded from the database and then fed by the
// sync hub with every committed change of a call (from any node), and pushes the stores' new
// figures to their watchers within a few tens of milliseconds, coalescing bursts.
namespace cc::server::analytics {

class LiveSubscriber {
public:
    virtual ~LiveSubscriber() = default;
    // Thread-safe: the subscriber queues the encoded `analytics` message on its own strand.
    virtual void sendAnalytics(std::shared_ptr<const std::string> message) = 0;
};

// What one connection watches, already authorised by the caller.
struct LiveSubscription {
    std::string organisationId;
    std::vector<std::string> locations;
    bool organisation = false; // also the organisation's totals
};

// A store's local day and hour at an instant (days since 1970-01-01 on its wall clock), from the
// time zone database; an unknown zone counts as UTC.
cc::analytics::LocalSlot localSlot(std::string_view timeZone, std::int64_t epochMs);
// YYYY-MM-DD of a day number.
std::string formatDay(std::int32_t day);

// The analytics facts of a synced calls row (docs/sync-protocol.md has its fields).
cc::analytics::CallFacts callFactsOf(const cc::sync::Fields& fields);

class LiveAnalytics {
public:
    using Clock = std::function<std::int64_t()>; // Unix epoch milliseconds

    // `coalesceMs`: how long changes gather before the figures they alter are sent.
    LiveAnalytics(db::Database& database, sync::SyncHub& hub, boost::asio::io_context& ioc,
                  int coalesceMs = 20, Clock clock = {});
    ~LiveAnalytics();
    LiveAnalytics(const LiveAnalytics&) = delete;
    LiveAnalytics& operator=(const LiveAnalytics&) = delete;

    // Starts (or replaces) what `subscriber` watches; the current figures follow at once when
    // the organisation is already loaded, else as soon as it is. Any thread.
    void subscribe(const std::shared_ptr<LiveSubscriber>& subscriber, LiveSubscription what);
    void unsubscribe(const LiveSubscriber* subscriber);
    // The organisation's thresholds changed (NOTIFY cc_analytics_settings). Any thread.
    void settingsChanged(const std::string& organisationId);
    // Once a second: stores whose local day turned start afresh. Any thread.
    void tick();
    // Before the database and the hub go: no more work is started.
    void stop();

    std::size_t subscribers() const;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace cc::server::analytics
