//! Time passing, and how long the target's credentials live.
//!
//! Lifetimes come from the profile's `[lifetimes]`, else from what the
//! target says (`expires_in`, introspection's `exp`); a scenario waits
//! exactly a lifetime plus the clock-skew margin and says so in its
//! evidence. Against a target with a test-admin API the clock is moved
//! instead; otherwise the harness sleeps, up to `[expiry] max_wait`, and
//! SKIPs beyond it with the change that would let it run.

use std::time::Duration;

use super::Spec;
use super::outcome::{skip_with, unmet};
use crate::target::Endpoint;

/// Which credential's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    Code,
    Access,
    Refresh,
}

impl Lifetime {
    fn name(self) -> &'static str {
        match self {
            Lifetime::Code => "authorization code",
            Lifetime::Access => "access token",
            Lifetime::Refresh => "refresh token",
        }
    }
}

/// A lifetime and where the harness learned it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub seconds: u64,
    pub source: String,
}

impl Spec {
    /// The clock-skew margin (`[lifetimes] clock_skew`, 60 s by default).
    pub fn clock_skew(&self) -> u64 {
        self.target().profile.lifetimes.clock_skew.as_secs()
    }

    /// How long a credential of this kind lives, and how the harness knows;
    /// SKIPs when it cannot know.
    pub async fn lifetime(&mut self, which: Lifetime) -> Known {
        let l = self.target().profile.lifetimes.clone();
        match which {
            Lifetime::Code => match (self.flow.code_lifetime_set, l.code) {
                (Some(s), _) => Known {
                    seconds: s,
                    source: "set through the test-admin API".into(),
                },
                (None, Some(c)) => Known {
                    seconds: c.as_secs(),
                    source: "[lifetimes] code".into(),
                },
                (None, None) => skip_with(
                    "the harness does not know how long the target's authorization codes live",
                    "give [lifetimes] code in the profile",
                ),
            },
            Lifetime::Access => {
                if let Some(a) = l.access {
                    return Known {
                        seconds: a.as_secs(),
                        source: "[lifetimes] access".into(),
                    };
                }
                match self.flow.tokens.last().and_then(|t| t.expires_in) {
                    Some(s) => Known {
                        seconds: s,
                        source: "the token response's expires_in".into(),
                    },
                    None => skip_with(
                        "the harness cannot tell when the access token expires: no expires_in and no [lifetimes] access",
                        "give [lifetimes] access in the profile",
                    ),
                }
            }
            Lifetime::Refresh => self.refresh_lifetime().await,
        }
    }

    async fn refresh_lifetime(&mut self) -> Known {
        if let Some(s) = self.flow.refresh_lifetime_set {
            return Known {
                seconds: s,
                source: "set through the test-admin API".into(),
            };
        }
        if let Some(r) = self.target().profile.lifetimes.refresh {
            return Known {
                seconds: r.as_secs(),
                source: "[lifetimes] refresh".into(),
            };
        }
        let fix = "give [lifetimes] refresh in the profile (from issue to expiry)";
        let client = self.client();
        if client.is_public()
            || self
                .target()
                .endpoints
                .get(Endpoint::Introspection)
                .is_none()
        {
            skip_with(
                "the harness cannot tell when refresh tokens expire: no [lifetimes] refresh, and no introspection it can ask",
                fix,
            );
        }
        let token = self.current_refresh_token();
        let res = super::outcome::with_timeout(
            self.step_timeout(),
            "introspecting the refresh token",
            async {
                let driver = self.http();
                let endpoint = self.endpoint(Endpoint::Introspection);
                crate::driver::flow::introspect(
                    &driver,
                    &endpoint,
                    &client.auth(),
                    token.secret(),
                    Some("refresh_token"),
                )
                .await
            },
        )
        .await;
        let res = self.answered(res, "the introspection endpoint");
        let exp = res.success().filter(|i| i.active).and_then(|i| i.exp);
        match exp {
            Some(exp) => {
                let left = exp - now();
                if left <= 0 {
                    unmet("introspection says the new refresh token has already expired");
                }
                Known {
                    seconds: u64::try_from(left).unwrap_or(0),
                    source: "introspection's exp, from now".into(),
                }
            }
            None => skip_with(
                "the harness cannot tell when refresh tokens expire: no [lifetimes] refresh, and introspection gives no exp for them",
                fix,
            ),
        }
    }

    /// Lets `seconds` pass on the target's clock, `why` being what the wait
    /// is for: through its test-admin API when it has one, else by
    /// waiting, up to the profile's `max_wait`; beyond that the scenario
    /// SKIPs. Notes the wait in the evidence.
    pub async fn let_time_pass(&mut self, seconds: u64, why: &str) {
        let driver = self.http();
        if let Some(admin) = self.ctx().admin.clone() {
            admin
                .advance_clock(&driver, i64::try_from(seconds).unwrap_or(i64::MAX))
                .await
                .unwrap_or_else(|e| {
                    unmet(format!("the test-admin API did not move the clock: {e}"))
                });
            self.record(format!(
                "moved the target's clock {seconds} s (test-admin API): {why}"
            ));
            return;
        }
        let max = self.target().profile.expiry.max_wait;
        if Duration::from_secs(seconds) > max {
            // The numbers go to the evidence, so that every scenario with
            // this cause shares one reason in the report.
            self.record(format!(
                "note: the scenario would wait {seconds} s: {why}; [expiry] max_wait is {} s",
                max.as_secs()
            ));
            skip_with(
                format!(
                    "the scenario would wait longer than [expiry] max_wait ({} s), and the target has no test-admin clock",
                    max.as_secs()
                ),
                "raise [expiry] max_wait (the evidence says how long each scenario needs), or shorten the target's lifetimes and say so in [lifetimes]",
            );
        }
        self.record(format!("waited {seconds} s: {why}"));
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    }

    /// Lets a credential's lifetime and the clock-skew margin pass.
    pub async fn outlive(&mut self, which: Lifetime) {
        let known = self.lifetime(which).await;
        let skew = self.clock_skew();
        let why = format!(
            "the {}'s lifetime ({} s, {}) plus the clock-skew margin ({skew} s, [lifetimes] clock_skew)",
            which.name(),
            known.seconds,
            known.source
        );
        self.let_time_pass(known.seconds.saturating_add(skew), &why)
            .await;
    }
}

/// Seconds since the epoch, by this machine's clock.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}
