-- The audit log records click-to-dial calls placed through the HTTP API (`agent.dial`). SQLite
-- cannot change a CHECK in place, so the table is rebuilt with the same columns and rows. The
-- list keeps every action of 0015 (trunks and DIDs managed through the API).
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    account     TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 64),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
    action      TEXT NOT NULL CHECK (action IN ('recording.play', 'recording.download',
                                                'queue.create', 'queue.update', 'queue.delete',
                                                'agent.queues', 'agent.dial',
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
