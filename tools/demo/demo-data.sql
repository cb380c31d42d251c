-- Call Commander demo data: "Northwind Outfitters", a US outdoor and apparel chain with 12 stores.
--
--   psql -v ON_ERROR_STOP=1 -f tools/demo/demo-data.sql      (after the schema migrations)
--
-- Idempotent: one transaction that first removes the `northwind` organisation and everything in it,
-- then inserts it afresh. Every choice (who calls, when, for how long, what happened, who answered)
-- comes from md5 hashes of stable keys, never random(), so two loads on the same day are identical.
-- Only the dates move: call history, tasks and appointments are placed relative to today in each
-- store's own timezone, so the demo always looks alive. IDs are md5('northwind/<key>')::uuid.
-- Phone numbers use the 555-0100..0199 block reserved for fiction:
--   0100/0101 store lines, 0110..0159 customers, 0160..0199 unknown callers.

BEGIN;

-- Helpers live in pg_temp: they vanish with the session and touch no schema.
-- rnd(key, n): a deterministic pseudo-random integer in [0, n).
CREATE OR REPLACE FUNCTION pg_temp.rnd(key text, n integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT ('x' || substr(md5(key), 1, 7))::bit(28)::integer % n $$;
CREATE OR REPLACE FUNCTION pg_temp.uid(key text) RETURNS uuid
    LANGUAGE sql IMMUTABLE AS $$ SELECT md5('northwind/' || key)::uuid $$;

-- ---------------------------------------------------------------------------------------------
-- Reset. calls, call_notes, tasks and appointments reference locations and users without ON DELETE
-- CASCADE; the organisation cascade alone does work (the NO ACTION checks run at the end of the
-- statement, when those rows are gone too), but removing them first does not rely on that.
-- ---------------------------------------------------------------------------------------------
DELETE FROM call_notes   WHERE organisation_id IN (SELECT id FROM organisations WHERE slug = 'northwind');
DELETE FROM tasks        WHERE organisation_id IN (SELECT id FROM organisations WHERE slug = 'northwind');
DELETE FROM appointments WHERE organisation_id IN (SELECT id FROM organisations WHERE slug = 'northwind');
DELETE FROM calls        WHERE organisation_id IN (SELECT id FROM organisations WHERE slug = 'northwind');
DELETE FROM organisations WHERE slug = 'northwind';

INSERT INTO organisations (id, slug, name, default_country_code, created_at)
VALUES (pg_temp.uid('org'), 'northwind', 'Northwind Outfitters', '1', now() - interval '3 years');

-- ---------------------------------------------------------------------------------------------
-- Regions and stores
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE demo_regions ON COMMIT DROP AS
SELECT r.idx, r.key, r.name, pg_temp.uid('region/' || r.key) AS id, r.area_codes
FROM (VALUES
    -- area codes of the region's customers (and of unknown callers)
    (0, 'NE', 'Northeast',  ARRAY['212','718','917','646','617','857','215','267']),
    (1, 'MW', 'Midwest',    ARRAY['312','773','872','612','651','414','314','636']),
    (2, 'WC', 'West Coast', ARRAY['415','510','206','425','503','971','323','213'])
) AS r(idx, key, name, area_codes);

INSERT INTO regions (id, organisation_id, name)
SELECT id, pg_temp.uid('org'), name FROM demo_regions;

CREATE TEMP TABLE demo_stores ON COMMIT DROP AS
SELECT s.*, r.idx AS region_idx, r.id AS region_id, r.area_codes,
       row_number() OVER (ORDER BY s.code) - 1 AS idx,
       pg_temp.uid('store/' || s.code) AS id,
       '+1' || s.area || '5550100' AS main_phone,
       CASE WHEN s.desk THEN '+1' || s.area || '5550101' END AS desk_phone,
       3 + pg_temp.rnd('staff-count/' || s.code, 3) AS n_staff,
       0 AS n_members
FROM (VALUES
    -- code, region, name, timezone, address, lat, lon, area code, Mon-Sat hours, Sunday hours
    -- (NULL: closed), has a service desk line, extra calls per day (flagships are busier)
    ('NE-01','NE','Northwind Manhattan Flagship','America/New_York','845 Broadway, New York, NY 10003',
        40.7339,-73.9911,'212','10:00','21:00','11:00','19:00',true, 2),
    ('NE-02','NE','Northwind Brooklyn Heights','America/New_York','112 Court St, Brooklyn, NY 11201',
        40.6903,-73.9925,'718','09:00','20:00','11:00','17:00',false,0),
    ('NE-03','NE','Northwind Boston Back Bay','America/New_York','360 Newbury St, Boston, MA 02115',
        42.3484,-71.0870,'617','09:00','20:00','12:00','17:00',true, 0),
    ('NE-04','NE','Northwind Philadelphia Rittenhouse','America/New_York','1625 Walnut St, Philadelphia, PA 19103',
        39.9496,-75.1687,'215','09:00','20:00',NULL,NULL,false,0),
    ('MW-01','MW','Northwind Chicago Loop','America/Chicago','55 W Madison St, Chicago, IL 60602',
        41.8819,-87.6298,'312','09:00','20:00','11:00','18:00',true, 2),
    ('MW-02','MW','Northwind Minneapolis North Loop','America/Chicago','420 N Washington Ave, Minneapolis, MN 55401',
        44.9851,-93.2745,'612','09:00','20:00','11:00','17:00',false,0),
    ('MW-03','MW','Northwind Milwaukee Third Ward','America/Chicago','233 E Chicago St, Milwaukee, WI 53202',
        43.0336,-87.9077,'414','09:00','19:00',NULL,NULL,false,0),
    ('MW-04','MW','Northwind St. Louis Central West End','America/Chicago','4 Maryland Plaza, St. Louis, MO 63108',
        38.6449,-90.2610,'314','09:00','20:00','12:00','17:00',true, 0),
    ('WC-01','WC','Northwind San Francisco Union Square','America/Los_Angeles','180 Post St, San Francisco, CA 94108',
        37.7886,-122.4051,'415','10:00','20:00','11:00','18:00',true, 2),
    ('WC-02','WC','Northwind Seattle Capitol Hill','America/Los_Angeles','1401 E Pine St, Seattle, WA 98122',
        47.6152,-122.3131,'206','09:00','20:00','10:00','18:00',false,0),
    ('WC-03','WC','Northwind Portland Pearl District','America/Los_Angeles','1120 NW Couch St, Portland, OR 97209',
        45.5236,-122.6836,'503','09:00','20:00','11:00','17:00',true, 0),
    ('WC-04','WC','Northwind Los Angeles Silver Lake','America/Los_Angeles','3827 W Sunset Blvd, Los Angeles, CA 90026',
        34.0880,-118.2706,'323','10:00','20:00',NULL,NULL,false,0)
) AS s(code, region_key, name, tz, address, lat, lon, area, wk_open, wk_close, sun_open, sun_close, desk, busy)
JOIN demo_regions r ON r.key = s.region_key;

INSERT INTO locations (id, organisation_id, region_id, code, name, timezone, main_phone, address,
                       latitude, longitude, created_at)
SELECT id, pg_temp.uid('org'), region_id, code, name, tz, main_phone, address, lat, lon,
       now() - interval '2 years' - idx * interval '37 days'
FROM demo_stores;

INSERT INTO phone_numbers (number, organisation_id, location_id, label)
SELECT main_phone, pg_temp.uid('org'), id, 'Main line' FROM demo_stores
UNION ALL
SELECT desk_phone, pg_temp.uid('org'), id, 'Service desk' FROM demo_stores WHERE desk;

INSERT INTO location_hours (location_id, weekday, opens_at, closes_at)
SELECT s.id, wd, s.wk_open::time, s.wk_close::time FROM demo_stores s, generate_series(1, 6) AS wd
UNION ALL
SELECT s.id, 7, s.sun_open::time, s.sun_close::time FROM demo_stores s WHERE s.sun_open IS NOT NULL;

INSERT INTO location_holidays (location_id, day, name)
SELECT s.id, h.day::date, h.name
FROM demo_stores s,
     (VALUES ('2026-12-25', 'Christmas Day'),
             ('2027-01-01', 'New Year''s Day')) AS h(day, name);

-- ---------------------------------------------------------------------------------------------
-- Name pool. 60 first names x 59 last names (coprime), so person n gets the pair
-- (n mod 60, 17n mod 59): unique for every n below 3540. Customers use n = 0..599, staff
-- n = 1000 + 13 * store + 157 * k (k = 0 for the manager), which keeps managers' first names apart.
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE demo_names ON COMMIT DROP AS
SELECT ARRAY['James','Maria','Wei','Aaliyah','Jose','Emily','Mohammed','Sofia','David','Keisha',
             'Hiroshi','Olivia','Carlos','Priya','Michael','Fatima','Daniel','Ana','Kevin','Nia',
             'Luis','Sarah','Minh','Isabella','Robert','Chloe','Ahmed','Grace','Juan','Hannah',
             'Tyrone','Mei','Brian','Lucia','Omar','Jessica','Andre','Yuna','Patrick','Gabriela',
             'Samuel','Leila','Ethan','Amara','Diego','Rachel','Kofi','Elena','Ryan','Ingrid',
             'Marcus','Zainab','Noah','Camila','Raj','Megan','Tomasz','Aisha','Connor','Rosa'] AS first,
       ARRAY['Smith','Garcia','Chen','Johnson','Rodriguez','Nguyen','Williams','Martinez','Kim','Brown',
             'Hernandez','Patel','Jones','Lopez','Wong','Davis','Gonzalez','Singh','Miller','Perez',
             'Tanaka','Wilson','Sanchez','Okafor','Anderson','Ramirez','Cohen','Taylor','Torres','Khan',
             'Thomas','Rivera','Park','Moore','Flores','Ali','Jackson','Diaz','Yamamoto','Martin',
             'Cruz','Haddad','Lee','Reyes','Mensah','Thompson','Morales','Novak','White','Ortiz',
             'Sullivan','Harris','Gutierrez','O''Brien','Clark','Castillo','Schmidt','Lewis','Washington'] AS last;

CREATE OR REPLACE FUNCTION pg_temp.first_name(n integer) RETURNS text LANGUAGE sql STABLE AS
    $$ SELECT first[1 + n % 60] FROM demo_names $$;
CREATE OR REPLACE FUNCTION pg_temp.last_name(n integer) RETURNS text LANGUAGE sql STABLE AS
    $$ SELECT last[1 + (17 * n) % 59] FROM demo_names $$;
CREATE OR REPLACE FUNCTION pg_temp.slug(t text) RETURNS text LANGUAGE sql IMMUTABLE AS
    $$ SELECT lower(regexp_replace(t, '[^A-Za-z]', '', 'g')) $$;

-- ---------------------------------------------------------------------------------------------
-- Users: an admin, two executives, a manager and 3-5 staff per store
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE demo_users ON COMMIT DROP AS
WITH people AS (
    SELECT 'admin' AS key, 'Dana' AS first, 'Whitfield' AS last, 'admin' AS role, NULL::uuid AS home, NULL::text AS code
    UNION ALL SELECT 'exec/1', 'Marcus', 'Bellamy', 'executive', NULL, NULL
    UNION ALL SELECT 'exec/2', 'Priya', 'Raman', 'executive', NULL, NULL
    UNION ALL
    SELECT 'store/' || s.code || '/' || k,
           pg_temp.first_name(1000 + 13 * s.idx::integer + 157 * k),
           pg_temp.last_name(1000 + 13 * s.idx::integer + 157 * k),
           CASE WHEN k = 0 THEN 'manager' ELSE 'staff' END, s.id, s.code
    FROM demo_stores s, generate_series(0, 5) AS k
    WHERE k <= s.n_staff
)
SELECT pg_temp.uid('user/' || p.key) AS id, p.*,
       p.first || ' ' || p.last AS display_name,
       pg_temp.slug(p.first) || '.' || pg_temp.slug(p.last) || '@northwind.example' AS email,
       CASE WHEN p.role IN ('admin', 'executive') THEN '{}'::text[] ELSE ARRAY(
           -- one main skill plus a few extras; languages are rarer
           SELECT v.skill
           FROM unnest(ARRAY['footwear','camping','climbing','cycling','repairs','returns','spanish','french'])
                WITH ORDINALITY AS v(skill, ord)
           WHERE v.ord = 1 + pg_temp.rnd(p.key || '/skill', 6)
              OR pg_temp.rnd(p.key || '/' || v.skill, 100) < CASE v.skill WHEN 'spanish' THEN 25
                                                                          WHEN 'french' THEN 7 ELSE 14 END
           ORDER BY v.ord) END AS skills
FROM people p;

INSERT INTO users (id, organisation_id, email, display_name, role, home_location_id, skills, created_at)
SELECT id, pg_temp.uid('org'), email, display_name, role, home, skills,
       now() - (200 + pg_temp.rnd(key || '/joined', 900)) * interval '1 day'
FROM demo_users;

-- Everyone works at their home store; two managers also cover a neighbouring store.
INSERT INTO user_locations (user_id, location_id)
SELECT id, home FROM demo_users WHERE home IS NOT NULL
UNION ALL
SELECT u.id, s.id FROM demo_users u
JOIN (VALUES ('MW-03', 'MW-02'), ('WC-04', 'WC-03')) AS x(managed, manager_of) ON u.code = x.manager_of
JOIN demo_stores s ON s.code = x.managed
WHERE u.role = 'manager';

-- Who can answer the phone at each store, numbered 1..n for picking.
CREATE TEMP TABLE demo_members ON COMMIT DROP AS
SELECT ul.location_id, u.id AS user_id, u.skills,
       row_number() OVER (PARTITION BY ul.location_id ORDER BY u.key) AS idx
FROM user_locations ul JOIN demo_users u ON u.id = ul.user_id;

UPDATE demo_stores s SET n_members = (SELECT count(*) FROM demo_members m WHERE m.location_id = s.id);

-- ---------------------------------------------------------------------------------------------
-- Customers: 600, 200 per region; customer n lives in region n % 3 as its j-th (n / 3) customer.
-- Phone q of a region (q = j for the first phone, 200 + j for a second one) is
-- +1 <area_codes[q % 8]> 555 01(10 + q / 8): unique, and never a store or unknown-caller number.
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE demo_customers ON COMMIT DROP AS
SELECT c.n, pg_temp.uid('customer/' || c.n) AS id, c.n % 3 AS region_idx, c.n / 3 AS j,
       pg_temp.first_name(c.n) || ' ' || pg_temp.last_name(c.n) AS display_name,
       CASE WHEN pg_temp.rnd('customer/' || c.n || '/email', 100) < 70 THEN
           CASE pg_temp.rnd('customer/' || c.n || '/style', 3)
               WHEN 0 THEN pg_temp.slug(pg_temp.first_name(c.n)) || '.' || pg_temp.slug(pg_temp.last_name(c.n))
               WHEN 1 THEN left(pg_temp.slug(pg_temp.first_name(c.n)), 1) || pg_temp.slug(pg_temp.last_name(c.n))
                           || (10 + c.n % 90)
               ELSE pg_temp.slug(pg_temp.first_name(c.n)) || '_' || pg_temp.slug(pg_temp.last_name(c.n))
           END || CASE WHEN pg_temp.rnd('customer/' || c.n || '/domain', 100) < 65
                       THEN '@example.com' ELSE '@example.net' END
       END AS email,
       pg_temp.rnd('customer/' || c.n || '/marketing', 100) < 45 AS marketing_consent,
       pg_temp.rnd('customer/' || c.n || '/sms', 100) < 30 AS sms_consent,
       now() - (70 + pg_temp.rnd('customer/' || c.n || '/since', 1000)) * interval '1 day'
             - pg_temp.rnd('customer/' || c.n || '/since-min', 600) * interval '1 minute' AS created_at,
       '+1' || r.area_codes[1 + (c.n / 3) % 8] || '55501' || (10 + (c.n / 3) / 8) AS phone1,
       CASE WHEN pg_temp.rnd('customer/' || c.n || '/phone2', 100) < 15
            THEN '+1' || r.area_codes[1 + (200 + c.n / 3) % 8] || '55501' || (10 + (200 + c.n / 3) / 8) END AS phone2
FROM generate_series(0, 599) AS c(n)
JOIN demo_regions r ON r.idx = c.n % 3;

INSERT INTO customers (id, organisation_id, display_name, email, marketing_consent, sms_consent,
                       created_at, updated_at)
SELECT id, pg_temp.uid('org'), display_name, email, marketing_consent, sms_consent, created_at,
       least(now(), created_at + pg_temp.rnd('customer/' || n || '/updated', 120) * interval '1 day')
FROM demo_customers;

INSERT INTO customer_phones (customer_id, organisation_id, number, label)
SELECT id, pg_temp.uid('org'), phone1, 'mobile' FROM demo_customers
UNION ALL
SELECT id, pg_temp.uid('org'), phone2,
       CASE WHEN pg_temp.rnd('customer/' || n || '/label2', 2) = 0 THEN 'home' ELSE 'work' END
FROM demo_customers WHERE phone2 IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- Store-days: today (d_off = 0) and the 60 days before it, in each store's own timezone, with
-- that day's opening hours (NULL when closed: no hours row, or a holiday).
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE demo_days ON COMMIT DROP AS
SELECT s.id AS location_id, s.code, s.region_idx, s.area_codes, s.tz, s.busy, s.n_members,
       s.main_phone, s.desk_phone, o.d_off, ld.local_day,
       extract(isodow FROM ld.local_day)::integer AS isodow, h.opens_at AS opens, h.closes_at AS closes
FROM demo_stores s
CROSS JOIN generate_series(0, 60) AS o(d_off)
CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE s.tz)::date - o.d_off AS local_day) AS ld
LEFT JOIN location_hours h
       ON h.location_id = s.id AND h.weekday = extract(isodow FROM ld.local_day)
      AND NOT EXISTS (SELECT 1 FROM location_holidays x WHERE x.location_id = s.id AND x.day = ld.local_day);

-- ---------------------------------------------------------------------------------------------
-- Calls. Each store-day gets 5-8 calls on weekdays, 8-11 on Saturdays (+2 at flagships) and 1-2
-- on closed days. Within opening hours the time follows 11 equal slices of the day weighted for
-- a midday and a late-afternoon peak; 5% ring outside hours (voicemail or missed). On top of that
-- every store gets 3 answered calls spread over the part of today already gone, so "today"
-- dashboards are never empty. Calls that would not have ended yet are dropped.
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE demo_calls ON COMMIT DROP AS
WITH slot AS (
    SELECT d.*, k, d.code || '/' || d.d_off || '/' || k AS key, false AS today_extra,
           d.opens IS NULL OR pg_temp.rnd(d.code || '/' || d.d_off || '/' || k || '/ooh', 100) < 5 AS ooh
    FROM demo_days d CROSS JOIN generate_series(1, 13) AS k
    WHERE k <= CASE WHEN d.opens IS NULL THEN 1 + pg_temp.rnd('calls/' || d.code || '/' || d.d_off, 2)
                    ELSE CASE WHEN d.isodow = 6 THEN 8 ELSE 5 END + d.busy
                         + pg_temp.rnd('calls/' || d.code || '/' || d.d_off, 4) END
    UNION ALL
    SELECT d.*, k, 'today/' || d.code || '/' || k, true, false
    FROM demo_days d CROSS JOIN generate_series(1, 3) AS k
    WHERE d.d_off = 0
),
timed AS (
    SELECT s.*,
           CASE
               WHEN s.today_extra THEN
                   w.win_start + (w.win_end - w.win_start) * ((s.k - 1 + pg_temp.rnd(s.key || '/min', 1000) / 1000.0) / 3)
               WHEN s.opens IS NULL THEN
                   s.local_day + time '10:00' + pg_temp.rnd(s.key || '/min', 420) * interval '1 minute'
               WHEN s.ooh THEN s.local_day + CASE WHEN pg_temp.rnd(s.key || '/side', 2) = 0
                   THEN s.opens - (1 + pg_temp.rnd(s.key || '/min', 90)) * interval '1 minute'
                   ELSE s.closes + (1 + pg_temp.rnd(s.key || '/min', 120)) * interval '1 minute' END
               ELSE s.local_day + s.opens + (s.closes - s.opens)
                    * ((b.slice - 1 + pg_temp.rnd(s.key || '/min', 1000) / 1000.0) / 11)
           END + pg_temp.rnd(s.key || '/sec', 60) * interval '1 second' AS local_ts
    FROM slot s
    -- weights per slice: 3 5 8 12 11 7 6 8 11 9 5 (cumulative below, total 85)
    CROSS JOIN LATERAL (
        SELECT min(i) AS slice
        FROM unnest(ARRAY[3, 8, 16, 28, 39, 46, 52, 60, 71, 80, 85]) WITH ORDINALITY AS c(cum, i)
        WHERE c.cum > pg_temp.rnd(s.key || '/peak', 85)) AS b
    -- the part of today already gone: since opening if open for 20+ minutes, else since 07:00
    -- (early shift taking phone orders), else - loaded before 07:30 - since midnight
    CROSS JOIN LATERAL (
        SELECT ws AS win_start,
               greatest(ws, least(now() AT TIME ZONE s.tz - interval '12 minutes',
                                  s.local_day + coalesce(s.closes, time '23:59'))) AS win_end
        FROM (SELECT CASE WHEN s.opens IS NOT NULL
                           AND now() AT TIME ZONE s.tz >= s.local_day + s.opens + interval '20 minutes'
                          THEN s.local_day + s.opens
                          WHEN now() AT TIME ZONE s.tz >= s.local_day + time '07:30'
                          THEN s.local_day + time '07:00'
                          ELSE s.local_day::timestamp END AS ws) AS x) AS w
),
shaped AS (
    SELECT t.*,
           least(now(), t.local_ts AT TIME ZONE t.tz) AS started_at,
           CASE WHEN NOT t.ooh AND NOT t.today_extra AND pg_temp.rnd(t.key || '/dir', 100) < 9
                THEN 'outbound' ELSE 'inbound' END AS direction,
           pg_temp.rnd(t.key || '/status', 100) AS r_status
    FROM timed t
),
classified AS (
    SELECT s.*,
           s.direction = 'outbound' OR pg_temp.rnd(s.key || '/known', 100) < 70 AS known,
           CASE
               WHEN s.today_extra THEN 'completed'
               WHEN s.ooh THEN CASE WHEN s.r_status < 65 THEN 'voicemail' ELSE 'missed' END
               WHEN s.direction = 'outbound' THEN
                   CASE WHEN s.r_status < 78 THEN 'completed' WHEN s.r_status < 90 THEN 'voicemail' ELSE 'missed' END
               ELSE CASE WHEN s.r_status < 85 THEN 'completed' WHEN s.r_status < 91 THEN 'abandoned'
                         WHEN s.r_status < 96 THEN 'missed' ELSE 'voicemail' END
           END AS status,
           -- ring time 3-60 s and talk time 1-10 min, both skewed short
           (3 + least(pg_temp.rnd(s.key || '/ring1', 58), pg_temp.rnd(s.key || '/ring2', 58))) * interval '1 second' AS ring,
           (60 + least(pg_temp.rnd(s.key || '/talk1', 541), pg_temp.rnd(s.key || '/talk2', 541))) * interval '1 second' AS talk
    FROM shaped s
),
timing AS (
    SELECT c.*,
           CASE c.status WHEN 'completed' THEN c.started_at + c.ring + c.talk
                         WHEN 'abandoned' THEN c.started_at + (4 + pg_temp.rnd(c.key || '/end', 40)) * interval '1 second'
                         WHEN 'missed'    THEN c.started_at + (25 + pg_temp.rnd(c.key || '/end', 15)) * interval '1 second'
                         ELSE c.started_at + (35 + pg_temp.rnd(c.key || '/end', 90)) * interval '1 second'
           END AS natural_end
    FROM classified c
)
SELECT t.key, t.d_off, t.local_day, t.tz, t.region_idx, t.location_id, t.n_members,
       pg_temp.uid('call/' || t.key) AS id,
       cu.id AS customer_id, cu.display_name AS customer_name,
       'CA' || md5('provider-call/' || t.key) AS provider_call_id,
       t.direction,
       CASE WHEN t.direction = 'outbound' THEN t.main_phone
            ELSE coalesce(CASE WHEN cu.phone2 IS NOT NULL AND pg_temp.rnd(t.key || '/phone', 4) = 0
                               THEN cu.phone2 ELSE cu.phone1 END,
                          '+1' || t.area_codes[1 + pg_temp.rnd(t.key || '/caller-area', 8)]
                               || '55501' || (60 + pg_temp.rnd(t.key || '/caller', 40))) END AS from_number,
       CASE WHEN t.direction = 'outbound' THEN cu.phone1
            WHEN t.desk_phone IS NOT NULL AND pg_temp.rnd(t.key || '/line', 4) = 0 THEN t.desk_phone
            ELSE t.main_phone END AS to_number,
       t.started_at,
       CASE WHEN t.status = 'completed' THEN least(t.started_at + t.ring, now()) END AS answered_at,
       least(t.natural_end, now()) AS ended_at,
       t.status,
       m.user_id AS handled_by,
       CASE WHEN t.status = 'completed' THEN
           CASE WHEN t.direction = 'outbound' THEN
                    (ARRAY['resolved','resolved','appointment_booked','order_status','follow_up_needed'])
                        [1 + pg_temp.rnd(t.key || '/disp', 5)]
                WHEN cu.id IS NOT NULL THEN
                    (ARRAY['resolved','resolved','resolved','resolved','stock_check','stock_check','stock_check',
                           'order_status','order_status','appointment_booked','appointment_booked',
                           'follow_up_needed','follow_up_needed'])[1 + pg_temp.rnd(t.key || '/disp', 13)]
                ELSE (ARRAY['resolved','resolved','resolved','stock_check','stock_check','stock_check',
                            'order_status','appointment_booked','wrong_number','wrong_number'])
                        [1 + pg_temp.rnd(t.key || '/disp', 10)]
           END END AS disposition
FROM timing t
LEFT JOIN demo_customers cu
       ON t.known AND cu.region_idx = t.region_idx
      -- least of two draws: a few regulars call often, most customers rarely
      AND cu.j = least(pg_temp.rnd(t.key || '/cust1', 200), pg_temp.rnd(t.key || '/cust2', 200))
LEFT JOIN demo_members m
       ON (t.status = 'completed' OR t.direction = 'outbound') AND m.location_id = t.location_id
      AND m.idx = 1 + pg_temp.rnd(t.key || '/handler', t.n_members)
WHERE t.today_extra OR t.natural_end <= now();

INSERT INTO calls (id, organisation_id, location_id, customer_id, provider_call_id, direction, from_number,
                   to_number, started_at, answered_at, ended_at, status, handled_by, disposition,
                   wrap_up_ms)
SELECT id, pg_temp.uid('org'), location_id, customer_id, provider_call_id, direction, from_number,
       to_number, started_at, answered_at, ended_at, status, handled_by, disposition,
       -- the notes and follow-ups after an answered call: 10-90 s of wrap-up
       CASE WHEN status = 'completed' AND direction = 'inbound'
            THEN (10 + pg_temp.rnd(key || '/wrap', 80)) * 1000 END
FROM demo_calls ORDER BY started_at;

-- ---------------------------------------------------------------------------------------------
-- Call notes: 800 answered calls from known customers (chosen by hash) get a note written by
-- whoever handled the call, a few minutes after it ended, worded to fit the call's disposition.
-- ---------------------------------------------------------------------------------------------
INSERT INTO call_notes (id, organisation_id, customer_id, call_id, location_id, author_id, body, created_at)
SELECT pg_temp.uid('note/' || c.key), pg_temp.uid('org'), c.customer_id, c.id, c.location_id, c.handled_by,
       t.bodies[1 + pg_temp.rnd(c.key || '/note', array_length(t.bodies, 1))],
       least(now(), c.ended_at + (1 + pg_temp.rnd(c.key || '/note-at', 6)) * interval '1 minute')
FROM (SELECT c.*, row_number() OVER (ORDER BY md5('note/' || c.key)) AS rn
      FROM demo_calls c WHERE c.status = 'completed' AND c.customer_id IS NOT NULL) AS c
JOIN (VALUES
    ('resolved', ARRAY[
        'Answered questions about store hours and parking.',
        'Explained the 60-day return policy; customer was happy with that.',
        'Helped the customer choose between two rain shells over the phone.',
        'Confirmed gift card balance and that it does not expire.',
        'Customer prefers Spanish; handled the whole call in Spanish.',
        'Called back as promised; question about sleeping bag ratings answered.',
        'Walked the customer through re-waterproofing their jacket at home.']),
    ('stock_check', ARRAY[
        'Checked stock for hiking boots in size 10; holding two pairs at the counter until Saturday.',
        'Asked about 2-person backpacking tents; we have three models in stock.',
        'Down jacket in medium is sold out here; offered a transfer from another store.',
        'Climbing shoes available in the requested size; customer will pick up tomorrow.',
        'Kids'' rain boots out of stock until next week; noted the sizes wanted.']),
    ('order_status', ARRAY[
        'Online order is ready for in-store pickup; gave pickup counter hours.',
        'Special order delayed at the warehouse; promised an update by Friday.',
        'Gave tracking details for the ship-to-home order.',
        'Bike from the repair shop is ready; customer will collect after work.']),
    ('appointment_booked', ARRAY[
        'Booked a boot fitting; reminded customer to bring their hiking socks.',
        'Scheduled a bike tune-up drop-off.',
        'Booked a backpack fitting ahead of the customer''s trip.',
        'Set up a tent repair consultation; customer will bring the damaged pole.']),
    ('follow_up_needed', ARRAY[
        'Wants a call back when the new trail runners arrive.',
        'Warranty claim on a camp stove; checking with the vendor and will call back.',
        'Price-match request; the store manager needs to review it.',
        'Not happy with a recent repair; follow up with the repair desk.',
        'Asked about group discounts for a scout troop; need to confirm with head office.'])
) AS t(disposition, bodies) ON t.disposition = c.disposition
WHERE c.rn <= 800;

-- ---------------------------------------------------------------------------------------------
-- Tasks: up to 120 callbacks (missed calls and voicemails) and follow-ups from known customers'
-- calls of the last 6 days. Due a few hours (callbacks) or 1-3 days (follow-ups) later, so they
-- land around today +-3 days: mostly open, older ones mostly done, some left overdue.
-- ---------------------------------------------------------------------------------------------
INSERT INTO tasks (id, organisation_id, location_id, customer_id, call_id, kind, title, due_at, assigned_to,
                   status, created_at, completed_at)
WITH cand AS (
    SELECT c.*, row_number() OVER (ORDER BY md5('task/' || c.key)) AS rn
    FROM demo_calls c
    WHERE c.customer_id IS NOT NULL AND c.d_off <= 5
      AND ((c.direction = 'inbound' AND c.status IN ('missed', 'voicemail'))
           OR c.disposition = 'follow_up_needed'
           OR (c.disposition IN ('stock_check', 'order_status') AND pg_temp.rnd(c.key || '/task', 100) < 50))
),
due AS (
    SELECT c.*,
           CASE WHEN c.status = 'completed' THEN 'follow_up' ELSE 'callback' END AS kind,
           CASE WHEN c.status = 'completed'
                THEN (c.local_day + 1 + pg_temp.rnd(c.key || '/due', 3) + time '10:00'
                      + pg_temp.rnd(c.key || '/due-at', 16) * interval '30 minutes') AT TIME ZONE c.tz
                ELSE c.ended_at + (2 + pg_temp.rnd(c.key || '/due', 20)) * interval '1 hour' END AS due_at,
           pg_temp.rnd(c.key || '/task-status', 100) AS r
    FROM cand c WHERE c.rn <= 120
),
stat AS (
    SELECT d.*,
           CASE WHEN d.due_at > now() THEN CASE WHEN d.r < 12 THEN 'done' ELSE 'open' END
                WHEN d.due_at > now() - interval '2 days' THEN CASE WHEN d.r < 30 THEN 'done' ELSE 'open' END
                ELSE CASE WHEN d.r < 62 THEN 'done' WHEN d.r < 70 THEN 'cancelled' ELSE 'open' END
           END AS task_status
    FROM due d
)
SELECT pg_temp.uid('task/' || s.key), pg_temp.uid('org'), s.location_id, s.customer_id, s.id, s.kind,
       CASE
           WHEN s.status = 'voicemail' THEN 'Return voicemail from ' || s.customer_name
           WHEN s.kind = 'callback' THEN 'Call back ' || s.customer_name || ' (missed call)'
           WHEN s.disposition = 'stock_check' THEN 'Tell ' || s.customer_name || ' when the item is back in stock'
           WHEN s.disposition = 'order_status' THEN 'Update ' || s.customer_name || ' on their order'
           ELSE format((ARRAY['Follow up with %s about their repair', 'Check back with %s on the price match',
                              'Follow up with %s on a warranty claim', 'Call %s when the trail runners arrive'])
                           [1 + pg_temp.rnd(s.key || '/title', 4)], s.customer_name)
       END,
       s.due_at,
       coalesce(s.handled_by, (SELECT m.user_id FROM demo_members m WHERE m.location_id = s.location_id
                                 AND m.idx = 1 + pg_temp.rnd(s.key || '/assignee', s.n_members))),
       s.task_status,
       s.ended_at,
       CASE WHEN s.task_status = 'done' THEN least(now(), s.ended_at + (s.due_at - s.ended_at)
                                                      * (0.2 + pg_temp.rnd(s.key || '/done-at', 100) / 100.0)) END
FROM stat s;

-- ---------------------------------------------------------------------------------------------
-- Appointments: 13 per store, on distinct open days (picked by hash) between 3 weeks ago and 2
-- weeks ahead, on a half-hour slot inside opening hours, with a staff member of that store who has
-- the matching skill if anyone does. One per store-day, so nobody is double-booked.
-- ---------------------------------------------------------------------------------------------
INSERT INTO appointments (id, organisation_id, location_id, customer_id, staff_id, starts_at, ends_at,
                          purpose, status, created_at)
WITH a AS (
    SELECT * FROM (
        SELECT s.id AS location_id, s.region_idx, s.tz, 'appt/' || s.code || '/' || o AS key,
               ld.d, h.opens_at, h.closes_at,
               row_number() OVER (PARTITION BY s.id ORDER BY md5('appt/' || s.code || '/' || o)) AS k
        FROM demo_stores s
        CROSS JOIN generate_series(-21, 13) AS o
        CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE s.tz)::date + o AS d) AS ld
        JOIN location_hours h ON h.location_id = s.id AND h.weekday = extract(isodow FROM ld.d)
        WHERE NOT EXISTS (SELECT 1 FROM location_holidays x WHERE x.location_id = s.id AND x.day = ld.d)
    ) AS open_days
    WHERE k <= 13
),
placed AS (
    SELECT a.*, p.purpose, p.skill, p.minutes,
           ((a.d + a.opens_at + (1 + pg_temp.rnd(a.key || '/slot',
                 (extract(epoch FROM a.closes_at - a.opens_at) / 1800)::integer - 3)) * interval '30 minutes')
             AT TIME ZONE a.tz) AS starts_at
    FROM a
    JOIN (VALUES (0, 'Boot fitting', 'footwear', 30), (1, 'Trail running shoe gait analysis', 'footwear', 30),
                 (2, 'Bike tune-up drop-off', 'cycling', 30), (3, 'Backpack fitting', 'camping', 30),
                 (4, 'Trip planning consultation', 'camping', 60), (5, 'Climbing harness and shoe fitting', 'climbing', 60),
                 (6, 'Tent repair consultation', 'repairs', 30), (7, 'Exchange of damaged item', 'returns', 30))
         AS p(i, purpose, skill, minutes) ON p.i = pg_temp.rnd(a.key || '/purpose', 8)
)
SELECT pg_temp.uid(p.key), pg_temp.uid('org'), p.location_id, cu.id,
       (SELECT u.id FROM demo_users u WHERE u.home = p.location_id
        ORDER BY p.skill = ANY (u.skills) DESC, md5(p.key || u.id::text) LIMIT 1),
       p.starts_at, p.starts_at + p.minutes * interval '1 minute', p.purpose,
       CASE WHEN p.starts_at + p.minutes * interval '1 minute' < now() THEN
                CASE WHEN r < 78 THEN 'done' WHEN r < 90 THEN 'no_show' ELSE 'cancelled' END
            WHEN p.starts_at > now() THEN CASE WHEN r < 88 THEN 'booked' ELSE 'cancelled' END
            ELSE 'booked' END,
       least(now(), p.starts_at - (1 + pg_temp.rnd(p.key || '/booked', 14)) * interval '1 day'
                                - pg_temp.rnd(p.key || '/booked-min', 480) * interval '1 minute')
FROM placed p
CROSS JOIN LATERAL (SELECT pg_temp.rnd(p.key || '/status', 100) AS r) AS rs
JOIN demo_customers cu ON cu.region_idx = p.region_idx AND cu.j = pg_temp.rnd(p.key || '/customer', 200);

COMMIT;

-- ---------------------------------------------------------------------------------------------
-- Summary
-- ---------------------------------------------------------------------------------------------
SELECT (SELECT count(*) FROM locations l WHERE l.organisation_id = o.id) AS stores,
       (SELECT count(*) FROM users u WHERE u.organisation_id = o.id) AS users,
       (SELECT count(*) FROM customers c WHERE c.organisation_id = o.id) AS customers,
       (SELECT count(*) FROM calls c WHERE c.organisation_id = o.id) AS calls,
       (SELECT count(*) FROM calls c JOIN locations l ON l.id = c.location_id
         WHERE c.organisation_id = o.id
           AND (c.started_at AT TIME ZONE l.timezone)::date = (now() AT TIME ZONE l.timezone)::date) AS calls_today,
       (SELECT count(*) FROM call_notes n WHERE n.organisation_id = o.id) AS notes,
       (SELECT count(*) FROM tasks t WHERE t.organisation_id = o.id) AS tasks,
       (SELECT count(*) FROM appointments a WHERE a.organisation_id = o.id) AS appointments
FROM organisations o WHERE o.slug = 'northwind';
