#include "tests/fakes/square_fake.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace cc::fakes::detail {
namespace {

namespace json = boost::json;

constexpr std::int64_t kSearchMaxLimit = 100;
constexpr std::int64_t kCountsMaxLimit = 1000;
constexpr std::size_t kMaxCatalogObjectIds = 1000;
constexpr std::string_view kDefaultVersion = "2024-07-17";

constexpr std::array<std::string_view, 16> kInventoryStates = {
    "CUSTOM",
    "IN_STOCK",
    "SOLD",
    "RETURNED_BY_CUSTOMER",
    "RESERVED_FOR_SALE",
    "SOLD_ONLINE",
    "ORDERED_FROM_VENDOR",
    "RECEIVED_FROM_VENDOR",
    "IN_TRANSIT_TO",
    "NONE",
    "WASTE",
    "UNLINKED_RETURN",
    "COMPOSED",
    "DECOMPOSED",
    "SUPPORTED_BY_NEWER_VERSION",
    "IN_TRANSIT",
};

Response squareError(int status, std::string_view category, std::string_view code,
                     std::string detail, std::string_view field = {})
{
    json::object e{{"category", category}, {"code", code}, {"detail", std::move(detail)}};
    if (!field.empty()) {
        e["field"] = field;
    }
    return jsonResponse(status, json::object{{"errors", json::array{std::move(e)}}});
}

Response invalid(std::string_view code, std::string detail, std::string_view field)
{
    return squareError(400, "INVALID_REQUEST_ERROR", code, std::move(detail), field);
}

std::string encodeCursor(std::string_view kind, std::size_t offset)
{
    return base64Encode(std::string(kind) + ":" + std::to_string(offset));
}

std::optional<std::size_t> decodeCursor(std::string_view kind, std::string_view cursor)
{
    auto decoded = base64Decode(cursor);
    if (!decoded || !startsWith(*decoded, std::string(kind) + ":")) {
        return std::nullopt;
    }
    std::size_t offset = 0;
    const char* first = decoded->data() + kind.size() + 1;
    const char* last = decoded->data() + decoded->size();
    const auto [end, ec] = std::from_chars(first, last, offset);
    if (ec != std::errc() || end != last) {
        return std::nullopt;
    }
    return offset;
}

// Every word of `query` starts a word of `words`.
bool allTokensMatch(const std::vector<std::string>& tokens, const std::vector<std::string>& words)
{
    return std::all_of(tokens.begin(), tokens.end(), [&](const std::string& t) {
        return std::any_of(words.begin(), words.end(),
                           [&](const std::string& w) { return startsWith(w, t); });
    });
}

// A limit member: nothing when absent, an error answer when not an integer in range.
std::optional<Response> readLimit(const json::object& body, std::int64_t max, std::int64_t& limit)
{
    const auto* v = body.if_contains("limit");
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    if (!v->is_int64()) {
        return invalid("EXPECTED_INTEGER", "Expected an integer value.", "limit");
    }
    limit = v->as_int64();
    if (limit < 1) {
        return invalid("VALUE_TOO_LOW", "`limit` must be greater than or equal to 1.", "limit");
    }
    if (limit > max) {
        return invalid("VALUE_TOO_HIGH",
                       "`limit` must be less than or equal to " + std::to_string(max) + ".",
                       "limit");
    }
    return std::nullopt;
}

// A member that must be an array of strings when present.
std::optional<Response> readStrings(const json::object& body, std::string_view key,
                                    std::optional<std::vector<std::string>>& out)
{
    const auto* v = body.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    if (!v->is_array()) {
        return invalid("EXPECTED_ARRAY", "Expected an array.", key);
    }
    std::vector<std::string> values;
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
        const auto& item = v->as_array()[i];
        if (!item.is_string()) {
            return invalid("EXPECTED_STRING", "Expected a string value.",
                           std::string(key) + "[" + std::to_string(i) + "]");
        }
        values.emplace_back(item.as_string());
    }
    out = std::move(values);
    return std::nullopt;
}

} // namespace

SquareFake::SquareFake()
    : m_token("EAAA" + randomString(60, kAlnum))
{}

std::string SquareFake::newId()
{
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string id;
    for (int i = 0; i < 24; ++i) {
        id.push_back(alphabet[m_ids() % alphabet.size()]);
    }
    return id;
}

SquareItem SquareFake::addItem(SquareItem item)
{
    if (item.id.empty()) {
        item.id = newId();
    }
    for (auto& v : item.variations) {
        if (v.id.empty()) {
            v.id = newId();
        }
    }
    m_items.push_back({item, nowMillis()});
    return item;
}

bool SquareFake::hasVariation(const std::string& variationId) const
{
    return std::any_of(m_items.begin(), m_items.end(), [&](const Item& item) {
        return std::any_of(item.data.variations.begin(), item.data.variations.end(),
                           [&](const SquareVariation& v) { return v.id == variationId; });
    });
}

bool SquareFake::setCount(const std::string& variationId, const std::string& locationId,
                          std::optional<std::string> quantity)
{
    if (!hasVariation(variationId)) {
        return false;
    }
    const auto key = std::make_pair(variationId, locationId);
    if (!quantity) {
        m_counts.erase(key);
        return true;
    }
    m_counts[key] = Count{std::move(*quantity), nowMillis(), ++m_sequence};
    return true;
}

Response SquareFake::errorResponse(int status)
{
    switch (status) {
    case 400:
        return invalid("BAD_REQUEST", "Bad request.", {});
    case 401:
        return squareError(status, "AUTHENTICATION_ERROR", "UNAUTHORIZED",
                           "This request could not be authorized.");
    case 403:
        return squareError(status, "AUTHENTICATION_ERROR", "FORBIDDEN",
                           "You are not allowed to perform this action.");
    case 404:
        return squareError(status, "INVALID_REQUEST_ERROR", "NOT_FOUND", "Resource not found.");
    case 409:
        return squareError(status, "INVALID_REQUEST_ERROR", "CONFLICT", "Conflict.");
    case 413:
        return squareError(status, "INVALID_REQUEST_ERROR", "REQUEST_ENTITY_TOO_LARGE",
                           "The request body is too large.");
    case 429:
        return squareError(status, "RATE_LIMIT_ERROR", "RATE_LIMITED",
                           "Rate limit exceeded. Retry the request with exponential backoff.");
    case 502:
        return squareError(status, "API_ERROR", "BAD_GATEWAY", "Bad gateway.");
    case 503:
        return squareError(status, "API_ERROR", "SERVICE_UNAVAILABLE",
                           "The service is temporarily unavailable.");
    case 504:
        return squareError(status, "API_ERROR", "GATEWAY_TIMEOUT", "Gateway timeout.");
    default:
        if (status >= 500) {
            return squareError(status, "API_ERROR", "INTERNAL_SERVER_ERROR",
                               "An internal error has occurred.");
        }
        return squareError(status, "INVALID_REQUEST_ERROR", "BAD_REQUEST", reasonPhrase(status));
    }
}

std::string SquareFake::malformedBody()
{
    return R"({"items":[{"type":"ITEM","id":"W62UWFY35CWMYGVWK6TWJDNI","item_data":{"name":"Rain Jac)";
}

Response SquareFake::handle(const Request& request, Counters& counters)
{
    const bool search = request.path == "/v2/catalog/search-catalog-items";
    const bool counts = request.path == "/v2/inventory/counts/batch-retrieve";
    Response r;
    if ((!search && !counts) || request.method != "POST") {
        r = squareError(404, "INVALID_REQUEST_ERROR", "NOT_FOUND",
                        "API endpoint for URL path `" + request.path + "` and HTTP method `" +
                            request.method + "` is not found.");
    } else if (const std::string auth = request.header("Authorization");
               m_token.empty() || auth != "Bearer " + m_token) {
        ++counters.authFailures;
        r = errorResponse(401);
    } else if (auto body = parseJsonObject(request.body.empty() ? "{}" : request.body); !body) {
        r = invalid("EXPECTED_JSON_BODY", "The request body is not a JSON object.", {});
    } else {
        r = search ? searchCatalogItems(*body) : batchRetrieveCounts(*body);
    }
    const std::string version = request.header("Square-Version");
    r.headers.emplace_back("Square-Version",
                           version.empty() ? std::string(kDefaultVersion) : version);
    return r;
}

Response SquareFake::searchCatalogItems(const json::object& body)
{
    std::int64_t limit = kSearchMaxLimit;
    if (auto error = readLimit(body, kSearchMaxLimit, limit)) {
        return *error;
    }
    std::string text;
    if (const auto* v = body.if_contains("text_filter"); v != nullptr && !v->is_null()) {
        if (!v->is_string()) {
            return invalid("EXPECTED_STRING", "Expected a string value.", "text_filter");
        }
        text = std::string(v->as_string());
    }
    bool descending = false;
    if (const auto* v = body.if_contains("sort_order"); v != nullptr && !v->is_null()) {
        if (!v->is_string() || (v->as_string() != "ASC" && v->as_string() != "DESC")) {
            return invalid("INVALID_ENUM_VALUE", "Expected ASC or DESC.", "sort_order");
        }
        descending = v->as_string() == "DESC";
    }
    std::size_t offset = 0;
    if (const auto* v = body.if_contains("cursor"); v != nullptr && !v->is_null()) {
        const auto decoded = v->is_string() ? decodeCursor("items", v->as_string()) : std::nullopt;
        if (!decoded) {
            return invalid("INVALID_CURSOR", "The cursor is not valid.", "cursor");
        }
        offset = *decoded;
    }

    // Items whose name, description or one variation's name or SKU hold every word of the
    // filter (as word prefixes), in the order of their names.
    // A filter that starts some variation's SKU is a SKU search: only those variations match.
    const std::vector<std::string> tokens = wordsOf(text);
    const std::string skuPrefix = toLower(text);
    const bool skuSearch =
        !tokens.empty() && skuPrefix.find(' ') == std::string::npos &&
        std::any_of(m_items.begin(), m_items.end(), [&](const Item& item) {
            return std::any_of(
                item.data.variations.begin(), item.data.variations.end(),
                [&](const SquareVariation& v) { return startsWith(toLower(v.sku), skuPrefix); });
        });
    std::vector<const Item*> sorted;
    for (const auto& item : m_items) {
        sorted.push_back(&item);
    }
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Item* a, const Item* b) {
        const auto an = toLower(a->data.name);
        const auto bn = toLower(b->data.name);
        return descending ? bn < an : an < bn;
    });
    std::vector<std::pair<const Item*, std::vector<std::string>>> matched;
    for (const Item* item : sorted) {
        std::vector<std::string> itemWords = wordsOf(item->data.name);
        for (auto& w : wordsOf(item->data.description)) {
            itemWords.push_back(std::move(w));
        }
        std::vector<std::string> variationIds;
        for (const auto& v : item->data.variations) {
            if (skuSearch) {
                if (startsWith(toLower(v.sku), skuPrefix)) {
                    variationIds.push_back(v.id);
                }
                continue;
            }
            std::vector<std::string> words = itemWords;
            for (auto& w : wordsOf(v.name)) {
                words.push_back(std::move(w));
            }
            for (auto& w : wordsOf(v.sku)) {
                words.push_back(std::move(w));
            }
            words.push_back(toLower(v.sku));
            if (allTokensMatch(tokens, words)) {
                variationIds.push_back(v.id);
            }
        }
        if (!variationIds.empty() || (!skuSearch && allTokensMatch(tokens, itemWords))) {
            matched.emplace_back(item, std::move(variationIds));
        }
    }

    const std::size_t page =
        std::min(static_cast<std::size_t>(limit), std::max<std::size_t>(m_pageSize, 1));
    json::array items;
    json::array matchedIds;
    for (std::size_t i = offset; i < matched.size() && items.size() < page; ++i) {
        const Item& item = *matched[i].first;
        const std::string updated = formatRfc3339(item.createdAt, true);
        const auto version = static_cast<std::int64_t>(item.createdAt.time_since_epoch().count());
        json::array variations;
        std::int64_t ordinal = 0;
        for (const auto& v : item.data.variations) {
            json::object data{{"item_id", item.data.id},
                              {"name", v.name},
                              {"sku", v.sku},
                              {"ordinal", ++ordinal},
                              {"pricing_type", v.priceCents ? "FIXED_PRICING" : "VARIABLE_PRICING"},
                              {"track_inventory", true},
                              {"sellable", true},
                              {"stockable", true}};
            if (v.priceCents) {
                data["price_money"] = {{"amount", *v.priceCents}, {"currency", "USD"}};
            }
            variations.push_back({{"type", "ITEM_VARIATION"},
                                  {"id", v.id},
                                  {"updated_at", updated},
                                  {"created_at", updated},
                                  {"version", version},
                                  {"is_deleted", false},
                                  {"present_at_all_locations", true},
                                  {"item_variation_data", std::move(data)}});
        }
        json::object itemData{{"name", item.data.name},
                              {"variations", std::move(variations)},
                              {"product_type", "REGULAR"}};
        if (!item.data.description.empty()) {
            itemData["description"] = item.data.description;
        }
        items.push_back({{"type", "ITEM"},
                         {"id", item.data.id},
                         {"updated_at", updated},
                         {"created_at", updated},
                         {"version", version},
                         {"is_deleted", false},
                         {"present_at_all_locations", true},
                         {"item_data", std::move(itemData)}});
        for (const auto& id : matched[i].second) {
            matchedIds.push_back(json::value(id));
        }
    }
    // Square leaves out empty lists, and the cursor on the last page.
    json::object out;
    if (!items.empty()) {
        out["items"] = std::move(items);
    }
    if (!matchedIds.empty() && !tokens.empty()) {
        out["matched_variation_ids"] = std::move(matchedIds);
    }
    if (offset + page < matched.size()) {
        out["cursor"] = encodeCursor("items", offset + page);
    }
    return jsonResponse(200, out);
}

Response SquareFake::batchRetrieveCounts(const json::object& body)
{
    std::int64_t limit = kCountsMaxLimit;
    if (auto error = readLimit(body, kCountsMaxLimit, limit)) {
        return *error;
    }
    std::optional<std::vector<std::string>> objectIds;
    std::optional<std::vector<std::string>> locationIds;
    std::optional<std::vector<std::string>> states;
    if (auto error = readStrings(body, "catalog_object_ids", objectIds)) {
        return *error;
    }
    if (objectIds && objectIds->size() > kMaxCatalogObjectIds) {
        return invalid("ARRAY_LENGTH_TOO_LONG",
                       "`catalog_object_ids` must hold at most 1000 elements.",
                       "catalog_object_ids");
    }
    if (auto error = readStrings(body, "location_ids", locationIds)) {
        return *error;
    }
    if (auto error = readStrings(body, "states", states)) {
        return *error;
    }
    if (states) {
        for (std::size_t i = 0; i < states->size(); ++i) {
            if (std::find(kInventoryStates.begin(), kInventoryStates.end(), (*states)[i]) ==
                kInventoryStates.end()) {
                return invalid("INVALID_ENUM_VALUE",
                               "`" + (*states)[i] + "` is not a valid InventoryState.",
                               "states[" + std::to_string(i) + "]");
            }
        }
    }
    std::optional<Millis> updatedAfter;
    if (const auto* v = body.if_contains("updated_after"); v != nullptr && !v->is_null()) {
        updatedAfter = v->is_string() ? parseRfc3339(v->as_string()) : std::nullopt;
        if (!updatedAfter) {
            return invalid("INVALID_TIME", "`updated_after` is not an RFC 3339 time.",
                           "updated_after");
        }
    }
    std::size_t offset = 0;
    if (const auto* v = body.if_contains("cursor"); v != nullptr && !v->is_null()) {
        const auto decoded = v->is_string() ? decodeCursor("counts", v->as_string()) : std::nullopt;
        if (!decoded) {
            return invalid("INVALID_CURSOR", "The cursor is not valid.", "cursor");
        }
        offset = *decoded;
    }

    auto listed = [](const std::optional<std::vector<std::string>>& filter, const std::string& s) {
        return !filter || std::find(filter->begin(), filter->end(), s) != filter->end();
    };
    // Only IN_STOCK is kept; untracked variations have no count at all.
    std::vector<std::pair<const std::pair<std::string, std::string>*, const Count*>> found;
    if (listed(states, "IN_STOCK")) {
        for (const auto& [key, count] : m_counts) {
            if (listed(objectIds, key.first) && listed(locationIds, key.second) &&
                (!updatedAfter || count.calculatedAt > *updatedAfter)) {
                found.emplace_back(&key, &count);
            }
        }
    }
    // Newest first, as documented.
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        if (a.second->calculatedAt != b.second->calculatedAt) {
            return a.second->calculatedAt > b.second->calculatedAt;
        }
        return a.second->sequence > b.second->sequence;
    });

    const std::size_t page =
        std::min(static_cast<std::size_t>(limit), std::max<std::size_t>(m_pageSize, 1));
    json::array counts;
    for (std::size_t i = offset; i < found.size() && counts.size() < page; ++i) {
        counts.push_back({{"catalog_object_id", found[i].first->first},
                          {"catalog_object_type", "ITEM_VARIATION"},
                          {"state", "IN_STOCK"},
                          {"location_id", found[i].first->second},
                          {"quantity", found[i].second->quantity},
                          {"calculated_at", formatRfc3339(found[i].second->calculatedAt, true)}});
    }
    json::object out;
    if (!counts.empty()) {
        out["counts"] = std::move(counts);
    }
    if (offset + page < found.size()) {
        out["cursor"] = encodeCursor("counts", offset + page);
    }
    return jsonResponse(200, out);
}

} // namespace cc::fakes::detail
