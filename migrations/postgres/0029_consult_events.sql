-- Consultation steps as queue events (PostgreSQL, issue 12): `consult_start`, `consult_end`,
-- `attended_transfer` and `conference` (agent, target, and the consultation's talk in talk_ms).
ALTER TABLE queue_events DROP CONSTRAINT queue_events_kind_check;
ALTER TABLE queue_events ADD CONSTRAINT queue_events_kind_check
    CHECK (kind IN ('enter', 'ring', 'ring_no_answer', 'connect', 'complete', 'abandon',
                    'overflow', 'exit_key', 'callback', 'transfer', 'consult_start',
                    'consult_end', 'attended_transfer', 'conference'));
