#pragma once

#include "shared/domain/role.h"

#include <pqxx/connection>

#include <optional>
#include <string>
#include <vector>

// What one signed-in person's devices receive. Derived on the server from the user's current
// role and stores, never from anything the device says. See docs/sync-protocol.md, "Scopes".
namespace cc::server::sync {

struct SyncScope {
    std::string organisationId;
    std::string userId;
    domain::Role role = domain::Role::Staff;
    std::vector<std::string> locations; // sorted; staff and managers only
    std::string homeLocation;           // where customers they create are first seen
    std::string key;                    // changes whenever what the scope covers changes

    // Staff and managers hold their stores' operational data; admins and executives hold the
    // organisation's configuration only (their reports come from the analytics service).
    bool storeData() const;
    bool hasLocation(const std::string& locationId) const;
    // Whether a sync_log row with this audience (nullopt: the whole organisation) is visible.
    bool sees(const std::optional<std::vector<std::string>>& audience) const;
};

// The scope of an active user, or nullopt when the user is gone or disabled.
std::optional<SyncScope> loadScope(pqxx::connection& conn, const std::string& userId);

// The key for a role and its stores under this build's sync schema.
std::string scopeKey(domain::Role role, const std::vector<std::string>& sortedLocations);

// "{a,b}" for a uuid[] parameter; ids are checked UUIDs.
std::string uuidArray(const std::vector<std::string>& ids);
// Parses PostgreSQL's text form of a uuid[] ("{a,b}").
std::vector<std::string> parseUuidArray(std::string_view text);

} // namespace cc::server::sync
