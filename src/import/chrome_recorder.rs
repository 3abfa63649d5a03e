//! Chrome DevTools Recorder exports (the `@puppeteer/replay` "UserFlow" JSON). This is
//! reprise's native format, so importing is validating with the recording parser (every
//! step type, selector form, `frame`, `target`, `assertedEvents`, timeouts) and writing the
//! recording back in canonical form: the BOM and the trailing `//# recorderSourceMap=` line
//! go, unknown fields go, and what is left is still valid for @puppeteer/replay's parser.

use std::path::Path;

use super::{ImportError, Imported};
use crate::recording::{parse_recording, ErrorLocation, Recording, RecordingError};

/// Cuts the `//# recorderSourceMap=…` lines DevTools appends after the JSON.
pub(crate) fn strip_source_map(text: &str) -> &str {
    let mut body = text.trim_end();
    loop {
        let start = body.rfind('\n').map_or(0, |i| i + 1);
        if start > 0 && body[start..].trim_start().starts_with("//#") {
            body = body[..start].trim_end();
        } else {
            return body;
        }
    }
}

/// Parses a recorder export; `path` is only used in errors.
pub fn import(path: &Path, text: &str) -> Result<Imported, ImportError> {
    let recording = parse(path, text)?;
    Ok(Imported {
        recording: Some(recording),
        ..Imported::default()
    })
}

/// The validated recording, with errors located in the file.
pub fn parse(path: &Path, text: &str) -> Result<Recording, ImportError> {
    parse_recording(text).map_err(|e| from_recording_error(path, e))
}

pub(crate) fn from_recording_error(path: &Path, e: RecordingError) -> ImportError {
    let place = match &e.location {
        ErrorLocation::File => None,
        other => Some(other.to_string()),
    };
    let err = ImportError::new(path, place, e.message.clone());
    match e.hint() {
        Some(h) => err.hint(h),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_map_lines_are_cut() {
        assert_eq!(
            strip_source_map("{\"a\":1}\n//# recorderSourceMap=BCBDB\n"),
            "{\"a\":1}"
        );
        assert_eq!(strip_source_map("{}"), "{}");
    }

    #[test]
    fn errors_name_the_step() {
        let e = import(
            Path::new("r.json"),
            r##"{"title":"t","steps":[{"type":"click","selectors":[["#a"]]}]}"##,
        )
        .expect_err("offsets are required");
        assert_eq!(e.place.as_deref(), Some("step 1 (`click`)"));
        assert!(e.message.contains("offsetX"), "{}", e.message);
    }
}
