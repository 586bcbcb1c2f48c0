//! A `cucumber::Writer` that turns cucumber's events into
//! [`ScenarioOutcome`]s, and optionally prints one progress line per
//! finished scenario on stderr.
//!
//! It works on unnormalized events (scenarios running concurrently
//! interleave): it keeps per-scenario state keyed by the scenario's
//! identity, and the events of one scenario always arrive in order.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cucumber::event::{self, Source, StepError};
use cucumber::{Event, Writer, cli, gherkin, parser, writer};

use crate::report::model::{
    self, Finding, Level, NotReached, ScenarioOutcome, StepOutcome, StepStatus, Verdict,
};
use crate::steps::{Skip, Spec, Unmet};

type Key = (
    Source<gherkin::Feature>,
    Option<Source<gherkin::Rule>>,
    Source<gherkin::Scenario>,
);

/// How the scenario went wrong, as decided by the first failing event.
#[derive(Debug)]
enum Resolution {
    /// The target or its profile does not offer what the scenario needs.
    Skip(NotReached),
    /// The scenario could not be set up (or the harness broke).
    Unmet(NotReached),
    /// The server broke the rule: a finding raised by a When or Then step.
    Failed(Finding),
}

/// What the `after` hook takes from a finished scenario's world: its
/// evidence and the controls it showed. Keyed like [`World::key`].
#[derive(Debug, Default)]
pub(crate) struct WorldSummary {
    pub evidence: Vec<String>,
    pub controls: Vec<String>,
}

/// What identifies a scenario between the `after` hook and the collector.
pub(crate) type WorldKey = (String, usize, usize, String);

/// The key of a scenario of a feature.
pub(crate) fn world_key(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> WorldKey {
    (
        feature
            .path
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        scenario.position.line,
        scenario.position.col,
        scenario.name.clone(),
    )
}

/// Filled by the runner's `after` hook, read by the collector.
pub(crate) type Summaries = Arc<Mutex<HashMap<WorldKey, WorldSummary>>>;

#[derive(Debug)]
struct Pending {
    started: Instant,
    steps: Vec<StepOutcome>,
    resolution: Option<Resolution>,
}

/// One finished scenario, with what is needed to order it.
#[derive(Debug)]
pub(crate) struct Finished {
    pub outcome: ScenarioOutcome,
    /// `(feature path, line)` for a stable order.
    pub order: (String, usize),
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pending: HashMap<Key, Pending>,
    pub finished: Vec<Finished>,
    pub parse_errors: Vec<String>,
}

/// The collecting writer. Clone the [`Collector::state`] handle before
/// handing the writer to cucumber to read the outcomes afterwards.
#[derive(Debug)]
pub struct Collector {
    state: Arc<Mutex<State>>,
    summaries: Summaries,
    progress: Option<Arc<Tally>>,
}

/// What the progress lines count over the whole run (every batch): scenarios done out
/// of the total selected, and how many of them failed so far.
#[derive(Debug)]
pub(crate) struct Tally {
    total: usize,
    done: std::sync::atomic::AtomicUsize,
    failing: std::sync::atomic::AtomicUsize,
}

impl Tally {
    pub(crate) fn new(total: usize) -> Arc<Self> {
        Arc::new(Tally {
            total,
            done: 0.into(),
            failing: 0.into(),
        })
    }
}

impl Collector {
    /// `progress`: print a line per finished scenario on stderr, counted by the tally.
    pub(crate) fn new(progress: Option<Arc<Tally>>, summaries: Summaries) -> Self {
        Collector {
            state: Arc::default(),
            summaries,
            progress,
        }
    }

    pub(crate) fn state(&self) -> Arc<Mutex<State>> {
        Arc::clone(&self.state)
    }
}

// Scenario state is keyed per scenario, so the interleaving of concurrent
// scenarios does not matter: the collector is order-independent.
impl writer::Normalized for Collector {}

impl Writer<Spec> for Collector {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<event::Cucumber<Spec>>>,
        _cli: &Self::Cli,
    ) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let ev = match event {
            Ok(ev) => ev.into_inner(),
            Err(e) => {
                state.parse_errors.push(e.to_string());
                return;
            }
        };
        let (feature, rule, scenario, ev) = match ev {
            event::Cucumber::Feature(f, event::Feature::Scenario(sc, ev)) => (f, None, sc, ev),
            event::Cucumber::Feature(f, event::Feature::Rule(r, event::Rule::Scenario(sc, ev))) => {
                (f, Some(r), sc, ev)
            }
            // Parser errors themselves arrive as `Err` events above.
            _ => return,
        };
        let key: Key = (feature.clone(), rule.clone(), scenario.clone());
        match ev.event {
            event::Scenario::Started => {
                state.pending.insert(
                    key,
                    Pending {
                        started: Instant::now(),
                        steps: Vec::new(),
                        resolution: None,
                    },
                );
            }
            event::Scenario::Step(step, st) | event::Scenario::Background(step, st) => {
                let pending = state.pending.entry(key).or_insert_with(|| Pending {
                    started: Instant::now(),
                    steps: Vec::new(),
                    resolution: None,
                });
                on_step(pending, &step, st);
            }
            event::Scenario::Hook(ty, event::Hook::Failed(_world, info)) => {
                let pending = state.pending.entry(key).or_insert_with(|| Pending {
                    started: Instant::now(),
                    steps: Vec::new(),
                    resolution: None,
                });
                resolve(
                    pending,
                    harness_bug(format!(
                        "the harness's {ty} hook failed: {}",
                        panic_message(info.as_ref())
                    )),
                );
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
            event::Scenario::Finished => {
                let pending = state.pending.remove(&key).unwrap_or(Pending {
                    started: Instant::now(),
                    steps: Vec::new(),
                    resolution: None,
                });
                let summary = self
                    .summaries
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&world_key(&feature, &scenario))
                    .unwrap_or_default();
                let done = finish(&feature, rule.as_deref(), &scenario, pending, summary);
                if let Some(tally) = &self.progress {
                    progress_line(tally, &done.outcome);
                }
                state.finished.push(done);
            }
        }
    }
}

fn on_step(pending: &mut Pending, step: &gherkin::Step, ev: event::Step<Spec>) {
    let status = match ev {
        event::Step::Started => return,
        event::Step::Passed(..) => StepStatus::Passed,
        // Without `fail_on_skipped` cucumber reports an undefined step as
        // "skipped"; either way it is a harness bug.
        event::Step::Skipped => {
            resolve(pending, undefined(step));
            StepStatus::Undefined
        }
        event::Step::Failed(_, _, _world, err) => match err {
            StepError::NotFound => {
                resolve(pending, undefined(step));
                StepStatus::Undefined
            }
            StepError::AmbiguousMatch(e) => {
                resolve(
                    pending,
                    harness_bug(format!(
                        "the step `{}` matches more than one definition: {e}",
                        step.value
                    )),
                );
                StepStatus::Failed
            }
            StepError::Panic(info) => {
                if let Some(Skip { reason, fix }) = info.downcast_ref::<Skip>() {
                    resolve(
                        pending,
                        Resolution::Skip(NotReached {
                            reason: reason.clone(),
                            fix: fix.clone(),
                        }),
                    );
                    StepStatus::Skipped
                } else if let Some(Unmet { reason, fix }) = info.downcast_ref::<Unmet>() {
                    resolve(
                        pending,
                        Resolution::Unmet(NotReached {
                            reason: reason.clone(),
                            fix: fix.clone(),
                        }),
                    );
                    StepStatus::Failed
                } else if let Some(f) = info.downcast_ref::<Finding>() {
                    // Setup is not assertion: a Given step establishes a
                    // precondition, so whatever it found, the scenario
                    // never reached its rule.
                    let r = if step.ty == gherkin::StepType::Given {
                        Resolution::Unmet(NotReached {
                            reason: format!("a precondition did not hold: {f}"),
                            fix: None,
                        })
                    } else {
                        Resolution::Failed(f.clone())
                    };
                    resolve(pending, r);
                    StepStatus::Failed
                } else {
                    resolve(
                        pending,
                        harness_bug(format!(
                            "the step `{} {}` panicked: {}",
                            step.keyword.trim(),
                            step.value,
                            panic_message(info.as_ref())
                        )),
                    );
                    StepStatus::Failed
                }
            }
        },
    };
    pending.steps.push(StepOutcome {
        keyword: step.keyword.trim().to_owned(),
        text: step.value.clone(),
        status,
    });
}

fn harness_bug(what: String) -> Resolution {
    Resolution::Unmet(NotReached {
        reason: format!("harness bug: {what}"),
        fix: Some("report it to the oauthspec project".into()),
    })
}

fn undefined(step: &gherkin::Step) -> Resolution {
    harness_bug(format!(
        "no step definition matches `{} {}`",
        step.keyword.trim(),
        step.value
    ))
}

fn resolve(pending: &mut Pending, r: Resolution) {
    if pending.resolution.is_none() {
        pending.resolution = Some(r);
    }
}

fn panic_message(info: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = info.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = info.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "the step panicked with a non-text payload".to_owned()
    }
}

fn finish(
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
    mut pending: Pending,
    summary: WorldSummary,
) -> Finished {
    let duration: Duration = pending.started.elapsed();

    add_not_run(feature, rule, scenario, &mut pending.steps);
    let tags = tags_of(feature, rule, scenario);
    // A scenario with no level tag is held to MUST: better a loud FAIL than
    // a quiet WARN.
    let level = model::level_from_tags(&tags).unwrap_or(Level::Must);
    let sources = model::sources_from_tags(&tags);
    let area = super::features::area_of(feature);
    let (verdict, finding, not_reached) = judge(pending.resolution, level);
    let finding = finding.map(Finding::bounded);
    let not_reached = not_reached.map(NotReached::bounded);
    let controls: Vec<String> = summary
        .controls
        .into_iter()
        .map(|c| model::bounded(c, model::KEPT_TEXT))
        .collect();
    let kind = finding.as_ref().map(|f| f.kind);

    let id = format!("{area}/{}", model::slug(&scenario.name));
    let order = (
        feature
            .path
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        scenario.position.line,
    );
    Finished {
        outcome: ScenarioOutcome {
            id,
            area,
            feature: feature.name.clone(),
            scenario: scenario.name.clone(),
            level,
            sources,
            tags,
            verdict,
            rule: scenario
                .description
                .as_deref()
                .map(rule_text)
                .unwrap_or_default(),
            kind,
            finding,
            not_reached,
            controls,
            duration,
            steps: pending.steps,
            evidence: summary.evidence,
        },
        order,
    }
}

/// Steps cucumber never started (after a failure or skip) are "not run".
fn add_not_run(
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
    steps: &mut Vec<StepOutcome>,
) {
    let all_steps: Vec<&gherkin::Step> = feature
        .background
        .iter()
        .flat_map(|b| b.steps.iter())
        .chain(
            rule.and_then(|r| r.background.as_ref())
                .into_iter()
                .flat_map(|b| b.steps.iter()),
        )
        .chain(scenario.steps.iter())
        .collect();
    for st in all_steps.iter().skip(steps.len()) {
        steps.push(StepOutcome {
            keyword: st.keyword.trim().to_owned(),
            text: st.value.clone(),
            status: StepStatus::NotRun,
        });
    }
}

/// The tags of a scenario with its rule's and feature's, without `@`, each
/// once.
fn tags_of(
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in feature
        .tags
        .iter()
        .chain(rule.into_iter().flat_map(|r| r.tags.iter()))
        .chain(scenario.tags.iter())
    {
        let t = t.trim_start_matches('@').to_owned();
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

/// The verdict of how a scenario ended, by its level: a finding is a FAIL
/// for MUST, a WARN for SHOULD, a SKIP for MAY.
fn judge(
    resolution: Option<Resolution>,
    level: Level,
) -> (Verdict, Option<Finding>, Option<NotReached>) {
    match resolution {
        None => (Verdict::Pass, None, None),
        Some(Resolution::Skip(n)) => (Verdict::Skip, None, Some(n)),
        Some(Resolution::Unmet(n)) => (Verdict::Error, None, Some(n)),
        Some(Resolution::Failed(finding)) => match level {
            Level::Must => (Verdict::Fail, Some(finding), None),
            Level::Should => (Verdict::Warn, Some(finding), None),
            // A MAY never warns: what the server left out is optional.
            Level::May => (
                Verdict::Skip,
                None,
                Some(NotReached {
                    reason: format!(
                        "the server does not offer this optional (MAY) behaviour: {finding}"
                    ),
                    fix: None,
                }),
            ),
        },
    }
}

/// A scenario's description as one paragraph per sentence group: the
/// quoted rule, its "Level:" line when it has one, then its "Accepted:"
/// line.
fn rule_text(description: &str) -> String {
    let mut out = String::new();
    for line in description.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push(
                if line.starts_with("Accepted:") || line.starts_with("Level:") {
                    '\n'
                } else {
                    ' '
                },
            );
        }
        out.push_str(line);
    }
    out
}

/// Prints the progress line of a finished scenario on stderr.
fn progress_line(tally: &Tally, o: &ScenarioOutcome) {
    let line = progress_text(tally, o);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `[ 12/240, 1 failing] FAIL  pkce/… (the requirement)`, counting `o` in.
fn progress_text(tally: &Tally, o: &ScenarioOutcome) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let done = tally.done.fetch_add(1, Relaxed) + 1;
    let failing = if o.verdict == crate::report::Verdict::Fail {
        tally.failing.fetch_add(1, Relaxed) + 1
    } else {
        tally.failing.load(Relaxed)
    };
    let detail = match (&o.finding, o.reason()) {
        (Some(f), _) => format!("  ({})", f.requirement),
        (None, Some(r)) => format!("  ({r})"),
        _ => String::new(),
    };
    let width = tally.total.to_string().len();
    format!(
        "[{done:>width$}/{}, {failing} failing] {:<5} {}{detail}",
        tally.total,
        o.verdict.as_str(),
        o.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &str, verdict: &str, finding: Option<&str>) -> ScenarioOutcome {
        serde_json::from_value(serde_json::json!({
            "id": id, "area": "pkce", "feature": "f", "scenario": "s", "level": "must",
            "sources": [], "tags": [], "verdict": verdict, "kind": null,
            "finding": finding.map(|r| serde_json::json!({
                "requirement": r, "expected": "e", "actual": "a"
            })),
            "duration_secs": 0.1, "steps": [], "evidence": [],
        }))
        .unwrap()
    }

    #[test]
    fn progress_lines_count_done_of_total_and_failures_so_far() {
        let tally = Tally::new(120);
        let a = progress_text(&tally, &outcome("pkce/a", "pass", None));
        assert_eq!(a, "[  1/120, 0 failing] PASS  pkce/a");
        let b = progress_text(&tally, &outcome("pkce/b", "fail", Some("a rule")));
        assert_eq!(b, "[  2/120, 1 failing] FAIL  pkce/b  (a rule)");
        let c = progress_text(&tally, &outcome("pkce/c", "warn", Some("another")));
        assert_eq!(c, "[  3/120, 1 failing] WARN  pkce/c  (another)");
    }
}
