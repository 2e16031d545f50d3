//! The layering of the workspace, checked.
//!
//! `docs/architecture.md` holds the crate map: one row per crate and service
//! naming exactly the workspace crates it may import. This test reads that
//! table and `cargo metadata` and fails when a crate imports one the map does
//! not allow (or the map names one it no longer imports, so the map stays
//! true). It also fails on a circle between the top-level modules of any one
//! crate (`a` uses `crate::b` and `b` uses `crate::a`): the thing many modules
//! use lives below them, the thing that builds them above (STYLE.md 16).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The `| crate | may import |` table under `## Crate map`.
fn map_from_doc() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    let section = doc.split("\n## Crate map").nth(1).expect("a `## Crate map` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut map = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let name = cells[0].trim_matches('`').to_owned();
        let allowed = cells
            .get(1)
            .map(|c| {
                c.split(',')
                    .map(|d| d.trim().trim_matches('`').to_owned())
                    .filter(|d| !d.is_empty() && d != "—")
                    .collect()
            })
            .unwrap_or_default();
        assert!(map.insert(name.clone(), allowed).is_none(), "{name} is in the crate map twice");
    }
    map
}

struct Package {
    name: String,
    src: PathBuf,
    deps: BTreeSet<String>,
}

/// Workspace packages and the workspace crates each imports (normal
/// dependencies only: tests and benches may reach further).
fn workspace() -> Vec<Package> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let packages = meta["packages"].as_array().expect("packages");
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().expect("manifest path"));
            Package {
                name: p["name"].as_str().expect("name").to_owned(),
                src: manifest.parent().expect("package dir").join("src"),
                deps: p["dependencies"]
                    .as_array()
                    .expect("dependencies")
                    .iter()
                    .filter(|d| d["kind"].is_null())
                    .filter_map(|d| d["name"].as_str())
                    .filter(|d| names.contains(d))
                    .map(str::to_owned)
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn crates_import_only_what_the_map_allows() {
    let map = map_from_doc();
    let mut wrong = Vec::new();
    let packages = workspace();
    for p in &packages {
        let Some(allowed) = map.get(&p.name) else {
            wrong.push(format!("{} is not in the crate map", p.name));
            continue;
        };
        for d in p.deps.difference(allowed) {
            wrong.push(format!("{} imports {d}, which the map does not allow", p.name));
        }
        for d in allowed.difference(&p.deps) {
            wrong.push(format!("the map lets {} import {d}, which it does not", p.name));
        }
    }
    for name in map.keys().filter(|n| !packages.iter().any(|p| &p.name == *n)) {
        wrong.push(format!("the map names {name}, which is not a workspace crate"));
    }
    assert!(wrong.is_empty(), "docs/architecture.md `## Crate map` and the manifests disagree:\n{}", wrong.join("\n"));
}

/// The crates the map's "Module circles remain in" line names: each must
/// still have a circle (so the line shrinks as they are layered).
fn circles_remain_in() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    let Some(line) = doc.lines().find(|l| l.starts_with("Module circles remain in")) else { return BTreeSet::new() };
    let list = line.split(':').nth(1).unwrap_or_default();
    list.split(['(', '.'])
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().trim_matches('`').to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn no_crate_has_a_circle_between_its_modules() {
    let remain = circles_remain_in();
    let mut wrong = Vec::new();
    for p in workspace() {
        let circles = circles_in(&module_uses(&p.src));
        if remain.contains(&p.name) {
            if circles.is_empty() {
                wrong.push(format!(
                    "{} has no circle left: take it off the map's \"Module circles remain in\" line",
                    p.name
                ));
            }
            continue;
        }
        for circle in circles {
            wrong.push(format!("{}: {}", p.name, circle.join(" ⇄ ")));
        }
    }
    assert!(wrong.is_empty(), "modules that import each other:\n{}", wrong.join("\n"));
}

/// For each top-level module of a crate (`src/a.rs`, `src/a/**`), the other
/// top-level modules its code names through `crate::` (tests and comments aside).
fn module_uses(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).expect("under src");
        let first = rel.components().next().expect("a component").as_os_str().to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        let file_name = rel.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        if matches!(module.as_str(), "lib" | "main" | "bin")
            || file_name == "tests.rs"
            || file_name.ends_with("_tests.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source file");
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(&text);
        // Doc links name a module without importing it.
        let code: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let named = uses.entry(module.clone()).or_default();
        let top_level_file = rel.components().count() == 1;
        let mut prefixes = vec!["crate::"];
        if top_level_file {
            prefixes.push("super::"); // in src/a.rs, `super` is the crate root
        }
        for prefix in prefixes {
            for used in paths_after(&code, prefix) {
                if used != module {
                    named.insert(used);
                }
            }
        }
    }
    uses
}

/// The first segment of every path starting with `prefix`, including each
/// item of a group (`crate::{a, b::c}` names `a` and `b`).
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut found = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `foo::crate::` or `xcrate::`
        }
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        found.push(ident(&group[j..]));
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found.retain(|f| !f.is_empty() && f != "self" && f.starts_with(|c: char| c.is_lowercase()));
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return files };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Strongly connected groups of more than one module (Tarjan's algorithm).
fn circles_in(uses: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        uses: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.uses.get(v).into_iter().flatten() {
                let Some((w, _)) = self.uses.get_key_value(w.as_str()) else { continue };
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w.as_str()]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w.as_str()) {
                    let low = self.low[v].min(self.index[w.as_str()]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        uses,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in uses.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn the_circle_finder_finds_circles() {
    let uses: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"]), ("e", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
            .collect();
    assert_eq!(circles_in(&uses), vec![vec!["a".to_owned(), "b".into(), "c".into()]]);
    assert_eq!(
        paths_after(
            "use crate::{pool::{Pool, Shared}, link::Ack};\nlet x = crate::clock::now(); Foo::crate::x",
            "crate::"
        ),
        vec!["pool", "link", "clock"]
    );
}
