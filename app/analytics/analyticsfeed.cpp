#include "app/analytics/analyticsfeed.h"

#include "app/core/personalfiles.h"
#include "app/net/serverconnection.h"
#include "shared/protocol/envelope.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJSEngine>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QQmlEngine>
#include <QSaveFile>

#include <algorithm>
#include <utility>
#include <vector>

namespace cc::app {
namespace {

QPointer<AnalyticsFeed> g_instance; // NOLINT: the QML singleton instance, owned by main()

constexpr int kFileFormat = 1;
constexpr qint64 kMaxFile = 8 * 1024 * 1024;
// Remembered figures older than this are not worth showing (a store's week-old "today").
constexpr qint64 kForgetAfterMs = qint64{7} * 24 * 3600 * 1000;
constexpr auto kSaveDelay = std::chrono::seconds(2);
// A server that cannot serve live figures for a moment (starting, busy) is asked again after this.
constexpr auto kRetryDelay = std::chrono::seconds(15);

using Remembered = std::vector<std::pair<protocol::AnalyticsUpdate, qint64>>;

Remembered parseFile(const QByteArray& bytes, qint64 nowMs)
{
    Remembered out;
    const QJsonObject o = QJsonDocument::fromJson(bytes).object();
    if (o.value(QLatin1String("format")).toInt() != kFileFormat) {
        return out;
    }
    for (const auto& value : o.value(QLatin1String("updates")).toArray()) {
        const QJsonObject entry = value.toObject();
        const auto receivedAt =
            static_cast<qint64>(entry.value(QLatin1String("receivedAtMs")).toDouble());
        if (receivedAt <= 0 || nowMs - receivedAt > kForgetAfterMs) {
            continue;
        }
        // The message as it came, checked by the same decoder as the wire.
        const QByteArray text = QJsonDocument(entry.value(QLatin1String("message")).toObject())
                                    .toJson(QJsonDocument::Compact);
        auto decoded = protocol::decode(
            std::string_view(text.constData(), static_cast<std::size_t>(text.size())));
        if (!decoded) {
            continue;
        }
        if (auto* update = std::get_if<protocol::AnalyticsUpdate>(&decoded.value().body)) {
            out.emplace_back(std::move(*update), receivedAt);
        }
    }
    return out;
}

} // namespace

// Reads and writes the remembered figures, on the feed's own thread: the GUI thread never waits
// for the disk.
class AnalyticsDisk : public QObject {
    Q_OBJECT

public:
    Remembered read(const QString& path) const
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly) || file.size() > kMaxFile) {
            return {};
        }
        return parseFile(file.readAll(), QDateTime::currentMSecsSinceEpoch());
    }

    void write(const QString& path, const QByteArray& bytes) const
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() ||
            !file.commit()) {
            qWarning("analytics: cannot remember the live figures in %s: %s", qPrintable(path),
                     qPrintable(file.errorString()));
        }
    }
};

AnalyticsFeed::AnalyticsFeed(ServerConnection* connection)
    : m_connection(connection)
{
    m_subscribeSoon.setSingleShot(true);
    m_subscribeSoon.setInterval(0);
    connect(&m_subscribeSoon, &QTimer::timeout, this, &AnalyticsFeed::sendSubscription);
    m_saveSoon.setSingleShot(true);
    m_saveSoon.setInterval(kSaveDelay);
    connect(&m_saveSoon, &QTimer::timeout, this, &AnalyticsFeed::saveNow);
    m_retry.setSingleShot(true);
    m_retry.setInterval(kRetryDelay);
    connect(&m_retry, &QTimer::timeout, this, &AnalyticsFeed::sendSubscription);

    m_thread.setObjectName(QStringLiteral("analytics-disk"));
    m_disk = new AnalyticsDisk;
    m_disk->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_disk, &QObject::deleteLater);
    m_thread.start();

    if (m_connection) {
        connect(m_connection, &ServerConnection::welcomed, this, &AnalyticsFeed::onWelcomed);
        connect(m_connection, &ServerConnection::stateChanged, this,
                &AnalyticsFeed::onConnectionStateChanged);
        connect(m_connection, &ServerConnection::analyticsReceived, this,
                [this](const protocol::AnalyticsUpdate& update) { take(update); });
        connect(m_connection, &ServerConnection::analyticsRefused, this,
                [this](const QString& code, const QString& message) {
                    m_subscribed = false;
                    m_sent.clear();
                    Q_EMIT connectedChanged();
                    if (code == QLatin1String("not_ready") || code == QLatin1String("overloaded")) {
                        // For a moment only: ask again a little later.
                        setError(tr("Live figures are not available right now; trying again."));
                        m_retry.start();
                        return;
                    }
                    // Not sent again by itself: the same request would be refused again.
                    setError(code == QLatin1String("forbidden")
                                 ? tr("You may not see the live figures of this store.")
                                 : tr("The server refused the live figures: %1").arg(message));
                });
    }
}

AnalyticsFeed::~AnalyticsFeed()
{
    if (m_saveSoon.isActive()) {
        saveNow();
    }
    // The writes asked for so far reach the file before the app goes.
    QMetaObject::invokeMethod(
        m_disk, [] {}, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    if (g_instance == this) {
        g_instance = nullptr;
    }
}

AnalyticsFeed* AnalyticsFeed::create(QQmlEngine* qmlEngine, QJSEngine* jsEngine)
{
    if (g_instance == nullptr) {
        // No instance from main() (a QML test, a tool): one owned by the engine, on the engine's
        // ServerConnection singleton; it remembers nothing until start().
        const int connectionType = qmlTypeId("CallCommander.Core", 1, 0, "ServerConnection");
        auto* connection = qmlEngine->singletonInstance<ServerConnection*>(connectionType);
        auto* instance = new AnalyticsFeed(connection);
        instance->setParent(jsEngine);
        QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
        return instance;
    }
    QJSEngine::setObjectOwnership(g_instance, QJSEngine::CppOwnership);
    return g_instance;
}

void AnalyticsFeed::setSingleton(AnalyticsFeed* instance)
{
    g_instance = instance;
}

QString AnalyticsFeed::storePath(const QString& folder, const QString& organisation,
                                 const QString& userId)
{
    return personalFilePath(folder, organisation, userId, QStringLiteral("analytics-"),
                            QStringLiteral(".json"));
}

void AnalyticsFeed::start(const QString& folder, const QString& organisation, const QString& userId)
{
    stop();
    m_path = storePath(folder, organisation, userId);
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(
        m_disk,
        [this, disk = m_disk, path = m_path, generation] {
            Remembered remembered = disk->read(path);
            // Back on the feed's thread: the feed outlives its disk thread (its destructor
            // waits for it), so `this` is still there.
            QMetaObject::invokeMethod(
                this,
                [this, generation, remembered = std::move(remembered)] {
                    if (generation != m_generation) {
                        return; // someone signed out or in meanwhile
                    }
                    for (const auto& [update, receivedAt] : remembered) {
                        restore(update, receivedAt);
                    }
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void AnalyticsFeed::stop()
{
    if (m_saveSoon.isActive()) {
        saveNow(); // the previous person's figures, to their file
    }
    ++m_generation;
    m_path.clear();
    setError({});
    if (!m_entries.isEmpty()) {
        m_entries.clear();
        Q_EMIT cleared();
    }
}

bool AnalyticsFeed::connected() const
{
    return m_subscribed && m_connection &&
           m_connection->state() == ServerConnection::State::Connected;
}

void AnalyticsFeed::take(const protocol::AnalyticsUpdate& update)
{
    setError({});
    keep(update, QDateTime::currentMSecsSinceEpoch(), true);
}

void AnalyticsFeed::restore(const protocol::AnalyticsUpdate& update, qint64 receivedAtMs)
{
    keep(update, receivedAtMs, false);
}

void AnalyticsFeed::keep(const protocol::AnalyticsUpdate& update, qint64 receivedAtMs, bool live)
{
    const QString key =
        update.scope == "organisation" ? QString() : QString::fromStdString(update.key);
    if (update.scope != "organisation" && key.isEmpty()) {
        return;
    }
    auto it = m_entries.find(key);
    if (it != m_entries.end() && !live && it->update.asOfMs >= update.asOfMs) {
        return; // remembered figures never replace newer ones
    }
    m_entries.insert(key, Entry{update, receivedAtMs, live});
    if (!m_path.isEmpty() && !m_saveSoon.isActive()) {
        m_saveSoon.start();
    }
    Q_EMIT updated(key);
}

const AnalyticsFeed::Entry* AnalyticsFeed::find(const QString& key) const
{
    auto it = m_entries.constFind(key);
    return it == m_entries.constEnd() ? nullptr : &*it;
}

void AnalyticsFeed::watch(const QString& key)
{
    if (++m_interest[key] == 1) {
        scheduleSubscription();
    }
}

void AnalyticsFeed::unwatch(const QString& key)
{
    auto it = m_interest.find(key);
    if (it == m_interest.end()) {
        return;
    }
    if (--*it <= 0) {
        m_interest.erase(it);
        scheduleSubscription();
    }
}

QStringList AnalyticsFeed::watchedStores() const
{
    if (watchesAll()) {
        return {};
    }
    QStringList stores = m_interest.keys();
    stores.sort();
    return stores;
}

void AnalyticsFeed::scheduleSubscription()
{
    m_subscribeSoon.start();
}

void AnalyticsFeed::sendSubscription()
{
    if (!m_connection || m_connection->state() != ServerConnection::State::Connected) {
        return; // sent on the next welcome
    }
    const bool wasConnected = connected();
    if (m_interest.isEmpty()) {
        if (m_subscribed && m_connection->subscribeAnalytics({}, true)) {
            m_subscribed = false;
            m_sent.clear();
        }
    } else {
        const bool all = watchesAll();
        const QStringList stores = watchedStores();
        if (m_subscribed && all == m_sentAll && stores == m_sent) {
            return;
        }
        if (m_connection->subscribeAnalytics(stores, false)) {
            m_subscribed = true;
            m_sentAll = all;
            m_sent = stores;
            // Stores no longer asked for stop being live; the others stay so (the server sends
            // all of them again at once).
            for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
                if (it->live && !all && !stores.contains(it.key())) {
                    it->live = false;
                    Q_EMIT updated(it.key());
                }
            }
        }
    }
    if (wasConnected != connected()) {
        Q_EMIT connectedChanged();
    }
}

void AnalyticsFeed::onWelcomed()
{
    // A new connection has no subscription.
    m_subscribed = false;
    m_sent.clear();
    sendSubscription();
}

void AnalyticsFeed::onConnectionStateChanged()
{
    if (m_connection->state() == ServerConnection::State::Connected) {
        return; // welcomed() follows
    }
    m_retry.stop();
    const bool wasConnected = m_subscribed;
    m_subscribed = false;
    m_sent.clear();
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
        if (it->live) {
            it->live = false;
            Q_EMIT updated(it.key());
        }
    }
    if (wasConnected) {
        Q_EMIT connectedChanged();
    }
}

void AnalyticsFeed::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

QByteArray AnalyticsFeed::serialise() const
{
    QJsonArray updates;
    for (const auto& entry : m_entries) {
        const std::string text =
            protocol::encode(protocol::Envelope{protocol::kMaxProtocolVersion, {}, entry.update});
        updates.append(
            QJsonObject{{QStringLiteral("receivedAtMs"), entry.receivedAtMs},
                        {QStringLiteral("message"),
                         QJsonDocument::fromJson(QByteArray::fromStdString(text)).object()}});
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("format"), kFileFormat},
                                     {QStringLiteral("updates"), updates}})
        .toJson(QJsonDocument::Compact);
}

void AnalyticsFeed::saveNow()
{
    m_saveSoon.stop();
    if (m_path.isEmpty()) {
        return;
    }
    QMetaObject::invokeMethod(
        m_disk, [disk = m_disk, path = m_path, bytes = serialise()] { disk->write(path, bytes); },
        Qt::QueuedConnection);
}

} // namespace cc::app

#include "analyticsfeed.moc"
