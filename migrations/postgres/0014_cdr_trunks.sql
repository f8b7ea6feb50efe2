-- SIP trunks (issue 16): a call that came in over a carrier's trunk, or went out over one, says
-- which trunk, in which direction, which of our numbers (DID) it was delivered to, which caller
-- ID we presented and the number as sent to the carrier. All NULL for calls between extensions.
ALTER TABLE cdrs
    ADD COLUMN direction TEXT CHECK (direction IN ('inbound', 'outbound')),
    ADD COLUMN trunk TEXT CHECK (char_length(trunk) BETWEEN 1 AND 64),
    ADD COLUMN did TEXT CHECK (char_length(did) <= 32),
    ADD COLUMN caller_id TEXT CHECK (char_length(caller_id) <= 64),
    ADD COLUMN dialled TEXT CHECK (char_length(dialled) <= 64);

CREATE INDEX cdrs_trunk ON cdrs (trunk, started_at) WHERE trunk IS NOT NULL;
