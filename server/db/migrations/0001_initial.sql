-- Call Commander schema, version 1: the organisation, its stores and people, its customers and
-- their calls, notes, tasks and appointments. Later migrations add; they never edit this file
-- (the server refuses to start when an applied migration's checksum changes).

CREATE DOMAIN e164 AS text CHECK (VALUE ~ '^\+[1-9][0-9]{6,14}$');

CREATE TABLE organisations (
    id                   uuid PRIMARY KEY,
    slug                 text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    default_country_code text NOT NULL DEFAULT '1' CHECK (default_country_code ~ '^[1-9][0-9]{0,2}$'),
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE regions (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    UNIQUE (organisation_id, name)
);

-- Stores. `timezone` is an IANA name; opening hours are local wall-clock times in it.
CREATE TABLE locations (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    region_id       uuid REFERENCES regions (id) ON DELETE SET NULL,
    code            text NOT NULL CHECK (code ~ '^[A-Za-z0-9-]{1,32}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    timezone        text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    main_phone      e164 NOT NULL,
    address         text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    latitude        double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision CHECK (longitude BETWEEN -180 AND 180),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, code)
);
CREATE INDEX locations_region_idx ON locations (region_id);

-- Regular opening hours, ISO weekday 1 = Monday .. 7 = Sunday. No row: closed that day.
CREATE TABLE location_hours (
    location_id uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_at    time NOT NULL,
    closes_at   time NOT NULL CHECK (closes_at > opens_at),
    PRIMARY KEY (location_id, weekday)
);

CREATE TABLE location_holidays (
    location_id uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    day         date NOT NULL,
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    PRIMARY KEY (location_id, day)
);

-- The numbers callers dial; each rings one store.
CREATE TABLE phone_numbers (
    number          e164 PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    location_id     uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    label           text NOT NULL DEFAULT '' CHECK (length(label) <= 100)
);
CREATE INDEX phone_numbers_location_idx ON phone_numbers (location_id);

CREATE TABLE users (
    id               uuid PRIMARY KEY,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email            text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
    display_name     text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role             text NOT NULL CHECK (role IN ('admin', 'executive', 'manager', 'staff')),
    home_location_id uuid REFERENCES locations (id) ON DELETE SET NULL,
    skills           text[] NOT NULL DEFAULT '{}',
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_org_email_idx ON users (organisation_id, lower(email));

-- The stores a manager or staff member works in (their home store included).
CREATE TABLE user_locations (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    location_id uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, location_id)
);
CREATE INDEX user_locations_location_idx ON user_locations (location_id);

CREATE TABLE customers (
    id                uuid PRIMARY KEY,
    organisation_id   uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    display_name      text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    email             text CHECK (email IS NULL OR (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254)),
    marketing_consent boolean NOT NULL DEFAULT false,
    sms_consent       boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_org_idx ON customers (organisation_id);

CREATE TABLE customer_phones (
    customer_id     uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    number          e164 NOT NULL,
    label           text NOT NULL DEFAULT 'mobile' CHECK (length(label) <= 50),
    PRIMARY KEY (customer_id, number)
);
-- Caller-id lookup: which customer of this organisation is calling.
CREATE INDEX customer_phones_lookup_idx ON customer_phones (organisation_id, number);

CREATE TABLE calls (
    id               uuid PRIMARY KEY,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    location_id      uuid NOT NULL REFERENCES locations (id),
    customer_id      uuid REFERENCES customers (id) ON DELETE SET NULL,
    provider_call_id text UNIQUE CHECK (provider_call_id IS NULL OR length(provider_call_id) <= 64),
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_number      text NOT NULL CHECK (length(from_number) <= 32),
    to_number        text NOT NULL CHECK (length(to_number) <= 32),
    started_at       timestamptz NOT NULL,
    answered_at      timestamptz CHECK (answered_at IS NULL OR answered_at >= started_at),
    ended_at         timestamptz CHECK (ended_at IS NULL OR ended_at >= started_at),
    status           text NOT NULL CHECK (status IN ('ringing', 'in_progress', 'completed',
                                                      'abandoned', 'missed', 'voicemail')),
    handled_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    disposition      text CHECK (disposition IS NULL OR length(disposition) <= 64)
);
CREATE INDEX calls_location_started_idx ON calls (location_id, started_at DESC);
CREATE INDEX calls_customer_started_idx ON calls (customer_id, started_at DESC);
CREATE INDEX calls_org_started_idx ON calls (organisation_id, started_at DESC);

-- Notes are append-only: corrections are new notes.
CREATE TABLE call_notes (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    customer_id     uuid REFERENCES customers (id) ON DELETE CASCADE,
    call_id         uuid REFERENCES calls (id) ON DELETE CASCADE,
    location_id     uuid NOT NULL REFERENCES locations (id),
    author_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (customer_id IS NOT NULL OR call_id IS NOT NULL)
);
CREATE INDEX call_notes_customer_idx ON call_notes (customer_id, created_at DESC);
CREATE INDEX call_notes_call_idx ON call_notes (call_id);

-- Callbacks and follow-ups.
CREATE TABLE tasks (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    location_id     uuid NOT NULL REFERENCES locations (id),
    customer_id     uuid REFERENCES customers (id) ON DELETE SET NULL,
    call_id         uuid REFERENCES calls (id) ON DELETE SET NULL,
    kind            text NOT NULL CHECK (kind IN ('callback', 'follow_up')),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    due_at          timestamptz NOT NULL,
    assigned_to     uuid REFERENCES users (id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz
);
CREATE INDEX tasks_location_open_idx ON tasks (location_id, due_at) WHERE status = 'open';

CREATE TABLE appointments (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    location_id     uuid NOT NULL REFERENCES locations (id),
    customer_id     uuid REFERENCES customers (id) ON DELETE SET NULL,
    staff_id        uuid REFERENCES users (id) ON DELETE SET NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL CHECK (ends_at > starts_at),
    purpose         text NOT NULL DEFAULT '' CHECK (length(purpose) <= 200),
    status          text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'done', 'no_show')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointments_location_starts_idx ON appointments (location_id, starts_at);
