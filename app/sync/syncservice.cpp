#include "app/sync/syncservice.h"

#include "app/cache/localstore.h"
#include "app/core/personalfiles.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncclient.h"
#include "app/sync/synctransport.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJSEngine>
#include <QQmlEngine>

#include <openssl/crypto.h>

#include <algorithm>
#include <memory>
#include <optional>

namespace cc::app {
namespace {

SyncService* g_instance = nullptr;

} // namespace

QVariant toVariant(const sync::Value& value)
{
    struct Visitor {
        QVariant operator()(sync::Null) const { return {}; }
        QVariant operator()(bool b) const { return b; }
        QVariant operator()(std::int64_t n) const { return static_cast<qlonglong>(n); }
        QVariant operator()(double d) const { return d; }
        QVariant operator()(const std::string& s) const { return QString::fromStdString(s); }
    };
    return std::visit(Visitor{}, value);
}

sync::Value fromVariant(const QVariant& value)
{
    switch (value.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        return sync::Null{};
    case QMetaType::Bool:
        return value.toBool();
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Long:
        return static_cast<std::int64_t>(value.toLongLong());
    case QMetaType::Double:
    case QMetaType::Float: {
        // QML numbers are doubles: whole ones are taken as integers (timestamps, counts).
        const double d = value.toDouble();
        if (d == static_cast<double>(static_cast<std::int64_t>(d))) {
            return static_cast<std::int64_t>(d);
        }
        return d;
    }
    case QMetaType::QDateTime:
        return static_cast<std::int64_t>(value.toDateTime().toMSecsSinceEpoch());
    default:
        if (value.isNull()) {
            return sync::Null{};
        }
        return value.toString().toStdString();
    }
}

// Owns the cache, the transport and the sync client, on the sync thread.
class SyncWorker : public QObject {
    Q_OBJECT

public:
    void open(const QString& path, const QString& deviceId, TransportRelay* relay, bool connected,
              QByteArray cacheKey)
    {
        close();
        std::optional<cache::CacheKey> key;
        if (cacheKey.size() == static_cast<qsizetype>(cache::kCacheKeyBytes)) {
            key.emplace();
            std::copy(cacheKey.cbegin(), cacheKey.cend(), key->begin());
        }
        cacheKey.fill('\0');
        auto opened = cache::LocalStore::open(path.toStdString(), deviceId.toStdString(), key);
        QString setAside;
        if (!opened && key &&
            opened.error().find(cache::kCryptWrongKeyError) != std::string::npos) {
            // The server gave another key than the one the file was sealed with (the device's key
            // was reset): what is in it cannot be read by anyone here any more. It is kept aside,
            // unread, and the device downloads what it may see again.
            setAside = path + QStringLiteral(".unreadable-") +
                       QString::number(QDateTime::currentMSecsSinceEpoch());
            bool moved = QFile::rename(path, setAside);
            for (const char* suffix : {"-wal", "-shm"}) {
                if (QFile::exists(path + suffix)) {
                    moved = QFile::rename(path + suffix, setAside + suffix) && moved;
                }
            }
            if (moved) {
                opened = cache::LocalStore::open(path.toStdString(), deviceId.toStdString(), key);
            }
        }
        if (key) {
            OPENSSL_cleanse(key->data(), key->size());
        }
        if (!opened) {
            relay->deleteLater();
            SyncService::Snapshot s;
            s.lastError = tr("The offline cache cannot be opened: %1")
                              .arg(QString::fromStdString(opened.error()));
            Q_EMIT statusUpdated(s);
            return;
        }
        m_store = std::move(opened).value();
        m_transport = std::make_unique<QueuedTransport>(relay, connected);
        m_client = std::make_unique<SyncClient>(m_transport.get(), m_store.get());
        connect(m_client.get(), &SyncClient::statusChanged, this, &SyncWorker::report);
        connect(m_client.get(), &SyncClient::conflictsChanged, this, &SyncWorker::report);
        connect(m_client.get(), &SyncClient::rowsChanged, this, &SyncWorker::rowsChanged);
        if (!setAside.isEmpty()) {
            m_notice = tr("This device's offline data could not be unlocked with its new key: it "
                          "was set aside and is downloaded again. Changes made on this device "
                          "that had not been sent are not in the new copy.");
        }
        report();
        Q_EMIT rowsChanged({});
    }

    void close()
    {
        m_notice.clear();
        m_client.reset();
        m_transport.reset();
        m_store.reset();
        Q_EMIT statusUpdated({});
    }

    QString write(const QString& entity, int op, const QString& key, const QVariantMap& fields)
    {
        if (!m_client) {
            return tr("Not signed in");
        }
        sync::Fields values;
        for (auto it = fields.begin(); it != fields.end(); ++it) {
            values.push_back({it.key().toStdString(), fromVariant(it.value())});
        }
        const auto written = m_client->write(entity.toStdString(), static_cast<sync::Op>(op),
                                             key.toStdString(), values);
        return written ? QString() : QString::fromStdString(written.error().reason);
    }

    QString writeAll(const QVector<SyncService::Write>& writes)
    {
        if (!m_client) {
            return tr("Not signed in");
        }
        std::vector<cache::WriteRequest> requests;
        requests.reserve(static_cast<std::size_t>(writes.size()));
        for (const auto& w : writes) {
            cache::WriteRequest r;
            r.entity = w.entity.toStdString();
            r.op = static_cast<sync::Op>(w.op);
            r.key = w.key.toStdString();
            for (auto it = w.fields.begin(); it != w.fields.end(); ++it) {
                r.fields.push_back({it.key().toStdString(), fromVariant(it.value())});
            }
            requests.push_back(std::move(r));
        }
        const auto written = m_client->writeAll(requests);
        return written ? QString() : QString::fromStdString(written.error().reason);
    }

    QVector<QVariantMap> rows(const QString& entity) const
    {
        QVector<QVariantMap> out;
        if (!m_store) {
            return out;
        }
        for (const auto& [key, fields] : m_store->rows(entity.toStdString())) {
            QVariantMap row;
            row.insert(QStringLiteral("key"), QString::fromStdString(key));
            for (const auto& f : fields) {
                row.insert(QString::fromStdString(f.name), toVariant(f.value));
            }
            out.push_back(std::move(row));
        }
        return out;
    }

    QVector<QVariantMap> conflicts() const
    {
        QVector<QVariantMap> out;
        if (!m_store) {
            return out;
        }
        for (const auto& c : m_store->conflicts()) {
            QStringList fields;
            for (const auto& f : c.fields) {
                fields << QString::fromStdString(f);
            }
            out.push_back({{QStringLiteral("id"), static_cast<qlonglong>(c.id)},
                           {QStringLiteral("kind"), QString::fromStdString(c.kind)},
                           {QStringLiteral("entity"), QString::fromStdString(c.entity)},
                           {QStringLiteral("key"), QString::fromStdString(c.key)},
                           {QStringLiteral("reason"), QString::fromStdString(c.reason)},
                           {QStringLiteral("fields"), fields},
                           {QStringLiteral("atMs"), static_cast<qlonglong>(c.atMs)}});
        }
        return out;
    }

    QStringList ownStores(const QString& userId) const
    {
        QStringList out;
        if (!m_store) {
            return out;
        }
        const std::string user = userId.toStdString();
        if (const auto me = m_store->row("users", user)) {
            if (const auto* home = std::get_if<std::string>(sync::find(*me, "home_location_id"))) {
                out << QString::fromStdString(*home);
            }
        }
        for (const auto& [key, fields] : m_store->rows("user_locations")) {
            const auto* who = std::get_if<std::string>(sync::find(fields, "user_id"));
            const auto* where = std::get_if<std::string>(sync::find(fields, "location_id"));
            if (who != nullptr && where != nullptr && *who == user &&
                !out.contains(QString::fromStdString(*where))) {
                out << QString::fromStdString(*where);
            }
        }
        return out;
    }

    const cache::LocalStore* store() const { return m_store.get(); }

    void dismissConflict(qint64 id)
    {
        if (m_store && m_store->dismissConflict(id)) {
            report();
        }
    }

Q_SIGNALS:
    void statusUpdated(const cc::app::SyncService::Snapshot& snapshot);
    void rowsChanged(const QStringList& entities);

private:
    void report()
    {
        SyncService::Snapshot s;
        if (!m_client) {
            Q_EMIT statusUpdated(s);
            return;
        }
        const auto& status = m_client->status();
        s.active = true;
        switch (status.phase) {
        case SyncClient::Phase::Offline:
            s.state = SyncService::State::Offline;
            break;
        case SyncClient::Phase::Live:
            s.state = SyncService::State::Online;
            break;
        default:
            s.state = SyncService::State::Syncing;
        }
        s.pendingWrites = static_cast<int>(status.pendingWrites);
        s.lastSyncedMs = status.lastSyncedMs;
        s.bootstrapping = status.phase == SyncClient::Phase::Bootstrapping;
        s.bootstrapProgress = status.bootstrapTotal > 0
                                  ? std::min(1.0, static_cast<double>(status.bootstrapReceived) /
                                                      static_cast<double>(status.bootstrapTotal))
                                  : (status.phase == SyncClient::Phase::Live ? 1.0 : 0.0);
        s.conflictCount = static_cast<int>(m_store->conflictCount());
        s.lastError = status.lastError.isEmpty() ? m_notice : status.lastError;
        Q_EMIT statusUpdated(s);
    }

    QString m_notice; // said until the sync client has something to say
    std::unique_ptr<cache::LocalStore> m_store;
    std::unique_ptr<QueuedTransport> m_transport;
    std::unique_ptr<SyncClient> m_client;
};

SyncService::SyncService(ServerConnection* connection)
    : m_connection(connection)
{
    qRegisterMetaType<cc::app::SyncService::Snapshot>();
    m_thread.setObjectName(QStringLiteral("sync"));
    m_worker = new SyncWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &SyncWorker::statusUpdated, this, [this](const Snapshot& s) {
        m_status = s;
        Q_EMIT statusChanged();
    });
    connect(m_worker, &SyncWorker::rowsChanged, this, &SyncService::rowsChanged);
    m_thread.start();
}

SyncService::~SyncService()
{
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->close(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    if (g_instance == this) {
        g_instance = nullptr;
    }
}

SyncService* SyncService::create(QQmlEngine* qmlEngine, QJSEngine* jsEngine)
{
    if (g_instance == nullptr) {
        // No instance from main() (a QML test, a tool): one owned by the engine, on the engine's
        // ServerConnection singleton; it opens no cache until start().
        const int connectionType = qmlTypeId("CallCommander.Core", 1, 0, "ServerConnection");
        auto* connection = qmlEngine->singletonInstance<ServerConnection*>(connectionType);
        auto* instance = new SyncService(connection);
        instance->setParent(jsEngine);
        QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
        return instance;
    }
    QJSEngine::setObjectOwnership(g_instance, QJSEngine::CppOwnership);
    return g_instance;
}

void SyncService::setSingleton(SyncService* instance)
{
    g_instance = instance;
}

QString SyncService::cachePath(const QString& folder, const QString& organisation,
                               const QString& userId)
{
    return personalFilePath(folder, organisation, userId, QStringLiteral("cache-"),
                            QStringLiteral(".sqlite"));
}

void SyncService::start(const QString& folder, const QString& organisation, const QString& userId,
                        const QByteArray& cacheKey)
{
    m_userId = userId;
    QDir().mkpath(folder);
    const QString path = cachePath(folder, organisation, userId);
    if (m_relay) {
        m_relay->deactivate();
    }
    auto* relay = new TransportRelay(m_connection);
    m_relay = relay;
    const bool connected = m_connection->state() == ServerConnection::State::Connected;
    const QString deviceId =
        m_connection->deviceId().isEmpty() ? QStringLiteral("device") : m_connection->deviceId();
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, path, deviceId, relay, connected, cacheKey] {
            worker->open(path, deviceId, relay, connected, cacheKey);
        },
        Qt::QueuedConnection);
}

void SyncService::stop()
{
    if (m_relay) {
        m_relay->deactivate(); // at once: the worker may still have sends on their way
    }
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->close(); }, Qt::QueuedConnection);
}

QDateTime SyncService::lastSyncedAt() const
{
    return m_status.lastSyncedMs > 0 ? QDateTime::fromMSecsSinceEpoch(m_status.lastSyncedMs)
                                     : QDateTime();
}

namespace {

// Runs `work` on the worker's thread and hands its result to `done` on this object's thread, if
// `context` still exists by then. The service outlives the worker, so the answer comes back
// through it.
template <typename Work, typename Done>
void askWorker(SyncService* service, SyncWorker* worker, QObject* context, Work work, Done done)
{
    QMetaObject::invokeMethod(
        worker,
        [service, worker, guard = QPointer<QObject>(context), work = std::move(work),
         done = std::move(done)] {
            auto result = work(*worker);
            QMetaObject::invokeMethod(
                service,
                [guard, done, result = std::move(result)] {
                    if (guard) {
                        done(result);
                    }
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

} // namespace

void SyncService::write(const QString& entity, int op, const QString& key,
                        const QVariantMap& fields, QObject* context, WriteDone done)
{
    askWorker(
        this, m_worker, context,
        [entity, op, key, fields](SyncWorker& worker) {
            return worker.write(entity, op, key, fields);
        },
        std::move(done));
}

void SyncService::writeAll(const QVector<Write>& writes, QObject* context, WriteDone done)
{
    askWorker(
        this, m_worker, context, [writes](SyncWorker& worker) { return worker.writeAll(writes); },
        std::move(done));
}

void SyncService::readRows(const QString& entity, QObject* context, RowsDone done)
{
    askWorker(
        this, m_worker, context, [entity](SyncWorker& worker) { return worker.rows(entity); },
        std::move(done));
}

void SyncService::readConflicts(QObject* context, RowsDone done)
{
    askWorker(
        this, m_worker, context, [](SyncWorker& worker) { return worker.conflicts(); },
        std::move(done));
}

void SyncService::readOwnStores(QObject* context, StoresDone done)
{
    askWorker(
        this, m_worker, context,
        [userId = m_userId](SyncWorker& worker) { return worker.ownStores(userId); },
        std::move(done));
}

void SyncService::runOnCache(QObject* context,
                             std::function<void(const cache::LocalStore*, const QString&)> work,
                             std::function<void()> done)
{
    askWorker(
        this, m_worker, context,
        [userId = m_userId, work = std::move(work)](SyncWorker& worker) {
            work(worker.store(), userId);
            return true;
        },
        [done = std::move(done)](bool /*ran*/) { done(); });
}

void SyncService::dismissConflict(qint64 id)
{
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, id] { worker->dismissConflict(id); }, Qt::QueuedConnection);
}

} // namespace cc::app

#include "syncservice.moc"
