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
    /// A suite without a single recording: replaying it would pass having checked nothing.
    #[error("`{}` holds no recording (`*.json`): there is nothing to replay", .0.display())]
    Empty(PathBuf),
    /// A filter that selects no session: a typo must not turn into a green run of nothing.
    #[error("no session matches {filter}{}", did_you_mean(.closest))]
    NoMatch {
        /// The filter as messages quote it (an excerpt, in backticks).
        filter: String,
        /// Every session of the suite, sorted.
        available: Vec<String>,
        /// The session name nearest the filter, when one is near.
        closest: Option<String>,
    },
}

fn did_you_mean(closest: &Option<String>) -> String {
    closest
        .as_ref()
        .map(|c| format!(": did you mean `{c}`?"))
        .unwrap_or_default()
}

impl SuiteError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NoRecordings(_) => Some("run reprise in a suite folder (one with `recordings/*.json`), or import a recording with `reprise import`".into()),
            Self::Io(..) => None,
            Self::Empty(_) => Some("add a session with `reprise record` or `reprise import`, or point `--suite` at the suite's folder".into()),
            Self::NoMatch { available, .. } if available.is_empty() => {
                Some("the suite has no recordings yet: `reprise record` or `reprise import` adds one".into())
            }
            Self::NoMatch { available, .. } => {
                const SHOWN: usize = 30;
                let mut names = available
                    .iter()
                    .take(SHOWN)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                if available.len() > SHOWN {
                    names.push_str(&format!(", … ({} more)", available.len() - SHOWN));
                }
                Some(format!(
                    "a filter keeps sessions whose name contains it (`=NAME`: exactly that one); sessions: {names}"
                ))
            }
        }
    }
}

/// The sessions a run replays: [`discover`], where a suite with no recording at all is an
/// error, since a run of nothing must never be a green gate.
pub fn discover_for_run(suite: &Path, filters: &[String]) -> Result<Vec<SessionSpec>, SuiteError> {
    let specs = discover(suite, filters)?;
    if specs.is_empty() {
        return Err(SuiteError::Empty(suite.join(RECORDINGS_DIR)));
    }
    Ok(specs)
}

/// Finds the sessions of a suite, sorted by id; `filters` keep sessions whose id equals or
/// contains one of them (all when empty).
pub fn discover(suite: &Path, filters: &[String]) -> Result<Vec<SessionSpec>, SuiteError> {
    let dir = suite.join(RECORDINGS_DIR);
    if !dir.is_dir() {
        return Err(SuiteError::NoRecordings(suite.to_path_buf()));
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| SuiteError::Io(dir.clone(), e))?;
    let mut all = Vec::new();
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
        all.push((id, path));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    // Every filter must select something: `reprise run chekout` is a typo, not a pass.
    for f in filters {
        if !all.iter().any(|(id, _)| keeps(f, id)) {
            let available: Vec<String> = all.iter().map(|(id, _)| id.clone()).collect();
            let closest = closest(f.trim_start_matches('='), &available);
            return Err(SuiteError::NoMatch {
                filter: crate::config::validate::excerpt(f),
                available,
                closest,
            });
        }
    }
    let mut out = Vec::new();
    for (id, path) in all {
        if !filters.is_empty() && !filters.iter().any(|f| keeps(f, &id)) {
            continue;
        }
        let har = suite.join(MOCKS_DIR).join(format!("{id}.har"));
        out.push(SessionSpec {
            id,
            recording: path,
            mocks: har.is_file().then_some(har),
        });
    }
    Ok(out)
}

/// `=NAME` keeps only that session; a plain filter keeps names containing it.
fn keeps(filter: &str, id: &str) -> bool {
    match filter.strip_prefix('=') {
        Some(exact) => id == exact,
        None => id.contains(filter),
    }
}

/// The name nearest `wanted` by edit distance, when it is near enough to be a typo of it
/// (at most a third of its length, and at least 1, away).
pub fn closest(wanted: &str, names: &[String]) -> Option<String> {
    // `=check` beside `checkout`: the exact filter of a name that only starts the right one
    if let Some(n) = names
        .iter()
        .filter(|n| !wanted.is_empty() && n.contains(wanted))
        .min_by_key(|n| n.len())
    {
        return Some(n.clone());
    }
    let limit = (wanted.chars().count() / 3).max(1);
    names
        .iter()
        .map(|n| (strsim::levenshtein(wanted, n), n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.clone())
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
        match discover(dir.path(), &["=check".into()]) {
            Err(e @ SuiteError::NoMatch { .. }) => {
                assert!(e.to_string().contains("did you mean `checkout`"), "{e}");
                let hint = e.hint().expect("hint");
                assert!(hint.contains("a, b, checkout"), "{hint}");
            }
            other => panic!("a filter matching nothing must be an error: {other:?}"),
        }
        std::fs::create_dir_all(dir.path().join("empty/recordings")).expect("mkdir");
        assert!(matches!(
            discover_for_run(&dir.path().join("empty"), &[]),
            Err(SuiteError::Empty(_))
        ));
        match discover(dir.path(), &["chekout".into()]) {
            Err(SuiteError::NoMatch { closest, .. }) => {
                assert_eq!(closest.as_deref(), Some("checkout"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            discover(dir.path(), &["checkout".into(), "zzzzzz".into()]).is_err(),
            "every filter must match"
        );
        match discover(dir.path(), &["zzzzzz".into()]) {
            Err(SuiteError::NoMatch { closest, .. }) => assert_eq!(closest, None),
            other => panic!("{other:?}"),
        }
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
