//! `normverk`: the one binary. Serves the web UI and API, and does what operators script.

mod backup;
mod config;
mod dlp_scan;
mod fnr_check;
mod log_key;

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use clap::{Args, Parser, Subcommand};
use config::{Config, Overrides};
use normverk_core::account::{check_new_password, normalise_email, SessionPolicy};
use normverk_core::org::{clean_name, parse_scopes, OrgKind, OrgNumber, Role};
use normverk_store::account::NewUser;
use normverk_store::org::NewOrg;
use normverk_store::{DbTarget, Store, StoreError};
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Parser)]
#[command(name = "normverk", version, about = "Normen management system and technical controls")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// Directory for the SQLite database and keys (created with mode 0700).
    #[arg(long, global = true, env = "NORMVERK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded SQLite (postgres://user:password@host/db).
    #[arg(long, global = true, env = "NORMVERK_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Configuration file [default: ./normverk.toml when present].
    #[arg(long, global = true, env = "NORMVERK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, env = "NORMVERK_LOG_FORMAT", value_parser = ["text", "json"])]
    log_format: Option<String>,
    /// The access log's origin name (its checkpoints' first line) [default: normverk.local/access-log].
    #[arg(long, global = true, env = "NORMVERK_LOG_ORIGIN", value_name = "NAME")]
    log_origin: Option<String>,
    /// A file holding the access log's signing key [default: keys/log.key in the data directory].
    #[arg(long, global = true, env = "NORMVERK_LOG_KEY_FILE", value_name = "FILE")]
    log_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI, the API and background jobs.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "NORMVERK_ADDR", value_name = "HOST:PORT")]
        addr: Option<String>,
        /// Mark cookies Secure (when served over HTTPS, directly or behind a proxy).
        #[arg(long, env = "NORMVERK_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Send the breach clock's reminders by e-mail through this SMTP server:
        /// smtp://host:port or smtps://user:password@host:465.
        #[arg(long, env = "NORMVERK_SMTP_URL", value_name = "URL", hide_env_values = true)]
        smtp_url: Option<String>,
        /// The sender of e-mail, e.g. "normverk <normverk@example.org>".
        #[arg(long, env = "NORMVERK_SMTP_FROM", value_name = "ADDRESS")]
        smtp_from: Option<String>,
        /// The address people open normverk at, for links in e-mail.
        #[arg(long, env = "NORMVERK_PUBLIC_URL", value_name = "URL")]
        public_url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Verify database integrity and schema version.
    Check,
    /// Show configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write a consistent copy of the SQLite database and the data directory's keys to FILE.
    Backup { file: PathBuf },
    /// Restore a backup FILE into an empty data directory (given with --data-dir).
    Restore { file: PathBuf },
    /// Print the OpenAPI document of the JSON API.
    Openapi,
    /// Norwegian identity numbers.
    Fnr {
        #[command(subcommand)]
        command: FnrCommand,
    },
    /// Check a draft SMS or e-mail for identity numbers and health information before sending.
    Dlp {
        #[command(subcommand)]
        command: DlpCommand,
    },
    /// The tamper-evident access log.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Subcommand)]
enum FnrCommand {
    /// Check fødselsnummer, D-, H-, FH- and synthetic numbers; exit 1 when any is invalid.
    Check {
        /// Output format.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
        /// Accept only the classic check-digit rule, not the one for numbers issued from 2032.
        #[arg(long)]
        classic: bool,
        #[arg(required = true, value_name = "NUMBER")]
        numbers: Vec<String>,
    },
}

#[derive(Subcommand)]
enum DlpCommand {
    /// Scan a message; exit 0 when nothing blocks, 1 when something blocks, 2 on error.
    Scan {
        /// The message; '-' or nothing reads standard input. For e-mail: a raw RFC 5322 message
        /// (MIME, quoted-printable, base64, HTML) or a plain body.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        #[arg(long, default_value = "sms", value_parser = ["sms", "email"])]
        channel: String,
        /// Output format.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
        /// The organisation's scanner settings as JSON: words, allowed, severities, neutral_name.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Print the verifier key of the log's signing key (created on first use).
    Key,
    /// Verify the whole log: every event against its leaf hash, the tree against the stored
    /// tiles, every checkpoint's signature and root. Exits 1 naming the first bad index.
    Verify {
        /// Also prove that this checkpoint, saved earlier by an outsider, is consistent with
        /// today's log.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Check a patient's insight document (from the insight page or `GET
    /// /api/v1/access-log/insight`): its checkpoint signed by the log's key, and every entry
    /// the patient's, unaltered and in the log. Exits 1 naming the first entry that fails.
    VerifyInsight {
        /// The insight document (JSON).
        file: PathBuf,
        /// The log's public key as the organisation publishes it (`normverk log key`); without
        /// it, the key the document names is used, which shows the entries are unaltered under
        /// that key but not that the key is the organisation's.
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration, secrets hidden.
    Show,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organisation.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "NNNNNNNNN")]
        org_number: String,
        /// regional_health_authority, health_trust, municipality, gp_office, private_practice,
        /// private_hospital, pharmacy, supplier or other.
        #[arg(long, default_value = "other")]
        kind: String,
        /// Parent organisation (number or name).
        #[arg(long, value_name = "ORG")]
        parent: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user to an organisation (or give an existing user roles there).
    Add {
        #[arg(long)]
        email: String,
        /// Organisation number or name.
        #[arg(long, value_name = "ORG")]
        org: String,
        /// admin, top_management, security_lead, dpo, manager, employee or auditor; repeat or
        /// separate with commas.
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<String>,
        /// Display name [default: the e-mail address].
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue an API token; it is printed alone on the last line of standard output.
    Add {
        /// Organisation number or name.
        #[arg(long, value_name = "ORG")]
        org: String,
        /// What the token may do; repeat or separate with commas. A token may do exactly what
        /// its scopes name.
        #[arg(long, value_delimiter = ',', required = true, value_parser = scope_values())]
        scope: Vec<String>,
        #[arg(long, default_value = "API token")]
        name: String,
    },
}

/// The connections the server may hold at once: `configured`, but never so many that the
/// process runs out of file descriptors (the soft limit is first raised to the hard one; 256
/// are kept for the database, the log and the files).
fn connection_cap(configured: usize) -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.maximum > limit.current {
        let _ = setrlimit(Resource::Nofile, Rlimit { current: limit.maximum, maximum: limit.maximum });
    }
    let available =
        getrlimit(Resource::Nofile).current.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let cap = configured.min(available.saturating_sub(256)).max(16);
    if cap < configured {
        tracing::warn!(configured, cap, "max_connections lowered to what the file descriptor limit allows");
    }
    cap
}

/// Every scope, with what it allows, for `token add --help`.
fn scope_values() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        normverk_core::org::Scope::ALL.iter().map(|s| clap::builder::PossibleValue::new(s.as_str()).help(s.allows())),
    )
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line naming the problem; the full usage is one --help away.
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            eprintln!("normverk: {first} (see 'normverk --help')");
            return std::process::ExitCode::from(2);
        }
    };
    // Checking numbers needs no configuration, database or runtime.
    if let Command::Fnr { command: FnrCommand::Check { format, classic, numbers } } = &cli.command {
        return fnr_check::run(numbers, format == "json", *classic);
    }
    if let Command::Dlp { command: DlpCommand::Scan { file, channel, format, config } } = &cli.command {
        return dlp_scan::run(file.as_deref(), channel == "email", format == "json", config.as_deref());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("normverk: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("normverk: {}", one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error chain on one line: "outer: inner: root".
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let (addr, secure_cookies, smtp_url, smtp_from, public_url) = match &cli.command {
        Command::Serve { addr, secure_cookies, smtp_url, smtp_from, public_url } => {
            (addr.clone(), Some(*secure_cookies), smtp_url.clone(), smtp_from.clone(), public_url.clone())
        }
        _ => (None, None, None, None, None),
    };
    let config = Config::resolve(Overrides {
        config: cli.global.config,
        addr,
        data_dir: cli.global.data_dir,
        database_url: cli.global.database_url,
        log_format: cli.global.log_format,
        secure_cookies,
        log_origin: cli.global.log_origin,
        log_key_file: cli.global.log_key_file,
        smtp_url,
        smtp_from,
        public_url,
    })?;
    init_logging(&config.log_format.value);
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Migrate => {
            let store = open(&config).await?;
            let report = store.migrate().await?;
            println!("schema version {} (was {})", report.to_version, report.from_version);
            Ok(())
        }
        Command::Check => check(&config).await,
        Command::Config { command: ConfigCommand::Show } => {
            print!("{}", config.show());
            Ok(())
        }
        Command::Org { command: OrgCommand::Add { name, org_number, kind, parent } } => {
            org_add(&config, &name, &org_number, &kind, parent.as_deref()).await
        }
        Command::User { command: UserCommand::Add { email, org, role, name, password_stdin } } => {
            user_add(&config, &email, &org, &role, name.as_deref(), password_stdin).await
        }
        Command::Token { command: TokenCommand::Add { org, scope, name } } => {
            token_add(&config, &org, &scope, &name).await
        }
        Command::Backup { file } => backup::backup(&config, &open_migrated(&config).await?, &file).await,
        Command::Restore { file } => backup::restore(&config, &file).await,
        // Answered in `main`, before any set-up.
        Command::Fnr { .. } | Command::Dlp { .. } => Ok(()),
        Command::Log { command: LogCommand::Key } => {
            ensure_data_dir(&config.data_dir.value)?;
            println!("{}", log_key::load_or_create(&config)?.verifier().key_string());
            Ok(())
        }
        Command::Log { command: LogCommand::Verify { checkpoint } } => log_verify(&config, checkpoint.as_deref()).await,
        Command::Log { command: LogCommand::VerifyInsight { file, key } } => verify_insight(&file, key.as_deref()),
        Command::Openapi => {
            print!("{}", normverk_web::openapi_json());
            Ok(())
        }
    }
}

/// `normverk log verify-insight FILE [--key KEY]`.
fn verify_insight(file: &std::path::Path, key: Option<&str>) -> anyhow::Result<()> {
    use normverk_app::access_log::insight::{insight_key, verify_insight};
    let doc = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let key = match key {
        Some(k) => k.to_string(),
        None => {
            let k = insight_key(&doc).ok_or_else(|| anyhow::anyhow!("the document names no log key; give --key"))?;
            eprintln!("note: checked against the key the document names ({k}); compare it with the one the organisation publishes");
            k
        }
    };
    let verifier =
        tlog::note::Verifier::from_key_string(key.trim()).map_err(|e| anyhow::anyhow!("not a log key: {e}"))?;
    let checked = verify_insight(&doc, &verifier).map_err(|e| anyhow::anyhow!("the insight does not verify: {e}"))?;
    println!(
        "ok: {} entries, each in the log {} of {} entries under its signed checkpoint, unaltered",
        checked.entries, checked.origin, checked.size
    );
    Ok(())
}

async fn log_verify(config: &Config, saved: Option<&std::path::Path>) -> anyhow::Result<()> {
    use normverk_app::access_log::{verification, verify, verify_saved_checkpoint, LogError};
    let saved = match saved {
        Some(path) => Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?),
        None => None,
    };
    let verifier = log_key::load(config)?.verifier();
    let store = open(config).await?;
    store.require_current_schema().await?;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {msg} {wide_bar} {pos}/{len} events ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // The search index is derived: one behind the log (a new or lost search file) is brought
    // up to date from the events first, so that all of it is checked.
    let (size, mut indexed) = (store.access_log_size().await?, store.access_indexed_until().await?);
    let rebuilt = size.saturating_sub(indexed);
    if rebuilt > 0 {
        bar.set_message("building the search index");
        bar.set_length(size);
        while indexed < size {
            if store.access_index_more(50_000).await? == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            indexed = store.access_indexed_until().await?;
            bar.set_position(indexed);
        }
        bar.set_message("");
    }
    // Search rows of retired events that a stopped retirement left behind go first, as they would.
    store.clear_retired_index(normverk_app::clock::Clock::system().now()).await?;
    let started = std::time::Instant::now();
    let clock = normverk_app::clock::Clock::system();
    let started_at = clock.now();
    let result = verify(&store, &verifier, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    // What it found goes beside the server's own checks, on the auditors' page.
    store.record_access_verification(&verification("command", started_at, clock.now(), &result)).await?;
    let verified = match result {
        Ok(v) => v,
        Err(LogError::Tampered { index, message }) => {
            let at = index.map(|i| format!(" at index {i}")).unwrap_or_default();
            anyhow::bail!("the log does not verify{at}: {message}");
        }
        Err(e) => return Err(e.into()),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "ok: {} events, with what is stored beside each, {} checkpoints verified in {:.1} s ({:.0} events/s)",
        verified.leaves,
        verified.checkpoints,
        secs,
        verified.leaves as f64 / secs.max(1e-9)
    );
    if rebuilt > 0 {
        println!("search index: {rebuilt} events were not in it and were indexed from the log first");
    }
    println!("search index: each of {} events under exactly its entries, and nothing else", verified.indexed);
    if verified.retired > 0 {
        println!(
            "retention: {} events retired, each covered by a retirement in the log and checked by its leaf hash",
            verified.retired
        );
    }
    if let Some((size, root)) = verified.head {
        println!("head: size {size}, root {}", base64::engine::general_purpose::STANDARD.encode(root));
    }
    if let Some(note) = saved {
        match verify_saved_checkpoint(&store, &verifier, &note).await {
            Ok((old, new)) => {
                println!("ok: the saved checkpoint of size {old} is consistent with today's log of size {new}")
            }
            Err(e) => anyhow::bail!("{e}"),
        }
    }
    store.close().await;
    Ok(())
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NORMVERK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Creates the data directory readable by its owner only.
fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        let probe = dir.join(".normverk-write-test");
        std::fs::write(&probe, b"").with_context(|| format!("data directory {} is not writable", dir.display()))?;
        let _ = std::fs::remove_file(probe);
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))
}

fn target(config: &Config) -> DbTarget {
    match &config.database_url.value {
        Some(url) => DbTarget::Postgres(url.clone()),
        None => DbTarget::Sqlite(config.sqlite_path()),
    }
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    ensure_data_dir(&config.data_dir.value)?;
    let target = target(config);
    Store::open(&target).await.map_err(|e| anyhow!("{e} ({target:?})"))
}

/// Opens the database and brings its schema up to date.
async fn open_migrated(config: &Config) -> anyhow::Result<Store> {
    let store = open(config).await?;
    store.migrate().await?;
    Ok(store)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let store = open_migrated(&config).await?;
    // The log's signing key exists from the first start, so backups carry it from day one.
    let log_signer = log_key::load_or_create(&config)?;
    tracing::info!(origin = %log_signer.name, verifier = %log_signer.verifier().key_string(), "access log key");
    let addr = config.addr.value;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let web = normverk_web::WebConfig {
        secure_cookies: config.secure_cookies.value,
        session: SessionPolicy {
            idle_timeout_s: config.session_idle_minutes.value * 60,
            absolute_timeout_s: config.session_absolute_hours.value * 3600,
        },
        body_limit: config.body_limit_bytes.value,
        limits: normverk_web::Limits {
            header_timeout: std::time::Duration::from_secs(config.header_timeout_seconds.value),
            body_timeout: std::time::Duration::from_secs(config.body_timeout_seconds.value),
            idle_timeout: std::time::Duration::from_secs(config.idle_timeout_seconds.value),
            max_connections: connection_cap(config.max_connections.value),
        },
        verify_every: match config.log_verify_hours.value {
            0 => None,
            hours => Some(std::time::Duration::from_secs(hours * 3600)),
        },
        mail: match (&config.smtp_url.value, &config.smtp_from.value) {
            (Some(smtp_url), Some(from)) => Some(normverk_app::reminder::MailConfig {
                smtp_url: smtp_url.clone(),
                from: from.clone(),
                public_url: config.public_url.value.clone(),
            }),
            _ => None,
        },
    };
    let app = normverk_app::App::new(store.clone(), normverk_app::Clock::system(), log_signer);
    if let Some(token) = normverk_app::account::setup_token_if_needed(&store, &app.clock).await? {
        // Printed, never logged: the link grants the right to create the first administrator.
        println!("normverk is not set up yet. Open this link within an hour to set it up: http://{local}/setup?token={token}");
    }
    tracing::info!(addr = %local, engine = ?store.engine(), startup_ms = started.elapsed().as_millis() as u64, "normverk is listening");
    normverk_web::serve(listener, normverk_web::AppState::new(app, web), shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn check(config: &Config) -> anyhow::Result<()> {
    let store = open(config).await?;
    store.require_current_schema().await?;
    let problems = store.integrity_problems().await?;
    if problems.is_empty() {
        println!("ok: schema version {}, integrity check passed", normverk_store::SCHEMA_VERSION);
        Ok(())
    } else {
        for p in &problems {
            println!("problem: {p}");
        }
        bail!("integrity check found {} problem(s)", problems.len())
    }
}

async fn find_org(store: &Store, key: &str) -> anyhow::Result<normverk_store::org::Org> {
    match store.find_org(key).await {
        Ok(org) => Ok(org),
        Err(StoreError::NotFound) => bail!("no organisation with number or name '{key}'"),
        Err(e) => Err(e.into()),
    }
}

async fn org_add(config: &Config, name: &str, number: &str, kind: &str, parent: Option<&str>) -> anyhow::Result<()> {
    let name = clean_name(name).map_err(|e| anyhow!("--name: {e}"))?;
    let org_number = OrgNumber::parse(number).map_err(|e| anyhow!("--org-number {number}: {e}"))?;
    let kind = OrgKind::from_str(kind).map_err(|e| anyhow!("--kind: {e}"))?;
    let store = open_migrated(config).await?;
    let parent_id = match parent {
        Some(p) => Some(find_org(&store, p).await?.id),
        None => None,
    };
    let org = store.create_org(&NewOrg { name, org_number, kind, parent_id }, normverk_store::unix_now()).await?;
    println!("added organisation {} ({}) with id {}", org.name, org.org_number, org.id);
    Ok(())
}

fn read_password_stdin() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("password: ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

async fn user_add(
    config: &Config,
    email: &str,
    org: &str,
    roles: &[String],
    name: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let email = normalise_email(email).ok_or_else(|| anyhow!("--email '{email}' is not a valid e-mail address"))?;
    let roles: Vec<Role> =
        roles.iter().map(|r| Role::from_str(r.trim())).collect::<Result<_, _>>().map_err(|e| anyhow!("--role: {e}"))?;
    let display_name = clean_name(name.unwrap_or(&email)).map_err(|e| anyhow!("--name: {e}"))?;
    let store = open_migrated(config).await?;
    let org = find_org(&store, org).await?;
    match store.user_by_email(&email).await {
        Ok(existing) => {
            if password_stdin {
                bail!("{email} already has an account; its password is not changed here");
            }
            if !store.roles(org.id, existing.id).await?.is_empty() {
                bail!("{email} is already a member of {}", org.name);
            }
            store.set_roles(org.id, existing.id, &roles, normverk_store::unix_now()).await?;
            println!("gave existing user {email} roles in {}", org.name);
        }
        Err(StoreError::NotFound) => {
            if !password_stdin {
                bail!("a new user needs a password: pass it on standard input with --password-stdin");
            }
            let password = read_password_stdin()?;
            check_new_password(&password).map_err(|e| anyhow!("password: {e}"))?;
            let hash = normverk_app::account::hash_password(password).await?;
            let user = store
                .create_user(
                    org.id,
                    &NewUser { email, display_name, password_hash: Some(hash) },
                    &roles,
                    normverk_store::unix_now(),
                )
                .await?;
            println!("added user {} with id {} to {}", user.email, user.id, org.name);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

async fn token_add(config: &Config, org: &str, scopes: &[String], name: &str) -> anyhow::Result<()> {
    let scopes = parse_scopes(&scopes.join(",")).map_err(|e| anyhow!("--scope: {e}"))?;
    let name = clean_name(name).map_err(|e| anyhow!("--name: {e}"))?;
    let store = open_migrated(config).await?;
    let org = find_org(&store, org).await?;
    let (secret, token) =
        normverk_app::account::issue_token(&store, org.id, &name, &scopes, None, normverk_store::unix_now()).await?;
    eprintln!("issued API token '{}' (id {}) for {} with scopes {}", token.name, token.id, org.name, token.scopes);
    println!("{secret}");
    Ok(())
}
