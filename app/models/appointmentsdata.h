#pragma once

#include <QDate>
#include <QDateTime>
#include <QString>
#include <QTime>
#include <QVector>

namespace cc::app {
namespace cache {
class LocalStore;
}

// What the appointment screens read from the offline cache, as plain data (read on the sync
// thread through SyncService::readCache, like calls::), and the rules of booking one. An
// appointment's time is the store's wall-clock time: it is shown, and entered, in the store's
// own time zone (locations.timezone), whatever the device's is.
namespace appointments {

struct Store {
    QString id;
    QString code;
    QString name;
    QString timeZone; // IANA, "Europe/London"
    bool operator==(const Store&) const = default;
};

struct Entry {
    QString id;
    QString storeId;
    QString storeName;
    QString timeZone;
    QString customerId;
    QString customerName;
    QString staffName;
    QString purpose;
    QString status;        // requested, booked (the upcoming ones)
    QString calendarState; // none, pending, synced, failed (null on old rows: none)
    QString calendarError;
    QDateTime startsAt; // UTC
    QDateTime endsAt;
    bool operator==(const Entry&) const = default;
};

// The stores of the person (their home store and those they work in; `all`: every store of the
// organisation the cache holds), by code.
QVector<Store> readStores(const cache::LocalStore& store, const QString& me, bool all);

// The appointments of the person's stores that are not over yet and still on (requested or
// booked): requested ones first (they wait for someone to confirm them), then by start.
QVector<Entry> readUpcoming(const cache::LocalStore& store, const QString& me, qint64 nowMs);

// When an appointment is, on its store's clock: "Today, 11:00–11:30", "Tomorrow, 09:15–10:00",
// "Sat 14 Sep, 11:00–12:30"; with " (New York time)" when the store's clock differs from the
// device's at that moment.
QString describeWhen(const QDateTime& startsAt, const QDateTime& endsAt, const QString& timeZone,
                     const QDateTime& now, bool sayWhoseClock = true);
// "(New York time)" when the store's clock differs from the device's at `at`, else empty.
QString whoseClock(const QDateTime& at, const QString& timeZone);

// What a booking is made of, as the person entered it (date "yyyy-MM-dd" and time "HH:mm" on
// the store's clock).
struct Booking {
    QString storeId;
    QString storeName;
    QString timeZone;
    QString customerId; // may be empty
    QString date;
    QString time;
    int minutes = 30;
    QString purpose;
};

// The booking checked: its start and end (ms since the epoch) or why it cannot be made, in words
// for the person booking.
struct Checked {
    qint64 startsMs = 0;
    qint64 endsMs = 0;
    QString error;
};
Checked checkBooking(const Booking& booking, qint64 nowMs);

inline constexpr int kMinMinutes = 15;
inline constexpr int kMaxMinutes = 240;
inline constexpr int kMaxPurposeBytes = 200;
inline constexpr int kMaxDaysAhead = 366;

} // namespace appointments
} // namespace cc::app
