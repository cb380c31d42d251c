#include "app/cache/localstore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

using cc::app::cache::LocalStore;
using cc::protocol::Changes;
using cc::protocol::Mutation;
using cc::protocol::MutationResult;
using cc::protocol::MutationStatus;
using cc::protocol::PushResult;
using cc::protocol::SyncRow;
using cc::sync::Fields;
using cc::sync::Null;
using cc::sync::Op;
using cc::sync::Value;

namespace {

constexpr std::int64_t kNow = 1'700'000'000'000; // 2023-11-14

std::string uuid(int n)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
    return buf;
}

// A customer as the server sends it: every field.
Fields customerFields(int n, const std::string& name, const Value& email = Null{})
{
    return {{"id", uuid(n)},       {"display_name", name},
            {"email", email},      {"marketing_consent", false},
            {"sms_consent", true}, {"created_at", kNow}};
}

SyncRow customer(int n, const std::string& name, std::int64_t version, const Value& email = Null{},
                 const std::string& mutationId = {})
{
    return SyncRow{"customers",
                   uuid(n),
                   version,
                   false,
                   customerFields(n, name, email),
                   mutationId,
                   "1700000000000-000000-server"};
}

SyncRow tombstone(const std::string& entity, const std::string& key, std::int64_t version)
{
    return SyncRow{entity, key, version, true, {}, {}, {}};
}

Changes page(std::int64_t from, std::int64_t to, std::vector<SyncRow> rows, bool reset = false,
             const std::string& scopeKey = {})
{
    Changes c;
    c.from = from;
    c.to = to;
    c.reset = reset;
    c.scopeKey = scopeKey;
    c.rows = std::move(rows);
    return c;
}

std::unique_ptr<LocalStore> openStore(const std::string& path = ":memory:",
                                      const std::string& device = "dev-1")
{
    auto opened = LocalStore::open(path, device);
    if (!opened) {
        qWarning("open failed: %s", opened.error().c_str());
        return nullptr;
    }
    return std::move(opened).value();
}

std::int64_t scalar(sqlite3* db, const std::string& sql)
{
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        qWarning("prepare failed: %s", sqlite3_errmsg(db));
        return -1;
    }
    std::int64_t out = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        out = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return out;
}

std::string text(sqlite3* db, const std::string& sql)
{
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
        out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
}

// A field's value for comparisons: the text, or "<null>", "<missing>", or the number as text.
std::string str(const std::optional<Fields>& row, std::string_view name)
{
    if (!row) {
        return "<no row>";
    }
    const Value* v = cc::sync::find(*row, name);
    if (v == nullptr) {
        return "<missing>";
    }
    if (const auto* s = std::get_if<std::string>(v)) {
        return *s;
    }
    if (const auto* b = std::get_if<bool>(v)) {
        return *b ? "<true>" : "<false>";
    }
    if (const auto* n = std::get_if<std::int64_t>(v)) {
        return std::to_string(*n);
    }
    if (const auto* d = std::get_if<double>(v)) {
        return "<real " + std::to_string(*d) + ">";
    }
    return "<null>";
}

std::int64_t baseCount(LocalStore& store)
{
    return scalar(store.handle(), "SELECT COUNT(*) FROM sync_base");
}

// Entries the stream acknowledged that still wait for their push_result.
std::int64_t acknowledgedCount(LocalStore& store)
{
    return scalar(store.handle(), "SELECT COUNT(*) FROM acknowledged");
}

std::vector<std::string> ids(const std::vector<Mutation>& mutations)
{
    std::vector<std::string> out;
    for (const auto& m : mutations) {
        out.push_back(m.id);
    }
    return out;
}

std::int64_t wallClockMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// What SQLite does for `sql`: EXPLAIN QUERY PLAN's steps ("SEARCH calls USING INDEX ...").
std::string queryPlan(sqlite3* db, const std::string& sql)
{
    sqlite3_stmt* statement = nullptr;
    std::string plan;
    if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &statement, nullptr) !=
        SQLITE_OK) {
        return "cannot prepare: " + std::string(sqlite3_errmsg(db));
    }
    while (sqlite3_step(statement) == SQLITE_ROW) {
        const auto* detail = sqlite3_column_text(statement, 3);
        plan += (plan.empty() ? "" : " | ") +
                std::string(detail != nullptr ? reinterpret_cast<const char*>(detail) : "");
    }
    sqlite3_finalize(statement);
    return plan;
}

bool execAll(sqlite3* db, const std::vector<std::string>& statements)
{
    for (const auto& sql : statements) {
        char* error = nullptr;
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            qWarning("%s: %s", sql.c_str(), error != nullptr ? error : "?");
            sqlite3_free(error);
            return false;
        }
    }
    return true;
}

// Fields the sync schema gained in version 2 (telephony): a v1 file does not have them.
bool addedInSchema2(std::string_view entity, std::string_view field)
{
    return (entity == "calls" && (field == "offered_to" || field == "need" ||
                                  field == "routing_reason" || field == "recording_seconds")) ||
           (entity == "tasks" && field == "escalated_at");
}

// A cache file as the first released schema (user_version 1) wrote it, frozen here: customer 1
// ("Ann" on the server) with two pending updates (ids uuid(101): display_name "Bob", uuid(102):
// email), their base, the sync state and one conflict.
bool makeV1File(const std::string& path)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        sqlite3_close_v2(db);
        return false;
    }
    std::vector<std::string> sql{"PRAGMA journal_mode = WAL", "BEGIN"};
    for (const auto& entity : cc::sync::entities()) {
        if (entity.name == "presence") {
            continue; // added by sync schema 2 (cache v4)
        }
        std::string create = "CREATE TABLE \"" + std::string(entity.name) + "\" (";
        for (const auto& field : entity.fields) {
            if (addedInSchema2(entity.name, field.name)) {
                continue;
            }
            std::string type = "TEXT";
            if (field.kind == cc::sync::Kind::Bool || field.kind == cc::sync::Kind::Int ||
                field.kind == cc::sync::Kind::Timestamp) {
                type = "INTEGER";
            } else if (field.kind == cc::sync::Kind::Real) {
                type = "REAL";
            }
            create += "\"" + std::string(field.name) + "\" " + type + ", ";
        }
        create += "PRIMARY KEY (";
        for (std::size_t i = 0; i < entity.key.size(); ++i) {
            create += (i == 0 ? "\"" : ", \"") + std::string(entity.key[i]) + "\"";
        }
        sql.push_back(create + ")) WITHOUT ROWID");
    }
    const std::string ann = uuid(1);
    sql.insert(
        sql.end(),
        {
            "CREATE INDEX customers_display_name ON customers (display_name)",
            "CREATE INDEX customer_phones_number ON customer_phones (number)",
            "CREATE INDEX calls_started_at ON calls (started_at)",
            "CREATE INDEX calls_customer_started_at ON calls (customer_id, started_at)",
            "CREATE INDEX tasks_status_due_at ON tasks (status, due_at)",
            "CREATE INDEX appointments_starts_at ON appointments (starts_at)",
            "CREATE INDEX call_notes_customer_created_at ON call_notes (customer_id, created_at)",
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, mutation_id TEXT NOT "
            "NULL UNIQUE, entity TEXT NOT NULL, row_key TEXT NOT NULL, op TEXT NOT NULL, fields "
            "TEXT NOT NULL, hlc TEXT NOT NULL, created_ms INTEGER NOT NULL)",
            "CREATE INDEX outbox_row ON outbox (entity, row_key)",
            "CREATE TABLE sync_base (entity TEXT NOT NULL, row_key TEXT NOT NULL, present "
            "INTEGER NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (entity, row_key)) WITHOUT ROWID",
            "CREATE TABLE sync_state (name TEXT PRIMARY KEY, value) WITHOUT ROWID",
            "CREATE TABLE conflicts (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, entity TEXT NOT "
            "NULL, row_key TEXT NOT NULL, mutation_id TEXT NOT NULL, reason TEXT NOT NULL, "
            "fields TEXT NOT NULL, at_ms INTEGER NOT NULL)",
            "INSERT INTO customers VALUES ('" + ann + "', 'Bob', 'bob@x.org', 0, 1, " +
                std::to_string(kNow) + ")",
            "INSERT INTO sync_base VALUES ('customers', '" + ann + "', 1, '{\"id\":\"" + ann +
                "\",\"display_name\":\"Ann\",\"email\":null,\"marketing_consent\":false,"
                "\"sms_consent\":true,\"created_at\":" +
                std::to_string(kNow) + "}')",
            "INSERT INTO outbox (mutation_id, entity, row_key, op, fields, hlc, created_ms) "
            "VALUES ('" +
                uuid(101) + "', 'customers', '" + ann +
                "', 'update', '{\"display_name\":\"Bob\"}', "
                "'1700000000000-000001-dev-1', " +
                std::to_string(kNow) + ")",
            "INSERT INTO outbox (mutation_id, entity, row_key, op, fields, hlc, created_ms) "
            "VALUES ('" +
                uuid(102) + "', 'customers', '" + ann +
                "', 'update', '{\"email\":\"bob@x.org\"}', "
                "'1700000000000-000002-dev-1', " +
                std::to_string(kNow) + ")",
            "INSERT INTO sync_state VALUES ('cursor', 5), ('scope_key', 'scope-v1'), "
            "('hlc', '1700000000000-000002-dev-1')",
            "INSERT INTO conflicts (kind, entity, row_key, mutation_id, reason, fields, at_ms) "
            "VALUES ('rejected', 'customers', '" +
                uuid(2) + "', '" + uuid(100) + "', 'no', '[\"display_name\"]', " +
                std::to_string(kNow) + ")",
            "PRAGMA user_version = 1",
            "COMMIT",
        });
    const bool ok = execAll(db, sql);
    sqlite3_close_v2(db);
    return ok;
}

// The same file as the v2 schema (user_version 2) wrote it: the acknowledged table, with one
// entry (uuid(103), customer 3 "Cy", whose row the stream brought) waiting for its answer.
bool makeV2File(const std::string& path)
{
    if (!makeV1File(path)) {
        return false;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(db);
        return false;
    }
    const std::string cy = uuid(3);
    const bool ok = execAll(
        db, {
                "BEGIN",
                "CREATE TABLE acknowledged (seq INTEGER PRIMARY KEY, mutation_id TEXT NOT NULL "
                "UNIQUE, entity TEXT NOT NULL, row_key TEXT NOT NULL, op TEXT NOT NULL, fields "
                "TEXT NOT NULL, hlc TEXT NOT NULL, created_ms INTEGER NOT NULL, acknowledged_ms "
                "INTEGER NOT NULL)",
                "INSERT INTO customers VALUES ('" + cy + "', 'Cy', NULL, 0, 1, " +
                    std::to_string(kNow) + ")",
                "INSERT INTO acknowledged VALUES (1, '" + uuid(103) + "', 'customers', '" + cy +
                    "', 'update', '{\"display_name\":\"Cy\"}', '1699999999000-000000-dev-1', " +
                    std::to_string(kNow) + ", " + std::to_string(wallClockMs()) + ")",
                "PRAGMA user_version = 2",
                "COMMIT",
            });
    sqlite3_close_v2(db);
    return ok;
}

// A task as the server sends it: every field.
SyncRow task(int n, const std::string& title, std::int64_t version,
             const std::string& mutationId = {})
{
    return SyncRow{"tasks",
                   uuid(n),
                   version,
                   false,
                   {{"id", uuid(n)},
                    {"location_id", uuid(50)},
                    {"customer_id", Null{}},
                    {"call_id", Null{}},
                    {"kind", std::string("callback")},
                    {"title", title},
                    {"due_at", kNow},
                    {"assigned_to", Null{}},
                    {"status", std::string("open")},
                    {"created_at", kNow},
                    {"completed_at", Null{}}},
                   mutationId,
                   "1700000000000-000000-server"};
}

std::string updateTask(LocalStore& store, int n, const std::string& field, const Value& value)
{
    auto id = store.write("tasks", Op::Update, uuid(n), {{field, value}}, kNow);
    if (!id) {
        qWarning("write failed: %s", id.error().reason.c_str());
        return {};
    }
    return *id;
}

// The hidden server version of a stored row (-1: no such row).
std::int64_t rowVersion(LocalStore& store, const std::string& entity, int n)
{
    return scalar(store.handle(),
                  "SELECT sync_version FROM " + entity + " WHERE id = '" + uuid(n) + "'");
}

// The server version of the base of a row (-1: no base).
std::int64_t baseVersion(LocalStore& store, const std::string& entity, int n)
{
    return scalar(store.handle(), "SELECT version FROM sync_base WHERE entity = '" + entity +
                                      "' AND row_key = '" + uuid(n) + "'");
}

PushResult applied(const std::string& id, std::int64_t version,
                   std::vector<std::string> overridden = {})
{
    PushResult r;
    r.results.push_back(
        MutationResult{id, MutationStatus::Applied, version, {}, std::move(overridden)});
    r.hlc = "1700000000100-000003-server";
    return r;
}

std::string insertCustomer(LocalStore& store, int n, const std::string& name)
{
    auto id = store.write("customers", Op::Insert, uuid(n),
                          {{"id", uuid(n)}, {"display_name", name}, {"created_at", kNow}}, kNow);
    if (!id) {
        qWarning("write failed: %s", id.error().reason.c_str());
        return {};
    }
    return *id;
}

std::string updateCustomer(LocalStore& store, int n, const std::string& field, const Value& value,
                           std::int64_t nowMs = kNow)
{
    auto id = store.write("customers", Op::Update, uuid(n), {{field, value}}, nowMs);
    if (!id) {
        qWarning("write failed: %s", id.error().reason.c_str());
        return {};
    }
    return *id;
}

PushResult answer(const std::string& id, MutationStatus status, const std::string& reason = {},
                  std::vector<std::string> overridden = {})
{
    PushResult r;
    r.results.push_back(MutationResult{id, status, 7, reason, std::move(overridden)});
    r.hlc = "1700000000100-000003-server";
    return r;
}

} // namespace

class TestLocalStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void schemaHasEveryEntity()
    {
        auto store = openStore();
        QVERIFY(store);
        sqlite3* db = store->handle();
        for (const auto& e : cc::sync::entities()) {
            const std::string name(e.name);
            // The fields, and the hidden server version of the row.
            QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('" + name + "')"),
                     static_cast<std::int64_t>(e.fields.size() + 1));
            QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('" + name +
                                    "') WHERE name = 'sync_version' AND type = 'INTEGER' AND "
                                    "\"notnull\" = 1 AND dflt_value = '0'"),
                     1);
            QCOMPARE(
                scalar(db, "SELECT COUNT(*) FROM pragma_table_info('" + name + "') WHERE pk > 0"),
                static_cast<std::int64_t>(e.key.size()));
            QVERIFY(text(db, "SELECT sql FROM sqlite_master WHERE name = '" + name + "'")
                        .find("WITHOUT ROWID") != std::string::npos);
            QCOMPARE(store->rowCount(e.name), std::size_t{0});
        }
        QCOMPARE(
            text(db, "SELECT type FROM pragma_table_info('locations') WHERE name = 'latitude'"),
            std::string("REAL"));
        QCOMPARE(text(db, "SELECT type FROM pragma_table_info('customers') WHERE name = "
                          "'sms_consent'"),
                 std::string("INTEGER"));
        QCOMPARE(text(db, "SELECT type FROM pragma_table_info('tasks') WHERE name = 'due_at'"),
                 std::string("INTEGER"));
        QCOMPARE(text(db, "SELECT type FROM pragma_table_info('tasks') WHERE name = 'status'"),
                 std::string("TEXT"));
        for (const char* table :
             {"outbox", "acknowledged", "sync_base", "sync_state", "conflicts"}) {
            QCOMPARE(scalar(db, std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = "
                                            "'table' AND name = '") +
                                    table + "'"),
                     1);
        }
        // The screens' indexes, by the columns they cover.
        const std::vector<std::pair<std::string, std::string>> indexes{
            {"customers", "display_name"},
            {"customer_phones", "number"},
            {"calls", "started_at"},
            {"calls", "customer_id,started_at"},
            {"tasks", "status,due_at"},
            {"appointments", "starts_at"},
            {"call_notes", "customer_id,created_at"},
            {"outbox", "entity,row_key"},
            // v5: what the calls screens look up by.
            {"calls", "status"},
            {"calls", "offered_to"},
            {"calls", "handled_by"},
            {"calls", "from_number"},
            {"call_notes", "call_id"},
            {"tasks", "customer_id"},
            {"appointments", "customer_id"},
            {"user_locations", "location_id"},
            {"users", "home_location_id"},
        };
        for (const auto& [table, columns] : indexes) {
            QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_index_list('" + table +
                                    "') AS l WHERE l.origin = 'c' AND (SELECT group_concat(name) "
                                    "FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY "
                                    "seqno)) = '" +
                                    columns + "'"),
                     1);
        }
        QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('sync_base') WHERE name = "
                            "'version' AND type = 'INTEGER' AND \"notnull\" = 1"),
                 1);
        QCOMPARE(scalar(db, "PRAGMA user_version"), 7);
        QCOMPARE(scalar(db, "PRAGMA foreign_keys"), 0);
        QCOMPARE(scalar(db, "PRAGMA synchronous"),
                 2); // FULL: a person's write survives a power cut
        QCOMPARE(store->cursor(), 0);
        QVERIFY(store->scopeKey().empty());
        QCOMPARE(store->deviceId(), std::string("dev-1"));
    }

    // Every look-up the calls screens make (LocalStore::rowsWhere) searches an index (or the
    // primary key) instead of reading the whole table.
    void rowsWhereLookupsUseAnIndex()
    {
        auto store = openStore();
        QVERIFY(store);
        const std::vector<std::pair<std::string, std::string>> lookups{
            {"calls", "status"},
            {"calls", "offered_to"},
            {"calls", "handled_by"},
            {"calls", "from_number"},
            {"calls", "customer_id"},
            {"call_notes", "call_id"},
            {"call_notes", "customer_id"},
            {"tasks", "customer_id"},
            {"appointments", "customer_id"},
            {"customer_phones", "number"},
            {"user_locations", "user_id"},
            {"user_locations", "location_id"},
            {"users", "home_location_id"},
        };
        for (const auto& [table, field] : lookups) {
            const std::string plan =
                queryPlan(store->handle(),
                          "SELECT * FROM \"" + table + "\" WHERE \"" + field + "\" IN (?1, ?2)");
            const std::string what = table + "." + field + ": " + plan;
            QVERIFY2(plan.find("SEARCH") != std::string::npos, what.c_str());
            QVERIFY2(plan.find("SCAN") == std::string::npos, what.c_str());
        }
    }

    // A v4 file (before the calls screens' indexes) gets them on open.
    void upgradesV4File()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("v4.sqlite").toStdString();
        {
            auto store = openStore(path);
            QVERIFY(store);
            QVERIFY(!insertCustomer(*store, 1, "Ann").empty());
            QVERIFY(execAll(store->handle(),
                            {"DROP INDEX calls_status", "DROP INDEX calls_offered_to",
                             "DROP INDEX calls_handled_by", "DROP INDEX calls_from_number",
                             "DROP INDEX call_notes_call_id", "DROP INDEX tasks_customer_id",
                             "DROP INDEX appointments_customer_id",
                             "DROP INDEX user_locations_location_id",
                             "DROP INDEX users_home_location_id", "PRAGMA user_version = 4"}));
        }
        auto store = openStore(path);
        QVERIFY(store);
        sqlite3* db = store->handle();
        QCOMPARE(scalar(db, "PRAGMA user_version"), 7);
        QCOMPARE(scalar(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
                            "('calls_status', 'calls_offered_to', 'calls_handled_by', "
                            "'calls_from_number', 'call_notes_call_id', 'tasks_customer_id', "
                            "'appointments_customer_id', 'user_locations_location_id', "
                            "'users_home_location_id')"),
                 9);
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann"));
    }

    // A v5 file (sync schema 2) gets the appointments' calendar columns on open, and keeps its
    // rows and queued writes.
    void upgradesV5File()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("v5.sqlite").toStdString();
        {
            auto store = openStore(path);
            QVERIFY(store);
            QVERIFY(!insertCustomer(*store, 1, "Ann").empty());
            QVERIFY(execAll(store->handle(), {"ALTER TABLE appointments DROP COLUMN calendar_state",
                                              "ALTER TABLE appointments DROP COLUMN calendar_error",
                                              "PRAGMA user_version = 5"}));
        }
        auto store = openStore(path);
        QVERIFY(store);
        sqlite3* db = store->handle();
        QCOMPARE(scalar(db, "PRAGMA user_version"), 7);
        QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('appointments') WHERE name IN "
                            "('calendar_state', 'calendar_error')"),
                 2);
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann"));
    }

    // A v6 file (sync schema 3) gets the calls' analytics columns on open, and keeps its rows
    // and queued writes.
    // The app's cache is encrypted at rest: what was written comes back with the key, not
    // without it, and nothing readable is in the file. A cache from before encryption is
    // encrypted in place with its unsent writes.
    void encryptedCacheKeepsEverythingAndShowsNothing()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("cache.sqlite")).toStdString();
        const auto key = cc::app::cache::randomCacheKey();
        {
            auto opened = LocalStore::open(path, "dev-1", key);
            QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().c_str());
            auto store = std::move(opened).value();
            QVERIFY(store->applyChanges(page(1, 1, {customer(1, "Quentin Cipher", 1)})).ok());
            QVERIFY(store
                        ->write("customers", Op::Update, uuid(1),
                                {{"display_name", std::string("Quentin Cipherton")}}, kNow)
                        .ok());
        }
        for (const char* suffix : {"", "-wal"}) {
            QFile f(QString::fromStdString(path + suffix));
            if (f.open(QIODevice::ReadOnly)) {
                const QByteArray bytes = f.readAll();
                QVERIFY(!bytes.contains("Quentin"));
                QVERIFY(!bytes.startsWith("SQLite format 3"));
            }
        }
        {
            auto reopened = LocalStore::open(path, "dev-1", key);
            QVERIFY2(reopened.ok(), reopened.ok() ? "" : reopened.error().c_str());
            QCOMPARE(str((*reopened)->row("customers", uuid(1)), "display_name"),
                     std::string("Quentin Cipherton"));
            QCOMPARE((*reopened)->pendingCount(), std::size_t(1));
        }
        auto other = cc::app::cache::randomCacheKey();
        const auto wrong = LocalStore::open(path, "dev-1", other);
        QVERIFY(!wrong.ok());
        QVERIFY2(wrong.error().find("cannot be unlocked") != std::string::npos,
                 wrong.error().c_str());
        QVERIFY(!LocalStore::open(path, "dev-1").ok()); // nor without one
        QVERIFY(!LocalStore::open(":memory:", "dev-1", key).ok());

        // A plain cache, as an earlier version of the app left it, with a write not yet sent.
        const std::string legacy = dir.filePath(QStringLiteral("legacy.sqlite")).toStdString();
        {
            auto store = std::move(LocalStore::open(legacy, "dev-1")).value();
            QVERIFY(store->applyChanges(page(1, 1, {customer(2, "Petra Plain", 1)})).ok());
            QVERIFY(store
                        ->write("customers", Op::Update, uuid(2),
                                {{"display_name", std::string("Petra Plainly")}}, kNow)
                        .ok());
        }
        QVERIFY(cc::app::cache::isPlainDatabase(legacy));
        {
            auto opened = LocalStore::open(legacy, "dev-1", key);
            QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().c_str());
            QCOMPARE(str((*opened)->row("customers", uuid(2)), "display_name"),
                     std::string("Petra Plainly"));
            QCOMPARE((*opened)->pendingCount(), std::size_t(1));
            QCOMPARE((*opened)->cursor(), std::int64_t(1));
        }
        QVERIFY(!cc::app::cache::isPlainDatabase(legacy));
        QFile f(QString::fromStdString(legacy));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(!f.readAll().contains("Petra"));
    }

    void upgradesV6File()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("v6.sqlite").toStdString();
        {
            auto store = openStore(path);
            QVERIFY(store);
            QVERIFY(!insertCustomer(*store, 1, "Ann").empty());
            QVERIFY(execAll(store->handle(), {"ALTER TABLE calls DROP COLUMN answered_location_id",
                                              "ALTER TABLE calls DROP COLUMN wrap_up_ms",
                                              "ALTER TABLE calls DROP COLUMN repeated_at",
                                              "PRAGMA user_version = 6"}));
        }
        auto store = openStore(path);
        QVERIFY(store);
        sqlite3* db = store->handle();
        QCOMPARE(scalar(db, "PRAGMA user_version"), 7);
        QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('calls') WHERE name IN "
                            "('answered_location_id', 'wrap_up_ms', 'repeated_at')"),
                 3);
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann"));
    }

    // Writes that belong together (a call's note and its outcome) are one transaction: in order
    // in the outbox, or (one refused) none of them.
    void writeAllIsAllOrNothing()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 1, {customer(1, "Ann", 1)})).ok());
        const auto hlcBefore = store->lastHlc();
        using cc::app::cache::WriteRequest;
        const WriteRequest insertBea{
            "customers",
            Op::Insert,
            uuid(2),
            {{"id", uuid(2)}, {"display_name", std::string("Bea")}, {"created_at", kNow}}};
        const WriteRequest renameAnn{
            "customers", Op::Update, uuid(1), {{"display_name", std::string("Ann B")}}};
        const WriteRequest missing{
            "customers", Op::Update, uuid(9), {{"display_name", std::string("Zed")}}};

        auto refused = store->writeAll({insertBea, renameAnn, missing}, kNow);
        QVERIFY(!refused.ok());
        QVERIFY(refused.error().reason.find("does not exist") != std::string::npos);
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(store->rowCount("customers"), std::size_t{1});
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann"));
        QCOMPARE(baseCount(*store), 0);
        QVERIFY(store->lastHlc() == hlcBefore);

        auto written = store->writeAll({insertBea, renameAnn}, kNow);
        QVERIFY2(written.ok(), written.ok() ? "" : written.error().reason.c_str());
        QCOMPARE(written->size(), std::size_t{2});
        QCOMPARE(ids(store->pending(10, 1 << 20)), *written);
        QCOMPARE(store->pending(10, 1 << 20)[0].entity, std::string("customers"));
        QCOMPARE(store->pending(10, 1 << 20)[0].key, uuid(2));
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann B"));
        QCOMPARE(str(store->row("customers", uuid(2)), "display_name"), std::string("Bea"));
        QVERIFY(hlcBefore < store->lastHlc());
        QVERIFY(store->writeAll({}, kNow).ok());
    }

    void writeAddsRowAndOutboxEntry()
    {
        auto store = openStore();
        QVERIFY(store);
        auto id = store->write("customers", Op::Insert, uuid(1),
                               {{"id", uuid(1)},
                                {"display_name", "Ann 4111 1111 1111 1111"},
                                {"sms_consent", true},
                                {"created_at", kNow}},
                               kNow);
        QVERIFY2(id.ok(), id.ok() ? "" : id.error().reason.c_str());
        const QRegularExpression uuidV4(
            "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
        QVERIFY(uuidV4.match(QString::fromStdString(*id)).hasMatch());

        const auto row = store->row("customers", uuid(1));
        QVERIFY(row);
        QCOMPARE(row->size(), std::size_t{6});
        const std::vector<std::string> order{
            "id", "display_name", "email", "marketing_consent", "sms_consent", "created_at"};
        for (std::size_t i = 0; i < order.size(); ++i) {
            QCOMPARE((*row)[i].name, order[i]);
        }
        QCOMPARE(str(row, "display_name"), std::string("Ann **** **** **** 1111")); // masked
        QCOMPARE(str(row, "email"), std::string("<null>"));
        QCOMPARE(str(row, "sms_consent"), std::string("<true>"));
        QVERIFY(std::holds_alternative<std::int64_t>(*cc::sync::find(*row, "created_at")));
        QCOMPARE(str(row, "created_at"), std::to_string(kNow));
        QCOMPARE(store->rowCount("customers"), std::size_t{1});

        QCOMPARE(store->pendingCount(), std::size_t{1});
        const auto pending = store->pending(10, 1 << 20);
        QCOMPARE(pending.size(), std::size_t{1});
        QCOMPARE(pending[0].id, *id);
        QCOMPARE(pending[0].entity, std::string("customers"));
        QCOMPARE(pending[0].key, uuid(1));
        QVERIFY(pending[0].op == Op::Insert);
        QCOMPARE(pending[0].fields.size(), std::size_t{4});
        QCOMPARE(str(pending[0].fields, "display_name"), std::string("Ann **** **** **** 1111"));
        const auto hlc = cc::sync::parseHlc(pending[0].hlc);
        QVERIFY(hlc);
        QCOMPARE(hlc->node, std::string("dev-1"));
        QCOMPARE(hlc->wallMs, kNow);
        QVERIFY(store->lastHlc() == *hlc);
        // The server had no such row.
        QCOMPARE(baseCount(*store), 1);
        QCOMPARE(scalar(store->handle(), "SELECT present FROM sync_base"), 0);

        // An update and a second mutation id.
        const std::string second =
            updateCustomer(*store, 1, "email", std::string("ann@example.com"));
        QVERIFY(!second.empty());
        QVERIFY(second != *id);
        QCOMPARE(str(store->row("customers", uuid(1)), "email"), std::string("ann@example.com"));
        QCOMPARE(store->pendingCount(), std::size_t{2});
        QCOMPARE(baseCount(*store), 1);
    }

    void refusedWritesChangeNothing()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 1, {customer(1, "Ann", 1)})).ok());
        QVERIFY(!insertCustomer(*store, 2, "Bea").empty());

        const auto before1 = store->row("customers", uuid(1));
        const auto before2 = store->row("customers", uuid(2));
        const auto hlcBefore = store->lastHlc();
        struct Case {
            const char* name;
            std::string entity;
            Op op;
            std::string key;
            Fields fields;
        };
        const std::vector<Case> cases{
            {"unknown field", "customers", Op::Update, uuid(1), {{"nickname", std::string("A")}}},
            {"too long text",
             "customers",
             Op::Update,
             uuid(1),
             {{"display_name", std::string(201, 'x')}}},
            {"missing required field", "customers", Op::Insert, uuid(3), {{"id", uuid(3)}}},
            {"update of a missing row",
             "customers",
             Op::Update,
             uuid(9),
             {{"display_name", std::string("Zed")}}},
            {"delete of a missing row",
             "customer_phones",
             Op::Delete,
             uuid(9) + "/+15551234567",
             {}},
            {"insert of an existing key",
             "customers",
             Op::Insert,
             uuid(1),
             {{"id", uuid(1)}, {"display_name", std::string("Dup")}}},
            {"unknown entity", "widgets", Op::Insert, uuid(4), {{"id", uuid(4)}}},
            {"operation not allowed", "customers", Op::Delete, uuid(1), {}},
            {"field not updatable", "customers", Op::Update, uuid(1), {{"created_at", kNow}}},
            {"key does not match",
             "customers",
             Op::Insert,
             uuid(4),
             {{"id", uuid(5)}, {"display_name", std::string("Eve")}}},
            {"wrong type", "customers", Op::Update, uuid(1), {{"sms_consent", std::string("yes")}}},
            {"malformed key",
             "customers",
             Op::Update,
             "not-a-uuid",
             {{"display_name", std::string("X")}}},
        };
        for (const auto& c : cases) {
            auto r = store->write(c.entity, c.op, c.key, c.fields, kNow + 1000);
            QVERIFY2(!r.ok(), c.name);
            QVERIFY2(!r.error().reason.empty(), c.name);
            QVERIFY2(store->rowCount("customers") == 2, c.name);
            QVERIFY2(store->rowCount("customer_phones") == 0, c.name);
            QVERIFY2(store->pendingCount() == 1, c.name);
            QVERIFY2(baseCount(*store) == 1, c.name);
            QVERIFY2(store->row("customers", uuid(1)) == before1, c.name);
            QVERIFY2(store->row("customers", uuid(2)) == before2, c.name);
            QVERIFY2(store->lastHlc() == hlcBefore, c.name);
        }
    }

    void deleteWrite()
    {
        auto store = openStore();
        QVERIFY(store);
        const std::string key = uuid(1) + "/+15551234567";
        auto inserted = store->write("customer_phones", Op::Insert, key,
                                     {{"customer_id", uuid(1)},
                                      {"number", std::string("+15551234567")},
                                      {"label", std::string("mobile")}},
                                     kNow);
        QVERIFY(inserted.ok());
        QCOMPARE(str(store->row("customer_phones", key), "label"), std::string("mobile"));
        auto deleted = store->write("customer_phones", Op::Delete, key, {}, kNow);
        QVERIFY(deleted.ok());
        QVERIFY(!store->row("customer_phones", key));
        const auto pending = store->pending(10, 1 << 20);
        QCOMPARE(pending.size(), std::size_t{2});
        QVERIFY(pending[1].op == Op::Delete);
        QVERIFY(pending[1].fields.empty());

        PushResult r = answer(*inserted, MutationStatus::Applied);
        r.results.push_back(MutationResult{*deleted, MutationStatus::Applied, 8, {}, {}});
        store->applyPushResult(r, kNow);
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QVERIFY(!store->row("customer_phones", key));
        QVERIFY(store->conflicts().empty());
    }

    void pendingOrderAndLimits()
    {
        auto store = openStore();
        QVERIFY(store);
        std::vector<std::string> ids;
        for (int i = 1; i <= 5; ++i) {
            ids.push_back(insertCustomer(*store, i, "Customer " + std::to_string(i)));
            QVERIFY(!ids.back().empty());
        }
        auto all = store->pending(10, 1 << 20);
        QCOMPARE(all.size(), std::size_t{5});
        for (std::size_t i = 0; i < all.size(); ++i) {
            QCOMPARE(all[i].id, ids[i]);
            if (i > 0) {
                QVERIFY(*cc::sync::parseHlc(all[i - 1].hlc) < *cc::sync::parseHlc(all[i].hlc));
            }
        }
        auto three = store->pending(3, 1 << 20);
        QCOMPARE(three.size(), std::size_t{3});
        QCOMPARE(three[2].id, ids[2]);
        auto tiny = store->pending(10, 1); // always at least one
        QCOMPARE(tiny.size(), std::size_t{1});
        QCOMPARE(tiny[0].id, ids[0]);
        auto some = store->pending(10, 600); // a few hundred bytes: some, not all
        QVERIFY(some.size() >= 1 && some.size() < 5);
        QVERIFY(store->pending(0, 1 << 20).empty());
        QCOMPARE(store->pendingCount(), std::size_t{5});
    }

    // An erasure deletes every phone of a customer with one tombstone keyed "<customer>/*", so
    // the server's change log keeps no phone number (docs/sync-protocol.md, "Tombstones").
    void wildcardTombstoneDeletesEveryRowOfItsPrefix()
    {
        auto store = openStore();
        QVERIFY(store);
        const auto phone = [](int customerN, const std::string& number, std::int64_t version) {
            return SyncRow{"customer_phones",
                           uuid(customerN) + "/" + number,
                           version,
                           false,
                           {{"customer_id", uuid(customerN)},
                            {"number", number},
                            {"label", std::string("mobile")}},
                           {},
                           {}};
        };
        QVERIFY(store
                    ->applyChanges(page(1, 5,
                                        {customer(1, "Ann", 1), customer(2, "Bea", 2),
                                         phone(1, "+15551230001", 3), phone(1, "+15551230002", 4),
                                         phone(2, "+15551230003", 5)}))
                    .ok());
        // A phone deleted here, the delete not yet sent: only the rebase state remembers it.
        const auto deleted =
            store->write("customer_phones", Op::Delete, uuid(1) + "/+15551230002", {}, kNow);
        QVERIFY(deleted.ok());
        // A local phone of customer 1 still waiting to be sent stays until the server answers
        // it (the server refuses it for an erased customer, and the refusal rolls it back).
        QVERIFY(store
                    ->write("customer_phones", Op::Insert, uuid(1) + "/+15551230009",
                            {{"customer_id", uuid(1)},
                             {"number", std::string("+15551230009")},
                             {"label", std::string("work")}},
                            kNow)
                    .ok());
        const auto applied =
            store->applyChanges(page(6, 6, {tombstone("customer_phones", uuid(1) + "/*", 6)}));
        QVERIFY2(applied.ok(), applied.ok() ? "" : applied.error().c_str());
        const auto left = store->rowsWhere("customer_phones", "customer_id", {Value{uuid(1)}});
        QCOMPARE(left.size(), std::size_t(1));
        QCOMPARE(left[0].first, uuid(1) + "/+15551230009");
        QCOMPARE(store->pendingCount(), std::size_t(2));
        // The server refuses the delete (the customer is gone): rolling it back must not bring
        // the erased number back.
        store->applyPushResult(answer(deleted.value(), MutationStatus::Rejected, "erased"), kNow);
        QVERIFY(!store->row("customer_phones", uuid(1) + "/+15551230002"));
        QCOMPARE(store->rowsWhere("customer_phones", "customer_id", {Value{uuid(2)}}).size(),
                 std::size_t(1));
        QCOMPARE(store->cursor(), std::int64_t(6));
        QCOMPARE(scalar(store->handle(),
                        "SELECT COUNT(*) FROM customer_phones WHERE number = '+15551230001'"),
                 std::int64_t(0));

        // A wildcard that is not one: a malformed prefix, or an entity keyed by one field.
        QVERIFY(!store->applyChanges(page(7, 7, {tombstone("customer_phones", "nope/*", 7)})).ok());
        QVERIFY(!store->applyChanges(page(7, 7, {tombstone("customers", uuid(2) + "/*", 7)})).ok());
        QCOMPARE(store->cursor(), std::int64_t(6));
        QVERIFY(store->row("customers", uuid(2)));
    }

    void applyChangesInsertsUpdatesAndTombstones()
    {
        auto store = openStore();
        QVERIFY(store);
        SyncRow withExtra = customer(2, "Bea", 2);
        withExtra.fields.push_back({"loyalty_tier", std::string("gold")}); // a newer server's
        SyncRow phone{"customer_phones",
                      uuid(1) + "/+15551234567",
                      3,
                      false,
                      {{"customer_id", uuid(1)},
                       {"number", std::string("+15551234567")},
                       {"label", std::string("home")}},
                      {},
                      {}};
        SyncRow widget{"widgets", "w1", 3, false, {{"id", std::string("w1")}}, {}, {}};
        SyncRow location{"locations",
                         uuid(50),
                         3,
                         false,
                         {{"id", uuid(50)},
                          {"region_id", Null{}},
                          {"code", std::string("S1")},
                          {"name", std::string("Store 1")},
                          {"timezone", std::string("Europe/London")},
                          {"main_phone", std::string("+442071234567")},
                          {"address", std::string("1 High St")},
                          {"latitude", std::int64_t{51}},
                          {"longitude", -0.1}},
                         {},
                         {}};
        auto first = store->applyChanges(page(
            1, 3, {customer(1, "Ann", 1), withExtra, phone, widget, location}, false, "scope-1"));
        QVERIFY2(first.ok(), first.ok() ? "" : first.error().c_str());
        QCOMPARE(first->rows, std::size_t{4});
        QCOMPARE(first->acknowledged, std::size_t{0});
        QCOMPARE(first->entities,
                 (std::vector<std::string>{"locations", "customers", "customer_phones"}));
        QCOMPARE(store->cursor(), 3);
        QCOMPARE(store->scopeKey(), std::string("scope-1"));
        QCOMPARE(store->rowCount("customers"), std::size_t{2});
        QCOMPARE(str(store->row("customers", uuid(2)), "display_name"), std::string("Bea"));
        QCOMPARE(str(store->row("customers", uuid(2)), "marketing_consent"),
                 std::string("<false>"));
        QCOMPARE(str(store->row("customer_phones", uuid(1) + "/+15551234567"), "label"),
                 std::string("home"));
        const auto loc = store->row("locations", uuid(50));
        QVERIFY(loc);
        QVERIFY(std::holds_alternative<double>(*cc::sync::find(*loc, "latitude")));
        QCOMPARE(std::get<double>(*cc::sync::find(*loc, "latitude")), 51.0);
        QCOMPARE(std::get<double>(*cc::sync::find(*loc, "longitude")), -0.1);
        QCOMPARE(str(loc, "region_id"), std::string("<null>"));

        auto second =
            store->applyChanges(page(4, 5,
                                     {customer(1, "Ann Smith", 4, std::string("ann@example.com")),
                                      tombstone("customers", uuid(2), 5)}));
        QVERIFY(second.ok());
        QCOMPARE(second->rows, std::size_t{2});
        QCOMPARE(second->entities, std::vector<std::string>{"customers"});
        QCOMPARE(store->cursor(), 5);
        QCOMPARE(store->scopeKey(), std::string("scope-1")); // kept: the page had none
        QCOMPARE(store->rowCount("customers"), std::size_t{1});
        QVERIFY(!store->row("customers", uuid(2)));
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann Smith"));
        QCOMPARE(str(store->row("customers", uuid(1)), "email"), std::string("ann@example.com"));

        // A page that is not newer does not move the cursor back.
        QVERIFY(store->applyChanges(page(2, 2, {})).ok());
        QCOMPARE(store->cursor(), 5);
        // The server's hlc was taken in.
        QCOMPARE(store->lastHlc().wallMs, kNow);

        // rows(): ordered by key.
        QVERIFY(
            store->applyChanges(page(6, 7, {customer(9, "Zoe", 6), customer(3, "Cy", 7)})).ok());
        const auto all = store->rows("customers");
        QCOMPARE(all.size(), std::size_t{3});
        QCOMPARE(all[0].first, uuid(1));
        QCOMPARE(all[1].first, uuid(3));
        QCOMPARE(all[2].first, uuid(9));
        QCOMPARE(str(all[2].second, "display_name"), std::string("Zoe"));
        QVERIFY(store->rows("widgets").empty());
        QVERIFY(!store->row("widgets", "w1"));
    }

    void resetKeepsOutboxAndLocalRows()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(
            store->applyChanges(page(1, 2, {customer(1, "Ann", 1), customer(2, "Bea", 2)})).ok());
        QVERIFY(!insertCustomer(*store, 3, "Local Cy").empty());
        QVERIFY(!updateCustomer(*store, 1, "display_name", std::string("Local Ann")).empty());

        auto reset = store->applyChanges(page(1, 10, {customer(4, "Dee", 10)}, true, "scope-2"));
        QVERIFY2(reset.ok(), reset.ok() ? "" : reset.error().c_str());
        QCOMPARE(reset->entities.size(), cc::sync::entities().size()); // every table emptied
        QCOMPARE(store->cursor(), 10);
        QCOMPARE(store->scopeKey(), std::string("scope-2"));
        QVERIFY(!store->row("customers", uuid(2))); // dropped
        QCOMPARE(str(store->row("customers", uuid(4)), "display_name"), std::string("Dee"));
        QCOMPARE(str(store->row("customers", uuid(3)), "display_name"), std::string("Local Cy"));
        QVERIFY(!store->row("customers", uuid(1))); // its base is not here yet
        QCOMPARE(store->pendingCount(), std::size_t{2});

        // The next page of the snapshot brings it back, with the local edit on top.
        auto next = store->applyChanges(
            page(11, 11, {customer(1, "Server Ann", 11, std::string("ann@example.com"))}));
        QVERIFY(next.ok());
        const auto ann = store->row("customers", uuid(1));
        QCOMPARE(str(ann, "display_name"), std::string("Local Ann"));
        QCOMPARE(str(ann, "email"), std::string("ann@example.com"));
        QCOMPARE(store->rowCount("customers"), std::size_t{3});
        QCOMPARE(store->cursor(), 11);
    }

    void serverChangeRebasesPendingEdit()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 1, {customer(1, "Ann", 1, std::string("old@x.org"))}))
                    .ok());
        const std::string m1 = updateCustomer(*store, 1, "display_name", std::string("Annie"));
        QVERIFY(!m1.empty());
        QCOMPARE(baseCount(*store), 1);

        auto r = store->applyChanges(page(2, 2, {customer(1, "Ann", 2, std::string("new@x.org"))}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{0});
        auto row = store->row("customers", uuid(1));
        QCOMPARE(str(row, "display_name"), std::string("Annie")); // ours, still pending
        QCOMPARE(str(row, "email"), std::string("new@x.org"));    // theirs
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QVERIFY(text(store->handle(), "SELECT fields FROM sync_base").find("new@x.org") !=
                std::string::npos);

        store->applyPushResult(answer(m1, MutationStatus::Applied), kNow);
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Annie"));
        // A tombstone from the server under a pending update: the row goes.
        QVERIFY(!updateCustomer(*store, 1, "email", std::string("mine@x.org")).empty());
        QVERIFY(store->applyChanges(page(3, 3, {tombstone("customers", uuid(1), 3)})).ok());
        QVERIFY(!store->row("customers", uuid(1)));
        QCOMPARE(store->pendingCount(), std::size_t{1});
    }

    void streamAcknowledgesMutations()
    {
        auto store = openStore();
        QVERIFY(store);
        const std::string m1 = insertCustomer(*store, 1, "Ann");
        const std::string m2 = updateCustomer(*store, 1, "email", std::string("ann@x.org"));
        QCOMPARE(store->pendingCount(), std::size_t{2});

        auto r = store->applyChanges(page(1, 1, {customer(1, "Ann", 1, Null{}, m1)}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{1});
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(store->pending(10, 1 << 20)[0].id, m2);
        QCOMPARE(str(store->row("customers", uuid(1)), "email"), std::string("ann@x.org"));
        QCOMPARE(str(store->row("customers", uuid(1)), "sms_consent"), std::string("<true>"));

        r = store->applyChanges(page(2, 2, {customer(1, "Ann", 2, std::string("ann@x.org"), m2)}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{1});
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(str(store->row("customers", uuid(1)), "email"), std::string("ann@x.org"));

        // A later mutation's row acknowledges the earlier entries of the same row too.
        const std::string m3 = insertCustomer(*store, 2, "Bea");
        const std::string m4 = updateCustomer(*store, 2, "display_name", std::string("Beatrice"));
        const std::string m5 = insertCustomer(*store, 3, "Cy");
        r = store->applyChanges(page(3, 3, {customer(2, "Beatrice", 3, Null{}, m4)}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{2});
        QCOMPARE(store->pendingCount(), std::size_t{1});
        // The outbox first, then the acknowledged entries whose answers have not come.
        QCOMPARE(ids(store->pending(10, 1 << 20)), (std::vector<std::string>{m5, m1, m2, m3, m4}));
        QCOMPARE(baseCount(*store), 1); // customer 3's
        QCOMPARE(acknowledgedCount(*store), 4);
        // The answers for acknowledged mutations still count: a rejection is listed, and nothing
        // is rolled back (the stream's row is the server's).
        PushResult late = answer(m3, MutationStatus::Rejected, "late");
        late.results.push_back(MutationResult{m4, MutationStatus::Applied, 3, {}, {}});
        store->applyPushResult(late, kNow);
        const auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{1});
        QCOMPARE(conflicts[0].kind, std::string("rejected"));
        QCOMPARE(conflicts[0].mutationId, m3);
        QCOMPARE(conflicts[0].reason, std::string("late"));
        QCOMPARE(conflicts[0].fields,
                 (std::vector<std::string>{"id", "display_name", "created_at"}));
        QCOMPARE(str(store->row("customers", uuid(2)), "display_name"), std::string("Beatrice"));
        QCOMPARE(ids(store->pending(10, 1 << 20)), (std::vector<std::string>{m5, m1, m2}));
        QCOMPARE(store->pendingCount(), std::size_t{1});
    }

    // The reviewer's case: after a reconnect the catch-up page acknowledges a mutation before
    // the push_result that says a newer write elsewhere kept one of its fields.
    void streamAcknowledgementKeepsOverriddenConflict()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(
            store->applyChanges(page(1, 1, {customer(1, "Ann", 1, std::string("a@x.org"))})).ok());
        auto m1 = store->write(
            "customers", Op::Update, uuid(1),
            {{"display_name", std::string("Bob")}, {"email", std::string("bob@x.org")}}, kNow);
        QVERIFY(m1.ok());
        const auto sent = store->pending(10, 1 << 20);
        QCOMPARE(sent.size(), std::size_t{1});

        const std::int64_t before = wallClockMs();
        auto r =
            store->applyChanges(page(2, 2, {customer(1, "Zed", 2, std::string("bob@x.org"), *m1)}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{1});
        QCOMPARE(store->pendingCount(), std::size_t{0}); // not a pending write any more
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(acknowledgedCount(*store), 1);
        const std::int64_t at = scalar(store->handle(), "SELECT acknowledged_ms FROM acknowledged");
        QVERIFY(at >= before && at <= wallClockMs());
        // Still asked about, exactly as first sent (the server recognises it by id and content).
        QVERIFY(store->pending(10, 1 << 20) == sent);
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Zed"));

        const PushResult result = answer(*m1, MutationStatus::Applied, {}, {"display_name"});
        store->applyPushResult(result, kNow + 9);
        auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{1});
        QCOMPARE(conflicts[0].kind, std::string("overridden"));
        QCOMPARE(conflicts[0].entity, std::string("customers"));
        QCOMPARE(conflicts[0].key, uuid(1));
        QCOMPARE(conflicts[0].mutationId, *m1);
        QCOMPARE(conflicts[0].fields, std::vector<std::string>{"display_name"});
        QVERIFY(!conflicts[0].reason.empty());
        QCOMPARE(conflicts[0].atMs, kNow + 9);
        QCOMPARE(acknowledgedCount(*store), 0);
        QVERIFY(store->pending(10, 1 << 20).empty());
        const auto row = store->row("customers", uuid(1));
        QCOMPARE(str(row, "display_name"), std::string("Zed"));
        QCOMPARE(str(row, "email"), std::string("bob@x.org"));
        QCOMPARE(store->lastHlc().wallMs, kNow + 100); // the answer's clock was taken in

        // The same answer again (a re-sent push) records nothing more.
        store->applyPushResult(result, kNow + 10);
        QCOMPARE(store->conflicts().size(), std::size_t{1});
        // An applied answer without overridden fields records nothing.
        const std::string m2 = updateCustomer(*store, 1, "display_name", std::string("Zoe"));
        QVERIFY(store->applyChanges(page(3, 3, {customer(1, "Zoe", 3, Null{}, m2)})).ok());
        QCOMPARE(acknowledgedCount(*store), 1);
        store->applyPushResult(answer(m2, MutationStatus::Applied), kNow);
        QCOMPARE(store->conflicts().size(), std::size_t{1});
        QCOMPARE(acknowledgedCount(*store), 0);
    }

    // The acknowledgement also removes the earlier entries of the row, one of which the server
    // rejected: its rejection is still listed. Acknowledged entries take no part in rebases, and
    // a rejected entry still in the outbox is rolled back as before.
    void streamAcknowledgementKeepsEarlierRejection()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(
            store->applyChanges(page(1, 1, {customer(1, "Ann", 1, std::string("a@x.org"))})).ok());
        const std::string m1 = updateCustomer(*store, 1, "display_name", std::string("Bob"));
        const std::string m2 = updateCustomer(*store, 1, "email", std::string("bob@x.org"));
        const std::string m3 = updateCustomer(*store, 1, "sms_consent", false);
        QVERIFY(!m1.empty() && !m2.empty() && !m3.empty());

        // The server rejected m1 and applied m2; m3 was written after that push.
        auto r =
            store->applyChanges(page(2, 2, {customer(1, "Ann", 2, std::string("bob@x.org"), m2)}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{2});
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(acknowledgedCount(*store), 2);
        QCOMPARE(baseCount(*store), 1);
        auto row = store->row("customers", uuid(1));
        QCOMPARE(str(row, "display_name"), std::string("Ann")); // m1 is not replayed
        QCOMPARE(str(row, "email"), std::string("bob@x.org"));
        QCOMPARE(str(row, "sms_consent"), std::string("<false>")); // m3 is
        // The outbox first, then the acknowledged entries, within the same bounds.
        QCOMPARE(ids(store->pending(10, 1 << 20)), (std::vector<std::string>{m3, m1, m2}));
        QCOMPARE(ids(store->pending(2, 1 << 20)), (std::vector<std::string>{m3, m1}));
        QCOMPARE(ids(store->pending(10, 1)), std::vector<std::string>{m3});
        QVERIFY(store->pending(0, 1 << 20).empty());

        // A later server change rebases m3 only.
        QVERIFY(store->applyChanges(page(3, 3, {customer(1, "Ann B", 3, std::string("bob@x.org"))}))
                    .ok());
        row = store->row("customers", uuid(1));
        QCOMPARE(str(row, "display_name"), std::string("Ann B"));
        QCOMPARE(str(row, "sms_consent"), std::string("<false>"));
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(acknowledgedCount(*store), 2);

        // The answer to the push pending() made: m3 is refused too.
        PushResult result = answer(m3, MutationStatus::Rejected, "customers.sms_consent is locked");
        result.results.push_back(MutationResult{
            m1, MutationStatus::Rejected, 0, "customers.display_name is locked", {}});
        result.results.push_back(MutationResult{m2, MutationStatus::Applied, 2, {}, {}});
        store->applyPushResult(result, kNow + 3);
        row = store->row("customers", uuid(1));
        QCOMPARE(str(row, "display_name"), std::string("Ann B"));
        QCOMPARE(str(row, "email"), std::string("bob@x.org"));
        QCOMPARE(str(row, "sms_consent"), std::string("<true>")); // m3 rolled back
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(acknowledgedCount(*store), 0);
        QVERIFY(store->pending(10, 1 << 20).empty());
        const auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{2});
        QCOMPARE(conflicts[0].kind, std::string("rejected"));
        QCOMPARE(conflicts[0].mutationId, m3);
        QCOMPARE(conflicts[0].fields, std::vector<std::string>{"sms_consent"});
        QCOMPARE(conflicts[1].kind, std::string("rejected"));
        QCOMPARE(conflicts[1].entity, std::string("customers"));
        QCOMPARE(conflicts[1].key, uuid(1));
        QCOMPARE(conflicts[1].mutationId, m1);
        QCOMPARE(conflicts[1].reason, std::string("customers.display_name is locked"));
        QCOMPARE(conflicts[1].fields, std::vector<std::string>{"display_name"});
        QCOMPARE(conflicts[1].atMs, kNow + 3);
    }

    // An answer lost with its connection is asked for again after a restart; entries left
    // unanswered for more than 30 days are dropped when the file is opened.
    void acknowledgedEntriesSurviveReopenAndArePruned()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("cache.sqlite").toStdString();
        const std::int64_t day = std::int64_t{24} * 60 * 60 * 1000;
        std::string m1;
        std::string m2;
        std::string m3;
        std::vector<Mutation> sent;
        {
            auto store = openStore(path);
            QVERIFY(store);
            QVERIFY(
                store
                    ->applyChanges(page(
                        1, 3, {customer(1, "Ann", 1), customer(2, "Bea", 2), customer(3, "Cy", 3)}))
                    .ok());
            m1 = updateCustomer(*store, 1, "display_name", std::string("Ann 1"));
            m2 = updateCustomer(*store, 2, "display_name", std::string("Bea 2"));
            m3 = updateCustomer(*store, 3, "display_name", std::string("Cy 3"));
            sent = store->pending(10, 1 << 20);
            QCOMPARE(ids(sent), (std::vector<std::string>{m1, m2, m3}));
            auto r = store->applyChanges(
                page(4, 6,
                     {customer(1, "Ann 1", 4, Null{}, m1), customer(2, "Bea 2", 5, Null{}, m2),
                      customer(3, "Cy 3", 6, Null{}, m3)}));
            QVERIFY(r.ok());
            QCOMPARE(r->acknowledged, std::size_t{3});
            const std::int64_t now = wallClockMs();
            sqlite3* db = store->handle();
            QVERIFY(execAll(
                db, {"UPDATE acknowledged SET acknowledged_ms = " + std::to_string(now - 31 * day) +
                         " WHERE mutation_id = '" + m1 + "'",
                     "UPDATE acknowledged SET acknowledged_ms = " + std::to_string(now - 29 * day) +
                         " WHERE mutation_id = '" + m2 + "'"}));
        }
        auto store = openStore(path);
        QVERIFY(store);
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(acknowledgedCount(*store), 2);
        const std::vector<Mutation> expected{sent[1], sent[2]};
        QVERIFY(store->pending(10, 1 << 20) == expected);

        PushResult result = answer(m1, MutationStatus::Rejected, "gone"); // dropped: ignored
        result.results.push_back(MutationResult{m2, MutationStatus::Rejected, 0, "no", {}});
        result.results.push_back(
            MutationResult{m3, MutationStatus::Applied, 6, {}, {"display_name"}});
        store->applyPushResult(result, kNow);
        const auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{2});
        QCOMPARE(conflicts[0].mutationId, m2);
        QCOMPARE(conflicts[0].kind, std::string("rejected"));
        QCOMPARE(conflicts[1].mutationId, m3);
        QCOMPARE(conflicts[1].kind, std::string("overridden"));
        QCOMPARE(acknowledgedCount(*store), 0);
        QVERIFY(store->pending(10, 1 << 20).empty());
        QCOMPARE(str(store->row("customers", uuid(2)), "display_name"), std::string("Bea 2"));
    }

    // A file written by the first schema upgrades in place and keeps everything.
    void upgradesV1File()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("v1.sqlite").toStdString();
        QVERIFY(makeV1File(path));
        const std::string m1 = uuid(101);
        const std::string m2 = uuid(102);
        {
            auto store = openStore(path);
            QVERIFY(store);
            sqlite3* db = store->handle();
            QCOMPARE(scalar(db, "PRAGMA user_version"), 7);
            // v4: the presence table, and the fields calls and tasks gained, each with the
            // hidden version column.
            QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('presence') WHERE name "
                                "IN ('user_id', 'activity', 'online', 'sync_version')"),
                     4);
            QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('calls') WHERE name IN "
                                "('offered_to', 'need', 'routing_reason', 'recording_seconds')"),
                     4);
            QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('tasks') WHERE name = "
                                "'escalated_at'"),
                     1);
            QCOMPARE(acknowledgedCount(*store), 0);
            QCOMPARE(store->cursor(), 5);
            QCOMPARE(store->scopeKey(), std::string("scope-v1"));
            QCOMPARE(store->lastHlc().counter, 2u);
            QCOMPARE(store->pendingCount(), std::size_t{2});
            const auto pending = store->pending(10, 1 << 20);
            QCOMPARE(ids(pending), (std::vector<std::string>{m1, m2}));
            QCOMPARE(pending[1].hlc, std::string("1700000000000-000002-dev-1"));
            QCOMPARE(str(pending[1].fields, "email"), std::string("bob@x.org"));
            QCOMPARE(store->conflicts().size(), std::size_t{1});
            const auto row = store->row("customers", uuid(1));
            QCOMPARE(str(row, "display_name"), std::string("Bob"));
            QCOMPARE(str(row, "sms_consent"), std::string("<true>"));

            // The reviewer's case on the upgraded file: m1 was rejected, m2 applied, and the
            // catch-up page comes before the answer.
            auto r = store->applyChanges(
                page(6, 6, {customer(1, "Ann", 6, std::string("bob@x.org"), m2)}));
            QVERIFY(r.ok());
            QCOMPARE(r->acknowledged, std::size_t{2});
            QCOMPARE(store->pendingCount(), std::size_t{0});
            QCOMPARE(baseCount(*store), 0);
            QCOMPARE(ids(store->pending(10, 1 << 20)), (std::vector<std::string>{m1, m2}));
        }
        auto store = openStore(path); // opening again migrates nothing
        QVERIFY(store);
        QCOMPARE(scalar(store->handle(), "PRAGMA user_version"), 7);
        QCOMPARE(acknowledgedCount(*store), 2);
        PushResult result =
            answer(m1, MutationStatus::Rejected, "customers.display_name is locked");
        result.results.push_back(MutationResult{m2, MutationStatus::Applied, 6, {}, {}});
        store->applyPushResult(result, kNow);
        const auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{2});
        QCOMPARE(conflicts[1].kind, std::string("rejected"));
        QCOMPARE(conflicts[1].mutationId, m1);
        QCOMPARE(conflicts[1].fields, std::vector<std::string>{"display_name"});
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann"));
        QCOMPARE(acknowledgedCount(*store), 0);
        QVERIFY(store->pending(10, 1 << 20).empty());
    }

    // A file written by the v2 schema upgrades in place and keeps everything; its rows and bases
    // have no known server version (0) until the stream brings them again.
    void upgradesV2File()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("v2.sqlite").toStdString();
        QVERIFY(makeV2File(path));
        const std::string m1 = uuid(101);
        const std::string m2 = uuid(102);
        const std::string m3 = uuid(103);
        {
            auto store = openStore(path);
            QVERIFY(store);
            sqlite3* db = store->handle();
            QCOMPARE(scalar(db, "PRAGMA user_version"), 7);
            for (const auto& e : cc::sync::entities()) {
                QCOMPARE(scalar(db, "SELECT COUNT(*) FROM pragma_table_info('" +
                                        std::string(e.name) + "') WHERE name = 'sync_version'"),
                         1);
            }
            QCOMPARE(scalar(db, "SELECT COUNT(*) FROM customers WHERE sync_version = 0"), 2);
            QCOMPARE(baseVersion(*store, "customers", 1), 0);
            QCOMPARE(store->cursor(), 5);
            QCOMPARE(store->scopeKey(), std::string("scope-v1"));
            QCOMPARE(store->lastHlc().counter, 2u);
            QCOMPARE(store->pendingCount(), std::size_t{2});
            QCOMPARE(acknowledgedCount(*store), 1);
            QCOMPARE(ids(store->pending(10, 1 << 20)), (std::vector<std::string>{m1, m2, m3}));
            QCOMPARE(store->conflicts().size(), std::size_t{1});
            QCOMPARE(store->rowCount("customers"), std::size_t{2});
            const auto row = store->row("customers", uuid(1));
            QCOMPARE(row->size(), std::size_t{6});
            QCOMPARE(str(row, "display_name"), std::string("Bob"));
            QCOMPARE(str(row, "email"), std::string("bob@x.org"));
            QCOMPARE(str(store->row("customers", uuid(3)), "display_name"), std::string("Cy"));

            // A base of unknown version is older than any answer: the write is folded in.
            store->applyPushResult(applied(m1, 6), kNow);
            QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Bob"));
            QCOMPARE(store->pendingCount(), std::size_t{1});
            QVERIFY(text(db, "SELECT fields FROM sync_base").find("Bob") != std::string::npos);
            // The stream brings the row with its version.
            auto r = store->applyChanges(
                page(6, 7, {customer(1, "Bob", 7, std::string("bob@x.org"), m2)}));
            QVERIFY(r.ok());
            QCOMPARE(r->acknowledged, std::size_t{1});
            QCOMPARE(baseCount(*store), 0);
            QCOMPARE(rowVersion(*store, "customers", 1), 7);
        }
        auto store = openStore(path); // opening again migrates nothing
        QVERIFY(store);
        QCOMPARE(scalar(store->handle(), "PRAGMA user_version"), 7);
        QCOMPARE(rowVersion(*store, "customers", 1), 7);
        QCOMPARE(rowVersion(*store, "customers", 3), 0);
        QCOMPARE(ids(store->pending(10, 1 << 20)), (std::vector<std::string>{m3, m2}));
        PushResult result = applied(m3, 4);
        result.results.push_back(MutationResult{m2, MutationStatus::Applied, 7, {}, {}});
        store->applyPushResult(result, kNow);
        QCOMPARE(acknowledgedCount(*store), 0);
        QVERIFY(store->pending(10, 1 << 20).empty());
        QCOMPARE(store->conflicts().size(), std::size_t{1});
        QCOMPARE(str(store->row("customers", uuid(3)), "display_name"), std::string("Cy"));
    }

    void rejectedUpdateRollsBack()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 1, {customer(1, "Ann", 1)})).ok());
        const std::string m1 = updateCustomer(*store, 1, "display_name", std::string("Bob"));
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Bob"));

        store->applyPushResult(
            answer(m1, MutationStatus::Rejected, "customers.display_name is locked"), kNow + 5);
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann"));
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{1});
        QCOMPARE(conflicts[0].kind, std::string("rejected"));
        QCOMPARE(conflicts[0].entity, std::string("customers"));
        QCOMPARE(conflicts[0].key, uuid(1));
        QCOMPARE(conflicts[0].mutationId, m1);
        QCOMPARE(conflicts[0].reason, std::string("customers.display_name is locked"));
        QCOMPARE(conflicts[0].fields, std::vector<std::string>{"display_name"});
        QCOMPARE(conflicts[0].atMs, kNow + 5);
        // The server's clock was taken in.
        QCOMPARE(store->lastHlc().wallMs, 1'700'000'000'100);
        QVERIFY(store->dismissConflict(conflicts[0].id));
        QVERIFY(!store->dismissConflict(conflicts[0].id));
        QVERIFY(store->conflicts().empty());
    }

    void rejectedInsertRemovesRow()
    {
        auto store = openStore();
        QVERIFY(store);
        const std::string m1 = insertCustomer(*store, 5, "Eve");
        QCOMPARE(store->rowCount("customers"), std::size_t{1});
        store->applyPushResult(answer(m1, MutationStatus::Rejected, "no"), kNow);
        QVERIFY(!store->row("customers", uuid(5)));
        QCOMPARE(store->rowCount("customers"), std::size_t{0});
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        const auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{1});
        QCOMPARE(conflicts[0].kind, std::string("rejected"));
        QCOMPARE(conflicts[0].fields,
                 (std::vector<std::string>{"id", "display_name", "created_at"}));
    }

    void rejectionKeepsLaterWrites()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(
            store->applyChanges(page(1, 1, {customer(1, "Ann", 1, std::string("a@x.org"))})).ok());
        const std::string m1 = updateCustomer(*store, 1, "display_name", std::string("Bob"));
        const std::string m2 = updateCustomer(*store, 1, "email", std::string("bob@x.org"));
        store->applyPushResult(answer(m1, MutationStatus::Rejected, "no"), kNow);
        auto row = store->row("customers", uuid(1));
        QCOMPARE(str(row, "display_name"), std::string("Ann"));
        QCOMPARE(str(row, "email"), std::string("bob@x.org"));
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(baseCount(*store), 1);
        store->applyPushResult(answer(m2, MutationStatus::Applied), kNow);
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(str(store->row("customers", uuid(1)), "email"), std::string("bob@x.org"));
        QCOMPARE(store->conflicts().size(), std::size_t{1});
    }

    void appliedEntryStaysWhenALaterOneIsRejected()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(
            store->applyChanges(page(1, 1, {customer(1, "Ann", 1, std::string("a@x.org"))})).ok());
        const std::string m1 = updateCustomer(*store, 1, "display_name", std::string("Bob"));
        const std::string m2 = updateCustomer(*store, 1, "email", std::string("bob@x.org"));
        const std::string m3 = updateCustomer(*store, 1, "sms_consent", false);
        PushResult r = answer(m1, MutationStatus::Applied);
        r.results.push_back(MutationResult{m2, MutationStatus::Applied, 8, {}, {"email"}});
        r.results.push_back(MutationResult{m3, MutationStatus::Rejected, 0, "no", {}});
        store->applyPushResult(r, kNow);
        const auto row = store->row("customers", uuid(1));
        QCOMPARE(str(row, "display_name"), std::string("Bob"));   // applied by the server
        QCOMPARE(str(row, "email"), std::string("a@x.org"));      // a newer write kept theirs
        QCOMPARE(str(row, "sms_consent"), std::string("<true>")); // rejected: rolled back
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        const auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{2});
        QCOMPARE(conflicts[0].kind, std::string("overridden"));
        QCOMPARE(conflicts[1].kind, std::string("rejected"));
        QCOMPARE(conflicts[1].fields, std::vector<std::string>{"sms_consent"});
    }

    void overriddenIsListed()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 1, {customer(1, "Ann", 1)})).ok());
        const std::string m1 = updateCustomer(*store, 1, "display_name", std::string("Bob"));
        PushResult r = answer(m1, MutationStatus::Applied, {}, {"display_name"});
        r.results.push_back(MutationResult{uuid(777), MutationStatus::Applied, 9, {}, {"email"}});
        store->applyPushResult(r, kNow);
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        // The newer write elsewhere kept the field: the row shows the server's value again, with
        // no change on its way to say so (the server's row did not change).
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann"));
        const auto conflicts = store->conflicts();
        QCOMPARE(conflicts.size(), std::size_t{1}); // the unknown id is ignored
        QCOMPARE(conflicts[0].kind, std::string("overridden"));
        QCOMPARE(conflicts[0].mutationId, m1);
        QCOMPARE(conflicts[0].fields, std::vector<std::string>{"display_name"});
        QVERIFY(!conflicts[0].reason.empty());
    }

    // The convergence property test's divergence: the answer to a push was lost after the server
    // applied it (v150), another device then changed the row (v188), and the re-sent push gets
    // the first decision back (applied, nothing overridden) with the row's version at answer time
    // (188). The base from the catch-up page is that version already: the write is not folded
    // into it again, and the row shows the server's value.
    void resentAnswerKeepsNewerServerRow()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 100, {task(1, "first", 100)})).ok());
        QCOMPARE(rowVersion(*store, "tasks", 1), 100);
        const std::string m = updateTask(*store, 1, "title", std::string("168"));
        QVERIFY(!m.empty());
        QCOMPARE(baseVersion(*store, "tasks", 1), 100); // the row's version, copied
        const auto sent = store->pending(10, 1 << 20);
        QCOMPARE(ids(sent), std::vector<std::string>{m});

        // Reconnect: the catch-up page brings the other device's write (not carrying m).
        auto r = store->applyChanges(page(101, 188, {task(1, "286", 188, uuid(900))}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{0});
        QCOMPARE(str(store->row("tasks", uuid(1)), "title"), std::string("168")); // rebased
        QCOMPARE(baseVersion(*store, "tasks", 1), 188);
        QCOMPARE(rowVersion(*store, "tasks", 1), 188);
        QVERIFY(store->pending(10, 1 << 20) == sent); // re-sent as it was

        store->applyPushResult(applied(m, 188), kNow);
        const auto row = store->row("tasks", uuid(1));
        QCOMPARE(str(row, "title"), std::string("286"));
        QCOMPARE(str(row, "status"), std::string("open"));
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(rowVersion(*store, "tasks", 1), 188);
        QVERIFY(store->conflicts().empty());
        QVERIFY(store->pending(10, 1 << 20).empty());

        // The same with a later entry of the row still pending: that one stays on top of the
        // server's row, the answered one is not folded in.
        const std::string m1 = updateTask(*store, 1, "title", std::string("300"));
        const std::string m2 = updateTask(*store, 1, "status", std::string("done"));
        QCOMPARE(baseVersion(*store, "tasks", 1), 188);
        QVERIFY(store->applyChanges(page(189, 190, {task(1, "400", 190, uuid(901))})).ok());
        store->applyPushResult(applied(m1, 190), kNow);
        auto now = store->row("tasks", uuid(1));
        QCOMPARE(str(now, "title"), std::string("400"));
        QCOMPARE(str(now, "status"), std::string("done"));
        QCOMPARE(store->pendingCount(), std::size_t{1});
        QCOMPARE(baseVersion(*store, "tasks", 1), 190);
        // The stream already brought a version later than the answer's: not folded either.
        QVERIFY(store->applyChanges(page(191, 191, {task(1, "500", 191, uuid(902))})).ok());
        store->applyPushResult(applied(m2, 190), kNow);
        now = store->row("tasks", uuid(1));
        QCOMPARE(str(now, "title"), std::string("500"));
        QCOMPARE(str(now, "status"), std::string("open"));
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(rowVersion(*store, "tasks", 1), 191);
    }

    // The usual case: the answer is newer than the base, the stream has not brought the row at
    // the answer's version yet. The row keeps showing the write (folded into the base, which
    // keeps its version) until the stream's row comes.
    void appliedAnswerNewerThanBaseKeepsWrite()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 10, {task(1, "A", 10)})).ok());
        const std::string m = updateTask(*store, 1, "title", std::string("B"));
        QCOMPARE(baseVersion(*store, "tasks", 1), 10);
        store->applyPushResult(applied(m, 11), kNow);
        QCOMPARE(str(store->row("tasks", uuid(1)), "title"), std::string("B"));
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(rowVersion(*store, "tasks", 1), 10); // the base's: v11 has not come yet
        auto r = store->applyChanges(page(11, 11, {task(1, "B", 11, m)}));
        QVERIFY(r.ok());
        QCOMPARE(r->acknowledged, std::size_t{0}); // answered already
        QCOMPARE(str(store->row("tasks", uuid(1)), "title"), std::string("B"));
        QCOMPARE(rowVersion(*store, "tasks", 1), 11);

        // Two entries answered in one push, both with the row's version at answer time: each
        // is folded (the base keeps the version the stream brought), and a rejected later one
        // still rolls back to them.
        const std::string m1 = updateTask(*store, 1, "title", std::string("C"));
        const std::string m2 = updateTask(*store, 1, "status", std::string("done"));
        const std::string m3 = updateTask(*store, 1, "due_at", kNow + 1000);
        QCOMPARE(baseVersion(*store, "tasks", 1), 11);
        PushResult result = applied(m1, 13);
        result.results.push_back(MutationResult{m2, MutationStatus::Applied, 13, {}, {}});
        result.results.push_back(MutationResult{m3, MutationStatus::Rejected, 0, "no", {}});
        store->applyPushResult(result, kNow);
        const auto row = store->row("tasks", uuid(1));
        QCOMPARE(str(row, "title"), std::string("C"));
        QCOMPARE(str(row, "status"), std::string("done"));
        QCOMPARE(str(row, "due_at"), std::to_string(kNow)); // rolled back
        QCOMPARE(store->pendingCount(), std::size_t{0});
        QCOMPARE(baseCount(*store), 0);
        QCOMPARE(rowVersion(*store, "tasks", 1), 11);
        QCOMPARE(store->conflicts().size(), std::size_t{1});

        // An insert: the base of a row the device did not have has version 0.
        auto inserted = store->write("tasks", Op::Insert, uuid(2),
                                     {{"id", uuid(2)},
                                      {"location_id", uuid(50)},
                                      {"kind", std::string("callback")},
                                      {"title", std::string("New")},
                                      {"due_at", kNow}},
                                     kNow);
        QVERIFY(inserted.ok());
        QCOMPARE(baseVersion(*store, "tasks", 2), 0);
        QCOMPARE(rowVersion(*store, "tasks", 2), 0);
        store->applyPushResult(applied(*inserted, 14), kNow);
        QCOMPARE(str(store->row("tasks", uuid(2)), "title"), std::string("New"));
        QCOMPARE(baseCount(*store), 0);
    }

    // The server version is kept out of sight: row(), rows() and pending() carry the entity's
    // fields only.
    void syncVersionIsHidden()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(
            store->applyChanges(page(1, 42, {customer(1, "Ann", 42), task(2, "Call", 41)})).ok());
        QCOMPARE(rowVersion(*store, "customers", 1), 42);
        QCOMPARE(rowVersion(*store, "tasks", 2), 41);
        const std::string m1 = updateCustomer(*store, 1, "display_name", std::string("Annie"));
        QVERIFY(!insertCustomer(*store, 3, "Cy").empty());
        QCOMPARE(baseVersion(*store, "customers", 1), 42);
        QCOMPARE(rowVersion(*store, "customers", 1), 42);
        const auto hasVersion = [](const Fields& fields) {
            return std::any_of(fields.begin(), fields.end(), [](const auto& f) {
                return f.name.find("version") != std::string::npos;
            });
        };
        for (const auto& e : cc::sync::entities()) {
            for (const auto& [key, fields] : store->rows(e.name)) {
                QCOMPARE(fields.size(), e.fields.size());
                QVERIFY2(!hasVersion(fields), key.c_str());
                const auto one = store->row(e.name, key);
                QVERIFY(one);
                QVERIFY(*one == fields);
            }
        }
        QCOMPARE(store->rows("customers").size(), std::size_t{2});
        const auto ann = store->row("customers", uuid(1));
        QCOMPARE(ann->size(), std::size_t{6});
        QCOMPARE(str(ann, "sync_version"), std::string("<missing>"));
        QCOMPARE(str(ann, "display_name"), std::string("Annie"));
        const auto task2 = store->row("tasks", uuid(2));
        QCOMPARE(task2->size(), std::size_t{12}); // escalated_at (null) came with v4
        QCOMPARE(str(task2, "sync_version"), std::string("<missing>"));
        const auto pending = store->pending(10, 1 << 20);
        QCOMPARE(pending.size(), std::size_t{2});
        QCOMPARE(pending[0].id, m1);
        QCOMPARE(pending[0].fields.size(), std::size_t{1});
        QCOMPARE(pending[1].fields.size(), std::size_t{3});
        for (const auto& m : pending) {
            QVERIFY(!hasVersion(m.fields));
        }
        QVERIFY(text(store->handle(), "SELECT fields FROM outbox").find("version") ==
                std::string::npos);
        QVERIFY(
            text(store->handle(), "SELECT fields FROM sync_base WHERE row_key = '" + uuid(1) + "'")
                .find("version") == std::string::npos);
    }

    void survivesReopen()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("cache.sqlite").toStdString();
        cc::sync::Hlc hlcBefore;
        std::vector<cc::protocol::Mutation> pendingBefore;
        std::vector<std::pair<std::string, Fields>> rowsBefore;
        {
            auto store = openStore(path);
            QVERIFY(store);
            QCOMPARE(text(store->handle(), "PRAGMA journal_mode"), std::string("wal"));
            QVERIFY(
                store->applyChanges(page(1, 42, {customer(1, "Ann", 42)}, false, "scope-a")).ok());
            QVERIFY(!insertCustomer(*store, 2, "Bea").empty());
            const std::string m = updateCustomer(*store, 1, "display_name", std::string("Annie"));
            store->applyPushResult(answer(m, MutationStatus::Rejected, "no"), kNow);
            QVERIFY(!updateCustomer(*store, 1, "email", std::string("a@x.org")).empty());
            store->observeHlc("1700000060000-000007-server", kNow + 60'000);
            hlcBefore = store->lastHlc();
            QCOMPARE(hlcBefore.wallMs, kNow + 60'000);
            pendingBefore = store->pending(100, 1 << 20);
            rowsBefore = store->rows("customers");
        }
        auto store = openStore(path);
        QVERIFY(store);
        QCOMPARE(store->cursor(), 42);
        QCOMPARE(store->scopeKey(), std::string("scope-a"));
        QCOMPARE(store->pendingCount(), std::size_t{2});
        QVERIFY(store->pending(100, 1 << 20) == pendingBefore);
        QVERIFY(store->rows("customers") == rowsBefore);
        QCOMPARE(store->conflicts().size(), std::size_t{1});
        QVERIFY(store->lastHlc() == hlcBefore);
        QCOMPARE(store->lastHlc().node, std::string("dev-1"));
        // The wall clock went back a day; stamps still move forward.
        const std::string m =
            updateCustomer(*store, 2, "email", std::string("b@x.org"), kNow - 86'400'000);
        QVERIFY(!m.empty());
        const auto pending = store->pending(100, 1 << 20);
        QVERIFY(*cc::sync::parseHlc(pending.back().hlc) > hlcBefore);
        // The rebase state survived too: the server's change rebases on the stored base.
        QVERIFY(store->applyChanges(page(43, 43, {customer(1, "Ann 2", 43)})).ok());
        QCOMPARE(str(store->row("customers", uuid(1)), "display_name"), std::string("Ann 2"));
        QCOMPARE(str(store->row("customers", uuid(1)), "email"), std::string("a@x.org"));
    }

    void refusesNewerFileAndBadDeviceId()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("future.sqlite").toStdString();
        {
            auto store = openStore(path);
            QVERIFY(store);
            QCOMPARE(sqlite3_exec(store->handle(), "PRAGMA user_version = 99", nullptr, nullptr,
                                  nullptr),
                     SQLITE_OK);
        }
        auto opened = LocalStore::open(path, "dev-1");
        QVERIFY(!opened.ok());
        QVERIFY2(opened.error().find("newer") != std::string::npos, opened.error().c_str());
        QVERIFY(opened.error().find("99") != std::string::npos);

        QVERIFY(!LocalStore::open(":memory:", "").ok());
        QVERIFY(!LocalStore::open(":memory:", "bad id").ok());
        QVERIFY(!LocalStore::open(":memory:", std::string(65, 'a')).ok());
        QVERIFY(!LocalStore::open(dir.filePath("no/such/dir/x.sqlite").toStdString(), "d").ok());
    }

    void wrongTypesRefuseThePage()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyChanges(page(1, 1, {customer(1, "Ann", 1)}, false, "s")).ok());
        const std::string m = insertCustomer(*store, 7, "Local");
        const auto before = store->rows("customers");
        const auto hlcBefore = store->lastHlc();

        const std::vector<std::pair<std::string, Value>> wrong{
            {"display_name", std::int64_t{5}},
            {"sms_consent", std::string("yes")},
            {"created_at", 1.5},
            {"marketing_consent", std::int64_t{1}},
        };
        for (const auto& [field, value] : wrong) {
            SyncRow bad = customer(1, "Changed", 3);
            for (auto& f : bad.fields) {
                if (f.name == field) {
                    f.value = value;
                }
            }
            bad.hlc = "1700000999000-000000-server";
            auto r = store->applyChanges(
                page(2, 4,
                     {customer(2, "New", 2), customer(7, "Server 7", 3, Null{}, m), bad,
                      tombstone("customers", uuid(1), 4)},
                     true, "other"));
            QVERIFY2(!r.ok(), field.c_str());
            QVERIFY2(r.error().find(field) != std::string::npos, r.error().c_str());
            QVERIFY(store->rows("customers") == before);
            QCOMPARE(store->cursor(), 1);
            QCOMPARE(store->scopeKey(), std::string("s"));
            QCOMPARE(store->pendingCount(), std::size_t{1});
            QCOMPARE(acknowledgedCount(*store), 0); // the acknowledgement was undone too
            QVERIFY(store->lastHlc() == hlcBefore);
        }
        // A malformed key is refused the same way.
        SyncRow badKey = customer(3, "X", 2);
        badKey.key = "NOT-A-UUID";
        QVERIFY(!store->applyChanges(page(2, 2, {badKey})).ok());
        QVERIFY(store->rows("customers") == before);
    }

    void observeHlcBounds()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(!insertCustomer(*store, 1, "Ann").empty());
        const auto start = store->lastHlc();
        store->observeHlc("garbage", kNow);
        QVERIFY(store->lastHlc() == start);
        store->observeHlc("1700000600001-000000-server", kNow); // more than 5 minutes ahead
        QVERIFY(store->lastHlc() == start);
        store->observeHlc("1700000060000-000004-server", kNow); // a minute ahead
        QCOMPARE(store->lastHlc().wallMs, kNow + 60'000);
        QCOMPARE(store->lastHlc().counter, 4u);
        QCOMPARE(store->lastHlc().node, std::string("dev-1"));
        store->observeHlc("1600000000000-000000-server", kNow); // older: no effect
        QCOMPARE(store->lastHlc().wallMs, kNow + 60'000);
        QCOMPARE(text(store->handle(), "SELECT value FROM sync_state WHERE name = 'hlc'"),
                 cc::sync::encode(store->lastHlc()));
    }

    void bootstrap100k()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto store = openStore(dir.filePath("bootstrap.sqlite").toStdString());
        QVERIFY(store);
        constexpr int kPages = 100;
        constexpr int kPerPage = 1000;
        qint64 elapsedNs = 0;
        for (int p = 0; p < kPages; ++p) {
            std::vector<SyncRow> rows;
            rows.reserve(kPerPage);
            for (int i = 0; i < kPerPage; ++i) {
                const int n = p * kPerPage + i + 1;
                rows.push_back(customer(n, "Customer number " + std::to_string(n), n,
                                        std::string("c") + std::to_string(n) + "@example.com"));
            }
            Changes c =
                page(p * kPerPage + 1, (p + 1) * kPerPage, std::move(rows), p == 0, "bootstrap");
            c.complete = p + 1 == kPages;
            QElapsedTimer timer;
            timer.start();
            auto r = store->applyChanges(c);
            elapsedNs += timer.nsecsElapsed();
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
            QCOMPARE(r->rows, std::size_t{kPerPage});
        }
        QCOMPARE(store->rowCount("customers"), std::size_t{kPages * kPerPage});
        QCOMPARE(store->cursor(), kPages * kPerPage);
        const double seconds = static_cast<double>(elapsedNs) / 1e9;
        qInfo("bootstrap: %d rows in %.3f s = %.0f rows/s", kPages * kPerPage, seconds,
              kPages * kPerPage / seconds);
    }
};

QTEST_GUILESS_MAIN(TestLocalStore)
#include "tst_localstore.moc"
