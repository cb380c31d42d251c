// The routing engine: who the phone rings for a call, when the call overflows to the region or
// ends in voicemail, and the explanation kept with every decision.

#include "shared/routing/engine.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace cc::routing;

namespace {

// 2024-03-12 13:30 UTC, a Tuesday: 09:30 in New York, 06:30 in Los Angeles. The engine takes each
// store's wall clock from the caller, so this instant only anchors the people's and call's times.
constexpr std::int64_t kNow = 1710250200000;
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;

constexpr int kNineAm = 9 * 60;
constexpr int kSixPm = 18 * 60;

LocalTime localTime(int year, int month, int day, int weekday, int hour, int minute)
{
    return {year, month, day, weekday, hour * 60 + minute};
}

// Tuesday 2024-03-12 at hh:mm in the store's own zone.
LocalTime tuesdayAt(int hour, int minute)
{
    return localTime(2024, 3, 12, 2, hour, minute);
}

// Monday to Friday 09:00-18:00, Saturday 10:00-16:00, closed on Sunday.
std::vector<OpeningHours> usualHours()
{
    std::vector<OpeningHours> hours;
    for (int day = 1; day <= 5; ++day) {
        hours.push_back({day, kNineAm, kSixPm});
    }
    hours.push_back({6, 10 * 60, 16 * 60});
    return hours;
}

Store store(const std::string& id, const std::string& region = "north",
            LocalTime now = tuesdayAt(9, 30))
{
    Store s;
    s.id = id;
    s.regionId = region;
    s.name = "Store " + id;
    s.localNow = now;
    s.hours = usualHours();
    return s;
}

Store closedStore(const std::string& id, const std::string& region = "north")
{
    return store(id, region, tuesdayAt(7, 0));
}

Store holidayStore(const std::string& id, const std::string& region = "north")
{
    Store s = store(id, region);
    s.holidays.push_back({2024, 3, 12});
    return s;
}

// A person in store A, available and idle for five minutes unless told otherwise.
struct Person {
    Agent agent;

    explicit Person(const std::string& id)
    {
        agent.userId = id;
        agent.displayName = "Agent " + id;
        agent.storeIds = {"A"};
        agent.presence = Presence::Available;
        agent.idleSinceMs = kNow - 5 * kMinute;
    }
    Person& name(const std::string& n)
    {
        agent.displayName = n;
        return *this;
    }
    Person& in(std::vector<std::string> stores)
    {
        agent.storeIds = std::move(stores);
        return *this;
    }
    Person& is(Presence p)
    {
        agent.presence = p;
        return *this;
    }
    Person& idleMinutes(int minutes)
    {
        agent.idleSinceMs = kNow - minutes * kMinute;
        return *this;
    }
    Person& idleMs(std::int64_t ms)
    {
        agent.idleSinceMs = kNow - ms;
        return *this;
    }
    Person& skills(std::vector<std::string> s)
    {
        agent.skills = std::move(s);
        return *this;
    }
    Person& calls(int n)
    {
        agent.callsToday = n;
        return *this;
    }
    // Wrap-up ending `ms` after now (negative: already over).
    Person& wrapUpEndsIn(std::int64_t ms)
    {
        agent.presence = Presence::WrapUp;
        agent.wrapUpEndsMs = kNow + ms;
        return *this;
    }
    Person& pausedFor(std::int64_t ms)
    {
        agent.pausedUntilMs = kNow + ms;
        return *this;
    }
    operator Agent() const { return agent; } // implicit on purpose: rows list people tersely
};

Person person(const std::string& id)
{
    return Person(id);
}

struct Scenario {
    Call call;
    std::vector<Store> stores;
    std::vector<Agent> agents;
    Rules rules;

    Scenario& waitedMs(std::int64_t ms)
    {
        call.arrivedMs = call.nowMs - ms;
        return *this;
    }
    Scenario& waited(int seconds) { return waitedMs(seconds * kSecond); }
    Scenario& dial(const std::string& storeId)
    {
        call.storeId = storeId;
        return *this;
    }
    Scenario& need(std::vector<std::string> skills)
    {
        call.needSkills = std::move(skills);
        return *this;
    }
    Scenario& lastHandler(const std::string& userId)
    {
        call.lastHandlerId = userId;
        return *this;
    }
    Scenario& offered(std::vector<std::string> userIds)
    {
        call.alreadyOffered = std::move(userIds);
        return *this;
    }
    Scenario& at(std::int64_t nowMs)
    {
        // Moves the call and keeps everyone's times relative to it.
        const std::int64_t shift = nowMs - call.nowMs;
        call.nowMs += shift;
        call.arrivedMs += shift;
        for (Agent& a : agents) {
            a.idleSinceMs += shift;
            a.wrapUpEndsMs += a.wrapUpEndsMs != 0 ? shift : 0;
            a.pausedUntilMs += a.pausedUntilMs != 0 ? shift : 0;
        }
        return *this;
    }
};

// A call to store A (alone in region "north", open) that has just arrived.
Scenario scenario(std::vector<Agent> agents, std::vector<Store> stores = {store("A")})
{
    Scenario s;
    s.call.callId = "call-1";
    s.call.storeId = "A";
    s.call.nowMs = kNow;
    s.call.arrivedMs = kNow;
    s.stores = std::move(stores);
    s.agents = std::move(agents);
    return s;
}

// Stores A, B and C of region "north", all open.
std::vector<Store> northRegion()
{
    return {store("A"), store("B"), store("C")};
}

QString qs(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

Decision run(const Scenario& s)
{
    return decide(s.call, s.stores, s.agents, s.rules);
}

const Candidate* findCandidate(const Decision& d, const std::string& userId)
{
    const auto it = std::find_if(d.candidates.begin(), d.candidates.end(),
                                 [&](const Candidate& c) { return c.userId == userId; });
    return it == d.candidates.end() ? nullptr : &*it;
}

} // namespace

Q_DECLARE_METATYPE(Scenario)
Q_DECLARE_METATYPE(Store)

class TestRouting : public QObject {
    Q_OBJECT

    // The decision tables share their columns: the scenario, then the expected action, the person
    // rung ("" unless Offer), the decision's store, whether that is an overflow and the retry.
    static void decisionColumns()
    {
        QTest::addColumn<Scenario>("scenario");
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("store");
        QTest::addColumn<bool>("overflow");
        QTest::addColumn<int>("retry");
    }

    static void offer(const char* row, const Scenario& s, const char* user, const char* store = "A",
                      bool overflow = false)
    {
        QTest::newRow(row) << s << "offer" << user << store << overflow << 0;
    }

    static void wait(const char* row, const Scenario& s, int retry, const char* store = "A")
    {
        QTest::newRow(row) << s << "wait"
                           << "" << store << false << retry;
    }

    static void voicemail(const char* row, const Scenario& s, const char* store = "A")
    {
        QTest::newRow(row) << s << "voicemail"
                           << "" << store << false << 0;
    }

    static void checkDecision()
    {
        QFETCH(Scenario, scenario);
        QFETCH(QString, action);
        QFETCH(QString, user);
        QFETCH(QString, store);
        QFETCH(bool, overflow);
        QFETCH(int, retry);
        const Decision d = run(scenario);
        const auto summary = [](const QString& a, const QString& u, const QString& s, bool o,
                                int r) {
            return QStringLiteral("%1 user=%2 store=%3 overflow=%4 retry=%5")
                .arg(a, u, s, o ? QStringLiteral("yes") : QStringLiteral("no"))
                .arg(r);
        };
        const QString got = summary(qs(actionName(d.action)), qs(d.userId), qs(d.storeId),
                                    d.overflow, d.retryAfterSeconds);
        const QString want = summary(action, user, store, overflow, retry);
        QVERIFY2(got == want,
                 qPrintable(
                     QStringLiteral("got %1, want %2 (reason: %3)").arg(got, want, qs(d.reason))));
    }

    // Scenarios with enough people and stores for the order of the input to matter if it could.
    static void richScenarios()
    {
        QTest::addColumn<Scenario>("scenario");
        std::vector<Agent> crowd = {
            person("u07").idleMinutes(10),
            person("u03").idleMinutes(10),
            person("u05").idleMinutes(10).calls(3),
            person("u01").in({"B", "A"}).idleMinutes(10),
            person("u09").in({"C"}).idleMinutes(90),
            person("u02").in({"C"}).idleMinutes(120),
            person("u04").is(Presence::Away),
            person("u06").wrapUpEndsIn(5 * kSecond),
            person("u08").in({"D"}),
            person("u10").pausedFor(kMinute),
            person("u11").skills({"stock"}).idleMinutes(2),
            person("u12").in({"B"}).skills({"stock", "returns"}),
        };
        std::vector<Store> stores = northRegion();
        stores.push_back(store("D", "south"));
        QTest::newRow("crowd at home") << scenario(crowd, stores);
        QTest::newRow("crowd after overflow") << scenario(crowd, stores).waited(65);
        QTest::newRow("crowd with skills") << scenario(crowd, stores).need({"stock", "returns"});
        QTest::newRow("crowd, repeat caller") << scenario(crowd, stores).lastHandler("u05");
        QTest::newRow("crowd, home closed")
            << scenario(crowd, {holidayStore("A"), store("B"), store("C"), store("D", "south")});
        QTest::newRow("crowd, many rung")
            << scenario(crowd, stores).offered({"u01", "u03", "u05", "u07", "u11"});
        QTest::newRow("crowd, all rung")
            << scenario(crowd, stores)
                   .offered({"u01", "u02", "u03", "u05", "u07", "u09", "u11", "u12"});
    }

private Q_SLOTS:
    void names_data()
    {
        QTest::addColumn<int>("presence");
        QTest::addColumn<QString>("name");
        QTest::newRow("available") << static_cast<int>(Presence::Available) << "available";
        QTest::newRow("ringing") << static_cast<int>(Presence::Ringing) << "ringing";
        QTest::newRow("on call") << static_cast<int>(Presence::OnCall) << "on_call";
        QTest::newRow("wrap-up") << static_cast<int>(Presence::WrapUp) << "wrap_up";
        QTest::newRow("away") << static_cast<int>(Presence::Away) << "away";
        QTest::newRow("offline") << static_cast<int>(Presence::Offline) << "offline";
    }

    void names()
    {
        QFETCH(int, presence);
        QFETCH(QString, name);
        QCOMPARE(qs(presenceName(static_cast<Presence>(presence))), name);
        QCOMPARE(qs(actionName(Action::Offer)), QStringLiteral("offer"));
        QCOMPARE(qs(actionName(Action::Wait)), QStringLiteral("wait"));
        QCOMPARE(qs(actionName(Action::Voicemail)), QStringLiteral("voicemail"));
    }

    // Each presence, once against a free colleague with less idle time and once alone.
    void presence_data()
    {
        decisionColumns();
        const auto rival = [](Person p) {
            return scenario({p.idleMinutes(20), person("u2").idleMinutes(5)});
        };
        offer("available: longer idle wins", rival(person("u1")), "u1");
        offer("ringing: skipped", rival(person("u1").is(Presence::Ringing)), "u2");
        offer("on call: skipped", rival(person("u1").is(Presence::OnCall)), "u2");
        offer("wrap-up running: skipped", rival(person("u1").wrapUpEndsIn(30 * kSecond)), "u2");
        offer("wrap-up over: available", rival(person("u1").wrapUpEndsIn(-kSecond)), "u1");
        offer("away: skipped", rival(person("u1").is(Presence::Away)), "u2");
        offer("offline: skipped", rival(person("u1").is(Presence::Offline)), "u2");

        offer("alone available", scenario({person("u1")}), "u1");
        wait("alone ringing: wait", scenario({person("u1").is(Presence::Ringing)}), 10);
        wait("alone on call: wait", scenario({person("u1").is(Presence::OnCall)}), 10);
        wait("alone in wrap-up: wait", scenario({person("u1").wrapUpEndsIn(30 * kSecond)}), 10);
        voicemail("alone away: voicemail", scenario({person("u1").is(Presence::Away)}));
        voicemail("alone offline: voicemail", scenario({person("u1").is(Presence::Offline)}));
    }
    void presence() { checkDecision(); }

    void skills_data()
    {
        decisionColumns();
        // Scores: skill 40 x share + idle 30 x min/60 + home 15.
        offer(
            "full match beats idle time",
            scenario({person("u1").skills({"stock"}).idleMinutes(1), person("u2").idleMinutes(30)})
                .need({"stock"}),
            "u1");
        offer("full beats partial beats none",
              scenario({person("u1").skills({"stock"}).idleMinutes(30),
                        person("u2").skills({"returns", "stock"}).idleMinutes(1),
                        person("u3").idleMinutes(60)})
                  .need({"stock", "returns"}),
              "u2");
        offer(
            "partial beats none",
            scenario({person("u1").skills({"stock"}).idleMinutes(1), person("u2").idleMinutes(30)})
                .need({"stock", "returns"}),
            "u1");
        offer(
            "none needed: skills do not count",
            scenario({person("u1").skills({"stock"}).idleMinutes(1), person("u2").idleMinutes(20)}),
            "u2");
        offer("nobody has it: still rung", scenario({person("u1")}).need({"repairs"}), "u1");
        // Counted twice, "stock" would make u1's share 2/3 and u2's 1/3, and u1 would win.
        offer("a skill named twice counts once",
              scenario({person("u1").skills({"stock"}).idleMinutes(1),
                        person("u2").skills({"returns"}).idleMinutes(10)})
                  .need({"stock", "stock", "returns"}),
              "u2");
    }
    void skills() { checkDecision(); }

    void fairness_data()
    {
        decisionColumns();
        offer("longest idle first",
              scenario({person("u1").idleMinutes(5), person("u2").idleMinutes(20),
                        person("u3").idleMinutes(10)}),
              "u2");
        offer("equal idle: smaller user id",
              scenario({person("u2").idleMinutes(10), person("u1").idleMinutes(10)}), "u1");
        offer("both past the one-hour cap: longer idle still wins",
              scenario({person("u1").idleMinutes(120), person("u2").idleMinutes(180)}), "u2");
        offer("one millisecond more idle wins",
              scenario({person("u1").idleMs(10 * kMinute), person("u2").idleMs(10 * kMinute + 1)}),
              "u2");
        offer("idle since the future counts as zero",
              scenario({person("u2").idleMs(0), person("u1").idleMs(-kMinute)}), "u1");
    }
    void fairness() { checkDecision(); }

    void load_data()
    {
        decisionColumns();
        offer("fewer calls today wins",
              scenario({person("u1").calls(20).idleMinutes(10), person("u2").idleMinutes(10)}),
              "u2");
        offer("load capped at 50 calls",
              scenario(
                  {person("u1").calls(60).idleMinutes(10), person("u2").calls(50).idleMinutes(10)}),
              "u1");
        offer("idle outweighs a little load",
              scenario({person("u1").calls(10).idleMinutes(30), person("u2").idleMinutes(20)}),
              "u1");
        offer("negative count treated as zero",
              scenario({person("u2").calls(-10).idleMinutes(10), person("u1").idleMinutes(10)}),
              "u1");
    }
    void load() { checkDecision(); }

    void homeStore_data()
    {
        decisionColumns();
        offer("after overflow the dialled store's person keeps the bonus",
              scenario({person("a1").idleMinutes(10), person("b1").in({"B"}).idleMinutes(20)},
                       northRegion())
                  .waited(60),
              "a1");
        offer("after overflow a much longer idle wins",
              scenario({person("a1").idleMinutes(10), person("b1").in({"B"}).idleMinutes(60)},
                       northRegion())
                  .waited(60),
              "b1", "B", true);
        offer("working in both: shown in the dialled store",
              scenario({person("ab").in({"B", "A"}).idleMinutes(30), person("b1").in({"B"})},
                       northRegion())
                  .waited(60),
              "ab", "A", false);
        offer("dialled store closed: its people still get the bonus in their other store",
              scenario({person("ab").in({"A", "B"}).idleMinutes(10),
                        person("b1").in({"B"}).idleMinutes(30)},
                       {holidayStore("A"), store("B")}),
              "ab", "B", true);
    }
    void homeStore() { checkDecision(); }

    void repeatCaller_data()
    {
        decisionColumns();
        offer(
            "previous handler wins when free",
            scenario({person("u1").idleMinutes(60), person("u2").idleMinutes(1)}).lastHandler("u2"),
            "u2");
        offer(
            "previous handler beats a skill match",
            scenario({person("u1").skills({"stock"}).idleMinutes(60), person("u2").idleMinutes(1)})
                .need({"stock"})
                .lastHandler("u2"),
            "u2");
        offer("previous handler on a call: ignored",
              scenario({person("u1"), person("u2").is(Presence::OnCall)}).lastHandler("u2"), "u1");
        offer("previous handler away: ignored",
              scenario({person("u1"), person("u2").is(Presence::Away)}).lastHandler("u2"), "u1");
        offer("previous handler in another store before overflow: ignored",
              scenario({person("u1").is(Presence::OnCall), person("u3"),
                        person("u2").in({"B"}).idleMinutes(1)},
                       northRegion())
                  .lastHandler("u2"),
              "u3");
        offer("previous handler unknown: ignored",
              scenario({person("u1").idleMinutes(9), person("u2")}).lastHandler("gone"), "u1");
        offer("previous handler already rang for this call: not again",
              scenario({person("u1"), person("u2")}).lastHandler("u1").offered({"u1"}), "u2");
    }
    void repeatCaller() { checkDecision(); }

    void pauseAndWrapUp_data()
    {
        decisionColumns();
        const auto pair = [](Person p) {
            return scenario({p.idleMinutes(30), person("u2").idleMinutes(5)});
        };
        offer("paused after a missed call: skipped", pair(person("u1").pausedFor(40 * kSecond)),
              "u2");
        offer("pause over: rung again", pair(person("u1").pausedFor(-kSecond)), "u1");
        offer("pause ends exactly now: rung", pair(person("u1").pausedFor(0)), "u1");
        wait("alone and paused: wait", scenario({person("u1").pausedFor(40 * kSecond)}), 10);
        offer("wrap-up running: skipped", pair(person("u1").wrapUpEndsIn(12 * kSecond)), "u2");
        offer("wrap-up ends exactly now: rung", pair(person("u1").wrapUpEndsIn(0)), "u1");
        offer("wrap-up ended: rung", pair(person("u1").wrapUpEndsIn(-5 * kSecond)), "u1");
        offer("wrap-up ended but paused: skipped",
              pair(person("u1").wrapUpEndsIn(-5 * kSecond).pausedFor(kMinute)), "u2");
    }
    void pauseAndWrapUp() { checkDecision(); }

    void alreadyOffered_data()
    {
        decisionColumns();
        offer("best person already rung: next one",
              scenario({person("u1").idleMinutes(30), person("u2")}).offered({"u1"}), "u2");
        voicemail("everyone already rung: voicemail",
                  scenario({person("u1"), person("u2")}).offered({"u1", "u2"}));
        wait("rung already, the other one busy: wait",
             scenario({person("u1"), person("u2").is(Presence::OnCall)}).offered({"u1"}), 10);
        voicemail("rung already and now busy: not worth waiting for",
                  scenario({person("u1").is(Presence::OnCall)}).offered({"u1"}));
        offer("everyone in the dialled store rung: region at once",
              scenario({person("a1"), person("b1").in({"B"})}, northRegion()).offered({"a1"}), "b1",
              "B", true);
    }
    void alreadyOffered() { checkDecision(); }

    void openingHours_data()
    {
        QTest::addColumn<Store>("store");
        QTest::addColumn<bool>("open");
        QTest::newRow("opens inclusive") << store("A", "n", tuesdayAt(9, 0)) << true;
        QTest::newRow("a minute before opening") << store("A", "n", tuesdayAt(8, 59)) << false;
        QTest::newRow("last open minute") << store("A", "n", tuesdayAt(17, 59)) << true;
        QTest::newRow("closes exclusive") << store("A", "n", tuesdayAt(18, 0)) << false;
        QTest::newRow("midnight") << store("A", "n", tuesdayAt(0, 0)) << false;
        QTest::newRow("monday") << store("A", "n", localTime(2024, 3, 11, 1, 9, 0)) << true;
        QTest::newRow("saturday before its later opening")
            << store("A", "n", localTime(2024, 3, 9, 6, 9, 30)) << false;
        QTest::newRow("saturday at its opening")
            << store("A", "n", localTime(2024, 3, 9, 6, 10, 0)) << true;
        QTest::newRow("saturday at its earlier closing")
            << store("A", "n", localTime(2024, 3, 9, 6, 16, 0)) << false;
        QTest::newRow("sunday: no hours")
            << store("A", "n", localTime(2024, 3, 10, 7, 12, 0)) << false;
        QTest::newRow("weekday out of range")
            << store("A", "n", localTime(2024, 3, 10, 0, 12, 0)) << false;
        QTest::newRow("holiday") << holidayStore("A") << false;
        Store otherYear = store("A");
        otherYear.holidays = {{2023, 3, 12}, {2024, 3, 11}, {2024, 3, 13}};
        QTest::newRow("holidays on other dates") << otherYear << true;
        Store noHours = store("A");
        noHours.hours.clear();
        QTest::newRow("no hours at all") << noHours << false;
        Store overnight = store("A", "n", tuesdayAt(23, 0));
        overnight.hours = {{2, 22 * 60, 2 * 60}};
        QTest::newRow("overnight hours are invalid: closed late") << overnight << false;
        overnight.localNow = tuesdayAt(1, 0);
        QTest::newRow("overnight hours are invalid: closed early") << overnight << false;
        Store empty = store("A");
        empty.hours = {{2, kNineAm, kNineAm}};
        QTest::newRow("opens equals closes: closed") << empty << false;
        Store outOfRange = store("A");
        outOfRange.hours = {{2, -60, 2000}};
        QTest::newRow("minutes out of range: closed") << outOfRange << false;
        Store lateNight = store("A", "n", tuesdayAt(23, 59));
        lateNight.hours = {{2, kNineAm, 24 * 60}};
        QTest::newRow("open until midnight: 23:59") << lateNight << true;
        Store lunch = store("A", "n", tuesdayAt(12, 30));
        lunch.hours = {{2, kNineAm, 12 * 60}, {2, 13 * 60, kSixPm}};
        QTest::newRow("lunch break: closed") << lunch << false;
        lunch.localNow = tuesdayAt(13, 0);
        QTest::newRow("lunch break: open again") << lunch << true;
        lunch.localNow = tuesdayAt(11, 59);
        QTest::newRow("lunch break: morning") << lunch << true;
    }

    void openingHours()
    {
        QFETCH(Store, store);
        QFETCH(bool, open);
        QCOMPARE(isOpen(store), open);
        // The engine agrees: a lone person there is rung only while the store is open.
        Scenario s = scenario({person("u1")}, {store});
        QCOMPARE(run(s).action == Action::Offer, open);
    }

    // Each store's own wall clock decides; the engine never converts zones itself.
    void timeZones_data()
    {
        decisionColumns();
        // 13:30 UTC: 09:30 in New York (open), 06:30 in Los Angeles (closed).
        const std::vector<Store> coasts = {store("NY", "us", tuesdayAt(9, 30)),
                                           store("LA", "us", tuesdayAt(6, 30))};
        const std::vector<Agent> staff = {person("ny1").in({"NY"}).idleMinutes(1),
                                          person("la1").in({"LA"}).idleMinutes(50)};
        offer("call to New York: rung there", scenario(staff, coasts).dial("NY"), "ny1", "NY");
        offer("call to Los Angeles: closed, overflow to New York",
              scenario(staff, coasts).dial("LA"), "ny1", "NY", true);
        wait("call to Los Angeles, New York busy: wait",
             scenario({person("ny1").in({"NY"}).is(Presence::OnCall), person("la1").in({"LA"})},
                      coasts)
                 .dial("LA"),
             10, "LA");

        // Spring forward, Sunday 2024-03-10 in New York, open 10:00-17:00 on Sundays: 14:00 UTC
        // is 10:00 EDT (it would be 09:00 on standard time), 13:59 UTC is 09:59.
        Store sunday = store("NY", "", localTime(2024, 3, 10, 7, 10, 0));
        sunday.hours.push_back({7, 10 * 60, 17 * 60});
        offer("dst starts: 10:00 local, just inside",
              scenario({person("u1").in({"NY"})}, {sunday}).dial("NY").at(1710079200000), "u1",
              "NY");
        sunday.localNow = localTime(2024, 3, 10, 7, 9, 59);
        voicemail("dst starts: 09:59 local, just outside",
                  scenario({person("u1").in({"NY"})}, {sunday}).dial("NY").at(1710079140000), "NY");
        // Fall back, Sunday 2024-11-03: 21:59 UTC is 16:59 EST, 22:00 UTC is 17:00 EST.
        sunday.localNow = localTime(2024, 11, 3, 7, 16, 59);
        offer("dst ends: 16:59 local, just inside",
              scenario({person("u1").in({"NY"})}, {sunday}).dial("NY").at(1730671140000), "u1",
              "NY");
        sunday.localNow = localTime(2024, 11, 3, 7, 17, 0);
        voicemail("dst ends: 17:00 local, just outside",
                  scenario({person("u1").in({"NY"})}, {sunday}).dial("NY").at(1730671200000), "NY");

        // 2024-12-24 22:30 UTC: already Christmas Day in Sydney, still Christmas Eve in LA.
        Store sydney = store("SYD", "", localTime(2024, 12, 25, 3, 9, 30));
        sydney.holidays.push_back({2024, 12, 25});
        Store losAngeles = store("LA", "", localTime(2024, 12, 24, 2, 14, 30));
        losAngeles.holidays.push_back({2024, 12, 25});
        voicemail("holiday on the store's local date",
                  scenario({person("u1").in({"SYD"})}, {sydney}).dial("SYD").at(1735079400000),
                  "SYD");
        offer("holiday on the UTC date only: open",
              scenario({person("u1").in({"LA"})}, {losAngeles}).dial("LA").at(1735079400000), "u1",
              "LA");
    }
    void timeZones() { checkDecision(); }

    void overflow_data()
    {
        decisionColumns();
        const auto busyA = [](std::vector<Store> stores) {
            return scenario({person("a1").is(Presence::OnCall), person("b1").in({"B"})},
                            std::move(stores));
        };
        wait("before the threshold: wait for the dialled store", busyA(northRegion()), 10);
        wait("one second before: wait", busyA(northRegion()).waited(59), 1);
        offer("at the threshold: overflow", busyA(northRegion()).waited(60), "b1", "B", true);
        offer("well past the threshold: overflow", busyA(northRegion()).waited(100), "b1", "B",
              true);
        offer("dialled store closed: overflow at once",
              busyA({closedStore("A"), store("B"), store("C")}), "b1", "B", true);
        offer("dialled store on holiday: overflow at once", busyA({holidayStore("A"), store("B")}),
              "b1", "B", true);
        Scenario noOverflowWhenClosed = busyA({closedStore("A"), store("B")});
        noOverflowWhenClosed.rules.overflowWhenClosed = false;
        voicemail("dialled store closed without overflowWhenClosed: voicemail",
                  noOverflowWhenClosed);
        voicemail("dialled store closed, region closed: voicemail",
                  busyA({closedStore("A"), closedStore("B"), holidayStore("C")}));
        offer("no staff in the dialled store: overflow at once",
              scenario({person("b1").in({"B"})}, northRegion()), "b1", "B", true);
        offer("everyone in the dialled store away: overflow at once",
              scenario({person("a1").is(Presence::Away), person("a2").is(Presence::Offline),
                        person("b1").in({"B"})},
                       northRegion()),
              "b1", "B", true);
        wait(
            "someone in the dialled store paused: wait for them",
            scenario({person("a1").pausedFor(30 * kSecond), person("b1").in({"B"})}, northRegion()),
            10);
        wait("closed region store: not an overflow target",
             busyA({store("A"), holidayStore("B")}).waited(100), 10);
        wait("no overflow into another region or a store outside any region",
             scenario({person("a1").is(Presence::OnCall), person("d1").in({"D"}),
                       person("e1").in({"E"})},
                      {store("A"), store("D", "south"), store("E", "")})
                 .waited(100),
             10);
        wait("a store outside any region never overflows",
             scenario({person("e1").in({"E"}).is(Presence::OnCall), person("f1").in({"F"})},
                      {store("E", ""), store("F", "")})
                 .dial("E")
                 .waited(100),
             10, "E");
        voicemail(
            "a store outside any region, closed: voicemail",
            scenario({person("f1").in({"F"})}, {closedStore("E", ""), store("F", "")}).dial("E"),
            "E");
        offer("overflow picks the best of the region",
              scenario({person("a1").is(Presence::OnCall), person("b1").in({"B"}).idleMinutes(10),
                        person("c1").in({"C"}).idleMinutes(30)},
                       northRegion())
                  .waited(60),
              "c1", "C", true);
        offer("overflow with a free person at home: home wins",
              scenario({person("a1").idleMinutes(1), person("b1").in({"B"}).idleMinutes(20)},
                       northRegion())
                  .waited(90),
              "a1");
        Scenario quick = busyA(northRegion()).waitedMs(-5 * kSecond); // arrived "in the future"
        quick.rules.overflowAfterSeconds = 5;
        wait("arrival after now counts as just arrived", quick, 5);
    }
    void overflow() { checkDecision(); }

    void waitAndVoicemail_data()
    {
        decisionColumns();
        const auto allBusy = [] {
            return scenario({person("a1").is(Presence::OnCall), person("a2").is(Presence::Ringing),
                             person("a3").wrapUpEndsIn(20 * kSecond),
                             person("b1").in({"B"}).is(Presence::OnCall)},
                            northRegion());
        };
        wait("everyone busy: retry in 10 s", allBusy(), 10);
        wait("5 s before overflow", allBusy().waited(55), 5);
        wait("4.5 s before overflow: rounded up", allBusy().waitedMs(55500), 5);
        wait("0.1 s before overflow: at least 1", allBusy().waitedMs(59900), 1);
        wait("after overflow: 5 s before voicemail", allBusy().waited(175), 5);
        wait("after overflow: 0.8 s before voicemail", allBusy().waitedMs(179200), 1);
        wait("after overflow: far from voicemail", allBusy().waited(100), 10);
        voicemail("waited voicemailAfterSeconds: voicemail", allBusy().waited(180));
        voicemail("waited past it with someone free: still voicemail",
                  scenario({person("a1")}).waited(200));
        wait("no other store in the region: overflow threshold ignored",
             scenario({person("a1").is(Presence::OnCall)}).waited(55), 10);
        Scenario shortRules = scenario({person("a1").is(Presence::OnCall)}).waited(25);
        shortRules.rules.voicemailAfterSeconds = 30;
        wait("custom voicemail threshold", shortRules, 5);
        voicemail("nobody anywhere: voicemail at once",
                  scenario({person("a1").is(Presence::Away),
                            person("b1").in({"B"}).is(Presence::Offline)},
                           northRegion()));
        voicemail("no people at all: voicemail", scenario({}, northRegion()));
        voicemail(
            "busy only in a store not yet considered: voicemail",
            scenario({person("a1").is(Presence::Away), person("d1").in({"D"}).is(Presence::OnCall)},
                     {store("A"), store("D", "south")}));
        voicemail("unknown dialled store: voicemail", scenario({person("u1")}).dial("Z"), "Z");
    }
    void waitAndVoicemail() { checkDecision(); }

    // What each person is shown with in the explanation.
    void exclusions_data()
    {
        QTest::addColumn<Scenario>("scenario");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("store");
        QTest::addColumn<QString>("excluded"); // "" for eligible
        const auto one = [](const Person& p) { return scenario({p}); };
        QTest::newRow("free") << one(person("u1")) << "u1"
                              << "A"
                              << "";
        QTest::newRow("away") << one(person("u1").is(Presence::Away)) << "u1"
                              << "A"
                              << "away";
        QTest::newRow("offline") << one(person("u1").is(Presence::Offline)) << "u1"
                                 << "A"
                                 << "offline";
        QTest::newRow("on a call") << one(person("u1").is(Presence::OnCall)) << "u1"
                                   << "A"
                                   << "on a call";
        QTest::newRow("ringing") << one(person("u1").is(Presence::Ringing)) << "u1"
                                 << "A"
                                 << "ringing for another call";
        QTest::newRow("wrap-up") << one(person("u1").wrapUpEndsIn(12 * kSecond)) << "u1"
                                 << "A"
                                 << "wrap-up for 12 s";
        QTest::newRow("wrap-up rounded up") << one(person("u1").wrapUpEndsIn(300)) << "u1"
                                            << "A"
                                            << "wrap-up for 1 s";
        QTest::newRow("paused") << one(person("u1").pausedFor(40 * kSecond)) << "u1"
                                << "A"
                                << "paused for 40 s after a missed call";
        QTest::newRow("already rung")
            << one(person("u1").is(Presence::OnCall)).offered({"u1"}) << "u1"
            << "A"
            << "already rung for this call";
        QTest::newRow("store on holiday")
            << scenario({person("b1").in({"B"})}, {store("A"), holidayStore("B")}).waited(60)
            << "b1"
            << "B"
            << "store closed (holiday)";
        QTest::newRow("store outside hours")
            << scenario({person("b1").in({"B"})}, {store("A"), closedStore("B")}).waited(60) << "b1"
            << "B"
            << "store closed (outside hours)";
        Store sunday = store("B", "north", localTime(2024, 3, 10, 7, 12, 0));
        QTest::newRow("store closed that weekday")
            << scenario({person("b1").in({"B"})}, {store("A"), sunday}).waited(60) << "b1"
            << "B"
            << "store closed (Sunday)";
        QTest::newRow("before overflow")
            << scenario({person("a1").is(Presence::OnCall), person("b1").in({"B"})}, northRegion())
            << "b1"
            << "B"
            << "before overflow at 60 s";
        Scenario blocked = scenario({person("b1").in({"B"})}, {closedStore("A"), store("B")});
        blocked.rules.overflowWhenClosed = false;
        QTest::newRow("no overflow when closed") << blocked << "b1"
                                                 << "B"
                                                 << "no overflow when the store is closed";
        QTest::newRow("other region")
            << scenario({person("a1"), person("d1").in({"D"})}, {store("A"), store("D", "south")})
            << "d1"
            << ""
            << "works elsewhere";
        QTest::newRow("shown in the open store of two")
            << scenario({person("ab").in({"A", "B"}).is(Presence::Away)},
                        {closedStore("A"), store("B")})
            << "ab"
            << "B"
            << "away";
        QTest::newRow("busy in a store before overflow: store reason first")
            << scenario(
                   {person("a1").is(Presence::OnCall), person("b1").in({"B"}).is(Presence::OnCall)},
                   northRegion())
            << "b1"
            << "B"
            << "before overflow at 60 s";
        QTest::newRow("repeat caller busy: excluded, no bonus")
            << one(person("u1").is(Presence::OnCall)).lastHandler("u1") << "u1"
            << "A"
            << "on a call";
    }

    void exclusions()
    {
        QFETCH(Scenario, scenario);
        QFETCH(QString, user);
        QFETCH(QString, store);
        QFETCH(QString, excluded);
        const Decision d = run(scenario);
        const Candidate* c = findCandidate(d, user.toStdString());
        QVERIFY(c != nullptr);
        QCOMPARE(qs(c->storeId), store);
        QCOMPARE(qs(c->excluded), excluded);
        QCOMPARE(c->eligible, excluded.isEmpty());
        if (!c->eligible) {
            QCOMPARE(c->score, 0.0);
            QVERIFY(c->parts.empty());
        }
    }

    void reasons_data()
    {
        QTest::addColumn<Scenario>("scenario");
        QTest::addColumn<QString>("reason");
        QTest::newRow("offer")
            << scenario({person("u1").name("Ana Lopez").skills({"stock"}).idleMinutes(12)})
                   .need({"stock"})
            << "rang Ana Lopez (idle 12 min, has stock)";
        QTest::newRow("offer, partial skills")
            << scenario({person("u1").name("Ana Lopez").skills({"stock"}).idleMinutes(12)})
                   .need({"stock", "returns", "repairs"})
            << "rang Ana Lopez (idle 12 min, has stock, lacks returns and repairs)";
        QTest::newRow("offer, repeat caller, seconds idle")
            << scenario({person("u1").name("Ana Lopez").idleMs(45 * kSecond)}).lastHandler("u1")
            << "rang Ana Lopez (handled this caller before, idle 45 s)";
        QTest::newRow("offer, hours idle")
            << scenario({person("u1").name("Ana Lopez").idleMinutes(65)})
            << "rang Ana Lopez (idle 1 h 5 min)";
        QTest::newRow("overflow after the wait")
            << scenario({person("a1").is(Presence::OnCall),
                         person("b1").name("Bob Ng").in({"B"}).idleMinutes(3)},
                        northRegion())
                   .waited(70)
            << "overflow to Store B after 60 s: nobody free in Store A; rang Bob Ng (idle 3 min)";
        QTest::newRow("overflow after the wait, better match than home")
            << scenario({person("a1"), person("b1").name("Bob Ng").in({"B"}).skills({"stock"})},
                        northRegion())
                   .need({"stock"})
                   .waited(70)
            << "overflow to Store B after 60 s; rang Bob Ng (idle 5 min, has stock)";
        QTest::newRow("overflow from a closed store")
            << scenario({person("b1").name("Bob Ng").in({"B"}).idleMinutes(3)},
                        {holidayStore("A"), store("B")})
            << "overflow to Store B: Store A closed (holiday); rang Bob Ng (idle 3 min)";
        QTest::newRow("overflow, no staff at home")
            << scenario({person("b1").name("Bob Ng").in({"B"}).idleMinutes(3)}, northRegion())
            << "overflow to Store B: no staff in Store A; rang Bob Ng (idle 3 min)";
        QTest::newRow("overflow, nobody available at home")
            << scenario({person("a1").is(Presence::Away),
                         person("c1").name("Cy").in({"C"}).idleMinutes(3)},
                        northRegion())
            << "overflow to Store C: nobody available in Store A; rang Cy (idle 3 min)";
        QTest::newRow("closed, no overflow")
            << scenario({person("a1")}, {holidayStore("A")}) << "store closed (holiday): voicemail";
        QTest::newRow("closed, region closed too")
            << scenario({person("b1").in({"B"})}, {closedStore("A"), closedStore("B")})
            << "store closed (outside hours), no other store of the region open: voicemail";
        QTest::newRow("waiting") << scenario({person("a1").is(Presence::OnCall),
                                              person("a2").is(Presence::Ringing),
                                              person("a3").wrapUpEndsIn(kMinute)})
                                 << "waiting: 3 people busy in Store A";
        QTest::newRow("waiting, busy and paused")
            << scenario({person("a1").is(Presence::OnCall), person("a2").pausedFor(kMinute)})
            << "waiting: 1 person busy and 1 paused in Store A";
        QTest::newRow("waiting in two stores")
            << scenario(
                   {person("b1").in({"B"}).is(Presence::OnCall), person("a1").is(Presence::OnCall)},
                   northRegion())
                   .waited(60)
            << "waiting: 2 people busy in Store A and Store B";
        QTest::newRow("waited too long")
            << scenario({person("a1").is(Presence::OnCall)}).waited(190)
            << "waited 180 s: voicemail";
        QTest::newRow("nobody") << scenario({person("a1").is(Presence::Away)}, northRegion())
                                << "nobody available in Store A, Store B or Store C: voicemail";
        QTest::newRow("unknown store") << scenario({}).dial("Z") << "unknown store Z: voicemail";
    }

    void reasons()
    {
        QFETCH(Scenario, scenario);
        QFETCH(QString, reason);
        QCOMPARE(qs(run(scenario).reason), reason);
    }

    void determinism_data() { richScenarios(); }

    void determinism()
    {
        QFETCH(Scenario, scenario);
        const std::string expected = toJson(run(scenario));
        std::mt19937 random(12345); // fixed seed: a failure reproduces
        for (int i = 0; i < 25; ++i) {
            Scenario shuffled = scenario;
            std::shuffle(shuffled.agents.begin(), shuffled.agents.end(), random);
            std::shuffle(shuffled.stores.begin(), shuffled.stores.end(), random);
            QCOMPARE(toJson(run(shuffled)), expected);
        }
        // And the same input twice gives the same answer.
        QCOMPARE(toJson(run(scenario)), expected);
    }

    void explanation_data() { richScenarios(); }

    void explanation()
    {
        QFETCH(Scenario, scenario);
        const Decision d = run(scenario);
        QCOMPARE(d.candidates.size(), scenario.agents.size());
        std::map<std::string, int> seen;
        for (const Candidate& c : d.candidates) {
            ++seen[c.userId];
        }
        for (const Agent& a : scenario.agents) {
            QVERIFY2(seen[a.userId] == 1, a.userId.c_str());
        }
        const std::vector<std::string> partNames = {"skill", "idle", "load", "home_store",
                                                    "repeat_caller"};
        bool excludedSeen = false;
        for (std::size_t i = 0; i < d.candidates.size(); ++i) {
            const Candidate& c = d.candidates[i];
            if (c.eligible) {
                QVERIFY2(!excludedSeen, "eligible after excluded");
                QVERIFY(c.excluded.empty());
                QCOMPARE(c.parts.size(), partNames.size());
                double sum = 0;
                for (std::size_t p = 0; p < c.parts.size(); ++p) {
                    QCOMPARE(c.parts[p].name, partNames[p]);
                    sum += c.parts[p].points;
                }
                QVERIFY2(std::abs(sum - c.score) < 1e-9, c.userId.c_str());
                if (i > 0 && d.candidates[i - 1].eligible) {
                    QVERIFY(d.candidates[i - 1].score >= c.score);
                }
            } else {
                excludedSeen = true;
                QVERIFY2(!c.excluded.empty(), c.userId.c_str());
                QCOMPARE(c.score, 0.0);
                QVERIFY(c.parts.empty());
                if (i > 0 && !d.candidates[i - 1].eligible) {
                    QVERIFY(d.candidates[i - 1].userId < c.userId);
                }
            }
        }
        if (d.action == Action::Offer) {
            QVERIFY(d.candidates.front().eligible);
            QCOMPARE(d.candidates.front().userId, d.userId);
            QCOMPARE(d.candidates.front().storeId, d.storeId);
        } else {
            QVERIFY(d.candidates.empty() || !d.candidates.front().eligible ||
                    d.action == Action::Voicemail);
        }
    }

    void scoreParts()
    {
        // 40 x 1 + 30 x 7/60 - 10 x 1/50 + 15 + 100.
        const Decision d = run(scenario({person("u1").idleMinutes(7).calls(1)}).lastHandler("u1"));
        QCOMPARE(d.candidates.size(), std::size_t{1});
        const Candidate& c = d.candidates.front();
        QCOMPARE(c.parts.at(0).points, 40.0);
        QCOMPARE(c.parts.at(1).points, 3.5);
        QCOMPARE(c.parts.at(2).points, -0.2);
        QCOMPARE(c.parts.at(3).points, 15.0);
        QCOMPARE(c.parts.at(4).points, 100.0);
        QCOMPARE(c.score, 158.3);
    }

    void json_data()
    {
        richScenarios();
        QTest::newRow("wait") << scenario({person("a1").is(Presence::OnCall)});
        QTest::newRow("voicemail") << scenario({person("a1")}, {holidayStore("A")});
        QTest::newRow("no candidates") << scenario({}).dial("Z");
    }

    void json()
    {
        QFETCH(Scenario, scenario);
        const Decision d = run(scenario);
        QJsonParseError error{};
        const QJsonDocument doc =
            QJsonDocument::fromJson(QByteArray::fromStdString(toJson(d)), &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QVERIFY(doc.isObject());
        const QJsonObject o = doc.object();
        QCOMPARE(o.value("action").toString(), qs(actionName(d.action)));
        QCOMPARE(o.value("user_id").toString(), qs(d.userId));
        QCOMPARE(o.value("store_id").toString(), qs(d.storeId));
        QCOMPARE(o.value("overflow").toBool(true), d.overflow);
        QVERIFY(o.value("overflow").isBool());
        QCOMPARE(o.value("retry_after_s").toInt(-1), d.retryAfterSeconds);
        QCOMPARE(o.value("reason").toString(), qs(d.reason));
        const QJsonArray candidates = o.value("candidates").toArray();
        QCOMPARE(static_cast<std::size_t>(candidates.size()), d.candidates.size());
        const auto tenth = [](double v) { return std::round(v * 10) / 10; };
        for (qsizetype i = 0; i < candidates.size(); ++i) {
            const Candidate& c = d.candidates[static_cast<std::size_t>(i)];
            const QJsonObject j = candidates.at(i).toObject();
            QCOMPARE(j.value("user_id").toString(), qs(c.userId));
            QCOMPARE(j.value("name").toString(), qs(c.displayName));
            QCOMPARE(j.value("store_id").toString(), qs(c.storeId));
            QCOMPARE(j.value("eligible").toBool(!c.eligible), c.eligible);
            QCOMPARE(j.value("excluded").toString(), qs(c.excluded));
            QVERIFY(j.value("score").isDouble());
            QCOMPARE(j.value("score").toDouble(), tenth(c.score));
            const QJsonObject parts = j.value("parts").toObject();
            QCOMPARE(static_cast<std::size_t>(parts.size()), c.parts.size());
            for (const ScorePart& p : c.parts) {
                QVERIFY(parts.value(qs(p.name)).isDouble());
                QCOMPARE(parts.value(qs(p.name)).toDouble(), tenth(p.points));
            }
        }
    }

    void jsonRoundsToTenths()
    {
        // Idle 61 s: 30 x 61/3600 = 0.508..; load 1 call: -0.2; 40 + 0.508 - 0.2 + 15 = 55.308.
        const Decision d = run(scenario({person("u1").idleMs(61 * kSecond).calls(1)}));
        const QJsonObject c = QJsonDocument::fromJson(QByteArray::fromStdString(toJson(d)))
                                  .object()
                                  .value("candidates")
                                  .toArray()
                                  .at(0)
                                  .toObject();
        QCOMPARE(c.value("score").toDouble(), 55.3);
        const QJsonObject parts = c.value("parts").toObject();
        QCOMPARE(parts.value("skill").toDouble(), 40.0);
        QCOMPARE(parts.value("idle").toDouble(), 0.5);
        QCOMPARE(parts.value("load").toDouble(), -0.2);
        QCOMPARE(parts.value("home_store").toDouble(), 15.0);
        QCOMPARE(parts.value("repeat_caller").toDouble(), 0.0);
        // Whole numbers are written as integers, not Boost.JSON's "4E1".
        QVERIFY(toJson(d).find("\"skill\":40,") != std::string::npos);
        // A tiny negative part rounds to 0, not "-0".
        Scenario light = scenario({person("u1").calls(1)});
        light.rules.loadWeight = 1; // -1 x 1/50 = -0.02
        const std::string text = toJson(run(light));
        QVERIFY2(text.find("\"load\":0,") != std::string::npos, text.c_str());
    }
};

QTEST_APPLESS_MAIN(TestRouting)
#include "tst_routing.moc"
