// P5: voice webhook to TwiML answer, p99 < 5 ms at 500 calls/s.
//
// The provider is the project's own call simulator, callcommander-callsim, in a process of its
// own: it signs every request as Twilio does and times each one from sending it to having the
// whole answer (waiting for a free connection of its pool is not counted; opening one is not
// either). The server is the real callcommander-server on a throwaway database, seeded with a
// chain: --stores stores in --regions regions (open 00:00-24:00 every day, in five time zones,
// each with its own number), --staff staff in each, the organisation's Twilio account sealed
// with the test secrets key, a few thousand known customers (half the callers' numbers) and
// --history completed calls behind them.
//
// Every staff member is online and available, as routing requires: each has a device with an
// authenticated WebSocket (hello, like the simulator's own --agents), and --synced-per-store of
// them per store are full sync clients (the app's sync client, in-memory cache, subscribed) so
// the server's sequencer and fan-out run as they do in a store, on the same database pool as
// the webhooks. All of it runs in this process; presence is set available in SQL.
//
// The ladder (--rates, calls per second, Poisson arrivals over the stores' numbers): each step is
// one simulator run in --latency-only mode for --step-seconds after a short warm-up: POST
// /twilio/voice, then at once the status callback (completed). Per step: the voice webhook's
// p50/p90/p99/max, anything but a 200, what routing decided (offer, wait, voicemail), and the
// CPU each party used. Presence is reset to idle before each step: in latency-only mode nobody
// answers the <Dial>, so a person offered a call stays "ringing" until the upkeep frees them
// 10-15 s later, and later calls of a step mostly wait. After the first step the server does
// not keep up with, only 500 calls/s still runs (the goal's own figure), then the ladder stops.
//
// Then one run of the full flow (the simulator follows the TwiML: rings, answers or not, queue
// turns, callbacks, voicemail) at --flow-rate with --time-scale, for the latency of every
// webhook and the outcomes (informative; the server's timers are not scaled, so the routing
// rules' wrap-up, missed-call pause and wait before voicemail are shortened to match).
//
// --what-if adds, in the benchmark's database only, the two indexes the webhooks' statements
// lack (not in the product's migrations): telephony_events (provider_call_id, event), for the
// answer saved at the end of every webhook, whose WHERE has no organisation and so cannot use
// the primary key; and tasks (call_id), for the "one callback task per call" check. It shows
// what fixing them moves; the product's own figure is the run without it.
//
//   bench_p5_webhooks [--quick] [--stores 50] [--regions 5] [--staff 5] [--synced-per-store 1]
//                     [--rates 10,25,50,100,200,300,400,500,700] [--step-seconds 10]
//                     [--warmup-seconds 3] [--connections 64] [--customers 5000]
//                     [--from-pool 10000] [--history 20000] [--flow-rate 50]
//                     [--flow-seconds 20] [--time-scale 0.02] [--what-if]

#include "bench/fleet.h"
#include "bench/harness.h"
#include "server/crypto/secretbox.h"
#include "server/telephony/directory.h"
#include "tests/support/seed.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>

#include <pqxx/pqxx>

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <sys/resource.h>

using namespace cc;
using namespace cc::bench;

namespace {

// The organisation's Twilio account as the simulator signs with it (made up; hex as Twilio's).
const std::string kAccountSid = "AC50000000000000000000000000000005";
const std::string kAuthToken = "b5e7c0ffee00112233445566778899aa";
constexpr double kTargetP99Ms = 5.0;
constexpr double kTargetRate = 500;

// ---- the chain ----

struct Chain {
    std::vector<std::string> storeIds;
    std::vector<std::string> numbers;            // the stores' numbers, in store order
    std::vector<std::vector<std::string>> staff; // per store
    std::vector<std::string> allStaff;
};

std::string padded(int value, int width)
{
    std::string s = std::to_string(value);
    return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))),
                       '0') +
           s;
}

Chain seedStores(pqxx::connection& conn, const std::string& org, int regions, int stores,
                 int staffPerStore, int customers, int fromPool, int history)
{
    // Stores across five time zones: "open 00:00-24:00" must hold in each store's own zone.
    static const char* const kZones[] = {"Europe/London", "Europe/Paris", "America/New_York",
                                         "America/Chicago", "America/Los_Angeles"};
    Chain chain;
    pqxx::work tx(conn);
    std::vector<std::string> regionIds;
    for (int r = 0; r < regions; ++r) {
        regionIds.push_back(tx.exec_params1("INSERT INTO regions (id, organisation_id, name) "
                                            "VALUES (gen_random_uuid(), $1, $2) RETURNING id::text",
                                            org, "P5 region " + std::to_string(r + 1))[0]
                                .as<std::string>());
    }
    for (int s = 0; s < stores; ++s) {
        const int region = s % regions;
        const std::string n = padded(s + 1, 4);
        const std::string store =
            tx.exec_params1("INSERT INTO locations (id, organisation_id, region_id, code, name, "
                            "timezone, main_phone) VALUES (gen_random_uuid(), $1, $2::uuid, $3, "
                            "$4, $5, $6) RETURNING id::text",
                            org, regionIds[static_cast<std::size_t>(region)], "P5-" + n,
                            "Bench store " + n, kZones[region % 5], "+1555400" + n)[0]
                .as<std::string>();
        tx.exec_params0("INSERT INTO location_hours (location_id, weekday, opens_at, closes_at) "
                        "SELECT $1::uuid, d, '00:00', '24:00' FROM generate_series(1, 7) d",
                        store);
        const std::string number = "+1555300" + n;
        tx.exec_params0("INSERT INTO phone_numbers (number, organisation_id, location_id) VALUES "
                        "($1, $2, $3::uuid)",
                        number, org, store);
        std::vector<std::string> people;
        for (int k = 0; k < staffPerStore; ++k) {
            const std::string email = "p5-" + n + "-" + std::to_string(k + 1) + "@acme.example";
            const std::string user =
                tx.exec_params1("INSERT INTO users (id, organisation_id, email, display_name, "
                                "role, home_location_id) VALUES (gen_random_uuid(), $1, $2, $3, "
                                "'staff', $4::uuid) RETURNING id::text",
                                org, email, "Staff " + n + "-" + std::to_string(k + 1), store)[0]
                    .as<std::string>();
            tx.exec_params0("INSERT INTO user_locations (user_id, location_id) VALUES ($1::uuid, "
                            "$2::uuid)",
                            user, store);
            people.push_back(user);
            chain.allStaff.push_back(user);
        }
        chain.storeIds.push_back(store);
        chain.numbers.push_back(number);
        chain.staff.push_back(std::move(people));
    }
    // The server's timers are not scaled with the simulator's: shorten wrap-up, the pause after
    // a missed offer and the wait before voicemail so the full-flow run keeps its people in
    // play (defaults 30 s, 120 s, 180 s). The latency-only ladder answers nobody, so they do
    // not touch it.
    tx.exec_params0("INSERT INTO routing_rules (organisation_id, wrap_up_s, missed_pause_s, "
                    "voicemail_after_s) VALUES ($1::uuid, 1, 2, 10)",
                    org);
    // Known callers: every other number of the simulator's pool (+1555 1000000 + i) is a
    // customer's, so half the calls have a screen-pop and a customer to link.
    tx.exec_params0("WITH c AS (INSERT INTO customers (id, organisation_id, display_name) "
                    "SELECT gen_random_uuid(), $1::uuid, 'P5 caller ' || g FROM "
                    "generate_series(0, $2::int - 1) g RETURNING id, display_name) "
                    "INSERT INTO customer_phones (customer_id, organisation_id, number) "
                    "SELECT id, $1::uuid, '+1555' || (1000000 + 2 * split_part(display_name, ' ', "
                    "3)::int) FROM c",
                    org, std::min(customers, fromPool / 2));
    // History: completed calls over the last 30 days, spread over the stores, their staff and
    // the callers, so the repeat-caller and queue lookups run on tables of a realistic size.
    tx.exec_params0(
        "WITH s AS (SELECT l.id AS loc, row_number() OVER (ORDER BY l.code) - 1 AS n, "
        "(SELECT array_agg(u.id ORDER BY u.email) FROM users u WHERE u.home_location_id = l.id) "
        "AS staff, (SELECT p.number FROM phone_numbers p WHERE p.location_id = l.id LIMIT 1) AS "
        "dialled FROM locations l WHERE l.organisation_id = $1::uuid AND l.code LIKE 'P5-%'), "
        "g AS (SELECT i, '+1555' || (1000000 + (i * 7919) % $3::int) AS caller, now() - "
        "make_interval(mins => 5 + (i * 37) % 43200) AS at FROM generate_series(0, $2::int - 1) "
        "i) "
        "INSERT INTO calls (id, organisation_id, location_id, customer_id, provider_call_id, "
        "direction, from_number, to_number, started_at, answered_at, ended_at, status, "
        "handled_by) "
        "SELECT gen_random_uuid(), $1::uuid, s.loc, (SELECT cp.customer_id FROM customer_phones "
        "cp WHERE cp.organisation_id = $1::uuid AND cp.number = g.caller LIMIT 1), 'CA' || "
        "md5('p5-history-' || g.i), 'inbound', g.caller, s.dialled, g.at, g.at + interval '8 "
        "seconds', g.at + interval '3 minutes', 'completed', s.staff[1 + (g.i / $4::int) % "
        "array_length(s.staff, 1)] FROM g JOIN s ON s.n = g.i % $4::int",
        org, history, fromPool, stores);
    // The webhooks those calls made, for the last 7 days (what the server keeps to answer a
    // provider's retry: purge() drops older ones): voice, the <Dial> action, the leg's answer
    // and the final status, with TwiML of a typical size for the voice answer.
    tx.exec_params0(
        "INSERT INTO telephony_events (organisation_id, provider_call_id, event, response, "
        "received_at) SELECT c.organisation_id, c.provider_call_id, e.event, e.response, "
        "c.started_at FROM calls c, LATERAL (VALUES ('voice', '<?xml version=\"1.0\" "
        "encoding=\"UTF-8\"?><Response><Say>Thank you for calling.</Say><Dial "
        "action=\"https://calls.example.com/twilio/voice/dial?d=1\" timeout=\"20\" "
        "answerOnBridge=\"true\"><Client "
        "statusCallback=\"https://calls.example.com/twilio/voice/leg?d=1\" "
        "statusCallbackEvent=\"answered\">' || c.handled_by || '</Client></Dial></Response>'), "
        "('dial:' || abs(hashtext(c.id::text)), '<Response><Hangup/></Response>'), "
        "('leg:' || abs(hashtext(c.id::text)) || ':in-progress', '<Response/>'), "
        "('status:completed', '<Response/>')) e(event, response) "
        "WHERE c.organisation_id = $1::uuid AND c.provider_call_id LIKE 'CA%' AND c.started_at > "
        "now() - interval '7 days'",
        org);
    tx.commit();
    return chain;
}

// Everyone idle and available again, as at the start of a shift.
void resetPresence(pqxx::connection& conn, const Chain& chain)
{
    std::string ids = "{";
    for (const auto& u : chain.allStaff) {
        ids += (ids.size() > 1 ? "," : "") + u;
    }
    ids += "}";
    pqxx::work tx(conn);
    tx.exec_params0("UPDATE presence SET status = 'available', activity = 'idle', call_id = NULL, "
                    "activity_until = NULL, paused_until = NULL, idle_since = now(), updated_at = "
                    "now() WHERE user_id = ANY ($1::uuid[])",
                    ids);
    tx.commit();
}

// ---- devices ----

// A device that is online and nothing more: an authenticated WebSocket (hello, welcome), which
// is what makes its person routable. It takes no sync subscription.
class OnlineDevice {
public:
    OnlineDevice(const QString& wsUrl, const QList<QSslCertificate>& ca, const DeviceIdentity& id)
        : m_connection(std::make_unique<app::ServerConnection>(nullptr))
    {
        m_connection->setUrl(QUrl(wsUrl));
        m_connection->setExtraCaCertificates(ca);
        m_connection->setDeviceId(QString::fromStdString(id.deviceId));
        m_connection->setAccessToken(QString::fromStdString(id.token));
    }
    ~OnlineDevice() { m_connection->disconnectFromServer(); }
    OnlineDevice(const OnlineDevice&) = delete;
    OnlineDevice& operator=(const OnlineDevice&) = delete;

    void connect() { m_connection->connectToServer(); }
    bool connected() const
    {
        return m_connection->state() == app::ServerConnection::State::Connected;
    }

private:
    std::unique_ptr<app::ServerConnection> m_connection;
};

// ---- the simulator ----

double childrenCpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(u.ru_utime) + seconds(u.ru_stime);
}

struct Latency {
    std::int64_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

Latency latencyOf(const QJsonObject& o)
{
    return {static_cast<std::int64_t>(o["count"].toDouble()),
            o["p50"].toDouble(),
            o["p90"].toDouble(),
            o["p99"].toDouble(),
            o["max"].toDouble(),
            o["mean"].toDouble()};
}

struct Cores {
    double server = 0, backends = 0, simulator = 0, bench = 0, machine = 0;
};

struct Run {
    std::string error; // the run could not be made or read
    double rate = 0;
    double duration = 0;
    QJsonObject json;
    double seconds = 0; // the simulator's run time (arrivals, then the calls in progress)
    std::int64_t started = 0, finished = 0, delayed = 0;
    Latency voice, all;
    std::int64_t non200 = 0, errors = 0, retries = 0, unexpected = 0;
    std::string firstError;
    std::int64_t notApplied = 0; // webhooks the server answered without applying (its log)
    std::map<std::string, std::int64_t> decisions;
    Cores cores;
    double wallS = 0; // the CPU window: the simulator's whole run, its backlog included

    // CPU milliseconds per call finished: all the window's work was for these calls (a saturated
    // step spends it over a longer time than its arrivals).
    double msPerCall(double coresUsed) const
    {
        return finished > 0 ? coresUsed * wallS * 1000.0 / static_cast<double>(finished) : 0;
    }

    // The server kept up: every call placed on time and finished within a second of the last
    // arrival, every webhook applied and answered 200.
    bool keptUp() const
    {
        return error.empty() && finished == started && delayed == 0 && seconds <= duration + 1.0 &&
               non200 == 0 && errors == 0 && unexpected == 0 && notApplied == 0;
    }
};

struct SimSetup {
    QString baseUrl, caFile;
    QStringList numbers;
    int connections = 64;
    int fromPool = 10000;
};

std::int64_t countNotApplied(const QString& log)
{
    return log.count(QStringLiteral("not applied"));
}

Run simulate(BenchServer& server, const SimSetup& setup, double rate, double seconds,
             const QStringList& mode, int seed)
{
    Run run;
    run.rate = rate;
    run.duration = seconds;
    const std::int64_t lastDecision =
        countRows(server.db(), "SELECT coalesce(max(id), 0) FROM call_decisions");
    const std::int64_t notAppliedBefore = countNotApplied(server.log());

    QProcess sim;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CALLSIM_AUTH_TOKEN"), QString::fromStdString(kAuthToken));
    sim.setProcessEnvironment(env);
    QStringList args{QStringLiteral("--url"),         setup.baseUrl,
                     QStringLiteral("--ca"),          setup.caFile,
                     QStringLiteral("--account-sid"), QString::fromStdString(kAccountSid),
                     QStringLiteral("--numbers"),     setup.numbers.join(QLatin1Char(',')),
                     QStringLiteral("--pick"),        QStringLiteral("random"),
                     QStringLiteral("--from-pool"),   QString::number(setup.fromPool),
                     QStringLiteral("--connections"), QString::number(setup.connections),
                     QStringLiteral("--rate"),        QString::number(rate),
                     QStringLiteral("--duration"),    QString::number(seconds),
                     QStringLiteral("--seed"),        QString::number(seed),
                     QStringLiteral("--json")};
    args += mode;

    const CpuWindow from = server.cpu();
    const double childFrom = childrenCpuSeconds();
    sim.start(QStringLiteral(CC_CALLSIM_BINARY), args);
    if (!sim.waitForStarted(10'000)) {
        run.error = "cannot start " + std::string(CC_CALLSIM_BINARY);
        return run;
    }
    // The event loop keeps running meanwhile: the tablets answer pings and apply what the
    // server sends them, as they would.
    const int limitMs = static_cast<int>(seconds * 1000) + 120'000;
    if (!spinUntil([&] { return sim.state() == QProcess::NotRunning; }, limitMs)) {
        sim.kill();
        sim.waitForFinished(5000);
        run.error = "the simulator did not finish within " + std::to_string(limitMs / 1000) + " s";
        return run;
    }
    const CpuWindow to = server.cpu();
    const double childTo = childrenCpuSeconds();
    const double wall = std::max(1e-6, msBetween(from.at, to.at) / 1000.0);
    run.cores.server = (to.server - from.server) / wall;
    run.cores.backends = (to.backends - from.backends) / wall;
    run.cores.bench = (to.self - from.self) / wall;
    // The simulator was this process's only child to end meanwhile (the server is still up).
    run.cores.simulator = (childTo - childFrom) / wall;
    run.cores.machine = (to.machine.busy - from.machine.busy) / wall;
    run.wallS = wall;

    const QByteArray out = sim.readAllStandardOutput();
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(out, &parseError);
    if (!doc.isObject()) {
        run.error = "the simulator gave no report (exit " + std::to_string(sim.exitCode()) +
                    "): " + sim.readAllStandardError().left(2000).toStdString();
        return run;
    }
    run.json = doc.object();
    const QJsonObject calls = run.json["calls"].toObject();
    run.seconds = run.json["seconds"].toDouble();
    run.started = static_cast<std::int64_t>(calls["started"].toDouble());
    run.finished = static_cast<std::int64_t>(calls["finished"].toDouble());
    run.delayed = static_cast<std::int64_t>(calls["delayed"].toDouble());
    const QJsonObject latency = run.json["latencyMs"].toObject();
    run.voice = latencyOf(latency["voice"].toObject());
    run.all = latencyOf(latency["all"].toObject());
    const QJsonObject requests = run.json["requests"].toObject();
    const QJsonObject statuses = requests["httpStatus"].toObject();
    for (auto it = statuses.begin(); it != statuses.end(); ++it) {
        if (it.key() != QLatin1String("200")) {
            run.non200 += static_cast<std::int64_t>(it.value().toDouble());
        }
    }
    run.retries = static_cast<std::int64_t>(requests["retries"].toDouble());
    run.unexpected = static_cast<std::int64_t>(requests["unexpected"].toDouble());
    const QJsonObject errors = run.json["errors"].toObject();
    run.errors = static_cast<std::int64_t>(errors["count"].toDouble());
    const QJsonArray first = errors["first"].toArray();
    if (!first.isEmpty()) {
        run.firstError = first.first().toString().left(300).toStdString();
    }
    run.notApplied = countNotApplied(server.log()) - notAppliedBefore;

    pqxx::read_transaction tx(server.db());
    for (const auto& row : tx.exec_params("SELECT action, count(*) FROM call_decisions WHERE id > "
                                          "$1 GROUP BY action",
                                          lastDecision)) {
        run.decisions[row[0].as<std::string>()] = row[1].as<std::int64_t>();
    }
    return run;
}

std::vector<double> parseRates(const std::string& text)
{
    std::vector<double> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) {
            out.push_back(std::stod(item));
        }
    }
    return out;
}

std::string ms(double value)
{
    return fixed(value, value < 10 ? 2 : 1) + " ms";
}

std::string decisionMix(const Run& r)
{
    const auto get = [&](const char* k) {
        const auto it = r.decisions.find(k);
        return it == r.decisions.end() ? std::int64_t{0} : it->second;
    };
    return thousands(get("offer")) + " offer / " + thousands(get("wait")) + " wait / " +
           thousands(get("voicemail") + get("closed")) + " voicemail";
}

std::string coresText(const Cores& c)
{
    return "server " + fixed(c.server, 2) + ", PostgreSQL backends " + fixed(c.backends, 2) +
           ", simulator " + fixed(c.simulator, 2) + ", tablets (this process) " +
           fixed(c.bench, 2) + ", whole machine " + fixed(c.machine, 2) + " of " +
           std::to_string(machine().cores);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Args args(argc, argv);
    const bool quick = args.quick();
    const auto storeCount = static_cast<int>(args.integer("stores", quick ? 10 : 50));
    const auto regionCount = static_cast<int>(args.integer("regions", quick ? 2 : 5));
    const auto staffPerStore = static_cast<int>(args.integer("staff", 5));
    const auto syncedPerStore =
        static_cast<int>(std::clamp<std::int64_t>(args.integer("synced-per-store", 1), 0, 1000));
    const auto rates =
        parseRates(args.text("rates", quick ? "50,500" : "10,25,50,100,200,300,400,500,700"));
    const double stepSeconds = args.real("step-seconds", quick ? 4 : 10);
    const double warmupSeconds = args.real("warmup-seconds", quick ? 2 : 3);
    const auto connections = static_cast<int>(args.integer("connections", 64));
    const auto customers = static_cast<int>(args.integer("customers", quick ? 1000 : 5000));
    const auto fromPool = static_cast<int>(args.integer("from-pool", quick ? 2000 : 10000));
    const auto history = static_cast<int>(args.integer("history", quick ? 2000 : 20000));
    const double flowRate = args.real("flow-rate", quick ? 20 : 50);
    const double flowSeconds = args.real("flow-seconds", quick ? 5 : 20);
    const double timeScale = args.real("time-scale", 0.02);
    const bool whatIf = args.has("what-if");
    args.rejectUnknown(
        "bench_p5_webhooks [--quick] [--stores N] [--regions N] [--staff N] "
        "[--synced-per-store N] [--rates R1,R2,...] [--step-seconds S] [--warmup-seconds S] "
        "[--connections N] [--customers N] [--from-pool N] [--history N] [--flow-rate R] "
        "[--flow-seconds S] [--time-scale F] [--what-if]");
    raiseOpenFileLimit();

    Report report("P5", "voice webhook to TwiML answer");
    if (storeCount < 1 || regionCount < 1 || staffPerStore < 1 || rates.empty() ||
        stepSeconds <= 0 || fromPool < 2) {
        report.fail("nothing to run: stores, regions, staff, rates, step seconds and the caller "
                    "pool must be positive");
        return report.finish();
    }
    BenchServer server;
    if (auto err = server.start(); !err.empty()) {
        report.fail(err);
        return report.finish();
    }
    const std::string org = server.chain().org;

    Report::progress("seeding " + std::to_string(storeCount) + " stores, " +
                     std::to_string(storeCount * staffPerStore) + " staff, " + thousands(history) +
                     " past calls");
    const auto seedStart = Clock::now();
    Chain chain;
    try {
        chain = seedStores(server.db(), org, regionCount, storeCount, staffPerStore, customers,
                           fromPool, history);
        const server::crypto::SecretBox secrets(
            server::crypto::parseSecretKeys(test::kTestSecretsKeys).value());
        if (auto problem = server::telephony::setTwilioAccount(server.db(), secrets, "acme",
                                                               kAccountSid, kAuthToken)) {
            report.fail("cannot set the Twilio account: " + *problem);
            return report.finish();
        }
        pqxx::work tx(server.db());
        if (whatIf) {
            tx.exec0(
                "CREATE INDEX p5_what_if_events ON telephony_events (provider_call_id, event)");
            tx.exec0("CREATE INDEX p5_what_if_tasks ON tasks (call_id)");
        }
        // The seeded rows numbered for sync, as the sequencer would have done long ago.
        tx.exec_params("SELECT sync_sequence($1::uuid)", org);
        tx.commit();
        // Vacuumed and analysed, as a database in service is: statistics taken while every
        // seeded change was still unnumbered would steer the sequencer's plan to a full scan of
        // sync_log, and the numbering left a dead tuple per seeded row.
        pqxx::nontransaction(server.db()).exec0("VACUUM ANALYZE");
    } catch (const std::exception& e) {
        report.fail(std::string("cannot seed the chain: ") + e.what());
        return report.finish();
    }
    const double seedS = msSince(seedStart) / 1000.0;
    const std::int64_t seededEvents =
        countRows(server.db(), "SELECT count(*) FROM telephony_events");

    // Devices: the first --synced-per-store staff of each store with a full sync client, the
    // others online only.
    Fleet fleet(server.wsUrl(), server.ca());
    std::vector<std::unique_ptr<OnlineDevice>> online;
    for (std::size_t s = 0; s < chain.staff.size(); ++s) {
        for (std::size_t k = 0; k < chain.staff[s].size(); ++k) {
            auto id = mintDevices(server.db(), chain.staff[s][k],
                                  "p5-" + std::to_string(s) + "-" + std::to_string(k), 1)
                          .front();
            if (static_cast<int>(k) < syncedPerStore) {
                fleet.add(std::move(id));
            } else {
                online.push_back(std::make_unique<OnlineDevice>(server.wsUrl(), server.ca(), id));
            }
        }
    }
    Report::progress("connecting " + std::to_string(fleet.size()) + " synced tablets and " +
                     std::to_string(online.size()) + " online-only devices");
    if (fleet.connectAll(50, 120'000) < fleet.size()) {
        report.fail("only " + std::to_string(fleet.liveCount()) + " of " +
                    std::to_string(fleet.size()) + " synced tablets got live");
        return report.finish();
    }
    {
        // The server counts WebSocket upgrades against the address's request budget (a burst of
        // 200, then 50 a second): the fleet has used part of the burst, so pace the rest.
        auto paced = Clock::now();
        std::size_t started = fleet.size();
        for (auto& d : online) {
            if (++started > 150) {
                paced += std::chrono::milliseconds(25);
                const auto wait = paced - Clock::now();
                if (wait > Clock::duration::zero()) {
                    spinFor(static_cast<int>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
                }
            }
            d->connect();
        }
        const bool all = spinUntil(
            [&] {
                return std::all_of(online.begin(), online.end(),
                                   [](const auto& d) { return d->connected(); });
            },
            120'000);
        if (!all) {
            report.fail("not every online-only device was welcomed within 120 s");
            return report.finish();
        }
    }
    // The server records sessions on its database pool, after the welcome: wait for them all.
    const std::string staffIds = [&] {
        std::string ids = "'{";
        for (const auto& u : chain.allStaff) {
            ids += (ids.size() > 2 ? "," : "") + u;
        }
        return ids + "}'::uuid[]";
    }();
    const auto onlineStaff = [&] {
        return countRows(server.db(), "SELECT count(*) FROM presence WHERE devices > 0 AND "
                                      "user_id = ANY (" +
                                          staffIds + ")");
    };
    spinUntil([&] { return onlineStaff() == static_cast<std::int64_t>(chain.allStaff.size()); },
              30'000);
    const std::int64_t staffOnline = onlineStaff();
    resetPresence(server.db(), chain);
    spinFor(1000);

    SimSetup setup;
    setup.baseUrl = QStringLiteral("https://127.0.0.1:%1").arg(QUrl(server.wsUrl()).port());
    setup.caFile = server.caFile();
    for (const auto& n : chain.numbers) {
        setup.numbers << QString::fromStdString(n);
    }
    setup.connections = connections;
    setup.fromPool = fromPool;

    report.note("chain: 1 organisation, " + std::to_string(storeCount) + " stores in " +
                std::to_string(regionCount) +
                " regions (open 00:00-24:00 every day, 5 time zones, a number each), " +
                std::to_string(staffPerStore) + " staff per store, " +
                thousands(std::min(customers, fromPool / 2)) + " known customers (half of the " +
                thousands(fromPool) + " caller numbers), " + thousands(history) +
                " past calls with " + thousands(seededEvents) +
                " webhook events of the last 7 days (the server keeps 7 days); seeded in " +
                fixed(seedS, 1) + " s");
    if (whatIf) {
        report.note("WHAT-IF RUN: indexes telephony_events (provider_call_id, event) and tasks "
                    "(call_id) added in this database (not in the product's migrations)");
    }
    report.note("staff online and available: " + std::to_string(staffOnline) + " of " +
                std::to_string(chain.allStaff.size()) + " (" + std::to_string(fleet.size()) +
                " full sync clients subscribed, one per store, " + std::to_string(online.size()) +
                " online-only devices: hello, no subscription; all in this process); presence "
                "reset to idle before each run");
    report.note("provider: callcommander-callsim (own process), " + std::to_string(connections) +
                " keep-alive HTTPS connections, Poisson arrivals over the stores' numbers, "
                "latency from sending a request to its whole answer");
    report.note("server at its defaults (2 network threads, 4 database connections shared with "
                "sync); PostgreSQL 15, the server, the simulator and the tablets all on the same " +
                std::to_string(machine().cores) + " cores");

    // Warm-up: connections, the server's caches and PostgreSQL's plans and buffers.
    Report::progress("warm-up: " + fixed(warmupSeconds, 0) + " s at 100 calls/s");
    const Run warm =
        simulate(server, setup, 100, warmupSeconds, {QStringLiteral("--latency-only")}, 1);
    if (!warm.error.empty()) {
        report.fail("warm-up: " + warm.error);
        return report.finish();
    }
    if (warm.non200 > 0 || warm.errors > 0) {
        report.note("warm-up: " + std::to_string(warm.non200) + " answers other than 200, " +
                    std::to_string(warm.errors) + " errors (" + warm.firstError + ")");
    }

    std::vector<Run> ladder;
    int seed = 10;
    // After the first saturated step only the target rate still runs (its figure is the goal's),
    // and then the ladder stops.
    bool skipping = false;
    for (const double rate : rates) {
        if (skipping && rate != kTargetRate) {
            continue;
        }
        resetPresence(server.db(), chain);
        spinFor(1500); // the presence changes reach the tablets before the step
        Report::progress("latency-only: " + thousands(static_cast<std::int64_t>(rate)) +
                         " calls/s for " + fixed(stepSeconds, 0) + " s");
        Run r =
            simulate(server, setup, rate, stepSeconds, {QStringLiteral("--latency-only")}, ++seed);
        if (!r.error.empty()) {
            report.fail(thousands(static_cast<std::int64_t>(rate)) + " calls/s: " + r.error);
            return report.finish();
        }
        Report::progress("  voice p50 " + ms(r.voice.p50) + ", p99 " + ms(r.voice.p99) +
                         (r.keptUp() ? "" : " (did not keep up)"));
        // Saturated: calls queued behind the concurrency bound, the last calls finished well
        // after the arrivals ended, or webhooks waited so long they were not applied. A higher
        // rate would only measure the backlog.
        const bool saturated =
            r.delayed > 0 || r.notApplied > 0 || r.seconds > stepSeconds * 1.2 + 1.0;
        ladder.push_back(std::move(r));
        if (skipping) {
            break;
        }
        skipping = saturated;
    }

    report.note("latency-only ladder, " + fixed(stepSeconds, 0) + " s a step (after " +
                fixed(warmupSeconds, 0) +
                " s of warm-up); /twilio/voice then at once /twilio/status per call:");
    report.note("  calls/s  placed  took     voice p50 p90     p99     max       non-200  "
                "routing decisions (offer / wait / voicemail)");
    for (const auto& r : ladder) {
        char line[300];
        std::snprintf(line, sizeof line, "  %7.0f  %6lld  %-7s  %-9s %-7s %-7s %-9s %7lld  %s%s",
                      r.rate, static_cast<long long>(r.started),
                      (fixed(r.seconds, 1) + " s").c_str(), fixed(r.voice.p50, 2).c_str(),
                      fixed(r.voice.p90, 2).c_str(), fixed(r.voice.p99, 2).c_str(),
                      fixed(r.voice.max, 1).c_str(), static_cast<long long>(r.non200),
                      decisionMix(r).c_str(), r.keptUp() ? "" : "  (did not keep up)");
        report.note(line);
    }
    std::string skipped;
    for (const double rate : rates) {
        if (std::none_of(ladder.begin(), ladder.end(),
                         [&](const Run& r) { return r.rate == rate; })) {
            skipped += (skipped.empty() ? "" : ", ") + thousands(static_cast<std::int64_t>(rate));
        }
    }
    if (!skipped.empty()) {
        report.note("  not run after the server saturated: " + skipped + " calls/s");
    }
    if (std::any_of(ladder.begin(), ladder.end(), [](const Run& r) { return !r.keptUp(); })) {
        report.note("  a step that did not keep up took longer than its arrivals (\"took\"): its "
                    "latency counts a request from when it was sent, and at most " +
                    std::to_string(connections) +
                    " are in the server at a time; the rest wait in the simulator, uncounted, "
                    "so the figure understates what a provider would see");
    }
    for (const auto& r : ladder) {
        report.note("  " + thousands(static_cast<std::int64_t>(r.rate)) +
                    " calls/s: CPU in cores: " + coresText(r.cores) + "; per call: backends " +
                    fixed(r.msPerCall(r.cores.backends), 1) + " ms, server " +
                    fixed(r.msPerCall(r.cores.server), 1) + " ms");
        if (r.errors > 0 || r.notApplied > 0 || r.retries > 0) {
            report.note("  " + thousands(static_cast<std::int64_t>(r.rate)) +
                        " calls/s: " + std::to_string(r.errors) + " errors, " +
                        std::to_string(r.retries) + " retried, " + std::to_string(r.notApplied) +
                        " webhooks answered without being applied" +
                        (r.firstError.empty() ? "" : "; first: " + r.firstError));
        }
    }

    // The figures against the target.
    const Run* atTarget = nullptr;
    for (const auto& r : ladder) {
        if (r.rate == kTargetRate) {
            atTarget = &r;
        }
    }
    const std::string cause =
        "PostgreSQL per webhook: about 11 ms of backend CPU, one transaction of ~16 round trips, "
        "capture and analytics triggers, routing inputs read on every decision, and commits "
        "serialised by NOTIFY, on 2 cores shared with everything else (BENCHMARKS.md, P5)";
    if (atTarget != nullptr) {
        report.figure("voice webhook p50 at 500 calls/s", ms(atTarget->voice.p50));
        report.figure("voice webhook p99 at 500 calls/s", ms(atTarget->voice.p99), "< 5 ms",
                      atTarget->voice.p99 < kTargetP99Ms && atTarget->keptUp(),
                      atTarget->voice.p99 < kTargetP99Ms && atTarget->keptUp() ? "" : cause);
        report.figure("CPU per call at 500 calls/s: PostgreSQL / server",
                      fixed(atTarget->msPerCall(atTarget->cores.backends), 1) + " / " +
                          fixed(atTarget->msPerCall(atTarget->cores.server), 1) + " ms");
    } else {
        report.figure("voice webhook p99 at 500 calls/s", "n/a", "< 5 ms", std::nullopt,
                      "the ladder did not include 500 calls/s, or stopped before it");
    }
    double best = 0;
    for (const auto& r : ladder) {
        if (r.keptUp() && r.voice.p99 < kTargetP99Ms) {
            best = std::max(best, r.rate);
        }
    }
    const bool bestIsTop =
        !ladder.empty() && best == ladder.back().rate && ladder.size() == rates.size();
    report.figure("highest rate with voice p99 < 5 ms",
                  best > 0
                      ? (bestIsTop ? ">= " : "") + thousands(static_cast<std::int64_t>(best)) +
                            " calls/s"
                      : "below " + thousands(static_cast<std::int64_t>(rates.front())) + " calls/s",
                  ">= 500 calls/s", best >= kTargetRate, best >= kTargetRate ? "" : cause);

    // The full flow, informative.
    resetPresence(server.db(), chain);
    spinFor(1500);
    Report::progress("full flow: " + fixed(flowRate, 0) + " calls/s for " + fixed(flowSeconds, 0) +
                     " s, time scale " + fixed(timeScale, 3));
    const Run flow = simulate(server, setup, flowRate, flowSeconds,
                              {QStringLiteral("--time-scale"), QString::number(timeScale)}, 99);
    if (!flow.error.empty()) {
        report.fail("full flow: " + flow.error);
        return report.finish();
    }
    report.note("full flow (the simulator follows the TwiML: rings, answers or not, queue turns, "
                "callbacks, voicemail; its defaults for the mix), " +
                fixed(flowRate, 0) + " calls/s for " + fixed(flowSeconds, 0) + " s, time scale " +
                fixed(timeScale, 3) + ", " + thousands(flow.finished) + " calls finished in " +
                fixed(flow.seconds, 1) + " s:");
    {
        std::string outcomes;
        const QJsonObject o = flow.json["outcomes"].toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            const auto n = static_cast<std::int64_t>(it.value().toDouble());
            if (n > 0) {
                outcomes +=
                    (outcomes.empty() ? "" : ", ") + it.key().toStdString() + " " + thousands(n);
            }
        }
        report.note("  outcomes: " + outcomes);
        std::string endpoints;
        const QJsonObject e = flow.json["requests"].toObject()["byEndpoint"].toObject();
        for (auto it = e.begin(); it != e.end(); ++it) {
            endpoints += (endpoints.empty() ? "" : ", ") + it.key().toStdString() + " " +
                         thousands(static_cast<std::int64_t>(it.value().toDouble()));
        }
        report.note("  requests: " + endpoints);
        report.note("  routing decisions: " + decisionMix(flow) + "; " +
                    std::to_string(flow.non200) + " answers other than 200, " +
                    std::to_string(flow.errors) + " errors, " + std::to_string(flow.notApplied) +
                    " not applied" +
                    (flow.firstError.empty() ? "" : "; first: " + flow.firstError));
        report.note("  CPU in cores: " + coresText(flow.cores) + "; per call: backends " +
                    fixed(flow.msPerCall(flow.cores.backends), 1) + " ms, server " +
                    fixed(flow.msPerCall(flow.cores.server), 1) + " ms");
    }
    report.figure("full flow: all webhooks p50 / p99",
                  fixed(flow.all.p50, 2) + " / " + fixed(flow.all.p99, 2) + " ms");
    report.figure("full flow: /twilio/voice p50 / p99",
                  fixed(flow.voice.p50, 2) + " / " + fixed(flow.voice.p99, 2) + " ms");
    report.figure("full flow: all webhooks max", ms(flow.all.max));
    return report.finish();
}
