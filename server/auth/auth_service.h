#pragma once

#include "server/auth/tokens.h"

#include <pqxx/connection>

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

// Sign-in, token refresh and sign-out against PostgreSQL. Plain functions of a connection, so
// they run on a database worker and are tested without HTTP. Every outcome a caller must treat
// differently is its own type; the reasons a person may see stay vague on purpose ("invalid
// credentials" whether the account exists or not).
namespace cc::server::auth {

struct AuthSettings {
    std::chrono::seconds accessTokenLifetime{15 * 60};
    std::chrono::hours refreshLifetime{24 * 30};
    int failuresBeforeLockout = 5;
    std::chrono::seconds firstLockout{30};
    std::chrono::seconds maxLockout{15 * 60};
    // A used refresh token presented again this soon, while its successor is unused, is a
    // retry after a lost answer rather than a stolen copy.
    std::chrono::seconds refreshRetryGrace{30};
};

struct StoreRef {
    std::string id;
    std::string code;
    std::string name;
};

struct SignedIn {
    std::string accessToken;
    std::int64_t accessExpiresAt = 0; // Unix seconds
    std::string refreshToken;         // opaque; only its hash is stored
    std::string userId;
    std::string displayName;
    domain::Role role = domain::Role::Staff;
    std::string organisationId;
    std::string organisationName;
    std::vector<StoreRef> stores;
};

struct InvalidCredentials {};
struct LockedOut {
    std::chrono::seconds retryAfter;
};
struct InvalidRefresh {
    bool reuseDetected = false;
};

using LoginOutcome = std::variant<SignedIn, InvalidCredentials, LockedOut>;
using RefreshOutcome = std::variant<SignedIn, InvalidRefresh>;

struct LoginRequest {
    std::string organisation; // slug
    std::string email;
    std::string password;
    std::string deviceId;
    std::string sourceIp;
};

LoginOutcome login(pqxx::connection& conn, const TokenSigner& signer, const AuthSettings& settings,
                   const LoginRequest& request);

RefreshOutcome refresh(pqxx::connection& conn, const TokenSigner& signer,
                       const AuthSettings& settings, const std::string& refreshToken,
                       const std::string& sourceIp);

// Revokes the session the refresh token belongs to; true if there was a live one.
bool logout(pqxx::connection& conn, const std::string& refreshToken);

// Is the sign-in behind these claims still live, its person active and still of the claimed
// organisation and role? (WebSocket hello, re-auth.)
bool sessionLive(pqxx::connection& conn, const Claims& claims);

// Ends every live session of a user (password change, user disabled); returns how many.
int revokeUserSessions(pqxx::connection& conn, const std::string& userId,
                       const std::string& reason);

} // namespace cc::server::auth
