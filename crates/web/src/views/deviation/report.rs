//! Reporting a deviation and the list of those one may see.

use super::*;

#[derive(Template)]
#[template(path = "deviations.html")]
struct ListPage<'a> {
    page: &'a Page,
    rows: Vec<Row>,
    all: bool,
    page_no: usize,
    more: bool,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    axum::extract::Query(q): axum::extract::Query<crate::views::PageQuery>,
) -> Result<Response, PageError> {
    member.require(Action::ReportDeviation)?;
    let page_no = q.number();
    let visible = deviations::visible(member.viewer.user.id, &member.roles);
    let now = state.app.clock.now();
    // One more than a page tells whether there is a next page.
    let mut found =
        state.store.deviations(member.org.id, &visible, PAGE_SIZE + 1, (page_no as i64 - 1) * PAGE_SIZE).await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    let rows = found.into_iter().map(|d| Row { clock: Clock::of(&d, now), d }).collect();
    render(&ListPage { page: &page, rows, all: member.may(Action::ReadAllDeviations), page_no, more })
}

#[derive(Template)]
#[template(path = "deviation_new.html")]
struct NewPage<'a> {
    page: &'a Page,
    units: Vec<Unit>,
    entered: Entered,
    problems: FormErrors,
    categories: &'static [Category],
}

pub(super) fn now_input(now: i64) -> String {
    normverk_app::clock::in_norway(now).map(|t| t.strftime("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

pub async fn new(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    member.require(Action::ReportDeviation)?;
    let units = state.store.units(member.org.id).await?;
    let now = now_input(state.app.clock.now());
    let entered = Entered::from(&[("occurred_at".to_string(), now.clone()), ("aware_at".to_string(), now)]);
    render(&NewPage { page: &page, units, entered, problems: FormErrors::default(), categories: Category::ALL })
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::ReportDeviation)?;
    let entered = Entered::from(&fields);
    let now = state.app.clock.now();
    let mut problems = Vec::new();
    let mut time = |field: &'static str| {
        parse_time_input(entered.get(field)).unwrap_or_else(|| {
            problems.push(Problem::new(field, ProblemKey::DateTime, "not a date and time"));
            0
        })
    };
    let (occurred_at, aware_at) = (time("occurred_at"), time("aware_at"));
    let category = Category::from_str(entered.get("category")).map_err(|_| {
        problems.push(Problem::new("category", ProblemKey::ChooseOne, "choose a category"));
    });
    let patients = match entered.get("patients_concerned") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    if patients.is_none() {
        problems.push(Problem::new("patients_concerned", ProblemKey::YesNo, "answer yes or no"));
    }
    let unit_id = entered.get("unit_id").parse::<i64>().ok();
    let mut report = NewDeviation {
        title: entered.get("title").to_string(),
        description: entered.get("description").to_string(),
        occurred_at,
        aware_at,
        unit_id,
        system: Some(entered.get("system").to_string()),
        category: category.unwrap_or(Category::Other),
        patients_concerned: patients.unwrap_or(false),
        immediate_actions: entered.get("immediate_actions").to_string(),
        patient_id: Some(entered.get("patient_id").to_string()),
    };
    if problems.is_empty() {
        problems = rules::accept_report(&mut report, now);
    }
    let mut errors = FormErrors::default();
    let created = if problems.is_empty() {
        match state.app.deviation.create(member.org.id, Some(member.viewer.user.id), &report).await {
            Ok(d) => Some(d),
            Err(DeviationError::Invalid(p)) => {
                problems = p;
                None
            }
            Err(DeviationError::Rejected(r)) => {
                errors.add(r.field().unwrap_or("unit_id"), page.rejection(&r));
                None
            }
            Err(other) => return Err(page_error(other)),
        }
    } else {
        None
    };
    match created {
        Some(d) => {
            tracing::info!(
                org_id = member.org.id.0,
                deviation = d.id,
                by = member.viewer.user.id,
                "deviation reported"
            );
            Ok(Redirect::to(&format!("/deviations/{}", d.id)).into_response())
        }
        None => {
            let units = state.store.units(member.org.id).await?;
            for p in problems {
                errors.add_problem(&page, p);
            }
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage { page: &page, units, entered, problems: errors, categories: Category::ALL },
            )
        }
    }
}
