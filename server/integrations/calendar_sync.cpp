#include "server/integrations/calendar_sync.h"

#include "server/integrations/pool.h"
#include "shared/util/utf8.h"

#include <pqxx/pqxx>

#include <algorithm>

namespace cc::server::integrations {

CalendarBatch takeCalendarWork(pqxx::connection& conn, const crypto::SecretBox& secrets,
                               std::size_t limit)
{
    CalendarBatch batch;
    pqxx::work tx(conn);
    const pqxx::result rows = tx.exec_params(
        "WITH due AS (SELECT appointment_id, calendar_id FROM calendar_outbox WHERE next_at <= "
        "now() AND (leased_until IS NULL OR leased_until < now()) ORDER BY next_at LIMIT $1 FOR "
        "UPDATE SKIP LOCKED), "
        "leased AS (UPDATE calendar_outbox o SET leased_until = now() + interval '2 minutes' "
        "FROM due WHERE o.appointment_id = due.appointment_id AND o.calendar_id = "
        "due.calendar_id RETURNING o.*) "
        "SELECT l.organisation_id::text, l.appointment_id::text, l.seq, l.calendar_id, "
        "l.delete_event OR a.id IS NULL OR a.status IN ('cancelled', 'no_show'), "
        "NOT l.delete_event AND a.id IS NOT NULL, "
        "coalesce(a.status, ''), coalesce(a.purpose, ''), coalesce(loc.name, ''), "
        "coalesce(to_char(a.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
        "coalesce(to_char(a.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
        "coalesce(loc.timezone, 'UTC'), coalesce(c.display_name, '') "
        "FROM leased l LEFT JOIN appointments a ON a.id = l.appointment_id "
        "LEFT JOIN locations loc ON loc.id = a.location_id "
        "LEFT JOIN customers c ON c.id = a.customer_id",
        static_cast<long long>(limit));
    for (const auto& r : rows) {
        CalendarWork w;
        w.organisationId = r[0].as<std::string>();
        w.appointmentId = r[1].as<std::string>();
        w.seq = r[2].as<std::int64_t>();
        w.calendarId = r[3].as<std::string>();
        w.remove = r[4].as<bool>();
        w.update = r[5].as<bool>();
        const std::string status = r[6].as<std::string>();
        const std::string customer = r[12].as<std::string>();
        w.event.id = eventIdFor(w.appointmentId);
        w.event.appointmentId = w.appointmentId;
        // The customer's name, not their number: the calendar is shared more widely than the app.
        w.event.summary = "Appointment" + (customer.empty() ? std::string() : ": " + customer);
        w.event.description = r[7].as<std::string>();
        w.event.location = r[8].as<std::string>();
        // The instant in UTC (never ambiguous, even in the hour that repeats when summer time
        // ends), with the store's zone for how the calendar shows it.
        w.event.start = r[9].as<std::string>();
        w.event.end = r[10].as<std::string>();
        w.event.timeZone = r[11].as<std::string>();
        w.event.tentative = status == "requested";
        batch.work.push_back(std::move(w));
    }
    for (const auto& w : batch.work) {
        if (batch.integrations.contains(w.organisationId) ||
            batch.problems.contains(w.organisationId)) {
            continue;
        }
        auto opened = openIntegration(tx, secrets, w.organisationId, Provider::GoogleCalendar);
        if (opened) {
            batch.integrations.emplace(w.organisationId, std::move(opened).value());
        } else {
            batch.problems.emplace(w.organisationId, opened.error());
        }
    }
    tx.commit();
    return batch;
}

std::vector<CalendarOutcome> writeCalendarBatch(Worker& worker, const CalendarBatch& batch)
{
    using O = CalendarOutcome::Kind;
    std::vector<CalendarOutcome> outcomes;
    for (const auto& w : batch.work) {
        const auto integration = batch.integrations.find(w.organisationId);
        if (integration == batch.integrations.end()) {
            // Disconnected or disabled since: nothing to keep in step any more. (A sealed secret
            // that no longer opens is not that: it fails, visibly, until an admin fixes it.)
            const auto problem = batch.problems.find(w.organisationId);
            const bool gone =
                problem == batch.problems.end() || problem->second.ends_with("is not connected");
            outcomes.push_back(
                gone ? CalendarOutcome{O::Dropped, std::nullopt}
                     : CalendarOutcome{O::Failed, ProviderError{ProviderError::Kind::Rejected,
                                                                problem->second, 0}});
            continue;
        }
        const auto result = [&]() -> std::optional<ProviderError> {
            if (w.remove) {
                auto gone = worker.withCalendar<bool>(integration->second, [&](GoogleCalendar& c) {
                    return c.deleteEvent(w.calendarId, w.event.id);
                });
                return gone ? std::nullopt : std::optional<ProviderError>(gone.error());
            }
            auto put =
                worker.withCalendar<std::string>(integration->second, [&](GoogleCalendar& c) {
                    return c.putEvent(w.calendarId, w.event);
                });
            return put ? std::nullopt : std::optional<ProviderError>(put.error());
        }();
        outcomes.push_back(result ? CalendarOutcome{O::Failed, result}
                                  : CalendarOutcome{O::Done, std::nullopt});
    }
    return outcomes;
}

namespace {
// The appointment changed while its older version was being written: the newer one (due at once)
// no longer waits for this lease.
void releaseNewer(pqxx::work& tx, const CalendarWork& work)
{
    tx.exec_params("UPDATE calendar_outbox SET leased_until = NULL WHERE appointment_id = "
                   "$1::uuid AND calendar_id = $2 AND seq > $3",
                   work.appointmentId, work.calendarId, work.seq);
}
} // namespace

void recordCalendarOutcome(pqxx::connection& conn, const CalendarWork& work,
                           const CalendarOutcome& outcome)
{
    pqxx::work tx(conn);
    // The appointment first, then its outbox row: the order an edit takes them in (its trigger
    // queues the row), so the upkeep and an edit never wait on each other in a circle.
    tx.exec_params("SELECT 1 FROM appointments WHERE id = $1::uuid FOR UPDATE", work.appointmentId);
    if (outcome.kind != CalendarOutcome::Kind::Failed) {
        const pqxx::result done = tx.exec_params(
            "DELETE FROM calendar_outbox WHERE appointment_id = $1::uuid AND calendar_id = $2 AND "
            "seq = $3 RETURNING 1",
            work.appointmentId, work.calendarId, work.seq);
        if (!done.empty() && work.update) {
            tx.exec_params("UPDATE appointments SET calendar_state = $2, calendar_error = NULL "
                           "WHERE id = $1::uuid AND calendar_state <> $2",
                           work.appointmentId,
                           outcome.kind == CalendarOutcome::Kind::Done ? "synced" : "none");
        }
        if (done.empty()) {
            releaseNewer(tx, work);
        }
        tx.commit();
        return;
    }
    // Retried after 30 s, doubling up to an hour.
    const std::string message =
        util::clipUtf8(outcome.error ? outcome.error->message : std::string("failed"), 300);
    const pqxx::result failed = tx.exec_params(
        "UPDATE calendar_outbox SET attempts = attempts + 1, last_error = $4, leased_until = NULL, "
        "next_at = now() + make_interval(secs => CASE WHEN attempts >= 7 THEN 3600 ELSE 30 * (1 "
        "<< attempts) END) WHERE appointment_id = $1::uuid AND calendar_id = $2 AND seq = $3 "
        "RETURNING 1",
        work.appointmentId, work.calendarId, work.seq, message);
    if (failed.empty()) {
        releaseNewer(tx, work);
    }
    if (!failed.empty() && work.update) {
        tx.exec_params("UPDATE appointments SET calendar_state = 'failed', calendar_error = $2 "
                       "WHERE id = $1::uuid AND (calendar_state, coalesce(calendar_error, '')) IS "
                       "DISTINCT FROM ('failed', $2)",
                       work.appointmentId, message);
    }
    tx.commit();
}

} // namespace cc::server::integrations
