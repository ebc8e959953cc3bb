
-- Each check of the whole access log (`log verify`, the server's schedule, an auditor's
-- request): when, why, how far it came and what it found.
CREATE TABLE access_verifications (
    id {id},
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    cause TEXT NOT NULL,
    leaves BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    bad_index BIGINT,
    message TEXT
);
