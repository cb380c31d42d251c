#include "server/auth/auth_service.h"

#include "server/auth/password.h"
#include "server/db/migrations.h" // sha256Hex
#include "server/db/prepared.h"
#include "server/ops/log.h"
#include "shared/util/base64url.h"

#include <openssl/rand.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace cc::server::auth {
namespace {

constexpr std::size_t kMaxField = 254;

std::string newRefreshToken()
{
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("no randomness for a refresh token");
    }
    return util::base64UrlEncode(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string tokenHashHex(const std::string& token)
{
    return db::sha256Hex(token);
}

std::vector<StoreRef> storesOf(pqxx::transaction_base& txn, const std::string& userId,
                               domain::Role role, const std::string& organisationId)
{
    // Executives and admins work across the organisation; staff and managers in their stores.
    const bool wholeOrganisation = role == domain::Role::Executive || role == domain::Role::Admin;
    const pqxx::result rows =
        wholeOrganisation
            ? txn.exec_params(
                  "SELECT id::text, code, name FROM locations WHERE organisation_id = $1 "
                  "ORDER BY code",
                  organisationId)
            : txn.exec_params("SELECT l.id::text, l.code, l.name FROM user_locations ul "
                              "JOIN locations l ON l.id = ul.location_id "
                              "WHERE ul.user_id = $1 ORDER BY l.code",
                              userId);
    std::vector<StoreRef> stores;
    stores.reserve(rows.size());
    for (const auto& r : rows) {
        stores.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
    }
    return stores;
}

// Issues the access token and a fresh refresh token of `sessionId`, and fills in who it is.
SignedIn issue(pqxx::transaction_base& txn, const TokenSigner& signer, const AuthSettings& settings,
               const std::string& sessionId, const std::string& userId)
{
    const pqxx::row user = txn.exec_params1(
        "SELECT u.display_name, u.role, u.organisation_id::text, o.name "
        "FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
        userId);
    SignedIn out;
    out.userId = userId;
    out.displayName = user[0].as<std::string>();
    out.role = domain::roleFromString(user[1].as<std::string>()).value_or(domain::Role::Staff);
    out.organisationId = user[2].as<std::string>();
    out.organisationName = user[3].as<std::string>();
    out.stores = storesOf(txn, userId, out.role, out.organisationId);

    out.refreshToken = newRefreshToken();
    txn.exec_params0(
        "INSERT INTO refresh_tokens (token_hash, session_id) VALUES (decode($1, 'hex'), $2)",
        tokenHashHex(out.refreshToken), sessionId);

    const std::int64_t now = unixNow();
    out.accessExpiresAt = now + settings.accessTokenLifetime.count();
    out.accessToken = signer.issue(
        Claims{userId, out.organisationId, out.role, sessionId, now, out.accessExpiresAt});
    return out;
}

void audit(pqxx::transaction_base& txn, const std::string& organisationId, const std::string& actor,
           const std::string& action, const std::string& targetType, const std::string& targetId,
           const std::string& sourceIp)
{
    txn.exec_params0("INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, "
                     "target_id, source_ip) VALUES ($1, $2, $3, $4, $5, $6)",
                     organisationId, actor.empty() ? std::optional<std::string>() : actor, action,
                     targetType, targetId,
                     sourceIp.empty() ? std::optional<std::string>() : std::optional(sourceIp));
}

} // namespace

namespace {

// Refuse control characters (a NUL would end the string at libpq but not in our rate-limit key).
bool printable(std::string_view s)
{
    return std::none_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

} // namespace

LoginOutcome login(pqxx::connection& conn, const TokenSigner& signer, const AuthSettings& settings,
                   const LoginRequest& request)
{
    if (request.organisation.size() > kMaxField || request.email.size() > kMaxField ||
        request.password.size() > kMaxPasswordLength || request.deviceId.empty() ||
        request.deviceId.size() > 64 || !printable(request.organisation) ||
        !printable(request.email) || !printable(request.deviceId)) {
        burnVerification(request.password);
        return InvalidCredentials{};
    }
    // Read, then verify the password with no transaction open and no row locked (Argon2id takes
    // tens of milliseconds), then record the outcome in a short transaction.
    std::string userId;
    std::optional<std::string> hash;
    bool active = false;
    std::int64_t lockedFor = 0;
    {
        pqxx::read_transaction txn(conn);
        const pqxx::result found = txn.exec_params(
            "SELECT u.id::text, u.password_hash, u.active, "
            "       greatest(0, ceil(extract(epoch FROM u.locked_until - now())))::bigint "
            "FROM users u JOIN organisations o ON o.id = u.organisation_id "
            "WHERE o.slug = $1 AND lower(u.email) = lower($2)",
            request.organisation, request.email);
        if (!found.empty()) {
            userId = found[0][0].as<std::string>();
            if (!found[0][1].is_null()) {
                hash = found[0][1].as<std::string>();
            }
            active = found[0][2].as<bool>();
            lockedFor = found[0][3].is_null() ? 0 : found[0][3].as<std::int64_t>();
        }
    }
    // The same Argon2id work whatever the case, so timing does not tell them apart.
    const bool passwordOk = hash && lockedFor == 0 ? verifyPassword(*hash, request.password)
                                                   : (burnVerification(request.password), false);
    if (userId.empty()) {
        return InvalidCredentials{};
    }
    if (lockedFor > 0) {
        return LockedOut{std::chrono::seconds(lockedFor)};
    }
    pqxx::work txn(conn);
    if (!passwordOk || !active) {
        // Each failure past the threshold doubles the lock: 30 s, 1 min, 2 min ... up to 15 min.
        // The exponent is clamped so a long guessing campaign cannot overflow it.
        txn.exec_params0(
            "UPDATE users SET failed_logins = least(failed_logins + 1, 1000000), "
            "  locked_until = CASE WHEN failed_logins + 1 >= $2::int "
            "    THEN now() + least($3::float8 * power(2, least(failed_logins + 1 - $2::int, 20)), "
            "                       $4::float8) * interval '1 second' "
            "    ELSE locked_until END "
            "WHERE id = $1",
            userId, settings.failuresBeforeLockout, settings.firstLockout.count(),
            settings.maxLockout.count());
        txn.commit();
        return InvalidCredentials{};
    }
    txn.exec_params0("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                     userId);
    const std::string sessionId =
        txn.exec_params1(
               "INSERT INTO auth_sessions (id, user_id, organisation_id, device_id, expires_at) "
               "SELECT gen_random_uuid(), id, organisation_id, $2, "
               "now() + $3::int * interval '1 hour' FROM users WHERE id = $1 RETURNING id::text",
               userId, request.deviceId, settings.refreshLifetime.count())[0]
            .as<std::string>();
    SignedIn out = issue(txn, signer, settings, sessionId, userId);
    txn.commit();
    return out;
}

RefreshOutcome refresh(pqxx::connection& conn, const TokenSigner& signer,
                       const AuthSettings& settings, const std::string& refreshToken,
                       const std::string& sourceIp)
{
    if (refreshToken.empty() || refreshToken.size() > 128 || !printable(refreshToken)) {
        return InvalidRefresh{};
    }
    pqxx::work txn(conn);
    const pqxx::result found = txn.exec_params(
        "SELECT rt.session_id::text, rt.used_at IS NOT NULL, s.user_id::text, "
        "       s.organisation_id::text, "
        "       s.revoked_at IS NULL AND s.expires_at > now() AND u.active, "
        // A retry of a token used moments ago whose successor nobody has used: a lost answer,
        // not a stolen token.
        "       rt.used_at > now() - $2::int * interval '1 second' AND NOT EXISTS ("
        "           SELECT 1 FROM refresh_tokens later WHERE later.session_id = rt.session_id "
        "           AND later.issued_at >= rt.used_at AND later.used_at IS NOT NULL) "
        "FROM refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id "
        "JOIN users u ON u.id = s.user_id "
        "WHERE rt.token_hash = decode($1, 'hex') FOR UPDATE OF rt, s",
        tokenHashHex(refreshToken), settings.refreshRetryGrace.count());
    if (found.empty()) {
        return InvalidRefresh{};
    }
    const std::string sessionId = found[0][0].as<std::string>();
    const std::string userId = found[0][2].as<std::string>();
    const bool live = found[0][4].as<bool>();
    const bool used = found[0][1].as<bool>();
    const bool retry = used && !found[0][5].is_null() && found[0][5].as<bool>();
    if (used && !retry) {
        // A token that was already exchanged: someone kept a copy. End the whole session.
        const pqxx::result revoked =
            txn.exec_params("UPDATE auth_sessions SET revoked_at = now(), revoked_reason = "
                            "'refresh token reuse' WHERE id = $1 AND revoked_at IS NULL",
                            sessionId);
        if (revoked.affected_rows() > 0) { // once per session, not once per replay
            audit(txn, found[0][3].as<std::string>(), userId, "session.revoked.refresh_reuse",
                  "auth_session", sessionId, sourceIp);
            log::warn("auth", "refresh token reuse: session " + sessionId + " revoked");
        }
        txn.commit();
        return InvalidRefresh{true};
    }
    if (!live) {
        return InvalidRefresh{};
    }
    if (retry) {
        // The successor we issued never arrived: withdraw it and issue another.
        txn.exec_params0("DELETE FROM refresh_tokens WHERE session_id = $1 AND used_at IS NULL",
                         sessionId);
    } else {
        txn.exec_params0(
            "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = decode($1, 'hex')",
            tokenHashHex(refreshToken));
    }
    txn.exec_params0("UPDATE auth_sessions SET last_used_at = now() WHERE id = $1", sessionId);
    SignedIn out = issue(txn, signer, settings, sessionId, userId);
    txn.commit();
    return out;
}

bool logout(pqxx::connection& conn, const std::string& refreshToken)
{
    if (refreshToken.empty() || refreshToken.size() > 128) {
        return false;
    }
    pqxx::work txn(conn);
    const pqxx::result r = txn.exec_params(
        "UPDATE auth_sessions s SET revoked_at = now(), revoked_reason = 'signed out' "
        "FROM refresh_tokens rt WHERE rt.token_hash = decode($1, 'hex') AND s.id = rt.session_id "
        "AND s.revoked_at IS NULL",
        tokenHashHex(refreshToken));
    txn.commit();
    return r.affected_rows() > 0;
}

bool sessionLive(pqxx::connection& conn, const Claims& claims)
{
    pqxx::read_transaction txn(conn);
    // Everything the token claims, as the database has it now: the sign-in, its person, their
    // organisation and role (a token naming another organisation or an old role is not live).
    const pqxx::result r = db::execPrepared(
        txn,
        "SELECT 1 FROM auth_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.id = $1::uuid AND s.user_id = $2::uuid AND s.organisation_id = $3::uuid "
        "AND u.organisation_id = $3::uuid AND u.role = $4 AND s.revoked_at IS NULL "
        "AND s.expires_at > now() AND u.active",
        claims.sessionId, claims.userId, claims.organisationId,
        std::string(domain::toString(claims.role)));
    return !r.empty();
}

int revokeUserSessions(pqxx::connection& conn, const std::string& userId, const std::string& reason)
{
    pqxx::work txn(conn);
    const pqxx::result r =
        txn.exec_params("UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 "
                        "WHERE user_id = $1 AND revoked_at IS NULL",
                        userId, reason.substr(0, 100));
    txn.commit();
    return static_cast<int>(r.affected_rows());
}

} // namespace cc::server::auth
