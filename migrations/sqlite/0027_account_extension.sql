-- The phone a supervisor or admin monitors agents from (SQLite): `*96<agent>` dialled from this
-- extension monitors as the account, and the wallboard's buttons ring it. Set from the
-- configuration's `[[accounts]] extension` for the file's accounts, through the API for the
-- others; one account per extension (NULLs do not collide). Only supervisors and admins have
-- one: the repository refuses it for other roles with a clear message, the CHECK is the last
-- line of defence.
ALTER TABLE accounts ADD COLUMN extension TEXT
    CHECK (extension IS NULL
           OR (length(extension) BETWEEN 1 AND 64 AND role IN ('admin', 'supervisor')));
CREATE UNIQUE INDEX accounts_extension ON accounts (extension);
