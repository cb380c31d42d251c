#pragma once

#include "app/cache/localstore.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncclient.h"
#include "app/sync/synctransport.h"

#include <QList>
#include <QSslCertificate>
#include <QString>

#include <pqxx/connection>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cc::test {
class SyncDevice;

// What a sign-in produces (a live login session and an access token signed with the test key),
// without the password-hashing round trip, for tests that run many devices.
std::string issueAccessToken(pqxx::connection& conn, const std::string& userId,
                             const std::string& deviceId);

// How a device's cache differs from what the server holds for that user's scope now: empty when
// they are equal (every visible row present with the same fields, nothing else), otherwise the
// first differences, for a test failure message.
// Differences still there after `settleMs` of delivering what is in flight (the caller's
// event loop runs meanwhile).
std::string differencesFromServer(pqxx::connection& conn, const std::string& userId,
                                  const app::cache::LocalStore& store, int settleMs = 5000);

// A new lower-case UUID, as devices make them.
std::string newUuid();

// A text field of a cached row (a copy: the row is often a temporary); nothing when there is no
// row or the field is not text.
std::optional<std::string> textOf(const std::optional<sync::Fields>& row, std::string_view field);

// Makes a change every device of the organisation sees (the address of `storeId`) and waits
// until `device` has it: after that, `device` has received everything committed before.
bool syncBarrier(pqxx::connection& conn, const std::string& storeId, SyncDevice& device,
                 int timeoutMs = 10000);

// One simulated device: the app's real connection, cache and sync client, in the test's thread.
class SyncDevice {
public:
    SyncDevice(const QString& wsUrl, const QList<QSslCertificate>& ca, const std::string& token,
               const std::string& deviceId, const QString& cachePath = QStringLiteral(":memory:"));
    ~SyncDevice();
    SyncDevice(const SyncDevice&) = delete;
    SyncDevice& operator=(const SyncDevice&) = delete;

    void connect();
    void disconnect();
    // Points the device at another server node (the next connect() goes there).
    void setUrl(const QString& wsUrl);

    // Spins the event loop until `condition` holds or the time is up.
    static bool waitFor(const std::function<bool()>& condition, int timeoutMs);
    bool waitLive(int timeoutMs = 15000);
    // Live, nothing left in the outbox, and no push awaiting its answer.
    bool waitSettled(int timeoutMs = 15000);

    app::cache::LocalStore& store() { return *m_store; }
    app::SyncClient& client() { return *m_client; }
    app::ServerConnection& connection() { return *m_connection; }
    const std::string& deviceId() const { return m_deviceId; }
    // Every message the server sent after the welcome, in order.
    const std::vector<protocol::Envelope>& received() const { return m_received; }

    // Closes the cache (as a killed app would leave it) and opens it again.
    void reopenCache();

private:
    std::string m_deviceId;
    QString m_cachePath;
    std::unique_ptr<app::ServerConnection> m_connection;
    std::unique_ptr<app::DirectTransport> m_transport;
    std::unique_ptr<app::cache::LocalStore> m_store;
    std::unique_ptr<app::SyncClient> m_client;
    std::vector<protocol::Envelope> m_received;
};

} // namespace cc::test
