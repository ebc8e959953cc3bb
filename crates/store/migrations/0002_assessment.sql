
CREATE TABLE assessment_rounds (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    catalog TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    previous_round_id BIGINT REFERENCES assessment_rounds(id),
    started_at BIGINT NOT NULL,
    started_by BIGINT REFERENCES users(id),
    frozen_at BIGINT,
    frozen_by BIGINT REFERENCES users(id)
);
CREATE INDEX assessment_rounds_org ON assessment_rounds(org_id);
CREATE TABLE assessment_answers (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    round_id BIGINT NOT NULL REFERENCES assessment_rounds(id),
    requirement_id TEXT NOT NULL,
    status TEXT NOT NULL,
    justification TEXT,
    comment TEXT,
    responsible_user_id BIGINT REFERENCES users(id),
    due_date TEXT,
    evidence_link TEXT,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    PRIMARY KEY (round_id, requirement_id)
);
-- Every change to an answer: who, when, the answer before and after (JSON).
CREATE TABLE assessment_history (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    round_id BIGINT NOT NULL REFERENCES assessment_rounds(id),
    requirement_id TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    before_json TEXT,
    after_json TEXT NOT NULL
);
CREATE INDEX assessment_history_answer ON assessment_history(round_id, requirement_id);
-- Uploaded files, stored once per content (SHA-256, hex).
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content {blob} NOT NULL
);
CREATE TABLE assessment_evidence (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    round_id BIGINT NOT NULL REFERENCES assessment_rounds(id),
    requirement_id TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by BIGINT REFERENCES users(id)
);
CREATE INDEX assessment_evidence_answer ON assessment_evidence(round_id, requirement_id);
