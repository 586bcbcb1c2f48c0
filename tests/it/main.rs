//! The one integration-test binary; each area of the harness adds a module.

mod baseline;
mod docker;
mod dot_peer;
mod fixtures;
mod flow_reference;
mod html_report;
mod jwt_peer;
mod kill_matrix;
mod layout;
mod load;
mod login_strategies;
mod misjudgements;
mod oidc_peer;
mod peers;
mod reports;
mod requirements;
mod restart;
mod runner;
mod social_peer;
mod tls;
mod wycheproof_reference;
