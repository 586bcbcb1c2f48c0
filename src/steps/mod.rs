//! The cucumber `World` ([`Spec`]) and the step definitions of the spec.
//!
//! Step definitions live in `src/steps/<area>.rs`, mirroring
//! `features/<area>.feature`. They must live in this crate: cucumber collects
//! them with `inventory` at link time. Area files never import each other:
//! what several areas need lives in the shared modules below, and what one
//! area keeps between its steps lives in that file ([`Spec::area`]).
//!
//! # Setup is not assertion
//!
//! Given steps establish preconditions; the When step sends the request
//! under test and Then steps judge its answer. How a step ends
//! ([`outcome`]): returning (pass), [`skip`] (SKIP), [`unmet`] (ERROR: the
//! scenario could not be set up) or [`fail`] with a [`Finding`] (FAIL or
//! WARN). The runner makes the split hold whatever a step does: a finding
//! raised while a Given step runs is an ERROR, never a FAIL, and any other
//! panic is an ERROR (a harness bug).
//!
//! # Controls before negatives
//!
//! A scenario that expects a refusal must first show, in the same scenario,
//! that the same path accepts the genuine credential ([`control`]). The
//! steps that judge a refusal ask for that control; without it the scenario
//! is an ERROR, never a PASS. The report names the controls.
//!
//! # Kinds
//!
//! A finding's kind comes from what happened: [`Finding::security`] when the
//! server granted or accepted what it had to refuse, [`Finding::format`]
//! when it refused in the wrong shape. Tags never change it.
//!
//! # Evidence
//!
//! Every HTTP exchange a scenario's driver makes is its evidence (secrets
//! redacted); [`Spec::record`] adds notes. Every verdict keeps it.

pub mod answer;
pub mod api;
pub mod authentication_request;
pub mod authorization_code;
pub mod authorize;
pub mod client_authentication;
pub mod client_credentials;
pub mod clients;
pub mod common;
pub mod control;
pub mod discovery;
pub mod expiry;
pub mod id_token;
pub mod introspection;
pub mod jwks;
pub mod jwt_attacks;
pub mod oidc_discovery;
pub mod openid;
pub mod outcome;
pub mod pkce;
pub mod refresh;
pub mod registration;
pub mod resource_server;
pub mod revocation;
pub mod rp_login;
pub mod scopes;
pub mod smoke;
pub mod state;
pub mod time;
pub mod token_response;
pub mod tokens;
pub mod upstream_login;
pub mod userinfo;
pub mod world;

pub use crate::context::RunContext;
pub use crate::report::{Finding, FindingKind};
pub use outcome::{
    OrFail, OrSkip, OrUnmet, Skip, Unmet, expect, expect_eq, fail, skip, skip_with, unmet,
    unmet_with, with_timeout,
};
pub use world::Spec;
