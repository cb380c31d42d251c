#include "app/models/staffboardmodel.h"

#include "app/cache/localstore.h"

namespace cc::app {

StaffBoardModel::StaffBoardModel(QObject* parent)
    : CacheListModel(parent)
{
    m_pauseEnds.setSingleShot(true);
    connect(&m_pauseEnds, &QTimer::timeout, this, &StaffBoardModel::reload);
}

bool StaffBoardModel::concerns(const QStringList& entities) const
{
    static const QStringList kRead{
        QStringLiteral("presence"), QStringLiteral("users"),     QStringLiteral("user_locations"),
        QStringLiteral("calls"),    QStringLiteral("customers"),
    };
    return std::any_of(entities.begin(), entities.end(),
                       [](const QString& e) { return kRead.contains(e); });
}

void StaffBoardModel::load(std::function<void()> finished)
{
    service()->readCache<QVector<calls::BoardEntry>>(
        this,
        [](const cache::LocalStore* store, const QString& me) {
            return store != nullptr
                       ? calls::readStaffBoard(*store, me, QDateTime::currentMSecsSinceEpoch())
                       : QVector<calls::BoardEntry>();
        },
        [this, finished](QVector<calls::BoardEntry> next) {
            updateRows(m_people, std::move(next),
                       [](const calls::BoardEntry& p) { return p.userId; });
            const int available =
                static_cast<int>(std::count_if(m_people.begin(), m_people.end(), [](const auto& p) {
                    return p.online && p.status == QLatin1String("available") &&
                           p.activity == QLatin1String("idle") && !p.paused;
                }));
            if (available != m_availableCount) {
                m_availableCount = available;
                Q_EMIT availableCountChanged();
            }
            const QDateTime now = QDateTime::currentDateTimeUtc();
            QDateTime firstEnd;
            for (const auto& p : m_people) {
                if (p.pausedUntil > now && (!firstEnd.isValid() || p.pausedUntil < firstEnd)) {
                    firstEnd = p.pausedUntil;
                }
            }
            if (firstEnd.isValid()) {
                m_pauseEnds.start(std::chrono::milliseconds(now.msecsTo(firstEnd) + 100));
            } else {
                m_pauseEnds.stop();
            }
            finished();
        });
}

int StaffBoardModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_people.size());
}

QString StaffBoardModel::stateText(const calls::BoardEntry& person)
{
    const QString caller = person.callerName.isEmpty() ? person.callerNumber : person.callerName;
    if (person.activity == QLatin1String("ringing")) {
        return caller.isEmpty() ? tr("Ringing") : tr("Ringing · %1").arg(caller);
    }
    if (person.activity == QLatin1String("on_call")) {
        return caller.isEmpty() ? tr("On a call") : tr("On a call with %1").arg(caller);
    }
    if (person.activity == QLatin1String("wrap_up")) {
        return tr("Wrap-up");
    }
    if (person.status != QLatin1String("available")) {
        return tr("Away");
    }
    if (!person.online) {
        return tr("Available · not connected");
    }
    if (person.paused) {
        return tr("Paused until %1").arg(calls::shortTime(person.pausedUntil));
    }
    return tr("Available");
}

QVariant StaffBoardModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const calls::BoardEntry& p = m_people.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return p.name;
    case UserIdRole:
        return p.userId;
    case RoleRole:
        return p.role;
    case StatusRole:
        return p.status;
    case ActivityRole:
        return p.activity;
    case OnlineRole:
        return p.online;
    case CallIdRole:
        return p.callId;
    case CallerNumberRole:
        return p.callerNumber;
    case CallerNameRole:
        return p.callerName;
    case ActivityUntilRole:
        return p.activityUntil;
    case PausedUntilRole:
        return p.pausedUntil;
    case IdleSinceRole:
        return p.idleSince;
    case IsMeRole:
        return p.isMe;
    case PausedRole:
        return p.paused;
    case StateTextRole:
        return stateText(p);
    default:
        return {};
    }
}

QHash<int, QByteArray> StaffBoardModel::roleNames() const
{
    return {{UserIdRole, "userId"},
            {NameRole, "name"},
            {RoleRole, "role"},
            {StatusRole, "status"},
            {ActivityRole, "activity"},
            {OnlineRole, "online"},
            {CallIdRole, "callId"},
            {CallerNumberRole, "callerNumber"},
            {CallerNameRole, "callerName"},
            {ActivityUntilRole, "activityUntil"},
            {PausedUntilRole, "pausedUntil"},
            {IdleSinceRole, "idleSince"},
            {IsMeRole, "isMe"},
            {PausedRole, "paused"},
            {StateTextRole, "stateText"}};
}

} // namespace cc::app
