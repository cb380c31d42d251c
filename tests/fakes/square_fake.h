#pragma once

// Private to tests/fakes: the Square fake (Catalog SearchCatalogItems and Inventory
// BatchRetrieveInventoryCounts). Not thread-safe: ProviderFakes calls it under its lock.

#include "tests/fakes/fake_http.h"
#include "tests/fakes/provider_fakes.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace cc::fakes::detail {

class SquareFake {
public:
    SquareFake();

    SquareItem addItem(SquareItem item);
    bool setCount(const std::string& variationId, const std::string& locationId,
                  std::optional<std::string> quantity);
    void setAccessToken(std::string token) { m_token = std::move(token); }
    const std::string& accessToken() const { return m_token; }
    void setPageSize(std::size_t n) { m_pageSize = n; }

    Response handle(const Request& request, Counters& counters);
    // Square's body for an HTTP error status (injected faults, 413, ...).
    static Response errorResponse(int status);
    static std::string malformedBody();

private:
    struct Item {
        SquareItem data;
        Millis createdAt;
    };
    struct Count {
        std::string quantity;
        Millis calculatedAt;
        std::uint64_t sequence = 0;
    };

    Response searchCatalogItems(const boost::json::object& body);
    Response batchRetrieveCounts(const boost::json::object& body);
    std::string newId();
    bool hasVariation(const std::string& variationId) const;

    std::string m_token;
    std::vector<Item> m_items;
    // (variation id, location id) -> IN_STOCK count
    std::map<std::pair<std::string, std::string>, Count> m_counts;
    std::uint64_t m_sequence = 0;
    std::mt19937_64 m_ids{20240717}; // ids are the same from run to run
    std::size_t m_pageSize = 1000;
};

} // namespace cc::fakes::detail
