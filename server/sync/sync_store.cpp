#include "server/sync/sync_store.h"

#include "server/db/prepared.h"
#include "shared/domain/cardmask.h"
#include "shared/sync/fields_json.h"
#include "shared/sync/schema.h"

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <cstdio>

namespace json = boost::json;

namespace cc::server::sync {
namespace {

using cc::sync::EntitySpec;
using cc::sync::Fields;
using cc::sync::FieldSpec;
using cc::sync::Kind;
using cc::sync::Op;
using cc::sync::Value;
using Param = std::optional<std::string>;

constexpr std::string_view kLogColumns =
    "entity, row_key, version, deleted, coalesce(data::text, ''), hlc, "
    "coalesce(mutation_id::text, '')";

protocol::SyncRow logRow(const pqxx::row& r)
{
    protocol::SyncRow row;
    row.entity = r[0].as<std::string>();
    row.key = r[1].as<std::string>();
    row.version = r[2].as<std::int64_t>();
    row.deleted = r[3].as<bool>();
    if (!row.deleted) {
        auto fields = cc::sync::fieldsFromJson(r[4].as<std::string>());
        if (!fields) {
            throw std::runtime_error("sync_log holds data that is not a flat JSON object");
        }
        row.fields = std::move(*fields);
    }
    row.hlc = r[5].as<std::string>();
    row.mutationId = r[6].as<std::string>();
    return row;
}

constexpr std::string_view kScopeFilter =
    "(location_ids IS NULL OR ($3 AND location_ids && $4::uuid[]))";

Param toParam(const Value& v)
{
    struct Visitor {
        Param operator()(cc::sync::Null) const { return std::nullopt; }
        Param operator()(bool b) const { return std::string(b ? "true" : "false"); }
        Param operator()(std::int64_t n) const { return std::to_string(n); }
        Param operator()(double d) const
        {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.17g", d);
            return std::string(buf);
        }
        Param operator()(const std::string& s) const { return s; }
    };
    return std::visit(Visitor{}, v);
}

// The SQL expression that turns parameter $n into the column's type.
std::string parameterExpression(const FieldSpec& field, std::size_t n)
{
    const std::string p = "$" + std::to_string(n);
    switch (field.kind) {
    case Kind::Uuid:
        return p + "::uuid";
    case Kind::Bool:
        return p + "::boolean";
    case Kind::Int:
        return p + "::integer";
    case Kind::Real:
        return p + "::double precision";
    case Kind::Timestamp:
        return "to_timestamp(" + p + "::bigint / 1000.0)";
    case Kind::Date:
        return p + "::date";
    case Kind::Time:
        return p + "::time";
    default:
        return p + "::text";
    }
}

// "id = $1::uuid" or "customer_id = $1::uuid AND number = $2::text", parameters appended.
std::string keyCondition(const EntitySpec& entity, const Fields& keyFields,
                         std::vector<Param>& params)
{
    std::string where;
    for (const auto& k : keyFields) {
        if (!where.empty()) {
            where += " AND ";
        }
        params.push_back(toParam(k.value));
        where +=
            std::string(k.name) + " = " + parameterExpression(*entity.field(k.name), params.size());
    }
    return where;
}

std::string contentHash(const protocol::Mutation& m)
{
    // Everything that makes two mutations the same change, unambiguously separated.
    std::string material = m.entity + '\x1f' + m.key + '\x1f' +
                           std::string(cc::sync::toString(m.op)) + '\x1f' + m.hlc + '\x1f';
    for (const auto& f : m.fields) {
        // Card numbers masked first, as the stored text is: not even a hash of one is kept.
        std::string value = toParam(f.value).value_or("");
        if (std::holds_alternative<std::string>(f.value)) {
            value = domain::maskCardNumbers(value);
        }
        material += f.name + '\x1e' + std::to_string(f.value.index()) + '\x1e' +
                    std::to_string(value.size()) + ':' + value + '\x1f';
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(material.data(), material.size(), digest.data(), &length, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

struct Rejection {
    std::string reason;
};

protocol::MutationResult rejected(const std::string& id, std::string reason)
{
    protocol::MutationResult r;
    r.id = id;
    r.status = protocol::MutationStatus::Rejected;
    r.reason = std::move(reason);
    return r;
}

bool customerVisible(pqxx::work& tx, const SyncScope& scope, const std::string& customer)
{
    return !tx.exec_params("SELECT 1 FROM customer_locations WHERE customer_id = $1::uuid AND "
                           "organisation_id = $2 AND location_id = ANY ($3::uuid[])",
                           customer, scope.organisationId, uuidArray(scope.locations))
                .empty();
}

// References to other rows must stay inside the writer's organisation (a foreign key alone would
// accept another organisation's customer).
void checkReferences(pqxx::work& tx, const EntitySpec& entity, const SyncScope& scope,
                     const Fields& fields)
{
    for (const auto& f : fields) {
        const FieldSpec* spec = entity.field(f.name);
        if (spec->references.empty() || cc::sync::isNull(f.value)) {
            continue;
        }
        const auto& id = std::get<std::string>(f.value);
        if (spec->references == "locations") {
            if (!scope.hasLocation(id)) {
                throw Rejection{std::string(entity.name) + "." + f.name +
                                ": that store is not one of yours"};
            }
            continue;
        }
        // Linking a customer or a call shows it (and, for a customer, their history) to the
        // writer's stores: only what those stores already see may be linked.
        if (spec->references == "customers") {
            if (!customerVisible(tx, scope, id)) {
                throw Rejection{std::string(entity.name) + "." + f.name +
                                ": no such customer in your stores"};
            }
            continue;
        }
        if (spec->references == "calls") {
            const pqxx::result call = tx.exec_params(
                "SELECT location_id::text, coalesce(customer_id::text, '') FROM calls WHERE id = "
                "$1::uuid AND organisation_id = $2",
                id, scope.organisationId);
            if (call.empty() || !(scope.hasLocation(call[0][0].as<std::string>()) ||
                                  (!call[0][1].is_null() && !call[0][1].as<std::string>().empty() &&
                                   customerVisible(tx, scope, call[0][1].as<std::string>())))) {
                throw Rejection{std::string(entity.name) + "." + f.name +
                                ": no such call in your stores"};
            }
            continue;
        }
        const std::string sql = "SELECT 1 FROM " + std::string(spec->references) +
                                " WHERE id = $1::uuid AND organisation_id = $2";
        if (tx.exec_params(sql, id, scope.organisationId).empty()) {
            throw Rejection{std::string(entity.name) + "." + f.name + ": no such " +
                            std::string(spec->references).substr(0, spec->references.size() - 1)};
        }
    }
}

struct Applied {
    std::vector<std::string> overridden;
};

Applied applyInsert(pqxx::work& tx, const EntitySpec& entity, const SyncScope& scope,
                    const protocol::Mutation& m, const Fields& fields, const std::string& stamp)
{
    checkReferences(tx, entity, scope, fields);
    const std::string table(entity.name);
    if (table == "customers" && scope.homeLocation.empty()) {
        // Nobody would see a customer created here, not even its creator.
        throw Rejection{"customers: you are not assigned to a store"};
    }
    if (entity.scope == cc::sync::Scope::Store) {
        if (const Value* location = cc::sync::find(fields, "location_id")) {
            if (!scope.hasLocation(std::get<std::string>(*location))) {
                throw Rejection{table + ": that store is not one of yours"};
            }
        } else if (table == "customer_phones") {
            if (!customerVisible(tx, scope,
                                 std::get<std::string>(*cc::sync::find(fields, "customer_id")))) {
                throw Rejection{"customer_phones: that customer is not seen by your stores"};
            }
        }
    }
    std::vector<Param> params{scope.organisationId};
    std::string columns = "organisation_id";
    std::string values = "$1::uuid";
    json::object stamps;
    for (const auto& f : fields) {
        params.push_back(toParam(f.value));
        columns += ", " + f.name;
        values += ", " + parameterExpression(*entity.field(f.name), params.size());
        stamps[f.name] = stamp;
    }
    if (table == "call_notes") {
        params.push_back(scope.userId); // a note's author is whoever wrote it, not what it says
        columns += ", author_id";
        values += ", $" + std::to_string(params.size()) + "::uuid";
    }
    params.push_back(json::serialize(stamps));
    columns += ", sync_hlc";
    values += ", $" + std::to_string(params.size()) + "::jsonb";
    params.push_back(m.id);
    columns += ", sync_mutation";
    values += ", $" + std::to_string(params.size()) + "::uuid";
    const std::string sql = "INSERT INTO " + table + " (" + columns + ") VALUES (" + values +
                            ") ON CONFLICT DO NOTHING";
    const pqxx::result r = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    if (r.affected_rows() == 0) {
        throw Rejection{table + ": a row with this key already exists"};
    }
    if (table == "customers" && !scope.homeLocation.empty()) {
        // A customer created at the counter is seen by that store from the start.
        tx.exec_params("SELECT sync_link_customer($1::uuid, $2::uuid, $3::uuid)",
                       scope.organisationId, m.key, scope.homeLocation);
    }
    return {};
}

// The existing row, locked, and whether the writer may change it.
pqxx::row lockRow(pqxx::work& tx, const EntitySpec& entity, const SyncScope& scope,
                  const Fields& keyFields)
{
    const std::string table(entity.name);
    std::vector<Param> params{scope.organisationId};
    const std::string where = keyCondition(entity, keyFields, params);
    const bool located = entity.field("location_id") != nullptr;
    const bool customer = table == "customers" || table == "customer_phones";
    const std::string sql =
        "SELECT sync_hlc::text, " +
        std::string(located    ? "location_id::text"
                    : customer ? (table == "customers" ? "id::text" : "customer_id::text")
                               : "''") +
        " FROM " + table + " WHERE organisation_id = $1::uuid AND " + where + " FOR UPDATE";
    const pqxx::result r = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    if (r.empty()) {
        throw Rejection{table + ": no such row (it may have been deleted)"};
    }
    const std::string owner = r[0][1].as<std::string>();
    if (located && !scope.hasLocation(owner)) {
        throw Rejection{table + ": that row belongs to a store that is not yours"};
    }
    if (customer && !customerVisible(tx, scope, owner)) {
        throw Rejection{table + ": that customer is not seen by your stores"};
    }
    return r[0];
}

Applied applyUpdate(pqxx::work& tx, const EntitySpec& entity, const SyncScope& scope,
                    const protocol::Mutation& m, const Fields& keyFields, const Fields& fields,
                    const std::string& stamp)
{
    const pqxx::row current = lockRow(tx, entity, scope, keyFields);
    checkReferences(tx, entity, scope, fields);
    const json::value stored = json::parse(current[0].as<std::string>());
    Applied applied;
    std::vector<Param> params{scope.organisationId};
    std::string sets;
    json::object stamps;
    for (const auto& f : fields) {
        const json::string* theirs = stored.as_object().if_contains(f.name)
                                         ? stored.as_object().at(f.name).if_string()
                                         : nullptr;
        if (theirs != nullptr && std::string_view(*theirs) >= stamp) {
            applied.overridden.push_back(f.name); // a newer (or the same) write already won
            continue;
        }
        params.push_back(toParam(f.value));
        sets += ", " + f.name + " = " + parameterExpression(*entity.field(f.name), params.size());
        stamps[f.name] = stamp;
    }
    if (stamps.empty()) {
        return applied; // every field lost: the row stays as it is
    }
    params.push_back(json::serialize(stamps));
    const std::string stampsParam = "$" + std::to_string(params.size());
    params.push_back(m.id);
    const std::string mutationParam = "$" + std::to_string(params.size());
    const std::string where = keyCondition(entity, keyFields, params);
    const std::string sql = "UPDATE " + std::string(entity.name) + " SET sync_hlc = sync_hlc || " +
                            stampsParam + "::jsonb, sync_mutation = " + mutationParam + "::uuid" +
                            sets + " WHERE organisation_id = $1::uuid AND " + where;
    tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    return applied;
}

Applied applyDelete(pqxx::work& tx, const EntitySpec& entity, const SyncScope& scope,
                    const protocol::Mutation& m, const Fields& keyFields)
{
    try {
        lockRow(tx, entity, scope, keyFields);
    } catch (const Rejection& r) {
        if (r.reason.find("no such row") != std::string::npos) {
            return {}; // already gone: deleting twice is the same as once
        }
        throw;
    }
    std::vector<Param> params{scope.organisationId};
    const std::string where = keyCondition(entity, keyFields, params);
    // The tombstone names the mutation that deleted the row (the capture trigger reads it).
    tx.exec_params("SELECT set_config('cc.sync_mutation', $1, true)", m.id);
    tx.exec_params("DELETE FROM " + std::string(entity.name) +
                       " WHERE organisation_id = $1::uuid AND " + where,
                   pqxx::prepare::make_dynamic_params(params));
    tx.exec("SELECT set_config('cc.sync_mutation', '', true)");
    return {};
}

std::string constraintReason(const pqxx::sql_error& e)
{
    const std::string& state = e.sqlstate();
    if (state == "23514" &&
        std::string_view(e.what()).find("customer was erased") != std::string_view::npos) {
        return "this customer's personal data was erased: nothing about them can be written";
    }
    if (state == "23514") {
        return "the change breaks a rule of the data (for example an end before its start)";
    }
    if (state == "23503") {
        return "the change refers to a row that does not exist";
    }
    if (state == "23505") {
        return "a row with this key already exists";
    }
    if (state == "23502") {
        return "a required value is missing";
    }
    return "the database refused the change";
}

// Integrity errors and bad data are the writer's; anything else (lost connection, deadlock,
// statement timeout) is the server's and fails the whole push so the device retries it.
bool isWritersFault(const pqxx::sql_error& e)
{
    const std::string& state = e.sqlstate();
    return state.rfind("23", 0) == 0 || state.rfind("22", 0) == 0;
}

// A mutation the database refused (a constraint, a guard) in a push run without savepoints: the
// transaction is lost, and the push runs again with one savepoint per mutation.
struct NeedsSavepoints {};

protocol::MutationResult applyOne(pqxx::work& tx, const SyncScope& scope,
                                  const std::string& deviceId, const protocol::Mutation& m,
                                  cc::sync::HlcClock& clock, std::int64_t nowMs, bool savepoints)
{
    if (!cc::sync::isUuid(m.id)) {
        return rejected(m.id, "the mutation id must be a lower-case UUID");
    }
    const std::string hash = contentHash(m);
    const pqxx::result previous =
        db::execPrepared(tx,
                         "SELECT content_hash, status, coalesce(version, 0), coalesce(reason, ''), "
                         "array_to_string(overridden, ',') FROM sync_mutations "
                         "WHERE organisation_id = $1 AND mutation_id = $2::uuid",
                         scope.organisationId, m.id);
    if (!previous.empty()) {
        const pqxx::binarystring storedHash(previous[0][0]);
        if (storedHash.str() != hash) {
            // Not recorded: the first decision on this id stands.
            return rejected(m.id, "this mutation id was already used for a different change");
        }
        protocol::MutationResult r;
        r.id = m.id;
        r.status = previous[0][1].as<std::string>() == "applied"
                       ? protocol::MutationStatus::Applied
                       : protocol::MutationStatus::Rejected;
        r.version = previous[0][2].as<std::int64_t>();
        r.reason = previous[0][3].as<std::string>();
        const std::string overridden = previous[0][4].as<std::string>();
        for (std::size_t start = 0; start < overridden.size();) {
            const auto comma = std::min(overridden.find(',', start), overridden.size());
            r.overridden.push_back(overridden.substr(start, comma - start));
            start = comma + 1;
        }
        return r;
    }

    protocol::MutationResult result;
    result.id = m.id;
    try {
        if (!scope.storeData()) {
            throw Rejection{"your role does not change store data from a device"};
        }
        const EntitySpec* entity = cc::sync::findEntity(m.entity);
        if (entity == nullptr) {
            throw Rejection{"there is no synced entity \"" + m.entity.substr(0, 64) + "\""};
        }
        auto fields = cc::sync::validateMutation(*entity, m.op, m.key, m.fields);
        if (!fields) {
            throw Rejection{fields.error().reason};
        }
        auto stamp = cc::sync::parseHlc(m.hlc);
        if (!stamp) {
            throw Rejection{"the mutation's clock stamp is not valid"};
        }
        // A device clock far ahead is not followed: the server stamps the write itself.
        const std::string effective = clock.receive(*stamp, nowMs, kMaxClockDriftMs)
                                          ? m.hlc
                                          : cc::sync::encode(clock.now(nowMs));
        auto keyFields = cc::sync::splitKey(*entity, m.key);
        // Refusals of our own (Rejection) all come before a mutation writes anything; only the
        // database's own refusals come after. A push runs without savepoints first: 1,000 of them
        // would cost a round trip each, and past 64 in one transaction PostgreSQL's
        // subtransaction cache overflows and slows every other backend's snapshots. When the
        // database refuses one, the push runs again with one savepoint per mutation, so that the
        // refused one is undone and the others still apply. (libpqxx 6.4's subtransaction opens
        // its savepoint on its first exec() only, never on exec_params(): it is not used here.)
        if (savepoints) {
            tx.exec0("SAVEPOINT mutation");
        }
        Applied applied;
        try {
            switch (m.op) {
            case Op::Insert:
                applied = applyInsert(tx, *entity, scope, m, *fields, effective);
                break;
            case Op::Update:
                applied = applyUpdate(tx, *entity, scope, m, *keyFields, *fields, effective);
                break;
            case Op::Delete:
                applied = applyDelete(tx, *entity, scope, m, *keyFields);
                break;
            }
            if (savepoints) {
                tx.exec0("RELEASE SAVEPOINT mutation");
            }
        } catch (const pqxx::sql_error& e) {
            if (!isWritersFault(e)) {
                throw;
            }
            if (!savepoints) {
                throw NeedsSavepoints{};
            }
            tx.exec0("ROLLBACK TO SAVEPOINT mutation");
            tx.exec0("RELEASE SAVEPOINT mutation");
            throw Rejection{m.entity + ": " + constraintReason(e)};
        } catch (const Rejection&) {
            if (savepoints) {
                tx.exec0("ROLLBACK TO SAVEPOINT mutation");
                tx.exec0("RELEASE SAVEPOINT mutation");
            }
            throw;
        }
        result.overridden = std::move(applied.overridden);
    } catch (const Rejection& r) {
        result = rejected(m.id, r.reason);
    }

    std::string overridden = "{";
    for (const auto& f : result.overridden) {
        overridden += (overridden.size() > 1 ? "," : "") + f; // field names: [a-z_]
    }
    overridden += "}";
    db::execPrepared(
        tx,
        "INSERT INTO sync_mutations (organisation_id, mutation_id, user_id, device_id, "
        "content_hash, status, version, reason, overridden) VALUES ($1, $2::uuid, $3, "
        "$4, $5, $6, $7, $8, $9::text[])",
        scope.organisationId, m.id, scope.userId,
        deviceId.empty() ? std::string("unknown") : deviceId.substr(0, 64),
        pqxx::binarystring(hash.data(), hash.size()),
        result.status == protocol::MutationStatus::Applied ? "applied" : "rejected",
        result.version == 0 ? Param{} : Param{std::to_string(result.version)},
        result.reason.empty() ? Param{} : Param{result.reason}, overridden);
    return result;
}

} // namespace

CursorCheck checkCursor(pqxx::connection& conn, const std::string& organisationId)
{
    pqxx::read_transaction tx(conn);
    const pqxx::row r = db::execPrepared1(
        tx,
        // A dormant organisation whose newest entries were purged tombstones still counts them.
        "SELECT greatest(coalesce((SELECT max(version) FROM sync_log WHERE organisation_id = "
        "$1), 0), coalesce((SELECT purged_before FROM sync_horizons WHERE organisation_id = $1), "
        "0)), coalesce((SELECT purged_before FROM sync_horizons WHERE organisation_id = $1), 0)",
        organisationId);
    return {r[0].as<std::int64_t>(), r[1].as<std::int64_t>()};
}

Page readPage(pqxx::connection& conn, const SyncScope& scope, std::int64_t after, std::size_t limit,
              bool countRemaining)
{
    // One snapshot for the rows and the organisation's newest version, so `to` never claims a
    // version whose rows this read could not see.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
    Page page;
    // A purge may have run since the reader's cursor was checked: tombstones it needs are gone.
    const auto horizon = db::execPrepared(tx,
                                          "SELECT purged_before FROM sync_horizons WHERE "
                                          "organisation_id = $1",
                                          scope.organisationId);
    if (after > 0 && !horizon.empty() && after < horizon[0][0].as<std::int64_t>()) {
        page.expired = true;
        page.to = after;
        tx.commit();
        return page;
    }
    const std::string locations = uuidArray(scope.locations);
    const pqxx::result rows =
        db::execPrepared(tx,
                         "SELECT " + std::string(kLogColumns) +
                             " FROM sync_log WHERE organisation_id = $1 AND version > $2 AND " +
                             std::string(kScopeFilter) + " ORDER BY version LIMIT $5",
                         scope.organisationId, after, scope.storeData(), locations, limit);
    page.rows.reserve(rows.size());
    std::size_t bytes = 0;
    bool full = rows.size() == limit && limit > 0;
    for (const auto& r : rows) {
        // Bounded in bytes too (at least one row), so a page of long notes still fits what a
        // connection may queue.
        bytes += r[4].size() + kRowOverheadBytes;
        if (!page.rows.empty() && bytes > kMaxPageBytes) {
            full = true;
            break;
        }
        page.rows.push_back(logRow(r));
    }
    if (full) {
        page.to = page.rows.back().version;
        if (countRemaining) {
            page.remaining =
                db::execPrepared1(tx,
                                  "SELECT count(*) FROM sync_log WHERE "
                                  "organisation_id = $1 AND version > $2 AND " +
                                      std::string(kScopeFilter),
                                  scope.organisationId, page.to, scope.storeData(), locations)[0]
                    .as<std::int64_t>();
        }
    } else {
        page.complete = true;
        page.to =
            std::max(after, db::execPrepared1(tx,
                                              "SELECT coalesce(max(version), 0) FROM sync_log "
                                              "WHERE organisation_id = $1",
                                              scope.organisationId)[0]
                                .as<std::int64_t>());
    }
    tx.commit();
    return page;
}

Batch readBatch(pqxx::connection& conn, const std::string& organisationId, std::int64_t after,
                std::size_t limit)
{
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
    const pqxx::result rows = db::execPrepared(
        tx,
        "SELECT " + std::string(kLogColumns) +
            ", coalesce(location_ids::text, '') FROM sync_log WHERE organisation_id = $1 AND "
            "version > $2 ORDER BY version LIMIT $3",
        organisationId, after, limit);
    Batch batch;
    batch.organisationId = organisationId;
    batch.from = after + 1;
    batch.rows.reserve(rows.size());
    std::size_t bytes = 0;
    batch.truncated = rows.size() == limit && limit > 0;
    for (const auto& r : rows) {
        bytes += r[4].size() + kRowOverheadBytes;
        if (!batch.rows.empty() && bytes > kMaxPageBytes) {
            batch.truncated = true;
            break;
        }
        LogRow row{logRow(r), std::nullopt};
        const std::string audience = r[7].as<std::string>();
        if (!audience.empty()) {
            row.audience = parseUuidArray(audience);
        }
        batch.rows.push_back(std::move(row));
    }
    if (batch.truncated) {
        batch.to = batch.rows.back().row.version;
    } else {
        batch.to =
            std::max(after, db::execPrepared1(tx,
                                              "SELECT coalesce(max(version), 0) FROM sync_log "
                                              "WHERE organisation_id = $1",
                                              organisationId)[0]
                                .as<std::int64_t>());
    }
    tx.commit();
    return batch;
}

PurgeResult purge(pqxx::connection& conn, int keepDays)
{
    keepDays = std::max(keepDays, 100);
    pqxx::work tx(conn);
    PurgeResult out;
    out.tombstones =
        tx.exec_params1(
              "WITH gone AS (DELETE FROM sync_log WHERE deleted AND version IS NOT NULL AND "
              "changed_at < now() - make_interval(days => $1) RETURNING organisation_id, version), "
              "horizons AS (INSERT INTO sync_horizons (organisation_id, purged_before) "
              "SELECT organisation_id, max(version) FROM gone GROUP BY organisation_id "
              "ON CONFLICT (organisation_id) DO UPDATE SET purged_before = "
              "greatest(sync_horizons.purged_before, EXCLUDED.purged_before) RETURNING 1) "
              "SELECT count(*) FROM gone",
              keepDays)[0]
            .as<std::int64_t>();
    out.mutations = tx.exec_params1("WITH gone AS (DELETE FROM sync_mutations WHERE decided_at < "
                                    "now() - make_interval(days => $1) RETURNING 1) "
                                    "SELECT count(*) FROM gone",
                                    keepDays)[0]
                        .as<std::int64_t>();
    tx.commit();
    return out;
}

std::int64_t sequence(pqxx::connection& conn, const std::string& organisationId)
{
    pqxx::work tx(conn);
    const auto numbered = db::execPrepared1(tx, "SELECT sync_sequence($1::uuid)", organisationId)[0]
                              .as<std::int64_t>();
    tx.commit();
    return numbered;
}

namespace {
void fillVersions(pqxx::connection& conn, const SyncScope& scope,
                  const std::vector<protocol::Mutation>& mutations, protocol::PushResult& out);
}

bool wildcardAfter(pqxx::connection& conn, const std::string& organisationId, std::int64_t after)
{
    pqxx::read_transaction tx(conn);
    return !tx.exec_params("SELECT 1 FROM sync_log WHERE organisation_id = $1::uuid AND version > "
                           "$2 AND deleted AND row_key LIKE '%/*' LIMIT 1",
                           organisationId, after)
                .empty();
}

protocol::PushResult applyPush(pqxx::connection& conn, const SyncScope& scope,
                               const std::string& deviceId,
                               const std::vector<protocol::Mutation>& mutations,
                               cc::sync::HlcClock& clock, std::int64_t nowMs)
{
    protocol::PushResult out;
    bool savepoints = false;
    for (int attempt = 1;; ++attempt) {
        try {
            pqxx::work tx(conn);
            out.results.clear();
            out.results.reserve(mutations.size());
            for (const auto& m : mutations) {
                out.results.push_back(applyOne(tx, scope, deviceId, m, clock, nowMs, savepoints));
            }
            tx.commit();
            break;
        } catch (const NeedsSavepoints&) {
            savepoints = true; // nothing was committed; the next attempt isolates each mutation
        } catch (const pqxx::transaction_rollback&) {
            // A deadlock or serialisation failure with another writer: nothing was committed.
            if (attempt >= 3) {
                throw;
            }
        }
    }
    // The decisions are committed: from here on nothing may turn them into a failure (the device
    // would resend and get the same answers, but say "try again" for no reason).
    try {
        fillVersions(conn, scope, mutations, out);
    } catch (const std::exception&) {
        // Versions stay 0: the device treats the answer as newer than what it holds, and the
        // stream brings the rows.
    }
    out.hlc = cc::sync::encode(clock.now(nowMs));
    return out;
}

namespace {
void fillVersions(pqxx::connection& conn, const SyncScope& scope,
                  const std::vector<protocol::Mutation>& mutations, protocol::PushResult& out)
{
    sequence(conn, scope.organisationId);
    // The versions the rows have now (at least the one that holds each write).
    std::vector<Param> params{scope.organisationId};
    std::string pairs;
    for (std::size_t i = 0; i < mutations.size(); ++i) {
        if (out.results[i].status != protocol::MutationStatus::Applied) {
            continue;
        }
        params.push_back(mutations[i].entity);
        params.push_back(mutations[i].key);
        pairs += std::string(pairs.empty() ? "" : ", ") + "($" + std::to_string(params.size() - 1) +
                 ", $" + std::to_string(params.size()) + ")";
    }
    if (!pairs.empty()) {
        pqxx::read_transaction tx(conn);
        const pqxx::result rows = tx.exec_params(
            "SELECT entity, row_key, coalesce(version, 0) FROM sync_log WHERE organisation_id = "
            "$1::uuid AND (entity, row_key) IN (VALUES " +
                pairs + ")",
            pqxx::prepare::make_dynamic_params(params));
        for (std::size_t i = 0; i < mutations.size(); ++i) {
            for (const auto& r : rows) {
                if (out.results[i].status == protocol::MutationStatus::Applied &&
                    r[0].as<std::string>() == mutations[i].entity &&
                    r[1].as<std::string>() == mutations[i].key) {
                    out.results[i].version = r[2].as<std::int64_t>();
                }
            }
        }
    }
}

} // namespace

} // namespace cc::server::sync
