
-- One tamper-evident log per instance: leaf i holds the hash of salt ‖ JCS(event i).
CREATE TABLE access_leaves (
    idx {key},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    leaf_hash {blob} NOT NULL,
    salt {blob} NOT NULL,
    received_at BIGINT NOT NULL
);
-- The event itself, apart from its leaf, so retention can remove it while proofs stay valid.
CREATE TABLE access_payloads (
    idx {key} REFERENCES access_leaves(idx),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    occurred_at BIGINT NOT NULL,
    patient_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    unit TEXT NOT NULL,
    event_json TEXT NOT NULL
);
