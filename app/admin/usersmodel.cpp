#include "app/admin/usersmodel.h"

#include "app/auth/session.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <algorithm>

namespace cc::app {
namespace {

constexpr qsizetype kMaxUsers = 20000;

} // namespace

int UsersModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant UsersModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Row& r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return r.name;
    case IdRole:
        return r.id;
    case EmailRole:
        return r.email;
    case UserRoleRole:
        return r.role;
    case ActiveRole:
        return r.active;
    case StoresRole:
        return r.stores.join(QStringLiteral(", "));
    case IsMeRole:
        return session() != nullptr && r.id == session()->userId();
    default:
        return {};
    }
}

QHash<int, QByteArray> UsersModel::roleNames() const
{
    return {{IdRole, "userId"},     {NameRole, "name"},     {EmailRole, "email"},
            {UserRoleRole, "role"}, {ActiveRole, "active"}, {StoresRole, "stores"},
            {IsMeRole, "isMe"}};
}

std::optional<QList<UsersModel::Row>> UsersModel::parse(const QByteArray& body)
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    const QJsonValue users = doc.object().value(QStringLiteral("users"));
    if (!users.isArray() || users.toArray().size() > kMaxUsers) {
        return std::nullopt;
    }
    QList<Row> rows;
    for (const auto& value : users.toArray()) {
        const QJsonObject o = value.toObject();
        Row r{o.value(QStringLiteral("id")).toString(),
              o.value(QStringLiteral("name")).toString(),
              o.value(QStringLiteral("email")).toString(),
              o.value(QStringLiteral("role")).toString(),
              o.value(QStringLiteral("active")).toBool(true),
              {}};
        if (r.id.isEmpty()) {
            return std::nullopt;
        }
        for (const auto& store : o.value(QStringLiteral("stores")).toArray()) {
            r.stores << store.toString();
        }
        rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return QString::localeAwareCompare(a.name, b.name) < 0;
    });
    return rows;
}

void UsersModel::reload()
{
    fetch(QStringLiteral("/v1/admin/users"), [this](const QByteArray& body) {
        auto rows = parse(body);
        if (!rows) {
            return false;
        }
        beginResetModel();
        m_rows = std::move(*rows);
        endResetModel();
        return true;
    });
}

void UsersModel::disable(int row)
{
    if (row < 0 || row >= m_rows.size() || session() == nullptr) {
        return;
    }
    const QString id = m_rows.at(row).id;
    QNetworkReply* reply =
        session()->apiPost(QStringLiteral("/v1/admin/users/%1/disable").arg(id), {});
    if (reply == nullptr) {
        setError(tr("Sign in first."));
        return;
    }
    connect(reply, &QNetworkReply::finished, this, [this, reply, id] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 409) {
            setError(tr("You cannot disable your own account."));
            return;
        }
        if (status != 200) {
            setError(describe(status));
            return;
        }
        // The row may have moved while we waited: find it again by id.
        for (int i = 0; i < m_rows.size(); ++i) {
            if (m_rows[i].id == id && m_rows[i].active) {
                m_rows[i].active = false;
                const QModelIndex changed = index(i);
                Q_EMIT dataChanged(changed, changed, {ActiveRole});
            }
        }
        setError({});
    });
}

} // namespace cc::app
