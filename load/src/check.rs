//! Validation of every answer: a request counts as a success only if the answer is what the
//! RFC says a success looks like. Failures are classified by kind for the report.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::value::RawValue;

use crate::flows::Reply;

/// Why a request counted as a failure.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No complete answer: connection refused or reset, timeout.
    Transport,
    /// An answer with a status other than the one a success needs.
    Status(u16),
    /// A success status with the wrong `Content-Type` (RFC 6749 §5.1: `application/json`).
    ContentType,
    /// A body that does not parse as the endpoint's response.
    Unparsable,
    /// An access token that is not a compact JWS with a JSON header (RFC 9068 §2.1, RFC 7515
    /// §7.1), or a `token_type` other than Bearer (RFC 6750 §4).
    InvalidToken,
    /// A refresh answer without a new refresh token although the server rotates them
    /// (RFC 9700 §4.14.2).
    NoRefreshToken,
    /// Introspection of a token just issued said `active: false` (RFC 7662 §2.2).
    Inactive,
    /// The walk through the authorization endpoint did not end at the redirect URI with a
    /// code (RFC 6749 §4.1.2).
    Authorization,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Transport => f.write_str("transport"),
            FailureKind::Status(s) => write!(f, "status {s}"),
            FailureKind::ContentType => f.write_str("wrong content type"),
            FailureKind::Unparsable => f.write_str("unparsable body"),
            FailureKind::InvalidToken => f.write_str("invalid access token"),
            FailureKind::NoRefreshToken => f.write_str("no rotated refresh token"),
            FailureKind::Inactive => f.write_str("inactive token"),
            FailureKind::Authorization => f.write_str("authorization walk"),
        }
    }
}

/// A failure: its kind and a short detail (never a secret: only statuses, error codes,
/// content types and parser messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

impl Failure {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// The tokens of a valid token response.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

fn is_json(reply: &Reply) -> bool {
    reply.content_type.as_deref().is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json")
            || (essence.len() > 5 && essence[essence.len() - 5..].eq_ignore_ascii_case("+json"))
    })
}

/// The `error` code of an RFC 6749 §5.2 error body, if there is one.
fn error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v.get("error")?.as_str()?;
    // Error codes are %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §5.2): keep it short and plain.
    Some(
        code.chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect(),
    )
}

fn status_failure(reply: &Reply) -> Failure {
    let detail = match error_code(&reply.body) {
        Some(code) => format!("status {} error={code}", reply.status),
        None => format!("status {}", reply.status),
    };
    Failure::new(FailureKind::Status(reply.status), detail)
}

/// A 2xx answer that says it is JSON.
fn json_reply(reply: &Reply) -> Result<(), Failure> {
    if !(200..300).contains(&reply.status) {
        return Err(status_failure(reply));
    }
    if !is_json(reply) {
        return Err(Failure::new(
            FailureKind::ContentType,
            format!(
                "content type {} where application/json is required",
                reply.content_type.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    Ok(())
}

fn json_object(reply: &Reply) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    json_reply(reply)?;
    match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(Failure::new(
            FailureKind::Unparsable,
            "JSON that is not an object",
        )),
        Err(e) => Err(Failure::new(
            FailureKind::Unparsable,
            format!("not JSON: {e}"),
        )),
    }
}

/// Whether `token` is a compact JWS whose header is a JSON object with an `alg` (RFC 7515
/// §7.1, §4.1.1): the shape of an RFC 9068 access token.
pub fn parses_as_jwt(token: &str) -> bool {
    /// The JOSE header's `alg`; the rest is not read.
    #[derive(serde::Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        alg: Cow<'a, str>,
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if p.is_empty() || s.is_empty() {
        return false;
    }
    let Ok(header) = URL_SAFE_NO_PAD.decode(h) else {
        return false;
    };
    let Ok(payload) = URL_SAFE_NO_PAD.decode(p) else {
        return false;
    };
    // Both are JSON objects (RFC 7519 §7.2); the payload's members are checked for syntax
    // only, without building them.
    let header_ok = is_object_text(&header)
        && serde_json::from_slice::<Header>(&header).is_ok_and(|h| h.alg != "none");
    header_ok
        && is_object_text(&payload)
        && serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_ok()
}

/// JSON text whose value is an object (a struct also deserialises from an array).
fn is_object_text(json: &[u8]) -> bool {
    json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The members of a token response the load reads, as they came (a JSON `null` included).
#[derive(serde::Deserialize)]
struct TokenMembers<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    access_token: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    token_type: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    refresh_token: Option<&'a RawValue>,
}

/// A member that is there, whatever its value (`Option`'s own rule would read `null` as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue as serde::Deserialize>::deserialize(d).map(Some)
}

/// A member's value if it is a JSON string.
fn text(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    raw.and_then(|r| serde_json::from_str::<Cow<str>>(r.get()).ok())
}

/// An RFC 6749 §5.1 token response: 2xx, JSON, an `access_token` (a JWT when `jwt` is set)
/// and `token_type` Bearer.
pub fn token_response(reply: &Reply, jwt: bool) -> Result<Tokens, Failure> {
    json_reply(reply)?;
    let unparsable = |why: String| Err(Failure::new(FailureKind::Unparsable, why));
    // The members the load does not read are checked for syntax only (not built): the
    // whole body must still be UTF-8 (RFC 8259 §8.1).
    if std::str::from_utf8(&reply.body).is_err() {
        return unparsable("not JSON: the body is not UTF-8".into());
    }
    if !is_object_text(&reply.body) {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(&reply.body) {
            Ok(_) => unparsable("JSON that is not an object".into()),
            Err(e) => unparsable(format!("not JSON: {e}")),
        };
    }
    let m = match serde_json::from_slice::<TokenMembers>(&reply.body) {
        Ok(m) => m,
        Err(e) if e.to_string().starts_with("duplicate field") => {
            return unparsable(format!(
                "a member appears twice (RFC 8259 §4: names SHOULD be unique): {e}"
            ));
        }
        Err(e) => return unparsable(format!("not JSON: {e}")),
    };
    let Some(access) = text(m.access_token) else {
        return Err(Failure::new(FailureKind::Unparsable, "no access_token"));
    };
    match text(m.token_type) {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        Some(_) => {
            return Err(Failure::new(
                FailureKind::InvalidToken,
                "token_type is not Bearer",
            ));
        }
        None => return Err(Failure::new(FailureKind::Unparsable, "no token_type")),
    }
    if jwt && !parses_as_jwt(&access) {
        return Err(Failure::new(
            FailureKind::InvalidToken,
            "access_token is not a JWT (RFC 9068)",
        ));
    }
    let refresh_token = match m.refresh_token {
        None => None,
        Some(raw) => match text(Some(raw)) {
            // RFC 6749 Appendix A.17: refresh-token = 1*VSCHAR.
            Some(s) if s.is_empty() => {
                return Err(Failure::new(
                    FailureKind::Unparsable,
                    "refresh_token is an empty string (RFC 6749 Appendix A.17: 1*VSCHAR)",
                ));
            }
            Some(s) => Some(s.into_owned()),
            None => {
                return Err(Failure::new(
                    FailureKind::Unparsable,
                    "refresh_token is not a string",
                ));
            }
        },
    };
    Ok(Tokens {
        access_token: access.into_owned(),
        refresh_token,
    })
}

/// A refresh answer (RFC 6749 §6) from a server that rotates refresh tokens: a token
/// response with a new refresh token.
pub fn refresh_response(reply: &Reply, jwt: bool) -> Result<Tokens, Failure> {
    let t = token_response(reply, jwt)?;
    if t.refresh_token.is_none() {
        return Err(Failure::new(
            FailureKind::NoRefreshToken,
            "no refresh_token in the answer",
        ));
    }
    Ok(t)
}

/// The answer a losing replay of a rotated refresh token must get: 400 `invalid_grant`
/// (RFC 6749 §5.2, RFC 9700 §4.14.2).
pub fn is_invalid_grant(reply: &Reply) -> bool {
    reply.status == 400 && error_code(&reply.body).as_deref() == Some("invalid_grant")
}

/// An RFC 7662 §2.2 introspection answer for a token that must be active.
pub fn introspection_active(reply: &Reply) -> Result<(), Failure> {
    let m = json_object(reply)?;
    match m.get("active") {
        Some(serde_json::Value::Bool(true)) => Ok(()),
        Some(serde_json::Value::Bool(false)) => {
            Err(Failure::new(FailureKind::Inactive, "active: false"))
        }
        _ => Err(Failure::new(
            FailureKind::Unparsable,
            "no boolean active member",
        )),
    }
}

/// A protected resource's answer: 2xx and a JSON body.
pub fn resource_ok(reply: &Reply) -> Result<(), Failure> {
    json_object(reply).map(|_| ())
}

/// The baseline's answer: any 2xx.
pub fn baseline_ok(reply: &Reply) -> Result<(), Failure> {
    if (200..300).contains(&reply.status) {
        Ok(())
    } else {
        Err(status_failure(reply))
    }
}

/// A step of the authorization walk: redirects and pages are fine, 4xx and 5xx are not.
pub fn walk_step_ok(reply: &Reply) -> Result<(), Failure> {
    if reply.status < 400 {
        Ok(())
    } else {
        Err(status_failure(reply))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, ct: Option<&str>, body: &str) -> Reply {
        Reply {
            status,
            content_type: ct.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        }
    }

    const JWT: &str = "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";

    #[test]
    fn token_responses_are_checked_for_status_type_shape_and_token() {
        let ok =
            format!(r#"{{"access_token":"{JWT}","token_type":"bearer","refresh_token":"r1"}}"#);
        let t = token_response(
            &reply(200, Some("application/json; charset=utf-8"), &ok),
            true,
        )
        .unwrap();
        assert_eq!(t.refresh_token.as_deref(), Some("r1"));

        let e = token_response(
            &reply(
                401,
                Some("application/json"),
                r#"{"error":"invalid_client"}"#,
            ),
            true,
        )
        .unwrap_err();
        assert_eq!(e.kind, FailureKind::Status(401));
        assert_eq!(e.detail, "status 401 error=invalid_client");

        let e = token_response(&reply(200, Some("text/html"), &ok), true).unwrap_err();
        assert_eq!(e.kind, FailureKind::ContentType);
        let e = token_response(&reply(200, Some("application/json"), "{nope"), true).unwrap_err();
        assert_eq!(e.kind, FailureKind::Unparsable);
        let bad = r#"{"access_token":"opaque","token_type":"Bearer"}"#;
        let e = token_response(&reply(200, Some("application/json"), bad), true).unwrap_err();
        assert_eq!(e.kind, FailureKind::InvalidToken);
        assert!(token_response(&reply(200, Some("application/json"), bad), false).is_ok());
        let mac = format!(r#"{{"access_token":"{JWT}","token_type":"mac"}}"#);
        let e = token_response(&reply(200, Some("application/json"), &mac), true).unwrap_err();
        assert_eq!(e.kind, FailureKind::InvalidToken);
        let no_rt = format!(r#"{{"access_token":"{JWT}","token_type":"Bearer"}}"#);
        let e = refresh_response(&reply(200, Some("application/json"), &no_rt), true).unwrap_err();
        assert_eq!(e.kind, FailureKind::NoRefreshToken);
    }

    /// The typed, borrowing parse reads what a whole JSON value would have read.
    #[test]
    fn token_response_edge_cases() {
        let json = |body: &str| token_response(&reply(200, Some("application/json"), body), false);
        let kind = |body: &str| json(body).unwrap_err().kind;
        assert_eq!(
            kind(r#"["access_token","Bearer"]"#),
            FailureKind::Unparsable
        );
        assert_eq!(
            kind(r#"{"access_token":null,"token_type":"Bearer"}"#),
            FailureKind::Unparsable
        );
        assert_eq!(
            kind(r#"{"access_token":7,"token_type":"Bearer"}"#),
            FailureKind::Unparsable
        );
        assert_eq!(
            kind(r#"{"access_token":"a","token_type":null}"#),
            FailureKind::Unparsable
        );
        let e = json(r#"{"access_token":"a","token_type":"Bearer","refresh_token":null}"#);
        assert_eq!(e.unwrap_err().detail, "refresh_token is not a string");
        let e = json(r#"{"access_token":"a","token_type":"Bearer","refresh_token":{}}"#);
        assert_eq!(e.unwrap_err().detail, "refresh_token is not a string");
        // Escapes are decoded; other members of any shape are ignored.
        let t = json(r#" {"access_token":"a\u002fb","token_type":"Bearer","x":[1,{"y":null}]}"#)
            .unwrap();
        assert_eq!(t.access_token, "a/b");
        assert_eq!(t.refresh_token, None);
        let e = json(r#"{"access_token":"a","token_type":"Bearer","refresh_token":""}"#);
        assert!(e.unwrap_err().detail.contains("empty string"));
        let detail = |body: &str| json(body).unwrap_err().detail;
        assert_eq!(detail(r#"["a"]"#), "JSON that is not an object");
        assert_eq!(detail("null"), "JSON that is not an object");
        assert!(detail("[nope").starts_with("not JSON"));
        assert!(
            detail(r#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#)
                .contains("appears twice")
        );
        let mut bad_utf8 = br#"{"access_token":"a","token_type":"Bearer","x":""#.to_vec();
        bad_utf8.extend_from_slice(&[0xff, b'"', b'}']);
        let e = token_response(
            &Reply {
                status: 200,
                content_type: Some("application/json".into()),
                body: bad_utf8,
            },
            false,
        );
        assert_eq!(e.unwrap_err().detail, "not JSON: the body is not UTF-8");
        assert_eq!(
            kind(r#"{"access_token":"a","token_type":"Bearer""#),
            FailureKind::Unparsable
        );
    }

    #[test]
    fn jwt_shape() {
        assert!(parses_as_jwt(JWT));
        assert!(!parses_as_jwt("a.b"));
        assert!(!parses_as_jwt("a.b.c.d"));
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        // Header and payload are JSON objects, not arrays; the payload's JSON is checked.
        assert!(!parses_as_jwt(&format!(
            "{}.{}.x",
            b64(r#"["ES256"]"#),
            b64("{}")
        )));
        assert!(!parses_as_jwt(&format!(
            "{}.{}.x",
            b64(r#"{"alg":"ES256"}"#),
            b64("[]")
        )));
        assert!(!parses_as_jwt(&format!(
            "{}.{}.x",
            b64(r#"{"alg":"ES256"}"#),
            b64("{\"a\":")
        )));
        assert!(!parses_as_jwt(&format!(
            "{}.{}.x",
            b64(r#"{"typ":"JWT"}"#),
            b64("{}")
        )));
        assert!(parses_as_jwt(&format!(
            "{}.{}.x",
            b64(r#"{"alg":"ES256","kid":"k"}"#),
            b64(r#"{"a":[1]}"#)
        )));
        // alg none is not an access token anyone may accept.
        let none = format!("{}.e30.x", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        assert!(!parses_as_jwt(&none));
    }

    #[test]
    fn introspection_and_race_losers() {
        assert!(
            introspection_active(&reply(200, Some("application/json"), r#"{"active":true}"#))
                .is_ok()
        );
        let e = introspection_active(&reply(200, Some("application/json"), r#"{"active":false}"#))
            .unwrap_err();
        assert_eq!(e.kind, FailureKind::Inactive);
        assert!(is_invalid_grant(&reply(
            400,
            Some("application/json"),
            r#"{"error":"invalid_grant"}"#
        )));
        assert!(!is_invalid_grant(&reply(
            400,
            Some("application/json"),
            r#"{"error":"invalid_request"}"#
        )));
        assert!(resource_ok(&reply(200, Some("application/problem+json"), "{}")).is_ok());
        assert_eq!(
            resource_ok(&reply(403, None, "")).unwrap_err().kind,
            FailureKind::Status(403)
        );
    }
}
