//! SCIM 2.0 (RFC 7643, RFC 7644) as normverk's IAM speaks it: filters parsed and evaluated, PATCH
//! operations applied to a resource's JSON, and a User or Group read from what an IAM (Entra ID,
//! Keycloak, Okta) sends — every attribute of RFC 7643's User accepted, those normverk keeps
//! mapped, anything else refused. Pure.

use serde_json::{Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// normverk's extension: the HPR number (Helsepersonellregisteret) of health personnel.
pub const NORMVERK_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:normverk:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A refused request: the HTTP status, RFC 7644's `scimType` where one applies, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError { status: 400, scim_type: Some(scim_type), detail: detail.into() }
    }
}

// ---------------------------------------------------------------------------------------------
// Filters (RFC 7644 3.4.2.2)

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed filter. Attribute paths are kept lower-case (attribute names are case-insensitive).
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        attr: String,
        op: Op,
        value: Value,
    },
    Present(String),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: some value of the multi-valued `attr` matches.
    Any {
        attr: String,
        inner: Box<Filter>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    LBracket,
    RBracket,
}

fn tokens(s: &str) -> Result<Vec<Token>, ScimError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::LBracket,
                    _ => Token::RBracket,
                });
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(ScimError::bad("invalidFilter", "a string is not closed")),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            Some(other) => text.push(other),
                            None => return Err(ScimError::bad("invalidFilter", "a string is not closed")),
                        },
                        Some(other) => text.push(other),
                    }
                }
                out.push(Token::Str(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "()[]\"".contains(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

/// Filters nest at most this deep, and hold at most this many tokens.
const MAX_DEPTH: usize = 16;
const MAX_TOKENS: usize = 256;

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.and()?;
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.unary()?;
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ScimError::bad("invalidFilter", "the filter nests too deep"));
        }
        let out = self.primary();
        self.depth -= 1;
        out
    }

    fn primary(&mut self) -> Result<Filter, ScimError> {
        match self.tokens.get(self.at).cloned() {
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or()?;
                self.expect(Token::Close, "a closing parenthesis")?;
                Ok(inner)
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => {
                self.at += 1;
                self.expect(Token::Open, "a parenthesis after not")?;
                let inner = self.or()?;
                self.expect(Token::Close, "a closing parenthesis")?;
                Ok(Filter::Not(Box::new(inner)))
            }
            Some(Token::Word(attr)) => {
                self.at += 1;
                let attr = attr.to_ascii_lowercase();
                check_path(&attr)?;
                if self.tokens.get(self.at) == Some(&Token::LBracket) {
                    self.at += 1;
                    let inner = self.or()?;
                    self.expect(Token::RBracket, "a closing bracket")?;
                    return Ok(Filter::Any { attr, inner: Box::new(inner) });
                }
                let op = self
                    .peek_word()
                    .ok_or_else(|| ScimError::bad("invalidFilter", "an operator after an attribute"))?;
                self.at += 1;
                let op = match op.as_str() {
                    "pr" => return Ok(Filter::Present(attr)),
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "co" => Op::Co,
                    "sw" => Op::Sw,
                    "ew" => Op::Ew,
                    "gt" => Op::Gt,
                    "ge" => Op::Ge,
                    "lt" => Op::Lt,
                    "le" => Op::Le,
                    other => return Err(ScimError::bad("invalidFilter", format!("unknown operator {other}"))),
                };
                let value = match self.tokens.get(self.at).cloned() {
                    Some(Token::Str(s)) => Value::String(s),
                    Some(Token::Word(w)) => match w.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        n => n
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map(Value::Number)
                            .ok_or_else(|| ScimError::bad("invalidFilter", format!("not a value: {n}")))?,
                    },
                    _ => return Err(ScimError::bad("invalidFilter", "a value after the operator")),
                };
                self.at += 1;
                Ok(Filter::Compare { attr, op, value })
            }
            _ => Err(ScimError::bad("invalidFilter", "an attribute, 'not' or a parenthesis")),
        }
    }

    fn expect(&mut self, t: Token, what: &str) -> Result<(), ScimError> {
        if self.tokens.get(self.at) == Some(&t) {
            self.at += 1;
            Ok(())
        } else {
            Err(ScimError::bad("invalidFilter", format!("expected {what}")))
        }
    }
}

fn check_path(attr: &str) -> Result<(), ScimError> {
    let ok = !attr.is_empty()
        && attr.chars().all(|c| c.is_ascii_alphanumeric() || "._:$-".contains(c))
        && attr.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$');
    if ok {
        Ok(())
    } else {
        Err(ScimError::bad("invalidFilter", format!("not an attribute: {attr}")))
    }
}

/// Parses a filter.
pub fn parse_filter(s: &str) -> Result<Filter, ScimError> {
    let tokens = tokens(s)?;
    if tokens.is_empty() {
        return Err(ScimError::bad("invalidFilter", "the filter is empty"));
    }
    if tokens.len() > MAX_TOKENS {
        return Err(ScimError::bad("invalidFilter", "the filter is too long"));
    }
    let mut p = Parser { tokens, at: 0, depth: 0 };
    let f = p.or()?;
    if p.at != p.tokens.len() {
        return Err(ScimError::bad("invalidFilter", "unexpected text after the filter"));
    }
    Ok(f)
}

/// Every attribute path a filter names (lower-case; `attr[...]`'s inner ones as `attr.sub`).
pub fn filter_paths(f: &Filter) -> Vec<String> {
    match f {
        Filter::Compare { attr, .. } | Filter::Present(attr) => vec![attr.clone()],
        Filter::And(a, b) | Filter::Or(a, b) => [filter_paths(a), filter_paths(b)].concat(),
        Filter::Not(a) => filter_paths(a),
        Filter::Any { attr, inner } => filter_paths(inner).into_iter().map(|p| format!("{attr}.{p}")).collect(),
    }
}

/// The values at `path` in `doc` (case-insensitive names; an extension's attributes by its URN
/// and a colon; multi-valued attributes give each value).
fn values_at<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    let (mut current, rest): (Vec<&Value>, &str) = match split_urn(path) {
        Some((urn, rest)) => (get_ci(doc, urn).into_iter().collect(), rest),
        None => (vec![doc], path),
    };
    for part in rest.split('.').filter(|p| !p.is_empty()) {
        let mut next = Vec::new();
        for v in current {
            match v {
                Value::Array(items) => {
                    for item in items {
                        next.extend(get_ci(item, part));
                    }
                }
                other => next.extend(get_ci(other, part)),
            }
        }
        current = next;
    }
    current.into_iter().flat_map(|v| if let Value::Array(a) = v { a.iter().collect() } else { vec![v] }).collect()
}

/// A known schema URN at the start of `path` and what follows its colon.
fn split_urn(path: &str) -> Option<(&str, &str)> {
    for urn in [ENTERPRISE_SCHEMA, NORMVERK_SCHEMA, USER_SCHEMA, GROUP_SCHEMA] {
        if path.len() > urn.len() && path[..urn.len()].eq_ignore_ascii_case(urn) && path.as_bytes()[urn.len()] == b':' {
            return Some((urn, &path[urn.len() + 1..]));
        }
    }
    None
}

fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

/// Attributes compared case-sensitively (RFC 7643: `caseExact`).
fn case_exact(attr: &str) -> bool {
    matches!(attr, "id" | "externalid" | "members.value" | "value")
}

fn compare(actual: &Value, op: Op, expected: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    let ordering = match (actual, expected) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if exact { (a.clone(), b.clone()) } else { (a.to_lowercase(), b.to_lowercase()) };
            match op {
                Op::Co => return a.contains(&b),
                Op::Sw => return a.starts_with(&b),
                Op::Ew => return a.ends_with(&b),
                _ => a.cmp(&b),
            }
        }
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()).unwrap_or(Ordering::Equal),
        _ => return op == Op::Ne,
    };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Co | Op::Sw | Op::Ew => false,
    }
}

/// Whether the resource `doc` matches `f`.
pub fn matches(f: &Filter, doc: &Value) -> bool {
    match f {
        Filter::Compare { attr, op, value } => {
            let found = values_at(doc, attr);
            let exact = case_exact(attr);
            if found.is_empty() {
                return *op == Op::Ne || (*op == Op::Eq && value.is_null());
            }
            if *op == Op::Ne {
                found.iter().all(|v| compare(v, Op::Ne, value, exact))
            } else {
                found.iter().any(|v| compare(v, *op, value, exact))
            }
        }
        Filter::Present(attr) => values_at(doc, attr).iter().any(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        }),
        Filter::And(a, b) => matches(a, doc) && matches(b, doc),
        Filter::Or(a, b) => matches(a, doc) || matches(b, doc),
        Filter::Not(a) => !matches(a, doc),
        Filter::Any { attr, inner } => values_at(doc, attr).iter().any(|v| matches(inner, v)),
    }
}

/// For the quick paths: a filter that is only `attr eq "value"`, as (attr, value).
pub fn simple_eq(f: &Filter) -> Option<(&str, &str)> {
    match f {
        Filter::Compare { attr, op: Op::Eq, value: Value::String(v) } => Some((attr.as_str(), v.as_str())),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// PATCH (RFC 7644 3.5.2)

/// A parsed path: an optional extension URN, an attribute, an optional value filter, an
/// optional sub-attribute.
#[derive(Debug, Clone, PartialEq)]
struct PatchPath {
    urn: Option<&'static str>,
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn parse_path(path: &str) -> Result<PatchPath, ScimError> {
    let invalid = |why: &str| ScimError::bad("invalidPath", format!("{why}: {path}"));
    let (urn, rest) = match split_urn(path) {
        Some((urn, rest)) => {
            let urn = [ENTERPRISE_SCHEMA, NORMVERK_SCHEMA, USER_SCHEMA, GROUP_SCHEMA]
                .into_iter()
                .find(|u| u.eq_ignore_ascii_case(urn));
            (urn.filter(|u| *u != USER_SCHEMA && *u != GROUP_SCHEMA), rest)
        }
        None if path.to_ascii_lowercase().starts_with("urn:") => return Err(invalid("an unknown schema")),
        None => (None, path),
    };
    let (attr, filter, sub) = match rest.find('[') {
        Some(open) => {
            let close = rest.rfind(']').ok_or_else(|| invalid("a bracket is not closed"))?;
            if close < open {
                return Err(invalid("brackets out of order"));
            }
            let filter = parse_filter(&rest[open + 1..close]).map_err(|e| ScimError::bad("invalidPath", e.detail))?;
            let after = &rest[close + 1..];
            let sub = match after.strip_prefix('.') {
                Some(s) if !s.is_empty() => Some(s.to_string()),
                None if after.is_empty() => None,
                _ => return Err(invalid("text after the filter")),
            };
            (rest[..open].to_string(), Some(filter), sub)
        }
        None => match rest.split_once('.') {
            Some((a, s)) => (a.to_string(), None, Some(s.to_string())),
            None => (rest.to_string(), None, None),
        },
    };
    if attr.is_empty() || !attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '$') {
        return Err(invalid("not an attribute"));
    }
    Ok(PatchPath { urn, attr, filter, sub })
}

/// The object the path's attribute lives in (the resource, or its extension's object, made if
/// absent).
fn container<'a>(doc: &'a mut Map<String, Value>, urn: Option<&str>) -> Result<&'a mut Map<String, Value>, ScimError> {
    let Some(urn) = urn else { return Ok(doc) };
    let key = doc.keys().find(|k| k.eq_ignore_ascii_case(urn)).cloned().unwrap_or_else(|| urn.to_string());
    let slot = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(m) => Ok(m),
        _ => Err(ScimError::bad("invalidPath", format!("{urn} is not an object"))),
    }
}

fn key_ci(map: &Map<String, Value>, key: &str) -> String {
    map.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned().unwrap_or_else(|| key.to_string())
}

/// Merges `value` into the object: multi-valued attributes are added to (without repeating a
/// value), others set. `replace` sets multi-valued ones too.
fn merge(target: &mut Map<String, Value>, value: &Value, replace: bool) -> Result<(), ScimError> {
    let Value::Object(fields) = value else {
        return Err(ScimError::bad("invalidValue", "without a path, the value is an object of attributes"));
    };
    for (k, v) in fields {
        if split_urn(&format!("{k}:x")).is_some() && v.is_object() {
            let inner = container(target, Some(k.as_str()))?;
            merge(inner, v, replace)?;
            continue;
        }
        if let Some(p) = k.contains('.').then(|| parse_path(k)).transpose()? {
            // Entra sends `{"name.givenName": "Kari"}` without a path.
            let obj = container(target, p.urn)?;
            let key = key_ci(obj, &p.attr);
            let slot = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if let (Value::Object(m), Some(sub)) = (slot, p.sub) {
                let sk = key_ci(m, &sub);
                m.insert(sk, v.clone());
            }
            continue;
        }
        let key = key_ci(target, k);
        match (target.get_mut(&key), v, replace) {
            (Some(Value::Array(existing)), Value::Array(new), false) => {
                for item in new {
                    if !existing.contains(item) {
                        existing.push(item.clone());
                    }
                }
            }
            _ => {
                target.insert(key, v.clone());
            }
        }
    }
    Ok(())
}

/// Applies PATCH operations (`Operations` of a PatchOp message) to a resource's JSON. Operation
/// names are case-insensitive (Entra ID writes `Replace`); a remove needs a path.
pub fn apply_patch(doc: &mut Value, body: &Value) -> Result<(), ScimError> {
    let schemas = body.get("schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|x| x.as_str() == Some(PATCH_SCHEMA))) {
        return Err(ScimError::bad("invalidSyntax", format!("a PATCH names the schema {PATCH_SCHEMA}")));
    }
    let ops = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "a PATCH has Operations"))?;
    if ops.len() > 1000 {
        return Err(ScimError::bad("tooMany", "at most 1000 operations"));
    }
    let Value::Object(root) = doc else { return Err(ScimError::bad("invalidSyntax", "not a resource")) };
    for op in ops {
        let name = get_ci(op, "op").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
        let path = get_ci(op, "path").and_then(Value::as_str).map(str::trim).filter(|p| !p.is_empty());
        let value = get_ci(op, "value").cloned().unwrap_or(Value::Null);
        match (name.as_str(), path) {
            ("add" | "replace", None) => merge(root, &value, name == "replace")?,
            ("add" | "replace", Some(path)) => {
                let p = parse_path(path)?;
                let obj = container(root, p.urn)?;
                let key = key_ci(obj, &p.attr);
                match (&p.filter, &p.sub) {
                    (None, None) => {
                        let mut one = Map::new();
                        one.insert(key, value);
                        merge(obj, &Value::Object(one), name == "replace")?;
                    }
                    (None, Some(sub)) => {
                        let slot = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
                        let Value::Object(m) = slot else {
                            return Err(ScimError::bad("invalidPath", format!("{} has no sub-attributes", p.attr)));
                        };
                        let sk = key_ci(m, sub);
                        m.insert(sk, value);
                    }
                    (Some(filter), sub) => {
                        let Some(Value::Array(items)) = obj.get_mut(&key) else {
                            return Err(ScimError {
                                status: 400,
                                scim_type: Some("noTarget"),
                                detail: format!("nothing matches {path}"),
                            });
                        };
                        let mut hit = false;
                        for item in items.iter_mut().filter(|i| matches(filter, i)) {
                            hit = true;
                            match (sub, item) {
                                (Some(sub), Value::Object(m)) => {
                                    let sk = key_ci(m, sub);
                                    m.insert(sk, value.clone());
                                }
                                (None, item) => *item = value.clone(),
                                _ => {}
                            }
                        }
                        if !hit {
                            return Err(ScimError {
                                status: 400,
                                scim_type: Some("noTarget"),
                                detail: format!("nothing matches {path}"),
                            });
                        }
                    }
                }
            }
            ("remove", None) => return Err(ScimError::bad("noTarget", "a remove names a path")),
            ("remove", Some(path)) => {
                let p = parse_path(path)?;
                let obj = container(root, p.urn)?;
                let key = key_ci(obj, &p.attr);
                match (&p.filter, &p.sub) {
                    (None, None) => match (obj.get_mut(&key), &value) {
                        // Entra ID: `{"op":"Remove","path":"members","value":[{"value":"7"}]}`.
                        (Some(Value::Array(items)), Value::Array(gone)) => {
                            items.retain(|i| {
                                !gone.iter().any(|g| g.get("value").is_some() && g.get("value") == i.get("value"))
                            });
                        }
                        _ => {
                            obj.remove(&key);
                        }
                    },
                    (None, Some(sub)) => {
                        if let Some(Value::Object(m)) = obj.get_mut(&key) {
                            let sk = key_ci(m, sub);
                            m.remove(&sk);
                        }
                    }
                    (Some(filter), None) => {
                        if let Some(Value::Array(items)) = obj.get_mut(&key) {
                            items.retain(|i| !matches(filter, i));
                        }
                    }
                    (Some(filter), Some(sub)) => {
                        if let Some(Value::Array(items)) = obj.get_mut(&key) {
                            for item in items.iter_mut().filter(|i| matches(filter, i)) {
                                if let Value::Object(m) = item {
                                    let sk = key_ci(m, sub);
                                    m.remove(&sk);
                                }
                            }
                        }
                    }
                }
            }
            (other, _) => return Err(ScimError::bad("invalidSyntax", format!("unknown operation '{other}'"))),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Users and groups

/// A user as the IAM sends it, in what normverk keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub user_name: String,
    pub external_id: String,
    pub name: String,
    /// The enterprise extension's `employeeNumber`, or empty.
    pub employee_number: String,
    /// The enterprise extension's `department`: a unit's name, or empty.
    pub department: String,
    /// The enterprise extension's `organization` when it is an organisation number, or empty.
    pub organization: String,
    pub hpr: String,
    pub active: bool,
}

/// The attributes of RFC 7643's User (4.1) and its enterprise extension (4.3), lower-case.
const USER_ATTRIBUTES: &[&str] = &[
    "schemas",
    "id",
    "externalid",
    "meta",
    "username",
    "name",
    "displayname",
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509certificates",
];
const NAME_ATTRIBUTES: &[&str] =
    &["formatted", "familyname", "givenname", "middlename", "honorificprefix", "honorificsuffix"];
const ENTERPRISE_ATTRIBUTES: &[&str] =
    &["employeenumber", "costcenter", "organization", "division", "department", "manager"];

fn unknown(what: &str) -> ScimError {
    ScimError::bad("invalidSyntax", format!("unknown attribute {what}"))
}

fn text(v: Option<&Value>, what: &str) -> Result<String, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(ScimError::bad("invalidValue", format!("{what} is a string"))),
    }
}

/// `active` as IAMs send it: a boolean, or (Entra ID) the string "True" or "False".
fn boolean(v: Option<&Value>) -> Result<bool, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(ScimError::bad("invalidValue", "active is true or false")),
    }
}

/// Reads a User resource: `userName` required, every attribute one RFC 7643 defines (those
/// normverk does not keep are accepted and dropped), anything else refused.
pub fn read_user(doc: &Value) -> Result<User, ScimError> {
    let Value::Object(fields) = doc else { return Err(ScimError::bad("invalidSyntax", "a User is a JSON object")) };
    let mut u = User { active: true, ..User::default() };
    let (mut display, mut formatted, mut given, mut family) =
        (String::new(), String::new(), String::new(), String::new());
    for (k, v) in fields {
        let lower = k.to_ascii_lowercase();
        if lower == ENTERPRISE_SCHEMA.to_ascii_lowercase() || lower == NORMVERK_SCHEMA.to_ascii_lowercase() {
            let Value::Object(ext) = v else { return Err(ScimError::bad("invalidValue", format!("{k} is an object"))) };
            let enterprise = lower == ENTERPRISE_SCHEMA.to_ascii_lowercase();
            for (ek, ev) in ext {
                let el = ek.to_ascii_lowercase();
                match (enterprise, el.as_str()) {
                    (true, "employeenumber") => u.employee_number = text(Some(ev), ek)?,
                    (true, "department") => u.department = text(Some(ev), ek)?,
                    (true, "organization") => u.organization = text(Some(ev), ek)?,
                    (true, a) if ENTERPRISE_ATTRIBUTES.contains(&a) => {}
                    (false, "hprnumber") => u.hpr = text(Some(ev), ek)?,
                    _ => return Err(unknown(&format!("{k}:{ek}"))),
                }
            }
            continue;
        }
        if lower.starts_with("urn:") {
            return Err(unknown(k));
        }
        match lower.as_str() {
            "username" => u.user_name = text(Some(v), k)?,
            "externalid" => u.external_id = text(Some(v), k)?,
            "displayname" => display = text(Some(v), k)?,
            "active" => u.active = boolean(Some(v))?,
            "name" => {
                let Value::Object(name) = v else { return Err(ScimError::bad("invalidValue", "name is an object")) };
                for (nk, nv) in name {
                    match nk.to_ascii_lowercase().as_str() {
                        "formatted" => formatted = text(Some(nv), nk)?,
                        "givenname" => given = text(Some(nv), nk)?,
                        "familyname" => family = text(Some(nv), nk)?,
                        a if NAME_ATTRIBUTES.contains(&a) => {}
                        _ => return Err(unknown(&format!("name.{nk}"))),
                    }
                }
            }
            a if USER_ATTRIBUTES.contains(&a) => {}
            _ => return Err(unknown(k)),
        }
    }
    if u.user_name.is_empty() {
        return Err(ScimError::bad("invalidValue", "userName is required"));
    }
    if u.user_name.chars().count() > 200 || u.external_id.chars().count() > 200 {
        return Err(ScimError::bad("invalidValue", "userName and externalId hold at most 200 characters"));
    }
    let joined = format!("{given} {family}").trim().to_string();
    u.name = [display, formatted, joined].into_iter().find(|n| !n.is_empty()).unwrap_or_else(|| u.user_name.clone());
    if crate::org::OrgNumber::parse(&u.organization).is_err() {
        u.organization = String::new();
    }
    Ok(u)
}

/// A group as the IAM sends it: its name, and its members by their ids here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub display_name: String,
    pub external_id: String,
    pub members: Vec<i64>,
}

/// Reads a Group resource: `displayName` required; members are Users by `value` (their id).
pub fn read_group(doc: &Value) -> Result<Group, ScimError> {
    let Value::Object(fields) = doc else { return Err(ScimError::bad("invalidSyntax", "a Group is a JSON object")) };
    let mut g = Group::default();
    for (k, v) in fields {
        match k.to_ascii_lowercase().as_str() {
            "displayname" => g.display_name = text(Some(v), k)?,
            "externalid" => g.external_id = text(Some(v), k)?,
            "members" => {
                let items = match v {
                    Value::Null => Vec::new(),
                    Value::Array(items) => items.clone(),
                    _ => return Err(ScimError::bad("invalidValue", "members is a list")),
                };
                for m in items {
                    let id = get_ci(&m, "value")
                        .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())))
                        .and_then(|s| s.trim().parse::<i64>().ok())
                        .ok_or_else(|| ScimError::bad("invalidValue", "a member's value is a User's id"))?;
                    if !g.members.contains(&id) {
                        g.members.push(id);
                    }
                }
            }
            "schemas" | "id" | "meta" => {}
            _ => return Err(unknown(k)),
        }
    }
    if g.display_name.is_empty() || g.display_name.chars().count() > 200 {
        return Err(ScimError::bad("invalidValue", "displayName is required, at most 200 characters"));
    }
    Ok(g)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "id": "7", "userName": "kari@helse.no", "externalId": "e-1", "active": true,
            "name": {"givenName": "Kari", "familyName": "Lege"},
            "emails": [{"value": "kari@helse.no", "type": "work", "primary": true}],
            ENTERPRISE_SCHEMA: {"employeeNumber": "1001", "department": "Akuttmottak"},
        })
    }

    #[test]
    fn filters_parse_and_match_as_rfc_7644_says() {
        let f = parse_filter(r#"userName eq "KARI@helse.no""#).unwrap();
        assert!(matches(&f, &user()), "userName is case-insensitive");
        assert_eq!(simple_eq(&f), Some(("username", "KARI@helse.no")));
        let f = parse_filter(r#"externalId eq "E-1""#).unwrap();
        assert!(!matches(&f, &user()), "externalId is case-exact");
        let f = parse_filter(r#"emails[type eq "work" and value co "@helse"] and not (active eq false)"#).unwrap();
        assert!(matches(&f, &user()));
        let f = parse_filter(&format!(r#"{ENTERPRISE_SCHEMA}:department sw "akutt""#)).unwrap();
        assert!(matches(&f, &user()));
        assert!(matches(&parse_filter("name.givenName pr").unwrap(), &user()));
        assert!(!matches(&parse_filter("title pr").unwrap(), &user()));
        for bad in ["", "userName", r#"userName xx "a""#, r#"userName eq "a"#, "(userName eq \"a\"", "a eq b c"] {
            assert_eq!(parse_filter(bad).unwrap_err().scim_type, Some("invalidFilter"), "{bad}");
        }
        let deep = "(".repeat(40) + "a pr" + &")".repeat(40);
        assert!(parse_filter(&deep).is_err(), "depth is bounded");
    }

    #[test]
    fn patches_as_entra_id_and_keycloak_send_them() {
        let mut doc = user();
        let entra = json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": format!("{ENTERPRISE_SCHEMA}:department"), "value": "Laboratoriet"},
            {"op": "replace", "value": {"displayName": "Kari Nordmann", "name.familyName": "Nordmann"}},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "kari.n@helse.no"},
        ]});
        apply_patch(&mut doc, &entra).unwrap();
        let u = read_user(&doc).unwrap();
        assert_eq!((u.active, u.department.as_str(), u.name.as_str()), (false, "Laboratoriet", "Kari Nordmann"));
        assert_eq!(doc["emails"][0]["value"], "kari.n@helse.no");
        let mut group = json!({"displayName": "Leger", "members": [{"value": "1"}, {"value": "2"}]});
        let ops = json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": "3"}, {"value": "1"}]},
            {"op": "remove", "path": "members[value eq \"2\"]"},
        ]});
        apply_patch(&mut group, &ops).unwrap();
        assert_eq!(read_group(&group).unwrap().members, [1, 3]);
        let entra_remove = json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "Remove", "path": "members", "value": [{"value": "3"}]}]});
        apply_patch(&mut group, &entra_remove).unwrap();
        assert_eq!(read_group(&group).unwrap().members, [1]);
        let bad =
            |ops: Value| apply_patch(&mut user(), &json!({"schemas": [PATCH_SCHEMA], "Operations": ops})).unwrap_err();
        assert_eq!(bad(json!([{"op": "remove"}])).scim_type, Some("noTarget"));
        assert_eq!(bad(json!([{"op": "move", "path": "a"}])).scim_type, Some("invalidSyntax"));
        assert_eq!(bad(json!([{"op": "add", "path": "urn:x:y:z", "value": 1}])).scim_type, Some("invalidPath"));
        assert!(apply_patch(&mut user(), &json!({"Operations": []})).is_err(), "the PatchOp schema is named");
    }

    #[test]
    fn a_user_is_read_with_every_standard_attribute_and_nothing_else() {
        let u = read_user(&user()).unwrap();
        assert_eq!((u.name.as_str(), u.employee_number.as_str(), u.active), ("Kari Lege", "1001", true));
        let mut unknown = user();
        unknown["favouriteColour"] = json!("blå");
        assert_eq!(read_user(&unknown).unwrap_err().scim_type, Some("invalidSyntax"));
        let mut no_name = user();
        no_name.as_object_mut().unwrap().remove("userName");
        assert_eq!(read_user(&no_name).unwrap_err().scim_type, Some("invalidValue"));
        let mut ext = user();
        ext[NORMVERK_SCHEMA] = json!({"hprNumber": "9144897"});
        assert_eq!(read_user(&ext).unwrap().hpr, "9144897");
        assert!(read_group(&json!({"displayName": "Leger", "members": [{"value": "x"}]})).is_err());
    }
}
