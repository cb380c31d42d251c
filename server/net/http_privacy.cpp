// A customer's personal data (docs/security.md, "Personal data"), for admins of the customer's
// organisation; export and erasure are audited:
//   GET  /v1/admin/customers?q=              find who a request is about (phone, e-mail, name)
//   GET  /v1/admin/customers/{id}/export   everything held about the customer, as JSON
//   POST /v1/admin/customers/{id}/erase    erase it everywhere (devices on their next sync)
// and, for everyone, the key of their own offline cache on the device they signed in from:
//   GET  /v1/me/cache-key
#include "server/auth/admin_service.h"
#include "server/db/database.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"
#include "server/privacy/customer_data.h"
#include "shared/telephony/twilio.h"

#include <boost/json.hpp>
#include <pqxx/pqxx>

namespace cc::server::net {

namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "/v1/admin/customers/";
constexpr std::size_t kMaxEraseBody = 1024;

json::object eraseBody(const privacy::EraseResult& r)
{
    json::array recordings;
    for (const auto& url : r.providerRecordings) {
        recordings.emplace_back(url);
    }
    return {
        {"customerErasedAt", r.erasedAt},
        {"alreadyErased", r.outcome == privacy::EraseOutcome::AlreadyErased},
        {"removed",
         {{"notes", r.notes}, {"phones", r.phones}, {"selfServiceTurns", r.selfServiceTurns}}},
        {"anonymised", {{"calls", r.calls}, {"tasks", r.tasks}, {"appointments", r.appointments}}},
        // Recordings are kept by the telephony provider: delete them there as well.
        {"providerRecordingsToDelete", std::move(recordings)}};
}

} // namespace

void HttpSession::handlePrivacy(Request&& req, std::string_view path)
{
    if (path == "/v1/me/cache-key") {
        if (req.method() != http::verb::get) {
            send(methodNotAllowed(req, "GET"));
            return;
        }
        auto claims = authorise(req, auth::Operation::ReadOwnCacheKey);
        if (!claims) {
            return;
        }
        auto answer = jsonReply(std::move(req));
        m_ctx.database.submit(
            [answer, caller = std::move(claims).value()](pqxx::connection& conn) {
                if (!confirmRole(conn, caller, auth::Operation::ReadOwnCacheKey, answer)) {
                    return;
                }
                auto key = privacy::deviceCacheKey(conn, caller);
                if (!key) {
                    answer(http::status::unauthorized, json::object{{"error", "unauthenticated"}});
                    return;
                }
                answer(http::status::ok, json::object{{"cacheKey", std::move(*key)}});
            },
            [answer](const std::string& reason) {
                log::warn("privacy", reason.substr(0, reason.find('\n')));
                answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
            });
        return;
    }
    if (path == "/v1/admin/customers") {
        if (req.method() != http::verb::get) {
            send(methodNotAllowed(req, "GET"));
            return;
        }
        auto claims = authorise(req, auth::Operation::ExportCustomer);
        if (!claims) {
            return;
        }
        const std::string_view target = req.target();
        const auto mark = target.find('?');
        std::string query;
        if (mark != std::string_view::npos) {
            if (auto params = cc::telephony::parseFormUrlEncoded(target.substr(mark + 1))) {
                for (const auto& [name, value] : params.value()) {
                    if (name == "q") {
                        query = value;
                    }
                }
            }
        }
        auto answer = jsonReply(std::move(req));
        m_ctx.database.submit(
            [answer, query, caller = std::move(claims).value()](pqxx::connection& conn) {
                if (!confirmRole(conn, caller, auth::Operation::ExportCustomer, answer)) {
                    return;
                }
                try {
                    answer(
                        http::status::ok,
                        json::object{{"customers", privacy::findCustomers(conn, caller, query)}});
                } catch (const std::invalid_argument& e) {
                    answer(http::status::bad_request, json::object{{"error", e.what()}});
                }
            },
            [answer](const std::string& reason) {
                log::warn("privacy", reason.substr(0, reason.find('\n')));
                answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
            });
        return;
    }
    const std::string_view rest = path.substr(kPrefix.size());
    const auto slash = rest.find('/');
    const std::string_view action =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (action != "export" && action != "erase") {
        send(errorResponse(req, http::status::not_found, "no such endpoint"));
        return;
    }
    const bool erase = action == "erase";
    if (req.method() != (erase ? http::verb::post : http::verb::get)) {
        send(methodNotAllowed(req, erase ? "POST" : "GET"));
        return;
    }
    if (erase && req.body().size() > kMaxEraseBody) {
        send(errorResponse(req, http::status::payload_too_large, "the body is too large"));
        return;
    }
    const auth::Operation operation =
        erase ? auth::Operation::EraseCustomer : auth::Operation::ExportCustomer;
    auto claims = authorise(req, operation);
    if (!claims) {
        return;
    }
    auto answer = jsonReply(std::move(req));
    m_ctx.database.submit(
        [answer, erase, operation, caller = std::move(claims).value(),
         customer = std::string(rest.substr(0, slash)), ip = m_clientIp](pqxx::connection& conn) {
            if (!confirmRole(conn, caller, operation, answer)) {
                return;
            }
            if (!erase) {
                auto document = privacy::exportCustomer(conn, caller, customer, ip);
                if (!document) {
                    answer(http::status::not_found, json::object{{"error", "no such customer"}});
                    return;
                }
                log::info("privacy", "customer " + customer + " exported by " + caller.userId);
                answer(http::status::ok, std::move(*document));
                return;
            }
            const auto result = privacy::eraseCustomer(conn, caller, customer, ip);
            switch (result.outcome) {
            case privacy::EraseOutcome::NotFound:
                answer(http::status::not_found, json::object{{"error", "no such customer"}});
                return;
            case privacy::EraseOutcome::CallInProgress:
                answer(http::status::conflict,
                       json::object{{"error", "a call with this customer is under way (or its "
                                              "voicemail is still being saved): erase the "
                                              "customer after it ends"}});
                return;
            case privacy::EraseOutcome::AlreadyErased:
            case privacy::EraseOutcome::Erased:
                if (result.outcome == privacy::EraseOutcome::Erased) {
                    log::info("privacy", "customer " + customer + " erased by " + caller.userId);
                }
                answer(http::status::ok, eraseBody(result));
                return;
            }
        },
        [answer](const std::string& reason) {
            log::warn("privacy", reason.substr(0, reason.find('\n')));
            answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
        });
}

} // namespace cc::server::net
