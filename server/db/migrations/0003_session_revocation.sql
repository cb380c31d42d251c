-- Revocation is captured in the database, whoever causes it: sign-out, refresh-token reuse, an
-- admin disabling a user or changing a password (through the server or by SQL). Every revoked
-- login session is announced on channel cc_session_revoked (payload: the session id) when the
-- transaction commits, and every server node closes that session's WebSockets.

CREATE FUNCTION auth_sessions_announce_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
        PERFORM pg_notify('cc_session_revoked', NEW.id::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER auth_sessions_announce_revocation AFTER UPDATE OF revoked_at ON auth_sessions
    FOR EACH ROW EXECUTE FUNCTION auth_sessions_announce_revocation();

CREATE FUNCTION users_revoke_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF OLD.active AND NOT NEW.active THEN
        reason := 'user disabled';
    ELSIF OLD.password_hash IS NOT NULL AND NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        reason := 'password changed';
    ELSE
        RETURN NULL;
    END IF;
    UPDATE auth_sessions SET revoked_at = now(), revoked_reason = reason
     WHERE user_id = NEW.id AND revoked_at IS NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_revoke_sessions AFTER UPDATE OF active, password_hash ON users
    FOR EACH ROW EXECUTE FUNCTION users_revoke_sessions();
