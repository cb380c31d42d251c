// Two server nodes on one database behind Debian's nginx, as docs/deployment.md lays them out:
// devices connect through the balancer, one node is killed (SIGKILL, as a crash or the OOM
// killer would), and its devices reconnect to the other and resume from their cursors with
// nothing lost or applied twice. Also what operations rely on through the balancer: /metrics
// behind its token, X-Request-Id, and the client address taken from X-Forwarded-For only when a
// trusted proxy sent it.
#include "app/cache/localstore.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncclient.h"
#include "shared/protocol/messages.h"
#include "tests/support/balancer.h"
#include "tests/support/seed.h"
#include "tests/support/serverfixture.h"
#include "tests/support/syncdevice.h"
#include "tests/support/testdatabase.h"

#include <QElapsedTimer>
#include <QTest>

#include <pqxx/pqxx>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

using cc::sync::Op;
using cc::test::SyncDevice;

namespace {

const QString kMetricsToken = QStringLiteral("failover-test-metrics-token-0123456789abcdef");

cc::sync::Value text(std::string s)
{
    return cc::sync::Value{std::move(s)};
}

} // namespace

class TestFailover : public QObject {
    Q_OBJECT

    cc::test::ServerFixture m_fx;
    std::unique_ptr<cc::test::ServerProcess> m_nodeB;
    cc::test::Balancer m_balancer;
    std::unique_ptr<pqxx::connection> m_db;
    cc::test::SeededChain m_chain;

    std::string scalar(const std::string& sql) { return cc::test::scalar(*m_db, sql); }

    std::unique_ptr<SyncDevice> device(const std::string& userId, const std::string& name)
    {
        const std::string token = cc::test::issueAccessToken(*m_db, userId, name);
        return std::make_unique<SyncDevice>(m_balancer.wsUrl(), m_fx.tls.ca(), token, name);
    }

    bool writeNote(SyncDevice& d, std::set<std::string>& ids, const std::string& body)
    {
        const std::string id = cc::test::newUuid();
        ids.insert(id);
        return d.client()
            .write("call_notes", Op::Insert, id,
                   {{"id", text(id)},
                    {"customer_id", text(m_chain.customerA)},
                    {"location_id", text(m_chain.storeA)},
                    {"body", text(body)}})
            .ok();
    }

    cc::test::HttpResult get(const QString& url, QMap<QByteArray, QByteArray> headers = {})
    {
        return cc::test::httpsGet(url, m_fx.tls.ca(), 10000, headers);
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QMap<QString, QString> env{
            {QStringLiteral("CALLCOMMANDER_NET_TRUSTED_PROXIES"), QStringLiteral("127.0.0.1")},
            {QStringLiteral("CALLCOMMANDER_METRICS_TOKEN"), kMetricsToken}};
        auto envA = env;
        envA.insert(QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QStringLiteral("node-a"));
        const QString failure = m_fx.start(envA);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        auto envB = env;
        envB.insert(QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QStringLiteral("node-b"));
        m_nodeB = std::make_unique<cc::test::ServerProcess>(
            QString::fromStdString(m_fx.db->conninfo()), m_fx.tls, envB);
        // Generous: under the sanitizers, beside another test, a node can take long to start.
        QVERIFY2(m_nodeB->start(60000) && m_nodeB->waitReady(60000), qPrintable(m_nodeB->log()));
        const QString balancer =
            m_balancer.start(m_fx.dir.path(), m_fx.tls, {m_fx.server->port(), m_nodeB->port()});
        QVERIFY2(balancer.isEmpty(), qPrintable(balancer));
        m_db = std::make_unique<pqxx::connection>(m_fx.db->conninfo());
        m_chain = cc::test::seedChain(*m_db);
    }

    void cleanupTestCase()
    {
        m_balancer.stop();
        if (m_nodeB) {
            QCOMPARE(m_nodeB->terminate(), 0);
        }
        if (m_fx.server && m_fx.server->running()) {
            QCOMPARE(m_fx.stop(), 0);
        }
    }

    void operationsThroughTheBalancer()
    {
        // Health checks pass through, and every answer names its request: behind the balancer
        // by the id nginx gave it (32 hex digits); the client's own is not believed.
        const auto r0 =
            get(m_balancer.baseUrl() + QStringLiteral("/readyz"), {{"X-Request-Id", "probe-42"}});
        QCOMPARE(r0.status, 200);
        const QByteArray fromNginx = r0.headers.value("x-request-id");
        QCOMPARE(fromNginx.size(), 32);
        QVERIFY(fromNginx != "probe-42");

        // /metrics: its token or nothing.
        QCOMPARE(get(m_balancer.baseUrl() + QStringLiteral("/metrics")).status, 401);
        QCOMPARE(get(m_balancer.baseUrl() + QStringLiteral("/metrics"),
                     {{"Authorization", "Bearer not-the-token-not-the-token-not-the"}})
                     .status,
                 401);
        auto r = get(m_balancer.baseUrl() + QStringLiteral("/metrics"),
                     {{"Authorization", "bearer " + kMetricsToken.toUtf8()}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("content-type").startsWith("text/plain; version=0.0.4"));
        for (const char* family :
             {"callcommander_ws_messages_in_total ", "callcommander_sync_writes_applied_total ",
              "callcommander_webhook_duration_seconds_bucket{le=\"+Inf\"} ",
              "callcommander_db_pool_size 4", "callcommander_devices ",
              "callcommander_http_responses_total{code=\"2xx\"} "}) {
            QVERIFY2(r.body.contains(family), family);
        }
    }

    void clientAddressFromTrustedProxiesOnly()
    {
        const auto exportAs = [&](const QByteArray& forwarded) {
            const std::string token = cc::test::issueAccessToken(*m_db, m_chain.admin, "export");
            QMap<QByteArray, QByteArray> headers{
                {"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(token)}};
            if (!forwarded.isEmpty()) {
                headers.insert("X-Forwarded-For", forwarded);
            }
            const auto r = get(m_nodeB->baseUrl() +
                                   QStringLiteral("/v1/analytics?from=2026-01-01&to=2026-01-31"
                                                  "&by=store&format=csv"),
                               headers);
            return r.status == 200 ? scalar("SELECT host(source_ip) FROM audit_log WHERE action "
                                            "= 'analytics.export' ORDER BY id DESC LIMIT 1")
                                   : "HTTP " + std::to_string(r.status);
        };
        // The node trusts 127.0.0.1 (the balancer's address here): the nearest address it did
        // not add itself is the client, however many a client claims before it.
        QCOMPARE(exportAs("203.0.113.7"), std::string("203.0.113.7"));
        QCOMPARE(exportAs("203.0.113.7, 198.51.100.20"), std::string("198.51.100.20"));
        QCOMPARE(exportAs("203.0.113.7, 127.0.0.1"), std::string("203.0.113.7"));
        // Garbage ends the walk at the last address that was believed.
        QCOMPARE(exportAs("not-an-address"), std::string("127.0.0.1"));
        QCOMPARE(exportAs(""), std::string("127.0.0.1"));

        // A node that trusts no proxy believes no header: neither the address nor the id.
        cc::test::ServerProcess untrusting(
            QString::fromStdString(m_fx.db->conninfo()), m_fx.tls,
            {{QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QStringLiteral("node-c")}});
        QVERIFY2(untrusting.start(60000) && untrusting.waitReady(60000),
                 qPrintable(untrusting.log()));
        const std::string tokenC = cc::test::issueAccessToken(*m_db, m_chain.admin, "export-c");
        const auto c =
            get(untrusting.baseUrl() + QStringLiteral("/v1/analytics?from=2026-01-01&to="
                                                      "2026-01-31&by=store&format=csv"),
                {{"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(tokenC)},
                 {"X-Forwarded-For", "203.0.113.7"},
                 {"X-Request-Id", "chosen-by-the-client"}});
        QCOMPARE(c.status, 200);
        QCOMPARE(c.headers.value("x-request-id").size(), 16);
        QCOMPARE(scalar("SELECT host(source_ip) FROM audit_log WHERE action = 'analytics.export' "
                        "ORDER BY id DESC LIMIT 1"),
                 std::string("127.0.0.1"));
        QCOMPARE(untrusting.terminate(), 0);
        // Through the balancer, which overwrites the header with the address it heard from.
        const std::string token = cc::test::issueAccessToken(*m_db, m_chain.admin, "export-lb");
        QCOMPARE(get(m_balancer.baseUrl() + QStringLiteral("/v1/analytics?from=2026-01-01&to="
                                                           "2026-01-31&by=store&format=csv"),
                     {{"Authorization", QByteArray("Bearer ") + QByteArray::fromStdString(token)},
                      {"X-Forwarded-For", "203.0.113.99"}})
                     .status,
                 200);
        QCOMPARE(scalar("SELECT host(source_ip) FROM audit_log WHERE action = 'analytics.export' "
                        "ORDER BY id DESC LIMIT 1"),
                 std::string("127.0.0.1"));
    }

    void devicesMoveToTheSurvivingNode()
    {
        // Six tablets through the balancer: it spreads them over both nodes.
        std::vector<std::unique_ptr<SyncDevice>> devices;
        for (int i = 0; i < 6; ++i) {
            devices.push_back(device(i % 2 == 0 ? m_chain.staffA : m_chain.staffA2,
                                     "lb-tablet-" + std::to_string(i)));
            devices.back()->connect();
        }
        for (auto& d : devices) {
            QVERIFY(d->waitLive());
        }
        std::map<QString, int> perNode;
        for (auto& d : devices) {
            ++perNode[d->connection().serverNode()];
        }
        qInfo("through the balancer: %d tablets on node-a, %d on node-b",
              perNode[QStringLiteral("node-a")], perNode[QStringLiteral("node-b")]);
        QCOMPARE(perNode.size(), std::size_t{2});
        QVERIFY(perNode.count(QStringLiteral("node-a")) == 1);

        std::set<std::string> ids;
        for (std::size_t i = 0; i < devices.size(); ++i) {
            for (int n = 0; n < 5; ++n) {
                QVERIFY(writeNote(*devices[i], ids, "before " + std::to_string(i)));
            }
        }
        for (auto& d : devices) {
            QVERIFY(d->waitSettled());
        }
        std::vector<std::size_t> seenBefore;
        for (auto& d : devices) {
            seenBefore.push_back(d->received().size());
        }

        // node-a dies without a word. Its tablets lose their connection and keep working
        // offline; the others keep writing through node-b.
        QVERIFY(m_fx.server->kill());
        QElapsedTimer failedAt;
        failedAt.start();
        for (std::size_t i = 0; i < devices.size(); ++i) {
            for (int n = 0; n < 5; ++n) {
                QVERIFY(writeNote(*devices[i], ids, "during " + std::to_string(i)));
            }
        }
        // Every tablet is back, on node-b, with nothing left to send.
        for (auto& d : devices) {
            QVERIFY(SyncDevice::waitFor(
                [&] {
                    return d->client().status().phase == cc::app::SyncClient::Phase::Live &&
                           d->connection().serverNode() == QStringLiteral("node-b");
                },
                30000));
        }
        for (auto& d : devices) {
            QVERIFY(d->waitSettled(30000));
        }
        qInfo("every tablet back on node-b and settled %lld ms after node-a died",
              static_cast<long long>(failedAt.elapsed()));

        // Nothing lost, nothing twice: every note once in the database and, once the last
        // pushes' fan-out has arrived, on every tablet.
        QCOMPARE(ids.size(), std::size_t{60});
        std::string list;
        for (const auto& id : ids) {
            list += (list.empty() ? "'" : ",'") + id + "'";
        }
        QCOMPARE(scalar("SELECT count(*) FROM call_notes WHERE id IN (" + list + ")"),
                 std::string("60"));
        QCOMPARE(scalar("SELECT count(*) FROM call_notes WHERE location_id = '" + m_chain.storeA +
                        "' AND (body LIKE 'before %' OR body LIKE 'during %')"),
                 std::string("60"));
        const auto holdsAll = [&](SyncDevice& d) {
            return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
                return d.store().row("call_notes", id).has_value();
            });
        };
        for (auto& d : devices) {
            QVERIFY2(SyncDevice::waitFor([&] { return holdsAll(*d); }, 30000),
                     d->deviceId().c_str());
        }
        for (std::size_t i = 0; i < devices.size(); ++i) {
            auto& d = *devices[i];
            const std::string diff = cc::test::differencesFromServer(
                *m_db, i % 2 == 0 ? m_chain.staffA : m_chain.staffA2, d.store());
            QVERIFY2(diff.empty(), diff.c_str());
            // Resumed from its cursor: no snapshot started over after the failure.
            for (std::size_t k = seenBefore[i]; k < d.received().size(); ++k) {
                if (const auto* c = std::get_if<cc::protocol::Changes>(&d.received()[k].body)) {
                    QVERIFY2(!c->reset, d.deviceId().c_str());
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestFailover)
#include "tst_failover.moc"
