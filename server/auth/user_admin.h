#pragma once

#include "server/auth/admin_service.h"
#include "server/auth/tokens.h"

#include <pqxx/connection>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// People's accounts, managed by the organisation's admins (docs/security.md, "Accounts and
// passwords"): invite someone, change their role, stores, name or skills, enable them again,
// reset their password; and the public end of invites and resets, where the person chooses
// their own password with the one-time setup code an admin gave them.
//
// Every admin operation runs in one transaction that locks the caller's and the target's rows
// (in id order, so two admins acting on each other cannot deadlock), re-checks that the caller is
// still an active admin of the organisation, confines the target to that organisation (another
// organisation's user is "not found", exactly like a made-up id) and writes the audit log. No
// audit entry, log line or answer other than the one to the admin who asked ever holds a setup
// code, and only its SHA-256 is stored.
namespace cc::server::auth {

inline constexpr std::size_t kMaxUserAdminBody = 16 * 1024;
inline constexpr std::size_t kMaxUserStores = 500;
inline constexpr std::size_t kMaxUserSkills = 32;
inline constexpr int kSetupCodeDays = 7;

// POST /v1/admin/users: {"email", "displayName", "role", "storeIds": [...], "homeStoreId"?,
// "skills"?: [...]}.
struct UserInvite {
    std::string email;
    std::string displayName;
    std::string role;
    std::vector<std::string> storeIds; // lower case, no repeats, in the order given
    std::optional<std::string> homeStoreId;
    std::vector<std::string> skills;
};

// PUT /v1/admin/users/{id}: any of "displayName", "role", "storeIds", "homeStoreId" (null: no
// home store), "skills"; what is not given stays.
struct UserChange {
    std::optional<std::string> displayName;
    std::optional<std::string> role;
    std::optional<std::vector<std::string>> storeIds;
    bool homeStoreGiven = false;
    std::optional<std::string> homeStoreId;
    std::optional<std::vector<std::string>> skills;
};

// Both throw std::invalid_argument with a message for the admin (naming the field, never echoing
// what was sent); nothing is written for a body that does not parse.
UserInvite parseUserInvite(std::string_view body);
UserChange parseUserChange(std::string_view body);

struct SetupCode {
    std::string code;      // "7KQ2-M9XD-4HTR-WP3A": shown once, to the admin who asked
    std::string expiresAt; // ISO 8601, UTC
};

enum class UserAdminOutcome {
    Done,
    Unchanged,  // nothing to do (already active; every value already as given): not audited
    NotFound,   // no such user in the caller's organisation
    Forbidden,  // the caller is no longer an active admin
    EmailTaken, // invite: someone of the organisation has this e-mail already (any case)
    Self,       // one's own role, or resetting one's own password
    Invalid,    // the request does not fit the organisation (unknown store ...): `problem`
};

struct UserAdminResult {
    UserAdminOutcome outcome = UserAdminOutcome::NotFound;
    std::string problem;             // Invalid: for the admin
    std::optional<UserSummary> user; // Done, Unchanged (not for enable)
    std::optional<SetupCode> setup;  // invite, reset
    int sessionsEnded = 0;           // reset, a role change
};

UserAdminResult inviteUser(pqxx::connection& conn, const Claims& caller, const UserInvite& invite,
                           const std::string& sourceIp);
// A role change ends the person's sign-ins (their devices sign in again and see what the new
// role shows); name, store and skill changes do not (sync re-scopes their devices at once).
UserAdminResult changeUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const UserChange& change, const std::string& sourceIp);
UserAdminResult enableUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const std::string& sourceIp);
// Clears the password, ends every sign-in (NOTIFY closes their sockets) and issues a new code.
UserAdminResult resetUserPassword(pqxx::connection& conn, const Claims& caller,
                                  const std::string& rawId, const std::string& sourceIp);

// ---- the public end: POST /v1/auth/setup-password ----

struct SetupPasswordRequest {
    std::string organisation; // slug
    std::string email;
    std::string code;
    std::string password;
    std::string sourceIp;
};

// A fresh code: 16 characters of Crockford's base32 (80 random bits) in groups of four.
std::string newSetupCode();
// The code as stored (hashed): upper case, without separators, O read as 0 and I, L as 1;
// empty when it cannot be a code.
std::string normaliseSetupCode(std::string_view typed);

// Why a new password is refused, for the person choosing it: the policy of password.h, and not
// the e-mail address itself. Nothing when acceptable.
std::optional<std::string> newPasswordProblem(std::string_view password, std::string_view email);

enum class SetupOutcome { PasswordSet, Refused };

// Sets the password if the account has a live code and it matches (compared in constant time as
// SHA-256 digests), marks the code used and audits it. Unknown organisation or e-mail, a disabled
// account, no code, a wrong, used, withdrawn or expired code: all Refused, after the same
// Argon2id work, so neither the answer nor its timing tells which. The password must have
// passed newPasswordProblem.
SetupOutcome setupPassword(pqxx::connection& conn, const SetupPasswordRequest& request);

} // namespace cc::server::auth
