#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// A writer for the TwiML (https://www.twilio.com/docs/voice/twiml) our voice webhooks answer
// with. Element and attribute names come from this code only; every text and attribute value is
// escaped, and characters XML 1.0 does not allow (control characters other than tab, LF and CR,
// U+FFFE/U+FFFF, invalid UTF-8) are removed, so what str() returns is always well-formed.
//
// Options left unset are not written, so Twilio's own defaults apply.
namespace cc::telephony {

enum class HttpMethod { Get, Post };

enum class GatherInput { Dtmf, Speech, DtmfSpeech };

// The option structs are meant for designated initializers ({.action = "/x", .timeout = 5}).
// Every member has an explicit "{}" so g++ 12's -Wmissing-field-initializers stays quiet about
// the members a caller leaves out.

struct SayOptions {
    std::string voice{};    // "alice", "Polly.Joanna", ...
    std::string language{}; // "en-US", "de-DE", ...
    std::optional<int> loop{};
};

struct GatherOptions {
    std::optional<GatherInput> input{};
    std::optional<int> numDigits{};
    std::optional<int> timeout{}; // seconds
    std::string finishOnKey{};
    std::string action{};
    std::optional<HttpMethod> method{};
    std::string speechTimeout{}; // seconds, or "auto"
    std::string hints{};         // comma-separated words and phrases
    std::string language{};
    std::optional<bool> actionOnEmptyResult{};
};

struct DialOptions {
    std::string action{};
    std::optional<HttpMethod> method{};
    std::optional<int> timeout{}; // seconds of ringing
    std::string callerId{};
    std::string record{}; // "record-from-answer", "record-from-ringing", ...
    std::optional<bool> answerOnBridge{};
    std::optional<int> timeLimit{}; // seconds
};

struct DialTarget {
    enum class Kind { Number, Client, Sip };
    Kind kind = Kind::Number;
    std::string value{}; // E.164 number, client identity or sip: URI
    std::string statusCallback{};
    std::string statusCallbackEvent{}; // space-separated: "initiated ringing answered completed"
};

struct EnqueueOptions {
    std::string action{};
    std::optional<HttpMethod> method{};
    std::string waitUrl{};
    std::optional<HttpMethod> waitUrlMethod{};
};

struct RecordOptions {
    std::string action{};
    std::optional<HttpMethod> method{};
    std::optional<int> timeout{};   // seconds of silence that end the recording
    std::optional<int> maxLength{}; // seconds
    std::optional<bool> playBeep{};
    std::string finishOnKey{};
    bool transcribe = false; // Twilio's default too: written only when true
    std::string recordingStatusCallback{};
};

// The verbs a <Gather> may nest: the prompts played while it listens.
class GatherPrompts {
public:
    GatherPrompts& say(std::string_view text, const SayOptions& options = {});
    GatherPrompts& play(std::string_view url, std::optional<int> loop = std::nullopt);
    GatherPrompts& pause(int seconds);

private:
    friend class TwimlBuilder;
    explicit GatherPrompts(std::string* out)
        : m_out(out)
    {}
    std::string* m_out;
};

// Verbs are written in call order:
//   TwimlBuilder t;
//   t.gather({.input = GatherInput::Dtmf, .numDigits = 1, .action = "/voice/menu"},
//            [](GatherPrompts& p) { p.say("Press 1 for the store."); });
//   t.redirect("/voice/menu");
//   response.body() = t.str();
class TwimlBuilder {
public:
    TwimlBuilder& say(std::string_view text, const SayOptions& options = {});
    // `loop` 0 repeats until the call moves on; unset plays once.
    TwimlBuilder& play(std::string_view url, std::optional<int> loop = std::nullopt);
    TwimlBuilder& pause(int seconds);
    TwimlBuilder& gather(const GatherOptions& options,
                         const std::function<void(GatherPrompts&)>& prompts = {});
    // `targets` are dialled at once; the first to answer is connected.
    TwimlBuilder& dial(const DialOptions& options, const std::vector<DialTarget>& targets);
    TwimlBuilder& enqueue(std::string_view queueName, const EnqueueOptions& options = {});
    TwimlBuilder& record(const RecordOptions& options = {});
    TwimlBuilder& redirect(std::string_view url, std::optional<HttpMethod> method = std::nullopt);
    TwimlBuilder& hangup();
    TwimlBuilder& leave();

    // The complete document: XML declaration and <Response> around the verbs.
    std::string str() const;

private:
    std::string m_body;
};

} // namespace cc::telephony
