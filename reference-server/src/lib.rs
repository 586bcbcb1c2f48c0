pub mod clock;
pub mod config;
pub mod error;
pub mod jwt;
pub mod keys;
pub mod protocol;
pub mod secrets;
pub mod store;

