//! `reprise scan`. (Being written.)
use super::Failure;

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Files or folders (default: the suite in the current folder).
    paths: Vec<std::path::PathBuf>,
}

pub fn run(args: ScanArgs) -> Result<i32, Failure> {
    Err(Failure::usage(format!("`reprise scan` is not available yet ({} path(s))", args.paths.len()), None))
}
