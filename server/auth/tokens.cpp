#include "server/auth/tokens.h"

#include "shared/util/base64url.h"

#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace json = boost::json;

namespace cc::server::auth {
namespace {

constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kMinSecretBytes = 32;
constexpr std::int64_t kClockSkewSeconds = 60;
constexpr std::string_view kIssuer = "callcommander";

std::string hmacSha256(std::string_view key, std::string_view data)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
             &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return std::string(reinterpret_cast<const char*>(out.data()), length);
}

std::string trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

const json::object* parseObject(std::string_view base64, json::value& storage)
{
    auto raw = util::base64UrlDecode(base64);
    if (!raw || raw->size() > kMaxTokenLength) {
        return nullptr;
    }
    json::error_code ec;
    storage = json::parse(*raw, ec);
    return ec ? nullptr : storage.if_object();
}

const std::string* stringField(const json::object& o, std::string_view key, std::string& out)
{
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string() || v->get_string().size() > 128) {
        return nullptr;
    }
    out = std::string(v->get_string().data(), v->get_string().size());
    return &out;
}

bool intField(const json::object& o, std::string_view key, std::int64_t& out)
{
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_int64()) {
        return false;
    }
    out = v->get_int64();
    return true;
}

} // namespace

std::string_view toString(TokenError error)
{
    switch (error) {
    case TokenError::Malformed:
        return "malformed token";
    case TokenError::UnsupportedAlgorithm:
        return "unsupported token algorithm";
    case TokenError::UnknownKey:
        return "token signed with an unknown key";
    case TokenError::BadSignature:
        return "bad token signature";
    case TokenError::Expired:
        return "token expired";
    case TokenError::NotYetValid:
        return "token not yet valid";
    }
    return "invalid token";
}

Result<std::vector<SigningKey>, std::string> parseSigningKeys(std::string_view text)
{
    std::vector<SigningKey> keys;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string item = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) {
            continue;
        }
        const auto colon = item.find(':');
        if (colon == std::string::npos || colon == 0) {
            return std::string("each signing key is written kid:secret");
        }
        const std::string id = item.substr(0, colon);
        std::string encoded = item.substr(colon + 1);
        while (!encoded.empty() && encoded.back() == '=') {
            encoded.pop_back(); // tolerate padded output of base64 tools
        }
        auto secret = util::base64UrlDecode(encoded);
        if (!secret) {
            return "signing key " + id + ": the secret is not base64url";
        }
        if (secret->size() < kMinSecretBytes) {
            return "signing key " + id + ": the secret needs at least 32 bytes";
        }
        for (const auto& k : keys) {
            if (k.id == id) {
                return "signing key " + id + " appears twice";
            }
        }
        keys.push_back({id, std::move(*secret)});
    }
    if (keys.empty()) {
        return std::string("no signing key");
    }
    return keys;
}

TokenSigner::TokenSigner(std::vector<SigningKey> keys)
    : m_keys(std::move(keys))
{
    if (m_keys.empty()) {
        throw std::invalid_argument("TokenSigner needs at least one key");
    }
}

std::string TokenSigner::issue(const Claims& claims) const
{
    const SigningKey& key = m_keys.front();
    const json::object header{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", key.id}};
    const json::object payload{{"iss", kIssuer},
                               {"sub", claims.userId},
                               {"org", claims.organisationId},
                               {"role", domain::toString(claims.role)},
                               {"sid", claims.sessionId},
                               {"iat", claims.issuedAt},
                               {"exp", claims.expiresAt}};
    std::string signingInput = util::base64UrlEncode(json::serialize(header)) + "." +
                               util::base64UrlEncode(json::serialize(payload));
    const std::string signature = hmacSha256(key.secret, signingInput);
    return signingInput + "." + util::base64UrlEncode(signature);
}

Result<Claims, TokenError> TokenSigner::verify(std::string_view token,
                                               std::int64_t nowSeconds) const
{
    if (token.size() > kMaxTokenLength) {
        return TokenError::Malformed;
    }
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return TokenError::Malformed;
    }
    json::value headerStorage;
    const json::object* header = parseObject(token.substr(0, dot1), headerStorage);
    if (header == nullptr) {
        return TokenError::Malformed;
    }
    std::string alg;
    std::string kid;
    if (stringField(*header, "alg", alg) == nullptr || alg != "HS256") {
        return TokenError::UnsupportedAlgorithm; // "none", RS256 with our secret as a key, ...
    }
    if (stringField(*header, "kid", kid) == nullptr) {
        return TokenError::UnknownKey;
    }
    const SigningKey* key = nullptr;
    for (const auto& k : m_keys) {
        if (k.id == kid) {
            key = &k;
        }
    }
    if (key == nullptr) {
        return TokenError::UnknownKey;
    }
    const auto signature = util::base64UrlDecode(token.substr(dot2 + 1));
    const std::string expected = hmacSha256(key->secret, token.substr(0, dot2));
    if (!signature || signature->size() != expected.size() ||
        CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
        return TokenError::BadSignature;
    }
    json::value payloadStorage;
    const json::object* payload =
        parseObject(token.substr(dot1 + 1, dot2 - dot1 - 1), payloadStorage);
    if (payload == nullptr) {
        return TokenError::Malformed;
    }
    Claims claims;
    std::string iss;
    std::string role;
    if (stringField(*payload, "iss", iss) == nullptr || iss != kIssuer ||
        stringField(*payload, "sub", claims.userId) == nullptr ||
        stringField(*payload, "org", claims.organisationId) == nullptr ||
        stringField(*payload, "sid", claims.sessionId) == nullptr ||
        stringField(*payload, "role", role) == nullptr ||
        !intField(*payload, "iat", claims.issuedAt) ||
        !intField(*payload, "exp", claims.expiresAt)) {
        return TokenError::Malformed;
    }
    const auto parsedRole = domain::roleFromString(role);
    if (!parsedRole) {
        return TokenError::Malformed;
    }
    claims.role = *parsedRole;
    if (nowSeconds >= claims.expiresAt) {
        return TokenError::Expired;
    }
    if (claims.issuedAt > nowSeconds + kClockSkewSeconds) {
        return TokenError::NotYetValid;
    }
    return claims;
}

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace cc::server::auth
