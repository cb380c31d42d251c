#include "shared/sync/fields_json.h"

#include "shared/sync/json_value.h"

namespace cc::sync {

std::string fieldsToJson(const Fields& fields)
{
    return boost::json::serialize(toJsonObject(fields));
}

std::optional<Fields> fieldsFromJson(std::string_view text, std::size_t maxBytes)
{
    if (text.size() > maxBytes) {
        return std::nullopt;
    }
    boost::json::parse_options options;
    options.max_depth = 2;
    boost::json::error_code ec;
    const boost::json::value root = boost::json::parse(text, ec, {}, options);
    const auto* o = root.if_object();
    if (ec || o == nullptr) {
        return std::nullopt;
    }
    Fields fields;
    fields.reserve(o->size());
    for (const auto& [name, v] : *o) {
        auto value = fromJsonValue(v);
        if (!value) {
            return std::nullopt;
        }
        fields.push_back({std::string(name.data(), name.size()), std::move(*value)});
    }
    return fields;
}

} // namespace cc::sync
