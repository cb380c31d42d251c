// Organisation administration over HTTPS against the real server: who may list users, read the
// audit log, disable a user and read or set routing rules, and that nothing of one organisation
// (or of a store not one's own) is visible to or changeable by another, whatever the caller
// tries.

#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <pqxx/pqxx>

#include <algorithm>
#include <functional>
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
        QTest::newRow("staff") << "staff@acme.example" << 403 << 403 << 403 << 200 << 403 << 403
                               << 403;
        QTest::newRow("executive")
            << "executive@acme.example" << 403 << 403 << 403 << 403 << 403 << 403 << 403;
        QTest::newRow("manager") << "manager@acme.example" << 200 << 403 << 403 << 200 << 200 << 403
                                 << 200;
        QTest::newRow("admin") << "admin@acme.example" << 200 << 200 << 200 << 403 << 200 << 200
                               << 200;
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
