#include "server/ops/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cc::server::ops {

void CounterFamily::add(std::string_view labelValue, std::uint64_t n)
{
    const std::lock_guard lock(m_mutex);
    auto it = m_values.find(labelValue);
    if (it == m_values.end()) {
        if (m_values.size() >= kMaxValues) {
            it = m_values.try_emplace("other", 0).first;
        } else {
            it = m_values.emplace(std::string(labelValue), 0).first;
        }
    }
    it->second += n;
}

std::map<std::string, std::uint64_t> CounterFamily::values() const
{
    const std::lock_guard lock(m_mutex);
    return {m_values.begin(), m_values.end()};
}

void Histogram::observe(double seconds) noexcept
{
    if (!(seconds >= 0)) { // negative or NaN: a clock went backwards; count it as zero
        seconds = 0;
    }
    std::size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) {
        ++i;
    }
    if (i < kBounds.size()) {
        m_buckets[i].fetch_add(1, std::memory_order_relaxed);
    }
    m_count.fetch_add(1, std::memory_order_relaxed);
    const double nanos = std::min(seconds * 1e9, 1e15);
    m_sumNanos.fetch_add(static_cast<std::uint64_t>(nanos), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const noexcept
{
    Snapshot s;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        running += m_buckets[i].load(std::memory_order_relaxed);
        s.cumulative[i] = running;
    }
    // Read after the buckets: a concurrent observation may show in the count and not yet in a
    // bucket, never the reverse, so +Inf (the count) is never below the last bucket.
    s.count = std::max(m_count.load(std::memory_order_relaxed), running);
    s.sum = static_cast<double>(m_sumNanos.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

Metrics& metrics()
{
    static Metrics m;
    return m;
}

std::string escapeLabelValue(std::string_view v)
{
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out.push_back(c);
        }
    }
    return out;
}

namespace {

std::string number(double v)
{
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    // The shortest text that reads back as the same double: 0.1, not 0.10000000000000001.
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help)
{
    out += "# HELP callcommander_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE callcommander_";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

// In text format 0.0.4 a counter's family is named as its samples are, _total included.
void counter(std::string& out, std::string_view name, std::string_view help, const Counter& c)
{
    header(out, std::string(name) + "_total", "counter", help);
    out += "callcommander_" + std::string(name) + "_total " + std::to_string(c.value()) + "\n";
}

void family(std::string& out, std::string_view name, std::string_view label, std::string_view help,
            const CounterFamily& f)
{
    header(out, std::string(name) + "_total", "counter", help);
    for (const auto& [value, n] : f.values()) {
        out += "callcommander_" + std::string(name) + "_total{" + std::string(label) + "=\"" +
               escapeLabelValue(value) + "\"} " + std::to_string(n) + "\n";
    }
}

void histogram(std::string& out, std::string_view name, std::string_view help, const Histogram& h)
{
    header(out, name, "histogram", help);
    const auto s = h.snapshot();
    const std::string base = "callcommander_" + std::string(name);
    for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i) {
        out += base + "_bucket{le=\"" + number(Histogram::kBounds[i]) + "\"} " +
               std::to_string(s.cumulative[i]) + "\n";
    }
    out += base + "_bucket{le=\"+Inf\"} " + std::to_string(s.count) + "\n";
    out += base + "_sum " + number(s.sum) + "\n";
    out += base + "_count " + std::to_string(s.count) + "\n";
}

} // namespace

std::string renderPrometheus(const Metrics& m, const std::vector<Gauge>& gauges)
{
    std::string out;
    out.reserve(4096);
    counter(out, "ws_messages_in", "WebSocket messages received from devices.", m.wsMessagesIn);
    counter(out, "ws_messages_out", "WebSocket messages sent to devices.", m.wsMessagesOut);
    counter(out, "sync_writes_applied", "Device writes applied.", m.writesApplied);
    counter(out, "sync_writes_rejected", "Device writes rejected (with a reason to the device).",
            m.writesRejected);
    family(out, "routing_decisions", "action", "Routing decisions recorded, by action.",
           m.routingDecisions);
    header(out, "http_responses_total", "counter", "HTTP responses, by status class.");
    for (std::size_t i = 0; i < m.httpResponses.size(); ++i) {
        out += "callcommander_http_responses_total{code=\"" + std::to_string(i + 1) + "xx\"} " +
               std::to_string(m.httpResponses[i].value()) + "\n";
    }
    family(out, "log_messages", "level", "Warnings and errors logged, by level.", m.logMessages);
    histogram(out, "webhook_duration_seconds",
              "Twilio webhooks, from the request read to the answer written.", m.webhookSeconds);
    histogram(out, "sync_fanout_seconds",
              "Committed changes, from their notification to their batch handed to the devices "
              "of this node.",
              m.syncFanoutSeconds);
    for (const auto& g : gauges) {
        header(out, g.name, "gauge", g.help);
        out += "callcommander_" + g.name + " " + number(g.value) + "\n";
    }
    return out;
}

} // namespace cc::server::ops
