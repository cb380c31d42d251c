-- Automation (docs/integrations.md): the providers an organisation connects (Shopify or Square
-- for stock, Google Calendar for appointments), which of their locations or calendars is which
-- store, and what callers asked the self-service line.

-- One row per organisation and provider. `settings` holds what is not secret (addresses, API
-- versions, the OAuth client id); `secret_sealed` the credentials as JSON, sealed with the
-- server's secrets key and bound to this organisation and provider (server/crypto/secretbox.h).
-- Neither ever reaches a device: no sync capture reads this table.
CREATE TABLE integrations (
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    provider        text NOT NULL CHECK (provider IN ('shopify', 'square', 'google_calendar')),
    enabled         boolean NOT NULL DEFAULT true,
    settings        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object' AND
                                                       length(settings::text) <= 4000),
    secret_sealed   text NOT NULL CHECK (length(secret_sealed) BETWEEN 1 AND 8000),
    -- The last "test connection" or real call: what an admin sees next to the provider.
    status          text NOT NULL DEFAULT 'untested' CHECK (status IN ('untested', 'ok', 'failing')),
    last_error      text CHECK (last_error IS NULL OR length(last_error) <= 500),
    checked_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (organisation_id, provider)
);
-- One source of stock per organisation.
CREATE UNIQUE INDEX integrations_one_inventory_idx ON integrations (organisation_id)
    WHERE enabled AND provider IN ('shopify', 'square');

-- A store's id at the provider: a Shopify location gid, a Square location id, a calendar id.
CREATE TABLE integration_locations (
    organisation_id uuid NOT NULL,
    provider        text NOT NULL,
    location_id     uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    external_id     text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 255 AND
                                         external_id !~ '[[:cntrl:]]'),
    PRIMARY KEY (location_id, provider),
    FOREIGN KEY (organisation_id, provider) REFERENCES integrations (organisation_id, provider)
        ON DELETE CASCADE
);

-- Self-service on the phone line: callers may speak as well as press keys. A call the line
-- answered by itself is 'self_served': nobody is rung, and its end is no missed call.
ALTER TABLE routing_rules ADD COLUMN self_service boolean;
ALTER TABLE calls
    DROP CONSTRAINT calls_status_check,
    ADD CONSTRAINT calls_status_check CHECK (status IN ('ringing', 'in_progress', 'completed',
        'abandoned', 'missed', 'voicemail', 'callback', 'self_served'));

-- Each thing a caller asked the self-service line, what we understood and what came of it: the
-- numbers behind "how many calls did the line answer by itself", and the place a stock lookup
-- waits while the provider is asked.
CREATE TABLE ivr_turns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    call_id         uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    turn            integer NOT NULL CHECK (turn BETWEEN 1 AND 20),
    utterance       text NOT NULL CHECK (length(utterance) <= 500),
    intent          text NOT NULL CHECK (length(intent) <= 32),
    confidence      real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    slots           jsonb NOT NULL DEFAULT '{}',
    -- answered: the line answered by itself; person: handed to a colleague; failed: the provider
    -- could not answer (and the caller went to a person); pending: a lookup is under way.
    outcome         text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'answered',
                                                                       'person', 'failed')),
    answer          text CHECK (answer IS NULL OR length(answer) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (call_id, turn)
);
CREATE INDEX ivr_turns_org_created_idx ON ivr_turns (organisation_id, created_at);

-- Appointments asked for on the phone line wait for staff to confirm them ('requested' ->
-- 'booked'). Each appointment is kept in step with its store's Google Calendar, if one is
-- connected: devices see where that stands (calendar_state, calendar_error); the work itself is
-- queued in calendar_outbox, so retries and leases cause no sync traffic.
ALTER TABLE appointments
    DROP CONSTRAINT appointments_status_check,
    ADD CONSTRAINT appointments_status_check CHECK (status IN ('requested', 'booked', 'cancelled',
                                                               'done', 'no_show')),
    ADD COLUMN calendar_state text NOT NULL DEFAULT 'none'
        CHECK (calendar_state IN ('none', 'pending', 'synced', 'failed')),
    ADD COLUMN calendar_error text CHECK (calendar_error IS NULL OR length(calendar_error) <= 300);

-- What the calendar upkeep has to do: one row per appointment and calendar (an appointment moved
-- to another store has its event deleted from the old calendar and written to the new one).
-- `seq` comes from a sequence, so every change has a higher one than any before it: an outcome
-- for an older version never settles a newer one. `leased_until` is the upkeep's, untouched by
-- edits, so two nodes never write one event at once.
CREATE SEQUENCE calendar_outbox_seq;
CREATE TABLE calendar_outbox (
    appointment_id  uuid NOT NULL,
    calendar_id     text NOT NULL CHECK (length(calendar_id) BETWEEN 1 AND 255),
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL DEFAULT nextval('calendar_outbox_seq'),
    delete_event    boolean NOT NULL DEFAULT false,
    attempts        integer NOT NULL DEFAULT 0,
    next_at         timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,
    last_error      text CHECK (last_error IS NULL OR length(last_error) <= 300),
    PRIMARY KEY (appointment_id, calendar_id)
);
CREATE INDEX calendar_outbox_due_idx ON calendar_outbox (next_at);

-- The store's calendar id, when its organisation keeps one in step.
CREATE FUNCTION calendar_of(org uuid, store uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT l.external_id FROM integration_locations l
      JOIN integrations i ON i.organisation_id = l.organisation_id AND i.provider = l.provider
     WHERE l.organisation_id = org AND l.location_id = store AND l.provider = 'google_calendar'
       AND i.enabled
$$;

-- Queues writing (or deleting) an appointment's event in a calendar.
CREATE FUNCTION calendar_queue(org uuid, appointment uuid, cal text, remove boolean)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO calendar_outbox (appointment_id, calendar_id, organisation_id, delete_event)
    VALUES (appointment, cal, org, remove)
    ON CONFLICT (appointment_id, calendar_id) DO UPDATE
       SET seq = nextval('calendar_outbox_seq'), delete_event = EXCLUDED.delete_event,
           attempts = 0, next_at = now(), last_error = NULL
$$;

CREATE FUNCTION calendar_mark() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_cal text;
    old_cal text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.starts_at = OLD.starts_at AND NEW.ends_at = OLD.ends_at
       AND NEW.status = OLD.status AND NEW.purpose = OLD.purpose
       AND NEW.location_id = OLD.location_id
       AND NEW.customer_id IS NOT DISTINCT FROM OLD.customer_id THEN
        RETURN NEW; -- the upkeep recording an outcome, or a change the calendar does not show
    END IF;
    new_cal := calendar_of(NEW.organisation_id, NEW.location_id);
    IF TG_OP = 'UPDATE' AND OLD.calendar_state <> 'none' THEN
        old_cal := calendar_of(OLD.organisation_id, OLD.location_id);
        IF old_cal IS NOT NULL AND old_cal IS DISTINCT FROM new_cal THEN
            -- Moved to another store: its event leaves the old store's calendar.
            PERFORM calendar_queue(OLD.organisation_id, OLD.id, old_cal, true);
        END IF;
    END IF;
    IF new_cal IS NULL THEN
        NEW.calendar_state := 'none';
        NEW.calendar_error := NULL;
        RETURN NEW;
    END IF;
    NEW.calendar_state := 'pending';
    NEW.calendar_error := NULL;
    PERFORM calendar_queue(NEW.organisation_id, NEW.id, new_cal, false);
    RETURN NEW;
END
$$;
-- Named to run before sync_stamp_external (BEFORE triggers run in name order), so the stamp
-- covers the calendar fields it sets.
CREATE TRIGGER calendar_mark BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION calendar_mark();

CREATE FUNCTION calendar_forget() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE cal text := calendar_of(OLD.organisation_id, OLD.location_id);
BEGIN
    -- Writes still queued for it are moot; its event, if it has one, goes.
    DELETE FROM calendar_outbox WHERE appointment_id = OLD.id AND NOT delete_event;
    IF cal IS NOT NULL AND OLD.calendar_state <> 'none' THEN
        PERFORM calendar_queue(OLD.organisation_id, OLD.id, cal, true);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER calendar_forget AFTER DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION calendar_forget();

-- Devices see where the calendar stands with each appointment.
CREATE OR REPLACE FUNCTION sync_capture_appointments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r appointments := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM sync_link_customer(r.organisation_id, r.customer_id, r.location_id);
    END IF;
    PERFORM sync_record(r.organisation_id, 'appointments', r.id::text, TG_OP = 'DELETE',
        sync_store_audience(r.location_id, r.customer_id), r.customer_id,
        jsonb_build_object('id', r.id, 'location_id', r.location_id,
                           'customer_id', r.customer_id, 'staff_id', r.staff_id,
                           'starts_at', sync_ms(r.starts_at), 'ends_at', sync_ms(r.ends_at),
                           'purpose', r.purpose, 'status', r.status,
                           'created_at', sync_ms(r.created_at),
                           'calendar_state', r.calendar_state,
                           'calendar_error', r.calendar_error),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;

-- The follow-up task that asks staff to confirm an appointment requested on the phone line: done
-- as soon as the appointment is settled (booked, or cancelled), on whichever device that happens.
ALTER TABLE tasks ADD COLUMN appointment_id uuid REFERENCES appointments (id) ON DELETE SET NULL;
CREATE INDEX tasks_appointment_idx ON tasks (appointment_id) WHERE appointment_id IS NOT NULL;

CREATE FUNCTION appointment_settled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks SET status = 'done', completed_at = now()
     WHERE appointment_id = NEW.id AND status = 'open';
    RETURN NULL;
END
$$;
CREATE TRIGGER appointment_settled AFTER UPDATE OF status ON appointments
    FOR EACH ROW WHEN (OLD.status = 'requested' AND NEW.status <> 'requested')
    EXECUTE FUNCTION appointment_settled();
