// The app's sync as QML sees it: SyncService (cache and sync client on their own thread) and the
// TasksModel over the cache, against the real server: status goes from offline to up to date,
// the model fills from the cache and follows changes made elsewhere, and a task marked done
// offline reaches the server once the connection is back.

#include "app/models/conflictsmodel.h"
#include "app/models/tasksmodel.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncservice.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/syncdevice.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <pqxx/pqxx>

using cc::app::SyncService;
using cc::test::SyncDevice;

class TestSyncService : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;

    std::string scalar(const std::string& sql) { return cc::test::scalar(*m_db, sql); }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_chain = cc::test::seedChain(*m_db);
    }

    void cleanupTestCase() { QCOMPARE(m_fx.stop(), 0); }

    void statusAndTasksFollowTheServer()
    {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        cc::app::ServerConnection connection(nullptr);
        connection.setUrl(QUrl(m_fx.server->wsUrl()));
        connection.setExtraCaCertificates(m_fx.tls.ca());
        connection.setDeviceId(QStringLiteral("service-tablet"));
        connection.setAccessToken(QString::fromStdString(
            cc::test::issueAccessToken(*m_db, m_chain.staffA, "service-tablet")));
        {
            pqxx::work tx(*m_db);
            tx.exec_params(
                "INSERT INTO tasks (id, organisation_id, location_id, customer_id, kind, "
                "title, due_at) VALUES (gen_random_uuid(), $1, $2, $3, 'callback', "
                "'Carol, from store B', now())",
                m_chain.org, m_chain.storeB, m_chain.customerAB);
            tx.commit();
        }
        SyncService sync(&connection);
        QVERIFY(!sync.active());

        cc::app::TasksModel tasks;
        QAbstractItemModelTester tester(&tasks,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        tasks.setService(&sync);

        // Encrypted like the app's (the key would come from the server at sign-in).
        sync.start(folder.path(), QStringLiteral("acme"), QString::fromStdString(m_chain.staffA),
                   QByteArray(32, '\x37'));
        QVERIFY(SyncDevice::waitFor([&] { return sync.active(); }, 10000));
        QVERIFY(sync.state() == SyncService::State::Offline); // not connected yet
        connection.connectToServer();
        QVERIFY(
            SyncDevice::waitFor([&] { return sync.state() == SyncService::State::Online; }, 15000));
        QVERIFY(sync.lastSyncedAt().isValid());
        QCOMPARE(sync.bootstrapProgress(), 1.0);
        QCOMPARE(sync.pendingWrites(), 0);

        // Store A's open task, with its customer's name. Store B's task for Carol (seen at both
        // stores) is in the cache, for the screen-pop, but not in this list: it is not store A's
        // to close.
        int cachedTasks = 0;
        sync.readRows(QStringLiteral("tasks"), &tasks, [&](const QVector<QVariantMap>& rows) {
            cachedTasks = static_cast<int>(rows.size());
        });
        QVERIFY(SyncDevice::waitFor([&] { return cachedTasks == 2; }, 10000));
        QVERIFY(SyncDevice::waitFor([&] { return tasks.rowCount() == 1; }, 10000));
        const QModelIndex first = tasks.index(0);
        QCOMPARE(tasks.data(first, cc::app::TasksModel::IdRole).toString(),
                 QString::fromStdString(m_chain.taskA));
        QCOMPARE(tasks.data(first, cc::app::TasksModel::CustomerNameRole).toString(),
                 QStringLiteral("Alice A"));

        // A task created elsewhere (here: by SQL) shows up by itself.
        {
            pqxx::work tx(*m_db);
            tx.exec_params("INSERT INTO tasks (id, organisation_id, location_id, kind, title, "
                           "due_at) VALUES (gen_random_uuid(), $1, $2, 'follow_up', 'Order more "
                           "boots', now() + interval '2 hours')",
                           m_chain.org, m_chain.storeA);
            tx.commit();
        }
        QVERIFY(SyncDevice::waitFor([&] { return tasks.rowCount() == 2; }, 10000));

        // Offline: marking one done is kept on the device, shown at once, sent later.
        connection.disconnectFromServer();
        QVERIFY(SyncDevice::waitFor([&] { return sync.state() == SyncService::State::Offline; },
                                    10000));
        const QString doneId = tasks.data(tasks.index(0), cc::app::TasksModel::IdRole).toString();
        tasks.markDone(0);
        QVERIFY(SyncDevice::waitFor([&] { return sync.pendingWrites() == 1; }, 10000));
        QVERIFY(SyncDevice::waitFor([&] { return tasks.rowCount() == 1; }, 10000));
        QCOMPARE(scalar("SELECT status FROM tasks WHERE id = '" + doneId.toStdString() + "'"),
                 std::string("open"));
        connection.connectToServer();
        QVERIFY(SyncDevice::waitFor(
            [&] { return sync.state() == SyncService::State::Online && sync.pendingWrites() == 0; },
            15000));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return scalar("SELECT status FROM tasks WHERE id = '" + doneId.toStdString() +
                              "'") == "done";
            },
            10000));
        QVERIFY(!scalar("SELECT completed_at FROM tasks WHERE id = '" + doneId.toStdString() + "'")
                     .empty());
        tasks.setShowDone(true);
        QVERIFY(SyncDevice::waitFor([&] { return tasks.rowCount() == 2; }, 10000));

        // A write the schema refuses is reported, and changes nothing.
        QSignalSpy errors(&tasks, &cc::app::TasksModel::lastErrorChanged);
        sync.write(QStringLiteral("tasks"), static_cast<int>(cc::sync::Op::Update), doneId,
                   {{QStringLiteral("status"), QStringLiteral("maybe")}}, &tasks,
                   [&](const QString& error) {
                       QVERIFY(error.contains(QLatin1String("must be one of")));
                       Q_EMIT tasks.lastErrorChanged();
                   });
        QVERIFY(errors.wait(10000));
        QCOMPARE(sync.pendingWrites(), 0);

        // A change the server refuses is undone here and listed with its reason until dismissed.
        cc::app::ConflictsModel conflicts;
        QAbstractItemModelTester conflictsTester(
            &conflicts, QAbstractItemModelTester::FailureReportingMode::QtTest);
        conflicts.setService(&sync);
        QCOMPARE(conflicts.rowCount(), 0);
        connection.disconnectFromServer();
        QVERIFY(SyncDevice::waitFor([&] { return sync.state() == SyncService::State::Offline; },
                                    10000));
        tasks.setShowDone(false);
        QVERIFY(SyncDevice::waitFor([&] { return tasks.rowCount() == 1; }, 10000));
        const QString doomed = tasks.data(tasks.index(0), cc::app::TasksModel::IdRole).toString();
        {
            pqxx::work tx(*m_db); // someone removes it meanwhile
            tx.exec_params("DELETE FROM tasks WHERE id = $1", doomed.toStdString());
            tx.commit();
        }
        tasks.markDone(0);
        QVERIFY(SyncDevice::waitFor([&] { return sync.pendingWrites() == 1; }, 10000));
        connection.connectToServer();
        QVERIFY(SyncDevice::waitFor(
            [&] { return sync.conflictCount() == 1 && conflicts.rowCount() == 1; }, 15000));
        const QModelIndex notice = conflicts.index(0);
        QVERIFY(conflicts.data(notice, cc::app::ConflictsModel::RefusedRole).toBool());
        QVERIFY(conflicts.data(notice, cc::app::ConflictsModel::ReasonRole)
                    .toString()
                    .contains(QLatin1String("no such row")));
        QCOMPARE(conflicts.data(notice, cc::app::ConflictsModel::WhatRole).toString(),
                 QStringLiteral("a callback or follow-up"));
        QVERIFY(SyncDevice::waitFor([&] { return tasks.rowCount() == 0; }, 10000));
        conflicts.dismiss(0);
        QCOMPARE(conflicts.rowCount(), 0);
        QVERIFY(SyncDevice::waitFor([&] { return sync.conflictCount() == 0; }, 10000));

        sync.stop();
        QVERIFY(SyncDevice::waitFor([&] { return !sync.active(); }, 10000));
        connection.disconnectFromServer();
        SyncDevice::waitFor([] { return false; }, 50);
    }

    // The server hands out another key for this person and device (their key was reset): the
    // cache sealed with the old one cannot be read; it is set aside, unread, and the device
    // starts again with a new one, saying so.
    void aCacheOfAnotherKeyIsSetAside()
    {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        cc::app::ServerConnection connection(nullptr);
        SyncService sync(&connection);
        const QString staff = QString::fromStdString(m_chain.staffB);
        sync.start(folder.path(), QStringLiteral("acme"), staff, QByteArray(32, '\x11'));
        QVERIFY(SyncDevice::waitFor([&] { return sync.active(); }, 10000));
        sync.stop();
        QVERIFY(SyncDevice::waitFor([&] { return !sync.active(); }, 10000));
        const QString path = SyncService::cachePath(folder.path(), QStringLiteral("acme"), staff);
        QVERIFY(QFile::exists(path));

        sync.start(folder.path(), QStringLiteral("acme"), staff, QByteArray(32, '\x22'));
        QVERIFY(SyncDevice::waitFor([&] { return sync.active(); }, 10000));
        QVERIFY2(sync.lastError().contains(QStringLiteral("set aside")),
                 qPrintable(sync.lastError()));
        const QStringList aside =
            QDir(folder.path()).entryList({QFileInfo(path).fileName() + ".unreadable-*"});
        QVERIFY2(aside.size() == 1, qPrintable(aside.join(',')));
        sync.stop();
        QVERIFY(SyncDevice::waitFor([&] { return !sync.active(); }, 10000));
        // The new cache opens with the new key.
        sync.start(folder.path(), QStringLiteral("acme"), staff, QByteArray(32, '\x22'));
        QVERIFY(SyncDevice::waitFor([&] { return sync.active(); }, 10000));
        QVERIFY(sync.lastError().isEmpty());
        sync.stop();
        QVERIFY(SyncDevice::waitFor([&] { return !sync.active(); }, 10000));
    }
};

QTEST_GUILESS_MAIN(TestSyncService)
#include "tst_syncservice.moc"
