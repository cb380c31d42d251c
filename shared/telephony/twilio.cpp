#include "shared/telephony/twilio.h"

#include "shared/util/utf8.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>

namespace cc::telephony {
namespace {

// Base64 of a 20-byte HMAC-SHA1: anything else cannot be a signature, so it is refused before
// any hashing (and the constant-time comparison needs equal lengths anyway).
constexpr std::size_t kSignatureLength = 28;
constexpr std::string_view kHexDigits = "0123456789abcdef";

int hexValue(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Decodes one component (name or value) of a form body into `out`. Returns what is wrong with
// it, or nothing.
std::string_view decodeComponent(std::string_view in, std::string& out)
{
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            const bool complete = in.size() - i > 2;
            const int hi = complete ? hexValue(in[i + 1]) : -1;
            const int lo = complete ? hexValue(in[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                return "malformed percent escape";
            }
            out.push_back(static_cast<char>((hi << 4) | lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    if (out.find('\0') != std::string::npos) {
        return "NUL byte in form data";
    }
    if (!util::isValidUtf8(out)) {
        return "form data is not UTF-8";
    }
    return {};
}

bool isUnreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

void encodeComponent(std::string_view in, std::string& out)
{
    constexpr std::string_view kUpperHex = "0123456789ABCDEF";
    for (char c : in) {
        const auto b = static_cast<unsigned char>(c);
        if (isUnreserved(b)) {
            out.push_back(c);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(kUpperHex[b >> 4U]);
            out.push_back(kUpperHex[b & 0x0FU]);
        }
    }
}

std::string base64(const unsigned char* data, std::size_t size)
{
    std::string out(4 * ((size + 2) / 3) + 1, '\0'); // EVP_EncodeBlock writes a terminating NUL
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::string hmacSha1Base64(std::string_view key, std::string_view data)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
             &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA1 failed");
    }
    return base64(mac.data(), length);
}

bool constantTimeEquals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// The URLs Twilio may have signed for a request we received on `url` (see the header).
std::vector<std::string> signedUrlCandidates(std::string_view url)
{
    const std::size_t schemeEnd = url.find("://");
    if (schemeEnd == std::string_view::npos) {
        return {std::string(url)};
    }
    const std::string_view scheme = url.substr(0, schemeEnd);
    const std::size_t authorityStart = schemeEnd + 3;
    const std::size_t authorityEnd = std::min(url.find_first_of("/?#", authorityStart), url.size());
    std::string_view authority = url.substr(authorityStart, authorityEnd - authorityStart);
    const std::string_view rest = url.substr(authorityEnd);

    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    // The port follows the host's last ':', unless the host is a bracketed IPv6 literal.
    const std::size_t bracket = authority.rfind(']');
    std::size_t colon = authority.rfind(':');
    if (bracket != std::string_view::npos && colon != std::string_view::npos && colon < bracket) {
        colon = std::string_view::npos;
    }
    const std::string_view host = authority.substr(0, colon);
    const std::string_view port =
        colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);

    const std::string schemeLower = lower(scheme);
    const std::string_view defaultPort = schemeLower == "https"  ? "443"
                                         : schemeLower == "http" ? "80"
                                                                 : "";
    const auto build = [&](std::string_view withPort) {
        std::string out(scheme);
        out += "://";
        out += host;
        if (!withPort.empty()) {
            out += ':';
            out += withPort;
        }
        out += rest;
        return out;
    };

    std::vector<std::string> candidates;
    candidates.push_back(build(port));
    if (colon != std::string_view::npos) {
        if (schemeLower == "https" || port == defaultPort) {
            candidates.push_back(build({}));
        }
    } else if (!defaultPort.empty()) {
        candidates.push_back(build(defaultPort));
    }
    return candidates;
}

bool matchesAnyCandidate(std::string_view authToken, std::string_view url, const FormParams& params,
                         std::string_view headerValue)
{
    if (headerValue.size() != kSignatureLength) {
        return false;
    }
    // Every candidate is computed and compared, so the time taken does not tell which one (if
    // any) matched.
    bool valid = false;
    for (const std::string& candidate : signedUrlCandidates(url)) {
        valid |= constantTimeEquals(twilioSignature(authToken, candidate, params), headerValue);
    }
    return valid;
}

} // namespace

Result<FormParams, std::string> parseFormUrlEncoded(std::string_view body)
{
    if (body.size() > kMaxFormBodyBytes) {
        return std::string("form body too large");
    }
    FormParams params;
    while (!body.empty()) {
        const std::size_t amp = body.find('&');
        const std::string_view segment = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (segment.empty()) {
            continue;
        }
        if (params.size() == kMaxFormParams) {
            return std::string("too many form parameters");
        }
        const std::size_t eq = segment.find('=');
        std::string name;
        std::string value;
        std::string_view error = decodeComponent(segment.substr(0, eq), name);
        if (error.empty() && eq != std::string_view::npos) {
            error = decodeComponent(segment.substr(eq + 1), value);
        }
        if (!error.empty()) {
            return std::string(error);
        }
        params.emplace_back(std::move(name), std::move(value));
    }
    return params;
}

std::string formUrlEncode(const FormParams& params)
{
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) {
            out.push_back('&');
        }
        encodeComponent(name, out);
        out.push_back('=');
        encodeComponent(value, out);
    }
    return out;
}

std::string twilioSignature(std::string_view authToken, std::string_view fullUrl,
                            const FormParams& params)
{
    std::vector<const FormParams::value_type*> sorted;
    sorted.reserve(params.size());
    for (const auto& p : params) {
        sorted.push_back(&p);
    }
    // std::string compares as unsigned bytes: the "Unix-style case-sensitive" order Twilio names.
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });

    std::string data(fullUrl);
    for (const auto* p : sorted) {
        data += p->first;
        data += p->second;
    }
    return hmacSha1Base64(authToken, data);
}

bool validateTwilioSignature(std::string_view authToken, std::string_view fullUrl,
                             const FormParams& params, std::string_view headerValue)
{
    return matchesAnyCandidate(authToken, fullUrl, params, headerValue);
}

bool validateTwilioJsonSignature(std::string_view authToken, std::string_view fullUrlWithQuery,
                                 std::string_view body, std::string_view headerValue)
{
    std::string_view url = fullUrlWithQuery.substr(0, fullUrlWithQuery.find('#'));
    const std::size_t question = url.find('?');
    if (question == std::string_view::npos) {
        return false;
    }
    std::string_view query = url.substr(question + 1);
    std::string_view bodyHash;
    int found = 0;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view segment = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        constexpr std::string_view kPrefix = "bodySHA256=";
        if (segment.starts_with(kPrefix)) {
            bodyHash = segment.substr(kPrefix.size());
            ++found;
        }
    }
    // Two bodySHA256 parameters would leave it open which one a framework reads; Twilio adds one.
    if (found != 1) {
        return false;
    }
    const bool bodyMatches = constantTimeEquals(bodySha256Hex(body), bodyHash);
    const bool signatureMatches = matchesAnyCandidate(authToken, fullUrlWithQuery, {}, headerValue);
    return bodyMatches && signatureMatches;
}

std::string bodySha256Hex(std::string_view body)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(body.data(), body.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHexDigits[digest[i] >> 4U]);
        out.push_back(kHexDigits[digest[i] & 0x0FU]);
    }
    return out;
}

} // namespace cc::telephony
