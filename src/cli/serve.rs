//! `reprise review --serve`: placeholder until the HTML report lands.
use super::Failure;
use std::path::Path;
pub async fn serve(
    _suite: &Path,
    _sessions: &[String],
    _port: Option<u16>,
) -> Result<i32, Failure> {
    Err(Failure::usage(
        "`--serve` is not available yet".into(),
        None,
    ))
}
