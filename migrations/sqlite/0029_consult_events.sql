-- Consultation steps as queue events (SQLite, issue 12): `consult_start`, `consult_end`,
-- `attended_transfer` and `conference` (agent, target, and the consultation's talk in talk_ms).
-- SQLite cannot change a CHECK in place: the table is rebuilt with the same columns, rows and
-- indexes.

CREATE TABLE queue_events_new (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  TEXT NOT NULL UNIQUE CHECK (length(event_id) BETWEEN 1 AND 64),
    at        TEXT NOT NULL,
    queue     TEXT NOT NULL CHECK (queue <> ''),
    -- The CDR's call_id (no foreign key: the event may be written before the CDR's start).
    call_id   TEXT NOT NULL CHECK (call_id <> ''),
    kind      TEXT NOT NULL CHECK (kind IN ('enter', 'ring', 'ring_no_answer', 'connect',
                  'complete', 'abandon', 'overflow', 'exit_key', 'callback', 'transfer',
                  'consult_start', 'consult_end', 'attended_transfer', 'conference')),
    agent     TEXT,
    position  INTEGER,
    wait_ms   INTEGER,
    -- complete: the talk; consult_end, attended_transfer: the consultation's talk.
    talk_ms   INTEGER,
    -- ring_no_answer only.
    rang_ms   INTEGER,
    ended_by  TEXT CHECK (ended_by IN ('caller', 'agent', 'switch')),
    -- overflow only.
    reason    TEXT CHECK (reason IN ('max_wait', 'max_length', 'join_empty', 'leave_empty',
                                     'queue_removed')),
    -- Overflow target, transfer destination queue, callback number or consulted party.
    target    TEXT,
    -- The exit key pressed.
    key       TEXT,
    hold_ms   INTEGER CHECK (hold_ms >= 0)
);
INSERT INTO queue_events_new (id, event_id, at, queue, call_id, kind, agent, position, wait_ms, talk_ms, rang_ms, ended_by, reason, target, key, hold_ms)
    SELECT id, event_id, at, queue, call_id, kind, agent, position, wait_ms, talk_ms, rang_ms, ended_by, reason, target, key, hold_ms FROM queue_events;
DROP TABLE queue_events;
ALTER TABLE queue_events_new RENAME TO queue_events;
CREATE INDEX queue_events_queue_at ON queue_events (queue, at);
CREATE INDEX queue_events_call ON queue_events (call_id);
CREATE INDEX queue_events_kind_at ON queue_events (kind, at);
