-- Identity: passwords (Argon2id PHC strings, never the password), lockout, login sessions with
-- rotating refresh tokens stored only as SHA-256 hashes, and the append-only audit log.

ALTER TABLE users
    ADD COLUMN password_hash       text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    ADD COLUMN password_changed_at timestamptz,
    ADD COLUMN failed_logins       integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    ADD COLUMN locked_until        timestamptz;

-- One row per sign-in on a device: the family of refresh tokens that descend from it. Revoking
-- it (sign-out, password change, an admin disabling the user, refresh-token reuse) ends them all.
CREATE TABLE auth_sessions (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    device_id       text NOT NULL CHECK (length(device_id) BETWEEN 1 AND 64),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text CHECK (revoked_reason IS NULL OR length(revoked_reason) <= 100)
);
CREATE INDEX auth_sessions_user_live_idx ON auth_sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are single use: each refresh marks its token used and issues the next one. A
-- used token presented again means it was copied, and revokes the whole session.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Who did what to which user, store, routing rule or integration; every export and erasure.
-- Append-only: rows can be added, never changed or removed (TRUNCATE stays possible for a
-- database owner retiring a whole installation).
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id uuid,
    actor_user_id   uuid,
    action          text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    target_type     text CHECK (target_type IS NULL OR length(target_type) <= 50),
    target_id       text CHECK (target_id IS NULL OR length(target_id) <= 100),
    detail          jsonb NOT NULL DEFAULT '{}',
    source_ip       inet,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_time_idx ON audit_log (organisation_id, created_at DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
