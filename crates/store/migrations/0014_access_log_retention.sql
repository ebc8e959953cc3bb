
-- How long an organisation keeps its access events' payloads (Normen 2.3): every setting kept,
-- the latest in force; NULL days is "keep".
CREATE TABLE access_log_retention (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    keep_days BIGINT,
    set_by BIGINT REFERENCES users(id),
    set_at BIGINT NOT NULL
);
CREATE INDEX access_log_retention_org ON access_log_retention(org_id, id);

-- Each retirement: its entry in the log (`entry_idx`, a leaf whose payload is the retirement's
-- JSON), whose events it retired and how many, and when their search index rows were removed.
CREATE TABLE access_retirements (
    entry_idx {key} REFERENCES access_leaves(idx),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    count BIGINT NOT NULL,
    index_cleared_at BIGINT
);

-- Every retired event: its leaf stays, its payload is gone, and this names the retirement that
-- covers it, which `log verify` checks against the retirement's signed digest.
CREATE TABLE access_retired (
    idx {key} REFERENCES access_leaves(idx),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    entry_idx BIGINT NOT NULL REFERENCES access_leaves(idx)
);
CREATE INDEX access_retired_entry ON access_retired(entry_idx);
