#pragma once

// The load client's core: simulated devices made of the app's own sync parts (ServerConnection,
// DirectTransport, LocalStore, SyncClient), any number of them in the calling thread, and the
// helpers that drive them without a window.
//
// Nothing here waits on the network: spinUntil() runs the thread's Qt event loop (blocking in
// it, not polling) until a condition holds, so a measurement is not padded by sleeps.

#include "app/cache/localstore.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncclient.h"
#include "app/sync/synctransport.h"
#include "bench/harness.h"

#include <QList>
#include <QSslCertificate>
#include <QString>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cc::bench {

// Runs the event loop until `condition` holds (true) or `timeoutMs` passes (false). The
// condition is checked after every batch of events and at least every 5 ms.
bool spinUntil(const std::function<bool()>& condition, int timeoutMs);
void spinFor(int ms);

struct DeviceIdentity {
    std::string userId;
    std::string deviceId; // also the cache's clock node: [A-Za-z0-9_.:-]{1,64}
    std::string token;
};

// One simulated device: a tablet's connection, cache and sync client, in the calling thread. A
// cache in a file is encrypted at rest like the app's, with a random key.
class LoadDevice {
public:
    LoadDevice(const QString& wsUrl, const QList<QSslCertificate>& ca, DeviceIdentity identity,
               const QString& cachePath = QStringLiteral(":memory:"));
    ~LoadDevice();
    LoadDevice(const LoadDevice&) = delete;
    LoadDevice& operator=(const LoadDevice&) = delete;

    void connect();
    void disconnect();

    bool connected() const;
    bool live() const;
    // Live, nothing in the outbox and no push awaiting its answer.
    bool settled() const;

    app::ServerConnection& connection() { return *m_connection; }
    app::SyncClient& client() { return *m_client; }
    app::cache::LocalStore& store() { return *m_store; }
    const DeviceIdentity& identity() const { return m_identity; }

private:
    DeviceIdentity m_identity;
    std::unique_ptr<app::ServerConnection> m_connection;
    std::unique_ptr<app::DirectTransport> m_transport;
    std::unique_ptr<app::cache::LocalStore> m_store;
    std::unique_ptr<app::SyncClient> m_client;
};

// Many devices against one server, connected in waves so a thousand TLS handshakes do not all
// race their hello timeouts at once.
class Fleet {
public:
    Fleet(QString wsUrl, QList<QSslCertificate> ca);
    ~Fleet();

    LoadDevice& add(DeviceIdentity identity, const QString& cachePath = QStringLiteral(":memory:"));
    std::vector<std::unique_ptr<LoadDevice>>& devices() { return m_devices; }
    std::size_t size() const { return m_devices.size(); }

    // Connects every device not yet connected, `wave` at a time, each wave waiting until its
    // devices are live; gives up after `timeoutMs` in all. Returns how many are live.
    //
    // All devices come from one address, and the server counts every HTTP request of an
    // address, the WebSocket upgrade included (50 a second after a burst of 200: Limits in
    // server/net/sessions.h). After the first `burst` connections, new ones start at most
    // `perSecond` a second (0: no pacing), so devices are not refused and left to back off.
    std::size_t connectAll(std::size_t wave, int timeoutMs,
                           const std::function<void(std::size_t live)>& progress = {},
                           double perSecond = 45, std::size_t burst = 150);
    std::size_t liveCount() const;
    std::size_t pendingWrites() const; // outbox entries over all devices
    void disconnectAll();

private:
    QString m_wsUrl;
    QList<QSslCertificate> m_ca;
    std::vector<std::unique_ptr<LoadDevice>> m_devices;
};

// A call note as the screens write it (the server stamps the author), in a store, optionally
// about a customer.
sync::Fields noteFields(const std::string& id, const std::string& storeId,
                        const std::string& customerId, const std::string& body);
std::string newUuid();

// Tokens for `count` devices of one user in one transaction (as issueAccessToken makes one):
// device ids are `prefix`-<n>.
std::vector<DeviceIdentity> mintDevices(pqxx::connection& conn, const std::string& userId,
                                        const std::string& prefix, std::size_t count);

} // namespace cc::bench
