#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

// Contact-centre measures (docs/analytics.md has the definitions for people).
//
// One function, contributionOf(), says what one call adds to the counters; every figure is a
// ratio of summed counters. The server's SQL path (migration 0007: rollup tables kept by
// triggers) and the live path (LiveBoard, fed by call changes) both follow it, and a test holds
// them to the same answers on a hand-built history. Pure: no clock, no time zone database, no
// I/O; the caller says which local day and hour a call belongs to.
namespace cc::analytics {

// An organisation's thresholds. Changing them rebuilds its historical figures.
struct Settings {
    int serviceLevelSeconds = 20; // answered within this many seconds counts toward SL
    int shortAbandonSeconds = 5;  // a caller who hangs up sooner is not counted as offered
    int repeatWindowHours = 72;   // a call from the same number within this breaks FCR
};

// What the measures need of one call, as the calls table (and the synced row) has it. Times are
// Unix epoch milliseconds, 0 when not (yet) known.
struct CallFacts {
    bool inbound = true;
    std::string status; // ringing, in_progress, completed, abandoned, missed, voicemail,
                        // callback, self_served
    std::int64_t startedMs = 0;
    std::int64_t answeredMs = 0;
    std::int64_t endedMs = 0;
    std::int64_t wrapUpMs = -1;   // how long its wrap-up lasted; -1 while it runs or none yet
    std::int64_t repeatedMs = 0;  // when the same number called again (the next call), or 0
    std::string disposition;      // "resolved" counts as resolved whatever follows
    std::string handledBy;        // the person who answered
    std::string locationId;       // the store that was called
    std::string answeredLocation; // the store of the person who answered (overflow: another)
};

// Summable counters. Durations in milliseconds.
struct Counters {
    std::int64_t offered = 0;           // inbound calls that reached the queue (short abandons
                                        // and self-served calls are not offered)
    std::int64_t answered = 0;          // offered and answered by a person
    std::int64_t answeredInSl = 0;      // answered within the service-level threshold
    std::int64_t abandoned = 0;         // the caller hung up waiting (short abandons excluded)
    std::int64_t shortAbandoned = 0;    // hung up within the short-abandon threshold
    std::int64_t missed = 0;            // over without an answer, a hang-up or a callback choice:
                                        // voicemail, or lost with the provider silent
    std::int64_t callbacks = 0;         // chose to be called back while waiting (not abandons)
    std::int64_t selfServed = 0;        // answered by the automated line, no person needed
    std::int64_t outbound = 0;          // calls the store made
    std::int64_t waitAnsweredMs = 0;    // sum of answer waits (ASA numerator)
    std::int64_t handled = 0;           // answered calls that are over (AHT denominator)
    std::int64_t talkMs = 0;            // answered to ended, of handled calls (hold included)
    std::int64_t wrapMs = 0;            // wrap-up of handled calls, once it ended
    std::int64_t fcrResolved = 0;       // answered, and no repeat within the window or resolved
    std::int64_t answeredElsewhere = 0; // answered by a person of another store (overflow)

    Counters& operator+=(const Counters& o);
    Counters& operator-=(const Counters& o);
    friend bool operator==(const Counters&, const Counters&) = default;
    bool empty() const { return *this == Counters{}; }
};

// What a call contributes, by the rules above.
Counters contributionOf(const CallFacts& call, const Settings& settings);

// The ratios people read; nullopt when the denominator is zero (shown as "–", never as 0 %).
struct Figures {
    std::optional<double> serviceLevel; // answeredInSl / (answered + abandoned + missed)
    std::optional<double> abandonRate;  // abandoned / (answered + abandoned + missed + callbacks)
    std::optional<double> asaSeconds;   // waitAnsweredMs / answered
    std::optional<double> ahtSeconds;   // (talkMs + wrapMs) / handled
    std::optional<double> fcrRate;      // fcrResolved / answered
};
Figures figuresOf(const Counters& c);

// A store's wall clock for one instant: the local day (days since 1970-01-01 in local time)
// and hour it falls in.
struct LocalSlot {
    std::int32_t day = 0;
    int hour = 0;
    friend bool operator==(const LocalSlot&, const LocalSlot&) = default;
};

// "Today so far" for one store, kept incrementally: every call change replaces that call's
// contribution. Also the live queue (calls waiting right now) and the day by hour.
class LiveBoard {
public:
    explicit LiveBoard(std::int32_t day = 0)
        : m_day(day)
    {}

    // The call's latest state; `slot` is where its start falls on the store's clock. A call of
    // another day leaves the board as it is (and is forgotten if it was on it).
    void apply(const std::string& callId, const CallFacts& call, LocalSlot slot,
               const Settings& settings);
    // The store's day changed (local midnight): start a new day.
    void startDay(std::int32_t day);
    // New thresholds: every call of the day is counted again.
    void reclassify(const Settings& settings);

    std::int32_t day() const { return m_day; }
    const Counters& totals() const { return m_totals; }
    const std::array<Counters, 24>& byHour() const { return m_byHour; }
    // People who answered today, by user id.
    const std::map<std::string, Counters>& byPerson() const { return m_byPerson; }
    int waiting() const { return static_cast<int>(m_waiting.size()); }
    // The start of the longest wait, 0 when nobody waits.
    std::int64_t oldestWaitingMs() const;
    std::size_t calls() const { return m_calls.size(); }

private:
    struct Entry {
        CallFacts facts;
        int hour = 0;
        Counters contribution;
    };
    void add(const Entry& e, int sign);

    std::int32_t m_day = 0;
    Counters m_totals;
    std::array<Counters, 24> m_byHour{};
    std::map<std::string, Counters> m_byPerson;
    std::unordered_map<std::string, Entry> m_calls;
    std::map<std::string, std::int64_t> m_waiting; // call id -> started
};

// Whether a call is waiting in the queue right now (ringing, not ended, not answered).
bool isWaiting(const CallFacts& call);

} // namespace cc::analytics
