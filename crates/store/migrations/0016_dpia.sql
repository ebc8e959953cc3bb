-- Data protection impact assessments (Normen 3.4) with prior consultation (3.5): the current
-- document as JSON (core::dpia::Dpia: content, the processings it covers, the risk assessment it
-- uses, the DPO's advice, management's decision, the consultation), where it stands in the
-- workflow, and every version whole in dpia_versions.
CREATE TABLE dpias (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    doc TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
CREATE INDEX dpias_org ON dpias(org_id, id);
CREATE TABLE dpia_versions (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    dpia_id BIGINT NOT NULL REFERENCES dpias(id),
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    state TEXT NOT NULL,
    change TEXT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (dpia_id, version)
);
-- How often management's regular risk assessment is due (Normen 3.3), per organisation; absent
-- means every 12 months.
CREATE TABLE risk_settings (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    regular_months BIGINT NOT NULL
);
-- The organisation's threat catalogue: normverk's threats as the organisation reworded or
-- retired them (by their code), and its own (codes own_1, own_2, …).
CREATE TABLE risk_threats (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    retired BIGINT NOT NULL,
    PRIMARY KEY (org_id, code)
);
