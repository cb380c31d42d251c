#include "tests/fakes/google_fake.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace cc::fakes::detail {
namespace {

namespace json = boost::json;

constexpr std::string_view kScope = "https://www.googleapis.com/auth/calendar";
constexpr std::string_view kCalendarPrefix = "/calendar/v3/";
constexpr std::string_view kBase32Hex = "0123456789abcdefghijklmnopqrstuv";

// Keys a client may set on an event; the rest of the resource is the server's.
constexpr std::array<std::string_view, 11> kWritableKeys = {
    "summary", "description",  "location",   "start",   "end",       "extendedProperties",
    "status",  "transparency", "visibility", "colorId", "reminders",
};

// The order Google writes an event's members in.
constexpr std::array<std::string_view, 22> kEventOrder = {
    "kind",         "etag",       "id",        "status",      "htmlLink",
    "created",      "updated",    "summary",   "description", "location",
    "colorId",      "creator",    "organizer", "start",       "end",
    "transparency", "visibility", "iCalUID",   "sequence",    "extendedProperties",
    "reminders",    "eventType",
};

std::string_view canonicalStatus(int status)
{
    switch (status) {
    case 400:
        return "INVALID_ARGUMENT";
    case 401:
        return "UNAUTHENTICATED";
    case 403:
        return "PERMISSION_DENIED";
    case 404:
        return "NOT_FOUND";
    case 409:
        return "ALREADY_EXISTS";
    case 412:
        return "FAILED_PRECONDITION";
    case 429:
        return "RESOURCE_EXHAUSTED";
    case 500:
        return "INTERNAL";
    case 503:
        return "UNAVAILABLE";
    case 504:
        return "DEADLINE_EXCEEDED";
    default:
        return {};
    }
}

struct ErrorItem {
    std::string_view domain = "global";
    std::string_view reason;
    std::string message;
    std::string_view locationType = {};
    std::string_view location = {};
};

// The Google API error shape: {"error": {"errors": [...], "code", "message", "status"}}.
Response apiError(int status, ErrorItem item)
{
    json::object e{{"domain", item.domain}, {"reason", item.reason}, {"message", item.message}};
    if (!item.locationType.empty()) {
        e["locationType"] = item.locationType;
        e["location"] = item.location;
    }
    json::object error{{"errors", json::array{std::move(e)}},
                       {"code", status},
                       {"message", std::move(item.message)}};
    if (const auto name = canonicalStatus(status); !name.empty()) {
        error["status"] = name;
    }
    return jsonResponse(status, json::object{{"error", std::move(error)}});
}

Response authError()
{
    return apiError(401, {"global", "authError", "Invalid Credentials", "header", "Authorization"});
}

Response notFound()
{
    return apiError(404, {"global", "notFound", "Not Found"});
}

Response oauthError(int status, std::string_view error, std::string description)
{
    Response r =
        jsonResponse(status, json::object{{"error", error}, {"error_description", description}});
    r.headers.emplace_back("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate");
    return r;
}

std::vector<std::string> splitPath(std::string_view path)
{
    std::vector<std::string> segments;
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        segments.push_back(urlDecode(path.substr(0, slash), false));
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    return segments;
}

bool validEventId(std::string_view id)
{
    return id.size() >= 5 && id.size() <= 1024 && std::all_of(id.begin(), id.end(), [](char c) {
               return kBase32Hex.find(c) != std::string_view::npos;
           });
}

// The instant of an event's start or end: its dateTime, or the UTC midnight of its date.
std::optional<Millis> timeOf(const json::value* when)
{
    if (when == nullptr || !when->is_object()) {
        return std::nullopt;
    }
    const auto& o = when->as_object();
    if (auto dt = stringMember(o, "dateTime")) {
        return parseRfc3339(*dt);
    }
    if (auto date = stringMember(o, "date")) {
        return parseRfc3339(*date + "T00:00:00Z");
    }
    return std::nullopt;
}

// Checks start and end of an event resource; an error answer when they are not usable.
std::optional<Response> checkTimes(const json::object& event)
{
    const auto* start = event.if_contains("start");
    const auto* end = event.if_contains("end");
    if (start == nullptr || start->is_null()) {
        return apiError(400, {"global", "required", "Missing start time."});
    }
    if (end == nullptr || end->is_null()) {
        return apiError(400, {"global", "required", "Missing end time."});
    }
    const auto s = timeOf(start);
    if (!s) {
        return apiError(400, {"global", "invalid", "Invalid start time."});
    }
    const auto e = timeOf(end);
    if (!e) {
        return apiError(400, {"global", "invalid", "Invalid end time."});
    }
    if (*e < *s) {
        return apiError(400, {"calendar", "timeRangeEmpty", "The specified time range is empty."});
    }
    return std::nullopt;
}

// A JSON merge in the way of Google's patch: objects merge member by member, null removes,
// anything else (arrays included) replaces.
void mergeInto(json::object& target, const json::object& patch)
{
    for (const auto& [key, value] : patch) {
        if (value.is_null()) {
            target.erase(key);
        } else if (value.is_object() && target.contains(key) && target.at(key).is_object()) {
            mergeInto(target.at(key).as_object(), value.as_object());
        } else {
            target[key] = value;
        }
    }
}

json::object ordered(const json::object& event)
{
    json::object out;
    for (auto key : kEventOrder) {
        if (const auto* v = event.if_contains(key)) {
            out[key] = *v;
        }
    }
    for (const auto& [key, value] : event) {
        if (!out.contains(key)) {
            out[key] = value;
        }
    }
    return out;
}

std::string base64Url(std::string_view bytes)
{
    std::string s = base64Encode(bytes);
    while (!s.empty() && s.back() == '=') {
        s.pop_back();
    }
    std::replace(s.begin(), s.end(), '+', '-');
    std::replace(s.begin(), s.end(), '/', '_');
    return s;
}

CalendarEvent toCalendarEvent(const json::object& e)
{
    CalendarEvent out;
    out.id = stringMember(e, "id").value_or("");
    out.status = stringMember(e, "status").value_or("");
    out.summary = stringMember(e, "summary").value_or("");
    out.description = stringMember(e, "description").value_or("");
    out.location = stringMember(e, "location").value_or("");
    if (const auto* s = e.if_contains("start"); s != nullptr && s->is_object()) {
        out.startDateTime = stringMember(s->as_object(), "dateTime").value_or("");
        out.startTimeZone = stringMember(s->as_object(), "timeZone").value_or("");
    }
    if (const auto* s = e.if_contains("end"); s != nullptr && s->is_object()) {
        out.endDateTime = stringMember(s->as_object(), "dateTime").value_or("");
        out.endTimeZone = stringMember(s->as_object(), "timeZone").value_or("");
    }
    if (const auto* x = e.if_contains("extendedProperties"); x != nullptr && x->is_object()) {
        if (const auto* p = x->as_object().if_contains("private"); p != nullptr && p->is_object()) {
            for (const auto& [key, value] : p->as_object()) {
                if (value.is_string()) {
                    out.privateProperties[std::string(key)] = std::string(value.as_string());
                }
            }
        }
    }
    out.json = json::serialize(e);
    return out;
}

} // namespace

GoogleFake::GoogleFake()
    : m_credentials{randomString(12, "0123456789") + "-" + toLower(randomString(32, kAlnum)) +
                        ".apps.googleusercontent.com",
                    "GOCSPX-" + randomString(28, kAlnum), "1//0g" + randomString(96, kAlnum)}
{}

void GoogleFake::expireAll()
{
    const auto past = Clock::time_point::min();
    for (auto& entry : m_tokens) {
        entry.second = past;
    }
}

std::string GoogleFake::issueToken(Clock::time_point now)
{
    std::string token =
        "ya29." +
        randomString(150, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    m_tokens[token] = now + m_lifetime;
    return token;
}

std::string GoogleFake::nextEtag()
{
    const auto micros =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    m_lastEtag = std::max(m_lastEtag + 1, micros);
    return "\"" + std::to_string(m_lastEtag) + "\"";
}

Response GoogleFake::errorResponse(int status, const std::string& path)
{
    if (path == "/token") {
        switch (status) {
        case 400:
            return oauthError(status, "invalid_grant", "Token has been expired or revoked.");
        case 401:
            return oauthError(status, "invalid_client", "Unauthorized");
        case 429:
            return oauthError(status, "rate_limit_exceeded", "Rate Limit Exceeded");
        default:
            if (status >= 500) {
                return oauthError(status, "internal_failure", "Backend Error");
            }
            return oauthError(status, "invalid_request", reasonPhrase(status));
        }
    }
    switch (status) {
    case 400:
        return apiError(status, {"global", "badRequest", "Bad Request"});
    case 401:
        return authError();
    case 403:
        return apiError(status, {"usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"});
    case 404:
        return notFound();
    case 409:
        return apiError(status,
                        {"global", "duplicate", "The requested identifier already exists."});
    case 410:
        return apiError(status, {"global", "deleted", "Resource has been deleted"});
    case 412:
        return apiError(status,
                        {"global", "conditionNotMet", "Precondition Failed", "header", "If-Match"});
    case 413:
        return apiError(status, {"global", "uploadTooLarge", "Request Entity Too Large"});
    case 429:
        return apiError(status, {"usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"});
    default:
        if (status >= 500) {
            return apiError(status, {"global", "backendError", "Backend Error"});
        }
        return apiError(status, {"global", "badRequest", reasonPhrase(status)});
    }
}

std::string GoogleFake::malformedBody()
{
    return R"({"kind":"calendar#event","etag":"\"3181161784712000\"","id":"7cbh8rpc10lrc0ckih9tafss99","status":"conf)";
}

Response GoogleFake::handle(const Request& request, Clock::time_point now, Counters& counters)
{
    if (request.path == "/token") {
        if (request.method != "POST") {
            return oauthError(405, "invalid_request", "Method Not Allowed");
        }
        return token(request, now, counters);
    }
    return calendarApi(request, now, counters);
}

Response GoogleFake::token(const Request& request, Clock::time_point now, Counters& counters)
{
    std::vector<std::pair<std::string, std::string>> params;
    if (icontains(request.header("Content-Type"), "application/json")) {
        if (auto body = parseJsonObject(request.body)) {
            for (const auto& [key, value] : *body) {
                if (value.is_string()) {
                    params.emplace_back(std::string(key), std::string(value.as_string()));
                }
            }
        }
    } else {
        params = parseForm(request.body);
    }
    std::string clientId;
    std::string clientSecret;
    if (const std::string auth = request.header("Authorization"); startsWith(auth, "Basic ")) {
        if (auto decoded = base64Decode(std::string_view(auth).substr(6))) {
            const std::size_t colon = decoded->find(':');
            clientId = urlDecode(decoded->substr(0, colon), true);
            if (colon != std::string::npos) {
                clientSecret = urlDecode(decoded->substr(colon + 1), true);
            }
        }
    }
    if (const auto* v = findParam(params, "client_id")) {
        clientId = *v;
    }
    if (const auto* v = findParam(params, "client_secret")) {
        clientSecret = *v;
    }
    const std::string* grantType = findParam(params, "grant_type");
    if (grantType == nullptr || *grantType != "refresh_token") {
        return oauthError(400, "unsupported_grant_type",
                          "Invalid grant_type: " + (grantType ? *grantType : std::string()));
    }
    if (clientId.empty()) {
        return oauthError(400, "invalid_request", "Could not determine client ID from request.");
    }
    if (clientId != m_credentials.clientId) {
        ++counters.authFailures;
        return oauthError(401, "invalid_client", "The OAuth client was not found.");
    }
    if (clientSecret != m_credentials.clientSecret) {
        ++counters.authFailures;
        return oauthError(401, "invalid_client", "Unauthorized");
    }
    const std::string* refresh = findParam(params, "refresh_token");
    if (refresh == nullptr || refresh->empty()) {
        return oauthError(400, "invalid_request", "Missing required parameter: refresh_token");
    }
    if (*refresh != m_credentials.refreshToken) {
        ++counters.authFailures;
        return oauthError(400, "invalid_grant", "Token has been expired or revoked.");
    }
    ++counters.tokensIssued;
    Response r = jsonResponse(200, json::object{{"access_token", issueToken(now)},
                                                {"expires_in", m_lifetime.count()},
                                                {"scope", kScope},
                                                {"token_type", "Bearer"}});
    r.headers.emplace_back("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate");
    r.headers.emplace_back("Pragma", "no-cache");
    return r;
}

Response GoogleFake::calendarApi(const Request& request, Clock::time_point now, Counters& counters)
{
    if (!startsWith(request.path, kCalendarPrefix)) {
        return notFound();
    }
    const auto segments = splitPath(std::string_view(request.path).substr(kCalendarPrefix.size()));
    const bool isFreeBusy = segments.size() == 1 && segments[0] == "freeBusy";
    const bool isEvents = (segments.size() == 3 || segments.size() == 4) &&
                          segments[0] == "calendars" && segments[2] == "events";
    if (!isFreeBusy && !isEvents) {
        return notFound();
    }
    const std::string auth = request.header("Authorization");
    const auto token = m_tokens.find(startsWith(auth, "Bearer ") ? auth.substr(7) : std::string());
    if (token == m_tokens.end() || token->second <= now) {
        ++counters.authFailures;
        return authError();
    }
    if (isFreeBusy) {
        return request.method == "POST" ? freeBusy(request) : notFound();
    }
    const std::string& calendarId = segments[1];
    if (!m_calendars.contains(calendarId)) {
        return notFound();
    }
    if (segments.size() == 3) {
        if (request.method != "POST") {
            return notFound();
        }
        auto body = parseJsonObject(request.body);
        if (!body) {
            return apiError(400, {"global", "parseError", "Parse Error"});
        }
        return insertEvent(calendarId, *body);
    }
    return changeEvent(request, calendarId, segments[3]);
}

Response GoogleFake::insertEvent(const std::string& calendarId, const json::object& body)
{
    Calendar& calendar = m_calendars.at(calendarId);
    std::string id;
    if (const auto* v = body.if_contains("id"); v != nullptr && !v->is_null()) {
        if (!v->is_string() || !validEventId(v->as_string())) {
            return apiError(400, {"global", "invalid", "Invalid resource id value."});
        }
        id = std::string(v->as_string());
        // Ids stay taken after a delete.
        if (calendar.events.contains(id)) {
            return apiError(409,
                            {"global", "duplicate", "The requested identifier already exists."});
        }
    } else {
        do {
            id = randomString(26, kBase32Hex);
        } while (calendar.events.contains(id));
    }
    json::object event;
    for (auto key : kWritableKeys) {
        if (const auto* v = body.if_contains(key); v != nullptr && !v->is_null()) {
            event[key] = *v;
        }
    }
    if (auto error = checkTimes(event)) {
        return *error;
    }
    const std::string now = formatRfc3339(nowMillis(), true);
    event["kind"] = "calendar#event";
    event["etag"] = nextEtag();
    event["id"] = id;
    if (!event.contains("status")) {
        event["status"] = "confirmed";
    }
    event["htmlLink"] =
        "https://www.google.com/calendar/event?eid=" + base64Url(id + " " + calendarId);
    event["created"] = now;
    event["updated"] = now;
    event["creator"] = {{"email", calendarId}, {"self", true}};
    event["organizer"] = {{"email", calendarId}, {"self", true}};
    event["iCalUID"] = id + "@google.com";
    event["sequence"] = 0;
    if (!event.contains("reminders")) {
        event["reminders"] = {{"useDefault", true}};
    }
    event["eventType"] = "default";
    json::object stored = ordered(event);
    calendar.order.push_back(id);
    calendar.events.emplace(id, stored);
    return jsonResponse(200, stored);
}

Response GoogleFake::changeEvent(const Request& request, const std::string& calendarId,
                                 const std::string& eventId)
{
    Calendar& calendar = m_calendars.at(calendarId);
    const auto it = calendar.events.find(eventId);
    if (it == calendar.events.end()) {
        return notFound();
    }
    json::object& event = it->second;
    const bool cancelled = stringMember(event, "status") == "cancelled";
    if (request.method == "GET") {
        return jsonResponse(200, event);
    }
    if (request.method != "PATCH" && request.method != "PUT" && request.method != "DELETE") {
        return notFound();
    }
    if (const std::string ifMatch = request.header("If-Match");
        !ifMatch.empty() && ifMatch != "*" && ifMatch != stringMember(event, "etag")) {
        return errorResponse(412, request.path);
    }
    if (request.method == "DELETE") {
        if (cancelled) {
            return apiError(410, {"global", "deleted", "Resource has been deleted"});
        }
        event["status"] = "cancelled";
        event["etag"] = nextEtag();
        event["updated"] = formatRfc3339(nowMillis(), true);
        Response r;
        r.status = 204;
        r.contentType.clear();
        return r;
    }
    auto body = parseJsonObject(request.body);
    if (!body) {
        return apiError(400, {"global", "parseError", "Parse Error"});
    }
    json::object changed = event;
    if (request.method == "PUT") {
        for (auto key : kWritableKeys) {
            changed.erase(key);
        }
    }
    json::object writable;
    for (auto key : kWritableKeys) {
        if (const auto* v = body->if_contains(key)) {
            writable[key] = *v;
        }
    }
    mergeInto(changed, writable);
    if (!changed.contains("status")) {
        changed["status"] = "confirmed";
    }
    if (auto error = checkTimes(changed)) {
        return *error;
    }
    if (changed.at("start") != event.at("start") || changed.at("end") != event.at("end")) {
        changed["sequence"] = changed.at("sequence").to_number<std::int64_t>() + 1;
    }
    changed["etag"] = nextEtag();
    changed["updated"] = formatRfc3339(nowMillis(), true);
    event = ordered(changed);
    return jsonResponse(200, event);
}

Response GoogleFake::freeBusy(const Request& request)
{
    auto body = parseJsonObject(request.body);
    if (!body) {
        return apiError(400, {"global", "parseError", "Parse Error"});
    }
    const auto minText = stringMember(*body, "timeMin");
    const auto maxText = stringMember(*body, "timeMax");
    if (!minText) {
        return apiError(400, {"global", "required", "Required", "parameter", "timeMin"});
    }
    if (!maxText) {
        return apiError(400, {"global", "required", "Required", "parameter", "timeMax"});
    }
    const auto timeMin = parseRfc3339(*minText);
    const auto timeMax = parseRfc3339(*maxText);
    if (!timeMin) {
        return apiError(
            400, {"global", "invalid", "Invalid value for: timeMin", "parameter", "timeMin"});
    }
    if (!timeMax) {
        return apiError(
            400, {"global", "invalid", "Invalid value for: timeMax", "parameter", "timeMax"});
    }
    if (*timeMax <= *timeMin) {
        return apiError(400, {"calendar", "timeRangeEmpty", "The specified time range is empty.",
                              "parameter", "timeMax"});
    }
    json::object calendars;
    if (const auto* items = body->if_contains("items"); items != nullptr && items->is_array()) {
        for (const auto& item : items->as_array()) {
            if (!item.is_object()) {
                continue;
            }
            const auto id = stringMember(item.as_object(), "id");
            if (!id) {
                continue;
            }
            const auto cal = m_calendars.find(*id);
            if (cal == m_calendars.end()) {
                calendars[*id] = {
                    {"errors", json::array{{{"domain", "global"}, {"reason", "notFound"}}}},
                    {"busy", json::array()}};
                continue;
            }
            // Opaque, not cancelled events overlapping the range, clipped and merged.
            std::vector<std::pair<Millis, Millis>> spans;
            for (const auto& [eventId, event] : cal->second.events) {
                if (stringMember(event, "status") == "cancelled" ||
                    stringMember(event, "transparency") == "transparent") {
                    continue;
                }
                const auto s = timeOf(event.if_contains("start"));
                const auto e = timeOf(event.if_contains("end"));
                if (!s || !e || *e <= *timeMin || *s >= *timeMax) {
                    continue;
                }
                spans.emplace_back(std::max(*s, *timeMin), std::min(*e, *timeMax));
            }
            std::sort(spans.begin(), spans.end());
            std::vector<std::pair<Millis, Millis>> merged;
            for (const auto& span : spans) {
                if (!merged.empty() && span.first <= merged.back().second) {
                    merged.back().second = std::max(merged.back().second, span.second);
                } else {
                    merged.push_back(span);
                }
            }
            json::array busy;
            for (const auto& [s, e] : merged) {
                busy.push_back(
                    {{"start", formatRfc3339(s, false)}, {"end", formatRfc3339(e, false)}});
            }
            calendars[*id] = {{"busy", std::move(busy)}};
        }
    }
    return jsonResponse(200, json::object{{"kind", "calendar#freeBusy"},
                                          {"timeMin", formatRfc3339(*timeMin, true)},
                                          {"timeMax", formatRfc3339(*timeMax, true)},
                                          {"calendars", std::move(calendars)}});
}

std::string GoogleFake::addEvent(const std::string& calendarId, const CalendarEvent& event)
{
    if (!m_calendars.contains(calendarId)) {
        return {};
    }
    json::object body;
    if (!event.id.empty()) {
        body["id"] = event.id;
    }
    if (!event.status.empty()) {
        body["status"] = event.status;
    }
    if (!event.summary.empty()) {
        body["summary"] = event.summary;
    }
    if (!event.description.empty()) {
        body["description"] = event.description;
    }
    if (!event.location.empty()) {
        body["location"] = event.location;
    }
    json::object start{{"dateTime", event.startDateTime}};
    if (!event.startTimeZone.empty()) {
        start["timeZone"] = event.startTimeZone;
    }
    json::object end{{"dateTime", event.endDateTime}};
    if (!event.endTimeZone.empty()) {
        end["timeZone"] = event.endTimeZone;
    }
    body["start"] = std::move(start);
    body["end"] = std::move(end);
    if (!event.privateProperties.empty()) {
        json::object priv;
        for (const auto& [key, value] : event.privateProperties) {
            priv[key] = value;
        }
        body["extendedProperties"] = {{"private", std::move(priv)}};
    }
    const Response r = insertEvent(calendarId, body);
    if (r.status != 200) {
        return {};
    }
    return m_calendars.at(calendarId).order.back();
}

std::vector<CalendarEvent> GoogleFake::events(const std::string& calendarId) const
{
    std::vector<CalendarEvent> out;
    const auto cal = m_calendars.find(calendarId);
    if (cal == m_calendars.end()) {
        return out;
    }
    for (const auto& id : cal->second.order) {
        out.push_back(toCalendarEvent(cal->second.events.at(id)));
    }
    return out;
}

} // namespace cc::fakes::detail
