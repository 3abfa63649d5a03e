//! `reprise run --repeat K`: measured determinism. The suite is replayed K times against the
//! same build, every checkpoint's capture kept, and each checkpoint is reported identical or
//! not across the runs (DOM text and screenshot bytes), so "no false alarms" is a number
//! rather than a hope. Each run's captures and JSON report are kept in `repeat/run-NN/`.

use super::{exit, replay, Failure};
use crate::baseline::DomSnapshot;
use crate::runner::RunOptions;
use std::collections::BTreeMap;
use std::path::Path;

/// What one checkpoint looked like in each run.
#[derive(Default)]
struct Seen {
    doms: Vec<Option<String>>,
    pngs: Vec<Option<Vec<u8>>>,
}

fn read_capture(
    run_dir: &Path,
    session: &str,
    checkpoint: &str,
) -> (Option<String>, Option<Vec<u8>>) {
    let dir = run_dir.join(session);
    let dom = std::fs::read_to_string(dir.join(format!("{checkpoint}.actual.dom")))
        .ok()
        .and_then(|t| DomSnapshot::parse(&t).ok())
        .map(|s| s.body);
    let png = std::fs::read(dir.join(format!("{checkpoint}.actual.png"))).ok();
    (dom, png)
}

/// Runs that differ from the first one, as 1-based run numbers.
fn differing<T: PartialEq>(values: &[T]) -> Vec<usize> {
    values
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, v)| Some(*v) != values.first())
        .map(|(i, _)| i + 1)
        .collect()
}

pub async fn repeat(base: RunOptions, runs: usize) -> Result<i32, Failure> {
    let root = base.out_dir.join("repeat");
    let mut seen: BTreeMap<(String, String), Seen> = BTreeMap::new();
    let mut statuses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in 1..=runs {
        println!("run {i}/{runs}");
        let mut opts = base.clone();
        opts.out_dir = root.join(format!("run-{i:02}"));
        opts.keep_captures = true;
        // Nothing is written under snapshots/: this measures, it does not record.
        opts.ci = true;
        opts.update_snapshots = false;
        let report = match replay(opts.clone(), false).await? {
            Ok(r) => r,
            Err(i) => return Ok(i.exit_code()),
        };
        // Each run's report beside its captures, as a plain run leaves it in its out folder, so
        // tools (bench/compat.mjs, tests/corpus.rs) can read every run's statuses.
        let _ = crate::report::json::write(&report, &opts.out_dir.join(crate::runner::LAST_REPORT));
        for s in &report.sessions {
            statuses
                .entry(s.id.clone())
                .or_default()
                .push(s.status.as_str().to_string());
            for c in &s.checkpoints {
                let (dom, png) = read_capture(&opts.out_dir, &s.id, &c.name);
                let e = seen.entry((s.id.clone(), c.name.clone())).or_default();
                // Runs where the checkpoint was not reached leave a gap.
                e.doms.resize(i - 1, None);
                e.pngs.resize(i - 1, None);
                e.doms.push(dom);
                e.pngs.push(png);
            }
        }
    }
    println!("------------");
    let mut identical = 0;
    for ((session, checkpoint), s) in &mut seen {
        s.doms.resize(runs, None);
        s.pngs.resize(runs, None);
        let dom_diff = differing(&s.doms);
        let png_diff = differing(&s.pngs);
        if dom_diff.is_empty() && png_diff.is_empty() {
            identical += 1;
            println!("   IDENTICAL {session}/{checkpoint}");
            continue;
        }
        let list = |v: &[usize]| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut why = Vec::new();
        if !dom_diff.is_empty() {
            why.push(format!(
                "DOM differs from run 1 in run(s) {}",
                list(&dom_diff)
            ));
        }
        if !png_diff.is_empty() {
            why.push(format!(
                "screenshot differs from run 1 in run(s) {}",
                list(&png_diff)
            ));
        }
        println!("     DIFFERS {session}/{checkpoint}: {}", why.join("; "));
    }
    let unstable: Vec<&String> = statuses
        .iter()
        .filter(|(_, v)| v.iter().any(|x| x != &v[0]))
        .map(|(k, _)| k)
        .collect();
    for id in &unstable {
        println!("  STATUS VARIES {id}: {}", statuses[*id].join(", "));
    }
    println!(
        "determinism: {identical} of {} checkpoint(s) identical across {runs} runs; captures in {}",
        seen.len(),
        root.display()
    );
    Ok(if identical == seen.len() && unstable.is_empty() {
        exit::PASSED
    } else {
        exit::REGRESSION
    })
}

#[cfg(test)]
mod tests {
    use super::differing;

    #[test]
    fn runs_differing_from_the_first() {
        assert!(differing(&[1, 1, 1]).is_empty());
        assert_eq!(differing(&[1, 2, 1, 3]), vec![2, 4]);
        assert_eq!(differing(&[Some(1), None]), vec![2]);
    }
}
