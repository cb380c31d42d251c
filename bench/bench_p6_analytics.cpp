// P6: a call event to the updated figure on a subscribed dashboard, and historical figures.
//
// Live: dashboards (WebSocket clients of the real server, each watching the probe store, plus
// an executive watching the whole organisation) are subscribed; a load of simulated calls runs
// over the other stores (each call's life as the call flow writes it: ringing, answered, over,
// three transactions, at --load calls/s); every --probe-ms a probe call starts ringing at the
// probe store and later ends. For each probe change the time from just before its commit to the
// arrival of the figure that shows it (a caller more or fewer waiting) at each dashboard.
//
// Historical: a year of generated calls for --stores stores (written in bulk, then counted into
// the rollups by analytics_rebuild, whose time is reported), then GET /v1/analytics over the
// whole year by organisation, region, store, day and weekday-hour, each asked --repeat times:
// the median and the slowest answer, as an executive's dashboard would ask.

#include "bench/harness.h"
#include "shared/protocol/envelope.h"
#include "tests/support/serverprocess.h"

#include <QCoreApplication>
#include <QSslConfiguration>
#include <QWebSocket>

#include <pqxx/pqxx>

#include <atomic>
#include <map>
#include <random>
#include <thread>

using namespace cc::bench;

namespace {

std::string lit(const std::string& s)
{
    return "'" + s + "'";
}

bool spinUntil(const std::function<bool()>& done, int timeoutMs)
{
    const auto until = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!done()) {
        if (Clock::now() > until) {
            return false;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

// One dashboard: a signed-in WebSocket client that keeps the newest waiting count per key and
// when each change of it arrived.
class Dashboard {
public:
    Dashboard(const QString& url, const QList<QSslCertificate>& ca, std::string token,
              std::string watch)
        : m_token(std::move(token))
        , m_watch(std::move(watch))
    {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(ca);
        m_ws.setSslConfiguration(ssl);
        QObject::connect(&m_ws, &QWebSocket::textMessageReceived, [this](const QString& text) {
            const auto at = Clock::now();
            auto env = cc::protocol::decode(text.toStdString());
            if (!env) {
                return;
            }
            if (std::holds_alternative<cc::protocol::Welcome>(env.value().body)) {
                m_welcomed = true;
            } else if (const auto* u =
                           std::get_if<cc::protocol::AnalyticsUpdate>(&env.value().body)) {
                if (u->key == m_watch) {
                    m_waiting = u->waiting;
                    m_changedAt = at;
                    ++m_updates;
                }
            }
        });
        m_ws.open(QUrl(url));
    }
    bool start()
    {
        if (!spinUntil([this] { return m_ws.state() == QAbstractSocket::ConnectedState; }, 15000)) {
            return false;
        }
        cc::protocol::Hello h;
        h.client = "bench_p6";
        h.clientVersion = "1";
        h.deviceId = "p6-" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
        h.token = m_token;
        send(h);
        if (!spinUntil([this] { return m_welcomed; }, 15000)) {
            return false;
        }
        send(cc::protocol::AnalyticsSubscribe{{}, false});
        return spinUntil([this] { return m_updates > 0; }, 30000);
    }
    int waiting() const { return m_waiting; }
    Clock::time_point changedAt() const { return m_changedAt; }

private:
    void send(cc::protocol::Body body)
    {
        m_ws.sendTextMessage(QString::fromStdString(
            cc::protocol::encode(cc::protocol::Envelope{1, "b", std::move(body)})));
    }
    QWebSocket m_ws;
    std::string m_token;
    std::string m_watch;
    bool m_welcomed = false;
    int m_waiting = -1;
    std::int64_t m_updates = 0;
    Clock::time_point m_changedAt;
};

// Simulated calls over `stores`: each call rings, is answered a moment later and ends, in three
// transactions, as the call flow writes them.
class CallLoad {
public:
    CallLoad(std::string conninfo, std::string org, std::vector<std::string> stores,
             double callsPerSecond)
        : m_conninfo(std::move(conninfo))
        , m_org(std::move(org))
        , m_stores(std::move(stores))
        , m_rate(callsPerSecond)
    {}
    ~CallLoad() { stop(); }
    void start()
    {
        m_started = Clock::now();
        m_thread = std::thread([this] { run(); });
    }
    // Calls started per second since start().
    double rate() const { return static_cast<double>(m_calls) / (msSince(m_started) / 1000.0); }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    std::int64_t calls() const { return m_calls; }

private:
    void run()
    {
        pqxx::connection conn(m_conninfo);
        std::mt19937 rng(7);
        std::vector<std::pair<std::string, Clock::time_point>> ringing; // id, answer at
        std::vector<std::pair<std::string, Clock::time_point>> talking; // id, end at
        const auto gap = std::chrono::duration<double>(m_rate > 0 ? 1.0 / m_rate : 1.0);
        auto next = Clock::now();
        std::size_t n = 0;
        while (!m_stop) {
            const auto now = Clock::now();
            if (m_rate > 0 && now >= next) {
                next += std::chrono::duration_cast<Clock::duration>(gap);
                pqxx::work tx(conn);
                const std::string callId =
                    tx.exec("SELECT gen_random_uuid()::text")[0][0].as<std::string>();
                tx.exec0("INSERT INTO calls (id, organisation_id, location_id, direction, "
                         "from_number, to_number, started_at, status) VALUES (" +
                         lit(callId) + ", " + lit(m_org) + ", " +
                         lit(m_stores[n % m_stores.size()]) + ", 'inbound', '+1555" +
                         std::to_string(1000000 + rng() % 9000000) +
                         "', '+15550000000', now(), 'ringing')");
                tx.commit();
                ringing.emplace_back(callId, now + std::chrono::milliseconds(200 + rng() % 800));
                ++n;
                ++m_calls;
            }
            for (auto it = ringing.begin(); it != ringing.end();) {
                if (it->second > now) {
                    ++it;
                    continue;
                }
                pqxx::work tx(conn);
                tx.exec0(
                    "UPDATE calls SET status = 'in_progress', answered_at = now() WHERE id = " +
                    lit(it->first));
                tx.commit();
                talking.emplace_back(it->first,
                                     now + std::chrono::milliseconds(500 + rng() % 1500));
                it = ringing.erase(it);
            }
            for (auto it = talking.begin(); it != talking.end();) {
                if (it->second > now) {
                    ++it;
                    continue;
                }
                pqxx::work tx(conn);
                tx.exec0("UPDATE calls SET status = 'completed', ended_at = now() WHERE id = " +
                         lit(it->first));
                tx.commit();
                it = talking.erase(it);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }

    std::string m_conninfo;
    std::string m_org;
    std::vector<std::string> m_stores;
    double m_rate;
    std::atomic<bool> m_stop{false};
    std::atomic<std::int64_t> m_calls{0};
    Clock::time_point m_started;
    std::thread m_thread;
};

std::vector<std::string> makeStores(pqxx::connection& conn, const std::string& org, int count,
                                    int regions)
{
    pqxx::work tx(conn);
    tx.exec0("INSERT INTO regions (id, organisation_id, name) SELECT gen_random_uuid(), " +
             lit(org) + ", 'Region ' || r FROM generate_series(1, " + std::to_string(regions) +
             ") r");
    const pqxx::result r = tx.exec(
        "WITH rg AS (SELECT id, row_number() OVER (ORDER BY name) - 1 AS k FROM regions WHERE "
        "organisation_id = " +
        lit(org) +
        ") INSERT INTO locations (id, organisation_id, region_id, code, name, timezone, "
        "main_phone) SELECT gen_random_uuid(), " +
        lit(org) + ", (SELECT id FROM rg WHERE k = s % " + std::to_string(regions) +
        "), 'S' || s, 'Store ' || s, (ARRAY['America/New_York', 'America/Chicago', "
        "'America/Denver', 'America/Los_Angeles', 'Europe/London'])[1 + s % 5], '+1556' || "
        "lpad(s::text, 7, '0') FROM generate_series(1, " +
        std::to_string(count) + ") s RETURNING id::text");
    tx.commit();
    std::vector<std::string> ids;
    for (const auto& row : r) {
        ids.push_back(row[0].as<std::string>());
    }
    return ids;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Args args(argc, argv);
    const bool quick = args.quick();
    const auto dashboards = static_cast<int>(args.integer("dashboards", quick ? 5 : 20));
    const double load = args.real("load", quick ? 10 : 50);
    const auto loadStores = static_cast<int>(args.integer("load-stores", quick ? 10 : 50));
    const auto probes = static_cast<int>(args.integer("probes", quick ? 40 : 300));
    const auto probeMs = static_cast<int>(args.integer("probe-ms", 100));
    const auto stores = static_cast<int>(args.integer("stores", quick ? 50 : 500));
    const auto regions = static_cast<int>(args.integer("regions", quick ? 5 : 25));
    const auto days = static_cast<int>(args.integer("days", quick ? 30 : 365));
    const auto perDay = static_cast<int>(args.integer("calls-per-day", quick ? 10 : 20));
    const auto repeat = static_cast<int>(args.integer("repeat", 5));
    args.rejectUnknown("bench_p6_analytics [--quick] [--dashboards N] [--load CALLS_PER_S] "
                       "[--load-stores N] [--probes N] [--probe-ms MS] [--stores N] "
                       "[--regions N] [--days N] [--calls-per-day N] [--repeat N]");

    Report report("P6", "call event to updated figure on a subscribed dashboard");
    BenchServer server;
    if (auto err = server.start(); !err.empty()) {
        report.fail(err);
        return report.finish();
    }
    const auto& chain = server.chain();
    const std::string probeStore = chain.storeA;
    auto loadIds = makeStores(server.db(), chain.org, loadStores, 5);

    // ---- live ----
    std::vector<std::unique_ptr<Dashboard>> boards;
    for (int i = 0; i < dashboards; ++i) {
        // Managers of the probe store each watch it (their stores: A and B).
        boards.push_back(std::make_unique<Dashboard>(
            server.wsUrl(), server.ca(),
            server.token(chain.manager, "p6-board-" + std::to_string(i)), probeStore));
    }
    for (auto& b : boards) {
        if (!b->start()) {
            report.fail("a dashboard did not get its first figures");
            return report.finish();
        }
    }
    Dashboard executive(server.wsUrl(), server.ca(), server.token(chain.admin, "p6-exec"),
                        chain.org);
    if (!executive.start()) {
        report.fail("the executive's dashboard did not get its first figures");
        return report.finish();
    }
    CallLoad callLoad(server.conninfo(), chain.org, loadIds, load);
    callLoad.start();
    spinUntil([] { return false; }, 2000); // the load settles

    std::vector<double> latencies;
    int lost = 0;
    pqxx::connection probeConn(server.conninfo());
    const auto cpuFrom = server.cpu();
    const auto started = Clock::now();
    for (int p = 0; p < probes; ++p) {
        const int before = boards.front()->waiting();
        const std::string id =
            pqxx::work(probeConn).exec("SELECT gen_random_uuid()::text")[0][0].as<std::string>();
        const bool ring = true;
        for (const bool starting : {ring, !ring}) {
            const int expect = starting ? before + 1 : before;
            const auto t0 = Clock::now();
            {
                pqxx::work tx(probeConn);
                if (starting) {
                    tx.exec0("INSERT INTO calls (id, organisation_id, location_id, direction, "
                             "from_number, to_number, started_at, status) VALUES (" +
                             lit(id) + ", " + lit(chain.org) + ", " + lit(probeStore) +
                             ", 'inbound', '+15559990000', '+442071110000', now(), 'ringing')");
                } else {
                    tx.exec0("UPDATE calls SET status = 'abandoned', ended_at = now() WHERE id "
                             "= " +
                             lit(id));
                }
                tx.commit();
            }
            const bool arrived = spinUntil(
                [&] {
                    for (const auto& b : boards) {
                        if (b->waiting() != expect) {
                            return false;
                        }
                    }
                    return true;
                },
                5000);
            if (!arrived) {
                ++lost;
                continue;
            }
            for (const auto& b : boards) {
                latencies.push_back(msBetween(t0, b->changedAt()));
            }
        }
        spinUntil([] { return false; }, probeMs);
    }
    const auto cpuTo = server.cpu();
    const double loadRate = callLoad.rate();
    callLoad.stop();

    const Stats s = summarize(latencies);
    report.note("workload: " + std::to_string(dashboards) +
                " store dashboards and an executive's (the organisation's totals, pushed on every "
                "change of any store) subscribed over wss; " +
                fixed(load, 0) +
                " simulated calls/s (ring, answer, end: 3 transactions each) over " +
                std::to_string(loadStores) + " other stores; " + std::to_string(probes) +
                " probe calls rung and ended at the watched store");
    report.note("timed: from just before the probe's commit to the arrival of the figure that "
                "shows it, at every dashboard (" +
                thousands(static_cast<std::int64_t>(latencies.size())) + " samples)");
    report.note("load achieved: " + fixed(loadRate, 1) + " calls/s over " +
                fixed(msSince(started) / 1000.0, 0) + " s of probes" +
                "; CPU: " + BenchServer::cpuUse(cpuFrom, cpuTo));
    report.figure("p50", fixed(s.p50, 1) + " ms");
    report.figure("p99", fixed(s.p99, 1) + " ms", "< 250 ms", s.p99 < 250);
    report.figure("max", fixed(s.max, 1) + " ms");
    report.figure("probe changes never shown (5 s)", std::to_string(lost), "0", lost == 0);
    boards.clear();

    // ---- historical ----
    Report::progress("generating " + std::to_string(days) + " days of calls for " +
                     std::to_string(stores) + " stores");
    std::string org;
    {
        pqxx::work tx(server.db());
        org = tx.exec("INSERT INTO organisations (id, slug, name) VALUES (gen_random_uuid(), "
                      "'history', 'History') RETURNING id::text")[0][0]
                  .as<std::string>();
        tx.commit();
    }
    const auto histStores = makeStores(server.db(), org, stores, regions);
    {
        pqxx::work tx(server.db());
        tx.exec0("INSERT INTO users (id, organisation_id, email, display_name, role) VALUES "
                 "(gen_random_uuid(), " +
                 lit(org) + ", 'exec@history.example', 'Exec', 'executive')");
        tx.commit();
    }
    const std::string executiveId =
        pqxx::work(server.db())
            .exec("SELECT id::text FROM users WHERE email = 'exec@history.example'")[0][0]
            .as<std::string>();
    const auto genStart = Clock::now();
    {
        // In bulk, as an import would: the triggers are off, the rebuild below counts it all.
        pqxx::work tx(server.db());
        tx.exec0("ALTER TABLE calls DISABLE TRIGGER USER");
        tx.exec0(
            "INSERT INTO calls (id, organisation_id, location_id, direction, from_number, "
            "to_number, started_at, answered_at, ended_at, status, wrap_up_ms, disposition) "
            "SELECT gen_random_uuid(), " +
            lit(org) +
            ", l.id, 'inbound', '+1557' || lpad((random() * 9999999)::int::text, 7, '0'), "
            "l.main_phone, t.started, CASE WHEN t.r < 0.82 THEN t.started + t.wait END, "
            "t.started + t.wait + CASE WHEN t.r < 0.82 THEN t.talk ELSE interval '0' END, "
            "CASE WHEN t.r < 0.82 THEN 'completed' WHEN t.r < 0.92 THEN 'abandoned' WHEN t.r < "
            "0.96 THEN 'voicemail' ELSE 'callback' END, CASE WHEN t.r < 0.82 THEN (random() * "
            "60000)::int END, CASE WHEN t.r < 0.4 THEN 'resolved' END FROM locations l CROSS "
            "JOIN generate_series(1, " +
            std::to_string(days) + ") d CROSS JOIN generate_series(1, " + std::to_string(perDay) +
            ") k CROSS JOIN LATERAL (SELECT random() AS r, ((current_date - d) + time '08:00' + "
            "random() * interval '12 hours') AT TIME ZONE l.timezone AS started, random() * "
            "interval '40 seconds' AS wait, random() * interval '300 seconds' AS talk, k AS kk) "
            "t WHERE l.organisation_id = " +
            lit(org));
        tx.exec0("ALTER TABLE calls ENABLE TRIGGER USER");
        tx.commit();
    }
    const double genSeconds = msSince(genStart) / 1000.0;
    const auto rebuildStart = Clock::now();
    {
        pqxx::work tx(server.db());
        tx.exec("SELECT analytics_rebuild(" + lit(org) + ")");
        tx.commit();
    }
    const double rebuildSeconds = msSince(rebuildStart) / 1000.0;
    {
        pqxx::nontransaction tx(server.db());
        tx.exec0("ANALYZE calls");
        tx.exec0("ANALYZE call_stats_daily");
        tx.exec0("ANALYZE call_stats_hourly");
        tx.exec0("ANALYZE agent_stats_daily");
    }
    const std::int64_t callCount =
        countRows(server.db(), "SELECT count(*) FROM calls WHERE organisation_id = " + lit(org));
    const std::int64_t hourly = countRows(
        server.db(), "SELECT count(*) FROM call_stats_hourly WHERE organisation_id = " + lit(org));
    const std::string from =
        pqxx::work(server.db()).exec("SELECT (current_date - 365)::text")[0][0].as<std::string>();
    const std::string to =
        pqxx::work(server.db()).exec("SELECT current_date::text")[0][0].as<std::string>();
    const std::string token = server.token(executiveId, "p6-history");
    report.note("history: " + thousands(callCount) + " calls, " + std::to_string(stores) +
                " stores in " + std::to_string(regions) + " regions, " + std::to_string(days) +
                " days (written in bulk in " + fixed(genSeconds, 1) +
                " s); counted into the rollups by analytics_rebuild in " +
                fixed(rebuildSeconds, 1) + " s (" + thousands(hourly) + " store-hours)");
    report.note("timed: GET /v1/analytics over " + from + " .. " + to +
                " as the organisation's executive, HTTPS and JSON included, " +
                std::to_string(repeat) + " times each: median / slowest");
    for (const char* by : {"organisation", "region", "store", "day", "weekday_hour", "hour"}) {
        std::vector<double> times;
        int status = 0;
        for (int i = 0; i < repeat; ++i) {
            const auto t0 = Clock::now();
            const auto r = cc::test::httpsGet(
                server.wsUrl().replace("wss://", "https://").replace("/ws", "") +
                    "/v1/analytics?from=" + QString::fromStdString(from) +
                    "&to=" + QString::fromStdString(to) + "&by=" + by,
                server.ca(), 60000,
                {{"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(token)}});
            times.push_back(msSince(t0));
            status = r.status;
        }
        const Stats t = summarize(times);
        report.figure(std::string("a year by ") + by,
                      fixed(t.p50, 0) + " / " + fixed(t.max, 0) + " ms", "< 1000 ms",
                      status == 200 && t.max < 1000,
                      status == 200 ? std::string() : "HTTP " + std::to_string(status));
    }
    return report.finish();
}
