-- Hold time of a completed queue call (SQLite): the part of talk_ms the call spent on hold.
-- Rows written before stay NULL, read as no hold.
ALTER TABLE queue_events ADD COLUMN hold_ms INTEGER CHECK (hold_ms >= 0);
