
CREATE TABLE orgs (
    id {id},
    name TEXT NOT NULL,
    org_number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES orgs(id),
    created_at BIGINT NOT NULL
);
CREATE TABLE units (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    parent_id BIGINT REFERENCES units(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX units_org ON units(org_id);
CREATE TABLE users (
    id {id},
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    locale TEXT,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
-- Sign-in through an identity provider (HelseID, Entra ID, Keycloak): one account may have
-- several external identities; password_hash stays NULL for accounts that only use them.
CREATE TABLE external_identities (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id),
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE TABLE memberships (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, role)
);
CREATE INDEX memberships_user ON memberships(user_id);
CREATE TABLE manager_units (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    PRIMARY KEY (org_id, user_id, unit_id)
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    org_id BIGINT REFERENCES orgs(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens(org_id);
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
