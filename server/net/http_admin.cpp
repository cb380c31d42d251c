// /v1/admin/*: organisation administration over HTTPS with a bearer access token. Every request
// is authenticated (token, then the live sign-in in the database), authorised by the policy with
// the caller's current role, and confined to the caller's organisation by its queries.

#include "server/auth/admin_service.h"
#include "server/auth/policy.h"
#include "server/db/database.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"

#include <boost/asio/dispatch.hpp>
#include <boost/json.hpp>

namespace json = boost::json;

namespace cc::server::net {
namespace {

constexpr std::size_t kAuditPage = 200;

struct Route {
    auth::Operation operation;
    std::string target; // the user id for per-user operations
};

std::optional<Route> routeOf(http::verb method, std::string_view path)
{
    if (method == http::verb::put && path == "/v1/me/presence") {
        return Route{auth::Operation::SetOwnPresence, {}};
    }
    if (method == http::verb::get && path == "/v1/admin/users") {
        return Route{auth::Operation::ListUsers, {}};
    }
    if (method == http::verb::get && path == "/v1/admin/audit") {
        return Route{auth::Operation::ReadAuditLog, {}};
    }
    constexpr std::string_view prefix = "/v1/admin/users/";
    constexpr std::string_view suffix = "/disable";
    if (method == http::verb::post && path.starts_with(prefix) && path.ends_with(suffix) &&
        path.size() > prefix.size() + suffix.size()) {
        return Route{
            auth::Operation::DisableUser,
            std::string(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()))};
    }
    return std::nullopt;
}

Response unauthenticated(const Request& req)
{
    auto res = errorResponse(req, http::status::unauthorized, "unauthenticated");
    res.set(http::field::www_authenticate, "Bearer");
    return res;
}

json::value usersBody(const std::vector<auth::UserSummary>& users)
{
    json::array out;
    for (const auto& u : users) {
        json::array stores;
        for (const auto& code : u.storeCodes) {
            stores.emplace_back(code);
        }
        out.push_back(json::object{{"id", u.id},
                                   {"email", u.email},
                                   {"name", u.displayName},
                                   {"role", u.role},
                                   {"active", u.active},
                                   {"stores", std::move(stores)}});
    }
    return json::object{{"users", std::move(out)}};
}

json::value auditBody(const std::vector<auth::AuditEntry>& entries)
{
    json::array out;
    for (const auto& e : entries) {
        out.push_back(json::object{{"id", e.id},
                                   {"at", e.at},
                                   {"actorUserId", e.actorUserId},
                                   {"action", e.action},
                                   {"targetType", e.targetType},
                                   {"targetId", e.targetId}});
    }
    return json::object{{"entries", std::move(out)}};
}

} // namespace

void HttpSession::handleAdmin(Request&& req, std::string_view path)
{
    const auto route = routeOf(req.method(), path);
    if (!route) {
        send(errorResponse(req, http::status::not_found, "no such endpoint"));
        return;
    }
    const std::string_view authorization = req[http::field::authorization];
    if (!authorization.starts_with("Bearer ")) {
        send(unauthenticated(req));
        return;
    }
    auto claims = m_ctx.signer.verify(authorization.substr(7), auth::unixNow());
    if (!claims) {
        send(unauthenticated(req));
        return;
    }
    // Early refusal on the token's role; the database re-checks with the current one.
    if (!auth::permits(claims->role, route->operation)) {
        send(errorResponse(req, http::status::forbidden, "forbidden"));
        return;
    }
    auto routed = *route;
    if (routed.operation == auth::Operation::SetOwnPresence) {
        // {"status": "available" | "away"}
        boost::system::error_code ec;
        const json::value body = json::parse(req.body(), ec);
        const json::object* object = ec ? nullptr : body.if_object();
        const json::value* status = object != nullptr ? object->if_contains("status") : nullptr;
        if (status == nullptr || !status->is_string() ||
            (status->get_string() != "available" && status->get_string() != "away")) {
            send(errorResponse(req, http::status::bad_request,
                               "expected {\"status\": \"available\" or \"away\"}"));
            return;
        }
        routed.target = std::string(status->get_string());
    }
    auto request = std::make_shared<const Request>(std::move(req));
    auto answer = [self = shared_from_this(), request](http::status status, json::value body) {
        asio::dispatch(self->m_executor, [self, request, status, body = std::move(body)] {
            auto res = status == http::status::unauthorized
                           ? unauthenticated(*request)
                           : makeResponse(*request, status, body.as_object());
            self->send(std::move(res));
        });
    };
    m_ctx.database.submit(
        [answer, caller = std::move(claims).value(), route = std::move(routed),
         ip = m_peerIp](pqxx::connection& conn) {
            const auto role = auth::liveRole(conn, caller);
            if (!role) {
                answer(http::status::unauthorized, json::object{{"error", "unauthenticated"}});
                return;
            }
            if (!auth::permits(*role, route.operation)) {
                answer(http::status::forbidden, json::object{{"error", "forbidden"}});
                return;
            }
            switch (route.operation) {
            case auth::Operation::ListUsers:
                answer(http::status::ok, usersBody(auth::listUsers(conn, caller)));
                return;
            case auth::Operation::ReadAuditLog:
                answer(http::status::ok, auditBody(auth::readAuditLog(conn, caller, kAuditPage)));
                return;
            case auth::Operation::SetOwnPresence:
                if (!auth::setOwnPresence(conn, caller, route.target)) {
                    answer(http::status::not_found, json::object{{"error", "no presence"}});
                    return;
                }
                answer(http::status::ok, json::object{{"status", route.target}});
                return;
            case auth::Operation::DisableUser:
                switch (auth::disableUser(conn, caller, route.target, ip)) {
                case auth::DisableOutcome::Disabled:
                    log::info("admin", "user " + route.target + " disabled by " + caller.userId);
                    answer(http::status::ok, json::object{{"status", "disabled"}});
                    return;
                case auth::DisableOutcome::AlreadyDisabled:
                    answer(http::status::ok, json::object{{"status", "already_disabled"}});
                    return;
                case auth::DisableOutcome::Self:
                    answer(http::status::conflict,
                           json::object{{"error", "cannot_disable_yourself"}});
                    return;
                case auth::DisableOutcome::NotFound:
                    answer(http::status::not_found, json::object{{"error", "no such user"}});
                    return;
                }
            }
        },
        [answer](const std::string& reason) {
            log::warn("admin", reason);
            answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
        });
}

} // namespace cc::server::net
