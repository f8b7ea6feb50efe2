-- A call the callee declined (603) has its own disposition, 'declined' (issue #15), instead of
-- 'busy'. SQLite cannot change a CHECK constraint in place, so the table is rebuilt: a new
-- table, the rows copied, the old table dropped, the new one renamed, the indexes made again.
-- sqlx runs every SQLite migration inside a transaction, where foreign keys cannot be switched
-- off, so dropping the old table deletes its cdr_legs rows (ON DELETE CASCADE): they are kept
-- in a temporary table and put back once "cdrs" names the new table.
CREATE TEMP TABLE cdr_legs_kept AS SELECT * FROM cdr_legs;

CREATE TABLE cdrs_new (
    call_id      TEXT PRIMARY KEY NOT NULL CHECK (call_id <> ''),
    caller       TEXT NOT NULL,
    caller_name  TEXT,
    callee       TEXT NOT NULL,
    callee_name  TEXT,
    started_at   TEXT NOT NULL,
    answered_at  TEXT,
    -- NULL while the call is in progress (or was cut short by a crash, see recovered).
    ended_at     TEXT,
    disposition  TEXT CHECK (disposition IN ('answered', 'no_answer', 'busy', 'failed', 'cancelled',
                                             'declined')),
    sip_status   INTEGER,
    hangup_cause TEXT,
    hangup_side  TEXT CHECK (hangup_side IN ('caller', 'callee', 'switch')),
    -- 1 when the switch closed this record at startup because it had no end.
    recovered    INTEGER NOT NULL DEFAULT 0,
    vars         TEXT NOT NULL DEFAULT '{}'
        CHECK (json_valid(vars) AND json_type(vars) = 'object'),
    queue        TEXT,
    agent        TEXT,
    customer_id  INTEGER REFERENCES customers (id) ON DELETE SET NULL
);

INSERT INTO cdrs_new (call_id, caller, caller_name, callee, callee_name, started_at, answered_at,
                      ended_at, disposition, sip_status, hangup_cause, hangup_side, recovered,
                      vars, queue, agent, customer_id)
SELECT call_id, caller, caller_name, callee, callee_name, started_at, answered_at,
       ended_at, disposition, sip_status, hangup_cause, hangup_side, recovered,
       vars, queue, agent, customer_id
FROM cdrs;

DROP TABLE cdrs;
ALTER TABLE cdrs_new RENAME TO cdrs;

CREATE INDEX cdrs_started_at ON cdrs (started_at);
CREATE INDEX cdrs_caller ON cdrs (caller, started_at);
CREATE INDEX cdrs_callee ON cdrs (callee, started_at);
CREATE INDEX cdrs_open ON cdrs (started_at) WHERE ended_at IS NULL;
CREATE INDEX cdrs_queue ON cdrs (queue, started_at) WHERE queue IS NOT NULL;
CREATE INDEX cdrs_agent ON cdrs (agent, started_at) WHERE agent IS NOT NULL;
CREATE INDEX cdrs_customer ON cdrs (customer_id, started_at) WHERE customer_id IS NOT NULL;

INSERT INTO cdr_legs SELECT * FROM cdr_legs_kept;
DROP TABLE cdr_legs_kept;
