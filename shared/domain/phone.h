#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cc::domain {

// Phone numbers are stored and compared in E.164 ("+14155550123"): the dialled number finds the
// store, the caller's number finds the customer, whatever way a person typed either.
//
// `defaultCountryCode` (digits, no '+') applies to numbers written in national form: "1" reads
// "(415) 555-0123" as +14155550123; "44" reads "020 7946 0018" as +442079460018 (the trunk
// prefix 0 is dropped). Returns nothing for input that cannot be a phone number.
std::optional<std::string> normalizeE164(std::string_view input,
                                         std::string_view defaultCountryCode = "1");

// The digits of any input, for matching a partly typed number ("555 01" -> "55501").
std::string phoneDigits(std::string_view input);

// A caller id that names nobody: Twilio's placeholders for a withheld number (+266696687
// anonymous, +86282452253 unknown, +8656696 blocked, +7378742833 restricted) or anything that is
// not an E.164 number ("anonymous", "client:..."). Nobody can be looked up or called back by it.
bool isWithheldCallerId(std::string_view from);

} // namespace cc::domain
