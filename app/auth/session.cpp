#include "app/auth/session.h"

#include "app/auth/devicevault.h"
#include "app/net/serverconnection.h"

#include <QJSEngine>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QPointer>
#include <QQmlEngine>
#include <QSslConfiguration>
#include <QThreadPool>

#include <algorithm>

namespace cc::app {
namespace {

constexpr qint64 kMaxResponseBytes = 64 * 1024;
constexpr int kRequestTimeoutMs = 15000;
constexpr qint64 kRefreshMarginSeconds = 60; // refresh this long before the token expires
constexpr int kCacheKeyBytes = 32;
// Signed in offline: how soon, and at most how often, the password is checked with the server.
constexpr int kFirstRevalidateSeconds = 5;
constexpr int kMaxRevalidateSeconds = 60;
// Wrong passwords against the vault: after this many in a row, a pause that doubles each time.
constexpr int kOfflineFailuresBeforePause = 5;
constexpr qint64 kFirstOfflinePauseMs = 30 * 1000;
constexpr qint64 kMaxOfflinePauseMs = 15 * 60 * 1000;

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
    m_revalidateTimer.setSingleShot(true);
    connect(&m_revalidateTimer, &QTimer::timeout, this, &Session::revalidate);
    // Vault files are read, written and removed one at a time, in the order asked, off the GUI
    // thread: a removal can never be overtaken by a save started before it.
    m_vaultWork.setMaxThreadCount(1);
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

QNetworkReply* Session::postLogin(const QString& password)
{
    return post(QStringLiteral("/v1/auth/login"),
                {{QStringLiteral("organisation"), m_organisation.trimmed()},
                 {QStringLiteral("email"), m_email.trimmed()},
                 {QStringLiteral("password"), password},
                 {QStringLiteral("deviceId"), m_connection->deviceId()}});
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
    m_password = password;
    m_revalidating = false;
    const quint64 generation = ++m_generation;
    QNetworkReply* reply = postLogin(password);
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
        fetchCacheKey();
        return;
    }
    // The server cannot be reached (no answer, or a load balancer with no server behind it):
    // this device's vault may let them in.
    const bool unreachable = status == 0 || status == 502 || status == 503 || status == 504;
    if (unreachable && !m_vaultFolder.isEmpty()) {
        signInOffline();
        return;
    }
    forgetPassword();
    setState(State::SignedOut);
    if (status == 401) {
        // Whatever this device remembered for this account no longer holds offline either.
        forgetVault();
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

void Session::fetchCacheKey()
{
    QNetworkRequest r = request(QStringLiteral("/v1/me/cache-key"));
    r.setRawHeader("Authorization", "Bearer " + m_accessToken.toLatin1());
    QNetworkReply* reply = m_network.get(r);
    const quint64 generation = m_generation;
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        if (generation == m_generation) {
            onCacheKeyFinished(reply);
        }
    });
}

void Session::onCacheKeyFinished(QNetworkReply* reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject body = jsonBody(reply);
    const auto decoded = QByteArray::fromBase64Encoding(
        body.value(QStringLiteral("cacheKey")).toString().toLatin1(),
        QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    const bool ok = status == 200 && decoded && decoded.decoded.size() == kCacheKeyBytes;
    if (m_revalidating) {
        if (!ok && status != 401) {
            // Checked, but the key did not come: ask for it again shortly, still offline.
            m_revalidateTimer.start(std::chrono::seconds(kFirstRevalidateSeconds));
            return;
        }
        if (!ok || decoded.decoded != m_cacheKey) {
            // The server no longer knows this device's cache under that key: what is open was
            // sealed with another one. Start again online.
            forgetVault();
            clear();
            setError(tr("This device's offline data was reset by the server. Sign in again."));
            return;
        }
        m_revalidating = false;
        m_offline = false;
        m_revalidateTimer.stop();
        rememberForOffline();
        Q_EMIT stateChanged();
        m_connection->connectToServer();
        return;
    }
    if (!ok) {
        // Without the key the offline cache cannot be opened: this sign-in is of no use.
        if (!m_refreshToken.isEmpty()) {
            QNetworkReply* logout = post(QStringLiteral("/v1/auth/logout"),
                                         {{QStringLiteral("refreshToken"), m_refreshToken}});
            connect(logout, &QNetworkReply::finished, logout, &QObject::deleteLater);
        }
        clear();
        setError(status == 0 ? tr("Cannot reach the server: %1").arg(reply->errorString())
                             : tr("The server did not give this device's cache key (%1). Try "
                                  "again.")
                                   .arg(status));
        return;
    }
    m_cacheKey = decoded.decoded;
    rememberForOffline();
    finishSignIn();
}

void Session::finishSignIn()
{
    m_offline = false;
    setState(State::SignedIn);
    Q_EMIT signedIn();
    m_connection->connectToServer();
}

void Session::rememberForOffline()
{
    if (m_vaultFolder.isEmpty() || m_password.isEmpty()) {
        forgetPassword();
        return;
    }
    VaultContents contents;
    contents.userId = m_userId;
    contents.userName = m_userName;
    contents.role = m_role;
    contents.organisationName = m_organisationName;
    contents.storeNames = m_storeNames;
    contents.cacheKey = m_cacheKey;
    contents.verifiedAtMs = QDateTime::currentMSecsSinceEpoch();
    // Sealing derives a key from the password on purpose slowly: off the GUI thread. The worker
    // has its own copy of the password; this one goes now.
    m_vaultWork.start([vault = DeviceVault(m_vaultFolder, m_organisation, m_email),
                       password = m_password, contents = std::move(contents)]() mutable {
        if (!vault.save(password, contents)) {
            qWarning("callcommander: the offline sign-in could not be saved");
        }
        password.fill(QChar(0));
        contents.cacheKey.fill('\0');
    });
    forgetPassword();
}

void Session::signInOffline()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now < m_offlineLockedUntil) {
        forgetPassword();
        setState(State::SignedOut);
        setError(tr("Cannot reach the server, and the password was wrong too often: try again in "
                    "%1 s")
                     .arg((m_offlineLockedUntil - now + 999) / 1000));
        return;
    }
    const quint64 generation = m_generation;
    QPointer<Session> self(this);
    m_vaultWork.start([self, generation,
                       vault = DeviceVault(m_vaultFolder, m_organisation, m_email),
                       password = m_password, now]() mutable {
        auto opened = vault.open(password, now);
        password.fill(QChar(0));
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, opened = std::move(opened)]() mutable {
                if (!self || generation != self->m_generation ||
                    self->m_state != State::SigningIn) {
                    return;
                }
                Session& s = *self;
                if (const auto* error = std::get_if<VaultError>(&opened)) {
                    s.forgetPassword();
                    s.setState(State::SignedOut);
                    switch (*error) {
                    case VaultError::WrongPassword:
                        if (++s.m_offlineFailures >= kOfflineFailuresBeforePause) {
                            const int doublings =
                                std::min(s.m_offlineFailures - kOfflineFailuresBeforePause, 10);
                            s.m_offlineLockedUntil =
                                QDateTime::currentMSecsSinceEpoch() +
                                std::min(kFirstOfflinePauseMs << doublings, kMaxOfflinePauseMs);
                        }
                        s.setError(tr("Cannot reach the server, and the password is not the "
                                      "one last used on this device"));
                        break;
                    case VaultError::NotFound:
                        s.setError(tr("Cannot reach the server, and this account has not "
                                      "signed in on this device before"));
                        break;
                    case VaultError::Expired:
                        s.setError(tr("Cannot reach the server, and this account has not "
                                      "signed in online on this device for 14 days. Sign in "
                                      "when the server is back."));
                        break;
                    case VaultError::Unreadable:
                        s.setError(tr("Cannot reach the server, and this device's offline "
                                      "sign-in is damaged"));
                        break;
                    }
                    return;
                }
                auto& c = std::get<VaultContents>(opened);
                s.m_offlineFailures = 0;
                s.m_userId = c.userId;
                s.m_userName = c.userName;
                s.m_role = c.role;
                s.m_organisationName = c.organisationName;
                s.m_storeNames = c.storeNames;
                s.m_cacheKey = c.cacheKey;
                c.cacheKey.fill('\0');
                s.m_offline = true;
                s.m_revalidateDelaySeconds = kFirstRevalidateSeconds;
                s.m_revalidateTimer.start(std::chrono::seconds(s.m_revalidateDelaySeconds));
                s.setState(State::SignedIn);
                Q_EMIT s.signedIn();
            },
            Qt::QueuedConnection);
    });
}

void Session::revalidate()
{
    if (!m_offline || m_state != State::SignedIn) {
        return;
    }
    m_revalidating = true;
    if (!m_accessToken.isEmpty()) {
        fetchCacheKey(); // the password was accepted; only the key is still to come
        return;
    }
    const quint64 generation = m_generation;
    QNetworkReply* reply = postLogin(m_password);
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        if (generation == m_generation && m_offline) {
            onRevalidated(reply);
        }
    });
}

void Session::onRevalidated(QNetworkReply* reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200 && takeTokens(jsonBody(reply))) {
        fetchCacheKey();
        return;
    }
    if (status == 401) {
        // The password changed, the account was disabled or removed: nothing done offline is
        // lost (it waits in the cache for the next sign-in), but this sign-in ends.
        forgetVault();
        clear();
        setError(tr("The server did not accept your sign-in any more. Sign in again."));
        return;
    }
    // Still unreachable, busy or rate-limited: try again later, less often.
    m_revalidateDelaySeconds = std::min(m_revalidateDelaySeconds * 2, kMaxRevalidateSeconds);
    if (status == 429) {
        m_revalidateDelaySeconds = std::max(
            m_revalidateDelaySeconds, QString::fromLatin1(reply->rawHeader("Retry-After")).toInt());
    }
    m_revalidateTimer.start(std::chrono::seconds(m_revalidateDelaySeconds));
}

void Session::forgetVault()
{
    if (m_vaultFolder.isEmpty()) {
        return;
    }
    m_vaultWork.start(
        [vault = DeviceVault(m_vaultFolder, m_organisation, m_email)] { vault.forget(); });
}

void Session::forgetPassword()
{
    m_password.fill(QChar(0));
    m_password.clear();
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
    m_revalidateTimer.stop();
    m_revalidating = false;
    m_offline = false;
    forgetPassword();
    m_cacheKey.fill('\0');
    m_cacheKey.clear();
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
