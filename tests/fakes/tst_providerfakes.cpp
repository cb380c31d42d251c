// The provider fakes' contract, checked from the outside: real TLS connections to the fakes'
// port, each endpoint's happy path, the auth failures' bodies, pagination to its end, Shopify's
// cost throttling, every kind of injected fault, the request log and the limits. The client is a
// small HTTP/1.1 one over QSslSocket, so that kept-alive connections, timeouts and dropped
// connections are seen as they are (QNetworkAccessManager would resend on a dropped one).

#include "tests/fakes/provider_fakes.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUrl>

#include <memory>

using namespace cc::fakes;

namespace {

const QByteArray kShopifyToken = "shpat_test_token";
const QByteArray kSquareToken = "EAAAtest_square_token";
const GoogleCredentials kGoogle{"1234-test.apps.googleusercontent.com", "GOCSPX-test-secret",
                                "1//0gtest-refresh"};
const QByteArray kGraphQlPath = "/admin/api/2024-07/graphql.json";
const QByteArray kStore = "store-1@calendar.example";
const QByteArray kStorePath = "/calendar/v3/calendars/store-1%40calendar.example/events";

const QString kVariantsQuery = QStringLiteral(
    "query Variants($q: String, $first: Int!, $after: String, $loc: ID!) {\n"
    "  productVariants(first: $first, after: $after, query: $q) {\n"
    "    edges { cursor node { id sku title displayName selectedOptions { name value }\n"
    "      product { title }\n"
    "      inventoryItem { id inventoryLevel(locationId: $loc) {\n"
    "        quantities(names: [\"available\"]) { name quantity } } } } }\n"
    "    pageInfo { hasNextPage endCursor }\n"
    "  }\n"
    "}\n");

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

struct Reply {
    int status = 0; // 0: no answer (`error` says why)
    QByteArray body;
    QMap<QByteArray, QByteArray> headers; // names in lower case
    QString error;

    const QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    bool isJson() const
    {
        QJsonParseError e;
        QJsonDocument::fromJson(body, &e);
        return e.error == QJsonParseError::NoError;
    }
};

// HTTP/1.1 over one TLS connection, kept alive between requests; reconnects when needed.
class Client {
public:
    Client(quint16 port, QList<QSslCertificate> ca)
        : m_port(port)
    {
        QSslConfiguration config = m_socket.sslConfiguration();
        config.setCaCertificates(ca);
        m_socket.setSslConfiguration(config);
    }

    Reply send(const QByteArray& method, const QByteArray& path, const QByteArray& body = {},
               const HeaderList& headers = {}, int timeoutMs = 10000)
    {
        Reply r;
        QDeadlineTimer deadline(timeoutMs);
        if (!connect(deadline, r.error)) {
            return r;
        }
        QByteArray request = method + ' ' + path +
                             " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port) + "\r\n";
        for (const auto& [name, value] : headers) {
            request += name + ": " + value + "\r\n";
        }
        if (!body.isEmpty() || method == "POST" || method == "PATCH" || method == "PUT") {
            request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        }
        request += "\r\n" + body;
        m_socket.write(request);
        while (m_socket.bytesToWrite() > 0 && !deadline.hasExpired()) {
            if (!m_socket.waitForBytesWritten(static_cast<int>(deadline.remainingTime()))) {
                break;
            }
        }
        qsizetype headerEnd = -1;
        qsizetype contentLength = -1;
        while (true) {
            if (headerEnd < 0) {
                headerEnd = m_buffer.indexOf("\r\n\r\n");
                if (headerEnd >= 0) {
                    parseHead(m_buffer.left(headerEnd), r);
                    contentLength = r.headers.contains("content-length")
                                        ? r.headers.value("content-length").toLongLong()
                                        : (r.status == 204 ? 0 : -1);
                }
            }
            if (headerEnd >= 0 && contentLength >= 0 &&
                m_buffer.size() >= headerEnd + 4 + contentLength) {
                r.body = m_buffer.mid(headerEnd + 4, contentLength);
                m_buffer.remove(0, headerEnd + 4 + contentLength);
                break;
            }
            if (m_socket.state() != QAbstractSocket::ConnectedState &&
                m_socket.bytesAvailable() == 0) {
                if (headerEnd >= 0 && contentLength < 0) {
                    r.body = m_buffer.mid(headerEnd + 4); // the body ends with the connection
                    break;
                }
                r.status = 0;
                r.error = QStringLiteral("closed");
                reset();
                return r;
            }
            if (deadline.hasExpired()) {
                r.status = 0;
                r.error = QStringLiteral("timeout");
                reset();
                return r;
            }
            m_socket.waitForReadyRead(static_cast<int>(qMax<qint64>(1, deadline.remainingTime())));
            m_buffer += m_socket.readAll();
        }
        if (r.headers.value("connection").toLower() == "close") {
            reset();
        }
        return r;
    }

    int connects() const { return m_connects; }

private:
    bool connect(const QDeadlineTimer& deadline, QString& error)
    {
        if (m_socket.state() == QAbstractSocket::ConnectedState && m_socket.isEncrypted()) {
            return true;
        }
        reset();
        ++m_connects;
        m_socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
        if (!m_socket.waitForEncrypted(static_cast<int>(deadline.remainingTime()))) {
            error = m_socket.errorString();
            return false;
        }
        return true;
    }

    void reset()
    {
        m_socket.abort();
        m_buffer.clear();
    }

    static void parseHead(const QByteArray& head, Reply& r)
    {
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
        r.status = statusLine.value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0) {
                r.headers.insert(lines[i].left(colon).trimmed().toLower(),
                                 lines[i].mid(colon + 1).trimmed());
            }
        }
    }

    quint16 m_port;
    QSslSocket m_socket;
    QByteArray m_buffer;
    int m_connects = 0;
};

QByteArray toJson(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QStringList skusOf(const QJsonObject& body)
{
    QStringList skus;
    const QJsonArray edges = body["data"]["productVariants"]["edges"].toArray();
    for (const auto& e : edges) {
        skus << e.toObject()["node"].toObject()["sku"].toString();
    }
    return skus;
}

} // namespace

class TestProviderFakes : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_caFile;
    QString m_certFile;
    QString m_keyFile;
    QList<QSslCertificate> m_ca;
    std::unique_ptr<ProviderFakes> m_fakes;
    std::unique_ptr<Client> m_client;
    // ids of the Square fixtures
    SquareItem m_jacket;
    SquareItem m_hat;

    Client& client() { return *m_client; }

    Reply shopify(const QJsonObject& variables, const QString& query = kVariantsQuery,
                  const QByteArray& token = kShopifyToken)
    {
        HeaderList headers{{"Content-Type", "application/json"}};
        if (!token.isEmpty()) {
            headers.emplace_back("X-Shopify-Access-Token", token);
        }
        return client().send("POST", kGraphQlPath,
                             toJson({{"query", query}, {"variables", variables}}), headers);
    }

    Reply square(const QByteArray& path, const QJsonObject& body,
                 const QByteArray& token = kSquareToken)
    {
        HeaderList headers{{"Content-Type", "application/json"}, {"Square-Version", "2024-07-17"}};
        if (!token.isEmpty()) {
            headers.emplace_back("Authorization", "Bearer " + token);
        }
        return client().send("POST", path, toJson(body), headers);
    }

    Reply tokenRequest(const QByteArray& form, const HeaderList& extra = {})
    {
        HeaderList headers{{"Content-Type", "application/x-www-form-urlencoded"}};
        headers.append(extra);
        return client().send("POST", "/token", form, headers);
    }

    QByteArray accessToken()
    {
        const Reply r = tokenRequest(
            "grant_type=refresh_token&client_id=" + QByteArray::fromStdString(kGoogle.clientId) +
            "&client_secret=" + QByteArray::fromStdString(kGoogle.clientSecret) +
            "&refresh_token=" +
            QUrl::toPercentEncoding(QString::fromStdString(kGoogle.refreshToken)));
        return r.json()["access_token"].toString().toUtf8();
    }

    Reply calendar(const QByteArray& method, const QByteArray& path, const QJsonObject& body,
                   const QByteArray& token, const HeaderList& extra = {})
    {
        HeaderList headers{{"Authorization", "Bearer " + token}};
        if (!body.isEmpty()) {
            headers.emplace_back("Content-Type", "application/json");
        }
        headers.append(extra);
        return client().send(method, path, body.isEmpty() ? QByteArray() : toJson(body), headers);
    }

    static void verifyGoogleError(const Reply& r, int status, const QString& reason)
    {
        QCOMPARE(r.status, status);
        const QJsonObject error = r.json()["error"].toObject();
        QCOMPARE(error["code"].toInt(), status);
        QCOMPARE(error["errors"][0]["reason"].toString(), reason);
        QVERIFY(!error["message"].toString().isEmpty());
    }

    static void verifySquareError(const Reply& r, int status, const QString& category,
                                  const QString& code, const QString& field = {})
    {
        QCOMPARE(r.status, status);
        const QJsonObject e = r.json()["errors"][0].toObject();
        QCOMPARE(e["category"].toString(), category);
        QCOMPARE(e["code"].toString(), code);
        QVERIFY(!e["detail"].toString().isEmpty());
        if (!field.isEmpty()) {
            QCOMPARE(e["field"].toString(), field);
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString dir = m_dir.path();
        m_caFile = dir + QStringLiteral("/ca.pem");
        m_certFile = dir + QStringLiteral("/server.pem");
        m_keyFile = dir + QStringLiteral("/server.key");
        QFile ext(dir + QStringLiteral("/server.ext"));
        QVERIFY(ext.open(QIODevice::WriteOnly));
        ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        ext.close();
        const QList<QStringList> steps = {
            {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-days", "2", "-subj", "/CN=Test CA", "-keyout", dir + "/ca.key", "-out", m_caFile},
            {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
             "/CN=localhost", "-keyout", m_keyFile, "-out", dir + "/server.csr"},
            {"x509", "-req", "-in", dir + "/server.csr", "-CA", m_caFile, "-CAkey", dir + "/ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", ext.fileName(), "-out", m_certFile},
        };
        for (const auto& args : steps) {
            QProcess p;
            p.start(QStringLiteral("openssl"), args);
            QVERIFY2(p.waitForFinished(30000) && p.exitCode() == 0,
                     p.readAllStandardError().constData());
        }
        m_ca = QSslCertificate::fromPath(m_caFile);
        QCOMPARE(m_ca.size(), 1);
    }

    // A fresh set of fakes per test, with a small shared catalogue.
    void init()
    {
        m_fakes =
            std::make_unique<ProviderFakes>(m_certFile.toStdString(), m_keyFile.toStdString());
        ProviderFakes& f = *m_fakes;
        f.setShopifyAccessToken(kShopifyToken.toStdString());
        const std::string l1 = "gid://shopify/Location/1";
        const std::string l2 = "gid://shopify/Location/2";
        f.addShopifyVariant({"Rain Jacket",
                             "Blue / S",
                             "RJ-BLU-S",
                             {{"Color", "Blue"}, {"Size", "S"}},
                             {{l1, 7}, {l2, 1}}});
        f.addShopifyVariant(
            {"Rain Jacket", "Blue / M", "RJ-BLU-M", {{"Color", "Blue"}, {"Size", "M"}}, {{l1, 0}}});
        f.addShopifyVariant(
            {"Rain Jacket", "Blue / L", "RJ-BLU-L", {{"Color", "Blue"}, {"Size", "L"}}, {{l1, 3}}});
        f.addShopifyVariant({"Trail Boots",
                             "Black / 9",
                             "TB-BLK-9",
                             {{"Color", "Black"}, {"Size", "9"}},
                             {{l1, 2}}});
        f.addShopifyVariant(
            {"Rain Jacket", "Red / S", "RJ-RED-S", {{"Color", "Red"}, {"Size", "S"}}, {{l1, 4}}});
        f.addShopifyVariant(
            {"Rain Jacket", "Red / M", "RJ-RED-M", {{"Color", "Red"}, {"Size", "M"}}, {}});

        f.setSquareAccessToken(kSquareToken.toStdString());
        m_jacket = f.addSquareItem({"",
                                    "Rain Jacket",
                                    "Waterproof shell",
                                    {{"", "Blue, Medium", "RJ-BLU-M", 8900},
                                     {"", "Red, Small", "RJ-RED-S", 8900},
                                     {"", "Red, Medium", "RJ-RED-M", std::nullopt}}});
        m_hat = f.addSquareItem({"", "Rain Hat", "", {{"", "Yellow", "RH-YEL", 1900}}});
        f.addSquareItem({"", "Trail Boots", "", {{"", "Black, 9", "TB-BLK-9", 12900}}});

        f.setGoogleCredentials(kGoogle);
        f.addGoogleCalendar(kStore.toStdString());
        f.start();
        QVERIFY(f.port() != 0);
        QCOMPARE(QString::fromStdString(f.baseUrl()),
                 QStringLiteral("https://127.0.0.1:%1").arg(f.port()));
        m_client = std::make_unique<Client>(f.port(), m_ca);
    }

    void cleanup()
    {
        m_client.reset();
        m_fakes.reset();
    }

    // ---- Shopify ----

    void shopifyPagesThroughEveryMatch()
    {
        m_fakes->setPageSize(Provider::Shopify, 2);
        QStringList skus;
        QJsonValue after = QJsonValue::Null;
        int pages = 0;
        while (true) {
            const Reply r = shopify({{"q", "rain jacket"},
                                     {"first", 50},
                                     {"after", after},
                                     {"loc", "gid://shopify/Location/1"}});
            QCOMPARE(r.status, 200);
            const QJsonObject body = r.json();
            QVERIFY2(!body.contains("errors"), r.body.constData());
            const QJsonObject connection = body["data"]["productVariants"].toObject();
            QVERIFY(connection["edges"].toArray().size() <= 2);
            skus << skusOf(body);
            ++pages;
            const QJsonObject pageInfo = connection["pageInfo"].toObject();
            QCOMPARE(pageInfo["endCursor"].toString(),
                     connection["edges"].toArray().last()["cursor"].toString());
            if (!pageInfo["hasNextPage"].toBool()) {
                break;
            }
            after = pageInfo["endCursor"];
            QVERIFY(pages < 10);
        }
        QCOMPARE(pages, 3);
        QCOMPARE(skus, QStringList({"RJ-BLU-S", "RJ-BLU-M", "RJ-BLU-L", "RJ-RED-S", "RJ-RED-M"}));
    }

    void shopifyVariantShape()
    {
        const Reply r =
            shopify({{"q", "sku:RJ-BLU-S"}, {"first", 5}, {"loc", "gid://shopify/Location/1"}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("content-type").startsWith("application/json"));
        const QJsonObject body = r.json();
        const QJsonObject node = body["data"]["productVariants"]["edges"][0]["node"].toObject();
        QVERIFY(node["id"].toString().startsWith("gid://shopify/ProductVariant/"));
        QCOMPARE(node["sku"].toString(), QStringLiteral("RJ-BLU-S"));
        QCOMPARE(node["title"].toString(), QStringLiteral("Blue / S"));
        QCOMPARE(node["displayName"].toString(), QStringLiteral("Rain Jacket - Blue / S"));
        QCOMPARE(node["selectedOptions"][0]["name"].toString(), QStringLiteral("Color"));
        QCOMPARE(node["selectedOptions"][1]["value"].toString(), QStringLiteral("S"));
        QCOMPARE(node["product"]["title"].toString(), QStringLiteral("Rain Jacket"));
        const QJsonObject item = node["inventoryItem"].toObject();
        QVERIFY(item["id"].toString().startsWith("gid://shopify/InventoryItem/"));
        const QJsonObject quantity = item["inventoryLevel"]["quantities"][0].toObject();
        QCOMPARE(quantity["name"].toString(), QStringLiteral("available"));
        QCOMPARE(quantity["quantity"].toInt(), 7);
        QCOMPARE(body["data"]["productVariants"]["pageInfo"]["hasNextPage"].toBool(), false);

        const QJsonObject cost = body["extensions"]["cost"].toObject();
        QCOMPARE(cost["requestedQueryCost"].toInt(), 7); // 2 + first
        QCOMPARE(cost["actualQueryCost"].toInt(), 3);    // 2 + edges
        QCOMPARE(cost["throttleStatus"]["maximumAvailable"].toDouble(), 2000.0);
        QCOMPARE(cost["throttleStatus"]["restoreRate"].toDouble(), 100.0);
        QVERIFY(cost["throttleStatus"]["currentlyAvailable"].toDouble() >= 1990);

        // Not stocked at a location: inventoryLevel is null there.
        const Reply elsewhere =
            shopify({{"q", "sku:RJ-BLU-M"}, {"first", 5}, {"loc", "gid://shopify/Location/2"}});
        const QJsonValue level = elsewhere.json()["data"]["productVariants"]["edges"][0]["node"]
                                                 ["inventoryItem"]["inventoryLevel"];
        QVERIFY(level.isNull());

        // Arguments written into the query text work as well as variables.
        const Reply literal = shopify(
            {}, QStringLiteral("{ productVariants(first: 1, query: \"sku:TB-BLK-9\") { edges { "
                               "node { sku } } } }"));
        QCOMPARE(skusOf(literal.json()), QStringList{"TB-BLK-9"});
    }

    void shopifySearchSyntax_data()
    {
        QTest::addColumn<QString>("q");
        QTest::addColumn<QStringList>("skus");
        QTest::newRow("sku exact") << "sku:RJ-BLU-M" << QStringList{"RJ-BLU-M"};
        QTest::newRow("sku any case") << "sku:rj-blu-m" << QStringList{"RJ-BLU-M"};
        QTest::newRow("sku prefix") << "sku:RJ-RED-*" << QStringList{"RJ-RED-S", "RJ-RED-M"};
        QTest::newRow("word") << "boots" << QStringList{"TB-BLK-9"};
        QTest::newRow("word prefixes")
            << "jack blu" << QStringList{"RJ-BLU-S", "RJ-BLU-M", "RJ-BLU-L"};
        QTest::newRow("sku as a word") << "RJ-RED" << QStringList{"RJ-RED-S", "RJ-RED-M"};
        QTest::newRow("phrase") << "\"Red / M\"" << QStringList{"RJ-RED-M"};
        QTest::newRow("product title") << "product_title:boots" << QStringList{"TB-BLK-9"};
        QTest::newRow("negation") << "rain -blue" << QStringList{"RJ-RED-S", "RJ-RED-M"};
        QTest::newRow("nothing") << "umbrella" << QStringList{};
        QTest::newRow("everything") << "" << QStringList{"RJ-BLU-S", "RJ-BLU-M", "RJ-BLU-L",
                                                         "TB-BLK-9", "RJ-RED-S", "RJ-RED-M"};
    }

    void shopifySearchSyntax()
    {
        QFETCH(QString, q);
        QFETCH(QStringList, skus);
        const Reply r = shopify({{"q", q}, {"first", 250}, {"loc", "gid://shopify/Location/1"}});
        QCOMPARE(r.status, 200);
        QCOMPARE(skusOf(r.json()), skus);
    }

    void shopifyAuthAndGraphQlErrors()
    {
        const QByteArray unauthorized =
            R"x({"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"})x";
        Reply r = shopify({{"first", 1}}, kVariantsQuery, QByteArray());
        QCOMPARE(r.status, 401);
        QCOMPARE(r.body, unauthorized);
        r = shopify({{"first", 1}}, kVariantsQuery, "shpat_wrong");
        QCOMPARE(r.status, 401);
        QCOMPARE(r.body, unauthorized);
        QCOMPARE(m_fakes->counters(Provider::Shopify).authFailures, std::size_t(2));

        // A query this fake does not know: a GraphQL error, with HTTP 200, as Shopify answers.
        r = shopify({}, QStringLiteral("{ shop { name } }"));
        QCOMPARE(r.status, 200);
        const QJsonObject e = r.json()["errors"][0].toObject();
        QCOMPARE(e["message"].toString(),
                 QStringLiteral("Field 'shop' doesn't exist on type 'QueryRoot'"));
        QCOMPARE(e["extensions"]["code"].toString(), QStringLiteral("undefinedField"));
        QCOMPARE(e["locations"][0]["line"].toInt(), 1);

        r = shopify({{"q", "rain"}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json()["errors"][0]["message"].toString(),
                 QStringLiteral("you must provide one of first or last"));
        QVERIFY(!r.json().contains("data"));

        r = shopify({{"first", 251}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.json()["errors"][0]["message"].toString().contains("250"));

        r = shopify({{"first", 1}, {"after", "not-a-cursor"}});
        QCOMPARE(r.json()["errors"][0]["message"].toString(),
                 QStringLiteral("Invalid cursor for current pagination sort."));

        r = shopify({{"first", 1}, {"loc", "7"}});
        QCOMPARE(r.json()["errors"][0]["message"].toString(),
                 QStringLiteral("Invalid global id '7'"));

        r = client().send(
            "POST", kGraphQlPath, "{}",
            {{"Content-Type", "application/json"}, {"X-Shopify-Access-Token", kShopifyToken}});
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json()["errors"]["query"].toString(),
                 QStringLiteral("Required parameter missing or invalid"));
    }

    void shopifyThrottlesByCost()
    {
        // Six variants: first 10 requests 12 points and costs 8.
        m_fakes->setShopifyThrottle(20, 5);
        const QJsonObject variables{{"first", 10}, {"loc", "gid://shopify/Location/1"}};
        Reply r = shopify(variables);
        QCOMPARE(r.json()["extensions"]["cost"]["actualQueryCost"].toInt(), 8);
        QVERIFY(!r.json().contains("errors"));
        r = shopify(variables); // ~12 left: enough
        QVERIFY2(!r.json().contains("errors"), r.body.constData());
        r = shopify(variables); // ~4 left: throttled
        QCOMPARE(r.status, 200);
        const QJsonObject body = r.json();
        QVERIFY2(!body.contains("data"), r.body.constData());
        const QJsonObject e = body["errors"][0].toObject();
        QCOMPARE(e["message"].toString(), QStringLiteral("Throttled"));
        QCOMPARE(e["extensions"]["code"].toString(), QStringLiteral("THROTTLED"));
        QCOMPARE(e["extensions"]["documentation"].toString(),
                 QStringLiteral("https://shopify.dev/api/usage/rate-limits"));
        const QJsonObject cost = body["extensions"]["cost"].toObject();
        QCOMPARE(cost["requestedQueryCost"].toInt(), 12);
        QVERIFY(cost["actualQueryCost"].isNull());
        QCOMPARE(cost["throttleStatus"]["maximumAvailable"].toDouble(), 20.0);
        QCOMPARE(cost["throttleStatus"]["restoreRate"].toDouble(), 5.0);
        QVERIFY(cost["throttleStatus"]["currentlyAvailable"].toDouble() < 12);
        QCOMPARE(m_fakes->counters(Provider::Shopify).throttled, std::size_t(1));

        // The bucket leaks back at the restore rate.
        QTRY_VERIFY_WITH_TIMEOUT(m_fakes->shopifyCurrentlyAvailable() >= 12, 5000);
        r = shopify(variables);
        QVERIFY2(!r.json().contains("errors"), r.body.constData());

        // A plain 429 with Retry-After, as injected.
        m_fakes->injectFaults(Provider::Shopify, {Fault::error(429, 2)});
        r = shopify(variables);
        QCOMPARE(r.status, 429);
        QCOMPARE(r.headers.value("retry-after"), QByteArray("2"));
        QVERIFY(r.json()["errors"].toString().startsWith("Exceeded 2 calls per second"));
    }

    // ---- Square ----

    void squareSearchPagesWithCursor()
    {
        m_fakes->setPageSize(Provider::Square, 1);
        QStringList names;
        QJsonObject request{{"text_filter", "rain"}, {"limit", 100}};
        int pages = 0;
        while (true) {
            const Reply r = square("/v2/catalog/search-catalog-items", request);
            QCOMPARE(r.status, 200);
            QCOMPARE(r.headers.value("square-version"), QByteArray("2024-07-17"));
            const QJsonObject body = r.json();
            const QJsonArray items = body["items"].toArray();
            QCOMPARE(items.size(), 1);
            names << items[0]["item_data"]["name"].toString();
            ++pages;
            if (!body.contains("cursor")) {
                break;
            }
            request["cursor"] = body["cursor"];
            QVERIFY(pages < 10);
        }
        QCOMPARE(names, QStringList({"Rain Hat", "Rain Jacket"})); // by name

        const Reply r = square("/v2/catalog/search-catalog-items", {{"text_filter", "rj-red-s"}});
        const QJsonObject item = r.json()["items"][0].toObject();
        QCOMPARE(item["type"].toString(), QStringLiteral("ITEM"));
        QCOMPARE(item["id"].toString(), QString::fromStdString(m_jacket.id));
        const QJsonArray variations = item["item_data"]["variations"].toArray();
        QCOMPARE(variations.size(), 3); // the whole item
        const QJsonObject v = variations[1].toObject();
        QCOMPARE(v["type"].toString(), QStringLiteral("ITEM_VARIATION"));
        QCOMPARE(v["id"].toString(), QString::fromStdString(m_jacket.variations[1].id));
        const QJsonObject data = v["item_variation_data"].toObject();
        QCOMPARE(data["item_id"].toString(), QString::fromStdString(m_jacket.id));
        QCOMPARE(data["name"].toString(), QStringLiteral("Red, Small"));
        QCOMPARE(data["sku"].toString(), QStringLiteral("RJ-RED-S"));
        QCOMPARE(data["price_money"]["amount"].toInt(), 8900);
        QCOMPARE(r.json()["matched_variation_ids"].toArray(),
                 QJsonArray({QString::fromStdString(m_jacket.variations[1].id)}));
        QVERIFY(!r.json().contains("cursor"));

        // Nothing found: an empty object, as Square leaves empty lists out.
        QCOMPARE(square("/v2/catalog/search-catalog-items", {{"text_filter", "umbrella"}}).body,
                 QByteArray("{}"));
    }

    void squareErrors()
    {
        Reply r = square("/v2/catalog/search-catalog-items", {{"limit", 101}});
        verifySquareError(r, 400, "INVALID_REQUEST_ERROR", "VALUE_TOO_HIGH", "limit");
        r = square("/v2/catalog/search-catalog-items", {{"limit", 0}});
        verifySquareError(r, 400, "INVALID_REQUEST_ERROR", "VALUE_TOO_LOW", "limit");
        r = square("/v2/catalog/search-catalog-items", {{"cursor", "bogus"}});
        verifySquareError(r, 400, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", "cursor");
        r = square("/v2/inventory/counts/batch-retrieve", {{"states", QJsonArray{"BOGUS"}}});
        verifySquareError(r, 400, "INVALID_REQUEST_ERROR", "INVALID_ENUM_VALUE", "states[0]");
        r = square("/v2/inventory/counts/batch-retrieve", {{"limit", 1001}});
        verifySquareError(r, 400, "INVALID_REQUEST_ERROR", "VALUE_TOO_HIGH", "limit");
        r = client().send("POST", "/v2/catalog/search-catalog-items", "{not json",
                          {{"Authorization", "Bearer " + kSquareToken}});
        verifySquareError(r, 400, "INVALID_REQUEST_ERROR", "EXPECTED_JSON_BODY");

        r = square("/v2/catalog/search-catalog-items", {}, "EAAAwrong");
        verifySquareError(r, 401, "AUTHENTICATION_ERROR", "UNAUTHORIZED");
        r = square("/v2/catalog/search-catalog-items", {}, QByteArray());
        verifySquareError(r, 401, "AUTHENTICATION_ERROR", "UNAUTHORIZED");
        QCOMPARE(m_fakes->counters(Provider::Square).authFailures, std::size_t(2));

        r = square("/v2/catalog/list", {});
        verifySquareError(r, 404, "INVALID_REQUEST_ERROR", "NOT_FOUND");
    }

    void squareCountsPerLocation()
    {
        const std::string blueM = m_jacket.variations[0].id;
        const std::string redS = m_jacket.variations[1].id;
        const std::string redM = m_jacket.variations[2].id; // untracked: no count
        QVERIFY(m_fakes->setSquareCount(blueM, "L1", "7"));
        QThread::msleep(5);
        QVERIFY(m_fakes->setSquareCount(blueM, "L2", "0"));
        QThread::msleep(5);
        QVERIFY(m_fakes->setSquareCount(redS, "L1", "2.5"));
        QVERIFY(m_fakes->setSquareCount(m_hat.variations[0].id, "L1", "9"));
        QVERIFY(!m_fakes->setSquareCount("NO_SUCH_VARIATION", "L1", "1"));

        const QJsonArray ids{QString::fromStdString(blueM), QString::fromStdString(redS),
                             QString::fromStdString(redM)};
        Reply r =
            square("/v2/inventory/counts/batch-retrieve", {{"catalog_object_ids", ids},
                                                           {"location_ids", QJsonArray{"L1", "L2"}},
                                                           {"states", QJsonArray{"IN_STOCK"}}});
        QCOMPARE(r.status, 200);
        const QJsonArray counts = r.json()["counts"].toArray();
        QCOMPARE(counts.size(), 3);
        // Newest first.
        QCOMPARE(counts[0]["catalog_object_id"].toString(), QString::fromStdString(redS));
        QCOMPARE(counts[0]["quantity"].toString(), QStringLiteral("2.5"));
        QCOMPARE(counts[1]["location_id"].toString(), QStringLiteral("L2"));
        QCOMPARE(counts[1]["quantity"].toString(), QStringLiteral("0"));
        QCOMPARE(counts[2]["quantity"].toString(), QStringLiteral("7"));
        for (const auto& value : counts) {
            const QJsonObject c = value.toObject();
            QCOMPARE(c["catalog_object_type"].toString(), QStringLiteral("ITEM_VARIATION"));
            QCOMPARE(c["state"].toString(), QStringLiteral("IN_STOCK"));
            QVERIFY(
                QDateTime::fromString(c["calculated_at"].toString(), Qt::ISODateWithMs).isValid());
            QVERIFY(c["catalog_object_id"].toString() != QString::fromStdString(redM));
        }
        QVERIFY(!r.json().contains("cursor"));

        // Page by page with limit 1, to the page without a cursor.
        QStringList quantities;
        QJsonObject request{{"catalog_object_ids", ids}, {"limit", 1}};
        for (int page = 0; page < 10; ++page) {
            r = square("/v2/inventory/counts/batch-retrieve", request);
            QCOMPARE(r.json()["counts"].toArray().size(), 1);
            quantities << r.json()["counts"][0]["quantity"].toString();
            if (!r.json().contains("cursor")) {
                break;
            }
            request["cursor"] = r.json()["cursor"];
        }
        QCOMPARE(quantities, QStringList({"2.5", "0", "7"}));

        r = square("/v2/inventory/counts/batch-retrieve", {{"location_ids", QJsonArray{"L2"}}});
        QCOMPARE(r.json()["counts"].toArray().size(), 1);
        r = square("/v2/inventory/counts/batch-retrieve", {{"states", QJsonArray{"SOLD"}}});
        QCOMPARE(r.body, QByteArray("{}"));
        r = square("/v2/inventory/counts/batch-retrieve", {}); // every count
        QCOMPARE(r.json()["counts"].toArray().size(), 4);
    }

    // ---- Google ----

    void googleTokenEndpoint()
    {
        const QByteArray credentials =
            "client_id=" + QByteArray::fromStdString(kGoogle.clientId) +
            "&client_secret=" + QByteArray::fromStdString(kGoogle.clientSecret);
        const QByteArray refresh =
            "&refresh_token=" +
            QUrl::toPercentEncoding(QString::fromStdString(kGoogle.refreshToken));
        Reply r = tokenRequest("grant_type=refresh_token&" + credentials + refresh);
        QCOMPARE(r.status, 200);
        QJsonObject body = r.json();
        QVERIFY(body["access_token"].toString().startsWith("ya29."));
        QCOMPARE(body["expires_in"].toInt(), 3599);
        QCOMPARE(body["scope"].toString(),
                 QStringLiteral("https://www.googleapis.com/auth/calendar"));
        QCOMPARE(body["token_type"].toString(), QStringLiteral("Bearer"));
        QVERIFY(r.headers.value("cache-control").contains("no-store"));

        // Client credentials in HTTP Basic instead of the body.
        m_fakes->setGoogleAccessTokenLifetime(std::chrono::seconds(60));
        const QByteArray basic =
            QByteArray::fromStdString(kGoogle.clientId + ":" + kGoogle.clientSecret).toBase64();
        r = tokenRequest("grant_type=refresh_token" + refresh,
                         {{"Authorization", "Basic " + basic}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json()["expires_in"].toInt(), 60);
        QCOMPARE(m_fakes->counters(Provider::Google).tokensIssued, std::size_t(2));

        r = tokenRequest("grant_type=refresh_token&" + credentials + "&refresh_token=1//0gother");
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json(),
                 QJsonObject({{"error", "invalid_grant"},
                              {"error_description", "Token has been expired or revoked."}}));
        r = tokenRequest("grant_type=refresh_token&client_id=other.apps.googleusercontent.com"
                         "&client_secret=x" +
                         refresh);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.json()["error"].toString(), QStringLiteral("invalid_client"));
        QCOMPARE(r.json()["error_description"].toString(),
                 QStringLiteral("The OAuth client was not found."));
        r = tokenRequest(
            "grant_type=refresh_token&client_id=" + QByteArray::fromStdString(kGoogle.clientId) +
            "&client_secret=wrong" + refresh);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.json()["error"].toString(), QStringLiteral("invalid_client"));
        r = tokenRequest("grant_type=authorization_code&" + credentials + refresh);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json()["error"].toString(), QStringLiteral("unsupported_grant_type"));
        r = tokenRequest("grant_type=refresh_token&" + credentials);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json()["error"].toString(), QStringLiteral("invalid_request"));
        QCOMPARE(m_fakes->counters(Provider::Google).authFailures, std::size_t(3));
    }

    void googleCalendarEvents()
    {
        const QByteArray token = accessToken();
        QVERIFY(!token.isEmpty());
        const QJsonObject event{
            {"id", "cc0123456789abcdefv"},
            {"summary", "Fitting: Ana"},
            {"description", "Boots, size 9"},
            {"location", "Store 1"},
            {"start",
             QJsonObject{{"dateTime", "2030-05-01T10:00:00+02:00"}, {"timeZone", "Europe/Berlin"}}},
            {"end",
             QJsonObject{{"dateTime", "2030-05-01T10:30:00+02:00"}, {"timeZone", "Europe/Berlin"}}},
            {"extendedProperties",
             QJsonObject{{"private", QJsonObject{{"callcommanderId", "apt-42"}}}}},
            {"attendees", QJsonArray{}}, // not kept
        };
        Reply r = calendar("POST", kStorePath + "?sendUpdates=none", event, token);
        QCOMPARE(r.status, 200);
        const QJsonObject created = r.json();
        QCOMPARE(created["kind"].toString(), QStringLiteral("calendar#event"));
        QCOMPARE(created["id"].toString(), QStringLiteral("cc0123456789abcdefv"));
        QCOMPARE(created["status"].toString(), QStringLiteral("confirmed"));
        QVERIFY(created["htmlLink"].toString().startsWith(
            "https://www.google.com/calendar/event?eid="));
        QVERIFY(created["etag"].toString().startsWith('"'));
        QVERIFY(QDateTime::fromString(created["updated"].toString(), Qt::ISODateWithMs).isValid());
        QCOMPARE(created["start"]["timeZone"].toString(), QStringLiteral("Europe/Berlin"));
        QCOMPARE(created["extendedProperties"]["private"]["callcommanderId"].toString(),
                 QStringLiteral("apt-42"));
        QVERIFY(!created.contains("attendees"));

        verifyGoogleError(calendar("POST", kStorePath, event, token), 409, "duplicate");
        QJsonObject bad = event;
        bad["id"] = "Not-Base32hex";
        verifyGoogleError(calendar("POST", kStorePath, bad, token), 400, "invalid");
        bad["id"] = "abcd"; // too short
        verifyGoogleError(calendar("POST", kStorePath, bad, token), 400, "invalid");
        bad.remove("id");
        bad.remove("end");
        verifyGoogleError(calendar("POST", kStorePath, bad, token), 400, "required");
        bad["end"] = QJsonObject{{"dateTime", "2030-05-01T09:00:00+02:00"}};
        verifyGoogleError(calendar("POST", kStorePath, bad, token), 400, "timeRangeEmpty");

        // An id of the server's own: base32hex.
        QJsonObject plain = event;
        plain.remove("id");
        r = calendar("POST", kStorePath, plain, token);
        QCOMPARE(r.status, 200);
        const QString generated = r.json()["id"].toString();
        QVERIFY(
            QRegularExpression(QStringLiteral("^[a-v0-9]{5,1024}$")).match(generated).hasMatch());

        const QByteArray one = kStorePath + "/cc0123456789abcdefv";
        r = calendar("GET", one, {}, token);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json()["summary"].toString(), QStringLiteral("Fitting: Ana"));

        r = calendar(
            "PATCH", one,
            {{"summary", "Fitting: Ana B."},
             {"extendedProperties", QJsonObject{{"private", QJsonObject{{"note", "vip"}}}}}},
            token);
        QCOMPARE(r.status, 200);
        const QJsonObject patched = r.json();
        QCOMPARE(patched["summary"].toString(), QStringLiteral("Fitting: Ana B."));
        QCOMPARE(patched["description"].toString(), QStringLiteral("Boots, size 9"));
        QCOMPARE(patched["start"], created["start"]);
        QCOMPARE(patched["extendedProperties"]["private"]["callcommanderId"].toString(),
                 QStringLiteral("apt-42")); // merged, not replaced
        QVERIFY(patched["etag"] != created["etag"]);
        verifyGoogleError(calendar("PATCH", one, {{"summary", "x"}}, token,
                                   {{"If-Match", created["etag"].toString().toUtf8()}}),
                          412, "conditionNotMet");

        // What the fake holds, for assertions.
        const auto events = m_fakes->calendarEvents(kStore.toStdString());
        QCOMPARE(events.size(), std::size_t(2));
        QCOMPARE(events[0].id, std::string("cc0123456789abcdefv"));
        QCOMPARE(events[0].summary, std::string("Fitting: Ana B."));
        QCOMPARE(events[0].startDateTime, std::string("2030-05-01T10:00:00+02:00"));
        QCOMPARE(events[0].privateProperties.at("callcommanderId"), std::string("apt-42"));
        QCOMPARE(events[0].privateProperties.at("note"), std::string("vip"));

        r = calendar("DELETE", one, {}, token);
        QCOMPARE(r.status, 204);
        QVERIFY(r.body.isEmpty());
        verifyGoogleError(calendar("DELETE", one, {}, token), 410, "deleted");
        r = calendar("GET", one, {}, token);
        QCOMPARE(r.json()["status"].toString(), QStringLiteral("cancelled"));
        QCOMPARE(m_fakes->calendarEvents(kStore.toStdString())[0].status, std::string("cancelled"));
        verifyGoogleError(calendar("POST", kStorePath, event, token), 409, "duplicate");

        verifyGoogleError(calendar("GET", kStorePath + "/nosuchevent00", {}, token), 404,
                          "notFound");
        verifyGoogleError(calendar("POST",
                                   "/calendar/v3/calendars/nobody%40calendar.example/events", plain,
                                   token),
                          404, "notFound");

        // Access tokens expire: the documented 401.
        m_fakes->expireAccessTokens();
        r = calendar("GET", one, {}, token);
        verifyGoogleError(r, 401, "authError");
        const QJsonObject e = r.json()["error"].toObject();
        QCOMPARE(e["status"].toString(), QStringLiteral("UNAUTHENTICATED"));
        QCOMPARE(e["errors"][0]["message"].toString(), QStringLiteral("Invalid Credentials"));
        QCOMPARE(e["errors"][0]["location"].toString(), QStringLiteral("Authorization"));
        QCOMPARE(e["errors"][0]["locationType"].toString(), QStringLiteral("header"));
        verifyGoogleError(client().send("GET", one), 401, "authError");
        QCOMPARE(calendar("GET", one, {}, accessToken()).status, 200);
    }

    void googleFreeBusy()
    {
        auto add = [this](const char* start, const char* end, const char* status = "") {
            CalendarEvent e;
            e.startDateTime = start;
            e.endDateTime = end;
            e.status = status;
            return m_fakes->addCalendarEvent(kStore.toStdString(), e);
        };
        QVERIFY(!add("2030-05-01T10:00:00Z", "2030-05-01T11:00:00Z").empty());
        QVERIFY(!add("2030-05-01T10:30:00Z", "2030-05-01T12:00:00Z").empty());
        QVERIFY(!add("2030-05-01T15:00:00+01:00", "2030-05-01T16:00:00+01:00").empty());
        QVERIFY(!add("2030-05-01T12:30:00Z", "2030-05-01T13:00:00Z", "cancelled").empty());
        QVERIFY(!add("2030-05-01T07:00:00Z", "2030-05-01T08:00:00Z").empty()); // before
        QVERIFY(add("2030-05-01T07:00:00Z", "2030-05-01T06:00:00Z").empty());  // backwards

        const QByteArray token = accessToken();
        Reply r = calendar("POST", "/calendar/v3/freeBusy",
                           {{"timeMin", "2030-05-01T09:00:00Z"},
                            {"timeMax", "2030-05-01T14:30:00Z"},
                            {"timeZone", "UTC"},
                            {"items", QJsonArray{QJsonObject{{"id", QString(kStore)}},
                                                 QJsonObject{{"id", "nobody@calendar.example"}}}}},
                           token);
        QCOMPARE(r.status, 200);
        const QJsonObject body = r.json();
        QCOMPARE(body["kind"].toString(), QStringLiteral("calendar#freeBusy"));
        QCOMPARE(body["timeMin"].toString(), QStringLiteral("2030-05-01T09:00:00.000Z"));
        const QJsonArray busy = body["calendars"][QString(kStore)]["busy"].toArray();
        QCOMPARE(
            busy,
            QJsonArray(
                {QJsonObject{{"start", "2030-05-01T10:00:00Z"}, {"end", "2030-05-01T12:00:00Z"}},
                 QJsonObject{{"start", "2030-05-01T14:00:00Z"}, {"end", "2030-05-01T14:30:00Z"}}}));
        const QJsonObject missing = body["calendars"]["nobody@calendar.example"].toObject();
        QCOMPARE(missing["errors"][0]["domain"].toString(), QStringLiteral("global"));
        QCOMPARE(missing["errors"][0]["reason"].toString(), QStringLiteral("notFound"));

        r = calendar("POST", "/calendar/v3/freeBusy",
                     {{"timeMin", "2030-05-01T09:00:00Z"}, {"timeMax", "2030-05-01T08:00:00Z"}},
                     token);
        verifyGoogleError(r, 400, "timeRangeEmpty");
        QCOMPARE(r.json()["error"]["errors"][0]["domain"].toString(), QStringLiteral("calendar"));
        verifyGoogleError(calendar("POST", "/calendar/v3/freeBusy", {{"timeMin", "x"}}, token), 400,
                          "required");
    }

    // ---- faults ----

    void faultsAreConsumedInOrder()
    {
        m_fakes->injectFaults(
            Provider::Square,
            {Fault::error(503), Fault::error(429, 7).onPath("/counts/"), Fault::malformedJson()});
        QCOMPARE(m_fakes->pendingFaults(Provider::Square), std::size_t(3));
        Reply r = square("/v2/catalog/search-catalog-items", {});
        verifySquareError(r, 503, "API_ERROR", "SERVICE_UNAVAILABLE");
        // The 429 waits for a counts request; the next fault for a search is the malformed one.
        r = square("/v2/catalog/search-catalog-items", {});
        QCOMPARE(r.status, 200);
        QVERIFY(!r.body.isEmpty());
        QVERIFY(!r.isJson());
        r = square("/v2/inventory/counts/batch-retrieve", {});
        verifySquareError(r, 429, "RATE_LIMIT_ERROR", "RATE_LIMITED");
        QCOMPARE(r.headers.value("retry-after"), QByteArray("7"));
        QCOMPARE(m_fakes->pendingFaults(Provider::Square), std::size_t(0));
        QCOMPARE(square("/v2/catalog/search-catalog-items", {}).status, 200);
        QCOMPARE(m_fakes->counters(Provider::Square).faultsApplied, std::size_t(3));

        // A body of the test's own.
        m_fakes->injectFaults(Provider::Google, {Fault::error(500, std::nullopt, R"({"own":1})")});
        r = tokenRequest("grant_type=refresh_token");
        QCOMPARE(r.status, 500);
        QCOMPARE(r.body, QByteArray(R"({"own":1})"));
        // Google's own 5xx bodies: OAuth-shaped on /token, API-shaped on Calendar.
        m_fakes->injectFaults(Provider::Google,
                              {Fault::error(503), Fault::error(500), Fault::error(403)});
        r = tokenRequest("grant_type=refresh_token");
        QCOMPARE(r.status, 503);
        QCOMPARE(r.json()["error"].toString(), QStringLiteral("internal_failure"));
        verifyGoogleError(calendar("GET", kStorePath + "/x", {}, "t"), 500, "backendError");
        verifyGoogleError(calendar("GET", kStorePath + "/x", {}, "t"), 403, "rateLimitExceeded");
    }

    void faultClosesConnection()
    {
        m_fakes->injectFaults(Provider::Google, {Fault::closeConnection()});
        const int before = client().connects();
        Reply r = tokenRequest("grant_type=refresh_token");
        QCOMPARE(r.status, 0);
        QCOMPARE(r.error, QStringLiteral("closed"));
        // The next request, on a new connection, is answered.
        r = tokenRequest("grant_type=refresh_token");
        QCOMPARE(r.status, 400);
        QCOMPARE(client().connects(), before + 2);
    }

    void faultDelaysTheAnswer()
    {
        m_fakes->injectFaults(Provider::Shopify, {Fault::delayed(std::chrono::milliseconds(2000)),
                                                  Fault::delayed(std::chrono::milliseconds(300))});
        const QJsonObject variables{{"first", 1}, {"loc", "gid://shopify/Location/1"}};
        QElapsedTimer timer;
        timer.start();
        Reply r = client().send(
            "POST", kGraphQlPath, toJson({{"query", kVariantsQuery}, {"variables", variables}}),
            {{"Content-Type", "application/json"}, {"X-Shopify-Access-Token", kShopifyToken}}, 400);
        QCOMPARE(r.status, 0);
        QCOMPARE(r.error, QStringLiteral("timeout"));
        timer.restart();
        r = shopify(variables);
        QCOMPARE(r.status, 200);
        QVERIFY(timer.elapsed() >= 290);
        QCOMPARE(skusOf(r.json()).size(), 1);
    }

    // ---- log, limits, connections ----

    void recordsRequests()
    {
        const QByteArray body = R"({"text_filter":"hat"})";
        const Reply r = client().send("POST", "/v2/catalog/search-catalog-items?trace=1", body,
                                      {{"Authorization", "Bearer " + kSquareToken},
                                       {"Content-Type", "application/json"},
                                       {"Square-Version", "2024-06-04"}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("square-version"), QByteArray("2024-06-04"));
        const auto log = m_fakes->requests(Provider::Square);
        QCOMPARE(log.size(), std::size_t(1));
        QCOMPARE(log[0].method, std::string("POST"));
        QCOMPARE(log[0].target, std::string("/v2/catalog/search-catalog-items?trace=1"));
        QCOMPARE(log[0].header("authorization"), "Bearer " + kSquareToken.toStdString());
        QCOMPARE(log[0].header("Square-Version"), std::string("2024-06-04"));
        QCOMPARE(log[0].body, body.toStdString());
        QVERIFY(m_fakes->requests(Provider::Shopify).empty());
        QCOMPARE(m_fakes->counters(Provider::Square).requests, std::size_t(1));

        m_fakes->clearLog();
        QVERIFY(m_fakes->requests(Provider::Square).empty());
        QCOMPARE(m_fakes->counters(Provider::Square).requests, std::size_t(0));
    }

    void keepsConnectionsAlive()
    {
        const std::size_t before = m_fakes->connectionsAccepted();
        QCOMPARE(square("/v2/catalog/search-catalog-items", {}).status, 200);
        QCOMPARE(shopify({{"first", 1}}).status, 200);
        QCOMPARE(tokenRequest("grant_type=refresh_token").status, 400);
        QCOMPARE(square("/v2/inventory/counts/batch-retrieve", {}).status, 200);
        QCOMPARE(m_fakes->connectionsAccepted(), before + 1);
        QCOMPARE(client().connects(), 1);
    }

    void limitsAndUnknownPaths()
    {
        const QByteArray big(1024 * 1024 + 1, 'x');
        Reply r = client().send("POST", "/v2/catalog/search-catalog-items", big,
                                {{"Authorization", "Bearer " + kSquareToken}});
        verifySquareError(r, 413, "INVALID_REQUEST_ERROR", "REQUEST_ENTITY_TOO_LARGE");
        QCOMPARE(r.headers.value("connection").toLower(), QByteArray("close"));
        m_fakes->setMaxBodyBytes(64);
        r = shopify({{"q", "a long enough query to pass sixty-four bytes"}, {"first", 1}});
        QCOMPARE(r.status, 413);
        QVERIFY(r.json().contains("errors"));

        r = client().send("GET", "/admin/api/2024-07/products.json", {},
                          {{"X-Shopify-Access-Token", kShopifyToken}});
        QCOMPARE(r.status, 404);
        QCOMPARE(r.body, QByteArray(R"({"errors":"Not Found"})"));
        r = square("/v2/locations", {});
        verifySquareError(r, 404, "INVALID_REQUEST_ERROR", "NOT_FOUND");
        verifyGoogleError(client().send("GET", "/calendar/v3/users/me/calendarList"), 404,
                          "notFound");
        r = client().send("GET", "/somewhere-else");
        QCOMPARE(r.status, 404);
    }
};

QTEST_GUILESS_MAIN(TestProviderFakes)
#include "tst_providerfakes.moc"
