#include "shared/analytics/measures.h"

#include <algorithm>

namespace cc::analytics {

namespace {

template <typename F>
void eachField(Counters& a, const Counters& b, F f)
{
    f(a.offered, b.offered);
    f(a.answered, b.answered);
    f(a.answeredInSl, b.answeredInSl);
    f(a.abandoned, b.abandoned);
    f(a.shortAbandoned, b.shortAbandoned);
    f(a.missed, b.missed);
    f(a.callbacks, b.callbacks);
    f(a.selfServed, b.selfServed);
    f(a.outbound, b.outbound);
    f(a.waitAnsweredMs, b.waitAnsweredMs);
    f(a.handled, b.handled);
    f(a.talkMs, b.talkMs);
    f(a.wrapMs, b.wrapMs);
    f(a.fcrResolved, b.fcrResolved);
    f(a.answeredElsewhere, b.answeredElsewhere);
}

std::optional<double> ratio(std::int64_t numerator, std::int64_t denominator, double scale = 1.0)
{
    if (denominator <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(numerator) / static_cast<double>(denominator) / scale;
}

} // namespace

Counters& Counters::operator+=(const Counters& o)
{
    eachField(*this, o, [](std::int64_t& x, std::int64_t y) { x += y; });
    return *this;
}

Counters& Counters::operator-=(const Counters& o)
{
    eachField(*this, o, [](std::int64_t& x, std::int64_t y) { x -= y; });
    return *this;
}

Counters contributionOf(const CallFacts& call, const Settings& settings)
{
    Counters c;
    if (!call.inbound) {
        c.outbound = 1;
        return c;
    }
    if (call.status == "self_served") {
        c.selfServed = 1;
        return c;
    }
    if (call.status == "abandoned" && call.endedMs > 0 &&
        call.endedMs - call.startedMs < std::int64_t{settings.shortAbandonSeconds} * 1000) {
        c.shortAbandoned = 1;
        return c;
    }
    c.offered = 1;
    if (call.answeredMs > 0) {
        const std::int64_t wait = std::max<std::int64_t>(call.answeredMs - call.startedMs, 0);
        c.answered = 1;
        c.waitAnsweredMs = wait;
        c.answeredInSl = wait <= std::int64_t{settings.serviceLevelSeconds} * 1000 ? 1 : 0;
        if (!call.answeredLocation.empty() && call.answeredLocation != call.locationId) {
            c.answeredElsewhere = 1;
        }
        const bool repeated =
            call.repeatedMs > 0 &&
            call.repeatedMs - call.startedMs <= std::int64_t{settings.repeatWindowHours} * 3600000;
        c.fcrResolved = call.disposition == "resolved" || !repeated ? 1 : 0;
        if (call.endedMs > 0 && call.status != "in_progress") {
            c.handled = 1;
            c.talkMs = std::max<std::int64_t>(call.endedMs - call.answeredMs, 0);
            c.wrapMs = std::max<std::int64_t>(call.wrapUpMs, 0);
        }
        return c;
    }
    if (call.status == "abandoned") {
        c.abandoned = 1;
    } else if (call.status == "missed" || call.status == "voicemail") {
        c.missed = 1;
    } else if (call.status == "callback") {
        c.callbacks = 1;
    }
    return c;
}

Figures figuresOf(const Counters& c)
{
    Figures f;
    f.serviceLevel = ratio(c.answeredInSl, c.answered + c.abandoned + c.missed);
    f.abandonRate = ratio(c.abandoned, c.answered + c.abandoned + c.missed + c.callbacks);
    f.asaSeconds = ratio(c.waitAnsweredMs, c.answered, 1000.0);
    f.ahtSeconds = ratio(c.talkMs + c.wrapMs, c.handled, 1000.0);
    f.fcrRate = ratio(c.fcrResolved, c.answered);
    return f;
}

bool isWaiting(const CallFacts& call)
{
    return call.inbound && call.status == "ringing" && call.endedMs == 0 && call.answeredMs == 0;
}

void LiveBoard::add(const Entry& e, int sign)
{
    if (sign > 0) {
        m_totals += e.contribution;
        m_byHour[static_cast<std::size_t>(e.hour)] += e.contribution;
        if (!e.facts.handledBy.empty()) {
            m_byPerson[e.facts.handledBy] += e.contribution;
        }
        return;
    }
    m_totals -= e.contribution;
    m_byHour[static_cast<std::size_t>(e.hour)] -= e.contribution;
    if (!e.facts.handledBy.empty()) {
        auto it = m_byPerson.find(e.facts.handledBy);
        if (it != m_byPerson.end()) {
            it->second -= e.contribution;
            if (it->second.empty()) {
                m_byPerson.erase(it);
            }
        }
    }
}

void LiveBoard::apply(const std::string& callId, const CallFacts& call, LocalSlot slot,
                      const Settings& settings)
{
    if (auto it = m_calls.find(callId); it != m_calls.end()) {
        add(it->second, -1);
        m_calls.erase(it);
    }
    m_waiting.erase(callId);
    if (slot.day != m_day || slot.hour < 0 || slot.hour > 23) {
        return;
    }
    Entry e{call, slot.hour, contributionOf(call, settings)};
    add(e, +1);
    if (isWaiting(call)) {
        m_waiting.emplace(callId, call.startedMs);
    }
    m_calls.emplace(callId, std::move(e));
}

void LiveBoard::startDay(std::int32_t day)
{
    if (day == m_day) {
        return;
    }
    *this = LiveBoard(day);
}

void LiveBoard::reclassify(const Settings& settings)
{
    m_totals = {};
    m_byHour = {};
    m_byPerson.clear();
    for (auto& [id, e] : m_calls) {
        e.contribution = contributionOf(e.facts, settings);
        add(e, +1);
    }
}

std::int64_t LiveBoard::oldestWaitingMs() const
{
    std::int64_t oldest = 0;
    for (const auto& [id, started] : m_waiting) {
        if (oldest == 0 || started < oldest) {
            oldest = started;
        }
    }
    return oldest;
}

} // namespace cc::analytics
