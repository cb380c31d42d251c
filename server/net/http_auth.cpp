// POST /v1/auth/login, /v1/auth/refresh, /v1/auth/logout: JSON in, JSON out. Parsing and rate
// limits here on the network thread; the password check and the database on a worker.

#include "server/auth/auth_service.h"
#include "server/auth/requests.h"
#include "server/db/database.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"

#include <boost/asio/dispatch.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace json = boost::json;

namespace cc::server::net {
namespace {

json::object signedInBody(const auth::SignedIn& s)
{
    json::array stores;
    for (const auto& store : s.stores) {
        stores.push_back(
            json::object{{"id", store.id}, {"code", store.code}, {"name", store.name}});
    }
    return {{"accessToken", s.accessToken},
            {"accessExpiresAt", s.accessExpiresAt},
            {"refreshToken", s.refreshToken},
            {"user", json::object{{"id", s.userId},
                                  {"name", s.displayName},
                                  {"role", domain::toString(s.role)}}},
            {"organisation", json::object{{"id", s.organisationId}, {"name", s.organisationName}}},
            {"stores", std::move(stores)}};
}

Response tooMany(const Request& req, std::string_view error, std::chrono::seconds retryAfter)
{
    auto res = errorResponse(req, http::status::too_many_requests, error);
    res.set(http::field::retry_after, std::to_string(retryAfter.count()));
    return res;
}

} // namespace

void HttpSession::handleAuth(Request&& req, std::string_view path)
{
    if (req.method() != http::verb::post) {
        send(methodNotAllowed(req, "POST"));
        return;
    }
    // The worker answers through this, back on the connection's strand. It holds the session:
    // nothing else does while the database works (the queue is bounded, sign-ins rate-limited).
    auto request = std::make_shared<const Request>(std::move(req));
    auto answer = [self = shared_from_this(), request](http::status status, json::object body,
                                                       std::int64_t retryAfter) {
        asio::dispatch(self->m_executor,
                       [self, request, status, body = std::move(body), retryAfter] {
                           auto res = makeResponse(*request, status, body);
                           if (retryAfter > 0) {
                               res.set(http::field::retry_after, std::to_string(retryAfter));
                           }
                           self->send(std::move(res));
                       });
    };
    auto unavailable = [answer](const std::string& reason) {
        log::warn("auth", reason);
        answer(http::status::service_unavailable, {{"error", "unavailable"}}, 5);
    };
    NodeContext& ctx = m_ctx;
    const std::string_view contentType = (*request)[http::field::content_type];
    auto badRequest = [this, &request](const std::string& message) {
        send(makeResponse(*request, http::status::bad_request,
                          {{"error", "bad_request"}, {"message", message}}));
    };
    // Sign-in and setting a password share the budgets: per address, and per account however its
    // e-mail is spelt (the database ignores case). False (the 429 sent) when one is spent.
    auto withinSignInBudgets = [this, &ctx, &request](const std::string& organisation,
                                                      const std::string& email) {
        if (const auto d = ctx.limits.loginsPerIp.take(m_peerIp); !d.allowed) {
            send(tooMany(*request, "rate_limited", d.retryAfter));
            return false;
        }
        std::string account = organisation + "/" + email;
        std::transform(account.begin(), account.end(), account.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (const auto d = ctx.limits.loginsPerAccount.take(account); !d.allowed) {
            send(tooMany(*request, "rate_limited", d.retryAfter));
            return false;
        }
        return true;
    };
    if (path == "/v1/auth/login") {
        auto parsed = auth::parseLoginRequest(contentType, request->body());
        if (!parsed) {
            badRequest(parsed.error().message);
            return;
        }
        auth::LoginRequest login = std::move(parsed).value();
        login.sourceIp = m_clientIp;
        if (!withinSignInBudgets(login.organisation, login.email)) {
            return;
        }
        ctx.database.submit(
            [&ctx, answer, login = std::move(login)](pqxx::connection& conn) {
                const auto outcome = auth::login(conn, ctx.signer, ctx.authSettings, login);
                if (const auto* ok = std::get_if<auth::SignedIn>(&outcome)) {
                    log::info("auth", "signed in: user " + ok->userId + " from " + login.sourceIp);
                    answer(http::status::ok, signedInBody(*ok), 0);
                } else if (const auto* locked = std::get_if<auth::LockedOut>(&outcome)) {
                    // The same answer as the per-account rate limit, which every account,
                    // existing or not, runs into: a lock does not reveal that one exists.
                    answer(http::status::too_many_requests, {{"error", "rate_limited"}},
                           locked->retryAfter.count());
                } else {
                    log::info("auth", "failed sign-in for organisation \"" + login.organisation +
                                          "\" from " + login.sourceIp);
                    answer(http::status::unauthorized, {{"error", "invalid_credentials"}}, 0);
                }
            },
            unavailable);
        return;
    }
    if (path == "/v1/auth/setup-password") {
        // The end of an invite or a password reset (docs/security.md, "Invites, password resets
        // and setup codes"): the budgets of sign-in, shared with it, and one answer for every
        // refusal.
        auto parsed = auth::parseSetupPasswordRequest(contentType, request->body());
        if (!parsed) {
            badRequest(parsed.error().message);
            return;
        }
        auth::SetupPasswordRequest setup = std::move(parsed).value();
        setup.sourceIp = m_clientIp;
        // Says nothing about the account: the e-mail is the caller's own.
        if (const auto problem = auth::newPasswordProblem(setup.password, setup.email)) {
            send(makeResponse(*request, http::status::bad_request,
                              {{"error", "weak_password"}, {"message", *problem}}));
            return;
        }
        if (!withinSignInBudgets(setup.organisation, setup.email)) {
            return;
        }
        ctx.database.submit(
            [answer, setup = std::move(setup)](pqxx::connection& conn) {
                if (auth::setupPassword(conn, setup) == auth::SetupOutcome::PasswordSet) {
                    log::info("auth", "password set with a setup code from " + setup.sourceIp);
                    answer(http::status::ok, {{"status", "password_set"}}, 0);
                } else {
                    log::info("auth", "refused setup code for organisation \"" +
                                          setup.organisation + "\" from " + setup.sourceIp);
                    answer(http::status::unauthorized, {{"error", "invalid_setup_code"}}, 0);
                }
            },
            unavailable);
        return;
    }
    if (path != "/v1/auth/refresh" && path != "/v1/auth/logout") {
        send(errorResponse(*request, http::status::not_found, "no such endpoint"));
        return;
    }
    // Both take {"refreshToken": "..."}.
    auto parsed = auth::parseRefreshRequest(contentType, request->body());
    if (!parsed) {
        badRequest(parsed.error().message);
        return;
    }
    const std::string token = std::move(parsed).value();
    if (path == "/v1/auth/refresh") {
        ctx.database.submit(
            [&ctx, answer, token, ip = m_clientIp](pqxx::connection& conn) {
                const auto outcome = auth::refresh(conn, ctx.signer, ctx.authSettings, token, ip);
                if (const auto* ok = std::get_if<auth::SignedIn>(&outcome)) {
                    answer(http::status::ok, signedInBody(*ok), 0);
                } else {
                    answer(http::status::unauthorized, {{"error", "invalid_refresh_token"}}, 0);
                }
            },
            unavailable);
        return;
    }
    ctx.database.submit(
        [answer, token](pqxx::connection& conn) {
            auth::logout(conn, token); // the same answer whether it was live or not
            answer(http::status::ok, {{"status", "signed_out"}}, 0);
        },
        unavailable);
}

} // namespace cc::server::net
