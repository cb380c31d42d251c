#include "server/auth/requests.h"

#include <boost/json.hpp>

namespace json = boost::json;

namespace cc::server::auth {
namespace {

struct Invalid {
    std::string message;
};

json::object parseBody(std::string_view contentType, std::string_view body)
{
    if (!contentType.starts_with("application/json")) {
        throw Invalid{"send JSON (Content-Type: application/json)"};
    }
    if (body.size() > kMaxAuthBody) {
        throw Invalid{"request body too large"};
    }
    json::parse_options options;
    options.max_depth = 4;
    json::error_code ec;
    json::value v = json::parse(body, ec, {}, options);
    if (ec || !v.is_object()) {
        throw Invalid{"the body must be a JSON object"};
    }
    return std::move(v.as_object());
}

std::string field(const json::object& o, std::string_view key, std::size_t maxLength)
{
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) {
        throw Invalid{"\"" + std::string(key) + "\" is required and must be a string"};
    }
    const auto& s = v->get_string();
    if (s.empty() || s.size() > maxLength) {
        throw Invalid{"\"" + std::string(key) + "\" must have 1 to " + std::to_string(maxLength) +
                      " characters"};
    }
    return std::string(s.data(), s.size());
}

} // namespace

Result<LoginRequest, RequestError> parseLoginRequest(std::string_view contentType,
                                                     std::string_view body)
{
    try {
        const json::object o = parseBody(contentType, body);
        LoginRequest r;
        r.organisation = field(o, "organisation", 64);
        r.email = field(o, "email", 254);
        r.password = field(o, "password", 256);
        r.deviceId = field(o, "deviceId", 64);
        return r;
    } catch (const Invalid& e) {
        return RequestError{e.message};
    }
}

Result<std::string, RequestError> parseRefreshRequest(std::string_view contentType,
                                                      std::string_view body)
{
    try {
        return field(parseBody(contentType, body), "refreshToken", 128);
    } catch (const Invalid& e) {
        return RequestError{e.message};
    }
}

Result<SetupPasswordRequest, RequestError> parseSetupPasswordRequest(std::string_view contentType,
                                                                     std::string_view body)
{
    try {
        const json::object o = parseBody(contentType, body);
        SetupPasswordRequest r;
        r.organisation = field(o, "organisation", 64);
        r.email = field(o, "email", 254);
        r.code = field(o, "code", 64);
        r.password = field(o, "password", 256);
        return r;
    } catch (const Invalid& e) {
        return RequestError{e.message};
    }
}

} // namespace cc::server::auth
