
-- The record of processing (Normen 3.1): the current entry as JSON (core::processing::Record),
-- how many minimum fields it lacks, and every version kept whole.
CREATE TABLE processings (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    record TEXT NOT NULL,
    missing BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    UNIQUE (org_id, name)
);
CREATE TABLE processing_versions (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    processing_id BIGINT NOT NULL REFERENCES processings(id),
    version BIGINT NOT NULL,
    record TEXT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (processing_id, version)
);
-- The systems that support a processing; both of the same organisation (checked when linked).
CREATE TABLE processing_systems (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    processing_id BIGINT NOT NULL REFERENCES processings(id),
    system_id BIGINT NOT NULL REFERENCES systems(id),
    PRIMARY KEY (processing_id, system_id)
);
CREATE INDEX processing_systems_system ON processing_systems(org_id, system_id);
-- ICT equipment and software (Normen 3.2).
CREATE TABLE assets (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    identifier TEXT NOT NULL,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    owner TEXT NOT NULL,
    location TEXT NOT NULL,
    os TEXT NOT NULL,
    os_version TEXT NOT NULL,
    software TEXT NOT NULL,
    supplier TEXT NOT NULL,
    responsible TEXT NOT NULL,
    -- Identifier, model, location and responsible person in lower case: what the text filter
    -- searches, one column instead of four.
    search TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, identifier)
);
CREATE INDEX assets_org_kind ON assets(org_id, kind, identifier);
-- Bumped by every change to an organisation's systems or their dependencies, in the same
-- transaction, so that a register kept in memory can tell it is stale.
CREATE TABLE system_register_versions (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    version BIGINT NOT NULL
);
-- The e-mail reminders of the breach clock (24, 48 and 66 hours after awareness) sent per
-- deviation; the key makes one instance of normverk send each, however many run.
CREATE TABLE deviation_reminders (
    deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    hours BIGINT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    recipients BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (deviation_id, hours)
);
CREATE INDEX deviations_open_breach ON deviations(notice_required, notice_complete_at, aware_at);
-- The processors a controller takes deviations from (Normen 5.7/5.8), by organisation number.
CREATE TABLE deviation_processors (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    processor_org_number TEXT NOT NULL,
    added_by BIGINT REFERENCES users(id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, processor_org_number)
);
CREATE INDEX deviation_processors_number ON deviation_processors(processor_org_number);
-- A processor's deviation reported to a controller, and the deviation it became there.
CREATE TABLE deviation_forwards (
    deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    controller_org_id BIGINT NOT NULL REFERENCES orgs(id),
    controller_deviation_id BIGINT NOT NULL REFERENCES deviations(id),
    by_user BIGINT REFERENCES users(id),
    at BIGINT NOT NULL,
    PRIMARY KEY (deviation_id, controller_org_id)
);
CREATE INDEX deviation_forwards_received ON deviation_forwards(controller_deviation_id);
-- Bumped by every change to an organisation's deviations that the statistics count (a report,
-- a step), in the same transaction, so that statistics kept in memory can tell they are stale.
CREATE TABLE deviation_versions (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    version BIGINT NOT NULL
);
