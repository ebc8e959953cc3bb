-- Risk management (Normen 2.4, 3.3). The acceptance level set by top management: a matrix as
-- JSON (core::risk::Matrix), every version kept; the newest is in force.
CREATE TABLE risk_matrices (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    matrix TEXT NOT NULL,
    set_by BIGINT REFERENCES users(id),
    set_at BIGINT NOT NULL
);
CREATE INDEX risk_matrices_org ON risk_matrices(org_id, id);
-- Risk assessments: the current document as JSON (core::risk::Assessment), the matrix version
-- it is judged against, draft or approved (then frozen), the approved one it started from and
-- why it was started; every version whole in risk_assessment_versions.
CREATE TABLE risk_assessments (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    doc TEXT NOT NULL,
    matrix_id BIGINT NOT NULL REFERENCES risk_matrices(id),
    state TEXT NOT NULL,
    previous_id BIGINT REFERENCES risk_assessments(id),
    reason TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    updated_at BIGINT NOT NULL,
    approved_at BIGINT,
    approved_by BIGINT REFERENCES users(id)
);
CREATE INDEX risk_assessments_org ON risk_assessments(org_id, id);
CREATE TABLE risk_assessment_versions (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    assessment_id BIGINT NOT NULL REFERENCES risk_assessments(id),
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    state TEXT NOT NULL,
    change TEXT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (assessment_id, version)
);
-- Bumped in every transaction that changes an organisation's matrix or assessments.
CREATE TABLE risk_versions (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    version BIGINT NOT NULL
);
