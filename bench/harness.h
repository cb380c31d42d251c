#pragma once

// What every benchmark program shares: its command line, timing and percentiles, the facts of the
// machine it ran on, the printed figures with their targets from PRODUCT.md and a PASS/MISS
// verdict, and the system under test (the real server on a throwaway database of the cluster that
// scripts/bench.sh starts, seeded with the tests' small chain).
//
// Every program prints a block like
//
//   == P1 write on one tablet visible in another's SQLite ==
//   machine: 2 cores, AMD EPYC, 23.4 GiB RAM, Linux 6.1, RelWithDebInfo build
//   p50            1.21 ms   target < 1.5 ms   PASS
//
// and appends the same lines to the file named by CC_BENCH_LOG, if set.

#include "tests/support/balancer.h"
#include "tests/support/seed.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <pqxx/connection>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cc::bench {

// ---- Command line: --quick, --name=value, --name value, --flag ----

class Args {
public:
    Args(int argc, char** argv);
    bool quick() const { return m_quick; }
    bool has(const std::string& name) const;
    std::int64_t integer(const std::string& name, std::int64_t fallback) const;
    double real(const std::string& name, double fallback) const;
    std::string text(const std::string& name, const std::string& fallback) const;
    // Fails (exit 2, with usage) on an option the program did not ask about.
    void rejectUnknown(const std::string& usage) const;

private:
    bool m_quick = false;
    std::vector<std::pair<std::string, std::string>> m_options;
    mutable std::vector<std::string> m_asked;
};

// ---- Time and statistics ----

using Clock = std::chrono::steady_clock;

inline double msBetween(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}
inline double msSince(Clock::time_point from)
{
    return msBetween(from, Clock::now());
}

struct Stats {
    std::size_t n = 0;
    double min = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
// Nearest-rank percentiles (p99 of 200 samples is the 198th smallest).
Stats summarize(std::vector<double> samples);

std::string fixed(double value, int decimals);
std::string thousands(std::int64_t value); // 1234567 -> "1,234,567"

// ---- The machine ----

struct Machine {
    std::string cpuModel;
    int cores = 0; // online processors
    double ramGiB = 0;
    std::string kernel;
    std::string buildType; // the CMake build type the benchmark was compiled with
};
Machine machine();
std::string describe(const Machine& m);

// Resident and peak memory of a process, in KiB (from /proc/<pid>/status); -1 when unknown.
std::int64_t rssKiB(std::int64_t pid);
std::int64_t peakRssKiB(std::int64_t pid);
// The pid of a running child of this process whose executable's name is `name` (0 if none).
std::int64_t childPid(const std::string& executableName);
// CPU time (user + system) a process has used, in seconds; -1 when unknown.
double cpuSeconds(std::int64_t pid);
// CPU time used by the PostgreSQL backends serving database `dbName` (by their process title).
double backendCpuSeconds(const std::string& dbName);
// Busy and total CPU time of the whole machine, in seconds, over all cores (/proc/stat).
struct MachineCpu {
    double busy = 0;
    double total = 0;
};
MachineCpu machineCpu();
// One reading of the CPU time used so far (see BenchServer::cpu and cpuUse).
struct CpuWindow {
    Clock::time_point at;
    MachineCpu machine;
    double self = 0, server = 0, backends = 0;
    double proxy = 0; // nginx, when the nodes are behind it
};
// Raises this process's soft open-file limit to its hard limit; returns the new soft limit.
std::int64_t raiseOpenFileLimit();

// ---- Figures and verdicts ----

class Report {
public:
    Report(std::string goal, std::string title);
    ~Report();
    Report(const Report&) = delete;
    Report& operator=(const Report&) = delete;

    // Context printed above the figures (workload, sizes, what is included in the timing).
    void note(const std::string& line);
    // One figure; `pass` empty for a figure without a target of its own. `why` goes with a MISS
    // (the likely cause) or explains an n/a.
    void figure(const std::string& name, const std::string& value, const std::string& target = {},
                std::optional<bool> pass = std::nullopt, const std::string& why = {});
    // Prints the block (also to CC_BENCH_LOG); returns the program's exit code: 0 when it ran
    // (a MISS is a result, not a failure), 1 after fail().
    int finish();
    // The benchmark could not run as designed: printed and the exit code becomes 1.
    void fail(const std::string& what);
    bool failed() const { return m_failed; }

    // Progress for the person watching (stderr, not the log).
    static void progress(const std::string& line);

private:
    std::string m_goal;
    std::vector<std::string> m_lines;
    bool m_failed = false;
    bool m_finished = false;
};

// ---- The system under test ----

// A throwaway database on the cluster of CALLCOMMANDER_TEST_PG (migrated by the server when it
// starts), the tests' seeded chain (organisation "acme", stores A and B, staff), and the real
// callcommander-server on a free port with a test certificate.
class BenchServer {
public:
    BenchServer();
    ~BenchServer();
    BenchServer(const BenchServer&) = delete;
    BenchServer& operator=(const BenchServer&) = delete;

    // Empty on success, else what went wrong (with the server's log).
    std::string start(QMap<QString, QString> extraEnv = {});
    // After start(): a second node on the same database and Debian's nginx in front of both
    // (docs/deployment.md); wsUrl() is the balancer's from then on. Empty on success.
    std::string startBalanced(QMap<QString, QString> extraEnv = {}, int maxConnections = 4096);
    bool balanced() const { return m_balancer != nullptr; }
    // SIGTERM and wait (drops nothing: the database stays until the object goes).
    void stop();
    bool running() const;

    pqxx::connection& db(); // to this benchmark's database
    const test::SeededChain& chain() const { return m_chain; }
    const std::string& conninfo() const { return m_conninfo; }
    std::string databaseName() const;
    // CPU readings of this process, the server and its database backends.
    CpuWindow cpu() const;
    // "bench 0.71 cores, server 0.62, PostgreSQL backends 0.48, machine 1.93 of 2 busy"
    static std::string cpuUse(const CpuWindow& from, const CpuWindow& to);
    QString wsUrl() const;
    QString caFile() const { return m_tls.caFile; }
    const test::TlsFiles& tls() const { return m_tls; }
    QList<QSslCertificate> ca() const;
    std::int64_t pid() const { return m_pid; }
    // The server's output so far (also drains it, so a chatty server never blocks on its pipe).
    QString log();

    // A live sign-in (auth_sessions row) and an access token for it, valid for an hour.
    std::string token(const std::string& userId, const std::string& deviceId);

private:
    QTemporaryDir m_dir;
    test::TlsFiles m_tls;
    std::unique_ptr<test::TestDatabase> m_database;
    std::string m_conninfo;
    std::unique_ptr<pqxx::connection> m_db;
    std::unique_ptr<test::ServerProcess> m_server;
    std::unique_ptr<test::ServerProcess> m_second;
    std::unique_ptr<test::Balancer> m_balancer;
    test::SeededChain m_chain;
    std::int64_t m_pid = 0;
};

// Every CALLCOMMANDER_* setting a benchmark passed to the server, for the report.
std::string describeEnv(const QMap<QString, QString>& env);

// The count of rows matching `where` in `table` of the benchmark's database.
std::int64_t countRows(pqxx::connection& conn, const std::string& sql);

} // namespace cc::bench
