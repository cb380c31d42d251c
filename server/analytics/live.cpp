#include "server/analytics/live.h"

#include "server/analytics/report.h"
#include "server/db/database.h"
#include "server/ops/log.h"
#include "server/sync/hub.h"
#include "shared/protocol/envelope.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <date/date.h>
#include <date/tz.h>
#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

namespace cc::server::analytics {

namespace asio = boost::asio;
using cc::analytics::CallFacts;
using cc::analytics::LiveBoard;
using cc::analytics::LocalSlot;

namespace {

const date::time_zone* zoneOf(std::string_view name)
{
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr;
    }
}

LocalSlot slotIn(const date::time_zone* zone, std::int64_t epochMs)
{
    const date::sys_time<std::chrono::milliseconds> at{std::chrono::milliseconds(epochMs)};
    const auto local = zone != nullptr
                           ? zone->to_local(at)
                           : date::local_time<std::chrono::milliseconds>(at.time_since_epoch());
    const auto day = date::floor<date::days>(local);
    const auto hour = std::chrono::duration_cast<std::chrono::hours>(local - day).count();
    return {static_cast<std::int32_t>(day.time_since_epoch().count()), static_cast<int>(hour)};
}

std::int64_t systemNowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string text(const cc::sync::Fields& fields, std::string_view name)
{
    const auto* v = cc::sync::find(fields, name);
    const auto* s = v != nullptr ? std::get_if<std::string>(v) : nullptr;
    return s != nullptr ? *s : std::string();
}

std::int64_t number(const cc::sync::Fields& fields, std::string_view name, std::int64_t absent)
{
    const auto* v = cc::sync::find(fields, name);
    const auto* n = v != nullptr ? std::get_if<std::int64_t>(v) : nullptr;
    return n != nullptr ? *n : absent;
}

// Calls this old cannot be on any store's today (UTC-12 to UTC+14, plus a day).
constexpr std::chrono::hours kSeedWindow{52};
// Batches held while an organisation's day is read; more than this and it is read again.
constexpr std::size_t kMaxHeldBatches = 10000;

} // namespace

cc::analytics::LocalSlot localSlot(std::string_view timeZone, std::int64_t epochMs)
{
    return slotIn(zoneOf(timeZone), epochMs);
}

std::string formatDay(std::int32_t day)
{
    const date::year_month_day ymd{date::sys_days{date::days{day}}};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

CallFacts callFactsOf(const cc::sync::Fields& fields)
{
    CallFacts c;
    c.inbound = text(fields, "direction") != "outbound";
    c.status = text(fields, "status");
    c.startedMs = number(fields, "started_at", 0);
    c.answeredMs = number(fields, "answered_at", 0);
    c.endedMs = number(fields, "ended_at", 0);
    c.wrapUpMs = number(fields, "wrap_up_ms", -1);
    c.repeatedMs = number(fields, "repeated_at", 0);
    c.disposition = text(fields, "disposition");
    c.handledBy = text(fields, "handled_by");
    c.locationId = text(fields, "location_id");
    c.answeredLocation = text(fields, "answered_location_id");
    return c;
}

// ---- the engine ----

struct LiveAnalytics::Impl : std::enable_shared_from_this<LiveAnalytics::Impl> {
    struct Store {
        std::string timeZone;
        const date::time_zone* zone = nullptr;
        LiveBoard board;
        bool dirty = true;
    };
    struct Watcher {
        std::weak_ptr<LiveSubscriber> subscriber;
        LiveSubscription what;
        bool fresh = true; // has not had the current figures yet
    };
    class Feed;
    struct Org {
        bool ready = false;
        bool seeding = false;
        cc::analytics::Settings settings;
        std::int64_t seededVersion = 0;
        std::map<std::string, Store> stores;
        std::unordered_map<std::string, std::string> callStore;     // call id -> store id
        std::vector<std::shared_ptr<const sync::SharedBatch>> held; // while seeding
        bool heldOverflowed = false;
        std::uint64_t generation = 0; // of the seed that fills it
        std::map<const LiveSubscriber*, Watcher> watchers;
        std::shared_ptr<Feed> feed;
        std::int64_t lastEventMs = 0;
    };

    Impl(db::Database& db, sync::SyncHub& syncHub, asio::io_context& ioc, int coalesceMs,
         Clock clockFn)
        : database(db)
        , hub(syncHub)
        , timer(ioc)
        , coalesce(coalesceMs)
        , clock(clockFn ? std::move(clockFn) : Clock(systemNowMs))
    {}

    db::Database& database;
    sync::SyncHub& hub;
    mutable std::mutex mutex;
    asio::steady_timer timer; // touched only with `mutex` held
    bool flushScheduled = false;
    bool stopped = false;
    const std::chrono::milliseconds coalesce;
    const Clock clock;
    std::unordered_map<std::string, Org> orgs;

    // Reads the organisation's day (generation: the Org it is for; a later one wins).
    void seed(const std::string& organisationId, std::uint64_t generation);
    void onSeeded(const std::string& organisationId, std::uint64_t generation,
                  cc::analytics::Settings settings, std::int64_t version,
                  std::vector<std::pair<std::string, std::string>> stores,
                  std::vector<std::pair<std::string, CallFacts>> calls);
    std::uint64_t nextGeneration = 0; // with `mutex`
    void deliver(const std::string& organisationId,
                 const std::shared_ptr<const sync::SharedBatch>& batch);
    void applyBatch(Org& org, const sync::Batch& batch);                    // mutex held
    void apply(Org& org, const std::string& callId, const CallFacts& call); // mutex held
    void scheduleFlush();                                                   // mutex held
    void flush();
    std::shared_ptr<const std::string> storeMessage(const Org& org, const std::string& id,
                                                    const Store& store) const;
    std::shared_ptr<const std::string> orgMessage(const std::string& organisationId,
                                                  const Org& org) const;
};

// The hub's subscriber for one organisation: hands batches to the engine, if it is still there.
class LiveAnalytics::Impl::Feed : public sync::SyncSubscriber {
public:
    Feed(std::weak_ptr<Impl> engine, std::string organisationId)
        : m_engine(std::move(engine))
        , m_organisationId(std::move(organisationId))
    {}
    void deliver(std::shared_ptr<const sync::SharedBatch> batch) override
    {
        if (auto engine = m_engine.lock()) {
            engine->deliver(m_organisationId, batch);
        }
    }

private:
    std::weak_ptr<Impl> m_engine;
    std::string m_organisationId;
};

void LiveAnalytics::Impl::seed(const std::string& organisationId, std::uint64_t generation)
{
    std::weak_ptr<Impl> weak = weak_from_this();
    database.submit(
        [weak, organisationId, generation](pqxx::connection& conn) {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            std::shared_ptr<Feed> feed;
            {
                const std::lock_guard lock(self->mutex);
                auto it = self->orgs.find(organisationId);
                if (it == self->orgs.end() || it->second.generation != generation ||
                    self->stopped) {
                    return; // nobody watches any more, or a newer seed is on its way
                }
                if (!it->second.feed) {
                    it->second.feed = std::make_shared<Feed>(weak, organisationId);
                }
                feed = it->second.feed;
            }
            // Follow the hub first, holding its batches, then read: whatever commits after the
            // snapshot arrives as a batch, whatever the snapshot has is skipped by version.
            std::int64_t newest = 0;
            {
                pqxx::read_transaction tx(conn);
                newest = tx.exec_params1("SELECT coalesce(max(version), 0) FROM sync_log WHERE "
                                         "organisation_id = $1::uuid",
                                         organisationId)[0]
                             .as<std::int64_t>();
            }
            self->hub.add(organisationId, feed, newest);
            pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
            const pqxx::row t = tx.exec_params1(
                "SELECT (s).service_level_s, (s).short_abandon_s, (s).repeat_window_hours, "
                "(SELECT coalesce(max(version), 0) FROM sync_log WHERE organisation_id = "
                "$1::uuid) FROM (SELECT analytics_settings_of($1::uuid) AS s) x",
                organisationId);
            const cc::analytics::Settings settings{t[0].as<int>(), t[1].as<int>(), t[2].as<int>()};
            const std::int64_t version = t[3].as<std::int64_t>();
            std::vector<std::pair<std::string, std::string>> stores;
            for (const auto& r : tx.exec_params("SELECT id::text, timezone FROM locations WHERE "
                                                "organisation_id = $1::uuid",
                                                organisationId)) {
                stores.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
            }
            std::vector<std::pair<std::string, CallFacts>> calls;
            const pqxx::result rows = tx.exec_params(
                "SELECT id::text, location_id::text, direction = 'inbound', status, "
                "sync_ms(started_at), coalesce(sync_ms(answered_at), 0), "
                "coalesce(sync_ms(ended_at), 0), coalesce(wrap_up_ms, -1), "
                "coalesce(sync_ms(repeated_at), 0), coalesce(disposition, ''), "
                "coalesce(handled_by::text, ''), coalesce(answered_location_id::text, '') "
                "FROM calls WHERE organisation_id = $1::uuid AND started_at > now() - "
                "make_interval(hours => $2)",
                organisationId, static_cast<int>(kSeedWindow.count()));
            calls.reserve(rows.size());
            for (const auto& r : rows) {
                CallFacts c;
                c.locationId = r[1].as<std::string>();
                c.inbound = r[2].as<bool>();
                c.status = r[3].as<std::string>();
                c.startedMs = r[4].as<std::int64_t>();
                c.answeredMs = r[5].as<std::int64_t>();
                c.endedMs = r[6].as<std::int64_t>();
                c.wrapUpMs = r[7].as<std::int64_t>();
                c.repeatedMs = r[8].as<std::int64_t>();
                c.disposition = r[9].as<std::string>();
                c.handledBy = r[10].as<std::string>();
                c.answeredLocation = r[11].as<std::string>();
                calls.emplace_back(r[0].as<std::string>(), std::move(c));
            }
            tx.commit();
            self->onSeeded(organisationId, generation, settings, version, std::move(stores),
                           std::move(calls));
        },
        [weak, organisationId](const std::string& reason) {
            log::warn("analytics", "live figures of organisation " + organisationId +
                                       " not loaded: " + reason.substr(0, reason.find('\n')));
            if (auto self = weak.lock()) {
                const std::lock_guard lock(self->mutex);
                if (auto it = self->orgs.find(organisationId); it != self->orgs.end()) {
                    it->second.seeding = false; // the next tick tries again
                }
            }
        });
}

void LiveAnalytics::Impl::onSeeded(const std::string& organisationId, std::uint64_t generation,
                                   cc::analytics::Settings settings, std::int64_t version,
                                   std::vector<std::pair<std::string, std::string>> stores,
                                   std::vector<std::pair<std::string, CallFacts>> calls)
{
    const std::lock_guard lock(mutex);
    auto it = orgs.find(organisationId);
    if (it == orgs.end() || it->second.generation != generation || stopped) {
        return;
    }
    Org& org = it->second;
    org.settings = settings;
    org.seededVersion = version;
    org.stores.clear();
    org.callStore.clear();
    const std::int64_t now = clock();
    for (auto& [id, tz] : stores) {
        Store s;
        s.zone = zoneOf(tz);
        s.timeZone = std::move(tz);
        s.board = LiveBoard(slotIn(s.zone, now).day);
        org.stores.emplace(id, std::move(s));
    }
    for (const auto& [id, call] : calls) {
        apply(org, id, call);
    }
    org.seeding = false;
    if (org.heldOverflowed) {
        // Too much arrived while reading to hold: read again (the next tick).
        org.heldOverflowed = false;
        org.held.clear();
        return;
    }
    org.ready = true;
    auto held = std::move(org.held);
    org.held.clear();
    for (const auto& batch : held) {
        if (!org.ready) {
            break; // a store changed its clock: read again
        }
        applyBatch(org, batch->batch());
    }
    for (auto& [id, store] : org.stores) {
        store.dirty = true;
    }
    scheduleFlush();
}

void LiveAnalytics::Impl::deliver(const std::string& organisationId,
                                  const std::shared_ptr<const sync::SharedBatch>& batch)
{
    const std::lock_guard lock(mutex);
    auto it = orgs.find(organisationId);
    if (it == orgs.end() || stopped) {
        return;
    }
    Org& org = it->second;
    if (!org.ready) {
        if (org.held.size() >= kMaxHeldBatches) {
            org.heldOverflowed = true;
            org.held.clear();
        }
        if (!org.heldOverflowed) {
            org.held.push_back(batch);
        }
        return;
    }
    applyBatch(org, batch->batch());
}

void LiveAnalytics::Impl::applyBatch(Org& org, const sync::Batch& batch)
{
    bool changed = false;
    for (const auto& logRow : batch.rows) {
        const auto& row = logRow.row;
        if (row.version <= org.seededVersion) {
            continue; // the snapshot has it
        }
        if (row.entity == "calls") {
            if (row.deleted) {
                auto where = org.callStore.find(row.key);
                if (where != org.callStore.end()) {
                    auto store = org.stores.find(where->second);
                    if (store != org.stores.end()) {
                        // A day that is no board's: the call leaves it.
                        store->second.board.apply(row.key, CallFacts{}, {INT32_MIN, 0},
                                                  org.settings);
                        store->second.dirty = true;
                    }
                    org.callStore.erase(where);
                }
            } else {
                apply(org, row.key, callFactsOf(row.fields));
            }
            changed = true;
        } else if (row.entity == "locations" && !row.deleted) {
            const std::string tz = text(row.fields, "timezone");
            auto [store, added] = org.stores.try_emplace(row.key);
            if (added) {
                store->second.zone = zoneOf(tz);
                store->second.timeZone = tz;
                store->second.board = LiveBoard(slotIn(store->second.zone, clock()).day);
                store->second.dirty = true;
            } else if (store->second.timeZone != tz) {
                // Another clock: its day is another set of calls. Read them again (the next
                // tick); changes meanwhile are held.
                org.ready = false;
                org.seeding = false;
                return;
            }
        }
    }
    if (changed) {
        org.lastEventMs = clock();
        scheduleFlush();
    }
}

void LiveAnalytics::Impl::apply(Org& org, const std::string& callId, const CallFacts& call)
{
    auto where = org.callStore.find(callId);
    if (where != org.callStore.end() && where->second != call.locationId) {
        // Moved to another store (an administrator's correction): out of the old one.
        if (auto old = org.stores.find(where->second); old != org.stores.end()) {
            old->second.board.apply(callId, CallFacts{}, {INT32_MIN, 0}, org.settings);
            old->second.dirty = true;
        }
    }
    auto store = org.stores.find(call.locationId);
    if (store == org.stores.end()) {
        return;
    }
    Store& s = store->second;
    const std::int64_t now = clock();
    const std::int32_t today = slotIn(s.zone, now).day;
    if (today > s.board.day()) {
        s.board.startDay(today);
        // Calls of the old day are no longer followed.
        for (auto it = org.callStore.begin(); it != org.callStore.end();) {
            it = it->second == call.locationId ? org.callStore.erase(it) : std::next(it);
        }
    }
    const LocalSlot slot = slotIn(s.zone, call.startedMs);
    s.board.apply(callId, call, slot, org.settings);
    if (slot.day == s.board.day()) {
        org.callStore[callId] = call.locationId;
    } else {
        org.callStore.erase(callId);
    }
    s.dirty = true;
}

void LiveAnalytics::Impl::scheduleFlush()
{
    if (flushScheduled || stopped) {
        return;
    }
    flushScheduled = true;
    timer.expires_after(coalesce);
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        if (auto self = weak.lock()) {
            self->flush();
        }
    });
}

std::shared_ptr<const std::string>
LiveAnalytics::Impl::storeMessage(const Org& org, const std::string& id, const Store& store) const
{
    protocol::AnalyticsUpdate u;
    u.scope = "location";
    u.key = id;
    u.date = formatDay(store.board.day());
    u.asOfMs = clock();
    u.eventMs = org.lastEventMs;
    u.serviceLevelSeconds = org.settings.serviceLevelSeconds;
    u.totals = store.board.totals();
    u.hours.assign(store.board.byHour().begin(), store.board.byHour().end());
    for (const auto& [user, counters] : store.board.byPerson()) {
        if (u.people.size() >= protocol::kMaxAnalyticsPeople) {
            break;
        }
        u.people.push_back({user, counters});
    }
    u.waiting = store.board.waiting();
    u.oldestWaitingMs = store.board.oldestWaitingMs();
    return std::make_shared<const std::string>(
        protocol::encode(protocol::Envelope{protocol::kMaxProtocolVersion, {}, std::move(u)}));
}

std::shared_ptr<const std::string>
LiveAnalytics::Impl::orgMessage(const std::string& organisationId, const Org& org) const
{
    protocol::AnalyticsUpdate u;
    u.scope = "organisation";
    u.key = organisationId;
    u.asOfMs = clock();
    u.eventMs = org.lastEventMs;
    u.serviceLevelSeconds = org.settings.serviceLevelSeconds;
    std::int64_t oldest = 0;
    for (const auto& [id, store] : org.stores) {
        u.totals += store.board.totals();
        u.waiting += store.board.waiting();
        const std::int64_t o = store.board.oldestWaitingMs();
        if (o != 0 && (oldest == 0 || o < oldest)) {
            oldest = o;
        }
    }
    u.oldestWaitingMs = oldest;
    return std::make_shared<const std::string>(
        protocol::encode(protocol::Envelope{protocol::kMaxProtocolVersion, {}, std::move(u)}));
}

void LiveAnalytics::Impl::flush()
{
    // Declared before the lock: a session whose last reference is dropped here leaves (and
    // unsubscribes, which locks) only after the lock is released.
    std::vector<std::shared_ptr<LiveSubscriber>> alive;
    std::vector<std::pair<std::shared_ptr<LiveSubscriber>, std::shared_ptr<const std::string>>> out;
    {
        const std::lock_guard lock(mutex);
        flushScheduled = false;
        for (auto& [orgId, org] : orgs) {
            if (!org.ready) {
                continue;
            }
            bool anyDirty = false;
            std::map<std::string, std::shared_ptr<const std::string>> messages;
            for (auto& [id, store] : org.stores) {
                if (store.dirty) {
                    anyDirty = true;
                }
            }
            std::shared_ptr<const std::string> total;
            for (auto it = org.watchers.begin(); it != org.watchers.end();) {
                auto subscriber = it->second.subscriber.lock();
                if (!subscriber) {
                    it = org.watchers.erase(it);
                    continue;
                }
                alive.push_back(subscriber);
                Watcher& w = it->second;
                for (const auto& id : w.what.locations) {
                    auto store = org.stores.find(id);
                    if (store == org.stores.end() || (!store->second.dirty && !w.fresh)) {
                        continue;
                    }
                    auto& message = messages[id];
                    if (!message) {
                        message = storeMessage(org, id, store->second);
                    }
                    out.emplace_back(subscriber, message);
                }
                if (w.what.organisation && (anyDirty || w.fresh)) {
                    if (!total) {
                        total = orgMessage(orgId, org);
                    }
                    out.emplace_back(subscriber, total);
                }
                w.fresh = false;
                ++it;
            }
            for (auto& [id, store] : org.stores) {
                store.dirty = false;
            }
        }
    }
    for (auto& [subscriber, message] : out) {
        subscriber->sendAnalytics(message);
    }
}

LiveAnalytics::LiveAnalytics(db::Database& database, sync::SyncHub& hub, asio::io_context& ioc,
                             int coalesceMs, Clock clock)
    : m_impl(std::make_shared<Impl>(database, hub, ioc, coalesceMs, std::move(clock)))
{}

LiveAnalytics::~LiveAnalytics()
{
    stop();
}

void LiveAnalytics::stop()
{
    std::vector<std::pair<std::string, std::shared_ptr<Impl::Feed>>> feeds;
    {
        const std::lock_guard lock(m_impl->mutex);
        if (m_impl->stopped) {
            return;
        }
        m_impl->stopped = true;
        m_impl->timer.cancel();
        for (auto& [id, org] : m_impl->orgs) {
            if (org.feed) {
                feeds.emplace_back(id, org.feed);
            }
        }
        m_impl->orgs.clear();
    }
    for (const auto& [id, feed] : feeds) {
        m_impl->hub.remove(id, feed.get());
    }
}

void LiveAnalytics::subscribe(const std::shared_ptr<LiveSubscriber>& subscriber,
                              LiveSubscription what)
{
    unsubscribe(subscriber.get());
    const std::string orgId = what.organisationId;
    std::uint64_t seedNow = 0;
    {
        const std::lock_guard lock(m_impl->mutex);
        if (m_impl->stopped) {
            return;
        }
        Impl::Org& org = m_impl->orgs[orgId];
        org.watchers[subscriber.get()] = Impl::Watcher{subscriber, std::move(what), true};
        if (org.ready) {
            m_impl->scheduleFlush(); // the current figures, for this watcher
        } else if (!org.seeding) {
            org.seeding = true;
            org.generation = ++m_impl->nextGeneration;
            seedNow = org.generation;
        }
    }
    if (seedNow != 0) {
        m_impl->seed(orgId, seedNow);
    }
}

void LiveAnalytics::unsubscribe(const LiveSubscriber* subscriber)
{
    std::shared_ptr<Impl::Feed> feed;
    std::string orgId;
    {
        const std::lock_guard lock(m_impl->mutex);
        for (auto it = m_impl->orgs.begin(); it != m_impl->orgs.end(); ++it) {
            if (it->second.watchers.erase(subscriber) == 0) {
                continue;
            }
            if (it->second.watchers.empty()) {
                // Nobody left: stop following the organisation.
                feed = it->second.feed;
                orgId = it->first;
                m_impl->orgs.erase(it);
            }
            break;
        }
    }
    if (feed) {
        m_impl->hub.remove(orgId, feed.get());
    }
}

void LiveAnalytics::settingsChanged(const std::string& organisationId)
{
    {
        const std::lock_guard lock(m_impl->mutex);
        if (m_impl->orgs.count(organisationId) == 0) {
            return;
        }
    }
    std::weak_ptr<Impl> weak = m_impl;
    m_impl->database.submit(
        [weak, organisationId](pqxx::connection& conn) {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            const auto settings = readSettings(conn, organisationId);
            const std::lock_guard lock(self->mutex);
            auto it = self->orgs.find(organisationId);
            if (it == self->orgs.end()) {
                return;
            }
            it->second.settings = settings;
            for (auto& [id, store] : it->second.stores) {
                store.board.reclassify(settings);
                store.dirty = true;
            }
            self->scheduleFlush();
        },
        [organisationId](const std::string& reason) {
            log::warn("analytics", "new thresholds of organisation " + organisationId +
                                       " not read: " + reason.substr(0, reason.find('\n')));
        });
}

void LiveAnalytics::tick()
{
    std::vector<std::pair<std::string, std::uint64_t>> reseed;
    {
        const std::lock_guard lock(m_impl->mutex);
        if (m_impl->stopped) {
            return;
        }
        const std::int64_t now = m_impl->clock();
        bool anyTurned = false;
        for (auto& [orgId, org] : m_impl->orgs) {
            if (!org.ready) {
                if (!org.seeding) {
                    org.seeding = true;
                    org.generation = ++m_impl->nextGeneration;
                    reseed.emplace_back(orgId, org.generation);
                }
                continue;
            }
            std::set<std::string> turned;
            for (auto& [id, store] : org.stores) {
                const std::int32_t today = slotIn(store.zone, now).day;
                if (today > store.board.day()) {
                    store.board.startDay(today);
                    store.dirty = true;
                    turned.insert(id);
                }
            }
            if (!turned.empty()) {
                anyTurned = true;
                // Calls of the old day are no longer followed.
                for (auto it = org.callStore.begin(); it != org.callStore.end();) {
                    it = turned.count(it->second) != 0 ? org.callStore.erase(it) : std::next(it);
                }
            }
        }
        if (anyTurned) {
            m_impl->scheduleFlush();
        }
    }
    for (const auto& [orgId, generation] : reseed) {
        m_impl->seed(orgId, generation);
    }
}

std::size_t LiveAnalytics::subscribers() const
{
    const std::lock_guard lock(m_impl->mutex);
    std::size_t n = 0;
    for (const auto& [id, org] : m_impl->orgs) {
        n += org.watchers.size();
    }
    return n;
}

} // namespace cc::server::analytics
