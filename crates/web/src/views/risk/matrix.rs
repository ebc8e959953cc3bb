//! `/risk/matrix`: the acceptance level (Normen 2.4) — the matrix in force with every earlier
//! version, and for top management the form that sets a new one, of any shape the rules allow.

use super::{value, Level};
use crate::auth::Member;
use crate::error::PageError;
use crate::views::{render_status, FormErrors, Page, Plain};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::org::Action;
use normverk_core::risk::{Matrix, Step, AXIS_STEPS, LEVEL_COUNT};
use normverk_store::risk::StoredMatrix;

#[derive(Template)]
#[template(path = "risk_matrix.html")]
struct MatrixPage<'a> {
    page: &'a Page,
    current: StoredMatrix,
    versions: Vec<StoredMatrix>,
    /// The form's matrix: the one in force, reshaped as asked, or what was entered.
    form: Option<Matrix>,
    /// Months between management's regular assessments.
    regular_months: i64,
    may_decide: bool,
    errors: FormErrors,
}

impl MatrixPage<'_> {
    /// The rows of `m` as drawn, the highest likelihood first: (step from 1, its cells' levels).
    pub fn rows(&self, m: &Matrix) -> Vec<(usize, Vec<Level>)> {
        (0..m.likelihood.len())
            .rev()
            .map(|l| {
                let cells = m.grid.get(l).map_or_else(Vec::new, |row| {
                    row.iter().filter_map(|level| super::level(m, Some(*level))).collect()
                });
                (l + 1, cells)
            })
            .collect()
    }

    pub fn fill(&self, m: &Matrix, level: impl Plain<usize>) -> &'static str {
        crate::chart::level_fill(level.plain(), m.levels.len())
    }

    /// The form's three lists of steps: (field prefix, heading, steps).
    pub fn sections<'m>(&self, m: &'m Matrix) -> [(&'static str, &'static str, &'m [Step]); 3] {
        [
            ("l", "risk-likelihood", &m.likelihood),
            ("c", "risk-consequence", &m.consequence),
            ("v", "risk-levels", &m.levels),
        ]
    }

    /// Likelihood steps from the highest, counted from 0.
    pub fn downwards(&self, m: &Matrix) -> Vec<usize> {
        (0..m.likelihood.len()).rev().collect()
    }

    /// Whether cell `[l][c]` of `m` is level `level`.
    pub fn is_cell(&self, m: &Matrix, l: impl Plain<usize>, c: impl Plain<usize>, level: impl Plain<usize>) -> bool {
        m.grid.get(l.plain()).and_then(|r| r.get(c.plain())).copied() == Some(level.plain())
    }

    pub fn is_acceptable(&self, m: &Matrix, level: impl Plain<usize>) -> bool {
        level.plain() == m.acceptable
    }
}

/// `?likelihood=&consequence=&levels=`: the shape of the form.
#[derive(serde::Deserialize, Default)]
pub struct Shape {
    #[serde(default)]
    likelihood: Option<String>,
    #[serde(default)]
    consequence: Option<String>,
    #[serde(default)]
    levels: Option<String>,
}

fn count(v: Option<&str>, range: &std::ops::RangeInclusive<usize>, default: usize) -> usize {
    v.and_then(|v| v.trim().parse().ok()).filter(|n| range.contains(n)).unwrap_or(default)
}

/// `m` reshaped: steps and levels kept where they exist, new ones blank, cells kept where they
/// exist and otherwise rising evenly from the lowest level to the highest.
fn reshaped(m: &Matrix, ls: usize, cs: usize, ns: usize) -> Matrix {
    let resize = |steps: &[Step], n: usize| -> Vec<Step> {
        (0..n)
            .map(|i| steps.get(i).cloned().unwrap_or(Step { label: String::new(), description: String::new() }))
            .collect()
    };
    let same = ls == m.likelihood.len() && cs == m.consequence.len() && ns == m.levels.len();
    let grid = (0..ls)
        .map(|l| {
            (0..cs)
                .map(|c| match m.grid.get(l).and_then(|r| r.get(c)) {
                    Some(level) if same => *level,
                    _ => (l + c) * (ns - 1) / (ls + cs - 2).max(1),
                })
                .collect()
        })
        .collect();
    Matrix {
        likelihood: resize(&m.likelihood, ls),
        consequence: resize(&m.consequence, cs),
        levels: resize(&m.levels, ns),
        grid,
        acceptable: m.acceptable.min(ns - 1),
    }
}

async fn page(
    state: &AppState,
    page: &Page,
    member: &Member,
    form: Option<Matrix>,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let current = state.app.risk.matrix(member.org.id).await?;
    let versions = state.store.risk_matrices(member.org.id).await?;
    let form = if member.may(Action::DecideRisk) { form.or_else(|| Some(current.matrix.clone())) } else { None };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let regular_months = state.app.risk.regular_months(member.org.id).await?;
    let may_decide = member.may(Action::DecideRisk);
    render_status(status, &MatrixPage { page, current, versions, form, regular_months, may_decide, errors })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(shape): Query<Shape>,
) -> Result<Response, PageError> {
    let current = state.app.risk.matrix(member.org.id).await?.matrix;
    let form = if shape.likelihood.is_some() || shape.consequence.is_some() || shape.levels.is_some() {
        let ls = count(shape.likelihood.as_deref(), &AXIS_STEPS, current.likelihood.len());
        let cs = count(shape.consequence.as_deref(), &AXIS_STEPS, current.consequence.len());
        let ns = count(shape.levels.as_deref(), &LEVEL_COUNT, current.levels.len());
        Some(reshaped(&current, ls, cs, ns))
    } else {
        None
    };
    self::page(&state, &page, &member, form, FormErrors::default()).await
}

/// The posted matrix, of the shape its hidden counts give (at most 10 of each, so a hostile
/// form cannot make a large one; the rules refuse any count out of range).
fn read(fields: &[(String, String)]) -> Matrix {
    let n = |key: &str| value(fields, key).parse::<usize>().unwrap_or(0).min(10);
    let steps = |prefix: &str, count: usize| -> Vec<Step> {
        (0..count)
            .map(|i| Step {
                label: value(fields, &format!("{prefix}{i}_label")).to_string(),
                description: super::text(fields, &format!("{prefix}{i}_description")),
            })
            .collect()
    };
    let (ls, cs, ns) = (n("likelihood"), n("consequence"), n("levels"));
    let grid = (0..ls)
        .map(|l| (0..cs).map(|c| value(fields, &format!("cell_{l}_{c}")).parse().unwrap_or(usize::MAX)).collect())
        .collect();
    Matrix {
        likelihood: steps("l", ls),
        consequence: steps("c", cs),
        levels: steps("v", ns),
        grid,
        acceptable: value(fields, "acceptable").parse().unwrap_or(usize::MAX),
    }
}

pub async fn set(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::DecideRisk)?;
    let m = read(&fields);
    match state.app.risk.set_matrix(member.org.id, &m, Some(member.viewer.user.id)).await {
        Ok(_) => Ok(Redirect::to("/risk/matrix").into_response()),
        Err(e) => {
            let errors = super::refused(&page, e)?;
            self::page(&state, &page, &member, Some(m), errors).await
        }
    }
}

/// How often management's regular assessment is due.
pub async fn set_regular(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::DecideRisk)?;
    let months = value(&fields, "regular_months").parse().unwrap_or(0);
    match state.app.risk.set_regular_months(member.org.id, months).await {
        Ok(()) => Ok(Redirect::to("/risk/matrix").into_response()),
        Err(e) => {
            let errors = super::refused(&page, e)?;
            self::page(&state, &page, &member, None, errors).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reshaped_matrix_rises_evenly_and_keeps_what_fits() {
        let m = reshaped(&Matrix::default(), 4, 4, 3);
        assert_eq!(m.likelihood.len(), 4);
        assert_eq!(m.likelihood[0], Matrix::default().likelihood[0]);
        assert_eq!(m.grid[0][0], 0);
        assert_eq!(m.grid[3][3], 2);
        assert!(m.check().iter().all(|p| p.field != "grid"), "{:?}", m.check());
        assert_eq!(reshaped(&Matrix::default(), 5, 5, 3), Matrix::default());
    }
}
