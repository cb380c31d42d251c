#include "server/net/client_protocol.h"
#include "shared/protocol/envelope.h"

#include <QTest>

using namespace cc::server::net;
namespace proto = cc::protocol;

namespace {

ClientProtocol makeProtocol()
{
    return ClientProtocol({"node-a", "9.9.9"}, [] { return std::int64_t{1234}; });
}

std::string hello(int min = 1, int max = 1, int v = 1)
{
    return proto::encode(
        proto::Envelope{v, "h1", proto::Hello{{min, max}, "callcommander", "0.1.0", "device-1"}});
}

proto::Envelope only(const ProtocolOutcome& out)
{
    if (out.replies.size() != 1) {
        qFatal("expected exactly one reply");
    }
    auto d = proto::decode(out.replies.front());
    if (!d.ok()) {
        qFatal("reply does not decode");
    }
    return d.value();
}

} // namespace

class TestClientProtocol : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void helloGetsWelcome()
    {
        auto p = makeProtocol();
        const auto out = p.onText(hello(1, 4));
        QVERIFY(!out.closeCode);
        const auto reply = only(out);
        QCOMPARE(reply.id, std::string("h1"));
        const auto& w = std::get<proto::Welcome>(reply.body);
        QCOMPARE(w.protocol, proto::kMaxProtocolVersion);
        QCOMPARE(w.node, std::string("node-a"));
        QCOMPARE(w.serverVersion, std::string("9.9.9"));
        QCOMPARE(w.serverTimeMs, std::int64_t{1234});
        QVERIFY(p.greeted());
        QCOMPARE(p.deviceId(), std::string("device-1"));
    }

    void noCommonVersion()
    {
        auto p = makeProtocol();
        const auto out = p.onText(hello(5, 7));
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseUnsupportedVersion);
        const auto e = std::get<proto::Error>(only(out).body);
        QVERIFY(e.code == proto::ErrorCode::UnsupportedVersion);
        QVERIFY(e.supported.has_value());
        QVERIFY(!p.greeted());
    }

    void envelopeVersionUnknown()
    {
        auto p = makeProtocol();
        const auto out = p.onText(hello(1, 1, 42));
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseUnsupportedVersion);
        QVERIFY(std::get<proto::Error>(only(out).body).code ==
                proto::ErrorCode::UnsupportedVersion);
    }

    void malformedClosesWith1007()
    {
        auto p = makeProtocol();
        const auto out = p.onText("{not json");
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseMalformed);
        QVERIFY(std::get<proto::Error>(only(out).body).code == proto::ErrorCode::MalformedMessage);
    }

    void binaryIsRejected()
    {
        auto p = makeProtocol();
        QCOMPARE(p.onBinary().closeCode.value_or(0), proto::kCloseMalformed);
    }

    void somethingBeforeHello()
    {
        auto p = makeProtocol();
        const auto out = p.onText(proto::encode(proto::makeError(proto::ErrorCode::Internal, "x")));
        QCOMPARE(out.closeCode.value_or(0), proto::kClosePolicy);
        QVERIFY(std::get<proto::Error>(only(out).body).code == proto::ErrorCode::ProtocolViolation);
    }

    void secondHello()
    {
        auto p = makeProtocol();
        QVERIFY(!p.onText(hello()).closeCode);
        const auto out = p.onText(hello());
        QCOMPARE(out.closeCode.value_or(0), proto::kClosePolicy);
    }

    void unknownTypeAfterHelloStaysOpen()
    {
        auto p = makeProtocol();
        QVERIFY(!p.onText(hello()).closeCode);
        const auto out = p.onText(R"({"v":1,"id":"z","type":"teleport","body":{}})");
        QVERIFY(!out.closeCode);
        const auto reply = only(out);
        QCOMPARE(reply.id, std::string("z"));
        QVERIFY(std::get<proto::Error>(reply.body).code == proto::ErrorCode::UnknownType);
    }

    void unknownTypeBeforeHelloCloses()
    {
        auto p = makeProtocol();
        QVERIFY(p.onText(R"({"v":1,"type":"teleport","body":{}})").closeCode.has_value());
    }

    void clientSendingWelcomeIsAViolation()
    {
        auto p = makeProtocol();
        QVERIFY(!p.onText(hello()).closeCode);
        const auto out =
            p.onText(proto::encode(proto::Envelope{1, "", proto::Welcome{1, "x", "y", "z", 0}}));
        QCOMPARE(out.closeCode.value_or(0), proto::kClosePolicy);
    }

    void clippedReasonStaysValidUtf8()
    {
        auto p = makeProtocol();
        // "é" is two bytes; whatever the offset, the cut must not split one.
        for (int pad = 0; pad < 2; ++pad) {
            const std::string type = std::string(static_cast<std::size_t>(pad), 'x') + [] {
                std::string s;
                for (int i = 0; i < 60; ++i) { // 120 bytes
                    s += "\xc3\xa9";
                }
                return s;
            }();
            const auto out = p.onText(R"({"v":1,"type":")" + type + R"(","body":{}})");
            QVERIFY(out.closeCode.has_value());
            QVERIFY(out.closeReason.size() <= 123);
            QVERIFY(QString::fromUtf8(out.closeReason.data(),
                                      static_cast<qsizetype>(out.closeReason.size()))
                        .toUtf8() == QByteArray::fromStdString(out.closeReason));
        }
    }

    void longReasonIsClipped()
    {
        auto p = makeProtocol();
        const std::string longType(120, 't');
        const auto out = p.onText(R"({"v":1,"type":")" + longType + R"(","body":{}})");
        QVERIFY(out.closeCode.has_value());
        QVERIFY(out.closeReason.size() <= 123);
    }
};

QTEST_APPLESS_MAIN(TestClientProtocol)
#include "tst_clientprotocol.moc"
