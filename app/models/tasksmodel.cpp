#include "app/models/tasksmodel.h"

#include "app/sync/syncservice.h"
#include "shared/sync/schema.h"

#include <algorithm>

namespace cc::app {

TasksModel::TasksModel(QObject* parent)
    : CacheListModel(parent)
{}

bool TasksModel::concerns(const QStringList& entities) const
{
    return entities.contains(QLatin1String("tasks")) ||
           entities.contains(QLatin1String("customers")) ||
           entities.contains(QLatin1String("user_locations")) ||
           entities.contains(QLatin1String("users"));
}

int TasksModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_tasks.size());
}

QVariant TasksModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Task& t = m_tasks.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TitleRole:
        return t.title;
    case IdRole:
        return t.id;
    case KindRole:
        return t.kind;
    case StatusRole:
        return t.status;
    case DueAtRole:
        return t.dueAt;
    case OverdueRole:
        return t.status == QLatin1String("open") && t.dueAt < QDateTime::currentDateTimeUtc();
    case CustomerNameRole:
        return t.customerName;
    default:
        return {};
    }
}

QHash<int, QByteArray> TasksModel::roleNames() const
{
    return {{IdRole, "taskId"},
            {TitleRole, "title"},
            {KindRole, "kind"},
            {StatusRole, "status"},
            {DueAtRole, "dueAt"},
            {OverdueRole, "overdue"},
            {CustomerNameRole, "customerName"}};
}

void TasksModel::setShowDone(bool show)
{
    if (m_showDone != show) {
        m_showDone = show;
        Q_EMIT showDoneChanged();
        reload();
    }
}

void TasksModel::load(std::function<void()> finished)
{
    // The person's own stores (only their tasks are theirs to close; a shared customer brings
    // other stores' tasks into the cache too), then customers for the names, then the tasks.
    service()->readOwnStores(this, [this, finished](const QStringList& stores) {
        m_ownStores = stores;
        loadCustomers(finished);
    });
}

void TasksModel::loadCustomers(const std::function<void()>& finished)
{
    service()->readRows(
        QStringLiteral("customers"), this, [this, finished](const QVector<QVariantMap>& rows) {
            m_customerNames.clear();
            for (const auto& r : rows) {
                m_customerNames.insert(r.value(QStringLiteral("key")).toString(),
                                       r.value(QStringLiteral("display_name")).toString());
            }
            loadTasks(finished);
        });
}

void TasksModel::loadTasks(const std::function<void()>& finished)
{
    service()->readRows(QStringLiteral("tasks"), this,
                        [this, finished](const QVector<QVariantMap>& rows) {
                            setTasks(rows);
                            finished();
                        });
}

void TasksModel::setTasks(const QVector<QVariantMap>& rows)
{
    QVector<Task> next;
    for (const auto& r : rows) {
        if (!m_ownStores.contains(r.value(QStringLiteral("location_id")).toString())) {
            continue;
        }
        Task t;
        t.id = r.value(QStringLiteral("key")).toString();
        t.title = r.value(QStringLiteral("title")).toString();
        t.kind = r.value(QStringLiteral("kind")).toString();
        t.status = r.value(QStringLiteral("status")).toString();
        t.dueAt =
            QDateTime::fromMSecsSinceEpoch(r.value(QStringLiteral("due_at")).toLongLong(), Qt::UTC);
        t.customerName = m_customerNames.value(r.value(QStringLiteral("customer_id")).toString());
        if (m_showDone || t.status == QLatin1String("open")) {
            next.push_back(std::move(t));
        }
    }
    std::stable_sort(next.begin(), next.end(), [](const Task& a, const Task& b) {
        return a.dueAt < b.dueAt || (a.dueAt == b.dueAt && a.id < b.id);
    });
    beginResetModel();
    m_tasks = std::move(next);
    endResetModel();
}

void TasksModel::markDone(int row)
{
    setStatus(row, QStringLiteral("done"));
}

void TasksModel::reopen(int row)
{
    setStatus(row, QStringLiteral("open"));
}

void TasksModel::setStatus(int row, const QString& status)
{
    if (row < 0 || row >= m_tasks.size() || !service()) {
        return;
    }
    QVariantMap fields{{QStringLiteral("status"), status}};
    fields.insert(QStringLiteral("completed_at"),
                  status == QLatin1String("done")
                      ? QVariant(static_cast<qlonglong>(QDateTime::currentMSecsSinceEpoch()))
                      : QVariant());
    service()->write(QStringLiteral("tasks"), static_cast<int>(sync::Op::Update),
                     m_tasks.at(row).id, fields, this,
                     [this](const QString& error) { setLastError(error); });
}

void TasksModel::setLastError(const QString& error)
{
    if (m_lastError != error) {
        m_lastError = error;
        Q_EMIT lastErrorChanged();
    }
}

} // namespace cc::app
