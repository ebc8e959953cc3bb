//! The record of processing (protokoll, Normen 3.1 and GDPR art. 30) and the processor's
//! record (Normen 5.7.2.4, GDPR art. 30 (2)): the fields, what each entry still lacks, and the
//! spreadsheet layout it is exported to and imported from. Pure.

use crate::import::RowError;
use crate::problem::{Problem, ProblemKey};
use crate::text::{Field, Lines};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Whether the organisation keeps the entry as controller or as a processor for another.
    ProcessingRole {
        Controller = "controller",
        Processor = "processor",
    }
}

macro_rules! record {
    ($($(#[$meta:meta])* $field:ident = $heading:literal),+ $(,)?) => {
        /// One processing as kept in the protokoll. Coded fields hold codes: `role`
        /// (`controller`, `processor`), `legal_basis` (the letter of art. 6 (1)),
        /// `special_basis` (the letter of art. 9 (2)), `special_categories` (`yes`, `no`) and
        /// `dpia` (the screening's outcome: `required`, `not_required`, `exempt`; before
        /// screening, `done` or `not_done`).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct Record { $($(#[$meta])* pub $field: String),+ }

        /// The fields in spreadsheet order with the heading of the Norwegian template.
        pub const FIELDS: &[(&str, &str)] = &[$((stringify!($field), $heading)),+];

        impl Record {
            pub fn get(&self, field: &str) -> &str {
                match field { $(stringify!($field) => &self.$field,)+ _ => "" }
            }

            pub fn set(&mut self, field: &str, value: String) {
                match field { $(stringify!($field) => self.$field = value,)+ _ => {} }
            }
        }
    };
}

record! {
    /// What the processing is called, unique in the organisation.
    name = "Behandling",
    role = "Rolle",
    /// The controller and its contact details; for a processor's record, the controller on
    /// whose behalf it processes.
    controller = "Behandlingsansvarlig og kontaktinformasjon",
    joint_controllers = "Felles behandlingsansvarlige",
    /// Processors used, and the data processing agreement with each.
    processors = "Databehandlere og databehandleravtaler",
    /// The data protection officer's contact details.
    dpo = "Personvernombud",
    /// The purposes; for a processor's record, the categories of processing.
    purposes = "Formål",
    legal_basis = "Behandlingsgrunnlag (art. 6)",
    special_basis = "Unntak for særlige kategorier (art. 9)",
    /// The supplementary national legal basis, e.g. «pasientjournalloven § 6».
    national_law = "Supplerende rettsgrunnlag",
    data_subjects = "Kategorier av registrerte",
    data_categories = "Kategorier av personopplysninger",
    special_categories = "Særlige kategorier",
    recipients = "Kategorier av mottakere",
    /// Transfers to countries outside the EEA, or «ingen».
    transfers = "Overføring til tredjeland",
    transfer_safeguard = "Grunnlag for overføring",
    retention = "Planlagt sletting",
    security_measures = "Tekniske og organisatoriske tiltak",
    /// The DPIA screening (Normen 3.4, 3.4.1): the criteria that hold, as codes of
    /// [`crate::dpia::Criterion`] (or `none`).
    dpia_criteria = "DPIA-kriterier som er oppfylt",
    /// The law whose general impact assessment exempts the processing (3.4), if any.
    dpia_exemption = "Unntak fra DPIA (regelverk med konsekvensvurdering)",
    /// Why the screening concluded as it did.
    dpia_reasons = "Begrunnelse for DPIA-vurderingen",
    /// The screening's outcome, set from the criteria (`required`, `not_required`, `exempt`);
    /// an entry not screened may still hold an answer given before (`done`, `not_done`).
    dpia = "DPIA",
}

/// The letters of GDPR art. 6 (1) with what each means.
pub const LEGAL_BASES: &[(&str, &str)] = &[
    ("a", "samtykke"),
    ("b", "avtale"),
    ("c", "rettslig forpliktelse"),
    ("d", "vitale interesser"),
    ("e", "allmennhetens interesse eller offentlig myndighet"),
    ("f", "berettiget interesse"),
];

/// The letters of GDPR art. 9 (2) with what each means.
pub const SPECIAL_BASES: &[(&str, &str)] = &[
    ("a", "uttrykkelig samtykke"),
    ("b", "arbeidsrett, trygd og sosial beskyttelse"),
    ("c", "vitale interesser"),
    ("d", "ideell organisasjon"),
    ("e", "offentliggjort av den registrerte"),
    ("f", "rettskrav"),
    ("g", "viktige allmenne interesser"),
    ("h", "helsehjelp, forebyggende medisin og arbeidsmedisin"),
    ("i", "folkehelse"),
    ("j", "arkiv, forskning og statistikk"),
];

/// Coded values in the spreadsheet: (field, code, Norwegian word).
const WORDS: &[(&str, &str, &str)] = &[
    ("role", "controller", "Behandlingsansvarlig"),
    ("role", "processor", "Databehandler"),
    ("special_categories", "yes", "Ja"),
    ("special_categories", "no", "Nei"),
    ("dpia", "required", "Påkrevd"),
    ("dpia", "not_required", "Ikke påkrevd"),
    ("dpia", "exempt", "Unntatt (konsekvensvurdert i regelverket)"),
    ("dpia", "done", "Gjennomført"),
    ("dpia", "not_done", "Ikke gjennomført"),
];

/// The coded fields and their codes (the legal bases are letters).
pub fn codes(field: &str) -> Vec<&'static str> {
    match field {
        "legal_basis" => LEGAL_BASES.iter().map(|(c, _)| *c).collect(),
        "special_basis" => SPECIAL_BASES.iter().map(|(c, _)| *c).collect(),
        _ => WORDS.iter().filter(|(f, _, _)| *f == field).map(|(_, c, _)| *c).collect(),
    }
}

/// A coded value as the spreadsheet shows it: «Databehandler», «6 (1) c – rettslig forpliktelse».
pub fn display(field: &str, code: &str) -> String {
    let basis = |article: &str, list: &[(&str, &str)]| {
        list.iter().find(|(c, _)| *c == code).map(|(c, what)| format!("{article} {c} – {what}"))
    };
    let shown = match field {
        "dpia_criteria" => crate::dpia::parse_criteria(code).ok().map(|found| crate::dpia::words(&found)),
        "legal_basis" => basis("6 (1)", LEGAL_BASES),
        "special_basis" => basis("9 (2)", SPECIAL_BASES),
        _ => WORDS.iter().find(|(f, c, _)| *f == field && *c == code).map(|(_, _, w)| (*w).to_string()),
    };
    shown.unwrap_or_else(|| code.to_string())
}

/// Reads a coded value from what a person typed or the export wrote: the code, the Norwegian
/// word, or for a legal basis the letter in any usual spelling («c», «6(1)(c)», «art. 6 nr. 1
/// bokstav c – rettslig forpliktelse»). Blank stays blank.
pub fn parse_code(field: &'static str, text: &str) -> Result<String, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let allowed = codes(field);
    let found = if field == "legal_basis" || field == "special_basis" {
        let head = text.split(['–', '—']).next().unwrap_or(text).split(" - ").next().unwrap_or(text);
        let last = head.split(|c: char| !c.is_alphanumeric()).rfind(|t| !t.is_empty()).unwrap_or("");
        let letter = last.to_lowercase();
        allowed.iter().find(|c| **c == letter).copied()
    } else {
        let lower = text.to_lowercase();
        WORDS.iter().find(|(f, c, w)| *f == field && (*c == lower || w.to_lowercase() == lower)).map(|(_, c, _)| *c).or(
            match (field, lower.as_str()) {
                ("special_categories", "yes" | "true" | "1") => Some("yes"),
                ("special_categories", "no" | "false" | "0") => Some("no"),
                _ => None,
            },
        )
    };
    found.map(str::to_string).ok_or_else(|| match field {
        "legal_basis" => Problem::new(field, ProblemKey::LegalBasisLetter, "give the letter of GDPR art. 6 (1), a–f"),
        "special_basis" => {
            Problem::new(field, ProblemKey::SpecialBasisLetter, "give the letter of GDPR art. 9 (2), a–j")
        }
        _ => {
            let words = WORDS.iter().filter(|(f, _, _)| *f == field).map(|(_, _, w)| *w).collect::<Vec<_>>().join(", ");
            Problem::new(field, ProblemKey::NotOneOf, format!("one of {words}")).arg("value", text).arg("values", words)
        }
    })
}

/// Free-text fields may be long; names are short.
const MAX_TEXT: usize = 4000;
const MAX_NAME: usize = 200;

/// The rule of a field: the name one line and required, every other field free text.
pub fn text_rule(field: &'static str) -> Field {
    if field == "name" {
        Field::line(field, MAX_NAME)
    } else {
        Field::optional(field, Lines::Many, MAX_TEXT)
    }
}

/// Checks an entry: a name, a role, codes that are codes, sane lengths. What is merely not yet
/// filled in is not an error; [`missing_fields`] lists it.
pub fn check(r: &Record) -> Vec<Problem> {
    let mut p = Vec::new();
    for (field, _) in FIELDS {
        let value = r.get(field);
        if let Some(problem) = text_rule(field).check(value) {
            p.push(problem);
        } else if !codes(field).is_empty() && !value.is_empty() && !codes(field).contains(&value) {
            p.push(
                Problem::new(field, ProblemKey::OneOf, format!("one of {}", codes(field).join(", ")))
                    .arg("values", codes(field).join(", ")),
            );
        }
    }
    if r.role.is_empty() {
        p.push(Problem::new("role", ProblemKey::RoleRequired, "required: controller or processor"));
    }
    if let Err(problem) = crate::dpia::parse_criteria(&r.dpia_criteria) {
        p.push(problem);
    }
    p
}

/// An entry as it is saved: the screening's criteria written as codes in order and its outcome
/// in `dpia`; with the screening cleared, its outcome is cleared too. An entry never screened
/// keeps the answer it had (`done`, `not_done`).
pub fn settle(r: &mut Record) {
    if let Ok(found) = crate::dpia::parse_criteria(&r.dpia_criteria) {
        if !r.dpia_criteria.trim().is_empty() {
            r.dpia_criteria = crate::dpia::write_criteria(&found);
        }
    }
    match crate::dpia::outcome(&r.dpia_criteria, &r.dpia_exemption) {
        Ok(Some(outcome)) => r.dpia = outcome.as_str().to_string(),
        // Screening taken back: its outcome goes with it; an answer from before stays.
        Ok(None) if crate::dpia::Outcome::ALL.iter().any(|o| o.as_str() == r.dpia) => r.dpia.clear(),
        _ => {}
    }
}

/// Whether a transfers field says there are none.
fn no_transfers(text: &str) -> bool {
    matches!(text.trim().to_lowercase().as_str(), "" | "ingen" | "nei" | "none" | "no" | "-" | "–")
}

/// The minimum content Normen 3.1 and GDPR art. 30 ask for that the entry still lacks, as
/// field names. A controller's entry needs all of it; a processor's record (art. 30 (2)) needs
/// the controller, the DPO, the categories of processing, transfers and the security measures.
pub fn missing_fields(r: &Record) -> Vec<&'static str> {
    let processor = r.role == ProcessingRole::Processor.as_str();
    let needed: &[&'static str] = if processor {
        &["controller", "dpo", "purposes", "transfers", "security_measures"]
    } else {
        &[
            "controller",
            "dpo",
            "purposes",
            "legal_basis",
            "data_subjects",
            "data_categories",
            "special_categories",
            "recipients",
            "transfers",
            "retention",
            "security_measures",
            "dpia",
        ]
    };
    let mut missing: Vec<&'static str> = needed.iter().copied().filter(|f| r.get(f).trim().is_empty()).collect();
    if !processor && r.special_categories == "yes" {
        missing.extend(["special_basis", "national_law"].into_iter().filter(|f| r.get(f).trim().is_empty()));
    }
    if !no_transfers(&r.transfers) && r.transfer_safeguard.trim().is_empty() {
        missing.push("transfer_safeguard");
    }
    missing.sort_by_key(|f| FIELDS.iter().position(|(k, _)| k == f));
    missing
}

/// An entry read from a spreadsheet: its row, the record, and the ids of the systems the row
/// named (None when the file has no systems column).
pub type ImportedRow = (usize, Record, Option<Vec<i64>>);

/// The spreadsheet heading of the systems column (system names separated by `;`).
pub const SYSTEMS_HEADING: &str = "Systemer";

/// The spreadsheet headings: every field, then the systems.
pub fn headings() -> Vec<&'static str> {
    FIELDS.iter().map(|(_, h)| *h).chain([SYSTEMS_HEADING]).collect()
}

/// One entry as a spreadsheet row, with its systems' names.
pub fn to_row(r: &Record, systems: &[String]) -> Vec<String> {
    FIELDS
        .iter()
        .map(|(f, _)| if codes(f).is_empty() { r.get(f).to_string() } else { display(f, r.get(f)) })
        .chain([systems.join("; ")])
        .collect()
}

/// Reads entries from spreadsheet rows (the first holds the headings, in the layout
/// [`headings`] gives, by the Norwegian heading or the field name). Every row is checked and
/// every problem listed; names must be unique in the file. Each entry comes with the ids of the
/// systems its row named, looked up in `systems` (lower-case name → id); None when the file has
/// no systems column.
pub fn read_rows(
    table: &[Vec<String>],
    systems: &std::collections::HashMap<String, i64>,
) -> Result<Vec<ImportedRow>, Vec<RowError>> {
    let Some(heading) = table.first() else { return Err(vec![RowError::file(ProblemKey::FileEmpty)]) };
    let columns: Vec<(&'static str, Vec<&str>)> =
        FIELDS.iter().map(|(f, h)| (*f, vec![*h, *f])).chain([("systems", vec![SYSTEMS_HEADING, "systems"])]).collect();
    let columns: Vec<(&'static str, &[&str])> = columns.iter().map(|(f, n)| (*f, n.as_slice())).collect();
    let mapped = crate::import::map_headings(heading, &columns, &["name"])?;
    let heading_of = |f: &str| FIELDS.iter().find(|(k, _)| *k == f).map_or(SYSTEMS_HEADING, |(_, h)| *h);
    let mut errors = Vec::new();
    let mut out: Vec<ImportedRow> = Vec::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        let line = i + 1;
        if crate::import::blank(row) {
            continue;
        }
        errors.extend(crate::import::overflow(row, mapped.len(), line));
        let mut record = Record { role: ProcessingRole::Controller.as_str().into(), ..Record::default() };
        let mut ids = mapped.contains(&Some("systems")).then(Vec::new);
        for (cell, field) in row.iter().zip(&mapped) {
            let Some(field) = field else { continue };
            let value = cell.trim().to_string();
            if *field == "systems" {
                let mut found = Vec::new();
                for name in value.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    match systems.get(&name.to_lowercase()) {
                        Some(id) => found.push(*id),
                        None => errors
                            .push(RowError::new(line, SYSTEMS_HEADING, ProblemKey::NoSuchSystem).arg("name", name)),
                    }
                }
                ids = Some(found);
            } else if codes(field).is_empty() {
                record.set(field, value);
            } else if *field == "role" && value.is_empty() {
                // A blank role is the usual case: the organisation's own processing.
            } else {
                match parse_code(field, &value) {
                    Ok(code) => record.set(field, code),
                    Err(problem) => errors.push(RowError::of(line, heading_of(field), problem)),
                }
            }
        }
        for problem in check(&record) {
            if !errors.iter().any(|e| e.row == line && e.field == heading_of(problem.field)) {
                errors.push(RowError::of(line, heading_of(problem.field), problem));
            }
        }
        let key = record.name.trim().to_lowercase();
        if let Some((first, _, _)) = out.iter().find(|(_, r, _)| r.name.trim().to_lowercase() == key && !key.is_empty())
        {
            errors.push(RowError::new(line, heading_of("name"), ProblemKey::SameAsRow).arg("row", first));
        }
        out.push((line, record, ids));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The fields that differ between two versions.
pub fn changed_fields(before: &Record, after: &Record) -> Vec<&'static str> {
    FIELDS.iter().map(|(f, _)| *f).filter(|f| before.get(f) != after.get(f)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn complete() -> Record {
        Record {
            name: "Pasientbehandling".into(),
            role: "controller".into(),
            controller: "Helse Vest HF, post@helse-vest.no".into(),
            dpo: "personvernombud@helse-vest.no".into(),
            purposes: "Helsehjelp".into(),
            legal_basis: "c".into(),
            special_basis: "h".into(),
            national_law: "pasientjournalloven § 6".into(),
            data_subjects: "Pasienter".into(),
            data_categories: "Helseopplysninger".into(),
            special_categories: "yes".into(),
            recipients: "Fastlege".into(),
            transfers: "Ingen".into(),
            retention: "10 år etter siste innførsel".into(),
            security_measures: "Tilgangsstyring, logg".into(),
            dpia: "done".into(),
            ..Record::default()
        }
    }

    #[test]
    fn a_complete_entry_lacks_nothing_and_each_gap_is_named() {
        assert!(check(&complete()).is_empty());
        assert_eq!(missing_fields(&complete()), Vec::<&str>::new());
        let mut r = complete();
        r.national_law.clear();
        r.dpia.clear();
        r.transfers = "USA (leverandørens støtte)".into();
        assert_eq!(missing_fields(&r), vec!["national_law", "transfer_safeguard", "dpia"]);
        r.special_categories = "no".into();
        assert_eq!(missing_fields(&r), vec!["transfer_safeguard", "dpia"], "no special categories, no art. 9");
        let processor = Record { name: "Drift for Helse Vest".into(), role: "processor".into(), ..Record::default() };
        assert_eq!(missing_fields(&processor), vec!["controller", "dpo", "purposes", "transfers", "security_measures"]);
    }

    #[test]
    fn bad_codes_long_text_and_blank_names_are_refused() {
        let mut r = complete();
        r.legal_basis = "g".into();
        r.role = "owner".into();
        r.name = " ".into();
        r.purposes = "x".repeat(4001);
        let fields: Vec<&str> = check(&r).iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["name", "role", "purposes", "legal_basis"]);
    }

    #[test]
    fn legal_bases_read_in_every_usual_spelling() {
        for text in ["c", "C", "6(1)(c)", "art. 6 nr. 1 bokstav c", "6 (1) c – rettslig forpliktelse", "c - rettslig"]
        {
            assert_eq!(parse_code("legal_basis", text), Ok("c".into()), "{text}");
        }
        assert!(parse_code("legal_basis", "samtykke").is_err());
        assert!(parse_code("legal_basis", "6 (1) h").is_err());
        assert_eq!(parse_code("special_basis", "9 (2) h – helsehjelp"), Ok("h".into()));
        assert_eq!(parse_code("dpia", "ikke påkrevd"), Ok("not_required".into()));
        assert_eq!(parse_code("role", "Databehandler"), Ok("processor".into()));
        assert!(parse_code("special_categories", "kanskje").unwrap_err().message.contains("Ja, Nei"));
    }

    #[test]
    fn export_rows_read_back_to_the_same_entries() {
        let r = complete();
        let heading: Vec<String> = headings().iter().map(|h| h.to_string()).collect();
        let table = vec![heading, to_row(&r, &["EPJ".into(), "Lab".into()])];
        let systems = [("epj".to_string(), 7), ("lab".to_string(), 9)].into_iter().collect();
        let read = read_rows(&table, &systems).unwrap();
        assert_eq!(read, vec![(2, r, Some(vec![7, 9]))]);
        let errors = read_rows(&[table[0].clone(), to_row(&complete(), &["Røntgen".into()])], &systems).unwrap_err();
        assert_eq!((errors[0].row, errors[0].field.as_str()), (2, SYSTEMS_HEADING));
    }

    #[test]
    fn imports_list_every_problem_by_row_and_column() {
        let t = |rows: &[&[&str]]| {
            rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect::<Vec<Vec<String>>>()
        };
        let errors = read_rows(&t(&[&["Formål", "Farge"]]), &Default::default()).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["Farge", "Behandling"]);
        let errors = read_rows(
            &t(&[
                &["Behandling", "Behandlingsgrunnlag (art. 6)", "DPIA"],
                &["Lønn", "b", "Ja"],
                &["", "", ""],
                &["", "c", ""],
                &["lønn", "x", ""],
            ]),
            &Default::default(),
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(
            got,
            vec![(2, "DPIA"), (4, "Behandling"), (5, "Behandlingsgrunnlag (art. 6)"), (5, "Behandling")],
            "{errors:?}"
        );
    }
}
