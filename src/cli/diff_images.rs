//! `reprise diff-images`. (Being written.)
use super::Failure;

#[derive(clap::Args, Debug)]
pub struct DiffImagesArgs {
    /// The two images.
    images: Vec<std::path::PathBuf>,
}

pub fn run(args: DiffImagesArgs) -> Result<i32, Failure> {
    Err(Failure::usage(format!("`reprise diff-images` is not available yet ({} file(s))", args.images.len()), None))
}
