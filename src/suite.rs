//! A suite on disk: convention over configuration. One session is one stem, paired across
//! `recordings/`, `mocks/` and `snapshots/`.

use std::path::{Path, PathBuf};

pub const RECORDINGS_DIR: &str = "recordings";
pub const MOCKS_DIR: &str = "mocks";
pub const SNAPSHOTS_DIR: &str = "snapshots";

/// One session of the suite, before its recording is read.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSpec {
    pub id: String,
    pub recording: PathBuf,
    /// The HAR, when the session has one.
    pub mocks: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("no `recordings/` folder in `{}`", .0.display())]
    NoRecordings(PathBuf),
    #[error("cannot read `{}`: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
}

impl SuiteError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::NoRecordings(_) => Some("run reprise in a suite folder (one with `recordings/*.json`), or import a recording with `reprise import`"),
            Self::Io(..) => None,
        }
    }
}

/// Finds the sessions of a suite, sorted by id; `filters` keep sessions whose id equals or
/// contains one of them (all when empty).
pub fn discover(suite: &Path, filters: &[String]) -> Result<Vec<SessionSpec>, SuiteError> {
    let dir = suite.join(RECORDINGS_DIR);
    if !dir.is_dir() {
        return Err(SuiteError::NoRecordings(suite.to_path_buf()));
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| SuiteError::Io(dir.clone(), e))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| SuiteError::Io(dir.clone(), e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let Some(id) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        // `=NAME` keeps only that session; a plain filter keeps names containing it.
        let keep = |f: &String| match f.strip_prefix('=') {
            Some(exact) => id == exact,
            None => id.contains(f.as_str()),
        };
        if !filters.is_empty() && !filters.iter().any(keep) {
            continue;
        }
        let har = suite.join(MOCKS_DIR).join(format!("{id}.har"));
        out.push(SessionSpec {
            id,
            recording: path,
            mocks: har.is_file().then_some(har),
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_recordings_with_mocks_and_filters() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("recordings")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("mocks")).expect("mkdir");
        for n in ["b", "a", "checkout"] {
            std::fs::write(dir.path().join(format!("recordings/{n}.json")), "{}").expect("write");
        }
        std::fs::write(dir.path().join("recordings/notes.txt"), "").expect("write");
        std::fs::write(dir.path().join("mocks/a.har"), "{}").expect("write");
        let all = discover(dir.path(), &[]).expect("discover");
        assert_eq!(
            all.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["a", "b", "checkout"]
        );
        assert!(all[0].mocks.is_some() && all[1].mocks.is_none());
        let some = discover(dir.path(), &["check".into()]).expect("discover");
        assert_eq!(some.len(), 1);
        assert!(discover(dir.path(), &["=check".into()])
            .expect("discover")
            .is_empty());
        assert_eq!(
            discover(dir.path(), &["=a".into()])
                .expect("discover")
                .len(),
            1
        );
        assert!(matches!(
            discover(&dir.path().join("nope"), &[]),
            Err(SuiteError::NoRecordings(_))
        ));
    }
}
