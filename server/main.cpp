// callcommander-server: the Call Commander server node.
//
//   callcommander-server [--config FILE] [serve]   run the node (migrations applied on start)
//   callcommander-server [--config FILE] migrate   apply pending migrations and exit
//   callcommander-server [--config FILE] check-config
//   callcommander-server --version | --help

#include "callcommander/version.h"
#include "server/auth/password.h"
#include "server/crypto/secretbox.h"
#include "server/db/migrations.h"
#include "server/net/server.h"
#include "server/ops/config.h"
#include "server/ops/log.h"
#include "server/sync/sync_store.h"
#include "server/telephony/call_flow.h"
#include "server/telephony/directory.h"

#include <pqxx/pqxx>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace cc::server;

constexpr const char* kUsage =
    R"(Usage: callcommander-server [--config FILE] [COMMAND]

Commands:
  serve         run the server (default); applies pending migrations on start
  migrate       apply pending database migrations and exit
  check-config  validate the configuration and exit
  hash-password read a password on standard input, print its Argon2id hash (for provisioning)
  purge [--keep-days N]
                forget sync tombstones and device write decisions older than N days (default
                400, at least 100), routing decisions older than N days and applied webhook
                events older than a week; run it daily. Devices away longer download their data
                again, keeping their unsent writes
  set-twilio-account ORG-SLUG ACCOUNT-SID
                read the organisation's Twilio auth token on standard input and store it,
                sealed with secrets.keys (audited); its webhooks are then accepted
  version       print the version and exit

Every setting can also come from the environment: CALLCOMMANDER_<KEY> with dots as
underscores, e.g. CALLCOMMANDER_DB_CONNINFO, CALLCOMMANDER_LISTEN_PORT.
See packaging/callcommander-server.conf for every key.
)";

// One line from standard input, without its newline; never echoed or logged.
int hashPasswordFromStdin()
{
    std::string password;
    std::getline(std::cin, password);
    if (auto problem = auth::passwordPolicyProblem(password)) {
        std::cerr << "hash-password: " << *problem << "\n";
        return 2;
    }
    std::cout << auth::hashPassword(password) << "\n";
    return EXIT_SUCCESS;
}

int runPurge(const ops::Config& config, int keepDays)
{
    try {
        pqxx::connection conn(config.dbConninfo);
        const auto purged = sync::purge(conn, keepDays);
        const auto telephonyRows = telephony::purge(conn, keepDays);
        log::info("telephony", "purged " + std::to_string(telephonyRows) +
                                   " applied webhook events and old routing decisions");
        log::info("sync", "purged " + std::to_string(purged.tombstones) + " tombstones and " +
                              std::to_string(purged.mutations) + " write decisions older than " +
                              std::to_string(std::max(keepDays, 100)) + " days");
        return EXIT_SUCCESS;
    } catch (const std::exception& e) {
        log::error("sync", std::string("purge failed: ") + e.what());
        return EXIT_FAILURE;
    }
}

int runMigrate(const ops::Config& config)
{
    try {
        pqxx::connection conn(config.dbConninfo);
        const auto applied = db::applyMigrations(conn, db::embeddedMigrations());
        const auto status = db::migrationStatus(conn, db::embeddedMigrations());
        log::info("db", "schema at version " + std::to_string(status.appliedVersion) + " (" +
                            std::to_string(applied) + " migrations applied)");
        return EXIT_SUCCESS;
    } catch (const std::exception& e) {
        log::error("db", std::string("migration failed: ") + e.what());
        return EXIT_FAILURE;
    }
}

int runSetTwilioAccount(const ops::Config& config, const std::string& slug,
                        const std::string& accountSid)
{
    std::string token;
    std::getline(std::cin, token);
    try {
        const crypto::SecretBox secrets(config.secretKeys);
        pqxx::connection conn(config.dbConninfo);
        if (auto problem = telephony::setTwilioAccount(conn, secrets, slug, accountSid, token)) {
            std::cerr << "set-twilio-account: " << *problem << "\n";
            return 2;
        }
        log::info("telephony", "Twilio account " + accountSid + " set for " + slug);
        return EXIT_SUCCESS;
    } catch (const std::exception& e) {
        log::error("telephony", std::string("set-twilio-account failed: ") + e.what());
        return EXIT_FAILURE;
    }
}

} // namespace

int main(int argc, char** argv)
{
    std::optional<std::string> configPath;
    std::string command = "serve";
    int keepDays = 400;
    std::vector<std::string> operands; // set-twilio-account's
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h" || a == "help") {
            std::cout << kUsage;
            return EXIT_SUCCESS;
        }
        if (a == "--version" || a == "version") {
            std::cout << "callcommander-server " << cc::kVersion << "\n";
            return EXIT_SUCCESS;
        }
        if (a == "--config" || a == "-c") {
            if (i + 1 >= args.size()) {
                std::cerr << "--config needs a file name\n";
                return 2;
            }
            configPath = args[++i];
        } else if (a == "hash-password") {
            return hashPasswordFromStdin();
        } else if (a == "serve" || a == "migrate" || a == "check-config" || a == "purge" ||
                   a == "set-twilio-account") {
            command = a;
        } else if (a == "--keep-days" && command == "purge") {
            if (i + 1 >= args.size()) {
                std::cerr << "--keep-days needs a number of days\n";
                return 2;
            }
            try {
                keepDays = std::stoi(args[++i]);
            } catch (const std::exception&) {
                std::cerr << "--keep-days needs a number of days\n";
                return 2;
            }
        } else if (command == "set-twilio-account" && operands.size() < 2) {
            operands.push_back(a);
        } else {
            std::cerr << "unknown argument: " << a << "\n\n" << kUsage;
            return 2;
        }
    }

    // libpq's default is to wait for an unreachable database host as long as TCP does
    // (minutes); an operator's own PGCONNECT_TIMEOUT or connect_timeout still wins.
    setenv("PGCONNECT_TIMEOUT", "5", /*overwrite=*/0);

    auto loaded = ops::loadConfig(configPath, ops::processEnvironment());
    if (!loaded) {
        std::cerr << "callcommander-server: configuration error: " << loaded.error().message
                  << "\n";
        return 2;
    }
    const ops::Config& config = loaded.value();
    log::configure(config.logLevel, config.logFormat);
    for (const auto& warning : config.warnings) {
        log::warn("config", warning);
    }

    if (command == "check-config") {
        std::cout << "configuration OK (database: " << ops::redactConninfo(config.dbConninfo)
                  << ")\n";
        return EXIT_SUCCESS;
    }
    if (command == "migrate") {
        return runMigrate(config);
    }
    if (command == "purge") {
        return runPurge(config, keepDays);
    }
    if (command == "set-twilio-account") {
        if (operands.size() != 2) {
            std::cerr << "set-twilio-account needs ORG-SLUG and ACCOUNT-SID\n";
            return 2;
        }
        return runSetTwilioAccount(config, operands[0], operands[1]);
    }

    log::info("server", std::string("callcommander-server ") + cc::kVersion + " starting; " +
                            "database " + ops::redactConninfo(config.dbConninfo));
    try {
        net::Server server(config);
        server.listen();
        return server.run(/*handleSignals=*/true);
    } catch (const std::exception& e) {
        log::error("server", e.what());
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
