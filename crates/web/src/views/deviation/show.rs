//! A deviation's page: its facts, the clock, the timeline and the forms for the next step.

use super::*;
use normverk_store::deviation::Controller;

/// A step as the timeline shows it.
pub struct Taken {
    pub record: StepRecord,
    /// The step's fields, labelled, in the order written.
    pub fields: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "deviation.html")]
struct ShowPage<'a> {
    page: &'a Page,
    d: Deviation,
    unit: Option<String>,
    reporter: Option<String>,
    states: &'static [DevState],
    current: DevState,
    next: Option<DevState>,
    clock: Option<Clock>,
    steps: Vec<Taken>,
    measures: Vec<Measure>,
    measure_statuses: &'static [rules::MeasureStatus],
    notices: Vec<(NoticeRecord, AuthorityNotice)>,
    subjects: Option<SubjectDecision>,
    reads: Vec<ReadRecord>,
    /// Personnel reactions, for the security lead and top management only.
    reactions: Option<Vec<normverk_store::deviation::ReactionRecord>>,
    reaction_kinds: &'static [rules::Reaction],
    may_handle: bool,
    may_adopt: bool,
    show_reads: bool,
    /// Which form the problems and entered values belong to: "step", "notice", "subjects".
    form: &'static str,
    entered: Entered,
    problems: FormErrors,
    kinds: &'static [DeviationKind],
    severities: &'static [Severity],
    stages: &'static [NoticeStage],
    exemptions: &'static [SubjectExemption],
    notice_default: AuthorityNotice,
    subject_draft: String,
    now_input: String,
    /// The controllers this processor's deviation went to.
    sent_to: Vec<normverk_store::deviation::Forward>,
    /// The processor that reported this deviation, when one did.
    received_from: Option<normverk_store::deviation::Forward>,
    /// The controllers in normverk that take deviations from this organisation, (id, name),
    /// for those who handle it.
    controllers: Vec<Controller>,
}

impl ShowPage<'_> {
    /// A value for a field of `form`: what was entered, or `default`.
    pub fn value<'b>(&'b self, form: &str, key: &str, default: &'b str) -> &'b str {
        if self.form == form && self.entered.has(key) {
            self.entered.get(key)
        } else {
            default
        }
    }

    pub fn error(&self, form: &str, field: &str) -> Option<String> {
        (self.form == form).then(|| self.problems.get(field)).flatten()
    }

    /// Whether the deviation is of a kind where the person responsible may face a reaction.
    pub fn concerns_confidentiality(&self) -> bool {
        matches!(
            self.d.category,
            Category::UnauthorisedAccess | Category::SelfAuthorisation | Category::Confidentiality | Category::EmailSms
        )
    }
}

/// A step's fields as the timeline shows them: in the order the step was written, coded values
/// and yes/no in the reader's language.
fn labelled(page: &Page, fields_json: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(fields_json) else {
        return Vec::new();
    };
    let mut fields: Vec<(String, String)> = map
        .into_iter()
        .filter(|(k, _)| k != "to")
        .map(|(k, v)| {
            let shown = match v {
                serde_json::Value::String(s) if k == "kind" => page.named("dev-kind", s),
                serde_json::Value::String(s) if k == "severity" => page.named("dev-severity", s),
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => page.t(if b { "dev-yes" } else { "dev-no" }),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|m| {
                        format!(
                            "{} ({}, {})",
                            m["description"].as_str().unwrap_or(""),
                            m["owner"].as_str().unwrap_or(""),
                            m["deadline"].as_str().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            (k, shown)
        })
        .collect();
    // The stored text keeps the step's own order; the parsed map is alphabetical.
    fields.sort_by_key(|(k, _)| fields_json.find(&format!("\"{k}\":")).unwrap_or(usize::MAX));
    fields
}

pub(super) async fn show_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    d: Deviation,
    form: &'static str,
    entered: Entered,
    problems: FormErrors,
) -> Result<Response, PageError> {
    let org_id = member.org.id;
    let actor = actor(member);
    let (may_handle, may_adopt) = state.app.deviation.powers(&d, &actor).await?;
    let now = state.app.clock.now();
    let unit = match d.unit_id {
        Some(u) => state.store.unit(org_id, u).await.ok().map(|u| u.name),
        None => None,
    };
    let reporter = match d.reporter_id {
        // The reporter may have left the organisation since; their name stays on the report.
        Some(u) => state.store.user(u).await.ok().map(|u| u.display_name),
        None => None,
    };
    let steps = state
        .store
        .deviation_steps(org_id, d.id)
        .await?
        .into_iter()
        .map(|r| Taken { fields: labelled(page, &r.fields), record: r })
        .collect();
    let measures = state.store.deviation_measures(org_id, d.id).await?;
    let notices: Vec<(NoticeRecord, AuthorityNotice)> = state
        .store
        .deviation_notices(org_id, d.id)
        .await?
        .into_iter()
        .map(|n| {
            let content = serde_json::from_str(&n.content).unwrap_or_default();
            (n, content)
        })
        .collect();
    let subjects = d.subject_decision.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let show_reads = member.roles.contains(&normverk_core::org::Role::SecurityLead);
    let reads = if show_reads { state.store.deviation_reads(org_id, d.id).await? } else { Vec::new() };
    let reactions = if rules::may_see_reactions(&member.roles) {
        Some(state.store.deviation_reactions(org_id, d.id).await?)
    } else {
        None
    };
    // A later stage starts from what the last notice said.
    let notice_default = notices
        .last()
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| AuthorityNotice { description: d.description.clone(), ..AuthorityNotice::default() });
    let subject_draft = rules::draft_subject_notice(
        &member.org.name,
        &notice_default.description,
        &notice_default.likely_consequences,
        &notice_default.measures,
        &notice_default.contact,
    );
    let current = d.state;
    let sent_to = state.store.deviation_sent_to(org_id, d.id).await?;
    let received_from = state.store.deviation_received_from(org_id, d.id).await?;
    let controllers = if may_handle { state.store.controllers_of(&member.org.org_number).await? } else { Vec::new() };
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &ShowPage {
            page,
            sent_to,
            received_from,
            controllers,
            clock: Clock::of(&d, now),
            unit,
            reporter,
            states: DevState::ALL,
            current,
            next: current.next(),
            steps,
            measures,
            measure_statuses: rules::MeasureStatus::ALL,
            notices,
            subjects,
            reads,
            reactions,
            reaction_kinds: rules::Reaction::ALL,
            may_handle,
            may_adopt,
            show_reads,
            form,
            entered,
            problems,
            kinds: DeviationKind::ALL,
            severities: Severity::ALL,
            stages: NoticeStage::ALL,
            exemptions: SubjectExemption::ALL,
            notice_default,
            subject_draft,
            now_input: now_input(now),
            d,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = load_read(&state, &member, id).await?;
    show_page(&state, &page, &member, d, "", Entered::default(), FormErrors::default()).await
}
