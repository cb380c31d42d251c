#include "shared/routing/engine.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

namespace json = boost::json;

namespace cc::routing {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kIdleCapMs = 3600 * kMsPerSecond;
constexpr int kLoadCap = 50;
constexpr int kMaxRetrySeconds = 10;
constexpr int kMinutesPerDay = 24 * 60;

constexpr std::array<std::string_view, 7> kWeekdays{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};

// Whole seconds left until `untilMs`, rounded up: "wrap-up for 1 s" rather than "for 0 s" when
// 300 ms are left.
std::int64_t secondsUntil(std::int64_t nowMs, std::int64_t untilMs)
{
    return (untilMs - nowMs + kMsPerSecond - 1) / kMsPerSecond;
}

// "45 s", "12 min", "1 h 5 min": for the idle time in an explanation.
std::string formatIdle(std::int64_t ms)
{
    const std::int64_t seconds = ms / kMsPerSecond;
    if (seconds < 60) {
        return std::to_string(seconds) + " s";
    }
    const std::int64_t minutes = seconds / 60;
    if (minutes < 60) {
        return std::to_string(minutes) + " min";
    }
    std::string out = std::to_string(minutes / 60) + " h";
    if (minutes % 60 != 0) {
        out += " " + std::to_string(minutes % 60) + " min";
    }
    return out;
}

// "a", "a and b", "a, b and c" (`last` replaces "and" where "or" reads better).
std::string joinWords(const std::vector<std::string>& words, std::string_view last = "and")
{
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) {
            out += i + 1 == words.size() ? " " + std::string(last) + " " : ", ";
        }
        out += words[i];
    }
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

bool validHours(const OpeningHours& h)
{
    return h.opensMinute >= 0 && h.closesMinute <= kMinutesPerDay && h.opensMinute < h.closesMinute;
}

// Why the store is closed now ("holiday", "outside hours", "Sunday"); nothing when it is open.
std::optional<std::string> closedReason(const Store& store)
{
    const LocalTime& now = store.localNow;
    const Date today{now.year, now.month, now.day};
    if (std::find(store.holidays.begin(), store.holidays.end(), today) != store.holidays.end()) {
        return "holiday";
    }
    bool hoursToday = false;
    for (const OpeningHours& h : store.hours) {
        if (h.weekday != now.weekday || !validHours(h)) {
            continue;
        }
        hoursToday = true;
        if (h.opensMinute <= now.minuteOfDay && now.minuteOfDay < h.closesMinute) {
            return std::nullopt;
        }
    }
    if (hoursToday) {
        return "outside hours";
    }
    if (now.weekday >= 1 && now.weekday <= 7) {
        return std::string(kWeekdays[static_cast<std::size_t>(now.weekday - 1)]);
    }
    return "no hours today";
}

std::string storeName(const Store& store)
{
    return store.name.empty() ? store.id : store.name;
}

// A person's own state, whatever store they are in.
enum class State {
    Eligible,
    Busy,   // ringing, on a call or in wrap-up: could become free
    Paused, // after missing another call: could become free
    Out,    // away, offline or already rung for this call: will not take it
};

struct PersonState {
    State state = State::Out;
    std::string why; // empty when eligible
};

PersonState personState(const Agent& agent, const Call& call)
{
    const std::int64_t now = call.nowMs;
    if (contains(call.alreadyOffered, agent.userId)) {
        return {State::Out, "already rung for this call"};
    }
    switch (agent.presence) {
    case Presence::Available:
        break;
    case Presence::Ringing:
        return {State::Busy, "ringing for another call"};
    case Presence::OnCall:
        return {State::Busy, "on a call"};
    case Presence::WrapUp:
        if (agent.wrapUpEndsMs > now) {
            return {State::Busy,
                    "wrap-up for " + std::to_string(secondsUntil(now, agent.wrapUpEndsMs)) + " s"};
        }
        break; // the wrap-up is over: the server has not caught up yet, the person is free
    case Presence::Away:
        return {State::Out, "away"};
    case Presence::Offline:
    default: // a value cast from an unknown number: never ring on a guess
        return {State::Out, "offline"};
    }
    if (agent.pausedUntilMs > now) {
        return {State::Paused, "paused for " +
                                   std::to_string(secondsUntil(now, agent.pausedUntilMs)) +
                                   " s after a missed call"};
    }
    return {State::Eligible, {}};
}

// Why the region's other stores are (or are not) considered for this call.
enum class Overflow {
    NoRegion,        // the dialled store has no other store in its region
    NotYet,          // before `overflowAfterSeconds`
    BlockedByClosed, // the dialled store is closed and `overflowWhenClosed` is off
    AfterWait,
    DialledClosed,
    NobodyInDialled,
};

bool overflowing(Overflow o)
{
    return o == Overflow::AfterWait || o == Overflow::DialledClosed ||
           o == Overflow::NobodyInDialled;
}

struct StoreView {
    const Store* store = nullptr;
    std::optional<std::string> closed;
    bool considered = false;
};

// One row of the explanation while it is built, with what the ordering needs.
struct Scored {
    Candidate candidate;
    State state = State::Out;
    std::int64_t idleMs = 0;
    std::size_t storeIndex = 0; // into the views; meaningful when the person has a store here
};

std::vector<std::string> uniqueSkills(const std::vector<std::string>& needed)
{
    std::vector<std::string> out;
    for (const std::string& s : needed) {
        if (!contains(out, s)) {
            out.push_back(s);
        }
    }
    return out;
}

std::vector<ScorePart> scoreParts(const Agent& agent, const Call& call,
                                  const std::vector<std::string>& needSkills,
                                  const std::string& dialledId, std::int64_t idleMs,
                                  const Rules& rules)
{
    double skillShare = 1;
    if (!needSkills.empty()) {
        const auto have =
            std::count_if(needSkills.begin(), needSkills.end(),
                          [&](const std::string& s) { return contains(agent.skills, s); });
        skillShare = static_cast<double>(have) / static_cast<double>(needSkills.size());
    }
    const double idleShare =
        static_cast<double>(std::min(idleMs, kIdleCapMs)) / static_cast<double>(kIdleCapMs);
    const double loadShare =
        static_cast<double>(std::clamp(agent.callsToday, 0, kLoadCap)) / double{kLoadCap};
    const bool home = contains(agent.storeIds, dialledId);
    const bool repeat = call.lastHandlerId && *call.lastHandlerId == agent.userId;
    return {
        {"skill", rules.skillWeight * skillShare},
        {"idle", rules.idleWeight * idleShare},
        {"load", -rules.loadWeight * loadShare},
        {"home_store", home ? rules.homeStoreWeight : 0.0},
        {"repeat_caller", repeat ? rules.repeatCallerWeight : 0.0},
    };
}

// "idle 12 min, has stock" for the chosen person.
std::string offerDetails(const Agent& agent, const Call& call,
                         const std::vector<std::string>& needSkills, std::int64_t idleMs)
{
    std::vector<std::string> details;
    if (call.lastHandlerId && *call.lastHandlerId == agent.userId) {
        details.emplace_back("handled this caller before");
    }
    details.push_back("idle " + formatIdle(idleMs));
    std::vector<std::string> has;
    std::vector<std::string> lacks;
    for (const std::string& s : needSkills) {
        (contains(agent.skills, s) ? has : lacks).push_back(s);
    }
    if (!has.empty()) {
        details.push_back("has " + joinWords(has));
    }
    if (!lacks.empty()) {
        details.push_back("lacks " + joinWords(lacks));
    }
    std::string out;
    for (const std::string& d : details) {
        out += (out.empty() ? "" : ", ") + d;
    }
    return out;
}

// Roughly 0.1 precision for the stored explanation; whole numbers as integers, since Boost.JSON
// writes doubles in exponent form ("4E1").
json::value roundedNumber(double value)
{
    const double tenths = std::round(value * 10);
    constexpr double kExactInteger = 1e15; // well inside int64 and exact in a double
    if (std::abs(tenths) < kExactInteger && std::fmod(tenths, 10) == 0) { // and -0.0 becomes 0
        return static_cast<std::int64_t>(tenths / 10);
    }
    return tenths / 10;
}

} // namespace

std::string_view presenceName(Presence presence)
{
    switch (presence) {
    case Presence::Available:
        return "available";
    case Presence::Ringing:
        return "ringing";
    case Presence::OnCall:
        return "on_call";
    case Presence::WrapUp:
        return "wrap_up";
    case Presence::Away:
        return "away";
    case Presence::Offline:
        return "offline";
    }
    return "unknown";
}

std::string_view actionName(Action action)
{
    switch (action) {
    case Action::Offer:
        return "offer";
    case Action::Wait:
        return "wait";
    case Action::Voicemail:
        return "voicemail";
    }
    return "unknown";
}

bool isOpen(const Store& store)
{
    return !closedReason(store).has_value();
}

Decision decide(const Call& call, std::span<const Store> stores, std::span<const Agent> agents,
                const Rules& rules)
{
    Decision decision;
    decision.storeId = call.storeId;
    const std::int64_t waitedMs = std::max<std::int64_t>(0, call.nowMs - call.arrivedMs);
    const std::int64_t overflowAtMs = std::int64_t{rules.overflowAfterSeconds} * kMsPerSecond;
    const std::int64_t voicemailAtMs = std::int64_t{rules.voicemailAfterSeconds} * kMsPerSecond;

    // The dialled store first, then the other stores of its region by id, so that the input order
    // never changes which store a person is shown in.
    const auto dialledIt = std::find_if(stores.begin(), stores.end(),
                                        [&](const Store& s) { return s.id == call.storeId; });
    std::vector<StoreView> views;
    if (dialledIt != stores.end()) {
        views.push_back({&*dialledIt, closedReason(*dialledIt), false});
        if (!dialledIt->regionId.empty()) {
            std::vector<const Store*> others;
            for (const Store& s : stores) {
                if (s.regionId == dialledIt->regionId && s.id != dialledIt->id) {
                    others.push_back(&s);
                }
            }
            std::sort(others.begin(), others.end(),
                      [](const Store* a, const Store* b) { return a->id < b->id; });
            for (const Store* s : others) {
                views.push_back({s, closedReason(*s), false});
            }
        }
    }
    const auto viewIndices = [&](const Agent& agent) {
        std::vector<std::size_t> indices;
        for (std::size_t i = 0; i < views.size(); ++i) {
            if (contains(agent.storeIds, views[i].store->id)) {
                indices.push_back(i);
            }
        }
        return indices;
    };

    std::vector<PersonState> states;
    states.reserve(agents.size());
    bool dialledHasStaff = false;
    bool dialledHasSomeone = false; // eligible or could become free
    for (const Agent& agent : agents) {
        states.push_back(personState(agent, call));
        if (!views.empty() && contains(agent.storeIds, views[0].store->id)) {
            dialledHasStaff = true;
            dialledHasSomeone = dialledHasSomeone || states.back().state != State::Out;
        }
    }

    const bool dialledOpen = !views.empty() && !views[0].closed;
    Overflow overflow = Overflow::NoRegion;
    if (views.size() > 1) {
        if (!dialledOpen) {
            overflow =
                rules.overflowWhenClosed ? Overflow::DialledClosed : Overflow::BlockedByClosed;
        } else if (waitedMs >= overflowAtMs) {
            overflow = Overflow::AfterWait;
        } else if (!dialledHasSomeone) {
            overflow = Overflow::NobodyInDialled;
        } else {
            overflow = Overflow::NotYet;
        }
    }
    std::vector<const Store*> considered;
    for (std::size_t i = 0; i < views.size(); ++i) {
        views[i].considered = !views[i].closed && (i == 0 || overflowing(overflow));
        if (views[i].considered) {
            considered.push_back(views[i].store);
        }
    }

    const std::vector<std::string> needSkills = uniqueSkills(call.needSkills);
    std::vector<Scored> rows;
    rows.reserve(agents.size());
    for (std::size_t a = 0; a < agents.size(); ++a) {
        const Agent& agent = agents[a];
        Scored row;
        row.candidate.userId = agent.userId;
        row.candidate.displayName = agent.displayName;
        row.state = states[a].state;
        row.idleMs = std::max<std::int64_t>(0, call.nowMs - agent.idleSinceMs);
        const std::vector<std::size_t> mine = viewIndices(agent);
        const auto consideredIt = std::find_if(mine.begin(), mine.end(),
                                               [&](std::size_t i) { return views[i].considered; });
        const auto openIt =
            std::find_if(mine.begin(), mine.end(), [&](std::size_t i) { return !views[i].closed; });
        if (mine.empty()) {
            row.candidate.excluded = "works elsewhere";
        } else if (consideredIt != mine.end()) {
            row.storeIndex = *consideredIt;
            row.candidate.excluded = states[a].why;
        } else if (openIt != mine.end()) {
            // Open, but one of the region's other stores while the call stays in its own.
            row.storeIndex = *openIt;
            row.candidate.excluded =
                overflow == Overflow::BlockedByClosed
                    ? "no overflow when the store is closed"
                    : "before overflow at " + std::to_string(rules.overflowAfterSeconds) + " s";
        } else {
            row.storeIndex = mine.front();
            row.candidate.excluded = "store closed (" + *views[mine.front()].closed + ")";
        }
        if (!mine.empty()) {
            row.candidate.storeId = views[row.storeIndex].store->id;
        }
        row.candidate.eligible = row.candidate.excluded.empty();
        if (row.candidate.eligible) {
            row.candidate.parts =
                scoreParts(agent, call, needSkills, call.storeId, row.idleMs, rules);
            for (const ScorePart& part : row.candidate.parts) {
                row.candidate.score += part.points;
            }
        } else if (consideredIt == mine.end()) {
            row.state = State::Out; // busy in a store not considered: no reason to wait for them
        }
        rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [](const Scored& a, const Scored& b) {
        if (a.candidate.eligible != b.candidate.eligible) {
            return a.candidate.eligible;
        }
        if (a.candidate.eligible) {
            // Longest idle first on equal scores: fairness beyond the one-hour cap of the score.
            return std::tie(b.candidate.score, b.idleMs, a.candidate.userId) <
                   std::tie(a.candidate.score, a.idleMs, b.candidate.userId);
        }
        return a.candidate.userId < b.candidate.userId;
    });

    const auto finish = [&](Action action, std::string reason) {
        decision.action = action;
        decision.reason = std::move(reason);
        decision.candidates.reserve(rows.size());
        for (Scored& row : rows) {
            decision.candidates.push_back(std::move(row.candidate));
        }
        return std::move(decision);
    };

    if (views.empty()) {
        return finish(Action::Voicemail, "unknown store " + call.storeId + ": voicemail");
    }
    const Store& dialled = *views[0].store;
    if (!dialledOpen && considered.empty()) {
        const std::string closed = "store closed (" + *views[0].closed + ")";
        const bool regionHadAChance = overflow == Overflow::DialledClosed;
        return finish(Action::Voicemail,
                      closed + (regionHadAChance ? ", no other store of the region open" : "") +
                          ": voicemail");
    }
    if (waitedMs >= voicemailAtMs) {
        return finish(Action::Voicemail,
                      "waited " + std::to_string(rules.voicemailAfterSeconds) + " s: voicemail");
    }

    if (!rows.empty() && rows.front().candidate.eligible) {
        const Scored& best = rows.front();
        const Agent& agent = *std::find_if(agents.begin(), agents.end(), [&](const Agent& a) {
            return a.userId == best.candidate.userId;
        });
        decision.userId = best.candidate.userId;
        decision.storeId = best.candidate.storeId;
        decision.overflow = best.storeIndex != 0;
        std::string reason = "rang " +
                             (agent.displayName.empty() ? agent.userId : agent.displayName) + " (" +
                             offerDetails(agent, call, needSkills, best.idleMs) + ")";
        if (decision.overflow) {
            const bool dialledFree = std::any_of(rows.begin(), rows.end(), [](const Scored& r) {
                return r.candidate.eligible && r.storeIndex == 0;
            });
            std::string why = "overflow to " + storeName(*views[best.storeIndex].store);
            if (overflow == Overflow::DialledClosed) {
                why += ": " + storeName(dialled) + " closed (" + *views[0].closed + ")";
            } else if (overflow == Overflow::NobodyInDialled) {
                why += dialledHasStaff ? ": nobody available in " + storeName(dialled)
                                       : ": no staff in " + storeName(dialled);
            } else {
                why += " after " + std::to_string(rules.overflowAfterSeconds) + " s";
                if (!dialledFree) {
                    why += ": nobody free in " + storeName(dialled);
                }
            }
            reason = why + "; " + reason;
        }
        return finish(Action::Offer, std::move(reason));
    }

    int busy = 0;
    int paused = 0;
    std::vector<bool> waitingIn(views.size(), false);
    for (const Scored& row : rows) {
        if (row.state == State::Busy || row.state == State::Paused) {
            (row.state == State::Busy ? busy : paused) += 1;
            waitingIn[row.storeIndex] = true;
        }
    }
    if (busy + paused == 0) {
        std::vector<std::string> names;
        names.reserve(considered.size());
        for (const Store* s : considered) {
            names.push_back(storeName(*s));
        }
        return finish(Action::Voicemail,
                      "nobody available in " + joinWords(names, "or") + ": voicemail");
    }

    std::int64_t untilMs = voicemailAtMs - waitedMs;
    if (overflow == Overflow::NotYet) {
        untilMs = std::min(untilMs, overflowAtMs - waitedMs);
    }
    decision.retryAfterSeconds = static_cast<int>(
        std::clamp<std::int64_t>(secondsUntil(0, untilMs), 1, std::int64_t{kMaxRetrySeconds}));
    const auto people = [](int n) { return std::to_string(n) + (n == 1 ? " person" : " people"); };
    std::string who;
    if (busy > 0 && paused > 0) {
        who = people(busy) + " busy and " + std::to_string(paused) + " paused";
    } else if (busy > 0) {
        who = people(busy) + " busy";
    } else {
        who = people(paused) + " paused";
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < views.size(); ++i) {
        if (waitingIn[i]) {
            names.push_back(storeName(*views[i].store));
        }
    }
    return finish(Action::Wait, "waiting: " + who + " in " + joinWords(names));
}

std::string toJson(const Decision& decision)
{
    json::array candidates;
    candidates.reserve(decision.candidates.size());
    for (const Candidate& c : decision.candidates) {
        json::object parts;
        for (const ScorePart& part : c.parts) {
            parts[part.name] = roundedNumber(part.points);
        }
        candidates.push_back(json::object{
            {"user_id", c.userId},
            {"name", c.displayName},
            {"store_id", c.storeId},
            {"eligible", c.eligible},
            {"excluded", c.excluded},
            {"score", roundedNumber(c.score)},
            {"parts", std::move(parts)},
        });
    }
    const json::object root{
        {"action", actionName(decision.action)},
        {"user_id", decision.userId},
        {"store_id", decision.storeId},
        {"overflow", decision.overflow},
        {"retry_after_s", decision.retryAfterSeconds},
        {"reason", decision.reason},
        {"candidates", std::move(candidates)},
    };
    return json::serialize(root);
}

} // namespace cc::routing
