//! Norwegian bokmål first, English second: Fluent messages embedded from `locales/`.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use normverk_core::org::Role;
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "../../locales",
        fallback_language: "nb",
        // Unicode isolation marks around arguments would end up in HTML attributes and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nb,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Nb, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Nb => "Norsk bokmål",
            Lang::En => "English",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "nb" | "no" | "nn" | "nb-no" | "no-no" | "nn-no" => Some(Lang::Nb),
            c if c == "en" || c.starts_with("en-") => Some(Lang::En),
            _ => None,
        }
    }

    /// The best match for an `Accept-Language` header, by quality; bokmål when nothing matches.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::Nb;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            if let Some(lang) = Lang::from_code(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map_or(Lang::Nb, |(_, lang)| lang)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Nb => fluent_templates::langid!("nb"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The message `key`; the key itself when missing (a test keeps that from happening).
    pub fn t(self, key: &str) -> String {
        LOCALES.try_lookup(&self.id(), key).unwrap_or_else(|| key.to_string())
    }

    /// The message `key` if there is one: optional texts such as a field's hint.
    pub fn t_opt(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.id(), key)
    }

    /// The message `key` with named arguments.
    /// A role's name in this language.
    pub fn role_name(self, role: Role) -> String {
        self.t(&format!("role-{}", role.as_str().replace('_', "-")))
    }

    pub fn t_args(self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone()))).collect();
        LOCALES.try_lookup_with_args(&self.id(), key, &args).unwrap_or_else(|| key.to_string())
    }

    /// A rule's problem (`problem-{key}` with its arguments).
    pub fn problem(self, key: normverk_core::problem::ProblemKey, args: &[(&'static str, String)]) -> String {
        self.t_args(&format!("problem-{}", key.as_str().replace('_', "-")), args)
    }

    /// A Unix time shown as local time in Norway.
    pub fn datetime(self, unix: i64) -> String {
        let Some(zoned) = normverk_app::clock::in_norway(unix) else {
            return String::new();
        };
        match self {
            Lang::Nb => zoned.strftime("%d.%m.%Y kl. %H:%M").to_string(),
            Lang::En => zoned.strftime("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        assert_eq!(Lang::negotiate(None), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de-DE,en;q=0.5,nb;q=0.8")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("en;q=0")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some(";;,,q=")), Lang::Nb);
    }

    #[test]
    fn times_are_shown_in_norwegian_time_across_dst() {
        // 2026-03-29 00:30 UTC is 01:30 CET; 01:30 UTC is 03:30 CEST.
        assert_eq!(Lang::Nb.datetime(1_774_744_200), "29.03.2026 kl. 01:30");
        assert_eq!(Lang::Nb.datetime(1_774_747_800), "29.03.2026 kl. 03:30");
    }

    fn ftl_keys(lang: &str) -> std::collections::BTreeSet<String> {
        let path = format!("{}/../../locales/{lang}/main.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
            .filter(|k| !k.starts_with('#') && !k.is_empty())
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let nb = ftl_keys("nb");
        let en = ftl_keys("en");
        assert!(nb.len() > 100);
        assert_eq!(nb.symmetric_difference(&en).collect::<Vec<_>>(), Vec::<&String>::new());
    }

    /// Every key the templates and views ask for exists, including the ones built from enums.
    #[test]
    fn every_message_used_exists() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut sources = String::new();
        for dir in ["templates", "src/views", "src"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).into_iter().flatten().flatten() {
                if entry.path().is_file() {
                    sources.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
                }
            }
        }
        let mut keys: Vec<String> = Vec::new();
        for opener in [".t(\"", ".ta(\"", ".t_args(\"", "Some(\"", "=> \""] {
            for piece in sources.split(opener).skip(1) {
                let key: String = piece.chars().take_while(|c| *c != '"').collect();
                let looks_like_key =
                    key.contains('-') && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if looks_like_key {
                    keys.push(key);
                }
            }
        }
        use normverk_core::org::{OrgKind, Role, Scope};
        keys.extend(Role::ALL.iter().map(|r| format!("role-{}", r.as_str().replace('_', "-"))));
        keys.extend(OrgKind::ALL.iter().map(|k| format!("org-kind-{}", k.as_str().replace('_', "-"))));
        keys.extend(Scope::ALL.iter().map(|s| format!("scope-{}", s.as_str().replace(':', "-"))));
        keys.extend(
            normverk_core::problem::ProblemKey::ALL.iter().map(|k| format!("problem-{}", k.as_str().replace('_', "-"))),
        );
        use normverk_core::catalog::{Audience, Obligation, Tag};
        keys.extend(Obligation::ALL.iter().map(|o| format!("obligation-{}", o.as_str())));
        keys.extend(Audience::ALL.iter().map(|a| format!("audience-{}", a.as_str().replace('_', "-"))));
        keys.extend(Tag::ALL.iter().map(|t| format!("tag-{}", t.as_str())));
        for e in [
            "400",
            "403",
            "404",
            "413",
            "500",
            "csrf",
            "no-org",
            "evidence-empty",
            "evidence-too-large",
            "evidence-type",
            "evidence-content",
            "evidence-frozen",
        ] {
            keys.push(format!("error-{e}-title"));
            keys.push(format!("error-{e}-message"));
        }
        // What the store refuses is named by `Rejection::key`, shown as `rejection-{key}`.
        let store = std::fs::read_to_string(format!("{root}/../store/src/db.rs")).unwrap_or_default();
        let rejections: Vec<String> = store
            .lines()
            .filter(|l| l.trim_start().starts_with("Rejection::") && l.contains("=> \""))
            .filter_map(|l| l.split("=> \"").nth(1)?.split('"').next().map(|k| format!("rejection-{k}")))
            .collect();
        assert!(rejections.len() >= 20, "found only {} rejections", rejections.len());
        keys.extend(rejections);
        assert!(keys.len() > 100, "found only {} keys", keys.len());
        for lang in Lang::ALL {
            let defined = ftl_keys(lang.code());
            // Error hints name a pair of messages: "<hint>-title" and "<hint>-message".
            let missing: Vec<&String> =
                keys.iter().filter(|k| !defined.contains(*k) && !defined.contains(&format!("{k}-title"))).collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
        }
        // Messages with arguments format completely (no missing variables).
        let text = Lang::Nb.t_args("login-throttled", &[("minutes", "5".into())]);
        assert_eq!(text, "For mange mislykkede forsøk. Vent 5 minutter før du prøver igjen.");
    }
}
