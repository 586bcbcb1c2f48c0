//! The profile's own tests: parsing, locating errors, and each section's rules.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::driver::forms::ConsentChoice;
use crate::protocol::{AuthMethod, GrantType};

fn parse(text: &str) -> Result<TargetProfile, ProfileError> {
    TargetProfile::parse(text, "examples/targets/x.toml")
}

fn issue_of(text: &str) -> ProfileIssue {
    match parse(text) {
        Err(ProfileError::Invalid(i)) => i,
        Err(e) => panic!("unexpected error {e}"),
        Ok(p) => panic!("expected an error, got {p:?}"),
    }
}

const GOOD: &str = r#"name = "oidc-provider"
issuer = "http://127.0.0.1:3000"

[endpoints]
jwks = "http://127.0.0.1:3000/jwks"

[[clients]]
id = "confidential-client"
secret = "confidential-secret-0123456789abcdef"
redirect_uri = "http://127.0.0.1:8765/callback"
scope = "openid profile"
grant_types = ["authorization_code", "refresh_token", "client_credentials"]

[[clients]]
id = "public-client"
redirect_uri = "http://127.0.0.1:8765/callback"

[login]
username = "alice"
password = "pw"
fields = { username = "login", password = "password" }

[[resources]]
url = "http://127.0.0.1:3001/api/notes"
method = "post"
scope = "notes:write"
body = { text = "hello" }

[expiry]
max_wait = "1m30s"
"#;

#[test]
fn a_good_profile_parses_with_defaults_and_computed_hosts() {
    let p = parse(GOOD).unwrap();
    assert_eq!(p.name, "oidc-provider");
    assert_eq!(p.kind, TargetKind::OAuth);
    assert_eq!(p.clients[0].auth_method, AuthMethod::ClientSecretBasic);
    assert_eq!(p.clients[1].auth_method, AuthMethod::None);
    assert_eq!(p.clients[1].grant_types, vec![GrantType::AuthorizationCode]);
    assert!(
        p.confidential_client(&GrantType::ClientCredentials)
            .is_some()
    );
    assert_eq!(
        p.public_client(&GrantType::AuthorizationCode)
            .unwrap()
            .id
            .as_str(),
        "public-client"
    );
    let login = p.login.as_ref().unwrap();
    assert_eq!(login.fields.username, "login");
    assert_eq!(login.walk_options().login.unwrap().username_field, "login");
    assert_eq!(p.resources[0].method, "POST");
    assert_eq!(
        p.resources[0].body,
        Some(serde_json::json!({"text": "hello"}))
    );
    assert_eq!(p.expiry.max_wait, Duration::from_secs(90));
    assert_eq!(p.timeout, Duration::from_secs(10));
    let hosts: Vec<String> = p.allowed_hosts.hosts().map(|h| h.to_string()).collect();
    // The redirect URI's host (8765) is not one the driver may contact.
    assert_eq!(hosts, vec!["127.0.0.1:3000", "127.0.0.1:3001"]);
    assert!(!format!("{login:?}").contains("pw\""));
}

#[test]
fn login_strategies_are_checked_with_line_and_field() {
    let api = |extra: &str| {
        GOOD.replace(
            "fields = { username = \"login\", password = \"password\" }\n",
            &format!("strategy = \"api\"\npage_capture = {{ csrf = 'regex:csrf=\"([^\"]+)\"' }}\ncontinue = \"{{next}}\"\n{extra}"),
        )
    };
    let good = api("");
    let good = format!(
        "{good}\n[[login.api]]\nmethod = \"post\"\nurl = \"{{page}}/api/login\"\nheaders = {{ \"X-CSRF-Token\" = \"{{csrf}}\" }}\njson = {{ username = \"{{username}}\" }}\ncapture = {{ next = \"json:/next\" }}\n"
    );
    let p = parse(&good).unwrap();
    let login = p.login.as_ref().unwrap();
    assert_eq!(login.strategy, LoginStrategy::Api);
    let walk = login.walk_options();
    assert_eq!(
        walk.api.as_ref().unwrap().steps[0].method,
        reqwest::Method::POST
    );
    assert_eq!(walk.login.unwrap().password, "pw");

    // A placeholder nothing captured.
    let i = issue_of(&good.replace("{csrf}", "{token}"));
    assert_eq!(i.field, "login.api[0]");
    assert!(
        i.message.contains("{token} is not known here"),
        "{}",
        i.message
    );
    assert!(
        i.line > 25,
        "the line of the request, not the file's start: {}",
        i.line
    );
    // `continue` may use what the requests captured, but not more.
    let i = issue_of(&good.replace("continue = \"{next}\"", "continue = \"{later}\""));
    assert_eq!(i.field, "login.continue");
    // A capture that is not json:, header: or regex:.
    let i = issue_of(&good.replace("json:/next", "json:next"));
    assert_eq!(i.field, "login.api[0].capture.next");
    assert!(i.message.contains("RFC 6901"));
    // The strategy needs its requests; the requests need the strategy.
    let i = issue_of(&api(""));
    assert_eq!(i.field, "login.strategy");
    let i = issue_of(&good.replace("strategy = \"api\"\n", ""));
    assert_eq!(i.field, "login.api");
    // command: the program first.
    let cmd = GOOD.replace(
        "fields = { username = \"login\", password = \"password\" }\n",
        "strategy = \"command\"\ncommand = [\"\"]\n",
    );
    assert_eq!(issue_of(&cmd).field, "login.command");
    let cmd = cmd.replace(
        "command = [\"\"]",
        "command = [\"node\", \"login.js\"]\ncommand_timeout = \"5s\"",
    );
    let p = parse(&cmd).unwrap();
    let c = p.login.unwrap().command.unwrap();
    assert_eq!(c.argv, ["node", "login.js"]);
    assert_eq!(c.timeout, Duration::from_secs(5));
    assert_eq!(c.dir.as_deref(), Some(Path::new("examples/targets")));
}

#[test]
fn a_relative_redirect_uri_is_reported_at_its_line_and_field() {
    let text = GOOD.replace(
        "redirect_uri = \"http://127.0.0.1:8765/callback\"\n\n[login]",
        "redirect_uri = \"/callback\"\n\n[login]",
    );
    let i = issue_of(&text);
    assert_eq!(i.field, "clients[1].redirect_uri");
    assert_eq!((i.line, i.column), (16, 1));
    assert_eq!(
        i.to_string(),
        "examples/targets/x.toml:16:1: clients[1].redirect_uri: relative URL without a base"
    );
}

#[test]
fn unknown_fields_are_errors_with_their_line() {
    let text = GOOD.replace(
        "scope = \"openid profile\"",
        "scope = \"openid\"\nsecrett = \"x\"",
    );
    let i = issue_of(&text);
    assert_eq!(i.line, 12, "{i}");
    assert_eq!(i.column, 1);
    assert_eq!(i.field, "clients[0].secrett");
    assert!(i.message.contains("unknown field `secrett`"), "{i}");

    let i = issue_of("name = \"x\"\nissuer = \"http://h\"\n[endpoints]\ntokens = \"http://h/t\"\n");
    assert_eq!((i.line, i.field.as_str()), (4, "endpoints.tokens"), "{i}");

    let i = issue_of("name = \"x\"\nissuer = \"http://h\"\ncolour = 1\n");
    assert_eq!((i.line, i.field.as_str()), (3, "colour"), "{i}");
}

#[test]
fn wrong_types_and_bad_enums_point_at_the_value() {
    let i = issue_of(
        "name = \"x\"\nissuer = \"http://h\"\n\n[[clients]]\nid = \"c\"\nsecret = \"s\"\nauth_method = \"private_key_jwt\"\n",
    );
    assert_eq!(i.line, 7, "{i}");
    assert_eq!(i.field, "clients[0].auth_method");
    let i = issue_of("name = 3\n");
    assert_eq!((i.line, i.field.as_str()), (1, "name"), "{i}");
}

#[test]
fn toml_syntax_errors_have_a_line() {
    let i = issue_of("name = \"x\"\nissuer = \n");
    assert_eq!(i.line, 2, "{i}");
    assert!(i.to_string().starts_with("examples/targets/x.toml:2:"));
}

#[test]
fn validation_rules() {
    let base = "name = \"x\"\nissuer = \"http://127.0.0.1:1\"\n[registration]\n";
    let i = issue_of(&format!(
        "{base}redirect_uri = \"http://127.0.0.1:2/cb#frag\"\n"
    ));
    assert_eq!((i.line, i.field.as_str()), (4, "registration.redirect_uri"));
    assert!(i.message.contains("fragment"));
    let i = issue_of(&format!("{base}[expiry]\nmax_wait = \"10\"\n"));
    assert_eq!((i.line, i.field.as_str()), (5, "expiry.max_wait"));
    assert!(i.message.contains("no unit"), "{i}");
    let i = issue_of("name = \"x\"\nissuer = \"ftp://h\"\n[registration]\n");
    assert_eq!(i.field, "issuer");
    assert!(i.message.contains("http or https"));
    let i = issue_of("name = \"x\"\nissuer = \"http://h/?q=1\"\n[registration]\n");
    assert!(i.message.contains("RFC 8414"));
    // Nothing to check.
    let i = issue_of("name = \"x\"\nissuer = \"http://h\"\n");
    assert_eq!(i.field, "");
    assert!(i.message.contains("nothing to check"));
    // A secret-using method without a secret.
    let i = issue_of(
        "name = \"x\"\nissuer = \"http://h\"\n[[clients]]\nid = \"a\"\nauth_method = \"client_secret_post\"\ngrant_types = [\"client_credentials\"]\n",
    );
    assert_eq!(
        (i.line, i.field.as_str()),
        (5, "clients[0].auth_method"),
        "{i}"
    );
    // Duplicate ids.
    let i = issue_of(
        "name = \"x\"\nissuer = \"http://h\"\n[[clients]]\nid = \"a\"\ngrant_types = []\n[[clients]]\nid = \"a\"\ngrant_types = []\n",
    );
    assert_eq!((i.line, i.field.as_str()), (7, "clients[1].id"), "{i}");
    // An oauth target with no way in.
    let i = issue_of("name = \"x\"\n[registration]\n");
    assert_eq!(i.field, "issuer");
}

#[test]
fn jwt_api_profiles() {
    let text = r#"name = "flask"
kind = "jwt-api"

[jwt_api]
login_url = "http://127.0.0.1:5000/login"
refresh_url = "http://127.0.0.1:5000/refresh"

[[jwt_api.users]]
username = "alice"
password = "alice-password"
roles = ["user"]

[[resources]]
url = "http://127.0.0.1:5000/admin"
role = "admin"
"#;
    let i = issue_of(text);
    assert_eq!((i.line, i.field.as_str()), (15, "resources[0].role"), "{i}");
    let p = parse(&text.replace("roles = [\"user\"]", "roles = [\"user\", \"admin\"]")).unwrap();
    let j = p.jwt_api.as_ref().unwrap();
    assert_eq!(j.token_field, "access_token");
    assert_eq!(j.refresh_with, RefreshWith::Bearer);
    assert_eq!(
        j.login_body_for(&j.users[0]),
        serde_json::json!({"username": "alice", "password": "alice-password"})
    );
    assert_eq!(p.allowed_hosts.hosts().count(), 1);

    let i = issue_of("name = \"f\"\nkind = \"jwt-api\"\n\n[jwt_api]\ntoken_field = \"t\"\n");
    assert_eq!(i.field, "jwt_api", "{i}");
    assert!(i.message.contains("login_url"), "{i}");
    assert_eq!(i.line, 4, "{i}");
    let i = issue_of("name = \"f\"\nkind = \"jwt\"\n");
    assert_eq!((i.line, i.field.as_str()), (2, "kind"), "{i}");
}

#[test]
fn the_shipped_example_profiles_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/targets");
    let oidc = TargetProfile::load(dir.join("oidc-provider.toml")).unwrap();
    assert_eq!(oidc.clients.len(), 2);
    assert_eq!(oidc.login.as_ref().unwrap().fields.username, "login");
    assert_eq!(oidc.resources.len(), 3);
    let hosts: Vec<String> = oidc.allowed_hosts.hosts().map(|h| h.to_string()).collect();
    assert_eq!(hosts, vec!["127.0.0.1:3000", "127.0.0.1:3001"]);
    let flask = TargetProfile::load(dir.join("flask-jwt-api.toml")).unwrap();
    assert_eq!(flask.kind, TargetKind::JwtApi);
    let j = flask.jwt_api.as_ref().unwrap();
    assert_eq!(j.user_with_role("admin").unwrap().username, "root");
    assert_eq!(j.user_without_role("admin").unwrap().username, "alice");
    let reference = TargetProfile::load(dir.join("reference.toml")).unwrap();
    assert!(reference.registration_enabled());
    assert_eq!(
        reference.login.as_ref().unwrap().consent,
        ConsentChoice::Button("approve".into())
    );
    let missing = TargetProfile::load(dir.join("no-such-profile.toml")).unwrap_err();
    assert!(matches!(missing, ProfileError::Read { .. }));
    assert!(missing.to_string().contains("no-such-profile.toml"));
}

#[test]
fn the_relying_party_example_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/targets");
    let p = TargetProfile::load(dir.join("flask-social-login.toml")).unwrap();
    assert_eq!(p.kind, TargetKind::RelyingParty);
    let r = p.relying_party.as_ref().unwrap();
    assert_eq!((r.upstream_port, r.provider.as_str()), (8766, "google"));
    assert_eq!(r.answer_within, Duration::from_secs(5));
    assert_eq!(r.token, Some(TokenFrom::Json("/token".into())));
    assert_eq!(
        r.session.as_ref().map(|s| (s.url.path(), s.status)),
        Some(("/dashboard", 200))
    );
    assert!(!format!("{r:?}").contains("app-secret"), "{r:?}");
    let hosts: Vec<String> = p.allowed_hosts.hosts().map(|h| h.to_string()).collect();
    assert_eq!(hosts, vec!["127.0.0.1:8765", "127.0.0.1:8766"]);
}

#[test]
fn relying_party_sections_are_checked_with_line_and_field() {
    let i = issue_of("name = \"f\"\nkind = \"relying-party\"\n");
    assert_eq!(i.field, "kind", "{i}");
    let table = "[relying_party]\nlogin_url = \"http://127.0.0.1:1/login\"\ncallback_url = \"http://127.0.0.1:1/cb\"\nupstream_port = 0\nclient_id = \"a\"\nclient_secret = \"b\"\n";
    let i = issue_of(&format!("name = \"f\"\nkind = \"relying-party\"\n{table}"));
    assert_eq!(i.field, "relying_party.upstream_port", "{i}");
    let i = issue_of(&format!(
        "name = \"f\"\nissuer = \"http://127.0.0.1:1\"\n{}",
        table.replace("= 0", "= 2")
    ));
    assert_eq!(i.field, "relying_party", "{i}");
    let i = issue_of(&format!(
        "name = \"f\"\nkind = \"relying-party\"\n{}provider = \"okta\"\n",
        table.replace("= 0", "= 2")
    ));
    assert_eq!(
        (i.field.as_str(), i.line),
        ("relying_party.provider", 9),
        "{i}"
    );
    // A profile must say how a login that worked looks.
    let bare = format!(
        "name = \"f\"\nkind = \"relying-party\"\n{}",
        table.replace("= 0", "= 2")
    );
    let i = issue_of(&bare);
    assert_eq!(i.field, "relying_party", "{i}");
    assert!(i.message.contains("[relying_party.session]"), "{i}");
    let with = |extra: &str| format!("{bare}{extra}");
    let i = issue_of(&with(
        "token = \"body\"\n[relying_party.success]\nstatus = 200\n",
    ));
    assert_eq!(
        (i.field.as_str(), i.line),
        ("relying_party.token", 9),
        "{i}"
    );
    let i = issue_of(&with("[relying_party.success]\nstatus = 700\n"));
    assert_eq!(i.field, "relying_party.success.status", "{i}");
    let i = issue_of(&with("[relying_party.success]\nheader = \"Bad Name: x\"\n"));
    assert_eq!(i.field, "relying_party.success.header", "{i}");
    let i = issue_of(&with("[relying_party.session]\nurl = \"/me\"\n"));
    assert_eq!(i.field, "relying_party.session.url", "{i}");
    let api = "[[resources]]\nurl = \"http://127.0.0.1:1/api\"\n";
    let i = issue_of(&with(&format!(
        "[relying_party.success]\nstatus = 200\n{api}"
    )));
    assert_eq!(i.field, "relying_party.token", "{i}");
    let i = issue_of(&with(&format!(
        "token = \"cookie:jwt\"\n[relying_party.success]\nstatus = 200\n{api}role = \"admin\"\n"
    )));
    assert_eq!(i.field, "resources[0].role", "{i}");
    let ok = parse(&with(&format!(
        "token = \"cookie:jwt\"\n[relying_party.session]\nurl = \"http://127.0.0.1:1/me\"\n{api}"
    )))
    .unwrap();
    assert_eq!(ok.resources.len(), 1);
    let b = parse(&with(
        "[relying_party.session]\nurl = \"http://127.0.0.1:1/me\"\n[relying_party.browser]\nstart = \"#go\"\ntimeout = \"9s\"\n",
    ))
    .unwrap();
    let b = b.relying_party.unwrap().browser.unwrap();
    assert_eq!(
        (b.start.as_deref(), b.timeout),
        (Some("#go"), Duration::from_secs(9))
    );
    let i = issue_of(&with(
        "[relying_party.session]\nurl = \"http://127.0.0.1:1/me\"\n[relying_party.browser]\nstart = \" \"\n",
    ));
    assert_eq!(i.field, "relying_party.browser.start", "{i}");
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h2m3s"), Ok(Duration::from_secs(3723)));
    assert!(parse_duration("").is_err());
    assert!(parse_duration("10").is_err());
    assert!(parse_duration("s").is_err());
    assert!(parse_duration("3d").is_err());
    assert!(parse_duration("-1s").is_err());
}

#[test]
fn line_and_column_count_characters() {
    assert_eq!(line_col("a\nbé c", 5), (2, 3));
    assert_eq!(line_col("abc", 0), (1, 1));
}
