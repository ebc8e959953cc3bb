//! Files in and out of the self-assessment: exports (XLSX, CSV, JSON), import of answers from
//! the same spreadsheet, and evidence uploads with their downloads.

use super::Page;
use crate::auth::Member;
use crate::error::PageError;
use crate::spreadsheet::{clean_file_name, download, table_csv, table_from_upload, table_xlsx};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use normverk_core::assessment::{check_answer, Answer, AnswerInput, Status};
use normverk_core::catalog::Catalog;
use normverk_core::org::Action;
use normverk_store::assessment::Round;
use normverk_store::StoreError;
use std::collections::HashMap;

/// The columns of the spreadsheet, in order. Import reads the same headings.
pub const COLUMNS: [&str; 12] = [
    "Krav-ID",
    "Kapittel",
    "Punkt",
    "Krav",
    "Forpliktelse",
    "Status",
    "Begrunnelse",
    "Kommentar",
    "Ansvarlig (e-post)",
    "Frist",
    "Dokumentasjon (lenke)",
    "Sist endret",
];

/// The status names a spreadsheet uses, in Norwegian.
pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Met => "Oppfylt",
        Status::Partial => "Delvis oppfylt",
        Status::NotMet => "Ikke oppfylt",
        Status::NotRelevant => "Ikke relevant",
    }
}

/// Reads a status as a person types it: the Norwegian label or the code, any case.
pub fn parse_status(text: &str) -> Option<Status> {
    let t = text.trim().to_lowercase();
    Status::ALL.iter().copied().find(|s| t == s.as_str() || t == status_label(*s).to_lowercase())
}

/// One row per requirement of the catalogue, answered or not.
async fn rows(state: &AppState, member: &Member, round: &Round) -> Result<Vec<[String; 12]>, PageError> {
    let catalog = super::assessment::round_catalog(Some(round))?;
    let answers: HashMap<String, normverk_store::assessment::AnswerRow> = state
        .store
        .answers(member.org.id, round.id)
        .await?
        .into_iter()
        .map(|a| (a.requirement_id.clone(), a))
        .collect();
    let emails: HashMap<i64, String> =
        state.store.members(member.org.id).await?.into_iter().map(|m| (m.user_id, m.email)).collect();
    Ok(catalog
        .requirements
        .iter()
        .map(|r| {
            let a = answers.get(&r.id);
            let text = match &r.lead_in {
                Some(lead) => format!("{lead} {}", r.text),
                None => r.text.clone(),
            };
            [
                r.id.clone(),
                r.chapter().to_string(),
                r.section.clone(),
                text,
                if r.obligation == normverk_core::catalog::Obligation::Shall { "Skal" } else { "Bør" }.to_string(),
                a.map(|a| status_label(a.status)).unwrap_or("").to_string(),
                a.and_then(|a| a.justification.clone()).unwrap_or_default(),
                a.and_then(|a| a.comment.clone()).unwrap_or_default(),
                a.and_then(|a| a.responsible_user_id).and_then(|id| emails.get(&id).cloned()).unwrap_or_default(),
                a.and_then(|a| a.due_date.clone()).unwrap_or_default(),
                a.and_then(|a| a.evidence_link.clone()).unwrap_or_default(),
                a.map(|a| crate::i18n::Lang::Nb.datetime(a.updated_at)).unwrap_or_default(),
            ]
        })
        .collect())
}

fn file_stem(member: &Member, round: &Round) -> String {
    let raw = format!("egenvurdering-{}-{}", member.org.org_number, round.name);
    raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect()
}

pub async fn export_csv(
    State(state): State<AppState>,
    member: Member,
    Path(round_id): Path<i64>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    let rows = rows(&state, &member, &round).await?;
    let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
    let body = table_csv(&COLUMNS, &rows)?;
    Ok(download(body, "text/csv; charset=utf-8", &format!("{}.csv", file_stem(&member, &round))))
}

/// The assessment as an XLSX workbook.
pub fn xlsx(rows: &[[String; 12]], sheet_name: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
    table_xlsx(&COLUMNS, &rows, &[10.0, 8.0, 8.0, 80.0, 10.0, 14.0, 30.0, 30.0, 24.0, 12.0, 30.0, 16.0], sheet_name)
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    member: Member,
    Path(round_id): Path<i64>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    let rows = rows(&state, &member, &round).await?;
    let body = xlsx(&rows, "Egenvurdering").map_err(|e| PageError::Internal(format!("xlsx: {e}")))?;
    Ok(download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}.xlsx", file_stem(&member, &round)),
    ))
}

pub async fn export_json(
    State(state): State<AppState>,
    member: Member,
    Path(round_id): Path<i64>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    let answers = state.store.answers(member.org.id, round.id).await?;
    let emails: HashMap<i64, String> =
        state.store.members(member.org.id).await?.into_iter().map(|m| (m.user_id, m.email)).collect();
    let doc = serde_json::json!({
        "organisation": {"name": member.org.name, "org_number": member.org.org_number},
        "round": {"id": round.id, "name": round.name, "started_at": round.started_at, "frozen_at": round.frozen_at},
        "catalog": {"catalog": round.catalog, "version": round.catalog_version},
        "answers": answers.iter().map(|a| serde_json::json!({
            "requirement_id": a.requirement_id,
            "status": a.status,
            "justification": a.justification,
            "comment": a.comment,
            "responsible": a.responsible_user_id.and_then(|id| emails.get(&id)),
            "due_date": a.due_date,
            "evidence_link": a.evidence_link,
            "updated_at": a.updated_at,
        })).collect::<Vec<_>>(),
    });
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| PageError::Internal(format!("json: {e}")))?;
    Ok(download(body, "application/json", &format!("{}.json", file_stem(&member, &round))))
}

/// Files accepted as evidence: by extension, confirmed by the content's first bytes. The
/// media type we serve comes from this list, never from the uploader.
const EVIDENCE_TYPES: &[(&str, &str, &[u8])] = &[
    ("pdf", "application/pdf", b"%PDF-"),
    ("png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("jpg", "image/jpeg", b"\xFF\xD8\xFF"),
    ("jpeg", "image/jpeg", b"\xFF\xD8\xFF"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    ("odt", "application/vnd.oasis.opendocument.text", b"PK\x03\x04"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet", b"PK\x03\x04"),
    ("txt", "text/plain; charset=utf-8", b""),
    ("csv", "text/csv; charset=utf-8", b""),
];

pub const MAX_EVIDENCE_BYTES: usize = crate::route::MAX_UPLOAD_BYTES;

/// Why an evidence file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceProblem {
    Empty,
    TooLarge,
    TypeNotAllowed,
    ContentMismatch,
}

/// The media type to store for an upload, or why it is refused.
pub fn evidence_type(file_name: &str, content: &[u8]) -> Result<&'static str, EvidenceProblem> {
    if content.is_empty() {
        return Err(EvidenceProblem::Empty);
    }
    if content.len() > MAX_EVIDENCE_BYTES {
        return Err(EvidenceProblem::TooLarge);
    }
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let (_, media, magic) = EVIDENCE_TYPES.iter().find(|(e, _, _)| *e == ext).ok_or(EvidenceProblem::TypeNotAllowed)?;
    let text_ok = magic.is_empty() && std::str::from_utf8(content).is_ok() && !content.contains(&0);
    if content.starts_with(magic) && (!magic.is_empty() || text_ok) {
        Ok(media)
    } else {
        Err(EvidenceProblem::ContentMismatch)
    }
}

/// The form's `file` field: its cleaned name and content; `Err` when the body is over the limit.
async fn file_field(multipart: &mut Multipart) -> Result<Option<(String, Bytes)>, ()> {
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let name = clean_file_name(field.file_name().unwrap_or(""));
            return field.bytes().await.map(|b| Some((name, b))).map_err(|_| ());
        }
    }
    Ok(None)
}

pub async fn upload_evidence(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path((round_id, req_id)): Path<(i64, String)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    // Whose round it is and who may write is settled before the body is looked at.
    let round = state.store.round(member.org.id, round_id).await?;
    let requirement =
        super::assessment::round_catalog(Some(&round))?.requirement(&req_id).ok_or(PageError::NotFound)?;
    member.require(Action::Assess)?;
    let Ok(mut multipart) = multipart else {
        return Ok(super::render_error_page(&page, StatusCode::BAD_REQUEST, None));
    };
    let (name, bytes) = match file_field(&mut multipart).await {
        Ok(Some(upload)) => upload,
        Ok(None) => return Ok(super::render_error_page(&page, StatusCode::BAD_REQUEST, None)),
        Err(()) => return Ok(super::render_error_page(&page, StatusCode::PAYLOAD_TOO_LARGE, None)),
    };
    let problem = match evidence_type(&name, &bytes) {
        Ok(media) => {
            let now = state.app.clock.now();
            let by = Some(member.viewer.user.id);
            match state
                .store
                .add_evidence(member.org.id, round.id, &requirement.id, &name, media, &bytes, by, now)
                .await
            {
                Ok(_) => {
                    let to = format!("/assessment/rounds/{}/requirements/{}", round.id, requirement.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(StoreError::Rejected(_)) => "error-evidence-frozen",
                Err(e) => return Err(e.into()),
            }
        }
        Err(EvidenceProblem::Empty) => "error-evidence-empty",
        Err(EvidenceProblem::TooLarge) => "error-evidence-too-large",
        Err(EvidenceProblem::TypeNotAllowed) => "error-evidence-type",
        Err(EvidenceProblem::ContentMismatch) => "error-evidence-content",
    };
    Ok(super::render_error_page(&page, StatusCode::UNPROCESSABLE_ENTITY, Some(problem)))
}

pub async fn download_evidence(
    State(state): State<AppState>,
    member: Member,
    Path(evidence_id): Path<i64>,
) -> Result<Response, PageError> {
    let (evidence, content) = state.store.evidence_file(member.org.id, evidence_id).await?;
    let media = EVIDENCE_TYPES
        .iter()
        .find(|(_, m, _)| *m == evidence.media_type)
        .map_or("application/octet-stream", |(_, m, _)| m);
    let mut resp = download(content, media, &clean_file_name(&evidence.file_name));
    // Never render an uploaded file as a page of this site.
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(resp)
}

use super::import::{lines, Line};
use normverk_core::import::RowError;
use normverk_core::problem::ProblemKey;

/// The column that holds an answer's field.
fn heading(field: &str) -> &str {
    match field {
        "status" => "Status",
        "justification" => "Begrunnelse",
        "comment" => "Kommentar",
        "due_date" => "Frist",
        "evidence_link" => "Dokumentasjon (lenke)",
        other => other,
    }
}

/// Reads answers from spreadsheet rows (the first row holds the headings). Every row is
/// checked; the answers come back only when all rows are sound, so an import is all or nothing.
pub fn read_answers(
    catalog: &Catalog,
    table: &[Vec<String>],
    members_by_email: &HashMap<String, i64>,
) -> Result<Vec<(String, Answer)>, Vec<RowError>> {
    let mut errors = Vec::new();
    let Some(headings) = table.first() else {
        return Err(vec![RowError::file(ProblemKey::FileEmpty)]);
    };
    let col = |name: &str| headings.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(id_col), Some(status_col)) = (col("Krav-ID"), col("Status")) else {
        return Err(vec![RowError::new(1, "", ProblemKey::HeadingsRequired).arg("expected", COLUMNS.join(", "))]);
    };
    let get = |row: &Vec<String>, c: Option<usize>| {
        c.and_then(|c| row.get(c)).map(|s| s.trim().to_string()).unwrap_or_default()
    };
    let mut out = Vec::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        let line = i + 1;
        let id = get(row, Some(id_col));
        let status_text = get(row, Some(status_col));
        if id.is_empty() && row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if catalog.requirement(&id).is_none() {
            errors.push(
                RowError::new(line, "Krav-ID", ProblemKey::NoSuchRequirement)
                    .arg("id", &id)
                    .arg("catalog", catalog.key()),
            );
            continue;
        }
        if status_text.is_empty() {
            continue; // unanswered rows are left as they are
        }
        let Some(status) = parse_status(&status_text) else {
            errors.push(RowError::new(line, "Status", ProblemKey::UnknownStatus).arg("value", &status_text));
            continue;
        };
        let email = get(row, col("Ansvarlig (e-post)")).to_lowercase();
        let responsible_user_id = if email.is_empty() {
            None
        } else if let Some(id) = members_by_email.get(&email) {
            Some(*id)
        } else {
            errors.push(RowError::new(line, "Ansvarlig (e-post)", ProblemKey::NotAMember).arg("email", &email));
            continue;
        };
        let input = AnswerInput {
            status: status.as_str().into(),
            justification: get(row, col("Begrunnelse")),
            comment: get(row, col("Kommentar")),
            responsible_user_id,
            due_date: get(row, col("Frist")),
            evidence_link: get(row, col("Dokumentasjon (lenke)")),
        };
        match check_answer(&input) {
            Ok(a) => out.push((id, a)),
            Err(problems) => errors.extend(problems.into_iter().map(|p| RowError::of(line, heading(p.field), p))),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[derive(askama::Template)]
#[template(path = "assessment_import.html")]
struct ImportPage<'a> {
    page: &'a Page,
    round: Round,
    errors: Vec<Line>,
    imported: Option<usize>,
}

pub async fn import(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(round_id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let round = state.store.round(member.org.id, round_id).await?;
    let catalog = super::assessment::round_catalog(Some(&round))?;
    member.require(Action::ManageAssessment)?;
    let Ok(mut multipart) = multipart else {
        return Ok(super::render_error_page(&page, StatusCode::BAD_REQUEST, None));
    };
    let outcome = match file_field(&mut multipart).await.ok().flatten() {
        None => Err(vec![RowError::file(ProblemKey::ChooseFile)]),
        Some((name, bytes)) => {
            let members: HashMap<String, i64> =
                state.store.members(member.org.id).await?.into_iter().map(|m| (m.email, m.user_id)).collect();
            table_from_upload(&name, &bytes).map_err(|e| vec![e]).and_then(|t| read_answers(catalog, &t, &members))
        }
    };
    let (errors, imported) = match outcome {
        Ok(answers) => {
            let now = state.app.clock.now();
            match state.store.save_answers(member.org.id, round.id, &answers, Some(member.viewer.user.id), now).await {
                Ok(n) => (Vec::new(), Some(n)),
                Err(StoreError::Rejected(r)) => (vec![Line::file(page.rejection(&r))], None),
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => (lines(&page, errors), None),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    super::render_status(status, &ImportPage { page: &page, round, errors, imported })
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.upload("/assessment/rounds/{round_id}/requirements/{req_id}/evidence", upload_evidence)
        .upload("/assessment/rounds/{round_id}/import", import)
        .get("/assessment/rounds/{round_id}/export.csv", export_csv)
        .get("/assessment/rounds/{round_id}/export.xlsx", export_xlsx)
        .get("/assessment/rounds/{round_id}/export.json", export_json)
        .get("/assessment/evidence/{evidence_id}", download_evidence)
}
