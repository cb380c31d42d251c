#pragma once

// Local fakes of the three providers the server talks to, on one HTTPS port for the tests and the
// demo: the Shopify GraphQL Admin API (product variants with inventory levels), Square (catalog
// item search and inventory counts) and Google (the OAuth 2.0 token endpoint and Calendar v3
// freeBusy and events). Each follows its provider's documented request and answer shapes, auth
// headers, error bodies, rate limiting and pagination; see README.md here for the details and
// where a fake simplifies.
//
// Beast and Asio stay behind this interface. Every member function is thread-safe: tests set
// things up, inject faults and inspect state from their own thread while the fakes serve on
// theirs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cc::fakes {

enum class Provider { Shopify, Square, Google };

// One fault, consumed by the next request to its provider whose path contains `pathContains`
// (any request when empty). Faults of one provider are consumed in the order injected.
struct Fault {
    enum class Kind {
        Status,          // answer `httpStatus` with `body` (empty: the provider's own error body)
        Delay,           // wait `delay`, then answer as usual (for client timeouts)
        MalformedJson,   // answer 200 with a cut-off JSON body
        CloseConnection, // close the connection without answering
    };
    Kind kind = Kind::Status;
    int httpStatus = 500;
    std::string body;
    std::optional<int> retryAfterSeconds; // a Retry-After header on a Status fault
    std::chrono::milliseconds delay{0};
    std::string pathContains;

    static Fault error(int status, std::optional<int> retryAfterSeconds = std::nullopt,
                       std::string body = {});
    static Fault delayed(std::chrono::milliseconds delay);
    static Fault malformedJson();
    static Fault closeConnection();
    // Only requests whose path contains `part` consume this fault.
    Fault& onPath(std::string part) &;
    Fault&& onPath(std::string part) &&;
};

// One request as the fakes received it.
struct RecordedRequest {
    std::string method;
    std::string target; // path and query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // The first header of that name (case-insensitive), or "" when absent.
    std::string header(const std::string& name) const;
};

struct Counters {
    std::size_t requests = 0;      // every request routed to this provider
    std::size_t authFailures = 0;  // 401s for a missing or wrong credential or token
    std::size_t faultsApplied = 0; // injected faults consumed
    std::size_t throttled = 0;     // Shopify THROTTLED answers
    std::size_t tokensIssued = 0;  // Google access tokens issued
};

// ---- Shopify ----

struct ShopifyVariant {
    std::string productTitle; // "Rain Jacket"; variants with the same title share a product
    std::string variantTitle; // "Blue / M"
    std::string sku;          // "RJ-BLU-M"
    std::vector<std::pair<std::string, std::string>> options; // {"Color", "Blue"}, {"Size", "M"}
    // Available quantity per location gid ("gid://shopify/Location/1"); a location not listed
    // does not stock the item (its inventoryLevel is null there).
    std::map<std::string, int> quantities;
};

// ---- Square ----

struct SquareVariation {
    std::string id;   // generated when empty
    std::string name; // "Blue, Medium"
    std::string sku;  // "RJ-BLU-M"
    std::optional<std::int64_t> priceCents;
};

struct SquareItem {
    std::string id; // generated when empty
    std::string name;
    std::string description;
    std::vector<SquareVariation> variations;
};

// ---- Google ----

struct GoogleCredentials {
    std::string clientId;
    std::string clientSecret;
    std::string refreshToken;
};

// A Calendar event as the fake holds it (the resource the API returns is in `json`).
struct CalendarEvent {
    std::string id;
    std::string status; // "confirmed", "tentative" or "cancelled" (deleted)
    std::string summary;
    std::string description;
    std::string location;
    std::string startDateTime;
    std::string startTimeZone;
    std::string endDateTime;
    std::string endTimeZone;
    std::map<std::string, std::string> privateProperties; // extendedProperties.private
    std::string json;
};

class ProviderFakes {
public:
    ProviderFakes(std::string certFile, std::string keyFile);
    ~ProviderFakes();
    ProviderFakes(const ProviderFakes&) = delete;
    ProviderFakes& operator=(const ProviderFakes&) = delete;

    // Loads the certificate and key, listens on 127.0.0.1:`port` (0: any free port) and serves
    // on a thread of its own. Throws std::runtime_error with a readable message on failure.
    void start(std::uint16_t port = 0);
    // Closes every connection and joins the thread; also done by the destructor.
    void stop();
    std::uint16_t port() const;
    std::string baseUrl() const; // "https://127.0.0.1:PORT"

    // Requests with a larger body are answered 413 (1 MiB unless changed).
    void setMaxBodyBytes(std::size_t bytes);
    // The most a page holds, below the provider's own maximum, so that tests can force
    // pagination: Shopify returns min(first, n) edges, Square min(limit, n) objects.
    void setPageSize(Provider provider, std::size_t n);

    // ---- Shopify ----
    // Adds a variant; returns its gid ("gid://shopify/ProductVariant/...").
    std::string addShopifyVariant(const ShopifyVariant& variant);
    // Sets the available quantity at a location (std::nullopt: not stocked there). False for an
    // unknown variant.
    bool setShopifyQuantity(const std::string& variantGid, const std::string& locationGid,
                            std::optional<int> available);
    void setShopifyAccessToken(std::string token);
    std::string shopifyAccessToken() const;
    // The cost leaky bucket (2000 points restored at 100 per second unless changed). It starts
    // full. A productVariants query requests 2 + first points and costs 2 + the edges returned.
    void setShopifyThrottle(double maximumAvailable, double restoreRatePerSecond);
    double shopifyCurrentlyAvailable() const;

    // ---- Square ----
    // Adds an item with its variations; returns it with the generated ids filled in.
    SquareItem addSquareItem(SquareItem item);
    // The IN_STOCK count of a variation at a location, a decimal string ("7", "2.5"); nothing
    // removes the count (as an untracked variation, it is then absent from answers). False for
    // an unknown variation.
    bool setSquareCount(const std::string& variationId, const std::string& locationId,
                        std::optional<std::string> quantity);
    void setSquareAccessToken(std::string token);
    std::string squareAccessToken() const;

    // ---- Google ----
    void setGoogleCredentials(GoogleCredentials credentials);
    GoogleCredentials googleCredentials() const;
    void addGoogleCalendar(const std::string& calendarId);
    // expires_in of new access tokens (3599 s unless changed).
    void setGoogleAccessTokenLifetime(std::chrono::seconds lifetime);
    // Every access token issued so far stops working (401), as after their hour.
    void expireAccessTokens();
    // An access token as the token endpoint would issue it, for tests of the Calendar part.
    std::string issueGoogleAccessToken();
    // Seeds an event (as events.insert would, without HTTP); returns its id, or "" for an
    // unknown calendar or a bad event. `startDateTime`/`endDateTime` are RFC 3339.
    std::string addCalendarEvent(const std::string& calendarId, const CalendarEvent& event);
    // Every event of the calendar, deleted ones included (status "cancelled"), by creation.
    std::vector<CalendarEvent> calendarEvents(const std::string& calendarId) const;

    // ---- Faults, request log, counters ----
    void injectFaults(Provider provider, std::vector<Fault> faults);
    std::size_t pendingFaults(Provider provider) const;
    std::vector<RecordedRequest> requests(Provider provider) const;
    Counters counters(Provider provider) const;
    std::size_t connectionsAccepted() const;
    // Forgets the request log, the counters and the pending faults (not the catalogues).
    void clearLog();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace cc::fakes
