//! What a run measured: latencies in an HdrHistogram (3 significant digits, 1 µs to 1 h),
//! counts and failures by request name and by kind, and the refresh-race rounds. The
//! histograms serialise in HdrHistogram's standard compressed form (V2 + DEFLATE, base64), so
//! shards merge exactly (`shard.rs`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};

use crate::check::{Failure, FailureKind};

/// The largest latency kept apart (1 hour, in µs); longer ones count as this.
const HIGHEST_US: u64 = 3_600_000_000;

/// Latencies in microseconds.
#[derive(Clone, Debug)]
pub struct Histogram {
    h: hdrhistogram::Histogram<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            h: hdrhistogram::Histogram::new_with_bounds(1, HIGHEST_US, 3)
                .expect("valid HdrHistogram bounds"),
        }
    }
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        self.h == other.h
    }
}

impl Eq for Histogram {}

/// A serialised histogram that does not read back.
#[derive(Debug, thiserror::Error)]
#[error("not an HdrHistogram (V2, base64): {0}")]
pub struct HistogramError(String);

impl Histogram {
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.record_us(us);
    }

    pub fn record_us(&mut self, us: u64) {
        self.h.saturating_record(us.min(HIGHEST_US));
    }

    pub fn merge(&mut self, other: &Histogram) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.h.add(&other.h);
    }

    pub fn count(&self) -> u64 {
        self.h.len()
    }

    /// The largest value recorded, to the histogram's precision.
    pub fn max_us(&self) -> u64 {
        self.h.max()
    }

    /// The `q` quantile (0 < q ≤ 1) in microseconds: the smallest recorded value such that at
    /// least `q` of all values are at or below it, to the histogram's precision (three
    /// significant digits: the highest value of its bucket).
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.h.is_empty() {
            return 0;
        }
        self.h.value_at_quantile(q).min(self.max_us())
    }

    /// HdrHistogram's standard compressed form (V2 + DEFLATE), base64: what other
    /// HdrHistogram implementations read.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::new();
        // Serialising into memory cannot fail for a histogram of u64 counts.
        let _ = V2DeflateSerializer::new().serialize(&self.h, &mut bytes);
        STANDARD.encode(bytes)
    }

    pub fn from_base64(text: &str) -> Result<Self, HistogramError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| HistogramError(e.to_string()))?;
        let read: hdrhistogram::Histogram<u64> = Deserializer::new()
            .deserialize(&mut std::io::Cursor::new(bytes))
            .map_err(|e| HistogramError(e.to_string()))?;
        let mut h = Histogram::default();
        h.h.add(&read)
            .map_err(|_| HistogramError("latencies beyond one hour".to_owned()))?;
        Ok(h)
    }
}

/// Counts of one request name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameStats {
    pub histogram: Histogram,
    pub failures: u64,
    /// Requests made to set a user up (log in, get a first token), not the measured operation.
    pub setup: bool,
}

/// One refresh-race round: how many users replayed the token, how many got tokens, and how
/// many distinct token pairs the winners got (a fingerprint of each pair, never the tokens).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RaceRound {
    pub participants: u64,
    pub winners: u64,
    pub pairs: std::collections::BTreeSet<u64>,
    /// Checked when the round closed: whether the replayed (rotated-out) refresh token still
    /// got tokens.
    pub old_works_after: Option<bool>,
    /// … and whether a winner's new refresh token still did, after the losers had replayed
    /// the old one.
    pub new_works_after: Option<bool>,
}

/// Everything measured so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub by_name: BTreeMap<String, NameStats>,
    /// Failure kind → (count, the first detail seen).
    pub failures: BTreeMap<FailureKind, (u64, String)>,
    pub race_rounds: BTreeMap<u64, RaceRound>,
    /// From the first request sent to the last answer received (measured requests only).
    pub measured_for: Duration,
    /// The same span in wall-clock time (µs since the Unix epoch), to merge shards' spans.
    pub window_unix_us: Option<(u64, u64)>,
}

impl Snapshot {
    /// Measured requests only (setup excluded).
    pub fn measured(&self) -> Histogram {
        let mut h = Histogram::default();
        for s in self.by_name.values().filter(|s| !s.setup) {
            h.merge(&s.histogram);
        }
        h
    }

    pub fn measured_failures(&self) -> u64 {
        self.by_name
            .values()
            .filter(|s| !s.setup)
            .map(|s| s.failures)
            .sum()
    }
}

#[derive(Default)]
struct Inner {
    snapshot: Snapshot,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Shared by every goose user of a run.
#[derive(Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
    requests: AtomicU64,
    failures: AtomicU64,
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one request that ended at `now`.
    pub fn record(
        &self,
        name: &str,
        setup: bool,
        elapsed: Duration,
        now: Instant,
        failure: Option<&Failure>,
    ) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if failure.is_some() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        let mut inner = self.lock();
        if !setup {
            let start = now.checked_sub(elapsed).unwrap_or(now);
            inner.first = Some(inner.first.map_or(start, |f| f.min(start)));
            inner.last = Some(inner.last.map_or(now, |l| l.max(now)));
        }
        let snap = &mut inner.snapshot;
        let stats = match snap.by_name.get_mut(name) {
            Some(s) => s,
            None => snap.by_name.entry(name.to_owned()).or_default(),
        };
        stats.setup = setup;
        stats.histogram.record(elapsed);
        if let Some(f) = failure {
            stats.failures += 1;
            snap.failures
                .entry(f.kind.clone())
                .or_insert_with(|| (0, f.detail.clone()))
                .0 += 1;
        }
    }

    /// Adds a replay's result to a refresh-race round.
    pub fn race(&self, round: u64, won: Option<(&str, Option<&str>)>) {
        let mut inner = self.lock();
        let r = inner.snapshot.race_rounds.entry(round).or_default();
        r.participants += 1;
        if let Some((access, refresh)) = won {
            use std::hash::{Hash as _, Hasher as _};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (access, refresh).hash(&mut h);
            r.winners += 1;
            r.pairs.insert(h.finish());
        }
    }

    /// What the checks after round `round` found.
    pub fn race_after(&self, round: u64, old_works: Option<bool>, new_works: Option<bool>) {
        let mut inner = self.lock();
        let r = inner.snapshot.race_rounds.entry(round).or_default();
        r.old_works_after = old_works;
        r.new_works_after = new_works;
    }

    /// How many replays round `round` of the refresh race has had.
    pub fn snapshot_race_participants(&self, round: u64) -> u64 {
        self.lock()
            .snapshot
            .race_rounds
            .get(&round)
            .map_or(0, |r| r.participants)
    }

    /// Requests and failures so far (for the progress line).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
        )
    }

    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        let mut s = inner.snapshot.clone();
        s.measured_for = match (inner.first, inner.last) {
            (Some(f), Some(l)) => l.saturating_duration_since(f),
            _ => Duration::ZERO,
        };
        s.window_unix_us = inner.first.zip(inner.last).map(|(f, l)| {
            let now = Instant::now();
            let wall = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            let at = |i: Instant| {
                let ago = now.saturating_duration_since(i);
                u64::try_from(wall.saturating_sub(ago).as_micros()).unwrap_or(u64::MAX)
            };
            (at(f), at(l))
        });
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut h = Histogram::default();
        for us in 1..=100 {
            h.record_us(us);
        }
        assert_eq!(h.quantile_us(0.5), 50);
        assert_eq!(h.quantile_us(0.95), 95);
        assert_eq!(h.quantile_us(0.99), 99);
        assert_eq!(h.quantile_us(1.0), 100);
        let mut h = Histogram::default();
        h.record_us(50_000);
        let q = h.quantile_us(0.5);
        // Three significant digits: within 0.1%.
        assert!((49_950..=50_050).contains(&q), "{q}");
        assert_eq!(Histogram::default().quantile_us(0.5), 0);
    }

    #[test]
    fn the_standard_serialised_form_reads_back_the_same() {
        let mut h = Histogram::default();
        for us in [3, 70, 1_500, 12_345, 987_654, 5_000_000_000] {
            h.record_us(us);
        }
        let text = h.to_base64();
        // V2 + DEFLATE's cookie, as every HdrHistogram implementation writes it.
        assert!(text.starts_with("HISTFAAA"), "{text}");
        let back = Histogram::from_base64(&text).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.count(), 6);
        assert_eq!(back.max_us(), h.max_us());
        assert!(Histogram::from_base64("not base64!").is_err());
    }
}
