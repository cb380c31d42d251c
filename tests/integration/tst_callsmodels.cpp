// The calls screen's models against the real server and PostgreSQL: the live queue follows a
// call from waiting to ringing someone to in progress to over; the caller card finds the caller
// by number with their history from both stores; the outcome and note written after the call
// reach the server; the staff board follows presence; the presence switch changes it on the
// server and refuses to while offline. Every list model runs under QAbstractItemModelTester.

#include "app/auth/session.h"
#include "app/cache/localstore.h"
#include "app/models/presence.h"
#include "app/models/queuemodel.h"
#include "app/models/screenpop.h"
#include "app/models/staffboardmodel.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncservice.h"
#include "server/auth/password.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <pqxx/pqxx>

#include <memory>

using cc::app::Presence;
using cc::app::QueueModel;
using cc::app::ScreenPop;
using cc::app::StaffBoardModel;
using cc::app::SyncService;

namespace {

constexpr const char* kPassword = "correct horse battery";
constexpr int kTimeoutMs = 15000;

// One person's app: connection, sign-in, and their offline cache synced on its own thread.
struct Device {
    QTemporaryDir folder;
    std::unique_ptr<cc::app::ServerConnection> connection;
    std::unique_ptr<cc::app::Session> session;
    std::unique_ptr<SyncService> sync;

    ~Device()
    {
        if (sync) {
            sync->stop();
            // Closed or not by then, the destructor below waits for the sync thread.
            (void)QTest::qWaitFor([&] { return !sync->active(); }, 5000);
        }
        if (connection) {
            connection->disconnectFromServer();
        }
    }
};

} // namespace

class TestCallsModels : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;
    std::string m_dana;  // a customer seen at both stores
    std::string m_callA; // Dana's earlier call at store A

    std::string scalar(const std::string& sql) { return cc::test::scalar(*m_db, sql); }

    void exec(const std::string& sql)
    {
        pqxx::work tx(*m_db);
        tx.exec(sql);
        tx.commit();
    }

    std::string newCall(const std::string& store, const std::string& from, const std::string& age)
    {
        return scalar(
            "INSERT INTO calls (id, organisation_id, location_id, direction, from_number, "
            "to_number, started_at, status) VALUES (gen_random_uuid(), '" +
            m_chain.org + "', '" + store + "', 'inbound', '" + from +
            "', '+442071110000', now() - interval '" + age + "', 'ringing') RETURNING id::text");
    }

    // Signs `email` in, starts their cache and waits until it is live.
    std::unique_ptr<Device> open(const QString& email)
    {
        auto d = std::make_unique<Device>();
        d->connection = std::make_unique<cc::app::ServerConnection>(nullptr);
        d->connection->setUrl(QUrl(m_fx.server->wsUrl()));
        d->connection->setExtraCaCertificates(m_fx.tls.ca());
        d->connection->setDeviceId(QStringLiteral("calls-") + email.section('@', 0, 0));
        d->session = std::make_unique<cc::app::Session>(d->connection.get(), nullptr);
        d->session->setExtraCaCertificates(m_fx.tls.ca());
        d->session->setOrganisation(QStringLiteral("acme"));
        d->session->setEmail(email);
        d->sync = std::make_unique<SyncService>(d->connection.get());
        d->session->signIn(QString::fromLatin1(kPassword));
        if (!QTest::qWaitFor(
                [&] { return d->session->state() == cc::app::Session::State::SignedIn; },
                kTimeoutMs)) {
            qWarning("sign-in failed: %s", qPrintable(d->session->error()));
            return nullptr;
        }
        d->sync->start(d->folder.path(), QStringLiteral("acme"), d->session->userId(),
                       d->session->cacheKey());
        if (!QTest::qWaitFor([&] { return d->sync->state() == SyncService::State::Online; },
                             kTimeoutMs)) {
            qWarning("the cache did not go live: %s", qPrintable(d->sync->lastError()));
            return nullptr;
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

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_chain = cc::test::seedChain(*m_db);
        {
            pqxx::work tx(*m_db);
            tx.exec_params("UPDATE users SET password_hash = $1 WHERE organisation_id = $2",
                           cc::server::auth::hashPassword(kPassword), m_chain.org);
            tx.commit();
        }
        // Dana: called store A two days ago (a sale, with a note), store B yesterday (missed; a
        // callback task there), and has a fitting booked at A tomorrow.
        m_dana = scalar("INSERT INTO customers (id, organisation_id, display_name) VALUES "
                        "(gen_random_uuid(), '" +
                        m_chain.org + "', 'Dana Ring') RETURNING id::text");
        exec("INSERT INTO customer_phones (customer_id, organisation_id, number) VALUES ('" +
             m_dana + "', '" + m_chain.org + "', '+447700900111')");
        m_callA = scalar(
            "INSERT INTO calls (id, organisation_id, location_id, customer_id, direction, "
            "from_number, to_number, started_at, answered_at, ended_at, status, handled_by, "
            "disposition) VALUES (gen_random_uuid(), '" +
            m_chain.org + "', '" + m_chain.storeA + "', '" + m_dana +
            "', 'inbound', '+447700900111', '+442071110000', now() - interval '2 days', now() - "
            "interval '2 days', now() - interval '2 days' + interval '5 minutes', 'completed', '" +
            m_chain.staffA2 + "', 'sale') RETURNING id::text");
        exec("INSERT INTO calls (id, organisation_id, location_id, customer_id, direction, "
             "from_number, to_number, started_at, ended_at, status) VALUES (gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeB + "', '" + m_dana +
             "', 'inbound', '+447700900111', '+442072220000', now() - interval '1 day', now() - "
             "interval '1 day' + interval '30 seconds', 'missed')");
        exec("INSERT INTO call_notes (id, organisation_id, customer_id, call_id, location_id, "
             "author_id, body) VALUES (gen_random_uuid(), '" +
             m_chain.org + "', '" + m_dana + "', '" + m_callA + "', '" + m_chain.storeA + "', '" +
             m_chain.staffA2 + "', 'Bought the blue kayak')");
        exec("INSERT INTO tasks (id, organisation_id, location_id, customer_id, kind, title, "
             "due_at) VALUES (gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeB + "', '" + m_dana +
             "', 'callback', 'Call Dana back', now() + interval '2 hours')");
        exec("INSERT INTO appointments (id, organisation_id, location_id, customer_id, staff_id, "
             "starts_at, ends_at, purpose) VALUES (gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeA + "', '" + m_dana + "', '" + m_chain.staffA2 +
             "', now() + interval '1 day', now() + interval '1 day 1 hour', 'Paddle fitting')");
    }

    void cleanupTestCase() { QCOMPARE(m_fx.stop(), 0); }

    void pureHelpers()
    {
        QCOMPARE(cc::app::calls::formatDuration(42), QStringLiteral("0:42"));
        QCOMPARE(cc::app::calls::formatDuration(725), QStringLiteral("12:05"));
        QCOMPARE(cc::app::calls::formatDuration(3723), QStringLiteral("1:02:03"));
        QCOMPARE(cc::app::calls::formatDuration(-5), QStringLiteral("0:00"));
        QCOMPARE(cc::app::calls::firstName(QStringLiteral(" Ana Lopez ")), QStringLiteral("Ana"));

        const QDateTime now = QDateTime::currentDateTimeUtc();
        cc::app::calls::PresenceState p;
        QCOMPARE(cc::app::calls::describePresence(p, now),
                 QStringLiteral("Presence not known yet"));
        p.known = true;
        p.status = QStringLiteral("available");
        p.activity = QStringLiteral("idle");
        // Available means nothing without a connected device.
        QCOMPARE(
            cc::app::calls::describePresence(p, now),
            QStringLiteral("Available, but this device is offline: calls cannot ring for you"));
        p.online = true;
        QCOMPARE(cc::app::calls::describePresence(p, now),
                 QStringLiteral("Calls can ring for you"));
        p.activity = QStringLiteral("on_call");
        QCOMPARE(cc::app::calls::describePresence(p, now), QStringLiteral("On a call"));
        p.activity = QStringLiteral("wrap_up");
        p.activityUntil = now.addSecs(12);
        QCOMPARE(cc::app::calls::describePresence(p, now), QStringLiteral("Wrap-up 0:12"));
        p.activity = QStringLiteral("idle");
        p.pausedUntil = now.addSecs(300);
        QVERIFY(cc::app::calls::describePresence(p, now).startsWith(
            QStringLiteral("Paused after a missed call until ")));
        p.status = QStringLiteral("away");
        QCOMPARE(cc::app::calls::describePresence(p, now),
                 QStringLiteral("No calls are offered to you"));

        // Withheld: Twilio's placeholders, and anything that is not E.164.
        for (const char* withheld : {"+266696687", "+86282452253", "+8656696", "+7378742833",
                                     "anonymous", "Restricted", "", "2125550111"}) {
            QVERIFY2(cc::app::calls::isWithheldNumber(QString::fromLatin1(withheld)), withheld);
        }
        QVERIFY(!cc::app::calls::isWithheldNumber(QStringLiteral("+447700900111")));
        QVERIFY(!cc::app::calls::isWithheldNumber(QStringLiteral("+2666966870")));

        QCOMPARE(ScreenPop::dispositions().size(), 9);
        QVERIFY(ScreenPop::dispositions().contains(QStringLiteral("resolved")));
        QCOMPARE(ScreenPop::dispositionLabel(QStringLiteral("follow_up_needed")),
                 QStringLiteral("Needs follow-up"));
        QCOMPARE(ScreenPop::dispositionLabel(QStringLiteral("price_match")),
                 QStringLiteral("Price match")); // someone else's code, still readable
    }

    void queueAndCallerCardFollowTheCall()
    {
        auto ann = open(QStringLiteral("ann@acme.example"));
        QVERIFY(ann);
        const QString me = ann->session->userId();

        QueueModel queue;
        QAbstractItemModelTester queueTester(
            &queue, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&queue, &QAbstractItemModel::modelReset);
        queue.setService(ann->sync.get());
        ScreenPop pop;
        pop.setService(ann->sync.get());
        QTRY_VERIFY_WITH_TIMEOUT(!queue.loading() && !pop.loading(), kTimeoutMs);
        QCOMPARE(queue.rowCount(), 0); // the seeded calls are all over
        QVERIFY(!pop.active());

        // A call from Dana's number comes in at store A; nobody is rung yet. It is not linked to
        // her: the queue and the card find her by the number.
        const std::string call = newCall(m_chain.storeA, "+447700900111", "20 seconds");
        QTRY_COMPARE_WITH_TIMEOUT(queue.rowCount(), 1, kTimeoutMs);
        QModelIndex row = queue.index(0);
        QCOMPARE(row.data(QueueModel::CallIdRole).toString(), QString::fromStdString(call));
        QCOMPARE(row.data(QueueModel::CustomerNameRole).toString(), QStringLiteral("Dana Ring"));
        QCOMPARE(row.data(QueueModel::FromNumberRole).toString(), QStringLiteral("+447700900111"));
        QCOMPARE(row.data(QueueModel::StoreNameRole).toString(), QStringLiteral("Store A"));
        QCOMPARE(row.data(QueueModel::StatusRole).toString(), QStringLiteral("ringing"));
        QCOMPARE(row.data(QueueModel::StateTextRole).toString(), QStringLiteral("Waiting"));
        QVERIFY(!row.data(QueueModel::OfferedToMeRole).toBool());
        QVERIFY(row.data(QueueModel::StartedAtRole)
                    .toDateTime()
                    .secsTo(QDateTime::currentDateTimeUtc()) >= 15);
        QCOMPARE(queue.waitingCount(), 1);
        QVERIFY(!pop.active());

        // A new caller waits behind her; store B's calls are not store A's queue.
        const std::string stranger = newCall(m_chain.storeA, "+447700900999", "5 seconds");
        newCall(m_chain.storeB, "+447700900888", "10 seconds");
        QTRY_COMPARE_WITH_TIMEOUT(queue.rowCount(), 2, kTimeoutMs);
        QCOMPARE(queue.index(1).data(QueueModel::CallIdRole).toString(),
                 QString::fromStdString(stranger)); // oldest first
        QCOMPARE(queue.index(1).data(QueueModel::CustomerNameRole).toString(), QString());

        // Routing rings Ann: her row says so and the card pops with Dana's history.
        exec("UPDATE calls SET offered_to = '" + m_chain.staffA +
             "', need = 'kayaks', routing_reason = 'Ann: available, idle longest' WHERE id = '" +
             call + "'");
        QTRY_VERIFY_WITH_TIMEOUT(queue.index(0).data(QueueModel::OfferedToMeRole).toBool(),
                                 kTimeoutMs);
        row = queue.index(0);
        QCOMPARE(row.data(QueueModel::StateTextRole).toString(), QStringLiteral("Ringing you"));
        QCOMPARE(row.data(QueueModel::NeedRole).toString(), QStringLiteral("kayaks"));
        QCOMPARE(row.data(QueueModel::RoutingReasonRole).toString(),
                 QStringLiteral("Ann: available, idle longest"));
        QTRY_VERIFY_WITH_TIMEOUT(pop.phase() == ScreenPop::Phase::Ringing, kTimeoutMs);
        QCOMPARE(pop.callId(), QString::fromStdString(call));
        QVERIFY(pop.known());
        QCOMPARE(pop.customerId(), QString::fromStdString(m_dana));
        QCOMPARE(pop.headline(), QStringLiteral("Call for you from Dana Ring — Store A"));
        QCOMPARE(pop.need(), QStringLiteral("kayaks"));
        QCOMPARE(pop.recentCalls().size(), 2); // both stores, newest first
        const QVariantMap latest = pop.recentCalls().at(0).toMap();
        QCOMPARE(latest.value(QStringLiteral("storeName")).toString(), QStringLiteral("Store B"));
        QCOMPARE(latest.value(QStringLiteral("status")).toString(), QStringLiteral("missed"));
        const QVariantMap earlier = pop.recentCalls().at(1).toMap();
        QCOMPARE(earlier.value(QStringLiteral("disposition")).toString(), QStringLiteral("sale"));
        QCOMPARE(earlier.value(QStringLiteral("handledByName")).toString(),
                 QStringLiteral("amir@acme.example"));
        QCOMPARE(earlier.value(QStringLiteral("durationSeconds")).toLongLong(), 300);
        QCOMPARE(pop.openTasks().size(), 1);
        QCOMPARE(pop.openTasks().at(0).toMap().value(QStringLiteral("storeName")).toString(),
                 QStringLiteral("Store B"));
        QCOMPARE(pop.appointments().size(), 1);
        QCOMPARE(pop.appointments().at(0).toMap().value(QStringLiteral("purpose")).toString(),
                 QStringLiteral("Paddle fitting"));
        QCOMPARE(pop.notes().size(), 1);
        QCOMPARE(pop.notes().at(0).toMap().value(QStringLiteral("body")).toString(),
                 QStringLiteral("Bought the blue kayak"));

        // She answers.
        exec("UPDATE calls SET status = 'in_progress', answered_at = now(), handled_by = '" +
             m_chain.staffA + "', offered_to = NULL WHERE id = '" + call + "'");
        QTRY_COMPARE_WITH_TIMEOUT(queue.index(0).data(QueueModel::StatusRole).toString(),
                                  QStringLiteral("in_progress"), kTimeoutMs);
        QCOMPARE(queue.index(0).data(QueueModel::StateTextRole).toString(),
                 QStringLiteral("With you"));
        QVERIFY(queue.index(0).data(QueueModel::AnsweredAtRole).toDateTime().isValid());
        QCOMPARE(queue.inProgressCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(pop.phase() == ScreenPop::Phase::OnCall, kTimeoutMs);

        // It ends: it leaves the queue, and the card asks how it went.
        exec("UPDATE calls SET status = 'completed', ended_at = now() WHERE id = '" + call + "'");
        QTRY_COMPARE_WITH_TIMEOUT(queue.rowCount(), 1, kTimeoutMs);
        QCOMPARE(queue.index(0).data(QueueModel::CallIdRole).toString(),
                 QString::fromStdString(stranger));
        QTRY_VERIFY_WITH_TIMEOUT(pop.phase() == ScreenPop::Phase::WrapUp, kTimeoutMs);
        QCOMPARE(pop.callId(), QString::fromStdString(call));

        // What the person cannot record is said, and nothing is written.
        pop.finishCall(QString::fromStdString(call), QStringLiteral("maybe"), QString());
        QCOMPARE(pop.lastError(), QStringLiteral("Choose how the call ended."));
        pop.finishCall(QStringLiteral("another-call"), QStringLiteral("sale"), QString());
        QCOMPARE(pop.lastError(), QStringLiteral("That call is no longer on your screen."));
        QCOMPARE(ann->sync->pendingWrites(), 0);

        // The outcome and the note: in the cache at once, then on the server.
        QSignalSpy finished(&pop, &ScreenPop::callFinished);
        pop.finishCall(QString::fromStdString(call), QStringLiteral("follow_up_needed"),
                       QStringLiteral("  Wants the red kayak; call back on Friday.  "));
        QVERIFY(pop.saving());
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(0).at(0).toString(), QString::fromStdString(call));
        QCOMPARE(pop.lastError(), QString());
        QTRY_VERIFY_WITH_TIMEOUT(!pop.active(), kTimeoutMs); // a disposition ends the wrap-up
        QTRY_COMPARE_WITH_TIMEOUT(scalar("SELECT disposition FROM calls WHERE id = '" + call + "'"),
                                  std::string("follow_up_needed"), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar("SELECT body FROM call_notes WHERE call_id = '" + call + "'"),
            std::string("Wants the red kayak; call back on Friday."), kTimeoutMs);
        QCOMPARE(scalar("SELECT author_id::text FROM call_notes WHERE call_id = '" + call + "'"),
                 m_chain.staffA);
        QCOMPARE(scalar("SELECT customer_id::text FROM call_notes WHERE call_id = '" + call + "'"),
                 m_dana); // found by the number
        QCOMPARE(scalar("SELECT location_id::text FROM call_notes WHERE call_id = '" + call + "'"),
                 m_chain.storeA);
        QTRY_COMPARE_WITH_TIMEOUT(ann->sync->pendingWrites(), 0, kTimeoutMs);

        // The new caller rings Ann next: a card with the number and nothing on record.
        exec("UPDATE calls SET offered_to = '" + m_chain.staffA + "' WHERE id = '" + stranger +
             "'");
        QTRY_VERIFY_WITH_TIMEOUT(pop.phase() == ScreenPop::Phase::Ringing, kTimeoutMs);
        QCOMPARE(pop.callId(), QString::fromStdString(stranger));
        QVERIFY(!pop.known());
        QCOMPARE(pop.callerLabel(), QStringLiteral("+447700900999"));
        QCOMPARE(pop.headline(),
                 QStringLiteral("Call for you from +447700900999 (new caller) — Store A"));
        QCOMPARE(pop.recentCalls().size(), 0);
        QCOMPARE(pop.openTasks().size(), 0);

        // They hang up before anyone answers: the queue is empty, the card gone.
        exec("UPDATE calls SET status = 'abandoned', ended_at = now(), offered_to = NULL WHERE "
             "id = '" +
             stranger + "'");
        QTRY_COMPARE_WITH_TIMEOUT(queue.rowCount(), 0, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!pop.active(), kTimeoutMs);
        QCOMPARE(resets.count(), 0); // rows came and went one by one
        QVERIFY(!me.isEmpty());
    }

    void offlineFinishIsSentLater()
    {
        auto ann = open(QStringLiteral("ann@acme.example"));
        QVERIFY(ann);
        ScreenPop pop;
        pop.setService(ann->sync.get());
        const std::string call =
            scalar("INSERT INTO calls (id, organisation_id, location_id, customer_id, direction, "
                   "from_number, to_number, started_at, answered_at, ended_at, status, handled_by) "
                   "VALUES (gen_random_uuid(), '" +
                   m_chain.org + "', '" + m_chain.storeA + "', '" + m_dana +
                   "', 'inbound', '+447700900111', '+442071110000', now() - interval '3 minutes', "
                   "now() - interval '170 seconds', now() - interval '10 seconds', 'completed', '" +
                   m_chain.staffA + "') RETURNING id::text");
        QTRY_VERIFY_WITH_TIMEOUT(pop.phase() == ScreenPop::Phase::WrapUp &&
                                     pop.callId() == QString::fromStdString(call),
                                 kTimeoutMs);

        ann->connection->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(ann->sync->state() == SyncService::State::Offline, kTimeoutMs);
        QSignalSpy finished(&pop, &ScreenPop::callFinished);
        pop.finishCall(QString::fromStdString(call), QStringLiteral("resolved"), QString());
        QVERIFY(finished.wait(kTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(!pop.active(), kTimeoutMs);
        QCOMPARE(ann->sync->pendingWrites(), 1);
        QCOMPARE(scalar("SELECT coalesce(disposition, '') FROM calls WHERE id = '" + call + "'"),
                 std::string());

        ann->connection->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(scalar("SELECT disposition FROM calls WHERE id = '" + call + "'"),
                                  std::string("resolved"), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(ann->sync->pendingWrites(), 0, kTimeoutMs);
    }

    void staffBoardFollowsPresence()
    {
        auto max = open(QStringLiteral("max@acme.example"));
        QVERIFY(max);
        StaffBoardModel board;
        QAbstractItemModelTester tester(&board,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&board, &QAbstractItemModel::modelReset);
        board.setService(max->sync.get());
        // The manager's two stores: Ann and Amir at A, Bea at B, Max himself; not the admin.
        QTRY_COMPARE_WITH_TIMEOUT(board.rowCount(), 4, kTimeoutMs);
        QCOMPARE(rowOf(board, StaffBoardModel::UserIdRole, QString::fromStdString(m_chain.admin)),
                 -1);
        const int self =
            rowOf(board, StaffBoardModel::UserIdRole, QString::fromStdString(m_chain.manager));
        QVERIFY(self >= 0);
        QVERIFY(board.index(self).data(StaffBoardModel::IsMeRole).toBool());
        QTRY_VERIFY_WITH_TIMEOUT(board
                                     .index(rowOf(board, StaffBoardModel::UserIdRole,
                                                  QString::fromStdString(m_chain.manager)))
                                     .data(StaffBoardModel::OnlineRole)
                                     .toBool(),
                                 kTimeoutMs); // his device is connected
        QCOMPARE(board.availableCount(), 0);  // everyone starts away

        // Bea becomes available and is connected: she goes to the top.
        exec("UPDATE presence SET status = 'available', devices = 1 WHERE user_id = '" +
             m_chain.staffB + "'");
        QTRY_COMPARE_WITH_TIMEOUT(board.index(0).data(StaffBoardModel::UserIdRole).toString(),
                                  QString::fromStdString(m_chain.staffB), kTimeoutMs);
        QCOMPARE(board.index(0).data(StaffBoardModel::StateTextRole).toString(),
                 QStringLiteral("Available"));
        QCOMPARE(board.availableCount(), 1);

        // Amir takes a call: he is on it, with the caller's number; the board says with whom.
        const std::string call = newCall(m_chain.storeA, "+447700900111", "1 minute");
        exec("UPDATE calls SET status = 'in_progress', answered_at = now(), handled_by = '" +
             m_chain.staffA2 + "' WHERE id = '" + call + "'");
        exec("UPDATE presence SET status = 'available', devices = 1, activity = 'on_call', "
             "call_id = '" +
             call + "' WHERE user_id = '" + m_chain.staffA2 + "'");
        const QString amir = QString::fromStdString(m_chain.staffA2);
        QTRY_COMPARE_WITH_TIMEOUT(board.index(rowOf(board, StaffBoardModel::UserIdRole, amir))
                                      .data(StaffBoardModel::ActivityRole)
                                      .toString(),
                                  QStringLiteral("on_call"), kTimeoutMs);
        const QModelIndex onCall = board.index(rowOf(board, StaffBoardModel::UserIdRole, amir));
        QCOMPARE(onCall.data(StaffBoardModel::CallerNumberRole).toString(),
                 QStringLiteral("+447700900111"));
        QCOMPARE(onCall.data(StaffBoardModel::CallerNameRole).toString(),
                 QStringLiteral("Dana Ring"));
        QCOMPARE(onCall.data(StaffBoardModel::StateTextRole).toString(),
                 QStringLiteral("On a call with Dana Ring"));
        QCOMPARE(onCall.row(), 1); // available but busy: after the free ones

        // Bea misses a call and is paused: still listed, no longer free.
        exec("UPDATE presence SET paused_until = now() + interval '5 minutes' WHERE user_id = '" +
             m_chain.staffB + "'");
        const QString bea = QString::fromStdString(m_chain.staffB);
        QTRY_VERIFY_WITH_TIMEOUT(board.index(rowOf(board, StaffBoardModel::UserIdRole, bea))
                                     .data(StaffBoardModel::PausedUntilRole)
                                     .toDateTime()
                                     .isValid(),
                                 kTimeoutMs);
        QVERIFY(board.index(rowOf(board, StaffBoardModel::UserIdRole, bea))
                    .data(StaffBoardModel::StateTextRole)
                    .toString()
                    .startsWith(QStringLiteral("Paused until ")));
        QCOMPARE(board.availableCount(), 0);
        // A pause ends without any synced change: the board notices by itself and says so.
        QSignalSpy countChanged(&board, &StaffBoardModel::availableCountChanged);
        exec("UPDATE presence SET paused_until = now() + interval '2 seconds' WHERE user_id = '" +
             m_chain.staffB + "'");
        QTRY_COMPARE_WITH_TIMEOUT(board.availableCount(), 1, kTimeoutMs);
        QCOMPARE(countChanged.count(), 1);
        QVERIFY(!board.index(rowOf(board, StaffBoardModel::UserIdRole, bea))
                     .data(StaffBoardModel::PausedRole)
                     .toBool());
        QCOMPARE(board.index(rowOf(board, StaffBoardModel::UserIdRole, bea))
                     .data(StaffBoardModel::StateTextRole)
                     .toString(),
                 QStringLiteral("Available"));
        QCOMPARE(resets.count(), 0);

        // The manager's queue holds both stores' calls.
        QueueModel queue;
        QAbstractItemModelTester queueTester(
            &queue, QAbstractItemModelTester::FailureReportingMode::QtTest);
        queue.setService(max->sync.get());
        const QString atB =
            QString::fromStdString(newCall(m_chain.storeB, "+447700900777", "3 seconds"));
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(queue, QueueModel::CallIdRole, atB) >= 0, kTimeoutMs);
        QCOMPARE(queue.index(rowOf(queue, QueueModel::CallIdRole, atB))
                     .data(QueueModel::StoreNameRole)
                     .toString(),
                 QStringLiteral("Store B"));
        QVERIFY(rowOf(queue, QueueModel::CallIdRole, QString::fromStdString(call)) >= 0);
        QCOMPARE(queue.index(rowOf(queue, QueueModel::CallIdRole, QString::fromStdString(call)))
                     .data(QueueModel::StateTextRole)
                     .toString(),
                 QStringLiteral("With amir@acme.example"));
    }

    void presenceSwitchesOnTheServer()
    {
        auto ann = open(QStringLiteral("ann@acme.example"));
        QVERIFY(ann);
        Presence presence;
        presence.setService(ann->sync.get());
        presence.setSession(ann->session.get());
        QVERIFY(presence.canTakeCalls());
        QTRY_VERIFY_WITH_TIMEOUT(presence.known(), kTimeoutMs);
        QCOMPARE(presence.status(), QStringLiteral("away"));
        QTRY_VERIFY_WITH_TIMEOUT(presence.online(), kTimeoutMs); // this device is connected

        presence.setAvailable(true);
        QVERIFY(presence.pending());
        QTRY_VERIFY_WITH_TIMEOUT(!presence.pending(), kTimeoutMs);
        QCOMPARE(presence.error(), QString());
        QVERIFY(presence.available());
        QCOMPARE(scalar("SELECT status FROM presence WHERE user_id = '" + m_chain.staffA + "'"),
                 std::string("available"));
        QCOMPARE(presence.activityText(), QStringLiteral("Calls can ring for you"));
        QVERIFY(presence.online());

        // What the server does to her presence shows: a missed call pauses her.
        exec("UPDATE presence SET paused_until = now() + interval '3 minutes' WHERE user_id = '" +
             m_chain.staffA + "'");
        QTRY_VERIFY_WITH_TIMEOUT(
            presence.activityText().startsWith(QStringLiteral("Paused after a missed call until ")),
            kTimeoutMs);

        // Offline it is refused with the reason, and nothing changes.
        // Offline, the cached row still says she has a connected device; but calls cannot ring
        // on this one, and the bar says so instead of "Calls can ring for you".
        QSignalSpy textChanged(&presence, &Presence::activityTextChanged);
        ann->connection->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(ann->sync->state() == SyncService::State::Offline, kTimeoutMs);
        QVERIFY(!presence.online());
        QVERIFY(!textChanged.isEmpty());
        QCOMPARE(
            presence.activityText(),
            QStringLiteral("Available, but this device is offline: calls cannot ring for you"));
        presence.setAvailable(false);
        QVERIFY(!presence.pending());
        QCOMPARE(presence.error(),
                 QStringLiteral("You are offline: presence can only change while connected"));
        QCOMPARE(scalar("SELECT status FROM presence WHERE user_id = '" + m_chain.staffA + "'"),
                 std::string("available"));
        // Back online the message goes, and away works.
        ann->connection->connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(presence.error().isEmpty(), kTimeoutMs);
        presence.setAvailable(false);
        QTRY_VERIFY_WITH_TIMEOUT(!presence.pending(), kTimeoutMs);
        QCOMPARE(presence.error(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar("SELECT status FROM presence WHERE user_id = '" + m_chain.staffA + "'"),
            std::string("away"), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(presence.status(), QStringLiteral("away"), kTimeoutMs);

        // An admin takes no calls: the app says so before asking.
        exec("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE id = '" +
             m_chain.staffA + "') WHERE id = '" + m_chain.admin + "'");
        auto ada = open(QStringLiteral("ada@acme.example"));
        QVERIFY(ada);
        Presence adminPresence;
        adminPresence.setService(ada->sync.get());
        adminPresence.setSession(ada->session.get());
        QVERIFY(!adminPresence.canTakeCalls());
        adminPresence.setAvailable(true);
        QCOMPARE(adminPresence.error(), QStringLiteral("Only staff and managers take calls."));
    }

    // The server's answer to a presence change stands in for the synced row for 5 s, then the
    // cache decides again, even when no synced change comes to say so (here the row that came
    // is not heard of at all: a change from another of her devices right after).
    void presenceAnswerEndsOnTime()
    {
        auto ann = open(QStringLiteral("ann@acme.example"));
        QVERIFY(ann);
        exec("UPDATE presence SET status = 'away', paused_until = NULL WHERE user_id = '" +
             m_chain.staffA + "'");
        Presence presence;
        presence.setService(ann->sync.get());
        presence.setSession(ann->session.get());
        Presence cache; // what the cache holds, as it comes
        cache.setService(ann->sync.get());
        QTRY_COMPARE_WITH_TIMEOUT(presence.status(), QStringLiteral("away"), kTimeoutMs);
        QObject::disconnect(ann->sync.get(), &SyncService::rowsChanged, &presence, nullptr);

        presence.setAvailable(true);
        QTRY_VERIFY_WITH_TIMEOUT(!presence.pending(), kTimeoutMs);
        QCOMPARE(presence.error(), QString());
        QCOMPARE(presence.status(), QStringLiteral("available"));
        QTRY_COMPARE_WITH_TIMEOUT(cache.status(), QStringLiteral("available"), kTimeoutMs);
        exec("UPDATE presence SET status = 'away' WHERE user_id = '" + m_chain.staffA + "'");
        QTRY_COMPARE_WITH_TIMEOUT(cache.status(), QStringLiteral("away"), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(presence.status(), QStringLiteral("away"), 8000);
    }

    // The outcome and the note are written together: the screen going away (the page closed, the
    // person signed out) right after Done loses neither, and nothing is written twice.
    void finishSurvivesTheScreenGoing()
    {
        auto ann = open(QStringLiteral("ann@acme.example"));
        QVERIFY(ann);
        auto pop = std::make_unique<ScreenPop>();
        pop->setService(ann->sync.get());
        const std::string call =
            scalar("INSERT INTO calls (id, organisation_id, location_id, customer_id, direction, "
                   "from_number, to_number, started_at, answered_at, ended_at, status, handled_by) "
                   "VALUES (gen_random_uuid(), '" +
                   m_chain.org + "', '" + m_chain.storeA + "', '" + m_dana +
                   "', 'inbound', '+447700900111', '+442071110000', now() - interval '4 minutes', "
                   "now() - interval '230 seconds', now() - interval '5 seconds', 'completed', '" +
                   m_chain.staffA + "') RETURNING id::text");
        QTRY_VERIFY_WITH_TIMEOUT(pop->phase() == ScreenPop::Phase::WrapUp &&
                                     pop->callId() == QString::fromStdString(call),
                                 kTimeoutMs);

        // Offline, so the outbox can be read before it is sent.
        ann->connection->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(ann->sync->state() == SyncService::State::Offline, kTimeoutMs);
        pop->finishCall(QString::fromStdString(call), QStringLiteral("sale"),
                        QStringLiteral("Took the green paddle"));
        pop.reset();
        QTRY_COMPARE_WITH_TIMEOUT(ann->sync->pendingWrites(), 2, kTimeoutMs);
        std::vector<cc::protocol::Mutation> outbox;
        bool read = false;
        ann->sync->readCache<std::vector<cc::protocol::Mutation>>(
            this,
            [](const cc::app::cache::LocalStore* store, const QString&) {
                return store != nullptr ? store->pending(10, 1 << 20)
                                        : std::vector<cc::protocol::Mutation>();
            },
            [&](std::vector<cc::protocol::Mutation> pending) {
                outbox = std::move(pending);
                read = true;
            });
        QTRY_VERIFY_WITH_TIMEOUT(read, kTimeoutMs);
        QCOMPARE(outbox.size(), std::size_t{2});
        QCOMPARE(outbox[0].entity, std::string("call_notes")); // the note first
        QVERIFY(outbox[0].op == cc::sync::Op::Insert);
        QCOMPARE(outbox[1].entity, std::string("calls"));
        QCOMPARE(outbox[1].key, call);

        ann->connection->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(scalar("SELECT disposition FROM calls WHERE id = '" + call + "'"),
                                  std::string("sale"), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar("SELECT string_agg(body, '|') FROM call_notes WHERE call_id = '" + call + "'"),
            std::string("Took the green paddle"), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(ann->sync->pendingWrites(), 0, kTimeoutMs);
    }

    // A withheld number is shared by everyone who hides theirs: it finds no customer, no calls
    // and no notes of other callers, and the card says "Withheld number".
    void withheldNumbersFindNobody()
    {
        // Someone once saved the placeholder as a customer's phone; another hidden caller rang
        // before and got a note.
        const std::string wes = scalar("INSERT INTO customers (id, organisation_id, display_name) "
                                       "VALUES (gen_random_uuid(), '" +
                                       m_chain.org + "', 'Wes Hidden') RETURNING id::text");
        exec("INSERT INTO customer_phones (customer_id, organisation_id, number) VALUES ('" + wes +
             "', '" + m_chain.org + "', '+266696687')");
        exec("INSERT INTO calls (id, organisation_id, location_id, customer_id, direction, "
             "from_number, to_number, started_at, ended_at, status) VALUES (gen_random_uuid(), '" +
             m_chain.org + "', '" + m_chain.storeA + "', '" + wes +
             "', 'inbound', '+447700900555', '+442071110000', now() - interval '3 days', now() - "
             "interval '3 days' + interval '1 minute', 'completed')");
        const std::string earlier = scalar(
            "INSERT INTO calls (id, organisation_id, location_id, direction, from_number, "
            "to_number, started_at, answered_at, ended_at, status, handled_by) VALUES "
            "(gen_random_uuid(), '" +
            m_chain.org + "', '" + m_chain.storeA +
            "', 'inbound', '+266696687', '+442071110000', now() - interval '1 day', now() - "
            "interval '1 day', now() - interval '1 day' + interval '2 minutes', 'completed', '" +
            m_chain.staffA2 + "') RETURNING id::text");
        exec("INSERT INTO call_notes (id, organisation_id, call_id, location_id, author_id, body) "
             "VALUES (gen_random_uuid(), '" +
             m_chain.org + "', '" + earlier + "', '" + m_chain.storeA + "', '" + m_chain.staffA2 +
             "', 'Someone else entirely')");

        // Amir (Ann has signed in often enough for the rate limit).
        auto amir = open(QStringLiteral("amir@acme.example"));
        QVERIFY(amir);
        QueueModel queue;
        queue.setService(amir->sync.get());
        ScreenPop pop;
        pop.setService(amir->sync.get());
        const std::string call = newCall(m_chain.storeA, "+266696687", "5 seconds");
        exec("UPDATE calls SET offered_to = '" + m_chain.staffA2 + "' WHERE id = '" + call + "'");
        QTRY_VERIFY_WITH_TIMEOUT(pop.phase() == ScreenPop::Phase::Ringing &&
                                     pop.callId() == QString::fromStdString(call),
                                 kTimeoutMs);
        QVERIFY(pop.withheld());
        QVERIFY(!pop.known());
        QCOMPARE(pop.customerName(), QString());
        QCOMPARE(pop.callerLabel(), QStringLiteral("Withheld number"));
        QCOMPARE(pop.headline(), QStringLiteral("Call for you from Withheld number — Store A"));
        QCOMPARE(pop.recentCalls().size(), 0);
        QCOMPARE(pop.notes().size(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            rowOf(queue, QueueModel::CallIdRole, QString::fromStdString(call)) >= 0, kTimeoutMs);
        QCOMPARE(queue.index(rowOf(queue, QueueModel::CallIdRole, QString::fromStdString(call)))
                     .data(QueueModel::CustomerNameRole)
                     .toString(),
                 QString());

        // "anonymous" (not E.164) is no number either.
        exec("UPDATE calls SET from_number = 'anonymous' WHERE id = '" + call + "'");
        QTRY_COMPARE_WITH_TIMEOUT(pop.callerNumber(), QStringLiteral("anonymous"), kTimeoutMs);
        QVERIFY(pop.withheld());
        QCOMPARE(pop.callerLabel(), QStringLiteral("Withheld number"));

        exec("UPDATE calls SET status = 'abandoned', ended_at = now(), offered_to = NULL WHERE "
             "id = '" +
             call + "'");
        // (His card goes back to the call he is on since staffBoardFollowsPresence.)
        QTRY_VERIFY_WITH_TIMEOUT(pop.callId() != QString::fromStdString(call), kTimeoutMs);
    }
};

QTEST_GUILESS_MAIN(TestCallsModels)
#include "tst_callsmodels.moc"
