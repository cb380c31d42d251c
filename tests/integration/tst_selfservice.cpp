// Automation end to end against the real server, PostgreSQL and the provider fakes over HTTPS:
// an admin connects Shopify and Google Calendar (credentials sealed, never shown, audited), the
// self-service line answers a stock question from Shopify, opening hours from our own data, and
// books "Saturday at 11" as a requested appointment that reaches the store's devices and its
// Google Calendar; a provider that fails sends the caller to a person; staff check stock from the
// app's endpoint within their stores only.

#include "server/crypto/secretbox.h"
#include "server/telephony/directory.h"
#include "shared/telephony/twilio.h"
#include "tests/fakes/provider_fakes.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/syncdevice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTest>

#include <pqxx/pqxx>

using cc::fakes::Fault;
using cc::fakes::ProviderFakes;
using cc::telephony::FormParams;
using cc::test::SyncDevice;
using FakeProvider = cc::fakes::Provider;

namespace {

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kAuthToken = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
const std::string kNumberA = "+15550002001"; // store A: self-service, open all day
const std::string kShopifyToken = "shpat_0123456789abcdef";
const std::string kGoogleSecret = "google-client-secret-xyz";
const std::string kRefreshToken = "1//refresh-token-abc";
const std::string kCalendar = "store-a@calendar.example";
const std::string kCalendarB = "store-b@calendar.example";

QString sid(const char* prefix)
{
    QString s = QString::fromLatin1(prefix);
    for (int i = 0; i < 32; ++i) {
        s += QString::number(QRandomGenerator::global()->bounded(16), 16);
    }
    return s;
}

std::string sqlText(const std::string& s)
{
    return "'" + s + "'";
}

QJsonObject json(const QByteArray& body)
{
    return QJsonDocument::fromJson(body).object();
}

// The number after `marker` in `text` ("...stock?d=17" -> "17"), or empty.
QString numberAfter(const QByteArray& text, const QByteArray& marker)
{
    const qsizetype at = text.indexOf(marker);
    if (at < 0) {
        return {};
    }
    qsizetype end = at + marker.size();
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) {
        ++end;
    }
    return QString::fromLatin1(text.mid(at + marker.size(), end - at - marker.size()));
}

} // namespace

class TestSelfService : public QObject {
    Q_OBJECT

    QTemporaryDir m_fakeDir;
    cc::test::TlsFiles m_fakeTls;
    std::unique_ptr<ProviderFakes> m_fakes;
    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    std::string m_org, m_storeA, m_storeB, m_admin, m_staffA, m_staffB;
    std::string m_adminToken, m_staffToken, m_staffBToken;
    std::unique_ptr<SyncDevice> m_tablet;

    std::string q(const std::string& sql)
    {
        pqxx::work tx(*m_db);
        const pqxx::result r = tx.exec(sql);
        tx.commit();
        return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
    }

    QMap<QByteArray, QByteArray> bearer(const std::string& token)
    {
        return {{"Authorization", QByteArray("Bearer ") + token.c_str()}};
    }

    cc::test::HttpResult put(const QString& path, const QJsonObject& body, const std::string& token)
    {
        return cc::test::httpsPut(m_fx.server->baseUrl() + path, m_fx.tls.ca(),
                                  QJsonDocument(body).toJson(QJsonDocument::Compact), 10000,
                                  bearer(token));
    }

    cc::test::HttpResult postJson(const QString& path, const QJsonObject& body,
                                  const std::string& token)
    {
        return cc::test::httpsPost(m_fx.server->baseUrl() + path, m_fx.tls.ca(),
                                   QJsonDocument(body).toJson(QJsonDocument::Compact),
                                   "application/json", 15000, bearer(token));
    }

    // Signs like Twilio: the full URL requested plus the sorted POST parameters.
    cc::test::HttpResult twilio(const QString& pathAndQuery, const FormParams& params)
    {
        const QString url = m_fx.server->baseUrl() + pathAndQuery;
        const QByteArray sig = QByteArray::fromStdString(
            cc::telephony::twilioSignature(kAuthToken, url.toStdString(), params));
        return cc::test::httpsPost(
            url, m_fx.tls.ca(), QByteArray::fromStdString(cc::telephony::formUrlEncode(params)),
            "application/x-www-form-urlencoded", 20000, {{"X-Twilio-Signature", sig}});
    }

    static FormParams callParams(const QString& callSid, const std::string& status = "ringing")
    {
        return {{"AccountSid", kAccountSid}, {"CallSid", callSid.toStdString()},
                {"CallStatus", status},      {"Direction", "inbound"},
                {"From", "+447700900555"},   {"To", kNumberA}};
    }

    // A call arrives and the caller says `words` at the greeting; returns the answer to that.
    QByteArray says(const QString& callSid, const std::string& words, const QString& turn = {})
    {
        if (turn.isEmpty()) {
            const auto greeting = twilio("/twilio/voice", callParams(callSid));
            if (greeting.status != 200 || !greeting.body.contains("input=\"dtmf speech\"")) {
                qWarning() << "greeting:" << greeting.status << greeting.body;
                return {};
            }
        }
        auto params = callParams(callSid, "in-progress");
        params.emplace_back("SpeechResult", words);
        params.emplace_back("Confidence", "0.92");
        const auto r =
            twilio("/twilio/voice/menu" + (turn.isEmpty() ? QString() : "?d=" + turn), params);
        if (r.status != 200) {
            qWarning() << "menu:" << r.status << r.body;
        }
        return r.body;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_fakeDir.isValid());
        m_fakeTls = cc::test::TlsFiles::generate(m_fakeDir.path());
        m_fakes = std::make_unique<ProviderFakes>(m_fakeTls.certFile.toStdString(),
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
        m_fakes->addGoogleCalendar(kCalendarB);

        const QString problem =
            m_fx.start({{"CALLCOMMANDER_INTEGRATIONS_CA_FILE", m_fakeTls.caFile},
                        {"CALLCOMMANDER_INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES", "true"}});
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        {
            pqxx::work tx(*m_db);
            m_org = tx.exec1("INSERT INTO organisations (id, slug, name) VALUES "
                             "(gen_random_uuid(), 'outdoors', 'Outdoors') RETURNING id::text")[0]
                        .as<std::string>();
            const auto store = [&](const std::string& code) {
                return tx
                    .exec1("INSERT INTO locations (id, organisation_id, code, name, timezone, "
                           "main_phone, address) VALUES (gen_random_uuid(), " +
                           sqlText(m_org) + ", " + sqlText(code) + ", 'Store " + code +
                           "', 'Europe/London', '+15551002001', '1 High Street, Camden') "
                           "RETURNING id::text")[0]
                    .as<std::string>();
            };
            m_storeA = store("A");
            m_storeB = store("B");
            tx.exec("INSERT INTO location_hours (location_id, weekday, opens_at, closes_at) "
                    "SELECT " +
                    sqlText(m_storeA) + ", d, '00:00', '24:00' FROM generate_series(1, 7) d");
            tx.exec("INSERT INTO phone_numbers (number, organisation_id, location_id) VALUES (" +
                    sqlText(kNumberA) + ", " + sqlText(m_org) + ", " + sqlText(m_storeA) + ")");
            const auto user = [&](const std::string& name, const std::string& role,
                                  const std::string& home) {
                const std::string id =
                    tx.exec1("INSERT INTO users (id, organisation_id, email, display_name, role, "
                             "home_location_id) VALUES (gen_random_uuid(), " +
                             sqlText(m_org) + ", '" + name + "@outdoors.example', '" + name +
                             "', " + sqlText(role) + ", " + sqlText(home) +
                             ") RETURNING id::text")[0]
                        .as<std::string>();
                tx.exec("INSERT INTO user_locations (user_id, location_id) VALUES (" + sqlText(id) +
                        ", " + sqlText(home) + ")");
                return id;
            };
            m_admin = user("admin", "admin", m_storeA);
            m_staffA = user("sam", "staff", m_storeA);
            m_staffB = user("bea", "staff", m_storeB);
            tx.exec("INSERT INTO routing_rules (organisation_id, ring_timeout_s) VALUES (" +
                    sqlText(m_org) + ", 10)");
            tx.commit();
        }
        const cc::server::crypto::SecretBox secrets(
            cc::server::crypto::parseSecretKeys(cc::test::kTestSecretsKeys).value());
        QVERIFY(!cc::server::telephony::setTwilioAccount(*m_db, secrets, "outdoors", kAccountSid,
                                                         kAuthToken));
        m_adminToken = cc::test::issueAccessToken(*m_db, m_admin, "admin-desktop");
        m_staffToken = cc::test::issueAccessToken(*m_db, m_staffA, "sam-tablet");
        m_staffBToken = cc::test::issueAccessToken(*m_db, m_staffB, "bea-tablet");
        m_tablet = std::make_unique<SyncDevice>(m_fx.server->wsUrl(), m_fx.tls.ca(), m_staffToken,
                                                "sam-tablet");
        m_tablet->connect();
        QVERIFY(m_tablet->waitLive());
        QVERIFY(SyncDevice::waitFor(
            [&] { return twilio("/twilio/voice/fallback", callParams(sid("CA"))).status == 200; },
            10000));
    }

    void cleanupTestCase()
    {
        m_tablet.reset();
        if (m_fx.server) {
            QCOMPARE(m_fx.stop(), 0);
        }
        if (m_fakes) {
            m_fakes->stop();
        }
    }

    // ---- the admin connects the providers ----

    void onlyAdminsConnectProviders()
    {
        const QJsonObject body{
            {"settings", QJsonObject{{"base_url", QString::fromStdString(m_fakes->baseUrl())}}},
            {"credentials", QJsonObject{{"access_token", QString::fromStdString(kShopifyToken)}}},
            {"locations",
             QJsonObject{{QString::fromStdString(m_storeA), "gid://shopify/Location/1"}}}};
        QCOMPARE(put("/v1/admin/integrations/shopify", body, m_staffToken).status, 403);
        QCOMPARE(put("/v1/admin/integrations/shopify", body, "not-a-token").status, 401);
        QCOMPARE(q("SELECT count(*) FROM integrations"), std::string("0"));
    }

    void badSettingsChangeNothing()
    {
        const auto plain =
            put("/v1/admin/integrations/shopify",
                QJsonObject{{"settings", QJsonObject{{"base_url", "http://shop.example"}}},
                            {"credentials", QJsonObject{{"access_token", "x"}}}},
                m_adminToken);
        QCOMPARE(plain.status, 400);
        QVERIFY(plain.body.contains("https://"));
        const auto missing = put("/v1/admin/integrations/google_calendar",
                                 QJsonObject{{"settings", QJsonObject{{"client_id", "c"}}},
                                             {"credentials", QJsonObject{{"client_secret", "s"}}}},
                                 m_adminToken);
        QCOMPARE(missing.status, 400);
        QVERIFY(missing.body.contains("refresh_token"));
        const auto foreignStore = put(
            "/v1/admin/integrations/shopify",
            QJsonObject{{"settings", QJsonObject{{"base_url", "https://shop.example"}}},
                        {"credentials", QJsonObject{{"access_token", "x"}}},
                        {"locations", QJsonObject{{"00000000-0000-4000-8000-000000000001", "g"}}}},
            m_adminToken);
        QCOMPARE(foreignStore.status, 400);
        QCOMPARE(put("/v1/admin/integrations/stripe", {}, m_adminToken).status, 404);
        QCOMPARE(q("SELECT count(*) FROM integrations"), std::string("0"));
    }

    void adminConnectsShopifyAndGoogle()
    {
        const auto shopify = put(
            "/v1/admin/integrations/shopify",
            QJsonObject{
                {"settings", QJsonObject{{"base_url", QString::fromStdString(m_fakes->baseUrl())}}},
                {"credentials",
                 QJsonObject{{"access_token", QString::fromStdString(kShopifyToken)}}},
                {"locations",
                 QJsonObject{{QString::fromStdString(m_storeA), "gid://shopify/Location/1"}}}},
            m_adminToken);
        QCOMPARE(shopify.status, 200);
        const QString base = QString::fromStdString(m_fakes->baseUrl());
        const auto google =
            put("/v1/admin/integrations/google_calendar",
                QJsonObject{{"settings", QJsonObject{{"token_url", base + "/token"},
                                                     {"calendar_url", base + "/calendar/v3"},
                                                     {"client_id", "client-1"}}},
                            {"credentials",
                             QJsonObject{{"client_secret", QString::fromStdString(kGoogleSecret)},
                                         {"refresh_token", QString::fromStdString(kRefreshToken)}}},
                            {"locations", QJsonObject{{QString::fromStdString(m_storeA),
                                                       QString::fromStdString(kCalendar)},
                                                      {QString::fromStdString(m_storeB),
                                                       QString::fromStdString(kCalendarB)}}}},
                m_adminToken);
        QCOMPARE(google.status, 200);

        // "Test connection" asks each provider for real.
        for (const char* provider : {"shopify", "google_calendar"}) {
            const auto test =
                postJson(QString("/v1/admin/integrations/") + provider + "/test", {}, m_adminToken);
            QCOMPARE(test.status, 200);
            QCOMPARE(json(test.body)["status"].toString(), QString("ok"));
        }
        // A second source of stock is refused while Shopify is enabled.
        const auto square =
            put("/v1/admin/integrations/square",
                QJsonObject{{"credentials", QJsonObject{{"access_token", "sq"}}}}, m_adminToken);
        QCOMPARE(square.status, 409);

        // What the admin reads back: settings, status, stores; never a credential.
        const auto list = cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/integrations",
                                             m_fx.tls.ca(), 10000, bearer(m_adminToken));
        QCOMPARE(list.status, 200);
        QVERIFY(!list.body.contains(kShopifyToken.c_str()));
        QVERIFY(!list.body.contains(kGoogleSecret.c_str()));
        QVERIFY(!list.body.contains(kRefreshToken.c_str()));
        const QJsonArray all = json(list.body)["integrations"].toArray();
        QCOMPARE(all.size(), 2);
        for (const auto& v : all) {
            QCOMPARE(v.toObject()["status"].toString(), QString("ok"));
        }
        QCOMPARE(cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/integrations",
                                    m_fx.tls.ca(), 10000, bearer(m_staffToken))
                     .status,
                 403);
        // Sealed at rest; the audit log says who changed what, without the secrets.
        QCOMPARE(q("SELECT count(*) FROM integrations WHERE secret_sealed LIKE '%" + kShopifyToken +
                   "%' OR secret_sealed LIKE '%" + kRefreshToken + "%'"),
                 std::string("0"));
        QCOMPARE(q("SELECT count(*) FROM audit_log WHERE action = 'integration.set'"),
                 std::string("2"));
        QCOMPARE(q("SELECT count(*) FROM audit_log WHERE detail::text LIKE '%" + kShopifyToken +
                   "%' OR detail::text LIKE '%" + kGoogleSecret + "%'"),
                 std::string("0"));
        QVERIFY(!m_fx.server->log().contains(kShopifyToken.c_str()));

        // The stored credentials go only where they were entered for: moving an address needs
        // them again, and nothing changes meanwhile.
        const auto moved =
            put("/v1/admin/integrations/shopify",
                QJsonObject{{"settings", QJsonObject{{"base_url", "https://attacker.example"}}}},
                m_adminToken);
        QCOMPARE(moved.status, 400);
        QVERIFY(moved.body.contains("credentials again"));
        QCOMPARE(q("SELECT settings->>'base_url' FROM integrations WHERE provider = 'shopify'"),
                 m_fakes->baseUrl());

        // The admin switches the self-service line on for the organisation.
        QCOMPARE(put("/v1/admin/routing-rules", QJsonObject{{"self_service", true}}, m_adminToken)
                     .status,
                 200);
    }

    // ---- the self-service line ----

    void answersStockFromShopify()
    {
        const QString callSid = sid("CA");
        const QByteArray checking = says(callSid, "do you have the blue rain jacket in medium");
        QVERIFY2(checking.contains("One moment"), checking.constData());
        const QString turn = numberAfter(checking, "/twilio/voice/stock?d=");
        QVERIFY2(!turn.isEmpty(), checking.constData());
        const std::size_t asked = m_fakes->counters(FakeProvider::Shopify).requests;
        const auto answer =
            twilio("/twilio/voice/stock?d=" + turn, callParams(callSid, "in-progress"));
        QCOMPARE(answer.status, 200);
        QVERIFY2(answer.body.contains("we have 7 of the Rain Jacket in Blue / M"),
                 answer.body.constData());
        QVERIFY(answer.body.contains("anything else"));
        QCOMPARE(m_fakes->counters(FakeProvider::Shopify).requests, asked + 1);
        // The provider's answer is applied once: a repeat gets the same words without asking.
        const auto again =
            twilio("/twilio/voice/stock?d=" + turn, callParams(callSid, "in-progress"));
        QCOMPARE(again.body, answer.body);
        QCOMPARE(m_fakes->counters(FakeProvider::Shopify).requests, asked + 1);

        const std::string call =
            "(SELECT id FROM calls WHERE provider_call_id = '" + callSid.toStdString() + "')";
        QCOMPARE(q("SELECT intent || ' ' || outcome FROM ivr_turns WHERE call_id = " + call),
                 std::string("stock_check answered"));
        QCOMPARE(q("SELECT slots->>'item' FROM ivr_turns WHERE call_id = " + call),
                 std::string("rain jacket"));
        // The caller is satisfied and hangs up: self-served, nobody is asked to call back.
        QCOMPARE(twilio("/twilio/status", callParams(callSid, "completed")).status, 200);
        QCOMPARE(q("SELECT status FROM calls WHERE id = " + call), std::string("self_served"));
        QCOMPARE(q("SELECT count(*) FROM tasks WHERE call_id = " + call), std::string("0"));
    }

    void failingProviderSendsTheCallerToAPerson()
    {
        m_fakes->injectFaults(FakeProvider::Shopify,
                              {Fault::error(503), Fault::error(503), Fault::error(503)});
        const QString callSid = sid("CA");
        const QByteArray checking = says(callSid, "have you got any rain jackets in small");
        const QString turn = numberAfter(checking, "/twilio/voice/stock?d=");
        QVERIFY2(!turn.isEmpty(), checking.constData());
        const auto answer =
            twilio("/twilio/voice/stock?d=" + turn, callParams(callSid, "in-progress"));
        QCOMPARE(answer.status, 200);
        QVERIFY2(answer.body.contains("check that right now"), answer.body.constData());
        // Nobody is available in this test: the caller waits for a person or leaves a message,
        // never stuck in the automated line.
        QVERIFY(answer.body.contains("<Gather") || answer.body.contains("<Record") ||
                answer.body.contains("<Dial"));
        const std::string call =
            "(SELECT id FROM calls WHERE provider_call_id = '" + callSid.toStdString() + "')";
        QCOMPARE(q("SELECT outcome FROM ivr_turns WHERE call_id = " + call), std::string("failed"));
        QCOMPARE(q("SELECT need FROM calls WHERE id = " + call), std::string("stock"));
        QCOMPARE(q("SELECT status FROM integrations WHERE provider = 'shopify'"),
                 std::string("ok")); // one failed lookup is recorded on the turn, not the setup
    }

    void answersOpeningHoursAndAddress()
    {
        const QString callSid = sid("CA");
        const QByteArray hours = says(callSid, "what time do you close today");
        QVERIFY2(hours.contains("open all day"), hours.constData());
        const QString next = "1";
        const QByteArray address = says(callSid, "where are you located", next);
        QVERIFY2(address.contains("1 High Street, Camden"), address.constData());
        const std::string call =
            "(SELECT id FROM calls WHERE provider_call_id = '" + callSid.toStdString() + "')";
        QCOMPARE(q("SELECT string_agg(intent, ',' ORDER BY turn) FROM ivr_turns WHERE call_id = " +
                   call),
                 std::string("store_hours,store_address"));
    }

    // Callers read card numbers out to whatever answers: said to the self-service line or keyed
    // in at a prompt, a card number is masked before anything keeps it.
    void cardNumbersSaidOrKeyedInAreNeverStored()
    {
        const QString callSid = sid("CA");
        const QByteArray answer =
            says(callSid, "my card is 4111 1111 1111 1111 can you check my order");
        QVERIFY2(answer.contains("<Response>"), answer.constData());
        // The callback choice offered while waiting, answered with the keypad.
        auto keyed = callParams(callSid, "in-progress");
        keyed.emplace_back("Digits", "5555555555554444");
        const auto choice = twilio("/twilio/voice/choice?d=1", keyed);
        QVERIFY2(choice.status == 200 || choice.status == 400, choice.body.constData());
        QCOMPARE(q("SELECT utterance FROM ivr_turns t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = '" +
                   callSid.toStdString() + "'"),
                 std::string("my card is **** **** **** 1111 can you check my order"));
        // Every row of every table, as text.
        const auto found = cc::test::findInEveryTable(
            *m_db, {"4111 1111 1111 1111", "4111111111111111", "5555555555554444"});
        QVERIFY2(found.empty(), found.empty() ? "" : found.front().c_str());
        QVERIFY(!m_fx.server->log().contains(QStringLiteral("4111")));
        QCOMPARE(twilio("/twilio/status", callParams(callSid, "completed")).status, 200);
    }

    void talkToPersonGoesToAPerson()
    {
        // Sam is at the counter: the caller who asks for a person is put through to Sam.
        QCOMPARE(put("/v1/me/presence", QJsonObject{{"status", "available"}}, m_staffToken).status,
                 200);
        const QString callSid = sid("CA");
        const QByteArray answer = says(callSid, "can I speak to someone please");
        QVERIFY2(answer.contains("connect you to a colleague"), answer.constData());
        QVERIFY2(answer.contains((m_staffA + "</Client>").c_str()), answer.constData());
        QCOMPARE(q("SELECT status || ' ' || offered_to FROM calls WHERE provider_call_id = '" +
                   callSid.toStdString() + "'"),
                 "ringing " + m_staffA);
        QCOMPARE(q("SELECT intent || ' ' || outcome FROM ivr_turns t JOIN calls c ON c.id = "
                   "t.call_id WHERE c.provider_call_id = '" +
                   callSid.toStdString() + "'"),
                 std::string("talk_to_person person"));
        QCOMPARE(twilio("/twilio/status", callParams(callSid, "completed")).status, 200);
        QCOMPARE(put("/v1/me/presence", QJsonObject{{"status", "away"}}, m_staffToken).status, 200);
    }

    void booksSaturdayAtElevenIntoDevicesAndCalendar()
    {
        const QString callSid = sid("CA");
        const QByteArray answer = says(callSid, "can I book an appointment for saturday at 11");
        QVERIFY2(answer.contains("asked the store to book you in"), answer.constData());
        QVERIFY2(answer.contains("at 11 am"), answer.constData());
        const std::string id =
            q("SELECT id FROM appointments WHERE status = 'requested' AND location_id = " +
              sqlText(m_storeA));
        QVERIFY(!id.empty());
        QCOMPARE(q("SELECT extract(isodow FROM starts_at AT TIME ZONE 'Europe/London')::int || ' ' "
                   "|| to_char(starts_at AT TIME ZONE 'Europe/London', 'HH24:MI') FROM "
                   "appointments WHERE id = " +
                   sqlText(id)),
                 std::string("6 11:00"));
        // Staff confirm it from a task.
        QCOMPARE(q("SELECT count(*) FROM tasks WHERE kind = 'follow_up' AND title LIKE 'Confirm "
                   "the appointment%'"),
                 std::string("1"));
        // The store's tablet has it ...
        QVERIFY(SyncDevice::waitFor(
            [&] {
                const auto row = m_tablet->store().row("appointments", id);
                return row.has_value();
            },
            10000));
        // ... and so does the store's Google Calendar, as a tentative event.
        QVERIFY(SyncDevice::waitFor(
            [&] {
                const auto events = m_fakes->calendarEvents(kCalendar);
                return !events.empty() && events.back().status == "tentative";
            },
            20000));
        const auto event = m_fakes->calendarEvents(kCalendar).back();
        QCOMPARE(event.privateProperties.at("ccAppointmentId"), id);
        // The instant, in UTC (unambiguous when summer time ends), with the store's zone.
        QCOMPARE(event.startDateTime,
                 q("SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                   "FROM appointments WHERE id = " +
                   sqlText(id)));
        QCOMPARE(event.startTimeZone, std::string("Europe/London"));
        // Nothing about the caller but their request: no number, no words in the calendar.
        QCOMPARE(event.description, std::string("Asked for on the phone line"));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return q("SELECT calendar_state FROM appointments WHERE id = " + sqlText(id)) ==
                       "synced";
            },
            10000));

        // Staff confirm it: the event becomes confirmed, and the task to confirm it is done.
        q("UPDATE appointments SET status = 'booked' WHERE id = " + sqlText(id));
        QCOMPARE(q("SELECT status FROM tasks WHERE appointment_id = " + sqlText(id)),
                 std::string("done"));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                const auto events = m_fakes->calendarEvents(kCalendar);
                return events.size() == 1 && events[0].status == "confirmed";
            },
            20000));

        // The calendar fails for a while: the appointment shows why, and it is retried.
        m_fakes->injectFaults(FakeProvider::Google,
                              {Fault::error(500), Fault::error(500), Fault::error(500)});
        q("UPDATE appointments SET purpose = 'fitting for a rain jacket' WHERE id = " +
          sqlText(id));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return q("SELECT calendar_state FROM appointments WHERE id = " + sqlText(id)) ==
                       "failed";
            },
            20000));
        QVERIFY(!q("SELECT calendar_error FROM appointments WHERE id = " + sqlText(id)).empty());
        q("UPDATE calendar_outbox SET next_at = now() WHERE appointment_id = " + sqlText(id));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return q("SELECT calendar_state FROM appointments WHERE id = " + sqlText(id)) ==
                       "synced";
            },
            20000));
        QCOMPARE(m_fakes->calendarEvents(kCalendar)[0].description,
                 std::string("fitting for a rain jacket"));

        // Moved to store B, which has a calendar of its own: the event leaves A's and is
        // written to B's.
        q("UPDATE appointments SET location_id = " + sqlText(m_storeB) +
          " WHERE id = " + sqlText(id));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                const auto b = m_fakes->calendarEvents(kCalendarB);
                return m_fakes->calendarEvents(kCalendar)[0].status == "cancelled" &&
                       b.size() == 1 && b[0].status == "confirmed";
            },
            20000));

        // Cancelled: the event goes.
        q("UPDATE appointments SET status = 'cancelled' WHERE id = " + sqlText(id));
        QVERIFY(SyncDevice::waitFor(
            [&] { return m_fakes->calendarEvents(kCalendarB)[0].status == "cancelled"; }, 20000));
        QVERIFY(SyncDevice::waitFor(
            [&] { return q("SELECT count(*) FROM calendar_outbox") == "0"; }, 20000));
    }

    // The issue's own words, played by the call simulator as Twilio would: speech recognised
    // at the menu, the redirect to the stock check, the answer read out, then goodbye.
    void simulatedCallerHearsTheStock()
    {
        QProcess sim;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CALLSIM_AUTH_TOKEN"), QString::fromStdString(kAuthToken));
        sim.setProcessEnvironment(env);
        sim.start(QStringLiteral(CC_CALLSIM_BINARY),
                  {"--url", m_fx.server->baseUrl(), "--ca", m_fx.tls.caFile, "--account-sid",
                   QString::fromStdString(kAccountSid), "--numbers",
                   QString::fromStdString(kNumberA), "--calls", "1", "--callback-prob", "0",
                   "--patience-seconds", "0", "--time-scale", "0", "--say",
                   "do you have the blue rain jacket in medium", "--json"});
        QVERIFY(sim.waitForStarted(5000));
        QVERIFY(sim.waitForFinished(60000));
        const QByteArray out = sim.readAllStandardOutput();
        QVERIFY2(sim.exitCode() == 0, (out + sim.readAllStandardError()).constData());
        const QJsonArray transcripts = json(out)["transcripts"].toArray();
        QCOMPARE(transcripts.size(), 1);
        QStringList heard;
        for (const auto& line : transcripts[0].toArray()) {
            heard << line.toString();
        }
        const QString all = heard.join('\n');
        QVERIFY2(all.contains("caller: do you have the blue rain jacket in medium"),
                 qPrintable(all));
        QVERIFY2(all.contains("One moment while I check that for you."), qPrintable(all));
        QVERIFY2(all.contains("we have 7 of the Rain Jacket in Blue / M"), qPrintable(all));
        QVERIFY2(all.contains("Thank you for calling. Goodbye."), qPrintable(all));
    }

    // ---- stock from the app ----

    void staffCheckStockForTheirStore()
    {
        const QJsonObject ask{{"store_id", QString::fromStdString(m_storeA)},
                              {"item", "rain jacket"},
                              {"colours", QJsonArray{"blue"}},
                              {"size", "small"}};
        const auto mine = postJson("/v1/stock", ask, m_staffToken);
        QCOMPARE(mine.status, 200);
        const QJsonObject answer = json(mine.body);
        QCOMPARE(answer["lines"].toArray().size(), 1);
        QCOMPARE(answer["lines"].toArray()[0].toObject()["available"].toInt(), 2);
        QVERIFY(answer["summary"].toString().contains("2 of the Rain Jacket"));
        // Typed as someone would say it: the same reading as the phone line.
        const auto typed = postJson("/v1/stock",
                                    QJsonObject{{"store_id", QString::fromStdString(m_storeA)},
                                                {"text", "got the rain jacket in blue, size M?"}},
                                    m_staffToken);
        QCOMPARE(typed.status, 200);
        QCOMPARE(json(typed.body)["lines"].toArray().size(), 1);
        QCOMPARE(json(typed.body)["lines"].toArray()[0].toObject()["available"].toInt(), 7);
        QCOMPARE(postJson("/v1/stock",
                          QJsonObject{{"store_id", QString::fromStdString(m_storeA)},
                                      {"text", "hello there"}},
                          m_staffToken)
                     .status,
                 400);
        // Another store's staff cannot ask about store A; nor can anyone without a token.
        QCOMPARE(postJson("/v1/stock", ask, m_staffBToken).status, 404);
        QCOMPARE(postJson("/v1/stock", ask, "nope").status, 401);
        // Bad questions are refused before anyone is asked.
        QCOMPARE(postJson("/v1/stock", QJsonObject{{"store_id", "x"}}, m_staffToken).status, 400);
        QCOMPARE(postJson("/v1/stock",
                          QJsonObject{{"store_id", QString::fromStdString(m_storeA)},
                                      {"item", "rain jacket"},
                                      {"size", "gigantic"}},
                          m_staffToken)
                     .status,
                 400);
    }
};

QTEST_GUILESS_MAIN(TestSelfService)
#include "tst_selfservice.moc"
