#include "server/auth/policy.h"

namespace cc::server::auth {

using domain::Role;

bool permits(Role role, Operation operation)
{
    switch (operation) {
    case Operation::ListUsers:
    case Operation::ReadRoutingRules:
    case Operation::SetStoreRoutingRules:
        return role == Role::Admin || role == Role::Manager;
    case Operation::DisableUser:
    case Operation::ReadAuditLog:
    case Operation::SetOrganisationRoutingRules:
    case Operation::ReadIntegrations:
    case Operation::SetIntegration:
        return role == Role::Admin;
    case Operation::CheckStock:
    case Operation::WatchLiveAnalytics:
    case Operation::ReadOwnCacheKey:
        return true;
    case Operation::ReadAnalytics:
        return role != Role::Staff;
    case Operation::SetAnalyticsSettings:
    case Operation::ExportCustomer:
    case Operation::EraseCustomer:
        return role == Role::Admin;
    case Operation::InviteUser:
    case Operation::ChangeUser:
    case Operation::EnableUser:
    case Operation::ResetUserPassword:
        return role == Role::Admin;
    case Operation::SetOwnPresence:
        return role == Role::Staff || role == Role::Manager;
    }
    return false;
}

std::string_view toString(Operation operation)
{
    switch (operation) {
    case Operation::ListUsers:
        return "list users";
    case Operation::DisableUser:
        return "disable a user";
    case Operation::ReadAuditLog:
        return "read the audit log";
    case Operation::SetOwnPresence:
        return "set one's own presence";
    case Operation::ReadRoutingRules:
        return "read routing rules";
    case Operation::SetOrganisationRoutingRules:
        return "set the organisation's routing rules";
    case Operation::SetStoreRoutingRules:
        return "set a store's routing rules";
    case Operation::ReadIntegrations:
        return "read the integrations";
    case Operation::SetIntegration:
        return "change an integration";
    case Operation::CheckStock:
        return "check stock at a store";
    case Operation::WatchLiveAnalytics:
        return "watch live figures";
    case Operation::ReadAnalytics:
        return "read and export historical figures";
    case Operation::SetAnalyticsSettings:
        return "set the analytics thresholds";
    case Operation::ReadOwnCacheKey:
        return "read the key of one's own device cache";
    case Operation::ExportCustomer:
        return "export a customer's personal data";
    case Operation::EraseCustomer:
        return "erase a customer's personal data";
    case Operation::InviteUser:
        return "invite a user";
    case Operation::ChangeUser:
        return "change a user's role, stores or details";
    case Operation::EnableUser:
        return "enable a user";
    case Operation::ResetUserPassword:
        return "reset a user's password";
    }
    return "unknown operation";
}

} // namespace cc::server::auth
