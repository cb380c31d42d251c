#pragma once

#include "app/models/cachelistmodel.h"
#include "app/models/callsdata.h"

#include <QTimer>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The people of the person's stores who take calls, with their presence as the server last
// synced it: who is available, who is on which call, who is paused after a missed call. Available
// people first. Rows update in place as presence changes.
class StaffBoardModel : public CacheListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(int availableCount READ availableCount NOTIFY availableCountChanged)

public:
    enum Role {
        UserIdRole = Qt::UserRole + 1,
        NameRole,
        RoleRole,
        StatusRole,
        ActivityRole,
        OnlineRole,
        CallIdRole,
        CallerNumberRole,
        CallerNameRole,
        ActivityUntilRole,
        PausedUntilRole,
        IdleSinceRole,
        IsMeRole,
        StateTextRole,
        PausedRole, // not offered calls after missing one, for now
    };
    Q_ENUM(Role)

    explicit StaffBoardModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Available, connected and free to take a call (as of the last read).
    int availableCount() const { return m_availableCount; }

    // "Available", "Ringing · +44 20 …", "On a call with Alice Martin", "Wrap-up",
    // "Paused until 14:05", "Away", "Available · not connected".
    static QString stateText(const calls::BoardEntry& person);

Q_SIGNALS:
    void availableCountChanged();

private:
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;

    QVector<calls::BoardEntry> m_people;
    int m_availableCount = 0;
    // Nothing is synced when a pause ends (the server only stops skipping the person): this
    // reads again then, so "Paused until 14:05" and the count of free people do not go stale.
    QTimer m_pauseEnds;
};

} // namespace cc::app
