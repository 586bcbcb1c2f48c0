//! The `api` login strategy: a login that lives behind HTTP calls rather
//! than an HTML form (a single-page-app login posting JSON, a login API
//! with a CSRF header), described in the profile as a list of requests.
//!
//! When the walk through the authorization endpoint reaches its first page,
//! the requests run one after the other in the scenario's cookie jar (so
//! the session they set is the browser's), with `{placeholders}` filled from
//! the user, the page and values captured from earlier answers; then the
//! walk goes on at `continue` (by default the authorization request again),
//! and consent pages are handled as usual.
//!
//! Built-in placeholders: `{username}`, `{password}`, `{page}` (the page the
//! walk reached, without query), `{origin}` (its scheme, host and port) and
//! `{authorization_url}`. Captures: `json:/pointer` (RFC 6901) of a JSON
//! answer, `header:Name`, `regex:pattern` over the body (the first group,
//! or the whole match).

use std::collections::HashMap;

use regex::Regex;
use url::Url;

use super::http::{Browser, Driver, DriverError, HttpRequest, HttpResponse, redact_body};

/// Where a captured value comes from.
#[derive(Clone, Debug)]
pub enum CaptureFrom {
    /// A JSON pointer into the answer's body.
    Json(String),
    /// A response header.
    Header(String),
    /// A regular expression over the body: its first group, or the match.
    Regex(Regex),
}

impl CaptureFrom {
    /// `json:/pointer`, `header:Name` or `regex:pattern`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?}: write json:/pointer, header:Name or regex:pattern"))?;
        match kind {
            "json" if rest.is_empty() || rest.starts_with('/') => Ok(Self::Json(rest.to_owned())),
            "json" => Err(format!(
                "{rest:?} is not a JSON pointer: it starts with / (RFC 6901), as in json:/next"
            )),
            "header" if !rest.is_empty() => Ok(Self::Header(rest.to_owned())),
            "regex" => Regex::new(rest)
                .map(Self::Regex)
                .map_err(|e| format!("{rest:?} is not a regular expression: {e}")),
            _ => Err(format!(
                "{s:?}: write json:/pointer, header:Name or regex:pattern"
            )),
        }
    }

    fn take(&self, answer: &HttpResponse) -> Option<String> {
        match self {
            Self::Json(pointer) => {
                let v: serde_json::Value = answer.json().ok()?;
                match v.pointer(pointer)? {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                }
            }
            Self::Header(name) => answer.header(name).map(str::to_owned),
            Self::Regex(re) => {
                let text = answer.text();
                let c = re.captures(&text)?;
                c.get(1).or_else(|| c.get(0)).map(|m| m.as_str().to_owned())
            }
        }
    }
}

/// One value to capture from an answer, by name.
#[derive(Clone, Debug)]
pub struct Capture {
    pub name: String,
    pub from: CaptureFrom,
}

/// What a request of the login sends; strings are templates.
#[derive(Clone, Debug)]
pub enum ApiBody {
    None,
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
}

/// One request of the login.
#[derive(Clone, Debug)]
pub struct ApiStep {
    pub method: reqwest::Method,
    /// A template; relative URLs are resolved against the page.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: ApiBody,
    pub capture: Vec<Capture>,
}

/// The whole `api` login.
#[derive(Clone, Debug)]
pub struct ApiLogin {
    /// Values taken from the page the walk reached (a CSRF token in it).
    pub page_capture: Vec<Capture>,
    pub steps: Vec<ApiStep>,
    /// Where the walk goes on (a template); `None`: the authorization
    /// request again.
    pub continue_to: Option<String>,
}

/// The placeholders every login has.
pub const BUILT_IN: [&str; 5] = [
    "username",
    "password",
    "page",
    "origin",
    "authorization_url",
];

/// The `{name}`s in a template.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if !after[..close].is_empty()
                    && after[..close]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push(after[..close].to_owned());
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

impl ApiLogin {
    /// Every template of the login, with where it is, for checking that
    /// each placeholder is known by the time it is used: (where, template,
    /// the names captured before it).
    pub fn templates(&self) -> Vec<(String, String, Vec<String>)> {
        let mut known: Vec<String> = self.page_capture.iter().map(|c| c.name.clone()).collect();
        let mut out = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let at = |f: &str| format!("login.api[{i}].{f}");
            out.push((at("url"), step.url.clone(), known.clone()));
            for (k, v) in &step.headers {
                out.push((at(&format!("headers.{k}")), v.clone(), known.clone()));
            }
            match &step.body {
                ApiBody::None => {}
                ApiBody::Json(v) => {
                    for s in json_strings(v) {
                        out.push((at("json"), s, known.clone()));
                    }
                }
                ApiBody::Form(pairs) => {
                    for (k, v) in pairs {
                        out.push((at(&format!("form.{k}")), v.clone(), known.clone()));
                    }
                }
            }
            known.extend(step.capture.iter().map(|c| c.name.clone()));
        }
        if let Some(c) = &self.continue_to {
            out.push(("login.continue".into(), c.clone(), known));
        }
        out
    }
}

fn json_strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().flat_map(json_strings).collect(),
        serde_json::Value::Object(o) => o.values().flat_map(json_strings).collect(),
        _ => Vec::new(),
    }
}

/// Why the login's requests did not get the user logged in.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    #[error("the API login could not capture {name} from {from}")]
    Capture { name: String, from: String },
    #[error("the API login's request {step} ({method} {url}) was answered {status}: {excerpt}")]
    Status {
        step: usize,
        method: String,
        url: String,
        status: u16,
        excerpt: String,
    },
    #[error("the API login's {what} is not a usable URL: {value}")]
    Url { what: String, value: String },
    #[error(transparent)]
    Driver(#[from] DriverError),
}

struct Vars(HashMap<String, String>);

impl Vars {
    fn fill(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for name in placeholders(template) {
            if let Some(v) = self.0.get(&name) {
                out = out.replace(&format!("{{{name}}}"), v);
            }
        }
        out
    }

    fn fill_json(&self, v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::String(s) => serde_json::Value::String(self.fill(s)),
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.iter().map(|x| self.fill_json(x)).collect())
            }
            serde_json::Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.fill_json(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn capture(
        &mut self,
        captures: &[Capture],
        answer: &HttpResponse,
        from: &str,
    ) -> Result<(), ApiFailure> {
        for c in captures {
            let value = c.from.take(answer).ok_or_else(|| ApiFailure::Capture {
                name: c.name.clone(),
                from: from.to_owned(),
            })?;
            self.0.insert(c.name.clone(), value);
        }
        Ok(())
    }
}

/// Runs the login from `page`, the first page the walk reached; the URL
/// the walk goes on at.
pub async fn run(
    driver: &Driver,
    browser: &Browser,
    api: &ApiLogin,
    page: &HttpResponse,
    authorization_url: &Url,
    (username, password): (&str, &str),
) -> Result<Url, ApiFailure> {
    let mut bare = page.url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    let mut vars = Vars(HashMap::from([
        ("username".to_owned(), username.to_owned()),
        ("password".to_owned(), password.to_owned()),
        ("page".to_owned(), bare.to_string()),
        ("origin".to_owned(), page.url.origin().ascii_serialization()),
        (
            "authorization_url".to_owned(),
            authorization_url.to_string(),
        ),
    ]));
    vars.capture(&api.page_capture, page, "the login page")?;
    for (i, step) in api.steps.iter().enumerate() {
        let filled = vars.fill(&step.url);
        let url = page.url.join(&filled).map_err(|_| ApiFailure::Url {
            what: format!("request {i}"),
            value: filled.clone(),
        })?;
        let mut request = HttpRequest::new(step.method.clone(), url.clone());
        for (k, v) in &step.headers {
            request = request.header(k.clone(), vars.fill(v));
        }
        request = match &step.body {
            ApiBody::None => request,
            ApiBody::Json(v) => request.json(vars.fill_json(v)),
            ApiBody::Form(pairs) => request.form(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), vars.fill(v)))
                    .collect(),
            ),
        };
        let answer = driver.send_in(browser, request).await?;
        if answer.status >= 400 {
            return Err(ApiFailure::Status {
                step: i,
                method: step.method.to_string(),
                url: super::http::redact_url(url.as_str()),
                status: answer.status,
                excerpt: redact_body(answer.content_type(), &answer.body, 300),
            });
        }
        vars.capture(
            &step.capture,
            &answer,
            &format!("the answer to request {i}"),
        )?;
    }
    let next = api
        .continue_to
        .as_deref()
        .map_or_else(|| authorization_url.to_string(), |c| vars.fill(c));
    page.url.join(&next).map_err(|_| ApiFailure::Url {
        what: "continue".into(),
        value: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_names_in_braces() {
        assert_eq!(
            placeholders("{page}/api?x={csrf_1}&y={}&z={not a name}"),
            vec!["page", "csrf_1"]
        );
        assert!(placeholders("{\"json\": 1}").is_empty());
    }

    #[test]
    fn captures_parse_or_say_what_to_write() {
        assert!(
            matches!(CaptureFrom::parse("json:/next"), Ok(CaptureFrom::Json(p)) if p == "/next")
        );
        assert!(matches!(
            CaptureFrom::parse("header:Location"),
            Ok(CaptureFrom::Header(_))
        ));
        assert!(matches!(
            CaptureFrom::parse(r#"regex:data-csrf="([^"]+)""#),
            Ok(CaptureFrom::Regex(_))
        ));
        assert!(
            CaptureFrom::parse("json:next")
                .unwrap_err()
                .contains("RFC 6901")
        );
        assert!(
            CaptureFrom::parse("regex:(")
                .unwrap_err()
                .contains("regular expression")
        );
        assert!(
            CaptureFrom::parse("cookie:x")
                .unwrap_err()
                .contains("json:/pointer")
        );
    }

    #[test]
    fn templates_know_what_was_captured_before_them() {
        let api = ApiLogin {
            page_capture: vec![Capture {
                name: "csrf".into(),
                from: CaptureFrom::Json("/x".into()),
            }],
            steps: vec![ApiStep {
                method: reqwest::Method::POST,
                url: "{page}/api/login".into(),
                headers: vec![("X-CSRF-Token".into(), "{csrf}".into())],
                body: ApiBody::Json(serde_json::json!({"u": "{username}"})),
                capture: vec![Capture {
                    name: "next".into(),
                    from: CaptureFrom::Json("/next".into()),
                }],
            }],
            continue_to: Some("{next}".into()),
        };
        let t = api.templates();
        assert_eq!(t.len(), 4);
        assert_eq!(t[1].0, "login.api[0].headers.X-CSRF-Token");
        assert_eq!(t[1].2, vec!["csrf"]);
        assert_eq!(t[3].0, "login.continue");
        assert_eq!(t[3].2, vec!["csrf", "next"]);
    }
}
