//! The reference server's own verifier (`oauthspec_reference_server::jwt`)
//! against Project Wycheproof's JWS vectors, for the algorithms it accepts
//! (EdDSA, ES256, RS256): each group's key is loaded as a server signing key
//! and every vector of the group must get Wycheproof's verdict.
//!
//! Wycheproof has no EdDSA JWS vectors; EdDSA is covered by the server's
//! own unit tests. Groups whose key the server cannot hold (HMAC, RSA-PSS,
//! RS384/RS512, P-521) or whose key is marked for encryption only (`use:
//! enc`, `key_ops: [encrypt]` — the server never imports keys, it only
//! verifies with the signing keys it generated) are not applicable.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RsaKeyPair};
use oauthspec::jose::{b64d, der};
use oauthspec_reference_server::SigningAlg;
use oauthspec_reference_server::jwt::{Lax, verify_jws};
use oauthspec_reference_server::keys::{KeyRecord, KeySet, SigningKey};
use serde_json::Value;
use std::sync::Arc;

fn vectors() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/wycheproof/json_web_signature_test.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. ../shared/vectors must sit beside the checkout",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("JSON")
}

/// The group's private JWK as a server signing key, if the server could
/// hold it.
fn server_key(private: &Value) -> Option<SigningKey> {
    let m = |k: &str| b64d(private[k].as_str()?).ok();
    let signing_only =
        private.get("use").is_none_or(|u| u == "sig") && private.get("key_ops").is_none();
    if !signing_only {
        return None;
    }
    let (alg, pkcs8) = match (private["kty"].as_str()?, private["alg"].as_str()?) {
        ("EC", "ES256") if private["crv"] == "P-256" => {
            let mut point = vec![4u8];
            point.extend(m("x")?);
            point.extend(m("y")?);
            let kp = EcdsaKeyPair::from_private_key_and_public_key(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &m("d")?,
                &point,
            )
            .ok()?;
            (SigningAlg::ES256, kp.to_pkcs8v1().ok()?.as_ref().to_vec())
        }
        ("RSA", "RS256") => {
            let pkcs1 = der::rsa_private_key(
                &m("n")?,
                &m("e")?,
                &m("d")?,
                &m("p")?,
                &m("q")?,
                &m("dp")?,
                &m("dq")?,
                &m("qi")?,
            );
            let kp = RsaKeyPair::from_der(&pkcs1).ok()?;
            let pkcs8: Pkcs8V1Der<'static> = kp.as_der().ok()?;
            (SigningAlg::RS256, pkcs8.as_ref().to_vec())
        }
        _ => return None,
    };
    SigningKey::from_record(KeyRecord {
        kid: private["kid"].as_str()?.to_owned(),
        alg,
        pkcs8,
        created_at: 0,
        publish_until: None,
    })
    .ok()
}

#[test]
fn the_reference_verifier_agrees_with_every_wycheproof_verdict_for_es256_and_rs256() {
    let v = vectors();
    let mut checked = 0;
    let mut groups = 0;
    let mut disagreements = Vec::new();
    for g in v["testGroups"].as_array().unwrap() {
        let Some(key) = server_key(&g["private"]) else {
            continue;
        };
        groups += 1;
        // The key's public JWK must be the group's public key.
        if let Some(public) = g.get("public") {
            for m in ["n", "e", "x", "y"] {
                if let Some(want) = public.get(m) {
                    assert_eq!(&key.public_jwk()[m], want, "{}: {m}", g["comment"]);
                }
            }
        }
        let keys = KeySet {
            active: Arc::new(key),
            retired: vec![],
        };
        for t in g["tests"].as_array().unwrap() {
            checked += 1;
            let jws = t["jws"].as_str().unwrap_or_default();
            let got = verify_jws(jws, &keys, 0, &Lax::default());
            if got.is_ok() != (t["result"] == "valid") {
                disagreements.push(format!(
                    "tcId {} ({} / {}): expected {}, got {:?}",
                    t["tcId"],
                    g["comment"],
                    t["comment"],
                    t["result"],
                    got.map(|_| "valid")
                ));
            }
        }
    }
    // es256, SpecialCaseEs256, rs256 (two groups), and RFC 7520's RS256
    // example with and without key_ops on the public key.
    assert!(groups >= 5, "only {groups} groups apply");
    assert!(checked >= 270, "only {checked} vectors checked");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
