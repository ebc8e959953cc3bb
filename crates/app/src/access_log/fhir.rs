//! FHIR R4 `AuditEvent` (a single resource or a Bundle of them) mapped onto the access event,
//! following the HL7 Norway AuditEvent and IHE BALP conventions:
//!
//! | access event | AuditEvent |
//! |---|---|
//! | `occurred_at`, `duration_s` | `period.start` (else `recorded`), `period.end` − `period.start` |
//! | `user_id`, `user_name` | the agent with `requestor: true`: `who.identifier` (HPR number → `hpr:…`, national id → `fnr:…`), `who.display` or `name` |
//! | `user_role` | that agent's `role` (else `type`): display or code |
//! | `org_number` | the agent whose `who.identifier` is an organisation number (`urn:oid:2.16.578.1.12.4.1.4.101`) |
//! | `unit` | the agent identified by a RESH id (`urn:oid:2.16.578.1.12.4.1.4.102`): display or `resh:…`; else the user's `location.display` |
//! | `patient_id` | the entity with role `1` (patient): `what.identifier` (`fnr:…`, `dnr:…`) or `what.reference` |
//! | `information_type` | another entity's `type`/`what.type`/`what.display`; else the event's `subtype` or `type` display |
//! | `action` | `subtype` codes (`read`, `vread`, `search`, `create`, `update`, `delete`, and `print`, `export`, `disclose`, `block`), else `action` C/R/U/D |
//! | `basis`, `basis_reason` | `purposeOfEvent` or the user's `purposeOfUse` (v3 ActReason: TREAT → care relation, ETREAT/BTG → break-glass, HOPERAT/PATADMIN → administration, HQUALIMP → quality assurance, PATRQT → consent), its `text` as the reason |
//! | `disclosed_to` | the agent with type `110152` (destination): display or identifier |
//!
//! What cannot be mapped is refused naming the missing element.

use super::EventError;
use normverk_core::access_log::{check_event, AccessAction, AccessEvent, Basis};
use serde_json::Value;

const FNR: &str = "urn:oid:2.16.578.1.12.4.1.4.1";
const DNR: &str = "urn:oid:2.16.578.1.12.4.1.4.2";
const HPR: &str = "urn:oid:2.16.578.1.12.4.1.4.4";
const ENH: &str = "urn:oid:2.16.578.1.12.4.1.4.101";
const RESH: &str = "urn:oid:2.16.578.1.12.4.1.4.102";

/// The access events of an AuditEvent or a Bundle of them, or every problem, by index.
pub fn parse(body: &[u8], now: i64) -> Result<Vec<AccessEvent>, Vec<EventError>> {
    let fail = |field: String, message: String| vec![EventError { field, message }];
    let root: Value = serde_json::from_slice(body).map_err(|e| fail(String::new(), format!("not JSON: {e}")))?;
    let resources: Vec<&Value> = match root.get("resourceType").and_then(Value::as_str) {
        Some("AuditEvent") => vec![&root],
        Some("Bundle") => root
            .get("entry")
            .and_then(Value::as_array)
            .map(|entries| entries.iter().map(|e| e.get("resource").unwrap_or(&Value::Null)).collect())
            .unwrap_or_default(),
        _ => return Err(fail("/resourceType".into(), "send an AuditEvent or a Bundle of AuditEvents".into())),
    };
    if resources.is_empty() {
        return Err(fail("/entry".into(), "the Bundle holds no AuditEvent".into()));
    }
    if resources.len() > super::MAX_EVENTS {
        return Err(fail(String::new(), format!("at most {} events per request", super::MAX_EVENTS)));
    }

    let mut events = Vec::with_capacity(resources.len());
    let mut errors = Vec::new();
    for (i, r) in resources.into_iter().enumerate() {
        match map(r) {
            Ok(e) => {
                errors.extend(check_event(&e, now).into_iter().map(|p| EventError {
                    field: format!("/{i}/{}", p.field.replace('.', "/")),
                    message: format!("{} (mapped from the AuditEvent)", p.message),
                }));
                events.push(e);
            }
            Err((element, message)) => errors.push(EventError { field: format!("/{i}/{element}"), message }),
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

type Missing = (&'static str, String);

fn missing(element: &'static str, what: &str) -> Missing {
    (element, format!("missing: {what}"))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// Every coding of a CodeableConcept or a Coding.
fn codings(v: &Value) -> Vec<&Value> {
    match v.get("coding").and_then(Value::as_array) {
        Some(c) => c.iter().collect(),
        None if v.get("code").is_some() => vec![v],
        None => Vec::new(),
    }
}

fn label(v: &Value) -> Option<String> {
    str_at(v, &["text"])
        .or_else(|| codings(v).into_iter().find_map(|c| str_at(c, &["display"]).or_else(|| str_at(c, &["code"]))))
        .map(str::to_string)
}

fn identifier(who: &Value) -> Option<(&str, &str)> {
    let id = who.get("identifier")?;
    Some((str_at(id, &["system"]).unwrap_or(""), str_at(id, &["value"])?))
}

fn person_id(system: &str, value: &str) -> String {
    match system {
        HPR => format!("hpr:{value}"),
        FNR => format!("fnr:{value}"),
        DNR => format!("dnr:{value}"),
        _ => value.to_string(),
    }
}

fn seconds(t: &str) -> Option<i64> {
    t.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

fn map(r: &Value) -> Result<AccessEvent, Missing> {
    if r.get("resourceType").and_then(Value::as_str) != Some("AuditEvent") {
        return Err(("resourceType", "every entry must be an AuditEvent".into()));
    }
    let start = str_at(r, &["period", "start"]).or_else(|| str_at(r, &["recorded"]));
    let occurred_at = start.ok_or_else(|| missing("period", "period.start or recorded"))?.to_string();
    let duration_s = match (start.and_then(seconds), str_at(r, &["period", "end"]).and_then(seconds)) {
        (Some(a), Some(b)) if b >= a => u64::try_from(b - a).unwrap_or(0),
        (Some(_), Some(_)) => return Err(("period", "period.end lies before period.start".into())),
        _ => 0,
    };
    let agents = array(r, "agent");
    let user = agents
        .iter()
        .find(|a| a.get("requestor").and_then(Value::as_bool) == Some(true))
        .ok_or_else(|| missing("agent", "an agent with requestor: true (the user)"))?;
    let who = user.get("who").unwrap_or(&Value::Null);
    let (system, value) =
        identifier(who).ok_or_else(|| missing("agent", "the user's who.identifier (HPR number or national id)"))?;
    let user_id = person_id(system, value);
    let user_name = str_at(who, &["display"])
        .or_else(|| str_at(user, &["name"]))
        .ok_or_else(|| missing("agent", "the user's who.display or name"))?
        .to_string();
    let user_role = array(user, "role")
        .iter()
        .find_map(label)
        .or_else(|| user.get("type").and_then(label))
        .ok_or_else(|| missing("agent", "the user's role or type"))?;
    let org_number = agents
        .iter()
        .find_map(|a| identifier(a.get("who")?).filter(|(s, _)| *s == ENH).map(|(_, v)| v.to_string()))
        .ok_or_else(|| missing("agent", format!("an agent identified by an organisation number ({ENH})").as_str()))?;
    let unit = agents
        .iter()
        .find_map(|a| {
            let who = a.get("who")?;
            let (_, v) = identifier(who).filter(|(s, _)| *s == RESH)?;
            Some(str_at(who, &["display"]).map_or_else(|| format!("resh:{v}"), str::to_string))
        })
        .or_else(|| str_at(user, &["location", "display"]).map(str::to_string))
        .ok_or_else(|| {
            missing("agent", format!("the care unit: an agent identified by a RESH id ({RESH})").as_str())
        })?;
    let entities = array(r, "entity");
    let is_patient =
        |e: &&Value| e.get("role").is_some_and(|role| codings(role).iter().any(|c| str_at(c, &["code"]) == Some("1")));
    let patient =
        entities.iter().find(is_patient).ok_or_else(|| missing("entity", "an entity with role 1 (patient)"))?;
    let what = patient.get("what").unwrap_or(&Value::Null);
    let patient_id = identifier(what)
        .map(|(s, v)| person_id(s, v))
        .or_else(|| str_at(what, &["reference"]).map(str::to_string))
        .ok_or_else(|| missing("entity", "the patient's what.identifier or what.reference"))?;
    let information_type = entities
        .iter()
        .filter(|e| !is_patient(e))
        .find_map(|e| {
            e.get("type")
                .and_then(label)
                .or_else(|| str_at(e, &["what", "type"]).map(str::to_string))
                .or_else(|| str_at(e, &["what", "display"]).map(str::to_string))
        })
        .or_else(|| array(r, "subtype").iter().find_map(|c| str_at(c, &["display"]).map(str::to_string)))
        .or_else(|| r.get("type").and_then(|t| str_at(t, &["display"])).map(str::to_string))
        .ok_or_else(|| missing("entity", "what was accessed: an entity's type or the event's subtype display"))?;
    let action = array(r, "subtype")
        .iter()
        .find_map(|c| match str_at(c, &["code"])? {
            "read" | "vread" | "search" | "search-type" | "history" => Some(AccessAction::Read),
            "create" => Some(AccessAction::Create),
            "update" | "patch" => Some(AccessAction::Update),
            "delete" => Some(AccessAction::Delete),
            "print" => Some(AccessAction::Print),
            "export" => Some(AccessAction::Export),
            "disclose" => Some(AccessAction::Disclose),
            "block" => Some(AccessAction::Block),
            _ => None,
        })
        .or_else(|| match str_at(r, &["action"]) {
            Some("C") => Some(AccessAction::Create),
            Some("R") => Some(AccessAction::Read),
            Some("U") => Some(AccessAction::Update),
            Some("D") => Some(AccessAction::Delete),
            _ => None,
        })
        .ok_or_else(|| missing("action", "action C, R, U or D, or a subtype naming the interaction"))?;
    let purposes: Vec<&Value> = array(r, "purposeOfEvent").iter().chain(array(user, "purposeOfUse")).collect();
    let basis = purposes
        .iter()
        .flat_map(|p| codings(p))
        .find_map(|c| match str_at(c, &["code"])? {
            "TREAT" | "CAREMGT" | "care_relation" => Some(Basis::CareRelation),
            "ETREAT" | "BTG" | "break_glass" => Some(Basis::BreakGlass),
            "PATRQT" | "consent" => Some(Basis::Consent),
            "HOPERAT" | "PATADMIN" | "administration" => Some(Basis::Administration),
            "HQUALIMP" | "quality_assurance" => Some(Basis::QualityAssurance),
            "other" => Some(Basis::Other),
            _ => None,
        })
        .ok_or_else(|| {
            missing("purposeOfEvent", "the ground for the access in purposeOfEvent or agent.purposeOfUse")
        })?;
    let basis_reason = purposes.iter().find_map(|p| str_at(p, &["text"])).map(str::to_string);
    let disclosed_to = agents
        .iter()
        .find(|a| a.get("type").is_some_and(|t| codings(t).iter().any(|c| str_at(c, &["code"]) == Some("110152"))))
        .and_then(|a| {
            let who = a.get("who")?;
            str_at(who, &["display"]).map(str::to_string).or_else(|| identifier(who).map(|(s, v)| person_id(s, v)))
        });
    Ok(AccessEvent {
        occurred_at,
        duration_s,
        user_id,
        user_name,
        user_role,
        org_number,
        unit,
        patient_id,
        information_type,
        action,
        basis,
        basis_reason,
        disclosed_to,
        cross_org: None,
    })
}
