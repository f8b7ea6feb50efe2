-- Queue visits (PostgreSQL): one row per visit (one call's stay in one queue, or its refusal on
-- arrival), the facts the queue report counts. Written by the CDR writer in the transaction
-- that writes the visit's queue events (recomputed from all the call's events each time one
-- arrives), and its wrap-up filled in when the agent's state changes that bound it arrive.
-- The events stay the record (queue_log export, audits); this table is derived from them and
-- can be rebuilt from them (`Crm::rebuild_queue_visits`). Durations are whole milliseconds.

CREATE TABLE queue_visits (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id      TEXT NOT NULL CHECK (call_id <> ''),
    queue        TEXT NOT NULL CHECK (queue <> ''),
    -- The enter event's time; for a call refused on arrival, the overflow's.
    entered_at   TIMESTAMPTZ NOT NULL,
    -- FALSE for a call refused on arrival (overflow without enter).
    offered      BOOLEAN NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('waiting', 'answered', 'abandoned',
                     'overflowed', 'exited', 'transferred')),
    -- The wait that ended in the outcome; NULL while waiting.
    wait_ms      BIGINT CHECK (wait_ms >= 0),
    transferred  BOOLEAN NOT NULL,
    callback     BOOLEAN NOT NULL,
    -- The completed conversation, if any: its agent, end, talk (hold included) and hold.
    agent        TEXT,
    completed_at TIMESTAMPTZ,
    talk_ms      BIGINT CHECK (talk_ms >= 0),
    hold_ms      BIGINT CHECK (hold_ms >= 0),
    -- The agent's wrap-up after it (0: none); NULL until known.
    wrap_ms      BIGINT CHECK (wrap_ms >= 0),
    CHECK ((agent IS NULL) = (completed_at IS NULL))
);

-- The report: visits entering in a window, of all queues or some.
CREATE INDEX queue_visits_entered ON queue_visits (entered_at);
CREATE INDEX queue_visits_queue_entered ON queue_visits (queue, entered_at);
-- The writer: a call's visits are replaced whenever one of its events arrives.
CREATE INDEX queue_visits_call ON queue_visits (call_id);
-- The writer: completed visits still waiting for their wrap-up, by agent.
CREATE INDEX queue_visits_wrap_pending ON queue_visits (agent, completed_at)
    WHERE completed_at IS NOT NULL AND wrap_ms IS NULL;

-- One row while the visits of events written before this migration are still to be computed:
-- `Crm::connect` computes them (from the events, as the writer would) and deletes the row.
CREATE TABLE queue_visits_backfill (pending INTEGER NOT NULL);
INSERT INTO queue_visits_backfill (pending) VALUES (1);
