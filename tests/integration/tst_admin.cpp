// Organisation administration over HTTPS against the real server: who may list users, read the
// audit log and disable a user, and that nothing of one organisation (or of a store not one's
// own) is visible to or changeable by another, whatever the caller tries.

#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <pqxx/pqxx>

#include <map>
#include <memory>

using cc::test::ServerProcess;
using cc::test::TestDatabase;
using cc::test::TlsFiles;

namespace {

const std::string kPassword = "correct horse battery";

QJsonObject json(const QByteArray& body)
{
    return QJsonDocument::fromJson(body).object();
}

} // namespace

class TestAdmin : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const QString problem = m_fx.start();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));

        pqxx::connection c(m_fx.db->conninfo());
        for (const char* role : {"admin", "manager", "staff", "executive"}) {
            const auto u =
                cc::test::seedUser(c, "acme", std::string(role) + "@acme.example", kPassword, role);
            m_ids[std::string("acme-") + role] = u.userId;
        }
        m_ids["globex-admin"] =
            cc::test::seedUser(c, "globex", "admin@globex.example", kPassword, "admin").userId;
        m_ids["globex-staff"] =
            cc::test::seedUser(c, "globex", "staff@globex.example", kPassword, "staff").userId;
        // A second acme store, with someone the acme manager does not manage.
        pqxx::work t(c);
        t.exec0("INSERT INTO locations (id, organisation_id, code, name, timezone, main_phone) "
                "SELECT md5('store/acme-2')::uuid, id, 'S-02', 'Harbour Road', 'America/Chicago', "
                "'+13125550100' FROM organisations WHERE slug = 'acme'");
        m_ids["acme-other-store"] =
            t.exec1("INSERT INTO users (id, organisation_id, email, display_name, role, "
                    "password_hash) "
                    "SELECT gen_random_uuid(), id, 'far@acme.example', 'Far Away', 'staff', NULL "
                    "FROM organisations WHERE slug = 'acme' RETURNING id::text")[0]
                .as<std::string>();
        t.exec_params0("INSERT INTO user_locations (user_id, location_id) VALUES ($1, "
                       "md5('store/acme-2')::uuid)",
                       m_ids["acme-other-store"]);
        t.exec0("INSERT INTO audit_log (organisation_id, action) SELECT id, 'globex.secret' "
                "FROM organisations WHERE slug = 'globex'");
        t.commit();

        for (const auto& who : {"admin@acme.example", "manager@acme.example", "staff@acme.example",
                                "executive@acme.example", "admin@globex.example"}) {
            m_tokens[who] =
                signIn(who, who == std::string("admin@globex.example") ? "globex" : "acme");
            QVERIFY2(!m_tokens[who].isEmpty(), who);
        }
    }

    void cleanupTestCase()
    {
        if (m_fx.server) {
            QCOMPARE(m_fx.server->terminate(), 0);
        }
    }

    void roleMatrix_data()
    {
        QTest::addColumn<QString>("who");
        QTest::addColumn<int>("listUsers");
        QTest::addColumn<int>("readAudit");
        QTest::addColumn<int>("disable");
        QTest::addColumn<int>("presence"); // PUT /v1/me/presence: the people calls ring
        QTest::newRow("staff") << "staff@acme.example" << 403 << 403 << 403 << 200;
        QTest::newRow("executive") << "executive@acme.example" << 403 << 403 << 403 << 403;
        QTest::newRow("manager") << "manager@acme.example" << 200 << 403 << 403 << 200;
        QTest::newRow("admin") << "admin@acme.example" << 200 << 200 << 200 << 403;
    }

    void roleMatrix()
    {
        QFETCH(QString, who);
        QFETCH(int, listUsers);
        QFETCH(int, readAudit);
        QFETCH(int, disable);
        QFETCH(int, presence);
        QCOMPARE(get("/v1/admin/users", m_tokens[who]).status, listUsers);
        const auto set = cc::test::httpsPut(
            m_fx.server->baseUrl() + "/v1/me/presence", m_fx.tls.ca(), "{\"status\":\"available\"}",
            10000, {{"Authorization", "Bearer " + m_tokens[who].toLatin1()}});
        QCOMPARE(set.status, presence);
        const std::string userId = m_ids.at("acme-" + who.section('@', 0, 0).toStdString());
        QCOMPARE(presenceOf(userId), std::string(presence == 200 ? "available" : "away"));
        QCOMPARE(get("/v1/admin/audit", m_tokens[who]).status, readAudit);
        // The target is re-enabled after each row so every role meets the same state.
        const auto result =
            post("/v1/admin/users/" + id("acme-other-store") + "/disable", m_tokens[who]);
        QCOMPARE(result.status, disable);
        QCOMPARE(active("acme-other-store"), disable != 200);
        setActive("acme-other-store", true);
    }

    void presenceRefusesWhatItDoesNotKnow()
    {
        const QByteArray auth = "Bearer " + m_tokens["staff@acme.example"].toLatin1();
        const QString url = m_fx.server->baseUrl() + "/v1/me/presence";
        QCOMPARE(cc::test::httpsPut(url, m_fx.tls.ca(), "{\"status\":\"away\"}", 10000,
                                    {{"Authorization", auth}})
                     .status,
                 200);
        for (const QByteArray& body :
             {QByteArray("{\"status\":\"busy\"}"), QByteArray("{\"status\":1}"),
              QByteArray("[\"available\"]"), QByteArray("available"), QByteArray()}) {
            QCOMPARE(cc::test::httpsPut(url, m_fx.tls.ca(), body, 10000, {{"Authorization", auth}})
                         .status,
                     400);
        }
        QCOMPARE(presenceOf(m_ids.at("acme-staff")), std::string("away"));
        QCOMPARE(cc::test::httpsPut(url, m_fx.tls.ca(), "{\"status\":\"available\"}").status, 401);
        QCOMPARE(presenceOf(m_ids.at("acme-staff")), std::string("away"));
    }

    void nobodyWithoutAValidToken()
    {
        for (const QByteArray& header :
             {QByteArray(), QByteArray("Bearer"), QByteArray("Bearer x.y.z"),
              QByteArray("Basic YWRtaW46cGFzcw==")}) {
            QMap<QByteArray, QByteArray> h;
            if (!header.isEmpty()) {
                h.insert("Authorization", header);
            }
            const auto r = cc::test::httpsGet(m_fx.server->baseUrl() + "/v1/admin/users",
                                              m_fx.tls.ca(), 5000, h);
            QCOMPARE(r.status, 401);
            QVERIFY(!r.body.contains("acme"));
        }
    }

    void usersStayInsideTheirOrganisationAndStores()
    {
        const auto admin = json(get("/v1/admin/users", m_tokens["admin@acme.example"]).body);
        QStringList adminSees;
        for (const auto& u : admin.value("users").toArray()) {
            adminSees << u.toObject().value("email").toString();
        }
        QCOMPARE(adminSees.size(), 5); // four roles and the far-away store's staff
        QVERIFY(!adminSees.join(',').contains("globex"));

        const auto manager = json(get("/v1/admin/users", m_tokens["manager@acme.example"]).body);
        QStringList managerSees;
        for (const auto& u : manager.value("users").toArray()) {
            managerSees << u.toObject().value("email").toString();
        }
        QVERIFY(managerSees.contains("staff@acme.example"));
        QVERIFY(!managerSees.contains("far@acme.example")); // not their store
        QVERIFY(!managerSees.join(',').contains("globex"));
    }

    void anotherOrganisationsUserCannotBeTouched()
    {
        const auto r = post("/v1/admin/users/" + id("globex-staff") + "/disable",
                            m_tokens["admin@acme.example"]);
        QCOMPARE(r.status, 404);
        QVERIFY(active("globex-staff"));
        // Exactly what a made-up id gets: nothing tells that the user exists elsewhere.
        const auto madeUp = post("/v1/admin/users/00000000-0000-0000-0000-000000000000/disable",
                                 m_tokens["admin@acme.example"]);
        QCOMPARE(madeUp.status, 404);
        QCOMPARE(madeUp.body, r.body);
        QCOMPARE(post("/v1/admin/users/not-a-uuid/disable", m_tokens["admin@acme.example"]).status,
                 404);
    }

    void auditLogStaysInsideTheOrganisation()
    {
        const auto acme = get("/v1/admin/audit", m_tokens["admin@acme.example"]);
        QCOMPARE(acme.status, 200);
        QVERIFY(!acme.body.contains("globex.secret"));
        const auto globex = get("/v1/admin/audit", m_tokens["admin@globex.example"]);
        QVERIFY(globex.body.contains("globex.secret"));
        // Disabling someone is audited for the organisation that did it.
        QCOMPARE(post("/v1/admin/users/" + id("acme-other-store") + "/disable",
                      m_tokens["admin@acme.example"])
                     .status,
                 200);
        const auto after = json(get("/v1/admin/audit", m_tokens["admin@acme.example"]).body);
        const auto newest = after.value("entries").toArray().first().toObject();
        QCOMPARE(newest.value("action").toString(), QStringLiteral("user.disabled"));
        QCOMPARE(newest.value("targetId").toString(), id("acme-other-store"));
        QCOMPARE(newest.value("actorUserId").toString(), id("acme-admin"));
        setActive("acme-other-store", true);
    }

    void adminsCannotDisableThemselves()
    {
        QCOMPARE(
            post("/v1/admin/users/" + id("acme-admin") + "/disable", m_tokens["admin@acme.example"])
                .status,
            409);
        QVERIFY(active("acme-admin"));
        // Not by spelling their id in capitals either.
        QCOMPARE(post("/v1/admin/users/" + id("acme-admin").toUpper() + "/disable",
                      m_tokens["admin@acme.example"])
                     .status,
                 409);
        QVERIFY(active("acme-admin"));
    }

    void demotionAppliesAtOnce()
    {
        // The access token still says admin, the database no longer does.
        const QString token = signIn("executive@acme.example", "acme");
        {
            pqxx::connection c(m_fx.db->conninfo());
            pqxx::work t(c);
            t.exec0("UPDATE users SET role = 'admin' WHERE email = 'executive@acme.example'");
            t.commit();
        }
        const QString asAdmin = signIn("executive@acme.example", "acme");
        QCOMPARE(get("/v1/admin/audit", asAdmin).status, 200);
        {
            pqxx::connection c(m_fx.db->conninfo());
            pqxx::work t(c);
            t.exec0("UPDATE users SET role = 'executive' WHERE email = 'executive@acme.example'");
            t.commit();
        }
        QCOMPARE(get("/v1/admin/audit", asAdmin).status, 403);
        QCOMPARE(get("/v1/admin/audit", token).status, 403);
    }

    void disabledUsersTokensStopWorking()
    {
        std::string managerId;
        {
            pqxx::connection c(m_fx.db->conninfo());
            managerId =
                cc::test::seedUser(c, "globex", "manager@globex.example", kPassword, "manager")
                    .userId;
        }
        const QString token = signIn("manager@globex.example", "globex");
        QCOMPARE(get("/v1/admin/users", token).status, 200);
        QCOMPARE(post("/v1/admin/users/" + QString::fromStdString(managerId) + "/disable",
                      m_tokens["admin@globex.example"])
                     .status,
                 200);
        // Even an unexpired access token is refused once the sign-in has ended.
        QCOMPARE(get("/v1/admin/users", token).status, 401);
        QCOMPARE(cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/login", m_fx.tls.ca(),
                                     loginBody("manager@globex.example", "globex"))
                     .status,
                 401);
    }

private:
    static QByteArray loginBody(const QString& email, const QString& organisation)
    {
        return QJsonDocument(QJsonObject{{"organisation", organisation},
                                         {"email", email},
                                         {"password", QString::fromStdString(kPassword)},
                                         {"deviceId", "admin-test"}})
            .toJson(QJsonDocument::Compact);
    }

    QString signIn(const QString& email, const QString& organisation)
    {
        const auto r = cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/login", m_fx.tls.ca(),
                                           loginBody(email, organisation));
        return json(r.body).value("accessToken").toString();
    }

    cc::test::HttpResult get(const QString& path, const QString& token)
    {
        return cc::test::httpsGet(m_fx.server->baseUrl() + path, m_fx.tls.ca(), 5000,
                                  {{"Authorization", "Bearer " + token.toLatin1()}});
    }

    cc::test::HttpResult post(const QString& path, const QString& token)
    {
        return cc::test::httpsPost(m_fx.server->baseUrl() + path, m_fx.tls.ca(), "{}",
                                   "application/json", 10000,
                                   {{"Authorization", "Bearer " + token.toLatin1()}});
    }

    QString id(const std::string& key) { return QString::fromStdString(m_ids.at(key)); }

    std::string presenceOf(const std::string& userId)
    {
        pqxx::connection c(m_fx.db->conninfo());
        pqxx::read_transaction t(c);
        return t.exec_params1("SELECT status FROM presence WHERE user_id = $1::uuid", userId)[0]
            .as<std::string>();
    }

    bool active(const std::string& key)
    {
        pqxx::connection c(m_fx.db->conninfo());
        pqxx::read_transaction t(c);
        return t.exec_params1("SELECT active FROM users WHERE id = $1::uuid", m_ids.at(key))[0]
            .as<bool>();
    }

    void setActive(const std::string& key, bool value)
    {
        pqxx::connection c(m_fx.db->conninfo());
        pqxx::work t(c);
        t.exec_params0("UPDATE users SET active = $2 WHERE id = $1::uuid", m_ids.at(key), value);
        t.commit();
    }

    cc::test::ServerFixture m_fx;
    std::map<std::string, std::string> m_ids;
    std::map<QString, QString> m_tokens;
};

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_admin.moc"
