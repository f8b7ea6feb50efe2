-- Trunks and DIDs managed through the HTTP API (PostgreSQL). Same shape as
-- migrations/sqlite/0015_trunk_admin.sql, with JSONB and TIMESTAMPTZ.

CREATE TABLE trunk_definitions (
    name       TEXT PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 64),
    definition JSONB CHECK (definition IS NULL OR jsonb_typeof(definition) = 'object'),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 64)
);

CREATE TABLE did_definitions (
    number     TEXT PRIMARY KEY CHECK (char_length(number) BETWEEN 1 AND 32),
    definition JSONB CHECK (definition IS NULL OR jsonb_typeof(definition) = 'object'),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 64)
);

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('recording.play', 'recording.download', 'queue.create', 'queue.update',
                      'queue.delete', 'agent.queues', 'trunk.create', 'trunk.update',
                      'trunk.delete', 'did.create', 'did.update', 'did.delete'));
