//! `normverk backup` and `normverk restore`: a tar archive holding a consistent copy of the
//! SQLite database, the data directory's keys, and a manifest.

use crate::config::Config;
use anyhow::{bail, Context};
use normverk_store::{DbTarget, Store};
use std::fs::File;
use std::path::{Component, Path};

const DB_NAME: &str = "normverk.db";
const KEYS_DIR: &str = "keys";
const MANIFEST: &str = "MANIFEST";

pub async fn backup(config: &Config, store: &Store, file: &Path) -> anyhow::Result<()> {
    if config.database_url.value.is_some() {
        bail!("backup copies the embedded SQLite database; for PostgreSQL use pg_dump (see README)");
    }
    if file.exists() {
        bail!("{} already exists; choose a new file name", file.display());
    }
    let work = tempfile::Builder::new().prefix(".normverk-backup-").tempdir_in(&config.data_dir.value)?;
    let snapshot = work.path().join(DB_NAME);
    store.sqlite_snapshot(&snapshot).await?;
    let manifest = format!(
        "normverk backup\nversion = {}\nschema_version = {}\ncreated_at = {}\n",
        env!("CARGO_PKG_VERSION"),
        store.schema_version().await?,
        normverk_store::unix_now()
    );
    std::fs::write(work.path().join(MANIFEST), manifest)?;

    // Write beside the target and rename, so a half-written archive never has the final name.
    let partial = file.with_extension("partial");
    let result = (|| -> anyhow::Result<()> {
        let out = File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
        let mut tar = tar::Builder::new(out);
        tar.append_path_with_name(work.path().join(MANIFEST), MANIFEST)?;
        tar.append_path_with_name(&snapshot, DB_NAME)?;
        let keys = config.data_dir.value.join(KEYS_DIR);
        if keys.is_dir() {
            tar.append_dir_all(KEYS_DIR, &keys)?;
        }
        tar.into_inner()?.sync_all()?;
        std::fs::rename(&partial, file)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result?;
    println!("backup written to {}", file.display());
    Ok(())
}

pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<()> {
    if config.database_url.value.is_some() {
        bail!("restore writes an SQLite data directory; for PostgreSQL use pg_restore (see README)");
    }
    let dir = &config.data_dir.value;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("data directory {} is not empty; restore only into an empty or new directory", dir.display());
    }
    let archive = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    // Check every entry before writing anything: only our own names, no escapes from the dir.
    let mut names = Vec::new();
    for entry in tar::Archive::new(archive).entries().context("not a normverk backup (unreadable archive)")? {
        let entry = entry.context("not a normverk backup (damaged archive)")?;
        let path = entry.path()?.into_owned();
        let safe = path.components().all(|c| matches!(c, Component::Normal(_)));
        let ours = path == Path::new(DB_NAME) || path == Path::new(MANIFEST) || path.starts_with(KEYS_DIR);
        if !safe || !ours {
            bail!("not a normverk backup: unexpected entry {}", path.display());
        }
        names.push(path);
    }
    if !names.iter().any(|n| n == Path::new(DB_NAME)) || !names.iter().any(|n| n == Path::new(MANIFEST)) {
        bail!("not a normverk backup: {DB_NAME} or {MANIFEST} missing");
    }
    crate::ensure_data_dir(dir)?;
    let unpack = (|| -> anyhow::Result<()> {
        let mut archive = tar::Archive::new(File::open(file)?);
        archive.set_preserve_permissions(false);
        archive.unpack(dir)?;
        Ok(())
    })();
    let verified = match unpack {
        Ok(()) => verify(dir).await,
        Err(e) => Err(e),
    };
    if let Err(e) = verified {
        // Leave the directory as empty as we found it.
        let search = normverk_store::search_file(&dir.join(DB_NAME));
        for path in [
            dir.join(DB_NAME),
            dir.join(MANIFEST),
            search.clone(),
            search.with_extension("db-wal"),
            search.with_extension("db-shm"),
        ] {
            let _ = std::fs::remove_file(path);
        }
        let _ = std::fs::remove_dir_all(dir.join(KEYS_DIR));
        return Err(e);
    }
    println!("restored {} into {}", file.display(), dir.display());
    Ok(())
}

async fn verify(dir: &Path) -> anyhow::Result<()> {
    let store = Store::open(&DbTarget::Sqlite(dir.join(DB_NAME))).await?;
    store.require_current_schema().await?;
    let problems = store.integrity_problems().await?;
    store.close().await;
    if !problems.is_empty() {
        bail!("the restored database failed its integrity check: {}", problems.join("; "));
    }
    Ok(())
}
