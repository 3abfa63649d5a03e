//! Builds the capture snippet (`record::snippet::CAPTURE_JS`): the page code it is made of,
//! concatenated, without comment lines, blank lines and indentation. Nothing else is
//! rewritten (lines stay lines, so automatic semicolon insertion sees the same code); the
//! sources have no multi-line template literals, which this would change.

use std::path::Path;

const PARTS: [&str; 4] = [
    "src/record/capture_head.js",
    "src/browser/page.js",
    "src/record/recorder.js",
    "src/record/capture.js",
];

fn main() {
    let mut out = String::new();
    for part in PARTS {
        println!("cargo:rerun-if-changed={part}");
        let text = std::fs::read_to_string(part)
            .unwrap_or_else(|e| panic!("cannot read `{part}` for the capture snippet: {e}"));
        for line in text.lines() {
            let t = line.trim();
            if t.is_empty() || t.starts_with("//") {
                continue;
            }
            out.push_str(t);
            out.push('\n');
        }
    }
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&dir).join("capture.js"), out).expect("write the capture snippet");
}
