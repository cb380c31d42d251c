#pragma once

#include "tools/callsim/net.h"
#include "tools/callsim/stats.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <random>

// The calls of a run: arrivals at the asked rate (Poisson or even), each call a CallScript whose
// steps become signed HTTPS requests through the pool and timers for the simulated waits, and
// the report's figures. Single-threaded on one io_context.
namespace cc::callsim {

class Simulation {
public:
    Simulation(asio::io_context& io, const Options& options, HttpsPool& pool, Report& report);
    ~Simulation();
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;

    // Starts the arrivals; `finished` runs once the last call has ended.
    void start(std::function<void()> finished);
    // No more new calls; the calls in progress play to their end.
    void stopArrivals();
    std::uint64_t active() const { return m_active; }

private:
    struct Call;

    void arrive();
    void launch();
    void execute(const std::shared_ptr<Call>& call, Step step);
    void send(const std::shared_ptr<Call>& call, Request request, int attempt);
    void answered(const std::shared_ptr<Call>& call, const Request& request, HttpAnswer answer,
                  int attempt);
    void end(const std::shared_ptr<Call>& call);
    void checkFinished();
    double gapSeconds();
    std::string newSid(std::string_view prefix);

    asio::io_context& m_io;
    const Options& m_options;
    HttpsPool& m_pool;
    Report& m_report;
    std::function<void()> m_finished;

    asio::steady_timer m_arrivals;
    Clock::time_point m_started;
    Clock::time_point m_nextArrival;
    std::mt19937_64 m_arrivalRng;
    std::mt19937_64 m_sidRng;    // from the system's entropy: call ids unique across runs
    std::uint64_t m_index = 0;   // calls launched
    std::uint64_t m_active = 0;  // calls in progress
    std::uint64_t m_pending = 0; // arrived while --concurrency calls were in progress
    bool m_arrivalsOver = false;
    bool m_finishedCalled = false;
};

} // namespace cc::callsim
