#pragma once

#include "shared/intent/intent.h"
#include "shared/routing/engine.h"

#include <optional>
#include <string>

// The words of the self-service line (docs/integrations.md, "On the phone"): what it says about a
// store's hours and address, how it reads dates and times aloud, and when an appointment a
// caller asks for can be requested. Pure: the call flow supplies the store and its clock.
namespace cc::server::telephony {

// At most this many questions the line answers by itself in one call; then a person.
inline constexpr int kMaxSelfServiceTurns = 3;
// An appointment asked for on the phone lasts this long until staff change it.
inline constexpr int kRequestedAppointmentMinutes = 30;

// The store's clock as intent detection reads it ("tomorrow", "at 3").
intent::Reference referenceOf(const routing::Store& store);

std::string spokenTime(int minuteOfDay); // "11 am", "5:30 pm"
std::string spokenDate(const intent::LocalDate& date,
                       const intent::LocalDate& today); // "today",
                                                        // "Saturday 28 November"

// "We're open today, Saturday, from 9 am to 5:30 pm." / "We're closed today. We open again on
// Monday at 9 am." Holidays count.
std::string spokenHours(const routing::Store& store);
std::string spokenAddress(const std::string& storeName, const std::string& address);

// What a caller's need is called when a person takes over: the skill routing looks for.
std::string needOf(intent::Intent intent);

// An appointment the line may request: a day, a time within the store's hours that day, not in
// the past. A day part without a time picks a time in it ("Saturday morning": 10 am). Nothing
// when the caller gave no day, or the store is closed then; `refusal` says why, to the caller
// ("We're closed on Sunday 29 November."), or stays empty when no day was given.
struct RequestedSlot {
    intent::LocalDate date;
    int startMinute = 0;
    int endMinute = 0;
};
std::optional<RequestedSlot> requestedSlot(const intent::Detection& detection,
                                           const routing::Store& store,
                                           std::string* refusal = nullptr);

} // namespace cc::server::telephony
