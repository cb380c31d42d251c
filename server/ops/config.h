#pragma once

#include "server/auth/tokens.h"
#include "server/crypto/secretbox.h"
#include "shared/util/result.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cc::server::ops {

enum class LogLevel { Debug, Info, Warn, Error };
enum class LogFormat { Text, Json };

// Everything the server reads from its config file (`key = value` lines, '#' comments) and from
// the environment. Every key has an environment override: upper-case, dots and dashes become
// underscores, prefixed with CALLCOMMANDER_ (db.conninfo -> CALLCOMMANDER_DB_CONNINFO).
// The environment wins over the file; the file wins over the defaults below.
struct Config {
    std::string listenAddress = "127.0.0.1";
    std::uint16_t listenPort = 8443; // 0 picks a free port (tests); the log says which
    std::string tlsCertFile;
    std::string tlsKeyFile;

    std::string dbConninfo; // libpq connection string; may hold a password, never logged
    std::size_t dbPoolSize = 4;
    std::size_t dbMaxQueue = 10'000;

    std::size_t ioThreads = 2;
    std::size_t maxConnections = 20'000; // beyond this new connections are closed at once
    std::string nodeName;                // defaults to host name and pid

    std::size_t wsMaxMessageBytes = 256 * 1024;    // one incoming WebSocket message
    std::size_t wsMaxQueueBytes = 8 * 1024 * 1024; // a client slower than this is closed
    std::size_t httpMaxBodyBytes = 64 * 1024;
    std::chrono::seconds handshakeTimeout{10};
    std::chrono::seconds idleTimeout{60};
    std::chrono::seconds shutdownGrace{5};

    // Access-token signing keys, "kid:base64url-secret, ..." (first signs, all verify). Secret.
    std::vector<auth::SigningKey> tokenKeys;
    std::chrono::seconds accessTokenLifetime{15 * 60};
    std::chrono::hours refreshTokenLifetime{24 * 30};

    // Keys that seal integration secrets at rest (AES-256-GCM), "kid:base64url-32-bytes, ..."
    // (first seals, all open). Secret; never sent to devices or logged.
    std::vector<crypto::SecretKey> secretKeys;

    // The public https URL Twilio calls this service at ("https://calls.example.com"), which its
    // webhook signatures cover. Empty: "https://" + the request's Host header, which is right
    // unless a proxy in front rewrites the host or the port.
    std::string telephonyPublicUrl;

    // Talking to the providers an organisation connects (docs/integrations.md): how many calls
    // may wait on a provider at once, and a CA file to trust instead of the system's store (a
    // test's local fakes; a company's TLS-inspecting proxy).
    std::size_t integrationWorkers = 4;
    std::string integrationsCaFile;
    // Providers on loopback or private networks (local stand-ins in tests and the demo). Off:
    // an admin cannot point the server at its own network.
    bool integrationsAllowPrivate = false;

    // The bearer token a Prometheus scraper presents for GET /metrics (at least 32 characters).
    // Empty: /metrics answers 404. Secret; never logged.
    std::string metricsToken;
    // Load balancers in front of the node (their IP addresses): from these, and only these, the
    // client's address is taken from X-Forwarded-For (rate limits, audit log, logs).
    std::vector<std::string> trustedProxies;
    LogLevel logLevel = LogLevel::Info;
    LogFormat logFormat = LogFormat::Text;

    std::vector<std::string> warnings; // things worth a log line once logging is set up
};

struct ConfigError {
    std::string message; // names the file and line or the variable, and what was expected
};

using Environment = std::map<std::string, std::string>;

// Reads the process environment's CALLCOMMANDER_* variables.
Environment processEnvironment();

// Parses config text (the content of a file named `origin`) and applies `env` on top.
Result<Config, ConfigError> parseConfig(const std::string& text, const std::string& origin,
                                        const Environment& env);

// Loads the file at `path` (if given; missing file is an error) and applies `env`.
Result<Config, ConfigError> loadConfig(const std::optional<std::string>& path,
                                       const Environment& env);

// A connection string fit for a log line: password values replaced by "***".
std::string redactConninfo(const std::string& conninfo);

} // namespace cc::server::ops
