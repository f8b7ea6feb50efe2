-- The audit log records click-to-dial calls placed through the HTTP API (`agent.dial`); the
-- list keeps every action of 0015 (trunks and DIDs managed through the API).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('recording.play', 'recording.download', 'queue.create', 'queue.update',
                      'queue.delete', 'agent.queues', 'agent.dial', 'trunk.create',
                      'trunk.update', 'trunk.delete', 'did.create', 'did.update',
                      'did.delete'));
