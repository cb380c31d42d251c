// The provider adapters (server/integrations) against the local fakes of Shopify, Square and
// Google Calendar, over real HTTPS on loopback: happy paths, pagination, rate limits (429 with
// Retry-After, Shopify's THROTTLED), 5xx, timeouts, malformed JSON, refused and expired
// credentials, oversized answers, connection reuse, and the circuit breaker.

#include "server/integrations/calendar.h"
#include "server/integrations/inventory.h"
#include "server/integrations/pool.h"
#include "tests/fakes/provider_fakes.h"
#include "tests/support/serverprocess.h"

#include <QTemporaryDir>
#include <QtTest>

#include <future>

using namespace std::chrono_literals;
namespace in = cc::server::integrations;
using cc::fakes::Fault;
using cc::fakes::ProviderFakes;
using FakeProvider = cc::fakes::Provider;

namespace {

constexpr auto kLoc1 = "gid://shopify/Location/1";
constexpr auto kLoc2 = "gid://shopify/Location/2";

// Waits are recorded, not slept: retries are checked for what they would wait.
struct RecordingSleeper {
    std::vector<std::chrono::milliseconds> waits;
    in::Sleeper sleeper()
    {
        return [this](std::chrono::milliseconds d) { waits.push_back(d); };
    }
};

} // namespace

class TestIntegrations : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();

    void baseUrls_data();
    void baseUrls();
    void backoffIsFullJitterAndHonoursRetryAfter();
    void breakerOpensAndRecovers();
    void sizesAndVariantMatching_data();
    void sizesAndVariantMatching();
    void spokenAnswers();

    void shopifyFindsStockAtTheStore();
    void shopifyReadsEveryPage();
    void shopifyWaitsOutThrottling();
    void shopifyHonoursRetryAfterOn429();
    void shopifyRetriesServerErrorsThenGivesUp();
    void shopifyTimesOutAndRetries();
    void shopifyMalformedJsonIsAnError();
    void shopifyRefusedTokenIsNotRetried();
    void oversizedAnswerIsRefused();
    void connectionIsReused();
    void privateAddressesAreRefusedByDefault();
    void deadlineBoundsEveryPage();

    void squareFindsStockAcrossPages();
    void squareErrorsAreRead();

    void googleTokenFreeBusyAndEvents();
    void googleExpiredTokenIsRefreshedOnce();
    void googleRevokedRefreshTokenNeedsAnAdmin();

    void poolBreakerStopsAskingAFailingProvider();

private:
    // The fakes listen on loopback, which the product refuses unless told otherwise.
    in::HttpsClient::Options clientOptions() const
    {
        in::HttpsClient::Options o;
        o.caFile = m_tls.caFile.toStdString();
        o.allowPrivateAddresses = true;
        return o;
    }
    in::HttpsClient client() { return in::HttpsClient(clientOptions()); }
    in::BaseUrl base() const { return in::parseBaseUrl(m_fakes->baseUrl()).value(); }
    in::ShopifyConfig shopify() const { return {base(), "shpat_test", "2024-07", 50, 4}; }
    in::SquareConfig square() const { return {base(), "sq-token", "2024-07-17", 100, 4}; }
    in::GoogleConfig google() const
    {
        return {in::parseBaseUrl(m_fakes->baseUrl() + "/token").value(),
                in::parseBaseUrl(m_fakes->baseUrl() + "/calendar/v3").value(), "client-1",
                "secret-1", "refresh-1"};
    }
    static in::RetryPolicy fastPolicy()
    {
        in::RetryPolicy p;
        p.attemptTimeout = 2000ms;
        p.budget = 10000ms;
        return p;
    }

    QTemporaryDir m_dir;
    cc::test::TlsFiles m_tls;
    std::unique_ptr<ProviderFakes> m_fakes;
    std::string m_squareBlueM;
};

void TestIntegrations::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_tls = cc::test::TlsFiles::generate(m_dir.path());
    m_fakes =
        std::make_unique<ProviderFakes>(m_tls.certFile.toStdString(), m_tls.keyFile.toStdString());
    m_fakes->start();
    m_fakes->setShopifyAccessToken("shpat_test");
    for (const auto& [colour, size, q1] : std::vector<std::tuple<std::string, std::string, int>>{
             {"Blue", "S", 2}, {"Blue", "M", 7}, {"Blue", "L", 0}, {"Red", "M", 4}}) {
        m_fakes->addShopifyVariant({"Rain Jacket",
                                    colour + " / " + size,
                                    "RJ-" + colour.substr(0, 3) + "-" + size,
                                    {{"Color", colour}, {"Size", size}},
                                    {{kLoc1, q1}, {kLoc2, 1}}});
    }
    m_fakes->addShopifyVariant({"Hiking Boot",
                                "Brown / 10",
                                "HB-BRN-10",
                                {{"Color", "Brown"}, {"Size", "10"}},
                                {{kLoc2, 3}}});

    m_fakes->setSquareAccessToken("sq-token");
    auto item = m_fakes->addSquareItem({"",
                                        "Rain Jacket",
                                        "",
                                        {{"", "Blue, Medium", "RJ-BLU-M", {}},
                                         {"", "Blue, Small", "RJ-BLU-S", {}},
                                         {"", "Red, Medium", "RJ-RED-M", {}}}});
    m_squareBlueM = item.variations[0].id;
    QVERIFY(m_fakes->setSquareCount(item.variations[0].id, "L1", "5"));
    QVERIFY(m_fakes->setSquareCount(item.variations[1].id, "L1", "2.5"));
    QVERIFY(m_fakes->setSquareCount(item.variations[2].id, "L2", "9"));

    m_fakes->setGoogleCredentials({"client-1", "secret-1", "refresh-1"});
    m_fakes->addGoogleCalendar("store-1@calendar.example");
}

void TestIntegrations::cleanupTestCase()
{
    m_fakes->stop();
}

void TestIntegrations::init()
{
    m_fakes->clearLog();
    m_fakes->setPageSize(FakeProvider::Shopify, 250);
    m_fakes->setPageSize(FakeProvider::Square, 1000);
    m_fakes->setShopifyThrottle(2000, 100);
}

void TestIntegrations::baseUrls_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("port");
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("error");
    QTest::newRow("plain") << "https://shop.myshopify.com"
                           << "shop.myshopify.com"
                           << "443"
                           << ""
                           << "";
    QTest::newRow("port and path") << "https://127.0.0.1:8443/calendar/v3/"
                                   << "127.0.0.1"
                                   << "8443"
                                   << "/calendar/v3"
                                   << "";
    QTest::newRow("http") << "http://shop.example"
                          << ""
                          << ""
                          << ""
                          << "https://";
    QTest::newRow("credentials") << "https://u:p@shop.example"
                                 << ""
                                 << ""
                                 << ""
                                 << "credentials";
    QTest::newRow("bad port") << "https://shop.example:99999"
                              << ""
                              << ""
                              << ""
                              << "port";
    QTest::newRow("query") << "https://shop.example/a?b=c"
                           << ""
                           << ""
                           << ""
                           << "plain path";
    QTest::newRow("no host") << "https:///path"
                             << ""
                             << ""
                             << ""
                             << "host";
    QTest::newRow("odd host") << "https://sh op.example"
                              << ""
                              << ""
                              << ""
                              << "host";
}

void TestIntegrations::baseUrls()
{
    QFETCH(QString, text);
    QFETCH(QString, host);
    QFETCH(QString, port);
    QFETCH(QString, prefix);
    QFETCH(QString, error);
    const auto url = in::parseBaseUrl(text.toStdString());
    if (!error.isEmpty()) {
        QVERIFY(!url);
        QVERIFY2(QString::fromStdString(url.error()).contains(error), url.error().c_str());
        return;
    }
    QVERIFY(url);
    QCOMPARE(QString::fromStdString(url.value().host), host);
    QCOMPARE(QString::fromStdString(url.value().port), port);
    QCOMPARE(QString::fromStdString(url.value().prefix), prefix);
}

void TestIntegrations::backoffIsFullJitterAndHonoursRetryAfter()
{
    in::RetryPolicy p;
    p.baseDelay = 200ms;
    p.maxDelay = 1000ms;
    // The ceiling doubles per attempt up to maxDelay; the delay is r * ceiling.
    QCOMPARE(in::backoffDelay(p, 1, -1ms, [] { return 0.5; }), 100ms);
    QCOMPARE(in::backoffDelay(p, 2, -1ms, [] { return 0.5; }), 200ms);
    QCOMPARE(in::backoffDelay(p, 3, -1ms, [] { return 0.5; }), 400ms);
    QCOMPARE(in::backoffDelay(p, 4, -1ms, [] { return 0.5; }), 500ms);
    QCOMPARE(in::backoffDelay(p, 9, -1ms, [] { return 0.999; }), 999ms);
    QCOMPARE(in::backoffDelay(p, 1, -1ms, [] { return 0.0; }), 0ms);
    // The provider's own wish wins.
    QCOMPARE(in::backoffDelay(p, 1, 1500ms, [] { return 0.5; }), 1500ms);
    // Real randomness stays within the ceiling.
    for (int i = 0; i < 200; ++i) {
        const auto d = in::backoffDelay(p, 2, -1ms, in::randomUnit);
        QVERIFY(d >= 0ms && d <= 400ms);
    }
}

void TestIntegrations::breakerOpensAndRecovers()
{
    using State = in::CircuitBreakers::State;
    in::CircuitBreakers b(3, 1000ms);
    const auto t0 = std::chrono::steady_clock::now();
    const std::string org = "org-a";
    for (int i = 0; i < 2; ++i) {
        QVERIFY(b.allow(org, in::Provider::Shopify, t0));
        b.record(org, in::Provider::Shopify, false, t0);
    }
    QVERIFY(b.state(org, in::Provider::Shopify, t0) == State::Closed);
    QVERIFY(b.allow(org, in::Provider::Shopify, t0));
    b.record(org, in::Provider::Shopify, false, t0);
    QVERIFY(b.state(org, in::Provider::Shopify, t0) == State::Open);
    QVERIFY(!b.allow(org, in::Provider::Shopify, t0 + 500ms));
    // Another organisation, another provider: unaffected.
    QVERIFY(b.allow("org-b", in::Provider::Shopify, t0));
    QVERIFY(b.allow(org, in::Provider::GoogleCalendar, t0));
    // After the cool-down one trial goes; while it is out, nothing else.
    QVERIFY(b.state(org, in::Provider::Shopify, t0 + 1001ms) == State::HalfOpen);
    QVERIFY(b.allow(org, in::Provider::Shopify, t0 + 1001ms));
    QVERIFY(!b.allow(org, in::Provider::Shopify, t0 + 1002ms));
    // The trial fails: open again for a full cool-down.
    b.record(org, in::Provider::Shopify, false, t0 + 1100ms);
    QVERIFY(!b.allow(org, in::Provider::Shopify, t0 + 2000ms));
    QVERIFY(b.allow(org, in::Provider::Shopify, t0 + 2101ms));
    // The next trial succeeds: closed, failures forgotten.
    b.record(org, in::Provider::Shopify, true, t0 + 2102ms);
    QVERIFY(b.state(org, in::Provider::Shopify, t0 + 2102ms) == State::Closed);
    b.record(org, in::Provider::Shopify, false, t0 + 2103ms);
    QVERIFY(b.allow(org, in::Provider::Shopify, t0 + 2104ms));
}

void TestIntegrations::sizesAndVariantMatching_data()
{
    QTest::addColumn<QStringList>("descriptors");
    QTest::addColumn<QStringList>("colours");
    QTest::addColumn<QString>("size");
    QTest::addColumn<bool>("matches");
    QTest::newRow("shopify options")
        << QStringList{"Blue / M", "Blue", "M"} << QStringList{"blue"} << "m" << true;
    QTest::newRow("wrong size") << QStringList{"Blue / L", "Blue", "L"} << QStringList{"blue"}
                                << "m" << false;
    QTest::newRow("wrong colour") << QStringList{"Red / M", "Red", "M"} << QStringList{"blue"}
                                  << "m" << false;
    QTest::newRow("square words") << QStringList{"Blue, Medium", "Blue", " Medium"}
                                  << QStringList{"blue"} << "m" << true;
    QTest::newRow("extra large") << QStringList{"Green, Extra Large", "Green", " Extra Large"}
                                 << QStringList{} << "xl" << true;
    QTest::newRow("two colours") << QStringList{"Navy Blue / S"} << QStringList{"navy", "blue"}
                                 << "" << true;
    QTest::newRow("shoe size") << QStringList{"Brown / 10", "Brown", "10"} << QStringList{} << "10"
                               << true;
    QTest::newRow("half size") << QStringList{"UK 9.5"} << QStringList{} << "9.5" << true;
    QTest::newRow("no filter") << QStringList{"Default Title"} << QStringList{} << "" << true;
}

void TestIntegrations::sizesAndVariantMatching()
{
    QFETCH(QStringList, descriptors);
    QFETCH(QStringList, colours);
    QFETCH(QString, size);
    QFETCH(bool, matches);
    std::vector<std::string> d;
    for (const auto& s : descriptors) {
        d.push_back(s.toStdString());
    }
    std::vector<std::string> c;
    for (const auto& s : colours) {
        c.push_back(s.toStdString());
    }
    QCOMPARE(in::variantMatches(d, c, size.toStdString()), matches);
    QCOMPARE(QString::fromStdString(in::normaliseSize("Medium")), QString("m"));
    QCOMPARE(QString::fromStdString(in::normaliseSize("X-Large")), QString("xl"));
    QCOMPARE(QString::fromStdString(in::normaliseSize("2XL")), QString("xxl"));
    QCOMPARE(QString::fromStdString(in::normaliseSize("blue")), QString());
    QCOMPARE(QString::fromStdString(in::normaliseSize("9.")), QString());
}

void TestIntegrations::spokenAnswers()
{
    in::StockQuery q{"rain jacket", {"blue"}, "m", kLoc1};
    in::StockResult none;
    QCOMPARE(in::spokenStockAnswer(none, q, "Camden"),
             std::string("I could not find rain jacket in our catalogue."));
    in::StockResult zero{{{"Rain Jacket", "Blue / M", "RJ", 0, true}}, false};
    QCOMPARE(in::spokenStockAnswer(zero, q, "Camden"),
             std::string("I'm sorry, rain jacket is not in stock at Camden right now."));
    in::StockResult some{{{"Rain Jacket", "Blue / M", "RJ", 7, true},
                          {"Rain Jacket", "Blue / S", "RJ", 2, true},
                          {"Rain Jacket", "Blue / L", "RJ", 0, false}},
                         false};
    QCOMPARE(in::spokenStockAnswer(some, q, "Camden"),
             std::string("Yes, at Camden we have 7 of the Rain Jacket in Blue / M, and 2 of the "
                         "Rain Jacket in Blue / S."));
}

void TestIntegrations::shopifyFindsStockAtTheStore()
{
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    auto shop = in::makeShopifyInventory(caller, shopify());
    auto found = shop->findStock({"rain jacket", {"blue"}, "m", kLoc1});
    QVERIFY2(found, found ? "" : found.error().message.c_str());
    QCOMPARE(found.value().lines.size(), std::size_t(1));
    const auto& line = found.value().lines.front();
    QCOMPARE(line.product, std::string("Rain Jacket"));
    QCOMPARE(line.variant, std::string("Blue / M"));
    QCOMPARE(line.available, std::int64_t(7));
    QVERIFY(line.stockedHere);

    // Not stocked at a location: inventoryLevel is null there.
    auto boots = shop->findStock({"hiking boot", {}, "10", kLoc1});
    QVERIFY(boots);
    QCOMPARE(boots.value().lines.size(), std::size_t(1));
    QVERIFY(!boots.value().lines.front().stockedHere);

    const auto requests = m_fakes->requests(FakeProvider::Shopify);
    QCOMPARE(requests.size(), std::size_t(2));
    QCOMPARE(requests[0].method, std::string("POST"));
    QCOMPARE(requests[0].target, std::string("/admin/api/2024-07/graphql.json"));
    QCOMPARE(requests[0].header("X-Shopify-Access-Token"), std::string("shpat_test"));
    QVERIFY(requests[0].header("Content-Type").starts_with("application/json"));
}

void TestIntegrations::shopifyReadsEveryPage()
{
    m_fakes->setPageSize(FakeProvider::Shopify, 1);
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    auto config = shopify();
    config.maxPages = 10;
    auto shop = in::makeShopifyInventory(caller, config);
    auto found = shop->findStock({"rain jacket", {"blue"}, "", kLoc1});
    QVERIFY2(found, found ? "" : found.error().message.c_str());
    QCOMPARE(found.value().lines.size(), std::size_t(3)); // S, M, L in blue; red filtered out
    QVERIFY(!found.value().truncated);
    QCOMPARE(m_fakes->requests(FakeProvider::Shopify).size(), std::size_t(4));
    // Each page after the first asks for the one after the previous cursor.
    QVERIFY(m_fakes->requests(FakeProvider::Shopify)[1].body.find("\"after\"") !=
            std::string::npos);

    // A vague question over more pages than we read is marked truncated.
    config.maxPages = 2;
    auto capped =
        in::makeShopifyInventory(caller, config)->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(capped);
    QVERIFY(capped.value().truncated);
}

void TestIntegrations::shopifyWaitsOutThrottling()
{
    // A bucket of 55 points restored at 40 a second: a query asks for 52 and costs 6 (four
    // variants), so the second finds 49 and is THROTTLED; it waits as long as Shopify's numbers
    // say, then succeeds.
    m_fakes->setShopifyThrottle(55, 40);
    RecordingSleeper sleeps;
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy(), sleeps.sleeper());
    auto shop = in::makeShopifyInventory(caller, shopify());
    QVERIFY(shop->findStock({"rain jacket", {}, "", kLoc1}));
    auto real = in::RetryingCaller(http, fastPolicy()); // sleeps for real: the bucket refills
    auto second =
        in::makeShopifyInventory(real, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY2(second, second ? "" : second.error().message.c_str());
    QVERIFY(m_fakes->counters(FakeProvider::Shopify).throttled >= 1);
    QCOMPARE(real.attempts(), 2);
}

void TestIntegrations::shopifyHonoursRetryAfterOn429()
{
    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::error(429, 2)});
    RecordingSleeper sleeps;
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy(), sleeps.sleeper());
    auto found =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(found);
    QCOMPARE(sleeps.waits.size(), std::size_t(1));
    QCOMPARE(sleeps.waits[0], 2000ms);

    // Longer than a caller can wait: not waited for, reported as rate limited.
    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::error(429, 30)});
    auto refused =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(!refused);
    QVERIFY(refused.error().kind == in::ProviderError::Kind::RateLimited);
    QCOMPARE(refused.error().httpStatus, 429);
    QCOMPARE(sleeps.waits.size(), std::size_t(1));
}

void TestIntegrations::shopifyRetriesServerErrorsThenGivesUp()
{
    RecordingSleeper sleeps;
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy(), sleeps.sleeper());
    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::error(502), Fault::error(503)});
    auto found =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(found);
    QCOMPARE(caller.attempts(), 3);
    QCOMPARE(sleeps.waits.size(), std::size_t(2));
    QVERIFY(sleeps.waits[0] <= 200ms && sleeps.waits[1] <= 400ms); // full jitter, doubling

    m_fakes->injectFaults(FakeProvider::Shopify,
                          {Fault::error(500), Fault::error(500), Fault::error(500)});
    auto failed =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(!failed);
    QVERIFY(failed.error().kind == in::ProviderError::Kind::Unavailable);
    QCOMPARE(caller.attempts(), 6); // three more: the default of at most 3 attempts
    QCOMPARE(m_fakes->pendingFaults(FakeProvider::Shopify), std::size_t(0));
}

void TestIntegrations::shopifyTimesOutAndRetries()
{
    auto http = client();
    auto policy = fastPolicy();
    policy.attemptTimeout = 300ms;
    RecordingSleeper sleeps;
    in::RetryingCaller caller(http, policy, sleeps.sleeper());
    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::delayed(1500ms)});
    const auto started = std::chrono::steady_clock::now();
    auto found =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY2(found, found ? "" : found.error().message.c_str());
    QCOMPARE(caller.attempts(), 2);
    // The slow answer was not waited for.
    QVERIFY(std::chrono::steady_clock::now() - started < 1400ms);

    m_fakes->injectFaults(FakeProvider::Shopify,
                          {Fault::delayed(1500ms), Fault::delayed(1500ms), Fault::delayed(1500ms)});
    auto failed =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(!failed);
    QVERIFY(failed.error().kind == in::ProviderError::Kind::Unavailable);
    QVERIFY2(failed.error().message.find("did not answer") != std::string::npos,
             failed.error().message.c_str());

    // The overall budget bounds attempts and waits together.
    policy.budget = 500ms;
    in::RetryingCaller bounded(http, policy, sleeps.sleeper());
    m_fakes->injectFaults(FakeProvider::Shopify,
                          {Fault::delayed(1500ms), Fault::delayed(1500ms), Fault::delayed(1500ms)});
    const auto t0 = std::chrono::steady_clock::now();
    QVERIFY(
        !in::makeShopifyInventory(bounded, shopify())->findStock({"rain jacket", {}, "", kLoc1}));
    QVERIFY(std::chrono::steady_clock::now() - t0 < 1000ms);
}

void TestIntegrations::shopifyMalformedJsonIsAnError()
{
    auto http = client();
    RecordingSleeper sleeps;
    in::RetryingCaller caller(http, fastPolicy(), sleeps.sleeper());
    m_fakes->injectFaults(FakeProvider::Shopify,
                          {Fault::malformedJson(), Fault::malformedJson(), Fault::malformedJson()});
    auto failed =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(!failed);
    QVERIFY(failed.error().kind == in::ProviderError::Kind::Malformed);
    // One malformed answer among good ones is survived.
    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::malformedJson()});
    QVERIFY(in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1}));
    // So is a connection closed without an answer.
    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::closeConnection()});
    QVERIFY(in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1}));
}

void TestIntegrations::shopifyRefusedTokenIsNotRetried()
{
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    auto config = shopify();
    config.accessToken = "shpat_wrong";
    auto failed =
        in::makeShopifyInventory(caller, config)->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(!failed);
    QVERIFY(failed.error().kind == in::ProviderError::Kind::Unauthorized);
    QCOMPARE(failed.error().httpStatus, 401);
    QCOMPARE(caller.attempts(), 1);
    // The error never carries the token.
    QVERIFY(failed.error().message.find("shpat_wrong") == std::string::npos);
    QCOMPARE(m_fakes->counters(FakeProvider::Shopify).authFailures, std::size_t(1));
}

void TestIntegrations::oversizedAnswerIsRefused()
{
    auto options = clientOptions();
    options.maxResponseBytes = 64 * 1024;
    in::HttpsClient http(options);
    in::RetryingCaller caller(http, fastPolicy());
    m_fakes->injectFaults(FakeProvider::Shopify,
                          {Fault::error(200, std::nullopt, std::string(200 * 1024, ' ') + "{}")});
    auto failed =
        in::makeShopifyInventory(caller, shopify())->findStock({"rain jacket", {}, "", kLoc1});
    QVERIFY(!failed);
    QVERIFY(failed.error().kind == in::ProviderError::Kind::Malformed);
    QCOMPARE(caller.attempts(), 1);
}

void TestIntegrations::connectionIsReused()
{
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    auto shop = in::makeShopifyInventory(caller, shopify());
    for (int i = 0; i < 5; ++i) {
        QVERIFY(shop->findStock({"rain jacket", {}, "", kLoc1}));
    }
    QCOMPARE(http.connectionsOpened(), std::size_t(1));
}

void TestIntegrations::privateAddressesAreRefusedByDefault()
{
    in::HttpsClient::Options strict;
    strict.caFile = m_tls.caFile.toStdString();
    in::HttpsClient http(strict);
    in::RetryingCaller caller(http, fastPolicy());
    for (const char* url : {"https://127.0.0.1:1", "https://localhost:1", "https://10.1.2.3",
                            "https://192.168.0.1", "https://169.254.169.254", "https://[::1]:1"}) {
        const auto base = in::parseBaseUrl(url);
        if (!base) {
            continue; // "[::1]" is not a host name this parser takes: refused earlier still
        }
        auto refused = in::makeShopifyInventory(caller, {base.value(), "t", "2024-07", 50, 1})
                           ->findStock({"rain jacket", {}, "", kLoc1});
        QVERIFY2(!refused, url);
        QVERIFY2(refused.error().message.find("not a public address") != std::string::npos,
                 refused.error().message.c_str());
    }
    QCOMPARE(caller.attempts(), 5); // refused before connecting, never retried
    QCOMPARE(m_fakes->counters(FakeProvider::Shopify).requests, std::size_t(0));
}

void TestIntegrations::deadlineBoundsEveryPage()
{
    // Four pages, each answered after 400 ms: a caller who can wait one second gets an answer
    // (or a clear failure) within about that, not after four pages.
    m_fakes->setPageSize(FakeProvider::Shopify, 1);
    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::delayed(400ms), Fault::delayed(400ms),
                                                  Fault::delayed(400ms), Fault::delayed(400ms)});
    in::PoolOptions options;
    options.workers = 1;
    options.caFile = m_tls.caFile.toStdString();
    options.allowPrivateAddresses = true;
    in::Pool pool(options);
    in::OpenedIntegration shop;
    shop.organisationId = "org-deadline";
    shop.provider = in::Provider::Shopify;
    shop.shopify = shopify();
    shop.locations = {{"store-1", kLoc1}};
    std::promise<cc::Result<in::StockResult, in::ProviderError>> done;
    const auto started = std::chrono::steady_clock::now();
    pool.submit(
        [&](in::Worker& w) {
            done.set_value(
                w.findStock(shop, "store-1", {"rain jacket", {}, "", ""}, started + 1000ms));
        },
        [&](const std::string& reason) {
            done.set_value(in::ProviderError{in::ProviderError::Kind::Unavailable, reason, 0});
        });
    const auto result = done.get_future().get();
    const auto took = std::chrono::steady_clock::now() - started;
    QVERIFY(!result);
    QVERIFY2(took < 1300ms,
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count())
                 .c_str());
    // A job that starts after its deadline asks nobody.
    const auto before = m_fakes->counters(FakeProvider::Shopify).requests;
    std::promise<cc::Result<in::StockResult, in::ProviderError>> late;
    pool.submit(
        [&](in::Worker& w) {
            late.set_value(w.findStock(shop, "store-1", {"rain jacket", {}, "", ""},
                                       std::chrono::steady_clock::now() - 1ms));
        },
        [&](const std::string& reason) {
            late.set_value(in::ProviderError{in::ProviderError::Kind::Unavailable, reason, 0});
        });
    QVERIFY(!late.get_future().get());
    QCOMPARE(m_fakes->counters(FakeProvider::Shopify).requests, before);
    pool.stop();
}

void TestIntegrations::squareFindsStockAcrossPages()
{
    m_fakes->setPageSize(FakeProvider::Square, 1);
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    auto sq = in::makeSquareInventory(caller, square());
    auto found = sq->findStock({"rain jacket", {"blue"}, "", "L1"});
    QVERIFY2(found, found ? "" : found.error().message.c_str());
    QCOMPARE(found.value().lines.size(), std::size_t(2));
    QCOMPARE(found.value().lines[0].variant, std::string("Blue, Medium"));
    QCOMPARE(found.value().lines[0].available, std::int64_t(5));
    QCOMPARE(found.value().lines[1].available, std::int64_t(2)); // "2.5": whole items
    // Red is counted at L2 only: at L1 it has no count.
    auto red = sq->findStock({"rain jacket", {"red"}, "m", "L1"});
    QVERIFY(red);
    QCOMPARE(red.value().lines.size(), std::size_t(1));
    QVERIFY(!red.value().lines[0].stockedHere);

    const auto requests = m_fakes->requests(FakeProvider::Square);
    QVERIFY(!requests.empty());
    QCOMPARE(requests[0].target, std::string("/v2/catalog/search-catalog-items"));
    QCOMPARE(requests[0].header("Authorization"), std::string("Bearer sq-token"));
    QCOMPARE(requests[0].header("Square-Version"), std::string("2024-07-17"));
    bool countsPaged = false;
    for (const auto& r : requests) {
        countsPaged |= r.target == "/v2/inventory/counts/batch-retrieve" &&
                       r.body.find("\"cursor\"") != std::string::npos;
    }
    QVERIFY(countsPaged);
}

void TestIntegrations::squareErrorsAreRead()
{
    auto http = client();
    RecordingSleeper sleeps;
    in::RetryingCaller caller(http, fastPolicy(), sleeps.sleeper());
    auto config = square();
    config.accessToken = "wrong";
    auto refused =
        in::makeSquareInventory(caller, config)->findStock({"rain jacket", {}, "", "L1"});
    QVERIFY(!refused);
    QVERIFY(refused.error().kind == in::ProviderError::Kind::Unauthorized);
    QVERIFY2(refused.error().message.find("UNAUTHORIZED") != std::string::npos,
             refused.error().message.c_str());

    m_fakes->injectFaults(FakeProvider::Square, {Fault::error(429, 1)});
    QVERIFY(in::makeSquareInventory(caller, square())->findStock({"rain jacket", {}, "", "L1"}));
    QCOMPARE(sleeps.waits.back(), 1000ms);

    m_fakes->injectFaults(FakeProvider::Square, {Fault::error(400).onPath("batch-retrieve")});
    auto rejected =
        in::makeSquareInventory(caller, square())->findStock({"rain jacket", {}, "", "L1"});
    QVERIFY(!rejected);
    QVERIFY(rejected.error().kind == in::ProviderError::Kind::Rejected);
}

void TestIntegrations::googleTokenFreeBusyAndEvents()
{
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    in::AccessTokens tokens;
    in::GoogleCalendar calendar(caller, google(), tokens, "org-a:1");
    const std::string cal = "store-1@calendar.example";

    in::CalendarEvent event;
    event.appointmentId = "3f2a9c1e-0000-4000-8000-00000000abcd";
    event.id = in::eventIdFor(event.appointmentId);
    QCOMPARE(event.id, std::string("cc3f2a9c1e00004000800000000000abcd"));
    event.summary = "Appointment: fitting";
    event.start = "2026-11-28T11:00:00";
    event.end = "2026-11-28T11:30:00";
    event.timeZone = "Europe/London";
    event.tentative = true;
    auto put = calendar.putEvent(cal, event);
    QVERIFY2(put, put ? "" : put.error().message.c_str());
    QCOMPARE(calendar.tokenRefreshes(), 1);

    auto busy =
        calendar.freeBusy(cal, "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z", "Europe/London");
    QVERIFY2(busy, busy ? "" : busy.error().message.c_str());
    QCOMPARE(busy.value().size(), std::size_t(1));

    // The same event again (a repeat after a lost answer, or a change): patched, not doubled.
    event.tentative = false;
    event.summary = "Appointment: fitting (confirmed)";
    QVERIFY(calendar.putEvent(cal, event));
    auto events = m_fakes->calendarEvents(cal);
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].status, std::string("confirmed"));
    QCOMPARE(events[0].summary, std::string("Appointment: fitting (confirmed)"));
    QCOMPARE(events[0].privateProperties["ccAppointmentId"], event.appointmentId);
    QCOMPARE(calendar.tokenRefreshes(), 1); // the cached token served every call

    auto gone = calendar.deleteEvent(cal, event.id);
    QVERIFY(gone);
    QVERIFY(gone.value());
    auto again = calendar.deleteEvent(cal, event.id); // already deleted: fine
    QVERIFY(again);
    QVERIFY(!again.value());

    // A calendar that does not exist is NotFound, not a crash or a retry loop.
    auto missing = calendar.freeBusy("nobody@calendar.example", "2026-11-28T00:00:00Z",
                                     "2026-11-29T00:00:00Z", "UTC");
    QVERIFY(!missing);
    QVERIFY(missing.error().kind == in::ProviderError::Kind::NotFound);

    const auto requests = m_fakes->requests(FakeProvider::Google);
    QCOMPARE(requests[0].target, std::string("/token"));
    QVERIFY(requests[0].body.find("grant_type=refresh_token") != std::string::npos);
    QVERIFY(requests[1].header("Authorization").starts_with("Bearer ya29."));
    QCOMPARE(requests[1].target,
             std::string("/calendar/v3/calendars/store-1%40calendar.example/events"));
}

void TestIntegrations::googleExpiredTokenIsRefreshedOnce()
{
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    in::AccessTokens tokens;
    in::GoogleCalendar calendar(caller, google(), tokens, "org-a:2");
    const std::string cal = "store-1@calendar.example";
    QVERIFY(calendar.freeBusy(cal, "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z", "UTC"));
    m_fakes->expireAccessTokens();
    auto busy = calendar.freeBusy(cal, "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z", "UTC");
    QVERIFY2(busy, busy ? "" : busy.error().message.c_str());
    QCOMPARE(calendar.tokenRefreshes(), 2);
    QCOMPARE(m_fakes->counters(FakeProvider::Google).authFailures, std::size_t(1));
    // Another calendar client with the same key shares the cached token: no refresh.
    in::GoogleCalendar other(caller, google(), tokens, "org-a:2");
    QVERIFY(other.freeBusy(cal, "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z", "UTC"));
    QCOMPARE(other.tokenRefreshes(), 0);
}

void TestIntegrations::googleRevokedRefreshTokenNeedsAnAdmin()
{
    auto http = client();
    in::RetryingCaller caller(http, fastPolicy());
    in::AccessTokens tokens;
    auto config = google();
    config.refreshToken = "revoked";
    in::GoogleCalendar calendar(caller, config, tokens, "org-a:3");
    auto busy = calendar.freeBusy("store-1@calendar.example", "2026-11-28T00:00:00Z",
                                  "2026-11-29T00:00:00Z", "UTC");
    QVERIFY(!busy);
    QVERIFY(busy.error().kind == in::ProviderError::Kind::Unauthorized);
    QVERIFY2(busy.error().message.find("invalid_grant") != std::string::npos,
             busy.error().message.c_str());
    QVERIFY(busy.error().message.find("revoked") == std::string::npos ||
            busy.error().message.find("reconnect") != std::string::npos);
    QCOMPARE(caller.attempts(), 1);
}

void TestIntegrations::poolBreakerStopsAskingAFailingProvider()
{
    in::PoolOptions options;
    options.workers = 1;
    options.caFile = m_tls.caFile.toStdString();
    options.allowPrivateAddresses = true;
    options.policy = fastPolicy();
    options.policy.maxAttempts = 1;
    options.breakerThreshold = 2;
    options.breakerCoolDown = 60s;
    in::Pool pool(options);

    in::OpenedIntegration shop;
    shop.organisationId = "org-breaker";
    shop.provider = in::Provider::Shopify;
    shop.version = "1";
    shop.shopify = shopify();
    shop.locations = {{"store-1", kLoc1}};

    const auto ask = [&](const std::string& store) {
        std::promise<cc::Result<in::StockResult, in::ProviderError>> done;
        pool.submit(
            [&](in::Worker& w) {
                done.set_value(w.findStock(shop, store, {"rain jacket", {"blue"}, "m", ""}));
            },
            [&](const std::string& reason) {
                done.set_value(in::ProviderError{in::ProviderError::Kind::Unavailable, reason, 0});
            });
        return done.get_future().get();
    };

    QVERIFY(ask("store-1"));
    // A store without a location at the provider is not the provider's fault.
    auto unknown = ask("store-9");
    QVERIFY(!unknown);
    QVERIFY(unknown.error().kind == in::ProviderError::Kind::NotFound);

    m_fakes->injectFaults(FakeProvider::Shopify, {Fault::error(503), Fault::error(503)});
    QVERIFY(!ask("store-1"));
    QVERIFY(!ask("store-1"));
    const auto before = m_fakes->counters(FakeProvider::Shopify).requests;
    auto open = ask("store-1");
    QVERIFY(!open);
    QVERIFY(open.error().kind == in::ProviderError::Kind::CircuitOpen);
    QCOMPARE(m_fakes->counters(FakeProvider::Shopify).requests, before); // not asked at all

    // Another organisation on the same provider is unaffected.
    shop.organisationId = "org-healthy";
    QVERIFY(ask("store-1"));
    pool.stop();
}

QTEST_GUILESS_MAIN(TestIntegrations)
#include "tst_integrations.moc"
