-- Messages callers leave in a queue (SQLite).
--
-- Times use the fixed-width RFC 3339 text of 0001_cdrs.sql, so text order is time order.
-- A caller waiting in a queue may press the queue's message key: the switch plays a prompt and
-- records the caller's voice. The audio is an ordinary recording (recordings row and WAV file,
-- same retention and audio endpoint); this table marks that recording as a queue message and
-- says which queue and which caller it is for.
CREATE TABLE queue_messages (
    -- recordings.id of the message's audio (no foreign key: the rows are written by separate
    -- tasks and either may come first, as for contacts.recording_id).
    recording_id TEXT PRIMARY KEY NOT NULL CHECK (length(recording_id) BETWEEN 1 AND 64),
    -- The CDR's call_id of the call that left the message.
    call_id      TEXT NOT NULL CHECK (length(call_id) BETWEEN 1 AND 255),
    queue        TEXT NOT NULL CHECK (length(queue) BETWEEN 1 AND 100),
    -- The caller's number as the switch saw it (From user part).
    caller       TEXT NOT NULL CHECK (length(caller) BETWEEN 1 AND 255),
    -- When recording the message started.
    left_at      TEXT NOT NULL
);

-- A queue's messages, newest first.
CREATE INDEX queue_messages_queue ON queue_messages (queue, left_at);
