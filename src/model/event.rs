//! What the runner reports while it works. Reporters consume these; the runner never prints.

use super::{SessionReport, StepReport};

/// What the runner reports while it works.
#[derive(Debug, Clone)]
pub enum Event {
    RunStarted {
        sessions: usize,
        jobs: usize,
    },
    SessionStarted {
        id: String,
    },
    /// A watched replay paused, with the browser open; it resumes on the watch's channel.
    Paused {
        id: String,
        step: usize,
        url: String,
        webdriver: String,
        session: String,
    },
    StepFinished {
        id: String,
        step: StepReport,
    },
    StepStarted {
        id: String,
        step: usize,
        total: usize,
    },
    SessionFinished(Box<SessionReport>),
}
