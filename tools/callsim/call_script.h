#pragma once

#include "shared/telephony/twilio.h"
#include "tools/callsim/twiml_reader.h"

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

// One simulated inbound call, played the way Twilio plays a call against our webhooks: it asks
// POST /twilio/voice what to do, executes the TwiML it gets back verb by verb, and reports what
// happened with the status callback. The caller and the people it rings follow a profile (how
// likely an answer is, how long they talk, how patient the caller is ...) drawn from a seeded
// random generator, so one seed gives one call.
//
// This class makes no I/O and keeps no clock: it hands out steps ("send this signed request",
// "let this many simulated seconds pass", "done") and is told the answers. The network runner
// (simulation.h) and the unit tests drive it the same way.
namespace cc::callsim {

// What the caller and the rung people do. Probabilities are per call (callback, voicemail) or
// per offer (answer, busy); seconds are simulated seconds (the runner scales them).
struct CallerProfile {
    double answerProb = 0.8;      // a rung person picks up
    double busyProb = 0.05;       // a rung person declines at once (busy)
    double ringSeconds = 6;       // mean ringing before a person picks up (uniform 0.5-1.5x)
    double talkSeconds = 60;      // mean conversation (exponential, at least 1 s)
    double patienceSeconds = 120; // mean time, from the call's arrival, before the caller
                                  // hangs up unanswered (exponential); they hang up only while
                                  // queued (<Gather>) or ringing. 0: never
    double callbackProb = 0.1;    // presses 1 at the first queue <Gather> to be called back
    double voicemailProb = 0.7;   // leaves a message at the beep (else hangs up)
    double messageSeconds = 20;   // mean message length (exponential, at least 1 s)
    double forgeProb = 0;         // the call's first request carries a wrong signature
    bool latencyOnly = false;     // only /twilio/voice, then the status callback at once
    // What the caller says, in order: at each <Gather> that listens for speech, once its prompts
    // have played, the next phrase (unless they press 1 for a callback there). With none left
    // they stay silent and the <Gather> times out.
    std::vector<std::string> says;
};

// Who calls whom, and the account that signs.
struct CallIdentity {
    std::string baseUrl; // "https://127.0.0.1:8443": /twilio/voice and /twilio/status below it
    std::string accountSid;
    std::string authToken;
    std::string callSid;
    std::string from;
    std::string to;
};

enum class Outcome {
    Answered,             // the first person rung picked up (or the store's line did)
    NoAnswerThenAnswered, // someone picked up after one or more did not
    Voicemail,            // reached the voicemail prompt
    CallbackRequested,    // pressed 1 in the queue and was told they would be called back
    Abandoned,            // hung up while waiting (patience ran out)
    NotInService,         // the first answer routed nowhere (no Dial, Gather, Record, Redirect)
    Routed,               // latency-only mode: the first answer routed the call somewhere
    Refused,              // a forged request, refused as it should be (403, or 429 after many)
    Failed,               // an unexpected HTTP status, broken TwiML, or a transport error
    Other,                // ended by the server without any of the above
};
inline constexpr std::size_t kOutcomeCount = 10;
std::string_view outcomeName(Outcome outcome);

enum class RequestKind {
    Voice,             // POST {base}/twilio/voice: the call arrives
    GatherAction,      // the <Gather> action: a key was pressed or words were said
    Redirect,          // a <Redirect>
    DialAction,        // the <Dial> action: the dialled leg ended
    LegCallback,       // a <Client>/<Number> statusCallback: the dialled leg's progress
    RecordAction,      // the <Record> action: the message ended
    RecordingCallback, // <Record recordingStatusCallback>: the recording is ready
    Status,            // POST {base}/twilio/status: the call ended
};
std::string_view requestKindName(RequestKind kind);

struct Request {
    RequestKind kind = RequestKind::Voice;
    std::string url; // absolute; what is signed and requested
    cc::telephony::FormParams params;
    std::string signature; // X-Twilio-Signature
    bool follow = false;   // the answer is TwiML the call goes on with
    bool forged = false;   // signed wrongly on purpose: 403 is the right answer
};

struct Step {
    enum class Kind { Send, Wait, Done };
    Kind kind = Kind::Done;
    Request request;    // Send
    double seconds = 0; // Wait: simulated seconds
};

// New provider ids ("CA" + 32 hex for a call, "RE" for a recording). They must be unique per run
// (the server applies each call's events once), so they come from outside the seeded profile.
using SidSource = std::function<std::string(std::string_view prefix)>;

class CallScript {
public:
    // A call gives up after this many webhook requests: a TwiML loop, not a caller.
    static constexpr int kMaxRequests = 1000;
    // The transcript keeps this many lines at most, each at most this many bytes.
    static constexpr std::size_t kMaxTranscriptLines = 50;
    static constexpr std::size_t kMaxTranscriptLineBytes = 1000;
    // What Twilio's recogniser is taken to report for every phrase (Confidence, 0..1).
    static constexpr std::string_view kSpeechConfidence = "0.92";

    CallScript(CallerProfile profile, CallIdentity identity, std::uint64_t seed, SidSource sids);

    // The first step: POST /twilio/voice.
    Step start();
    // After a Send: the HTTP status (0: no answer, `body` says why) and body of the answer.
    Step answered(int httpStatus, std::string_view body);
    // After a Wait.
    Step waited();

    // Set when the last answer was not what Twilio would accept (an unexpected HTTP status,
    // TwiML it cannot play): the reason, once.
    std::optional<std::string> takeProblem();

    Outcome outcome() const;
    // What the caller heard and said, in order: the text of each <Say> played (once however
    // often it loops; a prompt of a <Gather> when it starts), and each phrase said, as
    // "caller: <phrase>". Whitespace runs read as one space; a line longer than
    // kMaxTranscriptLineBytes is cut (at a character boundary) and ends in "..."; lines past
    // kMaxTranscriptLines are dropped.
    const std::vector<std::string>& transcript() const { return m_transcript; }
    // Whether to keep the transcript (default yes): a runner keeps only the few it reports.
    void keepTranscript(bool keep) { m_keepTranscript = keep; }
    double elapsedSeconds() const { return m_clock; } // simulated, at the end of the queued steps
    int requests() const { return m_requests; }

private:
    enum class EndReason { Normal, Abandoned, Failed };

    Step pop();
    Step run();
    void execute(const Verb& verb);
    void gather(const Verb& verb);
    void dial(const Verb& verb);
    void record(const Verb& verb);

    // Queues a wait. When `patient`, the caller (not yet answered) may run out of patience in
    // it: then only the part they waited is queued and false is returned.
    bool wait(double seconds, bool patient);
    void send(RequestKind kind, const std::string& url, cc::telephony::FormParams params,
              bool follow);
    void legCallback(const DialTarget& target, const std::string& legSid, std::string_view event,
                     std::string_view legStatus, std::optional<int> duration);
    void endCall(EndReason reason);
    void fail(std::string problem);
    void heard(std::string_view text);

    cc::telephony::FormParams callParams(std::string_view callStatus) const;
    std::string resolve(std::string_view url) const;
    double uniform();
    double exponential(double mean);
    static double promptSeconds(const Verb& verb);

    CallerProfile m_profile;
    CallIdentity m_id;
    SidSource m_sids;
    std::mt19937_64 m_rng;

    std::vector<Verb> m_verbs;
    std::size_t m_pc = 0;
    std::string m_documentUrl;
    std::deque<Step> m_queue;
    std::vector<Request> m_afterEnd; // sent after the status callback (recording callbacks)
    Request m_inFlight;

    double m_clock = 0; // simulated seconds since the call arrived
    double m_patience = 0;
    bool m_wantsCallback = false;
    bool m_forge = false;
    bool m_firstAnswer = true;
    bool m_answered = false;
    bool m_voicemail = false;
    bool m_pressedCallback = false;
    bool m_notInService = false;
    bool m_routed = false;
    bool m_refused = false;
    bool m_ended = false;
    bool m_done = false;
    EndReason m_endReason = EndReason::Normal;
    int m_unanswered = 0;  // offers that were busy or not answered
    int m_legSequence = 0; // SequenceNumber of the dialled leg's callbacks
    int m_requests = 0;
    std::size_t m_said = 0; // phrases of m_profile.says said so far
    std::vector<std::string> m_transcript;
    bool m_keepTranscript = true;
    std::optional<std::string> m_problem;
    bool m_failed = false;
};

} // namespace cc::callsim
