#pragma once

#include "shared/intent/datetime.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Intent detection for the IVR and for staff requests: what does the caller want, and the
// details we can act on ("do you have the blue rain jacket in a medium" is a stock check for
// item "rain jacket", colour "blue", size "m").
//
// Deterministic by design, no model: weighted keyword and phrase cues per intent, negation aware
// ("I don't want to cancel, I want to move it" is a move), with hand-written slot parsers for
// dates, times, numbers said as words, sizes, colours, quantities and order numbers. The same
// utterance and reference give the same answer on the server, in the simulator and in tests,
// and an answer can be explained by the cues that fired. Its accuracy on the labelled sets in
// tests/data/ is printed by tests/unit/tst_intent.cpp and bench/bench_intent.cpp.
//
// Pure: no clock (the Reference is the clock), no I/O, no global state. Any input is safe: at
// most kMaxUtteranceBytes are read (text.h), invalid UTF-8 bytes are read as spaces, and
// detect() never throws.
namespace cc::intent {

enum class Intent {
    Unknown,
    StockCheck,
    BookAppointment,
    MoveAppointment,
    CancelAppointment,
    StoreHours,
    StoreAddress,
    OrderStatus,
    TalkToPerson,
};

// "stock_check", "book_appointment", "move_appointment", "cancel_appointment", "store_hours",
// "store_address", "order_status", "talk_to_person", "unknown".
std::string_view toString(Intent intent);
std::optional<Intent> intentFromString(std::string_view text);
// Every intent, Unknown first, in the enum's order.
const std::vector<Intent>& allIntents();

struct Slots {
    // The product phrase, lower case, apostrophes dropped, without colour, size, quantity or
    // filler words: "rain jacket". Stock checks only.
    std::string item;
    std::vector<std::string> colours; // "blue"; "navy blue" is "navy", "gray" is "grey"
    // "xs", "s", "m", "l", "xl", "xxl" (and "xxxl"), or a number for shoe and dress sizes
    // ("10", "42", "9.5").
    std::string size;
    std::optional<int> quantity; // "two of the...", "3 pairs", "x4"
    // The day meant (datetime.h has the rules); for a cancellation, the appointment's day.
    std::optional<LocalDate> date;
    std::optional<int> minuteOfDay;    // 0..1439
    std::optional<DayPart> dayPart;    // "morning", "afternoon", "evening" when no exact time
    std::optional<LocalDate> fromDate; // MoveAppointment: the appointment being moved
    std::optional<int> fromMinuteOfDay;
    // Upper-case letters and digits: "order 10234", "order number one zero two three four"
    // ("10234"), "#A-1234" ("A1234").
    std::string orderNumber;
};

struct Detection {
    Intent intent = Intent::Unknown;
    Slots slots;
    double confidence = 0.0; // 0..1: how sure we are of `intent`
};

// Below this confidence a person takes the call.
inline constexpr double kHandOffBelow = 0.6;

// Which slots are filled depends on the intent: the product ones (item, colours, size,
// quantity) for StockCheck; date and time for the appointment intents and StoreHours (fromDate
// and fromMinuteOfDay for MoveAppointment only); the order number for OrderStatus. Unknown and
// TalkToPerson keep whatever was found but the product phrase, for the person who takes over.
Detection detect(std::string_view utterance, const Reference& reference);

// Unknown, TalkToPerson, or confidence below kHandOffBelow.
bool needsPerson(const Detection& detection);

// Why: the cues that fired and the rules that adjusted them, for logs and for the explanation a
// manager sees: "move_appointment 0.79: [move_appointment +move|moving|moved 2.50]
// [cancel_appointment -cancel* (negated)]".
std::string explain(std::string_view utterance, const Reference& reference);

} // namespace cc::intent
