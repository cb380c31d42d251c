#include "app/auth/session.h"

#include "app/net/serverconnection.h"

#include <QJSEngine>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QPointer>
#include <QQmlEngine>
#include <QSslConfiguration>

namespace cc::app {
namespace {

constexpr qint64 kMaxResponseBytes = 64 * 1024;
constexpr int kRequestTimeoutMs = 15000;
constexpr qint64 kRefreshMarginSeconds = 60; // refresh this long before the token expires

QPointer<Session> g_singleton; // NOLINT: the QML singleton instance, owned by main()

// The body of a finished reply as a JSON object, bounded in size; empty when it is not one.
QJsonObject jsonBody(QNetworkReply* reply)
{
    const QByteArray data = reply->read(kMaxResponseBytes);
    return QJsonDocument::fromJson(data).object();
}

} // namespace

Session::Session(ServerConnection* connection, QObject* parent)
    : QObject(parent)
    , m_connection(connection)
{
    m_refreshTimer.setSingleShot(true);
    connect(&m_refreshTimer, &QTimer::timeout, this, &Session::refreshNow);
    if (m_connection != nullptr) {
        connect(m_connection, &ServerConnection::tokenRejected, this,
                &Session::onConnectionRefusedToken);
        connect(m_connection, &ServerConnection::welcomed, this, [this] { m_rejections = 0; });
    }
}

Session* Session::create(QQmlEngine* qmlEngine, QJSEngine* jsEngine)
{
    if (!g_singleton) {
        // No instance from main() (a QML test, a tool): one owned by the engine, working with
        // the engine's ServerConnection singleton.
        const int connectionType = qmlTypeId("CallCommander.Core", 1, 0, "ServerConnection");
        auto* connection = qmlEngine->singletonInstance<ServerConnection*>(connectionType);
        auto* instance = new Session(connection, jsEngine);
        QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
        return instance;
    }
    QJSEngine::setObjectOwnership(g_singleton, QJSEngine::CppOwnership);
    return g_singleton;
}

void Session::setSingleton(Session* instance)
{
    g_singleton = instance;
}

void Session::setOrganisation(const QString& organisation)
{
    if (organisation != m_organisation) {
        m_organisation = organisation;
        Q_EMIT organisationChanged();
    }
}

void Session::setEmail(const QString& email)
{
    if (email != m_email) {
        m_email = email;
        Q_EMIT emailChanged();
    }
}

void Session::setExtraCaCertificates(const QList<QSslCertificate>& certificates)
{
    m_extraCas = certificates;
}

QUrl Session::endpoint(const QString& path) const
{
    // The HTTPS endpoints live on the same host and port as the WebSocket.
    QUrl url = m_connection != nullptr ? m_connection->url() : QUrl();
    url.setScheme(QStringLiteral("https"));
    // A query in `path` ("/v1/analytics?from=...") is the URL's query, already encoded: set as
    // part of the path its '?' would be escaped and the server would not know the endpoint.
    const qsizetype mark = path.indexOf(QLatin1Char('?'));
    url.setPath(mark < 0 ? path : path.left(mark));
    url.setQuery(mark < 0 ? QString() : path.mid(mark + 1), QUrl::StrictMode);
    return url;
}

QNetworkRequest Session::request(const QString& path) const
{
    QNetworkRequest request(endpoint(path));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(kRequestTimeoutMs);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.addCaCertificates(m_extraCas);
    request.setSslConfiguration(tls);
    return request;
}

QNetworkReply* Session::post(const QString& path, const QJsonObject& body)
{
    return m_network.post(request(path), QJsonDocument(body).toJson(QJsonDocument::Compact));
}

QNetworkReply* Session::apiGet(const QString& path)
{
    if (m_state != State::SignedIn || m_accessToken.isEmpty()) {
        return nullptr;
    }
    QNetworkRequest r = request(path);
    r.setRawHeader("Authorization", "Bearer " + m_accessToken.toLatin1());
    return m_network.get(r);
}

QNetworkReply* Session::apiPost(const QString& path, const QJsonObject& body)
{
    if (m_state != State::SignedIn || m_accessToken.isEmpty()) {
        return nullptr;
    }
    QNetworkRequest r = request(path);
    r.setRawHeader("Authorization", "Bearer " + m_accessToken.toLatin1());
    return m_network.post(r, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

QNetworkReply* Session::apiPut(const QString& path, const QJsonObject& body)
{
    if (m_state != State::SignedIn || m_accessToken.isEmpty()) {
        return nullptr;
    }
    QNetworkRequest r = request(path);
    r.setRawHeader("Authorization", "Bearer " + m_accessToken.toLatin1());
    return m_network.put(r, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

QNetworkReply* Session::apiDelete(const QString& path)
{
    if (m_state != State::SignedIn || m_accessToken.isEmpty()) {
        return nullptr;
    }
    QNetworkRequest r = request(path);
    r.setRawHeader("Authorization", "Bearer " + m_accessToken.toLatin1());
    return m_network.deleteResource(r);
}

void Session::signIn(const QString& password)
{
    if (m_state == State::SigningIn) {
        return;
    }
    if (m_connection == nullptr || !m_connection->url().isValid() ||
        m_connection->url().scheme() != QLatin1String("wss")) {
        setError(tr("The server address must look like wss://host:port/ws"));
        return;
    }
    if (m_organisation.trimmed().isEmpty() || m_email.trimmed().isEmpty() || password.isEmpty()) {
        setError(tr("Enter your company code, e-mail and password"));
        return;
    }
    setError({});
    setState(State::SigningIn);
    const quint64 generation = ++m_generation;
    QNetworkReply* reply = post(QStringLiteral("/v1/auth/login"),
                                {{QStringLiteral("organisation"), m_organisation.trimmed()},
                                 {QStringLiteral("email"), m_email.trimmed()},
                                 {QStringLiteral("password"), password},
                                 {QStringLiteral("deviceId"), m_connection->deviceId()}});
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        if (generation == m_generation) { // not overtaken by a sign-out or another sign-in
            onSignInFinished(reply);
        }
    });
}

void Session::onSignInFinished(QNetworkReply* reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject body = jsonBody(reply);
    if (status == 200 && takeTokens(body)) {
        setState(State::SignedIn);
        Q_EMIT signedIn();
        m_connection->connectToServer();
        return;
    }
    setState(State::SignedOut);
    if (status == 401) {
        setError(tr("The company code, e-mail or password is not right"));
    } else if (status == 429) {
        const QByteArray retry = reply->rawHeader("Retry-After");
        setError(tr("Too many attempts: try again in %1 s").arg(QString::fromLatin1(retry)));
    } else if (status == 0) {
        setError(tr("Cannot reach the server: %1").arg(reply->errorString()));
    } else {
        setError(tr("The server could not sign you in (%1)").arg(status));
    }
}

bool Session::takeTokens(const QJsonObject& body)
{
    const QString access = body.value(QStringLiteral("accessToken")).toString();
    const QString refresh = body.value(QStringLiteral("refreshToken")).toString();
    const qint64 expiresAt = body.value(QStringLiteral("accessExpiresAt")).toInteger();
    if (access.isEmpty() || refresh.isEmpty() || expiresAt <= 0) {
        return false;
    }
    m_refreshToken = refresh;
    m_accessToken = access;
    const QJsonObject user = body.value(QStringLiteral("user")).toObject();
    m_userId = user.value(QStringLiteral("id")).toString();
    m_userName = user.value(QStringLiteral("name")).toString();
    m_role = user.value(QStringLiteral("role")).toString();
    m_organisationName = body.value(QStringLiteral("organisation"))
                             .toObject()
                             .value(QStringLiteral("name"))
                             .toString();
    m_storeNames.clear();
    const QJsonArray stores = body.value(QStringLiteral("stores")).toArray();
    for (const auto& s : stores) {
        m_storeNames << s.toObject().value(QStringLiteral("name")).toString();
    }
    m_connection->setAccessToken(access);
    // Refresh a minute before expiry, measured on our clock from the lifetime the server gave.
    const qint64 lifetime = expiresAt - QDateTime::currentSecsSinceEpoch();
    m_refreshTimer.start(
        std::chrono::seconds(std::max<qint64>(10, lifetime - kRefreshMarginSeconds)));
    return true;
}

void Session::refreshNow()
{
    if (m_refreshing || m_refreshToken.isEmpty()) {
        return;
    }
    m_refreshing = true;
    const quint64 generation = m_generation;
    QNetworkReply* reply = post(QStringLiteral("/v1/auth/refresh"),
                                {{QStringLiteral("refreshToken"), m_refreshToken}});
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        // A reply for a sign-in that has since ended must not bring its tokens back.
        if (generation == m_generation && m_state == State::SignedIn) {
            onRefreshFinished(reply);
        }
    });
}

void Session::onRefreshFinished(QNetworkReply* reply)
{
    m_refreshing = false;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200 && takeTokens(jsonBody(reply))) {
        Q_EMIT stateChanged(); // the stores or role may have changed
        if (m_connection->state() == ServerConnection::State::Offline) {
            m_connection->connectToServer();
        }
        return;
    }
    if (status == 401) {
        clear();
        setError(tr("Your sign-in has ended. Sign in again."));
        return;
    }
    // The server is unreachable or busy: keep the sign-in and try again shortly.
    m_refreshTimer.start(std::chrono::seconds(15));
}

void Session::onConnectionRefusedToken()
{
    // The server turned the access token down (expired while offline, or revoked): one refresh
    // tells which. A revoked sign-in fails the refresh too and ends up signed out. A server that
    // keeps refusing fresh tokens (clock far off, keys misconfigured) gets three tries, not a loop.
    if (m_state != State::SignedIn) {
        return;
    }
    if (++m_rejections > 3) {
        clear();
        setError(tr("The server keeps refusing this sign-in. Check the device's clock, then sign "
                    "in again."));
        return;
    }
    refreshNow();
}

void Session::signOut()
{
    if (!m_refreshToken.isEmpty()) {
        // Best effort: the server revokes the session; we forget the tokens either way.
        QNetworkReply* reply = post(QStringLiteral("/v1/auth/logout"),
                                    {{QStringLiteral("refreshToken"), m_refreshToken}});
        connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
    }
    clear();
    setError({});
}

void Session::clear()
{
    ++m_generation; // replies still on their way belong to the sign-in that ends here
    m_refreshing = false;
    m_rejections = 0;
    m_refreshTimer.stop();
    m_refreshToken.clear();
    m_accessToken.clear();
    m_userId.clear();
    m_userName.clear();
    m_role.clear();
    m_organisationName.clear();
    m_storeNames.clear();
    if (m_connection != nullptr) {
        m_connection->disconnectFromServer();
        m_connection->setAccessToken({});
    }
    setState(State::SignedOut);
}

void Session::setState(State state)
{
    if (state != m_state) {
        m_state = state;
        Q_EMIT stateChanged();
    }
}

void Session::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

} // namespace cc::app
