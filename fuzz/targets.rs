//! The fuzz targets: one function per input format reprise reads from users, each taking raw
//! bytes and returning normally for every input. A panic, a hang or an unbounded allocation in
//! one of them is a bug: these formats come from files people export from browsers, proxies and
//! session-replay tools, or write by hand.
//!
//! Shared by the stable harness (`tests/fuzz.rs`, a bounded pass in every test run) and the
//! cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, libFuzzer on nightly, for long local runs), so
//! both exercise exactly the same code. Besides "no panic", a few properties that must hold
//! for any input are asserted: what an importer produced parses again, what the replay loader
//! accepted can be looked up.

#![allow(dead_code)]

use std::path::Path;

use reprise::config::Config;
use reprise::import::har::{import_text, HarOptions};
use reprise::import::rrweb::{import as import_rrweb, RrwebOptions};
use reprise::mock::har::parse_har;
use reprise::mock::matching::{ExchangeIndex, IncomingRequest};
use reprise::privacy::{Format, Ledger, Pseudonymizer};
use reprise::recording::{parse_recording, to_recorder_json};

/// Every target, by the name its corpus folder and cargo-fuzz binary use.
pub const TARGETS: &[&str] = &["recording", "har", "rrweb", "config", "png", "privacy"];

/// Runs the target called `name` on one input.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "recording" => recording(data),
        "har" => har(data),
        "rrweb" => rrweb(data),
        "config" => config(data),
        "png" => png(data),
        "privacy" => privacy(data),
        other => panic!("no fuzz target `{other}`"),
    }
}

/// Chrome DevTools Recorder JSON: the recording parser, the importer that wraps it and the
/// format sniffer. A recording that parses is written back and must parse again, since
/// `reprise import` and `record` write recordings with exactly that writer.
pub fn recording(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = reprise::import::sniff(&text);
    let _ = reprise::import::chrome_recorder::import(Path::new("fuzz.json"), &text);
    if let Ok(rec) = parse_recording(&text) {
        let written = to_recorder_json(&rec).to_string();
        if let Err(e) = parse_recording(&written) {
            panic!("a parsed recording, written back, does not parse: {e}\n{written}");
        }
    }
}

thread_local! {
    /// The folder `_file` bodies are read from: one body, under the name Playwright's
    /// fixture uses, so both a found and a missing body are exercised.
    static HAR_DIR: tempfile::TempDir = {
        let dir = tempfile::tempdir().expect("a temporary folder for the HAR target");
        std::fs::write(dir.path().join("har-sha1-main-response.txt"), b"Hello, world")
            .expect("write the HAR target's body file");
        dir
    };
}

/// HAR: the replay's loader (`mock::har`), the matcher it feeds, and `reprise import`'s HAR
/// importer, with `_file` bodies read from a scratch folder holding one body.
pub fn har(data: &[u8]) {
    HAR_DIR.with(|dir| har_in(data, dir.path()));
}

fn har_in(data: &[u8], base: &Path) {
    if let Ok(exchanges) = reprise::mock::har::parse_har_in(data, Some(base)) {
        let requests: Vec<IncomingRequest> = exchanges
            .iter()
            .take(64)
            .map(|x| IncomingRequest {
                method: x.method.clone(),
                url: x.url.clone(),
                content_type: x.request_mime.clone(),
                body: x.request_body.clone(),
            })
            .collect();
        let index = ExchangeIndex::new(exchanges);
        for req in &requests {
            let _ = index.lookup(req);
        }
    }
    let text = String::from_utf8_lossy(data);
    for opts in [
        HarOptions::default(),
        HarOptions {
            app_origin: Some("http://localhost:8080".into()),
            keep_assets: false,
        },
    ] {
        if let Ok(imported) = import_text(Path::new("fuzz.har"), &text, Some(base), &opts) {
            // What the importer writes, the replay must load.
            let bytes = serde_json::to_vec(&imported.har).unwrap_or_default();
            if let Err((entry, e)) = parse_har(&bytes) {
                panic!("an imported HAR does not load (entry {entry:?}): {e}");
            }
        }
    }
}

/// rrweb event streams (JSON array, `{"events"}`, PostHog JSON and JSONL): the importer plays
/// the stream forward over a rebuilt DOM. Its recording must parse and its HAR must load.
pub fn rrweb(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for opts in [
        RrwebOptions {
            title: "fuzz".into(),
            url: None,
        },
        RrwebOptions {
            title: "fuzz".into(),
            url: Some("http://127.0.0.1:9/app/".into()),
        },
    ] {
        let Ok(imported) = import_rrweb(Path::new("fuzz.json"), &text, &opts) else {
            continue;
        };
        if let Some(rec) = &imported.recording {
            let written = to_recorder_json(rec).to_string();
            if let Err(e) = parse_recording(&written) {
                panic!("an imported rrweb recording does not parse: {e}\n{written}");
            }
        }
        if let Some(har) = &imported.har {
            let bytes = serde_json::to_vec(har).unwrap_or_default();
            if let Err((entry, e)) = parse_har(&bytes) {
                panic!("an rrweb import's HAR does not load (entry {entry:?}): {e}");
            }
        }
    }
}

thread_local! {
    /// One suite folder per thread, its `reprise.toml` rewritten for every input: the config
    /// is fuzzed through `Config::load`, the one entry point every command uses, so whatever
    /// validation it does is fuzzed too.
    static SUITE: tempfile::TempDir = tempfile::tempdir().expect("a temporary folder for the config target");
}

/// `reprise.toml`: loading (TOML, unknown keys, regexes and whatever else `load` checks),
/// then the per-session settings with overrides, globs and tags.
pub fn config(data: &[u8]) {
    SUITE.with(|dir| {
        let path = dir.path().join(reprise::config::CONFIG_FILE);
        std::fs::write(&path, data).expect("write the fuzzed reprise.toml");
        if let Ok(cfg) = Config::load(dir.path()) {
            for (name, tags) in [
                ("checkout", vec!["smoke".to_string()]),
                ("", vec![]),
                ("a*b?c", vec!["".to_string()]),
            ] {
                let _ = cfg.for_session(name, &tags);
            }
            for o in &cfg.overrides {
                for g in &o.sessions {
                    let _ = reprise::config::glob_match(g, g);
                    let _ = reprise::config::glob_match(g, "checkout-guest");
                }
            }
        }
    });
}

/// Largest image (in pixels) the PNG target also compares and encodes: decoding a huge image
/// is what is fuzzed; comparing one is the same loop over more memory.
const COMPARE_MAX_PIXELS: u64 = 1 << 18;

/// Screenshots and baselines: PNG decoding (every colour type, bit depth, interlacing, damaged
/// files); a decoded image is then compared with itself, with a cropped copy (the
/// different-sizes path) and masked, and the diff image encoded and decoded again.
pub fn png(data: &[u8]) {
    use reprise::compare::image::{apply_masks, compare_images, ImageDiffOptions};
    use reprise::compare::png::{decode_png, encode_png};
    let Ok(img) = decode_png(data) else {
        return;
    };
    let (w, h) = img.dimensions();
    if u64::from(w) * u64::from(h) > COMPARE_MAX_PIXELS {
        return;
    }
    let opts = ImageDiffOptions::default();
    let same = compare_images(&img, &img, &opts);
    assert_eq!(same.diff_pixels, 0, "an image differs from itself");
    let cropped = image::imageops::crop_imm(&img, 0, 0, w / 2 + 1, h.saturating_sub(1)).to_image();
    let diff = compare_images(&img, &cropped, &opts);
    assert!(diff.total_pixels >= u64::from(w) * u64::from(h));
    let mut masked = img.clone();
    apply_masks(
        &mut masked,
        &[(w / 3, h / 3, w, 2), (u32::MAX - 1, 0, 5, 5)],
    );
    let _ = compare_images(&img, &masked, &opts);
    let encoded = encode_png(&diff.diff_image).expect("a diff image encodes");
    let back = decode_png(&encoded).expect("an encoded diff image decodes");
    assert_eq!(
        back.as_raw(),
        diff.diff_image.as_raw(),
        "the diff image changed through PNG"
    );
}

/// `reprise scan` / `redact`: the walkers that take a file apart into strings with their
/// context (JSON with headers, cookies, URLs, form and base64 bodies; text line by line), the
/// detectors, and the redaction plan applied back to the text.
pub fn privacy(data: &[u8]) {
    use reprise::config::{PrivacyConfig, PrivacyPattern};
    use reprise::privacy::{Plan, Scanner};
    thread_local! {
        static SCANNER: Scanner = Scanner::new(
            &PrivacyConfig {
                selectors: vec![],
                patterns: vec![PrivacyPattern {
                    name: "customer-id".into(),
                    pattern: r"CUST-\d{6}".into(),
                }],
                fields: vec!["fullName".into(), "address".into()],
                allow: vec!["test@example.com".into()],
                allow_patterns: vec![r"^4111.*".into()],
            },
            &Ledger::default(),
        )
        .expect("the privacy target's scanner");
    }
    let text = String::from_utf8_lossy(data);
    SCANNER.with(|scanner| {
        for format in [Format::Json, Format::Text] {
            // `scan_text` walks the text (`walk::find`) and filters what it found.
            let findings = scanner.scan_text("fuzz", format, &text);
            if findings.is_empty() {
                continue;
            }
            let ps = Pseudonymizer::new(b"reprise fuzz key");
            let plan = Plan::new(&findings, &ps, &scanner.detector);
            let _ = plan.apply(&text);
        }
    });
}
