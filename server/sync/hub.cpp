#include "server/sync/hub.h"

#include "server/db/database.h"
#include "server/ops/log.h"
#include "server/ops/metrics.h"
#include "shared/protocol/envelope.h"

#include <pqxx/pqxx>

#include <vector>

namespace cc::server::sync {

std::shared_ptr<const std::string> encodeChanges(const Batch& batch, const SyncScope& scope,
                                                 std::int64_t cursor)
{
    protocol::Changes changes;
    changes.from = std::max(batch.from, cursor + 1);
    changes.to = batch.to;
    changes.complete = true;
    changes.scopeKey = scope.key;
    for (const auto& row : batch.rows) {
        if (row.row.version > cursor && scope.sees(row.audience)) {
            changes.rows.push_back(row.row);
        }
    }
    if (changes.rows.empty()) {
        return nullptr;
    }
    return std::make_shared<const std::string>(protocol::encode(
        protocol::Envelope{protocol::kMaxProtocolVersion, {}, std::move(changes)}));
}

SharedBatch::SharedBatch(Batch batch)
    : m_batch(std::move(batch))
{}

std::shared_ptr<const std::string> SharedBatch::messageFor(const SyncScope& scope,
                                                           std::int64_t cursor) const
{
    if (cursor + 1 != m_batch.from) {
        return encodeChanges(m_batch, scope, cursor); // unusual: not worth caching
    }
    const std::lock_guard lock(m_mutex);
    auto it = m_byScope.find(scope.key);
    if (it == m_byScope.end()) {
        it = m_byScope.emplace(scope.key, encodeChanges(m_batch, scope, cursor)).first;
    }
    return it->second;
}

SyncHub::SyncHub(db::Database& database, std::size_t batchLimit)
    : m_database(database)
    , m_batchLimit(batchLimit)
{}

std::int64_t SyncHub::add(const std::string& organisationId,
                          const std::shared_ptr<SyncSubscriber>& subscriber, std::int64_t cursor)
{
    Reads reads;
    std::int64_t dispatched = 0;
    {
        const std::lock_guard lock(m_mutex);
        Org& org = m_orgs[organisationId];
        if (org.dispatched < 0) {
            // The first subscriber's cursor is where this node starts handing out batches; a
            // later subscriber that is behind finds the gap itself and catches up by reading.
            org.dispatched = cursor;
        }
        org.subscribers[subscriber.get()] = subscriber;
        claimRead(organisationId, org, reads); // anything committed since the subscriber's read
        dispatched = org.dispatched;
    }
    submit(std::move(reads));
    return dispatched;
}

void SyncHub::remove(const std::string& organisationId, const SyncSubscriber* subscriber)
{
    const std::lock_guard lock(m_mutex);
    const auto it = m_orgs.find(organisationId);
    if (it == m_orgs.end()) {
        return;
    }
    it->second.subscribers.erase(subscriber);
    if (it->second.subscribers.empty() && !it->second.reading) {
        m_orgs.erase(it);
    }
}

void SyncHub::notify(const std::string& organisationId)
{
    Reads reads;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_orgs.find(organisationId);
        if (it != m_orgs.end()) {
            if (!it->second.notified) {
                it->second.notified = std::chrono::steady_clock::now();
            }
            claimRead(organisationId, it->second, reads);
        }
    }
    submit(std::move(reads));
}

void SyncHub::pollAll()
{
    Reads reads;
    {
        const std::lock_guard lock(m_mutex);
        for (auto& [id, org] : m_orgs) {
            claimRead(id, org, reads);
        }
    }
    submit(std::move(reads));
}

std::size_t SyncHub::subscribers() const
{
    const std::lock_guard lock(m_mutex);
    std::size_t n = 0;
    for (const auto& [id, org] : m_orgs) {
        n += org.subscribers.size();
    }
    return n;
}

void SyncHub::claimRead(const std::string& organisationId, Org& org, Reads& reads)
{
    if (org.reading) {
        org.dirty = true; // read again when this read is done
        return;
    }
    org.reading = true;
    org.dirty = false;
    reads.emplace_back(organisationId, org.dispatched);
}

void SyncHub::submit(Reads reads)
{
    // Never with m_mutex held: a full queue calls the failure callback right here, and that
    // callback takes the mutex.
    for (auto& [organisationId, after] : reads) {
        m_database.submit(
            [this, organisationId, after = after](pqxx::connection& conn) {
                // Number what has committed since (whichever node gets there first does it),
                // then read it.
                sequence(conn, organisationId);
                onBatch(organisationId, readBatch(conn, organisationId, after, m_batchLimit));
            },
            [this, organisationId](const std::string& reason) {
                log::warn("sync", "fan-out read failed (retried within a second): " + reason);
                onBatch(organisationId, std::nullopt);
            });
    }
}

void SyncHub::onBatch(const std::string& organisationId, std::optional<Batch> batch)
{
    std::vector<std::shared_ptr<SyncSubscriber>> targets;
    std::shared_ptr<const SharedBatch> shared;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_orgs.find(organisationId);
        if (it == m_orgs.end()) {
            return;
        }
        Org& org = it->second;
        if (batch && batch->to > org.dispatched && org.notified && !batch->rows.empty()) {
            ops::metrics().syncFanoutSeconds.observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - *org.notified)
                    .count());
        }
        if (batch) {
            // Every read answers the notifications before it, with rows or without (the second
            // NOTIFY of a change, from its sequencing, finds it handed out already): a start
            // time kept past its read would time a later change from long before it.
            org.notified.reset();
        }
        if (batch && batch->to > org.dispatched) {
            org.dispatched = batch->to;
            if (batch->truncated) {
                org.dirty = true; // a full batch: more is waiting
            }
            shared = std::make_shared<const SharedBatch>(std::move(*batch));
            for (auto s = org.subscribers.begin(); s != org.subscribers.end();) {
                if (auto live = s->second.lock()) {
                    targets.push_back(std::move(live));
                    ++s;
                } else {
                    s = org.subscribers.erase(s);
                }
            }
        }
    }
    // Still "reading" while handing out, so the next batch of this organisation is read (and
    // posted to the subscribers' strands) only after this one: every subscriber sees them in order.
    for (const auto& target : targets) {
        target->deliver(shared);
    }
    Reads reads;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_orgs.find(organisationId);
        if (it == m_orgs.end()) {
            return;
        }
        Org& org = it->second;
        org.reading = false;
        if (org.subscribers.empty()) {
            m_orgs.erase(it);
        } else if (org.dirty && batch) {
            claimRead(organisationId, org, reads); // a failed read waits for the next poll
        }
    }
    submit(std::move(reads));
}

} // namespace cc::server::sync
