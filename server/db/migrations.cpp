#include "server/db/migrations.h"

#include "server/ops/log.h"

#include <openssl/evp.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <thread>

namespace cc::server::db {
namespace {

// Any constant shared by all nodes; "callcommander migrations" in ASCII.
constexpr long long kMigrationLockKey = 0x63636d6967726174LL;

void ensureTable(pqxx::connection& conn)
{
    pqxx::work txn(conn);
    txn.exec0("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "  version    integer PRIMARY KEY,"
              "  name       text NOT NULL,"
              "  checksum   text NOT NULL,"
              "  applied_at timestamptz NOT NULL DEFAULT now())");
    txn.commit();
}

struct Applied {
    std::string name;
    std::string checksum;
};

std::map<int, Applied> readApplied(pqxx::transaction_base& txn)
{
    std::map<int, Applied> applied;
    for (const auto& row : txn.exec("SELECT version, name, checksum FROM schema_migrations")) {
        applied.emplace(row[0].as<int>(),
                        Applied{row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return applied;
}

void checkApplied(const std::map<int, Applied>& applied, std::span<const Migration> migrations)
{
    for (const auto& [version, record] : applied) {
        auto it = std::find_if(migrations.begin(), migrations.end(),
                               [v = version](const Migration& m) { return m.version == v; });
        if (it == migrations.end()) {
            throw MigrationError("the database has migration " + std::to_string(version) + " (" +
                                 record.name +
                                 ") which this build does not know: is the server older than "
                                 "the database?");
        }
        if (sha256Hex(it->sql) != record.checksum) {
            throw MigrationError("migration " + std::to_string(version) + " (" + record.name +
                                 ") was changed after it was applied; restore its original text "
                                 "and add a new migration instead");
        }
    }
}

// Holds the cluster-wide migration lock for the lifetime of the object.
class AdvisoryLock {
public:
    AdvisoryLock(pqxx::connection& conn, const std::function<bool()>& cancelled)
        : m_conn(conn)
    {
        const std::string sql =
            "SELECT pg_try_advisory_lock(" + std::to_string(kMigrationLockKey) + ")";
        for (bool logged = false;; logged = true) {
            if (pqxx::nontransaction(m_conn).exec1(sql)[0].as<bool>()) {
                return;
            }
            if (!logged) {
                log::info("db", "another node is migrating the database; waiting");
            }
            if (cancelled && cancelled()) {
                throw MigrationCancelled("stopped while waiting for another node's migration");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    ~AdvisoryLock()
    {
        try {
            pqxx::nontransaction(m_conn).exec1("SELECT pg_advisory_unlock(" +
                                               std::to_string(kMigrationLockKey) + ")");
        } catch (const std::exception&) {
            // A broken connection releases the lock by itself.
        }
    }
    AdvisoryLock(const AdvisoryLock&) = delete;
    AdvisoryLock& operator=(const AdvisoryLock&) = delete;

private:
    pqxx::connection& m_conn;
};

} // namespace

std::string sha256Hex(std::string_view text)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw MigrationError("SHA-256 failed");
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2U);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4U]);
        out.push_back(kHex[digest[i] & 0xFU]);
    }
    return out;
}

std::size_t applyMigrations(pqxx::connection& conn, std::span<const Migration> migrations,
                            const std::function<bool()>& cancelled)
{
    AdvisoryLock lock(conn, cancelled);
    ensureTable(conn);
    std::map<int, Applied> applied;
    {
        pqxx::read_transaction txn(conn);
        applied = readApplied(txn);
    }
    checkApplied(applied, migrations);

    std::size_t count = 0;
    for (const Migration& m : migrations) {
        if (applied.contains(m.version)) {
            continue;
        }
        log::info("db", "applying migration " + std::to_string(m.version) + " (" +
                            std::string(m.name) + ")");
        pqxx::work txn(conn);
        txn.exec(std::string(m.sql));
        txn.exec_params0("INSERT INTO schema_migrations (version, name, checksum) "
                         "VALUES ($1, $2, $3)",
                         m.version, std::string(m.name), sha256Hex(m.sql));
        txn.commit();
        ++count;
    }
    return count;
}

MigrationStatus migrationStatus(pqxx::connection& conn, std::span<const Migration> migrations)
{
    MigrationStatus status;
    status.latestVersion = migrations.empty() ? 0 : migrations.back().version;
    pqxx::read_transaction txn(conn);
    const auto exists = txn.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists[0].as<bool>()) {
        return status;
    }
    const auto applied = readApplied(txn);
    checkApplied(applied, migrations);
    // Applied means contiguous from the first: a gap would mean a half-migrated database.
    for (const Migration& m : migrations) {
        if (!applied.contains(m.version)) {
            break;
        }
        status.appliedVersion = m.version;
    }
    return status;
}

} // namespace cc::server::db
