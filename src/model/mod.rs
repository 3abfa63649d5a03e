//! The run model: what a run produces and every later stage reads. The runner builds it, score
//! and baseline read it, reporters render it and the CLI turns it into an exit status. It sits
//! at the bottom of the module order so that producers and consumers share one definition
//! without importing each other.

mod event;
mod outcome;

pub use event::Event;
pub use outcome::*;
