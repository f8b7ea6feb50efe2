-- Messages callers leave in a queue (PostgreSQL).
--
-- Same shape as migrations/sqlite/0007_queue_messages.sql, with TIMESTAMPTZ times.
-- The audio is an ordinary recording (recordings row and WAV file, same retention and audio
-- endpoint); this table marks that recording as a queue message for a queue and a caller.
CREATE TABLE queue_messages (
    -- recordings.id of the message's audio (no foreign key: either row may be written first).
    recording_id TEXT PRIMARY KEY NOT NULL CHECK (char_length(recording_id) BETWEEN 1 AND 64),
    -- The CDR's call_id of the call that left the message.
    call_id      TEXT NOT NULL CHECK (char_length(call_id) BETWEEN 1 AND 255),
    queue        TEXT NOT NULL CHECK (char_length(queue) BETWEEN 1 AND 100),
    -- The caller's number as the switch saw it (From user part).
    caller       TEXT NOT NULL CHECK (char_length(caller) BETWEEN 1 AND 255),
    -- When recording the message started.
    left_at      TIMESTAMPTZ NOT NULL
);

-- A queue's messages, newest first.
CREATE INDEX queue_messages_queue ON queue_messages (queue, left_at);
