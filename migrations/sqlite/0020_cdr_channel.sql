-- The channel a call came in on, a dimension of the reports (docs/metrics.md, "Channels").
-- `voice`: phones and trunks (every call before this migration); `web`: browser calls. Set
-- through a CdrLink; NOT NULL with a default, so existing rows and writers that never name a
-- channel stay `voice`.
ALTER TABLE cdrs ADD COLUMN channel TEXT NOT NULL DEFAULT 'voice'
    CHECK (channel IN ('voice', 'web'));
