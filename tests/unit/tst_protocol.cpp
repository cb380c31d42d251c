#include "shared/protocol/envelope.h"

#include <QTest>

using namespace cc::protocol;

class TestProtocol : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void helloRoundTrip()
    {
        const Envelope sent{
            1, "c-1",
            Hello{{1, 3}, "callcommander", "0.1.0", "dev-42", "tok.en.x", {"wildcard-tombstones"}}};
        const std::string wire = encode(sent);
        QVERIFY(wire.find("\"type\":\"hello\"") != std::string::npos);
        QVERIFY(wire.find("\"v\":1") != std::string::npos);
        auto back = decode(wire);
        QVERIFY(back.ok());
        QVERIFY(back.value() == sent);
    }

    void welcomeAndErrorRoundTrip()
    {
        const Envelope reauth{1, "r", Reauth{"a.b.c"}};
        auto r = decode(encode(reauth));
        QVERIFY(r.ok());
        QVERIFY(r.value() == reauth);
        QVERIFY(!decode(R"({"v":1,"type":"reauth","body":{}})").ok()); // token required

        const Envelope welcome{
            1, "c-1",
            Welcome{1, "callcommander-server", "0.1.0", "n1", 1700000000123, "u-1", "manager"}};
        auto w = decode(encode(welcome));
        QVERIFY(w.ok());
        QVERIFY(w.value() == welcome);

        const Envelope error = makeError(ErrorCode::UnsupportedVersion, "no", "x");
        auto e = decode(encode(error));
        QVERIFY(e.ok());
        const auto& body = std::get<Error>(e.value().body);
        QVERIFY(body.code == ErrorCode::UnsupportedVersion);
        QVERIFY(body.supported.has_value());
        QCOMPARE(body.supported->min, kMinProtocolVersion);
        QCOMPARE(body.supported->max, kMaxProtocolVersion);
    }

    void idIsOptional()
    {
        auto r = decode(
            R"({"v":1,"type":"hello","body":{"protocol":{"min":1,"max":1},"client":"a","clientVersion":"b","deviceId":"c"}})");
        QVERIFY(r.ok());
        QVERIFY(r.value().id.empty());
    }

    void unknownFieldsAreIgnored()
    {
        auto r = decode(
            R"({"v":1,"type":"hello","future":[1,2],"body":{"protocol":{"min":1,"max":2},"client":"a","clientVersion":"b","deviceId":"c","extra":{}}})");
        QVERIFY(r.ok());
        QCOMPARE(std::get<Hello>(r.value().body).protocol.max, 2);
    }

    void rejectsBadInput_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("mentions");
        const int malformed = static_cast<int>(ErrorCode::MalformedMessage);
        QTest::newRow("not json") << "{oops" << malformed << "not valid JSON";
        QTest::newRow("empty") << "" << malformed << "not valid JSON";
        QTest::newRow("array") << "[1,2]" << malformed << "must be an object";
        QTest::newRow("no v") << R"({"type":"hello","body":{}})" << malformed << "\"v\"";
        QTest::newRow("v string") << R"({"v":"1","type":"hello","body":{}})" << malformed
                                  << "integer";
        QTest::newRow("no type") << R"({"v":1,"body":{}})" << malformed << "\"type\"";
        QTest::newRow("body not object")
            << R"({"v":1,"type":"hello","body":3})" << malformed << "body";
        QTest::newRow("hello without protocol")
            << R"({"v":1,"type":"hello","body":{"client":"a","clientVersion":"b","deviceId":"c"}})"
            << malformed << "protocol";
        QTest::newRow("range inverted")
            << R"({"v":1,"type":"hello","body":{"protocol":{"min":3,"max":1},"client":"a","clientVersion":"b","deviceId":"c"}})"
            << malformed << "min is greater";
        QTest::newRow("client not string")
            << R"({"v":1,"type":"hello","body":{"protocol":{"min":1,"max":1},"client":5,"clientVersion":"b","deviceId":"c"}})"
            << malformed << "must be a string";
        QTest::newRow("features not a list")
            << R"({"v":1,"type":"hello","body":{"protocol":{"min":1,"max":1},"client":"a","clientVersion":"b","deviceId":"c","features":"all"}})"
            << malformed << "features";
        QTest::newRow("feature not a name")
            << R"({"v":1,"type":"hello","body":{"protocol":{"min":1,"max":1},"client":"a","clientVersion":"b","deviceId":"c","features":[7]}})"
            << malformed << "feature";
        QTest::newRow("too many features")
            << R"({"v":1,"type":"hello","body":{"protocol":{"min":1,"max":1},"client":"a","clientVersion":"b","deviceId":"c","features":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}})"
            << malformed << "at most 16";
        QTest::newRow("negative version")
            << R"({"v":-1,"type":"hello","body":{}})" << malformed << "out of range";
        QTest::newRow("unsupported version")
            << R"({"v":99,"id":"q","type":"hello","body":{}})"
            << static_cast<int>(ErrorCode::UnsupportedVersion) << "99";
        QTest::newRow("unknown type") << R"({"v":1,"type":"teleport","body":{}})"
                                      << static_cast<int>(ErrorCode::UnknownType) << "teleport";
    }

    void rejectsBadInput()
    {
        QFETCH(QString, text);
        QFETCH(int, code);
        QFETCH(QString, mentions);
        auto r = decode(text.toStdString());
        QVERIFY(!r.ok());
        QCOMPARE(static_cast<int>(r.error().code), code);
        QVERIFY2(QString::fromStdString(r.error().message).contains(mentions),
                 r.error().message.c_str());
    }

    void keepsIdOfRejectedMessage()
    {
        auto r = decode(R"({"v":99,"id":"abc","type":"hello","body":{}})");
        QVERIFY(!r.ok());
        QCOMPARE(r.error().id, std::string("abc"));
        QCOMPARE(r.error().version.value_or(0), 99);
    }

    void boundsStringLengths()
    {
        const std::string longId(kMaxIdLength + 1, 'x');
        auto r = decode(R"({"v":1,"id":")" + longId + R"(","type":"hello","body":{}})");
        QVERIFY(!r.ok());
        QVERIFY(r.error().message.find("longer than") != std::string::npos);

        const std::string okId(kMaxIdLength, 'x');
        auto ok = decode(
            R"({"v":1,"id":")" + okId +
            R"(","type":"hello","body":{"protocol":{"min":1,"max":1},"client":"a","clientVersion":"b","deviceId":"c"}})");
        QVERIFY(ok.ok());
    }

    void boundsNestingDepth()
    {
        std::string deep = R"({"v":1,"type":"hello","body":{"x":)";
        for (int i = 0; i < 100; ++i) {
            deep += "[";
        }
        for (int i = 0; i < 100; ++i) {
            deep += "]";
        }
        deep += "}}";
        auto r = decode(deep);
        QVERIFY(!r.ok());
        QVERIFY(r.error().code == ErrorCode::MalformedMessage);
    }

    void escapesStrings()
    {
        const Envelope sent{
            1, "",
            Error{ErrorCode::Internal, "quote \" backslash \\ newline \n <tag>", std::nullopt}};
        auto r = decode(encode(sent));
        QVERIFY(r.ok());
        QVERIFY(r.value() == sent);
    }

    void unknownErrorCodeFromNewerPeer()
    {
        auto r = decode(
            R"({"v":1,"type":"error","body":{"code":"quota_exceeded","message":"slow down"}})");
        QVERIFY(r.ok());
        const auto& e = std::get<Error>(r.value().body);
        QVERIFY(e.code == ErrorCode::Internal);
        QCOMPARE(e.message, std::string("quota_exceeded: slow down"));
    }

    void negotiation()
    {
        QCOMPARE(negotiate({1, 3}, {2, 5}).value_or(-1), 3);
        QCOMPARE(negotiate({1, 1}, {1, 1}).value_or(-1), 1);
        QVERIFY(!negotiate({1, 2}, {3, 4}).has_value());
        QVERIFY(!negotiate({3, 4}, {1, 2}).has_value());
    }
};

QTEST_APPLESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
