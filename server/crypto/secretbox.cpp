#include "server/crypto/secretbox.h"

#include "shared/util/base64url.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

namespace cc::server::crypto {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kNonceBytes = 12; // GCM's native nonce size: no extra GHASH step
constexpr std::size_t kTagBytes = 16;   // full-length tag; shorter ones weaken forgery bounds
// "v1." kid "." nonce "." ciphertext+tag, all at their largest.
constexpr std::size_t kMaxSealedLength = kVersion.size() + 1 + kMaxKeyIdLength + 1 +
                                         (kNonceBytes * 4 + 2) / 3 + 1 +
                                         ((kMaxPlaintextBytes + kTagBytes) * 4 + 2) / 3;

struct CipherContextFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

// Wipes a buffer that held key bytes or unauthenticated plaintext, however the scope is left.
class WipeOnExit {
public:
    explicit WipeOnExit(std::string& s)
        : m_s(s)
    {}
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;
    ~WipeOnExit() { OPENSSL_cleanse(m_s.data(), m_s.size()); }

private:
    std::string& m_s;
};

bool validKeyId(std::string_view id)
{
    // The kid is written between dots in every sealed value and may appear in error messages,
    // so it is kept to a small, dot-free alphabet.
    return !id.empty() && id.size() <= kMaxKeyIdLength &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
           });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// "v1.kid.nonce.body" split at its dots; nothing unless there are exactly four parts.
struct SealedParts {
    std::string_view version, keyId, nonce, body;
    std::string_view header; // "v1.kid.", authenticated along with the caller's data
};

std::optional<SealedParts> split(std::string_view sealed)
{
    std::array<std::string_view, 4> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto dot = sealed.find('.', start);
        const bool last = i + 1 == parts.size();
        if (last != (dot == std::string_view::npos)) {
            return std::nullopt;
        }
        parts[i] = sealed.substr(start, last ? std::string_view::npos : dot - start);
        start = dot + 1;
    }
    const std::size_t headerLength = parts[0].size() + 1 + parts[1].size() + 1;
    return SealedParts{parts[0], parts[1], parts[2], parts[3], sealed.substr(0, headerLength)};
}

const unsigned char* bytes(std::string_view s)
{
    return reinterpret_cast<const unsigned char*>(s.data());
}

// One AES-256-GCM pass. Encrypting writes the tag to `tag`; decrypting checks `tag` (in
// constant time, inside OpenSSL) and returns false if it does not match. `out` holds
// in.size() bytes. Sizes are bounded by the callers, so every length fits an int.
bool aes256Gcm(bool encrypt, const SecretKey& key, const unsigned char* nonce,
               std::string_view header, std::string_view associatedData, std::string_view in,
               unsigned char* out, unsigned char* tag)
{
    const int mode = encrypt ? 1 : 0;
    CipherContext ctx(EVP_CIPHER_CTX_new());
    if (!ctx ||
        EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, mode) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(kNonceBytes),
                            nullptr) != 1 ||
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), nonce, mode) != 1) {
        throw std::runtime_error("AES-256-GCM setup failed");
    }
    int length = 0;
    for (std::string_view aad : {header, associatedData}) {
        if (!aad.empty() && EVP_CipherUpdate(ctx.get(), nullptr, &length, bytes(aad),
                                             static_cast<int>(aad.size())) != 1) {
            throw std::runtime_error("AES-256-GCM associated data failed");
        }
    }
    int written = 0;
    if (!in.empty()) {
        if (EVP_CipherUpdate(ctx.get(), out, &written, bytes(in), static_cast<int>(in.size())) !=
            1) {
            throw std::runtime_error("AES-256-GCM update failed");
        }
    }
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG,
                                        static_cast<int>(kTagBytes), tag) != 1) {
        throw std::runtime_error("AES-256-GCM tag setup failed");
    }
    // GCM is a stream mode: everything came out of the update, the final call checks the tag.
    if (EVP_CipherFinal_ex(ctx.get(), out + written, &length) != 1) {
        if (encrypt) {
            throw std::runtime_error("AES-256-GCM encryption failed");
        }
        return false;
    }
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG,
                                       static_cast<int>(kTagBytes), tag) != 1) {
        throw std::runtime_error("AES-256-GCM tag failed");
    }
    return true;
}

} // namespace

SecretKey::~SecretKey()
{
    OPENSSL_cleanse(bytes.data(), bytes.size());
}

Result<std::vector<SecretKey>, std::string> parseSecretKeys(std::string_view text)
{
    std::vector<SecretKey> keys;
    std::size_t position = 0;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) {
            continue;
        }
        ++position;
        // Until the kid is known to be one, errors name the key by position: the text before
        // the colon could be a key pasted in the wrong place.
        const std::string where = "secret key " + std::to_string(position);
        const auto colon = item.find(':');
        if (colon == std::string_view::npos) {
            return where + " is not written kid:key";
        }
        const std::string_view id = item.substr(0, colon);
        if (!validKeyId(id)) {
            return where + ": the kid must be 1-32 characters of A-Z, a-z, 0-9, _ and -";
        }
        std::string_view encoded = item.substr(colon + 1);
        while (!encoded.empty() && encoded.back() == '=') {
            encoded.remove_suffix(1); // tolerate padded output of base64 tools
        }
        auto decoded = util::base64UrlDecode(encoded);
        if (!decoded) {
            return "secret key " + std::string(id) + ": the key is not base64url";
        }
        const WipeOnExit wipe(*decoded);
        if (decoded->size() != kSecretKeyBytes) {
            return "secret key " + std::string(id) + ": the key must be exactly 32 bytes, not " +
                   std::to_string(decoded->size());
        }
        const bool repeated =
            std::any_of(keys.begin(), keys.end(), [&](const SecretKey& k) { return k.id == id; });
        if (repeated) {
            return "secret key " + std::string(id) + " appears twice";
        }
        SecretKey& key = keys.emplace_back();
        key.id = std::string(id);
        std::memcpy(key.bytes.data(), decoded->data(), kSecretKeyBytes);
    }
    if (keys.empty()) {
        return std::string("no secret key");
    }
    return keys;
}

std::string_view toString(OpenError error)
{
    switch (error) {
    case OpenError::Malformed:
        return "malformed sealed secret";
    case OpenError::UnsupportedVersion:
        return "sealed secret in an unsupported format version";
    case OpenError::UnknownKey:
        return "sealed secret under an unknown key";
    case OpenError::Rejected:
        return "sealed secret does not authenticate (tampered, or for another owner)";
    }
    return "sealed secret cannot be opened";
}

SecretBox::SecretBox(std::vector<SecretKey> keys)
    : m_keys(std::move(keys))
{
    if (m_keys.empty()) {
        throw std::invalid_argument("SecretBox needs at least one key");
    }
    for (auto it = m_keys.begin(); it != m_keys.end(); ++it) {
        if (!validKeyId(it->id)) {
            throw std::invalid_argument("SecretBox: invalid key id");
        }
        if (std::any_of(m_keys.begin(), it, [&](const SecretKey& k) { return k.id == it->id; })) {
            throw std::invalid_argument("SecretBox: key id " + it->id + " appears twice");
        }
    }
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view associatedData) const
{
    if (plaintext.size() > kMaxPlaintextBytes) {
        throw std::length_error("secret too large to seal");
    }
    if (associatedData.size() > kMaxAssociatedDataBytes) {
        throw std::length_error("associated data too large");
    }
    const SecretKey& key = m_keys.front();
    const std::string header = std::string(kVersion) + "." + key.id + ".";

    // Random 96-bit nonces: a repeat under one key would break GCM, and stays unlikely (below
    // 2^-32) for the first 2^32 seals per key, far beyond what a server stores.
    std::array<unsigned char, kNonceBytes> nonce{};
    if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
        throw std::runtime_error("no randomness for a nonce");
    }
    std::string body(plaintext.size() + kTagBytes, '\0');
    auto* out = reinterpret_cast<unsigned char*>(body.data());
    aes256Gcm(true, key, nonce.data(), header, associatedData, plaintext, out,
              out + plaintext.size());

    const std::string_view nonceText(reinterpret_cast<const char*>(nonce.data()), nonce.size());
    return header + util::base64UrlEncode(nonceText) + "." + util::base64UrlEncode(body);
}

Result<std::string, OpenError> SecretBox::open(std::string_view sealed,
                                               std::string_view associatedData) const
{
    if (sealed.size() > kMaxSealedLength || associatedData.size() > kMaxAssociatedDataBytes) {
        return OpenError::Malformed;
    }
    const auto parts = split(sealed);
    if (!parts) {
        return OpenError::Malformed;
    }
    if (parts->version != kVersion) {
        const bool looksVersioned = parts->version.size() >= 2 && parts->version.front() == 'v' &&
                                    std::all_of(parts->version.begin() + 1, parts->version.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
        return looksVersioned ? OpenError::UnsupportedVersion : OpenError::Malformed;
    }
    if (!validKeyId(parts->keyId)) {
        return OpenError::Malformed;
    }
    const SecretKey* key = findKey(parts->keyId);
    if (key == nullptr) {
        return OpenError::UnknownKey;
    }
    const auto nonce = util::base64UrlDecode(parts->nonce);
    auto body = util::base64UrlDecode(parts->body);
    if (!nonce || nonce->size() != kNonceBytes || !body || body->size() < kTagBytes ||
        body->size() - kTagBytes > kMaxPlaintextBytes) {
        return OpenError::Malformed;
    }
    const std::size_t length = body->size() - kTagBytes;
    std::string plaintext(length, '\0');
    auto* tag = reinterpret_cast<unsigned char*>(body->data()) + length;
    const bool authentic = aes256Gcm(false, *key, bytes(*nonce), parts->header, associatedData,
                                     std::string_view(body->data(), length),
                                     reinterpret_cast<unsigned char*>(plaintext.data()), tag);
    if (!authentic) {
        // GCM decrypts before it checks: what came out is unauthenticated and goes nowhere.
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        return OpenError::Rejected;
    }
    return plaintext;
}

bool SecretBox::sealedWithCurrentKey(std::string_view sealed) const
{
    const auto parts = split(sealed);
    return parts && parts->version == kVersion && parts->keyId == m_keys.front().id;
}

const SecretKey* SecretBox::findKey(std::string_view id) const
{
    for (const auto& k : m_keys) {
        if (k.id == id) {
            return &k;
        }
    }
    return nullptr;
}

} // namespace cc::server::crypto
