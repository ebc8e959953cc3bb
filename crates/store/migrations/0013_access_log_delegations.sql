
-- An organisation lets another log accesses for it (a regional health authority, or a supplier
-- running the EHR for the organisations it serves): events naming `org_id`'s number, sent with
-- `delegate_org_id`'s token, are stored in `org_id`'s view. Granted and revoked by `org_id`;
-- a row is never deleted, so who could log for whom, and when, stays known.
CREATE TABLE access_log_delegations (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    delegate_org_id BIGINT NOT NULL REFERENCES orgs(id),
    granted_by BIGINT REFERENCES users(id),
    granted_at BIGINT NOT NULL,
    revoked_by BIGINT REFERENCES users(id),
    revoked_at BIGINT
);
CREATE INDEX access_log_delegations_org ON access_log_delegations(org_id);
-- At most one authorisation in force per pair, whoever grants at the same moment.
CREATE UNIQUE INDEX access_log_delegations_in_force ON access_log_delegations(org_id, delegate_org_id)
    WHERE revoked_at IS NULL;
CREATE INDEX access_log_delegations_delegate ON access_log_delegations(delegate_org_id);
