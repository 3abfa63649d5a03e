//! A pool of candidate sessions read from a folder laid out like a suite (`recordings/`,
//! `mocks/`), with the coverage stored beside it in `.reprise/coverage/<session>.json`.

use super::coverage::Stored;
use super::features::{self, Features, Kind};
use super::select::Candidate;
use crate::suite::{self, SessionSpec};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The largest recording or HAR read for features.
const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Where a pool or suite keeps the coverage of its sessions.
pub fn coverage_dir(root: &Path) -> PathBuf {
    root.join(".reprise").join("coverage")
}

/// One session of a pool, with everything selection needs.
#[derive(Debug, Clone)]
pub struct Member {
    pub spec: SessionSpec,
    pub features: Features,
    pub coverage: Option<Stored>,
    pub tags: Vec<String>,
    /// Replay seconds: measured by the coverage replays, else estimated from the recording.
    pub cost: f64,
}

impl Member {
    /// The units the session covers: its features and, when measured and agreed, its coverage.
    pub fn units(&self) -> Vec<String> {
        let mut u = self.features.units();
        if let Some(c) = self.coverage.as_ref().filter(|c| c.agreed) {
            u.extend(c.units.iter().cloned());
        }
        u
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("{0}")]
    Suite(#[from] suite::SuiteError),
    #[error("cannot read `{}`: {}", .0.display(), .1)]
    Read(PathBuf, String),
}

/// Reads every session of a pool folder.
pub fn load(root: &Path) -> Result<Vec<Member>, PoolError> {
    let specs = suite::discover(root, &[])?;
    let cov = coverage_dir(root);
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let recording = read_json(&spec.recording)?;
        let har = match &spec.mocks {
            Some(p) => read_json(p)?,
            None => Value::Null,
        };
        let features = features::of_session(&recording, &har, &[]);
        let coverage = load_coverage(&cov, &spec.id);
        let tags = recording["reprise"]["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let cost = coverage
            .as_ref()
            .and_then(|c| {
                let n = c.replay_ms.len() as u64;
                (n > 0).then(|| c.replay_ms.iter().sum::<u64>() as f64 / n as f64 / 1000.0)
            })
            .unwrap_or_else(|| estimate_seconds(&recording));
        out.push(Member {
            spec,
            features,
            coverage,
            tags,
            cost: cost.max(0.05),
        });
    }
    Ok(out)
}

/// The data values of a session's HAR (`features::DataValues`), to collapse them in what its
/// replays showed; none when it has no HAR or the HAR does not read.
pub fn data_values(spec: &SessionSpec) -> features::DataValues {
    spec.mocks
        .as_ref()
        .and_then(|p| read_json(p).ok())
        .map(|har| features::DataValues::of_har(&har))
        .unwrap_or_default()
}

/// A session's stored coverage, when there is one and it reads.
pub fn load_coverage(dir: &Path, id: &str) -> Option<Stored> {
    let path = dir.join(format!("{id}.json"));
    let meta = std::fs::metadata(&path).ok()?;
    if meta.len() > MAX_INPUT_BYTES {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn read_json(path: &Path) -> Result<Value, PoolError> {
    let err = |e: String| PoolError::Read(path.to_path_buf(), e);
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(err(format!(
            "{} bytes is over the {} MiB limit",
            meta.len(),
            MAX_INPUT_BYTES >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| err(e.to_string()))
}

/// Replay seconds from the recording alone: the recorded pace plus a per-step cost.
fn estimate_seconds(recording: &Value) -> f64 {
    let steps = recording["steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let last = steps
        .iter()
        .filter_map(|s| s["timestamp"].as_f64())
        .fold(0.0, f64::max);
    1.0 + steps.len() as f64 * 0.3 + last / 1000.0 * 0.1
}

/// Weight of a unit by kind: coverage and the rare signals a person cares about most.
pub fn kind_weight(kind: Kind) -> f64 {
    match kind {
        Kind::Js => 1.0,
        Kind::Css => 0.3,
        // What a checkpoint shows: an element kind on a route. Between a CSS rule (one
        // rule's use) and a JS block, since a checkpoint compares exactly what is shown; a
        // state every session shows is worth little anyway through rarity.
        Kind::View => 0.5,
        Kind::Route => 3.0,
        Kind::Endpoint => 2.0,
        Kind::Interaction => 1.0,
        Kind::Error => 4.0,
        Kind::Framework => 0.5,
    }
}

/// Selection input for a pool: candidates with unit indices, the unit keys, and idf
/// weights. `pins` and `suite_ids` mark candidates.
pub fn candidates(
    members: &[Member],
    pins: &[String],
    suite_ids: &[String],
) -> (Vec<Candidate>, Vec<String>, Vec<f64>) {
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut keys = Vec::new();
    let cands: Vec<Candidate> = members
        .iter()
        .map(|m| {
            let units = m
                .units()
                .into_iter()
                .map(|k| {
                    *index.entry(k.clone()).or_insert_with(|| {
                        keys.push(k);
                        (keys.len() - 1) as u32
                    })
                })
                .collect();
            Candidate {
                id: m.spec.id.clone(),
                cost: m.cost,
                units,
                pinned: pins.contains(&m.spec.id),
                in_suite: suite_ids.contains(&m.spec.id),
            }
        })
        .collect();
    let kinds: Vec<f64> = keys
        .iter()
        .map(|k| Kind::of_key(k).map(kind_weight).unwrap_or(1.0))
        .collect();
    let weights = super::select::idf_weights(&cands, &kinds);
    (cands, keys, weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curate::select::{select, Budget};

    fn member(id: &str, units: &[&str]) -> Member {
        Member {
            spec: SessionSpec {
                id: id.into(),
                recording: PathBuf::from(format!("recordings/{id}.json")),
                mocks: None,
            },
            features: Features::default(),
            coverage: Some(Stored {
                session: id.into(),
                build: "app".into(),
                agreed: true,
                reason: None,
                replay_ms: vec![1000, 1000],
                units: units.iter().map(|u| u.to_string()).collect(),
                files: Vec::new(),
            }),
            tags: Vec::new(),
            cost: 1.0,
        }
    }

    #[test]
    fn a_session_that_ends_on_a_state_no_other_shows_is_chosen_over_its_duplicates() {
        // Five browse sessions run the same code; one ended with the tooltip open. A
        // search session runs other code. Two picks: the search and that one.
        let browse = [
            "js:/shop.js|hover|1-9",
            "css:/styles.css|5-9",
            "view:/|div.card",
        ];
        let mut members: Vec<Member> = ["b1", "b2", "b3", "b4"]
            .iter()
            .map(|id| member(id, &browse))
            .collect();
        let mut open = browse.to_vec();
        open.push("view:/|span[role=tooltip].tooltip");
        members.push(member("b5", &open));
        members.push(member(
            "s1",
            &["js:/shop.js|search|20-40", "view:/|div.card"],
        ));
        let (cands, keys, weights) = candidates(&members, &[], &[]);
        let tip = keys
            .iter()
            .position(|k| k.starts_with("view:/|span"))
            .expect("the tooltip unit");
        let card = keys
            .iter()
            .position(|k| k == "view:/|div.card")
            .expect("card");
        // rarer states weigh more, and view units less than a JS block of the same rarity
        assert!(weights[tip] > weights[card]);
        let search = keys.iter().position(|k| k.contains("search")).expect("js");
        let tip_in_one = kind_weight(Kind::View) * (1.0 + 6.0f64).ln();
        assert!((weights[tip] - tip_in_one).abs() < 1e-9, "{}", weights[tip]);
        assert!(weights[search] > weights[tip]);
        let s = select(&cands, &weights, Budget::Sessions(2), 1);
        let ids: Vec<&str> = s.picks.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["b5", "s1"]);
        assert!(s.uncovered.is_empty());
    }
}
