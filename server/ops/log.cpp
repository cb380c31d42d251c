#include "server/ops/log.h"

#include "server/ops/metrics.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <utility>

namespace cc::server::log {
namespace {

std::atomic<ops::LogLevel> g_level{ops::LogLevel::Info};
std::atomic<ops::LogFormat> g_format{ops::LogFormat::Text};
std::mutex g_writeMutex;
thread_local Context t_context;

std::string_view levelName(ops::LogLevel level)
{
    switch (level) {
    case ops::LogLevel::Debug:
        return "debug";
    case ops::LogLevel::Info:
        return "info";
    case ops::LogLevel::Warn:
        return "warn";
    case ops::LogLevel::Error:
        return "error";
    }
    return "info";
}

std::string timestamp()
{
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 40> buf{};
    const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
    std::array<char, 8> frac{};
    std::snprintf(frac.data(), frac.size(), ".%03dZ", static_cast<int>(ms));
    return std::string(buf.data(), n) + frac.data();
}

void appendJsonString(std::string& out, std::string_view s)
{
    out.push_back('"');
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                std::array<char, 8> esc{};
                std::snprintf(esc.data(), esc.size(), "\\u%04x", static_cast<unsigned>(c));
                out += esc.data();
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
}

} // namespace

void configure(ops::LogLevel level, ops::LogFormat format)
{
    g_level = level;
    g_format = format;
}

const Context& context()
{
    return t_context;
}

Scope::Scope(Context context)
    : m_saved(std::exchange(t_context, std::move(context)))
{}

Scope::~Scope()
{
    t_context = std::move(m_saved);
}

void setCallId(std::string callId)
{
    // From a request body: only an identifier's characters reach a log line.
    std::erase_if(callId, [](char c) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-');
    });
    callId.resize(std::min<std::size_t>(callId.size(), 64));
    t_context.callId = std::move(callId);
}

bool enabled(ops::LogLevel level)
{
    return level >= g_level.load(std::memory_order_relaxed);
}

void write(ops::LogLevel level, std::string_view component, std::string_view message)
{
    if (level >= ops::LogLevel::Warn) {
        ops::metrics().logMessages.add(levelName(level));
    }
    if (!enabled(level)) {
        return;
    }
    std::string line;
    line.reserve(64 + message.size());
    if (g_format.load(std::memory_order_relaxed) == ops::LogFormat::Json) {
        line += "{\"ts\":";
        appendJsonString(line, timestamp());
        line += ",\"level\":";
        appendJsonString(line, levelName(level));
        line += ",\"component\":";
        appendJsonString(line, component);
        line += ",\"msg\":";
        appendJsonString(line, message);
        if (!t_context.requestId.empty()) {
            line += ",\"request_id\":";
            appendJsonString(line, t_context.requestId);
        }
        if (!t_context.callId.empty()) {
            line += ",\"call_id\":";
            appendJsonString(line, t_context.callId);
        }
        line += "}\n";
    } else {
        line += timestamp();
        line += ' ';
        std::string lvl(levelName(level));
        lvl.resize(5, ' ');
        line += lvl;
        line += " [";
        line += component;
        line += "] ";
        if (!t_context.requestId.empty()) {
            line += "(request " + t_context.requestId + ") ";
        }
        if (!t_context.callId.empty()) {
            line += "(call " + t_context.callId + ") ";
        }
        for (char c : message) { // one event, one line: no control characters from clients
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7f) {
                std::array<char, 8> esc{};
                std::snprintf(esc.data(), esc.size(), "\\x%02x", static_cast<unsigned>(u));
                line += esc.data();
            } else {
                line.push_back(c);
            }
        }
        line += '\n';
    }
    const std::lock_guard lock(g_writeMutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

} // namespace cc::server::log
