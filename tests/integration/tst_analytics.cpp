// Analytics (docs/analytics.md) against the real server and PostgreSQL: a hand-built call history
// with known answers (a call spanning midnight, two calls in the hour that repeats when New York
// leaves daylight saving time, a call answered by another store, short and long abandons, a
// repeat caller, callbacks done on time and late), computed by the SQL path (rollups kept by
// triggers through each call's life) and by the live path's C++ (contributionOf), which must
// agree; the rollups kept change by change equal a rebuild from scratch; the HTTP report and its
// CSV export with their role limits and audit; new thresholds; and live figures pushed to a
// subscribed WebSocket client when a call changes, matching the SQL path for today.

#include "app/analytics/analyticsfeed.h"
#include "app/analytics/analyticsreport.h"
#include "app/auth/session.h"
#include "app/net/serverconnection.h"
#include "server/analytics/live.h"
#include "server/analytics/report.h"
#include "server/auth/password.h"
#include "shared/analytics/measures.h"
#include "shared/protocol/envelope.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/syncdevice.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QTest>
#include <QWebSocket>

#include <pqxx/pqxx>

#include <map>
#include <memory>

using cc::analytics::CallFacts;
using cc::analytics::Counters;

namespace {

std::string one(pqxx::connection& c, const std::string& sql)
{
    pqxx::work tx(c);
    const pqxx::result r = tx.exec(sql);
    tx.commit();
    return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

void run(pqxx::connection& c, const std::string& sql)
{
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
}

std::string lit(const std::string& s)
{
    return "'" + s + "'";
}

// A call's life as the call flow writes it, one step (one transaction) at a time, so the
// rollups follow every change. Times are UTC.
struct CallLife {
    std::string store;
    std::string from;
    std::string started;     // "2026-10-31 14:00:00"
    int answerAfter = -1;    // seconds; -1: never answered
    int endAfter = -1;       // seconds after the start; -1: still going
    std::string outcome;     // final status
    std::string handledBy;   // user id
    int wrapMs = -1;         // wrap-up, once over
    std::string disposition; // set last
    std::string direction = "inbound";
    std::string offeredFromStore; // the routing decision's store (overflow: another)
};

std::string ts(const std::string& utc, int plusSeconds)
{
    return "(timestamptz '" + utc + "+00' + make_interval(secs => " + std::to_string(plusSeconds) +
           "))";
}

Counters countersOfRow(const pqxx::row& r, int first)
{
    Counters c;
    int i = first;
    for (std::int64_t Counters::*m :
         {&Counters::offered, &Counters::answered, &Counters::answeredInSl, &Counters::abandoned,
          &Counters::shortAbandoned, &Counters::missed, &Counters::callbacks, &Counters::selfServed,
          &Counters::outbound, &Counters::waitAnsweredMs, &Counters::handled, &Counters::talkMs,
          &Counters::wrapMs, &Counters::fcrResolved, &Counters::answeredElsewhere}) {
        c.*m = r[i++].as<std::int64_t>();
    }
    return c;
}

constexpr const char* kCounterColumns =
    "offered, answered, answered_in_sl, abandoned, short_abandoned, missed, callbacks, "
    "self_served, outbound, wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved, "
    "answered_elsewhere";

QString describe(const Counters& c)
{
    return QStringLiteral("offered %1 answered %2 inSl %3 abandoned %4 short %5 missed %6 "
                          "callbacks %7 self %8 out %9 wait %10 handled %11 talk %12 wrap %13 "
                          "fcr %14 elsewhere %15")
        .arg(c.offered)
        .arg(c.answered)
        .arg(c.answeredInSl)
        .arg(c.abandoned)
        .arg(c.shortAbandoned)
        .arg(c.missed)
        .arg(c.callbacks)
        .arg(c.selfServed)
        .arg(c.outbound)
        .arg(c.waitAnsweredMs)
        .arg(c.handled)
        .arg(c.talkMs)
        .arg(c.wrapMs)
        .arg(c.fcrResolved)
        .arg(c.answeredElsewhere);
}

#define COMPARE_COUNTERS(actual, expected)                                                         \
    QVERIFY2((actual) == (expected),                                                               \
             qPrintable(QStringLiteral("\n   actual: ") + describe(actual) +                       \
                        QStringLiteral("\n expected: ") + describe(expected)))

// A signed-in WebSocket client speaking the protocol directly.
class LiveClient {
public:
    LiveClient(const QString& url, const QList<QSslCertificate>& ca, const std::string& token)
    {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(ca);
        m_ws.setSslConfiguration(ssl);
        QObject::connect(&m_ws, &QWebSocket::textMessageReceived, [this](const QString& text) {
            auto env = cc::protocol::decode(text.toStdString());
            if (env) {
                m_received.push_back(env.value());
            }
        });
        m_ws.open(QUrl(url));
        m_token = token;
    }
    bool hello()
    {
        if (!cc::test::SyncDevice::waitFor(
                [this] { return m_ws.state() == QAbstractSocket::ConnectedState; }, 10000)) {
            return false;
        }
        cc::protocol::Hello h;
        h.client = "tst_analytics";
        h.clientVersion = "1";
        h.deviceId = "analytics-" + cc::test::newUuid();
        h.token = m_token;
        send(h);
        return waitFor<cc::protocol::Welcome>(10000) != nullptr;
    }
    void send(cc::protocol::Body body)
    {
        m_ws.sendTextMessage(QString::fromStdString(
            cc::protocol::encode(cc::protocol::Envelope{1, "c-" + std::to_string(++m_seq), body})));
    }
    template <typename T>
    const T* waitFor(int timeoutMs, const std::function<bool(const T&)>& accept = {})
    {
        const T* found = nullptr;
        cc::test::SyncDevice::waitFor(
            [&] {
                for (std::size_t i = m_seen; i < m_received.size(); ++i) {
                    if (const auto* m = std::get_if<T>(&m_received[i].body);
                        m != nullptr && (!accept || accept(*m))) {
                        found = m;
                        m_seen = i + 1;
                        return true;
                    }
                }
                return false;
            },
            timeoutMs);
        return found;
    }
    std::size_t received() const { return m_received.size(); }
    // The newest update received for `key` so far.
    std::optional<cc::protocol::AnalyticsUpdate> latest(const std::string& key) const
    {
        for (auto it = m_received.rbegin(); it != m_received.rend(); ++it) {
            if (const auto* u = std::get_if<cc::protocol::AnalyticsUpdate>(&it->body);
                u != nullptr && u->key == key) {
                return *u;
            }
        }
        return std::nullopt;
    }

private:
    QWebSocket m_ws;
    std::string m_token;
    std::vector<cc::protocol::Envelope> m_received;
    std::size_t m_seen = 0;
    int m_seq = 0;
};

} // namespace

class TestAnalytics : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_c;
    std::map<std::string, std::string> m_call; // name -> id

    std::string q(const std::string& sql) { return one(*m_db, sql); }

    std::string live(std::string store, std::string from, std::string started, int answerAfter,
                     int endAfter, std::string outcome, std::string handledBy = {}, int wrapMs = -1,
                     std::string disposition = {}, std::string direction = "inbound",
                     std::string offeredFromStore = {})
    {
        const CallLife life{std::move(store),
                            std::move(from),
                            std::move(started),
                            answerAfter,
                            endAfter,
                            std::move(outcome),
                            std::move(handledBy),
                            wrapMs,
                            std::move(disposition),
                            std::move(direction),
                            std::move(offeredFromStore)};
        const std::string id = cc::test::newUuid();
        run(*m_db, "INSERT INTO calls (id, organisation_id, location_id, direction, from_number, "
                   "to_number, started_at, status) VALUES (" +
                       lit(id) + ", " + lit(m_c.org) + ", " + lit(life.store) + ", " +
                       lit(life.direction) + ", " + lit(life.from) + ", '+442071110000', " +
                       ts(life.started, 0) + ", " +
                       (life.outcome == "self_served" ? "'self_served'" : "'ringing'") +
                       "); INSERT INTO call_decisions (organisation_id, call_id, action, "
                       "explanation) VALUES (" +
                       lit(m_c.org) + ", " + lit(id) + ", 'wait', '{}')");
        // (The router's decision on arrival: the server's upkeep leaves a call it decided on
        // alone, rather than calling a caller it never heard of again "missed".)
        if (!life.offeredFromStore.empty()) {
            run(*m_db, "INSERT INTO call_decisions (organisation_id, call_id, action, user_id, "
                       "location_id, overflow, explanation) VALUES (" +
                           lit(m_c.org) + ", " + lit(id) + ", 'offer', " + lit(life.handledBy) +
                           ", " + lit(life.offeredFromStore) + ", true, '{}')");
        }
        if (life.answerAfter >= 0) {
            run(*m_db, "UPDATE calls SET status = 'in_progress', answered_at = " +
                           ts(life.started, life.answerAfter) +
                           ", handled_by = " + lit(life.handledBy) + " WHERE id = " + lit(id));
        }
        if (life.endAfter >= 0) {
            run(*m_db, "UPDATE calls SET status = " + lit(life.outcome) + ", ended_at = " +
                           ts(life.started, life.endAfter) + " WHERE id = " + lit(id));
        }
        if (life.wrapMs >= 0) {
            run(*m_db, "UPDATE calls SET wrap_up_ms = " + std::to_string(life.wrapMs) +
                           " WHERE id = " + lit(id));
        }
        if (!life.disposition.empty()) {
            run(*m_db, "UPDATE calls SET disposition = " + lit(life.disposition) +
                           " WHERE id = " + lit(id));
        }
        return id;
    }

    void task(const std::string& dueUtc, const std::string& status, const std::string& completedUtc)
    {
        const std::string id = cc::test::newUuid();
        run(*m_db, "INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) "
                   "VALUES (" +
                       lit(id) + ", " + lit(m_c.org) + ", " + lit(m_c.storeA) +
                       ", 'callback', 'Call back', " + ts(dueUtc, 0) + ")");
        if (status != "open") {
            run(*m_db, "UPDATE tasks SET status = " + lit(status) + ", completed_at = " +
                           (completedUtc.empty() ? std::string("NULL") : ts(completedUtc, 0)) +
                           " WHERE id = " + lit(id));
        }
    }

    Counters daily(const std::string& store, const std::string& date)
    {
        pqxx::work tx(*m_db);
        const pqxx::result r = tx.exec(std::string("SELECT ") + kCounterColumns +
                                       " FROM call_stats_daily WHERE location_id = " + lit(store) +
                                       " AND local_date = " + lit(date));
        return r.empty() ? Counters{} : countersOfRow(r[0], 0);
    }

    // The live path's answer for one store and local day: contributionOf over the calls, as the
    // live engine reads them.
    Counters computed(const std::string& store, const std::string& date,
                      const cc::analytics::Settings& settings, int hour = -1)
    {
        pqxx::work tx(*m_db);
        const std::string tz =
            tx.exec("SELECT timezone FROM locations WHERE id = " + lit(store))[0][0]
                .as<std::string>();
        const pqxx::result rows =
            tx.exec("SELECT direction = 'inbound', status, sync_ms(started_at), "
                    "coalesce(sync_ms(answered_at), 0), coalesce(sync_ms(ended_at), 0), "
                    "coalesce(wrap_up_ms, -1), coalesce(sync_ms(repeated_at), 0), "
                    "coalesce(disposition, ''), coalesce(handled_by::text, ''), location_id::text, "
                    "coalesce(answered_location_id::text, '') FROM calls WHERE location_id = " +
                    lit(store));
        Counters sum;
        for (const auto& r : rows) {
            CallFacts c;
            c.inbound = r[0].as<bool>();
            c.status = r[1].as<std::string>();
            c.startedMs = r[2].as<std::int64_t>();
            c.answeredMs = r[3].as<std::int64_t>();
            c.endedMs = r[4].as<std::int64_t>();
            c.wrapUpMs = r[5].as<std::int64_t>();
            c.repeatedMs = r[6].as<std::int64_t>();
            c.disposition = r[7].as<std::string>();
            c.handledBy = r[8].as<std::string>();
            c.locationId = r[9].as<std::string>();
            c.answeredLocation = r[10].as<std::string>();
            const auto slot = cc::server::analytics::localSlot(tz, c.startedMs);
            if (cc::server::analytics::formatDay(slot.day) == date &&
                (hour < 0 || slot.hour == hour)) {
                sum += cc::analytics::contributionOf(c, settings);
            }
        }
        return sum;
    }

    std::string token(const std::string& userId)
    {
        return cc::test::issueAccessToken(*m_db, userId, "analytics-" + cc::test::newUuid());
    }

    cc::test::HttpResult get(const std::string& userId, const QString& pathAndQuery)
    {
        return cc::test::httpsGet(
            m_fx.server->baseUrl() + pathAndQuery, m_fx.tls.ca(), 10000,
            {{"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(token(userId))}});
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_c = cc::test::seedChain(*m_db);
        run(*m_db,
            "UPDATE locations SET timezone = 'America/New_York' WHERE id = " + lit(m_c.storeA));

        const std::string A = m_c.storeA;
        const std::string B = m_c.storeB;
        // Store A, Saturday 31 October 2026 (New York, daylight saving time: UTC-4).
        m_call["c1"] =
            live(A, "+15550100001", "2026-10-31 14:00:00", 10, 310, "completed", m_c.staffA, 30000);
        m_call["c2"] = live(A, "+15550100002", "2026-10-31 14:05:00", 45, 165, "completed",
                            m_c.staffA2, -1, "resolved");
        m_call["c3"] = live(A, "+15550100003", "2026-10-31 15:00:00", -1, 3, "abandoned");
        m_call["c4"] = live(A, "+15550100004", "2026-10-31 15:10:00", -1, 40, "abandoned");
        m_call["c5"] = live(A, "+15550100005", "2026-10-31 16:00:00", -1, 60, "voicemail");
        m_call["c6"] = live(A, "+15550100006", "2026-10-31 16:30:00", -1, 90, "callback");
        // 23:59:50 local, answered after midnight: it counts on the day it began. Its caller
        // called before (c1), 14 hours earlier: c1 was not resolved at first contact.
        m_call["c7"] =
            live(A, "+15550100001", "2026-11-01 03:59:50", 15, 135, "completed", m_c.staffA, 20000);
        // Sunday 1 November: 01:30 happens twice in New York (EDT, then EST after 02:00 EDT).
        m_call["c8"] =
            live(A, "+15550100008", "2026-11-01 05:30:00", 5, 65, "completed", m_c.staffA2);
        m_call["c9"] = live(A, "+15550100009", "2026-11-01 06:30:00", -1, 30, "abandoned");
        // Overflow: a call to A answered by Bea of store B. Its caller called yesterday (c2),
        // whose "resolved" disposition stands.
        m_call["c10"] = live(A, "+15550100002", "2026-11-01 14:00:00", 8, 108, "completed",
                             m_c.staffB, -1, "", "inbound", B);
        m_call["c11"] = live(A, "+15550100011", "2026-11-01 15:00:00", 2, 62, "completed",
                             m_c.staffA, -1, "", "outbound");
        m_call["c12"] = live(A, "+15550100012", "2026-11-01 15:30:00", -1, 40, "self_served");
        // Store B (London, GMT since 25 October).
        m_call["b1"] =
            live(B, "+15550100021", "2026-11-01 10:00:00", 25, 225, "completed", m_c.staffB, 10000);
        m_call["b2"] = live(B, "+15550100022", "2026-11-01 23:30:00", -1, 10, "abandoned");
        // Callbacks at A: on time, late, cancelled, still open past due.
        task("2026-10-31 17:00:00", "done", "2026-10-31 16:50:00");
        task("2026-10-31 18:00:00", "done", "2026-10-31 19:00:00");
        task("2026-11-01 15:00:00", "cancelled", "");
        task("2026-11-01 15:00:00", "open", "");
    }

    void cleanupTestCase() { QCOMPARE(m_fx.stop(), 0); }

    void callFactsAreRecorded()
    {
        // The answering store comes from the routing decision; repeat callers are marked.
        QCOMPARE(q("SELECT answered_location_id FROM calls WHERE id = " + lit(m_call["c10"])),
                 m_c.storeB);
        QCOMPARE(q("SELECT answered_location_id FROM calls WHERE id = " + lit(m_call["c1"])),
                 m_c.storeA); // Ann's home store
        QCOMPARE(q("SELECT to_char(repeated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
                   "FROM calls WHERE id = " +
                   lit(m_call["c1"])),
                 std::string("2026-11-01 03:59:50"));
        QCOMPARE(q("SELECT repeated_at IS NULL FROM calls WHERE id = " + lit(m_call["c7"])),
                 std::string("t"));
        // Withheld numbers (Twilio's stand-ins) are nobody in particular: never a repeat.
        const std::string first =
            live(m_c.storeA, "+266696687", "2026-10-30 14:00:00", 5, 60, "completed", m_c.staffA);
        live(m_c.storeB, "+266696687", "2026-10-30 15:00:00", 5, 60, "completed", m_c.staffB);
        QCOMPARE(q("SELECT repeated_at IS NULL FROM calls WHERE id = " + lit(first)),
                 std::string("t"));
    }

    void knownAnswersForEachMeasure()
    {
        // A, Saturday: c1..c7 (c7 began at 23:59:50).
        Counters sat;
        sat.offered = 6;      // c1 c2 c4 c5 c6 c7 (c3 hung up within 5 s)
        sat.answered = 3;     // c1 c2 c7
        sat.answeredInSl = 2; // c1 (10 s), c7 (15 s); c2 waited 45 s
        sat.abandoned = 1;    // c4
        sat.shortAbandoned = 1;
        sat.missed = 1;    // c5, voicemail
        sat.callbacks = 1; // c6 chose a callback: not abandoned
        sat.waitAnsweredMs = 10000 + 45000 + 15000;
        sat.handled = 3;
        sat.talkMs = 300000 + 120000 + 120000;
        sat.wrapMs = 30000 + 20000;
        sat.fcrResolved = 2; // c2 (resolved) and c7; c1's caller called again
        COMPARE_COUNTERS(daily(m_c.storeA, "2026-10-31"), sat);

        const auto f = cc::analytics::figuresOf(sat);
        QCOMPARE(*f.serviceLevel, 2.0 / 5.0); // answered in 20 s / (answered+abandoned+missed)
        QCOMPARE(*f.abandonRate, 1.0 / 6.0);
        QCOMPARE(*f.asaSeconds, 70.0 / 3.0);
        QCOMPARE(*f.ahtSeconds, 590.0 / 3.0);
        QCOMPARE(*f.fcrRate, 2.0 / 3.0);

        // A, Sunday: c8 c9 c10 offered, c11 outbound, c12 served by the automated line.
        Counters sun;
        sun.offered = 3;
        sun.answered = 2;
        sun.answeredInSl = 2;
        sun.abandoned = 1;
        sun.outbound = 1;
        sun.selfServed = 1;
        sun.waitAnsweredMs = 5000 + 8000;
        sun.handled = 2;
        sun.talkMs = 60000 + 100000;
        sun.fcrResolved = 2;
        sun.answeredElsewhere = 1; // c10, answered by store B
        COMPARE_COUNTERS(daily(m_c.storeA, "2026-11-01"), sun);

        Counters b;
        b.offered = 2;
        b.answered = 1;
        b.abandoned = 1;
        b.waitAnsweredMs = 25000;
        b.handled = 1;
        b.talkMs = 200000;
        b.wrapMs = 10000;
        b.fcrResolved = 1;
        COMPARE_COUNTERS(daily(m_c.storeB, "2026-11-01"), b);

        // The repeated 01:00 hour holds both of its calls; 00:00 holds none of Saturday's c7.
        QCOMPARE(q("SELECT offered FROM call_stats_hourly WHERE location_id = " + lit(m_c.storeA) +
                   " AND local_hour = '2026-11-01 01:00'"),
                 std::string("2"));
        QCOMPARE(q("SELECT offered FROM call_stats_hourly WHERE location_id = " + lit(m_c.storeA) +
                   " AND local_hour = '2026-10-31 23:00'"),
                 std::string("1"));
        QCOMPARE(q("SELECT count(*) FROM call_stats_hourly WHERE location_id = " + lit(m_c.storeA) +
                   " AND local_hour = '2026-11-01 00:00'"),
                 std::string("0"));

        // Callbacks: Saturday one of two on time; Sunday's open one is late, the cancelled one
        // does not count.
        QCOMPARE(q("SELECT callbacks_due || '/' || callbacks_in_target FROM call_stats_daily "
                   "WHERE location_id = " +
                   lit(m_c.storeA) + " AND local_date = '2026-10-31'"),
                 std::string("2/1"));
        QCOMPARE(q("SELECT callbacks_due || '/' || callbacks_in_target FROM call_stats_daily "
                   "WHERE location_id = " +
                   lit(m_c.storeA) + " AND local_date = '2026-11-01'"),
                 std::string("1/0"));

        // Per person: Bea answered at both stores.
        QCOMPARE(q("SELECT sum(answered) || '/' || sum(answered_elsewhere) FROM "
                   "agent_stats_daily WHERE user_id = " +
                   lit(m_c.staffB) + " AND local_date = '2026-11-01'"),
                 std::string("2/1"));
    }

    void sqlAndLivePathsAgree()
    {
        const cc::analytics::Settings settings;
        for (const auto& [store, date] :
             std::vector<std::pair<std::string, std::string>>{{m_c.storeA, "2026-10-31"},
                                                              {m_c.storeA, "2026-11-01"},
                                                              {m_c.storeB, "2026-11-01"}}) {
            COMPARE_COUNTERS(daily(store, date), computed(store, date, settings));
        }
        // Hour by hour too, across the repeated hour.
        for (int hour : {1, 9, 10, 23}) {
            pqxx::work tx(*m_db);
            const pqxx::result r =
                tx.exec(std::string("SELECT ") + kCounterColumns +
                        " FROM call_stats_hourly WHERE location_id = " + lit(m_c.storeA) +
                        " AND local_hour = '2026-11-01 " + (hour < 10 ? "0" : "") +
                        std::to_string(hour) + ":00'");
            tx.commit();
            const Counters sql = r.empty() ? Counters{} : countersOfRow(r[0], 0);
            COMPARE_COUNTERS(sql, computed(m_c.storeA, "2026-11-01", settings, hour));
        }
    }

    void rollupsKeptChangeByChangeEqualARebuild()
    {
        // Every non-empty rollup row, as text (all-zero rows are equivalent to none).
        const std::string nonEmpty = std::string("ARRAY[") + kCounterColumns +
                                     ", callbacks_due, callbacks_in_target] <> "
                                     "array_fill(0::bigint, ARRAY[17]) AND organisation_id = " +
                                     lit(m_c.org);
        const std::string snapshot =
            "SELECT string_agg(h::text, ',' ORDER BY location_id, local_hour) FROM "
            "call_stats_hourly h WHERE " +
            nonEmpty;
        const std::string agents =
            "SELECT string_agg(a::text, ',' ORDER BY user_id, location_id, local_date) FROM "
            "agent_stats_daily a WHERE " +
            nonEmpty;
        const std::string profile = "SELECT string_agg(p::text, ',' ORDER BY location_id, "
                                    "local_month, isodow, hour_of_day) FROM "
                                    "call_stats_hour_profile p WHERE " +
                                    nonEmpty;
        const std::string before = q(snapshot);
        const std::string agentsBefore = q(agents);
        const std::string profileBefore = q(profile);
        QVERIFY(!before.empty());
        QVERIFY(!profileBefore.empty());
        // The rebuild must make the profile again, not leave it as it was.
        run(*m_db, "DELETE FROM call_stats_hour_profile WHERE organisation_id = " + lit(m_c.org));
        run(*m_db, "SELECT analytics_rebuild(" + lit(m_c.org) + ")");
        const std::string after = q(snapshot);
        if (after != before) {
            qWarning("before: %s\nafter:  %s", before.c_str(), after.c_str());
        }
        QCOMPARE(after, before);
        QCOMPARE(q(agents), agentsBefore);
        QCOMPARE(q(profile), profileBefore);
    }

    void wrapUpIsMeasuredFromPresence()
    {
        const std::string id = live(m_c.storeA, "+15550100031", "2026-11-02 15:00:00", 4, 64,
                                    "completed", m_c.staffA2);
        run(*m_db, "UPDATE presence SET activity = 'wrap_up', call_id = " + lit(id) +
                       " WHERE user_id = " + lit(m_c.staffA2));
        QTest::qWait(300);
        run(*m_db, "UPDATE presence SET activity = 'idle', call_id = NULL WHERE user_id = " +
                       lit(m_c.staffA2));
        const int wrap = std::stoi(q("SELECT wrap_up_ms FROM calls WHERE id = " + lit(id)));
        QVERIFY2(wrap >= 250 && wrap < 10000, qPrintable(QString::number(wrap)));
        QCOMPARE(q("SELECT wrap_ms FROM call_stats_daily WHERE location_id = " + lit(m_c.storeA) +
                   " AND local_date = '2026-11-02'"),
                 std::to_string(wrap));
    }

    void reportOverHttp()
    {
        // Executives: the organisation, by store.
        auto r = get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-11-01&by=store");
        QCOMPARE(r.status, 200);
        const QJsonObject o = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(o["serviceLevelSeconds"].toInt(), 20);
        const QJsonArray rows = o["rows"].toArray();
        QCOMPARE(rows.size(), 2);
        QJsonObject a;
        for (const auto& row : rows) {
            if (row.toObject()["key"].toString().toStdString() == m_c.storeA) {
                a = row.toObject();
            }
        }
        QCOMPARE(a["label"].toString(), QStringLiteral("Store A (A)"));
        QCOMPARE(a["offered"].toInt(), 9);
        QCOMPARE(a["answered"].toInt(), 5);
        QCOMPARE(a["answered_in_sl"].toInt(), 4);
        QCOMPARE(a["callbacks_due"].toInt(), 3);
        QCOMPARE(a["callbacks_in_target"].toInt(), 1);
        QCOMPARE(a["service_level"].toDouble(), 4.0 / 8.0);
        QCOMPARE(o["totals"].toObject()["offered"].toInt(), 11);

        // By hour: the 01:00 hour of both days together, by weekday and hour too.
        r = get(m_c.admin, "/v1/analytics?from=2026-11-01&to=2026-11-01&by=hour&location=" +
                               QString::fromStdString(m_c.storeA));
        QCOMPARE(r.status, 200);
        QJsonObject hour1;
        for (const auto& row : QJsonDocument::fromJson(r.body).object()["rows"].toArray()) {
            if (row.toObject()["key"].toString() == QLatin1String("1")) {
                hour1 = row.toObject();
            }
        }
        QCOMPARE(hour1["offered"].toInt(), 2);
        r = get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-11-01&by=weekday_hour");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("\"key\":\"7-1\"")); // Sunday 01:00

        // Per person, and the empty "no answer" of a day without calls.
        r = get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-11-01&by=person");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("bea@acme.example"));
        r = get(m_c.admin, "/v1/analytics?from=2025-01-01&to=2025-01-02&by=organisation");
        QCOMPARE(r.status, 200);
        QCOMPARE(
            QJsonDocument::fromJson(r.body).object()["totals"].toObject()["service_level"].isNull(),
            true);

        // Bad input: a clear 400.
        QCOMPARE(get(m_c.admin, "/v1/analytics?from=2026-11-01&to=2026-10-01").status, 400);
        QCOMPARE(get(m_c.admin, "/v1/analytics?from=2026-02-30&to=2026-03-01").status, 400);
        QCOMPARE(get(m_c.admin, "/v1/analytics?from=2024-01-01&to=2026-01-01").status, 400);
        QCOMPARE(get(m_c.admin, "/v1/analytics?from=2026-11-01&to=2026-11-01&by=planet").status,
                 400);
        QCOMPARE(get(m_c.admin, "/v1/analytics?from=2026-11-01&to=2026-11-01&location=x'--").status,
                 400);
    }

    void roleLimits()
    {
        // Staff have the wallboard, not the history.
        QCOMPARE(get(m_c.staffA, "/v1/analytics?from=2026-10-31&to=2026-11-01").status, 403);
        // The manager sees their stores; another organisation's store is refused.
        auto r = get(m_c.manager, "/v1/analytics?from=2026-10-31&to=2026-11-01&by=organisation");
        QCOMPARE(r.status, 200);
        QCOMPARE(QJsonDocument::fromJson(r.body).object()["totals"].toObject()["offered"].toInt(),
                 11);
        QCOMPARE(get(m_c.manager, "/v1/analytics?from=2026-10-31&to=2026-11-01&location=" +
                                      QString::fromStdString(m_c.rivalStore))
                     .status,
                 403);
        QCOMPARE(get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-11-01&location=" +
                                    QString::fromStdString(m_c.rivalStore))
                     .status,
                 403);
        // The rival organisation's staff see nothing of acme's, even as an executive.
        run(*m_db, "UPDATE users SET role = 'executive' WHERE id = " + lit(m_c.rivalStaff));
        r = get(m_c.rivalStaff, "/v1/analytics?from=2026-10-31&to=2026-11-01&by=organisation");
        QCOMPARE(r.status, 200);
        QCOMPARE(QJsonDocument::fromJson(r.body).object()["totals"].toObject()["offered"].toInt(),
                 0);
        run(*m_db, "UPDATE users SET role = 'staff' WHERE id = " + lit(m_c.rivalStaff));
        // Without a token: 401.
        QCOMPARE(cc::test::httpsGet(m_fx.server->baseUrl() +
                                        "/v1/analytics?from=2026-10-31&to=2026-11-01",
                                    m_fx.tls.ca())
                     .status,
                 401);
    }

    void csvExportIsAudited()
    {
        const std::string audits = "SELECT count(*) FROM audit_log WHERE action = "
                                   "'analytics.export' AND actor_user_id = " +
                                   lit(m_c.manager);
        QCOMPARE(q(audits), std::string("0"));
        const auto r =
            get(m_c.manager, "/v1/analytics?from=2026-10-31&to=2026-11-01&by=day&format=csv");
        QCOMPARE(r.status, 200);
        const QList<QByteArray> lines = r.body.split('\n');
        QVERIFY(lines[0].startsWith("key,label,offered,answered,answered_in_sl"));
        QVERIFY(r.body.contains("\r\n2026-10-31,2026-10-31,6,3,2,1,1,1,1,0,0,70000,3,540000,"
                                "50000,2,0,2,1,0.4000,"));
        QVERIFY(r.body.contains("\r\ntotal,Total,"));
        QCOMPARE(q(audits), std::string("1"));
        // Not exported: not audited.
        QCOMPARE(get(m_c.manager, "/v1/analytics?from=2026-10-31&to=2026-11-01&by=day").status,
                 200);
        QCOMPARE(q(audits), std::string("1"));
    }

    void occupancyFromStaffedTime()
    {
        // Ann was staffed 09:00-17:00 on Saturday, and 22:00 to 01:00 (EST) across midnight.
        run(*m_db, "SELECT analytics_add_staffed(" + lit(m_c.staffA) + ", " + lit(m_c.org) +
                       ", '2026-10-31 13:00+00', '2026-10-31 21:00+00'), analytics_add_staffed(" +
                       lit(m_c.staffA) + ", " + lit(m_c.org) +
                       ", '2026-11-01 02:00+00', '2026-11-01 06:00+00')");
        QCOMPARE(q("SELECT string_agg(local_date || '=' || staffed_ms, ',' ORDER BY local_date) "
                   "FROM agent_stats_daily WHERE user_id = " +
                   lit(m_c.staffA) + " AND staffed_ms > 0"),
                 std::string("2026-10-31=36000000,2026-11-01=7200000"));
        // Saturday: c1 (300 s + 30 s wrap-up) and c7 (120 s + 20 s) over 10 hours.
        auto r = get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-10-31&by=person");
        QCOMPARE(r.status, 200);
        QJsonObject ann;
        for (const auto& row : QJsonDocument::fromJson(r.body).object()["rows"].toArray()) {
            if (row.toObject()["key"].toString().toStdString() == m_c.staffA) {
                ann = row.toObject();
            }
        }
        QCOMPARE(ann["staffed_ms"].toInteger(), 36000000);
        QCOMPARE(ann["occupancy"].toDouble(), 470000.0 / 36000000.0);
        // Her store's occupancy counts its people (Bea's calls for store A count at B).
        r = get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-10-31&by=store");
        QVERIFY(r.body.contains("\"occupancy\":"));
        // By day there is no occupancy (staffed time is counted by day, calls by local hour).
        r = get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-10-31&by=hour");
        QVERIFY(
            QJsonDocument::fromJson(r.body).object()["totals"].toObject()["occupancy"].isNull());

        // From presence: signed in and available is staffed; away ends it and counts it.
        run(*m_db, "UPDATE presence SET devices = 1, status = 'available' WHERE user_id = " +
                       lit(m_c.staffB));
        QCOMPARE(
            q("SELECT staffed_since IS NOT NULL FROM presence WHERE user_id = " + lit(m_c.staffB)),
            std::string("t"));
        const std::string today = q("SELECT (now() AT TIME ZONE 'Europe/London')::date");
        QTest::qWait(200);
        run(*m_db, "UPDATE presence SET status = 'away' WHERE user_id = " + lit(m_c.staffB));
        QCOMPARE(q("SELECT staffed_since IS NULL FROM presence WHERE user_id = " + lit(m_c.staffB)),
                 std::string("t"));
        const auto staffed = std::stoll(q("SELECT coalesce(sum(staffed_ms), 0) FROM "
                                          "agent_stats_daily WHERE user_id = " +
                                          lit(m_c.staffB) + " AND local_date = '" + today + "'"));
        QVERIFY2(staffed >= 150 && staffed < 10000, qPrintable(QString::number(staffed)));
        run(*m_db, "UPDATE presence SET devices = 0 WHERE user_id = " + lit(m_c.staffB));
    }

    void newThresholdsCountTheHistoryAgain()
    {
        QCOMPARE(cc::test::httpsPut(
                     m_fx.server->baseUrl() + "/v1/admin/analytics-settings", m_fx.tls.ca(),
                     R"({"serviceLevelSeconds": 50})", 10000,
                     {{"Authorization",
                       QByteArray("Bearer ") + QByteArray::fromStdString(token(m_c.manager))}})
                     .status,
                 403);
        const auto bad = cc::test::httpsPut(
            m_fx.server->baseUrl() + "/v1/admin/analytics-settings", m_fx.tls.ca(),
            R"({"serviceLevelSeconds": 0})", 10000,
            {{"Authorization",
              QByteArray("Bearer ") + QByteArray::fromStdString(token(m_c.admin))}});
        QCOMPARE(bad.status, 400);
        const auto ok = cc::test::httpsPut(
            m_fx.server->baseUrl() + "/v1/admin/analytics-settings", m_fx.tls.ca(),
            R"({"serviceLevelSeconds": 50, "shortAbandonSeconds": 2})", 10000,
            {{"Authorization",
              QByteArray("Bearer ") + QByteArray::fromStdString(token(m_c.admin))}});
        QCOMPARE(ok.status, 200);
        QCOMPARE(QJsonDocument::fromJson(ok.body).object()["repeatWindowHours"].toInt(), 72);
        // c2 (45 s) is now within the service level; c3 (3 s) is a real abandon.
        const cc::analytics::Settings settings{50, 2, 72};
        const Counters sat = daily(m_c.storeA, "2026-10-31");
        QCOMPARE(sat.answeredInSl, std::int64_t{3});
        QCOMPARE(sat.shortAbandoned, std::int64_t{0});
        QCOMPARE(sat.abandoned, std::int64_t{2});
        COMPARE_COUNTERS(sat, computed(m_c.storeA, "2026-10-31", settings));
        QCOMPARE(q("SELECT count(*) FROM audit_log WHERE action = 'analytics_settings.set'"),
                 std::string("1"));
        run(*m_db, "UPDATE analytics_settings SET service_level_s = 20, short_abandon_s = 5");
        QCOMPARE(daily(m_c.storeA, "2026-10-31").answeredInSl, std::int64_t{2});
    }

    void liveFiguresArePushedAndMatchTheSqlPath()
    {
        LiveClient client(m_fx.server->wsUrl(), m_fx.tls.ca(), token(m_c.staffA));
        QVERIFY(client.hello());
        // Staff may not watch another store.
        client.send(cc::protocol::AnalyticsSubscribe{{m_c.storeB}, false});
        const auto* refused = client.waitFor<cc::protocol::Error>(10000);
        QVERIFY(refused != nullptr);
        QVERIFY(refused->code == cc::protocol::ErrorCode::Forbidden);

        client.send(cc::protocol::AnalyticsSubscribe{{}, false}); // their stores
        const auto* first = client.waitFor<cc::protocol::AnalyticsUpdate>(
            10000, [&](const auto& u) { return u.key == m_c.storeA; });
        QVERIFY(first != nullptr);
        QCOMPARE(first->scope, std::string("location"));
        QCOMPARE(first->hours.size(), std::size_t(24));
        const std::int64_t offeredBefore = first->totals.offered;
        const std::string today = first->date;
        QCOMPARE(today, q("SELECT to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD')"));

        // A caller waits: the wallboard shows them within moments.
        const std::string id = cc::test::newUuid();
        QElapsedTimer timer;
        timer.start();
        run(*m_db, "INSERT INTO calls (id, organisation_id, location_id, direction, from_number, "
                   "to_number, started_at, status) VALUES (" +
                       lit(id) + ", " + lit(m_c.org) + ", " + lit(m_c.storeA) +
                       ", 'inbound', '+15550100041', '+442071110000', now() - interval '3 "
                       "seconds', 'ringing')");
        const auto* waiting = client.waitFor<cc::protocol::AnalyticsUpdate>(
            10000, [&](const auto& u) { return u.key == m_c.storeA && u.waiting == 1; });
        QVERIFY(waiting != nullptr);
        qInfo("call event to pushed figure: %lld ms", static_cast<long long>(timer.elapsed()));
        QCOMPARE(waiting->totals.offered, offeredBefore + 1);
        QVERIFY(waiting->oldestWaitingMs > 0);

        // Answered and over: the figures follow, and equal the SQL path's for today.
        run(*m_db, "UPDATE calls SET status = 'in_progress', answered_at = now(), handled_by = " +
                       lit(m_c.staffA) + " WHERE id = " + lit(id));
        run(*m_db, "UPDATE calls SET status = 'completed', ended_at = now() + interval '30 "
                   "seconds' WHERE id = " +
                       lit(id));
        const auto* done = client.waitFor<cc::protocol::AnalyticsUpdate>(10000, [&](const auto& u) {
            return u.key == m_c.storeA && u.totals.handled > 0 && u.waiting == 0 &&
                   !u.people.empty();
        });
        QVERIFY(done != nullptr);
        COMPARE_COUNTERS(done->totals, daily(m_c.storeA, today));
        QCOMPARE(done->people.front().userId, m_c.staffA);
    }

    // The app's own feed on the app's own connection: what the wallboard binds to.
    void appFeedFollowsTheServer()
    {
        cc::app::ServerConnection connection(nullptr);
        connection.setUrl(QUrl(m_fx.server->wsUrl()));
        connection.setExtraCaCertificates(m_fx.tls.ca());
        connection.setDeviceId(QStringLiteral("analytics-app-feed"));
        connection.setAccessToken(QString::fromStdString(token(m_c.staffA)));
        cc::app::AnalyticsFeed feed(&connection);
        const QString storeA = QString::fromStdString(m_c.storeA);
        feed.watch(storeA);
        connection.connectToServer();
        QVERIFY(cc::test::SyncDevice::waitFor(
            [&] { return feed.find(storeA) != nullptr && feed.find(storeA)->live; }, 15000));
        const std::int64_t offered = feed.find(storeA)->update.totals.offered;
        run(*m_db, "INSERT INTO calls (id, organisation_id, location_id, direction, from_number, "
                   "to_number, started_at, status) VALUES (" +
                       lit(cc::test::newUuid()) + ", " + lit(m_c.org) + ", " + lit(m_c.storeA) +
                       ", 'inbound', '+15550100051', '+442071110000', now(), 'ringing')");
        QVERIFY(cc::test::SyncDevice::waitFor(
            [&] { return feed.find(storeA)->update.totals.offered == offered + 1; }, 10000));
        QVERIFY(feed.error().isEmpty());
        // A store that is not hers: the feed says why.
        feed.watch(QString::fromStdString(m_c.storeB));
        QVERIFY(cc::test::SyncDevice::waitFor([&] { return !feed.error().isEmpty(); }, 10000));
        connection.disconnectFromServer();
    }

    // The app's report model through the app's own Session: what the executive dashboard reads.
    void appReportReadsTheServer()
    {
        run(*m_db, "UPDATE users SET password_hash = " +
                       lit(cc::server::auth::hashPassword("correct horse battery")) +
                       " WHERE id = " + lit(m_c.admin));
        cc::app::ServerConnection connection(nullptr);
        connection.setUrl(QUrl(m_fx.server->wsUrl()));
        connection.setExtraCaCertificates(m_fx.tls.ca());
        connection.setDeviceId(QStringLiteral("analytics-app-report"));
        cc::app::Session session(&connection, nullptr);
        session.setExtraCaCertificates(m_fx.tls.ca());
        session.setOrganisation(QStringLiteral("acme"));
        session.setEmail(QStringLiteral("ada@acme.example"));
        session.signIn(QStringLiteral("correct horse battery"));
        QVERIFY2(cc::test::SyncDevice::waitFor(
                     [&] { return session.state() == cc::app::Session::State::SignedIn; }, 15000),
                 qPrintable(session.error()));
        cc::app::AnalyticsReport report;
        report.setBy(QStringLiteral("store"));
        report.setFrom(QStringLiteral("2026-10-31"));
        report.setTo(QStringLiteral("2026-11-01"));
        report.setSession(&session);
        report.refresh();
        QVERIFY2(cc::test::SyncDevice::waitFor([&] { return report.count() == 2; }, 15000),
                 qPrintable(report.error()));
        QVERIFY(report.error().isEmpty());
        QCOMPARE(report.totals().value(QStringLiteral("offered")).toInt(), 11);
        // By weekday and hour too (a query string with several parameters).
        report.setBy(QStringLiteral("weekday_hour"));
        report.setLocations({QString::fromStdString(m_c.storeA)});
        const int buckets = static_cast<int>(
            QJsonDocument::fromJson(get(m_c.admin, "/v1/analytics?from=2026-10-31&to=2026-11-01&by="
                                                   "weekday_hour&location=" +
                                                       QString::fromStdString(m_c.storeA))
                                        .body)
                .object()["rows"]
                .toArray()
                .size());
        QVERIFY(buckets > 2);
        QVERIFY2(cc::test::SyncDevice::waitFor([&] { return report.count() == buckets; }, 15000),
                 qPrintable(report.error()));
        QVERIFY(report.error().isEmpty());
    }

    void executivesWatchTheOrganisation()
    {
        LiveClient client(m_fx.server->wsUrl(), m_fx.tls.ca(), token(m_c.admin));
        QVERIFY(client.hello());
        client.send(cc::protocol::AnalyticsSubscribe{{}, false});
        const auto* org = client.waitFor<cc::protocol::AnalyticsUpdate>(
            10000, [&](const auto& u) { return u.scope == "organisation"; });
        QVERIFY(org != nullptr);
        QCOMPARE(org->key, m_c.org);
        // The organisation's "today" is each store's own today.
        const Counters expected = [&] {
            Counters sum = daily(m_c.storeA, q("SELECT to_char(now() AT TIME ZONE "
                                               "'America/New_York', 'YYYY-MM-DD')"));
            sum += daily(m_c.storeB, q("SELECT to_char(now() AT TIME ZONE 'Europe/London', "
                                       "'YYYY-MM-DD')"));
            return sum;
        }();
        COMPARE_COUNTERS(org->totals, expected);
        // And stopping ends the pushes: a new call brings no update.
        client.send(cc::protocol::AnalyticsSubscribe{{}, true});
        QTest::qWait(300);
        const std::size_t received = client.received();
        run(*m_db, "INSERT INTO calls (id, organisation_id, location_id, direction, from_number, "
                   "to_number, started_at, status) VALUES (" +
                       lit(cc::test::newUuid()) + ", " + lit(m_c.org) + ", " + lit(m_c.storeB) +
                       ", 'inbound', '+15550100042', '+442072220000', now(), 'ringing')");
        QTest::qWait(1500);
        QCOMPARE(client.received(), received);
    }

    // Reports by time of day read whole months from call_stats_hour_profile and the days around
    // them from call_stats_hourly: any period answers as the hourly rollup alone would.
    void timeOfDayReportsOverMonthsMatchTheHourlyRollup()
    {
        // Store A keeps New York time: 03:30 UTC on 1 October is still 30 September there, and
        // 04:30 UTC on 1 December still 30 November.
        live(m_c.storeA, "+15550100051", "2026-09-30 20:00:00", 5, 65, "completed", m_c.staffA);
        live(m_c.storeA, "+15550100052", "2026-10-01 03:30:00", -1, 40, "abandoned");
        live(m_c.storeA, "+15550100053", "2026-10-15 14:10:00", 30, 200, "completed", m_c.staffA);
        live(m_c.storeA, "+15550100054", "2026-12-01 04:30:00", 8, 100, "completed", m_c.staffA2);
        live(m_c.storeA, "+15550100055", "2026-12-14 16:00:00", 12, 90, "completed", m_c.staffA);
        live(m_c.storeB, "+447700900056", "2026-09-01 00:30:00", 3, 50, "completed", m_c.staffB);
        live(m_c.storeB, "+447700900057", "2026-12-31 23:30:00", -1, 9, "abandoned");

        // Kept change by change, the profile is the hourly rollup folded by month.
        const std::string fold =
            "SELECT location_id, date_trunc('month', local_hour)::date, "
            "extract(isodow FROM local_hour)::smallint, extract(hour FROM local_hour)::smallint, "
            "sum(offered), sum(answered), sum(talk_ms), sum(callbacks_due) FROM call_stats_hourly "
            "WHERE organisation_id = " +
            lit(m_c.org) + " GROUP BY 1, 2, 3, 4";
        const std::string kept = "SELECT location_id, local_month, isodow, hour_of_day, offered, "
                                 "answered, talk_ms, callbacks_due FROM call_stats_hour_profile "
                                 "WHERE organisation_id = " +
                                 lit(m_c.org);
        QCOMPARE(q("SELECT count(*) FROM ((" + fold + ") EXCEPT (" + kept + ")) d"),
                 std::string("0"));
        QCOMPARE(q("SELECT count(*) FROM ((" + kept + ") EXCEPT (" + fold + ")) d"),
                 std::string("0"));
        QVERIFY(std::stoi(q("SELECT count(*) FROM call_stats_hour_profile WHERE local_month = "
                            "'2026-09-01' AND location_id = " +
                            lit(m_c.storeA))) >= 2);

        struct Period {
            const char* from;
            const char* to;
        };
        // Partial months at both ends; whole months only; one partial month; a month boundary
        // alone; a whole month then part of the next; part of a month then a whole one.
        const Period periods[] = {{"2026-09-15", "2026-12-20"}, {"2026-09-01", "2026-12-31"},
                                  {"2026-10-02", "2026-10-30"}, {"2026-09-30", "2026-10-01"},
                                  {"2026-11-01", "2026-12-14"}, {"2026-09-30", "2026-11-30"}};
        for (const auto& [from, to] : periods) {
            for (const char* by : {"hour", "weekday_hour"}) {
                for (const std::string& store : {std::string(), m_c.storeA}) {
                    const std::string key =
                        std::string(by) == "hour"
                            ? "extract(hour FROM local_hour)::text"
                            : "extract(isodow FROM local_hour) || '-' || extract(hour FROM "
                              "local_hour)";
                    const std::string expected =
                        q("SELECT coalesce(string_agg(k || ':' || o || '/' || a || '/' || t, ',' "
                          "ORDER BY k COLLATE \"C\"), '') FROM (SELECT " +
                          key +
                          " AS k, sum(offered) AS o, sum(answered) AS a, sum(talk_ms) AS t FROM "
                          "call_stats_hourly WHERE organisation_id = " +
                          lit(m_c.org) + " AND local_hour >= " + lit(from) +
                          "::date AND local_hour < " + lit(to) + "::date + 1" +
                          (store.empty() ? "" : " AND location_id = " + lit(store)) +
                          " GROUP BY 1) x WHERE o > 0 OR a > 0 OR t > 0");
                    const auto r =
                        get(m_c.admin,
                            QStringLiteral("/v1/analytics?from=%1&to=%2&by=%3%4")
                                .arg(QLatin1String(from), QLatin1String(to), QLatin1String(by),
                                     store.empty() ? QString()
                                                   : QStringLiteral("&location=") +
                                                         QString::fromStdString(store)));
                    QCOMPARE(r.status, 200);
                    std::map<std::string, std::string> rows;
                    for (const auto& v :
                         QJsonDocument::fromJson(r.body).object()["rows"].toArray()) {
                        const QJsonObject row = v.toObject();
                        const auto o = row["offered"].toInteger();
                        const auto a = row["answered"].toInteger();
                        const auto t = row["talk_ms"].toInteger();
                        if (o > 0 || a > 0 || t > 0) {
                            rows[row["key"].toString().toStdString()] = std::to_string(o) + "/" +
                                                                        std::to_string(a) + "/" +
                                                                        std::to_string(t);
                        }
                    }
                    std::string actual;
                    for (const auto& [k, v] : rows) {
                        actual += (actual.empty() ? "" : ",") + k + ":" + v;
                    }
                    if (actual != expected) {
                        qWarning("%s..%s by %s%s\n report: %s\n hourly: %s", from, to, by,
                                 store.empty() ? "" : " (store A)", actual.c_str(),
                                 expected.c_str());
                    }
                    QCOMPARE(actual, expected);
                    QVERIFY(!expected.empty());
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestAnalytics)
#include "tst_analytics.moc"
