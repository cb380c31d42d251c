#include "server/integrations/calendar.h"

#include "server/integrations/provider_json.h"
#include "shared/telephony/twilio.h"
#include "shared/util/utf8.h"

#include <boost/json.hpp>

#include <algorithm>

namespace cc::server::integrations {
namespace {

namespace json = boost::json;
using K = ProviderError::Kind;

// Tokens are used until a minute before Google says they expire.
constexpr auto kTokenMargin = std::chrono::seconds(60);

std::chrono::milliseconds retryAfterOf(const HttpResponse& r)
{
    return r.retryAfter.count() >= 0
               ? std::chrono::duration_cast<std::chrono::milliseconds>(r.retryAfter)
               : std::chrono::milliseconds(-1);
}

// Google's error body: {"error": {"code", "message", "errors": [{"reason", ...}], "status"}}.
Verdict classifyGoogle(const HttpResponse& r, const std::vector<int>& acceptable)
{
    if (std::find(acceptable.begin(), acceptable.end(), r.status) != acceptable.end()) {
        return {};
    }
    std::string reason;
    std::string message;
    if (auto body = parseObject(r.body)) {
        const json::value* error = findPath(body.value(), {"error"});
        message = util::clipUtf8(stringAt(error, "message"), 200);
        if (const json::array* errors = arrayAt(error, "errors"); errors && !errors->empty()) {
            reason = stringAt(&errors->front(), "reason");
        }
    }
    const auto failure = [&](K kind) {
        std::string text = "Google Calendar answered " + std::to_string(r.status);
        if (!reason.empty()) {
            text += " (" + reason + ")";
        }
        if (!message.empty()) {
            text += ": " + message;
        }
        return ProviderError{kind, std::move(text), r.status};
    };
    if (r.status == 429 ||
        (r.status == 403 && (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded"))) {
        return {Verdict::Next::Retry, failure(K::RateLimited), retryAfterOf(r)};
    }
    if (r.status >= 500) {
        return {Verdict::Next::Retry, failure(K::Unavailable), retryAfterOf(r)};
    }
    if (r.status == 401 || r.status == 403) {
        return {Verdict::Next::Fail, failure(K::Unauthorized)};
    }
    if (r.status == 404 || r.status == 410) {
        return {Verdict::Next::Fail, failure(K::NotFound)};
    }
    return {Verdict::Next::Fail, failure(K::Rejected)};
}

json::object eventBody(const CalendarEvent& e, bool withId)
{
    json::object body{
        {"summary", e.summary},
        {"description", e.description},
        {"location", e.location},
        {"start", json::object{{"dateTime", e.start}, {"timeZone", e.timeZone}}},
        {"end", json::object{{"dateTime", e.end}, {"timeZone", e.timeZone}}},
        {"status", e.tentative ? "tentative" : "confirmed"},
        {"extendedProperties",
         json::object{{"private", json::object{{"ccAppointmentId", e.appointmentId}}}}},
    };
    if (withId) {
        body["id"] = e.id;
    }
    return body;
}

} // namespace

std::string AccessTokens::get(const std::string& key, Clock::time_point now) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_entries.find(key);
    return it != m_entries.end() && now < it->second.expiresAt ? it->second.token : std::string();
}

void AccessTokens::put(const std::string& key, std::string token, Clock::time_point expiresAt)
{
    std::lock_guard lock(m_mutex);
    m_entries[key] = {std::move(token), expiresAt};
}

void AccessTokens::drop(const std::string& key)
{
    std::lock_guard lock(m_mutex);
    m_entries.erase(key);
}

std::string eventIdFor(std::string_view appointmentId)
{
    std::string id = "cc";
    for (const char c : appointmentId) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
            id.push_back(c);
        } else if (c >= 'A' && c <= 'F') {
            id.push_back(static_cast<char>(c - 'A' + 'a'));
        }
    }
    return id;
}

GoogleCalendar::GoogleCalendar(RetryingCaller& caller, GoogleConfig config, AccessTokens& tokens,
                               std::string tokenKey)
    : m_caller(caller)
    , m_config(std::move(config))
    , m_tokens(tokens)
    , m_tokenKey(std::move(tokenKey))
{}

Result<std::string, ProviderError> GoogleCalendar::accessToken(bool fresh)
{
    const auto now = AccessTokens::Clock::now();
    if (!fresh) {
        if (std::string cached = m_tokens.get(m_tokenKey, now); !cached.empty()) {
            return cached;
        }
    }
    m_tokens.drop(m_tokenKey);
    HttpRequest req;
    req.method = "POST";
    req.contentType = "application/x-www-form-urlencoded";
    req.body = cc::telephony::formUrlEncode({{"grant_type", "refresh_token"},
                                             {"client_id", m_config.clientId},
                                             {"client_secret", m_config.clientSecret},
                                             {"refresh_token", m_config.refreshToken}});
    json::value parsed;
    auto answer = m_caller.call(m_config.tokenUrl, req, [&](const HttpResponse& r) -> Verdict {
        if (r.status == 200) {
            auto body = parseObject(r.body);
            if (!body || stringAt(&body.value(), "access_token").empty()) {
                return {Verdict::Next::Retry,
                        {K::Malformed, "Google's token endpoint sent no access token", r.status}};
            }
            parsed = std::move(body).value();
            return {};
        }
        if (r.status == 429 || r.status >= 500) {
            return {Verdict::Next::Retry,
                    {r.status == 429 ? K::RateLimited : K::Unavailable,
                     "Google's token endpoint answered " + std::to_string(r.status), r.status},
                    retryAfterOf(r)};
        }
        // {"error": "invalid_grant", "error_description": "..."}: the refresh token was revoked
        // or expired, or the client is wrong. Only an admin reconnecting Google fixes that.
        std::string code;
        if (auto body = parseObject(r.body)) {
            code = stringAt(&body.value(), "error");
        }
        return {Verdict::Next::Fail,
                {K::Unauthorized,
                 "Google refused the stored authorisation" +
                     (code.empty() ? std::string() : " (" + util::clipUtf8(code, 64) + ")") +
                     ": reconnect Google Calendar",
                 r.status}};
    });
    if (!answer) {
        return std::move(answer).error();
    }
    ++m_refreshes;
    std::string token = stringAt(&parsed, "access_token");
    const double lifetime = numberAt(&parsed, "expires_in").value_or(3600);
    const auto expires =
        now + std::chrono::seconds(static_cast<std::int64_t>(std::clamp(lifetime, 0.0, 86400.0))) -
        kTokenMargin;
    m_tokens.put(m_tokenKey, token, expires);
    return token;
}

Result<HttpResponse, ProviderError> GoogleCalendar::authorised(HttpRequest request,
                                                               const std::vector<int>& acceptable)
{
    for (int round = 0; round < 2; ++round) {
        auto token = accessToken(round > 0);
        if (!token) {
            return std::move(token).error();
        }
        HttpRequest req = request;
        req.headers.emplace_back("Authorization", "Bearer " + token.value());
        auto answer = m_caller.call(m_config.calendarUrl, req, [&](const HttpResponse& r) {
            return classifyGoogle(r, acceptable);
        });
        // 401: the access token expired or was revoked early. Once more with a fresh one.
        if (!answer && answer.error().httpStatus == 401 && round == 0) {
            continue;
        }
        return answer;
    }
    return ProviderError{K::Unauthorized, "Google Calendar refused a fresh access token", 401};
}

Result<std::vector<BusyInterval>, ProviderError>
GoogleCalendar::freeBusy(const std::string& calendarId, const std::string& timeMin,
                         const std::string& timeMax, const std::string& timeZone)
{
    HttpRequest req;
    req.method = "POST";
    req.target = "/freeBusy";
    req.contentType = "application/json";
    req.body =
        json::serialize(json::object{{"timeMin", timeMin},
                                     {"timeMax", timeMax},
                                     {"timeZone", timeZone},
                                     {"items", json::array{json::object{{"id", calendarId}}}}});
    auto answer = authorised(std::move(req), {200});
    if (!answer) {
        return std::move(answer).error();
    }
    auto body = parseObject(answer.value().body);
    if (!body) {
        return ProviderError{K::Malformed, "Google Calendar: " + body.error(), 200};
    }
    const json::value* calendars = findPath(body.value(), {"calendars"});
    const json::object* all = calendars != nullptr ? calendars->if_object() : nullptr;
    const json::value* mine = all != nullptr ? all->if_contains(calendarId) : nullptr;
    if (mine == nullptr) {
        return ProviderError{K::Malformed, "Google Calendar left the calendar out of free/busy",
                             200};
    }
    if (const json::array* errors = arrayAt(mine, "errors"); errors && !errors->empty()) {
        const std::string reason = stringAt(&errors->front(), "reason");
        return ProviderError{reason == "notFound" ? K::NotFound : K::Rejected,
                             "Google Calendar cannot read the calendar (" + reason + ")", 200};
    }
    std::vector<BusyInterval> busy;
    if (const json::array* list = arrayAt(mine, "busy")) {
        for (const auto& b : *list) {
            busy.push_back({stringAt(&b, "start"), stringAt(&b, "end")});
        }
    }
    return busy;
}

Result<std::string, ProviderError> GoogleCalendar::putEvent(const std::string& calendarId,
                                                            const CalendarEvent& event)
{
    const std::string events = "/calendars/" + urlEncode(calendarId) + "/events";
    HttpRequest insert;
    insert.method = "POST";
    insert.target = events;
    insert.contentType = "application/json";
    insert.body = json::serialize(eventBody(event, true));
    auto inserted = authorised(std::move(insert), {200, 201, 409});
    if (!inserted) {
        return std::move(inserted).error();
    }
    if (inserted.value().status != 409) {
        return event.id;
    }
    // Ours already (a repeat, or an update): make it say what the appointment says now.
    HttpRequest patch;
    patch.method = "PATCH";
    patch.target = events + "/" + urlEncode(event.id);
    patch.contentType = "application/json";
    patch.body = json::serialize(eventBody(event, false));
    auto patched = authorised(std::move(patch), {200});
    if (!patched) {
        return std::move(patched).error();
    }
    return event.id;
}

Result<bool, ProviderError> GoogleCalendar::deleteEvent(const std::string& calendarId,
                                                        const std::string& eventId)
{
    HttpRequest req;
    req.method = "DELETE";
    req.target = "/calendars/" + urlEncode(calendarId) + "/events/" + urlEncode(eventId);
    auto answer = authorised(std::move(req), {200, 204, 404, 410});
    if (!answer) {
        return std::move(answer).error();
    }
    return answer.value().status == 200 || answer.value().status == 204;
}

} // namespace cc::server::integrations
