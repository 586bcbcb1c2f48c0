//! [`Spec`], the per-scenario world: the run's context, this scenario's
//! driver and evidence, the controls it showed, and its typed state.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::answer::Answer;
use super::control::{Control, ControlKind};
use super::outcome::{skip_with, unmet, unmet_with};
use super::state::Flow;
use crate::context::RunContext;
use crate::driver::http::{Browser, Driver, DriverError, Evidence, HttpRequest};
use crate::target::{Endpoint, Target};

/// Area-private typed state, one value per type (see [`Spec::area`]).
#[derive(Default)]
pub struct AreaState(HashMap<TypeId, Box<dyn Any + Send + Sync>>);

impl fmt::Debug for AreaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AreaState({} values)", self.0.len())
    }
}

/// The per-scenario world. cucumber builds a fresh one for every scenario;
/// the runner's `before` hook hands it the shared [`RunContext`].
#[derive(Debug, Default, cucumber::World)]
pub struct Spec {
    ctx: Option<Arc<RunContext>>,
    /// Title of the running scenario (set by the runner).
    pub scenario: String,
    /// Notes a step adds to the evidence by hand ("no code to redeem: …").
    pub notes: Vec<String>,
    /// This scenario's driver (see [`Spec::http`]); its exchanges are the
    /// scenario's evidence ([`Spec::collected_evidence`]).
    pub driver: Option<Driver>,
    /// This scenario's browser: one cookie jar for every walk through the
    /// authorization endpoint, so a scenario logs in once.
    pub browser: Option<Browser>,
    /// The state the shared steps hand to each other.
    pub flow: Flow,
    /// The positive controls that held in this scenario.
    pub controls: Vec<Control>,
    area: AreaState,
}

impl Spec {
    /// A world bound to `ctx` (the runner does this through its `before`
    /// hook; tests of single steps can call it directly).
    pub fn with_context(ctx: Arc<RunContext>) -> Self {
        Spec {
            ctx: Some(ctx),
            ..Spec::default()
        }
    }

    /// Binds the world to the run's context.
    pub fn set_context(&mut self, ctx: Arc<RunContext>) {
        self.ctx = Some(ctx);
    }

    /// The run's context (the target and run-wide settings). A world
    /// without one is a harness bug.
    pub fn ctx(&self) -> &RunContext {
        match &self.ctx {
            Some(c) => c,
            None => unmet(
                "harness bug: the World has no RunContext (the runner's before hook did not run)",
            ),
        }
    }

    /// The usual limit for one wait on the target.
    pub fn step_timeout(&self) -> Duration {
        self.ctx
            .as_ref()
            .map_or(RunContext::DEFAULT_STEP_TIMEOUT, |c| c.step_timeout)
    }

    /// The resolved target. A run without one is a harness bug.
    pub fn target(&self) -> &Target {
        match self.ctx().target.as_deref() {
            Some(t) => t,
            None => unmet("harness bug: the run has no target"),
        }
    }

    /// Area-private typed state of type `T`, created on first use. Each
    /// area keeps its own type in its own file; no area reads another's.
    pub fn area<T: Default + Any + Send + Sync>(&mut self) -> &mut T {
        self.area
            .0
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut::<T>()
            .unwrap_or_else(|| unmet("harness bug: area state of the wrong type"))
    }

    /// This scenario's driver: the run's driver with a fresh evidence log.
    pub fn http(&mut self) -> Driver {
        if self.driver.is_none() {
            let base = match &self.ctx().driver {
                Some(d) => d.with_fresh_evidence(),
                None => unmet("harness bug: the run has no driver"),
            };
            self.driver = Some(base);
        }
        self.driver
            .clone()
            .unwrap_or_else(|| unmet("harness bug: no driver"))
    }

    /// This scenario's browser (one cookie jar for the whole scenario).
    pub fn browser(&mut self) -> Browser {
        self.browser.get_or_insert_with(Browser::new).clone()
    }

    /// Adds a note to the evidence.
    pub fn record(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The scenario's evidence: notes, then every HTTP exchange the driver
    /// made (already redacted).
    pub fn collected_evidence(&self) -> Vec<String> {
        let mut out = self.notes.clone();
        if let Some(d) = &self.driver {
            let start = out.len();
            out.extend(
                d.evidence()
                    .exchanges()
                    .iter()
                    .enumerate()
                    .map(|(i, x)| Evidence::render_one(start + i + 1, x)),
            );
        }
        out
    }

    /// Records that a control held.
    pub fn control_held(&mut self, kind: ControlKind, shown: impl Into<String>) {
        if !self.controls.iter().any(|c| c.kind == kind) {
            self.controls.push(Control {
                kind,
                shown: shown.into(),
            });
        }
    }

    /// Whether the scenario has shown the control `kind`.
    pub fn holds(&self, kind: &ControlKind) -> bool {
        self.controls.iter().any(|c| c.kind == *kind)
    }

    /// The control `kind`, which a refusal needs before it can PASS; an
    /// ERROR when the scenario did not show it (a harness or feature bug:
    /// the scenario lacks its control step).
    pub fn control(&self, kind: &ControlKind) -> Control {
        self.controls
            .iter()
            .find(|c| c.kind == *kind)
            .cloned()
            .unwrap_or_else(|| {
                unmet(format!(
                    "no positive control: the scenario never showed that {kind}, so a refusal here proves nothing"
                ))
            })
    }

    /// Sends `request` and records the answer, or that none came (an
    /// answer with `status: None`): for requests whose outcome the step
    /// judges, including "no answer".
    pub async fn send(&mut self, request: HttpRequest) -> Answer {
        let line = format!("{} {}", request.method, request.url);
        let driver = self.http();
        match driver.send(request).await {
            Ok(res) => Answer::of(line, &res),
            Err(e) => {
                host_not_allowed(&e);
                Answer::none(line, &e)
            }
        }
    }

    /// The answer to a request, or an ERROR when the target gave none:
    /// a request that is not answered cannot be judged.
    pub fn answered<T, E: Into<DriverError>>(&self, res: Result<T, E>, what: &str) -> T {
        match res {
            Ok(v) => v,
            Err(e) => {
                let e: DriverError = e.into();
                host_not_allowed(&e);
                unmet(format!("{what} did not answer: {e}"))
            }
        }
    }

    /// The issuer identifier exactly as the profile gives it. A parsed URL
    /// always has a path, so `https://as.example` and `https://as.example/`
    /// read the same: the profile's own text decides when it can be read, and
    /// otherwise the form without the trailing slash.
    pub fn issuer_as_written(&self) -> Option<String> {
        let profile = &self.target().profile;
        let parsed = profile.issuer.as_ref()?;
        let written = std::fs::read_to_string(&profile.source)
            .ok()
            .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
            .and_then(|t| t.get("issuer").and_then(|v| v.as_str()).map(str::to_owned))
            .filter(|s| Url::parse(s).ok().as_ref() == Some(parsed));
        Some(written.unwrap_or_else(|| {
            if parsed.path() == "/" {
                parsed.as_str().trim_end_matches('/').to_owned()
            } else {
                parsed.as_str().to_owned()
            }
        }))
    }

    /// An endpoint of the target, or a SKIP saying the target has none.
    pub fn endpoint(&self, e: Endpoint) -> Url {
        self.target().endpoints.get(e).cloned().unwrap_or_else(|| {
            skip_with(
                format!("the target has no {} endpoint", e.name()),
                e.fix().to_owned(),
            )
        })
    }
}

/// A request refused because its host is not in the profile is a setup
/// error with a fix, whatever step sent it.
fn host_not_allowed(e: &DriverError) {
    if let DriverError::HostNotAllowed { host, url } = e {
        unmet_with(
            format!("the harness may not contact {url}: the profile does not name {host}"),
            format!("add \"{host}\" to [http] allow_hosts in the profile"),
        );
    }
}
