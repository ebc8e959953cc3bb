-- Access reviews (Normen 5.2.3): campaigns — yearly, on a transfer, after a breach — split by
-- the manager of each person's unit. Each line holds the authorisation as it stood when the
-- campaign started, and the manager's answer; a completed campaign is frozen (closed_at).
CREATE TABLE access_reviews (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    deadline TEXT NOT NULL,
    deviation_id BIGINT REFERENCES deviations(id),
    person_id BIGINT REFERENCES people(id),
    -- After a breach, the systems reviewed (a JSON array of ids); [] for all.
    systems TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX access_reviews_org ON access_reviews(org_id, id);
CREATE TABLE review_items (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    review_id BIGINT NOT NULL REFERENCES access_reviews(id),
    authorisation_id BIGINT NOT NULL REFERENCES authorisations(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    manager_id BIGINT REFERENCES users(id),
    doc TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at BIGINT
);
CREATE INDEX review_items_review ON review_items(review_id, manager_id, id);
-- Reminders sent about a campaign, once per person and stage (started, soon due, overdue).
CREATE TABLE review_reminders (
    review_id BIGINT NOT NULL REFERENCES access_reviews(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    stage TEXT NOT NULL,
    PRIMARY KEY (review_id, user_id, stage)
);
CREATE TABLE authz_settings (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    review_months BIGINT NOT NULL
);
-- SCIM 2.0 provisioning (RFC 7643/7644): the IAM's names for people, and its groups, which
-- map to role templates by name.
ALTER TABLE people ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
-- userName is not case-sensitive (RFC 7643): unique and looked up in lower case.
CREATE UNIQUE INDEX people_user_name ON people(org_id, LOWER(user_name)) WHERE user_name <> '';
CREATE INDEX people_employee ON people(org_id, employee_id);
CREATE INDEX people_external ON people(org_id, external_id);
CREATE TABLE scim_groups (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    display_name TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scim_groups_name ON scim_groups(org_id, display_name);
CREATE TABLE scim_members (
    group_id BIGINT NOT NULL REFERENCES scim_groups(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    PRIMARY KEY (group_id, person_id)
);
