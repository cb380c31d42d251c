#include "app/models/appointmentbooking.h"

#include "app/cache/localstore.h"
#include "shared/sync/schema.h"

#include <QDateTime>
#include <QLocale>
#include <QTimeZone>
#include <QUuid>

#include <atomic>

namespace cc::app {
namespace {

std::atomic<qint64> g_clockOffsetMs{0};

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch() + g_clockOffsetMs.load(std::memory_order_relaxed);
}

QDateTime nowUtc()
{
    return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC);
}

constexpr int kFirstSlotMinutes = 7 * 60;
constexpr int kLastSlotMinutes = 21 * 60 + 45;
constexpr int kSlotMinutes = 15;
constexpr int kDaysOffered = 56;

QTimeZone zoneOf(const appointments::Store* store)
{
    const QTimeZone zone = store != nullptr ? QTimeZone(store->timeZone.toUtf8()) : QTimeZone();
    return zone.isValid() ? zone : QTimeZone::systemTimeZone();
}

} // namespace

AppointmentBooking::AppointmentBooking(QObject* parent)
    : CacheObject(parent)
{}

bool AppointmentBooking::concerns(const QStringList& entities) const
{
    return entities.contains(QLatin1String("locations")) ||
           entities.contains(QLatin1String("users")) ||
           entities.contains(QLatin1String("user_locations"));
}

void AppointmentBooking::load(std::function<void()> finished)
{
    service()->readCache<QVector<appointments::Store>>(
        this,
        [](const cache::LocalStore* store, const QString& me) {
            return store != nullptr ? appointments::readStores(*store, me, false)
                                    : QVector<appointments::Store>();
        },
        [this, finished](QVector<appointments::Store> stores) {
            if (!(stores == m_stores)) {
                m_stores = std::move(stores);
                Q_EMIT storesChanged();
                if (chosenStore() == nullptr && !m_stores.isEmpty() && m_storeId.isEmpty()) {
                    m_storeId = m_stores.constFirst().id;
                }
                Q_EMIT inputChanged(); // the store's name and clock
                Q_EMIT daysChanged();
            }
            finished();
        });
}

QVariantList AppointmentBooking::stores() const
{
    QVariantList out;
    for (const auto& s : m_stores) {
        out.push_back(QVariantMap{
            {QStringLiteral("storeId"), s.id},
            {QStringLiteral("name"), s.name},
            {QStringLiteral("code"), s.code},
            {QStringLiteral("timeZone"), s.timeZone},
            {QStringLiteral("label"),
             s.code.isEmpty() ? s.name : tr("%1 · %2").arg(s.code, s.name)},
        });
    }
    return out;
}

const appointments::Store* AppointmentBooking::chosenStore() const
{
    for (const auto& s : m_stores) {
        if (s.id == m_storeId) {
            return &s;
        }
    }
    return nullptr;
}

QString AppointmentBooking::storeName() const
{
    const appointments::Store* s = chosenStore();
    return s != nullptr ? s->name : QString();
}

void AppointmentBooking::setStoreId(const QString& storeId)
{
    if (storeId != m_storeId) {
        m_storeId = storeId;
        setError({});
        Q_EMIT inputChanged();
        Q_EMIT daysChanged();
    }
}

void AppointmentBooking::setCustomerId(const QString& customerId)
{
    if (customerId != m_customerId) {
        m_customerId = customerId;
        Q_EMIT inputChanged();
    }
}

void AppointmentBooking::setCustomerName(const QString& customerName)
{
    if (customerName != m_customerName) {
        m_customerName = customerName;
        Q_EMIT inputChanged();
    }
}

void AppointmentBooking::setDate(const QString& date)
{
    if (date != m_date) {
        m_date = date;
        setError({});
        Q_EMIT inputChanged();
    }
}

void AppointmentBooking::setTime(const QString& time)
{
    if (time != m_time) {
        m_time = time;
        setError({});
        Q_EMIT inputChanged();
    }
}

void AppointmentBooking::setDurationMinutes(int minutes)
{
    if (minutes != m_minutes) {
        m_minutes = minutes;
        setError({});
        Q_EMIT inputChanged();
    }
}

void AppointmentBooking::setPurpose(const QString& purpose)
{
    if (purpose != m_purpose) {
        m_purpose = purpose;
        Q_EMIT inputChanged();
    }
}

QVariantList AppointmentBooking::days() const
{
    const QDate today = nowUtc().toTimeZone(zoneOf(chosenStore())).date();
    const QLocale locale;
    QVariantList out;
    for (int i = 0; i < kDaysOffered; ++i) {
        const QDate d = today.addDays(i);
        QString label = locale.toString(d, QStringLiteral("ddd d MMM"));
        if (i == 0) {
            label = tr("Today · %1").arg(label);
        } else if (i == 1) {
            label = tr("Tomorrow · %1").arg(label);
        }
        out.push_back(QVariantMap{{QStringLiteral("value"), d.toString(Qt::ISODate)},
                                  {QStringLiteral("label"), label}});
    }
    return out;
}

QStringList AppointmentBooking::times()
{
    QStringList out;
    for (int m = kFirstSlotMinutes; m <= kLastSlotMinutes; m += kSlotMinutes) {
        out << QTime(m / 60, m % 60).toString(QStringLiteral("HH:mm"));
    }
    return out;
}

QVariantList AppointmentBooking::durations()
{
    QVariantList out;
    for (const int m : {15, 30, 45, 60, 90, 120, 180, 240}) {
        out.push_back(QVariantMap{
            {QStringLiteral("value"), m},
            {QStringLiteral("label"), m < 60        ? tr("%1 min").arg(m)
                                      : m % 60 == 0 ? tr("%n hour(s)", nullptr, m / 60)
                                                    : tr("%1 h %2 min").arg(m / 60).arg(m % 60)},
        });
    }
    return out;
}

appointments::Booking AppointmentBooking::booking() const
{
    const appointments::Store* s = chosenStore();
    return {m_storeId,
            s != nullptr ? s->name : QString(),
            s != nullptr ? s->timeZone : QString(),
            m_customerId,
            m_date,
            m_time,
            m_minutes,
            m_purpose};
}

QString AppointmentBooking::whenText() const
{
    const appointments::Booking b = booking();
    const auto checked = appointments::checkBooking(b, nowMs());
    if (!checked.error.isEmpty()) {
        return {};
    }
    const QDateTime starts = QDateTime::fromMSecsSinceEpoch(checked.startsMs, Qt::UTC);
    QString when = tr("%1 at %2")
                       .arg(appointments::describeWhen(
                                starts, QDateTime::fromMSecsSinceEpoch(checked.endsMs, Qt::UTC),
                                b.timeZone, nowUtc(), false),
                            b.storeName);
    if (const QString clock = appointments::whoseClock(starts, b.timeZone); !clock.isEmpty()) {
        when += QLatin1Char(' ') + clock;
    }
    return when;
}

void AppointmentBooking::suggest()
{
    const QDateTime now = nowUtc().toTimeZone(zoneOf(chosenStore()));
    const QDateTime soon = now.addSecs(30 * 60);
    int minutes = soon.time().hour() * 60 + 60; // the next whole hour after that
    QDate day = soon.date();
    if (minutes > kLastSlotMinutes - 60 || soon.date() != now.date()) {
        day = now.date().addDays(1);
        minutes = 10 * 60;
    } else if (minutes < kFirstSlotMinutes + 2 * 60) {
        minutes = std::max(minutes, 9 * 60);
    }
    m_date = day.toString(Qt::ISODate);
    m_time = QTime(minutes / 60, minutes % 60).toString(QStringLiteral("HH:mm"));
    setError({});
    Q_EMIT inputChanged();
}

void AppointmentBooking::book()
{
    if (!service()) {
        setError(tr("Sign in first."));
        return;
    }
    if (m_saving) {
        return; // a double tap books once
    }
    if (chosenStore() == nullptr) {
        setError(m_stores.isEmpty() ? tr("This device holds none of your stores yet: wait for "
                                         "the first sync.")
                                    : tr("Choose the store."));
        return;
    }
    const appointments::Booking b = booking();
    const auto checked = appointments::checkBooking(b, nowMs());
    if (!checked.error.isEmpty()) {
        setError(checked.error);
        return;
    }
    setError({});
    setSaving(true);
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QVariantMap fields{
        {QStringLiteral("id"), id},
        {QStringLiteral("location_id"), b.storeId},
        {QStringLiteral("starts_at"), static_cast<qlonglong>(checked.startsMs)},
        {QStringLiteral("ends_at"), static_cast<qlonglong>(checked.endsMs)},
        {QStringLiteral("status"), QStringLiteral("booked")},
        {QStringLiteral("created_at"), static_cast<qlonglong>(QDateTime::currentMSecsSinceEpoch())},
    };
    if (!b.customerId.isEmpty()) {
        fields.insert(QStringLiteral("customer_id"), b.customerId);
    }
    if (const QString purpose = b.purpose.simplified(); !purpose.isEmpty()) {
        fields.insert(QStringLiteral("purpose"), purpose);
    }
    const QString when = whenText();
    service()->write(QStringLiteral("appointments"), static_cast<int>(sync::Op::Insert), id, fields,
                     this, [this, id, when](const QString& error) {
                         setSaving(false);
                         if (!error.isEmpty()) {
                             setError(tr("The appointment was not booked: %1").arg(error));
                             return;
                         }
                         Q_EMIT booked(id, when);
                     });
}

void AppointmentBooking::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

void AppointmentBooking::setSaving(bool saving)
{
    if (saving != m_saving) {
        m_saving = saving;
        Q_EMIT savingChanged();
    }
}

void AppointmentBooking::setClockOffsetForTesting(qint64 offsetMs)
{
    g_clockOffsetMs.store(offsetMs, std::memory_order_relaxed);
}

} // namespace cc::app
