#include "tools/callsim/options.h"

#include "shared/util/utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>

namespace cc::callsim {
namespace {

using Setter = std::function<std::optional<std::string>(const std::string&)>;

std::optional<double> toDouble(const std::string& s)
{
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

template <typename Int>
std::optional<Int> toInt(const std::string& s)
{
    Int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::vector<std::string> splitList(const std::string& s)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        const std::size_t comma = std::min(s.find(',', start), s.size());
        std::string item = s.substr(start, comma - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) {
            out.push_back(std::move(item));
        }
        start = comma + 1;
    }
    return out;
}

bool isE164(const std::string& s)
{
    return s.size() >= 3 && s.size() <= 16 && s[0] == '+' && s[1] != '0' &&
           std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Setter real(double& target, double min, double max)
{
    return [&target, min, max](const std::string& v) -> std::optional<std::string> {
        const auto d = toDouble(v);
        if (!d || *d < min || *d > max) {
            char range[96];
            std::snprintf(range, sizeof range, "a number from %g to %g", min, max);
            return std::string(range);
        }
        target = *d;
        return std::nullopt;
    };
}

template <typename Int>
Setter integer(Int& target, Int min, Int max)
{
    return [&target, min, max](const std::string& v) -> std::optional<std::string> {
        const auto n = toInt<Int>(v);
        if (!n || *n < min || *n > max) {
            return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
        }
        target = *n;
        return std::nullopt;
    };
}

Setter text(std::string& target)
{
    return [&target](const std::string& v) -> std::optional<std::string> {
        if (v.empty()) {
            return std::string("a value");
        }
        target = v;
        return std::nullopt;
    };
}

// --say: what a caller says goes out as SpeechResult, and into the report.
constexpr std::size_t kMaxPhraseBytes = 500;

std::optional<std::string> checkPhrase(std::string_view phrase)
{
    if (phrase.empty() || phrase.size() > kMaxPhraseBytes) {
        return "--say takes 1 to " + std::to_string(kMaxPhraseBytes) + " bytes of text, not " +
               std::to_string(phrase.size()) + " bytes";
    }
    std::size_t i = 0;
    while (i < phrase.size()) {
        std::uint32_t cp = 0;
        const std::size_t length = util::decodeUtf8(phrase, i, cp);
        if (length == 0) {
            return "--say takes UTF-8 text: invalid UTF-8 at byte " + std::to_string(i);
        }
        // C0, DEL and C1: tabs and line breaks included (a phrase is one line).
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            char code[16];
            std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
            return "--say takes text without control characters: " + std::string(code) +
                   " at byte " + std::to_string(i);
        }
        i += length;
    }
    return std::nullopt;
}

} // namespace

Result<Origin, std::string> parseBaseUrl(std::string_view url)
{
    constexpr std::string_view kScheme = "https://";
    if (!url.starts_with(kScheme)) {
        return std::string("--url must start with https:// (the server only speaks TLS)");
    }
    std::string_view rest = url.substr(kScheme.size());
    if (rest.ends_with('/')) {
        rest.remove_suffix(1);
    }
    if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) {
        return std::string("--url is scheme, host and port only: https://host[:port]");
    }
    Origin o;
    o.scheme = "https";
    o.port = "443";
    if (rest.front() == '[') {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos) {
            return std::string("--url has an unclosed IPv6 literal");
        }
        o.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return std::string("--url: unexpected text after the IPv6 literal");
        }
    } else {
        const std::size_t colon = rest.find(':');
        o.host = std::string(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
    }
    if (!rest.empty()) {
        const std::string port(rest.substr(1));
        const auto n = toInt<int>(port);
        if (!n || *n < 1 || *n > 65535) {
            return std::string("--url has an invalid port");
        }
        o.port = port;
    }
    if (o.host.empty()) {
        return std::string("--url has no host");
    }
    o.base = std::string(url.substr(0, url.size() - (url.ends_with('/') ? 1 : 0)));
    return o;
}

std::string usage()
{
    return R"(callcommander-callsim: plays Twilio against a Call Commander server. Every call POSTs
/twilio/voice, follows the TwiML it gets back (Say, Play, Pause, Gather, Redirect, Dial,
Record, Hangup) the way Twilio does, and ends with the status callback. Every request is signed
with X-Twilio-Signature exactly as Twilio signs it.

usage: callcommander-callsim --account-sid AC... --numbers +1...[,+1...] [options]

Server
  --url URL               base URL of the server (default https://127.0.0.1:8443); webhooks
                          go to URL/twilio/voice and URL/twilio/status, and are signed over
                          the URL as requested
  --connect HOST:PORT     connect here instead of the URL's host (TLS names and signatures
                          still use the URL)
  --ca FILE               trust the server certificate issued by this CA (PEM)
  --insecure              do not verify the server certificate
  --account-sid SID       the organisation's Twilio account (AC + 32 hex digits)
  --auth-token TOKEN      its auth token, which signs the requests; better given in the
                          environment as CALLSIM_AUTH_TOKEN (kept out of `ps`)
  --connections N         HTTPS keep-alive connections at most (default 32)

Calls
  --numbers LIST          dialled store numbers, comma-separated E.164 (required)
  --pick MODE             round-robin (default) or random over --numbers
  --from LIST             caller numbers to draw from (comma-separated E.164)
  --from-pool N           else: N made-up caller numbers (+1555xxxxxxx; default 1000), so
                          some callers call again
  --calls N               calls to place (default 100 when --duration is not given)
  --duration S            place calls for S seconds (with --calls: whichever ends first)
  --rate R                calls per second (default 10)
  --arrivals MODE         poisson (default: exponential gaps) or even
  --concurrency N         calls in progress at most (default 1000); arrivals wait for a free
                          slot and are counted as started late

Callers and staff (simulated seconds; see --time-scale)
  --answer-prob P         a rung person picks up (default 0.8)
  --busy-prob P           a rung person declines at once: busy (default 0.05); otherwise
                          the <Dial> times out: no-answer
  --ring-seconds S        mean ringing before a pick-up, uniform 0.5-1.5x, always shorter
                          than the <Dial> timeout (default 6)
  --talk-seconds S        mean conversation, exponential (default 60)
  --patience-seconds S    mean time a caller waits for a person before hanging up,
                          exponential, counted from the start of the call; callers hang up
                          only while queued (<Gather>) or ringing; 0 never (default 120)
  --callback-prob P       presses 1 in the queue to be called back (default 0.1)
  --voicemail-prob P      leaves a message at the beep, else hangs up (default 0.7)
  --message-seconds S     mean message length, exponential (default 20)
  --say TEXT              what the caller says, at each <Gather> that listens for speech
                          (input="speech" or "dtmf speech") once its prompts have played;
                          repeat for the next ones, in order. Twilio's SpeechResult (with
                          Confidence 0.92) goes to the <Gather> action; once every phrase is
                          said the caller stays silent. 1-500 bytes of UTF-8 each, no control
                          characters. A caller pressing 1 for a callback there does not speak.
  --forge-prob P          the call's first request is signed wrongly on purpose and must be
                          refused with 403 (429 once the server's limit on bad signatures
                          applies); a forged call stops there (default 0)
  --time-scale F          multiplies every simulated wait: 0.01 makes a 60 s talk 0.6 s
                          (default 1). The server's own timers are not scaled.
  --seed N                seed for every choice above (default 1): one seed, one run

Modes and output
  --latency-only          only POST /twilio/voice for each call, then at once the status
                          callback (completed): webhook-to-TwiML latency without following
  --json                  print the final report as one JSON object
  --progress[=S]          a progress line on stderr every S seconds (default 5)

Staff online (optional)
  --agents-login ORG[:PASSWORD]
                          sign staff in to organisation ORG (its company code); the password
                          is better given as CALLSIM_AGENT_PASSWORD
  --agents-file FILE      their e-mail addresses, one a line ('#' starts a comment)
  --agents N              sign in the first N of the file (default all)
                          Each is signed in (POST /v1/auth/login), keeps a WebSocket open
                          (/ws, hello) so the server routes calls to them, sets itself
                          available (PUT /v1/me/presence), refreshes its token before it
                          expires and signs out at the end.

Report: calls started and finished; outcomes (answered, no_answer_then_answered, voicemail,
callback_requested, abandoned, not_in_service, routed, forged_refused, failed, other);
requests by endpoint; HTTP status counts; webhook latency p50/p90/p99/max from sending a
request to having its whole answer; the first errors. With --json also "transcripts": for
the first 20 calls (in the order they started), what each heard (every <Say>) and said
("caller: ..."), at most 50 lines of 1000 bytes per call. 503 and 429 answers are retried three
times with backoff. Exit status: 0 when no request failed unexpectedly, 1 otherwise, 2 for a
usage error.
)";
}

Result<Options, std::string> parseOptions(const std::vector<std::string>& args,
                                          const std::optional<std::string>& envAuthToken,
                                          const std::optional<std::string>& envAgentPassword)
{
    Options o;
    std::string url = "https://127.0.0.1:8443";
    std::string numbers;
    std::string from;
    std::string pick = "round-robin";
    std::string arrivals = "poisson";
    std::string agentsLogin;
    bool callsGiven = false;
    constexpr double kDay = 86400;

    const std::map<std::string, Setter> valued = {
        {"--url", text(url)},
        {"--connect", text(o.connectTo)},
        {"--ca", text(o.caFile)},
        {"--account-sid", text(o.accountSid)},
        {"--auth-token", text(o.authToken)},
        {"--connections", integer(o.connections, 1, 1024)},
        {"--numbers", text(numbers)},
        {"--pick", text(pick)},
        {"--from", text(from)},
        {"--from-pool", integer(o.fromPool, 1, 10000000)},
        {"--calls",
         [&](const std::string& v) {
             callsGiven = true;
             return integer<std::int64_t>(o.calls, 1, std::int64_t{1} << 40)(v);
         }},
        {"--duration", real(o.durationSeconds, 0.001, 365 * kDay)},
        {"--rate", real(o.rate, 0.001, 1e6)},
        {"--arrivals", text(arrivals)},
        {"--concurrency", integer(o.concurrency, 1, 1000000)},
        {"--answer-prob", real(o.profile.answerProb, 0, 1)},
        {"--busy-prob", real(o.profile.busyProb, 0, 1)},
        {"--ring-seconds", real(o.profile.ringSeconds, 0, 3600)},
        {"--talk-seconds", real(o.profile.talkSeconds, 0, kDay)},
        {"--patience-seconds", real(o.profile.patienceSeconds, 0, kDay)},
        {"--callback-prob", real(o.profile.callbackProb, 0, 1)},
        {"--voicemail-prob", real(o.profile.voicemailProb, 0, 1)},
        {"--message-seconds", real(o.profile.messageSeconds, 0, 14400)},
        {"--forge-prob", real(o.profile.forgeProb, 0, 1)},
        {"--time-scale", real(o.timeScale, 0, 1000)},
        {"--seed", integer<std::uint64_t>(o.seed, 0, UINT64_MAX)},
        {"--agents-login", text(agentsLogin)},
        {"--agents-file", text(o.agentsFile)},
        {"--agents", integer(o.agents, 1, 100000)},
    };

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            return std::string("help");
        }
        if (arg == "--insecure") {
            o.insecure = true;
            continue;
        }
        if (arg == "--json") {
            o.json = true;
            continue;
        }
        if (arg == "--latency-only") {
            o.profile.latencyOnly = true;
            continue;
        }
        if (arg == "--progress") {
            o.progressSeconds = 5;
            continue;
        }
        const std::size_t eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        if (name == "--progress") {
            const auto s = toDouble(arg.substr(eq + 1));
            if (!s || *s < 0.1 || *s > kDay) {
                return std::string("--progress=S takes seconds from 0.1");
            }
            o.progressSeconds = *s;
            continue;
        }
        const auto it = valued.find(name);
        const bool say = name == "--say"; // repeated, and not echoed back when refused
        if (it == valued.end() && !say) {
            return "unknown option " + name + " (see --help)";
        }
        std::string value;
        if (eq != std::string::npos) {
            value = arg.substr(eq + 1);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return name + " needs a value";
        }
        if (say) {
            if (auto problem = checkPhrase(value)) {
                return *problem;
            }
            o.profile.says.push_back(std::move(value));
            continue;
        }
        if (auto problem = it->second(value)) {
            return name + " takes " + *problem + ", not \"" + value + "\"";
        }
    }

    auto origin = parseBaseUrl(url);
    if (!origin) {
        return origin.error();
    }
    o.origin = std::move(origin).value();
    if (!o.caFile.empty() && o.insecure) {
        return std::string("--ca and --insecure exclude each other");
    }
    if (o.accountSid.size() != 34 || !o.accountSid.starts_with("AC") ||
        !std::all_of(o.accountSid.begin() + 2, o.accountSid.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
        return std::string("--account-sid is required: AC and 32 lower-case hex digits");
    }
    if (o.authToken.empty() && envAuthToken) {
        o.authToken = *envAuthToken;
    }
    if (o.authToken.empty()) {
        return std::string("the auth token is required: CALLSIM_AUTH_TOKEN or --auth-token");
    }
    o.numbers = splitList(numbers);
    if (o.numbers.empty()) {
        return std::string("--numbers is required: the store numbers to dial");
    }
    o.fromNumbers = splitList(from);
    for (const auto* list : {&o.numbers, &o.fromNumbers}) {
        for (const auto& n : *list) {
            if (!isE164(n)) {
                return "\"" + n + "\" is not an E.164 number (+ and up to 15 digits)";
            }
        }
    }
    if (pick != "round-robin" && pick != "random") {
        return std::string("--pick is round-robin or random");
    }
    o.randomNumbers = pick == "random";
    if (arrivals != "poisson" && arrivals != "even") {
        return std::string("--arrivals is poisson or even");
    }
    o.evenArrivals = arrivals == "even";
    if (!callsGiven && o.durationSeconds == 0) {
        o.calls = 100;
    }
    if (o.profile.answerProb + o.profile.busyProb > 1) {
        return std::string("--answer-prob and --busy-prob add up to more than 1");
    }
    if (!agentsLogin.empty() || !o.agentsFile.empty() || o.agents > 0) {
        if (agentsLogin.empty() || o.agentsFile.empty()) {
            return std::string("staff sign-in needs both --agents-login and --agents-file");
        }
        const std::size_t colon = agentsLogin.find(':');
        o.agentsOrganisation = agentsLogin.substr(0, colon);
        if (colon != std::string::npos) {
            o.agentsPassword = agentsLogin.substr(colon + 1);
        } else if (envAgentPassword) {
            o.agentsPassword = *envAgentPassword;
        }
        if (o.agentsOrganisation.empty() || o.agentsPassword.empty()) {
            return std::string("--agents-login is ORG[:PASSWORD], the password there or in "
                               "CALLSIM_AGENT_PASSWORD");
        }
    }
    return o;
}

} // namespace cc::callsim
