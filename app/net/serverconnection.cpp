#include "app/net/serverconnection.h"

#include "callcommander/version.h"
#include "shared/protocol/envelope.h"

#include <QJSEngine>
#include <QNetworkRequest>
#include <QPointer>
#include <QQmlEngine>
#include <QRandomGenerator>
#include <QSslConfiguration>

namespace cc::app {
namespace {

constexpr auto kHelloTimeout = std::chrono::seconds(10);
constexpr auto kKeepAliveInterval = std::chrono::seconds(15);
constexpr qint64 kMaxIncomingMessage = 16 * 1024 * 1024;
// The id of analytics_subscribe requests: the server's errors answering them carry it.
constexpr std::string_view kAnalyticsRequestId = "analytics";

QPointer<ServerConnection> g_singleton; // NOLINT: the QML singleton instance, owned by main()

QString describeClose(QWebSocketProtocol::CloseCode code, const QString& reason)
{
    const QString text = reason.isEmpty() ? QString() : QStringLiteral(": ") + reason;
    switch (static_cast<int>(code)) {
    case protocol::kCloseGoingAway:
        return QObject::tr("The server is restarting") + text;
    case protocol::kCloseTooBig:
        return QObject::tr("The server refused a message that was too large") + text;
    case protocol::kCloseTryAgainLater:
        return QObject::tr("The server is busy") + text;
    default:
        return QObject::tr("The server closed the connection (%1)%2")
            .arg(static_cast<int>(code))
            .arg(text);
    }
}

} // namespace

ServerConnection::ServerConnection(QObject* parent)
    : QObject(parent)
    , m_policy([] { return QRandomGenerator::global()->generateDouble(); })
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &ServerConnection::open);
    m_countdown.setInterval(std::chrono::seconds(1));
    connect(&m_countdown, &QTimer::timeout, this, &ServerConnection::retryInSecondsChanged);
    m_helloTimeout.setSingleShot(true);
    m_helloTimeout.setInterval(kHelloTimeout);
    connect(&m_helloTimeout, &QTimer::timeout, this,
            [this] { dropConnection(tr("The server did not answer in time")); });
    m_keepAlive.setInterval(kKeepAliveInterval);
    connect(&m_keepAlive, &QTimer::timeout, this, [this] {
        if (!m_socket) {
            return;
        }
        if (m_awaitingPong) {
            // No answer to the last ping: the link is gone even if TCP has not noticed yet.
            dropConnection(tr("The connection stopped responding"));
            return;
        }
        m_awaitingPong = true;
        m_socket->ping();
    });
}

ServerConnection::~ServerConnection()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

ServerConnection* ServerConnection::create(QQmlEngine* /*qmlEngine*/, QJSEngine* jsEngine)
{
    if (!g_singleton) {
        // No instance from main() (a QML test, a tool): one owned by the engine.
        auto* instance = new ServerConnection(jsEngine);
        QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
        return instance;
    }
    QJSEngine::setObjectOwnership(g_singleton, QJSEngine::CppOwnership);
    return g_singleton;
}

void ServerConnection::setSingleton(ServerConnection* instance)
{
    g_singleton = instance;
}

QString ServerConnection::clientVersion()
{
    return QString::fromLatin1(kVersion);
}

void ServerConnection::setUrl(const QUrl& url)
{
    if (url == m_url) {
        return;
    }
    m_url = url;
    Q_EMIT urlChanged();
}

int ServerConnection::retryInSeconds() const
{
    if (!m_retryTimer.isActive()) {
        return 0;
    }
    return (m_retryTimer.remainingTime() + 999) / 1000;
}

void ServerConnection::setExtraCaCertificates(const QList<QSslCertificate>& certificates)
{
    m_extraCas = certificates;
}

void ServerConnection::setAccessToken(const QString& token)
{
    m_accessToken = token;
    if (m_state == State::Connected && m_socket && !token.isEmpty()) {
        const std::string text = protocol::encode(
            protocol::Envelope{m_protocolVersion, "reauth", protocol::Reauth{token.toStdString()}});
        m_socket->sendTextMessage(QString::fromStdString(text));
    }
}

void ServerConnection::connectToServer()
{
    if (m_url.scheme() != QLatin1String("wss") || m_url.host().isEmpty()) {
        disconnectFromServer(); // whatever ran before stops: no retries to an old address
        setLastError(tr("The server address must look like wss://host:port/ws"));
        return;
    }
    if (m_accessToken.isEmpty()) {
        disconnectFromServer();
        setLastError(tr("Sign in first"));
        return;
    }
    m_wanted = true;
    m_policy.reset();
    m_retryTimer.stop();
    setState(State::Connecting);
    open();
}

void ServerConnection::disconnectFromServer()
{
    m_wanted = false;
    m_retryTimer.stop();
    m_countdown.stop();
    resetSocket();
    setState(State::Offline);
    Q_EMIT retryInSecondsChanged();
}

void ServerConnection::retryNow()
{
    if (!m_wanted || m_state == State::Connected) {
        return;
    }
    m_retryTimer.stop();
    open();
}

void ServerConnection::open()
{
    m_countdown.stop();
    Q_EMIT retryInSecondsChanged();
    resetSocket();
    m_socket = std::make_unique<QWebSocket>(QString(), QWebSocketProtocol::VersionLatest);
    m_socket->setMaxAllowedIncomingMessageSize(kMaxIncomingMessage);
    QWebSocket* socket = m_socket.get();
    connect(socket, &QWebSocket::connected, this, &ServerConnection::onConnected);
    connect(socket, &QWebSocket::disconnected, this, &ServerConnection::onDisconnected);
    // Qt 6.4 overloads error() (getter and signal); 6.5 renames the signal errorOccurred.
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            &ServerConnection::onSocketError);
    connect(socket, &QWebSocket::sslErrors, this, &ServerConnection::onSslErrors);
    connect(socket, &QWebSocket::textMessageReceived, this, &ServerConnection::onTextMessage);
    connect(socket, &QWebSocket::pong, this, &ServerConnection::onPong);

    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    if (!m_extraCas.isEmpty()) {
        tls.addCaCertificates(m_extraCas);
    }
    socket->setSslConfiguration(tls);
    // Connect, TLS, upgrade and hello must all finish within this; QWebSocket has no timeout
    // of its own, and an unreachable host would otherwise hang for the OS's TCP timeout.
    m_helloTimeout.start();
    socket->open(QNetworkRequest(m_url));
}

void ServerConnection::resetSocket()
{
    m_helloTimeout.stop();
    m_keepAlive.stop();
    m_awaitingPong = false;
    m_sslErrorReported = false;
    m_dropReason.clear();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        // Deleted from the event loop: we may be inside one of its signal handlers.
        m_socket.release()->deleteLater();
    }
}

void ServerConnection::onConnected()
{
    sendHello();
    m_keepAlive.start();
}

void ServerConnection::sendHello()
{
    protocol::Hello hello;
    hello.client = "callcommander";
    hello.clientVersion = kVersion;
    hello.deviceId = m_deviceId.toStdString();
    hello.token = m_accessToken.toStdString();
    for (const auto& feature : m_features) {
        hello.features.push_back(feature.toStdString());
    }
    m_tokenInHello = m_accessToken;
    const std::string text = protocol::encode(
        protocol::Envelope{protocol::kMaxProtocolVersion, "hello", std::move(hello)});
    m_socket->sendTextMessage(QString::fromStdString(text));
}

void ServerConnection::onTextMessage(const QString& message)
{
    const QByteArray utf8 = message.toUtf8();
    auto decoded =
        protocol::decode(std::string_view(utf8.constData(), static_cast<std::size_t>(utf8.size())));
    if (!decoded) {
        setLastError(tr("The server sent something this app does not understand: %1")
                         .arg(QString::fromStdString(decoded.error().message)));
        return;
    }
    const auto& body = decoded.value().body;
    if (const auto* welcome = std::get_if<protocol::Welcome>(&body)) {
        m_helloTimeout.stop();
        m_serverVersion = QString::fromStdString(welcome->serverVersion);
        m_serverNode = QString::fromStdString(welcome->node);
        m_protocolVersion = welcome->protocol;
        m_policy.reset();
        setLastError({});
        setState(State::Connected);
        if (m_accessToken != m_tokenInHello) {
            setAccessToken(m_accessToken); // refreshed while we were greeting: hand it over now
        }
        Q_EMIT welcomed();
        Q_EMIT retryInSecondsChanged();
        return;
    }
    if (const auto* error = std::get_if<protocol::Error>(&body)) {
        const QString text = QString::fromStdString(error->message);
        if (error->code == protocol::ErrorCode::Unauthenticated) {
            giveUp(tr("The server did not accept this sign-in: %1").arg(text));
            Q_EMIT tokenRejected();
            return;
        }
        if (error->code == protocol::ErrorCode::UnsupportedVersion) {
            giveUp(tr("This app is too old or too new for the server (%1). Update the app.")
                       .arg(text));
            return;
        }
        if (decoded.value().id == kAnalyticsRequestId) {
            // Not for the sync client: a refused subscription says nothing about sync.
            Q_EMIT analyticsRefused(QString::fromLatin1(protocol::toString(error->code)), text);
            return;
        }
        if (decoded.value().id.empty() || decoded.value().id == "hello") {
            setLastError(text); // answers to sync requests are for their sender to handle
        }
    }
    if (const auto* update = std::get_if<protocol::AnalyticsUpdate>(&body)) {
        if (m_state == State::Connected) {
            Q_EMIT analyticsReceived(*update);
        }
        return;
    }
    if (m_state == State::Connected) {
        Q_EMIT messageReceived(decoded.value());
    }
}

bool ServerConnection::send(const protocol::Envelope& envelope)
{
    if (m_state != State::Connected || !m_socket) {
        return false;
    }
    m_socket->sendTextMessage(QString::fromStdString(protocol::encode(envelope)));
    return true;
}

bool ServerConnection::subscribeAnalytics(const QStringList& locations, bool stop)
{
    protocol::AnalyticsSubscribe subscribe;
    for (const QString& location : locations) {
        subscribe.locations.push_back(location.toStdString());
    }
    subscribe.stop = stop;
    return send(protocol::Envelope{m_protocolVersion, std::string(kAnalyticsRequestId),
                                   std::move(subscribe)});
}

void ServerConnection::onPong(quint64 /*elapsedMs*/)
{
    m_awaitingPong = false;
}

void ServerConnection::onSslErrors(const QList<QSslError>& errors)
{
    // Never ignored: a certificate we cannot verify means we may not be talking to our server.
    m_sslErrorReported = true;
    QStringList texts;
    for (const auto& e : errors) {
        texts << e.errorString();
    }
    setLastError(
        tr("The server's certificate is not trusted: %1").arg(texts.join(QStringLiteral("; "))));
}

void ServerConnection::onSocketError(QAbstractSocket::SocketError /*error*/)
{
    if (!m_socket) {
        return;
    }
    if (m_state != State::Connected) {
        // Any error before the welcome ends the attempt (refused, host not found, an upgrade
        // answered with an HTTP error): some of them would not end it by themselves.
        dropConnection(m_socket->errorString());
    } else if (m_socket->state() == QAbstractSocket::UnconnectedState) {
        onDisconnected();
    }
}

void ServerConnection::onDisconnected()
{
    if (!m_socket) {
        return;
    }
    const auto code = m_socket->closeCode();
    const bool wasWelcomed = m_state == State::Connected;
    // Say why, in words a person at the counter can act on; keep a certificate problem, which
    // onSslErrors already described better than the socket can.
    QString why;
    if (!m_dropReason.isEmpty()) {
        why = m_dropReason;
    } else if (code != QWebSocketProtocol::CloseCodeNormal &&
               code != QWebSocketProtocol::CloseCodeAbnormalDisconnection) {
        if (static_cast<int>(code) == protocol::kCloseUnsupportedVersion) {
            giveUp(tr("This app version is not supported by the server. Update the app."));
            return;
        }
        if (static_cast<int>(code) == protocol::kCloseUnauthenticated) {
            giveUp(tr("The server ended this sign-in: %1")
                       .arg(m_socket ? m_socket->closeReason() : QString()));
            Q_EMIT tokenRejected();
            return;
        }
        why = describeClose(code, m_socket->closeReason());
    } else if (m_socket->error() != QAbstractSocket::UnknownSocketError) {
        why = m_socket->errorString();
    } else {
        why = wasWelcomed ? tr("Lost the connection to the server")
                          : tr("Cannot reach the server at %1").arg(m_url.authority());
    }
    const bool keepSslMessage = m_sslErrorReported;
    resetSocket();
    if (!keepSslMessage) {
        setLastError(why);
    }
    if (!m_wanted) {
        setState(State::Offline);
        return;
    }
    scheduleReconnect();
}

void ServerConnection::dropConnection(const QString& reason)
{
    if (!m_socket) {
        return;
    }
    m_dropReason = reason;
    m_socket->abort();
    onDisconnected(); // no-op if abort() already reported the disconnection
}

void ServerConnection::scheduleReconnect()
{
    setState(State::Reconnecting);
    m_retryTimer.start(m_policy.nextDelay());
    m_countdown.start();
    Q_EMIT retryInSecondsChanged();
}

void ServerConnection::giveUp(const QString& reason)
{
    m_wanted = false;
    m_retryTimer.stop();
    m_countdown.stop();
    resetSocket();
    setLastError(reason);
    setState(State::Offline);
}

void ServerConnection::setState(State state)
{
    if (state == m_state) {
        return;
    }
    m_state = state;
    Q_EMIT stateChanged();
}

void ServerConnection::setLastError(const QString& error)
{
    if (error == m_lastError) {
        return;
    }
    m_lastError = error;
    Q_EMIT lastErrorChanged();
}

} // namespace cc::app
