//! The typed, validated shape of a recording that the rest of reprise works
//! with. It mirrors Chrome DevTools Recorder's `UserFlow` closely enough to
//! write it back losslessly, but with defaults applied and enums instead of
//! strings, so the replayer never re-checks what the parser already checked.

use std::collections::BTreeMap;

use serde::Serialize;

use super::selector::Selector;

/// A whole recorded session, as loaded from one recorder export.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    pub title: String,
    /// Default per-step timeout; `None` means the replayer's own default.
    pub timeout_ms: Option<u64>,
    /// The attribute the recorder preferred when generating CSS selectors;
    /// kept only so importers can write it back.
    pub selector_attribute: Option<String>,
    pub meta: RepriseMeta,
    pub steps: Vec<Step>,
}

/// The optional top-level `"reprise"` object: what reprise needs to replay a
/// session deterministically (clock, randomness, locale) beyond what Chrome
/// records.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepriseMeta {
    /// Epoch milliseconds, already normalised to UTC, so the replayer can pin
    /// the page clock without a date library.
    pub start_time_ms: Option<i64>,
    pub seed: Option<u64>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub tags: Vec<String>,
    pub origin: Option<String>,
    /// Console messages the page logged while it was recorded (rrweb's `rrweb/console@1`
    /// plugin), kept so a report can show them beside the replay's own; replay ignores them.
    pub console: Vec<RecordedConsole>,
    /// The storage and cookies the page started with (`reprise.storage`, written by the
    /// capture assembler): replay sets them on the app's origin before the first document.
    pub storage: Option<StartStorage>,
}

/// `reprise.storage`: the app origin's state when the session started.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartStorage {
    pub local_storage: BTreeMap<String, String>,
    pub session_storage: BTreeMap<String, String>,
    /// `document.cookie` form: `a=1; b=2`.
    pub cookies: String,
}

/// One console message seen while recording.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedConsole {
    /// `log`, `warn`, `error`, … as the console method was named.
    pub level: String,
    /// The arguments as the recorder stringified them.
    pub args: Vec<String>,
    /// Milliseconds since the recording started, when the recorder kept time.
    pub timestamp: Option<u64>,
}

/// One recorded action plus the attributes every recorder step may carry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub kind: StepKind,
    pub timeout_ms: Option<u64>,
    /// Milliseconds since the recording started (reprise extension), used to
    /// reproduce pacing when asked to.
    pub timestamp_ms: Option<u64>,
    /// Child-frame indices from the top document; empty for the main frame.
    pub frame: Vec<u32>,
    /// The page target; `"main"` unless the step acts on a popup.
    pub target: String,
    pub asserted_events: Vec<AssertedEvent>,
    /// Files a `change` step attaches to an `<input type=file>` (reprise extension,
    /// `"reprise": {"files": [...]}`): paths relative to the recording's folder as written,
    /// made absolute by the runner before replay.
    pub files: Vec<String>,
}

impl Step {
    /// Builds a step with the recorder's defaults, so importers and tests do
    /// not have to spell out `target: "main"` and friends.
    pub fn new(kind: StepKind) -> Self {
        Self {
            kind,
            timeout_ms: None,
            timestamp_ms: None,
            frame: Vec::new(),
            target: "main".to_owned(),
            asserted_events: Vec::new(),
            files: Vec::new(),
        }
    }
}

/// A `navigation` event the step is expected to cause; the recorder knows no
/// other event type, so the type itself is not stored.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct AssertedEvent {
    pub url: Option<String>,
    pub title: Option<String>,
}

/// What a step does. Variant names follow the recorder `type`s, except that a
/// `customStep` named `checkpoint` gets its own variant because reprise gives
/// checkpoints meaning (snapshots, comparisons) that other custom steps lack.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum StepKind {
    SetViewport {
        width: u32,
        height: u32,
        device_scale_factor: f64,
        is_mobile: bool,
        has_touch: bool,
        is_landscape: bool,
    },
    Navigate {
        url: String,
    },
    Click(ClickStep),
    DoubleClick(ClickStep),
    Hover {
        selectors: Vec<Selector>,
    },
    Change {
        selectors: Vec<Selector>,
        value: String,
    },
    KeyDown {
        key: String,
    },
    KeyUp {
        key: String,
    },
    Scroll {
        /// Empty means the window itself scrolls.
        selectors: Vec<Selector>,
        x: f64,
        y: f64,
    },
    WaitForElement {
        selectors: Vec<Selector>,
        operator: CountOperator,
        count: u32,
        visible: Option<bool>,
        attributes: BTreeMap<String, String>,
        /// Arbitrary JSON matched against element properties; `Null` when the
        /// recording has none, so "absent" needs no extra `Option`.
        properties: serde_json::Value,
    },
    WaitForExpression {
        expression: String,
    },
    Close,
    EmulateNetworkConditions {
        download: f64,
        upload: f64,
        latency: f64,
    },
    Checkpoint {
        name: Option<String>,
    },
    #[serde(rename = "customStep")]
    Custom {
        name: String,
        parameters: serde_json::Value,
    },
}

impl StepKind {
    /// The recorder `type`, for messages and reports; checkpoints report
    /// `checkpoint` since that is what users think they wrote.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::SetViewport { .. } => "setViewport",
            Self::Navigate { .. } => "navigate",
            Self::Click(_) => "click",
            Self::DoubleClick(_) => "doubleClick",
            Self::Hover { .. } => "hover",
            Self::Change { .. } => "change",
            Self::KeyDown { .. } => "keyDown",
            Self::KeyUp { .. } => "keyUp",
            Self::Scroll { .. } => "scroll",
            Self::WaitForElement { .. } => "waitForElement",
            Self::WaitForExpression { .. } => "waitForExpression",
            Self::Close => "close",
            Self::EmulateNetworkConditions { .. } => "emulateNetworkConditions",
            Self::Checkpoint { .. } => "checkpoint",
            Self::Custom { .. } => "customStep",
        }
    }

    /// Uniform access for code that only cares about targeting (selector
    /// health reports, retries) without matching every variant.
    pub fn selectors(&self) -> &[Selector] {
        match self {
            Self::Click(c) | Self::DoubleClick(c) => &c.selectors,
            Self::Hover { selectors }
            | Self::Change { selectors, .. }
            | Self::Scroll { selectors, .. }
            | Self::WaitForElement { selectors, .. } => selectors,
            _ => &[],
        }
    }
}

/// Shared by `click` and `doubleClick`, which the recorder describes
/// identically.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClickStep {
    pub selectors: Vec<Selector>,
    /// Relative to the element's top-left corner, as recorded.
    pub offset_x: f64,
    pub offset_y: f64,
    pub button: MouseButton,
    /// How long the button stays pressed; `None` means a plain click.
    pub duration_ms: Option<u64>,
    /// `mouse`, `pen` or `touch`; kept as text because CDP takes it as text.
    pub device_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MouseButton {
    #[default]
    Primary,
    Auxiliary,
    Secondary,
    Back,
    Forward,
}

impl MouseButton {
    /// Recorder spelling, used when writing recordings back.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Auxiliary => "auxiliary",
            Self::Secondary => "secondary",
            Self::Back => "back",
            Self::Forward => "forward",
        }
    }

    /// `None` for unknown names so the parser can report the offending step.
    pub fn from_recorder(s: &str) -> Option<Self> {
        Some(match s {
            "primary" => Self::Primary,
            "auxiliary" => Self::Auxiliary,
            "secondary" => Self::Secondary,
            "back" => Self::Back,
            "forward" => Self::Forward,
            _ => return None,
        })
    }
}

/// How `waitForElement` compares the number of matches with `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum CountOperator {
    #[default]
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "==")]
    Exactly,
    #[serde(rename = "<=")]
    AtMost,
}

impl CountOperator {
    /// Keeps the comparison next to the operator so the replayer cannot get
    /// the direction wrong.
    pub fn holds(self, actual: u32, expected: u32) -> bool {
        match self {
            Self::AtLeast => actual >= expected,
            Self::Exactly => actual == expected,
            Self::AtMost => actual <= expected,
        }
    }

    /// Recorder spelling, used in messages and when writing recordings back.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtLeast => ">=",
            Self::Exactly => "==",
            Self::AtMost => "<=",
        }
    }

    /// `None` for unknown operators so the parser can report the step.
    pub fn from_recorder(s: &str) -> Option<Self> {
        Some(match s {
            ">=" => Self::AtLeast,
            "==" => Self::Exactly,
            "<=" => Self::AtMost,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::selector::SelectorPart;
    use super::*;

    #[test]
    fn count_operator_holds() {
        assert!(CountOperator::AtLeast.holds(2, 1));
        assert!(!CountOperator::AtLeast.holds(0, 1));
        assert!(CountOperator::Exactly.holds(1, 1));
        assert!(!CountOperator::Exactly.holds(2, 1));
        assert!(CountOperator::AtMost.holds(0, 1));
        assert!(!CountOperator::AtMost.holds(3, 2));
    }

    #[test]
    fn operator_and_button_spellings_round_trip() {
        for op in [
            CountOperator::AtLeast,
            CountOperator::Exactly,
            CountOperator::AtMost,
        ] {
            assert_eq!(CountOperator::from_recorder(op.as_str()), Some(op));
        }
        for b in [
            MouseButton::Primary,
            MouseButton::Auxiliary,
            MouseButton::Secondary,
            MouseButton::Back,
            MouseButton::Forward,
        ] {
            assert_eq!(MouseButton::from_recorder(b.as_str()), Some(b));
        }
        assert_eq!(CountOperator::from_recorder("!="), None);
    }

    #[test]
    fn type_names_and_selectors() {
        let sel = Selector::from(SelectorPart::parse("#a"));
        let click = StepKind::Click(ClickStep {
            selectors: vec![sel.clone()],
            offset_x: 1.0,
            offset_y: 2.0,
            button: MouseButton::Primary,
            duration_ms: None,
            device_type: None,
        });
        assert_eq!(click.type_name(), "click");
        assert_eq!(click.selectors(), &[sel]);
        let cp = StepKind::Checkpoint { name: None };
        assert_eq!(cp.type_name(), "checkpoint");
        assert!(cp.selectors().is_empty());
        assert_eq!(
            StepKind::Custom {
                name: "x".into(),
                parameters: serde_json::Value::Null
            }
            .type_name(),
            "customStep"
        );
    }

    #[test]
    fn serializes_with_type_tag() {
        let v = serde_json::to_value(Step::new(StepKind::KeyDown { key: "Tab".into() })).unwrap();
        assert_eq!(v["kind"]["type"], "keyDown");
        assert_eq!(v["target"], "main");
    }
}
