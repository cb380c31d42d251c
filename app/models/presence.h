#pragma once

#include "app/auth/session.h"
#include "app/models/cacheobject.h"
#include "app/models/callsdata.h"

#include <QDateTime>
#include <QPointer>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The signed-in person's presence: whether they take calls (available / away, their choice) and
// what the server knows they are doing (ringing, on a call, wrap-up, paused after a missed call),
// from the presence row the cache holds for them. Changing it is a request to the server
// (PUT /v1/me/presence), not a queued write: being available means something only while
// connected, so offline it is refused with a reason instead of waiting in the outbox.
class Presence : public CacheObject {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::Session* session READ session WRITE setSession NOTIFY sessionChanged)
    Q_PROPERTY(bool known READ known NOTIFY changed)
    Q_PROPERTY(QString status READ status NOTIFY changed)
    Q_PROPERTY(bool available READ available NOTIFY changed)
    Q_PROPERTY(QString activity READ activity NOTIFY changed)
    Q_PROPERTY(bool online READ online NOTIFY changed)
    Q_PROPERTY(QDateTime activityUntil READ activityUntil NOTIFY changed)
    Q_PROPERTY(QDateTime pausedUntil READ pausedUntil NOTIFY changed)
    Q_PROPERTY(QString activityText READ activityText NOTIFY activityTextChanged)
    Q_PROPERTY(bool canTakeCalls READ canTakeCalls NOTIFY sessionChanged)
    Q_PROPERTY(bool pending READ pending NOTIFY pendingChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)

public:
    explicit Presence(QObject* parent = nullptr);

    Session* session() const { return m_session; }
    void setSession(Session* session);

    bool known() const { return m_state.known || !m_confirmed.isEmpty(); }
    // What the server last said: the cached row, or the answer to this device's own change
    // until the row with it arrives.
    QString status() const;
    bool available() const { return status() == QLatin1String("available"); }
    QString activity() const { return m_state.activity; }
    // Whether calls can reach the person: the server counts a connected device of theirs, and
    // this device is connected (when it is not, the cached row may be stale, and this device
    // cannot ring).
    bool online() const;
    QDateTime activityUntil() const { return m_state.activityUntil; }
    QDateTime pausedUntil() const { return m_state.pausedUntil; }
    QString activityText() const;
    bool canTakeCalls() const;
    bool pending() const { return m_pending; }
    QString error() const { return m_error; }

    Q_INVOKABLE void setAvailable(bool available);

Q_SIGNALS:
    void sessionChanged();
    void changed();
    void activityTextChanged();
    void pendingChanged();
    void errorChanged();

private:
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;
    void watch(SyncService* service) override;
    void updateTicking();
    void setPending(bool pending);
    void setError(const QString& error);

    QPointer<Session> m_session;
    calls::PresenceState m_state;
    QString m_confirmed; // the server accepted this status; its row is on its way
    QDateTime m_confirmedAt;
    // Ends m_confirmed's kConfirmedForMs and reads the cache again (also when the row came
    // earlier: one read more): without it a row that came different, or not at all, would leave
    // the answer showing until the next synced change.
    QTimer m_confirmedEnds;
    bool m_shownOnline = false; // online() as last announced
    bool m_pending = false;
    quint64 m_request = 0; // only the newest request's answer counts
    QString m_error;
    QTimer m_tick; // the wrap-up countdown and the end of a pause, while there is one
};

} // namespace cc::app
