#include "shared/intent/slots.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

namespace cc::intent {
namespace {

using Tokens = std::vector<Token>;

template <typename Range>
bool oneOf(std::string_view word, const Range& words)
{
    return std::find(std::begin(words), std::end(words), word) != std::end(words);
}

std::string_view wordAt(const Tokens& t, std::size_t i)
{
    return i < t.size() ? std::string_view(t[i].text) : std::string_view();
}

// The word `back` places before `i` within the same clause, or "".
std::string_view wordBefore(const Tokens& t, std::size_t i, std::size_t back = 1)
{
    std::size_t p = i;
    for (std::size_t k = 0; k < back; ++k) {
        if (p == 0 || p > t.size() || (p < t.size() && t[p].clauseStart)) {
            return {};
        }
        --p;
    }
    return t[p].text;
}

// Token `i` continues the clause of token `i - 1`.
bool continues(const Tokens& t, std::size_t i)
{
    return i < t.size() && !t[i].clauseStart;
}

std::optional<int> weekdayOf(std::string_view word)
{
    static constexpr std::string_view kNames[] = {"monday", "tuesday",  "wednesday", "thursday",
                                                  "friday", "saturday", "sunday"};
    for (std::size_t i = 0; i < std::size(kNames); ++i) {
        if (word == kNames[i] || (word.size() == kNames[i].size() + 1 && word.back() == 's' &&
                                  word.substr(0, kNames[i].size()) == kNames[i])) {
            return static_cast<int>(i) + 1;
        }
    }
    return std::nullopt;
}

std::optional<int> monthOf(std::string_view word)
{
    static constexpr std::pair<std::string_view, int> kNames[] = {
        {"january", 1},   {"jan", 1},   {"february", 2},  {"feb", 2},      {"march", 3},
        {"mar", 3},       {"april", 4}, {"apr", 4},       {"may", 5},      {"june", 6},
        {"jun", 6},       {"july", 7},  {"jul", 7},       {"august", 8},   {"aug", 8},
        {"september", 9}, {"sep", 9},   {"sept", 9},      {"october", 10}, {"oct", 10},
        {"november", 11}, {"nov", 11},  {"december", 12}, {"dec", 12},
    };
    for (const auto& [name, month] : kNames) {
        if (word == name) {
            return month;
        }
    }
    return std::nullopt;
}

std::optional<DayPart> partWord(std::string_view word)
{
    if (word == "morning" || word == "mornings") {
        return DayPart::Morning;
    }
    if (word == "afternoon" || word == "afternoons" || word == "lunchtime") {
        return DayPart::Afternoon;
    }
    if (word == "evening" || word == "evenings" || word == "night" || word == "nights") {
        return DayPart::Evening;
    }
    return std::nullopt;
}

// ---- Moments ----

struct Clock {
    int hour = 0;
    int minute = 0;
    std::optional<bool> pm;
    bool twentyFour = false; // "07:30", "14:00": no am/pm reading applies
};

struct Mention {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::optional<LocalDate> date;
    std::optional<Clock> clock;
    std::optional<DayPart> part;
};

Mention dateMention(std::size_t begin, std::size_t end, LocalDate date)
{
    Mention m;
    m.begin = begin;
    m.end = end;
    m.date = date;
    return m;
}

// A four-digit year right after a date ("may 14 2026").
std::size_t withYear(const Tokens& t, std::size_t end, LocalDate& date)
{
    if (continues(t, end) && t[end].number && t[end].digits.size() == 4 && *t[end].number >= 1900 &&
        *t[end].number <= 2200) {
        const LocalDate withGivenYear{*t[end].number, date.month, date.day};
        if (isValidDate(withGivenYear)) {
            date = withGivenYear;
            return end + 1;
        }
    }
    return end;
}

// "3/12", "05/05/2025", "3/12/25".
std::optional<Mention> numericDateAt(const Tokens& t, std::size_t i, const Reference& reference)
{
    const std::string& s = t[i].text;
    if (s.empty() || s.find('/') == std::string::npos) {
        return std::nullopt;
    }
    std::array<int, 3> parts{};
    std::size_t count = 0;
    std::size_t start = 0;
    while (start <= s.size() && count < 3) {
        const std::size_t slash = std::min(s.find('/', start), s.size());
        const std::string_view part(s.data() + start, slash - start);
        if (part.empty() || part.size() > 4 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::nullopt;
        }
        int value = 0;
        for (const char c : part) {
            value = value * 10 + (c - '0');
        }
        parts[count++] = value;
        start = slash + 1;
        if (slash == s.size()) {
            break;
        }
    }
    if (count < 2 || start < s.size()) {
        return std::nullopt;
    }
    std::optional<int> year;
    if (count == 3) {
        year = parts[2];
    }
    const auto date =
        resolveNumericDate(reference.today, parts[0], parts[1], year, reference.numericDates);
    if (!date) {
        return std::nullopt;
    }
    return dateMention(i, i + 1, *date);
}

// A day of the month at `i`: "14th", "fourteenth", "thirty first", or (`cardinalToo`) "14".
std::optional<int> dayNumberAt(const Tokens& t, std::size_t i, bool cardinalToo)
{
    if (i >= t.size()) {
        return std::nullopt;
    }
    if (t[i].ordinal && *t[i].ordinal >= 1 && *t[i].ordinal <= 31) {
        return t[i].ordinal;
    }
    if (cardinalToo && t[i].number && *t[i].number >= 1 && *t[i].number <= 31 &&
        t[i].digits.size() <= 2) {
        return t[i].number;
    }
    return std::nullopt;
}

// Dates with a day of the month: "december 3rd", "may the 5th", "the 3rd of june", "14 may",
// "the 14th", "14th".
std::optional<Mention> explicitDateAt(const Tokens& t, std::size_t i, const Reference& reference)
{
    if (i >= t.size()) {
        return std::nullopt;
    }
    if (auto numeric = numericDateAt(t, i, reference)) {
        return numeric;
    }
    const LocalDate& today = reference.today;
    // Month first.
    if (const auto month = monthOf(t[i].text)) {
        std::size_t j = i + 1;
        if (continues(t, j) && wordAt(t, j) == "the") {
            ++j;
        }
        if (continues(t, j)) {
            if (const auto day = dayNumberAt(t, j, true)) {
                if (auto date = nextMonthDay(today, *month, *day)) {
                    const std::size_t end = withYear(t, j + 1, *date);
                    return dateMention(i, end, *date);
                }
            }
        }
        return std::nullopt;
    }
    // Day first.
    std::size_t j = i;
    const bool the = wordAt(t, j) == "the";
    if (the) {
        ++j;
        if (!continues(t, j)) {
            return std::nullopt;
        }
    }
    const auto ordinal = dayNumberAt(t, j, false);
    const auto day = ordinal ? ordinal : dayNumberAt(t, j, true);
    if (!day) {
        return std::nullopt;
    }
    std::size_t k = j + 1;
    if (continues(t, k) && wordAt(t, k) == "of") {
        ++k;
    }
    if (continues(t, k)) {
        if (const auto month = monthOf(wordAt(t, k))) {
            if (auto date = nextMonthDay(today, *month, *day)) {
                const std::size_t end = withYear(t, k + 1, *date);
                return dateMention(i, end, *date);
            }
            return std::nullopt;
        }
    }
    if (!ordinal) {
        return std::nullopt; // "the 14" alone is too unsure
    }
    // A bare ordinal: "the 14th", "on the fourteenth", "14th". Ordinals in words need "the" or
    // "on" ("the first time" aside) so that "first thing" and "second" stay words.
    const std::string_view before = wordBefore(t, i);
    if (!t[j].numeric && !the && before != "on") {
        return std::nullopt;
    }
    if (!t[j].numeric && wordAt(t, j + 1) == "thing") {
        return std::nullopt;
    }
    if (const auto date = nextDayOfMonth(today, *day)) {
        return dateMention(i, j + 1, *date);
    }
    return std::nullopt;
}

std::optional<Mention> holidayAt(const Tokens& t, std::size_t i, const Reference& reference)
{
    const LocalDate& today = reference.today;
    const std::string_view w = wordAt(t, i);
    const std::string_view next = continues(t, i + 1) ? wordAt(t, i + 1) : std::string_view();
    const std::string_view after = continues(t, i + 2) ? wordAt(t, i + 2) : std::string_view();
    auto fixed = [&](int month, int day, std::size_t end) -> std::optional<Mention> {
        if (const auto date = nextMonthDay(today, month, day)) {
            return dateMention(i, end, *date);
        }
        return std::nullopt;
    };
    if (w == "christmas") {
        if (next == "eve") {
            return fixed(12, 24, i + 2);
        }
        return fixed(12, 25, next == "day" ? i + 2 : i + 1);
    }
    if (w == "boxing" && next == "day") {
        return fixed(12, 26, i + 2);
    }
    if (w == "new" && (next == "years" || next == "year")) {
        if (after == "eve") {
            return fixed(12, 31, i + 3);
        }
        return fixed(1, 1, after == "day" ? i + 3 : i + 2);
    }
    if (w == "halloween") {
        return fixed(10, 31, i + 1);
    }
    if ((w == "valentines" || w == "valentine") && next == "day") {
        return fixed(2, 14, i + 2);
    }
    int offset = 0;
    std::size_t end = 0;
    if (w == "easter") {
        offset = next == "monday" ? 1 : 0;
        end = next == "monday" || next == "sunday" || next == "day" ? i + 2 : i + 1;
    } else if (w == "good" && next == "friday") {
        offset = -2;
        end = i + 2;
    } else {
        return std::nullopt;
    }
    LocalDate date = addDays(easterSunday(today.year), offset);
    if (date < today) {
        date = addDays(easterSunday(today.year + 1), offset);
    }
    return dateMention(i, end, date);
}

std::optional<Mention> dateAt(const Tokens& t, std::size_t i, const Reference& reference)
{
    const LocalDate& today = reference.today;
    const std::string_view w = wordAt(t, i);
    const std::string_view next = continues(t, i + 1) ? wordAt(t, i + 1) : std::string_view();
    const std::string_view before = wordBefore(t, i);

    if (w == "day" && next == "after" && continues(t, i + 2) && wordAt(t, i + 2) == "tomorrow") {
        return dateMention(before == "the" ? i - 1 : i, i + 3, addDays(today, 2));
    }
    if (w == "today" || w == "todays" || (w == "now" && before != "for" && before != "by")) {
        return dateMention(i, i + 1, today);
    }
    if (w == "tonight") {
        Mention m = dateMention(i, i + 1, today);
        m.part = DayPart::Evening;
        return m;
    }
    if (w == "tomorrow" || w == "tomorrows") {
        return dateMention(i, i + 1, addDays(today, 1));
    }
    if (w == "this" && (next == "morning" || next == "afternoon" || next == "evening")) {
        Mention m = dateMention(i, i + 2, today);
        m.part = partWord(next);
        return m;
    }
    // "a week today", "a week from today", "a week tomorrow".
    if (w == "week" && (before == "a" || before == "one")) {
        const std::string_view after = continues(t, i + 2) ? wordAt(t, i + 2) : "";
        if (next == "today") {
            return dateMention(i - 1, i + 2, addDays(today, 7));
        }
        if (next == "tomorrow") {
            return dateMention(i - 1, i + 2, addDays(today, 8));
        }
        if (next == "from" && after == "today") {
            return dateMention(i - 1, i + 3, addDays(today, 7));
        }
    }
    // "in a week", "in a fortnight", "in 3 days", "in two weeks", "in a couple of days".
    if (w == "in" && continues(t, i + 1)) {
        std::size_t j = i + 1;
        int count = 0;
        if (wordAt(t, j) == "a" || wordAt(t, j) == "an") {
            count = 1;
            ++j;
            if (wordAt(t, j) == "couple" && wordAt(t, j + 1) == "of") {
                count = 2;
                j += 2;
            }
        } else if (t[j].number && *t[j].number >= 1 && *t[j].number <= 60) {
            count = *t[j].number;
            ++j;
        }
        if (count > 0 && continues(t, j)) {
            const std::string_view unit = wordAt(t, j);
            int days = 0;
            if (unit == "day" || unit == "days") {
                days = count;
            } else if (unit == "week" || unit == "weeks") {
                days = 7 * count;
            } else if (unit == "fortnight" || unit == "fortnights") {
                days = 14 * count;
            }
            if (days > 0) {
                return dateMention(i, j + 1, addDays(today, days));
            }
        }
    }
    if (const auto weekday = weekdayOf(w)) {
        std::size_t begin = i;
        LocalDate date = nextWeekday(today, *weekday);
        bool nextWeek = false;
        if (before == "next") {
            date = weekdayOfNextWeek(today, *weekday);
            begin = i - 1;
            nextWeek = true;
        } else if (before == "week" && wordBefore(t, i, 2) == "next") {
            date = weekdayOfNextWeek(today, *weekday);
            begin = i - 2;
            nextWeek = true;
        } else if (before == "this") {
            date = thisWeekday(today, *weekday);
            begin = i - 1;
        } else if (before == "coming") {
            begin = wordBefore(t, i, 2) == "this" ? i - 2 : i - 1;
        }
        std::size_t end = i + 1;
        // "friday the 9th of may": the day of the month wins.
        if (continues(t, end)) {
            if (const auto exact = explicitDateAt(t, end, reference)) {
                Mention m = *exact;
                m.begin = begin;
                return m;
            }
        }
        if (!nextWeek && continues(t, end) && wordAt(t, end) == "week") {
            date = addDays(date, 7); // "saturday week"
            ++end;
        } else if (!nextWeek && continues(t, end) && wordAt(t, end) == "after" &&
                   wordAt(t, end + 1) == "next") {
            date = addDays(date, 7);
            end += 2;
        }
        return dateMention(begin, end, date);
    }
    if (auto holiday = holidayAt(t, i, reference)) {
        return holiday;
    }
    return explicitDateAt(t, i, reference);
}

// "am"/"pm" (also "a m", "p m") at `i`: whether pm, and the end.
std::optional<std::pair<bool, std::size_t>> meridiemAt(const Tokens& t, std::size_t i)
{
    if (!continues(t, i)) {
        return std::nullopt;
    }
    const std::string_view w = wordAt(t, i);
    if (w == "am" || w == "pm") {
        return std::make_pair(w == "pm", i + 1);
    }
    if ((w == "a" || w == "p") && continues(t, i + 1) && wordAt(t, i + 1) == "m") {
        return std::make_pair(w == "p", i + 2);
    }
    return std::nullopt;
}

std::optional<int> hourAt(const Tokens& t, std::size_t i)
{
    if (!continues(t, i) || !t[i].number || t[i].digits.size() > 2) {
        return std::nullopt;
    }
    const int h = *t[i].number;
    return h >= 1 && h <= 12 ? std::optional<int>(h) : std::nullopt;
}

bool isTimePreposition(std::string_view word)
{
    static constexpr std::string_view kWords[] = {"at",  "around", "about", "by",     "from",
                                                  "to",  "till",   "until", "before", "after",
                                                  "for", "maybe",  "say",   "til",    "approx"};
    return oneOf(word, kWords);
}

// Words after a number that make it a count or a duration, not a time.
bool isCountUnit(std::string_view word)
{
    static constexpr std::string_view kWords[] = {
        "of",     "pairs", "pair",    "x",      "days",   "day",    "weeks",  "week",
        "hours",  "hour",  "minutes", "minute", "mins",   "people", "person", "percent",
        "pounds", "quid",  "dollars", "items",  "pieces", "months", "years",  "and"};
    return oneOf(word, kWords);
}

Mention clockMention(std::size_t begin, std::size_t end, Clock clock)
{
    Mention m;
    m.begin = begin;
    m.end = end;
    m.clock = clock;
    return m;
}

// "14:30", "9:30", "10.30" (the dotted form only next to am/pm or after "at").
std::optional<Clock> colonClock(const Token& token, bool dotAllowed)
{
    const std::string& s = token.text;
    std::size_t sep = s.find(':');
    if (sep == std::string::npos && dotAllowed) {
        sep = s.find('.');
    }
    if (sep == std::string::npos || sep == 0 || sep > 2 || s.size() != sep + 3) {
        return std::nullopt;
    }
    int hour = 0;
    for (std::size_t k = 0; k < sep; ++k) {
        if (s[k] < '0' || s[k] > '9') {
            return std::nullopt;
        }
        hour = hour * 10 + (s[k] - '0');
    }
    if (s[sep + 1] < '0' || s[sep + 1] > '9' || s[sep + 2] < '0' || s[sep + 2] > '9') {
        return std::nullopt;
    }
    const int minute = (s[sep + 1] - '0') * 10 + (s[sep + 2] - '0');
    if (hour > 23 || minute > 59) {
        return std::nullopt;
    }
    Clock clock{hour, minute, std::nullopt, sep == 2 && s[0] == '0'};
    return clock;
}

std::optional<Mention> timeAt(const Tokens& t, std::size_t i)
{
    const std::string_view w = wordAt(t, i);
    const std::string_view before = wordBefore(t, i);
    if (w == "noon" || w == "midday") {
        return clockMention(i, i + 1, Clock{12, 0, true, false});
    }
    if (w == "midnight") {
        return clockMention(i, i + 1, Clock{0, 0, std::nullopt, true});
    }
    if (w == "half") {
        if (continues(t, i + 1) && wordAt(t, i + 1) == "past") {
            if (const auto h = hourAt(t, i + 2)) {
                return clockMention(i, i + 3, Clock{*h, 30, std::nullopt, false});
            }
        } else if (before != "and" && before != "a" && before != "one") {
            if (const auto h = hourAt(t, i + 1)) {
                return clockMention(i, i + 2, Clock{*h, 30, std::nullopt, false}); // "half ten"
            }
        }
        return std::nullopt;
    }
    if (w == "quarter" && continues(t, i + 1)) {
        const std::string_view direction = wordAt(t, i + 1);
        if (direction == "past" || direction == "to") {
            if (const auto h = hourAt(t, i + 2)) {
                const std::size_t begin = before == "a" ? i - 1 : i;
                if (direction == "past") {
                    return clockMention(begin, i + 3, Clock{*h, 15, std::nullopt, false});
                }
                return clockMention(begin, i + 3,
                                    Clock{*h == 1 ? 12 : *h - 1, 45, std::nullopt, false});
            }
        }
        return std::nullopt;
    }
    if (i >= t.size()) {
        return std::nullopt;
    }
    const Token& token = t[i];
    // "ten past four", "twenty five to five".
    if (token.number && continues(t, i + 1)) {
        const int m = *token.number;
        std::size_t j = i + 1;
        if (wordAt(t, j) == "minutes" || wordAt(t, j) == "mins") {
            ++j;
        }
        const std::string_view direction = continues(t, j) ? wordAt(t, j) : "";
        if ((m == 5 || m == 10 || m == 20 || m == 25) &&
            (direction == "past" ||
             (direction == "to" && before != "from" && before != "between"))) {
            if (const auto h = hourAt(t, j + 1)) {
                if (direction == "past") {
                    return clockMention(i, j + 2, Clock{*h, m, std::nullopt, false});
                }
                return clockMention(i, j + 2,
                                    Clock{*h == 1 ? 12 : *h - 1, 60 - m, std::nullopt, false});
            }
        }
    }
    // "make it 4" in a move is a time as much as "at 4" is.
    const bool afterPreposition =
        isTimePreposition(before) || (before == "it" && wordBefore(t, i, 2) == "make");
    // "open till 9": an end time in a shop's day is the evening one.
    const bool untilHour = before == "till" || before == "until" || before == "til";
    if (token.numeric && !token.number) {
        const bool meridiemNext = meridiemAt(t, i + 1).has_value();
        if (auto clock = colonClock(token, meridiemNext || afterPreposition)) {
            std::size_t end = i + 1;
            if (const auto meridiem = meridiemAt(t, end)) {
                clock->pm = meridiem->first;
                clock->twentyFour = false;
                end = meridiem->second;
            }
            return clockMention(i, end, *clock);
        }
        return std::nullopt;
    }
    if (!token.number || token.digits.size() > 2 || *token.number > 23) {
        return std::nullopt;
    }
    const int hour = *token.number;
    const std::size_t j = i + 1;
    if (hour >= 1 && hour <= 12) {
        if (const auto meridiem = meridiemAt(t, j)) {
            return clockMention(i, meridiem->second, Clock{hour, 0, meridiem->first, false});
        }
        if (continues(t, j) && wordAt(t, j) == "oclock") {
            std::size_t end = j + 1;
            std::optional<bool> pm;
            if (const auto meridiem = meridiemAt(t, end)) {
                pm = meridiem->first;
                end = meridiem->second;
            }
            return clockMention(i, end, Clock{hour, 0, pm, false});
        }
        if (hour == 12 && continues(t, j) && (wordAt(t, j) == "noon" || wordAt(t, j) == "midday")) {
            return clockMention(i, j + 1, Clock{12, 0, true, false});
        }
        // "four thirty", "9 30", "nine oh five", then maybe am/pm.
        if (continues(t, j) && t[j].number && !t[j].clauseStart) {
            int minute = -1;
            std::size_t end = j + 1;
            const Token& m = t[j];
            if ((m.text == "oh" || m.text == "o") && continues(t, j + 1) && t[j + 1].number &&
                *t[j + 1].number >= 1 && *t[j + 1].number <= 9) {
                minute = *t[j + 1].number;
                end = j + 2;
            } else if (*m.number >= 10 && *m.number <= 59 && (!m.numeric || m.digits.size() == 2)) {
                minute = *m.number;
            }
            if (minute >= 0) {
                const auto meridiem = meridiemAt(t, end);
                const bool spoken = !token.numeric && !m.numeric;
                if (meridiem || afterPreposition || spoken) {
                    Clock clock{hour, minute, std::nullopt, false};
                    if (meridiem) {
                        clock.pm = meridiem->first;
                        end = meridiem->second;
                    }
                    return clockMention(i, end, clock);
                }
            }
        }
    }
    if (afterPreposition && hour >= 1 && !(continues(t, j) && isCountUnit(wordAt(t, j)))) {
        if (hour <= 12 || token.numeric) {
            std::optional<bool> pm;
            if (untilHour && hour < 12) {
                pm = true;
            }
            return clockMention(i, j, Clock{hour, 0, pm, hour > 12});
        }
    }
    return std::nullopt;
}

std::optional<Mention> partAt(const Tokens& t, std::size_t i)
{
    const std::string_view w = wordAt(t, i);
    const std::string_view next = continues(t, i + 1) ? wordAt(t, i + 1) : std::string_view();
    Mention m;
    m.begin = i;
    m.end = i + 1;
    if (const auto part = partWord(w)) {
        m.part = part;
        return m;
    }
    if (w == "lunch" && next == "time") {
        m.part = DayPart::Afternoon;
        m.end = i + 2;
        return m;
    }
    if (w == "first" && next == "thing") {
        m.part = DayPart::Morning;
        m.end = i + 2;
        return m;
    }
    if (w == "after" && next == "work") {
        m.part = DayPart::Evening;
        m.end = i + 2;
        return m;
    }
    return std::nullopt;
}

// Words between two mentions that make them two moments: "from friday to monday".
bool separatesMoments(std::string_view word)
{
    static constexpr std::string_view kWords[] = {"to",   "till",   "until", "from", "instead",
                                                  "or",   "rather", "than",  "but",  "and",
                                                  "then", "not",    "til"};
    return oneOf(word, kWords);
}

std::vector<Moment> findMoments(const Tokens& t, std::vector<bool>& claimed,
                                const Reference& reference)
{
    std::vector<Mention> mentions;
    std::size_t i = 0;
    while (i < t.size()) {
        if (claimed[i]) {
            ++i;
            continue;
        }
        std::optional<Mention> m = dateAt(t, i, reference);
        if (!m) {
            m = timeAt(t, i);
        }
        if (!m) {
            m = partAt(t, i);
        }
        if (!m || m->end <= i) {
            ++i;
            continue;
        }
        bool free = true;
        for (std::size_t k = m->begin; k < m->end && k < t.size(); ++k) {
            free = free && !claimed[k];
        }
        if (!free) {
            ++i;
            continue;
        }
        for (std::size_t k = m->begin; k < m->end && k < t.size(); ++k) {
            claimed[k] = true;
        }
        i = m->end;
        mentions.push_back(*m);
    }

    // Mentions next to each other in one clause make one moment ("on the 12th at 11").
    std::vector<Mention> grouped;
    for (const Mention& m : mentions) {
        if (!grouped.empty()) {
            Mention& current = grouped.back();
            const bool conflict =
                (m.date && current.date) || (m.clock && current.clock) || (m.part && current.part);
            bool separated = m.begin < t.size() && t[m.begin].clauseStart;
            for (std::size_t k = current.end; k < m.begin && !separated; ++k) {
                separated = t[k].clauseStart || separatesMoments(t[k].text);
            }
            if (!conflict && !separated && m.begin - current.end <= 4) {
                current.end = m.end;
                if (m.date) {
                    current.date = m.date;
                }
                if (m.clock) {
                    current.clock = m.clock;
                }
                if (m.part) {
                    current.part = m.part;
                }
                continue;
            }
        }
        grouped.push_back(m);
    }

    std::vector<Moment> moments;
    for (const Mention& m : grouped) {
        Moment moment;
        moment.begin = m.begin;
        moment.end = m.end;
        moment.date = m.date;
        if (m.clock) {
            std::optional<bool> pm = m.clock->pm;
            if (m.clock->twentyFour && !pm && m.clock->hour < 12) {
                pm = false; // "07:30" is morning whatever the shop hours say
            }
            moment.minuteOfDay = resolveHour(m.clock->hour, m.clock->minute, pm, m.part);
        }
        if (!moment.minuteOfDay) {
            moment.dayPart = m.part;
        }
        // "from tuesday", "monday instead of friday", "rather than friday".
        std::size_t k = m.begin;
        int skipped = 0;
        while (k > 0 && !t[k].clauseStart && skipped < 3) {
            const std::string_view w = t[k - 1].text;
            if (w == "from") {
                moment.replaced = true;
                break;
            }
            if ((w == "of" && k >= 2 && t[k - 2].text == "instead") ||
                (w == "than" && k >= 2 && t[k - 2].text == "rather")) {
                moment.replaced = true;
                break;
            }
            if (w != "on" && w != "the" && w != "my" && w != "at" && w != "for") {
                break;
            }
            --k;
            ++skipped;
        }
        // "the 9th doesn't work for me any more": the one being replaced, whatever the order.
        if (!moment.replaced && continues(t, m.end) && continues(t, m.end + 1)) {
            const std::string_view no = t[m.end].text;
            const std::string_view verb = t[m.end + 1].text;
            if ((no == "doesnt" || no == "dont" || no == "wont" || no == "isnt") &&
                (verb == "work" || verb == "suit" || verb == "do")) {
                moment.replaced = true;
            }
        }
        if (moment.date || moment.minuteOfDay || moment.dayPart) {
            moments.push_back(moment);
        }
    }
    return moments;
}

// ---- Sizes, quantities, colours ----

struct Found {
    std::string value;
    std::size_t begin = 0;
    std::size_t end = 0;
    int count = 0; // quantities
};

// "small", "extra large", "xl", "double xl"; `shortToo` also allows "s", "m", "l".
std::optional<Found> letterSizeAt(const Tokens& t, std::size_t i, bool shortToo)
{
    if (i >= t.size()) {
        return std::nullopt;
    }
    const std::string_view w = t[i].text;
    const std::string_view next = continues(t, i + 1) ? wordAt(t, i + 1) : std::string_view();
    const std::string_view after = continues(t, i + 2) ? wordAt(t, i + 2) : std::string_view();
    auto found = [&](std::string_view value, std::size_t length) {
        return Found{std::string(value), i, i + length};
    };
    if (w == "extra" || w == "x") {
        if (next == "small") {
            return found("xs", 2);
        }
        if (next == "large") {
            return found("xl", 2);
        }
        if (w == "extra" && next == "extra" && after == "large") {
            return found("xxl", 3);
        }
        return std::nullopt;
    }
    if (w == "xx" && next == "large") {
        return found("xxl", 2);
    }
    if (w == "double" || w == "triple") {
        const bool triple = w == "triple";
        if (next == "xl") {
            return found(triple ? "xxxl" : "xxl", 2);
        }
        if ((next == "extra" || next == "x") && after == "large") {
            return found(triple ? "xxxl" : "xxl", 3);
        }
        return std::nullopt;
    }
    static constexpr std::pair<std::string_view, std::string_view> kWords[] = {
        {"xs", "xs"}, {"xsmall", "xs"}, {"small", "s"}, {"medium", "m"},    {"large", "l"},
        {"xl", "xl"}, {"xlarge", "xl"}, {"xxl", "xxl"}, {"xxlarge", "xxl"}, {"xxxl", "xxxl"},
    };
    for (const auto& [word, size] : kWords) {
        if (w == word) {
            return found(size, 1);
        }
    }
    if (shortToo) {
        static constexpr std::pair<std::string_view, std::string_view> kShort[] = {
            {"s", "s"}, {"sm", "s"}, {"m", "m"}, {"med", "m"}, {"l", "l"}, {"lg", "l"},
        };
        for (const auto& [word, size] : kShort) {
            if (w == word) {
                return found(size, 1);
            }
        }
    }
    return std::nullopt;
}

// A numeric size: "10", "nine", "9.5", "nine and a half", "9 and a half".
std::optional<Found> numberSizeAt(const Tokens& t, std::size_t i)
{
    if (i >= t.size()) {
        return std::nullopt;
    }
    const Token& token = t[i];
    if (token.numeric && !token.number) {
        // "9.5"
        const std::string& s = token.text;
        const std::size_t dot = s.find('.');
        if (dot != std::string::npos && dot > 0 && dot <= 2 && s.size() == dot + 2 &&
            s.find_first_not_of("0123456789.") == std::string::npos) {
            return Found{s, i, i + 1};
        }
        return std::nullopt;
    }
    if (!token.number || *token.number < 0 || *token.number > 60 || token.digits.size() > 2) {
        return std::nullopt;
    }
    if (continues(t, i + 1) && meridiemAt(t, i + 1)) {
        return std::nullopt;
    }
    std::string value = std::to_string(*token.number);
    std::size_t end = i + 1;
    if (continues(t, end) && wordAt(t, end) == "and" && wordAt(t, end + 1) == "a" &&
        wordAt(t, end + 2) == "half") {
        value += ".5";
        end += 3;
    } else if (continues(t, end) && wordAt(t, end) == "half") {
        value += ".5"; // "nine half" as typed
        end += 1;
    }
    return Found{value, i, end};
}

std::optional<Found> sizeAt(const Tokens& t, std::size_t i)
{
    const std::string_view w = wordAt(t, i);
    if (w == "size" || w == "sz" || w == "sized") {
        std::size_t j = i + 1;
        if (wordAt(t, j) == "uk" || wordAt(t, j) == "us" || wordAt(t, j) == "eu") {
            ++j;
        }
        if (!continues(t, j)) {
            return std::nullopt;
        }
        auto value = letterSizeAt(t, j, true);
        if (!value) {
            value = numberSizeAt(t, j);
        }
        if (value) {
            value->begin = i;
            return value;
        }
        return std::nullopt;
    }
    if (w == "age" || w == "ages" || w == "uk" || w == "eu" || w == "euro") {
        if (continues(t, i + 1)) {
            if (auto value = numberSizeAt(t, i + 1)) {
                value->begin = i;
                return value;
            }
        }
        return std::nullopt;
    }
    if (w == "in" && continues(t, i + 1)) {
        std::size_t j = i + 1;
        const bool article = wordAt(t, j) == "a" || wordAt(t, j) == "an";
        if (article) {
            ++j;
        }
        if (!continues(t, j)) {
            return std::nullopt;
        }
        if (wordAt(t, j) == "size") {
            if (auto value = sizeAt(t, j)) {
                value->begin = i;
                return value;
            }
            return std::nullopt;
        }
        auto value = letterSizeAt(t, j, article);
        if (!value && article) {
            value = numberSizeAt(t, j); // "in a 10"
        }
        if (value) {
            value->begin = i;
            return value;
        }
        return std::nullopt;
    }
    return letterSizeAt(t, i, false);
}

std::optional<Found> quantityAt(const Tokens& t, std::size_t i)
{
    const std::string_view w = wordAt(t, i);
    const std::string_view next = continues(t, i + 1) ? wordAt(t, i + 1) : std::string_view();
    if (w == "couple" && next == "of") {
        return Found{"2", wordBefore(t, i) == "a" ? i - 1 : i, i + 2, 2};
    }
    if (w == "dozen") {
        return Found{"12", wordBefore(t, i) == "a" ? i - 1 : i, i + 1, 12};
    }
    if (w == "x" && continues(t, i + 1) && t[i + 1].number && *t[i + 1].number >= 1 &&
        *t[i + 1].number <= 99 && t[i + 1].numeric) {
        return Found{std::to_string(*t[i + 1].number), i, i + 2, *t[i + 1].number};
    }
    if (i >= t.size() || !t[i].number || *t[i].number < 1 || *t[i].number > 99 ||
        t[i].text == "oh" || t[i].text == "o") {
        return std::nullopt;
    }
    const std::string value = std::to_string(*t[i].number);
    static constexpr std::string_view kUnits[] = {"of",   "pairs", "pair",  "packs",  "pack", "x",
                                                  "sets", "units", "boxes", "pieces", "lots"};
    if (oneOf(next, kUnits)) {
        return Found{value, i, i + 1, *t[i].number};
    }
    // "4 chairs", "two red mugs": a count right before the thing.
    if (!next.empty() && !isStopWord(next) && !t[i + 1].number && !t[i + 1].ordinal &&
        !t[i + 1].numeric && t[i].text != "one") {
        return Found{value, i, i + 1, *t[i].number};
    }
    return std::nullopt;
}

constexpr std::string_view kColours[] = {
    "black", "white",  "red",     "blue",     "green",   "yellow",      "pink",          "purple",
    "grey",  "brown",  "beige",   "orange",   "navy",    "khaki",       "olive",         "tan",
    "cream", "silver", "gold",    "burgundy", "maroon",  "teal",        "turquoise",     "charcoal",
    "ivory", "lilac",  "mint",    "coral",    "mustard", "lavender",    "camel",         "nude",
    "rust",  "indigo", "magenta", "violet",   "taupe",   "multicolour", "multicoloured", "aqua"};
constexpr std::string_view kShades[] = {"light", "dark", "pale", "bright", "baby",   "royal",
                                        "sky",   "hot",  "deep", "bottle", "forest", "neon"};

bool isColour(std::string_view word)
{
    return oneOf(word, kColours);
}

std::optional<Found> colourAt(const Tokens& t, std::size_t i)
{
    const std::string_view w = wordAt(t, i);
    const std::string_view next = continues(t, i + 1) ? wordAt(t, i + 1) : std::string_view();
    if (oneOf(w, kShades) && isColour(next)) {
        return Found{std::string(w) + " " + std::string(next), i, i + 2};
    }
    if (!isColour(w)) {
        return std::nullopt;
    }
    if (next == "friday") {
        return std::nullopt; // "black friday" is a day, not a colour
    }
    // "navy blue" is navy, "olive green" olive: the shade says it all.
    if ((next == "blue" && (w == "navy" || w == "teal" || w == "turquoise")) ||
        (next == "green" && (w == "olive" || w == "mint" || w == "khaki"))) {
        return Found{std::string(w), i, i + 2};
    }
    return Found{w == "multicoloured" ? "multicolour" : std::string(w), i, i + 1};
}

// ---- Order numbers ----

bool isOrderTrigger(std::string_view word)
{
    return word == "order" || word == "orders" || word == "reference" || word == "ref" ||
           word == "tracking" || word == "confirmation";
}

bool isOrderFiller(std::string_view word)
{
    static constexpr std::string_view kWords[] = {
        "number", "no", "num", "nr",   "id",      "is",  "its", "it",        "was",    "status",
        "the",    "my", "ref", "code", "details", "for", "of",  "reference", "numbers"};
    return oneOf(word, kWords);
}

std::string upperAlnum(std::string_view s)
{
    std::string out;
    for (const char c : s) {
        if (c >= 'a' && c <= 'z') {
            out += static_cast<char>(c - 'a' + 'A');
        } else if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
            out += c;
        }
    }
    return out;
}

std::size_t countDigits(std::string_view s)
{
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

// An order code at `i`: "#A-7781", "a1029", "10234", "one zero two three four", "double seven
// three oh one", "a one two three four".
std::optional<Found> orderCodeAt(const Tokens& t, std::size_t i)
{
    if (i >= t.size()) {
        return std::nullopt;
    }
    const std::string& s = t[i].text;
    const bool hasLetter =
        std::any_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    const std::size_t digitCount = countDigits(s);
    if (!s.empty() && (s.front() == '#' || (hasLetter && digitCount > 0)) &&
        s.find_first_of(":/.") == std::string::npos) {
        std::string code = upperAlnum(s);
        std::size_t end = i + 1;
        // "#55" "102" said in two parts: keep reading digits.
        while (continues(t, end) && !t[end].digits.empty() && t[end].numeric && code.size() < 24) {
            code += t[end].digits;
            ++end;
        }
        if (countDigits(code) >= 3 && code.size() <= 24) {
            return Found{code, i, end};
        }
        return std::nullopt;
    }
    std::string code;
    std::size_t j = i;
    if (s.size() == 1 && s[0] >= 'a' && s[0] <= 'z' && continues(t, i + 1) &&
        !t[i + 1].digits.empty()) {
        code += static_cast<char>(s[0] - 'a' + 'A'); // "a one two three four"
        ++j;
    }
    while (j < t.size() && (j == i || continues(t, j)) && code.size() < 24) {
        const Token& token = t[j];
        if ((token.text == "double" || token.text == "triple") && continues(t, j + 1) &&
            t[j + 1].digits.size() == 1) {
            const int times = token.text == "double" ? 2 : 3;
            for (int k = 0; k < times; ++k) {
                code += t[j + 1].digits;
            }
            j += 2;
            continue;
        }
        if (token.digits.empty() ||
            (token.numeric && token.text.find_first_not_of("0123456789") != std::string::npos)) {
            break;
        }
        code += token.digits;
        ++j;
    }
    if (countDigits(code) >= 3 && code.size() <= 24) {
        return Found{code, i, j};
    }
    return std::nullopt;
}

std::optional<Found> findOrderNumber(const Tokens& t)
{
    bool orderTalk = false;
    for (const Token& token : t) {
        orderTalk = orderTalk || token.text == "order" || token.text == "ordered" ||
                    token.text == "delivery" || token.text == "parcel" || token.text == "package";
    }
    for (std::size_t i = 0; i < t.size(); ++i) {
        const std::string_view w = t[i].text;
        const bool trigger = isOrderTrigger(w) || (orderTalk && w == "number");
        if (!trigger) {
            continue;
        }
        std::size_t j = i + 1;
        int skipped = 0;
        while (continues(t, j) && isOrderFiller(t[j].text) && skipped < 4) {
            ++j;
            ++skipped;
        }
        if (j < t.size()) {
            if (auto code = orderCodeAt(t, j)) {
                return code;
            }
        }
    }
    // "#55102" anywhere.
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (!t[i].text.empty() && t[i].text.front() == '#') {
            if (auto code = orderCodeAt(t, i)) {
                return code;
            }
        }
    }
    return std::nullopt;
}

void claim(std::vector<bool>& claimed, const Found& found)
{
    for (std::size_t k = found.begin; k < found.end && k < claimed.size(); ++k) {
        claimed[k] = true;
    }
}

bool isFree(const std::vector<bool>& claimed, const Found& found)
{
    for (std::size_t k = found.begin; k < found.end && k < claimed.size(); ++k) {
        if (claimed[k]) {
            return false;
        }
    }
    return true;
}

} // namespace

bool isStopWord(std::string_view word)
{
    static constexpr std::string_view kWords[] = {
        // fillers and politeness
        "yeah", "yes", "yep", "yup", "hi", "hiya", "hey", "hello", "ok", "okay", "so", "well",
        "right", "please", "thanks", "thank", "cheers", "sorry", "just", "actually", "basically",
        "quick", "question", "wondering", "wonder", "wondered", "like", "oh", "um", "mate", "love",
        "guys", "folks", "there", "hullo", "morning", "afternoon", "evening", "good",
        // pronouns and articles
        "i", "me", "my", "mine", "myself", "we", "us", "our", "you", "your", "youre", "youve",
        "yall", "ya", "he", "she", "him", "her", "his", "they", "them", "their", "it", "its",
        "this", "that", "these", "those", "a", "an", "the", "any", "some", "more", "another",
        "other", "else", "same", "all", "one", "anything", "something", "thing", "things",
        "someone", "somebody", "anyone", "anybody", "everyone",
        // prepositions and conjunctions
        "of", "in", "on", "at", "for", "to", "from", "with", "by", "about", "and", "or", "but",
        "if", "as", "than", "then", "into", "over", "up", "down", "off", "out", "back", "near",
        // verbs of asking
        "do", "does", "did", "doing", "dont", "doesnt", "didnt", "have", "has", "had", "havent",
        "hasnt", "got", "get", "getting", "gotten", "can", "cant", "could", "would", "will", "wont",
        "should", "may", "might", "must", "need", "needs", "needed", "want", "wanted", "wants",
        "looking", "look", "find", "see", "saw", "seen", "check", "checking", "tell", "know", "let",
        "is", "are", "was", "were", "be", "been", "being", "am", "id", "ive", "ill", "buy",
        "buying", "bought", "order", "try", "trying", "help", "ask", "asking", "carry", "comes",
        "sell", "selling", "stock", "stocked", "stocks", "restock", "inventory", "available",
        "availability", "left", "sold", "chance", "call", "calling", "come", "coming",
        // adverbs and question words
        "still", "also", "too", "very", "really", "much", "many", "how", "what", "whats", "when",
        "where", "wheres", "which", "who", "why", "not", "no", "now", "today", "yet", "currently",
        "anymore", "maybe", "perhaps",
        // places and amounts
        "store", "stores", "shop", "shops", "branch", "website", "online", "site", "here", "size",
        "sizes", "age", "pair", "pairs", "couple", "few", "lot", "lots", "x", "item", "items",
        "please", "pm", "oclock", "daughter", "son", "wife", "husband", "mum", "dad", "friend",
        "kid", "child"};
    // Not "ones": a product word in "air force ones" (findItem drops it only at the end).
    return oneOf(word, kWords);
}

std::vector<std::size_t> clauseIndexes(const std::vector<Token>& tokens)
{
    std::vector<std::size_t> clauses(tokens.size(), 0);
    std::size_t clause = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].clauseStart && i > 0) {
            ++clause;
        }
        clauses[i] = clause;
    }
    return clauses;
}

SlotScan scanSlots(const std::vector<Token>& tokens, const Reference& reference)
{
    SlotScan scan;
    scan.claimed.assign(tokens.size(), false);
    if (const auto order = findOrderNumber(tokens)) {
        scan.orderNumber = order->value;
        claim(scan.claimed, *order);
    }
    scan.moments = findMoments(tokens, scan.claimed, reference);
    for (std::size_t i = 0; i < tokens.size() && scan.size.empty(); ++i) {
        if (const auto size = sizeAt(tokens, i); size && isFree(scan.claimed, *size)) {
            scan.size = size->value;
            claim(scan.claimed, *size);
        }
    }
    for (std::size_t i = 0; i < tokens.size() && !scan.quantity; ++i) {
        if (scan.claimed[i]) {
            continue;
        }
        if (const auto quantity = quantityAt(tokens, i);
            quantity && isFree(scan.claimed, *quantity)) {
            scan.quantity = quantity->count;
            claim(scan.claimed, *quantity);
        }
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (scan.claimed[i]) {
            continue;
        }
        if (const auto colour = colourAt(tokens, i); colour && isFree(scan.claimed, *colour)) {
            if (std::find(scan.colours.begin(), scan.colours.end(), colour->value) ==
                scan.colours.end()) {
                scan.colours.push_back(colour->value);
            }
            claim(scan.claimed, *colour);
            i = colour->end - 1;
        }
    }
    return scan;
}

std::string findItem(const std::vector<Token>& tokens, SlotScan& scan,
                     std::optional<std::size_t> preferredClause)
{
    const auto clauses = clauseIndexes(tokens);
    auto wordOfItem = [&](std::size_t i) {
        const Token& token = tokens[i];
        return !scan.claimed[i] && !token.number && !token.ordinal && !token.numeric &&
               !token.text.empty() && !isStopWord(token.text) && !isColour(token.text);
    };
    std::size_t bestBegin = 0;
    std::size_t bestEnd = 0;
    int bestScore = 0;
    std::size_t i = 0;
    while (i < tokens.size()) {
        if (!wordOfItem(i)) {
            ++i;
            continue;
        }
        std::size_t end = i + 1;
        while (end < tokens.size() && clauses[end] == clauses[i]) {
            if (wordOfItem(end)) {
                ++end;
                continue;
            }
            // A number inside a product name ("levis 501 jeans").
            if (!scan.claimed[end] && tokens[end].numeric && end + 1 < tokens.size() &&
                clauses[end + 1] == clauses[i] && wordOfItem(end + 1)) {
                end += 2;
                continue;
            }
            break;
        }
        std::size_t last = end;
        // "the noise cancelling ones", "the padded ones": after a describing word, "ones"
        // refers back and names nothing; "air force ones" keeps it.
        if (last - i > 1 && tokens[last - 1].text == "ones") {
            const std::string_view before = tokens[last - 2].text;
            const auto endsWith = [&](std::string_view suffix) {
                return before.size() > suffix.size() + 1 &&
                       before.substr(before.size() - suffix.size()) == suffix;
            };
            if (endsWith("ing") || endsWith("ed")) {
                --last;
            }
        }
        const int length = static_cast<int>(last - i);
        const int score = length * 2 + (preferredClause && clauses[i] == *preferredClause ? 3 : 0);
        if (length > 0 && (tokens[i].text != "ones" || length > 1) && score > bestScore) {
            bestScore = score;
            bestBegin = i;
            bestEnd = last;
        }
        i = end;
    }
    if (bestScore == 0) {
        return {};
    }
    std::string item;
    for (std::size_t k = bestBegin; k < bestEnd; ++k) {
        if (!item.empty()) {
            item += ' ';
        }
        item += tokens[k].text;
    }
    // "navy chinos 32": a bare number right after the product is its size.
    if (scan.size.empty() && bestEnd < tokens.size() && !scan.claimed[bestEnd] &&
        !tokens[bestEnd].clauseStart && tokens[bestEnd].numeric && tokens[bestEnd].number &&
        *tokens[bestEnd].number >= 1 && *tokens[bestEnd].number <= 60 &&
        (bestEnd + 1 == tokens.size() || tokens[bestEnd + 1].clauseStart ||
         isStopWord(tokens[bestEnd + 1].text))) {
        scan.size = tokens[bestEnd].digits;
        scan.claimed[bestEnd] = true;
    }
    return item;
}

When parseWhen(std::string_view phrase, const Reference& reference)
{
    const auto tokens = tokenize(phrase);
    std::vector<bool> claimed(tokens.size(), false);
    const auto moments = findMoments(tokens, claimed, reference);
    if (moments.empty()) {
        return {};
    }
    return {moments.front().date, moments.front().minuteOfDay, moments.front().dayPart};
}

std::string parseSize(std::string_view phrase)
{
    const auto tokens = tokenize(phrase);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (const auto size = sizeAt(tokens, i)) {
            return size->value;
        }
    }
    return {};
}

std::optional<int> parseQuantity(std::string_view phrase)
{
    const auto tokens = tokenize(phrase);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (const auto quantity = quantityAt(tokens, i)) {
            return quantity->count;
        }
    }
    return std::nullopt;
}

std::vector<std::string> parseColours(std::string_view phrase)
{
    const auto tokens = tokenize(phrase);
    return scanSlots(tokens, Reference{{2000, 1, 1}, 0, NumericDateOrder::Nearest}).colours;
}

std::string parseOrderNumber(std::string_view phrase)
{
    const auto tokens = tokenize(phrase);
    const auto order = findOrderNumber(tokens);
    return order ? order->value : std::string();
}

} // namespace cc::intent
