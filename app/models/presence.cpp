#include "app/models/presence.h"

#include "app/cache/localstore.h"

#include <QJsonObject>
#include <QNetworkReply>

namespace cc::app {
namespace {

// How long the server's answer stands in for the synced row: the row normally follows within
// milliseconds; after this the cache is the truth again (another device of the same person may
// have changed it since).
constexpr qint64 kConfirmedForMs = 5000;

} // namespace

Presence::Presence(QObject* parent)
    : CacheObject(parent)
{
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        Q_EMIT activityTextChanged();
        updateTicking();
    });
    m_confirmedEnds.setSingleShot(true);
    m_confirmedEnds.setInterval(std::chrono::milliseconds(kConfirmedForMs));
    connect(&m_confirmedEnds, &QTimer::timeout, this, [this] {
        const QString before = status();
        m_confirmed.clear();
        if (before != status()) {
            Q_EMIT changed();
            Q_EMIT activityTextChanged();
        }
        if (service()) {
            reload();
        }
    });
}

bool Presence::online() const
{
    return m_state.online && service() && service()->state() != SyncService::State::Offline;
}

void Presence::setSession(Session* session)
{
    if (session == m_session) {
        return;
    }
    if (m_session) {
        disconnect(m_session, nullptr, this, nullptr);
    }
    m_session = session;
    if (m_session) {
        connect(m_session, &Session::stateChanged, this, &Presence::sessionChanged);
    }
    Q_EMIT sessionChanged();
}

bool Presence::concerns(const QStringList& entities) const
{
    return entities.contains(QLatin1String("presence"));
}

void Presence::watch(SyncService* sync)
{
    // "You are offline" goes away by itself once the connection is back.
    connect(sync, &SyncService::statusChanged, this, [this] {
        if (service() && service()->state() != SyncService::State::Offline && !m_pending &&
            !m_error.isEmpty()) {
            setError({});
        }
        // Going offline (or back) changes whether calls can ring here, with no synced change.
        if (online() != m_shownOnline) {
            m_shownOnline = online();
            Q_EMIT changed();
            Q_EMIT activityTextChanged();
        }
    });
}

void Presence::load(std::function<void()> finished)
{
    service()->readCache<calls::PresenceState>(
        this,
        [](const cache::LocalStore* store, const QString& me) {
            return store != nullptr ? calls::readPresence(*store, me) : calls::PresenceState();
        },
        [this, finished](calls::PresenceState state) {
            const QString before = status();
            if (!m_confirmed.isEmpty() &&
                (state.status == m_confirmed ||
                 m_confirmedAt.msecsTo(QDateTime::currentDateTimeUtc()) > kConfirmedForMs)) {
                m_confirmed.clear();
            }
            if (!(state == m_state) || before != status()) {
                m_state = std::move(state);
                m_shownOnline = online();
                Q_EMIT changed();
                Q_EMIT activityTextChanged();
                updateTicking();
            }
            finished();
        });
}

QString Presence::status() const
{
    return m_confirmed.isEmpty() ? m_state.status : m_confirmed;
}

QString Presence::activityText() const
{
    calls::PresenceState shown = m_state;
    shown.known = known();
    shown.status = status();
    shown.online = online();
    return calls::describePresence(shown, QDateTime::currentDateTimeUtc());
}

bool Presence::canTakeCalls() const
{
    return m_session && (m_session->role() == QLatin1String("staff") ||
                         m_session->role() == QLatin1String("manager"));
}

void Presence::updateTicking()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const bool countdown =
        (m_state.activity == QLatin1String("wrap_up") && m_state.activityUntil > now) ||
        (m_state.pausedUntil.isValid() && m_state.pausedUntil > now);
    if (countdown && !m_tick.isActive()) {
        m_tick.start();
    } else if (!countdown) {
        m_tick.stop();
    }
}

void Presence::setAvailable(bool available)
{
    if (!m_session || m_session->state() != Session::State::SignedIn) {
        setError(tr("Sign in first."));
        return;
    }
    if (!canTakeCalls()) {
        setError(tr("Only staff and managers take calls."));
        return;
    }
    if (!service() || service()->state() == SyncService::State::Offline) {
        setError(tr("You are offline: presence can only change while connected"));
        return;
    }
    const QString wanted = available ? QStringLiteral("available") : QStringLiteral("away");
    QNetworkReply* reply =
        m_session->apiPut(QStringLiteral("/v1/me/presence"), {{QStringLiteral("status"), wanted}});
    if (reply == nullptr) {
        setError(tr("Sign in first."));
        return;
    }
    const quint64 request = ++m_request;
    setError({});
    setPending(true);
    connect(reply, &QNetworkReply::finished, this, [this, reply, request, wanted] {
        reply->deleteLater();
        if (request != m_request) {
            return; // the person changed their mind; the newer request decides
        }
        setPending(false);
        const int code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        switch (code) {
        case 200: {
            const QString before = status();
            m_confirmed = wanted;
            m_confirmedAt = QDateTime::currentDateTimeUtc();
            m_confirmedEnds.start();
            if (before != status()) {
                Q_EMIT changed();
                Q_EMIT activityTextChanged();
            }
            reload(); // the row may already be here
            return;
        }
        case 0:
            setError(tr("You are offline: presence can only change while connected"));
            return;
        case 401:
            setError(tr("Your sign-in has ended. Sign in again."));
            return;
        case 403:
            setError(tr("Only staff and managers take calls."));
            return;
        default:
            setError(tr("The server could not change your presence (%1).").arg(code));
        }
    });
}

void Presence::setPending(bool pending)
{
    if (pending != m_pending) {
        m_pending = pending;
        Q_EMIT pendingChanged();
    }
}

void Presence::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

} // namespace cc::app
