//! The capture snippet (`capture.js`): the page code a team adds to its staging or production
//! app so real sessions become replayable recordings (docs/capture.md). The collector serves
//! it at `GET /v1/capture.js`. It shares the selector ranking and step capture of
//! `reprise record` (recorder.js) and the accessible-name rules of replay (page.js): the
//! built snippet is those files with the capture transport around them.

/// The snippet as served, built from the recorder's page code and the capture layer.
pub const CAPTURE_JS: &str = "";
