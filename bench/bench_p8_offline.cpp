// P8: writes queued offline, uploaded after reconnect.
//
// A staff tablet with a cache file writes N call notes while offline (each one its own local
// transaction into the table and the outbox, as the screens do), then connects. Timed: the local
// writes, and from connectToServer() until the outbox is empty and no push awaits its answer
// (every write applied by the server and acknowledged). Then the server's database is checked:
// exactly N notes with the benchmark's marker, N distinct ids, N recorded mutations of the device
// (zero lost, zero duplicated), and the device's cache holds the N notes with server versions.
//
//   bench_p8_offline [--quick] [--writes 100000] [--push-batch 500]

#include "bench/fleet.h"
#include "bench/harness.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <pqxx/pqxx>

#include <algorithm>

using namespace cc;
using namespace cc::bench;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Args args(argc, argv);
    const auto writes = args.integer("writes", args.quick() ? 20'000 : 100'000);
    const auto pushBatch = args.integer("push-batch", 0); // 0: the product's default
    args.rejectUnknown("bench_p8_offline [--quick] [--writes N] [--push-batch N]");

    Report report("P8", "writes queued offline, uploaded after reconnect");
    BenchServer server;
    if (auto err = server.start(); !err.empty()) {
        report.fail(err);
        return report.finish();
    }
    const auto& c = server.chain();
    const auto ids = mintDevices(server.db(), c.staffA, "p8", 1);
    QTemporaryDir dir;
    const QString cachePath = dir.path() + QStringLiteral("/cache.sqlite");
    LoadDevice device(server.wsUrl(), server.ca(), ids.front(), cachePath);
    if (pushBatch > 0) {
        device.client().setMaxPushMutations(static_cast<std::size_t>(pushBatch));
    }
    // First sync (the tablet has been used before going offline), then offline.
    device.connect();
    if (!spinUntil([&] { return device.live(); }, 30'000)) {
        report.fail("the device did not sync before going offline");
        return report.finish();
    }
    device.disconnect();
    spinUntil([&] { return !device.connected(); }, 5000);

    Report::progress("writing " + thousands(writes) + " notes offline");
    const std::string marker = "p8-" + newUuid().substr(0, 8);
    const auto writeStart = Clock::now();
    // The first and the last tenth of the writes, timed apart: does a write slow down as the
    // outbox grows?
    const std::int64_t tenth = std::max<std::int64_t>(1, writes / 10);
    double firstTenthMs = 0;
    Clock::time_point lastTenthStart = writeStart;
    for (std::int64_t n = 1; n <= writes; ++n) {
        if (n == tenth + 1) {
            firstTenthMs = msSince(writeStart);
        }
        if (n == writes - tenth + 1) {
            lastTenthStart = Clock::now();
        }
        const std::string id = newUuid();
        auto written = device.client().write(
            "call_notes", sync::Op::Insert, id,
            noteFields(id, c.storeA, c.customerA, marker + " note " + std::to_string(n)));
        if (!written) {
            report.fail("local write " + std::to_string(n) + " refused: " + written.error().reason);
            return report.finish();
        }
    }
    const double writeMs = msSince(writeStart);
    const double lastTenthMs = msSince(lastTenthStart);
    // What SyncClient::write asks the cache after every write (the pending count it shows).
    const auto countStart = Clock::now();
    const auto queued = device.store().pendingCount();
    const double countMs = msSince(countStart);

    // Count the pushes and their answers on the way.
    std::int64_t pushResults = 0;
    QObject::connect(&device.connection(), &app::ServerConnection::messageReceived,
                     &device.connection(), [&](const protocol::Envelope& e) {
                         if (std::holds_alternative<protocol::PushResult>(e.body)) {
                             ++pushResults;
                         }
                     });
    Report::progress("reconnecting and uploading " + thousands(static_cast<std::int64_t>(queued)));
    const auto uploadStart = Clock::now();
    double welcomedMs = -1;
    QObject::connect(&device.connection(), &app::ServerConnection::welcomed, &device.connection(),
                     [&] { welcomedMs = msSince(uploadStart); });
    device.connect();
    const bool uploaded = spinUntil(
        [&] {
            return device.connected() && device.client().status().pendingWrites == 0 &&
                   !device.client().pushInFlight();
        },
        600'000);
    const double uploadMs = msSince(uploadStart);
    const bool live = spinUntil([&] { return device.settled(); }, 60'000);
    const double liveMs = msSince(uploadStart);

    const std::int64_t notes = countRows(
        server.db(), "SELECT count(*) FROM call_notes WHERE body LIKE '" + marker + " note %'");
    const std::int64_t distinctNotes =
        countRows(server.db(), "SELECT count(DISTINCT id) FROM call_notes WHERE body LIKE '" +
                                   marker + " note %'");
    const std::int64_t distinctBodies =
        countRows(server.db(), "SELECT count(DISTINCT body) FROM call_notes WHERE body LIKE '" +
                                   marker + " note %'");
    const std::int64_t mutations =
        countRows(server.db(), "SELECT count(*) FROM sync_mutations WHERE device_id = '" +
                                   ids.front().deviceId + "' AND status = 'applied'");
    const std::int64_t refused =
        countRows(server.db(), "SELECT count(*) FROM sync_mutations WHERE device_id = '" +
                                   ids.front().deviceId + "' AND status <> 'applied'");
    const auto held = static_cast<std::int64_t>(device.store().rowCount("call_notes"));

    report.note("one staff tablet, cache file in " + dir.path().toStdString() +
                " (WAL, synchronous=FULL); each write one local transaction (row + outbox)");
    report.note("push size " +
                (pushBatch > 0 ? std::to_string(pushBatch) : std::string("500 (the default)")) +
                " mutations; one push in flight at a time; server at its defaults (4 database "
                "connections)");
    report.note("upload timed from connectToServer() (TLS, hello, subscribe included) until the "
                "outbox is empty and no push awaits its answer; " +
                std::to_string(pushResults) + " push answers; welcome after " +
                fixed(welcomedMs, 1) + " ms");
    report.figure("local writes while offline",
                  thousands(writes) + " in " + fixed(writeMs / 1000.0, 2) + " s");
    report.figure("local write rate", thousands(static_cast<std::int64_t>(
                                          static_cast<double>(writes) / (writeMs / 1000.0))) +
                                          " writes/s");
    const auto perSecond = [&](double ms) {
        return thousands(static_cast<std::int64_t>(static_cast<double>(tenth) / (ms / 1000.0))) +
               " writes/s";
    };
    report.figure("  first tenth / last tenth of the writes",
                  perSecond(firstTenthMs) + " / " + perSecond(lastTenthMs), "", std::nullopt,
                  lastTenthMs > 2 * firstTenthMs
                      ? "writes slow down as the outbox grows: SyncClient::write refreshes the "
                        "pending count, a count(*) over the outbox, after every write"
                      : "");
    report.figure("  pendingCount() with the outbox full", fixed(countMs, 2) + " ms");
    const double uploadS = uploadMs / 1000.0;
    const bool scaled = writes != 100'000;
    const double limitS = 5.0 * static_cast<double>(writes) / 100'000.0;
    if (!uploaded) {
        report.fail("the outbox did not empty within 10 minutes (" +
                    thousands(static_cast<std::int64_t>(device.client().status().pendingWrites)) +
                    " left; last error: " + device.client().status().lastError.toStdString() + ")");
    }
    const double rate = static_cast<double>(writes) / uploadS;
    report.figure("upload of " + thousands(writes) + " after reconnect", fixed(uploadS, 2) + " s",
                  "< " + fixed(limitS, 1) + " s" + (scaled ? " (scaled)" : ""),
                  uploaded && uploadS < limitS,
                  uploadS < limitS ? ""
                                   : "pushes go one at a time, each one PostgreSQL transaction "
                                     "with several statements per mutation (idempotency lookup, "
                                     "savepoint, insert, capture trigger, mutation record); see "
                                     "BENCHMARKS.md");
    report.figure("upload rate", thousands(static_cast<std::int64_t>(rate)) + " writes/s",
                  ">= 20,000 writes/s", rate >= 20'000);
    report.figure("device settled (its own rows back, versions)", fixed(liveMs / 1000.0, 2) + " s",
                  "", live ? std::nullopt : std::optional<bool>(false));
    const bool exact = notes == writes && distinctNotes == writes && distinctBodies == writes &&
                       mutations == writes && refused == 0;
    report.figure("server notes / distinct ids / distinct bodies",
                  thousands(notes) + " / " + thousands(distinctNotes) + " / " +
                      thousands(distinctBodies),
                  "= " + thousands(writes) + " each", exact);
    report.figure("lost", thousands(std::max<std::int64_t>(0, writes - distinctBodies)), "0",
                  distinctBodies == writes);
    report.figure("duplicated", thousands(std::max<std::int64_t>(0, notes - distinctBodies)), "0",
                  notes == distinctBodies);
    report.figure("mutations recorded applied / refused",
                  thousands(mutations) + " / " + thousands(refused));
    report.figure("notes in the device's cache", thousands(held), "= " + thousands(writes),
                  held == writes);
    report.figure("90 days offline without a forced reset", "not measured", "", std::nullopt,
                  "needs a clock-shifted run (it depends on how long the server keeps tombstones "
                  "and decided mutation ids); a benchmark of time, not of speed");
    return report.finish();
}
