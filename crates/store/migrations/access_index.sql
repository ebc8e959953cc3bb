
CREATE TABLE IF NOT EXISTS access_index (
    org_id BIGINT NOT NULL,
    seg BIGINT NOT NULL,
    field CHAR(1) NOT NULL,
    value TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (org_id, seg, field, value, occurred_at, idx)
){without_rowid};
-- Which segments hold an organisation's events, and the span of their times, so a search
-- skips segments that cannot hold a match or cannot make the page.
CREATE TABLE IF NOT EXISTS access_index_segments (
    org_id BIGINT NOT NULL,
    seg BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, seg)
);
-- How far the search index has come: every event below this index is in it.
CREATE TABLE IF NOT EXISTS access_index_state (
    id SMALLINT PRIMARY KEY,
    next_idx BIGINT NOT NULL
);
INSERT INTO access_index_state (id, next_idx) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
