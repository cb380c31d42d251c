#include "server/privacy/customer_data.h"

#include "shared/domain/phone.h"
#include "shared/sync/schema.h"
#include "shared/util/base64url.h"
#include "shared/util/utf8.h"

#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pqxx/pqxx>

#include <array>
#include <stdexcept>

namespace cc::server::privacy {
namespace {

namespace json = boost::json;

// A timestamp as ISO 8601 in UTC with milliseconds, or JSON null.
std::string iso(const std::string& column)
{
    return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

// One query builds the whole document, so what is exported is one consistent snapshot. $1 is the
// customer, $2 the organisation.
std::string exportSql()
{
    return "SELECT jsonb_build_object("
           "'format', 'callcommander.customer-export.v1', "
           "'exportedAt', " +
           iso("now()") +
           ", "
           "'organisation', (SELECT jsonb_build_object('id', o.id, 'name', o.name) "
           "FROM organisations o WHERE o.id = $2), "
           "'customer', jsonb_build_object('id', c.id, 'displayName', c.display_name, "
           "'email', c.email, 'marketingConsent', c.marketing_consent, "
           "'smsConsent', c.sms_consent, 'createdAt', " +
           iso("c.created_at") + ", 'updatedAt', " + iso("c.updated_at") +
           ", 'erasedAt', (SELECT " + iso("e.erased_at") +
           " FROM customer_erasures e WHERE e.customer_id = c.id)), "
           "'phones', coalesce((SELECT jsonb_agg(jsonb_build_object('number', p.number, "
           "'label', p.label) ORDER BY p.number) FROM customer_phones p "
           "WHERE p.customer_id = c.id), '[]'), "
           "'stores', coalesce((SELECT jsonb_agg(jsonb_build_object('id', l.id, 'code', l.code, "
           "'name', l.name) ORDER BY l.code) FROM customer_locations cl JOIN locations l ON "
           "l.id = cl.location_id WHERE cl.customer_id = c.id), '[]'), "
           "'calls', coalesce((SELECT jsonb_agg(jsonb_build_object('id', k.id, 'store', l.code, "
           "'direction', k.direction, 'from', k.from_number, 'to', k.to_number, 'startedAt', " +
           iso("k.started_at") + ", 'answeredAt', " + iso("k.answered_at") + ", 'endedAt', " +
           iso("k.ended_at") +
           ", 'status', k.status, 'handledBy', u.display_name, 'disposition', k.disposition, "
           "'need', k.need, 'recordingSeconds', k.recording_seconds, 'recordingUrl', "
           "k.recording_url) ORDER BY k.started_at, k.id) FROM calls k JOIN locations l ON "
           "l.id = k.location_id LEFT JOIN users u ON u.id = k.handled_by "
           "WHERE k.customer_id = c.id), '[]'), "
           "'notes', coalesce((SELECT jsonb_agg(jsonb_build_object('id', n.id, 'callId', "
           "n.call_id, 'store', l.code, 'author', u.display_name, 'body', n.body, 'createdAt', " +
           iso("n.created_at") +
           ") ORDER BY n.created_at, n.id) FROM call_notes n JOIN locations l ON l.id = "
           "n.location_id LEFT JOIN users u ON u.id = n.author_id WHERE n.customer_id = c.id "
           "OR n.call_id IN (SELECT id FROM calls WHERE customer_id = c.id)), '[]'), "
           "'tasks', coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'store', l.code, "
           "'kind', t.kind, 'title', t.title, 'status', t.status, 'dueAt', " +
           iso("t.due_at") + ", 'createdAt', " + iso("t.created_at") + ", 'completedAt', " +
           iso("t.completed_at") +
           ", 'assignedTo', u.display_name) ORDER BY t.created_at, t.id) FROM tasks t JOIN "
           "locations l ON l.id = t.location_id LEFT JOIN users u ON u.id = t.assigned_to "
           "WHERE t.customer_id = c.id), '[]'), "
           "'appointments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'store', "
           "l.code, 'startsAt', " +
           iso("a.starts_at") + ", 'endsAt', " + iso("a.ends_at") +
           ", 'purpose', a.purpose, 'status', a.status, 'staff', u.display_name, 'createdAt', " +
           iso("a.created_at") +
           ") ORDER BY a.starts_at, a.id) FROM appointments a JOIN locations l ON l.id = "
           "a.location_id LEFT JOIN users u ON u.id = a.staff_id WHERE a.customer_id = c.id), "
           "'[]'), "
           "'selfService', coalesce((SELECT jsonb_agg(jsonb_build_object('callId', i.call_id, "
           "'turn', i.turn, 'said', i.utterance, 'understoodAs', i.intent, 'answer', i.answer, "
           "'outcome', i.outcome, 'at', " +
           iso("i.created_at") +
           ") ORDER BY i.created_at, i.id) FROM ivr_turns i WHERE i.call_id IN (SELECT id FROM "
           "calls WHERE customer_id = c.id)), '[]'))::text "
           "FROM customers c WHERE c.id = $1::uuid AND c.organisation_id = $2::uuid";
}

void audit(pqxx::work& tx, const auth::Claims& caller, const std::string& action,
           const std::string& customerId, const json::object& detail, const std::string& ip)
{
    tx.exec_params0("INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, "
                    "target_id, detail, source_ip) VALUES ($1::uuid, $2::uuid, $3, 'customer', "
                    "$4, $5::jsonb, nullif($6, '')::inet)",
                    caller.organisationId, caller.userId, action, customerId,
                    json::serialize(detail), ip);
}

std::int64_t count(const json::object& document, std::string_view list)
{
    const json::value* v = document.if_contains(list);
    return v != nullptr && v->is_array() ? static_cast<std::int64_t>(v->get_array().size()) : 0;
}

} // namespace

json::array findCustomers(pqxx::connection& conn, const auth::Claims& caller,
                          const std::string& query)
{
    const std::string trimmed = [&] {
        const auto first = query.find_first_not_of(" \t");
        const auto last = query.find_last_not_of(" \t");
        return first == std::string::npos ? std::string() : query.substr(first, last - first + 1);
    }();
    if (trimmed.size() < 3 || trimmed.size() > 200 || !util::isValidUtf8(trimmed)) {
        throw std::invalid_argument("q must be 3 to 200 characters: a phone number, an e-mail "
                                    "address or the start of a name");
    }
    pqxx::work tx(conn);
    tx.exec0("SET TRANSACTION READ ONLY");
    const std::string country =
        tx.exec_params1("SELECT default_country_code FROM organisations WHERE id = $1::uuid",
                        caller.organisationId)[0]
            .as<std::string>();
    const auto number = domain::normalizeE164(trimmed, country);
    // A name is matched by its start: LIKE's wildcards in what was typed are taken literally.
    std::string prefix;
    for (const char c : trimmed) {
        if (c == '%' || c == '_' || c == '\\') {
            prefix.push_back('\\');
        }
        prefix.push_back(c);
    }
    const pqxx::result rows = tx.exec_params(
        "WITH found AS ((SELECT p.customer_id AS id FROM customer_phones p WHERE "
        "p.organisation_id = $1::uuid AND p.number = nullif($2::text, '')) UNION (SELECT c.id "
        "FROM customers c WHERE c.organisation_id = $1::uuid AND lower(c.email) = lower($3) AND "
        "c.email IS NOT NULL LIMIT 200) UNION (SELECT c.id FROM customers c WHERE "
        "c.organisation_id = $1::uuid AND lower(c.display_name) LIKE lower($4) || '%' LIMIT "
        "200)) "
        "SELECT jsonb_build_object('id', c.id, 'displayName', c.display_name, 'email', c.email, "
        "'phones', coalesce((SELECT jsonb_agg(p.number ORDER BY p.number) FROM customer_phones p "
        "WHERE p.customer_id = c.id), '[]'), 'stores', coalesce((SELECT jsonb_agg(l.name ORDER "
        "BY l.name) FROM customer_locations cl JOIN locations l ON l.id = cl.location_id WHERE "
        "cl.customer_id = c.id), '[]'), 'lastCallAt', (SELECT " +
            iso("max(k.started_at)") +
            " FROM calls k WHERE k.customer_id = c.id), 'erasedAt', (SELECT " + iso("e.erased_at") +
            " FROM customer_erasures e WHERE e.customer_id = c.id))::text FROM found f JOIN "
            "customers c ON c.id = f.id ORDER BY (SELECT max(k.started_at) FROM calls k WHERE "
            "k.customer_id = c.id) DESC NULLS LAST, c.display_name, c.id LIMIT 20",
        caller.organisationId, number.value_or(std::string()), trimmed, prefix);
    json::array out;
    for (const auto& row : rows) {
        out.push_back(json::parse(row[0].as<std::string>()));
    }
    tx.commit();
    return out;
}

std::optional<json::object> exportCustomer(pqxx::connection& conn, const auth::Claims& caller,
                                           const std::string& rawCustomerId,
                                           const std::string& sourceIp)
{
    if (!cc::sync::isUuid(rawCustomerId)) {
        return std::nullopt; // not an id at all: answered like one that does not exist
    }
    pqxx::work tx(conn);
    // Repeatable read: the whole document is one snapshot even if a call ends meanwhile.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const pqxx::result r = tx.exec_params(exportSql(), rawCustomerId, caller.organisationId);
    if (r.empty()) {
        return std::nullopt;
    }
    json::value parsed = json::parse(r[0][0].as<std::string>());
    json::object document = std::move(parsed.as_object());
    tx.commit();

    // The export itself is recorded: who took which customer's data out, and how much of it.
    pqxx::work log(conn);
    audit(log, caller, "customer.export", rawCustomerId,
          {{"calls", count(document, "calls")},
           {"notes", count(document, "notes")},
           {"tasks", count(document, "tasks")},
           {"appointments", count(document, "appointments")}},
          sourceIp);
    log.commit();
    return document;
}

EraseResult eraseCustomer(pqxx::connection& conn, const auth::Claims& caller,
                          const std::string& rawCustomerId, const std::string& sourceIp)
{
    EraseResult result;
    if (!cc::sync::isUuid(rawCustomerId)) {
        return result;
    }
    pqxx::work tx(conn);
    const pqxx::result customer =
        tx.exec_params("SELECT (SELECT " + iso("e.erased_at") +
                           " FROM customer_erasures e WHERE e.customer_id = c.id) FROM customers c "
                           "WHERE c.id = $1::uuid AND c.organisation_id = $2::uuid FOR UPDATE",
                       rawCustomerId, caller.organisationId);
    if (customer.empty()) {
        return result;
    }
    if (!customer[0][0].is_null()) {
        result.outcome = EraseOutcome::AlreadyErased;
        result.erasedAt = customer[0][0].as<std::string>();
        return result;
    }
    // A call under way still needs the number to reach the caller, and a voicemail just left has
    // its recording on the way (the provider's callback follows within seconds): erase after.
    if (!tx.exec_params("SELECT 1 FROM calls WHERE customer_id = $1::uuid AND (status IN "
                        "('ringing', 'in_progress') OR (status = 'voicemail' AND recording_url "
                        "IS NULL AND coalesce(ended_at, started_at) > now() - interval "
                        "'10 minutes')) LIMIT 1",
                        rawCustomerId)
             .empty()) {
        result.outcome = EraseOutcome::CallInProgress;
        return result;
    }

    // The guard (migration 0010) lets this transaction, and only it, change the erased rows.
    tx.exec0("SET LOCAL callcommander.erasing = 'on'");
    result.erasedAt = tx.exec_params1("INSERT INTO customer_erasures (customer_id, "
                                      "organisation_id, erased_by) VALUES ($1::uuid, $2::uuid, "
                                      "$3::uuid) RETURNING " +
                                          iso("erased_at"),
                                      rawCustomerId, caller.organisationId, caller.userId)[0]
                          .as<std::string>();
    const std::string calls = "SELECT id FROM calls WHERE customer_id = $1::uuid";
    result.notes = tx.exec_params("DELETE FROM call_notes WHERE customer_id = $1::uuid OR "
                                  "call_id IN (" +
                                      calls + ")",
                                  rawCustomerId)
                       .affected_rows();
    result.phones =
        tx.exec_params("DELETE FROM customer_phones WHERE customer_id = $1::uuid", rawCustomerId)
            .affected_rows();
    // The phones' tombstones are keyed by their numbers: one wildcard tombstone takes their place
    // in the change log, and deletes every phone of the customer on the devices that hold them.
    tx.exec_params0("DELETE FROM sync_log WHERE organisation_id = $2::uuid AND entity = "
                    "'customer_phones' AND customer_id = $1::uuid AND deleted",
                    rawCustomerId, caller.organisationId);
    tx.exec_params("SELECT sync_record($2::uuid, 'customer_phones', $1 || '/*', true, "
                   "sync_customer_locations($1::uuid), $1::uuid, NULL, '', NULL)",
                   rawCustomerId, caller.organisationId);
    for (const auto& row :
         tx.exec_params("SELECT recording_url FROM calls WHERE customer_id = $1::uuid AND "
                        "recording_url IS NOT NULL ORDER BY started_at",
                        rawCustomerId)) {
        result.providerRecordings.push_back(row[0].as<std::string>());
    }
    result.selfServiceTurns =
        tx.exec_params("UPDATE ivr_turns SET utterance = '', slots = '{}', answer = NULL "
                       "WHERE call_id IN (" +
                           calls + ")",
                       rawCustomerId)
            .affected_rows();
    // Replayed webhook answers may name the caller; they matter only while a call is live.
    tx.exec_params("DELETE FROM telephony_events WHERE organisation_id = $2::uuid AND "
                   "provider_call_id IN (SELECT provider_call_id FROM calls WHERE customer_id = "
                   "$1::uuid AND provider_call_id IS NOT NULL)",
                   rawCustomerId, caller.organisationId);
    // The customer's number is the caller's on inbound calls and the called one on outbound.
    result.calls = tx.exec_params("UPDATE calls SET from_number = CASE WHEN direction = "
                                  "'inbound' THEN $2 ELSE from_number END, to_number = CASE WHEN "
                                  "direction = 'outbound' THEN $2 ELSE to_number END, "
                                  "recording_url = NULL, disposition = CASE WHEN disposition = "
                                  "'resolved' THEN disposition END WHERE customer_id = $1::uuid",
                                  rawCustomerId, std::string(kErasedNumber))
                       .affected_rows();
    result.tasks = tx.exec_params("UPDATE tasks SET title = $2 WHERE customer_id = $1::uuid",
                                  rawCustomerId, std::string(kErasedName))
                       .affected_rows();
    result.appointments =
        tx.exec_params("UPDATE appointments SET purpose = '' WHERE customer_id = $1::uuid",
                       rawCustomerId)
            .affected_rows();
    tx.exec_params0("UPDATE customers SET display_name = $2, email = NULL, marketing_consent = "
                    "false, sms_consent = false, updated_at = now() WHERE id = $1::uuid",
                    rawCustomerId, std::string(kErasedName));
    audit(tx, caller, "customer.erase", rawCustomerId,
          {{"notes", result.notes},
           {"phones", result.phones},
           {"calls", result.calls},
           {"tasks", result.tasks},
           {"appointments", result.appointments},
           {"selfServiceTurns", result.selfServiceTurns},
           {"providerRecordings", result.providerRecordings.size()}},
          sourceIp);
    tx.commit();
    result.outcome = EraseOutcome::Erased;
    return result;
}

std::optional<std::string> deviceCacheKey(pqxx::connection& conn, const auth::Claims& caller)
{
    std::array<unsigned char, 32> fresh{};
    if (RAND_bytes(fresh.data(), static_cast<int>(fresh.size())) != 1) {
        throw std::runtime_error("no randomness for a cache key");
    }
    // The device is the sign-in's, not one the request names: a token opens its own cache only.
    // Two first requests at once: the loser of the insert reads the winner's key on its retry.
    pqxx::result r;
    for (int attempt = 0; attempt < 2 && r.empty(); ++attempt) {
        pqxx::work tx(conn);
        r = tx.exec_params(
            "WITH s AS (SELECT user_id, organisation_id, device_id FROM auth_sessions WHERE id = "
            "$1::uuid AND user_id = $2::uuid AND revoked_at IS NULL AND expires_at > now()), "
            "made AS (INSERT INTO device_cache_keys (user_id, device_id, organisation_id, "
            "cache_key) "
            "SELECT user_id, device_id, organisation_id, $3 FROM s ON CONFLICT (user_id, "
            "device_id) "
            "DO NOTHING RETURNING cache_key) "
            "SELECT cache_key FROM made UNION ALL SELECT k.cache_key FROM device_cache_keys k JOIN "
            "s "
            "ON k.user_id = s.user_id AND k.device_id = s.device_id LIMIT 1",
            caller.sessionId, caller.userId, pqxx::binarystring(fresh.data(), fresh.size()));
        tx.commit();
    }
    OPENSSL_cleanse(fresh.data(), fresh.size());
    if (r.empty()) {
        return std::nullopt;
    }
    const pqxx::binarystring key(r[0][0]);
    std::string encoded = util::base64UrlEncode(key.str());
    return encoded;
}

} // namespace cc::server::privacy
