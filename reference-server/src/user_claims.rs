//! The claims the UserInfo endpoint returns about a user (OpenID Connect
//! Core §5.1), chosen by scope (§5.4). The values are made up, fixed per
//! user: `alice` is Alice Liddell; any other user gets values built from
//! the username.

use serde_json::{Map, Value, json};

use crate::protocol::Scope;

/// `updated_at` of every user (Core §5.1: seconds since the epoch).
pub const UPDATED_AT: i64 = 1_700_000_000;

/// The claims of the `profile` scope this server has (Core §5.4).
pub const PROFILE_CLAIMS: [&str; 5] = [
    "name",
    "preferred_username",
    "given_name",
    "family_name",
    "updated_at",
];

/// The claims of the `email` scope (Core §5.4).
pub const EMAIL_CLAIMS: [&str; 2] = ["email", "email_verified"];

/// The claim names a scope asks for (Core §5.4), `sub` aside, and any
/// named one by one in `also` (the `claims` parameter, Core §5.5).
pub fn for_scope<'a>(scope: &Scope, also: &'a [String]) -> Vec<&'a str> {
    let mut names: Vec<&'a str> = Vec::new();
    if scope.contains("profile") {
        names.extend(PROFILE_CLAIMS);
    }
    if scope.contains("email") {
        names.extend(EMAIL_CLAIMS);
    }
    for name in also {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

/// Whether this server has the claim `name` for its users (`sub` aside).
pub fn is_known(name: &str) -> bool {
    PROFILE_CLAIMS.contains(&name) || EMAIL_CLAIMS.contains(&name)
}

/// The value of one claim of user `sub`, if this server has it.
pub fn claim(sub: &str, name: &str) -> Option<Value> {
    let (given, family) = match sub {
        "alice" => ("Alice".to_string(), "Liddell".to_string()),
        other => (capitalized(other), "Example".to_string()),
    };
    Some(match name {
        "name" => json!(format!("{given} {family}")),
        "preferred_username" => json!(sub),
        "given_name" => json!(given),
        "family_name" => json!(family),
        "updated_at" => json!(UPDATED_AT),
        "email" => json!(format!("{}@example.com", mailbox(sub))),
        "email_verified" => json!(true),
        _ => return None,
    })
}

/// `sub` and the named claims of the user (unknown names are left out).
pub fn claims<'a>(sub: &str, names: impl IntoIterator<Item = &'a str>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(sub));
    for name in names {
        if let Some(v) = claim(sub, name) {
            out.insert(name.to_string(), v);
        }
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A username as the local part of an address: letters, digits, `.`, `-`
/// and `_` kept, anything else a `.`.
fn mailbox(sub: &str) -> String {
    sub.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '.'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_follow_the_scope() {
        let scope = Scope::parse("openid email").unwrap();
        let c = claims("alice", for_scope(&scope, &[]));
        assert_eq!(
            Value::Object(c),
            json!({"sub": "alice", "email": "alice@example.com", "email_verified": true})
        );
        let c = claims(
            "alice",
            for_scope(&Scope::parse("openid profile").unwrap(), &[]),
        );
        assert_eq!(c["name"], "Alice Liddell");
        assert_eq!(c["updated_at"], UPDATED_AT);
        let c = claims("github:42", PROFILE_CLAIMS.into_iter().chain(EMAIL_CLAIMS));
        assert_eq!(c["given_name"], "Github:42");
        assert_eq!(c["email"], "github.42@example.com");
        assert_eq!(claims("bob", ["nickname"]).len(), 1);
        let also = ["name".to_string()];
        assert_eq!(for_scope(&Scope::parse("openid").unwrap(), &also), ["name"]);
    }
}
