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
    bool remove = false; // delete the event (deleted, cancelled, or moved to another store)
    bool update = false; // a write for the appointment as it is now (not a removal from an old
                         // calendar): its outcome is the appointment's calendar_state
    CalendarEvent event; // when not removing
};

// What became of one item.
struct CalendarOutcome {
    enum class Kind {
        Done,    // written or deleted
        Failed,  // retried later; `error` says why
        Dropped, // nothing to do any more (the organisation disconnected Google Calendar)
    };
    Kind kind = Kind::Done;
    std::optional<ProviderError> error;
};

struct CalendarBatch {
    std::vector<CalendarWork> work;
    // Opened per organisation; an organisation missing here could not be opened (its work
    // fails with `problems`' message).
    std::map<std::string, OpenedIntegration> integrations;
    std::map<std::string, std::string> problems;
};

// Takes up to `limit` due items (leased for two minutes: keep `limit` small enough that the batch
// ends well within that) and opens their organisations' calendars.
CalendarBatch takeCalendarWork(pqxx::connection& conn, const crypto::SecretBox& secrets,
                               std::size_t limit);

class Worker;

// Writes the batch's events on an integration worker; one outcome per item, in order.
std::vector<CalendarOutcome> writeCalendarBatch(Worker& worker, const CalendarBatch& batch);

// Settles one item, unless the appointment changed meanwhile (a newer seq: that one is due now):
// done (the outbox row goes, the appointment is 'synced'), failed (retried after a backoff that
// doubles up to an hour; the appointment is 'failed' with the reason), or dropped (the row goes,
// the appointment is 'none').
void recordCalendarOutcome(pqxx::connection& conn, const CalendarWork& work,
                           const CalendarOutcome& outcome);

} // namespace cc::server::integrations
