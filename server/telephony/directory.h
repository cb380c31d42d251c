#pragma once

#include <pqxx/connection>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace cc::server::crypto {
class SecretBox;
}

// Which organisation a webhook speaks for, and which store a dialled number rings: kept in memory
// on every node, so that checking a signature and answering the fallback URL need no database
// round trip (the fallback must ring the store even when the database is what failed). Loaded at
// start, again on every NOTIFY cc_telephony (numbers, stores and accounts changed anywhere) and
// every 30 s in case a notification was missed.
namespace cc::server::telephony {

struct Account {
    std::string organisationId;
    std::string accountSid;
    std::string authToken; // opened from its sealed form; memory only, never logged
};

struct Number {
    std::string organisationId;
    std::string locationId;
    std::string locationName;
    std::string mainPhone; // the store's own line: what the fallback rings
};

struct DirectorySnapshot {
    std::unordered_map<std::string, Account> accountsBySid;
    std::unordered_map<std::string, Number> numbers; // E.164 -> store
    std::size_t unreadableTokens = 0; // sealed with a key this node lacks, or tampered
};

// Reads the directory. Tokens that do not open are left out (their webhooks get 403) and counted.
DirectorySnapshot loadDirectory(pqxx::connection& conn, const crypto::SecretBox& secrets);

// The associated data that binds an organisation's sealed Twilio auth token to it.
std::string authTokenBinding(const std::string& organisationId);

// Sets the Twilio account of the organisation with this slug (replacing any), its auth token
// sealed, and writes the audit log. Returns the reason when the input is refused (unknown
// organisation, malformed Account SID or token); nothing changes then.
std::optional<std::string> setTwilioAccount(pqxx::connection& conn,
                                            const crypto::SecretBox& secrets,
                                            const std::string& organisationSlug,
                                            const std::string& accountSid,
                                            const std::string& authToken);

class Directory {
public:
    void replace(DirectorySnapshot snapshot);
    bool loaded() const { return m_loaded.load(); }

    std::optional<Account> account(const std::string& accountSid) const;
    std::optional<Number> number(const std::string& e164) const;

private:
    std::shared_ptr<const DirectorySnapshot> current() const;

    mutable std::mutex m_mutex;
    std::shared_ptr<const DirectorySnapshot> m_snapshot = std::make_shared<DirectorySnapshot>();
    std::atomic<bool> m_loaded{false};
};

} // namespace cc::server::telephony
