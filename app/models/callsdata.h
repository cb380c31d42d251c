#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QVector>

namespace cc::app {
namespace cache {
class LocalStore;
}

// What the calls screens read from the offline cache, as plain data: the live queue of the
// person's stores, the people of those stores with their presence, the person's own presence
// and the caller card of the call that is theirs right now. Each function runs on the sync thread
// (SyncService::readCache) and joins what it needs through the cache's indexes; the models on the
// GUI thread only take the result. Text for people is made on the GUI side, except in the
// describe* functions, which are pure.
namespace calls {

// A call still in the queue: ringing (waiting, or offered to someone) or in progress.
struct QueueEntry {
    QString id;
    QString fromNumber;
    QString customerName; // empty for a caller the cache does not know
    QString storeName;
    QString status; // "ringing" or "in_progress"
    QString offeredTo;
    QString offeredToName;
    QString handledBy;
    QString handledByName;
    QString need;
    QString routingReason;
    QDateTime startedAt;
    QDateTime answeredAt;
    bool offeredToMe = false;
    bool handledByMe = false;
    bool operator==(const QueueEntry&) const = default;
};

// A person of the stores, with their presence.
struct BoardEntry {
    QString userId;
    QString name;
    QString role;
    QString status;   // "available" or "away"
    QString activity; // "idle", "ringing", "on_call" or "wrap_up"
    QString callId;
    QString callerNumber; // of the call they are on or being rung for
    QString callerName;
    bool online = false;
    bool isMe = false;
    bool paused = false; // not offered calls after missing one, as of the read
    QDateTime activityUntil;
    QDateTime pausedUntil;
    QDateTime idleSince;
    bool operator==(const BoardEntry&) const = default;
};

// One person's presence row; `known` is false when the cache has none (yet).
struct PresenceState {
    bool known = false;
    QString status;
    QString activity;
    QString callId;
    bool online = false;
    QDateTime activityUntil;
    QDateTime pausedUntil;
    QDateTime idleSince;
    bool operator==(const PresenceState&) const = default;
};

// The call that is the person's now and who is calling.
struct CallerCard {
    enum class Phase {
        None,    // nothing for this person
        Ringing, // offered to them: their phone rings
        OnCall,  // they answered it and it goes on
        WrapUp,  // it ended and still wants a disposition
    };
    Phase phase = Phase::None;
    QString callId;
    QString callerNumber;
    bool withheld = false; // callerNumber is no number (isWithheldNumber): nobody is found by it
    QString customerId;    // empty: a caller nobody has recorded yet
    QString customerName;
    QString storeId; // the store called
    QString storeName;
    QString noteStoreId; // where the person's note about it belongs (one of their stores)
    QString need;
    QString disposition;
    QDateTime startedAt;
    QDateTime answeredAt;
    QDateTime endedAt;
    // Lists of maps for QML's Repeater; the keys are documented at readCallerCard().
    QVariantList recentCalls;
    QVariantList openTasks;
    QVariantList appointments;
    QVariantList notes;
    bool operator==(const CallerCard&) const = default;
};

// How long after a call ended it still asks for a disposition: long enough to finish the note,
// short enough that yesterday's forgotten calls do not take the screen.
inline constexpr qint64 kWrapUpWindowMs = 30 * 60 * 1000;
inline constexpr int kHistoryLimit = 5;

// Whether a caller's number is none at all: empty, Twilio's placeholders for a withheld number
// (+266696687 anonymous, +86282452253 unknown, +8656696 blocked, +7378742833 restricted) or
// anything else not in E.164 ("anonymous"). Such a "number" is shared by every caller who hides
// theirs, so nothing is looked up by it (as the server does: docs/telephony.md).
bool isWithheldNumber(const QString& number);

// The stores whose queue and people the person sees: their home store and those they work in.
QStringList ownStores(const cache::LocalStore& store, const QString& me);

// Live calls of the person's stores, plus any offered to or handled by them from elsewhere
// (overflow), oldest first.
QVector<QueueEntry> readQueue(const cache::LocalStore& store, const QString& me);

// Active staff and managers of the person's stores: available and online first (free before
// busy or paused after a missed call), then available but not connected, then away; by name
// within each group.
QVector<BoardEntry> readStaffBoard(const cache::LocalStore& store, const QString& me, qint64 nowMs);

PresenceState readPresence(const cache::LocalStore& store, const QString& userId);

// The call offered to the person, else the one they are on, else the newest call they handled
// that ended within kWrapUpWindowMs without a disposition and is not in `dismissed`.
// The caller is the call's customer, or the customer with the caller's number (E.164); a
// withheld number finds nobody, and no calls or notes of other callers.
// recentCalls (newest first, at most kHistoryLimit, any store; the caller's number when unknown):
//   callId, startedAt, storeName, status, disposition, handledByName, durationSeconds
// openTasks (soonest due first): taskId, title, kind, dueAt, overdue, storeName
// appointments (booked, not over yet, soonest first, at most kHistoryLimit):
//   appointmentId, startsAt, endsAt, purpose, storeName, staffName
// notes (newest first, at most kHistoryLimit; the customer's, or those on the caller's calls):
//   noteId, body, createdAt, authorName, storeName
CallerCard readCallerCard(const cache::LocalStore& store, const QString& me, qint64 nowMs,
                          const QStringList& dismissed);

// "On a call", "Wrap-up 0:12", "Paused after a missed call until 14:05", "Calls can ring for
// you", "No calls are offered to you"; available but not online (no connected device, or this
// one is offline: Presence says which it means by `online`), that calls cannot ring.
QString describePresence(const PresenceState& presence, const QDateTime& now);

// A time of day in the person's locale, without seconds ("14:05", "2:05 PM").
QString shortTime(const QDateTime& when);

// "0:42", "12:05", "1:02:03": a timer as people read it.
QString formatDuration(qint64 seconds);

// The first word of a display name ("Ana" for "Ana Lopez"), for short labels.
QString firstName(const QString& displayName);

} // namespace calls
} // namespace cc::app
