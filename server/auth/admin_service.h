#pragma once

#include "server/auth/tokens.h"

#include <pqxx/connection>

#include <optional>
#include <string>
#include <vector>

// Organisation administration against PostgreSQL, for a caller already authenticated and
// permitted by the policy. Every query is confined to the caller's organisation (and, for a
// manager, their stores); a row outside that is indistinguishable from one that does not exist.
namespace cc::server::auth {

struct UserSummary {
    std::string id;
    std::string email;
    std::string displayName;
    std::string role;
    bool active = true;
    std::vector<std::string> storeCodes;
};

struct AuditEntry {
    std::int64_t id = 0;
    std::string at; // ISO 8601, UTC
    std::string actorUserId;
    std::string action;
    std::string targetType;
    std::string targetId;
};

// The caller's role now, if the sign-in behind these claims is still live and the user active:
// the access token alone could outlive a revocation or a demotion by up to its lifetime.
std::optional<domain::Role> liveRole(pqxx::connection& conn, const Claims& caller);

std::vector<UserSummary> listUsers(pqxx::connection& conn, const Claims& caller);

enum class DisableOutcome { Disabled, AlreadyDisabled, NotFound, Self };
DisableOutcome disableUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const std::string& sourceIp);

std::vector<AuditEntry> readAuditLog(pqxx::connection& conn, const Claims& caller,
                                     std::size_t limit);

// Sets the caller's own presence, "available" or "away" (anything else throws
// std::invalid_argument). Becoming available starts their idle time: the longest idle is rung
// first. Returns false when the caller has no presence row (not one of this organisation's).
bool setOwnPresence(pqxx::connection& conn, const Claims& caller, const std::string& status);

} // namespace cc::server::auth
