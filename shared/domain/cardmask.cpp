#include "shared/domain/cardmask.h"

#include <vector>

namespace cc::domain {
namespace {

constexpr std::size_t kMinPan = 13;
constexpr std::size_t kMaxPan = 19;

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
        if (!isDigit(out[i]) || (i > 0 && isDigit(out[i - 1]))) {
            ++i;
            continue;
        }
        // A candidate: digits, each separated from the next by at most one space or dash.
        std::vector<std::size_t> positions;
        std::size_t j = i;
        while (j < out.size() && positions.size() <= kMaxPan) {
            if (isDigit(out[j])) {
                positions.push_back(j);
                ++j;
            } else if ((out[j] == ' ' || out[j] == '-') && j + 1 < out.size() &&
                       isDigit(out[j + 1]) && !positions.empty()) {
                ++j;
            } else {
                break;
            }
        }
        // Try the longest card-length prefix of the run that passes Luhn: a card number may be
        // followed by more digits ("4111111111111111 12/27").
        bool masked = false;
        for (std::size_t n = std::min(positions.size(), kMaxPan); n >= kMinPan && !masked; --n) {
            const bool endsRun = n == positions.size() || positions[n] != positions[n - 1] + 1;
            if (!endsRun) {
                continue; // would cut a digit group in two
            }
            std::string digits;
            for (std::size_t k = 0; k < n; ++k) {
                digits.push_back(out[positions[k]]);
            }
            if (luhnValid(digits)) {
                for (std::size_t k = 0; k + 4 < n; ++k) {
                    out[positions[k]] = '*';
                }
                i = positions[n - 1] + 1;
                masked = true;
            }
        }
        if (!masked) {
            i = j;
        }
    }
    return out;
}

} // namespace cc::domain
