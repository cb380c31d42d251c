#pragma once

#include "shared/util/result.h"
#include "tools/callsim/call_script.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// The command line of callcommander-callsim (usage() is what --help prints).
namespace cc::callsim {

struct Origin {
    std::string scheme; // "https"
    std::string host;   // "127.0.0.1", "calls.example.com", "::1" (no brackets)
    std::string port;   // "8443"; the scheme's default when the URL has none
    std::string base;   // the URL as given, without a trailing '/': what paths are appended to
};

// An https:// URL with no path (or "/"), query or credentials.
Result<Origin, std::string> parseBaseUrl(std::string_view url);

struct Options {
    Origin origin;
    std::string connectTo; // "host:port" to connect to instead of the URL's host (TLS and
                           // signatures still use the URL)
    std::string caFile;
    bool insecure = false;

    std::string accountSid;
    std::string authToken;

    std::vector<std::string> numbers;     // dialled store numbers
    bool randomNumbers = false;           // else round robin
    std::vector<std::string> fromNumbers; // explicit caller numbers, else a pool of fromPool
    int fromPool = 1000;

    std::int64_t calls = 0;     // 0: no limit (then duration is set)
    double durationSeconds = 0; // 0: no limit (then calls is set)
    double rate = 10;           // calls per second
    bool evenArrivals = false;  // else Poisson
    int concurrency = 1000;
    int connections = 32;

    CallerProfile profile;
    double timeScale = 1;
    std::uint64_t seed = 1;

    bool json = false;
    double progressSeconds = 0; // 0: no progress lines

    // Staff kept online (optional)
    std::string agentsOrganisation;
    std::string agentsPassword;
    std::string agentsFile;
    int agents = 0; // 0: everyone in the file
};

std::string usage();

// `args` without the program name. The auth token and the agents' password may come from the
// environment (CALLSIM_AUTH_TOKEN, CALLSIM_AGENT_PASSWORD) so they stay out of `ps`; the command
// line wins. Returns the message to print on a usage error; "help" when --help was asked.
Result<Options, std::string> parseOptions(const std::vector<std::string>& args,
                                          const std::optional<std::string>& envAuthToken,
                                          const std::optional<std::string>& envAgentPassword);

} // namespace cc::callsim
