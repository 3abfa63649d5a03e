//! reprise replays recorded user sessions of a web app in a real browser, answers the app's
//! backend requests from captured payloads, and gates CI on what changed.
//!
//! The pipeline, one module each:
//!
//! ```text
//! recording ──► mock ──► browser (+ determinism) ──► capture ──► compare ──► score
//!   (steps)    (HAR on     (chromedriver + CDP         (DOM text,   (similar,    (fidelity)
//!               wiremock)   interception)               screenshot)  pixelmatch)
//!                                   runner (events) ──► report (terminal, JSON) ──► cli
//!                                   baseline (snapshots/: approved and pending)
//! ```

pub mod baseline;
pub mod browser;
pub mod capture;
pub mod cli;
pub mod compare;
pub mod config;
pub mod determinism;
pub mod import;
pub mod mock;
pub mod privacy;
pub mod record;
pub mod recording;
pub mod report;
pub mod runner;
pub mod score;
pub mod suite;
pub mod validate;
