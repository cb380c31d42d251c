#include "server/ops/config.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace cc::server::ops;

namespace {
const std::string kMinimal =
    "tls.cert = /etc/cc/cert.pem\n"
    "tls.key = /etc/cc/key.pem\n"
    "db.conninfo = host=127.0.0.1 password=s3cret dbname=cc\n"
    "auth.token_keys = k1:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\n";
}

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
            {"CALLCOMMANDER_AUTH_TOKEN_KEYS", "k1:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}};
        auto c = loadConfig(std::nullopt, env);
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        QCOMPARE(c->tlsCertFile, std::string("c.pem"));
        QCOMPARE(c->tokenKeys.size(), std::size_t{1});
        QCOMPARE(c->tokenKeys.front().id, std::string("k1"));
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
        auto c = parseConfig(kMinimal + "\nlisten.port = x\n", "/etc/cc.conf", {});
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.find("/etc/cc.conf:6:") == 0, c.error().message.c_str());
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
