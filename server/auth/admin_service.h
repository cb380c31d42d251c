#pragma once

#include "server/auth/tokens.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <pqxx/connection>
#include <pqxx/transaction_base>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Organisation administration against PostgreSQL, for a caller already authenticated and
// permitted by the policy. Every query is confined to the caller's organisation (and, for a
// manager, their stores); a row outside that is indistinguishable from one that does not exist.
namespace cc::server::auth {

struct UserSummary {
    std::string id;
    std::string email;
    std::string displayName;
    std::string role;
    bool active = true;
    std::vector<std::string> storeCodes; // by code
    std::vector<std::string> storeIds;   // in the order of storeCodes
    std::string homeStoreId;             // empty: none
    std::vector<std::string> skills;
    bool passwordSet = false;  // false: invited or reset, no password chosen yet
    bool setupPending = false; // a setup code is open and unexpired
};

struct AuditEntry {
    std::int64_t id = 0;
    std::string at; // ISO 8601, UTC
    std::string actorUserId;
    std::string action;
    std::string targetType;
    std::string targetId;
    std::string detail;     // JSON object, as written
    std::string actorName;  // the actor's display name now, when of this organisation
    std::string targetName; // a user target's display name now
};

// GET /v1/admin/audit?before=&limit=&action=&actor=&targetType=&targetId=&from=&to=
struct AuditQuery {
    std::size_t limit = 200;            // 1 to 200
    std::optional<std::int64_t> before; // entries with a smaller id: the next page
    std::optional<std::string> actionPrefix;
    std::optional<std::string> actorUserId; // lower case
    std::optional<std::string> targetType;
    std::optional<std::string> targetId;
    std::optional<std::string> from; // an instant, ISO 8601 UTC: at or after
    std::optional<std::string> to;   // an instant, ISO 8601 UTC: before (a date: through its end)
};
inline constexpr std::size_t kMaxAuditPage = 200;

// The query string (without '?'). Throws std::invalid_argument naming the parameter at fault.
AuditQuery parseAuditQuery(std::string_view query);

struct AuditPage {
    std::vector<AuditEntry> entries;        // newest first
    std::optional<std::int64_t> nextBefore; // set when older entries match too
};

// The caller's role now, if the sign-in behind these claims is still live and the user active:
// the access token alone could outlive a revocation or a demotion by up to its lifetime.
std::optional<domain::Role> liveRole(pqxx::connection& conn, const Claims& caller);

std::vector<UserSummary> listUsers(pqxx::connection& conn, const Claims& caller);

// Forbidden: the caller stopped being an active admin before the change could be made (another
// admin disabled or demoted them at the same moment).
enum class DisableOutcome { Disabled, AlreadyDisabled, NotFound, Self, Forbidden };
DisableOutcome disableUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const std::string& sourceIp);

AuditPage readAuditLog(pqxx::connection& conn, const Claims& caller, const AuditQuery& query);

// One user as listUsers shows them, read in `txn`; nothing when not of this organisation.
std::optional<UserSummary> readUser(pqxx::transaction_base& txn, const std::string& organisationId,
                                    const std::string& userId);

// The first name given twice within one object of a JSON text, if any (json::parse keeps the
// last one silently).
std::optional<std::string> firstRepeatedKey(std::string_view body);

// A name from a request, quoted, for a message: only when it looks like a name, so a message
// never carries whatever a client sent.
std::string quotedName(std::string_view key);

// Sets the caller's own presence, "available" or "away" (anything else throws
// std::invalid_argument). Becoming available starts their idle time: the longest idle is rung
// first. Returns false when the caller has no presence row (not one of this organisation's).
bool setOwnPresence(pqxx::connection& conn, const Claims& caller, const std::string& status);

// ---- routing rules (docs/telephony.md, section 1) ----

// What an organisation and each of its stores can set, with the bounds of routing_rules' CHECK
// constraints, so a value the API accepts is one the table takes. Integer bounds are values;
// text bounds are lengths in characters; a menu's are its number of options.
enum class RuleKind { Integer, Boolean, Text, HttpsUrl, Menu };
struct RuleField {
    std::string_view name;
    RuleKind kind;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::string_view unit; // of an Integer, for messages
};
inline constexpr std::array<RuleField, 12> kRoutingRuleFields{{
    {"ring_timeout_s", RuleKind::Integer, 5, 120, "seconds"},
    {"overflow_after_s", RuleKind::Integer, 0, 3600, "seconds"},
    {"voicemail_after_s", RuleKind::Integer, 10, 3600, "seconds"},
    {"wrap_up_s", RuleKind::Integer, 0, 600, "seconds"},
    {"missed_pause_s", RuleKind::Integer, 0, 3600, "seconds"},
    {"overflow_when_closed", RuleKind::Boolean, 0, 0, {}},
    {"callback_due_minutes", RuleKind::Integer, 1, 10080, "minutes"},
    {"callback_escalate_minutes", RuleKind::Integer, 1, 10080, "minutes"},
    {"greeting", RuleKind::Text, 1, 500, {}},
    // The CHECK allows "https://" and 1 to 490 more characters. As written it stores nothing:
    // PostgreSQL refuses a repetition count past 255, so every non-null value fails (tst_admin).
    {"hold_music_url", RuleKind::HttpsUrl, 9, 498, {}},
    // [{"digit": "1", "label": "repairs", "skill": "repairs"}, ...]: what the call flow's menu
    // reads (server/telephony/call_flow.cpp): digits 1 to 9, labels up to 60 and skills up to 64
    // bytes.
    {"menu", RuleKind::Menu, 1, 9, {}},
    // Callers may say what they need and the line answers what it can (docs/integrations.md).
    {"self_service", RuleKind::Boolean, 0, 0, {}},
}};

// One rule's value; monostate is "not set": a store inherits the organisation's value, the
// organisation the built-in default. A menu is its array of options.
using RuleValue = std::variant<std::monostate, std::int64_t, bool, std::string, boost::json::array>;
// Indexed like kRoutingRuleFields.
using RoutingRules = std::array<RuleValue, kRoutingRuleFields.size()>;

struct RuleChange {
    std::size_t field = 0; // index in kRoutingRuleFields
    RuleValue value;       // monostate: clear the override
};
using RoutingRulesPatch = std::vector<RuleChange>;

// The body of a PUT: a JSON object of rules to set, null clearing one. Throws
// std::invalid_argument naming the offending field (unknown, wrong type, out of bounds) or what
// is wrong with the body as a whole; nothing is written for a body that does not parse.
RoutingRulesPatch parseRoutingRulesPatch(std::string_view body);

// The built-in defaults (shared/routing/engine.h and the call flow's). The greeting, hold music
// and menu are unset: the call flow then says "Thank you for calling <store name>.", plays
// nothing between announcements and routes without asking what the caller needs.
RoutingRules routingRuleDefaults();

// What the call flow uses for a store: its own value, else the organisation's, else the default,
// with the default greeting spelled out for the store.
RoutingRules effectiveRoutingRules(const RoutingRules& organisation, const RoutingRules& store,
                                   const std::string& storeName);

boost::json::value toJson(const RuleValue& value);
boost::json::object toJson(const RoutingRules& rules);

struct StoreRoutingRules {
    std::string storeId;
    std::string code;
    std::string name;
    RoutingRules rules; // the store's overrides
};

struct RoutingRulesView {
    RoutingRules organisation;
    std::vector<StoreRoutingRules> stores; // every store the caller may see, by code
};

// Admins see every store of the organisation, managers their own stores (role and stores read
// now); both see the organisation's row.
RoutingRulesView readRoutingRules(pqxx::connection& conn, const Claims& caller);

struct RuleDifference {
    std::size_t field = 0;
    RuleValue before;
    RuleValue after;
};

enum class SetRulesOutcome {
    Updated,
    Unchanged, // every value given was the one already set: nothing written, nothing audited
    NotFound,  // no such store for this caller (another organisation's, or not a manager's own)
    Forbidden, // the organisation's rules, and the caller is no longer an admin
};

struct SetRulesResult {
    SetRulesOutcome outcome = SetRulesOutcome::NotFound;
    std::vector<RuleDifference> changes;
    RoutingRules rules; // the row as it is now
};

// Sets the organisation's rules (admins) or one store's (admins: any of the organisation;
// managers: their own), row created on first use, and writes the audit log (routing_rules.set,
// every changed field with its old and new value) in the same transaction.
SetRulesResult setOrganisationRoutingRules(pqxx::connection& conn, const Claims& caller,
                                           const RoutingRulesPatch& patch,
                                           const std::string& sourceIp);
SetRulesResult setStoreRoutingRules(pqxx::connection& conn, const Claims& caller,
                                    const std::string& rawStoreId, const RoutingRulesPatch& patch,
                                    const std::string& sourceIp);

} // namespace cc::server::auth
