// The app's side of automation against the real server, PostgreSQL and the provider fakes over
// HTTPS: an admin connects Shopify and Google Calendar from IntegrationsModel (checked input,
// words for every refusal, test connection, disconnect); staff check stock with StockCheck (the
// answer, and clear words when nothing is connected, the store is not theirs or Shopify fails;
// cancel); appointments are booked on the store's clock with AppointmentBooking (offline too),
// confirmed and cancelled from AppointmentsModel, and reach the server and the store's calendar.
// Every list model runs under QAbstractItemModelTester.

#include "app/admin/integrationsmodel.h"
#include "app/auth/session.h"
#include "app/models/appointmentbooking.h"
#include "app/models/appointmentsdata.h"
#include "app/models/appointmentsmodel.h"
#include "app/models/providerwords.h"
#include "app/models/stockcheck.h"
#include "app/models/storesmodel.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncservice.h"
#include "server/auth/password.h"
#include "tests/fakes/provider_fakes.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

#include <pqxx/pqxx>

#include <memory>

using cc::app::AppointmentBooking;
using cc::app::AppointmentsModel;
using cc::app::IntegrationsModel;
using cc::app::StockCheck;
using cc::app::StoresModel;
using cc::app::SyncService;
using cc::fakes::Fault;
using FakeProvider = cc::fakes::Provider;

namespace {

constexpr const char* kPassword = "correct horse battery";
constexpr int kTimeoutMs = 15000;
const std::string kShopifyToken = "shpat_automation_0123456789";
const std::string kGoogleSecret = "google-secret-automation";
const std::string kRefreshToken = "1//refresh-automation";
const std::string kCalendar = "store-a@calendar.example";

// One person's app: connection, sign-in and, for staff, their offline cache.
struct Device {
    QTemporaryDir folder;
    std::unique_ptr<cc::app::ServerConnection> connection;
    std::unique_ptr<cc::app::Session> session;
    std::unique_ptr<SyncService> sync;

    ~Device()
    {
        if (sync) {
            sync->stop();
            (void)QTest::qWaitFor([&] { return !sync->active(); }, 5000);
        }
        if (connection) {
            connection->disconnectFromServer();
        }
    }
};

QByteArray json(const char* text)
{
    return QByteArray(text);
}

} // namespace

class TestAutomationModels : public QObject {
    Q_OBJECT

    QTemporaryDir m_fakeDir;
    cc::test::TlsFiles m_fakeTls;
    std::unique_ptr<cc::fakes::ProviderFakes> m_fakes;
    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;
    std::unique_ptr<Device> m_admin;
    std::unique_ptr<Device> m_ann;

    std::string scalar(const std::string& sql)
    {
        pqxx::work tx(*m_db);
        const auto r = tx.exec(sql);
        tx.commit();
        return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
    }

    std::unique_ptr<Device> signIn(const QString& email, bool withCache)
    {
        auto d = std::make_unique<Device>();
        d->connection = std::make_unique<cc::app::ServerConnection>(nullptr);
        d->connection->setUrl(QUrl(m_fx.server->wsUrl()));
        d->connection->setExtraCaCertificates(m_fx.tls.ca());
        d->connection->setDeviceId(QStringLiteral("auto-") + email.section('@', 0, 0));
        d->session = std::make_unique<cc::app::Session>(d->connection.get(), nullptr);
        d->session->setExtraCaCertificates(m_fx.tls.ca());
        d->session->setOrganisation(QStringLiteral("acme"));
        d->session->setEmail(email);
        if (withCache) {
            d->sync = std::make_unique<SyncService>(d->connection.get());
        }
        d->session->signIn(QString::fromLatin1(kPassword));
        if (!QTest::qWaitFor(
                [&] { return d->session->state() == cc::app::Session::State::SignedIn; },
                kTimeoutMs)) {
            qWarning("sign-in failed: %s", qPrintable(d->session->error()));
            return nullptr;
        }
        if (withCache) {
            d->sync->start(d->folder.path(), QStringLiteral("acme"), d->session->userId(),
                           d->session->cacheKey());
            if (!QTest::qWaitFor([&] { return d->sync->state() == SyncService::State::Online; },
                                 kTimeoutMs)) {
                qWarning("the cache did not go live: %s", qPrintable(d->sync->lastError()));
                return nullptr;
            }
        }
        return d;
    }

    static int rowOf(const QAbstractItemModel& model, int role, const QString& value)
    {
        for (int i = 0; i < model.rowCount(); ++i) {
            if (model.index(i, 0).data(role).toString() == value) {
                return i;
            }
        }
        return -1;
    }

    // Tomorrow on store A's clock (Europe/London), as the booking form gives it.
    static QString tomorrowInLondon()
    {
        return QDateTime::currentDateTimeUtc()
            .toTimeZone(QTimeZone("Europe/London"))
            .date()
            .addDays(1)
            .toString(Qt::ISODate);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_fakeDir.isValid());
        m_fakeTls = cc::test::TlsFiles::generate(m_fakeDir.path());
        m_fakes = std::make_unique<cc::fakes::ProviderFakes>(m_fakeTls.certFile.toStdString(),
                                                             m_fakeTls.keyFile.toStdString());
        m_fakes->start();
        m_fakes->setShopifyAccessToken(kShopifyToken);
        for (const auto& [size, quantity] :
             std::vector<std::pair<std::string, int>>{{"S", 2}, {"M", 7}, {"L", 0}}) {
            m_fakes->addShopifyVariant({"Rain Jacket",
                                        "Blue / " + size,
                                        "RJ-BLU-" + size,
                                        {{"Color", "Blue"}, {"Size", size}},
                                        {{"gid://shopify/Location/1", quantity}}});
        }
        m_fakes->setGoogleCredentials({"client-1", kGoogleSecret, kRefreshToken});
        m_fakes->addGoogleCalendar(kCalendar);

        // The fakes listen on loopback, which the server refuses to call unless told otherwise.
        const QString failure =
            m_fx.start({{"CALLCOMMANDER_INTEGRATIONS_CA_FILE", m_fakeTls.caFile},
                        {"CALLCOMMANDER_INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES", "true"}});
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_chain = cc::test::seedChain(*m_db);
        {
            pqxx::work tx(*m_db);
            tx.exec_params("UPDATE users SET password_hash = $1 WHERE organisation_id = $2",
                           cc::server::auth::hashPassword(kPassword), m_chain.org);
            tx.commit();
        }
        m_admin = signIn(QStringLiteral("ada@acme.example"), false);
        QVERIFY(m_admin);
        m_ann = signIn(QStringLiteral("ann@acme.example"), true);
        QVERIFY(m_ann);
    }

    void cleanupTestCase()
    {
        m_ann.reset();
        m_admin.reset();
        if (m_fx.server) {
            QCOMPARE(m_fx.stop(), 0);
        }
        if (m_fakes) {
            m_fakes->stop();
        }
    }

    // ---- rules, without the server ----

    void integrationsAnswerIsReadCarefully()
    {
        QVERIFY(!IntegrationsModel::parse("not json").has_value());
        QVERIFY(!IntegrationsModel::parse(R"({"integrations":{}})").has_value());
        QVERIFY(!IntegrationsModel::parse(R"({"integrations":[{"provider":"shopify"}]})")
                     .has_value()); // no enabled, no settings
        QVERIFY(!IntegrationsModel::parse(
                     R"({"integrations":[{"provider":"square","enabled":true,"settings":{}},)"
                     R"({"provider":"square","enabled":true,"settings":{}}]})")
                     .has_value()); // twice
        QVERIFY(
            !IntegrationsModel::parse(
                 R"({"integrations":[{"provider":"square","enabled":true,"settings":{"a":1}}]})")
                 .has_value());

        const auto none = IntegrationsModel::parse(R"({"integrations":[]})");
        QVERIFY(none.has_value());
        QCOMPARE(none->size(), 3); // every provider, connected or not
        QCOMPARE(none->at(0).provider, QStringLiteral("shopify"));
        QVERIFY(!none->at(0).connected);

        const auto rows = IntegrationsModel::parse(
            R"({"integrations":[{"provider":"google_calendar","enabled":true,)"
            R"("settings":{"client_id":"c"},"credentials_set":["client_secret","refresh_token"],)"
            R"("status":"failing","last_error":"Google refused the refresh token",)"
            R"("checked_at":"2024-07-01T10:00:00Z","updated_at":"2024-07-01T09:00:00Z",)"
            R"("locations":{"00000000-0000-4000-8000-000000000010":"a@b"}},)"
            R"({"provider":"teams","enabled":true,"settings":{}}]})");
        QVERIFY(rows.has_value());
        QCOMPARE(rows->size(), 3); // a provider this app does not know is left out
        const auto& google = rows->at(2);
        QVERIFY(google.connected);
        QCOMPARE(google.status, QStringLiteral("failing"));
        QCOMPARE(google.checkedAt, QDateTime(QDate(2024, 7, 1), QTime(10, 0), Qt::UTC));
        QCOMPARE(google.credentialsSet.size(), 2);
        QCOMPARE(google.locations.value(QStringLiteral("00000000-0000-4000-8000-000000000010")),
                 QStringLiteral("a@b"));

        IntegrationsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRows(*rows);
        const QModelIndex g = model.index(model.rowOf(QStringLiteral("google_calendar")));
        QCOMPARE(g.data(IntegrationsModel::StatusRole).toString(), QStringLiteral("failing"));
        QCOMPARE(g.data(IntegrationsModel::StatusTextRole).toString(), QStringLiteral("Failing"));
        QCOMPARE(g.data(IntegrationsModel::NameRole).toString(), QStringLiteral("Google Calendar"));
        QCOMPARE(g.data(IntegrationsModel::LinkedCountRole).toInt(), 1);
        QCOMPARE(g.data(IntegrationsModel::CredentialFieldsRole).toList().size(), 2);
        QVERIFY(g.data(IntegrationsModel::CredentialFieldsRole)
                    .toList()
                    .at(0)
                    .toMap()
                    .value(QStringLiteral("saved"))
                    .toBool());
        QCOMPARE(model.index(0).data(IntegrationsModel::StatusTextRole).toString(),
                 QStringLiteral("Not connected"));
    }

    void savingIsCheckedFirst()
    {
        using Row = IntegrationsModel::Row;
        const QString store = QStringLiteral("00000000-0000-4000-8000-000000000010");
        const auto patch = [](const Row* current, const char* provider, const QVariantMap& s,
                              const QVariantMap& c, const QVariant& l) {
            return IntegrationsModel::makePatch(current, QString::fromLatin1(provider), s, c, l,
                                                true);
        };
        // Shopify needs its shop's https address and, to connect, the token.
        QVERIFY(patch(nullptr, "shopify", {}, {{"access_token", "t"}}, {})
                    .error.contains(QStringLiteral("shop address")));
        QVERIFY(patch(nullptr, "shopify", {{"base_url", "http://x.myshopify.com"}},
                      {{"access_token", "t"}}, {})
                    .error.contains(QStringLiteral("https://")));
        QVERIFY(patch(nullptr, "shopify", {{"base_url", "https://x.myshopify.com"}}, {}, {})
                    .error.contains(QStringLiteral("access token")));
        QVERIFY(patch(nullptr, "shopify",
                      {{"base_url", "https://x.myshopify.com"}, {"api_version", "July"}},
                      {{"access_token", "t"}}, {})
                    .error.contains(QStringLiteral("2024-07")));
        // A Shopify location is its gid; a bare number is taken as one. Empty: not linked.
        const auto ok = patch(
            nullptr, "shopify", {{"base_url", " https://x.myshopify.com "}, {"api_version", ""}},
            {{"access_token", " t "}},
            QVariantMap{{store, "42"}, {"00000000-0000-4000-8000-000000000011", ""}});
        QCOMPARE(ok.error, QString());
        QCOMPARE(ok.body.value("settings").toObject(),
                 QJsonObject({{"base_url", "https://x.myshopify.com"}}));
        QCOMPARE(ok.body.value("credentials").toObject(), QJsonObject({{"access_token", "t"}}));
        QCOMPARE(ok.body.value("locations").toObject(),
                 QJsonObject({{store, "gid://shopify/Location/42"}}));
        QCOMPARE(ok.body.value("enabled").toBool(), true);
        QVERIFY(patch(nullptr, "shopify", {{"base_url", "https://x.myshopify.com"}},
                      {{"access_token", "t"}}, QVariantMap{{store, "Camden"}})
                    .error.contains(QStringLiteral("not a Shopify location")));
        QVERIFY(patch(nullptr, "shopify", {{"base_url", "https://x.myshopify.com"}},
                      {{"access_token", "t"}}, QVariantMap{{"Camden", "1"}})
                    .error.contains(QStringLiteral("store")));
        // Connected already: no credentials keeps the saved ones, no locations keeps the links.
        Row connected;
        connected.provider = QStringLiteral("square");
        connected.connected = true;
        const auto keep = patch(&connected, "square", {}, {{"access_token", ""}}, QVariant());
        QCOMPARE(keep.error, QString());
        QVERIFY(!keep.body.contains("credentials"));
        QVERIFY(!keep.body.contains("locations"));
        QCOMPARE(keep.body.value("settings").toObject(), QJsonObject()); // defaults
        // ... but a new address needs them again (the saved ones are not sent anywhere else).
        connected.settings = {{"base_url", "https://connect.squareup.com"}};
        QCOMPARE(patch(&connected, "square", {{"base_url", "https://connect.squareup.com"}}, {},
                       QVariant())
                     .error,
                 QString());
        QVERIFY(patch(&connected, "square", {{"base_url", "https://sandbox.squareup.com"}}, {},
                      QVariant())
                    .error.contains(QStringLiteral("access token again")));
        QCOMPARE(patch(&connected, "square", {{"base_url", "https://sandbox.squareup.com"}},
                       {{"access_token", "t2"}}, QVariant())
                     .error,
                 QString());
        // Google: both secrets, or neither.
        const auto half =
            patch(nullptr, "google_calendar", {{"client_id", "c"}}, {{"client_secret", "s"}}, {});
        QVERIFY2(half.error.contains(QStringLiteral("refresh token")), qPrintable(half.error));
        QVERIFY(patch(nullptr, "stripe", {}, {}, {}).error.contains(QStringLiteral("stripe")));
        QVERIFY(patch(nullptr, "square", {{"colour", "red"}}, {{"access_token", "t"}}, {})
                    .error.contains(QStringLiteral("colour")));
    }

    void wordsForPeople()
    {
        using cc::app::providers::Audience;
        using cc::app::providers::describeFailure;
        QCOMPARE(cc::app::providers::providerIn(QStringLiteral("Shopify: too many requests")),
                 QStringLiteral("shopify"));
        QVERIFY(describeFailure(QStringLiteral("shopify"), QStringLiteral("unavailable"),
                                Audience::Staff)
                    .startsWith(QStringLiteral("Shopify is not answering right now")));
        QVERIFY(describeFailure({}, QStringLiteral("unavailable"), Audience::Staff)
                    .startsWith(QStringLiteral("The stock system is not answering")));
        QVERIFY(describeFailure(QStringLiteral("square"), QStringLiteral("unauthorized"),
                                Audience::Staff)
                    .contains(QStringLiteral("ask your admin")));
        QVERIFY(describeFailure(QStringLiteral("google_calendar"), QStringLiteral("unauthorized"),
                                Audience::Admin)
                    .contains(QStringLiteral("refresh token")));

        QString error;
        QCOMPARE(StockCheck::normaliseColours({" Blue", "blue", "", "NAVY "}, &error),
                 QStringList({"blue", "navy"}));
        QCOMPARE(error, QString());
        QVERIFY(StockCheck::normaliseColours({"a", "b", "c", "d"}, &error).isEmpty());
        QVERIFY(error.contains(QStringLiteral("3")));

        // Each answer of the server, as the person reads it.
        StockCheck check;
        const auto said = [&](int status, const char* body) {
            check.takeAnswer(status, json(body));
            return check.state() == StockCheck::State::Failed ? check.error() : QString();
        };
        QCOMPARE(said(409, R"({"error":"not_connected","message":"no source of stock"})"),
                 QStringLiteral("No stock system is connected — ask your admin."));
        QVERIFY(said(503, R"({"error":"unavailable","message":"Shopify: HTTP 503"})")
                    .startsWith(QStringLiteral("Shopify is not answering right now")));
        QVERIFY(said(502, R"({"error":"unauthorized","message":"Square refused the access token"})")
                    .startsWith(QStringLiteral("Square turned our sign-in down")));
        QCOMPARE(said(404, R"({"error":"no such store"})"),
                 QStringLiteral("You can only check stock for the stores you work in."));
        QVERIFY(
            said(404, R"({"error":"not_found","message":"this store has no location at shopify"})")
                .contains(QStringLiteral("ask your admin to link it")));
        QVERIFY(said(400, R"({"error":"size is not a size we know"})")
                    .contains(QStringLiteral("size is not a size we know")));
        QVERIFY(said(0, "").startsWith(QStringLiteral("Cannot reach the server")));
        QVERIFY(said(200, R"({"lines":{}})").contains(QStringLiteral("cannot read")));

        // A good answer: in stock here first, quantities never below zero, bounded.
        check.takeAnswer(
            200,
            json(
                R"({"store_id":"s","provider":"square","truncated":false,)"
                R"("summary":"Yes, at Camden we have 3 of the Tent.",)"
                R"("lines":[{"product":"Tent","variant":"Green","sku":"T-G","available":-2,"stocked_here":true},)"
                R"({"product":"Tent","variant":"Default Title","sku":"T","available":3,"stocked_here":true},)"
                R"({"product":"Tent","variant":"Red","sku":"T-R","available":5,"stocked_here":false}]})"));
        QCOMPARE(check.state(), StockCheck::State::Done);
        QCOMPARE(check.provider(), QStringLiteral("square"));
        QCOMPARE(check.providerName(), QStringLiteral("Square"));
        QCOMPARE(check.inStockHere(), 1);
        QCOMPARE(check.lines().size(), 3);
        const QVariantMap first = check.lines().at(0).toMap();
        QCOMPARE(first.value("variant").toString(), QString()); // Shopify's "Default Title"
        QCOMPARE(first.value("availability").toString(), QStringLiteral("3 in stock"));
        QCOMPARE(check.lines().at(1).toMap().value("available").toLongLong(), 0);
        QCOMPARE(check.lines().at(1).toMap().value("availability").toString(),
                 QStringLiteral("Out of stock"));
        QCOMPARE(check.lines().at(2).toMap().value("availability").toString(),
                 QStringLiteral("Not sold at this store"));
        // Once known, the provider names failures even when the server's words do not.
        QVERIFY(said(503, R"({"error":"unavailable"})")
                    .startsWith(QStringLiteral("Square is not answering")));

        QJsonArray many;
        for (int i = 0; i < 400; ++i) {
            many.append(QJsonObject{{"product", "P"},
                                    {"variant", QString::number(i)},
                                    {"sku", ""},
                                    {"available", 1},
                                    {"stocked_here", true}});
        }
        check.takeAnswer(200, QJsonDocument(QJsonObject{{"lines", many}, {"summary", "x"}})
                                  .toJson(QJsonDocument::Compact));
        QCOMPARE(check.state(), StockCheck::State::Done);
        QCOMPARE(check.lines().size(), 250);
        QVERIFY(check.truncated());
    }

    void bookingRules()
    {
        using cc::app::appointments::Booking;
        using cc::app::appointments::checkBooking;
        // Monday 3 March 2025, 12:00 in London.
        const qint64 now = QDateTime(QDate(2025, 3, 3), QTime(12, 0), Qt::UTC).toMSecsSinceEpoch();
        Booking b{QStringLiteral("s"),
                  QStringLiteral("Camden"),
                  QStringLiteral("Europe/London"),
                  {},
                  QStringLiteral("2025-07-01"),
                  QStringLiteral("11:00"),
                  45,
                  QStringLiteral("Fitting")};
        auto c = checkBooking(b, now);
        QCOMPARE(c.error, QString());
        // 11:00 in London in July is 10:00 UTC (summer time).
        QCOMPARE(c.startsMs,
                 QDateTime(QDate(2025, 7, 1), QTime(10, 0), Qt::UTC).toMSecsSinceEpoch());
        QCOMPARE(c.endsMs - c.startsMs, 45 * 60 * 1000);

        b.date = QStringLiteral("2025-03-03");
        b.time = QStringLiteral("11:45");
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("has passed at Camden")));
        b.date = QStringLiteral("2025-03-30"); // the clocks go forward at 01:00
        b.time = QStringLiteral("01:30");
        QVERIFY2(checkBooking(b, now).error.contains(QStringLiteral("clocks change")),
                 qPrintable(checkBooking(b, now).error));
        b.time = QStringLiteral("02:30");
        QCOMPARE(checkBooking(b, now).error, QString());
        b.minutes = 10;
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("15 minutes")));
        b.minutes = 241;
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("4 hours")));
        b.minutes = 60;
        b.purpose = QString(201, QLatin1Char('x'));
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("200")));
        b.purpose.clear();
        b.date = QStringLiteral("2026-06-01");
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("year")));
        b.date = QStringLiteral("31/12");
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("day")));
        b.date = QStringLiteral("2025-07-01");
        b.customerId = QStringLiteral("Alice");
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("customer")));
        b.customerId.clear();
        b.timeZone = QStringLiteral("Mars/Olympus");
        QVERIFY(checkBooking(b, now).error.contains(QStringLiteral("time zone")));

        // On the store's clock, with whose clock it is when the device's differs.
        const QDateTime at(QDate(2025, 7, 1), QTime(10, 0), Qt::UTC);
        const QString when = cc::app::appointments::describeWhen(
            at, at.addSecs(1800), QStringLiteral("Europe/London"),
            QDateTime(QDate(2025, 6, 30), QTime(8, 0), Qt::UTC));
        QVERIFY2(when.startsWith(QStringLiteral("Tomorrow, 11:00–11:30")), qPrintable(when));
        QCOMPARE(cc::app::appointments::describeWhen(
                     at, at.addSecs(1800), QStringLiteral("America/New_York"),
                     QDateTime(QDate(2025, 6, 20), QTime(8, 0), Qt::UTC))
                     .left(20),
                 QStringLiteral("Tue 1 Jul, 06:00–06:"));
        QCOMPARE(AppointmentsModel::calendarText(QStringLiteral("failed"), QStringLiteral("boom")),
                 QStringLiteral("Not in the store's calendar yet: boom"));
        QCOMPARE(AppointmentsModel::calendarText(QStringLiteral("none"), {}), QString());
    }

    // ---- against the server ----

    void nothingConnectedYet()
    {
        StockCheck check;
        check.setSession(m_ann->session.get());
        check.setStoreId(QString::fromStdString(m_chain.storeA));
        check.setItem(QStringLiteral("rain jacket"));
        check.check();
        QCOMPARE(check.state(), StockCheck::State::Checking);
        QTRY_VERIFY_WITH_TIMEOUT(check.state() != StockCheck::State::Checking, kTimeoutMs);
        QCOMPARE(check.error(), QStringLiteral("No stock system is connected — ask your admin."));

        // Missing input is said at once, without asking.
        check.setItem(QStringLiteral("   "));
        check.check();
        QCOMPARE(check.state(), StockCheck::State::Failed);
        QCOMPARE(check.error(), QStringLiteral("Enter what the customer is looking for."));

        // Only admins see the integrations.
        IntegrationsModel denied;
        denied.setSession(m_ann->session.get());
        QTRY_VERIFY_WITH_TIMEOUT(!denied.loading(), kTimeoutMs);
        QVERIFY(denied.error().contains(QStringLiteral("role")));
    }

    void adminConnectsShopifyAndGoogle()
    {
        IntegrationsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(m_admin->session.get());
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), kTimeoutMs);
        QCOMPARE(model.error(), QString());
        QCOMPARE(model.rowCount(), 3);
        const int shopify = model.rowOf(QStringLiteral("shopify"));
        QVERIFY(!model.index(shopify).data(IntegrationsModel::ConnectedRole).toBool());

        // Refused here: nothing is sent.
        model.save(QStringLiteral("shopify"),
                   {{"base_url", QString::fromStdString(m_fakes->baseUrl())}}, {}, QVariant(),
                   true);
        QVERIFY(model.messageIsError());
        QCOMPARE(model.messageProvider(), QStringLiteral("shopify"));
        QVERIFY(model.message().contains(QStringLiteral("access token")));
        QCOMPARE(model.busy(), QString());

        // Saved: connected, not tested yet, store A linked by its Shopify number.
        const QString storeA = QString::fromStdString(m_chain.storeA);
        model.save(QStringLiteral("shopify"),
                   {{"base_url", QString::fromStdString(m_fakes->baseUrl())}},
                   {{"access_token", QString::fromStdString(kShopifyToken)}},
                   QVariantMap{{storeA, "1"}}, true);
        QCOMPARE(model.busy(), QStringLiteral("shopify"));
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QVERIFY2(!model.messageIsError(), qPrintable(model.message()));
        QVERIFY(model.message().contains(QStringLiteral("Test the connection")));
        QTRY_VERIFY_WITH_TIMEOUT(
            model.index(shopify).data(IntegrationsModel::ConnectedRole).toBool(), kTimeoutMs);
        QModelIndex row = model.index(shopify);
        QCOMPARE(row.data(IntegrationsModel::StatusRole).toString(), QStringLiteral("untested"));
        QCOMPARE(row.data(IntegrationsModel::LocationsRole).toMap().value(storeA).toString(),
                 QStringLiteral("gid://shopify/Location/1"));
        QCOMPARE(row.data(IntegrationsModel::SettingsRole).toMap().value("api_version").toString(),
                 QStringLiteral("2024-07")); // the server's default
        QVERIFY(!QJsonDocument::fromVariant(row.data(IntegrationsModel::SettingsRole))
                     .toJson()
                     .contains(kShopifyToken.c_str()));

        // Test connection: the server asks Shopify for real.
        model.test(QStringLiteral("shopify"));
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QCOMPARE(model.message(), QStringLiteral("Shopify answered: the connection works."));
        QTRY_COMPARE_WITH_TIMEOUT(
            model.index(shopify).data(IntegrationsModel::StatusRole).toString(),
            QStringLiteral("ok"), kTimeoutMs);
        QVERIFY(model.index(shopify).data(IntegrationsModel::CheckedAtRole).toDateTime().isValid());

        // A refused token: failing, with the reason in words and the server's.
        m_fakes->injectFaults(FakeProvider::Shopify, {Fault::error(401)});
        model.test(QStringLiteral("shopify"));
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QVERIFY(model.messageIsError());
        QVERIFY2(model.message().startsWith(QStringLiteral("Shopify refused the access token")),
                 qPrintable(model.message()));
        QTRY_COMPARE_WITH_TIMEOUT(
            model.index(shopify).data(IntegrationsModel::StatusRole).toString(),
            QStringLiteral("failing"), kTimeoutMs);
        QVERIFY(!model.index(shopify).data(IntegrationsModel::LastErrorRole).toString().isEmpty());
        model.test(QStringLiteral("shopify"));
        QTRY_COMPARE_WITH_TIMEOUT(
            model.index(shopify).data(IntegrationsModel::StatusRole).toString(),
            QStringLiteral("ok"), kTimeoutMs);

        // Square beside Shopify is refused, in words.
        model.save(QStringLiteral("square"), {}, {{"access_token", "sq-token"}}, QVariant(), true);
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QVERIFY(model.messageIsError());
        QVERIFY2(model.message().contains(QStringLiteral("Only one source of stock")),
                 qPrintable(model.message()));
        // ... but can be kept, off.
        model.save(QStringLiteral("square"), {}, {{"access_token", "sq-token"}}, QVariant(), false);
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QVERIFY2(!model.messageIsError(), qPrintable(model.message()));
        const int square = model.rowOf(QStringLiteral("square"));
        QTRY_COMPARE_WITH_TIMEOUT(
            model.index(square).data(IntegrationsModel::StatusRole).toString(),
            QStringLiteral("off"), kTimeoutMs);
        // The server's own refusal comes through in its words.
        model.save(QStringLiteral("square"), {}, {},
                   QVariantMap{{QStringLiteral("00000000-0000-4000-8000-000000000001"), "L1"}},
                   false);
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QVERIFY(model.messageIsError());
        QCOMPARE(model.message(), QStringLiteral("The server did not take the settings: locations "
                                                 "name a store that is not yours"));
        // Disconnect.
        model.remove(QStringLiteral("square"));
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QVERIFY(model.message().contains(QStringLiteral("disconnected")));
        QTRY_VERIFY_WITH_TIMEOUT(
            !model.index(square).data(IntegrationsModel::ConnectedRole).toBool(), kTimeoutMs);
        QCOMPARE(scalar("SELECT count(*) FROM integrations WHERE provider = 'square'"),
                 std::string("0"));

        // Google Calendar for store A.
        const QString base = QString::fromStdString(m_fakes->baseUrl());
        model.save(QStringLiteral("google_calendar"),
                   {{"client_id", "client-1"},
                    {"token_url", base + "/token"},
                    {"calendar_url", base + "/calendar/v3"}},
                   {{"client_secret", QString::fromStdString(kGoogleSecret)},
                    {"refresh_token", QString::fromStdString(kRefreshToken)}},
                   QVariantMap{{storeA, QString::fromStdString(kCalendar)}}, true);
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QVERIFY2(!model.messageIsError(), qPrintable(model.message()));
        model.test(QStringLiteral("google_calendar"));
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
        QCOMPARE(model.message(),
                 QStringLiteral("Google Calendar answered: the connection works."));

        // One action at a time.
        model.test(QStringLiteral("shopify"));
        model.test(QStringLiteral("google_calendar"));
        QVERIFY(model.messageIsError());
        QVERIFY(model.message().startsWith(QStringLiteral("Wait until Shopify")));
        QTRY_COMPARE_WITH_TIMEOUT(model.busy(), QString(), kTimeoutMs);
    }

    void staffCheckStock()
    {
        StockCheck check;
        QSignalSpy changed(&check, &StockCheck::stateChanged);
        check.setSession(m_ann->session.get());
        check.setStoreId(QString::fromStdString(m_chain.storeA));
        check.setItem(QStringLiteral("rain jacket"));
        check.setColours({QStringLiteral("Blue")});
        check.setSize(QStringLiteral("m"));
        check.check();
        QCOMPARE(check.state(), StockCheck::State::Checking);
        QTRY_VERIFY_WITH_TIMEOUT(check.state() != StockCheck::State::Checking, kTimeoutMs);
        QCOMPARE(check.error(), QString());
        QCOMPARE(check.state(), StockCheck::State::Done);
        QCOMPARE(check.provider(), QStringLiteral("shopify"));
        QCOMPARE(check.question(), QStringLiteral("rain jacket · blue · size M"));
        QVERIFY2(check.summary().contains(QStringLiteral("we have 7 of the Rain Jacket")),
                 qPrintable(check.summary()));
        QCOMPARE(check.inStockHere(), 1);
        const QVariantMap line = check.lines().at(0).toMap();
        QCOMPARE(line.value("variant").toString(), QStringLiteral("Blue / M"));
        QCOMPARE(line.value("availability").toString(), QStringLiteral("7 in stock"));

        // Store B is not Ann's.
        check.setStoreId(QString::fromStdString(m_chain.storeB));
        check.check();
        QTRY_VERIFY_WITH_TIMEOUT(check.state() != StockCheck::State::Checking, kTimeoutMs);
        QCOMPARE(check.error(),
                 QStringLiteral("You can only check stock for the stores you work in."));

        // Shopify keeps failing: in words, naming it.
        check.setStoreId(QString::fromStdString(m_chain.storeA));
        m_fakes->injectFaults(FakeProvider::Shopify,
                              {Fault::error(503), Fault::error(503), Fault::error(503)});
        check.check();
        QTRY_VERIFY_WITH_TIMEOUT(check.state() != StockCheck::State::Checking, kTimeoutMs);
        QVERIFY2(check.error().startsWith(QStringLiteral("Shopify is not answering right now")),
                 qPrintable(check.error()));
        QVERIFY(check.lines().isEmpty());

        // A slow answer: it says so, and can be stopped; the late answer changes nothing.
        m_fakes->injectFaults(FakeProvider::Shopify,
                              {Fault::delayed(std::chrono::milliseconds(4000))});
        check.check();
        QTRY_VERIFY_WITH_TIMEOUT(check.slow(), 6000);
        check.cancel();
        QCOMPARE(check.state(), StockCheck::State::Idle);
        QVERIFY(!check.slow());
        changed.clear();
        QTest::qWait(4500);
        QCOMPARE(check.state(), StockCheck::State::Idle);
        QCOMPARE(changed.count(), 0);
    }

    void storesOfThePerson()
    {
        StoresModel own;
        QAbstractItemModelTester tester(&own,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        own.setService(m_ann->sync.get());
        QTRY_COMPARE_WITH_TIMEOUT(own.rowCount(), 1, kTimeoutMs);
        QCOMPARE(own.index(0).data(StoresModel::StoreIdRole).toString(),
                 QString::fromStdString(m_chain.storeA));
        QCOMPARE(own.index(0).data(StoresModel::LabelRole).toString(),
                 QStringLiteral("A · Store A"));
        QCOMPARE(own.index(0).data(StoresModel::TimeZoneRole).toString(),
                 QStringLiteral("Europe/London"));
        StoresModel all;
        all.setAll(true);
        all.setService(m_ann->sync.get());
        QTRY_COMPARE_WITH_TIMEOUT(all.rowCount(), 2, kTimeoutMs); // the organisation's, not rival's
        QCOMPARE(all.indexOf(QString::fromStdString(m_chain.storeB)), 1);
    }

    void bookConfirmAndCancelAppointments()
    {
        AppointmentsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setService(m_ann->sync.get());
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), kTimeoutMs);
        QCOMPARE(model.rowCount(), 0);

        AppointmentBooking booking;
        booking.setService(m_ann->sync.get());
        QTRY_COMPARE_WITH_TIMEOUT(booking.stores().size(), 1, kTimeoutMs);
        QCOMPARE(booking.storeId(), QString::fromStdString(m_chain.storeA)); // her only store
        QCOMPARE(booking.days().size(), 56);
        QVERIFY(booking.days().at(1).toMap().value("label").toString().startsWith("Tomorrow"));
        booking.suggest();
        QVERIFY(!booking.date().isEmpty());
        QVERIFY(!booking.whenText().isEmpty());

        // Refused with the reason, nothing written.
        booking.setDate(QDateTime::currentDateTimeUtc()
                            .toTimeZone(QTimeZone("Europe/London"))
                            .date()
                            .addDays(-1)
                            .toString(Qt::ISODate));
        booking.setTime(QStringLiteral("10:00"));
        booking.book();
        QVERIFY(booking.error().contains(QStringLiteral("has passed at Store A")));
        QCOMPARE(m_ann->sync->pendingWrites(), 0);

        // Tomorrow at 11:00 in London, 45 minutes, for Alice.
        QSignalSpy booked(&booking, &AppointmentBooking::booked);
        booking.setDate(tomorrowInLondon());
        booking.setTime(QStringLiteral("11:00"));
        booking.setDurationMinutes(45);
        booking.setCustomerId(QString::fromStdString(m_chain.customerA));
        booking.setPurpose(QStringLiteral("  Rain jacket   fitting "));
        QVERIFY(booking.whenText().startsWith(QStringLiteral("Tomorrow, 11:00–11:45")));
        booking.book();
        QVERIFY(booking.saving());
        QVERIFY(booked.wait(kTimeoutMs));
        QCOMPARE(booking.error(), QString());
        const QString id = booked.at(0).at(0).toString();
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, AppointmentsModel::IdRole, id) >= 0, kTimeoutMs);
        QModelIndex row = model.index(rowOf(model, AppointmentsModel::IdRole, id));
        QCOMPARE(row.data(AppointmentsModel::CustomerNameRole).toString(),
                 QStringLiteral("Alice A"));
        QCOMPARE(row.data(AppointmentsModel::StoreNameRole).toString(), QStringLiteral("Store A"));
        QCOMPARE(row.data(AppointmentsModel::PurposeRole).toString(),
                 QStringLiteral("Rain jacket fitting"));
        QCOMPARE(row.data(AppointmentsModel::StatusRole).toString(), QStringLiteral("booked"));
        QVERIFY2(row.data(AppointmentsModel::WhenTextRole)
                     .toString()
                     .startsWith(QStringLiteral("Tomorrow, 11:00–11:45")),
                 qPrintable(row.data(AppointmentsModel::WhenTextRole).toString()));
        // On the server, 11:00 is London's wall clock.
        const std::string sqlId = "'" + id.toStdString() + "'";
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar("SELECT to_char(starts_at AT TIME ZONE 'Europe/London', 'HH24:MI') || ' ' || "
                   "status || ' ' || extract(epoch from ends_at - starts_at)::int FROM "
                   "appointments WHERE id = " +
                   sqlId),
            std::string("11:00 booked 2700"), kTimeoutMs);
        // ... and in the store's Google Calendar.
        QTRY_COMPARE_WITH_TIMEOUT(model.index(rowOf(model, AppointmentsModel::IdRole, id))
                                      .data(AppointmentsModel::CalendarStateRole)
                                      .toString(),
                                  QStringLiteral("synced"), 30000);
        QCOMPARE(model.index(rowOf(model, AppointmentsModel::IdRole, id))
                     .data(AppointmentsModel::CalendarTextRole)
                     .toString(),
                 QStringLiteral("In the store's calendar"));

        // The phone line asks for one: it comes first, waiting to be confirmed.
        const std::string requested = scalar(
            "INSERT INTO appointments (id, organisation_id, location_id, starts_at, ends_at, "
            "purpose, status) VALUES (gen_random_uuid(), '" +
            m_chain.org + "', '" + m_chain.storeA +
            "', now() + interval '3 days', now() + interval '3 days 30 minutes', 'Asked for by "
            "phone', 'requested') RETURNING id::text");
        const QString req = QString::fromStdString(requested);
        QTRY_COMPARE_WITH_TIMEOUT(model.requestedCount(), 1, kTimeoutMs);
        QCOMPARE(model.index(0).data(AppointmentsModel::IdRole).toString(), req);
        QVERIFY(model.index(0).data(AppointmentsModel::RequestedRole).toBool());
        QCOMPARE(model.index(0).data(AppointmentsModel::CustomerNameRole).toString(), QString());

        model.confirm(0);
        QTRY_COMPARE_WITH_TIMEOUT(model.requestedCount(), 0, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar("SELECT status FROM appointments WHERE id = '" + requested + "'"),
            std::string("booked"), kTimeoutMs);
        // Booked ones by start: tomorrow's first.
        QCOMPARE(model.index(0).data(AppointmentsModel::IdRole).toString(), id);

        // The calendar fails for a while: the row says so, with the reason.
        m_fakes->injectFaults(FakeProvider::Google,
                              {Fault::error(500), Fault::error(500), Fault::error(500),
                               Fault::error(500), Fault::error(500), Fault::error(500)});
        booking.setTime(QStringLiteral("15:00"));
        booking.setCustomerId({});
        booking.book();
        QVERIFY(booked.wait(kTimeoutMs));
        const QString failing = booked.last().at(0).toString();
        QTRY_COMPARE_WITH_TIMEOUT(model.index(rowOf(model, AppointmentsModel::IdRole, failing))
                                      .data(AppointmentsModel::CalendarStateRole)
                                      .toString(),
                                  QStringLiteral("failed"), 30000);
        QVERIFY(model.index(rowOf(model, AppointmentsModel::IdRole, failing))
                    .data(AppointmentsModel::CalendarTextRole)
                    .toString()
                    .startsWith(QStringLiteral("Not in the store's calendar yet: ")));

        // Cancelled: it leaves the list, and the server has it so.
        const int before = model.rowCount();
        model.cancel(rowOf(model, AppointmentsModel::IdRole, req));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), before - 1, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar("SELECT status FROM appointments WHERE id = '" + requested + "'"),
            std::string("cancelled"), kTimeoutMs);
        QCOMPARE(model.lastError(), QString());
    }

    void bookingWorksOffline()
    {
        AppointmentsModel model;
        model.setService(m_ann->sync.get());
        AppointmentBooking booking;
        booking.setService(m_ann->sync.get());
        QTRY_COMPARE_WITH_TIMEOUT(booking.stores().size(), 1, kTimeoutMs);

        m_ann->connection->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(m_ann->sync->state() == SyncService::State::Offline, kTimeoutMs);
        QSignalSpy booked(&booking, &AppointmentBooking::booked);
        booking.setDate(tomorrowInLondon());
        booking.setTime(QStringLiteral("17:30"));
        booking.setPurpose(QStringLiteral("Tent repair pickup"));
        booking.book();
        QVERIFY(booked.wait(kTimeoutMs));
        const QString id = booked.at(0).at(0).toString();
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, AppointmentsModel::IdRole, id) >= 0, kTimeoutMs);
        QCOMPARE(m_ann->sync->pendingWrites(), 1);
        QCOMPARE(scalar("SELECT count(*) FROM appointments WHERE id = '" + id.toStdString() + "'"),
                 std::string("0"));

        m_ann->connection->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar("SELECT purpose FROM appointments WHERE id = '" + id.toStdString() + "'"),
            std::string("Tent repair pickup"), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(m_ann->sync->pendingWrites(), 0, kTimeoutMs);
    }
};

QTEST_GUILESS_MAIN(TestAutomationModels)
#include "tst_automationmodels.moc"
