// Historical figures and their CSV export, and the organisation's analytics thresholds
// (docs/analytics.md):
//   GET /v1/analytics?from=&to=&by=&location=&format=   managers (their stores), executives and
//                                                       admins (the organisation); CSV audited
//   GET /v1/admin/analytics-settings                    admins
//   PUT /v1/admin/analytics-settings                    admins; counts the history again
#include "server/analytics/report.h"
#include "server/auth/admin_service.h"
#include "server/db/database.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"

#include <boost/json.hpp>
#include <pqxx/pqxx>

namespace cc::server::net {

namespace json = boost::json;
namespace an = cc::server::analytics;

namespace {

constexpr std::size_t kMaxSettingsBody = 1024;

Response csvResponse(const Request& req, std::string body, const std::string& filename)
{
    Response res{http::status::ok, req.version()};
    res.set(http::field::server, std::string("callcommander-server"));
    res.set(http::field::content_type, "text/csv; charset=utf-8");
    res.set(http::field::content_disposition, "attachment; filename=\"" + filename + "\"");
    res.set(http::field::cache_control, "no-store");
    res.set(http::field::strict_transport_security, "max-age=31536000");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(req.keep_alive());
    if (req.method() != http::verb::head) {
        res.body() = std::move(body);
    }
    res.prepare_payload();
    return res;
}

// {"serviceLevelSeconds": 20, "shortAbandonSeconds": 5, "repeatWindowHours": 72}: any subset.
struct SettingsPatch {
    std::optional<int> serviceLevel;
    std::optional<int> shortAbandon;
    std::optional<int> repeatWindow;
};

SettingsPatch parseSettings(std::string_view body)
{
    if (body.size() > kMaxSettingsBody) {
        throw std::invalid_argument("the body is too large");
    }
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (o == nullptr) {
        throw std::invalid_argument("the body must be a JSON object");
    }
    SettingsPatch p;
    const auto read = [&](std::string_view key, int min, int max, std::optional<int>& out) {
        const json::value* f = o->if_contains(key);
        if (f == nullptr) {
            return;
        }
        if (!f->is_int64() || f->get_int64() < min || f->get_int64() > max) {
            throw std::invalid_argument(std::string(key) + " must be a whole number from " +
                                        std::to_string(min) + " to " + std::to_string(max));
        }
        out = static_cast<int>(f->get_int64());
    };
    for (const auto& [key, value] : *o) {
        if (key != "serviceLevelSeconds" && key != "shortAbandonSeconds" &&
            key != "repeatWindowHours") {
            throw std::invalid_argument("unknown field \"" + std::string(key.substr(0, 40)) + "\"");
        }
    }
    read("serviceLevelSeconds", 1, 600, p.serviceLevel);
    read("shortAbandonSeconds", 0, 120, p.shortAbandon);
    read("repeatWindowHours", 1, 720, p.repeatWindow);
    if (!p.serviceLevel && !p.shortAbandon && !p.repeatWindow) {
        throw std::invalid_argument("nothing to change");
    }
    return p;
}

json::object settingsBody(const cc::analytics::Settings& s)
{
    return {{"serviceLevelSeconds", s.serviceLevelSeconds},
            {"shortAbandonSeconds", s.shortAbandonSeconds},
            {"repeatWindowHours", s.repeatWindowHours}};
}

} // namespace

void HttpSession::handleAnalytics(Request&& req, std::string_view path)
{
    const bool settings = path == "/v1/admin/analytics-settings";
    const bool get = req.method() == http::verb::get;
    if ((!settings && !get) || (settings && !get && req.method() != http::verb::put)) {
        send(methodNotAllowed(req, settings ? "GET, PUT" : "GET"));
        return;
    }
    const auth::Operation operation =
        settings ? auth::Operation::SetAnalyticsSettings : auth::Operation::ReadAnalytics;
    auto claims = authorise(req, operation);
    if (!claims) {
        return;
    }

    if (settings) {
        std::optional<SettingsPatch> patch;
        if (!get) {
            try {
                patch = parseSettings(req.body());
            } catch (const std::invalid_argument& e) {
                send(errorResponse(req, http::status::bad_request, e.what()));
                return;
            }
        }
        auto answer = jsonReply(std::move(req));
        m_ctx.database.submit(
            [answer, caller = std::move(claims).value(), patch, operation,
             ip = m_clientIp](pqxx::connection& conn) {
                if (!confirmRole(conn, caller, operation, answer)) {
                    return;
                }
                if (patch) {
                    pqxx::work tx(conn);
                    // The trigger counts the organisation's history again with the new values.
                    tx.exec_params0(
                        "INSERT INTO analytics_settings AS s (organisation_id, service_level_s, "
                        "short_abandon_s, repeat_window_hours) SELECT $1::uuid, "
                        "coalesce($2, (c).service_level_s), coalesce($3, (c).short_abandon_s), "
                        "coalesce($4, (c).repeat_window_hours) FROM (SELECT "
                        "analytics_settings_of($1::uuid) AS c) x ON CONFLICT (organisation_id) DO "
                        "UPDATE SET service_level_s = EXCLUDED.service_level_s, short_abandon_s = "
                        "EXCLUDED.short_abandon_s, repeat_window_hours = "
                        "EXCLUDED.repeat_window_hours, updated_at = now()",
                        caller.organisationId, patch->serviceLevel, patch->shortAbandon,
                        patch->repeatWindow);
                    json::object detail;
                    if (patch->serviceLevel) {
                        detail["serviceLevelSeconds"] = *patch->serviceLevel;
                    }
                    if (patch->shortAbandon) {
                        detail["shortAbandonSeconds"] = *patch->shortAbandon;
                    }
                    if (patch->repeatWindow) {
                        detail["repeatWindowHours"] = *patch->repeatWindow;
                    }
                    tx.exec_params0(
                        "INSERT INTO audit_log (organisation_id, actor_user_id, action, "
                        "target_type, target_id, detail, source_ip) VALUES ($1::uuid, $2::uuid, "
                        "'analytics_settings.set', 'organisation', $1, $3::jsonb, nullif($4, "
                        "'')::inet)",
                        caller.organisationId, caller.userId, json::serialize(detail), ip);
                    tx.commit();
                }
                answer(http::status::ok,
                       settingsBody(an::readSettings(conn, caller.organisationId)));
            },
            [answer](const std::string& reason) {
                log::warn("analytics", reason.substr(0, reason.find('\n')));
                answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
            });
        return;
    }

    const std::string_view target = req.target();
    const auto mark = target.find('?');
    auto query = an::parseReportQuery(mark == std::string_view::npos ? std::string_view()
                                                                     : target.substr(mark + 1));
    if (!query) {
        send(errorResponse(req, http::status::bad_request, query.error()));
        return;
    }
    // The CSV answer needs the request too; a GET's copy is small.
    auto request = std::make_shared<const Request>(req);
    auto self = shared_from_this();
    auto answer = jsonReply(std::move(req));
    m_ctx.database.submit(
        [self, request, answer, caller = std::move(claims).value(), q = std::move(query).value(),
         ip = m_clientIp](pqxx::connection& conn) {
            const auto role = auth::liveRole(conn, caller);
            if (!role) {
                answer(http::status::unauthorized, json::object{{"error", "unauthenticated"}});
                return;
            }
            if (!auth::permits(*role, auth::Operation::ReadAnalytics)) {
                answer(http::status::forbidden, json::object{{"error", "forbidden"}});
                return;
            }
            auto report = an::runReport(conn, caller.organisationId, caller.userId, *role, q);
            if (!report) {
                answer(http::status::forbidden,
                       json::object{{"error", report.error() == an::ReportRefusal::NoStores
                                                  ? "you work in no store"
                                                  : "a store you asked for is not yours"}});
                return;
            }
            if (!q.csv) {
                answer(http::status::ok, an::reportToJson(report.value()));
                return;
            }
            // Every export is audited: who took which figures out.
            {
                pqxx::work tx(conn);
                tx.exec_params0(
                    "INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, "
                    "target_id, detail, source_ip) VALUES ($1::uuid, $2::uuid, "
                    "'analytics.export', 'analytics', $3, $4::jsonb, nullif($5, '')::inet)",
                    caller.organisationId, caller.userId, std::string(an::toString(q.by)),
                    json::serialize(json::object{{"from", q.from},
                                                 {"to", q.to},
                                                 {"by", an::toString(q.by)},
                                                 {"stores", q.locations.size()},
                                                 {"rows", report.value().rows.size()}}),
                    ip);
                tx.commit();
            }
            std::string csv = an::reportToCsv(report.value());
            const std::string filename = "callcommander-" + std::string(an::toString(q.by)) + "-" +
                                         q.from + "-" + q.to + ".csv";
            asio::dispatch(self->m_executor,
                           [self, request, csv = std::move(csv), filename]() mutable {
                               self->send(csvResponse(*request, std::move(csv), filename));
                           });
        },
        [answer](const std::string& reason) {
            log::warn("analytics", reason.substr(0, reason.find('\n')));
            answer(http::status::service_unavailable, json::object{{"error", "unavailable"}});
        });
}

} // namespace cc::server::net
