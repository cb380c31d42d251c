#pragma once

#include "shared/sync/value.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <QVariantMap>
#include <QVector>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <memory>

class QQmlEngine;
class QJSEngine;

namespace cc::app {
namespace cache {
class LocalStore;
}
class ServerConnection;
class SyncWorker;
class TransportRelay;

// The app's sync, as QML sees it (singleton `Sync`): whether the device is online, syncing or
// offline, how many of its writes wait for the server, when it was last caught up and how far a
// first download has come. The cache and the sync client run on their own thread; everything here
// only forwards requests to it and takes its answers, so the GUI thread never waits for the disk
// or the network.
class SyncService : public QObject {
    Q_OBJECT
    QML_NAMED_ELEMENT(Sync)
    QML_SINGLETON

    Q_PROPERTY(State state READ state NOTIFY statusChanged)
    Q_PROPERTY(bool active READ active NOTIFY statusChanged)
    Q_PROPERTY(int pendingWrites READ pendingWrites NOTIFY statusChanged)
    Q_PROPERTY(QDateTime lastSyncedAt READ lastSyncedAt NOTIFY statusChanged)
    Q_PROPERTY(bool bootstrapping READ bootstrapping NOTIFY statusChanged)
    Q_PROPERTY(double bootstrapProgress READ bootstrapProgress NOTIFY statusChanged)
    Q_PROPERTY(int conflictCount READ conflictCount NOTIFY statusChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY statusChanged)

public:
    enum class State {
        Offline, // no connection (writes are kept and sent later)
        Syncing, // connected, downloading or catching up
        Online,  // connected and caught up: changes arrive as they happen
    };
    Q_ENUM(State)

    // What the worker reports; plain data crossing the thread.
    struct Snapshot {
        bool active = false;
        State state = State::Offline;
        int pendingWrites = 0;
        qint64 lastSyncedMs = 0;
        bool bootstrapping = false;
        double bootstrapProgress = 0;
        int conflictCount = 0;
        QString lastError;
    };

    // No default argument: Qt 6.4 would build the singleton with it (see ServerConnection).
    explicit SyncService(ServerConnection* connection);
    ~SyncService() override;

    static SyncService* create(QQmlEngine* qmlEngine, QJSEngine* jsEngine);
    static void setSingleton(SyncService* instance);
    // Where start() keeps the cache of this organisation and person under `folder`.
    static QString cachePath(const QString& folder, const QString& organisation,
                             const QString& userId);

    // Opens this person's cache (a file per organisation and user under `folder`, encrypted with
    // `cacheKey`, the 32 bytes Session::cacheKey() gives; empty leaves it plain, for tools and
    // tests only) and starts syncing on the connection; stop() closes it (the file stays for the
    // next sign-in).
    void start(const QString& folder, const QString& organisation, const QString& userId,
               const QByteArray& cacheKey);
    void stop();
    // The person whose cache is open (or opening); empty before start().
    QString userId() const { return m_userId; }

    State state() const { return m_status.state; }
    bool active() const { return m_status.active; }
    int pendingWrites() const { return m_status.pendingWrites; }
    QDateTime lastSyncedAt() const;
    bool bootstrapping() const { return m_status.bootstrapping; }
    double bootstrapProgress() const { return m_status.bootstrapProgress; }
    int conflictCount() const { return m_status.conflictCount; }
    QString lastError() const { return m_status.lastError; }

    using WriteDone = std::function<void(const QString& error)>; // empty error: written
    using RowsDone = std::function<void(const QVector<QVariantMap>& rows)>;
    // A local write (validated, in the cache and its outbox when `done` runs on this thread).
    void write(const QString& entity, int op, const QString& key, const QVariantMap& fields,
               QObject* context, WriteDone done);
    // Local writes that belong together (a call's note and its outcome): validated, and in the
    // cache and its outbox in one transaction, in this order, when `done` runs on this thread:
    // all of them or, when one is refused, none. They are made even if `context` is gone by then
    // (only `done` is not called).
    struct Write {
        QString entity;
        int op = 0; // sync::Op
        QString key;
        QVariantMap fields;
    };
    void writeAll(const QVector<Write>& writes, QObject* context, WriteDone done);
    // Every cached row of `entity` (fields by name), read on the worker.
    void readRows(const QString& entity, QObject* context, RowsDone done);
    // The writes of this device the server did not keep (kind, entity, key, reason, fields,
    // at), oldest first; and forgetting one once its person has seen it.
    void readConflicts(QObject* context, RowsDone done);
    // The stores of the person whose cache is open (their home store and those they work in),
    // from the synced staff directory: what they may change.
    using StoresDone = std::function<void(const QStringList& storeIds)>;
    void readOwnStores(QObject* context, StoresDone done);
    void dismissConflict(qint64 id);

    // Runs `read` on the sync thread with the open cache (nullptr when none is open) and the
    // person's id, and hands what it returns to `done` on this thread if `context` still exists:
    // for screens that join several entities, so they read in one trip, by the cache's indexes.
    // `read` must only read, and must not keep the pointer.
    template <typename Result, typename Read, typename Done>
    void readCache(QObject* context, Read read, Done done)
    {
        auto result = std::make_shared<Result>();
        runOnCache(
            context,
            [result, read = std::move(read)](const cache::LocalStore* store,
                                             const QString& userId) {
                *result = read(store, userId);
            },
            [result, done = std::move(done)] { done(std::move(*result)); });
    }

Q_SIGNALS:
    void statusChanged();
    // Rows of these entities changed in the cache (an empty list: possibly any).
    void rowsChanged(const QStringList& entities);

private:
    void runOnCache(QObject* context,
                    std::function<void(const cache::LocalStore*, const QString&)> work,
                    std::function<void()> done);

    ServerConnection* m_connection;
    QThread m_thread;
    SyncWorker* m_worker = nullptr;   // lives on m_thread
    QPointer<TransportRelay> m_relay; // the current person's, GUI thread
    QString m_userId;                 // whose cache is open
    Snapshot m_status;
};

// Converts between QML's values and the synced values of a field.
QVariant toVariant(const sync::Value& value);
sync::Value fromVariant(const QVariant& value);

} // namespace cc::app

Q_DECLARE_METATYPE(cc::app::SyncService::Snapshot)
