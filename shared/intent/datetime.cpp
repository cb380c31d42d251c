#include "shared/intent/datetime.h"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace cc::intent {
namespace {

constexpr int kMinYear = 1;
constexpr int kMaxYear = 9999;

// Days since 1970-01-01 of a valid date (Howard Hinnant's days_from_civil): plain integer
// arithmetic, so adding days never walks month by month.
long long daysFromCivil(int y, int m, int d)
{
    const long long year = m <= 2 ? y - 1 : y;
    const long long era = (year >= 0 ? year : year - 399) / 400;
    const long long yoe = year - era * 400;
    const long long mp = m > 2 ? m - 3 : m + 9;
    const long long doy = (153 * mp + 2) / 5 + d - 1;
    const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

LocalDate civilFromDays(long long z)
{
    z += 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const long long doe = z - era * 146097;
    const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long long mp = (5 * doy + 2) / 153;
    const long long d = doy - (153 * mp + 2) / 5 + 1;
    const long long m = mp < 10 ? mp + 3 : mp - 9;
    const long long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return {static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)};
}

// Reads exactly `width` decimal digits at `text[pos]`.
std::optional<int> fixedDigits(std::string_view text, std::size_t pos, std::size_t width)
{
    if (pos + width > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return std::nullopt;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

} // namespace

std::string_view toString(DayPart part)
{
    switch (part) {
    case DayPart::Morning:
        return "morning";
    case DayPart::Afternoon:
        return "afternoon";
    case DayPart::Evening:
        return "evening";
    }
    return "morning";
}

std::optional<DayPart> dayPartFromString(std::string_view text)
{
    for (const DayPart part : {DayPart::Morning, DayPart::Afternoon, DayPart::Evening}) {
        if (text == toString(part)) {
            return part;
        }
    }
    return std::nullopt;
}

bool isLeapYear(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int daysInMonth(int year, int month)
{
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) {
        return 0;
    }
    if (month == 2 && isLeapYear(year)) {
        return 29;
    }
    return kDays[static_cast<std::size_t>(month - 1)];
}

bool isValidDate(const LocalDate& date)
{
    return date.year >= kMinYear && date.year <= kMaxYear && date.day >= 1 &&
           date.day <= daysInMonth(date.year, date.month);
}

int isoWeekday(const LocalDate& date)
{
    // 1970-01-01 was a Thursday (ISO 4).
    const long long days = daysFromCivil(date.year, date.month, date.day);
    const long long fromMonday = ((days % 7) + 7 + 3) % 7; // 0 = Monday
    return static_cast<int>(fromMonday) + 1;
}

LocalDate addDays(const LocalDate& date, int days)
{
    return civilFromDays(daysFromCivil(date.year, date.month, date.day) + days);
}

int daysBetween(const LocalDate& from, const LocalDate& to)
{
    return static_cast<int>(daysFromCivil(to.year, to.month, to.day) -
                            daysFromCivil(from.year, from.month, from.day));
}

std::string toIsoString(const LocalDate& date)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year, date.month, date.day);
    return buffer;
}

std::optional<LocalDate> parseIsoDate(std::string_view text)
{
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    const auto year = fixedDigits(text, 0, 4);
    const auto month = fixedDigits(text, 5, 2);
    const auto day = fixedDigits(text, 8, 2);
    if (!year || !month || !day) {
        return std::nullopt;
    }
    const LocalDate date{*year, *month, *day};
    if (!isValidDate(date)) {
        return std::nullopt;
    }
    return date;
}

std::string formatMinuteOfDay(int minuteOfDay)
{
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%02d:%02d", minuteOfDay / 60, minuteOfDay % 60);
    return buffer;
}

std::optional<int> parseMinuteOfDay(std::string_view text)
{
    if (text.size() != 5 || text[2] != ':') {
        return std::nullopt;
    }
    const auto hour = fixedDigits(text, 0, 2);
    const auto minute = fixedDigits(text, 3, 2);
    if (!hour || !minute || *hour > 23 || *minute > 59) {
        return std::nullopt;
    }
    return *hour * 60 + *minute;
}

LocalDate nextWeekday(const LocalDate& today, int weekday)
{
    int ahead = (weekday - isoWeekday(today) + 7) % 7;
    if (ahead == 0) {
        ahead = 7;
    }
    return addDays(today, ahead);
}

LocalDate thisWeekday(const LocalDate& today, int weekday)
{
    return isoWeekday(today) == weekday ? today : nextWeekday(today, weekday);
}

LocalDate weekdayOfNextWeek(const LocalDate& today, int weekday)
{
    const LocalDate mondayNextWeek = addDays(today, 8 - isoWeekday(today));
    return addDays(mondayNextWeek, weekday - 1);
}

std::optional<LocalDate> nextDayOfMonth(const LocalDate& today, int day)
{
    if (day < 1 || day > 31) {
        return std::nullopt;
    }
    int year = today.year;
    int month = today.month;
    // Every day 1..31 occurs within 12 months (31 comes back every other month at worst).
    for (int i = 0; i < 13; ++i) {
        const LocalDate candidate{year, month, day};
        if (isValidDate(candidate) && candidate >= today) {
            return candidate;
        }
        if (++month > 12) {
            month = 1;
            ++year;
        }
    }
    return std::nullopt;
}

std::optional<LocalDate> nextMonthDay(const LocalDate& today, int month, int day)
{
    if (month < 1 || month > 12 || day < 1 || day > 31) {
        return std::nullopt;
    }
    // 29 February can be up to 8 years away (2096 -> 2104).
    for (int year = today.year; year <= today.year + 8 && year <= kMaxYear; ++year) {
        const LocalDate candidate{year, month, day};
        if (isValidDate(candidate) && candidate >= today) {
            return candidate;
        }
    }
    return std::nullopt;
}

std::optional<LocalDate> resolveNumericDate(const LocalDate& today, int a, int b,
                                            std::optional<int> year, NumericDateOrder order)
{
    auto reading = [&](int day, int month) -> std::optional<LocalDate> {
        if (year) {
            const int y = *year < 100 ? 2000 + *year : *year;
            const LocalDate date{y, month, day};
            return isValidDate(date) ? std::optional<LocalDate>(date) : std::nullopt;
        }
        return nextMonthDay(today, month, day);
    };
    const auto dayFirst = reading(a, b);
    const auto monthFirst = reading(b, a);
    if (!dayFirst || !monthFirst) {
        return dayFirst ? dayFirst : monthFirst;
    }
    switch (order) {
    case NumericDateOrder::DayFirst:
        return dayFirst;
    case NumericDateOrder::MonthFirst:
        return monthFirst;
    case NumericDateOrder::Nearest:
        break;
    }
    // Both valid: the sooner one. With a year given, "sooner" is the one nearer today.
    const int dayFirstDistance = std::abs(daysBetween(today, *dayFirst));
    const int monthFirstDistance = std::abs(daysBetween(today, *monthFirst));
    return monthFirstDistance < dayFirstDistance ? monthFirst : dayFirst;
}

LocalDate easterSunday(int year)
{
    // The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    const int a = year % 19;
    const int b = year / 100;
    const int c = year % 100;
    const int d = b / 4;
    const int e = b % 4;
    const int f = (b + 8) / 25;
    const int g = (b - f + 1) / 3;
    const int h = (19 * a + b - d - g + 15) % 30;
    const int i = c / 4;
    const int k = c % 4;
    const int l = (32 + 2 * e + 2 * i - h - k) % 7;
    const int m = (a + 11 * h + 22 * l) / 451;
    const int month = (h + l - 7 * m + 114) / 31;
    const int day = ((h + l - 7 * m + 114) % 31) + 1;
    return {year, month, day};
}

std::optional<int> resolveHour(int hour, int minute, std::optional<bool> pm,
                               std::optional<DayPart> part)
{
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) {
        return std::nullopt;
    }
    int h = hour;
    if (hour >= 13 || hour == 0) {
        // Already a 24-hour reading; "14 pm" is read as 14:00 rather than refused.
    } else if (pm) {
        if (*pm) {
            h = hour == 12 ? 12 : hour + 12;
        } else {
            h = hour == 12 ? 0 : hour;
        }
    } else if (part) {
        if (*part != DayPart::Morning && hour < 12) {
            h = hour + 12;
        }
    } else if (hour <= 7) {
        // Shop hours: nobody books a fitting for 3 in the morning.
        h = hour + 12;
    }
    return h * 60 + minute;
}

} // namespace cc::intent
