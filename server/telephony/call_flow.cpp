#include "server/telephony/call_flow.h"

#include "server/db/prepared.h"
#include "server/integrations/store.h"
#include "server/ops/log.h"
#include "server/ops/metrics.h"
#include "server/telephony/self_service.h"
#include "shared/domain/phone.h"
#include "shared/routing/engine.h"
#include "shared/telephony/twiml.h"

#include <boost/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <charconv>

namespace cc::server::telephony {
namespace {

using cc::telephony::DialOptions;
using cc::telephony::DialTarget;
using cc::telephony::GatherInput;
using cc::telephony::GatherOptions;
using cc::telephony::GatherPrompts;
using cc::telephony::RecordOptions;
using cc::telephony::TwimlBuilder;

constexpr int kMaxClaimAttempts = 3;     // people taken by a concurrent call meanwhile
constexpr int kRecordMaxSeconds = 120;   // a voicemail's longest message
constexpr int kMaxWaitLoops = 720;       // a caller's turns in the queue (an hour at 5 s)
constexpr int kLiveDecisionSeconds = 30; // a waiting call decided on this recently is still there
constexpr std::size_t kMaxSpeechBytes = 1000; // what a caller said, as the provider heard it

bool isHex(std::string_view s)
{
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Twilio's ids: two letters, then 32 lower-case hex digits.
bool isSid(std::string_view s, std::string_view prefix)
{
    return s.size() == 34 && s.starts_with(prefix) && isHex(s.substr(2));
}

std::optional<int> smallNumber(std::string_view s, int max)
{
    int value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < 0 || value > max) {
        return std::nullopt;
    }
    return value;
}

const std::string* param(const Webhook& hook, std::string_view name)
{
    for (const auto& [k, v] : hook.params) {
        if (k == name) {
            return &v;
        }
    }
    return nullptr;
}

std::string paramOr(const Webhook& hook, std::string_view name)
{
    const std::string* v = param(hook, name);
    return v != nullptr ? *v : std::string();
}

constexpr std::array kCallStatuses = {
    std::string_view("queued"),      std::string_view("initiated"), std::string_view("ringing"),
    std::string_view("in-progress"), std::string_view("completed"), std::string_view("busy"),
    std::string_view("failed"),      std::string_view("no-answer"), std::string_view("canceled")};
constexpr std::array kDialStatuses = {std::string_view("completed"), std::string_view("answered"),
                                      std::string_view("busy"),      std::string_view("no-answer"),
                                      std::string_view("failed"),    std::string_view("canceled")};

bool isWithheld(std::string_view from)
{
    return domain::isWithheldCallerId(from);
}

template <std::size_t N>
bool oneOf(const std::string& v, const std::array<std::string_view, N>& values)
{
    return std::find(values.begin(), values.end(), v) != values.end();
}

// The call a webhook is about (and its events are keyed by): a <Client> leg reports its own
// CallSid and its parent's, ours.
std::string eventCallSid(const Webhook& hook)
{
    if (hook.endpoint == Endpoint::Leg) {
        return paramOr(hook, "ParentCallSid");
    }
    return paramOr(hook, "CallSid");
}

// ---- the call's row ----

struct CallRow {
    std::string id;
    std::string locationId;
    std::string locationName;
    std::string status;
    std::string fromNumber;
    std::string customerId; // empty: unknown caller
    std::string need;
    std::string offeredTo;
    std::string handledBy;
    std::int64_t startedMs = 0;
    std::int64_t nowMs = 0;
    bool ended = false; // the provider said the call is over (ended_at set)
};

// The call of this webhook, locked for the transaction, or nothing.
std::optional<CallRow> lockCall(pqxx::work& tx, const Webhook& hook)
{
    const pqxx::result r = db::execPrepared(
        tx,
        "SELECT c.id::text, c.location_id::text, l.name, c.status, c.from_number, "
        "coalesce(c.customer_id::text, ''), coalesce(c.need, ''), coalesce(c.offered_to::text, "
        "''), "
        "coalesce(c.handled_by::text, ''), sync_ms(c.started_at), sync_ms(now()), "
        "c.ended_at IS NOT NULL "
        "FROM calls c JOIN locations l ON l.id = c.location_id "
        "WHERE c.provider_call_id = $1 AND c.organisation_id = $2::uuid FOR UPDATE OF c",
        eventCallSid(hook), hook.organisationId);
    if (r.empty()) {
        return std::nullopt;
    }
    const auto& row = r[0];
    return CallRow{row[0].as<std::string>(),  row[1].as<std::string>(),   row[2].as<std::string>(),
                   row[3].as<std::string>(),  row[4].as<std::string>(),   row[5].as<std::string>(),
                   row[6].as<std::string>(),  row[7].as<std::string>(),   row[8].as<std::string>(),
                   row[9].as<std::int64_t>(), row[10].as<std::int64_t>(), row[11].as<bool>()};
}

// ---- routing inputs ----

struct MenuOption {
    char digit = '1';
    std::string label; // what the caller hears: "For <label>, press <digit>."
    std::string skill; // the call's need when chosen
};

struct Settings {
    routing::Rules rules;
    int callbackDueMinutes = 60;
    std::string greeting;
    std::string holdMusicUrl;
    std::vector<MenuOption> menu;
    bool selfService = false; // callers may say what they need; the line answers what it can
};

// The menu as configured (jsonb, an array of {digit, label, skill}); entries that are not well
// formed are left out rather than read aloud.
std::vector<MenuOption> parseMenu(const std::string& text)
{
    std::vector<MenuOption> out;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_array()) {
        return out;
    }
    for (const auto& item : v.as_array()) {
        const auto* o = item.if_object();
        const auto* digit = o != nullptr ? o->if_contains("digit") : nullptr;
        const auto* label = o != nullptr ? o->if_contains("label") : nullptr;
        const auto* skill = o != nullptr ? o->if_contains("skill") : nullptr;
        if (digit == nullptr || !digit->is_string() || digit->get_string().size() != 1 ||
            digit->get_string()[0] < '1' || digit->get_string()[0] > '9' || label == nullptr ||
            !label->is_string() || label->get_string().empty() || label->get_string().size() > 60 ||
            skill == nullptr || !skill->is_string() || skill->get_string().empty() ||
            skill->get_string().size() > 64) {
            continue;
        }
        if (std::any_of(out.begin(), out.end(), [&](const MenuOption& taken) {
                return taken.digit == digit->get_string()[0];
            })) {
            continue; // a digit offered twice (set by SQL): the first one counts
        }
        out.push_back({digit->get_string()[0], std::string(label->get_string()),
                       std::string(skill->get_string())});
    }
    return out;
}

Settings loadSettings(pqxx::work& tx, const std::string& organisationId,
                      const std::string& locationId)
{
    const pqxx::row r = db::execPrepared1(
        tx,
        "SELECT coalesce(s.ring_timeout_s, o.ring_timeout_s), "
        "coalesce(s.overflow_after_s, o.overflow_after_s), "
        "coalesce(s.voicemail_after_s, o.voicemail_after_s), coalesce(s.wrap_up_s, o.wrap_up_s), "
        "coalesce(s.missed_pause_s, o.missed_pause_s), "
        "coalesce(s.overflow_when_closed, o.overflow_when_closed), "
        "coalesce(s.callback_due_minutes, o.callback_due_minutes), "
        "coalesce(s.greeting, o.greeting, ''), coalesce(s.hold_music_url, o.hold_music_url, ''), "
        "coalesce(s.menu, o.menu)::text, coalesce(s.self_service, o.self_service, false) "
        "FROM (SELECT 1) one "
        "LEFT JOIN routing_rules o ON o.organisation_id = $1::uuid AND o.location_id IS NULL "
        "LEFT JOIN routing_rules s ON s.organisation_id = $1::uuid AND s.location_id = $2::uuid",
        organisationId, locationId);
    Settings s;
    auto apply = [&](int column, int& target) {
        if (!r[column].is_null()) {
            target = r[column].as<int>();
        }
    };
    apply(0, s.rules.ringTimeoutSeconds);
    apply(1, s.rules.overflowAfterSeconds);
    apply(2, s.rules.voicemailAfterSeconds);
    apply(3, s.rules.wrapUpSeconds);
    apply(4, s.rules.missedCallPauseSeconds);
    if (!r[5].is_null()) {
        s.rules.overflowWhenClosed = r[5].as<bool>();
    }
    apply(6, s.callbackDueMinutes);
    s.greeting = r[7].as<std::string>();
    s.holdMusicUrl = r[8].as<std::string>();
    if (!r[9].is_null()) {
        s.menu = parseMenu(r[9].as<std::string>());
    }
    s.selfService = r[10].as<bool>();
    return s;
}

// The dialled store and the other stores of its region, each with its own wall clock (from
// PostgreSQL's time zone data), hours and holidays.
std::vector<routing::Store> loadStores(pqxx::work& tx, const std::string& organisationId,
                                       const std::string& locationId)
{
    std::vector<routing::Store> stores;
    const pqxx::result r = db::execPrepared(
        tx,
        "SELECT l.id::text, coalesce(l.region_id::text, ''), l.name, "
        "coalesce(extract(year FROM t.local)::int, 0), extract(month FROM t.local)::int, "
        "extract(day FROM t.local)::int, extract(isodow FROM t.local)::int, "
        "(extract(hour FROM t.local) * 60 + extract(minute FROM t.local))::int, l.timezone "
        "FROM locations l, LATERAL (SELECT location_local_now(l.timezone) AS local) t "
        "WHERE l.organisation_id = $1::uuid AND (l.id = $2::uuid OR l.region_id = "
        "(SELECT region_id FROM locations WHERE id = $2::uuid)) ORDER BY l.id",
        organisationId, locationId);
    std::vector<std::string> ids;
    for (const auto& row : r) {
        routing::Store store;
        store.id = row[0].as<std::string>();
        store.regionId = row[1].as<std::string>();
        store.name = row[2].as<std::string>();
        if (row[3].as<int>() == 0) {
            // A time zone PostgreSQL does not know (written before the check existed): the store
            // gets no hours, so it counts as closed, and its region's calls still route.
            log::warn("telephony", "store " + store.id + " has an unknown time zone \"" +
                                       row[8].as<std::string>() + "\": treated as closed");
            stores.push_back(std::move(store));
            continue;
        }
        store.localNow = {row[3].as<int>(), row[4].as<int>(), row[5].as<int>(), row[6].as<int>(),
                          row[7].as<int>()};
        ids.push_back(store.id);
        stores.push_back(std::move(store));
    }
    const std::string idArray = "{" + [&] {
        std::string joined;
        for (const auto& id : ids) {
            joined += (joined.empty() ? "" : ",") + id;
        }
        return joined;
    }() + "}";
    auto find = [&](const std::string& id) -> routing::Store* {
        for (auto& s : stores) {
            if (s.id == id) {
                return &s;
            }
        }
        return nullptr;
    };
    for (const auto& row : db::execPrepared(
             tx,
             "SELECT location_id::text, weekday, "
             "(extract(hour FROM opens_at) * 60 + extract(minute FROM opens_at))::int, "
             "(extract(hour FROM closes_at) * 60 + extract(minute FROM closes_at))::int "
             "FROM location_hours WHERE location_id = ANY ($1::uuid[])",
             idArray)) {
        if (auto* s = find(row[0].as<std::string>())) {
            s->hours.push_back({row[1].as<int>(), row[2].as<int>(), row[3].as<int>()});
        }
    }
    // A store's local date is within two days of the database's, whatever its session zone.
    for (const auto& row : db::execPrepared(
             tx,
             "SELECT location_id::text, extract(year FROM day)::int, extract(month FROM day)::int, "
             "extract(day FROM day)::int FROM location_holidays "
             "WHERE location_id = ANY ($1::uuid[]) AND day BETWEEN current_date - 2 AND "
             "current_date + 2",
             idArray)) {
        if (auto* s = find(row[0].as<std::string>())) {
            s->holidays.push_back({row[1].as<int>(), row[2].as<int>(), row[3].as<int>()});
        }
    }
    return stores;
}

std::string uuidArray(const std::vector<routing::Store>& stores)
{
    std::string out = "{";
    for (const auto& s : stores) {
        out += (out.size() > 1 ? "," : "") + s.id;
    }
    return out + "}";
}

std::vector<std::string> textArray(const pqxx::field& f)
{
    std::vector<std::string> out;
    auto parser = f.as_array();
    for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
         std::tie(kind, value) = parser.get_next()) {
        if (kind == pqxx::array_parser::string_value) {
            out.push_back(value);
        }
    }
    return out;
}

// The people who work in these stores and take calls, with what the server knows of them.
std::vector<routing::Agent> loadAgents(pqxx::work& tx, const std::string& organisationId,
                                       const std::string& storeIds)
{
    std::vector<routing::Agent> agents;
    const pqxx::result r = db::execPrepared(
        tx,
        "SELECT u.id::text, u.display_name, "
        "array(SELECT location_id::text FROM user_locations ul WHERE ul.user_id = u.id AND "
        "ul.location_id = ANY ($2::uuid[]) ORDER BY location_id), u.skills, p.status, p.activity, "
        "coalesce(sync_ms(p.activity_until), 0), coalesce(sync_ms(p.paused_until), 0), "
        "sync_ms(p.idle_since), CASE WHEN p.calls_day = current_date THEN p.calls_today ELSE 0 "
        "END, p.devices "
        "FROM users u JOIN presence p ON p.user_id = u.id "
        "WHERE u.organisation_id = $1::uuid AND u.active AND u.role IN ('staff', 'manager') "
        "AND EXISTS (SELECT 1 FROM user_locations ul WHERE ul.user_id = u.id AND "
        "ul.location_id = ANY ($2::uuid[])) ORDER BY u.id",
        organisationId, storeIds);
    for (const auto& row : r) {
        routing::Agent a;
        a.userId = row[0].as<std::string>();
        a.displayName = row[1].as<std::string>();
        a.storeIds = textArray(row[2]);
        a.skills = textArray(row[3]);
        const std::string status = row[4].as<std::string>();
        const std::string activity = row[5].as<std::string>();
        const auto until = row[6].as<std::int64_t>();
        if (row[10].as<int>() == 0) {
            a.presence = routing::Presence::Offline;
        } else if (status == "away") {
            a.presence = routing::Presence::Away;
        } else if (activity == "ringing") {
            a.presence = routing::Presence::Ringing;
        } else if (activity == "on_call") {
            a.presence = routing::Presence::OnCall;
        } else if (activity == "wrap_up") {
            a.presence = routing::Presence::WrapUp;
            a.wrapUpEndsMs = until;
        } else {
            a.presence = routing::Presence::Available;
        }
        a.pausedUntilMs = row[7].as<std::int64_t>();
        a.idleSinceMs = row[8].as<std::int64_t>();
        a.callsToday = row[9].as<int>();
        agents.push_back(std::move(a));
    }
    return agents;
}

// ---- decisions ----

std::string_view actionText(const routing::Decision& d, bool closed)
{
    if (d.action == routing::Action::Voicemail && closed) {
        return "closed";
    }
    return routing::actionName(d.action);
}

std::int64_t recordDecision(pqxx::work& tx, const Webhook& hook, const CallRow& call,
                            const routing::Decision& d, bool closed)
{
    ops::metrics().routingDecisions.add(actionText(d, closed));
    const pqxx::row r = db::execPrepared1(
        tx,
        "INSERT INTO call_decisions (organisation_id, call_id, action, user_id, location_id, "
        "overflow, explanation) VALUES ($1::uuid, $2::uuid, $3, nullif($4, '')::uuid, "
        "nullif($5, '')::uuid, $6, $7::jsonb) RETURNING id",
        hook.organisationId, call.id, std::string(actionText(d, closed)), d.userId, d.storeId,
        d.overflow, routing::toJson(d));
    return r[0].as<std::int64_t>();
}

std::string callbackTitle(const CallRow& call, std::string_view why)
{
    if (isWithheld(call.fromNumber)) {
        return "Number withheld (" + std::string(why) + ")";
    }
    return "Call back " + call.fromNumber + " (" + std::string(why) + ")";
}

// One callback task per call, due `dueMinutes` after the call arrived (so callers keep their
// place in the list).
void createCallbackTask(pqxx::work& tx, const Webhook& hook, const CallRow& call,
                        std::string_view why, int dueMinutes)
{
    db::execPrepared(
        tx,
        "INSERT INTO tasks (id, organisation_id, location_id, customer_id, call_id, kind, title, "
        "due_at) SELECT gen_random_uuid(), $1::uuid, $2::uuid, nullif($3, '')::uuid, $4::uuid, "
        "'callback', $5, c.started_at + make_interval(mins => $6) FROM calls c WHERE c.id = "
        "$4::uuid AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.call_id = $4::uuid AND t.kind = "
        "'callback')",
        hook.organisationId, call.locationId, call.customerId, call.id, callbackTitle(call, why),
        dueMinutes);
}

// Takes the person for this call, unless a concurrent call took them first.
bool claim(pqxx::work& tx, const CallRow& call, const std::string& userId, int ringSeconds)
{
    const pqxx::result r = db::execPrepared(
        tx,
        "UPDATE presence SET activity = 'ringing', call_id = $2::uuid, "
        "activity_until = now() + make_interval(secs => $3), updated_at = now() "
        "WHERE user_id = $1::uuid AND status = 'available' AND devices > 0 AND "
        "(activity = 'idle' OR (activity = 'wrap_up' AND activity_until <= now())) AND "
        "(paused_until IS NULL OR paused_until <= now())",
        userId, call.id, ringSeconds + 10);
    return r.affected_rows() == 1;
}

std::string absolute(const Webhook& hook, std::string_view pathAndQuery)
{
    return hook.baseUrl + std::string(pathAndQuery);
}

void sayVoicemailPrompt(TwimlBuilder& t, const Webhook& hook, bool closed,
                        const std::string& storeName)
{
    t.say(closed ? "Thank you for calling " + storeName +
                       ". We are closed right now. Please leave a message after the tone and we "
                       "will call you back."
                 : std::string("Sorry, nobody can take your call right now. Please leave a message "
                               "after the tone and we will call you back."));
    RecordOptions record;
    record.action = absolute(hook, "/twilio/voice/recorded");
    record.maxLength = kRecordMaxSeconds;
    record.playBeep = true;
    record.finishOnKey = "#";
    record.recordingStatusCallback = absolute(hook, "/twilio/recording");
    t.record(record);
    t.say("We did not receive a message. Goodbye.");
    t.hangup();
}

std::string greeting(const Settings& settings, const CallRow& call)
{
    return settings.greeting.empty() ? "Thank you for calling " + call.locationName + "."
                                     : settings.greeting;
}

// Decides where the call goes now and answers with the TwiML that does it. `greet`: the call
// has just arrived; `preamble`: said first otherwise ("Let me connect you to a colleague.").
std::string route(pqxx::work& tx, const Webhook& hook, CallRow& call, bool greet,
                  std::string_view preamble = {})
{
    const Settings settings = loadSettings(tx, hook.organisationId, call.locationId);
    const std::vector<routing::Store> stores = loadStores(tx, hook.organisationId, call.locationId);
    std::vector<routing::Agent> agents = loadAgents(tx, hook.organisationId, uuidArray(stores));

    routing::Call input;
    input.callId = call.id;
    input.storeId = call.locationId;
    if (!call.need.empty()) {
        input.needSkills.push_back(call.need);
    }
    input.nowMs = call.nowMs;
    input.arrivedMs = call.startedMs;
    int waits = 0; // the caller's turns in the queue so far
    for (const auto& row : db::execPrepared(tx,
                                            "SELECT action, coalesce(user_id::text, '') FROM "
                                            "call_decisions WHERE call_id = $1::uuid",
                                            call.id)) {
        if (row[0].as<std::string>() == "wait") {
            ++waits;
        } else if (row[0].as<std::string>() == "offer" && !row[1].as<std::string>().empty()) {
            input.alreadyOffered.push_back(row[1].as<std::string>());
        }
    }
    if (!isWithheld(call.fromNumber)) {
        const pqxx::result last = db::execPrepared(
            tx,
            "SELECT handled_by::text FROM calls WHERE organisation_id = $1::uuid AND from_number = "
            "$2 AND id <> $3::uuid AND handled_by IS NOT NULL ORDER BY started_at DESC LIMIT 1",
            hook.organisationId, call.fromNumber, call.id);
        if (!last.empty()) {
            input.lastHandlerId = last[0][0].as<std::string>();
        }
    }

    const routing::Store* dialled = nullptr;
    for (const auto& s : stores) {
        if (s.id == call.locationId) {
            dialled = &s;
        }
    }
    const bool closed = dialled == nullptr || !routing::isOpen(*dialled);

    routing::Decision decision;
    for (int attempt = 0;; ++attempt) {
        decision = routing::decide(input, stores, agents, settings.rules);
        if (decision.action == routing::Action::Offer) {
            // Callers who have waited longer in the chosen person's store, and could have them,
            // go first: they take the next person free at their own next turn (seconds away).
            // One that has already rung this person cannot, and does not hold this call up.
            const pqxx::row earlier = db::execPrepared1(
                tx,
                "SELECT count(*) FROM calls c WHERE c.location_id = $1::uuid AND c.status = "
                "'ringing' AND c.ended_at IS NULL AND c.offered_to IS NULL AND c.id <> $2::uuid "
                "AND c.started_at < (SELECT started_at FROM calls WHERE id = $2::uuid) "
                "AND EXISTS (SELECT 1 FROM call_decisions d WHERE d.call_id = c.id AND "
                "d.decided_at > now() - make_interval(secs => $3)) "
                "AND NOT EXISTS (SELECT 1 FROM call_decisions d WHERE d.call_id = c.id AND "
                "d.action = 'offer' AND d.user_id = $4::uuid)",
                decision.storeId, call.id, kLiveDecisionSeconds, decision.userId);
            if (earlier[0].as<int>() > 0) {
                decision.action = routing::Action::Wait;
                decision.reason = "waiting: " + earlier[0].as<std::string>() +
                                  " earlier caller(s) in the queue go first";
                decision.retryAfterSeconds = 3;
                decision.userId.clear();
                decision.storeId = call.locationId;
            } else if (!claim(tx, call, decision.userId, settings.rules.ringTimeoutSeconds)) {
                // Taken by another call since we read: mark them busy and decide again.
                for (auto& a : agents) {
                    if (a.userId == decision.userId) {
                        a.presence = routing::Presence::Ringing;
                    }
                }
                if (attempt + 1 < kMaxClaimAttempts) {
                    continue;
                }
                decision.action = routing::Action::Wait;
                decision.reason = "waiting: the people free were just taken by other calls";
                decision.retryAfterSeconds = 2;
                decision.userId.clear();
                decision.storeId = call.locationId;
            }
        }
        break;
    }
    if (decision.action == routing::Action::Wait && waits >= kMaxWaitLoops) {
        decision.action = routing::Action::Voicemail;
        decision.reason = "voicemail: waited too long";
    }

    const std::int64_t decisionId = recordDecision(tx, hook, call, decision, closed);
    TwimlBuilder t;
    if (greet && !(decision.action == routing::Action::Voicemail && closed)) {
        t.say(greeting(settings, call));
    } else if (!preamble.empty()) {
        t.say(preamble);
    }
    switch (decision.action) {
    case routing::Action::Offer: {
        db::execPrepared(tx,
                         "UPDATE calls SET offered_to = $2::uuid, routing_reason = left($3, 300) "
                         "WHERE id = $1::uuid",
                         call.id, decision.userId, decision.reason);
        DialOptions dial;
        dial.action = absolute(hook, "/twilio/voice/dial?d=" + std::to_string(decisionId));
        dial.timeout = settings.rules.ringTimeoutSeconds;
        dial.answerOnBridge = true;
        DialTarget target;
        target.kind = DialTarget::Kind::Client;
        target.value = decision.userId;
        target.statusCallback = absolute(hook, "/twilio/voice/leg?d=" + std::to_string(decisionId));
        target.statusCallbackEvent = "answered";
        t.dial(dial, {target});
        break;
    }
    case routing::Action::Wait: {
        db::execPrepared(tx,
                         "UPDATE calls SET offered_to = NULL, routing_reason = left($2, 300) "
                         "WHERE id = $1::uuid",
                         call.id, decision.reason);
        // The caller's next turn is keyed by this decision: unique for the whole call, however
        // offers and turns interleave.
        const std::string turn = "?d=" + std::to_string(decisionId);
        GatherOptions gather;
        gather.input = GatherInput::Dtmf;
        gather.numDigits = 1;
        gather.timeout = std::max(1, decision.retryAfterSeconds);
        gather.action = absolute(hook, "/twilio/voice/choice" + turn);
        const bool announce = waits % 6 == 0; // the first turn, then every half minute or so
        const std::string music = settings.holdMusicUrl;
        t.gather(gather, [&](GatherPrompts& p) {
            if (announce) {
                p.say("All our colleagues are helping other customers. Press 1 to be called back "
                      "and keep your place, or stay on the line.");
            }
            if (!music.empty()) {
                p.play(music);
            }
        });
        t.redirect(absolute(hook, "/twilio/voice/wait" + turn));
        break;
    }
    case routing::Action::Voicemail: {
        db::execPrepared(tx,
                         "UPDATE calls SET offered_to = NULL, status = 'voicemail', "
                         "routing_reason = left($2, 300) WHERE id = $1::uuid",
                         call.id, decision.reason);
        createCallbackTask(tx, hook, call, closed ? "voicemail, store closed" : "voicemail",
                           settings.callbackDueMinutes);
        sayVoicemailPrompt(t, hook, closed, call.locationName);
        break;
    }
    }
    return t.str();
}

std::string emptyTwiml()
{
    return TwimlBuilder().str();
}

// The menu's <Gather>: keys, and with self-service words too. `turn` counts the questions the
// line has answered so far; the next answer goes to /twilio/voice/menu?d=<turn>.
GatherOptions menuGather(const Webhook& hook, const Settings& settings, int turn)
{
    GatherOptions gather;
    gather.input = settings.selfService ? GatherInput::DtmfSpeech : GatherInput::Dtmf;
    gather.numDigits = 1;
    gather.timeout = 5;
    gather.action = absolute(hook, turn > 0 ? "/twilio/voice/menu?d=" + std::to_string(turn)
                                            : std::string("/twilio/voice/menu"));
    if (settings.selfService) {
        gather.speechTimeout = "auto";
        gather.hints = "in stock, opening hours, appointment, book, cancel, order, colleague";
    }
    return gather;
}

// ---- endpoints ----

std::string onVoice(pqxx::work& tx, const Webhook& hook)
{
    const Number& store = *hook.dialled;
    const std::string from = paramOr(hook, "From");
    const pqxx::result inserted = db::execPrepared(
        tx,
        "INSERT INTO calls (id, organisation_id, location_id, customer_id, provider_call_id, "
        "direction, from_number, to_number, started_at, status) "
        "SELECT gen_random_uuid(), $1::uuid, $2::uuid, (SELECT customer_id FROM customer_phones "
        "WHERE organisation_id = $1::uuid AND number = $4 LIMIT 1), $3, 'inbound', $4, $5, now(), "
        "'ringing' ON CONFLICT (provider_call_id) DO NOTHING RETURNING id",
        hook.organisationId, store.locationId, paramOr(hook, "CallSid"), from, paramOr(hook, "To"));
    if (inserted.empty()) {
        // The same CallSid under another event key cannot happen; a provider replaying an old
        // call id with a new event would: answer without routing it twice.
        return fallbackTwiml(store);
    }
    auto call = lockCall(tx, hook);
    const Settings settings = loadSettings(tx, hook.organisationId, call->locationId);
    if (settings.menu.empty() && !settings.selfService) {
        return route(tx, hook, *call, true);
    }
    // A closed store does not ask what the caller needs: routing says at once where the call
    // goes (another store of the region, or voicemail with the closed greeting). With
    // self-service the line still answers: when it opens, stock, an appointment.
    if (!settings.selfService) {
        for (const auto& s : loadStores(tx, hook.organisationId, call->locationId)) {
            if (s.id == call->locationId && !routing::isOpen(s)) {
                return route(tx, hook, *call, true);
            }
        }
    }
    // The caller says what they need first; no key (or word) within a few seconds routes without
    // a need.
    TwimlBuilder t;
    t.say(greeting(settings, *call));
    GatherOptions gather = menuGather(hook, settings, 0);
    gather.timeout = settings.selfService ? 5 : 4;
    t.gather(gather, [&](GatherPrompts& p) {
        std::string prompt;
        for (const auto& option : settings.menu) {
            prompt += "For " + option.label + ", press " + option.digit + ". ";
        }
        if (settings.selfService) {
            prompt += "Or just tell me what you need: I can check if we have something in stock, "
                      "tell you our opening hours, or book an appointment. To speak to a "
                      "colleague, press 0.";
        } else {
            prompt += "Or stay on the line.";
        }
        p.say(prompt);
    });
    t.redirect(absolute(hook, "/twilio/voice/menu"));
    return t.str();
}

// Ends an offer: the person's presence and the decision's outcome.
struct OfferRow {
    std::string userId;
    std::string callId;
    std::string outcome;
};

std::optional<OfferRow> offerOf(pqxx::work& tx, const Webhook& hook, const CallRow& call)
{
    const pqxx::result r = db::execPrepared(
        tx,
        "SELECT coalesce(user_id::text, ''), call_id::text, coalesce(outcome, '') "
        "FROM call_decisions WHERE id = $1 AND call_id = $2::uuid AND action = 'offer' "
        "AND organisation_id = $3::uuid",
        hook.queryNumber, call.id, hook.organisationId);
    if (r.empty()) {
        return std::nullopt;
    }
    return OfferRow{r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                    r[0][2].as<std::string>()};
}

void startWrapUp(pqxx::work& tx, const std::string& userId, const std::string& callId,
                 int wrapUpSeconds)
{
    db::execPrepared(
        tx,
        "UPDATE presence SET activity = 'wrap_up', call_id = $2::uuid, "
        "activity_until = now() + make_interval(secs => $3), idle_since = now() + "
        "make_interval(secs => $3), calls_today = CASE WHEN calls_day = current_date THEN "
        "calls_today + 1 ELSE 1 END, calls_day = current_date, updated_at = now() "
        "WHERE user_id = $1::uuid AND call_id = $2::uuid AND activity IN ('ringing', 'on_call')",
        userId, callId, wrapUpSeconds);
}

// The caller hung up before anyone answered: abandoned, and the store calls back (unless the
// number is withheld). Frees whoever was ringing for it.
void abandon(pqxx::work& tx, const Webhook& hook, const CallRow& call)
{
    const Settings settings = loadSettings(tx, hook.organisationId, call.locationId);
    db::execPrepared(tx,
                     "UPDATE calls SET status = 'abandoned', ended_at = coalesce(ended_at, now()), "
                     "offered_to = NULL, routing_reason = 'the caller hung up while waiting' "
                     "WHERE id = $1::uuid AND status = 'ringing'",
                     call.id);
    db::execPrepared(
        tx,
        "UPDATE presence SET activity = 'idle', call_id = NULL, activity_until = NULL, "
        "updated_at = now() WHERE call_id = $1::uuid AND activity = 'ringing'",
        call.id);
    db::execPrepared(tx,
                     "UPDATE call_decisions SET outcome = 'canceled', outcome_at = now() "
                     "WHERE call_id = $1::uuid AND action = 'offer' AND outcome IS NULL",
                     call.id);
    if (!isWithheld(call.fromNumber)) {
        createCallbackTask(tx, hook, call, "missed call", settings.callbackDueMinutes);
    }
}

void markAnswered(pqxx::work& tx, const CallRow& call, const std::string& userId,
                  std::int64_t decisionId)
{
    // Only a call still ringing is answered now: a late "answered" after the call ended (the
    // <Dial> action or the status came first) changes nothing, and leaves nobody on a call.
    const pqxx::result answered =
        db::execPrepared(tx,
                         "UPDATE calls SET status = 'in_progress', answered_at = coalesce("
                         "answered_at, now()), handled_by = $2::uuid, offered_to = NULL WHERE id = "
                         "$1::uuid AND status = 'ringing' AND ended_at IS NULL",
                         call.id, userId);
    if (answered.affected_rows() == 0) {
        return;
    }
    db::execPrepared(tx,
                     "UPDATE presence SET activity = 'on_call', call_id = $2::uuid, "
                     "activity_until = NULL, updated_at = now() WHERE user_id = $1::uuid AND "
                     "((call_id = $2::uuid AND activity = 'ringing') OR activity = 'idle')",
                     userId, call.id);
    db::execPrepared(tx,
                     "UPDATE call_decisions SET outcome = 'answered', outcome_at = now() "
                     "WHERE id = $1 AND outcome IS NULL",
                     decisionId);
}

std::string onDial(pqxx::work& tx, const Webhook& hook)
{
    auto call = lockCall(tx, hook);
    if (!call) {
        return TwimlBuilder().hangup().str();
    }
    const auto offer = offerOf(tx, hook, *call);
    if (!offer) {
        return TwimlBuilder().hangup().str();
    }
    const Settings settings = loadSettings(tx, hook.organisationId, call->locationId);
    const std::string status = paramOr(hook, "DialCallStatus");
    if (status == "completed" || status == "answered") {
        // The person talked to the caller and one of them hung up. Whether or not the leg's
        // "answered" came (it may be lost), the call was answered and is over.
        std::int64_t talked = 0;
        if (const std::string* d = param(hook, "DialCallDuration")) {
            talked = smallNumber(*d, 86400).value_or(0);
        }
        db::execPrepared(
            tx,
            "UPDATE calls SET status = 'completed', answered_at = coalesce(answered_at, "
            "greatest(started_at, now() - make_interval(secs => $3))), ended_at = "
            "coalesce(ended_at, now()), handled_by = coalesce(handled_by, $2::uuid), offered_to "
            "= NULL WHERE id = $1::uuid AND status IN ('ringing', 'in_progress')",
            call->id, offer->userId, talked);
        db::execPrepared(tx,
                         "UPDATE call_decisions SET outcome = 'completed', outcome_at = now() "
                         "WHERE id = $1",
                         hook.queryNumber);
        startWrapUp(tx, offer->userId, call->id, settings.rules.wrapUpSeconds);
        return TwimlBuilder().hangup().str();
    }
    db::execPrepared(tx,
                     "UPDATE call_decisions SET outcome = $2, outcome_at = now() WHERE id = $1 "
                     "AND outcome IS NULL",
                     hook.queryNumber, status);
    // Not answered. Missing it (no-answer, busy, failed) pauses the person; the caller hanging
    // up while it rang (canceled) does not.
    db::execPrepared(
        tx,
        "UPDATE presence SET activity = 'idle', call_id = NULL, activity_until = NULL, "
        "paused_until = CASE WHEN $3 THEN paused_until ELSE now() + make_interval(secs "
        "=> $4) END, updated_at = now() "
        "WHERE user_id = $1::uuid AND call_id = $2::uuid AND activity = 'ringing'",
        offer->userId, call->id, status == "canceled", settings.rules.missedCallPauseSeconds);
    db::execPrepared(tx,
                     "UPDATE calls SET offered_to = NULL WHERE id = $1::uuid AND offered_to = "
                     "$2::uuid",
                     call->id, offer->userId);
    if (call->status != "ringing") {
        return TwimlBuilder().hangup().str();
    }
    if (call->ended) {
        // The status callback came first and left the ending to this answer: nobody answered.
        abandon(tx, hook, *call);
        return TwimlBuilder().hangup().str();
    }
    if (status == "canceled") {
        return TwimlBuilder().hangup().str(); // the status callback that follows abandons it
    }
    call->offeredTo.clear();
    return route(tx, hook, *call, false);
}

std::string onLeg(pqxx::work& tx, const Webhook& hook)
{
    auto call = lockCall(tx, hook);
    if (!call) {
        return emptyTwiml();
    }
    // The leg's CallSid is the child's; ours is in ParentCallSid.
    const auto offer = offerOf(tx, hook, *call);
    if (offer && paramOr(hook, "CallStatus") == "in-progress") {
        markAnswered(tx, *call, offer->userId, hook.queryNumber);
    }
    return emptyTwiml();
}

std::string onWait(pqxx::work& tx, const Webhook& hook)
{
    auto call = lockCall(tx, hook);
    if (!call || call->status != "ringing" || call->ended) {
        return TwimlBuilder().hangup().str();
    }
    return route(tx, hook, *call, false);
}

// ---- self-service ----

// The store of the call with its clock, hours and the holidays of the next three months (the
// routing inputs hold only the days around today).
routing::Store selfServiceStore(pqxx::work& tx, const Webhook& hook, const CallRow& call)
{
    routing::Store store;
    for (auto& s : loadStores(tx, hook.organisationId, call.locationId)) {
        if (s.id == call.locationId) {
            store = std::move(s);
        }
    }
    store.holidays.clear();
    for (const auto& row : db::execPrepared(
             tx,
             "SELECT extract(year FROM day)::int, extract(month FROM day)::int, "
             "extract(day FROM day)::int FROM location_holidays WHERE location_id = $1::uuid AND "
             "day BETWEEN current_date - 2 AND current_date + 100",
             call.locationId)) {
        store.holidays.push_back({row[0].as<int>(), row[1].as<int>(), row[2].as<int>()});
    }
    return store;
}

std::string slotsJson(const intent::Detection& d)
{
    boost::json::object o;
    if (!d.slots.item.empty()) {
        o["item"] = d.slots.item;
    }
    if (!d.slots.colours.empty()) {
        boost::json::array colours;
        for (const auto& c : d.slots.colours) {
            colours.emplace_back(c);
        }
        o["colours"] = std::move(colours);
    }
    if (!d.slots.size.empty()) {
        o["size"] = d.slots.size;
    }
    if (d.slots.quantity) {
        o["quantity"] = *d.slots.quantity;
    }
    if (d.slots.date) {
        o["date"] = intent::toIsoString(*d.slots.date);
    }
    if (d.slots.minuteOfDay) {
        o["time"] = intent::formatMinuteOfDay(*d.slots.minuteOfDay);
    }
    if (d.slots.dayPart) {
        o["day_part"] = intent::toString(*d.slots.dayPart);
    }
    if (!d.slots.orderNumber.empty()) {
        o["order"] = d.slots.orderNumber;
    }
    return boost::json::serialize(o);
}

// After an answer: the caller may ask something else, press 0 for a person, or hang up.
std::string anythingElse(const Webhook& hook, const Settings& settings, int turn,
                         std::string_view answer)
{
    TwimlBuilder t;
    t.say(answer);
    t.gather(menuGather(hook, settings, turn), [](GatherPrompts& p) {
        p.say("Is there anything else I can help with? Ask me, or press 0 to speak to a "
              "colleague.");
    });
    t.say("Thank you for calling. Goodbye.");
    t.hangup();
    return t.str();
}

void finishTurn(pqxx::work& tx, std::int64_t turnId, std::string_view outcome,
                std::string_view answer)
{
    db::execPrepared(tx,
                     "UPDATE ivr_turns SET outcome = $2, answer = left(nullif($3, ''), 1000) WHERE "
                     "id = $1",
                     turnId, std::string(outcome), std::string(answer));
}

// The line answered: the call is self-served (not waiting for anyone, no callback when it ends)
// unless the caller asks for more.
std::string answered(pqxx::work& tx, const Webhook& hook, const CallRow& call,
                     const Settings& settings, std::int64_t turnId, int turn,
                     const std::string& answer)
{
    finishTurn(tx, turnId, "answered", answer);
    db::execPrepared(tx,
                     "UPDATE calls SET status = 'self_served', offered_to = NULL, routing_reason = "
                     "'answered by the self-service line' WHERE id = $1::uuid",
                     call.id);
    return anythingElse(hook, settings, turn, answer);
}

// A person takes over, with what the caller needs.
std::string toPerson(pqxx::work& tx, const Webhook& hook, CallRow& call, std::int64_t turnId,
                     const std::string& need, std::string_view preamble)
{
    if (turnId > 0) {
        finishTurn(tx, turnId, "person", {});
    }
    db::execPrepared(tx,
                     "UPDATE calls SET status = 'ringing', need = coalesce(nullif($2, ''), need) "
                     "WHERE id = $1::uuid",
                     call.id, need);
    call.status = "ringing";
    if (!need.empty()) {
        call.need = need;
    }
    return route(tx, hook, call, false, preamble);
}

// An appointment the caller asked for: a row of our own (it syncs to the store's devices and,
// through the calendar upkeep, to its calendar), 'requested' until staff confirm it, with a task
// to do so (done by itself once the appointment is booked or cancelled). The caller's number is
// in the task and what they said in ivr_turns: neither goes into the appointment, whose purpose
// the store's calendar shows.
std::string requestAppointment(pqxx::work& tx, const Webhook& hook, const CallRow& call,
                               const routing::Store& store, const RequestedSlot& slot)
{
    const std::string when =
        spokenDate(slot.date, {store.localNow.year, store.localNow.month, store.localNow.day}) +
        " at " + spokenTime(slot.startMinute);
    const std::string caller = isWithheld(call.fromNumber) ? "a caller" : call.fromNumber;
    const pqxx::row id = db::execPrepared1(
        tx,
        "INSERT INTO appointments (id, organisation_id, location_id, customer_id, starts_at, "
        "ends_at, purpose, status) SELECT gen_random_uuid(), $1::uuid, l.id, "
        "nullif($3, '')::uuid, ($4::date + make_interval(mins => $5)) AT TIME ZONE l.timezone, "
        "($4::date + make_interval(mins => $6)) AT TIME ZONE l.timezone, left($7, 200), "
        "'requested' FROM locations l WHERE l.id = $2::uuid RETURNING id::text",
        hook.organisationId, call.locationId, call.customerId, intent::toIsoString(slot.date),
        slot.startMinute, slot.endMinute, std::string("Asked for on the phone line"));
    db::execPrepared(
        tx,
        "INSERT INTO tasks (id, organisation_id, location_id, customer_id, call_id, kind, title, "
        "due_at, appointment_id) VALUES (gen_random_uuid(), $1::uuid, $2::uuid, "
        "nullif($3, '')::uuid, $4::uuid, 'follow_up', left($5, 200), now() + interval '1 hour', "
        "$6::uuid)",
        hook.organisationId, call.locationId, call.customerId, call.id,
        "Confirm the appointment " + caller + " asked for " + when, id[0].as<std::string>());
    log::info("telephony", "appointment " + id[0].as<std::string>() + " requested by phone");
    return "Thank you. I have asked the store to book you in " + when +
           ". A colleague will call you to confirm it.";
}

std::string onSpeech(pqxx::work& tx, const Webhook& hook, CallRow& call, const Settings& settings,
                     const std::string& speech)
{
    const int turn = static_cast<int>(std::clamp<std::int64_t>(hook.queryNumber, 0, 100)) + 1;
    if (turn > kMaxSelfServiceTurns) {
        return toPerson(tx, hook, call, 0, {}, "Let me connect you to a colleague.");
    }
    const routing::Store store = selfServiceStore(tx, hook, call);
    const intent::Detection d = intent::detect(speech, referenceOf(store));
    const pqxx::row inserted = db::execPrepared1(
        tx,
        "INSERT INTO ivr_turns (organisation_id, call_id, turn, utterance, intent, confidence, "
        "slots) VALUES ($1::uuid, $2::uuid, $3, left($4, 500), $5, $6, $7::jsonb) "
        "ON CONFLICT (call_id, turn) DO UPDATE SET utterance = EXCLUDED.utterance RETURNING id",
        hook.organisationId, call.id, turn, speech, std::string(intent::toString(d.intent)),
        static_cast<float>(std::clamp(d.confidence, 0.0, 1.0)), slotsJson(d));
    const std::int64_t turnId = inserted[0].as<std::int64_t>();
    if (intent::needsPerson(d)) {
        return toPerson(tx, hook, call, turnId, needOf(d.intent),
                        d.intent == intent::Intent::TalkToPerson
                            ? "Of course. Let me connect you to a colleague."
                            : "Let me connect you to a colleague who can help.");
    }
    switch (d.intent) {
    case intent::Intent::StoreHours:
        return answered(tx, hook, call, settings, turnId, turn, spokenHours(store));
    case intent::Intent::StoreAddress: {
        const pqxx::row r = db::execPrepared1(tx,
                                              "SELECT name, address FROM locations WHERE id = "
                                              "$1::uuid",
                                              call.locationId);
        return answered(tx, hook, call, settings, turnId, turn,
                        spokenAddress(r[0].as<std::string>(), r[1].as<std::string>()));
    }
    case intent::Intent::StockCheck: {
        if (d.slots.item.empty() || !integrations::inventoryProvider(tx, hook.organisationId)) {
            return toPerson(tx, hook, call, turnId, "stock",
                            "Let me connect you to a colleague who can check that for you.");
        }
        // The provider is asked outside this transaction: /twilio/voice/stock does it while the
        // caller hears this. The call still waits (ringing) until the answer is given: a caller
        // who hangs up meanwhile, or a check that is never applied, is a missed call.
        db::execPrepared(tx,
                         "UPDATE calls SET status = 'ringing', offered_to = NULL, "
                         "routing_reason = 'self-service: checking stock' WHERE id = $1::uuid",
                         call.id);
        TwimlBuilder t;
        t.say("One moment while I check that for you.");
        t.redirect(absolute(hook, "/twilio/voice/stock?d=" + std::to_string(turnId)));
        return t.str();
    }
    case intent::Intent::BookAppointment: {
        std::string refusal;
        const auto slot = requestedSlot(d, store, &refusal);
        if (!slot && refusal.empty()) {
            return toPerson(tx, hook, call, turnId, "appointments",
                            "Let me connect you to a colleague to find a time.");
        }
        if (!slot) {
            return answered(tx, hook, call, settings, turnId, turn, refusal);
        }
        return answered(tx, hook, call, settings, turnId, turn,
                        requestAppointment(tx, hook, call, store, *slot));
    }
    default:
        // Moving or cancelling an appointment, an order: a person checks who is asking.
        return toPerson(tx, hook, call, turnId, needOf(d.intent),
                        "Let me connect you to a colleague who can help with that.");
    }
}

std::string onMenu(pqxx::work& tx, const Webhook& hook)
{
    auto call = lockCall(tx, hook);
    if (!call || (call->status != "ringing" && call->status != "self_served") || call->ended) {
        return TwimlBuilder().hangup().str();
    }
    const Settings settings = loadSettings(tx, hook.organisationId, call->locationId);
    const std::string digits = paramOr(hook, "Digits");
    const std::string speech = paramOr(hook, "SpeechResult");
    if (digits.empty() && !speech.empty() && settings.selfService) {
        return onSpeech(tx, hook, *call, settings, speech);
    }
    for (const auto& option : settings.menu) {
        if (digits.size() == 1 && digits[0] == option.digit) {
            db::execPrepared(tx, "UPDATE calls SET need = $2 WHERE id = $1::uuid", call->id,
                             option.skill);
            call->need = option.skill;
        }
    }
    if (call->status == "self_served") {
        // After an answer: back in the queue for a person.
        return toPerson(tx, hook, *call, 0, {}, "Let me connect you to a colleague.");
    }
    return route(tx, hook, *call, false);
}

std::string onChoice(pqxx::work& tx, const Webhook& hook)
{
    auto call = lockCall(tx, hook);
    if (!call || call->status != "ringing" || call->ended) {
        return TwimlBuilder().hangup().str();
    }
    if (paramOr(hook, "Digits") != "1") {
        return route(tx, hook, *call, false);
    }
    const Settings settings = loadSettings(tx, hook.organisationId, call->locationId);
    db::execPrepared(tx,
                     "UPDATE calls SET status = 'callback', offered_to = NULL, routing_reason = "
                     "'the caller chose to be called back' WHERE id = $1::uuid",
                     call->id);
    createCallbackTask(tx, hook, *call, "asked to be called back", settings.callbackDueMinutes);
    TwimlBuilder t;
    t.say("Thank you. We will call you back at this number as soon as a colleague is free. "
          "Goodbye.");
    t.hangup();
    return t.str();
}

void saveRecording(pqxx::work& tx, const Webhook& hook, const CallRow& call)
{
    const std::string url = paramOr(hook, "RecordingUrl");
    if (url.empty()) {
        return;
    }
    const int seconds = smallNumber(paramOr(hook, "RecordingDuration"), 86400).value_or(0);
    db::execPrepared(tx,
                     "UPDATE calls SET recording_url = $2, recording_seconds = $3 WHERE id = "
                     "$1::uuid",
                     call.id, url, seconds);
    db::execPrepared(tx,
                     "UPDATE tasks SET title = left(title || ' - message of ' || $2 || ' s', 200) "
                     "WHERE call_id = $1::uuid AND kind = 'callback' AND title NOT LIKE '% s'",
                     call.id, std::to_string(seconds));
}

std::string onRecorded(pqxx::work& tx, const Webhook& hook)
{
    if (auto call = lockCall(tx, hook)) {
        saveRecording(tx, hook, *call);
    }
    TwimlBuilder t;
    t.say("Thank you for your message. Goodbye.");
    t.hangup();
    return t.str();
}

std::string onRecording(pqxx::work& tx, const Webhook& hook)
{
    if (auto call = lockCall(tx, hook); call && paramOr(hook, "RecordingStatus") != "failed") {
        saveRecording(tx, hook, *call);
    }
    return emptyTwiml();
}

std::string onStatus(pqxx::work& tx, const Webhook& hook)
{
    auto call = lockCall(tx, hook);
    const std::string status = paramOr(hook, "CallStatus");
    const bool final = status == "completed" || status == "busy" || status == "failed" ||
                       status == "no-answer" || status == "canceled";
    if (!call || !final) {
        return emptyTwiml();
    }
    if (call->status == "ringing" && !call->offeredTo.empty()) {
        // Over while someone's phone rang: answered (its "answered" lost or late) or not. The
        // <Dial> action, which follows, knows; the upkeep decides if it never comes.
        db::execPrepared(
            tx, "UPDATE calls SET ended_at = coalesce(ended_at, now()) WHERE id = $1::uuid",
            call->id);
        return emptyTwiml();
    }
    if (call->status == "ringing") {
        abandon(tx, hook, *call);
        return emptyTwiml();
    }
    if (call->status == "in_progress") {
        // The caller hung up during the conversation; the <Dial> action may follow, or not.
        const Settings settings = loadSettings(tx, hook.organisationId, call->locationId);
        db::execPrepared(tx,
                         "UPDATE calls SET status = 'completed', ended_at = coalesce(ended_at, "
                         "now()) WHERE id = $1::uuid",
                         call->id);
        startWrapUp(tx, call->handledBy, call->id, settings.rules.wrapUpSeconds);
        return emptyTwiml();
    }
    db::execPrepared(
        tx, "UPDATE calls SET ended_at = coalesce(ended_at, now()) WHERE id = $1::uuid", call->id);
    return emptyTwiml();
}

// The key under which a webhook is applied once.
std::string eventKey(const Webhook& hook)
{
    switch (hook.endpoint) {
    case Endpoint::Voice:
        return "voice";
    case Endpoint::Dial:
        return "dial:" + std::to_string(hook.queryNumber);
    case Endpoint::Leg:
        return "leg:" + std::to_string(hook.queryNumber) + ":" + paramOr(hook, "CallStatus");
    case Endpoint::Wait:
        return "wait:" + std::to_string(hook.queryNumber);
    case Endpoint::Choice:
        return "choice:" + std::to_string(hook.queryNumber) + ":" + paramOr(hook, "Digits");
    case Endpoint::Menu:
        // The menu's key, or its timeout's redirect: one of them, once. Later turns (after the
        // line answered a question) by their number.
        return hook.queryNumber > 0 ? "menu:" + std::to_string(hook.queryNumber) : "menu";
    case Endpoint::Stock:
        return "stock:" + std::to_string(hook.queryNumber);
    case Endpoint::Recorded:
        return "recorded";
    case Endpoint::Status:
        return "status:" + paramOr(hook, "CallStatus");
    case Endpoint::Recording:
        return "recording:" + paramOr(hook, "RecordingSid");
    }
    return "unknown";
}

// The first time this webhook's event is seen: nothing (go on and apply it; saveAnswer() keeps
// what was answered). A repeat: the answer given the first time, and nothing changes.
std::optional<std::string> claimEvent(pqxx::work& tx, const Webhook& hook)
{
    const std::string callSid = eventCallSid(hook);
    const std::string event = eventKey(hook);
    const pqxx::result fresh =
        db::execPrepared(tx,
                         "INSERT INTO telephony_events (provider_call_id, event, organisation_id) "
                         "VALUES ($1, left($2, 120), $3::uuid) ON CONFLICT DO NOTHING RETURNING 1",
                         callSid, event, hook.organisationId);
    if (!fresh.empty()) {
        return std::nullopt;
    }
    const pqxx::result r = db::execPrepared(
        tx,
        "SELECT response FROM telephony_events WHERE provider_call_id = $1 AND event = "
        "left($2, 120) AND organisation_id = $3::uuid",
        callSid, event, hook.organisationId);
    return r.empty() || r[0][0].is_null() || r[0][0].as<std::string>().empty()
               ? emptyTwiml()
               : r[0][0].as<std::string>();
}

void saveAnswer(pqxx::work& tx, const Webhook& hook, const std::string& twiml)
{
    // By the whole primary key: without the organisation this scanned every event kept.
    db::execPrepared(tx,
                     "UPDATE telephony_events SET response = $3 WHERE organisation_id = $4::uuid "
                     "AND provider_call_id = $1 AND event = left($2, 120)",
                     eventCallSid(hook), eventKey(hook), twiml, hook.organisationId);
}

} // namespace

std::optional<Endpoint> endpointOf(std::string_view path)
{
    static constexpr std::array<std::pair<std::string_view, Endpoint>, 10> kPaths{{
        {"/twilio/voice", Endpoint::Voice},
        {"/twilio/voice/dial", Endpoint::Dial},
        {"/twilio/voice/leg", Endpoint::Leg},
        {"/twilio/voice/wait", Endpoint::Wait},
        {"/twilio/voice/choice", Endpoint::Choice},
        {"/twilio/voice/menu", Endpoint::Menu},
        {"/twilio/voice/stock", Endpoint::Stock},
        {"/twilio/voice/recorded", Endpoint::Recorded},
        {"/twilio/status", Endpoint::Status},
        {"/twilio/recording", Endpoint::Recording},
    }};
    for (const auto& [p, e] : kPaths) {
        if (p == path) {
            return e;
        }
    }
    return std::nullopt;
}

std::optional<std::string> validate(const Webhook& hook)
{
    const std::string* sid = param(hook, "CallSid");
    if (sid == nullptr || !isSid(*sid, "CA")) {
        return "CallSid is missing or malformed";
    }
    // A call we keep has E.164-sized ends; a <Client> leg's "client:<user id>" is longer.
    const std::size_t maxParty = hook.endpoint == Endpoint::Voice ? 32 : 256;
    for (const char* name : {"From", "To", "Caller", "Called"}) {
        if (const std::string* v = param(hook, name); v != nullptr && v->size() > maxParty) {
            return std::string(name) + " is longer than " + std::to_string(maxParty) +
                   " characters";
        }
    }
    if (const std::string* v = param(hook, "CallStatus");
        v != nullptr && !oneOf(*v, kCallStatuses)) {
        return "CallStatus is not one of Twilio's call statuses";
    }
    switch (hook.endpoint) {
    case Endpoint::Voice:
        if (param(hook, "From") == nullptr || param(hook, "To") == nullptr) {
            return "From and To are required";
        }
        break;
    case Endpoint::Dial: {
        const std::string* s = param(hook, "DialCallStatus");
        if (s == nullptr || !oneOf(*s, kDialStatuses)) {
            return "DialCallStatus is missing or not one of Twilio's dial statuses";
        }
        if (const std::string* d = param(hook, "DialCallDuration");
            d != nullptr && !smallNumber(*d, 86400)) {
            return "DialCallDuration is not a number of seconds";
        }
        if (hook.queryNumber <= 0) {
            return "the action URL has no decision (d=)";
        }
        break;
    }
    case Endpoint::Leg: {
        const std::string* parent = param(hook, "ParentCallSid");
        if (parent == nullptr || !isSid(*parent, "CA") || param(hook, "CallStatus") == nullptr) {
            return "ParentCallSid and CallStatus are required";
        }
        if (hook.queryNumber <= 0) {
            return "the callback URL has no decision (d=)";
        }
        break;
    }
    case Endpoint::Wait:
    case Endpoint::Choice:
    case Endpoint::Menu:
        if (hook.endpoint != Endpoint::Menu && hook.queryNumber <= 0) {
            return "the URL has no turn (d=)";
        }
        if (const std::string* d = param(hook, "Digits");
            d != nullptr && (d->size() > 32 || !std::all_of(d->begin(), d->end(), [](char c) {
                                 return (c >= '0' && c <= '9') || c == '*' || c == '#';
                             }))) {
            return "Digits holds something other than keypad keys";
        }
        if (const std::string* speech = param(hook, "SpeechResult");
            speech != nullptr && speech->size() > kMaxSpeechBytes) {
            return "SpeechResult is longer than " + std::to_string(kMaxSpeechBytes) + " bytes";
        }
        break;
    case Endpoint::Stock:
        if (hook.queryNumber <= 0) {
            return "the URL has no question (d=)";
        }
        break;
    case Endpoint::Status:
        if (param(hook, "CallStatus") == nullptr) {
            return "CallStatus is required";
        }
        break;
    case Endpoint::Recorded:
    case Endpoint::Recording: {
        const std::string* url = param(hook, "RecordingUrl");
        if (url != nullptr && (url->size() > 500 || !url->starts_with("https://"))) {
            return "RecordingUrl must be an https URL of at most 500 characters";
        }
        if (const std::string* d = param(hook, "RecordingDuration");
            d != nullptr && !d->empty() && !smallNumber(*d, 86400)) {
            return "RecordingDuration is not a number of seconds";
        }
        if (hook.endpoint == Endpoint::Recording) {
            const std::string* rs = param(hook, "RecordingSid");
            if (rs == nullptr || !isSid(*rs, "RE")) {
                return "RecordingSid is missing or malformed";
            }
        }
        break;
    }
    }
    return std::nullopt;
}

Answer handle(pqxx::connection& conn, const Webhook& hook)
{
    if (auto problem = validate(hook)) {
        return {400, *problem};
    }
    pqxx::work tx(conn);
    if (auto repeat = claimEvent(tx, hook)) {
        // Applied before (a retry, or a duplicate): the same answer, nothing changes.
        tx.commit();
        return {200, *repeat};
    }
    std::string twiml;
    switch (hook.endpoint) {
    case Endpoint::Voice:
        twiml = onVoice(tx, hook);
        break;
    case Endpoint::Dial:
        twiml = onDial(tx, hook);
        break;
    case Endpoint::Leg:
        twiml = onLeg(tx, hook);
        break;
    case Endpoint::Wait:
        twiml = onWait(tx, hook);
        break;
    case Endpoint::Choice:
        twiml = onChoice(tx, hook);
        break;
    case Endpoint::Menu:
        twiml = onMenu(tx, hook);
        break;
    case Endpoint::Recorded:
        twiml = onRecorded(tx, hook);
        break;
    case Endpoint::Status:
        twiml = onStatus(tx, hook);
        break;
    case Endpoint::Recording:
        twiml = onRecording(tx, hook);
        break;
    case Endpoint::Stock:
        // Answered in stages (prepareStock, the provider, finishStock), never here.
        tx.abort();
        return {400, "the stock endpoint is answered in stages"};
    }
    saveAnswer(tx, hook, twiml);
    tx.commit();
    return {200, twiml};
}

std::variant<Answer, StockLookup> prepareStock(pqxx::connection& conn, const Webhook& hook,
                                               const crypto::SecretBox& secrets)
{
    if (auto problem = validate(hook); problem || hook.endpoint != Endpoint::Stock) {
        return Answer{400, problem.value_or("not the stock endpoint")};
    }
    pqxx::work tx(conn);
    // Answered before: the same words again, without asking the provider. (Only a look: the
    // event is claimed by finishStock, once the provider has answered.)
    const pqxx::result replay = db::execPrepared(
        tx,
        "SELECT coalesce(response, '') FROM telephony_events WHERE provider_call_id = $1 AND "
        "event = left($2, 120) AND organisation_id = $3::uuid",
        eventCallSid(hook), eventKey(hook), hook.organisationId);
    if (!replay.empty()) {
        const std::string stored = replay[0][0].as<std::string>();
        return Answer{200, stored.empty() ? emptyTwiml() : stored};
    }
    const pqxx::result r = db::execPrepared(
        tx,
        "SELECT t.turn, t.slots::text, c.location_id::text, l.name FROM ivr_turns t "
        "JOIN calls c ON c.id = t.call_id JOIN locations l ON l.id = c.location_id "
        "WHERE t.id = $1 AND t.organisation_id = $2::uuid AND c.provider_call_id = $3 AND "
        "c.organisation_id = $2::uuid",
        hook.queryNumber, hook.organisationId, paramOr(hook, "CallSid"));
    if (r.empty()) {
        return Answer{200, hangupTwiml()}; // not this call's question
    }
    StockLookup lookup;
    lookup.turnId = hook.queryNumber;
    lookup.turn = r[0][0].as<int>();
    lookup.storeId = r[0][2].as<std::string>();
    lookup.storeName = r[0][3].as<std::string>();
    boost::system::error_code ec;
    const boost::json::value slots = boost::json::parse(r[0][1].as<std::string>(), ec);
    if (const auto* o = ec ? nullptr : slots.if_object()) {
        if (const auto* item = o->if_contains("item"); item && item->is_string()) {
            lookup.query.item = std::string(item->get_string());
        }
        if (const auto* size = o->if_contains("size"); size && size->is_string()) {
            lookup.query.size = std::string(size->get_string());
        }
        if (const auto* colours = o->if_contains("colours"); colours && colours->is_array()) {
            for (const auto& c : colours->get_array()) {
                if (c.is_string()) {
                    lookup.query.colours.emplace_back(c.get_string());
                }
            }
        }
    }
    if (const auto provider = integrations::inventoryProvider(tx, hook.organisationId)) {
        auto opened = integrations::openIntegration(tx, secrets, hook.organisationId, *provider);
        if (opened) {
            lookup.integration = std::move(opened).value();
        } else {
            log::warn("telephony", "stock check: " + opened.error());
        }
    }
    tx.commit();
    return lookup;
}

Answer finishStock(pqxx::connection& conn, const Webhook& hook, const StockLookup& lookup,
                   const Result<integrations::StockResult, integrations::ProviderError>& result)
{
    pqxx::work tx(conn);
    if (auto repeat = claimEvent(tx, hook)) {
        tx.commit();
        return {200, *repeat};
    }
    std::string twiml;
    auto call = lockCall(tx, hook);
    if (!call || call->ended) {
        finishTurn(tx, lookup.turnId, "failed", "the caller hung up before the answer");
        twiml = hangupTwiml();
    } else if (result) {
        const Settings settings = loadSettings(tx, hook.organisationId, call->locationId);
        const std::string answer =
            integrations::spokenStockAnswer(result.value(), lookup.query, lookup.storeName);
        twiml = answered(tx, hook, *call, settings, lookup.turnId, lookup.turn, answer);
    } else {
        // Never stuck: the caller goes to a person, who can look it up.
        log::warn("telephony", "stock check failed for organisation " + hook.organisationId + ": " +
                                   result.error().message);
        finishTurn(tx, lookup.turnId, "failed", result.error().message);
        twiml = toPerson(tx, hook, *call, 0, "stock",
                         "I'm sorry, I can't check that right now. Let me connect you to a "
                         "colleague.");
    }
    saveAnswer(tx, hook, twiml);
    tx.commit();
    return {200, twiml};
}

std::string fallbackTwiml(const std::optional<Number>& store)
{
    TwimlBuilder t;
    if (!store) {
        t.say("Sorry, we cannot take your call right now. Please try again later.");
        t.hangup();
        return t.str();
    }
    t.say("Thank you for calling " + store->locationName + ". Connecting you to the store.");
    DialOptions dial;
    dial.timeout = 30;
    DialTarget target;
    target.kind = DialTarget::Kind::Number;
    target.value = store->mainPhone;
    t.dial(dial, {target});
    t.say("Sorry, nobody could take your call. Please try again later. Goodbye.");
    t.hangup();
    return t.str();
}

std::string hangupTwiml()
{
    return TwimlBuilder().hangup().str();
}

std::string notInServiceTwiml()
{
    TwimlBuilder t;
    t.say("Sorry, the number you have called is not in service.");
    t.hangup();
    return t.str();
}

// The callback task of each call in `g` (a CTE of calls just settled), as createCallbackTask
// would make it: due after the rules' time, none for withheld numbers.
constexpr const char* kMissedCallTasks =
    "INSERT INTO tasks (id, organisation_id, location_id, customer_id, call_id, kind, title, "
    "due_at) SELECT gen_random_uuid(), g.organisation_id, g.location_id, g.customer_id, g.id, "
    "'callback', 'Call back ' || g.from_number || ' (missed call)', g.started_at + "
    "make_interval(mins => coalesce(s.callback_due_minutes, o.callback_due_minutes, 60)) ";
constexpr const char* kMissedCallTaskRules =
    " LEFT JOIN routing_rules o ON o.organisation_id = g.organisation_id AND o.location_id IS NULL "
    "LEFT JOIN routing_rules s ON s.organisation_id = g.organisation_id AND s.location_id = "
    "g.location_id WHERE g.from_number LIKE '+%' AND g.from_number NOT IN ('+266696687', "
    "'+86282452253', '+8656696', '+7378742833')";

std::size_t sweep(pqxx::connection& conn)
{
    std::size_t changed = 0;
    // Each step commits on its own: it holds rows of many stores (and the analytics rollup rows
    // its triggers update) only for itself, never while waiting for another step's.
    const auto run = [&](const std::string& sql) {
        pqxx::work tx(conn);
        changed += tx.exec(sql).affected_rows();
        tx.commit();
    };
    // Wrap-up over: ready for the next call.
    run("UPDATE presence SET activity = 'idle', call_id = NULL, activity_until = NULL, "
        "updated_at = now() WHERE activity = 'wrap_up' AND activity_until <= now()");
    // An offer whose <Dial> action never came (the provider lost it): free the person, and the
    // call no longer shows them as rung.
    run("WITH stale AS (SELECT user_id, call_id FROM presence WHERE activity = 'ringing' AND "
        "activity_until < now() - interval '30 seconds' FOR UPDATE), "
        "freed AS (UPDATE presence p SET activity = 'idle', call_id = NULL, activity_until = NULL, "
        "updated_at = now() FROM stale WHERE p.user_id = stale.user_id "
        "RETURNING stale.user_id, stale.call_id) "
        "UPDATE calls c SET offered_to = NULL FROM freed WHERE c.id = freed.call_id AND "
        "c.offered_to = freed.user_id");
    // Someone shown ringing for, or on, a call that is over (its events came in an odd order,
    // or some were lost): free them.
    run("UPDATE presence p SET activity = 'idle', call_id = NULL, activity_until = NULL, "
        "updated_at = now() WHERE p.activity IN ('ringing', 'on_call') AND p.updated_at < now() - "
        "interval '10 seconds' AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = p.call_id AND "
        "c.status IN ('ringing', 'in_progress') AND c.ended_at IS NULL)");
    // Over while a phone rang, and the <Dial> action that would say how never came: nobody
    // answered as far as we know, so the store calls back.
    run("WITH gone AS (UPDATE calls SET status = 'abandoned', offered_to = NULL, routing_reason = "
        "'the caller hung up while a phone rang' WHERE status = 'ringing' AND ended_at < now() - "
        "interval '1 minute' RETURNING id, organisation_id, location_id, customer_id, "
        "from_number, started_at) " +
        std::string(kMissedCallTasks) + "FROM gone g" + kMissedCallTaskRules);
    // A call the provider went silent about (no word for 10 minutes while it waited): missed,
    // and called back.
    run("WITH silent AS (UPDATE calls c SET status = 'missed', ended_at = now(), offered_to = "
        "NULL, "
        "routing_reason = 'no word from the provider' WHERE c.status = 'ringing' AND "
        "c.ended_at IS NULL AND c.started_at < now() - interval '10 minutes' AND NOT EXISTS ("
        "SELECT 1 FROM call_decisions d WHERE d.call_id = c.id AND d.decided_at > now() - "
        "interval '10 minutes') RETURNING id, organisation_id, location_id, customer_id, "
        "from_number, started_at) " +
        std::string(kMissedCallTasks) + "FROM silent g" + kMissedCallTaskRules);
    // Staffed periods still going on are counted every quarter of an hour (occupancy).
    {
        pqxx::work tx(conn);
        tx.exec("SELECT analytics_checkpoint_staffed()");
        tx.commit();
    }
    // A self-served call whose end was never reported.
    run("UPDATE calls SET ended_at = now() WHERE status = 'self_served' AND ended_at IS NULL AND "
        "started_at < now() - interval '4 hours'");
    // A conversation with no word for 4 hours: its end was lost.
    run("UPDATE calls c SET status = 'completed', ended_at = now() WHERE c.status = 'in_progress' "
        "AND c.answered_at < now() - interval '4 hours'");
    // Callbacks overdue past the escalation time: flagged for the store's managers. The partial
    // index on due_at finds the candidates; the rules are joined once.
    run("UPDATE tasks t SET escalated_at = now() FROM (SELECT t2.id FROM tasks t2 "
        "LEFT JOIN routing_rules o ON o.organisation_id = t2.organisation_id AND o.location_id IS "
        "NULL LEFT JOIN routing_rules s ON s.organisation_id = t2.organisation_id AND "
        "s.location_id = t2.location_id WHERE t2.status = 'open' AND t2.escalated_at IS NULL AND "
        "t2.due_at < now() AND t2.kind = 'callback' AND t2.due_at + make_interval(mins => "
        "coalesce(s.callback_escalate_minutes, o.callback_escalate_minutes, 60)) < now()) due "
        "WHERE t.id = due.id");
    return changed;
}

std::size_t purge(pqxx::connection& conn, int keepDays)
{
    pqxx::work tx(conn);
    // A provider retries within minutes: a week of applied events is plenty.
    std::size_t removed =
        tx.exec("DELETE FROM telephony_events WHERE received_at < now() - interval '7 days'")
            .affected_rows();
    removed += db::execPrepared(tx,
                                "DELETE FROM call_decisions WHERE decided_at < now() - "
                                "make_interval(days => $1)",
                                std::max(keepDays, 30))
                   .affected_rows();
    tx.commit();
    return removed;
}

} // namespace cc::server::telephony
