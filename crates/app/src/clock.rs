//! The time the services go by. Servers read the system clock; tests set the time, so a test of
//! a deadline or an expiry moves the clock instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Unix seconds, from the system or set by a test. Cloning shares the clock.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock standing at `unix` until it is set or advanced.
    pub fn fixed(unix: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(unix))))
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(at) => at.load(Ordering::Relaxed),
            None => normverk_store::unix_now(),
        }
    }

    /// Sets a fixed clock to `unix`; the system clock is not changed.
    pub fn set(&self, unix: i64) {
        if let Some(at) = &self.0 {
            at.store(unix, Ordering::Relaxed);
        }
    }

    /// Moves a fixed clock on by `seconds`; the system clock is not changed.
    pub fn advance(&self, seconds: i64) {
        if let Some(at) = &self.0 {
            at.fetch_add(seconds, Ordering::Relaxed);
        }
    }
}

/// Norway's time zone (Europe/Oslo), where people read dates and deadlines.
pub fn norway() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/Oslo").unwrap_or(jiff::tz::TimeZone::UTC)
}

/// A Unix time in Norway's time zone.
pub fn in_norway(unix: i64) -> Option<jiff::Zoned> {
    jiff::Timestamp::from_second(unix).ok().map(|t| t.to_zoned(norway()))
}

/// A Unix time as RFC 3339 in UTC, as the log's entries write times.
pub fn rfc3339(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map(|t| t.to_string()).unwrap_or_default()
}

/// The date in Norway at `unix`, `YYYY-MM-DD` (deadlines of measures are dates).
pub fn date_in_norway(unix: i64) -> String {
    in_norway(unix).map(|z| z.date().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let clock = Clock::fixed(1_000);
        let shared = clock.clone();
        shared.advance(60);
        assert_eq!(clock.now(), 1_060);
        clock.set(5);
        assert_eq!(shared.now(), 5);
        assert!(Clock::system().now() > 1_700_000_000);
    }

    #[test]
    fn dates_are_norwegian_across_midnight_and_dst() {
        // 2026-11-30 23:30 UTC is 1 December in Oslo (UTC+1).
        assert_eq!(date_in_norway(1_796_081_400), "2026-12-01");
        // 2026-06-30 22:30 UTC is 1 July in Oslo (UTC+2).
        assert_eq!(date_in_norway(1_782_858_600), "2026-07-01");
    }
}
