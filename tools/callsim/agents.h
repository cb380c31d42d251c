#pragma once

#include "tools/callsim/net.h"
#include "tools/callsim/stats.h"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

// Staff kept online during a run, so the server has someone to route calls to: each signs in
// (POST /v1/auth/login), holds a WebSocket (/ws, hello) the way the app does, which makes them
// online, sets their presence to available (PUT /v1/me/presence), refreshes the access token
// before it expires (and re-authenticates the socket with it), and signs out at the end.
namespace cc::callsim {

// The e-mail addresses of an agents file: one a line, blank lines and '#' comments skipped.
// At most `limit` (0: all). Throws with a readable message when the file cannot be read.
std::vector<std::string> readAgentsFile(const std::string& path, int limit);

class Agents {
public:
    Agents(asio::io_context& io, const Options& options, HttpsPool& pool, Report& report,
           std::vector<std::string> emails);
    ~Agents();
    Agents(const Agents&) = delete;
    Agents& operator=(const Agents&) = delete;

    // Signs everyone in; `ready` runs once each is online or has failed.
    void start(std::function<void()> ready);
    // Signs everyone out and closes the sockets; `done` runs when that is over (bounded).
    void stop(std::function<void()> done);

private:
    class Agent;
    void next();
    void settled();

    asio::io_context& m_io;
    const Options& m_options;
    HttpsPool& m_pool;
    Report& m_report;
    std::vector<std::shared_ptr<Agent>> m_agents;
    std::size_t m_nextLogin = 0;
    std::size_t m_inFlight = 0;
    std::size_t m_settled = 0;
    std::function<void()> m_ready;
};

} // namespace cc::callsim
