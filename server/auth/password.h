#pragma once

#include <optional>
#include <string>
#include <string_view>

// Password hashing with Argon2id (memory-hard), in the PHC string format
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" so parameters can be raised later without
// invalidating stored hashes. Parameters follow OWASP's minimum for Argon2id (19 MiB, 2 passes,
// 1 lane): about 30 ms per hash on one core here, which keeps login cheap for people and
// expensive for guessing.
namespace cc::server::auth {

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 256; // bytes; bounds the work per attempt

// Why a new password is refused, for the person choosing it; nothing when acceptable.
std::optional<std::string> passwordPolicyProblem(std::string_view password);

// Hashes with a fresh random 16-byte salt. Throws std::runtime_error if hashing fails.
std::string hashPassword(std::string_view password);

// Constant-time check of `password` against a stored PHC string; false for a malformed hash.
bool verifyPassword(std::string_view encoded, std::string_view password);

// Runs one verification against a fixed hash and throws the result away: login calls it when
// the account does not exist, so "no such user" takes as long as "wrong password".
void burnVerification(std::string_view password);

} // namespace cc::server::auth
