#include "app/cache/localstore.h"

#include "shared/sync/fields_json.h"

#include <boost/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <random>
#include <set>

namespace json = boost::json;

namespace cc::app::cache {
namespace {

constexpr std::int64_t kMaxDriftMs = 5 * 60 * 1000;
// How long an entry the stream acknowledged waits for its push_result (it is sent again after
// each reconnect until answered) before it is dropped on open.
constexpr std::int64_t kAcknowledgedKeepMs = std::int64_t{30} * 24 * 60 * 60 * 1000;
constexpr int kBusyTimeoutMs = 5000;
// Our own JSON (outbox fields, server rows, conflict field lists) is small; anything larger or
// deeper than this is a damaged file, not data.
constexpr std::size_t kMaxJsonBytes = 1 << 20;
constexpr unsigned kMaxJsonDepth = 4;

// Thrown only inside this file; the public functions turn it into an error or an empty answer.
struct DbError {
    std::string message;
};

std::string quoted(std::string_view name)
{
    return "\"" + std::string(name) + "\"";
}

std::string_view columnType(sync::Kind kind)
{
    switch (kind) {
    case sync::Kind::Bool:
    case sync::Kind::Int:
    case sync::Kind::Timestamp:
        return "INTEGER";
    case sync::Kind::Real:
        return "REAL";
    default:
        return "TEXT";
    }
}

void exec(sqlite3* db, const std::string& sql)
{
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : sqlite3_errmsg(db);
        sqlite3_free(error);
        throw DbError{"SQLite: " + message + " (" + sql.substr(0, 60) + ")"};
    }
}

// ---- Statements ----

// A statement prepared on first use and kept for the life of the store.
class Statement {
public:
    Statement(sqlite3* db, std::string sql)
        : m_db(db)
        , m_sql(std::move(sql))
    {}
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    sqlite3* db() const { return m_db; }
    sqlite3_stmt* get()
    {
        if (m_stmt == nullptr &&
            sqlite3_prepare_v3(m_db, m_sql.c_str(), static_cast<int>(m_sql.size() + 1),
                               SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) != SQLITE_OK) {
            throw DbError{"SQLite: " + std::string(sqlite3_errmsg(m_db))};
        }
        return m_stmt;
    }

private:
    sqlite3* m_db;
    std::string m_sql;
    sqlite3_stmt* m_stmt = nullptr;
};

// One use of a statement: bind, step, read; reset when it goes out of scope.
class Query {
public:
    explicit Query(Statement& statement)
        : m_db(statement.db())
        , m_stmt(statement.get())
    {}
    ~Query()
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    Query& bindText(int index, std::string_view text)
    {
        check(sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()),
                                SQLITE_TRANSIENT));
        return *this;
    }
    Query& bindInt(int index, std::int64_t value)
    {
        check(sqlite3_bind_int64(m_stmt, index, value));
        return *this;
    }
    Query& bindValue(int index, const sync::Value& value)
    {
        if (const auto* s = std::get_if<std::string>(&value)) {
            return bindText(index, *s);
        }
        if (const auto* n = std::get_if<std::int64_t>(&value)) {
            return bindInt(index, *n);
        }
        if (const auto* b = std::get_if<bool>(&value)) {
            return bindInt(index, *b ? 1 : 0);
        }
        if (const auto* d = std::get_if<double>(&value)) {
            check(sqlite3_bind_double(m_stmt, index, *d));
            return *this;
        }
        check(sqlite3_bind_null(m_stmt, index));
        return *this;
    }

    // True while there is a row to read.
    bool step()
    {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW) {
            return true;
        }
        if (rc != SQLITE_DONE) {
            throw DbError{"SQLite: " + std::string(sqlite3_errmsg(m_db))};
        }
        return false;
    }
    void run()
    {
        while (step()) {
        }
    }

    bool isNull(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
    std::int64_t integer(int column) const { return sqlite3_column_int64(m_stmt, column); }
    double real(int column) const { return sqlite3_column_double(m_stmt, column); }
    std::string text(int column) const
    {
        const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
        const int size = sqlite3_column_bytes(m_stmt, column);
        return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
    }
    sync::Value value(int column, sync::Kind kind) const
    {
        if (isNull(column)) {
            return sync::Null{};
        }
        switch (kind) {
        case sync::Kind::Bool:
            return integer(column) != 0;
        case sync::Kind::Int:
        case sync::Kind::Timestamp:
            return integer(column);
        case sync::Kind::Real:
            return real(column);
        default:
            return text(column);
        }
    }

private:
    void check(int rc)
    {
        if (rc != SQLITE_OK) {
            throw DbError{"SQLite: " + std::string(sqlite3_errmsg(m_db))};
        }
    }

    sqlite3* m_db;
    sqlite3_stmt* m_stmt;
};

// BEGIN IMMEDIATE .. COMMIT; rolls back unless committed.
class Transaction {
public:
    explicit Transaction(sqlite3* db)
        : m_db(db)
    {
        exec(m_db, "BEGIN IMMEDIATE");
    }
    ~Transaction()
    {
        if (!m_done) {
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit()
    {
        exec(m_db, "COMMIT");
        m_done = true;
    }

private:
    sqlite3* m_db;
    bool m_done = false;
};

// ---- Schema migrations (PRAGMA user_version counts the ones applied) ----

struct IndexSpec {
    std::string_view entity;
    std::string_view name;
    std::string_view columns;
};

// What the screens look rows up by.
constexpr std::array<IndexSpec, 7> kIndexes{{
    {"customers", "customers_display_name", "display_name"},
    {"customer_phones", "customer_phones_number", "number"},
    {"calls", "calls_started_at", "started_at"},
    {"calls", "calls_customer_started_at", "customer_id, started_at"},
    {"tasks", "tasks_status_due_at", "status, due_at"},
    {"appointments", "appointments_starts_at", "starts_at"},
    {"call_notes", "call_notes_customer_created_at", "customer_id, created_at"},
}};

// v1: everything. The entity tables are generated from the sync schema as it is in this build;
// a later change to sync::entities() needs its own migration here (and a new kSchemaVersion,
// which makes the server send a fresh snapshot).
// An entity's table as this build's schema has it; `extraColumns` ("name TYPE, ...") go before
// the key.
void createEntityTable(sqlite3* db, const sync::EntitySpec& entity, std::string_view extraColumns)
{
    std::string sql = "CREATE TABLE " + quoted(entity.name) + " (";
    for (const auto& field : entity.fields) {
        sql += quoted(field.name) + " " + std::string(columnType(field.kind)) + ", ";
    }
    sql += std::string(extraColumns) + "PRIMARY KEY (";
    for (std::size_t i = 0; i < entity.key.size(); ++i) {
        sql += (i == 0 ? "" : ", ") + quoted(entity.key[i]);
    }
    sql += ")) WITHOUT ROWID";
    exec(db, sql);
}

void migrateV1(sqlite3* db)
{
    for (const auto& entity : sync::entities()) {
        createEntityTable(db, entity, "");
    }
    for (const auto& index : kIndexes) {
        exec(db, "CREATE INDEX " + quoted(index.name) + " ON " + quoted(index.entity) + " (" +
                     std::string(index.columns) + ")");
    }
    exec(db, R"(
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            mutation_id TEXT NOT NULL UNIQUE,
            entity TEXT NOT NULL,
            row_key TEXT NOT NULL,
            op TEXT NOT NULL,
            fields TEXT NOT NULL,
            hlc TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        );
        CREATE INDEX outbox_row ON outbox (entity, row_key);
        CREATE TABLE sync_base (
            entity TEXT NOT NULL,
            row_key TEXT NOT NULL,
            present INTEGER NOT NULL,
            fields TEXT NOT NULL,
            PRIMARY KEY (entity, row_key)
        ) WITHOUT ROWID;
        CREATE TABLE sync_state (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            entity TEXT NOT NULL,
            row_key TEXT NOT NULL,
            mutation_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            fields TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        );
    )");
}

// v2: outbox entries the stream acknowledged before their push_result arrived. They keep what
// the answer needs to record a conflict (and what a re-send needs to get the first decision
// back: the server's idempotency hash covers the stamp), in their outbox order (seq).
void migrateV2(sqlite3* db)
{
    exec(db, R"(
        CREATE TABLE acknowledged (
            seq INTEGER PRIMARY KEY,
            mutation_id TEXT NOT NULL UNIQUE,
            entity TEXT NOT NULL,
            row_key TEXT NOT NULL,
            op TEXT NOT NULL,
            fields TEXT NOT NULL,
            hlc TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            acknowledged_ms INTEGER NOT NULL
        );
    )");
}

// The hidden column of every entity table: the server's version of the row (SyncRow::version) as
// this device last received it; 0 when unknown (a row created here, or one from a file older than
// v3). It is not a field: row() and rows() never return it.
constexpr std::string_view kVersionColumn = "sync_version";

bool tableExists(sqlite3* db, std::string_view name)
{
    Statement s(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    Query q(s);
    q.bindText(1, name);
    return q.step();
}

// v3: the server version of every synced row and of every base, so that the answer to a push can
// tell whether the base already holds the write (or something newer) or is older than it.
void migrateV3(sqlite3* db)
{
    for (const auto& entity : sync::entities()) {
        if (!tableExists(db, entity.name)) {
            continue; // an entity of a later sync schema: v4 creates it, version column included
        }
        exec(db, "ALTER TABLE " + quoted(entity.name) + " ADD COLUMN " + quoted(kVersionColumn) +
                     " INTEGER NOT NULL DEFAULT 0");
    }
    exec(db, "ALTER TABLE sync_base ADD COLUMN version INTEGER NOT NULL DEFAULT 0");
}

// Makes the tables match the schema of this build: creates what is missing, adds missing columns
// (the server's new scope key then sends every row again). A file created by v1 in this build,
// which already has them, passes through unchanged.
void matchSchema(sqlite3* db)
{
    for (const auto& entity : sync::entities()) {
        std::vector<std::string> present;
        {
            Statement s(db, "SELECT name FROM pragma_table_info(?1)");
            Query q(s);
            q.bindText(1, entity.name);
            while (q.step()) {
                present.push_back(q.text(0));
            }
        }
        if (present.empty()) {
            createEntityTable(db, entity, quoted(kVersionColumn) + " INTEGER NOT NULL DEFAULT 0, ");
            continue;
        }
        for (const auto& field : entity.fields) {
            if (std::find(present.begin(), present.end(), field.name) == present.end()) {
                exec(db, "ALTER TABLE " + quoted(entity.name) + " ADD COLUMN " +
                             quoted(field.name) + " " + std::string(columnType(field.kind)));
            }
        }
    }
}

// What the calls screens look rows up by (calls::readQueue, readCallerCard, readStaffBoard:
// LocalStore::rowsWhere), added by v5. user_locations needs none for user_id: its primary key
// (user_id, location_id) serves it.
constexpr std::array<IndexSpec, 9> kIndexesV5{{
    {"calls", "calls_status", "status"},
    {"calls", "calls_offered_to", "offered_to"},
    {"calls", "calls_handled_by", "handled_by"},
    {"calls", "calls_from_number", "from_number"},
    {"call_notes", "call_notes_call_id", "call_id"},
    {"tasks", "tasks_customer_id", "customer_id"},
    {"appointments", "appointments_customer_id", "customer_id"},
    {"user_locations", "user_locations_location_id", "location_id"},
    {"users", "users_home_location_id", "home_location_id"},
}};

// v5: the indexes of the calls screens. IF NOT EXISTS: running again over a file that has them
// (a copy restored mid-migration) changes nothing.
void migrateV5(sqlite3* db)
{
    for (const auto& index : kIndexesV5) {
        exec(db, "CREATE INDEX IF NOT EXISTS " + quoted(index.name) + " ON " +
                     quoted(index.entity) + " (" + std::string(index.columns) + ")");
    }
}

// v4 (sync schema 2: telephony): the presence entity, and the new fields of calls and tasks.
void migrateV4(sqlite3* db)
{
    matchSchema(db);
}

// v6 (sync schema 3: automation): appointments' calendar fields.
void migrateV6(sqlite3* db)
{
    matchSchema(db);
}

// v7 (sync schema 4: analytics): the calls' answering store, wrap-up and repeat time.
void migrateV7(sqlite3* db)
{
    matchSchema(db);
}

using Migration = void (*)(sqlite3*);
constexpr std::array<Migration, 7> kMigrations{migrateV1, migrateV2, migrateV3, migrateV4,
                                               migrateV5, migrateV6, migrateV7};
constexpr int kLatestVersion = static_cast<int>(kMigrations.size());

// ---- Values and JSON ----

// The value as the column stores it, or nothing when its type is wrong for the field.
std::optional<sync::Value> coerce(const sync::FieldSpec& field, const sync::Value& value)
{
    if (sync::isNull(value)) {
        return value;
    }
    switch (field.kind) {
    case sync::Kind::Bool:
        if (std::holds_alternative<bool>(value)) {
            return value;
        }
        return std::nullopt;
    case sync::Kind::Int:
    case sync::Kind::Timestamp:
        if (std::holds_alternative<std::int64_t>(value)) {
            return value;
        }
        return std::nullopt;
    case sync::Kind::Real:
        if (const auto* n = std::get_if<std::int64_t>(&value)) {
            return sync::Value{static_cast<double>(*n)};
        }
        if (std::holds_alternative<double>(value)) {
            return value;
        }
        return std::nullopt;
    default:
        if (std::holds_alternative<std::string>(value)) {
            return value;
        }
        return std::nullopt;
    }
}

json::value parseJson(std::string_view text)
{
    if (text.size() > kMaxJsonBytes) {
        throw DbError{"the cache holds a damaged entry (too large)"};
    }
    json::parse_options options;
    options.max_depth = kMaxJsonDepth;
    json::error_code ec;
    json::value v = json::parse(text, ec, {}, options);
    if (ec) {
        throw DbError{"the cache holds a damaged entry: " + ec.message()};
    }
    return v;
}

sync::Fields fieldsFromJson(std::string_view text)
{
    auto fields = sync::fieldsFromJson(text, kMaxJsonBytes);
    if (!fields) {
        throw DbError{"the cache holds a damaged entry (fields)"};
    }
    return std::move(*fields);
}

std::string namesToJson(const std::vector<std::string>& names)
{
    json::array a;
    a.reserve(names.size());
    for (const auto& n : names) {
        a.emplace_back(json::string(n));
    }
    return json::serialize(a);
}

std::vector<std::string> namesFromJson(std::string_view text)
{
    const json::value v = parseJson(text);
    std::vector<std::string> names;
    if (const json::array* a = v.if_array()) {
        for (const auto& item : *a) {
            if (const json::string* s = item.if_string()) {
                names.emplace_back(s->data(), s->size());
            }
        }
    }
    return names;
}

std::optional<sync::Op> opFromString(std::string_view text)
{
    if (text == "insert") {
        return sync::Op::Insert;
    }
    if (text == "update") {
        return sync::Op::Update;
    }
    if (text == "delete") {
        return sync::Op::Delete;
    }
    return std::nullopt;
}

bool validDeviceId(std::string_view id)
{
    return !id.empty() && id.size() <= sync::kMaxHlcNodeLength &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == ':' || c == '-';
           });
}

std::int64_t systemNowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A row's values in the order of its entity's fields.
using RowValues = std::vector<sync::Value>;

// One entity's table and the statements on it.
struct Table {
    Table(sqlite3* db, const sync::EntitySpec& entitySpec)
        : spec(entitySpec)
        , select(db, selectSql(entitySpec) + whereKey(entitySpec))
        , replace(db, replaceSql(entitySpec))
        , selectVersion(db, "SELECT " + quoted(kVersionColumn) + " FROM " +
                                quoted(entitySpec.name) + whereKey(entitySpec))
        , remove(db, "DELETE FROM " + quoted(entitySpec.name) + whereKey(entitySpec))
        , all(db, selectSql(entitySpec))
        , count(db, "SELECT COUNT(*) FROM " + quoted(entitySpec.name))
    {
        for (const auto name : spec.key) {
            for (std::size_t i = 0; i < spec.fields.size(); ++i) {
                if (spec.fields[i].name == name) {
                    keyIndex.push_back(i);
                }
            }
        }
    }

    static std::string columns(const sync::EntitySpec& e)
    {
        std::string out;
        for (const auto& f : e.fields) {
            out += (out.empty() ? "" : ", ") + quoted(f.name);
        }
        return out;
    }
    static std::string selectSql(const sync::EntitySpec& e)
    {
        return "SELECT " + columns(e) + " FROM " + quoted(e.name);
    }
    static std::string whereKey(const sync::EntitySpec& e)
    {
        std::string out;
        for (std::size_t i = 0; i < e.key.size(); ++i) {
            out +=
                (i == 0 ? " WHERE " : " AND ") + quoted(e.key[i]) + " = ?" + std::to_string(i + 1);
        }
        return out;
    }
    // The fields, then the hidden version.
    static std::string replaceSql(const sync::EntitySpec& e)
    {
        std::string params;
        for (std::size_t i = 0; i <= e.fields.size(); ++i) {
            params += (i == 0 ? "?" : ", ?");
        }
        return "INSERT OR REPLACE INTO " + quoted(e.name) + " (" + columns(e) + ", " +
               quoted(kVersionColumn) + ") VALUES (" + params + ")";
    }

    // Key fields as splitKey returns them, in the key's order.
    void bindKey(Query& q, const sync::Fields& keyFields) const
    {
        for (std::size_t i = 0; i < keyFields.size(); ++i) {
            q.bindValue(static_cast<int>(i + 1), keyFields[i].value);
        }
    }

    RowValues readColumns(const Query& q) const
    {
        RowValues row;
        row.reserve(spec.fields.size());
        for (std::size_t i = 0; i < spec.fields.size(); ++i) {
            row.push_back(q.value(static_cast<int>(i), spec.fields[i].kind));
        }
        return row;
    }

    std::optional<RowValues> read(const sync::Fields& keyFields)
    {
        Query q(select);
        bindKey(q, keyFields);
        if (!q.step()) {
            return std::nullopt;
        }
        return readColumns(q);
    }

    // The server version of the stored row; 0 when it is absent or unknown.
    std::int64_t version(const sync::Fields& keyFields)
    {
        Query q(selectVersion);
        bindKey(q, keyFields);
        return q.step() ? q.integer(0) : 0;
    }

    // version: the server's version of the row (SyncRow::version), or of the base the row was
    // computed from; 0 when unknown.
    void write(const RowValues& row, std::int64_t version)
    {
        Query q(replace);
        for (std::size_t i = 0; i < row.size(); ++i) {
            q.bindValue(static_cast<int>(i + 1), row[i]);
        }
        q.bindInt(static_cast<int>(row.size() + 1), version);
        q.run();
    }

    void erase(const sync::Fields& keyFields)
    {
        Query q(remove);
        bindKey(q, keyFields);
        q.run();
    }

    // A row holding only its key.
    RowValues keyOnly(const sync::Fields& keyFields) const
    {
        RowValues row(spec.fields.size());
        for (std::size_t i = 0; i < keyIndex.size() && i < keyFields.size(); ++i) {
            row[keyIndex[i]] = keyFields[i].value;
        }
        return row;
    }

    // Sets the named fields this build knows; refuses (nullopt: the field's name) a value of
    // the wrong type.
    std::optional<std::string> overlay(RowValues& row, const sync::Fields& fields) const
    {
        for (const auto& f : fields) {
            for (std::size_t i = 0; i < spec.fields.size(); ++i) {
                if (spec.fields[i].name == f.name) {
                    auto v = coerce(spec.fields[i], f.value);
                    if (!v) {
                        return f.name;
                    }
                    row[i] = std::move(*v);
                    break;
                }
            }
        }
        return std::nullopt;
    }

    sync::Fields toFields(RowValues row) const
    {
        sync::Fields out;
        out.reserve(row.size());
        for (std::size_t i = 0; i < row.size(); ++i) {
            out.push_back({std::string(spec.fields[i].name), std::move(row[i])});
        }
        return out;
    }

    std::size_t index() const { return static_cast<std::size_t>(&spec - sync::entities().data()); }

    const sync::EntitySpec& spec;
    std::vector<std::size_t> keyIndex; // positions of the key fields, in the key's order
    Statement select;
    Statement replace;
    Statement selectVersion;
    Statement remove;
    Statement all;
    Statement count;
};

struct Base {
    bool present = false;
    sync::Fields fields;
    std::int64_t version = 0; // the server's version of the row it holds; 0 when unknown
};

struct OutboxEntry {
    std::int64_t seq = 0;
    std::string entity;
    std::string key;
    sync::Op op = sync::Op::Update;
    std::string fields; // JSON
};

} // namespace

struct LocalStore::Impl {
    std::string encryptedPath; // the file whose key is bound (cryptvfs.h), if encrypted

    Impl(sqlite3* database, std::string device)
        : db(database)
        , deviceId(std::move(device))
        , clock(deviceId)
        , hasPendingStmt(db, "SELECT 1 FROM outbox WHERE entity = ?1 AND row_key = ?2 LIMIT 1")
        , anyPending(db, "SELECT EXISTS (SELECT 1 FROM outbox)")
        , countPending(db, "SELECT COUNT(*) FROM outbox")
        , countConflicts(db, "SELECT COUNT(*) FROM conflicts")
        , findMutation(db, "SELECT seq, entity, row_key, op, fields FROM outbox "
                           "WHERE mutation_id = ?1")
        , keepAcknowledged(db, "INSERT OR REPLACE INTO acknowledged (seq, mutation_id, entity, "
                               "row_key, op, fields, hlc, created_ms, acknowledged_ms) "
                               "SELECT seq, mutation_id, entity, row_key, op, fields, hlc, "
                               "created_ms, ?4 FROM outbox WHERE entity = ?1 AND row_key = ?2 "
                               "AND seq <= ?3")
        , acknowledgeUpTo(db, "DELETE FROM outbox WHERE entity = ?1 AND row_key = ?2 "
                              "AND seq <= ?3")
        , removeEntry(db, "DELETE FROM outbox WHERE seq = ?1")
        , findAcknowledgedStmt(db, "SELECT seq, entity, row_key, op, fields FROM acknowledged "
                                   "WHERE mutation_id = ?1")
        , removeAcknowledged(db, "DELETE FROM acknowledged WHERE seq = ?1")
        , rowEntries(db, "SELECT op, fields FROM outbox WHERE entity = ?1 AND row_key = ?2 "
                         "ORDER BY seq")
        , pendingRows(db, "SELECT DISTINCT entity, row_key FROM outbox")
        , addEntry(db, "INSERT INTO outbox (mutation_id, entity, row_key, op, fields, hlc, "
                       "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        , listEntries(db, "SELECT mutation_id, entity, row_key, op, fields, hlc FROM outbox "
                          "ORDER BY seq LIMIT ?1")
        , listAcknowledged(db, "SELECT mutation_id, entity, row_key, op, fields, hlc "
                               "FROM acknowledged ORDER BY seq LIMIT ?1")
        , readBaseStmt(db, "SELECT present, fields, version FROM sync_base WHERE entity = ?1 "
                           "AND row_key = ?2")
        , saveBaseStmt(db, "INSERT OR REPLACE INTO sync_base (entity, row_key, present, fields, "
                           "version) VALUES (?1, ?2, ?3, ?4, ?5)")
        , dropBaseStmt(db, "DELETE FROM sync_base WHERE entity = ?1 AND row_key = ?2")
        , readState(db, "SELECT value FROM sync_state WHERE name = ?1")
        , saveState(db, "INSERT OR REPLACE INTO sync_state (name, value) VALUES (?1, ?2)")
        , addConflictStmt(db, "INSERT INTO conflicts (kind, entity, row_key, mutation_id, reason, "
                              "fields, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        , listConflicts(db, "SELECT id, kind, entity, row_key, mutation_id, reason, fields, at_ms "
                            "FROM conflicts ORDER BY id")
        , dismissConflictStmt(db, "DELETE FROM conflicts WHERE id = ?1")
    {
        std::random_device source;
        std::seed_seq seed{source(), source(), source(), source(),
                           source(), source(), source(), source()};
        random.seed(seed);
        for (const auto& entity : sync::entities()) {
            tables.push_back(std::make_unique<Table>(db, entity));
        }
    }

    Table* table(std::string_view entity)
    {
        const sync::EntitySpec* spec = sync::findEntity(entity);
        return spec == nullptr
                   ? nullptr
                   : tables[static_cast<std::size_t>(spec - sync::entities().data())].get();
    }

    // ---- sync_state ----

    std::optional<std::string> stateText(std::string_view name)
    {
        Query q(readState);
        q.bindText(1, name);
        if (!q.step() || q.isNull(0)) {
            return std::nullopt;
        }
        return q.text(0);
    }
    std::int64_t stateInt(std::string_view name)
    {
        Query q(readState);
        q.bindText(1, name);
        return q.step() ? q.integer(0) : 0;
    }
    void setState(std::string_view name, const sync::Value& value)
    {
        Query q(saveState);
        q.bindText(1, name).bindValue(2, value);
        q.run();
    }
    void saveHlc() { setState("hlc", sync::encode(clock.last())); }

    void load()
    {
        cursor = stateInt("cursor");
        scopeKey = stateText("scope_key").value_or(std::string());
        if (const auto text = stateText("hlc")) {
            if (auto hlc = sync::parseHlc(*text)) {
                clock = sync::HlcClock(deviceId, std::move(*hlc));
            }
        }
    }

    // True when the clock moved.
    bool observe(std::string_view encoded, std::int64_t nowMs)
    {
        const auto hlc = sync::parseHlc(encoded);
        if (!hlc) {
            return false;
        }
        const sync::Hlc before = clock.last();
        clock.receive(*hlc, nowMs, kMaxDriftMs);
        return clock.last() != before;
    }

    // ---- outbox and sync_base ----

    bool outboxEmpty()
    {
        Query q(anyPending);
        return !q.step() || q.integer(0) == 0;
    }

    bool hasPending(std::string_view entity, std::string_view key)
    {
        Query q(hasPendingStmt);
        q.bindText(1, entity).bindText(2, key);
        return q.step();
    }

    // An entry by mutation id from `statement` (seq, entity, row_key, op, fields).
    static std::optional<OutboxEntry> findEntry(Statement& statement, std::string_view mutationId)
    {
        Query q(statement);
        q.bindText(1, mutationId);
        if (!q.step()) {
            return std::nullopt;
        }
        const auto op = opFromString(q.text(3));
        if (!op) {
            throw DbError{"the cache holds a damaged outbox entry"};
        }
        return OutboxEntry{q.integer(0), q.text(1), q.text(2), *op, q.text(4)};
    }
    std::optional<OutboxEntry> entry(std::string_view mutationId)
    {
        return findEntry(findMutation, mutationId);
    }
    std::optional<OutboxEntry> acknowledgedEntry(std::string_view mutationId)
    {
        return findEntry(findAcknowledgedStmt, mutationId);
    }

    std::optional<Base> readBase(std::string_view entity, std::string_view key)
    {
        Query q(readBaseStmt);
        q.bindText(1, entity).bindText(2, key);
        if (!q.step()) {
            return std::nullopt;
        }
        return Base{q.integer(0) != 0, fieldsFromJson(q.text(1)), q.integer(2)};
    }

    void saveBase(std::string_view entity, std::string_view key, bool present,
                  const std::string& fieldsJson, std::int64_t version)
    {
        Query q(saveBaseStmt);
        q.bindText(1, entity).bindText(2, key).bindInt(3, present ? 1 : 0).bindText(4, fieldsJson);
        q.bindInt(5, version);
        q.run();
    }

    void dropBase(std::string_view entity, std::string_view key)
    {
        Query q(dropBaseStmt);
        q.bindText(1, entity).bindText(2, key);
        q.run();
    }

    sync::Fields keyOf(const Table& t, std::string_view key)
    {
        auto keyFields = sync::splitKey(t.spec, key);
        if (!keyFields) {
            throw DbError{std::string(t.spec.name) + ": " + keyFields.error().reason};
        }
        return std::move(keyFields).value();
    }

    // Overlays values this store wrote itself (they were validated then).
    void overlayOwn(const Table& t, RowValues& row, const sync::Fields& fields)
    {
        if (t.overlay(row, fields)) {
            throw DbError{"the cache holds a damaged entry for " + std::string(t.spec.name)};
        }
    }

    // The visible row = the server's state (sync_base) + the pending writes replayed in order.
    // It keeps the base's version.
    void recompute(Table& t, std::string_view key)
    {
        const sync::Fields keyFields = keyOf(t, key);
        std::optional<RowValues> state;
        const auto base = readBase(t.spec.name, key);
        if (base && base->present) {
            state = t.keyOnly(keyFields);
            overlayOwn(t, *state, base->fields);
        }
        {
            Query q(rowEntries);
            q.bindText(1, t.spec.name).bindText(2, key);
            while (q.step()) {
                const auto op = opFromString(q.text(0));
                if (!op) {
                    throw DbError{"the cache holds a damaged outbox entry"};
                }
                if (op == sync::Op::Delete) {
                    state.reset();
                    continue;
                }
                if (!state && op != sync::Op::Insert) {
                    continue; // an update of a row the server does not have (now)
                }
                if (!state) {
                    state = t.keyOnly(keyFields);
                }
                overlayOwn(t, *state, fieldsFromJson(q.text(1)));
            }
        }
        if (state) {
            t.write(*state, base ? base->version : 0);
        } else {
            t.erase(keyFields);
        }
    }

    // The server applied an entry and its base is older than the answer (the stream has not
    // brought the row at the answer's version yet): the base now includes that write (but not
    // the fields a newer write kept), so the row shows it until the server's row arrives and
    // rolling back a later entry does not also hide it. The base keeps its version: it is still
    // what the stream last brought, with this write on top.
    void foldIntoBase(Table& t, const OutboxEntry& e, const Base& base,
                      const std::vector<std::string>& overridden)
    {
        if (e.op == sync::Op::Delete) {
            saveBase(e.entity, e.key, false, "{}", base.version);
            return;
        }
        const sync::Fields keyFields = keyOf(t, e.key);
        RowValues row = t.keyOnly(keyFields);
        if (base.present) {
            overlayOwn(t, row, base.fields);
        } else if (e.op == sync::Op::Update) {
            return; // the server had no such row as far as this device knows
        }
        sync::Fields applied = fieldsFromJson(e.fields);
        std::erase_if(applied, [&](const sync::Field& f) {
            return std::find(overridden.begin(), overridden.end(), f.name) != overridden.end();
        });
        overlayOwn(t, row, applied);
        saveBase(e.entity, e.key, true, sync::fieldsToJson(t.toFields(std::move(row))),
                 base.version);
    }

    void addConflict(std::string_view kind, std::string_view entity, std::string_view key,
                     std::string_view mutationId, std::string_view reason,
                     const std::vector<std::string>& fields, std::int64_t atMs)
    {
        Query q(addConflictStmt);
        q.bindText(1, kind).bindText(2, entity).bindText(3, key).bindText(4, mutationId);
        q.bindText(5, reason).bindText(6, namesToJson(fields)).bindInt(7, atMs);
        q.run();
    }

    void addOverridden(const OutboxEntry& e, const protocol::MutationResult& r, std::int64_t nowMs)
    {
        addConflict("overridden", e.entity, e.key, r.id,
                    r.reason.empty() ? "a newer change made elsewhere kept these fields" : r.reason,
                    r.overridden, nowMs);
    }

    void addRejected(const OutboxEntry& e, const protocol::MutationResult& r, std::int64_t nowMs)
    {
        std::vector<std::string> names;
        for (const auto& f : fieldsFromJson(e.fields)) {
            names.push_back(f.name);
        }
        addConflict("rejected", e.entity, e.key, r.id,
                    r.reason.empty() ? "the server refused the change" : r.reason, names, nowMs);
    }

    // The answer for an entry the stream acknowledged first. The rows the stream brought are the
    // server's state already (with the pending writes replayed on top), so nothing is rolled
    // back or folded: only the conflict is recorded.
    void answerAcknowledged(const OutboxEntry& e, const protocol::MutationResult& r,
                            std::int64_t nowMs)
    {
        if (r.status == protocol::MutationStatus::Rejected) {
            addRejected(e, r, nowMs);
        } else if (!r.overridden.empty()) {
            addOverridden(e, r, nowMs);
        }
        Query q(removeAcknowledged);
        q.bindInt(1, e.seq);
        q.run();
    }

    std::string newUuid()
    {
        std::uint64_t hi = random();
        std::uint64_t lo = random();
        hi = (hi & 0xFFFF'FFFF'FFFF'0FFFull) | 0x0000'0000'0000'4000ull; // version 4
        lo = (lo & 0x3FFF'FFFF'FFFF'FFFFull) | 0x8000'0000'0000'0000ull; // variant 10
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out;
        out.reserve(36);
        for (int i = 0; i < 32; ++i) {
            if (i == 8 || i == 12 || i == 16 || i == 20) {
                out.push_back('-');
            }
            const std::uint64_t word = i < 16 ? hi : lo;
            const int shift = 60 - 4 * (i % 16);
            out.push_back(kHex[(word >> shift) & 0xFu]);
        }
        return out;
    }

    // ---- the operations ----

    // A tombstone keyed "<first key field>/*" stands for every row whose first key field has that
    // value (docs/sync-protocol.md, "Tombstones"): what an erasure sends, so that no key left in
    // the server's change log names a customer's phone number. Expanded into one tombstone per
    // row this device holds, so pending writes and rebases treat them as any other deletion.
    std::vector<protocol::SyncRow> expandWildcards(const std::vector<protocol::SyncRow>& rows)
    {
        std::vector<protocol::SyncRow> out;
        out.reserve(rows.size());
        for (const auto& row : rows) {
            if (!protocol::isWildcardTombstone(row)) {
                out.push_back(row);
                continue;
            }
            Table* t = table(row.entity);
            if (t == nullptr || t->spec.key.size() < 2) {
                throw DbError{"the server sent a wildcard deletion for " + row.entity +
                              ", whose key has one part"};
            }
            const sync::FieldSpec* first = t->spec.field(t->spec.key[0]);
            auto checked =
                sync::checkValue(*first, sync::Value{row.key.substr(0, row.key.size() - 2)});
            if (!checked) {
                throw DbError{"the server sent a malformed wildcard key: " +
                              checked.error().reason};
            }
            // The rows shown, and the server's rows that only the rebase state remembers (one a
            // pending local delete hides): a refused delete must not bring one back.
            std::set<std::string> keys;
            {
                Statement matching(db, Table::selectSql(t->spec) + " WHERE " +
                                           quoted(t->spec.key[0]) + " = ?1");
                Query q(matching);
                q.bindValue(1, *checked);
                while (q.step()) {
                    if (auto key = sync::makeKey(t->spec, t->toFields(t->readColumns(q)))) {
                        keys.insert(std::move(key).value());
                    }
                }
            }
            {
                Statement based(db, "SELECT row_key FROM sync_base WHERE entity = ?1 AND "
                                    "substr(row_key, 1, length(?2)) = ?2");
                Query q(based);
                q.bindText(1, row.entity).bindText(2, row.key.substr(0, row.key.size() - 1));
                while (q.step()) {
                    keys.insert(q.text(0));
                }
            }
            for (const auto& key : keys) {
                protocol::SyncRow expanded = row;
                expanded.key = key;
                out.push_back(std::move(expanded));
            }
        }
        return out;
    }

    ApplyOutcome applyChanges(const protocol::Changes& changes)
    {
        ApplyOutcome outcome;
        std::vector<bool> touched(tables.size(), false);
        const sync::HlcClock clockBefore = clock;
        try {
            Transaction txn(db);
            if (changes.reset) {
                for (auto& t : tables) {
                    exec(db, "DELETE FROM " + quoted(t->spec.name));
                }
                exec(db, "UPDATE sync_base SET present = 0, fields = '{}', version = 0");
                std::fill(touched.begin(), touched.end(), true);
            }
            // With nothing pending (the bootstrap, most pages) a row is simply written.
            bool pendingAny = !outboxEmpty();
            std::optional<sync::Hlc> newest;
            Table* t = nullptr;
            std::vector<protocol::SyncRow> expanded;
            const bool wildcards =
                std::any_of(changes.rows.begin(), changes.rows.end(),
                            [](const auto& r) { return protocol::isWildcardTombstone(r); });
            if (wildcards) {
                expanded = expandWildcards(changes.rows);
            }
            for (const auto& row : wildcards ? expanded : changes.rows) {
                if (t == nullptr || t->spec.name != row.entity) {
                    t = table(row.entity);
                    if (t == nullptr) {
                        continue; // an entity of a newer server
                    }
                }
                auto keyFields = sync::splitKey(t->spec, row.key);
                if (!keyFields) {
                    throw DbError{"the server sent a malformed key: " + keyFields.error().reason};
                }
                std::optional<RowValues> values;
                if (!row.deleted) {
                    values = t->keyOnly(*keyFields);
                    if (auto wrong = t->overlay(*values, row.fields)) {
                        throw DbError{"the server sent a value of the wrong type for " +
                                      row.entity + "." + *wrong};
                    }
                    // The key columns are the key, whatever the fields said.
                    for (std::size_t i = 0; i < t->keyIndex.size(); ++i) {
                        (*values)[t->keyIndex[i]] = (*keyFields)[i].value;
                    }
                }
                if (pendingAny && !row.mutationId.empty()) {
                    if (const auto acked = entry(row.mutationId)) {
                        // The entry and the earlier ones of its row were decided, but their
                        // answers (an overridden field, a rejection) may still be on their way:
                        // keep what recording them needs until they come.
                        {
                            Query q(keepAcknowledged);
                            q.bindText(1, acked->entity).bindText(2, acked->key);
                            q.bindInt(3, acked->seq).bindInt(4, systemNowMs());
                            q.run();
                        }
                        Query q(acknowledgeUpTo);
                        q.bindText(1, acked->entity).bindText(2, acked->key).bindInt(3, acked->seq);
                        q.run();
                        outcome.acknowledged += static_cast<std::size_t>(sqlite3_changes(db));
                        pendingAny = !outboxEmpty();
                    }
                }
                if (pendingAny && hasPending(row.entity, row.key)) {
                    saveBase(row.entity, row.key, values.has_value(),
                             values ? sync::fieldsToJson(t->toFields(*values)) : std::string("{}"),
                             row.version);
                    recompute(*t, row.key);
                } else {
                    if (values) {
                        t->write(*values, row.version);
                    } else {
                        t->erase(*keyFields);
                    }
                    if (pendingAny) {
                        dropBase(row.entity, row.key);
                    }
                }
                touched[t->index()] = true;
                ++outcome.rows;
                if (!row.hlc.empty()) {
                    if (auto hlc = sync::parseHlc(row.hlc); hlc && (!newest || *newest < *hlc)) {
                        newest = std::move(hlc);
                    }
                }
            }
            if (!pendingAny) {
                exec(db, "DELETE FROM sync_base");
            } else if (changes.reset) {
                // Rows the snapshot has not brought (yet) show only what the device wrote.
                std::vector<std::pair<std::string, std::string>> keys;
                {
                    Query q(pendingRows);
                    while (q.step()) {
                        keys.emplace_back(q.text(0), q.text(1));
                    }
                }
                for (const auto& [entity, key] : keys) {
                    if (Table* pt = table(entity)) {
                        recompute(*pt, key);
                    }
                }
            }
            const std::int64_t newCursor =
                changes.reset ? changes.to : std::max(cursor, changes.to);
            setState("cursor", newCursor);
            if (!changes.scopeKey.empty()) {
                setState("scope_key", changes.scopeKey);
            }
            if (newest && observe(sync::encode(*newest), systemNowMs())) {
                saveHlc();
            }
            txn.commit();
            cursor = newCursor;
            if (!changes.scopeKey.empty()) {
                scopeKey = changes.scopeKey;
            }
        } catch (...) {
            clock = clockBefore;
            throw;
        }
        for (std::size_t i = 0; i < touched.size(); ++i) {
            if (touched[i]) {
                outcome.entities.emplace_back(tables[i]->spec.name);
            }
        }
        return outcome;
    }

    Result<std::string, sync::Refused> write(std::string_view entity, sync::Op op,
                                             std::string_view key, const sync::Fields& fields,
                                             std::int64_t nowMs)
    {
        const sync::HlcClock clockBefore = clock;
        try {
            Transaction txn(db);
            auto written = writeOne(entity, op, key, fields, nowMs);
            if (written) {
                saveHlc();
                txn.commit();
            } else {
                clock = clockBefore;
            }
            return written;
        } catch (...) {
            clock = clockBefore;
            throw;
        }
    }

    Result<std::vector<std::string>, sync::Refused>
    writeAll(const std::vector<WriteRequest>& writes, std::int64_t nowMs)
    {
        const sync::HlcClock clockBefore = clock;
        try {
            Transaction txn(db);
            std::vector<std::string> ids;
            for (const auto& w : writes) {
                auto written = writeOne(w.entity, w.op, w.key, w.fields, nowMs);
                if (!written) {
                    clock = clockBefore;
                    return written.error(); // the transaction rolls the earlier ones back
                }
                ids.push_back(std::move(written).value());
            }
            if (!ids.empty()) {
                saveHlc();
            }
            txn.commit();
            return ids;
        } catch (...) {
            clock = clockBefore;
            throw;
        }
    }

    // One local write inside the caller's transaction (which saves the clock and commits).
    Result<std::string, sync::Refused> writeOne(std::string_view entity, sync::Op op,
                                                std::string_view key, const sync::Fields& fields,
                                                std::int64_t nowMs)
    {
        Table* t = table(entity);
        if (t == nullptr) {
            return sync::Refused{"there is no such kind of record (" +
                                 std::string(entity.substr(0, 64)) + ")"};
        }
        auto validated = sync::validateMutation(t->spec, op, key, fields);
        if (!validated) {
            return validated.error();
        }
        const sync::Fields keyFields = keyOf(*t, key);
        const std::string name(t->spec.name);
        {
            std::optional<RowValues> current = t->read(keyFields);
            if (op == sync::Op::Insert && current) {
                return sync::Refused{name + ": a record with this key already exists"};
            }
            if (op != sync::Op::Insert && !current) {
                return sync::Refused{name + ": the record does not exist (any more)"};
            }
            // The visible row of a row with pending writes keeps its base's version.
            std::int64_t version = 0;
            if (!hasPending(name, key)) {
                version = current ? t->version(keyFields) : 0;
                saveBase(name, key, current.has_value(),
                         current ? sync::fieldsToJson(t->toFields(*current)) : std::string("{}"),
                         version);
            } else if (const auto base = readBase(name, key)) {
                version = base->version;
            }
            switch (op) {
            case sync::Op::Insert: {
                RowValues row = t->keyOnly(keyFields);
                overlayOwn(*t, row, *validated);
                t->write(row, version);
                break;
            }
            case sync::Op::Update:
                overlayOwn(*t, *current, *validated);
                t->write(*current, version);
                break;
            case sync::Op::Delete:
                t->erase(keyFields);
                break;
            }
            std::string id = newUuid();
            {
                Query q(addEntry);
                q.bindText(1, id).bindText(2, name).bindText(3, key).bindText(4,
                                                                              sync::toString(op));
                q.bindText(5, op == sync::Op::Delete ? std::string("{}")
                                                     : sync::fieldsToJson(*validated));
                q.bindText(6, sync::encode(clock.now(nowMs))).bindInt(7, nowMs);
                q.run();
            }
            return id;
        }
    }

    // The outbox, then the acknowledged entries still waiting for their answer (a re-sent id
    // gets the server's first decision back; it is not applied again), oldest first.
    std::vector<protocol::Mutation> pending(std::size_t maxCount, std::size_t maxBytes)
    {
        std::vector<protocol::Mutation> out;
        std::size_t bytes = 0;
        bool full = false;
        const auto take = [&](Statement& statement) {
            if (full || out.size() >= maxCount) {
                return;
            }
            constexpr auto kMaxLimit =
                static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
            Query q(statement);
            q.bindInt(1, static_cast<std::int64_t>(std::min(maxCount - out.size(), kMaxLimit)));
            while (q.step()) {
                protocol::Mutation m;
                m.id = q.text(0);
                m.entity = q.text(1);
                m.key = q.text(2);
                const auto op = opFromString(q.text(3));
                if (!op) {
                    throw DbError{"the cache holds a damaged outbox entry"};
                }
                m.op = *op;
                const std::string fieldsJson = q.text(4);
                m.hlc = q.text(5);
                // About what the envelope spends on one mutation.
                const std::size_t size = 48 + m.id.size() + m.entity.size() + m.key.size() +
                                         m.hlc.size() + fieldsJson.size();
                if (!out.empty() && bytes + size > maxBytes) {
                    full = true;
                    return;
                }
                if (m.op != sync::Op::Delete) {
                    m.fields = fieldsFromJson(fieldsJson);
                }
                bytes += size;
                out.push_back(std::move(m));
            }
        };
        take(listEntries);
        take(listAcknowledged);
        return out;
    }

    void applyPushResult(const protocol::PushResult& result, std::int64_t nowMs)
    {
        const sync::HlcClock clockBefore = clock;
        try {
            Transaction txn(db);
            for (const auto& r : result.results) {
                const auto e = entry(r.id);
                if (!e) {
                    if (const auto acked = acknowledgedEntry(r.id)) {
                        answerAcknowledged(*acked, r, nowMs);
                    }
                    continue; // an answer already applied, or not ours
                }
                {
                    Query q(removeEntry);
                    q.bindInt(1, e->seq);
                    q.run();
                }
                Table* t = table(e->entity);
                const bool more = hasPending(e->entity, e->key);
                const auto base = readBase(e->entity, e->key);
                const bool applied = r.status == protocol::MutationStatus::Applied;
                if (applied) {
                    if (!r.overridden.empty()) {
                        addOverridden(*e, r, nowMs);
                    }
                    // r.version is the row's version when the server answered: it holds this
                    // write or something newer. A base at that version or later already
                    // reflects both (a re-sent entry gets its first decision back, while the
                    // row may have changed since); folding the write into it would bring back
                    // a value the server no longer has, and no change would come to undo it.
                    // No version (the server could not say, or the row was not numbered yet):
                    // do not guess. A replayed answer may be older than the base; the stream
                    // brings the row's current state either way.
                    if (t != nullptr && base && r.version > base->version) {
                        foldIntoBase(*t, *e, *base, r.overridden);
                    }
                }
                // The row shows the server's state again with the remaining pending writes on
                // top: a rejected entry is rolled back, the fields a newer write kept show the
                // server's values, a base that was not folded shows what the server has.
                if (t != nullptr && base) {
                    recompute(*t, e->key);
                }
                if (!more) {
                    dropBase(e->entity, e->key);
                }
                if (!applied) {
                    addRejected(*e, r, nowMs);
                }
            }
            if (observe(result.hlc, nowMs)) {
                saveHlc();
            }
            txn.commit();
        } catch (...) {
            clock = clockBefore;
            throw;
        }
    }

    sqlite3* db;
    std::string deviceId;
    std::int64_t cursor = 0;
    std::string scopeKey;
    sync::HlcClock clock;
    std::mt19937_64 random;
    std::vector<std::unique_ptr<Table>> tables;
    Statement hasPendingStmt;
    Statement anyPending;
    Statement countPending;
    Statement countConflicts;
    Statement findMutation;
    Statement keepAcknowledged;
    Statement acknowledgeUpTo;
    Statement removeEntry;
    Statement findAcknowledgedStmt;
    Statement removeAcknowledged;
    Statement rowEntries;
    Statement pendingRows;
    Statement addEntry;
    Statement listEntries;
    Statement listAcknowledged;
    Statement readBaseStmt;
    Statement saveBaseStmt;
    Statement dropBaseStmt;
    Statement readState;
    Statement saveState;
    Statement addConflictStmt;
    Statement listConflicts;
    Statement dismissConflictStmt;
};

LocalStore::LocalStore(std::unique_ptr<Impl> impl)
    : m_d(std::move(impl))
{}

LocalStore::~LocalStore()
{
    sqlite3* db = m_d->db;
    const std::string encryptedPath = m_d->encryptedPath;
    m_d.reset(); // finalises every statement
    sqlite3_close_v2(db);
    if (!encryptedPath.empty()) {
        unbindCryptKey(encryptedPath); // the key is wiped
    }
}

Result<std::unique_ptr<LocalStore>, std::string>
LocalStore::open(const std::string& path, const std::string& deviceId,
                 const std::optional<CacheKey>& key)
{
    if (!validDeviceId(deviceId)) {
        return std::string("the device id must be 1 to 64 of A-Z a-z 0-9 _ . : -");
    }
    sqlite3* db = nullptr;
    if (key) {
        if (path.empty() || path == ":memory:") {
            return std::string("an encrypted cache needs a file");
        }
        if (isPlainDatabase(path)) {
            // Written before the cache was encrypted: encrypted in place, unsent writes and all.
            if (const std::string failed = encryptPlainDatabase(path, *key); !failed.empty()) {
                return "cannot encrypt the cache " + path + ": " + failed;
            }
        }
        CryptOpenResult opened = openEncrypted(path, *key);
        if (opened.db == nullptr) {
            return "cannot open the cache " + path + ": " + opened.error;
        }
        db = opened.db;
    } else if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                               nullptr) != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close_v2(db);
        return "cannot open the cache " + path + ": " + message;
    }
    const auto fail = [&](std::string message) -> std::string {
        sqlite3_close_v2(db);
        if (key) {
            unbindCryptKey(path);
        }
        return message;
    };
    try {
        sqlite3_busy_timeout(db, kBusyTimeoutMs);
        exec(db, "PRAGMA journal_mode = WAL");
        // FULL: a write a person made is on disk when write() returns, even if the tablet loses
        // power the next moment (NORMAL would keep it only through an application crash).
        exec(db, "PRAGMA synchronous = FULL");
        exec(db, "PRAGMA foreign_keys = OFF"); // the server enforces references
        // Rows arrive in version order, which is random in key order: a first download touches
        // pages all over the tables and their indexes. 32 MiB of page cache (SQLite's default is
        // 2 MiB) keeps them in memory between the pages of a download.
        exec(db, "PRAGMA cache_size = -32768");
        // What is deleted (an erased customer's rows, a rolled-back write) is overwritten, not
        // left readable in free pages of the file.
        exec(db, "PRAGMA secure_delete = ON");
        int version = 0;
        {
            Statement s(db, "PRAGMA user_version");
            Query q(s);
            if (q.step()) {
                version = static_cast<int>(q.integer(0));
            }
        }
        if (version > kLatestVersion) {
            throw DbError{"the cache " + path + " was written by a newer version of the app " +
                          "(cache schema " + std::to_string(version) + "; this version knows " +
                          "up to " + std::to_string(kLatestVersion) + ")"};
        }
        for (int v = version; v < kLatestVersion; ++v) {
            Transaction txn(db);
            kMigrations[static_cast<std::size_t>(v)](db);
            exec(db, "PRAGMA user_version = " + std::to_string(v + 1));
            txn.commit();
        }
        // An answer lost with its connection is asked for again on every reconnect; one that has
        // not come for this long will not.
        exec(db, "DELETE FROM acknowledged WHERE acknowledged_ms < " +
                     std::to_string(systemNowMs() - kAcknowledgedKeepMs));
        auto impl = std::make_unique<Impl>(db, deviceId);
        impl->load();
        if (key) {
            impl->encryptedPath = path;
        }
        return std::unique_ptr<LocalStore>(new LocalStore(std::move(impl)));
    } catch (const DbError& e) {
        return fail(e.message);
    } catch (const std::exception& e) {
        return fail(std::string("cannot open the cache: ") + e.what());
    }
}

std::int64_t LocalStore::cursor() const
{
    return m_d->cursor;
}

const std::string& LocalStore::scopeKey() const
{
    return m_d->scopeKey;
}

const std::string& LocalStore::deviceId() const
{
    return m_d->deviceId;
}

Result<ApplyOutcome, std::string> LocalStore::applyChanges(const protocol::Changes& changes)
{
    try {
        return m_d->applyChanges(changes);
    } catch (const DbError& e) {
        return e.message;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

Result<std::string, sync::Refused> LocalStore::write(std::string_view entity, sync::Op op,
                                                     std::string_view key,
                                                     const sync::Fields& fields, std::int64_t nowMs)
{
    try {
        return m_d->write(entity, op, key, fields, nowMs);
    } catch (const DbError& e) {
        return sync::Refused{"the change could not be saved: " + e.message};
    } catch (const std::exception& e) {
        return sync::Refused{"the change could not be saved: " + std::string(e.what())};
    }
}

Result<std::vector<std::string>, sync::Refused>
LocalStore::writeAll(const std::vector<WriteRequest>& writes, std::int64_t nowMs)
{
    try {
        return m_d->writeAll(writes, nowMs);
    } catch (const DbError& e) {
        return sync::Refused{"the changes could not be saved: " + e.message};
    } catch (const std::exception& e) {
        return sync::Refused{"the changes could not be saved: " + std::string(e.what())};
    }
}

std::vector<protocol::Mutation> LocalStore::pending(std::size_t maxCount,
                                                    std::size_t maxBytes) const
{
    try {
        return m_d->pending(maxCount, maxBytes);
    } catch (...) {
        return {};
    }
}

std::size_t LocalStore::pendingCount() const
{
    try {
        Query q(m_d->countPending);
        return q.step() ? static_cast<std::size_t>(q.integer(0)) : 0;
    } catch (...) {
        return 0;
    }
}

void LocalStore::applyPushResult(const protocol::PushResult& result, std::int64_t nowMs)
{
    try {
        m_d->applyPushResult(result, nowMs);
    } catch (...) {
        // Nothing changed: the entries stay in the outbox, are pushed again and the server
        // answers them again (it applies each mutation id at most once).
    }
}

std::size_t LocalStore::conflictCount() const
{
    try {
        Query q(m_d->countConflicts);
        return q.step() ? static_cast<std::size_t>(q.integer(0)) : 0;
    } catch (...) {
        return 0;
    }
}

std::vector<Conflict> LocalStore::conflicts() const
{
    try {
        std::vector<Conflict> out;
        Query q(m_d->listConflicts);
        while (q.step()) {
            out.push_back(Conflict{q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4),
                                   q.text(5), namesFromJson(q.text(6)), q.integer(7)});
        }
        return out;
    } catch (...) {
        return {};
    }
}

bool LocalStore::dismissConflict(std::int64_t id)
{
    try {
        Query q(m_d->dismissConflictStmt);
        q.bindInt(1, id);
        q.run();
        return sqlite3_changes(m_d->db) > 0;
    } catch (...) {
        return false;
    }
}

std::optional<sync::Fields> LocalStore::row(std::string_view entity, std::string_view key) const
{
    try {
        Table* t = m_d->table(entity);
        if (t == nullptr) {
            return std::nullopt;
        }
        auto keyFields = sync::splitKey(t->spec, key);
        if (!keyFields) {
            return std::nullopt;
        }
        auto values = t->read(*keyFields);
        if (!values) {
            return std::nullopt;
        }
        return t->toFields(std::move(*values));
    } catch (...) {
        return std::nullopt;
    }
}

namespace {

// The rows a query over `table` yields, with their keys, appended to `out`.
void appendRows(Table& table, Query& q, std::vector<std::pair<std::string, sync::Fields>>& out)
{
    while (q.step()) {
        sync::Fields fields = table.toFields(table.readColumns(q));
        auto key = sync::makeKey(table.spec, fields);
        if (key) {
            out.emplace_back(std::move(key).value(), std::move(fields));
        }
    }
}

} // namespace

std::vector<std::pair<std::string, sync::Fields>> LocalStore::rows(std::string_view entity) const
{
    try {
        std::vector<std::pair<std::string, sync::Fields>> out;
        Table* t = m_d->table(entity);
        if (t == nullptr) {
            return out;
        }
        Query q(t->all);
        appendRows(*t, q, out);
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        return out;
    } catch (...) {
        return {};
    }
}

std::vector<std::pair<std::string, sync::Fields>>
LocalStore::rowsWhere(std::string_view entity, std::string_view field,
                      const std::vector<sync::Value>& values) const
{
    // Few values per look-up; chunks keep each statement well under SQLite's parameter limit.
    constexpr std::size_t kChunk = 500;
    try {
        std::vector<std::pair<std::string, sync::Fields>> out;
        Table* t = m_d->table(entity);
        if (t == nullptr || t->spec.field(field) == nullptr) {
            return out;
        }
        for (std::size_t from = 0; from < values.size(); from += kChunk) {
            const std::size_t n = std::min(kChunk, values.size() - from);
            std::string sql = Table::selectSql(t->spec) + " WHERE " + quoted(field) + " IN (";
            for (std::size_t i = 0; i < n; ++i) {
                sql += (i == 0 ? "?" : ", ?");
            }
            sql += ")";
            Statement statement(m_d->db, std::move(sql));
            Query q(statement);
            for (std::size_t i = 0; i < n; ++i) {
                q.bindValue(static_cast<int>(i + 1), values[from + i]);
            }
            appendRows(*t, q, out);
        }
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        // A value given twice finds its rows twice.
        out.erase(std::unique(out.begin(), out.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  out.end());
        return out;
    } catch (...) {
        return {};
    }
}

std::size_t LocalStore::rowCount(std::string_view entity) const
{
    try {
        Table* t = m_d->table(entity);
        if (t == nullptr) {
            return 0;
        }
        Query q(t->count);
        return q.step() ? static_cast<std::size_t>(q.integer(0)) : 0;
    } catch (...) {
        return 0;
    }
}

sync::Hlc LocalStore::lastHlc() const
{
    return m_d->clock.last();
}

void LocalStore::observeHlc(std::string_view encoded, std::int64_t nowMs)
{
    const sync::HlcClock before = m_d->clock;
    try {
        if (m_d->observe(encoded, nowMs)) {
            m_d->saveHlc();
        }
    } catch (...) {
        m_d->clock = before;
    }
}

sqlite3* LocalStore::handle()
{
    return m_d->db;
}

} // namespace cc::app::cache
