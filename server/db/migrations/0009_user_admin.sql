-- Administration of people (docs/security.md, "Accounts and passwords"): one-time setup codes
-- with which an invited person, or one whose password an admin reset, chooses their own password
-- (POST /v1/auth/setup-password), and indexes for reading the audit log by page and filter.

-- A code is shown once to the admin who made it; only its SHA-256 is kept. At most one code per
-- person is open (neither used nor withdrawn): a new invite or reset withdraws the last one. An
-- open code past expires_at is refused; it stays open until the next one withdraws it.
CREATE TABLE password_setups (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    code_hash       bytea NOT NULL CHECK (length(code_hash) = 32),
    purpose         text NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at         timestamptz,
    withdrawn_at    timestamptz,
    CHECK (used_at IS NULL OR withdrawn_at IS NULL)
);
CREATE UNIQUE INDEX password_setups_open_idx ON password_setups (user_id)
    WHERE used_at IS NULL AND withdrawn_at IS NULL;
CREATE INDEX password_setups_org_idx ON password_setups (organisation_id);

-- The audit log is read newest first by id (GET /v1/admin/audit?before=<id>), optionally for one
-- actor, one target or actions starting with a prefix; the date range rides on the existing
-- audit_log_org_time_idx.
CREATE INDEX audit_log_org_id_idx ON audit_log (organisation_id, id DESC);
CREATE INDEX audit_log_org_actor_idx ON audit_log (organisation_id, actor_user_id, id DESC);
CREATE INDEX audit_log_org_target_idx ON audit_log (organisation_id, target_type, target_id, id DESC);
CREATE INDEX audit_log_org_action_idx ON audit_log (organisation_id, action text_pattern_ops);
