// Convergence property: several devices on two server nodes make random writes to shared rows
// (customer fields, tasks, notes) while they randomly drop off the network and come back, and an
// administrator's SQL changes rows too. At the end every device's cache equals what the server
// gives its user, every acknowledged write is there once, and every field holds the write with
// the newest clock stamp. Seeded: CC_SYNC_SEED=<n> replays a sequence of operations.

#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/syncdevice.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QTest>
#include <QUuid>

#include <pqxx/pqxx>

#include <map>
#include <memory>

using cc::sync::Fields;
using cc::sync::Op;
using cc::sync::Value;
using cc::test::SyncDevice;

namespace {

struct Actor {
    std::string userId;
    std::vector<std::string> stores;
    std::unique_ptr<SyncDevice> device;
    bool online = true;
};

// One device write to one field, as the device stamped it.
struct FieldWrite {
    std::string hlc;
    Value value;
};

} // namespace

class TestSyncConvergence : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<cc::test::ServerProcess> m_node2;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_node2 = std::make_unique<cc::test::ServerProcess>(
            QString::fromStdString(m_fx.db->conninfo()), m_fx.tls,
            QMap<QString, QString>{
                {QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QStringLiteral("test-node-2")}});
        QVERIFY2(m_node2->start() && m_node2->waitReady(), qPrintable(m_node2->log()));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_chain = cc::test::seedChain(*m_db);
    }

    void cleanupTestCase()
    {
        QCOMPARE(m_node2->terminate(), 0);
        QCOMPARE(m_fx.stop(), 0);
    }

    void randomWritesAndOutagesConverge()
    {
        const quint32 seed = qEnvironmentVariableIsSet("CC_SYNC_SEED")
                                 ? qEnvironmentVariable("CC_SYNC_SEED").toUInt()
                                 : QRandomGenerator::global()->generate();
        qInfo("CC_SYNC_SEED=%u", seed);
        QRandomGenerator rng(seed);
        const auto chance = [&](double p) { return rng.generateDouble() < p; };
        const auto pick = [&](std::size_t n) {
            return static_cast<std::size_t>(rng.bounded(static_cast<quint32>(n)));
        };
        const QString nodes[] = {m_fx.server->wsUrl(), m_node2->wsUrl()};

        std::vector<Actor> actors;
        const auto addActor = [&](const std::string& user, std::vector<std::string> stores) {
            Actor a{user, std::move(stores), nullptr, true};
            const std::string name = "conv-" + std::to_string(actors.size());
            a.device =
                std::make_unique<SyncDevice>(nodes[actors.size() % 2], m_fx.tls.ca(),
                                             cc::test::issueAccessToken(*m_db, user, name), name);
            actors.push_back(std::move(a));
        };
        addActor(m_chain.staffA, {m_chain.storeA});
        addActor(m_chain.staffA, {m_chain.storeA}); // one person, two tablets
        addActor(m_chain.staffA2, {m_chain.storeA});
        addActor(m_chain.staffB, {m_chain.storeB});
        addActor(m_chain.manager, {m_chain.storeA, m_chain.storeB});
        for (auto& a : actors) {
            a.device->connect();
        }
        for (auto& a : actors) {
            QVERIFY(a.device->waitLive());
        }

        std::map<std::string, FieldWrite> newest; // "entity/key/field" -> the winning write
        std::vector<std::string> notes;           // every note a device wrote
        std::size_t writes = 0;
        const auto remember = [&](Actor& a, const std::string& mutationId,
                                  const std::string& entity, const std::string& key,
                                  const Fields& fields) {
            // The stamp the device gave the write is in its outbox until acknowledged.
            for (const auto& m : a.device->store().pending(100000, 1u << 30)) {
                if (m.id != mutationId) {
                    continue;
                }
                for (const auto& f : fields) {
                    auto& slot = newest[entity + "/" + key + "/" + f.name];
                    if (slot.hlc < m.hlc) {
                        slot = {m.hlc, f.value};
                    }
                }
            }
        };
        const std::vector<std::string> names = {"Carol", "Caroline", "Carrie", "Carol Smith", "C."};
        const std::vector<std::string> statuses = {"open", "done", "cancelled"};

        const int steps = 400;
        for (int step = 0; step < steps; ++step) {
            Actor& a = actors[pick(actors.size())];
            auto& store = a.device->store();
            const double roll = rng.generateDouble();
            if (roll < 0.08) {
                // The network comes and goes; a device comes back through either node.
                if (a.online) {
                    a.device->disconnect();
                } else {
                    a.device->setUrl(nodes[pick(2)]);
                    a.device->connect();
                }
                a.online = !a.online;
            } else if (roll < 0.12) {
                // An administrator's SQL changes a field devices do not write.
                pqxx::work tx(*m_db);
                tx.exec_params("UPDATE customers SET marketing_consent = NOT marketing_consent "
                               "WHERE id = $1",
                               chance(0.5) ? m_chain.customerAB : m_chain.customerA);
                tx.commit();
            } else if (roll < 0.50) {
                const auto customers = store.rows("customers");
                if (customers.empty()) {
                    continue;
                }
                const std::string key = customers[pick(customers.size())].first;
                Fields fields;
                if (chance(0.6)) {
                    fields.push_back({"display_name", Value{names[pick(names.size())] + " " +
                                                            std::to_string(step)}});
                }
                if (chance(0.4)) {
                    fields.push_back({"email", Value{"c" + std::to_string(step) + "@example.com"}});
                }
                if (fields.empty() || chance(0.3)) {
                    fields.push_back({"sms_consent", Value{chance(0.5)}});
                }
                auto written = a.device->client().write("customers", Op::Update, key, fields);
                QVERIFY2(written, written ? "" : written.error().reason.c_str());
                remember(a, written.value(), "customers", key, fields);
                ++writes;
            } else if (roll < 0.70) {
                const auto tasks = store.rows("tasks");
                std::vector<std::string> mine;
                for (const auto& [key, fields] : tasks) {
                    const Value* at = cc::sync::find(fields, "location_id");
                    if (at && std::find(a.stores.begin(), a.stores.end(),
                                        std::get<std::string>(*at)) != a.stores.end()) {
                        mine.push_back(key);
                    }
                }
                if (mine.empty() || chance(0.3)) {
                    const std::string id = cc::test::newUuid();
                    const Fields fields{{"id", Value{id}},
                                        {"location_id", Value{a.stores[pick(a.stores.size())]}},
                                        {"kind", Value{std::string("follow_up")}},
                                        {"title", Value{"Task " + std::to_string(step)}},
                                        {"due_at", Value{QDateTime::currentMSecsSinceEpoch()}}};
                    auto written = a.device->client().write("tasks", Op::Insert, id, fields);
                    QVERIFY2(written, written ? "" : written.error().reason.c_str());
                    remember(a, written.value(), "tasks", id, fields);
                } else {
                    const std::string key = mine[pick(mine.size())];
                    Fields fields{{"title", Value{"Retitled " + std::to_string(step)}}};
                    if (chance(0.5)) {
                        fields.push_back({"status", Value{statuses[pick(statuses.size())]}});
                    }
                    auto written = a.device->client().write("tasks", Op::Update, key, fields);
                    QVERIFY2(written, written ? "" : written.error().reason.c_str());
                    remember(a, written.value(), "tasks", key, fields);
                }
                ++writes;
            } else if (roll < 0.85) {
                const auto customers = store.rows("customers");
                if (customers.empty()) {
                    continue;
                }
                const std::string id = cc::test::newUuid();
                auto written = a.device->client().write(
                    "call_notes", Op::Insert, id,
                    {{"id", Value{id}},
                     {"customer_id", Value{customers[pick(customers.size())].first}},
                     {"location_id", Value{a.stores[pick(a.stores.size())]}},
                     {"body", Value{"Note " + std::to_string(step)}}});
                QVERIFY2(written, written ? "" : written.error().reason.c_str());
                notes.push_back(id);
                ++writes;
            } else {
                // Time passes: changes travel, pushes are answered.
                SyncDevice::waitFor([] { return false; }, static_cast<int>(pick(30)));
            }
            SyncDevice::waitFor([] { return false; }, 1);
        }

        // Everyone back online; wait until nothing is left to send and nothing is in flight.
        for (auto& a : actors) {
            if (!a.online) {
                a.device->connect();
                a.online = true;
            }
        }
        for (auto& a : actors) {
            QVERIFY2(a.device->waitSettled(60000), a.device->deviceId().c_str());
        }
        // A last change everyone sees marks the end of the stream for each device.
        {
            pqxx::work tx(*m_db);
            tx.exec_params("UPDATE organisations SET name = 'acme (end of run)' WHERE id = $1",
                           m_chain.org);
            tx.commit();
        }
        for (auto& a : actors) {
            QVERIFY(SyncDevice::waitFor(
                [&] {
                    const auto row = a.device->store().row("organisations", m_chain.org);
                    const Value* name = row ? cc::sync::find(*row, "name") : nullptr;
                    return name && *name == Value{std::string("acme (end of run)")};
                },
                20000));
        }
        qInfo("%zu writes by %zu devices, %zu notes", writes, actors.size(), notes.size());
        QVERIFY(writes > 100);

        // 1. Every device holds exactly what the server gives its user.
        for (auto& a : actors) {
            const std::string diff =
                cc::test::differencesFromServer(*m_db, a.userId, a.device->store());
            QVERIFY2(diff.empty(), (a.device->deviceId() + ":\n" + diff).c_str());
            QCOMPARE(a.device->store().pendingCount(), std::size_t(0));
        }
        // 2. Every acknowledged note is there once, and no write was refused.
        pqxx::nontransaction tx(*m_db);
        for (const auto& id : notes) {
            QCOMPARE(
                tx.exec_params1("SELECT count(*) FROM call_notes WHERE id = $1", id)[0].as<int>(),
                1);
        }
        const pqxx::result refused = tx.exec("SELECT reason FROM sync_mutations "
                                             "WHERE status = 'rejected' LIMIT 5");
        QVERIFY2(refused.empty(), refused.empty() ? "" : refused[0][0].c_str());
        for (auto& a : actors) {
            for (const auto& c : a.device->store().conflicts()) {
                QVERIFY2(c.kind == "overridden", c.reason.c_str());
            }
        }
        // 3. Every field holds its newest write (last writer wins by clock stamp, per field).
        for (const auto& [path, write] : newest) {
            const auto first = path.find('/');
            const auto last = path.rfind('/');
            const std::string entity = path.substr(0, first);
            const std::string key = path.substr(first + 1, last - first - 1);
            const std::string field = path.substr(last + 1);
            const pqxx::row r = tx.exec_params1(
                "SELECT data ->> $3 FROM sync_log WHERE entity = $1 AND row_key = $2", entity, key,
                field);
            std::string expected;
            if (const auto* s = std::get_if<std::string>(&write.value)) {
                expected = *s;
            } else if (const auto* b = std::get_if<bool>(&write.value)) {
                expected = *b ? "true" : "false";
            } else {
                expected = std::to_string(std::get<std::int64_t>(write.value));
            }
            QVERIFY2(
                r[0].c_str() == expected,
                (path + ": server has " + r[0].c_str() + ", newest write " + expected).c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestSyncConvergence)
#include "tst_syncconvergence.moc"
