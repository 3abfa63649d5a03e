//! Keeps the module structure docs/architecture.md describes true: imports run one way
//! (no module uses a module of a higher layer), no two modules or sibling files import each
//! other (nor close a longer cycle), and no source file holds more than 1,000 lines of
//! non-test code. It reads `src/` as text: `crate::…` paths (in `use` lines and inline) name
//! other modules, `super::…` paths name sibling files; code under `#[cfg(test)]` and
//! comments are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may use modules of its own layer or below, never
/// above. A new top-level module must be added here (the test says so), which is the moment
/// to decide where it belongs.
const LAYERS: &[&[&str]] = &[
    // The shared vocabulary and leaf stages: no module of a higher layer.
    &[
        "model",
        "fsutil",
        "excerpt",
        "config",
        "suite",
        "recording",
        "mock",
        "compare",
        "capture",
        "determinism",
        "grouping",
        "profile",
        // the binary's allocator (declared by main.rs)
        "huge_alloc",
    ],
    // Driving a browser, storing snapshots, bringing sessions in, handling personal data.
    &["browser", "baseline", "import", "privacy", "store"],
    // Producing runs and recordings.
    &["runner", "score", "record", "collect", "curate"],
    // Consuming them.
    &["report"],
    // The command line, on top of everything.
    &["cli"],
];

const MAX_NON_TEST_LINES: usize = 1000;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// One source file: its path under `src/` and its code outside tests, without comments.
struct Source {
    rel: PathBuf,
    code: String,
    non_test_lines: usize,
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under src/",
        files.len()
    );
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a readable source file");
            let kept = without_test_items(&text);
            Source {
                rel: p.strip_prefix(&root).expect("under src/").to_path_buf(),
                non_test_lines: kept.len(),
                code: kept
                    .iter()
                    .map(|l| strip_comment(l))
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        })
        .collect()
}

/// The lines of a file outside items marked `#[cfg(test)]` (a test module, or a helper).
fn without_test_items(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "#[cfg(test)]" {
            kept.push(lines[i]);
            i += 1;
            continue;
        }
        // Skip the attribute and the item after it: up to its closing brace, or its `;`.
        let mut depth = 0i64;
        let mut opened = false;
        i += 1;
        while i < lines.len() {
            let code = strip_comment(lines[i]);
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            i += 1;
            if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
                break;
            }
        }
    }
    kept
}

/// A line without its `//` comment; a `//` inside a string literal (a URL) is kept.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut prev = '\0';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_string = !in_string,
            '/' if !in_string && prev == '/' => return &line[..i - 1],
            _ => {}
        }
        prev = if prev == '\\' && c == '\\' { '\0' } else { c };
    }
    line
}

/// The first segment of every path that starts with `prefix` (`crate::`, `super::`),
/// including each item of a `{…}` group.
fn first_segments(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        // `crate::` inside a longer identifier path (`$crate::`, `my_crate::`) is not ours.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out.remove("self");
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level module a file belongs to (`None` for the crate roots).
fn top_module(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Edges that close a cycle in `graph`, as `a → … → a` paths.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            found.push(cycle.join(" → "));
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done, found);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

/// Which top-level modules each module uses.
fn module_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let Some(from) = top_module(&s.rel) else {
            continue;
        };
        let uses = graph.entry(from.clone()).or_default();
        for to in first_segments(&s.code, "crate::") {
            if to != from {
                uses.insert(to);
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer_and_imports_only_its_layer_or_below() {
    let graph = module_graph(&sources());
    let mut problems = Vec::new();
    for (from, uses) in &graph {
        let Some(own) = layer_of(from) else {
            problems.push(format!(
                "`{from}` is in no layer: add it to LAYERS in tests/architecture.rs and docs/architecture.md"
            ));
            continue;
        };
        for to in uses {
            match layer_of(to) {
                Some(l) if l > own => problems.push(format!(
                    "`{from}` (layer {}) imports `{to}` (layer {}), a module above it",
                    own + 1,
                    l + 1
                )),
                Some(_) => {}
                None if graph.contains_key(to) => {}
                None => problems.push(format!("`{from}` imports `{to}`, which is not a module")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_two_modules_import_each_other() {
    let found = cycles(&module_graph(&sources()));
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

/// Within one folder, the files beside `mod.rs` use one another one way only (a parent
/// `mod.rs` and its files may use each other: it declares them, and holds what they share).
#[test]
fn no_two_sibling_files_import_each_other() {
    let sources = sources();
    let mut by_dir: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for s in &sources {
        let stem = s.rel.file_stem().and_then(|x| x.to_str()).unwrap_or("");
        let dir = s.rel.parent().unwrap_or(Path::new("")).to_path_buf();
        if matches!(stem, "mod" | "lib" | "main") || dir.as_os_str().is_empty() {
            continue;
        }
        // Sibling files are reached as `super::name` or by their full path.
        let mut full = String::from("crate::");
        for c in dir.components() {
            full.push_str(c.as_os_str().to_str().unwrap_or(""));
            full.push_str("::");
        }
        let mut uses = first_segments(&s.code, "super::");
        uses.extend(first_segments(&s.code, &full));
        by_dir
            .entry(dir)
            .or_default()
            .insert(stem.to_string(), uses);
    }
    let mut found = Vec::new();
    for (dir, files) in &by_dir {
        let graph: BTreeMap<String, BTreeSet<String>> = files
            .iter()
            .map(|(f, uses)| {
                let siblings = uses
                    .iter()
                    .filter(|u| *u != f && files.contains_key(*u))
                    .cloned()
                    .collect();
                (f.clone(), siblings)
            })
            .collect();
        for c in cycles(&graph) {
            found.push(format!("{}: {c}", dir.display()));
        }
    }
    assert!(
        found.is_empty(),
        "files that import each other:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_source_file_exceeds_the_line_budget() {
    let over: Vec<String> = sources()
        .iter()
        .filter(|s| s.non_test_lines > MAX_NON_TEST_LINES)
        .map(|s| {
            format!(
                "src/{}: {} lines outside tests (at most {MAX_NON_TEST_LINES}): split it by job",
                s.rel.display(),
                s.non_test_lines
            )
        })
        .collect();
    assert!(over.is_empty(), "{}", over.join("\n"));
}

/// The checks above see what they claim to see: a known import, a known cycle, test code.
#[test]
fn the_checks_read_sources_as_intended() {
    let code = "use crate::{model::{A, B}, fsutil};\nlet x = crate::suite::X; // crate::cli\nlet u = \"https://x\"; $crate::no";
    let kept: Vec<&str> = code.lines().map(strip_comment).collect();
    assert_eq!(
        first_segments(&kept.join("\n"), "crate::"),
        ["fsutil", "model", "suite"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() { }\n}\nfn c() {}\n#[cfg(test)]\nuse crate::cli;\n";
    assert_eq!(without_test_items(text), ["fn a() {}", "fn c() {}"]);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&g), ["a → b → a"]);
    let graph = module_graph(&sources());
    assert!(
        graph["runner"].contains("model") && graph["cli"].contains("runner"),
        "{graph:?}"
    );
}
