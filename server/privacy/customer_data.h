#pragma once

#include "server/auth/tokens.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <pqxx/connection>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

// A customer's personal data under the GDPR (docs/security.md, "Personal data"): everything held
// about one customer as JSON (Art. 15 and 20), and its erasure (Art. 17). For a caller the policy
// already allows (admins); confined to the caller's organisation: another organisation's customer
// answers exactly like one that does not exist. Both are audited in their own transaction.
namespace cc::server::privacy {

// Who a person asking about their data might be, for an admin answering the request: customers of
// the caller's organisation whose phone number (typed in any form), e-mail address (exactly,
// without case) or name (its start, without case) matches `query`; at most 20, newest contact
// first. Each as {id, displayName, email, phones[], stores[], lastCallAt, erasedAt}. The query
// must be 3 to 200 characters (std::invalid_argument otherwise).
boost::json::array findCustomers(pqxx::connection& conn, const auth::Claims& caller,
                                 const std::string& query);

// Everything held about the customer: the customer, phones, the stores that have seen them, calls
// (with the numbers, routing outcome and recording link), notes, tasks, appointments and what
// they said to the self-service line; nullopt when there is no such customer in the caller's
// organisation. Audited as customer.export (who, which customer, how many rows; never values).
std::optional<boost::json::object> exportCustomer(pqxx::connection& conn,
                                                  const auth::Claims& caller,
                                                  const std::string& rawCustomerId,
                                                  const std::string& sourceIp);

enum class EraseOutcome {
    Erased,
    AlreadyErased, // erased before: nothing changed (the answer says when)
    NotFound,
    CallInProgress, // a call with the customer is ringing or in progress, or its voicemail's
                    // recording has not come yet (10 minutes at most): try again after it
};

struct EraseResult {
    EraseOutcome outcome = EraseOutcome::NotFound;
    std::string erasedAt; // ISO 8601, UTC
    std::size_t notes = 0;
    std::size_t phones = 0;
    std::size_t calls = 0;
    std::size_t tasks = 0;
    std::size_t appointments = 0;
    std::size_t selfServiceTurns = 0;
    // Voicemail recordings live at the telephony provider: the links are removed here, the
    // recordings themselves must be deleted there (the answer lists them for the admin).
    std::vector<std::string> providerRecordings;
};

// Removes or blanks every personal datum of the customer, in one transaction: notes and phones
// deleted; the customer's name replaced, e-mail and consents cleared; the caller's number,
// recording link, free-text disposition (a "resolved" one stays: first-contact resolution
// counts it) and self-service words removed from their calls; task titles and appointment
// purposes blanked. Calls, tasks and appointments stay, with their times, outcomes and stores,
// so every statistic keeps its value. Devices receive the changes on their next sync; the
// customer is remembered as erased so that nothing personal is written about them again.
// Audited as customer.erase with the counts.
EraseResult eraseCustomer(pqxx::connection& conn, const auth::Claims& caller,
                          const std::string& rawCustomerId, const std::string& sourceIp);

// The key of the caller's offline cache on the device of their sign-in (made on first use,
// 32 random bytes, the same at every later sign-in from that device), base64url; nullopt when the
// sign-in is no longer live. Never logged.
std::optional<std::string> deviceCacheKey(pqxx::connection& conn, const auth::Claims& caller);

// What an erased customer is called from then on.
inline constexpr const char* kErasedName = "Erased customer";
// What replaces the number of an erased customer's calls: not a number, so it never matches a
// caller again (nor counts as a known caller in the repeat-call figures).
inline constexpr const char* kErasedNumber = "erased";

} // namespace cc::server::privacy
