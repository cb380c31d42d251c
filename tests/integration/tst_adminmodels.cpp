// The admin models (people, audit log, customers' privacy requests) and the setup of a password
// with a one-time code against the real server: rows as the server decides them, updates after an
// action, the audit log page by page and filtered, a customer found, exported to a file and
// erased, errors in words, all checked by QAbstractItemModelTester.

#include "app/admin/auditmodel.h"
#include "app/admin/passwordsetup.h"
#include "app/admin/privacyrequests.h"
#include "app/admin/usersmodel.h"
#include "app/auth/session.h"
#include "app/net/serverconnection.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <pqxx/pqxx>

#include <memory>

using namespace cc;
using cc::test::ServerProcess;
using cc::test::TestDatabase;
using cc::test::TlsFiles;

class TestAdminModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const QString problem = m_fx.start();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        pqxx::connection c(m_fx.db->conninfo());
        const auto boss =
            test::seedUser(c, "acme", "boss@acme.example", "correct horse battery", "admin");
        m_organisationId = boss.organisationId;
        m_storeId = boss.storeId;
        m_bossId = boss.userId;
        test::seedUser(c, "acme", "zoe@acme.example", "correct horse battery", "staff");
        test::seedUser(c, "acme", "amy@acme.example", "correct horse battery", "staff");
        const auto other =
            test::seedUser(c, "globex", "other@globex.example", "correct horse battery", "staff");
        seedCustomers(c, other);
    }

    void cleanupTestCase()
    {
        if (m_fx.server) {
            QCOMPARE(m_fx.server->terminate(), 0);
        }
    }

    void parseRefusesWhatIsNotAUserList()
    {
        QVERIFY(!app::UsersModel::parse("not json").has_value());
        QVERIFY(!app::UsersModel::parse(R"({"users":{}})").has_value());
        QVERIFY(!app::UsersModel::parse(R"({"users":[{"name":"no id"}]})").has_value());
        const auto rows = app::UsersModel::parse(
            R"({"users":[{"id":"2","name":"Zed"},{"id":"1","name":"Ann","stores":["A","B"],"active":false}]})");
        QVERIFY(rows.has_value());
        QCOMPARE(rows->size(), 2);
        QCOMPARE(rows->at(0).name, QStringLiteral("Ann")); // sorted by name
        QCOMPARE(rows->at(0).stores, QStringList({"A", "B"}));
        QVERIFY(!rows->at(0).active);
    }

    void adminSeesAndDisables()
    {
        auto [conn, session] = signIn("boss@acme.example");
        app::UsersModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setSession(session.get());
        QVERIFY(model.loading());
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QCOMPARE(model.error(), QString());
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 3); // the other organisation's people are not there

        QStringList emails;
        int zoe = -1;
        int me = -1;
        for (int i = 0; i < model.rowCount(); ++i) {
            const QModelIndex idx = model.index(i);
            emails << idx.data(app::UsersModel::EmailRole).toString();
            if (emails.last() == QStringLiteral("zoe@acme.example")) {
                zoe = i;
            }
            if (idx.data(app::UsersModel::IsMeRole).toBool()) {
                me = i;
            }
        }
        QVERIFY(!emails.join(',').contains(QStringLiteral("globex")));
        QVERIFY(zoe >= 0);
        QCOMPARE(model.index(me).data(app::UsersModel::EmailRole).toString(),
                 QStringLiteral("boss@acme.example"));
        QCOMPARE(model.index(zoe).data(app::UsersModel::StoresRole).toString(),
                 QStringLiteral("S-01"));
        QVERIFY(model.index(zoe).data(app::UsersModel::ActiveRole).toBool());

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.disable(zoe);
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
        QVERIFY(!model.index(zoe).data(app::UsersModel::ActiveRole).toBool());

        // Disabling oneself is refused, and said so.
        model.disable(me);
        QTRY_VERIFY_WITH_TIMEOUT(!model.error().isEmpty(), 10000);
        QVERIFY(model.error().contains(QStringLiteral("own account")));
        QVERIFY(model.index(me).data(app::UsersModel::ActiveRole).toBool());
    }

    void auditLogShowsWhatAdminsDid()
    {
        QVERIFY(!app::AuditModel::parse(R"({"entries":[{"id":0,"action":"x"}]})").has_value());
        QVERIFY(!app::AuditModel::parse(R"({"nope":[]})").has_value());

        auto [conn, session] = signIn("boss@acme.example");
        app::AuditModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session.get());
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QCOMPARE(model.error(), QString());
        QVERIFY(model.rowCount() >= 1); // zoe was disabled in the test before
        const QModelIndex newest = model.index(0);
        QCOMPARE(newest.data(app::AuditModel::ActionRole).toString(),
                 QStringLiteral("user.disabled"));
        QVERIFY(newest.data(app::AuditModel::TargetRole)
                    .toString()
                    .startsWith(QStringLiteral("user ")));
        QVERIFY(newest.data(app::AuditModel::WhenRole).toString().endsWith(QLatin1Char('Z')));

        auto [staffConn, staff] = signIn("amy@acme.example");
        app::AuditModel denied;
        denied.setSession(staff.get());
        QTRY_VERIFY_WITH_TIMEOUT(!denied.loading(), 10000);
        QCOMPARE(denied.rowCount(), 0);
        QVERIFY(denied.error().contains(QStringLiteral("role")));
    }

    void staffAreToldTheyMayNot()
    {
        auto [conn, session] = signIn("amy@acme.example");
        app::UsersModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session.get());
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(model.error().contains(QStringLiteral("role")));
    }

    void adminManagesAccounts()
    {
        auto [conn, session] = signIn("boss@acme.example");
        app::UsersModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session.get());
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QSignalSpy invited(&model, &app::UsersModel::invited);
        QSignalSpy updated(&model, &app::UsersModel::updated);
        QSignalSpy enabled(&model, &app::UsersModel::enabled);
        QSignalSpy reset(&model, &app::UsersModel::passwordReset);
        QSignalSpy failed(&model, &app::UsersModel::actionFailed);
        QSignalSpy busy(&model, &app::UsersModel::busyChanged);

        // Invite: the one-time code comes back once, the list shows them waiting for it.
        model.invite(QStringLiteral("kim@acme.example"), QStringLiteral("Kim"),
                     QStringLiteral("staff"), {QString::fromStdString(m_storeId)});
        QVERIFY(model.busy());
        QTRY_COMPARE_WITH_TIMEOUT(invited.count(), 1, 10000);
        QVERIFY(!model.busy());
        QCOMPARE(busy.count(), 2);
        const QString kimId = invited.at(0).at(0).toString();
        const QString inviteCode = invited.at(0).at(2).toString();
        QCOMPARE(invited.at(0).at(1).toString(), QStringLiteral("Kim"));
        QCOMPARE(inviteCode.size(), 19);
        QVERIFY(!invited.at(0).at(3).toString().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(model.rowOf(kimId) >= 0 && !model.loading(), 10000);
        QModelIndex kim = model.index(model.rowOf(kimId));
        QVERIFY(!kim.data(app::UsersModel::PasswordSetRole).toBool());
        QVERIFY(kim.data(app::UsersModel::SetupPendingRole).toBool());
        QCOMPARE(kim.data(app::UsersModel::StoreIdsRole).toStringList(),
                 QStringList({QString::fromStdString(m_storeId)}));
        QCOMPARE(kim.data(app::UsersModel::HomeStoreIdRole).toString(),
                 QString::fromStdString(m_storeId));

        // Change the role and name.
        model.update(kimId, {{QStringLiteral("role"), QStringLiteral("manager")},
                             {QStringLiteral("displayName"), QStringLiteral("Kim Lee")},
                             {QStringLiteral("notAField"), 1}});
        QTRY_COMPARE_WITH_TIMEOUT(updated.count(), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            model.rowOf(kimId) >= 0 &&
                model.index(model.rowOf(kimId)).data(app::UsersModel::UserRoleRole).toString() ==
                    QStringLiteral("manager"),
            10000);
        QCOMPARE(model.index(model.rowOf(kimId)).data(app::UsersModel::NameRole).toString(),
                 QStringLiteral("Kim Lee"));

        // A reset brings a new code; the invite's no longer works.
        model.resetPassword(kimId);
        QTRY_COMPARE_WITH_TIMEOUT(reset.count(), 1, 10000);
        const QString resetCode = reset.at(0).at(2).toString();
        QCOMPARE(reset.at(0).at(1).toString(), QStringLiteral("Kim Lee"));
        QVERIFY(resetCode.size() == 19 && resetCode != inviteCode);

        // Disable, then enable again.
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.disable(model.rowOf(kimId));
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 10000);
        QVERIFY(!model.index(model.rowOf(kimId)).data(app::UsersModel::ActiveRole).toBool());
        model.enable(kimId);
        QTRY_COMPARE_WITH_TIMEOUT(enabled.count(), 1, 10000);
        QVERIFY(model.index(model.rowOf(kimId)).data(app::UsersModel::ActiveRole).toBool());
        QCOMPARE(failed.count(), 0);

        // What the server refuses is said in words, and changes nothing.
        model.invite(QStringLiteral("KIM@acme.example"), QStringLiteral("Kim Two"),
                     QStringLiteral("staff"), {QString::fromStdString(m_storeId)});
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("already has")),
                 qPrintable(failed.at(0).at(0).toString()));
        const QString me = QString::fromStdString(m_bossId);
        model.update(me, {{QStringLiteral("role"), QStringLiteral("staff")}});
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 10000);
        QVERIFY(failed.at(1).at(0).toString().contains(QStringLiteral("own role")));
        model.resetPassword(me);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 3, 10000);
        QVERIFY(failed.at(2).at(0).toString().contains(QStringLiteral("own password")));
        model.update(kimId, {{QStringLiteral("storeIds"), QStringList({QStringLiteral("x")})}});
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 4, 10000);
        QVERIFY(failed.at(3).at(0).toString().contains(QStringLiteral("storeIds")));
        model.update(kimId, {});
        QCOMPARE(failed.count(), 5); // nothing to send: said at once
        QCOMPARE(invited.count(), 1);
        QCOMPARE(updated.count(), 1);

        // Kim chooses a password with the reset's code, then signs in with it.
        m_kimCode = resetCode;
    }

    void setupCodeSetsThePassword()
    {
        QVERIFY(!m_kimCode.isEmpty());
        app::ServerConnection conn(nullptr);
        conn.setExtraCaCertificates(m_fx.tls.ca());
        conn.setUrl(QUrl(m_fx.server->wsUrl()));
        app::PasswordSetup setup;
        setup.setConnection(&conn);
        QSignalSpy succeeded(&setup, &app::PasswordSetup::succeeded);

        // What the app can tell by itself it tells without asking.
        setup.submit(QStringLiteral("acme"), QStringLiteral("kim@acme.example"), m_kimCode,
                     QStringLiteral("kims new password"), QStringLiteral("kims new passw0rd"));
        QVERIFY(!setup.busy());
        QVERIFY(setup.error().contains(QStringLiteral("not the same")));
        setup.submit(QStringLiteral("acme"), QStringLiteral("kim@acme.example"), m_kimCode,
                     QStringLiteral("short"), QStringLiteral("short"));
        QVERIFY(setup.error().contains(QStringLiteral("at least 10")));
        QVERIFY(!setup.busy());

        // A wrong code is refused by the server, in words.
        setup.submit(QStringLiteral("acme"), QStringLiteral("kim@acme.example"),
                     QStringLiteral("0000-0000-0000-0000"), QStringLiteral("kims new password"),
                     QStringLiteral("kims new password"));
        QVERIFY(setup.busy());
        QTRY_VERIFY_WITH_TIMEOUT(!setup.busy(), 10000);
        QVERIFY2(setup.error().contains(QStringLiteral("setup code")), qPrintable(setup.error()));
        QVERIFY(!setup.done());

        setup.submit(QStringLiteral("acme"), QStringLiteral("kim@acme.example"), m_kimCode,
                     QStringLiteral("kims new password"), QStringLiteral("kims new password"));
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 10000);
        QVERIFY(setup.done());
        QCOMPARE(setup.error(), QString());

        auto [kimConn, kim] = signIn("kim@acme.example", QStringLiteral("kims new password"));
        QCOMPARE(kim->state(), app::Session::State::SignedIn);
        QCOMPARE(kim->role(), QStringLiteral("manager"));
    }

    void auditPagesAndFilters()
    {
        {
            pqxx::connection c(m_fx.db->conninfo());
            pqxx::work t(c);
            t.exec_params0("INSERT INTO audit_log (organisation_id, action, target_type, "
                           "target_id) SELECT $1::uuid, 'model.paging', 'thing', n::text "
                           "FROM generate_series(1, 17) n",
                           m_organisationId);
            t.commit();
        }
        QStringList expected;
        {
            pqxx::connection c(m_fx.db->conninfo());
            pqxx::nontransaction t(c);
            for (const auto& row :
                 t.exec_params("SELECT id FROM audit_log WHERE organisation_id = $1::uuid "
                               "ORDER BY id DESC",
                               m_organisationId)) {
                expected << QString::fromStdString(row[0].as<std::string>());
            }
        }
        QVERIFY(expected.size() > 20);

        auto [conn, session] = signIn("boss@acme.example");
        app::AuditModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(4);
        model.setSession(session.get());
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QCOMPARE(model.error(), QString());
        QVERIFY(model.rowCount() >= 4);
        QVERIFY(model.canFetchMore({}) || model.loadingMore());
        // Older pages until there are none (a view asks by itself; so may the tester).
        QVERIFY(QTest::qWaitFor(
            [&] {
                if (!model.loadingMore() && model.hasMore()) {
                    model.loadOlder();
                }
                return !model.hasMore() && !model.loadingMore();
            },
            30000));
        QStringList ids;
        for (int i = 0; i < model.rowCount(); ++i) {
            ids << model.index(i).data(app::AuditModel::IdRole).toString();
        }
        QCOMPARE(ids, expected); // in order, each once, all of them
        QVERIFY(!model.canFetchMore({}));

        // A filter reloads from the newest, narrowed.
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setActionFilter(QStringLiteral("model."));
        model.setTargetTypeFilter(QStringLiteral("thing"));
        model.setPageSize(20);
        QTRY_COMPARE_WITH_TIMEOUT(reset.count(), 1, 10000); // three changes, one request
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QCOMPARE(model.rowCount(), 17);
        QVERIFY(!model.hasMore());
        for (int i = 0; i < model.rowCount(); ++i) {
            QCOMPARE(model.index(i).data(app::AuditModel::ActionRole).toString(),
                     QStringLiteral("model.paging"));
        }
        // Filters by person, with their names.
        model.clearFilters();
        model.setActorFilter(QString::fromStdString(m_bossId));
        QTRY_COMPARE_WITH_TIMEOUT(reset.count(), 2, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        QVERIFY(model.rowCount() > 0);
        for (int i = 0; i < model.rowCount(); ++i) {
            QCOMPARE(model.index(i).data(app::AuditModel::ActorRole).toString(),
                     QString::fromStdString(m_bossId));
            QCOMPARE(model.index(i).data(app::AuditModel::ActorNameRole).toString(),
                     QStringLiteral("Test admin"));
        }
        // A date the server could not read is caught before asking.
        model.setFromDate(QStringLiteral("31/12/2024"));
        QTRY_VERIFY_WITH_TIMEOUT(model.error().contains(QStringLiteral("2024-05-31")), 10000);
        QCOMPARE(reset.count(), 2);
    }

    void privacySearchFindsTheCustomer()
    {
        QVERIFY(!app::PrivacyRequests::parse("not json").has_value());
        QVERIFY(!app::PrivacyRequests::parse("{\"customers\":[{\"displayName\":\"no id\"}]}")
                     .has_value());
        QVERIFY(!app::PrivacyRequests::parse("{\"customers\":[{\"id\":\"1\",\"phones\":\"+1\"}]}")
                     .has_value());

        app::Session* session = privacyAdmin();
        QVERIFY(session != nullptr);
        app::PrivacyRequests model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session);
        QCOMPARE(model.rowCount(), 0);
        QSignalSpy busy(&model, &app::PrivacyRequests::busyChanged);

        // By a phone number, typed as people say it: only this organisation's customer.
        model.search(QStringLiteral(" (212) 555-0123 "));
        QVERIFY(model.busy());
        QVERIFY(model.searching());
        QCOMPARE(model.query(), QStringLiteral("(212) 555-0123"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.error(), QString());
        QCOMPARE(model.rowCount(), 1);
        const QModelIndex marta = model.index(0);
        QCOMPARE(marta.data(app::PrivacyRequests::CustomerIdRole).toString(), m_marta);
        QCOMPARE(marta.data(app::PrivacyRequests::DisplayNameRole).toString(),
                 QStringLiteral("Marta Privacy"));
        QCOMPARE(marta.data(app::PrivacyRequests::EmailRole).toString(),
                 QStringLiteral("marta.privacy@example.com"));
        QCOMPARE(marta.data(app::PrivacyRequests::PhonesRole).toString(),
                 QStringLiteral("+12125550123, +12125550124"));
        QCOMPARE(marta.data(app::PrivacyRequests::StoresRole).toString(),
                 QStringLiteral("Main Street"));
        const QDateTime lastCall = marta.data(app::PrivacyRequests::LastCallAtRole).toDateTime();
        QVERIFY(lastCall.isValid());
        QVERIFY(qAbs(lastCall.secsTo(QDateTime::currentDateTimeUtc()) - 2 * 3600) < 600);
        QVERIFY(!marta.data(app::PrivacyRequests::ErasedRole).toBool());
        QVERIFY(!marta.data(app::PrivacyRequests::ErasedAtRole).toDateTime().isValid());

        // By the start of a name, without case; by e-mail.
        model.search(QStringLiteral("marta p"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0).data(app::PrivacyRequests::CustomerIdRole).toString(), m_marta);
        model.search(QStringLiteral("MARTA.privacy@example.com"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.rowCount(), 1);

        // Nonsense finds nobody, and that is no error.
        model.search(QStringLiteral("zzqx nobody"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.error(), QString());

        // Too short: the server's 400, in its words; the list no longer stands for the search.
        model.search(QStringLiteral("Marta"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.rowCount(), 2);
        model.search(QStringLiteral("ab"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QVERIFY2(model.error().contains(QStringLiteral("3 to 200 characters")),
                 qPrintable(model.error()));
        QCOMPARE(model.rowCount(), 0);

        // A search started before the last one answered is dropped, whichever answers first.
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.search(QStringLiteral("Marta"));
        model.search(QStringLiteral("zzqx nobody"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.query(), QStringLiteral("zzqx nobody"));
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(reset.count(), 0); // empty before, empty after: the older answer never showed
        QCOMPARE(model.error(), QString());
        model.search(QStringLiteral("zzqx nobody"));
        model.search(QStringLiteral("Marta"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(reset.count(), 1);
        QVERIFY(busy.count() >= 2);
    }

    void privacyIsForAdminsOnly()
    {
        auto [conn, session] = signIn("amy@acme.example");
        app::PrivacyRequests model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session.get());
        model.search(QStringLiteral("Marta"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY2(model.error().contains(QStringLiteral("Only admins")), qPrintable(model.error()));
        QSignalSpy failed(&model, &app::PrivacyRequests::failed);
        model.erase(m_marta);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QCOMPARE(
            scalar("SELECT display_name FROM customers WHERE id = '" + m_marta.toStdString() + "'"),
            std::string("Marta Privacy"));
    }

    void privacyExportWritesTheFile()
    {
        app::Session* session = privacyAdmin();
        QVERIFY(session != nullptr);
        app::PrivacyRequests model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session);
        QSignalSpy exported(&model, &app::PrivacyRequests::exported);
        QSignalSpy failed(&model, &app::PrivacyRequests::failed);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString folder = dir.filePath(QStringLiteral("requests/2025"));

        model.exportCustomer(m_marta, folder);
        QVERIFY(model.busy());
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 10000);
        QVERIFY(!model.busy());
        QCOMPARE(failed.count(), 0);
        const QString path = exported.at(0).at(0).toString();
        QCOMPARE(path, QDir(folder).absoluteFilePath(app::PrivacyRequests::exportFileName(
                           m_marta, QDateTime::currentDateTimeUtc().date())));
        QCOMPARE(QFileInfo(path).fileName(),
                 QStringLiteral("customer-%1-%2.json")
                     .arg(m_marta, QDateTime::currentDateTimeUtc().date().toString(Qt::ISODate)));
        QCOMPARE(model.lastExportPath(), path);
        QCOMPARE(model.error(), QString());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(doc.value(QStringLiteral("format")).toString(),
                 QStringLiteral("callcommander.customer-export.v1"));
        const QJsonObject customer = doc.value(QStringLiteral("customer")).toObject();
        QCOMPARE(customer.value(QStringLiteral("displayName")).toString(),
                 QStringLiteral("Marta Privacy"));
        QCOMPARE(customer.value(QStringLiteral("email")).toString(),
                 QStringLiteral("marta.privacy@example.com"));
        QCOMPARE(doc.value(QStringLiteral("phones")).toArray().size(), 2);
        QCOMPARE(doc.value(QStringLiteral("calls")).toArray().size(), 1);
        // Personal data: only its owner may read the file.
        QVERIFY(
            !(QFileInfo(path).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup)));
        // The server recorded who took the data out.
        QCOMPARE(scalar("SELECT count(*) FROM audit_log WHERE action = 'customer.export' AND "
                        "target_id = '" +
                        m_marta.toStdString() + "'"),
                 std::string("1"));

        // A customer the organisation does not have, an id that is none: said, nothing written.
        model.exportCustomer(m_rivalMarta, folder);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("no such customer")),
                 qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(model.error(), failed.at(0).at(0).toString());
        model.exportCustomer(QStringLiteral("../../etc/passwd"), folder);
        QCOMPARE(failed.count(), 2);
        QCOMPARE(QDir(folder).entryList(QDir::Files), QStringList({QFileInfo(path).fileName()}));
        QCOMPARE(exported.count(), 1);

        // A folder that cannot be made: said.
        QFile blocker(dir.filePath(QStringLiteral("a-file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        model.exportCustomer(m_marta, blocker.fileName() + QStringLiteral("/inside"));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 3, 10000);
        QVERIFY2(failed.at(2).at(0).toString().contains(QStringLiteral("Cannot create")),
                 qPrintable(failed.at(2).at(0).toString()));
    }

    void privacyEraseUpdatesTheRowAndTheServer()
    {
        app::Session* session = privacyAdmin();
        QVERIFY(session != nullptr);
        app::PrivacyRequests model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session);
        model.search(QStringLiteral("Marta"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        const int row = model.rowOf(m_marta);
        QVERIFY(row >= 0);
        QSignalSpy erased(&model, &app::PrivacyRequests::erased);
        QSignalSpy failed(&model, &app::PrivacyRequests::failed);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

        model.erase(m_marta);
        QVERIFY(model.busy());
        QTRY_COMPARE_WITH_TIMEOUT(erased.count(), 1, 10000);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(reset.count(), 0); // the row changes in place, without a new search
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), row);
        const QModelIndex gone = model.index(row);
        QCOMPARE(gone.data(app::PrivacyRequests::CustomerIdRole).toString(), m_marta);
        QCOMPARE(gone.data(app::PrivacyRequests::DisplayNameRole).toString(),
                 QStringLiteral("Erased customer"));
        QVERIFY(gone.data(app::PrivacyRequests::ErasedRole).toBool());
        QCOMPARE(gone.data(app::PrivacyRequests::EmailRole).toString(), QString());
        QCOMPARE(gone.data(app::PrivacyRequests::PhonesRole).toString(), QString());
        const QDateTime erasedAt = gone.data(app::PrivacyRequests::ErasedAtRole).toDateTime();
        QVERIFY(erasedAt.isValid());
        QVERIFY(qAbs(erasedAt.secsTo(QDateTime::currentDateTimeUtc())) < 600);

        const QVariantMap result = erased.at(0).at(0).toMap();
        QCOMPARE(model.lastErasure(), result);
        QCOMPARE(result.value(QStringLiteral("customerId")).toString(), m_marta);
        QCOMPARE(result.value(QStringLiteral("erasedAt")).toDateTime(), erasedAt);
        QCOMPARE(result.value(QStringLiteral("alreadyErased")).toBool(), false);
        QCOMPARE(result.value(QStringLiteral("notes")).toInt(), 1);
        QCOMPARE(result.value(QStringLiteral("phones")).toInt(), 2);
        QCOMPARE(result.value(QStringLiteral("selfServiceTurns")).toInt(), 0);
        QCOMPARE(result.value(QStringLiteral("calls")).toInt(), 1);
        QCOMPARE(result.value(QStringLiteral("tasks")).toInt(), 0);
        QCOMPARE(result.value(QStringLiteral("appointments")).toInt(), 0);
        QCOMPARE(result.value(QStringLiteral("providerRecordingsToDelete")).toStringList(),
                 QStringList({QStringLiteral(
                     "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/REmarta")}));

        // The server holds nothing of her any more.
        const std::string id = m_marta.toStdString();
        QCOMPARE(scalar("SELECT display_name FROM customers WHERE id = '" + id + "'"),
                 std::string("Erased customer"));
        QCOMPARE(scalar("SELECT coalesce(email, '') FROM customers WHERE id = '" + id + "'"),
                 std::string());
        QCOMPARE(scalar("SELECT count(*) FROM customer_phones WHERE customer_id = '" + id + "'"),
                 std::string("0"));
        QCOMPARE(scalar("SELECT from_number FROM calls WHERE customer_id = '" + id + "'"),
                 std::string("erased"));

        // Again: nothing changes, and the answer says when it was done.
        model.erase(m_marta);
        QTRY_COMPARE_WITH_TIMEOUT(erased.count(), 2, 10000);
        const QVariantMap again = erased.at(1).at(0).toMap();
        QVERIFY(again.value(QStringLiteral("alreadyErased")).toBool());
        QCOMPARE(again.value(QStringLiteral("erasedAt")).toDateTime(), erasedAt);
        QCOMPARE(model.index(row).data(app::PrivacyRequests::ErasedAtRole).toDateTime(), erasedAt);

        // A search finds her no longer by her name; by the new one she shows as erased.
        model.search(QStringLiteral("Marta"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QCOMPARE(model.rowOf(m_marta), -1);
        model.search(QStringLiteral("Erased customer"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QVERIFY(model.rowOf(m_marta) >= 0);
        QVERIFY(model.index(model.rowOf(m_marta)).data(app::PrivacyRequests::ErasedRole).toBool());

        // A customer on a call is refused until it ends; one that does not exist, said so.
        model.erase(m_martin);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("under way")),
                 qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(model.error(), failed.at(0).at(0).toString());
        QCOMPARE(scalar("SELECT display_name FROM customers WHERE id = '" + m_martin.toStdString() +
                        "'"),
                 std::string("Marta Martin"));
        model.erase(m_rivalMarta);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 10000);
        QVERIFY(failed.at(1).at(0).toString().contains(QStringLiteral("no such customer")));
        QCOMPARE(scalar("SELECT display_name FROM customers WHERE id = '" +
                        m_rivalMarta.toStdString() + "'"),
                 std::string("Marta Privacy"));
        QCOMPARE(erased.count(), 2);

        // Signing out forgets what was found (the last use of this sign-in).
        model.search(QStringLiteral("Marta"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), 10000);
        QVERIFY(model.rowCount() > 0);
        session->signOut();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 0, 10000);
        QCOMPARE(model.query(), QString());
        QCOMPARE(model.lastErasure(), QVariantMap());
        QCOMPARE(model.error(), QString());
        model.search(QStringLiteral("Marta"));
        QCOMPARE(model.error(), QStringLiteral("Sign in first."));
        QCOMPARE(model.rowCount(), 0);
    }

    void nobodySignedIn()
    {
        app::ServerConnection conn(nullptr);
        app::Session session(&conn, nullptr);
        app::UsersModel model;
        model.setSession(&session);
        QVERIFY(!model.loading());
        QVERIFY(!model.error().isEmpty());
    }

private:
    // The admin of the privacy tests, signed in once: sign-ins are rate-limited per person.
    app::Session* privacyAdmin()
    {
        if (!m_privacyAdmin.second) {
            m_privacyAdmin = signIn("boss@acme.example");
        }
        return m_privacyAdmin.second->state() == app::Session::State::SignedIn
                   ? m_privacyAdmin.second.get()
                   : nullptr;
    }

    std::string scalar(const std::string& sql)
    {
        pqxx::connection c(m_fx.db->conninfo());
        return test::scalar(c, sql);
    }

    // Customers a privacy request may be about: Marta (two numbers, a call two hours ago with a
    // voicemail and a note, seen at Main Street), Marta Martin (on a call ringing now: the server
    // calls a call missed after 10 minutes without news) and, in the other organisation, a Marta
    // Privacy with Marta's number.
    void seedCustomers(pqxx::connection& c, const test::SeededUser& other)
    {
        pqxx::work tx(c);
        const auto customer = [&](const std::string& org, const std::string& name,
                                  const std::string& email) {
            return QString::fromStdString(
                tx.exec_params1("INSERT INTO customers (id, organisation_id, display_name, email) "
                                "VALUES (gen_random_uuid(), $1, $2, nullif($3, '')) RETURNING "
                                "id::text",
                                org, name, email)[0]
                    .as<std::string>());
        };
        const auto phone = [&](const QString& id, const std::string& org,
                               const std::string& number) {
            tx.exec_params0("INSERT INTO customer_phones (customer_id, organisation_id, number) "
                            "VALUES ($1, $2, $3)",
                            id.toStdString(), org, number);
        };
        const auto call = [&](const QString& id, const std::string& org, const std::string& store,
                              const std::string& status) {
            const std::string callId =
                tx.exec_params1(
                      "INSERT INTO calls (id, organisation_id, location_id, customer_id, "
                      "direction, from_number, to_number, started_at, status) VALUES "
                      "(gen_random_uuid(), $1, $2, $3, 'inbound', '+12125550123', "
                      "'+12125550100', now() - CASE $4 WHEN 'ringing' THEN interval '0' ELSE "
                      "interval '2 hours' END, $4) RETURNING id::text",
                      org, store, id.toStdString(), status)[0]
                    .as<std::string>();
            tx.exec_params("SELECT sync_link_customer($1, $2, $3)", org, id.toStdString(), store);
            return callId;
        };
        m_marta = customer(m_organisationId, "Marta Privacy", "marta.privacy@example.com");
        phone(m_marta, m_organisationId, "+12125550123");
        phone(m_marta, m_organisationId, "+12125550124");
        const std::string martasCall = call(m_marta, m_organisationId, m_storeId, "completed");
        tx.exec_params0("UPDATE calls SET recording_url = "
                        "'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/REmarta', "
                        "recording_seconds = 9 WHERE id = $1",
                        martasCall);
        tx.exec_params0("INSERT INTO call_notes (id, organisation_id, customer_id, call_id, "
                        "location_id, body) VALUES (gen_random_uuid(), $1, $2, $3, $4, "
                        "'Marta wants the blue one')",
                        m_organisationId, m_marta.toStdString(), martasCall, m_storeId);
        m_martin = customer(m_organisationId, "Marta Martin", "");
        phone(m_martin, m_organisationId, "+12125550190");
        call(m_martin, m_organisationId, m_storeId, "ringing");
        m_rivalMarta = customer(other.organisationId, "Marta Privacy", "marta.privacy@example.com");
        phone(m_rivalMarta, other.organisationId, "+12125550123");
        call(m_rivalMarta, other.organisationId, other.storeId, "completed");
        tx.commit();
    }

    std::pair<std::unique_ptr<app::ServerConnection>, std::unique_ptr<app::Session>>
    signIn(const QString& email, const QString& password = QStringLiteral("correct horse battery"))
    {
        auto conn = std::make_unique<app::ServerConnection>(nullptr);
        conn->setExtraCaCertificates(m_fx.tls.ca());
        conn->setUrl(QUrl(m_fx.server->wsUrl()));
        conn->setDeviceId(QStringLiteral("admin-desk"));
        auto session = std::make_unique<app::Session>(conn.get(), nullptr);
        session->setExtraCaCertificates(m_fx.tls.ca());
        session->setOrganisation(QStringLiteral("acme"));
        session->setEmail(email);
        session->signIn(password);
        if (!QTest::qWaitFor([&] { return session->state() == app::Session::State::SignedIn; },
                             10000)) {
            qWarning("sign-in failed: %s", qPrintable(session->error()));
        }
        return {std::move(conn), std::move(session)};
    }

    cc::test::ServerFixture m_fx;
    std::string m_organisationId; // acme's
    std::string m_storeId;        // acme's S-01
    std::string m_bossId;
    QString m_kimCode; // the setup code of the person the admin test invited
    std::pair<std::unique_ptr<app::ServerConnection>, std::unique_ptr<app::Session>> m_privacyAdmin;
    QString m_marta;      // acme's customer whose data is exported, then erased
    QString m_martin;     // acme's customer on a call that is ringing
    QString m_rivalMarta; // globex's customer with Marta's name and number
};

QTEST_GUILESS_MAIN(TestAdminModels)
#include "tst_adminmodels.moc"
