//! `/scim/v2`: a SCIM 2.0 service provider (RFC 7643, RFC 7644) so an IAM — Entra ID,
//! Keycloak, Okta — provisions the register's people and its groups, authenticated with an API
//! token of scope `scim:provision` (the tenant is the token's organisation). Users are people
//! of the register (a delete ends their employment and revokes their authorisations; the
//! register keeps them); groups map to role templates by name. Errors are SCIM's own
//! (`application/scim+json`, RFC 7644 3.12), not the API's problems.

use crate::auth::ApiCaller;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use normverk_app::authz::AuthzError;
use normverk_core::org::Scope;
use normverk_core::scim::{self as core, ScimError, ENTERPRISE_SCHEMA, GROUP_SCHEMA, NORMVERK_SCHEMA, USER_SCHEMA};
use normverk_store::authz::Person;
use normverk_store::scim::{PersonKey, ScimGroup};
use normverk_store::{OrgId, StoreError};
use serde_json::{json, Value};

const CONTENT_TYPE: &str = "application/scim+json";
/// At most this many resources in one page of a list.
const MAX_COUNT: usize = 1000;
const DEFAULT_COUNT: usize = 100;

/// A SCIM error as a response.
pub struct Refusal(ScimError);

impl From<ScimError> for Refusal {
    fn from(e: ScimError) -> Self {
        Refusal(e)
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal(match e {
            StoreError::NotFound => ScimError { status: 404, scim_type: None, detail: "no such resource".into() },
            StoreError::Conflict(_) => ScimError {
                status: 409,
                scim_type: Some("uniqueness"),
                detail: "another resource has that userName or displayName".into(),
            },
            StoreError::Rejected(r) => ScimError::bad("invalidValue", r.to_string()),
            e => {
                tracing::error!(error = %e, "a SCIM request failed");
                ScimError { status: 500, scim_type: None, detail: "the request could not be completed".into() }
            }
        })
    }
}

impl From<AuthzError> for Refusal {
    fn from(e: AuthzError) -> Self {
        match e {
            AuthzError::Invalid(problems) => {
                let detail: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect();
                Refusal(ScimError::bad("invalidValue", detail.join("; ")))
            }
            AuthzError::NotTheirManager => {
                Refusal(ScimError { status: 403, scim_type: None, detail: "not allowed".into() })
            }
            AuthzError::Log(why) => {
                tracing::error!(%why, "a SCIM request's access-log entry was refused");
                Refusal(ScimError { status: 500, scim_type: None, detail: "the request could not be completed".into() })
            }
            AuthzError::Store(e) => e.into(),
        }
    }
}

fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let e = self.0;
        let mut body = json!({"schemas": [core::ERROR_SCHEMA], "status": e.status.to_string(), "detail": e.detail});
        if let Some(t) = e.scim_type {
            body["scimType"] = json!(t);
        }
        scim_json(StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), &body)
    }
}

/// Any other error under `/scim/` (no such path, a method not allowed, a body too large) in
/// SCIM's format.
pub fn as_scim_error(resp: Response) -> Response {
    let status = resp.status();
    let is_scim =
        resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(CONTENT_TYPE.as_bytes()));
    if status.as_u16() < 400 || is_scim {
        return resp;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "no such resource",
        StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this resource",
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than allowed",
        _ => "the request could not be processed",
    };
    Refusal(ScimError { status: status.as_u16(), scim_type: None, detail: detail.into() }).into_response()
}

/// The IAM calling, by an API token with scope `scim:provision`.
pub struct Caller(ApiCaller);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // A token unknown, revoked or missing is 401; a store that cannot check it, 500.
        let caller = ApiCaller::from_request_parts(parts, state).await.map_err(|e| match e.0 {
            StatusCode::UNAUTHORIZED => ScimError {
                status: 401,
                scim_type: None,
                detail: e.1.detail.unwrap_or_else(|| "send an API token as 'Authorization: Bearer <token>'".into()),
            },
            _ => ScimError { status: 500, scim_type: None, detail: "the token could not be checked".into() },
        })?;
        if !caller.scopes.contains(&Scope::ScimProvision) {
            return Err(ScimError {
                status: 403,
                scim_type: None,
                detail: "the API token lacks the scope scim:provision".into(),
            }
            .into());
        }
        Ok(Caller(caller))
    }
}

fn body_json(headers: &HeaderMap, body: &Bytes) -> Result<Value, Refusal> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != CONTENT_TYPE && media != "application/json" {
        return Err(ScimError { status: 415, scim_type: None, detail: "send application/scim+json".into() }.into());
    }
    serde_json::from_slice(body).map_err(|e| ScimError::bad("invalidSyntax", format!("not JSON: {e}")).into())
}

fn id_of(text: &str) -> Result<i64, Refusal> {
    text.trim()
        .parse()
        .map_err(|_| ScimError { status: 404, scim_type: None, detail: "no such resource".into() }.into())
}

fn time(unix: i64) -> String {
    normverk_app::clock::rfc3339(unix)
}

/// What a person's representation needs besides the person.
struct Context {
    units: Vec<normverk_store::org::Unit>,
    today: normverk_core::assessment::Date,
}

impl Context {
    /// What the representations of `people` need: the units they are in (for one person, only
    /// theirs: the IAM sends one at a time).
    async fn load(state: &AppState, org: OrgId, people: &[&Person]) -> Result<Context, Refusal> {
        let today = normverk_core::assessment::Date::parse(&state.app.authz.today()).ok_or_else(|| ScimError {
            status: 500,
            scim_type: None,
            detail: "the date".into(),
        })?;
        let units = match people {
            [one] => match one.unit_id {
                Some(id) => vec![state.store.unit(org, id).await?],
                None => Vec::new(),
            },
            [] => Vec::new(),
            _ => state.store.units(org).await?,
        };
        Ok(Context { units, today })
    }

    fn user(&self, p: &Person) -> Value {
        let mut doc = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA, NORMVERK_SCHEMA],
            "id": p.id.to_string(),
            "userName": p.user_name,
            "displayName": p.name,
            "name": {"formatted": p.name},
            "active": !normverk_core::authz::has_left(&p.ends_on, self.today),
            "meta": {"resourceType": "User", "created": time(p.created_at), "lastModified": time(p.updated_at),
                     "location": format!("/scim/v2/Users/{}", p.id)},
        });
        if !p.external_id.is_empty() {
            doc["externalId"] = json!(p.external_id);
        }
        let mut ext = json!({"organization": p.enterprise});
        if !p.employee_id.is_empty() {
            ext["employeeNumber"] = json!(p.employee_id);
        }
        if let Some(u) = p.unit_id.and_then(|id| self.units.iter().find(|u| u.id == id)) {
            ext["department"] = json!(u.name);
        }
        doc[ENTERPRISE_SCHEMA] = ext;
        doc[NORMVERK_SCHEMA] = if p.hpr.is_empty() { json!({}) } else { json!({"hprNumber": p.hpr}) };
        doc
    }
}

fn group_json(g: &ScimGroup, names: &std::collections::HashMap<i64, String>) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| {
            json!({"value": m.to_string(), "display": names.get(m).cloned().unwrap_or_default(),
                   "$ref": format!("/scim/v2/Users/{m}"), "type": "User"})
        })
        .collect();
    let mut doc = json!({
        "schemas": [GROUP_SCHEMA], "id": g.id.to_string(), "displayName": g.display_name, "members": members,
        "meta": {"resourceType": "Group", "created": time(g.created_at), "lastModified": time(g.updated_at),
                 "location": format!("/scim/v2/Groups/{}", g.id)},
    });
    if !g.external_id.is_empty() {
        doc["externalId"] = json!(g.external_id);
    }
    doc
}

/// `filter`, `startIndex` and `count` of a list (RFC 7644 3.4.2).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
}

struct Paging {
    filter: Option<core::Filter>,
    start: usize,
    count: usize,
}

const USER_FILTERS: &[&str] = &[
    "id",
    "externalid",
    "username",
    "displayname",
    "active",
    "name",
    "emails",
    "meta",
    ENTERPRISE_SCHEMA,
    NORMVERK_SCHEMA,
];
const GROUP_FILTERS: &[&str] = &["id", "externalid", "displayname", "members", "meta"];

fn paging(q: &ListQuery, known: &[&str]) -> Result<Paging, Refusal> {
    let filter = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => {
            let parsed = core::parse_filter(f)?;
            for path in core::filter_paths(&parsed) {
                let head = known.iter().find(|k| {
                    let k = k.to_ascii_lowercase();
                    path == k || path.starts_with(&format!("{k}.")) || path.starts_with(&format!("{k}:"))
                });
                if head.is_none() {
                    return Err(ScimError::bad("invalidFilter", format!("cannot filter on {path}")).into());
                }
            }
            Some(parsed)
        }
        None => None,
    };
    let number = |v: &Option<String>, default: usize| -> Result<usize, Refusal> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(n) => n
                .parse::<i64>()
                .map(|n| n.max(0) as usize)
                .map_err(|_| ScimError::bad("invalidValue", "startIndex and count are whole numbers").into()),
        }
    };
    Ok(Paging {
        filter,
        start: number(&q.start_index, 1)?.max(1),
        count: number(&q.count, DEFAULT_COUNT)?.min(MAX_COUNT),
    })
}

fn list(all: Vec<Value>, p: &Paging) -> Response {
    let matched: Vec<Value> = match &p.filter {
        Some(f) => all.into_iter().filter(|d| core::matches(f, d)).collect(),
        None => all,
    };
    let total = matched.len();
    let page: Vec<Value> = matched.into_iter().skip(p.start - 1).take(p.count).collect();
    scim_json(
        StatusCode::OK,
        &json!({"schemas": [core::LIST_SCHEMA], "totalResults": total, "startIndex": p.start,
                "itemsPerPage": page.len(), "Resources": page}),
    )
}

pub async fn users(
    State(state): State<AppState>,
    Caller(c): Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, Refusal> {
    let p = paging(&q, USER_FILTERS)?;
    // The IAM looks each person up by userName or externalId before it creates them: those
    // are one indexed read, not a scan.
    let quick = p.filter.as_ref().and_then(core::simple_eq).and_then(|(attr, v)| match attr {
        "username" => Some((PersonKey::UserName, v)),
        "externalid" => Some((PersonKey::ExternalId, v)),
        _ => None,
    });
    let people = match quick {
        Some((key, v)) => {
            state.store.person_by(c.org_id, key, v).await?.filter(|p| !p.user_name.is_empty()).into_iter().collect()
        }
        None => state.store.scim_people(c.org_id).await?,
    };
    let ctx = Context::load(&state, c.org_id, &people.iter().collect::<Vec<_>>()).await?;
    Ok(list(people.iter().map(|x| ctx.user(x)).collect(), &p))
}

async fn provisioned(state: &AppState, org: OrgId, id: i64) -> Result<Person, Refusal> {
    let p = state.store.person(org, id).await?;
    if p.user_name.is_empty() {
        return Err(StoreError::NotFound.into());
    }
    Ok(p)
}

pub async fn user(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let p = provisioned(&state, c.org_id, id_of(&id)?).await?;
    Ok(scim_json(StatusCode::OK, &Context::load(&state, c.org_id, &[&p]).await?.user(&p)))
}

async fn save_user(state: &AppState, c: &ApiCaller, id: Option<i64>, doc: &Value) -> Result<Person, Refusal> {
    let u = core::read_user(doc)?;
    let org = state.store.org(c.org_id).await?;
    let id = state.app.authz.provision(c.org_id, &org.org_number, id, &u, c.token_id).await?;
    Ok(state.store.person(c.org_id, id).await?)
}

pub async fn create_user(
    State(state): State<AppState>,
    Caller(c): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let doc = body_json(&headers, &body)?;
    let p = save_user(&state, &c, None, &doc).await?;
    let mut resp = scim_json(StatusCode::CREATED, &Context::load(&state, c.org_id, &[&p]).await?.user(&p));
    if let Ok(v) = HeaderValue::from_str(&format!("/scim/v2/Users/{}", p.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

pub async fn replace_user(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let current = provisioned(&state, c.org_id, id_of(&id)?).await?;
    let doc = body_json(&headers, &body)?;
    let p = save_user(&state, &c, Some(current.id), &doc).await?;
    Ok(scim_json(StatusCode::OK, &Context::load(&state, c.org_id, &[&p]).await?.user(&p)))
}

pub async fn patch_user(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let current = provisioned(&state, c.org_id, id_of(&id)?).await?;
    let ops = body_json(&headers, &body)?;
    let mut doc = Context::load(&state, c.org_id, &[&current]).await?.user(&current);
    core::apply_patch(&mut doc, &ops)?;
    let p = save_user(&state, &c, Some(current.id), &doc).await?;
    Ok(scim_json(StatusCode::OK, &Context::load(&state, c.org_id, &[&p]).await?.user(&p)))
}

pub async fn delete_user(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let p = provisioned(&state, c.org_id, id_of(&id)?).await?;
    state.app.authz.deprovision(c.org_id, p.id, c.token_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn names(state: &AppState, org: OrgId) -> Result<std::collections::HashMap<i64, String>, Refusal> {
    Ok(state.store.people(org).await?.into_iter().map(|p| (p.id, p.name)).collect())
}

pub async fn groups(
    State(state): State<AppState>,
    Caller(c): Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, Refusal> {
    let p = paging(&q, GROUP_FILTERS)?;
    let names = names(&state, c.org_id).await?;
    let all = state.store.scim_groups(c.org_id).await?.iter().map(|g| group_json(g, &names)).collect();
    Ok(list(all, &p))
}

pub async fn group(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let g = state.store.scim_group(c.org_id, id_of(&id)?).await?;
    Ok(scim_json(StatusCode::OK, &group_json(&g, &names(&state, c.org_id).await?)))
}

/// Saves a group; the people who joined or left it changed roles, which flags their access to
/// another enterprise's data for review.
async fn save_group(state: &AppState, c: &ApiCaller, id: Option<i64>, doc: &Value) -> Result<ScimGroup, Refusal> {
    let g = core::read_group(doc)?;
    let before = match id {
        Some(id) => state.store.scim_group(c.org_id, id).await?.members,
        None => Vec::new(),
    };
    let id = state.store.save_scim_group(c.org_id, id, &g, state.app.clock.now()).await?;
    let saved = state.store.scim_group(c.org_id, id).await?;
    let changed: Vec<i64> = before
        .iter()
        .filter(|m| !saved.members.contains(m))
        .chain(saved.members.iter().filter(|m| !before.contains(m)))
        .copied()
        .collect();
    state.app.authz.roles_changed(c.org_id, &changed).await?;
    Ok(saved)
}

pub async fn create_group(
    State(state): State<AppState>,
    Caller(c): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let doc = body_json(&headers, &body)?;
    let g = save_group(&state, &c, None, &doc).await?;
    let mut resp = scim_json(StatusCode::CREATED, &group_json(&g, &names(&state, c.org_id).await?));
    if let Ok(v) = HeaderValue::from_str(&format!("/scim/v2/Groups/{}", g.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

pub async fn replace_group(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let current = state.store.scim_group(c.org_id, id_of(&id)?).await?;
    let doc = body_json(&headers, &body)?;
    let g = save_group(&state, &c, Some(current.id), &doc).await?;
    Ok(scim_json(StatusCode::OK, &group_json(&g, &names(&state, c.org_id).await?)))
}

pub async fn patch_group(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let current = state.store.scim_group(c.org_id, id_of(&id)?).await?;
    let ops = body_json(&headers, &body)?;
    let names = names(&state, c.org_id).await?;
    let mut doc = group_json(&current, &names);
    core::apply_patch(&mut doc, &ops)?;
    let g = save_group(&state, &c, Some(current.id), &doc).await?;
    Ok(scim_json(StatusCode::OK, &group_json(&g, &names)))
}

pub async fn delete_group(
    State(state): State<AppState>,
    Caller(c): Caller,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    state.store.delete_scim_group(c.org_id, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What this service provider supports (RFC 7643 5).
pub async fn service_provider_config(Caller(_): Caller) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "API token",
                "description": "An API token of normverk with the scope scim:provision, as 'Authorization: Bearer <token>'",
                "primary": true}],
            "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"},
        }),
    )
}

/// The resource types (RFC 7643 6).
pub async fn resource_types(Caller(_): Caller) -> Response {
    let types = [
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User",
               "endpoint": "/Users", "schema": USER_SCHEMA,
               "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}, {"schema": NORMVERK_SCHEMA, "required": false}],
               "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"}}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group", "name": "Group",
               "endpoint": "/Groups", "schema": GROUP_SCHEMA,
               "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Group"}}),
    ];
    scim_json(
        StatusCode::OK,
        &json!({"schemas": [core::LIST_SCHEMA], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": types}),
    )
}

/// The schemas, with the attributes normverk keeps (RFC 7643 7).
pub async fn schemas(Caller(_): Caller) -> Response {
    let attr = |name: &str, required: bool, unique: &str| {
        json!({"name": name, "type": "string", "multiValued": false, "required": required, "caseExact": false,
               "mutability": "readWrite", "returned": "default", "uniqueness": unique})
    };
    let schemas = [
        json!({"id": USER_SCHEMA, "name": "User", "attributes": [attr("userName", true, "server"), attr("displayName", false, "none"),
               attr("externalId", false, "none"),
               {"name": "active", "type": "boolean", "multiValued": false, "required": false, "mutability": "readWrite", "returned": "default"}]}),
        json!({"id": ENTERPRISE_SCHEMA, "name": "EnterpriseUser", "attributes": [attr("employeeNumber", false, "none"),
               attr("department", false, "none"), attr("organization", false, "none")]}),
        json!({"id": NORMVERK_SCHEMA, "name": "NormverkUser", "description": "The HPR number of health personnel",
               "attributes": [attr("hprNumber", false, "none")]}),
        json!({"id": GROUP_SCHEMA, "name": "Group", "attributes": [attr("displayName", true, "server"),
               {"name": "members", "type": "complex", "multiValued": true, "required": false, "mutability": "readWrite", "returned": "default"}]}),
    ];
    scim_json(
        StatusCode::OK,
        &json!({"schemas": [core::LIST_SCHEMA], "totalResults": schemas.len(), "startIndex": 1,
                "itemsPerPage": schemas.len(), "Resources": schemas}),
    )
}

/// The SCIM endpoints.
pub fn routes(r: crate::route::Routes) -> crate::route::Routes {
    let users_one: MethodRouter<AppState> = get(user).put(replace_user).patch(patch_user).delete(delete_user);
    let groups_one: MethodRouter<AppState> = get(group).put(replace_group).patch(patch_group).delete(delete_group);
    r.add_methods(&["GET", "POST"], "/scim/v2/Users", get(users).post(create_user))
        .add_methods(&["GET", "PUT", "PATCH", "DELETE"], "/scim/v2/Users/{id}", users_one)
        .add_methods(&["GET", "POST"], "/scim/v2/Groups", get(groups).post(create_group))
        .add_methods(&["GET", "PUT", "PATCH", "DELETE"], "/scim/v2/Groups/{id}", groups_one)
        .get("/scim/v2/ServiceProviderConfig", service_provider_config)
        .get("/scim/v2/ResourceTypes", resource_types)
        .get("/scim/v2/Schemas", schemas)
}
