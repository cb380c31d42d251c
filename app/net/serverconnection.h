#pragma once

#include "app/core/reconnectpolicy.h"
#include "shared/protocol/messages.h"

#include <QObject>
#include <QSslCertificate>
#include <QStringList>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>
#include <QtQml/qqmlregistration.h>

#include <memory>

class QQmlEngine;
class QJSEngine;

namespace cc::app {

// The app's one connection to its server: a secure WebSocket that says hello with the protocol
// versions this build speaks, keeps itself alive, and reconnects with backoff when the network
// or the server goes away. Everything is asynchronous on the GUI thread's event loop; nothing
// here waits. QML sees it as the singleton `ServerConnection`.
class ServerConnection : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON

    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY urlChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
    Q_PROPERTY(QString serverVersion READ serverVersion NOTIFY welcomed)
    Q_PROPERTY(QString serverNode READ serverNode NOTIFY welcomed)
    Q_PROPERTY(int protocolVersion READ protocolVersion NOTIFY welcomed)
    Q_PROPERTY(int retryInSeconds READ retryInSeconds NOTIFY retryInSecondsChanged)
    Q_PROPERTY(int failedAttempts READ failedAttempts NOTIFY retryInSecondsChanged)
    Q_PROPERTY(QString clientVersion READ clientVersion CONSTANT)

public:
    enum class State {
        Offline,      // not connected and not trying (never started, signed out, or refused)
        Connecting,   // first attempt in progress
        Connected,    // the server welcomed us
        Reconnecting, // lost or failed; waiting to try again, or trying
    };
    Q_ENUM(State)

    // No default argument on purpose: Qt 6.4 builds a QML singleton with the default
    // constructor whenever there is one, ignoring create() below.
    explicit ServerConnection(QObject* parent);
    ~ServerConnection() override;

    // The instance QML gets; main() makes it and hands it over with setSingleton().
    static ServerConnection* create(QQmlEngine* qmlEngine, QJSEngine* jsEngine);
    static void setSingleton(ServerConnection* instance);

    QUrl url() const { return m_url; }
    void setUrl(const QUrl& url);
    State state() const { return m_state; }
    QString lastError() const { return m_lastError; }
    QString serverVersion() const { return m_serverVersion; }
    QString serverNode() const { return m_serverNode; }
    int protocolVersion() const { return m_protocolVersion; }
    int retryInSeconds() const;
    int failedAttempts() const { return m_policy.attempts(); }
    static QString clientVersion();

    // Certificate authorities trusted in addition to the system's (a development CA, or a
    // company CA for an on-premises server). Loaded by the caller, not read from disk here.
    void setExtraCaCertificates(const QList<QSslCertificate>& certificates);
    QList<QSslCertificate> extraCaCertificates() const { return m_extraCas; }
    void setDeviceId(const QString& deviceId) { m_deviceId = deviceId; }
    // What the hello says this client understands (protocol::kFeature...): all this build does,
    // unless a test plays an older client.
    void setFeatures(const QStringList& features) { m_features = features; }
    QString deviceId() const { return m_deviceId; }
    // The access token hello carries. A new one while connected is sent as a reauth, so the
    // connection outlives the token it started with.
    void setAccessToken(const QString& token);

    // Sends a message on the welcomed connection; false (nothing sent) when not connected.
    bool send(const protocol::Envelope& envelope);
    // Live analytics: asks for the "today so far" figures of these stores (empty: every store
    // the person may see, and the organisation's totals for executives and admins), replacing
    // the connection's earlier subscription; `stop` ends it. False (nothing sent) when not
    // connected: a new connection has none, so subscribe again after welcomed().
    bool subscribeAnalytics(const QStringList& locations, bool stop);

    Q_INVOKABLE void connectToServer();
    Q_INVOKABLE void disconnectFromServer();
    Q_INVOKABLE void retryNow();

Q_SIGNALS:
    void urlChanged();
    void stateChanged();
    void lastErrorChanged();
    void welcomed();
    void retryInSecondsChanged();
    // The server refused the access token (expired, revoked): the connection has stopped and
    // waits for a new token and connectToServer().
    void tokenRejected();
    // Every message after the welcome that the connection does not handle itself (sync
    // messages, and errors answering them), on the connection's thread.
    void messageReceived(const cc::protocol::Envelope& envelope);
    // Live analytics for a subscribed store or the organisation (never on messageReceived).
    void analyticsReceived(const cc::protocol::AnalyticsUpdate& update);
    // The server refused the analytics subscription: `code` as on the wire ("forbidden" for a
    // store the person may not see).
    void analyticsRefused(const QString& code, const QString& message);

private:
    void open();
    void onConnected();
    void onDisconnected();
    void onSocketError(QAbstractSocket::SocketError error);
    void onSslErrors(const QList<QSslError>& errors);
    void onTextMessage(const QString& message);
    void onPong(quint64 elapsedMs);
    void sendHello();
    void dropConnection(const QString& reason);
    void scheduleReconnect();
    void giveUp(const QString& reason);
    void setState(State state);
    void setLastError(const QString& error);
    void resetSocket();

    std::unique_ptr<QWebSocket> m_socket;
    QUrl m_url;
    QString m_deviceId;
    QStringList m_features{QString::fromLatin1(protocol::kFeatureWildcardTombstones)};
    QString m_accessToken;
    QString m_tokenInHello; // the token the current connection was opened with
    QList<QSslCertificate> m_extraCas;
    State m_state = State::Offline;
    bool m_wanted = false; // the user wants to be connected
    QString m_lastError;
    QString m_serverVersion;
    QString m_serverNode;
    int m_protocolVersion = 0;
    ReconnectPolicy m_policy;
    QTimer m_retryTimer;   // fires the next attempt
    QTimer m_countdown;    // updates retryInSeconds once a second
    QTimer m_helloTimeout; // connect + TLS + upgrade + welcome must finish in time
    QTimer m_keepAlive;    // pings the server; a missing pong means a dead link
    bool m_awaitingPong = false;
    bool m_sslErrorReported = false;
    QString m_dropReason; // why we cut the connection ourselves, if we did
};

} // namespace cc::app
