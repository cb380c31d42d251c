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
constexpr qint64 kMaxAnswer = 64 * 1024;

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
    case StoreIdsRole:
        return r.storeIds;
    case HomeStoreIdRole:
        return r.homeStoreId;
    case SkillsRole:
        return r.skills;
    case PasswordSetRole:
        return r.passwordSet;
    case SetupPendingRole:
        return r.setupPending;
    default:
        return {};
    }
}

QHash<int, QByteArray> UsersModel::roleNames() const
{
    return {{IdRole, "userId"},
            {NameRole, "name"},
            {EmailRole, "email"},
            {UserRoleRole, "role"},
            {ActiveRole, "active"},
            {StoresRole, "stores"},
            {IsMeRole, "isMe"},
            {StoreIdsRole, "storeIds"},
            {HomeStoreIdRole, "homeStoreId"},
            {SkillsRole, "skills"},
            {PasswordSetRole, "passwordSet"},
            {SetupPendingRole, "setupPending"}};
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
        Row r;
        r.id = o.value(QStringLiteral("id")).toString();
        r.name = o.value(QStringLiteral("name")).toString();
        r.email = o.value(QStringLiteral("email")).toString();
        r.role = o.value(QStringLiteral("role")).toString();
        r.active = o.value(QStringLiteral("active")).toBool(true);
        r.homeStoreId = o.value(QStringLiteral("homeStoreId")).toString();
        r.passwordSet = o.value(QStringLiteral("passwordSet")).toBool(true);
        r.setupPending = o.value(QStringLiteral("setupPending")).toBool(false);
        if (r.id.isEmpty()) {
            return std::nullopt;
        }
        for (const auto& store : o.value(QStringLiteral("stores")).toArray()) {
            r.stores << store.toString();
        }
        for (const auto& store : o.value(QStringLiteral("storeIds")).toArray()) {
            r.storeIds << store.toString();
        }
        for (const auto& skill : o.value(QStringLiteral("skills")).toArray()) {
            r.skills << skill.toString();
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

int UsersModel::rowOf(const QString& userId) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].id == userId) {
            return i;
        }
    }
    return -1;
}

QString UsersModel::nameOf(const QString& userId) const
{
    const int row = rowOf(userId);
    return row < 0 ? QString() : m_rows.at(row).name;
}

void UsersModel::act(QNetworkReply* reply, std::function<void(int, const QJsonObject&)> done)
{
    if (reply == nullptr) {
        Q_EMIT actionFailed(tr("Sign in first."));
        return;
    }
    if (m_busy++ == 0) {
        Q_EMIT busyChanged();
    }
    connect(reply, &QNetworkReply::finished, this, [this, reply, done = std::move(done)] {
        reply->deleteLater();
        if (--m_busy == 0) {
            Q_EMIT busyChanged();
        }
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        done(status, QJsonDocument::fromJson(reply->read(kMaxAnswer)).object());
    });
}

QString UsersModel::failure(int status, const QJsonObject& body)
{
    const QString error = body.value(QStringLiteral("error")).toString();
    switch (status) {
    case 400:
        // The server's own words: which field, and what it takes.
        return error.isEmpty() ? tr("The server refused the request.")
                               : tr("Not accepted: %1").arg(error);
    case 403:
        return tr("Only admins can manage people's accounts.");
    case 404:
        return tr("This person is not in your organisation any more. Refresh the list.");
    case 409:
        if (error == QStringLiteral("email_taken")) {
            return tr("Someone in your organisation already has this e-mail address.");
        }
        if (error == QStringLiteral("cannot_change_own_role")) {
            return tr("You cannot change your own role. Ask another admin.");
        }
        if (error == QStringLiteral("cannot_reset_yourself")) {
            return tr("You cannot reset your own password here. Ask another admin.");
        }
        return tr("The server refused the request.");
    default:
        return describe(status);
    }
}

void UsersModel::invite(const QString& email, const QString& name, const QString& role,
                        const QStringList& storeIds, const QString& homeStoreId,
                        const QStringList& skills)
{
    if (email.trimmed().isEmpty() || name.trimmed().isEmpty() || role.isEmpty()) {
        Q_EMIT actionFailed(tr("An e-mail address, a name and a role are needed."));
        return;
    }
    QJsonObject body{{QStringLiteral("email"), email.trimmed()},
                     {QStringLiteral("displayName"), name.trimmed()},
                     {QStringLiteral("role"), role},
                     {QStringLiteral("storeIds"), QJsonArray::fromStringList(storeIds)},
                     {QStringLiteral("skills"), QJsonArray::fromStringList(skills)}};
    if (!homeStoreId.isEmpty()) {
        body.insert(QStringLiteral("homeStoreId"), homeStoreId);
    }
    act(session() ? session()->apiPost(QStringLiteral("/v1/admin/users"), body) : nullptr,
        [this](int status, const QJsonObject& answer) {
            const QJsonObject user = answer.value(QStringLiteral("user")).toObject();
            const QString code = answer.value(QStringLiteral("setupCode")).toString();
            if (status != 201 || code.isEmpty()) {
                Q_EMIT actionFailed(failure(status, answer));
                return;
            }
            Q_EMIT invited(user.value(QStringLiteral("id")).toString(),
                           user.value(QStringLiteral("name")).toString(), code,
                           answer.value(QStringLiteral("setupExpiresAt")).toString());
            reload();
        });
}

void UsersModel::update(const QString& userId, const QVariantMap& changes)
{
    // Only what the server takes; a QML object may carry more.
    static const QStringList kFields{QStringLiteral("displayName"), QStringLiteral("role"),
                                     QStringLiteral("storeIds"), QStringLiteral("homeStoreId"),
                                     QStringLiteral("skills")};
    QJsonObject body;
    for (const auto& field : kFields) {
        if (changes.contains(field)) {
            body.insert(field, QJsonValue::fromVariant(changes.value(field)));
        }
    }
    if (body.isEmpty()) {
        Q_EMIT actionFailed(tr("Nothing to change."));
        return;
    }
    act(session() ? session()->apiPut(QStringLiteral("/v1/admin/users/%1").arg(userId), body)
                  : nullptr,
        [this, userId](int status, const QJsonObject& answer) {
            if (status != 200) {
                Q_EMIT actionFailed(failure(status, answer));
                return;
            }
            Q_EMIT updated(userId);
            reload();
        });
}

void UsersModel::enable(const QString& userId)
{
    act(session() ? session()->apiPost(QStringLiteral("/v1/admin/users/%1/enable").arg(userId), {})
                  : nullptr,
        [this, userId](int status, const QJsonObject& answer) {
            if (status != 200) {
                Q_EMIT actionFailed(failure(status, answer));
                return;
            }
            const int row = rowOf(userId);
            if (row >= 0 && !m_rows[row].active) {
                m_rows[row].active = true;
                const QModelIndex changed = index(row);
                Q_EMIT dataChanged(changed, changed, {ActiveRole});
            }
            Q_EMIT enabled(userId);
        });
}

void UsersModel::resetPassword(const QString& userId)
{
    act(session() ? session()->apiPost(
                        QStringLiteral("/v1/admin/users/%1/reset-password").arg(userId), {})
                  : nullptr,
        [this, userId](int status, const QJsonObject& answer) {
            const QString code = answer.value(QStringLiteral("setupCode")).toString();
            if (status != 200 || code.isEmpty()) {
                Q_EMIT actionFailed(failure(status, answer));
                return;
            }
            Q_EMIT passwordReset(userId, nameOf(userId), code,
                                 answer.value(QStringLiteral("setupExpiresAt")).toString());
            reload();
        });
}

} // namespace cc::app
