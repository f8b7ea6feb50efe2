-- Queues and agents' memberships managed through the HTTP API (SQLite).
--
-- At start the switch loads the configuration file's [[queues]] first, then these rows, which
-- override a file queue of the same name (docs/acd.md, "Managing queues").

-- acd_queue_definitions: one row per queue created, changed or removed through the API.
CREATE TABLE acd_queue_definitions (
    name       TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    -- The queue as a JSON object with the [[queues]] keys. NULL marks a configuration-file
    -- queue removed through the API: it stays removed at the next start.
    definition TEXT CHECK (definition IS NULL OR (json_valid(definition) AND length(definition) <= 65536)),
    updated_at TEXT NOT NULL,
    -- The account that made the change.
    updated_by TEXT NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64)
);

-- acd_agent_memberships: the queues an agent serves, set through the API; replaces the
-- agent's [[agents]] queues at start.
CREATE TABLE acd_agent_memberships (
    agent_id   TEXT PRIMARY KEY NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 100),
    -- JSON array of {"queue": name, "weight": n, "order": n}.
    queues     TEXT NOT NULL CHECK (json_valid(queues) AND length(queues) <= 65536),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64)
);

-- The audit log now records queue changes too. SQLite cannot change a CHECK in place, so the
-- table is rebuilt with the same columns and rows.
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    account     TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 64),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
    action      TEXT NOT NULL CHECK (action IN ('recording.play', 'recording.download',
                                                'queue.create', 'queue.update', 'queue.delete',
                                                'agent.queues')),
    -- The recording id, queue name or agent id.
    object_id   TEXT NOT NULL CHECK (length(object_id) BETWEEN 1 AND 255),
    remote_addr TEXT CHECK (length(remote_addr) <= 64),
    detail      TEXT CHECK (length(detail) <= 1000)
);
INSERT INTO audit_log_new (id, at, account, role, action, object_id, remote_addr, detail)
    SELECT id, at, account, role, action, object_id, remote_addr, detail FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at);
