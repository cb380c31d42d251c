#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The values a synced row's fields hold, on the wire and in both databases. Timestamps travel as
// Unix epoch milliseconds (integers), identifiers and text as strings; see shared/sync/schema.h
// for what each field of each entity may hold.
namespace cc::sync {

using Null = std::monostate;
using Value = std::variant<Null, bool, std::int64_t, double, std::string>;

struct Field {
    std::string name;
    Value value;
    friend bool operator==(const Field&, const Field&) = default;
};

// In the order the sender wrote them; a name appears at most once (decoders enforce it).
using Fields = std::vector<Field>;

inline const Value* find(const Fields& fields, std::string_view name)
{
    for (const auto& f : fields) {
        if (f.name == name) {
            return &f.value;
        }
    }
    return nullptr;
}

inline bool isNull(const Value& v)
{
    return std::holds_alternative<Null>(v);
}

} // namespace cc::sync
