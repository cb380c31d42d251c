// The real callcommander-server against the test PostgreSQL cluster, spoken to over real TLS
// sockets: health endpoints, sign-in, the versioned and authenticated hello, what it refuses,
// graceful shutdown, and the app's Session and ServerConnection going online, reconnecting and
// coming back.

#include "app/auth/devicevault.h"
#include "app/auth/session.h"
#include "app/net/serverconnection.h"
#include "server/db/migrations.h"
#include "shared/protocol/envelope.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <pqxx/pqxx>

#include <memory>
#include <optional>

using namespace cc;
using cc::test::ServerProcess;
using cc::test::TestDatabase;
using cc::test::TlsFiles;

namespace {

constexpr int kMaxMessage = 64 * 1024; // configured for the server under test
constexpr int kHandshakeSeconds = 2;

const QString kPassword = QStringLiteral("correct horse battery");
std::string g_token; // an access token of the main test server's user

std::string helloText(int v = 1, int min = 1, int max = 1, const std::string& token = g_token)
{
    return protocol::encode(protocol::Envelope{
        v, "t1", protocol::Hello{{min, max}, "tst_server", "0", "device-t", token, {}}});
}

QJsonObject json(const QByteArray& body);

QByteArray loginBody(const QString& email, const QString& password,
                     const QString& organisation = QStringLiteral("acme"))
{
    return QJsonDocument(QJsonObject{{"organisation", organisation},
                                     {"email", email},
                                     {"password", password},
                                     {"deviceId", "tst-device"}})
        .toJson(QJsonDocument::Compact);
}

// Adds a user to the node's (migrated) database and signs in through the node's HTTPS API;
// returns the whole answer.
QJsonObject seedAndSignIn(const ServerProcess& node, const std::string& conninfo,
                          const QString& email)
{
    pqxx::connection c(conninfo);
    test::seedUser(c, "acme", email.toStdString(), kPassword.toStdString(), "staff");
    auto r = test::httpsPost(node.baseUrl() + "/v1/auth/login", node.tls().ca(),
                             loginBody(email, kPassword));
    if (r.status != 200) {
        qWarning("sign-in failed: %d %s %s", r.status, r.body.constData(), qPrintable(r.error));
    }
    return json(r.body);
}

// A raw client that records what the server says and how it closes.
struct WsProbe {
    QWebSocket socket;
    QStringList messages;
    std::optional<int> closeCode;
    QString closeReason;
    bool disconnected = false;

    explicit WsProbe(const QList<QSslCertificate>& ca)
    {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(ca);
        socket.setSslConfiguration(tls);
        QObject::connect(&socket, &QWebSocket::textMessageReceived,
                         [this](const QString& m) { messages << m; });
        QObject::connect(&socket, &QWebSocket::disconnected, [this] {
            disconnected = true;
            closeCode = static_cast<int>(socket.closeCode());
            closeReason = socket.closeReason();
        });
    }

    // Qt 6.4's ~QWebSocket leaks a string when the socket was not closed cleanly: finish the
    // closing handshake first.
    ~WsProbe()
    {
        if (socket.state() == QAbstractSocket::ConnectedState) {
            socket.close();
            (void)QTest::qWaitFor([this] { return disconnected; }, 3000);
        }
        socket.abort();
    }
    WsProbe(const WsProbe&) = delete;
    WsProbe& operator=(const WsProbe&) = delete;

    bool open(const QString& url)
    {
        QSignalSpy connected(&socket, &QWebSocket::connected);
        socket.open(QUrl(url));
        return connected.wait(5000);
    }

    bool waitMessages(int n, int ms = 5000)
    {
        return QTest::qWaitFor([&] { return messages.size() >= n || disconnected; }, ms) &&
               messages.size() >= n;
    }

    bool waitDisconnected(int ms = 5000)
    {
        return QTest::qWaitFor([&] { return disconnected; }, ms);
    }

    protocol::Envelope decoded(int i) const
    {
        auto d = protocol::decode(messages.at(i).toStdString());
        if (!d.ok()) {
            qFatal("server sent an undecodable message");
        }
        return d.value();
    }
};

QJsonObject json(const QByteArray& body)
{
    return QJsonDocument::fromJson(body).object();
}

} // namespace

class TestServer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const QString problem = m_fx.start(
            {{QStringLiteral("CALLCOMMANDER_WS_MAX_MESSAGE_BYTES"), QString::number(kMaxMessage)},
             {QStringLiteral("CALLCOMMANDER_TIMEOUTS_HANDSHAKE_SECONDS"),
              QString::number(kHandshakeSeconds)}});
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const QJsonObject signedIn =
            seedAndSignIn(*m_fx.server, m_fx.db->conninfo(), QStringLiteral("ana@example.com"));
        g_token = signedIn.value("accessToken").toString().toStdString();
        QVERIFY(!g_token.empty());
    }

    void cleanupTestCase()
    {
        if (m_fx.server) {
            QCOMPARE(m_fx.server->terminate(), 0);
        }
    }

    void healthAndReadiness()
    {
        auto health = test::httpsGet(m_fx.server->baseUrl() + "/healthz", m_fx.tls.ca());
        QCOMPARE(health.status, 200);
        QCOMPARE(json(health.body).value("status").toString(), QStringLiteral("ok"));
        QCOMPARE(json(health.body).value("node").toString(), QStringLiteral("test-node"));

        auto ready = test::httpsGet(m_fx.server->baseUrl() + "/readyz", m_fx.tls.ca());
        QCOMPARE(ready.status, 200);
        QCOMPARE(json(ready.body).value("status").toString(), QStringLiteral("ready"));
        QCOMPARE(json(ready.body).value("schemaVersion").toInt(),
                 server::db::embeddedMigrations().back().version);
    }

    void unknownPathIs404()
    {
        auto r = test::httpsGet(m_fx.server->baseUrl() + "/nothing-here", m_fx.tls.ca());
        QCOMPARE(r.status, 404);
    }

    void helloGetsWelcome()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendTextMessage(QString::fromStdString(helloText()));
        QVERIFY(probe.waitMessages(1));
        const auto env = probe.decoded(0);
        QCOMPARE(env.id, std::string("t1"));
        const auto* welcome = std::get_if<protocol::Welcome>(&env.body);
        QVERIFY(welcome != nullptr);
        QCOMPARE(welcome->protocol, protocol::kMaxProtocolVersion);
        QCOMPARE(welcome->node, std::string("test-node"));
        QVERIFY(welcome->serverTimeMs > 1600000000000);
        QVERIFY(!probe.disconnected);
        probe.socket.close();
    }

    void plainTextOnTlsPortIsRefused()
    {
        QTcpSocket plain;
        plain.connectToHost(QStringLiteral("127.0.0.1"), m_fx.server->port());
        QVERIFY(plain.waitForConnected(5000));
        plain.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray answer;
        (void)QTest::qWaitFor(
            [&] {
                plain.waitForReadyRead(100);
                answer += plain.readAll();
                return plain.state() == QAbstractSocket::UnconnectedState;
            },
            5000);
        answer += plain.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 400"), answer.constData());
        QVERIFY2(answer.contains("only TLS"), answer.constData());
        QCOMPARE(plain.state(), QAbstractSocket::UnconnectedState); // the server hung up
    }

    void unsupportedVersionIsRefused()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendTextMessage(QString::fromStdString(helloText(99, 99, 99)));
        QVERIFY(probe.waitMessages(1));
        const auto reply = probe.decoded(0);
        const auto* error = std::get_if<protocol::Error>(&reply.body);
        QVERIFY(error != nullptr);
        QVERIFY(error->code == protocol::ErrorCode::UnsupportedVersion);
        QVERIFY(error->supported.has_value());
        QVERIFY(probe.waitDisconnected());
        QCOMPARE(probe.closeCode.value_or(0), static_cast<int>(protocol::kCloseUnsupportedVersion));
    }

    void noCommonVersionInHelloIsRefused()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendTextMessage(QString::fromStdString(helloText(1, 2, 3)));
        QVERIFY(probe.waitMessages(1));
        QVERIFY(std::get<protocol::Error>(probe.decoded(0).body).code ==
                protocol::ErrorCode::UnsupportedVersion);
        QVERIFY(probe.waitDisconnected());
        QCOMPARE(probe.closeCode.value_or(0), static_cast<int>(protocol::kCloseUnsupportedVersion));
    }

    void malformedJsonIsRefused()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendTextMessage(QStringLiteral("{\"v\":1,\"type\":"));
        QVERIFY(probe.waitMessages(1));
        const auto error = std::get<protocol::Error>(probe.decoded(0).body);
        QVERIFY(error.code == protocol::ErrorCode::MalformedMessage);
        QVERIFY(QString::fromStdString(error.message).contains(QStringLiteral("JSON")));
        QVERIFY(probe.waitDisconnected());
        QCOMPARE(probe.closeCode.value_or(0), static_cast<int>(protocol::kCloseMalformed));
    }

    void oversizedFrameIsRefused()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendTextMessage(QString::fromStdString(helloText()));
        QVERIFY(probe.waitMessages(1));
        probe.socket.sendTextMessage(QString(kMaxMessage + 1024, QLatin1Char('x')));
        QVERIFY(probe.waitDisconnected());
        QCOMPARE(probe.closeCode.value_or(0), static_cast<int>(protocol::kCloseTooBig));
    }

    void binaryFrameIsRefused()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendBinaryMessage(QByteArray("\x01\x02\x03", 3));
        QVERIFY(probe.waitDisconnected());
        QCOMPARE(probe.closeCode.value_or(0), static_cast<int>(protocol::kCloseMalformed));
    }

    void serverSurvivesAllOfThat()
    {
        QVERIFY(m_fx.server->running());
        QCOMPARE(test::httpsGet(m_fx.server->baseUrl() + "/readyz", m_fx.tls.ca()).status, 200);
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendTextMessage(QString::fromStdString(helloText()));
        QVERIFY(probe.waitMessages(1));
        QVERIFY(std::holds_alternative<protocol::Welcome>(probe.decoded(0).body));
    }

    void notReadyWithoutDatabase()
    {
        // Nothing listens on port 1: the server must still start, be alive, and say not ready.
        ServerProcess orphan(
            QStringLiteral("host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2"), m_fx.tls);
        QVERIFY2(orphan.start(), qPrintable(orphan.log()));
        QCOMPARE(test::httpsGet(orphan.baseUrl() + "/healthz", m_fx.tls.ca()).status, 200);
        auto ready = test::httpsGet(orphan.baseUrl() + "/readyz", m_fx.tls.ca());
        QCOMPARE(ready.status, 503);
        QCOMPARE(json(ready.body).value("status").toString(), QStringLiteral("not_ready"));
        QVERIFY(!json(ready.body).value("reason").toString().isEmpty());
        QCOMPARE(orphan.terminate(), 0);
    }

    void appConnectsReconnectsAndShutsDownGracefully()
    {
        TestDatabase db;
        ServerProcess node(QString::fromStdString(db.conninfo()), m_fx.tls);
        QVERIFY2(node.start(), qPrintable(node.log()));
        QVERIFY2(node.waitReady(), qPrintable(node.log()));
        const std::string token =
            seedAndSignIn(node, db.conninfo(), QStringLiteral("tab@example.com"))
                .value("accessToken")
                .toString()
                .toStdString();
        QVERIFY(!token.empty());

        app::ServerConnection conn(nullptr);
        conn.setExtraCaCertificates(m_fx.tls.ca());
        conn.setDeviceId(QStringLiteral("tablet-1"));
        conn.setUrl(QUrl(node.wsUrl()));
        conn.setAccessToken(QString::fromStdString(token));
        conn.connectToServer();
        QCOMPARE(conn.state(), app::ServerConnection::State::Connecting);
        QTRY_COMPARE_WITH_TIMEOUT(conn.state(), app::ServerConnection::State::Connected, 10000);
        QCOMPARE(conn.serverNode(), QStringLiteral("test-node"));
        QCOMPARE(conn.protocolVersion(), protocol::kMaxProtocolVersion);

        // SIGTERM: the server closes the session with "going away" and exits 0.
        WsProbe watcher(m_fx.tls.ca());
        QVERIFY(watcher.open(node.wsUrl()));
        watcher.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, token)));
        QVERIFY(watcher.waitMessages(1));
        const quint16 port = node.port();
        QCOMPARE(node.terminate(), 0);
        QVERIFY(watcher.waitDisconnected());
        QCOMPARE(watcher.closeCode.value_or(0), static_cast<int>(protocol::kCloseGoingAway));
        QVERIFY(node.log().contains(QStringLiteral("stopped")));

        QTRY_COMPARE_WITH_TIMEOUT(conn.state(), app::ServerConnection::State::Reconnecting, 5000);
        QVERIFY(!conn.lastError().isEmpty());

        // The server comes back on the same port: the app finds it by itself.
        ServerProcess again(QString::fromStdString(db.conninfo()), m_fx.tls,
                            {{QStringLiteral("CALLCOMMANDER_LISTEN_PORT"), QString::number(port)}});
        QVERIFY2(again.start(), qPrintable(again.log()));
        QTRY_COMPARE_WITH_TIMEOUT(conn.state(), app::ServerConnection::State::Connected, 20000);
        QVERIFY(conn.lastError().isEmpty());

        conn.disconnectFromServer();
        QCOMPARE(conn.state(), app::ServerConnection::State::Offline);
        QCOMPARE(again.terminate(), 0);
    }

    void appRefusesAnUntrustedCertificate()
    {
        app::ServerConnection conn(nullptr); // no extra CA: the test CA is not trusted
        conn.setAccessToken(QString::fromStdString(g_token));
        conn.setUrl(QUrl(m_fx.server->wsUrl()));
        conn.connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(conn.state(), app::ServerConnection::State::Reconnecting, 10000);
        QVERIFY2(conn.lastError().contains(QStringLiteral("certificate")),
                 qPrintable(conn.lastError()));
        conn.disconnectFromServer();
    }

    void silentClientIsClosedAfterHandshakeTimeout()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        QVERIFY(probe.waitDisconnected((kHandshakeSeconds + 3) * 1000));
        QCOMPARE(probe.closeCode.value_or(0), static_cast<int>(protocol::kClosePolicy));
        QVERIFY(probe.messages.size() == 1);
        QVERIFY(std::get<protocol::Error>(probe.decoded(0).body).code ==
                protocol::ErrorCode::ProtocolViolation);
    }

    void oversizedHttpHeaderIsRefused()
    {
        const QMap<QByteArray, QByteArray> huge{{"X-Filler", QByteArray(20 * 1024, 'a')}};
        auto r = test::httpsGet(m_fx.server->baseUrl() + "/healthz", m_fx.tls.ca(), 5000, huge);
        QCOMPARE(r.status, 413);
        QCOMPARE(test::httpsGet(m_fx.server->baseUrl() + "/healthz", m_fx.tls.ca()).status, 200);
    }

    void slowReaderIsDroppedAndServerSurvives()
    {
        // A client that keeps sending but never reads: the server's queue for it must stay
        // bounded (64 KiB here) and the client must be dropped, not crash or bloat the server.
        TestDatabase db;
        ServerProcess node(
            QString::fromStdString(db.conninfo()), m_fx.tls,
            {{QStringLiteral("CALLCOMMANDER_WS_MAX_QUEUE_BYTES"), QStringLiteral("65536")}});
        QVERIFY2(node.start(), qPrintable(node.log()));
        QVERIFY2(node.waitReady(), qPrintable(node.log()));
        const std::string token =
            seedAndSignIn(node, db.conninfo(), QStringLiteral("slow@example.com"))
                .value("accessToken")
                .toString()
                .toStdString();
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(node.wsUrl()));
        probe.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, token)));
        QVERIFY(probe.waitMessages(1));
        probe.socket.setReadBufferSize(1024); // stop reading what the server sends
        // Each unknown-type message earns an error reply that echoes the type: ~200 bytes.
        const QString chatter =
            QStringLiteral(R"({"v":1,"type":"%1","body":{}})").arg(QString(100, QLatin1Char('q')));
        bool dropped = false;
        for (int batch = 0; batch < 400 && !dropped; ++batch) {
            for (int i = 0; i < 500; ++i) {
                probe.socket.sendTextMessage(chatter);
            }
            QTest::qWait(5);
            dropped = node.log().contains(QStringLiteral("client reads too slowly"));
        }
        QVERIFY2(dropped, "the server never dropped the slow reader");
        probe.socket.setReadBufferSize(0); // read again: the drop becomes visible
        QVERIFY(probe.waitDisconnected(10000));
        QVERIFY(node.running());
        QCOMPARE(test::httpsGet(node.baseUrl() + "/healthz", m_fx.tls.ca()).status, 200);
        QCOMPARE(node.terminate(), 0);
    }

    void connectionLimitHolds()
    {
        TestDatabase db;
        ServerProcess node(
            QString::fromStdString(db.conninfo()), m_fx.tls,
            {{QStringLiteral("CALLCOMMANDER_SERVER_MAX_CONNECTIONS"), QStringLiteral("2")}});
        QVERIFY2(node.start(), qPrintable(node.log()));
        WsProbe a(m_fx.tls.ca());
        WsProbe b(m_fx.tls.ca());
        QVERIFY(a.open(node.wsUrl()));
        QVERIFY(b.open(node.wsUrl()));
        WsProbe c(m_fx.tls.ca());
        QVERIFY(!c.open(node.wsUrl()));
        QVERIFY(node.log().contains(QStringLiteral("server.max_connections")));
        a.socket.close();
        QVERIFY(a.waitDisconnected());
        WsProbe d(m_fx.tls.ca());
        QVERIFY(QTest::qWaitFor([&] { return d.open(node.wsUrl()); }, 5000));
        QCOMPARE(node.terminate(), 0);
    }

    void readinessFollowsTheDatabase()
    {
        auto db = std::make_unique<TestDatabase>();
        ServerProcess node(QString::fromStdString(db->conninfo()), m_fx.tls);
        QVERIFY2(node.start(), qPrintable(node.log()));
        QVERIFY2(node.waitReady(), qPrintable(node.log()));
        db.reset(); // drops the database, closing the server's connections to it
        QTRY_COMPARE_WITH_TIMEOUT(test::httpsGet(node.baseUrl() + "/readyz", m_fx.tls.ca()).status,
                                  503, 10000);
        const auto ready = test::httpsGet(node.baseUrl() + "/readyz", m_fx.tls.ca());
        QCOMPARE(json(ready.body).value("reason").toString(),
                 QStringLiteral("database unavailable"));
        // Nothing about the database's address or users leaks to an anonymous caller.
        QVERIFY(!ready.body.contains("127.0.0.1"));
        QVERIFY(!ready.body.contains("cc_test_"));
        QCOMPARE(test::httpsGet(node.baseUrl() + "/healthz", m_fx.tls.ca()).status, 200);
        QCOMPARE(node.terminate(), 0);
    }

    void changedMigrationStopsTheNode()
    {
        TestDatabase db;
        {
            pqxx::connection c(db.conninfo());
            server::db::applyMigrations(c, server::db::embeddedMigrations());
            pqxx::work t(c);
            t.exec0("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
            t.commit();
        }
        ServerProcess node(QString::fromStdString(db.conninfo()), m_fx.tls);
        QVERIFY2(node.start(), qPrintable(node.log()));
        QCOMPARE(node.waitForExit(15000), 1);
        QVERIFY2(node.log().contains(QStringLiteral("changed after it was applied")),
                 qPrintable(node.log()));
    }

    void appGivesUpQuicklyOnAWrongPath()
    {
        app::ServerConnection conn(nullptr);
        conn.setExtraCaCertificates(m_fx.tls.ca());
        conn.setAccessToken(QString::fromStdString(g_token));
        conn.setUrl(
            QUrl(m_fx.server->baseUrl().replace(QStringLiteral("https"), QStringLiteral("wss")) +
                 QStringLiteral("/not-the-socket")));
        conn.connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(conn.state(), app::ServerConnection::State::Reconnecting, 5000);
        QVERIFY(!conn.lastError().isEmpty());
        conn.disconnectFromServer();
    }

    void helloWithoutTokenIsRefused()
    {
        WsProbe probe(m_fx.tls.ca());
        QVERIFY(probe.open(m_fx.server->wsUrl()));
        probe.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, "")));
        QVERIFY(probe.waitMessages(1));
        QVERIFY(std::get<protocol::Error>(probe.decoded(0).body).code ==
                protocol::ErrorCode::Unauthenticated);
        QVERIFY(probe.waitDisconnected());
        QCOMPARE(probe.closeCode.value_or(0), static_cast<int>(protocol::kCloseUnauthenticated));
    }

    void signInOverHttps()
    {
        const QString url = m_fx.server->baseUrl() + "/v1/auth/login";
        auto ok = test::httpsPost(url, m_fx.tls.ca(), loginBody("ana@example.com", kPassword));
        QCOMPARE(ok.status, 200);
        const QJsonObject body = json(ok.body);
        QVERIFY(!body.value("accessToken").toString().isEmpty());
        QVERIFY(!body.value("refreshToken").toString().isEmpty());
        QCOMPARE(body.value("user").toObject().value("role").toString(), QStringLiteral("staff"));
        QCOMPARE(body.value("stores").toArray().size(), 1);

        auto wrong =
            test::httpsPost(url, m_fx.tls.ca(), loginBody("ana@example.com", "not the password"));
        QCOMPARE(wrong.status, 401);
        QCOMPARE(json(wrong.body).value("error").toString(), QStringLiteral("invalid_credentials"));
        auto nobody =
            test::httpsPost(url, m_fx.tls.ca(), loginBody("nobody@example.com", kPassword));
        QCOMPARE(nobody.status, 401);
        QCOMPARE(nobody.body, wrong.body); // nothing tells which part was wrong

        QCOMPARE(test::httpsPost(url, m_fx.tls.ca(), "{not json").status, 400);
        QCOMPARE(test::httpsPost(url, m_fx.tls.ca(), "{}").status, 400);
        QCOMPARE(test::httpsPost(url, m_fx.tls.ca(), loginBody("a@b.c", "x"), "text/plain").status,
                 400);
        QCOMPARE(test::httpsGet(url, m_fx.tls.ca()).status, 405);
    }

    void signInIsRateLimitedPerAccount()
    {
        const QString url = m_fx.server->baseUrl() + "/v1/auth/login";
        int refusedAt = -1;
        test::HttpResult last;
        for (int i = 0; i < 8 && refusedAt < 0; ++i) {
            last = test::httpsPost(url, m_fx.tls.ca(),
                                   loginBody("mallory@example.com", "guess-" + QString::number(i)));
            if (last.status == 429) {
                refusedAt = i;
            }
        }
        QCOMPARE(refusedAt, 5); // five tries a minute per account
        QVERIFY(last.retryAfter.toInt() >= 1);
        QCOMPARE(json(last.body).value("error").toString(), QStringLiteral("rate_limited"));

        // A real account after five wrong passwords (now also locked) answers the same: the
        // refusal does not tell an attacker that the account exists.
        {
            pqxx::connection c(m_fx.db->conninfo());
            test::seedUser(c, "acme", "victim@example.com", kPassword.toStdString(), "staff");
        }
        test::HttpResult victim;
        for (int i = 0; i < 6; ++i) {
            victim = test::httpsPost(
                url, m_fx.tls.ca(), loginBody("victim@example.com", "guess-" + QString::number(i)));
        }
        QCOMPARE(victim.status, 429);
        QCOMPARE(victim.body, last.body);
        // Spelling the e-mail differently does not buy a fresh budget.
        QCOMPARE(
            test::httpsPost(url, m_fx.tls.ca(), loginBody("VICTIM@example.com", "guess")).status,
            429);
    }

    void refreshRotatesAndSignOutEndsTheSignIn()
    {
        const QString base = m_fx.server->baseUrl();
        const QJsonObject first = json(test::httpsPost(base + "/v1/auth/login", m_fx.tls.ca(),
                                                       loginBody("ana@example.com", kPassword))
                                           .body);
        const QByteArray refreshBody =
            QJsonDocument(QJsonObject{{"refreshToken", first.value("refreshToken")}}).toJson();
        auto rotated = test::httpsPost(base + "/v1/auth/refresh", m_fx.tls.ca(), refreshBody);
        QCOMPARE(rotated.status, 200);
        const QJsonObject second = json(rotated.body);
        QVERIFY(second.value("refreshToken") != first.value("refreshToken"));
        // The second token gets used, then the first comes back: a copy. The sign-in ends.
        const QByteArray secondBody =
            QJsonDocument(QJsonObject{{"refreshToken", second.value("refreshToken")}}).toJson();
        QCOMPARE(test::httpsPost(base + "/v1/auth/refresh", m_fx.tls.ca(), secondBody).status, 200);
        QCOMPARE(test::httpsPost(base + "/v1/auth/refresh", m_fx.tls.ca(), refreshBody).status,
                 401);
        const std::string access = second.value("accessToken").toString().toStdString();
        WsProbe revoked(m_fx.tls.ca());
        QVERIFY(revoked.open(m_fx.server->wsUrl()));
        revoked.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, access)));
        QVERIFY(revoked.waitDisconnected());
        QCOMPARE(revoked.closeCode.value_or(0), static_cast<int>(protocol::kCloseUnauthenticated));

        // A fresh sign-in, signed out: its still-unexpired access token no longer opens a socket.
        const QJsonObject third = json(test::httpsPost(base + "/v1/auth/login", m_fx.tls.ca(),
                                                       loginBody("ana@example.com", kPassword))
                                           .body);
        const std::string thirdAccess = third.value("accessToken").toString().toStdString();
        WsProbe before(m_fx.tls.ca());
        QVERIFY(before.open(m_fx.server->wsUrl()));
        before.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, thirdAccess)));
        QVERIFY(before.waitMessages(1));
        QVERIFY(std::holds_alternative<protocol::Welcome>(before.decoded(0).body));
        const QByteArray logoutBody =
            QJsonDocument(QJsonObject{{"refreshToken", third.value("refreshToken")}}).toJson();
        QCOMPARE(test::httpsPost(base + "/v1/auth/logout", m_fx.tls.ca(), logoutBody).status, 200);
        WsProbe after(m_fx.tls.ca());
        QVERIFY(after.open(m_fx.server->wsUrl()));
        after.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, thirdAccess)));
        QVERIFY(after.waitDisconnected());
        QCOMPARE(after.closeCode.value_or(0), static_cast<int>(protocol::kCloseUnauthenticated));
    }

    void signingOutClosesLiveSocketsOnEveryNode()
    {
        // A second node on the same database: a revocation through one reaches the other.
        ServerProcess second(
            QString::fromStdString(m_fx.db->conninfo()), m_fx.tls,
            {{QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QStringLiteral("node-b")}});
        QVERIFY2(second.start(), qPrintable(second.log()));
        QVERIFY2(second.waitReady(), qPrintable(second.log()));
        QVERIFY(QTest::qWaitFor(
            [&] { return second.log().contains(QStringLiteral("listening on")); }, 5000));

        // Its own account: sign-ins are rate-limited per account (5 a minute).
        const QJsonObject signedIn =
            seedAndSignIn(*m_fx.server, m_fx.db->conninfo(), QStringLiteral("roaming@example.com"));
        const std::string access = signedIn.value("accessToken").toString().toStdString();
        QVERIFY(!access.empty());
        WsProbe here(m_fx.tls.ca());
        WsProbe there(m_fx.tls.ca());
        QVERIFY(here.open(m_fx.server->wsUrl()));
        QVERIFY(there.open(second.wsUrl()));
        here.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, access)));
        there.socket.sendTextMessage(QString::fromStdString(helloText(1, 1, 1, access)));
        QVERIFY(here.waitMessages(1));
        QVERIFY(there.waitMessages(1));
        QVERIFY(std::holds_alternative<protocol::Welcome>(there.decoded(0).body));

        const QByteArray logoutBody =
            QJsonDocument(QJsonObject{{"refreshToken", signedIn.value("refreshToken")}}).toJson();
        QCOMPARE(
            test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/logout", m_fx.tls.ca(), logoutBody)
                .status,
            200);
        QVERIFY(here.waitDisconnected(5000));
        QVERIFY(there.waitDisconnected(5000));
        QCOMPARE(here.closeCode.value_or(0), static_cast<int>(protocol::kCloseUnauthenticated));
        QCOMPARE(there.closeCode.value_or(0), static_cast<int>(protocol::kCloseUnauthenticated));
        QCOMPARE(second.terminate(), 0);
    }

    void appSessionSignsInConnectsAndSignsOut()
    {
        app::ServerConnection conn(nullptr);
        conn.setExtraCaCertificates(m_fx.tls.ca());
        conn.setDeviceId(QStringLiteral("counter-tablet"));
        conn.setUrl(QUrl(m_fx.server->wsUrl()));
        app::Session session(&conn, nullptr);
        session.setExtraCaCertificates(m_fx.tls.ca());
        {
            pqxx::connection c(m_fx.db->conninfo());
            test::seedUser(c, "acme", "counter@example.com", kPassword.toStdString(), "staff");
        }
        session.setOrganisation(QStringLiteral("acme"));
        session.setEmail(QStringLiteral("counter@example.com"));

        session.signIn(QStringLiteral("wrong password"));
        QCOMPARE(session.state(), app::Session::State::SigningIn);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedOut, 10000);
        QVERIFY(session.error().contains(QStringLiteral("not right")));
        QCOMPARE(conn.state(), app::ServerConnection::State::Offline);

        session.signIn(kPassword);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedIn, 10000);
        QCOMPARE(session.role(), QStringLiteral("staff"));
        QCOMPARE(session.organisationName(), QStringLiteral("Acme"));
        QCOMPARE(session.storeNames(), QStringList{QStringLiteral("Main Street")});
        QTRY_COMPARE_WITH_TIMEOUT(conn.state(), app::ServerConnection::State::Connected, 10000);

        session.signOut();
        QCOMPARE(session.state(), app::Session::State::SignedOut);
        QCOMPARE(conn.state(), app::ServerConnection::State::Offline);
        // The server heard about it: no live sign-in of this account is left.
        pqxx::connection db(m_fx.db->conninfo());
        QTRY_COMPARE_WITH_TIMEOUT(
            pqxx::read_transaction(db)
                .exec1("SELECT count(*) FROM auth_sessions s JOIN users u ON u.id = s.user_id "
                       "WHERE u.email = 'counter@example.com' AND s.revoked_at IS NULL")[0]
                .as<int>(),
            0, 10000);
        conn.connectToServer(); // no token any more
        QCOMPARE(conn.state(), app::ServerConnection::State::Offline);
        QVERIFY(conn.lastError().contains(QStringLiteral("Sign in")));
    }

    // A tablet that has signed in before lets its person in while the server cannot be reached,
    // with their own role and stores and the key of their cache, and checks the password with the
    // server when it answers again; a sign-in the server no longer accepts ends then.
    void appSignsInOfflineAndChecksWithTheServerLater()
    {
        QTemporaryDir vaults;
        app::ServerConnection conn(nullptr);
        conn.setExtraCaCertificates(m_fx.tls.ca());
        conn.setDeviceId(QStringLiteral("back-office-tablet"));
        const QUrl live(m_fx.server->wsUrl());
        conn.setUrl(live);
        app::Session session(&conn, nullptr);
        session.setExtraCaCertificates(m_fx.tls.ca());
        session.setVaultFolder(vaults.path());
        {
            pqxx::connection c(m_fx.db->conninfo());
            test::seedUser(c, "acme", "offline@example.com", kPassword.toStdString(), "staff");
        }
        session.setOrganisation(QStringLiteral("acme"));
        session.setEmail(QStringLiteral("offline@example.com"));
        const app::DeviceVault vault(vaults.path(), QStringLiteral("acme"),
                                     QStringLiteral("offline@example.com"));

        // Online first: the cache key comes from the server, the vault is written.
        session.signIn(kPassword);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedIn, 10000);
        QVERIFY(!session.offline());
        const QByteArray key = session.cacheKey();
        QCOMPARE(key.size(), 32);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(vault.path()), 10000);
        {
            QFile f(vault.path());
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray bytes = f.readAll();
            QVERIFY(!bytes.contains("offline@example.com"));
            QVERIFY(!bytes.contains("Main Street"));
            QVERIFY(!bytes.contains(
                key.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)));
            QCOMPARE(f.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther),
                     QFileDevice::Permissions());
        }
        session.signOut();
        QVERIFY(session.cacheKey().isEmpty());

        // The server cannot be reached (nothing listens on that port any more).
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 deadPort = probe.serverPort();
        probe.close();
        conn.setUrl(QUrl(QStringLiteral("wss://127.0.0.1:%1/ws").arg(deadPort)));

        session.signIn(QStringLiteral("not the password"));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedOut, 10000);
        QVERIFY2(session.error().contains(QStringLiteral("not the one last used")),
                 qPrintable(session.error()));

        session.signIn(kPassword);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedIn, 10000);
        QVERIFY(session.offline());
        QCOMPARE(session.role(), QStringLiteral("staff"));
        QCOMPARE(session.storeNames(), QStringList{QStringLiteral("Main Street")});
        QCOMPARE(session.cacheKey(), key);
        QCOMPARE(conn.state(), app::ServerConnection::State::Offline);

        // The server is back: the password is checked, the device syncs again.
        conn.setUrl(live);
        QTRY_VERIFY_WITH_TIMEOUT(!session.offline(), 30000);
        QCOMPARE(session.state(), app::Session::State::SignedIn);
        QTRY_COMPARE_WITH_TIMEOUT(conn.state(), app::ServerConnection::State::Connected, 10000);
        QCOMPARE(session.cacheKey(), key);
        session.signOut();

        // Offline again; meanwhile an admin disables the account. When the server answers, the
        // sign-in ends and the device forgets it.
        conn.setUrl(QUrl(QStringLiteral("wss://127.0.0.1:%1/ws").arg(deadPort)));
        session.signIn(kPassword);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedIn, 10000);
        QVERIFY(session.offline());
        {
            pqxx::connection c(m_fx.db->conninfo());
            pqxx::work tx(c);
            tx.exec0("UPDATE users SET active = false WHERE email = 'offline@example.com'");
            tx.commit();
        }
        conn.setUrl(live);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedOut, 30000);
        QVERIFY2(session.error().contains(QStringLiteral("did not accept")),
                 qPrintable(session.error()));
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(vault.path()), 10000); // removed off the GUI thread
        QVERIFY(session.cacheKey().isEmpty());

        // Nobody signed in here with this address: nothing to open offline.
        conn.setUrl(QUrl(QStringLiteral("wss://127.0.0.1:%1/ws").arg(deadPort)));
        session.setEmail(QStringLiteral("stranger@example.com"));
        session.signIn(kPassword);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), app::Session::State::SignedOut, 10000);
        QVERIFY2(session.error().contains(QStringLiteral("has not signed in on this device")),
                 qPrintable(session.error()));
    }

    void appRefusesPlainWebSocketAddress()
    {
        app::ServerConnection conn(nullptr);
        conn.setAccessToken(QString::fromStdString(g_token));
        conn.setUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(m_fx.server->port())));
        conn.connectToServer();
        QCOMPARE(conn.state(), app::ServerConnection::State::Offline);
        QVERIFY(conn.lastError().contains(QStringLiteral("wss://")));
    }

private:
    cc::test::ServerFixture m_fx;
};

QTEST_GUILESS_MAIN(TestServer)
#include "tst_server.moc"
