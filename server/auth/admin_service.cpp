#include "server/auth/admin_service.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace cc::server::auth {
namespace {

bool isUuid(const std::string& s)
{
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<domain::Role> liveRole(pqxx::connection& conn, const Claims& caller)
{
    pqxx::read_transaction txn(conn);
    const pqxx::result r =
        txn.exec_params("SELECT u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id "
                        "WHERE s.id = $1::uuid AND s.user_id = $2::uuid "
                        "AND u.organisation_id = $3::uuid AND s.revoked_at IS NULL "
                        "AND s.expires_at > now() AND u.active",
                        caller.sessionId, caller.userId, caller.organisationId);
    if (r.empty()) {
        return std::nullopt;
    }
    return domain::roleFromString(r[0][0].as<std::string>());
}

std::vector<UserSummary> listUsers(pqxx::connection& conn, const Claims& caller)
{
    pqxx::read_transaction txn(conn);
    // Admins see the organisation; managers the people of their own stores. Role and stores are
    // read now, not taken from the token, so a demotion applies at once.
    const pqxx::result rows = txn.exec_params(
        "WITH me AS (SELECT role FROM users WHERE id = $1::uuid AND organisation_id = $2::uuid) "
        "SELECT u.id::text, u.email, u.display_name, u.role, u.active, "
        "       coalesce(array_to_string(array_agg(DISTINCT l.code ORDER BY l.code) "
        "                FILTER (WHERE l.code IS NOT NULL), ','), '') "
        "FROM users u CROSS JOIN me "
        "LEFT JOIN user_locations ul ON ul.user_id = u.id "
        "LEFT JOIN locations l ON l.id = ul.location_id "
        "WHERE u.organisation_id = $2::uuid AND (me.role = 'admin' OR (me.role = 'manager' AND "
        "  EXISTS (SELECT 1 FROM user_locations mine JOIN user_locations theirs "
        "          ON theirs.location_id = mine.location_id "
        "          WHERE mine.user_id = $1::uuid AND theirs.user_id = u.id))) "
        "GROUP BY u.id ORDER BY u.display_name",
        caller.userId, caller.organisationId);
    std::vector<UserSummary> users;
    users.reserve(rows.size());
    for (const auto& r : rows) {
        UserSummary u{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                      r[3].as<std::string>(), r[4].as<bool>(),        {}};
        std::string codes = r[5].as<std::string>();
        for (std::size_t start = 0; start < codes.size();) {
            const auto comma = codes.find(',', start);
            u.storeCodes.push_back(codes.substr(start, comma - start));
            start = comma == std::string::npos ? codes.size() : comma + 1;
        }
        users.push_back(std::move(u));
    }
    return users;
}

DisableOutcome disableUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const std::string& sourceIp)
{
    if (!isUuid(rawId)) {
        return DisableOutcome::NotFound;
    }
    // Canonical form (lower case), so "is it me?" and the audit entry see the same id.
    std::string userId = rawId;
    std::transform(userId.begin(), userId.end(), userId.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (userId == caller.userId) {
        return DisableOutcome::Self; // an admin cannot lock themselves out by accident
    }
    pqxx::work txn(conn);
    const pqxx::result found = txn.exec_params(
        "SELECT active FROM users WHERE id = $1::uuid AND organisation_id = $2::uuid "
        "AND id <> $3::uuid FOR UPDATE",
        userId, caller.organisationId, caller.userId);
    if (found.empty()) {
        return DisableOutcome::NotFound; // another organisation's user does not exist for us
    }
    if (!found[0][0].as<bool>()) {
        return DisableOutcome::AlreadyDisabled;
    }
    // The users trigger ends the user's sign-ins, and NOTIFY closes their sockets everywhere.
    txn.exec_params0("UPDATE users SET active = false WHERE id = $1::uuid", userId);
    txn.exec_params0(
        "INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, "
        "target_id, source_ip) VALUES ($1::uuid, $2::uuid, 'user.disabled', 'user', $3, "
        "nullif($4, '')::inet)",
        caller.organisationId, caller.userId, userId, sourceIp);
    txn.commit();
    return DisableOutcome::Disabled;
}

std::vector<AuditEntry> readAuditLog(pqxx::connection& conn, const Claims& caller,
                                     std::size_t limit)
{
    pqxx::read_transaction txn(conn);
    const pqxx::result rows = txn.exec_params(
        "SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "       coalesce(actor_user_id::text, ''), action, coalesce(target_type, ''), "
        "       coalesce(target_id, '') "
        "FROM audit_log WHERE organisation_id = $1::uuid ORDER BY id DESC LIMIT $2",
        caller.organisationId, static_cast<long long>(limit));
    std::vector<AuditEntry> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
                       r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>()});
    }
    return out;
}

bool setOwnPresence(pqxx::connection& conn, const Claims& caller, const std::string& status)
{
    if (status != "available" && status != "away") {
        throw std::invalid_argument("presence is available or away");
    }
    pqxx::work tx(conn);
    const pqxx::result r = tx.exec_params(
        "UPDATE presence SET idle_since = CASE WHEN status <> $3 AND $3 = 'available' THEN now() "
        "ELSE idle_since END, status = $3, updated_at = now() "
        "WHERE user_id = $1::uuid AND organisation_id = $2::uuid",
        caller.userId, caller.organisationId, status);
    tx.commit();
    return r.affected_rows() == 1;
}

} // namespace cc::server::auth
