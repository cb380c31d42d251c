#include "app/sync/syncclient.h"

#include "app/cache/localstore.h"
#include "app/sync/synctransport.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace cc::app {
namespace {

// Well under the server's 256 KiB message limit, whatever the rows hold.
constexpr std::size_t kMaxPushBytes = 192 * 1024;

ReconnectPolicy::Limits retryLimits()
{
    return {std::chrono::milliseconds(250), std::chrono::milliseconds(10'000),
            std::chrono::milliseconds(50)};
}

QStringList toQStringList(const std::vector<std::string>& names)
{
    QStringList out;
    out.reserve(static_cast<qsizetype>(names.size()));
    for (const auto& n : names) {
        out << QString::fromStdString(n);
    }
    return out;
}

} // namespace

SyncClient::SyncClient(SyncTransport* transport, cache::LocalStore* store, QObject* parent)
    : QObject(parent)
    , m_transport(transport)
    , m_store(store)
    , m_pushRetryPolicy(retryLimits(), [] { return QRandomGenerator::global()->generateDouble(); })
    , m_syncRetryPolicy(retryLimits(), [] { return QRandomGenerator::global()->generateDouble(); })
{
    m_pushRetryTimer.setSingleShot(true);
    connect(&m_pushRetryTimer, &QTimer::timeout, this, &SyncClient::pushNext);
    m_syncRetryTimer.setSingleShot(true);
    connect(&m_syncRetryTimer, &QTimer::timeout, this, [this] {
        if (auto action = std::exchange(m_syncRetryAction, {})) {
            action();
        }
    });
    connect(m_transport, &SyncTransport::connectedChanged, this, &SyncClient::onConnectedChanged);
    connect(m_transport, &SyncTransport::messageReceived, this, &SyncClient::onMessage);
    m_status.pendingWrites = m_store->pendingCount();
    onConnectedChanged();
}

std::int64_t SyncClient::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

Result<std::string, sync::Refused> SyncClient::write(std::string_view entity, sync::Op op,
                                                     std::string_view key,
                                                     const sync::Fields& fields)
{
    auto written = m_store->write(entity, op, key, fields, nowMs());
    if (!written) {
        return written;
    }
    // Exactly one more entry in the outbox: no need to count it again (with 100,000 queued
    // offline, counting on every write is what slows writing down).
    ++m_status.pendingWrites;
    Q_EMIT statusChanged();
    Q_EMIT rowsChanged({QString::fromUtf8(entity.data(), static_cast<qsizetype>(entity.size()))});
    pushNext();
    return written;
}

Result<std::vector<std::string>, sync::Refused>
SyncClient::writeAll(const std::vector<cache::WriteRequest>& writes)
{
    auto written = m_store->writeAll(writes, nowMs());
    if (!written || written->empty()) {
        return written;
    }
    m_status.pendingWrites += written->size();
    Q_EMIT statusChanged();
    QStringList entities;
    for (const auto& w : writes) {
        const QString entity = QString::fromStdString(w.entity);
        if (!entities.contains(entity)) {
            entities << entity;
        }
    }
    Q_EMIT rowsChanged(entities);
    pushNext();
    return written;
}

void SyncClient::onConnectedChanged()
{
    if (m_transport->isConnected()) {
        // A fresh connection: whatever was in flight on the old one may or may not have been
        // applied; the server answers a re-sent mutation id with its first decision.
        m_pushId.clear();
        m_pushRetryTimer.stop();
        m_syncRetryTimer.stop();
        m_syncRetryAction = {};
        subscribe(std::exchange(m_fromScratch, false));
        pushNext();
    } else if (m_status.phase != Phase::Offline) {
        m_pushId.clear();
        m_subscribeId.clear();
        m_pushRetryTimer.stop();
        m_syncRetryTimer.stop();
        m_syncRetryAction = {};
        setPhase(Phase::Offline);
    }
}

void SyncClient::subscribe(bool fromScratch)
{
    m_subscribeId = "sub-" + std::to_string(++m_requestSeq);
    protocol::Subscribe request;
    if (!fromScratch) {
        request.cursor = m_store->cursor();
        request.scopeKey = m_store->scopeKey();
    }
    if (m_transport->send(
            protocol::Envelope{protocol::kMaxProtocolVersion, m_subscribeId, request})) {
        setPhase(Phase::Subscribing);
    }
}

void SyncClient::pushNext()
{
    if (!m_pushId.empty() || !m_transport->isConnected()) {
        return;
    }
    protocol::Push push;
    push.mutations = m_store->pending(m_maxPushMutations, kMaxPushBytes);
    if (push.mutations.empty()) {
        return;
    }
    const std::string id = "push-" + std::to_string(++m_requestSeq);
    if (m_transport->send(protocol::Envelope{protocol::kMaxProtocolVersion, id, std::move(push)})) {
        m_pushId = id;
    }
}

void SyncClient::onMessage(const protocol::Envelope& envelope)
{
    if (const auto* changes = std::get_if<protocol::Changes>(&envelope.body)) {
        onChanges(*changes);
    } else if (const auto* result = std::get_if<protocol::PushResult>(&envelope.body)) {
        onPushResult(envelope.id, *result);
    } else if (const auto* error = std::get_if<protocol::Error>(&envelope.body)) {
        onError(envelope.id, *error);
    }
}

void SyncClient::onChanges(const protocol::Changes& changes)
{
    m_subscribeId.clear();
    m_syncRetryPolicy.reset();
    auto applied = m_store->applyChanges(changes);
    if (!applied) {
        // The server sent rows this build cannot store: keep what we have, say so, and start
        // over on the next connection rather than hold a half-applied page.
        setError(tr("Could not store changes from the server: %1")
                     .arg(QString::fromStdString(applied.error())));
        m_transport->reconnect();
        return;
    }
    if (changes.reset) {
        m_status.bootstrapReceived = 0;
        m_status.bootstrapTotal =
            static_cast<std::int64_t>(changes.rows.size()) + changes.remaining;
    }
    if (m_status.phase == Phase::Bootstrapping || changes.reset) {
        m_status.bootstrapReceived += static_cast<std::int64_t>(changes.rows.size());
    }
    if (applied->acknowledged > 0) {
        refreshPending();
    }
    if (!applied->entities.empty()) {
        Q_EMIT rowsChanged(toQStringList(applied->entities));
    }
    if (changes.complete) {
        m_status.lastSyncedMs = nowMs();
        m_status.bootstrapReceived = m_status.bootstrapTotal;
        setError({});
        setPhase(Phase::Live);
        Q_EMIT caughtUp();
    } else {
        setPhase(changes.reset || m_status.phase == Phase::Bootstrapping ? Phase::Bootstrapping
                                                                         : Phase::CatchingUp);
        m_transport->send(
            protocol::Envelope{protocol::kMaxProtocolVersion, {}, protocol::Pull{changes.to}});
    }
    Q_EMIT statusChanged();
}

void SyncClient::onPushResult(const std::string& id, const protocol::PushResult& result)
{
    if (id != m_pushId) {
        return; // an answer for a connection that is gone
    }
    m_pushId.clear();
    m_pushRetryPolicy.reset();
    const auto conflictsBefore = m_store->conflictCount();
    m_store->applyPushResult(result, nowMs());
    refreshPending();
    bool rolledBack = false;
    for (const auto& r : result.results) {
        rolledBack = rolledBack || r.status == protocol::MutationStatus::Rejected;
    }
    if (rolledBack) {
        Q_EMIT rowsChanged({}); // which rows is the cache's business; models re-read
    }
    if (m_store->conflictCount() != conflictsBefore) {
        Q_EMIT conflictsChanged();
    }
    pushNext();
}

void SyncClient::onError(const std::string& id, const protocol::Error& error)
{
    const QString text = QString::fromStdString(error.message);
    if (!id.empty() && id == m_pushId) {
        // Nothing of that push was committed: send it again, later.
        m_pushId.clear();
        setError(text);
        retryPushLater();
        return;
    }
    if (error.code == protocol::ErrorCode::InvalidCursor) {
        // The server does not know our cursor (its database was restored from a backup):
        // download everything again; the outbox is kept and sent as usual. A subscribe that was
        // refused can be sent again at once; a refused pull means the connection is mid-way
        // through a catch-up, so start over on a fresh one.
        setError(text);
        if (!id.empty() && id == m_subscribeId) {
            subscribe(true);
        } else {
            m_fromScratch = true;
            m_transport->reconnect();
        }
        return;
    }
    if (error.code == protocol::ErrorCode::NotReady ||
        error.code == protocol::ErrorCode::Overloaded) {
        setError(text);
        if (!id.empty() && id == m_subscribeId) {
            retrySyncLater([this] { subscribe(); });
        } else if (m_status.phase == Phase::Bootstrapping || m_status.phase == Phase::CatchingUp) {
            // A page could not be read: ask for it again.
            retrySyncLater([this] {
                m_transport->send(protocol::Envelope{
                    protocol::kMaxProtocolVersion, {}, protocol::Pull{m_store->cursor()}});
            });
        }
        return;
    }
    setError(text);
}

void SyncClient::retryPushLater()
{
    m_pushRetryTimer.start(m_pushRetryPolicy.nextDelay());
}

void SyncClient::retrySyncLater(std::function<void()> action)
{
    m_syncRetryAction = std::move(action);
    m_syncRetryTimer.start(m_syncRetryPolicy.nextDelay());
}

void SyncClient::setPhase(Phase phase)
{
    if (m_status.phase != phase) {
        m_status.phase = phase;
        Q_EMIT statusChanged();
    }
}

void SyncClient::setError(const QString& error)
{
    if (m_status.lastError != error) {
        m_status.lastError = error;
        Q_EMIT statusChanged();
    }
}

void SyncClient::refreshPending()
{
    const auto pending = m_store->pendingCount();
    if (pending != m_status.pendingWrites) {
        m_status.pendingWrites = pending;
        Q_EMIT statusChanged();
    }
}

} // namespace cc::app
