#pragma once

#include "app/models/cacheobject.h"
#include "app/models/callsdata.h"

#include <QDateTime>
#include <QStringList>
#include <QTimer>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The caller card of the call that is the person's right now, from the offline cache: the call
// ringing for them, else the one they are on, else the one they just finished and have not yet
// given a disposition. The caller is found by the call's customer or by their number across every
// store the cache holds: name, recent calls, open tasks, upcoming appointments, notes; a number
// nobody recorded is a new caller. After the call, finishCall() records the disposition and a
// note as local writes: they show at once, wait in the outbox while offline, and sync.
class ScreenPop : public CacheObject {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(Phase phase READ phase NOTIFY changed)
    Q_PROPERTY(bool active READ active NOTIFY changed)
    // Its own signal, emitted only when the card shows another call: the view keeps what is being
    // typed about a call while the rest of the card follows it (answered, hung up).
    Q_PROPERTY(QString callId READ callId NOTIFY callIdChanged)
    Q_PROPERTY(QString callerNumber READ callerNumber NOTIFY changed)
    Q_PROPERTY(bool withheld READ withheld NOTIFY changed)
    Q_PROPERTY(bool known READ known NOTIFY changed)
    Q_PROPERTY(QString customerId READ customerId NOTIFY changed)
    Q_PROPERTY(QString customerName READ customerName NOTIFY changed)
    Q_PROPERTY(QString callerLabel READ callerLabel NOTIFY changed)
    Q_PROPERTY(QString storeName READ storeName NOTIFY changed)
    Q_PROPERTY(QString storeId READ storeId NOTIFY changed)
    Q_PROPERTY(QString need READ need NOTIFY changed)
    Q_PROPERTY(QString disposition READ disposition NOTIFY changed)
    Q_PROPERTY(QString headline READ headline NOTIFY changed)
    Q_PROPERTY(QDateTime startedAt READ startedAt NOTIFY changed)
    Q_PROPERTY(QDateTime answeredAt READ answeredAt NOTIFY changed)
    Q_PROPERTY(QDateTime endedAt READ endedAt NOTIFY changed)
    Q_PROPERTY(QVariantList recentCalls READ recentCalls NOTIFY changed)
    Q_PROPERTY(QVariantList openTasks READ openTasks NOTIFY changed)
    Q_PROPERTY(QVariantList appointments READ appointments NOTIFY changed)
    Q_PROPERTY(QVariantList notes READ notes NOTIFY changed)
    Q_PROPERTY(bool saving READ saving NOTIFY savingChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
    Q_PROPERTY(QStringList dispositions READ dispositions CONSTANT)

public:
    enum class Phase {
        None,
        Ringing,
        OnCall,
        WrapUp,
    };
    Q_ENUM(Phase)

    explicit ScreenPop(QObject* parent = nullptr);

    Phase phase() const;
    bool active() const { return m_card.phase != calls::CallerCard::Phase::None; }
    QString callId() const { return m_card.callId; }
    QString callerNumber() const { return m_card.callerNumber; }
    // The caller hid their number (or the network did not pass it on): nobody can be found by it.
    bool withheld() const { return m_card.withheld; }
    bool known() const { return !m_card.customerId.isEmpty(); }
    QString customerId() const { return m_card.customerId; }
    QString customerName() const { return m_card.customerName; }
    // The name, or the number for a new caller, or "Withheld number".
    QString callerLabel() const;
    QString storeName() const { return m_card.storeName; }
    // The store the person acts for on this call (stock, a booking, the note): the store called
    // when it is one of theirs, else their own.
    QString storeId() const { return m_card.noteStoreId; }
    QString need() const { return m_card.need; }
    QString disposition() const { return m_card.disposition; }
    // "Call for you from Alice Martin — Store A", "On the phone with …", "Call ended: …".
    QString headline() const;
    QDateTime startedAt() const { return m_card.startedAt; }
    QDateTime answeredAt() const { return m_card.answeredAt; }
    QDateTime endedAt() const { return m_card.endedAt; }
    QVariantList recentCalls() const { return m_card.recentCalls; }
    QVariantList openTasks() const { return m_card.openTasks; }
    QVariantList appointments() const { return m_card.appointments; }
    QVariantList notes() const { return m_card.notes; }
    bool saving() const { return m_saving; }
    QString lastError() const { return m_lastError; }

    // The values calls.disposition takes from this app, in the order people choose from.
    static QStringList dispositions();
    // How a disposition value reads ("follow_up_needed" -> "Needs follow-up").
    Q_INVOKABLE static QString dispositionLabel(const QString& disposition);

    // A timer's text from `from` to `to` ("0:42"), for the view's clock.
    Q_INVOKABLE static QString elapsed(const QDateTime& from, const QDateTime& to);

    // Records how the call on the card ended and, when `note` is not blank, a note on it for the
    // customer's history: both in one local transaction (the note first in the outbox), so they
    // are kept together or not at all, even if this object is gone before the cache answers.
    // Emits callFinished once both are in the cache; lastError says why not otherwise (the
    // view still has the note, and the person can try again).
    Q_INVOKABLE void finishCall(const QString& callId, const QString& disposition,
                                const QString& note);
    // Closes a finished call's card without a disposition (wrong number dialled by a colleague,
    // a test call); it does not come back.
    Q_INVOKABLE void dismiss();

Q_SIGNALS:
    void changed();
    void callIdChanged();
    void savingChanged();
    void lastErrorChanged();
    void callFinished(const QString& callId);

private:
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;
    void setSaving(bool saving);
    void setLastError(const QString& error);

    calls::CallerCard m_card;
    QStringList m_dismissed;
    bool m_saving = false;
    QString m_lastError;
    // A finished call stops asking for its disposition after calls::kWrapUpWindowMs; nothing is
    // synced then, so this reads again at that moment.
    QTimer m_windowEnds;
};

} // namespace cc::app
