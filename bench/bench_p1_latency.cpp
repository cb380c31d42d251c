// P1: a write on one tablet visible in another's local SQLite (same store), over loopback, with
// 1,000 other clients connected.
//
// The 1,000 others are real devices (the app's sync client and cache each) run by the headless
// load client, cc_loadclient, in a process of their own: connected, subscribed and live for the
// whole measurement. Two tablets of store A (two staff members, cache files on disk) run in this
// process. Each sample: tablet A writes a call note (SyncClient::write: its local transaction,
// then the push); the clock stops when tablet B's sync client has committed the row to B's
// SQLite (its rowsChanged signal, with the row read back from B's cache). The next sample starts
// after A has its answer and a pause of 5-15 ms, so samples do not queue behind each other.
//
// Phases (--background): "other-store" puts the 1,000 in store B of the same organisation (the
// server's fan-out still walks all of them for every change: the usual shape of a chain);
// "same-store" puts them in store A as well, so every write also goes to 1,000 more devices
// (a stress case: their 1,000 SQLite writes per sample run on the same 2 cores).
//
//   bench_p1_latency [--quick] [--samples 300] [--clients 1000]
//                    [--background other-store,same-store]

#include "bench/fleet.h"
#include "bench/harness.h"

#include <QCoreApplication>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <pqxx/pqxx>

#include <iostream>
#include <sstream>

using namespace cc;
using namespace cc::bench;

namespace {

// The load client's process; its lines arrive as the event loop runs.
class Background {
public:
    Background() { m_process.setProcessChannelMode(QProcess::SeparateChannels); }
    ~Background() { stop(); }

    bool start(BenchServer& server, const std::string& user, std::int64_t clients,
               std::string& error)
    {
        m_process.setReadChannel(QProcess::StandardOutput);
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] {
            while (m_process.canReadLine()) {
                const std::string line = m_process.readLine().trimmed().toStdString();
                m_lines.push_back(line);
                if (line.rfind("ready", 0) == 0) {
                    m_ready = true;
                } else if (line.rfind("error", 0) == 0) {
                    m_error = line;
                } else if (line.rfind("stats", 0) == 0) {
                    m_lastStats = line;
                }
            }
        });
        m_process.start(
            QStringLiteral(CC_LOADCLIENT_BINARY),
            {QStringLiteral("--ws-url"), server.wsUrl(), QStringLiteral("--ca"), server.caFile(),
             QStringLiteral("--conninfo"), QString::fromStdString(server.conninfo()),
             QStringLiteral("--user"), QString::fromStdString(user), QStringLiteral("--devices"),
             QString::number(clients), QStringLiteral("--report-every"), QStringLiteral("2")});
        if (!m_process.waitForStarted(10'000)) {
            error = "cannot start " + std::string(CC_LOADCLIENT_BINARY);
            return false;
        }
        const bool ok = spinUntil(
            [this] {
                return m_ready || !m_error.empty() || m_process.state() == QProcess::NotRunning;
            },
            300'000);
        if (!ok || !m_ready) {
            error = "the load client did not get its devices live: " +
                    (m_error.empty() ? std::string("timeout or exit") : m_error) + "\n" +
                    m_process.readAllStandardError().toStdString();
            return false;
        }
        m_readyLine = m_lines.back();
        return true;
    }

    void stop()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.closeWriteChannel(); // it quits when its standard input closes
            if (!m_process.waitForFinished(10'000)) {
                m_process.kill();
                m_process.waitForFinished(5000);
            }
        }
    }

    const std::string& readyLine() const { return m_readyLine; }
    const std::string& lastStats() const { return m_lastStats; }
    bool running() const { return m_process.state() == QProcess::Running; }

private:
    QProcess m_process;
    std::vector<std::string> m_lines;
    std::string m_readyLine, m_lastStats, m_error;
    bool m_ready = false;
};

std::string statsValue(const std::string& line, const std::string& key)
{
    const auto at = line.find(" " + key + "=");
    if (at == std::string::npos) {
        return "?";
    }
    const auto start = at + key.size() + 2;
    return line.substr(start, line.find(' ', start) - start);
}

struct PhaseResult {
    Stats visible; // write() -> row in B's SQLite
    Stats localMs; // A's write() call alone (local transaction)
    Stats ackMs;   // write() -> A's push_result
    std::string loadReady, loadStats, cpu;
    std::int64_t serverRssKiB = 0;
    std::size_t lost = 0;
};

std::optional<PhaseResult> runPhase(Report& report, const std::string& name, std::int64_t clients,
                                    std::int64_t samples)
{
    BenchServer server;
    if (auto err = server.start(); !err.empty()) {
        report.fail(name + ": " + err);
        return std::nullopt;
    }
    const auto& c = server.chain();
    Background background;
    std::string error;
    Report::progress(name + ": connecting " + std::to_string(clients) +
                     " background devices (load client)");
    if (clients > 0 &&
        !background.start(server, name == "same-store" ? c.staffA : c.staffB, clients, error)) {
        report.fail(name + ": " + error);
        return std::nullopt;
    }
    QTemporaryDir dir;
    auto idsA = mintDevices(server.db(), c.staffA, "p1-tablet-a", 1);
    auto idsB = mintDevices(server.db(), c.staffA2, "p1-tablet-b", 1);
    LoadDevice a(server.wsUrl(), server.ca(), idsA.front(),
                 dir.path() + QStringLiteral("/a.sqlite"));
    LoadDevice b(server.wsUrl(), server.ca(), idsB.front(),
                 dir.path() + QStringLiteral("/b.sqlite"));
    a.connect();
    b.connect();
    if (!spinUntil([&] { return a.live() && b.live(); }, 30'000)) {
        report.fail(name + ": the two tablets did not get live");
        return std::nullopt;
    }

    std::string expectId;
    Clock::time_point t0;
    std::optional<double> seenMs;
    std::optional<double> ackedMs;
    std::string expectMutation;
    QObject::connect(
        &b.client(), &app::SyncClient::rowsChanged, &b.client(), [&](const QStringList& entities) {
            if (seenMs || expectId.empty() || !entities.contains(QStringLiteral("call_notes"))) {
                return;
            }
            if (b.store().row("call_notes", expectId)) {
                seenMs = msSince(t0);
            }
        });
    QObject::connect(&a.connection(), &app::ServerConnection::messageReceived, &a.connection(),
                     [&](const protocol::Envelope& e) {
                         if (const auto* r = std::get_if<protocol::PushResult>(&e.body)) {
                             for (const auto& result : r->results) {
                                 if (result.id == expectMutation && !ackedMs) {
                                     ackedMs = msSince(t0);
                                 }
                             }
                         }
                     });

    const std::int64_t warmup = 20;
    std::vector<double> visible, local, ack;
    PhaseResult out;
    Report::progress(name + ": " + std::to_string(samples) + " samples");
    const auto cpuFrom = server.cpu();
    for (std::int64_t n = 0; n < warmup + samples; ++n) {
        expectId = newUuid();
        seenMs.reset();
        ackedMs.reset();
        t0 = Clock::now();
        auto written = a.client().write(
            "call_notes", sync::Op::Insert, expectId,
            noteFields(expectId, c.storeA, c.customerA, "p1 sample " + std::to_string(n)));
        const double localMs = msSince(t0);
        if (!written) {
            report.fail(name + ": write refused: " + written.error().reason);
            return std::nullopt;
        }
        expectMutation = written.value();
        if (!spinUntil([&] { return seenMs.has_value() && ackedMs.has_value(); }, 10'000)) {
            ++out.lost;
            continue;
        }
        if (n >= warmup) {
            visible.push_back(*seenMs);
            local.push_back(localMs);
            ack.push_back(*ackedMs);
        }
        spinFor(5 + static_cast<int>(QRandomGenerator::global()->bounded(11)));
    }
    const auto cpuTo = server.cpu();
    out.visible = summarize(visible);
    out.localMs = summarize(local);
    out.ackMs = summarize(ack);
    out.cpu = BenchServer::cpuUse(cpuFrom, cpuTo);
    out.serverRssKiB = rssKiB(server.pid());
    spinFor(2100); // one more stats line from the load client
    out.loadReady = background.readyLine();
    out.loadStats = background.lastStats();
    if (clients > 0 && !background.running()) {
        report.fail(name + ": the load client ended during the measurement");
    }
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Args args(argc, argv);
    const auto samples = args.integer("samples", args.quick() ? 100 : 300);
    const auto clients = args.integer("clients", 1000);
    std::vector<std::string> phases;
    {
        std::stringstream in(
            args.text("background", args.quick() ? "other-store" : "other-store,same-store"));
        for (std::string p; std::getline(in, p, ',');) {
            if (p != "other-store" && p != "same-store") {
                std::cerr << "--background takes other-store and/or same-store\n";
                return 2;
            }
            phases.push_back(p);
        }
    }
    args.rejectUnknown("bench_p1_latency [--quick] [--samples N] [--clients N] "
                       "[--background other-store,same-store]");
    raiseOpenFileLimit();

    Report report("P1", "a write on one tablet visible in another's local SQLite (same store)");
    report.note("two staff tablets of store A in this process (cache files, WAL); " +
                std::to_string(clients) +
                " other devices connected, subscribed and live throughout (cc_loadclient, its "
                "own process, in-memory caches); loopback TLS; server at its defaults");
    report.note("a sample: A's SyncClient::write (local transaction, push) until B's cache has "
                "committed the row; " +
                std::to_string(samples) + " samples after 20 warm-up ones, 5-15 ms apart");
    for (const auto& phase : phases) {
        const auto r = runPhase(report, phase, clients, samples);
        if (!r) {
            continue;
        }
        const bool main = phase == "other-store";
        const std::string label = main ? "" : " [stress: the 1,000 in the same store]";
        report.note("--- background " + phase + ": " + std::to_string(clients) +
                    (phase == "other-store" ? " devices of store B (same organisation)"
                                            : " devices of store A (each write goes to them too)") +
                    "; load client: " + r->loadReady);
        report.figure("p50 visible in B's SQLite" + label, fixed(r->visible.p50, 2) + " ms",
                      "< 1.5 ms", r->visible.p50 < 1.5,
                      r->visible.p50 < 1.5
                          ? ""
                          : "the server's path from push to fan-out is four PostgreSQL "
                            "transactions in a row (the scope read, the push, then after its "
                            "NOTIFY the hub's sequencer run and log read), each statement parsed "
                            "and planned; see BENCHMARKS.md");
        report.figure("p99 visible in B's SQLite" + label, fixed(r->visible.p99, 2) + " ms",
                      "< 3 ms", r->visible.p99 < 3.0);
        report.figure("max / mean",
                      fixed(r->visible.max, 2) + " / " + fixed(r->visible.mean, 2) + " ms");
        report.figure("A's local write (p50 / p99)",
                      fixed(r->localMs.p50, 3) + " / " + fixed(r->localMs.p99, 3) + " ms");
        report.figure("A's push answered (p50 / p99)",
                      fixed(r->ackMs.p50, 2) + " / " + fixed(r->ackMs.p99, 2) + " ms");
        report.figure("samples (lost: none seen in 10 s)",
                      std::to_string(r->visible.n) + " (" + std::to_string(r->lost) + " lost)",
                      "0 lost", r->lost == 0);
        report.figure("background devices live at the end",
                      statsValue(r->loadStats, "live") + " of " + std::to_string(clients) +
                          " (reconnects " + statsValue(r->loadStats, "reconnects") + ")");
        report.figure("server RSS with them", thousands(r->serverRssKiB / 1024) + " MiB");
        report.note(r->cpu);
    }
    return report.finish();
}
