//! The OpenID Connect parameters of an authentication request (Core
//! §3.1.2.1), as types: what `/authorize` reads besides RFC 6749's.
//!
//! `prompt` and `max_age` are checked here; `request` and `request_uri`
//! (Core §6) are not supported and are refused with their registered codes
//! (Core §3.1.2.6); `id_token_hint` is checked at `/authorize` against
//! the login session (see [`crate::session`]); `display`, `ui_locales`,
//! `claims_locales` and `acr_values` are accepted and ignored (RFC 6749
//! §3.1: unrecognized parameters are ignored).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, OAuthError};
use crate::form::Params;

/// The longest `nonce` or `login_hint` taken (bytes), like `state`'s limit:
/// each is kept with the pending login.
pub const MAX_HINT: usize = 4096;

/// The `prompt` values (Core §3.1.2.1): a space-delimited set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl Prompt {
    /// Parses `prompt`: only the four defined values; `none` alone ("If
    /// this parameter contains none with any other value, an error is
    /// returned").
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut p = Prompt::default();
        for value in s.split(' ').filter(|v| !v.is_empty()) {
            match value {
                "none" => p.none = true,
                "login" => p.login = true,
                "consent" => p.consent = true,
                "select_account" => p.select_account = true,
                other => return Err(format!("prompt value {other:?} is not defined")),
            }
        }
        if p.none && (p.login || p.consent || p.select_account) {
            return Err("prompt none cannot be combined with another value".into());
        }
        Ok(p)
    }
}

/// `max_age` (Core §3.1.2.1): a non-negative number of seconds, digits only.
pub fn parse_max_age(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("max_age {s:?} is not a non-negative integer"));
    }
    s.parse::<u64>()
        .map_err(|_| format!("max_age {s:?} is too large"))
}

/// The `claims` parameter (Core §5.5): the individual claims asked for,
/// for the UserInfo response and for the ID token. Only claims this server
/// has are kept (Core §5.5: a claim the OP does not have is left out, even
/// an essential one); `essential`, `value` and `values` change nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedClaims {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token: Vec<String>,
}

impl RequestedClaims {
    /// Parses the parameter: a JSON object whose `userinfo` and `id_token`
    /// members, when there, are objects of claim names to `null` or to an
    /// object (Core §5.5.1). Other top-level members are ignored.
    pub fn parse(s: &str) -> Result<Self, String> {
        let v: Value =
            serde_json::from_str(s).map_err(|e| format!("claims is not valid JSON: {e}"))?;
        let obj = v.as_object().ok_or("claims must be a JSON object")?;
        Ok(Self {
            userinfo: names(obj.get("userinfo"), "userinfo")?,
            id_token: names(obj.get("id_token"), "id_token")?,
        })
    }

    /// About how many bytes this takes.
    pub fn weight(&self) -> usize {
        self.userinfo
            .iter()
            .chain(&self.id_token)
            .map(|n| n.len() + 24)
            .sum()
    }
}

fn names(member: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    let map = match member {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(format!("claims.{what} must be a JSON object")),
    };
    let mut out = Vec::new();
    for (name, request) in map {
        match request {
            Value::Null => {}
            Value::Object(r) => {
                if r.get("essential").is_some_and(|e| !e.is_boolean()) {
                    return Err(format!("claims.{what}.{name}.essential must be a boolean"));
                }
            }
            _ => {
                return Err(format!(
                    "claims.{what}.{name} must be null or a JSON object"
                ));
            }
        }
        if crate::user_claims::is_known(name) && !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// What the server keeps of an authentication request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthnRequest {
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    pub nonce: Option<String>,
    pub login_hint: Option<String>,
    pub claims: RequestedClaims,
}

/// Why an authentication request is refused (each goes back to the client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `request` was sent (Core §6.1).
    RequestNotSupported,
    /// `request_uri` was sent (Core §6.2).
    RequestUriNotSupported,
    /// A malformed parameter.
    Invalid(String),
}

impl From<Refusal> for OAuthError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::RequestNotSupported => OAuthError::new(
                ErrorCode::RequestNotSupported,
                "request objects (the request parameter) are not supported",
            ),
            Refusal::RequestUriNotSupported => OAuthError::new(
                ErrorCode::RequestUriNotSupported,
                "the request_uri parameter is not supported",
            ),
            Refusal::Invalid(d) => OAuthError::invalid_request(d),
        }
    }
}

/// The faults [`read`] obeys: each switches off one of its rules.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lapses {
    /// `request-object-ignored`: the `request` parameter is passed over.
    pub request_objects_ignored: bool,
    /// `request-uri-ignored`: the `request_uri` parameter is passed over.
    pub request_uris_ignored: bool,
    /// `claims-parameter-refused`: the `claims` parameter is an error.
    pub claims_refused: bool,
}

/// Reads the OpenID Connect parameters of an authorization request,
/// with the rules `lapses` switches off left out.
pub fn read(params: &Params, lapses: Lapses) -> Result<AuthnRequest, Refusal> {
    let one = |name: &str| {
        params
            .single(name)
            .map_err(|e| Refusal::Invalid(e.description))
    };
    if one("request")?.is_some() && !lapses.request_objects_ignored {
        return Err(Refusal::RequestNotSupported);
    }
    if one("request_uri")?.is_some() && !lapses.request_uris_ignored {
        return Err(Refusal::RequestUriNotSupported);
    }
    if lapses.claims_refused && one("claims")?.is_some() {
        return Err(Refusal::Invalid(
            "the claims parameter is not accepted".into(),
        ));
    }
    let prompt = one("prompt")?
        .map(Prompt::parse)
        .transpose()
        .map_err(Refusal::Invalid)?
        .unwrap_or_default();
    let max_age = one("max_age")?
        .map(parse_max_age)
        .transpose()
        .map_err(Refusal::Invalid)?;
    let bounded = |name: &str| -> Result<Option<String>, Refusal> {
        match one(name)? {
            Some(v) if v.len() > MAX_HINT => Err(Refusal::Invalid(format!(
                "{name} is longer than {MAX_HINT} bytes"
            ))),
            v => Ok(v.map(str::to_owned)),
        }
    };
    let claims = bounded("claims")?
        .map(|c| RequestedClaims::parse(&c))
        .transpose()
        .map_err(Refusal::Invalid)?
        .unwrap_or_default();
    Ok(AuthnRequest {
        prompt,
        max_age,
        nonce: bounded("nonce")?,
        login_hint: bounded("login_hint")?,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored() -> Lapses {
        Lapses {
            request_objects_ignored: true,
            ..Lapses::default()
        }
    }

    fn params(q: &str) -> Params {
        Params::parse(q.as_bytes()).unwrap()
    }

    #[test]
    fn prompt_is_a_set_of_the_four_values_with_none_alone() {
        let p = Prompt::parse("login  consent").unwrap();
        assert!(p.login && p.consent && !p.none && !p.select_account);
        assert!(Prompt::parse("none").unwrap().none);
        assert!(Prompt::parse("select_account").unwrap().select_account);
        assert!(Prompt::parse("none login").is_err());
        assert!(Prompt::parse("None").is_err());
        assert!(Prompt::parse("create").is_err());
        assert_eq!(Prompt::parse("").unwrap(), Prompt::default());
    }

    #[test]
    fn the_claims_parameter_keeps_the_known_names_of_each_member() {
        let c = RequestedClaims::parse(
            r#"{"userinfo":{"name":{"essential":true},"nickname":null,"email":null},
                "id_token":{"email":{"value":"x"}},"other":1}"#,
        )
        .unwrap();
        assert_eq!(c.userinfo, ["email", "name"]);
        assert_eq!(c.id_token, ["email"]);
        for bad in [
            "{",
            "[]",
            r#"{"userinfo":5}"#,
            r#"{"userinfo":{"name":true}}"#,
            r#"{"id_token":{"name":{"essential":"yes"}}}"#,
        ] {
            assert!(RequestedClaims::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RequestedClaims::parse("{}").unwrap(),
            RequestedClaims::default()
        );
    }

    #[test]
    fn max_age_is_digits_only() {
        assert_eq!(parse_max_age("0"), Ok(0));
        assert_eq!(parse_max_age("3600"), Ok(3600));
        for bad in ["-1", "+5", "1.5", " 5", "x", "99999999999999999999999"] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_objects_are_refused_unless_the_fault_ignores_them() {
        assert_eq!(
            read(&params("request=eyJ.e30."), Lapses::default()),
            Err(Refusal::RequestNotSupported)
        );
        assert!(read(&params("request=eyJ.e30."), ignored()).is_ok());
        assert_eq!(
            read(&params("request_uri=https://x.example/r"), ignored()),
            Err(Refusal::RequestUriNotSupported)
        );
        let r = read(
            &params(
                "nonce=n1&login_hint=bob&display=page&ui_locales=fr&acr_values=1&id_token_hint=x",
            ),
            Lapses::default(),
        )
        .unwrap();
        assert_eq!(r.nonce.as_deref(), Some("n1"));
        assert_eq!(r.login_hint.as_deref(), Some("bob"));
        assert!(matches!(
            read(
                &params(&format!("nonce={}", "n".repeat(MAX_HINT + 1))),
                Lapses::default()
            ),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            read(&params("max_age=-1"), Lapses::default()),
            Err(Refusal::Invalid(_))
        ));
    }
}
