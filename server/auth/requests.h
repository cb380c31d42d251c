#pragma once

#include "server/auth/auth_service.h"
#include "server/auth/user_admin.h"
#include "shared/util/result.h"

#include <string>
#include <string_view>

// The bodies of POST /v1/auth/*, parsed and validated before anything else looks at them: JSON
// objects of bounded size and depth, required string fields of bounded length. No sockets
// involved, so the parsers are unit-tested and fuzzed directly.
namespace cc::server::auth {

inline constexpr std::size_t kMaxAuthBody = 8 * 1024;

struct RequestError {
    std::string message; // for the client; never echoes field values
};

Result<LoginRequest, RequestError> parseLoginRequest(std::string_view contentType,
                                                     std::string_view body);
// /v1/auth/refresh and /v1/auth/logout: {"refreshToken": "..."}.
Result<std::string, RequestError> parseRefreshRequest(std::string_view contentType,
                                                      std::string_view body);
// /v1/auth/setup-password: {"organisation", "email", "code", "password"}.
Result<SetupPasswordRequest, RequestError> parseSetupPasswordRequest(std::string_view contentType,
                                                                     std::string_view body);

} // namespace cc::server::auth
