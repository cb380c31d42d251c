#pragma once

#include "server/integrations/resilience.h"

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

// A store's Google Calendar, kept in step with the appointments in our own database (which
// stay the truth: they sync to devices and work offline). OAuth2 access tokens are obtained from
// a stored refresh token and cached until shortly before they expire; an answer of 401 drops the
// cached token, gets a fresh one and tries once more (docs/integrations.md).
namespace cc::server::integrations {

struct GoogleConfig {
    BaseUrl tokenUrl;    // https://oauth2.googleapis.com/token
    BaseUrl calendarUrl; // https://www.googleapis.com/calendar/v3
    std::string clientId;
    std::string clientSecret;
    std::string refreshToken;
};

// Access tokens shared by the integration workers, per organisation and credentials.
class AccessTokens {
public:
    using Clock = std::chrono::steady_clock;
    std::string get(const std::string& key, Clock::time_point now) const;
    void put(const std::string& key, std::string token, Clock::time_point expiresAt);
    void drop(const std::string& key);

private:
    struct Entry {
        std::string token;
        Clock::time_point expiresAt;
    };
    mutable std::mutex m_mutex;
    std::map<std::string, Entry> m_entries;
};

struct BusyInterval {
    std::string start; // RFC 3339, as Google sent it
    std::string end;
};

struct CalendarEvent {
    std::string id;          // ours, base32hex: eventIdFor(appointment id)
    std::string summary;     // "Appointment: Ada Lovelace"
    std::string description; // what the appointment is for; no card data, ever
    std::string location;    // the store's name
    std::string start;       // local "2026-11-28T11:00:00"
    std::string end;
    std::string timeZone; // the store's IANA zone
    bool tentative = false;
    std::string appointmentId;
};

// "cc" + the appointment's uuid without dashes: valid as a Google event id ([a-v0-9]{5,1024}), so
// an insert repeated after a lost answer finds its own event (409) instead of adding a second.
std::string eventIdFor(std::string_view appointmentId);

class GoogleCalendar {
public:
    GoogleCalendar(RetryingCaller& caller, GoogleConfig config, AccessTokens& tokens,
                   std::string tokenKey);

    Result<std::vector<BusyInterval>, ProviderError> freeBusy(const std::string& calendarId,
                                                              const std::string& timeMin,
                                                              const std::string& timeMax,
                                                              const std::string& timeZone);

    // Inserts the event with its own id; if it exists already (409), patches it instead.
    Result<std::string, ProviderError> putEvent(const std::string& calendarId,
                                                const CalendarEvent& event);

    // Deleting an event that is gone already (404, 410) succeeds.
    Result<bool, ProviderError> deleteEvent(const std::string& calendarId,
                                            const std::string& eventId);

    int tokenRefreshes() const { return m_refreshes; }

private:
    Result<std::string, ProviderError> accessToken(bool fresh);
    Result<HttpResponse, ProviderError> authorised(HttpRequest request,
                                                   const std::vector<int>& acceptable);

    RetryingCaller& m_caller;
    GoogleConfig m_config;
    AccessTokens& m_tokens;
    std::string m_tokenKey;
    int m_refreshes = 0;
};

} // namespace cc::server::integrations
