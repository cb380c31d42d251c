#include "tests/fakes/shopify_fake.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

namespace cc::fakes::detail {
namespace {

namespace json = boost::json;

constexpr std::string_view kVariantGid = "gid://shopify/ProductVariant/";
constexpr std::string_view kProductGid = "gid://shopify/Product/";
constexpr std::string_view kInventoryItemGid = "gid://shopify/InventoryItem/";
constexpr std::string_view kLocationGid = "gid://shopify/Location/";
constexpr std::int64_t kMaxPage = 250;

// ---- a GraphQL argument list, just enough of it ----

struct Literal {
    enum class Kind { Variable, Int, String, List, Other };
    Kind kind = Kind::Other;
    std::string text;
    std::vector<Literal> items;
};

class ArgumentParser {
public:
    explicit ArgumentParser(std::string_view text)
        : m_text(text)
    {}

    // The arguments of the list opening at `open` ('('); nothing on a syntax error.
    std::optional<std::map<std::string, Literal>> parse(std::size_t open)
    {
        m_pos = open + 1;
        std::map<std::string, Literal> args;
        while (true) {
            skipIgnored();
            if (m_pos >= m_text.size()) {
                return std::nullopt;
            }
            if (m_text[m_pos] == ')') {
                return args;
            }
            std::string name = identifier();
            skipIgnored();
            if (name.empty() || m_pos >= m_text.size() || m_text[m_pos] != ':') {
                return std::nullopt;
            }
            ++m_pos;
            auto value = parseValue();
            if (!value) {
                return std::nullopt;
            }
            args[name] = std::move(*value);
        }
    }

private:
    static bool identChar(char c)
    {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    }

    void skipIgnored()
    {
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (c == '#') {
                while (m_pos < m_text.size() && m_text[m_pos] != '\n') {
                    ++m_pos;
                }
            } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
                ++m_pos;
            } else {
                return;
            }
        }
    }

    std::string identifier()
    {
        const std::size_t start = m_pos;
        while (m_pos < m_text.size() && identChar(m_text[m_pos])) {
            ++m_pos;
        }
        return std::string(m_text.substr(start, m_pos - start));
    }

    std::optional<Literal> parseValue()
    {
        skipIgnored();
        if (m_pos >= m_text.size()) {
            return std::nullopt;
        }
        Literal lit;
        const char c = m_text[m_pos];
        if (c == '$') {
            ++m_pos;
            lit.kind = Literal::Kind::Variable;
            lit.text = identifier();
            if (lit.text.empty()) {
                return std::nullopt;
            }
        } else if (c == '"') {
            ++m_pos;
            lit.kind = Literal::Kind::String;
            while (m_pos < m_text.size() && m_text[m_pos] != '"') {
                if (m_text[m_pos] == '\\' && m_pos + 1 < m_text.size()) {
                    ++m_pos;
                    const char e = m_text[m_pos];
                    lit.text.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
                } else {
                    lit.text.push_back(m_text[m_pos]);
                }
                ++m_pos;
            }
            if (m_pos >= m_text.size()) {
                return std::nullopt;
            }
            ++m_pos;
        } else if (c == '[') {
            ++m_pos;
            lit.kind = Literal::Kind::List;
            while (true) {
                skipIgnored();
                if (m_pos >= m_text.size()) {
                    return std::nullopt;
                }
                if (m_text[m_pos] == ']') {
                    ++m_pos;
                    break;
                }
                auto item = parseValue();
                if (!item) {
                    return std::nullopt;
                }
                lit.items.push_back(std::move(*item));
            }
        } else if (c == '{') {
            int depth = 0;
            do {
                if (m_text[m_pos] == '{') {
                    ++depth;
                } else if (m_text[m_pos] == '}') {
                    --depth;
                }
                ++m_pos;
            } while (depth > 0 && m_pos < m_text.size());
            if (depth != 0) {
                return std::nullopt;
            }
        } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            const std::size_t start = m_pos++;
            while (m_pos < m_text.size() &&
                   (std::isdigit(static_cast<unsigned char>(m_text[m_pos])) ||
                    m_text[m_pos] == '.' || m_text[m_pos] == 'e')) {
                ++m_pos;
            }
            lit.text = std::string(m_text.substr(start, m_pos - start));
            lit.kind = lit.text.find_first_of(".e") == std::string::npos ? Literal::Kind::Int
                                                                         : Literal::Kind::Other;
        } else if (identChar(c)) {
            lit.text = identifier();
        } else {
            return std::nullopt;
        }
        return lit;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
};

// The position of `name(` as a whole field name in `query`, at its '('.
std::optional<std::size_t> findField(std::string_view query, std::string_view name)
{
    std::size_t from = 0;
    while (true) {
        const std::size_t at = query.find(name, from);
        if (at == std::string_view::npos) {
            return std::nullopt;
        }
        from = at + 1;
        if (at > 0 &&
            (std::isalnum(static_cast<unsigned char>(query[at - 1])) || query[at - 1] == '_')) {
            continue;
        }
        std::size_t p = at + name.size();
        while (p < query.size() && std::isspace(static_cast<unsigned char>(query[p]))) {
            ++p;
        }
        if (p < query.size() && query[p] == '(') {
            return p;
        }
    }
}

json::object location(std::string_view query, std::size_t offset)
{
    std::int64_t line = 1;
    std::int64_t column = 1;
    for (std::size_t i = 0; i < offset && i < query.size(); ++i) {
        if (query[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {{"line", line}, {"column", column}};
}

std::optional<json::value> resolve(const Literal& lit, const json::object& variables)
{
    switch (lit.kind) {
    case Literal::Kind::Variable:
        if (const auto* v = variables.if_contains(lit.text); v != nullptr && !v->is_null()) {
            return *v;
        }
        return std::nullopt;
    case Literal::Kind::Int: {
        std::int64_t n = 0;
        const char* end = lit.text.data() + lit.text.size();
        if (std::from_chars(lit.text.data(), end, n).ptr != end) {
            return json::value(lit.text);
        }
        return json::value(n);
    }
    case Literal::Kind::String:
        return json::value(lit.text);
    case Literal::Kind::List: {
        json::array out;
        for (const auto& item : lit.items) {
            if (auto v = resolve(item, variables)) {
                out.push_back(std::move(*v));
            }
        }
        return json::value(std::move(out));
    }
    case Literal::Kind::Other:
        if (lit.text == "null" || lit.text.empty()) {
            return std::nullopt;
        }
        if (lit.text == "true" || lit.text == "false") {
            return json::value(lit.text == "true");
        }
        return json::value(lit.text);
    }
    return std::nullopt;
}

// An argument from the query text, else the variable of one of the conventional names.
std::optional<json::value> argument(const std::map<std::string, Literal>& args,
                                    const std::string& name, const json::object& variables,
                                    std::initializer_list<std::string_view> variableNames)
{
    if (auto it = args.find(name); it != args.end()) {
        return resolve(it->second, variables);
    }
    for (auto v : variableNames) {
        if (const auto* found = variables.if_contains(v); found != nullptr && !found->is_null()) {
            return *found;
        }
    }
    return std::nullopt;
}

json::object graphQlError(std::string message, std::string_view query, std::size_t offset,
                          json::array path, json::object extensions = {})
{
    json::object e{{"message", std::move(message)},
                   {"locations", json::array{location(query, offset)}},
                   {"path", std::move(path)}};
    if (!extensions.empty()) {
        e["extensions"] = std::move(extensions);
    }
    return e;
}

Response errors(json::object error)
{
    return jsonResponse(200, json::object{{"errors", json::array{std::move(error)}}});
}

// ---- Shopify search syntax, a subset ----

struct Term {
    std::string field; // "" for a free word or phrase
    std::string value;
    bool phrase = false;
    bool negated = false;
};

std::vector<Term> parseSearch(std::string_view q)
{
    std::vector<Term> terms;
    std::size_t pos = 0;
    auto readQuoted = [&](std::string& out) {
        ++pos; // the opening quote
        while (pos < q.size() && q[pos] != '"') {
            if (q[pos] == '\\' && pos + 1 < q.size()) {
                ++pos;
            }
            out.push_back(q[pos++]);
        }
        if (pos < q.size()) {
            ++pos;
        }
    };
    while (pos < q.size()) {
        while (pos < q.size() && (std::isspace(static_cast<unsigned char>(q[pos])) ||
                                  q[pos] == '(' || q[pos] == ')')) {
            ++pos;
        }
        if (pos >= q.size()) {
            break;
        }
        Term term;
        if (q[pos] == '-') {
            term.negated = true;
            ++pos;
        }
        if (pos < q.size() && q[pos] == '"') {
            readQuoted(term.value);
            term.phrase = true;
            terms.push_back(std::move(term));
            continue;
        }
        std::string word;
        while (pos < q.size() && !std::isspace(static_cast<unsigned char>(q[pos])) &&
               q[pos] != ')') {
            if (q[pos] == ':' && term.field.empty() && !word.empty()) {
                term.field = toLower(word);
                word.clear();
                ++pos;
                if (pos < q.size() && q[pos] == '"') {
                    readQuoted(word);
                    term.phrase = true;
                    break;
                }
                continue;
            }
            word.push_back(q[pos++]);
        }
        if (term.field.empty() && (word == "AND" || word == "OR" || word == "NOT")) {
            continue;
        }
        term.value = std::move(word);
        if (!term.value.empty() || !term.field.empty()) {
            terms.push_back(std::move(term));
        }
    }
    return terms;
}

bool wordMatches(std::string_view word, const std::vector<std::string>& candidates)
{
    // Free words match the start of words, as Shopify's search does ("jack*" or "jack").
    std::string w = toLower(word);
    if (!w.empty() && w.back() == '*') {
        w.pop_back();
    }
    return std::any_of(candidates.begin(), candidates.end(),
                       [&](const std::string& c) { return startsWith(c, w); });
}

bool valueMatches(std::string_view actual, std::string value)
{
    if (!value.empty() && value.back() == '*') {
        value.pop_back();
        return startsWith(toLower(actual), toLower(value));
    }
    return iequals(actual, value);
}

} // namespace

ShopifyFake::ShopifyFake()
    : m_token("shpat_" + randomString(32, "0123456789abcdef"))
{}

std::string ShopifyFake::addVariant(const ShopifyVariant& variant)
{
    auto [it, added] = m_products.try_emplace(variant.productTitle, m_nextProduct);
    if (added) {
        ++m_nextProduct;
    }
    Variant v;
    v.id = m_nextVariant++;
    v.productId = it->second;
    v.inventoryItemId = m_nextInventoryItem++;
    v.data = variant;
    m_variants.push_back(std::move(v));
    return std::string(kVariantGid) + std::to_string(m_variants.back().id);
}

ShopifyFake::Variant* ShopifyFake::find(const std::string& gid)
{
    if (!startsWith(gid, kVariantGid)) {
        return nullptr;
    }
    const std::string id = gid.substr(kVariantGid.size());
    for (auto& v : m_variants) {
        if (std::to_string(v.id) == id) {
            return &v;
        }
    }
    return nullptr;
}

bool ShopifyFake::setQuantity(const std::string& variantGid, const std::string& locationGid,
                              std::optional<int> available)
{
    Variant* v = find(variantGid);
    if (v == nullptr) {
        return false;
    }
    if (available) {
        v->data.quantities[locationGid] = *available;
    } else {
        v->data.quantities.erase(locationGid);
    }
    return true;
}

void ShopifyFake::refill(Clock::time_point now)
{
    const double elapsed = std::chrono::duration<double>(now - m_lastRefill).count();
    if (elapsed > 0) {
        m_available = std::min(m_maximum, m_available + elapsed * m_restoreRate);
    }
    m_lastRefill = now;
}

void ShopifyFake::setThrottle(double maximumAvailable, double restoreRate, Clock::time_point now)
{
    m_maximum = maximumAvailable;
    m_restoreRate = restoreRate;
    m_available = maximumAvailable;
    m_lastRefill = now;
}

double ShopifyFake::currentlyAvailable(Clock::time_point now)
{
    refill(now);
    return m_available;
}

json::object ShopifyFake::cost(int requested, std::optional<int> actual) const
{
    json::object c{{"requestedQueryCost", requested}};
    if (actual) {
        c["actualQueryCost"] = *actual;
    } else {
        c["actualQueryCost"] = nullptr;
    }
    c["throttleStatus"] = {
        {"maximumAvailable", m_maximum},
        {"currentlyAvailable", static_cast<std::int64_t>(std::floor(m_available))},
        {"restoreRate", m_restoreRate}};
    return json::object{{"cost", std::move(c)}};
}

Response ShopifyFake::errorResponse(int status) const
{
    std::string message;
    switch (status) {
    case 401:
        message = "[API] Invalid API key or access token (unrecognized login or wrong password)";
        break;
    case 402:
        message = "Unavailable Shop";
        break;
    case 404:
        message = "Not Found";
        break;
    case 423:
        message = "Locked";
        break;
    case 429:
        message = "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                  "uninterrupted service.";
        break;
    default:
        message = reasonPhrase(status);
        break;
    }
    return jsonResponse(status, json::object{{"errors", message}});
}

std::string ShopifyFake::malformedBody()
{
    return R"({"data":{"productVariants":{"edges":[{"cursor":"eyJsYXN0X2lkIjo0NDAw","node":{"id":"gid://shopify/Product)";
}

Response ShopifyFake::handle(const Request& request, Clock::time_point now, Counters& counters)
{
    // POST /admin/api/{version}/graphql.json
    constexpr std::string_view prefix = "/admin/api/";
    constexpr std::string_view suffix = "/graphql.json";
    const std::string_view path = request.path;
    const bool graphQlPath =
        startsWith(path, prefix) && path.size() > prefix.size() + suffix.size() &&
        path.substr(path.size() - suffix.size()) == suffix &&
        path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()).find('/') ==
            std::string_view::npos;
    if (!graphQlPath || request.method != "POST") {
        return errorResponse(404);
    }
    if (request.header("X-Shopify-Access-Token") != m_token || m_token.empty()) {
        ++counters.authFailures;
        return errorResponse(401);
    }

    std::string query;
    json::object variables;
    if (icontains(request.header("Content-Type"), "application/graphql")) {
        query = request.body;
    } else {
        auto body = parseJsonObject(request.body);
        std::optional<std::string> q = body ? stringMember(*body, "query") : std::nullopt;
        if (!q) {
            return jsonResponse(
                400,
                json::object{{"errors", {{"query", "Required parameter missing or invalid"}}}});
        }
        query = std::move(*q);
        if (const auto* v = body->if_contains("variables"); v != nullptr && v->is_object()) {
            variables = v->as_object();
        }
    }
    return productVariants(query, variables, now, counters);
}

Response ShopifyFake::productVariants(const std::string& query, const json::object& variables,
                                      Clock::time_point now, Counters& counters)
{
    const auto open = findField(query, "productVariants");
    if (!open) {
        // Not a query this fake knows: as Shopify answers a field that does not exist.
        const std::size_t brace = query.find('{');
        if (brace == std::string::npos || std::count(query.begin(), query.end(), '{') !=
                                              std::count(query.begin(), query.end(), '}')) {
            return errors({{"message", "syntax error, unexpected end of file"},
                           {"locations", json::array{location(query, query.size())}}});
        }
        std::size_t p = brace + 1;
        while (p < query.size() && std::isspace(static_cast<unsigned char>(query[p]))) {
            ++p;
        }
        std::size_t end = p;
        while (end < query.size() &&
               (std::isalnum(static_cast<unsigned char>(query[end])) || query[end] == '_')) {
            ++end;
        }
        const std::string field = query.substr(p, end - p);
        const bool mutation =
            startsWith(query.substr(query.find_first_not_of(" \t\r\n")), "mutation");
        const std::string type = mutation ? "Mutation" : "QueryRoot";
        return errors(
            graphQlError("Field '" + field + "' doesn't exist on type '" + type + "'", query, p,
                         json::array{mutation ? "mutation" : "query", field},
                         {{"code", "undefinedField"}, {"typeName", type}, {"fieldName", field}}));
    }
    const std::size_t fieldAt = query.rfind("productVariants", *open);
    const auto args = ArgumentParser(query).parse(*open);
    if (!args) {
        return errors({{"message", "syntax error, unexpected invalid token"},
                       {"locations", json::array{location(query, *open)}}});
    }
    const json::array path{"productVariants"};

    const auto firstValue = argument(*args, "first", variables, {"first"});
    if (!firstValue) {
        return errors(graphQlError("you must provide one of first or last", query, fieldAt, path));
    }
    if (!firstValue->is_int64()) {
        return errors(graphQlError("Argument 'first' on Field 'productVariants' has an invalid "
                                   "value. Expected type 'Int'.",
                                   query, fieldAt, path,
                                   {{"code", "argumentLiteralsIncompatible"}}));
    }
    const std::int64_t first = firstValue->as_int64();
    if (first < 0 || first > kMaxPage) {
        return errors(graphQlError("The value of 'first' must be between 0 and " +
                                       std::to_string(kMaxPage) + ".",
                                   query, fieldAt, path, {{"code", "BAD_USER_INPUT"}}));
    }
    std::uint64_t afterId = 0;
    if (auto after = argument(*args, "after", variables, {"after"})) {
        bool ok = false;
        if (after->is_string()) {
            if (auto decoded = base64Decode(after->as_string())) {
                if (auto cursor = parseJsonObject(*decoded)) {
                    if (const auto* last = cursor->if_contains("last_id");
                        last != nullptr && last->is_int64() && last->as_int64() > 0) {
                        afterId = static_cast<std::uint64_t>(last->as_int64());
                        ok = true;
                    }
                }
            }
        }
        if (!ok) {
            return errors(
                graphQlError("Invalid cursor for current pagination sort.", query, fieldAt, path));
        }
    }
    std::string search;
    if (auto q = argument(*args, "query", variables, {"q", "query"}); q && q->is_string()) {
        search = std::string(q->as_string());
    }

    std::optional<std::string> locationGid;
    std::vector<std::string> quantityNames{"available"};
    if (const auto levelOpen = findField(query, "inventoryLevel")) {
        if (const auto levelArgs = ArgumentParser(query).parse(*levelOpen)) {
            if (auto loc = argument(*levelArgs, "locationId", variables, {"loc", "locationId"});
                loc && loc->is_string()) {
                locationGid = std::string(loc->as_string());
            }
        }
    } else if (const auto* loc = variables.if_contains("loc"); loc != nullptr && loc->is_string()) {
        locationGid = std::string(loc->as_string());
    }
    if (locationGid && !startsWith(*locationGid, kLocationGid)) {
        return errors(graphQlError(
            "Invalid global id '" + *locationGid + "'", query, fieldAt, path,
            {{"code", "argumentLiteralsIncompatible"}, {"typeName", "CoercionError"}}));
    }
    if (const auto quantitiesOpen = findField(query, "quantities")) {
        if (const auto qArgs = ArgumentParser(query).parse(*quantitiesOpen)) {
            if (auto names = argument(*qArgs, "names", variables, {}); names && names->is_array()) {
                quantityNames.clear();
                for (const auto& n : names->as_array()) {
                    if (n.is_string()) {
                        quantityNames.emplace_back(n.as_string());
                    }
                }
            }
        }
    }

    // The cost: the bucket must hold the requested cost before the query runs.
    const int requested = 2 + static_cast<int>(first);
    refill(now);
    if (m_available < requested) {
        ++counters.throttled;
        json::object body{
            {"errors",
             json::array{{{"message", "Throttled"},
                          {"extensions",
                           {{"code", "THROTTLED"},
                            {"documentation", "https://shopify.dev/api/usage/rate-limits"}}}}}},
            {"extensions", cost(requested, std::nullopt)}};
        return jsonResponse(200, body);
    }

    const std::vector<Term> terms = parseSearch(search);
    auto matches = [&](const Variant& v) {
        const ShopifyVariant& d = v.data;
        std::vector<std::string> candidates = wordsOf(d.productTitle);
        for (auto& w : wordsOf(d.variantTitle)) {
            candidates.push_back(std::move(w));
        }
        for (auto& w : wordsOf(d.sku)) {
            candidates.push_back(std::move(w));
        }
        for (const auto& option : d.options) {
            for (auto& w : wordsOf(option.second)) {
                candidates.push_back(std::move(w));
            }
        }
        candidates.push_back(toLower(d.sku));
        const std::string displayName = d.productTitle + " - " + d.variantTitle;
        for (const Term& t : terms) {
            bool hit = false;
            if (t.field.empty()) {
                const bool plainWord = std::all_of(t.value.begin(), t.value.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '*';
                });
                hit = (t.phrase || !plainWord)
                          ? (icontains(d.productTitle, t.value) ||
                             icontains(d.variantTitle, t.value) ||
                             icontains(displayName, t.value) || icontains(d.sku, t.value))
                          : wordMatches(t.value, candidates);
            } else if (t.field == "sku") {
                hit = valueMatches(d.sku, t.value);
            } else if (t.field == "title") {
                hit = icontains(d.variantTitle, t.value);
            } else if (t.field == "product_title") {
                hit = icontains(d.productTitle, t.value);
            } else {
                hit = true; // a filter this fake does not know narrows nothing
            }
            if (hit == t.negated) {
                return false;
            }
        }
        return true;
    };

    const std::size_t pageSize =
        std::min(static_cast<std::size_t>(first), std::max<std::size_t>(m_pageSize, 1));
    json::array edges;
    bool hasNext = false;
    std::uint64_t lastId = 0;
    std::uint64_t firstId = 0;
    for (const Variant& v : m_variants) {
        if (v.id <= afterId || !matches(v)) {
            continue;
        }
        if (edges.size() >= pageSize) {
            hasNext = true;
            break;
        }
        const ShopifyVariant& d = v.data;
        json::array options;
        for (const auto& [name, value] : d.options) {
            options.push_back({{"name", name}, {"value", value}});
        }
        json::value level = nullptr;
        if (locationGid) {
            if (auto it = d.quantities.find(*locationGid); it != d.quantities.end()) {
                json::array quantities;
                for (const auto& name : quantityNames) {
                    const bool counted = name == "available" || name == "on_hand";
                    quantities.push_back({{"name", name}, {"quantity", counted ? it->second : 0}});
                }
                level = json::object{{"quantities", std::move(quantities)}};
            }
        }
        const std::string cursor = base64Encode(
            json::serialize(json::object{{"last_id", v.id}, {"last_value", std::to_string(v.id)}}));
        json::object node{
            {"id", std::string(kVariantGid) + std::to_string(v.id)},
            {"sku", d.sku},
            {"title", d.variantTitle},
            {"displayName", d.productTitle + " - " + d.variantTitle},
            {"selectedOptions", std::move(options)},
            {"product",
             {{"id", std::string(kProductGid) + std::to_string(v.productId)},
              {"title", d.productTitle}}},
            {"inventoryItem",
             {{"id", std::string(kInventoryItemGid) + std::to_string(v.inventoryItemId)},
              {"inventoryLevel", std::move(level)}}}};
        edges.push_back({{"cursor", cursor}, {"node", std::move(node)}});
        if (firstId == 0) {
            firstId = v.id;
        }
        lastId = v.id;
    }
    auto cursorOf = [](std::uint64_t id) -> json::value {
        if (id == 0) {
            return nullptr;
        }
        return json::value(base64Encode(
            json::serialize(json::object{{"last_id", id}, {"last_value", std::to_string(id)}})));
    };
    const int actual = 2 + static_cast<int>(edges.size());
    m_available -= actual; // the requested cost, less the refund of requested - actual
    json::object pageInfo{{"hasNextPage", hasNext},
                          {"hasPreviousPage", afterId != 0},
                          {"startCursor", cursorOf(firstId)},
                          {"endCursor", cursorOf(lastId)}};
    json::object body{
        {"data",
         {{"productVariants", {{"edges", std::move(edges)}, {"pageInfo", std::move(pageInfo)}}}}},
        {"extensions", cost(requested, actual)}};
    return jsonResponse(200, body);
}

} // namespace cc::fakes::detail
