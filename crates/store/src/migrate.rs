//! Schema migrations, written once for both engines.
//!
//! Each step is SQL with placeholders that differ between the engines: `{id}` for an
//! auto-incrementing primary key, `{key}` for a 64-bit primary key the program assigns (the
//! rowid on SQLite), `{blob}` for bytes and `{without_rowid}` after a table clustered by its
//! primary key. Steps are applied in order, each in its
//! own transaction, and recorded in `schema_migrations`. A database whose version is newer than
//! this binary knows is refused, never touched.

use crate::db::{read, Pools, Store, StoreError, StoreResult};

struct Step {
    version: i64,
    name: &'static str,
    sql: &'static str,
    /// Statements only one engine understands (triggers), run after `sql`.
    sqlite_only: &'static str,
    postgres_only: &'static str,
}

const STEPS: &[Step] = &[
    Step { version: 1, name: "organisations, accounts, sessions, tokens", sql: V1, sqlite_only: "", postgres_only: "" },
    Step {
        version: 2,
        name: "self-assessment rounds, answers, history, evidence",
        sql: V2,
        sqlite_only: "",
        postgres_only: "",
    },
    Step {
        version: 3,
        name: "access log leaves and payloads, append-only",
        sql: V3,
        sqlite_only: V3_SQLITE,
        postgres_only: V3_POSTGRES,
    },
    Step {
        version: 4,
        name: "access log tiles, checkpoints, edge, search index; idempotency keys",
        sql: V4,
        sqlite_only: V4_SQLITE,
        postgres_only: V4_POSTGRES,
    },
    Step { version: 5, name: "message scanner settings and statistics", sql: V5, sqlite_only: "", postgres_only: "" },
    Step {
        version: 6,
        name: "deviations, their steps, measures, notices and reads",
        sql: V6,
        sqlite_only: "",
        postgres_only: "",
    },
    Step {
        version: 7,
        name: "information systems and their dependencies",
        sql: V7,
        sqlite_only: "",
        postgres_only: "",
    },
    Step {
        version: 8,
        name: "record of processing with versions and systems; asset inventory; register versions; breach reminders; processors reporting to controllers",
        sql: V8,
        sqlite_only: "",
        postgres_only: "",
    },
    Step {
        version: 9,
        name: "access log search index in segments, on SQLite in a file of its own",
        sql: V9,
        sqlite_only: "",
        postgres_only: SEARCH_SCHEMA,
    },
];

/// The schema version this binary writes and expects.
pub const SCHEMA_VERSION: i64 = STEPS[STEPS.len() - 1].version;

const V9: &str = r#"
-- The search index moves: on SQLite into a file of its own beside the database (see
-- `SEARCH_SCHEMA`), on PostgreSQL into segments. It is derived from the events, so the old one
-- is dropped and the indexer rebuilds the new one from index 0.
DROP TABLE access_index;
DROP TABLE access_index_state;
"#;

/// The search index over access events, in segments of 65,536 log indexes (`seg` = idx /
/// 65,536): a batch only touches its own segment's pages, so indexing costs the same at ten
/// million events as at ten thousand, and a search asks each segment that may hold matches.
/// One row per event and field: 'p' patient, 'u' user, 'n' unit, 't' time only (value '').
/// On PostgreSQL part of step 9; on SQLite the schema of the search file, which has its own
/// writer so that indexing never holds up the log's, and is rebuilt when missing.
pub(crate) const SEARCH_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS access_index (
    org_id BIGINT NOT NULL,
    seg BIGINT NOT NULL,
    field CHAR(1) NOT NULL,
    value TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (org_id, seg, field, value, occurred_at, idx)
){without_rowid};
-- Which segments hold an organisation's events, and the span of their times, so a search
-- skips segments that cannot hold a match or cannot make the page.
CREATE TABLE IF NOT EXISTS access_index_segments (
    org_id BIGINT NOT NULL,
    seg BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, seg)
);
-- How far the search index has come: every event below this index is in it.
CREATE TABLE IF NOT EXISTS access_index_state (
    id SMALLINT PRIMARY KEY,
    next_idx BIGINT NOT NULL
);
INSERT INTO access_index_state (id, next_idx) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
"#;

const V8: &str = r#"
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
"#;

const V7: &str = r#"
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
"#;

const V6: &str = r#"
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
"#;

const V5: &str = r#"
-- An organisation's scanner settings (dlp::Config as JSON), every version kept.
CREATE TABLE dlp_settings (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    version BIGINT NOT NULL,
    config TEXT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, version)
);
-- What the scanner saw, as counts only: never a message, never a span.
CREATE TABLE dlp_stats (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    day BIGINT NOT NULL,
    channel TEXT NOT NULL,
    verdict TEXT NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, channel, verdict)
);
CREATE TABLE dlp_stats_kinds (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    findings BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, kind)
);
"#;

const V3: &str = r#"
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
"#;

const V4: &str = r#"
-- Full tiles (C2SP tlog-tiles): 256 hashes each, written once by the integrator.
CREATE TABLE access_tiles (
    level SMALLINT NOT NULL,
    idx BIGINT NOT NULL,
    hashes {blob} NOT NULL,
    PRIMARY KEY (level, idx)
);
-- Every signed checkpoint; the latest is the log's head.
CREATE TABLE access_checkpoints (
    size BIGINT PRIMARY KEY,
    root {blob} NOT NULL,
    note TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
-- The partial tile of each level at the latest checkpoint: a cache the integrator replaces.
-- Nothing trusts it: proofs made from it are checked against the signed root.
CREATE TABLE access_edge (
    level SMALLINT PRIMARY KEY,
    idx BIGINT NOT NULL,
    hashes {blob} NOT NULL
);
-- The search index over events, filled behind the durable write in large sorted batches (random
-- keys indexed at write time would cost a page write per event): one row per event and field,
-- field 'p' patient, 'u' user, 'n' unit, 't' time only (value '').
CREATE TABLE access_index (
    org_id BIGINT NOT NULL,
    field CHAR(1) NOT NULL,
    value TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (org_id, field, value, occurred_at, idx)
){without_rowid};
-- How far the search index has come: every event below this index is in it.
CREATE TABLE access_index_state (
    id SMALLINT PRIMARY KEY,
    next_idx BIGINT NOT NULL
);
INSERT INTO access_index_state (id, next_idx) VALUES (1, 0);
-- A retried request with the same Idempotency-Key gets the first answer.
CREATE TABLE idempotency_keys (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    key TEXT NOT NULL,
    request_sha {blob} NOT NULL,
    first_index BIGINT NOT NULL,
    count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);
"#;

const V4_SQLITE: &str = r#"
CREATE TRIGGER access_tiles_no_update BEFORE UPDATE ON access_tiles
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_tiles_no_delete BEFORE DELETE ON access_tiles
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_checkpoints_no_update BEFORE UPDATE ON access_checkpoints
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_checkpoints_no_delete BEFORE DELETE ON access_checkpoints
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
"#;

const V4_POSTGRES: &str = r#"
CREATE TRIGGER access_tiles_no_change BEFORE UPDATE OR DELETE ON access_tiles
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_tiles_no_truncate BEFORE TRUNCATE ON access_tiles
    FOR EACH STATEMENT EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_checkpoints_no_change BEFORE UPDATE OR DELETE ON access_checkpoints
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_checkpoints_no_truncate BEFORE TRUNCATE ON access_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION normverk_append_only();
"#;

const V3_SQLITE: &str = r#"
CREATE TRIGGER access_leaves_no_update BEFORE UPDATE ON access_leaves
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_leaves_no_delete BEFORE DELETE ON access_leaves
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_payloads_no_update BEFORE UPDATE ON access_payloads
BEGIN SELECT RAISE(ABORT, 'access events cannot be changed'); END;
"#;

const V3_POSTGRES: &str = r#"
CREATE FUNCTION normverk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the access log is append-only'; END $$;
CREATE TRIGGER access_leaves_no_change BEFORE UPDATE OR DELETE ON access_leaves
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_leaves_no_truncate BEFORE TRUNCATE ON access_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION normverk_append_only();
CREATE TRIGGER access_payloads_no_update BEFORE UPDATE ON access_payloads
    FOR EACH ROW EXECUTE FUNCTION normverk_append_only();
"#;

const V2: &str = r#"
CREATE TABLE assessment_rounds (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    catalog TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    previous_round_id BIGINT REFERENCES assessment_rounds(id),
    started_at BIGINT NOT NULL,
    started_by BIGINT REFERENCES users(id),
    frozen_at BIGINT,
    frozen_by BIGINT REFERENCES users(id)
);
CREATE INDEX assessment_rounds_org ON assessment_rounds(org_id);
CREATE TABLE assessment_answers (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    round_id BIGINT NOT NULL REFERENCES assessment_rounds(id),
    requirement_id TEXT NOT NULL,
    status TEXT NOT NULL,
    justification TEXT,
    comment TEXT,
    responsible_user_id BIGINT REFERENCES users(id),
    due_date TEXT,
    evidence_link TEXT,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    PRIMARY KEY (round_id, requirement_id)
);
-- Every change to an answer: who, when, the answer before and after (JSON).
CREATE TABLE assessment_history (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    round_id BIGINT NOT NULL REFERENCES assessment_rounds(id),
    requirement_id TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    before_json TEXT,
    after_json TEXT NOT NULL
);
CREATE INDEX assessment_history_answer ON assessment_history(round_id, requirement_id);
-- Uploaded files, stored once per content (SHA-256, hex).
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content {blob} NOT NULL
);
CREATE TABLE assessment_evidence (
    id {id},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    round_id BIGINT NOT NULL REFERENCES assessment_rounds(id),
    requirement_id TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by BIGINT REFERENCES users(id)
);
CREATE INDEX assessment_evidence_answer ON assessment_evidence(round_id, requirement_id);
"#;

const V1: &str = r#"
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
"#;

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from_version: i64,
    pub to_version: i64,
}

impl Store {
    /// The schema version recorded in the database (0 for an empty database).
    pub async fn schema_version(&self) -> StoreResult<i64> {
        self.ensure_migrations_table().await?;
        let version: Option<i64> =
            read!(self, |c| sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations").fetch_one(c).await?);
        Ok(version.unwrap_or(0))
    }

    /// Applies the steps this database lacks. Refuses a database newer than this binary.
    pub async fn migrate(&self) -> StoreResult<MigrationReport> {
        let from_version = self.schema_version().await?;
        if from_version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew { found: from_version, supported: SCHEMA_VERSION });
        }
        for step in STEPS.iter().filter(|s| s.version > from_version) {
            self.apply(step).await?;
            tracing::info!(version = step.version, name = step.name, "applied migration");
        }
        Ok(MigrationReport { from_version, to_version: SCHEMA_VERSION })
    }

    /// Refuses to run against a database that is not exactly at this binary's schema version.
    pub async fn require_current_schema(&self) -> StoreResult<()> {
        match self.schema_version().await? {
            v if v > SCHEMA_VERSION => Err(StoreError::SchemaTooNew { found: v, supported: SCHEMA_VERSION }),
            v if v < SCHEMA_VERSION => Err(StoreError::SchemaTooOld { found: v, expected: SCHEMA_VERSION }),
            _ => Ok(()),
        }
    }

    async fn ensure_migrations_table(&self) -> StoreResult<()> {
        const SQL: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                sqlx::query(SQL).execute(write).await?;
            }
            Pools::Postgres(pool) => {
                sqlx::query(SQL).execute(pool).await?;
            }
        }
        Ok(())
    }

    async fn apply(&self, step: &Step) -> StoreResult<()> {
        let now = crate::unix_now();
        const RECORD: &str = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                let sql = for_sqlite(&(step.sql.to_string() + step.sqlite_only));
                let mut tx = write.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::raw_sql(&sql).execute(&mut *tx).await?;
                sqlx::query(RECORD).bind(step.version).bind(step.name).bind(now).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            Pools::Postgres(pool) => {
                let sql = for_postgres(&(step.sql.to_string() + step.postgres_only));
                let mut tx = pool.begin().await?;
                // Two processes starting at once must not both migrate.
                sqlx::query("LOCK TABLE schema_migrations IN EXCLUSIVE MODE").execute(&mut *tx).await?;
                let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(step.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                if done.is_none() {
                    sqlx::raw_sql(&sql).execute(&mut *tx).await?;
                    sqlx::query(RECORD).bind(step.version).bind(step.name).bind(now).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// A step's SQL with SQLite's words for the placeholders.
pub(crate) fn for_sqlite(sql: &str) -> String {
    sql.replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT")
        .replace("{key}", "INTEGER PRIMARY KEY")
        .replace("{without_rowid}", " WITHOUT ROWID")
        .replace("{blob}", "BLOB")
}

/// A step's SQL with PostgreSQL's words for the placeholders.
fn for_postgres(sql: &str) -> String {
    sql.replace("{id}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
        .replace("{key}", "BIGINT PRIMARY KEY")
        .replace("{without_rowid}", "")
        .replace("{blob}", "BYTEA")
}
