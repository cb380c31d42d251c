#include "app/admin/auditmodel.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace cc::app {
namespace {
constexpr qsizetype kMaxEntries = 10000;
} // namespace

int AuditModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

QVariant AuditModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Entry& e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case ActionRole:
        return e.action;
    case WhenRole:
        return e.when;
    case ActorRole:
        return e.actor;
    case TargetRole:
        return e.target;
    default:
        return {};
    }
}

QHash<int, QByteArray> AuditModel::roleNames() const
{
    return {{WhenRole, "when"}, {ActionRole, "what"}, {ActorRole, "who"}, {TargetRole, "target"}};
}

std::optional<QList<AuditModel::Entry>> AuditModel::parse(const QByteArray& body)
{
    const QJsonValue entries =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("entries"));
    if (!entries.isArray() || entries.toArray().size() > kMaxEntries) {
        return std::nullopt;
    }
    QList<Entry> out;
    for (const auto& value : entries.toArray()) {
        const QJsonObject o = value.toObject();
        Entry e{o.value(QStringLiteral("id")).toInteger(),
                o.value(QStringLiteral("at")).toString(),
                o.value(QStringLiteral("action")).toString(),
                o.value(QStringLiteral("actorUserId")).toString(),
                {}};
        if (e.id <= 0 || e.action.isEmpty()) {
            return std::nullopt;
        }
        const QString type = o.value(QStringLiteral("targetType")).toString();
        const QString id = o.value(QStringLiteral("targetId")).toString();
        e.target = type.isEmpty() ? id : type + QLatin1Char(' ') + id;
        out.push_back(std::move(e));
    }
    return out;
}

void AuditModel::reload()
{
    fetch(QStringLiteral("/v1/admin/audit"), [this](const QByteArray& body) {
        auto entries = parse(body);
        if (!entries) {
            return false;
        }
        beginResetModel();
        m_entries = std::move(*entries);
        endResetModel();
        return true;
    });
}

} // namespace cc::app
