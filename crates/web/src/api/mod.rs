//! The JSON API under `/api/v1/`, described by OpenAPI 3.1 at `/api/openapi.json`.

pub mod access_log;
pub mod assessment;
pub mod asset;
pub mod authz;
pub mod catalog;
pub mod contract;
pub mod deviation;
pub mod dlp;
pub mod dpia;
pub mod log_read;
pub mod org;
pub mod processing;
pub mod risk;
pub mod system;

use crate::error::{ApiError, FieldError, Problem};
use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "normverk API",
        description = "The JSON API of normverk. Authenticate with an API token: `Authorization: Bearer nvk_…`. \
                       A token acts for one organisation, within its scopes. Errors are RFC 9457 problem details."
    ),
    components(schemas(Problem, FieldError, asset::AssetOut, asset::AssetIn, asset::Imported, system::SystemOut, system::SystemRef, system::DependencyIn, deviation::DeviationIn, deviation::DeviationOut, dlp::ScanIn, dlp::ScanOut, dlp::FindingOut, access_log::Appended, log_read::InclusionProof, log_read::ConsistencyProof, log_read::EventOut, log_read::EventProof, assessment::RoundOut, assessment::RoundDetailOut, assessment::ScoreOut, assessment::AnswerOut, assessment::AnswerIn, catalog::CatalogOut, catalog::SectionOut, catalog::RequirementOut, org::OrgOut, org::UnitOut, org::NewUnit, org::MemberOut, risk::RiskDocument, risk::MatrixOut, risk::StepOut, risk::AssessmentSummary, risk::AssessmentOut, risk::RiskOut, risk::EventStanding, risk::NewAssessmentIn, risk::ChangeIn, risk::ThreatOut, risk::VersionOut, risk::RegisterRow, contract::RiskReasonCode, contract::RiskStateCode, contract::StandingCode, contract::DpiaStateCode, dpia::DpiaContent, dpia::DpiaChange, dpia::DpiaOut, dpia::NoteOut, dpia::ConsultationOut, dpia::DpiaVersionOut, authz::PersonOut, authz::SystemRightsOut, authz::AuthorisationOut)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "access-log", description = "The tamper-evident log of accesses to health data"),
        (name = "assessment", description = "The organisation's self-assessment against Normen"),
        (name = "catalog", description = "The Normen requirement catalogue"),
        (name = "deviations", description = "Deviations (avvik) from report to closure, with the 72-hour clock"),
        (name = "protokoll", description = "The record of processing (Normen 3.1, GDPR art. 30) with versions and what each entry lacks"),
        (name = "assets", description = "The inventory of ICT equipment and software (Normen 3.2)"),
        (name = "systems", description = "Information systems, their dependencies and inherited criticality (Normen 5.9)"),
        (name = "risk", description = "Risk management (Normen 2.4, 3.3–3.5): the acceptance level, risk assessments in seven steps, the risk register, the threat catalogue and data protection impact assessments"),
        (name = "authz", description = "The authorization register (Normen 5.2.1.1): people and their rights per system"),
        (name = "dlp", description = "The message scanner: identity numbers and health information in SMS and e-mail"),
        (name = "org", description = "The organisation, its units and members")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("nvk_…").build()),
        );
    }
}

/// Every feature's documented operations, over the document's info, shared components, tags and
/// security.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(access_log::routes())
        .merge(assessment::routes())
        .merge(asset::routes())
        .merge(authz::routes())
        .merge(catalog::routes())
        .merge(deviation::routes())
        .merge(dlp::routes())
        .merge(dpia::routes())
        .merge(log_read::routes())
        .merge(org::routes())
        .merge(processing::routes())
        .merge(risk::routes())
        .merge(system::routes())
}

/// The OpenAPI document, pretty-printed as committed in `openapi.json`.
pub fn openapi_json() -> String {
    document().to_pretty_json().unwrap_or_default() + "\n"
}

/// The document as served: every operation's own description, completed in one place with
/// the scope it needs and every status the server's extractors, scope check and limits can
/// answer it with.
fn document() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, response) in contract::shared_responses() {
        components.responses.insert(name.to_string(), response);
    }
    for item in doc.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            contract::complete(op);
        }
    }
    doc
}

/// How each documented operation is reached: by its method and path pattern, the scope it
/// needs (none for the public proofs). Read from the document, so what it says is what is
/// enforced.
pub fn access(method: &axum::http::Method, path: &str) -> Option<contract::Access> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<(String, String), contract::Access>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let doc = routes().into_openapi();
        let mut table = std::collections::HashMap::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in [("GET", &item.get), ("PUT", &item.put), ("POST", &item.post), ("DELETE", &item.delete)]
            {
                if let Some(op) = op {
                    table.insert((method.to_string(), path.clone()), contract::access_of(op));
                }
            }
        }
        table
    });
    table.get(&(method.as_str().to_string(), path.to_string())).copied()
}

pub async fn openapi() -> impl axum::response::IntoResponse {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], DOCUMENT.get_or_init(openapi_json).as_str())
}

/// A JSON body whose rejections are problem details that say what was wrong.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| {
                let t = t.trim().to_ascii_lowercase();
                t == "application/json" || (t.starts_with("application/") && t.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the body as application/json"));
        }
        let bytes =
            axum::body::Bytes::from_request(req, state).await.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        parse_object(&bytes).map(ApiJson)
    }
}

/// A request body that is one JSON object, the one way every API route reads one: malformed
/// JSON or a key that appears twice in one object is 400; anything but an object, or an object
/// of the wrong shape, 422.
pub fn parse_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde::Deserialize::deserialize(&mut de)
        .and_then(|DistinctKeys| de.end())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("the body is not well-formed JSON: {e}")))?;
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "send one JSON object"));
    }
    serde_json::from_slice(body).map_err(|e| {
        let status = if e.is_data() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
        ApiError::new(status, format!("the body does not match the schema: {e}"))
    })
}

/// Any JSON value in which no object repeats a key (RFC 8259 leaves repeated keys undefined;
/// readers disagree on which one wins, so none is accepted).
struct DistinctKeys;

impl<'de> serde::Deserialize<'de> for DistinctKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DistinctKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for DistinctKeys {
    type Value = DistinctKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !seen.insert(key.to_string()) {
                return Err(serde::de::Error::custom(format!("the key `{key}` appears twice in one object")));
            }
            map.next_value::<DistinctKeys>()?;
        }
        Ok(DistinctKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<DistinctKeys>()?.is_some() {}
        Ok(DistinctKeys)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(DistinctKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(DistinctKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(DistinctKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(DistinctKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(DistinctKeys)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(DistinctKeys)
    }
}
