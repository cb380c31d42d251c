// Sync end to end: the real server (one or two nodes) on a real PostgreSQL, and devices made of
// the app's real connection, SQLite cache and sync client. What a device holds (its scope), how
// writes travel between devices, what the server refuses, exactly-once pushes, per-field
// last-writer-wins, rollback of refused writes, and resuming after an outage.

#include "server/sync/sync_store.h"
#include "shared/protocol/envelope.h"
#include "shared/sync/hlc.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/syncdevice.h"

#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <pqxx/pqxx>

#include <algorithm>
#include <memory>
#include <set>

using cc::sync::Field;
using cc::sync::Fields;
using cc::sync::Op;
using cc::sync::Value;
using cc::test::SyncDevice;
using cc::test::textOf;

namespace {

Value text(const std::string& s)
{
    return Value{s};
}

std::int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

std::string stamp()
{
    return cc::sync::encode(cc::sync::Hlc{nowMs(), 0, "test-raw"});
}

} // namespace

class TestSync : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;
    QTemporaryDir m_caches;

    std::unique_ptr<SyncDevice> device(const std::string& userId, const std::string& name,
                                       const QString& cachePath = QStringLiteral(":memory:"),
                                       cc::test::ServerProcess* node = nullptr)
    {
        const std::string token = cc::test::issueAccessToken(*m_db, userId, name);
        auto* server = node ? node : m_fx.server.get();
        return std::make_unique<SyncDevice>(server->wsUrl(), m_fx.tls.ca(), token, name, cachePath);
    }

    std::string scalar(const std::string& sql) { return cc::test::scalar(*m_db, sql); }

    void exec(const std::string& sql)
    {
        pqxx::work tx(*m_db);
        tx.exec0(sql);
        tx.commit();
    }

    bool barrier(SyncDevice& d) { return cc::test::syncBarrier(*m_db, m_chain.storeB, d); }

    void verifyNoRivalData(const cc::app::cache::LocalStore& store)
    {
        const std::set<std::string> rival{m_chain.rivalOrg, m_chain.rivalStore, m_chain.rivalStaff,
                                          m_chain.rivalCustomer};
        for (const auto& entity : cc::sync::entities()) {
            for (const auto& [key, fields] : store.rows(entity.name)) {
                for (const auto& f : fields) {
                    if (const auto* s = std::get_if<std::string>(&f.value)) {
                        QVERIFY2(!rival.count(*s), (std::string(entity.name) + "/" + key +
                                                    " refers to the other organisation")
                                                       .c_str());
                    }
                }
            }
        }
    }

    // Sends a raw push on `d`'s connection and waits for its answer.
    cc::protocol::PushResult rawPush(SyncDevice& d, const std::string& id,
                                     std::vector<cc::protocol::Mutation> mutations)
    {
        const auto before = d.received().size();
        cc::protocol::Push push;
        push.mutations = std::move(mutations);
        if (!d.connection().send(cc::protocol::Envelope{1, id, push})) {
            qWarning("not connected");
            return {};
        }
        cc::protocol::PushResult result;
        SyncDevice::waitFor(
            [&] {
                for (auto i = before; i < d.received().size(); ++i) {
                    const auto& e = d.received()[i];
                    if (e.id == id) {
                        if (const auto* r = std::get_if<cc::protocol::PushResult>(&e.body)) {
                            result = *r;
                            return true;
                        }
                    }
                }
                return false;
            },
            10000);
        return result;
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_chain = cc::test::seedChain(*m_db);
        QVERIFY(m_caches.isValid());
    }

    void cleanupTestCase() { QCOMPARE(m_fx.stop(), 0); }

    void staffDeviceHoldsItsScopeOnly()
    {
        auto d = device(m_chain.staffA, "scope-staff-a");
        d->connect();
        QVERIFY(d->waitLive());
        auto& s = d->store();
        QCOMPARE(s.rowCount("organisations"), std::size_t(1));
        QCOMPARE(s.rowCount("locations"), std::size_t(2)); // the chain's store directory
        QCOMPARE(s.rowCount("users"), std::size_t(5));     // the staff directory
        QVERIFY(s.row("customers", m_chain.customerA));
        QVERIFY(s.row("customers", m_chain.customerAB));
        QVERIFY(!s.row("customers", m_chain.customerB));
        QVERIFY(s.row("calls", m_chain.callA));
        QVERIFY(!s.row("calls", m_chain.callB));
        // Carol has been seen at A: her history from every store comes with her.
        QCOMPARE(s.rowCount("calls"), std::size_t(3));
        QVERIFY(s.row("tasks", m_chain.taskA));
        QVERIFY(!s.row("tasks", m_chain.taskB));
        QCOMPARE(s.rowCount("customer_phones"), std::size_t(2));
        verifyNoRivalData(s);
        const std::string diff = cc::test::differencesFromServer(*m_db, m_chain.staffA, s);
        QVERIFY2(diff.empty(), diff.c_str());
        // Nothing of sign-in travels: no user row carries a password hash or lockout state.
        for (const auto& [key, fields] : s.rows("users")) {
            for (const auto& f : fields) {
                QVERIFY(f.name.find("password") == std::string::npos);
                QVERIFY(f.name.find("failed") == std::string::npos);
            }
        }
    }

    void managerHoldsEveryStoreOfTheirs()
    {
        auto d = device(m_chain.manager, "scope-manager");
        d->connect();
        QVERIFY(d->waitLive());
        QCOMPARE(d->store().rowCount("calls"), std::size_t(4));
        QCOMPARE(d->store().rowCount("customers"), std::size_t(3));
        verifyNoRivalData(d->store());
    }

    void adminDeviceHoldsConfigurationOnly()
    {
        auto d = device(m_chain.admin, "scope-admin");
        d->connect();
        QVERIFY(d->waitLive());
        QCOMPARE(d->store().rowCount("locations"), std::size_t(2));
        QCOMPARE(d->store().rowCount("customers"), std::size_t(0));
        QCOMPARE(d->store().rowCount("calls"), std::size_t(0));
        QCOMPARE(d->store().rowCount("tasks"), std::size_t(0));
        verifyNoRivalData(d->store());
        // And it may not write store data.
        const auto result = rawPush(*d, "admin-1",
                                    {{cc::test::newUuid(),
                                      "customers",
                                      cc::test::newUuid(),
                                      Op::Update,
                                      {{"sms_consent", Value{true}}},
                                      stamp()}});
        QCOMPARE(result.results.size(), std::size_t(1));
        QVERIFY(result.results[0].status == cc::protocol::MutationStatus::Rejected);
        QVERIFY(result.results[0].reason.find("role") != std::string::npos);
    }

    void writeReachesTheOtherTabletOfTheStoreOnly()
    {
        auto a1 = device(m_chain.staffA, "tablet-a1");
        auto a2 = device(m_chain.staffA2, "tablet-a2");
        auto b = device(m_chain.staffB, "tablet-b");
        for (auto* d : {a1.get(), a2.get(), b.get()}) {
            d->connect();
            QVERIFY(d->waitLive());
        }
        const std::string taskId = cc::test::newUuid();
        const auto written = a1->client().write("tasks", Op::Insert, taskId,
                                                {{"id", text(taskId)},
                                                 {"location_id", text(m_chain.storeA)},
                                                 {"customer_id", text(m_chain.customerA)},
                                                 {"kind", text("callback")},
                                                 {"title", text("Ring back about the blue sofa")},
                                                 {"due_at", Value{nowMs() + 86400000}}});
        QVERIFY2(written, written ? "" : written.error().reason.c_str());
        // In the writer's cache at once, on the other tablet of the store soon after.
        QVERIFY(a1->store().row("tasks", taskId));
        QVERIFY(SyncDevice::waitFor([&] { return a2->store().row("tasks", taskId).has_value(); },
                                    10000));
        QVERIFY(a1->waitSettled());
        QCOMPARE(scalar("SELECT count(*) FROM sync_mutations WHERE mutation_id = '" +
                        written.value() + "' AND status = 'applied'"),
                 std::string("1"));
        QCOMPARE(scalar("SELECT title FROM tasks WHERE id = '" + taskId + "'"),
                 std::string("Ring back about the blue sofa"));
        QVERIFY(barrier(*b));
        QVERIFY(!b->store().row("tasks", taskId));
        for (auto* d : {a1.get(), a2.get(), b.get()}) {
            QVERIFY(barrier(*d)); // everything committed so far has reached it
            const std::string diff =
                cc::test::differencesFromServer(*m_db,
                                                d == b.get()    ? m_chain.staffB
                                                : d == a1.get() ? m_chain.staffA
                                                                : m_chain.staffA2,
                                                d->store());
            QVERIFY2(diff.empty(), diff.c_str());
        }
    }

    void changesMadeBySqlReachDevices()
    {
        auto d = device(m_chain.staffA, "sql-watcher");
        d->connect();
        QVERIFY(d->waitLive());
        exec("UPDATE customers SET display_name = 'Alice Renamed' WHERE id = '" +
             m_chain.customerA + "'");
        QVERIFY(SyncDevice::waitFor(
            [&] {
                const auto name =
                    textOf(d->store().row("customers", m_chain.customerA), "display_name");
                return name && *name == "Alice Renamed";
            },
            10000));
        const std::string taskId = cc::test::newUuid();
        exec("INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) VALUES ('" +
             taskId + "', '" + m_chain.org + "', '" + m_chain.storeA +
             "', 'follow_up', 'Imported', now())");
        QVERIFY(SyncDevice::waitFor([&] { return d->store().row("tasks", taskId).has_value(); },
                                    10000));
        exec("DELETE FROM tasks WHERE id = '" + taskId + "'");
        QVERIFY(SyncDevice::waitFor([&] { return !d->store().row("tasks", taskId).has_value(); },
                                    10000));
        // A store that sees a customer for the first time gets the customer and their history.
        auto b = device(m_chain.staffB, "sql-watcher-b");
        b->connect();
        QVERIFY(b->waitLive());
        QVERIFY(!b->store().row("customers", m_chain.customerA));
        exec("INSERT INTO calls (id, organisation_id, location_id, customer_id, direction, "
             "from_number, to_number, started_at, status) VALUES (gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeB + "', '" + m_chain.customerA +
             "', 'inbound', '+447700900001', '+442072220000', now(), 'ringing')");
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return b->store().row("customers", m_chain.customerA).has_value() &&
                       b->store().row("calls", m_chain.callA).has_value();
            },
            10000));
        const std::string diff = cc::test::differencesFromServer(*m_db, m_chain.staffB, b->store());
        QVERIFY2(diff.empty(), diff.c_str());
    }

    void pushesAreAppliedOnce()
    {
        auto d = device(m_chain.staffA, "replayer");
        d->connect();
        QVERIFY(d->waitLive());
        const std::string customerId = cc::test::newUuid();
        const cc::protocol::Mutation create{
            cc::test::newUuid(),
            "customers",
            customerId,
            Op::Insert,
            Fields{{"id", text(customerId)}, {"display_name", text("Dora Once")}},
            stamp()};
        const auto first = rawPush(*d, "replay-1", {create});
        const auto second = rawPush(*d, "replay-2", {create});
        QCOMPARE(first.results.size(), std::size_t(1));
        QVERIFY(first.results[0].status == cc::protocol::MutationStatus::Applied);
        QVERIFY(first.results[0].version > 0);
        QVERIFY(second.results == first.results); // the same answer, nothing applied again
        QCOMPARE(scalar("SELECT count(*) FROM customers WHERE id = '" + customerId + "'"),
                 std::string("1"));
        const std::string version = scalar("SELECT max(version) FROM sync_log");

        // The same id with other content is refused and changes nothing.
        auto changed = create;
        changed.fields[1].value = text("Dora Twice");
        const auto third = rawPush(*d, "replay-3", {changed});
        QVERIFY(third.results.at(0).status == cc::protocol::MutationStatus::Rejected);
        QVERIFY(third.results[0].reason.find("already used") != std::string::npos);
        QCOMPARE(scalar("SELECT display_name FROM customers WHERE id = '" + customerId + "'"),
                 std::string("Dora Once"));
        QCOMPARE(scalar("SELECT max(version) FROM sync_log"), version);
        // The customer created at the counter is seen by the creator's store.
        QVERIFY(SyncDevice::waitFor(
            [&] { return d->store().row("customers", customerId).has_value(); }, 10000));
    }

    void badWritesAreRefusedAndChangeNothing()
    {
        auto d = device(m_chain.staffA, "bad-writer");
        d->connect();
        QVERIFY(d->waitLive());
        // What the bad writes aim at: every synced row but presence (the device's own sign-in
        // updates its person's presence whenever its registration commits).
        const std::string state =
            "SELECT coalesce(max(version), 0) || '/' || count(*) || '/' || (SELECT count(*) FROM "
            "customers) || '/' || (SELECT count(*) FROM tasks) || '/' || (SELECT string_agg(title, "
            "',' ORDER BY id) FROM tasks) FROM sync_log WHERE entity <> 'presence'";
        const std::string before = scalar(state);
        const std::string t = cc::test::newUuid();
        const auto task = [&](const std::string& store, const std::string& customer) {
            return Fields{{"id", text(t)},
                          {"location_id", text(store)},
                          {"customer_id", text(customer)},
                          {"kind", text("callback")},
                          {"title", text("x")},
                          {"due_at", Value{nowMs()}}};
        };
        const std::vector<std::pair<cc::protocol::Mutation, std::string>> cases = {
            {{cc::test::newUuid(), "invoices", t, Op::Insert, {{"id", text(t)}}, stamp()},
             "no synced entity"},
            {{cc::test::newUuid(),
              "customers",
              m_chain.customerA,
              Op::Update,
              {{"favourite_colour", text("red")}},
              stamp()},
             "has no field"},
            {{cc::test::newUuid(),
              "customers",
              m_chain.customerA,
              Op::Update,
              {{"sms_consent", text("yes")}},
              stamp()},
             "true or false"},
            {{cc::test::newUuid(),
              "customers",
              m_chain.customerA,
              Op::Update,
              {{"display_name", text(std::string(5000, 'x'))}},
              stamp()},
             "longer than 200"},
            {{cc::test::newUuid(), "tasks", t, Op::Insert, task(m_chain.storeB, m_chain.customerA),
              stamp()},
             "not one of yours"},
            {{cc::test::newUuid(), "tasks", t, Op::Insert,
              task(m_chain.storeA, m_chain.rivalCustomer), stamp()},
             "no such customer"},
            {{cc::test::newUuid(), "tasks", t, Op::Insert, task(m_chain.storeA, m_chain.customerB),
              stamp()},
             "no such customer in your stores"},
            {{cc::test::newUuid(),
              "tasks",
              m_chain.taskB,
              Op::Update,
              {{"title", text("mine now")}},
              stamp()},
             "not yours"},
            {{cc::test::newUuid(),
              "customers",
              m_chain.rivalCustomer,
              Op::Update,
              {{"display_name", text("stolen")}},
              stamp()},
             "no such row"},
            {{cc::test::newUuid(),
              "locations",
              m_chain.storeA,
              Op::Update,
              {{"name", text("x")}},
              stamp()},
             "cannot be changed that way"},
            {{cc::test::newUuid(),
              "customers",
              m_chain.customerA,
              Op::Update,
              {{"sms_consent", Value{true}}},
              "yesterday"},
             "clock stamp"},
            {{"m-1",
              "customers",
              m_chain.customerA,
              Op::Update,
              {{"sms_consent", Value{true}}},
              stamp()},
             "UUID"},
            {{cc::test::newUuid(),
              "tasks",
              m_chain.taskA,
              Op::Update,
              {{"due_at", Value{std::int64_t(5)}}},
              stamp()},
             "milliseconds"},
        };
        std::vector<cc::protocol::Mutation> mutations;
        for (const auto& c : cases) {
            mutations.push_back(c.first);
        }
        const auto result = rawPush(*d, "bad-1", mutations);
        QCOMPARE(result.results.size(), cases.size());
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const auto& r = result.results[i];
            QVERIFY2(r.status == cc::protocol::MutationStatus::Rejected, cases[i].second.c_str());
            QVERIFY2(r.reason.find(cases[i].second) != std::string::npos,
                     (cases[i].second + " / got: " + r.reason).c_str());
        }
        QCOMPARE(scalar(state), before);
        std::string ids;
        for (const auto& m : mutations) {
            ids += (ids.empty() ? "" : ",") + m.id; // some are not even UUIDs
        }
        QCOMPARE(scalar("SELECT count(*) FROM sync_log WHERE mutation_id::text = ANY "
                        "(string_to_array('" +
                        ids + "', ','))"),
                 std::string("0"));
        QCOMPARE(
            scalar("SELECT display_name FROM customers WHERE id = '" + m_chain.rivalCustomer + "'"),
            std::string("Rita R"));
    }

    void deletesNameTheirMutation()
    {
        auto d = device(m_chain.staffA, "phone-remover");
        d->connect();
        QVERIFY(d->waitLive());
        const std::string key = m_chain.customerA + "/+447700900001";
        QVERIFY(d->store().row("customer_phones", key));
        const auto removed = d->client().write("customer_phones", Op::Delete, key, {});
        QVERIFY2(removed, removed ? "" : removed.error().reason.c_str());
        QVERIFY(d->waitSettled());
        QCOMPARE(scalar("SELECT count(*) FROM customer_phones WHERE customer_id = '" +
                        m_chain.customerA + "' AND number = '+447700900001'"),
                 std::string("0"));
        // The tombstone says which mutation deleted the row, so the writer's cache takes it as
        // the acknowledgement.
        QCOMPARE(scalar("SELECT mutation_id FROM sync_log WHERE entity = 'customer_phones' AND "
                        "row_key = '" +
                        key + "' AND deleted"),
                 removed.value());
        QVERIFY(!d->store().row("customer_phones", key));
        exec("INSERT INTO customer_phones (customer_id, organisation_id, number) VALUES ('" +
             m_chain.customerA + "', '" + m_chain.org + "', '+447700900001')");
    }

    void aNewStoreWidensWhatADeviceHolds()
    {
        const std::string storeTask =
            cc::test::newUuid(); // store A's own, no customer to carry it to B
        exec("INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) VALUES ('" +
             storeTask + "', '" + m_chain.org + "', '" + m_chain.storeA +
             "', 'follow_up', 'Count the stock', now())");
        auto d = device(m_chain.staffB, "moving-staff");
        d->connect();
        QVERIFY(d->waitLive());
        QVERIFY(!d->store().row("tasks", storeTask));
        // Bea now also works at store A: her tablet reconnects and downloads her new scope.
        exec("INSERT INTO user_locations (user_id, location_id) VALUES ('" + m_chain.staffB +
             "', '" + m_chain.storeA + "')");
        QVERIFY(SyncDevice::waitFor([&] { return d->store().row("tasks", storeTask).has_value(); },
                                    20000));
        QVERIFY(d->waitLive());
        const std::string diff = cc::test::differencesFromServer(*m_db, m_chain.staffB, d->store());
        QVERIFY2(diff.empty(), diff.c_str());
        // And back: the rows of store A leave her tablet.
        exec("DELETE FROM user_locations WHERE user_id = '" + m_chain.staffB +
             "' AND location_id = '" + m_chain.storeA + "'");
        QVERIFY(SyncDevice::waitFor([&] { return !d->store().row("tasks", storeTask).has_value(); },
                                    20000));
        QVERIFY(d->waitLive());
        const std::string after =
            cc::test::differencesFromServer(*m_db, m_chain.staffB, d->store());
        QVERIFY2(after.empty(), after.c_str());
    }

    void cursorFromTheFutureIsRefused()
    {
        const std::string token = cc::test::issueAccessToken(*m_db, m_chain.staffA, "future");
        cc::app::ServerConnection conn(nullptr);
        conn.setUrl(QUrl(m_fx.server->wsUrl()));
        conn.setExtraCaCertificates(m_fx.tls.ca());
        conn.setDeviceId(QStringLiteral("future"));
        conn.setAccessToken(QString::fromStdString(token));
        std::vector<cc::protocol::Envelope> received;
        connect(&conn, &cc::app::ServerConnection::messageReceived, this,
                [&](const cc::protocol::Envelope& e) { received.push_back(e); });
        conn.connectToServer();
        QVERIFY(SyncDevice::waitFor(
            [&] { return conn.state() == cc::app::ServerConnection::State::Connected; }, 10000));
        QVERIFY(conn.send({1, "sub-future", cc::protocol::Subscribe{1000000000000, "s1-x"}}));
        QVERIFY(SyncDevice::waitFor([&] { return !received.empty(); }, 10000));
        const auto* error = std::get_if<cc::protocol::Error>(&received.front().body);
        QVERIFY(error != nullptr);
        QVERIFY(error->code == cc::protocol::ErrorCode::InvalidCursor);
        QCOMPARE(received.front().id, std::string("sub-future"));
        // The connection stays usable: a proper subscribe works.
        QVERIFY(conn.send({1, "sub-ok", cc::protocol::Subscribe{0, ""}}));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return std::any_of(received.begin(), received.end(), [](const auto& e) {
                    return std::holds_alternative<cc::protocol::Changes>(e.body);
                });
            },
            10000));
        conn.disconnectFromServer();
        SyncDevice::waitFor([] { return false; }, 50);
    }

    void editsOfDifferentFieldsBothSurvive()
    {
        auto d1 = device(m_chain.staffA, "fields-1");
        auto d2 = device(m_chain.staffA2, "fields-2");
        for (auto* d : {d1.get(), d2.get()}) {
            d->connect();
            QVERIFY(d->waitLive());
            d->disconnect();
        }
        QVERIFY(d1->client().write("customers", Op::Update, m_chain.customerAB,
                                   {{"display_name", text("Carol Smith")}}));
        QVERIFY(d2->client().write("customers", Op::Update, m_chain.customerAB,
                                   {{"email", text("carol@example.com")}}));
        for (auto* d : {d1.get(), d2.get()}) {
            d->connect();
            QVERIFY(d->waitSettled());
        }
        QVERIFY(barrier(*d1) && barrier(*d2));
        QCOMPARE(scalar("SELECT display_name || ' <' || email || '>' FROM customers WHERE id = '" +
                        m_chain.customerAB + "'"),
                 std::string("Carol Smith <carol@example.com>"));
        for (auto* d : {d1.get(), d2.get()}) {
            const auto row = d->store().row("customers", m_chain.customerAB);
            QCOMPARE(*textOf(row, "display_name"), std::string("Carol Smith"));
            QCOMPARE(*textOf(row, "email"), std::string("carol@example.com"));
            QVERIFY(d->store().conflicts().empty());
        }
    }

    void laterEditOfAFieldWinsEverywhere()
    {
        auto d1 = device(m_chain.staffA, "lww-1");
        auto d2 = device(m_chain.staffA2, "lww-2");
        for (auto* d : {d1.get(), d2.get()}) {
            d->connect();
            QVERIFY(d->waitLive());
            d->disconnect();
        }
        QVERIFY(d1->client().write("customers", Op::Update, m_chain.customerAB,
                                   {{"display_name", text("Carol First")}}));
        QTest::qWait(5);
        QVERIFY(d2->client().write("customers", Op::Update, m_chain.customerAB,
                                   {{"display_name", text("Carol Second")}}));
        // The later edit arrives first; the earlier one, uploaded after it, loses.
        d2->connect();
        QVERIFY(d2->waitSettled());
        d1->connect();
        QVERIFY(d1->waitSettled());
        QVERIFY(barrier(*d1) && barrier(*d2));
        QCOMPARE(
            scalar("SELECT display_name FROM customers WHERE id = '" + m_chain.customerAB + "'"),
            std::string("Carol Second"));
        QCOMPARE(*textOf(d1->store().row("customers", m_chain.customerAB), "display_name"),
                 std::string("Carol Second"));
        const auto conflicts = d1->store().conflicts();
        QCOMPARE(conflicts.size(), std::size_t(1));
        QCOMPARE(conflicts[0].kind, std::string("overridden"));
        QCOMPARE(conflicts[0].fields, std::vector<std::string>{"display_name"});
        QVERIFY(d2->store().conflicts().empty());
    }

    void refusedWriteIsRolledBackAndListed()
    {
        const std::string taskId = cc::test::newUuid();
        exec("INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) VALUES ('" +
             taskId + "', '" + m_chain.org + "', '" + m_chain.storeA +
             "', 'follow_up', 'Order the blue sofa', now())");
        auto d = device(m_chain.staffA, "rollback");
        d->connect();
        QVERIFY(d->waitLive());
        QVERIFY(d->store().row("tasks", taskId));
        d->disconnect();
        exec("DELETE FROM tasks WHERE id = '" + taskId + "'"); // someone else, meanwhile
        QVERIFY(d->client().write("tasks", Op::Update, taskId, {{"title", text("Sofa ordered")}}));
        QCOMPARE(*textOf(d->store().row("tasks", taskId), "title"), std::string("Sofa ordered"));
        d->connect();
        QVERIFY(d->waitSettled());
        QVERIFY(!d->store().row("tasks", taskId));
        const auto conflicts = d->store().conflicts();
        QCOMPARE(conflicts.size(), std::size_t(1));
        QCOMPARE(conflicts[0].kind, std::string("rejected"));
        QVERIFY(conflicts[0].reason.find("no such row") != std::string::npos);
        QCOMPARE(scalar("SELECT count(*) FROM tasks WHERE id = '" + taskId + "'"),
                 std::string("0"));
    }

    void twoNodesShareChanges()
    {
        cc::test::ServerProcess second(
            QString::fromStdString(m_fx.db->conninfo()), m_fx.tls,
            {{QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QStringLiteral("test-node-2")}});
        QVERIFY2(second.start() && second.waitReady(), qPrintable(second.log()));
        auto writer = device(m_chain.staffA, "node-1-tablet");
        auto reader = device(m_chain.staffA2, "node-2-tablet", QStringLiteral(":memory:"), &second);
        writer->connect();
        reader->connect();
        QVERIFY(writer->waitLive() && reader->waitLive());
        QCOMPARE(reader->connection().serverNode(), QStringLiteral("test-node-2"));
        const std::string noteId = cc::test::newUuid();
        QVERIFY(writer->client().write(
            "call_notes", Op::Insert, noteId,
            {{"id", text(noteId)},
             {"customer_id", text(m_chain.customerA)},
             {"location_id", text(m_chain.storeA)},
             {"body", text("Paid with 4111 1111 1111 1111, wants delivery")}}));
        QVERIFY(SyncDevice::waitFor(
            [&] { return reader->store().row("call_notes", noteId).has_value(); }, 10000));
        // Card numbers never reach the server or another device.
        QCOMPARE(*textOf(reader->store().row("call_notes", noteId), "body"),
                 std::string("Paid with **** **** **** 1111, wants delivery"));
        QCOMPARE(scalar("SELECT count(*) FROM call_notes WHERE body LIKE '%4111 1111%'"),
                 std::string("0"));
        // The author is whoever wrote it.
        QCOMPARE(scalar("SELECT author_id FROM call_notes WHERE id = '" + noteId + "'"),
                 m_chain.staffA);
        reader.reset();
        QCOMPARE(second.terminate(), 0);
    }

    void longNotesArePagedByBytes()
    {
        // 700 notes of 3000 characters (2 MiB) written by an import: no page may carry them all.
        exec("INSERT INTO call_notes (id, organisation_id, customer_id, location_id, body) "
             "SELECT gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.customerA + "', '" + m_chain.storeA +
             "', repeat('long note ', 300) FROM generate_series(1, 700)");
        auto d = device(m_chain.staffA2, "long-notes");
        d->connect();
        QVERIFY(d->waitLive(30000));
        int pages = 0;
        for (const auto& e : d->received()) {
            if (const auto* c = std::get_if<cc::protocol::Changes>(&e.body)) {
                ++pages;
                std::size_t bytes = 0;
                for (const auto& row : c->rows) {
                    for (const auto& f : row.fields) {
                        if (const auto* t = std::get_if<std::string>(&f.value)) {
                            bytes += t->size();
                        }
                    }
                }
                QVERIFY2(bytes <= cc::server::sync::kMaxPageBytes + 4096,
                         qPrintable(QStringLiteral("a page of %1 bytes").arg(bytes)));
            }
        }
        QVERIFY2(pages >= 2, "the notes came in one page");
        QVERIFY(d->store().rowCount("call_notes") >= 700);
        const std::string diff =
            cc::test::differencesFromServer(*m_db, m_chain.staffA2, d->store());
        QVERIFY2(diff.empty(), diff.c_str());
        exec("DELETE FROM call_notes WHERE body LIKE 'long note %'");
    }

    void noCardNumberIsStoredAnywhere()
    {
        const QString path = m_caches.filePath(QStringLiteral("cards.sqlite"));
        auto d = device(m_chain.staffA, "card-typist", path);
        d->connect();
        QVERIFY(d->waitLive());
        // People read card numbers out on the phone and type them into whatever is in front of
        // them: a note, a task, a customer's name.
        const std::string noteId = cc::test::newUuid();
        QVERIFY(d->client().write("call_notes", Op::Insert, noteId,
                                  {{"id", text(noteId)},
                                   {"customer_id", text(m_chain.customerA)},
                                   {"location_id", text(m_chain.storeA)},
                                   {"body", text("card 4111-1111-1111-1111 exp 12/29")}}));
        const std::string taskId = cc::test::newUuid();
        QVERIFY(d->client().write("tasks", Op::Insert, taskId,
                                  {{"id", text(taskId)},
                                   {"location_id", text(m_chain.storeA)},
                                   {"kind", text("callback")},
                                   {"title", text("Refund to 5555555555554444")},
                                   {"due_at", Value{nowMs()}}}));
        QVERIFY(d->client().write("customers", Op::Update, m_chain.customerA,
                                  {{"display_name", text("Alice 378282246310005")}}));
        QVERIFY(d->waitSettled());
        QVERIFY(barrier(*d));
        const std::vector<std::string> numbers = {"4111111111111111", "4111-1111-1111-1111",
                                                  "5555555555554444", "378282246310005"};
        // Every row of every table of the server's database, as text.
        const auto found = cc::test::findInEveryTable(*m_db, numbers);
        QVERIFY2(found.empty(), found.empty() ? "" : found.front().c_str());
        // And every byte of the device's cache, its write-ahead log included.
        for (const QString& file : {path, path + QStringLiteral("-wal")}) {
            QFile f(file);
            if (!f.exists()) {
                continue;
            }
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray bytes = f.readAll();
            for (const auto& n : numbers) {
                QVERIFY2(!bytes.contains(QByteArray::fromStdString(n)),
                         qPrintable(file + QStringLiteral(" holds a card number")));
            }
        }
        // What was typed is kept, with the card number masked.
        QCOMPARE(*textOf(d->store().row("call_notes", noteId), "body"),
                 std::string("card ****-****-****-1111 exp 12/29"));
    }

    void ninetyDaysAwayResumeWithoutAReset()
    {
        const QString path = m_caches.filePath(QStringLiteral("away.sqlite"));
        auto d = device(m_chain.staffA, "away", path);
        d->connect();
        QVERIFY(d->waitLive());
        d->disconnect();
        // While the tablet sits in a drawer for three months, a task is deleted.
        const std::string taskId = cc::test::newUuid();
        exec("INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) VALUES ('" +
             taskId + "', '" + m_chain.org + "', '" + m_chain.storeA +
             "', 'follow_up', 'Old news', now())");
        scalar("SELECT sync_sequence('" + m_chain.org + "')");
        exec("DELETE FROM tasks WHERE id = '" + taskId + "'");
        scalar("SELECT sync_sequence('" + m_chain.org + "')");
        exec("UPDATE sync_log SET changed_at = now() - interval '95 days' WHERE entity = 'tasks' "
             "AND row_key = '" +
             taskId + "'");
        // The nightly purge keeps 400 days: the tombstone stays, the tablet just catches up.
        QCOMPARE(cc::server::sync::purge(*m_db, 400).tombstones, std::int64_t(0));
        const std::string note = cc::test::newUuid();
        QVERIFY(d->client().write("call_notes", Op::Insert, note,
                                  {{"id", text(note)},
                                   {"customer_id", text(m_chain.customerA)},
                                   {"location_id", text(m_chain.storeA)},
                                   {"body", text("Back from the drawer")}}));
        const auto seen = d->received().size();
        d->connect();
        QVERIFY(d->waitSettled());
        const auto* first = [&]() -> const cc::protocol::Changes* {
            for (auto i = seen; i < d->received().size(); ++i) {
                if (const auto* c = std::get_if<cc::protocol::Changes>(&d->received()[i].body)) {
                    return c;
                }
            }
            return nullptr;
        }();
        QVERIFY(first != nullptr);
        QVERIFY(!first->reset);
        QCOMPARE(scalar("SELECT count(*) FROM call_notes WHERE id = '" + note + "'"),
                 std::string("1"));

        // A purge with a shorter memory forgets that tombstone: a device that had not seen it
        // would have to start over; this one had, so it just goes on.
        const auto purged = cc::server::sync::purge(*m_db, 30);
        QCOMPARE(purged.tombstones, std::int64_t(0)); // 95 days < 100: never less than 100 kept
        exec("UPDATE sync_log SET changed_at = now() - interval '500 days' WHERE entity = "
             "'tasks' AND row_key = '" +
             taskId + "'");
        QCOMPARE(cc::server::sync::purge(*m_db, 400).tombstones, std::int64_t(1));
        QVERIFY(!scalar("SELECT purged_before FROM sync_horizons WHERE organisation_id = '" +
                        m_chain.org + "'")
                     .empty());
        QVERIFY(barrier(*d));
        exec("DELETE FROM sync_horizons");
    }

    void resumesAfterAnOutageAndAResetKeepsUnsentWrites()
    {
        const QString path = m_caches.filePath(QStringLiteral("outage.sqlite"));
        auto d = device(m_chain.staffA, "outage", path);
        d->connect();
        QVERIFY(d->waitLive());
        d->disconnect();
        // While away: someone renames a customer; the tablet takes a note.
        exec("UPDATE customers SET display_name = 'Alice Back' WHERE id = '" + m_chain.customerA +
             "'");
        const std::string note1 = cc::test::newUuid();
        QVERIFY(d->client().write("call_notes", Op::Insert, note1,
                                  {{"id", text(note1)},
                                   {"customer_id", text(m_chain.customerA)},
                                   {"location_id", text(m_chain.storeA)},
                                   {"body", text("Left a message")}}));
        // The app is closed and opened again before the network returns.
        d->reopenCache();
        QCOMPARE(d->store().pendingCount(), std::size_t(1));
        const auto seen = d->received().size();
        d->connect();
        QVERIFY(d->waitSettled());
        const auto firstChanges = [&](std::size_t from) -> const cc::protocol::Changes* {
            for (auto i = from; i < d->received().size(); ++i) {
                if (const auto* c = std::get_if<cc::protocol::Changes>(&d->received()[i].body)) {
                    return c;
                }
            }
            return nullptr;
        };
        QVERIFY(firstChanges(seen) != nullptr);
        QVERIFY(!firstChanges(seen)->reset); // resumed from its cursor
        QCOMPARE(*textOf(d->store().row("customers", m_chain.customerA), "display_name"),
                 std::string("Alice Back"));
        QCOMPARE(scalar("SELECT count(*) FROM call_notes WHERE id = '" + note1 + "'"),
                 std::string("1"));

        // Away for longer than the server keeps tombstones: the device downloads its scopes
        // again, and its unsent writes survive the reset.
        d->disconnect();
        exec("UPDATE customers SET sms_consent = true WHERE id = '" + m_chain.customerA + "'");
        scalar("SELECT sync_sequence('" + m_chain.org + "')");
        exec("INSERT INTO sync_horizons (organisation_id, purged_before) SELECT '" + m_chain.org +
             "', max(version) FROM sync_log WHERE organisation_id = '" + m_chain.org + "'");
        const std::string note2 = cc::test::newUuid();
        QVERIFY(d->client().write("call_notes", Op::Insert, note2,
                                  {{"id", text(note2)},
                                   {"customer_id", text(m_chain.customerA)},
                                   {"location_id", text(m_chain.storeA)},
                                   {"body", text("Called back, no answer")}}));
        const auto seen2 = d->received().size();
        d->connect();
        QVERIFY(d->waitSettled());
        exec("DELETE FROM sync_horizons");
        QVERIFY(firstChanges(seen2) != nullptr);
        QVERIFY(firstChanges(seen2)->reset);
        // Its own note comes back with the snapshot, or right after it when the push committed
        // after the snapshot was read.
        QVERIFY(SyncDevice::waitFor([&] { return d->store().row("call_notes", note2).has_value(); },
                                    10000));
        QCOMPARE(scalar("SELECT count(*) FROM call_notes WHERE id IN ('" + note1 + "', '" + note2 +
                        "')"),
                 std::string("2"));
        QVERIFY(barrier(*d));
        const std::string diff = cc::test::differencesFromServer(*m_db, m_chain.staffA, d->store());
        QVERIFY2(diff.empty(), diff.c_str());
    }
};

QTEST_GUILESS_MAIN(TestSync)
#include "tst_sync.moc"
