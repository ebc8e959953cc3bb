//! The effective configuration: flags, then environment, then `normverk.toml`, then defaults.

use anyhow::{bail, Context};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What `normverk.toml` may contain. Unknown keys are refused, so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    pub secure_cookies: Option<bool>,
    pub session_idle_minutes: Option<i64>,
    pub session_absolute_hours: Option<i64>,
    pub body_limit_bytes: Option<usize>,
    pub header_timeout_seconds: Option<u64>,
    pub body_timeout_seconds: Option<u64>,
    pub idle_timeout_seconds: Option<u64>,
    pub max_connections: Option<usize>,
    pub log_verify_hours: Option<u64>,
    pub log_origin: Option<String>,
    pub log_key_file: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub public_url: Option<String>,
}

/// Where a setting came from, for `config show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    File,
    Default,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Source::Flag => "flag or environment",
            Source::File => "normverk.toml",
            Source::Default => "default",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

fn pick<T>(flag: Option<T>, file: Option<T>, default: T) -> Setting<T> {
    match (flag, file) {
        (Some(value), _) => Setting { value, source: Source::Flag },
        (None, Some(value)) => Setting { value, source: Source::File },
        (None, None) => Setting { value: default, source: Source::Default },
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub file: Option<PathBuf>,
    pub addr: Setting<SocketAddr>,
    pub data_dir: Setting<PathBuf>,
    pub database_url: Setting<Option<String>>,
    pub log_format: Setting<String>,
    pub secure_cookies: Setting<bool>,
    pub session_idle_minutes: Setting<i64>,
    pub session_absolute_hours: Setting<i64>,
    pub body_limit_bytes: Setting<usize>,
    /// Seconds a client may take to send a request's head, and its body; seconds a keep-alive
    /// connection may sit idle; connections open at once.
    pub header_timeout_seconds: Setting<u64>,
    pub body_timeout_seconds: Setting<u64>,
    pub idle_timeout_seconds: Setting<u64>,
    pub max_connections: Setting<usize>,
    /// Hours between the server's checks of the whole access log; 0 turns them off.
    pub log_verify_hours: Setting<u64>,
    /// The access log's origin line, also the name of its signing key.
    pub log_origin: Setting<String>,
    /// A file holding the log's signing key, instead of `keys/log.key` in the data directory.
    pub log_key_file: Setting<Option<PathBuf>>,
    /// Outgoing mail (the breach clock's reminders): `smtp://host:port` or
    /// `smtps://user:password@host:465`; none turns mail off.
    pub smtp_url: Setting<Option<String>>,
    pub smtp_from: Setting<Option<String>>,
    /// The address people open normverk at, for links in mail.
    pub public_url: Setting<Option<String>>,
}

/// Values given on the command line or in the environment (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    pub secure_cookies: Option<bool>,
    pub log_origin: Option<String>,
    pub log_key_file: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub public_url: Option<String>,
}

impl Config {
    pub fn resolve(o: Overrides) -> anyhow::Result<Config> {
        let (file, fc) = load_file(o.config.as_deref())?;
        let addr = pick(o.addr, fc.addr, "127.0.0.1:8080".to_string());
        let parsed_addr: SocketAddr = addr
            .value
            .parse()
            .with_context(|| format!("invalid address '{}': use HOST:PORT, e.g. 127.0.0.1:8080", addr.value))?;
        let log_format = pick(o.log_format, fc.log_format, "text".to_string());
        if !matches!(log_format.value.as_str(), "text" | "json") {
            bail!("invalid log format '{}': use text or json", log_format.value);
        }
        let database_url = pick(o.database_url.map(Some), fc.database_url.map(Some), None);
        if let Some(url) = &database_url.value {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                bail!(
                    "invalid database URL: only postgres:// URLs are supported (SQLite is the default; leave it out)"
                );
            }
        }
        let idle = pick(None, fc.session_idle_minutes, 30);
        let absolute = pick(None, fc.session_absolute_hours, 12);
        if idle.value < 1 || absolute.value < 1 || idle.value > 24 * 60 || absolute.value > 24 * 30 {
            bail!("session timeouts out of range: session_idle_minutes 1–1440, session_absolute_hours 1–720");
        }
        let body_limit = pick(None, fc.body_limit_bytes, 1024 * 1024);
        if body_limit.value < 1024 {
            bail!("body_limit_bytes must be at least 1024");
        }
        let header_timeout = pick(None, fc.header_timeout_seconds, 10);
        let body_timeout = pick(None, fc.body_timeout_seconds, 30);
        let idle_timeout = pick(None, fc.idle_timeout_seconds, 60);
        for (name, s) in [
            ("header_timeout_seconds", &header_timeout),
            ("body_timeout_seconds", &body_timeout),
            ("idle_timeout_seconds", &idle_timeout),
        ] {
            if !(1..=3600).contains(&s.value) {
                bail!("{name} must be between 1 and 3600");
            }
        }
        let log_verify_hours = pick(None, fc.log_verify_hours, 24);
        if log_verify_hours.value > 24 * 366 {
            bail!("log_verify_hours must be between 0 (off) and 8784");
        }
        let max_connections = pick(None, fc.max_connections, 10_000);
        if !(16..=1_000_000).contains(&max_connections.value) {
            bail!("max_connections must be between 16 and 1000000");
        }
        let log_origin = pick(o.log_origin, fc.log_origin, "normverk.local/access-log".to_string());
        if log_origin.value.is_empty()
            || log_origin.value.contains('+')
            || log_origin.value.chars().any(char::is_whitespace)
        {
            bail!(
                "invalid log origin '{}': use a name like example.org/access-log, without spaces or '+'",
                log_origin.value
            );
        }
        let smtp_url = pick(o.smtp_url.map(Some), fc.smtp_url.map(Some), None);
        let smtp_from = pick(o.smtp_from.map(Some), fc.smtp_from.map(Some), None);
        let public_url = pick(o.public_url.map(Some), fc.public_url.map(Some), None);
        if let Some(url) = &smtp_url.value {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                bail!("invalid smtp_url: use smtp://host:port or smtps://user:password@host:465");
            }
            if smtp_from.value.is_none() {
                bail!("smtp_url is set but smtp_from is not: give the sender, e.g. normverk@example.org");
            }
        }
        if let Some(url) = &public_url.value {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("invalid public_url '{url}': use the address people open normverk at, e.g. https://normverk.example.org");
            }
        }
        Ok(Config {
            smtp_url,
            smtp_from,
            public_url,
            file,
            log_origin,
            log_key_file: pick(o.log_key_file.map(Some), fc.log_key_file.map(Some), None),
            addr: Setting { value: parsed_addr, source: addr.source },
            data_dir: pick(o.data_dir, fc.data_dir, PathBuf::from("normverk-data")),
            database_url,
            log_format,
            secure_cookies: pick(o.secure_cookies.filter(|s| *s), fc.secure_cookies, false),
            session_idle_minutes: idle,
            session_absolute_hours: absolute,
            body_limit_bytes: body_limit,
            header_timeout_seconds: header_timeout,
            body_timeout_seconds: body_timeout,
            idle_timeout_seconds: idle_timeout,
            max_connections,
            log_verify_hours,
        })
    }

    /// The configuration as TOML with where each value came from; passwords hidden.
    pub fn show(&self) -> String {
        let mut out = String::new();
        match &self.file {
            Some(f) => out.push_str(&format!("# configuration file: {}\n", f.display())),
            None => out.push_str("# no configuration file\n"),
        }
        let mut line = |key: &str, value: String, source: Source| {
            out.push_str(&format!("{key} = {value}  # {}\n", source.label()));
        };
        line("addr", quote(&self.addr.value.to_string()), self.addr.source);
        line("data_dir", quote(&self.data_dir.value.display().to_string()), self.data_dir.source);
        match &self.database_url.value {
            Some(url) => line("database_url", quote(&normverk_store::redact_url(url)), self.database_url.source),
            None => line("# database_url", "(not set: embedded SQLite in data_dir)".into(), self.database_url.source),
        }
        line("log_format", quote(&self.log_format.value), self.log_format.source);
        line("secure_cookies", self.secure_cookies.value.to_string(), self.secure_cookies.source);
        line("session_idle_minutes", self.session_idle_minutes.value.to_string(), self.session_idle_minutes.source);
        line(
            "session_absolute_hours",
            self.session_absolute_hours.value.to_string(),
            self.session_absolute_hours.source,
        );
        line("body_limit_bytes", self.body_limit_bytes.value.to_string(), self.body_limit_bytes.source);
        for (name, s) in [
            ("header_timeout_seconds", &self.header_timeout_seconds),
            ("body_timeout_seconds", &self.body_timeout_seconds),
            ("idle_timeout_seconds", &self.idle_timeout_seconds),
        ] {
            line(name, s.value.to_string(), s.source);
        }
        line("max_connections", self.max_connections.value.to_string(), self.max_connections.source);
        line("log_verify_hours", self.log_verify_hours.value.to_string(), self.log_verify_hours.source);
        line("log_origin", quote(&self.log_origin.value), self.log_origin.source);
        let key_file = self
            .log_key_file
            .value
            .as_ref()
            .map_or("(keys/log.key in the data dir)".to_string(), |p| quote(&p.display().to_string()));
        line("log_key_file", key_file, self.log_key_file.source);
        match &self.smtp_url.value {
            Some(url) => line("smtp_url", quote(&normverk_store::redact_url(url)), self.smtp_url.source),
            None => line("# smtp_url", "(not set: no e-mail)".into(), self.smtp_url.source),
        }
        if let Some(from) = &self.smtp_from.value {
            line("smtp_from", quote(from), self.smtp_from.source);
        }
        if let Some(url) = &self.public_url.value {
            line("public_url", quote(url), self.public_url.source);
        }
        out
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.value.join("normverk.db")
    }
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn load_file(explicit: Option<&Path>) -> anyhow::Result<(Option<PathBuf>, FileConfig)> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let default = PathBuf::from("normverk.toml");
            if !default.exists() {
                return Ok((None, FileConfig::default()));
            }
            default
        }
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read configuration file {}", path.display()))?;
    let fc: FileConfig = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    Ok((Some(path), fc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("n.toml");
        std::fs::write(
            &file,
            "addr = \"127.0.0.1:9000\"\nlog_format = \"json\"\ndatabase_url = \"postgres://u:secret@h/db\"\n",
        )
        .unwrap();
        let c = Config::resolve(Overrides {
            config: Some(file.clone()),
            addr: Some("127.0.0.1:9100".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.addr.value.port(), 9100);
        assert_eq!(c.addr.source, Source::Flag);
        assert_eq!(c.log_format.value, "json");
        assert_eq!(c.log_format.source, Source::File);
        assert_eq!(c.data_dir.source, Source::Default);
        let shown = c.show();
        assert!(shown.contains("u:***@h/db"), "{shown}");
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn bad_files_and_values_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("n.toml");
        std::fs::write(&file, "adr = \"x\"\n").unwrap();
        let err = Config::resolve(Overrides { config: Some(file.clone()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let err = Config::resolve(Overrides { addr: Some("nowhere".into()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("invalid address"));
        let err =
            Config::resolve(Overrides { database_url: Some("mysql://x".into()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("postgres://"));
    }
}
