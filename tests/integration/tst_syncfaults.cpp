// Sync under faults: the server killed with SIGKILL during an upload, PostgreSQL gone mid-stream,
// the client process killed between its local commit and the server's acknowledgement, and a
// connection cut in the middle of a frame (by FaultProxy, between client and server). Afterwards
// no write a device committed is lost, none is applied twice, and every device holds exactly
// what the server gives it.
//
// "Applied once" is checked on the server's records and on an audit trigger the test adds to
// call_notes: every note exists once, was written by one applied mutation of its device and by
// one transaction only (a second application would be another), and every answer a device
// received for a mutation, replays included, says "applied" with the note's version.

#include "shared/protocol/envelope.h"
#include "tests/support/faultproxy.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/syncdevice.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <pqxx/pqxx>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

using cc::app::SyncClient;
using cc::sync::Op;
using cc::sync::Value;
using cc::test::FaultProxy;
using cc::test::SyncDevice;

namespace {

// A PostgreSQL array literal of UUIDs (which need no quoting), for '...'::uuid[].
std::string uuidArray(const std::vector<std::string>& ids)
{
    std::string out = "{";
    for (const auto& id : ids) {
        out += (out.size() > 1 ? "," : "") + id;
    }
    return out + "}";
}

void spin(int ms)
{
    SyncDevice::waitFor([] { return false; }, ms);
}

// What a device wrote: note ids and the mutation ids that carry them, in order.
struct Writes {
    std::vector<std::string> notes;
    std::vector<std::string> mutations;
};

// sync_test_device in its own process, and what it printed.
class DeviceProcess {
public:
    DeviceProcess() { m_process.setProcessChannelMode(QProcess::SeparateChannels); }
    ~DeviceProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    DeviceProcess(const DeviceProcess&) = delete;
    DeviceProcess& operator=(const DeviceProcess&) = delete;

    bool start(const QStringList& args)
    {
        m_process.start(QStringLiteral(CC_SYNC_TEST_DEVICE), args);
        if (!m_process.waitForStarted(10000)) {
            m_stderr += m_process.errorString();
            return false;
        }
        return true;
    }

    // Reads the complete lines printed so far.
    void poll()
    {
        while (m_process.canReadLine()) {
            const QString line = QString::fromUtf8(m_process.readLine()).trimmed();
            m_lines << line;
            const QStringList parts = line.split(QLatin1Char(' '));
            if (parts.size() == 4 && parts[0] == QLatin1String("written")) {
                m_written.notes.push_back(parts[2].toStdString());
                m_written.mutations.push_back(parts[3].toStdString());
            }
        }
    }

    bool saw(const QString& line)
    {
        poll();
        return m_lines.contains(line);
    }
    std::size_t written()
    {
        poll();
        return m_written.notes.size();
    }
    const Writes& writes() const { return m_written; }
    bool running() const { return m_process.state() != QProcess::NotRunning; }

    // SIGKILL, as a crash, the OOM killer or a pulled battery would end the app.
    bool kill()
    {
        m_process.kill();
        const bool ended = m_process.waitForFinished(5000);
        poll();
        return ended;
    }

    QString output()
    {
        poll();
        m_stderr += QString::fromUtf8(m_process.readAllStandardError());
        return m_lines.join(QLatin1Char('\n')) + QStringLiteral("\n[stderr]\n") + m_stderr;
    }

private:
    QProcess m_process;
    QStringList m_lines;
    QString m_stderr;
    Writes m_written;
};

} // namespace

class TestSyncFaults : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;
    QTemporaryDir m_caches;

    pqxx::connection& db()
    {
        if (!m_db || !m_db->is_open()) {
            m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        }
        return *m_db;
    }

    std::unique_ptr<SyncDevice> device(const std::string& userId, const std::string& name,
                                       const QString& wsUrl,
                                       const QString& cachePath = QStringLiteral(":memory:"))
    {
        const std::string token = cc::test::issueAccessToken(db(), userId, name);
        return std::make_unique<SyncDevice>(wsUrl, m_fx.tls.ca(), token, name, cachePath);
    }

    std::string scalar(const std::string& sql)
    {
        pqxx::nontransaction tx(db());
        const auto r = tx.exec(sql);
        return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
    }

    std::set<std::string> column(const std::string& sql)
    {
        pqxx::nontransaction tx(db());
        std::set<std::string> out;
        for (const auto& row : tx.exec(sql)) {
            out.insert(row[0].as<std::string>());
        }
        return out;
    }

    void exec(const std::string& sql)
    {
        pqxx::work tx(db());
        tx.exec0(sql);
        tx.commit();
    }

    bool barrier(SyncDevice& d) { return cc::test::syncBarrier(db(), m_chain.storeB, d); }

    // Takes a note on `d` ("<marker> <n>"); false if the device refused it.
    bool writeNote(SyncDevice& d, const std::string& marker, Writes& w, const std::string& customer,
                   const std::string& store)
    {
        const std::string noteId = cc::test::newUuid();
        const auto written =
            d.client().write("call_notes", Op::Insert, noteId,
                             {{"id", Value{noteId}},
                              {"customer_id", Value{customer}},
                              {"location_id", Value{store}},
                              {"body", Value{marker + " " + std::to_string(w.notes.size() + 1)}}});
        if (!written) {
            qWarning("write refused: %s", written.error().reason.c_str());
            return false;
        }
        w.notes.push_back(noteId);
        w.mutations.push_back(written.value());
        return true;
    }

    // Empty when every note of `notes` is on the server exactly once, written by one applied
    // mutation of `deviceId` in one transaction (the test's audit trigger sees every write to
    // call_notes); when the server holds no other note with the marker and no other mutation of
    // the device; and when every id of `mutations` (those known to the test) was applied.
    std::string exactlyOnce(const std::string& deviceId, const std::string& marker,
                            const std::vector<std::string>& notes,
                            const std::vector<std::string>& mutations)
    {
        std::string failures;
        const auto expect = [&](const std::string& what, const std::string& sql,
                                const std::string& want) {
            const std::string got = scalar(sql);
            if (got != want) {
                failures += what + ": " + got + ", expected " + want + "\n";
            }
        };
        const std::string n = std::to_string(notes.size());
        const std::string noteArray = "'" + uuidArray(notes) + "'::uuid[]";
        expect("notes with the marker on the server (rows/distinct ids)",
               "SELECT count(*) || '/' || count(DISTINCT id) FROM call_notes WHERE body LIKE '" +
                   marker + " %'",
               n + "/" + n);
        expect("the device's notes on the server",
               "SELECT count(*) FROM call_notes WHERE id = ANY(" + noteArray + ")", n);
        expect("the device's mutations on the server (all/applied)",
               "SELECT count(*) || '/' || count(*) FILTER (WHERE status = 'applied') FROM "
               "sync_mutations WHERE device_id = '" +
                   deviceId + "'",
               n + "/" + n);
        expect("known mutation ids applied",
               "SELECT count(*) FROM sync_mutations WHERE status = 'applied' AND mutation_id = "
               "ANY('" +
                   uuidArray(mutations) + "'::uuid[])",
               std::to_string(mutations.size()));
        expect("notes written by a mutation of the device",
               "SELECT count(*) FROM call_notes n JOIN sync_mutations m ON m.mutation_id = "
               "n.sync_mutation AND m.device_id = '" +
                   deviceId + "' WHERE n.id = ANY(" + noteArray + ")",
               n);
        expect("notes written (notes/transactions that wrote them)",
               "SELECT count(DISTINCT note_id) || '/' || count(DISTINCT (note_id, tx)) FROM "
               "test_note_writes WHERE note_id = ANY(" +
                   noteArray + ")",
               n + "/" + n);
        return failures;
    }

    // Empty when every answer `d` received to its pushes says "applied", and all the answers to
    // one mutation (replays included) carry the same version, the one its note has now. `answered`
    // counts the answers.
    std::string answersAgree(const SyncDevice& d, std::size_t& answered)
    {
        std::map<std::string, std::set<std::int64_t>> versions;
        std::string failures;
        answered = 0;
        for (const auto& e : d.received()) {
            if (const auto* result = std::get_if<cc::protocol::PushResult>(&e.body)) {
                for (const auto& r : result->results) {
                    ++answered;
                    if (r.status != cc::protocol::MutationStatus::Applied) {
                        failures += "mutation " + r.id + " was not applied: " + r.reason + "\n";
                    }
                    versions[r.id].insert(r.version);
                }
            }
        }
        if (versions.empty()) {
            return failures;
        }
        std::vector<std::string> ids;
        for (const auto& [id, v] : versions) {
            ids.push_back(id);
        }
        pqxx::nontransaction tx(db());
        std::map<std::string, std::int64_t> current;
        for (const auto& row :
             tx.exec("SELECT n.sync_mutation::text, coalesce(l.version, 0) FROM call_notes n "
                     "JOIN sync_log l ON l.organisation_id = n.organisation_id AND l.entity = "
                     "'call_notes' AND l.row_key = n.id::text WHERE n.sync_mutation = ANY('" +
                     uuidArray(ids) + "'::uuid[])")) {
            current[row[0].as<std::string>()] = row[1].as<std::int64_t>();
        }
        for (auto& [id, v] : versions) {
            v.erase(0); // "not numbered yet" is no claim
            const auto it = current.find(id);
            if (it == current.end()) {
                failures += "mutation " + id + " was answered, but no note carries it\n";
            } else if (v.size() > 1 || (v.size() == 1 && *v.begin() != it->second)) {
                failures += "mutation " + id + " was answered with " + std::to_string(v.size()) +
                            " version(s), first " + std::to_string(*v.begin()) +
                            "; its note has version " + std::to_string(it->second) + "\n";
            }
        }
        return failures;
    }

    // Waits until `d` holds every note of `w` and everything committed before, then compares it
    // with the server.
    void verifyConverged(SyncDevice& d, const std::string& userId, const Writes& w)
    {
        QVERIFY2(SyncDevice::waitFor(
                     [&] {
                         return std::all_of(w.notes.begin(), w.notes.end(), [&](const auto& id) {
                             return d.store().row("call_notes", id).has_value();
                         });
                     },
                     30000),
                 (d.deviceId() + " does not hold every note").c_str());
        QVERIFY2(barrier(d), (d.deviceId() + " missed the barrier").c_str());
        const std::string diff = cc::test::differencesFromServer(db(), userId, d.store());
        QVERIFY2(diff.empty(), (d.deviceId() + ":\n" + diff).c_str());
        const auto conflicts = d.store().conflicts();
        QVERIFY2(
            conflicts.empty(),
            (d.deviceId() + " has conflicts, e.g. " +
             (conflicts.empty() ? std::string() : conflicts[0].kind + ": " + conflicts[0].reason))
                .c_str());
    }

    void verifyExactlyOnce(SyncDevice& d, const std::string& marker, const Writes& w)
    {
        const std::string failures = exactlyOnce(d.deviceId(), marker, w.notes, w.mutations);
        QVERIFY2(failures.empty(), failures.c_str());
        std::size_t answered = 0;
        const std::string wrongAnswers = answersAgree(d, answered);
        QVERIFY2(wrongAnswers.empty(), wrongAnswers.c_str());
        QVERIFY(answered > 0);
    }

    static std::string statusOf(SyncDevice& d)
    {
        const auto& s = d.client().status();
        return d.deviceId() + ": phase " + std::to_string(static_cast<int>(s.phase)) +
               ", pending " + std::to_string(s.pendingWrites) + ", push in flight " +
               (d.client().pushInFlight() ? "yes" : "no") + ", connection " +
               std::to_string(static_cast<int>(d.connection().state())) + ", last error '" +
               s.lastError.toStdString() + "' / '" + d.connection().lastError().toStdString() + "'";
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_chain = cc::test::seedChain(db());
        QVERIFY(m_caches.isValid());
        // Every write to call_notes, with the transaction that made it.
        exec("CREATE TABLE test_note_writes (note_id uuid NOT NULL, op text NOT NULL, tx bigint "
             "NOT NULL)");
        exec("CREATE FUNCTION test_note_written() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "INSERT INTO test_note_writes VALUES (NEW.id, TG_OP, txid_current()); RETURN NULL; "
             "END $$");
        exec("CREATE TRIGGER test_note_writes AFTER INSERT OR UPDATE ON call_notes FOR EACH ROW "
             "EXECUTE FUNCTION test_note_written()");
    }

    void cleanupTestCase()
    {
        const int code = m_fx.stop();
        // A sanitizer's report, if the server wrote one, else the end of its log.
        const QString log = m_fx.server->log();
        const qsizetype report = log.indexOf(QStringLiteral("Sanitizer"));
        const QString shown = report >= 0
                                  ? log.mid(log.lastIndexOf(QLatin1Char('\n'), report) + 1, 6000)
                                  : log.right(6000);
        QVERIFY2(
            code == 0,
            qPrintable(QStringLiteral("exit code %1; the server's log:\n%2").arg(code).arg(shown)));
    }

    // The proxy itself: forwards both ways unchanged, cuts after exactly the bytes asked for.
    void proxyForwardsAndCutsWhereAsked()
    {
        QTcpServer upstream;
        QVERIFY(upstream.listen(QHostAddress::LocalHost, 0));
        QByteArray payload(200000, '\0');
        for (int i = 0; i < payload.size(); ++i) {
            payload[i] = static_cast<char>(i % 251);
        }
        QByteArray fromClients;
        connect(&upstream, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket* s = upstream.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s,
                        [s, &fromClients] { fromClients += s->readAll(); });
                s->write(payload);
            }
        });
        FaultProxy proxy;
        QVERIFY(proxy.listen());
        proxy.setUpstream(upstream.serverPort());

        QTcpSocket whole;
        QByteArray wholeGot;
        connect(&whole, &QTcpSocket::readyRead, this, [&] { wholeGot += whole.readAll(); });
        whole.connectToHost(QHostAddress::LocalHost, proxy.port());
        whole.write(QByteArray(50000, 'x'));
        QVERIFY(SyncDevice::waitFor(
            [&] { return wholeGot.size() >= payload.size() && fromClients.size() >= 50000; },
            10000));
        QVERIFY(wholeGot == payload);
        QVERIFY(fromClients == QByteArray(50000, 'x'));

        int observed = 0;
        proxy.cutAfterBytes(12345, [&] { ++observed; });
        QTcpSocket cut;
        QByteArray cutGot;
        connect(&cut, &QTcpSocket::readyRead, this, [&] { cutGot += cut.readAll(); });
        cut.connectToHost(QHostAddress::LocalHost, proxy.port());
        QVERIFY(SyncDevice::waitFor(
            [&] { return cut.state() == QAbstractSocket::UnconnectedState && proxy.cutsFired(); },
            10000));
        cutGot += cut.readAll();
        QCOMPARE(cutGot.size(), 12345);
        QVERIFY(cutGot == payload.left(12345));
        QCOMPARE(observed, 1);
        QCOMPARE(proxy.cutsFired(), 1);
        QVERIFY(!proxy.cutArmed());
        QCOMPARE(proxy.connectionCount(), 2);
        QCOMPARE(whole.state(), QAbstractSocket::ConnectedState); // the cut took one connection

        proxy.cutAllNow();
        QVERIFY(SyncDevice::waitFor(
            [&] { return whole.state() == QAbstractSocket::UnconnectedState; }, 10000));
        QCOMPARE(proxy.openConnections(), 0);
    }

    // A tablet uploads through the proxy to a node that is killed with SIGKILL while a push is
    // in flight; it keeps writing while the node is gone, then reaches the node started again on
    // the same database. A tablet of the same store on the other node watches throughout.
    void serverKilledDuringUpload()
    {
        const QString conninfo = QString::fromStdString(m_fx.db->conninfo());
        const auto node = [](const char* name) {
            return QMap<QString, QString>{
                {QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QString::fromLatin1(name)}};
        };
        cc::test::ServerProcess victim(conninfo, m_fx.tls, node("faults-victim"));
        QVERIFY2(victim.start() && victim.waitReady(), qPrintable(victim.log()));
        FaultProxy proxy;
        QVERIFY(proxy.listen());
        proxy.setUpstream(victim.port());

        const std::string marker = "faults-kill9";
        auto d = device(m_chain.staffA, "faults-kill9", proxy.wsUrl(),
                        m_caches.filePath(QStringLiteral("kill9.sqlite")));
        auto watcher = device(m_chain.staffA2, "faults-kill9-watch", m_fx.server->wsUrl());
        d->client().setMaxPushMutations(10);
        d->connect();
        watcher->connect();
        QVERIFY(d->waitLive(30000) && watcher->waitLive(30000));
        QCOMPARE(d->connection().serverNode(), QStringLiteral("faults-victim"));

        // Writing, a note every few milliseconds, until 20 are acknowledged and a push is in
        // flight; then the node is killed, and the tablet goes on writing while it is gone.
        Writes w;
        bool killed = false;
        QElapsedTimer writing;
        writing.start();
        while (!killed && writing.elapsed() < 30000) {
            QVERIFY(writeNote(*d, marker, w, m_chain.customerA, m_chain.storeA));
            spin(2);
            const std::size_t pending = d->client().status().pendingWrites;
            if (w.notes.size() - pending >= 20 && pending > 0 && d->client().pushInFlight()) {
                QVERIFY(victim.kill());
                killed = true;
            }
        }
        QVERIFY2(killed, "no moment with a push in flight after 20 acknowledged writes");
        for (int n = 0; n < 150; ++n) {
            QVERIFY(writeNote(*d, marker, w, m_chain.customerA, m_chain.storeA));
            spin(1);
        }
        QVERIFY(d->client().status().pendingWrites >= 150);

        cc::test::ServerProcess restarted(conninfo, m_fx.tls, node("faults-restarted"));
        QVERIFY2(restarted.start() && restarted.waitReady(), qPrintable(restarted.log()));
        proxy.setUpstream(restarted.port());
        d->connection().retryNow(); // rather than wait out the backoff
        QVERIFY2(d->waitSettled(60000), statusOf(*d).c_str());
        QCOMPARE(d->connection().serverNode(), QStringLiteral("faults-restarted"));

        verifyExactlyOnce(*d, marker, w);
        verifyConverged(*d, m_chain.staffA, w);
        verifyConverged(*watcher, m_chain.staffA2, w);
        d.reset();
        watcher.reset();
        QCOMPARE(restarted.terminate(), 0);
    }

    // The database goes away (connections refused, every session terminated: what the server
    // sees of a PostgreSQL restart) for two seconds while one tablet uploads and another
    // receives live changes. The shared test cluster itself cannot be restarted.
    void postgresRestartedMidStream()
    {
        const std::string marker = "faults-pg";
        auto up = device(m_chain.staffA, "faults-pg-up", m_fx.server->wsUrl(),
                         m_caches.filePath(QStringLiteral("pg-up.sqlite")));
        auto down = device(m_chain.staffA2, "faults-pg-down", m_fx.server->wsUrl());
        up->client().setMaxPushMutations(5);
        up->connect();
        down->connect();
        QVERIFY(up->waitLive(30000) && down->waitLive(30000));

        Writes w;
        bool uploading = false;
        QElapsedTimer writing;
        writing.start();
        while (!uploading && writing.elapsed() < 30000) {
            QVERIFY(writeNote(*up, marker, w, m_chain.customerA, m_chain.storeA));
            spin(2);
            const std::size_t pending = up->client().status().pendingWrites;
            uploading =
                w.notes.size() - pending >= 10 && pending > 0 && up->client().pushInFlight();
        }
        QVERIFY2(uploading, "no moment with a push in flight after 10 acknowledged writes");
        // The receiver has live changes of this upload by now.
        QVERIFY(SyncDevice::waitFor(
            [&] { return down->store().row("call_notes", w.notes.front()).has_value(); }, 10000));

        pqxx::connection admin(cc::test::TestDatabase::clusterConninfo());
        const std::string database = admin.quote_name(m_fx.db->name());
        const auto allowConnections = [&] {
            pqxx::nontransaction(admin).exec0("ALTER DATABASE " + database +
                                              " ALLOW_CONNECTIONS true");
        };
        auto reopen = qScopeGuard([&] {
            try {
                allowConnections();
            } catch (const std::exception&) {
            }
        });
        pqxx::nontransaction(admin).exec0("ALTER DATABASE " + database +
                                          " ALLOW_CONNECTIONS false");
        const int terminated =
            pqxx::nontransaction(admin)
                .exec_params1("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM "
                              "pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                              m_fx.db->name())[0]
                .as<int>();
        m_db.reset(); // it was one of them
        QElapsedTimer outage;
        outage.start();
        // The server's pool and its listener, at least.
        QVERIFY2(terminated >= 2, std::to_string(terminated).c_str());

        const std::size_t acknowledgedBefore = w.notes.size() - up->client().status().pendingWrites;
        int readyDuringOutage = -1;
        while (outage.elapsed() < 2000) {
            QVERIFY(writeNote(*up, marker, w, m_chain.customerA, m_chain.storeA));
            spin(20);
            if (readyDuringOutage < 0 && outage.elapsed() > 1200) {
                readyDuringOutage =
                    cc::test::httpsGet(m_fx.server->baseUrl() + QStringLiteral("/readyz"),
                                       m_fx.tls.ca(), 3000)
                        .status;
            }
        }
        // Nothing could be committed meanwhile (the in-flight push may have made it before).
        const std::size_t acknowledgedDuring = w.notes.size() - up->client().status().pendingWrites;
        QVERIFY2(acknowledgedDuring <= acknowledgedBefore + 5,
                 (std::to_string(acknowledgedBefore) + " -> " + std::to_string(acknowledgedDuring))
                     .c_str());
        QVERIFY2(readyDuringOutage != 200 && readyDuringOutage > 0,
                 std::to_string(readyDuringOutage).c_str());
        allowConnections();
        reopen.dismiss();

        QVERIFY(m_fx.server->waitReady(30000));
        for (int n = 0; n < 20; ++n) {
            QVERIFY(writeNote(*up, marker, w, m_chain.customerA, m_chain.storeA));
            spin(1);
        }
        QVERIFY2(up->waitSettled(60000), statusOf(*up).c_str());
        verifyExactlyOnce(*up, marker, w);
        verifyConverged(*up, m_chain.staffA, w);
        verifyConverged(*down, m_chain.staffA2, w);
    }

    void clientKilledBetweenCommitAndAck_data()
    {
        QTest::addColumn<QString>("moment");
        // Committed locally, never uploaded: the proxy holds every byte to the server.
        QTest::newRow("never uploaded") << QStringLiteral("never-uploaded");
        // Uploaded and applied, the answers held back by the proxy.
        QTest::newRow("applied, unanswered") << QStringLiteral("unanswered");
        // Nothing held: killed halfway through its writes, with pushes answered all along.
        QTest::newRow("mid upload") << QStringLiteral("mid-upload");
    }

    void clientKilledBetweenCommitAndAck()
    {
        QFETCH(QString, moment);
        const std::string name = "faults-app-" + moment.toStdString();
        const std::string marker = name;
        const QString cache = m_caches.filePath(QString::fromStdString(name) + ".sqlite");
        const std::string token = cc::test::issueAccessToken(db(), m_chain.staffA, name);
        FaultProxy proxy;
        QVERIFY(proxy.listen());
        proxy.setUpstream(m_fx.server->port());

        QStringList args{QStringLiteral("--ws-url"),    proxy.wsUrl(),
                         QStringLiteral("--ca"),        m_fx.tls.caFile,
                         QStringLiteral("--token"),     QString::fromStdString(token),
                         QStringLiteral("--device-id"), QString::fromStdString(name),
                         QStringLiteral("--cache"),     cache,
                         QStringLiteral("--customer"),  QString::fromStdString(m_chain.customerA),
                         QStringLiteral("--store"),     QString::fromStdString(m_chain.storeA)};
        std::size_t killAfter = 0;
        if (moment == QLatin1String("never-uploaded")) {
            proxy.holdClientToServer(true);
            args << QStringLiteral("--notes") << QStringLiteral("60");
        } else if (moment == QLatin1String("unanswered")) {
            // The answers are held from before the first write: the first push is applied and
            // never answered, and the next waits for that answer.
            args << QStringLiteral("--wait-live") << QStringLiteral("--start-delay-ms")
                 << QStringLiteral("1500") << QStringLiteral("--notes") << QStringLiteral("60")
                 << QStringLiteral("--interval-ms") << QStringLiteral("1");
        } else {
            // One write per push, a write every millisecond or so: the outbox grows faster than
            // it drains, while pushes are answered all along.
            args << QStringLiteral("--wait-live") << QStringLiteral("--notes")
                 << QStringLiteral("300") << QStringLiteral("--push-batch") << QStringLiteral("1")
                 << QStringLiteral("--interval-ms") << QStringLiteral("1");
            killAfter = 150;
        }
        DeviceProcess app;
        QVERIFY2(app.start(args), qPrintable(app.output()));
        const auto waitLine = [&](const QString& line) {
            return SyncDevice::waitFor([&] { return app.saw(line) || !app.running(); }, 30000) &&
                   app.saw(line);
        };
        if (moment == QLatin1String("never-uploaded")) {
            QVERIFY2(waitLine(QStringLiteral("all-written")), qPrintable(app.output()));
        } else if (moment == QLatin1String("unanswered")) {
            QVERIFY2(waitLine(QStringLiteral("live")), qPrintable(app.output()));
            proxy.holdServerToClient(true);
            QVERIFY2(app.written() == 0, qPrintable(app.output()));
            QVERIFY2(waitLine(QStringLiteral("all-written")), qPrintable(app.output()));
            // The server has applied the push that reached it.
            QVERIFY(SyncDevice::waitFor(
                [&] {
                    return scalar("SELECT count(*) FROM sync_mutations WHERE device_id = '" + name +
                                  "'") != "0";
                },
                20000));
        } else {
            QVERIFY2(SyncDevice::waitFor(
                         [&] { return app.written() >= killAfter || !app.running(); }, 30000) &&
                         app.running(),
                     qPrintable(app.output()));
        }
        QVERIFY(app.kill());
        QVERIFY2(!app.saw(QStringLiteral("settled")), qPrintable(app.output()));
        const Writes printed = app.writes();
        QVERIFY(!printed.notes.empty());

        // The app is started again on the same cache (the same installation).
        SyncDevice d(m_fx.server->wsUrl(), m_fx.tls.ca(), token, name, cache);
        Writes local; // every note committed in the cache
        for (const auto& [key, fields] : d.store().rows("call_notes")) {
            const Value* body = cc::sync::find(fields, "body");
            const auto* s = body ? std::get_if<std::string>(body) : nullptr;
            if (s && s->rfind(marker + " ", 0) == 0) {
                local.notes.push_back(key);
            }
        }
        for (const auto& id : printed.notes) {
            QVERIFY2(std::find(local.notes.begin(), local.notes.end(), id) != local.notes.end(),
                     ("note " + id + " was committed, then lost by the cache").c_str());
        }
        std::set<std::string> outbox;
        for (const auto& m : d.store().pending(100000, std::size_t(1) << 30)) {
            outbox.insert(m.id);
        }
        const std::set<std::string> onServer =
            column("SELECT mutation_id::text FROM sync_mutations WHERE device_id = '" + name + "'");
        std::size_t appliedUnanswered = 0;
        for (const auto& id : outbox) {
            appliedUnanswered += onServer.count(id);
        }
        // The kill came between local commits and their acknowledgement.
        QVERIFY2(!outbox.empty(), qPrintable(app.output()));
        if (moment == QLatin1String("never-uploaded")) {
            QCOMPARE(onServer.size(), std::size_t(0));
            QCOMPARE(outbox.size(), local.notes.size());
        } else if (moment == QLatin1String("unanswered")) {
            QVERIFY(!onServer.empty());
            QCOMPARE(appliedUnanswered, onServer.size());
        } else {
            QVERIFY(!onServer.empty()); // some were uploaded
        }
        qInfo("%s: %zu notes committed (%zu reported), %zu unacknowledged, %zu of them applied",
              qPrintable(moment), local.notes.size(), printed.notes.size(), outbox.size(),
              appliedUnanswered);

        d.connect();
        QVERIFY2(d.waitSettled(60000), statusOf(d).c_str());
        const std::string failures = exactlyOnce(name, marker, local.notes, printed.mutations);
        QVERIFY2(failures.empty(), failures.c_str());
        std::size_t answered = 0;
        const std::string wrongAnswers = answersAgree(d, answered);
        QVERIFY2(wrongAnswers.empty(), wrongAnswers.c_str());
        QVERIFY(answered > 0);
        verifyConverged(d, m_chain.staffA, local);
    }

    // A device behind the proxy downloads a snapshot of several pages and uploads notes while
    // its connection is cut: in the TLS handshake, inside the first page (twice), inside a later
    // page of the snapshot and inside a page of the catch-up that follows. Then it is let through.
    void connectionCutMidFrame()
    {
        exec("INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) SELECT "
             "gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeB +
             "', 'follow_up', 'Bulk task ' || g || ': ring back about the delivery of the corner "
             "sofa', now() + g * interval '1 minute' FROM generate_series(1, 3000) g");
        FaultProxy proxy;
        QVERIFY(proxy.listen());
        proxy.setUpstream(m_fx.server->port());
        const std::string marker = "faults-cut";
        auto d = device(m_chain.staffB, "faults-cut", proxy.wsUrl(),
                        m_caches.filePath(QStringLiteral("cut.sqlite")));
        d->client().setMaxPushMutations(10);
        Writes w;
        const auto writeSome = [&](int count) {
            for (int i = 0; i < count; ++i) {
                if (!writeNote(*d, marker, w, m_chain.customerB, m_chain.storeB)) {
                    return false;
                }
                spin(1);
            }
            return true;
        };
        struct AtCut {
            SyncClient::Phase phase;
            std::size_t tasks;
            bool welcomed;
        };
        std::vector<AtCut> atCuts;
        const auto observe = [&] {
            atCuts.push_back(
                {d->client().status().phase, d->store().rowCount("tasks"),
                 d->connection().state() == cc::app::ServerConnection::State::Connected});
        };
        const auto cutsFired = [&](int n) {
            return SyncDevice::waitFor([&] { return proxy.cutsFired() >= n; }, 30000);
        };
        const std::size_t serverTasks = std::stoul(
            scalar("SELECT count(*) FROM tasks WHERE location_id = '" + m_chain.storeB + "'"));

        // 1. In the TLS handshake of the first connection.
        QVERIFY(writeSome(20)); // offline
        proxy.cutAfterBytes(1000, observe);
        d->connect();
        QVERIFY(cutsFired(1));
        QVERIFY(!atCuts.back().welcomed);

        // 2. Inside the first page of the snapshot, on the next two connections.
        int cuts = 1;
        for (const qint64 at : {20000, 150000}) {
            QVERIFY(writeSome(10));
            d->connection().retryNow();
            proxy.cutAfterBytes(at, observe);
            QVERIFY2(cutsFired(++cuts), statusOf(*d).c_str());
            QVERIFY(atCuts.back().welcomed);
            QVERIFY(atCuts.back().phase != SyncClient::Phase::Live);
            QCOMPARE(atCuts.back().tasks, std::size_t(0));
        }

        // 3. Inside a later page of the snapshot: once the first page is in, 50 kB on.
        d->connection().retryNow();
        QVERIFY2(SyncDevice::waitFor(
                     [&] {
                         return d->client().status().phase == SyncClient::Phase::Bootstrapping &&
                                d->store().rowCount("tasks") > 0;
                     },
                     30000),
                 statusOf(*d).c_str());
        proxy.cutAfterBytes(50000, observe);
        QVERIFY(writeSome(10));
        QVERIFY2(cutsFired(++cuts), statusOf(*d).c_str());
        QVERIFY(atCuts.back().phase == SyncClient::Phase::Bootstrapping);
        QVERIFY(atCuts.back().tasks > 0 && atCuts.back().tasks < serverTasks);

        // 4. More rows while it is away (enough for several pages); the next connection catches
        // up from its cursor and is cut inside a page of that, once the first page is in.
        exec("INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) SELECT "
             "gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeB +
             "', 'callback', 'Late task ' || g, now() FROM generate_series(1, 2500) g");
        QVERIFY(writeSome(10));
        const std::size_t beforeCatchUp = d->store().rowCount("tasks");
        d->connection().retryNow();
        QVERIFY2(SyncDevice::waitFor(
                     [&] {
                         return d->client().status().phase == SyncClient::Phase::CatchingUp &&
                                d->store().rowCount("tasks") > beforeCatchUp;
                     },
                     30000),
                 statusOf(*d).c_str());
        proxy.cutAfterBytes(30000, observe);
        QVERIFY(writeSome(10));
        QVERIFY2(cutsFired(++cuts), statusOf(*d).c_str());
        QVERIFY(atCuts.back().phase == SyncClient::Phase::CatchingUp);
        QVERIFY(atCuts.back().tasks < serverTasks + 2500);

        // 5. Let it through, writing meanwhile.
        d->connection().retryNow();
        QVERIFY(writeSome(30));
        QVERIFY2(d->waitSettled(60000), statusOf(*d).c_str());
        QCOMPARE(proxy.cutsFired(), cuts);
        QVERIFY(proxy.connectionCount() > cuts);
        QVERIFY(d->store().rowCount("tasks") >= serverTasks + 2500);
        verifyExactlyOnce(*d, marker, w);
        verifyConverged(*d, m_chain.staffB, w);
    }
};

QTEST_GUILESS_MAIN(TestSyncFaults)
#include "tst_syncfaults.moc"
