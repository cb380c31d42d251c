#pragma once

#include "shared/protocol/messages.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QThread>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

class QQmlEngine;
class QJSEngine;

namespace cc::app {

class ServerConnection;
class AnalyticsDisk;

// The live "today so far" figures of the stores (and, for executives and admins, the
// organisation) that the screens on show watch, as QML's singleton `AnalyticsFeed`. Screens say
// what they watch (LiveAnalytics does it for them); the feed keeps one analytics_subscribe for
// all of them on the connection, sends it again after every welcome, and keeps the latest
// update per store. Updates are remembered on the device (a small JSON file per organisation and
// person, written on a thread of its own) so the last figures stay on the wall through an outage
// or a restart, marked with their age.
class AnalyticsFeed : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON

    // Subscribed on a welcomed connection: figures that arrive are live.
    Q_PROPERTY(bool connected READ connected NOTIFY connectedChanged)
    // Why the server refused the subscription (a store the person may not see); empty if not.
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)

public:
    // The latest update of one store (key: its id) or of the organisation (key: empty).
    struct Entry {
        protocol::AnalyticsUpdate update;
        qint64 receivedAtMs = 0; // when it reached this device, on this device's clock
        bool live = false;       // received on the current connection (else remembered)
    };

    // No default argument: Qt 6.4 would build the QML singleton with it (see ServerConnection).
    // A null connection gives a feed that only holds what it is handed (tests, demos).
    explicit AnalyticsFeed(ServerConnection* connection);
    ~AnalyticsFeed() override;

    static AnalyticsFeed* create(QQmlEngine* qmlEngine, QJSEngine* jsEngine);
    static void setSingleton(AnalyticsFeed* instance);
    // Where start() remembers the figures of this organisation and person under `folder`.
    static QString storePath(const QString& folder, const QString& organisation,
                             const QString& userId);

    // Reads what this person's device remembers (on the disk thread) and remembers what comes
    // from now on; stop() forgets the figures in memory (the file stays for their next sign-in).
    void start(const QString& folder, const QString& organisation, const QString& userId);
    void stop();

    bool connected() const;
    QString error() const { return m_error; }

    // An update that just arrived (from the connection, or a demo's): it is live until the
    // connection goes away.
    void take(const protocol::AnalyticsUpdate& update);
    // An update remembered from earlier, received at `receivedAtMs`: shown with its age. Ignored
    // when the feed holds a newer one of the same store.
    void restore(const protocol::AnalyticsUpdate& update, qint64 receivedAtMs);

    // The latest of a store (empty key: the organisation), or null.
    const Entry* find(const QString& key) const;
    // Screens watching a store (empty: the organisation); counted, so two screens can watch one.
    void watch(const QString& key);
    void unwatch(const QString& key);
    // What the feed asks the server for (empty with `all`: everything the person may see).
    QStringList watchedStores() const;
    bool watchesAll() const { return m_interest.contains(QString()); }

    // Writes what the feed holds to its file now (on the disk thread) rather than a moment
    // later.
    void saveNow();

Q_SIGNALS:
    void connectedChanged();
    void errorChanged();
    // The figures of a store (empty key: the organisation) changed, or became stale or live.
    void updated(const QString& key);
    // Every figure went (someone else signs in).
    void cleared();

private:
    void keep(const protocol::AnalyticsUpdate& update, qint64 receivedAtMs, bool live);
    void scheduleSubscription();
    void sendSubscription();
    void onConnectionStateChanged();
    void onWelcomed();
    void setError(const QString& error);
    QByteArray serialise() const;

    QPointer<ServerConnection> m_connection;
    QHash<QString, Entry> m_entries;
    QHash<QString, int> m_interest;
    QString m_path; // empty: nothing remembered (before start(), or a demo)
    bool m_subscribed = false;
    bool m_sentAll = false;
    QStringList m_sent;
    QString m_error;
    QTimer m_subscribeSoon;   // coalesces screens opening and closing into one subscription
    QTimer m_saveSoon;        // coalesces a burst of updates into one write
    QTimer m_retry;           // asks again after the server could not serve live figures
    quint64 m_generation = 0; // bumped by start() and stop(): a late read of before is dropped
    QThread m_thread;
    AnalyticsDisk* m_disk = nullptr; // lives on m_thread
};

} // namespace cc::app
