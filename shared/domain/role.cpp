#include "shared/domain/role.h"

#include <array>
#include <utility>

namespace cc::domain {
namespace {
constexpr std::array<std::pair<Role, std::string_view>, 4> kRoles{{
    {Role::Staff, "staff"},
    {Role::Manager, "manager"},
    {Role::Executive, "executive"},
    {Role::Admin, "admin"},
}};
} // namespace

std::string_view toString(Role role)
{
    for (const auto& [r, name] : kRoles) {
        if (r == role) {
            return name;
        }
    }
    return "staff";
}

std::optional<Role> roleFromString(std::string_view name)
{
    for (const auto& [r, n] : kRoles) {
        if (n == name) {
            return r;
        }
    }
    return std::nullopt;
}

} // namespace cc::domain
