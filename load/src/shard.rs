//! Many machines on one engine: a run split into shards (`--shard I/N`, or Kubernetes'
//! `JOB_COMPLETION_INDEX` with `OAUTHSPEC_SHARDS`), each running its share of the users and
//! of the start rate from a shared instant, and each writing `result.json`: exact counts,
//! failures by kind and latency as HdrHistograms in their standard serialised form. `merge`
//! adds them up into the figures a single run would have given, and the thresholds are
//! applied to the merged result.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::check::FailureKind;
use crate::stats::{Histogram, NameStats, RaceRound, Snapshot};
use crate::summary::Summary;

/// The schema of `result.json`.
pub const RESULT_SCHEMA: &str = "oauthspec/load-result/v1";
/// The file a run writes next to its summary.
pub const RESULT_FILE: &str = "result.json";
/// The variable holding the shard count next to `JOB_COMPLETION_INDEX`.
pub const SHARDS_VAR: &str = "OAUTHSPEC_SHARDS";

/// Shard `index` (from 0, like `JOB_COMPLETION_INDEX`) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// A shard that cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("invalid shard `{0}`: write INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/3")]
    Invalid(String),
    #[error("JOB_COMPLETION_INDEX is set but {SHARDS_VAR} (the number of shards) is not")]
    NoCount,
    #[error("{SHARDS_VAR} is set but JOB_COMPLETION_INDEX (this shard's index) is not")]
    NoIndex,
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, ShardError> {
        let bad = || ShardError::Invalid(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The shard Kubernetes' Indexed Job gives this pod: `JOB_COMPLETION_INDEX` and
    /// [`SHARDS_VAR`]; `None` when neither is set.
    pub fn from_env() -> Result<Option<Shard>, ShardError> {
        let index = std::env::var("JOB_COMPLETION_INDEX").ok();
        let count = std::env::var(SHARDS_VAR).ok();
        match (index, count) {
            (None, None) => Ok(None),
            (Some(i), Some(n)) => format!("{i}/{n}").parse().map(Some),
            (Some(_), None) => Err(ShardError::NoCount),
            (None, Some(_)) => Err(ShardError::NoIndex),
        }
    }

    /// This shard's part of `total` users: the remainder goes to the first shards, so the
    /// parts add up to `total`.
    pub fn users(self, total: usize) -> usize {
        let (n, i) = (self.count as usize, self.index as usize);
        total / n + usize::from(i < total % n)
    }

    /// This shard's part of a start rate (users per second).
    pub fn rate(self, total: f64) -> f64 {
        total / f64::from(self.count)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestResult {
    pub setup: bool,
    pub count: u64,
    pub failures: u64,
    /// HdrHistogram V2 + DEFLATE, base64, of the latencies in µs.
    pub latency_us: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureResult {
    pub kind: FailureKind,
    pub count: u64,
    pub first: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceResult {
    pub round: u64,
    pub participants: u64,
    pub winners: u64,
    pub pairs: Vec<u64>,
    #[serde(default)]
    pub old_works_after: Option<bool>,
    #[serde(default)]
    pub new_works_after: Option<bool>,
}

/// One run's mergeable result (`result.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub schema: String,
    pub profile: String,
    pub target: String,
    pub started: String,
    pub shard: Option<Shard>,
    /// This shard's users, and the whole run's (`--users`).
    pub users: usize,
    #[serde(default)]
    pub total_users: usize,
    /// `--start-at` as given: the shards of one run share it.
    #[serde(default)]
    pub start_at: Option<String>,
    pub run_time_secs: u64,
    /// The thresholds the run was given, as written.
    pub thresholds: Vec<String>,
    /// First request sent and last answer received (µs since the Unix epoch).
    pub window_unix_us: Option<(u64, u64)>,
    pub interrupted: bool,
    pub requests: BTreeMap<String, RequestResult>,
    pub failures: Vec<FailureResult>,
    pub race: Vec<RaceResult>,
}

impl RunResult {
    pub fn of(summary: &Summary, shard: Option<Shard>) -> Self {
        let s = &summary.snapshot;
        RunResult {
            schema: RESULT_SCHEMA.to_owned(),
            profile: summary.profile.clone(),
            target: summary.target.clone(),
            started: summary.started.clone(),
            shard,
            users: summary.users,
            total_users: summary.users,
            start_at: None,
            run_time_secs: summary.run_time.as_secs(),
            // As written, without a note such as "(the default; …)".
            thresholds: summary
                .verdicts
                .iter()
                .map(|v| {
                    let t = &v.threshold.text;
                    t.split_once(" (").map_or(t.as_str(), |(e, _)| e).to_owned()
                })
                .collect(),
            window_unix_us: s.window_unix_us,
            interrupted: summary.interrupted,
            requests: s
                .by_name
                .iter()
                .map(|(name, n)| {
                    let r = RequestResult {
                        setup: n.setup,
                        count: n.histogram.count(),
                        failures: n.failures,
                        latency_us: n.histogram.to_base64(),
                    };
                    (name.clone(), r)
                })
                .collect(),
            failures: s
                .failures
                .iter()
                .map(|(kind, (count, first))| FailureResult {
                    kind: kind.clone(),
                    count: *count,
                    first: first.clone(),
                })
                .collect(),
            race: s
                .race_rounds
                .iter()
                .map(|(round, r)| RaceResult {
                    round: *round,
                    participants: r.participants,
                    winners: r.winners,
                    pairs: r.pairs.iter().copied().collect(),
                    old_works_after: r.old_works_after,
                    new_works_after: r.new_works_after,
                })
                .collect(),
        }
    }
}

/// Why shards do not merge.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("no result.json found in the directories given")]
    Empty,
    #[error("the results are not of one run: {0}")]
    Mismatch(String),
    #[error("shards missing: {0}")]
    Missing(String),
    #[error("shard {shard}, request `{name}`: {source}")]
    Histogram {
        shard: u64,
        name: String,
        #[source]
        source: crate::stats::HistogramError,
    },
}

/// `result.json` of `dir` (or `dir` itself when it is the file).
pub fn read(dir: &Path) -> Result<RunResult, MergeError> {
    let path = if dir.is_dir() {
        dir.join(RESULT_FILE)
    } else {
        dir.to_owned()
    };
    let err = |message: String| MergeError::Read {
        path: path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
    let r: RunResult = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    if r.schema != RESULT_SCHEMA {
        return Err(err(format!(
            "schema `{}`, expected `{RESULT_SCHEMA}`",
            r.schema
        )));
    }
    Ok(r)
}

/// What merging gives: the run as if one machine had made every request.
#[derive(Debug)]
pub struct Merged {
    pub profile: String,
    pub target: String,
    pub started: String,
    pub users: usize,
    pub run_time: Duration,
    pub thresholds: Vec<String>,
    pub interrupted: bool,
    pub shards: u32,
    pub snapshot: Snapshot,
}

/// Adds the shards' results up. Every shard of one run must be there exactly once, of one
/// profile and one target; race rounds stay apart per shard (a round races within one
/// process).
pub fn merge(results: &[RunResult]) -> Result<Merged, MergeError> {
    let first = results.first().ok_or(MergeError::Empty)?;
    let count = first.shard.map_or(1, |s| s.count);
    let mut seen = BTreeSet::new();
    for r in results {
        if r.profile != first.profile || r.target != first.target {
            return Err(MergeError::Mismatch(format!(
                "`{}` against {} and `{}` against {}",
                first.profile, first.target, r.profile, r.target
            )));
        }
        let same_run = (&r.start_at, r.total_users, r.run_time_secs)
            == (&first.start_at, first.total_users, first.run_time_secs);
        if !same_run {
            return Err(MergeError::Mismatch(format!(
                "shards of different runs: --start-at {}, --users {}, {} s and --start-at {}, --users {}, {} s",
                first.start_at.as_deref().unwrap_or("(none)"),
                first.total_users,
                first.run_time_secs,
                r.start_at.as_deref().unwrap_or("(none)"),
                r.total_users,
                r.run_time_secs
            )));
        }
        if r.thresholds != first.thresholds {
            return Err(MergeError::Mismatch(
                "the shards were given different thresholds".into(),
            ));
        }
        let s = r.shard.unwrap_or(Shard { index: 0, count: 1 });
        if s.count != count {
            return Err(MergeError::Mismatch(format!(
                "shard {s} among shards of {count}"
            )));
        }
        if !seen.insert(s.index) {
            return Err(MergeError::Mismatch(format!("shard {s} is given twice")));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing(missing.join(", ")));
    }

    let mut snapshot = Snapshot::default();
    let mut window: Option<(u64, u64)> = None;
    for r in results {
        let shard = u64::from(r.shard.map_or(0, |s| s.index));
        for (name, q) in &r.requests {
            let h =
                Histogram::from_base64(&q.latency_us).map_err(|source| MergeError::Histogram {
                    shard,
                    name: name.clone(),
                    source,
                })?;
            let n = snapshot
                .by_name
                .entry(name.clone())
                .or_insert_with(|| NameStats {
                    setup: q.setup,
                    ..NameStats::default()
                });
            n.histogram.merge(&h);
            n.failures += q.failures;
        }
        for f in &r.failures {
            snapshot
                .failures
                .entry(f.kind.clone())
                .or_insert_with(|| (0, f.first.clone()))
                .0 += f.count;
        }
        for race in &r.race {
            snapshot.race_rounds.insert(
                (shard << 40) | race.round,
                RaceRound {
                    participants: race.participants,
                    winners: race.winners,
                    pairs: race.pairs.iter().copied().collect(),
                    old_works_after: race.old_works_after,
                    new_works_after: race.new_works_after,
                },
            );
        }
        if let Some((a, b)) = r.window_unix_us {
            window = Some(window.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
    }
    snapshot.window_unix_us = window;
    snapshot.measured_for = window.map_or(Duration::ZERO, |(a, b)| {
        Duration::from_micros(b.saturating_sub(a))
    });
    Ok(Merged {
        profile: first.profile.clone(),
        target: first.target.clone(),
        started: results
            .iter()
            .map(|r| r.started.clone())
            .min()
            .unwrap_or_default(),
        users: results.iter().map(|r| r.users).sum(),
        run_time: Duration::from_secs(results.iter().map(|r| r.run_time_secs).max().unwrap_or(0)),
        thresholds: first.thresholds.clone(),
        interrupted: results.iter().any(|r| r.interrupted),
        shards: count,
        snapshot,
    })
}

impl Merged {
    /// The merged run as a summary, judged by `thresholds` (the shards' own unless given).
    pub fn summary(self, thresholds: &[crate::Threshold]) -> Summary {
        let figures = crate::summary::Figures::of(&self.snapshot);
        Summary {
            profile: self.profile,
            target: self.target,
            started: self.started,
            users: self.users,
            run_time: self.run_time,
            verdicts: Summary::evaluate(thresholds, &figures),
            snapshot: self.snapshot,
            baseline: None,
            baseline_missing: Some(format!(
                "merged from {} shards: each shard's own summary.md has its generator's ceiling",
                self.shards
            )),
            notes: vec![format!(
                "merged from {} shards: counts and latency histograms added up, rate over the span from the first shard's first request to the last shard's last answer",
                self.shards
            )],
            files: Vec::new(),
            interrupted: self.interrupted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_split_users_and_rate() {
        let s: Shard = "1/3".parse().unwrap();
        assert_eq!(s, Shard { index: 1, count: 3 });
        for bad in ["3/3", "1", "a/3", "0/0", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let parts: Vec<usize> = (0..3)
            .map(|i| Shard { index: i, count: 3 }.users(10))
            .collect();
        assert_eq!(parts, vec![4, 3, 3]);
        assert_eq!(parts.iter().sum::<usize>(), 10);
        assert!((s.rate(30.0) - 10.0).abs() < 1e-9);
    }

    fn result(index: u32, count: u32, latencies: &[u64]) -> RunResult {
        let mut h = Histogram::default();
        for &us in latencies {
            h.record_us(us);
        }
        RunResult {
            schema: RESULT_SCHEMA.into(),
            profile: "client-credentials".into(),
            target: "t".into(),
            started: format!("2026-12-02T05:00:0{index}Z"),
            shard: Some(Shard { index, count }),
            users: 2,
            total_users: 4,
            start_at: None,
            run_time_secs: 10,
            thresholds: vec!["error-rate<1%".into()],
            window_unix_us: Some((1_000_000 + u64::from(index), 11_000_000 + u64::from(index))),
            interrupted: false,
            requests: BTreeMap::from([(
                "token".to_owned(),
                RequestResult {
                    setup: false,
                    count: h.count(),
                    failures: 1,
                    latency_us: h.to_base64(),
                },
            )]),
            failures: vec![FailureResult {
                kind: FailureKind::Status(503),
                count: 1,
                first: "503".into(),
            }],
            race: vec![],
        }
    }

    #[test]
    fn merging_adds_counts_and_histograms_and_checks_the_set() {
        let shards = [result(0, 2, &[100, 200, 300]), result(1, 2, &[400, 500])];
        let m = merge(&shards).unwrap();
        let token = &m.snapshot.by_name["token"];
        assert_eq!(token.histogram.count(), 5);
        assert_eq!(token.failures, 2);
        assert_eq!(token.histogram.quantile_us(0.5), 300);
        assert_eq!(m.snapshot.failures[&FailureKind::Status(503)].0, 2);
        assert_eq!(m.users, 4);
        // Race rounds of different shards stay apart.
        let mut a = result(0, 2, &[1]);
        let mut b = result(1, 2, &[1]);
        for r in [&mut a, &mut b] {
            r.race = vec![RaceResult {
                round: 1,
                participants: 3,
                winners: 1,
                pairs: vec![7],
                old_works_after: Some(false),
                new_works_after: Some(true),
            }];
        }
        let rounds = merge(&[a, b]).unwrap().snapshot.race_rounds;
        assert_eq!(rounds.len(), 2);
        assert!(rounds.values().all(|r| r.new_works_after == Some(true)));
        assert_eq!(m.snapshot.measured_for, Duration::from_micros(10_000_001));
        assert!(matches!(merge(&shards[..1]), Err(MergeError::Missing(m)) if m == "1/2"));
        let twice = [result(0, 2, &[1]), result(0, 2, &[1])];
        assert!(matches!(merge(&twice), Err(MergeError::Mismatch(_))));
        let mut later = result(1, 2, &[1]);
        later.start_at = Some("2026-12-03T05:00:00Z".into());
        assert!(
            matches!(merge(&[result(0, 2, &[1]), later]), Err(MergeError::Mismatch(m)) if m.contains("different runs"))
        );
        let mut other = result(1, 2, &[1]);
        other.profile = "refresh".into();
        assert!(matches!(
            merge(&[result(0, 2, &[1]), other]),
            Err(MergeError::Mismatch(_))
        ));
    }
}
