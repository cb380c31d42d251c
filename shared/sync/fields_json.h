#pragma once

#include "shared/sync/value.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// A row's fields as a JSON object text, as the server's sync_log and the device's outbox store
// them.
namespace cc::sync {

std::string fieldsToJson(const Fields& fields);

// Parses a flat JSON object of values (null, true/false, integers, numbers, text). Returns nothing
// for anything else: not JSON, nested values, more than maxBytes.
std::optional<Fields> fieldsFromJson(std::string_view text, std::size_t maxBytes = 1 << 20);

} // namespace cc::sync
