// /twilio/*: the voice webhooks (docs/telephony.md). Who is asking is proven by the request's
// X-Twilio-Signature, computed with the organisation's auth token over the public URL and the
// POST parameters; anything unsigned or badly signed gets 403 and changes nothing. The
// organisation comes from the signed AccountSid, the store from the dialled number, which must
// belong to that same organisation.

#include "callcommander/version.h"
#include "server/db/database.h"
#include "server/integrations/pool.h"
#include "server/net/sessions.h"
#include "server/ops/config.h"
#include "server/ops/log.h"
#include "server/telephony/call_flow.h"
#include "server/telephony/directory.h"
#include "shared/domain/cardmask.h"
#include "shared/telephony/twilio.h"

#include <boost/asio/dispatch.hpp>

#include <charconv>

namespace cc::server::net {
namespace {

constexpr auto kStaleAfter = std::chrono::seconds(10);
// From the stock webhook's arrival to the provider's last word: leaves the database time to apply
// the outcome well within Twilio's 15 s.
constexpr auto kStockDeadline = std::chrono::seconds(11);

Response twimlResponse(const Request& req, http::status status, std::string body)
{
    Response res{status, req.version()};
    res.set(http::field::server, std::string("callcommander-server/") + kVersion);
    res.set(http::field::content_type, "text/xml; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

const std::string* findParam(const cc::telephony::FormParams& params, std::string_view name)
{
    for (const auto& [k, v] : params) {
        if (k == name) {
            return &v;
        }
    }
    return nullptr;
}

// d= (a routing decision) in the query of our own callback URLs; 0 when absent or not a number.
std::int64_t queryNumber(std::string_view target)
{
    const auto q = target.find('?');
    if (q == std::string_view::npos) {
        return 0;
    }
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (pair.size() > 2 && pair.starts_with("d=")) {
            std::int64_t value = 0;
            const auto digits = pair.substr(2);
            const auto [end, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (ec == std::errc() && end == digits.data() + digits.size() && value > 0) {
                return value;
            }
            return 0;
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return 0;
}

} // namespace

void HttpSession::handleTwilio(Request&& req, std::string_view path)
{
    const bool fallback = path == "/twilio/voice/fallback";
    const auto endpoint = telephony::endpointOf(path);
    if (!fallback && !endpoint) {
        send(errorResponse(req, http::status::not_found, "no such endpoint"));
        return;
    }
    if (const auto budget = m_ctx.limits.webhooksPerIp.take(m_peerIp); !budget.allowed) {
        auto res = errorResponse(req, http::status::too_many_requests, "rate_limited");
        res.set(http::field::retry_after, std::to_string(budget.retryAfter.count()));
        send(std::move(res));
        return;
    }
    if (req.method() != http::verb::post) {
        send(methodNotAllowed(req, "POST"));
        return;
    }
    if (!req[http::field::content_type].starts_with("application/x-www-form-urlencoded")) {
        send(errorResponse(req, http::status::unsupported_media_type,
                           "Twilio webhooks are application/x-www-form-urlencoded"));
        return;
    }
    auto params = cc::telephony::parseFormUrlEncoded(req.body());
    if (!params) {
        send(errorResponse(req, http::status::bad_request, params.error()));
        return;
    }
    if (m_ctx.directory == nullptr || !m_ctx.directory->loaded()) {
        // Just started: the accounts are not read yet. Twilio retries, then uses the fallback.
        send(errorResponse(req, http::status::service_unavailable, "not ready"));
        return;
    }
    const std::string* accountSid = findParam(*params, "AccountSid");
    const auto account =
        accountSid != nullptr ? m_ctx.directory->account(*accountSid) : std::nullopt;
    // The URL Twilio called, as it signed it: the configured public address, or this request's.
    const std::string base = !m_ctx.config.telephonyPublicUrl.empty()
                                 ? m_ctx.config.telephonyPublicUrl
                                 : "https://" + std::string(req[http::field::host]);
    const std::string fullUrl = base + std::string(req.target());
    if (!account || !cc::telephony::validateTwilioSignature(account->authToken, fullUrl, *params,
                                                            req["X-Twilio-Signature"])) {
        const auto strike = m_ctx.limits.badSignaturesPerIp.take(m_peerIp);
        if (!strike.allowed) {
            auto res = errorResponse(req, http::status::too_many_requests, "rate_limited");
            res.set(http::field::retry_after, std::to_string(strike.retryAfter.count()));
            send(std::move(res));
            return;
        }
        log::warn("telephony", "refused an unsigned or badly signed webhook to " +
                                   std::string(path) + " from " + m_clientIp);
        send(errorResponse(req, http::status::forbidden, "invalid signature"));
        return;
    }
    // Signed by the organisation's provider account: from here the log lines and the database
    // jobs of this webhook name its call.
    if (const std::string* callSid = findParam(*params, "CallSid")) {
        log::setCallId(*callSid);
    }

    std::optional<telephony::Number> dialled;
    if (const std::string* to = findParam(*params, "To")) {
        dialled = m_ctx.directory->number(*to);
        if (dialled && dialled->organisationId != account->organisationId) {
            dialled.reset(); // another organisation's number: not this account's to answer
        }
    }
    if (fallback) {
        // Twilio gave up on our voice URL (timeout, error): ring the store's own line, from
        // memory, without the database.
        log::warn("telephony", "fallback URL called for " +
                                   (dialled ? dialled->locationName : std::string("no store")));
        send(twimlResponse(req, http::status::ok, telephony::fallbackTwiml(dialled)));
        return;
    }
    if (*endpoint == telephony::Endpoint::Voice && !dialled) {
        send(twimlResponse(req, http::status::ok, telephony::notInServiceTwiml()));
        return;
    }

    auto hook = std::make_shared<telephony::Webhook>();
    hook->endpoint = *endpoint;
    hook->organisationId = account->organisationId;
    hook->baseUrl = base;
    hook->params = std::move(params).value();
    hook->queryNumber = queryNumber(req.target());
    hook->dialled = dialled;
    if (auto problem = telephony::validate(*hook)) {
        send(errorResponse(req, http::status::bad_request, *problem));
        return;
    }
    // What the caller said or typed is free text: a card number read out to the line, or keyed in
    // at a prompt, is masked before anything keeps it (the signature was checked on the original).
    for (auto& [name, value] : hook->params) {
        if (name == "SpeechResult" || name == "UnstableSpeechResult" || name == "Digits" ||
            name == "TranscriptionText") {
            value = domain::maskCardNumbers(value);
        }
    }

    auto request = std::make_shared<const Request>(std::move(req));
    // Answered once: by the database job, or by its failure. A caller in the flow whose answer
    // cannot be computed still gets the store's own line.
    auto answer = [self = shared_from_this(), request](http::status status, std::string body,
                                                       bool xml) {
        asio::dispatch(self->m_executor, [self, request, status, body = std::move(body), xml] {
            self->send(xml ? twimlResponse(*request, status, body)
                           : errorResponse(*request, status, body));
        });
    };
    // What a caller hears when this webhook cannot be applied: in the middle of the call flow,
    // the store's own line; after a conversation or a message, goodbye. Callbacks get 503.
    std::optional<std::string> whenNotApplied;
    const std::string dialStatus = findParam(hook->params, "DialCallStatus") != nullptr
                                       ? *findParam(hook->params, "DialCallStatus")
                                       : std::string();
    if (*endpoint == telephony::Endpoint::Recorded ||
        (*endpoint == telephony::Endpoint::Dial &&
         (dialStatus == "completed" || dialStatus == "answered"))) {
        whenNotApplied = telephony::hangupTwiml();
    } else if (*endpoint != telephony::Endpoint::Status &&
               *endpoint != telephony::Endpoint::Recording &&
               *endpoint != telephony::Endpoint::Leg) {
        whenNotApplied = telephony::fallbackTwiml(hook->dialled);
    }
    const auto received = std::chrono::steady_clock::now();
    if (*endpoint == telephony::Endpoint::Stock) {
        answerStock(hook, answer, *whenNotApplied, received);
        return;
    }
    m_ctx.database.submit(
        [hook, answer, whenNotApplied, received](pqxx::connection& conn) {
            // Twilio gives up after 15 s and uses the fallback: a request that waited this long
            // in our queue is answered without being applied, so it claims nobody.
            if (whenNotApplied && std::chrono::steady_clock::now() - received > kStaleAfter) {
                log::warn("telephony", "webhook waited too long in the queue: not applied");
                answer(http::status::ok, *whenNotApplied, true);
                return;
            }
            const telephony::Answer a = telephony::handle(conn, *hook);
            answer(static_cast<http::status>(a.status), a.body, a.status == 200);
        },
        [answer, whenNotApplied](const std::string& reason) {
            // The first line only: PostgreSQL's DETAIL may quote the row (a caller's number).
            log::error("telephony", "webhook not applied: " + reason.substr(0, reason.find('\n')));
            if (whenNotApplied) {
                answer(http::status::ok, *whenNotApplied, true);
            } else {
                answer(http::status::service_unavailable, "try again later", false);
            }
        });
}

// The self-service stock check, in three stages so that no database connection waits on the
// provider: read the question, ask the provider on an integration worker, apply the outcome.
void HttpSession::answerStock(std::shared_ptr<telephony::Webhook> hook, TwilioAnswer answer,
                              std::string whenNotApplied,
                              std::chrono::steady_clock::time_point received)
{
    db::Database& database = m_ctx.database;
    integrations::Pool* pool = m_ctx.integrations;
    const crypto::SecretBox* secrets = m_ctx.secrets;
    auto notApplied = [answer, whenNotApplied](const std::string& reason) {
        log::error("telephony", "stock check not applied: " + reason.substr(0, reason.find('\n')));
        answer(http::status::ok, whenNotApplied, true);
    };
    if (pool == nullptr || secrets == nullptr) {
        notApplied("not ready");
        return;
    }
    auto finish = [&database, hook, answer, notApplied](
                      std::shared_ptr<const telephony::StockLookup> lookup,
                      Result<integrations::StockResult, integrations::ProviderError> result) {
        database.submit(
            [hook, answer, lookup, result = std::move(result)](pqxx::connection& conn) {
                const telephony::Answer a = telephony::finishStock(conn, *hook, *lookup, result);
                answer(static_cast<http::status>(a.status), a.body, a.status == 200);
            },
            notApplied);
    };
    database.submit(
        [hook, answer, notApplied, finish, pool, secrets, whenNotApplied,
         received](pqxx::connection& conn) {
            if (std::chrono::steady_clock::now() - received > kStaleAfter) {
                answer(http::status::ok, whenNotApplied, true);
                return;
            }
            auto prepared = telephony::prepareStock(conn, *hook, *secrets);
            if (auto* done = std::get_if<telephony::Answer>(&prepared)) {
                answer(static_cast<http::status>(done->status), done->body, done->status == 200);
                return;
            }
            auto lookup = std::make_shared<const telephony::StockLookup>(
                std::get<telephony::StockLookup>(std::move(prepared)));
            using integrations::ProviderError;
            if (!lookup->integration) {
                finish(lookup, ProviderError{ProviderError::Kind::Rejected,
                                             "no source of stock is connected", 0});
                return;
            }
            pool->submit(
                [lookup, finish, received](integrations::Worker& worker) {
                    // Twilio waits 15 s for this answer: the provider gets what is left of
                    // kStockDeadline, pages and retries included, and a job that waited too
                    // long in the queue asks nobody.
                    finish(lookup, worker.findStock(*lookup->integration, lookup->storeId,
                                                    lookup->query, received + kStockDeadline));
                },
                [lookup, finish](const std::string& reason) {
                    finish(lookup, ProviderError{ProviderError::Kind::Unavailable, reason, 0});
                });
        },
        notApplied);
}

} // namespace cc::server::net
