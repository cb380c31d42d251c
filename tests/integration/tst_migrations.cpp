#include "server/db/migrations.h"
#include "tests/support/testdatabase.h"

#include <QTest>

#include <pqxx/pqxx>

#include <thread>

using namespace cc::server::db;
using cc::test::TestDatabase;

namespace {

const std::array<Migration, 2> kTwoStep{{
    {1, "create_things", "CREATE TABLE things (id int PRIMARY KEY)"},
    {2, "add_name", "ALTER TABLE things ADD COLUMN name text"},
}};

int count(pqxx::connection& c, const std::string& sql)
{
    pqxx::read_transaction t(c);
    return t.exec1(sql)[0].as<int>();
}

} // namespace

class TestMigrations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        try {
            TestDatabase probe; // the cluster is there and lets us create databases
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    void embeddedSchemaAppliesOnEmptyDatabase()
    {
        TestDatabase db;
        pqxx::connection c(db.conninfo());
        const auto all = embeddedMigrations();
        QVERIFY(!all.empty());
        QCOMPARE(migrationStatus(c, all).appliedVersion, 0);
        QCOMPARE(applyMigrations(c, all), all.size());
        const auto status = migrationStatus(c, all);
        QVERIFY(status.upToDate());
        QCOMPARE(status.appliedVersion, all.back().version);
        // The schema is really there and enforces its rules.
        QCOMPARE(count(c, "SELECT count(*) FROM locations"), 0);
        pqxx::work t(c);
        QVERIFY_THROWS_EXCEPTION(pqxx::check_violation,
                                 t.exec0("INSERT INTO organisations (id, slug, name) VALUES "
                                         "(gen_random_uuid(), 'BAD SLUG', 'x')"));
    }

    void secondRunAppliesNothing()
    {
        TestDatabase db;
        pqxx::connection c(db.conninfo());
        QCOMPARE(applyMigrations(c, embeddedMigrations()), embeddedMigrations().size());
        QCOMPARE(applyMigrations(c, embeddedMigrations()), std::size_t{0});
    }

    void appliesOnlyWhatIsNew()
    {
        TestDatabase db;
        pqxx::connection c(db.conninfo());
        QCOMPARE(applyMigrations(c, std::span(kTwoStep).first(1)), std::size_t{1});
        auto partial = migrationStatus(c, kTwoStep);
        QCOMPARE(partial.appliedVersion, 1);
        QVERIFY(!partial.upToDate());
        QCOMPARE(applyMigrations(c, kTwoStep), std::size_t{1});
        QCOMPARE(count(c, "SELECT count(*) FROM information_schema.columns "
                          "WHERE table_name = 'things' AND column_name = 'name'"),
                 1);
    }

    void changedMigrationIsRefused()
    {
        TestDatabase db;
        pqxx::connection c(db.conninfo());
        applyMigrations(c, kTwoStep);
        const std::array<Migration, 2> edited{{
            {1, "create_things", "CREATE TABLE things (id bigint PRIMARY KEY)"},
            kTwoStep[1],
        }};
        QVERIFY_THROWS_EXCEPTION(MigrationError, applyMigrations(c, edited));
        QVERIFY_THROWS_EXCEPTION(MigrationError, migrationStatus(c, edited));
    }

    void databaseNewerThanBuildIsRefused()
    {
        TestDatabase db;
        pqxx::connection c(db.conninfo());
        applyMigrations(c, kTwoStep);
        QVERIFY_THROWS_EXCEPTION(MigrationError, applyMigrations(c, std::span(kTwoStep).first(1)));
    }

    void failingMigrationRollsBackAndKeepsEarlierOnes()
    {
        TestDatabase db;
        pqxx::connection c(db.conninfo());
        const std::array<Migration, 2> broken{{
            kTwoStep[0],
            {2, "broken", "ALTER TABLE things ADD COLUMN a int; ALTER TABLE nope ADD COLUMN b int"},
        }};
        QVERIFY_THROWS_EXCEPTION(pqxx::sql_error, applyMigrations(c, broken));
        QCOMPARE(migrationStatus(c, broken).appliedVersion, 1);
        // Column "a" came from the failed migration's transaction: rolled back with it.
        QCOMPARE(count(c, "SELECT count(*) FROM information_schema.columns "
                          "WHERE table_name = 'things' AND column_name = 'a'"),
                 0);
    }

    void waitsForTheLockAndCanBeCancelled()
    {
        TestDatabase db;
        pqxx::connection holder(db.conninfo());
        pqxx::nontransaction(holder).exec1("SELECT pg_advisory_lock(x'63636d6967726174'::bigint)");
        pqxx::connection c(db.conninfo());
        int asked = 0;
        QVERIFY_THROWS_EXCEPTION(MigrationCancelled,
                                 applyMigrations(c, kTwoStep, [&] { return ++asked >= 3; }));
        QVERIFY(asked >= 3);
        QCOMPARE(migrationStatus(c, kTwoStep).appliedVersion, 0); // nothing applied
    }

    void concurrentNodesApplyOnce()
    {
        TestDatabase db;
        // Another connection holds the migration lock while both "nodes" start, so they really
        // contend for it when it is released.
        pqxx::connection holder(db.conninfo());
        pqxx::nontransaction(holder).exec1("SELECT pg_advisory_lock(x'63636d6967726174'::bigint)");
        std::size_t applied[2] = {0, 0};
        std::string errors[2];
        auto run = [&](int i) {
            try {
                pqxx::connection c(db.conninfo());
                applied[i] = applyMigrations(c, embeddedMigrations());
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
        };
        std::thread a(run, 0);
        std::thread b(run, 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        pqxx::nontransaction(holder).exec1(
            "SELECT pg_advisory_unlock(x'63636d6967726174'::bigint)");
        a.join();
        b.join();
        QVERIFY2(errors[0].empty() && errors[1].empty(), (errors[0] + errors[1]).c_str());
        QCOMPARE(applied[0] + applied[1], embeddedMigrations().size());
        pqxx::connection c(db.conninfo());
        QCOMPARE(count(c, "SELECT count(*) FROM schema_migrations"),
                 static_cast<int>(embeddedMigrations().size()));
    }
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
