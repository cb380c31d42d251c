#pragma once

#include "shared/util/result.h"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// Encryption at rest for secrets the server holds on behalf of an organisation (a Twilio auth
// token today; Shopify, Square and Google credentials later). They are sealed with AES-256-GCM
// under a key from the server's config (`secrets.keys`), so a database dump or backup alone does
// not reveal them. Keys rotate like the token keys: the first configured key seals, every
// configured key opens. See docs/security.md, "Secrets at rest".
namespace cc::server::crypto {

inline constexpr std::size_t kSecretKeyBytes = 32;       // AES-256
inline constexpr std::size_t kMaxKeyIdLength = 32;       // [A-Za-z0-9_-]{1,32}
inline constexpr std::size_t kMaxPlaintextBytes = 65536; // far above any provider credential
inline constexpr std::size_t kMaxAssociatedDataBytes = 1024;

struct SecretKey {
    std::string id; // "kid", written into every value it seals; not secret
    std::array<unsigned char, kSecretKeyBytes> bytes{};

    // Every copy wipes its key bytes when it goes, so copies held by the config or a SecretBox
    // do not linger in freed memory.
    ~SecretKey();
};

// Parses "kid:base64url-key[, kid2:key2 ...]"; each key exactly 32 bytes, each kid
// [A-Za-z0-9_-]{1,32} and unique. The first key seals. The error names the kid when it is a
// valid one, never the key.
Result<std::vector<SecretKey>, std::string> parseSecretKeys(std::string_view text);

enum class OpenError {
    Malformed,          // not "v1.<kid>.<nonce>.<ciphertext>", bad base64url, wrong sizes
    UnsupportedVersion, // a format this server does not know (written by a newer one?)
    UnknownKey,         // sealed with a kid this server is not configured with
    Rejected,           // the tag does not verify: wrong associated data, tampered, or wrong key
};
std::string_view toString(OpenError error);

// Seals and opens secrets. A sealed value is text, fit for a PostgreSQL text column:
//
//   v1.<kid>.<base64url 12-byte nonce>.<base64url ciphertext || 16-byte GCM tag>
//
// The associated data names the secret's owner and purpose ("twilio.auth_token:<organisation
// id>"): it is authenticated but not stored, so a value copied into another organisation's row,
// or into another column, does not open. The "v1.<kid>." header is authenticated too.
class SecretBox {
public:
    // Throws std::invalid_argument without keys, or with an invalid or repeated kid.
    explicit SecretBox(std::vector<SecretKey> keys);
    SecretBox(const SecretBox&) = delete;
    SecretBox& operator=(const SecretBox&) = delete;
    SecretBox(SecretBox&&) = default;
    SecretBox& operator=(SecretBox&&) = default;
    ~SecretBox() = default; // the keys wipe themselves

    // Encrypts under the first key with a fresh random nonce, so sealing the same plaintext
    // twice gives different values. Throws std::length_error beyond kMaxPlaintextBytes of
    // plaintext or kMaxAssociatedDataBytes of associated data (callers bound what they accept
    // first), std::runtime_error if OpenSSL fails (no randomness, for one).
    std::string seal(std::string_view plaintext, std::string_view associatedData) const;

    // The plaintext, or why not. Never throws for bad input (only if OpenSSL itself fails);
    // output that does not authenticate is wiped, never returned.
    Result<std::string, OpenError> open(std::string_view sealed,
                                        std::string_view associatedData) const;

    // Whether `sealed` names the sealing key: after a rotation, values for which this is false
    // are re-sealed before the old key is removed. Reads the header only; open() authenticates.
    bool sealedWithCurrentKey(std::string_view sealed) const;

    const std::string& sealingKeyId() const { return m_keys.front().id; }

private:
    const SecretKey* findKey(std::string_view id) const;

    std::vector<SecretKey> m_keys;
};

} // namespace cc::server::crypto
