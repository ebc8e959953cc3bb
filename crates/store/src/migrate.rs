//! Schema migrations: numbered SQL files in `crates/store/migrations/`, written once for both
//! engines.
//!
//! A step is `NNNN_<feature>.sql`, with `NNNN_<feature>.sqlite.sql` or `.postgres.sql` beside it
//! only for statements one engine alone understands (triggers). The SQL uses placeholders where
//! the engines differ: `{id}` for an auto-incrementing primary key, `{key}` for a 64-bit primary
//! key the program assigns (the rowid on SQLite), `{blob}` for bytes and `{without_rowid}` after
//! a table clustered by its primary key. Steps are applied in order, each in its own
//! transaction that first takes the migration lock and checks again that the step is still
//! pending, and recorded in `schema_migrations` with the SHA-256 of the SQL applied. At every
//! start the recorded checksums are compared with this binary's: a released step edited
//! afterwards is refused by name. A database whose version is newer than this binary knows is
//! refused, never touched. From step 10 on, a step holds one feature; the released steps keep
//! the shape they were applied in (step 8 holds five).

use crate::db::{for_postgres, for_sqlite, read, Pools, Store, StoreError, StoreResult, SEARCH_SCHEMA};
use sha2::{Digest, Sha256};

pub(crate) struct Step {
    pub version: i64,
    /// The file's name without `.sql`, e.g. `0007_system`.
    pub file: &'static str,
    /// What the step brings, as recorded in `schema_migrations`.
    pub name: &'static str,
    sql: &'static str,
    /// Statements only one engine understands (triggers), run after `sql`.
    sqlite_only: &'static str,
    postgres_only: &'static str,
}

macro_rules! step {
    ($version:literal, $file:literal, $name:literal $(, sqlite: $sqlite:expr)? $(, postgres: $postgres:expr)?) => {
        Step {
            version: $version,
            file: $file,
            name: $name,
            sql: include_str!(concat!("../migrations/", $file, ".sql")),
            sqlite_only: step!(@opt $($sqlite)?),
            postgres_only: step!(@opt $($postgres)?),
        }
    };
    (@opt $part:expr) => { $part };
    (@opt) => { "" };
}

pub(crate) const STEPS: &[Step] = &[
    step!(1, "0001_accounts", "organisations, accounts, sessions, tokens"),
    step!(2, "0002_assessment", "self-assessment rounds, answers, history, evidence"),
    step!(3, "0003_access_log", "access log leaves and payloads, append-only",
        sqlite: include_str!("../migrations/0003_access_log.sqlite.sql"),
        postgres: include_str!("../migrations/0003_access_log.postgres.sql")),
    step!(4, "0004_access_log_tiles", "access log tiles, checkpoints, edge, search index; idempotency keys",
        sqlite: include_str!("../migrations/0004_access_log_tiles.sqlite.sql"),
        postgres: include_str!("../migrations/0004_access_log_tiles.postgres.sql")),
    step!(5, "0005_dlp", "message scanner settings and statistics"),
    step!(6, "0006_deviation", "deviations, their steps, measures, notices and reads"),
    step!(7, "0007_system", "information systems and their dependencies"),
    step!(8, "0008_processing_asset_reminders", "record of processing with versions and systems; asset inventory; register versions; breach reminders; processors reporting to controllers"),
    step!(9, "0009_access_log_search_segments", "access log search index in segments, on SQLite in a file of its own",
        postgres: SEARCH_SCHEMA),
    step!(10, "0010_token_scopes_per_operation", "API tokens keep what they could do as each operation names its scope"),
    step!(11, "0011_access_verifications", "the access log's checks, with what each found"),
    step!(12, "0012_deviation_patient", "the patient a deviation concerns"),
    step!(13, "0013_access_log_delegations", "organisations that log accesses for others"),
    step!(14, "0014_access_log_retention", "how long access events are kept, and their retirements"),
    step!(15, "0015_risk", "the acceptance level and risk assessments"),
    step!(16, "0016_dpia", "data protection impact assessments and prior consultation"),
    step!(17, "0017_authz", "the authorization register: people, authorisations and their history"),
    step!(18, "0018_reviews", "access reviews; SCIM provisioning of people and groups; the register append-only",
        sqlite: include_str!("../migrations/0018_reviews.sqlite.sql"),
        postgres: include_str!("../migrations/0018_reviews.postgres.sql")),
    step!(19, "0019_review_lines", "review lines checked against their review only, on PostgreSQL",
        postgres: include_str!("../migrations/0019_review_lines.postgres.sql")),
    step!(20, "0020_access_openings", "the values of access events' sealed fields, beside the events"),
];

/// The schema version this binary writes and expects.
pub const SCHEMA_VERSION: i64 = STEPS[STEPS.len() - 1].version;

impl Step {
    /// The SQL this step runs on `postgres` or SQLite, placeholders still in.
    fn text(&self, postgres: bool) -> String {
        self.sql.to_string() + if postgres { self.postgres_only } else { self.sqlite_only }
    }

    /// The SHA-256 (hex) of the SQL this step runs on the engine.
    pub(crate) fn checksum(&self, postgres: bool) -> String {
        Sha256::digest(self.text(postgres).as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

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

    /// Applies the steps this database lacks, after checking that the steps it has are this
    /// binary's. Refuses a database newer than this binary.
    pub async fn migrate(&self) -> StoreResult<MigrationReport> {
        self.migrate_to(SCHEMA_VERSION).await
    }

    /// Applies the steps up to `version` (for tests that upgrade from an earlier version).
    #[cfg(feature = "testing")]
    pub async fn migrate_to_version(&self, version: i64) -> StoreResult<MigrationReport> {
        self.migrate_to(version).await
    }

    async fn migrate_to(&self, version: i64) -> StoreResult<MigrationReport> {
        let from_version = self.schema_version().await?;
        if from_version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew { found: from_version, supported: SCHEMA_VERSION });
        }
        self.check_applied(true).await?;
        for step in STEPS.iter().filter(|s| s.version > from_version && s.version <= version) {
            if self.apply(step).await? {
                tracing::info!(version = step.version, name = step.name, "applied migration");
            }
        }
        Ok(MigrationReport { from_version, to_version: version.min(SCHEMA_VERSION) })
    }

    /// Refuses to run against a database that is not exactly at this binary's schema version, or
    /// whose applied steps are not this binary's.
    pub async fn require_current_schema(&self) -> StoreResult<()> {
        match self.schema_version().await? {
            v if v > SCHEMA_VERSION => Err(StoreError::SchemaTooNew { found: v, supported: SCHEMA_VERSION }),
            v if v < SCHEMA_VERSION => Err(StoreError::SchemaTooOld { found: v, expected: SCHEMA_VERSION }),
            _ => self.check_applied(false).await,
        }
    }

    /// Compares every applied step's recorded checksum with this binary's. A step applied by a
    /// binary from before checksums were kept has none; with `record`, it is given this binary's.
    async fn check_applied(&self, record: bool) -> StoreResult<()> {
        let postgres = matches!(self.pools, Pools::Postgres(_));
        let applied: Vec<(i64, Option<String>)> =
            read!(self, |c| sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(c)
                .await?);
        for (version, recorded) in applied {
            let Some(step) = STEPS.iter().find(|s| s.version == version) else { continue };
            let expected = step.checksum(postgres);
            match recorded {
                Some(r) if r == expected => {}
                Some(_) => return Err(StoreError::MigrationChanged { version, file: format!("{}.sql", step.file) }),
                None if record => {
                    const SQL: &str =
                        "UPDATE schema_migrations SET checksum = $1 WHERE version = $2 AND checksum IS NULL";
                    match &self.pools {
                        Pools::Sqlite { write, .. } => {
                            sqlx::query(SQL).bind(&expected).bind(version).execute(write).await?;
                        }
                        Pools::Postgres(pool) => {
                            sqlx::query(SQL).bind(&expected).bind(version).execute(pool).await?;
                        }
                    }
                }
                None => {}
            }
        }
        Ok(())
    }

    async fn ensure_migrations_table(&self) -> StoreResult<()> {
        const SQL: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT)";
        // Tables made before checksums were kept gain the column.
        const PROBE: &str = "SELECT checksum FROM schema_migrations LIMIT 1";
        const ADD: &str = "ALTER TABLE schema_migrations ADD COLUMN checksum TEXT";
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                sqlx::query(SQL).execute(write).await?;
                if sqlx::query(PROBE).fetch_optional(write).await.is_err() {
                    if let Err(e) = sqlx::query(ADD).execute(write).await {
                        if !e.to_string().contains("duplicate column") {
                            return Err(e.into());
                        }
                    }
                }
            }
            Pools::Postgres(pool) => {
                sqlx::query(SQL).execute(pool).await?;
                if sqlx::query(PROBE).fetch_optional(pool).await.is_err() {
                    sqlx::query("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum TEXT")
                        .execute(pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Applies one step in its own transaction, under the migration lock, if it is still
    /// pending then: another process may have applied it meanwhile. Returns whether it did.
    async fn apply(&self, step: &Step) -> StoreResult<bool> {
        let now = crate::unix_now();
        const RECORD: &str =
            "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)";
        const DONE: &str = "SELECT version FROM schema_migrations WHERE version = $1";
        macro_rules! apply_in {
            ($tx:ident, $sql:expr, $postgres:expr) => {{
                let done: Option<i64> = sqlx::query_scalar(DONE).bind(step.version).fetch_optional(&mut *$tx).await?;
                if done.is_none() {
                    sqlx::raw_sql(&$sql).execute(&mut *$tx).await?;
                    sqlx::query(RECORD)
                        .bind(step.version)
                        .bind(step.name)
                        .bind(now)
                        .bind(step.checksum($postgres))
                        .execute(&mut *$tx)
                        .await?;
                }
                $tx.commit().await?;
                Ok(done.is_none())
            }};
        }
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                // BEGIN IMMEDIATE takes SQLite's write lock before the check.
                let mut tx = write.begin_with("BEGIN IMMEDIATE").await?;
                apply_in!(tx, for_sqlite(&step.text(false)), false)
            }
            Pools::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                // Two processes starting at once must not both migrate.
                sqlx::query("LOCK TABLE schema_migrations IN EXCLUSIVE MODE").execute(&mut *tx).await?;
                apply_in!(tx, for_postgres(&step.text(true)), true)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every file in `migrations/` belongs to a step, steps are numbered 1, 2, 3 … with the
    /// number leading their file's name, and no two steps share a file.
    #[test]
    fn the_migrations_folder_and_the_steps_agree() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        for (i, step) in STEPS.iter().enumerate() {
            assert_eq!(step.version, i as i64 + 1);
            assert!(step.file.starts_with(&format!("{:04}_", step.version)), "{}", step.file);
        }
        for f in &files {
            let stem = f.trim_end_matches(".sql").trim_end_matches(".sqlite").trim_end_matches(".postgres");
            assert!(stem == "access_index" || STEPS.iter().any(|s| s.file == stem), "{f} belongs to no step");
        }
        // An engine's own file is what the step runs for that engine, and nothing else is.
        for step in STEPS {
            for (engine, part) in [("sqlite", step.sqlite_only), ("postgres", step.postgres_only)] {
                let file = format!("{}.{engine}.sql", step.file);
                if files.contains(&file) {
                    assert_eq!(std::fs::read_to_string(dir.join(&file)).unwrap(), part, "{file}");
                } else if step.version != 9 || engine == "sqlite" {
                    assert_eq!(part, "", "step {} runs {engine} SQL that is in no file of its own", step.version);
                }
            }
        }
    }

    #[test]
    fn checksums_differ_per_engine_only_where_the_sql_does() {
        let s3 = &STEPS[2];
        assert_ne!(s3.checksum(true), s3.checksum(false));
        let s1 = &STEPS[0];
        assert_eq!(s1.checksum(true), s1.checksum(false));
        assert_eq!(s1.checksum(true).len(), 64);
    }
}
