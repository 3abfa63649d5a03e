//! `reprise import`. (Being written.)
use super::Failure;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The files to import.
    files: Vec<std::path::PathBuf>,
}

pub fn run(args: ImportArgs) -> Result<i32, Failure> {
    Err(Failure::usage(format!("`reprise import` is not available yet ({} file(s))", args.files.len()), None))
}
