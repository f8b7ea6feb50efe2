-- Dialplan variables of each call (menu choices, masked account numbers, language...), as one
-- JSON object of string values. Rows written before this migration, open calls and recovered
-- records hold '{}'. The repository enforces the size limits before writing.
ALTER TABLE cdrs ADD COLUMN vars JSONB NOT NULL DEFAULT '{}'::jsonb
    CHECK (jsonb_typeof(vars) = 'object');
