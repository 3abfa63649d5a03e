//! The capture snippet (`capture.js`): the page code a team adds to its staging or production
//! app so real sessions become replayable recordings (docs/capture.md). The collector serves
//! it at `GET /v1/capture.js`.
//!
//! It is built, not copied: the replay's page helpers (`page.js`: roles and accessible names
//! as `aria/` selectors resolve them) and the recorder of `reprise record` (`recorder.js`:
//! selector ranking and step capture) run inside the snippet's guard, between its settings
//! (`capture_head.js`) and its network capture and transport (`capture.js`). A step captured
//! on staging is therefore exactly the step `reprise record` writes.

/// The snippet as served: built by `build.rs` from `capture_head.js`, `../browser/page.js`,
/// `recorder.js` and `capture.js`, in that order, without comment lines and indentation.
pub const CAPTURE_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/capture.js"));

#[cfg(test)]
mod tests {
    use super::*;

    /// The size goal of issue 16: under 15 KB gzipped (rrweb's recorder alone is ~24 KB).
    #[test]
    fn the_snippet_is_under_15_kb_gzipped() {
        let gz = gzip_size(CAPTURE_JS.as_bytes());
        assert!(gz < 15 * 1024, "capture.js is {gz} bytes gzipped");
        assert!(CAPTURE_JS.contains("__repriseReplay"), "the replay guard");
        // Every part is in it, in order.
        let at = |needle: &str| {
            CAPTURE_JS
                .find(needle)
                .unwrap_or_else(|| panic!("`{needle}` is not in the snippet"))
        };
        assert!(at("const C = {") < at("window.__reprisePage = {"));
        assert!(at("window.__reprisePage = {") < at("const selectorsOf"));
        assert!(at("const selectorsOf") < at("const ingest"));
    }

    fn gzip_size(bytes: &[u8]) -> usize {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(bytes).expect("gzip");
        gz.finish().expect("gzip").len()
    }
}
