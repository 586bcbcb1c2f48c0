//! `[tls]` against a loopback HTTPS deployment with its own CA: the bundled reference server
//! behind a TLS-terminating proxy (as staging deployments put it) that trusts client
//! certificates of that CA and, in the mutual-TLS case, demands one (RFC 8705 §2). The CA,
//! the server's and the client's certificates are made here with rcgen.

use std::path::Path;
use std::sync::Arc;

use oauthspec::report::{Verdict, terminal};
use oauthspec::runner::{self, FeatureSource, Progress, RunContext, RunOptions};
use oauthspec::target::TargetProfile;
use oauthspec_reference_server::{RunningServer, Settings};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

/// A CA and what it signed, written as PEM files into `dir`.
struct Pki {
    ca: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
}

fn make_pki(dir: &Path) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "oauthspec test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "client-1");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params.signed_by(&client_key, &ca).unwrap();

    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("client.pem"), client.pem()).unwrap();
    std::fs::write(dir.join("client-key.pem"), client_key.serialize_pem()).unwrap();
    Pki {
        ca: ca.der().clone(),
        server_chain: vec![server.der().clone()],
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    }
}

/// TLS on `listener`, each connection's plaintext forwarded to `backend`. With
/// `require_client_cert` a client must present a certificate of the CA.
fn tls_proxy(
    pki: &Pki,
    listener: TcpListener,
    backend: std::net::SocketAddr,
    require_client_cert: bool,
) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
}

/// The reference server on plain loopback HTTP whose issuer is the proxy's HTTPS URL.
async fn reference_behind(port: u16) -> RunningServer {
    let settings = Settings {
        test_admin: true,
        issuer: Some(format!("https://localhost:{port}")),
        ..Settings::default()
    };
    oauthspec_reference_server::start(settings).await.unwrap()
}

/// The reference profile pointed at `https://localhost:PORT`, with `tls` appended.
fn profile(
    dir: &Path,
    port: u16,
    server: &RunningServer,
    tls: &str,
) -> Result<TargetProfile, String> {
    profile_with(dir, port, server, tls, None)
}

/// … with its `[login]` table replaced by `login`.
fn profile_with(
    dir: &Path,
    port: u16,
    server: &RunningServer,
    tls: &str,
    login: Option<&str>,
) -> Result<TargetProfile, String> {
    let url = format!("https://localhost:{port}");
    let mut text = include_str!("../../examples/targets/reference.toml")
        .replace("http://127.0.0.1:8080", &url);
    if let Some(login) = login {
        let start = text.find("[login]\n").unwrap();
        let end = start + text[start..].find("\n[[").unwrap();
        text.replace_range(start..end, login);
    }
    text.push_str(&format!(
        "\n[test_admin]\nurl = \"{url}/__admin\"\ntoken = \"{}\"\n\n{tls}",
        server.admin_token().unwrap().expose()
    ));
    let path = dir.join("profile.toml");
    std::fs::write(&path, text).unwrap();
    TargetProfile::load(&path).map_err(|e| e.to_string())
}

async fn resolve_error(p: TargetProfile) -> String {
    match RunContext::resolve(p, "profile").await {
        Ok(_) => panic!("resolved"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_ca_and_mutual_tls_are_set_in_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    // The proxy's port is the issuer's; the server itself listens elsewhere.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = reference_behind(port).await;
    tls_proxy(&pki, listener, server.addr(), true);
    let full = "[tls]\nca_certs = [\"ca.pem\"]\nclient_cert = \"client.pem\"\nclient_key = \"client-key.pem\"\n";

    // Trusting the CA and presenting the client certificate: the spec runs and passes.
    let ctx = RunContext::resolve(profile(dir.path(), port, &server, full).unwrap(), "profile")
        .await
        .unwrap();
    let options = RunOptions {
        progress: Progress::Never,
        ..RunOptions::default()
    };
    let report = runner::run(
        FeatureSource::Embedded,
        ctx,
        Some("not @serial".into()),
        &options,
    )
    .await
    .unwrap();
    let t = report.totals();
    let not_pass: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error))
        .map(|s| format!("{} {}: {:?} {:?}", s.verdict, s.id, s.finding, s.reason()))
        .collect();
    assert!(not_pass.is_empty(), "{not_pass:#?}");
    assert!(t.pass > 100, "{t:?}");
    assert!(!report.target.tls_verification_off);

    // The load's lean path goes over TLS with the same CA and client certificate (the proxy
    // refuses a handshake without it).
    let flows = oauthspec::load::DriverFlows::new(
        profile(dir.path(), port, &server, full).unwrap(),
        "tls".into(),
    )
    .await
    .unwrap();
    let x = oauthspec_load::Flows::client_credentials(&flows).await;
    let reply = x.outcome.expect("a token answer over TLS");
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(oauthspec_load::check::token_response(&reply, true).is_ok());

    // The CA not trusted: the host and the fix, in words.
    let no_ca = "[tls]\nclient_cert = \"client.pem\"\nclient_key = \"client-key.pem\"\n";
    let e = resolve_error(profile(dir.path(), port, &server, no_ca).unwrap()).await;
    assert!(
        e.contains(&format!(
            "TLS: localhost:{port}'s certificate is not signed by a CA the harness trusts"
        )),
        "{e}"
    );
    assert!(e.contains("[tls] ca_certs"), "{e}");

    // No client certificate for a server that demands one.
    let no_client = "[tls]\nca_certs = [\"ca.pem\"]\n";
    let e = resolve_error(profile(dir.path(), port, &server, no_client).unwrap()).await;
    assert!(
        e.contains(&format!("TLS: localhost:{port} refused the TLS handshake")),
        "{e}"
    );
    assert!(e.contains("client_cert and client_key"), "{e}");

    // Verification off: it works, and every report says so.
    let off = "[tls]\ninsecure_skip_verify = true\nclient_cert = \"client.pem\"\nclient_key = \"client-key.pem\"\n";
    let ctx = RunContext::resolve(profile(dir.path(), port, &server, off).unwrap(), "profile")
        .await
        .unwrap();
    let report = runner::run(
        FeatureSource::Embedded,
        ctx,
        Some("@rfc8414-3".into()),
        &options,
    )
    .await
    .unwrap();
    assert!(report.target.tls_verification_off);
    assert!(report.totals().pass > 0);
    assert!(terminal::render(&report).starts_with("WARNING: TLS certificate verification was OFF"));
    assert!(oauthspec::report::markdown::render(&report).contains("insecure_skip_verify"));
    assert!(oauthspec::report::html::render(&report).contains("id=\"tls-off\""));
    let sarif = oauthspec::report::sarif::render(&report);
    assert!(
        sarif.contains("tls-verification-off")
            && sarif.contains("could not tell the target from an impostor"),
        "{sarif}"
    );
    let json = oauthspec::report::json::render(&report);
    assert!(json.contains("\"tls_verification_off\": true"), "{json}");
}

#[test]
fn bad_tls_fields_are_profile_errors_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let base = "name = \"x\"\nissuer = \"https://localhost:1\"\n\n[[clients]]\nid = \"a\"\nsecret = \"s\"\ngrant_types = [\"client_credentials\"]\n\n";
    let load = |tls: &str| {
        let path = dir.path().join("p.toml");
        std::fs::write(&path, format!("{base}{tls}")).unwrap();
        TargetProfile::load(&path).unwrap_err()
    };
    let e = load("[tls]\nca_certs = [\"missing.pem\"]\n");
    let issue = e.issue().unwrap();
    assert_eq!(
        (issue.field.as_str(), issue.line),
        ("tls.ca_certs[0]", 10),
        "{e}"
    );
    assert!(e.to_string().contains("cannot read"), "{e}");

    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    let e = load("[tls]\nca_certs = [\"junk.pem\"]\n");
    assert!(
        e.to_string().contains("junk.pem holds no PEM certificate"),
        "{e}"
    );

    let e = load("[tls]\nclient_cert = \"junk.pem\"\n");
    assert_eq!(e.issue().unwrap().field, "tls.client_cert", "{e}");
    assert!(e.to_string().contains("needs its key"), "{e}");

    // Mutual-TLS client authentication (RFC 8705 §2) needs the certificate, and no secret.
    let mtls = |client: &str, tls: &str| {
        let path = dir.path().join("m.toml");
        std::fs::write(
            &path,
            format!("name = \"x\"\nissuer = \"https://localhost:1\"\n\n[[clients]]\nid = \"a\"\n{client}grant_types = [\"client_credentials\"]\n\n{tls}"),
        )
        .unwrap();
        TargetProfile::load(&path)
    };
    let e = mtls("auth_method = \"tls_client_auth\"\n", "").unwrap_err();
    assert_eq!(e.issue().unwrap().field, "clients[0].auth_method", "{e}");
    assert!(e.to_string().contains("[tls] client_cert"), "{e}");
    let e = mtls("auth_method = \"tls_client_auth\"\nsecret = \"s\"\n", "").unwrap_err();
    assert_eq!(e.issue().unwrap().field, "clients[0].secret", "{e}");

    let e = load("[tls]\ninsecure = true\n");
    assert!(e.to_string().contains("insecure"), "{e}");
}

/// Chromium keeps its own trust store: with `insecure_skip_verify` the browser login strategy
/// is told to ignore certificate errors and logs in; with only `ca_certs` it cannot reach the
/// login page, and the scenario is an ERROR (never a FAIL: the rule was not reached).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_login_follows_the_opt_out_and_is_not_judged_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = reference_behind(port).await;
    tls_proxy(&pki, listener, server.addr(), false);
    let login = "[login]\nstrategy = \"browser\"\nusername = \"alice\"\npassword = \"alice-password\"\n\n\
                 [login.browser]\nusername = \"#username\"\npassword = \"#password\"\nsubmit = \"#submit\"\n\
                 approve = \"button[value=approve]\"\ndeny = \"button[value=deny]\"\n";
    let options = RunOptions {
        progress: Progress::Never,
        ..RunOptions::default()
    };
    let tags = Some("@rfc6749-4.1.2 and not @serial".to_owned());
    for (tls, logs_in) in [
        ("[tls]\ninsecure_skip_verify = true\n", true),
        ("[tls]\nca_certs = [\"ca.pem\"]\n", false),
    ] {
        let p = profile_with(dir.path(), port, &server, tls, Some(login)).unwrap();
        let ctx = RunContext::resolve(p, "profile").await.unwrap();
        let report = runner::run(FeatureSource::Embedded, ctx, tags.clone(), &options)
            .await
            .unwrap();
        let t = report.totals();
        assert_eq!(t.fail + t.warn, 0, "{tls}: {t:?}");
        if logs_in {
            assert!(t.pass > 0 && t.error == 0, "{tls}: {t:?}");
        } else {
            assert!(t.error > 0 && t.pass == 0, "{tls}: {t:?}");
            for s in report.with_verdict(Verdict::Error) {
                let why = s.reason().unwrap_or_default();
                assert!(why.contains("net::ERR_CERT_AUTHORITY_INVALID"), "{why}");
                assert!(why.contains("Chromium keeps its own trust store"), "{why}");
            }
        }
    }
}
