-- The last moment the switch was known alive (PostgreSQL), written every few seconds while it
-- runs: calls a crash left open end there at the next start, not at the restart time.
CREATE TABLE switch_alive (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TIMESTAMPTZ NOT NULL
);
