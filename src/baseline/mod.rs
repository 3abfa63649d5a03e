//! The `snapshots/` folder: approved baselines and pending captures, one pair per checkpoint.
//!
//! `snapshots/<session>/<checkpoint>.dom` is the normalized DOM behind a small versioned
//! header; `.png` is the screenshot. A run that finds a difference locally writes
//! `.dom.new`/`.png.new` beside them (never in CI); accepting is a separate, explicit step.
//! Every write goes to a temporary file in the same folder and is renamed into place, so a
//! crash never leaves a half-written baseline.

use crate::browser::Environment;
use crate::fsutil::write_atomic;
use std::path::{Path, PathBuf};

/// Version of the snapshot header format.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &str = "# reprise snapshot";
const END_OF_HEADER: &str = "---";

/// Metadata stored with each DOM snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnapshotHeader {
    pub session: String,
    pub checkpoint: String,
    pub step: usize,
    pub url: String,
    pub viewport: String,
    pub normalizer: String,
    /// The environment it was rendered in; empty in baselines from before it was recorded.
    pub environment: Environment,
}

/// A DOM snapshot as stored on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct DomSnapshot {
    pub header: SnapshotHeader,
    pub body: String,
}

impl DomSnapshot {
    pub fn render(&self) -> String {
        let h = &self.header;
        let mut env = String::new();
        for (key, value) in [
            ("browser", &h.environment.browser),
            ("platform", &h.environment.platform),
            ("fonts", &h.environment.fonts),
        ] {
            if !value.is_empty() {
                env.push_str(&format!("# {key}: {value}\n"));
            }
        }
        format!(
            "{MAGIC} v{FORMAT_VERSION}\n# session: {}\n# checkpoint: {}\n# step: {}\n# url: {}\n# viewport: {}\n# normalizer: {}\n{env}{END_OF_HEADER}\n{}",
            h.session, h.checkpoint, h.step, h.url, h.viewport, h.normalizer, self.body
        )
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.split_inclusive('\n');
        let first = lines.next().unwrap_or("").trim_end();
        let version = first
            .strip_prefix(MAGIC)
            .and_then(|v| v.trim().strip_prefix('v'))
            .and_then(|v| v.parse::<u32>().ok())
            .ok_or("not a reprise snapshot (missing `# reprise snapshot v1` header)")?;
        if version != FORMAT_VERSION {
            return Err(format!("snapshot format v{version} is not supported (this reprise reads v{FORMAT_VERSION})"));
        }
        let mut header = SnapshotHeader::default();
        let mut consumed = first.len() + 1;
        for line in lines.by_ref() {
            consumed += line.len();
            let line = line.trim_end_matches('\n');
            if line == END_OF_HEADER {
                return Ok(Self {
                    header,
                    body: text.get(consumed..).unwrap_or("").to_string(),
                });
            }
            let Some((key, value)) = line.strip_prefix("# ").and_then(|l| l.split_once(": "))
            else {
                continue;
            };
            match key {
                "session" => header.session = value.into(),
                "checkpoint" => header.checkpoint = value.into(),
                "step" => header.step = value.parse().unwrap_or(0),
                "url" => header.url = value.into(),
                "viewport" => header.viewport = value.into(),
                "normalizer" => header.normalizer = value.into(),
                "browser" => header.environment.browser = value.into(),
                "platform" => header.environment.platform = value.into(),
                "fonts" => header.environment.fonts = value.into(),
                _ => {}
            }
        }
        Err("snapshot header is not terminated by `---`".into())
    }
}

/// The snapshot folder of one session.
#[derive(Debug, Clone)]
pub struct SessionSnapshots {
    dir: PathBuf,
}

/// A stored baseline pair.
pub struct Baseline {
    pub dom: DomSnapshot,
    pub png: Option<Vec<u8>>,
}

impl SessionSnapshots {
    pub fn new(snapshots_root: &Path, session: &str) -> Self {
        Self {
            dir: snapshots_root.join(session),
        }
    }

    pub fn dom_path(&self, checkpoint: &str) -> PathBuf {
        self.dir.join(format!("{checkpoint}.dom"))
    }

    pub fn png_path(&self, checkpoint: &str) -> PathBuf {
        self.dir.join(format!("{checkpoint}.png"))
    }

    fn pending(path: PathBuf) -> PathBuf {
        let mut s = path.into_os_string();
        s.push(".new");
        PathBuf::from(s)
    }

    /// Reads the baseline of a checkpoint; `Ok(None)` when there is none yet.
    pub fn load(&self, checkpoint: &str) -> Result<Option<Baseline>, String> {
        let dom_path = self.dom_path(checkpoint);
        let text = match std::fs::read_to_string(&dom_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read `{}`: {e}", dom_path.display())),
        };
        let dom =
            DomSnapshot::parse(&text).map_err(|e| format!("`{}`: {e}", dom_path.display()))?;
        let png = std::fs::read(self.png_path(checkpoint)).ok();
        Ok(Some(Baseline { dom, png }))
    }

    /// Writes a baseline pair, replacing the old one, and removes pending files.
    pub fn approve(&self, checkpoint: &str, dom: &DomSnapshot, png: &[u8]) -> std::io::Result<()> {
        write_named(&self.png_path(checkpoint), png)?;
        write_named(&self.dom_path(checkpoint), dom.render().as_bytes())?;
        self.remove_pending(checkpoint);
        Ok(())
    }

    /// Writes a pending pair beside the baseline, for review.
    pub fn write_pending(
        &self,
        checkpoint: &str,
        dom: &DomSnapshot,
        png: &[u8],
    ) -> std::io::Result<()> {
        write_named(&Self::pending(self.png_path(checkpoint)), png)?;
        write_named(
            &Self::pending(self.dom_path(checkpoint)),
            dom.render().as_bytes(),
        )
    }

    pub fn remove_pending(&self, checkpoint: &str) {
        let _ = std::fs::remove_file(Self::pending(self.dom_path(checkpoint)));
        let _ = std::fs::remove_file(Self::pending(self.png_path(checkpoint)));
    }
}

/// [`write_atomic`], with the path in the error: "No space left on device" alone does not say
/// which of a hundred files was lost.
fn write_named(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic(path, bytes)
        .map_err(|e| std::io::Error::new(e.kind(), format!("`{}`: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(body: &str) -> DomSnapshot {
        DomSnapshot {
            header: SnapshotHeader {
                session: "checkout".into(),
                checkpoint: "03-payment".into(),
                step: 3,
                url: "https://shop.test/pay".into(),
                viewport: "1280x800@1".into(),
                normalizer: "sha256:abc".into(),
                environment: Environment {
                    browser: "Chromium 156.0.8078.108".into(),
                    platform: "linux".into(),
                    fonts: "sha256:f0".into(),
                },
            },
            body: body.into(),
        }
    }

    #[test]
    fn header_round_trips_and_body_is_verbatim() {
        let s = snap("<html>\n  \"--- not a header\"\n");
        assert_eq!(DomSnapshot::parse(&s.render()), Ok(s));
    }

    #[test]
    fn rejects_other_files_and_versions() {
        assert!(DomSnapshot::parse("<html>").is_err());
        assert!(DomSnapshot::parse("# reprise snapshot v9\n---\n").is_err());
    }

    #[test]
    fn approve_replaces_and_clears_pending() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = SessionSnapshots::new(dir.path(), "checkout");
        assert!(s.load("03-payment").expect("no error").is_none());
        s.write_pending("03-payment", &snap("a\n"), b"png")
            .expect("pending");
        assert!(dir.path().join("checkout/03-payment.dom.new").exists());
        s.approve("03-payment", &snap("b\n"), b"png2")
            .expect("approve");
        let b = s.load("03-payment").expect("ok").expect("exists");
        assert_eq!(b.dom.body, "b\n");
        assert_eq!(b.png.as_deref(), Some(&b"png2"[..]));
        assert!(!dir.path().join("checkout/03-payment.dom.new").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("checkout"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".reprise-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

/// A pending snapshot pair awaiting review.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub session: String,
    pub checkpoint: String,
}

/// Lists pending snapshots under `snapshots/`, sorted, optionally only for some sessions.
pub fn pending(snapshots_root: &Path, sessions: &[String]) -> Vec<Pending> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(snapshots_root) else {
        return out;
    };
    for dir in dirs.flatten() {
        let session = dir.file_name().to_string_lossy().into_owned();
        if !dir.path().is_dir() || (!sessions.is_empty() && !sessions.contains(&session)) {
            continue;
        }
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let checkpoint = name
                .strip_suffix(".dom.new")
                .or_else(|| name.strip_suffix(".png.new"));
            if let Some(c) = checkpoint {
                let p = Pending {
                    session: session.clone(),
                    checkpoint: c.to_string(),
                };
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.session, &a.checkpoint).cmp(&(&b.session, &b.checkpoint)));
    out
}

impl SessionSnapshots {
    pub fn pending_dom_path(&self, checkpoint: &str) -> PathBuf {
        Self::pending(self.dom_path(checkpoint))
    }

    pub fn pending_png_path(&self, checkpoint: &str) -> PathBuf {
        Self::pending(self.png_path(checkpoint))
    }

    /// Makes the pending pair the baseline. Each file is replaced by a rename, so a crash
    /// leaves every baseline file either old or new, never truncated; the screenshot goes
    /// first so a DOM baseline never refers to a screenshot older than itself.
    pub fn accept(&self, checkpoint: &str) -> std::io::Result<bool> {
        let mut any = false;
        for (pending, baseline) in [
            (self.pending_png_path(checkpoint), self.png_path(checkpoint)),
            (self.pending_dom_path(checkpoint), self.dom_path(checkpoint)),
        ] {
            if pending.exists() {
                // The pending file's data is made durable before it becomes the baseline.
                std::fs::File::open(&pending)?.sync_all()?;
                std::fs::rename(&pending, &baseline)?;
                any = true;
            }
        }
        if any {
            if let Ok(d) = std::fs::File::open(&self.dir) {
                let _ = d.sync_all();
            }
        }
        Ok(any)
    }

    /// Discards the pending pair; the baseline is untouched.
    pub fn reject(&self, checkpoint: &str) -> bool {
        let dom = std::fs::remove_file(self.pending_dom_path(checkpoint)).is_ok();
        let png = std::fs::remove_file(self.pending_png_path(checkpoint)).is_ok();
        dom || png
    }
}

/// A reviewer's decision about a pending pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Accept,
    Reject,
}

impl Action {
    /// The decision as a past-tense verb, for the line that confirms it.
    pub fn past(self) -> &'static str {
        match self {
            Self::Accept => "accepted",
            Self::Reject => "rejected",
        }
    }
}

/// Applies a review decision to one pending pair under `snapshots_root`: the one place the
/// terminal walk-through, bulk `accept`/`reject` and the review web UI change baselines.
pub fn apply(snapshots_root: &Path, p: &Pending, action: Action) -> std::io::Result<bool> {
    let snaps = SessionSnapshots::new(snapshots_root, &p.session);
    match action {
        Action::Accept => snaps.accept(&p.checkpoint),
        Action::Reject => Ok(snaps.reject(&p.checkpoint)),
    }
}

/// Baseline files no checkpoint of this run used: checkpoints of sessions that completed
/// (a broken session did not reach all of its checkpoints, so its baselines are kept) and,
/// when the whole suite ran, folders of sessions that no longer have a recording.
pub fn unused(
    snapshots_root: &Path,
    reports: &[crate::model::SessionReport],
    all_sessions: &[crate::suite::SessionSpec],
    whole_suite: bool,
) -> Vec<PathBuf> {
    use crate::model::SessionStatus;
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(snapshots_root) else {
        return out;
    };
    for dir in dirs.flatten() {
        let session = dir.file_name().to_string_lossy().into_owned();
        let files: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        let baseline_files = files
            .iter()
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("dom" | "png")));
        if let Some(r) = reports.iter().find(|r| r.id == session) {
            let complete = matches!(
                r.status,
                SessionStatus::Passed | SessionStatus::Changed | SessionStatus::New
            );
            if !complete {
                continue;
            }
            for f in baseline_files {
                let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                if !r.checkpoints.iter().any(|c| c.name == stem) {
                    out.push(f.clone());
                }
            }
        } else if whole_suite && !all_sessions.iter().any(|s| s.id == session) {
            out.extend(baseline_files.cloned());
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod review_tests {
    use super::*;

    #[test]
    fn pending_accept_and_reject() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = SessionSnapshots::new(dir.path(), "a");
        let snap = DomSnapshot {
            header: SnapshotHeader::default(),
            body: "x\n".into(),
        };
        s.approve("01-index", &snap, b"old").expect("approve");
        s.write_pending("01-index", &snap, b"new").expect("pending");
        s.write_pending("02-end", &snap, b"new2").expect("pending");
        let p = pending(dir.path(), &[]);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].checkpoint, "01-index");
        assert!(pending(dir.path(), &["b".into()]).is_empty());
        assert!(s.accept("01-index").expect("accept"));
        assert_eq!(std::fs::read(s.png_path("01-index")).expect("read"), b"new");
        assert!(s.reject("02-end"));
        assert!(!s.png_path("02-end").exists());
        assert!(pending(dir.path(), &[]).is_empty());
        assert!(!s.accept("01-index").expect("nothing left"));
    }
}
