#include "app/models/callsdata.h"

#include "app/cache/localstore.h"
#include "shared/domain/phone.h"

#include <QCoreApplication>
#include <QHash>
#include <QLocale>
#include <QVariantMap>

#include <algorithm>
#include <optional>

namespace cc::app::calls {
namespace {

using Rows = std::vector<std::pair<std::string, sync::Fields>>;

QString text(const sync::Fields& fields, std::string_view name)
{
    const sync::Value* v = sync::find(fields, name);
    const auto* s = v != nullptr ? std::get_if<std::string>(v) : nullptr;
    return s != nullptr ? QString::fromStdString(*s) : QString();
}

std::optional<qint64> number(const sync::Fields& fields, std::string_view name)
{
    const sync::Value* v = sync::find(fields, name);
    const auto* n = v != nullptr ? std::get_if<std::int64_t>(v) : nullptr;
    return n != nullptr ? std::optional<qint64>(*n) : std::nullopt;
}

bool flag(const sync::Fields& fields, std::string_view name)
{
    const sync::Value* v = sync::find(fields, name);
    const auto* b = v != nullptr ? std::get_if<bool>(v) : nullptr;
    return b != nullptr && *b;
}

QDateTime time(const sync::Fields& fields, std::string_view name)
{
    const auto ms = number(fields, name);
    return ms ? QDateTime::fromMSecsSinceEpoch(*ms, Qt::UTC) : QDateTime();
}

sync::Value value(const QString& s)
{
    return s.toStdString();
}

// Names looked up once per read: a queue of twenty calls names the same store twenty times.
class Names {
public:
    explicit Names(const cache::LocalStore& store)
        : m_store(store)
    {}

    QString user(const QString& id) { return lookup(m_users, "users", id); }
    QString location(const QString& id) { return lookup(m_locations, "locations", id); }
    QString customer(const QString& id) { return lookup(m_customers, "customers", id); }

private:
    QString lookup(QHash<QString, QString>& cache, std::string_view entity, const QString& id)
    {
        if (id.isEmpty()) {
            return {};
        }
        if (const auto it = cache.constFind(id); it != cache.constEnd()) {
            return *it;
        }
        const auto row = m_store.row(entity, id.toStdString());
        QString name =
            row ? text(*row, entity == "locations" ? "name" : "display_name") : QString();
        cache.insert(id, name);
        return name;
    }

    const cache::LocalStore& m_store;
    QHash<QString, QString> m_users;
    QHash<QString, QString> m_locations;
    QHash<QString, QString> m_customers;
};

// The organisation's country code for numbers written in national form; "1" like the server.
std::string defaultCountryCode(const cache::LocalStore& store)
{
    for (const auto& [key, fields] : store.rows("organisations")) {
        const QString code = text(fields, "default_country_code");
        if (!code.isEmpty()) {
            return code.toStdString();
        }
    }
    return "1";
}

// The customer whose phone is the caller's number, if the cache knows one. Several customers
// may share a number (a family line): the one with the smallest id, so the choice is stable.
QString customerByNumber(const cache::LocalStore& store, const QString& callerNumber)
{
    if (isWithheldNumber(callerNumber)) {
        return {};
    }
    const auto e164 = domain::normalizeE164(callerNumber.toStdString(), defaultCountryCode(store));
    if (!e164) {
        return {};
    }
    const Rows phones = store.rowsWhere("customer_phones", "number", {sync::Value(*e164)});
    QString best;
    for (const auto& [key, fields] : phones) {
        const QString id = text(fields, "customer_id");
        if (best.isEmpty() || id < best) {
            best = id;
        }
    }
    return best;
}

bool isLive(const QString& status)
{
    return status == QLatin1String("ringing") || status == QLatin1String("in_progress");
}

QString tr(const char* source)
{
    return QCoreApplication::translate("Calls", source);
}

} // namespace

bool isWithheldNumber(const QString& number)
{
    return domain::isWithheldCallerId(number.trimmed().toStdString());
}

QStringList ownStores(const cache::LocalStore& store, const QString& me)
{
    QStringList out;
    if (me.isEmpty()) {
        return out;
    }
    if (const auto user = store.row("users", me.toStdString())) {
        const QString home = text(*user, "home_location_id");
        if (!home.isEmpty()) {
            out << home;
        }
    }
    for (const auto& [key, fields] : store.rowsWhere("user_locations", "user_id", {value(me)})) {
        const QString where = text(fields, "location_id");
        if (!where.isEmpty() && !out.contains(where)) {
            out << where;
        }
    }
    return out;
}

QVector<QueueEntry> readQueue(const cache::LocalStore& store, const QString& me)
{
    const QStringList stores = ownStores(store, me);
    Names names(store);
    QHash<QString, QString> callerNames; // number -> customer name, for callers without a link
    QVector<QueueEntry> out;
    const Rows live = store.rowsWhere(
        "calls", "status",
        {sync::Value(std::string("ringing")), sync::Value(std::string("in_progress"))});
    for (const auto& [key, fields] : live) {
        QueueEntry e;
        e.id = text(fields, "id");
        e.offeredTo = text(fields, "offered_to");
        e.handledBy = text(fields, "handled_by");
        e.offeredToMe = !me.isEmpty() && e.offeredTo == me;
        e.handledByMe = !me.isEmpty() && e.handledBy == me;
        const QString location = text(fields, "location_id");
        if (!stores.contains(location) && !e.offeredToMe && !e.handledByMe) {
            continue; // another store's call that came with a shared customer
        }
        e.status = text(fields, "status");
        e.fromNumber = text(fields, "from_number");
        e.storeName = names.location(location);
        e.offeredToName = names.user(e.offeredTo);
        e.handledByName = names.user(e.handledBy);
        e.need = text(fields, "need");
        e.routingReason = text(fields, "routing_reason");
        e.startedAt = time(fields, "started_at");
        e.answeredAt = time(fields, "answered_at");
        const QString customer = text(fields, "customer_id");
        if (!customer.isEmpty()) {
            e.customerName = names.customer(customer);
        } else if (!isWithheldNumber(e.fromNumber)) {
            auto it = callerNames.constFind(e.fromNumber);
            if (it == callerNames.constEnd()) {
                it = callerNames.insert(e.fromNumber,
                                        names.customer(customerByNumber(store, e.fromNumber)));
            }
            e.customerName = *it;
        }
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const QueueEntry& a, const QueueEntry& b) {
        return a.startedAt < b.startedAt || (a.startedAt == b.startedAt && a.id < b.id);
    });
    return out;
}

PresenceState readPresence(const cache::LocalStore& store, const QString& userId)
{
    PresenceState p;
    if (userId.isEmpty()) {
        return p;
    }
    const auto row = store.row("presence", userId.toStdString());
    if (!row) {
        return p;
    }
    p.known = true;
    p.status = text(*row, "status");
    p.activity = text(*row, "activity");
    p.callId = text(*row, "call_id");
    p.online = flag(*row, "online");
    p.activityUntil = time(*row, "activity_until");
    p.pausedUntil = time(*row, "paused_until");
    p.idleSince = time(*row, "idle_since");
    return p;
}

QVector<BoardEntry> readStaffBoard(const cache::LocalStore& store, const QString& me, qint64 nowMs)
{
    const QStringList stores = ownStores(store, me);
    std::vector<sync::Value> storeValues;
    for (const auto& s : stores) {
        storeValues.push_back(value(s));
    }
    QStringList people;
    for (const auto& [key, fields] :
         store.rowsWhere("user_locations", "location_id", storeValues)) {
        const QString who = text(fields, "user_id");
        if (!people.contains(who)) {
            people << who;
        }
    }
    for (const auto& [key, fields] : store.rowsWhere("users", "home_location_id", storeValues)) {
        const QString who = text(fields, "id");
        if (!people.contains(who)) {
            people << who;
        }
    }
    QVector<BoardEntry> out;
    for (const auto& who : people) {
        const auto user = store.row("users", who.toStdString());
        if (!user || !flag(*user, "active")) {
            continue;
        }
        const QString role = text(*user, "role");
        if (role != QLatin1String("staff") && role != QLatin1String("manager")) {
            continue; // only the people who take calls
        }
        BoardEntry e;
        e.userId = who;
        e.name = text(*user, "display_name");
        e.role = role;
        e.isMe = who == me;
        const PresenceState p = readPresence(store, who);
        e.status = p.known ? p.status : QStringLiteral("away");
        e.activity = p.known ? p.activity : QStringLiteral("idle");
        e.online = p.online;
        e.callId = p.callId;
        e.activityUntil = p.activityUntil;
        e.pausedUntil = p.pausedUntil;
        e.paused = p.pausedUntil.isValid() && p.pausedUntil.toMSecsSinceEpoch() > nowMs;
        e.idleSince = p.idleSince;
        if (!e.callId.isEmpty()) {
            if (const auto call = store.row("calls", e.callId.toStdString())) {
                e.callerNumber = text(*call, "from_number");
                QString customer = text(*call, "customer_id");
                if (customer.isEmpty()) {
                    customer = customerByNumber(store, e.callerNumber);
                }
                if (const auto c = store.row("customers", customer.toStdString())) {
                    e.callerName = text(*c, "display_name");
                }
            }
        }
        out.push_back(std::move(e));
    }
    const auto rank = [](const BoardEntry& e) {
        if (e.status == QLatin1String("available") && e.online) {
            return e.activity == QLatin1String("idle") && !e.paused ? 0 : 1;
        }
        return e.status == QLatin1String("available") ? 2 : 3;
    };
    std::sort(out.begin(), out.end(), [&](const BoardEntry& a, const BoardEntry& b) {
        const int ra = rank(a);
        const int rb = rank(b);
        if (ra != rb) {
            return ra < rb;
        }
        const int byName = QString::localeAwareCompare(a.name, b.name);
        return byName != 0 ? byName < 0 : a.userId < b.userId;
    });
    return out;
}

CallerCard readCallerCard(const cache::LocalStore& store, const QString& me, qint64 nowMs,
                          const QStringList& dismissed)
{
    CallerCard card;
    if (me.isEmpty()) {
        return card;
    }
    // Which call: offered to me, else the one I am on, else the one I just finished.
    const sync::Fields* chosen = nullptr;
    const Rows offered = store.rowsWhere("calls", "offered_to", {value(me)});
    for (const auto& [key, fields] : offered) {
        if (text(fields, "status") == QLatin1String("ringing") &&
            (chosen == nullptr || number(fields, "started_at") > number(*chosen, "started_at"))) {
            chosen = &fields;
            card.phase = CallerCard::Phase::Ringing;
        }
    }
    const Rows handled =
        chosen == nullptr ? store.rowsWhere("calls", "handled_by", {value(me)}) : Rows{};
    for (const auto& [key, fields] : handled) {
        if (text(fields, "status") == QLatin1String("in_progress") &&
            (card.phase != CallerCard::Phase::OnCall ||
             number(fields, "started_at") > number(*chosen, "started_at"))) {
            chosen = &fields;
            card.phase = CallerCard::Phase::OnCall;
        }
    }
    if (chosen == nullptr) {
        qint64 newest = nowMs - kWrapUpWindowMs;
        for (const auto& [key, fields] : handled) {
            const qint64 ended = number(fields, "ended_at").value_or(0);
            if (!isLive(text(fields, "status")) && text(fields, "disposition").isEmpty() &&
                ended >= newest && !dismissed.contains(text(fields, "id"))) {
                newest = ended;
                chosen = &fields;
                card.phase = CallerCard::Phase::WrapUp;
            }
        }
    }
    if (chosen == nullptr) {
        return card;
    }
    const sync::Fields& call = *chosen;
    Names names(store);
    card.callId = text(call, "id");
    card.callerNumber = text(call, "from_number");
    card.withheld = isWithheldNumber(card.callerNumber);
    card.storeId = text(call, "location_id");
    card.storeName = names.location(card.storeId);
    card.need = text(call, "need");
    card.disposition = text(call, "disposition");
    card.startedAt = time(call, "started_at");
    card.answeredAt = time(call, "answered_at");
    card.endedAt = time(call, "ended_at");
    const QStringList stores = ownStores(store, me);
    card.noteStoreId = stores.contains(card.storeId) ? card.storeId : stores.value(0, card.storeId);
    card.customerId = text(call, "customer_id");
    if (card.customerId.isEmpty()) {
        card.customerId = customerByNumber(store, card.callerNumber);
    }
    card.customerName = names.customer(card.customerId);
    if (card.customerName.isEmpty()) {
        card.customerId.clear(); // not in this cache: as good as unknown here
    }

    // Recent calls: the customer's, or for a new caller those from the same number (not for a
    // withheld one: every hidden caller "has" it).
    Rows calls;
    if (!card.customerId.isEmpty()) {
        calls = store.rowsWhere("calls", "customer_id", {value(card.customerId)});
    } else if (!card.withheld) {
        calls = store.rowsWhere("calls", "from_number", {value(card.callerNumber)});
    }
    std::erase_if(calls, [&](const auto& c) { return text(c.second, "id") == card.callId; });
    std::sort(calls.begin(), calls.end(), [](const auto& a, const auto& b) {
        return number(a.second, "started_at") > number(b.second, "started_at");
    });
    std::vector<sync::Value> callIds{value(card.callId)};
    for (const auto& [key, fields] : calls) {
        callIds.push_back(value(text(fields, "id")));
        if (card.recentCalls.size() >= kHistoryLimit) {
            continue;
        }
        const auto answered = number(fields, "answered_at");
        const auto ended = number(fields, "ended_at");
        card.recentCalls.push_back(QVariantMap{
            {QStringLiteral("callId"), text(fields, "id")},
            {QStringLiteral("startedAt"), time(fields, "started_at")},
            {QStringLiteral("storeName"), names.location(text(fields, "location_id"))},
            {QStringLiteral("status"), text(fields, "status")},
            {QStringLiteral("disposition"), text(fields, "disposition")},
            {QStringLiteral("handledByName"), names.user(text(fields, "handled_by"))},
            {QStringLiteral("durationSeconds"),
             answered && ended ? (*ended - *answered) / 1000 : qint64{0}},
        });
    }

    if (!card.customerId.isEmpty()) {
        Rows tasks = store.rowsWhere("tasks", "customer_id", {value(card.customerId)});
        std::erase_if(
            tasks, [](const auto& t) { return text(t.second, "status") != QLatin1String("open"); });
        std::sort(tasks.begin(), tasks.end(), [](const auto& a, const auto& b) {
            return number(a.second, "due_at") < number(b.second, "due_at");
        });
        for (const auto& [key, fields] : tasks) {
            card.openTasks.push_back(QVariantMap{
                {QStringLiteral("taskId"), text(fields, "id")},
                {QStringLiteral("title"), text(fields, "title")},
                {QStringLiteral("kind"), text(fields, "kind")},
                {QStringLiteral("dueAt"), time(fields, "due_at")},
                {QStringLiteral("overdue"), number(fields, "due_at").value_or(0) < nowMs},
                {QStringLiteral("storeName"), names.location(text(fields, "location_id"))},
            });
        }

        Rows appointments =
            store.rowsWhere("appointments", "customer_id", {value(card.customerId)});
        std::erase_if(appointments, [&](const auto& a) {
            return text(a.second, "status") != QLatin1String("booked") ||
                   number(a.second, "ends_at").value_or(0) < nowMs;
        });
        std::sort(appointments.begin(), appointments.end(), [](const auto& a, const auto& b) {
            return number(a.second, "starts_at") < number(b.second, "starts_at");
        });
        for (const auto& [key, fields] : appointments) {
            if (card.appointments.size() >= kHistoryLimit) {
                break;
            }
            card.appointments.push_back(QVariantMap{
                {QStringLiteral("appointmentId"), text(fields, "id")},
                {QStringLiteral("startsAt"), time(fields, "starts_at")},
                {QStringLiteral("endsAt"), time(fields, "ends_at")},
                {QStringLiteral("purpose"), text(fields, "purpose")},
                {QStringLiteral("storeName"), names.location(text(fields, "location_id"))},
                {QStringLiteral("staffName"), names.user(text(fields, "staff_id"))},
            });
        }
    }

    // Notes: the customer's, and any written on the caller's calls (a new caller's history).
    Rows notes = !card.customerId.isEmpty()
                     ? store.rowsWhere("call_notes", "customer_id", {value(card.customerId)})
                     : Rows{};
    for (auto& n : store.rowsWhere("call_notes", "call_id", callIds)) {
        if (std::none_of(notes.begin(), notes.end(),
                         [&](const auto& have) { return have.first == n.first; })) {
            notes.push_back(std::move(n));
        }
    }
    std::sort(notes.begin(), notes.end(), [](const auto& a, const auto& b) {
        return number(a.second, "created_at") > number(b.second, "created_at");
    });
    for (const auto& [key, fields] : notes) {
        if (card.notes.size() >= kHistoryLimit) {
            break;
        }
        card.notes.push_back(QVariantMap{
            {QStringLiteral("noteId"), text(fields, "id")},
            {QStringLiteral("body"), text(fields, "body")},
            {QStringLiteral("createdAt"), time(fields, "created_at")},
            {QStringLiteral("authorName"), names.user(text(fields, "author_id"))},
            {QStringLiteral("storeName"), names.location(text(fields, "location_id"))},
        });
    }
    return card;
}

QString shortTime(const QDateTime& when)
{
    // The locale's short format, but never seconds (the C locale's has them).
    QString format = QLocale().timeFormat(QLocale::ShortFormat);
    format.remove(QLatin1String(":ss"));
    return QLocale().toString(when.toLocalTime().time(), format);
}

QString formatDuration(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    const qint64 h = seconds / 3600;
    const qint64 m = (seconds / 60) % 60;
    const qint64 s = seconds % 60;
    const auto two = [](qint64 n) { return QStringLiteral("%1").arg(n, 2, 10, QLatin1Char('0')); };
    return h > 0 ? QStringLiteral("%1:%2:%3").arg(h).arg(two(m), two(s))
                 : QStringLiteral("%1:%2").arg(m).arg(two(s));
}

QString firstName(const QString& displayName)
{
    const QString trimmed = displayName.trimmed();
    const qsizetype space = trimmed.indexOf(QLatin1Char(' '));
    return space > 0 ? trimmed.left(space) : trimmed;
}

QString describePresence(const PresenceState& presence, const QDateTime& now)
{
    if (!presence.known) {
        return tr("Presence not known yet");
    }
    const QString activity = presence.activity;
    if (activity == QLatin1String("ringing")) {
        return tr("Your phone is ringing");
    }
    if (activity == QLatin1String("on_call")) {
        return tr("On a call");
    }
    if (activity == QLatin1String("wrap_up")) {
        if (presence.activityUntil.isValid() && presence.activityUntil > now) {
            return tr("Wrap-up %1").arg(formatDuration(now.secsTo(presence.activityUntil)));
        }
        return tr("Wrap-up");
    }
    if (presence.status != QLatin1String("available")) {
        return tr("No calls are offered to you");
    }
    if (!presence.online) {
        return tr("Available, but this device is offline: calls cannot ring for you");
    }
    if (presence.pausedUntil.isValid() && presence.pausedUntil > now) {
        return tr("Paused after a missed call until %1").arg(shortTime(presence.pausedUntil));
    }
    return tr("Calls can ring for you");
}

} // namespace cc::app::calls
