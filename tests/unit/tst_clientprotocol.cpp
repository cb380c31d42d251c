#include "server/net/client_protocol.h"
#include "shared/protocol/envelope.h"

#include <QTest>

using namespace cc::server::net;
namespace proto = cc::protocol;

namespace {

constexpr std::int64_t kNowSeconds = 1800000000;
const cc::server::auth::TokenSigner& signer()
{
    static const cc::server::auth::TokenSigner s({{"k1", std::string(32, 'k')}});
    return s;
}

std::string token(const std::string& user = "user-1", const std::string& session = "sess-1",
                  std::int64_t expiresAt = kNowSeconds + 900)
{
    return signer().issue(
        {user, "org-1", cc::domain::Role::Staff, session, kNowSeconds, expiresAt});
}

ClientProtocol makeProtocol()
{
    return ClientProtocol(
        {"node-a", "9.9.9"}, [] { return kNowSeconds * 1000 + 234; }, signer());
}

std::string hello(int min = 1, int max = 1, int v = 1, std::string accessToken = token())
{
    return proto::encode(proto::Envelope{
        v, "h1",
        proto::Hello{
            {min, max}, "callcommander", "0.1.0", "device-1", std::move(accessToken), {}}});
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

// hello, and the session check says the sign-in is live.
void greet(ClientProtocol& p)
{
    const auto checking = p.onText(hello());
    if (!checking.checkSession || checking.closeCode) {
        qFatal("hello did not ask for a session check");
    }
    const auto welcomed = p.completeSessionCheck(true);
    if (!p.greeted() || welcomed.replies.size() != 1) {
        qFatal("no welcome");
    }
}

} // namespace

class TestClientProtocol : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void helloGetsWelcomeOnceTheSessionIsLive()
    {
        auto p = makeProtocol();
        const auto checking = p.onText(hello(1, 4));
        QVERIFY(!checking.closeCode);
        QVERIFY(checking.replies.empty()); // nothing until the database has answered
        QVERIFY(checking.checkSession.has_value());
        QCOMPARE(checking.checkSession->userId, std::string("user-1"));
        QCOMPARE(checking.checkSession->sessionId, std::string("sess-1"));
        QVERIFY(!p.greeted());

        const auto out = p.completeSessionCheck(true);
        const auto reply = only(out);
        QCOMPARE(reply.id, std::string("h1"));
        const auto& w = std::get<proto::Welcome>(reply.body);
        QCOMPARE(w.protocol, proto::kMaxProtocolVersion);
        QCOMPARE(w.node, std::string("node-a"));
        QCOMPARE(w.serverVersion, std::string("9.9.9"));
        QCOMPARE(w.serverTimeMs, kNowSeconds * 1000 + 234);
        QCOMPARE(w.userId, std::string("user-1"));
        QCOMPARE(w.role, std::string("staff"));
        QVERIFY(p.greeted());
        QCOMPARE(p.deviceId(), std::string("device-1"));
    }

    void helloWithoutTokenIsRefused()
    {
        auto p = makeProtocol();
        const auto out = p.onText(hello(1, 1, 1, ""));
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseUnauthenticated);
        QVERIFY(std::get<proto::Error>(only(out).body).code == proto::ErrorCode::Unauthenticated);
        QVERIFY(!out.checkSession);
    }

    void badTokensAreRefused_data()
    {
        QTest::addColumn<QString>("accessToken");
        QTest::newRow("garbage") << "not-a-token";
        QTest::newRow("expired") << QString::fromStdString(
            token("user-1", "sess-1", kNowSeconds - 1));
        const cc::server::auth::TokenSigner other({{"k1", std::string(32, 'x')}});
        QTest::newRow("foreign key") << QString::fromStdString(other.issue(
            {"user-1", "org-1", cc::domain::Role::Admin, "s", kNowSeconds, kNowSeconds + 60}));
    }

    void badTokensAreRefused()
    {
        QFETCH(QString, accessToken);
        auto p = makeProtocol();
        const auto out = p.onText(hello(1, 1, 1, accessToken.toStdString()));
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseUnauthenticated);
        QVERIFY(!out.checkSession);
        QVERIFY(!p.greeted());
    }

    void revokedSessionIsRefused()
    {
        auto p = makeProtocol();
        QVERIFY(p.onText(hello()).checkSession.has_value());
        const auto out = p.completeSessionCheck(false);
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseUnauthenticated);
        QVERIFY(!p.greeted());
    }

    void databaseDownMeansComeBackLater()
    {
        auto p = makeProtocol();
        QVERIFY(p.onText(hello()).checkSession.has_value());
        const auto out = p.sessionCheckUnavailable();
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseTryAgainLater);
        QVERIFY(std::get<proto::Error>(only(out).body).code == proto::ErrorCode::NotReady);
    }

    void nothingWhileTheCheckIsPending()
    {
        auto p = makeProtocol();
        QVERIFY(p.onText(hello()).checkSession.has_value());
        // Not even a message that would be fine once greeted.
        const auto out = p.onText(R"({"v":1,"id":"z","type":"teleport","body":{}})");
        QCOMPARE(out.closeCode.value_or(0), proto::kClosePolicy);
        QVERIFY(std::get<proto::Error>(only(out).body).code == proto::ErrorCode::ProtocolViolation);
    }

    void reauthExtendsTheSameSignIn()
    {
        auto p = makeProtocol();
        greet(p);
        const std::string fresh = token("user-1", "sess-1", kNowSeconds + 1800);
        const auto out = p.onText(proto::encode(proto::Envelope{1, "r1", proto::Reauth{fresh}}));
        QVERIFY(!out.closeCode);
        QVERIFY(out.checkSession.has_value());
        QVERIFY(p.completeSessionCheck(true).replies.empty());
        QCOMPARE(p.principal()->expiresAt, kNowSeconds + 1800);
    }

    void syncGoesOnWhileAReauthIsChecked()
    {
        auto p = makeProtocol();
        greet(p);
        const std::string fresh = token("user-1", "sess-1", kNowSeconds + 1800);
        QVERIFY(p.onText(proto::encode(proto::Envelope{1, "r1", proto::Reauth{fresh}}))
                    .checkSession.has_value());
        // A pull or push racing the reauth is carried out, not treated as a violation...
        const auto pull = p.onText(proto::encode(proto::Envelope{1, "", proto::Pull{7}}));
        QVERIFY(!pull.closeCode);
        QVERIFY(pull.sync.has_value());
        QVERIFY(std::holds_alternative<proto::Pull>(pull.sync->body));
        const auto sub =
            p.onText(proto::encode(proto::Envelope{1, "s1", proto::Subscribe{3, "k"}}));
        QVERIFY(sub.sync.has_value());
        QCOMPARE(sub.sync->id, std::string("s1"));
        // ...but a second reauth must wait for the answer to the first.
        const auto again = p.onText(proto::encode(proto::Envelope{1, "r2", proto::Reauth{fresh}}));
        QCOMPARE(again.closeCode.value_or(0), proto::kClosePolicy);
    }

    void syncBeforeHelloIsAViolation()
    {
        auto p = makeProtocol();
        const auto out = p.onText(proto::encode(proto::Envelope{1, "s", proto::Subscribe{}}));
        QCOMPARE(out.closeCode.value_or(0), proto::kClosePolicy);
        QVERIFY(!out.sync.has_value());
    }

    void reauthAsSomeoneElseIsRefused()
    {
        auto p = makeProtocol();
        greet(p);
        const auto out = p.onText(
            proto::encode(proto::Envelope{1, "r1", proto::Reauth{token("user-2", "sess-1")}}));
        QCOMPARE(out.closeCode.value_or(0), proto::kCloseUnauthenticated);
        auto q = makeProtocol();
        greet(q);
        QCOMPARE(q.onText(proto::encode(
                              proto::Envelope{1, "r2", proto::Reauth{token("user-1", "sess-9")}}))
                     .closeCode.value_or(0),
                 proto::kCloseUnauthenticated);
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
        greet(p);
        const auto out = p.onText(hello());
        QCOMPARE(out.closeCode.value_or(0), proto::kClosePolicy);
    }

    void unknownTypeAfterHelloStaysOpen()
    {
        auto p = makeProtocol();
        greet(p);
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
        greet(p);
        const auto out = p.onText(proto::encode(
            proto::Envelope{1, "", proto::Welcome{1, "x", "y", "z", 0, "u", "staff"}}));
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
