//! Organisations (virksomheter), their units, and the roles people hold in them.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Why an organisation number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgNumberError {
    #[error("organisation number must be exactly 9 digits, got {0} characters")]
    Length(usize),
    #[error("organisation number may contain only digits")]
    NotDigits,
    #[error("organisation number has a wrong check digit (expected {expected}, got {got})")]
    CheckDigit { expected: u32, got: u32 },
    #[error("organisation number cannot have check digit 10 and is therefore never issued")]
    NeverIssued,
}

/// A Norwegian organisation number (organisasjonsnummer): 9 digits, the last a mod-11 check
/// digit over the first eight with weights 3,2,7,6,5,4,3,2.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrgNumber(String);

impl OrgNumber {
    /// Parses an organisation number. Spaces are allowed between digit groups ("974 760 673").
    pub fn parse(input: &str) -> Result<Self, OrgNumberError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.chars().count() != 9 {
            return Err(OrgNumberError::Length(compact.chars().count()));
        }
        let digits: Vec<u32> =
            compact.chars().map(|c| c.to_digit(10).ok_or(OrgNumberError::NotDigits)).collect::<Result<_, _>>()?;
        const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
        let sum: u32 = WEIGHTS.iter().zip(&digits).map(|(w, d)| w * d).sum();
        let expected = match 11 - sum % 11 {
            11 => 0,
            10 => return Err(OrgNumberError::NeverIssued),
            k => k,
        };
        let got = digits[8];
        if expected != got {
            return Err(OrgNumberError::CheckDigit { expected, got });
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value that is not one of the allowed names of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{value}'; allowed: {}", allowed.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub allowed: Vec<&'static str>,
}

string_enum! {
    /// What kind of organisation this is; decides nothing yet, but reports group by it.
    OrgKind {
        RegionalHealthAuthority = "regional_health_authority",
        HealthTrust = "health_trust",
        Municipality = "municipality",
        GpOffice = "gp_office",
        PrivatePractice = "private_practice",
        PrivateHospital = "private_hospital",
        Pharmacy = "pharmacy",
        Supplier = "supplier",
        Other = "other",
    }
}

string_enum! {
    /// A role a person holds in one organisation. A person may hold several.
    Role {
        Admin = "admin",
        TopManagement = "top_management",
        SecurityLead = "security_lead",
        Dpo = "dpo",
        Manager = "manager",
        Employee = "employee",
        Auditor = "auditor",
    }
}

string_enum! {
    /// What an API token may do. Tokens act for one organisation only, and a token may do
    /// exactly what its scopes name: each API operation names the scope it needs.
    Scope {
        OrgRead = "org:read",
        OrgWrite = "org:write",
        MembersRead = "members:read",
        AssessmentWrite = "assessment:write",
        AccessLogWrite = "access_log:write",
        AccessLogRead = "access_log:read",
        /// A patient portal answering patients' requests for insight into their own accesses.
        AccessLogInsight = "access_log:insight",
        DlpScan = "dlp:scan",
        DeviationWrite = "deviation:write",
        DeviationRead = "deviation:read",
        RiskRead = "risk:read",
        RiskWrite = "risk:write",
        AuthzRead = "authz:read",
        /// An IAM provisioning people and groups by SCIM 2.0 (`/scim/v2`).
        ScimProvision = "scim:provision",
    }
}

/// Something a person or machine may want to do in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the organisation's data.
    Read,
    /// Change the organisation's structure: units.
    ManageStructure,
    /// Add people, change roles, reset passwords, issue API tokens.
    ManageAccess,
    /// Answer the self-assessment.
    Assess,
    /// Start, freeze and import assessment rounds.
    ManageAssessment,
    /// Report accesses to health data into the access log (machines only).
    WriteAccessLog,
    /// Read the access log's events: they are personal data, for those who audit.
    ReadAccessLog,
    /// Check a draft message with the scanner (it keeps only counts).
    ScanMessage,
    /// Change what the scanner looks for: the organisation's own words and allowed phrases.
    ManageScanner,
    /// Report a deviation (everyone), or through the API take its steps.
    ReportDeviation,
    /// See every deviation of the organisation (otherwise: one's own, and a manager's units').
    ReadAllDeviations,
    /// Keep the record of processing (protokoll) and the asset inventory.
    ManageRecords,
    /// Decide who may log accesses for the organisation and how long the access log keeps its
    /// events.
    ManageAccessLog,
    /// Draft risk assessments: prepare, add events, score them, plan measures.
    AssessRisk,
    /// Top management's risk decisions: set the acceptance level, accept a residual risk above
    /// it, approve an assessment.
    DecideRisk,
    /// The data protection officer's advice on a DPIA (Normen 3.4).
    AdviseDpia,
    /// Read the authorization register: who may do what in which system.
    ReadAuthorisations,
    /// Grant and revoke authorisations (for the people of the units one manages; the security
    /// lead for all, by delegation).
    GrantAuthorisations,
    /// Keep the role templates (rollemal) grants start from.
    ManageRoleTemplates,
    /// Start access reviews and set how often the yearly one is due (Normen 5.2.3).
    StartAccessReviews,
}

/// Whether someone holding `roles` may do `action`. Least privilege: only admins manage access;
/// auditors and employees only read; structure is for admins and the security lead.
pub fn role_permits(roles: &[Role], action: Action) -> bool {
    roles.iter().any(|role| match action {
        Action::Read => true,
        Action::ManageStructure => matches!(role, Role::Admin | Role::SecurityLead),
        Action::ManageAccess => matches!(role, Role::Admin),
        Action::Assess => matches!(role, Role::Admin | Role::SecurityLead | Role::Dpo | Role::TopManagement),
        Action::ManageAssessment => matches!(role, Role::Admin | Role::SecurityLead | Role::TopManagement),
        Action::WriteAccessLog => false,
        Action::ReadAccessLog => matches!(role, Role::Admin | Role::SecurityLead | Role::Dpo | Role::Auditor),
        Action::ScanMessage => true,
        Action::ManageScanner => matches!(role, Role::Admin | Role::SecurityLead | Role::Dpo),
        Action::ReportDeviation => true,
        Action::ReadAllDeviations => {
            matches!(role, Role::SecurityLead | Role::Dpo | Role::TopManagement | Role::Auditor)
        }
        Action::ManageRecords => matches!(role, Role::Admin | Role::SecurityLead | Role::Dpo),
        Action::ManageAccessLog => matches!(role, Role::Admin | Role::SecurityLead),
        Action::AssessRisk => matches!(role, Role::SecurityLead | Role::Dpo | Role::TopManagement),
        Action::DecideRisk => matches!(role, Role::TopManagement),
        Action::AdviseDpia => matches!(role, Role::Dpo),
        Action::ReadAuthorisations => matches!(
            role,
            Role::Admin | Role::SecurityLead | Role::Dpo | Role::TopManagement | Role::Auditor | Role::Manager
        ),
        Action::GrantAuthorisations => matches!(role, Role::SecurityLead | Role::Manager),
        Action::ManageRoleTemplates => matches!(role, Role::Admin | Role::SecurityLead),
        Action::StartAccessReviews => matches!(role, Role::SecurityLead | Role::TopManagement),
    })
}

impl Scope {
    /// What the scope allows, in English (the CLI's help and the API's description).
    pub fn allows(self) -> &'static str {
        match self {
            Scope::OrgRead => {
                "read the organisation, its units, systems, protokoll, assets, self-assessment and the catalogue"
            }
            Scope::OrgWrite => {
                "change units, systems, the protokoll and assets, and who may log accesses for the organisation"
            }
            Scope::MembersRead => "read the members: names, e-mail addresses and roles",
            Scope::AssessmentWrite => "answer the self-assessment",
            Scope::AccessLogWrite => "append events to the access log",
            Scope::AccessLogRead => "read the access log's events (personal data, for audit)",
            Scope::AccessLogInsight => {
                "give a patient insight into who accessed their record, with proofs (each request is logged)"
            }
            Scope::DlpScan => "check a message with the scanner (nothing is kept but counts)",
            Scope::DeviationWrite => "report deviations and take their steps",
            Scope::DeviationRead => "read the organisation's deviations",
            Scope::RiskRead => "read the acceptance level, the risk assessments and the risk register",
            Scope::AuthzRead => "read the authorization register: people, their rights per system, the history",
            Scope::ScimProvision => "provision people and groups by SCIM 2.0 from an IAM (Entra ID, Keycloak)",
            Scope::RiskWrite => {
                "start risk assessments and edit their drafts (acceptance and approval stay with management)"
            }
        }
    }
}

/// Parses a comma- or space-separated list of scopes, refusing unknown ones and an empty list.
pub fn parse_scopes(input: &str) -> Result<Vec<Scope>, UnknownValue> {
    let mut scopes: Vec<Scope> = input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(Scope::from_str)
        .collect::<Result<_, _>>()?;
    if scopes.is_empty() {
        return Err(UnknownValue {
            what: "Scope",
            value: String::new(),
            allowed: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        });
    }
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// Checks a name for an organisation, unit or token: trimmed, 1–200 characters, no control
/// characters. Returns the trimmed name.
pub fn clean_name(input: &str) -> Result<String, NameError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().count() > 200 {
        return Err(NameError::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    Ok(name.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than 200 characters")]
    TooLong,
    #[error("name contains control characters")]
    ControlCharacter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_org_numbers() {
        // Brønnøysundregistrene, Helsedirektoratet, Direktoratet for e-helse, NAV.
        for n in ["974760673", "983544622", "915933149", "889640782", "974 760 673"] {
            assert!(OrgNumber::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn invalid_org_numbers_say_why() {
        assert_eq!(OrgNumber::parse("974760674"), Err(OrgNumberError::CheckDigit { expected: 3, got: 4 }));
        assert_eq!(OrgNumber::parse("97476067"), Err(OrgNumberError::Length(8)));
        assert_eq!(OrgNumber::parse(""), Err(OrgNumberError::Length(0)));
        assert_eq!(OrgNumber::parse("97476067a"), Err(OrgNumberError::NotDigits));
        assert_eq!(OrgNumber::parse("9747606٧3"), Err(OrgNumberError::NotDigits));
    }

    #[test]
    fn check_digit_ten_is_never_issued() {
        // 3*1+2*0+... choose digits whose weighted sum mod 11 == 1.
        let found = (0..100_000_000u32).step_by(7919).map(|n| format!("{n:08}")).find(|p| {
            let s: u32 =
                [3, 2, 7, 6, 5, 4, 3, 2].iter().zip(p.chars()).map(|(w, c)| w * c.to_digit(10).unwrap_or(0)).sum();
            s % 11 == 1
        });
        if let Some(prefix) = found {
            for k in 0..10 {
                assert_eq!(OrgNumber::parse(&format!("{prefix}{k}")), Err(OrgNumberError::NeverIssued));
            }
        }
    }

    #[test]
    fn roles_follow_least_privilege() {
        assert!(role_permits(&[Role::Auditor], Action::Read));
        assert!(!role_permits(&[Role::Auditor], Action::ManageStructure));
        assert!(!role_permits(&[Role::Employee, Role::Dpo], Action::ManageAccess));
        assert!(role_permits(&[Role::Employee, Role::Admin], Action::ManageAccess));
        assert!(role_permits(&[Role::SecurityLead], Action::ManageStructure));
        assert!(!role_permits(&[], Action::Read));
    }

    #[test]
    fn scopes_parse_and_refuse_unknown() {
        assert_eq!(parse_scopes("org:write, org:read org:read"), Ok(vec![Scope::OrgRead, Scope::OrgWrite]));
        assert!(parse_scopes("org:delete").is_err());
        assert!(parse_scopes(" , ").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Legekontoret  "), Ok("Legekontoret".into()));
        assert_eq!(clean_name("   "), Err(NameError::Empty));
        assert_eq!(clean_name(&"x".repeat(201)), Err(NameError::TooLong));
        assert_eq!(clean_name("a\u{0}b"), Err(NameError::ControlCharacter));
    }
}
