#include "server/auth/admin_service.h"

#include "shared/routing/engine.h"
#include "shared/telephony/twilio.h"
#include "shared/util/utf8.h"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace cc::server::auth {
namespace {

bool isUuid(const std::string& s)
{
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

namespace json = boost::json;

constexpr std::size_t ruleIndex(std::string_view name)
{
    for (std::size_t i = 0; i < kRoutingRuleFields.size(); ++i) {
        if (kRoutingRuleFields[i].name == name) {
            return i;
        }
    }
    throw std::logic_error("no such routing rule"); // in a constant expression: does not compile
}

constexpr std::size_t kGreeting = ruleIndex("greeting");
// The call flow's defaults for callback tasks (server/telephony/call_flow.cpp).
constexpr std::int64_t kDefaultCallbackMinutes = 60;
constexpr const char* kNoStore = "00000000-0000-0000-0000-000000000000";

// "r.ring_timeout_s, r.overflow_after_s, ...": the rule columns in kRoutingRuleFields' order.
std::string ruleColumns(std::string_view prefix)
{
    std::string out;
    for (const auto& field : kRoutingRuleFields) {
        out += (out.empty() ? "" : ", ") + std::string(prefix) + std::string(field.name);
    }
    return out;
}

std::string fieldNames()
{
    std::string out;
    for (const auto& field : kRoutingRuleFields) {
        out += (out.empty() ? "" : ", ") + std::string(field.name);
    }
    return out;
}

RoutingRules rulesFrom(const pqxx::row& row, pqxx::row::size_type first)
{
    RoutingRules rules;
    for (std::size_t i = 0; i < kRoutingRuleFields.size(); ++i) {
        const pqxx::field f = row[first + static_cast<pqxx::row::size_type>(i)];
        if (f.is_null()) {
            continue;
        }
        switch (kRoutingRuleFields[i].kind) {
        case RuleKind::Integer:
            rules[i] = f.as<std::int64_t>();
            break;
        case RuleKind::Boolean:
            rules[i] = f.as<bool>();
            break;
        case RuleKind::Text:
        case RuleKind::HttpsUrl:
            rules[i] = f.as<std::string>();
            break;
        case RuleKind::Menu: {
            // jsonb, an array by the table's CHECK; anything else would be a row written around
            // this API, and shows as unset rather than failing every read.
            boost::system::error_code ec;
            const json::value menu = json::parse(f.as<std::string>(), ec);
            if (!ec && menu.is_array()) {
                rules[i] = menu.get_array();
            }
            break;
        }
        }
    }
    return rules;
}

std::optional<std::string> sqlText(const RuleValue& value)
{
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
        return std::to_string(*n);
    }
    if (const auto* b = std::get_if<bool>(&value)) {
        return std::string(*b ? "true" : "false");
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
        return *text;
    }
    if (const auto* array = std::get_if<json::array>(&value)) {
        return json::serialize(*array);
    }
    return std::nullopt;
}

// json::parse keeps the last of a repeated name, so {"ring_timeout_s": 500, "ring_timeout_s": 30}
// would set 30 without a word about the 500. This handler of Boost.JSON's SAX parser only notes
// the first name repeated within one object (the body, or a menu option), so such a body can be
// refused.
class RepeatedKey {
public:
    using error_code = boost::system::error_code;
    using string_view = json::string_view;
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    struct Found {
        std::string key;
        bool topLevel = false;
    };

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t, error_code&) { return true; }
    bool on_object_begin(error_code&)
    {
        m_objects.emplace_back(); // keys belong to the innermost object: arrays have none
        return true;
    }
    bool on_object_end(std::size_t, error_code&)
    {
        m_objects.pop_back();
        return true;
    }
    bool on_string_part(string_view, std::size_t, error_code&) { return true; }
    bool on_string(string_view, std::size_t, error_code&) { return true; }
    bool on_key_part(string_view part, std::size_t, error_code&)
    {
        m_key.append(part.data(), part.size());
        return true;
    }
    bool on_key(string_view last, std::size_t, error_code&)
    {
        m_key.append(last.data(), last.size());
        if (!m_objects.back().insert(m_key).second && !m_found) {
            m_found = Found{m_key, m_objects.size() == 1};
        }
        m_key.clear();
        return true;
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, string_view, error_code&) { return true; }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
    bool on_double(double, string_view, error_code&) { return true; }
    bool on_bool(bool, error_code&) { return true; }
    bool on_null(error_code&) { return true; }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

    const std::optional<Found>& found() const { return m_found; }

private:
    std::vector<std::set<std::string>> m_objects;
    std::string m_key;
    std::optional<Found> m_found;
};

std::optional<RepeatedKey::Found> repeatedKey(std::string_view body)
{
    json::basic_parser<RepeatedKey> parser(json::parse_options{});
    boost::system::error_code ec;
    parser.write_some(false, body.data(), body.size(), ec);
    return ec ? std::nullopt : parser.handler().found();
}

constexpr const char* kInherit = " (null to inherit)";

std::string integerRule(const RuleField& field)
{
    return std::string(field.name) + " must be a whole number of " + std::string(field.unit) +
           " from " + std::to_string(field.min) + " to " + std::to_string(field.max) + kInherit;
}

enum class Measure { Characters, Bytes };

// Text read out by Twilio's <Say> (the greeting, a menu option's label) or matched against
// people's skills: printable only (a control character would be read out, cut the TwiML or be
// refused by the provider) and not blank. `measure`: the greeting's CHECK counts characters as
// PostgreSQL does; the call flow reads a menu's label and skill in bytes.
std::string checkedText(const std::string& what, const json::value& value, std::int64_t max,
                        Measure measure, std::string_view note)
{
    const std::string expected = what + " must be text of 1 to " + std::to_string(max) +
                                 (measure == Measure::Bytes ? " bytes (UTF-8)" : " characters") +
                                 std::string(note);
    if (!value.is_string()) {
        throw std::invalid_argument(expected);
    }
    const std::string_view text = value.get_string();
    if (!util::isValidUtf8(text)) {
        throw std::invalid_argument(what + " must be valid UTF-8");
    }
    std::int64_t characters = 0;
    bool blank = true;
    for (std::size_t i = 0; i < text.size();) {
        std::uint32_t cp = 0;
        i += util::decodeUtf8(text, i, cp);
        ++characters;
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            throw std::invalid_argument(
                what + " must not contain control characters (line breaks, tabs and the like)");
        }
        // Spaces of every width: text of only these says nothing.
        const bool space = cp == 0x20 || cp == 0xA0 || cp == 0x1680 ||
                           (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F ||
                           cp == 0x3000 || cp == 0xFEFF;
        blank = blank && space;
    }
    const auto length =
        measure == Measure::Bytes ? static_cast<std::int64_t>(text.size()) : characters;
    if (length < 1 || length > max) {
        throw std::invalid_argument(expected);
    }
    if (blank) {
        throw std::invalid_argument(what + " must not be blank" + std::string(note));
    }
    return std::string(text);
}

// The options in the order given, each as exactly {digit, label, skill}: the call flow leaves out
// an option it cannot read, so anything it would not say is refused here instead.
json::array checkedMenu(const RuleField& field, const json::value& value)
{
    const std::string name(field.name);
    const json::array* options = value.if_array();
    if (options == nullptr || options->size() < static_cast<std::size_t>(field.min) ||
        options->size() > static_cast<std::size_t>(field.max)) {
        throw std::invalid_argument(
            name + " must be a list of " + std::to_string(field.min) + " to " +
            std::to_string(field.max) +
            " options such as {\"digit\": \"1\", \"label\": \"repairs\", \"skill\": "
            "\"repairs\"}" +
            kInherit);
    }
    json::array out;
    bool taken[10] = {};
    for (std::size_t i = 0; i < options->size(); ++i) {
        const std::string option = name + " option " + std::to_string(i + 1);
        const json::object* o = (*options)[i].if_object();
        if (o == nullptr) {
            throw std::invalid_argument(option + " must be an object with digit, label and skill");
        }
        for (const auto& [key, v] : *o) {
            if (key != "digit" && key != "label" && key != "skill") {
                throw std::invalid_argument(option + " has no field " + quotedName(key) +
                                            "; an option has digit, label and skill");
            }
        }
        const json::value* digit = o->if_contains("digit");
        const json::value* label = o->if_contains("label");
        const json::value* skill = o->if_contains("skill");
        if (digit == nullptr || label == nullptr || skill == nullptr) {
            throw std::invalid_argument(option + " must have digit, label and skill");
        }
        if (!digit->is_string() || digit->get_string().size() != 1 ||
            digit->get_string()[0] < '1' || digit->get_string()[0] > '9') {
            throw std::invalid_argument(option + "'s digit must be one of \"1\" to \"9\"");
        }
        const char d = digit->get_string()[0];
        if (taken[d - '0']) {
            throw std::invalid_argument(option + "'s digit " + d + " is another option's");
        }
        taken[d - '0'] = true;
        out.push_back(json::object{
            {"digit", std::string(1, d)},
            {"label", checkedText(option + "'s label", *label, 60, Measure::Bytes, {})},
            {"skill", checkedText(option + "'s skill", *skill, 64, Measure::Bytes, {})}});
    }
    return out;
}

// Twilio fetches it for <Play>. The table's CHECK takes "https://" and up to 490 characters that
// are not whitespace, <, > or a double quote; this is stricter: ASCII only (a URL is sent
// percent-encoded) and a host after the scheme.
std::string checkedHttpsUrl(const RuleField& field, const json::value& value)
{
    const std::string expected =
        std::string(field.name) + " must be an https:// URL of at most " +
        std::to_string(field.max) +
        " characters, percent-encoded, without spaces, control characters, <, > or \"" + kInherit;
    if (!value.is_string()) {
        throw std::invalid_argument(expected);
    }
    const std::string_view url = value.get_string();
    constexpr std::string_view scheme = "https://";
    if (!url.starts_with(scheme) || url.size() < static_cast<std::size_t>(field.min) ||
        url.size() > static_cast<std::size_t>(field.max)) {
        throw std::invalid_argument(expected);
    }
    for (const char c : url) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || c == '<' || c == '>' || c == '"') {
            throw std::invalid_argument(expected);
        }
    }
    const char first = url[scheme.size()];
    if (first == '/' || first == '?' || first == '#') {
        throw std::invalid_argument(std::string(field.name) + " must name a host after https://");
    }
    return std::string(url);
}

RuleValue checkedValue(const RuleField& field, const json::value& value)
{
    if (value.is_null()) {
        return std::monostate{};
    }
    switch (field.kind) {
    case RuleKind::Integer: {
        // 7.0 or 7e0 arrive as doubles: refused rather than guessed at.
        if (!value.is_int64() && !value.is_uint64()) {
            throw std::invalid_argument(integerRule(field));
        }
        if (value.is_uint64() || value.get_int64() < field.min || value.get_int64() > field.max) {
            throw std::invalid_argument(integerRule(field));
        }
        return value.get_int64();
    }
    case RuleKind::Boolean:
        if (!value.is_bool()) {
            throw std::invalid_argument(std::string(field.name) + " must be true or false" +
                                        kInherit);
        }
        return value.get_bool();
    case RuleKind::Text:
        return checkedText(std::string(field.name), value, field.max, Measure::Characters,
                           kInherit);
    case RuleKind::HttpsUrl:
        return checkedHttpsUrl(field, value);
    case RuleKind::Menu:
        return checkedMenu(field, value);
    }
    throw std::logic_error("unknown rule kind");
}

// Locks the rules row (creating it empty on first use) and applies `patch`: the old values the
// audit log records are the ones this change replaced, however many admins write at once.
// Commits only when something changed.
SetRulesResult applyRoutingRules(pqxx::work& txn, const Claims& caller,
                                 const std::optional<std::string>& storeId,
                                 const std::string& storeCode, const RoutingRulesPatch& patch,
                                 const std::string& sourceIp)
{
    static const std::string lockRow =
        "INSERT INTO routing_rules (organisation_id, location_id) VALUES ($1::uuid, $2::uuid) "
        "ON CONFLICT (organisation_id, coalesce(location_id, '" +
        std::string(kNoStore) +
        "'::uuid)) DO UPDATE SET updated_at = routing_rules.updated_at RETURNING " +
        ruleColumns("");
    static const std::string update = [] {
        std::string sql = "UPDATE routing_rules SET ";
        for (std::size_t i = 0; i < kRoutingRuleFields.size(); ++i) {
            const auto& field = kRoutingRuleFields[i];
            const char* type = field.kind == RuleKind::Integer   ? "integer"
                               : field.kind == RuleKind::Boolean ? "boolean"
                               : field.kind == RuleKind::Menu    ? "jsonb"
                                                                 : "text";
            sql += std::string(field.name) + " = $" + std::to_string(i + 3) + "::" + type + ", ";
        }
        return sql +
               "updated_at = now() WHERE organisation_id = $1::uuid AND "
               "coalesce(location_id, '" +
               kNoStore + "'::uuid) = coalesce($2::uuid, '" + kNoStore + "'::uuid)";
    }();

    SetRulesResult result;
    const RoutingRules before =
        rulesFrom(txn.exec_params1(lockRow, caller.organisationId, storeId), 0);
    result.rules = before;
    for (const auto& change : patch) {
        result.rules[change.field] = change.value;
    }
    json::object fields;
    for (std::size_t i = 0; i < kRoutingRuleFields.size(); ++i) {
        if (before[i] != result.rules[i]) {
            result.changes.push_back({i, before[i], result.rules[i]});
            fields[kRoutingRuleFields[i].name] =
                json::object{{"old", toJson(before[i])}, {"new", toJson(result.rules[i])}};
        }
    }
    if (result.changes.empty()) {
        result.outcome = SetRulesOutcome::Unchanged; // the row made just now is rolled back too
        return result;
    }
    std::vector<std::optional<std::string>> values;
    values.reserve(result.rules.size());
    for (const auto& value : result.rules) {
        values.push_back(sqlText(value));
    }
    txn.exec_params0(update, caller.organisationId, storeId,
                     pqxx::prepare::make_dynamic_params(values));
    json::object detail{{"fields", std::move(fields)}};
    if (storeId) {
        detail["store_code"] = storeCode;
    }
    txn.exec_params0(
        "INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, target_id, "
        "detail, source_ip) VALUES ($1::uuid, $2::uuid, 'routing_rules.set', $3, $4, $5::jsonb, "
        "nullif($6, '')::inet)",
        caller.organisationId, caller.userId, storeId ? "store" : "organisation",
        storeId.value_or(caller.organisationId), json::serialize(detail), sourceIp);
    txn.commit();
    result.outcome = SetRulesOutcome::Updated;
    return result;
}

} // namespace

// A field name from the request, for a message: only when it looks like one, so a message never
// carries whatever a client sent (megabytes, markup, broken UTF-8).
std::string quotedName(std::string_view key)
{
    const bool plain =
        !key.empty() && key.size() <= 40 && std::all_of(key.begin(), key.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ||
                   c == '.';
        });
    return plain ? "\"" + std::string(key) + "\"" : std::string("with that name");
}

std::optional<std::string> firstRepeatedKey(std::string_view body)
{
    const auto found = repeatedKey(body);
    return found ? std::optional<std::string>(found->key) : std::nullopt;
}

std::optional<domain::Role> liveRole(pqxx::connection& conn, const Claims& caller)
{
    pqxx::read_transaction txn(conn);
    const pqxx::result r =
        txn.exec_params("SELECT u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id "
                        "WHERE s.id = $1::uuid AND s.user_id = $2::uuid "
                        "AND u.organisation_id = $3::uuid AND s.revoked_at IS NULL "
                        "AND s.expires_at > now() AND u.active",
                        caller.sessionId, caller.userId, caller.organisationId);
    if (r.empty()) {
        return std::nullopt;
    }
    return domain::roleFromString(r[0][0].as<std::string>());
}

namespace {

// What listUsers and readUser show of a person, from `users u` grouped by u.id with their stores
// joined as `l` (columns read by userSummaryOf).
constexpr const char* kUserColumns =
    "u.id::text, u.email, u.display_name, u.role, u.active, "
    "coalesce(string_agg(l.id::text || ':' || l.code, ',' ORDER BY l.code, l.id), ''), "
    "coalesce(u.home_location_id::text, ''), array_to_json(u.skills)::text, "
    "u.password_hash IS NOT NULL, "
    "EXISTS (SELECT 1 FROM password_setups ps WHERE ps.user_id = u.id AND ps.used_at IS NULL "
    "        AND ps.withdrawn_at IS NULL AND ps.expires_at > now()) ";

UserSummary userSummaryOf(const pqxx::row& r)
{
    UserSummary u;
    u.id = r[0].as<std::string>();
    u.email = r[1].as<std::string>();
    u.displayName = r[2].as<std::string>();
    u.role = r[3].as<std::string>();
    u.active = r[4].as<bool>();
    // "<id>:<code>,<id>:<code>": store codes hold neither ':' nor ',' (their CHECK).
    const std::string stores = r[5].as<std::string>();
    for (std::size_t start = 0; start < stores.size();) {
        const auto comma = std::min(stores.find(',', start), stores.size());
        const std::string entry = stores.substr(start, comma - start);
        const auto colon = entry.find(':');
        if (colon != std::string::npos) {
            u.storeIds.push_back(entry.substr(0, colon));
            u.storeCodes.push_back(entry.substr(colon + 1));
        }
        start = comma + 1;
    }
    u.homeStoreId = r[6].as<std::string>();
    boost::system::error_code ec;
    const json::value skills = json::parse(r[7].as<std::string>(), ec);
    if (!ec && skills.is_array()) {
        for (const auto& skill : skills.get_array()) {
            if (skill.is_string()) {
                u.skills.emplace_back(skill.get_string());
            }
        }
    }
    u.passwordSet = r[8].as<bool>();
    u.setupPending = r[9].as<bool>();
    return u;
}

} // namespace

std::vector<UserSummary> listUsers(pqxx::connection& conn, const Claims& caller)
{
    pqxx::read_transaction txn(conn);
    // Admins see the organisation; managers the people of their own stores. Role and stores are
    // read now, not taken from the token, so a demotion applies at once.
    const pqxx::result rows = txn.exec_params(
        std::string("WITH me AS (SELECT role FROM users WHERE id = $1::uuid AND organisation_id = "
                    "$2::uuid) SELECT ") +
            kUserColumns +
            "FROM users u CROSS JOIN me "
            "LEFT JOIN user_locations ul ON ul.user_id = u.id "
            "LEFT JOIN locations l ON l.id = ul.location_id "
            "WHERE u.organisation_id = $2::uuid AND (me.role = 'admin' OR (me.role = 'manager' "
            "AND EXISTS (SELECT 1 FROM user_locations mine JOIN user_locations theirs "
            "          ON theirs.location_id = mine.location_id "
            "          WHERE mine.user_id = $1::uuid AND theirs.user_id = u.id))) "
            "GROUP BY u.id ORDER BY u.display_name",
        caller.userId, caller.organisationId);
    std::vector<UserSummary> users;
    users.reserve(rows.size());
    for (const auto& r : rows) {
        users.push_back(userSummaryOf(r));
    }
    return users;
}

std::optional<UserSummary> readUser(pqxx::transaction_base& txn, const std::string& organisationId,
                                    const std::string& userId)
{
    const pqxx::result rows =
        txn.exec_params(std::string("SELECT ") + kUserColumns +
                            "FROM users u LEFT JOIN user_locations ul ON ul.user_id = u.id "
                            "LEFT JOIN locations l ON l.id = ul.location_id "
                            "WHERE u.id = $1::uuid AND u.organisation_id = $2::uuid GROUP BY u.id",
                        userId, organisationId);
    if (rows.empty()) {
        return std::nullopt;
    }
    return userSummaryOf(rows[0]);
}

DisableOutcome disableUser(pqxx::connection& conn, const Claims& caller, const std::string& rawId,
                           const std::string& sourceIp)
{
    if (!isUuid(rawId)) {
        return DisableOutcome::NotFound;
    }
    // Canonical form (lower case), so "is it me?" and the audit entry see the same id.
    std::string userId = rawId;
    std::transform(userId.begin(), userId.end(), userId.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (userId == caller.userId) {
        return DisableOutcome::Self; // an admin cannot lock themselves out by accident
    }
    pqxx::work txn(conn);
    // The caller's row and the target's, locked in id order like every change of a person
    // (user_admin.cpp): two admins disabling each other at the same moment are serialised, and
    // the second finds they are no longer an admin, so the organisation keeps one.
    const pqxx::result rows = txn.exec_params(
        "SELECT id::text, active, role FROM users WHERE id IN ($1::uuid, $3::uuid) AND "
        "organisation_id = $2::uuid ORDER BY id FOR UPDATE",
        userId, caller.organisationId, caller.userId);
    std::optional<bool> targetActive;
    bool callerAdmin = false;
    for (const auto& row : rows) {
        if (row[0].as<std::string>() == caller.userId) {
            callerAdmin = row[1].as<bool>() && row[2].as<std::string>() == "admin";
        } else {
            targetActive = row[1].as<bool>();
        }
    }
    if (!callerAdmin) {
        return DisableOutcome::Forbidden;
    }
    if (!targetActive) {
        return DisableOutcome::NotFound; // another organisation's user does not exist for us
    }
    if (!*targetActive) {
        return DisableOutcome::AlreadyDisabled;
    }
    // The users trigger ends the user's sign-ins, and NOTIFY closes their sockets everywhere.
    txn.exec_params0("UPDATE users SET active = false WHERE id = $1::uuid", userId);
    txn.exec_params0(
        "INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, "
        "target_id, source_ip) VALUES ($1::uuid, $2::uuid, 'user.disabled', 'user', $3, "
        "nullif($4, '')::inet)",
        caller.organisationId, caller.userId, userId, sourceIp);
    txn.commit();
    return DisableOutcome::Disabled;
}

namespace {

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC), a real day and time of the years 2000 to 2999.
// A date is its first instant, or with `endOfDay` the first instant of the next day. The result
// is "YYYY-MM-DDTHH:MM:SSZ".
std::optional<std::string> auditInstant(std::string_view s, bool endOfDay)
{
    const auto digits = [&](std::size_t at, std::size_t count) -> std::optional<int> {
        int value = 0;
        for (std::size_t i = at; i < at + count; ++i) {
            if (i >= s.size() || s[i] < '0' || s[i] > '9') {
                return std::nullopt;
            }
            value = value * 10 + (s[i] - '0');
        }
        return value;
    };
    if (s.size() != 10 && s.size() != 20) {
        return std::nullopt;
    }
    const auto y = digits(0, 4);
    const auto m = digits(5, 2);
    const auto d = digits(8, 2);
    if (!y || !m || !d || s[4] != '-' || s[7] != '-' || *y < 2000 || *y > 2999) {
        return std::nullopt;
    }
    std::chrono::year_month_day day{std::chrono::year(*y),
                                    std::chrono::month(static_cast<unsigned>(*m)),
                                    std::chrono::day(static_cast<unsigned>(*d))};
    if (!day.ok()) {
        return std::nullopt;
    }
    int hh = 0;
    int mm = 0;
    int ss = 0;
    if (s.size() == 20) {
        const auto h = digits(11, 2);
        const auto mi = digits(14, 2);
        const auto se = digits(17, 2);
        if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' || !h || !mi || !se ||
            *h > 23 || *mi > 59 || *se > 59) {
            return std::nullopt;
        }
        hh = *h;
        mm = *mi;
        ss = *se;
    } else if (endOfDay) {
        day = std::chrono::year_month_day{std::chrono::sys_days(day) + std::chrono::days(1)};
    }
    // Every field is range-checked above (the year by the date's own parse), so 64 bytes always
    // hold it; the size only keeps the compiler's truncation analysis quiet.
    char out[64];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(day.year()),
                  static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()), hh, mm, ss);
    return std::string(out);
}

bool printableAscii(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// For LIKE: the prefix with its wildcards and the escape character taken literally, then '%'.
std::string likePrefix(std::string_view prefix)
{
    std::string out;
    for (const char c : prefix) {
        if (c == '%' || c == '_' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    return out + '%';
}

} // namespace

AuditQuery parseAuditQuery(std::string_view query)
{
    const auto params = telephony::parseFormUrlEncoded(query);
    if (!params) {
        throw std::invalid_argument("the query string is not valid");
    }
    AuditQuery q;
    std::set<std::string> seen;
    for (const auto& [name, value] : params.value()) {
        if (!seen.insert(name).second) {
            throw std::invalid_argument("parameter " + quotedName(name) + " given twice");
        }
        if (name == "limit" || name == "before") {
            const bool number = !value.empty() && value.size() <= 18 &&
                                std::all_of(value.begin(), value.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
            const std::int64_t n = number ? std::stoll(value) : 0;
            if (name == "limit") {
                if (n < 1 || n > static_cast<std::int64_t>(kMaxAuditPage)) {
                    throw std::invalid_argument("limit must be a whole number from 1 to " +
                                                std::to_string(kMaxAuditPage));
                }
                q.limit = static_cast<std::size_t>(n);
            } else {
                if (n < 1) {
                    throw std::invalid_argument("before must be an entry id (a positive number)");
                }
                q.before = n;
            }
        } else if (name == "action") {
            if (value.empty() || value.size() > 100 || !printableAscii(value)) {
                throw std::invalid_argument(
                    "action must be the start of an action name, 1 to 100 characters");
            }
            q.actionPrefix = value;
        } else if (name == "actor") {
            if (!isUuid(value)) {
                throw std::invalid_argument("actor must be a user id");
            }
            std::string id = value;
            std::transform(id.begin(), id.end(), id.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            q.actorUserId = id;
        } else if (name == "targetType") {
            if (value.empty() || value.size() > 50 || !printableAscii(value)) {
                throw std::invalid_argument("targetType must have 1 to 50 characters");
            }
            q.targetType = value;
        } else if (name == "targetId") {
            if (value.empty() || value.size() > 100 || !printableAscii(value)) {
                throw std::invalid_argument("targetId must have 1 to 100 characters");
            }
            q.targetId = value;
        } else if (name == "from" || name == "to") {
            auto instant = auditInstant(value, name == "to");
            if (!instant) {
                throw std::invalid_argument(
                    name + " must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
            }
            (name == "from" ? q.from : q.to) = std::move(instant);
        } else {
            throw std::invalid_argument("no parameter " + quotedName(name) +
                                        "; the parameters are before, limit, action, actor, "
                                        "targetType, targetId, from, to");
        }
    }
    // Both in the same form, so text order is time order.
    if (q.from && q.to && *q.from >= *q.to) {
        throw std::invalid_argument("from must be before to");
    }
    return q;
}

AuditPage readAuditLog(pqxx::connection& conn, const Claims& caller, const AuditQuery& query)
{
    pqxx::read_transaction txn(conn);
    // One statement whatever the filters: each absent one is a NULL parameter, folded away when
    // the statement is planned with its values (an unnamed statement is), so the index for the
    // filters given serves it (0009_user_admin.sql). One row more than asked says whether there
    // is a next page.
    const pqxx::result rows = txn.exec_params(
        "SELECT a.id, to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "       coalesce(a.actor_user_id::text, ''), a.action, coalesce(a.target_type, ''), "
        "       coalesce(a.target_id, ''), a.detail::text, coalesce(actor.display_name, ''), "
        "       coalesce(target.display_name, '') "
        "FROM audit_log a "
        "LEFT JOIN users actor ON actor.id = a.actor_user_id "
        "     AND actor.organisation_id = a.organisation_id "
        "LEFT JOIN users target ON target.id = (CASE WHEN a.target_type = 'user' AND "
        "     a.target_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
        "     THEN a.target_id::uuid END) AND target.organisation_id = a.organisation_id "
        "WHERE a.organisation_id = $1::uuid "
        "  AND ($2::bigint IS NULL OR a.id < $2::bigint) "
        "  AND ($3::text IS NULL OR a.action LIKE $3::text) "
        "  AND ($4::uuid IS NULL OR a.actor_user_id = $4::uuid) "
        "  AND ($5::text IS NULL OR a.target_type = $5::text) "
        "  AND ($6::text IS NULL OR a.target_id = $6::text) "
        "  AND ($7::timestamptz IS NULL OR a.created_at >= $7::timestamptz) "
        "  AND ($8::timestamptz IS NULL OR a.created_at < $8::timestamptz) "
        "ORDER BY a.id DESC LIMIT $9",
        caller.organisationId, query.before,
        query.actionPrefix ? std::optional<std::string>(likePrefix(*query.actionPrefix))
                           : std::nullopt,
        query.actorUserId, query.targetType, query.targetId, query.from, query.to,
        static_cast<long long>(query.limit + 1));
    AuditPage page;
    page.entries.reserve(std::min(rows.size(), query.limit));
    for (const auto& r : rows) {
        if (page.entries.size() == query.limit) {
            page.nextBefore = page.entries.back().id;
            break;
        }
        page.entries.push_back(
            {r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
             r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
             r[6].as<std::string>(), r[7].as<std::string>(), r[8].as<std::string>()});
    }
    return page;
}

bool setOwnPresence(pqxx::connection& conn, const Claims& caller, const std::string& status)
{
    if (status != "available" && status != "away") {
        throw std::invalid_argument("presence is available or away");
    }
    pqxx::work tx(conn);
    const pqxx::result r = tx.exec_params(
        "UPDATE presence SET idle_since = CASE WHEN status <> $3 AND $3 = 'available' THEN now() "
        "ELSE idle_since END, status = $3, updated_at = now() "
        "WHERE user_id = $1::uuid AND organisation_id = $2::uuid",
        caller.userId, caller.organisationId, status);
    tx.commit();
    return r.affected_rows() == 1;
}

RoutingRulesPatch parseRoutingRulesPatch(std::string_view body)
{
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    const json::object* object = ec ? nullptr : parsed.if_object();
    if (object == nullptr) {
        throw std::invalid_argument(
            "expected a JSON object of routing rules, such as {\"ring_timeout_s\": 25}");
    }
    if (const auto repeated = repeatedKey(body)) {
        throw std::invalid_argument(
            repeated->topLevel
                ? "routing rule " + quotedName(repeated->key) + " given twice"
                : "field " + quotedName(repeated->key) + " given twice in one object");
    }
    if (object->empty()) {
        throw std::invalid_argument("no routing rule given; the rules are " + fieldNames());
    }
    RoutingRulesPatch patch;
    for (const auto& [key, value] : *object) {
        const auto field = std::find_if(
            kRoutingRuleFields.begin(), kRoutingRuleFields.end(),
            [&key = key](const RuleField& f) { return f.name == std::string_view(key); });
        if (field == kRoutingRuleFields.end()) {
            throw std::invalid_argument("no routing rule " + quotedName(key) + "; the rules are " +
                                        fieldNames());
        }
        patch.push_back({static_cast<std::size_t>(field - kRoutingRuleFields.begin()),
                         checkedValue(*field, value)});
    }
    return patch;
}

RoutingRules routingRuleDefaults()
{
    const routing::Rules builtIn;
    RoutingRules defaults;
    defaults[ruleIndex("ring_timeout_s")] = std::int64_t{builtIn.ringTimeoutSeconds};
    defaults[ruleIndex("overflow_after_s")] = std::int64_t{builtIn.overflowAfterSeconds};
    defaults[ruleIndex("voicemail_after_s")] = std::int64_t{builtIn.voicemailAfterSeconds};
    defaults[ruleIndex("wrap_up_s")] = std::int64_t{builtIn.wrapUpSeconds};
    defaults[ruleIndex("missed_pause_s")] = std::int64_t{builtIn.missedCallPauseSeconds};
    defaults[ruleIndex("overflow_when_closed")] = builtIn.overflowWhenClosed;
    defaults[ruleIndex("self_service")] = false;
    defaults[ruleIndex("callback_due_minutes")] = kDefaultCallbackMinutes;
    defaults[ruleIndex("callback_escalate_minutes")] = kDefaultCallbackMinutes;
    return defaults;
}

RoutingRules effectiveRoutingRules(const RoutingRules& organisation, const RoutingRules& store,
                                   const std::string& storeName)
{
    RoutingRules effective = routingRuleDefaults();
    for (std::size_t i = 0; i < effective.size(); ++i) {
        if (!std::holds_alternative<std::monostate>(store[i])) {
            effective[i] = store[i];
        } else if (!std::holds_alternative<std::monostate>(organisation[i])) {
            effective[i] = organisation[i];
        }
    }
    if (std::holds_alternative<std::monostate>(effective[kGreeting])) {
        effective[kGreeting] = "Thank you for calling " + storeName + ".";
    }
    return effective;
}

json::value toJson(const RuleValue& value)
{
    return std::visit(
        [](const auto& v) -> json::value {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) {
                return nullptr;
            } else {
                return json::value(v);
            }
        },
        value);
}

json::object toJson(const RoutingRules& rules)
{
    json::object out;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        out[kRoutingRuleFields[i].name] = toJson(rules[i]);
    }
    return out;
}

RoutingRulesView readRoutingRules(pqxx::connection& conn, const Claims& caller)
{
    // One snapshot for both reads, so the organisation's row and the stores' agree.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> txn(conn);
    RoutingRulesView view;
    const pqxx::result organisation =
        txn.exec_params("SELECT " + ruleColumns("") +
                            " FROM routing_rules WHERE organisation_id = $1::uuid AND "
                            "location_id IS NULL",
                        caller.organisationId);
    if (!organisation.empty()) {
        view.organisation = rulesFrom(organisation[0], 0);
    }
    // Admins: every store; managers: their own (role and stores as they are now).
    const pqxx::result stores = txn.exec_params(
        "SELECT l.id::text, l.code, l.name, " + ruleColumns("r.") +
            " FROM locations l "
            "JOIN users me ON me.id = $1::uuid AND me.organisation_id = l.organisation_id "
            "AND me.active "
            "LEFT JOIN routing_rules r ON r.organisation_id = l.organisation_id "
            "AND r.location_id = l.id "
            "WHERE l.organisation_id = $2::uuid AND (me.role = 'admin' OR (me.role = 'manager' "
            "AND EXISTS (SELECT 1 FROM user_locations ul WHERE ul.user_id = me.id "
            "AND ul.location_id = l.id))) ORDER BY l.code, l.id",
        caller.userId, caller.organisationId);
    view.stores.reserve(stores.size());
    for (const auto& row : stores) {
        view.stores.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                               row[2].as<std::string>(), rulesFrom(row, 3)});
    }
    return view;
}

SetRulesResult setOrganisationRoutingRules(pqxx::connection& conn, const Claims& caller,
                                           const RoutingRulesPatch& patch,
                                           const std::string& sourceIp)
{
    pqxx::work txn(conn);
    // Still an admin, and stays one until this commits (a demotion waits for the row lock).
    const pqxx::result admin = txn.exec_params(
        "SELECT 1 FROM users WHERE id = $1::uuid AND organisation_id = $2::uuid AND active "
        "AND role = 'admin' FOR SHARE",
        caller.userId, caller.organisationId);
    if (admin.empty()) {
        return {SetRulesOutcome::Forbidden, {}, {}};
    }
    return applyRoutingRules(txn, caller, std::nullopt, {}, patch, sourceIp);
}

SetRulesResult setStoreRoutingRules(pqxx::connection& conn, const Claims& caller,
                                    const std::string& rawStoreId, const RoutingRulesPatch& patch,
                                    const std::string& sourceIp)
{
    if (!isUuid(rawStoreId)) {
        return {SetRulesOutcome::NotFound, {}, {}};
    }
    pqxx::work txn(conn);
    // A store of the organisation, and for a manager one of their own: anything else does not
    // exist for this caller. The locks keep the store and the caller's role as checked.
    const pqxx::result store = txn.exec_params(
        "SELECT l.id::text, l.code FROM locations l "
        "JOIN users me ON me.id = $1::uuid AND me.organisation_id = l.organisation_id "
        "AND me.active "
        "WHERE l.id = $3::uuid AND l.organisation_id = $2::uuid AND (me.role = 'admin' OR "
        "(me.role = 'manager' AND EXISTS (SELECT 1 FROM user_locations ul "
        "WHERE ul.user_id = me.id AND ul.location_id = l.id))) "
        "FOR KEY SHARE OF l FOR SHARE OF me",
        caller.userId, caller.organisationId, rawStoreId);
    if (store.empty()) {
        return {SetRulesOutcome::NotFound, {}, {}};
    }
    return applyRoutingRules(txn, caller, store[0][0].as<std::string>(),
                             store[0][1].as<std::string>(), patch, sourceIp);
}

} // namespace cc::server::auth
