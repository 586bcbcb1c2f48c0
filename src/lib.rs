//! oauthspec: conformance and load-testing harness for OAuth 2.0 / JWT servers.
//!
//! Check the bundled reference server against the PKCE part of the spec,
//! as `oauthspec check --tags @pkce` does:
//!
//! ```
//! use oauthspec::{bundled, runner};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A correct server, in-process on a free loopback port.
//! let (server, ctx) = bundled::reference_context(vec![]).await?;
//! let options = runner::RunOptions { progress: runner::Progress::Never, ..Default::default() };
//! let report = runner::run(runner::FeatureSource::Embedded, ctx, Some("@pkce".into()), &options).await?;
//! assert!(!report.scenarios.is_empty());
//! assert_eq!(report.exit_code(false), 0, "the reference server passes");
//! server.shutdown().await?;
//!
//! // The same server with PKCE verification switched off fails.
//! let (server, ctx) = bundled::reference_context(vec!["pkce-not-verified".parse()?]).await?;
//! let report = runner::run(runner::FeatureSource::Embedded, ctx, Some("@pkce".into()), &options).await?;
//! assert_eq!(report.exit_code(false), 1);
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod baseline;
pub mod bundled;
pub mod context;
pub mod driver;
pub mod jose;
pub mod load;
pub mod matrix;
pub mod plan;
pub mod protocol;
pub mod report;
pub mod requirements;
pub mod runner;
pub mod steps;
pub mod target;
pub mod upstream;
