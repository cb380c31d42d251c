// End to end: the call simulator plays Twilio against the real server, and two devices made of
// the app's real connection, cache and sync client watch: a staff tablet (the person who is
// rung) and the store manager's desktop. A call appears in the store's queue, rings the chosen
// person, is answered and ends; its timings reach both devices; the person records a
// disposition and a note, which reach the server and the manager. A caller who gives up while
// it rings leaves a callback task, which reaches both devices too.

#include "server/crypto/secretbox.h"
#include "server/telephony/directory.h"
#include "shared/sync/schema.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/syncdevice.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <pqxx/pqxx>

#include <memory>

using cc::test::SyncDevice;
using cc::test::textOf;

namespace {

const std::string kAccountSid = "AC00112233445566778899aabbccddeeff";
const std::string kAuthToken = "5f4e3d2c1b0a99887766554433221100";
const std::string kStoreNumber = "+15550002001";
const std::string kCaller = "+447700900888";

bool hasValue(const std::optional<cc::sync::Fields>& row, std::string_view field)
{
    if (!row) {
        return false;
    }
    const cc::sync::Value* v = cc::sync::find(*row, field);
    return v != nullptr && !std::holds_alternative<cc::sync::Null>(*v);
}

} // namespace

class TestCallFlow : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    std::string m_org, m_store, m_staff, m_manager;
    std::unique_ptr<SyncDevice> m_tablet, m_desk;

    std::string q(const std::string& sql)
    {
        pqxx::work tx(*m_db);
        const pqxx::result r = tx.exec(sql);
        tx.commit();
        return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
    }

    // Runs the simulator for one call; spins the event loop meanwhile (the devices keep
    // syncing) and calls `watch` on every turn. Returns its JSON report.
    QJsonObject simulate(const QStringList& mix, const std::function<void()>& watch = {})
    {
        QProcess sim;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CALLSIM_AUTH_TOKEN"), QString::fromStdString(kAuthToken));
        sim.setProcessEnvironment(env);
        QStringList args{QStringLiteral("--url"),         m_fx.server->baseUrl(),
                         QStringLiteral("--ca"),          m_fx.tls.caFile,
                         QStringLiteral("--account-sid"), QString::fromStdString(kAccountSid),
                         QStringLiteral("--numbers"),     QString::fromStdString(kStoreNumber),
                         QStringLiteral("--from"),        QString::fromStdString(kCaller),
                         QStringLiteral("--calls"),       QStringLiteral("1"),
                         QStringLiteral("--json")};
        sim.start(QStringLiteral(CC_CALLSIM_BINARY), args + mix);
        if (!sim.waitForStarted(5000)) {
            return {};
        }
        SyncDevice::waitFor(
            [&] {
                if (watch) {
                    watch();
                }
                return sim.state() == QProcess::NotRunning;
            },
            60000);
        sim.waitForFinished(1000);
        const QByteArray out = sim.readAllStandardOutput();
        if (sim.exitCode() != 0) {
            qWarning() << "callsim:" << out << sim.readAllStandardError();
        }
        return QJsonDocument::fromJson(out).object();
    }

    std::string lastCallId()
    {
        return q("SELECT id FROM calls WHERE organisation_id = '" + m_org +
                 "' ORDER BY started_at DESC LIMIT 1");
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString problem = m_fx.start();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        pqxx::work tx(*m_db);
        m_org = tx.exec1("INSERT INTO organisations (id, slug, name) VALUES (gen_random_uuid(), "
                         "'acme', 'Acme') RETURNING id::text")[0]
                    .as<std::string>();
        m_store = tx.exec1("INSERT INTO locations (id, organisation_id, code, name, timezone, "
                           "main_phone) VALUES (gen_random_uuid(), '" +
                           m_org +
                           "', 'A', 'Harbour Road', 'Europe/London', '+15550009001') RETURNING "
                           "id::text")[0]
                      .as<std::string>();
        tx.exec("INSERT INTO location_hours (location_id, weekday, opens_at, closes_at) SELECT '" +
                m_store + "', d, '00:00', '24:00' FROM generate_series(1, 7) d");
        tx.exec("INSERT INTO phone_numbers (number, organisation_id, location_id) VALUES ('" +
                kStoreNumber + "', '" + m_org + "', '" + m_store + "')");
        const auto user = [&](const std::string& email, const std::string& role) {
            const std::string id =
                tx.exec1("INSERT INTO users (id, organisation_id, email, display_name, role, "
                         "home_location_id) VALUES (gen_random_uuid(), '" +
                         m_org + "', '" + email + "', '" + email + "', '" + role + "', '" +
                         m_store + "') RETURNING id::text")[0]
                    .as<std::string>();
            tx.exec("INSERT INTO user_locations (user_id, location_id) VALUES ('" + id + "', '" +
                    m_store + "')");
            return id;
        };
        m_staff = user("ana@acme.example", "staff");
        m_manager = user("max@acme.example", "manager");
        tx.exec("INSERT INTO routing_rules (organisation_id, ring_timeout_s, wrap_up_s, "
                "missed_pause_s) VALUES ('" +
                m_org + "', 10, 0, 0)");
        tx.commit();
        const cc::server::crypto::SecretBox secrets(
            cc::server::crypto::parseSecretKeys(cc::test::kTestSecretsKeys).value());
        QVERIFY(!cc::server::telephony::setTwilioAccount(*m_db, secrets, "acme", kAccountSid,
                                                         kAuthToken));

        const std::string staffToken = cc::test::issueAccessToken(*m_db, m_staff, "ana-tablet");
        m_tablet = std::make_unique<SyncDevice>(m_fx.server->wsUrl(), m_fx.tls.ca(), staffToken,
                                                "ana-tablet");
        m_desk = std::make_unique<SyncDevice>(
            m_fx.server->wsUrl(), m_fx.tls.ca(),
            cc::test::issueAccessToken(*m_db, m_manager, "max-desk"), "max-desk");
        m_tablet->connect();
        m_desk->connect();
        QVERIFY(m_tablet->waitLive());
        QVERIFY(m_desk->waitLive());
        // Ana says she is available, as the app's switch does.
        QCOMPARE(cc::test::httpsPut(
                     m_fx.server->baseUrl() + "/v1/me/presence", m_fx.tls.ca(),
                     "{\"status\":\"available\"}", 10000,
                     {{"Authorization", "Bearer " + QByteArray::fromStdString(staffToken)}})
                     .status,
                 200);
        // The manager's board shows her available and online.
        QVERIFY(SyncDevice::waitFor(
            [&] {
                const auto p = m_desk->store().row("presence", m_staff);
                return textOf(p, "status") == std::string("available") && p &&
                       std::get<bool>(*cc::sync::find(*p, "online"));
            },
            10000));
    }

    void cleanupTestCase()
    {
        m_tablet.reset();
        m_desk.reset();
        if (m_fx.server) {
            QCOMPARE(m_fx.stop(), 0);
        }
    }

    void answeredCallReachesEveryScreen()
    {
        bool rangOnTablet = false;
        bool queuedOnDesk = false;
        const QJsonObject report = simulate(
            {QStringLiteral("--answer-prob"), QStringLiteral("1"), QStringLiteral("--busy-prob"),
             QStringLiteral("0"), QStringLiteral("--ring-seconds"), QStringLiteral("2"),
             QStringLiteral("--talk-seconds"), QStringLiteral("2"), QStringLiteral("--seed"),
             QStringLiteral("7")},
            [&] {
                // While it rings: Ana's tablet shows the call offered to her (the screen-pop),
                // the manager's desk shows it in the store's queue.
                for (const auto& [key, row] : m_tablet->store().rows("calls")) {
                    if (textOf(row, "offered_to") == m_staff &&
                        textOf(row, "status") == std::string("ringing")) {
                        rangOnTablet = true;
                    }
                }
                for (const auto& [key, row] : m_desk->store().rows("calls")) {
                    if (textOf(row, "status") == std::string("ringing")) {
                        queuedOnDesk = true;
                    }
                }
            });
        QVERIFY2(!report.isEmpty(), "the simulator gave no report");
        QCOMPARE(report["outcomes"].toObject()["answered"].toInt(), 1);
        QVERIFY(rangOnTablet);
        QVERIFY(queuedOnDesk);

        const std::string callId = lastCallId();
        QCOMPARE(q("SELECT status || '/' || handled_by FROM calls WHERE id = '" + callId + "'"),
                 "completed/" + m_staff);
        // Its timings reach both devices.
        for (SyncDevice* d : {m_tablet.get(), m_desk.get()}) {
            QVERIFY2(SyncDevice::waitFor(
                         [&] {
                             const auto row = d->store().row("calls", callId);
                             return textOf(row, "status") == std::string("completed") &&
                                    hasValue(row, "answered_at") && hasValue(row, "ended_at") &&
                                    textOf(row, "handled_by") == m_staff;
                         },
                         10000),
                     d->deviceId().c_str());
        }

        // Ana records how it went, on her tablet; it reaches the server and the manager.
        cc::sync::Fields disposition{{"disposition", cc::sync::Value{std::string("resolved")}}};
        QVERIFY(m_tablet->client().write("calls", cc::sync::Op::Update, callId, disposition));
        const std::string noteId = cc::test::newUuid();
        cc::sync::Fields note{
            {"id", cc::sync::Value{noteId}},
            {"call_id", cc::sync::Value{callId}},
            {"location_id", cc::sync::Value{m_store}},
            {"body", cc::sync::Value{std::string("Asked about the winter jackets; found one.")}}};
        QVERIFY(m_tablet->client().write("call_notes", cc::sync::Op::Insert, noteId, note));
        QVERIFY(m_tablet->waitSettled());
        QCOMPARE(q("SELECT disposition FROM calls WHERE id = '" + callId + "'"),
                 std::string("resolved"));
        QCOMPARE(q("SELECT author_id FROM call_notes WHERE id = '" + noteId + "'"), m_staff);
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return m_desk->store().row("call_notes", noteId).has_value() &&
                       textOf(m_desk->store().row("calls", callId), "disposition") ==
                           std::string("resolved");
            },
            10000));
    }

    void callerWhoGivesUpIsCalledBack()
    {
        // Nobody picks up; the caller hangs up while it rings.
        const QJsonObject report = simulate(
            {QStringLiteral("--answer-prob"), QStringLiteral("0"), QStringLiteral("--busy-prob"),
             QStringLiteral("0"), QStringLiteral("--patience-seconds"), QStringLiteral("1"),
             QStringLiteral("--seed"), QStringLiteral("11")});
        QCOMPARE(report["outcomes"].toObject()["abandoned"].toInt(), 1);
        const std::string callId = lastCallId();
        QCOMPARE(q("SELECT status FROM calls WHERE id = '" + callId + "'"),
                 std::string("abandoned"));
        const std::string taskId = q("SELECT id FROM tasks WHERE call_id = '" + callId +
                                     "' AND kind = 'callback' AND status = 'open'");
        QVERIFY(!taskId.empty());
        for (SyncDevice* d : {m_tablet.get(), m_desk.get()}) {
            QVERIFY2(SyncDevice::waitFor(
                         [&] {
                             const auto task = d->store().row("tasks", taskId);
                             const auto title = textOf(task, "title");
                             return title && title->find(kCaller) != std::string::npos &&
                                    textOf(d->store().row("calls", callId), "status") ==
                                        std::string("abandoned");
                         },
                         10000),
                     d->deviceId().c_str());
        }
        // Ana is free again, and not paused: the caller hung up, she missed nothing.
        QCOMPARE(q("SELECT activity || '/' || (paused_until IS NULL) FROM presence WHERE "
                   "user_id = '" +
                   m_staff + "'"),
                 std::string("idle/true"));
    }
};

QTEST_GUILESS_MAIN(TestCallFlow)
#include "tst_callflow.moc"
