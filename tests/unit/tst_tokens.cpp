#include "server/auth/tokens.h"
#include "shared/util/base64url.h"

#include <QTest>

#include <openssl/evp.h>
#include <openssl/hmac.h>

using namespace cc::server::auth;
using cc::domain::Role;
using cc::util::base64UrlDecode;
using cc::util::base64UrlEncode;

namespace {

const std::string kSecretA(32, 'a');
const std::string kSecretB(40, 'b');
constexpr std::int64_t kNow = 1800000000;

Claims sample()
{
    return Claims{
        "0b7e6f53-5f0c-4c1e-9f65-6b0d8f7d2a11", "org-1", Role::Manager, "sess-1", kNow, kNow + 900};
}

// Replaces one part (0 header, 1 payload, 2 signature) of a token.
std::string withPart(const std::string& token, int part, const std::string& value)
{
    const auto d1 = token.find('.');
    const auto d2 = token.find('.', d1 + 1);
    std::string parts[3] = {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1),
                            token.substr(d2 + 1)};
    parts[part] = value;
    return parts[0] + "." + parts[1] + "." + parts[2];
}

// A token with any header and payload, correctly signed: for claims the verifier must refuse
// even when the signature is right.
std::string signedToken(const std::string& header, const std::string& payload,
                        const std::string& secret)
{
    const std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
    return input + "." + base64UrlEncode(std::string(reinterpret_cast<const char*>(mac), length));
}

const std::string kHeader = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";

std::string payload(const std::string& iss, const std::string& role, const std::string& exp)
{
    return "{\"iss\":\"" + iss + "\",\"sub\":\"u\",\"org\":\"o\",\"role\":\"" + role +
           "\",\"sid\":\"s\",\"iat\":1800000000,\"exp\":" + exp + "}";
}

} // namespace

class TestTokens : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void base64url()
    {
        for (const std::string s :
             {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
            auto back = base64UrlDecode(base64UrlEncode(s));
            QVERIFY(back.has_value());
            QCOMPARE(*back, s);
        }
        QCOMPARE(base64UrlEncode("\xfb\xff"), std::string("-_8"));
        QVERIFY(!base64UrlDecode("ab+c").has_value()); // '+' is base64, not base64url
        QVERIFY(!base64UrlDecode("abc=").has_value()); // no padding
        QVERIFY(!base64UrlDecode("a").has_value());    // impossible length
        QVERIFY(!base64UrlDecode("-_9").has_value());  // non-zero trailing bits
    }

    void roundTrip()
    {
        TokenSigner signer({{"k1", kSecretA}});
        const std::string token = signer.issue(sample());
        auto claims = signer.verify(token, kNow + 10);
        QVERIFY(claims.ok());
        QCOMPARE(claims->userId, sample().userId);
        QCOMPARE(claims->organisationId, std::string("org-1"));
        QVERIFY(claims->role == Role::Manager);
        QCOMPARE(claims->sessionId, std::string("sess-1"));
        QCOMPARE(claims->expiresAt, kNow + 900);
        // The header names the algorithm and key.
        const auto header = base64UrlDecode(token.substr(0, token.find('.')));
        QVERIFY(header->find("\"alg\":\"HS256\"") != std::string::npos);
        QVERIFY(header->find("\"kid\":\"k1\"") != std::string::npos);
    }

    void expiredAndFuture()
    {
        TokenSigner signer({{"k1", kSecretA}});
        const std::string token = signer.issue(sample());
        QVERIFY(signer.verify(token, kNow + 900).error() == TokenError::Expired);
        QVERIFY(signer.verify(token, kNow + 899).ok());
        QVERIFY(signer.verify(token, kNow - 61).error() == TokenError::NotYetValid);
        QVERIFY(signer.verify(token, kNow - 59).ok()); // clock skew tolerated
    }

    void tamperedPayloadIsRefused()
    {
        TokenSigner signer({{"k1", kSecretA}});
        const std::string token = signer.issue(sample());
        auto claims = sample();
        claims.role = Role::Admin; // promote ourselves, keep the old signature
        const std::string forged = signer.issue(claims);
        const std::string mixed =
            withPart(token, 1,
                     forged.substr(forged.find('.') + 1, forged.rfind('.') - forged.find('.') - 1));
        QVERIFY(signer.verify(mixed, kNow).error() == TokenError::BadSignature);
    }

    void tamperedSignatureIsRefused()
    {
        TokenSigner signer({{"k1", kSecretA}});
        const std::string token = signer.issue(sample());
        std::string sig = token.substr(token.rfind('.') + 1);
        sig[3] = sig[3] == 'A' ? 'B' : 'A';
        QVERIFY(signer.verify(withPart(token, 2, sig), kNow).error() == TokenError::BadSignature);
        QVERIFY(signer.verify(withPart(token, 2, ""), kNow).error() == TokenError::BadSignature);
    }

    void otherAlgorithmsAreRefused()
    {
        TokenSigner signer({{"k1", kSecretA}});
        const std::string token = signer.issue(sample());
        for (const char* alg : {"none", "HS512", "RS256", "hs256"}) {
            const std::string header = base64UrlEncode(std::string("{\"alg\":\"") + alg +
                                                       "\",\"typ\":\"JWT\",\"kid\":\"k1\"}");
            QVERIFY(signer.verify(withPart(token, 0, header), kNow).error() ==
                    TokenError::UnsupportedAlgorithm);
        }
        // "alg":"none" with the signature stripped, the classic.
        const std::string none = base64UrlEncode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        QVERIFY(!signer.verify(withPart(withPart(token, 0, none), 2, ""), kNow).ok());
    }

    void keysRotate()
    {
        TokenSigner old({{"k1", kSecretA}});
        TokenSigner rotated({{"k2", kSecretB}, {"k1", kSecretA}});
        TokenSigner retired({{"k2", kSecretB}});
        const std::string byOld = old.issue(sample());
        QVERIFY(rotated.verify(byOld, kNow).ok());                              // still accepted
        QVERIFY(retired.verify(byOld, kNow).error() == TokenError::UnknownKey); // after retirement
        const std::string byNew = rotated.issue(sample());
        QVERIFY(byNew.find('.') != std::string::npos);
        QVERIFY(base64UrlDecode(byNew.substr(0, byNew.find('.')))->find("\"kid\":\"k2\"") !=
                std::string::npos);
        QVERIFY(old.verify(byNew, kNow).error() == TokenError::UnknownKey);
    }

    void sameKidOtherSecretIsRefused()
    {
        TokenSigner ours({{"k1", kSecretA}});
        TokenSigner theirs({{"k1", kSecretB}});
        QVERIFY(ours.verify(theirs.issue(sample()), kNow).error() == TokenError::BadSignature);
    }

    void malformed_data()
    {
        QTest::addColumn<QString>("token");
        QTest::newRow("empty") << "";
        QTest::newRow("one part") << "abc";
        QTest::newRow("two parts") << "abc.def";
        QTest::newRow("four parts") << "a.b.c.d";
        QTest::newRow("not base64") << "%%%.%%%.%%%";
        QTest::newRow("not json") << QString::fromStdString(base64UrlEncode("hello") + "." +
                                                            base64UrlEncode("x") + ".sig");
        QTest::newRow("huge") << QString(5000, QLatin1Char('a'));
    }

    void malformed()
    {
        QFETCH(QString, token);
        TokenSigner signer({{"k1", kSecretA}});
        QVERIFY(!signer.verify(token.toStdString(), kNow).ok());
    }

    void validlySignedButWrongClaims()
    {
        TokenSigner signer({{"k1", kSecretA}});
        // The control: a hand-made token that is right in every way verifies.
        QVERIFY(signer
                    .verify(signedToken(kHeader, payload("callcommander", "staff", "1800000900"),
                                        kSecretA),
                            kNow)
                    .ok());
        const std::string wrong[] = {
            signedToken(kHeader, payload("someone-else", "staff", "1800000900"), kSecretA),
            signedToken(kHeader, payload("callcommander", "root", "1800000900"), kSecretA),
            signedToken(kHeader, payload("callcommander", "staff", "\"1800000900\""), kSecretA),
            signedToken(kHeader, payload("callcommander", "staff", "1.8e9"), kSecretA),
            signedToken(
                kHeader,
                "{\"iss\":\"callcommander\",\"role\":\"staff\",\"iat\":1,\"exp\":1900000000}",
                kSecretA),
            signedToken(kHeader, "[1,2,3]", kSecretA),
        };
        for (const auto& token : wrong) {
            QVERIFY2(signer.verify(token, kNow).error() == TokenError::Malformed, token.c_str());
        }
        const std::string noKid =
            signedToken("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                        payload("callcommander", "staff", "1800000900"), kSecretA);
        QVERIFY(signer.verify(noKid, kNow).error() == TokenError::UnknownKey);
    }

    void parsesKeys()
    {
        const std::string a = base64UrlEncode(kSecretA);
        const std::string b = base64UrlEncode(kSecretB);
        auto keys = parseSigningKeys("k2:" + b + ", k1:" + a + "==");
        QVERIFY(keys.ok());
        QCOMPARE(keys->size(), std::size_t{2});
        QCOMPARE(keys->front().id, std::string("k2"));
        QCOMPARE(keys->back().secret, kSecretA);
        QVERIFY(!parseSigningKeys("").ok());
        QVERIFY(!parseSigningKeys("k1").ok());
        QVERIFY(!parseSigningKeys("k1:" + base64UrlEncode("short")).ok());
        QVERIFY(!parseSigningKeys("k1:" + a + ",k1:" + b).ok());
        QVERIFY(!parseSigningKeys("k1:not*base64").ok());
    }
};

QTEST_APPLESS_MAIN(TestTokens)
#include "tst_tokens.moc"
