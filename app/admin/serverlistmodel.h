#pragma once

#include "app/auth/session.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

#include <functional>

namespace cc::app {

// A list filled from one of the server's HTTPS endpoints on behalf of the signed-in person:
// `session` to set, `loading` and `error` to show, reload() to ask again. Subclasses say where
// to fetch and how to take the answer in; the request plumbing and the words for failures live
// here once.
class ServerListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ANONYMOUS

    Q_PROPERTY(cc::app::Session* session READ session WRITE setSession NOTIFY sessionChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)

public:
    using QAbstractListModel::QAbstractListModel;

    Session* session() const { return m_session; }
    void setSession(Session* session);
    bool loading() const { return m_loading; }
    QString error() const { return m_error; }

    Q_INVOKABLE virtual void reload() = 0;

Q_SIGNALS:
    void sessionChanged();
    void loadingChanged();
    void errorChanged();

protected:
    // GETs `path`; on 200 hands the body (bounded) to `apply`, which returns false when it
    // cannot read it. Only the newest fetch's answer is applied.
    void fetch(const QString& path, std::function<bool(const QByteArray&)> apply);
    void setError(const QString& error);
    static QString describe(int status);

private:
    void setLoading(bool loading);

    QPointer<Session> m_session;
    bool m_loading = false;
    QString m_error;
    quint64 m_request = 0;
};

} // namespace cc::app
