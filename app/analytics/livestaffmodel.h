#pragma once

#include "app/analytics/liveanalytics.h"
#include "app/sync/syncservice.h"

#include <QAbstractListModel>
#include <QHash>
#include <QPointer>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// Who answered the store's calls today, from the live figures (`live`), with each person's
// name from the synced staff directory (`sync`: the app's Sync, or a test's cache): calls
// answered, share of the store's answers, average wait of their callers, handling time and
// first-contact resolution. Most calls first. A person the directory does not know (yet) shows
// as "Someone else"; names follow the directory as it syncs.
class LiveStaffModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::LiveAnalytics* live READ live WRITE setLive NOTIFY liveChanged)
    Q_PROPERTY(cc::app::SyncService* sync READ service WRITE setService NOTIFY serviceChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role {
        UserIdRole = Qt::UserRole + 1,
        NameRole,
        AnsweredRole,
        HandledRole,
        ShareRole,        // of the store's answered calls, 0..1
        ShareTextRole,    // "32%"
        AsaTextRole,      // their callers' average wait
        AhtTextRole,      // talk and wrap-up per handled call
        TalkTimeTextRole, // all their talk today
        FcrTextRole,
        ElsewhereRole, // calls of other stores they answered (overflow)
    };
    Q_ENUM(Role)

    struct Person {
        QString userId;
        QString name;
        cc::analytics::Counters counters;
        bool operator==(const Person&) const = default;
    };

    explicit LiveStaffModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    LiveAnalytics* live() const { return m_live; }
    void setLive(LiveAnalytics* live);
    SyncService* service() const { return m_sync; }
    void setService(SyncService* service);
    int count() const { return static_cast<int>(m_people.size()); }

Q_SIGNALS:
    void liveChanged();
    void serviceChanged();
    void countChanged();

private:
    void rebuild();
    void readNames();

    QPointer<LiveAnalytics> m_live;
    QPointer<SyncService> m_sync;
    QHash<QString, QString> m_names; // user id -> display name
    QVector<Person> m_people;
    std::int64_t m_storeAnswered = 0;
};

} // namespace cc::app
