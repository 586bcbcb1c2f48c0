//! Runs the spec's `.feature` files with cucumber-rs against one target and
//! collects a [`RunReport`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), oauthspec::runner::RunError> {
//! use std::sync::Arc;
//! use oauthspec::runner::{self, FeatureSource, RunContext, RunOptions};
//!
//! let ctx = Arc::new(RunContext::new("reference", "http://127.0.0.1:8080"));
//! let report = runner::run(FeatureSource::Embedded, ctx, Some("@must".into()), &RunOptions::default()).await?;
//! std::process::exit(report.exit_code(false).into());
//! # }
//! ```

pub mod collector;
pub mod features;

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use cucumber::{World as _, WriterExt as _, cli, gherkin, parser};
use futures::stream;

pub use crate::context::RunContext;
pub use features::FeatureSource;

use crate::report::model::{self, RunReport, SCHEMA_VERSION};
use crate::steps::Spec;
use collector::Collector;

/// Why a run could not produce a report. Each is a harness or usage problem,
/// never a verdict on the target.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--tags` is not a valid cucumber tag expression.
    #[error("invalid tag expression {expr:?}: {message}")]
    BadTags { expr: String, message: String },
    /// A features directory or file could not be read.
    #[error("cannot read features at {path}: {source}")]
    FeaturesDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No `.feature` file was found.
    #[error("no .feature files in {place}")]
    NoFeatures { place: String },
    /// A feature file is not valid Gherkin.
    #[error("cannot parse {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// The tag expression selected no scenario (a typo must not pass CI).
    #[error("the tag expression {tags:?} selects no scenario")]
    NoScenarios { tags: String },
    /// The whole run took longer than [`RunOptions::run_timeout`].
    #[error("the run did not finish within {0:?}")]
    TimedOut(Duration),
}

/// Whether to print one line per finished scenario on stderr (done/total, failures so far).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// Only when stderr is a terminal and the `CI` variable is not set, so CI logs stay clean.
    #[default]
    Auto,
    Always,
    Never,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Scenarios in flight at once (they mostly wait on HTTP). Scenarios
    /// tagged `@serial` run alone.
    pub max_concurrent_scenarios: usize,
    /// A limit on the whole run; `None` for none. Steps have their own
    /// limit through [`crate::steps::with_timeout`].
    pub run_timeout: Option<Duration>,
    pub progress: Progress,
    /// Written into the report.
    pub tool_version: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_concurrent_scenarios: 8,
            run_timeout: Some(Duration::from_secs(30 * 60)),
            progress: Progress::Auto,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// A cucumber parser that hands over features already parsed (and filtered)
/// by [`features::load`].
struct Preparsed;

impl parser::Parser<Vec<gherkin::Feature>> for Preparsed {
    type Cli = cli::Empty;
    type Output = stream::Iter<std::vec::IntoIter<parser::Result<gherkin::Feature>>>;

    fn parse(self, input: Vec<gherkin::Feature>, _cli: Self::Cli) -> Self::Output {
        stream::iter(input.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// Runs the scenarios of `features` selected by the tag expression `tags`
/// (cucumber syntax, e.g. `@must and not @slow`; `None` runs all) against
/// the target in `ctx`, and returns what came of each.
///
/// Must be awaited inside a tokio runtime (steps use tokio's timers and
/// I/O). The future is not `Send`: await it directly, not in `tokio::spawn`.
/// Keeps the default panic hook quiet for the typed payloads steps end
/// with ([`crate::steps::Skip`], [`crate::steps::Finding`]): they are
/// verdicts, not crashes. Any other panic is still printed.
fn quiet_step_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            if payload.is::<crate::steps::Skip>()
                || payload.is::<crate::steps::Unmet>()
                || payload.is::<crate::steps::Finding>()
            {
                return;
            }
            previous(info);
        }));
    });
}

pub async fn run(
    features: FeatureSource,
    ctx: Arc<RunContext>,
    tags: Option<String>,
    options: &RunOptions,
) -> Result<RunReport, RunError> {
    quiet_step_panics();
    let tag_op = match tags.as_deref().map(str::trim) {
        Some(expr) if !expr.is_empty() => Some(features::parse_tags(expr)?),
        _ => None,
    };
    let mut parsed = features::load(&features)?;
    let selected = features::filter(&mut parsed, tag_op.as_ref());
    if selected == 0 {
        return Err(RunError::NoScenarios {
            tags: tags.unwrap_or_default(),
        });
    }

    let progress = match options.progress {
        Progress::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("CI").is_none_or(|v| v.is_empty())
        }
        Progress::Always => true,
        Progress::Never => false,
    };
    let progress = progress.then(|| collector::Tally::new(selected));
    let started_at = model::rfc3339(SystemTime::now());
    let clock = Instant::now();

    // cucumber 0.23's `@serial` does not wait for concurrent scenarios that
    // are already running, and serial scenarios move shared state (the
    // target's clock): so they run in a second phase, one at a time.
    let serial_tag = features::parse_tags("@serial")?;
    let mut serial = parsed.clone();
    let serial_count = features::filter(&mut serial, Some(&serial_tag));
    let concurrent_count =
        features::filter(&mut parsed, Some(&features::parse_tags("not @serial")?));
    let deadline = options
        .run_timeout
        .map(|limit| (limit, Instant::now() + limit));
    let mut finished = Vec::new();
    for (batch, count, concurrency) in [
        (
            parsed,
            concurrent_count,
            options.max_concurrent_scenarios.max(1),
        ),
        (serial, serial_count, 1),
    ] {
        if count == 0 {
            continue;
        }
        let remaining =
            deadline.map(|(limit, at)| (limit, at.saturating_duration_since(Instant::now())));
        finished.extend(run_batch(batch, &ctx, concurrency, progress.clone(), remaining).await?);
    }
    let duration = clock.elapsed();
    finished.sort_by(|a, b| (&a.outcome.area, &a.order).cmp(&(&b.outcome.area, &b.order)));
    let mut scenarios: Vec<_> = finished.into_iter().map(|f| f.outcome).collect();
    dedupe_ids(&mut scenarios);

    Ok(RunReport {
        schema_version: SCHEMA_VERSION.to_owned(),
        tool_version: options.tool_version.clone(),
        target: ctx.target_info(),
        started_at,
        duration,
        scenarios,
    })
}

/// Runs one batch of features through cucumber and returns its finished
/// scenarios. `timeout` is the run's limit and what is left of it.
async fn run_batch(
    batch: Vec<gherkin::Feature>,
    ctx: &Arc<RunContext>,
    concurrency: usize,
    progress: Option<Arc<collector::Tally>>,
    timeout: Option<(Duration, Duration)>,
) -> Result<Vec<collector::Finished>, RunError> {
    let summaries: collector::Summaries = Arc::default();
    let collector = Collector::new(progress, Arc::clone(&summaries));
    let state = collector.state();
    let hook_ctx = Arc::clone(ctx);
    let runner = cucumber::runner::Basic::default()
        .steps(Spec::collection())
        .max_concurrent_scenarios(concurrency)
        .before(move |_feature, _rule, scenario, world: &mut Spec| {
            world.set_context(Arc::clone(&hook_ctx));
            world.scenario = scenario.name.clone();
            Box::pin(async {})
        })
        // Every verdict keeps its evidence and names its controls: the
        // world hands them over before cucumber reports the scenario done.
        .after(
            move |feature, _rule, scenario, _ev, world: Option<&mut Spec>| {
                if let Some(w) = world {
                    let summary = collector::WorldSummary {
                        evidence: w.collected_evidence(),
                        controls: w.controls.iter().map(ToString::to_string).collect(),
                    };
                    summaries
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(collector::world_key(feature, scenario), summary);
                }
                Box::pin(async {})
            },
        );
    let cucumber = cucumber::Cucumber::<_, _, _, _, _, cli::Empty>::custom(
        Preparsed,
        runner,
        collector.fail_on_skipped(),
    )
    .with_default_cli();
    let fut = cucumber.run(batch);
    match timeout {
        Some((limit, left)) => {
            if tokio::time::timeout(left, fut).await.is_err() {
                return Err(RunError::TimedOut(limit));
            }
        }
        None => {
            fut.await;
        }
    }
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(message) = state.parse_errors.first() {
        return Err(RunError::Parse {
            path: PathBuf::from("features"),
            message: message.clone(),
        });
    }
    Ok(std::mem::take(&mut state.finished))
}

/// Makes ids unique in report order: the second `pkce/x` becomes `pkce/x-2`.
fn dedupe_ids(scenarios: &mut [model::ScenarioOutcome]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for s in scenarios.iter_mut() {
        let n = seen.entry(s.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            s.id = format!("{}-{}", s.id, n);
        }
    }
}
