// P4: client writes durably committed and fanned out, with p99 acknowledgement under 100 ms.
//
// A chain of --stores stores (made in the benchmark's organisation, each with its staff and a
// customer seen there); in each store --writers tablets that write call notes and one more
// tablet that only listens. Every tablet is the app's own sync client with an in-memory cache,
// all in this process (the load client's core). The offered load goes up in steps (--rates,
// writes per second over all writers, spread evenly, written every 10 ms); each step runs
// --step-seconds and then drains.
//
// Per step: committed writes/s (push answers received in the step's window: each answer follows
// the server's commit), acknowledgement latency (SyncClient::write until its push_result), the
// rows the listeners received per second, and the fan-out lag (write on one tablet until the
// listener of its store has the row in its cache). The figure against the target is the highest
// offered rate the server sustained (committed >= 95% of offered) with p99 acknowledgement under
// 100 ms.
//
// Steps stop at the first one the server does not keep up with (committed < 90% of offered):
// the backlog would only grow.
//
// --via nginx puts a second node on the same database and Debian's nginx in front of both
// (docs/deployment.md): the tablets connect to nginx, which spreads them over the nodes.
// --relay then runs the same tablets and steps against a minimal Node.js `ws` relay speaking the
// same protocol (bench/relay: no database, no durability; each write fanned out at once to the
// devices of its store, the writer included, as the server does), side by side, and reports the
// ratio of the sustained rates: how far the product is from the floor that the network, TLS and
// JSON set on this machine.
//
//   bench_p4_writes [--quick] [--stores 25] [--writers 2] [--rates 250,500,1000,2500,5000,10000]
//                   [--step-seconds 10] [--via direct|nginx] [--relay]

#include "bench/fleet.h"
#include "bench/harness.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QTimer>

#include <pqxx/pqxx>

#include <algorithm>
#include <functional>
#include <sstream>
#include <unordered_map>

using namespace cc;
using namespace cc::bench;

namespace {

struct StoreSetup {
    std::string storeId;
    std::string customerId;
    std::string userId;
};

// Stores of the seeded organisation, each with one staff member and one customer who has called
// there (so the store's devices see the customer's notes).
std::vector<StoreSetup> makeStores(pqxx::connection& conn, const std::string& org, int count)
{
    std::vector<StoreSetup> out;
    pqxx::work tx(conn);
    for (int i = 0; i < count; ++i) {
        StoreSetup s;
        const std::string n = std::to_string(i + 1);
        s.storeId = tx.exec_params1("INSERT INTO locations (id, organisation_id, code, name, "
                                    "timezone, main_phone) VALUES (gen_random_uuid(), $1, $2, $3, "
                                    "'Europe/London', $4) RETURNING id::text",
                                    org, "P4-" + n, "Bench store " + n,
                                    "+44207" + std::to_string(5000000 + i))[0]
                        .as<std::string>();
        s.userId =
            tx.exec_params1("INSERT INTO users (id, organisation_id, email, display_name, "
                            "role, home_location_id) VALUES (gen_random_uuid(), $1, $2, $3, "
                            "'staff', $4) RETURNING id::text",
                            org, "p4-staff-" + n + "@acme.example", "P4 staff " + n, s.storeId)[0]
                .as<std::string>();
        tx.exec_params0("INSERT INTO user_locations (user_id, location_id) VALUES ($1, $2)",
                        s.userId, s.storeId);
        s.customerId = tx.exec_params1("INSERT INTO customers (id, organisation_id, display_name) "
                                       "VALUES (gen_random_uuid(), $1, $2) RETURNING id::text",
                                       org, "P4 customer " + n)[0]
                           .as<std::string>();
        tx.exec_params0("INSERT INTO calls (id, organisation_id, location_id, customer_id, "
                        "direction, from_number, to_number, started_at, status) VALUES "
                        "(gen_random_uuid(), $1, $2, $3, 'inbound', '+447700900100', $4, now(), "
                        "'completed')",
                        org, s.storeId, s.customerId, "+44207" + std::to_string(5000000 + i));
        out.push_back(std::move(s));
    }
    tx.commit();
    return out;
}

struct Writer {
    LoadDevice* device = nullptr;
    std::size_t store = 0;
    std::unordered_map<std::string, Clock::time_point> inFlight; // mutation id -> written
};

struct StepResult {
    double offered = 0;
    double written = 0;   // local writes/s actually made
    double committed = 0; // answers/s in the window
    double delivered = 0; // rows/s the listeners received
    Stats ack;
    Stats lag;
    double drainS = 0;
    std::string cpu;
    std::size_t errors = 0;
    bool drained = true;
};

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

// One fleet of tablets, its writers and listeners, and the bookkeeping of a run of steps.
class Workload {
public:
    Workload(QCoreApplication& app, const QString& wsUrl, const QList<QSslCertificate>& ca,
             pqxx::connection& db, const std::vector<StoreSetup>& stores, int writersPerStore,
             const std::string& prefix)
        : m_app(app)
        , m_stores(stores)
        , m_fleet(wsUrl, ca)
    {
        for (std::size_t s = 0; s < stores.size(); ++s) {
            auto ids = mintDevices(db, stores[s].userId, prefix + std::to_string(s),
                                   static_cast<std::size_t>(writersPerStore) + 1);
            for (int w = 0; w < writersPerStore; ++w) {
                m_writers.push_back(Writer{&m_fleet.add(ids[static_cast<std::size_t>(w)]), s, {}});
            }
            m_listeners.push_back(&m_fleet.add(ids.back()));
        }
        for (auto& w : m_writers) {
            QObject::connect(
                &w.device->connection(), &app::ServerConnection::messageReceived, &app,
                [this, wp = &w](const protocol::Envelope& e) { onWriterMessage(*wp, e); });
        }
        for (auto* l : m_listeners) {
            QObject::connect(&l->connection(), &app::ServerConnection::messageReceived, &app,
                             [this](const protocol::Envelope& e) { onListenerMessage(e); });
        }
    }

    std::size_t size() const { return m_fleet.size(); }
    // Empty when every tablet got live.
    std::string connect()
    {
        Report::progress("connecting " + std::to_string(m_fleet.size()) + " tablets");
        if (m_fleet.connectAll(50, 120'000) < m_fleet.size()) {
            return "only " + std::to_string(m_fleet.liveCount()) + " of " +
                   std::to_string(m_fleet.size()) + " tablets got live";
        }
        return {};
    }
    void disconnect() { m_fleet.disconnectAll(); }

    std::vector<StepResult> run(const std::vector<double>& rates, double stepSeconds,
                                const std::function<CpuWindow()>& cpu)
    {
        std::vector<StepResult> results;
        for (const double rate : rates) {
            Report::progress("offering " + thousands(static_cast<std::int64_t>(rate)) +
                             " writes/s");
            results.push_back(step(rate, stepSeconds, cpu));
            const auto& r = results.back();
            if (r.committed < 0.9 * r.offered || !r.drained) {
                break; // saturated: higher steps would only measure the backlog
            }
        }
        return results;
    }

private:
    void onWriterMessage(Writer& w, const protocol::Envelope& e)
    {
        if (const auto* r = std::get_if<protocol::PushResult>(&e.body)) {
            const auto now = Clock::now();
            for (const auto& result : r->results) {
                const auto it = w.inFlight.find(result.id);
                if (it == w.inFlight.end()) {
                    continue;
                }
                if (m_inWindow) {
                    ++m_acksInWindow;
                    m_ackSamples.push_back(msBetween(it->second, now));
                }
                if (result.status != protocol::MutationStatus::Applied) {
                    ++m_errors;
                }
                w.inFlight.erase(it);
            }
        } else if (std::holds_alternative<protocol::Error>(e.body)) {
            ++m_errors; // e.g. "overloaded": the push is sent again later
        }
    }

    void onListenerMessage(const protocol::Envelope& e)
    {
        const auto* c = std::get_if<protocol::Changes>(&e.body);
        if (c == nullptr) {
            return;
        }
        const auto now = Clock::now();
        for (const auto& row : c->rows) {
            const auto it = m_writtenAt.find(row.key);
            if (it == m_writtenAt.end()) {
                continue;
            }
            if (m_inWindow) {
                ++m_rowsInWindow;
                m_lagSamples.push_back(msBetween(it->second, now));
            }
            m_writtenAt.erase(it);
        }
    }

    StepResult step(double rate, double stepSeconds, const std::function<CpuWindow()>& cpu)
    {
        StepResult r;
        r.offered = rate;
        m_ackSamples.clear();
        m_lagSamples.clear();
        m_acksInWindow = m_rowsInWindow = m_writesInWindow = 0;
        m_errors = 0;
        const double perWriter = rate / static_cast<double>(m_writers.size());
        std::vector<double> budget(m_writers.size(), 0.0);
        auto last = Clock::now();
        const auto stepStart = last;
        const auto windowStart = stepStart + std::chrono::milliseconds(2000);
        const auto stepEnd =
            stepStart + std::chrono::milliseconds(static_cast<std::int64_t>(stepSeconds * 1000));
        CpuWindow cpuFrom;
        QTimer tick;
        QObject::connect(&tick, &QTimer::timeout, &m_app, [&] {
            const auto now = Clock::now();
            if (!m_inWindow && now >= windowStart && now < stepEnd) {
                m_inWindow = true;
                cpuFrom = cpu();
            }
            const double dt = msBetween(last, now) / 1000.0;
            last = now;
            for (std::size_t i = 0; i < m_writers.size(); ++i) {
                budget[i] += perWriter * dt;
                while (budget[i] >= 1.0) {
                    budget[i] -= 1.0;
                    write(m_writers[i]);
                }
            }
        });
        tick.start(10);
        spinUntil([&] { return Clock::now() >= stepEnd; },
                  static_cast<int>(stepSeconds * 1000) + 1000);
        tick.stop();
        const auto cpuTo = cpu();
        m_inWindow = false;
        const double window = msBetween(windowStart, Clock::now()) / 1000.0;
        r.written = static_cast<double>(m_writesInWindow) / window;
        r.committed = static_cast<double>(m_acksInWindow) / window;
        r.delivered = static_cast<double>(m_rowsInWindow) / window;
        r.ack = summarize(m_ackSamples);
        r.lag = summarize(m_lagSamples);
        r.cpu = BenchServer::cpuUse(cpuFrom, cpuTo);
        r.errors = m_errors;
        const auto drainStart = Clock::now();
        const auto drained = [this] {
            return std::all_of(m_writers.begin(), m_writers.end(),
                               [](const Writer& w) { return w.inFlight.empty(); });
        };
        spinUntil(drained, 60'000);
        r.drainS = msSince(drainStart) / 1000.0;
        r.drained = drained();
        m_writtenAt.clear();
        spinFor(500);
        return r;
    }

    void write(Writer& w)
    {
        const auto& st = m_stores[w.store];
        const std::string id = newUuid();
        const auto at = Clock::now();
        auto written = w.device->client().write(
            "call_notes", sync::Op::Insert, id,
            noteFields(id, st.storeId, st.customerId, "p4 " + std::to_string(++m_noteNumber)));
        if (!written) {
            ++m_errors;
            return;
        }
        w.inFlight.emplace(written.value(), at);
        m_writtenAt.emplace(id, at);
        if (m_inWindow) {
            ++m_writesInWindow;
        }
    }

    QCoreApplication& m_app;
    const std::vector<StoreSetup>& m_stores;
    Fleet m_fleet;
    std::vector<Writer> m_writers;
    std::vector<LoadDevice*> m_listeners;
    std::unordered_map<std::string, Clock::time_point> m_writtenAt; // note id -> written
    bool m_inWindow = false;
    std::vector<double> m_ackSamples, m_lagSamples;
    std::int64_t m_acksInWindow = 0, m_rowsInWindow = 0, m_writesInWindow = 0;
    std::size_t m_errors = 0;
    std::int64_t m_noteNumber = 0;
};

// The steps' figures under `label`; returns the highest committed rate sustained with p99 ack
// under 100 ms (0: none).
double reportSteps(Report& report, const std::string& label, const std::vector<StepResult>& results)
{
    double best = 0;
    for (const auto& r : results) {
        const std::string at =
            label + thousands(static_cast<std::int64_t>(r.offered)) + "/s offered: ";
        report.figure(at + "committed", thousands(static_cast<std::int64_t>(r.committed)) + " /s");
        report.figure(at + "ack p50 / p99",
                      fixed(r.ack.p50, 1) + " / " + fixed(r.ack.p99, 1) + " ms", "p99 < 100 ms",
                      r.ack.p99 < 100);
        report.figure(at + "fan-out rows to listeners",
                      thousands(static_cast<std::int64_t>(r.delivered)) + " /s");
        report.figure(at + "fan-out lag p50 / p99",
                      fixed(r.lag.p50, 1) + " / " + fixed(r.lag.p99, 1) + " ms");
        report.figure(at + "drain after the step",
                      r.drained ? fixed(r.drainS, 2) + " s" : "not drained in 60 s");
        if (r.errors > 0) {
            report.figure(at + "refusals / overload answers", std::to_string(r.errors));
        }
        report.note(at + r.cpu);
        if (r.committed >= 0.95 * r.offered && r.ack.p99 < 100) {
            best = std::max(best, r.committed);
        }
    }
    return best;
}

std::string sustained(double best, const std::vector<StepResult>& results)
{
    if (best > 0) {
        return thousands(static_cast<std::int64_t>(best)) + " writes/s";
    }
    return "below " +
           (results.empty() ? std::string("?")
                            : thousands(static_cast<std::int64_t>(results.front().offered))) +
           " writes/s";
}

// bench/relay/relay.js under Node.js, on a free port with the benchmark's certificate.
class Relay {
public:
    std::string start(const test::TlsFiles& tls)
    {
        const QString script = QStringLiteral(CC_SOURCE_DIR "/bench/relay/relay.js");
        if (!QFileInfo::exists(QStringLiteral(CC_SOURCE_DIR "/bench/relay/node_modules/ws"))) {
            return "the relay's ws package is missing: run `npm ci` in bench/relay "
                   "(scripts/bench.sh does)";
        }
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(QStringLiteral("node"),
                        {script, QStringLiteral("--port"), QStringLiteral("0"),
                         QStringLiteral("--cert"), tls.certFile, QStringLiteral("--key"),
                         tls.keyFile});
        if (!m_process.waitForStarted(5000)) {
            return "node did not start: " + m_process.errorString().toStdString();
        }
        std::string output;
        spinUntil(
            [&] {
                output += m_process.readAll().toStdString();
                const auto at = output.find("listening on ");
                if (at == std::string::npos || output.find('\n', at) == std::string::npos) {
                    return false;
                }
                m_port = std::atoi(output.c_str() + at + 13);
                return true;
            },
            10'000);
        if (m_port <= 0) {
            return "the relay did not start listening: " + output;
        }
        return {};
    }
    ~Relay()
    {
        m_process.terminate();
        m_process.waitForFinished(3000);
    }
    QString wsUrl() const { return QStringLiteral("wss://127.0.0.1:%1/ws").arg(m_port); }
    std::int64_t pid() const { return m_process.processId(); }

private:
    QProcess m_process;
    int m_port = 0;
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Args args(argc, argv);
    const auto storeCount = static_cast<int>(args.integer("stores", args.quick() ? 10 : 25));
    const auto writersPerStore = static_cast<int>(args.integer("writers", 2));
    const auto rates =
        parseRates(args.text("rates", args.quick() ? "500,2000" : "250,500,1000,2500,5000,10000"));
    const auto stepSeconds = args.real("step-seconds", args.quick() ? 6 : 10);
    const std::string via = args.text("via", "direct");
    const bool relay = args.has("relay");
    args.rejectUnknown("bench_p4_writes [--quick] [--stores N] [--writers N] [--rates R1,R2,...] "
                       "[--step-seconds S] [--via direct|nginx] [--relay]");
    raiseOpenFileLimit();

    Report report("P4",
                  via == "nginx"
                      ? "client writes durably committed and fanned out, two nodes behind nginx"
                      : "client writes durably committed and fanned out");
    if (via != "direct" && via != "nginx") {
        report.fail("--via is direct or nginx");
        return report.finish();
    }
    BenchServer server;
    if (auto err = server.start(); !err.empty()) {
        report.fail(err);
        return report.finish();
    }
    if (via == "nginx") {
        if (auto err = server.startBalanced(); !err.empty()) {
            report.fail(err);
            return report.finish();
        }
    }
    const auto stores = makeStores(server.db(), server.chain().org, storeCount);
    report.note(std::to_string(storeCount) + " stores x (" + std::to_string(writersPerStore) +
                " writing tablets + 1 listening tablet) = " +
                std::to_string(storeCount * (writersPerStore + 1)) +
                " tablets in this process (the app's sync client, in-memory caches), one "
                "organisation; each write is a new call note");
    report.note(std::string(via == "nginx" ? "two nodes on one database behind Debian's nginx "
                                             "(one worker, TLS at nginx and again to the nodes), "
                                           : "one node, ") +
                "each at its defaults (2 network threads, 4 database connections); "
                "PostgreSQL 15 on the same 2 cores; steps of " +
                fixed(stepSeconds, 0) + " s, the first 2 s of each not counted");

    double best = 0;
    std::vector<StepResult> ours;
    {
        Workload load(app, server.wsUrl(), server.ca(), server.db(), stores, writersPerStore,
                      "p4-s");
        if (auto err = load.connect(); !err.empty()) {
            report.fail(err);
            return report.finish();
        }
        ours = load.run(rates, stepSeconds, [&] { return server.cpu(); });
        best = reportSteps(report, relay ? "server, " : "", ours);
        load.disconnect();
    }
    report.figure("sustained, committed and fanned out, p99 ack < 100 ms", sustained(best, ours),
                  ">= 10,000 /s", best >= 10'000,
                  best >= 10'000
                      ? ""
                      : "PostgreSQL's CPU: each write costs its backends about 1 ms of CPU "
                        "(capture triggers, ~6 round trips per mutation); see BENCHMARKS.md");

    if (relay) {
        Relay node;
        if (auto err = node.start(server.tls()); !err.empty()) {
            report.fail(err);
            return report.finish();
        }
        Workload load(app, node.wsUrl(), server.ca(), server.db(), stores, writersPerStore,
                      "p4-relay-s");
        if (auto err = load.connect(); !err.empty()) {
            report.fail("relay: " + err);
            return report.finish();
        }
        const auto relayCpu = [&] {
            CpuWindow w = server.cpu();
            w.server = cpuSeconds(node.pid()); // the relay in the server's place
            w.proxy = 0;
            w.backends = 0;
            return w;
        };
        const auto theirs = load.run(rates, stepSeconds, relayCpu);
        const double relayBest = reportSteps(report, "node ws relay, ", theirs);
        report.figure("node ws relay: sustained, p99 ack < 100 ms", sustained(relayBest, theirs));
        report.figure("ratio, server / relay (sustained rates)",
                      best > 0 && relayBest > 0 ? fixed(best / relayBest, 2)
                                                : std::string("n/a (a rate below the first step)"));
        // Whatever the latency: the most either committed in a step.
        const auto peak = [](const std::vector<StepResult>& steps) {
            double most = 0;
            for (const auto& r : steps) {
                most = std::max(most, r.committed);
            }
            return most;
        };
        const double relayPeak = peak(theirs);
        report.figure("highest committed in a step, server / relay",
                      thousands(static_cast<std::int64_t>(peak(ours))) + " / " +
                          thousands(static_cast<std::int64_t>(relayPeak)) + " /s = " +
                          (relayPeak > 0 ? fixed(peak(ours) / relayPeak, 2) : std::string("n/a")));
        load.disconnect();
    }
    return report.finish();
}
