//! `/processings`: the record of processing (protokoll, Normen 3.1) — entries with what each
//! still lacks, their versions, the systems they use, and the spreadsheet they go to and come
//! from.

use super::import::{read_upload, result_page};
use super::{render, render_status, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::spreadsheet::table_file;
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::processing::Entry;
use normverk_core::dpia::{self, Criterion};
use normverk_core::org::Action;
use normverk_core::processing::{self as core, Record, FIELDS};
use normverk_store::processing::{Listed, Processing, Target, Version};
use normverk_store::{Named, OrgId, StoreError};
use std::collections::HashMap;

/// Entries per page of the register.
const PAGE_SIZE: i64 = 100;

#[derive(Template)]
#[template(path = "processings.html")]
struct ListPage<'a> {
    page: &'a Page,
    rows: Vec<Listed>,
    total: i64,
    complete: i64,
    page_no: usize,
    more: bool,
    may_manage: bool,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    axum::extract::Query(q): axum::extract::Query<super::PageQuery>,
) -> Result<Response, PageError> {
    let page_no = q.number();
    let offset = (page_no as i64 - 1) * PAGE_SIZE;
    let (rows, more) = state.store.processings_page(member.org.id, offset, PAGE_SIZE).await?;
    let (total, complete) = state.store.processing_counts(member.org.id).await?;
    render(&ListPage {
        page: &page,
        rows,
        total,
        complete,
        page_no,
        more,
        may_manage: member.may(Action::ManageRecords),
    })
}

/// One field of the form, ready to draw.
pub struct Input {
    pub key: &'static str,
    /// Coded fields are chosen from a list of (code, label).
    pub options: Vec<(&'static str, String)>,
    /// Long text gets a text area.
    pub long: bool,
    /// Several options may be chosen (the DPIA criteria): check boxes.
    pub multiple: bool,
    /// Set from other fields (the DPIA's outcome): shown, kept as it is, not entered.
    pub computed: bool,
    /// Help under the label; empty when the label says it all.
    pub hint: String,
    pub value: String,
    pub error: Option<String>,
}

impl Input {
    /// Whether `code` is among the chosen (for check boxes).
    pub fn has(&self, code: &str) -> bool {
        self.value.split([',', ';']).any(|v| v.trim() == code)
    }
}

/// Free-text fields that are usually more than a line.
const LONG: &[&str] = &[
    "dpia_reasons",
    "controller",
    "joint_controllers",
    "processors",
    "purposes",
    "data_subjects",
    "data_categories",
    "recipients",
    "transfers",
    "retention",
    "security_measures",
];

#[derive(Template)]
#[template(path = "processing_form.html")]
struct FormPage<'a> {
    page: &'a Page,
    /// None: a new entry.
    id: Option<i64>,
    inputs: Vec<Input>,
    /// The organisation's systems, (id, name, chosen).
    systems: Vec<(i64, String, bool)>,
    errors: FormErrors,
}

fn inputs(page: &Page, record: &Record, errors: &FormErrors) -> Vec<Input> {
    FIELDS
        .iter()
        .map(|(key, _)| {
            let multiple = *key == "dpia_criteria";
            let codes = if multiple {
                Criterion::ALL.iter().map(|c| c.as_str()).chain([dpia::NONE]).collect()
            } else {
                core::codes(key)
            };
            let options = codes
                .into_iter()
                .map(|code| {
                    let label = match *key {
                        "legal_basis" | "special_basis" => core::display(key, code),
                        "dpia_criteria" => page.named("dpia-criterion", code),
                        _ => page.named(&format!("proc-{}", key.replace('_', "-")), code),
                    };
                    (code, label)
                })
                .collect();
            Input {
                key,
                options,
                long: LONG.contains(key),
                multiple,
                computed: *key == "dpia",
                hint: page.lang.t_opt(&format!("proc-hint-{}", key.replace('_', "-"))).unwrap_or_default(),
                value: record.get(key).to_string(),
                error: errors.get(key),
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: Option<i64>,
    record: &Record,
    chosen: &[i64],
    errors: FormErrors,
) -> Result<Response, PageError> {
    let systems =
        state.store.systems(member.org.id).await?.into_iter().map(|s| (s.id, s.name, chosen.contains(&s.id))).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let inputs = inputs(page, record, &errors);
    render_status(status, &FormPage { page, id, inputs, systems, errors })
}

pub async fn new(State(state): State<AppState>, page: Page, member: Member) -> Result<Response, PageError> {
    member.require(Action::ManageRecords)?;
    let record = Record { role: "controller".into(), ..Record::default() };
    form_page(&state, &page, &member, None, &record, &[], FormErrors::default()).await
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let p = state.store.processing(member.org.id, id).await?;
    member.require(Action::ManageRecords)?;
    let chosen: Vec<i64> =
        state.store.systems_of_processing(member.org.id, id).await?.into_iter().map(|s| s.id).collect();
    form_page(&state, &page, &member, Some(id), &p.record, &chosen, FormErrors::default()).await
}

/// The posted form as a record and the chosen systems (ids that are not numbers are dropped:
/// the store refuses ids of other organisations).
fn read_form(fields: Vec<(String, String)>) -> (Record, Vec<i64>) {
    let mut record = Record::default();
    let mut systems = Vec::new();
    for (k, v) in fields {
        if k == "systems" {
            systems.extend(v.parse::<i64>().ok());
        } else if k == "dpia_criteria" && !record.dpia_criteria.is_empty() {
            record.dpia_criteria = format!("{}, {}", record.dpia_criteria, v.trim());
        } else if FIELDS.iter().any(|(f, _)| *f == k) {
            record.set(&k, v.trim().replace("\r\n", "\n"));
        }
    }
    (record, systems)
}

async fn save(
    state: &AppState,
    page: &Page,
    member: &Member,
    id: Option<i64>,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let (record, systems) = read_form(fields);
    let problems = core::check(&record);
    if !problems.is_empty() {
        return form_page(state, page, member, id, &record, &systems, FormErrors::of(page, problems)).await;
    }
    let entry =
        Entry { target: id.map_or(Target::New, Target::Id), record: record.clone(), systems: Some(systems.clone()) };
    match state.app.processing.save(member.org.id, vec![entry], Some(member.viewer.user.id)).await {
        Ok((ids, _)) => {
            Ok(Redirect::to(&format!("/processings/{}", ids.first().copied().unwrap_or_default())).into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let mut errors = FormErrors::default();
            errors.add("name", page.t("proc-name-taken"));
            form_page(state, page, member, id, &record, &systems, errors).await
        }
        Err(StoreError::Rejected(r)) => {
            let mut errors = FormErrors::default();
            errors.add("systems", page.rejection(&r));
            form_page(state, page, member, id, &record, &systems, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::ManageRecords)?;
    save(&state, &page, &member, None, fields).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.processing(member.org.id, id).await?;
    member.require(Action::ManageRecords)?;
    save(&state, &page, &member, Some(id), fields).await
}

/// A version as the history shows it: who, when, and which fields changed from the one before.
pub struct Change {
    pub version: Version,
    pub changed: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "processing.html")]
struct ShowPage<'a> {
    page: &'a Page,
    p: Processing,
    missing: Vec<&'static str>,
    systems: Vec<Named>,
    history: Vec<Change>,
    /// The DPIAs that cover it.
    dpias: Vec<normverk_app::dpia::Read>,
    may_manage: bool,
    may_assess: bool,
}

impl ShowPage<'_> {
    /// A field's value as shown: coded values by name.
    pub fn shown(&self, key: &str) -> String {
        let value = self.p.record.get(key);
        match key {
            _ if value.is_empty() => String::new(),
            "legal_basis" | "special_basis" => core::display(key, value),
            "dpia_criteria" => dpia::parse_criteria(value)
                .map(|found| {
                    if found.is_empty() {
                        self.page.t("dpia-criteria-none")
                    } else {
                        found.iter().map(|c| self.page.named("dpia-criterion", c)).collect::<Vec<_>>().join(" · ")
                    }
                })
                .unwrap_or_else(|_| value.to_string()),
            _ if !core::codes(key).is_empty() => self.page.named(&format!("proc-{}", key.replace('_', "-")), value),
            _ => value.to_string(),
        }
    }

    /// Waiting for Datatilsynet's advice before it may start (Normen 3.5).
    pub fn awaiting_consultation(&self) -> bool {
        self.dpias.iter().any(normverk_app::dpia::Read::awaiting_consultation)
    }

    pub fn is_missing(&self, key: &str) -> bool {
        self.missing.contains(&key)
    }

    pub fn fields(&self) -> impl Iterator<Item = &'static str> {
        FIELDS.iter().map(|(k, _)| *k).filter(|k| *k != "name")
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let p = state.store.processing(member.org.id, id).await?;
    let systems = state.store.systems_of_processing(member.org.id, id).await?;
    let versions = state.store.processing_versions(member.org.id, id).await?;
    let mut history: Vec<Change> = Vec::with_capacity(versions.len());
    for (i, version) in versions.iter().enumerate() {
        let changed =
            versions.get(i + 1).map_or_else(Vec::new, |before| core::changed_fields(&before.record, &version.record));
        history.push(Change { version: version.clone(), changed });
    }
    let missing = core::missing_fields(&p.record);
    let dpias = state.app.dpia.of_processing(member.org.id, id).await?;
    render(&ShowPage {
        page: &page,
        p,
        missing,
        systems,
        history,
        dpias,
        may_manage: member.may(Action::ManageRecords),
        may_assess: member.may(Action::AssessRisk),
    })
}

/// The register as spreadsheet rows in the template's layout.
async fn export_rows(state: &AppState, org_id: OrgId) -> Result<Vec<Vec<String>>, PageError> {
    let all = state.store.processings(org_id).await?;
    let names: HashMap<i64, String> = state.store.systems(org_id).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let mut systems: HashMap<i64, Vec<String>> = HashMap::new();
    for link in state.store.processing_systems(org_id).await? {
        systems.entry(link.processing_id).or_default().extend(names.get(&link.system_id).cloned());
    }
    Ok(all.iter().map(|p| core::to_row(&p.record, systems.get(&p.id).map_or(&[], Vec::as_slice))).collect())
}

async fn export(state: &AppState, member: &Member, ext: &str) -> Result<Response, PageError> {
    let rows = export_rows(state, member.org.id).await?;
    let rows: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
    let mut widths = vec![40.0; FIELDS.len() + 1];
    widths[0] = 30.0;
    widths[1] = 18.0;
    let stem = format!("protokoll-{}", member.org.org_number);
    table_file(ext, &core::headings(), &rows, &widths, "Protokoll", &stem)
}

pub async fn export_xlsx(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    export(&state, &member, "xlsx").await
}

pub async fn export_csv(State(state): State<AppState>, member: Member) -> Result<Response, PageError> {
    export(&state, &member, "csv").await
}

/// Reads an uploaded protokoll and saves it whole: entries matched by name are updated (a new
/// version where something changed), the rest created; one bad row and nothing is saved.
pub async fn import(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    member.require(Action::ManageRecords)?;
    let Ok(mut multipart) = multipart else {
        return Ok(super::render_error_page(&page, StatusCode::BAD_REQUEST, None));
    };
    let (_, table) = read_upload(&mut multipart).await;
    let outcome = match table {
        Err(errors) => Err(errors),
        Ok(table) => match state.app.processing.read_import(member.org.id, &table).await? {
            Err(errors) => Err(errors),
            Ok(entries) => Ok(state
                .app
                .processing
                .save(member.org.id, entries, Some(member.viewer.user.id))
                .await
                .map(|(_, saved)| saved)),
        },
    };
    result_page(&page, "proc-import", "/processings", outcome)
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/processings", list)
        .post("/processings", create)
        .get("/processings/new", new)
        .get("/processings/export.xlsx", export_xlsx)
        .get("/processings/export.csv", export_csv)
        .upload("/processings/import", import)
        .get("/processings/{id}", show)
        .post("/processings/{id}", update)
        .get("/processings/{id}/edit", edit)
}
