-- Sync (docs/sync-protocol.md). Every change to a synced row lands in sync_log, whoever makes it:
-- the server's sync path, the admin API, the telephony webhooks or an administrator's SQL.
-- Capture happens here, in triggers, so nothing reaches PostgreSQL around it.
--
-- sync_log keeps one entry per row: its newest state or its tombstone. A writer leaves the entry
-- without a version; the sequencer (sync_sequence, run by the server nodes as soon as they hear
-- of a change, and once a second) gives committed entries versions, one organisation at a time,
-- under that organisation's lock. Versions therefore appear in the order readers can see them: a
-- reader that sees version v of an organisation sees every earlier one. Writers never wait for
-- each other beyond the rows they both touch, so imports, webhooks and devices do not queue
-- behind one lock.

CREATE SEQUENCE sync_version_seq AS bigint;

CREATE TABLE sync_log (
    organisation_id uuid NOT NULL,
    entity          text NOT NULL,
    row_key         text NOT NULL,
    version         bigint,          -- NULL until the sequencer numbers it
    deleted         boolean NOT NULL DEFAULT false,
    location_ids    uuid[],          -- NULL: the whole organisation sees it; else these stores
    customer_id     uuid,            -- rows whose audience follows a customer's stores
    data            jsonb,           -- the synced fields; NULL for a tombstone
    hlc             text NOT NULL DEFAULT '',
    mutation_id     uuid,            -- the device mutation that wrote this version, if one did
    changed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, entity, row_key)
);
CREATE UNIQUE INDEX sync_log_version_idx ON sync_log (organisation_id, version);
CREATE INDEX sync_log_unsequenced_idx ON sync_log (organisation_id) WHERE version IS NULL;
CREATE INDEX sync_log_customer_idx ON sync_log (organisation_id, customer_id)
    WHERE customer_id IS NOT NULL;
CREATE INDEX sync_log_key_idx ON sync_log (entity, row_key);

-- Tombstones at or below purged_before have been removed: a device whose cursor is older
-- downloads its scopes again (keeping its unsent writes).
CREATE TABLE sync_horizons (
    organisation_id uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    purged_before   bigint NOT NULL DEFAULT 0
);

-- Every device mutation the server decided on, so a replay gets the same answer and is applied
-- at most once. Kept longer than any device may stay offline.
CREATE TABLE sync_mutations (
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    mutation_id     uuid NOT NULL,
    user_id         uuid NOT NULL,
    device_id       text NOT NULL CHECK (length(device_id) BETWEEN 1 AND 64),
    content_hash    bytea NOT NULL,
    status          text NOT NULL CHECK (status IN ('applied', 'rejected')),
    version         bigint,
    reason          text,
    overridden      text[] NOT NULL DEFAULT '{}',
    decided_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, mutation_id)
);

-- The stores that have seen a customer (a call, note, task or appointment there): their devices
-- hold the customer, the customer's phones and the customer's history from every store.
CREATE TABLE customer_locations (
    customer_id     uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    location_id     uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, location_id)
);
CREATE INDEX customer_locations_location_idx ON customer_locations (location_id);

-- Per-field stamps (hybrid logical clocks) and the last device mutation, on the tables devices
-- write. A field without a stamp was last written outside the sync path before this migration.
ALTER TABLE customers       ADD COLUMN sync_hlc jsonb NOT NULL DEFAULT '{}', ADD COLUMN sync_mutation uuid;
ALTER TABLE customer_phones ADD COLUMN sync_hlc jsonb NOT NULL DEFAULT '{}', ADD COLUMN sync_mutation uuid;
ALTER TABLE calls           ADD COLUMN sync_hlc jsonb NOT NULL DEFAULT '{}', ADD COLUMN sync_mutation uuid;
ALTER TABLE call_notes      ADD COLUMN sync_hlc jsonb NOT NULL DEFAULT '{}', ADD COLUMN sync_mutation uuid;
ALTER TABLE tasks           ADD COLUMN sync_hlc jsonb NOT NULL DEFAULT '{}', ADD COLUMN sync_mutation uuid;
ALTER TABLE appointments    ADD COLUMN sync_hlc jsonb NOT NULL DEFAULT '{}', ADD COLUMN sync_mutation uuid;

CREATE FUNCTION sync_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT floor(extract(epoch FROM t) * 1000)::bigint
$$;

-- Numbers the organisation's committed, unnumbered entries and announces them. Runs in its own
-- transaction; two runs for one organisation take turns. Entries a writer still holds are
-- skipped: they are numbered after that writer commits (its NOTIFY brings the next run).
CREATE FUNCTION sync_sequence(org uuid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    numbered bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(1937337955, hashtext(org::text));
    WITH pending AS (
        SELECT entity, row_key FROM sync_log
         WHERE organisation_id = org AND version IS NULL
         ORDER BY changed_at
           FOR UPDATE SKIP LOCKED
    )
    UPDATE sync_log l SET version = nextval('sync_version_seq')
      FROM pending p
     WHERE l.organisation_id = org AND l.entity = p.entity AND l.row_key = p.row_key;
    GET DIAGNOSTICS numbered = ROW_COUNT;
    IF numbered > 0 THEN
        PERFORM pg_notify('cc_sync_sequenced', org::text);
    END IF;
    RETURN numbered;
END
$$;

CREATE FUNCTION sync_row_hlc(stamps jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(max(value), '') FROM jsonb_each_text(stamps)
$$;

-- Records a row's new state (or tombstone), unnumbered, and announces the organisation on cc_sync
-- (delivered when the writer commits) so a server node runs the sequencer.
CREATE FUNCTION sync_record(org uuid, p_entity text, p_key text, p_deleted boolean,
                            p_locations uuid[], p_customer uuid, p_data jsonb, p_hlc text,
                            p_mutation uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF org IS NULL THEN
        RETURN; -- the organisation itself is being deleted
    END IF;
    IF p_deleted THEN
        -- The row's last writer did not delete it: the sync path names the deleting mutation.
        p_mutation := nullif(current_setting('cc.sync_mutation', true), '')::uuid;
    END IF;
    INSERT INTO sync_log AS l (organisation_id, entity, row_key, version, deleted, location_ids,
                               customer_id, data, hlc, mutation_id, changed_at)
    VALUES (org, p_entity, p_key, NULL, p_deleted, p_locations, p_customer,
            CASE WHEN p_deleted THEN NULL ELSE p_data END, coalesce(p_hlc, ''), p_mutation, now())
    ON CONFLICT (organisation_id, entity, row_key) DO UPDATE
       SET version = NULL,
           deleted = EXCLUDED.deleted,
           -- a tombstone goes to everyone who held the row
           location_ids = CASE WHEN EXCLUDED.deleted THEN l.location_ids ELSE EXCLUDED.location_ids END,
           customer_id = EXCLUDED.customer_id,
           data = EXCLUDED.data,
           hlc = EXCLUDED.hlc,
           mutation_id = EXCLUDED.mutation_id,
           changed_at = EXCLUDED.changed_at;
    PERFORM pg_notify('cc_sync', org::text);
END
$$;

-- The organisation of a row whose parent may already be gone (cascading deletes).
CREATE FUNCTION sync_org_of(p_entity text, p_key text) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT organisation_id FROM sync_log WHERE entity = p_entity AND row_key = p_key LIMIT 1
$$;

-- The stores that see a customer's rows: those that have seen the customer.
CREATE FUNCTION sync_customer_locations(customer uuid) RETURNS uuid[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(location_id ORDER BY location_id), '{}')
      FROM customer_locations WHERE customer_id = customer
$$;

-- A store-bound row is seen by its own store and by every store that has seen its customer.
CREATE FUNCTION sync_store_audience(store uuid, customer uuid) RETURNS uuid[] LANGUAGE sql STABLE AS $$
    SELECT ARRAY[store] || coalesce(array_agg(location_id ORDER BY location_id), '{}')
      FROM customer_locations WHERE customer_id = customer AND location_id <> store
$$;

-- A write that did not come through the sync path (admin API, telephony, SQL) stamps the fields
-- it changed with the database's clock, so per-field last-writer-wins stays truthful.
CREATE FUNCTION sync_stamp_external() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stamp text;
    n jsonb;
    o jsonb;
    k text;
BEGIN
    IF NEW.sync_hlc IS DISTINCT FROM OLD.sync_hlc THEN
        RETURN NEW; -- the sync path stamped it
    END IF;
    NEW.sync_mutation := NULL;
    stamp := lpad(sync_ms(clock_timestamp())::text, 13, '0') || '-000000-db';
    n := to_jsonb(NEW);
    o := to_jsonb(OLD);
    FOR k IN SELECT key FROM jsonb_each(n) WHERE key NOT IN ('sync_hlc', 'sync_mutation') LOOP
        IF n -> k IS DISTINCT FROM o -> k THEN
            NEW.sync_hlc := jsonb_set(NEW.sync_hlc, ARRAY[k], to_jsonb(stamp));
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
CREATE TRIGGER sync_stamp_external BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION sync_stamp_external();
CREATE TRIGGER sync_stamp_external BEFORE UPDATE ON customer_phones FOR EACH ROW EXECUTE FUNCTION sync_stamp_external();
CREATE TRIGGER sync_stamp_external BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION sync_stamp_external();
CREATE TRIGGER sync_stamp_external BEFORE UPDATE ON call_notes FOR EACH ROW EXECUTE FUNCTION sync_stamp_external();
CREATE TRIGGER sync_stamp_external BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION sync_stamp_external();
CREATE TRIGGER sync_stamp_external BEFORE UPDATE ON appointments FOR EACH ROW EXECUTE FUNCTION sync_stamp_external();

-- A store seeing a customer for the first time: its devices get the customer and everything that
-- follows the customer.
CREATE FUNCTION sync_customer_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sync_log
       SET location_ids = location_ids || NEW.location_id,
           version = NULL,
           changed_at = now()
     WHERE organisation_id = NEW.organisation_id
       AND customer_id = NEW.customer_id
       AND NOT deleted
       AND location_ids IS NOT NULL
       AND NOT (NEW.location_id = ANY (location_ids));
    IF FOUND THEN
        PERFORM pg_notify('cc_sync', NEW.organisation_id::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_customer_seen AFTER INSERT ON customer_locations
    FOR EACH ROW EXECUTE FUNCTION sync_customer_seen();

CREATE FUNCTION sync_link_customer(org uuid, customer uuid, store uuid) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO customer_locations (customer_id, location_id, organisation_id)
    SELECT customer, store, org WHERE customer IS NOT NULL
    ON CONFLICT DO NOTHING
$$;

-- ---- capture, one trigger function per synced table: the fields devices get, nothing else ----

CREATE FUNCTION sync_capture_organisations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r organisations := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RETURN NULL; -- everything of the organisation goes with it
    END IF;
    PERFORM sync_record(r.id, 'organisations', r.id::text, false, NULL, NULL,
        jsonb_build_object('id', r.id, 'name', r.name, 'default_country_code', r.default_country_code),
        '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON organisations
    FOR EACH ROW EXECUTE FUNCTION sync_capture_organisations();

CREATE FUNCTION sync_capture_regions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r regions := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM sync_record(r.organisation_id, 'regions', r.id::text, TG_OP = 'DELETE', NULL, NULL,
        jsonb_build_object('id', r.id, 'name', r.name), '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON regions
    FOR EACH ROW EXECUTE FUNCTION sync_capture_regions();

CREATE FUNCTION sync_capture_locations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r locations := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM sync_record(r.organisation_id, 'locations', r.id::text, TG_OP = 'DELETE', NULL, NULL,
        jsonb_build_object('id', r.id, 'region_id', r.region_id, 'code', r.code, 'name', r.name,
                           'timezone', r.timezone, 'main_phone', r.main_phone,
                           'address', r.address, 'latitude', r.latitude,
                           'longitude', r.longitude), '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION sync_capture_locations();

CREATE FUNCTION sync_capture_location_hours() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r location_hours := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    k text := r.location_id::text || '/' || r.weekday::text;
BEGIN
    PERFORM sync_record(
        coalesce((SELECT organisation_id FROM locations WHERE id = r.location_id),
                 sync_org_of('location_hours', k)),
        'location_hours', k, TG_OP = 'DELETE', NULL, NULL,
        jsonb_build_object('location_id', r.location_id, 'weekday', r.weekday,
                           'opens_at', to_char(r.opens_at, 'HH24:MI'),
                           'closes_at', to_char(r.closes_at, 'HH24:MI')), '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON location_hours
    FOR EACH ROW EXECUTE FUNCTION sync_capture_location_hours();

CREATE FUNCTION sync_capture_location_holidays() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r location_holidays := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    k text := r.location_id::text || '/' || to_char(r.day, 'YYYY-MM-DD');
BEGIN
    PERFORM sync_record(
        coalesce((SELECT organisation_id FROM locations WHERE id = r.location_id),
                 sync_org_of('location_holidays', k)),
        'location_holidays', k, TG_OP = 'DELETE', NULL, NULL,
        jsonb_build_object('location_id', r.location_id, 'day', to_char(r.day, 'YYYY-MM-DD'),
                           'name', r.name), '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON location_holidays
    FOR EACH ROW EXECUTE FUNCTION sync_capture_location_holidays();

CREATE FUNCTION sync_capture_phone_numbers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r phone_numbers := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM sync_record(r.organisation_id, 'phone_numbers', r.number, TG_OP = 'DELETE', NULL, NULL,
        jsonb_build_object('number', r.number, 'location_id', r.location_id, 'label', r.label),
        '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON phone_numbers
    FOR EACH ROW EXECUTE FUNCTION sync_capture_phone_numbers();

-- The staff directory: never the password hash, lockout counters or anything else of sign-in.
CREATE FUNCTION sync_capture_users() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r users := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM sync_record(r.organisation_id, 'users', r.id::text, TG_OP = 'DELETE', NULL, NULL,
        jsonb_build_object('id', r.id, 'email', r.email, 'display_name', r.display_name,
                           'role', r.role, 'home_location_id', r.home_location_id,
                           'skills', array_to_json(r.skills)::text, 'active', r.active), '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture
    AFTER INSERT OR DELETE OR UPDATE OF email, display_name, role, home_location_id, skills, active
    ON users FOR EACH ROW EXECUTE FUNCTION sync_capture_users();

CREATE FUNCTION sync_capture_user_locations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r user_locations := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    k text := r.user_id::text || '/' || r.location_id::text;
BEGIN
    PERFORM sync_record(
        coalesce((SELECT organisation_id FROM users WHERE id = r.user_id),
                 sync_org_of('user_locations', k)),
        'user_locations', k, TG_OP = 'DELETE', NULL, NULL,
        jsonb_build_object('user_id', r.user_id, 'location_id', r.location_id), '', NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON user_locations
    FOR EACH ROW EXECUTE FUNCTION sync_capture_user_locations();

CREATE FUNCTION sync_capture_customers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r customers := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM sync_record(r.organisation_id, 'customers', r.id::text, TG_OP = 'DELETE',
        sync_customer_locations(r.id), r.id,
        jsonb_build_object('id', r.id, 'display_name', r.display_name, 'email', r.email,
                           'marketing_consent', r.marketing_consent,
                           'sms_consent', r.sms_consent, 'created_at', sync_ms(r.created_at)),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON customers
    FOR EACH ROW EXECUTE FUNCTION sync_capture_customers();

CREATE FUNCTION sync_capture_customer_phones() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r customer_phones := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    PERFORM sync_record(r.organisation_id, 'customer_phones',
        r.customer_id::text || '/' || r.number, TG_OP = 'DELETE',
        sync_customer_locations(r.customer_id), r.customer_id,
        jsonb_build_object('customer_id', r.customer_id, 'number', r.number, 'label', r.label),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON customer_phones
    FOR EACH ROW EXECUTE FUNCTION sync_capture_customer_phones();

CREATE FUNCTION sync_capture_calls() RETURNS trigger LANGUAGE plpgsql AS $$
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
                           'handled_by', r.handled_by, 'disposition', r.disposition),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON calls
    FOR EACH ROW EXECUTE FUNCTION sync_capture_calls();

CREATE FUNCTION sync_capture_call_notes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r call_notes := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    customer uuid := coalesce(r.customer_id, (SELECT customer_id FROM calls WHERE id = r.call_id));
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM sync_link_customer(r.organisation_id, customer, r.location_id);
    END IF;
    PERFORM sync_record(r.organisation_id, 'call_notes', r.id::text, TG_OP = 'DELETE',
        sync_store_audience(r.location_id, customer), customer,
        jsonb_build_object('id', r.id, 'customer_id', r.customer_id, 'call_id', r.call_id,
                           'location_id', r.location_id, 'author_id', r.author_id,
                           'body', r.body, 'created_at', sync_ms(r.created_at)),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON call_notes
    FOR EACH ROW EXECUTE FUNCTION sync_capture_call_notes();

CREATE FUNCTION sync_capture_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
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
                           'completed_at', sync_ms(r.completed_at)),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION sync_capture_tasks();

CREATE FUNCTION sync_capture_appointments() RETURNS trigger LANGUAGE plpgsql AS $$
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
                           'created_at', sync_ms(r.created_at)),
        sync_row_hlc(r.sync_hlc), r.sync_mutation);
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION sync_capture_appointments();

-- Rows that existed before this migration (demo data, imports) enter the log once, in a stable
-- order, so devices download them like any other change.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organisations', 'regions', 'locations', 'location_hours',
                             'location_holidays', 'phone_numbers', 'users', 'user_locations']
    LOOP
        EXECUTE format('UPDATE %I SET %s', t,
            CASE t WHEN 'location_hours' THEN 'weekday = weekday'
                   WHEN 'location_holidays' THEN 'day = day'
                   WHEN 'user_locations' THEN 'location_id = location_id'
                   WHEN 'phone_numbers' THEN 'label = label'
                   WHEN 'users' THEN 'active = active'
                   ELSE 'name = name' END);
    END LOOP;
END
$$;
INSERT INTO customer_locations (customer_id, location_id, organisation_id)
SELECT DISTINCT customer_id, location_id, organisation_id FROM (
    SELECT customer_id, location_id, organisation_id FROM calls WHERE customer_id IS NOT NULL
    UNION SELECT customer_id, location_id, organisation_id FROM tasks WHERE customer_id IS NOT NULL
    UNION SELECT customer_id, location_id, organisation_id FROM appointments WHERE customer_id IS NOT NULL
    UNION SELECT customer_id, location_id, organisation_id FROM call_notes WHERE customer_id IS NOT NULL
) seen ON CONFLICT DO NOTHING;
UPDATE customers SET sync_mutation = NULL;
UPDATE customer_phones SET sync_mutation = NULL;
UPDATE calls SET sync_mutation = NULL;
UPDATE call_notes SET sync_mutation = NULL;
UPDATE tasks SET sync_mutation = NULL;
UPDATE appointments SET sync_mutation = NULL;
-- Number what the backfill captured.
SELECT sync_sequence(id) FROM organisations;
