#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The routing engine: who should the phone ring for this call, now?
//
// Pure and deterministic: the same inputs always give the same decision, on the server, in the
// simulator and in tests. No clock, no time zone database, no I/O: the caller passes the time
// ("now" in milliseconds since the epoch and, for each store, its local wall-clock reading,
// which the server gets from PostgreSQL's time zone data) and everything it knows about the
// stores and the people. Every decision lists every person considered, with the parts of their
// score or the reason they were left out, so a manager can see why a phone rang.
namespace cc::routing {

// What a person is doing, as the server knows it. `Available` and `Away` are set by the person
// in the app; the others by the server from call events.
enum class Presence {
    Available,
    Ringing, // offered a call right now
    OnCall,
    WrapUp, // after a call, until `Agent::wrapUpEndsMs`
    Away,
    Offline, // no connected device
};

std::string_view presenceName(Presence presence);

// A calendar date and wall-clock time in one store's own time zone.
struct LocalTime {
    int year = 1970;
    int month = 1;       // 1..12
    int day = 1;         // 1..31
    int weekday = 4;     // ISO: 1 = Monday .. 7 = Sunday
    int minuteOfDay = 0; // 0..1439
};

// One day's opening hours, as local wall-clock minutes: open in [opensMinute, closesMinute).
struct OpeningHours {
    int weekday = 1; // ISO
    int opensMinute = 0;
    int closesMinute = 0;
};

struct Date {
    int year = 0;
    int month = 0;
    int day = 0;
    friend bool operator==(const Date&, const Date&) = default;
};

struct Store {
    std::string id;
    std::string regionId; // empty: in no region (never an overflow target or source)
    std::string name;
    LocalTime localNow;              // this store's wall clock at the decision time
    std::vector<OpeningHours> hours; // no entry for a weekday: closed that day
    std::vector<Date> holidays;      // closed all day
};

// Open now: `localNow`'s date is not one of `holidays` (the store's own local date, not UTC) and
// `localNow` is within one of the `hours` entries for its weekday (several entries on one weekday
// are allowed: a lunch break). An entry with closesMinute <= opensMinute (overnight or unset), or
// outside 0..1440, is invalid and never open.
bool isOpen(const Store& store);

struct Agent {
    std::string userId;
    std::string displayName;
    std::vector<std::string> storeIds; // the stores the person works in
    std::vector<std::string> skills;
    Presence presence = Presence::Offline;
    std::int64_t wrapUpEndsMs = 0;  // with WrapUp: available again from this time
    std::int64_t pausedUntilMs = 0; // after missing an offered call: not offered calls until then
    std::int64_t idleSinceMs = 0;   // end of their last call, or when they became available
    int callsToday = 0;             // load: calls handled since the store opened
};

// Tunables, per organisation with per-store overrides (merged by the server).
struct Rules {
    int ringTimeoutSeconds = 20;      // how long one person's phone rings
    int overflowAfterSeconds = 60;    // waiting this long brings in the region's other stores
    int voicemailAfterSeconds = 180;  // waiting this long (or nobody anywhere) ends in voicemail
    int wrapUpSeconds = 30;           // after-call work (applied by the server, listed here)
    int missedCallPauseSeconds = 120; // a person who misses a call is paused this long
    bool overflowWhenClosed = true;   // a closed store sends its calls to the region's open ones
    // Weights of the score parts; see decide().
    double skillWeight = 40;
    double idleWeight = 30;
    double loadWeight = 10;
    double homeStoreWeight = 15;
    double repeatCallerWeight = 100;
};

struct Call {
    std::string callId;
    std::string storeId;                 // the store whose number was dialled
    std::vector<std::string> needSkills; // from the IVR choice or recognised intent; may be empty
    std::optional<std::string> lastHandlerId; // who handled this caller's previous call
    std::int64_t nowMs = 0;
    std::int64_t arrivedMs = 0;              // when the call reached us
    std::vector<std::string> alreadyOffered; // people this call has already rung (not again)
};

enum class Action {
    Offer,     // ring `Decision::userId` (working in `Decision::storeId`)
    Wait,      // nobody can take it yet: hold the caller, decide again later
    Voicemail, // nobody will: record a message (the server then creates a callback task)
};

std::string_view actionName(Action action);

// One score part, for the explanation ("idle 12 min: +18.0").
struct ScorePart {
    std::string name; // "skill", "idle", "load", "home_store", "repeat_caller"
    double points = 0;
};

struct Candidate {
    std::string userId;
    std::string displayName;
    std::string storeId; // the considered store they work in (the dialled one first)
    bool eligible = false;
    std::string excluded; // why not, when not eligible: "away", "offline", "on a call",
                          // "ringing for another call", "wrap-up for 12 s",
                          // "paused for 40 s after a missed call", "already rung for this call",
                          // "store closed (holiday)", "before overflow at 60 s",
                          // "no overflow when the store is closed", "works elsewhere"
    // Eligible: all five parts in the order of decide()'s formula (load is negative), summing to
    // `score`. Excluded: 0 and no parts.
    double score = 0;
    std::vector<ScorePart> parts;
};

struct Decision {
    Action action = Action::Wait;
    std::string userId;        // with Offer
    std::string storeId;       // with Offer: the chosen person's store; otherwise the dialled store
    bool overflow = false;     // with Offer: the chosen person works in another store of the region
    int retryAfterSeconds = 0; // with Wait: when to decide again (1..10); otherwise 0
    std::string reason;        // one line for people: "rang Ana (idle 12 min, has skill stock)"
    std::vector<Candidate> candidates; // everyone considered, best first, then the excluded
};

// Decides where `call` goes now.
//
// `stores` holds the dialled store and the other stores of its region (any order; stores of other
// regions are ignored). `agents` holds the people who work in any of them.
//
// - A person is eligible when Available (or WrapUp that has ended by `nowMs`), not paused, not
//   already offered this call, and working in a store that is considered.
// - Considered stores: the dialled store while it is open; the region's other open stores once
//   the call has waited `overflowAfterSeconds`, at once when the dialled store is closed (with
//   `overflowWhenClosed`) or when nobody eligible or busy works in the dialled store.
// - Score: skillWeight x (share of needSkills the person has; 1 when none needed)
//        + idleWeight x min(idle time, 1 h) / 1 h
//        - loadWeight x min(callsToday, 50) / 50
//        + homeStoreWeight when the person works in the dialled store
//        + repeatCallerWeight when the person is `lastHandlerId`.
//   Highest score wins; ties go to the longest idle, then the smallest userId.
// - Nobody eligible: Wait (retry after min(10 s, time left before overflow or voicemail)) while
//   the call has waited less than `voicemailAfterSeconds` and someone in a considered store could
//   become free (busy, ringing or in wrap-up); otherwise Voicemail.
//
// Refinements of the above:
// - Once the call has waited `voicemailAfterSeconds`: Voicemail even when someone is free, so a
//   caller never holds longer than that however many people fail to answer.
// - A closed dialled store without `overflowWhenClosed`, outside any region, or whose region has
//   no other open store: Voicemail at once. A dialled store missing from `stores`: Voicemail.
// - "Could become free" also counts a person paused after missing another call (not this one).
//   Away, Offline and "already rung for this call" never count.
// - The overflow threshold counts for the retry only until overflow has happened and only when
//   the region has another store. The retry is rounded up to whole seconds, at least 1.
// - Store ids and user ids are unique; the order of `stores` and `agents` does not matter.
Decision decide(const Call& call, std::span<const Store> stores, std::span<const Agent> agents,
                const Rules& rules);

// The decision as JSON, kept with the call for "why did this ring Ana?":
// {"action":"offer","user_id":"u1","store_id":"s1","overflow":false,"retry_after_s":0,
//  "reason":"...","candidates":[{"user_id":"u1","name":"Ana Lopez","store_id":"s1",
//  "eligible":true,"excluded":"","score":63.5,"parts":{"skill":40,"idle":10.5,...}}]}
// Scores and parts are rounded to 0.1; whole numbers are written as integers, others in
// Boost.JSON's exponent form (63.5 as 6.35E1: valid JSON, any parser reads it back as 63.5).
std::string toJson(const Decision& decision);

} // namespace cc::routing
