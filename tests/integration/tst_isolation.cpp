// Tenant isolation, the matrix the identity issue asks for: for every HTTP route and every sync
// message type, a user of organisation A ("acme", each role) tries to read and to change data of
// organisation B ("rival") and of a store of A that is not theirs. Every attempt is refused, a
// row of B answers exactly like a row that does not exist, no answer carries anything of B (ids,
// names, e-mail addresses, numbers, settings), and nothing of B changes: every row of B in every
// table of the database is fingerprinted before and compared after each part, and B's audit log
// gains no entry.
//
// Not in the matrix, and why:
// - POST /v1/auth/refresh and /v1/auth/logout take a refresh token and nothing else: there is no
//   organisation or object to aim at. Another organisation's refresh token is a stolen secret,
//   not a cross-tenant request (reuse detection: tst_auth).
// - /twilio/* is not called by people: the organisation is the one owning the called number, and
//   a request must be signed with that organisation's Twilio token (tst_telephony signs one
//   organisation's number with the other's token).
// - /healthz, /readyz and /metrics hold no organisation's data (tst_server).

#include "server/auth/password.h"
#include "server/auth/tokens.h"
#include "server/sync/sync_store.h"
#include "shared/protocol/envelope.h"
#include "shared/sync/hlc.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/syncdevice.h"
#include "tests/support/testdatabase.h"

#include <QDate>
#include <QDateTime>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QTest>
#include <QWebSocket>

#include <pqxx/pqxx>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

using cc::sync::Fields;
using cc::sync::Op;
using cc::sync::Value;
using cc::test::SyncDevice;

namespace {

const std::string kPassword = "isolation matrix password";
constexpr int kTimeoutMs = 30000; // generous: CI runs this under ASan

std::int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

std::string stamp()
{
    return cc::sync::encode(cc::sync::Hlc{nowMs(), 0, "iso-raw"});
}

QString q(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

QByteArray compactJson(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject jsonOf(const QByteArray& body)
{
    return QJsonDocument::fromJson(body).object();
}

QString shortened(const QByteArray& body)
{
    return QString::fromUtf8(body.left(300));
}

// A sample value of a field's kind, valid for the schema.
Value sampleValue(const cc::sync::FieldSpec& f)
{
    using cc::sync::Kind;
    switch (f.kind) {
    case Kind::Uuid:
        return Value{cc::test::newUuid()};
    case Kind::Text:
        return Value{std::string("iso")};
    case Kind::Bool:
        return Value{true};
    case Kind::Int:
        return Value{static_cast<std::int64_t>(f.min)};
    case Kind::Real:
        return Value{f.min};
    case Kind::Timestamp:
        return Value{nowMs()};
    case Kind::Enum:
        return Value{std::string(f.values.front())};
    case Kind::E164:
        return Value{std::string("+447700955999")};
    case Kind::Date:
        return Value{std::string("2026-01-02")};
    case Kind::Time:
        return Value{std::string("09:30")};
    }
    return Value{std::string("iso")};
}

std::string textOfValue(const Value& v)
{
    if (const auto* s = std::get_if<std::string>(&v)) {
        return *s;
    }
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        return std::to_string(*n);
    }
    return {};
}

// The row key of `fields`: its key fields joined with '/'.
std::string keyOf(const cc::sync::EntitySpec& entity, const Fields& fields)
{
    std::string key;
    for (const auto& name : entity.key) {
        const Value* v = cc::sync::find(fields, name);
        key += (key.empty() ? "" : "/") + (v != nullptr ? textOfValue(*v) : std::string());
    }
    return key;
}

std::vector<std::string> splitKey(const std::string& key)
{
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
        const std::size_t slash = key.find('/', start);
        parts.push_back(key.substr(start, slash - start));
        if (slash == std::string::npos) {
            return parts;
        }
        start = slash + 1;
    }
}

Fields with(Fields fields, std::string_view name, Value value)
{
    for (auto& f : fields) {
        if (f.name == name) {
            f.value = std::move(value);
            return fields;
        }
    }
    fields.push_back({std::string(name), std::move(value)});
    return fields;
}

// A signed-in WebSocket client speaking the protocol directly, to see every message and the
// close code.
class RawClient {
public:
    RawClient(const QString& url, const QList<QSslCertificate>& ca)
    {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(ca);
        m_ws.setSslConfiguration(ssl);
        QObject::connect(&m_ws, &QWebSocket::textMessageReceived, &m_ws,
                         [this](const QString& text) {
                             m_texts.push_back(text.toUtf8());
                             auto env = cc::protocol::decode(text.toStdString());
                             if (env) {
                                 m_received.push_back(env.value());
                             }
                         });
        QObject::connect(&m_ws, &QWebSocket::disconnected, &m_ws, [this] {
            m_closed = true;
            m_closeCode = static_cast<int>(m_ws.closeCode());
        });
        m_ws.open(QUrl(url));
    }

    bool waitOpen()
    {
        return SyncDevice::waitFor(
            [this] { return m_ws.state() == QAbstractSocket::ConnectedState; }, kTimeoutMs);
    }

    void send(const std::string& id, cc::protocol::Body body)
    {
        m_ws.sendTextMessage(
            q(cc::protocol::encode(cc::protocol::Envelope{1, id, std::move(body)})));
    }

    void hello(const std::string& token, const std::string& deviceId)
    {
        cc::protocol::Hello h;
        h.client = "tst_isolation";
        h.clientVersion = "1";
        h.deviceId = deviceId;
        h.token = token;
        send("hello", h);
    }

    // The first message of type T answering `id` (any id when empty), or nullptr in time.
    template <typename T>
    const T* waitFor(const std::string& id, int timeoutMs = kTimeoutMs)
    {
        const T* found = nullptr;
        SyncDevice::waitFor(
            [&] {
                for (const auto& e : m_received) {
                    if (const auto* m = std::get_if<T>(&e.body);
                        m != nullptr && (id.empty() || e.id == id)) {
                        found = m;
                        return true;
                    }
                }
                return false;
            },
            timeoutMs);
        return found;
    }

    bool waitClosed(int timeoutMs = kTimeoutMs)
    {
        return SyncDevice::waitFor([this] { return m_closed; }, timeoutMs);
    }

    template <typename T>
    std::size_t count() const
    {
        return static_cast<std::size_t>(
            std::count_if(m_received.begin(), m_received.end(),
                          [](const auto& e) { return std::holds_alternative<T>(e.body); }));
    }

    bool closed() const { return m_closed; }
    int closeCode() const { return m_closeCode; }
    const std::vector<QByteArray>& texts() const { return m_texts; }
    const std::vector<cc::protocol::Envelope>& received() const { return m_received; }

private:
    std::vector<cc::protocol::Envelope> m_received;
    std::vector<QByteArray> m_texts;
    bool m_closed = false;
    int m_closeCode = 0;
    QWebSocket m_ws; // last: destroyed first, while the state its signals write still exists
};

struct Reply {
    int status = 0;
    QByteArray body;
    QString error;
};

struct Caller {
    QString name;
    std::string userId;
    std::string role;
    std::string deviceId;
    std::string token;
};

} // namespace

class TestIsolation : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<pqxx::connection> m_db;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    QList<QSslCertificate> m_ca;
    cc::test::SeededChain m_c;

    // Organisation A beyond the chain.
    std::string m_executive, m_managerA, m_appointmentA, m_appointmentB;
    // Organisation B beyond the chain.
    std::string m_rivalAdmin, m_rivalManager, m_rivalExecutive, m_rivalRegion, m_rivalCall,
        m_rivalTask, m_rivalAppointment, m_rivalNote, m_rivalMutation, m_rivalCacheKey;
    std::string m_rivalToken; // a live sign-in of B's staff member
    const std::string m_rivalNumber = "+442073339999";
    const std::string m_rivalPhone = "+447700900009"; // the chain's rival customer's

    std::vector<Caller> m_callers; // staff, manager of A and B, manager of A only, executive, admin
    std::map<std::string, std::string> m_rivalBefore; // table -> fingerprint of B's rows
    std::string m_rivalAuditBefore;
    std::vector<std::string> m_markers; // what of B must never reach A
    std::map<QString, std::unique_ptr<SyncDevice>> m_devices;
    QString m_setupEmail, m_setupCode; // an invite of A, for the setup-password checks
    QStringList m_problems;
    int m_checks = 0;

    std::string scalar(const std::string& sql) { return cc::test::scalar(*m_db, sql); }

    void exec(const std::string& sql)
    {
        pqxx::work tx(*m_db);
        tx.exec(sql);
        tx.commit();
    }

    std::string one(pqxx::work& tx, const std::string& sql)
    {
        return tx.exec1(sql)[0].as<std::string>();
    }

    const Caller& caller(const QString& name) const
    {
        return *std::find_if(m_callers.begin(), m_callers.end(),
                             [&](const Caller& c) { return c.name == name; });
    }

    // ---- checks that collect every failure, so one run reports the whole matrix ----

    void expect(bool ok, const QString& what)
    {
        ++m_checks;
        if (!ok) {
            m_problems << what;
        }
    }

    QStringList leaksIn(const QByteArray& text) const
    {
        QStringList found;
        for (const auto& m : m_markers) {
            if (text.contains(QByteArray::fromStdString(m))) {
                found << q(m);
            }
        }
        return found;
    }

    void expectNoLeak(const QByteArray& text, const QString& where)
    {
        ++m_checks;
        const QStringList found = leaksIn(text);
        if (found.isEmpty()) {
            return;
        }
        // Where the first one is, with some context.
        const qsizetype at = text.indexOf(found.front().toUtf8());
        m_problems << where + QStringLiteral(": the answer carries organisation B's ") +
                          found.join(QStringLiteral(", ")) + QStringLiteral(": ...") +
                          QString::fromUtf8(text.mid(std::max<qsizetype>(0, at - 200), 400)) +
                          QStringLiteral("...");
    }

    // A 404 of the router, not of the handler: the route is not there (yet), and an answer
    // like a missing row's would prove nothing.
    void expectRouteExists(const Reply& r, const QString& where)
    {
        expect(jsonOf(r.body) != QJsonObject{{"error", "no such endpoint"}},
               where + QStringLiteral(": the route does not exist (404 no such endpoint)"));
    }

    void reportProblems()
    {
        const QString all = m_problems.join(QStringLiteral("\n  "));
        QVERIFY2(
            m_problems.isEmpty(),
            qPrintable(QStringLiteral("%1 problem(s):\n  %2").arg(m_problems.size()).arg(all)));
    }

    // ---- HTTP ----

    // One request on a shared, kept-alive connection. The node's per-address budget (50/s,
    // bursts of 200) is not what this test is about: a 429 waits its Retry-After.
    Reply call(const QByteArray& verb, const QString& path, const std::string& token,
               const QByteArray& body = {})
    {
        for (int attempt = 0;; ++attempt) {
            QNetworkRequest request{QUrl(m_fx.server->baseUrl() + path)};
            QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
            tls.addCaCertificates(m_ca);
            request.setSslConfiguration(tls);
            request.setTransferTimeout(kTimeoutMs);
            request.setRawHeader("Content-Type", "application/json");
            if (!token.empty()) {
                request.setRawHeader("Authorization", "Bearer " + QByteArray::fromStdString(token));
            }
            QNetworkReply* reply = body.isEmpty() ? m_nam->sendCustomRequest(request, verb)
                                                  : m_nam->sendCustomRequest(request, verb, body);
            QEventLoop loop;
            QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
            if (!reply->isFinished()) {
                loop.exec();
            }
            Reply r;
            r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            r.body = reply->readAll();
            if (reply->error() != QNetworkReply::NoError) {
                r.error = reply->errorString();
            }
            const int retryAfter = reply->rawHeader("Retry-After").toInt();
            reply->deleteLater();
            if (r.status == 429 && attempt < 30) {
                QTest::qWait(1000 * std::max(1, retryAfter));
                continue;
            }
            return r;
        }
    }

    // ---- organisation B's rows, fingerprinted ----

    // For every table of the public schema: B's rows (by organisation_id; through a foreign key
    // for tables without one; B's own row of organisations), counted and hashed. Tables that
    // belong to no organisation (server_nodes, schema_migrations) are left out.
    std::map<std::string, std::string> fingerprint(pqxx::transaction_base& tx) const
    {
        const std::string rival = tx.quote(m_c.rivalOrg);
        std::map<std::string, std::string> out;
        const pqxx::result tables =
            tx.exec("SELECT t.table_name, bool_or(c.column_name = 'organisation_id') FROM "
                    "information_schema.tables t JOIN information_schema.columns c USING "
                    "(table_schema, table_name) WHERE t.table_schema = 'public' AND t.table_type "
                    "= 'BASE TABLE' GROUP BY 1 ORDER BY 1");
        for (const auto& row : tables) {
            const std::string table = row[0].as<std::string>();
            std::string where;
            if (row[1].as<bool>()) {
                where = "t.organisation_id = " + rival;
            } else if (table == "organisations") {
                where = "t.id = " + rival;
            } else {
                // Single-column foreign keys to a table that says whose a row is.
                const pqxx::result keys = tx.exec_params(
                    "SELECT a.attname, p.relname, pa.attname, EXISTS (SELECT 1 FROM "
                    "information_schema.columns x WHERE x.table_schema = 'public' AND "
                    "x.table_name = p.relname AND x.column_name = 'organisation_id') FROM "
                    "pg_constraint k JOIN pg_class s ON s.oid = k.conrelid JOIN pg_class p ON "
                    "p.oid = k.confrelid JOIN pg_attribute a ON a.attrelid = k.conrelid AND "
                    "a.attnum = k.conkey[1] JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND "
                    "pa.attnum = k.confkey[1] WHERE k.contype = 'f' AND s.relname = $1 AND "
                    "s.relnamespace = 'public'::regnamespace AND cardinality(k.conkey) = 1 "
                    "ORDER BY 1, 2",
                    table);
                for (const auto& k : keys) {
                    const std::string column = tx.quote_name(k[0].as<std::string>());
                    const std::string parent = k[1].as<std::string>();
                    const std::string parentColumn = tx.quote_name(k[2].as<std::string>());
                    std::string condition;
                    if (parent == "organisations") {
                        condition = "t." + column + " = " + rival;
                    } else if (k[3].as<bool>()) {
                        condition = "t." + column + " IN (SELECT " + parentColumn + " FROM " +
                                    tx.quote_name(parent) + " WHERE organisation_id = " + rival +
                                    ")";
                    } else {
                        continue;
                    }
                    where += (where.empty() ? "" : " OR ") + condition;
                }
                if (where.empty()) {
                    continue; // nobody's: server_nodes, schema_migrations
                }
            }
            out[table] = tx.exec1("SELECT count(*)::text || ' rows, ' || coalesce(md5(string_agg("
                                  "t::text, '|' ORDER BY t::text)), '-') FROM " +
                                  tx.quote_name(table) + " t WHERE " + where)[0]
                             .as<std::string>();
        }
        return out;
    }

    std::map<std::string, std::string> fingerprint()
    {
        pqxx::read_transaction tx(*m_db);
        return fingerprint(tx);
    }

    std::string rivalAudit()
    {
        return scalar("SELECT count(*) || '/' || coalesce(max(id), 0) FROM audit_log WHERE "
                      "organisation_id = '" +
                      m_c.rivalOrg + "'");
    }

    // Nothing of organisation B changed since initTestCase.
    void expectRivalUnchanged(const QString& after)
    {
        const auto now = fingerprint();
        for (const auto& [table, before] : m_rivalBefore) {
            const auto it = now.find(table);
            const std::string current = it == now.end() ? std::string("(table gone)") : it->second;
            expect(current == before, QStringLiteral("after %1: organisation B's rows of %2 "
                                                     "changed (%3 -> %4)")
                                          .arg(after, q(table), q(before), q(current)));
        }
        for (const auto& [table, current] : now) {
            expect(m_rivalBefore.count(table) != 0,
                   QStringLiteral("after %1: a new table %2 holds organisation B's rows (%3)")
                       .arg(after, q(table), q(current)));
        }
        expect(rivalAudit() == m_rivalAuditBefore,
               QStringLiteral("after %1: organisation B's audit log has new entries").arg(after));
    }

    // ---- sync ----

    // A's rows that no device wrote, hashed.
    std::string acmeRowsDigest()
    {
        std::string sql = "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (";
        bool first = true;
        for (const char* table :
             {"customers", "customer_phones", "calls", "call_notes", "tasks", "appointments"}) {
            sql += std::string(first ? "" : " UNION ALL ") + "SELECT t::text AS x FROM " + table +
                   " t WHERE organisation_id = '" + m_c.org + "' AND sync_mutation IS NULL";
            first = false;
        }
        return scalar(sql + ") a_rows");
    }

    // Store B's rows of A: its calls, tasks, appointments and notes, its customer and phones.
    std::string storeBDigest()
    {
        const std::string b = "'" + m_c.storeB + "'";
        return scalar("SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (SELECT t::text AS x FROM "
                      "tasks t WHERE location_id = " +
                      b + " UNION ALL SELECT c::text FROM calls c WHERE location_id = " + b +
                      " UNION ALL SELECT a::text FROM appointments a WHERE location_id = " + b +
                      " UNION ALL SELECT n::text FROM call_notes n WHERE location_id = " + b +
                      " UNION ALL SELECT c::text FROM customers c WHERE id = '" + m_c.customerB +
                      "' UNION ALL SELECT p::text FROM customer_phones p WHERE customer_id = '" +
                      m_c.customerB + "') b_rows");
    }

    std::unique_ptr<SyncDevice> device(const Caller& c)
    {
        return std::make_unique<SyncDevice>(m_fx.server->wsUrl(), m_ca, c.token, c.deviceId);
    }

    // Every key and text value a device holds, searched for anything of organisation B.
    void expectNothingOfRivalHeld(const cc::app::cache::LocalStore& store, const QString& who)
    {
        for (const auto& entity : cc::sync::entities()) {
            for (const auto& [key, fields] : store.rows(entity.name)) {
                std::string text = key;
                for (const auto& f : fields) {
                    if (const auto* s = std::get_if<std::string>(&f.value)) {
                        text += "|" + *s;
                    }
                }
                const QStringList found = leaksIn(QByteArray::fromStdString(text));
                expect(found.isEmpty(), who + QStringLiteral(" holds ") + q(entity.name) +
                                            QStringLiteral("/") + q(key) +
                                            QStringLiteral(" with organisation B's ") +
                                            found.join(QStringLiteral(", ")));
            }
        }
    }

    cc::protocol::PushResult rawPush(SyncDevice& d, const std::string& id,
                                     std::vector<cc::protocol::Mutation> mutations)
    {
        cc::protocol::Push push;
        push.mutations = std::move(mutations);
        cc::protocol::PushResult result;
        if (!d.connection().send(cc::protocol::Envelope{1, id, push})) {
            return result;
        }
        SyncDevice::waitFor(
            [&] {
                for (const auto& e : d.received()) {
                    if (e.id == id) {
                        if (const auto* r = std::get_if<cc::protocol::PushResult>(&e.body)) {
                            result = *r;
                            return true;
                        }
                    }
                }
                return false;
            },
            kTimeoutMs);
        return result;
    }

    // A token of the same sign-in as `token`'s (what /v1/auth/refresh would give), or of
    // another key.
    std::string sameSignInToken(const Caller& c)
    {
        const std::string session =
            scalar("SELECT id FROM auth_sessions WHERE user_id = '" + c.userId +
                   "' AND device_id = '" + c.deviceId + "' ORDER BY created_at DESC LIMIT 1");
        auto keys = cc::server::auth::parseSigningKeys(cc::test::kTestTokenKeys);
        cc::server::auth::Claims claims;
        claims.userId = c.userId;
        claims.organisationId = m_c.org;
        claims.role = cc::domain::roleFromString(c.role).value();
        claims.sessionId = session;
        claims.issuedAt = cc::server::auth::unixNow();
        claims.expiresAt = claims.issuedAt + 3600;
        return cc::server::auth::TokenSigner(keys.value()).issue(claims);
    }

    // Signed with a key the server does not have: under its kid ("test"), or under another.
    std::string forgedToken(const std::string& kid)
    {
        const QByteArray secret =
            QByteArray("another-signing-key-not-the-servers-0001")
                .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        auto keys = cc::server::auth::parseSigningKeys(kid + ":" + secret.toStdString());
        cc::server::auth::Claims claims;
        claims.userId = m_rivalAdmin;
        claims.organisationId = m_c.rivalOrg;
        claims.role = cc::domain::Role::Admin;
        claims.sessionId =
            scalar("SELECT id FROM auth_sessions WHERE user_id = '" + m_c.rivalStaff + "' LIMIT 1");
        claims.issuedAt = cc::server::auth::unixNow();
        claims.expiresAt = claims.issuedAt + 3600;
        return cc::server::auth::TokenSigner(keys.value()).issue(claims);
    }

    QString reportDates() const
    {
        const QDate today = QDateTime::currentDateTimeUtc().date();
        return QStringLiteral("from=%1&to=%2")
            .arg(today.addDays(-2).toString(Qt::ISODate), today.addDays(1).toString(Qt::ISODate));
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_fx.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_ca = m_fx.tls.ca();
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_c = cc::test::seedChain(*m_db);
        const std::string hash = cc::server::auth::hashPassword(kPassword);
        {
            pqxx::work tx(*m_db);
            const std::string A = tx.quote(m_c.org);
            const std::string R = tx.quote(m_c.rivalOrg);
            const std::string rStore = tx.quote(m_c.rivalStore);
            // Organisation A: an executive, a manager of store A only, appointments at A and B,
            // a page and more of store B's tasks (so a snapshot of store B takes two pages), an
            // audit entry, a disabled integration, and a password for staff A (sign-in checks).
            m_executive = one(
                tx, "INSERT INTO users (id, organisation_id, email, display_name, role) "
                    "VALUES (gen_random_uuid(), " +
                        A + ", 'eli@acme.example', 'Eli Exec', 'executive') RETURNING id::text");
            m_managerA = one(tx, "INSERT INTO users (id, organisation_id, email, display_name, "
                                 "role, home_location_id) VALUES (gen_random_uuid(), " +
                                     A + ", 'mia@acme.example', 'Mia Manager', 'manager', " +
                                     tx.quote(m_c.storeA) + ") RETURNING id::text");
            tx.exec0("INSERT INTO user_locations (user_id, location_id) VALUES (" +
                     tx.quote(m_managerA) + ", " + tx.quote(m_c.storeA) + ")");
            const auto appointment = [&](const std::string& org, const std::string& store,
                                         const std::string& customer, const std::string& staff,
                                         const std::string& purpose) {
                return one(tx, "INSERT INTO appointments (id, organisation_id, location_id, "
                               "customer_id, staff_id, starts_at, ends_at, purpose) VALUES "
                               "(gen_random_uuid(), " +
                                   tx.quote(org) + ", " + tx.quote(store) + ", " +
                                   tx.quote(customer) + ", " + tx.quote(staff) +
                                   ", now() + interval '1 day', now() + interval '25 hours', " +
                                   tx.quote(purpose) + ") RETURNING id::text");
            };
            m_appointmentA =
                appointment(m_c.org, m_c.storeA, m_c.customerA, m_c.staffA, "Sofa fitting");
            m_appointmentB =
                appointment(m_c.org, m_c.storeB, m_c.customerB, m_c.staffB, "Lamp fitting");
            tx.exec0("INSERT INTO tasks (id, organisation_id, location_id, kind, title, due_at) "
                     "SELECT gen_random_uuid(), " +
                     A + ", " + tx.quote(m_c.storeB) +
                     ", 'follow_up', 'Stock count ' || g, now() + interval '2 days' FROM "
                     "generate_series(1, 1005) g");
            tx.exec0("INSERT INTO audit_log (organisation_id, action) VALUES (" + A +
                     ", 'acme.marker')");
            tx.exec0("INSERT INTO integrations (organisation_id, provider, enabled, settings, "
                     "secret_sealed) VALUES (" +
                     A +
                     ", 'square', false, '{\"base_url\": \"https://acme-square.example\"}', "
                     "'sealed-acme')");
            tx.exec_params0("UPDATE users SET password_hash = $1 WHERE id IN ($2::uuid, $3::uuid)",
                            hash, m_c.staffA, m_c.rivalStaff);

            // Organisation B: something in every table a query of A might forget to filter.
            tx.exec0("UPDATE organisations SET name = 'Rival Holdings Ltd' WHERE id = " + R);
            m_rivalRegion = one(tx, "INSERT INTO regions (id, organisation_id, name) VALUES "
                                    "(gen_random_uuid(), " +
                                        R + ", 'Rivalside North') RETURNING id::text");
            tx.exec0(
                "UPDATE locations SET region_id = " + tx.quote(m_rivalRegion) +
                ", name = 'Rivalside Store', address = 'Rivalside Road 1' WHERE id = " + rStore);
            tx.exec0("UPDATE users SET display_name = 'Rory Rivalside' WHERE id = " +
                     tx.quote(m_c.rivalStaff));
            const auto rivalUser = [&](const std::string& email, const std::string& name,
                                       const std::string& role, bool atStore) {
                const std::string id =
                    one(tx, "INSERT INTO users (id, organisation_id, email, display_name, role, "
                            "home_location_id) VALUES (gen_random_uuid(), " +
                                R + ", " + tx.quote(email) + ", " + tx.quote(name) + ", " +
                                tx.quote(role) + ", " + (atStore ? rStore : "NULL") +
                                ") RETURNING id::text");
                if (atStore) {
                    tx.exec0("INSERT INTO user_locations (user_id, location_id) VALUES (" +
                             tx.quote(id) + ", " + rStore + ")");
                }
                return id;
            };
            // The admin's e-mail address is also invited into A below: it is not a marker.
            m_rivalAdmin = rivalUser("pat@shared.example", "Pat Rivalside", "admin", false);
            m_rivalManager = rivalUser("mo@rival.example", "Mo Rivalside", "manager", true);
            m_rivalExecutive = rivalUser("eve@rival.example", "Eve Rivalside", "executive", false);
            tx.exec0("UPDATE customers SET display_name = 'Rita Rivalside', email = "
                     "'rita@rival.example' WHERE id = " +
                     tx.quote(m_c.rivalCustomer));
            tx.exec0("INSERT INTO location_hours (location_id, weekday, opens_at, closes_at) "
                     "VALUES (" +
                     rStore + ", 1, '09:00', '17:00')");
            tx.exec0("INSERT INTO location_holidays (location_id, day, name) VALUES (" + rStore +
                     ", '2026-12-26', 'Rivalside Day')");
            tx.exec0("INSERT INTO phone_numbers (number, organisation_id, location_id, label) "
                     "VALUES (" +
                     tx.quote(m_rivalNumber) + ", " + R + ", " + rStore + ", 'Rivalside line')");
            m_rivalCall = one(tx, "SELECT id::text FROM calls WHERE organisation_id = " + R);
            m_rivalTask = one(tx, "INSERT INTO tasks (id, organisation_id, location_id, "
                                  "customer_id, call_id, kind, title, due_at, assigned_to) VALUES "
                                  "(gen_random_uuid(), " +
                                      R + ", " + rStore + ", " + tx.quote(m_c.rivalCustomer) +
                                      ", " + tx.quote(m_rivalCall) +
                                      ", 'callback', 'Rivalside callback', now() + interval '1 "
                                      "day', " +
                                      tx.quote(m_c.rivalStaff) + ") RETURNING id::text");
            m_rivalAppointment = appointment(m_c.rivalOrg, m_c.rivalStore, m_c.rivalCustomer,
                                             m_c.rivalStaff, "Rivalside fitting");
            m_rivalNote =
                one(tx, "INSERT INTO call_notes (id, organisation_id, location_id, "
                        "customer_id, call_id, author_id, body) VALUES "
                        "(gen_random_uuid(), " +
                            R + ", " + rStore + ", " + tx.quote(m_c.rivalCustomer) + ", " +
                            tx.quote(m_rivalCall) + ", " + tx.quote(m_c.rivalStaff) +
                            ", 'Rivalside note') RETURNING id::text");
            tx.exec0("INSERT INTO audit_log (organisation_id, actor_user_id, action, target_type, "
                     "target_id, detail) VALUES (" +
                     R + ", " + tx.quote(m_rivalAdmin) + ", 'rival.secret', 'user', " +
                     tx.quote(m_c.rivalStaff) + ", '{\"note\": \"rival.secret\"}')");
            tx.exec0("INSERT INTO routing_rules (organisation_id, location_id, greeting) VALUES (" +
                     R + ", NULL, 'Rival greeting')");
            tx.exec0("INSERT INTO routing_rules (organisation_id, location_id, ring_timeout_s) "
                     "VALUES (" +
                     R + ", " + rStore + ", 44)");
            tx.exec0("INSERT INTO analytics_settings (organisation_id, service_level_s, "
                     "short_abandon_s, repeat_window_hours) VALUES (" +
                     R + ", 77, 7, 70)");
            tx.exec0("INSERT INTO integrations (organisation_id, provider, enabled, settings, "
                     "secret_sealed, updated_by) VALUES (" +
                     R +
                     ", 'shopify', true, '{\"base_url\": \"https://rival-shop.example\", "
                     "\"api_version\": \"2024-07\"}', 'sealed-rival', " +
                     tx.quote(m_rivalAdmin) + "), (" + R +
                     ", 'google_calendar', false, '{\"client_id\": \"rival-client\"}', "
                     "'sealed-rival', " +
                     tx.quote(m_rivalAdmin) + ")");
            tx.exec0("INSERT INTO integration_locations (organisation_id, provider, location_id, "
                     "external_id) VALUES (" +
                     R + ", 'shopify', " + rStore + ", 'rival-ext-1')");
            // B's cache key for the very device id A's staff signs in from below.
            tx.exec0("INSERT INTO device_cache_keys (user_id, device_id, organisation_id, "
                     "cache_key) VALUES (" +
                     tx.quote(m_c.rivalStaff) + ", 'iso-shared-device', " + R +
                     ", decode(repeat('aa', 32), 'hex'))");
            m_rivalMutation = cc::test::newUuid();
            tx.exec0("INSERT INTO sync_mutations (organisation_id, mutation_id, user_id, "
                     "device_id, content_hash, status, reason) VALUES (" +
                     R + ", " + tx.quote(m_rivalMutation) + ", " + tx.quote(m_c.rivalStaff) +
                     ", 'rival-tablet', '\\x00', 'rejected', 'rival-only reason')");
            tx.commit();
        }
        m_rivalCacheKey =
            QByteArray(32, '\xaa')
                .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
                .toStdString();

        // The callers of A, each with a live sign-in; and one of B (for reauth).
        m_callers = {
            {QStringLiteral("staff"), m_c.staffA, "staff", "iso-shared-device", {}},
            {QStringLiteral("manager of A and B"), m_c.manager, "manager", "iso-manager", {}},
            {QStringLiteral("manager of A only"), m_managerA, "manager", "iso-manager-a", {}},
            {QStringLiteral("executive"), m_executive, "executive", "iso-executive", {}},
            {QStringLiteral("admin"), m_c.admin, "admin", "iso-admin", {}},
        };
        for (auto& c : m_callers) {
            c.token = cc::test::issueAccessToken(*m_db, c.userId, c.deviceId);
        }
        m_rivalToken = cc::test::issueAccessToken(*m_db, m_c.rivalStaff, "rival-tablet");
        // B's staff member signs in for real once (the password works; checked below).
        const Reply rivalLogin = call("POST", QStringLiteral("/v1/auth/login"), {},
                                      compactJson({{"organisation", "rival"},
                                                   {"email", "rory@rival.example"},
                                                   {"password", q(kPassword)},
                                                   {"deviceId", "rival-phone"}}));
        QCOMPARE(rivalLogin.status, 200);

        // B's change log numbered, so nothing about it moves while the test runs.
        cc::server::sync::sequence(*m_db, m_c.org);
        cc::server::sync::sequence(*m_db, m_c.rivalOrg);

        m_markers = {m_c.rivalOrg,       m_c.rivalStore,
                     m_rivalRegion,      m_c.rivalStaff,
                     m_rivalAdmin,       m_rivalManager,
                     m_rivalExecutive,   m_c.rivalCustomer,
                     m_rivalCall,        m_rivalTask,
                     m_rivalAppointment, m_rivalNote,
                     m_rivalMutation,    m_rivalCacheKey,
                     m_rivalNumber,      m_rivalPhone,
                     "+442073330000", // B's store's main number
                     "Rivalside",        "Rival Holdings",
                     "rival.example",    "Rival greeting",
                     "rival-shop",       "rival-client",
                     "rival-ext",        "rival.secret",
                     "rival-only",       "\"serviceLevelSeconds\":77"};

        m_rivalBefore = fingerprint();
        m_rivalAuditBefore = rivalAudit();
    }

    void cleanupTestCase()
    {
        m_devices.clear();
        m_db.reset();
        QCOMPARE(m_fx.stop(), 0);
    }

    void init()
    {
        m_problems.clear();
        m_checks = 0;
    }

    void cleanup() { qInfo("%d checks", m_checks); }

    // The fingerprint covers what it should: B has rows in the tables that matter, and a change
    // to any of them (here inside a transaction that is rolled back) shows.
    void fingerprintSeesOrganisationB()
    {
        for (const char* table : {"organisations",
                                  "regions",
                                  "locations",
                                  "location_hours",
                                  "location_holidays",
                                  "phone_numbers",
                                  "users",
                                  "user_locations",
                                  "customers",
                                  "customer_phones",
                                  "customer_locations",
                                  "calls",
                                  "call_notes",
                                  "tasks",
                                  "appointments",
                                  "presence",
                                  "audit_log",
                                  "auth_sessions",
                                  "refresh_tokens",
                                  "routing_rules",
                                  "analytics_settings",
                                  "integrations",
                                  "integration_locations",
                                  "device_cache_keys",
                                  "sync_log",
                                  "sync_mutations",
                                  "call_stats_daily"}) {
            const auto it = m_rivalBefore.find(table);
            expect(it != m_rivalBefore.end() && !it->second.starts_with("0 rows"),
                   QStringLiteral("organisation B has no rows in %1 to watch").arg(table));
        }
        pqxx::work tx(*m_db);
        tx.exec0("UPDATE customers SET sms_consent = NOT sms_consent WHERE id = " +
                 tx.quote(m_c.rivalCustomer));
        tx.exec0("DELETE FROM user_locations WHERE user_id = " + tx.quote(m_rivalManager));
        const auto changed = fingerprint(tx);
        tx.abort();
        expect(changed.at("customers") != m_rivalBefore.at("customers"),
               QStringLiteral("a change of B's customer does not show"));
        expect(changed.at("user_locations") != m_rivalBefore.at("user_locations"),
               QStringLiteral("a change of B's user_locations does not show"));
        expectRivalUnchanged(QStringLiteral("the self-test"));
        reportProblems();
    }

    // Every route that names an object, aimed at B's objects by each caller of A, and at a
    // random id the same way: the same status and the same body, the status the matrix gives.
    void httpObjectsOfOrganisationB()
    {
        const auto adminOnly = [](int forAdmin) {
            return [forAdmin](const Caller& c) { return c.role == "admin" ? forAdmin : 403; };
        };
        struct Route {
            QByteArray verb;
            QString path; // {id}: the target
            QString body; // {id}: the target; {n}: a fresh number
            std::vector<std::pair<QString, std::string>> targets;
            std::function<int(const Caller&)> expected;
        };
        const std::vector<std::pair<QString, std::string>> rivalUsers = {
            {QStringLiteral("B's staff"), m_c.rivalStaff},
            {QStringLiteral("B's manager"), m_rivalManager},
            {QStringLiteral("B's executive"), m_rivalExecutive},
            {QStringLiteral("B's admin"), m_rivalAdmin}};
        const std::vector<std::pair<QString, std::string>> rivalStore = {
            {QStringLiteral("B's store"), m_c.rivalStore}};
        const std::vector<std::pair<QString, std::string>> rivalCustomer = {
            {QStringLiteral("B's customer"), m_c.rivalCustomer}};
        const QString dates = reportDates();
        const std::vector<Route> routes = {
            {"PUT", QStringLiteral("/v1/admin/users/{id}"),
             QStringLiteral("{\"displayName\": \"Taken Over\"}"), rivalUsers, adminOnly(404)},
            {"PUT", QStringLiteral("/v1/admin/users/{id}"),
             QStringLiteral("{\"role\": \"staff\", \"storeIds\": [\"") + q(m_c.storeA) +
                 QStringLiteral("\"]}"),
             rivalUsers, adminOnly(404)},
            {"POST",
             QStringLiteral("/v1/admin/users/{id}/disable"),
             {},
             rivalUsers,
             adminOnly(404)},
            {"POST", QStringLiteral("/v1/admin/users/{id}/enable"), {}, rivalUsers, adminOnly(404)},
            {"POST",
             QStringLiteral("/v1/admin/users/{id}/reset-password"),
             {},
             rivalUsers,
             adminOnly(404)},
            // B's people named in a filter of A's audit log: nothing.
            {"GET", QStringLiteral("/v1/admin/audit?actor={id}"), {}, rivalUsers, adminOnly(200)},
            {"GET",
             QStringLiteral("/v1/admin/audit?targetType=user&targetId={id}"),
             {},
             rivalUsers,
             adminOnly(200)},
            {"PUT", QStringLiteral("/v1/admin/routing-rules/stores/{id}"),
             QStringLiteral("{\"ring_timeout_s\": 31, \"greeting\": \"Taken over\"}"), rivalStore,
             [](const Caller& c) { return c.role == "admin" || c.role == "manager" ? 404 : 403; }},
            {"GET",
             QStringLiteral("/v1/admin/customers/{id}/export"),
             {},
             rivalCustomer,
             adminOnly(404)},
            {"POST",
             QStringLiteral("/v1/admin/customers/{id}/erase"),
             {},
             rivalCustomer,
             adminOnly(404)},
            {"POST", QStringLiteral("/v1/stock"),
             QStringLiteral("{\"store_id\": \"{id}\", \"item\": \"rain jacket\"}"), rivalStore,
             [](const Caller&) { return 404; }},
            {"GET",
             QStringLiteral("/v1/analytics?") + dates + QStringLiteral("&location={id}"),
             {},
             rivalStore,
             [](const Caller&) { return 403; }},
            {"GET",
             QStringLiteral("/v1/analytics?") + dates +
                 QStringLiteral("&by=hour&format=csv&location={id}"),
             {},
             rivalStore,
             [](const Caller&) { return 403; }},
            // B's store given to a person of A, or to a new one, or linked to A's integration.
            {"PUT", QStringLiteral("/v1/admin/users/") + q(m_c.staffA2),
             QStringLiteral("{\"storeIds\": [\"{id}\"], \"homeStoreId\": \"{id}\"}"), rivalStore,
             adminOnly(400)},
            {"POST", QStringLiteral("/v1/admin/users"),
             QStringLiteral("{\"email\": \"new{n}@acme.example\", \"displayName\": \"New "
                            "Person\", \"role\": \"staff\", \"storeIds\": [\"{id}\"]}"),
             rivalStore, adminOnly(400)},
            {"PUT", QStringLiteral("/v1/admin/integrations/shopify"),
             QStringLiteral("{\"enabled\": false, \"settings\": {\"base_url\": "
                            "\"https://acme-shop.example\"}, \"credentials\": {\"access_token\": "
                            "\"acme-token\"}, \"locations\": {\"{id}\": \"ext-1\"}}"),
             rivalStore, adminOnly(400)},
        };
        int n = 0;
        for (const auto& route : routes) {
            for (const auto& c : m_callers) {
                for (const auto& [targetName, target] : route.targets) {
                    const auto send = [&](const std::string& id) {
                        QString path = route.path;
                        QString body = route.body;
                        path.replace(QStringLiteral("{id}"), q(id));
                        body.replace(QStringLiteral("{id}"), q(id));
                        body.replace(QStringLiteral("{n}"), QString::number(++n));
                        return call(route.verb, path, c.token, body.toUtf8());
                    };
                    const Reply probe = send(target);
                    const Reply control = send(cc::test::newUuid());
                    const QString where =
                        QStringLiteral("%1 %2%3 as %4 at %5")
                            .arg(QString::fromLatin1(route.verb), route.path,
                                 route.body.isEmpty() ? QString()
                                                      : QStringLiteral(" ") + route.body,
                                 c.name, targetName);
                    const int expected = route.expected(c);
                    expect(probe.status == expected, where + QStringLiteral(": %1 (expected %2) %3")
                                                                 .arg(probe.status)
                                                                 .arg(expected)
                                                                 .arg(shortened(probe.body)));
                    expect(probe.status == control.status && probe.body == control.body,
                           where + QStringLiteral(": answered unlike a missing one: %1 %2 / "
                                                  "random id: %3 %4")
                                       .arg(probe.status)
                                       .arg(shortened(probe.body))
                                       .arg(control.status)
                                       .arg(shortened(control.body)));
                    expectNoLeak(probe.body, where);
                    expectRouteExists(probe, where);
                }
            }
        }
        // Nothing of A changed either: no user was invited, no store given away.
        expect(scalar("SELECT count(*) FROM users WHERE email LIKE 'new%@acme.example'") == "0",
               QStringLiteral("an invite naming B's store created a user"));
        expect(scalar("SELECT count(*) FROM integrations WHERE organisation_id = '" + m_c.org +
                      "'") == "1",
               QStringLiteral("an integration naming B's store was saved"));
        expectRivalUnchanged(QStringLiteral("the routes naming B's objects"));
        reportProblems();
    }

    // A store of one's own organisation that is not one's own: as good as missing.
    void httpStoreNotTheirs()
    {
        const QString dates = reportDates();
        for (const QString& who : {QStringLiteral("staff"), QStringLiteral("manager of A only")}) {
            const Caller& c = caller(who);
            const bool manager = c.role == "manager";
            struct Probe {
                QByteArray verb;
                QString path;
                QString body;
                int mine;   // at store A
                int theirs; // at store B (and at a random id, with the same body)
            };
            const std::vector<Probe> probes = {
                {"PUT", QStringLiteral("/v1/admin/routing-rules/stores/{id}"),
                 QStringLiteral("{\"ring_timeout_s\": 27}"), manager ? 200 : 403,
                 manager ? 404 : 403},
                {"GET",
                 QStringLiteral("/v1/analytics?") + dates + QStringLiteral("&location={id}"),
                 {},
                 manager ? 200 : 403,
                 403},
                // No source of stock is connected in A: store A gets that far (409), B not.
                {"POST", QStringLiteral("/v1/stock"),
                 QStringLiteral("{\"store_id\": \"{id}\", \"item\": \"rain jacket\"}"), 409, 404},
            };
            for (const auto& p : probes) {
                const auto send = [&](const std::string& id) {
                    QString path = p.path;
                    QString body = p.body;
                    path.replace(QStringLiteral("{id}"), q(id));
                    body.replace(QStringLiteral("{id}"), q(id));
                    return call(p.verb, path, c.token, body.toUtf8());
                };
                const QString where =
                    QStringLiteral("%1 %2 as %3").arg(QString::fromLatin1(p.verb), p.path, c.name);
                const Reply mine = send(m_c.storeA);
                const Reply theirs = send(m_c.storeB);
                const Reply random = send(cc::test::newUuid());
                expect(mine.status == p.mine, where + QStringLiteral(" at store A: %1 (expected "
                                                                     "%2) %3")
                                                          .arg(mine.status)
                                                          .arg(p.mine)
                                                          .arg(shortened(mine.body)));
                expect(theirs.status == p.theirs, where + QStringLiteral(" at store B: %1 "
                                                                         "(expected %2) %3")
                                                              .arg(theirs.status)
                                                              .arg(p.theirs)
                                                              .arg(shortened(theirs.body)));
                expect(theirs.status == random.status && theirs.body == random.body,
                       where + QStringLiteral(" at store B answered unlike a missing store: %1 "
                                              "/ %2")
                                   .arg(shortened(theirs.body), shortened(random.body)));
                expectNoLeak(mine.body, where + QStringLiteral(" at store A"));
                expectRouteExists(theirs, where);
                expectNoLeak(theirs.body, where + QStringLiteral(" at store B"));
            }
        }
        // What the manager of A only reads names nothing of store B: not its people, not its
        // rules, not its figures.
        const Caller& m = caller(QStringLiteral("manager of A only"));
        const Reply users = call("GET", QStringLiteral("/v1/admin/users"), m.token);
        expect(users.status == 200 && users.body.contains(QByteArray::fromStdString(m_c.staffA)) &&
                   !users.body.contains(QByteArray::fromStdString(m_c.staffB)),
               QStringLiteral("GET /v1/admin/users as manager of A only: %1 %2")
                   .arg(users.status)
                   .arg(shortened(users.body)));
        expectNoLeak(users.body, QStringLiteral("GET /v1/admin/users as manager of A only"));
        const Reply rules = call("GET", QStringLiteral("/v1/admin/routing-rules"), m.token);
        expect(rules.status == 200 && rules.body.contains(QByteArray::fromStdString(m_c.storeA)) &&
                   !rules.body.contains(QByteArray::fromStdString(m_c.storeB)),
               QStringLiteral("GET /v1/admin/routing-rules as manager of A only: %1 %2")
                   .arg(rules.status)
                   .arg(shortened(rules.body)));
        expectNoLeak(rules.body,
                     QStringLiteral("GET /v1/admin/routing-rules as manager of A only"));
        for (const char* by : {"store", "person", "organisation", "day"}) {
            const Reply report =
                call("GET", QStringLiteral("/v1/analytics?%1&by=%2").arg(dates, QLatin1String(by)),
                     m.token);
            expect(report.status == 200 &&
                       !report.body.contains(QByteArray::fromStdString(m_c.storeB)) &&
                       !report.body.contains(QByteArray::fromStdString(m_c.staffB)),
                   QStringLiteral("GET /v1/analytics by=%1 as manager of A only: %2 %3")
                       .arg(QLatin1String(by))
                       .arg(report.status)
                       .arg(shortened(report.body)));
            expectNoLeak(report.body, QStringLiteral("GET /v1/analytics as manager of A only"));
        }
        expectRivalUnchanged(QStringLiteral("the store-B routes"));
        reportProblems();
    }

    // Routes that name no object run in the caller's organisation: they show and change A only.
    void httpOrganisationWideRoutes()
    {
        const QString dates = reportDates();
        const QByteArray acmeStore = QByteArray::fromStdString(m_c.storeA);
        struct Route {
            QByteArray verb;
            QString path;
            QByteArray body;
            std::function<int(const Caller&)> expected;
            QByteArray mustContain; // for callers answered 200 (a sign the check can fail)
        };
        const auto only = [](std::set<std::string> roles, int yes) {
            return [roles, yes](const Caller& c) { return roles.count(c.role) ? yes : 403; };
        };
        const std::vector<Route> routes = {
            {"GET",
             QStringLiteral("/v1/admin/users"),
             {},
             only({"admin", "manager"}, 200),
             QByteArray::fromStdString(m_c.staffA)},
            {"GET", QStringLiteral("/v1/admin/audit"), {}, only({"admin"}, 200), "acme.marker"},
            {"GET",
             QStringLiteral("/v1/admin/audit?action=rival"),
             {},
             only({"admin"}, 200),
             "entries"},
            {"GET",
             QStringLiteral("/v1/admin/routing-rules"),
             {},
             only({"admin", "manager"}, 200),
             acmeStore},
            {"PUT", QStringLiteral("/v1/admin/routing-rules"), "{\"greeting\": \"Welcome\"}",
             only({"admin"}, 200), "Welcome"},
            {"GET",
             QStringLiteral("/v1/admin/integrations"),
             {},
             only({"admin"}, 200),
             "acme-square.example"},
            {"GET",
             QStringLiteral("/v1/admin/analytics-settings"),
             {},
             only({"admin"}, 200),
             "serviceLevelSeconds"},
            {"PUT", QStringLiteral("/v1/admin/analytics-settings"), "{\"serviceLevelSeconds\": 25}",
             only({"admin"}, 200), "\"serviceLevelSeconds\":25"},
            {"GET",
             QStringLiteral("/v1/analytics?") + dates + QStringLiteral("&by=store"),
             {},
             only({"admin", "executive", "manager"}, 200),
             acmeStore},
            {"GET",
             QStringLiteral("/v1/analytics?") + dates + QStringLiteral("&by=organisation"),
             {},
             only({"admin", "executive", "manager"}, 200),
             "rows"},
            {"GET",
             QStringLiteral("/v1/analytics?") + dates + QStringLiteral("&by=region"),
             {},
             only({"admin", "executive", "manager"}, 200),
             "rows"},
            {"GET",
             QStringLiteral("/v1/analytics?") + dates + QStringLiteral("&by=person"),
             {},
             only({"admin", "executive", "manager"}, 200),
             "rows"},
            {"GET",
             QStringLiteral("/v1/analytics?") + dates + QStringLiteral("&format=csv"),
             {},
             only({"admin", "executive", "manager"}, 200),
             acmeStore},
            {"PUT", QStringLiteral("/v1/me/presence"), "{\"status\": \"away\"}",
             only({"staff", "manager"}, 200), "away"},
            {"GET",
             QStringLiteral("/v1/me/cache-key"),
             {},
             [](const Caller&) { return 200; },
             "cacheKey"},
            // B has shopify connected and google_calendar set up; A has neither.
            {"POST",
             QStringLiteral("/v1/admin/integrations/shopify/test"),
             {},
             only({"admin"}, 404),
             {}},
            {"DELETE",
             QStringLiteral("/v1/admin/integrations/google_calendar"),
             {},
             only({"admin"}, 404),
             {}},
        };
        for (const auto& route : routes) {
            for (const auto& c : m_callers) {
                const Reply r = call(route.verb, route.path, c.token, route.body);
                const QString where = QStringLiteral("%1 %2 as %3")
                                          .arg(QString::fromLatin1(route.verb), route.path, c.name);
                const int expected = route.expected(c);
                expect(r.status == expected, where + QStringLiteral(": %1 (expected %2) %3")
                                                         .arg(r.status)
                                                         .arg(expected)
                                                         .arg(shortened(r.body)));
                if (r.status == 200 && !route.mustContain.isEmpty()) {
                    expect(r.body.contains(route.mustContain),
                           where +
                               QStringLiteral(": no %1 in %2")
                                   .arg(QString::fromUtf8(route.mustContain), shortened(r.body)));
                }
                expectNoLeak(r.body, where);
                expectRouteExists(r, where);
            }
        }
        // B's provider answers A's admin exactly like one nobody has connected.
        const std::string admin = caller(QStringLiteral("admin")).token;
        const Reply test =
            call("POST", QStringLiteral("/v1/admin/integrations/shopify/test"), admin);
        expect(jsonOf(test.body) ==
                   QJsonObject{{"error", "not_connected"}, {"message", "shopify is not connected"}},
               QStringLiteral("testing shopify (B's) as A's admin: ") + shortened(test.body));
        const Reply gone =
            call("DELETE", QStringLiteral("/v1/admin/integrations/google_calendar"), admin);
        const Reply never = call("DELETE", QStringLiteral("/v1/admin/integrations/shopify"), admin);
        expect(gone.status == never.status && gone.body == never.body,
               QStringLiteral("removing google_calendar (B's) answers unlike shopify (nobody's): "
                              "%1 / %2")
                   .arg(shortened(gone.body), shortened(never.body)));
        // A's admin connects, reads and removes the provider B also uses: A's row only.
        const Reply saved =
            call("PUT", QStringLiteral("/v1/admin/integrations/shopify"), admin,
                 "{\"enabled\": false, \"settings\": {\"base_url\": "
                 "\"https://acme-shop.example\"}, \"credentials\": {\"access_token\": "
                 "\"acme-token\"}, \"locations\": {\"" +
                     QByteArray::fromStdString(m_c.storeA) + "\": \"acme-ext\"}}");
        expect(saved.status == 200, QStringLiteral("PUT shopify as A's admin: ") +
                                        QString::number(saved.status) + shortened(saved.body));
        const Reply listed = call("GET", QStringLiteral("/v1/admin/integrations"), admin);
        expect(listed.body.contains("acme-shop.example") && listed.body.contains("acme-ext"),
               QStringLiteral("A's shopify not listed: ") + shortened(listed.body));
        expectNoLeak(listed.body, QStringLiteral("GET /v1/admin/integrations after PUT"));
        const Reply removed =
            call("DELETE", QStringLiteral("/v1/admin/integrations/shopify"), admin);
        expect(removed.status == 200, QStringLiteral("DELETE shopify as A's admin: ") +
                                          QString::number(removed.status) +
                                          shortened(removed.body));
        // A's settings are A's: B keeps its own.
        const Reply settings = call("GET", QStringLiteral("/v1/admin/analytics-settings"), admin);
        expect(jsonOf(settings.body).value("serviceLevelSeconds").toInt() == 25,
               QStringLiteral("A's analytics settings: ") + shortened(settings.body));
        // The cache key is the sign-in's own device's, not B's key for the same device id.
        const Reply key =
            call("GET", QStringLiteral("/v1/me/cache-key"), caller(QStringLiteral("staff")).token);
        expect(key.status == 200 &&
                   jsonOf(key.body).value("cacheKey").toString().toStdString() != m_rivalCacheKey,
               QStringLiteral("A's staff got B's cache key for the same device id"));
        // An e-mail address that exists in B only is free in A (answering 409 would tell that
        // it exists somewhere), and the person made is A's.
        const Reply invited =
            call("POST", QStringLiteral("/v1/admin/users"), admin,
                 "{\"email\": \"pat@shared.example\", \"displayName\": \"Pat Acme\", \"role\": "
                 "\"executive\", \"storeIds\": []}");
        const QJsonObject invite = jsonOf(invited.body);
        expect(invited.status == 201 &&
                   invite.value("user").toObject().value("id").toString() != q(m_rivalAdmin),
               QStringLiteral("inviting B's admin's e-mail address into A: %1 %2")
                   .arg(invited.status)
                   .arg(shortened(invited.body)));
        if (invited.status == 404) {
            qWarning("POST /v1/admin/users answered 404: not built yet?");
        }
        m_setupEmail = QStringLiteral("pat@shared.example");
        m_setupCode = invite.value("setupCode").toString();
        expectNoLeak(invited.body, QStringLiteral("POST /v1/admin/users (B's e-mail)"));
        expect(scalar("SELECT count(*) FROM users WHERE lower(email) = 'pat@shared.example' AND "
                      "organisation_id = '" +
                      m_c.org + "'") == "1",
               QStringLiteral("the invited person is not in A"));
        expectRivalUnchanged(QStringLiteral("the organisation-wide routes"));
        reportProblems();
    }

    // Tokens the server did not sign: every route that takes one answers 401, whatever it
    // claims (B's admin here).
    void httpTokensOfAnotherKey()
    {
        const std::vector<std::pair<QByteArray, QString>> routes = {
            {"GET", QStringLiteral("/v1/admin/users")},
            {"POST", QStringLiteral("/v1/admin/users")},
            {"PUT", QStringLiteral("/v1/admin/users/") + q(m_c.rivalStaff)},
            {"POST", QStringLiteral("/v1/admin/users/") + q(m_c.rivalStaff) + "/disable"},
            {"POST", QStringLiteral("/v1/admin/users/") + q(m_c.rivalStaff) + "/enable"},
            {"POST", QStringLiteral("/v1/admin/users/") + q(m_c.rivalStaff) + "/reset-password"},
            {"GET", QStringLiteral("/v1/admin/audit")},
            {"GET", QStringLiteral("/v1/admin/routing-rules")},
            {"PUT", QStringLiteral("/v1/admin/routing-rules")},
            {"PUT", QStringLiteral("/v1/admin/routing-rules/stores/") + q(m_c.rivalStore)},
            {"GET", QStringLiteral("/v1/admin/integrations")},
            {"PUT", QStringLiteral("/v1/admin/integrations/shopify")},
            {"DELETE", QStringLiteral("/v1/admin/integrations/shopify")},
            {"POST", QStringLiteral("/v1/admin/integrations/shopify/test")},
            {"GET", QStringLiteral("/v1/admin/analytics-settings")},
            {"PUT", QStringLiteral("/v1/admin/analytics-settings")},
            {"GET", QStringLiteral("/v1/analytics?") + reportDates()},
            {"POST", QStringLiteral("/v1/stock")},
            {"PUT", QStringLiteral("/v1/me/presence")},
            {"GET", QStringLiteral("/v1/me/cache-key")},
            {"GET", QStringLiteral("/v1/admin/customers/") + q(m_c.rivalCustomer) + "/export"},
            {"POST", QStringLiteral("/v1/admin/customers/") + q(m_c.rivalCustomer) + "/erase"},
        };
        // Bodies that parse, so nothing but the token decides.
        const std::map<QString, QByteArray> bodies = {
            {QStringLiteral("/v1/admin/users"),
             "{\"email\": \"x@acme.example\", \"displayName\": \"X\", \"role\": \"executive\", "
             "\"storeIds\": []}"},
            {QStringLiteral("/v1/admin/routing-rules"), "{\"ring_timeout_s\": 20}"},
            {QStringLiteral("/v1/admin/analytics-settings"), "{\"serviceLevelSeconds\": 20}"},
            {QStringLiteral("/v1/stock"), "{\"store_id\": \"" +
                                              QByteArray::fromStdString(m_c.rivalStore) +
                                              "\", \"item\": \"rain jacket\"}"},
            {QStringLiteral("/v1/me/presence"), "{\"status\": \"away\"}"},
        };
        for (const auto& [kidName, token] :
             {std::pair{QStringLiteral("the server's kid"), forgedToken("test")},
              std::pair{QStringLiteral("an unknown kid"), forgedToken("elsewhere")}}) {
            for (const auto& [verb, path] : routes) {
                QByteArray body;
                if (verb != "GET" && verb != "DELETE") {
                    const auto it = bodies.find(path);
                    body = it != bodies.end() ? it->second : QByteArray("{\"displayName\": \"X\"}");
                }
                const Reply r = call(verb, path, token, body);
                const QString where = QStringLiteral("%1 %2 with a token of another key (%3)")
                                          .arg(QString::fromLatin1(verb), path, kidName);
                expect(r.status == 401 &&
                           jsonOf(r.body) == QJsonObject{{"error", "unauthenticated"}},
                       where + QStringLiteral(": %1 %2").arg(r.status).arg(shortened(r.body)));
                expectNoLeak(r.body, where);
            }
        }
        expectRivalUnchanged(QStringLiteral("tokens of another key"));
        reportProblems();
    }

    // Sign-in and setup codes name the organisation: one of A's people at B's code (and B's at
    // A's) is as unknown as a made-up address.
    void signInAcrossOrganisations()
    {
        const auto login = [&](const QString& organisation, const QString& email) {
            return call("POST", QStringLiteral("/v1/auth/login"), {},
                        compactJson({{"organisation", organisation},
                                     {"email", email},
                                     {"password", q(kPassword)},
                                     {"deviceId", "iso-login"}}));
        };
        const Reply own = login(QStringLiteral("acme"), QStringLiteral("ann@acme.example"));
        expect(own.status == 200, QStringLiteral("A's staff cannot sign in at A: ") +
                                      QString::number(own.status) + shortened(own.body));
        const std::vector<std::tuple<QString, QString, QString>> attempts = {
            {QStringLiteral("rival"), QStringLiteral("ann@acme.example"),
             QStringLiteral("A's staff at B's code")},
            {QStringLiteral("acme"), QStringLiteral("rory@rival.example"),
             QStringLiteral("B's staff at A's code")},
        };
        for (const auto& [organisation, email, what] : attempts) {
            const Reply r = login(organisation, email);
            const Reply unknown = login(
                organisation, QStringLiteral("nobody-%1@example.com").arg(q(cc::test::newUuid())));
            expect(r.status == 401 &&
                       jsonOf(r.body) == QJsonObject{{"error", "invalid_credentials"}},
                   QStringLiteral("sign-in of %1: %2 %3")
                       .arg(what)
                       .arg(r.status)
                       .arg(shortened(r.body)));
            expect(r.status == unknown.status && r.body == unknown.body,
                   QStringLiteral("sign-in of %1 answered unlike an unknown address").arg(what));
            expectNoLeak(r.body, QStringLiteral("sign-in of ") + what);
        }
        // A setup code of A, with B's organisation code and an address B has too.
        if (m_setupCode.isEmpty()) {
            m_problems << QStringLiteral("no setup code from the invite (POST /v1/admin/users)");
        } else {
            const auto setup = [&](const QString& organisation, const QString& code) {
                return call("POST", QStringLiteral("/v1/auth/setup-password"), {},
                            compactJson({{"organisation", organisation},
                                         {"email", m_setupEmail},
                                         {"code", code},
                                         {"password", "a new password for Pat"}}));
            };
            const Reply crossed = setup(QStringLiteral("rival"), m_setupCode);
            const Reply wrong =
                setup(QStringLiteral("rival"), QStringLiteral("0000-0000-0000-0000"));
            expect(crossed.status == 401 &&
                       jsonOf(crossed.body) == QJsonObject{{"error", "invalid_setup_code"}} &&
                       crossed.body == wrong.body,
                   QStringLiteral("A's setup code at B's code: %1 %2 / wrong code: %3")
                       .arg(crossed.status)
                       .arg(shortened(crossed.body), shortened(wrong.body)));
            const Reply right = setup(QStringLiteral("acme"), m_setupCode);
            expect(right.status == 200, QStringLiteral("A's setup code at A's code: ") +
                                            QString::number(right.status) + shortened(right.body));
            expect(scalar("SELECT count(*) FROM users WHERE organisation_id = '" + m_c.rivalOrg +
                          "' AND password_hash IS NOT NULL") == "1",
                   QStringLiteral("a password was set in B"));
        }
        expectRivalUnchanged(QStringLiteral("sign-in"));
        reportProblems();
    }

    // Each role's device of A, after its snapshot, holds nothing of B; staff and the manager of
    // A only hold nothing of store B's own.
    void syncSnapshotsHoldNothingOfOrganisationB()
    {
        for (const auto& c : m_callers) {
            m_devices[c.name] = device(c);
            m_devices[c.name]->connect();
        }
        for (const auto& c : m_callers) {
            SyncDevice& d = *m_devices[c.name];
            QVERIFY2(d.waitLive(60000), qPrintable(c.name + QStringLiteral(" is not live")));
            // It did download: its organisation and stores.
            expect(d.store().row("organisations", m_c.org).has_value() &&
                       d.store().row("locations", m_c.storeA).has_value(),
                   c.name + QStringLiteral(" holds not even its own organisation"));
            expectNothingOfRivalHeld(d.store(), c.name + QStringLiteral("'s device"));
            const std::string diff = cc::test::differencesFromServer(*m_db, c.userId, d.store());
            expect(diff.empty(), c.name + QStringLiteral(": ") + q(diff));
        }
        for (const QString& who : {QStringLiteral("staff"), QStringLiteral("manager of A only")}) {
            const auto& s = m_devices[who]->store();
            expect(s.row("customers", m_c.customerA).has_value(),
                   who + QStringLiteral(" does not hold store A's customer"));
            for (const auto& [entity, key] :
                 {std::pair{"tasks", m_c.taskB}, std::pair{"calls", m_c.callB},
                  std::pair{"appointments", m_appointmentB},
                  std::pair{"customers", m_c.customerB}}) {
                expect(!s.row(entity, key).has_value(),
                       who + QStringLiteral(" holds store B's ") + QLatin1String(entity));
            }
            for (const auto& [key, fields] : s.rows("tasks")) {
                const Value* location = cc::sync::find(fields, "location_id");
                expect(location == nullptr || std::get<std::string>(*location) != m_c.storeB,
                       who + QStringLiteral(" holds task ") + q(key) +
                           QStringLiteral(" of store B"));
            }
        }
        expect(m_devices[QStringLiteral("manager of A and B")]
                   ->store()
                   .row("tasks", m_c.taskB)
                   .has_value(),
               QStringLiteral("the manager of A and B does not hold store B's task"));
        expectRivalUnchanged(QStringLiteral("the snapshots"));
        reportProblems();
    }

    // Every write a device can push that names B (each reference of each entity, each of B's
    // rows by key, each op), by each role: refused like the same write naming a random id,
    // with a reason that names nothing of B, and nothing written.
    void syncPushesNamingOrganisationB()
    {
        QVERIFY(!m_devices.empty());
        const std::map<std::string, std::string> rivalRef = {{"locations", m_c.rivalStore},
                                                             {"customers", m_c.rivalCustomer},
                                                             {"calls", m_rivalCall},
                                                             {"users", m_c.rivalStaff},
                                                             {"regions", m_rivalRegion}};
        const std::map<std::string, std::string> refReason = {
            {"locations", "that store is not one of yours"},
            {"customers", "no such customer in your stores"},
            {"calls", "no such call in your stores"},
            {"users", "no such user"},
            {"regions", "no such region"}};
        // B's row of every entity, by key.
        const std::map<std::string, std::string> rivalKey = {
            {"organisations", m_c.rivalOrg},
            {"regions", m_rivalRegion},
            {"locations", m_c.rivalStore},
            {"location_hours", m_c.rivalStore + "/1"},
            {"location_holidays", m_c.rivalStore + "/2026-12-26"},
            {"phone_numbers", m_rivalNumber},
            {"users", m_c.rivalStaff},
            {"user_locations", m_c.rivalStaff + "/" + m_c.rivalStore},
            {"customers", m_c.rivalCustomer},
            {"customer_phones", m_c.rivalCustomer + "/" + m_rivalPhone},
            {"calls", m_rivalCall},
            {"call_notes", m_rivalNote},
            {"tasks", m_rivalTask},
            {"appointments", m_rivalAppointment},
            {"presence", m_c.rivalStaff}};
        // A's own rows at store A, to link to B.
        const std::map<std::string, std::string> ownKey = {{"customers", m_c.customerA},
                                                           {"calls", m_c.callA},
                                                           {"tasks", m_c.taskA},
                                                           {"appointments", m_appointmentA}};
        const std::string before = acmeRowsDigest();

        struct Case {
            QString what;
            cc::protocol::Mutation probe;
            std::optional<cc::protocol::Mutation> control; // the same at a random id
            std::string reason; // expected (part of) the refusal; empty: a no-op "applied"
        };
        std::set<std::string> mustNotApply; // mutation ids
        int caseNumber = 0;
        for (const auto& c : m_callers) {
            const bool writer = c.role == "staff" || c.role == "manager";
            const std::string me = c.userId;
            // A valid new row of each insertable entity, at store A, linked to A's rows.
            const auto baseRow = [&](std::string_view entity) -> std::optional<Fields> {
                const std::string id = cc::test::newUuid();
                const std::int64_t t = nowMs() + 86400000;
                if (entity == "customers") {
                    return Fields{{"id", Value{id}}, {"display_name", Value{std::string("Iso")}}};
                }
                if (entity == "customer_phones") {
                    return Fields{
                        {"customer_id", Value{m_c.customerA}},
                        {"number", Value{"+4477009551" + std::to_string(10 + ++caseNumber)}}};
                }
                if (entity == "call_notes") {
                    return Fields{{"id", Value{id}},
                                  {"customer_id", Value{m_c.customerA}},
                                  {"call_id", Value{m_c.callA}},
                                  {"location_id", Value{m_c.storeA}},
                                  {"body", Value{std::string("iso note")}}};
                }
                if (entity == "tasks") {
                    return Fields{{"id", Value{id}},
                                  {"location_id", Value{m_c.storeA}},
                                  {"customer_id", Value{m_c.customerA}},
                                  {"call_id", Value{m_c.callA}},
                                  {"kind", Value{std::string("callback")}},
                                  {"title", Value{std::string("iso task")}},
                                  {"due_at", Value{t}},
                                  {"assigned_to", Value{me}}};
                }
                if (entity == "appointments") {
                    return Fields{{"id", Value{id}},
                                  {"location_id", Value{m_c.storeA}},
                                  {"customer_id", Value{m_c.customerA}},
                                  {"staff_id", Value{me}},
                                  {"starts_at", Value{t}},
                                  {"ends_at", Value{t + 3600000}}};
                }
                return std::nullopt;
            };
            const auto mutation = [&](const cc::sync::EntitySpec& e, Op op, const std::string& key,
                                      Fields f) {
                return cc::protocol::Mutation{
                    cc::test::newUuid(), std::string(e.name), key, op, std::move(f), stamp()};
            };
            const auto insert = [&](const cc::sync::EntitySpec& e, Fields f) {
                const std::string key = keyOf(e, f);
                return mutation(e, Op::Insert, key, std::move(f));
            };
            std::vector<Case> cases;
            std::vector<cc::protocol::Mutation> positives; // must apply (a sign checks can fail)
            for (const auto& e : cc::sync::entities()) {
                const std::string name(e.name);
                const auto rival = rivalKey.find(name);
                if (rival == rivalKey.end()) {
                    QFAIL(qPrintable(QStringLiteral("no row of B for entity %1: add one")
                                         .arg(QLatin1String(e.name))));
                }
                // Inserts, each reference pointed at B in turn.
                if (e.clientInsert) {
                    const auto base = baseRow(e.name);
                    if (!base) {
                        QFAIL(qPrintable(QStringLiteral("no valid row to insert for entity %1")
                                             .arg(QLatin1String(e.name))));
                    }
                    positives.push_back(insert(e, *base));
                    for (const auto& f : e.fields) {
                        if (f.references.empty() || !f.insertable) {
                            continue;
                        }
                        const std::string target(f.references);
                        Fields probe = *baseRow(e.name);
                        Fields control = *baseRow(e.name);
                        cases.push_back(
                            {QStringLiteral("insert %1 with %2 of B")
                                 .arg(QLatin1String(e.name), QLatin1String(f.name)),
                             insert(e, with(probe, f.name, Value{rivalRef.at(target)})),
                             insert(e, with(control, f.name, Value{cc::test::newUuid()})),
                             refReason.at(target)});
                    }
                    // B's key: it exists, so this cannot answer like a missing key (that would
                    // be an insert that works); it must be refused and name nothing of B.
                    Fields collide = *baseRow(e.name);
                    const auto parts = splitKey(rival->second);
                    bool keyIsReference = false;
                    for (std::size_t i = 0; i < e.key.size() && i < parts.size(); ++i) {
                        collide = with(collide, e.key[i], Value{parts[i]});
                        keyIsReference = keyIsReference || !e.field(e.key[i])->references.empty();
                    }
                    cases.push_back(
                        {QStringLiteral("insert %1 with B's key").arg(QLatin1String(e.name)),
                         insert(e, collide), std::nullopt,
                         keyIsReference ? "no such customer in your stores" : "already exists"});
                }
                // The random key of this entity, for the controls.
                std::string randomKey;
                for (const auto& k : e.key) {
                    const Value v = e.field(k)->kind == cc::sync::Kind::Uuid
                                        ? Value{cc::test::newUuid()}
                                        : sampleValue(*e.field(k));
                    randomKey += (randomKey.empty() ? "" : "/") + textOfValue(v);
                }
                if (!e.clientInsert) {
                    // Configuration and server-written rows: no insert from a device, B's key
                    // or not.
                    Fields keyed;
                    const auto parts = splitKey(rival->second);
                    for (std::size_t i = 0; i < e.key.size() && i < parts.size(); ++i) {
                        keyed.push_back({std::string(e.key[i]), Value{parts[i]}});
                    }
                    cases.push_back(
                        {QStringLiteral("insert %1 with B's key").arg(QLatin1String(e.name)),
                         mutation(e, Op::Insert, rival->second, keyed),
                         mutation(e, Op::Insert, randomKey, keyed), "cannot be changed that way"});
                }
                // Updates of A's own row, each updatable reference pointed at B.
                if (e.clientUpdate) {
                    for (const auto& f : e.fields) {
                        if (f.references.empty() || !f.updatable) {
                            continue;
                        }
                        const auto own = ownKey.find(name);
                        if (own == ownKey.end()) {
                            QFAIL(qPrintable(QStringLiteral("no row of A for entity %1")
                                                 .arg(QLatin1String(e.name))));
                        }
                        const std::string target(f.references);
                        cases.push_back(
                            {QStringLiteral("update A's %1, %2 to B's")
                                 .arg(QLatin1String(e.name), QLatin1String(f.name)),
                             mutation(e, Op::Update, own->second,
                                      {{std::string(f.name), Value{rivalRef.at(target)}}}),
                             mutation(e, Op::Update, own->second,
                                      {{std::string(f.name), Value{cc::test::newUuid()}}}),
                             refReason.at(target)});
                    }
                }
                // B's row by key: an update (of a field a device may change, if any) and a
                // delete, against the same at a random key.
                const cc::sync::FieldSpec* field = nullptr;
                for (const auto& f : e.fields) {
                    const bool isKey = std::find(e.key.begin(), e.key.end(), f.name) != e.key.end();
                    if (!isKey && f.references.empty() && (f.updatable || !e.clientUpdate)) {
                        field = &f;
                        break;
                    }
                }
                if (field == nullptr) {
                    field = &e.fields.front(); // every field is part of the key (user_locations)
                }
                cases.push_back({QStringLiteral("update B's %1").arg(QLatin1String(e.name)),
                                 mutation(e, Op::Update, rival->second,
                                          {{std::string(field->name), sampleValue(*field)}}),
                                 mutation(e, Op::Update, randomKey,
                                          {{std::string(field->name), sampleValue(*field)}}),
                                 e.clientUpdate ? "no such row" : "cannot be changed that way"});
                // A delete of a row the writer cannot see is "applied" like a delete of a row
                // that is already gone (sync-protocol.md §6): nothing is deleted.
                cases.push_back({QStringLiteral("delete B's %1").arg(QLatin1String(e.name)),
                                 mutation(e, Op::Delete, rival->second, {}),
                                 mutation(e, Op::Delete, randomKey, {}),
                                 e.clientDelete ? "" : "cannot be changed that way"});
            }

            std::vector<cc::protocol::Mutation> batch;
            for (const auto& k : cases) {
                batch.push_back(k.probe);
                mustNotApply.insert(k.probe.id);
                if (k.control) {
                    batch.push_back(*k.control);
                    mustNotApply.insert(k.control->id);
                }
            }
            for (const auto& p : positives) {
                batch.push_back(p);
            }
            const std::string pushId = "iso-push-" + c.deviceId;
            const auto result = rawPush(*m_devices[c.name], pushId, batch);
            QVERIFY2(result.results.size() == batch.size(),
                     qPrintable(c.name + QStringLiteral(": no answer to the push")));
            std::map<std::string, cc::protocol::MutationResult> byId;
            for (const auto& r : result.results) {
                byId[r.id] = r;
            }
            const auto describe = [](const cc::protocol::MutationResult& r) {
                return QStringLiteral("%1 v%2 \"%3\"")
                    .arg(QString::fromLatin1(
                        r.status == cc::protocol::MutationStatus::Applied ? "applied" : "rejected"))
                    .arg(r.version)
                    .arg(q(r.reason));
            };
            for (const auto& k : cases) {
                const auto& probe = byId[k.probe.id];
                const QString where = k.what + QStringLiteral(" as ") + c.name;
                const std::string reason =
                    writer ? k.reason : "your role does not change store data from a device";
                if (reason.empty()) {
                    expect(probe.status == cc::protocol::MutationStatus::Applied &&
                               probe.version == 0,
                           where + QStringLiteral(": ") + describe(probe) +
                               QStringLiteral(" (expected a no-op, like a missing row)"));
                } else {
                    expect(probe.status == cc::protocol::MutationStatus::Rejected &&
                               probe.reason.find(reason) != std::string::npos,
                           where + QStringLiteral(": ") + describe(probe) +
                               QStringLiteral(" (expected rejected: ") + q(reason) + ")");
                }
                if (k.control) {
                    auto control = byId[k.control->id];
                    control.id = probe.id;
                    expect(control == probe, where +
                                                 QStringLiteral(": answered unlike a random "
                                                                "id: ") +
                                                 describe(probe) + QStringLiteral(" / ") +
                                                 describe(control));
                }
                expectNoLeak(QByteArray::fromStdString(probe.reason), where);
            }
            for (const auto& p : positives) {
                const auto& r = byId[p.id];
                const bool applied = r.status == cc::protocol::MutationStatus::Applied;
                expect(applied == writer, QStringLiteral("the valid insert into %1 as %2: %3")
                                              .arg(q(p.entity), c.name, describe(r)));
            }
        }
        // Nothing that was refused (or a no-op) wrote anything, anywhere.
        std::string ids = "{";
        for (const auto& id : mustNotApply) {
            ids += (ids.size() > 1 ? "," : "") + id;
        }
        ids += "}";
        expect(scalar("SELECT count(*) FROM sync_log WHERE mutation_id = ANY ('" + ids +
                      "'::uuid[])") == "0",
               QStringLiteral("a refused mutation reached the change log"));
        for (const char* table :
             {"customers", "customer_phones", "calls", "call_notes", "tasks", "appointments"}) {
            expect(scalar(std::string("SELECT count(*) FROM ") + table +
                          " WHERE sync_mutation = ANY ('" + ids + "'::uuid[])") == "0",
                   QStringLiteral("a refused mutation wrote a row of ") + QLatin1String(table));
        }
        // A's rows from before the pushes (the valid inserts are new rows, by a mutation).
        expect(acmeRowsDigest() == before, QStringLiteral("A's rows changed"));
        expectRivalUnchanged(QStringLiteral("the pushes naming B"));
        reportProblems();
    }

    // Staff and the manager of A only write to store B's rows, or link them: refused.
    void syncPushesToAStoreNotTheirs()
    {
        QVERIFY(!m_devices.empty());
        const std::string before = storeBDigest();
        std::set<std::string> ids;
        for (const QString& who : {QStringLiteral("staff"), QStringLiteral("manager of A only")}) {
            const Caller& c = caller(who);
            const std::int64_t t = nowMs() + 86400000;
            const auto m = [&](const char* entity, Op op, const std::string& key, Fields f) {
                return cc::protocol::Mutation{cc::test::newUuid(), entity, key, op,
                                              std::move(f),        stamp()};
            };
            const auto note = [&](const std::string& location, const std::string& customer,
                                  const std::string& callId) {
                const std::string id = cc::test::newUuid();
                Fields f{{"id", Value{id}},
                         {"location_id", Value{location}},
                         {"body", Value{std::string("mine now")}}};
                if (!customer.empty()) {
                    f.push_back({"customer_id", Value{customer}});
                }
                if (!callId.empty()) {
                    f.push_back({"call_id", Value{callId}});
                }
                return m("call_notes", Op::Insert, id, f);
            };
            const auto task = [&](const std::string& location, const std::string& customer) {
                const std::string id = cc::test::newUuid();
                return m("tasks", Op::Insert, id,
                         {{"id", Value{id}},
                          {"location_id", Value{location}},
                          {"customer_id", Value{customer}},
                          {"kind", Value{std::string("callback")}},
                          {"title", Value{std::string("mine now")}},
                          {"due_at", Value{t}}});
            };
            const auto appointment = [&](const std::string& location) {
                const std::string id = cc::test::newUuid();
                return m("appointments", Op::Insert, id,
                         {{"id", Value{id}},
                          {"location_id", Value{location}},
                          {"starts_at", Value{t}},
                          {"ends_at", Value{t + 3600000}}});
            };
            const std::vector<std::pair<cc::protocol::Mutation, std::string>> cases = {
                {note(m_c.storeB, {}, {}), "that store is not one of yours"},
                {note(m_c.storeA, m_c.customerB, {}), "no such customer in your stores"},
                {note(m_c.storeA, {}, m_c.callB), "no such call in your stores"},
                {task(m_c.storeB, m_c.customerA), "that store is not one of yours"},
                {task(m_c.storeA, m_c.customerB), "no such customer in your stores"},
                {m("tasks", Op::Update, m_c.taskB, {{"title", Value{std::string("mine now")}}}),
                 "belongs to a store that is not yours"},
                {m("tasks", Op::Update, m_c.taskA, {{"customer_id", Value{m_c.customerB}}}),
                 "no such customer in your stores"},
                {m("calls", Op::Update, m_c.callB,
                   {{"disposition", Value{std::string("mine now")}}}),
                 "belongs to a store that is not yours"},
                {m("calls", Op::Update, m_c.callA, {{"customer_id", Value{m_c.customerB}}}),
                 "no such customer in your stores"},
                {m("appointments", Op::Update, m_appointmentB,
                   {{"status", Value{std::string("cancelled")}}}),
                 "belongs to a store that is not yours"},
                {appointment(m_c.storeB), "that store is not one of yours"},
                {m("customers", Op::Update, m_c.customerB,
                   {{"display_name", Value{std::string("mine now")}}}),
                 "not seen by your stores"},
                {m("customer_phones", Op::Delete, m_c.customerB + "/+447700900002", {}),
                 "not seen by your stores"},
                {m("customer_phones", Op::Insert, m_c.customerB + "/+447700955100",
                   {{"customer_id", Value{m_c.customerB}},
                    {"number", Value{std::string("+447700955100")}}}),
                 "no such customer in your stores"},
            };
            const auto& all = cases;
            std::vector<cc::protocol::Mutation> batch;
            for (const auto& k : all) {
                batch.push_back(k.first);
                ids.insert(k.first.id);
            }
            const auto result = rawPush(*m_devices[who], "iso-store-b-" + c.deviceId, batch);
            QVERIFY2(result.results.size() == batch.size(),
                     qPrintable(who + QStringLiteral(": no answer to the push")));
            for (std::size_t i = 0; i < all.size(); ++i) {
                const auto& r = result.results[i];
                expect(r.status == cc::protocol::MutationStatus::Rejected &&
                           r.reason.find(all[i].second) != std::string::npos,
                       QStringLiteral("%1 %2 %3 as %4: %5 \"%6\" (expected rejected: %7)")
                           .arg(QString::fromLatin1(all[i].first.op == Op::Insert   ? "insert"
                                                    : all[i].first.op == Op::Update ? "update"
                                                                                    : "delete"),
                                q(all[i].first.entity), q(all[i].first.key), who,
                                QString::fromLatin1(
                                    r.status == cc::protocol::MutationStatus::Applied ? "applied"
                                                                                      : "rejected"),
                                q(r.reason), q(all[i].second)));
            }
        }
        const std::string after = storeBDigest();
        expect(after == before, QStringLiteral("store B's rows changed"));
        std::string list = "{";
        for (const auto& id : ids) {
            list += (list.size() > 1 ? "," : "") + id;
        }
        list += "}";
        expect(scalar("SELECT count(*) FROM sync_log WHERE mutation_id = ANY ('" + list +
                      "'::uuid[])") == "0",
               QStringLiteral("a refused write to store B reached the change log"));
        expectRivalUnchanged(QStringLiteral("the pushes to store B"));
        reportProblems();
    }

    // Mutation ids are the device's: one B already used means nothing to A (no "already used",
    // no decision of B's read back).
    void syncMutationIdsAreTheOrganisations()
    {
        QVERIFY(!m_devices.empty());
        const auto result = rawPush(*m_devices[QStringLiteral("staff")], "iso-reused-id",
                                    {{m_rivalMutation, "customers", m_c.customerA, Op::Update,
                                      Fields{{"marketing_consent", Value{true}}}, stamp()}});
        QCOMPARE(result.results.size(), std::size_t(1));
        expect(result.results[0].status == cc::protocol::MutationStatus::Applied,
               QStringLiteral("a mutation id B used: ") + q(result.results[0].reason));
        expectNoLeak(QByteArray::fromStdString(result.results[0].reason),
                     QStringLiteral("a mutation id B used"));
        // A's customer row now names that id as its last mutation, rightly: it is A's too now.
        m_markers.erase(std::remove(m_markers.begin(), m_markers.end(), m_rivalMutation),
                        m_markers.end());
        expectRivalUnchanged(QStringLiteral("a mutation id of B's"));
        reportProblems();
    }

    // hello with a token of another key, reauth with someone else's token: refused and closed,
    // with nothing of B in the answer.
    void webSocketTokens()
    {
        const Caller& staff = caller(QStringLiteral("staff"));
        for (const auto& [what, token] :
             {std::pair{QStringLiteral("a token of another key under the server's kid"),
                        forgedToken("test")},
              std::pair{QStringLiteral("a token of an unknown kid"), forgedToken("elsewhere")}}) {
            RawClient client(m_fx.server->wsUrl(), m_ca);
            QVERIFY(client.waitOpen());
            client.hello(token, "iso-forged");
            const auto* error = client.waitFor<cc::protocol::Error>("hello");
            expect(error != nullptr && error->code == cc::protocol::ErrorCode::Unauthenticated,
                   QStringLiteral("hello with %1 is not refused").arg(what));
            expect(
                client.waitClosed() && client.closeCode() == 4003,
                QStringLiteral("hello with %1: closed with %2").arg(what).arg(client.closeCode()));
            expect(client.count<cc::protocol::Welcome>() == 0,
                   QStringLiteral("hello with %1 was welcomed").arg(what));
            for (const auto& text : client.texts()) {
                expectNoLeak(text, QStringLiteral("hello with ") + what);
            }
        }
        // reauth: the same sign-in's new token is taken (so the refusals below are about whose
        // token it is), anyone else's is not.
        {
            RawClient client(m_fx.server->wsUrl(), m_ca);
            QVERIFY(client.waitOpen());
            client.hello(staff.token, staff.deviceId);
            QVERIFY(client.waitFor<cc::protocol::Welcome>("hello") != nullptr);
            client.send("reauth-same", cc::protocol::Reauth{sameSignInToken(staff)});
            client.send("sub-after-reauth", cc::protocol::Subscribe{0, ""});
            expect(client.waitFor<cc::protocol::Changes>({}) != nullptr && !client.closed(),
                   QStringLiteral("reauth with a token of the same sign-in was refused"));
        }
        const Caller& other = caller(QStringLiteral("manager of A only"));
        for (const auto& [what, token] :
             {std::pair{QStringLiteral("a token of another person of A"), other.token},
              std::pair{QStringLiteral("a token of B's staff"), m_rivalToken},
              std::pair{QStringLiteral("a token of another key"), forgedToken("test")}}) {
            RawClient client(m_fx.server->wsUrl(), m_ca);
            QVERIFY(client.waitOpen());
            client.hello(staff.token, staff.deviceId);
            QVERIFY(client.waitFor<cc::protocol::Welcome>("hello") != nullptr);
            client.send("reauth", cc::protocol::Reauth{token});
            const auto* error = client.waitFor<cc::protocol::Error>("reauth");
            expect(error != nullptr && error->code == cc::protocol::ErrorCode::Unauthenticated,
                   QStringLiteral("reauth with %1 is not refused").arg(what));
            expect(
                client.waitClosed() && client.closeCode() == 4003,
                QStringLiteral("reauth with %1: closed with %2").arg(what).arg(client.closeCode()));
            for (const auto& text : client.texts()) {
                expectNoLeak(text, QStringLiteral("reauth with ") + what);
            }
        }
        expectRivalUnchanged(QStringLiteral("the WebSocket tokens"));
        reportProblems();
    }

    // Cursors: one from the future in subscribe or pull is refused and reads nothing; a pull
    // outside a catch-up is a protocol violation.
    void webSocketCursors()
    {
        const Caller& staff = caller(QStringLiteral("staff"));
        {
            RawClient client(m_fx.server->wsUrl(), m_ca);
            QVERIFY(client.waitOpen());
            client.hello(staff.token, "iso-cursor");
            QVERIFY(client.waitFor<cc::protocol::Welcome>("hello") != nullptr);
            client.send("pull-idle", cc::protocol::Pull{1000000000000});
            const auto* idle = client.waitFor<cc::protocol::Error>("pull-idle");
            expect(idle != nullptr && idle->code == cc::protocol::ErrorCode::ProtocolViolation,
                   QStringLiteral("a pull outside a catch-up is not refused"));
            client.send("sub-future", cc::protocol::Subscribe{1000000000000, "s1-x"});
            const auto* future = client.waitFor<cc::protocol::Error>("sub-future");
            expect(future != nullptr && future->code == cc::protocol::ErrorCode::InvalidCursor,
                   QStringLiteral("a subscribe from the future is not refused"));
            expect(client.count<cc::protocol::Changes>() == 0 && !client.closed(),
                   QStringLiteral("a cursor from the future read something, or closed"));
            for (const auto& text : client.texts()) {
                expectNoLeak(text, QStringLiteral("cursors from the future"));
            }
        }
        // The manager of A and B downloads store B's page and more: a pull from the future in
        // the middle of it is refused, the right one goes on.
        const Caller& manager = caller(QStringLiteral("manager of A and B"));
        RawClient client(m_fx.server->wsUrl(), m_ca);
        QVERIFY(client.waitOpen());
        client.hello(manager.token, "iso-cursor-manager");
        QVERIFY(client.waitFor<cc::protocol::Welcome>("hello") != nullptr);
        client.send("sub", cc::protocol::Subscribe{0, ""});
        const auto* first = client.waitFor<cc::protocol::Changes>({});
        QVERIFY(first != nullptr);
        QVERIFY2(!first->complete, "the snapshot fits one page: it needs more rows");
        const std::int64_t to = first->to;
        client.send("pull-future", cc::protocol::Pull{to + 1000000000});
        const auto* refused = client.waitFor<cc::protocol::Error>("pull-future");
        expect(refused != nullptr && refused->code == cc::protocol::ErrorCode::InvalidCursor,
               QStringLiteral("a pull from the future during a catch-up is not refused"));
        expect(client.count<cc::protocol::Changes>() == 1,
               QStringLiteral("a pull from the future read a page"));
        client.send({}, cc::protocol::Pull{to});
        expect(SyncDevice::waitFor(
                   [&] {
                       return std::any_of(
                           client.received().begin(), client.received().end(), [](const auto& e) {
                               const auto* c = std::get_if<cc::protocol::Changes>(&e.body);
                               return c != nullptr && c->complete;
                           });
                   },
                   kTimeoutMs),
               QStringLiteral("the catch-up did not go on after a refused pull"));
        for (const auto& text : client.texts()) {
            expectNoLeak(text, QStringLiteral("the manager's raw catch-up"));
        }
        expectRivalUnchanged(QStringLiteral("the cursors"));
        reportProblems();
    }

    // Live figures: B's store is refused to everyone, store B to staff and the manager of A
    // only; what each may watch carries nothing of B.
    void webSocketLiveFigures()
    {
        QVERIFY(!m_devices.empty());
        for (const auto& c : m_callers) {
            auto& conn = m_devices[c.name]->connection();
            std::vector<std::pair<QString, QString>> refusals;
            std::vector<cc::protocol::AnalyticsUpdate> updates;
            QObject context; // the connections below end with it, whatever returns early
            connect(&conn, &cc::app::ServerConnection::analyticsRefused, &context,
                    [&](const QString& code, const QString& message) {
                        refusals.push_back({code, message});
                    });
            connect(&conn, &cc::app::ServerConnection::analyticsReceived, &context,
                    [&](const cc::protocol::AnalyticsUpdate& u) { updates.push_back(u); });
            std::vector<std::pair<QString, std::string>> theirs = {
                {QStringLiteral("B's store"), m_c.rivalStore}};
            if (c.name == QStringLiteral("staff") ||
                c.name == QStringLiteral("manager of A only")) {
                theirs.push_back({QStringLiteral("store B"), m_c.storeB});
            }
            for (const auto& [what, store] : theirs) {
                refusals.clear();
                QVERIFY(conn.subscribeAnalytics({q(store)}, false));
                SyncDevice::waitFor([&] { return !refusals.empty(); }, kTimeoutMs);
                expect(refusals.size() == 1 && refusals[0].first == QStringLiteral("forbidden"),
                       QStringLiteral("analytics_subscribe to %1 as %2 is not refused")
                           .arg(what, c.name));
                for (const auto& r : refusals) {
                    expectNoLeak(r.second.toUtf8(), QStringLiteral("analytics_subscribe to ") +
                                                        what + QStringLiteral(" as ") + c.name);
                }
            }
            // Everything the caller may watch: their stores (and A's totals for executives and
            // admins), nothing of B.
            QVERIFY(conn.subscribeAnalytics({}, false));
            const bool whole = c.role == "executive" || c.role == "admin";
            const bool arrived = SyncDevice::waitFor(
                [&] {
                    const auto has = [&](const std::string& key) {
                        return std::any_of(updates.begin(), updates.end(),
                                           [&](const auto& u) { return u.key == key; });
                    };
                    return has(m_c.storeA) && (!whole || has(m_c.org));
                },
                kTimeoutMs);
            expect(arrived, c.name + QStringLiteral(" got no live figures of its own"));
            for (const auto& u : updates) {
                expect(u.key != m_c.rivalStore && u.key != m_c.rivalOrg,
                       c.name + QStringLiteral(" got live figures of B: ") + q(u.key));
                const bool storeB = u.key == m_c.storeB;
                expect(!storeB || c.name == QStringLiteral("manager of A and B") || whole,
                       c.name + QStringLiteral(" got live figures of store B"));
                for (const auto& p : u.people) {
                    expectNoLeak(QByteArray::fromStdString(p.userId),
                                 c.name + QStringLiteral("'s live figures"));
                }
            }
            QVERIFY(conn.subscribeAnalytics({}, true));
        }
        expectRivalUnchanged(QStringLiteral("live figures"));
        reportProblems();
    }

    // The whole matrix, once more: B as it was, and every device of A still holds nothing of B.
    void organisationBUnchanged()
    {
        for (auto& [name, d] : m_devices) {
            QVERIFY(cc::test::syncBarrier(*m_db, m_c.storeA, *d, kTimeoutMs));
            expectNothingOfRivalHeld(d->store(), name + QStringLiteral("'s device at the end"));
        }
        expectRivalUnchanged(QStringLiteral("the whole matrix"));
        reportProblems();
    }

    // Live changes: B's writes, while B's own device is live on the same node, reach B's
    // device and none of A's. (This changes B on purpose: it runs last.)
    void liveChangesOfOrganisationBStayThere()
    {
        QVERIFY(!m_devices.empty());
        SyncDevice rival(m_fx.server->wsUrl(), m_ca, m_rivalToken, "rival-tablet");
        rival.connect();
        QVERIFY(rival.waitLive());
        const std::string task = cc::test::newUuid();
        exec("UPDATE customers SET display_name = 'Rita Rivalside Again' WHERE id = '" +
             m_c.rivalCustomer + "'");
        exec("INSERT INTO tasks (id, organisation_id, location_id, customer_id, kind, title, "
             "due_at) VALUES ('" +
             task + "', '" + m_c.rivalOrg + "', '" + m_c.rivalStore + "', '" + m_c.rivalCustomer +
             "', 'callback', 'Rivalside live task', now())");
        exec("UPDATE locations SET address = 'Rivalside Road 2' WHERE id = '" + m_c.rivalStore +
             "'");
        QVERIFY(SyncDevice::waitFor([&] { return rival.store().row("tasks", task).has_value(); },
                                    kTimeoutMs));
        m_markers.push_back(task);
        for (auto& [name, d] : m_devices) {
            QVERIFY(cc::test::syncBarrier(*m_db, m_c.storeA, *d, kTimeoutMs));
            expectNothingOfRivalHeld(d->store(), name + QStringLiteral("'s device, live"));
            for (const auto& e : d->received()) {
                if (const auto* changes = std::get_if<cc::protocol::Changes>(&e.body)) {
                    for (const auto& row : changes->rows) {
                        expect(row.key != task && row.key != m_c.rivalCustomer &&
                                   row.key != m_c.rivalStore,
                               name + QStringLiteral(" received B's ") + q(row.entity) +
                                   QStringLiteral("/") + q(row.key));
                    }
                }
            }
        }
        rival.disconnect();
        reportProblems();
    }
};

QTEST_MAIN(TestIsolation)
#include "tst_isolation.moc"
