#pragma once

// Internal to the .cpp files that already speak Boost.JSON (the protocol codec, the cache, the
// server's sync store): one conversion between sync values and JSON values. Public headers stay
// free of Boost; fields_json.h is the string-level API for everyone else.

#include "shared/sync/value.h"

#include <boost/json.hpp>

#include <cmath>
#include <limits>
#include <optional>

namespace cc::sync {

inline boost::json::value toJsonValue(const Value& v)
{
    struct Visitor {
        boost::json::value operator()(Null) const { return nullptr; }
        boost::json::value operator()(bool b) const { return b; }
        boost::json::value operator()(std::int64_t n) const { return n; }
        boost::json::value operator()(double d) const { return d; }
        boost::json::value operator()(const std::string& s) const { return boost::json::string(s); }
    };
    return std::visit(Visitor{}, v);
}

// Null, true/false, an integer that fits 64 bits, a double or a string; nothing else.
inline std::optional<Value> fromJsonValue(const boost::json::value& v)
{
    if (v.is_null()) {
        return Value{Null{}};
    }
    if (v.is_bool()) {
        return Value{v.get_bool()};
    }
    if (v.is_int64()) {
        return Value{v.get_int64()};
    }
    if (v.is_uint64()) {
        if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return Value{static_cast<std::int64_t>(v.get_uint64())};
    }
    if (v.is_double()) {
        // A number too large for a double ("1e9999") parses as infinity, which JSON cannot
        // write back: not a value anyone sends on purpose, so it is refused.
        if (!std::isfinite(v.get_double())) {
            return std::nullopt;
        }
        // Boost.JSON 1.81 reads some long or far-out numbers ("2222...2e20", 40 digits) a unit
        // in the last place off, so what we would write back reads as another number. No field
        // needs such values: refuse what does not survive a round trip.
        boost::system::error_code ec;
        const boost::json::value back = boost::json::parse(boost::json::serialize(v), ec);
        if (ec || !back.is_double() || back.get_double() != v.get_double()) {
            return std::nullopt;
        }
        return Value{v.get_double()};
    }
    if (const auto* s = v.if_string()) {
        return Value{std::string(s->data(), s->size())};
    }
    return std::nullopt;
}

inline boost::json::object toJsonObject(const Fields& fields)
{
    boost::json::object o;
    o.reserve(fields.size());
    for (const auto& f : fields) {
        o[f.name] = toJsonValue(f.value);
    }
    return o;
}

} // namespace cc::sync
