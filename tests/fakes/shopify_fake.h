#pragma once

// Private to tests/fakes: the Shopify GraphQL Admin API fake (POST
// /admin/api/VERSION/graphql.json). Not thread-safe: ProviderFakes calls it under its lock.

#include "tests/fakes/fake_http.h"
#include "tests/fakes/provider_fakes.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cc::fakes::detail {

class ShopifyFake {
public:
    ShopifyFake();

    std::string addVariant(const ShopifyVariant& variant);
    bool setQuantity(const std::string& variantGid, const std::string& locationGid,
                     std::optional<int> available);
    void setAccessToken(std::string token) { m_token = std::move(token); }
    const std::string& accessToken() const { return m_token; }
    void setThrottle(double maximumAvailable, double restoreRate, Clock::time_point now);
    double currentlyAvailable(Clock::time_point now);
    void setPageSize(std::size_t n) { m_pageSize = n; }

    Response handle(const Request& request, Clock::time_point now, Counters& counters);
    // Shopify's body for an HTTP error status (injected faults, 413, ...).
    Response errorResponse(int status) const;
    static std::string malformedBody();

private:
    struct Variant {
        std::uint64_t id = 0;
        std::uint64_t productId = 0;
        std::uint64_t inventoryItemId = 0;
        ShopifyVariant data;
    };

    Response productVariants(const std::string& query, const boost::json::object& variables,
                             Clock::time_point now, Counters& counters);
    void refill(Clock::time_point now);
    boost::json::object cost(int requested, std::optional<int> actual) const;
    Variant* find(const std::string& gid);

    std::string m_token;
    std::vector<Variant> m_variants; // by id
    std::map<std::string, std::uint64_t> m_products;
    std::uint64_t m_nextVariant = 44'000'000'001;
    std::uint64_t m_nextProduct = 8'800'000'001;
    std::uint64_t m_nextInventoryItem = 46'100'000'001;
    double m_maximum = 2000.0;
    double m_restoreRate = 100.0;
    double m_available = 2000.0;
    Clock::time_point m_lastRefill = Clock::now();
    std::size_t m_pageSize = 250;
};

} // namespace cc::fakes::detail
