#include "tests/qml/demoanalytics.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <array>
#include <cmath>

namespace cc::test {
namespace {

// Counters for `offered` calls with these shares and averages.
analytics::Counters figures(std::int64_t offered, double serviceLevel, double abandonRate,
                            double asaSeconds, double ahtSeconds)
{
    analytics::Counters c;
    c.offered = offered;
    c.abandoned = std::llround(static_cast<double>(offered) * abandonRate);
    c.missed = offered > 20 ? offered / 40 : 0;
    c.answered = offered - c.abandoned - c.missed;
    c.answeredInSl = std::min<std::int64_t>(
        c.answered,
        std::llround(static_cast<double>(c.answered + c.abandoned + c.missed) * serviceLevel));
    c.waitAnsweredMs = std::llround(static_cast<double>(c.answered) * asaSeconds * 1000);
    c.handled = c.answered;
    c.talkMs = std::llround(static_cast<double>(c.handled) * (ahtSeconds - 25) * 1000);
    c.wrapMs = c.handled * 25000;
    c.fcrResolved = std::llround(static_cast<double>(c.answered) * 0.88);
    c.selfServed = offered / 9;
    c.outbound = offered / 12;
    return c;
}

// A small deterministic wobble, so days and stores differ without randomness.
double wobble(int n)
{
    return std::sin(n * 12.9898) * 0.5 + 0.5; // 0..1
}

QJsonObject wireRow(const QString& key, const QString& label, const analytics::Counters& c)
{
    const auto n = [](std::int64_t v) { return QJsonValue(static_cast<qint64>(v)); };
    const std::int64_t due = c.callbacks + c.missed;
    return QJsonObject{{"key", key},
                       {"label", label},
                       {"offered", n(c.offered)},
                       {"answered", n(c.answered)},
                       {"answered_in_sl", n(c.answeredInSl)},
                       {"abandoned", n(c.abandoned)},
                       {"short_abandoned", n(c.shortAbandoned)},
                       {"missed", n(c.missed)},
                       {"callbacks", n(c.callbacks)},
                       {"self_served", n(c.selfServed)},
                       {"outbound", n(c.outbound)},
                       {"wait_answered_ms", n(c.waitAnsweredMs)},
                       {"handled", n(c.handled)},
                       {"talk_ms", n(c.talkMs)},
                       {"wrap_ms", n(c.wrapMs)},
                       {"fcr_resolved", n(c.fcrResolved)},
                       {"answered_elsewhere", n(c.answeredElsewhere)},
                       {"callbacks_due", n(due)},
                       {"callbacks_in_target", n(due)},
                       {"service_level", QJsonValue::Null},
                       {"abandon_rate", QJsonValue::Null},
                       {"asa_s", QJsonValue::Null},
                       {"aht_s", QJsonValue::Null},
                       {"fcr_rate", QJsonValue::Null},
                       {"callback_rate", due > 0 ? QJsonValue(1.0) : QJsonValue::Null}};
}

struct Store {
    const char* code;
    const char* name;
    int region;
    int size; // calls on an ordinary day
    double serviceLevel;
};

constexpr std::array<const char*, 3> kRegions{"Northeast", "Midwest", "West Coast"};
constexpr std::array<Store, 12> kStores{{
    {"NE-01", "Main Street", 0, 64, 0.86},
    {"NE-02", "Harbour Point", 0, 41, 0.79},
    {"NE-03", "Riverside", 0, 35, 0.91},
    {"NE-04", "Beacon Hill", 0, 52, 0.74},
    {"MW-01", "Lakeshore", 1, 58, 0.83},
    {"MW-02", "Union Station", 1, 71, 0.67},
    {"MW-03", "Prairie Mall", 1, 29, 0.88},
    {"MW-04", "Riverfront", 1, 44, 0.81},
    {"WC-01", "Pine Ridge", 2, 38, 0.93},
    {"WC-02", "Bayview", 2, 66, 0.77},
    {"WC-03", "Canyon Plaza", 2, 47, 0.58},
    {"WC-04", "Summit", 2, 33, 0.84},
}};

QString storeId(int i, const DemoPeople& people)
{
    if (i == 0) {
        return people.mainStreet;
    }
    if (i == 1) {
        return people.harbour;
    }
    if (i == 2) {
        return people.riverside;
    }
    return QStringLiteral("00000000-0000-4000-8000-0000000002%1").arg(i, 2, 10, QLatin1Char('0'));
}

// Calls in an hour of a weekday (1 Monday), as a share of an ordinary day: a lunch peak and an
// after-work one; Saturdays busy all day, Sundays short.
double hourShare(int weekday, int hour)
{
    if (hour < 8 || hour > 20 || (weekday == 7 && (hour < 10 || hour > 17))) {
        return 0;
    }
    const double lunch = std::exp(-std::pow(hour - 12.5, 2) / 3.0);
    const double evening = std::exp(-std::pow(hour - 17.5, 2) / 2.0);
    double share = 0.03 + 0.11 * lunch + 0.09 * evening;
    if (weekday == 6) {
        share = 0.07 + 0.05 * lunch;
    }
    if (weekday == 7) {
        share *= 0.6;
    }
    return share;
}

protocol::AnalyticsUpdate today(const QString& key, const DemoPeople& people, qint64 nowMs,
                                int size, double serviceLevel, bool mainStreet)
{
    protocol::AnalyticsUpdate u;
    u.scope = "location";
    u.key = key.toStdString();
    u.date = QDate::currentDate().toString(Qt::ISODate).toStdString();
    u.asOfMs = nowMs;
    u.eventMs = nowMs - 40;
    u.serviceLevelSeconds = 20;
    u.hours.resize(24);
    const int weekday = QDate::currentDate().dayOfWeek();
    // The day so far: up to 15:00.
    for (int h = 8; h <= 15; ++h) {
        const double share = std::max(hourShare(weekday, h), hourShare(2, h));
        const auto offered = static_cast<std::int64_t>(std::llround(size * share * 1.2));
        u.hours[static_cast<std::size_t>(h)] =
            figures(offered, serviceLevel + 0.1 * (wobble(h) - 0.5), 0.04 + 0.05 * wobble(h + 3),
                    11 + 9 * wobble(h), 190 + 60 * wobble(h + 1));
        u.totals += u.hours[static_cast<std::size_t>(h)];
    }
    if (mainStreet) {
        const std::array<std::pair<QString, double>, 6> who{{{people.staff, 0.27},
                                                             {people.ben, 0.22},
                                                             {people.sam, 0.19},
                                                             {people.priya, 0.15},
                                                             {people.wrapUp, 0.11},
                                                             {people.manager, 0.06}}};
        std::int64_t left = u.totals.answered;
        for (std::size_t i = 0; i < who.size(); ++i) {
            const std::int64_t answered =
                i + 1 == who.size()
                    ? left
                    : std::llround(static_cast<double>(u.totals.answered) * who[i].second);
            left -= answered;
            analytics::Counters c = figures(answered, 0.9, 0, 9 + 6 * wobble(static_cast<int>(i)),
                                            170 + 80 * wobble(static_cast<int>(i) + 7));
            c.offered = 0; // people answer calls; stores are offered them
            c.selfServed = 0;
            c.outbound = 0;
            c.answeredElsewhere = i == 1 ? 2 : 0;
            u.people.push_back({who[i].first.toStdString(), c});
        }
        u.waiting = 2;
        u.oldestWaitingMs = nowMs - 48000;
    } else {
        u.waiting = 0;
    }
    return u;
}

} // namespace

protocol::AnalyticsUpdate demoStoreToday(const DemoPeople& people, qint64 nowMs)
{
    return today(people.mainStreet, people, nowMs, kStores[0].size, kStores[0].serviceLevel, true);
}

protocol::AnalyticsUpdate demoHarbourToday(const DemoPeople& people, qint64 nowMs)
{
    return today(people.harbour, people, nowMs, kStores[1].size, kStores[1].serviceLevel, false);
}

protocol::AnalyticsUpdate demoOrganisationToday(qint64 nowMs)
{
    protocol::AnalyticsUpdate u;
    u.scope = "organisation";
    u.key = "00000000-0000-4000-8000-000000000001";
    u.asOfMs = nowMs;
    u.eventMs = nowMs - 40;
    u.serviceLevelSeconds = 20;
    for (std::size_t i = 0; i < kStores.size(); ++i) {
        u.totals += figures(std::llround(kStores[i].size * 0.62), kStores[i].serviceLevel, 0.05,
                            14 + 6 * wobble(static_cast<int>(i)), 205);
    }
    u.waiting = 5;
    u.oldestWaitingMs = nowMs - 71000;
    return u;
}

QByteArray demoReport(const QString& by, QDate from, QDate to, const DemoPeople& people,
                      double scale)
{
    const int days = static_cast<int>(from.daysTo(to)) + 1;
    QJsonArray rows;
    analytics::Counters total;
    const auto add = [&](const QString& key, const QString& label, const analytics::Counters& c) {
        rows.append(wireRow(key, label, c));
        total += c;
    };
    if (by == QLatin1String("store") || by == QLatin1String("region")) {
        std::array<analytics::Counters, 3> regions{};
        for (std::size_t i = 0; i < kStores.size(); ++i) {
            const Store& s = kStores[i];
            const analytics::Counters c =
                figures(static_cast<std::int64_t>(s.size) * days, s.serviceLevel,
                        0.03 + 0.06 * (1 - s.serviceLevel), 8 + 30 * (1 - s.serviceLevel),
                        180 + 70 * wobble(static_cast<int>(i)));
            regions[static_cast<std::size_t>(s.region)] += c;
            if (by == QLatin1String("store")) {
                add(storeId(static_cast<int>(i), people),
                    QStringLiteral("%1 (%2)").arg(QLatin1String(s.name), QLatin1String(s.code)), c);
            }
        }
        if (by == QLatin1String("region")) {
            for (std::size_t r = 0; r < regions.size(); ++r) {
                add(QStringLiteral("00000000-0000-4000-8000-0000000003%1")
                        .arg(r, 2, 10, QLatin1Char('0')),
                    QLatin1String(kRegions[r]), regions[r]);
            }
        }
    } else if (by == QLatin1String("day")) {
        for (QDate d = from; d <= to; d = d.addDays(1)) {
            const int weekday = d.dayOfWeek();
            const double size = scale *
                                (weekday == 7   ? 0.5
                                 : weekday == 6 ? 0.85
                                                : 1.0) *
                                (300 + 80 * wobble(static_cast<int>(d.toJulianDay())));
            add(d.toString(Qt::ISODate), {},
                figures(std::llround(size), 0.74 + 0.16 * wobble(static_cast<int>(d.day())),
                        0.03 + 0.04 * wobble(d.day() + 5), 12 + 8 * wobble(d.day() + 2), 215));
        }
    } else if (by == QLatin1String("weekday_hour")) {
        const double weeks = days / 7.0;
        for (int weekday = 1; weekday <= 7; ++weekday) {
            for (int hour = 0; hour < 24; ++hour) {
                // Mondays and Fridays a little busier than midweek.
                const double share =
                    hourShare(weekday, hour) *
                    (weekday == 1 || weekday == 5 ? 1.15 : 0.9 + 0.1 * wobble(weekday + hour));
                if (share <= 0) {
                    continue;
                }
                add(QStringLiteral("%1-%2").arg(weekday).arg(hour), {},
                    figures(std::llround(600 * scale * share * weeks), 0.8, 0.05, 14, 210));
            }
        }
    }
    QJsonObject totals = wireRow(QStringLiteral("total"), {}, total);
    return QJsonDocument(QJsonObject{{"from", from.toString(Qt::ISODate)},
                                     {"to", to.toString(Qt::ISODate)},
                                     {"by", by},
                                     {"serviceLevelSeconds", 20},
                                     {"generatedAtMs", QDateTime::currentMSecsSinceEpoch()},
                                     {"rows", rows},
                                     {"totals", totals}})
        .toJson(QJsonDocument::Compact);
}

} // namespace cc::test
