#include "app/admin/serverlistmodel.h"

#include <QNetworkReply>

namespace cc::app {
namespace {
constexpr qint64 kMaxBody = 4 * 1024 * 1024;
} // namespace

void ServerListModel::setSession(Session* session)
{
    if (session == m_session) {
        return;
    }
    m_session = session;
    Q_EMIT sessionChanged();
    reload();
}

void ServerListModel::fetch(const QString& path, std::function<bool(const QByteArray&)> apply)
{
    QNetworkReply* reply = m_session ? m_session->apiGet(path) : nullptr;
    if (reply == nullptr) {
        setError(tr("Sign in first."));
        return;
    }
    const quint64 request = ++m_request;
    setLoading(true);
    connect(
        reply, &QNetworkReply::finished, this, [this, reply, request, apply = std::move(apply)] {
            reply->deleteLater();
            if (request != m_request) {
                return; // a newer fetch is on its way
            }
            setLoading(false);
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status != 200) {
                setError(describe(status));
                return;
            }
            if (!apply(reply->read(kMaxBody))) {
                setError(tr("The server sent a list this app cannot read."));
                return;
            }
            setError({});
        });
}

QString ServerListModel::describe(int status)
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

void ServerListModel::setLoading(bool loading)
{
    if (loading != m_loading) {
        m_loading = loading;
        Q_EMIT loadingChanged();
    }
}

void ServerListModel::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

} // namespace cc::app
