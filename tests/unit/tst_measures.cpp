// The measures' rules one call at a time (shared/analytics/measures.h), the live board kept
// incrementally, the analytics messages on the wire, the report's query parsing and CSV, and
// local days and hours across daylight-saving changes.

#include "server/analytics/live.h"
#include "server/analytics/report.h"
#include "shared/analytics/measures.h"
#include "shared/protocol/envelope.h"

#include <QTest>

using cc::analytics::CallFacts;
using cc::analytics::contributionOf;
using cc::analytics::Counters;
using cc::analytics::LiveBoard;
using cc::analytics::Settings;

namespace {

constexpr std::int64_t kT0 = 1790000000000LL; // an instant in 2026

CallFacts answered(std::int64_t waitMs, std::int64_t talkMs, const std::string& who = "u1")
{
    CallFacts c;
    c.status = "completed";
    c.startedMs = kT0;
    c.answeredMs = kT0 + waitMs;
    c.endedMs = kT0 + waitMs + talkMs;
    c.handledBy = who;
    c.locationId = "s1";
    c.answeredLocation = "s1";
    return c;
}

CallFacts unanswered(const std::string& status, std::int64_t lastedMs)
{
    CallFacts c;
    c.status = status;
    c.startedMs = kT0;
    c.endedMs = kT0 + lastedMs;
    c.locationId = "s1";
    return c;
}

} // namespace

class TestMeasures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void answeredCallCounts()
    {
        auto c = answered(20000, 60000);
        c.wrapUpMs = 15000;
        const Counters k = contributionOf(c, Settings{});
        QCOMPARE(k.offered, std::int64_t{1});
        QCOMPARE(k.answered, std::int64_t{1});
        QCOMPARE(k.answeredInSl, std::int64_t{1}); // exactly at the threshold counts
        QCOMPARE(k.waitAnsweredMs, std::int64_t{20000});
        QCOMPARE(k.handled, std::int64_t{1});
        QCOMPARE(k.talkMs, std::int64_t{60000});
        QCOMPARE(k.wrapMs, std::int64_t{15000});
        QCOMPARE(k.fcrResolved, std::int64_t{1});
        QCOMPARE(contributionOf(answered(20001, 1), Settings{}).answeredInSl, std::int64_t{0});
    }

    void callInProgressIsAnsweredNotHandled()
    {
        auto c = answered(3000, 0);
        c.status = "in_progress";
        c.endedMs = 0;
        const Counters k = contributionOf(c, Settings{});
        QCOMPARE(k.answered, std::int64_t{1});
        QCOMPARE(k.handled, std::int64_t{0});
        QCOMPARE(k.talkMs, std::int64_t{0});
    }

    void abandonsShortAndLong()
    {
        const Counters shortOne = contributionOf(unanswered("abandoned", 4999), Settings{});
        QCOMPARE(shortOne.shortAbandoned, std::int64_t{1});
        QCOMPARE(shortOne.offered, std::int64_t{0});
        const Counters longOne = contributionOf(unanswered("abandoned", 5000), Settings{});
        QCOMPARE(longOne.abandoned, std::int64_t{1});
        QCOMPARE(longOne.offered, std::int64_t{1});
        // No short abandons at all when the threshold is 0.
        QCOMPARE(contributionOf(unanswered("abandoned", 1), Settings{20, 0, 72}).abandoned,
                 std::int64_t{1});
    }

    void otherOutcomes()
    {
        QCOMPARE(contributionOf(unanswered("voicemail", 30000), Settings{}).missed,
                 std::int64_t{1});
        QCOMPARE(contributionOf(unanswered("missed", 600000), Settings{}).missed, std::int64_t{1});
        const Counters cb = contributionOf(unanswered("callback", 30000), Settings{});
        QCOMPARE(cb.callbacks, std::int64_t{1});
        QCOMPARE(cb.abandoned, std::int64_t{0});
        QCOMPARE(cb.offered, std::int64_t{1});
        const Counters self = contributionOf(unanswered("self_served", 30000), Settings{});
        QCOMPARE(self.selfServed, std::int64_t{1});
        QCOMPARE(self.offered, std::int64_t{0});
        auto out = answered(1000, 1000);
        out.inbound = false;
        const Counters o = contributionOf(out, Settings{});
        QCOMPARE(o.outbound, std::int64_t{1});
        QCOMPARE(o.answered, std::int64_t{0});
        // Still ringing: offered, no outcome yet.
        CallFacts ringing = unanswered("ringing", 0);
        ringing.endedMs = 0;
        QVERIFY(cc::analytics::isWaiting(ringing));
        const Counters r = contributionOf(ringing, Settings{});
        QCOMPARE(r.offered, std::int64_t{1});
        QCOMPARE(r.answered + r.abandoned + r.missed + r.callbacks, std::int64_t{0});
    }

    void firstContactResolution()
    {
        auto c = answered(1000, 1000);
        c.repeatedMs = kT0 + 71LL * 3600000;
        QCOMPARE(contributionOf(c, Settings{}).fcrResolved, std::int64_t{0});
        c.repeatedMs = kT0 + 73LL * 3600000; // after the 72-hour window
        QCOMPARE(contributionOf(c, Settings{}).fcrResolved, std::int64_t{1});
        c.repeatedMs = kT0 + 3600000;
        c.disposition = "resolved";
        QCOMPARE(contributionOf(c, Settings{}).fcrResolved, std::int64_t{1});
    }

    void overflowIsAnsweredElsewhere()
    {
        auto c = answered(1000, 1000);
        c.answeredLocation = "s2";
        QCOMPARE(contributionOf(c, Settings{}).answeredElsewhere, std::int64_t{1});
    }

    void figuresNeedADenominator()
    {
        const auto none = cc::analytics::figuresOf(Counters{});
        QVERIFY(!none.serviceLevel && !none.abandonRate && !none.asaSeconds && !none.ahtSeconds &&
                !none.fcrRate);
        Counters c;
        c += contributionOf(answered(10000, 50000), Settings{});
        c += contributionOf(unanswered("abandoned", 60000), Settings{});
        const auto f = cc::analytics::figuresOf(c);
        QCOMPARE(*f.serviceLevel, 0.5);
        QCOMPARE(*f.abandonRate, 0.5);
        QCOMPARE(*f.asaSeconds, 10.0);
        QCOMPARE(*f.ahtSeconds, 50.0);
    }

    void liveBoardReplacesEachCallsState()
    {
        LiveBoard board(100);
        CallFacts c = unanswered("ringing", 0);
        c.endedMs = 0;
        board.apply("call-1", c, {100, 9}, Settings{});
        QCOMPARE(board.waiting(), 1);
        QCOMPARE(board.oldestWaitingMs(), kT0);
        QCOMPARE(board.totals().offered, std::int64_t{1});
        board.apply("call-1", answered(5000, 20000), {100, 9}, Settings{});
        QCOMPARE(board.waiting(), 0);
        QCOMPARE(board.totals().offered, std::int64_t{1}); // the same call, once
        QCOMPARE(board.totals().answered, std::int64_t{1});
        QCOMPARE(board.byHour()[9].answered, std::int64_t{1});
        QCOMPARE(board.byPerson().at("u1").handled, std::int64_t{1});
        // Another day's call is not on the board; a call moved to another day leaves it.
        board.apply("call-2", answered(1000, 1000), {99, 23}, Settings{});
        QCOMPARE(board.calls(), std::size_t(1));
        board.apply("call-1", answered(5000, 20000), {99, 9}, Settings{});
        QCOMPARE(board.calls(), std::size_t(0));
        QVERIFY(board.totals().empty());
        QVERIFY(board.byPerson().empty());
    }

    void liveBoardNewDayAndThresholds()
    {
        LiveBoard board(100);
        board.apply("a", answered(30000, 1000), {100, 10}, Settings{});
        QCOMPARE(board.totals().answeredInSl, std::int64_t{0});
        board.reclassify(Settings{40, 5, 72});
        QCOMPARE(board.totals().answeredInSl, std::int64_t{1});
        board.startDay(101);
        QCOMPARE(board.day(), 101);
        QVERIFY(board.totals().empty());
    }

    void localDaysAcrossDaylightSaving()
    {
        using cc::server::analytics::formatDay;
        using cc::server::analytics::localSlot;
        // 2026-11-01 05:30Z and 06:30Z are both 01:30 in New York (EDT, then EST).
        const std::int64_t first = 1793511000000; // 2026-11-01T05:30:00Z
        const auto a = localSlot("America/New_York", first);
        const auto b = localSlot("America/New_York", first + 3600000);
        QCOMPARE(formatDay(a.day), std::string("2026-11-01"));
        QCOMPARE(a.hour, 1);
        QCOMPARE(b.hour, 1);
        QCOMPARE(a.day, b.day);
        // 23:59:50 on the 31st in New York is already the 1st in UTC.
        const auto late = localSlot("America/New_York", 1793505590000); // 2026-11-01T03:59:50Z
        QCOMPARE(formatDay(late.day), std::string("2026-10-31"));
        QCOMPARE(late.hour, 23);
        // Half-hour zones, and an unknown zone counts as UTC.
        QCOMPARE(localSlot("Asia/Kolkata", 1793511000000).hour, 11); // 05:30Z + 5:30
        QCOMPARE(localSlot("Not/AZone", 1793511000000).hour, 5);
    }

    void callFactsFromASyncedRow()
    {
        cc::sync::Fields f{
            {"direction", std::string("inbound")},   {"status", std::string("completed")},
            {"started_at", std::int64_t{kT0}},       {"answered_at", std::int64_t{kT0 + 5000}},
            {"ended_at", std::int64_t{kT0 + 65000}}, {"wrap_up_ms", std::int64_t{9000}},
            {"repeated_at", cc::sync::Null{}},       {"handled_by", std::string("u9")},
            {"location_id", std::string("s1")},      {"answered_location_id", std::string("s2")}};
        const CallFacts c = cc::server::analytics::callFactsOf(f);
        QCOMPARE(c.wrapUpMs, std::int64_t{9000});
        QCOMPARE(c.repeatedMs, std::int64_t{0});
        QCOMPARE(c.answeredLocation, std::string("s2"));
        const Counters k = contributionOf(c, Settings{});
        QCOMPARE(k.talkMs, std::int64_t{60000});
        QCOMPARE(k.answeredElsewhere, std::int64_t{1});
    }

    void analyticsMessagesRoundTrip()
    {
        cc::protocol::AnalyticsUpdate u;
        u.scope = "location";
        u.key = "2b7c2d4e-0000-4000-8000-000000000001";
        u.date = "2026-11-27";
        u.asOfMs = kT0;
        u.eventMs = kT0 - 5;
        u.serviceLevelSeconds = 30;
        u.totals = contributionOf(answered(1000, 2000), Settings{});
        u.hours.assign(24, Counters{});
        u.hours[9] = u.totals;
        u.people.push_back({"u1", u.totals});
        u.waiting = 2;
        u.oldestWaitingMs = kT0 - 60000;
        const cc::protocol::Envelope env{1, "", u};
        const auto back = cc::protocol::decode(cc::protocol::encode(env));
        QVERIFY(back.ok());
        QVERIFY(back.value() == env);

        const cc::protocol::Envelope sub{1, "c-1",
                                         cc::protocol::AnalyticsSubscribe{{"a", "b"}, false}};
        const auto subBack = cc::protocol::decode(cc::protocol::encode(sub));
        QVERIFY(subBack.ok());
        QVERIFY(subBack.value() == sub);
    }

    void analyticsMessagesAreValidated()
    {
        const auto bad = [](const char* text) { return !cc::protocol::decode(text).ok(); };
        QVERIFY(bad(R"({"v":1,"type":"analytics","body":{"scope":"planet","key":"k","asOfMs":1,)"
                    R"("eventMs":1,"serviceLevelSeconds":20,"totals":{},"waiting":0,)"
                    R"("oldestWaitingMs":0}})"));
        QVERIFY(bad(R"({"v":1,"type":"analytics","body":{"scope":"location","key":"k","asOfMs":1,)"
                    R"("eventMs":1,"serviceLevelSeconds":20,"totals":{"offered":-1},"waiting":0,)"
                    R"("oldestWaitingMs":0}})"));
        QVERIFY(bad(R"({"v":1,"type":"analytics","body":{"scope":"location","key":"k","asOfMs":1,)"
                    R"("eventMs":1,"serviceLevelSeconds":20,"totals":{},"hours":[{}],)"
                    R"("waiting":0,"oldestWaitingMs":0}})"));
        QVERIFY(bad(R"({"v":1,"type":"analytics_subscribe","body":{"locations":[""]}})"));
        QVERIFY(bad(R"({"v":1,"type":"analytics_subscribe","body":{"locations":"all"}})"));
    }

    void reportQueries()
    {
        using cc::server::analytics::Grouping;
        using cc::server::analytics::parseReportQuery;
        auto q = parseReportQuery("from=2026-01-01&to=2026-12-31&by=weekday_hour&location="
                                  "2b7c2d4e-0000-4000-8000-000000000002%2C2b7c2d4e-0000-4000-8000-"
                                  "000000000001&format=csv");
        QVERIFY2(q.ok(), q.ok() ? "" : q.error().c_str());
        QVERIFY(q->by == Grouping::WeekdayHour);
        QVERIFY(q->csv);
        QCOMPARE(q->locations.size(), std::size_t(2));
        QCOMPARE(q->locations[0], std::string("2b7c2d4e-0000-4000-8000-000000000001"));
        QVERIFY(parseReportQuery("from=2026-01-01&to=2026-01-01")->by == Grouping::Store);
        for (const char* wrong :
             {"", "from=2026-01-01", "from=2026-13-01&to=2026-12-01",
              "from=2026-02-29&to=2026-03-01", "from=2026-03-02&to=2026-03-01",
              "from=2025-01-01&to=2026-03-01", "from=2026-01-01&to=2026-01-02&by=galaxy",
              "from=2026-01-01&to=2026-01-02&location=1",
              "from=2026-01-01&to=2026-01-02&format=xml", "from=2026-01-01&to=2026-01-02&x=1",
              "from=2026-01-01&to=2026-01-02&location=%zz"}) {
            QVERIFY2(!parseReportQuery(wrong).ok(), wrong);
        }
        QVERIFY(parseReportQuery("from=2024-02-29&to=2024-02-29").ok()); // a leap day
    }

    void csvIsSafeForSpreadsheets()
    {
        cc::server::analytics::Report r;
        r.query.from = "2026-11-01";
        r.query.to = "2026-11-01";
        cc::server::analytics::ReportRow row;
        row.key = "k";
        row.label = "=HYPERLINK(\"x\"), Store";
        row.counters = contributionOf(answered(1000, 1000), Settings{});
        r.rows.push_back(row);
        r.totals = row;
        const std::string csv = cc::server::analytics::reportToCsv(r);
        QVERIFY(csv.find("k,\"'=HYPERLINK(\"\"x\"\"), Store\",1,1,1,") != std::string::npos);
        QVERIFY(csv.find("\r\n") != std::string::npos);
        QVERIFY(csv.find(",1.0000,0.0000,1.0000,1.0000,1.0000,,\r\n") != std::string::npos);
        // Occupancy when staffed time is known.
        r.rows.front().peopleHandleMs = 600000;
        r.rows.front().staffedMs = 2400000;
        QVERIFY(cc::server::analytics::reportToCsv(r).find(",0.2500\r\n") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestMeasures)
#include "tst_measures.moc"
