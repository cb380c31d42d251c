#include "app/models/conflictsmodel.h"

#include <algorithm>

namespace cc::app {
namespace {

QString describe(const QString& entity)
{
    static const QHash<QString, QString> names = {
        {QStringLiteral("customers"), QObject::tr("a customer")},
        {QStringLiteral("customer_phones"), QObject::tr("a customer's phone number")},
        {QStringLiteral("calls"), QObject::tr("a call")},
        {QStringLiteral("call_notes"), QObject::tr("a note")},
        {QStringLiteral("tasks"), QObject::tr("a callback or follow-up")},
        {QStringLiteral("appointments"), QObject::tr("an appointment")},
    };
    return names.value(entity, entity);
}

// "display_name" -> "display name": field names as a person reads them.
QStringList readable(QStringList fields)
{
    for (auto& f : fields) {
        f.replace(QLatin1Char('_'), QLatin1Char(' '));
    }
    return fields;
}

} // namespace

ConflictsModel::ConflictsModel(QObject* parent)
    : CacheListModel(parent)
{}

void ConflictsModel::watch(SyncService* service)
{
    // The count in the status says when the list changed.
    connect(service, &SyncService::statusChanged, this, [this, service] {
        if (service->conflictCount() != m_conflicts.size()) {
            reload();
        }
    });
}

int ConflictsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_conflicts.size());
}

QVariant ConflictsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Conflict& c = m_conflicts.at(index.row());
    switch (role) {
    case IdRole:
        return c.id;
    case RefusedRole:
        return c.refused;
    case Qt::DisplayRole:
    case WhatRole:
        return c.what;
    case ReasonRole:
        return c.reason;
    case FieldsRole:
        return c.fields;
    case AtRole:
        return c.at;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConflictsModel::roleNames() const
{
    return {{IdRole, "conflictId"}, {RefusedRole, "refused"}, {WhatRole, "what"},
            {ReasonRole, "reason"}, {FieldsRole, "fields"},   {AtRole, "at"}};
}

void ConflictsModel::load(std::function<void()> finished)
{
    service()->readConflicts(this, [this, finished](const QVector<QVariantMap>& rows) {
        QVector<Conflict> next;
        next.reserve(rows.size());
        for (const auto& r : rows) {
            next.push_back(
                {r.value(QStringLiteral("id")).toLongLong(),
                 r.value(QStringLiteral("kind")).toString() == QLatin1String("rejected"),
                 describe(r.value(QStringLiteral("entity")).toString()),
                 r.value(QStringLiteral("reason")).toString(),
                 readable(r.value(QStringLiteral("fields")).toStringList()),
                 QDateTime::fromMSecsSinceEpoch(r.value(QStringLiteral("atMs")).toLongLong())});
        }
        std::reverse(next.begin(), next.end()); // newest first
        beginResetModel();
        m_conflicts = std::move(next);
        endResetModel();
        finished();
    });
}

void ConflictsModel::dismiss(int row)
{
    if (row < 0 || row >= m_conflicts.size() || !service()) {
        return;
    }
    service()->dismissConflict(m_conflicts.at(row).id);
    beginRemoveRows({}, row, row);
    m_conflicts.removeAt(row);
    endRemoveRows();
}

} // namespace cc::app
