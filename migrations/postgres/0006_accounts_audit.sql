-- Logins, sessions and the audit log (PostgreSQL).
--
-- Same shape as migrations/sqlite/0006_accounts_audit.sql, with TIMESTAMPTZ times, BOOLEAN
-- flags and BIGINT identity ids.
-- Limits are enforced by the repository with clear messages; the CHECKs here are the last line
-- of defence against other writers.

-- accounts: who may use the HTTP API and pages. The switch writes them at startup from the
-- configuration's [[accounts]] (the configuration is the source of truth: an account no longer
-- configured is kept, disabled, so the audit log still names it). Passwords are argon2id PHC
-- strings; bearer tokens for machine clients are stored as the SHA-256 of the token (they are
-- long random strings, so a fast hash is enough and keeps each request cheap).
CREATE TABLE accounts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Lower-case login name.
    username      TEXT NOT NULL UNIQUE CHECK (char_length(username) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL CHECK (char_length(password_hash) BETWEEN 1 AND 512),
    -- Lowercase hex SHA-256 of the bearer token, if the account has one.
    token_hash    TEXT UNIQUE CHECK (char_length(token_hash) = 64),
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
    -- The ACD agent id, for role 'agent' only (and required there).
    agent_id      TEXT CHECK (char_length(agent_id) BETWEEN 1 AND 100),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CHECK ((role = 'agent') = (agent_id IS NOT NULL))
);

-- sessions: one row per browser login. Only the SHA-256 of the cookie's token is stored, so a
-- copy of the database cannot be replayed as a cookie. A session is valid while last_seen is
-- within the idle timeout; logout deletes it, and so does a password change.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL CHECK (char_length(token_hash) = 64),
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Sent back in X-CSRF-Token on state-changing requests; worthless without the cookie.
    csrf_token TEXT NOT NULL CHECK (char_length(csrf_token) BETWEEN 32 AND 128),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen);

-- audit_log: who played or downloaded which recording, when and from where. Rows are only ever
-- inserted. account and role are copied (not a foreign key) so the row stays true after the
-- account changes.
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    account     TEXT NOT NULL CHECK (char_length(account) BETWEEN 1 AND 64),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
    action      TEXT NOT NULL CHECK (action IN ('recording.play', 'recording.download')),
    -- The recording id.
    object_id   TEXT NOT NULL CHECK (char_length(object_id) BETWEEN 1 AND 255),
    -- IP:port of the client as the switch saw it.
    remote_addr TEXT CHECK (char_length(remote_addr) <= 64),
    -- What was served, e.g. "bytes 0-1023/48044".
    detail      TEXT CHECK (char_length(detail) <= 1000)
);

CREATE INDEX audit_log_at ON audit_log (at);
