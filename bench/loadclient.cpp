// cc_loadclient: a headless load client. It drives any number of simulated devices from one
// process and one thread, each made of the app's own sync parts (ServerConnection over TLS,
// DirectTransport, a LocalStore cache and a SyncClient), so the server sees exactly what real
// tablets do: hello, subscribe, bootstrap, live changes, pushes.
//
//   cc_loadclient --ws-url wss://127.0.0.1:PORT/ws --ca ca.pem --conninfo "host=... dbname=..."
//                 --user USER_ID [--devices 1000] [--wave 50] [--connect-rate 45]
//                 [--device-prefix load]
//                 [--cache-dir DIR] [--write-rate 0] [--store STORE_ID --customer CUSTOMER_ID]
//                 [--duration 0] [--report-every 5] [--connect-timeout 300]
//
// Devices connect in waves, at most --connect-rate a second after the first 150: the server
// rate-limits HTTP requests per address (50/s, burst 200) and a WebSocket upgrade is one.
// Tokens are minted straight into the database (--conninfo) like the integration tests do: the
// HTTP sign-in is rate limited per address and hashes passwords on purpose slowly, neither of
// which is what a sync benchmark measures. Caches are in memory unless --cache-dir is given.
// With --write-rate R every device writes R call notes per second (in --store, about
// --customer) and the acknowledgement latency of each is measured.
//
// Output, one line each, flushed at once (a parent process reads them):
//   ready live=<n> total=<n> seconds=<s>
//   stats live=<n> written=<n> acked=<n> received_rows=<n> pending=<n> ack_p50_ms=<x>
//         ack_p99_ms=<x> reconnects=<n>
//   error <what>
// It runs until --duration seconds have passed after "ready" (0: until its standard input is
// closed or it is terminated).

#include "bench/fleet.h"
#include "bench/harness.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimer>

#include <pqxx/pqxx>

#include <cstdio>
#include <unistd.h>
#include <unordered_map>

using namespace cc;
using namespace cc::bench;

namespace {

void say(const std::string& line)
{
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

struct Counters {
    std::int64_t written = 0;
    std::int64_t acked = 0;
    std::int64_t receivedRows = 0;
    std::int64_t reconnects = 0;
    std::vector<double> ackMs; // since the last stats line
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Args args(argc, argv);
    const QString wsUrl = QString::fromStdString(args.text("ws-url", ""));
    const QString caFile = QString::fromStdString(args.text("ca", ""));
    const std::string conninfo = args.text("conninfo", "");
    const std::string user = args.text("user", "");
    const auto devices = static_cast<std::size_t>(args.integer("devices", 1000));
    const auto wave = static_cast<std::size_t>(args.integer("wave", 50));
    // The server takes 50 HTTP requests a second from one address (WebSocket upgrades count).
    const double connectRate = args.real("connect-rate", 45);
    const std::string prefix = args.text("device-prefix", "load");
    const QString cacheDir = QString::fromStdString(args.text("cache-dir", ""));
    const double writeRate = args.real("write-rate", 0);
    const std::string store = args.text("store", "");
    const std::string customer = args.text("customer", "");
    const auto duration = args.integer("duration", 0);
    const auto reportEvery = args.integer("report-every", 5);
    const auto connectTimeout = args.integer("connect-timeout", 300);
    args.rejectUnknown(
        "cc_loadclient --ws-url URL --ca FILE --conninfo CONNINFO --user ID "
        "[--devices N] [--wave N] [--connect-rate R] [--device-prefix P] [--cache-dir DIR] "
        "[--write-rate R --store ID --customer ID] [--duration S] "
        "[--report-every S] [--connect-timeout S]");
    if (wsUrl.isEmpty() || caFile.isEmpty() || conninfo.empty() || user.empty()) {
        say("error --ws-url, --ca, --conninfo and --user are required");
        return 2;
    }
    if (writeRate > 0 && store.empty()) {
        say("error --write-rate needs --store (and --customer)");
        return 2;
    }
    const auto ca = QSslCertificate::fromPath(caFile);
    if (ca.isEmpty()) {
        say("error no certificate in " + caFile.toStdString());
        return 2;
    }
    raiseOpenFileLimit();

    std::vector<DeviceIdentity> identities;
    try {
        pqxx::connection conn(conninfo);
        identities = mintDevices(conn, user, prefix, devices);
    } catch (const std::exception& e) {
        say(std::string("error cannot mint tokens: ") + e.what());
        return 3;
    }

    Fleet fleet(wsUrl, ca);
    Counters counters;
    // Each device's writes awaiting their answer: mutation id -> when written.
    std::vector<std::unordered_map<std::string, Clock::time_point>> inFlight(devices);
    for (std::size_t i = 0; i < devices; ++i) {
        const QString path = cacheDir.isEmpty() ? QStringLiteral(":memory:")
                                                : cacheDir + QStringLiteral("/%1.sqlite").arg(i);
        LoadDevice& d = fleet.add(identities[i], path);
        QObject::connect(&d.connection(), &app::ServerConnection::messageReceived, &app,
                         [&counters, &inFlight, i](const protocol::Envelope& e) {
                             if (const auto* r = std::get_if<protocol::PushResult>(&e.body)) {
                                 const auto now = Clock::now();
                                 for (const auto& result : r->results) {
                                     const auto it = inFlight[i].find(result.id);
                                     if (it != inFlight[i].end()) {
                                         counters.ackMs.push_back(msBetween(it->second, now));
                                         inFlight[i].erase(it);
                                         ++counters.acked;
                                     }
                                 }
                             } else if (const auto* c = std::get_if<protocol::Changes>(&e.body)) {
                                 counters.receivedRows += static_cast<std::int64_t>(c->rows.size());
                             }
                         });
        QObject::connect(
            &d.connection(), &app::ServerConnection::stateChanged, &app, [&counters, &d] {
                if (d.connection().state() == app::ServerConnection::State::Reconnecting) {
                    ++counters.reconnects;
                }
            });
    }

    // Stop when the parent goes away (its end of our standard input closes).
    QSocketNotifier stdinWatch(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&stdinWatch, &QSocketNotifier::activated, &app, [&] {
        char buf[256];
        if (::read(STDIN_FILENO, buf, sizeof buf) <= 0) {
            stdinWatch.setEnabled(false);
            QCoreApplication::quit();
        }
    });

    const auto start = Clock::now();
    const std::size_t live =
        fleet.connectAll(wave, static_cast<int>(connectTimeout * 1000), {}, connectRate);
    if (live < devices) {
        say("error only " + std::to_string(live) + " of " + std::to_string(devices) +
            " devices live after " + fixed(msSince(start) / 1000.0, 1) + " s");
        return 4;
    }
    say("ready live=" + std::to_string(live) + " total=" + std::to_string(devices) +
        " seconds=" + fixed(msSince(start) / 1000.0, 1));

    // Writers: every 20 ms each device writes what its rate allows by now.
    QTimer writer;
    auto lastTick = Clock::now();
    double budget = 0;
    std::int64_t noteNumber = 0;
    if (writeRate > 0) {
        QObject::connect(&writer, &QTimer::timeout, &app, [&] {
            const auto now = Clock::now();
            budget += writeRate * msBetween(lastTick, now) / 1000.0;
            lastTick = now;
            const auto due = static_cast<std::int64_t>(budget);
            budget -= static_cast<double>(due);
            for (std::int64_t k = 0; k < due; ++k) {
                for (std::size_t i = 0; i < devices; ++i) {
                    const std::string id = newUuid();
                    auto& d = *fleet.devices()[i];
                    const auto at = Clock::now();
                    auto written = d.client().write(
                        "call_notes", sync::Op::Insert, id,
                        noteFields(id, store, customer,
                                   "load " + prefix + " " + std::to_string(++noteNumber)));
                    if (written) {
                        inFlight[i].emplace(written.value(), at);
                        ++counters.written;
                    }
                }
            }
        });
        writer.start(20);
    }

    QTimer stats;
    QObject::connect(&stats, &QTimer::timeout, &app, [&] {
        const Stats s = summarize(std::exchange(counters.ackMs, {}));
        say("stats live=" + std::to_string(fleet.liveCount()) + " written=" +
            std::to_string(counters.written) + " acked=" + std::to_string(counters.acked) +
            " received_rows=" + std::to_string(counters.receivedRows) +
            " pending=" + std::to_string(fleet.pendingWrites()) + " ack_p50_ms=" + fixed(s.p50, 2) +
            " ack_p99_ms=" + fixed(s.p99, 2) +
            " reconnects=" + std::to_string(counters.reconnects));
    });
    stats.start(static_cast<int>(std::max<std::int64_t>(1, reportEvery) * 1000));
    if (duration > 0) {
        QTimer::singleShot(static_cast<int>(duration * 1000), &app, &QCoreApplication::quit);
    }
    app.exec();
    return 0;
}
