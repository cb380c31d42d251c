#pragma once

#include "app/models/appointmentsdata.h"
#include "app/models/cacheobject.h"

#include <QStringList>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// Books an appointment at one of the person's stores: the store, optionally the customer (the
// caller on the card), the day and time on the store's clock, how long and what for. book()
// checks it (not in the past, a time that exists on that day, 15 minutes to 4 hours, a short
// purpose) and writes it to the offline cache as `booked`: it shows at once, works offline and
// reaches the server, and the store's calendar, when it can. `error` says what is wrong. The
// choices the form offers (stores, days on the store's clock, times, lengths) come from here.
class AppointmentBooking : public CacheObject {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(QVariantList stores READ stores NOTIFY storesChanged)
    Q_PROPERTY(QString storeId READ storeId WRITE setStoreId NOTIFY inputChanged)
    Q_PROPERTY(QString storeName READ storeName NOTIFY inputChanged)
    Q_PROPERTY(QString customerId READ customerId WRITE setCustomerId NOTIFY inputChanged)
    Q_PROPERTY(QString customerName READ customerName WRITE setCustomerName NOTIFY inputChanged)
    Q_PROPERTY(QString date READ date WRITE setDate NOTIFY inputChanged)
    Q_PROPERTY(QString time READ time WRITE setTime NOTIFY inputChanged)
    Q_PROPERTY(
        int durationMinutes READ durationMinutes WRITE setDurationMinutes NOTIFY inputChanged)
    Q_PROPERTY(QString purpose READ purpose WRITE setPurpose NOTIFY inputChanged)
    Q_PROPERTY(QVariantList days READ days NOTIFY daysChanged)
    Q_PROPERTY(QStringList times READ times CONSTANT)
    Q_PROPERTY(QVariantList durations READ durations CONSTANT)
    Q_PROPERTY(QString whenText READ whenText NOTIFY inputChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(bool saving READ saving NOTIFY savingChanged)

public:
    explicit AppointmentBooking(QObject* parent = nullptr);

    // [{storeId, name, code, timeZone, label}], by code.
    QVariantList stores() const;
    QString storeId() const { return m_storeId; }
    void setStoreId(const QString& storeId);
    QString storeName() const;
    QString customerId() const { return m_customerId; }
    void setCustomerId(const QString& customerId);
    QString customerName() const { return m_customerName; }
    void setCustomerName(const QString& customerName);
    QString date() const { return m_date; }
    void setDate(const QString& date);
    QString time() const { return m_time; }
    void setTime(const QString& time);
    int durationMinutes() const { return m_minutes; }
    void setDurationMinutes(int minutes);
    QString purpose() const { return m_purpose; }
    void setPurpose(const QString& purpose);

    // The next 8 weeks on the chosen store's clock: [{value: "2024-09-14", label: "Today · Sat
    // 14 Sep"}].
    QVariantList days() const;
    // Every quarter of an hour from 07:00 to 21:45.
    static QStringList times();
    // [{value: 30, label: "30 min"}], 15 minutes to 4 hours.
    static QVariantList durations();
    // The chosen time as it will show: "Tomorrow, 11:00–11:30 at Main Street"; empty while it is
    // not a time that can be booked.
    QString whenText() const;
    QString error() const { return m_error; }
    bool saving() const { return m_saving; }

    // A day and time to start from: the next whole hour at least half an hour from now on the
    // store's clock (tomorrow at 10:00 when that is after closing time).
    Q_INVOKABLE void suggest();
    // Checks the booking and writes it; emits booked() once it is in the cache.
    Q_INVOKABLE void book();

    // Moves every booking's idea of "now" (today's date, what has passed) by `offsetMs`: for
    // tests of the screen that need a given time of day at a store. 0 in the product.
    static void setClockOffsetForTesting(qint64 offsetMs);

Q_SIGNALS:
    void storesChanged();
    void inputChanged();
    void daysChanged(); // another store (another clock), or the stores came
    void errorChanged();
    void savingChanged();
    void booked(const QString& appointmentId, const QString& whenText);

private:
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;
    const appointments::Store* chosenStore() const;
    appointments::Booking booking() const;
    void setError(const QString& error);
    void setSaving(bool saving);

    QVector<appointments::Store> m_stores;
    QString m_storeId;
    QString m_customerId;
    QString m_customerName;
    QString m_date;
    QString m_time;
    int m_minutes = 30;
    QString m_purpose;
    QString m_error;
    bool m_saving = false;
};

} // namespace cc::app
