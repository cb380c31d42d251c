#include "tests/fakes/demo_catalogue.h"

#include "tests/fakes/fake_http.h"

#include <boost/json.hpp>

#include <array>
#include <cctype>
#include <chrono>
#include <vector>

namespace cc::fakes {
namespace {

namespace json = boost::json;

struct Product {
    std::string title;
    std::string skuPrefix;
    std::vector<std::string> colors; // empty: one colour
    std::vector<std::string> sizes;  // empty: one size
    std::int64_t priceCents;
};

const std::vector<Product>& products()
{
    static const std::vector<Product> all = {
        {"Rain Jacket", "RJ", {"Blue", "Red", "Yellow"}, {"S", "M", "L"}, 8900},
        {"Trail Boots", "TB", {"Brown", "Black"}, {"8", "9", "10", "11"}, 12900},
        {"Waterproof Trousers", "WT", {"Black"}, {"S", "M", "L"}, 6900},
        {"Wool Beanie", "WB", {"Grey", "Navy"}, {}, 2400},
        {"Hiking Socks", "HS", {}, {"M", "L"}, 1500},
        {"Puffer Vest", "PV", {"Green", "Black"}, {"M", "L"}, 7900},
    };
    return all;
}

std::string sizeName(const std::string& size)
{
    if (size == "S") {
        return "Small";
    }
    if (size == "M") {
        return "Medium";
    }
    if (size == "L") {
        return "Large";
    }
    return "Size " + size;
}

std::string code(const std::string& text)
{
    return detail::toLower(text).substr(0, 3);
}

std::string shopifyLocation(int store)
{
    return "gid://shopify/Location/" + std::to_string(store);
}

std::string squareLocation(int store)
{
    return "L" + std::to_string(store);
}

std::string calendarOf(int store)
{
    return "store-" + std::to_string(store) + "@calendar.example";
}

} // namespace

void loadDemoCatalogue(ProviderFakes& fakes)
{
    fakes.setShopifyAccessToken("shpat_demo_callcommander_0000000000");
    fakes.setSquareAccessToken("EAAAdemo_callcommander_square_token");
    fakes.setGoogleCredentials({"123456789012-demo.apps.googleusercontent.com",
                                "GOCSPX-demo_callcommander_secret",
                                "1//0gdemo_callcommander_refresh_token"});

    int productIndex = 0;
    for (const Product& p : products()) {
        ++productIndex;
        const std::vector<std::string> colors =
            p.colors.empty() ? std::vector<std::string>{""} : p.colors;
        const std::vector<std::string> sizes =
            p.sizes.empty() ? std::vector<std::string>{""} : p.sizes;
        SquareItem item;
        item.name = p.title;
        item.description = p.title + " from the demo shop";
        struct Stock {
            std::string sku;
            std::array<std::optional<int>, kDemoStores> perStore;
        };
        std::vector<Stock> stock;
        int variantIndex = 0;
        for (const auto& color : colors) {
            for (const auto& size : sizes) {
                ++variantIndex;
                ShopifyVariant v;
                v.productTitle = p.title;
                std::string sku = p.skuPrefix;
                std::string squareName;
                if (!color.empty()) {
                    v.options.emplace_back("Color", color);
                    v.variantTitle = color;
                    sku += "-" + detail::toLower(code(color));
                    squareName = color;
                }
                if (!size.empty()) {
                    v.options.emplace_back("Size", size);
                    v.variantTitle += (v.variantTitle.empty() ? "" : " / ") + size;
                    sku += "-" + size;
                    squareName += (squareName.empty() ? "" : ", ") + sizeName(size);
                }
                for (auto& c : sku) {
                    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                }
                v.sku = sku;
                Stock s{sku, {}};
                for (int store = 1; store <= kDemoStores; ++store) {
                    // The last store, a small one, does not carry every variant.
                    if (store == kDemoStores && (productIndex + variantIndex) % 3 == 0) {
                        continue;
                    }
                    const int quantity = (productIndex * 7 + variantIndex * 3 + store * 5) % 11;
                    v.quantities[shopifyLocation(store)] = quantity;
                    s.perStore[static_cast<std::size_t>(store - 1)] = quantity;
                }
                fakes.addShopifyVariant(v);
                item.variations.push_back({"", squareName, sku, p.priceCents});
                stock.push_back(std::move(s));
            }
        }
        const SquareItem added = fakes.addSquareItem(item);
        for (std::size_t i = 0; i < added.variations.size(); ++i) {
            for (int store = 1; store <= kDemoStores; ++store) {
                if (const auto q = stock[i].perStore[static_cast<std::size_t>(store - 1)]) {
                    fakes.setSquareCount(added.variations[i].id, squareLocation(store),
                                         std::to_string(*q));
                }
            }
        }
    }

    // Appointments tomorrow (UTC), so that free/busy has something to say.
    using namespace std::chrono;
    const auto tomorrow = floor<days>(system_clock::now()) + days(1);
    auto at = [&](int hour, int minute) {
        return detail::formatRfc3339(
            time_point_cast<milliseconds>(tomorrow) + hours(hour) + minutes(minute), false);
    };
    for (int store = 1; store <= kDemoStores; ++store) {
        fakes.addGoogleCalendar(calendarOf(store));
        CalendarEvent fitting;
        fitting.summary = "Boot fitting";
        fitting.startDateTime = at(9 + store, 0);
        fitting.endDateTime = at(10 + store, 0);
        fitting.startTimeZone = fitting.endTimeZone = "UTC";
        fakes.addCalendarEvent(calendarOf(store), fitting);
        if (store <= 2) {
            CalendarEvent delivery;
            delivery.summary = "Stock delivery";
            delivery.startDateTime = at(14, 0);
            delivery.endDateTime = at(14, 30);
            delivery.startTimeZone = delivery.endTimeZone = "UTC";
            fakes.addCalendarEvent(calendarOf(store), delivery);
        }
    }
}

std::string demoConfiguration(const ProviderFakes& fakes)
{
    const std::string base = fakes.baseUrl();
    const GoogleCredentials google = fakes.googleCredentials();
    json::array stores;
    json::array shopifyLocations;
    json::array squareLocations;
    json::array calendars;
    for (int store = 1; store <= kDemoStores; ++store) {
        stores.push_back({{"store", store},
                          {"shopifyLocation", shopifyLocation(store)},
                          {"squareLocation", squareLocation(store)},
                          {"calendar", calendarOf(store)}});
        shopifyLocations.push_back(json::value(shopifyLocation(store)));
        squareLocations.push_back(json::value(squareLocation(store)));
        calendars.push_back(json::value(calendarOf(store)));
    }
    const json::object config{{"baseUrl", base},
                              {"shopify",
                               {{"baseUrl", base},
                                {"apiVersion", "2024-07"},
                                {"graphqlUrl", base + "/admin/api/2024-07/graphql.json"},
                                {"accessToken", fakes.shopifyAccessToken()},
                                {"locations", std::move(shopifyLocations)}}},
                              {"square",
                               {{"baseUrl", base},
                                {"accessToken", fakes.squareAccessToken()},
                                {"locations", std::move(squareLocations)}}},
                              {"google",
                               {{"tokenUrl", base + "/token"},
                                {"calendarBaseUrl", base + "/calendar/v3"},
                                {"clientId", google.clientId},
                                {"clientSecret", google.clientSecret},
                                {"refreshToken", google.refreshToken},
                                {"calendars", std::move(calendars)}}},
                              {"stores", std::move(stores)}};
    return json::serialize(config);
}

} // namespace cc::fakes
