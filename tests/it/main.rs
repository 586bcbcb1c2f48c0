//! The one integration-test binary; each area of the harness adds a module.

mod reports;
mod runner;
