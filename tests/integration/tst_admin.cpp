// Organisation administration over HTTPS against the real server: who may list users, invite,
// change, disable, enable them and reset their passwords, read the audit log (by page and filter)
// and read or set routing rules, and that nothing of one organisation (or of a store not one's
// own) is visible to or changeable by another, whatever the caller tries; and the setup codes
// with which invited people choose their passwords.

#include "server/auth/admin_service.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

#include <pqxx/pqxx>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

        pqxx::connection& c = db();
        for (const char* role : {"admin", "manager", "staff", "executive"}) {
            const auto u =
                cc::test::seedUser(c, "acme", std::string(role) + "@acme.example", kPassword, role);
            m_ids[std::string("acme-") + role] = u.userId;
            m_ids["acme-org"] = u.organisationId;
            m_ids["acme-store"] = u.storeId; // S-01, everyone's (the manager's own)
        }
        const auto globexAdmin =
            cc::test::seedUser(c, "globex", "admin@globex.example", kPassword, "admin");
        m_ids["globex-admin"] = globexAdmin.userId;
        m_ids["globex-store"] = globexAdmin.storeId;
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
        m_ids["acme-store-2"] =
            t.exec1("SELECT md5('store/acme-2')::uuid::text")[0].as<std::string>();
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
        m_db.reset();
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
        QTest::addColumn<int>("presence");      // PUT /v1/me/presence: the people calls ring
        QTest::addColumn<int>("readRules");     // GET /v1/admin/routing-rules
        QTest::addColumn<int>("setOrgRules");   // PUT /v1/admin/routing-rules
        QTest::addColumn<int>("setStoreRules"); // PUT .../stores/{id}, their own store
        QTest::addColumn<int>("invite");        // POST /v1/admin/users
        QTest::addColumn<int>("changeUser");    // PUT /v1/admin/users/{id}
        QTest::addColumn<int>("enable");        // POST /v1/admin/users/{id}/enable
        QTest::addColumn<int>("reset");         // POST /v1/admin/users/{id}/reset-password
        QTest::newRow("staff") << "staff@acme.example" << 403 << 403 << 403 << 200 << 403 << 403
                               << 403 << 403 << 403 << 403 << 403;
        QTest::newRow("executive") << "executive@acme.example" << 403 << 403 << 403 << 403 << 403
                                   << 403 << 403 << 403 << 403 << 403 << 403;
        QTest::newRow("manager") << "manager@acme.example" << 200 << 403 << 403 << 200 << 200 << 403
                                 << 200 << 403 << 403 << 403 << 403;
        QTest::newRow("admin") << "admin@acme.example" << 200 << 200 << 200 << 403 << 200 << 200
                               << 200 << 201 << 200 << 200 << 200;
    }

    void roleMatrix()
    {
        QFETCH(QString, who);
        QFETCH(int, listUsers);
        QFETCH(int, readAudit);
        QFETCH(int, disable);
        QFETCH(int, presence);
        QFETCH(int, readRules);
        QFETCH(int, setOrgRules);
        QFETCH(int, setStoreRules);
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

        const auto rules = get("/v1/admin/routing-rules", m_tokens[who]);
        QCOMPARE(rules.status, readRules);
        QCOMPARE(json(rules.body).contains("organisation"), readRules == 200);
        QCOMPARE(put("/v1/admin/routing-rules", m_tokens[who], R"({"ring_timeout_s": 33})").status,
                 setOrgRules);
        QCOMPARE(rule("", "ring_timeout_s"), setOrgRules == 200 ? "33" : "");
        QCOMPARE(put(storeRules("acme-store"), m_tokens[who], R"({"wrap_up_s": 44})").status,
                 setStoreRules);
        QCOMPARE(rule("acme-store", "wrap_up_s"), setStoreRules == 200 ? "44" : "");
        clearRules();

        // People's accounts: only admins, and a refused request changes nothing at all.
        QFETCH(int, invite);
        QFETCH(int, changeUser);
        QFETCH(int, enable);
        QFETCH(int, reset);
        const std::string before = usersTable();
        const long auditBefore = auditCount();
        const QString email = "matrix-" + who.section('@', 0, 0) + "@acme.example";
        const auto invited = post("/v1/admin/users", m_tokens[who],
                                  inviteBody(email, "Matrix", "staff", {"acme-store"}));
        QCOMPARE(invited.status, invite);
        QCOMPARE(count("SELECT count(*) FROM users WHERE email = '" + email.toStdString() + "'"),
                 invite == 201 ? 1 : 0);
        deleteUser(email);
        const QString far = "/v1/admin/users/" + id("acme-other-store");
        QCOMPARE(put(far, m_tokens[who], R"({"displayName": "Renamed"})").status, changeUser);
        QCOMPARE(scalar("SELECT display_name FROM users WHERE id = '" +
                        m_ids.at("acme-other-store") + "'"),
                 std::string(changeUser == 200 ? "Renamed" : "Far Away"));
        setName("acme-other-store", "Far Away");
        setActive("acme-other-store", false);
        QCOMPARE(post(far + "/enable", m_tokens[who]).status, enable);
        QCOMPARE(active("acme-other-store"), enable == 200);
        setActive("acme-other-store", true);
        const int setups = count("SELECT count(*) FROM password_setups");
        QCOMPARE(post(far + "/reset-password", m_tokens[who]).status, reset);
        QCOMPARE(count("SELECT count(*) FROM password_setups"), setups + (reset == 200 ? 1 : 0));
        if (invite == 403) {
            QCOMPARE(usersTable(), before);
            QCOMPARE(auditCount(), auditBefore);
        }
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

    // Two admins disabling each other at the same moment: the second change finds its admin no
    // longer active (or no longer an admin) once it holds the rows, and changes nothing.
    void anAdminNoLongerAnAdminDisablesNobody()
    {
        const std::string second = cc::test::scalar(
            db(),
            "INSERT INTO users (id, organisation_id, email, display_name, role) VALUES "
            "(gen_random_uuid(), '" +
                m_ids.at("acme-org") +
                "', 'second-admin@acme.example', 'Second Admin', 'admin') RETURNING id::text");
        cc::server::auth::Claims caller;
        caller.userId = second;
        caller.organisationId = m_ids.at("acme-org");
        caller.role = cc::domain::Role::Admin;
        caller.sessionId = "00000000-0000-4000-8000-000000000000";
        {
            pqxx::work tx(db());
            tx.exec0("UPDATE users SET active = false WHERE id = '" + second + "'");
            tx.commit();
        }
        QVERIFY(cc::server::auth::disableUser(db(), caller, m_ids.at("acme-admin"), "") ==
                cc::server::auth::DisableOutcome::Forbidden);
        QVERIFY(active("acme-admin"));
        {
            pqxx::work tx(db());
            tx.exec0("UPDATE users SET active = true, role = 'staff' WHERE id = '" + second + "'");
            tx.commit();
        }
        QVERIFY(cc::server::auth::disableUser(db(), caller, m_ids.at("acme-admin"), "") ==
                cc::server::auth::DisableOutcome::Forbidden);
        QVERIFY(active("acme-admin"));
        pqxx::work tx(db());
        tx.exec0("DELETE FROM users WHERE id = '" + second + "'");
        tx.commit();
    }

    void routingRulesStayInsideTheirOrganisationAndStores()
    {
        clearRules();
        QCOMPARE(put(storeRules("acme-store-2"), m_tokens["admin@acme.example"],
                     R"({"ring_timeout_s": 9})")
                     .status,
                 200);
        const std::string before = rulesTable();
        const auto auditBefore = auditCount();

        // Another organisation's store answers exactly like one that does not exist.
        const auto madeUp =
            put("/v1/admin/routing-rules/stores/00000000-0000-0000-0000-000000000001",
                m_tokens["admin@acme.example"], R"({"ring_timeout_s": 8})");
        QCOMPARE(madeUp.status, 404);
        const auto foreign = put(storeRules("acme-store"), m_tokens["admin@globex.example"],
                                 R"({"ring_timeout_s": 8})");
        QCOMPARE(foreign.status, 404);
        QCOMPARE(foreign.body, madeUp.body);
        QCOMPARE(put(storeRules("acme-store-2"), m_tokens["admin@globex.example"],
                     R"({"ring_timeout_s": null})")
                     .body,
                 madeUp.body);
        // A store of the manager's organisation that is not theirs: the same.
        const auto notTheirs = put(storeRules("acme-store-2"), m_tokens["manager@acme.example"],
                                   R"({"ring_timeout_s": 8})");
        QCOMPARE(notTheirs.status, 404);
        QCOMPARE(notTheirs.body, madeUp.body);
        for (const QString& bad : {QStringLiteral("not-a-uuid"), id("acme-store").toUpper() + "x",
                                   id("acme-store") + "/x"}) {
            QCOMPARE(put("/v1/admin/routing-rules/stores/" + bad, m_tokens["admin@acme.example"],
                         R"({"ring_timeout_s": 8})")
                         .status,
                     404);
        }
        QCOMPARE(rulesTable(), before);
        QCOMPARE(auditCount(), auditBefore);

        // Reading: the acme admin sees both acme stores, the manager only their own, the globex
        // admin only globex's, and nobody another organisation's rules.
        QCOMPARE(storeIdsSeenBy("admin@acme.example"),
                 QStringList({id("acme-store"), id("acme-store-2")}));
        QCOMPARE(storeIdsSeenBy("manager@acme.example"), QStringList({id("acme-store")}));
        QCOMPARE(storeIdsSeenBy("admin@globex.example"), QStringList({id("globex-store")}));
        const auto globex = get("/v1/admin/routing-rules", m_tokens["admin@globex.example"]);
        QVERIFY(!globex.body.contains(id("acme-store").toLatin1()));
        QVERIFY(!globex.body.contains(id("acme-store-2").toLatin1()));
        QCOMPARE(json(globex.body).value("organisation").toObject().value("ring_timeout_s"),
                 QJsonValue());
        // The manager reads the organisation's row (what their store inherits) but cannot set it.
        QCOMPARE(put("/v1/admin/routing-rules", m_tokens["admin@acme.example"],
                     R"({"voicemail_after_s": 200})")
                     .status,
                 200);
        const auto manager =
            json(get("/v1/admin/routing-rules", m_tokens["manager@acme.example"]).body);
        QCOMPARE(manager.value("organisation").toObject().value("voicemail_after_s").toInt(), 200);
        QCOMPARE(put("/v1/admin/routing-rules", m_tokens["manager@acme.example"],
                     R"({"voicemail_after_s": 300})")
                     .status,
                 403);
        QCOMPARE(rule("", "voicemail_after_s"), std::string("200"));
        clearRules();
    }

    void aManagerWhoLeavesAStoreCannotSetItsRules()
    {
        clearRules();
        const QString token = m_tokens["manager@acme.example"];
        QCOMPARE(put(storeRules("acme-store"), token, R"({"missed_pause_s": 10})").status, 200);
        {
            pqxx::connection& c = db();
            pqxx::work t(c);
            t.exec_params0("DELETE FROM user_locations WHERE user_id = $1::uuid",
                           m_ids.at("acme-manager"));
            t.commit();
        }
        // The token is unchanged; the stores are read at the time of the request.
        QCOMPARE(put(storeRules("acme-store"), token, R"({"missed_pause_s": 20})").status, 404);
        QCOMPARE(rule("acme-store", "missed_pause_s"), std::string("10"));
        QVERIFY(storeIdsSeenBy("manager@acme.example").isEmpty());
        {
            pqxx::connection& c = db();
            pqxx::work t(c);
            t.exec_params0("INSERT INTO user_locations (user_id, location_id) VALUES ($1::uuid, "
                           "$2::uuid)",
                           m_ids.at("acme-manager"), m_ids.at("acme-store"));
            t.commit();
        }
        clearRules();
    }

    void routingRulesAreValidatedAndABadBodyChangesNothing_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("named"); // what the message must name
        const auto row = [](const char* name, const QByteArray& body, const QString& named) {
            QTest::newRow(name) << body << named;
        };
        const struct {
            const char* field;
            int min;
            int max;
        } integers[] = {{"ring_timeout_s", 5, 120},
                        {"overflow_after_s", 0, 3600},
                        {"voicemail_after_s", 10, 3600},
                        {"wrap_up_s", 0, 600},
                        {"missed_pause_s", 0, 3600},
                        {"callback_due_minutes", 1, 10080},
                        {"callback_escalate_minutes", 1, 10080}};
        for (const auto& f : integers) {
            const QString field = QString::fromLatin1(f.field);
            const auto body = [&](const QByteArray& value) {
                return "{\"" + field.toLatin1() + "\": " + value + "}";
            };
            row(qPrintable(field + " below"), body(QByteArray::number(f.min - 1)), field);
            row(qPrintable(field + " above"), body(QByteArray::number(f.max + 1)), field);
            row(qPrintable(field + " text"), body("\"" + QByteArray::number(f.min) + "\""), field);
            row(qPrintable(field + " fraction"), body(QByteArray::number(f.min) + ".5"), field);
            row(qPrintable(field + " 30.0"), body("30.0"), field);
            row(qPrintable(field + " bool"), body("true"), field);
            row(qPrintable(field + " object"), body("{}"), field);
        }
        row("ring_timeout_s huge", R"({"ring_timeout_s": 18446744073709551615})", "ring_timeout_s");
        row("ring_timeout_s very negative", R"({"ring_timeout_s": -9223372036854775808})",
            "ring_timeout_s");
        row("overflow_when_closed text", R"({"overflow_when_closed": "true"})",
            "overflow_when_closed");
        row("overflow_when_closed number", R"({"overflow_when_closed": 1})",
            "overflow_when_closed");
        const QByteArray tooLong(501, 'a');
        row("greeting empty", R"({"greeting": ""})", "greeting");
        row("greeting 501", "{\"greeting\": \"" + tooLong + "\"}", "greeting");
        row("greeting blank", R"({"greeting": "   "})", "greeting");
        row("greeting newline", R"({"greeting": "Hello\nthere"})", "greeting");
        row("greeting tab", R"({"greeting": "Hello\tthere"})", "greeting");
        row("greeting bell", R"({"greeting": "Hello\u0007"})", "greeting");
        row("greeting NUL", R"({"greeting": "Hello\u0000"})", "greeting");
        row("greeting DEL", R"({"greeting": "Hello\u007f"})", "greeting");
        row("greeting C1", R"({"greeting": "Hello\u0085"})", "greeting");
        row("greeting number", R"({"greeting": 5})", "greeting");
        // Plain literals from here: moc reads a raw string with "//" or an odd number of quotes
        // as a comment or an open string, and then loses the class.
        const QByteArray host490 = QByteArray(486, 'a') + ".com"; // 490 after https://: the limit
        row("url 491", "{\"hold_music_url\": \"https://" + host490 + "x\"}", "hold_music_url");
        row("url http", "{\"hold_music_url\": \"http://example.com/a.mp3\"}", "hold_music_url");
        row("url ftp", "{\"hold_music_url\": \"ftp://example.com/a.mp3\"}", "hold_music_url");
        row("url scheme only", "{\"hold_music_url\": \"https://\"}", "hold_music_url");
        row("url no host", "{\"hold_music_url\": \"https:///a.mp3\"}", "hold_music_url");
        row("url upper scheme", "{\"hold_music_url\": \"HTTPS://example.com/a.mp3\"}",
            "hold_music_url");
        row("url space", "{\"hold_music_url\": \"https://example.com/a b.mp3\"}", "hold_music_url");
        row("url tab", "{\"hold_music_url\": \"https://example.com/a\\tb.mp3\"}", "hold_music_url");
        row("url angle", "{\"hold_music_url\": \"https://example.com/<a>.mp3\"}", "hold_music_url");
        row("url quote", "{\"hold_music_url\": \"https://example.com/a\\\".mp3\"}",
            "hold_music_url");
        row("url not ascii", "{\"hold_music_url\": \"https://ex\\u00e4mple.com/a.mp3\"}",
            "hold_music_url");
        row("url number", R"({"hold_music_url": 1})", "hold_music_url");
        const auto menu = [](const QByteArray& options) { return "{\"menu\": " + options + "}"; };
        const QByteArray option = R"({"digit": "1", "label": "repairs", "skill": "repairs"})";
        row("menu text", menu(R"("press 1")"), "menu");
        row("menu object", menu(option), "menu");
        row("menu empty", menu("[]"), "menu");
        QByteArray ten = "[";
        for (int i = 0; i < 10; ++i) {
            ten += (i == 0 ? "" : ",") + QByteArray("{\"digit\": \"") +
                   QByteArray::number(i % 9 + 1) + "\", \"label\": \"l\", \"skill\": \"s\"}";
        }
        row("menu ten options", menu(ten + "]"), "menu");
        row("menu option not an object", menu(R"(["repairs"])"), "menu option 1");
        row("menu option unknown field",
            menu(R"([{"digit": "1", "label": "a", "skill": "b", "queue": "x"}])"), "queue");
        row("menu option without skill", menu(R"([{"digit": "1", "label": "a"}])"),
            "menu option 1");
        row("menu digit 0", menu(R"([{"digit": "0", "label": "a", "skill": "b"}])"), "digit");
        row("menu digit number", menu(R"([{"digit": 1, "label": "a", "skill": "b"}])"), "digit");
        row("menu digit two", menu(R"([{"digit": "12", "label": "a", "skill": "b"}])"), "digit");
        row("menu digit twice", menu("[" + option + "," + option + "]"), "menu option 2");
        row("menu label empty", menu(R"([{"digit": "1", "label": "", "skill": "b"}])"), "label");
        row("menu label 61 bytes",
            menu("[{\"digit\": \"1\", \"label\": \"" + QByteArray(61, 'a') +
                 "\", \"skill\": \"b\"}]"),
            "label");
        row("menu label newline", menu(R"([{"digit": "1", "label": "a\nb", "skill": "b"}])"),
            "label");
        row("menu skill 65 bytes",
            menu("[{\"digit\": \"1\", \"label\": \"a\", \"skill\": \"" + QByteArray(65, 's') +
                 "\"}]"),
            "skill");
        row("menu skill blank", menu(R"([{"digit": "1", "label": "a", "skill": " "}])"), "skill");
        row("menu option field twice",
            menu(R"([{"digit": "1", "digit": "2", "label": "a", "skill": "b"}])"), "digit");
        row("unknown field", R"({"ring_timeout": 20})", "ring_timeout");
        row("unknown with a good one", R"({"ring_timeout_s": 30, "organisation_id": null})",
            "organisation_id");
        row("good then bad", R"({"ring_timeout_s": 30, "wrap_up_s": 601})", "wrap_up_s");
        row("bad then good", R"({"wrap_up_s": -1, "ring_timeout_s": 30})", "wrap_up_s");
        // The last of a repeated name would win in the parser: refused instead.
        row("repeated", R"({"ring_timeout_s": 500, "ring_timeout_s": 30})", "ring_timeout_s");
        row("repeated, both good", R"({"wrap_up_s": 5, "ring_timeout_s": 9, "wrap_up_s": 6})",
            "wrap_up_s");
        row("empty object", "{}", "ring_timeout_s"); // the message lists the rules
        row("array", R"([{"ring_timeout_s": 30}])", "JSON object");
        row("string", R"("ring_timeout_s")", "JSON object");
        row("not JSON", "ring_timeout_s=30", "JSON object");
        row("truncated", R"({"ring_timeout_s": 30)", "JSON object");
        row("no body", "", "JSON object");
    }

    void routingRulesAreValidatedAndABadBodyChangesNothing()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, named);
        clearRules();
        QCOMPARE(put(storeRules("acme-store"), m_tokens["admin@acme.example"],
                     R"({"ring_timeout_s": 25, "greeting": "Hi"})")
                     .status,
                 200);
        const std::string before = rulesTable();
        const auto auditBefore = auditCount();
        for (const QString& path : {QStringLiteral("/v1/admin/routing-rules"),
                                    storeRules("acme-store"), storeRules("acme-store-2")}) {
            const auto r = put(path, m_tokens["admin@acme.example"], body);
            QCOMPARE(r.status, 400);
            const QString error = json(r.body).value("error").toString();
            QVERIFY2(error.contains(named), qPrintable(error));
        }
        QCOMPARE(rulesTable(), before);
        QCOMPARE(auditCount(), auditBefore);
        clearRules();
    }

    void routingRulesBoundsAreTheTables()
    {
        // Every bound the API takes, the table takes (and the API refuses one past it, above).
        clearRules();
        const QString admin = m_tokens["admin@acme.example"];
        const std::pair<const char*, std::pair<int, int>> integers[] = {
            {"ring_timeout_s", {5, 120}},
            {"overflow_after_s", {0, 3600}},
            {"voicemail_after_s", {10, 3600}},
            {"wrap_up_s", {0, 600}},
            {"missed_pause_s", {0, 3600}},
            {"callback_due_minutes", {1, 10080}},
            {"callback_escalate_minutes", {1, 10080}}};
        for (const auto& [field, bounds] : integers) {
            for (const int value : {bounds.first, bounds.second}) {
                const QByteArray body =
                    "{\"" + QByteArray(field) + "\": " + QByteArray::number(value) + "}";
                for (const QString& path :
                     {QStringLiteral("/v1/admin/routing-rules"), storeRules("acme-store")}) {
                    const auto r = put(path, admin, body);
                    QVERIFY2(r.status == 200, body + " " + r.body);
                }
                QCOMPARE(rule("", field), std::to_string(value));
                QCOMPARE(rule("acme-store", field), std::to_string(value));
            }
        }
        QCOMPARE(put(storeRules("acme-store"), admin, R"({"overflow_when_closed": false})").status,
                 200);
        QCOMPARE(rule("acme-store", "overflow_when_closed"), std::string("false"));
        // Length in characters, as PostgreSQL counts them: 500 two-byte letters are 500.
        const QString greeting = QString(500, QChar(0x00E9));
        QCOMPARE(put(storeRules("acme-store"), admin,
                     QJsonDocument(QJsonObject{{"greeting", greeting}}).toJson())
                     .status,
                 200);
        QCOMPARE(QString::fromStdString(rule("acme-store", "greeting")), greeting);
        const QByteArray url = "https://" + QByteArray(486, 'a') + ".com";
        QCOMPARE(url.size(), 498);
        QCOMPARE(
            put(storeRules("acme-store"), admin, "{\"hold_music_url\": \"" + url + "\"}").status,
            200);
        QCOMPARE(rule("acme-store", "hold_music_url"), url.toStdString());
        clearRules();
    }

    void nullClearsAnOverrideAndEffectiveValuesMerge()
    {
        clearRules();
        const QString admin = m_tokens["admin@acme.example"];
        const QString manager = m_tokens["manager@acme.example"];
        // Built in: nothing set anywhere.
        auto rules = json(get("/v1/admin/routing-rules", admin).body);
        QCOMPARE(rules.value("defaults").toObject().value("ring_timeout_s").toInt(), 20);
        QCOMPARE(rules.value("defaults").toObject().value("callback_due_minutes").toInt(), 60);
        QCOMPARE(rules.value("defaults").toObject().value("overflow_when_closed").toBool(), true);
        QCOMPARE(effective(rules, "acme-store").value("ring_timeout_s").toInt(), 20);
        QCOMPARE(effective(rules, "acme-store").value("greeting").toString(),
                 QStringLiteral("Thank you for calling Main Street."));
        QVERIFY(effective(rules, "acme-store").value("hold_music_url").isNull());

        // A store's own value wins over the organisation's, which wins over the default.
        QCOMPARE(put(storeRules("acme-store"), manager, R"({"ring_timeout_s": 7})").status, 200);
        QCOMPARE(put("/v1/admin/routing-rules", admin,
                     R"({"ring_timeout_s": 30, "greeting": "Welcome to Acme."})")
                     .status,
                 200);
        rules = json(get("/v1/admin/routing-rules", manager).body);
        QCOMPARE(effective(rules, "acme-store").value("ring_timeout_s").toInt(), 7);
        QCOMPARE(effective(rules, "acme-store").value("greeting").toString(),
                 QStringLiteral("Welcome to Acme."));
        QCOMPARE(storeRow(rules, "acme-store").value("ring_timeout_s").toInt(), 7);
        QVERIFY(storeRow(rules, "acme-store").value("greeting").isNull()); // inherited, not set
        QCOMPARE(storeRow(rules, "acme-store").value("store_code").toString(),
                 QStringLiteral("S-01"));
        rules = json(get("/v1/admin/routing-rules", admin).body);
        QCOMPARE(effective(rules, "acme-store-2").value("ring_timeout_s").toInt(), 30);

        // Setting the same value again changes nothing and is not audited.
        const auto auditBefore = auditCount();
        const auto same = put(storeRules("acme-store"), manager, R"({"ring_timeout_s": 7})");
        QCOMPARE(same.status, 200);
        QCOMPARE(json(same.body).value("status").toString(), QStringLiteral("unchanged"));
        QCOMPARE(auditCount(), auditBefore);
        // Clearing an override that was never set creates nothing either.
        QCOMPARE(put(storeRules("acme-store-2"), admin, R"({"wrap_up_s": null})").status, 200);
        QCOMPARE(rowCount("acme-store-2"), 0);

        // null: the store inherits again; on the organisation, the default returns.
        const auto cleared = put(storeRules("acme-store"), manager, R"({"ring_timeout_s": null})");
        QCOMPARE(cleared.status, 200);
        QVERIFY(json(cleared.body).value("rules").toObject().value("ring_timeout_s").isNull());
        QCOMPARE(rule("acme-store", "ring_timeout_s"), std::string());
        rules = json(get("/v1/admin/routing-rules", admin).body);
        QCOMPARE(effective(rules, "acme-store").value("ring_timeout_s").toInt(), 30);
        QCOMPARE(put("/v1/admin/routing-rules", admin, R"({"ring_timeout_s": null})").status, 200);
        QCOMPARE(rule("", "ring_timeout_s"), std::string());
        QCOMPARE(rule("", "greeting"), std::string("Welcome to Acme.")); // untouched
        rules = json(get("/v1/admin/routing-rules", admin).body);
        QCOMPARE(effective(rules, "acme-store").value("ring_timeout_s").toInt(), 20);
        QCOMPARE(rules.value("organisation").toObject().value("greeting").toString(),
                 QStringLiteral("Welcome to Acme."));
        clearRules();
    }

    void aMenuIsARoutingRule()
    {
        clearRules();
        const QString admin = m_tokens["admin@acme.example"];
        // Nine options, labels and skills as long as the call flow reads them.
        QJsonArray nine;
        for (int i = 1; i <= 9; ++i) {
            nine.append(QJsonObject{{"digit", QString::number(i)},
                                    {"label", QString(60, QChar('a' + i))},
                                    {"skill", QString(64, QChar('a' + i))}});
        }
        QCOMPARE(put("/v1/admin/routing-rules", admin,
                     QJsonDocument(QJsonObject{{"menu", nine}}).toJson())
                     .status,
                 200);
        auto rules = json(get("/v1/admin/routing-rules", admin).body);
        QCOMPARE(rules.value("organisation").toObject().value("menu").toArray(), nine);
        QCOMPARE(effective(rules, "acme-store").value("menu").toArray(), nine);
        QVERIFY(rules.value("defaults").toObject().value("menu").isNull());

        // A store's own menu, options kept in the order given; the same again (jsonb orders an
        // object's keys its own way) is no change.
        const QByteArray repairs =
            "{\"menu\": [{\"skill\": \"repairs\", \"label\": \"repairs\", \"digit\": \"2\"}, "
            "{\"digit\": \"1\", \"label\": \"sales\", \"skill\": \"sales\"}]}";
        QCOMPARE(put(storeRules("acme-store"), m_tokens["manager@acme.example"], repairs).status,
                 200);
        const auto again = put(storeRules("acme-store"), m_tokens["manager@acme.example"], repairs);
        QCOMPARE(json(again.body).value("status").toString(), QStringLiteral("unchanged"));
        rules = json(get("/v1/admin/routing-rules", admin).body);
        const auto storeMenu = effective(rules, "acme-store").value("menu").toArray();
        QCOMPARE(storeMenu.size(), 2);
        QCOMPARE(storeMenu.at(0).toObject(),
                 QJsonObject({{"digit", "2"}, {"label", "repairs"}, {"skill", "repairs"}}));
        QCOMPARE(effective(rules, "acme-store-2").value("menu").toArray(), nine);
        const auto fields = newestAudit().value("detail").toObject().value("fields").toObject();
        QVERIFY(fields.value("menu").toObject().value("old").isNull());
        QCOMPARE(fields.value("menu").toObject().value("new").toArray(), storeMenu);

        // null: the store asks with the organisation's menu again.
        QCOMPARE(put(storeRules("acme-store"), admin, R"({"menu": null})").status, 200);
        rules = json(get("/v1/admin/routing-rules", admin).body);
        QCOMPARE(effective(rules, "acme-store").value("menu").toArray(), nine);
        clearRules();
    }

    void routingRuleChangesAreAudited()
    {
        clearRules();
        QCOMPARE(put(storeRules("acme-store"), m_tokens["manager@acme.example"],
                     R"({"ring_timeout_s": 7, "greeting": "Hello"})")
                     .status,
                 200);
        QCOMPARE(put(storeRules("acme-store"), m_tokens["manager@acme.example"],
                     R"({"ring_timeout_s": 9, "greeting": "Hello"})")
                     .status,
                 200);
        // The first change set both, from nothing.
        const auto first = newestAudit(1).value("detail").toObject().value("fields").toObject();
        QCOMPARE(first.keys(), QStringList({"greeting", "ring_timeout_s"}));
        QCOMPARE(first.value("ring_timeout_s").toObject().value("old"), QJsonValue());
        QCOMPARE(first.value("ring_timeout_s").toObject().value("new").toInt(), 7);
        QCOMPARE(first.value("greeting").toObject().value("new").toString(),
                 QStringLiteral("Hello"));
        auto newest = newestAudit();
        QCOMPARE(newest.value("action").toString(), QStringLiteral("routing_rules.set"));
        QCOMPARE(newest.value("targetType").toString(), QStringLiteral("store"));
        QCOMPARE(newest.value("targetId").toString(), id("acme-store"));
        QCOMPARE(newest.value("actorUserId").toString(), id("acme-manager"));
        auto detail = newest.value("detail").toObject();
        QCOMPARE(detail.value("store_code").toString(), QStringLiteral("S-01"));
        auto fields = detail.value("fields").toObject();
        QCOMPARE(fields.keys(), QStringList({"ring_timeout_s"})); // the greeting did not change
        QCOMPARE(fields.value("ring_timeout_s").toObject().value("old").toInt(), 7);
        QCOMPARE(fields.value("ring_timeout_s").toObject().value("new").toInt(), 9);

        const QByteArray orgRules =
            R"({"overflow_when_closed": false, "greeting": "Welcome to Acme."})";
        QCOMPARE(put("/v1/admin/routing-rules", m_tokens["admin@acme.example"], orgRules).status,
                 200);
        QCOMPARE(put("/v1/admin/routing-rules", m_tokens["admin@acme.example"],
                     R"({"overflow_when_closed": null})")
                     .status,
                 200);
        newest = newestAudit();
        QCOMPARE(newest.value("targetType").toString(), QStringLiteral("organisation"));
        QCOMPARE(newest.value("targetId").toString(), id("acme-org"));
        QCOMPARE(newest.value("actorUserId").toString(), id("acme-admin"));
        fields = newest.value("detail").toObject().value("fields").toObject();
        QCOMPARE(fields.keys(), QStringList({"overflow_when_closed"}));
        QCOMPARE(fields.value("overflow_when_closed").toObject().value("old"), QJsonValue(false));
        QCOMPARE(fields.value("overflow_when_closed").toObject().value("new"), QJsonValue());
        // The other organisation's log does not show it.
        const auto globex = get("/v1/admin/audit", m_tokens["admin@globex.example"]);
        QVERIFY(!globex.body.contains("routing_rules.set"));
        clearRules();
    }

    void demotionAppliesAtOnce()
    {
        // The access token still says admin, the database no longer does.
        const QString token = signIn("executive@acme.example", "acme");
        {
            pqxx::connection& c = db();
            pqxx::work t(c);
            t.exec0("UPDATE users SET role = 'admin' WHERE email = 'executive@acme.example'");
            t.commit();
        }
        const QString asAdmin = signIn("executive@acme.example", "acme");
        QCOMPARE(get("/v1/admin/audit", asAdmin).status, 200);
        {
            pqxx::connection& c = db();
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
            pqxx::connection& c = db();
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

    // ---- people's accounts: invite, change, enable, reset, setup codes ----

    void userRoutesStayInsideTheOrganisation()
    {
        const QString globex = m_tokens["admin@globex.example"];
        const QString madeUp = "/v1/admin/users/00000000-0000-0000-0000-000000000000";
        const QString acmeUser = "/v1/admin/users/" + id("acme-other-store");
        const std::string before = usersTable();
        const long auditBefore = auditCount();
        const int setups = count("SELECT count(*) FROM password_setups");
        setActive("acme-other-store", false);
        const std::string disabledBefore = usersTable();
        // Another organisation's user answers exactly like one that does not exist.
        const QByteArray change = R"({"displayName": "Taken over", "role": "admin"})";
        const auto foreignChange = put(acmeUser, globex, change);
        QCOMPARE(foreignChange.status, 404);
        QCOMPARE(foreignChange.body, put(madeUp, globex, change).body);
        const auto foreignEnable = post(acmeUser + "/enable", globex);
        QCOMPARE(foreignEnable.status, 404);
        QCOMPARE(foreignEnable.body, post(madeUp + "/enable", globex).body);
        const auto foreignReset = post(acmeUser + "/reset-password", globex);
        QCOMPARE(foreignReset.status, 404);
        QCOMPARE(foreignReset.body, post(madeUp + "/reset-password", globex).body);
        QCOMPARE(foreignReset.body, foreignChange.body);
        for (const QString& bad : {QStringLiteral("not-a-uuid"), id("acme-admin") + "x"}) {
            QCOMPARE(put("/v1/admin/users/" + bad, globex, change).status, 404);
            QCOMPARE(post("/v1/admin/users/" + bad + "/enable", globex).status, 404);
            QCOMPARE(post("/v1/admin/users/" + bad + "/reset-password", globex).status, 404);
        }
        QCOMPARE(post(acmeUser + "/unknown-action", globex).status, 404);
        // A store of another organisation is as unknown as a made-up one, in an invite or change.
        const auto foreignStore =
            post("/v1/admin/users", globex,
                 inviteBody("spy@globex.example", "Spy", "staff", {"acme-store"}));
        QCOMPARE(foreignStore.status, 400);
        QVERIFY2(json(foreignStore.body).value("error").toString().contains("store"),
                 foreignStore.body);
        const auto foreignStoreChange =
            put("/v1/admin/users/" + id("globex-staff"), globex,
                "{\"storeIds\": [\"" + id("acme-store").toLatin1() + "\"]}");
        QCOMPARE(foreignStoreChange.status, 400);
        QCOMPARE(usersTable(), disabledBefore);
        QCOMPARE(auditCount(), auditBefore);
        QCOMPARE(count("SELECT count(*) FROM password_setups"), setups);
        setActive("acme-other-store", true);
        QCOMPARE(usersTable(), before);
    }

    void inviteThenSetupThenSignIn()
    {
        const QString admin = m_tokens["admin@acme.example"];
        const auto r =
            post("/v1/admin/users", admin,
                 inviteBody("New.Person@acme.example", "New Person", "staff",
                            {"acme-store", "acme-store-2"}, "acme-store-2", {"repairs", "bikes"}));
        QCOMPARE(r.status, 201);
        const QJsonObject answer = json(r.body);
        const QString code = answer.value("setupCode").toString();
        rememberSecret(code);
        QVERIFY2(QRegularExpression("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
                     .match(code)
                     .hasMatch(),
                 qPrintable(code));
        const QDateTime expires =
            QDateTime::fromString(answer.value("setupExpiresAt").toString(), Qt::ISODate);
        QVERIFY(expires.isValid());
        QVERIFY(qAbs(QDateTime::currentDateTimeUtc().secsTo(expires) - 7 * 86400) < 120);
        const QJsonObject user = answer.value("user").toObject();
        const QString userId = user.value("id").toString();
        QCOMPARE(user.value("email").toString(), QStringLiteral("New.Person@acme.example"));
        QCOMPARE(user.value("name").toString(), QStringLiteral("New Person"));
        QCOMPARE(user.value("role").toString(), QStringLiteral("staff"));
        QCOMPARE(user.value("stores").toArray(), QJsonArray({"S-01", "S-02"}));
        QCOMPARE(user.value("homeStoreId").toString(), id("acme-store-2"));
        QCOMPARE(user.value("skills").toArray(), QJsonArray({"repairs", "bikes"}));
        QVERIFY(!user.value("passwordSet").toBool());
        QVERIFY(user.value("setupPending").toBool());
        QCOMPARE(presenceOf(userId.toStdString()), std::string("away")); // calls can reach them

        // Only the code's SHA-256 is kept.
        const QByteArray normalised = code.toLatin1().replace("-", "");
        QCOMPARE(
            scalar("SELECT encode(code_hash, 'hex') FROM password_setups WHERE user_id = '" +
                   userId.toStdString() + "' AND used_at IS NULL"),
            QCryptographicHash::hash(normalised, QCryptographicHash::Sha256).toHex().toStdString());
        QCOMPARE(count("SELECT count(*) FROM password_setups WHERE position('" +
                       normalised.toStdString() + "' IN encode(code_hash, 'escape')) > 0"),
                 0);

        // Nobody signs in before choosing a password.
        QCOMPARE(login("new.person@acme.example", "acme", "whatever-password").status, 401);
        // The code as a person may type it: lower case, without dashes.
        const QString password = "a brand new password";
        rememberSecret(password);
        const auto set = setupPassword("acme", "new.person@ACME.example",
                                       QString::fromLatin1(normalised).toLower(), password);
        QCOMPARE(set.status, 200);
        QCOMPARE(json(set.body).value("status").toString(), QStringLiteral("password_set"));
        QCOMPARE(login("New.Person@acme.example", "acme", password).status, 200);
        // Once only.
        const auto again =
            setupPassword("acme", "New.Person@acme.example", code, "another new password");
        QCOMPARE(again.status, 401);
        QCOMPARE(login("New.Person@acme.example", "acme", password).status, 200);
        const auto listed = userRow(userId);
        QVERIFY(listed.value("passwordSet").toBool());
        QVERIFY(!listed.value("setupPending").toBool());

        // The same e-mail in another case is the same person: 409, nothing added.
        const int users = count("SELECT count(*) FROM users");
        const auto taken =
            post("/v1/admin/users", admin,
                 inviteBody("NEW.PERSON@ACME.EXAMPLE", "Twin", "staff", {"acme-store"}));
        QCOMPARE(taken.status, 409);
        QCOMPARE(json(taken.body).value("error").toString(), QStringLiteral("email_taken"));
        QCOMPARE(count("SELECT count(*) FROM users"), users);
        // In another organisation it is someone else.
        const auto elsewhere =
            post("/v1/admin/users", m_tokens["admin@globex.example"],
                 inviteBody("new.person@acme.example", "Namesake", "executive", {}));
        QCOMPARE(elsewhere.status, 201);
        rememberSecret(json(elsewhere.body).value("setupCode").toString());

        // Audited, with who, whom and what, and no code.
        const auto entry = newestAuditOf("user.invited", userId);
        QCOMPARE(entry.value("actorUserId").toString(), id("acme-admin"));
        QCOMPARE(entry.value("targetType").toString(), QStringLiteral("user"));
        const QJsonObject detail = entry.value("detail").toObject();
        QCOMPARE(detail.value("role").toString(), QStringLiteral("staff"));
        QCOMPARE(detail.value("store_codes").toArray(), QJsonArray({"S-01", "S-02"}));
        QCOMPARE(detail.value("home_store_code").toString(), QStringLiteral("S-02"));
        const auto setEntry = newestAuditOf("user.password_set", userId);
        QCOMPARE(setEntry.value("actorUserId").toString(), userId);
        QCOMPARE(setEntry.value("detail").toObject().value("purpose").toString(),
                 QStringLiteral("invite"));
    }

    void setupCodeRefusalsLookAlike()
    {
        const QString admin = m_tokens["admin@acme.example"];
        const auto r = post("/v1/admin/users", admin,
                            inviteBody("alike@acme.example", "Alike", "manager", {"acme-store"}));
        QCOMPARE(r.status, 201);
        const QString code = json(r.body).value("setupCode").toString();
        rememberSecret(code);
        const QString userId = json(r.body).value("user").toObject().value("id").toString();
        const QString otherCode = code.startsWith('A') ? "B" + code.mid(1) : "A" + code.mid(1);
        const QString password = "a perfectly good password";

        // Weak passwords are refused before anything about the account is looked at.
        const auto shortOne = setupPassword("acme", "alike@acme.example", code, "too short");
        QCOMPARE(shortOne.status, 400);
        QCOMPARE(json(shortOne.body).value("error").toString(), QStringLiteral("weak_password"));
        const auto itsEmail =
            setupPassword("acme", "alike@acme.example", code, "ALIKE@acme.example");
        QCOMPARE(itsEmail.status, 400);
        QVERIFY(json(itsEmail.body).value("message").toString().contains("e-mail"));
        for (const QByteArray& body :
             {QByteArray("{}"), QByteArray("[]"), QByteArray("not json"),
              QByteArray(R"({"organisation": "acme", "email": "alike@acme.example"})")}) {
            QCOMPARE(cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/setup-password",
                                         m_fx.tls.ca(), body)
                         .status,
                     400);
        }

        const auto wrongCode = setupPassword("acme", "alike@acme.example", otherCode, password);
        const auto unknownEmail = setupPassword("acme", "nobody@acme.example", code, password);
        const auto unknownOrganisation =
            setupPassword("no-such-company", "alike@acme.example", code, password);
        const auto otherOrganisation =
            setupPassword("globex", "alike@acme.example", code, password);
        const auto notACode = setupPassword("acme", "alike@acme.example", "hello", password);
        QCOMPARE(wrongCode.status, 401);
        QCOMPARE(json(wrongCode.body).value("error").toString(),
                 QStringLiteral("invalid_setup_code"));
        for (const auto* other : {&unknownEmail, &unknownOrganisation, &otherOrganisation}) {
            QCOMPARE(other->status, 401);
            QCOMPARE(other->body, wrongCode.body);
        }
        QCOMPARE(notACode.status, 401);
        QCOMPARE(notACode.body, wrongCode.body);

        // Expired: refused alike, even with the right code.
        exec("UPDATE password_setups SET created_at = now() - interval '8 days', expires_at = "
             "now() - interval '1 day' WHERE user_id = '" +
             userId.toStdString() + "'");
        const auto expired = setupPassword("acme", "alike@acme.example", code, password);
        QCOMPARE(expired.status, 401);
        QCOMPARE(expired.body, wrongCode.body);
        QVERIFY(scalar("SELECT coalesce(password_hash, '') FROM users WHERE id = '" +
                       userId.toStdString() + "'")
                    .empty());
        QVERIFY(!userRow(userId).value("setupPending").toBool());
    }

    void setupPasswordAttemptsAreRateLimited()
    {
        const auto r = post("/v1/admin/users", m_tokens["admin@acme.example"],
                            inviteBody("burst@acme.example", "Burst", "staff", {"acme-store"}));
        QCOMPARE(r.status, 201);
        const QString code = json(r.body).value("setupCode").toString();
        rememberSecret(code);
        const QString wrong = code.startsWith('A') ? "B" + code.mid(1) : "A" + code.mid(1);
        // The sign-in budget of the account: 5 at once, then 429 with when to try again, for the
        // right code too.
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(
                setupPassword("acme", "burst@acme.example", wrong, "a good long password").status,
                401);
        }
        const auto limited =
            setupPassword("acme", "Burst@acme.example", wrong, "a good long password");
        QCOMPARE(limited.status, 429);
        QCOMPARE(json(limited.body).value("error").toString(), QStringLiteral("rate_limited"));
        QVERIFY(limited.retryAfter.toInt() > 0);
        QCOMPARE(setupPassword("acme", "burst@acme.example", code, "a good long password").status,
                 429);
        QVERIFY(scalar("SELECT coalesce(password_hash, '') FROM users WHERE email = "
                       "'burst@acme.example'")
                    .empty());
    }

    void resetPasswordEndsSignInsAndTheOldPassword()
    {
        const std::string userId =
            cc::test::seedUser(db(), "acme", "reset.me@acme.example", kPassword, "staff").userId;
        const auto signedIn =
            login("reset.me@acme.example", "acme", QString::fromStdString(kPassword));
        QCOMPARE(signedIn.status, 200);
        const QString refreshToken = json(signedIn.body).value("refreshToken").toString();
        const QString access = json(signedIn.body).value("accessToken").toString();
        QCOMPARE(cc::test::httpsPut(m_fx.server->baseUrl() + "/v1/me/presence", m_fx.tls.ca(),
                                    R"({"status":"available"})", 10000,
                                    {{"Authorization", "Bearer " + access.toLatin1()}})
                     .status,
                 200);

        const QString path = "/v1/admin/users/" + QString::fromStdString(userId);
        const auto r = post(path + "/reset-password", m_tokens["admin@acme.example"]);
        QCOMPARE(r.status, 200);
        const QJsonObject answer = json(r.body);
        QCOMPARE(answer.value("status").toString(), QStringLiteral("reset"));
        QCOMPARE(answer.value("sessionsEnded").toInt(), 1);
        const QString code = answer.value("setupCode").toString();
        rememberSecret(code);
        QVERIFY(!code.isEmpty());
        QCOMPARE(
            scalar("SELECT revoked_reason FROM auth_sessions WHERE user_id = '" + userId + "'"),
            std::string("password reset"));
        // The sign-in is over: its refresh token and its access token are refused.
        QCOMPARE(cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/refresh", m_fx.tls.ca(),
                                     QJsonDocument(QJsonObject{{"refreshToken", refreshToken}})
                                         .toJson(QJsonDocument::Compact))
                     .status,
                 401);
        QCOMPARE(cc::test::httpsPut(m_fx.server->baseUrl() + "/v1/me/presence", m_fx.tls.ca(),
                                    R"({"status":"away"})", 10000,
                                    {{"Authorization", "Bearer " + access.toLatin1()}})
                     .status,
                 401);
        // The old password no longer signs in.
        QCOMPARE(login("reset.me@acme.example", "acme", QString::fromStdString(kPassword)).status,
                 401);
        // A second reset withdraws the first code.
        const auto second = post(path + "/reset-password", m_tokens["admin@acme.example"]);
        QCOMPARE(second.status, 200);
        QCOMPARE(json(second.body).value("sessionsEnded").toInt(), 0);
        const QString newCode = json(second.body).value("setupCode").toString();
        rememberSecret(newCode);
        QCOMPARE(count("SELECT count(*) FROM password_setups WHERE user_id = '" + userId +
                       "' AND used_at IS NULL AND withdrawn_at IS NULL"),
                 1);
        const QString password = "my second password ever";
        rememberSecret(password);
        QCOMPARE(setupPassword("acme", "reset.me@acme.example", code, password).status, 401);
        QCOMPARE(setupPassword("acme", "reset.me@acme.example", newCode, password).status, 200);
        QCOMPARE(login("reset.me@acme.example", "acme", password).status, 200);

        const auto entry = newestAuditOf("user.password_reset", QString::fromStdString(userId));
        QCOMPARE(entry.value("actorUserId").toString(), id("acme-admin"));
        QCOMPARE(entry.value("detail").toObject().value("sessions_ended").toInt(), 0);
        QCOMPARE(newestAuditOf("user.password_set", QString::fromStdString(userId))
                     .value("detail")
                     .toObject()
                     .value("purpose")
                     .toString(),
                 QStringLiteral("reset"));

        // Not one's own: that would sign the admin out with no way back in.
        const auto self = post("/v1/admin/users/" + id("acme-admin") + "/reset-password",
                               m_tokens["admin@acme.example"]);
        QCOMPARE(self.status, 409);
        QCOMPARE(json(self.body).value("error").toString(),
                 QStringLiteral("cannot_reset_yourself"));
        QVERIFY(!scalar("SELECT coalesce(password_hash, '') FROM users WHERE id = '" +
                        m_ids.at("acme-admin") + "'")
                     .empty());
    }

    void enableAfterDisableSignsInAgain()
    {
        const std::string userId =
            cc::test::seedUser(db(), "acme", "comeback@acme.example", kPassword, "staff").userId;
        const QString path = "/v1/admin/users/" + QString::fromStdString(userId);
        const QString admin = m_tokens["admin@acme.example"];
        QCOMPARE(post(path + "/disable", admin).status, 200);
        QCOMPARE(login("comeback@acme.example", "acme", QString::fromStdString(kPassword)).status,
                 401);
        const auto enabled = post(path + "/enable", admin);
        QCOMPARE(enabled.status, 200);
        QCOMPARE(json(enabled.body).value("status").toString(), QStringLiteral("enabled"));
        QCOMPARE(login("comeback@acme.example", "acme", QString::fromStdString(kPassword)).status,
                 200);
        const long audits = auditCount();
        const auto again = post(path + "/enable", admin);
        QCOMPARE(again.status, 200);
        QCOMPARE(json(again.body).value("status").toString(), QStringLiteral("already_active"));
        QCOMPARE(auditCount(), audits); // nothing happened, nothing recorded
        QCOMPARE(newestAuditOf("user.enabled", QString::fromStdString(userId))
                     .value("actorUserId")
                     .toString(),
                 id("acme-admin"));
    }

    void changeRoleStoresAndDetails()
    {
        const QString admin = m_tokens["admin@acme.example"];
        const std::string userId =
            cc::test::seedUser(db(), "acme", "mover@acme.example", kPassword, "staff").userId;
        const QString path = "/v1/admin/users/" + QString::fromStdString(userId);
        const auto signedIn =
            login("mover@acme.example", "acme", QString::fromStdString(kPassword));
        QCOMPARE(signedIn.status, 200);
        const QString refreshToken = json(signedIn.body).value("refreshToken").toString();

        // A promotion with a second store: both apply, and the sign-in (whose token says
        // "staff") ends.
        const auto promoted =
            put(path, admin,
                "{\"role\": \"manager\", \"storeIds\": [\"" + id("acme-store").toLatin1() +
                    "\", \"" + id("acme-store-2").toLatin1() + "\"]}");
        QCOMPARE(promoted.status, 200);
        QCOMPARE(json(promoted.body).value("status").toString(), QStringLiteral("updated"));
        QCOMPARE(json(promoted.body).value("sessionsEnded").toInt(), 1);
        QCOMPARE(json(promoted.body).value("user").toObject().value("role").toString(),
                 QStringLiteral("manager"));
        QCOMPARE(scalar("SELECT role FROM users WHERE id = '" + userId + "'"),
                 std::string("manager"));
        QCOMPARE(count("SELECT count(*) FROM user_locations WHERE user_id = '" + userId + "'"), 2);
        QCOMPARE(cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/refresh", m_fx.tls.ca(),
                                     QJsonDocument(QJsonObject{{"refreshToken", refreshToken}})
                                         .toJson(QJsonDocument::Compact))
                     .status,
                 401);
        auto entry = newestAuditOf("user.changed", QString::fromStdString(userId));
        QJsonObject fields = entry.value("detail").toObject().value("fields").toObject();
        QCOMPARE(fields.keys(), QStringList({"role", "store_codes"}));
        QCOMPARE(fields.value("role").toObject().value("old").toString(), QStringLiteral("staff"));
        QCOMPARE(fields.value("store_codes").toObject().value("new").toArray(),
                 QJsonArray({"S-01", "S-02"}));

        // Stores only: the home store leaves with its store; the sign-in stays.
        const auto again = login("mover@acme.example", "acme", QString::fromStdString(kPassword));
        const QString refresh2 = json(again.body).value("refreshToken").toString();
        const auto moved =
            put(path, admin, "{\"storeIds\": [\"" + id("acme-store-2").toLatin1() + "\"]}");
        QCOMPARE(moved.status, 200);
        QCOMPARE(json(moved.body).value("sessionsEnded").toInt(), 0);
        QCOMPARE(scalar("SELECT home_location_id::text FROM users WHERE id = '" + userId + "'"),
                 m_ids.at("acme-store-2"));
        QCOMPARE(cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/refresh", m_fx.tls.ca(),
                                     QJsonDocument(QJsonObject{{"refreshToken", refresh2}})
                                         .toJson(QJsonDocument::Compact))
                     .status,
                 200);
        fields = newestAuditOf("user.changed", QString::fromStdString(userId))
                     .value("detail")
                     .toObject()
                     .value("fields")
                     .toObject();
        QCOMPARE(fields.keys(), QStringList({"home_store_code", "store_codes"}));
        QCOMPARE(fields.value("home_store_code").toObject().value("new").toString(),
                 QStringLiteral("S-02"));

        // Name and skills; then the same again is no change and no audit entry.
        const QByteArray details = R"({"displayName": "Mo Ver", "skills": ["tills"]})";
        QCOMPARE(put(path, admin, details).status, 200);
        QCOMPARE(scalar("SELECT display_name || '/' || array_to_string(skills, ',') FROM users "
                        "WHERE id = '" +
                        userId + "'"),
                 std::string("Mo Ver/tills"));
        const long audits = auditCount();
        const auto same = put(path, admin, details);
        QCOMPARE(same.status, 200);
        QCOMPARE(json(same.body).value("status").toString(), QStringLiteral("unchanged"));
        QCOMPARE(auditCount(), audits);

        // Refused, and nothing changes: a home store not among the stores, staff without a store.
        const std::string before = usersTable();
        const auto home =
            put(path, admin, "{\"homeStoreId\": \"" + id("acme-store").toLatin1() + "\"}");
        QCOMPARE(home.status, 400);
        QVERIFY(json(home.body).value("error").toString().contains("homeStoreId"));
        const auto storeless = put(path, admin, R"({"role": "staff", "storeIds": []})");
        QCOMPARE(storeless.status, 400);
        QVERIFY(json(storeless.body).value("error").toString().contains("store"));
        QCOMPARE(usersTable(), before);
        QCOMPARE(auditCount(), audits);
    }

    void nobodyChangesTheirOwnRole()
    {
        const QString admin = m_tokens["admin@acme.example"];
        const QString me = "/v1/admin/users/" + id("acme-admin");
        for (const QString& path :
             {me, me.toUpper().replace("/V1/ADMIN/USERS/", "/v1/admin/users/")}) {
            const auto r = put(path, admin, R"({"role": "executive"})");
            QVERIFY2(r.status == 409, qPrintable(path + " " + r.body));
            QCOMPARE(json(r.body).value("error").toString(),
                     QStringLiteral("cannot_change_own_role"));
        }
        QCOMPARE(scalar("SELECT role FROM users WHERE id = '" + m_ids.at("acme-admin") + "'"),
                 std::string("admin"));
        // The same role is no change; their own name is theirs to change.
        QCOMPARE(json(put(me, admin, R"({"role": "admin"})").body).value("status").toString(),
                 QStringLiteral("unchanged"));
        QCOMPARE(put(me, admin, R"({"displayName": "Acme Admin"})").status, 200);
        QCOMPARE(
            scalar("SELECT display_name FROM users WHERE id = '" + m_ids.at("acme-admin") + "'"),
            std::string("Acme Admin"));
        // Another admin may change this one's role; the demoted admin's sign-in ends with it,
        // so they cannot answer in kind (and two admins demoting each other at once are
        // serialised by the row locks, taken in one order: the second finds itself no admin).
        const std::string second =
            cc::test::seedUser(db(), "acme", "second.admin@acme.example", kPassword, "admin")
                .userId;
        const QString secondToken = signIn("second.admin@acme.example", "acme");
        QCOMPARE(put("/v1/admin/users/" + QString::fromStdString(second), admin,
                     R"({"role": "executive"})")
                     .status,
                 200);
        // Their sign-in ended with the role change.
        QCOMPARE(put(me, secondToken, R"({"role": "staff"})").status, 401);
        QCOMPARE(scalar("SELECT role FROM users WHERE id = '" + m_ids.at("acme-admin") + "'"),
                 std::string("admin"));
    }

    void userBodiesAreValidated_data()
    {
        QTest::addColumn<bool>("invite"); // POST /v1/admin/users, else PUT /v1/admin/users/{id}
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("named");
        const auto inv = [](const char* name, const QByteArray& body, const QString& named) {
            QTest::newRow(name) << true << body << named;
        };
        const auto chg = [](const char* name, const QByteArray& body, const QString& named) {
            QTest::newRow(name) << false << body << named;
        };
        const QByteArray ok = "\"displayName\": \"A\", \"role\": \"staff\", \"storeIds\": [STORE]";
        inv("invite without email", "{" + ok + "}", "email");
        inv("invite email without at", "{\"email\": \"nobody\", " + ok + "}", "email");
        inv("invite email with space", "{\"email\": \"a b@c.d\", " + ok + "}", "email");
        inv("invite email two ats", "{\"email\": \"a@b@c\", " + ok + "}", "email");
        inv("invite email 255",
            "{\"email\": \"" + QByteArray(246, 'a') + "@acme.com\", " + ok + "}", "email");
        inv("invite email number", "{\"email\": 5, " + ok + "}", "email");
        inv("invite role unknown",
            R"({"email": "x@acme.example", "displayName": "A", "role": "boss", "storeIds": [STORE]})",
            "role");
        inv("invite staff without store",
            R"({"email": "x@acme.example", "displayName": "A", "role": "staff", "storeIds": []})",
            "store");
        inv("invite without storeIds",
            R"({"email": "x@acme.example", "displayName": "A", "role": "admin"})", "storeIds");
        inv("invite home not among stores",
            R"({"email": "x@acme.example", "displayName": "A", "role": "staff", "storeIds": [STORE], "homeStoreId": "00000000-0000-0000-0000-000000000009"})",
            "homeStoreId");
        inv("invite unknown field",
            R"({"email": "x@acme.example", "displayName": "A", "role": "staff", "storeIds": [STORE], "password": "x"})",
            "password");
        inv("invite repeated field",
            R"({"email": "x@acme.example", "email": "y@acme.example", "displayName": "A", "role": "staff", "storeIds": [STORE]})",
            "email");
        inv("invite unknown store",
            R"({"email": "x@acme.example", "displayName": "A", "role": "staff", "storeIds": ["00000000-0000-0000-0000-000000000009"]})",
            "store");
        chg("empty", "{}", "nothing to change");
        chg("array", "[]", "JSON object");
        chg("not JSON", "role=admin", "JSON object");
        chg("unknown field", R"({"email": "new@acme.example"})", "email");
        chg("name empty", R"({"displayName": ""})", "displayName");
        chg("name blank", R"({"displayName": "   "})", "displayName");
        chg("name newline", R"({"displayName": "a\nb"})", "displayName");
        chg("name C1", R"({"displayName": "a\u0085"})", "displayName");
        chg("name 201", "{\"displayName\": \"" + QByteArray(201, 'n') + "\"}", "displayName");
        chg("role number", R"({"role": 1})", "role");
        chg("stores text", R"({"storeIds": "S-01"})", "storeIds");
        chg("store not an id", R"({"storeIds": ["S-01"]})", "storeIds");
        chg("store twice", "{\"storeIds\": [STORE, STORE]}", "twice");
        chg("home not an id", R"({"homeStoreId": "S-01"})", "homeStoreId");
        chg("skill empty", R"({"skills": [""]})", "skill");
        chg("skill 65", "{\"skills\": [\"" + QByteArray(65, 's') + "\"]}", "skill");
        chg("skill twice", R"({"skills": ["a", "a"]})", "twice");
        chg("skills not a list", R"({"skills": "a"})", "skills");
        chg("too deep", R"({"skills": [["a"]]})", "skill");
    }

    void userBodiesAreValidated()
    {
        QFETCH(bool, invite);
        QFETCH(QByteArray, body);
        QFETCH(QString, named);
        body.replace("STORE", "\"" + id("acme-store").toLatin1() + "\"");
        const std::string before = usersTable();
        const long audits = auditCount();
        const auto r = invite ? post("/v1/admin/users", m_tokens["admin@acme.example"], body)
                              : put("/v1/admin/users/" + id("acme-staff"),
                                    m_tokens["admin@acme.example"], body);
        QCOMPARE(r.status, 400);
        const QString error = json(r.body).value("error").toString();
        QVERIFY2(error.contains(named), qPrintable(error));
        // The message that lists every field names them all: only a body that is no JSON
        // object at all may get it.
        QVERIFY2(named == "JSON object" || !error.startsWith("expected a JSON object"),
                 qPrintable(error));
        QCOMPARE(usersTable(), before);
        QCOMPARE(auditCount(), audits);
    }

    void auditLogPagesAndFilters()
    {
        const QString admin = m_tokens["admin@acme.example"];
        // Known entries: one a day through January 2020 on things 1..25, every third by the
        // admin; and two whose actions differ only where LIKE would see a wildcard.
        exec("INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, "
             "target_id, created_at) SELECT '" +
             m_ids.at("acme-org") + "', CASE WHEN n % 3 = 0 THEN '" + m_ids.at("acme-admin") +
             "'::uuid END, 'paging.test', 'thing', n::text, "
             "timestamptz '2020-01-01 12:00:00+00' + (n - 1) * interval '1 day' "
             "FROM generate_series(1, 25) n");
        exec("INSERT INTO audit_log (organisation_id, action) VALUES ('" + m_ids.at("acme-org") +
             "', 'paging_x.a'), ('" + m_ids.at("acme-org") + "', 'pagingyx.b')");
        const QStringList all = auditIds("SELECT id FROM audit_log WHERE organisation_id = '" +
                                         m_ids.at("acme-org") + "' ORDER BY id DESC");
        QVERIFY(all.size() > 30);

        // Every page newest first, none overlapping, together the whole log.
        QStringList seen;
        QString before;
        int pages = 0;
        for (;;) {
            const auto r = get(
                "/v1/admin/audit?limit=7" + (before.isEmpty() ? "" : "&before=" + before), admin);
            QCOMPARE(r.status, 200);
            const QJsonObject page = json(r.body);
            const QJsonArray entries = page.value("entries").toArray();
            QVERIFY(entries.size() <= 7);
            for (const auto& e : entries) {
                seen << QString::number(e.toObject().value("id").toInteger());
            }
            ++pages;
            if (!page.contains("nextBefore")) {
                break;
            }
            QCOMPARE(entries.size(), 7);
            before = QString::number(page.value("nextBefore").toInteger());
            QCOMPARE(before, seen.last());
            QVERIFY(pages < 100);
        }
        QCOMPARE(seen, all);
        QCOMPARE(pages, (static_cast<int>(all.size()) + 6) / 7);

        // Each filter narrows to exactly what it says.
        const auto ids = [&](const QString& query) {
            const auto r = get("/v1/admin/audit?" + query, admin);
            QStringList out;
            for (const auto& e : json(r.body).value("entries").toArray()) {
                out << QString::number(e.toObject().value("id").toInteger());
            }
            return r.status == 200 ? out : QStringList({"status " + QString::number(r.status)});
        };
        const std::string org = "organisation_id = '" + m_ids.at("acme-org") + "'";
        QCOMPARE(ids("action=paging."), auditIds("SELECT id FROM audit_log WHERE " + org +
                                                 " AND action = 'paging.test' ORDER BY id DESC"));
        QCOMPARE(ids("action=paging_"),
                 auditIds("SELECT id FROM audit_log WHERE " + org + " AND action = 'paging_x.a'"));
        QCOMPARE(ids("action=user.").size(), count("SELECT count(*) FROM audit_log WHERE " + org +
                                                   " AND action LIKE 'user.%'"));
        QCOMPARE(ids("limit=50&actor=" + id("acme-admin").toUpper()),
                 auditIds("SELECT id FROM audit_log WHERE " + org + " AND actor_user_id = '" +
                          m_ids.at("acme-admin") + "' ORDER BY id DESC LIMIT 50"));
        QCOMPARE(ids("action=paging.&actor=" + id("acme-admin")).size(), 8);
        QCOMPARE(ids("targetType=thing&targetId=3"),
                 auditIds("SELECT id FROM audit_log WHERE " + org +
                          " AND target_type = 'thing' AND target_id = '3'"));
        QCOMPARE(ids("targetType=thing").size(), 25);
        // Dates are UTC days, the last one included; a time is an instant, the end excluded.
        QCOMPARE(ids("from=2020-01-05&to=2020-01-07"),
                 auditIds("SELECT id FROM audit_log WHERE " + org +
                          " AND target_id IN ('5', '6', '7') AND target_type = 'thing' ORDER BY "
                          "id DESC"));
        QCOMPARE(ids("from=2020-01-05T12:00:00Z&to=2020-01-07T12:00:00Z").size(), 2);
        QCOMPARE(ids("to=2020-01-02").size(), 2);
        QCOMPARE(ids("from=2020-01-25&to=2020-01-31").size(), 1);
        // A filter pages too.
        const auto first = json(get("/v1/admin/audit?targetType=thing&limit=10", admin).body);
        QCOMPARE(first.value("entries").toArray().size(), 10);
        const QString next = QString::number(first.value("nextBefore").toInteger());
        QCOMPARE(ids("targetType=thing&limit=10&before=" + next).size(), 10);
        // Another organisation's admin filtering by an acme person sees nothing of acme.
        const auto globex =
            get("/v1/admin/audit?actor=" + id("acme-admin"), m_tokens["admin@globex.example"]);
        QCOMPARE(globex.status, 200);
        QCOMPARE(json(globex.body).value("entries").toArray().size(), 0);
        // Names come with the ids.
        const auto named =
            json(get("/v1/admin/audit?action=paging.&actor=" + id("acme-admin") + "&limit=1", admin)
                     .body)
                .value("entries")
                .toArray()
                .first()
                .toObject();
        QCOMPARE(named.value("actorName").toString(), QStringLiteral("Acme Admin"));

        for (const QString& bad :
             {QStringLiteral("limit=0"), QStringLiteral("limit=201"), QStringLiteral("limit=x"),
              QStringLiteral("before=-1"), QStringLiteral("before=0"),
              QStringLiteral("actor=nobody"), QStringLiteral("from=2020-13-01"),
              QStringLiteral("from=2021-02-29"), QStringLiteral("to=2020-01-01T25:00:00Z"),
              QStringLiteral("from=2020-01-07&to=2020-01-05"), QStringLiteral("colour=red"),
              QStringLiteral("limit=5&limit=6"), QStringLiteral("action=")}) {
            const auto r = get("/v1/admin/audit?" + bad, admin);
            QVERIFY2(r.status == 400, qPrintable(bad + " " + r.body));
        }
    }

    void everyChangeIsAuditedWithoutSecrets()
    {
        // Each kind of change left its entry (the tests above), by an actor, about a user.
        for (const char* action : {"user.invited", "user.changed", "user.enabled", "user.disabled",
                                   "user.password_reset", "user.password_set"}) {
            QVERIFY2(count("SELECT count(*) FROM audit_log WHERE action = '" + std::string(action) +
                           "' AND actor_user_id IS NOT NULL AND target_type = 'user' AND "
                           "target_id IS NOT NULL") > 0,
                     action);
        }
        // No setup code (as shown or as typed) and no password anywhere in the log, nor a code in
        // the codes' own table.
        QVERIFY(m_secrets.size() >= 8);
        const std::string log = scalar("SELECT string_agg(detail::text || ' ' || action || ' ' || "
                                       "coalesce(target_id, ''), E'\\n') FROM audit_log");
        const std::string setups =
            scalar("SELECT string_agg(encode(code_hash, 'escape'), E'\\n') FROM password_setups");
        for (const QString& secret : m_secrets) {
            for (const QString& form : {secret, QString(secret).remove('-')}) {
                QVERIFY2(log.find(form.toStdString()) == std::string::npos, qPrintable(form));
                QVERIFY2(setups.find(form.toStdString()) == std::string::npos, qPrintable(form));
            }
        }
    }

private:
    // ---- for the account tests ----

    QByteArray inviteBody(const QString& email, const QString& name, const QString& role,
                          const std::vector<std::string>& storeKeys,
                          const std::string& homeKey = {}, const QStringList& skills = {})
    {
        QJsonArray stores;
        for (const auto& key : storeKeys) {
            stores.append(id(key));
        }
        QJsonObject body{{"email", email},
                         {"displayName", name},
                         {"role", role},
                         {"storeIds", stores},
                         {"skills", QJsonArray::fromStringList(skills)}};
        if (!homeKey.empty()) {
            body.insert("homeStoreId", id(homeKey));
        }
        return QJsonDocument(body).toJson(QJsonDocument::Compact);
    }

    // Sign-in and setup answers as they come: a 429 here is what a test looks at, not a reason
    // to wait.
    cc::test::HttpResult login(const QString& email, const QString& organisation,
                               const QString& password)
    {
        return cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/login", m_fx.tls.ca(),
                                   QJsonDocument(QJsonObject{{"organisation", organisation},
                                                             {"email", email},
                                                             {"password", password},
                                                             {"deviceId", "admin-test"}})
                                       .toJson(QJsonDocument::Compact));
    }

    cc::test::HttpResult setupPassword(const QString& organisation, const QString& email,
                                       const QString& code, const QString& password)
    {
        return cc::test::httpsPost(m_fx.server->baseUrl() + "/v1/auth/setup-password",
                                   m_fx.tls.ca(),
                                   QJsonDocument(QJsonObject{{"organisation", organisation},
                                                             {"email", email},
                                                             {"code", code},
                                                             {"password", password}})
                                       .toJson(QJsonDocument::Compact));
    }

    // A person as the acme admin's list shows them.
    QJsonObject userRow(const QString& userId)
    {
        const auto list = json(get("/v1/admin/users", m_tokens["admin@acme.example"]).body);
        for (const auto& u : list.value("users").toArray()) {
            if (u.toObject().value("id").toString() == userId) {
                return u.toObject();
            }
        }
        return {};
    }

    // The newest entry of the acme log with this action about this target (the filters at work).
    QJsonObject newestAuditOf(const QString& action, const QString& targetId)
    {
        const auto log =
            json(get("/v1/admin/audit?limit=1&action=" + action + "&targetId=" + targetId,
                     m_tokens["admin@acme.example"])
                     .body);
        return log.value("entries").toArray().first().toObject();
    }

    QStringList auditIds(const std::string& sql)
    {
        pqxx::nontransaction t(db());
        QStringList out;
        for (const auto& row : t.exec(sql)) {
            out << QString::fromStdString(row[0].as<std::string>());
        }
        return out;
    }

    // Every user and their stores, to show that a refused request changed none.
    std::string usersTable()
    {
        return scalar("SELECT (SELECT jsonb_agg(to_jsonb(u) ORDER BY u.id) FROM users u)::text "
                      "|| (SELECT coalesce(jsonb_agg(to_jsonb(ul) ORDER BY ul.user_id, "
                      "ul.location_id), '[]') FROM user_locations ul)::text");
    }

    std::string scalar(const std::string& sql) { return cc::test::scalar(db(), sql); }
    int count(const std::string& sql) { return std::stoi(scalar(sql)); }

    void exec(const std::string& sql)
    {
        pqxx::work t(db());
        t.exec0(sql);
        t.commit();
    }

    void deleteUser(const QString& email)
    {
        pqxx::work t(db());
        t.exec_params0("DELETE FROM users WHERE email = $1", email.toStdString());
        t.commit();
    }

    void setName(const std::string& key, const std::string& name)
    {
        pqxx::work t(db());
        t.exec_params0("UPDATE users SET display_name = $2 WHERE id = $1::uuid", m_ids.at(key),
                       name);
        t.commit();
    }

    cc::test::HttpResult post(const QString& path, const QString& token, const QByteArray& body)
    {
        return patiently([&] {
            return cc::test::httpsPost(m_fx.server->baseUrl() + path, m_fx.tls.ca(), body,
                                       "application/json", 10000,
                                       {{"Authorization", "Bearer " + token.toLatin1()}});
        });
    }

    // Every setup code and chosen password of these tests: none may reach the audit log.
    void rememberSecret(const QString& secret) { m_secrets << secret; }
    QStringList m_secrets;

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

    // The node's per-address budget (50 requests/s, bursts of 200) is not what these tests are
    // about, and they send hundreds of requests from one address: a 429 waits its Retry-After
    // and asks again (the budget itself is tested in tst_server).
    static cc::test::HttpResult patiently(const std::function<cc::test::HttpResult()>& request)
    {
        cc::test::HttpResult r = request();
        for (int attempt = 0; r.status == 429 && attempt < 5; ++attempt) {
            QTest::qWait(1000 * std::max(1, r.retryAfter.toInt()));
            r = request();
        }
        return r;
    }

    cc::test::HttpResult get(const QString& path, const QString& token)
    {
        return patiently([&] {
            return cc::test::httpsGet(m_fx.server->baseUrl() + path, m_fx.tls.ca(), 5000,
                                      {{"Authorization", "Bearer " + token.toLatin1()}});
        });
    }

    cc::test::HttpResult put(const QString& path, const QString& token, const QByteArray& body)
    {
        return patiently([&] {
            return cc::test::httpsPut(m_fx.server->baseUrl() + path, m_fx.tls.ca(), body, 10000,
                                      {{"Authorization", "Bearer " + token.toLatin1()}});
        });
    }

    QString storeRules(const std::string& key)
    {
        return "/v1/admin/routing-rules/stores/" + id(key);
    }

    QStringList storeIdsSeenBy(const QString& who)
    {
        const auto body = json(get("/v1/admin/routing-rules", m_tokens[who]).body);
        QStringList ids;
        for (const auto& s : body.value("stores").toArray()) {
            ids << s.toObject().value("store_id").toString();
        }
        QStringList effectiveIds;
        for (const auto& s : body.value("effective").toArray()) {
            effectiveIds << s.toObject().value("store_id").toString();
        }
        return ids == effectiveIds ? ids : QStringList({"stores and effective differ"});
    }

    QJsonObject storeRow(const QJsonObject& rules, const std::string& key)
    {
        for (const auto& s : rules.value("stores").toArray()) {
            if (s.toObject().value("store_id").toString() == id(key)) {
                return s.toObject();
            }
        }
        return {};
    }

    QJsonObject effective(const QJsonObject& rules, const std::string& key)
    {
        for (const auto& s : rules.value("effective").toArray()) {
            if (s.toObject().value("store_id").toString() == id(key)) {
                return s.toObject();
            }
        }
        return {};
    }

    // The acme audit log's newest entry (skip: how many newer ones to pass over).
    QJsonObject newestAudit(int skip = 0)
    {
        const auto log = json(get("/v1/admin/audit", m_tokens["admin@acme.example"]).body);
        return log.value("entries").toArray().at(skip).toObject();
    }

    // One rule as PostgreSQL has it (text form; empty for NULL or no row), of the acme
    // organisation's row (storeKey empty) or a store's.
    std::string rule(const std::string& storeKey, const std::string& field)
    {
        pqxx::connection& c = db();
        pqxx::read_transaction t(c);
        const auto r =
            t.exec_params("SELECT coalesce(" + t.quote_name(field) +
                              "::text, '') FROM routing_rules WHERE organisation_id = $1::uuid AND "
                              "location_id IS NOT DISTINCT FROM $2::uuid",
                          m_ids.at("acme-org"),
                          storeKey.empty() ? std::optional<std::string>() : m_ids.at(storeKey));
        return r.empty() ? std::string() : r[0][0].as<std::string>();
    }

    int rowCount(const std::string& storeKey)
    {
        pqxx::connection& c = db();
        pqxx::read_transaction t(c);
        return t
            .exec_params1("SELECT count(*) FROM routing_rules WHERE location_id = $1::uuid",
                          m_ids.at(storeKey))[0]
            .as<int>();
    }

    // Every row of every organisation, to show that a refused request changed none.
    std::string rulesTable()
    {
        pqxx::connection& c = db();
        pqxx::read_transaction t(c);
        return t
            .exec1("SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY organisation_id, "
                   "location_id NULLS FIRST), '[]')::text FROM routing_rules r")[0]
            .as<std::string>();
    }

    long auditCount()
    {
        pqxx::connection& c = db();
        pqxx::read_transaction t(c);
        return t.exec1("SELECT count(*) FROM audit_log")[0].as<long>();
    }

    void clearRules()
    {
        pqxx::connection& c = db();
        pqxx::work t(c);
        t.exec0("DELETE FROM routing_rules");
        t.commit();
    }

    cc::test::HttpResult post(const QString& path, const QString& token)
    {
        return patiently([&] {
            return cc::test::httpsPost(m_fx.server->baseUrl() + path, m_fx.tls.ca(), "{}",
                                       "application/json", 10000,
                                       {{"Authorization", "Bearer " + token.toLatin1()}});
        });
    }

    // One connection for the test's own reads and writes: a new one per check costs a TLS-less
    // but still slow start under the sanitizers, hundreds of times.
    pqxx::connection& db()
    {
        if (!m_db) {
            m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        }
        return *m_db;
    }

    QString id(const std::string& key) { return QString::fromStdString(m_ids.at(key)); }

    std::string presenceOf(const std::string& userId)
    {
        pqxx::connection& c = db();
        pqxx::read_transaction t(c);
        return t.exec_params1("SELECT status FROM presence WHERE user_id = $1::uuid", userId)[0]
            .as<std::string>();
    }

    bool active(const std::string& key)
    {
        pqxx::connection& c = db();
        pqxx::read_transaction t(c);
        return t.exec_params1("SELECT active FROM users WHERE id = $1::uuid", m_ids.at(key))[0]
            .as<bool>();
    }

    void setActive(const std::string& key, bool value)
    {
        pqxx::connection& c = db();
        pqxx::work t(c);
        t.exec_params0("UPDATE users SET active = $2 WHERE id = $1::uuid", m_ids.at(key), value);
        t.commit();
    }

    cc::test::ServerFixture m_fx;

    std::unique_ptr<pqxx::connection> m_db;
    std::map<std::string, std::string> m_ids;
    std::map<QString, QString> m_tokens;
};

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_admin.moc"
