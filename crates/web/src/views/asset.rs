//! `/assets`: the inventory of ICT equipment and software (Normen 3.2), filtered by kind and
//! text, kept by hand or imported from an inventory or MDM export.

use super::import::{read_upload, result_page};
use super::{render_status, FormErrors, Page};
use crate::auth::Member;
use crate::error::PageError;
use crate::spreadsheet::table_file;
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use normverk_app::asset::AssetError;
use normverk_core::asset::{read_rows, AssetKind, NewAsset, COLUMNS};
use normverk_core::org::Action;
use normverk_store::asset::{Asset, AssetFilter, KindCount};
use normverk_store::processing::Saved;
use normverk_store::StoreError;
use std::collections::HashMap;

/// The editable fields but the kind (a list of its own) and software (a text area).
fn text_fields() -> Vec<&'static str> {
    COLUMNS.iter().map(|(k, _)| *k).filter(|k| !matches!(*k, "kind" | "software")).collect()
}

/// Assets per page.
const PAGE_SIZE: i64 = 100;

/// `?kind=&q=&page=`: blank and unknown values mean no filter.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(flatten)]
    page: super::PageQuery,
}

impl ListQuery {
    fn filter(&self) -> AssetFilter {
        AssetFilter {
            kind: self.kind.as_deref().and_then(|k| k.parse::<AssetKind>().ok()).map(|k| k.as_str().to_string()),
            text: self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(|q| q.chars().take(200).collect()),
        }
    }
}

#[derive(Template)]
#[template(path = "assets.html")]
struct ListPage<'a> {
    page: &'a Page,
    rows: Vec<Asset>,
    counts: Vec<KindCount>,
    total: i64,
    kinds: &'static [AssetKind],
    kind: String,
    q: String,
    /// This list's address with its filter, for the pager and the exports.
    path: String,
    query: String,
    page_no: usize,
    more: bool,
    may_manage: bool,
    entered: HashMap<String, String>,
    errors: FormErrors,
}

impl ListPage<'_> {
    pub fn value(&self, key: &str) -> &str {
        self.entered.get(key).map_or("", String::as_str)
    }

    pub fn error(&self, key: &str) -> Option<String> {
        self.errors.get(key)
    }

    pub fn text_fields(&self) -> Vec<&'static str> {
        text_fields()
    }
}

async fn list_page(
    state: &AppState,
    page: &Page,
    member: &Member,
    q: &ListQuery,
    entered: HashMap<String, String>,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let filter = q.filter();
    let page_no = q.page.number();
    let (rows, more) =
        state.store.assets_page(member.org.id, &filter, (page_no as i64 - 1) * PAGE_SIZE, PAGE_SIZE).await?;
    let counts = state.store.asset_counts(member.org.id).await?;
    let total = counts.iter().map(|c| c.count).sum();
    let kind = filter.kind.clone().unwrap_or_default();
    let text = filter.text.clone().unwrap_or_default();
    let query = serde_urlencoded::to_string([("kind", kind.as_str()), ("q", text.as_str())]).unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &ListPage {
            page,
            rows,
            counts,
            total,
            kinds: AssetKind::ALL,
            kind,
            q: text,
            path: format!("/assets?{query}"),
            query,
            page_no,
            more,
            may_manage: member.may(Action::ManageRecords),
            entered,
            errors,
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&state, &page, &member, &q, HashMap::new(), FormErrors::default()).await
}

fn read_form(fields: &HashMap<String, String>) -> NewAsset {
    let get = |k: &str| fields.get(k).map(|v| v.trim().replace("\r\n", "\n")).unwrap_or_default();
    NewAsset {
        identifier: get("identifier"),
        kind: get("kind"),
        model: get("model"),
        owner: get("owner"),
        location: get("location"),
        os: get("os"),
        os_version: get("os_version"),
        software: get("software"),
        supplier: get("supplier"),
        responsible: get("responsible"),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    member.require(Action::ManageRecords)?;
    let entered: HashMap<String, String> = fields.into_iter().collect();
    let asset = read_form(&entered);
    let q = ListQuery::default();
    match state.app.asset.create(member.org.id, &asset).await {
        Ok(a) => Ok(Redirect::to(&format!("/assets/{}", a.id)).into_response()),
        Err(AssetError::Invalid(problems)) => {
            list_page(&state, &page, &member, &q, entered, FormErrors::of(&page, problems)).await
        }
        Err(AssetError::Store(StoreError::Conflict(_))) => {
            let mut errors = FormErrors::default();
            errors.add("identifier", page.t("asset-identifier-taken"));
            list_page(&state, &page, &member, &q, entered, errors).await
        }
        Err(AssetError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "asset.html")]
struct ShowPage<'a> {
    page: &'a Page,
    asset: Asset,
    kinds: &'static [AssetKind],
    may_manage: bool,
    /// The form as entered when it was refused.
    entered: Option<NewAsset>,
    errors: FormErrors,
}

impl ShowPage<'_> {
    pub fn value(&self, key: &str) -> String {
        match &self.entered {
            Some(a) => a.get(key).to_string(),
            None => NewAsset::from(&self.asset).get(key).to_string(),
        }
    }

    pub fn error(&self, key: &str) -> Option<String> {
        self.errors.get(key)
    }

    pub fn text_fields(&self) -> Vec<&'static str> {
        text_fields()
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let asset = state.store.asset(member.org.id, id).await?;
    let may_manage = member.may(Action::ManageRecords);
    render_status(
        StatusCode::OK,
        &ShowPage {
            page: &page,
            asset,
            kinds: AssetKind::ALL,
            may_manage,
            entered: None,
            errors: FormErrors::default(),
        },
    )
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    member: Member,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let asset = state.store.asset(member.org.id, id).await?;
    member.require(Action::ManageRecords)?;
    let input = read_form(&fields.into_iter().collect());
    let mut errors = FormErrors::default();
    match state.app.asset.update(member.org.id, id, &input).await {
        Ok(_) => return Ok(Redirect::to(&format!("/assets/{id}")).into_response()),
        Err(AssetError::Invalid(problems)) => errors = FormErrors::of(&page, problems),
        Err(AssetError::Store(StoreError::Conflict(_))) => errors.add("identifier", page.t("asset-identifier-taken")),
        Err(AssetError::Store(e)) => return Err(e.into()),
    }
    let page_data =
        ShowPage { page: &page, asset, kinds: AssetKind::ALL, may_manage: true, entered: Some(input), errors };
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data)
}

/// Removes a retired asset.
pub async fn delete(State(state): State<AppState>, member: Member, Path(id): Path<i64>) -> Result<Response, PageError> {
    state.store.asset(member.org.id, id).await?;
    member.require(Action::ManageRecords)?;
    state.store.delete_asset(member.org.id, id).await?;
    Ok(Redirect::to("/assets").into_response())
}

/// The inventory's spreadsheet headings: ours, the first of each column's names.
fn headings() -> Vec<&'static str> {
    COLUMNS.iter().map(|(_, names)| names.first().copied().unwrap_or_default()).collect()
}

async fn export(state: &AppState, member: &Member, q: &ListQuery, ext: &str) -> Result<Response, PageError> {
    let assets = state.store.assets(member.org.id, &q.filter()).await?;
    let rows: Vec<Vec<String>> = assets
        .iter()
        .map(|a| {
            let a = NewAsset::from(a);
            COLUMNS.iter().map(|(k, _)| a.get(k).to_string()).collect()
        })
        .collect();
    let rows: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
    let widths = [24.0, 14.0, 20.0, 20.0, 20.0, 16.0, 14.0, 40.0, 20.0, 24.0];
    let stem = format!("utstyr-{}", member.org.org_number);
    table_file(ext, &headings(), &rows, &widths, "Utstyr", &stem)
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    export(&state, &member, &q, "xlsx").await
}

pub async fn export_csv(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    export(&state, &member, &q, "csv").await
}

/// Imports an inventory or MDM export: assets matched by identifier are updated, the rest
/// added; a file with one bad row saves nothing. The form's `kind` is the kind of rows that
/// name none.
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
    let (fields, table) = read_upload(&mut multipart).await;
    let default_kind = fields.get("kind").and_then(|k| k.parse::<AssetKind>().ok());
    let outcome = match table.and_then(|t| read_rows(&t, default_kind)) {
        Err(errors) => Err(errors),
        Ok(assets) => Ok(state.app.asset.import(member.org.id, &assets).await.map(|(created, updated)| Saved {
            created,
            updated,
            unchanged: 0,
        })),
    };
    result_page(&page, "asset-import", "/assets", outcome)
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/assets", list)
        .post("/assets", create)
        .get("/assets/export.xlsx", export_xlsx)
        .get("/assets/export.csv", export_csv)
        .upload("/assets/import", import)
        .get("/assets/{id}", show)
        .post("/assets/{id}", update)
        .post("/assets/{id}/delete", delete)
}
