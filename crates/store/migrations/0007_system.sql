
-- Information systems (Normen 5.9) with their own criticality; inherited criticality is computed.
CREATE TABLE systems (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    owner TEXT NOT NULL,
    supplier TEXT NOT NULL,
    hosting TEXT NOT NULL,
    data_types TEXT NOT NULL,
    criticality TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
-- system_id depends on depends_on; both of the same organisation (checked when added).
CREATE TABLE system_dependencies (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    system_id BIGINT NOT NULL REFERENCES systems(id),
    depends_on BIGINT NOT NULL REFERENCES systems(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (system_id, depends_on)
);
CREATE INDEX system_dependencies_org ON system_dependencies(org_id);
-- The longest stop management accepts per criticality class.
CREATE TABLE criticality_downtime (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    criticality TEXT NOT NULL,
    max_downtime_hours BIGINT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, criticality)
);
-- Emergency procedures per system, and every test of them.
CREATE TABLE emergency_procedures (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    system_id BIGINT NOT NULL REFERENCES systems(id),
    title TEXT NOT NULL,
    mode TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX emergency_procedures_system ON emergency_procedures(org_id, system_id);
CREATE TABLE emergency_tests (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    procedure_id BIGINT NOT NULL REFERENCES emergency_procedures(id),
    tested_at BIGINT NOT NULL,
    result TEXT NOT NULL,
    by_user BIGINT REFERENCES users(id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX emergency_tests_procedure ON emergency_tests(procedure_id, tested_at);
