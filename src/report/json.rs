//! The JSON report (`--report json=PATH`), format version 1 as documented in docs/report-format.md.

use crate::model::RunReport;
use std::path::Path;

pub fn write(report: &RunReport, path: &Path) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorKind, SessionReport, Summary, Verdict};

    #[test]
    fn has_the_contract_fields() {
        let report = RunReport {
            format_version: 1,
            verdict: Verdict::Error,
            duration_ms: 5,
            summary: Summary {
                sessions: 1,
                error: 1,
                ..Summary::default()
            },
            sessions: vec![SessionReport::error(
                "a",
                "recordings/a.json",
                ErrorKind::Input,
                "bad".into(),
            )],
            snapshots_written: 0,
            snapshots_pending: 0,
            unused_baselines: Vec::new(),
            pruned: false,
            groups: Vec::new(),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.json");
        write(&report, &path).expect("write");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["verdict"], "error");
        assert_eq!(v["summary"]["error"], 1);
        let s = &v["sessions"][0];
        for key in [
            "id",
            "status",
            "fidelity",
            "duration_ms",
            "attempts",
            "checkpoints",
            "network",
            "console_errors",
            "error",
        ] {
            assert!(s.get(key).is_some(), "missing {key}");
        }
        assert_eq!(s["network"]["unmatched"], serde_json::json!([]));
    }
}
