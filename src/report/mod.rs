//! Reporters: consumers of runner events and of the final run report. None of them decides
//! the exit status; `cli` does.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod model;
pub mod terminal;
