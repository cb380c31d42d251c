#pragma once

#include <pqxx/connection>

#include <string>

namespace cc::test {

// Test key for access tokens (kid "test"), as CALLCOMMANDER_AUTH_TOKEN_KEYS takes it.
inline constexpr const char* kTestTokenKeys =
    "test:dGVzdC1zaWduaW5nLWtleS1mb3ItY2FsbC1jb21tYW5kZXItMDAx";

struct SeededUser {
    std::string organisationId;
    std::string storeId;
    std::string userId;
};

// An organisation `slug` with one store and a user of `role` whose password is `password`
// (hashed with Argon2id like any other). The schema must be migrated already.
SeededUser seedUser(pqxx::connection& conn, const std::string& slug, const std::string& email,
                    const std::string& password, const std::string& role = "staff");

} // namespace cc::test
