#pragma once

#include "app/core/reconnectpolicy.h"
#include "shared/protocol/messages.h"
#include "shared/sync/schema.h"
#include "shared/util/result.h"

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <cstdint>
#include <string>
#include <vector>

namespace cc::app {
class SyncTransport;
namespace cache {
class LocalStore;
struct WriteRequest;
} // namespace cache

// The device side of sync (docs/sync-protocol.md). Local writes go into the cache and its outbox
// at once (so they survive anything); the outbox is uploaded in order, one push at a time, and
// re-sent after any disconnect (the server applies each mutation id once). Incoming changes are
// applied to the cache page by page; a catch-up or snapshot pulls its pages at the pace the
// cache can write them.
//
// It owns no thread: it lives, with its connection and its cache, in the thread that made them
// (a worker thread in the app, the test's thread in tests, one thread for a thousand devices in
// the load client), and never waits for the network.
class SyncClient : public QObject {
    Q_OBJECT

public:
    enum class Phase {
        Offline,       // not connected
        Subscribing,   // connected, asking for changes since the cursor
        Bootstrapping, // downloading the device's scopes from scratch (progress in status)
        CatchingUp,    // downloading what changed while away
        Live,          // caught up; changes arrive as they commit
    };
    Q_ENUM(Phase)

    struct Status {
        Phase phase = Phase::Offline;
        std::size_t pendingWrites = 0;
        std::int64_t lastSyncedMs = 0;      // when the device was last caught up (0: never)
        std::int64_t bootstrapReceived = 0; // rows of the current snapshot received
        std::int64_t bootstrapTotal = 0;    // rows of the current snapshot in all (estimate)
        QString lastError;
    };

    SyncClient(SyncTransport* transport, cache::LocalStore* store, QObject* parent = nullptr);

    // A local write: validated, in the cache and the outbox when this returns, uploaded when
    // possible. The error is for the person who made it.
    Result<std::string, sync::Refused> write(std::string_view entity, sync::Op op,
                                             std::string_view key, const sync::Fields& fields);
    // Several local writes that belong together, in one transaction of the cache and in this
    // order in the outbox: all of them, or (one refused) none.
    Result<std::vector<std::string>, sync::Refused>
    writeAll(const std::vector<cache::WriteRequest>& writes);

    const Status& status() const { return m_status; }
    bool pushInFlight() const { return !m_pushId.empty(); }
    // How many outbox entries one push carries (tests and the load client change it).
    void setMaxPushMutations(std::size_t count) { m_maxPushMutations = count; }

Q_SIGNALS:
    void statusChanged();
    // Rows of these entities changed in the cache (from the server or a rollback).
    void rowsChanged(const QStringList& entities);
    void conflictsChanged();
    void caughtUp(); // the device holds everything up to the server's newest change

private:
    void onConnectedChanged();
    void onMessage(const protocol::Envelope& envelope);
    void onChanges(const protocol::Changes& changes);
    void onPushResult(const std::string& id, const protocol::PushResult& result);
    void onError(const std::string& id, const protocol::Error& error);
    void subscribe(bool fromScratch = false);
    void pushNext();
    void retryPushLater();
    void retrySyncLater(std::function<void()> action);
    void setPhase(Phase phase);
    void setError(const QString& error);
    void refreshPending();
    static std::int64_t nowMs();

    SyncTransport* m_transport;
    cache::LocalStore* m_store;
    Status m_status;
    std::size_t m_maxPushMutations = 500;
    std::uint64_t m_requestSeq = 0;
    std::string m_pushId;       // the push awaiting its answer, if any
    std::string m_subscribeId;  // the subscribe awaiting its first page, if any
    bool m_fromScratch = false; // the next subscribe asks for everything again
    ReconnectPolicy m_pushRetryPolicy;
    ReconnectPolicy m_syncRetryPolicy;
    QTimer m_pushRetryTimer; // a push the server could not take, sent again
    QTimer m_syncRetryTimer; // a subscribe or pull the server could not serve, asked again
    std::function<void()> m_syncRetryAction;
};

} // namespace cc::app
