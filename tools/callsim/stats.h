#pragma once

#include "tools/callsim/call_script.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

// What a simulation run counts and how it is reported. Memory stays fixed however long the run:
// latencies go into a histogram, not a list.
namespace cc::callsim {

// Latencies with a relative error under 0.8%: exact to the microsecond below 256 us, then 128
// buckets per power of two, up to about 25 days. Percentiles are nearest-rank (p99 of 200
// samples is the 198th smallest), reported as the upper bound of the sample's bucket, and never
// above the largest sample.
class LatencyHistogram {
public:
    void add(double milliseconds);
    std::uint64_t count() const { return m_count; }
    // `p` in [0, 100]; 0 when empty.
    double percentileMs(double p) const;
    double maxMs() const { return static_cast<double>(m_maxUs) / 1000.0; }
    double meanMs() const;

private:
    static constexpr int kExactBits = 8;    // values below 2^8 us have a bucket each
    static constexpr int kSubBuckets = 128; // per power of two above that
    static constexpr int kMaxExponent = 41; // 2^41 us: about 25 days
    static constexpr std::size_t kBuckets =
        (1U << kExactBits) + static_cast<std::size_t>(kMaxExponent - kExactBits + 1) * kSubBuckets;

    static std::size_t bucketOf(std::uint64_t us);
    static std::uint64_t bucketUpperUs(std::size_t bucket);

    std::vector<std::uint64_t> m_buckets = std::vector<std::uint64_t>(kBuckets, 0);
    std::uint64_t m_count = 0;
    std::uint64_t m_maxUs = 0;
    double m_sumUs = 0;
};

struct Report {
    // The run
    std::string url;
    std::string mode; // "follow" or "latency-only"
    double seconds = 0;
    double timeScale = 1;
    std::uint64_t seed = 0;

    // Calls
    std::uint64_t callsStarted = 0;
    std::uint64_t callsFinished = 0;
    std::uint64_t callsDelayed = 0; // started late because --concurrency calls were running
    std::array<std::uint64_t, kOutcomeCount> outcomes{};

    // Requests
    std::map<std::string, std::uint64_t> requestsByEndpoint; // path without query
    std::map<int, std::uint64_t> httpStatus;                 // 0: no HTTP answer
    std::uint64_t retries = 0;                               // 503/429 answers tried again
    std::uint64_t unexpected = 0;  // requests that failed when they should not have
    std::uint64_t connections = 0; // HTTPS connections opened
    LatencyHistogram latency;      // every webhook
    LatencyHistogram voiceLatency; // POST /twilio/voice only (the P5 figure)

    // Staff (--agents-file)
    std::uint64_t agentsWanted = 0;
    std::uint64_t agentsOnline = 0;
    std::uint64_t agentsFailed = 0;

    // Errors: how many, and the first few messages
    static constexpr std::size_t kKeptErrors = 10;
    std::uint64_t errors = 0;
    std::vector<std::string> firstErrors;

    // What the first calls heard and said (CallScript::transcript()): entry i is the call
    // started i-th, kept once it ended (empty until then).
    static constexpr std::size_t kKeptTranscripts = 20;
    std::vector<std::vector<std::string>> transcripts;

    void addError(std::string message);
    // Kept when `callIndex` (0 for the first call started) is below kKeptTranscripts.
    void keepTranscript(std::uint64_t callIndex, std::vector<std::string> lines);
    // Counted under its path; a server that invents paths cannot grow the map without bound.
    void countEndpoint(std::string_view requestUrl);
};

std::string formatText(const Report& report);
std::string formatJson(const Report& report);
// One line for --progress.
std::string formatProgress(const Report& report, std::uint64_t callsActive);

} // namespace cc::callsim
