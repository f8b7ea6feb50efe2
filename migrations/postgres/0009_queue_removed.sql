-- A caller sent on because its queue was removed through the API overflows with its own
-- reason, `queue_removed` (PostgreSQL).
ALTER TABLE queue_events DROP CONSTRAINT queue_events_reason_check;
ALTER TABLE queue_events ADD CONSTRAINT queue_events_reason_check
    CHECK (reason IN ('max_wait', 'max_length', 'join_empty', 'leave_empty', 'queue_removed'));
