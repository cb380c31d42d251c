// libFuzzer target: intent detection reads what callers say (as the provider heard it) and what
// staff type. Any bytes must give an answer, never a crash, hang or leak; the same bytes and
// clock must give the same answer; confidence stays in [0, 1]; slots stay within their ranges.
#include "shared/intent/intent.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    cc::intent::Reference reference{{2025, 4, 30}, 615, cc::intent::NumericDateOrder::Nearest};
    if (size > 0 && data[0] == 'Z') {
        // Another clock and date order: month ends, leap years.
        reference = {{2024, 2, 29}, 0, cc::intent::NumericDateOrder::DayFirst};
    }
    const auto a = cc::intent::detect(text, reference);
    const auto b = cc::intent::detect(text, reference);
    if (a.intent != b.intent || a.confidence != b.confidence || a.slots.item != b.slots.item ||
        a.slots.date != b.slots.date || a.slots.minuteOfDay != b.slots.minuteOfDay) {
        std::abort(); // not deterministic
    }
    if (!(a.confidence >= 0.0 && a.confidence <= 1.0)) {
        std::abort();
    }
    if (a.slots.minuteOfDay && (*a.slots.minuteOfDay < 0 || *a.slots.minuteOfDay > 1439)) {
        std::abort();
    }
    if (a.slots.date && !cc::intent::isValidDate(*a.slots.date)) {
        std::abort();
    }
    (void)cc::intent::explain(text, reference);
    return 0;
}
