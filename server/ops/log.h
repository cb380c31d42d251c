#pragma once

#include "server/ops/config.h"

#include <string_view>

// Process-wide log: one line per event on stderr, with a UTC timestamp, level, component and
// message, as text or as one JSON object per line. Thread-safe; a line is written whole.
// Never pass secrets (passwords, tokens, connection strings) to it: use redactConninfo().
namespace cc::server::log {

void configure(ops::LogLevel level, ops::LogFormat format);
bool enabled(ops::LogLevel level);
void write(ops::LogLevel level, std::string_view component, std::string_view message);

inline void debug(std::string_view component, std::string_view message)
{
    write(ops::LogLevel::Debug, component, message);
}
inline void info(std::string_view component, std::string_view message)
{
    write(ops::LogLevel::Info, component, message);
}
inline void warn(std::string_view component, std::string_view message)
{
    write(ops::LogLevel::Warn, component, message);
}
inline void error(std::string_view component, std::string_view message)
{
    write(ops::LogLevel::Error, component, message);
}

} // namespace cc::server::log
