-- Customers and their phone numbers (SQLite).
--
-- Limits are enforced by the repository with clear messages; the CHECKs here are the last
-- line of defence against other writers. length() counts characters, like the repository.
-- Times use the same fixed-width RFC 3339 text as 0001_cdrs.sql.

CREATE TABLE customers (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Lower-cased name for case-insensitive search; SQLite's LOWER() and LIKE fold ASCII only.
    name_folded        TEXT NOT NULL,
    -- The set of grades is configured in the application; only the shape is checked here.
    grade              TEXT NOT NULL DEFAULT 'standard' CHECK (length(grade) BETWEEN 1 AND 32),
    segment            TEXT CHECK (length(segment) BETWEEN 1 AND 100),
    -- BCP 47 tag such as ko or en-GB.
    preferred_language TEXT CHECK (length(preferred_language) BETWEEN 2 AND 35),
    notes              TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 10000),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE INDEX customers_name_folded ON customers (name_folded, id);
CREATE INDEX customers_grade ON customers (grade);

CREATE TABLE customer_phones (
    -- Normalized (E.164 or a short extension). The primary key makes a number belong to one
    -- customer and is the index the IVR caller lookup uses.
    number      TEXT PRIMARY KEY NOT NULL CHECK (length(number) BETWEEN 1 AND 16),
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    label       TEXT NOT NULL CHECK (label IN ('mobile', 'home', 'work', 'other')),
    -- Order in which the numbers were given, so reads return them the same way.
    position    INTEGER NOT NULL
);

CREATE INDEX customer_phones_customer ON customer_phones (customer_id, position);
