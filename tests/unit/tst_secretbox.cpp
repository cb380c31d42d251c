#include "server/crypto/secretbox.h"
#include "shared/util/base64url.h"

#include <QTest>

#include <cctype>
#include <cstring>
#include <new>
#include <random>
#include <set>
#include <stdexcept>

using namespace cc::server::crypto;
using cc::util::base64UrlDecode;
using cc::util::base64UrlEncode;

namespace {

const std::string kAad = "twilio.auth_token:0b7e6f53-5f0c-4c1e-9f65-6b0d8f7d2a11";
const std::string kOtherOrgAad = "twilio.auth_token:5d1c0a2e-7f3b-4a8e-b1d2-9c4e6f8a0b13";
const std::string kSecret = "twilio-auth-token-3f9a1c";

SecretKey makeKey(const std::string& id, unsigned char fill)
{
    SecretKey key;
    key.id = id;
    key.bytes.fill(fill);
    return key;
}

SecretBox makeBox(std::initializer_list<std::pair<std::string, unsigned char>> keys)
{
    std::vector<SecretKey> list;
    for (const auto& [id, fill] : keys) {
        list.push_back(makeKey(id, fill));
    }
    return SecretBox(std::move(list));
}

// What open() said, as text, so a failed comparison shows both sides readably.
std::string outcome(const cc::Result<std::string, OpenError>& result)
{
    return result.ok() ? "opened: " + result.value() : std::string(toString(result.error()));
}
const std::string kMalformed(toString(OpenError::Malformed));
const std::string kUnsupported(toString(OpenError::UnsupportedVersion));
const std::string kUnknownKey(toString(OpenError::UnknownKey));
const std::string kRejected(toString(OpenError::Rejected));

// The four dot-separated parts of a sealed value.
struct Parts {
    std::string version, kid, nonce, body;

    explicit Parts(const std::string& sealed)
    {
        const auto d1 = sealed.find('.');
        const auto d2 = sealed.find('.', d1 + 1);
        const auto d3 = sealed.find('.', d2 + 1);
        version = sealed.substr(0, d1);
        kid = sealed.substr(d1 + 1, d2 - d1 - 1);
        nonce = sealed.substr(d2 + 1, d3 - d2 - 1);
        body = sealed.substr(d3 + 1);
    }
    std::string join() const { return version + "." + kid + "." + nonce + "." + body; }
};

// `encoded` (base64url) with one bit of its byte at `index` flipped, still canonical base64url,
// so only the authentication can catch it.
std::string flipBit(const std::string& encoded, std::size_t index)
{
    std::string raw = base64UrlDecode(encoded).value();
    raw.at(index) = static_cast<char>(static_cast<unsigned char>(raw.at(index)) ^ 0x01U);
    return base64UrlEncode(raw);
}

} // namespace

class TestSecretBox : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<QByteArray>("plaintext");
        QTest::newRow("token") << QByteArray::fromStdString(kSecret);
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("one byte") << QByteArray("x");
        QTest::newRow("binary with zeros") << QByteArray("\0\x01\xff\0tail", 8);
        QTest::newRow("json credential")
            << QByteArray("{\"client_id\":\"abc\",\"client_secret\":\"d.e.f\"}");
        QTest::newRow("largest allowed")
            << QByteArray(static_cast<qsizetype>(kMaxPlaintextBytes), 'z');
    }

    void roundTrip()
    {
        QFETCH(QByteArray, plaintext);
        const SecretBox box = makeBox({{"k1", 0x11}});
        const std::string secret = plaintext.toStdString();
        const std::string sealed = box.seal(secret, kAad);
        const auto opened = box.open(sealed, kAad);
        QVERIFY2(opened.ok(), outcome(opened).c_str());
        QCOMPARE(opened.value(), secret);
    }

    void formatIsTextForATextColumn()
    {
        const SecretBox box = makeBox({{"key_2024-06", 0x11}});
        const std::string sealed = box.seal(kSecret, kAad);
        const Parts parts(sealed);
        QCOMPARE(parts.version, std::string("v1"));
        QCOMPARE(parts.kid, std::string("key_2024-06"));
        QCOMPARE(base64UrlDecode(parts.nonce).value().size(), std::size_t{12});
        // Ciphertext as long as the plaintext (GCM is a stream mode), then a 16-byte tag.
        QCOMPARE(base64UrlDecode(parts.body).value().size(), kSecret.size() + 16);
        QCOMPARE(parts.join(), sealed);
        for (char c : sealed) {
            const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ||
                            c == '_' || c == '.';
            QVERIFY2(ok, sealed.c_str());
        }
        // The plaintext appears nowhere, not even encoded.
        QVERIFY(sealed.find(base64UrlEncode(kSecret).substr(0, 8)) == std::string::npos);
        QCOMPARE(box.sealingKeyId(), std::string("key_2024-06"));
    }

    void everySealHasAFreshNonce()
    {
        const SecretBox box = makeBox({{"k1", 0x11}});
        const std::string a = box.seal(kSecret, kAad);
        const std::string b = box.seal(kSecret, kAad);
        QVERIFY(a != b);
        QVERIFY(Parts(a).body != Parts(b).body);
        std::set<std::string> nonces;
        for (int i = 0; i < 2000; ++i) {
            nonces.insert(Parts(box.seal(kSecret, kAad)).nonce);
        }
        QCOMPARE(nonces.size(), std::size_t{2000});
    }

    void associatedDataBindsOwnerAndPurpose()
    {
        const SecretBox box = makeBox({{"k1", 0x11}});
        const std::string sealed = box.seal(kSecret, kAad);
        // Copied to another organisation's row, or read as another kind of secret: refused.
        QCOMPARE(outcome(box.open(sealed, kOtherOrgAad)), kRejected);
        QCOMPARE(outcome(box.open(sealed, "shopify.access_token:0b7e6f53-5f0c-4c1e-9f65-"
                                          "6b0d8f7d2a11")),
                 kRejected);
        QCOMPARE(outcome(box.open(sealed, "")), kRejected);
        QCOMPARE(outcome(box.open(sealed, kAad + " ")), kRejected);
        // And the other way round: sealed without associated data needs none to open.
        const std::string bare = box.seal(kSecret, "");
        QCOMPARE(outcome(box.open(bare, "")), "opened: " + kSecret);
        QCOMPARE(outcome(box.open(bare, kAad)), kRejected);
    }

    void tamperingIsDetected()
    {
        const SecretBox box = makeBox({{"k1", 0x11}});
        const std::string sealed = box.seal(kSecret, kAad);
        const Parts parts(sealed);
        const std::size_t bodyBytes = kSecret.size() + 16;
        // Every bit position would be slow to try; every byte is not.
        for (std::size_t i = 0; i < bodyBytes; ++i) {
            Parts changed = parts;
            changed.body = flipBit(parts.body, i);
            const std::string what = i < kSecret.size() ? "ciphertext" : "tag";
            QVERIFY2(outcome(box.open(changed.join(), kAad)) == kRejected,
                     (what + " byte " + std::to_string(i)).c_str());
        }
        for (std::size_t i = 0; i < 12; ++i) {
            Parts changed = parts;
            changed.nonce = flipBit(parts.nonce, i);
            QVERIFY2(outcome(box.open(changed.join(), kAad)) == kRejected,
                     ("nonce byte " + std::to_string(i)).c_str());
        }
        // Ciphertext and tag swapped for another seal's: refused too.
        Parts mixed = parts;
        mixed.body = Parts(box.seal(kSecret, kAad)).body;
        QCOMPARE(outcome(box.open(mixed.join(), kAad)), kRejected);
    }

    void headerIsAuthenticated()
    {
        // Both keys known: relabelling a value with the other kid must not pass as that key's.
        const SecretBox box = makeBox({{"k1", 0x11}, {"k2", 0x11}});
        const std::string sealed = box.seal(kSecret, kAad);
        Parts relabelled(sealed);
        QCOMPARE(relabelled.kid, std::string("k1"));
        relabelled.kid = "k2"; // same key bytes, so only the authenticated header tells
        QCOMPARE(outcome(box.open(relabelled.join(), kAad)), kRejected);
    }

    void truncatedValuesFail()
    {
        const SecretBox box = makeBox({{"k1", 0x11}});
        const std::string sealed = box.seal(kSecret, kAad);
        for (std::size_t n = 0; n < sealed.size(); ++n) {
            const auto opened = box.open(sealed.substr(0, n), kAad);
            QVERIFY2(!opened.ok(), ("prefix of " + std::to_string(n)).c_str());
        }
        // A body that lost its last byte, or its whole ciphertext, still decodes: the tag says no.
        Parts shorter(sealed);
        std::string raw = base64UrlDecode(shorter.body).value();
        shorter.body = base64UrlEncode(raw.substr(0, raw.size() - 1));
        QCOMPARE(outcome(box.open(shorter.join(), kAad)), kRejected);
        shorter.body = base64UrlEncode(raw.substr(raw.size() - 16));
        QCOMPARE(outcome(box.open(shorter.join(), kAad)), kRejected);
        // Shorter than a tag is not a sealed value at all.
        shorter.body = base64UrlEncode(raw.substr(0, 15));
        QCOMPARE(outcome(box.open(shorter.join(), kAad)), kMalformed);
        Parts shortNonce(sealed);
        shortNonce.nonce = base64UrlEncode(base64UrlDecode(shortNonce.nonce).value().substr(0, 11));
        QCOMPARE(outcome(box.open(shortNonce.join(), kAad)), kMalformed);
    }

    void unknownKeyAndVersion()
    {
        const SecretBox old = makeBox({{"old", 0x22}});
        const SecretBox box = makeBox({{"k1", 0x11}});
        QCOMPARE(outcome(box.open(old.seal(kSecret, kAad), kAad)), kUnknownKey);

        Parts future(box.seal(kSecret, kAad));
        future.version = "v2";
        QCOMPARE(outcome(box.open(future.join(), kAad)), kUnsupported);
        future.version = "V1";
        QCOMPARE(outcome(box.open(future.join(), kAad)), kMalformed);
    }

    void rotation()
    {
        const SecretBox before = makeBox({{"2024", 0x11}});
        const std::string sealedBefore = before.seal(kSecret, kAad);
        QVERIFY(before.sealedWithCurrentKey(sealedBefore));

        // Step one: the new key is added second. It opens, but does not seal yet.
        const SecretBox adding = makeBox({{"2024", 0x11}, {"2025", 0x33}});
        QVERIFY(Parts(adding.seal(kSecret, kAad)).kid == "2024");

        // Step two: the new key is put first. Old values still open, new ones use the new key.
        const SecretBox after = makeBox({{"2025", 0x33}, {"2024", 0x11}});
        QCOMPARE(outcome(after.open(sealedBefore, kAad)), "opened: " + kSecret);
        QVERIFY(!after.sealedWithCurrentKey(sealedBefore)); // due for re-sealing
        const std::string resealed = after.seal(kSecret, kAad);
        QCOMPARE(Parts(resealed).kid, std::string("2025"));
        QVERIFY(after.sealedWithCurrentKey(resealed));
        QCOMPARE(outcome(adding.open(resealed, kAad)), "opened: " + kSecret); // older nodes too

        // Step three: the old key is gone. What was re-sealed opens, what was not is reported.
        const SecretBox retired = makeBox({{"2025", 0x33}});
        QCOMPARE(outcome(retired.open(resealed, kAad)), "opened: " + kSecret);
        QCOMPARE(outcome(retired.open(sealedBefore, kAad)), kUnknownKey);
        QVERIFY(!retired.sealedWithCurrentKey("garbage"));
    }

    void sameKidOtherKeyFails()
    {
        // A node configured with a different key under the same kid (a botched rotation).
        const SecretBox a = makeBox({{"k1", 0x11}});
        const SecretBox b = makeBox({{"k1", 0x12}});
        QCOMPARE(outcome(b.open(a.seal(kSecret, kAad), kAad)), kRejected);
    }

    void oversizeIsRefused()
    {
        const SecretBox box = makeBox({{"k1", 0x11}});
        const std::string tooBig(kMaxPlaintextBytes + 1, 'x');
        QVERIFY_THROWS_EXCEPTION(std::length_error, box.seal(tooBig, kAad));
        const std::string bigAad(kMaxAssociatedDataBytes + 1, 'a');
        QVERIFY_THROWS_EXCEPTION(std::length_error, box.seal(kSecret, bigAad));
        QCOMPARE(outcome(box.open(box.seal(kSecret, kAad), bigAad)), kMalformed);

        // A sealed value too large to come from seal() is refused before any decoding.
        Parts huge(box.seal(kSecret, kAad));
        huge.body = base64UrlEncode(std::string(kMaxPlaintextBytes + 17, 'x'));
        QCOMPARE(outcome(box.open(huge.join(), kAad)), kMalformed);
        QCOMPARE(outcome(box.open(std::string(1024 * 1024, 'A'), kAad)), kMalformed);
    }

    void garbageNeverOpens_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("dot") << QByteArray(".");
        QTest::newRow("dots") << QByteArray("...");
        QTest::newRow("too many dots") << QByteArray("v1.k1.AAAAAAAAAAAAAAAA.AAAA.AAAA");
        QTest::newRow("empty parts") << QByteArray("v1...");
        QTest::newRow("empty kid") << QByteArray("v1..AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA");
        QTest::newRow("kid with space")
            << QByteArray("v1.k 1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA");
        QTest::newRow("padded") << QByteArray("v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA==");
        QTest::newRow("standard base64")
            << QByteArray("v1.k1.AAAAAAAAAAAAAAAA.AAAA+/AAAAAAAAAAAAAAAA");
        QTest::newRow("nul bytes") << QByteArray("v1.k1\0.AAAA.AAAA", 16);
        QTest::newRow("high bytes") << QByteArray("v1.\xff\xfe.\x80.\x81");
        QTest::newRow("plaintext secret") << QByteArray::fromStdString(kSecret);
        QTest::newRow("version only") << QByteArray("v1");
        QTest::newRow("long version") << QByteArray(4096, 'v');
    }

    void garbageNeverOpens()
    {
        QFETCH(QByteArray, input);
        const SecretBox box = makeBox({{"k1", 0x11}});
        const auto opened = box.open(input.toStdString(), kAad);
        QVERIFY2(!opened.ok(), outcome(opened).c_str());
    }

    void randomMutationsNeverOpen()
    {
        const SecretBox box = makeBox({{"k1", 0x11}, {"k2", 0x22}});
        const std::string sealed = box.seal(kSecret, kAad);
        const std::string alphabet = "v1k2.AZaz09-_=+/ \x01\xff";
        std::mt19937 random(20240611U); // fixed: a failure can be replayed
        std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
        for (int round = 0; round < 5000; ++round) {
            std::string mutated = sealed;
            const int edits = 1 + round % 4;
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = random() % (mutated.size() + 1);
                switch (random() % 3) {
                case 0: // replace
                    if (at < mutated.size()) {
                        mutated[at] = alphabet[pick(random)];
                    }
                    break;
                case 1: // insert
                    mutated.insert(at, 1, alphabet[pick(random)]);
                    break;
                default: // erase
                    if (at < mutated.size()) {
                        mutated.erase(at, 1);
                    }
                    break;
                }
            }
            const auto opened = box.open(mutated, kAad);
            QVERIFY2(!opened.ok() || mutated == sealed, mutated.c_str());
        }
        // Pure noise too, of any length.
        for (int round = 0; round < 2000; ++round) {
            std::string noise(random() % 200, '\0');
            for (char& c : noise) {
                c = alphabet[pick(random)];
            }
            QVERIFY2(!box.open(noise, kAad).ok(), noise.c_str());
        }
    }

    void constructorRefusesBadKeys()
    {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, SecretBox(std::vector<SecretKey>{}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeBox({{"k1", 0x11}, {"k1", 0x22}}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeBox({{"", 0x11}}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeBox({{"a.b", 0x11}}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeBox({{std::string(33, 'k'), 0x11}}));
    }

    void parsedKeysSealAndOpen()
    {
        // "test-secrets-key-for-call-cmdr01", the integration tests' key.
        auto keys = parseSecretKeys("test:dGVzdC1zZWNyZXRzLWtleS1mb3ItY2FsbC1jbWRyMDE");
        QVERIFY2(keys.ok(), keys.ok() ? "" : keys.error().c_str());
        const SecretBox box(keys.value());
        QCOMPARE(box.sealingKeyId(), std::string("test"));
        QCOMPARE(outcome(box.open(box.seal(kSecret, kAad), kAad)), "opened: " + kSecret);

        // The same bytes given directly make the same key: values cross between the two.
        SecretKey direct;
        direct.id = "test";
        std::memcpy(direct.bytes.data(), "test-secrets-key-for-call-cmdr01", 32);
        const SecretBox same(std::vector<SecretKey>{direct});
        QCOMPARE(outcome(same.open(box.seal(kSecret, kAad), kAad)), "opened: " + kSecret);
    }

    void keyBytesAreWipedOnDestruction()
    {
        alignas(SecretKey) unsigned char storage[sizeof(SecretKey)];
        auto* key = new (storage) SecretKey;
        key->bytes.fill(0xA5);
        const std::size_t offset =
            static_cast<std::size_t>(reinterpret_cast<unsigned char*>(key->bytes.data()) - storage);
        key->~SecretKey();
        for (std::size_t i = 0; i < kSecretKeyBytes; ++i) {
            QVERIFY2(storage[offset + i] != 0xA5, ("key byte " + std::to_string(i)).c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestSecretBox)
#include "tst_secretbox.moc"
