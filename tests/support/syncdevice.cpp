#include "tests/support/syncdevice.h"

#include "server/auth/tokens.h"
#include "server/sync/scope.h"
#include "server/sync/sync_store.h"
#include "tests/support/seed.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <QUuid>

#include <pqxx/pqxx>

#include <map>
#include <stdexcept>

namespace cc::test {

std::string issueAccessToken(pqxx::connection& conn, const std::string& userId,
                             const std::string& deviceId)
{
    pqxx::work tx(conn);
    const pqxx::row user =
        tx.exec_params1("SELECT organisation_id::text, role FROM users WHERE id = $1", userId);
    const std::string sessionId =
        tx.exec_params1("INSERT INTO auth_sessions (id, user_id, organisation_id, device_id, "
                        "expires_at) VALUES (gen_random_uuid(), $1, $2, $3, now() + interval "
                        "'1 day') RETURNING id::text",
                        userId, user[0].as<std::string>(), deviceId)[0]
            .as<std::string>();
    tx.commit();
    auto keys = server::auth::parseSigningKeys(kTestTokenKeys);
    if (!keys) {
        throw std::runtime_error("bad test token keys");
    }
    const server::auth::TokenSigner signer(keys.value());
    server::auth::Claims claims;
    claims.userId = userId;
    claims.organisationId = user[0].as<std::string>();
    claims.role = domain::roleFromString(user[1].as<std::string>()).value();
    claims.sessionId = sessionId;
    claims.issuedAt = server::auth::unixNow();
    claims.expiresAt = claims.issuedAt + 3600;
    return signer.issue(claims);
}

namespace {

// Numbers compare as numbers (JSON may carry 51 for a REAL the cache returns as 51.0).
bool sameValue(const sync::Value& a, const sync::Value& b)
{
    const auto number = [](const sync::Value& v) -> std::optional<double> {
        if (const auto* n = std::get_if<std::int64_t>(&v)) {
            return static_cast<double>(*n);
        }
        if (const auto* d = std::get_if<double>(&v)) {
            return *d;
        }
        return std::nullopt;
    };
    if (number(a) && number(b)) {
        return *number(a) == *number(b);
    }
    return a == b;
}

std::string show(const sync::Value& v)
{
    struct Visitor {
        std::string operator()(sync::Null) const { return "null"; }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t n) const { return std::to_string(n); }
        std::string operator()(double d) const { return std::to_string(d); }
        std::string operator()(const std::string& s) const { return '"' + s + '"'; }
    };
    return std::visit(Visitor{}, v);
}

} // namespace

std::string newUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
}

std::optional<std::string> textOf(const std::optional<sync::Fields>& row, std::string_view field)
{
    if (!row) {
        return std::nullopt;
    }
    const sync::Value* v = sync::find(*row, field);
    const auto* s = v != nullptr ? std::get_if<std::string>(v) : nullptr;
    return s != nullptr ? std::optional<std::string>(*s) : std::nullopt;
}

bool syncBarrier(pqxx::connection& conn, const std::string& storeId, SyncDevice& device,
                 int timeoutMs)
{
    static int counter = 0;
    const std::string mark = "barrier-" + std::to_string(++counter);
    {
        pqxx::work tx(conn);
        tx.exec_params0("UPDATE locations SET address = $1 WHERE id = $2", mark, storeId);
        tx.commit();
    }
    return SyncDevice::waitFor(
        [&] {
            const auto row = device.store().row("locations", storeId);
            const sync::Value* address = row ? sync::find(*row, "address") : nullptr;
            const auto* text = address ? std::get_if<std::string>(address) : nullptr;
            return text != nullptr && *text == mark;
        },
        timeoutMs);
}

namespace {

std::string differencesNow(pqxx::connection& conn, const std::string& userId,
                           const app::cache::LocalStore& store)
{
    const auto scope = server::sync::loadScope(conn, userId);
    if (!scope) {
        return "no such active user";
    }
    std::map<std::pair<std::string, std::string>, sync::Fields> expected;
    for (std::int64_t after = 0;;) {
        auto page = server::sync::readPage(conn, *scope, after, 5000, false);
        for (auto& row : page.rows) {
            if (!row.deleted) {
                expected[{row.entity, row.key}] = std::move(row.fields);
            }
        }
        after = page.to;
        if (page.complete) {
            break;
        }
    }
    std::string out;
    std::size_t problems = 0;
    const auto report = [&](const std::string& what) {
        if (++problems <= 10) {
            out += what + "\n";
        }
    };
    std::size_t held = 0;
    for (const auto& entity : sync::entities()) {
        for (const auto& [key, fields] : store.rows(entity.name)) {
            ++held;
            const auto it = expected.find({std::string(entity.name), key});
            if (it == expected.end()) {
                report("the device holds " + std::string(entity.name) + "/" + key +
                       ", which the server does not give it");
                continue;
            }
            for (const auto& f : fields) {
                const sync::Value* theirs = sync::find(it->second, f.name);
                if (theirs == nullptr || !sameValue(*theirs, f.value)) {
                    report(std::string(entity.name) + "/" + key + "." + f.name + ": device " +
                           show(f.value) + ", server " + (theirs ? show(*theirs) : "missing"));
                }
            }
        }
    }
    for (const auto& [id, fields] : expected) {
        if (!store.row(id.first, id.second)) {
            report("the device lacks " + id.first + "/" + id.second);
        }
    }
    if (held != expected.size()) {
        report("the device holds " + std::to_string(held) + " rows, the server gives it " +
               std::to_string(expected.size()));
    }
    if (problems > 10) {
        out += "... and " + std::to_string(problems - 10) + " more\n";
    }
    return out;
}

} // namespace

std::string differencesFromServer(pqxx::connection& conn, const std::string& userId,
                                  const app::cache::LocalStore& store, int settleMs)
{
    // Devices converge, they are not in lockstep: a change committed a moment ago (a presence
    // flipping as some device connects, a version the sequencer just numbered) is on its way.
    // Compare again while the event loop delivers it, and report what is still different.
    std::string diff = differencesNow(conn, userId, store);
    QElapsedTimer waited;
    waited.start();
    while (!diff.empty() && waited.elapsed() < settleMs) {
        SyncDevice::waitFor([] { return false; }, 100);
        diff = differencesNow(conn, userId, store);
    }
    return diff;
}

SyncDevice::SyncDevice(const QString& wsUrl, const QList<QSslCertificate>& ca,
                       const std::string& token, const std::string& deviceId,
                       const QString& cachePath)
    : m_deviceId(deviceId)
    , m_cachePath(cachePath)
    , m_connection(std::make_unique<app::ServerConnection>(nullptr))
{
    m_connection->setUrl(QUrl(wsUrl));
    m_connection->setExtraCaCertificates(ca);
    m_connection->setDeviceId(QString::fromStdString(deviceId));
    m_connection->setAccessToken(QString::fromStdString(token));
    QObject::connect(m_connection.get(), &app::ServerConnection::messageReceived,
                     m_connection.get(),
                     [this](const protocol::Envelope& e) { m_received.push_back(e); });
    reopenCache();
}

SyncDevice::~SyncDevice()
{
    m_client.reset();
    m_transport.reset();
    m_connection->disconnectFromServer();
    // Let the socket's close run before it is destroyed.
    waitFor([] { return false; }, 50);
}

void SyncDevice::reopenCache()
{
    m_client.reset();
    m_store.reset();
    auto opened = app::cache::LocalStore::open(m_cachePath.toStdString(), m_deviceId);
    if (!opened) {
        throw std::runtime_error("cannot open the cache: " + opened.error());
    }
    m_store = std::move(opened).value();
    if (!m_transport) {
        m_transport = std::make_unique<app::DirectTransport>(m_connection.get());
    }
    m_client = std::make_unique<app::SyncClient>(m_transport.get(), m_store.get());
}

void SyncDevice::connect()
{
    m_connection->connectToServer();
}

void SyncDevice::disconnect()
{
    m_connection->disconnectFromServer();
}

void SyncDevice::setUrl(const QString& wsUrl)
{
    m_connection->setUrl(QUrl(wsUrl));
}

bool SyncDevice::waitFor(const std::function<bool()>& condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs) {
            return false;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::usleep(200);
    }
    return true;
}

bool SyncDevice::waitLive(int timeoutMs)
{
    return waitFor([this] { return m_client->status().phase == app::SyncClient::Phase::Live; },
                   timeoutMs);
}

bool SyncDevice::waitSettled(int timeoutMs)
{
    return waitFor(
        [this] {
            return m_client->status().phase == app::SyncClient::Phase::Live &&
                   m_store->pendingCount() == 0 && !m_client->pushInFlight();
        },
        timeoutMs);
}

} // namespace cc::test
