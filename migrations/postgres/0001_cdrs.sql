-- Call detail records (PostgreSQL). Same shape as migrations/sqlite/0001_cdrs.sql, with
-- TIMESTAMPTZ times and a real BOOLEAN. Durations are computed on read from the timestamps.

CREATE TABLE cdrs (
    call_id      TEXT PRIMARY KEY CHECK (call_id <> ''),
    caller       TEXT NOT NULL,
    caller_name  TEXT,
    callee       TEXT NOT NULL,
    callee_name  TEXT,
    started_at   TIMESTAMPTZ NOT NULL,
    answered_at  TIMESTAMPTZ,
    -- NULL while the call is in progress (or was cut short by a crash, see recovered).
    ended_at     TIMESTAMPTZ,
    disposition  TEXT CHECK (disposition IN ('answered', 'no_answer', 'busy', 'failed', 'cancelled')),
    sip_status   INTEGER,
    hangup_cause TEXT,
    hangup_side  TEXT CHECK (hangup_side IN ('caller', 'callee', 'switch')),
    -- TRUE when the switch closed this record at startup because it had no end.
    recovered    BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX cdrs_started_at ON cdrs (started_at);
CREATE INDEX cdrs_caller ON cdrs (caller, started_at);
CREATE INDEX cdrs_callee ON cdrs (callee, started_at);
-- Startup recovery looks only for open records; keep that lookup small.
CREATE INDEX cdrs_open ON cdrs (started_at) WHERE ended_at IS NULL;

CREATE TABLE cdr_legs (
    cdr_call_id  TEXT NOT NULL REFERENCES cdrs (call_id) ON DELETE CASCADE,
    -- Position of the leg in the call's timeline, from 0.
    seq          INTEGER NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('caller', 'callee')),
    sip_call_id  TEXT NOT NULL,
    peer         TEXT NOT NULL,
    extension    TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    answered_at  TIMESTAMPTZ,
    ended_at     TIMESTAMPTZ,
    final_status INTEGER,
    PRIMARY KEY (cdr_call_id, seq)
);

-- Troubleshooting starts from a SIP Call-ID seen in a trace.
CREATE INDEX cdr_legs_sip_call_id ON cdr_legs (sip_call_id);
