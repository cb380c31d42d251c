// Intent detection (shared/intent): the calendar rules, the date, time, number, size, colour,
// quantity and order-number parsers table by table, the labelled sets in tests/data/ with their
// precision and recall floors, and robustness on any input.
//
// Built with QT_NO_KEYWORDS (tests/CMakeLists.txt): Qt's `slots` macro would otherwise eat
// `Detection::slots`. Any Qt code that reads a detection's slots needs the same, or Q_SLOTS.

#include "shared/intent/datetime.h"
#include "shared/intent/evaluation.h"
#include "shared/intent/intent.h"
#include "shared/intent/slots.h"
#include "shared/intent/text.h"

#include <QFile>
#include <QTest>

#include <cstdint>
#include <string>

using namespace cc::intent;

namespace {

// The labelled sets' reference: Wednesday 2025-04-30, 10:15.
const Reference kWednesday{{2025, 4, 30}, 10 * 60 + 15, NumericDateOrder::Nearest};
const Reference kSaturday{{2025, 5, 3}, 9 * 60, NumericDateOrder::Nearest};
const Reference kSunday{{2025, 5, 4}, 9 * 60, NumericDateOrder::Nearest};
const Reference kLeapDay{{2024, 2, 28}, 12 * 60, NumericDateOrder::Nearest};
const Reference kNewYearsEve{{2025, 12, 31}, 16 * 60, NumericDateOrder::Nearest};

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

QString iso(const std::optional<LocalDate>& date)
{
    return date ? q(toIsoString(*date)) : QString();
}

QString hhmm(const std::optional<int>& minute)
{
    return minute ? q(formatMinuteOfDay(*minute)) : QString();
}

QString part(const std::optional<DayPart>& p)
{
    return p ? q(std::string(toString(*p))) : QString();
}

const Reference& referenceNamed(const QString& name)
{
    if (name == "sat") {
        return kSaturday;
    }
    if (name == "sun") {
        return kSunday;
    }
    if (name == "leap") {
        return kLeapDay;
    }
    if (name == "nye") {
        return kNewYearsEve;
    }
    return kWednesday;
}

LabelledSet loadSet(const char* name)
{
    QFile file(QStringLiteral(CC_TEST_DATA_DIR "/") + QString::fromLatin1(name));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    const QByteArray bytes = file.readAll();
    return parseLabelledSet(std::string_view(bytes.constData(), std::size_t(bytes.size())));
}

void printReport(const Report& report, const char* title)
{
    for (const std::string& line : formatReport(report, title)) {
        qInfo("%s", line.c_str());
    }
    for (const std::string& line : report.mistakes) {
        qInfo("  intent  %s", line.c_str());
    }
    for (const std::string& line : report.slotMistakes) {
        qInfo("  slot    %s", line.c_str());
    }
}

bool sameDetection(const Detection& a, const Detection& b)
{
    const Slots& x = a.slots;
    const Slots& y = b.slots;
    return a.intent == b.intent && a.confidence == b.confidence && x.item == y.item &&
           x.colours == y.colours && x.size == y.size && x.quantity == y.quantity &&
           x.date == y.date && x.minuteOfDay == y.minuteOfDay && x.dayPart == y.dayPart &&
           x.fromDate == y.fromDate && x.fromMinuteOfDay == y.fromMinuteOfDay &&
           x.orderNumber == y.orderNumber;
}

// A small deterministic generator for the robustness checks (no std::random_device).
struct SplitMix {
    std::uint64_t state;
    std::uint64_t next()
    {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31U);
    }
};

} // namespace

class TestIntent : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void intentNames()
    {
        for (const Intent intent : allIntents()) {
            const auto back = intentFromString(toString(intent));
            QVERIFY(back.has_value());
            QCOMPARE(int(*back), int(intent));
        }
        QCOMPARE(q(std::string(toString(Intent::StockCheck))), QStringLiteral("stock_check"));
        QCOMPARE(q(std::string(toString(Intent::TalkToPerson))), QStringLiteral("talk_to_person"));
        QVERIFY(!intentFromString("Stock_Check").has_value());
        QVERIFY(!intentFromString("").has_value());
    }

    void calendar()
    {
        QVERIFY(isLeapYear(2024));
        QVERIFY(!isLeapYear(2025));
        QVERIFY(!isLeapYear(1900));
        QVERIFY(isLeapYear(2000));
        QCOMPARE(daysInMonth(2024, 2), 29);
        QCOMPARE(daysInMonth(2025, 2), 28);
        QCOMPARE(daysInMonth(2025, 4), 30);
        QCOMPARE(daysInMonth(2025, 13), 0);
        QVERIFY(!isValidDate({2025, 2, 29}));
        QVERIFY(isValidDate({2024, 2, 29}));
        QVERIFY(!isValidDate({2025, 4, 31}));
        QCOMPARE(isoWeekday({2025, 4, 30}), 3); // Wednesday
        QCOMPARE(isoWeekday({2024, 2, 29}), 4); // Thursday
        QCOMPARE(isoWeekday({2000, 1, 1}), 6);  // Saturday
        QCOMPARE(iso(addDays({2025, 4, 30}, 1)), QStringLiteral("2025-05-01"));
        QCOMPARE(iso(addDays({2024, 2, 28}, 1)), QStringLiteral("2024-02-29"));
        QCOMPARE(iso(addDays({2025, 2, 28}, 1)), QStringLiteral("2025-03-01"));
        QCOMPARE(iso(addDays({2025, 12, 31}, 1)), QStringLiteral("2026-01-01"));
        QCOMPARE(iso(addDays({2025, 1, 1}, -1)), QStringLiteral("2024-12-31"));
        QCOMPARE(daysBetween({2024, 1, 1}, {2025, 1, 1}), 366);
        QCOMPARE(iso(parseIsoDate("2024-02-29")), QStringLiteral("2024-02-29"));
        QVERIFY(!parseIsoDate("2025-02-29"));
        QVERIFY(!parseIsoDate("2025-2-28"));
        QCOMPARE(parseMinuteOfDay("14:30").value_or(-1), 870);
        QVERIFY(!parseMinuteOfDay("24:00"));
        QCOMPARE(q(formatMinuteOfDay(9 * 60 + 5)), QStringLiteral("09:05"));
        QCOMPARE(iso(easterSunday(2025)), QStringLiteral("2025-04-20"));
        QCOMPARE(iso(easterSunday(2026)), QStringLiteral("2026-04-05"));
        QCOMPARE(iso(easterSunday(2024)), QStringLiteral("2024-03-31"));
    }

    void weekdayRules()
    {
        const LocalDate wednesday{2025, 4, 30};
        const LocalDate saturday{2025, 5, 3};
        const LocalDate sunday{2025, 5, 4};
        // Bare weekday: the next one after today.
        QCOMPARE(iso(nextWeekday(wednesday, 6)), QStringLiteral("2025-05-03"));
        QCOMPARE(iso(nextWeekday(wednesday, 3)), QStringLiteral("2025-05-07"));
        QCOMPARE(iso(nextWeekday(saturday, 6)), QStringLiteral("2025-05-10"));
        // "this saturday" on a Saturday is today.
        QCOMPARE(iso(thisWeekday(saturday, 6)), QStringLiteral("2025-05-03"));
        QCOMPARE(iso(thisWeekday(wednesday, 6)), QStringLiteral("2025-05-03"));
        // "next saturday": in next week (Monday to Sunday).
        QCOMPARE(iso(weekdayOfNextWeek(wednesday, 6)), QStringLiteral("2025-05-10"));
        QCOMPARE(iso(weekdayOfNextWeek(wednesday, 1)), QStringLiteral("2025-05-05"));
        QCOMPARE(iso(weekdayOfNextWeek(saturday, 6)), QStringLiteral("2025-05-10"));
        QCOMPARE(iso(weekdayOfNextWeek(sunday, 1)), QStringLiteral("2025-05-05"));
        QCOMPARE(iso(weekdayOfNextWeek(sunday, 7)), QStringLiteral("2025-05-11"));
    }

    void dayOfMonthRules()
    {
        QCOMPARE(iso(nextDayOfMonth({2025, 4, 30}, 31)), QStringLiteral("2025-05-31"));
        QCOMPARE(iso(nextDayOfMonth({2025, 4, 30}, 30)), QStringLiteral("2025-04-30"));
        QCOMPARE(iso(nextDayOfMonth({2025, 4, 30}, 14)), QStringLiteral("2025-05-14"));
        QCOMPARE(iso(nextDayOfMonth({2025, 1, 31}, 30)), QStringLiteral("2025-03-30"));
        QCOMPARE(iso(nextDayOfMonth({2025, 2, 1}, 29)), QStringLiteral("2025-03-29"));
        QCOMPARE(iso(nextDayOfMonth({2024, 2, 1}, 29)), QStringLiteral("2024-02-29"));
        QCOMPARE(iso(nextDayOfMonth({2025, 12, 31}, 1)), QStringLiteral("2026-01-01"));
        QVERIFY(!nextDayOfMonth({2025, 4, 30}, 32));
        QVERIFY(!nextDayOfMonth({2025, 4, 30}, 0));
        QCOMPARE(iso(nextMonthDay({2025, 4, 30}, 12, 3)), QStringLiteral("2025-12-03"));
        QCOMPARE(iso(nextMonthDay({2025, 12, 4}, 12, 3)), QStringLiteral("2026-12-03"));
        QCOMPARE(iso(nextMonthDay({2025, 3, 1}, 2, 29)), QStringLiteral("2028-02-29"));
        QCOMPARE(iso(nextMonthDay({2024, 2, 29}, 2, 29)), QStringLiteral("2024-02-29"));
        QVERIFY(!nextMonthDay({2025, 3, 1}, 4, 31));
    }

    void numericDates_data()
    {
        QTest::addColumn<int>("a");
        QTest::addColumn<int>("b");
        QTest::addColumn<int>("year"); // 0: none
        QTest::addColumn<int>("order");
        QTest::addColumn<QString>("expected");
        const int nearest = int(NumericDateOrder::Nearest);
        const int dayFirst = int(NumericDateOrder::DayFirst);
        const int monthFirst = int(NumericDateOrder::MonthFirst);
        // Today is 2025-04-30.
        QTest::newRow("5/6 nearest: 6 May") << 5 << 6 << 0 << nearest << "2025-05-06";
        QTest::newRow("6/5 nearest: 6 May") << 6 << 5 << 0 << nearest << "2025-05-06";
        QTest::newRow("3/12 nearest: 3 Dec") << 3 << 12 << 0 << nearest << "2025-12-03";
        QTest::newRow("3/12 day first") << 3 << 12 << 0 << dayFirst << "2025-12-03";
        QTest::newRow("3/12 month first") << 3 << 12 << 0 << monthFirst << "2026-03-12";
        QTest::newRow("15/5 only one valid") << 15 << 5 << 0 << monthFirst << "2025-05-15";
        QTest::newRow("5/15 only one valid") << 5 << 15 << 0 << dayFirst << "2025-05-15";
        QTest::newRow("13/13 none") << 13 << 13 << 0 << nearest << "";
        QTest::newRow("31/4 invalid both ways") << 31 << 4 << 0 << nearest << "";
        QTest::newRow("with year") << 14 << 5 << 2026 << nearest << "2026-05-14";
        QTest::newRow("two-digit year") << 3 << 12 << 25 << dayFirst << "2025-12-03";
        QTest::newRow("29/2 next leap year") << 29 << 2 << 0 << nearest << "2028-02-29";
        QTest::newRow("29/2/2025 invalid") << 29 << 2 << 2025 << nearest << "";
    }

    void numericDates()
    {
        QFETCH(int, a);
        QFETCH(int, b);
        QFETCH(int, year);
        QFETCH(int, order);
        QFETCH(QString, expected);
        const auto date =
            resolveNumericDate({2025, 4, 30}, a, b, year == 0 ? std::nullopt : std::optional(year),
                               NumericDateOrder(order));
        QCOMPARE(iso(date), expected);
    }

    void hours_data()
    {
        QTest::addColumn<int>("hour");
        QTest::addColumn<int>("minute");
        QTest::addColumn<int>("meridiem"); // 0 none, 1 am, 2 pm
        QTest::addColumn<QString>("part");
        QTest::addColumn<QString>("expected");
        QTest::newRow("3 -> 15:00") << 3 << 0 << 0 << ""
                                    << "15:00";
        QTest::newRow("7 -> 19:00") << 7 << 0 << 0 << ""
                                    << "19:00";
        QTest::newRow("8 -> 08:00") << 8 << 0 << 0 << ""
                                    << "08:00";
        QTest::newRow("11:30 -> 11:30") << 11 << 30 << 0 << ""
                                        << "11:30";
        QTest::newRow("12 -> noon") << 12 << 0 << 0 << ""
                                    << "12:00";
        QTest::newRow("1 -> 13:00") << 1 << 0 << 0 << ""
                                    << "13:00";
        QTest::newRow("14 stays") << 14 << 30 << 0 << ""
                                  << "14:30";
        QTest::newRow("7 in the morning") << 7 << 0 << 0 << "morning"
                                          << "07:00";
        QTest::newRow("8 in the evening") << 8 << 0 << 0 << "evening"
                                          << "20:00";
        QTest::newRow("11 pm") << 11 << 0 << 2 << ""
                               << "23:00";
        QTest::newRow("12 am") << 12 << 0 << 1 << ""
                               << "00:00";
        QTest::newRow("12 pm") << 12 << 0 << 2 << ""
                               << "12:00";
        QTest::newRow("6 am") << 6 << 0 << 1 << ""
                              << "06:00";
        QTest::newRow("24 invalid") << 24 << 0 << 0 << ""
                                    << "";
        QTest::newRow("minute 60 invalid") << 3 << 60 << 0 << ""
                                           << "";
    }

    void hours()
    {
        QFETCH(int, hour);
        QFETCH(int, minute);
        QFETCH(int, meridiem);
        QFETCH(QString, part);
        QFETCH(QString, expected);
        const std::optional<bool> pm =
            meridiem == 0 ? std::nullopt : std::optional<bool>(meridiem == 2);
        QCOMPARE(hhmm(resolveHour(hour, minute, pm, dayPartFromString(part.toStdString()))),
                 expected);
    }

    void when_data()
    {
        QTest::addColumn<QString>("reference"); // "" Wednesday 2025-04-30, "sat", "sun", ...
        QTest::addColumn<QString>("phrase");
        QTest::addColumn<QString>("date");
        QTest::addColumn<QString>("time");
        QTest::addColumn<QString>("part");
        QTest::newRow("today") << ""
                               << "today"
                               << "2025-04-30"
                               << ""
                               << "";
        QTest::newRow("tomorrow") << ""
                                  << "tomorrow"
                                  << "2025-05-01"
                                  << ""
                                  << "";
        QTest::newRow("tmrw typed") << ""
                                    << "tmrw"
                                    << "2025-05-01"
                                    << ""
                                    << "";
        QTest::newRow("2moro typed") << ""
                                     << "2moro 4pm"
                                     << "2025-05-01"
                                     << "16:00"
                                     << "";
        QTest::newRow("day after tomorrow") << ""
                                            << "the day after tomorrow"
                                            << "2025-05-02"
                                            << ""
                                            << "";
        QTest::newRow("tonight") << ""
                                 << "tonight"
                                 << "2025-04-30"
                                 << ""
                                 << "evening";
        QTest::newRow("this afternoon") << ""
                                        << "this afternoon"
                                        << "2025-04-30"
                                        << ""
                                        << "afternoon";
        QTest::newRow("tomorrow morning") << ""
                                          << "tomorrow morning"
                                          << "2025-05-01"
                                          << ""
                                          << "morning";
        QTest::newRow("saturday") << ""
                                  << "saturday"
                                  << "2025-05-03"
                                  << ""
                                  << "";
        QTest::newRow("on saturday") << ""
                                     << "on saturday"
                                     << "2025-05-03"
                                     << ""
                                     << "";
        QTest::newRow("saturdays") << ""
                                   << "saturdays"
                                   << "2025-05-03"
                                   << ""
                                   << "";
        QTest::newRow("sat abbreviation") << ""
                                          << "sat"
                                          << "2025-05-03"
                                          << ""
                                          << "";
        QTest::newRow("wednesday on wednesday") << ""
                                                << "wednesday"
                                                << "2025-05-07"
                                                << ""
                                                << "";
        QTest::newRow("next saturday from wednesday") << ""
                                                      << "next saturday"
                                                      << "2025-05-10"
                                                      << ""
                                                      << "";
        QTest::newRow("next monday from wednesday") << ""
                                                    << "next monday"
                                                    << "2025-05-05"
                                                    << ""
                                                    << "";
        QTest::newRow("next week wednesday") << ""
                                             << "next week wednesday"
                                             << "2025-05-07"
                                             << ""
                                             << "";
        QTest::newRow("next saturday on saturday") << "sat"
                                                   << "next saturday"
                                                   << "2025-05-10"
                                                   << ""
                                                   << "";
        QTest::newRow("saturday on saturday") << "sat"
                                              << "saturday"
                                              << "2025-05-10"
                                              << ""
                                              << "";
        QTest::newRow("this saturday on saturday") << "sat"
                                                   << "this saturday"
                                                   << "2025-05-03"
                                                   << ""
                                                   << "";
        QTest::newRow("next monday on sunday") << "sun"
                                               << "next monday"
                                               << "2025-05-05"
                                               << ""
                                               << "";
        QTest::newRow("saturday week") << ""
                                       << "saturday week"
                                       << "2025-05-10"
                                       << ""
                                       << "";
        QTest::newRow("a week today") << ""
                                      << "a week today"
                                      << "2025-05-07"
                                      << ""
                                      << "";
        QTest::newRow("in 3 days") << ""
                                   << "in 3 days"
                                   << "2025-05-03"
                                   << ""
                                   << "";
        QTest::newRow("in a fortnight") << ""
                                        << "in a fortnight"
                                        << "2025-05-14"
                                        << ""
                                        << "";
        QTest::newRow("the 14th") << ""
                                  << "on the 14th"
                                  << "2025-05-14"
                                  << ""
                                  << "";
        QTest::newRow("the fourteenth") << ""
                                        << "the fourteenth"
                                        << "2025-05-14"
                                        << ""
                                        << "";
        QTest::newRow("the 30th is today") << ""
                                           << "the 30th"
                                           << "2025-04-30"
                                           << ""
                                           << "";
        QTest::newRow("the 31st skips april") << ""
                                              << "the 31st"
                                              << "2025-05-31"
                                              << ""
                                              << "";
        QTest::newRow("thirty first of may") << ""
                                             << "the thirty first of may"
                                             << "2025-05-31"
                                             << ""
                                             << "";
        QTest::newRow("december 3rd") << ""
                                      << "december 3rd"
                                      << "2025-12-03"
                                      << ""
                                      << "";
        QTest::newRow("3rd of december") << ""
                                         << "the 3rd of december"
                                         << "2025-12-03"
                                         << ""
                                         << "";
        QTest::newRow("3 dec") << ""
                               << "3 dec"
                               << "2025-12-03"
                               << ""
                               << "";
        QTest::newRow("may the 5th") << ""
                                     << "may the 5th"
                                     << "2025-05-05"
                                     << ""
                                     << "";
        QTest::newRow("april 1st is next year") << ""
                                                << "april 1st"
                                                << "2026-04-01"
                                                << ""
                                                << "";
        QTest::newRow("month day year") << ""
                                        << "june 2nd 2026"
                                        << "2026-06-02"
                                        << ""
                                        << "";
        QTest::newRow("3/12 nearest") << ""
                                      << "3/12"
                                      << "2025-12-03"
                                      << ""
                                      << "";
        QTest::newRow("5/6 nearest") << ""
                                     << "5/6"
                                     << "2025-05-06"
                                     << ""
                                     << "";
        QTest::newRow("14/05/2025") << ""
                                    << "14/05/2025"
                                    << "2025-05-14"
                                    << ""
                                    << "";
        QTest::newRow("friday the 9th") << ""
                                        << "friday the 9th of may"
                                        << "2025-05-09"
                                        << ""
                                        << "";
        QTest::newRow("feb 29 from leap day eve") << "leap"
                                                  << "the 29th"
                                                  << "2024-02-29"
                                                  << ""
                                                  << "";
        QTest::newRow("tomorrow on leap day eve") << "leap"
                                                  << "tomorrow"
                                                  << "2024-02-29"
                                                  << ""
                                                  << "";
        QTest::newRow("tomorrow on new year's eve") << "nye"
                                                    << "tomorrow"
                                                    << "2026-01-01"
                                                    << ""
                                                    << "";
        QTest::newRow("the 2nd on new year's eve") << "nye"
                                                   << "the 2nd"
                                                   << "2026-01-02"
                                                   << ""
                                                   << "";
        QTest::newRow("christmas eve") << ""
                                       << "christmas eve"
                                       << "2025-12-24"
                                       << ""
                                       << "";
        QTest::newRow("new years day") << ""
                                       << "new year's day"
                                       << "2026-01-01"
                                       << ""
                                       << "";
        QTest::newRow("easter monday") << ""
                                       << "easter monday"
                                       << "2026-04-06"
                                       << ""
                                       << "";
        QTest::newRow("at 3") << ""
                              << "at 3"
                              << ""
                              << "15:00"
                              << "";
        QTest::newRow("at three") << ""
                                  << "at three"
                                  << ""
                                  << "15:00"
                                  << "";
        QTest::newRow("at 9") << ""
                              << "at 9"
                              << ""
                              << "09:00"
                              << "";
        QTest::newRow("11am") << ""
                              << "11am"
                              << ""
                              << "11:00"
                              << "";
        QTest::newRow("3 p.m.") << ""
                                << "3 p.m."
                                << ""
                                << "15:00"
                                << "";
        QTest::newRow("14:30") << ""
                               << "14:30"
                               << ""
                               << "14:30"
                               << "";
        QTest::newRow("07:30 is morning") << ""
                                          << "07:30"
                                          << ""
                                          << "07:30"
                                          << "";
        QTest::newRow("3:30") << ""
                              << "3:30"
                              << ""
                              << "15:30"
                              << "";
        QTest::newRow("10.30am") << ""
                                 << "10.30am"
                                 << ""
                                 << "10:30"
                                 << "";
        QTest::newRow("half past two") << ""
                                       << "half past two"
                                       << ""
                                       << "14:30"
                                       << "";
        QTest::newRow("half ten") << ""
                                  << "half ten"
                                  << ""
                                  << "10:30"
                                  << "";
        QTest::newRow("quarter to five") << ""
                                         << "quarter to five"
                                         << ""
                                         << "16:45"
                                         << "";
        QTest::newRow("quarter past ten") << ""
                                          << "a quarter past ten"
                                          << ""
                                          << "10:15"
                                          << "";
        QTest::newRow("ten to four") << ""
                                     << "ten to four"
                                     << ""
                                     << "15:50"
                                     << "";
        QTest::newRow("four thirty pm") << ""
                                        << "four thirty pm"
                                        << ""
                                        << "16:30"
                                        << "";
        QTest::newRow("nine oh five") << ""
                                      << "at nine oh five"
                                      << ""
                                      << "09:05"
                                      << "";
        QTest::newRow("9 30") << ""
                              << "at 9 30"
                              << ""
                              << "09:30"
                              << "";
        QTest::newRow("noon") << ""
                              << "noon"
                              << ""
                              << "12:00"
                              << "";
        QTest::newRow("12 noon") << ""
                                 << "12 noon"
                                 << ""
                                 << "12:00"
                                 << "";
        QTest::newRow("3 o'clock") << ""
                                   << "3 o'clock"
                                   << ""
                                   << "15:00"
                                   << "";
        QTest::newRow("7 in the morning") << ""
                                          << "at 7 in the morning"
                                          << ""
                                          << "07:00"
                                          << "";
        QTest::newRow("8 tonight") << ""
                                   << "at 8 tonight"
                                   << "2025-04-30"
                                   << "20:00"
                                   << "";
        QTest::newRow("tomorrow at 3") << ""
                                       << "tomorrow at 3"
                                       << "2025-05-01"
                                       << "15:00"
                                       << "";
        QTest::newRow("saturday morning") << ""
                                          << "saturday morning"
                                          << "2025-05-03"
                                          << ""
                                          << "morning";
        QTest::newRow("3 days is not a time") << ""
                                              << "for 3 days"
                                              << ""
                                              << ""
                                              << "";
        QTest::newRow("yesterday is not a date") << ""
                                                 << "yesterday"
                                                 << ""
                                                 << ""
                                                 << "";
        QTest::newRow("first thing is morning") << ""
                                                << "first thing"
                                                << ""
                                                << ""
                                                << "morning";
        QTest::newRow("may alone is not a date") << ""
                                                 << "may i ask"
                                                 << ""
                                                 << ""
                                                 << "";
    }

    void when()
    {
        QFETCH(QString, reference);
        QFETCH(QString, phrase);
        QFETCH(QString, date);
        QFETCH(QString, time);
        QFETCH(QString, part);
        const When w = parseWhen(phrase.toStdString(), referenceNamed(reference));
        QCOMPARE(iso(w.date), date);
        QCOMPARE(hhmm(w.minuteOfDay), time);
        QCOMPARE(::part(w.dayPart), part);
    }

    void numbers_data()
    {
        QTest::addColumn<QString>("phrase");
        QTest::addColumn<int>("cardinal"); // -1: none
        QTest::addColumn<int>("ordinal");  // -1: none
        QTest::newRow("zero") << "zero" << 0 << -1;
        QTest::newRow("seven") << "seven" << 7 << -1;
        QTest::newRow("Seven capital") << "Seven" << 7 << -1;
        QTest::newRow("7") << "7" << 7 << -1;
        QTest::newRow("nineteen") << "nineteen" << 19 << -1;
        QTest::newRow("twenty") << "twenty" << 20 << -1;
        QTest::newRow("twenty three") << "twenty three" << 23 << -1;
        QTest::newRow("twenty-three") << "twenty-three" << 23 << -1;
        QTest::newRow("ninety nine") << "ninety nine" << 99 << -1;
        QTest::newRow("first") << "first" << -1 << 1;
        QTest::newRow("twelfth") << "twelfth" << -1 << 12;
        QTest::newRow("twentieth") << "twentieth" << -1 << 20;
        QTest::newRow("twenty second") << "twenty second" << -1 << 22;
        QTest::newRow("thirty first") << "thirty first" << -1 << 31;
        QTest::newRow("thirty-first") << "thirty-first" << -1 << 31;
        QTest::newRow("3rd") << "3rd" << -1 << 3;
        QTest::newRow("the 14th") << "the 14th" << -1 << 14;
        QTest::newRow("22nd") << "22nd" << -1 << 22;
        QTest::newRow("11th") << "11th" << -1 << 11;
        QTest::newRow("32nd is no day") << "32nd" << -1 << -1;
        QTest::newRow("hundred") << "hundred" << -1 << -1;
        QTest::newRow("two numbers") << "two three" << -1 << -1;
        QTest::newRow("word") << "jacket" << -1 << -1;
    }

    void numbers()
    {
        QFETCH(QString, phrase);
        QFETCH(int, cardinal);
        QFETCH(int, ordinal);
        QCOMPARE(parseCardinal(phrase.toStdString()).value_or(-1), cardinal);
        QCOMPARE(parseOrdinal(phrase.toStdString()).value_or(-1), ordinal);
    }

    void sizes_data()
    {
        QTest::addColumn<QString>("phrase");
        QTest::addColumn<QString>("expected");
        QTest::newRow("size medium") << "size medium"
                                     << "m";
        QTest::newRow("in a medium") << "in a medium"
                                     << "m";
        QTest::newRow("small") << "the small one"
                               << "s";
        QTest::newRow("size s") << "size s"
                                << "s";
        QTest::newRow("extra large") << "in extra large"
                                     << "xl";
        QTest::newRow("x-large") << "x-large"
                                 << "xl";
        QTest::newRow("xl") << "XL"
                            << "xl";
        QTest::newRow("double xl") << "double xl"
                                   << "xxl";
        QTest::newRow("2xl") << "2XL"
                             << "xxl";
        QTest::newRow("extra small") << "extra small"
                                     << "xs";
        QTest::newRow("size 10") << "size 10"
                                 << "10";
        QTest::newRow("in a 10") << "in a 10"
                                 << "10";
        QTest::newRow("size seven") << "size seven"
                                    << "7";
        QTest::newRow("size 9.5") << "size 9.5"
                                  << "9.5";
        QTest::newRow("nine and a half") << "size nine and a half"
                                         << "9.5";
        QTest::newRow("9 and a half") << "in a size 9 and a half"
                                      << "9.5";
        QTest::newRow("age 8") << "age 8"
                               << "8";
        QTest::newRow("uk 7") << "uk 7"
                              << "7";
        QTest::newRow("eu 42") << "size eu 42"
                               << "42";
        QTest::newRow("in 10 minutes is no size") << "in 10 minutes"
                                                  << "";
        QTest::newRow("nothing") << "the blue one"
                                 << "";
    }

    void sizes()
    {
        QFETCH(QString, phrase);
        QFETCH(QString, expected);
        QCOMPARE(q(parseSize(phrase.toStdString())), expected);
    }

    void quantities_data()
    {
        QTest::addColumn<QString>("phrase");
        QTest::addColumn<int>("expected"); // -1: none
        QTest::newRow("two of the") << "two of the red mugs" << 2;
        QTest::newRow("3 pairs") << "3 pairs of jeans" << 3;
        QTest::newRow("x4") << "red scarf x4" << 4;
        QTest::newRow("3x") << "3x yoga mats" << 3;
        QTest::newRow("a couple of") << "a couple of the boxes" << 2;
        QTest::newRow("twenty five of") << "twenty five of them" << 25;
        QTest::newRow("4 chairs") << "4 chairs" << 4;
        QTest::newRow("a pair is one thing") << "a pair of jeans" << -1;
        QTest::newRow("one pronoun") << "do you have one" << -1;
        QTest::newRow("nothing") << "the jacket" << -1;
    }

    void quantities()
    {
        QFETCH(QString, phrase);
        QFETCH(int, expected);
        QCOMPARE(parseQuantity(phrase.toStdString()).value_or(-1), expected);
    }

    void colours_data()
    {
        QTest::addColumn<QString>("phrase");
        QTest::addColumn<QString>("expected");
        QTest::newRow("blue") << "the blue jacket"
                              << "blue";
        QTest::newRow("gray") << "gray hoodie"
                              << "grey";
        QTest::newRow("navy blue") << "navy blue blazer"
                                   << "navy";
        QTest::newRow("olive green") << "olive green pants"
                                     << "olive";
        QTest::newRow("light blue") << "light blue shirt"
                                    << "light blue";
        QTest::newRow("two") << "blue and white stripes"
                             << "blue,white";
        QTest::newRow("black friday") << "black friday deals"
                                      << "";
        QTest::newRow("none") << "rain jacket"
                              << "";
    }

    void colours()
    {
        QFETCH(QString, phrase);
        QFETCH(QString, expected);
        Slots slots;
        slots.colours = parseColours(phrase.toStdString());
        QCOMPARE(q(slotValue(slots, "colour")), expected);
    }

    void orderNumbers_data()
    {
        QTest::addColumn<QString>("phrase");
        QTest::addColumn<QString>("expected");
        QTest::newRow("digits") << "order 10234"
                                << "10234";
        QTest::newRow("order number") << "my order number is 10234"
                                      << "10234";
        QTest::newRow("spoken digits") << "order number one zero two three four"
                                       << "10234";
        QTest::newRow("oh and double") << "order double seven three oh one"
                                       << "77301";
        QTest::newRow("spaced digits") << "it's order 4 4 7 1 2"
                                       << "44712";
        QTest::newRow("pairs") << "order ninety one forty two"
                               << "9142";
        QTest::newRow("hash code") << "#A-1234"
                                   << "A1234";
        QTest::newRow("letter code") << "tracking info for order a1029"
                                     << "A1029";
        QTest::newRow("spoken letter") << "order a one two three four"
                                       << "A1234";
        QTest::newRow("status between") << "order status 20931"
                                        << "20931";
        QTest::newRow("too short") << "order 12"
                                   << "";
        QTest::newRow("no order word") << "i have 10234 questions"
                                       << "";
        QTest::newRow("order then words") << "my order and it's been 10 days"
                                          << "";
    }

    void orderNumbers()
    {
        QFETCH(QString, phrase);
        QFETCH(QString, expected);
        QCOMPARE(q(parseOrderNumber(phrase.toStdString())), expected);
    }

    void tokens()
    {
        const auto t = tokenize("Don't CANCEL, p.m. 4pm 14:30 3/12 9.5 #A-12 t-shirt café");
        std::string joined;
        for (const Token& token : t) {
            joined += (joined.empty() ? "" : " ") + token.text;
        }
        QCOMPARE(q(joined),
                 QStringLiteral("dont cancel pm 4 pm 14:30 3/12 9.5 #a-12 t shirt café"));
        QVERIFY(t[2].clauseStart); // after the comma
        QVERIFY(!t[1].clauseStart);
        // Curly apostrophes and hesitations.
        const auto u = tokenize("um I\xE2\x80\x99m uh here");
        QCOMPARE(int(u.size()), 3);
        QCOMPARE(q(u[0].text + " " + u[1].text + " " + u[2].text), QStringLiteral("i am here"));
    }

    void detections_data()
    {
        QTest::addColumn<QString>("utterance");
        QTest::addColumn<QString>("intent");
        QTest::addColumn<QString>("slots"); // key=value;... as in the .tsv; "-": none checked
        QTest::newRow("negated cancel is a move")
            << "I don't want to cancel, I want to move it to Friday"
            << "move_appointment"
            << "date=2025-05-02";
        QTest::newRow("negated move is a cancel") << "don't reschedule it, just cancel"
                                                  << "cancel_appointment"
                                                  << "-";
        QTest::newRow("from-to move") << "move my appointment from tuesday to thursday at 2"
                                      << "move_appointment"
                                      << "from_date=2025-05-06;date=2025-05-01;time=14:00";
        QTest::newRow("instead of") << "can we do monday instead of friday"
                                    << "move_appointment"
                                    << "from_date=2025-05-02;date=2025-05-05";
        QTest::newRow("stock with slots") << "do you have the blue rain jacket in a medium"
                                          << "stock_check"
                                          << "item=rain jacket;colour=blue;size=m";
        QTest::newRow("book") << "book me in for tomorrow at 3"
                              << "book_appointment"
                              << "date=2025-05-01;time=15:00";
        QTest::newRow("hours") << "are you open on sunday"
                               << "store_hours"
                               << "date=2025-05-04";
        QTest::newRow("address") << "what's your address"
                                 << "store_address"
                                 << "-";
        QTest::newRow("order") << "where's order #A-1234"
                               << "order_status"
                               << "order=A1234";
        QTest::newRow("person") << "can I talk to a real person"
                                << "talk_to_person"
                                << "-";
        QTest::newRow("order cancellation is not automated") << "i want to cancel my order"
                                                             << "unknown"
                                                             << "-";
        QTest::newRow("greeting") << "hi"
                                  << "unknown"
                                  << "-";
    }

    void detections()
    {
        QFETCH(QString, utterance);
        QFETCH(QString, intent);
        QFETCH(QString, slots);
        const Detection d = detect(utterance.toStdString(), kWednesday);
        QCOMPARE(q(std::string(toString(actedIntent(d)))), intent);
        if (slots == QStringLiteral("-")) {
            return;
        }
        for (const QString& pair : slots.split(QLatin1Char(';'))) {
            const QString key = pair.section(QLatin1Char('='), 0, 0);
            const QString value = pair.section(QLatin1Char('='), 1);
            QCOMPARE(q(slotValue(d.slots, key.toStdString())), value);
        }
    }

    void confidence()
    {
        const Detection clear = detect("I'd like to cancel my appointment", kWednesday);
        QCOMPARE(int(clear.intent), int(Intent::CancelAppointment));
        QVERIFY(clear.confidence >= 0.8);
        QVERIFY(!needsPerson(clear));
        // A bare noun: maybe a stock question, too unsure to act on.
        const Detection bare = detect("rain jacket", kWednesday);
        QCOMPARE(int(bare.intent), int(Intent::StockCheck));
        QVERIFY(bare.confidence < kHandOffBelow);
        QVERIFY(needsPerson(bare));
        QCOMPARE(q(bare.slots.item), QStringLiteral("rain jacket"));
        // Two requests at once: not sure of either.
        const Detection mixed = detect("what time do you open and where is my order", kWednesday);
        QVERIFY(mixed.confidence < kHandOffBelow);
        const Detection person = detect("operator", kWednesday);
        QCOMPARE(int(person.intent), int(Intent::TalkToPerson));
        QVERIFY(needsPerson(person));
        QVERIFY(needsPerson(Detection{}));
        // The explanation names the cues.
        const std::string why = explain("I don't want to cancel, I want to move it", kWednesday);
        QVERIFY2(why.find("move_appointment") == 0, why.c_str());
        QVERIFY2(why.find("negated") != std::string::npos, why.c_str());
    }

    void labelledSet()
    {
        const LabelledSet set = loadSet("intents.tsv");
        QVERIFY2(set.errors.empty(), set.errors.empty() ? "" : set.errors.front().c_str());
        QVERIFY(set.reference.has_value());
        QVERIFY(set.reference->today == kWednesday.today);
        QVERIFY(set.items.size() >= 220);
        const Report report = evaluate(set, *set.reference);
        printReport(report, "intents.tsv (main set)");
        // Regression floors, a little under what the detector scores today (macro precision
        // 0.996, recall 1.000, slots 1.000). This is the set it was tuned on, so these figures
        // are optimistic: on utterances written after it and scored blind it got 68%, then 85%
        // after one round of fixes (BENCHMARKS.md, "Intent detection").
        QVERIFY2(report.macroPrecision >= 0.97, "macro precision");
        QVERIFY2(report.macroRecall >= 0.97, "macro recall");
        QVERIFY2(report.unknownRecall >= 0.90, "unknown recall");
        QVERIFY2(report.slotAccuracy() >= 0.97, "slot accuracy");
        QVERIFY2(report.spuriousSlots <= 3, "spurious slots");
        for (const IntentStats& s : report.perIntent) {
            QVERIFY2(s.support >= 25, toString(s.intent).data());
            QVERIFY2(s.recall >= 0.90, toString(s.intent).data());
            QVERIFY2(s.precision >= 0.90, toString(s.intent).data());
        }
    }

    void holdoutSet()
    {
        const LabelledSet set = loadSet("intents_holdout.tsv");
        QVERIFY2(set.errors.empty(), set.errors.empty() ? "" : set.errors.front().c_str());
        QVERIFY(set.reference.has_value());
        QVERIFY(set.items.size() >= 60);
        const Report report = evaluate(set, *set.reference);
        printReport(report, "intents_holdout.tsv (held out, never tuned on)");
        // Today: macro precision 1.000, recall 0.986, slots 1.000 (one miss in 77 lines). Each
        // intent has only 8-11 lines here, so one more miss moves recall by 0.01-0.02.
        QVERIFY2(report.macroPrecision >= 0.95, "macro precision");
        QVERIFY2(report.macroRecall >= 0.95, "macro recall");
        QVERIFY2(report.slotAccuracy() >= 0.95, "slot accuracy");
    }

    void robustness()
    {
        const std::vector<std::string> inputs{
            "",
            " ",
            std::string(10 * 1024, 'a'),
            std::string(10 * 1024, ' '),
            [] {
                std::string s;
                for (int i = 0; i < 2000; ++i) {
                    s += "cancel my appointment tomorrow at 3 ";
                }
                return s;
            }(),
            "\xff\xfe\xfd",
            "caf\xc3",                // truncated sequence
            "\xed\xa0\x80 surrogate", // encoded surrogate
            "\xc0\xaf overlong",      // overlong slash
            std::string("nul\0byte", 8),
            "0123456789",
            "1234567890123456789012345678901234567890",
            "9999999999999999999/99999999999999/9999",
            "99:99 31/31 0/0 00:00 #######",
            "order ################################ ",
            "size size size in a in a in a",
            "the the the the",
            "twenty twenty twenty first first first",
            "next next next saturday week week after next",
            "half half past quarter to to to",
            "- -> -- , , ; : / . ' ` \xe2\x80\x99 \xe2\x80\x94",
            "a/b/c/d 1/2/3/4/5 //// ::::",
            "double double double",
            "#",
            "x",
            "12345678901234567890123456789012345678901234567890 order",
        };
        for (const std::string& input : inputs) {
            const Detection first = detect(input, kWednesday);
            const Detection second = detect(input, kWednesday);
            QVERIFY(sameDetection(first, second));
            QVERIFY(first.confidence >= 0.0 && first.confidence <= 1.0);
            QVERIFY(first.slots.item.size() <= kMaxUtteranceBytes);
            (void)explain(input, kWednesday);
        }
        // Any reference, even a nonsense one, is safe.
        for (const Reference& odd : {Reference{}, Reference{{9999, 12, 31}, 1439},
                                     Reference{{1, 1, 1}, -5}, Reference{{2025, 13, 40}, 99999}}) {
            for (const char* input : {"next saturday at 3", "the 31st", "3/12", "christmas",
                                      "in 60 days", "easter monday", "saturday week"}) {
                const Detection d = detect(input, odd);
                QVERIFY(d.confidence >= 0.0 && d.confidence <= 1.0);
            }
        }
        QCOMPARE(int(detect("", kWednesday).intent), int(Intent::Unknown));
        QCOMPARE(int(detect("0123456789", kWednesday).intent), int(Intent::Unknown));
        // Only the first kMaxUtteranceBytes are read, so a long input costs no more.
        const std::string longInput = "where is my order " + std::string(20000, 'z');
        QCOMPARE(int(detect(longInput, kWednesday).intent), int(Intent::OrderStatus));
        // Invalid bytes are spaces: the words around them still count.
        QCOMPARE(int(detect("where\xff is my\xc3 order", kWednesday).intent),
                 int(Intent::OrderStatus));
        // Random bytes and random words: never a crash, always the same answer twice.
        SplitMix rng{42};
        static const char* const kWords[] = {
            "cancel", "book",    "move", "the",   "at",     "3",           "tomorrow",
            "order",  "#",       "/",    ":",     "size",   "half",        "past",
            "to",     "from",    "not",  "don't", "next",   "saturday",    "1/2",
            "14:30",  "double",  "oh",   "one",   "twenty", "first",       "of",
            "may",    ",",       "in",   "a",     "stock",  "open",        "where",
            "person", "instead", "x",    "-",     "->",     "\xe2\x80\x99"};
        for (int round = 0; round < 3000; ++round) {
            std::string input;
            const std::size_t length = rng.next() % 64;
            for (std::size_t i = 0; i < length; ++i) {
                if (round % 2 == 0) {
                    input += char(rng.next() & 0xFFU);
                } else {
                    input += kWords[rng.next() % (sizeof kWords / sizeof kWords[0])];
                    input += rng.next() % 4 == 0 ? "" : " ";
                }
            }
            const Detection a = detect(input, kWednesday);
            const Detection b = detect(input, kWednesday);
            QVERIFY(sameDetection(a, b));
            QVERIFY(a.confidence >= 0.0 && a.confidence <= 1.0);
        }
    }

    void determinism()
    {
        const LabelledSet set = loadSet("intents.tsv");
        QVERIFY(!set.items.empty());
        for (const LabelledUtterance& item : set.items) {
            QVERIFY(sameDetection(detect(item.utterance, kWednesday),
                                  detect(item.utterance, kWednesday)));
        }
        // The reference is the only clock: another day moves relative dates, nothing else.
        const Detection wednesday = detect("book me in for tomorrow", kWednesday);
        const Detection saturday = detect("book me in for tomorrow", kSaturday);
        QCOMPARE(iso(wednesday.slots.date), QStringLiteral("2025-05-01"));
        QCOMPARE(iso(saturday.slots.date), QStringLiteral("2025-05-04"));
        QCOMPARE(int(wednesday.intent), int(saturday.intent));
    }
};

QTEST_APPLESS_MAIN(TestIntent)
#include "tst_intent.moc"
