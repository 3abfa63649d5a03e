//! reprise replays recorded user sessions of a web app in a real browser, answers the app's
//! backend requests from captured payloads, and gates CI on what changed.
//!
//! The pipeline, one module each:
//!
//! ```text
//! recording ──► mock ──► browser (+ determinism) ──► capture ──► compare ──► score
//!   (steps)    (HAR on     (chromedriver + CDP         (DOM text,   (similar,    (fidelity)
//!               wiremock)   interception)               screenshot)  pixelmatch)
//!                  runner ──► model (events, run report) ──► report (terminal, JSON, …) ──► cli
//!                  baseline (snapshots/: approved and pending)
//! ```
//!
//! Imports run one way, from the top layer down: `cli`; `report`; `runner`, `score`,
//! `record`; `browser`, `baseline`, `import`, `privacy`; and at the bottom `model`,
//! `fsutil`, `config`, `suite`, `recording`, `mock`, `compare`, `capture`, `determinism`.
//! docs/architecture.md says what each module owns and where a new feature goes;
//! `tests/architecture.rs` keeps the order true.

pub mod baseline;
pub mod browser;
pub mod capture;
pub mod cli;
pub mod collect;
pub mod compare;
pub mod config;
pub mod curate;
pub mod determinism;
pub mod excerpt;
pub mod fsutil;
pub mod grouping;
pub mod import;
pub mod mock;
pub mod model;
pub mod privacy;
pub mod profile;
pub mod record;
pub mod recording;
pub mod report;
pub mod runner;
pub mod score;
pub mod store;
pub mod suite;
