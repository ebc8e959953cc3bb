//! The notice to Datatilsynet (recorded, printed, as JSON) and the decision on notifying the data subjects.

use super::*;

pub async fn notice(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let mut p = Vec::new();
    let sent_at = parse_time_input(entered.get("sent_at"));
    if sent_at.is_none() {
        p.push(Problem::new("sent_at", ProblemKey::DateTime, "not a date and time"));
    }
    let notice = AuthorityNotice {
        stage: NoticeStage::from_str(entered.get("stage")).ok(),
        description: entered.get("description").to_string(),
        data_subject_categories: entered.get("data_subject_categories").to_string(),
        approx_data_subjects: number(&entered, "approx_data_subjects", &mut p),
        personal_data_types: entered.get("personal_data_types").to_string(),
        approx_records: number(&entered, "approx_records", &mut p),
        contact: entered.get("contact").to_string(),
        likely_consequences: entered.get("likely_consequences").to_string(),
        measures: entered.get("measures").to_string(),
        sent_at: sent_at.unwrap_or(0),
        delay_reason: entered.get("delay_reason").to_string(),
    };
    let actor = actor(&member);
    let result = if p.is_empty() {
        state.app.deviation.record_notice(&d, &notice, &actor).await
    } else {
        Err(DeviationError::Invalid(p))
    };
    act(&state, &page, &member, d, "notice", entered, result).await
}

pub async fn subjects(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    let entered = Entered::from(&fields);
    let mut p = Vec::new();
    let notify = yes_no(&entered, "notify", &mut p);
    let sent_at = match entered.get("subjects_sent_at").trim() {
        "" => None,
        s => parse_time_input(s).or_else(|| {
            p.push(Problem::new("sent_at", ProblemKey::DateTime, "not a date and time"));
            None
        }),
    };
    let decision = SubjectDecision {
        notify,
        exemption: SubjectExemption::from_str(entered.get("exemption")).ok(),
        justification: entered.get("justification").to_string(),
        notice_text: entered.get("notice_text").to_string(),
        sent_how: entered.get("sent_how").to_string(),
        sent_at,
    };
    let actor = actor(&member);
    let result = if p.is_empty() {
        state.app.deviation.record_subject_decision(&d, &decision, &actor).await
    } else {
        Err(DeviationError::Invalid(p))
    };
    act(&state, &page, &member, d, "subjects", entered, result).await
}

#[derive(Template)]
#[template(path = "deviation_notice.html")]
struct NoticePrint<'a> {
    page: &'a Page,
    org_name: String,
    org_number: String,
    d: Deviation,
    deadline: i64,
    notices: Vec<(NoticeRecord, AuthorityNotice)>,
}

async fn notices_of(
    state: &AppState,
    member: &Member,
    id: i64,
) -> Result<(Deviation, Vec<(NoticeRecord, AuthorityNotice)>), PageError> {
    let d = load_read(state, member, id).await?;
    let notices = state
        .store
        .deviation_notices(member.org.id, id)
        .await?
        .into_iter()
        .map(|n| {
            let c = serde_json::from_str(&n.content).unwrap_or_default();
            (n, c)
        })
        .collect();
    Ok((d, notices))
}

/// The notices to Datatilsynet as a printable page, to copy into Datatilsynet's form.
pub async fn notice_html(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (d, notices) = notices_of(&state, &member, id).await?;
    render(&NoticePrint {
        page: &page,
        org_name: member.org.name.clone(),
        org_number: member.org.org_number.clone(),
        deadline: rules::notification_deadline(d.aware_at),
        d,
        notices,
    })
}

/// The same as JSON.
pub async fn notice_json(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (d, notices) = notices_of(&state, &member, id).await?;
    let body = serde_json::json!({
        "controller": {"name": member.org.name, "org_number": member.org.org_number},
        "deviation": {"number": d.number, "title": d.title, "occurred_at": rfc(d.occurred_at), "aware_at": rfc(d.aware_at),
                      "authority_notification_deadline": rfc(rules::notification_deadline(d.aware_at))},
        "notices": notices.iter().map(|(r, n)| serde_json::json!({
            "stage": r.stage, "sent_at": rfc(r.sent_at), "late": r.late, "recorded_by": r.recorded_by_name,
            "recorded_at": rfc(r.recorded_at), "content": n,
        })).collect::<Vec<_>>(),
    });
    crate::spreadsheet::json_file(&body, &format!("avvik-{}-melding.json", d.number))
}
