#include "server/ops/config.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace cc::server::ops;

namespace {
const std::string kMinimal = "tls.cert = /etc/cc/cert.pem\n"
                             "tls.key = /etc/cc/key.pem\n"
                             "db.conninfo = host=127.0.0.1 password=s3cret dbname=cc\n"
                             "auth.token_keys = k1:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\n"
                             "secrets.keys = s1:Y29uZmlnLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM\n";

// The same minimal config without secrets.keys, and more 32-byte keys ("config-test-secrets-
// key-32-bytes" is s1's; the other is "another-config-secrets-key-32byt").
const std::string kNoSecretKeys =
    "tls.cert = a\ntls.key = b\ndb.conninfo = dbname=x\n"
    "auth.token_keys = k1:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\n";
const std::string kSecretKeyS1 = "Y29uZmlnLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM";
const std::string kSecretKeyS2 = "YW5vdGhlci1jb25maWctc2VjcmV0cy1rZXktMzJieXQ";
} // namespace

class TestConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesFileWithCommentsAndQuotes()
    {
        const std::string text = "# a comment\n\n" + kMinimal +
                                 "listen.port = 9443   # trailing comment\n"
                                 "server.node = \"node a\"\n"
                                 "log.level = debug\n"
                                 "log.format = json\n"
                                 "timeouts.idle_seconds = 90\n";
        auto c = parseConfig(text, "test.conf", {});
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        QCOMPARE(c->listenPort, std::uint16_t{9443});
        QCOMPARE(c->nodeName, std::string("node a"));
        QVERIFY(c->logLevel == LogLevel::Debug);
        QVERIFY(c->logFormat == LogFormat::Json);
        QCOMPARE(c->idleTimeout, std::chrono::seconds(90));
        QCOMPARE(c->dbConninfo, std::string("host=127.0.0.1 password=s3cret dbname=cc"));
        QCOMPARE(c->listenAddress, std::string("127.0.0.1")); // default kept
    }

    void hashInsideValues()
    {
        auto c = parseConfig(kMinimal + "db.conninfo = \"host=h password=a#b dbname=x\"  # note\n"
                                        "server.node = node#7 # trailing\n",
                             "test.conf", {});
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        QCOMPARE(c->dbConninfo, std::string("host=h password=a#b dbname=x"));
        QCOMPARE(c->nodeName, std::string("node#7"));
    }

    void timeoutsHaveAMinimum()
    {
        QVERIFY(!parseConfig(kMinimal + "timeouts.idle_seconds = 0\n", "f", {}).ok());
        QVERIFY(!parseConfig(kMinimal + "timeouts.handshake_seconds = 0\n", "f", {}).ok());
        QVERIFY(parseConfig(kMinimal + "shutdown.grace_seconds = 0\n", "f", {}).ok());
    }

    void environmentWins()
    {
        const Environment env{{"CALLCOMMANDER_LISTEN_PORT", "7000"},
                              {"CALLCOMMANDER_DB_POOL_SIZE", "8"},
                              {"CALLCOMMANDER_TEST_PG", "not a server setting"}};
        auto c = parseConfig(kMinimal + "listen.port = 9443\n", "test.conf", env);
        QVERIFY(c.ok());
        QCOMPARE(c->listenPort, std::uint16_t{7000});
        QCOMPARE(c->dbPoolSize, std::size_t{8});
        QCOMPARE(c->warnings.size(), std::size_t{1});
        QVERIFY(c->warnings[0].find("CALLCOMMANDER_TEST_PG") != std::string::npos);
    }

    void everythingFromEnvironment()
    {
        const Environment env{
            {"CALLCOMMANDER_TLS_CERT", "c.pem"},
            {"CALLCOMMANDER_TLS_KEY", "k.pem"},
            {"CALLCOMMANDER_DB_CONNINFO", "dbname=x"},
            {"CALLCOMMANDER_AUTH_TOKEN_KEYS", "k1:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
            {"CALLCOMMANDER_SECRETS_KEYS", "s1:" + kSecretKeyS1}};
        auto c = loadConfig(std::nullopt, env);
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        QCOMPARE(c->tlsCertFile, std::string("c.pem"));
        QCOMPARE(c->tokenKeys.size(), std::size_t{1});
        QCOMPARE(c->tokenKeys.front().id, std::string("k1"));
        QCOMPARE(c->secretKeys.size(), std::size_t{1});
        QCOMPARE(c->secretKeys.front().id, std::string("s1"));
        QVERIFY(c->warnings.empty()); // CALLCOMMANDER_SECRETS_KEYS is a known setting
    }

    void parsesSecretKeys()
    {
        // Padded base64 (as basenc prints it) and spaces around items are accepted; the order
        // is kept, because the first key seals.
        auto c = parseConfig(kNoSecretKeys + "secrets.keys = s2:" + kSecretKeyS2 +
                                 "= ,  s1:" + kSecretKeyS1 + "\n",
                             "f", {});
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        QCOMPARE(c->secretKeys.size(), std::size_t{2});
        QCOMPARE(c->secretKeys[0].id, std::string("s2"));
        QCOMPARE(c->secretKeys[1].id, std::string("s1"));
        const std::string s2(reinterpret_cast<const char*>(c->secretKeys[0].bytes.data()),
                             c->secretKeys[0].bytes.size());
        QCOMPARE(s2, std::string("another-config-secrets-key-32byt"));
        const std::string s1(reinterpret_cast<const char*>(c->secretKeys[1].bytes.data()),
                             c->secretKeys[1].bytes.size());
        QCOMPARE(s1, std::string("config-test-secrets-key-32-bytes"));

        auto longKid = parseConfig(kNoSecretKeys + "secrets.keys = " + std::string(32, 'k') + ":" +
                                       kSecretKeyS1 + "\n",
                                   "f", {});
        QVERIFY2(longKid.ok(), longKid.ok() ? "" : longKid.error().message.c_str());
        QCOMPARE(longKid->secretKeys.front().id, std::string(32, 'k'));
    }

    void secretKeysFromEnvironmentWin()
    {
        auto c =
            parseConfig(kMinimal, "f", {{"CALLCOMMANDER_SECRETS_KEYS", "env2:" + kSecretKeyS2}});
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        QCOMPARE(c->secretKeys.size(), std::size_t{1});
        QCOMPARE(c->secretKeys.front().id, std::string("env2"));

        // A bad environment value is named by its variable, like any other.
        auto bad = parseConfig(kMinimal, "f", {{"CALLCOMMANDER_SECRETS_KEYS", "env2:c2hvcnQ"}});
        QVERIFY(!bad.ok());
        QVERIFY2(bad.error().message.find("environment CALLCOMMANDER_SECRETS_KEYS") == 0,
                 bad.error().message.c_str());
        QVERIFY(bad.error().message.find("c2hvcnQ") == std::string::npos);
    }

    void requiresSecretKeys()
    {
        auto c = parseConfig(kNoSecretKeys, "f", {});
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.find("secrets.keys is required") != std::string::npos,
                 c.error().message.c_str());
    }

    void rejectsSecretKeys_data()
    {
        // Each value holds a recognisable secret part that must not come back in the error.
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("secretPart");
        QTest::addColumn<QString>("mentions");
        const QString s1 = QString::fromStdString(kSecretKeyS1);
        const QString s2 = QString::fromStdString(kSecretKeyS2);
        QTest::newRow("empty") << QString() << QStringLiteral("none") << "no secret key";
        QTest::newRow("only commas") << ", ," << QStringLiteral("none") << "no secret key";
        QTest::newRow("no kid") << s1 << s1 << "secret key 1 is not written kid:key";
        QTest::newRow("empty kid") << ":" + s1 << s1 << "secret key 1: the kid must be";
        QTest::newRow("kid too long")
            << QString(33, QLatin1Char('k')) + ":" + s1 << s1 << "secret key 1: the kid must be";
        QTest::newRow("kid with a dot") << "a.b:" + s1 << s1 << "secret key 1: the kid must be";
        // A key pasted before the colon must not be echoed as if it were a kid.
        QTest::newRow("key as kid")
            << "s1:" + s1 + ", " + s2 + ":s2" << s2 << "secret key 2: the kid must be";
        QTest::newRow("not base64url") << "s1:" + s1.left(40) + "+/A" << s1.left(40)
                                       << "secret key s1: the key is not base64url";
        QTest::newRow("too short") << "s1:MDEyMzQ1Njc4OWFiY2RlZg"
                                   << "MDEyMzQ1Njc4OWFiY2RlZg"
                                   << "secret key s1: the key must be exactly 32 bytes, not 16";
        QTest::newRow("too long") << "s1:" + s1 + "AAAA" << s1
                                  << "secret key s1: the key must be exactly 32 bytes, not 35";
        QTest::newRow("duplicate kid")
            << "s1:" + s1 + ",s1:" + s2 << s2 << "secret key s1 appears twice";
    }

    void rejectsSecretKeys()
    {
        QFETCH(QString, value);
        QFETCH(QString, secretPart);
        QFETCH(QString, mentions);
        auto c = parseConfig(kNoSecretKeys + "secrets.keys = " + value.toStdString() + "\n",
                             "test.conf", {});
        QVERIFY(!c.ok());
        const QString message = QString::fromStdString(c.error().message);
        QVERIFY2(message.startsWith(QStringLiteral("test.conf:5: invalid value for secrets.keys")),
                 qPrintable(message));
        QVERIFY2(message.contains(mentions), qPrintable(message));
        QVERIFY2(!message.contains(secretPart), qPrintable(message));
    }

    void rejects_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown key") << "listen.prot = 1\n"
                                     << "test.conf:1: unknown key \"listen.prot\"";
        QTest::newRow("no equals") << "listen.port 1\n"
                                   << "test.conf:1: expected";
        QTest::newRow("port too big") << "\nlisten.port = 70000\n"
                                      << "test.conf:2: invalid value for listen.port";
        QTest::newRow("port not a number") << "listen.port = 80a\n"
                                           << "invalid value for listen.port";
        QTest::newRow("negative") << "db.pool_size = -1\n"
                                  << "invalid value for db.pool_size";
        QTest::newRow("pool zero") << "db.pool_size = 0\n"
                                   << "invalid value for db.pool_size";
        QTest::newRow("bad level") << "log.level = loud\n"
                                   << "debug, info, warn or error";
    }

    void rejects()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        auto c = parseConfig(kMinimal + text.toStdString(), "test.conf", {});
        QVERIFY(!c.ok());
        // Line numbers count from the start of the whole text: shift by the minimal lines.
        QString message = QString::fromStdString(c.error().message);
        message.replace(QRegularExpression(QStringLiteral(":(\\d+):")), QStringLiteral(":N:"));
        QString expected = mentions;
        expected.replace(QRegularExpression(QStringLiteral(":(\\d+):")), QStringLiteral(":N:"));
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void errorNamesTheLine()
    {
        // kMinimal is five lines, then a blank one.
        auto c = parseConfig(kMinimal + "\nlisten.port = x\n", "/etc/cc.conf", {});
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.find("/etc/cc.conf:7:") == 0, c.error().message.c_str());
    }

    void badEnvironmentValue()
    {
        auto c = parseConfig(kMinimal, "f", {{"CALLCOMMANDER_LISTEN_PORT", "http"}});
        QVERIFY(!c.ok());
        QVERIFY(c.error().message.find("CALLCOMMANDER_LISTEN_PORT") != std::string::npos);
    }

    void requiresTlsAndDatabase()
    {
        auto noTls = parseConfig("db.conninfo = dbname=x\n", "f", {});
        QVERIFY(!noTls.ok());
        QVERIFY(noTls.error().message.find("tls") != std::string::npos);
        auto noDb = parseConfig("tls.cert = a\ntls.key = b\n", "f", {});
        QVERIFY(!noDb.ok());
        QVERIFY(noDb.error().message.find("db.conninfo") != std::string::npos);
    }

    void requiresSigningKeys()
    {
        auto c = parseConfig("tls.cert = a\ntls.key = b\ndb.conninfo = dbname=x\n", "f", {});
        QVERIFY(!c.ok());
        QVERIFY(c.error().message.find("auth.token_keys") != std::string::npos);
        const std::string weak = "tls.cert = a\ntls.key = b\ndb.conninfo = dbname=x\n"
                                 "auth.token_keys = k1:c2hvcnQ\n";
        auto w = parseConfig(weak, "f", {});
        QVERIFY(!w.ok());
        QVERIFY(w.error().message.find("c2hvcnQ") == std::string::npos); // the secret is not echoed
    }

    void metricsTokenAndTrustedProxies()
    {
        auto c = parseConfig(kMinimal, "f", {});
        QVERIFY(c.ok());
        QVERIFY(c.value().metricsToken.empty()); // /metrics is off unless a token is set
        QVERIFY(c.value().trustedProxies.empty());
        const std::string token = "scrape-0123456789abcdef0123456789abcdef";
        auto on = parseConfig(kMinimal + "net.trusted_proxies = 10.0.0.5, ::1 ,192.168.1.2\n", "f",
                              {{"CALLCOMMANDER_METRICS_TOKEN", token}});
        QVERIFY(on.ok());
        QCOMPARE(on.value().metricsToken, token);
        QCOMPARE(on.value().trustedProxies,
                 (std::vector<std::string>{"10.0.0.5", "::1", "192.168.1.2"}));
        // Written as the socket writes it, so a comparison with a peer's address holds.
        auto v6 = parseConfig(kMinimal + "net.trusted_proxies = 2001:DB8:0:0::1\n", "f", {});
        QVERIFY(v6.ok());
        QCOMPARE(v6.value().trustedProxies, (std::vector<std::string>{"2001:db8::1"}));

        auto shortToken = parseConfig(kMinimal + "metrics.token = tooshort-4242\n", "f", {});
        QVERIFY(!shortToken.ok());
        QVERIFY(shortToken.error().message.find("metrics.token") != std::string::npos);
        QVERIFY(shortToken.error().message.find("tooshort-4242") == std::string::npos);
        auto spaced = parseConfig(
            kMinimal, "f",
            {{"CALLCOMMANDER_METRICS_TOKEN", "a token with spaces in it that is long enough"}});
        QVERIFY(!spaced.ok());
        for (const char* bad : {"10.0.0.300", "proxy.example.com", "10.0.0.0/8", "10.0.0.1;"}) {
            auto b =
                parseConfig(kMinimal + "net.trusted_proxies = 10.0.0.5," + bad + "\n", "f", {});
            QVERIFY2(!b.ok(), bad);
            QVERIFY(b.error().message.find("net.trusted_proxies") != std::string::npos);
        }
    }

    void secretsStayOutOfErrors()
    {
        auto c = parseConfig(kMinimal, "f", {{"CALLCOMMANDER_DB_POOL_SIZE", "hunter2"}});
        QVERIFY(!c.ok());
        QVERIFY(c.error().message.find("hunter2") == std::string::npos);
    }

    void loadsFromFile()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("server.conf")).toStdString();
        std::ofstream(path) << kMinimal << "listen.port = 1234\n";
        auto c = loadConfig(path, {});
        QVERIFY(c.ok());
        QCOMPARE(c->listenPort, std::uint16_t{1234});

        auto missing = loadConfig(path + ".nope", {});
        QVERIFY(!missing.ok());
        QVERIFY(missing.error().message.find("cannot open") != std::string::npos);
    }

    void redactsConninfo()
    {
        QCOMPARE(redactConninfo("host=h password=s3cret dbname=x"),
                 std::string("host=h password=*** dbname=x"));
        QCOMPARE(redactConninfo("host=h PASSWORD = 'a b\\' c' dbname=x"),
                 std::string("host=h PASSWORD = *** dbname=x"));
        QCOMPARE(redactConninfo("postgresql://user:s3cret@host:5432/db"),
                 std::string("postgresql://user:***@host:5432/db"));
        QCOMPARE(redactConninfo("host=h dbname=x"), std::string("host=h dbname=x"));
    }
};

QTEST_APPLESS_MAIN(TestConfig)
#include "tst_config.moc"
