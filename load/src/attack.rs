//! The goose side: one scenario per profile, transactions that call the target through
//! [`Flows`], validate every answer and record it both in goose's metrics (its HTML and JSON
//! reports) and in our [`Recorder`] (`summary.md`, thresholds).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use goose::config::GooseConfiguration;
use goose::prelude::*;
use tokio::sync::watch;

use crate::check::{self, Failure, FailureKind, Tokens};
use crate::flows::{Exchange, Flows, Reply};
use crate::profile::Profile;
use crate::stats::Recorder;

/// Settings of one goose attack.
#[derive(Clone, Debug)]
pub struct AttackSettings {
    pub users: usize,
    /// Users started per second.
    pub increase_rate: f64,
    pub run_time: Duration,
    /// goose's HTML and JSON reports.
    pub report_files: Vec<String>,
    /// Access tokens must be JWTs (RFC 9068).
    pub jwt: bool,
    /// A progress line on stderr.
    pub progress: bool,
}

#[derive(Clone, Debug, Default)]
struct UserState {
    access: Option<String>,
    refresh: Option<String>,
    race_round: u64,
}

struct Ctx {
    flows: Arc<dyn Flows>,
    rec: Arc<Recorder>,
    jwt: bool,
    users: usize,
    race: watch::Sender<(u64, Option<Arc<str>>)>,
    /// A winner's new refresh token per round, in memory only (never in a report), for the
    /// check after the round.
    race_new: std::sync::Mutex<BTreeMap<u64, String>>,
}

fn judge<T>(x: &Exchange, f: impl FnOnce(&Reply) -> Result<T, Failure>) -> Result<T, Failure> {
    match &x.outcome {
        Ok(reply) => f(reply),
        Err(e) => Err(Failure::new(FailureKind::Transport, e.clone())),
    }
}

/// Records one exchange in both places.
async fn note(
    user: &mut GooseUser,
    ctx: &Ctx,
    x: &Exchange,
    setup: bool,
    failure: Option<&Failure>,
) {
    ctx.rec
        .record(&x.name, setup, x.elapsed, Instant::now(), failure);
    let status = x.outcome.as_ref().ok().map(|r| r.status);
    let error = failure.map(|f| format!("{}: {}", f.kind, f.detail));
    let name = if setup {
        format!("setup {}", x.name)
    } else {
        x.name.clone()
    };
    // A failed request is reported to goose as one; what goose answers about it changes
    // nothing here (the transaction goes on, like a user would).
    let _ = user
        .record_custom_request_duration(
            x.method,
            &name,
            x.elapsed,
            failure.is_none(),
            status,
            error.as_deref(),
        )
        .await;
}

fn state(user: &mut GooseUser) -> &mut UserState {
    if user.get_session_data::<UserState>().is_none() {
        user.set_session_data(UserState::default());
    }
    user.get_session_data_unchecked_mut::<UserState>()
}

/// The whole code flow: walk, log in, consent, exchange. Every request is recorded.
async fn login(user: &mut GooseUser, ctx: &Ctx, setup: bool) -> Option<Tokens> {
    let walk = ctx.flows.authorize().await;
    let n = walk.steps.len();
    let mut failed = false;
    for (i, step) in walk.steps.iter().enumerate() {
        let mut failure = judge(step, check::walk_step_ok).err();
        if let (None, true, Err(why)) = (&failure, i + 1 == n, &walk.grant) {
            failure = Some(Failure::new(FailureKind::Authorization, why.clone()));
        }
        failed |= failure.is_some();
        note(user, ctx, step, setup, failure.as_ref()).await;
    }
    let grant = match walk.grant {
        Ok(g) => g,
        Err(why) => {
            if !failed {
                let x = Exchange {
                    method: "GET",
                    name: "authorize".into(),
                    elapsed: Duration::ZERO,
                    outcome: Err(why.clone()),
                };
                let f = Failure::new(FailureKind::Authorization, why);
                note(user, ctx, &x, setup, Some(&f)).await;
            }
            return None;
        }
    };
    let x = ctx.flows.exchange_code(&grant).await;
    let result = judge(&x, |r| check::token_response(r, ctx.jwt));
    note(user, ctx, &x, setup, result.as_ref().err()).await;
    result.ok()
}

async fn client_credentials(user: &mut GooseUser, ctx: &Ctx, setup: bool) -> Option<Tokens> {
    let x = ctx.flows.client_credentials().await;
    let result = judge(&x, |r| check::token_response(r, ctx.jwt));
    note(user, ctx, &x, setup, result.as_ref().err()).await;
    result.ok()
}

async fn tx_client_credentials(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    client_credentials(user, ctx, false).await;
    Ok(())
}

async fn tx_authorization_code(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    if let Some(t) = login(user, ctx, false).await {
        let s = state(user);
        s.access = Some(t.access_token);
        if t.refresh_token.is_some() {
            s.refresh = t.refresh_token;
        }
    }
    Ok(())
}

/// A user token (from the code flow), logging in first if the user has none.
async fn user_tokens(user: &mut GooseUser, ctx: &Ctx) -> bool {
    if state(user).access.is_some() {
        return true;
    }
    match login(user, ctx, true).await {
        Some(t) => {
            let s = state(user);
            s.access = Some(t.access_token);
            s.refresh = t.refresh_token;
            true
        }
        None => false,
    }
}

async fn tx_refresh(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    if state(user).refresh.is_none() {
        state(user).access = None;
        if !user_tokens(user, ctx).await {
            return Ok(());
        }
    }
    let Some(rt) = state(user).refresh.clone() else {
        // Logged in, but the server gave no refresh token: that is a failure of the setup.
        let x = Exchange {
            method: "POST",
            name: "token refresh_token".into(),
            elapsed: Duration::ZERO,
            outcome: Err("the code exchange gave no refresh token".into()),
        };
        let f = Failure::new(
            FailureKind::NoRefreshToken,
            "the code exchange gave no refresh token",
        );
        note(user, ctx, &x, false, Some(&f)).await;
        state(user).access = None;
        return Ok(());
    };
    let x = ctx.flows.refresh(&rt).await;
    let result = judge(&x, |r| check::refresh_response(r, ctx.jwt));
    note(user, ctx, &x, false, result.as_ref().err()).await;
    let s = state(user);
    match result {
        Ok(t) => {
            s.access = Some(t.access_token);
            s.refresh = t.refresh_token;
        }
        // The chain is broken: start a new one.
        Err(_) => {
            s.access = None;
            s.refresh = None;
        }
    }
    Ok(())
}

async fn tx_introspection(user: &mut GooseUser, ctx: &Ctx, user_token: bool) -> TransactionResult {
    if state(user).access.is_none() {
        let ok = if user_token {
            user_tokens(user, ctx).await
        } else {
            match client_credentials(user, ctx, true).await {
                Some(t) => {
                    state(user).access = Some(t.access_token);
                    true
                }
                None => false,
            }
        };
        if !ok {
            return Ok(());
        }
    }
    let Some(token) = state(user).access.clone() else {
        return Ok(());
    };
    let x = ctx.flows.introspect(&token).await;
    let result = judge(&x, check::introspection_active);
    note(user, ctx, &x, false, result.as_ref().err()).await;
    if result.is_err() {
        state(user).access = None;
    }
    Ok(())
}

async fn tx_introspection_client(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    tx_introspection(user, ctx, false).await
}

async fn tx_introspection_user(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    tx_introspection(user, ctx, true).await
}

async fn tx_resource(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    if !user_tokens(user, ctx).await {
        return Ok(());
    }
    let Some(token) = state(user).access.clone() else {
        return Ok(());
    };
    let x = ctx.flows.resource(&token).await;
    let result = judge(&x, check::resource_ok);
    note(user, ctx, &x, false, result.as_ref().err()).await;
    if let Err(Failure {
        kind: FailureKind::Status(401),
        ..
    }) = result
    {
        state(user).access = None;
    }
    Ok(())
}

async fn tx_ceiling(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let x = ctx.flows.ceiling().await;
    let result = judge(&x, check::baseline_ok);
    note(user, ctx, &x, false, result.as_ref().err()).await;
    Ok(())
}

async fn tx_healthz(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let x = ctx.flows.baseline().await;
    let result = judge(&x, check::baseline_ok);
    note(user, ctx, &x, false, result.as_ref().err()).await;
    Ok(())
}

/// How long a refresh-race user waits for the others (or for the next round).
const RACE_WAIT: Duration = Duration::from_secs(3);

/// One replay of the round's refresh token. A loser must get 400 `invalid_grant`; that is
/// the right answer, not a failure. More than one winner in a round is what the report flags.
async fn race_replay(user: &mut GooseUser, ctx: &Ctx, round: u64, token: &str) {
    let x = ctx.flows.refresh(token).await;
    let won = judge(&x, |r| check::token_response(r, ctx.jwt));
    let failure = match &won {
        Ok(_) => None,
        Err(_) if x.outcome.as_ref().is_ok_and(check::is_invalid_grant) => None,
        Err(f) => Some(f.clone()),
    };
    ctx.rec.race(
        round,
        won.as_ref()
            .ok()
            .map(|t| (t.access_token.as_str(), t.refresh_token.as_deref())),
    );
    if let Some(rt) = won.as_ref().ok().and_then(|t| t.refresh_token.clone()) {
        ctx.race_new
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(round)
            .or_insert(rt);
    }
    note(user, ctx, &x, false, failure.as_ref()).await;
    state(user).race_round = round;
}

/// After round `round` closed: does a winner's new refresh token still work, now that the
/// losers replayed the rotated-out one (RFC 9700 §4.14.2: the server "will revoke the active
/// refresh token")? And does the replayed token itself still work ("The previous refresh token
/// is invalidated")? The new one is tried first: the old one's replay is itself a reuse.
async fn after_round(user: &mut GooseUser, ctx: &Ctx, round: u64, old: &str) {
    let new = ctx
        .race_new
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&round);
    let works = |x: &Exchange| judge(x, |r| check::token_response(r, ctx.jwt)).is_ok();
    // Named apart: they are checks, not the measured refreshes.
    let renamed = |mut x: Exchange, what: &str| {
        x.name = format!("{} ({what} after the round)", x.name);
        x
    };
    let new_works = match new {
        Some(rt) => {
            let x = renamed(ctx.flows.refresh(&rt).await, "new token");
            let ok = works(&x);
            note(user, ctx, &x, true, None).await;
            Some(ok)
        }
        None => None,
    };
    let x = renamed(ctx.flows.refresh(old).await, "old token");
    let old_works = works(&x);
    note(user, ctx, &x, true, None).await;
    ctx.rec.race_after(round, Some(old_works), new_works);
}

async fn tx_refresh_race(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    if user.weighted_users_index == 0 {
        // The leader closes the round (everyone replayed, or they took too long), fetches a
        // fresh refresh token and opens the next round.
        let current = { ctx.race.borrow().0 };
        if current > 0 {
            let deadline = Instant::now() + RACE_WAIT;
            while Instant::now() < deadline {
                let joined = ctx.rec.snapshot_race_participants(current);
                if joined >= ctx.users as u64 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let old = ctx.race.borrow().1.clone();
            if let Some(old) = old {
                after_round(user, ctx, current, &old).await;
            }
        }
        let Some(tokens) = login(user, ctx, true).await else {
            return Ok(());
        };
        let Some(rt) = tokens.refresh_token else {
            let x = Exchange {
                method: "POST",
                name: "token authorization_code".into(),
                elapsed: Duration::ZERO,
                outcome: Err("no refresh token".into()),
            };
            let f = Failure::new(
                FailureKind::NoRefreshToken,
                "the code exchange gave no refresh token",
            );
            note(user, ctx, &x, true, Some(&f)).await;
            return Ok(());
        };
        let token: Arc<str> = rt.into();
        let round = current + 1;
        ctx.race.send_replace((round, Some(token.clone())));
        race_replay(user, ctx, round, &token).await;
    } else {
        let seen = state(user).race_round;
        let mut rx = ctx.race.subscribe();
        let next = tokio::time::timeout(RACE_WAIT, async {
            rx.wait_for(|(r, t)| *r > seen && t.is_some())
                .await
                .map(|v| v.clone())
        })
        .await;
        let Ok(Ok((round, token))) = next else {
            return Ok(());
        };
        if let Some(token) = token {
            race_replay(user, ctx, round, &token).await;
        }
    }
    Ok(())
}

macro_rules! tx {
    ($ctx:expr, $f:expr) => {{
        let c = $ctx.clone();
        Transaction::new(Arc::new(move |user| {
            let c = c.clone();
            Box::pin(async move { $f(user, &c).await })
        }))
    }};
}

fn scenario(profile: Profile, ctx: &Arc<Ctx>) -> Result<Scenario, GooseError> {
    let s = Scenario::new(profile.name());
    Ok(match profile {
        Profile::ClientCredentials => s.register_transaction(tx!(ctx, tx_client_credentials)),
        Profile::AuthorizationCode => s.register_transaction(tx!(ctx, tx_authorization_code)),
        Profile::Refresh => s.register_transaction(tx!(ctx, tx_refresh)),
        Profile::Introspection => s.register_transaction(tx!(ctx, tx_introspection_client)),
        Profile::Resource => s.register_transaction(tx!(ctx, tx_resource)),
        Profile::Healthz => s.register_transaction(tx!(ctx, tx_healthz)),
        Profile::Ceiling => s.register_transaction(tx!(ctx, tx_ceiling)),
        Profile::RefreshRace => s.register_transaction(tx!(ctx, tx_refresh_race)),
        Profile::Mixed => s
            .register_transaction(tx!(ctx, tx_resource).set_weight(10)?)
            .register_transaction(tx!(ctx, tx_introspection_user).set_weight(4)?)
            .register_transaction(tx!(ctx, tx_client_credentials).set_weight(3)?)
            .register_transaction(tx!(ctx, tx_refresh).set_weight(2)?)
            .register_transaction(tx!(ctx, tx_authorization_code).set_weight(1)?),
    })
}

/// Runs one goose attack of `profile` and returns what it recorded.
pub async fn attack(
    profile: Profile,
    settings: &AttackSettings,
    flows: Arc<dyn Flows>,
) -> Result<Arc<Recorder>, GooseError> {
    let rec = Arc::new(Recorder::new());
    let (race, _) = watch::channel((0, None));
    let ctx = Arc::new(Ctx {
        flows: flows.clone(),
        rec: rec.clone(),
        jwt: settings.jwt,
        users: settings.users,
        race,
        race_new: std::sync::Mutex::default(),
    });
    let mut config = GooseConfiguration::default();
    config.host = Some(flows.base_url());
    config.users = Some(settings.users);
    config.increase_rate = Some(format!("{}", settings.increase_rate));
    config.run_time = Some(settings.run_time.as_secs().max(1).to_string());
    // goose must neither read our argv nor open controllers, nor print its own tables: the
    // summary is ours. Its log records go through the `log` facade to whatever logger the
    // program installed first (ours), at warn.
    config.quiet = 1;
    config.no_telnet = true;
    // The WebSocket controller is off unless asked for (goose 0.19 warns if told again).
    config.no_print_metrics = true;
    config.no_error_summary = true;
    config.no_reset_metrics = true;
    config.report_file = settings.report_files.clone();

    let ticker = settings.progress.then(|| {
        let rec = rec.clone();
        let name = profile.name();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                let (n, f) = rec.counts();
                let t = started.elapsed().as_secs_f64();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r{name}: {t:6.1} s  {n:>9} requests  {f:>6} failed  {:>9.1} req/s ",
                    if t > 0.0 { n as f64 / t } else { 0.0 }
                );
                let _ = err.flush();
            }
        })
    });
    let result = GooseAttack::initialize_with_config(config)?
        .register_scenario(scenario(profile, &ctx)?)
        .execute()
        .await;
    if let Some(t) = ticker {
        t.abort();
        eprintln!();
    }
    result?;
    Ok(rec)
}
