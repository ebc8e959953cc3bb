//! What every operation of the document promises beyond its own description: the scope it
//! needs, and the statuses the shared machinery answers with (the extractors' 400, 413 and 415,
//! the scope check's 401 and 403, the rules' 422, the connection limit's 503). Written once
//! here, so no handler can forget one.

use normverk_core::org::Scope;
use normverk_core::text::Field;
use normverk_core::Coded;
use std::str::FromStr;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the log's proofs are public.
    Public,
    /// A token of the organisation holding this scope.
    Scope(Scope),
    /// The document names no scope the server knows: nobody (a mistake a test catches).
    Nobody,
}

/// The access an operation's security requirement states.
pub fn access_of(op: &Operation) -> Access {
    let Some(requirements) = &op.security else { return Access::Nobody };
    let value = serde_json::to_value(requirements).unwrap_or_default();
    let scopes: Vec<&str> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("bearer"))
        .filter_map(|s| s.as_array())
        .flatten()
        .filter_map(|s| s.as_str())
        .collect();
    match scopes.as_slice() {
        [] if value.as_array().is_some_and(|r| r.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty()))) => {
            Access::Public
        }
        [one] => Scope::from_str(one).map_or(Access::Nobody, Access::Scope),
        _ => Access::Nobody,
    }
}

/// Adds the scope line to the description and every shared status the operation lacks.
pub fn complete(op: &mut Operation) {
    let access = access_of(op);
    if let Access::Scope(scope) = access {
        let line = format!("Needs an API token with the scope `{scope}`: {}.", scope.allows());
        op.description = Some(match op.description.take() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
            _ => line,
        });
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let in_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let body = op.request_body.is_some();
    let mut add = |status: &str, name: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
    };
    if in_path || in_query || body {
        add("400", "BadRequest");
    }
    if let Access::Scope(_) = access {
        add("401", "Unauthorized");
        add("403", "Forbidden");
    }
    if in_path {
        add("404", "NotFound");
    }
    if body {
        add("413", "TooLarge");
        add("415", "UnsupportedMediaType");
    }
    if in_query || body {
        add("422", "Invalid");
    }
    add("503", "Unavailable");
}

/// The shared responses the operations refer to, for the document's components.
pub fn shared_responses() -> Vec<(&'static str, RefOr<utoipa::openapi::Response>)> {
    [
        ("BadRequest", "malformed: a path or query parameter of the wrong type, or a body that is not well-formed"),
        ("Unauthorized", "no API token, or one that is unknown or revoked"),
        ("Forbidden", "the token lacks the scope the operation names"),
        ("NotFound", "no such object in this organisation"),
        ("TooLarge", "the body is larger than allowed"),
        ("UnsupportedMediaType", "the body is not of the documented media type"),
        ("Invalid", "fields that break the rules, each named; nothing changed"),
        ("Unavailable", "the server is at its connection limit; try again shortly"),
    ]
    .into_iter()
    .map(|(name, description)| (name, problem(description)))
    .collect()
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build(),
    )
}

/// The schema of a string that is one of an enum's codes, as `value_type = …` (inline): the
/// document lists exactly the values the server's enum parses.
pub fn code_schema<T: Coded>() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some(T::codes())).into()
}

macro_rules! code_schemas {
    ($($name:ident = $enum:ty),+ $(,)?) => {$(
        #[doc = concat!("One of the codes of `", stringify!($enum), "`.")]
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                code_schema::<$enum>()
            }
        }
        impl utoipa::ToSchema for $name {}
    )+};
}

code_schemas! {
    AnswerStatusCode = normverk_core::assessment::Status,
    AssetKindCode = normverk_core::asset::AssetKind,
    AudienceCode = normverk_core::catalog::Audience,
    CategoryCode = normverk_core::deviation::Category,
    CriticalityCode = normverk_core::system::Criticality,
    ObligationCode = normverk_core::catalog::Obligation,
    StateCode = normverk_core::deviation::State,
    RiskReasonCode = normverk_core::risk::Reason,
    DpiaStateCode = normverk_core::dpia::State,
    RiskStateCode = normverk_core::risk::State,
    StandingCode = normverk_core::risk::Standing,
    TagCode = normverk_core::catalog::Tag,
}

/// A JSON object with `required` string fields and `optional` ones, each `(name, schema)`;
/// unknown fields refused when `closed`.
pub fn object(required: &[(&str, RefOr<Schema>)], optional: &[(&str, RefOr<Schema>)], closed: bool) -> RefOr<Schema> {
    let mut o = ObjectBuilder::new().schema_type(SchemaType::Type(Type::Object));
    for (name, schema) in required {
        o = o.property(*name, schema.clone()).required(*name);
    }
    for (name, schema) in optional {
        o = o.property(*name, schema.clone());
    }
    if closed {
        o = o.additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
    }
    o.into()
}

/// A text field as its rule states it: at most `max` characters, none the field does not take,
/// not blank where required.
pub fn text_field(f: &Field) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .min_length(f.required.then_some(1))
        .max_length(Some(f.max))
        .pattern(Some(f.pattern()))
        .into()
}

/// `schema` with `example` as its one example (a request body's, for integrators and for the
/// contract run's examples phase).
pub fn with_example(schema: RefOr<Schema>, example: serde_json::Value) -> RefOr<Schema> {
    match schema {
        RefOr::T(Schema::Object(mut o)) => {
            o.examples = vec![example];
            RefOr::T(Schema::Object(o))
        }
        RefOr::T(Schema::Array(mut a)) => {
            a.examples = vec![example];
            RefOr::T(Schema::Array(a))
        }
        other => other,
    }
}

/// `schema` that also takes null.
pub fn nullable(schema: RefOr<Schema>) -> RefOr<Schema> {
    match schema {
        RefOr::T(Schema::Object(mut o)) => {
            let mut types = match o.schema_type {
                SchemaType::Type(t) => vec![t],
                SchemaType::Array(ts) => ts,
                SchemaType::AnyValue => return RefOr::T(Schema::Object(o)),
            };
            types.push(Type::Null);
            o.schema_type = SchemaType::from_iter(types);
            RefOr::T(Schema::Object(o))
        }
        other => other,
    }
}

/// A closed JSON object of text `fields` by their rules (the required ones required; those
/// named in `null` also take null) and `others`, each `(name, schema, required)`.
pub fn text_object(fields: &[Field], null: &[&str], others: &[(&str, RefOr<Schema>, bool)]) -> RefOr<Schema> {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    for f in fields {
        let schema = if null.contains(&f.name) { nullable(text_field(f)) } else { text_field(f) };
        if f.required { &mut required } else { &mut optional }.push((f.name, schema));
    }
    for (name, schema, needed) in others {
        if *needed { &mut required } else { &mut optional }.push((*name, schema.clone()));
    }
    object(&required, &optional, true)
}

/// A string in RFC 3339 `format`: `date-time` or `date`.
pub fn time(format: KnownFormat) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .format(Some(SchemaFormat::KnownFormat(format)))
        .into()
}

/// An integer id.
pub fn id() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .into()
}

/// A boolean.
pub fn boolean() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::Boolean)).into()
}
