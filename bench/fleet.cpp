#include "bench/fleet.h"

#include "server/auth/tokens.h"
#include "tests/support/seed.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QUuid>

#include <pqxx/pqxx>

#include <stdexcept>

namespace cc::bench {

bool spinUntil(const std::function<bool()>& condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    // Wakes the loop now and then so the timeout and conditions that change without an event
    // (another thread) are seen.
    QTimer tick;
    tick.setInterval(5);
    tick.start();
    while (!condition()) {
        if (timer.elapsed() >= timeoutMs) {
            return false;
        }
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents | QEventLoop::AllEvents);
    }
    return true;
}

void spinFor(int ms)
{
    spinUntil([] { return false; }, ms);
}

// ---- LoadDevice ----

LoadDevice::LoadDevice(const QString& wsUrl, const QList<QSslCertificate>& ca,
                       DeviceIdentity identity, const QString& cachePath)
    : m_identity(std::move(identity))
    , m_connection(std::make_unique<app::ServerConnection>(nullptr))
{
    m_connection->setUrl(QUrl(wsUrl));
    m_connection->setExtraCaCertificates(ca);
    m_connection->setDeviceId(QString::fromStdString(m_identity.deviceId));
    m_connection->setAccessToken(QString::fromStdString(m_identity.token));
    // A cache in a file is sealed like the app's (app/cache/cryptvfs.h); one in memory is not.
    std::optional<app::cache::CacheKey> key;
    if (cachePath != QStringLiteral(":memory:")) {
        key = app::cache::randomCacheKey();
    }
    auto opened = app::cache::LocalStore::open(cachePath.toStdString(), m_identity.deviceId, key);
    if (!opened) {
        throw std::runtime_error("cannot open the cache " + cachePath.toStdString() + ": " +
                                 opened.error());
    }
    m_store = std::move(opened).value();
    m_transport = std::make_unique<app::DirectTransport>(m_connection.get());
    m_client = std::make_unique<app::SyncClient>(m_transport.get(), m_store.get());
}

LoadDevice::~LoadDevice()
{
    m_client.reset();
    m_transport.reset();
    m_connection->disconnectFromServer();
}

void LoadDevice::connect()
{
    m_connection->connectToServer();
}

void LoadDevice::disconnect()
{
    m_connection->disconnectFromServer();
}

bool LoadDevice::connected() const
{
    return m_connection->state() == app::ServerConnection::State::Connected;
}

bool LoadDevice::live() const
{
    return m_client->status().phase == app::SyncClient::Phase::Live;
}

bool LoadDevice::settled() const
{
    return live() && m_store->pendingCount() == 0 && !m_client->pushInFlight();
}

// ---- Fleet ----

Fleet::Fleet(QString wsUrl, QList<QSslCertificate> ca)
    : m_wsUrl(std::move(wsUrl))
    , m_ca(std::move(ca))
{}

Fleet::~Fleet()
{
    disconnectAll();
    // Let the sockets' closes go out before they are destroyed.
    spinFor(50);
}

LoadDevice& Fleet::add(DeviceIdentity identity, const QString& cachePath)
{
    m_devices.push_back(
        std::make_unique<LoadDevice>(m_wsUrl, m_ca, std::move(identity), cachePath));
    return *m_devices.back();
}

std::size_t Fleet::connectAll(std::size_t wave, int timeoutMs,
                              const std::function<void(std::size_t)>& progress, double perSecond,
                              std::size_t burst)
{
    QElapsedTimer timer;
    timer.start();
    wave = std::max<std::size_t>(1, wave);
    std::size_t started = 0;
    auto paced = Clock::now();
    for (std::size_t first = 0; first < m_devices.size(); first += wave) {
        const std::size_t last = std::min(m_devices.size(), first + wave);
        for (std::size_t i = first; i < last; ++i) {
            if (m_devices[i]->connected()) {
                continue;
            }
            if (perSecond > 0 && ++started > burst) {
                paced += std::chrono::microseconds(static_cast<std::int64_t>(1e6 / perSecond));
                const auto wait = paced - Clock::now();
                if (wait > Clock::duration::zero()) {
                    spinFor(static_cast<int>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
                }
            } else {
                paced = Clock::now();
            }
            m_devices[i]->connect();
        }
        const auto remaining = static_cast<int>(timeoutMs - timer.elapsed());
        spinUntil(
            [&] {
                for (std::size_t i = first; i < last; ++i) {
                    if (!m_devices[i]->live()) {
                        return false;
                    }
                }
                return true;
            },
            std::max(0, remaining));
        if (progress) {
            progress(liveCount());
        }
        if (timer.elapsed() >= timeoutMs) {
            break;
        }
    }
    return liveCount();
}

std::size_t Fleet::liveCount() const
{
    std::size_t n = 0;
    for (const auto& d : m_devices) {
        n += d->live() ? 1U : 0U;
    }
    return n;
}

std::size_t Fleet::pendingWrites() const
{
    std::size_t n = 0;
    for (const auto& d : m_devices) {
        n += d->store().pendingCount();
    }
    return n;
}

void Fleet::disconnectAll()
{
    for (auto& d : m_devices) {
        d->disconnect();
    }
}

// ---- Helpers ----

sync::Fields noteFields(const std::string& id, const std::string& storeId,
                        const std::string& customerId, const std::string& body)
{
    sync::Fields fields{{"id", sync::Value{id}},
                        {"location_id", sync::Value{storeId}},
                        {"body", sync::Value{body}}};
    if (!customerId.empty()) {
        fields.push_back({"customer_id", sync::Value{customerId}});
    }
    return fields;
}

std::string newUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
}

std::vector<DeviceIdentity> mintDevices(pqxx::connection& conn, const std::string& userId,
                                        const std::string& prefix, std::size_t count)
{
    std::vector<DeviceIdentity> out;
    if (count == 0) {
        return out;
    }
    pqxx::work tx(conn);
    const pqxx::row user =
        tx.exec_params1("SELECT organisation_id::text, role FROM users WHERE id = $1", userId);
    const pqxx::result sessions = tx.exec_params(
        "INSERT INTO auth_sessions (id, user_id, organisation_id, device_id, expires_at) "
        "SELECT gen_random_uuid(), $1, $2, $3 || '-' || n, now() + interval '1 day' "
        "FROM generate_series(1, $4::int) AS n ORDER BY n RETURNING id::text, device_id",
        userId, user[0].as<std::string>(), prefix, static_cast<int>(count));
    tx.commit();
    auto keys = server::auth::parseSigningKeys(test::kTestTokenKeys);
    if (!keys) {
        throw std::runtime_error("bad test token keys");
    }
    const server::auth::TokenSigner signer(keys.value());
    server::auth::Claims claims;
    claims.userId = userId;
    claims.organisationId = user[0].as<std::string>();
    claims.role = domain::roleFromString(user[1].as<std::string>()).value();
    claims.issuedAt = server::auth::unixNow();
    claims.expiresAt = claims.issuedAt + 3600;
    out.reserve(count);
    for (const auto& row : sessions) {
        claims.sessionId = row[0].as<std::string>();
        out.push_back(DeviceIdentity{userId, row[1].as<std::string>(), signer.issue(claims)});
    }
    return out;
}

} // namespace cc::bench
