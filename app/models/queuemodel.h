#pragma once

#include "app/models/cachelistmodel.h"
#include "app/models/callsdata.h"

#include <QDateTime>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The live queue of the person's stores from the offline cache: calls waiting, ringing someone
// or in progress, oldest first. It follows every synced change to those calls within the sync's
// own delay; rows are updated in place (no reset), so a view's timers and delegates stay. Timers
// themselves ("waiting 0:42") are the view's: it counts from startedAt and answeredAt.
class QueueModel : public CacheListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(int waitingCount READ waitingCount NOTIFY countsChanged)
    Q_PROPERTY(int inProgressCount READ inProgressCount NOTIFY countsChanged)

public:
    enum Role {
        CallIdRole = Qt::UserRole + 1,
        FromNumberRole,
        CustomerNameRole,
        StoreNameRole,
        StatusRole,
        StateTextRole,
        StartedAtRole,
        AnsweredAtRole,
        OfferedToMeRole,
        OfferedToNameRole,
        HandledByNameRole,
        HandledByMeRole,
        NeedRole,
        RoutingReasonRole,
        OfferedRole, // ringing someone's phone (anyone's) right now
    };
    Q_ENUM(Role)

    explicit QueueModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int waitingCount() const;
    int inProgressCount() const;

    // A timer's text from `from` to `to` ("0:42", "12:05"): views call it once a second with
    // their clock, so no row changes just because time passes.
    Q_INVOKABLE static QString elapsed(const QDateTime& from, const QDateTime& to);

    // "Waiting", "Ringing Ana", "Ringing you", "With Ben", "With you".
    static QString stateText(const calls::QueueEntry& call);

Q_SIGNALS:
    void countsChanged();

private:
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;

    QVector<calls::QueueEntry> m_calls;
};

} // namespace cc::app
