//! `reprise sessions export`: a stored session becomes `recordings/NAME.json` and
//! `mocks/NAME.har` in a suite, through the snippet's assembler (`record::assemble`), so it
//! replays like any recorded session.

use std::path::{Path, PathBuf};

use crate::record::assemble::{assemble, Assembled};
use crate::record::batch::Batch;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no session `{0}` in the store")]
    Unknown(String),
    #[error("invalid name `{0}`: use letters, digits, `.`, `_` and `-` (not starting with `.`), at most 100")]
    BadName(String),
    #[error("`{}` exists", .0.display())]
    Exists(PathBuf),
    #[error("stored batch {index} of session `{session}` is unreadable: {message}")]
    Batch {
        session: String,
        index: usize,
        message: String,
    },
    #[error("session `{session}` cannot be assembled: {message}")]
    Assemble {
        session: String,
        message: String,
        hint: String,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ExportError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Unknown(_) => Some("list the sessions with `reprise sessions list`".into()),
            Self::BadName(_) => Some("e.g. `--name checkout-2024-06-01`".into()),
            Self::Exists(_) => Some("choose another `--name`, or replace it with `--force`".into()),
            Self::Assemble { hint, .. } => Some(hint.clone()),
            Self::Store(e) => e.hint().map(str::to_string),
            Self::Batch { .. } | Self::Write { .. } => None,
        }
    }

    /// Exit status: 2 for what the user can fix (id, name, existing file, a session that
    /// cannot become a recording), 3 for the environment.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Store(_) | Self::Write { .. } => 3,
            _ => 2,
        }
    }
}

/// A suite file name: `[A-Za-z0-9._-]{1,100}`, not starting with `.`.
pub fn valid_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Reads and assembles a session (an audited read by `who`).
pub fn assemble_session(store: &dyn Store, id: &str, who: &str) -> Result<Assembled, ExportError> {
    let raw = store.batches(id, who)?;
    if raw.is_empty() {
        return Err(ExportError::Unknown(id.to_string()));
    }
    let batches = raw
        .iter()
        .enumerate()
        .map(|(index, b)| {
            Batch::parse(b).map_err(|e| ExportError::Batch {
                session: id.to_string(),
                index,
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    assemble(&batches).map_err(|e| ExportError::Assemble {
        session: id.to_string(),
        message: e.to_string(),
        hint: e.hint(),
    })
}

/// What an export wrote.
#[derive(Debug)]
pub struct Exported {
    pub recording: PathBuf,
    pub har: PathBuf,
    pub notes: Vec<String>,
    pub console_errors: Vec<String>,
}

/// Writes the session into the suite as `recordings/NAME.json` and `mocks/NAME.har`;
/// refuses to replace either file unless `force`.
pub fn export_session(
    store: &dyn Store,
    id: &str,
    suite: &Path,
    name: &str,
    force: bool,
    who: &str,
) -> Result<Exported, ExportError> {
    if !valid_name(name) {
        return Err(ExportError::BadName(crate::excerpt::excerpt(name)));
    }
    let recording = suite
        .join(crate::suite::RECORDINGS_DIR)
        .join(format!("{name}.json"));
    let har = suite
        .join(crate::suite::MOCKS_DIR)
        .join(format!("{name}.har"));
    if !force {
        for p in [&recording, &har] {
            if p.exists() {
                return Err(ExportError::Exists(p.clone()));
            }
        }
    }
    let mut a = assemble_session(store, id, who)?;
    store.audit(who, "export", id, true)?;
    if let Some(obj) = a.recording.as_object_mut() {
        obj.insert("title".into(), serde_json::Value::String(name.to_string()));
    }
    for (path, value) in [(&recording, &a.recording), (&har, &a.har)] {
        let write_err = |source| ExportError::Write {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|source| {
            ExportError::Write {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok(Exported {
        recording,
        har,
        notes: a.notes,
        console_errors: a.console_errors,
    })
}
