-- ACD history (SQLite): what happened to calls in queues and to agents, one row per event, plus
-- the links from a CDR to its queue, agent and customer. Reports are computed from these rows.
--
-- Times use the fixed-width RFC 3339 text of 0001_cdrs.sql. Durations are whole milliseconds.
-- event_id is chosen by the switch (a UUID): the writer inserts with ON CONFLICT DO NOTHING, so
-- replaying an event (retry after an ambiguous commit, batch replayed one by one) never
-- duplicates it. id is the insertion order, the tie-breaker between events of the same instant.

CREATE TABLE queue_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  TEXT NOT NULL UNIQUE CHECK (length(event_id) BETWEEN 1 AND 64),
    at        TEXT NOT NULL,
    queue     TEXT NOT NULL CHECK (queue <> ''),
    -- The CDR's call_id (no foreign key: the event may be written before the CDR's start).
    call_id   TEXT NOT NULL CHECK (call_id <> ''),
    kind      TEXT NOT NULL CHECK (kind IN ('enter', 'ring', 'ring_no_answer', 'connect',
                  'complete', 'abandon', 'overflow', 'exit_key', 'callback', 'transfer')),
    agent     TEXT,
    position  INTEGER,
    wait_ms   INTEGER,
    -- complete only.
    talk_ms   INTEGER,
    -- ring_no_answer only.
    rang_ms   INTEGER,
    ended_by  TEXT CHECK (ended_by IN ('caller', 'agent', 'switch')),
    -- overflow only.
    reason    TEXT CHECK (reason IN ('max_wait', 'max_length', 'join_empty', 'leave_empty')),
    -- Overflow target, transfer destination queue or callback number.
    target    TEXT,
    -- The exit key pressed.
    key       TEXT
);

CREATE INDEX queue_events_queue_at ON queue_events (queue, at);
CREATE INDEX queue_events_call ON queue_events (call_id);
-- Reports select the calls that entered (or were refused) in a window across all queues.
CREATE INDEX queue_events_kind_at ON queue_events (kind, at);

CREATE TABLE agent_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE CHECK (length(event_id) BETWEEN 1 AND 64),
    at         TEXT NOT NULL,
    agent      TEXT NOT NULL CHECK (agent <> ''),
    kind       TEXT NOT NULL CHECK (kind IN ('login', 'logout', 'pause', 'unpause', 'state')),
    -- pause only.
    reason     TEXT,
    -- state only.
    from_state TEXT CHECK (from_state IN ('logged_out', 'available', 'ringing', 'on_call',
                   'wrap_up', 'paused')),
    to_state   TEXT CHECK (to_state IN ('logged_out', 'available', 'ringing', 'on_call',
                   'wrap_up', 'paused'))
);

CREATE INDEX agent_events_agent_at ON agent_events (agent, at);
CREATE INDEX agent_events_at ON agent_events (at);

-- Set by CdrLink events; NULL for calls that never reached a queue, an agent or a known customer.
ALTER TABLE cdrs ADD COLUMN queue TEXT;
ALTER TABLE cdrs ADD COLUMN agent TEXT;
ALTER TABLE cdrs ADD COLUMN customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL;

CREATE INDEX cdrs_queue ON cdrs (queue, started_at) WHERE queue IS NOT NULL;
CREATE INDEX cdrs_agent ON cdrs (agent, started_at) WHERE agent IS NOT NULL;
-- Contact history of a customer, and ON DELETE SET NULL, both look calls up by customer.
CREATE INDEX cdrs_customer ON cdrs (customer_id, started_at) WHERE customer_id IS NOT NULL;
