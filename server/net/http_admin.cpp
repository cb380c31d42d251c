// /v1/admin/*: organisation administration over HTTPS with a bearer access token. Every request
// is authenticated (token, then the live sign-in in the database), authorised by the policy with
// the caller's current role, and confined to the caller's organisation by its queries.

#include "server/auth/admin_service.h"
#include "server/auth/policy.h"
#include "server/auth/user_admin.h"
#include "server/db/database.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"

#include <boost/asio/dispatch.hpp>
#include <boost/json.hpp>

namespace json = boost::json;

namespace cc::server::net {
namespace {

struct Route {
    auth::Operation operation;
    std::string target;              // the user or store id for per-row operations
    auth::RoutingRulesPatch rules{}; // the rules to set, checked before the database is asked
    // Like the rules, read and checked before the database is asked:
    auth::UserInvite invite{};
    auth::UserChange change{};
    auth::AuditQuery audit{};
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
    constexpr std::string_view rules = "/v1/admin/routing-rules";
    if (method == http::verb::get && path == rules) {
        return Route{auth::Operation::ReadRoutingRules, {}};
    }
    if (method == http::verb::put && path == rules) {
        return Route{auth::Operation::SetOrganisationRoutingRules, {}};
    }
    constexpr std::string_view storeRules = "/v1/admin/routing-rules/stores/";
    if (method == http::verb::put && path.starts_with(storeRules) &&
        path.size() > storeRules.size()) {
        return Route{auth::Operation::SetStoreRoutingRules,
                     std::string(path.substr(storeRules.size()))};
    }
    if (method == http::verb::post && path == "/v1/admin/users") {
        return Route{auth::Operation::InviteUser, {}};
    }
    // /v1/admin/users/{id} and /v1/admin/users/{id}/{action}
    constexpr std::string_view prefix = "/v1/admin/users/";
    if (!path.starts_with(prefix)) {
        return std::nullopt;
    }
    const std::string_view rest = path.substr(prefix.size());
    const std::size_t slash = rest.find('/');
    const std::string id(rest.substr(0, slash));
    const std::string_view action =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (id.empty()) {
        return std::nullopt;
    }
    if (method == http::verb::put && slash == std::string_view::npos) {
        return Route{auth::Operation::ChangeUser, id};
    }
    if (method == http::verb::post && action == "disable") {
        return Route{auth::Operation::DisableUser, id};
    }
    if (method == http::verb::post && action == "enable") {
        return Route{auth::Operation::EnableUser, id};
    }
    if (method == http::verb::post && action == "reset-password") {
        return Route{auth::Operation::ResetUserPassword, id};
    }
    return std::nullopt;
}

json::object userJson(const auth::UserSummary& u)
{
    json::array stores;
    for (const auto& code : u.storeCodes) {
        stores.emplace_back(code);
    }
    json::array storeIds;
    for (const auto& id : u.storeIds) {
        storeIds.emplace_back(id);
    }
    json::array skills;
    for (const auto& skill : u.skills) {
        skills.emplace_back(skill);
    }
    return {
        {"id", u.id},
        {"email", u.email},
        {"name", u.displayName},
        {"role", u.role},
        {"active", u.active},
        {"stores", std::move(stores)},
        {"storeIds", std::move(storeIds)},
        {"homeStoreId", u.homeStoreId.empty() ? json::value(nullptr) : json::value(u.homeStoreId)},
        {"skills", std::move(skills)},
        {"passwordSet", u.passwordSet},
        {"setupPending", u.setupPending}};
}

json::value usersBody(const std::vector<auth::UserSummary>& users)
{
    json::array out;
    for (const auto& u : users) {
        out.push_back(userJson(u));
    }
    return json::object{{"users", std::move(out)}};
}

// The detail column is JSON the server wrote; an entry that does not parse shows as empty rather
// than failing the whole page.
json::value detailOf(const std::string& text)
{
    boost::system::error_code ec;
    json::value detail = json::parse(text, ec);
    return ec ? json::value(json::object{}) : detail;
}

json::value auditBody(const auth::AuditPage& page)
{
    json::array out;
    for (const auto& e : page.entries) {
        out.push_back(json::object{{"id", e.id},
                                   {"at", e.at},
                                   {"actorUserId", e.actorUserId},
                                   {"actorName", e.actorName},
                                   {"action", e.action},
                                   {"targetType", e.targetType},
                                   {"targetId", e.targetId},
                                   {"targetName", e.targetName},
                                   {"detail", detailOf(e.detail)}});
    }
    json::object body{{"entries", std::move(out)}};
    if (page.nextBefore) {
        body["nextBefore"] = *page.nextBefore;
    }
    return body;
}

// The answer to an admin's change of a person's account (docs/security.md, the matrix).
void answerUserAdmin(const std::function<void(http::status, json::value)>& answer,
                     const auth::UserAdminResult& result, std::string_view done,
                     std::string_view unchanged, std::string_view self)
{
    switch (result.outcome) {
    case auth::UserAdminOutcome::Done:
    case auth::UserAdminOutcome::Unchanged: {
        json::object body{
            {"status", result.outcome == auth::UserAdminOutcome::Done ? done : unchanged}};
        if (result.user) {
            body["user"] = userJson(*result.user);
        }
        if (result.setup) {
            // Shown once: only its hash is kept.
            body["setupCode"] = result.setup->code;
            body["setupExpiresAt"] = result.setup->expiresAt;
        }
        body["sessionsEnded"] = result.sessionsEnded;
        answer(done == "invited" ? http::status::created : http::status::ok, std::move(body));
        return;
    }
    case auth::UserAdminOutcome::NotFound:
        answer(http::status::not_found, json::object{{"error", "no such user"}});
        return;
    case auth::UserAdminOutcome::Forbidden:
        answer(http::status::forbidden, json::object{{"error", "forbidden"}});
        return;
    case auth::UserAdminOutcome::EmailTaken:
        answer(http::status::conflict, json::object{{"error", "email_taken"}});
        return;
    case auth::UserAdminOutcome::Self:
        answer(http::status::conflict, json::object{{"error", self}});
        return;
    case auth::UserAdminOutcome::Invalid:
        answer(http::status::bad_request, json::object{{"error", result.problem}});
        return;
    }
}

json::value routingRulesBody(const auth::RoutingRulesView& view)
{
    json::array stores;
    json::array effective;
    for (const auto& s : view.stores) {
        json::object row{{"store_id", s.storeId}, {"store_code", s.code}, {"store_name", s.name}};
        for (auto& [name, value] : auth::toJson(s.rules)) {
            row[name] = std::move(value);
        }
        stores.push_back(std::move(row));
        json::object merged{{"store_id", s.storeId}};
        for (auto& [name, value] :
             auth::toJson(auth::effectiveRoutingRules(view.organisation, s.rules, s.name))) {
            merged[name] = std::move(value);
        }
        effective.push_back(std::move(merged));
    }
    return json::object{{"organisation", auth::toJson(view.organisation)},
                        {"stores", std::move(stores)},
                        {"defaults", auth::toJson(auth::routingRuleDefaults())},
                        {"effective", std::move(effective)}};
}

json::value setRulesBody(const auth::SetRulesResult& result)
{
    json::object changed;
    for (const auto& c : result.changes) {
        changed[auth::kRoutingRuleFields[c.field].name] =
            json::object{{"old", auth::toJson(c.before)}, {"new", auth::toJson(c.after)}};
    }
    return json::object{
        {"status", result.outcome == auth::SetRulesOutcome::Updated ? "updated" : "unchanged"},
        {"changed", std::move(changed)},
        {"rules", auth::toJson(result.rules)}};
}

} // namespace

Response unauthenticatedResponse(const Request& req)
{
    auto res = errorResponse(req, http::status::unauthorized, "unauthenticated");
    res.set(http::field::www_authenticate, "Bearer");
    return res;
}

std::optional<auth::Claims> HttpSession::authorise(const Request& req, auth::Operation operation)
{
    const std::string_view authorization = req[http::field::authorization];
    if (!authorization.starts_with("Bearer ")) {
        send(unauthenticatedResponse(req));
        return std::nullopt;
    }
    auto claims = m_ctx.signer.verify(authorization.substr(7), auth::unixNow());
    if (!claims) {
        send(unauthenticatedResponse(req));
        return std::nullopt;
    }
    // Early refusal on the token's role; the database re-checks with the current one.
    if (!auth::permits(claims->role, operation)) {
        send(errorResponse(req, http::status::forbidden, "forbidden"));
        return std::nullopt;
    }
    return std::move(claims).value();
}

HttpSession::JsonReply HttpSession::jsonReply(Request&& req)
{
    auto request = std::make_shared<const Request>(std::move(req));
    return [self = shared_from_this(), request](http::status status, json::value body) {
        asio::dispatch(self->m_executor, [self, request, status, body = std::move(body)] {
            const json::object* object = body.if_object();
            self->send(
                status == http::status::unauthorized
                    ? unauthenticatedResponse(*request)
                    : makeResponse(*request, status, object != nullptr ? *object : json::object{}));
        });
    };
}

bool confirmRole(pqxx::connection& conn, const auth::Claims& caller, auth::Operation operation,
                 const std::function<void(http::status, json::value)>& reply)
{
    const auto role = auth::liveRole(conn, caller);
    if (!role) {
        reply(http::status::unauthorized, json::object{{"error", "unauthenticated"}});
        return false;
    }
    if (!auth::permits(*role, operation)) {
        reply(http::status::forbidden, json::object{{"error", "forbidden"}});
        return false;
    }
    return true;
}

void HttpSession::handleAdmin(Request&& req, std::string_view path)
{
    if (path.starts_with("/v1/admin/integrations")) {
        handleIntegrations(std::move(req), path);
        return;
    }
    const auto route = routeOf(req.method(), path);
    if (!route) {
        send(errorResponse(req, http::status::not_found, "no such endpoint"));
        return;
    }
    auto claims = authorise(req, route->operation);
    if (!claims) {
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
    // The whole body (or query) is checked before anything is written: one bad field, nothing
    // changes.
    try {
        switch (routed.operation) {
        case auth::Operation::SetOrganisationRoutingRules:
        case auth::Operation::SetStoreRoutingRules:
            routed.rules = auth::parseRoutingRulesPatch(req.body());
            break;
        case auth::Operation::InviteUser:
            routed.invite = auth::parseUserInvite(req.body());
            break;
        case auth::Operation::ChangeUser:
            routed.change = auth::parseUserChange(req.body());
            break;
        case auth::Operation::ReadAuditLog: {
            const std::string_view target = req.target();
            const std::size_t mark = target.find('?');
            routed.audit = auth::parseAuditQuery(
                mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1));
            break;
        }
        default:
            break;
        }
    } catch (const std::invalid_argument& e) {
        send(errorResponse(req, http::status::bad_request, e.what()));
        return;
    }
    auto answer = jsonReply(std::move(req));
    m_ctx.database.submit(
        [answer, caller = std::move(claims).value(), route = std::move(routed),
         ip = m_clientIp](pqxx::connection& conn) {
            if (!confirmRole(conn, caller, route.operation, answer)) {
                return;
            }
            switch (route.operation) {
            case auth::Operation::ListUsers:
                answer(http::status::ok, usersBody(auth::listUsers(conn, caller)));
                return;
            case auth::Operation::ReadAuditLog:
                answer(http::status::ok, auditBody(auth::readAuditLog(conn, caller, route.audit)));
                return;
            case auth::Operation::SetOwnPresence:
                if (!auth::setOwnPresence(conn, caller, route.target)) {
                    answer(http::status::not_found, json::object{{"error", "no presence"}});
                    return;
                }
                answer(http::status::ok, json::object{{"status", route.target}});
                return;
            case auth::Operation::ReadRoutingRules:
                answer(http::status::ok, routingRulesBody(auth::readRoutingRules(conn, caller)));
                return;
            case auth::Operation::SetOrganisationRoutingRules:
            case auth::Operation::SetStoreRoutingRules: {
                const bool store = route.operation == auth::Operation::SetStoreRoutingRules;
                const auto result =
                    store ? auth::setStoreRoutingRules(conn, caller, route.target, route.rules, ip)
                          : auth::setOrganisationRoutingRules(conn, caller, route.rules, ip);
                switch (result.outcome) {
                case auth::SetRulesOutcome::Updated:
                    log::info("admin", "routing rules of " +
                                           (store ? "store " + route.target
                                                  : "organisation " + caller.organisationId) +
                                           " set by " + caller.userId);
                    [[fallthrough]];
                case auth::SetRulesOutcome::Unchanged:
                    answer(http::status::ok, setRulesBody(result));
                    return;
                case auth::SetRulesOutcome::NotFound:
                    answer(http::status::not_found, json::object{{"error", "no such store"}});
                    return;
                case auth::SetRulesOutcome::Forbidden:
                    answer(http::status::forbidden, json::object{{"error", "forbidden"}});
                    return;
                }
                return;
            }
            case auth::Operation::ReadIntegrations:
            case auth::Operation::SetIntegration:
            case auth::Operation::CheckStock:
            case auth::Operation::WatchLiveAnalytics:
            case auth::Operation::ReadAnalytics:
            case auth::Operation::SetAnalyticsSettings:
            case auth::Operation::ExportCustomer:
            case auth::Operation::ReadOwnCacheKey:
            case auth::Operation::EraseCustomer:
                break; // http_integrations.cpp
            case auth::Operation::InviteUser: {
                const auto result = auth::inviteUser(conn, caller, route.invite, ip);
                if (result.outcome == auth::UserAdminOutcome::Done) {
                    log::info("admin", "user " + result.user->id + " invited by " + caller.userId);
                }
                answerUserAdmin(answer, result, "invited", "invited", "");
                return;
            }
            case auth::Operation::ChangeUser: {
                const auto result = auth::changeUser(conn, caller, route.target, route.change, ip);
                if (result.outcome == auth::UserAdminOutcome::Done) {
                    log::info("admin", "user " + route.target + " changed by " + caller.userId);
                }
                answerUserAdmin(answer, result, "updated", "unchanged", "cannot_change_own_role");
                return;
            }
            case auth::Operation::EnableUser: {
                const auto result = auth::enableUser(conn, caller, route.target, ip);
                if (result.outcome == auth::UserAdminOutcome::Done) {
                    log::info("admin", "user " + route.target + " enabled by " + caller.userId);
                }
                answerUserAdmin(answer, result, "enabled", "already_active", "");
                return;
            }
            case auth::Operation::ResetUserPassword: {
                const auto result = auth::resetUserPassword(conn, caller, route.target, ip);
                if (result.outcome == auth::UserAdminOutcome::Done) {
                    log::info("admin",
                              "password of user " + route.target + " reset by " + caller.userId);
                }
                answerUserAdmin(answer, result, "reset", "reset", "cannot_reset_yourself");
                return;
            }
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
                case auth::DisableOutcome::Forbidden:
                    answer(http::status::forbidden, json::object{{"error", "forbidden"}});
                    return;
                }
            }
            answer(http::status::not_found, json::object{{"error", "no such endpoint"}});
        },
        [answer](const std::string& reason) {
            log::warn("admin", reason);
            answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
        });
}

} // namespace cc::server::net
