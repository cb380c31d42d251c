#include "shared/domain/cardmask.h"

#include <vector>

namespace cc::domain {
namespace {

constexpr std::size_t kMinPan = 13;
constexpr std::size_t kMaxPan = 19;
constexpr std::size_t kMaxRun = 256; // digits looked at in one run

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

} // namespace

bool luhnValid(std::string_view digits)
{
    int sum = 0;
    bool doubleIt = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        int d = *it - '0';
        if (doubleIt) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
        doubleIt = !doubleIt;
    }
    return !digits.empty() && sum % 10 == 0;
}

std::string maskCardNumbers(std::string_view text)
{
    std::string out(text);
    std::size_t i = 0;
    while (i < out.size()) {
        if (!isDigit(out[i])) {
            ++i;
            continue;
        }
        // A run: digits, each separated from the next by at most one space or dash. Bounded, so
        // a page of digits costs linear time.
        std::vector<std::size_t> positions;
        std::size_t j = i;
        while (j < out.size() && positions.size() < kMaxRun) {
            if (isDigit(out[j])) {
                positions.push_back(j);
                ++j;
            } else if ((out[j] == ' ' || out[j] == '-') && j + 1 < out.size() &&
                       isDigit(out[j + 1])) {
                ++j;
            } else {
                break;
            }
        }
        // A card number may sit anywhere in the run ("qty 2 4111 1111 1111 1111", "12-27
        // 4111..."): try every start and end that falls on a group boundary, earliest start and
        // longest card first. Masked digits become '*' and can no longer match.
        const auto startsGroup = [&](std::size_t k) {
            return k == 0 || positions[k] != positions[k - 1] + 1;
        };
        const auto endsGroup = [&](std::size_t k) { // k = one past the last digit taken
            return k == positions.size() || positions[k] != positions[k - 1] + 1;
        };
        for (std::size_t start = 0; start + kMinPan <= positions.size(); ++start) {
            if (!startsGroup(start) && start != 0) {
                continue;
            }
            const std::size_t longest = std::min(positions.size(), start + kMaxPan);
            for (std::size_t end = longest; end >= start + kMinPan; --end) {
                if (!endsGroup(end)) {
                    continue;
                }
                std::string digits;
                for (std::size_t k = start; k < end; ++k) {
                    digits.push_back(out[positions[k]]);
                }
                if (luhnValid(digits)) {
                    for (std::size_t k = start; k + 4 < end; ++k) {
                        out[positions[k]] = '*';
                    }
                    start = end - 1; // continue after this card
                    break;
                }
            }
        }
        i = j;
    }
    return out;
}

} // namespace cc::domain
