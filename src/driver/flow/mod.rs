//! OAuth operations over the driver: the authorization request and its walk through login and
//! consent (through the one redirect walker), client authentication, the token-endpoint
//! family, registration, protected resources, and how their answers are read.

mod answers;
mod authorization;
mod client_auth;
mod options;
mod outcome;
mod redirects;
mod registration;
mod resource;
mod token;
mod walk;

pub use answers::*;
pub use authorization::*;
pub use client_auth::*;
pub use options::*;
pub use outcome::*;
pub use redirects::*;
pub use registration::*;
pub use resource::*;
pub use token::*;
pub use walk::*;

use crate::driver::http::DriverError;

/// Errors of a flow: the driver could not talk to the server. A server answering wrongly is
/// never an error here; it is an outcome for the scenario to judge.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Driver(#[from] DriverError),
}

impl From<FlowError> for DriverError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Driver(d) => d,
        }
    }
}

#[cfg(test)]
mod tests;
