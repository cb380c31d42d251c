#pragma once

#include "shared/domain/role.h"
#include "shared/util/result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Access tokens: short-lived JWTs signed with HMAC-SHA256 (RFC 7519, "alg":"HS256") and a key
// id ("kid"), so keys can rotate: the first configured key signs, every configured key verifies.
// Only servers read them; clients treat them as opaque. See docs/security.md.
namespace cc::server::auth {

struct SigningKey {
    std::string id;     // "kid"
    std::string secret; // at least 32 bytes
};

// Parses "kid:base64url-secret[, kid2:secret2 ...]"; the first key signs.
Result<std::vector<SigningKey>, std::string> parseSigningKeys(std::string_view text);

struct Claims {
    std::string userId;
    std::string organisationId;
    domain::Role role = domain::Role::Staff;
    std::string sessionId;     // the login session (refresh-token family); revocable
    std::int64_t issuedAt = 0; // Unix seconds
    std::int64_t expiresAt = 0;
};

enum class TokenError {
    Malformed,
    UnsupportedAlgorithm,
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid
};
std::string_view toString(TokenError error);

class TokenSigner {
public:
    explicit TokenSigner(std::vector<SigningKey> keys); // throws std::invalid_argument if none

    std::string issue(const Claims& claims) const;
    // Checks structure, algorithm, key, signature (in constant time) and time window.
    Result<Claims, TokenError> verify(std::string_view token, std::int64_t nowSeconds) const;

private:
    std::vector<SigningKey> m_keys;
};

std::int64_t unixNow();

} // namespace cc::server::auth
