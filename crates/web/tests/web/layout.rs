//! The layering holds: in `web`, `app`, `store` and `core`, no file imports a file that imports
//! it back, and in `web` the pages (`views`) and the API (`api`) never import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`, by its module path (`views::deviation::show`).
fn modules(dir: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(dir).unwrap().with_extension("");
                let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                found.insert(parts, path);
            }
        }
    }
    found
}

/// Which other files each file names in code (`crate::a::b`, `super::x`), comments left out.
fn imports(modules: &BTreeMap<Vec<String>, PathBuf>) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut edges = BTreeMap::new();
    for (module, path) in modules {
        let code: String = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let mut to = BTreeSet::new();
        // `super::` is the module that declares this one, for `a/b.rs` and `a/b/mod.rs` alike.
        let parent = module[..module.len().saturating_sub(1)].to_vec();
        for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
            for piece in code.split(prefix).skip(1) {
                let names: Vec<String> = piece
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                let mut target = base.clone();
                let mut best = None;
                for n in names {
                    target.push(n);
                    if modules.contains_key(&target) {
                        best = Some(target.clone());
                    }
                }
                // A file's own parents are where it is declared, not imports.
                if let Some(t) = best.filter(|t| t != module && !module.starts_with(t)) {
                    to.insert(t);
                }
            }
        }
        edges.insert(module.clone(), to);
    }
    edges
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["web", "app", "store", "core"] {
        let modules = modules(&root.join(krate).join("src"));
        assert!(modules.len() > 3, "{krate}: found only {} files", modules.len());
        let edges = imports(&modules);
        for (a, targets) in &edges {
            for b in targets {
                assert!(
                    !edges.get(b).is_some_and(|back| back.contains(a)),
                    "{krate}: {} and {} import each other",
                    a.join("::"),
                    b.join("::")
                );
            }
        }
        if krate == "web" {
            for (a, targets) in &edges {
                for b in targets {
                    let crossing = |x: &[String], y: &[String]| {
                        x.first().map(String::as_str) == Some("views") && y.first().map(String::as_str) == Some("api")
                    };
                    assert!(
                        !crossing(a, b) && !crossing(b, a),
                        "web: {} imports {}; views and api share through app or web's own modules",
                        a.join("::"),
                        b.join("::")
                    );
                }
            }
        }
    }
}
