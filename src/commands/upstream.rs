//! `oauthspec upstream`: run a fake upstream identity provider on loopback
//! until interrupted.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use oauthspec::upstream::{
    ClientPair, FakeUpstream, Misbehaviour, Provider, UpstreamConfig, UpstreamError, UserClaims,
};

use crate::exit;

#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// Which provider to imitate: google, github or oidc.
    #[arg(long, default_value = "google")]
    provider: Provider,
    /// Address to listen on. [default: 127.0.0.1:0, a free port]
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// A client the provider accepts, as ID:SECRET (repeatable). With none,
    /// any client is accepted.
    #[arg(long = "client", value_name = "ID:SECRET")]
    clients: Vec<ClientPair>,
    /// A user to log in as: JSON claims or sub=...,email=... (repeatable;
    /// the first unless login_hint names another).
    #[arg(long = "user", value_name = "CLAIMS")]
    users: Vec<UserClaims>,
    /// Misbehave on purpose (repeatable): bad-id-token-signature, wrong-nonce,
    /// wrong-aud, wrong-iss, expired-id-token, alg-none-id-token, wrong-state,
    /// access-denied, server-error, slow, wrong-code-exchange.
    #[arg(long = "misbehave", value_name = "NAME")]
    misbehaviours: Vec<Misbehaviour>,
    /// How long `slow` holds the token endpoint's answer, in seconds.
    #[arg(long, default_value_t = 30)]
    slow_seconds: u64,
}

pub async fn run(args: UpstreamArgs) -> u8 {
    let config = UpstreamConfig {
        provider: args.provider,
        bind: args.bind,
        clients: args.clients.clone(),
        users: args.users.clone(),
        misbehaviours: args.misbehaviours.iter().copied().collect(),
        slow_delay: Duration::from_secs(args.slow_seconds),
    };
    let fake = match FakeUpstream::start(config).await {
        Ok(f) => f,
        Err(e @ UpstreamError::Config(_)) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
    };
    let mut out = std::io::stdout().lock();
    if args.clients.is_empty() {
        let _ = writeln!(
            out,
            "clients: any client id is accepted (no --client given)"
        );
    } else {
        let ids: Vec<&str> = args.clients.iter().map(|c| c.id.as_str()).collect();
        let _ = writeln!(out, "clients: {}", ids.join(", "));
    }
    for m in &args.misbehaviours {
        let _ = writeln!(out, "misbehaving: {m}: {}", m.describe());
    }
    if args.provider.is_openid() {
        let _ = writeln!(out, "discovery: {}", fake.discovery_url());
    }
    let _ = writeln!(out, "listening on {}", fake.url());
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    drop(fake);
    exit::OK
}
