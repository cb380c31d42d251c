#include "tools/callsim/simulation.h"

#include "shared/telephony/twilio.h"

#include <boost/asio/post.hpp>

#include <cmath>

namespace cc::callsim {
namespace {

constexpr int kMaxRetries = 3;
constexpr auto kMaxRetryDelay = std::chrono::seconds(5);

// SplitMix64: spreads (seed, call number) into independent per-call seeds.
std::uint64_t mix(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31U);
}

double unit(std::mt19937_64& rng)
{
    return static_cast<double>(rng() >> 11U) * 0x1.0p-53;
}

Clock::duration toDuration(double seconds)
{
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::uint64_t entropySeed()
{
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32U) ^ device() ^
           static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
}

} // namespace

struct Simulation::Call {
    Call(asio::io_context& io, std::uint64_t i, CallScript s)
        : index(i)
        , script(std::move(s))
        , timer(io)
    {}
    std::uint64_t index; // 0 for the first call started
    CallScript script;
    asio::steady_timer timer;
};

Simulation::Simulation(asio::io_context& io, const Options& options, HttpsPool& pool,
                       Report& report)
    : m_io(io)
    , m_options(options)
    , m_pool(pool)
    , m_report(report)
    , m_arrivals(io)
    , m_arrivalRng(mix(options.seed))
    , m_sidRng(entropySeed())
{}

Simulation::~Simulation() = default;

void Simulation::start(std::function<void()> finished)
{
    m_finished = std::move(finished);
    m_started = Clock::now();
    m_nextArrival = m_started;
    arrive();
}

void Simulation::stopArrivals()
{
    m_arrivalsOver = true;
    m_pending = 0;
    m_arrivals.cancel();
    checkFinished();
}

double Simulation::gapSeconds()
{
    const double mean = 1.0 / m_options.rate;
    return m_options.evenArrivals ? mean : -mean * std::log1p(-unit(m_arrivalRng));
}

void Simulation::arrive()
{
    if (m_arrivalsOver) {
        return;
    }
    const auto now = Clock::now();
    const bool enoughCalls =
        m_options.calls > 0 && m_index + m_pending >= static_cast<std::uint64_t>(m_options.calls);
    const bool timeUp =
        m_options.durationSeconds > 0 && now - m_started >= toDuration(m_options.durationSeconds);
    if (enoughCalls || timeUp) {
        m_arrivalsOver = true;
        checkFinished();
        return;
    }
    if (m_active >= static_cast<std::uint64_t>(m_options.concurrency)) {
        ++m_pending;
    } else {
        launch();
    }
    // On an absolute schedule: a late timer does not lower the rate.
    m_nextArrival += toDuration(gapSeconds());
    m_arrivals.expires_at(m_nextArrival);
    m_arrivals.async_wait([this](error_code ec) {
        if (!ec) {
            arrive();
        }
    });
}

void Simulation::launch()
{
    const std::uint64_t index = m_index++;
    const std::uint64_t seed = mix(m_options.seed ^ mix(index));
    std::mt19937_64 pick(mix(seed));

    CallIdentity id;
    id.baseUrl = m_options.origin.base;
    id.accountSid = m_options.accountSid;
    id.authToken = m_options.authToken;
    id.callSid = newSid("CA");
    const auto& numbers = m_options.numbers;
    id.to = m_options.randomNumbers ? numbers[pick() % numbers.size()]
                                    : numbers[index % numbers.size()];
    if (!m_options.fromNumbers.empty()) {
        id.from = m_options.fromNumbers[pick() % m_options.fromNumbers.size()];
    } else {
        // +1 555 and seven digits: a made-up range, so no real person is "called back".
        id.from = "+1555" +
                  std::to_string(1000000 + pick() % static_cast<std::uint64_t>(m_options.fromPool));
    }

    auto call = std::make_shared<Call>(
        m_io, index,
        CallScript(m_options.profile, std::move(id), seed,
                   [this](std::string_view prefix) { return newSid(prefix); }));
    // Only the first calls' transcripts are reported: the others need not keep one.
    call->script.keepTranscript(index < Report::kKeptTranscripts);
    ++m_active;
    ++m_report.callsStarted;
    execute(call, call->script.start());
}

void Simulation::execute(const std::shared_ptr<Call>& call, Step step)
{
    switch (step.kind) {
    case Step::Kind::Send:
        send(call, std::move(step.request), 0);
        return;
    case Step::Kind::Wait: {
        const double seconds = step.seconds * m_options.timeScale;
        auto resume = [this, call](error_code ec) {
            if (!ec) {
                execute(call, call->script.waited());
            }
        };
        if (seconds <= 0) {
            asio::post(m_io, [resume] { resume({}); });
            return;
        }
        call->timer.expires_after(toDuration(seconds));
        call->timer.async_wait(resume);
        return;
    }
    case Step::Kind::Done:
        end(call);
        return;
    }
}

void Simulation::send(const std::shared_ptr<Call>& call, Request request, int attempt)
{
    const std::string& base = m_options.origin.base;
    const bool ours = request.url.starts_with(base) && request.url.size() > base.size() &&
                      (request.url[base.size()] == '/' || request.url[base.size()] == '?');
    if (attempt == 0) {
        m_report.countEndpoint(request.url);
    }
    if (!ours) {
        // Twilio would call it; the simulator only plays against the server under test.
        HttpAnswer answer;
        answer.error = request.url + " is not on the server under test (" + base + ")";
        asio::post(m_io, [this, call, request = std::move(request), answer]() mutable {
            answered(call, request, std::move(answer), kMaxRetries);
        });
        return;
    }
    HttpCall http;
    http.method = http::verb::post;
    http.target = request.url.substr(base.size());
    http.contentType = "application/x-www-form-urlencoded";
    http.body = cc::telephony::formUrlEncode(request.params);
    http.headers.emplace_back("X-Twilio-Signature", request.signature);
    m_pool.request(std::move(http),
                   [this, call, request = std::move(request), attempt](HttpAnswer answer) {
                       answered(call, request, std::move(answer), attempt);
                   });
}

void Simulation::answered(const std::shared_ptr<Call>& call, const Request& request,
                          HttpAnswer answer, int attempt)
{
    ++m_report.httpStatus[answer.status];
    const bool tryAgain =
        (answer.status == 503 || answer.status == 429) && !request.forged && attempt < kMaxRetries;
    if (tryAgain) {
        // The server is starting or shedding load: back off (as it asks, within reason).
        ++m_report.retries;
        const auto delay =
            answer.retryAfter.count() > 0
                ? std::chrono::duration_cast<Clock::duration>(
                      std::min<std::chrono::seconds>(answer.retryAfter, kMaxRetryDelay))
                : std::chrono::duration_cast<Clock::duration>(
                      std::chrono::milliseconds(100 << attempt));
        call->timer.expires_after(delay);
        call->timer.async_wait([this, call, request, attempt](error_code ec) {
            if (!ec) {
                send(call, request, attempt + 1);
            }
        });
        return;
    }
    if (answer.status >= 200 && answer.status <= 299) {
        m_report.latency.add(answer.latencyMs);
        if (request.kind == RequestKind::Voice) {
            m_report.voiceLatency.add(answer.latencyMs);
        }
    }
    Step next =
        call->script.answered(answer.status, answer.status == 0 ? answer.error : answer.body);
    if (auto problem = call->script.takeProblem()) {
        ++m_report.unexpected;
        m_report.addError(std::move(*problem));
    }
    execute(call, std::move(next));
}

void Simulation::end(const std::shared_ptr<Call>& call)
{
    --m_active;
    ++m_report.callsFinished;
    ++m_report.outcomes[static_cast<std::size_t>(call->script.outcome())];
    m_report.keepTranscript(call->index, call->script.transcript());
    if (m_pending > 0) {
        // An arrival that waited for a free slot (also after the arrivals ended: it is part of
        // the run).
        --m_pending;
        ++m_report.callsDelayed;
        launch();
    }
    checkFinished();
}

void Simulation::checkFinished()
{
    if (m_arrivalsOver && m_active == 0 && m_pending == 0 && !m_finishedCalled) {
        m_finishedCalled = true;
        m_arrivals.cancel();
        if (m_finished) {
            m_finished();
        }
    }
}

std::string Simulation::newSid(std::string_view prefix)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string sid(prefix);
    sid.reserve(34);
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = m_sidRng();
        for (int i = 0; i < 16; ++i) {
            sid.push_back(kHex[bits & 0xFU]);
            bits >>= 4U;
        }
    }
    return sid;
}

} // namespace cc::callsim
