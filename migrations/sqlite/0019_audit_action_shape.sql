-- The audit log's action column checked by its shape instead of a closed list (SQLite).
--
-- Each feature that audited something new had to rebuild this table to widen the list (0008,
-- 0015, 0016, 0017), and two branches adding actions at once had to agree on one list. The
-- repository writes only the actions of its own enum (crm::AuditAction), so the database keeps
-- the last line of defence against other writers: a lower-case `object.verb` name of bounded
-- length. The rows are copied unchanged.
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    account     TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 64),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
    action      TEXT NOT NULL CHECK (length(action) BETWEEN 3 AND 64
                                     AND action GLOB '[a-z]*.[a-z]*'
                                     AND action NOT GLOB '*[^a-z_.]*'
                                     AND action NOT GLOB '*.*.*'),
    -- The recording id, queue name, agent id, trunk name, DID, extension, username, review id...
    object_id   TEXT NOT NULL CHECK (length(object_id) BETWEEN 1 AND 255),
    remote_addr TEXT CHECK (length(remote_addr) <= 64),
    detail      TEXT CHECK (length(detail) <= 1000)
);
INSERT INTO audit_log_new (id, at, account, role, action, object_id, remote_addr, detail)
    SELECT id, at, account, role, action, object_id, remote_addr, detail FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at);
