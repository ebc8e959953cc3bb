//! The access log's Ed25519 signing key: from `NORMVERK_LOG_KEY`, a key file given with
//! `--log-key-file`, or the data directory's `keys/log.key` (created on first use). A key file
//! others can read is refused.

use crate::config::Config;
use anyhow::{bail, Context};
use rand::RngCore;
use std::path::PathBuf;
use tlog::note::Signer;

pub fn key_path(config: &Config) -> PathBuf {
    config.data_dir.value.join("keys").join("log.key")
}

/// The signer for the configured origin, creating the key file when there is none.
pub fn load_or_create(config: &Config) -> anyhow::Result<Signer> {
    load_with(config, true)
}

/// The signer for the configured origin; an error when there is no key yet.
pub fn load(config: &Config) -> anyhow::Result<Signer> {
    load_with(config, false)
}

fn load_with(config: &Config, create_missing: bool) -> anyhow::Result<Signer> {
    let origin = &config.log_origin.value;
    let signer = if let Ok(text) = std::env::var("NORMVERK_LOG_KEY") {
        Signer::from_key_string(&text).map_err(|e| anyhow::anyhow!("NORMVERK_LOG_KEY: {e}"))?
    } else if let Some(path) = &config.log_key_file.value {
        read(path)?
    } else {
        let path = key_path(config);
        if path.exists() {
            read(&path)?
        } else if create_missing {
            create(&path, origin)?
        } else {
            bail!("there is no log key at {} (and NORMVERK_LOG_KEY is not set)", path.display());
        }
    };
    if &signer.name != origin {
        bail!("the log key is for origin '{}', but the configured log origin is '{origin}'", signer.name);
    }
    Ok(signer)
}

fn read(path: &std::path::Path) -> anyhow::Result<Signer> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read the log key {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        bail!("the log key {} can be read by others; make it private: chmod 600 {}", path.display(), path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Signer::from_key_string(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn create(path: &std::path::Path, origin: &str) -> anyhow::Result<Signer> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let signer = Signer::new(origin, seed).map_err(|e| anyhow::anyhow!("log origin: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(format!("{}\n", signer.key_string()).as_bytes())?;
    file.sync_all()?;
    Ok(signer)
}
