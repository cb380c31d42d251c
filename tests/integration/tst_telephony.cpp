// Twilio's voice webhooks against the real server and PostgreSQL, with this test playing Twilio:
// signatures (good, bad, missing, another account's), malformed and oversize requests, unknown
// numbers, the routing of a call to the best person online, an unanswered offer moving on, an
// answered call's timings, abandoned and queued callers, closed stores (overflow, voicemail,
// holidays, each store's own clock), duplicate and out-of-order callbacks, and the fallback URL.
// Staff are real devices (the app's connection, cache and sync client): being connected is what
// makes them routable, and their caches show the call and its callback task as it happens.

#include "server/crypto/secretbox.h"
#include "server/telephony/directory.h"
#include "shared/telephony/twilio.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/serverprocess.h"
#include "tests/support/syncdevice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <pqxx/pqxx>

#include <map>
#include <memory>

using cc::telephony::FormParams;
using cc::test::SyncDevice;

namespace {

const std::string kAccountSid = "AC0123456789abcdef0123456789abcdef";
const std::string kAuthToken = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
const std::string kOtherAccountSid = "ACfedcba9876543210fedcba9876543210";
const std::string kOtherAuthToken = "00112233445566778899aabbccddeeff";

// Numbers callers dial.
const std::string kNumberA = "+15550001001";     // store A, region North, open all day
const std::string kNumberB = "+15550001002";     // store B, region North, open all day
const std::string kNumberC = "+15550001003";     // store C, region North, no hours: closed
const std::string kNumberD = "+15550001004";     // store D, no region, open all day
const std::string kNumberE = "+15550001005";     // store E, no region, holiday today
const std::string kNumberK = "+15550001006";     // store K, Pacific/Kiritimati (UTC+14)
const std::string kOtherNumber = "+15550009999"; // the other organisation's store

QString sid(const char* prefix)
{
    QString s = QString::fromLatin1(prefix);
    for (int i = 0; i < 32; ++i) {
        s += QString::number(QRandomGenerator::global()->bounded(16), 16);
    }
    return s;
}

std::string field(pqxx::connection& c, const std::string& sql)
{
    pqxx::work tx(c);
    const pqxx::result r = tx.exec(sql);
    tx.commit();
    return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

std::string sqlText(const std::string& s)
{
    return "'" + s + "'";
}

} // namespace

class TestTelephony : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    std::string m_org, m_otherOrg;
    std::map<std::string, std::string> m_store; // code -> id
    std::map<std::string, std::string> m_user;  // name -> id
    std::map<std::string, std::unique_ptr<SyncDevice>> m_device;
    std::map<std::string, std::string> m_token;

    std::string q(const std::string& sql) { return field(*m_db, sql); }

    // Signs like Twilio: the full URL requested plus the sorted POST parameters.
    cc::test::HttpResult post(const QString& pathAndQuery, const FormParams& params,
                              const std::string& token = kAuthToken,
                              std::optional<QByteArray> signature = std::nullopt)
    {
        const QString url = m_fx.server->baseUrl() + pathAndQuery;
        const QByteArray sig = signature ? *signature
                                         : QByteArray::fromStdString(cc::telephony::twilioSignature(
                                               token, url.toStdString(), params));
        QMap<QByteArray, QByteArray> headers;
        if (!sig.isEmpty()) {
            headers.insert("X-Twilio-Signature", sig);
        }
        return cc::test::httpsPost(url, m_fx.tls.ca(),
                                   QByteArray::fromStdString(cc::telephony::formUrlEncode(params)),
                                   "application/x-www-form-urlencoded", 10000, headers);
    }

    static FormParams callParams(const QString& callSid, const std::string& from,
                                 const std::string& to, const std::string& status = "ringing",
                                 const std::string& account = kAccountSid)
    {
        return {{"AccountSid", account},
                {"ApiVersion", "2010-04-01"},
                {"CallSid", callSid.toStdString()},
                {"CallStatus", status},
                {"Called", to},
                {"Caller", from},
                {"Direction", "inbound"},
                {"From", from},
                {"To", to}};
    }

    // A call arrives; returns the TwiML.
    QByteArray incoming(const QString& callSid, const std::string& to,
                        const std::string& from = "+447700900123")
    {
        const auto r = post("/twilio/voice", callParams(callSid, from, to));
        if (r.status != 200) {
            qWarning() << "voice webhook:" << r.status << r.body << r.error;
        }
        return r.body;
    }

    // The decision id in the <Dial> action of this TwiML ("...dial?d=17"), or 0.
    static QString dialAction(const QByteArray& twiml)
    {
        const qsizetype at = twiml.indexOf("/twilio/voice/dial?d=");
        if (at < 0) {
            return {};
        }
        const qsizetype start = at + 21;
        qsizetype end = start;
        while (end < twiml.size() && std::isdigit(static_cast<unsigned char>(twiml[end]))) {
            ++end;
        }
        return QString::fromLatin1(twiml.mid(start, end - start));
    }

    // The decision id of the queue turn in this TwiML ("...wait?d=17"), or empty.
    static QString waitTurn(const QByteArray& twiml)
    {
        const QByteArray marker = "/twilio/voice/wait?d=";
        const qsizetype at = twiml.indexOf(marker);
        if (at < 0) {
            return {};
        }
        qsizetype end = at + marker.size();
        while (end < twiml.size() && std::isdigit(static_cast<unsigned char>(twiml[end]))) {
            ++end;
        }
        return QString::fromLatin1(twiml.mid(at + marker.size(), end - at - marker.size()));
    }

    bool setPresence(const std::string& who, const char* status)
    {
        QNetworkAccessManager nam;
        QNetworkRequest req(QUrl(m_fx.server->baseUrl() + "/v1/me/presence"));
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        req.setRawHeader("Authorization", QByteArray("Bearer ") + m_token[who].c_str());
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(m_fx.tls.ca());
        req.setSslConfiguration(tls);
        QNetworkReply* reply = nam.put(req, QByteArray("{\"status\":\"") + status + "\"}");
        QSignalSpy done(reply, &QNetworkReply::finished);
        done.wait(10000);
        const int code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        return code == 200;
    }

    // Only `who` (of the people of stores A and B) is available: the rest are away.
    void onlyAvailable(std::initializer_list<const char*> who)
    {
        for (const char* name : {"a1", "a2", "b1", "d1", "d2", "k1"}) {
            const bool on = std::find_if(who.begin(), who.end(), [&](const char* w) {
                                return std::string(w) == name;
                            }) != who.end();
            QVERIFY(setPresence(name, on ? "available" : "away"));
        }
        // Nobody carries a pause or a call from an earlier test.
        q("UPDATE presence SET paused_until = NULL, activity = 'idle', call_id = NULL, "
          "activity_until = NULL");
    }

    std::string callStatus(const QString& callSid)
    {
        return q("SELECT status FROM calls WHERE provider_call_id = " +
                 sqlText(callSid.toStdString()));
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
        m_otherOrg = tx.exec1("INSERT INTO organisations (id, slug, name) VALUES "
                              "(gen_random_uuid(), 'rival', 'Rival') RETURNING id::text")[0]
                         .as<std::string>();
        const std::string north =
            tx.exec1("INSERT INTO regions (id, organisation_id, name) VALUES (gen_random_uuid(), " +
                     sqlText(m_org) + ", 'North') RETURNING id::text")[0]
                .as<std::string>();
        const auto store = [&](const std::string& org, const std::string& code,
                               const std::string& region, const std::string& tz,
                               const std::string& number) {
            const std::string id =
                tx.exec1("INSERT INTO locations (id, organisation_id, region_id, code, name, "
                         "timezone, main_phone) VALUES (gen_random_uuid(), " +
                         sqlText(org) + ", " + (region.empty() ? "NULL" : sqlText(region)) + ", " +
                         sqlText(code) + ", 'Store " + code + "', " + sqlText(tz) + ", " +
                         sqlText("+1555100" + number.substr(8)) + ") RETURNING id::text")[0]
                    .as<std::string>();
            tx.exec("INSERT INTO phone_numbers (number, organisation_id, location_id) VALUES (" +
                    sqlText(number) + ", " + sqlText(org) + ", " + sqlText(id) + ")");
            m_store[code] = id;
            return id;
        };
        const auto openAllDay = [&](const std::string& storeId) {
            tx.exec("INSERT INTO location_hours (location_id, weekday, opens_at, closes_at) "
                    "SELECT " +
                    sqlText(storeId) + ", d, '00:00', '24:00' FROM generate_series(1, 7) d");
        };
        openAllDay(store(m_org, "A", north, "America/New_York", kNumberA));
        openAllDay(store(m_org, "B", north, "America/Chicago", kNumberB));
        store(m_org, "C", north, "America/Denver", kNumberC);
        openAllDay(store(m_org, "D", "", "Europe/London", kNumberD));
        const std::string e = store(m_org, "E", "", "UTC", kNumberE);
        openAllDay(e);
        tx.exec("INSERT INTO location_holidays (location_id, day, name) VALUES (" + sqlText(e) +
                ", (now() AT TIME ZONE 'UTC')::date, 'Stocktaking')");
        // Open for two hours around its own local time now, every day: open only when the
        // server reads the time in the store's zone (UTC+14 is 14 hours from the database's).
        const std::string k = store(m_org, "K", "", "Pacific/Kiritimati", kNumberK);
        tx.exec("INSERT INTO location_hours (location_id, weekday, opens_at, closes_at) SELECT " +
                sqlText(k) +
                ", d, CASE WHEN t.lt < '01:00' THEN '00:00'::time ELSE (t.lt - interval '1 "
                "hour')::time "
                "END, CASE WHEN t.lt >= '23:00' THEN '24:00'::time ELSE (t.lt + interval '1 "
                "hour')::time END FROM generate_series(1, 7) d, "
                "LATERAL (SELECT (now() AT TIME ZONE 'Pacific/Kiritimati')::time AS lt) t");
        store(m_otherOrg, "X", "", "UTC", kOtherNumber);

        const auto user = [&](const std::string& name, const std::string& role,
                              const std::string& code) {
            const std::string id =
                tx.exec1("INSERT INTO users (id, organisation_id, email, display_name, role, "
                         "home_location_id) VALUES (gen_random_uuid(), " +
                         sqlText(m_org) + ", '" + name + "@acme.example', 'Person " + name + "', " +
                         sqlText(role) + ", " + sqlText(m_store[code]) + ") RETURNING id::text")[0]
                    .as<std::string>();
            tx.exec("INSERT INTO user_locations (user_id, location_id) VALUES (" + sqlText(id) +
                    ", " + sqlText(m_store[code]) + ")");
            m_user[name] = id;
        };
        user("a1", "staff", "A");
        user("a2", "staff", "A");
        user("b1", "staff", "B");
        user("d1", "staff", "D");
        user("d2", "staff", "D");
        user("k1", "staff", "K");
        user("mgr", "manager", "A");
        // a1 repairs things (menuChoiceFindsTheSkill); nobody else has a skill.
        tx.exec("UPDATE users SET skills = '{repairs}' WHERE id = " + sqlText(m_user["a1"]));
        tx.exec("INSERT INTO routing_rules (organisation_id, ring_timeout_s, overflow_after_s, "
                "voicemail_after_s, wrap_up_s, missed_pause_s, callback_due_minutes) VALUES (" +
                sqlText(m_org) + ", 10, 3600, 600, 30, 60, 30)");
        tx.commit();

        const cc::server::crypto::SecretBox secrets(
            cc::server::crypto::parseSecretKeys(cc::test::kTestSecretsKeys).value());
        QVERIFY(!cc::server::telephony::setTwilioAccount(*m_db, secrets, "acme", kAccountSid,
                                                         kAuthToken));
        QVERIFY(!cc::server::telephony::setTwilioAccount(*m_db, secrets, "rival", kOtherAccountSid,
                                                         kOtherAuthToken));

        // Everyone who takes calls is signed in on a tablet; the manager watches from a desktop.
        for (const auto& [name, id] : m_user) {
            m_token[name] = cc::test::issueAccessToken(*m_db, id, name + "-tablet");
            m_device[name] = std::make_unique<SyncDevice>(m_fx.server->wsUrl(), m_fx.tls.ca(),
                                                          m_token[name], name + "-tablet");
            m_device[name]->connect();
            QVERIFY2(m_device[name]->waitLive(), name.c_str());
        }
        QVERIFY(SyncDevice::waitFor(
            [&] { return q("SELECT count(*) FROM presence WHERE devices > 0") == "7"; }, 10000));

        // The number directory follows the account just set (NOTIFY): wait until it answers.
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return post("/twilio/voice/fallback",
                            callParams(sid("CA"), "+447700900001", kNumberA))
                           .status == 200;
            },
            10000));
    }

    void cleanupTestCase()
    {
        m_device.clear();
        if (m_fx.server) {
            QCOMPARE(m_fx.stop(), 0);
        }
    }

    // ---- who is asking ----

    void refusesUnsignedAndBadlySigned()
    {
        const QString callSid = sid("CA");
        const auto params = callParams(callSid, "+447700900123", kNumberA);
        QCOMPARE(post("/twilio/voice", params, kAuthToken, QByteArray()).status, 403);
        QCOMPARE(
            post("/twilio/voice", params, kAuthToken, QByteArray("AAAAAAAAAAAAAAAAAAAAAAAAAAA="))
                .status,
            403);
        QCOMPARE(post("/twilio/voice", params, "wrong-token-wrong-token").status, 403);
        // Signed for other parameters than those sent.
        const QString url = m_fx.server->baseUrl() + "/twilio/voice";
        auto tampered = params;
        const QByteArray sigOfOriginal = QByteArray::fromStdString(
            cc::telephony::twilioSignature(kAuthToken, url.toStdString(), params));
        tampered.back().second = kNumberB;
        QCOMPARE(post("/twilio/voice", tampered, kAuthToken, sigOfOriginal).status, 403);
        // Another organisation's account cannot speak for this one's numbers, even signed.
        const auto rival =
            post("/twilio/voice",
                 callParams(callSid, "+447700900123", kNumberA, "ringing", kOtherAccountSid),
                 kOtherAuthToken);
        QCOMPARE(rival.status, 200);
        QVERIFY(rival.body.contains("not in service"));
        // An account nobody set up.
        QCOMPARE(post("/twilio/voice", callParams(callSid, "+447700900123", kNumberA, "ringing",
                                                  "AC99999999999999999999999999999999"))
                     .status,
                 403);
        QCOMPARE(q("SELECT count(*) FROM calls WHERE provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("0"));
    }

    void refusesMalformedRequests()
    {
        const int callsBefore = std::stoi(q("SELECT count(*) FROM calls"));
        auto params = callParams("CA123", "+447700900123", kNumberA);
        QCOMPARE(post("/twilio/voice", params).status, 400); // not a CallSid
        params = callParams(sid("CA"), std::string(33, '1'), kNumberA);
        QCOMPARE(post("/twilio/voice", params).status, 400); // oversize From
        params = callParams(sid("CA"), "+447700900123", kNumberA);
        params.erase(params.begin() + 7); // no From
        QCOMPARE(post("/twilio/voice", params).status, 400);
        params = callParams(sid("CA"), "+447700900123", kNumberA, "exploded");
        QCOMPARE(post("/twilio/voice", params).status, 400);
        // A body past the server's limit, and one that is not a form.
        const QString url = m_fx.server->baseUrl() + "/twilio/voice";
        // The server answers 413 and closes at once; a client still sending may see the close
        // (status 0) before the answer. Refused either way, which is what matters here.
        const int oversize = cc::test::httpsPost(url, m_fx.tls.ca(), QByteArray(70 * 1024, 'a'),
                                                 "application/x-www-form-urlencoded")
                                 .status;
        QVERIFY2(oversize == 413 || oversize == 0, qPrintable(QString::number(oversize)));
        QCOMPARE(cc::test::httpsPost(url, m_fx.tls.ca(), "{}", "application/json").status, 415);
        QCOMPARE(cc::test::httpsPost(url, m_fx.tls.ca(), "CallSid=%G1",
                                     "application/x-www-form-urlencoded")
                     .status,
                 400);
        QCOMPARE(std::stoi(q("SELECT count(*) FROM calls")), callsBefore);
    }

    void unknownNumberIsNotInService()
    {
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, "+15559999999");
        QVERIFY2(twiml.contains("not in service"), twiml.constData());
        QVERIFY(twiml.contains("<Hangup/>"));
        // The other organisation's number, signed with this organisation's token: not ours.
        QVERIFY(incoming(sid("CA"), kOtherNumber).contains("not in service"));
        QCOMPARE(q("SELECT count(*) FROM calls WHERE provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("0"));
    }

    // ---- routing ----

    void ringsTheBestAvailablePerson()
    {
        onlyAvailable({"a1", "a2"});
        // a2 has been idle longer: fairness rings a2.
        q("UPDATE presence SET idle_since = now() - interval '30 minutes' WHERE user_id = " +
          sqlText(m_user["a2"]));
        q("UPDATE presence SET idle_since = now() - interval '2 minutes' WHERE user_id = " +
          sqlText(m_user["a1"]));
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberA);
        QVERIFY2(twiml.contains("<Client"), twiml.constData());
        QVERIFY2(twiml.contains(QByteArray::fromStdString(m_user["a2"]) + "</Client>"),
                 twiml.constData());
        QVERIFY(twiml.contains("Thank you for calling Store A."));
        QVERIFY(!dialAction(twiml).isEmpty());
        QCOMPARE(callStatus(callSid), std::string("ringing"));
        const std::string callId =
            q("SELECT id FROM calls WHERE provider_call_id = " + sqlText(callSid.toStdString()));
        QCOMPARE(q("SELECT offered_to FROM calls WHERE id = " + sqlText(callId)), m_user["a2"]);
        QCOMPARE(q("SELECT activity FROM presence WHERE user_id = " + sqlText(m_user["a2"])),
                 std::string("ringing"));
        // The decision explains itself: both people, scored.
        const auto explanation = QJsonDocument::fromJson(QByteArray::fromStdString(
            q("SELECT explanation FROM call_decisions WHERE call_id = " + sqlText(callId))));
        QCOMPARE(explanation["action"].toString(), QStringLiteral("offer"));
        QVERIFY(explanation["candidates"].toArray().size() >= 2);
        // The ringing call reaches a2's tablet (its screen-pop) and the manager's.
        QVERIFY(SyncDevice::waitFor(
            [&] {
                const auto row = m_device["a2"]->store().row("calls", callId);
                const auto* offered = row ? cc::sync::find(*row, "offered_to") : nullptr;
                return offered != nullptr && std::get_if<std::string>(offered) != nullptr &&
                       std::get<std::string>(*offered) == m_user["a2"];
            },
            10000));
        QVERIFY(SyncDevice::waitFor(
            [&] { return m_device["mgr"]->store().row("calls", callId).has_value(); }, 10000));
        // The caller hangs up while it rings: the status callback, then the <Dial> action.
        QCOMPARE(post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"))
                     .status,
                 200);
        auto canceled = callParams(callSid, "+447700900123", kNumberA, "completed");
        canceled.push_back({"DialCallStatus", "canceled"});
        QCOMPARE(post("/twilio/voice/dial?d=" + dialAction(twiml), canceled).status, 200);
        QCOMPARE(callStatus(callSid), std::string("abandoned"));
        QCOMPARE(q("SELECT activity || '/' || (paused_until IS NULL) FROM presence WHERE "
                   "user_id = " +
                   sqlText(m_user["a2"])),
                 std::string("idle/true")); // not paused: the caller hung up, a2 missed nothing
    }

    void duplicateWebhookIsAppliedOnce()
    {
        onlyAvailable({"a1"});
        const QString callSid = sid("CA");
        const QByteArray first = incoming(callSid, kNumberA);
        const QByteArray second = incoming(callSid, kNumberA);
        QCOMPARE(second, first);
        QCOMPARE(q("SELECT count(*) FROM calls WHERE provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("1"));
        QCOMPARE(q("SELECT count(*) FROM call_decisions d JOIN calls c ON c.id = d.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("1"));
        // The same status twice, the same action twice: one abandoned call, one callback task.
        const auto done = callParams(callSid, "+447700900123", kNumberA, "completed");
        QCOMPARE(post("/twilio/status", done).status, 200);
        QCOMPARE(post("/twilio/status", done).status, 200);
        auto canceled = done;
        canceled.push_back({"DialCallStatus", "canceled"});
        QCOMPARE(post("/twilio/voice/dial?d=" + dialAction(first), canceled).status, 200);
        QCOMPARE(post("/twilio/voice/dial?d=" + dialAction(first), canceled).status, 200);
        QCOMPARE(callStatus(callSid), std::string("abandoned"));
        QCOMPARE(q("SELECT count(*) FROM tasks t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("1"));
    }

    void unansweredOfferMovesToTheNextPerson()
    {
        onlyAvailable({"a1", "a2"});
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberA);
        const QString decision = dialAction(twiml);
        QVERIFY(!decision.isEmpty());
        const std::string first = q("SELECT offered_to FROM calls WHERE provider_call_id = " +
                                    sqlText(callSid.toStdString()));
        auto params = callParams(callSid, "+447700900123", kNumberA, "in-progress");
        params.push_back({"DialCallStatus", "no-answer"});
        const auto next = post("/twilio/voice/dial?d=" + decision, params);
        QCOMPARE(next.status, 200);
        const std::string second = q("SELECT offered_to FROM calls WHERE provider_call_id = " +
                                     sqlText(callSid.toStdString()));
        QVERIFY(!second.empty());
        QVERIFY(second != first);
        QVERIFY2(next.body.contains(QByteArray::fromStdString(second) + "</Client>"),
                 next.body.constData());
        QVERIFY(!next.body.contains("Thank you for calling")); // greeted once
        // The one who missed it is paused, and idle again.
        QCOMPARE(q("SELECT paused_until > now() FROM presence WHERE user_id = " + sqlText(first)),
                 std::string("t"));
        QCOMPARE(q("SELECT activity FROM presence WHERE user_id = " + sqlText(first)),
                 std::string("idle"));
        // Nobody left: the second person misses it too, and the caller waits in the queue
        // (someone could become free? no: both are paused, so voicemail).
        params.back().second = "busy";
        const auto last = post("/twilio/voice/dial?d=" + dialAction(next.body), params);
        QVERIFY2(last.body.contains("<Record"), last.body.constData());
        QCOMPARE(callStatus(callSid), std::string("voicemail"));
        QCOMPARE(q("SELECT count(*) FROM tasks t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString()) + " AND t.kind = 'callback'"),
                 std::string("1"));
    }

    void answeredCallKeepsItsTimings()
    {
        onlyAvailable({"a1"});
        const QString callSid = sid("CA");
        const QString decision = dialAction(incoming(callSid, kNumberA));
        QVERIFY(!decision.isEmpty());
        FormParams leg{{"AccountSid", kAccountSid},
                       {"CallSid", sid("CA").toStdString()},
                       {"ParentCallSid", callSid.toStdString()},
                       {"CallStatus", "in-progress"},
                       {"Direction", "outbound-dial"},
                       {"From", "+447700900123"},
                       {"To", "client:" + m_user["a1"]}};
        QCOMPARE(post("/twilio/voice/leg?d=" + decision, leg).status, 200);
        QCOMPARE(callStatus(callSid), std::string("in_progress"));
        QCOMPARE(q("SELECT handled_by FROM calls WHERE provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 m_user["a1"]);
        QCOMPARE(q("SELECT activity FROM presence WHERE user_id = " + sqlText(m_user["a1"])),
                 std::string("on_call"));
        // The caller hangs up first: the status callback arrives before the <Dial> action.
        QCOMPARE(post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"))
                     .status,
                 200);
        auto dial = callParams(callSid, "+447700900123", kNumberA, "completed");
        dial.push_back({"DialCallStatus", "completed"});
        dial.push_back({"DialCallDuration", "42"});
        const auto end = post("/twilio/voice/dial?d=" + decision, dial);
        QCOMPARE(end.status, 200);
        QVERIFY(end.body.contains("<Hangup/>"));
        QCOMPARE(callStatus(callSid), std::string("completed"));
        QCOMPARE(q("SELECT answered_at IS NOT NULL AND ended_at >= answered_at FROM calls WHERE "
                   "provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("t"));
        // Wrap-up once, counted once, whatever the order.
        QCOMPARE(q("SELECT activity || '/' || calls_today FROM presence WHERE user_id = " +
                   sqlText(m_user["a1"])),
                 std::string("wrap_up/1"));
        QCOMPARE(q("SELECT count(*) FROM tasks t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("0"));
    }

    void waitingCallerCanAskForACallback()
    {
        // d1 is on another call: the caller waits (d1 may become free) and presses 1.
        onlyAvailable({"d1"});
        q("UPDATE presence SET activity = 'on_call' WHERE user_id = " + sqlText(m_user["d1"]));
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberD);
        QVERIFY2(twiml.contains("<Gather"), twiml.constData());
        QVERIFY(twiml.contains("Press 1"));
        const QString firstTurn = waitTurn(twiml);
        QVERIFY(!firstTurn.isEmpty());
        // A turn in the queue: still waiting.
        const auto turn = post("/twilio/voice/wait?d=" + firstTurn,
                               callParams(callSid, "+447700900555", kNumberD, "in-progress"));
        const QString secondTurn = waitTurn(turn.body);
        QVERIFY2(!secondTurn.isEmpty() && secondTurn != firstTurn, turn.body.constData());
        QVERIFY(turn.body.contains("/twilio/voice/choice?d=" + secondTurn.toLatin1()));
        auto press = callParams(callSid, "+447700900555", kNumberD, "in-progress");
        press.push_back({"Digits", "1"});
        const auto chosen = post("/twilio/voice/choice?d=" + secondTurn, press);
        QVERIFY(chosen.body.contains("call you back"));
        QCOMPARE(callStatus(callSid), std::string("callback"));
        // Hanging up now is not abandoning.
        QCOMPARE(post("/twilio/status", callParams(callSid, "+447700900555", kNumberD, "completed"))
                     .status,
                 200);
        QCOMPARE(callStatus(callSid), std::string("callback"));
        const std::string title = q("SELECT title FROM tasks t JOIN calls c ON c.id = t.call_id "
                                    "WHERE c.provider_call_id = " +
                                    sqlText(callSid.toStdString()));
        QVERIFY2(title.find("asked to be called back") != std::string::npos, title.c_str());
    }

    void abandonedCallerGetsACallbackTask()
    {
        onlyAvailable({"d1"});
        q("UPDATE presence SET activity = 'on_call' WHERE user_id = " + sqlText(m_user["d1"]));
        const QString callSid = sid("CA");
        QVERIFY(incoming(callSid, kNumberD, "+447700900777").contains("<Gather"));
        QCOMPARE(post("/twilio/status", callParams(callSid, "+447700900777", kNumberD, "completed"))
                     .status,
                 200);
        QCOMPARE(callStatus(callSid), std::string("abandoned"));
        const std::string taskId = q("SELECT t.id FROM tasks t JOIN calls c ON c.id = t.call_id "
                                     "WHERE c.provider_call_id = " +
                                     sqlText(callSid.toStdString()) + " AND t.kind = 'callback'");
        QVERIFY(!taskId.empty());
        // d1's tablet gets the task (and the manager of store A does not: another store).
        QVERIFY(SyncDevice::waitFor(
            [&] { return m_device["d1"]->store().row("tasks", taskId).has_value(); }, 10000));
        QVERIFY(!m_device["mgr"]->store().row("tasks", taskId).has_value());
    }

    void closedStoreOverflowsToTheRegion()
    {
        onlyAvailable({"b1"});
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberC);
        QVERIFY2(twiml.contains(QByteArray::fromStdString(m_user["b1"]) + "</Client>"),
                 twiml.constData());
        QCOMPARE(q("SELECT overflow FROM call_decisions d JOIN calls c ON c.id = d.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("t"));
        post("/twilio/status", callParams(callSid, "+447700900123", kNumberC, "completed"));
    }

    void holidayGoesToVoicemail()
    {
        onlyAvailable({"a1", "a2", "b1", "d1"});
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberE);
        QVERIFY2(twiml.contains("We are closed"), twiml.constData());
        QVERIFY(twiml.contains("<Record"));
        QCOMPARE(callStatus(callSid), std::string("voicemail"));
        QCOMPARE(q("SELECT action FROM call_decisions d JOIN calls c ON c.id = d.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("closed"));
        // The recording arrives (twice: Twilio retries); it lands once, on the call and its task.
        FormParams rec{{"AccountSid", kAccountSid},
                       {"CallSid", callSid.toStdString()},
                       {"RecordingSid", sid("RE").toStdString()},
                       {"RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/" +
                                            kAccountSid + "/Recordings/RE1"},
                       {"RecordingDuration", "17"},
                       {"RecordingStatus", "completed"}};
        QCOMPARE(post("/twilio/recording", rec).status, 200);
        QCOMPARE(post("/twilio/recording", rec).status, 200);
        QCOMPARE(q("SELECT recording_seconds FROM calls WHERE provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("17"));
        const std::string title = q("SELECT title FROM tasks t JOIN calls c ON c.id = t.call_id "
                                    "WHERE c.provider_call_id = " +
                                    sqlText(callSid.toStdString()));
        QVERIFY2(title.find("message of 17 s") != std::string::npos, title.c_str());
        QVERIFY2(title.find("17 s - message") == std::string::npos, title.c_str());
        // A recording URL that is not Twilio's kind of URL is refused.
        rec[2].second = sid("RE").toStdString();
        rec[3].second = "javascript:alert(1)";
        QCOMPARE(post("/twilio/recording", rec).status, 400);
    }

    void storeKeepsItsOwnClock()
    {
        onlyAvailable({"k1"});
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberK);
        QVERIFY2(twiml.contains(QByteArray::fromStdString(m_user["k1"]) + "</Client>"),
                 twiml.constData());
        post("/twilio/status", callParams(callSid, "+447700900123", kNumberK, "completed"));
    }

    void awayAndOfflinePeopleAreNotRung()
    {
        onlyAvailable({"a1"});
        m_device["a1"]->disconnect();
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return q("SELECT devices FROM presence WHERE user_id = " + sqlText(m_user["a1"])) ==
                       "0";
            },
            10000));
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberA);
        QVERIFY2(!twiml.contains("<Client"), twiml.constData());
        m_device["a1"]->connect();
        QVERIFY(m_device["a1"]->waitLive());
        post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"));
    }

    // A caller who waited, was offered someone who missed it, and waits again gets fresh turns
    // (keyed by decision, not a counter that could repeat an old answer).
    void turnsStayFreshAfterAMissedOffer()
    {
        onlyAvailable({"d1", "d2"});
        q("UPDATE presence SET activity = 'on_call' WHERE user_id IN (" + sqlText(m_user["d1"]) +
          ", " + sqlText(m_user["d2"]) + ")");
        const QString callSid = sid("CA");
        const std::string from = "+447700900201";
        QByteArray twiml = incoming(callSid, kNumberD, from);
        QString turn = waitTurn(twiml);
        QVERIFY2(!turn.isEmpty(), twiml.constData());
        const QString firstTurn = turn;
        twiml =
            post("/twilio/voice/wait?d=" + turn, callParams(callSid, from, kNumberD, "in-progress"))
                .body;
        turn = waitTurn(twiml);
        QVERIFY(!turn.isEmpty() && turn != firstTurn);
        // d1 is free now: the next turn rings them, and they miss it.
        q("UPDATE presence SET activity = 'idle', call_id = NULL WHERE user_id = " +
          sqlText(m_user["d1"]));
        twiml =
            post("/twilio/voice/wait?d=" + turn, callParams(callSid, from, kNumberD, "in-progress"))
                .body;
        const QString offer = dialAction(twiml);
        QVERIFY2(!offer.isEmpty(), twiml.constData());
        auto missed = callParams(callSid, from, kNumberD, "in-progress");
        missed.push_back({"DialCallStatus", "no-answer"});
        twiml = post("/twilio/voice/dial?d=" + offer, missed).body;
        // d2 could become free: the caller waits, on a turn never used before.
        const QString after = waitTurn(twiml);
        QVERIFY2(!after.isEmpty(), twiml.constData());
        QVERIFY(after != firstTurn && after != turn);
        const int decisions = std::stoi(q("SELECT count(*) FROM call_decisions d JOIN calls c ON "
                                          "c.id = d.call_id WHERE c.provider_call_id = " +
                                          sqlText(callSid.toStdString())));
        twiml = post("/twilio/voice/wait?d=" + after,
                     callParams(callSid, from, kNumberD, "in-progress"))
                    .body;
        QVERIFY2(twiml.contains("/twilio/voice/wait?d=") && dialAction(twiml).isEmpty(),
                 twiml.constData());
        QCOMPARE(std::stoi(q("SELECT count(*) FROM call_decisions d JOIN calls c ON c.id = "
                             "d.call_id WHERE c.provider_call_id = " +
                             sqlText(callSid.toStdString()))),
                 decisions + 1);
        post("/twilio/status", callParams(callSid, from, kNumberD, "completed"));
        QCOMPARE(callStatus(callSid), std::string("abandoned"));
    }

    // The leg's "answered" arriving after the call is over leaves nobody on a call.
    void lateAnsweredLegChangesNothing()
    {
        onlyAvailable({"a1"});
        const QString callSid = sid("CA");
        const QString decision = dialAction(incoming(callSid, kNumberA));
        QVERIFY(!decision.isEmpty());
        auto dial = callParams(callSid, "+447700900123", kNumberA, "completed");
        dial.push_back({"DialCallStatus", "completed"});
        dial.push_back({"DialCallDuration", "3600"}); // longer than the call: clamped
        QCOMPARE(post("/twilio/voice/dial?d=" + decision, dial).status, 200);
        QCOMPARE(post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"))
                     .status,
                 200);
        FormParams leg{{"AccountSid", kAccountSid},
                       {"CallSid", sid("CA").toStdString()},
                       {"ParentCallSid", callSid.toStdString()},
                       {"CallStatus", "in-progress"},
                       {"From", "+447700900123"},
                       {"To", "client:" + m_user["a1"]}};
        QCOMPARE(post("/twilio/voice/leg?d=" + decision, leg).status, 200);
        QCOMPARE(callStatus(callSid), std::string("completed"));
        QCOMPARE(q("SELECT activity FROM presence WHERE user_id = " + sqlText(m_user["a1"])),
                 std::string("wrap_up"));
        QCOMPARE(q("SELECT answered_at = started_at AND handled_by = " + sqlText(m_user["a1"]) +
                   " FROM calls WHERE provider_call_id = " + sqlText(callSid.toStdString())),
                 std::string("t"));
    }

    // The status callback before the <Dial> action, the leg's "answered" lost: the action says
    // what happened.
    void statusFirstThenDialActionDecides()
    {
        onlyAvailable({"a1"});
        QString callSid = sid("CA");
        QString decision = dialAction(incoming(callSid, kNumberA));
        QVERIFY(!decision.isEmpty());
        post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"));
        QCOMPARE(callStatus(callSid), std::string("ringing")); // not yet known
        auto dial = callParams(callSid, "+447700900123", kNumberA, "completed");
        dial.push_back({"DialCallStatus", "completed"});
        dial.push_back({"DialCallDuration", "20"});
        post("/twilio/voice/dial?d=" + decision, dial);
        QCOMPARE(callStatus(callSid), std::string("completed"));
        QCOMPARE(q("SELECT count(*) FROM tasks t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("0"));

        // And when it says nobody answered: abandoned, with its callback task, nobody paused
        // for good and nobody rung again.
        onlyAvailable({"a1", "a2"});
        callSid = sid("CA");
        decision = dialAction(incoming(callSid, kNumberA));
        post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"));
        dial = callParams(callSid, "+447700900123", kNumberA, "completed");
        dial.push_back({"DialCallStatus", "no-answer"});
        const auto last = post("/twilio/voice/dial?d=" + decision, dial);
        QVERIFY2(last.body.contains("<Hangup/>") && !last.body.contains("<Client"),
                 last.body.constData());
        QCOMPARE(callStatus(callSid), std::string("abandoned"));
        QCOMPARE(q("SELECT count(*) FROM tasks t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("1"));
    }

    // Earlier callers in the store go first; a later one waits even though someone is free.
    void earlierCallersGoFirst()
    {
        onlyAvailable({"d1"});
        q("UPDATE presence SET activity = 'on_call' WHERE user_id = " + sqlText(m_user["d1"]));
        const QString first = sid("CA");
        const QString second = sid("CA");
        const QString firstTurn = waitTurn(incoming(first, kNumberD, "+447700900301"));
        const QString secondTurn = waitTurn(incoming(second, kNumberD, "+447700900302"));
        QVERIFY(!firstTurn.isEmpty() && !secondTurn.isEmpty());
        q("UPDATE presence SET activity = 'idle', call_id = NULL WHERE user_id = " +
          sqlText(m_user["d1"]));
        const auto later = post("/twilio/voice/wait?d=" + secondTurn,
                                callParams(second, "+447700900302", kNumberD, "in-progress"));
        QVERIFY2(dialAction(later.body).isEmpty(), later.body.constData());
        QVERIFY(q("SELECT routing_reason FROM calls WHERE provider_call_id = " +
                  sqlText(second.toStdString()))
                    .find("earlier caller") != std::string::npos);
        const auto earlier = post("/twilio/voice/wait?d=" + firstTurn,
                                  callParams(first, "+447700900301", kNumberD, "in-progress"));
        QVERIFY2(earlier.body.contains(QByteArray::fromStdString(m_user["d1"]) + "</Client>"),
                 earlier.body.constData());
        post("/twilio/status", callParams(first, "+447700900301", kNumberD, "completed"));
        post("/twilio/status", callParams(second, "+447700900302", kNumberD, "completed"));
    }

    void withheldNumbersAreNotCalledBack()
    {
        onlyAvailable({"d1"});
        q("UPDATE presence SET activity = 'on_call' WHERE user_id = " + sqlText(m_user["d1"]));
        const QString callSid = sid("CA");
        QVERIFY(incoming(callSid, kNumberD, "+266696687").contains("<Gather"));
        post("/twilio/status", callParams(callSid, "+266696687", kNumberD, "completed"));
        QCOMPARE(callStatus(callSid), std::string("abandoned"));
        QCOMPARE(q("SELECT count(*) FROM tasks t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(callSid.toStdString())),
                 std::string("0"));
        // A message from a withheld number is still worth a task: to listen to it.
        const QString vm = sid("CA");
        QVERIFY(incoming(vm, kNumberE, "+266696687").contains("<Record"));
        QCOMPARE(q("SELECT title FROM tasks t JOIN calls c ON c.id = t.call_id WHERE "
                   "c.provider_call_id = " +
                   sqlText(vm.toStdString())),
                 std::string("Number withheld (voicemail, store closed)"));
    }

    // A store whose time zone PostgreSQL does not know is closed; the rest of its region routes.
    void unknownTimeZoneClosesOnlyThatStore()
    {
        QVERIFY_THROWS_EXCEPTION(pqxx::check_violation,
                                 q("UPDATE locations SET timezone = 'Europe/Londn' WHERE id = " +
                                   sqlText(m_store["C"])));
        // As if it were written before the check existed.
        q("ALTER TABLE locations DISABLE TRIGGER locations_check_timezone");
        q("UPDATE locations SET timezone = 'Europe/Londn' WHERE id = " + sqlText(m_store["C"]));
        q("ALTER TABLE locations ENABLE TRIGGER locations_check_timezone");
        onlyAvailable({"a1"});
        const QString callSid = sid("CA");
        const QByteArray twiml = incoming(callSid, kNumberA);
        QVERIFY2(twiml.contains(QByteArray::fromStdString(m_user["a1"]) + "</Client>"),
                 twiml.constData());
        post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"));
        q("ALTER TABLE locations DISABLE TRIGGER locations_check_timezone");
        q("UPDATE locations SET timezone = 'America/Denver' WHERE id = " + sqlText(m_store["C"]));
        q("ALTER TABLE locations ENABLE TRIGGER locations_check_timezone");
    }

    // The upkeep: an offer whose <Dial> action never came frees the person and the call; a
    // call the provider went silent about becomes missed, with its callback task; an overdue
    // callback is escalated.
    void upkeepSettlesWhatCallbacksLeftOpen()
    {
        onlyAvailable({"a1"});
        const QString ringing = sid("CA");
        QVERIFY(!dialAction(incoming(ringing, kNumberA, "+447700900401")).isEmpty());
        q("UPDATE presence SET activity_until = now() - interval '1 minute' WHERE user_id = " +
          sqlText(m_user["a1"]));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return q("SELECT activity FROM presence WHERE user_id = " +
                         sqlText(m_user["a1"])) == "idle" &&
                       q("SELECT offered_to IS NULL FROM calls WHERE provider_call_id = " +
                         sqlText(ringing.toStdString())) == "t";
            },
            15000));
        q("UPDATE calls SET started_at = now() - interval '20 minutes' WHERE provider_call_id = " +
          sqlText(ringing.toStdString()));
        q("UPDATE call_decisions SET decided_at = now() - interval '20 minutes' WHERE call_id = "
          "(SELECT id FROM calls WHERE provider_call_id = " +
          sqlText(ringing.toStdString()) + ")");
        QVERIFY(SyncDevice::waitFor([&] { return callStatus(ringing) == "missed"; }, 15000));
        const std::string task = q("SELECT t.id FROM tasks t JOIN calls c ON c.id = t.call_id "
                                   "WHERE c.provider_call_id = " +
                                   sqlText(ringing.toStdString()));
        QVERIFY(!task.empty());
        q("UPDATE tasks SET due_at = now() - interval '2 hours' WHERE id = " + sqlText(task));
        QVERIFY(SyncDevice::waitFor(
            [&] {
                return q("SELECT escalated_at IS NOT NULL FROM tasks WHERE id = " +
                         sqlText(task)) == "t";
            },
            15000));
    }

    // Other nodes took this one for dead (its row, and its sessions with it, removed): its next
    // heartbeat writes its devices again.
    void nodeTakenForDeadRegistersItsDevicesAgain()
    {
        const std::string online = q("SELECT count(*) FROM presence WHERE devices > 0");
        q("DELETE FROM server_nodes");
        QCOMPARE(q("SELECT count(*) FROM presence WHERE devices > 0"), std::string("0"));
        QVERIFY(SyncDevice::waitFor(
            [&] { return q("SELECT count(*) FROM presence WHERE devices > 0") == online; }, 15000));
    }

    // A store's menu: the caller's choice becomes the call's need, and the person with that
    // skill is rung before one who has been idle longer.
    void menuChoiceFindsTheSkill()
    {
        onlyAvailable({"a1", "a2"});
        q("UPDATE presence SET idle_since = now() - interval '40 minutes' WHERE user_id = " +
          sqlText(m_user["a2"]));
        q("UPDATE presence SET idle_since = now() - interval '1 minute' WHERE user_id = " +
          sqlText(m_user["a1"]));
        q("INSERT INTO routing_rules (organisation_id, location_id, menu) VALUES (" +
          sqlText(m_org) + ", " + sqlText(m_store["A"]) +
          ", '[{\"digit\": \"1\", \"label\": \"repairs\", \"skill\": \"repairs\"}, "
          "{\"digit\": \"2\", \"label\": \"anything else\", \"skill\": \"general\"}]')");
        const QString callSid = sid("CA");
        const QByteArray menu = incoming(callSid, kNumberA);
        QVERIFY2(menu.contains("For repairs, press 1. For anything else, press 2."),
                 menu.constData());
        QVERIFY(menu.contains("/twilio/voice/menu</Redirect>"));
        QVERIFY(!menu.contains("<Dial")); // nobody rung before the caller chose
        auto press = callParams(callSid, "+447700900123", kNumberA, "in-progress");
        press.push_back({"Digits", "1"});
        const auto chosen = post("/twilio/voice/menu", press);
        QVERIFY2(chosen.body.contains(QByteArray::fromStdString(m_user["a1"]) + "</Client>"),
                 chosen.body.constData());
        QCOMPARE(
            q("SELECT need FROM calls WHERE provider_call_id = " + sqlText(callSid.toStdString())),
            std::string("repairs"));
        // The menu's timeout redirect arriving too changes nothing.
        QCOMPARE(post("/twilio/voice/menu", callParams(callSid, "+447700900123", kNumberA)).body,
                 chosen.body);
        post("/twilio/status", callParams(callSid, "+447700900123", kNumberA, "completed"));
        auto canceled = callParams(callSid, "+447700900123", kNumberA, "completed");
        canceled.push_back({"DialCallStatus", "canceled"});
        post("/twilio/voice/dial?d=" + dialAction(chosen.body), canceled);
        q("DELETE FROM routing_rules WHERE location_id = " + sqlText(m_store["A"]));
        // A closed store (E: a holiday) skips its menu: the closed greeting and voicemail at once.
        q("INSERT INTO routing_rules (organisation_id, location_id, menu) VALUES (" +
          sqlText(m_org) + ", " + sqlText(m_store["E"]) +
          ", '[{\"digit\": \"1\", \"label\": \"repairs\", \"skill\": \"repairs\"}]')");
        const QByteArray closed = incoming(sid("CA"), kNumberE);
        QVERIFY2(closed.contains("We are closed") && !closed.contains("press 1"),
                 closed.constData());
        q("DELETE FROM routing_rules WHERE location_id = " + sqlText(m_store["E"]));
    }

    void fallbackRingsTheStoresOwnLine()
    {
        const auto r =
            post("/twilio/voice/fallback", callParams(sid("CA"), "+447700900123", kNumberA));
        QCOMPARE(r.status, 200);
        const std::string mainPhone =
            q("SELECT main_phone FROM locations WHERE id = " + sqlText(m_store["A"]));
        QVERIFY2(r.body.contains(QByteArray::fromStdString("<Number>" + mainPhone + "</Number>")),
                 r.body.constData());
        // Unsigned: refused like any other webhook.
        QCOMPARE(post("/twilio/voice/fallback", callParams(sid("CA"), "+447700900123", kNumberA),
                      kAuthToken, QByteArray())
                     .status,
                 403);
    }
};

QTEST_GUILESS_MAIN(TestTelephony)
#include "tst_telephony.moc"
