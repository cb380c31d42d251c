#include "shared/telephony/twilio.h"
#include "shared/telephony/twiml.h"

#include <QTest>
#include <QXmlStreamReader>

#include <algorithm>
#include <random>

using namespace cc::telephony;

namespace {

constexpr std::string_view kToken = "12345";

// The request of the worked example in https://www.twilio.com/docs/usage/security
// ("Explore the algorithm yourself"): a <Gather> posting digits, with the usual call fields.
FormParams docsParams(const std::string& caller)
{
    return {{"Digits", "1234"},
            {"To", "+18005551212"},
            {"From", caller},
            {"Caller", caller},
            {"CallSid", "CA1234567890ABCDE"}};
}

const std::string kLibraryUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
// The vector of twilio-python's and twilio-php's own tests and usage docs
// (tests/unit/test_request_validator.py, docs/usage/validation.rst).
const std::string kLibrarySignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
const FormParams kLibraryParams = docsParams("+14158675309");

std::string replaced(std::string s, std::string_view from, std::string_view to)
{
    s.replace(s.find(from), from.size(), to);
    return s;
}

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

// The start elements of a document in order, each with its attributes ("Dial action=/x") and
// the text directly inside it. Fails the calling test if the document is not well-formed.
struct XmlElement {
    QString name;
    QXmlStreamAttributes attributes;
    QString text;
};

bool parseXml(const std::string& xml, QList<XmlElement>& elements, QString& error)
{
    QXmlStreamReader reader(QByteArray::fromStdString(xml));
    QList<qsizetype> open;
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement()) {
            elements.append({reader.name().toString(), reader.attributes(), {}});
            open.append(elements.size() - 1);
        } else if (reader.isEndElement()) {
            open.removeLast();
        } else if (reader.isCharacters() && !open.isEmpty()) {
            elements[open.last()].text += reader.text();
        }
    }
    if (reader.hasError()) {
        error = reader.errorString();
        return false;
    }
    return true;
}

} // namespace

class TestTwilio : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ---- signature: published vectors ----

    void publishedExamples_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("caller");
        QTest::addColumn<QString>("signature");
        // Quoted on https://www.twilio.com/docs/usage/security (current page, "Explore the
        // algorithm yourself"), and cross-checked with `openssl dgst -sha1 -hmac 12345`.
        QTest::newRow("docs, example.com") << "https://example.com/myapp.php?foo=1&bar=2"
                                           << "+14158675310"
                                           << "L/OH5YylLD5NRKLltdqwSvS0BnU=";
        // The older edition of that page used mycompany.com. The stored copies of the page did
        // not show this value itself (only third-party tests citing it); its expected value was
        // cross-checked with `openssl dgst -sha1 -hmac 12345 -binary | base64`.
        QTest::newRow("older docs, mycompany.com") << "https://mycompany.com/myapp.php?foo=1&bar=2"
                                                   << "+14158675310"
                                                   << "GvWf1cFY/Q7PnoempGyD5oXAezc=";
        // twilio-python's and twilio-php's tests and usage docs (caller ...309, not ...310).
        QTest::newRow("twilio-python/php libraries")
            << q(kLibraryUrl) << "+14158675309" << q(kLibrarySignature);
    }

    void publishedExamples()
    {
        QFETCH(QString, url);
        QFETCH(QString, caller);
        QFETCH(QString, signature);
        const FormParams params = docsParams(caller.toStdString());
        QCOMPARE(q(twilioSignature(kToken, url.toStdString(), params)), signature);
        QVERIFY(
            validateTwilioSignature(kToken, url.toStdString(), params, signature.toStdString()));
    }

    void mismatchedPublishedPairIsInvalid()
    {
        // The SDK snippets on the docs page use Caller/From +12349013030, but sign them with an
        // unpublished token: those values do not belong with the 12345 examples above.
        QVERIFY(!validateTwilioSignature(kToken, "https://mycompany.com/myapp.php?foo=1&bar=2",
                                         docsParams("+12349013030"),
                                         "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    }

    void selfComputedVectors()
    {
        // Cross-checked with `printf '%s' '<url><params>' | openssl dgst -sha1 -hmac 12345
        // -binary | base64`: byte order puts 'B' (0x42) before 'a' (0x61).
        QCOMPARE(twilioSignature(kToken, "https://example.com/voice", {{"a", "1"}, {"B", "2"}}),
                 std::string("FMeVmzrSw2vylM775Kaw8GpWkiA="));
        // Values are signed as their UTF-8 bytes, after form decoding.
        QCOMPARE(twilioSignature(kToken, "https://example.com/voice", {{"Body", "h\xC3\xA9llo"}}),
                 std::string("oaFLIxwyFfhZd2TunFsubrLX4D0="));
        // A GET: the parameters are in the query, the URL is signed as it is.
        QCOMPARE(twilioSignature(kToken,
                                 "https://example.com/voice?CallSid=CA1&From=%2B14155550123", {}),
                 std::string("KWHSx61xJo6IK3XcBCuWC78xKLo="));
    }

    // ---- signature: what must not validate ----

    void rejectsTampering()
    {
        const std::string& sig = kLibrarySignature;
        QVERIFY(validateTwilioSignature(kToken, kLibraryUrl, kLibraryParams, sig));

        FormParams changed = kLibraryParams;
        changed[0].second = "1235"; // Digits
        QVERIFY(!validateTwilioSignature(kToken, kLibraryUrl, changed, sig));

        FormParams added = kLibraryParams;
        added.emplace_back("SpeechResult", "yes");
        QVERIFY(!validateTwilioSignature(kToken, kLibraryUrl, added, sig));

        FormParams removed = kLibraryParams;
        removed.pop_back();
        QVERIFY(!validateTwilioSignature(kToken, kLibraryUrl, removed, sig));

        FormParams renamed = kLibraryParams;
        renamed[0].first = "digits";
        QVERIFY(!validateTwilioSignature(kToken, kLibraryUrl, renamed, sig));

        // Twilio's contract joins names and values with no delimiter, so moving the boundary
        // between a name and its value (while the sort order holds) keeps the signature. Pinned
        // here so nobody relies on the signature to tell ("Digits","1234") from ("Digits1","234").
        FormParams shifted = kLibraryParams;
        shifted[0] = {"Digits1", "234"};
        QVERIFY(validateTwilioSignature(kToken, kLibraryUrl, shifted, sig));

        QVERIFY(!validateTwilioSignature(kToken, replaced(kLibraryUrl, "myapp", "other"),
                                         kLibraryParams, sig));
        QVERIFY(!validateTwilioSignature(kToken, replaced(kLibraryUrl, "foo=1", "foo=2"),
                                         kLibraryParams, sig));
        QVERIFY(!validateTwilioSignature(kToken, kLibraryUrl + "&baz=3", kLibraryParams, sig));
        QVERIFY(!validateTwilioSignature(kToken, replaced(kLibraryUrl, "https", "http"),
                                         kLibraryParams, sig));
        QVERIFY(!validateTwilioSignature(kToken, replaced(kLibraryUrl, "mycompany", "evil"),
                                         kLibraryParams, sig));
        QVERIFY(!validateTwilioSignature("12346", kLibraryUrl, kLibraryParams, sig));
        QVERIFY(!validateTwilioSignature("", kLibraryUrl, kLibraryParams, sig));
    }

    void rejectsMalformedHeader_data()
    {
        QTest::addColumn<QString>("header");
        QTest::newRow("empty") << "";
        QTest::newRow("truncated") << q(kLibrarySignature.substr(0, 20));
        QTest::newRow("no padding") << q(kLibrarySignature.substr(0, 27));
        QTest::newRow("extra char") << q(kLibrarySignature + "=");
        QTest::newRow("oversize") << q(std::string(4096, 'A'));
        QTest::newRow("leading space") << q(" " + kLibrarySignature.substr(0, 27));
        QTest::newRow("one char changed") << q(replaced(kLibrarySignature, "RSOY", "RSOZ"));
        QTest::newRow("lower case") << q(replaced(kLibrarySignature, "RSOY", "rsoy"));
        QTest::newRow("signature of another url")
            << q(twilioSignature(kToken, "https://mycompany.com/", kLibraryParams));
    }

    void rejectsMalformedHeader()
    {
        QFETCH(QString, header);
        QVERIFY(
            !validateTwilioSignature(kToken, kLibraryUrl, kLibraryParams, header.toStdString()));
    }

    void parameterOrderDoesNotMatter()
    {
        FormParams params = kLibraryParams;
        std::mt19937 rng(7);
        for (int i = 0; i < 10; ++i) {
            std::shuffle(params.begin(), params.end(), rng);
            QCOMPARE(twilioSignature(kToken, kLibraryUrl, params), kLibrarySignature);
            QVERIFY(validateTwilioSignature(kToken, kLibraryUrl, params, kLibrarySignature));
        }
    }

    void duplicateKeys()
    {
        // twilio-python's test_compute_signature_duplicate_multi_dict: every value of a repeated
        // name is signed, values in sorted order.
        const std::string expected = "IK+Dwps556ElfBT0I3Rgjkr1wJU=";
        const FormParams params = {
            {"Sid", "CA123"}, {"SidAccount", "AC123"}, {"Digits", "5678"}, {"Digits", "1234"}};
        QCOMPARE(twilioSignature(kToken, kLibraryUrl, params), expected);
        const FormParams reversed(params.rbegin(), params.rend());
        QCOMPARE(twilioSignature(kToken, kLibraryUrl, reversed), expected);

        // Dropping either occurrence, or merging them, breaks the signature.
        QVERIFY(!validateTwilioSignature(kToken, kLibraryUrl, {params[0], params[1], params[2]},
                                         expected));
        QVERIFY(!validateTwilioSignature(
            kToken, kLibraryUrl, {params[0], params[1], {"Digits", "1234,5678"}}, expected));

        // From a real body, through the parser.
        auto parsed = parseFormUrlEncoded("Digits=5678&Sid=CA123&Digits=1234&SidAccount=AC123");
        QVERIFY(parsed.ok());
        QVERIFY(validateTwilioSignature(kToken, kLibraryUrl, *parsed, expected));
    }

    // ---- signature: port tolerance ----

    void portTolerance_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("signature");
        QTest::addColumn<bool>("valid");
        // The expected values of twilio-python's test_request_validator.py, all token 12345 and
        // the library params; each cross-checked with openssl.
        QTest::newRow("https, signed without port, received on :1234")
            << "https://mycompany.com:1234/myapp.php?foo=1&bar=2" << q(kLibrarySignature) << true;
        QTest::newRow("https, signed without port, received on :443")
            << "https://mycompany.com:443/myapp.php?foo=1&bar=2" << q(kLibrarySignature) << true;
        QTest::newRow("https, signed with :443, received without port")
            << q(kLibraryUrl) << "kvajT1Ptam85bY51eRf/AJRuM3w=" << true;
        QTest::newRow("http, signed with :80, received without port")
            << "http://mycompany.com/myapp.php?foo=1&bar=2"
            << "0ZXoZLH/DfblKGATFgpif+LLRf4=" << true;
        QTest::newRow("http, signed with :1234, received on :1234")
            << "http://mycompany.com:1234/myapp.php?foo=1&bar=2"
            << "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=" << true;
        // Twilio keeps a non-default port over plain HTTP, so dropping it is not tolerated.
        QTest::newRow("http, signed without port, received on :1234")
            << "http://mycompany.com:1234/myapp.php?foo=1&bar=2"
            << "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=" << false;
        // Only the default port is ever added: :8443 is never guessed.
        QTest::newRow("https, signed with :8443, received without port")
            << q(kLibraryUrl)
            << q(twilioSignature(kToken, "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
                                 kLibraryParams))
            << false;
        // Credentials are dropped before signing (Twilio's notes on the same page).
        QTest::newRow("https with user:pass, signed without")
            << "https://user:secret@mycompany.com/myapp.php?foo=1&bar=2" << q(kLibrarySignature)
            << true;
        QTest::newRow("port tolerance keeps the host")
            << "https://mycompany.org:443/myapp.php?foo=1&bar=2" << q(kLibrarySignature) << false;
    }

    void portTolerance()
    {
        QFETCH(QString, url);
        QFETCH(QString, signature);
        QFETCH(bool, valid);
        QCOMPARE(validateTwilioSignature(kToken, url.toStdString(), kLibraryParams,
                                         signature.toStdString()),
                 valid);
    }

    void portToleranceIpv6()
    {
        const std::string url = "https://[2001:db8::1]/voice";
        const std::string sig = twilioSignature(kToken, url, {{"CallSid", "CA1"}});
        QVERIFY(validateTwilioSignature(kToken, "https://[2001:db8::1]:443/voice",
                                        {{"CallSid", "CA1"}}, sig));
        const std::string withPort =
            twilioSignature(kToken, "https://[2001:db8::1]:443/voice", {{"CallSid", "CA1"}});
        QVERIFY(validateTwilioSignature(kToken, url, {{"CallSid", "CA1"}}, withPort));
        QVERIFY(!validateTwilioSignature(kToken, "https://[2001:db8::2]/voice",
                                         {{"CallSid", "CA1"}}, sig));
    }

    // ---- JSON bodies: bodySHA256 ----

    void jsonBodyPublishedVectors()
    {
        // The hash of the docs page's JSON example body; its signature there is made with an
        // unpublished token, so only the hash can be checked.
        QCOMPARE(bodySha256Hex("{\"CallSid\":\"CA1234567890ABCDE\",\"Caller\":\"+12349013030\"}"),
                 std::string("5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9"));

        // twilio-python's test_validation_of_body_succeeds (token 12345).
        const std::string body = "{\"property\": \"value\", \"boolean\": true}";
        const std::string hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        QCOMPARE(bodySha256Hex(body), hash);
        const std::string url = kLibraryUrl + "&bodySHA256=" + hash;
        const std::string sig = "a9nBmqA0ju/hNViExpshrM61xv4=";
        QCOMPARE(twilioSignature(kToken, url, {}), sig);
        QVERIFY(validateTwilioJsonSignature(kToken, url, body, sig));
        // Same port tolerance as form bodies.
        QVERIFY(validateTwilioJsonSignature(
            kToken, replaced(url, "mycompany.com", "mycompany.com:443"), body, sig));
    }

    void jsonBodyRejectsTampering()
    {
        const std::string body = "{\"CallSid\":\"CA1\",\"CallStatus\":\"completed\"}";
        const std::string url =
            "https://example.com/voice/status?store=42&bodySHA256=" + bodySha256Hex(body);
        const std::string sig = twilioSignature(kToken, url, {});
        QVERIFY(validateTwilioJsonSignature(kToken, url, body, sig));

        // A different body under the signed URL: the hash no longer matches.
        QVERIFY(!validateTwilioJsonSignature(
            kToken, url, "{\"CallSid\":\"CA1\",\"CallStatus\":\"failed\"}", sig));
        QVERIFY(!validateTwilioJsonSignature(kToken, url, body + " ", sig));
        QVERIFY(!validateTwilioJsonSignature(kToken, url, "", sig));

        // A URL carrying the hash of the forged body: the signature no longer matches.
        const std::string forged = "{\"CallSid\":\"CA1\",\"CallStatus\":\"failed\"}";
        const std::string forgedUrl =
            "https://example.com/voice/status?store=42&bodySHA256=" + bodySha256Hex(forged);
        QVERIFY(!validateTwilioJsonSignature(kToken, forgedUrl, forged, sig));

        QVERIFY(!validateTwilioJsonSignature("12346", url, body, sig));
        QVERIFY(!validateTwilioJsonSignature(kToken, url, body, ""));
        QVERIFY(!validateTwilioJsonSignature(kToken, url, body, sig.substr(0, 20)));

        // Upper-case hex is not what Twilio sends.
        std::string upper = bodySha256Hex(body);
        std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
            return c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c;
        });
        const std::string upperUrl =
            "https://example.com/voice/status?store=42&bodySHA256=" + upper;
        QVERIFY(!validateTwilioJsonSignature(kToken, upperUrl, body,
                                             twilioSignature(kToken, upperUrl, {})));
    }

    void jsonBodyNeedsExactlyOneHash()
    {
        const std::string body = "{}";
        const std::string hash = bodySha256Hex(body);
        const auto signedOk = [&](const std::string& url) {
            return validateTwilioJsonSignature(kToken, url, body, twilioSignature(kToken, url, {}));
        };
        QVERIFY(signedOk("https://example.com/hook?bodySHA256=" + hash));
        QVERIFY(!signedOk("https://example.com/hook"));
        QVERIFY(!signedOk("https://example.com/hook?other=1"));
        QVERIFY(!signedOk("https://example.com/hook?bodySHA256="));
        QVERIFY(!signedOk("https://example.com/hook?xbodySHA256=" + hash));
        QVERIFY(!signedOk("https://example.com/hook?bodySHA256=" + hash + "&bodySHA256=" + hash));
        // The form validator does not accept a JSON request signed over the URL with the body
        // as a parameter (and vice versa): the body must go through the hash.
        const std::string url = "https://example.com/hook?bodySHA256=" + hash;
        QVERIFY(
            !validateTwilioSignature(kToken, url, {{body, ""}}, twilioSignature(kToken, url, {})));
    }

    // ---- form bodies ----

    void parsesForm_data()
    {
        QTest::addColumn<QString>("body");
        QTest::addColumn<QStringList>("expected"); // name, value, name, value, ...
        QTest::newRow("empty") << "" << QStringList{};
        QTest::newRow("simple") << "a=1&b=2" << QStringList{"a", "1", "b", "2"};
        QTest::newRow("plus is space") << "Body=hello+world" << QStringList{"Body", "hello world"};
        QTest::newRow("%2B is plus")
            << "From=%2B14155550123" << QStringList{"From", "+14155550123"};
        QTest::newRow("lower-case hex") << "x=%2b%2f" << QStringList{"x", "+/"};
        QTest::newRow("%20 and +") << "x=a%20b+c" << QStringList{"x", "a b c"};
        QTest::newRow("encoded = and &") << "x=a%3Db%26c" << QStringList{"x", "a=b&c"};
        QTest::newRow("= in value") << "x=a=b" << QStringList{"x", "a=b"};
        QTest::newRow("no =") << "flag&x=1" << QStringList{"flag", "", "x", "1"};
        QTest::newRow("empty value") << "x=" << QStringList{"x", ""};
        QTest::newRow("empty name") << "=v" << QStringList{"", "v"};
        QTest::newRow("empty segments") << "&a=1&&b=2&" << QStringList{"a", "1", "b", "2"};
        QTest::newRow("duplicates in order")
            << "d=2&a=1&d=1" << QStringList{"d", "2", "a", "1", "d", "1"};
        QTest::newRow("utf-8") << "n=Jos%C3%A9+%F0%9F%93%9E"
                               << QStringList{"n",
                                              QString::fromUtf8("Jos\xC3\xA9 \xF0\x9F\x93\x9E")};
        QTest::newRow("encoded name") << "My+Name%21=1" << QStringList{"My Name!", "1"};
    }

    void parsesForm()
    {
        QFETCH(QString, body);
        QFETCH(QStringList, expected);
        const auto parsed = parseFormUrlEncoded(body.toStdString());
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().c_str());
        QStringList got;
        for (const auto& [name, value] : *parsed) {
            got << q(name) << q(value);
        }
        QCOMPARE(got, expected);
    }

    void rejectsBadForm_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("bad hex %G1") << QByteArray("x=%G1");
        QTest::newRow("bad hex %1G") << QByteArray("x=%1G");
        QTest::newRow("trailing %") << QByteArray("x=abc%");
        QTest::newRow("one digit at end") << QByteArray("x=%4");
        QTest::newRow("%% ") << QByteArray("x=%%41");
        QTest::newRow("bad escape in name") << QByteArray("%ZZ=1");
        QTest::newRow("encoded NUL") << QByteArray("x=a%00b");
        QTest::newRow("raw NUL") << QByteArray("x=a\0b", 5);
        QTest::newRow("NUL in name") << QByteArray("%00=1");
        QTest::newRow("invalid utf-8") << QByteArray("x=%C3%28");
        QTest::newRow("raw invalid byte") << QByteArray("x=\xFF");
        QTest::newRow("overlong /") << QByteArray("x=%C0%AF");
        QTest::newRow("surrogate") << QByteArray("x=%ED%A0%80");
        QTest::newRow("above U+10FFFF") << QByteArray("x=%F4%90%80%80");
        QTest::newRow("truncated sequence") << QByteArray("x=%E2%82");
    }

    void rejectsBadForm()
    {
        QFETCH(QByteArray, body);
        const auto parsed = parseFormUrlEncoded(body.toStdString());
        QVERIFY(!parsed.ok());
        QVERIFY(!parsed.error().empty());
    }

    void formLimits()
    {
        std::string body;
        for (std::size_t i = 0; i < kMaxFormParams; ++i) {
            body += (i == 0 ? "" : "&") + std::string("p") + std::to_string(i) + "=v";
        }
        const auto atLimit = parseFormUrlEncoded(body);
        QVERIFY(atLimit.ok());
        QCOMPARE(atLimit->size(), kMaxFormParams);
        QVERIFY(!parseFormUrlEncoded(body + "&one=more").ok());
        // Empty segments are not parameters.
        QVERIFY(parseFormUrlEncoded(body + "&&&").ok());

        const std::string prefix = "Body=";
        const std::string full = prefix + std::string(kMaxFormBodyBytes - prefix.size(), 'a');
        const auto atSize = parseFormUrlEncoded(full);
        QVERIFY(atSize.ok());
        QCOMPARE(atSize->front().second.size(), kMaxFormBodyBytes - prefix.size());
        QVERIFY(!parseFormUrlEncoded(full + "a").ok());
    }

    void encodesForm()
    {
        const FormParams params = {{"To", "+1 800"},
                                   {"Body", "a&b=c~d-e_f.g"},
                                   {"Name", "Jos\xC3\xA9"},
                                   {"Empty", ""},
                                   {"Path", "/x?y#z%"}};
        const std::string encoded = formUrlEncode(params);
        QCOMPARE(encoded, std::string("To=%2B1+800&Body=a%26b%3Dc~d-e_f.g&Name=Jos%C3%A9&Empty="
                                      "&Path=%2Fx%3Fy%23z%25"));
        const auto back = parseFormUrlEncoded(encoded);
        QVERIFY(back.ok());
        QVERIFY(*back == params);
        QCOMPARE(formUrlEncode({}), std::string());
    }

    void simulatorRoundTrip()
    {
        // What the call simulator does: encode, sign; what the server does: parse, validate.
        const FormParams sent = {{"CallSid", "CA42"},
                                 {"From", "+14155550123"},
                                 {"SpeechResult", "I'd like to book an appointment & pay"},
                                 {"To", "+18005550100"}};
        const std::string url = "https://cc.example/twilio/voice?store=7";
        const std::string signature = twilioSignature("tok", url, sent);
        const auto received = parseFormUrlEncoded(formUrlEncode(sent));
        QVERIFY(received.ok());
        QVERIFY(validateTwilioSignature("tok", url, *received, signature));
        QVERIFY(!validateTwilioSignature("tok2", url, *received, signature));
    }

    // ---- TwiML ----

    void twimlExactDial()
    {
        TwimlBuilder t;
        t.dial({.action = "/twilio/voice/dial-status", .timeout = 20},
               {{.kind = DialTarget::Kind::Client, .value = "store-42"}});
        QCOMPARE(t.str(), std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                                      "<Dial action=\"/twilio/voice/dial-status\" timeout=\"20\">"
                                      "<Client>store-42</Client></Dial></Response>"));
    }

    void twimlExactGather()
    {
        TwimlBuilder t;
        t.gather({.input = GatherInput::DtmfSpeech,
                  .numDigits = 1,
                  .timeout = 5,
                  .action = "/twilio/voice/menu",
                  .method = HttpMethod::Post,
                  .speechTimeout = "auto",
                  .hints = "store,appointment",
                  .actionOnEmptyResult = true},
                 [](GatherPrompts& p) {
                     p.say("Press 1 or say store.", {.voice = "Polly.Joanna", .language = "en-US"});
                 })
            .redirect("/twilio/voice/menu", HttpMethod::Get);
        QCOMPARE(t.str(),
                 std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                             "<Gather input=\"dtmf speech\" numDigits=\"1\" timeout=\"5\" "
                             "action=\"/twilio/voice/menu\" method=\"POST\" speechTimeout=\"auto\" "
                             "hints=\"store,appointment\" actionOnEmptyResult=\"true\">"
                             "<Say voice=\"Polly.Joanna\" language=\"en-US\">Press 1 or say "
                             "store.</Say></Gather>"
                             "<Redirect method=\"GET\">/twilio/voice/menu</Redirect></Response>"));
    }

    void twimlExactRecordEnqueueHangup()
    {
        TwimlBuilder record;
        record.say("Leave a message after the beep.")
            .record({.action = "/twilio/voice/voicemail",
                     .maxLength = 120,
                     .playBeep = true,
                     .finishOnKey = "#",
                     .recordingStatusCallback = "/twilio/voice/recording"});
        QCOMPARE(record.str(),
                 std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                             "<Say>Leave a message after the beep.</Say>"
                             "<Record action=\"/twilio/voice/voicemail\" maxLength=\"120\" "
                             "playBeep=\"true\" finishOnKey=\"#\" "
                             "recordingStatusCallback=\"/twilio/voice/recording\"/></Response>"));

        TwimlBuilder transcribed;
        transcribed.record({.transcribe = true});
        QCOMPARE(transcribed.str(), std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                                "<Response><Record transcribe=\"true\"/>"
                                                "</Response>"));

        TwimlBuilder enqueue;
        enqueue.enqueue("store-42", {.action = "/twilio/voice/queue-left",
                                     .waitUrl = "/twilio/voice/hold",
                                     .waitUrlMethod = HttpMethod::Get});
        QCOMPARE(enqueue.str(),
                 std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                             "<Enqueue action=\"/twilio/voice/queue-left\" "
                             "waitUrl=\"/twilio/voice/hold\" waitUrlMethod=\"GET\">store-42"
                             "</Enqueue></Response>"));

        TwimlBuilder hangup;
        hangup.hangup();
        QCOMPARE(hangup.str(), std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                           "<Response><Hangup/></Response>"));

        QCOMPARE(TwimlBuilder().str(), std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                                   "<Response></Response>"));
    }

    void twimlSmallVerbs()
    {
        TwimlBuilder t;
        t.play("https://cdn.example/hold.mp3", 0).pause(2).leave().gather({});
        QCOMPARE(t.str(), std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                                      "<Play loop=\"0\">https://cdn.example/hold.mp3</Play>"
                                      "<Pause length=\"2\"/><Leave/><Gather/></Response>"));
    }

    void twimlEscapes()
    {
        TwimlBuilder t;
        t.say("<Tom & 'Jerry'> say \"hi\"", {.voice = "a\"b<c>&'d"})
            .play("https://cdn.example/a.mp3?x=1&y=2")
            .redirect("https://cc.example/next?a=1&b=\"2\"");
        const std::string xml = t.str();
        QVERIFY(xml.find("<Say voice=\"a&quot;b&lt;c&gt;&amp;&apos;d\">"
                         "&lt;Tom &amp; &apos;Jerry&apos;&gt; say &quot;hi&quot;</Say>") !=
                std::string::npos);
        QVERIFY(xml.find("<Play>https://cdn.example/a.mp3?x=1&amp;y=2</Play>") !=
                std::string::npos);

        QList<XmlElement> elements;
        QString error;
        QVERIFY2(parseXml(xml, elements, error), qPrintable(error));
        QCOMPARE(elements.size(), 4);
        QCOMPARE(elements[1].text, QString("<Tom & 'Jerry'> say \"hi\""));
        QCOMPARE(elements[1].attributes.value("voice").toString(), QString("a\"b<c>&'d"));
        QCOMPARE(elements[2].text, QString("https://cdn.example/a.mp3?x=1&y=2"));
        QCOMPARE(elements[3].text, QString("https://cc.example/next?a=1&b=\"2\""));
    }

    void twimlEscapesAttributeUrls()
    {
        TwimlBuilder t;
        t.dial({.action = "https://cc.example/dial?store=1&leg=2", .callerId = "+18005550100"},
               {{.kind = DialTarget::Kind::Number,
                 .value = "+14155550123",
                 .statusCallback = "https://cc.example/status?a=1&b=2",
                 .statusCallbackEvent = "initiated ringing answered completed"}});
        const std::string xml = t.str();
        QVERIFY(xml.find("action=\"https://cc.example/dial?store=1&amp;leg=2\"") !=
                std::string::npos);
        QVERIFY(xml.find("&leg") == std::string::npos);

        QList<XmlElement> elements;
        QString error;
        QVERIFY2(parseXml(xml, elements, error), qPrintable(error));
        QCOMPARE(elements[1].attributes.value("action").toString(),
                 QString("https://cc.example/dial?store=1&leg=2"));
        QCOMPARE(elements[2].name, QString("Number"));
        QCOMPARE(elements[2].attributes.value("statusCallback").toString(),
                 QString("https://cc.example/status?a=1&b=2"));
        QCOMPARE(elements[2].attributes.value("statusCallbackEvent").toString(),
                 QString("initiated ringing answered completed"));
    }

    void twimlRemovesForbiddenCharacters()
    {
        TwimlBuilder t;
        // C0 controls other than tab/LF/CR, a lone continuation byte, 0xFF, U+FFFE and a UTF-8
        // encoded surrogate: none may appear in XML 1.0.
        t.say(std::string("a\x01"
                          "b\x08"
                          "c\x0B"
                          "d\x0C"
                          "e\x1F"
                          "f\x80"
                          "g\xFF"
                          "h\xEF\xBF\xBE"
                          "i\xED\xA0\x80"
                          "j"))
            .say(std::string("tab\there\nnew line\r\nCRLF \xC3\xA9 \xF0\x9F\x93\x9E"),
                 {.voice = "x\ty\nz\r\x02w"});
        const std::string xml = t.str();
        QVERIFY(xml.find("<Say>abcdefghij</Say>") != std::string::npos);

        QList<XmlElement> elements;
        QString error;
        QVERIFY2(parseXml(xml, elements, error), qPrintable(error));
        QCOMPARE(elements[1].text, QString("abcdefghij"));
        // Whitespace survives the parser's normalisation because it was written as references.
        QCOMPARE(elements[2].text, QString::fromUtf8("tab\there\nnew line\r\nCRLF \xC3\xA9 "
                                                     "\xF0\x9F\x93\x9E"));
        QCOMPARE(elements[2].attributes.value("voice").toString(), QString("x\ty\nz\rw"));

        // Text made only of forbidden characters leaves an empty element, not a broken one.
        TwimlBuilder empty;
        empty.say(std::string("\x01\x02", 2)).play("");
        QCOMPARE(empty.str(), std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                          "<Response><Say/><Play/></Response>"));
    }

    void twimlNestedStructure()
    {
        TwimlBuilder t;
        t.say("Welcome.")
            .gather({.input = GatherInput::Dtmf, .numDigits = 1, .action = "/menu"},
                    [](GatherPrompts& p) {
                        p.say("For hours, press 1.")
                            .pause(1)
                            .play("https://cdn.example/jingle.mp3", 2)
                            .say("For a person, press 0.", {.language = "en-GB"});
                    })
            .dial({.timeout = 15, .answerOnBridge = true},
                  {{.kind = DialTarget::Kind::Client, .value = "desk-1"},
                   {.kind = DialTarget::Kind::Sip, .value = "sip:front@pbx.example;transport=tls"},
                   {.kind = DialTarget::Kind::Number, .value = "+14155550123"}})
            .say("Nobody answered.")
            .hangup();

        QList<XmlElement> elements;
        QString error;
        QVERIFY2(parseXml(t.str(), elements, error), qPrintable(error));
        QStringList names;
        for (const auto& e : elements) {
            names << e.name;
        }
        QCOMPARE(names, (QStringList{"Response", "Say", "Gather", "Say", "Pause", "Play", "Say",
                                     "Dial", "Client", "Sip", "Number", "Say", "Hangup"}));
        QCOMPARE(elements[2].attributes.value("numDigits").toString(), QString("1"));
        QCOMPARE(elements[5].attributes.value("loop").toString(), QString("2"));
        QCOMPARE(elements[6].attributes.value("language").toString(), QString("en-GB"));
        QCOMPARE(elements[7].attributes.value("answerOnBridge").toString(), QString("true"));
        QCOMPARE(elements[9].text, QString("sip:front@pbx.example;transport=tls"));

        // Nesting is real: the prompts are children of Gather, the targets of Dial.
        QVERIFY(t.str().find("<Gather input=\"dtmf\" numDigits=\"1\" action=\"/menu\"><Say>") !=
                std::string::npos);
        QVERIFY(t.str().find("</Say></Gather><Dial") != std::string::npos);
        QVERIFY(t.str().find("</Number></Dial><Say>") != std::string::npos);
    }

    void twimlAlwaysWellFormed()
    {
        // Arbitrary bytes in every free-text slot must never break the document.
        std::mt19937 rng(20240601);
        std::uniform_int_distribution<int> byte(0, 255);
        std::uniform_int_distribution<int> length(0, 40);
        const auto randomText = [&] {
            std::string s(static_cast<std::size_t>(length(rng)), '\0');
            for (char& c : s) {
                c = static_cast<char>(byte(rng));
            }
            return s;
        };
        for (int i = 0; i < 300; ++i) {
            TwimlBuilder t;
            const std::string text = randomText();
            t.say(text, {.voice = randomText(), .language = randomText()})
                .gather({.action = randomText(), .hints = randomText()},
                        [&](GatherPrompts& p) { p.play(randomText()); })
                .dial({.callerId = randomText()},
                      {{.value = randomText(), .statusCallback = randomText()}})
                .enqueue(randomText(), {.waitUrl = randomText()})
                .redirect(randomText());
            QList<XmlElement> elements;
            QString error;
            const std::string xml = t.str();
            QVERIFY2(parseXml(xml, elements, error),
                     qPrintable(error + " in " + QByteArray::fromStdString(xml).toHex()));
            QCOMPARE(elements.size(), 8);
        }
    }
};

QTEST_APPLESS_MAIN(TestTwilio)
#include "tst_twilio.moc"
