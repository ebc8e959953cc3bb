//! Fresh, throw-away databases for tests: SQLite in a temporary directory always, and
//! PostgreSQL when `NORMVERK_TEST_POSTGRES_URL` is set (a new database per call, dropped after).

use crate::{DbTarget, Store};
use rand::RngCore;
use std::path::PathBuf;
use std::str::FromStr;

/// A migrated store and what it takes to clean it away.
pub struct TestDb {
    pub store: Store,
    pub target: DbTarget,
    _guard: TestDbGuard,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin_url: String, database: String },
}

/// The engines to test on: SQLite always, PostgreSQL when configured.
pub fn engines() -> Vec<&'static str> {
    let mut engines = vec!["sqlite"];
    if postgres_configured() {
        engines.push("postgres");
    }
    engines
}

/// Whether `NORMVERK_TEST_POSTGRES_URL` names a server to test on.
pub fn postgres_configured() -> bool {
    postgres_admin_url().is_some()
}

/// Runs each named `async fn name(engine: &'static str)` as two tests, `name::sqlite` and
/// `name::postgres`, so a failure names its engine and `cargo test postgres` runs only the
/// PostgreSQL half. The PostgreSQL test passes with a note when no server is configured.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name("sqlite").await
            }

            #[tokio::test]
            async fn postgres() {
                if $crate::testing::postgres_configured() {
                    super::$name("postgres").await
                } else {
                    eprintln!("skipped: set NORMVERK_TEST_POSTGRES_URL to run this on PostgreSQL");
                }
            }
        }
    )+};
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("NORMVERK_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

fn random_suffix() -> String {
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fresh database on `engine` ("sqlite" or "postgres"), not yet migrated.
#[allow(clippy::expect_used, clippy::panic)]
pub async fn fresh_target(engine: &str) -> (DbTarget, TestDbGuard) {
    match engine {
        "sqlite" => {
            let dir = std::env::temp_dir().join(format!("normverk-test-{}", random_suffix()));
            std::fs::create_dir_all(&dir).expect("create temp dir");
            (DbTarget::Sqlite(dir.join("normverk.db")), TestDbGuard(Some(Cleanup::Sqlite(dir))))
        }
        "postgres" => {
            let admin_url = postgres_admin_url().expect("NORMVERK_TEST_POSTGRES_URL");
            let database = format!("normverk_test_{}", random_suffix());
            let admin = Store::open(&DbTarget::Postgres(admin_url.clone())).await.expect("connect to PostgreSQL");
            if let crate::db::Pools::Postgres(pool) = &admin.pools {
                sqlx::query(&format!("CREATE DATABASE {database}")).execute(pool).await.expect("create database");
            }
            admin.close().await;
            let options = sqlx::postgres::PgConnectOptions::from_str(&admin_url).expect("valid URL");
            let url = format!(
                "postgres://{}@{}:{}/{}",
                options.get_username(),
                options.get_host(),
                options.get_port(),
                database
            );
            (DbTarget::Postgres(url), TestDbGuard(Some(Cleanup::Postgres { admin_url, database })))
        }
        other => panic!("unknown engine {other}"),
    }
}

/// Drops the database (or deletes the directory) when the test ends, even when it fails.
pub struct TestDbGuard(Option<Cleanup>);

impl Drop for TestDbGuard {
    fn drop(&mut self) {
        match self.0.take() {
            Some(Cleanup::Sqlite(dir)) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Some(Cleanup::Postgres { admin_url, database }) => {
                // Drop runs inside the test's runtime; a fresh thread gets its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) = Store::open(&DbTarget::Postgres(admin_url)).await {
                            if let crate::db::Pools::Postgres(pool) = &admin.pools {
                                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                                    .execute(pool)
                                    .await;
                            }
                            admin.close().await;
                        }
                    });
                })
                .join();
            }
            None => {}
        }
    }
}

/// A migrated store on `engine`.
#[allow(clippy::expect_used)]
pub async fn test_db(engine: &str) -> TestDb {
    let (target, guard) = fresh_target(engine).await;
    let store = Store::open(&target).await.expect("open test database");
    store.migrate().await.expect("migrate test database");
    TestDb { store, target, _guard: guard }
}

impl Store {
    /// Records a schema version as if a newer normverk had migrated this database.
    #[allow(clippy::expect_used)]
    pub async fn mark_schema_version_for_test(&self, version: i64) {
        let mark = async {
            crate::db::write_tx!(self, |tx| {
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)")
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
            });
            Ok::<(), crate::StoreError>(())
        };
        mark.await.expect("mark schema version");
    }
}

impl Store {
    /// Runs raw SQL as an intruder with database access would, to test what the schema refuses.
    /// Runs raw SQL on the search index (on SQLite, its own file), as someone with the files
    /// would.
    pub async fn execute_search_raw_for_test(&self, sql: &str) -> Result<(), crate::StoreError> {
        match &self.pools {
            crate::db::Pools::Sqlite { search, .. } => sqlx::raw_sql(sql).execute(search).await.map(|_| ()),
            crate::db::Pools::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        }
        .map_err(crate::StoreError::from)
    }

    pub async fn execute_raw_for_test(&self, sql: &str) -> Result<(), crate::StoreError> {
        match &self.pools {
            crate::db::Pools::Sqlite { write, .. } => sqlx::raw_sql(sql).execute(write).await.map(|_| ()),
            crate::db::Pools::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        }
        .map_err(crate::StoreError::from)
    }
}

impl Store {
    /// The schema as a sorted list of lines: every table's columns (name, type, nullability,
    /// default), indexes and triggers. Two databases migrated along different paths must give
    /// the same list.
    #[allow(clippy::expect_used)]
    pub async fn schema_for_test(&self) -> Vec<String> {
        let mut lines: Vec<String> = match &self.pools {
            crate::db::Pools::Sqlite { read, .. } => {
                let tables: Vec<(String, String, Option<String>)> = sqlx::query_as(
                    "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'",
                )
                .fetch_all(read)
                .await
                .expect("read sqlite_master");
                let mut lines = Vec::new();
                for (kind, name, sql) in tables {
                    if kind == "table" {
                        let columns: Vec<(i64, String, String, i64, Option<String>, i64)> =
                            sqlx::query_as(&format!("PRAGMA table_info('{name}')"))
                                .fetch_all(read)
                                .await
                                .expect("table_info");
                        for (_, column, ty, not_null, default, pk) in columns {
                            lines.push(format!("{name}.{column} {ty} not_null={not_null} default={default:?} pk={pk}"));
                        }
                    } else {
                        lines.push(format!("{kind} {name}: {}", sql.unwrap_or_default()));
                    }
                }
                lines
            }
            crate::db::Pools::Postgres(pool) => {
                let columns: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text \
                     FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
                )
                .fetch_all(pool)
                .await
                .expect("read columns");
                let mut lines: Vec<String> = columns
                    .into_iter()
                    .map(|(t, c, ty, n, d)| format!("{t}.{c} {ty} nullable={n} default={d:?}"))
                    .collect();
                let indexes: Vec<(String, String)> = sqlx::query_as(
                    "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
                )
                .fetch_all(pool)
                .await
                .expect("read indexes");
                lines.extend(indexes.into_iter().map(|(n, d)| format!("index {n}: {d}")));
                let triggers: Vec<(String, String)> = sqlx::query_as(
                    "SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
                )
                .fetch_all(pool)
                .await
                .expect("read triggers");
                lines.extend(triggers.into_iter().map(|(n, d)| format!("trigger {n}: {d}")));
                lines
            }
        };
        lines.sort();
        lines
    }

    /// Records a different checksum for an applied step, as if its file had been edited after
    /// it was released.
    #[allow(clippy::expect_used)]
    pub async fn alter_migration_checksum_for_test(&self, version: i64) {
        self.execute_raw_for_test(&format!(
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = {version}"
        ))
        .await
        .expect("alter checksum");
    }
}
