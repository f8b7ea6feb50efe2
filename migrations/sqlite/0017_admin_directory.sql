-- Extensions, agents and accounts managed through the HTTP API (SQLite), kept across restarts
-- like the queues of 0008: at start the configuration file's [[users]] and [[agents]] come
-- first, then these rows replace a file entry of the same key, add one, or (NULL) remove it.

-- user_definitions: SIP extensions. The definition holds the SIP password the digest check
-- needs, as the configuration file does: the database is as private as the file.
CREATE TABLE user_definitions (
    extension  TEXT PRIMARY KEY NOT NULL CHECK (length(extension) BETWEEN 1 AND 64),
    -- {"extension", "name", "password"}; NULL marks a configuration-file user removed through
    -- the API: it stays removed at the next start.
    definition TEXT CHECK (definition IS NULL OR (json_valid(definition) AND length(definition) <= 65536)),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64)
);

-- agent_definitions: ACD agents, the JSON object of an [[agents]] entry (PIN included).
CREATE TABLE agent_definitions (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 100),
    definition TEXT CHECK (definition IS NULL OR (json_valid(definition) AND length(definition) <= 65536)),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64)
);

-- An account created through the API is not disabled at the next start for being absent from
-- the configuration's [[accounts]] ('file' accounts follow the file, as before).
ALTER TABLE accounts ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'file'
    CHECK (managed_by IN ('file', 'api'));

-- The audit log records these changes too. SQLite cannot change a CHECK in place, so the table
-- is rebuilt with the same columns and rows. The list keeps every action of 0015 (trunks and
-- DIDs) and 0016 (click-to-dial).
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    account     TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 64),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
    action      TEXT NOT NULL CHECK (action IN ('recording.play', 'recording.download',
                                                'queue.create', 'queue.update', 'queue.delete',
                                                'agent.queues', 'agent.dial',
                                                'trunk.create', 'trunk.update', 'trunk.delete',
                                                'did.create', 'did.update', 'did.delete',
                                                'user.create', 'user.update', 'user.delete',
                                                'agent.create', 'agent.update', 'agent.delete',
                                                'account.create', 'account.update',
                                                'account.password')),
    -- The recording id, queue name, agent id, trunk name, DID, extension or username.
    object_id   TEXT NOT NULL CHECK (length(object_id) BETWEEN 1 AND 255),
    remote_addr TEXT CHECK (length(remote_addr) <= 64),
    detail      TEXT CHECK (length(detail) <= 1000)
);
INSERT INTO audit_log_new (id, at, account, role, action, object_id, remote_addr, detail)
    SELECT id, at, account, role, action, object_id, remote_addr, detail FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at);
