#pragma once

#include "server/integrations/calendar.h"
#include "server/integrations/store.h"

#include <pqxx/connection>

#include <map>
#include <optional>
#include <string>
#include <vector>

// Keeping stores' Google Calendars in step with appointments (docs/integrations.md, "Calendar"):
// the upkeep takes due work from calendar_outbox (a lease, so two nodes never write one event at
// once), the integration workers write the events, and the outcome goes back to the outbox and,
// as calendar_state and calendar_error, to the appointment that devices see.
namespace cc::server::integrations {

struct CalendarWork {
    std::string organisationId;
    std::string appointmentId;
    std::int64_t seq = 0;
    std::string calendarId;
    bool remove = false; // delete the event (the appointment was deleted or cancelled)
    CalendarEvent event; // when not removing
};

struct CalendarBatch {
    std::vector<CalendarWork> work;
    // Opened per organisation; an organisation missing here could not be opened (its work
    // fails with `problems`' message).
    std::map<std::string, OpenedIntegration> integrations;
    std::map<std::string, std::string> problems;
};

// Takes up to `limit` due items (leased for two minutes) and opens their organisations'
// calendars.
CalendarBatch takeCalendarWork(pqxx::connection& conn, const crypto::SecretBox& secrets,
                               std::size_t limit);

class Worker;

// Writes the batch's events on an integration worker; one outcome per item, in order.
std::vector<std::optional<ProviderError>> writeCalendarBatch(Worker& worker,
                                                             const CalendarBatch& batch);

// Settles one item: done (the outbox row goes, the appointment is 'synced'), or failed (retried
// after a backoff that doubles up to an hour; the appointment is 'failed' with the reason).
void recordCalendarOutcome(pqxx::connection& conn, const CalendarWork& work,
                           const std::optional<ProviderError>& error);

} // namespace cc::server::integrations
