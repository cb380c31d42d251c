#include "bench/harness.h"

#include "tests/support/syncdevice.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <pqxx/pqxx>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef CC_BENCH_BUILD_TYPE
#define CC_BENCH_BUILD_TYPE "unknown"
#endif

namespace cc::bench {

// ---- Args ----

Args::Args(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick") {
            m_quick = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) {
            m_options.emplace_back("?", a);
            continue;
        }
        a = a.substr(2);
        const auto eq = a.find('=');
        if (eq != std::string::npos) {
            m_options.emplace_back(a.substr(0, eq), a.substr(eq + 1));
        } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
            m_options.emplace_back(a, argv[++i]);
        } else {
            m_options.emplace_back(a, "");
        }
    }
    if (const char* env = std::getenv("CC_BENCH_QUICK");
        env != nullptr && *env != '\0' && std::string(env) != "0") {
        m_quick = true;
    }
}

bool Args::has(const std::string& name) const
{
    m_asked.push_back(name);
    return std::any_of(m_options.begin(), m_options.end(),
                       [&](const auto& o) { return o.first == name; });
}

std::string Args::text(const std::string& name, const std::string& fallback) const
{
    m_asked.push_back(name);
    for (auto it = m_options.rbegin(); it != m_options.rend(); ++it) {
        if (it->first == name) {
            return it->second;
        }
    }
    return fallback;
}

std::int64_t Args::integer(const std::string& name, std::int64_t fallback) const
{
    const std::string v = text(name, {});
    if (v.empty()) {
        return fallback;
    }
    try {
        return std::stoll(v);
    } catch (const std::exception&) {
        std::cerr << "--" << name << " wants a whole number, not \"" << v << "\"\n";
        std::exit(2);
    }
}

double Args::real(const std::string& name, double fallback) const
{
    const std::string v = text(name, {});
    if (v.empty()) {
        return fallback;
    }
    try {
        return std::stod(v);
    } catch (const std::exception&) {
        std::cerr << "--" << name << " wants a number, not \"" << v << "\"\n";
        std::exit(2);
    }
}

void Args::rejectUnknown(const std::string& usage) const
{
    for (const auto& [name, value] : m_options) {
        if (std::find(m_asked.begin(), m_asked.end(), name) == m_asked.end()) {
            std::cerr << "unknown argument: " << (name == "?" ? value : "--" + name) << "\n"
                      << usage << "\n";
            std::exit(2);
        }
    }
}

// ---- Statistics ----

Stats summarize(std::vector<double> samples)
{
    Stats s;
    s.n = samples.size();
    if (samples.empty()) {
        return s;
    }
    std::sort(samples.begin(), samples.end());
    const auto rank = [&](double p) {
        const auto r = static_cast<std::size_t>(std::ceil(p * static_cast<double>(s.n)));
        return samples[std::min(s.n - 1, r == 0 ? 0 : r - 1)];
    };
    s.min = samples.front();
    s.max = samples.back();
    s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.n);
    s.p50 = rank(0.50);
    s.p90 = rank(0.90);
    s.p99 = rank(0.99);
    return s;
}

std::string fixed(double value, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string thousands(std::int64_t value)
{
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return value < 0 ? "-" + out : out;
}

// ---- Machine ----

namespace {

std::string firstMatch(const std::string& path, const std::string& key)
{
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string v = line.substr(colon + 1);
                const auto start = v.find_first_not_of(" \t");
                return start == std::string::npos ? std::string() : v.substr(start);
            }
        }
    }
    return {};
}

std::int64_t statusKiB(std::int64_t pid, const std::string& key)
{
    const std::string v = firstMatch("/proc/" + std::to_string(pid) + "/status", key);
    return v.empty() ? -1 : std::atoll(v.c_str());
}

} // namespace

Machine machine()
{
    Machine m;
    m.cpuModel = firstMatch("/proc/cpuinfo", "model name");
    m.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    const std::string total = firstMatch("/proc/meminfo", "MemTotal");
    m.ramGiB = static_cast<double>(std::atoll(total.c_str())) / (1024.0 * 1024.0);
    utsname u{};
    if (uname(&u) == 0) {
        m.kernel = std::string(u.sysname) + " " + u.release;
    }
    m.buildType = CC_BENCH_BUILD_TYPE;
    return m;
}

std::string describe(const Machine& m)
{
    return std::to_string(m.cores) + " cores (" +
           (m.cpuModel.empty() ? "unknown CPU" : m.cpuModel) + "), " + fixed(m.ramGiB, 1) +
           " GiB RAM, " + m.kernel + ", " + m.buildType + " build";
}

std::int64_t rssKiB(std::int64_t pid)
{
    return statusKiB(pid, "VmRSS");
}

std::int64_t peakRssKiB(std::int64_t pid)
{
    return statusKiB(pid, "VmHWM");
}

std::int64_t childPid(const std::string& executableName)
{
    const QDir proc(QStringLiteral("/proc"));
    const auto self = static_cast<std::int64_t>(getpid());
    for (const QString& entry : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool isNumber = false;
        const qint64 pid = entry.toLongLong(&isNumber);
        if (!isNumber) {
            continue;
        }
        const std::string ppid = firstMatch("/proc/" + entry.toStdString() + "/status", "PPid");
        if (ppid.empty() || std::atoll(ppid.c_str()) != self) {
            continue;
        }
        const QString exe = QFileInfo(QStringLiteral("/proc/%1/exe").arg(entry)).symLinkTarget();
        if (QFileInfo(exe).fileName().toStdString() == executableName) {
            return pid;
        }
    }
    return 0;
}

namespace {

double ticksToSeconds(long long ticks)
{
    return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// utime + stime of /proc/<pid>/stat, in clock ticks; -1 when unknown.
long long statTicks(const std::string& pid)
{
    std::ifstream in("/proc/" + pid + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos) {
        return -1;
    }
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    // After the name: state(3) ... utime is field 14 and stime 15 of the whole line.
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) {
            utime = std::atoll(field.c_str());
        } else if (i == 15) {
            stime = std::atoll(field.c_str());
        }
    }
    return utime + stime;
}

} // namespace

double cpuSeconds(std::int64_t pid)
{
    const long long t = statTicks(std::to_string(pid));
    return t < 0 ? -1 : ticksToSeconds(t);
}

double backendCpuSeconds(const std::string& dbName)
{
    long long ticks = 0;
    const QDir proc(QStringLiteral("/proc"));
    for (const QString& entry : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool isNumber = false;
        entry.toLongLong(&isNumber);
        if (!isNumber) {
            continue;
        }
        std::ifstream in("/proc/" + entry.toStdString() + "/cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmdline.rfind("postgres: ", 0) == 0 &&
            cmdline.find(" " + dbName + " ") != std::string::npos) {
            ticks += std::max(0LL, statTicks(entry.toStdString()));
        }
    }
    return ticksToSeconds(ticks);
}

MachineCpu machineCpu()
{
    std::ifstream in("/proc/stat");
    std::string cpu;
    in >> cpu; // "cpu": the sum over all cores
    long long v[10] = {};
    for (auto& x : v) {
        in >> x;
    }
    long long total = 0;
    for (int i = 0; i < 8; ++i) { // guest time is already in user time
        total += v[i];
    }
    const long long idle = v[3] + v[4];
    return {ticksToSeconds(total - idle), ticksToSeconds(total)};
}

std::int64_t raiseOpenFileLimit()
{
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return -1;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    return static_cast<std::int64_t>(lim.rlim_cur);
}

// ---- Report ----

Report::Report(std::string goal, std::string title)
    : m_goal(std::move(goal))
{
    m_lines.push_back("== " + m_goal + " " + title + " ==");
    m_lines.push_back("machine: " + describe(machine()));
    // Anything else running (a build, other tests) takes cores from the benchmark: say so.
    std::ifstream loadavg("/proc/loadavg");
    double one = 0, five = 0;
    loadavg >> one >> five;
    m_lines.push_back("load average at start: " + fixed(one, 2) + " (1 min), " + fixed(five, 2) +
                      " (5 min)");
    m_lines.push_back("disk: fast fsync on these machines (about 0.12 ms, per PRODUCT.md); a "
                      "slower disk changes every write figure");
}

Report::~Report()
{
    if (!m_finished) {
        finish();
    }
}

void Report::note(const std::string& line)
{
    m_lines.push_back("  " + line);
}

void Report::figure(const std::string& name, const std::string& value, const std::string& target,
                    std::optional<bool> pass, const std::string& why)
{
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-44s %-18s %-26s %s", name.c_str(), value.c_str(),
                  target.empty() ? "" : ("target " + target).c_str(),
                  pass ? (*pass ? "PASS" : "MISS") : "");
    std::string line = buf;
    while (!line.empty() && line.back() == ' ') {
        line.pop_back();
    }
    m_lines.push_back(line);
    if (!why.empty()) {
        m_lines.push_back("      " + std::string(pass && !*pass ? "likely cause: " : "") + why);
    }
}

void Report::fail(const std::string& what)
{
    m_failed = true;
    m_lines.push_back("  FAILED: " + what);
}

void Report::progress(const std::string& line)
{
    std::cerr << "  .. " << line << std::endl;
}

int Report::finish()
{
    m_finished = true;
    std::ostringstream block;
    for (const auto& l : m_lines) {
        block << l << "\n";
    }
    std::cout << block.str() << std::flush;
    if (const char* log = std::getenv("CC_BENCH_LOG"); log != nullptr && *log != '\0') {
        std::ofstream out(log, std::ios::app);
        out << block.str() << "\n";
    }
    return m_failed ? 1 : 0;
}

// ---- BenchServer ----

BenchServer::BenchServer() = default;

BenchServer::~BenchServer()
{
    stop();
    m_db.reset();
    m_database.reset(); // drops the database
}

std::string BenchServer::start(QMap<QString, QString> extraEnv)
{
    if (!m_dir.isValid()) {
        return "no temporary folder";
    }
    try {
        m_tls = test::TlsFiles::generate(m_dir.path());
        m_database = std::make_unique<test::TestDatabase>();
        m_conninfo = m_database->conninfo();
    } catch (const std::exception& e) {
        return e.what();
    }
    m_server =
        std::make_unique<test::ServerProcess>(QString::fromStdString(m_conninfo), m_tls, extraEnv);
    if (!m_server->start() || !m_server->waitReady()) {
        return "the server did not become ready:\n" + m_server->log().toStdString();
    }
    m_pid = childPid("callcommander-server");
    try {
        m_db = std::make_unique<pqxx::connection>(m_conninfo);
        m_chain = test::seedChain(*m_db);
    } catch (const std::exception& e) {
        return std::string("cannot seed the database: ") + e.what();
    }
    return {};
}

std::string BenchServer::startBalanced(QMap<QString, QString> extraEnv, int maxConnections)
{
    extraEnv.insert(QStringLiteral("CALLCOMMANDER_NET_TRUSTED_PROXIES"),
                    QStringLiteral("127.0.0.1"));
    m_second =
        std::make_unique<test::ServerProcess>(QString::fromStdString(m_conninfo), m_tls, extraEnv);
    if (!m_second->start() || !m_second->waitReady()) {
        return "the second node did not become ready:\n" + m_second->log().toStdString();
    }
    m_balancer = std::make_unique<test::Balancer>();
    const QString err = m_balancer->start(m_dir.path(), m_tls, {m_server->port(), m_second->port()},
                                          maxConnections);
    return err.toStdString();
}

void BenchServer::stop()
{
    if (m_balancer) {
        m_balancer->stop();
    }
    if (m_second && m_second->running()) {
        m_second->terminate();
    }
    if (m_server && m_server->running()) {
        m_server->terminate();
    }
}

bool BenchServer::running() const
{
    return m_server && m_server->running();
}

pqxx::connection& BenchServer::db()
{
    return *m_db;
}

std::string BenchServer::databaseName() const
{
    return m_database ? m_database->name() : std::string();
}

CpuWindow BenchServer::cpu() const
{
    CpuWindow w;
    w.at = Clock::now();
    w.machine = machineCpu();
    w.self = cpuSeconds(static_cast<std::int64_t>(getpid()));
    w.server = m_pid > 0 ? cpuSeconds(m_pid) : 0;
    if (m_second && m_second->pid() > 0) {
        w.server += cpuSeconds(m_second->pid());
    }
    w.proxy = m_balancer && m_balancer->pid() > 0 ? cpuSeconds(m_balancer->pid()) : 0;
    w.backends = backendCpuSeconds(databaseName());
    return w;
}

std::string BenchServer::cpuUse(const CpuWindow& from, const CpuWindow& to)
{
    const double wall = std::max(1e-6, msBetween(from.at, to.at) / 1000.0);
    const auto cores = [&](double a, double b) { return fixed((b - a) / wall, 2); };
    const std::string proxy =
        to.proxy > 0 ? ", nginx " + cores(from.proxy, to.proxy) : std::string();
    return "CPU in cores: bench process " + cores(from.self, to.self) + ", server " +
           cores(from.server, to.server) + proxy + ", its PostgreSQL backends " +
           cores(from.backends, to.backends) + ", whole machine " +
           cores(from.machine.busy, to.machine.busy) + " of " + std::to_string(machine().cores);
}

QString BenchServer::wsUrl() const
{
    return m_balancer ? m_balancer->wsUrl() : m_server->wsUrl();
}

QList<QSslCertificate> BenchServer::ca() const
{
    return m_tls.ca();
}

QString BenchServer::log()
{
    return m_server ? m_server->log() : QString();
}

std::string BenchServer::token(const std::string& userId, const std::string& deviceId)
{
    return test::issueAccessToken(*m_db, userId, deviceId);
}

std::string describeEnv(const QMap<QString, QString>& env)
{
    std::string out;
    for (auto it = env.cbegin(); it != env.cend(); ++it) {
        out += (out.empty() ? "" : " ") + it.key().toStdString() + "=" + it.value().toStdString();
    }
    return out.empty() ? "defaults" : out;
}

std::int64_t countRows(pqxx::connection& conn, const std::string& sql)
{
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<std::int64_t>();
}

} // namespace cc::bench
