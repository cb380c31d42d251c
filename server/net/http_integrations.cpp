// /v1/admin/integrations: an organisation's providers (Shopify, Square, Google Calendar), for its
// admins; /v1/stock: stock at a store, for anyone who serves that store's customers. See
// docs/integrations.md. Credentials go in sealed and never come out: not in an answer, not in
// the audit log, not in a log line.

#include "server/auth/admin_service.h"
#include "server/db/database.h"
#include "server/integrations/pool.h"
#include "server/integrations/store.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"
#include "shared/intent/intent.h"

#include <boost/json.hpp>
#include <pqxx/pqxx>

namespace json = boost::json;

namespace cc::server::net {
namespace {

namespace in = integrations;

constexpr std::size_t kMaxStockBody = 4096;
constexpr std::size_t kMaxItemBytes = 100;
constexpr std::size_t kMaxTypedBytes = 300;

enum class Action { List, Put, Delete, Test, Stock };

struct Route {
    Action action = Action::List;
    auth::Operation operation = auth::Operation::ReadIntegrations;
    std::optional<in::Provider> provider;
};

std::optional<Route> routeOf(http::verb method, std::string_view path)
{
    if (path == "/v1/stock") {
        return method == http::verb::post
                   ? std::optional<Route>(Route{Action::Stock, auth::Operation::CheckStock, {}})
                   : std::nullopt;
    }
    constexpr std::string_view base = "/v1/admin/integrations";
    if (path == base) {
        return method == http::verb::get ? std::optional<Route>(Route{}) : std::nullopt;
    }
    if (!path.starts_with(std::string(base) + "/")) {
        return std::nullopt;
    }
    std::string_view rest = path.substr(base.size() + 1);
    bool test = false;
    if (rest.ends_with("/test")) {
        rest.remove_suffix(5);
        test = true;
    }
    const auto provider = in::providerFromString(rest);
    if (!provider) {
        return std::nullopt;
    }
    if (test) {
        return method == http::verb::post
                   ? std::optional<Route>(
                         Route{Action::Test, auth::Operation::SetIntegration, provider})
                   : std::nullopt;
    }
    if (method == http::verb::put) {
        return Route{Action::Put, auth::Operation::SetIntegration, provider};
    }
    if (method == http::verb::delete_) {
        return Route{Action::Delete, auth::Operation::SetIntegration, provider};
    }
    return std::nullopt;
}

json::value viewsBody(const std::vector<in::IntegrationView>& views)
{
    json::array out;
    for (const auto& v : views) {
        boost::system::error_code ec;
        json::value settings = json::parse(v.settingsJson, ec);
        json::array credentials;
        for (const auto& name : v.credentialNames) {
            credentials.emplace_back(name); // set, never shown
        }
        json::object locations;
        for (const auto& [store, external] : v.locations) {
            locations[store] = external;
        }
        out.push_back(json::object{{"provider", in::toString(v.provider)},
                                   {"enabled", v.enabled},
                                   {"settings", ec ? json::value(json::object{}) : settings},
                                   {"credentials_set", std::move(credentials)},
                                   {"status", v.status},
                                   {"last_error", v.lastError},
                                   {"checked_at", v.checkedAt},
                                   {"updated_at", v.updatedAt},
                                   {"locations", std::move(locations)}});
    }
    return json::object{{"integrations", std::move(out)}};
}

// {"store_id": uuid, "item": "rain jacket", "colours": ["blue"], "size": "medium"}, or instead
// of item, colours and size what someone typed: {"store_id": uuid, "text": "blue rain jacket in
// a medium?"}, read by the same intent detection as the phone line.
struct StockRequest {
    std::string storeId;
    in::StockQuery query;
};

StockRequest parseStockRequest(std::string_view body)
{
    if (body.size() > kMaxStockBody) {
        throw std::invalid_argument("the body is too large");
    }
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (o == nullptr) {
        throw std::invalid_argument("the body must be a JSON object");
    }
    StockRequest r;
    const auto text = [&](std::string_view key, std::size_t max, bool required) {
        const json::value* f = o->if_contains(key);
        if (f == nullptr && !required) {
            return std::string();
        }
        if (f == nullptr || !f->is_string() || f->get_string().size() > max ||
            (required && f->get_string().empty())) {
            throw std::invalid_argument(std::string(key) + " must be a string of 1 to " +
                                        std::to_string(max) + " characters");
        }
        return std::string(f->get_string());
    };
    r.storeId = text("store_id", 36, true);
    if (o->contains("text") && !o->contains("item")) {
        const std::string typed = text("text", kMaxTypedBytes, true);
        const intent::Detection d = intent::detect(typed, intent::Reference{});
        if (d.slots.item.empty()) {
            throw std::invalid_argument("which item? Name it, for example \"blue rain jacket, "
                                        "medium\"");
        }
        r.query.item = d.slots.item;
        r.query.colours = d.slots.colours;
        r.query.size = d.slots.size;
        return r;
    }
    r.query.item = text("item", kMaxItemBytes, true);
    const std::string size = text("size", 20, false);
    if (!size.empty()) {
        r.query.size = in::normaliseSize(size);
        if (r.query.size.empty()) {
            throw std::invalid_argument("size is not a size we know (S, M, L, XL, or a number)");
        }
    }
    if (const json::value* colours = o->if_contains("colours")) {
        const json::array* list = colours->if_array();
        if (list == nullptr || list->size() > 3) {
            throw std::invalid_argument("colours must be a list of at most 3 strings");
        }
        for (const auto& c : *list) {
            if (!c.is_string() || c.get_string().empty() || c.get_string().size() > 30) {
                throw std::invalid_argument("colours must be a list of at most 3 strings");
            }
            r.query.colours.emplace_back(c.get_string());
        }
    }
    return r;
}

json::value stockBody(const in::StockResult& result, const in::StockQuery& query,
                      const std::string& storeId, const std::string& storeName,
                      in::Provider provider)
{
    json::array lines;
    for (const auto& l : result.lines) {
        lines.push_back(json::object{{"product", l.product},
                                     {"variant", l.variant},
                                     {"sku", l.sku},
                                     {"available", l.available},
                                     {"stocked_here", l.stockedHere}});
    }
    return json::object{{"store_id", storeId},
                        {"provider", in::toString(provider)},
                        {"lines", std::move(lines)},
                        {"truncated", result.truncated},
                        {"summary", in::spokenStockAnswer(result, query, storeName)}};
}

http::status statusOf(const in::ProviderError& e)
{
    using K = in::ProviderError::Kind;
    switch (e.kind) {
    case K::NotFound:
        return http::status::not_found;
    case K::Unauthorized:
    case K::Rejected:
        return http::status::bad_gateway;
    default:
        return http::status::service_unavailable;
    }
}

json::value errorBody(const in::ProviderError& e)
{
    return json::object{{"error", in::toString(e.kind)}, {"message", e.message}};
}

} // namespace

void HttpSession::handleIntegrations(Request&& req, std::string_view path)
{
    const auto route = routeOf(req.method(), path);
    if (!route) {
        send(errorResponse(req, http::status::not_found, "no such endpoint"));
        return;
    }
    auto claims = authorise(req, route->operation);
    if (!claims) {
        return;
    }
    std::optional<in::IntegrationPatch> patch;
    std::optional<StockRequest> stock;
    try {
        if (route->action == Action::Put) {
            patch = in::parseIntegrationPatch(*route->provider, req.body());
        } else if (route->action == Action::Stock) {
            stock = parseStockRequest(req.body());
        }
    } catch (const std::invalid_argument& e) {
        send(errorResponse(req, http::status::bad_request, e.what()));
        return;
    }
    if (m_ctx.secrets == nullptr || m_ctx.integrations == nullptr) {
        send(errorResponse(req, http::status::service_unavailable, "not ready"));
        return;
    }
    auto answer = jsonReply(std::move(req));
    auto unavailable = [answer](const std::string& reason) {
        log::warn("integrations", reason.substr(0, reason.find('\n')));
        answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
    };
    const crypto::SecretBox& secrets = *m_ctx.secrets;
    in::Pool& pool = *m_ctx.integrations;
    db::Database& database = m_ctx.database;
    m_ctx.database.submit(
        [answer, unavailable, caller = std::move(claims).value(), route = *route,
         patch = std::move(patch), stock = std::move(stock), ip = m_clientIp, &secrets, &pool,
         &database](pqxx::connection& conn) {
            if (!confirmRole(conn, caller, route.operation, answer)) {
                return;
            }
            const std::string& org = caller.organisationId;
            switch (route.action) {
            case Action::List:
                answer(http::status::ok, viewsBody(in::listIntegrations(conn, org)));
                return;
            case Action::Put:
                switch (in::saveIntegration(conn, secrets, org, caller.userId, *route.provider,
                                            *patch, ip)) {
                case in::SaveOutcome::Saved:
                    // New settings, a new chance: the breaker forgets the old failures.
                    pool.breakers().reset(org, *route.provider);
                    log::info("integrations", std::string(in::toString(*route.provider)) +
                                                  " set for organisation " + org + " by " +
                                                  caller.userId);
                    answer(http::status::ok, json::object{{"status", "saved"}});
                    return;
                case in::SaveOutcome::NeedsCredentials:
                    answer(http::status::bad_request,
                           json::object{{"error", "credentials are required to connect"}});
                    return;
                case in::SaveOutcome::AddressNeedsCredentials:
                    answer(http::status::bad_request,
                           json::object{{"error", "changing an address needs the credentials "
                                                  "again"}});
                    return;
                case in::SaveOutcome::UnknownStore:
                    answer(http::status::bad_request,
                           json::object{{"error", "locations name a store that is not yours"}});
                    return;
                case in::SaveOutcome::InventoryTaken:
                    answer(http::status::conflict,
                           json::object{{"error", "another source of stock is connected: "
                                                  "disable it first"}});
                    return;
                }
                return;
            case Action::Delete:
                if (in::deleteIntegration(conn, org, caller.userId, *route.provider, ip)) {
                    answer(http::status::ok, json::object{{"status", "removed"}});
                } else {
                    answer(http::status::not_found, json::object{{"error", "not connected"}});
                }
                return;
            case Action::Test:
            case Action::Stock:
                break;
            }

            // Both ask the provider: open the integration here, call it on a provider thread,
            // record how it went back on a database thread.
            std::string storeId;
            std::string storeName;
            in::Provider provider = route.provider.value_or(in::Provider::Shopify);
            Result<in::OpenedIntegration, std::string> opened = std::string();
            {
                pqxx::work tx(conn);
                if (route.action == Action::Stock) {
                    // Staff and managers ask for their stores; executives and admins for any.
                    const pqxx::result store = tx.exec_params(
                        "SELECT l.id::text, l.name FROM locations l JOIN users me ON me.id = "
                        "$1::uuid AND me.organisation_id = l.organisation_id AND me.active "
                        "WHERE l.organisation_id = $2::uuid AND l.id::text = $3 AND (me.role IN "
                        "('admin', 'executive') OR EXISTS (SELECT 1 FROM user_locations ul "
                        "WHERE ul.user_id = me.id AND ul.location_id = l.id))",
                        caller.userId, org, stock->storeId);
                    if (store.empty()) {
                        answer(http::status::not_found, json::object{{"error", "no such store"}});
                        return;
                    }
                    storeId = store[0][0].as<std::string>();
                    storeName = store[0][1].as<std::string>();
                    const auto source = in::inventoryProvider(tx, org);
                    if (!source) {
                        answer(http::status::conflict,
                               json::object{{"error", "not_connected"},
                                            {"message", "no source of stock is connected"}});
                        return;
                    }
                    provider = *source;
                }
                opened = in::openIntegration(tx, secrets, org, provider);
            }
            if (!opened) {
                answer(route.action == Action::Test ? http::status::not_found
                                                    : http::status::conflict,
                       json::object{{"error", "not_connected"}, {"message", opened.error()}});
                return;
            }
            auto integration = std::make_shared<in::OpenedIntegration>(std::move(opened).value());
            // The status the admin sees: after a test, always; after a stock check, when it
            // changes (and without holding up the answer).
            auto record = [&database, org, provider](std::optional<in::ProviderError> error,
                                                     bool onlyIfChanged,
                                                     std::function<void()> then) {
                database.submit(
                    [org, provider, error, onlyIfChanged, then](pqxx::connection& c) {
                        in::recordCheck(c, org, provider, error, onlyIfChanged);
                        then();
                    },
                    [then](const std::string&) { then(); });
            };
            pool.submit(
                [answer, record, integration, route, stock, storeId, storeName,
                 provider](in::Worker& worker) {
                    if (route.action == Action::Test) {
                        auto error = worker.test(*integration);
                        record(error, false, [answer, error] {
                            answer(http::status::ok,
                                   error ? json::object{{"status", "failing"},
                                                        {"error", in::toString(error->kind)},
                                                        {"message", error->message}}
                                         : json::object{{"status", "ok"}});
                        });
                        return;
                    }
                    auto result = worker.findStock(*integration, storeId, stock->query);
                    if (!result) {
                        const in::ProviderError error = result.error();
                        answer(statusOf(error), errorBody(error));
                        // Only what says something about the provider: not an unknown item, an
                        // unlinked store, or a breaker that did not ask.
                        if (in::countsAgainstProvider(error)) {
                            record(error, true, [] {});
                        }
                        return;
                    }
                    answer(http::status::ok,
                           stockBody(result.value(), stock->query, storeId, storeName, provider));
                    record(std::nullopt, true, [] {});
                },
                unavailable);
        },
        unavailable);
}

} // namespace cc::server::net
