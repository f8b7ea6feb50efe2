-- When an account's bearer token was last used (SQLite), as a session's last_seen: written at
-- most once a minute per token, cleared when the token changes.
ALTER TABLE accounts ADD COLUMN token_last_used_at TEXT;
