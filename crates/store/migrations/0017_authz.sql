-- The authorization register (Normen 5.2.1.1). People the register is about (employees and
-- others, from HR or entered; not necessarily users of normverk), with their unit and the day
-- they leave.
CREATE TABLE people (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    hpr TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    unit_id BIGINT REFERENCES units(id),
    ends_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX people_org ON people(org_id, name);
-- An authorisation's identity: whose it is. Its content is only ever appended, in
-- authz_events (grant, change, revoke; the grant whole in each), never updated in place.
CREATE TABLE authorisations (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX authorisations_person ON authorisations(org_id, person_id);
CREATE TABLE authz_events (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    authorisation_id BIGINT NOT NULL REFERENCES authorisations(id),
    kind TEXT NOT NULL,
    doc TEXT NOT NULL,
    reason TEXT NOT NULL,
    by_user BIGINT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX authz_events_authorisation ON authz_events(authorisation_id, id);
CREATE INDEX authz_events_org ON authz_events(org_id, id);
-- Role templates (rollemal): a role, a purpose and rights per system, to grant from.
CREATE TABLE role_templates (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX role_templates_name ON role_templates(org_id, name);
