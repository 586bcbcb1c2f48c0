//! `summary.md`: what a run measured, next to the load generator's own ceiling measured in
//! the same run, the failures by kind, and the thresholds' verdicts.

use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::{Histogram, Snapshot};
use crate::threshold::{Measured, Threshold, Verdict, format_us};

/// A run at this share of the generator's own ceiling (percent) or more is generator-bound.
pub const GENERATOR_BOUND: f64 = 80.0;

/// One side of a run (the profile, or the baseline) reduced to figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub requests: u64,
    pub failures: u64,
    pub seconds: f64,
    pub measured: Measured,
}

fn per_second(count: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { count as f64 / s } else { 0.0 }
}

fn measured_of(h: &Histogram, failures: u64, d: Duration) -> Measured {
    let n = h.count();
    Measured {
        p50_us: h.quantile_us(0.50),
        p90_us: h.quantile_us(0.90),
        p95_us: h.quantile_us(0.95),
        p99_us: h.quantile_us(0.99),
        max_us: h.max_us(),
        error_rate_percent: if n == 0 {
            0.0
        } else {
            failures as f64 * 100.0 / n as f64
        },
        rps: per_second(n, d),
    }
}

impl Figures {
    /// The measured (non-setup) requests of a snapshot.
    pub fn of(s: &Snapshot) -> Self {
        let h = s.measured();
        let failures = s.measured_failures();
        Figures {
            requests: h.count(),
            failures,
            seconds: s.measured_for.as_secs_f64(),
            measured: measured_of(&h, failures, s.measured_for),
        }
    }
}

/// Everything `summary.md` shows.
#[derive(Clone, Debug)]
pub struct Summary {
    pub profile: String,
    pub target: String,
    /// RFC 3339, UTC.
    pub started: String,
    pub users: usize,
    pub run_time: Duration,
    pub snapshot: Snapshot,
    /// The generator's own ceiling measured in the same run, and what it requested.
    pub baseline: Option<(String, Snapshot)>,
    /// Why there is no baseline, when there is none.
    pub baseline_missing: Option<String>,
    pub verdicts: Vec<Verdict>,
    /// Lines about the target (e.g. the server's memory), shown as they are.
    pub notes: Vec<String>,
    /// Files written next to the summary.
    pub files: Vec<String>,
    /// Stopped with Ctrl-C before the run time was over.
    pub interrupted: bool,
}

impl Summary {
    pub fn figures(&self) -> Figures {
        Figures::of(&self.snapshot)
    }

    /// Refresh-race rounds with at least two replays, and those with a winner count other
    /// than exactly one.
    pub fn race_violations(&self) -> (u64, u64) {
        let races = self
            .snapshot
            .race_rounds
            .values()
            .filter(|r| r.participants >= 2);
        let (mut n, mut bad) = (0, 0);
        for r in races {
            n += 1;
            if r.winners > 1 {
                bad += 1;
            }
        }
        (n, bad)
    }

    /// Evaluates thresholds on the measured figures.
    pub fn evaluate(thresholds: &[Threshold], figures: &Figures) -> Vec<Verdict> {
        thresholds
            .iter()
            .map(|t| t.evaluate(&figures.measured))
            .collect()
    }

    /// Of the rounds with more than one winner: those that minted several distinct token
    /// pairs, and those that handed every winner the same pair.
    pub fn race_minting(&self) -> (u64, u64) {
        let bad = self
            .snapshot
            .race_rounds
            .values()
            .filter(|r| r.participants >= 2 && r.winners > 1);
        let (mut minted, mut shared) = (0, 0);
        for r in bad {
            if r.pairs.len() > 1 {
                minted += 1;
            } else {
                shared += 1;
            }
        }
        (minted, shared)
    }

    /// Of the rounds checked after they closed: those whose replayed refresh token still got
    /// tokens, those whose winner's new token still did, and how many were checked.
    pub fn race_after(&self) -> (u64, u64, u64) {
        let checked = self
            .snapshot
            .race_rounds
            .values()
            .filter(|r| r.participants >= 2 && r.old_works_after.is_some());
        let (mut old, mut new, mut n) = (0, 0, 0);
        for r in checked {
            n += 1;
            old += u64::from(r.old_works_after == Some(true));
            new += u64::from(r.new_works_after == Some(true));
        }
        (old, new, n)
    }

    /// This run's rate as a share (percent) of the generator's own ceiling, when measured.
    pub fn ceiling_share(&self) -> Option<f64> {
        let (_, b) = self.baseline.as_ref()?;
        let ceiling = Figures::of(b).measured.rps;
        (ceiling > 0.0).then(|| self.figures().measured.rps * 100.0 / ceiling)
    }

    /// Why the run failed, one line per reason (none when it passed).
    pub fn why_failed(&self) -> Vec<String> {
        let mut why: Vec<String> = self
            .verdicts
            .iter()
            .filter(|v| !v.passed)
            .map(|v| {
                format!(
                    "threshold `{}` missed: measured {}",
                    v.threshold.text, v.measured
                )
            })
            .collect();
        let (races, bad) = self.race_violations();
        if bad > 0 {
            let (minted, shared) = self.race_minting();
            why.push(format!(
                "refresh race: {bad} of {races} rounds had more than one winner ({minted} minted several token pairs, {shared} gave every winner the same pair)"
            ));
        }
        why
    }

    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed) && self.race_violations().1 == 0
    }

    pub fn render(&self) -> String {
        let mut o = String::new();
        let f = self.figures();
        let _ = writeln!(o, "# oauthspec load: {}\n", self.profile);
        let _ = writeln!(o, "- target: {}", self.target);
        let _ = writeln!(o, "- started: {}", self.started);
        let _ = writeln!(
            o,
            "- users: {}, run time: {} s{}",
            self.users,
            self.run_time.as_secs(),
            if self.interrupted {
                " (interrupted with Ctrl-C: the figures cover the time it ran)"
            } else {
                ""
            }
        );
        for n in &self.notes {
            let _ = writeln!(o, "- {n}");
        }
        let verdict = if self.interrupted {
            "INTERRUPTED"
        } else if self.passed() {
            "PASS"
        } else {
            "FAIL"
        };
        let _ = writeln!(
            o,
            "\n**{verdict}**: {:.1} req/s over {:.2} s, {} requests, {} failed ({:.3}%), p50 {}, p95 {}, p99 {}\n",
            f.measured.rps,
            f.seconds,
            f.requests,
            f.failures,
            f.measured.error_rate_percent,
            format_us(f.measured.p50_us),
            format_us(f.measured.p95_us),
            format_us(f.measured.p99_us)
        );
        for why in self.why_failed() {
            let _ = writeln!(o, "- {why}");
        }
        if let Some(share) = self.ceiling_share().filter(|s| *s >= GENERATOR_BOUND) {
            let _ = writeln!(
                o,
                "- generator-bound: {share:.1}% of the generator's own ceiling (see below)"
            );
        }
        if !self.passed() || self.ceiling_share().is_some_and(|s| s >= GENERATOR_BOUND) {
            o.push('\n');
        }

        o.push_str("## Requests\n\n");
        o.push_str("| request | count | req/s | p50 | p95 | p99 | max | failed |\n");
        o.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (name, s) in self.snapshot.by_name.iter().filter(|(_, s)| !s.setup) {
            row(
                &mut o,
                name,
                &s.histogram,
                s.failures,
                self.snapshot.measured_for,
            );
        }
        row(
            &mut o,
            "**all measured**",
            &self.snapshot.measured(),
            f.failures,
            self.snapshot.measured_for,
        );
        let setup: Vec<_> = self
            .snapshot
            .by_name
            .iter()
            .filter(|(_, s)| s.setup)
            .collect();
        if !setup.is_empty() {
            o.push_str("\nSetup requests (logging users in, first tokens), not counted above:\n\n");
            o.push_str("| request | count | p50 | p95 | failed |\n|---|---:|---:|---:|---:|\n");
            for (name, s) in setup {
                let h = &s.histogram;
                let _ = writeln!(
                    o,
                    "| {name} | {} | {} | {} | {} |",
                    h.count(),
                    format_us(h.quantile_us(0.5)),
                    format_us(h.quantile_us(0.95)),
                    s.failures
                );
            }
        }

        o.push_str("\n## Load generator ceiling\n\n");
        match &self.baseline {
            Some((what, b)) => {
                let bf = Figures::of(b);
                let share = if bf.measured.rps > 0.0 {
                    f.measured.rps * 100.0 / bf.measured.rps
                } else {
                    0.0
                };
                let _ = writeln!(
                    o,
                    "The same users against `{what}`, a loopback endpoint the generator serves itself (no target in it), \
                     right after, in the same run, through the same HTTP client: {:.1} req/s, p50 {}, p95 {}, {} failed.\n\
                     This run reached **{share:.1}%** of that ceiling.",
                    bf.measured.rps,
                    format_us(bf.measured.p50_us),
                    format_us(bf.measured.p95_us),
                    bf.failures
                );
                if share >= GENERATOR_BOUND {
                    o.push_str(
                        "\n**Generator-bound**: within 20% of the generator's own ceiling, the figure says more about \
                         the generator (and the machine it shares with the server) than about the server.\n",
                    );
                }
            }
            None => {
                let _ = writeln!(
                    o,
                    "Not measured: {}.",
                    self.baseline_missing.as_deref().unwrap_or("no baseline")
                );
            }
        }

        o.push_str("\n## Failures by kind\n\n");
        if self.snapshot.failures.is_empty() {
            o.push_str("None: every answer was a valid success.\n");
        } else {
            o.push_str("| kind | count | first seen |\n|---|---:|---|\n");
            for (kind, (n, detail)) in &self.snapshot.failures {
                let _ = writeln!(o, "| {kind} | {n} | {} |", detail.replace('|', "\\|"));
            }
        }

        if !self.snapshot.race_rounds.is_empty() {
            let (races, bad) = self.race_violations();
            let rounds = &self.snapshot.race_rounds;
            let one = rounds
                .values()
                .filter(|r| r.participants >= 2 && r.winners == 1)
                .count();
            let none = rounds
                .values()
                .filter(|r| r.participants >= 2 && r.winners == 0)
                .count();
            let winners: u64 = rounds
                .values()
                .filter(|r| r.participants >= 2)
                .map(|r| r.winners)
                .sum();
            let replays: u64 = rounds
                .values()
                .filter(|r| r.participants >= 2)
                .map(|r| r.participants)
                .sum();
            o.push_str("\n## Refresh race (RFC 9700 §4.14.2: a refresh token is used once)\n\n");
            let _ = writeln!(
                o,
                "{races} rounds in which users replayed one refresh token at once: {replays} replays in all, {winners} of them got tokens.\n\n\
                 | winners in a round | rounds |\n|---|---:|\n| exactly one | {one} |\n| more than one | {bad} |\n| none | {none} |"
            );
            if bad > 0 {
                let (minted, shared) = self.race_minting();
                let _ = writeln!(
                    o,
                    "\nMore than one replay of one refresh token got tokens: the server does not use refresh tokens once. \
                     Of those {bad} rounds, {minted} minted more than one token pair (each winner its own), and {shared} handed \
                     every winner the same pair (one pair minted, but whoever races the client gets it too)."
                );
            }
            let (old, new, checked) = self.race_after();
            if checked > 0 {
                let _ = writeln!(
                    o,
                    concat!(
                        "\nAfter each round (checked for {checked}, outside the figures above: two more ",
                        "requests per round): the replayed refresh token still got tokens in {old} rounds, ",
                        "and a winner's new refresh token still got tokens in {new} rounds although the ",
                        "others had replayed the old one. With refresh token rotation, which RFC 9700 §2.2.2 ",
                        "requires of public clients, \"The previous refresh token is invalidated\" and the ",
                        "server \"will revoke the active refresh token\" when an invalidated one is replayed ",
                        "(§4.14.2): {verdict}. This load used a confidential client, for which the RFC asks neither, ",
                        "so neither fails the run; `oauthspec check` judges both for a public client (refresh area)."
                    ),
                    checked = checked,
                    old = old,
                    new = new,
                    verdict = if old == 0 && new == 0 {
                        "this server did both every time".to_owned()
                    } else {
                        format!(
                            "here the old token still worked in {old} and the new one in {new} of {checked} rounds, so whoever wins a race against the client keeps a working token"
                        )
                    }
                );
            }
        }

        if !self.verdicts.is_empty() {
            o.push_str("\n## Thresholds\n\n| threshold | measured | verdict |\n|---|---:|---|\n");
            for v in &self.verdicts {
                let _ = writeln!(
                    o,
                    "| `{}` | {} | {} |",
                    v.threshold.text,
                    v.measured,
                    if v.passed { "pass" } else { "MISSED" }
                );
            }
        }
        if !self.files.is_empty() {
            o.push_str("\n## Files\n\n");
            for file in &self.files {
                let _ = writeln!(o, "- {file}");
            }
        }
        o
    }
}

fn row(o: &mut String, name: &str, h: &Histogram, failures: u64, d: Duration) {
    let _ = writeln!(
        o,
        "| {name} | {} | {:.1} | {} | {} | {} | {} | {failures} |",
        h.count(),
        per_second(h.count(), d),
        format_us(h.quantile_us(0.50)),
        format_us(h.quantile_us(0.95)),
        format_us(h.quantile_us(0.99)),
        format_us(h.max_us()),
    );
}
