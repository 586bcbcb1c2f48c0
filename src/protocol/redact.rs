//! What counts as a secret, and how a secret is shown: in evidence, in reports and in the
//! `Debug` of the secret values.

/// What a secret is replaced with in evidence.
pub const REDACTED: &str = "«redacted»";

/// Form and JSON field names whose values are secrets.
pub const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "assertion",
    "client_assertion",
    "client_secret",
    "code_verifier",
    "id_token",
    "new_password",
    "password",
    "refresh_token",
    "registration_access_token",
    "token",
];

/// Whether a form or JSON field of this name carries a secret.
pub fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The redacted rendering of a secret value: a JWT keeps its first 8 characters (the start of
/// its header, e.g. `eyJhbGci…`), anything else is fully hidden.
pub fn redact_value(value: &str) -> String {
    let looks_like_jwt = value.starts_with("eyJ") && value.matches('.').count() >= 2;
    if looks_like_jwt && value.len() > 16 {
        format!("{}…{REDACTED}", &value[..8])
    } else {
        REDACTED.to_owned()
    }
}
