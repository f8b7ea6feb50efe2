-- Call recordings and the contact history (PostgreSQL).
--
-- Same shape as migrations/sqlite/0005_recordings_contacts.sql, with TIMESTAMPTZ times,
-- BIGINT identity ids and the paused spans as JSONB.
-- Durations are whole milliseconds. Limits are enforced by the repository with clear messages;
-- the CHECKs here are the last line of defence against other writers.

-- recordings: one row per recording file. The switch inserts the row when recording starts
-- (status 'recording') and completes it when the file is closed; a row still 'recording' at
-- startup was cut short by a crash, and is completed as 'recovered' once the file is repaired.
-- Retention deletes the file and keeps the row as 'deleted' with when and why.
CREATE TABLE recordings (
    -- Chosen by the switch (a UUID); a repeated start with the same id is ignored.
    id             TEXT PRIMARY KEY NOT NULL CHECK (char_length(id) BETWEEN 1 AND 64),
    -- The CDR's call_id. No foreign key: the CDR's start may still be in the writer's batch.
    call_id        TEXT NOT NULL CHECK (char_length(call_id) BETWEEN 1 AND 255),
    -- Where the WAV file is (or was, once deleted).
    path           TEXT NOT NULL CHECK (char_length(path) BETWEEN 1 AND 4096),
    -- Wall-clock time of the first sample.
    started_at     TIMESTAMPTZ NOT NULL,
    -- NULL while recording.
    ended_at       TIMESTAMPTZ,
    -- Length of the audio and size of the file; NULL while recording.
    duration_ms    BIGINT CHECK (duration_ms >= 0),
    size_bytes     BIGINT CHECK (size_bytes >= 0),
    sample_rate    BIGINT NOT NULL CHECK (sample_rate > 0),
    channels       BIGINT NOT NULL CHECK (channels BETWEEN 1 AND 255),
    -- Lowercase hex SHA-256 of the final file, when it could be computed.
    sha256         TEXT CHECK (char_length(sha256) = 64),
    -- JSON array of paused spans: [{"offset_ms": 1000, "length_ms": 2500}, ...].
    paused         JSONB NOT NULL DEFAULT '[]',
    -- Audio frames lost because the writer could not keep up.
    frames_dropped BIGINT NOT NULL DEFAULT 0 CHECK (frames_dropped >= 0),
    status         TEXT NOT NULL CHECK (status IN ('recording', 'complete', 'failed',
                       'recovered', 'deleted')),
    -- Why writing failed (status 'failed', or what the repair found).
    error          TEXT CHECK (char_length(error) <= 2000),
    -- Set together with status 'deleted'.
    deleted_at     TIMESTAMPTZ,
    deleted_reason TEXT CHECK (char_length(deleted_reason) BETWEEN 1 AND 200)
);

CREATE INDEX recordings_call ON recordings (call_id);
-- Startup recovery looks only for open recordings.
CREATE INDEX recordings_open ON recordings (started_at) WHERE status = 'recording';
-- Retention scans finished, undeleted recordings by end time.
CREATE INDEX recordings_finished ON recordings (ended_at)
    WHERE status IN ('complete', 'failed', 'recovered');

-- contacts: the contact history, one row per interaction on any channel (a voice call in or
-- out, a web call; later chat and e-mail) with the customer, queue, agent, outcome and the
-- agent's wrap-up. A call has at most one contact (call_id is unique; adding it again updates
-- it). A caller who is not yet a customer is recorded by number with customer_id NULL; when a
-- customer with that number is created, or the number is added to a customer, the repository
-- attaches those contacts to the customer in the same transaction.
CREATE TABLE contacts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The CDR's call_id; NULL for contacts without a call (e-mail). No foreign key, as above.
    call_id       TEXT UNIQUE CHECK (char_length(call_id) BETWEEN 1 AND 255),
    channel       TEXT NOT NULL CHECK (channel IN ('voice_inbound', 'voice_outbound', 'web_call',
                      'chat', 'email')),
    -- The other party's number, normalized like customer_phones.number; NULL if none or not a
    -- number (anonymous).
    number        TEXT CHECK (char_length(number) BETWEEN 1 AND 16),
    customer_id   BIGINT REFERENCES customers (id) ON DELETE SET NULL,
    -- When the interaction started.
    at            TIMESTAMPTZ NOT NULL,
    queue         TEXT CHECK (char_length(queue) BETWEEN 1 AND 100),
    agent         TEXT CHECK (char_length(agent) BETWEEN 1 AND 100),
    duration_ms   BIGINT CHECK (duration_ms >= 0),
    -- answered, abandoned, no_answer, busy, failed... (lower-case words, set by the switch).
    outcome       TEXT NOT NULL CHECK (char_length(outcome) BETWEEN 1 AND 32),
    -- recordings.id of the call's recording, if any (no foreign key: either may come first).
    recording_id  TEXT CHECK (char_length(recording_id) BETWEEN 1 AND 64),
    -- The agent's wrap-up: a configured code, free notes, when and by whom. NULL until then.
    wrap_up_code  TEXT CHECK (char_length(wrap_up_code) BETWEEN 1 AND 64),
    notes         TEXT CHECK (char_length(notes) <= 4000),
    wrapped_up_at TIMESTAMPTZ,
    wrapped_up_by TEXT CHECK (char_length(wrapped_up_by) BETWEEN 1 AND 100)
);

-- A customer's history, newest first.
CREATE INDEX contacts_customer ON contacts (customer_id, at) WHERE customer_id IS NOT NULL;
-- A number's history, and attaching a new customer's unattached contacts.
CREATE INDEX contacts_number ON contacts (number, at) WHERE number IS NOT NULL;
