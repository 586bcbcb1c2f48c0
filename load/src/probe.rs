//! Before a run: the requests of the profile's own kind, once, so that a target the profile
//! cannot serve is a setup error that says why (never a run of 100% failures that exits 0),
//! and the access tokens' format is known: a JWT (RFC 9068) is checked by shape on every
//! answer; an opaque token is checked here another way (introspection, RFC 7662 §2.2
//! `active`, when the target offers it; else the protected resource accepting it).

use std::fmt;

use crate::check::{self, Tokens};
use crate::flows::{Exchange, Flows, Reply};
use crate::profile::Profile;

/// What the access tokens are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenFormat {
    /// RFC 9068 JWTs: each answer's token must parse as one.
    Jwt,
    /// Opaque strings: checked once by introspection or the resource.
    Opaque,
    /// Decided by the first token the target issues.
    #[default]
    Detect,
}

impl std::str::FromStr for TokenFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jwt" => Ok(Self::Jwt),
            "opaque" => Ok(Self::Opaque),
            "detect" => Ok(Self::Detect),
            other => Err(format!(
                "invalid token format `{other}`: use jwt, opaque or detect"
            )),
        }
    }
}

impl fmt::Display for TokenFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jwt => "jwt",
            Self::Opaque => "opaque",
            Self::Detect => "detect",
        })
    }
}

/// What the probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probed {
    /// Check every access token as a JWT.
    pub jwt: bool,
    /// Lines for the summary.
    pub notes: Vec<String>,
}

/// Why the run cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProbeError(pub String);

/// One line on an answer: its status and RFC 6749 §5.2 error code, never its body (a token
/// answer carries secrets).
fn said(x: &Exchange) -> String {
    match &x.outcome {
        Err(why) => why.clone(),
        Ok(Reply { status, body, .. }) => {
            let code = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
            match code {
                Some(c) => format!("{status} error={c}"),
                None => format!("status {status}"),
            }
        }
    }
}

fn token_from(x: &Exchange, what: &str, fix: &str) -> Result<Tokens, ProbeError> {
    let reply = x
        .outcome
        .as_ref()
        .map_err(|why| ProbeError(format!("{what}: {why}; {fix}")))?;
    check::token_response(reply, false).map_err(|f| {
        let why = if (200..300).contains(&reply.status) {
            f.detail
        } else {
            said(x)
        };
        ProbeError(format!("{what}: {why}; {fix}"))
    })
}

async fn code_flow_tokens(flows: &dyn Flows) -> Result<Tokens, ProbeError> {
    let walk = flows.authorize().await;
    let grant = walk.grant.map_err(|why| {
        ProbeError(format!(
            "the authorization code flow did not give a code: {why}; check [login] and the client's redirect URI (oauthspec check --tags @authorization_code shows the walk)"
        ))
    })?;
    let x = flows.exchange_code(&grant).await;
    token_from(
        &x,
        "the token endpoint did not exchange a code",
        "check the client's secret and auth_method in the target profile",
    )
}

async fn cc_tokens(flows: &dyn Flows) -> Result<Tokens, ProbeError> {
    let x = flows.client_credentials().await;
    token_from(
        &x,
        "the token endpoint refused client credentials",
        "check the [[clients]] entry (secret, auth_method, scope) the load uses",
    )
}

/// Whether `x` was not sent because the target profile lacks what it needs.
fn not_offered(x: &Exchange) -> bool {
    matches!(&x.outcome, Err(why) if why.starts_with("the target profile gives no"))
}

/// Runs the profile's requests once: the tokens it needs, and for the introspection and
/// resource profiles the measured call itself.
pub async fn probe(
    flows: &dyn Flows,
    profile: Profile,
    format: TokenFormat,
) -> Result<Probed, ProbeError> {
    let mut notes = Vec::new();
    let tokens = match profile {
        Profile::Healthz | Profile::Ceiling => {
            return Ok(Probed {
                jwt: format == TokenFormat::Jwt,
                notes,
            });
        }
        Profile::ClientCredentials | Profile::Introspection => cc_tokens(flows).await?,
        Profile::Mixed => {
            cc_tokens(flows).await?;
            code_flow_tokens(flows).await?
        }
        Profile::AuthorizationCode
        | Profile::Refresh
        | Profile::RefreshRace
        | Profile::Resource => code_flow_tokens(flows).await?,
    };
    if matches!(profile, Profile::Refresh | Profile::RefreshRace) && tokens.refresh_token.is_none()
    {
        return Err(ProbeError(
            "the token endpoint issued no refresh token with the code exchange; the refresh profiles need one (some servers issue it only for a scope such as offline_access: set the client's scope in the target profile)".into(),
        ));
    }
    let jwt_shaped = check::parses_as_jwt(&tokens.access_token);
    let jwt = match (format, jwt_shaped) {
        (TokenFormat::Jwt, false) => {
            return Err(ProbeError(
                "the access token is not a JWT, but --token-format jwt says it is one: use --token-format opaque (or detect)".into(),
            ));
        }
        (TokenFormat::Jwt, true) => true,
        (TokenFormat::Opaque, _) => false,
        (TokenFormat::Detect, shaped) => {
            notes.push(format!(
                "access tokens: {} (detected from the first token the target issued)",
                if shaped {
                    "JWTs, each checked by shape"
                } else {
                    "opaque"
                }
            ));
            shaped
        }
    };
    if matches!(profile, Profile::Introspection) || !jwt {
        let x = flows.introspect(&tokens.access_token).await;
        let checked = match &x.outcome {
            _ if not_offered(&x) => None,
            Ok(r) if (200..300).contains(&r.status) => {
                Some(check::introspection_active(r).map_err(|f| f.detail))
            }
            Ok(_) => Some(Err(said(&x))),
            Err(why) => Some(Err(why.clone())),
        };
        match checked {
            Some(Ok(())) if !jwt => notes.push(
                "opaque access tokens: the first one was checked by introspection (active)".into(),
            ),
            Some(Ok(())) => {}
            Some(Err(why)) => {
                return Err(ProbeError(format!(
                    "introspection did not find a fresh access token active: {why}; check the client the load introspects with"
                )));
            }
            None if matches!(profile, Profile::Introspection) => {
                return Err(ProbeError(
                    "the target has no introspection endpoint: give [endpoints] introspection in the target profile".into(),
                ));
            }
            None => {}
        }
    }
    if matches!(profile, Profile::Resource | Profile::Mixed)
        || (!jwt && !notes.iter().any(|n| n.contains("introspection")))
    {
        let x = flows.resource(&tokens.access_token).await;
        match &x.outcome {
            _ if not_offered(&x) && matches!(profile, Profile::Resource | Profile::Mixed) => {
                return Err(ProbeError(
                    "the target profile names no GET resource: add a [[resources]] entry with method = \"GET\"".into(),
                ));
            }
            _ if not_offered(&x) => notes.push(
                "opaque access tokens: no introspection endpoint or GET resource to check them with; only their presence in each answer is checked".into(),
            ),
            Ok(r) if check::resource_ok(r).is_ok() => {
                if !jwt {
                    notes.push(
                        "opaque access tokens: the first one was checked by the protected resource (accepted)".into(),
                    );
                }
            }
            _ => {
                return Err(ProbeError(format!(
                    "the protected resource refused a fresh access token: {}; check the [[resources]] entry and the client's scope",
                    said(&x)
                )));
            }
        }
    }
    Ok(Probed { jwt, notes })
}
