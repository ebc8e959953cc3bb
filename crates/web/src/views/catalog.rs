//! The Normen catalogue: browse by chapter, search, filter, read a requirement with its
//! defined terms linked, and the glossary.

use super::{render, Page};
use crate::auth::SignedIn;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use normverk_core::catalog::{normen_5_3, Audience, Catalog, Filter, Obligation, Requirement, Section, Tag};
use serde::Deserialize;
use std::str::FromStr;

/// The filter as the search form sends it; unknown values are ignored rather than refused, so a
/// stale bookmark still shows the catalogue.
#[derive(Debug, Default, Deserialize)]
pub struct FilterQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub chapter: String,
    #[serde(default)]
    pub obligation: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub tag: String,
}

impl FilterQuery {
    pub fn filter(&self) -> Filter {
        Filter {
            query: self.q.chars().take(200).collect(),
            chapter: Some(self.chapter.trim().to_string()).filter(|c| !c.is_empty()),
            obligation: Obligation::from_str(&self.obligation).ok(),
            audience: Audience::from_str(&self.audience).ok(),
            tag: Tag::from_str(&self.tag).ok(),
        }
    }
}

/// The choices the filter offers.
pub const OBLIGATIONS: &[Obligation] = Obligation::ALL;
pub const AUDIENCES: &[Audience] = Audience::ALL;
pub const TAGS: &[Tag] = Tag::ALL;

/// Requirements of one section, for the listing.
pub struct SectionGroup<'a> {
    pub section: &'a Section,
    pub requirements: Vec<&'a Requirement>,
}

/// Groups requirements (in catalogue order) under their sections.
pub fn group_by_section<'a>(catalog: &'a Catalog, found: Vec<&'a Requirement>) -> Vec<SectionGroup<'a>> {
    let mut groups: Vec<SectionGroup<'a>> = Vec::new();
    for r in found {
        match groups.last_mut() {
            Some(g) if g.section.number == r.section => g.requirements.push(r),
            _ => {
                if let Some(section) = catalog.section(&r.section) {
                    groups.push(SectionGroup { section, requirements: vec![r] });
                }
            }
        }
    }
    groups
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage<'a> {
    page: &'a Page,
    catalog: &'static Catalog,
    query: FilterQuery,
    groups: Vec<SectionGroup<'static>>,
    found: usize,
}

impl CatalogPage<'_> {
    fn chapters(&self) -> Vec<&'static Section> {
        self.catalog.chapters().filter(|c| matches!(c.number.as_str(), "2" | "3" | "4" | "5")).collect()
    }
}

pub async fn index(page: Page, _: SignedIn, Query(query): Query<FilterQuery>) -> Result<Response, PageError> {
    let catalog = normen_5_3();
    let found = catalog.search(&query.filter());
    let count = found.len();
    render(&CatalogPage { page: &page, catalog, groups: group_by_section(catalog, found), found: count, query })
}

/// A piece of requirement text; defined terms carry their glossary anchor and definition.
pub struct Piece {
    pub text: String,
    pub anchor: Option<String>,
    pub definition: String,
}

pub fn linked(catalog: &Catalog, text: &str) -> Vec<Piece> {
    catalog
        .link_terms(text)
        .into_iter()
        .map(|s| Piece {
            anchor: s.term.map(|t| t.anchor()),
            definition: s.term.map(|t| t.definition.clone()).unwrap_or_default(),
            text: s.text,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "requirement.html")]
struct RequirementPage<'a> {
    page: &'a Page,
    catalog: &'static Catalog,
    requirement: &'static Requirement,
    path: Vec<&'static Section>,
    pieces: Vec<Piece>,
    siblings: Vec<&'static Requirement>,
    small_org_note: Option<&'static str>,
}

pub async fn requirement(page: Page, _: SignedIn, Path(req_id): Path<String>) -> Result<Response, PageError> {
    let catalog = normen_5_3();
    let requirement = catalog.requirement(&req_id).ok_or(PageError::NotFound)?;
    render(&RequirementPage {
        page: &page,
        catalog,
        path: catalog.section_path(&requirement.section),
        pieces: linked(catalog, &requirement.text),
        siblings: catalog.requirements_in(&requirement.section).collect(),
        small_org_note: catalog.small_org_note(&requirement.section),
        requirement,
    })
}

#[derive(Template)]
#[template(path = "glossary.html")]
struct GlossaryPage<'a> {
    page: &'a Page,
    catalog: &'static Catalog,
}

pub async fn glossary(page: Page, _: SignedIn) -> Result<Response, PageError> {
    render(&GlossaryPage { page: &page, catalog: normen_5_3() })
}

pub async fn ciso_assistant(_: SignedIn) -> Response {
    use axum::response::IntoResponse;
    let yaml = normen_5_3().to_ciso_assistant_yaml();
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/yaml; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"normen-5.3.yaml\""),
        ],
        yaml,
    )
        .into_response()
}

/// The pages of this family.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    r.get("/catalog", index)
        .get("/catalog/glossary", glossary)
        .get("/catalog/export/ciso-assistant.yaml", ciso_assistant)
        .get("/catalog/requirements/{req_id}", requirement)
}
