//! A small DER writer (ITU-T X.690 §10): just what the harness needs to
//! encode public keys as SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) and PEM
//! (RFC 7468 §13) for the algorithm-confusion attack, and RSA private keys as
//! PKCS #1 `RSAPrivateKey` (RFC 8017 §A.1.2) to load test keys.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Object identifiers, as DER content octets.
pub mod oid {
    /// rsaEncryption 1.2.840.113549.1.1.1 (RFC 8017 §A.1).
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// id-ecPublicKey 1.2.840.10045.2.1 (RFC 5480 §2.1.1).
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// secp256r1 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1).
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1 1.3.132.0.34.
    pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// secp521r1 1.3.132.0.35.
    pub const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    /// id-Ed25519 1.3.101.112 (RFC 8410 §3).
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
}

/// One TLV with definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn sequence(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

/// An unsigned big-endian integer, minimally encoded (X.690 §8.3.2).
pub fn uint(be: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = match be.iter().position(|b| *b != 0) {
        Some(i) => &be[i..],
        None => &[0],
    };
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(0x02, &content)
}

pub fn oid(content: &[u8]) -> Vec<u8> {
    tlv(0x06, content)
}

pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// A BIT STRING with no unused bits.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend_from_slice(bytes);
    tlv(0x03, &content)
}

/// SubjectPublicKeyInfo of an RSA key (RFC 8017 §A.1.1, RFC 3279 §2.3.1).
pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let rsa_public_key = sequence(&[uint(n), uint(e)]);
    sequence(&[
        sequence(&[oid(oid::RSA_ENCRYPTION), null()]),
        bit_string(&rsa_public_key),
    ])
}

/// SubjectPublicKeyInfo of an EC key given its curve OID and uncompressed
/// point `04 || x || y` (RFC 5480 §2).
pub fn ec_spki(curve_oid: &[u8], point: &[u8]) -> Vec<u8> {
    sequence(&[
        sequence(&[oid(oid::EC_PUBLIC_KEY), oid(curve_oid)]),
        bit_string(point),
    ])
}

/// SubjectPublicKeyInfo of an Ed25519 key (RFC 8410 §4).
pub fn ed25519_spki(public: &[u8]) -> Vec<u8> {
    sequence(&[sequence(&[oid(oid::ED25519)]), bit_string(public)])
}

/// PKCS #1 `RSAPrivateKey` (RFC 8017 §A.1.2), version 0.
#[allow(clippy::too_many_arguments)]
pub fn rsa_private_key(
    n: &[u8],
    e: &[u8],
    d: &[u8],
    p: &[u8],
    q: &[u8],
    dp: &[u8],
    dq: &[u8],
    qi: &[u8],
) -> Vec<u8> {
    sequence(&[
        uint(&[0]),
        uint(n),
        uint(e),
        uint(d),
        uint(p),
        uint(q),
        uint(dp),
        uint(dq),
        uint(qi),
    ])
}

/// PEM text (RFC 7468 §2): base64 in 64-character lines, a final newline.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers_follow_x690() {
        assert_eq!(uint(&[0x00, 0x7f]), vec![0x02, 0x01, 0x7f]);
        assert_eq!(uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[]), vec![0x02, 0x01, 0x00]);
        let long = tlv(0x04, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(tlv(0x04, &[0u8; 200])[..3], [0x04, 0x81, 200]);
    }

    #[test]
    fn ed25519_spki_matches_rfc8410() {
        // RFC 8410 §10.1: the example public key.
        let public =
            hex::decode("19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1")
                .unwrap();
        let pem_text = pem("PUBLIC KEY", &ed25519_spki(&public));
        assert_eq!(
            pem_text,
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
        );
    }
}
