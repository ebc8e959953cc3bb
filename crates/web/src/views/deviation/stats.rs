//! Statistics for the management review and the threshold for repeated deviations.

use super::*;

/// A chart with its heading.
pub struct Chart {
    pub id: &'static str,
    pub title_key: &'static str,
    pub bars: crate::chart::BarChart,
}

#[derive(Template)]
#[template(path = "deviation_stats.html")]
struct StatsPage<'a> {
    page: &'a Page,
    total: i64,
    closed: i64,
    avg_close_days: Option<String>,
    charts: Vec<Chart>,
    overdue: Vec<normverk_store::deviation::OverdueMeasure>,
    repeats: Vec<rules::Repeat>,
    threshold: i64,
    may_configure: bool,
    /// The processors the organisation takes deviations from, by organisation number.
    processors: Vec<String>,
}

/// The last twelve months, oldest first, as "2026-01" labels with their counts; `times` are
/// (time, count) pairs.
fn per_month(times: &[(i64, i64)], now: i64) -> Vec<(String, i64)> {
    let tz = normverk_app::clock::norway();
    let month = |t: i64| {
        jiff::Timestamp::from_second(t)
            .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m").to_string())
            .unwrap_or_default()
    };
    let Ok(today) = jiff::Timestamp::from_second(now).map(|t| t.to_zoned(tz.clone()).date()) else { return Vec::new() };
    let first = today.first_of_month();
    let months: Vec<String> = (0..12i32)
        .rev()
        .filter_map(|i| first.checked_sub(jiff::Span::new().months(i)).ok())
        .map(|d| d.strftime("%Y-%m").to_string())
        .collect();
    let mut counts: HashMap<String, i64> = HashMap::new();
    for (t, n) in times {
        *counts.entry(month(*t)).or_default() += n;
    }
    months
        .into_iter()
        .map(|m| {
            let n = counts.get(&m).copied().unwrap_or(0);
            (m, n)
        })
        .collect()
}

pub async fn stats(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReadAllDeviations)?;
    let now = state.app.clock.now();
    let counts = state.app.deviation.year_counts(member.org.id).await?;
    let (since, groups, days) = (counts.since, &counts.groups, &counts.days);
    let units: HashMap<i64, String> =
        state.store.units(member.org.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let none = page.t("dev-none");
    let label = |v: Option<String>| v.unwrap_or_else(|| none.clone());
    // Each day's count lands in its month: the day's start is enough to know which.
    let times: Vec<(i64, i64)> = days.iter().map(|d| (since + d.day * 86_400, d.count)).collect();
    let charts = vec![
        Chart { id: "month", title_key: "dev-stats-month", bars: crate::chart::BarChart::new(per_month(&times, now)) },
        Chart {
            id: "category",
            title_key: "dev-field-category",
            bars: crate::chart::BarChart::new(
                deviations::sum_by(groups, |g| g.category.as_str())
                    .into_iter()
                    .map(|(c, n)| (page.named("dev-category", c), n))
                    .collect(),
            ),
        },
        Chart {
            id: "unit",
            title_key: "dev-field-unit",
            bars: crate::chart::BarChart::new(
                deviations::sum_by(groups, |g| g.unit_id)
                    .into_iter()
                    .map(|(u, n)| (label(u.and_then(|u| units.get(&u).cloned())), n))
                    .collect(),
            ),
        },
        Chart {
            id: "system",
            title_key: "dev-field-system",
            bars: crate::chart::BarChart::new(
                deviations::sum_by(groups, |g| g.system.clone())
                    .into_iter()
                    .take(20)
                    .map(|(v, n)| (label(v), n))
                    .collect(),
            ),
        },
        Chart {
            id: "severity",
            title_key: "dev-field-severity",
            bars: crate::chart::BarChart::new(
                deviations::sum_by(groups, |g| g.severity.map(Severity::as_str))
                    .into_iter()
                    .map(|(v, n)| (v.map(|v| page.named("dev-severity", v)).unwrap_or_else(|| none.clone()), n))
                    .collect(),
            ),
        },
    ];
    let total: i64 = groups.iter().map(|g| g.count).sum();
    let closed: i64 = groups.iter().map(|g| g.closed).sum();
    let close_s: i64 = groups.iter().map(|g| g.close_s).sum();
    let overdue = state.store.overdue_measures(member.org.id, &normverk_app::clock::date_in_norway(now)).await?;
    let threshold = state.store.repeat_threshold(member.org.id).await?;
    render(&StatsPage {
        page: &page,
        total,
        closed,
        avg_close_days: (closed > 0).then(|| format!("{:.1}", close_s as f64 / closed as f64 / 86_400.0)),
        charts,
        overdue,
        repeats: deviations::repeats_of(groups, threshold),
        threshold,
        may_configure: member.roles.contains(&normverk_core::org::Role::SecurityLead),
        processors: state.store.deviation_processors(member.org.id).await?,
    })
}

/// Sets how many deviations sharing a category or system call for a new risk assessment.
pub async fn set_threshold(
    State(state): State<AppState>,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !member.roles.contains(&normverk_core::org::Role::SecurityLead) {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let Some(n) = entered.get("threshold").trim().parse::<i64>().ok().filter(|n| (2..=100).contains(n)) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, "threshold: a whole number from 2 to 100").into_response());
    };
    state.app.deviation.set_repeat_threshold(member.org.id, n, Some(member.viewer.user.id)).await?;
    Ok(Redirect::to("/deviations/stats").into_response())
}
