#pragma once

#include "server/ops/config.h"

#include <string>
#include <string_view>

// Process-wide log: one line per event on stderr, with a UTC timestamp, level, component and
// message, as text or as one JSON object per line. Thread-safe; a line is written whole.
// Never pass secrets (passwords, tokens, connection strings) to it: use redactConninfo().
namespace cc::server::log {

void configure(ops::LogLevel level, ops::LogFormat format);

// What a line is about, added to every line written on this thread while a Scope holds it: the
// HTTP request (its X-Request-Id) and, for a provider's webhook, the call (Twilio's CallSid).
// Database jobs carry the context of the thread that submitted them.
struct Context {
    std::string requestId;
    std::string callId;
};
const Context& context();

class Scope {
public:
    explicit Scope(Context context);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

private:
    Context m_saved;
};
// Sets the call of the current scope (a webhook learns it after parsing its body).
void setCallId(std::string callId);
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
