#include "server/telephony/self_service.h"

#include <algorithm>
#include <array>

namespace cc::server::telephony {
namespace {

constexpr std::array<std::string_view, 7> kWeekdays{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonths{"January",   "February", "March",    "April",
                                                   "May",       "June",     "July",     "August",
                                                   "September", "October",  "November", "December"};

intent::LocalDate dateOf(const routing::LocalTime& t)
{
    return {t.year, t.month, t.day};
}

bool holiday(const routing::Store& store, const intent::LocalDate& date)
{
    return std::any_of(store.holidays.begin(), store.holidays.end(), [&](const routing::Date& d) {
        return d.year == date.year && d.month == date.month && d.day == date.day;
    });
}

// The day's opening hours in order (a lunch break makes two); none on a holiday.
std::vector<routing::OpeningHours> hoursOn(const routing::Store& store,
                                           const intent::LocalDate& date)
{
    std::vector<routing::OpeningHours> out;
    if (!intent::isValidDate(date) || holiday(store, date)) {
        return out;
    }
    const int weekday = intent::isoWeekday(date);
    for (const auto& h : store.hours) {
        if (h.weekday == weekday && h.opensMinute >= 0 && h.closesMinute <= 1440 &&
            h.opensMinute < h.closesMinute) {
            out.push_back(h);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.opensMinute < b.opensMinute; });
    return out;
}

std::string weekdayName(const intent::LocalDate& date)
{
    return std::string(kWeekdays[static_cast<std::size_t>(intent::isoWeekday(date) - 1)]);
}

std::string spans(const std::vector<routing::OpeningHours>& hours)
{
    if (hours.size() == 1 && hours[0].opensMinute == 0 && hours[0].closesMinute == 1440) {
        return "all day";
    }
    std::string out;
    for (std::size_t i = 0; i < hours.size(); ++i) {
        if (i > 0) {
            out += " and ";
        }
        out +=
            "from " + spokenTime(hours[i].opensMinute) + " to " + spokenTime(hours[i].closesMinute);
    }
    return out;
}

} // namespace

intent::Reference referenceOf(const routing::Store& store)
{
    intent::Reference r;
    r.today = dateOf(store.localNow);
    r.minuteOfDay = store.localNow.minuteOfDay;
    return r;
}

std::string spokenTime(int minuteOfDay)
{
    minuteOfDay = std::clamp(minuteOfDay, 0, 1440) % 1440;
    const int hour = minuteOfDay / 60;
    const int minute = minuteOfDay % 60;
    if (minute == 0 && hour == 12) {
        return "noon";
    }
    if (minute == 0 && hour == 0) {
        return "midnight";
    }
    const int twelve = hour % 12 == 0 ? 12 : hour % 12;
    std::string out = std::to_string(twelve);
    if (minute != 0) {
        out += (minute < 10 ? ":0" : ":") + std::to_string(minute);
    }
    return out + (hour < 12 ? " am" : " pm");
}

std::string spokenDate(const intent::LocalDate& date, const intent::LocalDate& today)
{
    if (!intent::isValidDate(date)) {
        return "that day";
    }
    const int ahead = intent::isValidDate(today) ? intent::daysBetween(today, date) : 99;
    if (ahead == 0) {
        return "today";
    }
    if (ahead == 1) {
        return "tomorrow";
    }
    return weekdayName(date) + " " + std::to_string(date.day) + " " +
           std::string(kMonths[static_cast<std::size_t>(date.month - 1)]);
}

std::string spokenHours(const routing::Store& store)
{
    const intent::LocalDate today = dateOf(store.localNow);
    if (!intent::isValidDate(today)) {
        return "I'm sorry, I don't have our opening hours to hand.";
    }
    const auto todays = hoursOn(store, today);
    const int now = store.localNow.minuteOfDay;
    std::string out;
    const bool laterToday = std::any_of(todays.begin(), todays.end(),
                                        [&](const auto& h) { return h.closesMinute > now; });
    if (laterToday) {
        out = "Today, " + weekdayName(today) + ", we're open " + spans(todays) + ".";
    } else {
        out = todays.empty() && holiday(store, today) ? "We're closed today for a holiday."
              : todays.empty()                        ? "We're closed today."
                                                      : "We've closed for today.";
        for (int ahead = 1; ahead <= 14; ++ahead) {
            const intent::LocalDate day = intent::addDays(today, ahead);
            const auto next = hoursOn(store, day);
            if (!next.empty()) {
                out += " We open again " +
                       (ahead == 1 ? std::string("tomorrow") : "on " + weekdayName(day)) + " at " +
                       spokenTime(next.front().opensMinute) + ".";
                break;
            }
        }
    }
    // Tomorrow too, as callers usually mean to come soon.
    const intent::LocalDate tomorrow = intent::addDays(today, 1);
    const auto tomorrows = hoursOn(store, tomorrow);
    if (laterToday) {
        out += tomorrows.empty() ? " We're closed tomorrow."
                                 : " Tomorrow we're open " + spans(tomorrows) + ".";
    }
    return out;
}

std::string spokenAddress(const std::string& storeName, const std::string& address)
{
    if (address.empty()) {
        return "I'm sorry, I don't have the address of " + storeName + " to hand.";
    }
    return storeName + " is at " + address + ".";
}

std::string needOf(intent::Intent i)
{
    switch (i) {
    case intent::Intent::StockCheck:
        return "stock";
    case intent::Intent::BookAppointment:
    case intent::Intent::MoveAppointment:
    case intent::Intent::CancelAppointment:
        return "appointments";
    case intent::Intent::OrderStatus:
        return "orders";
    case intent::Intent::StoreHours:
    case intent::Intent::StoreAddress:
    case intent::Intent::TalkToPerson:
    case intent::Intent::Unknown:
        break;
    }
    return {};
}

std::optional<RequestedSlot> requestedSlot(const intent::Detection& detection,
                                           const routing::Store& store, std::string* refusal)
{
    const auto say = [&](std::string text) {
        if (refusal != nullptr) {
            *refusal = std::move(text);
        }
        return std::nullopt;
    };
    if (!detection.slots.date) {
        return say({});
    }
    const intent::LocalDate today = dateOf(store.localNow);
    const intent::LocalDate date = *detection.slots.date;
    const std::string when = spokenDate(date, today);
    if (!intent::isValidDate(date) || date < today || intent::daysBetween(today, date) > 90) {
        return say("I can only book appointments in the next three months.");
    }
    const auto hours = hoursOn(store, date);
    if (hours.empty()) {
        return say("I'm sorry, we're closed " +
                   (when == "today" || when == "tomorrow" ? when : "on " + when) + ".");
    }
    int start = 0;
    if (detection.slots.minuteOfDay) {
        start = *detection.slots.minuteOfDay;
    } else if (detection.slots.dayPart) {
        // The first half hour of the part of the day the store is open in.
        const int from = *detection.slots.dayPart == intent::DayPart::Morning     ? 10 * 60
                         : *detection.slots.dayPart == intent::DayPart::Afternoon ? 14 * 60
                                                                                  : 17 * 60;
        start = std::max(from, hours.front().opensMinute);
    } else {
        return say({});
    }
    const int end = start + kRequestedAppointmentMinutes;
    const bool fits = std::any_of(hours.begin(), hours.end(), [&](const auto& h) {
        return start >= h.opensMinute && end <= h.closesMinute;
    });
    if (!fits) {
        return say("I'm sorry, " + when + " we're open " + spans(hours) + ".");
    }
    if (date == today && start <= store.localNow.minuteOfDay) {
        return say("I'm sorry, that time has passed.");
    }
    return RequestedSlot{date, start, end};
}

} // namespace cc::server::telephony
