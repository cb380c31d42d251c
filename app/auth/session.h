#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkRequest>
#include <QObject>
#include <QSslCertificate>
#include <QStringList>
#include <QThreadPool>
#include <QTimer>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

class QNetworkReply;
class QQmlEngine;
class QJSEngine;

namespace cc::app {

class ServerConnection;

// Who is signed in on this device. Signs in over HTTPS (POST /v1/auth/login), fetches the key of
// the person's offline cache on this device (GET /v1/me/cache-key), keeps the access token fresh
// with the single-use refresh token before it expires, hands tokens to the ServerConnection, and
// signs out (revoking the refresh token on the server). Tokens live in memory only: quitting the
// app signs out. All requests are asynchronous. QML: `Session`.
//
// Offline sign-in (docs/security.md, "Offline sign-in and the cache at rest"): every sign-in with
// the password also seals the person's profile and cache key in the device's vault under that
// password (DeviceVault). When the server cannot be reached, the same password opens the vault
// instead: the person works with their own role and stores on their cached data, `offline` is
// true, and the session checks the password with the server as soon as it answers again (then
// syncs), or ends the sign-in if the server refuses it. Vault work runs on a worker thread.
class Session : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON

    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString userName READ userName NOTIFY stateChanged)
    Q_PROPERTY(QString role READ role NOTIFY stateChanged)
    Q_PROPERTY(QString organisationName READ organisationName NOTIFY stateChanged)
    Q_PROPERTY(QStringList storeNames READ storeNames NOTIFY stateChanged)
    Q_PROPERTY(
        QString organisation READ organisation WRITE setOrganisation NOTIFY organisationChanged)
    Q_PROPERTY(QString email READ email WRITE setEmail NOTIFY emailChanged)
    // Signed in on this device's vault while the server is unreachable; checked with the server
    // when it answers again.
    Q_PROPERTY(bool offline READ offline NOTIFY stateChanged)

public:
    enum class State { SignedOut, SigningIn, SignedIn };
    Q_ENUM(State)

    // No default argument: Qt 6.4 would build the QML singleton with it (see ServerConnection).
    Session(ServerConnection* connection, QObject* parent);

    static Session* create(QQmlEngine* qmlEngine, QJSEngine* jsEngine);
    static void setSingleton(Session* instance);

    State state() const { return m_state; }
    QString error() const { return m_error; }
    QString userName() const { return m_userName; }
    QString role() const { return m_role; }
    QString organisationName() const { return m_organisationName; }
    QStringList storeNames() const { return m_storeNames; }
    QString organisation() const { return m_organisation; }
    void setOrganisation(const QString& organisation);
    QString email() const { return m_email; }
    void setEmail(const QString& email);

    void setExtraCaCertificates(const QList<QSslCertificate>& certificates);
    // Where the offline sign-in vaults are kept (the app's data folder); none: no offline sign-in.
    void setVaultFolder(const QString& folder) { m_vaultFolder = folder; }
    bool offline() const { return m_offline; }
    // The key of the signed-in person's offline cache on this device (32 bytes); empty when
    // signed out. Never shown, never logged.
    QByteArray cacheKey() const { return m_cacheKey; }

    // Signs in to the server the connection points at, then connects it.
    Q_INVOKABLE void signIn(const QString& password);
    Q_INVOKABLE void signOut();

    // Calls to the server's HTTPS API on behalf of the signed-in person (bearer access token);
    // the caller owns the reply. Null when nobody is signed in.
    QNetworkReply* apiGet(const QString& path);
    QNetworkReply* apiPost(const QString& path, const QJsonObject& body);
    QNetworkReply* apiPut(const QString& path, const QJsonObject& body);
    QNetworkReply* apiDelete(const QString& path);
    QString userId() const { return m_userId; }

Q_SIGNALS:
    void stateChanged();
    void errorChanged();
    void organisationChanged();
    void emailChanged();
    void signedIn();

private:
    QUrl endpoint(const QString& path) const;
    QNetworkRequest request(const QString& path) const;
    QNetworkReply* post(const QString& path, const QJsonObject& body);
    QNetworkReply* postLogin(const QString& password);
    void onSignInFinished(QNetworkReply* reply);
    void fetchCacheKey();
    void onCacheKeyFinished(QNetworkReply* reply);
    void finishSignIn();
    void rememberForOffline();
    void signInOffline();
    void revalidate();
    void onRevalidated(QNetworkReply* reply);
    void forgetPassword();
    void forgetVault();
    void refreshNow();
    void onRefreshFinished(QNetworkReply* reply);
    bool takeTokens(const QJsonObject& body);
    void onConnectionRefusedToken();
    void clear();
    void setState(State state);
    void setError(const QString& error);

    ServerConnection* m_connection;
    QNetworkAccessManager m_network;
    QList<QSslCertificate> m_extraCas;
    QTimer m_refreshTimer;
    State m_state = State::SignedOut;
    QString m_error;
    QString m_organisation;
    QString m_email;
    QString m_userName;
    QString m_role;
    QString m_organisationName;
    QStringList m_storeNames;
    QString m_refreshToken;
    QString m_accessToken;
    QString m_userId;
    QString m_vaultFolder;
    QByteArray m_cacheKey;
    // The password typed at sign-in, kept only until the vault is sealed with it, or, signed in
    // offline, until the server has checked it; wiped then and at sign-out.
    QString m_password;
    bool m_offline = false;
    bool m_revalidating = false; // the current sign-in request checks an offline sign-in
    QTimer m_revalidateTimer;
    int m_revalidateDelaySeconds = 0;
    int m_offlineFailures = 0;       // wrong passwords in a row against the vault
    qint64 m_offlineLockedUntil = 0; // ms since the epoch
    bool m_refreshing = false;
    quint64 m_generation = 0; // bumped by every sign-in and sign-out; stale replies are dropped
    int m_rejections = 0;     // tokens refused in a row since the last welcome
    // Last, so it goes first: its destructor waits for vault work still running while the rest
    // of the session exists.
    QThreadPool m_vaultWork;
};

} // namespace cc::app
