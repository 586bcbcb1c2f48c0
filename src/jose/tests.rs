//! The JOSE module against known answers: every Project Wycheproof JWS and
//! JWK vector (`../shared/vectors/wycheproof`), RFC 7520's examples, and each
//! forgery checked to be exactly what its name says.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use serde_json::{Value, json};

use super::forge;
use super::*;

fn vectors(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/wycheproof")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. The Wycheproof vectors live in ../shared/vectors beside the checkout",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("vector file is JSON")
}

/// The key a group verifies with: its public key, else its private one
/// (Wycheproof's own convention).
fn group_key(g: &Value) -> &Value {
    g.get("public").unwrap_or(&g["private"])
}

fn verdict(key: &Value, jws: &Value) -> Result<Alg, JoseError> {
    let jws = jws.as_str().ok_or(JoseError::Segments(0))?;
    let key = Jwk::parse(key)?;
    Jws::parse(jws)?.verify(&key)
}

/// Vectors whose recorded verdict cannot be right, each with the proof
/// asserted in [`defective_vectors_are_defective_for_the_stated_reason`].
const DEFECTIVE: [&str; 6] = [
    "invalidBase64Padding",
    "invalidBase64PaddingInPayload",
    "InvalidCharacterInsertedInHeader",
    "InvalidCharacterInsertedInPayload",
    "Figure20",
    "Figure27",
];

#[test]
fn the_verifier_agrees_with_every_wycheproof_jws_verdict() {
    let v = vectors("json_web_signature_test.json");
    let mut checked = 0;
    let mut defective = 0;
    let mut disagreements = Vec::new();
    for g in v["testGroups"].as_array().unwrap() {
        for t in g["tests"].as_array().unwrap() {
            let comment = t["comment"].as_str().unwrap();
            if DEFECTIVE.contains(&comment) {
                defective += 1;
                continue;
            }
            checked += 1;
            let want = t["result"] == "valid";
            let got = verdict(group_key(g), &t["jws"]);
            if got.is_ok() != want {
                disagreements.push(format!(
                    "tcId {} ({} / {comment}): expected {}, got {got:?}",
                    t["tcId"], g["comment"], t["result"]
                ));
            }
        }
    }
    assert_eq!(
        checked + defective,
        v["numberOfTests"].as_u64().unwrap() as usize
    );
    assert_eq!(defective, 8, "the defective vectors are known ones only");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn defective_vectors_are_defective_for_the_stated_reason() {
    let v = vectors("json_web_signature_test.json");
    for g in v["testGroups"].as_array().unwrap() {
        let tests = g["tests"].as_array().unwrap();
        for t in tests {
            let comment = t["comment"].as_str().unwrap();
            let jws = t["jws"].as_str().unwrap_or_default();
            match comment {
                // Byte-identical to a vector of the same group and key marked
                // valid: no verifier can give both verdicts. We side with the
                // valid one (the MAC checks out under RFC 7515's rules).
                "invalidBase64Padding" | "invalidBase64PaddingInPayload" => {
                    assert_eq!(t["result"], "invalid");
                    let twin = tests
                        .iter()
                        .find(|o| o["jws"] == t["jws"] && o["result"] == "valid");
                    assert!(twin.is_some(), "tcId {}: no valid twin any more", t["tcId"]);
                    assert!(verdict(group_key(g), &t["jws"]).is_ok());
                }
                // Marked valid, yet the text has '?', which RFC 7515 §2's
                // base64url alphabet does not contain.
                "InvalidCharacterInsertedInHeader" | "InvalidCharacterInsertedInPayload" => {
                    assert_eq!(t["result"], "valid");
                    assert!(jws.contains('?'));
                    assert_eq!(verdict(group_key(g), &t["jws"]), Err(JoseError::Base64));
                }
                // RFC 7520 §4.2 signs with PS384, but the vector's key says
                // "alg": "PS256": the same mismatch the ps512 WrongPrimitive
                // vectors require a verifier to refuse. With the key's alg
                // corrected, the RFC's signature verifies.
                "Figure20" => {
                    assert_eq!(Jws::parse(jws).unwrap().alg(), Some("PS384"));
                    assert_eq!(group_key(g)["alg"], "PS256");
                    assert!(matches!(
                        verdict(group_key(g), &t["jws"]),
                        Err(JoseError::KeyMismatch(_))
                    ));
                    let mut fixed = group_key(g).clone();
                    fixed["alg"] = json!("PS384");
                    assert_eq!(verdict(&fixed, &t["jws"]), Ok(Alg::PS384));
                }
                // RFC 7520 §4.3 signs with ES512; the key says "ES521", which
                // is no JWS algorithm (RFC 7518 §3.1). Corrected, it verifies.
                "Figure27" => {
                    assert_eq!(group_key(g)["alg"], "ES521");
                    assert!(matches!(
                        verdict(group_key(g), &t["jws"]),
                        Err(JoseError::Key(_))
                    ));
                    let mut fixed = group_key(g).clone();
                    fixed["alg"] = json!("ES512");
                    assert_eq!(verdict(&fixed, &t["jws"]), Ok(Alg::ES512));
                }
                _ => {}
            }
        }
    }
}

#[test]
fn key_sets_agree_with_every_wycheproof_jwk_verdict() {
    let v = vectors("json_web_key_test.json");
    let mut n = 0;
    let mut disagreements = Vec::new();
    for g in v["testGroups"].as_array().unwrap() {
        for t in g["tests"].as_array().unwrap() {
            n += 1;
            let got = JwkSet::parse(group_key(g)).and_then(|set| {
                let jws = Jws::parse(t["jws"].as_str().unwrap_or_default())?;
                let key = set
                    .select(jws.kid())
                    .ok_or(JoseError::KeyMismatch("kid".into()))?;
                jws.verify(key)
            });
            if got.is_ok() != (t["result"] == "valid") {
                disagreements.push(format!(
                    "tcId {} ({} / {}): expected {}, got {got:?}",
                    t["tcId"], g["comment"], t["comment"], t["result"]
                ));
            }
        }
    }
    assert_eq!(n, 26);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

fn rfc7520_key(v: &Value, comment: &str) -> (Value, String) {
    for g in v["testGroups"].as_array().unwrap() {
        for t in g["tests"].as_array().unwrap() {
            if g["comment"] == "rfc7520" && t["comment"] == comment {
                return (g["private"].clone(), t["jws"].as_str().unwrap().to_owned());
            }
        }
    }
    panic!("no RFC 7520 {comment}");
}

#[test]
fn rfc7520_rs256_and_hs256_examples_are_reproduced_byte_for_byte() {
    let v = vectors("json_web_signature_test.json");
    // RFC 7520 §4.1 (Figure 13): RS256 is deterministic; the PKCS #1 key is
    // built from the JWK with our DER writer.
    let (k, expected) = rfc7520_key(&v, "Figure13");
    let m = |name: &str| b64d(k[name].as_str().unwrap()).unwrap();
    let pkcs1 = der::rsa_private_key(
        &m("n"),
        &m("e"),
        &m("d"),
        &m("p"),
        &m("q"),
        &m("dp"),
        &m("dq"),
        &m("qi"),
    );
    let signer = Signer::Rsa(RsaKeyPair::from_der(&pkcs1).expect("PKCS#1 from the DER writer"));
    let jws = Jws::parse(&expected).unwrap();
    let sig = signer
        .sign(Alg::RS256, jws.signing_input().as_bytes())
        .unwrap();
    assert_eq!(b64e(&sig), jws.signature_b64);
    // RFC 7520 §4.4 (Figure 35): HS256.
    let (k, expected) = rfc7520_key(&v, "Figure35");
    let jws = Jws::parse(&expected).unwrap();
    let sig = Signer::Hmac(b64d(k["k"].as_str().unwrap()).unwrap())
        .sign(Alg::HS256, jws.signing_input().as_bytes())
        .unwrap();
    assert_eq!(b64e(&sig), jws.signature_b64);
}

#[test]
fn thumbprints_are_rfc7638s_and_rfc8037s() {
    // RFC 7638 §3.1: the example RSA key (alg and kid are not hashed).
    let rsa = Jwk::parse(&json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    }))
    .unwrap();
    assert_eq!(
        rsa.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // RFC 8037 §A.3: the example Ed25519 key.
    let okp = Jwk::parse(&json!({
        "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    }))
    .unwrap();
    assert_eq!(
        okp.thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn a_generated_rsa_key_signs_what_its_public_jwk_verifies() {
    let signer = Signer::generate(Alg::RS256).unwrap();
    let jwk = Jwk::parse(&signer.public_jwk().unwrap()).unwrap();
    let token = jws::sign(&json!({ "alg": "RS256", "typ": "JWT" }), b"{}", &signer).unwrap();
    assert_eq!(Jws::parse(&token).unwrap().verify(&jwk), Ok(Alg::RS256));
    let other = Signer::generate(Alg::RS256).unwrap();
    let forged = jws::sign(&json!({ "alg": "RS256" }), b"{}", &other).unwrap();
    assert_eq!(
        Jws::parse(&forged).unwrap().verify(&jwk),
        Err(JoseError::Signature)
    );
    let unsecured = jws::unsecured(&json!({ "alg": "none" }), b"{}");
    assert!(unsecured.ends_with('.'));
    assert_eq!(Jws::parse(&unsecured).unwrap().alg(), Some("none"));
}

// ── forgeries ─────────────────────────────────────────────────────────

struct Genuine {
    signer: Signer,
    key: Jwk,
    jws: Jws,
}

fn genuine(alg: Alg) -> Genuine {
    let signer = Signer::generate(alg).unwrap();
    let mut jwk = match signer.public_jwk() {
        Some(j) => j,
        None => match &signer {
            Signer::Hmac(k) => json!({"kty": "oct", "k": b64e(k)}),
            _ => unreachable!(),
        },
    };
    jwk["alg"] = json!(alg.as_str());
    jwk["kid"] = json!("k1");
    let claims = json!({"iss": "http://127.0.0.1:1", "sub": "alice", "scope": "profile", "exp": 2_000_000_000});
    let token = jws::sign(
        &json!({"alg": alg.as_str(), "typ": "at+jwt", "kid": "k1"}),
        &serde_json::to_vec(&claims).unwrap(),
        &signer,
    )
    .unwrap();
    let jws = Jws::parse(&token).unwrap();
    let key = Jwk::parse(&jwk).unwrap();
    assert_eq!(jws.verify(&key), Ok(alg), "the genuine token verifies");
    Genuine { signer, key, jws }
}

#[test]
fn alg_none_variants_change_only_alg_and_signature() {
    let g = genuine(Alg::EdDSA);
    let forged = forge::alg_none(&g.jws);
    assert_eq!(forged.len(), 8);
    for f in &forged {
        let j = Jws::parse(&f.token).unwrap();
        let alg = j.alg().unwrap();
        assert!(alg.eq_ignore_ascii_case("none"), "{alg}");
        assert_eq!(j.payload, g.jws.payload);
        assert_eq!(j.kid(), Some("k1"));
        if f.name.contains("no signature") {
            assert!(j.signature.is_empty() && f.token.ends_with('.'));
        } else {
            assert_eq!(j.signature, g.jws.signature);
        }
        assert_eq!(j.verify(&g.key), Err(JoseError::Algorithm(alg.to_owned())));
    }
    let variants: std::collections::BTreeSet<_> = forged
        .iter()
        .map(|f| Jws::parse(&f.token).unwrap().alg().unwrap().to_owned())
        .collect();
    assert_eq!(variants.len(), 4);
}

#[test]
fn signature_forgeries_are_what_they_say() {
    let g = genuine(Alg::ES256);
    let stripped = Jws::parse(&forge::stripped_signature(&g.jws).token).unwrap();
    assert!(stripped.signature.is_empty());
    let truncated = Jws::parse(&forge::truncated_signature(&g.jws).token).unwrap();
    assert_eq!(truncated.signature, g.jws.signature[..32]);
    let zeroed = Jws::parse(&forge::zeroed_signature(&g.jws).token).unwrap();
    assert_eq!(zeroed.signature, vec![0u8; 64]);
    for j in [&stripped, &truncated, &zeroed] {
        assert_eq!(j.header_b64, g.jws.header_b64);
        assert_eq!(j.payload_b64, g.jws.payload_b64);
        assert_eq!(j.verify(&g.key), Err(JoseError::Signature));
    }
    // Psychic signature: r = s = 0 under ES256, claims widened.
    let p = Jws::parse(&forge::psychic_signature(&g.jws).unwrap().token).unwrap();
    assert_eq!(p.alg(), Some("ES256"));
    assert_eq!(p.signature, vec![0u8; 64]);
    assert_eq!(p.claims().unwrap()["sub"], "oauthspec-attacker");
    assert_eq!(p.verify(&g.key), Err(JoseError::Signature));
}

#[test]
fn tampered_payload_keeps_header_and_signature() {
    let g = genuine(Alg::RS256);
    let f = forge::tampered_payload(&g.jws, "scope widened", forge::widen).unwrap();
    let j = Jws::parse(&f.token).unwrap();
    assert_eq!(j.header_b64, g.jws.header_b64);
    assert_eq!(j.signature, g.jws.signature);
    let c = j.claims().unwrap();
    assert!(c["scope"].as_str().unwrap().contains("admin"));
    assert_eq!(c["roles"], json!(["user", "admin"]));
    assert_eq!(j.verify(&g.key), Err(JoseError::Signature));
}

#[test]
fn public_keys_encode_to_the_spki_that_aws_lc_produces() {
    for alg in [Alg::EdDSA, Alg::ES256, Alg::ES384, Alg::ES512, Alg::RS256] {
        let g = genuine(alg);
        let ours = g.key.spki_der().unwrap();
        let theirs: PublicKeyX509Der<'static> = match &g.signer {
            Signer::Ed(kp) => kp.public_key().as_der().unwrap(),
            Signer::Ec(kp, _) => kp.public_key().as_der().unwrap(),
            Signer::Rsa(kp) => kp.public_key().as_der().unwrap(),
            Signer::Hmac(_) => unreachable!(),
        };
        assert_eq!(ours, theirs.as_ref(), "{alg}");
    }
}

#[test]
fn algorithm_confusion_is_hmac_keyed_with_the_public_key() {
    for alg in [Alg::RS256, Alg::ES256, Alg::EdDSA] {
        let g = genuine(alg);
        let pem = g.key.public_pem().unwrap();
        assert!(
            pem.starts_with("-----BEGIN PUBLIC KEY-----\n")
                && pem.ends_with("-----END PUBLIC KEY-----\n")
        );
        let jwk_json = serde_json::to_vec(&g.key.public_json()).unwrap();
        for secret in [pem.as_bytes(), jwk_json.as_slice()] {
            let f = forge::hmac_signed(&g.jws, Alg::HS256, secret, "confusion").unwrap();
            let j = Jws::parse(&f.token).unwrap();
            assert_eq!(j.alg(), Some("HS256"));
            assert_eq!(j.payload_b64, g.jws.payload_b64);
            // Exactly HMAC-SHA256 with that secret…
            let as_secret = KeyMaterial::Oct(secret.to_vec());
            assert!(
                jws::verify_raw(
                    Alg::HS256,
                    &as_secret,
                    j.signing_input().as_bytes(),
                    &j.signature
                )
                .is_ok()
            );
            // …and refused by a verifier that binds the key to its algorithm.
            assert!(j.verify(&g.key).is_err());
        }
    }
}

#[test]
fn embedded_jwk_and_key_urls_are_signed_by_the_attacker() {
    let g = genuine(Alg::ES256);
    let attacker = Signer::generate(Alg::ES256).unwrap();
    let f = forge::embedded_jwk(&g.jws, &attacker, Alg::ES256).unwrap();
    let j = Jws::parse(&f.token).unwrap();
    let embedded = Jwk::parse(&j.header["jwk"]).unwrap();
    assert!(!embedded.material.is_private());
    assert_eq!(j.verify(&embedded), Ok(Alg::ES256));
    assert_eq!(j.verify(&g.key), Err(JoseError::Signature));

    let f = forge::key_url(
        &g.jws,
        "jku",
        "http://127.0.0.1:9/jwks.json",
        &attacker,
        Alg::ES256,
        "evil",
    )
    .unwrap();
    let j = Jws::parse(&f.token).unwrap();
    assert_eq!(j.header["jku"], "http://127.0.0.1:9/jwks.json");
    assert_eq!(j.kid(), Some("evil"));
    let mut pk = attacker.public_jwk().unwrap();
    pk["kid"] = json!("evil");
    assert_eq!(j.verify(&Jwk::parse(&pk).unwrap()), Ok(Alg::ES256));
}

#[test]
fn kid_injections_are_hmac_signed_with_the_key_the_kid_would_select() {
    let g = genuine(Alg::RS256);
    let f = forge::kid_injections(&g.jws).unwrap();
    assert_eq!(f.len(), 4);
    let keys: [&[u8]; 3] = [b"", b"2\n", b"oauthspec-key"];
    for (forgery, key) in f.iter().zip(keys) {
        let j = Jws::parse(&forgery.token).unwrap();
        assert_eq!(j.alg(), Some("HS256"));
        let k = KeyMaterial::Oct(key.to_vec());
        assert!(
            jws::verify_raw(Alg::HS256, &k, j.signing_input().as_bytes(), &j.signature).is_ok(),
            "{}",
            forgery.name
        );
    }
    let unknown = Jws::parse(&f[3].token).unwrap();
    assert_eq!(unknown.kid(), Some("oauthspec-no-such-kid"));
    assert_eq!(unknown.signature, g.jws.signature);
}

#[test]
fn malformed_tokens_do_not_parse_and_the_big_one_is_a_megabyte() {
    let g = genuine(Alg::EdDSA);
    for f in forge::malformed(&g.jws) {
        let parsed = Jws::parse(&f.token);
        if f.name.contains("1 MB") {
            assert!(f.token.len() > 1024 * 1024);
            assert_eq!(parsed.unwrap().verify(&g.key), Err(JoseError::Signature));
        } else if f.name.contains("payload that is not JSON") {
            assert!(parsed.unwrap().claims().is_none());
        } else {
            assert!(parsed.is_err(), "{} parsed", f.name);
        }
    }
}

#[test]
fn crit_is_refused_by_the_verifier() {
    let g = genuine(Alg::EdDSA);
    let mut h = g.jws.header.clone();
    forge::with_unknown_crit(&mut h);
    let t = jws::sign(&Value::Object(h), &g.jws.payload, &g.signer).unwrap();
    assert_eq!(
        Jws::parse(&t).unwrap().verify(&g.key),
        Err(JoseError::Critical)
    );
}

#[test]
fn the_dictionary_finds_weak_secrets_and_only_those() {
    let n = weak::dictionary().count();
    assert!((100..=200).contains(&n), "{n} secrets");
    for must in ["secret", "changeme", "your-256-bit-secret", "super-secret"] {
        assert!(weak::dictionary().any(|s| s == must), "{must}");
    }
    let claims = br#"{"sub":"alice"}"#;
    let t = jws::sign(
        &json!({"alg": "HS256"}),
        claims,
        &Signer::Hmac(b"your-256-bit-secret".to_vec()),
    )
    .unwrap();
    assert_eq!(
        weak::crack(&Jws::parse(&t).unwrap()),
        Some("your-256-bit-secret")
    );
    let t = jws::sign(
        &json!({"alg": "HS512"}),
        claims,
        &Signer::Hmac(b"changeme".to_vec()),
    )
    .unwrap();
    assert_eq!(weak::crack(&Jws::parse(&t).unwrap()), Some("changeme"));
    let strong = Signer::generate(Alg::HS256).unwrap();
    let t = jws::sign(&json!({"alg": "HS256"}), claims, &strong).unwrap();
    assert_eq!(weak::crack(&Jws::parse(&t).unwrap()), None);
    // RFC 7515 §A.1's key is not in the list either.
    let g = genuine(Alg::EdDSA);
    assert_eq!(weak::crack(&g.jws), None, "not an HMAC token");
}

#[test]
fn roca_fingerprint_flags_only_the_roca_key() {
    let v = vectors("json_web_key_test.json");
    for g in v["testGroups"].as_array().unwrap() {
        for k in group_key(g)["keys"].as_array().unwrap() {
            if let Some(n) = k["n"].as_str() {
                let roca = jwk::is_roca_modulus(&b64d(n).unwrap());
                assert_eq!(roca, g["comment"] == "jws_rsa_roca_key", "{}", g["comment"]);
            }
        }
    }
}
