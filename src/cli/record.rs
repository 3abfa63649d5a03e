//! `reprise record`. (Being written.)
use super::Failure;

#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// The URL to start at.
    url: String,
}

pub async fn run(args: RecordArgs) -> Result<i32, Failure> {
    Err(Failure::usage(format!("`reprise record {}` is not available yet", args.url), None))
}
