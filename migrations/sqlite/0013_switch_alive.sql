-- The last moment the switch was known alive (SQLite), written every few seconds while it
-- runs: calls a crash left open end there at the next start, not at the restart time.
CREATE TABLE switch_alive (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    at TEXT NOT NULL
);
