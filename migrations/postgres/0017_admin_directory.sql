-- Extensions, agents and accounts managed through the HTTP API (PostgreSQL).
--
-- Same shape as migrations/sqlite/0017_admin_directory.sql, with JSONB and TIMESTAMPTZ.

CREATE TABLE user_definitions (
    extension  TEXT PRIMARY KEY CHECK (char_length(extension) BETWEEN 1 AND 64),
    -- {"extension", "name", "password"}; NULL: a configuration-file user removed through the API.
    definition JSONB CHECK (definition IS NULL OR jsonb_typeof(definition) = 'object'),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 64)
);

CREATE TABLE agent_definitions (
    id         TEXT PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 100),
    definition JSONB CHECK (definition IS NULL OR jsonb_typeof(definition) = 'object'),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 64)
);

ALTER TABLE accounts ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'file'
    CHECK (managed_by IN ('file', 'api'));

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('recording.play', 'recording.download', 'queue.create', 'queue.update',
                      'queue.delete', 'agent.queues', 'agent.dial',
                      'trunk.create', 'trunk.update', 'trunk.delete',
                      'did.create', 'did.update', 'did.delete',
                      'user.create', 'user.update', 'user.delete',
                      'agent.create', 'agent.update', 'agent.delete',
                      'account.create', 'account.update', 'account.password'));
