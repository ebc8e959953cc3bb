use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Where the data lives.
#[derive(Clone)]
pub enum DbTarget {
    /// An SQLite database file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbTarget::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            DbTarget::Postgres(url) => write!(f, "Postgres({})", redact_url(url)),
        }
    }
}

/// A database URL with any password replaced by `***`, fit for logs and `config show`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => redact_query_password(url),
    }
}

fn redact_query_password(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// ` FOR UPDATE` on PostgreSQL, which locks the rows a check reads until the transaction
    /// ends, so that what was checked still holds when the change is written; nothing on
    /// SQLite, whose single writer serialises the writes already.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Engine::Postgres => " FOR UPDATE",
            Engine::Sqlite => "",
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pools {
    /// `search` writes the search file (see [`search_file`]); `read` sees it attached.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        search: SqlitePool,
        /// The database file, for reads that bypass the pools (full scans).
        path: std::sync::Arc<std::path::PathBuf>,
    },
    Postgres(PgPool),
}

/// The handle every layer above uses. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pools: Pools,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Conflict(String),
    /// A delete or change of something others still refer to (named by what they are, e.g.
    /// `deviations`); nothing was changed.
    #[error("still referred to by {0}")]
    InUse(&'static str),
    /// A write the data does not allow; nothing was changed.
    #[error("{0}")]
    Rejected(Rejection),
    /// What is stored cannot be read back as it was written.
    #[error("the stored data is damaged: {0}")]
    Corrupt(String),
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error(
        "the database has schema version {found}, but this normverk supports at most {supported}; upgrade normverk"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error(
        "the database has not been migrated (schema version {found}, expected {expected}); run `normverk migrate`"
    )]
    SchemaTooOld { found: i64, expected: i64 },
    #[error(
        "{table} {row}: {column} holds '{value}', which this normverk does not know (changed outside normverk, or by a newer version)"
    )]
    UnknownValue { table: &'static str, row: String, column: &'static str, value: String },
    #[error(
        "migration {version} ({file}) differs from the one applied to this database: a released migration must never change; restore the released file"
    )]
    MigrationChanged { version: i64, file: String },
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// An organisation's id. Every function that reads or changes an organisation's data takes one,
/// so the compiler refuses an object's id where the organisation's belongs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct OrgId(pub i64);

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Why the store refused a write. Each names the field of the request it concerns, where there
/// is one, and says in English what was wrong; the edges translate it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("this Idempotency-Key was used for another request; use a new key")]
    IdempotencyKeyReused,
    #[error("the setup link is expired or already used")]
    SetupLinkUsed,
    #[error("normverk is already set up")]
    AlreadySetUp,
    #[error("the round is frozen and cannot be changed")]
    RoundFrozen,
    #[error("an assessment round is already open; freeze it first")]
    RoundAlreadyOpen,
    #[error("the round does not exist or is already frozen")]
    RoundNotOpen,
    #[error("{requirement_id}: the responsible person is not a member")]
    ResponsibleNotMember { requirement_id: String },
    #[error("online backup is for SQLite; for PostgreSQL use pg_dump (see README)")]
    BackupNeedsSqlite,
    #[error("backup path is not UTF-8")]
    BackupPathNotUtf8,
    #[error("no such unit in this organisation")]
    NoSuchUnit,
    #[error("unit {0} does not exist")]
    NoUnit(i64),
    #[error("parent unit {0} does not exist")]
    NoParentUnit(i64),
    #[error("parent organisation {0} does not exist")]
    NoParentOrganisation(i64),
    #[error("the organisation must keep at least one administrator")]
    LastAdministrator,
    #[error("only people with the manager role lead units")]
    NotAManager,
    #[error("that organisation does not take deviations from yours in normverk")]
    NotAController,
    #[error("no other system named '{0}'")]
    NoSystemNamed(String),
    #[error("a system cannot depend on itself")]
    DependsOnItself,
    #[error("no such system in this organisation")]
    NoSuchSystem,
    #[error("no system {0} in this organisation")]
    NoSystem(i64),
    #[error("no organisation in normverk has the number {0}")]
    NoOrgNumbered(String),
    #[error("an organisation logs for itself without being authorised")]
    DelegateIsSelf,
    #[error("that organisation already logs for yours")]
    AlreadyDelegated,
    #[error("the risk assessment is approved and cannot be changed; start a new one from it")]
    RiskAssessmentApproved,
    #[error("only an approved risk assessment can be started from")]
    RiskAssessmentNotApproved,
    #[error("the authorisation is revoked; grant a new one")]
    AuthorisationRevoked,
    #[error("the access review is completed and cannot be changed")]
    ReviewClosed,
    #[error("this authorisation is answered already in the access review")]
    ReviewAnswered,
    #[error("no person {0} in the register")]
    NoSuchPerson(i64),
}

impl Rejection {
    /// The message key that names this rejection, for translation at the edge
    /// (`rejection-{key}`), with [`Rejection::args`].
    pub fn key(&self) -> &'static str {
        match self {
            Rejection::IdempotencyKeyReused => "idempotency-key-reused",
            Rejection::SetupLinkUsed => "setup-link-used",
            Rejection::AlreadySetUp => "already-set-up",
            Rejection::RoundFrozen => "round-frozen",
            Rejection::RoundAlreadyOpen => "round-already-open",
            Rejection::RoundNotOpen => "round-not-open",
            Rejection::ResponsibleNotMember { .. } => "responsible-not-member",
            Rejection::BackupNeedsSqlite => "backup-needs-sqlite",
            Rejection::BackupPathNotUtf8 => "backup-path-not-utf8",
            Rejection::NoSuchUnit => "no-such-unit",
            Rejection::NoUnit(_) => "no-unit",
            Rejection::NoParentUnit(_) => "no-parent-unit",
            Rejection::NoParentOrganisation(_) => "no-parent-organisation",
            Rejection::LastAdministrator => "last-administrator",
            Rejection::NotAManager => "not-a-manager",
            Rejection::NotAController => "not-a-controller",
            Rejection::NoSystemNamed(_) => "no-system-named",
            Rejection::DependsOnItself => "depends-on-itself",
            Rejection::NoSuchSystem => "no-such-system",
            Rejection::NoSystem(_) => "no-system",
            Rejection::NoOrgNumbered(_) => "no-org-numbered",
            Rejection::DelegateIsSelf => "delegate-is-self",
            Rejection::AlreadyDelegated => "already-delegated",
            Rejection::RiskAssessmentApproved => "risk-assessment-approved",
            Rejection::RiskAssessmentNotApproved => "risk-assessment-not-approved",
            Rejection::AuthorisationRevoked => "authorisation-revoked",
            Rejection::ReviewClosed => "review-closed",
            Rejection::ReviewAnswered => "review-answered",
            Rejection::NoSuchPerson(_) => "no-such-person",
        }
    }

    /// The values the message names.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Rejection::ResponsibleNotMember { requirement_id } => vec![("requirement_id", requirement_id.to_string())],
            Rejection::NoUnit(id) => vec![("id", id.to_string())],
            Rejection::NoSuchPerson(id) => vec![("id", id.to_string())],
            Rejection::NoParentUnit(id) => vec![("id", id.to_string())],
            Rejection::NoParentOrganisation(id) => vec![("id", id.to_string())],
            Rejection::NoSystemNamed(name) => vec![("name", name.to_string())],
            Rejection::NoSystem(id) => vec![("id", id.to_string())],
            Rejection::NoOrgNumbered(number) => vec![("number", number.to_string())],
            _ => Vec::new(),
        }
    }

    /// The field of the request the rejection concerns, if it is one field's.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Rejection::NoSuchUnit => Some("unit_id"),
            Rejection::NoParentUnit(_) => Some("parent_id"),
            Rejection::NoParentOrganisation(_) => Some("parent_id"),
            Rejection::NotAController => Some("controller"),
            Rejection::NoSystemNamed(_) | Rejection::DependsOnItself | Rejection::NoSuchSystem => Some("depends_on"),
            Rejection::NoSystem(_) => Some("systems"),
            Rejection::NoOrgNumbered(_) | Rejection::DelegateIsSelf | Rejection::AlreadyDelegated => {
                Some("delegate_org_number")
            }
            Rejection::ResponsibleNotMember { .. } => Some("responsible_user_id"),
            _ => None,
        }
    }
}

/// From the direct reads of [`crate::access_log`]'s full scans.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(sqlx::Error::Io(std::io::Error::other(e)))
    }
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        rusqlite::Error::from(e).into()
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or("unique constraint").to_string())
            }
            // A reference the schema guards but a store function did not check first: refused
            // as such on both engines, never an internal error.
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::InUse("records"),
            _ => StoreError::Database(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Something of the organisation's named by its id and name, as lists and links show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// The current time as Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Runs `$body` with `$c` bound to a pool for reading.
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {
        match &$store.pools {
            $crate::db::Pools::Sqlite { read, .. } => {
                let $c = read;
                $body
            }
            $crate::db::Pools::Postgres(pool) => {
                let $c = pool;
                $body
            }
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx`, on SQLite on the pool named `$pool`
/// (begun IMMEDIATE: each is a single writer), committing when it finishes without an early
/// return.
macro_rules! tx_on {
    ($store:expr, $pool:ident, |$tx:ident| $body:expr) => {
        match &$store.pools {
            $crate::db::Pools::Sqlite { $pool, .. } => {
                let mut $tx = $pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::db::Pools::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// A write transaction on the database (on SQLite its single writer).
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        $crate::db::tx_on!($store, write, |$tx| $body)
    };
}

/// A write transaction on the search index: on SQLite its own file and writer, so indexing
/// never waits for the log's writer nor holds it up.
macro_rules! search_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        $crate::db::tx_on!($store, search, |$tx| $body)
    };
}
pub(crate) use {read, search_tx, tx_on, write_tx};

/// The search index's own SQLite file beside the database: `normverk.db` → `normverk.search.db`.
/// It holds only what can be rebuilt from the events; delete it and it is built again.
pub fn search_file(database: &Path) -> PathBuf {
    database.with_extension("search.db")
}

/// Version of the search file's schema; a file with another is emptied and rebuilt.
const SEARCH_FILE_VERSION: i64 = 1;

impl Store {
    /// Opens the database without migrating it.
    pub async fn open(target: &DbTarget) -> StoreResult<Store> {
        match target {
            DbTarget::Sqlite(path) => open_sqlite(path).await,
            DbTarget::Postgres(url) => open_postgres(url).await,
        }
    }

    pub fn engine(&self) -> Engine {
        match self.pools {
            Pools::Sqlite { .. } => Engine::Sqlite,
            Pools::Postgres(_) => Engine::Postgres,
        }
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        read!(self, |c| {
            sqlx::query("SELECT 1").execute(c).await?;
        });
        Ok(())
    }

    /// Checks the database's own consistency: SQLite's integrity and foreign-key checks, or on
    /// PostgreSQL that the server answers. Returns the problems found (empty when sound).
    pub async fn integrity_problems(&self) -> StoreResult<Vec<String>> {
        match &self.pools {
            Pools::Sqlite { read, .. } => {
                let mut problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(read).await?;
                problems.retain(|p| p != "ok");
                let fk: Vec<(String, i64)> =
                    sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check").fetch_all(read).await?;
                problems.extend(fk.into_iter().map(|(t, r)| format!("foreign key broken in {t} row {r}")));
                Ok(problems)
            }
            Pools::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok(Vec::new())
            }
        }
    }

    /// Writes a consistent copy of an SQLite database to `dest` while it is in use.
    pub async fn sqlite_snapshot(&self, dest: &Path) -> StoreResult<()> {
        let Pools::Sqlite { read, .. } = &self.pools else {
            return Err(StoreError::Rejected(Rejection::BackupNeedsSqlite));
        };
        let dest = dest.to_str().ok_or_else(|| StoreError::Rejected(Rejection::BackupPathNotUtf8))?;
        sqlx::query("VACUUM INTO $1").bind(dest).execute(read).await?;
        Ok(())
    }

    /// Closes all connections, waiting for those in use.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write, search, .. } => {
                write.close().await;
                read.close().await;
                search.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

async fn open_sqlite(path: &Path) -> StoreResult<Store> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // An acknowledged write must survive a power cut, not only a process crash.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true);
    // An embedded connection does not drop like a network one: no round trip to the
    // connection's thread to test it on every acquire (a tenth of a small request's time).
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(options.clone())
        .await
        .map_err(|e| open_error(&e))?;
    // A file that is not SQLite opens lazily; make it fail here, with a clear message.
    sqlx::query("SELECT count(*) FROM sqlite_schema").execute(&write).await.map_err(|e| open_error(&e))?;
    let search_path = search_file(path);
    // Derived data: a power cut may cost the last batches, which the indexer then adds again.
    let search = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(options.clone().filename(&search_path).synchronous(SqliteSynchronous::Normal))
        .await
        .map_err(|e| open_error(&e))?;
    prepare_search_file(&search).await?;
    // Readers hand rows over in large runs: the default of 50 wakes the reading task for every
    // few rows, which dominates scans such as `log verify`. They see the search file attached;
    // its tables are not in the database, so their plain names find them there.
    let attach = search_path
        .to_str()
        .map(str::to_string)
        .ok_or_else(|| StoreError::Open(format!("the path {} is not UTF-8", search_path.display())))?;
    let read = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let attach = attach.clone();
            Box::pin(async move {
                sqlx::query("ATTACH DATABASE $1 AS search").bind(attach).execute(conn).await?;
                Ok(())
            })
        })
        .connect_with(options.read_only(true).row_buffer_size(4096))
        .await
        .map_err(|e| open_error(&e))?;
    Ok(Store { pools: Pools::Sqlite { read, write, search, path: std::sync::Arc::new(path.to_path_buf()) } })
}

/// Gives the search file its tables, emptying one written by another version of them.
async fn prepare_search_file(search: &SqlitePool) -> StoreResult<()> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(search).await?;
    if version != SEARCH_FILE_VERSION {
        let mut tx = search.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::raw_sql(
            "DROP TABLE IF EXISTS access_index; DROP TABLE IF EXISTS access_index_segments; \
             DROP TABLE IF EXISTS access_index_state;",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::raw_sql(&for_sqlite(SEARCH_SCHEMA)).execute(&mut *tx).await?;
        sqlx::raw_sql(&format!("PRAGMA user_version = {SEARCH_FILE_VERSION}")).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn open_postgres(url: &str) -> StoreResult<Store> {
    let options =
        PgConnectOptions::from_str(url).map_err(|e| StoreError::Open(format!("invalid PostgreSQL URL: {e}")))?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|e| open_error(&e))?;
    Ok(Store { pools: Pools::Postgres(pool) })
}

fn open_error(e: &sqlx::Error) -> StoreError {
    StoreError::Open(match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    })
}

/// The search index over access events, in segments of 65,536 log indexes (`seg` = idx /
/// 65,536): a batch only touches its own segment's pages, so indexing costs the same at ten
/// million events as at ten thousand, and a search asks each segment that may hold matches.
/// On PostgreSQL part of step 9; on SQLite the schema of the search file, which has its own
/// writer so that indexing never holds up the log's, and is rebuilt when missing.
pub(crate) const SEARCH_SCHEMA: &str = include_str!("../migrations/access_index.sql");

/// A step's SQL with SQLite's words for the placeholders.
pub(crate) fn for_sqlite(sql: &str) -> String {
    sql.replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT")
        .replace("{key}", "INTEGER PRIMARY KEY")
        .replace("{without_rowid}", " WITHOUT ROWID")
        .replace("{blob}", "BLOB")
}

/// A step's SQL with PostgreSQL's words for the placeholders.
pub(crate) fn for_postgres(sql: &str) -> String {
    sql.replace("{id}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
        .replace("{key}", "BIGINT PRIMARY KEY")
        .replace("{without_rowid}", "")
        .replace("{blob}", "BYTEA")
}

/// Declares a row whose code columns hold core's enums: the typed struct as written, its twin
/// `$raw` as the database holds it (codes as text), and the decoding from one to the other, which
/// names the table, the row (by its `$key` field) and the column of an unknown code. A code
/// column is marked `= code` (text) or `= code_opt` (text or NULL).
macro_rules! coded_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $raw:ident in $table:literal by $key:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty $(= $code:ident)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name { $( $(#[$fmeta])* pub $field: $ty ),* }

        #[derive(sqlx::FromRow)]
        pub(crate) struct $raw { $( $field: $crate::db::coded_row!(@raw $ty $(, $code)?) ),* }

        impl TryFrom<$raw> for $name {
            type Error = $crate::db::StoreError;

            fn try_from(r: $raw) -> $crate::db::StoreResult<$name> {
                let key = r.$key.clone();
                Ok($name { $( $field: $crate::db::coded_row!(@get $table, key, r.$field, stringify!($field) $(, $code)?) ),* })
            }
        }
    };
    (@raw $ty:ty) => { $ty };
    (@raw $ty:ty, code) => { String };
    (@raw $ty:ty, code_opt) => { Option<String> };
    (@get $table:literal, $key:ident, $value:expr, $column:expr) => { $value };
    (@get $table:literal, $key:ident, $value:expr, $column:expr, code) => {
        $crate::db::code($table, &$key, $column, &$value)?
    };
    (@get $table:literal, $key:ident, $value:expr, $column:expr, code_opt) => {
        $crate::db::code_opt($table, &$key, $column, $value.as_deref())?
    };
}
pub(crate) use coded_row;

/// A code read from `table`.`column` of `row`, as core's type. An unknown one is an error that
/// says where it was, never a default.
pub(crate) fn code<T: std::str::FromStr>(
    table: &'static str,
    row: impl std::fmt::Display,
    column: &'static str,
    value: &str,
) -> StoreResult<T> {
    value.parse().map_err(|_| StoreError::UnknownValue {
        table,
        row: row.to_string(),
        column,
        value: value.chars().take(64).collect(),
    })
}

/// [`code`] for a column that may be empty.
pub(crate) fn code_opt<T: std::str::FromStr>(
    table: &'static str,
    row: impl std::fmt::Display,
    column: &'static str,
    value: Option<&str>,
) -> StoreResult<Option<T>> {
    value.map(|v| code(table, row, column, v)).transpose()
}

/// Rows as the database holds them, decoded into typed rows.
pub(crate) fn decode_all<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_leave_redact_url() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/normverk"), "postgres://app:***@db:5432/normverk");
        assert_eq!(redact_url("postgres://app@db/normverk"), "postgres://app@db/normverk");
        assert_eq!(redact_url("postgres://db/n?user=a&password=x"), "postgres://db/n?user=a&password=***");
        assert_eq!(redact_url("postgres://a:b:c@db/n"), "postgres://a:***@db/n");
    }
}
