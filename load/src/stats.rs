//! What a run measured: latencies in a log-linear histogram (exact below 2 ms, within 1%
//! above), counts and failures by request name and by kind, and the refresh-race rounds.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::check::{Failure, FailureKind};

const EXACT: u64 = 2048;
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;

/// Latencies in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    max_us: u64,
    sum_us: u64,
}

fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= 11
    let sub = (v >> (exp - SUB_BITS)) & (SUB - 1);
    (EXACT + u64::from(exp - 11) * SUB + sub) as usize
}

/// The smallest value of a bucket and the one after its end.
fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < EXACT {
        return (i, i + 1);
    }
    let exp = (i - EXACT) / SUB + 11;
    let sub = (i - EXACT) % SUB;
    let width = 1u64 << (exp - u64::from(SUB_BITS));
    let low = (1u64 << exp) + sub * width;
    (low, low + width)
}

impl Histogram {
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2);
        self.record_us(us);
    }

    pub fn record_us(&mut self, us: u64) {
        let i = index(us);
        if self.buckets.len() <= i {
            self.buckets.resize(i + 1, 0);
        }
        self.buckets[i] += 1;
        self.count += 1;
        self.max_us = self.max_us.max(us);
        self.sum_us = self.sum_us.saturating_add(us);
    }

    pub fn merge(&mut self, other: &Histogram) {
        if self.buckets.len() < other.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.max_us = self.max_us.max(other.max_us);
        self.sum_us = self.sum_us.saturating_add(other.sum_us);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn max_us(&self) -> u64 {
        self.max_us
    }

    /// The `q` quantile (0 < q ≤ 1) in microseconds: the smallest recorded value such that at
    /// least `q` of all values are at or below it (nearest rank), to the bucket's precision
    /// (the middle of its bucket, never above the maximum).
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let (lo, hi) = bounds(i);
                let mid = if hi - lo == 1 { lo } else { lo + (hi - lo) / 2 };
                return mid.min(self.max_us);
            }
        }
        self.max_us
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
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_precise() {
        let mut prev_end = 0;
        for i in 0..(EXACT as usize + 20 * SUB as usize) {
            let (lo, hi) = bounds(i);
            assert_eq!(lo, prev_end, "bucket {i}");
            assert_eq!(index(lo), i);
            assert_eq!(index(hi - 1), i);
            assert!((hi - lo) as f64 / lo.max(1) as f64 <= 1.0 / 64.0 || hi - lo == 1);
            prev_end = hi;
        }
    }

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
        assert!((49_500..=50_000).contains(&q), "{q}");
        assert_eq!(Histogram::default().quantile_us(0.5), 0);
    }
}
