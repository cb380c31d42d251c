#include "app/admin/passwordsetup.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>

namespace cc::app {
namespace {
constexpr qint64 kMaxAnswer = 16 * 1024;
constexpr int kRequestTimeoutMs = 15000;
constexpr qsizetype kMinPassword = 10;  // the server's policy (server/auth/password.h)
constexpr qsizetype kMaxPassword = 256; // bytes
} // namespace

PasswordSetup::PasswordSetup(QObject* parent)
    : QObject(parent)
{}

void PasswordSetup::setConnection(ServerConnection* connection)
{
    if (connection != m_connection) {
        m_connection = connection;
        Q_EMIT connectionChanged();
    }
}

QString PasswordSetup::localProblem(const QString& organisation, const QString& email,
                                    const QString& code, const QString& password,
                                    const QString& repeat)
{
    if (organisation.trimmed().isEmpty() || email.trimmed().isEmpty() || code.trimmed().isEmpty()) {
        return tr("Enter your company code, e-mail and the setup code from your admin.");
    }
    if (password.size() < kMinPassword) {
        return tr("Choose a password of at least %1 characters.").arg(kMinPassword);
    }
    if (password.toUtf8().size() > kMaxPassword) {
        return tr("That password is too long.");
    }
    if (password != repeat) {
        return tr("The two passwords are not the same.");
    }
    if (password.compare(email.trimmed(), Qt::CaseInsensitive) == 0) {
        return tr("Your password cannot be your e-mail address.");
    }
    return {};
}

void PasswordSetup::submit(const QString& organisation, const QString& email, const QString& code,
                           const QString& password, const QString& repeat)
{
    if (m_busy) {
        return;
    }
    if (const QString problem = localProblem(organisation, email, code, password, repeat);
        !problem.isEmpty()) {
        setError(problem);
        return;
    }
    if (m_connection == nullptr || !m_connection->url().isValid() ||
        m_connection->url().scheme() != QLatin1String("wss")) {
        setError(tr("The server address must look like wss://host:port/ws"));
        return;
    }
    // The HTTPS endpoints live on the same host and port as the WebSocket.
    QUrl url = m_connection->url();
    url.setScheme(QStringLiteral("https"));
    url.setPath(QStringLiteral("/v1/auth/setup-password"));
    url.setQuery(QString());
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(kRequestTimeoutMs);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.addCaCertificates(m_connection->extraCaCertificates());
    request.setSslConfiguration(tls);
    const QJsonObject body{{QStringLiteral("organisation"), organisation.trimmed()},
                           {QStringLiteral("email"), email.trimmed()},
                           {QStringLiteral("code"), code.trimmed()},
                           {QStringLiteral("password"), password}};
    setError({});
    setBusy(true);
    QNetworkReply* reply =
        m_network.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        onFinished(reply);
    });
}

void PasswordSetup::onFinished(QNetworkReply* reply)
{
    setBusy(false);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject body = QJsonDocument::fromJson(reply->read(kMaxAnswer)).object();
    switch (status) {
    case 200:
        if (!m_done) {
            m_done = true;
            Q_EMIT doneChanged();
        }
        Q_EMIT succeeded();
        return;
    case 400: {
        const QString message = body.value(QStringLiteral("message")).toString();
        setError(message.isEmpty() ? tr("The server refused these details.")
                                   : tr("Not accepted: %1").arg(message));
        return;
    }
    case 401:
        setError(tr("That setup code does not work: check the company code, e-mail and code. A "
                    "code works once and for 7 days; ask your admin for a new one."));
        return;
    case 429: {
        const QByteArray retry = reply->rawHeader("Retry-After");
        setError(tr("Too many attempts. Try again in %1 seconds.")
                     .arg(retry.isEmpty() ? QByteArray("60") : retry));
        return;
    }
    case 0:
        setError(tr("Cannot reach the server: %1").arg(reply->errorString()));
        return;
    default:
        setError(tr("The server could not answer (%1). Try again in a moment.").arg(status));
        return;
    }
}

void PasswordSetup::setBusy(bool busy)
{
    if (busy != m_busy) {
        m_busy = busy;
        Q_EMIT busyChanged();
    }
}

void PasswordSetup::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

} // namespace cc::app
