//! How secrets are hidden in evidence: URLs, forms, JSON text, headers, bodies (the rules of
//! which fields are secrets live in `protocol::redact`).

use crate::protocol::redact::{REDACTED, is_secret_field, redact_value};
use url::Url;

use super::form_urlencode;

/// Redacts the secret query and fragment parameters of a URL.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    if let Some(redacted) = parsed
        .query()
        .filter(|q| query_has_secret(q))
        .map(redact_form)
    {
        parsed.set_query(Some(&redacted));
    }
    if let Some(redacted) = parsed
        .fragment()
        .filter(|f| f.contains('=') && query_has_secret(f))
        .map(redact_form)
    {
        parsed.set_fragment(Some(&redacted));
    }
    parsed.to_string()
}

fn query_has_secret(q: &str) -> bool {
    url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| is_secret_field(&k))
}

/// Redacts secret fields of an `application/x-www-form-urlencoded` string.
pub fn redact_form(body: &str) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| {
            let v = if is_secret_field(&k) {
                redact_value(&v)
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    form_urlencode(&pairs)
}

/// Redacts the string values of secret keys in JSON text. Works on the text itself, so it
/// keeps the server's formatting and copes with truncated or malformed JSON.
pub fn redact_json_text(text: &str) -> String {
    redact_json_capped(text, usize::MAX)
}

/// Appends at most what keeps `out` within `cap` bytes (on a char
/// boundary); whether `out` is now full.
fn push_capped(out: &mut String, s: &str, cap: usize) -> bool {
    let room = cap.saturating_sub(out.len());
    if s.len() <= room {
        out.push_str(s);
        return out.len() >= cap;
    }
    let mut cut = room;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(&s[..cut]);
    true
}

/// [`redact_json_text`] that stops once `cap` bytes of output are written:
/// a huge body costs `cap` bytes of memory, not its own size.
fn redact_json_capped(text: &str, cap: usize) -> String {
    // In a JWK or JWK Set, the private members (RFC 7518 §6.2.2, §6.3.2,
    // §6.4.1; RFC 8037 §2) are secrets too: a server that leaks its private
    // key must not have the harness leak it again into a report.
    let is_jwk = text.contains("\"kty\"");
    let is_secret = |key: &str| {
        is_secret_field(key)
            || (is_jwk && matches!(key, "d" | "p" | "q" | "dp" | "dq" | "qi" | "k" | "oth"))
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len().min(cap));
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        // A string starts at i: find its end.
        let Some(end) = string_end(bytes, i) else {
            break;
        };
        let key = &text[i + 1..end];
        // Is it a key followed by a string value?
        let mut j = end + 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b':' && is_secret(key) {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'"' {
                let value_end = string_end(bytes, j).unwrap_or(bytes.len());
                let value = &text[j + 1..value_end.max(j + 1)];
                if push_capped(&mut out, &text[copied..=j], cap)
                    || push_capped(&mut out, &redact_value(value), cap)
                {
                    return out;
                }
                copied = value_end.min(bytes.len());
                i = value_end + 1;
                continue;
            }
        }
        i = end + 1;
    }
    push_capped(&mut out, &text[copied.min(text.len())..], cap);
    out
}

/// The index of the closing quote of the JSON string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut k = start + 1;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 2,
            b'"' => return Some(k),
            _ => k += 1,
        }
    }
    None
}

/// Basic credentials with the password hidden and the user (the client id,
/// RFC 6749 §2.3.1, which is not a secret) shown, so evidence tells which
/// client a request came from.
fn redact_basic(cred: &str) -> String {
    use base64::Engine as _;
    let user = base64::engine::general_purpose::STANDARD
        .decode(cred)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(u, _)| u.to_owned()))
        .map(|u| {
            url::form_urlencoded::parse(format!("u={u}").as_bytes())
                .next()
                .map_or(u, |(_, v)| v.into_owned())
        });
    match user {
        Some(u) => format!("{REDACTED} (client_id {u:?}, secret redacted)"),
        None => REDACTED.to_owned(),
    }
}

/// Redacts a header value: credentials of `Authorization`, cookie values, and secret
/// parameters of a `Location`.
pub fn redact_header(name: &str, value: &str) -> String {
    let lname = name.to_ascii_lowercase();
    match lname.as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, cred)) if scheme.eq_ignore_ascii_case("basic") => {
                format!("{scheme} {}", redact_basic(cred.trim()))
            }
            Some((scheme, cred)) => format!("{scheme} {}", redact_value(cred.trim())),
            None => REDACTED.to_owned(),
        },
        "cookie" => value
            .split(';')
            .map(|c| match c.trim().split_once('=') {
                Some((n, _)) => format!("{n}={REDACTED}"),
                None => c.trim().to_owned(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => {
            let (first, rest) = value.split_once(';').unwrap_or((value, ""));
            let first = match first.split_once('=') {
                Some((n, _)) => format!("{}={REDACTED}", n.trim()),
                None => first.to_owned(),
            };
            if rest.is_empty() {
                first
            } else {
                format!("{first};{rest}")
            }
        }
        "location" | "content-location" => redact_url(value),
        _ => value.to_owned(),
    }
}

/// Redacts a body according to its content type, then truncates it to
/// `limit` bytes, saying how large it was. Memory stays near `limit` for any
/// body: JSON is redacted as it is scanned, other text cut first.
pub fn redact_body(content_type: Option<&str>, body: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let trimmed = text.trim_start();
    let redacted = if ct.contains("x-www-form-urlencoded") {
        redact_form(&text)
    } else if ct.contains("json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        redact_json_capped(&text, limit.saturating_add(4))
    } else {
        let mut out = String::new();
        push_capped(&mut out, &text, limit.saturating_add(4));
        out
    };
    truncate(redacted, limit, body.len())
}

/// `s` cut to `limit` bytes on a char boundary, with the body's full size
/// when anything was cut.
fn truncate(mut s: String, limit: usize, total: usize) -> String {
    if s.len() <= limit {
        return s;
    }
    let mut cut = limit;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s.push_str(&format!("… (cut; the body has {total} bytes)"));
    s.shrink_to_fit();
    s
}
