//! `/api/v1/catalog`: the Normen catalogue, read-only.

use super::contract::{AudienceCode, ObligationCode, TagCode};
use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::extract::{Path, Query};
use axum::Json;
use normverk_core::catalog::{normen_5_3, Audience, Filter, Obligation, Requirement, Section, Tag};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(Serialize, ToSchema)]
pub struct SectionOut {
    pub number: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_org_note: Option<String>,
}

impl From<&Section> for SectionOut {
    fn from(s: &Section) -> Self {
        SectionOut { number: s.number.clone(), title: s.title.clone(), small_org_note: s.small_org_note.clone() }
    }
}

/// The catalogue's identity and structure.
#[derive(Serialize, ToSchema)]
pub struct CatalogOut {
    /// "normen"
    pub catalog: String,
    pub version: String,
    pub name: String,
    pub source: String,
    pub locale: String,
    pub sections: Vec<SectionOut>,
    pub requirement_count: usize,
}

/// One requirement, in the Norm's own words (Norwegian).
#[derive(Serialize, ToSchema)]
pub struct RequirementOut {
    /// Stable id, e.g. `5.2.1-04`.
    pub id: String,
    pub section: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `shall` or `should`.
    pub obligation: String,
    /// controller, processor, top_management, manager, dpo, every_employee, supplier.
    pub audience: Vec<String>,
    /// confidentiality, integrity, availability, robustness.
    pub tags: Vec<String>,
    pub themes: Vec<String>,
    pub fact_sheets: Vec<u16>,
    pub gdpr_articles: Vec<u16>,
}

impl From<&Requirement> for RequirementOut {
    fn from(r: &Requirement) -> Self {
        RequirementOut {
            id: r.id.clone(),
            section: r.section.clone(),
            text: r.text.clone(),
            lead_in: r.lead_in.clone(),
            context: r.context.clone(),
            obligation: r.obligation.as_str().into(),
            audience: r.audience.iter().map(|a| a.as_str().to_string()).collect(),
            tags: r.tags.iter().map(|t| t.as_str().to_string()).collect(),
            themes: r.themes.clone(),
            fact_sheets: r.fact_sheets.clone(),
            gdpr_articles: r.gdpr_articles.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words that must all occur (compounds and inflections match: "tilgang" finds "tilgangsstyring").
    q: Option<String>,
    /// Chapter number, 2–5.
    #[param(pattern = "^[2-5]$")]
    chapter: Option<String>,
    /// `shall` or `should`.
    #[param(value_type = Option<ObligationCode>, inline)]
    obligation: Option<String>,
    /// Who the requirement is for.
    #[param(value_type = Option<AudienceCode>, inline)]
    audience: Option<String>,
    /// A theme.
    #[param(value_type = Option<TagCode>, inline)]
    tag: Option<String>,
}

impl SearchParams {
    /// The filter, or every field that was not understood.
    fn filter(&self) -> Result<Filter, ApiError> {
        let mut errors = Vec::new();
        fn parse<T: FromStr<Err = normverk_core::org::UnknownValue>>(
            field: &str,
            value: &Option<String>,
            errors: &mut Vec<FieldError>,
        ) -> Option<T> {
            let v = value.as_deref()?;
            T::from_str(v).map_err(|e| errors.push(FieldError { field: field.into(), message: e.to_string() })).ok()
        }
        let filter = Filter {
            query: self.q.clone().unwrap_or_default().chars().take(200).collect(),
            chapter: match self.chapter.as_deref() {
                None => None,
                Some(c @ ("2" | "3" | "4" | "5")) => Some(c.to_string()),
                Some(_) => {
                    errors.push(FieldError { field: "chapter".into(), message: "a chapter number, 2–5".into() });
                    None
                }
            },
            obligation: parse::<Obligation>("obligation", &self.obligation, &mut errors),
            audience: parse::<Audience>("audience", &self.audience, &mut errors),
            tag: parse::<Tag>("tag", &self.tag, &mut errors),
        };
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(ApiError::invalid(errors))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/catalog", security(("bearer" = ["org:read"])), tag = "catalog",
    responses((status = 200, body = CatalogOut), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn get_catalog() -> Result<Json<CatalogOut>, ApiError> {
    let c = normen_5_3();
    Ok(Json(CatalogOut {
        catalog: c.catalog.clone(),
        version: c.version.clone(),
        name: c.name.clone(),
        source: c.source.clone(),
        locale: c.locale.clone(),
        sections: c.sections.iter().map(Into::into).collect(),
        requirement_count: c.requirements.len(),
    }))
}

#[utoipa::path(get, path = "/api/v1/catalog/requirements", security(("bearer" = ["org:read"])), tag = "catalog", params(SearchParams),
    responses(
        (status = 200, body = [RequirementOut])))]
pub async fn search_requirements(Query(params): Query<SearchParams>) -> Result<Json<Vec<RequirementOut>>, ApiError> {
    let filter = params.filter()?;
    Ok(Json(normen_5_3().search(&filter).into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/catalog/requirements/{req_id}", security(("bearer" = ["org:read"])), tag = "catalog", params(("req_id" = String, Path)),
    responses((status = 200, body = RequirementOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_requirement(Path(req_id): Path<String>) -> Result<Json<RequirementOut>, ApiError> {
    normen_5_3()
        .requirement(&req_id)
        .map(|r| Json(r.into()))
        .ok_or_else(|| ApiError::new(axum::http::StatusCode::NOT_FOUND, "no requirement with that id"))
}

/// The documented operations of this feature, each with its description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(get_catalog))
        .routes(routes!(search_requirements))
        .routes(routes!(get_requirement))
}
