// The admin models (people, audit log) against the real server: rows as the server decides
// them, updates after an action, errors in words, all checked by QAbstractItemModelTester.

#include "app/admin/auditmodel.h"
#include "app/admin/usersmodel.h"
#include "app/auth/session.h"
#include "app/net/serverconnection.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
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
        test::seedUser(c, "acme", "boss@acme.example", "correct horse battery", "admin");
        test::seedUser(c, "acme", "zoe@acme.example", "correct horse battery", "staff");
        test::seedUser(c, "acme", "amy@acme.example", "correct horse battery", "staff");
        test::seedUser(c, "globex", "other@globex.example", "correct horse battery", "staff");
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
    std::pair<std::unique_ptr<app::ServerConnection>, std::unique_ptr<app::Session>>
    signIn(const QString& email)
    {
        auto conn = std::make_unique<app::ServerConnection>(nullptr);
        conn->setExtraCaCertificates(m_fx.tls.ca());
        conn->setUrl(QUrl(m_fx.server->wsUrl()));
        conn->setDeviceId(QStringLiteral("admin-desk"));
        auto session = std::make_unique<app::Session>(conn.get(), nullptr);
        session->setExtraCaCertificates(m_fx.tls.ca());
        session->setOrganisation(QStringLiteral("acme"));
        session->setEmail(email);
        session->signIn(QStringLiteral("correct horse battery"));
        if (!QTest::qWaitFor([&] { return session->state() == app::Session::State::SignedIn; },
                             10000)) {
            qWarning("sign-in failed: %s", qPrintable(session->error()));
        }
        return {std::move(conn), std::move(session)};
    }

    cc::test::ServerFixture m_fx;
};

QTEST_GUILESS_MAIN(TestAdminModels)
#include "tst_adminmodels.moc"
