-- Customers and their phone numbers (PostgreSQL). Same shape as
-- migrations/sqlite/0002_customers.sql, with an identity id and TIMESTAMPTZ times.

CREATE TABLE customers (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- Lower-cased by the repository, so both backends search the same way.
    name_folded        TEXT NOT NULL,
    -- The set of grades is configured in the application; only the shape is checked here.
    grade              TEXT NOT NULL DEFAULT 'standard' CHECK (char_length(grade) BETWEEN 1 AND 32),
    segment            TEXT CHECK (char_length(segment) BETWEEN 1 AND 100),
    -- BCP 47 tag such as ko or en-GB.
    preferred_language TEXT CHECK (char_length(preferred_language) BETWEEN 2 AND 35),
    notes              TEXT NOT NULL DEFAULT '' CHECK (char_length(notes) <= 10000),
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE INDEX customers_name_folded ON customers (name_folded, id);
CREATE INDEX customers_grade ON customers (grade);

CREATE TABLE customer_phones (
    -- Normalized (E.164 or a short extension). The primary key makes a number belong to one
    -- customer and is the index the IVR caller lookup uses.
    number      TEXT PRIMARY KEY CHECK (char_length(number) BETWEEN 1 AND 16),
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    label       TEXT NOT NULL CHECK (label IN ('mobile', 'home', 'work', 'other')),
    -- Order in which the numbers were given, so reads return them the same way.
    position    INTEGER NOT NULL
);

CREATE INDEX customer_phones_customer ON customer_phones (customer_id, position);
