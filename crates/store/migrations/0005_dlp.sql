
-- An organisation's scanner settings (dlp::Config as JSON), every version kept.
CREATE TABLE dlp_settings (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    version BIGINT NOT NULL,
    config TEXT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, version)
);
-- What the scanner saw, as counts only: never a message, never a span.
CREATE TABLE dlp_stats (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    day BIGINT NOT NULL,
    channel TEXT NOT NULL,
    verdict TEXT NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, channel, verdict)
);
CREATE TABLE dlp_stats_kinds (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    findings BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, kind)
);
