#pragma once

#include "app/admin/serverlistmodel.h"

#include <QStringList>
#include <QtQml/qqmlregistration.h>

#include <optional>

namespace cc::app {

// The people an admin or manager may see (GET /v1/admin/users: an admin the organisation, a
// manager their stores' staff), with an action to disable someone. QML creates it and sets
// `session`.
class UsersModel : public ServerListModel {
    Q_OBJECT
    QML_ELEMENT

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        NameRole,
        EmailRole,
        UserRoleRole, // staff, manager, executive, admin
        ActiveRole,
        StoresRole, // store codes, "NE-01, NE-02"
        IsMeRole,
    };
    Q_ENUM(Role)

    struct Row {
        QString id;
        QString name;
        QString email;
        QString role;
        bool active = true;
        QStringList stores;
    };

    using ServerListModel::ServerListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void reload() override;
    Q_INVOKABLE void disable(int row);

    // The server's answer, validated; nothing for a body that is not one. Sorted by name.
    static std::optional<QList<Row>> parse(const QByteArray& body);

private:
    QList<Row> m_rows;
};

} // namespace cc::app
