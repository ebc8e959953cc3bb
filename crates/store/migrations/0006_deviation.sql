
-- Deviations (Normen 5.8). Times are Unix seconds, UTC.
CREATE TABLE deviations (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    aware_at BIGINT NOT NULL,
    unit_id BIGINT REFERENCES units(id),
    system TEXT,
    category TEXT NOT NULL,
    patients_concerned BOOLEAN NOT NULL,
    immediate_actions TEXT NOT NULL,
    reporter_id BIGINT REFERENCES users(id),
    state TEXT NOT NULL,
    kind TEXT,
    severity TEXT,
    personal_data_breach BOOLEAN,
    consequences BOOLEAN,
    notice_required BOOLEAN NOT NULL,
    notice_complete_at BIGINT,
    subject_decision TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    UNIQUE (org_id, number)
);
CREATE INDEX deviations_org ON deviations(org_id, id);
CREATE INDEX deviations_org_reporter ON deviations(org_id, reporter_id, id);
CREATE INDEX deviations_org_open_breach ON deviations(org_id, notice_required, notice_complete_at, aware_at);
-- Every step of the workflow: who, when, with which fields (JSON).
CREATE TABLE deviation_steps (
    id {id},
    deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    to_state TEXT NOT NULL,
    fields TEXT NOT NULL,
    by_user BIGINT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX deviation_steps_deviation ON deviation_steps(deviation_id, id);
CREATE TABLE deviation_measures (
    id {id},
    deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    description TEXT NOT NULL,
    owner TEXT NOT NULL,
    deadline TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX deviation_measures_deviation ON deviation_measures(deviation_id, id);
CREATE INDEX deviation_measures_org_deadline ON deviation_measures(org_id, deadline);
-- Notices to Datatilsynet, staged; content as JSON.
CREATE TABLE deviation_notices (
    id {id},
    deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    stage TEXT NOT NULL,
    content TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    late BOOLEAN NOT NULL,
    recorded_by BIGINT REFERENCES users(id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX deviation_notices_deviation ON deviation_notices(deviation_id, id);
-- Deviations can hold patient data: every read is recorded.
CREATE TABLE deviation_reads (
    deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX deviation_reads_deviation ON deviation_reads(deviation_id, at);
-- Personnel reactions: seen only by the security lead and top management.
CREATE TABLE deviation_reactions (
    id {id},
    deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person TEXT NOT NULL,
    reaction TEXT NOT NULL,
    note TEXT NOT NULL,
    by_user BIGINT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX deviation_reactions_deviation ON deviation_reactions(deviation_id, id);
-- How many deviations sharing a category or system within 12 months call for a new risk
-- assessment (Normen 5.8.1: "ved gjentatte avvik"); 3 when no row.
CREATE TABLE deviation_settings (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    repeat_threshold BIGINT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL
);
CREATE INDEX deviations_org_aware ON deviations(org_id, aware_at);
-- Covers the statistics: counts per category, system, severity and unit stream out of it.
CREATE INDEX deviations_org_groups ON deviations(org_id, category, system, severity, unit_id, aware_at, closed_at);
