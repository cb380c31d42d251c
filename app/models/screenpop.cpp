#include "app/models/screenpop.h"

#include "app/cache/localstore.h"
#include "shared/sync/schema.h"

#include <QHash>
#include <QUuid>

namespace cc::app {
namespace {

// calls.disposition and call_notes.body as the sync schema bounds them.
constexpr qsizetype kMaxDispositionBytes = 64;
constexpr qsizetype kMaxNoteBytes = 4000;

} // namespace

ScreenPop::ScreenPop(QObject* parent)
    : CacheObject(parent)
{
    m_windowEnds.setSingleShot(true);
    connect(&m_windowEnds, &QTimer::timeout, this, &ScreenPop::reload);
}

QStringList ScreenPop::dispositions()
{
    // The codes the rest of the system already writes (the demo data, analytics' first-contact
    // resolution counts "resolved"), plus sale, complaint and other for the counter.
    return {QStringLiteral("resolved"),
            QStringLiteral("follow_up_needed"),
            QStringLiteral("stock_check"),
            QStringLiteral("order_status"),
            QStringLiteral("appointment_booked"),
            QStringLiteral("sale"),
            QStringLiteral("complaint"),
            QStringLiteral("wrong_number"),
            QStringLiteral("other")};
}

QString ScreenPop::dispositionLabel(const QString& disposition)
{
    static const QHash<QString, const char*> kLabels{
        {QStringLiteral("resolved"), QT_TR_NOOP("Resolved")},
        {QStringLiteral("follow_up_needed"), QT_TR_NOOP("Needs follow-up")},
        {QStringLiteral("stock_check"), QT_TR_NOOP("Stock check")},
        {QStringLiteral("order_status"), QT_TR_NOOP("Order status")},
        {QStringLiteral("appointment_booked"), QT_TR_NOOP("Appointment booked")},
        {QStringLiteral("sale"), QT_TR_NOOP("Sale")},
        {QStringLiteral("complaint"), QT_TR_NOOP("Complaint")},
        {QStringLiteral("wrong_number"), QT_TR_NOOP("Wrong number")},
        {QStringLiteral("other"), QT_TR_NOOP("Other")},
    };
    if (const auto it = kLabels.constFind(disposition); it != kLabels.constEnd()) {
        return tr(*it);
    }
    // Written by another app or an older version: readable all the same.
    QString words = disposition.trimmed();
    words.replace(QLatin1Char('_'), QLatin1Char(' '));
    if (!words.isEmpty()) {
        words[0] = words[0].toUpper();
    }
    return words;
}

QString ScreenPop::elapsed(const QDateTime& from, const QDateTime& to)
{
    return from.isValid() && to.isValid() ? calls::formatDuration(from.secsTo(to)) : QString();
}

bool ScreenPop::concerns(const QStringList& entities) const
{
    static const QStringList kRead{
        QStringLiteral("calls"),           QStringLiteral("customers"),
        QStringLiteral("customer_phones"), QStringLiteral("tasks"),
        QStringLiteral("appointments"),    QStringLiteral("call_notes"),
        QStringLiteral("users"),           QStringLiteral("user_locations"),
        QStringLiteral("locations"),
    };
    return std::any_of(entities.begin(), entities.end(),
                       [](const QString& e) { return kRead.contains(e); });
}

void ScreenPop::load(std::function<void()> finished)
{
    service()->readCache<calls::CallerCard>(
        this,
        [dismissed = m_dismissed](const cache::LocalStore* store, const QString& me) {
            return store != nullptr
                       ? calls::readCallerCard(*store, me, QDateTime::currentMSecsSinceEpoch(),
                                               dismissed)
                       : calls::CallerCard();
        },
        [this, finished](calls::CallerCard card) {
            if (!(card == m_card)) {
                const bool anotherCall = card.callId != m_card.callId;
                if (anotherCall) {
                    setLastError({});
                }
                m_card = std::move(card);
                Q_EMIT changed();
                if (anotherCall) {
                    Q_EMIT callIdChanged();
                }
            }
            if (m_card.phase == calls::CallerCard::Phase::WrapUp && m_card.endedAt.isValid()) {
                const qint64 left = QDateTime::currentDateTimeUtc().msecsTo(
                    m_card.endedAt.addMSecs(calls::kWrapUpWindowMs));
                m_windowEnds.start(std::chrono::milliseconds(std::max<qint64>(0, left) + 100));
            } else {
                m_windowEnds.stop();
            }
            finished();
        });
}

ScreenPop::Phase ScreenPop::phase() const
{
    switch (m_card.phase) {
    case calls::CallerCard::Phase::Ringing:
        return Phase::Ringing;
    case calls::CallerCard::Phase::OnCall:
        return Phase::OnCall;
    case calls::CallerCard::Phase::WrapUp:
        return Phase::WrapUp;
    case calls::CallerCard::Phase::None:
        break;
    }
    return Phase::None;
}

QString ScreenPop::callerLabel() const
{
    if (!m_card.customerName.isEmpty()) {
        return m_card.customerName;
    }
    return m_card.withheld ? tr("Withheld number") : m_card.callerNumber;
}

QString ScreenPop::headline() const
{
    QString who = callerLabel();
    if (m_card.customerName.isEmpty() && !m_card.withheld) {
        who = tr("%1 (new caller)").arg(who);
    }
    if (!m_card.storeName.isEmpty()) {
        who = tr("%1 — %2").arg(who, m_card.storeName);
    }
    switch (m_card.phase) {
    case calls::CallerCard::Phase::Ringing:
        return tr("Call for you from %1").arg(who);
    case calls::CallerCard::Phase::OnCall:
        return tr("On the phone with %1").arg(who);
    case calls::CallerCard::Phase::WrapUp:
        return tr("Call ended: %1").arg(who);
    case calls::CallerCard::Phase::None:
        break;
    }
    return {};
}

void ScreenPop::finishCall(const QString& callId, const QString& disposition, const QString& note)
{
    if (!service()) {
        setLastError(tr("Sign in first."));
        return;
    }
    if (m_saving) {
        return; // one finish at a time: a double tap must not write the note twice
    }
    if (callId.isEmpty() || callId != m_card.callId) {
        setLastError(tr("That call is no longer on your screen."));
        return;
    }
    const QString chosen = disposition.trimmed();
    if (!dispositions().contains(chosen) || chosen.toUtf8().size() > kMaxDispositionBytes) {
        setLastError(tr("Choose how the call ended."));
        return;
    }
    const QString body = note.trimmed();
    if (body.toUtf8().size() > kMaxNoteBytes) {
        setLastError(tr("The note is too long: keep it under %1 characters.").arg(kMaxNoteBytes));
        return;
    }
    setLastError({});
    setSaving(true);
    const calls::CallerCard& card = m_card;
    QVector<SyncService::Write> writes;
    if (!body.isEmpty()) {
        const QString noteId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        QVariantMap fields{
            {QStringLiteral("id"), noteId},
            {QStringLiteral("call_id"), card.callId},
            {QStringLiteral("location_id"), card.noteStoreId},
            {QStringLiteral("body"), body},
            {QStringLiteral("created_at"), QDateTime::currentMSecsSinceEpoch()},
        };
        if (!card.customerId.isEmpty()) {
            fields.insert(QStringLiteral("customer_id"), card.customerId);
        }
        writes.push_back(
            {QStringLiteral("call_notes"), static_cast<int>(sync::Op::Insert), noteId, fields});
    }
    writes.push_back({QStringLiteral("calls"), static_cast<int>(sync::Op::Update), card.callId,
                      QVariantMap{{QStringLiteral("disposition"), chosen}}});
    // One worker call, one transaction: the note and the outcome are kept together whatever
    // happens to this object meanwhile; `this` only hears the answer if it still exists.
    service()->writeAll(
        writes, this, [this, callId = card.callId, noted = !body.isEmpty()](const QString& error) {
            setSaving(false);
            if (!error.isEmpty()) {
                setLastError(noted ? tr("The outcome and the note were not saved: %1").arg(error)
                                   : tr("The outcome was not saved: %1").arg(error));
                return;
            }
            Q_EMIT callFinished(callId);
        });
}

void ScreenPop::dismiss()
{
    if (m_card.phase != calls::CallerCard::Phase::WrapUp) {
        return; // a ringing or running call is not the person's to hide
    }
    m_dismissed << m_card.callId;
    reload();
}

void ScreenPop::setSaving(bool saving)
{
    if (saving != m_saving) {
        m_saving = saving;
        Q_EMIT savingChanged();
    }
}

void ScreenPop::setLastError(const QString& error)
{
    if (error != m_lastError) {
        m_lastError = error;
        Q_EMIT lastErrorChanged();
    }
}

} // namespace cc::app
