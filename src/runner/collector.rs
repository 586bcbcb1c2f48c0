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
    self, Finding, FindingKind, Level, ScenarioOutcome, StepOutcome, StepStatus, Verdict,
};
use crate::steps::{Skip, Spec};

type Key = (
    Source<gherkin::Feature>,
    Option<Source<gherkin::Rule>>,
    Source<gherkin::Scenario>,
);

/// How the scenario went wrong, as decided by the first failing event.
#[derive(Debug)]
enum Resolution {
    Skip {
        reason: String,
        evidence: Vec<String>,
    },
    Failed {
        finding: Finding,
        evidence: Vec<String>,
        harness_bug: bool,
    },
}

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
    progress: bool,
}

impl Collector {
    pub(crate) fn new(progress: bool) -> Self {
        Collector {
            state: Arc::default(),
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
            event::Scenario::Hook(ty, event::Hook::Failed(world, info)) => {
                let pending = state.pending.entry(key).or_insert_with(|| Pending {
                    started: Instant::now(),
                    steps: Vec::new(),
                    resolution: None,
                });
                if pending.resolution.is_none() {
                    pending.resolution = Some(Resolution::Failed {
                        finding: Finding::new(
                            format!("the harness's {ty} hook completes (harness bug)"),
                            "the hook to complete",
                            panic_message(info.as_ref()),
                        ),
                        evidence: world.map(|w| w.collected_evidence()).unwrap_or_default(),
                        harness_bug: true,
                    });
                }
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
            event::Scenario::Finished => {
                let pending = state.pending.remove(&key).unwrap_or(Pending {
                    started: Instant::now(),
                    steps: Vec::new(),
                    resolution: None,
                });
                let done = finish(&feature, rule.as_deref(), &scenario, pending);
                if self.progress {
                    progress_line(&done.outcome);
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
        event::Step::Failed(_, _, world, err) => {
            let evidence = world
                .as_ref()
                .map(|w| w.collected_evidence())
                .unwrap_or_default();
            match err {
                StepError::NotFound => {
                    resolve(pending, undefined(step));
                    StepStatus::Undefined
                }
                StepError::AmbiguousMatch(e) => {
                    resolve(
                        pending,
                        Resolution::Failed {
                            finding: Finding::new(
                                "every step matches exactly one definition (harness bug)",
                                format!("one definition for `{}`", step.value),
                                e.to_string(),
                            ),
                            evidence,
                            harness_bug: true,
                        },
                    );
                    StepStatus::Failed
                }
                StepError::Panic(info) => {
                    if let Some(Skip(reason)) = info.downcast_ref::<Skip>() {
                        resolve(
                            pending,
                            Resolution::Skip {
                                reason: reason.clone(),
                                evidence,
                            },
                        );
                        StepStatus::Skipped
                    } else if let Some(f) = info.downcast_ref::<Finding>() {
                        resolve(
                            pending,
                            Resolution::Failed {
                                finding: f.clone(),
                                evidence,
                                harness_bug: false,
                            },
                        );
                        StepStatus::Failed
                    } else {
                        let finding = Finding::new(
                            format!("the step `{} {}` succeeds", step.keyword.trim(), step.value),
                            "the step to succeed",
                            panic_message(info.as_ref()),
                        );
                        resolve(
                            pending,
                            Resolution::Failed {
                                finding,
                                evidence,
                                harness_bug: false,
                            },
                        );
                        StepStatus::Failed
                    }
                }
            }
        }
    };
    pending.steps.push(StepOutcome {
        keyword: step.keyword.trim().to_owned(),
        text: step.value.clone(),
        status,
    });
}

fn undefined(step: &gherkin::Step) -> Resolution {
    Resolution::Failed {
        finding: Finding::new(
            "every step of the spec has a definition (harness bug)",
            format!(
                "a step definition matching `{} {}`",
                step.keyword.trim(),
                step.value
            ),
            "no matching step definition",
        ),
        evidence: Vec::new(),
        harness_bug: true,
    }
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
) -> Finished {
    let duration: Duration = pending.started.elapsed();

    // Steps cucumber never started (after a failure or skip) are "not run".
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
    for st in all_steps.iter().skip(pending.steps.len()) {
        pending.steps.push(StepOutcome {
            keyword: st.keyword.trim().to_owned(),
            text: st.value.clone(),
            status: StepStatus::NotRun,
        });
    }

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
    // A scenario with no level tag is held to MUST: better a loud FAIL than
    // a quiet WARN.
    let level = model::level_from_tags(&tags).unwrap_or(Level::Must);
    let sources = model::sources_from_tags(&tags);
    let area = super::features::area_of(feature);

    let (verdict, kind, finding, skip_reason, evidence) = match pending.resolution {
        None => (Verdict::Pass, None, None, None, Vec::new()),
        Some(Resolution::Skip { reason, evidence }) => {
            (Verdict::Skip, None, None, Some(reason), evidence)
        }
        Some(Resolution::Failed {
            finding,
            evidence,
            harness_bug,
        }) => {
            let verdict = if harness_bug || level == Level::Must {
                Verdict::Fail
            } else {
                Verdict::Warn
            };
            let kind: FindingKind = if harness_bug {
                FindingKind::Behaviour
            } else {
                model::kind_from_tags(&tags, Some(&finding))
            };
            (verdict, Some(kind), Some(finding), None, evidence)
        }
    };

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
            kind,
            finding,
            skip_reason,
            duration,
            steps: pending.steps,
            evidence,
        },
        order,
    }
}

fn progress_line(o: &ScenarioOutcome) {
    let detail = match (&o.finding, &o.skip_reason) {
        (Some(f), _) => format!("  ({})", f.requirement),
        (None, Some(r)) => format!("  ({r})"),
        _ => String::new(),
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{:<4} {}{detail}", o.verdict.as_str(), o.id);
}
