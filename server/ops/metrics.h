#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// The node's figures for Prometheus (GET /metrics, text exposition format 0.0.4; docs/operations
// in docs/deployment.md). Counters and histograms are lock-free atomics bumped where things
// happen; gauges are read when a scrape asks. One registry per process, as a node is a process.
namespace cc::server::ops {

class Counter {
public:
    void add(std::uint64_t n = 1) noexcept { m_value.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> m_value{0};
};

// Counters by one label whose values come from a small fixed set in the code (never from a
// request: a label value per caller would grow the registry without bound). Values past the
// first kMaxValues are counted under "other".
class CounterFamily {
public:
    static constexpr std::size_t kMaxValues = 32;
    void add(std::string_view labelValue, std::uint64_t n = 1);
    std::map<std::string, std::uint64_t> values() const;

private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::uint64_t, std::less<>> m_values;
};

// Durations in seconds, in cumulative buckets.
class Histogram {
public:
    static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
    void observe(double seconds) noexcept;

    struct Snapshot {
        std::array<std::uint64_t, kBounds.size()> cumulative{}; // observations <= each bound
        std::uint64_t count = 0;
        double sum = 0; // seconds
    };
    Snapshot snapshot() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, kBounds.size()> m_buckets{}; // not cumulative
    std::atomic<std::uint64_t> m_count{0};
    std::atomic<std::uint64_t> m_sumNanos{0};
};

struct Metrics {
    Counter wsMessagesIn;  // WebSocket messages read from devices
    Counter wsMessagesOut; // written to devices
    Counter writesApplied; // device writes (mutations) applied
    Counter writesRejected;
    CounterFamily routingDecisions; // by action (offer, wait, overflow, voicemail, closed, ...)
    // HTTP responses by status class, 1xx to 5xx (lock-free: one is counted per request).
    std::array<Counter, 5> httpResponses;
    CounterFamily logMessages;   // warn and error lines, by level
    Histogram webhookSeconds;    // a Twilio webhook: request read to answer written
    Histogram syncFanoutSeconds; // a committed change's NOTIFY to its batch handed to devices
};

// The process's registry.
Metrics& metrics();

// A value read at scrape time.
struct Gauge {
    std::string name; // callcommander_ is prepended
    std::string help;
    double value = 0;
};

// The whole exposition: the registry's families, then `gauges`.
std::string renderPrometheus(const Metrics& m, const std::vector<Gauge>& gauges);

// A label value as the exposition format writes it between quotes.
std::string escapeLabelValue(std::string_view v);

} // namespace cc::server::ops
