//! The self-assessment: rounds, answering requirements, the overview with its chart, gaps,
//! comparisons and the report for management.

use super::{render, render_status, FormErrors, Page, Plain};
use crate::auth::Member;
use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_core::assessment::{self as rules, check_answer, AnswerInput, Change, Date, Score, Status};
use normverk_core::catalog::{normen_5_3, Catalog, Requirement, Section};
use normverk_core::org::{clean_name, Action};
use normverk_store::assessment::{Evidence, HistoryRow, Round};
use normverk_store::org::Member as OrgMember;
use normverk_store::StoreError;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

pub use normverk_app::assessment::statuses;

/// Scores per chapter with the chapter's title, and overall.
pub fn chapter_scores(catalog: &Catalog, statuses: &HashMap<String, Status>) -> (Vec<(String, Score, String)>, Score) {
    let (chapters, overall) = rules::scores(catalog, statuses);
    let titled = chapters
        .into_iter()
        .map(|(n, s)| {
            let title = catalog.section(&n).map(|s| s.title.clone()).unwrap_or_default();
            (n, s, title)
        })
        .collect();
    (titled, overall)
}

/// The catalogue a round was started against; the newest shipped one when there is no round.
pub fn round_catalog(round: Option<&Round>) -> Result<&'static Catalog, PageError> {
    match round {
        Some(r) => normverk_core::catalog::find(&r.catalog, &r.catalog_version).ok_or(PageError::NotFound),
        None => Ok(normen_5_3()),
    }
}

/// The date in Norway at `now` (the application's clock).
pub fn today(now: i64) -> Date {
    let Some(now) = normverk_app::clock::in_norway(now) else { return Date { year: 1970, month: 1, day: 1 } };
    Date { year: i32::from(now.year()), month: now.month().unsigned_abs(), day: now.day().unsigned_abs() }
}

/// The stacked bar chart of compliance per chapter, as SVG, to the scale of every chart
/// (`crate::chart`): labels wrap, nothing is cut. Colours are paired with the numbers in the
/// table beside it, so nothing is said by colour alone.
pub fn chart_svg(page: &Page, chapters: &[(String, Score, String)], overall: &Score) -> String {
    use crate::chart::{label_lines, row_height, BAR_H, BAR_MAX, BAR_X, FONT, LINE, WIDTH};
    let rows: Vec<(Vec<String>, Score)> = chapters
        .iter()
        .map(|(n, s, title)| (label_lines(&format!("{n} {title}")), *s))
        .chain(std::iter::once((label_lines(&page.t("assessment-overall")), *overall)))
        .collect();
    let legend_h = 24;
    let height: u32 = rows.iter().map(|(lines, _)| row_height(lines.len())).sum::<u32>() + legend_h;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"chart-title\" class=\"chart\">\
         <title id=\"chart-title\">{}</title>",
        esc(&page.t("assessment-chart-title"))
    );
    let colours = [("#1e6b34", "met"), ("#b7791f", "partial"), ("#a4161a", "not_met"), ("#6b7683", "not_relevant")];
    let mut y = 0;
    for (lines, s) in &rows {
        svg.push_str(&format!("<text x=\"0\" y=\"{}\" font-size=\"{FONT}\" fill=\"#1b1f24\">", y + FONT + 1));
        for (i, line) in lines.iter().enumerate() {
            svg.push_str(&format!("<tspan x=\"0\" dy=\"{}\">{}</tspan>", if i == 0 { 0 } else { LINE }, esc(line)));
        }
        svg.push_str("</text>");
        svg.push_str(&format!(
            "<rect x=\"{BAR_X}\" y=\"{}\" width=\"{BAR_MAX}\" height=\"{BAR_H}\" fill=\"#e8ecf1\"/>",
            y + 1
        ));
        let total = s.total.max(1) as u32;
        let mut x = BAR_X;
        for (count, (colour, _)) in [s.met, s.partial, s.not_met, s.not_relevant].iter().zip(colours) {
            let w = BAR_MAX * *count as u32 / total;
            if w > 0 {
                svg.push_str(&format!(
                    "<rect x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{BAR_H}\" fill=\"{colour}\"/>",
                    y + 1
                ));
            }
            x += w;
        }
        let pct = s.percent().map_or("–".to_string(), |p| format!("{p} %"));
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"{FONT}\" fill=\"#1b1f24\">{}</text>",
            BAR_X + BAR_MAX + 8,
            y + FONT + 1,
            esc(&pct)
        ));
        y += row_height(lines.len());
    }
    let legend_y = y + 6;
    let mut lx = 0;
    for (colour, key) in colours.iter().copied().chain(std::iter::once(("#e8ecf1", "unanswered"))) {
        svg.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{legend_y}\" width=\"12\" height=\"12\" fill=\"{colour}\" stroke=\"#6b7683\"/>"
        ));
        let text = page.t(&format!("status-{}", key.replace('_', "-")));
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#1b1f24\">{}</text>",
            lx + 16,
            legend_y + 11,
            esc(&text)
        ));
        lx += 24 + 8 * text.chars().count() as u32;
    }
    svg.push_str("</svg>");
    svg
}

/// One requirement with its answer in a round, for lists.
pub struct Line<'a> {
    pub requirement: &'a Requirement,
    /// The status's CSS class and its name in the reader's language.
    pub class: Arc<str>,
    pub label: Arc<str>,
}

pub struct Group<'a> {
    pub section: &'a Section,
    pub lines: Vec<Line<'a>>,
}

fn groups<'a>(
    page: &Page,
    catalog: &'a Catalog,
    statuses: &HashMap<String, Status>,
    only: Option<&str>,
) -> Vec<Group<'a>> {
    // Five labels, looked up once rather than once per requirement.
    let labels: Vec<(Option<Status>, Arc<str>, Arc<str>)> = std::iter::once(None)
        .chain(Status::ALL.iter().copied().map(Some))
        .map(|s| (s, Arc::from(page.status_class(s).as_str()), Arc::from(page.status_name(s).as_str())))
        .collect();
    let line = |r: &'a Requirement, status: Option<Status>| {
        let (_, class, label) = labels.iter().find(|(s, _, _)| *s == status).cloned().unwrap_or_else(|| {
            let empty: Arc<str> = Arc::from("");
            (status, empty.clone(), empty)
        });
        Line { requirement: r, class, label }
    };
    let mut out: Vec<Group<'a>> = Vec::new();
    for r in &catalog.requirements {
        let status = statuses.get(&r.id).copied();
        let keep = match only {
            None | Some("") => true,
            Some("unanswered") => status.is_none(),
            Some(s) => status.is_some_and(|st| st.as_str() == s),
        };
        if !keep {
            continue;
        }
        match out.last_mut() {
            Some(g) if g.section.number == r.section => g.lines.push(line(r, status)),
            _ => {
                if let Some(section) = catalog.section(&r.section) {
                    out.push(Group { section, lines: vec![line(r, status)] });
                }
            }
        }
    }
    out
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct OverviewPage<'a> {
    page: &'a Page,
    round: Option<Round>,
    chart: String,
    chapters: Vec<(String, Score, String)>,
    overall: Score,
    groups: Vec<Group<'static>>,
    filter: String,
    may_manage: bool,
    errors: FormErrors,
}

impl OverviewPage<'_> {
    fn is_open(&self) -> bool {
        self.round.as_ref().is_some_and(|r| r.frozen_at.is_none())
    }
}

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    #[serde(default)]
    status: String,
}

async fn overview(
    state: &AppState,
    page: &Page,
    member: &Member,
    round: Option<Round>,
    filter: String,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let catalog = round_catalog(round.as_ref())?;
    let answers = match &round {
        Some(r) => state.store.answers(member.org.id, r.id).await?,
        None => Vec::new(),
    };
    let statuses = statuses(&answers);
    let (chapters, overall) = chapter_scores(catalog, &statuses);
    let chart = chart_svg(page, &chapters, &overall);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &OverviewPage {
            page,
            groups: groups(page, catalog, &statuses, Some(filter.as_str())),
            round,
            chart,
            chapters,
            overall,
            filter,
            may_manage: member.may(Action::ManageAssessment),
            errors,
        },
    )
}

pub async fn index(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, PageError> {
    let round = state.store.latest_round(member.org.id).await?;
    overview(&state, &page, &member, round, q.status, FormErrors::default()).await
}

pub async fn round(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(round_id): Path<i64>,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    overview(&state, &page, &member, Some(round), q.status, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    name: String,
}

pub async fn start(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(form): Form<StartForm>,
) -> Result<Response, PageError> {
    member.require(Action::ManageAssessment)?;
    let mut errors = FormErrors::default();
    match clean_name(&form.name) {
        Ok(name) => {
            let catalog = normen_5_3();
            let now = state.app.clock.now();
            let by = Some(member.viewer.user.id);
            match state.store.start_round(member.org.id, &name, &catalog.catalog, &catalog.version, None, by, now).await
            {
                Ok(r) => return Ok(Redirect::to(&format!("/assessment/rounds/{}", r.id)).into_response()),
                Err(StoreError::Rejected(_)) => errors.add("name", page.t("assessment-round-open")),
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => errors.add("name", super::setup::name_error(page.lang, &e)),
    }
    let round = state.store.latest_round(member.org.id).await?;
    overview(&state, &page, &member, round, String::new(), errors).await
}

pub async fn freeze(
    State(state): State<AppState>,
    member: Member,
    Path(round_id): Path<i64>,
) -> Result<Response, PageError> {
    state.store.round(member.org.id, round_id).await?;
    member.require(Action::ManageAssessment)?;
    match state.store.freeze_round(member.org.id, round_id, Some(member.viewer.user.id), state.app.clock.now()).await {
        Ok(()) | Err(StoreError::Rejected(_)) => {
            Ok(Redirect::to(&format!("/assessment/rounds/{round_id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A history entry for display.
pub struct HistoryLine {
    pub at: i64,
    pub by: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "assessment_answer.html")]
struct AnswerPage<'a> {
    page: &'a Page,
    round: Round,
    requirement: &'static Requirement,
    path: Vec<&'static Section>,
    form: AnswerInput,
    members: Vec<OrgMember>,
    history: Vec<HistoryLine>,
    evidence: Vec<Evidence>,
    may_edit: bool,
    errors: FormErrors,
    notice: Option<String>,
}

impl AnswerPage<'_> {
    fn checked(&self, status: &str) -> bool {
        self.form.status == status
    }

    fn is_responsible(&self, user_id: impl Plain<i64>) -> bool {
        self.form.responsible_user_id == Some(user_id.plain())
    }
}

pub const STATUSES: &[Status] = Status::ALL;

fn describe(page: &Page, json: Option<&str>, members: &[OrgMember]) -> String {
    let Some(v) = json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()) else {
        return page.t("assessment-history-none");
    };
    let mut parts = Vec::new();
    if let Some(s) = v["status"].as_str() {
        parts.push(page.t(&format!("status-{}", s.replace('_', "-"))));
    }
    for (field, key) in [
        ("justification", "field-justification"),
        ("comment", "field-comment"),
        ("due_date", "field-due-date"),
        ("evidence_link", "field-evidence-link"),
    ] {
        if let Some(text) = v[field].as_str() {
            parts.push(format!("{}: {}", page.t(key), text));
        }
    }
    if let Some(id) = v["responsible_user_id"].as_i64() {
        let name = members.iter().find(|m| m.user_id == id).map_or_else(|| id.to_string(), |m| m.display_name.clone());
        parts.push(format!("{}: {}", page.t("field-responsible"), name));
    }
    parts.join(" · ")
}

/// What the last submission left to show: the form as sent, its errors, or a confirmation.
#[derive(Default)]
struct Outcome {
    form: Option<AnswerInput>,
    errors: FormErrors,
    notice: Option<String>,
}

async fn answer_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    round: Round,
    requirement: &'static Requirement,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let Outcome { form, errors, notice } = outcome;
    let catalog = round_catalog(Some(&round))?;
    let members = state.store.members(member.org.id).await?;
    let form = match form {
        Some(f) => f,
        None => match state.store.answer(member.org.id, round.id, &requirement.id).await? {
            Some(a) => AnswerInput {
                status: a.status.to_string(),
                justification: a.justification.unwrap_or_default(),
                comment: a.comment.unwrap_or_default(),
                responsible_user_id: a.responsible_user_id,
                due_date: a.due_date.unwrap_or_default(),
                evidence_link: a.evidence_link.unwrap_or_default(),
            },
            None => AnswerInput::default(),
        },
    };
    let rows: Vec<HistoryRow> = state.store.answer_history(member.org.id, round.id, &requirement.id).await?;
    let history = rows
        .iter()
        .map(|h| HistoryLine {
            at: h.changed_at,
            by: h
                .changed_by
                .and_then(|id| members.iter().find(|m| m.user_id == id))
                .map_or_else(|| page.t("assessment-history-api"), |m| m.display_name.clone()),
            before: describe(page, h.before_json.as_deref(), &members),
            after: describe(page, Some(&h.after_json), &members),
        })
        .collect();
    let evidence = state.store.evidence_for(member.org.id, round.id, &requirement.id).await?;
    let may_edit = round.frozen_at.is_none() && member.may(Action::Assess);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &AnswerPage {
            page,
            path: catalog.section_path(&requirement.section),
            round,
            requirement,
            form,
            members,
            history,
            evidence,
            may_edit,
            errors,
            notice,
        },
    )
}

pub async fn answer(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((round_id, req_id)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    let requirement = round_catalog(Some(&round))?.requirement(&req_id).ok_or(PageError::NotFound)?;
    answer_page(&state, &page, &member, round, requirement, Outcome::default()).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    responsible_user_id: String,
    #[serde(default)]
    due_date: String,
    #[serde(default)]
    evidence_link: String,
}

pub async fn save(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((round_id, req_id)): Path<(i64, String)>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    let requirement = round_catalog(Some(&round))?.requirement(&req_id).ok_or(PageError::NotFound)?;
    member.require(Action::Assess)?;
    let mut errors = FormErrors::default();
    let responsible_user_id = match form.responsible_user_id.trim() {
        "" => None,
        id => id.parse::<i64>().map_err(|_| errors.add("responsible_user_id", page.t("error-choose-one"))).ok(),
    };
    let input = AnswerInput {
        status: form.status,
        justification: form.justification,
        comment: form.comment,
        responsible_user_id,
        due_date: form.due_date,
        evidence_link: form.evidence_link,
    };
    if round.frozen_at.is_some() {
        errors.add("status", page.t("assessment-frozen"));
    }
    match check_answer(&input) {
        Ok(answer) if errors.is_empty() => {
            let now = state.app.clock.now();
            let batch = vec![(requirement.id.clone(), answer)];
            match state.store.save_answers(member.org.id, round.id, &batch, Some(member.viewer.user.id), now).await {
                Ok(_) => {
                    let round = state.store.round(member.org.id, round_id).await?;
                    let outcome = Outcome { notice: Some(page.t("assessment-saved")), ..Outcome::default() };
                    return answer_page(&state, &page, &member, round, requirement, outcome).await;
                }
                Err(StoreError::Rejected(_)) => errors.add("responsible_user_id", page.t("error-choose-one")),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(_) => {}
        Err(problems) => {
            for p in problems {
                errors.add_problem(&page, p);
            }
        }
    }
    answer_page(&state, &page, &member, round, requirement, Outcome { form: Some(input), errors, notice: None }).await
}

#[derive(Template)]
#[template(path = "assessment_rounds.html")]
struct RoundsPage<'a> {
    page: &'a Page,
    rounds: Vec<Round>,
    comparison: Option<Comparison>,
}

pub struct Comparison {
    pub from: Round,
    pub to: Round,
    pub improved: usize,
    pub regressed: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub lines: Vec<(String, Option<Status>, Option<Status>, Change)>,
}

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    from: Option<i64>,
    to: Option<i64>,
}

pub async fn rounds(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(q): Query<CompareQuery>,
) -> Result<Response, PageError> {
    let rounds = state.store.rounds(member.org.id).await?;
    let comparison = match (q.from, q.to) {
        (Some(from), Some(to)) => {
            let (from, to) =
                (state.store.round(member.org.id, from).await?, state.store.round(member.org.id, to).await?);
            let earlier = statuses(&state.store.answers(member.org.id, from.id).await?);
            let later = statuses(&state.store.answers(member.org.id, to.id).await?);
            let all = rules::compare(round_catalog(Some(&to))?, &earlier, &later);
            let count = |c: Change| all.iter().filter(|l| l.3 == c).count();
            Some(Comparison {
                improved: count(Change::Improved),
                regressed: count(Change::Regressed),
                unchanged: count(Change::Unchanged),
                changed: count(Change::Changed),
                lines: all.into_iter().filter(|l| l.3 != Change::Unchanged).collect(),
                from,
                to,
            })
        }
        _ => None,
    };
    render(&RoundsPage { page: &page, rounds, comparison })
}

/// A gap with its requirement and the responsible person's name.
pub struct GapLine {
    pub gap: rules::Gap,
    pub requirement: &'static Requirement,
    pub responsible: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment_report.html")]
struct ReportPage<'a> {
    page: &'a Page,
    org_name: String,
    round: Round,
    chart: String,
    chapters: Vec<(String, Score, String)>,
    overall: Score,
    gaps: Vec<GapLine>,
    today: Date,
}

pub async fn report(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(round_id): Path<i64>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    let catalog = round_catalog(Some(&round))?;
    let rows = state.store.answers(member.org.id, round.id).await?;
    let members = state.store.members(member.org.id).await?;
    let (chapters, overall) = chapter_scores(catalog, &statuses(&rows));
    let answers: Vec<(String, rules::Answer)> = rows
        .iter()
        .filter_map(|r| {
            let input = AnswerInput {
                status: r.status.to_string(),
                justification: r.justification.clone().unwrap_or_default(),
                comment: String::new(),
                responsible_user_id: r.responsible_user_id,
                due_date: r.due_date.clone().unwrap_or_default(),
                evidence_link: String::new(),
            };
            Some((r.requirement_id.clone(), check_answer(&input).ok()?))
        })
        .collect();
    let today = today(state.app.clock.now());
    let gaps = rules::gaps(answers.iter().map(|(id, a)| (id.as_str(), a)), today)
        .into_iter()
        .filter_map(|gap| {
            let requirement = catalog.requirement(&gap.requirement_id)?;
            let responsible = answers
                .iter()
                .find(|(id, _)| *id == gap.requirement_id)
                .and_then(|(_, a)| a.responsible_user_id)
                .and_then(|id| members.iter().find(|m| m.user_id == id))
                .map(|m| m.display_name.clone());
            Some(GapLine { gap, requirement, responsible })
        })
        .collect();
    let chart = chart_svg(&page, &chapters, &overall);
    render(&ReportPage { page: &page, org_name: member.org.name.clone(), round, chart, chapters, overall, gaps, today })
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/assessment", index)
        .get("/assessment/rounds", rounds)
        .post("/assessment/rounds", start)
        .get("/assessment/rounds/{round_id}", round)
        .post("/assessment/rounds/{round_id}/freeze", freeze)
        .get("/assessment/rounds/{round_id}/report", report)
        .get("/assessment/rounds/{round_id}/requirements/{req_id}", answer)
        .post("/assessment/rounds/{round_id}/requirements/{req_id}", save)
}
