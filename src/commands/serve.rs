//! `oauthspec serve`: settings from flags, then `OAUTHSPEC_*` environment,
//! then the TOML file, then defaults.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use oauthspec_reference_server::config::{ConfigFile, LoginPage};
use oauthspec_reference_server::{Fault, Settings, SigningAlg, Storage, start};

use crate::exit;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file (users, clients, scopes, lifetimes, ...).
    #[arg(long, env = "OAUTHSPEC_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port. [default: 127.0.0.1:8080]
    #[arg(long, env = "OAUTHSPEC_BIND")]
    bind: Option<SocketAddr>,
    /// Issuer identifier. [default: http://<bound address>]
    #[arg(long, env = "OAUTHSPEC_ISSUER")]
    issuer: Option<String>,
    /// Directory of the SQLite database and signing keys. [default: ./oauthspec-data]
    #[arg(long, env = "OAUTHSPEC_DATA_DIR", conflicts_with = "in_memory")]
    data_dir: Option<PathBuf>,
    /// Keep everything in memory (lost on exit).
    #[arg(long, env = "OAUTHSPEC_IN_MEMORY")]
    in_memory: bool,
    /// Access-token signing algorithm: EdDSA, ES256 or RS256. [default: EdDSA]
    #[arg(long, env = "OAUTHSPEC_SIGNING_ALG")]
    signing_alg: Option<SigningAlg>,
    /// Serve the admin API under /__admin (clock, key rotation, lifetimes)
    /// and print its bearer token.
    #[arg(long, env = "OAUTHSPEC_TEST_ADMIN")]
    test_admin: bool,
    /// Break exactly this requirement on purpose (repeatable; `oauthspec
    /// faults` lists them).
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<Fault>,
    /// The login page: form (an HTML form) or script (no form: a script
    /// logs in through a JSON call). [default: form]
    #[arg(long, env = "OAUTHSPEC_LOGIN_PAGE")]
    login_page: Option<LoginPage>,
}

impl ServeArgs {
    /// Merges flags/environment over the file over the defaults.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            storage: Storage::Sqlite(PathBuf::from("oauthspec-data")),
            ..Settings::default()
        };
        if let Some(path) = &self.config {
            let file = ConfigFile::load(path).map_err(|e| e.to_string())?;
            settings = settings.with_file(file).map_err(|e| e.to_string())?;
        }
        if let Some(b) = self.bind {
            settings.bind = b;
        }
        if self.issuer.is_some() {
            settings.issuer.clone_from(&self.issuer);
        }
        if self.in_memory {
            settings.storage = Storage::Memory;
        } else if let Some(dir) = &self.data_dir {
            settings.storage = Storage::Sqlite(dir.clone());
        }
        if let Some(a) = self.signing_alg {
            settings.signing_alg = a;
        }
        if self.test_admin {
            settings.test_admin = true;
        }
        settings.faults.clone_from(&self.faults);
        if let Some(p) = self.login_page {
            settings.login_page = p;
        }
        settings.validate().map_err(|e| e.to_string())?;
        Ok(settings)
    }
}

pub async fn run(args: ServeArgs) -> u8 {
    let settings = match args.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let server = match start(settings).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
    };
    let mut out = std::io::stdout().lock();
    if let Some(token) = server.admin_token() {
        let _ = writeln!(out, "admin token: {}", token.expose());
    }
    for f in &args.faults {
        let _ = writeln!(out, "fault: {} (breaks {})", f.name(), f.breaks());
    }
    let _ = writeln!(out, "listening on {}", server.url());
    let _ = out.flush();
    drop(out);
    match server.serve_until(shutdown_signal()).await {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            exit::BROKEN
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
