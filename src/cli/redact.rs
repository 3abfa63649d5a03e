//! `reprise redact`. (Being written.)
use super::Failure;

#[derive(clap::Args, Debug)]
pub struct RedactArgs {
    /// Files or folders (default: the suite in the current folder).
    paths: Vec<std::path::PathBuf>,
}

pub fn run(args: RedactArgs) -> Result<i32, Failure> {
    Err(Failure::usage(format!("`reprise redact` is not available yet ({} path(s))", args.paths.len()), None))
}
