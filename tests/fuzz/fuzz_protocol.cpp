// libFuzzer target: the protocol decoder must turn any bytes into an envelope or a clear error,
// never crash, hang or leak; whatever it accepts must survive an encode/decode round trip, and
// the mutations of a push it accepts go through the sync schema's validation the server runs.
#include "shared/protocol/envelope.h"
#include "shared/sync/schema.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto decoded = cc::protocol::decode(text);
    if (!decoded) {
        if (decoded.error().message.empty()) {
            std::abort(); // every refusal says why
        }
        return 0;
    }
    if (const auto* push = std::get_if<cc::protocol::Push>(&decoded.value().body)) {
        for (const auto& m : push->mutations) {
            if (const auto* entity = cc::sync::findEntity(m.entity)) {
                auto checked = cc::sync::validateMutation(*entity, m.op, m.key, m.fields);
                if (!checked && checked.error().reason.empty()) {
                    std::abort();
                }
            }
        }
    }
    auto again = cc::protocol::decode(cc::protocol::encode(decoded.value()));
    if (!again || !(again.value() == decoded.value())) {
        std::abort();
    }
    return 0;
}
