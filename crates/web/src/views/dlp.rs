//! `/dlp`: a person pastes a draft SMS or e-mail and sees what may not be sent, highlighted and
//! explained, with a neutral rewrite; `/dlp/settings`: the organisation's own words. The draft
//! is scanned and forgotten; the page shows only counts of what was seen before.

use super::{render, render_status, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use dlp::{Config, Finding, Kind, Part, Report, Scanner, Severity, Word};
use normverk_app::dlp::day_of;
use normverk_app::dlp::Message;
use normverk_core::org::Action;
use normverk_store::OrgId;
use serde::Deserialize;

/// The statistics cover this many days.
const STATS_DAYS: i64 = 30;

/// A stretch of a scanned field: plain, or the text of finding number `n` (1-based).
pub struct Piece {
    pub text: String,
    pub finding: Option<usize>,
    pub severity: &'static str,
}

/// A field of the message with its findings marked.
pub struct Marked {
    pub label_key: &'static str,
    pub pieces: Vec<Piece>,
}

/// One finding as the page lists it.
pub struct Listed {
    pub n: usize,
    pub kind: Kind,
    pub severity: &'static str,
    pub text: String,
    pub explanation: String,
    pub percent: u32,
}

pub struct ScanResult {
    pub verdict: &'static str,
    pub fields: Vec<Marked>,
    pub findings: Vec<Listed>,
    pub lossy: bool,
    pub rewrite: Option<String>,
}

pub struct Stats {
    pub clean: i64,
    pub warn: i64,
    pub block: i64,
    /// Findings per kind.
    pub bars: crate::chart::BarChart,
}

#[derive(Template)]
#[template(path = "dlp.html")]
struct DlpPage<'a> {
    page: &'a Page,
    form: ScanForm,
    result: Option<ScanResult>,
    stats: Stats,
    may_configure: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ScanForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub sender: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub text: String,
}

impl ScanForm {
    pub fn is_email(&self) -> bool {
        self.channel == "email"
    }
}

/// Cuts `text` into plain and marked pieces. Findings that overlap an earlier one are listed but
/// not marked twice.
fn mark(text: &str, findings: &[(usize, &Finding)]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut at = 0;
    for &(n, f) in findings {
        let (Some(before), Some(inside)) = (text.get(at..f.start), text.get(f.start..f.end)) else { continue };
        if f.start < at {
            continue;
        }
        if !before.is_empty() {
            pieces.push(Piece { text: before.to_string(), finding: None, severity: "" });
        }
        pieces.push(Piece { text: inside.to_string(), finding: Some(n), severity: f.severity.as_str() });
        at = f.end;
    }
    if let Some(rest) = text.get(at..) {
        if !rest.is_empty() {
            pieces.push(Piece { text: rest.to_string(), finding: None, severity: "" });
        }
    }
    pieces
}

fn result_of(form: &ScanForm, report: Report) -> ScanResult {
    let numbered: Vec<(usize, &Finding)> = report.findings.iter().enumerate().map(|(i, f)| (i + 1, f)).collect();
    let source = |part: Part| -> &str {
        match part {
            Part::Sender => &form.sender,
            Part::Subject => &form.subject,
            _ => &form.text,
        }
    };
    let mut fields = Vec::new();
    for (part, label_key) in [(Part::Sender, "dlp-sender"), (Part::Subject, "dlp-subject"), (Part::Text, "dlp-text")] {
        let text = source(part);
        if text.is_empty() {
            continue;
        }
        let own: Vec<(usize, &Finding)> = numbered
            .iter()
            .filter(|(_, f)| f.part == part || (part == Part::Text && f.part == Part::Body))
            .copied()
            .collect();
        fields.push(Marked { label_key, pieces: mark(text, &own) });
    }
    let findings = numbered
        .iter()
        .map(|&(n, f)| Listed {
            n,
            kind: f.kind,
            severity: f.severity.as_str(),
            text: source(f.part).get(f.start..f.end).unwrap_or_default().to_string(),
            explanation: f.explanation.clone(),
            percent: (f.confidence * 100.0).round() as u32,
        })
        .collect();
    ScanResult { verdict: report.verdict.as_str(), fields, findings, lossy: report.lossy, rewrite: report.rewrite }
}

async fn stats(state: &AppState, page: &Page, org_id: OrgId) -> Result<Stats, PageError> {
    let since = day_of(state.app.clock.now()) - (STATS_DAYS - 1);
    let messages = state.store.dlp_message_stats(org_id, since).await?;
    let findings = state.store.dlp_finding_stats(org_id, since).await?;
    // What is counted but not yet written belongs in the picture too.
    let (pending_verdicts, pending_kinds) = state.app.dlp.pending(org_id, since);
    let sum = |verdict: &str| {
        messages.iter().filter(|m| m.verdict == verdict).map(|m| m.messages).sum::<i64>()
            + pending_verdicts.get(verdict).copied().unwrap_or(0)
    };
    let counts: Vec<(Kind, i64)> = Kind::ALL
        .iter()
        .map(|k| {
            let stored: i64 = findings.iter().filter(|f| f.kind == k.as_str()).map(|f| f.findings).sum();
            (*k, stored + pending_kinds.get(k.as_str()).copied().unwrap_or(0))
        })
        .collect();
    let bars = crate::chart::BarChart::new(counts.into_iter().map(|(kind, n)| (page.kind_name(kind), n)).collect());
    Ok(Stats { clean: sum("clean"), warn: sum("warn"), block: sum("block"), bars })
}

async fn dlp_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    form: ScanForm,
    result: Option<ScanResult>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let stats = stats(state, page, member.org.id).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let may_configure = member.may(Action::ManageScanner);
    render_status(status, &DlpPage { page, form, result, stats, may_configure, error })
}

pub async fn show(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    member.require(Action::ScanMessage)?;
    dlp_page(&state, &page, &member, ScanForm { channel: "sms".into(), ..ScanForm::default() }, None, None).await
}

pub async fn scan(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(form): Form<ScanForm>,
) -> Result<Response, PageError> {
    member.require(Action::ScanMessage)?;
    let sender = Some(form.sender.clone()).filter(|s| !s.trim().is_empty());
    let message = if form.is_email() {
        Message::Email { subject: form.subject.clone(), body: form.text.clone(), html: false, sender }
    } else {
        Message::Sms { text: form.text.clone(), sender }
    };
    match state.app.dlp.scan(member.org.id, message).await {
        Ok(report) => {
            let result = result_of(&form, report);
            dlp_page(&state, &page, &member, form, Some(result), None).await
        }
        Err(normverk_app::dlp::ScanError::Store(e)) => Err(e.into()),
        Err(e) => dlp_page(&state, &page, &member, form, None, Some(e.to_string())).await,
    }
}

#[derive(Template)]
#[template(path = "dlp_settings.html")]
struct SettingsPage<'a> {
    page: &'a Page,
    form: SettingsForm,
    errors: FormErrors,
    saved: bool,
    version: Option<i64>,
    kinds: &'static [Kind],
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    pub neutral_name: String,
    #[serde(default)]
    pub words: String,
    #[serde(default)]
    pub allowed: String,
    #[serde(default)]
    pub sev_fnr: String,
    #[serde(default)]
    pub sev_health_code: String,
    #[serde(default)]
    pub sev_health_term: String,
    #[serde(default)]
    pub sev_prescription: String,
    #[serde(default)]
    pub sev_department: String,
    #[serde(default)]
    pub sev_sender: String,
}

/// A severity as a word list writes it: one short word per language.
fn severity_word(page: &Page, severity: Severity) -> String {
    page.t(&format!("dlp-word-{}", severity.as_str()))
}

/// A kind in a word list: its name in either language, or its code as earlier versions wrote it.
fn parse_kind(text: &str) -> Option<Kind> {
    Kind::parse(text).or_else(|| {
        Kind::ALL.into_iter().find(|k| {
            Lang::ALL.iter().any(|lang| {
                let name = lang.t(&format!("dlp-kind-{}", k.as_str().replace('_', "-")));
                name.to_lowercase() == text.to_lowercase()
            })
        })
    })
}

/// A severity in a word list: its word in either language, or its code.
fn parse_severity(text: &str) -> Option<Severity> {
    Severity::parse(text).or_else(|| {
        [Severity::Block, Severity::Warn].into_iter().find(|s| {
            Lang::ALL
                .iter()
                .any(|lang| lang.t(&format!("dlp-word-{}", s.as_str())).to_lowercase() == text.to_lowercase())
        })
    })
}

impl SettingsForm {
    fn severity_field(&self, kind: Kind) -> &str {
        match kind {
            Kind::Fnr => &self.sev_fnr,
            Kind::HealthCode => &self.sev_health_code,
            Kind::HealthTerm => &self.sev_health_term,
            Kind::Prescription => &self.sev_prescription,
            Kind::Department => &self.sev_department,
            Kind::Sender => &self.sev_sender,
        }
    }

    /// The chosen severity for a kind: "" (as built in), "warn" or "block".
    pub fn severity(&self, kind: &Kind) -> &str {
        self.severity_field(*kind)
    }

    fn of(config: &Config, page: &Page) -> SettingsForm {
        let sev = |k: Kind| config.severities.get(&k).map(|s| s.as_str().to_string()).unwrap_or_default();
        SettingsForm {
            neutral_name: config.neutral_name.clone().unwrap_or_default(),
            words: config
                .words
                .iter()
                .map(|w| format!("{}; {}; {}", w.phrase, page.kind_name(w.kind), severity_word(page, w.severity)))
                .collect::<Vec<_>>()
                .join("\n"),
            allowed: config.allowed.join("\n"),
            sev_fnr: sev(Kind::Fnr),
            sev_health_code: sev(Kind::HealthCode),
            sev_health_term: sev(Kind::HealthTerm),
            sev_prescription: sev(Kind::Prescription),
            sev_department: sev(Kind::Department),
            sev_sender: sev(Kind::Sender),
        }
    }

    /// The configuration the form describes, or what is wrong with it, by field.
    fn config(&self, page: &Page) -> Result<Config, FormErrors> {
        let mut errors = FormErrors::default();
        let mut config = Config::default();
        for (i, line) in self.words.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let mut parts = line.split(';').map(str::trim);
            let phrase = parts.next().unwrap_or_default().to_string();
            let kind = match parts.next().filter(|s| !s.is_empty()) {
                None => Some(Kind::HealthTerm),
                Some(k) => parse_kind(k),
            };
            let severity = match parts.next().filter(|s| !s.is_empty()) {
                None => Some(Severity::Block),
                Some(s) => parse_severity(s),
            };
            match (kind, severity) {
                (Some(kind), Some(severity)) => config.words.push(Word { phrase, kind, severity }),
                _ => {
                    errors.add("words", page.ta("dlp-settings-bad-word", "line", i + 1));
                    break;
                }
            }
        }
        config.allowed = self.allowed.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        let name = self.neutral_name.trim();
        config.neutral_name = (!name.is_empty()).then(|| name.to_string());
        for kind in Kind::ALL {
            if let Some(s) = Severity::parse(self.severity_field(kind)) {
                config.severities.insert(kind, s);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Err(dlp::Error::Config { field, message }) = Scanner::new(config.clone()) {
            let name = if field.starts_with("words") {
                "words"
            } else if field.starts_with("allowed") {
                "allowed"
            } else {
                "neutral_name"
            };
            errors.add(name, format!("{field}: {message}"));
            return Err(errors);
        }
        Ok(config)
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn settings(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    member.require(Action::ManageScanner)?;
    let stored = state.store.dlp_settings(member.org.id).await?;
    let config: Config = stored.as_ref().and_then(|s| serde_json::from_str(&s.config).ok()).unwrap_or_default();
    render(&SettingsPage {
        page: &page,
        form: SettingsForm::of(&config, &page),
        errors: FormErrors::default(),
        saved: q.saved.is_some(),
        version: stored.map(|s| s.version),
        kinds: &Kind::ALL,
    })
}

pub async fn save_settings(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    member.require(Action::ManageScanner)?;
    let config = match form.config(&page) {
        Ok(c) => c,
        Err(errors) => {
            let version = state.store.dlp_settings(member.org.id).await?.map(|s| s.version);
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage { page: &page, form, errors, saved: false, version, kinds: &Kind::ALL },
            );
        }
    };
    let json = serde_json::to_string(&config).map_err(|e| PageError::Internal(e.to_string()))?;
    let version =
        state.store.save_dlp_settings(member.org.id, &json, Some(member.viewer.user.id), state.app.clock.now()).await?;
    state.app.dlp.forget(member.org.id);
    tracing::info!(org_id = member.org.id.0, by = member.viewer.user.id, version, "message scanner settings changed");
    Ok(Redirect::to("/dlp/settings?saved=1").into_response())
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/dlp", show).post("/dlp", scan).get("/dlp/settings", settings).post("/dlp/settings", save_settings)
}
