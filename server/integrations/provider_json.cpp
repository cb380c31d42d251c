#include "server/integrations/provider_json.h"

#include <boost/json.hpp>

namespace cc::server::integrations {

namespace json = boost::json;

Result<json::value, std::string> parseObject(std::string_view text)
{
    json::parse_options options;
    options.max_depth = 32;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, json::storage_ptr(), options);
    if (ec) {
        return std::string("the answer is not JSON (") + ec.message() + ")";
    }
    if (!v.is_object()) {
        return std::string("the answer is not a JSON object");
    }
    return v;
}

const json::value* findPath(const json::object& root, std::initializer_list<std::string_view> path)
{
    const json::object* at = &root;
    const json::value* found = nullptr;
    for (const std::string_view key : path) {
        if (at == nullptr) {
            return nullptr;
        }
        found = at->if_contains(key);
        if (found == nullptr) {
            return nullptr;
        }
        at = found->if_object();
    }
    return found;
}

const json::value* findPath(const json::value& root, std::initializer_list<std::string_view> path)
{
    const json::object* o = root.if_object();
    return o != nullptr ? findPath(*o, path) : nullptr;
}

namespace {
const json::value* member(const json::value* object, std::string_view key)
{
    const json::object* o = object != nullptr ? object->if_object() : nullptr;
    return o != nullptr ? o->if_contains(key) : nullptr;
}
} // namespace

std::string stringAt(const json::value* object, std::string_view key)
{
    const json::value* v = member(object, key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<double> numberAt(const json::value* object, std::string_view key)
{
    const json::value* v = member(object, key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_int64()) {
        return static_cast<double>(v->get_int64());
    }
    if (v->is_uint64()) {
        return static_cast<double>(v->get_uint64());
    }
    if (v->is_double()) {
        return v->get_double();
    }
    return std::nullopt;
}

std::optional<bool> boolAt(const json::value* object, std::string_view key)
{
    const json::value* v = member(object, key);
    return v != nullptr && v->is_bool() ? std::optional<bool>(v->get_bool()) : std::nullopt;
}

const json::array* arrayAt(const json::value* object, std::string_view key)
{
    const json::value* v = member(object, key);
    return v != nullptr ? v->if_array() : nullptr;
}

} // namespace cc::server::integrations
