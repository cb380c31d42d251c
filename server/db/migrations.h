#pragma once

#include <pqxx/connection>

#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

// Versioned schema migrations, compiled into the binary from server/db/migrations/NNNN_name.sql.
// Each is applied once, in order, in its own transaction, and recorded in schema_migrations with
// a SHA-256 of its text; an applied migration whose text changed stops the server (a schema
// nobody can reproduce is worse than not starting). A PostgreSQL advisory lock serialises nodes
// that start at the same time.
namespace cc::server::db {

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

// All migrations known to this build, ordered by version (generated at build time).
std::span<const Migration> embeddedMigrations();

// The database holds a schema this build cannot serve.
class MigrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class MigrationCancelled : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MigrationStatus {
    int appliedVersion = 0; // highest applied; 0 on an empty database
    int latestVersion = 0;  // highest this build knows
    bool upToDate() const { return appliedVersion == latestVersion; }
};

std::string sha256Hex(std::string_view text);

// Applies every pending migration of `migrations`; returns how many were applied. Throws
// MigrationError for a changed or unknown applied migration, pqxx errors for database failures
// (the failing migration's transaction is rolled back; earlier ones stay applied).
// While another node holds the migration lock this waits, asking `cancelled` five times a
// second; when it says yes, MigrationCancelled is thrown and nothing is applied.
std::size_t applyMigrations(pqxx::connection& conn, std::span<const Migration> migrations,
                            const std::function<bool()>& cancelled = {});

// Reads what is applied, without changing anything. Throws on database errors.
MigrationStatus migrationStatus(pqxx::connection& conn, std::span<const Migration> migrations);

} // namespace cc::server::db
