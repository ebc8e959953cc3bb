//! Finds what may not leave by SMS or ordinary e-mail: Norwegian identity numbers, diagnoses as
//! codes or words, prescription content, and department names that reveal a condition (Normen
//! 5.5.4 and its guidance on SMS and e-mail). Pure: no I/O, no clock. It must never panic on any
//! input, and it never keeps or logs the text it scans — that text is the data being protected.
//!
//! Findings carry byte spans in what the caller sent (for a raw e-mail, in the raw message, even
//! through quoted-printable, base64, charsets and HTML), a kind, a severity (`block`: may never be
//! sent; `warn`: should not be sent), a confidence and an explanation in Norwegian.
//!
//! ```
//! use dlp::{Input, Kind, Scanner, Verdict};
//!
//! let scanner = Scanner::default();
//! let text = "Du har time på psykiatrisk poliklinikk 3. mars kl. 10.30. Fnr 15108695088.";
//! let report = scanner.scan(&Input::sms(text)).unwrap();
//! assert_eq!(report.verdict, Verdict::Block);
//! let kinds: Vec<Kind> = report.findings.iter().map(|f| f.kind).collect();
//! assert_eq!(kinds, vec![Kind::Department, Kind::Fnr]);
//! assert_eq!(&text[report.findings[1].start..report.findings[1].end], "15108695088");
//! // A neutral reminder that says the same without what may not be sent:
//! assert_eq!(report.rewrite.as_deref(), Some("Påminnelse: Du har time 3. mars kl. 10.30 hos oss."));
//!
//! // A booking reference that looks like a diagnosis code is not one.
//! let clean = scanner.scan(&Input::sms("Bestilling A70 er klar for henting.")).unwrap();
//! assert_eq!(clean.verdict, Verdict::Clean);
//! ```

mod lexicon;
mod mime;
mod numbers;
mod rewrite;
mod text;

use aho_corasick::{AhoCorasick, MatchKind};
use lexicon::{Entry, Hit, Lexicon, Role};
use numbers::What;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use text::Mapped;

pub use lexicon::LexiconError;
pub use mime::looks_like_message;

/// The largest message the scanner reads, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Rewrites are suggested for messages up to this size: reminders and short letters, not bulk.
pub const MAX_REWRITE_BYTES: usize = 8 * 1024;

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A fødselsnummer, D-, H-, FH- or synthetic number with valid check digits.
    Fnr,
    /// An ICD-10 or ICPC-2 code where the context is diagnostic.
    HealthCode,
    /// A diagnosis, condition, treatment, test result or medicine.
    HealthTerm,
    /// Prescription content: dose, form, strength; or the mention of a prescription.
    Prescription,
    /// A department or clinic whose name reveals a condition.
    Department,
    /// A sender name or number that identifies such a department.
    Sender,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Fnr, Kind::HealthCode, Kind::HealthTerm, Kind::Prescription, Kind::Department, Kind::Sender];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fnr => "fnr",
            Kind::HealthCode => "health_code",
            Kind::HealthTerm => "health_term",
            Kind::Prescription => "prescription",
            Kind::Department => "department",
            Kind::Sender => "sender",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Should not be sent.
    Warn,
    /// May never be sent.
    Block,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Block => "block",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "warn" => Some(Severity::Warn),
            "block" => Some(Severity::Block),
            _ => None,
        }
    }
}

/// The verdict on a whole message: the worst of its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Clean,
    Warn,
    Block,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Warn => "warn",
            Verdict::Block => "block",
        }
    }
}

/// Where in the message a finding is. Offsets are into that field as sent; for a raw e-mail,
/// into the raw message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// An SMS, or a raw message that is not MIME.
    Text,
    Subject,
    Body,
    /// The sender: an SMS sender name or number, an e-mail's From.
    Sender,
    /// An attachment's file name.
    Attachment,
}

/// One thing in the message that should not be sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub part: Part,
    /// Byte offsets, end exclusive.
    pub start: usize,
    pub end: usize,
    /// How sure the scanner is, from 0 to 1.
    pub confidence: f32,
    /// What was found and why it may not be sent, in Norwegian.
    pub explanation: String,
}

/// The scanner's answer for one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Some bytes were not valid text in their charset and were read as U+FFFD.
    pub lossy: bool,
    /// For a blocked SMS or e-mail text (up to [`MAX_REWRITE_BYTES`]): the same message without
    /// what may not be sent.
    pub rewrite: Option<String>,
}

/// A message to scan.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Sms {
        text: &'a str,
        sender: Option<&'a str>,
    },
    Email {
        subject: &'a str,
        body: &'a str,
        html: bool,
        sender: Option<&'a str>,
    },
    /// A raw RFC 5322 message; bytes that do not start with header fields are read as the body.
    RawEmail(&'a [u8]),
    /// Text in UTF-8 that may not be valid: invalid bytes are read as U+FFFD and said so.
    Bytes(&'a [u8]),
}

impl<'a> Input<'a> {
    pub fn sms(text: &'a str) -> Input<'a> {
        Input::Sms { text, sender: None }
    }

    /// The bytes the caller sent, for the size limit.
    fn size(&self) -> usize {
        match self {
            Input::Sms { text, sender } => text.len() + sender.map_or(0, str::len),
            Input::Email { subject, body, sender, .. } => subject.len() + body.len() + sender.map_or(0, str::len),
            Input::RawEmail(bytes) | Input::Bytes(bytes) => bytes.len(),
        }
    }
}

/// An organisation's own word, with its kind and severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Word {
    /// Lower case is matched without regard to case; `*` at an end lets the word go on.
    pub phrase: String,
    pub kind: Kind,
    pub severity: Severity,
}

/// An organisation's settings for the scanner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Words to find besides the built-in lists.
    #[serde(default)]
    pub words: Vec<Word>,
    /// Phrases that are fine to send, such as the clinic's own neutral name: nothing inside one
    /// is reported.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// A different severity for every finding of a kind.
    #[serde(default)]
    pub severities: BTreeMap<Kind, Severity>,
    /// The neutral name a suggested rewrite uses for the sender ("oss" when unset).
    #[serde(default)]
    pub neutral_name: Option<String>,
}

/// Limits on a configuration.
pub const MAX_WORDS: usize = 500;
pub const MAX_ALLOWED: usize = 200;
pub const MAX_PHRASE_CHARS: usize = 100;

/// Why a configuration or message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    TooLarge {
        size: usize,
        limit: usize,
    },
    /// A configuration field, and what is wrong with it.
    Config {
        field: String,
        message: String,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::TooLarge { size, limit } => write!(f, "the message has {size} bytes; the limit is {limit}"),
            Error::Config { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

/// The scanner, compiled for one configuration. Build it once and share it: scanning takes
/// `&self`.
pub struct Scanner {
    lexicon: Lexicon,
    allowed: Option<AhoCorasick>,
    config: Config,
}

impl Default for Scanner {
    fn default() -> Scanner {
        // The built-in lists are tested to compile; an empty configuration adds nothing to them.
        Scanner::new(Config::default()).unwrap_or_else(|_| Scanner {
            lexicon: Lexicon::empty(),
            allowed: None,
            config: Config::default(),
        })
    }
}

fn config_error(field: String, message: impl Into<String>) -> Error {
    Error::Config { field, message: message.into() }
}

fn check_phrase(field: String, phrase: &str) -> Result<(), Error> {
    let n = phrase.trim().chars().count();
    if !(2..=MAX_PHRASE_CHARS).contains(&n) {
        return Err(config_error(field, format!("use 2 to {MAX_PHRASE_CHARS} characters")));
    }
    if phrase.chars().any(char::is_control) {
        return Err(config_error(field, "control characters are not allowed"));
    }
    Ok(())
}

impl Scanner {
    /// A scanner with the built-in lists and `config`. Refuses a configuration with too many
    /// entries, or with a word or phrase that is empty, too long or malformed.
    pub fn new(config: Config) -> Result<Scanner, Error> {
        let builtin = lexicon::builtin().map_err(|e| config_error(format!("lexicon line {}", e.line), e.message))?;
        Scanner::with_entries(builtin, config)
    }

    fn with_entries(mut entries: Vec<Entry>, config: Config) -> Result<Scanner, Error> {
        if config.words.len() > MAX_WORDS {
            return Err(config_error("words".into(), format!("at most {MAX_WORDS} words")));
        }
        if config.allowed.len() > MAX_ALLOWED {
            return Err(config_error("allowed".into(), format!("at most {MAX_ALLOWED} phrases")));
        }
        for (i, w) in config.words.iter().enumerate() {
            check_phrase(format!("words/{i}/phrase"), &w.phrase)?;
            let entry = lexicon::parse_entry(w.phrase.trim(), Role::Finding(w.kind), w.severity, "egen")
                .map_err(|m| config_error(format!("words/{i}/phrase"), m))?;
            entries.push(entry);
        }
        for (i, p) in config.allowed.iter().enumerate() {
            check_phrase(format!("allowed/{i}"), p)?;
        }
        if let Some(name) = &config.neutral_name {
            check_phrase("neutral_name".into(), name)?;
        }
        let lexicon = Lexicon::new(entries).map_err(|m| config_error("words".into(), m))?;
        let allowed = if config.allowed.is_empty() {
            None
        } else {
            let phrases: Vec<String> = config.allowed.iter().flat_map(|p| lexicon_spellings(p.trim())).collect();
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(phrases)
                    .map_err(|e| config_error("allowed".into(), e.to_string()))?,
            )
        };
        Ok(Scanner { lexicon, allowed, config })
    }

    /// The configuration this scanner was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Scans a message. Refuses one over [`MAX_MESSAGE_BYTES`].
    pub fn scan(&self, input: &Input) -> Result<Report, Error> {
        let size = input.size();
        if size > MAX_MESSAGE_BYTES {
            return Err(Error::TooLarge { size, limit: MAX_MESSAGE_BYTES });
        }
        let mut findings = Vec::new();
        let mut lossy = false;
        // The text a rewrite starts from, and its findings.
        let mut main_text: Option<(&str, Vec<Finding>)> = None;
        match *input {
            Input::Sms { text, sender } => {
                let found = self.findings_in(text, Part::Text);
                main_text = Some((text, found.clone()));
                findings.extend(found);
                if let Some(sender) = sender {
                    findings.extend(self.findings_in(sender, Part::Sender));
                }
            }
            Input::Email { subject, body, html, sender } => {
                findings.extend(self.findings_in(subject, Part::Subject));
                if html {
                    let view = Mapped::source(body.as_bytes(), 0).html_text();
                    findings.extend(self.mapped_findings(&view, Part::Body));
                } else {
                    let found = self.findings_in(body, Part::Body);
                    main_text = Some((body, found.clone()));
                    findings.extend(found);
                }
                if let Some(sender) = sender {
                    findings.extend(self.findings_in(sender, Part::Sender));
                }
            }
            Input::RawEmail(bytes) if looks_like_message(bytes) => {
                let (segments, was_lossy) = mime::read(bytes);
                lossy = was_lossy;
                for s in segments {
                    findings.extend(self.mapped_findings(&s.text, s.part));
                }
            }
            Input::RawEmail(bytes) | Input::Bytes(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => {
                    let found = self.findings_in(text, Part::Text);
                    main_text = Some((text, found.clone()));
                    findings.extend(found);
                }
                Err(_) => {
                    let (view, _) = Mapped::source(bytes, 0).to_utf8("utf-8");
                    lossy = true;
                    findings.extend(self.mapped_findings(&view, Part::Text));
                }
            },
        }
        findings.sort_by(|a, b| (a.part, a.start, b.end).cmp(&(b.part, b.start, a.end)));
        let verdict = match findings.iter().map(|f| f.severity).max() {
            None => Verdict::Clean,
            Some(Severity::Warn) => Verdict::Warn,
            Some(Severity::Block) => Verdict::Block,
        };
        let rewrite = match main_text {
            Some((text, found)) if verdict == Verdict::Block && text.len() <= MAX_REWRITE_BYTES => {
                let neutral = self.config.neutral_name.as_deref().unwrap_or("oss");
                rewrite::suggest(text, &found, neutral).filter(|r| {
                    // Offered only when it is itself clear to send.
                    !self.findings_in(r, Part::Text).iter().any(|f| f.severity == Severity::Block)
                })
            }
            _ => None,
        };
        Ok(Report { verdict, findings, lossy, rewrite })
    }

    /// Findings in decoded text, with spans mapped back to the source.
    fn mapped_findings(&self, view: &Mapped, part: Part) -> Vec<Finding> {
        let text = String::from_utf8_lossy(&view.bytes);
        self.findings_in(&text, part)
            .into_iter()
            .map(|mut f| {
                let r = view.source_range(f.start..f.end);
                (f.start, f.end) = (r.start, r.end);
                f
            })
            .collect()
    }

    /// Every finding in `text`, spans in `text`.
    fn findings_in(&self, text: &str, part: Part) -> Vec<Finding> {
        let mut hits = self.lexicon.hits(text);
        hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end), std::cmp::Reverse(h.pattern_len)));
        let mut contexts: Vec<(usize, usize, Role)> = Vec::new();
        let mut findings: Vec<Finding> = Vec::new();
        let mut covered_to = 0;
        for h in &hits {
            let entry = &self.lexicon.entries[h.entry];
            match entry.role {
                // Sorted by start, longest first: a look-alike ("krefter") wins over the entry
                // it contains ("kreft"), and one finding covers a stretch of text.
                Role::Finding(_) | Role::Ignore if h.start < covered_to => {}
                Role::Finding(kind) => {
                    findings.push(term_finding(kind, entry, h, part));
                    covered_to = h.end;
                }
                Role::Ignore => covered_to = h.end,
                role => contexts.push((h.start, h.end, role)),
            }
        }
        let numbers = numbers::scan(text);
        // Both sorted by start, so each number looks only at its neighbourhood.
        let terms: Vec<(usize, usize)> =
            findings.iter().filter(|f| f.kind == Kind::HealthTerm).map(|f| (f.start, f.end)).collect();
        let departments: Vec<(usize, usize)> =
            findings.iter().filter(|f| f.kind == Kind::Department).map(|f| (f.start, f.end)).collect();
        for n in &numbers {
            if let Some(f) = number_finding(n, &contexts, &terms, part) {
                findings.push(f);
            }
        }
        // A phone number beside a department name identifies the department.
        for n in numbers.iter().filter(|n| matches!(n.what, What::Phone)) {
            if near(&departments, n.start, n.end, 120) {
                findings.push(finding(Kind::Sender, Severity::Warn, part, n.start, n.end, 0.7, explain_sender()));
            }
        }
        if part == Part::Sender {
            for f in findings.iter_mut().filter(|f| matches!(f.kind, Kind::Department | Kind::HealthTerm)) {
                f.kind = Kind::Sender;
                f.severity = Severity::Warn;
                f.explanation = explain_sender();
            }
        }
        if let Some(allowed) = &self.allowed {
            // Leftmost-longest matches: sorted and apart.
            let spans: Vec<(usize, usize)> = allowed.find_iter(text).map(|m| (m.start(), m.end())).collect();
            findings.retain(|f| {
                let i = spans.partition_point(|&(s, _)| s <= f.start);
                !(i > 0 && f.end <= spans[i - 1].1)
            });
        }
        for f in &mut findings {
            if let Some(&severity) = self.config.severities.get(&f.kind) {
                f.severity = severity;
            }
        }
        findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        // One finding per stretch of text: a contained one adds nothing.
        let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
        for f in findings {
            if kept.last().is_some_and(|k| f.end <= k.end) {
                continue;
            }
            kept.push(f);
        }
        kept
    }
}

fn lexicon_spellings(p: &str) -> Vec<String> {
    // Both cases of æ, ø, å: the automaton folds ASCII only.
    let lower = p.to_lowercase();
    let upper_first: String = {
        let mut c = lower.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
    };
    let mut v = vec![lower, upper_first, p.to_string(), p.to_uppercase()];
    v.sort();
    v.dedup();
    v
}

fn finding(
    kind: Kind,
    severity: Severity,
    part: Part,
    start: usize,
    end: usize,
    confidence: f32,
    explanation: String,
) -> Finding {
    Finding { kind, severity, part, start, end, confidence, explanation }
}

fn term_finding(kind: Kind, entry: &Entry, h: &Hit, part: Part) -> Finding {
    let confidence = if entry.severity == Severity::Block { 0.9 } else { 0.6 };
    let explanation = match (kind, entry.category.as_str()) {
        (_, "egen") => "Står på virksomhetens egen liste over ord som ikke skal sendes.",
        (Kind::HealthTerm, "diagnose") => {
            "Diagnose eller helsetilstand. Helseopplysninger kan ikke sendes på SMS eller i vanlig e-post."
        }
        (Kind::HealthTerm, "behandling") => {
            "Viser en behandling. Helseopplysninger kan ikke sendes på SMS eller i vanlig e-post."
        }
        (Kind::HealthTerm, "provesvar") => {
            "Prøvesvar eller måleverdi. Helseopplysninger kan ikke sendes på SMS eller i vanlig e-post."
        }
        (Kind::HealthTerm, "legemiddel") => {
            "Legemiddel. Hva en pasient bruker av legemidler kan ikke sendes på SMS eller i vanlig e-post."
        }
        (Kind::HealthTerm, _) => {
            "Undersøkelse som kan si noe om helseforhold. Bør ikke sendes på SMS eller i vanlig e-post."
        }
        (Kind::Prescription, "resept") => {
            "Viser at mottakeren har en resept. Bør ikke sendes; innholdet i resepten kan aldri sendes."
        }
        (Kind::Prescription, _) => {
            "Reseptinformasjon (dosering eller legemiddelform) kan ikke sendes på SMS eller i vanlig e-post."
        }
        (Kind::Department, "avdeling") => {
            "Avdelingsnavnet kan knyttes til diagnose eller helseforhold. Bruk et nøytralt navn på virksomheten."
        }
        (Kind::Department, _) => "Navnet på fagområdet kan si noe om helseforhold. Bør unngås; bruk et nøytralt navn.",
        _ => "Bør ikke sendes på SMS eller i vanlig e-post.",
    };
    finding(kind, entry.severity, part, h.start, h.end, confidence, explanation.to_string())
}

fn explain_sender() -> String {
    "Avsenderen (navn eller telefonnummer) kan identifisere en avdeling som sier noe om helseforhold. \
     Bruk et nøytralt avsendernavn og sentralbordnummer."
        .to_string()
}

/// Whether any of `spans` (sorted by start, apart) comes within `distance` bytes of `start..end`.
fn near(spans: &[(usize, usize)], start: usize, end: usize, distance: usize) -> bool {
    let i = spans.partition_point(|&(_, e)| e + distance <= start);
    spans.get(i).is_some_and(|&(s, _)| s < end + distance)
}

/// The context role nearest to `start..end`: words up to 60 bytes before or 20 after. Contexts
/// are sorted by start, and none is longer than a few hundred bytes.
fn nearest_context(
    contexts: &[(usize, usize, Role)],
    start: usize,
    end: usize,
    roles: &[Role],
) -> Option<(Role, usize)> {
    let lo = contexts.partition_point(|c| c.0 + 1024 < start);
    let hi = contexts.partition_point(|c| c.0 <= end + 20).max(lo);
    contexts[lo..hi]
        .iter()
        .filter(|(_, _, r)| roles.contains(r))
        .filter_map(|&(s, e, r)| {
            if e <= start && start - e <= 60 {
                Some((r, start - e))
            } else if s >= end && s - end <= 20 {
                Some((r, s - end))
            } else {
                None
            }
        })
        .min_by_key(|&(_, d)| d)
}

fn number_finding(
    n: &numbers::NumberHit,
    contexts: &[(usize, usize, Role)],
    terms: &[(usize, usize)],
    part: Part,
) -> Option<Finding> {
    let (start, end) = (n.start, n.end);
    match &n.what {
        What::PersonNumber(p) => {
            let name = match p.kinds.first() {
                Some(fnr::Kind::DNumber) => "D-nummer",
                Some(fnr::Kind::HNumber) => "H-nummer (eller NAVs syntetiske nummer)",
                Some(fnr::Kind::FhNumber) => "FH-nummer",
                Some(fnr::Kind::SyntheticTenor) => "Syntetisk fødselsnummer (Tenor)",
                _ => "Fødselsnummer",
            };
            let only_2032 = !p.rules.contains(&fnr::Rule::Classic);
            let context = nearest_context(contexts, start, end, &[Role::IdentityContext, Role::NumberContext]);
            let account = fnr::check_account_number(&p.digits).is_ok();
            match context {
                Some((Role::NumberContext, _)) if account => None,
                Some((Role::NumberContext, _)) => Some(finding(
                    Kind::Fnr,
                    Severity::Warn,
                    part,
                    start,
                    end,
                    0.4,
                    format!(
                        "{name}? Tallet har gyldige kontrollsifre, men står ved et konto-, KID- eller ordrenummer. \
                         Sjekk at det ikke er et fødselsnummer."
                    ),
                )),
                other => {
                    let confidence = match (other, only_2032) {
                        (Some(_), _) => 0.99,
                        (None, false) => 0.9,
                        (None, true) => 0.7,
                    };
                    Some(finding(
                        Kind::Fnr,
                        Severity::Block,
                        part,
                        start,
                        end,
                        confidence,
                        format!("{name} med gyldige kontrollsifre. Kan ikke sendes på SMS eller i vanlig e-post."),
                    ))
                }
            }
        }
        What::Code { icpc } => {
            let said = nearest_context(contexts, start, end, &[Role::DiagnosticContext]).is_some();
            let beside_term = near(terms, start, end, 50);
            if !said && !beside_term {
                return None;
            }
            let system = if *icpc { "ICD-10 eller ICPC-2" } else { "ICD-10" };
            Some(finding(
                Kind::HealthCode,
                Severity::Block,
                part,
                start,
                end,
                if said { 0.9 } else { 0.75 },
                format!("Diagnosekode ({system}). Diagnoser kan ikke sendes på SMS eller i vanlig e-post."),
            ))
        }
        What::Strength => Some(finding(
            Kind::Prescription,
            Severity::Block,
            part,
            start,
            end,
            0.85,
            "Styrke på et legemiddel er reseptinformasjon og kan ikke sendes på SMS eller i vanlig e-post.".into(),
        )),
        What::LabValue => Some(finding(
            Kind::HealthTerm,
            Severity::Block,
            part,
            start,
            end,
            0.8,
            "Prøvesvar eller måleverdi. Helseopplysninger kan ikke sendes på SMS eller i vanlig e-post.".into(),
        )),
        What::Phone => None,
    }
}
