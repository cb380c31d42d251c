#pragma once

#include "app/models/appointmentsdata.h"
#include "app/models/cachelistmodel.h"

#include <QTimer>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The upcoming appointments of the person's stores, from the offline cache: the ones asked for
// on the phone line and waiting to be confirmed (`requested`) first, then the booked ones by
// start; each with its customer, store, time on the store's clock and where the store's calendar
// stands with it. Confirming (requested -> booked) and cancelling are local writes: they show at
// once, work offline and reach the server (and from there the store's calendar) when they can.
class AppointmentsModel : public CacheListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(int requestedCount READ requestedCount NOTIFY countsChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        StoreIdRole,
        StoreNameRole,
        CustomerIdRole,
        CustomerNameRole,
        StaffNameRole,
        PurposeRole,
        StatusRole, // requested, booked
        RequestedRole,
        StartsAtRole,
        EndsAtRole,
        WhenTextRole,      // "Tomorrow, 11:00–11:30", on the store's clock
        CalendarStateRole, // none, pending, synced, failed
        CalendarTextRole,  // "In the store's calendar", … ; empty for none
        CalendarErrorRole,
    };
    Q_ENUM(Role)

    explicit AppointmentsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int requestedCount() const;
    QString lastError() const { return m_lastError; }

    // requested -> booked: the appointment is on, and the customer can be told so.
    Q_INVOKABLE void confirm(int row);
    // requested or booked -> cancelled (it leaves the list; the calendar event goes).
    Q_INVOKABLE void cancel(int row);

    // How the calendar state reads for people.
    static QString calendarText(const QString& state, const QString& error);

Q_SIGNALS:
    void countsChanged();
    void lastErrorChanged();

private:
    struct Row {
        appointments::Entry entry;
        QString whenText;
        bool operator==(const Row&) const = default;
    };
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;
    void setStatus(int row, const QString& from, const QString& to);
    void setLastError(const QString& error);

    QVector<Row> m_rows;
    QString m_lastError;
    // The next appointment to end leaves the list then, with no synced change to say so.
    QTimer m_nextEnd;
};

} // namespace cc::app
