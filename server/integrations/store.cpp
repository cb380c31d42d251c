#include "server/integrations/store.h"

#include "server/crypto/secretbox.h"
#include "server/integrations/provider_json.h"
#include "shared/util/utf8.h"

#include <boost/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <regex>
#include <stdexcept>

namespace cc::server::integrations {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr std::size_t kMaxSettingBytes = 300;
constexpr std::size_t kMaxCredentialBytes = 4000;
constexpr std::size_t kMaxExternalIdBytes = 255;
constexpr std::size_t kMaxLocations = 2000;

struct SettingSpec {
    std::string_view name;
    bool required;
    std::string_view defaultValue;
    enum class Kind { HttpsUrl, Version, DateVersion, Text } kind;
};

struct ProviderSpec {
    Provider provider;
    std::vector<SettingSpec> settings;
    std::vector<std::string_view> credentials; // all required
};

const std::vector<ProviderSpec>& specs()
{
    using K = SettingSpec::Kind;
    static const std::vector<ProviderSpec> all{
        {Provider::Shopify,
         {{"base_url", true, "", K::HttpsUrl}, {"api_version", false, "2024-07", K::Version}},
         {"access_token"}},
        {Provider::Square,
         {{"base_url", false, "https://connect.squareup.com", K::HttpsUrl},
          {"square_version", false, "2024-07-17", K::DateVersion}},
         {"access_token"}},
        {Provider::GoogleCalendar,
         {{"token_url", false, "https://oauth2.googleapis.com/token", K::HttpsUrl},
          {"calendar_url", false, "https://www.googleapis.com/calendar/v3", K::HttpsUrl},
          {"client_id", true, "", K::Text}},
         {"client_secret", "refresh_token"}},
    };
    return all;
}

const ProviderSpec& specOf(Provider provider)
{
    for (const auto& s : specs()) {
        if (s.provider == provider) {
            return s;
        }
    }
    throw std::logic_error("no spec for a provider");
}

std::string associatedData(Provider provider, const std::string& organisationId)
{
    return "integration:" + std::string(toString(provider)) + ":" + organisationId;
}

bool printable(std::string_view text)
{
    return cc::util::isValidUtf8(text) && std::none_of(text.begin(), text.end(), [](char c) {
               return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
           });
}

void checkSetting(const SettingSpec& spec, const std::string& value)
{
    const std::string name(spec.name);
    if (value.empty() || value.size() > kMaxSettingBytes || !printable(value)) {
        throw std::invalid_argument("settings." + name + " must be 1 to 300 printable characters");
    }
    switch (spec.kind) {
    case SettingSpec::Kind::HttpsUrl:
        if (auto url = parseBaseUrl(value); !url) {
            throw std::invalid_argument("settings." + name + ": " + url.error());
        }
        return;
    case SettingSpec::Kind::Version:
        if (!std::regex_match(value, std::regex("[0-9]{4}-[0-9]{2}"))) {
            throw std::invalid_argument("settings." + name + " must look like 2024-07");
        }
        return;
    case SettingSpec::Kind::DateVersion:
        if (!std::regex_match(value, std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}"))) {
            throw std::invalid_argument("settings." + name + " must look like 2024-07-17");
        }
        return;
    case SettingSpec::Kind::Text:
        return;
    }
}

std::map<std::string, std::string> stringMap(const json::value& v, const std::string& what,
                                             std::size_t maxEntries)
{
    const json::object* o = v.if_object();
    if (o == nullptr || o->size() > maxEntries) {
        throw std::invalid_argument(what + " must be an object of strings");
    }
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : *o) {
        if (!value.is_string()) {
            throw std::invalid_argument(what + "." + std::string(key) + " must be a string");
        }
        out.emplace(std::string(key), std::string(value.get_string()));
    }
    return out;
}

std::string isoOrEmpty(const pqxx::field& f)
{
    return f.is_null() ? std::string() : f.as<std::string>();
}

constexpr std::string_view kIso =
    "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

std::string iso(std::string_view column)
{
    std::string out(kIso);
    out.replace(out.find("%s"), 2, column);
    return out;
}

} // namespace

std::optional<Provider> providerFromString(std::string_view text)
{
    for (const auto p : {Provider::Shopify, Provider::Square, Provider::GoogleCalendar}) {
        if (toString(p) == text) {
            return p;
        }
    }
    return std::nullopt;
}

IntegrationPatch parseIntegrationPatch(Provider provider, std::string_view body)
{
    if (body.size() > kMaxBodyBytes) {
        throw std::invalid_argument("the body is too large");
    }
    auto parsed = parseObject(body);
    if (!parsed) {
        throw std::invalid_argument("the body must be a JSON object");
    }
    const json::object& o = parsed.value().as_object();
    const ProviderSpec& spec = specOf(provider);
    for (const auto& [key, value] : o) {
        if (key != "enabled" && key != "settings" && key != "credentials" && key != "locations") {
            throw std::invalid_argument("unknown field " + std::string(key));
        }
    }
    IntegrationPatch patch;
    if (const json::value* enabled = o.if_contains("enabled")) {
        if (!enabled->is_bool()) {
            throw std::invalid_argument("enabled must be true or false");
        }
        patch.enabled = enabled->get_bool();
    }
    const json::value* settings = o.if_contains("settings");
    const auto given = settings != nullptr ? stringMap(*settings, "settings", 16)
                                           : std::map<std::string, std::string>{};
    for (const auto& [key, value] : given) {
        if (std::none_of(spec.settings.begin(), spec.settings.end(),
                         [&](const SettingSpec& s) { return s.name == key; })) {
            throw std::invalid_argument("unknown setting " + key + " for " +
                                        std::string(toString(provider)));
        }
    }
    for (const auto& s : spec.settings) {
        const auto it = given.find(std::string(s.name));
        if (it == given.end()) {
            if (s.required) {
                throw std::invalid_argument("settings." + std::string(s.name) + " is required");
            }
            patch.settings.emplace(std::string(s.name), std::string(s.defaultValue));
            continue;
        }
        checkSetting(s, it->second);
        patch.settings.emplace(it->first, it->second);
    }
    if (const json::value* credentials = o.if_contains("credentials")) {
        auto c = stringMap(*credentials, "credentials", 8);
        for (const auto& [key, value] : c) {
            if (std::find(spec.credentials.begin(), spec.credentials.end(), key) ==
                spec.credentials.end()) {
                throw std::invalid_argument("unknown credential " + key + " for " +
                                            std::string(toString(provider)));
            }
            if (value.empty() || value.size() > kMaxCredentialBytes || !printable(value)) {
                throw std::invalid_argument("credentials." + key +
                                            " must be 1 to 4000 printable characters");
            }
        }
        for (const auto name : spec.credentials) {
            if (!c.contains(std::string(name))) {
                throw std::invalid_argument("credentials." + std::string(name) + " is required");
            }
        }
        patch.credentials = std::move(c);
    }
    if (const json::value* locations = o.if_contains("locations")) {
        auto l = stringMap(*locations, "locations", kMaxLocations);
        static const std::regex uuid(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        for (const auto& [store, external] : l) {
            if (!std::regex_match(store, uuid)) {
                throw std::invalid_argument("locations: " + store.substr(0, 40) +
                                            " is not a store id");
            }
            if (external.empty() || external.size() > kMaxExternalIdBytes || !printable(external)) {
                throw std::invalid_argument("locations." + store +
                                            " must be 1 to 255 printable characters");
            }
        }
        patch.locations = std::move(l);
    }
    return patch;
}

std::vector<IntegrationView> listIntegrations(pqxx::connection& conn,
                                              const std::string& organisationId)
{
    pqxx::read_transaction tx(conn);
    const pqxx::result rows = tx.exec_params(
        "SELECT provider, enabled, settings::text, status, coalesce(last_error, ''), " +
            iso("checked_at") + ", " + iso("updated_at") +
            ", coalesce((SELECT jsonb_object_agg(location_id::text, external_id) FROM "
            "integration_locations l WHERE l.organisation_id = i.organisation_id AND l.provider "
            "= i.provider), '{}')::text FROM integrations i WHERE organisation_id = $1::uuid "
            "ORDER BY provider",
        organisationId);
    std::vector<IntegrationView> out;
    for (const auto& r : rows) {
        const auto provider = providerFromString(r[0].as<std::string>());
        if (!provider) {
            continue;
        }
        IntegrationView v;
        v.provider = *provider;
        v.enabled = r[1].as<bool>();
        v.settingsJson = r[2].as<std::string>();
        for (const auto name : specOf(*provider).credentials) {
            v.credentialNames.emplace_back(name);
        }
        v.status = r[3].as<std::string>();
        v.lastError = r[4].as<std::string>();
        v.checkedAt = isoOrEmpty(r[5]);
        v.updatedAt = isoOrEmpty(r[6]);
        if (auto locations = parseObject(r[7].as<std::string>())) {
            for (const auto& [k, val] : locations.value().as_object()) {
                if (val.is_string()) {
                    v.locations.emplace(std::string(k), std::string(val.get_string()));
                }
            }
        }
        out.push_back(std::move(v));
    }
    return out;
}

SaveOutcome saveIntegration(pqxx::connection& conn, const crypto::SecretBox& secrets,
                            const std::string& organisationId, const std::string& actorUserId,
                            Provider provider, const IntegrationPatch& patch,
                            const std::string& sourceIp)
{
    pqxx::work tx(conn);
    const std::string name(toString(provider));
    json::object settings;
    for (const auto& [k, v] : patch.settings) {
        settings[k] = v;
    }
    std::optional<std::string> sealed;
    if (patch.credentials) {
        json::object c;
        for (const auto& [k, v] : *patch.credentials) {
            c[k] = v;
        }
        sealed = secrets.seal(json::serialize(c), associatedData(provider, organisationId));
    } else {
        const pqxx::result existing = tx.exec_params(
            "SELECT settings::text FROM integrations WHERE organisation_id = $1::uuid AND "
            "provider = $2 FOR UPDATE",
            organisationId, name);
        if (existing.empty()) {
            return SaveOutcome::NeedsCredentials;
        }
        auto stored = parseObject(existing[0][0].as<std::string>());
        for (const auto& spec : specOf(provider).settings) {
            if (spec.kind != SettingSpec::Kind::HttpsUrl) {
                continue;
            }
            const auto wanted = patch.settings.find(std::string(spec.name));
            const std::string before =
                stored ? stringAt(&stored.value(), spec.name) : std::string();
            if (wanted != patch.settings.end() && wanted->second != before) {
                return SaveOutcome::AddressNeedsCredentials;
            }
        }
    }
    if (patch.enabled && (provider == Provider::Shopify || provider == Provider::Square)) {
        const pqxx::result other = tx.exec_params(
            "SELECT 1 FROM integrations WHERE organisation_id = $1::uuid AND enabled AND provider "
            "IN ('shopify', 'square') AND provider <> $2",
            organisationId, name);
        if (!other.empty()) {
            return SaveOutcome::InventoryTaken;
        }
    }
    tx.exec_params0(
        "INSERT INTO integrations (organisation_id, provider, enabled, settings, secret_sealed, "
        "updated_by) VALUES ($1::uuid, $2, $3, $4::jsonb, $5, $6::uuid) "
        "ON CONFLICT (organisation_id, provider) DO UPDATE SET enabled = EXCLUDED.enabled, "
        "settings = EXCLUDED.settings, secret_sealed = CASE WHEN $7 THEN EXCLUDED.secret_sealed "
        "ELSE integrations.secret_sealed END, status = 'untested', last_error = NULL, "
        "checked_at = NULL, updated_at = clock_timestamp(), updated_by = EXCLUDED.updated_by",
        organisationId, name, patch.enabled, json::serialize(settings),
        sealed.value_or(std::string("-")), actorUserId, sealed.has_value());
    if (patch.locations) {
        tx.exec_params0("DELETE FROM integration_locations WHERE organisation_id = $1::uuid AND "
                        "provider = $2",
                        organisationId, name);
        for (const auto& [store, external] : *patch.locations) {
            const pqxx::result added = tx.exec_params(
                "INSERT INTO integration_locations (organisation_id, provider, location_id, "
                "external_id) SELECT $1::uuid, $2, id, $4 FROM locations WHERE id = $3::uuid AND "
                "organisation_id = $1::uuid RETURNING 1",
                organisationId, name, store, external);
            if (added.empty()) {
                return SaveOutcome::UnknownStore; // rolled back: nothing changed
            }
        }
    }
    json::array settingNames;
    for (const auto& [k, v] : patch.settings) {
        settingNames.emplace_back(k);
    }
    json::object detail{{"provider", name},
                        {"enabled", patch.enabled},
                        {"settings", std::move(settings)},
                        {"credentials_changed", patch.credentials.has_value()}};
    if (patch.locations) {
        detail["stores"] = patch.locations->size();
    }
    tx.exec_params0(
        "INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, target_id, "
        "detail, source_ip) VALUES ($1::uuid, $2::uuid, 'integration.set', 'integration', $3, "
        "$4::jsonb, nullif($5, '')::inet)",
        organisationId, actorUserId, name, json::serialize(detail), sourceIp);
    tx.commit();
    return SaveOutcome::Saved;
}

bool deleteIntegration(pqxx::connection& conn, const std::string& organisationId,
                       const std::string& actorUserId, Provider provider,
                       const std::string& sourceIp)
{
    pqxx::work tx(conn);
    const std::string name(toString(provider));
    const pqxx::result gone = tx.exec_params(
        "DELETE FROM integrations WHERE organisation_id = $1::uuid AND provider = $2 RETURNING 1",
        organisationId, name);
    if (gone.empty()) {
        return false;
    }
    tx.exec_params0(
        "INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, target_id, "
        "source_ip) VALUES ($1::uuid, $2::uuid, 'integration.removed', 'integration', $3, "
        "nullif($4, '')::inet)",
        organisationId, actorUserId, name, sourceIp);
    tx.commit();
    return true;
}

Result<OpenedIntegration, std::string> openIntegration(pqxx::work& tx,
                                                       const crypto::SecretBox& secrets,
                                                       const std::string& organisationId,
                                                       Provider provider)
{
    const std::string name(toString(provider));
    const pqxx::result rows = tx.exec_params(
        "SELECT settings::text, secret_sealed, "
        "(extract(epoch FROM updated_at) * 1000000)::bigint::text, "
        "coalesce((SELECT jsonb_object_agg(location_id::text, external_id) FROM "
        "integration_locations l WHERE l.organisation_id = i.organisation_id AND l.provider = "
        "i.provider), '{}')::text FROM integrations i WHERE organisation_id = $1::uuid AND "
        "provider = $2 AND enabled",
        organisationId, name);
    if (rows.empty()) {
        return name + " is not connected";
    }
    auto opened =
        secrets.open(rows[0][1].as<std::string>(), associatedData(provider, organisationId));
    if (!opened) {
        return "the stored " + name + " credentials cannot be opened (" +
               std::string(crypto::toString(opened.error())) + "): enter them again";
    }
    auto credentials = parseObject(opened.value());
    auto settings = parseObject(rows[0][0].as<std::string>());
    if (!credentials || !settings) {
        return "the stored " + name + " configuration is not readable: enter it again";
    }
    const json::value& c = credentials.value();
    const json::value& s = settings.value();
    OpenedIntegration out;
    out.organisationId = organisationId;
    out.provider = provider;
    out.version = rows[0][2].as<std::string>();
    if (auto locations = parseObject(rows[0][3].as<std::string>())) {
        for (const auto& [k, v] : locations.value().as_object()) {
            if (v.is_string()) {
                out.locations.emplace(std::string(k), std::string(v.get_string()));
            }
        }
    }
    const auto url = [&](std::string_view key) -> Result<BaseUrl, std::string> {
        auto parsed = parseBaseUrl(stringAt(&s, key));
        if (!parsed) {
            return name + " settings." + std::string(key) + ": " + parsed.error();
        }
        return parsed;
    };
    switch (provider) {
    case Provider::Shopify: {
        auto base = url("base_url");
        if (!base) {
            return base.error();
        }
        out.shopify.base = std::move(base).value();
        out.shopify.apiVersion = stringAt(&s, "api_version");
        out.shopify.accessToken = stringAt(&c, "access_token");
        break;
    }
    case Provider::Square: {
        auto base = url("base_url");
        if (!base) {
            return base.error();
        }
        out.square.base = std::move(base).value();
        out.square.squareVersion = stringAt(&s, "square_version");
        out.square.accessToken = stringAt(&c, "access_token");
        break;
    }
    case Provider::GoogleCalendar: {
        auto token = url("token_url");
        auto calendar = url("calendar_url");
        if (!token || !calendar) {
            return !token ? token.error() : calendar.error();
        }
        out.google.tokenUrl = std::move(token).value();
        out.google.calendarUrl = std::move(calendar).value();
        out.google.clientId = stringAt(&s, "client_id");
        out.google.clientSecret = stringAt(&c, "client_secret");
        out.google.refreshToken = stringAt(&c, "refresh_token");
        break;
    }
    }
    return out;
}

std::optional<Provider> inventoryProvider(pqxx::work& tx, const std::string& organisationId)
{
    const pqxx::result r = tx.exec_params(
        "SELECT provider FROM integrations WHERE organisation_id = $1::uuid AND enabled AND "
        "provider IN ('shopify', 'square')",
        organisationId);
    return r.empty() ? std::nullopt : providerFromString(r[0][0].as<std::string>());
}

void recordCheck(pqxx::connection& conn, const std::string& organisationId, Provider provider,
                 const std::optional<ProviderError>& error, bool onlyIfChanged)
{
    pqxx::work tx(conn);
    tx.exec_params(
        "UPDATE integrations SET status = $3, last_error = left($4, 500), checked_at = now() "
        "WHERE organisation_id = $1::uuid AND provider = $2 AND (NOT $5 OR (status, "
        "coalesce(last_error, '')) IS DISTINCT FROM ($3, coalesce(left($4, 500), '')))",
        organisationId, std::string(toString(provider)), error ? "failing" : "ok",
        error ? std::optional<std::string>(util::clipUtf8(error->message, 500)) : std::nullopt,
        onlyIfChanged);
    tx.commit();
}

} // namespace cc::server::integrations
