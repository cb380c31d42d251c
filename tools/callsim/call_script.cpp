#include "tools/callsim/call_script.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cc::callsim {
namespace {

using cc::telephony::FormParams;

constexpr std::string_view kApiVersion = "2010-04-01";
// How long simulated sounds last. A <Say> is read at about 150 words a minute; a <Play> file's
// length cannot be known here, so it counts as a short clip.
constexpr double kWordsPerSecond = 2.5;
constexpr double kPlaySeconds = 5;
constexpr int kForeverLoops = 10; // loop="0" ("until the call moves on") counts as this many
constexpr double kKeyPressSeconds = 1;
constexpr std::string_view kCallerPrefix = "caller: ";

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t countWords(std::string_view text)
{
    std::size_t words = 0;
    bool inWord = false;
    for (char c : text) {
        const bool blank = isBlank(c);
        if (!blank && !inWord) {
            ++words;
        }
        inWord = !blank;
    }
    return words;
}

// Words read (or said) at about 150 a minute, with a short breath around them.
double speakingSeconds(std::string_view text)
{
    return 0.5 + static_cast<double>(countWords(text)) / kWordsPerSecond;
}

std::string pathOf(std::string_view url)
{
    const std::size_t scheme = url.find("://");
    const std::size_t path = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    return path == std::string_view::npos ? std::string("/") : std::string(url.substr(path));
}

std::string describe(const Request& r)
{
    return "POST " + pathOf(r.url) + " (" + std::string(requestKindName(r.kind)) + ")";
}

std::string snippet(std::string_view body)
{
    constexpr std::size_t kMax = 120;
    std::string out(body.substr(0, kMax));
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return body.size() > kMax ? out + "..." : out;
}

bool routes(const std::vector<Verb>& verbs)
{
    return std::any_of(verbs.begin(), verbs.end(), [](const Verb& v) {
        return v.kind == Verb::Kind::Dial || v.kind == Verb::Kind::Gather ||
               v.kind == Verb::Kind::Record || v.kind == Verb::Kind::Redirect;
    });
}

} // namespace

std::string_view outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Answered:
        return "answered";
    case Outcome::NoAnswerThenAnswered:
        return "no_answer_then_answered";
    case Outcome::Voicemail:
        return "voicemail";
    case Outcome::CallbackRequested:
        return "callback_requested";
    case Outcome::Abandoned:
        return "abandoned";
    case Outcome::NotInService:
        return "not_in_service";
    case Outcome::Routed:
        return "routed";
    case Outcome::Refused:
        return "forged_refused";
    case Outcome::Failed:
        return "failed";
    case Outcome::Other:
        return "other";
    }
    return "?";
}

std::string_view requestKindName(RequestKind kind)
{
    switch (kind) {
    case RequestKind::Voice:
        return "voice";
    case RequestKind::GatherAction:
        return "gather action";
    case RequestKind::Redirect:
        return "redirect";
    case RequestKind::DialAction:
        return "dial action";
    case RequestKind::LegCallback:
        return "leg status callback";
    case RequestKind::RecordAction:
        return "record action";
    case RequestKind::RecordingCallback:
        return "recording status callback";
    case RequestKind::Status:
        return "status callback";
    }
    return "?";
}

CallScript::CallScript(CallerProfile profile, CallIdentity identity, std::uint64_t seed,
                       SidSource sids)
    : m_profile(profile)
    , m_id(std::move(identity))
    , m_sids(std::move(sids))
    , m_rng(seed)
{
    // Drawn up front and in a fixed order, so a seed decides them whatever the server answers.
    m_patience = m_profile.patienceSeconds > 0 ? exponential(m_profile.patienceSeconds)
                                               : std::numeric_limits<double>::infinity();
    m_wantsCallback = uniform() < m_profile.callbackProb;
    m_forge = uniform() < m_profile.forgeProb;
}

Step CallScript::start()
{
    m_documentUrl = m_id.baseUrl + "/twilio/voice";
    send(RequestKind::Voice, m_documentUrl, callParams("ringing"), true);
    if (m_forge) {
        std::string& signature = m_queue.back().request.signature;
        signature[0] = signature[0] == 'A' ? 'B' : 'A';
        m_queue.back().request.forged = true;
    }
    return pop();
}

Step CallScript::answered(int httpStatus, std::string_view body)
{
    const Request request = std::move(m_inFlight);
    m_inFlight = {};
    if (request.forged) {
        // Never a real call: nothing follows, not even a status callback.
        if (httpStatus == 403 || httpStatus == 429) {
            m_refused = true;
        } else {
            fail(describe(request) + " with a forged signature was answered " +
                 std::to_string(httpStatus) + ", not refused");
        }
        m_ended = true;
        m_queue.clear();
        m_queue.push_back({});
        return pop();
    }
    if (httpStatus < 200 || httpStatus > 299) {
        fail(describe(request) +
             (httpStatus == 0 ? " got no answer: " + std::string(body)
                              : " answered " + std::to_string(httpStatus) + ": " + snippet(body)));
        if (request.follow && !m_ended) {
            // Twilio ends a call whose next TwiML it cannot fetch ("an application error").
            m_queue.clear();
            endCall(EndReason::Failed);
        }
        return m_queue.empty() ? run() : pop();
    }
    if (!request.follow) {
        return m_queue.empty() ? run() : pop();
    }
    auto verbs = parseTwiml(body);
    if (!verbs) {
        fail(describe(request) + " answered TwiML Twilio would not play: " + verbs.error());
        m_queue.clear();
        endCall(EndReason::Failed);
        return pop();
    }
    if (m_firstAnswer) {
        m_firstAnswer = false;
        m_routed = routes(*verbs);
        m_notInService = !m_routed;
    }
    if (m_profile.latencyOnly) {
        endCall(EndReason::Normal);
        return pop();
    }
    m_verbs = std::move(verbs).value();
    m_pc = 0;
    m_documentUrl = request.url;
    return run();
}

Step CallScript::waited()
{
    return m_queue.empty() ? run() : pop();
}

std::optional<std::string> CallScript::takeProblem()
{
    auto problem = std::move(m_problem);
    m_problem.reset();
    return problem;
}

Outcome CallScript::outcome() const
{
    if (m_failed) {
        return Outcome::Failed;
    }
    if (m_refused) {
        return Outcome::Refused;
    }
    if (m_profile.latencyOnly) {
        return m_routed ? Outcome::Routed : m_notInService ? Outcome::NotInService : Outcome::Other;
    }
    if (m_endReason == EndReason::Abandoned) {
        return Outcome::Abandoned;
    }
    if (m_answered) {
        return m_unanswered > 0 ? Outcome::NoAnswerThenAnswered : Outcome::Answered;
    }
    if (m_voicemail) {
        return Outcome::Voicemail;
    }
    if (m_pressedCallback) {
        return Outcome::CallbackRequested;
    }
    if (m_notInService) {
        return Outcome::NotInService;
    }
    return Outcome::Other;
}

Step CallScript::pop()
{
    if (m_queue.empty()) {
        return {}; // only reached after Done
    }
    Step step = std::move(m_queue.front());
    m_queue.pop_front();
    if (step.kind == Step::Kind::Send) {
        m_inFlight = step.request;
    } else if (step.kind == Step::Kind::Done) {
        m_done = true;
    }
    return step;
}

Step CallScript::run()
{
    while (m_queue.empty() && !m_done) {
        if (m_ended) {
            m_queue.push_back({});
            break;
        }
        if (m_requests >= kMaxRequests) {
            fail("more than " + std::to_string(kMaxRequests) +
                 " webhook requests in one call: the TwiML loops");
            endCall(EndReason::Failed);
            break;
        }
        if (m_pc >= m_verbs.size()) {
            endCall(EndReason::Normal); // the end of the document hangs up
            break;
        }
        const Verb verb = m_verbs[m_pc++];
        execute(verb);
    }
    return pop();
}

void CallScript::execute(const Verb& verb)
{
    switch (verb.kind) {
    case Verb::Kind::Say:
        heard(verb.text);
        [[fallthrough]];
    case Verb::Kind::Play:
    case Verb::Kind::Pause:
        // Patience is for waiting on a person (the queue's <Gather>, a ringing <Dial>): a caller
        // does not hang up in the middle of a greeting or the voicemail prompt.
        wait(promptSeconds(verb), false);
        return;
    case Verb::Kind::Gather:
        gather(verb);
        return;
    case Verb::Kind::Redirect:
        send(RequestKind::Redirect, resolve(verb.text), callParams("in-progress"), true);
        return;
    case Verb::Kind::Dial:
        dial(verb);
        return;
    case Verb::Kind::Record:
        record(verb);
        return;
    case Verb::Kind::Hangup:
        endCall(EndReason::Normal);
        return;
    }
}

void CallScript::gather(const Verb& verb)
{
    double prompts = 0;
    for (const Verb& p : verb.prompts) {
        if (p.kind == Verb::Kind::Say) {
            heard(p.text); // as it starts: a caller who hangs up in it heard some of it
        }
        prompts += promptSeconds(p);
    }
    if (!wait(prompts, true)) {
        endCall(EndReason::Abandoned);
        return;
    }
    const bool presses = verb.dtmf && m_wantsCallback && !m_pressedCallback;
    const bool speaks = !presses && verb.speech && m_said < m_profile.says.size();
    if (!presses && !speaks) {
        // Neither a key nor a word within the timeout: Twilio goes on with the next verb.
        if (!wait(verb.seconds, true)) {
            endCall(EndReason::Abandoned);
        }
        return;
    }
    const std::string phrase = speaks ? m_profile.says[m_said] : std::string();
    if (!wait(presses ? kKeyPressSeconds : speakingSeconds(phrase), true)) {
        endCall(EndReason::Abandoned);
        return;
    }
    FormParams params = callParams("in-progress");
    if (presses) {
        m_pressedCallback = true;
        params.emplace_back("Digits", "1");
    } else {
        // Twilio sends what it recognised instead of Digits.
        ++m_said;
        heard(std::string(kCallerPrefix) + phrase);
        params.emplace_back("SpeechResult", phrase);
        params.emplace_back("Confidence", std::string(kSpeechConfidence));
    }
    // Without an action Twilio posts the input to the document's own URL.
    send(RequestKind::GatherAction, resolve(verb.action.empty() ? m_documentUrl : verb.action),
         std::move(params), true);
}

void CallScript::dial(const Verb& verb)
{
    // With several nouns the first to answer wins; one simulated answerer stands for all.
    const DialTarget& target = verb.targets.front();
    const std::string legSid = m_sids("CA");
    enum class Leg { Answer, Busy, NoAnswer };
    Leg leg = Leg::Answer;
    if (target.kind == DialTarget::Kind::Client) {
        const double u = uniform();
        leg = u < m_profile.busyProb                          ? Leg::Busy
              : u < m_profile.busyProb + m_profile.answerProb ? Leg::Answer
                                                              : Leg::NoAnswer;
    } // a <Number> or <Sip> is the store's own line: it picks up

    m_legSequence = 0;
    legCallback(target, legSid, "initiated", "initiated", std::nullopt);
    legCallback(target, legSid, "ringing", "ringing", std::nullopt);

    std::string dialStatus;
    int talked = 0;
    bool hungUp = false;
    switch (leg) {
    case Leg::Busy:
        dialStatus = "busy";
        ++m_unanswered;
        legCallback(target, legSid, "completed", "busy", std::nullopt);
        break;
    case Leg::NoAnswer:
        if (!wait(verb.seconds, true)) {
            hungUp = true;
            break;
        }
        dialStatus = "no-answer";
        ++m_unanswered;
        legCallback(target, legSid, "completed", "no-answer", std::nullopt);
        break;
    case Leg::Answer: {
        // Picked up before the <Dial> times out.
        const double ring =
            std::min(m_profile.ringSeconds * (0.5 + uniform()), std::max(0.0, verb.seconds - 1.0));
        if (!wait(ring, true)) {
            hungUp = true;
            break;
        }
        m_answered = true;
        legCallback(target, legSid, "answered", "in-progress", std::nullopt);
        talked = static_cast<int>(std::max(1.0, std::ceil(exponential(m_profile.talkSeconds))));
        wait(talked, false);
        dialStatus = "completed";
        legCallback(target, legSid, "completed", "completed", talked);
        break;
    }
    }

    if (hungUp) {
        // The caller gave up while it rang: the leg is canceled and Twilio reports the <Dial>'s
        // end to its action (the caller is gone, so the answer is not played).
        legCallback(target, legSid, "completed", "canceled", std::nullopt);
        if (!verb.action.empty()) {
            FormParams params = callParams("completed");
            params.emplace_back("DialCallSid", legSid);
            params.emplace_back("DialCallStatus", "canceled");
            send(RequestKind::DialAction, resolve(verb.action), std::move(params), false);
        }
        endCall(EndReason::Abandoned);
        return;
    }
    if (verb.action.empty()) {
        return; // Twilio goes on with the next verb
    }
    FormParams params = callParams("in-progress");
    params.emplace_back("DialCallSid", legSid);
    params.emplace_back("DialCallStatus", dialStatus);
    if (dialStatus == "completed") {
        params.emplace_back("DialCallDuration", std::to_string(talked));
    }
    send(RequestKind::DialAction, resolve(verb.action), std::move(params), true);
}

void CallScript::record(const Verb& verb)
{
    m_voicemail = true;
    if (uniform() >= m_profile.voicemailProb) {
        endCall(EndReason::Normal); // hangs up at the beep
        return;
    }
    const int length =
        std::min(verb.seconds,
                 static_cast<int>(std::max(1.0, std::ceil(exponential(m_profile.messageSeconds)))));
    wait(length, false);
    // Half the callers end with the finish key and hear what comes next; the others hang up
    // (Digits=hangup), and the action's answer is not played to anyone.
    const bool pressesKey = !verb.finishOnKey.empty() && uniform() < 0.5;
    const std::string recordingSid = m_sids("RE");
    const std::string recordingUrl = "https://api.twilio.com/2010-04-01/Accounts/" +
                                     m_id.accountSid + "/Recordings/" + recordingSid;
    FormParams params = callParams(pressesKey ? "in-progress" : "completed");
    params.emplace_back("RecordingUrl", recordingUrl);
    params.emplace_back("RecordingSid", recordingSid);
    params.emplace_back("RecordingDuration", std::to_string(length));
    params.emplace_back("Digits", pressesKey ? verb.finishOnKey.substr(0, 1) : "hangup");
    send(RequestKind::RecordAction, resolve(verb.action.empty() ? m_documentUrl : verb.action),
         std::move(params), pressesKey);

    if (!verb.recordingStatusCallback.empty()) {
        // Twilio's recording callback carries the recording, not the call's usual fields.
        FormParams callback = {
            {"AccountSid", m_id.accountSid},  {"CallSid", m_id.callSid},
            {"RecordingSid", recordingSid},   {"RecordingUrl", recordingUrl},
            {"RecordingStatus", "completed"}, {"RecordingDuration", std::to_string(length)},
            {"RecordingChannels", "1"},       {"RecordingSource", "RecordVerb"}};
        Request r;
        r.kind = RequestKind::RecordingCallback;
        r.url = resolve(verb.recordingStatusCallback);
        r.signature = cc::telephony::twilioSignature(m_id.authToken, r.url, callback);
        r.params = std::move(callback);
        m_afterEnd.push_back(std::move(r));
    }
    if (!pressesKey) {
        endCall(EndReason::Normal);
    }
}

bool CallScript::wait(double seconds, bool patient)
{
    if (seconds <= 0) {
        return true;
    }
    if (patient && !m_answered && !m_voicemail && m_clock + seconds > m_patience) {
        const double part = std::max(0.0, m_patience - m_clock);
        if (part > 0) {
            m_queue.push_back({Step::Kind::Wait, {}, part});
            m_clock += part;
        }
        return false;
    }
    m_queue.push_back({Step::Kind::Wait, {}, seconds});
    m_clock += seconds;
    return true;
}

void CallScript::send(RequestKind kind, const std::string& url, FormParams params, bool follow)
{
    Step step;
    step.kind = Step::Kind::Send;
    step.request.kind = kind;
    step.request.url = url;
    step.request.signature = cc::telephony::twilioSignature(m_id.authToken, url, params);
    step.request.params = std::move(params);
    step.request.follow = follow;
    m_queue.push_back(std::move(step));
    ++m_requests;
}

void CallScript::legCallback(const DialTarget& target, const std::string& legSid,
                             std::string_view event, std::string_view legStatus,
                             std::optional<int> duration)
{
    if (target.statusCallback.empty() ||
        std::find(target.statusCallbackEvents.begin(), target.statusCallbackEvents.end(), event) ==
            target.statusCallbackEvents.end()) {
        return;
    }
    // The dialled leg is a call of its own: its sid, its parent, Twilio's "client:" prefix.
    const std::string to =
        target.kind == DialTarget::Kind::Client ? "client:" + target.value : target.value;
    FormParams params = {{"AccountSid", m_id.accountSid},
                         {"ApiVersion", std::string(kApiVersion)},
                         {"CallSid", legSid},
                         {"CallStatus", std::string(legStatus)},
                         {"Called", to},
                         {"Caller", m_id.from},
                         {"Direction", "outbound-api"},
                         {"From", m_id.from},
                         {"ParentCallSid", m_id.callSid},
                         {"To", to},
                         {"CallbackSource", "call-progress-events"},
                         {"SequenceNumber", std::to_string(m_legSequence++)}};
    if (duration) {
        params.emplace_back("CallDuration", std::to_string(*duration));
    }
    send(RequestKind::LegCallback, resolve(target.statusCallback), std::move(params), false);
}

void CallScript::endCall(EndReason reason)
{
    if (m_ended) {
        return;
    }
    m_ended = true;
    m_endReason = reason;
    FormParams params = callParams("completed");
    params.emplace_back("CallDuration", std::to_string(static_cast<int>(std::ceil(m_clock))));
    params.emplace_back("CallbackSource", "call-progress-events");
    send(RequestKind::Status, m_id.baseUrl + "/twilio/status", std::move(params), false);
    for (Request& r : m_afterEnd) {
        m_queue.push_back({Step::Kind::Send, std::move(r), 0});
        ++m_requests;
    }
    m_afterEnd.clear();
    m_queue.push_back({});
}

void CallScript::fail(std::string problem)
{
    m_failed = true;
    m_problem = std::move(problem);
}

void CallScript::heard(std::string_view text)
{
    if (!m_keepTranscript || m_transcript.size() >= kMaxTranscriptLines) {
        return;
    }
    // Whitespace runs as one space; copied only as far as the bound needs.
    std::string line;
    for (std::size_t i = 0; i < text.size() && line.size() <= kMaxTranscriptLineBytes; ++i) {
        if (!isBlank(text[i])) {
            line.push_back(text[i]);
        } else if (!line.empty() && i + 1 < text.size() && !isBlank(text[i + 1])) {
            line.push_back(' ');
        }
    }
    if (line.empty()) {
        return; // an empty <Say> plays nothing
    }
    if (line.size() > kMaxTranscriptLineBytes) {
        constexpr std::string_view kCut = "...";
        std::size_t end = kMaxTranscriptLineBytes - kCut.size();
        while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0U) == 0x80U) {
            --end; // not inside a UTF-8 sequence
        }
        line.resize(end);
        line += kCut;
    }
    m_transcript.push_back(std::move(line));
}

FormParams CallScript::callParams(std::string_view callStatus) const
{
    return {{"AccountSid", m_id.accountSid},
            {"ApiVersion", std::string(kApiVersion)},
            {"CallSid", m_id.callSid},
            {"CallStatus", std::string(callStatus)},
            {"Called", m_id.to},
            {"Caller", m_id.from},
            {"Direction", "inbound"},
            {"From", m_id.from},
            {"To", m_id.to}};
}

// Our TwiML has absolute URLs; a relative one resolves against the document's URL, as Twilio
// does it.
std::string CallScript::resolve(std::string_view url) const
{
    if (url.starts_with("https://") || url.starts_with("http://")) {
        return std::string(url);
    }
    const std::size_t authority = m_documentUrl.find("://");
    const std::size_t pathStart =
        std::min(m_documentUrl.find('/', authority == std::string::npos ? 0 : authority + 3),
                 m_documentUrl.size());
    if (url.starts_with('/')) {
        return m_documentUrl.substr(0, pathStart) + std::string(url);
    }
    const std::size_t query = std::min(m_documentUrl.find('?'), m_documentUrl.size());
    const std::size_t slash = m_documentUrl.rfind('/', query);
    const std::size_t directoryEnd =
        slash == std::string::npos || slash < pathStart ? m_documentUrl.size() : slash + 1;
    std::string base = m_documentUrl.substr(0, directoryEnd);
    if (!base.ends_with('/')) {
        base += '/';
    }
    return base + std::string(url);
}

// [0, 1) from the top 53 bits: the same numbers on every platform (std's distributions are not
// specified exactly, std::mt19937_64 is).
double CallScript::uniform()
{
    return static_cast<double>(m_rng() >> 11U) * 0x1.0p-53;
}

double CallScript::exponential(double mean)
{
    return -mean * std::log1p(-uniform());
}

double CallScript::promptSeconds(const Verb& verb)
{
    const int times = verb.loop == 0 ? kForeverLoops : verb.loop;
    switch (verb.kind) {
    case Verb::Kind::Say:
        return times * speakingSeconds(verb.text);
    case Verb::Kind::Play:
        return times * kPlaySeconds;
    case Verb::Kind::Pause:
        return verb.seconds;
    default:
        return 0;
    }
}

} // namespace cc::callsim
