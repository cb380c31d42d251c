-- Telephony and routing (docs/telephony.md): the provider account of each organisation, routing
-- rules, people's presence, every routing decision with its explanation, and the webhook events
-- already applied (so a provider's retry is answered the same way and applied once).

-- One Twilio account per organisation. The auth token signs every webhook; it is sealed with the
-- server's secrets key (server/crypto/secretbox.h), bound to this organisation.
CREATE TABLE telephony_accounts (
    organisation_id   uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    provider          text NOT NULL DEFAULT 'twilio' CHECK (provider IN ('twilio')),
    account_sid       text NOT NULL UNIQUE CHECK (account_sid ~ '^AC[0-9a-f]{32}$'),
    auth_token_sealed text NOT NULL CHECK (length(auth_token_sealed) <= 1000),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Routing rules: one row per organisation (location_id NULL) with optional per-store rows; a
-- NULL column in a store's row means "as the organisation", in the organisation's row "the
-- built-in default" (shared/routing/engine.h).
CREATE TABLE routing_rules (
    organisation_id           uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    location_id               uuid REFERENCES locations (id) ON DELETE CASCADE,
    ring_timeout_s            integer CHECK (ring_timeout_s BETWEEN 5 AND 120),
    overflow_after_s          integer CHECK (overflow_after_s BETWEEN 0 AND 3600),
    voicemail_after_s         integer CHECK (voicemail_after_s BETWEEN 10 AND 3600),
    wrap_up_s                 integer CHECK (wrap_up_s BETWEEN 0 AND 600),
    missed_pause_s            integer CHECK (missed_pause_s BETWEEN 0 AND 3600),
    overflow_when_closed      boolean,
    callback_due_minutes      integer CHECK (callback_due_minutes BETWEEN 1 AND 10080),
    callback_escalate_minutes integer CHECK (callback_escalate_minutes BETWEEN 1 AND 10080),
    greeting                  text CHECK (length(greeting) BETWEEN 1 AND 500),
    hold_music_url            text CHECK (hold_music_url ~ '^https://[^\s<>"]+$' AND
                                          length(hold_music_url) <= 498),
    -- The caller's choice before routing: [{"digit": "1", "label": "footwear", "skill":
    -- "footwear"}, ...]; the chosen skill becomes the call's need.
    menu                      jsonb CHECK (menu IS NULL OR (jsonb_typeof(menu) = 'array' AND
                                           jsonb_array_length(menu) BETWEEN 1 AND 9)),
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX routing_rules_scope_idx
    ON routing_rules (organisation_id, coalesce(location_id, '00000000-0000-0000-0000-000000000000'));

-- Calls: who is being rung right now, what the caller needs, the last routing decision in words,
-- a voicemail's recording, and 'callback' for a caller who chose to be called back while waiting
-- (kept apart from 'abandoned': they did not give up).
ALTER TABLE calls
    ADD COLUMN offered_to        uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN need              text CHECK (need IS NULL OR length(need) <= 64),
    ADD COLUMN routing_reason    text CHECK (routing_reason IS NULL OR length(routing_reason) <= 300),
    ADD COLUMN recording_url     text CHECK (recording_url IS NULL OR length(recording_url) <= 500),
    ADD COLUMN recording_seconds integer CHECK (recording_seconds IS NULL OR recording_seconds >= 0),
    DROP CONSTRAINT calls_status_check,
    ADD CONSTRAINT calls_status_check CHECK (status IN ('ringing', 'in_progress', 'completed',
        'abandoned', 'missed', 'voicemail', 'callback'));
-- The live queue of a store: calls not yet over.
CREATE INDEX calls_live_idx ON calls (location_id, started_at) WHERE status = 'ringing';
-- Repeat callers: the last call from a number.
CREATE INDEX calls_from_started_idx ON calls (organisation_id, from_number, started_at DESC);

-- Callback tasks nobody did in time are escalated (the store's managers see them flagged).
ALTER TABLE tasks ADD COLUMN escalated_at timestamptz;
CREATE INDEX tasks_escalation_idx ON tasks (due_at) WHERE status = 'open' AND escalated_at IS NULL;
-- A call's callback task (one per call).
CREATE INDEX tasks_call_idx ON tasks (call_id) WHERE call_id IS NOT NULL;

-- Presence: `status` is the person's own choice in the app; `activity` is what the server knows
-- from call events; `devices` counts their connected devices (0: not routed to).
CREATE TABLE presence (
    user_id         uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'away' CHECK (status IN ('available', 'away')),
    activity        text NOT NULL DEFAULT 'idle'
                    CHECK (activity IN ('idle', 'ringing', 'on_call', 'wrap_up')),
    call_id         uuid REFERENCES calls (id) ON DELETE SET NULL,
    activity_until  timestamptz, -- ringing: gives up then; wrap_up: ends then
    paused_until    timestamptz, -- missed an offered call: not offered calls until then
    idle_since      timestamptz NOT NULL DEFAULT now(),
    calls_today     integer NOT NULL DEFAULT 0,
    calls_day       date,
    devices         integer NOT NULL DEFAULT 0 CHECK (devices >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX presence_org_idx ON presence (organisation_id);
CREATE INDEX presence_call_idx ON presence (call_id) WHERE call_id IS NOT NULL;
INSERT INTO presence (user_id, organisation_id) SELECT id, organisation_id FROM users;

CREATE FUNCTION presence_for_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO presence (user_id, organisation_id) VALUES (NEW.id, NEW.organisation_id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER presence_for_new_user AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION presence_for_new_user();

-- Server nodes say they are alive every few seconds; a node that stops (crash, kill -9) leaves
-- its device sessions behind, and the next node's sweep removes them.
CREATE TABLE server_nodes (
    node         text PRIMARY KEY CHECK (length(node) BETWEEN 1 AND 200),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- Authenticated WebSocket sessions, per node: who has a device online right now. `incarnation`
-- is the node process's own id: a node restarted under the same name (after a crash) removes
-- the sessions its previous process left.
CREATE TABLE device_sessions (
    id              uuid PRIMARY KEY,
    node            text NOT NULL REFERENCES server_nodes (node) ON DELETE CASCADE,
    incarnation     uuid NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    connected_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_sessions_user_idx ON device_sessions (user_id);
CREATE INDEX device_sessions_node_idx ON device_sessions (node);

CREATE FUNCTION presence_count_devices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE presence SET devices = devices + 1, updated_at = now() WHERE user_id = NEW.user_id;
    ELSE
        UPDATE presence SET devices = greatest(devices - 1, 0), updated_at = now()
         WHERE user_id = OLD.user_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER presence_count_devices AFTER INSERT OR DELETE ON device_sessions
    FOR EACH ROW EXECUTE FUNCTION presence_count_devices();

-- Every routing decision, with everyone considered and their scores ("why did this ring Ana?"),
-- and for an offer what came of it.
CREATE TABLE call_decisions (
    id              bigserial PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    call_id         uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    decided_at      timestamptz NOT NULL DEFAULT now(),
    action          text NOT NULL CHECK (action IN ('offer', 'wait', 'voicemail', 'closed')),
    user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    location_id     uuid REFERENCES locations (id) ON DELETE SET NULL,
    overflow        boolean NOT NULL DEFAULT false,
    explanation     jsonb NOT NULL,
    outcome         text CHECK (outcome IN ('answered', 'no-answer', 'busy', 'failed', 'canceled',
                                            'completed')),
    outcome_at      timestamptz
);
CREATE INDEX call_decisions_call_idx ON call_decisions (call_id, id);

-- Webhook events already applied, keyed by the provider's call id and the event: a retried or
-- duplicated request gets the answer the first one got and changes nothing.
CREATE TABLE telephony_events (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    provider_call_id text NOT NULL CHECK (length(provider_call_id) <= 64),
    event            text NOT NULL CHECK (length(event) <= 120),
    response         text NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, provider_call_id, event)
);
CREATE INDEX telephony_events_received_idx ON telephony_events (received_at);

-- A store's wall clock, or NULL when its time zone is not one PostgreSQL knows (the routing then
-- treats the store as closed rather than failing every call of its region).
CREATE FUNCTION location_local_now(tz text) RETURNS timestamp LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN now() AT TIME ZONE tz;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN NULL;
END
$$;

-- And new or changed stores must name a real time zone.
CREATE FUNCTION locations_check_timezone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF location_local_now(NEW.timezone) IS NULL THEN
        RAISE EXCEPTION 'unknown time zone "%": use an IANA name such as Europe/London',
            NEW.timezone USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER locations_check_timezone BEFORE INSERT OR UPDATE OF timezone ON locations
    FOR EACH ROW EXECUTE FUNCTION locations_check_timezone();

-- Nodes keep the number -> store directory and the accounts in memory (the fallback URL must
-- answer even when the database is slow); any change to them is announced.
CREATE FUNCTION telephony_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cc_telephony', 'changed');
    RETURN NULL;
END
$$;
CREATE TRIGGER telephony_directory_changed AFTER INSERT OR UPDATE OR DELETE ON telephony_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION telephony_directory_changed();
CREATE TRIGGER telephony_directory_changed AFTER INSERT OR UPDATE OR DELETE ON phone_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION telephony_directory_changed();
CREATE TRIGGER telephony_directory_changed AFTER INSERT OR UPDATE OR DELETE ON locations
    FOR EACH STATEMENT EXECUTE FUNCTION telephony_directory_changed();

-- ---- sync capture for the new fields and the presence entity ----

CREATE OR REPLACE FUNCTION sync_capture_calls() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r calls := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM sync_link_customer(r.organisation_id, r.customer_id, r.location_id);
    END IF;
    PERFORM sync_record(r.organisation_id, 'calls', r.id::text, TG_OP = 'DELETE',
        sync_store_audience(r.location_id, r.customer_id), r.customer_id,
        jsonb_build_object('id', r.id, 'location_id', r.location_id,
                           'customer_id', r.customer_id, 'direction', r.direction,
                           'from_number', r.from_number, 'to_number', r.to_number,
                           'started_at', sync_ms(r.started_at),
                           'answered_at', sync_ms(r.answered_at),
                           'ended_at', sync_ms(r.ended_at), 'status', r.status,
                           'handled_by', r.handled_by, 'disposition', r.disposition,
                           'offered_to', r.offered_to, 'need', r.need,
                           'routing_reason', r.routing_reason,
                           'recording_seconds', r.recording_seconds),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION sync_capture_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r tasks := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM sync_link_customer(r.organisation_id, r.customer_id, r.location_id);
    END IF;
    PERFORM sync_record(r.organisation_id, 'tasks', r.id::text, TG_OP = 'DELETE',
        sync_store_audience(r.location_id, r.customer_id), r.customer_id,
        jsonb_build_object('id', r.id, 'location_id', r.location_id,
                           'customer_id', r.customer_id, 'call_id', r.call_id, 'kind', r.kind,
                           'title', r.title, 'due_at', sync_ms(r.due_at),
                           'assigned_to', r.assigned_to, 'status', r.status,
                           'created_at', sync_ms(r.created_at),
                           'completed_at', sync_ms(r.completed_at),
                           'escalated_at', sync_ms(r.escalated_at)),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;

-- A person's presence is seen by the stores they work in (the staff board).
CREATE FUNCTION sync_record_presence(r presence, deleted boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_record(
        coalesce((SELECT id FROM organisations WHERE id = r.organisation_id),
                 sync_org_of('presence', r.user_id::text)),
        'presence', r.user_id::text, deleted,
        (SELECT coalesce(array_agg(location_id ORDER BY location_id), '{}')
           FROM user_locations WHERE user_id = r.user_id), NULL,
        jsonb_build_object('user_id', r.user_id, 'status', r.status, 'activity', r.activity,
                           'call_id', r.call_id, 'activity_until', sync_ms(r.activity_until),
                           'paused_until', sync_ms(r.paused_until),
                           'idle_since', sync_ms(r.idle_since), 'online', r.devices > 0),
        '', NULL);
END
$$;

CREATE FUNCTION sync_capture_presence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_record_presence(OLD, true);
    ELSE
        PERFORM sync_record_presence(NEW, false);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR DELETE ON presence
    FOR EACH ROW EXECUTE FUNCTION sync_capture_presence();
-- Only what the staff board shows: a second device connecting is no news.
CREATE TRIGGER sync_capture_update AFTER UPDATE ON presence
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                    OR OLD.activity IS DISTINCT FROM NEW.activity
                    OR OLD.call_id IS DISTINCT FROM NEW.call_id
                    OR OLD.activity_until IS DISTINCT FROM NEW.activity_until
                    OR OLD.paused_until IS DISTINCT FROM NEW.paused_until
                    OR OLD.idle_since IS DISTINCT FROM NEW.idle_since
                    OR (OLD.devices > 0) IS DISTINCT FROM (NEW.devices > 0))
    EXECUTE FUNCTION sync_capture_presence();

-- A person's stores changing moves their presence to the new stores' boards.
CREATE FUNCTION presence_follow_stores() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE p presence;
BEGIN
    SELECT * INTO p FROM presence
     WHERE user_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
    IF FOUND THEN
        PERFORM sync_record_presence(p, false);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER presence_follow_stores AFTER INSERT OR DELETE ON user_locations
    FOR EACH ROW EXECUTE FUNCTION presence_follow_stores();

-- Rows that existed before: presence enters the log, calls and tasks are captured again with
-- their new fields.
SELECT sync_record_presence(p, false) FROM presence p;
UPDATE calls SET sync_mutation = NULL;
UPDATE tasks SET sync_mutation = NULL;
SELECT sync_sequence(id) FROM organisations;
