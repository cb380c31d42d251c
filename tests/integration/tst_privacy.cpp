// A customer's personal data under the GDPR, end to end: the real server on a real PostgreSQL,
// and tablets made of the app's real connection, SQLite cache and sync client. Who may export
// and erase; what the export holds; that an erasure leaves nothing personal in the database or
// in any tablet's cache (one of them offline with unsent edits of the customer), while every
// call statistic keeps its value; and that nothing personal can be written about the customer
// again.

#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/syncdevice.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <pqxx/pqxx>
#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <thread>

using cc::sync::Op;
using cc::sync::Value;
using cc::test::SyncDevice;
using cc::test::textOf;

namespace {

// What the customer to be erased is known by; none of it may survive the erasure.
const std::vector<std::string> kMarkers = {
    "Zoe Marker",     "zoe.marker@example.com", "+447700900777",        "+447700900778",
    "size 9 in blue", "Fitting for Zoe",        "boots for my daughter"};

QJsonObject jsonOf(const cc::test::HttpResult& r)
{
    return QJsonDocument::fromJson(r.body).object();
}

} // namespace

class TestPrivacy : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;
    QTemporaryDir m_caches;
    std::string m_executive, m_rivalAdmin;
    std::string m_zoe, m_zoeCallA, m_zoeCallB, m_zoeCallOut, m_zoeTask, m_zoeAppointment;

    std::string scalar(const std::string& sql) { return cc::test::scalar(*m_db, sql); }

    void exec(const std::string& sql)
    {
        pqxx::work tx(*m_db);
        tx.exec(sql);
        tx.commit();
    }

    QMap<QByteArray, QByteArray> bearer(const std::string& userId)
    {
        const std::string token =
            cc::test::issueAccessToken(*m_db, userId, "privacy-" + cc::test::newUuid());
        return {{"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(token)}};
    }

    cc::test::HttpResult exportOf(const std::string& userId, const std::string& customer)
    {
        return cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/customers/" +
                                      QString::fromStdString(customer) + "/export",
                                  m_fx.tls.ca(), 10000, bearer(userId));
    }

    cc::test::HttpResult erase(const std::string& userId, const std::string& customer)
    {
        return cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/admin/customers/" +
                                       QString::fromStdString(customer) + "/erase",
                                   m_fx.tls.ca(), "{}", "application/json", 10000, bearer(userId));
    }

    std::unique_ptr<SyncDevice> device(const std::string& userId, const std::string& name,
                                       const QString& cachePath)
    {
        const std::string token = cc::test::issueAccessToken(*m_db, userId, name);
        return std::make_unique<SyncDevice>(m_fx.server->wsUrl(), m_fx.tls.ca(), token, name,
                                            cachePath);
    }

    // Every figure the analytics keep for the organisation, as one text.
    std::string figures()
    {
        std::string all;
        for (const char* table : {"call_stats_hourly", "call_stats_daily", "agent_stats_daily",
                                  "call_stats_hour_profile"}) {
            all += scalar(std::string("SELECT coalesce(string_agg(t::text, '|' ORDER BY "
                                      "t::text), '') FROM ") +
                          table + " t WHERE organisation_id = '" + m_chain.org + "'") +
                   "\n";
        }
        return all;
    }

    // A customer seen at both stores with everything a person leaves behind: phones, e-mail,
    // calls in and out (one with a voicemail), notes, a callback, an appointment and what they
    // said to the self-service line.
    void seedZoe()
    {
        pqxx::work tx(*m_db);
        const std::string org = m_chain.org;
        m_zoe = tx.exec("INSERT INTO customers (id, organisation_id, display_name, email, "
                        "marketing_consent, sms_consent) VALUES (gen_random_uuid(), '" +
                        org +
                        "', 'Zoe Marker', 'zoe.marker@example.com', true, true) RETURNING "
                        "id::text")[0][0]
                    .as<std::string>();
        for (const char* number : {"+447700900777", "+447700900778"}) {
            tx.exec0("INSERT INTO customer_phones (customer_id, organisation_id, number, label) "
                     "VALUES ('" +
                     m_zoe + "', '" + org + "', '" + number + "', 'mobile')");
        }
        const auto call = [&](const std::string& store, const std::string& direction,
                              const std::string& from, const std::string& to,
                              const std::string& status, const std::string& started,
                              const std::string& extra) {
            return tx
                .exec("INSERT INTO calls (id, organisation_id, location_id, customer_id, "
                      "provider_call_id, direction, from_number, to_number, started_at, "
                      "answered_at, ended_at, status, handled_by, recording_url, "
                      "recording_seconds) VALUES (gen_random_uuid(), '" +
                      org + "', '" + store + "', '" + m_zoe + "', 'CA' || md5(random()::text), '" +
                      direction + "', '" + from + "', '" + to + "', now() - interval '" + started +
                      " minutes', " + extra + ", '" + status +
                      "', NULL, NULL, NULL) RETURNING id::text")[0][0]
                .as<std::string>();
        };
        m_zoeCallA =
            call(m_chain.storeA, "inbound", "+447700900777", "+442071110000", "completed", "180",
                 "now() - interval '179 minutes', now() - interval '170 "
                 "minutes'");
        tx.exec0("UPDATE calls SET handled_by = '" + m_chain.staffA + "' WHERE id = '" +
                 m_zoeCallA + "'");
        m_zoeCallB = call(m_chain.storeB, "inbound", "+447700900778", "+442072220000", "voicemail",
                          "176", "NULL, now() - interval '175 minutes'");
        tx.exec0("UPDATE calls SET recording_url = "
                 "'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0001', "
                 "recording_seconds = 14 WHERE id = '" +
                 m_zoeCallB + "'");
        m_zoeCallOut =
            call(m_chain.storeB, "outbound", "+442072220000", "+447700900777", "completed", "120",
                 "now() - interval '119 minutes', now() - interval "
                 "'115 minutes'");
        // What was decided on the calls: a free-text disposition naming her, and a resolved one.
        tx.exec0("UPDATE calls SET disposition = 'Zoe Marker happy with size 9 in blue' WHERE id "
                 "= '" +
                 m_zoeCallA + "'");
        tx.exec0("UPDATE calls SET disposition = 'resolved' WHERE id = '" + m_zoeCallOut + "'");
        tx.exec0("INSERT INTO call_notes (id, organisation_id, customer_id, call_id, location_id, "
                 "author_id, body) VALUES (gen_random_uuid(), '" +
                 org + "', '" + m_zoe + "', '" + m_zoeCallA + "', '" + m_chain.storeA + "', '" +
                 m_chain.staffA + "', 'Zoe Marker wants size 9 in blue')");
        tx.exec0("INSERT INTO call_notes (id, organisation_id, customer_id, call_id, location_id, "
                 "body) VALUES (gen_random_uuid(), '" +
                 org + "', NULL, '" + m_zoeCallB + "', '" + m_chain.storeB +
                 "', 'Voicemail: boots for my daughter')");
        m_zoeTask = tx.exec("INSERT INTO tasks (id, organisation_id, location_id, customer_id, "
                            "call_id, kind, title, due_at) VALUES (gen_random_uuid(), '" +
                            org + "', '" + m_chain.storeB + "', '" + m_zoe + "', '" + m_zoeCallB +
                            "', 'callback', 'Call Zoe Marker back', now() + interval '1 hour') "
                            "RETURNING id::text")[0][0]
                        .as<std::string>();
        m_zoeAppointment =
            tx.exec("INSERT INTO appointments (id, organisation_id, location_id, customer_id, "
                    "starts_at, ends_at, purpose) VALUES (gen_random_uuid(), '" +
                    org + "', '" + m_chain.storeA + "', '" + m_zoe +
                    "', now() + interval '1 day', now() + interval '1 day 30 minutes', "
                    "'Fitting for Zoe') RETURNING id::text")[0][0]
                .as<std::string>();
        tx.exec0("INSERT INTO ivr_turns (organisation_id, call_id, turn, utterance, intent, "
                 "confidence, slots, outcome, answer) VALUES ('" +
                 org + "', '" + m_zoeCallB +
                 "', 1, 'I need boots for my daughter', 'stock', 0.9, "
                 "'{\"item\": \"boots for my daughter\"}', 'person', NULL)");
        tx.exec0("INSERT INTO telephony_events (organisation_id, provider_call_id, event, "
                 "response) SELECT organisation_id, provider_call_id, 'voice', '<Response><Say>"
                 "Hello Zoe Marker</Say></Response>' FROM calls WHERE id = '" +
                 m_zoeCallA + "'");
        tx.exec("SELECT sync_link_customer('" + org + "', '" + m_zoe + "', '" + m_chain.storeA +
                "')");
        tx.exec("SELECT sync_link_customer('" + org + "', '" + m_zoe + "', '" + m_chain.storeB +
                "')");
        tx.commit();
    }

    // Every row of every table of the server's database, as text: none may hold a marker.
    void verifyDatabaseHoldsNoMarker()
    {
        const auto found = cc::test::findInEveryTable(*m_db, kMarkers);
        QVERIFY2(found.empty(), found.empty() ? "" : found.front().c_str());
    }

    // Every byte of a tablet's cache file and its write-ahead log, after a checkpoint.
    void verifyCacheHoldsNoMarker(SyncDevice& d, const QString& path)
    {
        QCOMPARE(sqlite3_wal_checkpoint_v2(d.store().handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                           nullptr, nullptr),
                 SQLITE_OK);
        for (const QString& file : {path, path + QStringLiteral("-wal")}) {
            QFile f(file);
            if (!f.exists()) {
                continue;
            }
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray bytes = f.readAll();
            for (const auto& marker : kMarkers) {
                QVERIFY2(!bytes.contains(QByteArray::fromStdString(marker)),
                         qPrintable(file + QStringLiteral(" still holds ") +
                                    QString::fromStdString(marker)));
            }
        }
    }

    // What a tablet shows of Zoe after the erasure.
    void verifyCacheErased(SyncDevice& d)
    {
        auto& store = d.store();
        QCOMPARE(textOf(store.row("customers", m_zoe), "display_name"),
                 std::optional<std::string>("Erased customer"));
        QVERIFY(cc::sync::isNull(*cc::sync::find(*store.row("customers", m_zoe), "email")));
        QVERIFY(store.rowsWhere("customer_phones", "customer_id", {Value{m_zoe}}).empty());
        QVERIFY(store.rowsWhere("call_notes", "customer_id", {Value{m_zoe}}).empty());
        QVERIFY(store.rowsWhere("call_notes", "call_id", {Value{m_zoeCallB}}).empty());
        QCOMPARE(textOf(store.row("calls", m_zoeCallA), "from_number"),
                 std::optional<std::string>("erased"));
        QCOMPARE(textOf(store.row("calls", m_zoeCallOut), "to_number"),
                 std::optional<std::string>("erased"));
        QCOMPARE(textOf(store.row("calls", m_zoeCallOut), "from_number"),
                 std::optional<std::string>("+442072220000")); // the store's own number stays
        QCOMPARE(textOf(store.row("appointments", m_zoeAppointment), "purpose"),
                 std::optional<std::string>(""));
        QVERIFY(cc::sync::isNull(*cc::sync::find(*store.row("calls", m_zoeCallA), "disposition")));
        QCOMPARE(textOf(store.row("calls", m_zoeCallOut), "disposition"),
                 std::optional<std::string>("resolved"));
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_chain = cc::test::seedChain(*m_db);
        QVERIFY(m_caches.isValid());
        m_executive =
            scalar("INSERT INTO users (id, organisation_id, email, display_name, role) "
                   "VALUES (gen_random_uuid(), '" +
                   m_chain.org + "', 'eve@acme.example', 'Eve', 'executive') RETURNING id::text");
        m_rivalAdmin =
            scalar("INSERT INTO users (id, organisation_id, email, display_name, role) "
                   "VALUES (gen_random_uuid(), '" +
                   m_chain.rivalOrg + "', 'rex@rival.example', 'Rex', 'admin') RETURNING id::text");
        seedZoe();
    }

    void cleanupTestCase() { QCOMPARE(m_fx.stop(), 0); }

    void onlyAdminsOfTheOrganisationExportOrErase()
    {
        const std::string auditBefore = scalar("SELECT count(*) FROM audit_log");
        const std::string before =
            scalar("SELECT c::text FROM customers c WHERE id = '" + m_chain.customerAB + "'");
        struct Case {
            std::string user;
            int status;
        };
        const std::vector<Case> cases = {
            {m_chain.staffA, 403}, {m_chain.manager, 403}, {m_executive, 403}, {m_rivalAdmin, 404}};
        for (const auto& c : cases) {
            const auto exported = exportOf(c.user, m_chain.customerAB);
            QCOMPARE(exported.status, c.status);
            QVERIFY2(!exported.body.contains("Carol"), exported.body.constData());
            const auto erased = erase(c.user, m_chain.customerAB);
            QCOMPARE(erased.status, c.status);
            QVERIFY(!erased.body.contains("Carol"));
        }
        // A rival admin's own customer is theirs; this organisation's admin cannot reach it.
        QCOMPARE(exportOf(m_chain.admin, m_chain.rivalCustomer).status, 404);
        QCOMPARE(erase(m_chain.admin, m_chain.rivalCustomer).status, 404);
        // No token, a malformed id, a wrong method, an unknown action.
        QCOMPARE(cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/customers/" +
                                        QString::fromStdString(m_chain.customerAB) + "/export",
                                    m_fx.tls.ca())
                     .status,
                 401);
        QCOMPARE(exportOf(m_chain.admin, "not-a-uuid").status, 404);
        QCOMPARE(exportOf(m_chain.admin, "'; DROP TABLE customers; --").status, 404);
        const auto wrongMethod =
            cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/customers/" +
                                   QString::fromStdString(m_chain.customerAB) + "/erase",
                               m_fx.tls.ca(), 10000, bearer(m_chain.admin));
        QCOMPARE(wrongMethod.status, 405);
        QCOMPARE(wrongMethod.headers.value("allow"), QByteArray("POST"));
        QCOMPARE(cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/customers/" +
                                        QString::fromStdString(m_chain.customerAB) + "/forget",
                                    m_fx.tls.ca(), 10000, bearer(m_chain.admin))
                     .status,
                 404);
        // Nothing changed and nothing was recorded.
        QCOMPARE(scalar("SELECT c::text FROM customers c WHERE id = '" + m_chain.customerAB + "'"),
                 before);
        QCOMPARE(scalar("SELECT count(*) FROM customer_erasures"), std::string("0"));
        QCOMPARE(scalar("SELECT count(*) FROM audit_log"), auditBefore);
    }

    void exportHoldsEverythingAboutTheCustomer()
    {
        const auto r = exportOf(m_chain.admin, m_zoe);
        QCOMPARE(r.status, 200);
        const QJsonObject doc = jsonOf(r);
        QCOMPARE(doc.value("format").toString(),
                 QStringLiteral("callcommander.customer-export.v1"));
        const QJsonObject customer = doc.value("customer").toObject();
        QCOMPARE(customer.value("displayName").toString(), QStringLiteral("Zoe Marker"));
        QCOMPARE(customer.value("email").toString(), QStringLiteral("zoe.marker@example.com"));
        QCOMPARE(customer.value("marketingConsent").toBool(), true);
        QVERIFY(customer.value("erasedAt").isNull());
        const QJsonArray phones = doc.value("phones").toArray();
        QCOMPARE(phones.size(), 2);
        QCOMPARE(phones.at(0).toObject().value("number").toString(),
                 QStringLiteral("+447700900777"));
        QCOMPARE(doc.value("stores").toArray().size(), 2);
        const QJsonArray calls = doc.value("calls").toArray();
        QCOMPARE(calls.size(), 3);
        QCOMPARE(calls.at(0).toObject().value("from").toString(), QStringLiteral("+447700900777"));
        QCOMPARE(calls.at(0).toObject().value("handledBy").toString(),
                 QStringLiteral("ann@acme.example"));
        QCOMPARE(calls.at(1).toObject().value("recordingSeconds").toInt(), 14);
        // Notes on the customer and notes on their calls alike.
        QCOMPARE(doc.value("notes").toArray().size(), 2);
        QCOMPARE(doc.value("tasks").toArray().at(0).toObject().value("title").toString(),
                 QStringLiteral("Call Zoe Marker back"));
        QCOMPARE(doc.value("appointments").toArray().at(0).toObject().value("purpose").toString(),
                 QStringLiteral("Fitting for Zoe"));
        QCOMPARE(doc.value("selfService").toArray().at(0).toObject().value("said").toString(),
                 QStringLiteral("I need boots for my daughter"));
        QVERIFY(r.headers.value("cache-control").contains("no-store"));
        // Audited with counts, never the data itself.
        const std::string detail =
            scalar("SELECT detail::text FROM audit_log WHERE action = 'customer.export' AND "
                   "target_id = '" +
                   m_zoe + "' AND actor_user_id = '" + m_chain.admin + "'");
        QVERIFY2(detail.find("\"calls\": 3") != std::string::npos, detail.c_str());
        QVERIFY(detail.find("Zoe") == std::string::npos);
    }

    // An admin answering a request finds the person by what they gave: a number in any form, an
    // e-mail address, the start of a name; only in their own organisation.
    void adminFindsWhoARequestIsAbout()
    {
        const auto find = [&](const std::string& userId, const QString& q) {
            return cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/customers?q=" +
                                          QString::fromLatin1(QUrl::toPercentEncoding(q)),
                                      m_fx.tls.ca(), 10000, bearer(userId));
        };
        const auto ids = [&](const cc::test::HttpResult& r) {
            QStringList out;
            for (const auto& c : jsonOf(r).value("customers").toArray()) {
                out << c.toObject().value("id").toString();
            }
            return out;
        };
        const QString zoe = QString::fromStdString(m_zoe);
        for (const QString& q :
             {QStringLiteral("+44 7700 900777"), QStringLiteral("+447700900778"),
              QStringLiteral("ZOE.Marker@example.com"), QStringLiteral("zoe m")}) {
            const auto r = find(m_chain.admin, q);
            QCOMPARE(r.status, 200);
            QVERIFY2(ids(r) == QStringList{zoe}, qPrintable(q + ": " + r.body));
        }
        const QJsonObject found = jsonOf(find(m_chain.admin, QStringLiteral("zoe")))
                                      .value("customers")
                                      .toArray()
                                      .at(0)
                                      .toObject();
        QCOMPARE(found.value("phones").toArray().size(), 2);
        QCOMPARE(found.value("stores").toArray().size(), 2);
        QVERIFY(!found.value("lastCallAt").toString().isEmpty());
        // Wildcards are letters; nothing of the other organisation; staff may not look.
        QVERIFY(ids(find(m_chain.admin, QStringLiteral("%%%"))).isEmpty());
        QVERIFY(ids(find(m_chain.admin, QStringLiteral("Rita"))).isEmpty());
        QCOMPARE(ids(find(m_rivalAdmin, QStringLiteral("Rita"))).size(), 1);
        QVERIFY(ids(find(m_rivalAdmin, QStringLiteral("zoe"))).isEmpty());
        QCOMPARE(find(m_chain.admin, QStringLiteral("zo")).status, 400);
        QCOMPARE(find(m_chain.staffA, QStringLiteral("zoe")).status, 403);
        QCOMPARE(find(m_chain.manager, QStringLiteral("zoe")).status, 403);
    }

    void erasureReachesEveryTabletAndKeepsTheFigures()
    {
        const QString pathA = m_caches.filePath(QStringLiteral("tablet-a.sqlite"));
        const QString pathB = m_caches.filePath(QStringLiteral("tablet-b.sqlite"));
        auto a = device(m_chain.staffA, "privacy-tablet-a", pathA);
        auto b = device(m_chain.staffB, "privacy-tablet-b", pathB);
        // Two tablets of an earlier build, which do not apply wildcard tombstones: one online
        // through the erasure, one away and back after it. Each downloads its stores again
        // instead, and nothing of Zoe stays on either.
        auto old = device(m_chain.staffA2, "privacy-old-tablet", QStringLiteral(":memory:"));
        old->connection().setFeatures({});
        auto away = device(m_chain.manager, "privacy-away-tablet", QStringLiteral(":memory:"));
        away->connection().setFeatures({});
        for (auto* d : {a.get(), b.get(), old.get(), away.get()}) {
            d->connect();
        }
        for (auto* d : {a.get(), b.get(), old.get(), away.get()}) {
            QVERIFY(d->waitLive());
        }
        QCOMPARE(old->store().rowsWhere("customer_phones", "customer_id", {Value{m_zoe}}).size(),
                 std::size_t(2));
        QCOMPARE(away->store().rowsWhere("customer_phones", "customer_id", {Value{m_zoe}}).size(),
                 std::size_t(2));
        away->disconnect();
        QCOMPARE(textOf(a->store().row("customers", m_zoe), "display_name"),
                 std::optional<std::string>("Zoe Marker"));
        QCOMPARE(b->store().rowsWhere("customer_phones", "customer_id", {Value{m_zoe}}).size(),
                 std::size_t(2));

        // Tablet B loses its connection and keeps working on Zoe meanwhile.
        b->disconnect();
        QVERIFY(b->client().write("customers", Op::Update, m_zoe,
                                  {{"display_name", Value{std::string("Zoe Marker-Smith")}}}));
        const std::string offlineNote = cc::test::newUuid();
        QVERIFY(b->client().write(
            "call_notes", Op::Insert, offlineNote,
            {{"id", Value{offlineNote}},
             {"customer_id", Value{m_zoe}},
             {"location_id", Value{m_chain.storeB}},
             {"body", Value{std::string("Zoe Marker says size 9 in blue is fine")}}}));
        // And on another customer, after it in the same push: refusing one write must not
        // cost the next.
        const std::string otherNote = cc::test::newUuid();
        QVERIFY(b->client().write("call_notes", Op::Insert, otherNote,
                                  {{"id", Value{otherNote}},
                                   {"customer_id", Value{m_chain.customerB}},
                                   {"location_id", Value{m_chain.storeB}},
                                   {"body", Value{std::string("Bob asked about laces")}}}));
        QCOMPARE(b->store().pendingCount(), std::size_t(3));

        const std::size_t oldReceivedBefore = old->received().size();
        const std::size_t awayReceivedBefore = away->received().size();
        const std::string figuresBefore = figures();
        const auto r = erase(m_chain.admin, m_zoe);
        QCOMPARE(r.status, 200);
        const QJsonObject answer = jsonOf(r);
        QCOMPARE(answer.value("alreadyErased").toBool(), false);
        QCOMPARE(answer.value("removed").toObject().value("notes").toInt(), 2);
        QCOMPARE(answer.value("removed").toObject().value("phones").toInt(), 2);
        QCOMPARE(answer.value("removed").toObject().value("selfServiceTurns").toInt(), 1);
        QCOMPARE(answer.value("anonymised").toObject().value("calls").toInt(), 3);
        QCOMPARE(answer.value("anonymised").toObject().value("tasks").toInt(), 1);
        QCOMPARE(answer.value("anonymised").toObject().value("appointments").toInt(), 1);
        QCOMPARE(answer.value("providerRecordingsToDelete").toArray().at(0).toString(),
                 QStringLiteral("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/"
                                "RE0001"));

        // Every call statistic keeps its value, and a full recount agrees.
        QCOMPARE(figures(), figuresBefore);
        exec("SELECT analytics_rebuild('" + m_chain.org + "')");
        QCOMPARE(figures(), figuresBefore);
        QCOMPARE(scalar("SELECT count(*) FROM calls WHERE customer_id = '" + m_zoe + "'"),
                 std::string("3"));

        // The online tablet has it at once.
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return textOf(a->store().row("customers", m_zoe), "display_name") ==
                       std::optional<std::string>("Erased customer");
            },
            10000));
        QVERIFY(cc::test::syncBarrier(*m_db, m_chain.storeA, *a));
        verifyCacheErased(*a);
        // The older builds: a fresh download each, not a stuck page.
        away->connect();
        for (auto* d : {old.get(), away.get()}) {
            QVERIFY(SyncDevice::waitFor(
                [&] {
                    return d->store()
                               .rowsWhere("customer_phones", "customer_id", {Value{m_zoe}})
                               .empty() &&
                           textOf(d->store().row("customers", m_zoe), "display_name") ==
                               std::optional<std::string>("Erased customer");
                },
                15000));
            QVERIFY(d->waitLive());
            verifyCacheErased(*d);
        }
        QVERIFY(cc::test::syncBarrier(*m_db, m_chain.storeA, *old));
        // What the server sent them: never a wildcard; a fresh download (reset) after the erasure.
        for (auto* d : {old.get(), away.get()}) {
            bool reset = false;
            const std::size_t from = d == old.get() ? oldReceivedBefore : awayReceivedBefore;
            for (std::size_t i = from; i < d->received().size(); ++i) {
                if (const auto* c = std::get_if<cc::protocol::Changes>(&d->received()[i].body)) {
                    reset = reset || c->reset;
                    for (const auto& row : c->rows) {
                        QVERIFY2(!cc::protocol::isWildcardTombstone(row), row.key.c_str());
                    }
                }
            }
            QVERIFY(reset);
        }
        for (const auto& [d, user] : std::vector<std::pair<SyncDevice*, std::string>>{
                 {old.get(), m_chain.staffA2}, {away.get(), m_chain.manager}}) {
            const std::string diff = cc::test::differencesFromServer(*m_db, user, d->store());
            QVERIFY2(diff.empty(), diff.c_str());
        }

        // The offline tablet comes back: its edits of Zoe are refused, rolled back and listed.
        b->connect();
        const bool settled = b->waitSettled();
        if (!settled) {
            std::fprintf(stderr, "%s\n", qPrintable(m_fx.server->log()));
        }
        QVERIFY2(settled, qPrintable(QStringLiteral("phase %1, pending %2, error: %3")
                                         .arg(int(b->client().status().phase))
                                         .arg(b->store().pendingCount())
                                         .arg(b->client().status().lastError) +
                                     m_fx.server->log().right(3000)));
        QVERIFY(cc::test::syncBarrier(*m_db, m_chain.storeB, *b));
        // The new name lost to the erasure, which came later (and is listed as overridden); the
        // note about Zoe is refused and rolled back; the note about Bob is kept.
        const auto conflicts = b->store().conflicts();
        QCOMPARE(conflicts.size(), std::size_t(2));
        QCOMPARE(conflicts[0].kind, std::string("overridden"));
        QCOMPARE(conflicts[0].entity, std::string("customers"));
        QCOMPARE(conflicts[0].fields, std::vector<std::string>{"display_name"});
        QCOMPARE(conflicts[1].kind, std::string("rejected"));
        QCOMPARE(conflicts[1].entity, std::string("call_notes"));
        QVERIFY2(conflicts[1].reason.find("erased") != std::string::npos,
                 conflicts[1].reason.c_str());
        QVERIFY(!b->store().row("call_notes", offlineNote));
        QCOMPARE(textOf(b->store().row("call_notes", otherNote), "body"),
                 std::optional<std::string>("Bob asked about laces"));
        QCOMPARE(scalar("SELECT body FROM call_notes WHERE id = '" + otherNote + "'"),
                 std::string("Bob asked about laces"));
        verifyCacheErased(*b);
        QCOMPARE(textOf(b->store().row("tasks", m_zoeTask), "title"),
                 std::optional<std::string>("Erased customer"));
        const std::vector<std::pair<SyncDevice*, std::string>> tablets = {
            {a.get(), m_chain.staffA}, {b.get(), m_chain.staffB}};
        for (const auto& [d, user] : tablets) {
            const std::string diff = cc::test::differencesFromServer(*m_db, user, d->store());
            QVERIFY2(diff.empty(), diff.c_str());
        }

        // Nothing personal is left: not in any table (change log and audit log included), not in
        // any byte of either tablet's cache.
        verifyDatabaseHoldsNoMarker();
        verifyCacheHoldsNoMarker(*a, pathA);
        verifyCacheHoldsNoMarker(*b, pathB);

        // Erasing again changes nothing and says when it happened.
        const std::string audits =
            scalar("SELECT count(*) FROM audit_log WHERE action = 'customer.erase'");
        const auto again = erase(m_chain.admin, m_zoe);
        QCOMPARE(again.status, 200);
        QCOMPARE(jsonOf(again).value("alreadyErased").toBool(), true);
        QCOMPARE(jsonOf(again).value("customerErasedAt").toString(),
                 answer.value("customerErasedAt").toString());
        QCOMPARE(scalar("SELECT count(*) FROM audit_log WHERE action = 'customer.erase'"), audits);
        QCOMPARE(audits, std::string("1"));

        // The export now shows what is left: an anonymous customer and their calls.
        const QJsonObject after = jsonOf(exportOf(m_chain.admin, m_zoe));
        QCOMPARE(after.value("customer").toObject().value("displayName").toString(),
                 QStringLiteral("Erased customer"));
        QVERIFY(!after.value("customer").toObject().value("erasedAt").isNull());
        QVERIFY(after.value("phones").toArray().isEmpty());
        QVERIFY(after.value("notes").toArray().isEmpty());
        QCOMPARE(after.value("calls").toArray().size(), 3);
    }

    void nothingPersonalIsWrittenAboutAnErasedCustomerAgain()
    {
        QVERIFY(!m_zoe.empty());
        const auto refused = [&](const std::string& sql) {
            try {
                exec(sql);
            } catch (const pqxx::sql_error& e) {
                return std::string(e.what()).find("customer was erased") != std::string::npos;
            }
            return false;
        };
        QVERIFY(refused("UPDATE customers SET display_name = 'Zoe' WHERE id = '" + m_zoe + "'"));
        QVERIFY(refused("INSERT INTO customer_phones (customer_id, organisation_id, number) "
                        "VALUES ('" +
                        m_zoe + "', '" + m_chain.org + "', '+447700900777')"));
        QVERIFY(refused("INSERT INTO call_notes (id, organisation_id, call_id, location_id, body) "
                        "VALUES (gen_random_uuid(), '" +
                        m_chain.org + "', '" + m_zoeCallA + "', '" + m_chain.storeA +
                        "', 'she called')"));
        QVERIFY(refused("UPDATE tasks SET title = 'Call Zoe' WHERE id = '" + m_zoeTask + "'"));
        QVERIFY(refused("UPDATE calls SET customer_id = '" + m_zoe + "' WHERE id = '" +
                        m_chain.callA + "'"));
        // What carries nothing personal still moves on: the callback can be closed.
        exec("UPDATE tasks SET status = 'done', completed_at = now() WHERE id = '" + m_zoeTask +
             "'");
        QCOMPARE(scalar("SELECT status FROM tasks WHERE id = '" + m_zoeTask + "'"),
                 std::string("done"));
        // Another customer is not affected.
        exec("UPDATE customers SET email = 'bob@example.com' WHERE id = '" + m_chain.customerB +
             "'");
    }

    // The key of a person's cache on one device: the same at every sign-in from that device,
    // another for another device or person, only for a live sign-in, never in the log.
    void cacheKeyBelongsToOneSignInOnOneDevice()
    {
        const auto keyOf = [&](const std::string& userId, const std::string& deviceId) {
            const std::string token = cc::test::issueAccessToken(*m_db, userId, deviceId);
            const auto r = cc::test::httpsGet(
                m_fx.server->baseUrl() + "/v1/me/cache-key", m_fx.tls.ca(), 10000,
                {{"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(token)}});
            return std::pair{r.status, jsonOf(r).value("cacheKey").toString()};
        };
        const auto [status, first] = keyOf(m_chain.staffA, "counter-tablet-1");
        QCOMPARE(status, 200);
        QCOMPARE(first.size(), 43); // 32 bytes, base64url without padding
        QCOMPARE(QByteArray::fromBase64(first.toLatin1(), QByteArray::Base64UrlEncoding).size(),
                 32);
        QCOMPARE(keyOf(m_chain.staffA, "counter-tablet-1").second, first);
        QVERIFY(keyOf(m_chain.staffA, "counter-tablet-2").second != first);
        QVERIFY(keyOf(m_chain.staffA2, "counter-tablet-1").second != first);
        QCOMPARE(keyOf(m_chain.admin, "office-pc").first, 200);
        // Without a token, or after the sign-in ended.
        QCOMPARE(
            cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/me/cache-key", m_fx.tls.ca()).status,
            401);
        const std::string token = cc::test::issueAccessToken(*m_db, m_chain.staffB, "tablet-b");
        exec("UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'test' WHERE user_id = "
             "'" +
             m_chain.staffB + "'");
        QCOMPARE(cc::test::httpsGet(
                     m_fx.server->baseUrl() + "/v1/me/cache-key", m_fx.tls.ca(), 10000,
                     {{"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(token)}})
                     .status,
                 401);
        QCOMPARE(cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/me/cache-key", m_fx.tls.ca(),
                                     "{}", "application/json", 10000, bearer(m_chain.staffA))
                     .status,
                 405);
        QVERIFY(!m_fx.server->log().contains(first));
    }

    // A write that started before the erasure committed does not slip in after it: it waits for
    // the erasure on the customer's row, then is refused.
    void aWriteRacingTheErasureIsRefused()
    {
        const std::string yara = scalar("INSERT INTO customers (id, organisation_id, display_name) "
                                        "VALUES (gen_random_uuid(), '" +
                                        m_chain.org + "', 'Yara Race') RETURNING id::text");
        pqxx::connection eraser(m_fx.db->conninfo());
        pqxx::work erasing(eraser);
        erasing.exec0("SET LOCAL callcommander.erasing = 'on'");
        erasing.exec("SELECT 1 FROM customers WHERE id = '" + yara + "' FOR UPDATE");
        erasing.exec0("INSERT INTO customer_erasures (customer_id, organisation_id) VALUES ('" +
                      yara + "', '" + m_chain.org + "')");
        std::string outcome;
        std::atomic<bool> finished{false};
        std::thread writer([&] {
            try {
                pqxx::connection c(m_fx.db->conninfo());
                pqxx::work tx(c);
                tx.exec0("INSERT INTO customer_phones (customer_id, organisation_id, number) "
                         "VALUES ('" +
                         yara + "', '" + m_chain.org + "', '+447700900444')");
                tx.commit();
                outcome = "written";
            } catch (const pqxx::sql_error& e) {
                outcome = e.what();
            }
            finished = true;
        });
        // The writer is waiting on the erasure (it has not finished on its own).
        QTest::qWait(300);
        const bool finishedWhileErasing = finished;
        erasing.commit();
        writer.join();
        QVERIFY(!finishedWhileErasing);
        QVERIFY2(outcome.find("customer was erased") != std::string::npos, outcome.c_str());
        QCOMPARE(scalar("SELECT count(*) FROM customer_phones WHERE customer_id = '" + yara + "'"),
                 std::string("0"));
    }

    void aCallUnderWayWaitsForItsEnd()
    {
        const std::string yan = scalar("INSERT INTO customers (id, organisation_id, display_name) "
                                       "VALUES (gen_random_uuid(), '" +
                                       m_chain.org + "', 'Yan Busy') RETURNING id::text");
        exec("INSERT INTO calls (id, organisation_id, location_id, customer_id, direction, "
             "from_number, to_number, started_at, answered_at, status, handled_by) VALUES "
             "(gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeA + "', '" + yan +
             "', 'inbound', '+447700900555', '+442071110000', now(), now(), 'in_progress', '" +
             m_chain.staffA + "')");
        const auto r = erase(m_chain.admin, yan);
        QCOMPARE(r.status, 409);
        QCOMPARE(scalar("SELECT display_name FROM customers WHERE id = '" + yan + "'"),
                 std::string("Yan Busy"));
        QCOMPARE(scalar("SELECT count(*) FROM customer_erasures WHERE customer_id = '" + yan + "'"),
                 std::string("0"));
    }
};

QTEST_GUILESS_MAIN(TestPrivacy)
#include "tst_privacy.moc"
