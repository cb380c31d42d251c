#pragma once

#include <pqxx/connection>

#include <string>

namespace cc::test {

// Test key for access tokens (kid "test"), as CALLCOMMANDER_AUTH_TOKEN_KEYS takes it.
inline constexpr const char* kTestTokenKeys =
    "test:dGVzdC1zaWduaW5nLWtleS1mb3ItY2FsbC1jb21tYW5kZXItMDAx";
// Test key that seals integration secrets at rest (kid "test", the 32 bytes
// "test-secrets-key-for-call-cmdr01"), as CALLCOMMANDER_SECRETS_KEYS takes it.
inline constexpr const char* kTestSecretsKeys = "test:dGVzdC1zZWNyZXRzLWtleS1mb3ItY2FsbC1jbWRyMDE";

struct SeededUser {
    std::string organisationId;
    std::string storeId;
    std::string userId;
};

// An organisation `slug` with one store and a user of `role` whose password is `password`
// (hashed with Argon2id like any other). The schema must be migrated already.
SeededUser seedUser(pqxx::connection& conn, const std::string& slug, const std::string& email,
                    const std::string& password, const std::string& role = "staff");

// A small chain for sync tests: organisation "acme" with stores A and B, staff at each (two at
// A), a manager of both, an admin, customers seen at A only, at B only and at both (through
// calls), and a second organisation "rival" with its own store, staff and customer. Users have
// no password (tests issue their tokens directly).
struct SeededChain {
    std::string org, storeA, storeB;
    std::string staffA, staffA2, staffB, manager, admin;
    std::string customerA, customerB, customerAB;
    std::string callA, callB;
    std::string taskA, taskB;
    std::string rivalOrg, rivalStore, rivalStaff, rivalCustomer;
};
SeededChain seedChain(pqxx::connection& conn);

} // namespace cc::test
