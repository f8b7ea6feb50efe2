-- The audit log's action column checked by its shape instead of a closed list (PostgreSQL).
--
-- Each feature that audited something new had to widen the list (0008, 0015, 0016, 0017), and
-- two branches adding actions at once had to agree on one list. The repository writes only the
-- actions of its own enum (crm::AuditAction), so the database keeps the last line of defence
-- against other writers: a lower-case `object.verb` name of bounded length.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (length(action) BETWEEN 3 AND 64 AND action ~ '^[a-z_]+\.[a-z_]+$');
