//! The integration tests, as one test binary: each `tests/NAME.rs` is a module of it, so the
//! library and its dependencies are linked once instead of once per file (nineteen links of
//! the whole crate were about a minute and a half of every clean CI build). nextest still runs
//! every test in its own process, two at a time; a test's name is `MODULE::TEST`, e.g.
//! `cargo nextest run -E 'test(/^replay::/)'` or `cargo test --test it replay::`.
//!
//! A new test file is `tests/NAME.rs`, declared below with two lines; it reaches the shared
//! helpers with `use crate::support;` (declared once here: a `mod support;` in every file
//! would compile them once per file, and clippy rejects it as `duplicate_mod`). Cargo no longer
//! discovers test files on its own (`autotests = false`): `every_test_file_is_built` fails
//! when one is in neither this list nor a `[[test]]` of Cargo.toml, so none is silently left
//! out. Only a file that cannot share a process image with the others gets its own binary
//! (`tests/fuzz.rs`: it installs a counting global allocator).

mod support;

#[path = "architecture.rs"]
mod architecture;
#[path = "capture.rs"]
mod capture;
#[path = "collect.rs"]
mod collect;
#[path = "config_gate.rs"]
mod config_gate;
#[path = "corpus.rs"]
mod corpus;
#[path = "curate.rs"]
mod curate;
#[path = "determinism.rs"]
mod determinism;
#[path = "diff_images.rs"]
mod diff_images;
#[path = "disk_errors.rs"]
mod disk_errors;
#[path = "grid.rs"]
mod grid;
#[path = "groups.rs"]
mod groups;
#[path = "html_report.rs"]
mod html_report;
#[path = "hygiene.rs"]
mod hygiene;
#[path = "import.rs"]
mod import;
#[path = "junit_schema.rs"]
mod junit_schema;
#[path = "mutations.rs"]
mod mutations;
#[path = "open.rs"]
mod open;
#[path = "privacy.rs"]
mod privacy;
#[path = "record.rs"]
mod record;
#[path = "replay.rs"]
mod replay;
#[path = "report_size.rs"]
mod report_size;
#[path = "review.rs"]
mod review;
#[path = "scale.rs"]
mod scale;
#[path = "steps.rs"]
mod steps;
#[path = "store_pg.rs"]
mod store_pg;

/// Every `tests/*.rs` is built: a module above, or a `[[test]]` target of its own.
#[test]
fn every_test_file_is_built() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = std::fs::read_to_string(root.join("tests/it.rs")).expect("tests/it.rs");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root.join("tests")).expect("tests/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".rs") || name == "it.rs" {
            continue;
        }
        let as_module = this.contains(&format!("#[path = \"{name}\"]"));
        let as_target = manifest.contains(&format!("path = \"tests/{name}\""));
        if !as_module && !as_target {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{{{}}} would never run: add `#[path = \"NAME.rs\"] mod NAME;` to tests/it.rs",
        missing.join(",")
    );
}
