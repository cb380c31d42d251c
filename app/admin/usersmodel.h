#pragma once

#include "app/auth/session.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QStringList>
#include <QtQml/qqmlregistration.h>

#include <optional>

namespace cc::app {

// The people an admin or manager may see (GET /v1/admin/users: an admin the organisation, a
// manager their stores' staff), with an action to disable someone. Filled asynchronously from
// the server; `loading` and `error` say how that went. QML creates it and sets `session`.
class UsersModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::Session* session READ session WRITE setSession NOTIFY sessionChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)

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

    explicit UsersModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    Session* session() const { return m_session; }
    void setSession(Session* session);
    bool loading() const { return m_loading; }
    QString error() const { return m_error; }

    Q_INVOKABLE void reload();
    Q_INVOKABLE void disable(int row);

    // The server's answer, validated; nothing for a body that is not one. Sorted by name.
    static std::optional<QList<Row>> parse(const QByteArray& body);

Q_SIGNALS:
    void sessionChanged();
    void loadingChanged();
    void errorChanged();

private:
    void setLoading(bool loading);
    void setError(const QString& error);
    static QString describe(int status);

    QPointer<Session> m_session;
    QList<Row> m_rows;
    bool m_loading = false;
    QString m_error;
    quint64 m_request = 0; // only the newest reload's answer is applied
};

} // namespace cc::app
