//! The one cache the services keep: a value per key (an organisation), reused while the
//! version it was computed at is still the store's, and — where other instances may change what
//! it was computed from without a version — for at most a time to live.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries beyond this many are dropped all at once, so memory stays bounded whatever the keys.
const MAX_ENTRIES: usize = 10_000;

pub struct Cache<K, V> {
    ttl: Option<Duration>,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

struct Entry<V> {
    version: i64,
    at: Instant,
    value: V,
}

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    /// A cache whose entries live while their version holds; with `ttl`, at most that long.
    pub fn new(ttl: Option<Duration>) -> Self {
        Cache { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The value for `key` if it was computed at `version` and has not outlived the time to live.
    pub fn get(&self, key: &K, version: i64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        let fresh = self.ttl.is_none_or(|ttl| e.at.elapsed() < ttl);
        (e.version == version && fresh).then(|| e.value.clone())
    }

    pub fn put(&self, key: K, version: i64, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, Entry { version, at: Instant::now(), value });
        }
    }

    /// Drops the value for `key`: what it was computed from changed here.
    pub fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    /// The value for `key` at `version`, computed by `load` when there is none fresh.
    pub async fn get_or_load<E, F>(&self, key: K, version: i64, load: F) -> Result<V, E>
    where
        F: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key, version) {
            return Ok(v);
        }
        let value = load.await?;
        self.put(key, version, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_lives_while_its_version_holds() {
        let cache: Cache<i64, &str> = Cache::new(None);
        cache.put(1, 7, "seven");
        assert_eq!(cache.get(&1, 7), Some("seven"));
        assert_eq!(cache.get(&1, 8), None);
        assert_eq!(cache.get(&2, 7), None);
        cache.forget(&1);
        assert_eq!(cache.get(&1, 7), None);
    }

    #[test]
    fn a_value_outlives_no_time_to_live() {
        let cache: Cache<i64, i64> = Cache::new(Some(Duration::ZERO));
        cache.put(1, 0, 5);
        assert_eq!(cache.get(&1, 0), None);
    }
}
