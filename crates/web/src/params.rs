//! Query and form values the pages and the API read alike: times as people and programs write
//! them, and the access log's search.

use normverk_store::access_log::EventFilter;
use serde::Deserialize;
use utoipa::IntoParams;

/// A time typed by a person or sent by a program: what [`parse_time_or_date`] takes, or a local
/// date and time (`2026-11-24T08:00`, as a datetime-local field sends it) in Norwegian time.
/// Unix seconds.
pub fn parse_time_input(s: &str) -> Option<i64> {
    parse_time_or_date(s).or_else(|| in_norway(s.parse::<jiff::civil::DateTime>().ok()?))
}

/// An RFC 3339 time or a date (midnight in Norway), and nothing else.
pub fn parse_time_or_date(s: &str) -> Option<i64> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_second());
    }
    let date = s.parse::<jiff::civil::Date>().ok().filter(|_| s.len() == 10)?;
    in_norway(date.to_datetime(jiff::civil::Time::midnight()))
}

/// A wall-clock time in Norway as Unix seconds.
fn in_norway(civil: jiff::civil::DateTime) -> Option<i64> {
    civil.to_zoned(normverk_app::clock::norway()).ok().map(|z| z.timestamp().as_second())
}

/// The schema of a time parameter: an RFC 3339 `date-time` or a `date`.
pub struct TimeOrDate;

impl utoipa::PartialSchema for TimeOrDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let of = |f| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(f)));
        OneOfBuilder::new().item(of(KnownFormat::DateTime)).item(of(KnownFormat::Date)).into()
    }
}

impl utoipa::ToSchema for TimeOrDate {}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    pub patient_id: Option<String>,
    pub user_id: Option<String>,
    pub unit: Option<String>,
    /// RFC 3339 or a date (midnight in Norway), inclusive.
    #[param(value_type = Option<TimeOrDate>, inline)]
    pub from: Option<String>,
    /// RFC 3339 or a date (midnight in Norway), exclusive.
    #[param(value_type = Option<TimeOrDate>, inline)]
    pub to: Option<String>,
    /// From 1; 100 events a page, at most 100 pages (narrow the time window for older events).
    /// A page past the last matching event is empty.
    #[param(minimum = 1, maximum = 100)]
    pub page: Option<u64>,
}

/// Events per page of a search.
pub const PAGE_SIZE: u32 = 100;

/// The deepest page of a search: each index segment is asked for its best page × 100 matches.
pub const MAX_PAGE: u64 = 100;

impl EventQuery {
    /// The store's filter as a person's search reads it (times as typed, a local date and time
    /// too), or the first field that is not understood.
    pub fn filter(&self) -> Result<EventFilter, (&'static str, String)> {
        self.filter_with(parse_time_input, true)
    }

    /// The store's filter as the API reads it: times exactly as its document says.
    pub fn filter_strict(&self) -> Result<EventFilter, (&'static str, String)> {
        self.filter_with(parse_time_or_date, false)
    }

    /// The filter with times read by `parse`; a blank time is no bound when `blank_is_none` (a
    /// search form sends its empty fields), and refused like any unreadable time otherwise.
    fn filter_with(
        &self,
        parse: fn(&str) -> Option<i64>,
        blank_is_none: bool,
    ) -> Result<EventFilter, (&'static str, String)> {
        let time = |name: &'static str, v: &Option<String>| -> Result<Option<i64>, (&'static str, String)> {
            match v.as_deref().map(str::trim).filter(|s| !(blank_is_none && s.is_empty())) {
                None => Ok(None),
                Some(s) => parse(s)
                    .map(Some)
                    .ok_or((name, "use RFC 3339 (2026-11-24T08:00:00+01:00) or a date (2026-11-24)".to_string())),
            }
        };
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        Ok(EventFilter {
            patient_id: text(&self.patient_id),
            user_id: text(&self.user_id),
            unit: text(&self.unit),
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
        })
    }

    /// The page asked for, at most [`MAX_PAGE`]: a search goes no deeper than its newest
    /// 10,000 matches (older ones are found by narrowing the time window). Pages show the
    /// nearest page there is.
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1).clamp(1, MAX_PAGE)
    }

    /// The page asked for, refused when it is not one there can be (the API's reading).
    pub fn page_in_range(&self) -> Result<u64, (&'static str, String)> {
        match self.page.unwrap_or(1) {
            page @ 1..=MAX_PAGE => Ok(page),
            _ => Err(("page", format!("pages are numbered from 1 to {MAX_PAGE}"))),
        }
    }
}
