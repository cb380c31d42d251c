-- Analytics (docs/analytics.md): each organisation's thresholds, the facts about a call that the
-- measures need beyond what the call flow records, and rollup tables that triggers keep exact on
-- every change of a call or a callback task, so historical figures are sums over a few rows.
--
-- What one call counts for is written twice on purpose, here (analytics_call_counters) and in
-- shared/analytics/measures.cpp (contributionOf, used by the live figures); tst_analytics holds
-- the two to the same answers.

CREATE TABLE analytics_settings (
    organisation_id     uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    service_level_s     integer NOT NULL DEFAULT 20 CHECK (service_level_s BETWEEN 1 AND 600),
    short_abandon_s     integer NOT NULL DEFAULT 5 CHECK (short_abandon_s BETWEEN 0 AND 120),
    repeat_window_hours integer NOT NULL DEFAULT 72 CHECK (repeat_window_hours BETWEEN 1 AND 720),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION analytics_settings_of(org uuid) RETURNS analytics_settings LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT s FROM analytics_settings s WHERE s.organisation_id = org),
                    ROW(org, 20, 5, 72, now())::analytics_settings)
$$;

-- A store's time zone for counting, or UTC when PostgreSQL does not know it (as the routing,
-- which treats such a store as closed: one store's typo must not fail every call of it). The
-- live figures (server/analytics/live.cpp) fall back to UTC the same way.
CREATE FUNCTION analytics_zone(tz text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM now() AT TIME ZONE tz;
    RETURN tz;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN 'UTC';
END
$$;

-- answered_location_id: the store of the person who answered (another one when the call
-- overflowed); wrap_up_ms: how long that person's wrap-up after the call lasted, once it ended;
-- repeated_at: when the same number next called (first-contact resolution).
ALTER TABLE calls
    ADD COLUMN answered_location_id uuid REFERENCES locations (id) ON DELETE SET NULL,
    ADD COLUMN wrap_up_ms integer CHECK (wrap_up_ms IS NULL OR wrap_up_ms BETWEEN 0 AND 86400000),
    ADD COLUMN repeated_at timestamptz;

-- The answering store: where the person was offered the call (the routing decision), else their
-- home store, else the store called. Named to run before sync_stamp_external, which stamps it.
CREATE FUNCTION analytics_answered_location() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.handled_by IS NOT NULL AND NEW.answered_location_id IS NULL THEN
        NEW.answered_location_id := coalesce(
            (SELECT d.location_id FROM call_decisions d
              WHERE d.call_id = NEW.id AND d.user_id = NEW.handled_by AND d.action = 'offer'
              ORDER BY d.id DESC LIMIT 1),
            (SELECT u.home_location_id FROM users u WHERE u.id = NEW.handled_by),
            NEW.location_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER analytics_answered_location BEFORE INSERT OR UPDATE OF handled_by ON calls
    FOR EACH ROW EXECUTE FUNCTION analytics_answered_location();

-- A new inbound call from a number marks the earlier calls of that number (up to 30 days back,
-- the longest repeat window) that had no repeat yet. Withheld numbers never match.
-- Twilio's stand-ins for a withheld number (as domain::isWithheldCallerId), and numbers that are
-- not numbers, belong to nobody in particular.
CREATE FUNCTION analytics_known_caller(number text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT number LIKE '+%' AND number NOT IN ('+266696687', '+86282452253', '+8656696',
                                               '+7378742833')
$$;

CREATE FUNCTION analytics_mark_repeat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.direction = 'inbound' AND analytics_known_caller(NEW.from_number) THEN
        UPDATE calls SET repeated_at = NEW.started_at
         WHERE organisation_id = NEW.organisation_id AND from_number = NEW.from_number
           AND direction = 'inbound' AND id <> NEW.id
           AND started_at < NEW.started_at AND started_at >= NEW.started_at - interval '30 days'
           AND (repeated_at IS NULL OR repeated_at > NEW.started_at);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_mark_repeat AFTER INSERT ON calls
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_repeat();

-- When a person's activity began (a wrap-up's length is measured from it), and since when they
-- have been staffed: signed in on a device and available, or busy with a call (occupancy's
-- denominator). Staffed time is counted into agent_stats_daily when it ends, and every quarter
-- of an hour while it goes on (analytics_checkpoint_staffed, from the server's upkeep).
ALTER TABLE presence ADD COLUMN activity_since timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN staffed_since timestamptz;

CREATE FUNCTION analytics_is_staffed(p presence) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT p.devices > 0 AND (p.status = 'available' OR p.activity <> 'idle')
$$;

CREATE FUNCTION analytics_presence_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.activity IS DISTINCT FROM OLD.activity OR NEW.call_id IS DISTINCT FROM OLD.call_id THEN
        NEW.activity_since := now();
        IF OLD.activity = 'wrap_up' AND OLD.call_id IS NOT NULL THEN
            UPDATE calls SET wrap_up_ms = least(greatest(
                       sync_ms(now()) - sync_ms(OLD.activity_since), 0), 86400000)
             WHERE id = OLD.call_id AND wrap_up_ms IS NULL;
        END IF;
    END IF;
    IF analytics_is_staffed(NEW) THEN
        NEW.staffed_since := coalesce(NEW.staffed_since, now());
    ELSIF OLD.staffed_since IS NOT NULL THEN
        PERFORM analytics_add_staffed(OLD.user_id, OLD.organisation_id, OLD.staffed_since, now());
        NEW.staffed_since := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER analytics_presence_activity BEFORE UPDATE ON presence
    FOR EACH ROW EXECUTE FUNCTION analytics_presence_activity();

-- ---- what one call or callback task counts for ----

-- The counters, in this order (docs/analytics.md has their meaning):
--  1 offered  2 answered  3 answered_in_sl  4 abandoned  5 short_abandoned  6 missed  7 callbacks
--  8 self_served  9 outbound  10 wait_answered_ms  11 handled  12 talk_ms  13 wrap_ms
--  14 fcr_resolved  15 answered_elsewhere  16 callbacks_due  17 callbacks_in_target
CREATE FUNCTION analytics_call_counters(c calls, s analytics_settings) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    a bigint[] := array_fill(0::bigint, ARRAY[17]);
    wait bigint;
BEGIN
    IF c.direction <> 'inbound' THEN
        a[9] := 1;
        RETURN a;
    END IF;
    IF c.status = 'self_served' THEN
        a[8] := 1;
        RETURN a;
    END IF;
    IF c.status = 'abandoned' AND c.ended_at IS NOT NULL
       AND sync_ms(c.ended_at) - sync_ms(c.started_at) < s.short_abandon_s * 1000::bigint THEN
        a[5] := 1;
        RETURN a;
    END IF;
    a[1] := 1;
    IF c.answered_at IS NOT NULL THEN
        wait := greatest(sync_ms(c.answered_at) - sync_ms(c.started_at), 0);
        a[2] := 1;
        a[10] := wait;
        a[3] := CASE WHEN wait <= s.service_level_s * 1000::bigint THEN 1 ELSE 0 END;
        a[15] := CASE WHEN c.answered_location_id IS NOT NULL
                       AND c.answered_location_id <> c.location_id THEN 1 ELSE 0 END;
        a[14] := CASE WHEN c.disposition = 'resolved' OR c.repeated_at IS NULL
                       OR sync_ms(c.repeated_at) - sync_ms(c.started_at)
                          > s.repeat_window_hours * 3600000::bigint THEN 1 ELSE 0 END;
        IF c.ended_at IS NOT NULL AND c.status <> 'in_progress' THEN
            a[11] := 1;
            a[12] := greatest(sync_ms(c.ended_at) - sync_ms(c.answered_at), 0);
            a[13] := greatest(coalesce(c.wrap_up_ms, 0), 0);
        END IF;
        RETURN a;
    END IF;
    IF c.status = 'abandoned' THEN
        a[4] := 1;
    ELSIF c.status IN ('missed', 'voicemail') THEN
        a[6] := 1;
    ELSIF c.status = 'callback' THEN
        a[7] := 1;
    END IF;
    RETURN a;
END
$$;

-- A callback task counts where and when it was due: due (unless cancelled), and done in time.
CREATE FUNCTION analytics_task_counters(t tasks) RETURNS bigint[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    a bigint[] := array_fill(0::bigint, ARRAY[17]);
BEGIN
    IF t.kind = 'callback' AND t.status <> 'cancelled' THEN
        a[16] := 1;
        a[17] := CASE WHEN t.status = 'done' AND t.completed_at IS NOT NULL
                       AND t.completed_at <= t.due_at THEN 1 ELSE 0 END;
    END IF;
    RETURN a;
END
$$;

-- ---- rollups ----

-- By store and local hour (the store's wall clock: a day of 23 or 25 hours has as many
-- buckets), by store and local day, and by person, store and local day.
CREATE TABLE call_stats_hourly (
    location_id         uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    local_hour          timestamp NOT NULL,
    organisation_id     uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    offered             bigint NOT NULL DEFAULT 0,
    answered            bigint NOT NULL DEFAULT 0,
    answered_in_sl      bigint NOT NULL DEFAULT 0,
    abandoned           bigint NOT NULL DEFAULT 0,
    short_abandoned     bigint NOT NULL DEFAULT 0,
    missed              bigint NOT NULL DEFAULT 0,
    callbacks           bigint NOT NULL DEFAULT 0,
    self_served         bigint NOT NULL DEFAULT 0,
    outbound            bigint NOT NULL DEFAULT 0,
    wait_answered_ms    bigint NOT NULL DEFAULT 0,
    handled             bigint NOT NULL DEFAULT 0,
    talk_ms             bigint NOT NULL DEFAULT 0,
    wrap_ms             bigint NOT NULL DEFAULT 0,
    fcr_resolved        bigint NOT NULL DEFAULT 0,
    answered_elsewhere  bigint NOT NULL DEFAULT 0,
    callbacks_due       bigint NOT NULL DEFAULT 0,
    callbacks_in_target bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (location_id, local_hour)
);
CREATE INDEX call_stats_hourly_org_idx ON call_stats_hourly (organisation_id, local_hour);

CREATE TABLE call_stats_daily (LIKE call_stats_hourly INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE call_stats_daily DROP COLUMN local_hour, ADD COLUMN local_date date NOT NULL,
    ADD PRIMARY KEY (location_id, local_date),
    ADD FOREIGN KEY (location_id) REFERENCES locations (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (organisation_id) REFERENCES organisations (id) ON DELETE CASCADE;
CREATE INDEX call_stats_daily_org_idx ON call_stats_daily (organisation_id, local_date);

CREATE TABLE agent_stats_daily (LIKE call_stats_hourly INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE agent_stats_daily DROP COLUMN local_hour, ADD COLUMN local_date date NOT NULL,
    ADD COLUMN user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ADD PRIMARY KEY (user_id, location_id, local_date),
    ADD FOREIGN KEY (location_id) REFERENCES locations (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (organisation_id) REFERENCES organisations (id) ON DELETE CASCADE;
CREATE INDEX agent_stats_daily_org_idx ON agent_stats_daily (organisation_id, local_date);
-- A person's staffed time that day, counted at their home store (from presence, not from calls:
-- a rebuild keeps it).
ALTER TABLE agent_stats_daily ADD COLUMN staffed_ms bigint NOT NULL DEFAULT 0;

-- Adds a staffed period to the person's days at their home store (else their first store),
-- split at the store's local midnights.
CREATE FUNCTION analytics_add_staffed(person uuid, org uuid, since timestamptz,
                                      until timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    store uuid;
    tz text;
BEGIN
    SELECT l.id, analytics_zone(l.timezone) INTO store, tz
      FROM users u JOIN locations l ON l.id = coalesce(u.home_location_id,
          (SELECT ul.location_id FROM user_locations ul WHERE ul.user_id = u.id
            ORDER BY ul.location_id LIMIT 1))
     WHERE u.id = person;
    IF store IS NULL OR until <= since THEN
        RETURN;
    END IF;
    PERFORM analytics_lock(org, false);
    INSERT INTO agent_stats_daily AS r (user_id, location_id, local_date, organisation_id,
                                        staffed_ms)
    SELECT person, store, x.d, org,
           sync_ms(least(until, (x.d + 1)::timestamp AT TIME ZONE tz))
           - sync_ms(greatest(since, x.d::timestamp AT TIME ZONE tz))
      FROM generate_series((since AT TIME ZONE tz)::date, (until AT TIME ZONE tz)::date,
                           interval '1 day') AS g(day),
           LATERAL (SELECT g.day::date AS d) x
    ON CONFLICT (user_id, location_id, local_date) DO UPDATE
        SET staffed_ms = r.staffed_ms + EXCLUDED.staffed_ms;
END
$$;

-- Counts staffed periods that have gone on for a quarter of an hour so far, and goes on from now.
CREATE FUNCTION analytics_checkpoint_staffed() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    p presence;
    n integer := 0;
BEGIN
    FOR p IN SELECT * FROM presence WHERE staffed_since < now() - interval '15 minutes'
             FOR UPDATE SKIP LOCKED LOOP
        PERFORM analytics_add_staffed(p.user_id, p.organisation_id, p.staffed_since, now());
        UPDATE presence SET staffed_since = now() WHERE user_id = p.user_id;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- Adds `a` to every rollup row of one store, local hour and (optionally) person.
CREATE FUNCTION analytics_add(org uuid, store uuid, person uuid, hour timestamp, a bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF a = array_fill(0::bigint, ARRAY[17]) THEN
        RETURN;
    END IF;
    INSERT INTO call_stats_hourly AS r (location_id, local_hour, organisation_id, offered,
        answered, answered_in_sl, abandoned, short_abandoned, missed, callbacks, self_served,
        outbound, wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved, answered_elsewhere,
        callbacks_due, callbacks_in_target)
    VALUES (store, hour, org, a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
            a[12], a[13], a[14], a[15], a[16], a[17])
    ON CONFLICT (location_id, local_hour) DO UPDATE SET
        offered = r.offered + a[1], answered = r.answered + a[2],
        answered_in_sl = r.answered_in_sl + a[3], abandoned = r.abandoned + a[4],
        short_abandoned = r.short_abandoned + a[5], missed = r.missed + a[6],
        callbacks = r.callbacks + a[7], self_served = r.self_served + a[8],
        outbound = r.outbound + a[9], wait_answered_ms = r.wait_answered_ms + a[10],
        handled = r.handled + a[11], talk_ms = r.talk_ms + a[12], wrap_ms = r.wrap_ms + a[13],
        fcr_resolved = r.fcr_resolved + a[14], answered_elsewhere = r.answered_elsewhere + a[15],
        callbacks_due = r.callbacks_due + a[16], callbacks_in_target = r.callbacks_in_target +
            a[17];

    INSERT INTO call_stats_daily AS r (location_id, local_date, organisation_id, offered,
        answered, answered_in_sl, abandoned, short_abandoned, missed, callbacks, self_served,
        outbound, wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved, answered_elsewhere,
        callbacks_due, callbacks_in_target)
    VALUES (store, hour::date, org, a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
            a[11], a[12], a[13], a[14], a[15], a[16], a[17])
    ON CONFLICT (location_id, local_date) DO UPDATE SET
        offered = r.offered + a[1], answered = r.answered + a[2],
        answered_in_sl = r.answered_in_sl + a[3], abandoned = r.abandoned + a[4],
        short_abandoned = r.short_abandoned + a[5], missed = r.missed + a[6],
        callbacks = r.callbacks + a[7], self_served = r.self_served + a[8],
        outbound = r.outbound + a[9], wait_answered_ms = r.wait_answered_ms + a[10],
        handled = r.handled + a[11], talk_ms = r.talk_ms + a[12], wrap_ms = r.wrap_ms + a[13],
        fcr_resolved = r.fcr_resolved + a[14], answered_elsewhere = r.answered_elsewhere + a[15],
        callbacks_due = r.callbacks_due + a[16], callbacks_in_target = r.callbacks_in_target +
            a[17];

    IF person IS NOT NULL THEN
        INSERT INTO agent_stats_daily AS r (user_id, location_id, local_date, organisation_id,
            offered, answered, answered_in_sl, abandoned, short_abandoned, missed, callbacks,
            self_served, outbound, wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved,
            answered_elsewhere, callbacks_due, callbacks_in_target)
        VALUES (person, store, hour::date, org, a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17])
        ON CONFLICT (user_id, location_id, local_date) DO UPDATE SET
            offered = r.offered + a[1], answered = r.answered + a[2],
            answered_in_sl = r.answered_in_sl + a[3], abandoned = r.abandoned + a[4],
            short_abandoned = r.short_abandoned + a[5], missed = r.missed + a[6],
            callbacks = r.callbacks + a[7], self_served = r.self_served + a[8],
            outbound = r.outbound + a[9], wait_answered_ms = r.wait_answered_ms + a[10],
            handled = r.handled + a[11], talk_ms = r.talk_ms + a[12], wrap_ms = r.wrap_ms + a[13],
            fcr_resolved = r.fcr_resolved + a[14],
            answered_elsewhere = r.answered_elsewhere + a[15],
            callbacks_due = r.callbacks_due + a[16],
            callbacks_in_target = r.callbacks_in_target + a[17];
    END IF;
END
$$;

CREATE FUNCTION analytics_negate(a bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(-x ORDER BY i) FROM unnest(a) WITH ORDINALITY AS u(x, i)
$$;

-- The local hour an instant falls in at a store.
CREATE FUNCTION analytics_local_hour(store uuid, t timestamptz) RETURNS timestamp
LANGUAGE sql STABLE AS $$
    SELECT date_trunc('hour', t AT TIME ZONE analytics_zone(l.timezone))
      FROM locations l WHERE l.id = store
$$;

-- Every change of a call moves its counters: the old state's out, the new state's in.
-- Writers of an organisation's rollups share this lock; a rebuild takes it alone, so no change
-- counted under the old thresholds lands on rows counted under the new ones.
CREATE FUNCTION analytics_lock(org uuid, exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('cc-analytics:' || org::text, 0));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(hashtextextended('cc-analytics:' || org::text, 0));
    END IF;
END
$$;

CREATE FUNCTION analytics_diff(a bigint[], b bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(x - y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, i)
$$;

CREATE FUNCTION analytics_capture_call() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s analytics_settings;
BEGIN
    PERFORM analytics_lock(CASE WHEN TG_OP = 'DELETE' THEN OLD.organisation_id
                                ELSE NEW.organisation_id END, false);
    s := analytics_settings_of(CASE WHEN TG_OP = 'DELETE' THEN OLD.organisation_id
                                    ELSE NEW.organisation_id END);
    IF TG_OP = 'UPDATE' AND OLD.organisation_id = NEW.organisation_id
       AND OLD.location_id = NEW.location_id AND OLD.started_at = NEW.started_at
       AND OLD.handled_by IS NOT DISTINCT FROM NEW.handled_by THEN
        -- The usual case: the same rows, one change.
        PERFORM analytics_add(NEW.organisation_id, NEW.location_id, NEW.handled_by,
                              analytics_local_hour(NEW.location_id, NEW.started_at),
                              analytics_diff(analytics_call_counters(NEW, s),
                                             analytics_call_counters(OLD, s)));
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM analytics_add(OLD.organisation_id, OLD.location_id, OLD.handled_by,
                              analytics_local_hour(OLD.location_id, OLD.started_at),
                              analytics_negate(analytics_call_counters(OLD, s)));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM analytics_add(NEW.organisation_id, NEW.location_id, NEW.handled_by,
                              analytics_local_hour(NEW.location_id, NEW.started_at),
                              analytics_call_counters(NEW, s));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_capture AFTER INSERT OR DELETE ON calls
    FOR EACH ROW EXECUTE FUNCTION analytics_capture_call();
CREATE TRIGGER analytics_capture_update AFTER UPDATE ON calls
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                    OR OLD.answered_at IS DISTINCT FROM NEW.answered_at
                    OR OLD.ended_at IS DISTINCT FROM NEW.ended_at
                    OR OLD.started_at IS DISTINCT FROM NEW.started_at
                    OR OLD.handled_by IS DISTINCT FROM NEW.handled_by
                    OR OLD.location_id IS DISTINCT FROM NEW.location_id
                    OR OLD.direction IS DISTINCT FROM NEW.direction
                    OR OLD.disposition IS DISTINCT FROM NEW.disposition
                    OR OLD.wrap_up_ms IS DISTINCT FROM NEW.wrap_up_ms
                    OR OLD.repeated_at IS DISTINCT FROM NEW.repeated_at
                    OR OLD.answered_location_id IS DISTINCT FROM NEW.answered_location_id)
    EXECUTE FUNCTION analytics_capture_call();

CREATE FUNCTION analytics_capture_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_lock(CASE WHEN TG_OP = 'DELETE' THEN OLD.organisation_id
                                ELSE NEW.organisation_id END, false);
    IF TG_OP <> 'INSERT' AND OLD.kind = 'callback' THEN
        PERFORM analytics_add(OLD.organisation_id, OLD.location_id, OLD.assigned_to,
                              analytics_local_hour(OLD.location_id, OLD.due_at),
                              analytics_negate(analytics_task_counters(OLD)));
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.kind = 'callback' THEN
        PERFORM analytics_add(NEW.organisation_id, NEW.location_id, NEW.assigned_to,
                              analytics_local_hour(NEW.location_id, NEW.due_at),
                              analytics_task_counters(NEW));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_capture AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION analytics_capture_task();
CREATE TRIGGER analytics_capture_update AFTER UPDATE ON tasks
    FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind
                    OR OLD.status IS DISTINCT FROM NEW.status
                    OR OLD.due_at IS DISTINCT FROM NEW.due_at
                    OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
                    OR OLD.assigned_to IS DISTINCT FROM NEW.assigned_to
                    OR OLD.location_id IS DISTINCT FROM NEW.location_id)
    EXECUTE FUNCTION analytics_capture_task();

-- Counts an organisation's figures again from its calls and tasks: after its thresholds change
-- (they decide what each call counts for), and below for the history that existed before.
CREATE FUNCTION analytics_rebuild(org uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s analytics_settings;
BEGIN
    PERFORM analytics_lock(org, true);
    s := analytics_settings_of(org);
    DELETE FROM call_stats_hourly WHERE organisation_id = org;
    DELETE FROM call_stats_daily WHERE organisation_id = org;
    DELETE FROM agent_stats_daily WHERE organisation_id = org AND staffed_ms = 0;
    UPDATE agent_stats_daily SET offered = 0, answered = 0, answered_in_sl = 0, abandoned = 0,
        short_abandoned = 0, missed = 0, callbacks = 0, self_served = 0, outbound = 0,
        wait_answered_ms = 0, handled = 0, talk_ms = 0, wrap_ms = 0, fcr_resolved = 0,
        answered_elsewhere = 0, callbacks_due = 0, callbacks_in_target = 0
     WHERE organisation_id = org;
    CREATE TEMPORARY TABLE analytics_rebuild_rows ON COMMIT DROP AS
    WITH zones AS MATERIALIZED (SELECT id, analytics_zone(timezone) AS tz FROM locations
                                 WHERE organisation_id = org)
    SELECT location_id, person, hour,
           sum(a[1]) AS c1,
           sum(a[2]) AS c2,
           sum(a[3]) AS c3,
           sum(a[4]) AS c4,
           sum(a[5]) AS c5,
           sum(a[6]) AS c6,
           sum(a[7]) AS c7,
           sum(a[8]) AS c8,
           sum(a[9]) AS c9,
           sum(a[10]) AS c10,
           sum(a[11]) AS c11,
           sum(a[12]) AS c12,
           sum(a[13]) AS c13,
           sum(a[14]) AS c14,
           sum(a[15]) AS c15,
           sum(a[16]) AS c16,
           sum(a[17]) AS c17
      FROM (SELECT c.location_id, c.handled_by AS person,
                   date_trunc('hour', c.started_at AT TIME ZONE l.tz) AS hour,
                   analytics_call_counters(c, s) AS a
              FROM calls c JOIN zones l ON l.id = c.location_id
             WHERE c.organisation_id = org
            UNION ALL
            SELECT t.location_id, t.assigned_to, date_trunc('hour', t.due_at AT TIME ZONE l.tz),
                   analytics_task_counters(t)
              FROM tasks t JOIN zones l ON l.id = t.location_id
             WHERE t.organisation_id = org AND t.kind = 'callback') x
     GROUP BY location_id, person, hour;
    INSERT INTO call_stats_hourly (location_id, local_hour, organisation_id, offered, answered,
        answered_in_sl, abandoned, short_abandoned, missed, callbacks, self_served, outbound,
        wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved, answered_elsewhere,
        callbacks_due, callbacks_in_target)
    SELECT location_id, hour, org, sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(c6),
        sum(c7), sum(c8), sum(c9), sum(c10), sum(c11), sum(c12), sum(c13), sum(c14), sum(c15),
        sum(c16), sum(c17)
      FROM analytics_rebuild_rows GROUP BY location_id, hour;
    INSERT INTO call_stats_daily (location_id, local_date, organisation_id, offered, answered,
        answered_in_sl, abandoned, short_abandoned, missed, callbacks, self_served, outbound,
        wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved, answered_elsewhere,
        callbacks_due, callbacks_in_target)
    SELECT location_id, local_hour::date, org, sum(offered), sum(answered), sum(answered_in_sl),
        sum(abandoned), sum(short_abandoned), sum(missed), sum(callbacks), sum(self_served),
        sum(outbound), sum(wait_answered_ms), sum(handled), sum(talk_ms), sum(wrap_ms),
        sum(fcr_resolved), sum(answered_elsewhere), sum(callbacks_due), sum(callbacks_in_target)
      FROM call_stats_hourly WHERE organisation_id = org GROUP BY location_id, local_hour::date;
    INSERT INTO agent_stats_daily (user_id, location_id, local_date, organisation_id, offered,
        answered, answered_in_sl, abandoned, short_abandoned, missed, callbacks, self_served,
        outbound, wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved, answered_elsewhere,
        callbacks_due, callbacks_in_target)
    SELECT person, location_id, hour::date, org, sum(c1), sum(c2), sum(c3), sum(c4), sum(c5),
        sum(c6), sum(c7), sum(c8), sum(c9), sum(c10), sum(c11), sum(c12), sum(c13), sum(c14),
        sum(c15), sum(c16), sum(c17)
      FROM analytics_rebuild_rows WHERE person IS NOT NULL GROUP BY person, location_id, hour::date
    ON CONFLICT (user_id, location_id, local_date) DO UPDATE SET
        offered = EXCLUDED.offered,
        answered = EXCLUDED.answered,
        answered_in_sl = EXCLUDED.answered_in_sl,
        abandoned = EXCLUDED.abandoned,
        short_abandoned = EXCLUDED.short_abandoned,
        missed = EXCLUDED.missed,
        callbacks = EXCLUDED.callbacks,
        self_served = EXCLUDED.self_served,
        outbound = EXCLUDED.outbound,
        wait_answered_ms = EXCLUDED.wait_answered_ms,
        handled = EXCLUDED.handled,
        talk_ms = EXCLUDED.talk_ms,
        wrap_ms = EXCLUDED.wrap_ms,
        fcr_resolved = EXCLUDED.fcr_resolved,
        answered_elsewhere = EXCLUDED.answered_elsewhere,
        callbacks_due = EXCLUDED.callbacks_due,
        callbacks_in_target = EXCLUDED.callbacks_in_target;
    DROP TABLE analytics_rebuild_rows;
END
$$;

-- A store's clock moved to another time zone: its calls fall in other local hours and days.
CREATE FUNCTION analytics_timezone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_rebuild(NEW.organisation_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_timezone_changed AFTER UPDATE OF timezone ON locations
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
    EXECUTE FUNCTION analytics_timezone_changed();

-- Thresholds changed: the organisation's figures are counted again, and every node's live
-- figures follow (cc_analytics_settings carries the organisation).
CREATE FUNCTION analytics_settings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_rebuild(NEW.organisation_id);
    PERFORM pg_notify('cc_analytics_settings', NEW.organisation_id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER analytics_settings_changed AFTER INSERT ON analytics_settings
    FOR EACH ROW EXECUTE FUNCTION analytics_settings_changed();
CREATE TRIGGER analytics_settings_changed_update AFTER UPDATE ON analytics_settings
    FOR EACH ROW WHEN ((OLD.service_level_s, OLD.short_abandon_s, OLD.repeat_window_hours)
                       IS DISTINCT FROM
                       (NEW.service_level_s, NEW.short_abandon_s, NEW.repeat_window_hours))
    EXECUTE FUNCTION analytics_settings_changed();

-- ---- the new call fields reach devices ----

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
                           'recording_seconds', r.recording_seconds,
                           'answered_location_id', r.answered_location_id,
                           'wrap_up_ms', r.wrap_up_ms,
                           'repeated_at', sync_ms(r.repeated_at)),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;

-- ---- the history that existed before ----

UPDATE calls c SET answered_location_id = coalesce(
        (SELECT d.location_id FROM call_decisions d
          WHERE d.call_id = c.id AND d.user_id = c.handled_by AND d.action = 'offer'
          ORDER BY d.id DESC LIMIT 1),
        (SELECT u.home_location_id FROM users u WHERE u.id = c.handled_by), c.location_id)
 WHERE c.handled_by IS NOT NULL AND c.answered_location_id IS NULL;
UPDATE calls c SET repeated_at = r.next
  FROM (SELECT c2.id, (SELECT min(n.started_at) FROM calls n
                        WHERE n.organisation_id = c2.organisation_id
                          AND n.from_number = c2.from_number AND n.direction = 'inbound'
                          AND n.id <> c2.id AND n.started_at > c2.started_at
                          AND n.started_at <= c2.started_at + interval '30 days') AS next
          FROM calls c2
         WHERE c2.direction = 'inbound' AND analytics_known_caller(c2.from_number)) r
 WHERE c.id = r.id AND r.next IS NOT NULL;
SELECT analytics_rebuild(id) FROM organisations;
SELECT sync_sequence(id) FROM organisations;
-- People staffed right now count from now on.
UPDATE presence SET staffed_since = now() WHERE analytics_is_staffed(presence);
