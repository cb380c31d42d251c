#include "shared/domain/phone.h"

#include <algorithm>
#include <array>

namespace cc::domain {
namespace {

constexpr std::size_t kMaxE164Digits = 15; // ITU-T E.164: country code + number
constexpr std::size_t kMinE164Digits = 7;
constexpr std::size_t kMaxInputLength = 64;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isSeparator(char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t';
}

std::optional<std::string> international(std::string digits)
{
    if (digits.size() < kMinE164Digits || digits.size() > kMaxE164Digits || digits[0] == '0') {
        return std::nullopt;
    }
    return "+" + digits;
}

} // namespace

std::string phoneDigits(std::string_view input)
{
    std::string out;
    out.reserve(std::min(input.size(), kMaxInputLength));
    for (char c : input.substr(0, kMaxInputLength)) {
        if (isDigit(c)) {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<std::string> normalizeE164(std::string_view input,
                                         std::string_view defaultCountryCode)
{
    if (input.size() > kMaxInputLength) {
        return std::nullopt;
    }
    while (!input.empty() && isSeparator(input.front())) {
        input.remove_prefix(1);
    }
    bool plus = false;
    if (!input.empty() && input.front() == '+') {
        plus = true;
        input.remove_prefix(1);
    }
    std::string digits;
    for (char c : input) {
        if (isDigit(c)) {
            digits.push_back(c);
        } else if (!isSeparator(c)) {
            return std::nullopt; // letters, '+' in the middle, extensions: not a dialable number
        }
    }
    if (digits.empty()) {
        return std::nullopt;
    }
    if (plus) {
        return international(std::move(digits));
    }
    if (digits.starts_with("00")) {
        return international(digits.substr(2));
    }
    if (defaultCountryCode.empty() ||
        !std::all_of(defaultCountryCode.begin(), defaultCountryCode.end(), isDigit)) {
        return std::nullopt;
    }
    if (defaultCountryCode == "1") {
        // North American Numbering Plan: NXX-NXX-XXXX, optionally preceded by the 1.
        if (digits.size() == 11 && digits[0] == '1') {
            digits.erase(0, 1);
        }
        if (digits.size() != 10 || digits[0] < '2' || digits[3] < '2') {
            return std::nullopt;
        }
        return "+1" + digits;
    }
    if (digits[0] == '0') {
        digits.erase(0, 1); // national trunk prefix
    }
    return international(std::string(defaultCountryCode) + digits);
}

bool isWithheldCallerId(std::string_view from)
{
    constexpr std::array<std::string_view, 4> kPlaceholders{"+266696687", "+86282452253",
                                                            "+8656696", "+7378742833"};
    return !from.starts_with('+') ||
           std::find(kPlaceholders.begin(), kPlaceholders.end(), from) != kPlaceholders.end();
}

} // namespace cc::domain
