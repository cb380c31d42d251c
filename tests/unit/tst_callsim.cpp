// The call simulator's logic without the network: reading TwiML as Twilio does, the steps one
// simulated call takes for a given answer and profile (which requests, with which parameters,
// signed so that our server's check accepts them), the figures of the report, the command line.

#include "shared/telephony/twilio.h"
#include "shared/telephony/twiml.h"
#include "shared/util/utf8.h"
#include "tools/callsim/call_script.h"
#include "tools/callsim/options.h"
#include "tools/callsim/stats.h"
#include "tools/callsim/twiml_reader.h"

#include <QTest>

#include <cmath>
#include <memory>
#include <set>

using namespace cc::callsim;
using cc::telephony::FormParams;

namespace {

const std::string kBase = "https://127.0.0.1:8443";
const std::string kAccount = "AC0123456789abcdef0123456789abcdef";
const std::string kToken = "simulator-test-token";
const std::string kCallSid = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

const std::string* find(const FormParams& params, std::string_view name)
{
    for (const auto& [k, v] : params) {
        if (k == name) {
            return &v;
        }
    }
    return nullptr;
}

std::string param(const FormParams& params, std::string_view name)
{
    const std::string* v = find(params, name);
    return v != nullptr ? *v : std::string("<absent>");
}

CallIdentity identity()
{
    return {kBase, kAccount, kToken, kCallSid, "+15551234567", "+12125550100"};
}

// Sids "CA" / "RE" + a counter: predictable, and distinct from the call's own.
SidSource countingSids()
{
    auto counter = std::make_shared<int>(0);
    return [counter](std::string_view prefix) {
        std::string digits = std::to_string(++*counter);
        return std::string(prefix) + std::string(32 - digits.size(), '0') + digits;
    };
}

// A profile where nothing is left to chance unless a test sets it.
CallerProfile certain()
{
    CallerProfile p;
    p.answerProb = 1;
    p.busyProb = 0;
    p.ringSeconds = 4;
    p.talkSeconds = 30;
    p.patienceSeconds = 0; // never gives up
    p.callbackProb = 0;
    p.voicemailProb = 1;
    p.messageSeconds = 10;
    return p;
}

// Runs through waits, adding up their seconds, to the next Send or Done.
Step skipWaits(CallScript& script, Step step, double& waited)
{
    while (step.kind == Step::Kind::Wait) {
        if (!(step.seconds > 0)) {
            return step; // a zero or negative wait is a bug: let the caller's check fail
        }
        waited += step.seconds;
        step = script.waited();
    }
    return step;
}

bool signedCorrectly(const Request& r)
{
    return cc::telephony::validateTwilioSignature(kToken, r.url, r.params, r.signature);
}

std::string twiml(const std::function<void(cc::telephony::TwimlBuilder&)>& build)
{
    cc::telephony::TwimlBuilder t;
    build(t);
    return t.str();
}

// What our server answers when it rings someone (call_flow.cpp, route(), Action::Offer).
std::string offerTwiml(bool greeting, int timeout = 20)
{
    return twiml([&](cc::telephony::TwimlBuilder& t) {
        if (greeting) {
            t.say("Thank you for calling Northwind Boston.");
        }
        cc::telephony::DialOptions dial;
        dial.action = kBase + "/twilio/voice/dial?d=7";
        dial.timeout = timeout;
        dial.answerOnBridge = true;
        cc::telephony::DialTarget target;
        target.kind = cc::telephony::DialTarget::Kind::Client;
        target.value = "0b7e2c44-1111-4222-8333-944455556666";
        target.statusCallback = kBase + "/twilio/voice/leg?d=7";
        target.statusCallbackEvent = "answered";
        t.dial(dial, {target});
    });
}

// The waiting caller's turn (route(), Action::Wait).
std::string waitTwiml(int next)
{
    return twiml([&](cc::telephony::TwimlBuilder& t) {
        cc::telephony::GatherOptions gather;
        gather.input = cc::telephony::GatherInput::Dtmf;
        gather.numDigits = 1;
        gather.timeout = 3;
        gather.action = kBase + "/twilio/voice/choice?n=" + std::to_string(next);
        t.gather(gather, [](cc::telephony::GatherPrompts& p) {
            p.say("All our colleagues are helping other customers. Press 1 to be called back.");
        });
        t.redirect(kBase + "/twilio/voice/wait?n=" + std::to_string(next));
    });
}

std::string voicemailTwiml()
{
    return twiml([](cc::telephony::TwimlBuilder& t) {
        t.say("Sorry, nobody can take your call right now. Please leave a message.");
        cc::telephony::RecordOptions record;
        record.action = kBase + "/twilio/voice/recorded";
        record.maxLength = 120;
        record.playBeep = true;
        record.finishOnKey = "#";
        record.recordingStatusCallback = kBase + "/twilio/recording";
        t.record(record);
        t.say("We did not receive a message. Goodbye.");
        t.hangup();
    });
}

std::string hangupTwiml(std::string_view words = "Goodbye.")
{
    return twiml([&](cc::telephony::TwimlBuilder& t) {
        t.say(words);
        t.hangup();
    });
}

const std::string kEmptyTwiml = cc::telephony::TwimlBuilder().str();

// The self-service line (call_flow.cpp, onVoice() and menuGather()): something said, then a
// <Gather> for keys and words whose action is the menu (turn `turn`), then back to the menu.
std::string menuTwiml(int turn, std::string_view before = "Thank you for calling Northwind.")
{
    return twiml([&](cc::telephony::TwimlBuilder& t) {
        t.say(before);
        cc::telephony::GatherOptions gather;
        gather.input = cc::telephony::GatherInput::DtmfSpeech;
        gather.numDigits = 1;
        gather.timeout = 5;
        gather.action = kBase + "/twilio/voice/menu" +
                        (turn > 0 ? "?d=" + std::to_string(turn) : std::string());
        gather.speechTimeout = "auto";
        gather.hints = "in stock, opening hours, appointment";
        t.gather(gather, [](cc::telephony::GatherPrompts& p) {
            p.say("Just tell me what you need. To speak to a colleague, press 0.");
        });
        t.redirect(kBase + "/twilio/voice/menu");
    });
}

} // namespace

class TestCallSim : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ---- reading TwiML ----

    void readsWhatOurServerWrites()
    {
        const std::string doc = twiml([](cc::telephony::TwimlBuilder& t) {
            t.say("Fish & chips <today>, \"quoted\"");
            cc::telephony::GatherOptions gather;
            gather.input = cc::telephony::GatherInput::Dtmf;
            gather.numDigits = 1;
            gather.timeout = 3;
            gather.action = "https://h/twilio/voice/choice?n=1&x=2";
            t.gather(gather, [](cc::telephony::GatherPrompts& p) {
                p.say("Press 1.");
                p.play("https://h/music.mp3");
                p.pause(2);
            });
            t.redirect("https://h/twilio/voice/wait?n=1");
            cc::telephony::RecordOptions record;
            record.action = "https://h/rec";
            record.maxLength = 120;
            record.finishOnKey = "#";
            record.recordingStatusCallback = "https://h/recording";
            t.record(record);
            t.hangup();
        });
        const auto verbs = parseTwiml(doc);
        QVERIFY2(verbs.ok(), verbs.ok() ? "" : verbs.error().c_str());
        QCOMPARE(verbs->size(), std::size_t(5));
        const Verb& say = (*verbs)[0];
        QCOMPARE(say.kind, Verb::Kind::Say);
        QCOMPARE(q(say.text), QStringLiteral("Fish & chips <today>, \"quoted\""));
        const Verb& gather = (*verbs)[1];
        QCOMPARE(gather.kind, Verb::Kind::Gather);
        QCOMPARE(gather.numDigits, 1);
        QCOMPARE(gather.seconds, 3);
        QVERIFY(gather.dtmf);
        QCOMPARE(q(gather.action), QStringLiteral("https://h/twilio/voice/choice?n=1&x=2"));
        QCOMPARE(gather.prompts.size(), std::size_t(3));
        QCOMPARE(gather.prompts[1].kind, Verb::Kind::Play);
        QCOMPARE(gather.prompts[2].seconds, 2);
        QCOMPARE((*verbs)[2].kind, Verb::Kind::Redirect);
        QCOMPARE(q((*verbs)[2].text), QStringLiteral("https://h/twilio/voice/wait?n=1"));
        const Verb& record = (*verbs)[3];
        QCOMPARE(record.kind, Verb::Kind::Record);
        QCOMPARE(record.seconds, 120);
        QCOMPARE(q(record.finishOnKey), QStringLiteral("#"));
        QCOMPARE(q(record.recordingStatusCallback), QStringLiteral("https://h/recording"));
        QCOMPARE((*verbs)[4].kind, Verb::Kind::Hangup);

        const auto offer = parseTwiml(offerTwiml(false));
        QVERIFY(offer.ok());
        QCOMPARE(offer->size(), std::size_t(1));
        const Verb& dial = offer->front();
        QCOMPARE(dial.kind, Verb::Kind::Dial);
        QCOMPARE(dial.seconds, 20);
        QCOMPARE(dial.targets.size(), std::size_t(1));
        QCOMPARE(dial.targets[0].kind, DialTarget::Kind::Client);
        QCOMPARE(q(dial.targets[0].value), QStringLiteral("0b7e2c44-1111-4222-8333-944455556666"));
        QCOMPARE(dial.targets[0].statusCallbackEvents, std::vector<std::string>{"answered"});
    }

    void appliesTwiliosDefaults()
    {
        const auto verbs = parseTwiml("<Response><Gather/><Dial> +15550100 </Dial><Record/>"
                                      "<Pause/><Dial><Client statusCallback='https://h/s'>bob"
                                      "</Client></Dial></Response>");
        QVERIFY2(verbs.ok(), verbs.ok() ? "" : verbs.error().c_str());
        QCOMPARE(verbs->size(), std::size_t(5));
        QCOMPARE((*verbs)[0].seconds, 5); // Gather timeout
        QCOMPARE(q((*verbs)[0].finishOnKey), QStringLiteral("#"));
        QCOMPARE((*verbs)[0].numDigits, 0);
        QCOMPARE((*verbs)[1].seconds, 30); // Dial timeout
        QCOMPARE((*verbs)[1].targets[0].kind, DialTarget::Kind::Number);
        QCOMPARE(q((*verbs)[1].targets[0].value), QStringLiteral("+15550100"));
        QCOMPARE((*verbs)[2].seconds, 3600); // Record maxLength
        QCOMPARE(q((*verbs)[2].finishOnKey), QStringLiteral("1234567890*#"));
        QCOMPARE((*verbs)[3].seconds, 1); // Pause length
        // A statusCallback without events reports the completed event only.
        QCOMPARE((*verbs)[4].targets[0].statusCallbackEvents,
                 std::vector<std::string>{"completed"});
    }

    void readsXmlDetails()
    {
        const auto root = parseXml("\xEF\xBB\xBF<?xml version='1.0' encoding='utf-8'?>\r\n"
                                   "<!-- a comment -->\n<Response a=\"x&#10;y\tz\">"
                                   "&#65;&#x42;<![CDATA[<c>&amp;]]>line\r\nend</Response>\n");
        QVERIFY2(root.ok(), root.ok() ? "" : root.error().c_str());
        QCOMPARE(q(root->name), QStringLiteral("Response"));
        // A character reference keeps its newline; a literal tab in an attribute reads as space.
        QCOMPARE(q(*root->attribute("a")), QStringLiteral("x\ny z"));
        // CDATA is not parsed; CR LF reads as LF.
        QCOMPARE(q(root->text), QStringLiteral("AB<c>&amp;line\nend"));
    }

    void refusesWhatTwilioWouldRefuse_data()
    {
        QTest::addColumn<QByteArray>("document");
        QTest::addColumn<QString>("reason");
        QTest::newRow("empty") << QByteArray("") << "expected an element";
        QTest::newRow("mismatched")
            << QByteArray("<Response><Say>x</Hangup></Response>") << "closes <Say>";
        QTest::newRow("unclosed") << QByteArray("<Response><Say>x</Say>") << "not closed";
        QTest::newRow("two roots") << QByteArray("<Response/><Response/>") << "after the root";
        QTest::newRow("text after root") << QByteArray("<Response/>x") << "after the root";
        QTest::newRow("undeclared entity")
            << QByteArray("<Response><Say>&nbsp;</Say></Response>") << "undeclared entity";
        QTest::newRow("bad char ref")
            << QByteArray("<Response><Say>&#0;</Say></Response>") << "invalid character";
        QTest::newRow("raw ampersand")
            << QByteArray("<Response><Say>a & b</Say></Response>") << "entity";
        QTest::newRow("lt in attribute")
            << QByteArray("<Response><Gather action=\"a<b\"/></Response>") << "'<'";
        QTest::newRow("duplicate attribute")
            << QByteArray("<Response><Pause length='1' length='2'/></Response>") << "twice";
        QTest::newRow("doctype") << QByteArray("<!DOCTYPE x><Response/>") << "DOCTYPE";
        QTest::newRow("processing instruction")
            << QByteArray("<Response><?php x ?></Response>") << "processing";
        QTest::newRow("invalid UTF-8")
            << QByteArray("<Response><Say>\xC3\x28</Say></Response>") << "UTF-8";
        QTest::newRow("control character")
            << QByteArray("<Response><Say>\x01</Say></Response>") << "does not allow";
        QTest::newRow("latin-1 declared")
            << QByteArray("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Response/>")
            << "only UTF-8";
        QTest::newRow("double dash in comment")
            << QByteArray("<Response><!-- a -- b --></Response>") << "inside a comment";
        QTest::newRow("wrong root") << QByteArray("<Reply/>") << "not <Response>";
        QTest::newRow("text in Response") << QByteArray("<Response>hello</Response>") << "text";
        QTest::newRow("unknown verb")
            << QByteArray("<Response><Enqueue>q</Enqueue></Response>") << "not a verb";
        QTest::newRow("GET")
            << QByteArray("<Response><Redirect method='GET'>https://h/x</Redirect></Response>")
            << "only POSTs";
        QTest::newRow("empty Redirect")
            << QByteArray("<Response><Redirect> </Redirect></Response>") << "without a URL";
        QTest::newRow("Dial with nothing")
            << QByteArray("<Response><Dial/></Response>") << "nothing to dial";
        QTest::newRow("Conference")
            << QByteArray("<Response><Dial><Conference>r</Conference></Dial></Response>")
            << "not supported";
        QTest::newRow("not a number")
            << QByteArray("<Response><Pause length='two'/></Response>") << "not a number";
        QTest::newRow("negative timeout")
            << QByteArray("<Response><Dial timeout='-1'>+15550100</Dial></Response>")
            << "not a number";
        QTest::newRow("Dial in Gather")
            << QByteArray("<Response><Gather><Dial>+15550100</Dial></Gather></Response>")
            << "only Say, Play and Pause";
        QTest::newRow("unknown input")
            << QByteArray("<Response><Gather input='dtmf voice'/></Response>")
            << "dtmf and/or speech";
        QTest::newRow("unknown event")
            << QByteArray("<Response><Dial><Client statusCallbackEvent='picked'>a</Client>"
                          "</Dial></Response>")
            << "unknown";
    }

    void readsWhetherAGatherListensForSpeech()
    {
        const auto verbs = parseTwiml("<Response><Gather input='dtmf speech'/>"
                                      "<Gather input=' speech '/><Gather/>"
                                      "<Gather input='dtmf'/></Response>");
        QVERIFY2(verbs.ok(), verbs.ok() ? "" : verbs.error().c_str());
        QCOMPARE(verbs->size(), std::size_t(4));
        QVERIFY((*verbs)[0].dtmf && (*verbs)[0].speech);
        QVERIFY(!(*verbs)[1].dtmf && (*verbs)[1].speech);
        QVERIFY((*verbs)[2].dtmf && !(*verbs)[2].speech); // Twilio's default: dtmf
        QVERIFY((*verbs)[3].dtmf && !(*verbs)[3].speech);

        const auto menu = parseTwiml(menuTwiml(0));
        QVERIFY2(menu.ok(), menu.ok() ? "" : menu.error().c_str());
        QCOMPARE(menu->size(), std::size_t(3));
        const Verb& gather = (*menu)[1];
        QCOMPARE(gather.kind, Verb::Kind::Gather);
        QVERIFY(gather.dtmf && gather.speech);
        QCOMPARE(q(gather.action), q(kBase + "/twilio/voice/menu"));
        QCOMPARE(gather.prompts.size(), std::size_t(1));
    }

    void refusesWhatTwilioWouldRefuse()
    {
        QFETCH(QByteArray, document);
        QFETCH(QString, reason);
        const auto verbs = parseTwiml(document.toStdString());
        QVERIFY(!verbs.ok());
        QVERIFY2(q(verbs.error()).contains(reason), verbs.error().c_str());
    }

    // ---- one call, step by step ----

    void firstRequestIsTheSignedVoiceWebhook()
    {
        CallScript script(certain(), identity(), 1, countingSids());
        const Step step = script.start();
        QCOMPARE(step.kind, Step::Kind::Send);
        const Request& r = step.request;
        QCOMPARE(r.kind, RequestKind::Voice);
        QCOMPARE(q(r.url), q(kBase + "/twilio/voice"));
        QVERIFY(r.follow);
        QVERIFY(!r.forged);
        QCOMPARE(q(param(r.params, "AccountSid")), q(kAccount));
        QCOMPARE(q(param(r.params, "CallSid")), q(kCallSid));
        QCOMPARE(q(param(r.params, "From")), QStringLiteral("+15551234567"));
        QCOMPARE(q(param(r.params, "To")), QStringLiteral("+12125550100"));
        QCOMPARE(q(param(r.params, "Direction")), QStringLiteral("inbound"));
        QCOMPARE(q(param(r.params, "CallStatus")), QStringLiteral("ringing"));
        QCOMPARE(q(param(r.params, "ApiVersion")), QStringLiteral("2010-04-01"));
        // What our server checks: the signature over the URL as requested and the parameters.
        QVERIFY(signedCorrectly(r));
        QVERIFY(
            !cc::telephony::validateTwilioSignature("another-token", r.url, r.params, r.signature));
        QVERIFY(
            !cc::telephony::validateTwilioSignature(kToken, r.url + "?x=1", r.params, r.signature));
        // The body Twilio would POST decodes back to the same parameters.
        const auto decoded =
            cc::telephony::parseFormUrlEncoded(cc::telephony::formUrlEncode(r.params));
        QVERIFY(decoded.ok());
        QVERIFY(*decoded == r.params);
    }

    void answeredCall()
    {
        CallScript script(certain(), identity(), 42, countingSids());
        script.start();
        double waited = 0;
        // Greeting, then ringing: the person picks up before the 20 s timeout.
        Step step = script.answered(200, offerTwiml(true, 20));
        QCOMPARE(step.kind, Step::Kind::Wait);
        const double greeting = step.seconds;
        QVERIFY(greeting > 1);
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Wait);
        const double ring = step.seconds;
        QVERIFY2(ring >= 2 && ring <= 6, qPrintable(QString::number(ring))); // 4 s, 0.5-1.5x
        waited = greeting + ring;
        step = script.waited();

        // The rung person's leg reports "answered" (statusCallbackEvent="answered").
        QCOMPARE(step.kind, Step::Kind::Send);
        const Request leg = step.request;
        QCOMPARE(leg.kind, RequestKind::LegCallback);
        QCOMPARE(q(leg.url), q(kBase + "/twilio/voice/leg?d=7"));
        QVERIFY(!leg.follow);
        const std::string child = param(leg.params, "CallSid");
        QVERIFY(child.starts_with("CA") && child.size() == 34 && child != kCallSid);
        QCOMPARE(q(param(leg.params, "ParentCallSid")), q(kCallSid));
        QCOMPARE(q(param(leg.params, "CallStatus")), QStringLiteral("in-progress"));
        QCOMPARE(q(param(leg.params, "Direction")), QStringLiteral("outbound-api"));
        QCOMPARE(q(param(leg.params, "To")),
                 QStringLiteral("client:0b7e2c44-1111-4222-8333-944455556666"));
        QVERIFY(signedCorrectly(leg));

        // They talk, then the <Dial> action reports a completed conversation.
        step = script.answered(200, kEmptyTwiml);
        QCOMPARE(step.kind, Step::Kind::Wait);
        const double talk = step.seconds;
        QCOMPARE(talk, std::ceil(talk));
        QVERIFY(talk >= 1);
        waited += talk;
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Send);
        const Request action = step.request;
        QCOMPARE(action.kind, RequestKind::DialAction);
        QCOMPARE(q(action.url), q(kBase + "/twilio/voice/dial?d=7"));
        QVERIFY(action.follow);
        QCOMPARE(q(param(action.params, "CallSid")), q(kCallSid));
        QCOMPARE(q(param(action.params, "CallStatus")), QStringLiteral("in-progress"));
        QCOMPARE(q(param(action.params, "DialCallStatus")), QStringLiteral("completed"));
        QCOMPARE(q(param(action.params, "DialCallSid")), q(child));
        QCOMPARE(q(param(action.params, "DialCallDuration")),
                 QString::number(static_cast<int>(talk)));
        QVERIFY(signedCorrectly(action));

        // <Hangup/>: the status callback closes the call with its whole duration.
        step = script.answered(200, twiml([](auto& t) { t.hangup(); }));
        QCOMPARE(step.kind, Step::Kind::Send);
        const Request status = step.request;
        QCOMPARE(status.kind, RequestKind::Status);
        QCOMPARE(q(status.url), q(kBase + "/twilio/status"));
        QCOMPARE(q(param(status.params, "CallStatus")), QStringLiteral("completed"));
        QCOMPARE(q(param(status.params, "CallDuration")),
                 QString::number(static_cast<int>(std::ceil(waited))));
        QVERIFY(signedCorrectly(status));
        QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
        QCOMPARE(script.outcome(), Outcome::Answered);
        QVERIFY(!script.takeProblem());
    }

    void unansweredThenVoicemail()
    {
        CallerProfile profile = certain();
        profile.answerProb = 0; // rings out
        CallScript script(profile, identity(), 7, countingSids());
        script.start();
        Step step = script.answered(200, offerTwiml(false, 20));
        // Rings the whole timeout, then the <Dial> action says nobody answered.
        QCOMPARE(step.kind, Step::Kind::Wait);
        QCOMPARE(step.seconds, 20.0);
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::DialAction);
        QCOMPARE(q(param(step.request.params, "DialCallStatus")), QStringLiteral("no-answer"));
        QCOMPARE(q(param(step.request.params, "DialCallDuration")), QStringLiteral("<absent>"));
        QVERIFY(step.request.follow);
        QVERIFY(signedCorrectly(step.request));

        // Voicemail: the prompt, then a message of at most maxLength seconds.
        double waited = 0;
        step = skipWaits(script, script.answered(200, voicemailTwiml()), waited);
        QCOMPARE(step.kind, Step::Kind::Send);
        const Request recorded = step.request;
        QCOMPARE(recorded.kind, RequestKind::RecordAction);
        QCOMPARE(q(recorded.url), q(kBase + "/twilio/voice/recorded"));
        const std::string recordingSid = param(recorded.params, "RecordingSid");
        QVERIFY(recordingSid.starts_with("RE") && recordingSid.size() == 34);
        QCOMPARE(q(param(recorded.params, "RecordingUrl")),
                 q("https://api.twilio.com/2010-04-01/Accounts/" + kAccount + "/Recordings/" +
                   recordingSid));
        const int length = std::stoi(param(recorded.params, "RecordingDuration"));
        QVERIFY(length >= 1 && length <= 120);
        QVERIFY(signedCorrectly(recorded));
        const std::string digits = param(recorded.params, "Digits");
        QVERIFY2(digits == "#" || digits == "hangup", digits.c_str());
        // Finishing with '#' hears the answer; hanging up does not.
        QCOMPARE(recorded.follow, digits == "#");
        QCOMPARE(q(param(recorded.params, "CallStatus")),
                 digits == "#" ? QStringLiteral("in-progress") : QStringLiteral("completed"));

        step = script.answered(200, hangupTwiml("Thank you for your message. Goodbye."));
        step = skipWaits(script, step, waited);
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Status);
        // The recording's own callback comes after the call ended.
        step = script.answered(200, kEmptyTwiml);
        QCOMPARE(step.kind, Step::Kind::Send);
        const Request callback = step.request;
        QCOMPARE(callback.kind, RequestKind::RecordingCallback);
        QCOMPARE(q(callback.url), q(kBase + "/twilio/recording"));
        QCOMPARE(q(param(callback.params, "RecordingStatus")), QStringLiteral("completed"));
        QCOMPARE(q(param(callback.params, "RecordingSid")), q(recordingSid));
        QCOMPARE(q(param(callback.params, "CallSid")), q(kCallSid));
        QCOMPARE(param(callback.params, "RecordingDuration"), std::to_string(length));
        QVERIFY(signedCorrectly(callback));
        QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
        QCOMPARE(script.outcome(), Outcome::Voicemail);
    }

    void hangsUpAtTheBeep()
    {
        CallerProfile profile = certain();
        profile.voicemailProb = 0;
        CallScript script(profile, identity(), 3, countingSids());
        script.start();
        double waited = 0;
        Step step = skipWaits(script, script.answered(200, voicemailTwiml()), waited);
        // No message: no record action, just the end of the call.
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Status);
        QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
        QCOMPARE(script.outcome(), Outcome::Voicemail);
    }

    void busyThenTheStoreLine()
    {
        CallerProfile profile = certain();
        profile.answerProb = 0;
        profile.busyProb = 1;
        CallScript script(profile, identity(), 5, countingSids());
        script.start();
        // Declined at once: no ringing wait.
        Step step = script.answered(200, offerTwiml(false));
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(q(param(step.request.params, "DialCallStatus")), QStringLiteral("busy"));
        // Then the store's own line (a <Number>) picks up.
        const std::string storeLine = twiml([](auto& t) {
            cc::telephony::DialOptions dial;
            dial.timeout = 30;
            cc::telephony::DialTarget target;
            target.value = "+12125550100";
            t.dial(dial, {target});
            t.say("Goodbye.");
        });
        double waited = 0;
        step = skipWaits(script, script.answered(200, storeLine), waited);
        // No action on that <Dial>: after the conversation the document goes on, then ends.
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Status);
        QVERIFY(waited >= 1);
        QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
        QCOMPARE(script.outcome(), Outcome::NoAnswerThenAnswered);
    }

    void waitsInTheQueue()
    {
        CallScript script(certain(), identity(), 9, countingSids());
        script.start();
        Step step = script.answered(200, waitTwiml(1));
        QCOMPARE(step.kind, Step::Kind::Wait); // the announcement
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Wait); // the <Gather> timeout: no key
        QCOMPARE(step.seconds, 3.0);
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Redirect);
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/wait?n=1"));
        QCOMPARE(q(param(step.request.params, "CallStatus")), QStringLiteral("in-progress"));
        QCOMPARE(q(param(step.request.params, "Digits")), QStringLiteral("<absent>"));
        QVERIFY(step.request.follow);
        QVERIFY(signedCorrectly(step.request));
        // The next turn, then someone is free.
        double waited = 0;
        step = skipWaits(script, script.answered(200, waitTwiml(2)), waited);
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/wait?n=2"));
        step = skipWaits(script, script.answered(200, offerTwiml(false)), waited);
        QCOMPARE(step.request.kind, RequestKind::LegCallback);
        step = skipWaits(script, script.answered(200, kEmptyTwiml), waited);
        QCOMPARE(step.request.kind, RequestKind::DialAction);
        step = skipWaits(script, script.answered(200, twiml([](auto& t) { t.hangup(); })), waited);
        QCOMPARE(step.request.kind, RequestKind::Status);
        script.answered(200, kEmptyTwiml);
        QCOMPARE(script.outcome(), Outcome::Answered);
    }

    void asksForACallback()
    {
        CallerProfile profile = certain();
        profile.callbackProb = 1;
        CallScript script(profile, identity(), 11, countingSids());
        script.start();
        double waited = 0;
        Step step = skipWaits(script, script.answered(200, waitTwiml(1)), waited);
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::GatherAction);
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/choice?n=1"));
        QCOMPARE(q(param(step.request.params, "Digits")), QStringLiteral("1"));
        QVERIFY(step.request.follow);
        QVERIFY(signedCorrectly(step.request));
        step =
            skipWaits(script, script.answered(200, hangupTwiml("We will call you back.")), waited);
        QCOMPARE(step.request.kind, RequestKind::Status);
        script.answered(200, kEmptyTwiml);
        QCOMPARE(script.outcome(), Outcome::CallbackRequested);
    }

    void abandonsWhenPatienceRunsOut()
    {
        CallerProfile profile = certain();
        profile.patienceSeconds = 30; // the mean; this caller's own is drawn from the seed
        CallScript script(profile, identity(), 13, countingSids());
        script.start();
        double waited = 0;
        int turns = 0;
        Step step = skipWaits(script, script.answered(200, waitTwiml(1)), waited);
        while (step.kind == Step::Kind::Send && step.request.kind == RequestKind::Redirect) {
            QVERIFY(++turns < 1000);
            step = skipWaits(script, script.answered(200, waitTwiml(turns + 1)), waited);
        }
        // Gave up in the queue: the status callback, nothing else.
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Status);
        QCOMPARE(q(param(step.request.params, "CallStatus")), QStringLiteral("completed"));
        QCOMPARE(q(param(step.request.params, "CallDuration")),
                 QString::number(static_cast<int>(std::ceil(waited))));
        QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
        QCOMPARE(script.outcome(), Outcome::Abandoned);
        QCOMPARE(script.elapsedSeconds(), waited);
    }

    void hangsUpWhileItRings()
    {
        CallerProfile profile = certain();
        profile.answerProb = 0;
        profile.patienceSeconds = 0.001; // gives up long before a 20 s ring ends
        CallScript script(profile, identity(), 17, countingSids());
        script.start();
        double waited = 0;
        Step step = skipWaits(script, script.answered(200, offerTwiml(false, 20)), waited);
        QVERIFY(waited < 20);
        // Twilio tells the <Dial> action the leg was canceled; nobody hears its answer.
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::DialAction);
        QCOMPARE(q(param(step.request.params, "DialCallStatus")), QStringLiteral("canceled"));
        QCOMPARE(q(param(step.request.params, "CallStatus")), QStringLiteral("completed"));
        QVERIFY(!step.request.follow);
        step = script.answered(200, hangupTwiml());
        QCOMPARE(step.request.kind, RequestKind::Status);
        QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
        QCOMPARE(script.outcome(), Outcome::Abandoned);
    }

    void numberNotInService()
    {
        CallerProfile profile = certain();
        profile.patienceSeconds = 0.001; // impatient, but nobody hangs up during an announcement
        CallScript script(profile, identity(), 19, countingSids());
        script.start();
        double waited = 0;
        const Step step = skipWaits(
            script,
            script.answered(200, hangupTwiml("The number you have called is not in service.")),
            waited);
        QCOMPARE(step.request.kind, RequestKind::Status);
        script.answered(200, kEmptyTwiml);
        QCOMPARE(script.outcome(), Outcome::NotInService);
    }

    void latencyOnlyStopsAfterTheFirstAnswer()
    {
        CallerProfile profile = certain();
        profile.latencyOnly = true;
        CallScript script(profile, identity(), 23, countingSids());
        QCOMPARE(script.start().request.kind, RequestKind::Voice);
        // However the call is routed, the status callback follows at once.
        const Step step = script.answered(200, offerTwiml(true));
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Status);
        QCOMPARE(q(param(step.request.params, "CallDuration")), QStringLiteral("0"));
        QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
        QCOMPARE(script.outcome(), Outcome::Routed);
    }

    void forgedRequestMustBeRefused()
    {
        CallerProfile profile = certain();
        profile.forgeProb = 1;
        {
            CallScript script(profile, identity(), 29, countingSids());
            const Step step = script.start();
            QVERIFY(step.request.forged);
            QVERIFY(!signedCorrectly(step.request));
            QCOMPARE(step.request.signature.size(), std::size_t(28));
            // Refused: that is the right answer, and nothing follows.
            QCOMPARE(script.answered(403, "invalid signature").kind, Step::Kind::Done);
            QVERIFY(!script.takeProblem());
            QCOMPARE(script.outcome(), Outcome::Refused);
        }
        {
            CallScript script(profile, identity(), 29, countingSids());
            script.start();
            QCOMPARE(script.answered(200, offerTwiml(true)).kind, Step::Kind::Done);
            const auto problem = script.takeProblem();
            QVERIFY(problem.has_value());
            QVERIFY2(problem->find("forged") != std::string::npos, problem->c_str());
            QCOMPARE(script.outcome(), Outcome::Failed);
        }
    }

    void failedWebhookStillEndsTheCall()
    {
        {
            CallScript script(certain(), identity(), 31, countingSids());
            script.start();
            const Step step = script.answered(500, "boom");
            const auto problem = script.takeProblem();
            QVERIFY(problem.has_value());
            QVERIFY2(problem->find("500") != std::string::npos, problem->c_str());
            QVERIFY(!script.takeProblem()); // reported once
            // Twilio hangs up on an application error, and still sends the status callback.
            QCOMPARE(step.request.kind, RequestKind::Status);
            QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
            QCOMPARE(script.outcome(), Outcome::Failed);
        }
        {
            CallScript script(certain(), identity(), 31, countingSids());
            script.start();
            const Step step = script.answered(200, "<Response><Say>unclosed</Response>");
            QVERIFY(script.takeProblem().has_value());
            QCOMPARE(step.request.kind, RequestKind::Status);
            QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
            QCOMPARE(script.outcome(), Outcome::Failed);
        }
        {
            // No HTTP answer at all.
            CallScript script(certain(), identity(), 31, countingSids());
            script.start();
            script.answered(0, "cannot connect: Connection refused");
            const auto problem = script.takeProblem();
            QVERIFY(problem && problem->find("Connection refused") != std::string::npos);
        }
    }

    void resolvesRelativeUrlsLikeTwilio()
    {
        CallScript script(certain(), identity(), 37, countingSids());
        script.start();
        Step step = script.answered(200, "<Response><Redirect>/twilio/voice/wait?n=4</Redirect>"
                                         "</Response>");
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/wait?n=4"));
        // Relative to the document's own URL (now .../twilio/voice/wait?n=4).
        step = script.answered(200, "<Response><Redirect>choice?n=5</Redirect></Response>");
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/choice?n=5"));
        QVERIFY(signedCorrectly(step.request));
    }

    void endlessRedirectsFailTheCall()
    {
        CallScript script(certain(), identity(), 41, countingSids());
        script.start();
        Step step;
        int sent = 1;
        const std::string loop =
            "<Response><Redirect>" + kBase + "/twilio/voice/wait?n=1</Redirect></Response>";
        do {
            step = script.answered(200, loop);
            QVERIFY(++sent <= CallScript::kMaxRequests + 2);
        } while (step.kind == Step::Kind::Send && step.request.kind == RequestKind::Redirect);
        QCOMPARE(step.request.kind, RequestKind::Status);
        QVERIFY(script.takeProblem().has_value());
        QCOMPARE(script.outcome(), Outcome::Failed);
    }

    void oneSeedOneCall()
    {
        CallerProfile profile = certain();
        profile.answerProb = 0.5;
        profile.busyProb = 0.2;
        profile.patienceSeconds = 60;
        profile.callbackProb = 0.3;
        // The same answers to two scripts of one seed give the same steps.
        const auto trace = [&](std::uint64_t seed) {
            CallScript script(profile, identity(), seed, countingSids());
            std::vector<std::string> out;
            Step step = script.start();
            for (int i = 0; i < 200 && step.kind != Step::Kind::Done; ++i) {
                if (step.kind == Step::Kind::Wait) {
                    out.push_back("wait " + std::to_string(step.seconds));
                    step = script.waited();
                    continue;
                }
                out.push_back(std::string(requestKindName(step.request.kind)) + " " +
                              cc::telephony::formUrlEncode(step.request.params));
                const bool voiceOrNoAnswer =
                    step.request.kind == RequestKind::Voice ||
                    (step.request.kind == RequestKind::DialAction &&
                     param(step.request.params, "DialCallStatus") != "completed");
                step = script.answered(200, voiceOrNoAnswer ? offerTwiml(true) : kEmptyTwiml);
            }
            out.push_back(std::string(outcomeName(script.outcome())));
            return out;
        };
        QCOMPARE(trace(1234), trace(1234));
        std::set<std::vector<std::string>> distinct;
        for (std::uint64_t seed = 1; seed <= 8; ++seed) {
            distinct.insert(trace(seed));
        }
        QVERIFY(distinct.size() > 1);
    }

    // ---- callers who speak ----

    void saysAPhraseToTheGatherAction()
    {
        CallerProfile profile = certain();
        profile.says = {"Do you have the red Sorrento sofa in stock?"};
        {
            CallScript script(profile, identity(), 43, countingSids());
            script.start();
            Step step = script.answered(200, menuTwiml(0));
            QCOMPARE(step.kind, Step::Kind::Wait); // the greeting
            step = script.waited();
            QCOMPARE(step.kind, Step::Kind::Wait); // the Gather's prompt
            step = script.waited();
            QCOMPARE(step.kind, Step::Kind::Wait); // the caller speaks: 9 words
            QVERIFY2(step.seconds >= 3 && step.seconds <= 6,
                     qPrintable(QString::number(step.seconds)));
            step = script.waited();
            QCOMPARE(step.kind, Step::Kind::Send);
            const Request& r = step.request;
            QCOMPARE(r.kind, RequestKind::GatherAction);
            QCOMPARE(q(r.url), q(kBase + "/twilio/voice/menu"));
            QVERIFY(r.follow);
            QCOMPARE(q(param(r.params, "SpeechResult")),
                     QStringLiteral("Do you have the red Sorrento sofa in stock?"));
            QCOMPARE(q(param(r.params, "Confidence")), QStringLiteral("0.92"));
            QCOMPARE(q(param(r.params, "Digits")), QStringLiteral("<absent>"));
            QCOMPARE(q(param(r.params, "CallSid")), q(kCallSid));
            QCOMPARE(q(param(r.params, "AccountSid")), q(kAccount));
            QCOMPARE(q(param(r.params, "From")), QStringLiteral("+15551234567"));
            QCOMPARE(q(param(r.params, "CallStatus")), QStringLiteral("in-progress"));
            QVERIFY(signedCorrectly(r));
            const auto decoded =
                cc::telephony::parseFormUrlEncoded(cc::telephony::formUrlEncode(r.params));
            QVERIFY(decoded.ok() && *decoded == r.params);

            double waited = 0;
            step = skipWaits(script, script.answered(200, hangupTwiml("We have it.")), waited);
            QCOMPARE(step.request.kind, RequestKind::Status);
            QCOMPARE(script.answered(200, kEmptyTwiml).kind, Step::Kind::Done);
            QVERIFY(!script.takeProblem());
        }
        {
            // Without an action, Twilio posts what it heard to the document's own URL.
            CallScript script(profile, identity(), 43, countingSids());
            script.start();
            double waited = 0;
            const Step step = skipWaits(
                script,
                script.answered(200, "<Response><Gather input='speech'><Say>Tell me.</Say>"
                                     "</Gather></Response>"),
                waited);
            QCOMPARE(step.kind, Step::Kind::Send);
            QCOMPARE(step.request.kind, RequestKind::GatherAction);
            QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice"));
            QCOMPARE(q(param(step.request.params, "SpeechResult")),
                     QStringLiteral("Do you have the red Sorrento sofa in stock?"));
            QVERIFY(signedCorrectly(step.request));
        }
    }

    void phrasesInOrderThenSilence()
    {
        CallerProfile profile = certain();
        profile.says = {"opening hours", "thank you"};
        CallScript script(profile, identity(), 47, countingSids());
        script.start();
        double waited = 0;
        Step step = skipWaits(script, script.answered(200, menuTwiml(0)), waited);
        QCOMPARE(step.request.kind, RequestKind::GatherAction);
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/menu"));
        QCOMPARE(q(param(step.request.params, "SpeechResult")), QStringLiteral("opening hours"));

        step = skipWaits(
            script, script.answered(200, menuTwiml(1, "We are open from 9 to 6 today.")), waited);
        QCOMPARE(step.request.kind, RequestKind::GatherAction);
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/menu?d=1"));
        QCOMPARE(q(param(step.request.params, "SpeechResult")), QStringLiteral("thank you"));
        QVERIFY(signedCorrectly(step.request));

        // Nothing left to say: the Gather times out and the next verb (the Redirect) runs.
        step = script.answered(200, menuTwiml(2, "You are welcome."));
        QCOMPARE(step.kind, Step::Kind::Wait); // the answer
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Wait); // the prompt
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Wait); // silence, the whole timeout
        QCOMPARE(step.seconds, 5.0);
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Redirect);
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/menu"));
        QCOMPARE(q(param(step.request.params, "SpeechResult")), QStringLiteral("<absent>"));
        QCOMPARE(q(param(step.request.params, "Confidence")), QStringLiteral("<absent>"));
        QCOMPARE(q(param(step.request.params, "Digits")), QStringLiteral("<absent>"));
        step = skipWaits(script, script.answered(200, hangupTwiml()), waited);
        QCOMPARE(step.request.kind, RequestKind::Status);
    }

    void keysOnlyGatherHearsNoWords()
    {
        CallerProfile profile = certain();
        profile.says = {"a colleague please"};
        CallScript script(profile, identity(), 53, countingSids());
        script.start();
        // The queue's Gather listens for keys only: the caller keeps their words.
        Step step = script.answered(200, waitTwiml(1));
        QCOMPARE(step.kind, Step::Kind::Wait); // the announcement
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Wait); // the timeout
        QCOMPARE(step.seconds, 3.0);
        step = script.waited();
        QCOMPARE(step.kind, Step::Kind::Send);
        QCOMPARE(step.request.kind, RequestKind::Redirect);
        QCOMPARE(q(param(step.request.params, "SpeechResult")), QStringLiteral("<absent>"));
        // The first Gather that listens for speech gets them.
        double waited = 0;
        step = skipWaits(script, script.answered(200, menuTwiml(0)), waited);
        QCOMPARE(step.request.kind, RequestKind::GatherAction);
        QCOMPARE(q(param(step.request.params, "SpeechResult")),
                 QStringLiteral("a colleague please"));
        QCOMPARE(script.transcript().back(), std::string("caller: a colleague please"));
    }

    void pressingForACallbackComesFirst()
    {
        CallerProfile profile = certain();
        profile.callbackProb = 1;
        profile.says = {"hello"};
        CallScript script(profile, identity(), 59, countingSids());
        script.start();
        double waited = 0;
        Step step = skipWaits(script, script.answered(200, menuTwiml(0)), waited);
        QCOMPARE(step.request.kind, RequestKind::GatherAction);
        QCOMPARE(q(param(step.request.params, "Digits")), QStringLiteral("1"));
        QCOMPARE(q(param(step.request.params, "SpeechResult")), QStringLiteral("<absent>"));
        // Pressed once; at the next Gather the phrase is still there.
        step = skipWaits(script, script.answered(200, menuTwiml(1)), waited);
        QCOMPARE(q(param(step.request.params, "SpeechResult")), QStringLiteral("hello"));
        QCOMPARE(q(param(step.request.params, "Digits")), QStringLiteral("<absent>"));
    }

    void transcriptHasWhatWasHeardAndSaid()
    {
        CallerProfile profile = certain();
        profile.says = {"opening hours"};
        CallScript script(profile, identity(), 61, countingSids());
        script.start();
        double waited = 0;
        Step step = skipWaits(
            script,
            script.answered(200,
                            "<Response><Say>Thank you for calling.</Say>"
                            "<Play>https://h/music.mp3</Play><Pause length='1'/>"
                            "<Gather input='dtmf speech' action='/twilio/voice/menu'>"
                            "<Say>Tell me   what\n  you need.</Say><Pause/></Gather></Response>"),
            waited);
        QCOMPARE(step.request.kind, RequestKind::GatherAction);
        QCOMPARE(q(step.request.url), q(kBase + "/twilio/voice/menu"));
        step = skipWaits(script,
                         script.answered(200, "<Response><Say loop='2'>We are open from 9 to 6."
                                              "</Say><Say/><Hangup/></Response>"),
                         waited);
        QCOMPARE(step.request.kind, RequestKind::Status);
        // Play and Pause are not words; a looped Say counts once; an empty Say is nothing.
        const std::vector<std::string> expected = {
            "Thank you for calling.", "Tell me what you need.", "caller: opening hours",
            "We are open from 9 to 6."};
        QCOMPARE(script.transcript(), expected);
    }

    void transcriptIsBounded()
    {
        std::string many = "<Response>";
        for (int i = 0; i < 60; ++i) {
            many += "<Say>Line " + std::to_string(i) + ".</Say>";
        }
        many += "</Response>";
        {
            CallScript script(certain(), identity(), 67, countingSids());
            script.start();
            double waited = 0;
            const Step step = skipWaits(script, script.answered(200, many), waited);
            QCOMPARE(step.request.kind, RequestKind::Status);
            QCOMPARE(script.transcript().size(), CallScript::kMaxTranscriptLines);
            QCOMPARE(script.transcript().front(), std::string("Line 0."));
            QCOMPARE(script.transcript().back(), std::string("Line 49."));
        }
        {
            // A long line is cut at a character boundary, and says so.
            std::string accents;
            for (int i = 0; i < 700; ++i) {
                accents += "\xC3\xA9"; // U+00E9, two bytes
            }
            CallerProfile profile = certain();
            profile.says = {std::string(2000, 'a')};
            CallScript script(profile, identity(), 71, countingSids());
            script.start();
            double waited = 0;
            Step step = skipWaits(script,
                                  script.answered(200, "<Response><Gather input='speech'><Say>" +
                                                           accents + "</Say></Gather></Response>"),
                                  waited);
            QCOMPARE(step.request.kind, RequestKind::GatherAction);
            QCOMPARE(param(step.request.params, "SpeechResult").size(), std::size_t(2000));
            const auto& lines = script.transcript();
            QCOMPARE(lines.size(), std::size_t(2));
            for (const std::string& line : lines) {
                QVERIFY2(line.size() <= CallScript::kMaxTranscriptLineBytes,
                         qPrintable(QString::number(line.size())));
                QVERIFY(line.size() >= CallScript::kMaxTranscriptLineBytes - 4);
                QVERIFY(line.ends_with("..."));
                QVERIFY(cc::util::isValidUtf8(line));
            }
            QVERIFY(lines[0].starts_with("\xC3\xA9"));
            QVERIFY(lines[1].starts_with("caller: aaa"));
        }
        {
            // A runner that reports no transcript for this call keeps none.
            CallScript script(certain(), identity(), 73, countingSids());
            script.keepTranscript(false);
            script.start();
            double waited = 0;
            skipWaits(script, script.answered(200, many), waited);
            QVERIFY(script.transcript().empty());
        }
    }

    // ---- figures ----

    void percentilesAreNearestRank()
    {
        LatencyHistogram h;
        QCOMPARE(h.percentileMs(99), 0.0);
        for (int us = 1; us <= 100; ++us) {
            h.add(us / 1000.0); // 1..100 microseconds, exact buckets
        }
        QCOMPARE(h.count(), std::uint64_t(100));
        QCOMPARE(h.percentileMs(50), 0.050);
        QCOMPARE(h.percentileMs(90), 0.090);
        QCOMPARE(h.percentileMs(99), 0.099);
        QCOMPARE(h.percentileMs(100), 0.100);
        QCOMPARE(h.percentileMs(0), 0.001);
        QCOMPARE(h.maxMs(), 0.100);
        QVERIFY(std::abs(h.meanMs() - 0.0505) < 1e-9);

        // p99 of 200 samples is the 198th smallest.
        LatencyHistogram g;
        for (int us = 200; us >= 1; --us) {
            g.add(us / 1000.0);
        }
        QCOMPARE(g.percentileMs(99), 0.198);
        QCOMPARE(g.percentileMs(50), 0.100);

        // A rank between two samples rounds up: p50 of five is the third.
        LatencyHistogram five;
        for (int us : {5, 1, 4, 2, 3}) {
            five.add(us / 1000.0);
        }
        QCOMPARE(five.percentileMs(50), 0.003);
        QCOMPARE(five.percentileMs(81), 0.005);
    }

    void largeLatenciesStayClose()
    {
        LatencyHistogram h;
        const std::vector<double> samples = {1.2345, 4.5, 17.0, 250.0, 15000.0};
        for (double ms : samples) {
            h.add(ms);
        }
        for (std::size_t i = 0; i < samples.size(); ++i) {
            const double p =
                100.0 * static_cast<double>(i + 1) / static_cast<double>(samples.size());
            const double got = h.percentileMs(p);
            // The bucket's upper bound: never below the sample, within 0.8% above it.
            QVERIFY2(got >= samples[i] - 1e-9 && got <= samples[i] * 1.008,
                     qPrintable(QString("p%1: %2 for %3").arg(p).arg(got).arg(samples[i])));
        }
        QCOMPARE(h.maxMs(), 15000.0); // exact
        QCOMPARE(h.percentileMs(100), 15000.0);
    }

    void reportCountsEndpointsByPath()
    {
        Report r;
        r.countEndpoint(kBase + "/twilio/voice/dial?d=1");
        r.countEndpoint(kBase + "/twilio/voice/dial?d=2");
        r.countEndpoint(kBase + "/twilio/voice");
        QCOMPARE(r.requestsByEndpoint.size(), std::size_t(2));
        QCOMPARE(r.requestsByEndpoint["/twilio/voice/dial"], std::uint64_t(2));
        for (int i = 0; i < 100; ++i) {
            r.countEndpoint(kBase + "/x" + std::to_string(i));
        }
        QVERIFY(r.requestsByEndpoint.size() <= 33);
        QVERIFY(r.requestsByEndpoint.contains("(other)"));
        for (int i = 0; i < 20; ++i) {
            r.addError("e" + std::to_string(i));
        }
        QCOMPARE(r.errors, std::uint64_t(20));
        QCOMPARE(r.firstErrors.size(), Report::kKeptErrors);
        QVERIFY(formatJson(r).find("\"/twilio/voice/dial\":2") != std::string::npos);
    }

    void reportShowsTheFirstTranscripts()
    {
        Report r;
        QVERIFY(formatJson(r).find("\"transcripts\":[]") != std::string::npos);
        r.callsStarted = 25;
        r.keepTranscript(1, {"Hello.", "caller: opening hours"});
        r.keepTranscript(Report::kKeptTranscripts, {"not kept"});
        QCOMPARE(r.transcripts.size(), std::size_t(2));
        const std::string json = formatJson(r);
        // One array per call started, of the first 20, in the order they started.
        std::string expected = "\"transcripts\":[[],[\"Hello.\",\"caller: opening hours\"]";
        for (std::size_t i = 2; i < Report::kKeptTranscripts; ++i) {
            expected += ",[]";
        }
        expected += "]";
        QVERIFY2(json.find(expected) != std::string::npos, json.c_str());
        QVERIFY(json.find("not kept") == std::string::npos);
    }

    // ---- command line ----

    void parsesTheCommandLine()
    {
        const std::vector<std::string> base = {"--account-sid", kAccount, "--numbers",
                                               "+12125550100, +12125550101"};
        auto o = parseOptions(base, std::string("from-env"), std::nullopt);
        QVERIFY2(o.ok(), o.ok() ? "" : o.error().c_str());
        QCOMPARE(q(o->authToken), QStringLiteral("from-env"));
        QCOMPARE(o->numbers.size(), std::size_t(2));
        QCOMPARE(q(o->numbers[1]), QStringLiteral("+12125550101"));
        QCOMPARE(o->calls, std::int64_t(100)); // neither --calls nor --duration
        QCOMPARE(q(o->origin.base), QStringLiteral("https://127.0.0.1:8443"));
        QCOMPARE(q(o->origin.port), QStringLiteral("8443"));

        auto args = base;
        for (const char* a : {"--auth-token=cli", "--url", "https://calls.example.com/",
                              "--duration", "30", "--rate=250", "--time-scale", "0.01",
                              "--latency-only", "--progress=2", "--pick", "random"}) {
            args.emplace_back(a);
        }
        o = parseOptions(args, std::string("from-env"), std::nullopt);
        QVERIFY2(o.ok(), o.ok() ? "" : o.error().c_str());
        QCOMPARE(q(o->authToken), QStringLiteral("cli"));
        QCOMPARE(q(o->origin.base), QStringLiteral("https://calls.example.com"));
        QCOMPARE(q(o->origin.port), QStringLiteral("443"));
        QCOMPARE(o->calls, std::int64_t(0));
        QCOMPARE(o->durationSeconds, 30.0);
        QCOMPARE(o->rate, 250.0);
        QCOMPARE(o->timeScale, 0.01);
        QVERIFY(o->profile.latencyOnly);
        QCOMPARE(o->progressSeconds, 2.0);
        QVERIFY(o->randomNumbers);
        QVERIFY(o->profile.says.empty());
    }

    void parsesWhatCallersSay()
    {
        std::vector<std::string> args = {"--account-sid", kAccount, "--numbers", "+12125550100"};
        std::string longest;
        for (int i = 0; i < 250; ++i) {
            longest += "\xC3\xA9"; // 500 bytes
        }
        for (const std::string& a :
             {std::string("--say"), std::string("Do you have red shoes?"),
              std::string("--say=opening hours"), std::string("--say"), longest}) {
            args.push_back(a);
        }
        auto o = parseOptions(args, std::string("token"), std::nullopt);
        QVERIFY2(o.ok(), o.ok() ? "" : o.error().c_str());
        const std::vector<std::string> expected = {"Do you have red shoes?", "opening hours",
                                                   longest};
        QCOMPARE(o->profile.says, expected);
        QVERIFY(usage().find("--say TEXT") != std::string::npos);

        // Refused without echoing the text back.
        const auto refused = [&](const std::string& phrase) {
            auto bad = args;
            bad.emplace_back("--say");
            bad.push_back(phrase);
            const auto r = parseOptions(bad, std::string("token"), std::nullopt);
            return r.ok() ? std::string("accepted") : r.error();
        };
        QVERIFY(refused("\xC3\x28").find("UTF-8") != std::string::npos);
        QVERIFY(refused("a\xC2\x85"
                        "b")
                    .find("U+0085") != std::string::npos); // C1
        QVERIFY(refused("a\x7F").find("control") != std::string::npos);
        QVERIFY(refused(longest + "a").find("1 to 500 bytes") != std::string::npos);
    }

    void refusesBadCommandLines_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("reason");
        QTest::newRow("unknown") << QStringList{"--frobnicate"} << "unknown option";
        QTest::newRow("probability") << QStringList{"--answer-prob", "1.5"} << "from 0 to 1";
        QTest::newRow("sum") << QStringList{"--answer-prob", "0.9", "--busy-prob", "0.2"}
                             << "more than 1";
        QTest::newRow("http") << QStringList{"--url", "http://127.0.0.1:8080"} << "https://";
        QTest::newRow("path") << QStringList{"--url", "https://h/x"} << "host and port only";
        QTest::newRow("number") << QStringList{"--from", "5551234"} << "E.164";
        QTest::newRow("both verifications")
            << QStringList{"--ca", "ca.pem", "--insecure"} << "exclude";
        QTest::newRow("agents half") << QStringList{"--agents-file", "a.txt"} << "both";
        QTest::newRow("missing value") << QStringList{"--rate"} << "needs a value";
        QTest::newRow("say nothing") << QStringList{"--say="} << "1 to 500 bytes";
        QTest::newRow("say too much") << QStringList{"--say", QString(501, QLatin1Char('a'))}
                                      << "1 to 500 bytes of text, not 501 bytes";
        QTest::newRow("say tab") << QStringList{"--say", "a\tb"} << "control characters: U+0009";
        QTest::newRow("say bell") << QStringList{"--say", "a\ab"} << "control characters";
        QTest::newRow("say line") << QStringList{"--say", "a\nb"} << "control characters";
        QTest::newRow("say no value") << QStringList{"--say"} << "needs a value";
    }

    void refusesBadCommandLines()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, reason);
        std::vector<std::string> args = {"--account-sid", kAccount, "--numbers", "+12125550100"};
        for (const QString& a : extra) {
            args.push_back(a.toStdString());
        }
        const auto o = parseOptions(args, std::string("token"), std::nullopt);
        QVERIFY(!o.ok());
        QVERIFY2(q(o.error()).contains(reason), o.error().c_str());

        QVERIFY(!parseOptions({"--numbers", "+12125550100"}, std::string("t"), std::nullopt));
        QVERIFY(!parseOptions({"--account-sid", kAccount, "--numbers", "+12125550100"},
                              std::nullopt, std::nullopt));
    }
};

QTEST_APPLESS_MAIN(TestCallSim)
#include "tst_callsim.moc"
