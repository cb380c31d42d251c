#include "server/sync/scope.h"

#include "shared/sync/schema.h"

#include <openssl/evp.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>

namespace cc::server::sync {

bool SyncScope::storeData() const
{
    return role == domain::Role::Staff || role == domain::Role::Manager;
}

bool SyncScope::hasLocation(const std::string& locationId) const
{
    return std::binary_search(locations.begin(), locations.end(), locationId);
}

bool SyncScope::sees(const std::optional<std::vector<std::string>>& audience) const
{
    if (!audience) {
        return true;
    }
    if (!storeData()) {
        return false;
    }
    return std::any_of(audience->begin(), audience->end(),
                       [this](const std::string& l) { return hasLocation(l); });
}

std::string scopeKey(domain::Role role, const std::vector<std::string>& sortedLocations)
{
    std::string material = "schema=" + std::to_string(cc::sync::kSchemaVersion) +
                           ";role=" + std::string(domain::toString(role)) + ";stores=";
    for (const auto& l : sortedLocations) {
        material += l + ",";
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(material.data(), material.size(), digest.data(), &length, EVP_sha256(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string key = "s" + std::to_string(cc::sync::kSchemaVersion) + "-";
    for (std::size_t i = 0; i < 12 && i < length; ++i) {
        key += kHex[digest[i] >> 4];
        key += kHex[digest[i] & 0x0f];
    }
    return key;
}

std::string uuidArray(const std::vector<std::string>& ids)
{
    std::string out = "{";
    for (const auto& id : ids) {
        if (out.size() > 1) {
            out += ',';
        }
        out += id;
    }
    return out + "}";
}

std::vector<std::string> parseUuidArray(std::string_view text)
{
    std::vector<std::string> out;
    if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
        return out;
    }
    text = text.substr(1, text.size() - 2);
    while (!text.empty()) {
        const auto comma = text.find(',');
        out.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) {
            break;
        }
        text = text.substr(comma + 1);
    }
    return out;
}

std::optional<SyncScope> loadScope(pqxx::connection& conn, const std::string& userId)
{
    pqxx::read_transaction tx(conn);
    const pqxx::result user =
        tx.exec_params("SELECT organisation_id::text, role, coalesce(home_location_id::text, '') "
                       "FROM users WHERE id = $1 AND active",
                       userId);
    if (user.empty()) {
        return std::nullopt;
    }
    const auto role = domain::roleFromString(user[0][1].as<std::string>());
    if (!role) {
        return std::nullopt;
    }
    SyncScope scope;
    scope.organisationId = user[0][0].as<std::string>();
    scope.userId = userId;
    scope.role = *role;
    scope.homeLocation = user[0][2].as<std::string>();
    if (scope.storeData()) {
        // The stores they work in, their home store included; only stores of their organisation.
        const pqxx::result stores = tx.exec_params(
            "SELECT l.id::text FROM locations l WHERE l.organisation_id = $1 AND (l.id IN "
            "(SELECT location_id FROM user_locations WHERE user_id = $2) OR l.id = "
            "(SELECT home_location_id FROM users WHERE id = $2)) ORDER BY 1",
            scope.organisationId, userId);
        for (const auto& row : stores) {
            scope.locations.push_back(row[0].as<std::string>());
        }
        std::sort(scope.locations.begin(), scope.locations.end()); // bytewise, not by collation
        if (scope.homeLocation.empty() && !scope.locations.empty()) {
            scope.homeLocation = scope.locations.front();
        }
    }
    scope.key = scopeKey(scope.role, scope.locations);
    return scope;
}

} // namespace cc::server::sync
