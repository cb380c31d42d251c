#pragma once

#include <optional>
#include <string> // also brings <compare> (for operator<=>), as the standard specifies
#include <string_view>

// Calendar arithmetic and the rules that turn a caller's "next saturday", "the 14th" or "3/12"
// into a date, for intent detection (shared/intent/intent.h).
//
// No clock and no time zone: everything is relative to a `Reference`, the store's own local date
// and time, which the caller of detect() supplies. Dates only, so daylight saving time plays no
// part. Proleptic Gregorian calendar, years 1..9999.
//
// The rules, chosen for a shop's booking line and read back to the caller by the IVR ("Saturday
// the 10th of May, is that right?") so a misreading is corrected there:
// - "today", "tonight", "now": today. "tomorrow": +1. "the day after tomorrow": +2.
//   "in N days": +N; "in a week", "a week today": +7; "in a fortnight", "in two weeks": +14.
//   "yesterday" and other past references are not dates to act on and are ignored.
// - A bare weekday ("saturday", "on saturday", "saturdays"): the next such day after today,
//   1 to 7 days ahead (said on a Saturday, "saturday" is a week ahead: a caller meaning today
//   says "today"). "this saturday": the same, except that it is today when today is Saturday.
// - "next saturday", "next week saturday": Saturday of next week, weeks running Monday to
//   Sunday. Said on a Wednesday that is 10 days ahead (not 3: this week's is "this saturday");
//   said on a Saturday, 7 days; said on a Sunday, "next monday" is tomorrow.
// - "saturday week", "saturday after next": a week after the bare weekday.
// - A weekday with a day of the month ("friday the 9th"): the day of the month wins.
// - Day of the month alone ("the 14th", "on the fourteenth"): the next such day from today on
//   (today included), skipping months too short for it ("the 31st" on 30 April is 31 May).
// - Month and day ("december 3rd", "the 3rd of june", "14 may"): that day this year when it is
//   today or later, otherwise next year; 29 February goes to the next leap year.
// - Numeric "3/12" or "05/05": one reading is day/month, the other month/day. When only one is
//   a valid date it is used. When both are, `Reference::numericDates` decides: by default the
//   reading that comes sooner from today on (on 30 April, "5/6" is 6 May and "6/5" too), since a
//   caller books days or weeks ahead, not ten months; a deployment can fix the store's
//   convention instead. A year ("3/12/2025", "3/12/25") is taken as given.
// - Holidays: christmas (eve, day), boxing day, new year's (eve, day), halloween, valentine's
//   day, good friday, easter (sunday, monday): the next one from today on.
// - Times: "14:30", "11am", "3 pm", "3 o'clock", "half past two", "half two" (British: 2:30),
//   "quarter to five", "ten past four", "four thirty", "noon", "midday", "midnight". An hour
//   without am/pm follows the day part said with it ("7 in the morning", "8 tonight"); without
//   one, shop hours decide: 1..7 are afternoon (3 is 15:00), 8..11 morning, 12 is noon; but
//   after "till"/"until" (a closing time: "are you open till 9") 1..11 are evening.
namespace cc::intent {

struct LocalDate {
    int year = 0;
    int month = 0; // 1..12
    int day = 0;   // 1..31
    auto operator<=>(const LocalDate&) const = default;
};

enum class DayPart { Morning, Afternoon, Evening };

std::string_view toString(DayPart part); // "morning", "afternoon", "evening"
std::optional<DayPart> dayPartFromString(std::string_view text);

// How to read an all-numeric date when both day/month and month/day are valid (see above).
enum class NumericDateOrder {
    Nearest,    // the reading that comes sooner from today on
    DayFirst,   // "3/12" is 3 December (UK, most of Europe)
    MonthFirst, // "3/12" is 12 March (US)
};

// The store's local date and time now: the only clock intent detection knows.
struct Reference {
    LocalDate today;
    int minuteOfDay = 0;
    NumericDateOrder numericDates = NumericDateOrder::Nearest;
};

bool isLeapYear(int year);
int daysInMonth(int year, int month); // 0 for a month outside 1..12
bool isValidDate(const LocalDate& date);
int isoWeekday(const LocalDate& date); // 1 = Monday .. 7 = Sunday; the date must be valid
LocalDate addDays(const LocalDate& date, int days);
int daysBetween(const LocalDate& from, const LocalDate& to); // to - from

std::string toIsoString(const LocalDate& date);               // "2025-04-30"
std::optional<LocalDate> parseIsoDate(std::string_view text); // "2025-04-30", valid dates only
std::string formatMinuteOfDay(int minuteOfDay);               // 870 -> "14:30"
std::optional<int> parseMinuteOfDay(std::string_view text);   // "14:30" -> 870

// The rules above, one function each. `isoWeekday`: 1 = Monday .. 7 = Sunday.
LocalDate nextWeekday(const LocalDate& today, int isoWeekday);            // "saturday"
LocalDate thisWeekday(const LocalDate& today, int isoWeekday);            // "this saturday"
LocalDate weekdayOfNextWeek(const LocalDate& today, int isoWeekday);      // "next saturday"
std::optional<LocalDate> nextDayOfMonth(const LocalDate& today, int day); // "the 14th"
std::optional<LocalDate> nextMonthDay(const LocalDate& today, int month, int day); // "3 dec"
// "a/b" or "a/b/year" (a two-digit year is 20yy). Empty when no reading is a valid date.
std::optional<LocalDate> resolveNumericDate(const LocalDate& today, int a, int b,
                                            std::optional<int> year, NumericDateOrder order);
LocalDate easterSunday(int year);
// An hour 0..23 said without minutes: with am/pm (`pm` set), with a day part, or by the shop
// hours rule. Returns minutes after midnight; empty when the hour cannot be one.
std::optional<int> resolveHour(int hour, int minute, std::optional<bool> pm,
                               std::optional<DayPart> part);

} // namespace cc::intent
