#include "tests/qml/democache.h"

#include "app/cache/localstore.h"
#include "app/sync/syncservice.h"
#include "shared/protocol/messages.h"
#include "shared/sync/schema.h"

#include <QDateTime>
#include <QTimeZone>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace cc::test {
namespace {

using sync::Field;
using sync::Fields;
using sync::Null;
using sync::Value;

std::string uuid(int n)
{
    return QStringLiteral("00000000-0000-4000-8000-%1")
        .arg(n, 12, 10, QLatin1Char('0'))
        .toStdString();
}

// Ids of the demo's rows.
enum : int {
    kOrg = 1,
    kMainStreet = 10,
    kHarbour,
    kRiverside,
    kAna = 20,
    kBen,
    kSam,
    kPriya,
    kMaya,
    kLeo,
    kTom,
    kJo,
    kRosa,
    kAlice = 40,
    kBob,
    kCarmen,
    kRinging = 60,
    kWaiting,
    kWithBen,
    kAliceYesterday,
    kAliceLastWeek,
    kAliceMissed,
    kBobEarlier,
    kTomJustDone,
    kJoOnCall,
    kJoNext,
    kCarmenRinging,
    kTaskOpen = 80,
    kTaskDone,
    kFitting = 90,
    kAskedByPhone,
    kHarbourAsked,
    kBobPickup,
    kCarmenSkiBoots,
    kCancelled,
    kYesterday,
    kRiversideAsked,
    kNoteBoots = 100,
    kNoteJacket,
};

class Rows {
public:
    // firstVersion: the server version of the first row (a later page's rows come after the
    // demo's).
    explicit Rows(std::int64_t nowMs, std::int64_t firstVersion = 1)
        : m_now(nowMs)
        , m_version(firstVersion - 1)
    {}

    std::int64_t ago(std::int64_t seconds) const { return m_now - seconds * 1000; }
    std::int64_t in(std::int64_t seconds) const { return m_now + seconds * 1000; }

    void add(const std::string& entity, Fields fields)
    {
        const sync::EntitySpec* spec = sync::findEntity(entity);
        auto key = sync::makeKey(*spec, fields);
        m_rows.push_back(protocol::SyncRow{
            entity, key ? *key : std::string(), ++m_version, false, std::move(fields), {}, {}});
    }

    protocol::Changes page(bool reset = true) const
    {
        protocol::Changes c;
        c.from = 1;
        c.to = m_version;
        c.reset = reset;
        c.complete = true;
        c.rows = m_rows;
        return c;
    }

private:
    std::int64_t m_now;
    std::int64_t m_version;
    std::vector<protocol::SyncRow> m_rows;
};

Value id(int n)
{
    return uuid(n);
}

// `days` after today at hour:minute on the demo stores' clock (New York), in ms.
std::int64_t newYork(std::int64_t nowMs, int days, int hour, int minute = 0)
{
    const QTimeZone zone("America/New_York");
    const QDate today = QDateTime::fromMSecsSinceEpoch(nowMs, Qt::UTC).toTimeZone(zone).date();
    return QDateTime(today.addDays(days), QTime(hour, minute), zone).toMSecsSinceEpoch();
}

// The next quarter of an hour at or after `ms`.
std::int64_t quarter(std::int64_t ms)
{
    constexpr std::int64_t q = 15 * 60 * 1000;
    return (ms + q - 1) / q * q;
}

void appointment(Rows& r, int n, int store, const Value& customer, const Value& staff,
                 std::int64_t starts, int minutes, const std::string& purpose,
                 const std::string& status, const Value& calendarState, const Value& calendarError)
{
    r.add("appointments", {{"id", id(n)},
                           {"location_id", id(store)},
                           {"customer_id", customer},
                           {"staff_id", staff},
                           {"starts_at", starts},
                           {"ends_at", starts + std::int64_t{minutes} * 60 * 1000},
                           {"purpose", purpose},
                           {"status", status},
                           {"created_at", r.ago(3600)},
                           {"calendar_state", calendarState},
                           {"calendar_error", calendarError}});
}

void user(Rows& r, int n, const std::string& name, const std::string& role, int home)
{
    r.add("users", {{"id", id(n)},
                    {"email", name.substr(0, name.find(' ')) + "@northwind.example"},
                    {"display_name", name},
                    {"role", role},
                    {"home_location_id", id(home)},
                    {"skills", std::string("[]")},
                    {"active", true}});
    r.add("user_locations", {{"user_id", id(n)}, {"location_id", id(home)}});
}

void presence(Rows& r, int n, const std::string& status, const std::string& activity,
              const Value& call, const Value& pausedUntil, std::int64_t idleSince, bool online,
              const Value& activityUntil = Null{})
{
    r.add("presence", {{"user_id", id(n)},
                       {"status", status},
                       {"activity", activity},
                       {"call_id", call},
                       {"activity_until", activityUntil},
                       {"paused_until", pausedUntil},
                       {"idle_since", idleSince},
                       {"online", online}});
}

void call(Rows& r, int n, int store, const Value& customer, const std::string& from,
          std::int64_t started, const Value& answered, const Value& ended,
          const std::string& status, const Value& handledBy, const Value& disposition,
          const Value& offeredTo, const Value& need)
{
    r.add("calls", {{"id", id(n)},
                    {"location_id", id(store)},
                    {"customer_id", customer},
                    {"direction", std::string("inbound")},
                    {"from_number", from},
                    {"to_number", std::string("+12125550100")},
                    {"started_at", started},
                    {"answered_at", answered},
                    {"ended_at", ended},
                    {"status", status},
                    {"handled_by", handledBy},
                    {"disposition", disposition},
                    {"offered_to", offeredTo},
                    {"need", need},
                    {"routing_reason", Null{}},
                    {"recording_seconds", Null{}}});
}

// Jo's call from a new caller, answered a few minutes ago at Riverside.
void joOnCall(Rows& r, const std::string& status, const Value& ended)
{
    call(r, kJoOnCall, kRiverside, Null{}, "+12125550199", r.ago(300), r.ago(290), ended, status,
         id(kJo), Null{}, Null{}, std::string("a repair"));
}

protocol::Changes demo(std::int64_t now)
{
    Rows r(now);
    const std::int64_t hour = 3600;
    const std::int64_t day = 24 * hour;
    r.add("organisations", {{"id", id(kOrg)},
                            {"name", std::string("Northwind Outfitters")},
                            {"default_country_code", std::string("1")}});
    r.add("locations", {{"id", id(kMainStreet)},
                        {"region_id", Null{}},
                        {"code", std::string("NE-01")},
                        {"name", std::string("Main Street")},
                        {"timezone", std::string("America/New_York")},
                        {"main_phone", std::string("+12125550100")},
                        {"address", std::string("12 Main Street, New York")}});
    r.add("locations", {{"id", id(kHarbour)},
                        {"region_id", Null{}},
                        {"code", std::string("NE-02")},
                        {"name", std::string("Harbour Point")},
                        {"timezone", std::string("America/New_York")},
                        {"main_phone", std::string("+16175550100")},
                        {"address", std::string("1 Harbour Point, Boston")}});
    user(r, kAna, "Ana Lopez", "staff", kMainStreet);
    user(r, kBen, "Ben Carter", "staff", kMainStreet);
    user(r, kSam, "Sam Okafor", "staff", kMainStreet);
    user(r, kPriya, "Priya Shah", "staff", kMainStreet);
    user(r, kMaya, "Maya Patel", "manager", kMainStreet);
    r.add("user_locations", {{"user_id", id(kMaya)}, {"location_id", id(kHarbour)}});
    user(r, kLeo, "Leo Grant", "staff", kHarbour);
    user(r, kTom, "Tom Reyes", "staff", kMainStreet);
    // Jo works where nobody else of the demo does: his calls are in no one else's queue.
    r.add("locations", {{"id", id(kRiverside)},
                        {"region_id", Null{}},
                        {"code", std::string("NE-03")},
                        {"name", std::string("Riverside")},
                        {"timezone", std::string("America/New_York")},
                        {"main_phone", std::string("+12125550300")},
                        {"address", std::string("3 River Road, New York")}});
    user(r, kJo, "Jo Kim", "staff", kRiverside);
    user(r, kRosa, "Rosa Diaz", "staff", kRiverside);

    r.add("customers", {{"id", id(kAlice)},
                        {"display_name", std::string("Alice Martin")},
                        {"email", std::string("alice@example.com")},
                        {"marketing_consent", false},
                        {"sms_consent", true},
                        {"created_at", r.ago(400 * day)}});
    r.add("customer_phones", {{"customer_id", id(kAlice)},
                              {"number", std::string("+12125550111")},
                              {"label", std::string("mobile")}});
    r.add("customers", {{"id", id(kBob)},
                        {"display_name", std::string("Bob Nguyen")},
                        {"email", Null{}},
                        {"marketing_consent", false},
                        {"sms_consent", false},
                        {"created_at", r.ago(90 * day)}});
    r.add("customer_phones", {{"customer_id", id(kBob)},
                              {"number", std::string("+12125550112")},
                              {"label", std::string("home")}});
    r.add("customers", {{"id", id(kCarmen)},
                        {"display_name", std::string("Carmen Ortiz")},
                        {"email", std::string("carmen@example.com")},
                        {"marketing_consent", true},
                        {"sms_consent", true},
                        {"created_at", r.ago(30 * day)}});
    r.add("customer_phones", {{"customer_id", id(kCarmen)},
                              {"number", std::string("+12125550133")},
                              {"label", std::string("mobile")}});

    // Live: Alice rings Ana (the call is not linked to her yet: she is found by her number), a
    // new caller waits, Ben talks with Bob.
    call(r, kRinging, kMainStreet, Null{}, "+12125550111", r.ago(12), Null{}, Null{}, "ringing",
         Null{}, Null{}, id(kAna), std::string("returns"));
    call(r, kWaiting, kMainStreet, Null{}, "+12125550177", r.ago(65), Null{}, Null{}, "ringing",
         Null{}, Null{}, Null{}, std::string("store hours"));
    call(r, kWithBen, kMainStreet, id(kBob), "+12125550112", r.ago(230), r.ago(200), Null{},
         "in_progress", id(kBen), Null{}, Null{}, Null{});
    // History, at both stores.
    call(r, kAliceYesterday, kHarbour, id(kAlice), "+12125550111", r.ago(day + 2 * hour),
         r.ago(day + 2 * hour - 20), r.ago(day + 2 * hour - 260), "completed", id(kLeo),
         std::string("follow_up_needed"), Null{}, std::string("inventory"));
    call(r, kAliceLastWeek, kMainStreet, id(kAlice), "+12125550111", r.ago(6 * day),
         r.ago(6 * day - 15), r.ago(6 * day - 400), "completed", id(kSam), std::string("sale"),
         Null{}, Null{});
    call(r, kAliceMissed, kMainStreet, id(kAlice), "+12125550111", r.ago(6 * day + 3 * hour),
         Null{}, r.ago(6 * day + 3 * hour - 40), "missed", Null{}, Null{}, Null{}, Null{});
    call(r, kTomJustDone, kMainStreet, Null{}, "+12125550188", r.ago(190), r.ago(180), r.ago(40),
         "completed", id(kTom), Null{}, Null{}, std::string("opening hours"));
    joOnCall(r, "in_progress", Null{});
    // Carmen rings Rosa at Riverside (the booking and stock tests' caller).
    call(r, kCarmenRinging, kRiverside, id(kCarmen), "+12125550133", r.ago(8), Null{}, Null{},
         "ringing", Null{}, Null{}, id(kRosa), std::string("appointment"));
    call(r, kBobEarlier, kMainStreet, id(kBob), "+12125550112", r.ago(3 * hour),
         r.ago(3 * hour - 10), r.ago(3 * hour - 100), "completed", id(kAna),
         std::string("resolved"), Null{}, Null{});

    r.add("tasks", {{"id", id(kTaskOpen)},
                    {"location_id", id(kHarbour)},
                    {"customer_id", id(kAlice)},
                    {"call_id", id(kAliceYesterday)},
                    {"kind", std::string("callback")},
                    {"title", std::string("Call Alice when the Trailmaster boots arrive")},
                    {"due_at", r.in(2 * hour)},
                    {"assigned_to", id(kLeo)},
                    {"status", std::string("open")},
                    {"created_at", r.ago(day)},
                    {"completed_at", Null{}},
                    {"escalated_at", Null{}}});
    r.add("tasks", {{"id", id(kTaskDone)},
                    {"location_id", id(kMainStreet)},
                    {"customer_id", id(kAlice)},
                    {"call_id", Null{}},
                    {"kind", std::string("follow_up")},
                    {"title", std::string("Send the rain jacket care guide")},
                    {"due_at", r.ago(5 * day)},
                    {"assigned_to", Null{}},
                    {"status", std::string("done")},
                    {"created_at", r.ago(6 * day)},
                    {"completed_at", r.ago(5 * day)},
                    {"escalated_at", Null{}}});
    r.add("appointments", {{"id", id(kFitting)},
                           {"location_id", id(kMainStreet)},
                           {"customer_id", id(kAlice)},
                           {"staff_id", id(kSam)},
                           {"starts_at", newYork(now, 1, 11)},
                           {"ends_at", newYork(now, 1, 12)},
                           {"purpose", std::string("Boot fitting")},
                           {"status", std::string("booked")},
                           {"created_at", r.ago(day)},
                           {"calendar_state", std::string("synced")},
                           {"calendar_error", Null{}}});
    // Appointments: one asked for on the phone line and waiting to be confirmed, Bob's pickup
    // today that the store's calendar refused, Carmen's fitting still going into it; at Harbour
    // Point and Riverside one request each; a cancelled one and yesterday's (not shown).
    appointment(r, kAskedByPhone, kMainStreet, Null{}, Null{}, newYork(now, 2, 11), 30,
                "Asked for by phone (+12125550177): \"can I come in at 11 to get my boots "
                "fitted\"",
                "requested", std::string("synced"), Null{});
    appointment(
        r, kBobPickup, kMainStreet, id(kBob), id(kBen),
        std::max(quarter(r.in(2 * hour)), newYork(now, 0, 17, 30)), 15, "Tent repair pickup",
        "booked", std::string("failed"),
        std::string("Google Calendar refused the refresh token: reconnect Google Calendar"));
    appointment(r, kCarmenSkiBoots, kMainStreet, id(kCarmen), Null{}, newYork(now, 3, 15, 30), 60,
                "Ski boot fitting", "booked", std::string("pending"), Null{});
    appointment(r, kHarbourAsked, kHarbour, Null{}, Null{}, newYork(now, 1, 10), 30,
                "Asked for by phone (+16175550123): \"tomorrow at 10 for a bike service\"",
                "requested", std::string("synced"), Null{});
    appointment(r, kRiversideAsked, kRiverside, Null{}, Null{}, newYork(now, 2, 14), 30,
                "Asked for by phone (+12125550144): \"thursday at 2 for a kayak fitting\"",
                "requested", std::string("synced"), Null{});
    appointment(r, kCancelled, kMainStreet, id(kBob), Null{}, newYork(now, 4, 9), 30,
                "Cancelled fitting", "cancelled", std::string("synced"), Null{});
    appointment(r, kYesterday, kMainStreet, id(kAlice), Null{}, newYork(now, -1, 12), 30,
                "Yesterday's fitting", "booked", std::string("synced"), Null{});

    r.add("call_notes",
          {{"id", id(kNoteBoots)},
           {"customer_id", id(kAlice)},
           {"call_id", id(kAliceYesterday)},
           {"location_id", id(kHarbour)},
           {"author_id", id(kLeo)},
           {"body", std::string("Wants the Trailmaster boots in 8.5 wide; none at Harbour Point. "
                                "Promised a call when they arrive.")},
           {"created_at", r.ago(day + 2 * hour - 300)}});
    r.add("call_notes",
          {{"id", id(kNoteJacket)},
           {"customer_id", id(kAlice)},
           {"call_id", id(kAliceLastWeek)},
           {"location_id", id(kMainStreet)},
           {"author_id", id(kSam)},
           {"body", std::string("Bought a rain jacket; asked about the loyalty card.")},
           {"created_at", r.ago(6 * day - 420)}});

    presence(r, kAna, "available", "ringing", id(kRinging), Null{}, r.ago(25 * 60), true);
    presence(r, kBen, "available", "on_call", id(kWithBen), Null{}, r.ago(200), true);
    presence(r, kSam, "available", "idle", Null{}, Null{}, r.ago(7 * 60), true);
    presence(r, kPriya, "available", "idle", Null{}, r.in(4 * 60), r.ago(2 * 60), true);
    presence(r, kMaya, "away", "idle", Null{}, Null{}, r.ago(hour), true);
    presence(r, kLeo, "available", "idle", Null{}, Null{}, r.ago(12 * 60), true);
    presence(r, kJo, "available", "on_call", id(kJoOnCall), Null{}, r.ago(290), true);
    presence(r, kRosa, "available", "ringing", id(kCarmenRinging), Null{}, r.ago(600), true);
    // His wrap-up lasts long enough for the tests that run before the calls page's.
    presence(r, kTom, "available", "wrap_up", id(kTomJustDone), Null{}, r.ago(180), true,
             r.in(10 * 60));
    return r.page();
}

QString writeCache(const QString& path, const protocol::Changes& page)
{
    auto opened = app::cache::LocalStore::open(path.toStdString(), "demo-tablet");
    if (!opened) {
        return QString::fromStdString(opened.error());
    }
    auto applied = (*opened)->applyChanges(page);
    return applied ? QString() : QString::fromStdString(applied.error());
}

} // namespace

QString writeDemoCaches(const QString& folder, DemoPeople* people)
{
    people->staff = QString::fromStdString(uuid(kAna));
    people->manager = QString::fromStdString(uuid(kMaya));
    people->wrapUp = QString::fromStdString(uuid(kTom));
    people->onCall = QString::fromStdString(uuid(kJo));
    people->booking = QString::fromStdString(uuid(kRosa));
    people->ben = QString::fromStdString(uuid(kBen));
    people->sam = QString::fromStdString(uuid(kSam));
    people->priya = QString::fromStdString(uuid(kPriya));
    people->mainStreet = QString::fromStdString(uuid(kMainStreet));
    people->harbour = QString::fromStdString(uuid(kHarbour));
    people->riverside = QString::fromStdString(uuid(kRiverside));
    people->carmen = QString::fromStdString(uuid(kCarmen));
    const protocol::Changes page = demo(QDateTime::currentMSecsSinceEpoch());
    for (const QString& who :
         {people->staff, people->manager, people->wrapUp, people->onCall, people->booking}) {
        const QString failure =
            writeCache(app::SyncService::cachePath(folder, people->organisation, who), page);
        if (!failure.isEmpty()) {
            return failure;
        }
    }
    return {};
}

QString endJosCall(const QString& folder, const DemoPeople& people)
{
    // Well after the demo's versions: the page comes later than everything the cache holds.
    Rows r(QDateTime::currentMSecsSinceEpoch(), 1000);
    joOnCall(r, "completed", r.ago(1));
    return writeCache(app::SyncService::cachePath(folder, people.organisation, people.onCall),
                      r.page(false));
}

QString ringJo(const QString& folder, const DemoPeople& people)
{
    Rows r(QDateTime::currentMSecsSinceEpoch(), 2000);
    call(r, kJoNext, kRiverside, Null{}, "+12125550166", r.ago(3), Null{}, Null{}, "ringing",
         Null{}, Null{}, id(kJo), Null{});
    return writeCache(app::SyncService::cachePath(folder, people.organisation, people.onCall),
                      r.page(false));
}

} // namespace cc::test
