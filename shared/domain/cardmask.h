#pragma once

#include <string>
#include <string_view>

// No payment card numbers are ever stored. Free text (call notes, speech results, task titles)
// passes through maskCardNumbers() before it is written anywhere: every sequence of 13 to 19
// digits, whole digit groups separated by single spaces or dashes, that passes the Luhn check
// has all but its last four digits replaced by '*' ("4111 1111 1111 1111" -> "**** **** ****
// 1111"), wherever it sits among other digits ("qty 2 4111 ..."). Sequences that fail the Luhn
// check (phone numbers, order numbers) are left alone.
namespace cc::domain {

std::string maskCardNumbers(std::string_view text);

// True when `digits` (digits only) passes the Luhn check.
bool luhnValid(std::string_view digits);

} // namespace cc::domain
