#include "app/models/appointmentsdata.h"

#include "app/cache/localstore.h"
#include "app/models/callsdata.h"

#include <QCoreApplication>
#include <QHash>
#include <QLocale>
#include <QRegularExpression>
#include <QTimeZone>

#include <algorithm>
#include <optional>

namespace cc::app::appointments {
namespace {

QString text(const sync::Fields& fields, std::string_view name)
{
    const sync::Value* v = sync::find(fields, name);
    const auto* s = v != nullptr ? std::get_if<std::string>(v) : nullptr;
    return s != nullptr ? QString::fromStdString(*s) : QString();
}

std::optional<qint64> number(const sync::Fields& fields, std::string_view name)
{
    const sync::Value* v = sync::find(fields, name);
    const auto* n = v != nullptr ? std::get_if<std::int64_t>(v) : nullptr;
    return n != nullptr ? std::optional<qint64>(*n) : std::nullopt;
}

QString tr(const char* source)
{
    return QCoreApplication::translate("Appointments", source);
}

Store storeOf(const std::string& key, const sync::Fields& fields)
{
    return {QString::fromStdString(key), text(fields, "code"), text(fields, "name"),
            text(fields, "timezone")};
}

QTimeZone zoneOf(const QString& timeZone)
{
    const QTimeZone zone(timeZone.toUtf8());
    return zone.isValid() ? zone : QTimeZone::utc();
}

} // namespace

QVector<Store> readStores(const cache::LocalStore& store, const QString& me, bool all)
{
    QVector<Store> out;
    if (all) {
        for (const auto& [key, fields] : store.rows("locations")) {
            out.push_back(storeOf(key, fields));
        }
    } else {
        for (const auto& id : calls::ownStores(store, me)) {
            if (const auto row = store.row("locations", id.toStdString())) {
                out.push_back(storeOf(id.toStdString(), *row));
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const Store& a, const Store& b) {
        return a.code < b.code || (a.code == b.code && a.id < b.id);
    });
    return out;
}

QVector<Entry> readUpcoming(const cache::LocalStore& store, const QString& me, qint64 nowMs)
{
    QHash<QString, Store> stores;
    std::vector<sync::Value> ids;
    for (const auto& s : readStores(store, me, false)) {
        stores.insert(s.id, s);
        ids.emplace_back(s.id.toStdString());
    }
    QHash<QString, QString> names; // users and customers, looked up once per read
    const auto nameOf = [&](std::string_view entity, const QString& id) {
        if (id.isEmpty()) {
            return QString();
        }
        const QString key =
            QString::fromLatin1(entity.data(), static_cast<qsizetype>(entity.size())) + id;
        if (const auto it = names.constFind(key); it != names.constEnd()) {
            return *it;
        }
        const auto row = store.row(entity, id.toStdString());
        const QString name = row ? text(*row, "display_name") : QString();
        names.insert(key, name);
        return name;
    };
    QVector<Entry> out;
    for (const auto& [key, fields] : store.rowsWhere("appointments", "location_id", ids)) {
        const QString status = text(fields, "status");
        const qint64 ends = number(fields, "ends_at").value_or(0);
        if ((status != QLatin1String("requested") && status != QLatin1String("booked")) ||
            ends <= nowMs) {
            continue;
        }
        Entry e;
        e.id = QString::fromStdString(key);
        e.storeId = text(fields, "location_id");
        const Store& s = stores[e.storeId];
        e.storeName = s.name;
        e.timeZone = s.timeZone;
        e.customerId = text(fields, "customer_id");
        e.customerName = nameOf("customers", e.customerId);
        e.staffName = nameOf("users", text(fields, "staff_id"));
        e.purpose = text(fields, "purpose");
        e.status = status;
        e.calendarState = text(fields, "calendar_state");
        if (e.calendarState.isEmpty()) {
            e.calendarState = QStringLiteral("none");
        }
        e.calendarError = text(fields, "calendar_error");
        e.startsAt =
            QDateTime::fromMSecsSinceEpoch(number(fields, "starts_at").value_or(0), Qt::UTC);
        e.endsAt = QDateTime::fromMSecsSinceEpoch(ends, Qt::UTC);
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
        const bool ra = a.status == QLatin1String("requested");
        const bool rb = b.status == QLatin1String("requested");
        if (ra != rb) {
            return ra;
        }
        return a.startsAt < b.startsAt || (a.startsAt == b.startsAt && a.id < b.id);
    });
    return out;
}

QString whoseClock(const QDateTime& at, const QString& timeZone)
{
    const QTimeZone zone = zoneOf(timeZone);
    if (!at.isValid() || at.toLocalTime().offsetFromUtc() == at.toTimeZone(zone).offsetFromUtc()) {
        return {};
    }
    QString city = QString::fromUtf8(zone.id()).section(QLatin1Char('/'), -1);
    city.replace(QLatin1Char('_'), QLatin1Char(' '));
    return tr("(%1 time)").arg(city);
}

QString describeWhen(const QDateTime& startsAt, const QDateTime& endsAt, const QString& timeZone,
                     const QDateTime& now, bool sayWhoseClock)
{
    if (!startsAt.isValid()) {
        return {};
    }
    const QTimeZone zone = zoneOf(timeZone);
    const QDateTime start = startsAt.toTimeZone(zone);
    const QDateTime end = endsAt.isValid() ? endsAt.toTimeZone(zone) : QDateTime();
    const QDate today = now.toTimeZone(zone).date();
    const QLocale locale;
    QString day;
    if (start.date() == today) {
        day = tr("Today");
    } else if (start.date() == today.addDays(1)) {
        day = tr("Tomorrow");
    } else {
        day = locale.toString(start.date(), start.date().year() == today.year()
                                                ? QStringLiteral("ddd d MMM")
                                                : QStringLiteral("ddd d MMM yyyy"));
    }
    const auto clock = [&](const QDateTime& t) {
        return locale.toString(t.time(), QStringLiteral("HH:mm"));
    };
    QString when = end.isValid() ? tr("%1, %2–%3").arg(day, clock(start), clock(end))
                                 : tr("%1, %2").arg(day, clock(start));
    // The device's clock says another time: say whose clock this is.
    if (const QString whose = whoseClock(startsAt, timeZone); sayWhoseClock && !whose.isEmpty()) {
        when += QLatin1Char(' ') + whose;
    }
    return when;
}

Checked checkBooking(const Booking& b, qint64 nowMs)
{
    static const QRegularExpression uuid(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
    Checked c;
    const QTimeZone zone(b.timeZone.toUtf8());
    const QDate date = QDate::fromString(b.date, Qt::ISODate);
    const QTime time = QTime::fromString(b.time, QStringLiteral("HH:mm"));
    if (b.storeId.isEmpty()) {
        c.error = tr("Choose the store.");
    } else if (!zone.isValid()) {
        c.error =
            tr("This device does not know the time zone of %1 (%2).").arg(b.storeName, b.timeZone);
    } else if (!b.customerId.isEmpty() && !uuid.match(b.customerId).hasMatch()) {
        c.error = tr("The customer is not one this app knows.");
    } else if (!date.isValid()) {
        c.error = tr("Choose the day.");
    } else if (!time.isValid()) {
        c.error = tr("Choose the time.");
    } else if (b.minutes < kMinMinutes || b.minutes > kMaxMinutes) {
        c.error = tr("An appointment lasts from %1 minutes to %2 hours.")
                      .arg(kMinMinutes)
                      .arg(kMaxMinutes / 60);
    } else if (b.purpose.trimmed().toUtf8().size() > kMaxPurposeBytes) {
        c.error = tr("Keep the purpose short: at most %1 characters.").arg(kMaxPurposeBytes);
    }
    if (!c.error.isEmpty()) {
        return c;
    }
    const QDateTime start(date, time, zone);
    if (!start.isValid() || start.time() != time || start.date() != date) {
        c.error =
            tr("%1 does not exist on %2 at %3: the clocks change that night. Choose "
               "another time.")
                .arg(b.time, QLocale().toString(date, QStringLiteral("ddd d MMM")), b.storeName);
        return c;
    }
    const qint64 starts = start.toMSecsSinceEpoch();
    if (starts <= nowMs) {
        c.error = tr("That time has passed at %1: choose a later one.").arg(b.storeName);
        return c;
    }
    if (starts > nowMs + qint64{kMaxDaysAhead} * 24 * 3600 * 1000) {
        c.error = tr("Book at most a year ahead.");
        return c;
    }
    c.startsMs = starts;
    c.endsMs = starts + qint64{b.minutes} * 60 * 1000;
    return c;
}

} // namespace cc::app::appointments
