#pragma once

#include "shared/domain/role.h"

#include <string_view>

// The one place that says which role may do what (docs/security.md, "Authorisation matrix").
// HTTP routes, WebSocket messages and, later, sync scopes and writes ask it; none decides on
// its own. Which *rows* an operation reaches (own organisation always; own stores for staff and
// managers) is applied in the queries of each operation, named here next to the rule.
namespace cc::server::auth {

enum class Operation {
    ListUsers,      // admin: the organisation's users; manager: the users of their stores
    DisableUser,    // admin, within the organisation; also ends the user's sign-ins
    ReadAuditLog,   // admin, within the organisation
    SetOwnPresence, // staff and managers (the people calls are routed to): available or away
    // Routing rules (docs/telephony.md, section 1):
    ReadRoutingRules,            // admin: the organisation's and every store's; manager: the
                                 // organisation's (what their stores inherit) and their stores'
    SetOrganisationRoutingRules, // admin
    SetStoreRoutingRules,        // admin: any store of the organisation; manager: their own
    // Integrations (docs/integrations.md): the organisation's providers and their credentials.
    ReadIntegrations, // admin: settings and status, never the credentials
    SetIntegration,   // admin: connect, change, disconnect, test
    // Stock at a store, asked by anyone who serves its customers: staff and managers for their
    // stores, executives and admins for any store of the organisation.
    CheckStock,
    // Analytics (docs/analytics.md). Live "today so far" figures: staff and managers for their
    // stores (the wallboard), executives and admins for any store and the organisation.
    WatchLiveAnalytics,
    // Historical figures and their CSV export (audited): managers for their stores, executives
    // and admins for the organisation.
    ReadAnalytics,
    // The organisation's thresholds (service level, short abandon, repeat window): admins.
    SetAnalyticsSettings,
    // GDPR (docs/security.md, "Personal data"): everything held about one customer as JSON, and
    // its erasure everywhere, devices included. Admins, for the organisation's customers; both
    // are audited.
    ExportCustomer,
    EraseCustomer,
    // People's accounts (docs/security.md, "Accounts and passwords"): admins, within the
    // organisation; every change audited.
    InviteUser,        // a new account and its one-time setup code
    ChangeUser,        // role, stores, home store, name, skills; never one's own role
    EnableUser,        // again, after DisableUser
    ResetUserPassword, // clears it, ends the sign-ins, issues a setup code; not one's own
    // The key of one's own offline cache on the device one signed in from (docs/security.md,
    // "The cache at rest"): everyone, for their own sign-in only.
    ReadOwnCacheKey,
};

bool permits(domain::Role role, Operation operation);
std::string_view toString(Operation operation);

} // namespace cc::server::auth
