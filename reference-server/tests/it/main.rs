//! Integration tests of the reference server over real loopback sockets
//! (and one in-process test of `app(state)`), one module per area.

mod support;

mod admin;
mod authorize;
mod discovery;
mod fuzz;
mod hardening;
mod introspection;
mod jwks;
mod openid;
mod persistence;
mod registration;
mod resource;
mod revocation;
mod robustness;
mod script_login;
mod sessions;
mod token;
