-- Agent time per quarter hour (PostgreSQL): what the agent report sums instead of replaying the
-- agent events. Written by the CDR writer in the transaction that writes the agent events
-- (an agent's quarter hours from the one its new events change are recomputed from its
-- events), and rebuilt from the events by `Crm::rebuild_agent_buckets`. The events stay the
-- record; these tables are derived from them. Durations are whole microseconds (the events'
-- precision); quarter hours are UTC, `bucket` = the quarter hour's start in seconds since the
-- epoch (a multiple of 900). A quarter hour in which the agent was logged out throughout and
-- answered nothing has no row.

CREATE TABLE agent_buckets (
    agent          TEXT NOT NULL,
    bucket         BIGINT NOT NULL,
    available_us   BIGINT NOT NULL CHECK (available_us >= 0),
    ringing_us     BIGINT NOT NULL CHECK (ringing_us >= 0),
    on_call_us     BIGINT NOT NULL CHECK (on_call_us >= 0),
    wrap_up_us     BIGINT NOT NULL CHECK (wrap_up_us >= 0),
    paused_us      BIGINT NOT NULL CHECK (paused_us >= 0),
    -- Changes into on_call in the quarter hour.
    calls_answered BIGINT NOT NULL CHECK (calls_answered >= 0),
    -- The report sums one month of all agents as one range.
    PRIMARY KEY (bucket, agent)
);
-- The writer (an agent's quarter hours from one on are replaced) and the report of one agent.
CREATE INDEX agent_buckets_agent ON agent_buckets (agent, bucket);

-- `paused_us` of agent_buckets split by the reason of the pause.
CREATE TABLE agent_bucket_pauses (
    agent     TEXT NOT NULL,
    bucket    BIGINT NOT NULL,
    reason    TEXT NOT NULL,
    paused_us BIGINT NOT NULL CHECK (paused_us > 0),
    PRIMARY KEY (agent, bucket, reason)
);
CREATE INDEX agent_bucket_pauses_bucket ON agent_bucket_pauses (bucket);

-- Per agent, how far its quarter hours go: its last state or pause event (`since`), and the
-- state and pause reason it has been in since, which the report counts on up to the window's
-- end.
CREATE TABLE agent_bucket_tails (
    agent        TEXT PRIMARY KEY,
    since        TIMESTAMPTZ NOT NULL,
    state        TEXT NOT NULL,
    pause_reason TEXT NOT NULL
);

-- One row while the quarter hours of events written before this migration are still to be
-- computed: `Crm::connect` computes them (from the events, as the writer would) and deletes it.
CREATE TABLE agent_buckets_backfill (pending INTEGER NOT NULL);
INSERT INTO agent_buckets_backfill (pending) VALUES (1);
