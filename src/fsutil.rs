//! File-system helpers every stage that writes files shares: baselines, reports, redacted
//! recordings and imported suites all go through [`write_atomic`].

use std::io::Write as _;
use std::path::Path;

/// Writes a file so that readers see the old content or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".reprise-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Temporary files are private (0600); baselines and reports are ordinary files that CI
    // artifacts, web servers and teammates read.
    tmp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
