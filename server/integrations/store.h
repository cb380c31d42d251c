#pragma once

#include "server/integrations/calendar.h"
#include "server/integrations/inventory.h"

#include <pqxx/connection>
#include <pqxx/transaction>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cc::server::crypto {
class SecretBox;
}

// The organisation's connected providers as the database holds them (docs/integrations.md):
// settings in the clear, credentials sealed. Admins set them through the admin API; the call
// flow and the calendar upkeep open them for one job at a time and never log them.
namespace cc::server::integrations {

std::optional<Provider> providerFromString(std::string_view text);

// What an admin sees: never the credentials, only whether they are set.
struct IntegrationView {
    Provider provider = Provider::Shopify;
    bool enabled = true;
    std::string settingsJson;                 // a JSON object
    std::vector<std::string> credentialNames; // which credentials are stored ("access_token")
    std::string status;                       // untested, ok, failing
    std::string lastError;
    std::string checkedAt; // ISO 8601 or ""
    std::string updatedAt;
    std::map<std::string, std::string> locations; // store id -> the provider's id
};

std::vector<IntegrationView> listIntegrations(pqxx::connection& conn,
                                              const std::string& organisationId);

// A PUT's body, checked before anything is written.
struct IntegrationPatch {
    bool enabled = true;
    std::map<std::string, std::string> settings;
    // Absent: keep the stored credentials (the admin changed only settings or stores).
    std::optional<std::map<std::string, std::string>> credentials;
    std::optional<std::map<std::string, std::string>> locations;
};

// Parses and validates a PUT body for `provider`: known keys only, https addresses, sizes,
// required credentials. Throws std::invalid_argument with a message for the admin.
IntegrationPatch parseIntegrationPatch(Provider provider, std::string_view body);

enum class SaveOutcome {
    Saved,
    NeedsCredentials, // nothing stored yet to keep
    // An address changed without the credentials: stored credentials are only ever sent where
    // they were entered for, so whoever moves them elsewhere must know them.
    AddressNeedsCredentials,
    UnknownStore,
    InventoryTaken,
};

// Writes the patch in one transaction (credentials sealed), audited without secrets. The
// connection to the provider is "untested" again afterwards.
SaveOutcome saveIntegration(pqxx::connection& conn, const crypto::SecretBox& secrets,
                            const std::string& organisationId, const std::string& actorUserId,
                            Provider provider, const IntegrationPatch& patch,
                            const std::string& sourceIp);

bool deleteIntegration(pqxx::connection& conn, const std::string& organisationId,
                       const std::string& actorUserId, Provider provider,
                       const std::string& sourceIp);

// An organisation's provider, opened for one job: everything an adapter needs.
struct OpenedIntegration {
    std::string organisationId;
    Provider provider = Provider::Shopify;
    std::string version; // changes when an admin changes it: keys cached access tokens
    ShopifyConfig shopify;
    SquareConfig square;
    GoogleConfig google;
    std::map<std::string, std::string> locations; // store id -> the provider's id
};

// The enabled provider with these credentials, or why not ("not connected", "the credentials
// do not open": a key was removed from the config).
Result<OpenedIntegration, std::string> openIntegration(pqxx::work& tx,
                                                       const crypto::SecretBox& secrets,
                                                       const std::string& organisationId,
                                                       Provider provider);

// The organisation's source of stock (Shopify or Square), if one is connected and enabled.
std::optional<Provider> inventoryProvider(pqxx::work& tx, const std::string& organisationId);

// Records the outcome of a test or a real call for the admin's screen. `onlyIfChanged`: a real
// call writes only when the status or the error changes (no write per stock check).
void recordCheck(pqxx::connection& conn, const std::string& organisationId, Provider provider,
                 const std::optional<ProviderError>& error, bool onlyIfChanged = false);

} // namespace cc::server::integrations
