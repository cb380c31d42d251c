#pragma once

// Private to tests/fakes: the Google fake (the OAuth 2.0 token endpoint with the refresh_token
// grant, and Calendar v3 freeBusy and events). Not thread-safe: ProviderFakes calls it under its
// lock.

#include "tests/fakes/fake_http.h"
#include "tests/fakes/provider_fakes.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cc::fakes::detail {

class GoogleFake {
public:
    GoogleFake();

    void setCredentials(GoogleCredentials credentials) { m_credentials = std::move(credentials); }
    const GoogleCredentials& credentials() const { return m_credentials; }
    void addCalendar(const std::string& calendarId) { m_calendars.try_emplace(calendarId); }
    void setLifetime(std::chrono::seconds lifetime) { m_lifetime = lifetime; }
    void expireAll();
    std::string issueToken(Clock::time_point now);
    std::string addEvent(const std::string& calendarId, const CalendarEvent& event);
    std::vector<CalendarEvent> events(const std::string& calendarId) const;

    Response handle(const Request& request, Clock::time_point now, Counters& counters);
    // Google's body for an HTTP error status: the OAuth shape on the token endpoint, the
    // Google API error shape elsewhere.
    static Response errorResponse(int status, const std::string& path);
    static std::string malformedBody();

private:
    struct Calendar {
        std::vector<std::string> order; // event ids by creation
        std::map<std::string, boost::json::object> events;
    };

    Response token(const Request& request, Clock::time_point now, Counters& counters);
    Response calendarApi(const Request& request, Clock::time_point now, Counters& counters);
    Response freeBusy(const Request& request);
    Response insertEvent(const std::string& calendarId, const boost::json::object& body);
    Response changeEvent(const Request& request, const std::string& calendarId,
                         const std::string& eventId);
    std::string nextEtag();

    GoogleCredentials m_credentials;
    std::chrono::seconds m_lifetime{3599};
    std::map<std::string, Clock::time_point> m_tokens; // access token -> expiry
    std::map<std::string, Calendar> m_calendars;
    std::uint64_t m_lastEtag = 0;
};

} // namespace cc::fakes::detail
