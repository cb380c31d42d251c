#include "app/models/queuemodel.h"

#include "app/cache/localstore.h"

namespace cc::app {

QueueModel::QueueModel(QObject* parent)
    : CacheListModel(parent)
{}

bool QueueModel::concerns(const QStringList& entities) const
{
    static const QStringList kRead{
        QStringLiteral("calls"),           QStringLiteral("customers"),
        QStringLiteral("customer_phones"), QStringLiteral("locations"),
        QStringLiteral("user_locations"),  QStringLiteral("users"),
    };
    return std::any_of(entities.begin(), entities.end(),
                       [](const QString& e) { return kRead.contains(e); });
}

void QueueModel::load(std::function<void()> finished)
{
    service()->readCache<QVector<calls::QueueEntry>>(
        this,
        [](const cache::LocalStore* store, const QString& me) {
            return store != nullptr ? calls::readQueue(*store, me) : QVector<calls::QueueEntry>();
        },
        [this, finished](QVector<calls::QueueEntry> next) {
            const int waiting = waitingCount();
            const int inProgress = inProgressCount();
            updateRows(m_calls, std::move(next), [](const calls::QueueEntry& c) { return c.id; });
            if (waiting != waitingCount() || inProgress != inProgressCount()) {
                Q_EMIT countsChanged();
            }
            finished();
        });
}

int QueueModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_calls.size());
}

int QueueModel::waitingCount() const
{
    return static_cast<int>(std::count_if(m_calls.begin(), m_calls.end(), [](const auto& c) {
        return c.status == QLatin1String("ringing");
    }));
}

int QueueModel::inProgressCount() const
{
    return static_cast<int>(m_calls.size()) - waitingCount();
}

QString QueueModel::elapsed(const QDateTime& from, const QDateTime& to)
{
    return from.isValid() && to.isValid() ? calls::formatDuration(from.secsTo(to)) : QString();
}

QString QueueModel::stateText(const calls::QueueEntry& call)
{
    if (call.status == QLatin1String("in_progress")) {
        if (call.handledByMe) {
            return tr("With you");
        }
        return call.handledByName.isEmpty()
                   ? tr("In progress")
                   : tr("With %1").arg(calls::firstName(call.handledByName));
    }
    if (call.offeredToMe) {
        return tr("Ringing you");
    }
    if (!call.offeredTo.isEmpty()) {
        return call.offeredToName.isEmpty()
                   ? tr("Ringing")
                   : tr("Ringing %1").arg(calls::firstName(call.offeredToName));
    }
    return tr("Waiting");
}

QVariant QueueModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const calls::QueueEntry& c = m_calls.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return c.customerName.isEmpty() ? c.fromNumber : c.customerName;
    case CallIdRole:
        return c.id;
    case FromNumberRole:
        return c.fromNumber;
    case CustomerNameRole:
        return c.customerName;
    case StoreNameRole:
        return c.storeName;
    case StatusRole:
        return c.status;
    case StateTextRole:
        return stateText(c);
    case StartedAtRole:
        return c.startedAt;
    case AnsweredAtRole:
        return c.answeredAt;
    case OfferedToMeRole:
        return c.offeredToMe;
    case OfferedToNameRole:
        return c.offeredToName;
    case HandledByNameRole:
        return c.handledByName;
    case HandledByMeRole:
        return c.handledByMe;
    case NeedRole:
        return c.need;
    case RoutingReasonRole:
        return c.routingReason;
    case OfferedRole:
        return !c.offeredTo.isEmpty();
    default:
        return {};
    }
}

QHash<int, QByteArray> QueueModel::roleNames() const
{
    return {{CallIdRole, "callId"},
            {FromNumberRole, "fromNumber"},
            {CustomerNameRole, "customerName"},
            {StoreNameRole, "storeName"},
            {StatusRole, "status"},
            {StateTextRole, "stateText"},
            {StartedAtRole, "startedAt"},
            {AnsweredAtRole, "answeredAt"},
            {OfferedToMeRole, "offeredToMe"},
            {OfferedToNameRole, "offeredToName"},
            {HandledByNameRole, "handledByName"},
            {HandledByMeRole, "handledByMe"},
            {NeedRole, "need"},
            {RoutingReasonRole, "routingReason"},
            {OfferedRole, "offered"}};
}

} // namespace cc::app
