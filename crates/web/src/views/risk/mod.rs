//! `/risk`: risk management (Normen 2.4 and 3.3) — the acceptance level top management sets,
//! risk assessments in the seven steps from start to approval, and the register across them
//! with its heat maps and exports.
//!
//! One module per concern: `matrix` (the acceptance level), `assessment` (an assessment's page
//! and its steps), `register` (the overview, the register and its exports), `threats` (the
//! organisation's threat catalogue), `dpia` (impact
//! assessments and prior consultation, Normen 3.4–3.5). What they share is here.

mod assessment;
mod dpia;
mod matrix;
mod register;
mod threats;

use super::{FormErrors, Page};
use crate::chart::HeatMap;
use crate::error::PageError;
use normverk_app::risk::{Heat, RiskError};
use normverk_core::risk::Matrix;
use normverk_store::StoreError;

/// A submitted form's value for `key`, trimmed, empty when absent.
fn value<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.trim())
}

/// A step chosen in a form: none when left blank or not a number.
fn step(fields: &[(String, String)], key: &str) -> Option<u8> {
    value(fields, key).parse().ok()
}

/// Every id posted under `key` (check boxes); ids that are not numbers are dropped, and the
/// rules refuse ids that are not the organisation's.
fn ids(fields: &[(String, String)], key: &str) -> Vec<i64> {
    fields.iter().filter(|(k, _)| k == key).filter_map(|(_, v)| v.trim().parse().ok()).collect()
}

/// Text from a text area as stored: trimmed, with Unix line ends.
fn text(fields: &[(String, String)], key: &str) -> String {
    value(fields, key).replace("\r\n", "\n")
}

/// What a refused change means for the form: its problems, a stale version, a frozen
/// assessment; anything else is the page's error.
fn refused(page: &Page, e: RiskError) -> Result<FormErrors, PageError> {
    let mut errors = FormErrors::default();
    match e {
        RiskError::Invalid(problems) => return Ok(FormErrors::of(page, problems)),
        RiskError::Store(StoreError::Conflict(_)) => errors.add("version", page.t("risk-stale")),
        RiskError::Store(StoreError::Rejected(r)) => errors.add("state", page.rejection(&r)),
        RiskError::Store(e) => return Err(e.into()),
    }
    Ok(errors)
}

/// The two heat maps of `heat` on `m`: before and after the measures.
fn heat_maps(heat: &Heat, m: &Matrix) -> (HeatMap, HeatMap) {
    let n = m.levels.len();
    (HeatMap::new(&heat.inherent, &m.grid, n), HeatMap::new(&heat.remaining, &m.grid, n))
}

/// A level's name and its fill, for badges and legends.
pub struct Level {
    pub label: String,
    pub fill: &'static str,
}

/// The level `level` of `m` as a badge shows it; none for an unscored event.
fn level(m: &Matrix, level: Option<usize>) -> Option<Level> {
    let l = level?;
    Some(Level { label: m.levels.get(l)?.label.clone(), fill: crate::chart::level_fill(l, m.levels.len()) })
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    dpia::routes(r)
        .get("/risk", register::overview)
        .get("/risk/register", register::register)
        .get("/risk/register.xlsx", register::export_xlsx)
        .get("/risk/register.csv", register::export_csv)
        .get("/risk/register.json", register::export_json)
        .get("/risk/matrix", matrix::show)
        .post("/risk/matrix", matrix::set)
        .post("/risk/matrix/regular", matrix::set_regular)
        .get("/risk/threats", threats::show)
        .post("/risk/threats", threats::add)
        .post("/risk/threats/{code}", threats::update)
        .post("/risk/assessments", assessment::start)
        .get("/risk/assessments/{id}", assessment::show)
        .get("/risk/assessments/{id}/report", assessment::report)
        .post("/risk/assessments/{id}/prepare", assessment::prepare)
        .post("/risk/assessments/{id}/events", assessment::add_event)
        .post("/risk/assessments/{id}/approve", assessment::approve)
        .get("/risk/assessments/{id}/events/{event}", assessment::event)
        .post("/risk/assessments/{id}/events/{event}", assessment::score)
        .post("/risk/assessments/{id}/events/{event}/delete", assessment::delete_event)
        .post("/risk/assessments/{id}/events/{event}/measures", assessment::add_measure)
        .post("/risk/assessments/{id}/events/{event}/measures/{measure}", assessment::update_measure)
        .post("/risk/assessments/{id}/events/{event}/accept", assessment::accept)
}
