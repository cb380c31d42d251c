#include "server/auth/policy.h"

namespace cc::server::auth {

using domain::Role;

bool permits(Role role, Operation operation)
{
    switch (operation) {
    case Operation::ListUsers:
        return role == Role::Admin || role == Role::Manager;
    case Operation::DisableUser:
    case Operation::ReadAuditLog:
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
    }
    return "unknown operation";
}

} // namespace cc::server::auth
