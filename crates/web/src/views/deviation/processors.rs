//! Reports between a processor and its controllers: into the controller's inbox, or as JSON, and which processors a controller takes deviations from.

use super::*;
use normverk_store::OrgId;

/// A processor reports its deviation to a controller in the same normverk that takes
/// deviations from it (Normen 5.7, 5.8): a new deviation in the controller's inbox.
pub async fn forward(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_handled(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let controller = entered.get("controller").parse::<i64>().ok().map(OrgId);
    let now = state.app.clock.now();
    let outcome = match controller {
        None => Err(page.t("problem-choose-one")),
        Some(c) => {
            match state.store.forward_deviation(member.org.id, d.id, c, Some(member.viewer.user.id), now).await {
                Ok(_) => Ok(()),
                Err(StoreError::Rejected(r)) => Err(page.rejection(&r)),
                Err(StoreError::Conflict(_)) => Err(page.t("dev-forward-already")),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/deviations/{id}#forward-heading")).into_response()),
        Err(message) => {
            let mut errors = FormErrors::default();
            errors.add("controller", message);
            show_page(&state, &page, &member, d, "forward", entered, errors).await
        }
    }
}

/// The deviation as a processor's report to a controller outside normverk, as JSON.
pub async fn report_json(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let body = serde_json::json!({
        "processor": {"name": member.org.name, "org_number": member.org.org_number},
        "deviation": {
            "number": d.number, "title": d.title, "description": d.description,
            "occurred_at": rfc(d.occurred_at), "processor_aware_at": rfc(d.aware_at),
            "category": d.category, "system": d.system, "patients_concerned": d.patients_concerned,
            "immediate_actions": d.immediate_actions, "state": d.state,
            "personal_data_breach": d.personal_data_breach, "consequences_for_data_subjects": d.consequences,
            "severity": d.severity,
        },
        "reported_at": rfc(state.app.clock.now()),
    });
    crate::spreadsheet::json_file(&body, &format!("avvik-{}-til-behandlingsansvarlig.json", d.number))
}

/// A Unix time as RFC 3339, for the JSON exports.
pub(super) fn rfc(t: i64) -> String {
    jiff::Timestamp::from_second(t).map(|t| t.to_string()).unwrap_or_default()
}

/// The security lead names the processors whose deviations the organisation takes.
pub async fn set_processor(
    State(state): State<AppState>,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !member.roles.contains(&normverk_core::org::Role::SecurityLead) {
        return Err(PageError::Forbidden);
    }
    let entered = Entered::from(&fields);
    let Ok(number) = normverk_core::org::OrgNumber::parse(entered.get("org_number")) else {
        return Ok(
            (StatusCode::UNPROCESSABLE_ENTITY, "org_number: nine digits with a valid check digit").into_response()
        );
    };
    let accept = entered.get("accept") != "no";
    let now = state.app.clock.now();
    state
        .store
        .set_deviation_processor(member.org.id, number.as_str(), accept, Some(member.viewer.user.id), now)
        .await?;
    Ok(Redirect::to("/deviations/stats#processors-heading").into_response())
}
