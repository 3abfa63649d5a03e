//! Curation: choosing, from a pool of captured sessions, the few that cover the most of what
//! the pool exercises within a replay budget, and per change the sessions that touch it.
//! docs/curation.md is the user's side of it.
//!
//! `features.rs` reads what a session exercises from its recording and HAR; `coverage.rs`
//! turns a replay's CDP coverage into units keyed by stable script URLs (and source files),
//! and what its checkpoints showed into view units;
//! `select.rs` is the lazy-greedy budgeted maximum coverage; `pool.rs` reads a pool and the
//! coverage stored beside it.

pub mod coverage;
pub mod features;
pub mod pool;
pub mod select;
