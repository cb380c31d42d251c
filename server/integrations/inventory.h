#pragma once

#include "server/integrations/resilience.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// Stock at a store, from the organisation's commerce platform. One interface; the adapter is
// chosen per organisation (docs/integrations.md): Shopify's GraphQL Admin API or Square's
// Catalog and Inventory APIs.
namespace cc::server::integrations {

struct StockQuery {
    std::string item;                 // product words, "rain jacket"
    std::vector<std::string> colours; // "blue"
    std::string size;                 // normalised: "xs".."xxl", or a number ("10", "9.5")
    std::string locationRef;          // the provider's id of the store's location
};

struct StockLine {
    std::string product; // "Rain Jacket"
    std::string variant; // "Blue / M"
    std::string sku;
    std::int64_t available = 0;
    bool stockedHere = false; // the location carries this variant at all
};

struct StockResult {
    std::vector<StockLine> lines; // the variants that match the colours and size asked for
    bool truncated = false;       // more products matched than we read (a vague item)
};

class InventoryProvider {
public:
    virtual ~InventoryProvider() = default;
    virtual Provider provider() const = 0;
    virtual Result<StockResult, ProviderError> findStock(const StockQuery& query) = 0;
};

struct ShopifyConfig {
    BaseUrl base; // https://{shop}.myshopify.com
    std::string accessToken;
    std::string apiVersion = "2024-07";
    int pageSize = 50;
    int maxPages = 4;
};

struct SquareConfig {
    BaseUrl base; // https://connect.squareup.com
    std::string accessToken;
    std::string squareVersion = "2024-07-17";
    int pageSize = 100;
    int maxPages = 4;
};

std::unique_ptr<InventoryProvider> makeShopifyInventory(RetryingCaller& caller,
                                                        ShopifyConfig config);
std::unique_ptr<InventoryProvider> makeSquareInventory(RetryingCaller& caller, SquareConfig config);

// "m" for "Medium", "M", "med"; "xl" for "Extra Large", "X-Large"; numbers as they are; ""
// when the text is not a size.
std::string normaliseSize(std::string_view text);

// Whether a variant described by these words (its title, option values) is the colours and size
// asked for. Words compare case-insensitively; a size matches when any word, or the whole
// description of an option, normalises to it.
bool variantMatches(const std::vector<std::string>& descriptors,
                    const std::vector<std::string>& colours, const std::string& size);

// What the caller hears: "Yes, we have 7 of the Rain Jacket in Blue / M at Camden." One line
// per variant (at most four, then "and more sizes"), or that none is in stock here.
std::string spokenStockAnswer(const StockResult& result, const StockQuery& query,
                              const std::string& storeName);

} // namespace cc::server::integrations
