#include "server/auth/password.h"

#include <openssl/rand.h>

#include <argon2.h>
#include <array>
#include <stdexcept>
#include <vector>

namespace cc::server::auth {
namespace {

constexpr std::uint32_t kTimeCost = 2;
constexpr std::uint32_t kMemoryKiB = 19 * 1024;
constexpr std::uint32_t kLanes = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

} // namespace

std::optional<std::string> passwordPolicyProblem(std::string_view password)
{
    if (password.size() < kMinPasswordLength) {
        return "a password needs at least " + std::to_string(kMinPasswordLength) + " characters";
    }
    if (password.size() > kMaxPasswordLength) {
        return "a password may have at most " + std::to_string(kMaxPasswordLength) + " bytes";
    }
    return std::nullopt;
}

std::string hashPassword(std::string_view password)
{
    if (password.size() > kMaxPasswordLength) {
        throw std::runtime_error("password too long");
    }
    std::array<unsigned char, kSaltBytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        throw std::runtime_error("no randomness for a password salt");
    }
    std::vector<char> encoded(
        argon2_encodedlen(kTimeCost, kMemoryKiB, kLanes, kSaltBytes, kHashBytes, Argon2_id));
    const int rc =
        argon2id_hash_encoded(kTimeCost, kMemoryKiB, kLanes, password.data(), password.size(),
                              salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) {
        throw std::runtime_error(std::string("argon2id failed: ") + argon2_error_message(rc));
    }
    return std::string(encoded.data());
}

bool verifyPassword(std::string_view encoded, std::string_view password)
{
    // The stored hash must be an Argon2id PHC string of sane length; argon2id_verify compares
    // in constant time.
    if (!encoded.starts_with("$argon2id$") || encoded.size() > 512 ||
        password.size() > kMaxPasswordLength) {
        return false;
    }
    const std::string hash(encoded); // NUL-terminated for the C API
    return argon2id_verify(hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void burnVerification(std::string_view password)
{
    static const std::string dummy = hashPassword("not-a-real-password-0000");
    (void)verifyPassword(dummy, password.substr(0, kMaxPasswordLength));
}

} // namespace cc::server::auth
