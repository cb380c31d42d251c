#include "server/auth/user_admin.h"

#include "server/auth/password.h"
#include "server/db/migrations.h" // sha256Hex
#include "shared/sync/schema.h"   // isUuid
#include "shared/util/utf8.h"

#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

namespace cc::server::auth {
namespace {

namespace json = boost::json;

constexpr std::string_view kCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford
constexpr std::size_t kCodeLength = 16;
constexpr std::size_t kMaxDisplayName = 200; // characters, as the users table counts them
constexpr std::size_t kMaxEmail = 254;
constexpr std::size_t kMaxSkill = 64; // bytes, as routing menus take them
constexpr const char* kIsoUtc = "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"";

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// No C0 or C1 control character, no DEL: text a person reads (names) or that keys an account.
bool printable(std::string_view s)
{
    for (std::size_t i = 0; i < s.size();) {
        std::uint32_t cp = 0;
        const std::size_t n = util::decodeUtf8(s, i, cp);
        if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            return false;
        }
        i += n;
    }
    return true;
}

std::size_t characters(std::string_view s)
{
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool blank(std::string_view s)
{
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

// The body as an object of known fields, each at most once.
json::object parseObject(std::string_view body, std::string_view fields)
{
    if (body.size() > kMaxUserAdminBody) {
        throw std::invalid_argument("the body is too large");
    }
    json::parse_options options;
    options.max_depth = 3;
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec, {}, options);
    if (ec || !parsed.is_object()) {
        throw std::invalid_argument("expected a JSON object with any of " + std::string(fields));
    }
    if (const auto repeated = firstRepeatedKey(body)) {
        throw std::invalid_argument("field " + quotedName(*repeated) + " given twice");
    }
    return std::move(parsed.as_object());
}

std::string parseEmail(const json::value& v)
{
    const json::string* s = v.if_string();
    if (s == nullptr || s->size() > kMaxEmail) {
        throw std::invalid_argument("email must be an e-mail address of at most 254 characters");
    }
    const std::string_view text(s->data(), s->size());
    const auto at = text.find('@');
    const bool shaped = at != std::string_view::npos && at > 0 && at + 1 < text.size() &&
                        text.find('@', at + 1) == std::string_view::npos && printable(text) &&
                        std::none_of(text.begin(), text.end(), [](char c) {
                            return std::isspace(static_cast<unsigned char>(c)) != 0;
                        });
    if (!shaped) {
        throw std::invalid_argument(
            "email must be an e-mail address (name@example.com, no spaces)");
    }
    return std::string(text);
}

std::string parseDisplayName(const json::value& v)
{
    const json::string* s = v.if_string();
    const std::string_view text = s != nullptr ? std::string_view(s->data(), s->size()) : "";
    if (s == nullptr || text.empty() || blank(text) || characters(text) > kMaxDisplayName ||
        !printable(text)) {
        throw std::invalid_argument(
            "displayName must be a name of 1 to 200 characters, without line breaks");
    }
    return std::string(text);
}

std::string parseRole(const json::value& v)
{
    const json::string* s = v.if_string();
    if (s == nullptr || !domain::roleFromString(std::string(s->data(), s->size()))) {
        throw std::invalid_argument("role must be staff, manager, executive or admin");
    }
    return std::string(s->data(), s->size());
}

std::string parseStoreId(const json::value& v, std::string_view field)
{
    const json::string* s = v.if_string();
    std::string id = s != nullptr ? lower(std::string(s->data(), s->size())) : std::string();
    if (!cc::sync::isUuid(id)) {
        throw std::invalid_argument(std::string(field) + " must be a store id");
    }
    return id;
}

// A JSON list of at most `max` distinct items, each read by `item` (which throws for a bad one).
template <typename ReadItem>
std::vector<std::string> parseDistinctList(const json::value& v, std::string_view field,
                                           std::size_t max, std::string_view what, ReadItem item)
{
    const json::array* a = v.if_array();
    if (a == nullptr || a->size() > max) {
        throw std::invalid_argument(std::string(field) + " must be a list of at most " +
                                    std::to_string(max) + " " + std::string(what) + "s");
    }
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& entry : *a) {
        std::string value = item(entry);
        if (!seen.insert(value).second) {
            throw std::invalid_argument(std::string(field) + " names a " + std::string(what) +
                                        " twice");
        }
        out.push_back(std::move(value));
    }
    return out;
}

std::vector<std::string> parseStoreIds(const json::value& v)
{
    return parseDistinctList(v, "storeIds", kMaxUserStores, "store id", [](const json::value& e) {
        return parseStoreId(e, "every entry of storeIds");
    });
}

std::vector<std::string> parseSkills(const json::value& v)
{
    return parseDistinctList(v, "skills", kMaxUserSkills, "skill", [](const json::value& e) {
        const json::string* s = e.if_string();
        const std::string_view text = s != nullptr ? std::string_view(s->data(), s->size()) : "";
        if (s == nullptr || text.empty() || text.size() > kMaxSkill || blank(text) ||
            !printable(text)) {
            throw std::invalid_argument("every skill must be a word or two of 1 to 64 bytes");
        }
        return std::string(text);
    });
}

constexpr std::string_view kInviteFields =
    "email, displayName, role, storeIds, homeStoreId, skills";
constexpr std::string_view kChangeFields = "displayName, role, storeIds, homeStoreId, skills";

// Staff and managers take calls in their stores: they need one at least.
bool needsStores(const std::string& role)
{
    return role == "staff" || role == "manager";
}

// "{a,b}" for a ::uuid[] parameter; the ids are checked UUIDs, so nothing needs quoting.
std::string uuidArray(const std::vector<std::string>& ids)
{
    std::string out = "{";
    for (const auto& id : ids) {
        out += (out.size() > 1 ? "," : "") + id;
    }
    return out + "}";
}

json::array jsonStrings(const std::vector<std::string>& values)
{
    json::array out;
    for (const auto& v : values) {
        out.emplace_back(v);
    }
    return out;
}

// The codes of these stores of the organisation, in the same order; nothing when one of them is
// not the organisation's (another organisation's store is as unknown as a made-up id).
std::optional<std::vector<std::string>>
storeCodes(pqxx::work& txn, const std::string& organisationId, const std::vector<std::string>& ids)
{
    if (ids.empty()) {
        return std::vector<std::string>{};
    }
    const pqxx::result rows =
        txn.exec_params("SELECT id::text, code FROM locations WHERE organisation_id = $1::uuid "
                        "AND id = ANY($2::uuid[]) FOR KEY SHARE",
                        organisationId, uuidArray(ids));
    std::map<std::string, std::string> codes;
    for (const auto& r : rows) {
        codes.emplace(r[0].as<std::string>(), r[1].as<std::string>());
    }
    std::vector<std::string> out;
    for (const auto& id : ids) {
        const auto found = codes.find(id);
        if (found == codes.end()) {
            return std::nullopt;
        }
        out.push_back(found->second);
    }
    return out;
}

void audit(pqxx::work& txn, const std::string& organisationId, const std::string& actor,
           std::string_view action, const std::string& userId, const json::object& detail,
           const std::string& sourceIp)
{
    txn.exec_params0(
        "INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, target_id, "
        "detail, source_ip) VALUES ($1::uuid, $2::uuid, $3, 'user', $4, $5::jsonb, "
        "nullif($6, '')::inet)",
        organisationId, actor, std::string(action), userId, json::serialize(detail), sourceIp);
}

// Withdraws the person's open code, if any, and opens a new one.
SetupCode issueSetupCode(pqxx::work& txn, const std::string& organisationId,
                         const std::string& userId, std::string_view purpose,
                         const std::string& createdBy)
{
    txn.exec_params0("UPDATE password_setups SET withdrawn_at = now() WHERE user_id = $1::uuid "
                     "AND used_at IS NULL AND withdrawn_at IS NULL",
                     userId);
    SetupCode out;
    out.code = newSetupCode();
    out.expiresAt =
        txn.exec_params1(
               std::string("INSERT INTO password_setups (user_id, organisation_id, code_hash, "
                           "purpose, created_by, expires_at) VALUES ($1::uuid, $2::uuid, "
                           "decode($3, 'hex'), $4, $5::uuid, now() + $6::int * interval '1 day') "
                           "RETURNING to_char(expires_at AT TIME ZONE 'UTC', '") +
                   kIsoUtc + "')",
               userId, organisationId, db::sha256Hex(normaliseSetupCode(out.code)),
               std::string(purpose), createdBy, kSetupCodeDays)[0]
            .as<std::string>();
    return out;
}

struct Locked {
    bool callerIsAdmin = false;
    bool targetFound = false;
    bool targetActive = false;
};

// Locks the caller's and the target's rows, in id order, both of the caller's organisation.
Locked lockCallerAndTarget(pqxx::work& txn, const Claims& caller, const std::string& targetId)
{
    const pqxx::result rows =
        txn.exec_params("SELECT id::text, role, active FROM users WHERE id IN ($1::uuid, $2::uuid) "
                        "AND organisation_id = $3::uuid ORDER BY id FOR UPDATE",
                        caller.userId, targetId, caller.organisationId);
    Locked out;
    for (const auto& r : rows) {
        const std::string id = r[0].as<std::string>();
        if (id == caller.userId) {
            out.callerIsAdmin = r[1].as<std::string>() == "admin" && r[2].as<bool>();
        }
        if (id == targetId) {
            out.targetFound = true;
            out.targetActive = r[2].as<bool>();
        }
    }
    return out;
}

std::optional<std::string> canonicalId(const std::string& rawId)
{
    std::string id = lower(rawId); // any case, as the disable route takes it
    if (!cc::sync::isUuid(id)) {
        return std::nullopt;
    }
    return id;
}

UserAdminResult outcome(UserAdminOutcome o, std::string problem = {})
{
    UserAdminResult r;
    r.outcome = o;
    r.problem = std::move(problem);
    return r;
}

} // namespace

UserInvite parseUserInvite(std::string_view body)
{
    const json::object o = parseObject(body, kInviteFields);
    UserInvite invite;
    bool haveEmail = false;
    bool haveName = false;
    bool haveRole = false;
    bool haveStores = false;
    for (const auto& [key, value] : o) {
        if (key == "email") {
            invite.email = parseEmail(value);
            haveEmail = true;
        } else if (key == "displayName") {
            invite.displayName = parseDisplayName(value);
            haveName = true;
        } else if (key == "role") {
            invite.role = parseRole(value);
            haveRole = true;
        } else if (key == "storeIds") {
            invite.storeIds = parseStoreIds(value);
            haveStores = true;
        } else if (key == "homeStoreId") {
            if (!value.is_null()) {
                invite.homeStoreId = parseStoreId(value, "homeStoreId");
            }
        } else if (key == "skills") {
            invite.skills = parseSkills(value);
        } else {
            throw std::invalid_argument("no field " + quotedName(key) + "; the fields are " +
                                        std::string(kInviteFields));
        }
    }
    if (!haveEmail || !haveName || !haveRole || !haveStores) {
        throw std::invalid_argument("email, displayName, role and storeIds are required");
    }
    if (needsStores(invite.role) && invite.storeIds.empty()) {
        throw std::invalid_argument("staff and managers need at least one store in storeIds");
    }
    if (invite.homeStoreId && std::find(invite.storeIds.begin(), invite.storeIds.end(),
                                        *invite.homeStoreId) == invite.storeIds.end()) {
        throw std::invalid_argument("homeStoreId must be one of storeIds");
    }
    return invite;
}

UserChange parseUserChange(std::string_view body)
{
    const json::object o = parseObject(body, kChangeFields);
    if (o.empty()) {
        throw std::invalid_argument("nothing to change; the fields are " +
                                    std::string(kChangeFields));
    }
    UserChange change;
    for (const auto& [key, value] : o) {
        if (key == "displayName") {
            change.displayName = parseDisplayName(value);
        } else if (key == "role") {
            change.role = parseRole(value);
        } else if (key == "storeIds") {
            change.storeIds = parseStoreIds(value);
        } else if (key == "homeStoreId") {
            change.homeStoreGiven = true;
            if (!value.is_null()) {
                change.homeStoreId = parseStoreId(value, "homeStoreId");
            }
        } else if (key == "skills") {
            change.skills = parseSkills(value);
        } else {
            throw std::invalid_argument("no field " + quotedName(key) + "; the fields are " +
                                        std::string(kChangeFields));
        }
    }
    return change;
}

UserAdminResult inviteUser(pqxx::connection& conn, const Claims& caller, const UserInvite& invite,
                           const std::string& sourceIp)
{
    pqxx::work txn(conn);
    // Still an admin, and stays one until this commits (a demotion waits for the row lock).
    if (txn.exec_params("SELECT 1 FROM users WHERE id = $1::uuid AND organisation_id = $2::uuid "
                        "AND active AND role = 'admin' FOR SHARE",
                        caller.userId, caller.organisationId)
            .empty()) {
        return outcome(UserAdminOutcome::Forbidden);
    }
    const auto codes = storeCodes(txn, caller.organisationId, invite.storeIds);
    if (!codes) {
        return outcome(UserAdminOutcome::Invalid,
                       "storeIds names a store that is not one of your organisation's");
    }
    const std::string home =
        invite.homeStoreId.value_or(invite.storeIds.empty() ? "" : invite.storeIds.front());
    const pqxx::result inserted = txn.exec_params(
        "INSERT INTO users (id, organisation_id, email, display_name, role, home_location_id, "
        "skills) VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4, nullif($5, '')::uuid, "
        "ARRAY(SELECT s FROM jsonb_array_elements_text($6::jsonb) WITH ORDINALITY AS t(s, n) "
        "ORDER BY n)) "
        "ON CONFLICT (organisation_id, lower(email)) DO NOTHING RETURNING id::text",
        caller.organisationId, invite.email, invite.displayName, invite.role, home,
        json::serialize(jsonStrings(invite.skills)));
    if (inserted.empty()) {
        return outcome(UserAdminOutcome::EmailTaken);
    }
    const std::string userId = inserted[0][0].as<std::string>();
    txn.exec_params0("INSERT INTO user_locations (user_id, location_id) "
                     "SELECT $1::uuid, unnest($2::uuid[])",
                     userId, uuidArray(invite.storeIds));
    UserAdminResult result;
    result.setup = issueSetupCode(txn, caller.organisationId, userId, "invite", caller.userId);
    json::object detail{{"email", invite.email},
                        {"display_name", invite.displayName},
                        {"role", invite.role},
                        {"store_codes", jsonStrings(*codes)},
                        {"skills", jsonStrings(invite.skills)},
                        {"setup_expires_at", result.setup->expiresAt}};
    if (!home.empty()) {
        const auto at = std::find(invite.storeIds.begin(), invite.storeIds.end(), home);
        detail["home_store_code"] =
            (*codes)[static_cast<std::size_t>(at - invite.storeIds.begin())];
    }
    audit(txn, caller.organisationId, caller.userId, "user.invited", userId, detail, sourceIp);
    result.user = readUser(txn, caller.organisationId, userId);
    txn.commit();
    result.outcome = UserAdminOutcome::Done;
    return result;
}

UserAdminResult changeUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const UserChange& change, const std::string& sourceIp)
{
    const auto userId = canonicalId(rawId);
    if (!userId) {
        return outcome(UserAdminOutcome::NotFound);
    }
    pqxx::work txn(conn);
    const Locked locked = lockCallerAndTarget(txn, caller, *userId);
    if (!locked.callerIsAdmin) {
        return outcome(UserAdminOutcome::Forbidden);
    }
    if (!locked.targetFound) {
        return outcome(UserAdminOutcome::NotFound);
    }
    const UserSummary before = readUser(txn, caller.organisationId, *userId).value();
    const std::string role = change.role.value_or(before.role);
    if (*userId == caller.userId && role != before.role) {
        // Nobody changes their own role: an admin cannot demote themselves out of the last seat,
        // and another admin has to agree to a change of who may administer.
        return outcome(UserAdminOutcome::Self);
    }
    const std::vector<std::string> stores = change.storeIds.value_or(before.storeIds);
    const auto codes = storeCodes(txn, caller.organisationId, stores);
    if (!codes) {
        return outcome(UserAdminOutcome::Invalid,
                       "storeIds names a store that is not one of your organisation's");
    }
    if ((change.role || change.storeIds) && needsStores(role) && stores.empty()) {
        return outcome(UserAdminOutcome::Invalid,
                       "staff and managers need at least one store in storeIds");
    }
    const auto inStores = [&](const std::string& id) {
        return std::find(stores.begin(), stores.end(), id) != stores.end();
    };
    std::string home = before.homeStoreId;
    if (change.homeStoreGiven) {
        home = change.homeStoreId.value_or("");
        if (!home.empty() && !inStores(home)) {
            return outcome(UserAdminOutcome::Invalid,
                           "homeStoreId must be one of the person's stores");
        }
    } else if (change.storeIds && (home.empty() || !inStores(home))) {
        home = stores.empty() ? "" : stores.front(); // the home store left with the stores
    }
    const std::string name = change.displayName.value_or(before.displayName);
    const std::vector<std::string> skillList = change.skills.value_or(before.skills);

    const auto codeOf = [&](const std::string& id, const std::vector<std::string>& ids,
                            const std::vector<std::string>& idCodes) -> json::value {
        const auto at = std::find(ids.begin(), ids.end(), id);
        return at == ids.end() ? json::value(nullptr)
                               : json::value(idCodes[static_cast<std::size_t>(at - ids.begin())]);
    };
    std::vector<std::string> sortedBefore = before.storeCodes;
    std::vector<std::string> sortedAfter = *codes;
    std::sort(sortedBefore.begin(), sortedBefore.end());
    std::sort(sortedAfter.begin(), sortedAfter.end());

    json::object fields;
    const auto note = [&](std::string_view field, json::value old, json::value now) {
        fields[field] = json::object{{"old", std::move(old)}, {"new", std::move(now)}};
    };
    if (name != before.displayName) {
        note("display_name", json::value(before.displayName), json::value(name));
    }
    if (role != before.role) {
        note("role", json::value(before.role), json::value(role));
    }
    if (sortedAfter != sortedBefore) {
        note("store_codes", jsonStrings(sortedBefore), jsonStrings(sortedAfter));
    }
    if (home != before.homeStoreId) {
        note("home_store_code", codeOf(before.homeStoreId, before.storeIds, before.storeCodes),
             codeOf(home, stores, *codes));
    }
    if (skillList != before.skills) {
        note("skills", jsonStrings(before.skills), jsonStrings(skillList));
    }
    UserAdminResult result;
    if (fields.empty()) {
        result.outcome = UserAdminOutcome::Unchanged;
        result.user = before;
        return result;
    }
    if (name != before.displayName || role != before.role || home != before.homeStoreId ||
        skillList != before.skills) {
        txn.exec_params0(
            "UPDATE users SET display_name = $2, role = $3, home_location_id = nullif($4, "
            "'')::uuid, skills = ARRAY(SELECT s FROM jsonb_array_elements_text($5::jsonb) WITH "
            "ORDINALITY AS t(s, n) ORDER BY n) WHERE id = $1::uuid",
            *userId, name, role, home, json::serialize(jsonStrings(skillList)));
    }
    if (sortedAfter != sortedBefore) {
        txn.exec_params0("DELETE FROM user_locations WHERE user_id = $1::uuid "
                         "AND NOT (location_id = ANY($2::uuid[]))",
                         *userId, uuidArray(stores));
        txn.exec_params0("INSERT INTO user_locations (user_id, location_id) "
                         "SELECT $1::uuid, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
                         *userId, uuidArray(stores));
    }
    if (role != before.role) {
        // The token of every sign-in names the old role: end them (NOTIFY closes their sockets);
        // the person signs in again and the app shows what the new role may see.
        result.sessionsEnded = static_cast<int>(
            txn.exec_params("UPDATE auth_sessions SET revoked_at = now(), revoked_reason = "
                            "'role changed' WHERE user_id = $1::uuid AND revoked_at IS NULL",
                            *userId)
                .affected_rows());
    }
    audit(txn, caller.organisationId, caller.userId, "user.changed", *userId,
          json::object{{"fields", std::move(fields)}, {"sessions_ended", result.sessionsEnded}},
          sourceIp);
    result.user = readUser(txn, caller.organisationId, *userId);
    txn.commit();
    result.outcome = UserAdminOutcome::Done;
    return result;
}

UserAdminResult enableUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const std::string& sourceIp)
{
    const auto userId = canonicalId(rawId);
    if (!userId) {
        return outcome(UserAdminOutcome::NotFound);
    }
    pqxx::work txn(conn);
    const Locked locked = lockCallerAndTarget(txn, caller, *userId);
    if (!locked.callerIsAdmin) {
        return outcome(UserAdminOutcome::Forbidden);
    }
    if (!locked.targetFound) {
        return outcome(UserAdminOutcome::NotFound);
    }
    if (locked.targetActive) {
        return outcome(UserAdminOutcome::Unchanged);
    }
    // A fresh start: failures counted before the account was disabled do not lock it now.
    txn.exec_params0("UPDATE users SET active = true, failed_logins = 0, locked_until = NULL "
                     "WHERE id = $1::uuid",
                     *userId);
    audit(txn, caller.organisationId, caller.userId, "user.enabled", *userId, {}, sourceIp);
    txn.commit();
    return outcome(UserAdminOutcome::Done);
}

UserAdminResult resetUserPassword(pqxx::connection& conn, const Claims& caller,
                                  const std::string& rawId, const std::string& sourceIp)
{
    const auto userId = canonicalId(rawId);
    if (!userId) {
        return outcome(UserAdminOutcome::NotFound);
    }
    pqxx::work txn(conn);
    const Locked locked = lockCallerAndTarget(txn, caller, *userId);
    if (!locked.callerIsAdmin) {
        return outcome(UserAdminOutcome::Forbidden);
    }
    if (!locked.targetFound) {
        return outcome(UserAdminOutcome::NotFound);
    }
    if (*userId == caller.userId) {
        return outcome(UserAdminOutcome::Self); // it would sign them out with no way back in
    }
    UserAdminResult result;
    // Ended here with their own reason; the password trigger (0003) then finds none left. Each
    // revocation is announced with NOTIFY on commit and closes the sockets on every node.
    result.sessionsEnded = static_cast<int>(
        txn.exec_params("UPDATE auth_sessions SET revoked_at = now(), revoked_reason = "
                        "'password reset' WHERE user_id = $1::uuid AND revoked_at IS NULL",
                        *userId)
            .affected_rows());
    txn.exec_params0("UPDATE users SET password_hash = NULL, password_changed_at = now(), "
                     "failed_logins = 0, locked_until = NULL WHERE id = $1::uuid",
                     *userId);
    result.setup = issueSetupCode(txn, caller.organisationId, *userId, "reset", caller.userId);
    audit(txn, caller.organisationId, caller.userId, "user.password_reset", *userId,
          json::object{{"sessions_ended", result.sessionsEnded},
                       {"setup_expires_at", result.setup->expiresAt}},
          sourceIp);
    txn.commit();
    result.outcome = UserAdminOutcome::Done;
    return result;
}

std::string newSetupCode()
{
    std::array<unsigned char, kCodeLength * 5 / 8> bytes{}; // 80 bits
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("no randomness for a setup code");
    }
    std::string out;
    unsigned bits = 0;
    unsigned buffer = 0;
    for (const unsigned char b : bytes) {
        buffer = ((buffer << 8) | b) & 0xFFFFu;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            if (!out.empty() && (out.size() + 1) % 5 == 0) {
                out.push_back('-');
            }
            out.push_back(kCodeAlphabet[(buffer >> bits) & 0x1F]);
        }
    }
    return out;
}

std::string normaliseSetupCode(std::string_view typed)
{
    if (typed.size() > 64) {
        return {};
    }
    std::string out;
    for (const char raw : typed) {
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
        if (c == '-' || c == ' ') {
            continue;
        }
        if (c == 'O') {
            c = '0';
        } else if (c == 'I' || c == 'L') {
            c = '1';
        }
        if (kCodeAlphabet.find(c) == std::string_view::npos) {
            return {};
        }
        out.push_back(c);
    }
    return out.size() == kCodeLength ? out : std::string();
}

std::optional<std::string> newPasswordProblem(std::string_view password, std::string_view email)
{
    if (auto problem = passwordPolicyProblem(password)) {
        return problem;
    }
    if (lower(std::string(password)) == lower(std::string(email))) {
        return std::string("a password must not be the e-mail address");
    }
    return std::nullopt;
}

SetupOutcome setupPassword(pqxx::connection& conn, const SetupPasswordRequest& request)
{
    // The Argon2id work first and always, before anything about the account is known, so an
    // unknown account, a wrong code and a right one take the same time up to the last write.
    const std::string hash = hashPassword(request.password.substr(0, kMaxPasswordLength));
    const std::string code = normaliseSetupCode(request.code);
    const std::string candidate = db::sha256Hex(code);
    if (request.organisation.size() > 64 || request.email.size() > kMaxEmail ||
        !printable(request.organisation) || !printable(request.email)) {
        return SetupOutcome::Refused;
    }
    pqxx::work txn(conn);
    const pqxx::result found = txn.exec_params(
        "SELECT ps.id::text, encode(ps.code_hash, 'hex'), ps.purpose, u.id::text, "
        "       u.organisation_id::text "
        "FROM users u JOIN organisations o ON o.id = u.organisation_id "
        "JOIN password_setups ps ON ps.user_id = u.id AND ps.used_at IS NULL "
        "     AND ps.withdrawn_at IS NULL AND ps.expires_at > now() "
        "WHERE o.slug = $1 AND lower(u.email) = lower($2) AND u.active FOR UPDATE OF ps, u",
        request.organisation, request.email);
    // Compared as digests of equal length, in constant time, whether or not there was a row.
    const std::string stored =
        found.empty() ? std::string(candidate.size(), '0') : found[0][1].as<std::string>();
    const bool match = !code.empty() && !found.empty() && stored.size() == candidate.size() &&
                       CRYPTO_memcmp(stored.data(), candidate.data(), stored.size()) == 0;
    if (!match) {
        return SetupOutcome::Refused;
    }
    const std::string setupId = found[0][0].as<std::string>();
    const std::string purpose = found[0][2].as<std::string>();
    const std::string userId = found[0][3].as<std::string>();
    const std::string organisationId = found[0][4].as<std::string>();
    txn.exec_params0("UPDATE users SET password_hash = $2, password_changed_at = now(), "
                     "failed_logins = 0, locked_until = NULL WHERE id = $1::uuid",
                     userId, hash);
    txn.exec_params0("UPDATE password_setups SET used_at = now() WHERE id = $1::uuid", setupId);
    audit(txn, organisationId, userId, "user.password_set", userId,
          json::object{{"purpose", purpose}}, request.sourceIp);
    txn.commit();
    return SetupOutcome::PasswordSet;
}

} // namespace cc::server::auth
