//! Calling a protected resource (RFC 6750) and reading its `WWW-Authenticate` challenges.

use url::Url;

use super::FlowError;
use crate::driver::http::{Driver, HttpRequest, HttpResponse};

/// A request to a protected resource, with the access token as a Bearer header (RFC 6750 §2.1)
/// if there is one.
pub async fn call_resource(
    driver: &Driver,
    method: reqwest::Method,
    url: &Url,
    access_token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Result<HttpResponse, FlowError> {
    let mut req = HttpRequest::new(method, url.clone());
    if let Some(t) = access_token {
        req = req.bearer(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    Ok(driver.send(req).await?)
}

/// One challenge of a `WWW-Authenticate` header: the scheme and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a `WWW-Authenticate` value of auth-param challenges (RFC 9110 §11.6.1), e.g.
/// `Bearer realm="x", error="invalid_token", error_description="expired"`.
pub fn parse_www_authenticate(value: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && (chars[*i] == ' ' || chars[*i] == '\t' || chars[*i] == ',') {
            *i += 1;
        }
    };
    while i < chars.len() {
        skip_ws(&mut i);
        let start = i;
        while i < chars.len() && !matches!(chars[i], ' ' | '\t' | ',' | '=') {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        if token.is_empty() {
            break;
        }
        // token68 or a parameter name?
        let mut j = i;
        while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
            j += 1;
        }
        if j < chars.len() && chars[j] == '=' && !out.is_empty() {
            i = j + 1;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            let mut val = String::new();
            if i < chars.len() && chars[i] == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    val.push(chars[i]);
                    i += 1;
                }
                i += 1;
            } else {
                while i < chars.len() && chars[i] != ',' {
                    val.push(chars[i]);
                    i += 1;
                }
                val = val.trim().to_owned();
            }
            if let Some(c) = out.last_mut() {
                c.params.push((token, val));
            }
        } else {
            out.push(Challenge {
                scheme: token,
                params: Vec::new(),
            });
        }
    }
    out
}
