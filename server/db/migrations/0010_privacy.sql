-- Personal data: the erasure of a customer, and the keys of the devices' offline caches.
--
-- GDPR erasure (docs/security.md, "Personal data"). Erasing a customer keeps the rows that call
-- statistics count (calls, tasks, appointments) and removes or blanks everything personal in them
-- and around them, in one transaction (server/privacy/customer_data.cpp). The changes travel to
-- every device like any other server change. This table remembers who was erased, so nothing
-- personal can be written about them again: a device that was offline during the erasure and
-- still holds an edit of the customer has it refused (and rolled back) when it pushes.
CREATE TABLE customer_erasures (
    customer_id     uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    erased_at       timestamptz NOT NULL DEFAULT now(),
    erased_by       uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX customer_erasures_org_idx ON customer_erasures (organisation_id, erased_at);

CREATE FUNCTION customer_is_erased(customer uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT customer IS NOT NULL
           AND EXISTS (SELECT 1 FROM customer_erasures e WHERE e.customer_id = customer)
$$;

-- Refuses every write that would attach personal data to an erased customer again, whoever
-- makes it (a device's push, a webhook, an admin's SQL). What carries no personal data still
-- changes: a task's status, an appointment's time or status, a call's progress. The erasure
-- itself runs with callcommander.erasing set for its transaction.
--
-- An erasure running at the same moment holds the customer's row: the guard waits for it (a key
-- share lock, as the foreign key would take later) and only then looks, so a write that started
-- before the erasure committed cannot slip in after it.
CREATE FUNCTION customer_erasure_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inserting boolean := TG_OP = 'INSERT';
    customer uuid;
    callCustomer uuid; -- a note naming a customer and a call: the call's customer as well
BEGIN
    IF coalesce(current_setting('callcommander.erasing', true), '') = 'on' THEN
        RETURN NEW;
    END IF;
    -- Which customer the write says something personal about, if any (changed columns first:
    -- most updates touch none and cost nothing more).
    IF TG_TABLE_NAME = 'customers' THEN
        IF inserting OR NEW.display_name IS DISTINCT FROM OLD.display_name
           OR NEW.email IS DISTINCT FROM OLD.email
           OR NEW.marketing_consent IS DISTINCT FROM OLD.marketing_consent
           OR NEW.sms_consent IS DISTINCT FROM OLD.sms_consent THEN
            customer := NEW.id;
        END IF;
    ELSIF TG_TABLE_NAME = 'customer_phones' THEN
        customer := NEW.customer_id;
    ELSIF TG_TABLE_NAME = 'call_notes' THEN
        callCustomer := (SELECT c.customer_id FROM calls c WHERE c.id = NEW.call_id);
        customer := coalesce(NEW.customer_id, callCustomer);
    ELSIF TG_TABLE_NAME = 'tasks' THEN
        IF inserting OR NEW.title IS DISTINCT FROM OLD.title
           OR NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN
            customer := NEW.customer_id;
        END IF;
    ELSIF TG_TABLE_NAME = 'appointments' THEN
        IF inserting OR NEW.purpose IS DISTINCT FROM OLD.purpose
           OR NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN
            customer := NEW.customer_id;
        END IF;
    ELSIF TG_TABLE_NAME = 'calls' THEN
        IF inserting OR NEW.customer_id IS DISTINCT FROM OLD.customer_id
           OR NEW.from_number IS DISTINCT FROM OLD.from_number
           OR NEW.to_number IS DISTINCT FROM OLD.to_number
           OR NEW.recording_url IS DISTINCT FROM OLD.recording_url
           OR NEW.disposition IS DISTINCT FROM OLD.disposition THEN
            customer := NEW.customer_id;
        END IF;
    END IF;
    IF customer IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM customers WHERE id IN (customer, callCustomer) FOR KEY SHARE;
    -- A plain read of a statement of its own: it sees an erasure that committed while we waited.
    IF EXISTS (SELECT 1 FROM customer_erasures e WHERE e.customer_id IN (customer, callCustomer))
    THEN
        RAISE EXCEPTION 'the customer was erased: nothing personal can be written about them again'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'customer_erased';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER customer_erasure_guard BEFORE INSERT OR UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION customer_erasure_guard();
CREATE TRIGGER customer_erasure_guard BEFORE INSERT OR UPDATE ON customer_phones
    FOR EACH ROW EXECUTE FUNCTION customer_erasure_guard();
CREATE TRIGGER customer_erasure_guard BEFORE INSERT OR UPDATE ON call_notes
    FOR EACH ROW EXECUTE FUNCTION customer_erasure_guard();
CREATE TRIGGER customer_erasure_guard BEFORE INSERT OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION customer_erasure_guard();
CREATE TRIGGER customer_erasure_guard BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION customer_erasure_guard();
CREATE TRIGGER customer_erasure_guard BEFORE INSERT OR UPDATE OF customer_id, from_number,
    to_number, recording_url, disposition ON calls
    FOR EACH ROW EXECUTE FUNCTION customer_erasure_guard();

-- The key of each person's offline cache on each device (docs/security.md, "The cache at rest"):
-- handed to the app after every sign-in with the password, so a cache stays readable through a
-- password change, and a stolen tablet's cache needs the person's credentials (online, this key;
-- offline, the device's own vault sealed with their password).
CREATE TABLE device_cache_keys (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id       text NOT NULL CHECK (length(device_id) BETWEEN 1 AND 64),
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    cache_key       bytea NOT NULL CHECK (length(cache_key) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, device_id)
);

-- An admin answering a person's request finds them by e-mail address or the start of their name
-- (by phone number through customer_phones_lookup_idx).
CREATE INDEX customers_org_email_idx ON customers (organisation_id, lower(email))
    WHERE email IS NOT NULL;
CREATE INDEX customers_org_name_idx ON customers (organisation_id, lower(display_name) text_pattern_ops);
