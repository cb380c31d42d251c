#include "app/models/appointmentsmodel.h"

#include "app/cache/localstore.h"
#include "shared/sync/schema.h"

#include <algorithm>

namespace cc::app {

AppointmentsModel::AppointmentsModel(QObject* parent)
    : CacheListModel(parent)
{
    m_nextEnd.setSingleShot(true);
    connect(&m_nextEnd, &QTimer::timeout, this, &AppointmentsModel::reload);
}

bool AppointmentsModel::concerns(const QStringList& entities) const
{
    static const QStringList kRead{QStringLiteral("appointments"), QStringLiteral("customers"),
                                   QStringLiteral("locations"), QStringLiteral("users"),
                                   QStringLiteral("user_locations")};
    return std::any_of(entities.begin(), entities.end(),
                       [](const QString& e) { return kRead.contains(e); });
}

int AppointmentsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QString AppointmentsModel::calendarText(const QString& state, const QString& error)
{
    if (state == QLatin1String("synced")) {
        return tr("In the store's calendar");
    }
    if (state == QLatin1String("pending")) {
        return tr("Going into the store's calendar…");
    }
    if (state == QLatin1String("failed")) {
        return error.isEmpty() ? tr("Not in the store's calendar yet: the server keeps trying")
                               : tr("Not in the store's calendar yet: %1").arg(error);
    }
    return {};
}

QVariant AppointmentsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Row& r = m_rows.at(index.row());
    const appointments::Entry& e = r.entry;
    switch (role) {
    case IdRole:
        return e.id;
    case StoreIdRole:
        return e.storeId;
    case StoreNameRole:
        return e.storeName;
    case CustomerIdRole:
        return e.customerId;
    case Qt::DisplayRole:
    case CustomerNameRole:
        return e.customerName;
    case StaffNameRole:
        return e.staffName;
    case PurposeRole:
        return e.purpose;
    case StatusRole:
        return e.status;
    case RequestedRole:
        return e.status == QLatin1String("requested");
    case StartsAtRole:
        return e.startsAt;
    case EndsAtRole:
        return e.endsAt;
    case WhenTextRole:
        return r.whenText;
    case CalendarStateRole:
        return e.calendarState;
    case CalendarTextRole:
        return calendarText(e.calendarState, e.calendarError);
    case CalendarErrorRole:
        return e.calendarError;
    default:
        return {};
    }
}

QHash<int, QByteArray> AppointmentsModel::roleNames() const
{
    return {{IdRole, "appointmentId"},
            {StoreIdRole, "storeId"},
            {StoreNameRole, "storeName"},
            {CustomerIdRole, "customerId"},
            {CustomerNameRole, "customerName"},
            {StaffNameRole, "staffName"},
            {PurposeRole, "purpose"},
            {StatusRole, "status"},
            {RequestedRole, "requested"},
            {StartsAtRole, "startsAt"},
            {EndsAtRole, "endsAt"},
            {WhenTextRole, "whenText"},
            {CalendarStateRole, "calendarState"},
            {CalendarTextRole, "calendarText"},
            {CalendarErrorRole, "calendarError"}};
}

int AppointmentsModel::requestedCount() const
{
    return static_cast<int>(std::count_if(m_rows.begin(), m_rows.end(), [](const Row& r) {
        return r.entry.status == QLatin1String("requested");
    }));
}

void AppointmentsModel::load(std::function<void()> finished)
{
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    service()->readCache<QVector<appointments::Entry>>(
        this,
        [nowMs](const cache::LocalStore* store, const QString& me) {
            return store != nullptr ? appointments::readUpcoming(*store, me, nowMs)
                                    : QVector<appointments::Entry>();
        },
        [this, finished](QVector<appointments::Entry> entries) {
            const QDateTime now = QDateTime::currentDateTimeUtc();
            QVector<Row> next;
            next.reserve(entries.size());
            QDateTime firstEnd;
            for (auto& e : entries) {
                QString when = appointments::describeWhen(e.startsAt, e.endsAt, e.timeZone, now);
                if (!firstEnd.isValid() || e.endsAt < firstEnd) {
                    firstEnd = e.endsAt;
                }
                next.push_back(Row{std::move(e), std::move(when)});
            }
            const int requestedBefore = requestedCount();
            updateRows(m_rows, std::move(next), [](const Row& r) { return r.entry.id; });
            if (requestedCount() != requestedBefore) {
                Q_EMIT countsChanged();
            }
            // Reads again when the first one ends, and at the latest each hour ("Today" turns
            // into "Tomorrow" at midnight).
            const qint64 untilEnd =
                firstEnd.isValid() ? now.msecsTo(firstEnd) + 500 : qint64{3600} * 1000;
            m_nextEnd.start(
                std::chrono::milliseconds(std::clamp<qint64>(untilEnd, 1000, qint64{3600} * 1000)));
            finished();
        });
}

void AppointmentsModel::confirm(int row)
{
    setStatus(row, QStringLiteral("requested"), QStringLiteral("booked"));
}

void AppointmentsModel::cancel(int row)
{
    setStatus(row, {}, QStringLiteral("cancelled"));
}

void AppointmentsModel::setStatus(int row, const QString& from, const QString& to)
{
    if (row < 0 || row >= m_rows.size() || !service()) {
        return;
    }
    const appointments::Entry& e = m_rows.at(row).entry;
    if (!from.isEmpty() && e.status != from) {
        return; // confirmed by someone else meanwhile: nothing to do
    }
    setLastError({});
    service()->write(QStringLiteral("appointments"), static_cast<int>(sync::Op::Update), e.id,
                     {{QStringLiteral("status"), to}}, this, [this, to](const QString& error) {
                         if (!error.isEmpty()) {
                             setLastError(
                                 to == QLatin1String("booked")
                                     ? tr("The appointment was not confirmed: %1").arg(error)
                                     : tr("The appointment was not cancelled: %1").arg(error));
                         }
                     });
}

void AppointmentsModel::setLastError(const QString& error)
{
    if (error != m_lastError) {
        m_lastError = error;
        Q_EMIT lastErrorChanged();
    }
}

} // namespace cc::app
