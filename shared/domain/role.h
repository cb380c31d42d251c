#pragma once

#include <optional>
#include <string_view>

namespace cc::domain {

// What a signed-in person may do is decided by their role (and, for staff and managers, their
// stores). The names are the ones stored in the database and sent over the wire.
enum class Role { Staff, Manager, Executive, Admin };

std::string_view toString(Role role);
std::optional<Role> roleFromString(std::string_view name);

} // namespace cc::domain
