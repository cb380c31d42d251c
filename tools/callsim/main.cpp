// callcommander-callsim: plays Twilio against a Call Commander server (usage() in options.cpp).

#include "tools/callsim/agents.h"
#include "tools/callsim/net.h"
#include "tools/callsim/options.h"
#include "tools/callsim/simulation.h"
#include "tools/callsim/stats.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>

using namespace cc::callsim;

namespace {

std::optional<std::string> env(const char* name)
{
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::optional<std::string>(v) : std::nullopt;
}

// "host:port" or "[v6]:port" of --connect.
bool splitHostPort(const std::string& s, std::string& host, std::string& port)
{
    const std::size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
        return false;
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return !host.empty();
}

} // namespace

int main(int argc, char** argv)
{
    const std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = parseOptions(args, env("CALLSIM_AUTH_TOKEN"), env("CALLSIM_AGENT_PASSWORD"));
    if (!parsed) {
        if (parsed.error() == "help") {
            std::cout << usage();
            return 0;
        }
        std::cerr << "callcommander-callsim: " << parsed.error() << "\n";
        return 2;
    }
    const Options options = std::move(parsed).value();

    asio::io_context io(1);
    std::optional<ssl::context> tls;
    tcp::resolver::results_type endpoints;
    std::vector<std::string> agentEmails;
    try {
        if (!options.agentsFile.empty()) {
            agentEmails = readAgentsFile(options.agentsFile, options.agents);
        }
        tls.emplace(makeTlsContext(options));
        std::string host = options.origin.host;
        std::string port = options.origin.port;
        if (!options.connectTo.empty() && !splitHostPort(options.connectTo, host, port)) {
            throw std::runtime_error("--connect is HOST:PORT");
        }
        tcp::resolver resolver(io);
        endpoints = resolver.resolve(host, port);
    } catch (const std::exception& e) {
        std::cerr << "callcommander-callsim: " << e.what() << "\n";
        return 2;
    }

    Report report;
    report.url = options.origin.base;
    report.mode = options.profile.latencyOnly ? "latency-only" : "follow";
    report.timeScale = options.timeScale;
    report.seed = options.seed;

    HttpsPool pool(io.get_executor(), *tls, !options.insecure, options.origin, endpoints,
                   static_cast<std::size_t>(options.connections));
    Simulation simulation(io, options, pool, report);
    std::optional<Agents> agents;
    if (!agentEmails.empty()) {
        agents.emplace(io, options, pool, report, std::move(agentEmails));
    }

    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer progress(io);
    Clock::time_point started = Clock::now();
    bool over = false;     // the last call ended
    bool stopping = false; // asked to stop (SIGINT, SIGTERM)
    bool begun = false;    // the calls started

    std::function<void()> tick = [&] {
        progress.expires_after(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(options.progressSeconds)));
        progress.async_wait([&](error_code ec) {
            if (ec || over) {
                return;
            }
            report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
            std::cerr << formatProgress(report, simulation.active()) << std::endl;
            tick();
        });
    };

    auto finish = [&] {
        over = true;
        report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        progress.cancel();
        signals.cancel();
        if (agents) {
            agents->stop([&] { pool.close(); });
        } else {
            pool.close();
        }
    };

    std::function<void(error_code, int)> onSignal = [&](error_code ec, int) {
        if (ec) {
            return;
        }
        if (!stopping) {
            // First: no new calls, the ones in progress end as they would. Second: stop now.
            std::cerr << "callcommander-callsim: stopping; the calls in progress play to their "
                         "end (again to stop at once)"
                      << std::endl;
            stopping = true;
            if (begun) {
                simulation.stopArrivals();
            } else {
                finish(); // still signing staff in
            }
            if (!over) {
                signals.async_wait(onSignal);
            }
        } else {
            io.stop();
        }
    };
    signals.async_wait(onSignal);

    auto begin = [&] {
        if (stopping) {
            return;
        }
        begun = true;
        started = Clock::now();
        if (options.progressSeconds > 0) {
            tick();
        }
        simulation.start(finish);
    };
    if (agents) {
        agents->start(begin);
    } else {
        begin();
    }

    io.run();

    report.connections = pool.opened();
    if (report.seconds == 0) {
        report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    }
    std::cout << (options.json ? formatJson(report) + "\n" : formatText(report));
    return report.unexpected == 0 && report.agentsFailed == 0 ? 0 : 1;
}
