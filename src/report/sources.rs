//! Where a scenario's level and sources come from: its tags (`@must`,
//! `@rfc6749-4.1.2`, `@oidc-core-3.1.3.7`), and the links to the sections
//! they name.

use super::model::Level;

/// Reads the requirement level from tags (without `@`). `None` if no level
/// tag is present; the first one wins if several are.
pub fn level_from_tags<S: AsRef<str>>(tags: &[S]) -> Option<Level> {
    tags.iter()
        .find_map(|t| match t.as_ref().to_ascii_lowercase().as_str() {
            "must" => Some(Level::Must),
            "should" => Some(Level::Should),
            "may" => Some(Level::May),
            _ => None,
        })
}

/// Turns source tags into citations: `rfc6749-4.1.2` → `RFC 6749 §4.1.2`,
/// `rfc7636` → `RFC 7636`, `oidc-core-3.1.3.7` → `OpenID Connect Core
/// §3.1.3.7`. Other tags are ignored; duplicates are dropped.
pub fn sources_from_tags<S: AsRef<str>>(tags: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for src in tags.iter().filter_map(|t| source_from_tag(t.as_ref())) {
        if !out.contains(&src) {
            out.push(src);
        }
    }
    out
}

fn source_from_tag(tag: &str) -> Option<String> {
    let tag = tag.strip_prefix('@').unwrap_or(tag);
    if let Some(rest) = tag.strip_prefix("oidc-") {
        return oidc_source(rest);
    }
    let rest = tag
        .strip_prefix("rfc")
        .or_else(|| tag.strip_prefix("RFC"))?;
    let (number, section) = match rest.split_once('-') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match section {
        None => Some(format!("RFC {number}")),
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') => {
            Some(format!("RFC {number} §{s}"))
        }
        Some(_) => None,
    }
}

/// Where a citation made by [`sources_from_tags`] can be read: `RFC 6749 §4.1.2` →
/// `https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2` (an appendix, `§A.1`, →
/// `#appendix-A.1`); `OpenID Connect Core §3.1.3.7` → the OpenID Foundation's HTML with its
/// xml2rfc anchor `#rfc.section.3.1.3.7`. `None` for anything else.
pub fn source_url(source: &str) -> Option<String> {
    let (doc, section) = match source.split_once(" §") {
        Some((d, s)) => (d, Some(s)),
        None => (source, None),
    };
    if let Some(number) = doc.strip_prefix("RFC ") {
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let base = format!("https://www.rfc-editor.org/rfc/rfc{number}");
        return Some(match section {
            None => base,
            Some(s) if s.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                format!("{base}#appendix-{s}")
            }
            Some(s) => format!("{base}#section-{s}"),
        });
    }
    let page = match doc {
        "OpenID Connect Core" => "openid-connect-core-1_0",
        "OpenID Connect Discovery" => "openid-connect-discovery-1_0",
        "OpenID Connect Dynamic Client Registration" => "openid-connect-registration-1_0",
        _ => return None,
    };
    let base = format!("https://openid.net/specs/{page}.html");
    Some(match section {
        None => base,
        Some(s) => format!("{base}#rfc.section.{s}"),
    })
}

/// `core-3.1.3.7` → `OpenID Connect Core §3.1.3.7`; `discovery-3` →
/// `OpenID Connect Discovery §3`.
fn oidc_source(rest: &str) -> Option<String> {
    let (spec, section) = rest.split_once('-')?;
    let spec = match spec {
        "core" => "Core",
        "discovery" => "Discovery",
        "registration" => "Dynamic Client Registration",
        _ => return None,
    };
    if section.is_empty() || !section.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Some(format!("OpenID Connect {spec} §{section}"))
}
