#pragma once

#include "app/admin/serverlistmodel.h"

#include <QJsonObject>
#include <QStringList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <optional>

class QNetworkReply;

namespace cc::app {

// The people an admin or manager may see (GET /v1/admin/users: an admin the organisation, a
// manager their stores' staff), and what an admin does to their accounts: invite someone,
// change their role, stores or name, disable and enable them, reset their password. Every
// action is asynchronous and ends in a signal: the one-time setup code of an invite or a reset
// (shown once: the server keeps only its hash), or a message to show. QML creates it and sets
// `session`.
class UsersModel : public ServerListModel {
    Q_OBJECT
    QML_ELEMENT

    // An action is on its way to the server.
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        NameRole,
        EmailRole,
        UserRoleRole, // staff, manager, executive, admin
        ActiveRole,
        StoresRole, // store codes, "NE-01, NE-02"
        IsMeRole,
        StoreIdsRole,    // the stores' ids, for an edit form
        HomeStoreIdRole, // empty: none
        SkillsRole,
        PasswordSetRole,  // false: invited or reset, no password chosen yet
        SetupPendingRole, // a setup code is open and unexpired
    };
    Q_ENUM(Role)

    struct Row {
        QString id;
        QString name;
        QString email;
        QString role;
        bool active = true;
        QStringList stores;
        QStringList storeIds;
        QString homeStoreId;
        QStringList skills;
        bool passwordSet = true;
        bool setupPending = false;
    };

    using ServerListModel::ServerListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool busy() const { return m_busy > 0; }

    void reload() override;
    Q_INVOKABLE void disable(int row);
    // POST /v1/admin/users; ends in invited() or actionFailed().
    Q_INVOKABLE void invite(const QString& email, const QString& name, const QString& role,
                            const QStringList& storeIds, const QString& homeStoreId = {},
                            const QStringList& skills = {});
    // PUT /v1/admin/users/{id} with any of displayName, role, storeIds, homeStoreId, skills;
    // ends in updated() or actionFailed().
    Q_INVOKABLE void update(const QString& userId, const QVariantMap& changes);
    // Ends in enabled() or actionFailed().
    Q_INVOKABLE void enable(const QString& userId);
    // Ends the person's sign-ins and clears their password; ends in passwordReset() or
    // actionFailed().
    Q_INVOKABLE void resetPassword(const QString& userId);

    // The row of a user, or -1.
    Q_INVOKABLE int rowOf(const QString& userId) const;

    // The server's answer, validated; nothing for a body that is not one. Sorted by name.
    static std::optional<QList<Row>> parse(const QByteArray& body);

Q_SIGNALS:
    void busyChanged();
    void invited(const QString& userId, const QString& name, const QString& setupCode,
                 const QString& expiresAt);
    void passwordReset(const QString& userId, const QString& name, const QString& setupCode,
                       const QString& expiresAt);
    void updated(const QString& userId);
    void enabled(const QString& userId);
    void actionFailed(const QString& message);

private:
    // Sends the request, counts it as busy, and hands the status and JSON answer to `done`.
    void act(QNetworkReply* reply, std::function<void(int, const QJsonObject&)> done);
    QString nameOf(const QString& userId) const;
    static QString failure(int status, const QJsonObject& body);

    QList<Row> m_rows;
    int m_busy = 0;
};

} // namespace cc::app
