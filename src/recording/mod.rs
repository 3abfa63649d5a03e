//! Loading recorded browser sessions: Chrome DevTools Recorder JSON (the
//! `@puppeteer/replay` "UserFlow" format) plus reprise's optional extensions
//! (`reprise` metadata, step `timestamp`s, `checkpoint` custom steps). This
//! module owns turning a file into a validated [`Recording`] and back, so the
//! replayer and importers share one definition of what a recording is and
//! one set of error messages for what is wrong with it.

mod model;
mod naming;
mod parse;
mod selector;
mod time;
mod write;

pub use model::{
    AssertedEvent, ClickStep, CountOperator, MouseButton, RecordedConsole, Recording, RepriseMeta,
    StartStorage, Step, StepKind,
};
pub use naming::{checkpoint_name, page_label, slug};
pub use parse::{
    load_recording, parse_recording, parse_recording_value, ErrorLocation, RecordingError,
    SUPPORTED_STEP_TYPES,
};
pub use selector::{Selector, SelectorPart};
pub use time::{format_rfc3339_ms, parse_rfc3339_ms};
pub use write::to_recorder_json;
