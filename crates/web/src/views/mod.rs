//! Server-rendered pages, one module per page family.

pub mod access_log;
pub mod account;
pub mod assessment;
pub mod assessment_files;
pub mod asset;
pub mod authz;
pub mod authz_review;
pub mod catalog;
pub mod dashboard;
pub mod deviation;
pub mod dlp;
pub mod form;
pub mod import;
pub mod login;
pub mod org;
pub mod processing;
pub mod risk;
pub mod setup;
pub mod system;
pub mod tokens;

use crate::auth::Viewer;
use crate::error::PageError;
use crate::i18n::Lang;
pub use crate::params::parse_time_input;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
pub use form::{Entered, FormErrors};
use normverk_core::org::{role_permits, Action, Role};
use normverk_store::OrgId;
use std::sync::Arc;

/// What every page template knows about the request: language, CSRF token, where we are, who
/// is signed in.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub csrf: String,
    pub path: String,
    pub viewer: Option<Arc<Viewer>>,
}

/// One entry in the main navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// One organisation in the switcher.
pub struct OrgChoice {
    pub id: OrgId,
    pub name: String,
    pub current: bool,
}

impl Page {
    pub fn anonymous(lang: Lang, csrf: String) -> Page {
        Page { lang, csrf, path: String::new(), viewer: None }
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn ta(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        self.lang.t_args(key, &[(name, value.to_string())])
    }

    /// A field's label (`{prefix}-{field}`, underscores as dashes) where there is one, so a
    /// summary of problems never shows a field's code.
    pub fn field_label(&self, prefix: &str, field: &str) -> Option<String> {
        self.lang.t_opt(&format!("{prefix}-{}", field.replace('_', "-")))
    }

    /// A rule's problem (`problem-{key}` with its arguments), in the reader's language.
    pub fn problem(&self, key: normverk_core::problem::ProblemKey, args: &[(&'static str, String)]) -> String {
        self.lang.problem(key, args)
    }

    /// What the store refused, in the reader's language.
    pub fn rejection(&self, r: &normverk_store::Rejection) -> String {
        self.lang.t_args(&format!("rejection-{}", r.key()), &r.args())
    }

    pub fn datetime(&self, unix: impl Plain<i64>) -> String {
        self.lang.datetime(unix.plain())
    }

    pub fn role_name(&self, role: impl Plain<Role>) -> String {
        self.lang.role_name(role.plain())
    }

    pub fn obligation_name(&self, o: impl Plain<normverk_core::catalog::Obligation>) -> String {
        self.t(&format!("obligation-{}", o.plain().as_str()))
    }

    pub fn audience_name(&self, a: impl Plain<normverk_core::catalog::Audience>) -> String {
        self.t(&format!("audience-{}", a.plain().as_str().replace('_', "-")))
    }

    pub fn tag_name(&self, t: impl Plain<normverk_core::catalog::Tag>) -> String {
        self.t(&format!("tag-{}", t.plain().as_str()))
    }

    pub fn status_name(&self, status: impl Plain<Option<normverk_core::assessment::Status>>) -> String {
        self.t(&format!("status-{}", self.status_class(status.plain())))
    }

    /// The name of a given status.
    pub fn status_label(&self, status: impl Plain<normverk_core::assessment::Status>) -> String {
        self.status_name(Some(status.plain()))
    }

    /// The CSS class (and message key suffix) of a status; unanswered when there is none.
    pub fn status_class(&self, status: impl Plain<Option<normverk_core::assessment::Status>>) -> String {
        status.plain().map_or("unanswered".to_string(), |s| s.as_str().replace('_', "-"))
    }

    pub fn change_name(&self, change: impl Plain<normverk_core::assessment::Change>) -> String {
        use normverk_core::assessment::Change;
        self.t(match change.plain() {
            Change::Improved => "change-improved",
            Change::Regressed => "change-regressed",
            Change::Unchanged => "change-unchanged",
            Change::Changed => "change-changed",
        })
    }

    pub fn scope_name(&self, scope: impl Plain<normverk_core::org::Scope>) -> String {
        self.t(&format!("scope-{}", scope.plain().as_str().replace(':', "-")))
    }

    /// The name of an enumeration's value (a core enum or its code): the message
    /// `{prefix}-{value}`, underscores as dashes.
    pub fn named(&self, prefix: &str, value: impl std::fmt::Display) -> String {
        self.t(&format!("{prefix}-{}", value.to_string().replace('_', "-")))
    }

    pub fn kind_name(&self, kind: impl Plain<::dlp::Kind>) -> String {
        self.t(&format!("dlp-kind-{}", kind.plain().as_str().replace('_', "-")))
    }

    pub fn user_name(&self) -> Option<&str> {
        self.viewer.as_ref().map(|v| v.user.display_name.as_str())
    }

    pub fn org_name(&self) -> Option<&str> {
        self.viewer.as_ref()?.org.as_ref().map(|m| m.org.name.as_str())
    }

    fn roles(&self) -> &[Role] {
        self.viewer.as_ref().and_then(|v| v.org.as_ref()).map_or(&[], |m| m.roles.as_slice())
    }

    pub fn may_manage_access(&self) -> bool {
        role_permits(self.roles(), Action::ManageAccess)
    }

    pub fn orgs(&self) -> Vec<OrgChoice> {
        let Some(v) = &self.viewer else {
            return Vec::new();
        };
        let current = v.org.as_ref().map(|m| m.org.id);
        v.orgs
            .iter()
            .map(|m| OrgChoice { id: m.org.id, name: m.org.name.clone(), current: Some(m.org.id) == current })
            .collect()
    }

    /// The main navigation. Modules add their entry here as they arrive.
    pub fn nav(&self) -> Vec<NavItem> {
        let Some(v) = &self.viewer else {
            return Vec::new();
        };
        if v.org.is_none() {
            return Vec::new();
        }
        let mut items = vec![
            ("/", "nav-dashboard"),
            ("/catalog", "nav-catalog"),
            ("/assessment", "nav-assessment"),
            ("/org/units", "nav-units"),
            ("/org/members", "nav-members"),
        ];
        items.push(("/processings", "nav-processings"));
        items.push(("/systems", "nav-systems"));
        items.push(("/assets", "nav-assets"));
        items.push(("/risk", "nav-risk"));
        if role_permits(self.roles(), Action::ReadAuthorisations) {
            items.push(("/authz", "nav-authz"));
        }
        items.push(("/deviations", "nav-deviations"));
        items.push(("/dlp", "nav-dlp"));
        if role_permits(self.roles(), Action::ReadAccessLog) {
            items.push(("/access-log", "nav-access-log"));
        }
        if self.may_manage_access() {
            items.push(("/org/tokens", "nav-tokens"));
        }
        items
            .into_iter()
            .map(|(href, key)| NavItem {
                href,
                label: self.t(key),
                current: if href == "/" { self.path == "/" } else { self.path.starts_with(href) },
            })
            .collect()
    }

    pub fn langs(&self) -> Vec<(&'static str, &'static str, bool)> {
        Lang::ALL.iter().map(|l| (l.code(), l.native_name(), *l == self.lang)).collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Page>().cloned().ok_or_else(|| PageError::Internal("page context missing".into()))
    }
}

/// `?page=N` of a paged list: 1 when absent or not a page number.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<String>,
}

impl PageQuery {
    pub fn number(&self) -> usize {
        self.page.as_deref().and_then(|p| p.parse::<usize>().ok()).filter(|p| (1..=100_000).contains(p)).unwrap_or(1)
    }
}

/// Renders a template as a page.
pub fn render(t: &impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

/// Renders a template with a status other than 200 (a form shown again with its errors).
pub fn render_status(status: StatusCode, t: &impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    page: &'a Page,
    status: u16,
    title: String,
    message: String,
}

/// The friendly page for an error status: what happened and what to do, no internals.
pub fn render_error_page(page: &Page, status: StatusCode, hint: Option<&str>) -> Response {
    let key = match (hint, status.as_u16()) {
        (Some(h), _) => h.to_string(),
        (None, s @ (403 | 404 | 413 | 500)) => format!("error-{s}"),
        (None, s) if s >= 500 => "error-500".to_string(),
        (None, _) => "error-400".to_string(),
    };
    let t = ErrorTemplate {
        page,
        status: status.as_u16(),
        title: page.t(&format!("{key}-title")),
        message: page.t(&format!("{key}-message")),
    };
    let body = t.render().unwrap_or_else(|_| "Error".to_string());
    (status, Html(body)).into_response()
}

/// A small `Copy` value however many references askama wraps it in.
pub trait Plain<T: Copy> {
    fn plain(&self) -> T;
}

impl<T: Copy> Plain<T> for T {
    fn plain(&self) -> T {
        *self
    }
}

impl<T: Copy> Plain<T> for &T {
    fn plain(&self) -> T {
        **self
    }
}

impl<T: Copy> Plain<T> for &&T {
    fn plain(&self) -> T {
        ***self
    }
}
