//! The workflow's steps, the measures' status and the reporter's reactions.

use super::*;

pub(super) fn yes_no(entered: &Entered, key: &'static str, problems: &mut Vec<Problem>) -> bool {
    match entered.get(key) {
        "yes" => true,
        "no" => false,
        _ => {
            problems.push(Problem::new(key, ProblemKey::YesNo, "answer yes or no"));
            false
        }
    }
}

/// The step a form describes, or what is wrong with the form itself.
fn step_from(entered: &Entered) -> Result<Step, Vec<Problem>> {
    let mut p = Vec::new();
    let text = |k: &str| entered.get(k).to_string();
    let step = match entered.get("to") {
        "facts_gathered" => Step::FactsGathered { timeline: text("timeline") },
        "assessed" => {
            let kind = DeviationKind::from_str(entered.get("kind"));
            let severity = Severity::from_str(entered.get("severity"));
            if kind.is_err() {
                p.push(Problem::new("kind", ProblemKey::ChooseOne, "choose the kind"));
            }
            if severity.is_err() {
                p.push(Problem::new("severity", ProblemKey::ChooseOne, "choose the severity"));
            }
            let personal_data_breach = yes_no(entered, "personal_data_breach", &mut p);
            let consequences = yes_no(entered, "consequences_for_data_subjects", &mut p);
            Step::Assessed {
                kind: kind.unwrap_or(DeviationKind::SecurityBreach),
                confidentiality: entered.is("confidentiality", "on"),
                integrity: entered.is("integrity", "on"),
                availability: entered.is("availability", "on"),
                personal_data_breach,
                consequences_for_data_subjects: consequences,
                severity: severity.unwrap_or(Severity::Low),
                assessment: text("assessment"),
            }
        }
        "measures_proposed" => {
            let measures = entered
                .get("measures")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let mut parts = l.split(';').map(str::trim);
                    MeasureIn {
                        description: parts.next().unwrap_or_default().to_string(),
                        owner: parts.next().unwrap_or_default().to_string(),
                        deadline: parts.next().unwrap_or_default().to_string(),
                    }
                })
                .collect();
            Step::MeasuresProposed { measures, alternatives: text("alternatives"), plan: text("plan") }
        }
        "measures_adopted" => Step::MeasuresAdopted { decision: text("decision") },
        "implemented" => Step::Implemented { status_report: text("status_report") },
        "closed" => Step::Closed { conclusion: text("conclusion") },
        _ => return Err(vec![Problem::new("to", ProblemKey::UnknownStep, "unknown step")]),
    };
    if p.is_empty() {
        Ok(step)
    } else {
        Err(p)
    }
}

/// Runs an action that may be refused; a refusal shows the page again with the problems.
pub(super) async fn act(
    state: &AppState,
    page: &Page,
    member: &Member,
    d: Deviation,
    form: &'static str,
    entered: Entered,
    result: Result<(), DeviationError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/deviations/{}", d.id)).into_response()),
        Err(DeviationError::Invalid(problems)) => {
            show_page(state, page, member, d, form, entered, FormErrors::of(page, problems)).await
        }
        Err(DeviationError::Rejected(r)) => {
            let mut errors = FormErrors::default();
            errors.add(r.field().unwrap_or("to"), page.rejection(&r));
            show_page(state, page, member, d, form, entered, errors).await
        }
        Err(DeviationError::Conflict(m)) => {
            let mut errors = FormErrors::default();
            errors.add_problem(page, Problem::new("to", ProblemKey::MovedOn, m));
            show_page(state, page, member, d, form, entered, errors).await
        }
        Err(e) => Err(page_error(e)),
    }
}

pub async fn step(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let actor = actor(&member);
    let result = match step_from(&entered) {
        Ok(step) => state.app.deviation.take_step(&d, &step, &actor).await,
        Err(p) => {
            // Still refuse people who may not act at all, before saying what is missing.
            if !state.app.deviation.powers(&d, &actor).await?.0 {
                return Err(PageError::Forbidden);
            }
            Err(DeviationError::Invalid(p))
        }
    };
    act(&state, &page, &member, d, "step", entered, result).await
}

pub(super) fn number(entered: &Entered, key: &'static str, p: &mut Vec<Problem>) -> Option<u64> {
    let v = entered.get(key).trim();
    if v.is_empty() {
        return None;
    }
    v.parse().map_err(|_| p.push(Problem::new(key, ProblemKey::WholeNumber, "a whole number"))).ok()
}

/// Moves a measure on: planned, in progress, done.
pub async fn measure(
    State(state): State<AppState>,
    member: Member,
    Path((id, measure_id)): Path<(i64, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_handled(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let Ok(status) = rules::MeasureStatus::from_str(entered.get("status")) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, "status: planned, in_progress or done").into_response());
    };
    state.store.set_measure_status(member.org.id, d.id, measure_id, status, state.app.clock.now()).await?;
    Ok(Redirect::to(&format!("/deviations/{id}")).into_response())
}

/// Records a personnel reaction (security lead and top management only).
pub async fn reaction(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    if !rules::may_see_reactions(&member.roles) {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let category = d.category;
    let result = match rules::Reaction::from_str(entered.get("reaction")) {
        Err(_) => {
            Err(DeviationError::Invalid(vec![Problem::new("reaction", ProblemKey::ChooseOne, "choose a reaction")]))
        }
        Ok(kind) => {
            let problems = rules::check_reaction(category, entered.get("person"), kind, entered.get("note"));
            if problems.is_empty() {
                state
                    .store
                    .add_deviation_reaction(
                        member.org.id,
                        d.id,
                        entered.get("person").trim(),
                        kind.as_str(),
                        entered.get("note").trim(),
                        Some(member.viewer.user.id),
                        state.app.clock.now(),
                    )
                    .await
                    .map_err(DeviationError::from)
            } else {
                Err(DeviationError::Invalid(problems))
            }
        }
    };
    act(&state, &page, &member, d, "reaction", entered, result).await
}
