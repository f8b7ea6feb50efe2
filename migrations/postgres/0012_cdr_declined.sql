-- A call the callee declined (603) has its own disposition, 'declined' (issue #15), instead of
-- 'busy'.
ALTER TABLE cdrs DROP CONSTRAINT IF EXISTS cdrs_disposition_check;
ALTER TABLE cdrs ADD CONSTRAINT cdrs_disposition_check
    CHECK (disposition IN ('answered', 'no_answer', 'busy', 'failed', 'cancelled', 'declined'));
