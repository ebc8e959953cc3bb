//! Access events: one access to health data in an EHR or fagsystem, with every field Normen
//! 5.4.4 asks to be logged, their checks, and the canonical bytes that go into the log.

use crate::org::OrgNumber;
use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

string_enum! {
    /// What was done to the information.
    AccessAction {
        Read = "read",
        Create = "create",
        Update = "update",
        Delete = "delete",
        Block = "block",
        Print = "print",
        Export = "export",
        Disclose = "disclose",
        /// The sender did not say (FHIR's `action` is optional, and Normen does not ask for it).
        Unspecified = "unspecified",
    }
}

string_enum! {
    /// The ground for the access.
    Basis {
        CareRelation = "care_relation",
        BreakGlass = "break_glass",
        Consent = "consent",
        Administration = "administration",
        QualityAssurance = "quality_assurance",
        Other = "other",
    }
}

/// Access to health data held by another enterprise: who holds it, why, and which periods.
/// Fields are declared in the byte order of their names, as in [`AccessEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossOrg {
    pub period_from: String,
    pub period_to: String,
    pub reason: String,
    pub source_org_number: String,
}

/// One access event, as systems send it (native JSON).
///
/// Fields are declared in the byte order of their names: serde writes them in that order, which
/// is RFC 8785's key order, so [`jcs`] serialises the event directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessEvent {
    pub action: AccessAction,
    pub basis: Basis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_org: Option<CrossOrg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosed_to: Option<String>,
    pub duration_s: u64,
    /// What was wrong with an identifier that was kept all the same (check digits that fail).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_warnings: Vec<String>,
    pub information_type: String,
    /// RFC 3339, e.g. "2026-11-24T08:15:00+01:00".
    pub occurred_at: String,
    /// The enterprise (virksomhet) whose system was used.
    pub org_number: String,
    /// e.g. "fnr:…".
    pub patient_id: String,
    /// The fields a patient's insight withholds ([`SEALED_FIELDS`]), each as its commitment
    /// (see [`seal`]); their values are stored beside the event. normverk's to set.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sealed: BTreeMap<String, String>,
    pub unit: String,
    /// e.g. "hpr:9144897" or an employee id.
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The person's national identity number, when the sender gave it beside an HPR number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_national_id: Option<String>,
    /// The role the person acted in at the time.
    pub user_role: String,
}

/// How far in the future an event's time may be, for clocks that disagree a little.
pub const CLOCK_SKEW_S: i64 = 300;
const MAX_TEXT: usize = 512;
/// The longest an access may last, in seconds: a week.
pub const MAX_DURATION_S: u64 = 7 * 24 * 3600;

/// Why another enterprise's data was accessed.
pub const CROSS_ORG_REASON: Field = Field { name: "reason", lines: Lines::Many, required: true, max: MAX_TEXT * 4 };

/// The event's text fields.
pub const EVENT_TEXT: &[Field] = &[
    Field::line("user_id", MAX_TEXT),
    Field::optional("user_name", Lines::One, MAX_TEXT),
    Field::optional("user_national_id", Lines::One, MAX_TEXT),
    Field::line("user_role", MAX_TEXT),
    Field::line("unit", MAX_TEXT),
    Field::line("patient_id", MAX_TEXT),
    Field::line("information_type", MAX_TEXT),
    Field::optional("basis_reason", Lines::Many, MAX_TEXT * 4),
    Field::optional("disclosed_to", Lines::One, MAX_TEXT),
];

fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// What an identifier may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// A patient: a national identity number (`fnr:`, `dnr:`, `hnr:`, `fhn:`) or `local:<system>:…`.
    Patient,
    /// A health worker: an HPR number (`hpr:`), a national identity number or `local:<system>:…`.
    User,
}

impl Whose {
    fn allowed(self) -> &'static str {
        match self {
            Whose::Patient => "fnr:, dnr:, hnr:, fhn: or local:<system>:",
            Whose::User => "hpr:, fnr:, dnr:, hnr:, fhn: or local:<system>:",
        }
    }
}

/// An identifier checked and in its one form: a national identity number's check digits by
/// the `fnr` rules (the classic and the 2032 rule; synthetic test numbers too) under the prefix
/// of what the number is (an «fnr:» that is a D-number is stored as «dnr:»), an HPR number's
/// digits without leading zeros, a local id with its system. Anything else is refused with why.
pub fn identifier(field: &'static str, raw: &str, whose: Whose) -> Result<String, Problem> {
    let refuse = |key, message: String| Problem::new(field, key, message);
    let raw = raw.trim();
    let Some((ns, rest)) = raw.split_once(':') else {
        return Err(refuse(ProblemKey::IdNamespace, format!("needs its kind in front: {}", whose.allowed()))
            .arg("allowed", whose.allowed()));
    };
    let invalid = |kind: &str, reason: String| {
        refuse(ProblemKey::IdInvalid, format!("not a valid {kind}: {reason}"))
            .arg("kind", kind.to_string())
            .arg("reason", reason)
    };
    match ns.to_ascii_lowercase().as_str() {
        "fnr" | "dnr" | "hnr" | "fhn" => {
            let number = fnr::parse(rest, fnr::Mode::Both).map_err(|e| match e {
                // Eleven digits with a real date whose check digits fail: kept, and said so.
                fnr::Invalid::FirstCheckDigit | fnr::Invalid::SecondCheckDigit | fnr::Invalid::OnlyFrom2032 => {
                    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
                    refuse(ProblemKey::IdCheckDigit, format!("the check digits of {ns}:{digits} are wrong: {e}"))
                        .arg("id", format!("{}:{digits}", ns.to_ascii_lowercase()))
                }
                e => invalid("national identity number", e.to_string()),
            })?;
            let kind = number.kinds.first().copied().unwrap_or(fnr::Kind::Fnr);
            let prefix = match kind {
                fnr::Kind::DNumber => "dnr",
                fnr::Kind::HNumber => "hnr",
                fnr::Kind::FhNumber => "fhn",
                fnr::Kind::Fnr | fnr::Kind::SyntheticTenor | fnr::Kind::SyntheticNav => "fnr",
            };
            Ok(format!("{prefix}:{}", number.digits))
        }
        "hpr" if whose == Whose::User => {
            let digits = rest.trim();
            if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("HPR number", "one to ten digits".into()));
            }
            let number = digits.trim_start_matches('0');
            Ok(format!("hpr:{}", if number.is_empty() { "0" } else { number }))
        }
        "local" => match rest.split_once(':') {
            Some((system, value)) if !system.trim().is_empty() && !value.trim().is_empty() => {
                Ok(format!("local:{}:{}", system.trim(), value.trim()))
            }
            _ => Err(invalid("local id", "write local:<system>:<id>".into())),
        },
        _ => Err(refuse(ProblemKey::IdNamespace, format!("needs its kind in front: {}", whose.allowed()))
            .arg("allowed", whose.allowed())),
    }
}

/// Checks an event (see [`check_event`]) and puts its patient and user ids in their one form
/// (see [`identifier`]): every problem, or none and the event as it is to be stored. A national
/// identity number whose check digits fail is not a reason to lose the record of an access: it
/// is kept as sent and the event says so in `id_warnings`.
pub fn accept(e: &mut AccessEvent, now: i64) -> Vec<Problem> {
    let mut problems = check_event(e, now);
    e.id_warnings.clear();
    for (field, whose) in
        [("patient_id", Whose::Patient), ("user_id", Whose::User), ("user_national_id", Whose::Patient)]
    {
        if problems.iter().any(|p| p.field == field) {
            continue;
        }
        let id = match field {
            "patient_id" => &mut e.patient_id,
            "user_id" => &mut e.user_id,
            _ => match e.user_national_id.as_mut() {
                Some(id) => id,
                None => continue,
            },
        };
        match identifier(field, id, whose) {
            Ok(normal) => *id = normal,
            Err(p) if p.key == ProblemKey::IdCheckDigit => {
                if let Some((_, kept)) = p.args.iter().find(|(name, _)| *name == "id") {
                    *id = kept.clone();
                }
                e.id_warnings.push(format!("{field}: {}", p.message));
            }
            Err(p) => problems.push(p),
        }
    }
    problems
}

/// Checks an event against Normen's rules: every required field present and bounded, a real
/// organisation number, a time that is not in the future (beyond a small skew), a reason for
/// break-glass and "other", a recipient exactly when something was disclosed, complete
/// cross-enterprise details. `now` is Unix seconds.
pub fn check_event(e: &AccessEvent, now: i64) -> Vec<Problem> {
    let mut problems = Vec::new();
    match parse_time(&e.occurred_at) {
        None => problems.push(Problem::new(
            "occurred_at",
            ProblemKey::TimeFormat,
            "must be an RFC 3339 time with offset, e.g. 2026-11-24T08:15:00+01:00",
        )),
        Some(t) if t > now + CLOCK_SKEW_S => {
            problems.push(Problem::new("occurred_at", ProblemKey::InFuture, "lies in the future"))
        }
        Some(_) => {}
    }
    if e.duration_s > MAX_DURATION_S {
        problems.push(Problem::new("duration_s", ProblemKey::DurationWeek, "is longer than a week"));
    }
    for f in EVENT_TEXT {
        let value = match f.name {
            "user_id" => &e.user_id,
            "user_name" => e.user_name.as_deref().unwrap_or(""),
            "user_national_id" => e.user_national_id.as_deref().unwrap_or(""),
            "user_role" => &e.user_role,
            "unit" => &e.unit,
            "patient_id" => &e.patient_id,
            "information_type" => &e.information_type,
            "basis_reason" => e.basis_reason.as_deref().unwrap_or("").trim(),
            _ => e.disclosed_to.as_deref().unwrap_or("").trim(),
        };
        problems.extend(f.check(value));
    }
    if OrgNumber::parse(&e.org_number).is_err() {
        problems.push(Problem::new("org_number", ProblemKey::OrgNumber, "must be a valid 9-digit organisation number"));
    }
    let reason = e.basis_reason.as_deref().map(str::trim).unwrap_or("");
    if matches!(e.basis, Basis::BreakGlass | Basis::Other) && reason.is_empty() {
        problems.push(Problem::new(
            "basis_reason",
            ProblemKey::BasisReasonRequired,
            "is required when the basis is break_glass or other",
        ));
    }
    let disclosed = e.disclosed_to.as_deref().map(str::trim).unwrap_or("");
    match (e.action == AccessAction::Disclose, disclosed.is_empty()) {
        (true, true) => problems.push(Problem::new(
            "disclosed_to",
            ProblemKey::DisclosedRequired,
            "is required when the action is disclose",
        )),
        (false, false) => {
            problems.push(Problem::new("disclosed_to", ProblemKey::DisclosedOnly, "is only for the action disclose"))
        }
        _ => {}
    }
    if let Some(c) = &e.cross_org {
        if OrgNumber::parse(&c.source_org_number).is_err() {
            problems.push(Problem::new(
                "cross_org.source_org_number",
                ProblemKey::OrgNumber,
                "must be a valid 9-digit organisation number",
            ));
        }
        problems.extend(Field { name: "cross_org.reason", ..CROSS_ORG_REASON }.check(&c.reason));
        match (parse_time(&c.period_from), parse_time(&c.period_to)) {
            (Some(from), Some(to)) if from <= to => {}
            (Some(_), Some(_)) => {
                problems.push(Problem::new("cross_org.period_to", ProblemKey::PeriodOrder, "is before period_from"))
            }
            _ => problems.push(Problem::new(
                "cross_org.period_from",
                ProblemKey::PeriodTimes,
                "period_from and period_to must be RFC 3339 times",
            )),
        }
    }
    problems
}

/// The bytes of an event as they enter the log: the 16-byte salt followed by the event's
/// RFC 8785 (JCS) canonical JSON. The salt keeps a published leaf hash from revealing
/// low-entropy content (a patient id, a time) to anyone who guesses it.
pub fn canonical_bytes(e: &AccessEvent, salt: &[u8; 16]) -> Vec<u8> {
    let mut out = salt.to_vec();
    out.extend(jcs(e));
    out
}

/// RFC 8785 canonical JSON of an event. serde_json writes strings exactly as JCS requires
/// (minimal escapes, lower-case \u00XX); the fields come in the byte order of their names
/// (declared so), which for these ASCII keys is JCS's UTF-16 order; every number here is an
/// integer.
pub fn jcs(e: &AccessEvent) -> Vec<u8> {
    serde_json::to_vec(e).unwrap_or_default()
}

/// The fields a patient's insight withholds (Normen 4.2.1 asks for who, what, when and, between
/// enterprises, why and when — not the health worker's own identity number, nor free text that
/// may name others): the health worker's national identity number and the free-text reason for
/// the basis. Each is logged sealed: the hashed event holds a commitment to it, so an insight
/// can show the rest of the event with its proof while the value stays out of it.
pub const SEALED_FIELDS: &[&str] = &["basis_reason", "user_national_id"];

/// A sealed field's value and the random key its commitment was made with: stored beside the
/// event, never in an insight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// Base64 of the 16-byte key.
    pub key: String,
    pub value: String,
}

/// The openings of an event's sealed fields, by field.
pub type Openings = BTreeMap<String, Opening>;

/// A commitment to `value` as field `field`: base64 of SHA-256(key ‖ field ‖ 0x00 ‖ value). The
/// key is random and kept from readers of the insight, so a short value (an identity number)
/// cannot be found by trying them all.
pub fn commitment(key: &[u8; 16], field: &str, value: &str) -> String {
    let digest = Sha256::new().chain_update(key).chain_update(field).chain_update([0u8]).chain_update(value).finalize();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Seals the event's [`SEALED_FIELDS`] that it has, with one key each from `keys`: their values
/// leave the event for the openings returned, their commitments take their place.
pub fn seal(e: &mut AccessEvent, keys: [[u8; 16]; 2]) -> Openings {
    let mut openings = Openings::new();
    for (field, key) in SEALED_FIELDS.iter().zip(keys) {
        let slot = match *field {
            "basis_reason" => &mut e.basis_reason,
            _ => &mut e.user_national_id,
        };
        if let Some(value) = slot.take() {
            e.sealed.insert(field.to_string(), commitment(&key, field, &value));
            let key = base64::engine::general_purpose::STANDARD.encode(key);
            openings.insert(field.to_string(), Opening { key, value });
        }
    }
    openings
}

/// The event with its sealed fields opened: every commitment matched by its opening and every
/// opening by a commitment, or the first field that does not.
pub fn unseal(e: &mut AccessEvent, openings: &Openings) -> Result<(), String> {
    if let Some(stray) = openings.keys().find(|f| !e.sealed.contains_key(*f)) {
        return Err(format!("{stray}: a value is stored beside the event that it does not commit to"));
    }
    for (field, sealed) in std::mem::take(&mut e.sealed) {
        let opening = openings.get(&field).ok_or_else(|| format!("{field}: the sealed value is missing"))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(&opening.key)
            .ok()
            .and_then(|k| <[u8; 16]>::try_from(k).ok())
            .ok_or_else(|| format!("{field}: the stored key is malformed"))?;
        if commitment(&key, &field, &opening.value) != sealed {
            return Err(format!("{field}: the stored value does not match the event's commitment"));
        }
        match field.as_str() {
            "basis_reason" => e.basis_reason = Some(opening.value.clone()),
            "user_national_id" => e.user_national_id = Some(opening.value.clone()),
            other => return Err(format!("{other}: not a field normverk seals")),
        }
    }
    Ok(())
}

/// The log's own record that an organisation's expired events were retired (their payloads
/// deleted; their leaves, tiles and proofs stay): which, by how many and a digest of their log
/// indexes, so that `log verify` can tell a retired event from a deleted one. It is a leaf of
/// the log like any event, in the organisation's view; its JSON is `{"retirement": {…}}`.
/// Fields are declared in the byte order of their names, as in [`AccessEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// Events that occurred before this time (RFC 3339) were retired.
    pub before: String,
    pub count: u64,
    /// `sha256:` and the hex SHA-256 of the retired log indexes, ascending, each as 8 bytes
    /// big-endian.
    pub digest: String,
    pub first_index: u64,
    /// The organisation's retention when they were retired: `before` is `retired_at` less
    /// this many days.
    pub keep_days: u64,
    pub last_index: u64,
    pub org_number: String,
    /// RFC 3339.
    pub retired_at: String,
}

/// A retirement as its leaf's JSON holds it, signed with the log's key over
/// [`Retirement::signed_text`], so that nobody without the key (a database administrator
/// included) can make the deletion of events pass for a retirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetirementEntry {
    pub retirement: Retirement,
    /// The base64 of the signing key's 4-byte ID and the Ed25519 signature, as in a signed
    /// note's signature line.
    pub signature: String,
}

impl Retirement {
    /// The text the log key signs for a retirement: a line naming what it is, then the
    /// retirement's canonical JSON on one line.
    pub fn signed_text(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("normverk access-log retirement\n{json}\n")
    }
}

/// How a retirement's JSON opens: no access event's does.
pub const RETIREMENT_PREFIX: &str = "{\"retirement\":";

impl RetirementEntry {
    /// RFC 8785 canonical JSON (see [`jcs`]).
    pub fn jcs(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The retirement a leaf's JSON holds, if it holds one.
    pub fn of(json: &str) -> Option<RetirementEntry> {
        json.starts_with(RETIREMENT_PREFIX).then(|| serde_json::from_str(json).ok()).flatten()
    }
}

/// The salt as stored beside the leaf, base64.
pub fn salt_text(salt: &[u8; 16]) -> String {
    base64::engine::general_purpose::STANDARD.encode(salt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn event() -> AccessEvent {
        serde_json::from_str(
            r#"{"occurred_at":"2026-11-24T08:15:00+01:00","duration_s":42,"user_id":"hpr:9144897","user_name":"Kari Lege",
                "user_role":"lege","org_number":"974760673","unit":"Akuttmottak","patient_id":"fnr:15108695088",
                "information_type":"journalnotat","action":"read","basis":"care_relation"}"#,
        )
        .unwrap()
    }

    // 2027-01-15, after the events below.
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_complete_event_passes() {
        assert_eq!(check_event(&event(), NOW), vec![]);
    }

    #[test]
    fn missing_unknown_and_wrong_fields_are_refused() {
        let unknown = r#"{"occurred_at":"x","duration_s":1,"colour":"red"}"#;
        assert!(serde_json::from_str::<AccessEvent>(unknown).unwrap_err().to_string().contains("unknown field"));
        let missing = r#"{"occurred_at":"2026-11-24T08:15:00Z"}"#;
        assert!(serde_json::from_str::<AccessEvent>(missing).unwrap_err().to_string().contains("missing field"));
        let wrong_type = r#"{"occurred_at":"2026-11-24T08:15:00Z","duration_s":"long"}"#;
        assert!(serde_json::from_str::<AccessEvent>(wrong_type).is_err());

        let mut e = event();
        e.basis = Basis::BreakGlass;
        e.occurred_at = "2099-01-01T00:00:00Z".into();
        e.org_number = "974760674".into();
        e.user_id = "  ".into();
        e.action = AccessAction::Disclose;
        let fields: Vec<&str> = check_event(&e, NOW).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["occurred_at", "user_id", "org_number", "basis_reason", "disclosed_to"]);
        e.occurred_at = "24.11.2026 08:15".into();
        assert!(check_event(&e, NOW).iter().any(|p| p.field == "occurred_at" && p.message.contains("RFC 3339")));
    }

    #[test]
    fn identifiers_are_checked_and_stored_in_one_form() {
        let id = |raw: &str, whose| identifier("patient_id", raw, whose);
        assert_eq!(id("fnr:15108695088", Whose::Patient), Ok("fnr:15108695088".into()));
        assert_eq!(id(" FNR:151086 95088 ", Whose::Patient), Ok("fnr:15108695088".into()), "one form");
        let tenor = fnr::tenor(7);
        assert_eq!(id(&format!("fnr:{tenor}"), Whose::Patient), Ok(format!("fnr:{tenor}")), "synthetic");
        // A D-number (day + 40) sent as fnr: is stored as the D-number it is.
        assert_eq!(id("fnr:55108695071", Whose::Patient), Ok("dnr:55108695071".into()));
        for (raw, key) in [
            ("15108695088", ProblemKey::IdNamespace),
            ("pnr:15108695088", ProblemKey::IdNamespace),
            ("fnr:15108695089", ProblemKey::IdCheckDigit),
            ("fnr:1234", ProblemKey::IdInvalid),
            ("hpr:9144897", ProblemKey::IdNamespace),
            ("local:", ProblemKey::IdInvalid),
        ] {
            assert_eq!(id(raw, Whose::Patient).map_err(|p| p.key), Err(key), "{raw}");
        }
        assert_eq!(id("hpr:009144897", Whose::User), Ok("hpr:9144897".into()));
        assert_eq!(id("hpr:91a", Whose::User).map_err(|p| p.key), Err(ProblemKey::IdInvalid));
        assert_eq!(id("local:dips:ux34234234", Whose::User), Ok("local:dips:ux34234234".into()));
        let mut e = event();
        e.patient_id = "FNR:15108695088".into();
        e.user_id = "hpr:09144897".into();
        assert_eq!(accept(&mut e, NOW), vec![]);
        assert_eq!((e.patient_id.as_str(), e.user_id.as_str()), ("fnr:15108695088", "hpr:9144897"));
        // Check digits that fail: the access is kept, under the number as sent, and flagged.
        e.patient_id = "fnr:05076600324".into();
        assert_eq!(accept(&mut e, NOW), vec![]);
        assert_eq!(e.patient_id, "fnr:05076600324");
        assert_eq!(e.id_warnings.len(), 1, "{:?}", e.id_warnings);
        assert!(e.id_warnings[0].starts_with("patient_id: the check digits"), "{:?}", e.id_warnings);
        e.patient_id = "fnr:15108695088".into();
        assert_eq!(accept(&mut e, NOW), vec![]);
        assert!(e.id_warnings.is_empty(), "recomputed, never taken from the sender");
    }

    #[test]
    fn cross_enterprise_access_needs_its_details() {
        let mut e = event();
        e.cross_org = Some(CrossOrg {
            source_org_number: "983544622".into(),
            reason: "Pasienten ble overført".into(),
            period_from: "2026-11-01T00:00:00Z".into(),
            period_to: "2026-11-20T00:00:00Z".into(),
        });
        assert!(check_event(&e, NOW).is_empty());
        if let Some(c) = e.cross_org.as_mut() {
            c.period_to = "2026-10-01T00:00:00Z".into();
            c.reason = String::new();
        }
        let fields: Vec<&str> = check_event(&e, NOW).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["cross_org.reason", "cross_org.period_to"]);
    }

    #[test]
    fn sealed_fields_leave_the_hashed_event_and_open_only_with_their_own_values() {
        let mut e = event();
        e.basis = Basis::BreakGlass;
        e.basis_reason = Some("Bevisstløs pasient".into());
        e.user_national_id = Some("fnr:13116900216".into());
        let clear = e.clone();
        let openings = seal(&mut e, [[1u8; 16], [2u8; 16]]);
        let json = String::from_utf8(jcs(&e)).unwrap();
        assert!(!json.contains("Bevisstløs") && !json.contains("13116900216"), "{json}");
        assert!(json.contains(r#""patient_id":"fnr:15108695088","sealed":{"basis_reason":""#), "in key order: {json}");
        let mut opened: AccessEvent = serde_json::from_str(&json).unwrap();
        unseal(&mut opened, &openings).unwrap();
        assert_eq!(opened, clear);

        let mut wrong = openings.clone();
        wrong.get_mut("basis_reason").unwrap().value = "Våken pasient".into();
        let parsed: AccessEvent = serde_json::from_str(&json).unwrap();
        assert!(unseal(&mut parsed.clone(), &wrong).unwrap_err().starts_with("basis_reason"));
        let mut missing = openings.clone();
        missing.remove("user_national_id");
        assert!(unseal(&mut parsed.clone(), &missing).unwrap_err().contains("missing"));
        let mut plain = event();
        assert!(unseal(&mut plain, &openings).unwrap_err().contains("does not commit"));
        // Another key, another commitment: the value cannot be found by trying numbers.
        assert_ne!(commitment(&[1u8; 16], "user_national_id", "x"), commitment(&[3u8; 16], "user_national_id", "x"));
        assert_ne!(commitment(&[1u8; 16], "basis_reason", "x"), commitment(&[1u8; 16], "user_national_id", "x"));
    }

    #[test]
    fn canonical_bytes_are_jcs_with_the_salt_in_front() {
        let e = event();
        let bytes = jcs(&e);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\"action\":\"read\",\"basis\":\"care_relation\",\"duration_s\":42,"), "{text}");
        assert!(!text.contains(' ') || text.contains("Kari Lege"), "no insignificant whitespace");
        assert!(!text.contains("basis_reason"), "absent optional fields are left out");
        // Field order in the input does not matter.
        let reordered: AccessEvent = serde_json::from_str(
            r#"{"basis":"care_relation","action":"read","information_type":"journalnotat","patient_id":"fnr:15108695088",
                "unit":"Akuttmottak","org_number":"974760673","user_role":"lege","user_name":"Kari Lege","user_id":"hpr:9144897",
                "duration_s":42,"occurred_at":"2026-11-24T08:15:00+01:00"}"#,
        )
        .unwrap();
        assert_eq!(jcs(&reordered), bytes);
        // Every field set: the same bytes as a map with sorted keys (serde_json's Value).
        let mut full = event();
        full.basis_reason = Some("akutt".into());
        full.disclosed_to = Some("Helse Vest".into());
        full.cross_org = Some(CrossOrg {
            period_from: "2026-01-01T00:00:00Z".into(),
            period_to: "2026-02-01T00:00:00Z".into(),
            reason: "overføring".into(),
            source_org_number: "983974899".into(),
        });
        let sorted = serde_json::to_vec(&serde_json::to_value(&full).unwrap()).unwrap();
        assert_eq!(String::from_utf8(jcs(&full)).unwrap(), String::from_utf8(sorted).unwrap());
        let mut odd = event();
        odd.user_name = Some("Å\u{1f}\"\\/€".into());
        let odd_text = String::from_utf8(jcs(&odd)).unwrap();
        assert!(odd_text.contains(r#""user_name":"Å\u001f\"\\/€""#), "{odd_text}");
        let salted = canonical_bytes(&e, &[7u8; 16]);
        assert_eq!(&salted[..16], &[7u8; 16]);
        assert_eq!(&salted[16..], bytes.as_slice());
        assert_ne!(canonical_bytes(&e, &[8u8; 16]), salted);
    }
}
