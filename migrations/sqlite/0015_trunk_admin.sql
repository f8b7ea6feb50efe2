-- Trunks and DIDs managed through the HTTP API (SQLite), kept across restarts like the queues
-- of 0008: at start the configuration file's [[trunks]] and [[dids]] come first, then these
-- rows replace a file entry of the same name (or number), add one, or (NULL) remove it.

CREATE TABLE trunk_definitions (
    name       TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    -- The trunk as a JSON object with the [[trunks]] keys (the password included: the switch
    -- needs it to register). NULL marks a configuration-file trunk removed through the API.
    definition TEXT CHECK (definition IS NULL OR (json_valid(definition) AND length(definition) <= 65536)),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64)
);

CREATE TABLE did_definitions (
    number     TEXT PRIMARY KEY NOT NULL CHECK (length(number) BETWEEN 1 AND 32),
    -- The DID as a JSON object with the [[dids]] keys; NULL: a file DID removed through the API.
    definition TEXT CHECK (definition IS NULL OR (json_valid(definition) AND length(definition) <= 65536)),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64)
);

-- The audit log records trunk and DID changes too. SQLite cannot change a CHECK in place, so
-- the table is rebuilt with the same columns and rows.
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    account     TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 64),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
    action      TEXT NOT NULL CHECK (action IN ('recording.play', 'recording.download',
                                                'queue.create', 'queue.update', 'queue.delete',
                                                'agent.queues',
                                                'trunk.create', 'trunk.update', 'trunk.delete',
                                                'did.create', 'did.update', 'did.delete')),
    -- The recording id, queue name, agent id, trunk name or DID.
    object_id   TEXT NOT NULL CHECK (length(object_id) BETWEEN 1 AND 255),
    remote_addr TEXT CHECK (length(remote_addr) <= 64),
    detail      TEXT CHECK (length(detail) <= 1000)
);
INSERT INTO audit_log_new (id, at, account, role, action, object_id, remote_addr, detail)
    SELECT id, at, account, role, action, object_id, remote_addr, detail FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at);
