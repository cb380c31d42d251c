#pragma once

#include "server/integrations/inventory.h"
#include "server/integrations/store.h"
#include "server/telephony/directory.h"
#include "shared/telephony/twilio.h"

#include <pqxx/connection>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

// The voice call flow behind Twilio's webhooks (docs/telephony.md): a call arrives, the routing
// engine picks who to ring, unanswered offers move to the next person, then to the region's
// other stores, then to voicemail with a callback task; status callbacks keep the call row and
// people's presence true. Every webhook is one transaction, applied once: the provider's call id
// and the event name key it, and a repeat gets the first answer back.
namespace cc::server::telephony {

enum class Endpoint {
    Voice,     // POST /twilio/voice: a call arrives
    Dial,      // POST /twilio/voice/dial?d=<decision>: the <Dial> of an offer ended
    Leg,       // POST /twilio/voice/leg?d=<decision>: the rung person's leg (answered)
    Wait,      // POST /twilio/voice/wait?d=<decision>: a waiting caller's next turn
    Choice,    // POST /twilio/voice/choice?d=<decision>: a waiting caller pressed a key
    Menu,      // POST /twilio/voice/menu[?d=<turn>]: the caller chose or said what they need
    Stock,     // POST /twilio/voice/stock?d=<question>: the line looks up stock
    Recorded,  // POST /twilio/voice/recorded: the <Record> verb ended
    Status,    // POST /twilio/status: the call's status callback
    Recording, // POST /twilio/recording: a voicemail recording is ready
};

std::optional<Endpoint> endpointOf(std::string_view path);

struct Webhook {
    Endpoint endpoint = Endpoint::Voice;
    std::string organisationId;
    std::string baseUrl; // "https://host[:port]": absolute callback URLs in our TwiML
    cc::telephony::FormParams params;
    std::int64_t queryNumber = 0;  // d= or n= of the URL
    std::optional<Number> dialled; // Voice: the store of the dialled number
};

struct Answer {
    int status = 200; // 400: a parameter is missing or malformed (nothing changed)
    std::string body; // TwiML, or the reason with 400
};

// Checks the parameters this endpoint needs (presence, shape, size); the reason when they fail.
std::optional<std::string> validate(const Webhook& hook);

// Applies the webhook and returns the TwiML for the provider. Throws on database failure (the
// transaction is rolled back; the caller answers with fallbackTwiml()).
Answer handle(pqxx::connection& conn, const Webhook& hook);

// The self-service line's stock check runs in three stages, so that no database connection waits
// on the provider: prepareStock reads the question and the organisation's source of stock (or
// answers a repeat at once), the integration workers ask the provider, and finishStock applies
// the outcome once and answers (the stock, or a colleague when the provider cannot tell).
struct StockLookup {
    std::int64_t turnId = 0;
    int turn = 0;
    std::string storeId;
    std::string storeName;
    integrations::StockQuery query;
    std::optional<integrations::OpenedIntegration> integration; // none: cannot ask anyone
};
std::variant<Answer, StockLookup> prepareStock(pqxx::connection& conn, const Webhook& hook,
                                               const crypto::SecretBox& secrets);
Answer finishStock(pqxx::connection& conn, const Webhook& hook, const StockLookup& lookup,
                   const Result<integrations::StockResult, integrations::ProviderError>& result);

// What a caller hears when we cannot decide (our database is down, or the provider reached the
// fallback URL): the store's own line rings, so nobody is dropped.
std::string fallbackTwiml(const std::optional<Number>& store);

// A number nobody at this organisation answers.
std::string notInServiceTwiml();

// Goodbye: the end of a call whose conversation (or message) is over.
std::string hangupTwiml();

// Periodic upkeep, run by every node (idempotent): ends finished wrap-ups and stale offers,
// frees people left ringing or on calls that are over, settles calls whose last callbacks were
// lost (abandoned or missed, with a callback task; completed after 4 silent hours), escalates
// overdue callback tasks. Returns how many rows changed.
std::size_t sweep(pqxx::connection& conn);

// Forgets applied webhook events older than a week and routing decisions older than `keepDays`
// (at least 30). Returns how many rows went.
std::size_t purge(pqxx::connection& conn, int keepDays);

} // namespace cc::server::telephony
