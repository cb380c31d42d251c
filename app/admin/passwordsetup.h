#pragma once

#include "app/net/serverconnection.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QtQml/qqmlregistration.h>

class QNetworkReply;

namespace cc::app {

// The end of an invite or a password reset, before anyone is signed in: the person types their
// company code, e-mail, the one-time setup code an admin gave them and the password they choose
// (POST /v1/auth/setup-password on the server `connection` points at, TLS as Session speaks it).
// Asynchronous; ends in `done` or an `error` to show. The password is never kept here. QML:
// `PasswordSetup { connection: ServerConnection }`.
class PasswordSetup : public QObject {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::ServerConnection* connection READ connection WRITE setConnection NOTIFY
                   connectionChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(bool done READ done NOTIFY doneChanged)

public:
    explicit PasswordSetup(QObject* parent = nullptr);

    ServerConnection* connection() const { return m_connection; }
    void setConnection(ServerConnection* connection);
    bool busy() const { return m_busy; }
    QString error() const { return m_error; }
    bool done() const { return m_done; }

    Q_INVOKABLE void submit(const QString& organisation, const QString& email, const QString& code,
                            const QString& password, const QString& repeat);

    // What the app can say before asking the server (a missing field, passwords that differ,
    // one too short, the e-mail as password); empty when nothing.
    static QString localProblem(const QString& organisation, const QString& email,
                                const QString& code, const QString& password,
                                const QString& repeat);

Q_SIGNALS:
    void connectionChanged();
    void busyChanged();
    void errorChanged();
    void doneChanged();
    void succeeded();

private:
    void onFinished(QNetworkReply* reply);
    void setBusy(bool busy);
    void setError(const QString& error);

    QPointer<ServerConnection> m_connection;
    QNetworkAccessManager m_network;
    bool m_busy = false;
    bool m_done = false;
    QString m_error;
};

} // namespace cc::app
