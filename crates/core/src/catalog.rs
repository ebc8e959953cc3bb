//! The requirement catalogue: Normen as data (sections, assessable requirements, glossary),
//! with search and the linking of defined terms.
//!
//! The catalogue file lives in `catalog/` at the repository root and is embedded in the binary.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;

string_enum! {
    /// "skal"/"må" is `shall`; "bør" is `should`.
    Obligation { Shall = "shall", Should = "should" }
}

string_enum! {
    /// Whom a requirement binds, where the text says.
    Audience {
        Controller = "controller",
        Processor = "processor",
        TopManagement = "top_management",
        Manager = "manager",
        Dpo = "dpo",
        EveryEmployee = "every_employee",
        Supplier = "supplier",
    }
}

string_enum! {
    /// The security properties a requirement protects.
    Tag {
        Confidentiality = "confidentiality",
        Integrity = "integrity",
        Availability = "availability",
        Robustness = "robustness",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// "5.2.1": chapters have one number, sub-sections more.
    pub number: String,
    pub title: String,
    /// The number as printed, where the published text misnumbers the section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed_number: Option<String>,
    /// The reading guide's advice to small organisations, where the foreword gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_org_note: Option<String>,
}

impl Section {
    /// How deep the section sits: 1 for a chapter.
    pub fn depth(&self) -> usize {
        self.number.split('.').count()
    }

    pub fn chapter(&self) -> &str {
        self.number.split('.').next().unwrap_or("")
    }
}

/// One assessable requirement, in the Norm's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable id: the section number and a two-digit sequence, e.g. `5.2.1-04`.
    pub id: String,
    pub section: String,
    pub text: String,
    /// The sentence that introduces the list this requirement is an item of ("Protokollen skal
    /// minimum inneholde:").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_in: Option<String>,
    /// The preceding sentence a requirement leans on ("Dette skal skje …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub obligation: Obligation,
    #[serde(default)]
    pub audience: Vec<Audience>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub themes: Vec<String>,
    /// Numbers of Normen's fact sheets (faktaark) on the subject.
    #[serde(default)]
    pub fact_sheets: Vec<u16>,
    /// GDPR articles the Norm names for this part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gdpr_articles: Vec<u16>,
}

impl Requirement {
    pub fn chapter(&self) -> &str {
        self.section.split('.').next().unwrap_or("")
    }
}

/// A definition from section 6.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// As defined; variants separated by "/" ("autorisere/autorisert/autorisasjon").
    pub term: String,
    pub definition: String,
    /// For cross references: the term this one points to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub see: Option<String>,
}

impl Term {
    /// The forms of the term to look for in running text, lower-cased: each "/" variant, with
    /// and without a parenthesised abbreviation.
    pub fn variants(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in self.term.split('/') {
            let v = v.trim().to_lowercase();
            let bare = match v.find(" (") {
                Some(i) => v[..i].trim().to_string(),
                None => v.clone(),
            };
            for form in [v, bare] {
                if form.chars().count() >= 3 && !out.contains(&form) {
                    out.push(form);
                }
            }
        }
        out
    }

    /// The anchor of the term on the glossary page.
    pub fn anchor(&self) -> String {
        let slug: String =
            self.term.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
        format!("term-{}", slug.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Which norm: "normen".
    pub catalog: String,
    pub version: String,
    pub locale: String,
    pub name: String,
    /// Where the text comes from, as the publisher names it.
    pub source: String,
    pub sections: Vec<Section>,
    pub requirements: Vec<Requirement>,
    pub glossary: Vec<Term>,
}

/// Why a catalogue file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("the catalogue is not valid JSON of the expected shape: {0}")]
    Format(String),
    #[error("requirement id {0} occurs more than once")]
    DuplicateId(String),
    #[error("section {0} occurs more than once")]
    DuplicateSection(String),
    #[error("requirement {id} names section {section}, which the catalogue does not have")]
    UnknownSection { id: String, section: String },
    #[error("requirement {0} has an id that does not start with its section number")]
    IdOutsideSection(String),
}

/// How the requirements of one catalogue version map onto a later one, so that answers carry
/// over where requirements map. A requirement may split into several; several may merge into
/// one, in which case the first listed answer is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// `catalog-version` of the earlier catalogue, e.g. "normen-5.3".
    pub from: String,
    pub to: String,
    pub requirements: Vec<MapEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapEntry {
    pub from: String,
    pub to: Vec<String>,
}

impl Mapping {
    /// Parses a mapping and checks it against the two catalogues it joins.
    pub fn from_json(json: &str, from: &Catalog, to: &Catalog) -> Result<Mapping, CatalogError> {
        let mapping: Mapping = serde_json::from_str(json).map_err(|e| CatalogError::Format(e.to_string()))?;
        if mapping.from != from.key() || mapping.to != to.key() {
            return Err(CatalogError::Format(format!(
                "the mapping joins {} to {}, not {} to {}",
                mapping.from,
                mapping.to,
                from.key(),
                to.key()
            )));
        }
        for entry in &mapping.requirements {
            if from.requirement(&entry.from).is_none() {
                return Err(CatalogError::Format(format!("{} is not a requirement of {}", entry.from, from.key())));
            }
            if let Some(missing) = entry.to.iter().find(|id| to.requirement(id).is_none()) {
                return Err(CatalogError::Format(format!("{missing} is not a requirement of {}", to.key())));
            }
        }
        Ok(mapping)
    }

    /// The answers of the earlier catalogue as answers of the later one, where they map.
    pub fn carry_over<T: Clone>(&self, answers: &[(String, T)]) -> Vec<(String, T)> {
        let mut out: Vec<(String, T)> = Vec::new();
        for entry in &self.requirements {
            let Some((_, answer)) = answers.iter().find(|(id, _)| *id == entry.from) else { continue };
            for target in &entry.to {
                if !out.iter().any(|(id, _)| id == target) {
                    out.push((target.clone(), answer.clone()));
                }
            }
        }
        out
    }
}

/// What to look for in the catalogue. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub query: String,
    pub chapter: Option<String>,
    pub obligation: Option<Obligation>,
    pub audience: Option<Audience>,
    pub tag: Option<Tag>,
}

/// A piece of running text, linked to a glossary term when it is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    pub text: String,
    pub term: Option<&'a Term>,
}

impl Catalog {
    /// Parses and checks a catalogue.
    pub fn from_json(json: &str) -> Result<Catalog, CatalogError> {
        let catalog: Catalog = serde_json::from_str(json).map_err(|e| CatalogError::Format(e.to_string()))?;
        let mut sections = HashSet::new();
        for s in &catalog.sections {
            if !sections.insert(s.number.as_str()) {
                return Err(CatalogError::DuplicateSection(s.number.clone()));
            }
        }
        let mut ids = HashSet::new();
        for r in &catalog.requirements {
            if !ids.insert(r.id.as_str()) {
                return Err(CatalogError::DuplicateId(r.id.clone()));
            }
            if !sections.contains(r.section.as_str()) {
                return Err(CatalogError::UnknownSection { id: r.id.clone(), section: r.section.clone() });
            }
            if !r.id.starts_with(&format!("{}-", r.section)) {
                return Err(CatalogError::IdOutsideSection(r.id.clone()));
            }
        }
        Ok(catalog)
    }

    /// "normen-5.3": the catalogue and its version, as rounds and mappings name it.
    pub fn key(&self) -> String {
        format!("{}-{}", self.catalog, self.version)
    }

    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    pub fn section(&self, number: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.number == number)
    }

    /// The chapters (top-level sections), in order.
    pub fn chapters(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(|s| s.depth() == 1)
    }

    /// A section and its ancestors, outermost first: 5 › 5.2 › 5.2.1.
    pub fn section_path(&self, number: &str) -> Vec<&Section> {
        let parts: Vec<&str> = number.split('.').collect();
        (1..=parts.len()).filter_map(|n| self.section(&parts[..n].join("."))).collect()
    }

    /// The requirements of one section, in order.
    pub fn requirements_in<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a Requirement> {
        self.requirements.iter().filter(move |r| r.section == section)
    }

    /// The advice for small organisations that applies to a section: its own, or the nearest
    /// ancestor's.
    pub fn small_org_note(&self, section: &str) -> Option<&str> {
        self.section_path(section).into_iter().rev().find_map(|s| s.small_org_note.as_deref())
    }

    /// Requirements matching the filter, in catalogue order. Every word of the query must occur
    /// in the requirement (its text, list lead-in, context, section title or id); words match
    /// inside compounds, so "tilgang" finds "tilgangsstyring", and common Norwegian endings are
    /// ignored, so "tilganger" does too.
    pub fn search(&self, filter: &Filter) -> Vec<&Requirement> {
        let words: Vec<String> = filter.query.split_whitespace().map(search_stem).filter(|w| !w.is_empty()).collect();
        self.requirements
            .iter()
            .filter(|r| filter.chapter.as_deref().is_none_or(|c| r.chapter() == c))
            .filter(|r| filter.obligation.is_none_or(|o| r.obligation == o))
            .filter(|r| filter.audience.is_none_or(|a| r.audience.contains(&a)))
            .filter(|r| filter.tag.is_none_or(|t| r.tags.contains(&t)))
            .filter(|r| {
                if words.is_empty() {
                    return true;
                }
                let title = self.section(&r.section).map_or("", |s| s.title.as_str());
                let haystack = fold(&format!(
                    "{} {} {} {} {}",
                    r.id,
                    r.text,
                    r.lead_in.as_deref().unwrap_or(""),
                    r.context.as_deref().unwrap_or(""),
                    title
                ));
                words.iter().all(|w| haystack.contains(w.as_str()))
            })
            .collect()
    }

    /// Splits `text` into pieces, linking the first occurrence of each defined term. Longer
    /// terms win over shorter ones they contain; a term matches at the start of a word and may
    /// carry an inflection ("autorisasjonen").
    pub fn link_terms<'a>(&'a self, text: &str) -> Vec<Segment<'a>> {
        let lower = text.to_lowercase();
        // Lower-casing keeps byte offsets for the letters Norwegian text uses; if it did not,
        // linking is skipped rather than risk cutting a character.
        if lower.len() != text.len() {
            return vec![Segment { text: text.to_string(), term: None }];
        }
        let mut candidates: Vec<(&Term, String)> =
            self.glossary.iter().flat_map(|t| t.variants().into_iter().map(move |v| (t, v))).collect();
        candidates.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        let mut taken: Vec<(usize, usize, &Term)> = Vec::new();
        let mut linked: HashSet<*const Term> = HashSet::new();
        for (term, form) in candidates {
            if linked.contains(&(term as *const Term)) {
                continue;
            }
            let mut from = 0;
            while let Some(pos) = lower[from..].find(&form) {
                let start = from + pos;
                let end = start + form.len();
                let at_word_start = lower[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
                let free = taken.iter().all(|(s, e, _)| end <= *s || start >= *e);
                if at_word_start && free {
                    taken.push((start, end, term));
                    linked.insert(term as *const Term);
                    break;
                }
                from = start + form.len();
            }
        }
        taken.sort_by_key(|(s, _, _)| *s);
        let mut out = Vec::new();
        let mut at = 0;
        for (s, e, term) in taken {
            if s > at {
                out.push(Segment { text: text[at..s].to_string(), term: None });
            }
            out.push(Segment { text: text[s..e].to_string(), term: Some(term) });
            at = e;
        }
        if at < text.len() {
            out.push(Segment { text: text[at..].to_string(), term: None });
        }
        out
    }
}

impl Catalog {
    /// The catalogue as a CISO Assistant library (their YAML library format), so users of that
    /// tool can assess against Normen too. Sections are non-assessable nodes; requirements are
    /// assessable nodes under their section.
    pub fn to_ciso_assistant_yaml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let id = format!("{}-{}", self.catalog, self.version);
        let base = format!("urn:normverk:risk:req_node:{id}");
        let mut out = String::new();
        out.push_str(&format!("urn: urn:normverk:risk:library:{id}\n"));
        out.push_str("locale: nb\n");
        out.push_str(&format!("ref_id: {}\n", q(&id)));
        out.push_str(&format!("name: {}\n", q(&self.name)));
        out.push_str(&format!("description: {}\n", q(&format!("{} ({})", self.name, self.source))));
        out.push_str(&format!("copyright: {}\n", q(&self.source)));
        out.push_str("version: 1\n");
        out.push_str("provider: \"Direktoratet for e-helse\"\n");
        out.push_str("packager: normverk\n");
        out.push_str("objects:\n  framework:\n");
        out.push_str(&format!("    urn: urn:normverk:risk:framework:{id}\n"));
        out.push_str(&format!("    ref_id: {}\n", q(&id)));
        out.push_str(&format!("    name: {}\n", q(&self.name)));
        out.push_str(&format!("    description: {}\n", q(&self.source)));
        out.push_str("    requirement_nodes:\n");
        let parent_of = |number: &str| number.rsplit_once('.').map(|(p, _)| p.to_string());
        for section in &self.sections {
            out.push_str(&format!("    - urn: {base}:{}\n", section.number));
            out.push_str("      assessable: false\n");
            out.push_str(&format!("      depth: {}\n", section.depth()));
            if let Some(parent) = parent_of(&section.number).filter(|p| self.section(p).is_some()) {
                out.push_str(&format!("      parent_urn: {base}:{parent}\n"));
            }
            out.push_str(&format!("      ref_id: {}\n", q(&section.number)));
            out.push_str(&format!("      name: {}\n", q(&section.title)));
            for r in self.requirements_in(&section.number) {
                let text = match &r.lead_in {
                    Some(lead) => format!("{lead} {}", r.text),
                    None => r.text.clone(),
                };
                out.push_str(&format!("    - urn: {base}:{}\n", r.id.to_lowercase()));
                out.push_str("      assessable: true\n");
                out.push_str(&format!("      depth: {}\n", section.depth() + 1));
                out.push_str(&format!("      parent_urn: {base}:{}\n", section.number));
                out.push_str(&format!("      ref_id: {}\n", q(&r.id)));
                out.push_str(&format!("      description: {}\n", q(&text)));
            }
        }
        out
    }
}

/// Lower-case, with the few accented letters Norwegian text borrows folded to plain ones.
fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'á' | 'à' => 'a',
            'ó' | 'ò' | 'ô' => 'o',
            'ü' => 'u',
            c => c,
        })
        .collect()
}

/// A query word without the common Norwegian inflections, so that the plural or definite form
/// finds the base form inside compounds.
fn search_stem(word: &str) -> String {
    let w = fold(word.trim_matches(|c: char| !c.is_alphanumeric()));
    for ending in ["ene", "ane", "ers", "er", "en", "et", "a", "e"] {
        if w.chars().count() > 5 + ending.chars().count() - 1 && w.ends_with(ending) {
            return w[..w.len() - ending.len()].to_string();
        }
    }
    w
}

/// The catalogues this binary ships, oldest first.
pub fn catalogs() -> Vec<&'static Catalog> {
    vec![normen_5_3()]
}

/// The catalogue named by a round: `catalog` and `version`.
pub fn find(catalog: &str, version: &str) -> Option<&'static Catalog> {
    catalogs().into_iter().find(|c| c.catalog == catalog && c.version == version)
}

/// The catalogue this binary ships: Normen v5.3.
pub fn normen_5_3() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        #[allow(clippy::expect_used)]
        // The embedded file is checked by this module's tests; it cannot change at run time.
        Catalog::from_json(include_str!("../../../catalog/normen-5.3.json")).expect("the embedded catalogue is valid")
    })
}

#[cfg(test)]
mod tests;
