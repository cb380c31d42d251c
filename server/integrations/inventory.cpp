#include "server/integrations/inventory.h"

#include "server/integrations/provider_json.h"
#include "shared/util/utf8.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace cc::server::integrations {
namespace {

namespace json = boost::json;
using K = ProviderError::Kind;

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string> words(std::string_view text)
{
    std::vector<std::string> out;
    std::string current;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '.' || c == '-') {
            current.push_back(static_cast<char>(std::tolower(u)));
        } else if (!current.empty()) {
            out.push_back(std::move(current));
            current.clear();
        }
    }
    if (!current.empty()) {
        out.push_back(std::move(current));
    }
    return out;
}

// ---- Shopify: GraphQL Admin API ----

constexpr std::string_view kShopifyQuery =
    "query Stock($q: String!, $first: Int!, $after: String, $loc: ID!) { "
    "productVariants(first: $first, after: $after, query: $q) { "
    "edges { cursor node { id sku title displayName selectedOptions { name value } "
    "product { title } inventoryItem { id inventoryLevel(locationId: $loc) { "
    "quantities(names: [\"available\"]) { name quantity } } } } } "
    "pageInfo { hasNextPage endCursor } } }";

// Shopify's leaky bucket: a throttled query may go again once enough cost has been restored.
std::chrono::milliseconds shopifyThrottleWait(const json::object& body)
{
    const json::value* cost = findPath(body, {"extensions", "cost"});
    const json::value* status = cost != nullptr ? findPath(*cost, {"throttleStatus"}) : nullptr;
    const double requested = numberAt(cost, "requestedQueryCost").value_or(0);
    const double available = numberAt(status, "currentlyAvailable").value_or(0);
    const double restore = numberAt(status, "restoreRate").value_or(0);
    if (restore <= 0 || requested <= available) {
        return std::chrono::milliseconds(1000);
    }
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(std::ceil((requested - available) / restore * 1000.0)));
}

class ShopifyInventory final : public InventoryProvider {
public:
    ShopifyInventory(RetryingCaller& caller, ShopifyConfig config)
        : m_caller(caller)
        , m_config(std::move(config))
    {}

    Provider provider() const override { return Provider::Shopify; }

    Result<StockResult, ProviderError> findStock(const StockQuery& query) override
    {
        StockResult result;
        std::string after;
        for (int page = 0; page < std::max(1, m_config.maxPages); ++page) {
            json::object variables{{"q", query.item},
                                   {"first", std::clamp(m_config.pageSize, 1, 250)},
                                   {"loc", query.locationRef}};
            if (!after.empty()) {
                variables["after"] = after;
            }
            HttpRequest req;
            req.method = "POST";
            req.target = "/admin/api/" + m_config.apiVersion + "/graphql.json";
            req.contentType = "application/json";
            req.headers.emplace_back("X-Shopify-Access-Token", m_config.accessToken);
            req.body = json::serialize(
                json::object{{"query", kShopifyQuery}, {"variables", std::move(variables)}});

            json::value parsed;
            auto answer = m_caller.call(m_config.base, req,
                                        [&](const HttpResponse& r) { return classify(r, parsed); });
            if (!answer) {
                return std::move(answer).error();
            }
            const json::value* connection =
                findPath(parsed.as_object(), {"data", "productVariants"});
            const json::array* edges = arrayAt(connection, "edges");
            if (edges == nullptr) {
                return ProviderError{K::Malformed, "Shopify's answer has no productVariants", 200};
            }
            for (const auto& edge : *edges) {
                const json::value* node =
                    edge.is_object() ? edge.as_object().if_contains("node") : nullptr;
                if (node == nullptr || !node->is_object()) {
                    return ProviderError{K::Malformed, "Shopify sent a variant without a node",
                                         200};
                }
                addVariant(*node, query, result);
            }
            const json::value* pageInfo = connection != nullptr && connection->is_object()
                                              ? connection->as_object().if_contains("pageInfo")
                                              : nullptr;
            const bool more = boolAt(pageInfo, "hasNextPage").value_or(false);
            after = stringAt(pageInfo, "endCursor");
            if (!more || after.empty()) {
                return result;
            }
        }
        result.truncated = true;
        return result;
    }

private:
    static Verdict classify(const HttpResponse& r, json::value& parsed)
    {
        if (r.status == 401 || r.status == 403) {
            return {Verdict::Next::Fail,
                    {K::Unauthorized, "Shopify refused the access token", r.status}};
        }
        if (r.status == 404) {
            return {Verdict::Next::Fail,
                    {K::NotFound, "Shopify: no such shop or API version", r.status}};
        }
        if (r.status == 429) {
            return {Verdict::Next::Retry,
                    {K::RateLimited, "Shopify: too many requests", r.status},
                    r.retryAfter.count() >= 0
                        ? std::chrono::duration_cast<std::chrono::milliseconds>(r.retryAfter)
                        : std::chrono::milliseconds(-1)};
        }
        if (r.status >= 500) {
            return {Verdict::Next::Retry,
                    {K::Unavailable, "Shopify answered " + std::to_string(r.status), r.status}};
        }
        if (r.status != 200) {
            return {Verdict::Next::Fail,
                    {K::Rejected, "Shopify answered " + std::to_string(r.status), r.status}};
        }
        auto body = parseObject(r.body);
        if (!body) {
            return {Verdict::Next::Retry, {K::Malformed, "Shopify: " + body.error(), r.status}};
        }
        if (const json::array* errors = arrayAt(&body.value(), "errors")) {
            for (const auto& e : *errors) {
                if (stringAt(findPath(e, {"extensions"}), "code") == "THROTTLED") {
                    return {Verdict::Next::Retry,
                            {K::RateLimited, "Shopify throttled the query", r.status},
                            shopifyThrottleWait(body.value().as_object())};
                }
            }
            const std::string first =
                errors->empty() ? std::string() : stringAt(&errors->front(), "message");
            return {Verdict::Next::Fail,
                    {K::Rejected, "Shopify refused the query: " + util::clipUtf8(first, 200),
                     r.status}};
        }
        parsed = std::move(body).value();
        return {};
    }

    static void addVariant(const json::value& node, const StockQuery& query, StockResult& out)
    {
        std::vector<std::string> descriptors;
        const std::string title = stringAt(&node, "title");
        descriptors.push_back(title);
        if (const json::array* options = arrayAt(&node, "selectedOptions")) {
            for (const auto& o : *options) {
                descriptors.push_back(stringAt(&o, "value"));
            }
        }
        if (!variantMatches(descriptors, query.colours, query.size)) {
            return;
        }
        StockLine line;
        line.product = stringAt(findPath(node, {"product"}), "title");
        line.variant = title;
        line.sku = stringAt(&node, "sku");
        const json::value* level = findPath(node, {"inventoryItem", "inventoryLevel"});
        if (level != nullptr && level->is_object()) {
            line.stockedHere = true;
            if (const json::array* quantities = arrayAt(level, "quantities")) {
                for (const auto& q : *quantities) {
                    if (stringAt(&q, "name") == "available") {
                        line.available = static_cast<std::int64_t>(
                            std::max(0.0, numberAt(&q, "quantity").value_or(0)));
                    }
                }
            }
        }
        out.lines.push_back(std::move(line));
    }

    RetryingCaller& m_caller;
    ShopifyConfig m_config;
};

// ---- Square: Catalog search, then Inventory counts ----

Verdict classifySquare(const HttpResponse& r, json::value& parsed)
{
    auto body = parseObject(r.body);
    std::string detail;
    if (body) {
        if (const json::array* errors = arrayAt(&body.value(), "errors");
            errors != nullptr && !errors->empty()) {
            detail = stringAt(&errors->front(), "code") + ": " +
                     util::clipUtf8(stringAt(&errors->front(), "detail"), 200);
        }
    }
    const auto error = [&](K kind, std::string what) {
        return ProviderError{kind, "Square " + what + (detail.empty() ? "" : " (" + detail + ")"),
                             r.status};
    };
    if (r.status == 401 || r.status == 403) {
        return {Verdict::Next::Fail, error(K::Unauthorized, "refused the access token")};
    }
    if (r.status == 404) {
        return {Verdict::Next::Fail, error(K::NotFound, "found nothing there")};
    }
    if (r.status == 429) {
        return {Verdict::Next::Retry, error(K::RateLimited, "rate limited us"),
                r.retryAfter.count() >= 0
                    ? std::chrono::duration_cast<std::chrono::milliseconds>(r.retryAfter)
                    : std::chrono::milliseconds(-1)};
    }
    if (r.status >= 500) {
        return {Verdict::Next::Retry,
                error(K::Unavailable, "answered " + std::to_string(r.status))};
    }
    if (r.status != 200) {
        return {Verdict::Next::Fail, error(K::Rejected, "answered " + std::to_string(r.status))};
    }
    if (!body) {
        return {Verdict::Next::Retry, {K::Malformed, "Square: " + body.error(), r.status}};
    }
    parsed = std::move(body).value();
    return {};
}

class SquareInventory final : public InventoryProvider {
public:
    SquareInventory(RetryingCaller& caller, SquareConfig config)
        : m_caller(caller)
        , m_config(std::move(config))
    {}

    Provider provider() const override { return Provider::Square; }

    Result<StockResult, ProviderError> findStock(const StockQuery& query) override
    {
        StockResult result;
        std::vector<std::string> ids; // variation ids, in the order of result.lines
        std::string cursor;
        int page = 0;
        for (; page < std::max(1, m_config.maxPages); ++page) {
            json::object body{{"limit", std::clamp(m_config.pageSize, 1, 100)}};
            if (!query.item.empty()) {
                body["text_filter"] = query.item;
            }
            if (!cursor.empty()) {
                body["cursor"] = cursor;
            }
            json::value parsed;
            auto answer = post("/v2/catalog/search-catalog-items", body, parsed);
            if (!answer) {
                return std::move(answer).error();
            }
            if (const json::array* items = arrayAt(&parsed, "items")) {
                for (const auto& item : *items) {
                    addItem(item, query, result, ids);
                }
            }
            cursor = stringAt(&parsed, "cursor");
            if (cursor.empty()) {
                break;
            }
        }
        result.truncated = !cursor.empty();
        if (ids.empty()) {
            return result;
        }

        // Counts for those variations at the store; a variation without a count has none.
        std::string countCursor;
        for (int countPage = 0; countPage < 10; ++countPage) {
            json::array objectIds;
            for (const auto& id : ids) {
                objectIds.emplace_back(id);
            }
            json::object body{{"catalog_object_ids", std::move(objectIds)},
                              {"location_ids", json::array{json::value(query.locationRef)}},
                              {"states", json::array{"IN_STOCK"}}};
            if (!countCursor.empty()) {
                body["cursor"] = countCursor;
            }
            json::value parsed;
            auto answer = post("/v2/inventory/counts/batch-retrieve", body, parsed);
            if (!answer) {
                return std::move(answer).error();
            }
            if (const json::array* counts = arrayAt(&parsed, "counts")) {
                for (const auto& c : *counts) {
                    if (stringAt(&c, "state") != "IN_STOCK" ||
                        stringAt(&c, "location_id") != query.locationRef) {
                        continue;
                    }
                    const auto at =
                        std::find(ids.begin(), ids.end(), stringAt(&c, "catalog_object_id"));
                    if (at == ids.end()) {
                        continue;
                    }
                    auto& line = result.lines[static_cast<std::size_t>(at - ids.begin())];
                    line.stockedHere = true;
                    line.available += decimalFloor(stringAt(&c, "quantity"));
                }
            }
            countCursor = stringAt(&parsed, "cursor");
            if (countCursor.empty()) {
                break;
            }
        }
        return result;
    }

private:
    Result<HttpResponse, ProviderError> post(const std::string& target, const json::object& body,
                                             json::value& parsed)
    {
        HttpRequest req;
        req.method = "POST";
        req.target = target;
        req.contentType = "application/json";
        req.headers.emplace_back("Authorization", "Bearer " + m_config.accessToken);
        req.headers.emplace_back("Square-Version", m_config.squareVersion);
        req.body = json::serialize(body);
        return m_caller.call(m_config.base, req,
                             [&](const HttpResponse& r) { return classifySquare(r, parsed); });
    }

    static std::int64_t decimalFloor(const std::string& text)
    {
        // Square's quantities are decimal strings ("7", "2.5"): whole items are what we say.
        std::int64_t whole = 0;
        for (const char c : text) {
            if (c == '.') {
                break;
            }
            if (c < '0' || c > '9' || whole > 1'000'000'000) {
                return 0;
            }
            whole = whole * 10 + (c - '0');
        }
        return whole;
    }

    static void addItem(const json::value& item, const StockQuery& query, StockResult& out,
                        std::vector<std::string>& ids)
    {
        const json::value* data = findPath(item, {"item_data"});
        const std::string product = stringAt(data, "name");
        const json::array* variations = arrayAt(data, "variations");
        if (variations == nullptr) {
            return;
        }
        for (const auto& v : *variations) {
            const json::value* vd = findPath(v, {"item_variation_data"});
            const std::string name = stringAt(vd, "name");
            const std::string id = stringAt(&v, "id");
            if (id.empty()) {
                continue;
            }
            // "Blue, Medium": the parts are the option values.
            std::vector<std::string> descriptors{name};
            std::string part;
            for (const char c : name + ",") {
                if (c == ',' || c == '/') {
                    descriptors.push_back(part);
                    part.clear();
                } else {
                    part.push_back(c);
                }
            }
            if (!variantMatches(descriptors, query.colours, query.size)) {
                continue;
            }
            out.lines.push_back({product, name, stringAt(vd, "sku"), 0, false});
            ids.push_back(id);
        }
    }

    RetryingCaller& m_caller;
    SquareConfig m_config;
};

} // namespace

std::unique_ptr<InventoryProvider> makeShopifyInventory(RetryingCaller& caller,
                                                        ShopifyConfig config)
{
    return std::make_unique<ShopifyInventory>(caller, std::move(config));
}

std::unique_ptr<InventoryProvider> makeSquareInventory(RetryingCaller& caller, SquareConfig config)
{
    return std::make_unique<SquareInventory>(caller, std::move(config));
}

std::string normaliseSize(std::string_view text)
{
    std::string t = lower(text);
    std::erase_if(t, [](char c) { return c == ' ' || c == '-' || c == '_'; });
    static const std::pair<std::string_view, std::string_view> kNames[] = {
        {"xxs", "xxs"},
        {"extraextrasmall", "xxs"},
        {"xs", "xs"},
        {"extrasmall", "xs"},
        {"xsmall", "xs"},
        {"s", "s"},
        {"sm", "s"},
        {"small", "s"},
        {"m", "m"},
        {"med", "m"},
        {"medium", "m"},
        {"l", "l"},
        {"lg", "l"},
        {"large", "l"},
        {"xl", "xl"},
        {"extralarge", "xl"},
        {"xlarge", "xl"},
        {"xxl", "xxl"},
        {"2xl", "xxl"},
        {"xxlarge", "xxl"},
        {"extraextralarge", "xxl"},
        {"3xl", "3xl"},
        {"xxxl", "3xl"},
    };
    for (const auto& [name, size] : kNames) {
        if (t == name) {
            return std::string(size);
        }
    }
    // Shoe and dress sizes: "10", "9.5", "42" (UK/EU/US marks are ignored).
    for (const std::string_view mark : {"uk", "eu", "us"}) {
        if (t.starts_with(mark)) {
            t.erase(0, mark.size());
        }
    }
    const bool numeric =
        !t.empty() && t.size() <= 5 && std::isdigit(static_cast<unsigned char>(t[0])) &&
        std::all_of(
            t.begin(), t.end(),
            [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }) &&
        std::count(t.begin(), t.end(), '.') <= 1 && t.back() != '.';
    return numeric ? t : std::string();
}

bool variantMatches(const std::vector<std::string>& descriptors,
                    const std::vector<std::string>& colours, const std::string& size)
{
    std::vector<std::string> all;
    for (const auto& d : descriptors) {
        for (auto& w : words(d)) {
            all.push_back(std::move(w));
        }
    }
    for (const auto& colour : colours) {
        const auto wanted = words(colour);
        for (const auto& w : wanted) {
            if (std::find(all.begin(), all.end(), w) == all.end()) {
                return false;
            }
        }
    }
    if (size.empty()) {
        return true;
    }
    for (const auto& d : descriptors) {
        if (normaliseSize(d) == size) {
            return true;
        }
    }
    return std::any_of(all.begin(), all.end(),
                       [&](const std::string& w) { return normaliseSize(w) == size; });
}

std::string spokenStockAnswer(const StockResult& result, const StockQuery& query,
                              const std::string& storeName)
{
    const std::string where = storeName.empty() ? std::string("this store") : storeName;
    std::vector<const StockLine*> inStock;
    for (const auto& line : result.lines) {
        if (line.stockedHere && line.available > 0) {
            inStock.push_back(&line);
        }
    }
    if (result.lines.empty()) {
        return "I could not find " + query.item + " in our catalogue.";
    }
    if (inStock.empty()) {
        return "I'm sorry, " + query.item + " is not in stock at " + where + " right now.";
    }
    std::string text = "Yes, at " + where + " we have ";
    const std::size_t shown = std::min<std::size_t>(inStock.size(), 4);
    for (std::size_t i = 0; i < shown; ++i) {
        const StockLine& l = *inStock[i];
        if (i > 0) {
            text += i + 1 == shown && shown == inStock.size() ? ", and " : ", ";
        }
        text += std::to_string(l.available) + " of the " + l.product;
        if (!l.variant.empty() && lower(l.variant) != "default title") {
            text += " in " + l.variant;
        }
    }
    if (inStock.size() > shown) {
        text += ", and more options";
    }
    return text + ".";
}

} // namespace cc::server::integrations
