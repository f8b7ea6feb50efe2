-- Callbacks callers asked for (SQLite): kept until an agent takes them, so a restart of the
-- switch does not forget them. done_at is set when an agent answered the callback's offer or
-- the entry left the queue another way (overflow when the queue was removed).
CREATE TABLE callback_requests (
    -- The ACD's id of the entry: the CDR id of the call that asked.
    call_id      TEXT PRIMARY KEY NOT NULL CHECK (length(call_id) BETWEEN 1 AND 255),
    queue        TEXT NOT NULL CHECK (length(queue) BETWEEN 1 AND 64),
    number       TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 64),
    priority     INTEGER NOT NULL,
    -- Skills the dialplan asked for, a JSON object of name to level.
    skills       TEXT NOT NULL CHECK (json_valid(skills) AND length(skills) <= 4096),
    -- When the caller first entered a queue: the callback keeps that place.
    enqueued_at  TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    done_at      TEXT,
    outcome      TEXT CHECK (length(outcome) <= 64)
);

CREATE INDEX callback_requests_pending ON callback_requests (enqueued_at) WHERE done_at IS NULL;
