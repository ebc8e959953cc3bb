
-- Full tiles (C2SP tlog-tiles): 256 hashes each, written once by the integrator.
CREATE TABLE access_tiles (
    level SMALLINT NOT NULL,
    idx BIGINT NOT NULL,
    hashes {blob} NOT NULL,
    PRIMARY KEY (level, idx)
);
-- Every signed checkpoint; the latest is the log's head.
CREATE TABLE access_checkpoints (
    size BIGINT PRIMARY KEY,
    root {blob} NOT NULL,
    note TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
-- The partial tile of each level at the latest checkpoint: a cache the integrator replaces.
-- Nothing trusts it: proofs made from it are checked against the signed root.
CREATE TABLE access_edge (
    level SMALLINT PRIMARY KEY,
    idx BIGINT NOT NULL,
    hashes {blob} NOT NULL
);
-- The search index over events, filled behind the durable write in large sorted batches (random
-- keys indexed at write time would cost a page write per event): one row per event and field,
-- field 'p' patient, 'u' user, 'n' unit, 't' time only (value '').
CREATE TABLE access_index (
    org_id BIGINT NOT NULL,
    field CHAR(1) NOT NULL,
    value TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (org_id, field, value, occurred_at, idx)
){without_rowid};
-- How far the search index has come: every event below this index is in it.
CREATE TABLE access_index_state (
    id SMALLINT PRIMARY KEY,
    next_idx BIGINT NOT NULL
);
INSERT INTO access_index_state (id, next_idx) VALUES (1, 0);
-- A retried request with the same Idempotency-Key gets the first answer.
CREATE TABLE idempotency_keys (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    key TEXT NOT NULL,
    request_sha {blob} NOT NULL,
    first_index BIGINT NOT NULL,
    count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);
