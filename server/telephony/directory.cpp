#include "server/telephony/directory.h"

#include "server/crypto/secretbox.h"
#include "server/ops/log.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <cctype>

namespace cc::server::telephony {

std::string authTokenBinding(const std::string& organisationId)
{
    return "twilio.auth_token:" + organisationId;
}

std::optional<std::string> setTwilioAccount(pqxx::connection& conn,
                                            const crypto::SecretBox& secrets,
                                            const std::string& organisationSlug,
                                            const std::string& accountSid,
                                            const std::string& authToken)
{
    const auto hex = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(),
                           [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    };
    if (accountSid.size() != 34 || !accountSid.starts_with("AC") || !hex(accountSid.substr(2))) {
        return "an Account SID is AC followed by 32 lower-case hex digits";
    }
    // Twilio's auth tokens are 32 hex digits; API-key secrets are 32 letters and digits.
    if (authToken.size() < 16 || authToken.size() > 128 ||
        !std::all_of(authToken.begin(), authToken.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
        return "the auth token must be 16-128 letters and digits";
    }
    pqxx::work tx(conn);
    const pqxx::result org =
        tx.exec_params("SELECT id::text FROM organisations WHERE slug = $1", organisationSlug);
    if (org.empty()) {
        return "no organisation has the slug " + organisationSlug;
    }
    const std::string organisationId = org[0][0].as<std::string>();
    const pqxx::result taken = tx.exec_params(
        "SELECT 1 FROM telephony_accounts WHERE account_sid = $1 AND organisation_id <> $2::uuid",
        accountSid, organisationId);
    if (!taken.empty()) {
        return "that Account SID belongs to another organisation";
    }
    tx.exec_params(
        "INSERT INTO telephony_accounts (organisation_id, account_sid, auth_token_sealed) VALUES "
        "($1::uuid, $2, $3) ON CONFLICT (organisation_id) DO UPDATE SET account_sid = "
        "EXCLUDED.account_sid, auth_token_sealed = EXCLUDED.auth_token_sealed, updated_at = now()",
        organisationId, accountSid, secrets.seal(authToken, authTokenBinding(organisationId)));
    tx.exec_params("INSERT INTO audit_log (organisation_id, action, target_type, target_id, "
                   "detail) VALUES ($1::uuid, 'integration.twilio.set', 'integration', 'twilio', "
                   "jsonb_build_object('account_sid', $2::text, 'via', 'command line'))",
                   organisationId, accountSid);
    tx.commit();
    return std::nullopt;
}

DirectorySnapshot loadDirectory(pqxx::connection& conn, const crypto::SecretBox& secrets)
{
    DirectorySnapshot out;
    pqxx::read_transaction tx(conn);
    for (const auto& r : tx.exec("SELECT organisation_id::text, account_sid, auth_token_sealed "
                                 "FROM telephony_accounts")) {
        Account account{r[0].as<std::string>(), r[1].as<std::string>(), {}};
        auto token = secrets.open(r[2].as<std::string>(), authTokenBinding(account.organisationId));
        if (!token) {
            ++out.unreadableTokens;
            log::warn("telephony", "the Twilio auth token of organisation " +
                                       account.organisationId + " does not open (" +
                                       std::string(crypto::toString(token.error())) +
                                       "): its webhooks are refused until it is set again");
            continue;
        }
        account.authToken = std::move(token).value();
        out.accountsBySid.emplace(account.accountSid, std::move(account));
    }
    for (const auto& r : tx.exec("SELECT n.number, n.organisation_id::text, l.id::text, l.name, "
                                 "l.main_phone FROM phone_numbers n "
                                 "JOIN locations l ON l.id = n.location_id")) {
        out.numbers.emplace(r[0].as<std::string>(),
                            Number{r[1].as<std::string>(), r[2].as<std::string>(),
                                   r[3].as<std::string>(), r[4].as<std::string>()});
    }
    return out;
}

void Directory::replace(DirectorySnapshot snapshot)
{
    auto next = std::make_shared<const DirectorySnapshot>(std::move(snapshot));
    {
        const std::lock_guard lock(m_mutex);
        m_snapshot = std::move(next);
    }
    m_loaded = true;
}

std::shared_ptr<const DirectorySnapshot> Directory::current() const
{
    const std::lock_guard lock(m_mutex);
    return m_snapshot;
}

std::optional<Account> Directory::account(const std::string& accountSid) const
{
    const auto snapshot = current();
    const auto it = snapshot->accountsBySid.find(accountSid);
    if (it == snapshot->accountsBySid.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<Number> Directory::number(const std::string& e164) const
{
    const auto snapshot = current();
    const auto it = snapshot->numbers.find(e164);
    if (it == snapshot->numbers.end()) {
        return std::nullopt;
    }
    return it->second;
}

} // namespace cc::server::telephony
