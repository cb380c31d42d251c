#include "tools/callsim/stats.h"

#include <boost/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <utility>

namespace cc::callsim {
namespace {

constexpr std::size_t kMaxEndpoints = 32;

std::string fixed(double value, int decimals)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

boost::json::object latencyJson(const LatencyHistogram& h)
{
    return {{"count", h.count()},        {"p50", h.percentileMs(50)}, {"p90", h.percentileMs(90)},
            {"p99", h.percentileMs(99)}, {"max", h.maxMs()},          {"mean", h.meanMs()}};
}

std::string latencyText(const LatencyHistogram& h)
{
    if (h.count() == 0) {
        return "no samples";
    }
    return "p50 " + fixed(h.percentileMs(50), 2) + "  p90 " + fixed(h.percentileMs(90), 2) +
           "  p99 " + fixed(h.percentileMs(99), 2) + "  max " + fixed(h.maxMs(), 2) +
           " ms  (n=" + std::to_string(h.count()) + ")";
}

} // namespace

// ---- LatencyHistogram ----

std::size_t LatencyHistogram::bucketOf(std::uint64_t us)
{
    constexpr std::uint64_t kLargest = (std::uint64_t{1} << (kMaxExponent + 1)) - 1;
    us = std::min(us, kLargest);
    if (us < (1U << kExactBits)) {
        return static_cast<std::size_t>(us);
    }
    const int exponent = static_cast<int>(std::bit_width(us)) - 1; // floor(log2(us)), >= kExactBits
    const int shift = exponent - (kExactBits - 1);
    const std::uint64_t top = us >> static_cast<unsigned>(shift); // 128..255
    return (1U << kExactBits) + static_cast<std::size_t>(exponent - kExactBits) * kSubBuckets +
           static_cast<std::size_t>(top - kSubBuckets);
}

std::uint64_t LatencyHistogram::bucketUpperUs(std::size_t bucket)
{
    if (bucket < (1U << kExactBits)) {
        return bucket;
    }
    const std::size_t rest = bucket - (1U << kExactBits);
    const auto shift = static_cast<unsigned>(rest / kSubBuckets + 1);
    const std::uint64_t top = rest % kSubBuckets + kSubBuckets;
    return ((top + 1) << shift) - 1;
}

void LatencyHistogram::add(double milliseconds)
{
    const double us = std::max(0.0, std::round(milliseconds * 1000.0));
    const auto value = static_cast<std::uint64_t>(std::min(us, 1e15));
    ++m_buckets[bucketOf(value)];
    ++m_count;
    m_maxUs = std::max(m_maxUs, value);
    m_sumUs += static_cast<double>(value);
}

double LatencyHistogram::percentileMs(double p) const
{
    if (m_count == 0) {
        return 0;
    }
    const double exactRank =
        std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(m_count));
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(exactRank));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < m_buckets.size(); ++b) {
        seen += m_buckets[b];
        if (seen >= rank) {
            return static_cast<double>(std::min(bucketUpperUs(b), m_maxUs)) / 1000.0;
        }
    }
    return maxMs();
}

double LatencyHistogram::meanMs() const
{
    return m_count == 0 ? 0 : m_sumUs / static_cast<double>(m_count) / 1000.0;
}

// ---- Report ----

void Report::addError(std::string message)
{
    ++errors;
    if (firstErrors.size() < kKeptErrors) {
        firstErrors.push_back(std::move(message));
    }
}

void Report::keepTranscript(std::uint64_t callIndex, std::vector<std::string> lines)
{
    if (callIndex >= kKeptTranscripts) {
        return;
    }
    const auto at = static_cast<std::size_t>(callIndex);
    if (transcripts.size() <= at) {
        transcripts.resize(at + 1);
    }
    transcripts[at] = std::move(lines);
}

void Report::countEndpoint(std::string_view requestUrl)
{
    const std::size_t scheme = requestUrl.find("://");
    const std::size_t pathStart =
        requestUrl.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    std::string path = pathStart == std::string_view::npos
                           ? std::string("/")
                           : std::string(requestUrl.substr(
                                 pathStart, requestUrl.find('?', pathStart) - pathStart));
    if (requestsByEndpoint.size() >= kMaxEndpoints && !requestsByEndpoint.contains(path)) {
        path = "(other)";
    }
    ++requestsByEndpoint[path];
}

std::string formatText(const Report& r)
{
    std::string out;
    out += "callsim: " + std::to_string(r.callsStarted) + " calls to " + r.url + " in " +
           fixed(r.seconds, 1) + " s (" + r.mode + ", time scale " + fixed(r.timeScale, 3) +
           ", seed " + std::to_string(r.seed) + ")\n";
    out += "calls      started " + std::to_string(r.callsStarted) + "  finished " +
           std::to_string(r.callsFinished) + "  started late (concurrency bound) " +
           std::to_string(r.callsDelayed) + "\n";
    out += "outcomes  ";
    for (std::size_t i = 0; i < kOutcomeCount; ++i) {
        out += " " + std::string(outcomeName(static_cast<Outcome>(i))) + " " +
               std::to_string(r.outcomes[i]);
    }
    out += "\n";
    std::uint64_t total = 0;
    for (const auto& [path, n] : r.requestsByEndpoint) {
        total += n;
    }
    out += "requests   " + std::to_string(total) + " over " + std::to_string(r.connections) +
           " connection(s), " + std::to_string(r.retries) + " retried, " +
           std::to_string(r.unexpected) + " failed unexpectedly\n";
    for (const auto& [path, n] : r.requestsByEndpoint) {
        out += "           " + path + " " + std::to_string(n) + "\n";
    }
    out += "http      ";
    for (const auto& [status, n] : r.httpStatus) {
        out += " " + (status == 0 ? std::string("none") : std::to_string(status)) + ":" +
               std::to_string(n);
    }
    out += "\n";
    out += "latency    all webhooks    " + latencyText(r.latency) + "\n";
    out += "           /twilio/voice   " + latencyText(r.voiceLatency) + "\n";
    if (r.agentsWanted > 0) {
        out += "agents     " + std::to_string(r.agentsOnline) + " of " +
               std::to_string(r.agentsWanted) + " online, " + std::to_string(r.agentsFailed) +
               " failed\n";
    }
    out += "errors     " + std::to_string(r.errors) + "\n";
    for (const auto& e : r.firstErrors) {
        out += "           " + e + "\n";
    }
    return out;
}

std::string formatJson(const Report& r)
{
    boost::json::object outcomes;
    for (std::size_t i = 0; i < kOutcomeCount; ++i) {
        outcomes[outcomeName(static_cast<Outcome>(i))] = r.outcomes[i];
    }
    boost::json::object endpoints;
    for (const auto& [path, n] : r.requestsByEndpoint) {
        endpoints[path] = n;
    }
    boost::json::object statuses;
    for (const auto& [status, n] : r.httpStatus) {
        statuses[status == 0 ? std::string("none") : std::to_string(status)] = n;
    }
    boost::json::array errors;
    for (const auto& e : r.firstErrors) {
        errors.emplace_back(e);
    }
    // One array per call started (of the first kKeptTranscripts), in the order they started:
    // a call still running when the run stopped has an empty one.
    boost::json::array transcripts;
    const std::size_t shown =
        static_cast<std::size_t>(std::min<std::uint64_t>(r.callsStarted, Report::kKeptTranscripts));
    for (std::size_t i = 0; i < std::max(shown, r.transcripts.size()); ++i) {
        boost::json::array lines;
        if (i < r.transcripts.size()) {
            for (const auto& line : r.transcripts[i]) {
                lines.emplace_back(line);
            }
        }
        transcripts.emplace_back(std::move(lines));
    }
    boost::json::object root{
        {"url", r.url},
        {"mode", r.mode},
        {"seconds", r.seconds},
        {"timeScale", r.timeScale},
        {"seed", r.seed},
        {"calls",
         {{"started", r.callsStarted}, {"finished", r.callsFinished}, {"delayed", r.callsDelayed}}},
        {"outcomes", std::move(outcomes)},
        {"requests",
         {{"byEndpoint", std::move(endpoints)},
          {"httpStatus", std::move(statuses)},
          {"retries", r.retries},
          {"unexpected", r.unexpected},
          {"connections", r.connections}}},
        {"latencyMs", {{"all", latencyJson(r.latency)}, {"voice", latencyJson(r.voiceLatency)}}},
        {"agents",
         {{"wanted", r.agentsWanted}, {"online", r.agentsOnline}, {"failed", r.agentsFailed}}},
        {"errors", {{"count", r.errors}, {"first", std::move(errors)}}},
        {"transcripts", std::move(transcripts)},
    };
    return boost::json::serialize(root);
}

std::string formatProgress(const Report& r, std::uint64_t callsActive)
{
    return "callsim " + fixed(r.seconds, 1) + " s: started " + std::to_string(r.callsStarted) +
           ", active " + std::to_string(callsActive) + ", finished " +
           std::to_string(r.callsFinished) + ", voice p99 " +
           fixed(r.voiceLatency.percentileMs(99), 2) + " ms, all p99 " +
           fixed(r.latency.percentileMs(99), 2) + " ms, errors " + std::to_string(r.errors);
}

} // namespace cc::callsim
