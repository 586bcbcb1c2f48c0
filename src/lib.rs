//! oauthspec: conformance and load-testing harness for OAuth 2.0 / JWT servers.

pub mod bundled;
pub mod driver;
pub mod matrix;
pub mod report;
pub mod runner;
pub mod steps;
pub mod target;
