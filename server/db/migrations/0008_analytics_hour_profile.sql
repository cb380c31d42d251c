-- Reports by hour of day and by weekday and hour (docs/analytics.md) over long periods: a year of
-- 500 stores is over four million store-hours in call_stats_hourly. This rollup folds each store's
-- month into its 168 weekday-hours, so a report reads whole months here (about a ninth of the
-- rows) and only the partial months at either end from call_stats_hourly.
--
-- Kept exact by the same two functions as the other rollups: analytics_add (every change of a
-- call or callback task) and analytics_rebuild (new thresholds, a store's new time zone). Both
-- are wrapped below, so the triggers of 0007, which call them by name, keep this table in step.

-- Nodes still running during a rolling upgrade count calls and tasks through the old functions:
-- they wait here until this migration commits, so none lands in the hourly rollup only.
LOCK TABLE calls, tasks IN SHARE ROW EXCLUSIVE MODE;

-- The counters as in call_stats_hourly; the store-hour becomes the store's month, weekday, hour.
CREATE TABLE call_stats_hour_profile (LIKE call_stats_hourly INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE call_stats_hour_profile DROP COLUMN local_hour,
    ADD COLUMN local_month date NOT NULL CHECK (local_month = date_trunc('month', local_month)),
    ADD COLUMN isodow smallint NOT NULL CHECK (isodow BETWEEN 1 AND 7),
    ADD COLUMN hour_of_day smallint NOT NULL CHECK (hour_of_day BETWEEN 0 AND 23),
    ADD PRIMARY KEY (location_id, local_month, isodow, hour_of_day),
    ADD FOREIGN KEY (location_id) REFERENCES locations (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (organisation_id) REFERENCES organisations (id) ON DELETE CASCADE;
CREATE INDEX call_stats_hour_profile_org_idx
    ON call_stats_hour_profile (organisation_id, local_month);

-- Folds an organisation's store-hours into the profile (all of them, the profile being empty).
CREATE FUNCTION analytics_fill_hour_profile(org uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO call_stats_hour_profile (location_id, local_month, isodow, hour_of_day,
        organisation_id,
        offered, answered, answered_in_sl, abandoned, short_abandoned, missed, callbacks,
        self_served, outbound, wait_answered_ms, handled, talk_ms, wrap_ms, fcr_resolved,
        answered_elsewhere, callbacks_due, callbacks_in_target)
    SELECT location_id, date_trunc('month', local_hour)::date,
           extract(isodow FROM local_hour)::smallint, extract(hour FROM local_hour)::smallint, org,
           sum(offered), sum(answered), sum(answered_in_sl), sum(abandoned), sum(short_abandoned),
           sum(missed), sum(callbacks), sum(self_served), sum(outbound), sum(wait_answered_ms),
           sum(handled), sum(talk_ms), sum(wrap_ms), sum(fcr_resolved), sum(answered_elsewhere),
           sum(callbacks_due), sum(callbacks_in_target)
      FROM call_stats_hourly WHERE organisation_id = org
     GROUP BY 1, 2, 3, 4
$$;

ALTER FUNCTION analytics_add(uuid, uuid, uuid, timestamp, bigint[])
    RENAME TO analytics_add_hourly_daily;

CREATE FUNCTION analytics_add(org uuid, store uuid, person uuid, hour timestamp, a bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF a = array_fill(0::bigint, ARRAY[17]) THEN
        RETURN;
    END IF;
    PERFORM analytics_add_hourly_daily(org, store, person, hour, a);
    INSERT INTO call_stats_hour_profile AS r (location_id, local_month, isodow, hour_of_day,
        organisation_id, offered, answered, answered_in_sl, abandoned, short_abandoned, missed,
        callbacks, self_served, outbound, wait_answered_ms, handled, talk_ms, wrap_ms,
        fcr_resolved, answered_elsewhere, callbacks_due, callbacks_in_target)
    VALUES (store, date_trunc('month', hour)::date, extract(isodow FROM hour)::smallint,
            extract(hour FROM hour)::smallint, org, a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
            a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17])
    ON CONFLICT (location_id, local_month, isodow, hour_of_day) DO UPDATE SET
        offered = r.offered + a[1], answered = r.answered + a[2],
        answered_in_sl = r.answered_in_sl + a[3], abandoned = r.abandoned + a[4],
        short_abandoned = r.short_abandoned + a[5], missed = r.missed + a[6],
        callbacks = r.callbacks + a[7], self_served = r.self_served + a[8],
        outbound = r.outbound + a[9], wait_answered_ms = r.wait_answered_ms + a[10],
        handled = r.handled + a[11], talk_ms = r.talk_ms + a[12], wrap_ms = r.wrap_ms + a[13],
        fcr_resolved = r.fcr_resolved + a[14], answered_elsewhere = r.answered_elsewhere + a[15],
        callbacks_due = r.callbacks_due + a[16], callbacks_in_target = r.callbacks_in_target +
            a[17];
END
$$;

ALTER FUNCTION analytics_rebuild(uuid) RENAME TO analytics_rebuild_hourly_daily;

CREATE FUNCTION analytics_rebuild(org uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Takes the organisation's lock alone first; the profile is counted under it too.
    PERFORM analytics_rebuild_hourly_daily(org);
    DELETE FROM call_stats_hour_profile WHERE organisation_id = org;
    PERFORM analytics_fill_hour_profile(org);
END
$$;

-- The history counted before this migration.
SELECT analytics_fill_hour_profile(id) FROM organisations;
