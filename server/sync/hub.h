#pragma once

#include "server/sync/scope.h"
#include "server/sync/sync_store.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cc::server::db {
class Database;
}

// One node's fan-out of committed changes. Whatever commits a change to a synced row (this node,
// another node, an administrator's SQL) makes PostgreSQL NOTIFY cc_sync with the organisation;
// the hub then runs the sequencer for it (numbering the committed changes; whichever node comes
// first does the work, and its NOTIFY cc_sync_sequenced wakes the others), reads that
// organisation's new sync_log rows once, on the database pool, and hands the batch to every live
// subscriber of the organisation, which filters it by its own scope. Batches of one organisation
// are contiguous and in version order.
namespace cc::server::sync {

// A batch shared by every subscriber of its organisation. Subscribers with the same scope and
// cursor (the usual case) share one encoded message.
class SharedBatch {
public:
    explicit SharedBatch(Batch batch);
    const Batch& batch() const { return m_batch; }
    // The "changes" message for a subscriber that holds everything up to `cursor`, or null when
    // none of the batch's rows after the cursor are visible to `scope`.
    std::shared_ptr<const std::string> messageFor(const SyncScope& scope,
                                                  std::int64_t cursor) const;

private:
    Batch m_batch;
    mutable std::mutex m_mutex;
    mutable std::unordered_map<std::string, std::shared_ptr<const std::string>> m_byScope;
};

class SyncSubscriber {
public:
    virtual ~SyncSubscriber() = default;
    // Thread-safe; the subscriber hands the batch to its own strand.
    virtual void deliver(std::shared_ptr<const SharedBatch> batch) = 0;
};

class SyncHub {
public:
    explicit SyncHub(db::Database& database, std::size_t batchLimit = 2000);
    SyncHub(const SyncHub&) = delete;
    SyncHub& operator=(const SyncHub&) = delete;

    // Registers a live subscriber that holds its organisation's rows up to `cursor`. Returns how
    // far this node has handed out batches: a subscriber behind that must read the rows between.
    std::int64_t add(const std::string& organisationId,
                     const std::shared_ptr<SyncSubscriber>& subscriber, std::int64_t cursor);
    void remove(const std::string& organisationId, const SyncSubscriber* subscriber);

    // A change committed in this organisation (NOTIFY payload). Any thread.
    void notify(const std::string& organisationId);
    // Looks at every organisation with subscribers: after the listener reconnected (NOTIFYs may
    // have been lost) and once a second as a safety net. Any thread.
    void pollAll();

    std::size_t subscribers() const;

private:
    struct Org {
        std::int64_t dispatched = -1; // every row up to here was handed out; -1: not yet known
        bool reading = false;
        bool dirty = false;
        // The first NOTIFY since the last read (the fan-out latency's start).
        std::optional<std::chrono::steady_clock::time_point> notified;
        std::map<const SyncSubscriber*, std::weak_ptr<SyncSubscriber>> subscribers;
    };
    using Reads = std::vector<std::pair<std::string, std::int64_t>>; // organisation, after
    void claimRead(const std::string& organisationId, Org& org, Reads& reads); // m_mutex held
    void submit(Reads reads);                                                  // m_mutex free
    void onBatch(const std::string& organisationId, std::optional<Batch> batch);

    db::Database& m_database;
    const std::size_t m_batchLimit;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Org> m_orgs;
};

// Encodes a "changes" message of the rows after `cursor` that `scope` sees (null if none).
std::shared_ptr<const std::string> encodeChanges(const Batch& batch, const SyncScope& scope,
                                                 std::int64_t cursor);

} // namespace cc::server::sync
