#include "app/admin/usersmodel.h"

#include "app/auth/session.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <algorithm>

namespace cc::app {
namespace {

constexpr qint64 kMaxBody = 4 * 1024 * 1024;
constexpr qsizetype kMaxUsers = 20000;

} // namespace

UsersModel::UsersModel(QObject* parent)
    : QAbstractListModel(parent)
{}

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
        return m_session != nullptr && r.id == m_session->userId();
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

void UsersModel::setSession(Session* session)
{
    if (session == m_session) {
        return;
    }
    m_session = session;
    Q_EMIT sessionChanged();
    reload();
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

QString UsersModel::describe(int status)
{
    switch (status) {
    case 401:
        return tr("Your sign-in has ended. Sign in again.");
    case 403:
        return tr("Your role may not see this list.");
    case 0:
        return tr("Cannot reach the server.");
    default:
        return tr("The server could not answer (%1).").arg(status);
    }
}

void UsersModel::reload()
{
    QNetworkReply* reply =
        m_session ? m_session->apiGet(QStringLiteral("/v1/admin/users")) : nullptr;
    if (reply == nullptr) {
        setError(tr("Sign in first."));
        return;
    }
    const quint64 request = ++m_request;
    setLoading(true);
    connect(reply, &QNetworkReply::finished, this, [this, reply, request] {
        reply->deleteLater();
        if (request != m_request) {
            return; // a newer reload is on its way
        }
        setLoading(false);
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        auto rows = status == 200 ? parse(reply->read(kMaxBody)) : std::nullopt;
        if (!rows) {
            setError(status == 200 ? tr("The server sent a list this app cannot read.")
                                   : describe(status));
            return;
        }
        beginResetModel();
        m_rows = std::move(*rows);
        endResetModel();
        setError({});
    });
}

void UsersModel::disable(int row)
{
    if (row < 0 || row >= m_rows.size() || m_session == nullptr) {
        return;
    }
    const QString id = m_rows.at(row).id;
    QNetworkReply* reply =
        m_session->apiPost(QStringLiteral("/v1/admin/users/%1/disable").arg(id), {});
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

void UsersModel::setLoading(bool loading)
{
    if (loading != m_loading) {
        m_loading = loading;
        Q_EMIT loadingChanged();
    }
}

void UsersModel::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

} // namespace cc::app
