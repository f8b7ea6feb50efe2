-- Queues and agents' memberships managed through the HTTP API (PostgreSQL).
--
-- Same shape as migrations/sqlite/0008_queue_admin.sql, with JSONB and TIMESTAMPTZ.

CREATE TABLE acd_queue_definitions (
    name       TEXT PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 64),
    -- The queue as a JSON object with the [[queues]] keys. NULL marks a configuration-file
    -- queue removed through the API: it stays removed at the next start.
    definition JSONB CHECK (definition IS NULL OR jsonb_typeof(definition) = 'object'),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 64)
);

CREATE TABLE acd_agent_memberships (
    agent_id   TEXT PRIMARY KEY CHECK (char_length(agent_id) BETWEEN 1 AND 100),
    -- JSON array of {"queue": name, "weight": n, "order": n}.
    queues     JSONB NOT NULL CHECK (jsonb_typeof(queues) = 'array'),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 64)
);

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('recording.play', 'recording.download', 'queue.create', 'queue.update',
                      'queue.delete', 'agent.queues'));
