//! `POST /api/v1/dlp/scan`: reminder systems and mail gateways check a message before sending.
//! The message is scanned and forgotten: only its verdict and the kinds found are counted.

use crate::auth::ApiCaller;
use crate::error::{ApiError, FieldError};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use dlp::{Report, MAX_MESSAGE_BYTES};
use normverk_app::dlp::{Message, ScanError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The request body may be larger than the message: JSON escapes text.
pub const MAX_BODY_BYTES: usize = 2 * MAX_MESSAGE_BYTES + 64 * 1024;

/// A message to check. For an SMS give `text` (and optionally `sender`); for an e-mail give
/// `subject` and `text` (the body; `html` when it is HTML), or the whole message as `raw`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "sms", "text": "Hei! Husk timen din i morgen kl. 10.", "sender": "Legekontoret"}))]
pub struct ScanIn {
    /// `sms` (the default) or `email`.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(sms|email)$")]
    pub channel: Option<String>,
    /// The SMS text, or the e-mail body.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// The body is HTML.
    #[serde(default)]
    pub html: bool,
    /// The sender name or number (SMS), or the From of an e-mail.
    #[serde(default)]
    pub sender: Option<String>,
    /// A whole RFC 5322 message (MIME, quoted-printable, base64, HTML parts, attachment names).
    #[serde(default)]
    pub raw: Option<String>,
}

/// One thing that should not be sent.
#[derive(Serialize, ToSchema)]
pub struct FindingOut {
    /// `fnr`, `health_code`, `health_term`, `prescription`, `department` or `sender`.
    pub kind: &'static str,
    /// `block` (may never be sent) or `warn` (should not be sent).
    pub severity: &'static str,
    /// `text`, `subject`, `body`, `sender` or `attachment`.
    pub part: String,
    /// Byte offsets into that part as sent (into the raw message for `raw`), end exclusive.
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
    /// Why, in Norwegian.
    pub explanation: String,
}

/// The verdict on the message.
#[derive(Serialize, ToSchema)]
pub struct ScanOut {
    /// `block`, `warn` or `clean`.
    pub verdict: &'static str,
    pub findings: Vec<FindingOut>,
    /// Some bytes were not valid text and were read as U+FFFD.
    pub lossy: bool,
    /// For a blocked message: a neutral version that may be sent.
    pub rewrite: Option<String>,
}

impl From<Report> for ScanOut {
    fn from(r: Report) -> Self {
        ScanOut {
            verdict: r.verdict.as_str(),
            findings: r
                .findings
                .into_iter()
                .map(|f| FindingOut {
                    kind: f.kind.as_str(),
                    severity: f.severity.as_str(),
                    part: serde_json::to_value(f.part)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    start: f.start,
                    end: f.end,
                    confidence: f.confidence,
                    explanation: f.explanation,
                })
                .collect(),
            lossy: r.lossy,
            rewrite: r.rewrite,
        }
    }
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError { field: name.into(), message: message.into() }
}

impl From<ScanError> for ApiError {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::TooLarge(m) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, m),
            ScanError::Failed(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m),
            ScanError::Store(e) => e.into(),
        }
    }
}

/// The message of a JSON request, or every field that is wrong.
fn message_from(input: ScanIn) -> Result<Message, Vec<FieldError>> {
    let mut errors = Vec::new();
    let message = match input.channel.as_deref().unwrap_or("sms") {
        "sms" => {
            if input.raw.is_some() {
                errors.push(field("raw", "a raw message is for channel email"));
            }
            if input.subject.as_deref().is_some_and(|s| !s.is_empty()) {
                errors.push(field("subject", "an SMS has no subject"));
            }
            match input.text {
                Some(text) => Some(Message::Sms { text, sender: input.sender }),
                None => {
                    errors.push(field("text", "give the SMS text (it may be empty)"));
                    None
                }
            }
        }
        "email" => match (input.raw, input.text.is_some() || input.subject.is_some()) {
            (Some(_), true) => {
                errors.push(field("raw", "give either raw or subject and text, not both"));
                None
            }
            (Some(raw), false) => Some(Message::Raw(raw.into_bytes())),
            (None, _) => Some(Message::Email {
                subject: input.subject.unwrap_or_default(),
                body: input.text.unwrap_or_default(),
                html: input.html,
                sender: input.sender,
            }),
        },
        other => {
            errors.push(field("channel", &format!("unknown channel '{other}'; use sms or email")));
            None
        }
    };
    match message {
        Some(m) if errors.is_empty() => Ok(m),
        _ => Err(errors),
    }
}

#[utoipa::path(post, path = "/api/v1/dlp/scan", security(("bearer" = ["dlp:scan"])), tag = "dlp",
    request_body(content = ScanIn, description = "The message as JSON, or a raw e-mail as message/rfc822"),
    responses(
        (status = 200, body = ScanOut, description = "the verdict; the message is not stored"),
        (status = 403, description = "the token lacks dlp:scan", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "the message is larger than 16 MiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "another content type", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "the message breaks a rule: an SMS needs `text` and takes no `subject` or `raw`; an e-mail takes either `raw` or `subject` and `text`", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn scan(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ScanOut>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let message = if content_type.starts_with("message/rfc822") {
        Message::Raw(body.to_vec())
    } else if content_type.starts_with("application/json") {
        let input: ScanIn = super::parse_object(&body)?;
        message_from(input).map_err(ApiError::invalid)?
    } else {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send application/json or message/rfc822"));
    };
    let report = state.app.dlp.scan(caller.org_id, message).await?;
    tracing::debug!(
        org_id = caller.org_id.0,
        verdict = report.verdict.as_str(),
        findings = report.findings.len(),
        "message scanned"
    );
    Ok(Json(report.into()))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().merge(
        OpenApiRouter::default().routes(routes!(scan)).layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES)),
    )
}
