#include "server/integrations/calendar_sync.h"

#include "server/integrations/pool.h"

#include <pqxx/pqxx>

#include <algorithm>

namespace cc::server::integrations {

CalendarBatch takeCalendarWork(pqxx::connection& conn, const crypto::SecretBox& secrets,
                               std::size_t limit)
{
    CalendarBatch batch;
    pqxx::work tx(conn);
    // The lease: another node (or this one, next tick) leaves these alone for two minutes, by
    // which time the outcome is recorded or the work is due again.
    const pqxx::result rows = tx.exec_params(
        "WITH due AS (SELECT appointment_id FROM calendar_outbox WHERE next_at <= now() "
        "ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED), "
        "leased AS (UPDATE calendar_outbox o SET next_at = now() + interval '2 minutes' "
        "FROM due WHERE o.appointment_id = due.appointment_id RETURNING o.*) "
        "SELECT l.organisation_id::text, l.appointment_id::text, l.seq, "
        "coalesce(l.calendar_id, calendar_of(a.organisation_id, a.location_id), ''), "
        "l.delete_event OR a.id IS NULL OR a.status IN ('cancelled', 'no_show'), "
        "coalesce(a.status, ''), coalesce(a.purpose, ''), coalesce(loc.name, ''), "
        "coalesce(loc.timezone, 'UTC'), "
        "coalesce(to_char(a.starts_at AT TIME ZONE loc.timezone, 'YYYY-MM-DD\"T\"HH24:MI:SS'), "
        "''), coalesce(to_char(a.ends_at AT TIME ZONE loc.timezone, "
        "'YYYY-MM-DD\"T\"HH24:MI:SS'), ''), coalesce(c.display_name, '') "
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
        const std::string status = r[5].as<std::string>();
        const std::string customer = r[11].as<std::string>();
        w.event.id = eventIdFor(w.appointmentId);
        w.event.appointmentId = w.appointmentId;
        // The customer's name, not their number: the calendar is shared more widely than the app.
        w.event.summary = "Appointment" + (customer.empty() ? std::string() : ": " + customer);
        w.event.description = r[6].as<std::string>();
        w.event.location = r[7].as<std::string>();
        w.event.timeZone = r[8].as<std::string>();
        w.event.start = r[9].as<std::string>();
        w.event.end = r[10].as<std::string>();
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

std::vector<std::optional<ProviderError>> writeCalendarBatch(Worker& worker,
                                                             const CalendarBatch& batch)
{
    using K = ProviderError::Kind;
    std::vector<std::optional<ProviderError>> outcomes;
    for (const auto& w : batch.work) {
        const auto integration = batch.integrations.find(w.organisationId);
        if (integration == batch.integrations.end()) {
            const auto problem = batch.problems.find(w.organisationId);
            outcomes.emplace_back(ProviderError{
                K::Rejected,
                problem != batch.problems.end() ? problem->second : "Google Calendar is not set up",
                0});
            continue;
        }
        if (w.calendarId.empty()) {
            // The store was unlinked from its calendar meanwhile: nothing to write any more.
            outcomes.emplace_back(std::nullopt);
            continue;
        }
        if (w.remove) {
            auto gone = worker.withCalendar<bool>(integration->second, [&](GoogleCalendar& c) {
                return c.deleteEvent(w.calendarId, w.event.id);
            });
            outcomes.emplace_back(gone ? std::nullopt : std::optional<ProviderError>(gone.error()));
        } else {
            auto put =
                worker.withCalendar<std::string>(integration->second, [&](GoogleCalendar& c) {
                    return c.putEvent(w.calendarId, w.event);
                });
            outcomes.emplace_back(put ? std::nullopt : std::optional<ProviderError>(put.error()));
        }
    }
    return outcomes;
}

void recordCalendarOutcome(pqxx::connection& conn, const CalendarWork& work,
                           const std::optional<ProviderError>& error)
{
    pqxx::work tx(conn);
    if (!error) {
        const pqxx::result done = tx.exec_params(
            "DELETE FROM calendar_outbox WHERE appointment_id = $1::uuid AND seq = $2 RETURNING 1",
            work.appointmentId, work.seq);
        if (!done.empty()) {
            tx.exec_params("UPDATE appointments SET calendar_state = 'synced', calendar_error = "
                           "NULL WHERE id = $1::uuid AND calendar_state <> 'synced'",
                           work.appointmentId);
        }
        tx.commit();
        return;
    }
    // Retried after 30 s, doubling up to an hour.
    const std::string message = error->message.substr(0, 300);
    const pqxx::result failed = tx.exec_params(
        "UPDATE calendar_outbox SET attempts = attempts + 1, last_error = $3, next_at = now() + "
        "make_interval(secs => CASE WHEN attempts >= 7 THEN 3600 ELSE 30 * (1 << attempts) END) "
        "WHERE appointment_id = $1::uuid AND seq = $2 RETURNING 1",
        work.appointmentId, work.seq, message);
    if (!failed.empty()) {
        tx.exec_params("UPDATE appointments SET calendar_state = 'failed', calendar_error = $2 "
                       "WHERE id = $1::uuid AND (calendar_state, coalesce(calendar_error, '')) IS "
                       "DISTINCT FROM ('failed', $2)",
                       work.appointmentId, message);
    }
    tx.commit();
}

} // namespace cc::server::integrations
