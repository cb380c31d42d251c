#include "server/auth/requests.h"

#include <QTest>

using namespace cc::server::auth;

class TestRequests : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void login()
    {
        auto r = parseLoginRequest(
            "application/json; charset=utf-8",
            R"({"organisation":"acme","email":"a@b.c","password":"pw","deviceId":"t1","extra":1})");
        QVERIFY(r.ok());
        QCOMPARE(r->organisation, std::string("acme"));
        QCOMPARE(r->email, std::string("a@b.c"));
        QCOMPARE(r->password, std::string("pw"));
        QCOMPARE(r->deviceId, std::string("t1"));
        QVERIFY(r->sourceIp.empty()); // the server fills it in, never the client
    }

    void loginRefusals_data()
    {
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("not json type") << "text/plain"
                                       << "{}"
                                       << "Content-Type";
        QTest::newRow("not json") << "application/json"
                                  << "{nope"
                                  << "JSON object";
        QTest::newRow("array") << "application/json"
                               << "[]"
                               << "JSON object";
        QTest::newRow("missing") << "application/json"
                                 << R"({"organisation":"a"})"
                                 << "\"email\"";
        QTest::newRow("number") << "application/json"
                                << R"({"organisation":1,"email":"a","password":"p","deviceId":"d"})"
                                << "\"organisation\"";
        QTest::newRow("empty") << "application/json"
                               << R"({"organisation":"","email":"a","password":"p","deviceId":"d"})"
                               << "1 to 64";
        QTest::newRow("too deep") << "application/json"
                                  << R"({"a":{"b":{"c":{"d":{"e":1}}}}})"
                                  << "JSON object";
    }

    void loginRefusals()
    {
        QFETCH(QString, contentType);
        QFETCH(QString, body);
        QFETCH(QString, mentions);
        auto r = parseLoginRequest(contentType.toStdString(), body.toStdString());
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error().message).contains(mentions),
                 r.error().message.c_str());
    }

    void tooLongFieldsAndBodies()
    {
        const std::string longPassword(257, 'p');
        // (Plain escaped strings here: Qt 6.4's moc misreads raw strings that end in a quote.)
        auto r = parseLoginRequest("application/json",
                                   "{\"organisation\":\"a\",\"email\":\"b\",\"password\":\"" +
                                       longPassword + "\",\"deviceId\":\"d\"}");
        QVERIFY(!r.ok());
        QVERIFY(r.error().message.find(longPassword) == std::string::npos); // value not echoed
        const std::string huge = "{\"refreshToken\":\"" + std::string(kMaxAuthBody, 'x') + "\"}";
        QCOMPARE(parseRefreshRequest("application/json", huge).error().message,
                 std::string("request body too large"));
    }

    void refresh()
    {
        auto r = parseRefreshRequest("application/json", R"({"refreshToken":"abc"})");
        QVERIFY(r.ok());
        QCOMPARE(r.value(), std::string("abc"));
        QVERIFY(!parseRefreshRequest("application/json", R"({"refreshToken":7})").ok());
    }
};

QTEST_APPLESS_MAIN(TestRequests)
#include "tst_requests.moc"
