//! Comparators: plain functions from two captures to a verdict and a diff.

pub mod dom;
pub mod image;
pub mod limits;
pub mod png;

pub use dom::{compare_dom, DomDiff};
