//! `[relying_party]` of a target profile: an app that logs its users in
//! through an upstream provider, how a login that worked looks, and where
//! the app's own token (if it issues one for its API) comes back.
//!
//! A login is judged by what the user gets, not by the status of a page:
//! with `[relying_party.session]` the harness asks for a page only a
//! logged-in user gets, right after the callback, with the cookies the walk
//! collected (and the app's token). No RFC sets the status of an app's own
//! error page, so a refusal that answers 200 is still a refusal.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::profile::{ProfileError, Validator};
use crate::driver::browser::BrowserProcess;
use crate::driver::browser::rp::RpBrowser;
use crate::driver::http::HttpResponse;
use crate::protocol::ClientSecret;
use crate::upstream::Provider;

/// Where the callback's answer carries the app's own bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenFrom {
    /// A JSON pointer (RFC 6901) into the body of the page the walk ended at.
    Json(String),
    /// A cookie the app set on the way (its value).
    Cookie(String),
    /// A header of the callback's own answer.
    Header(String),
}

impl TokenFrom {
    /// `json:/pointer`, `cookie:NAME` or `header:NAME`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let hint = "write json:/pointer, cookie:NAME or header:NAME";
        let (kind, rest) = s.split_once(':').ok_or_else(|| format!("{s:?}: {hint}"))?;
        match kind {
            "json" if rest.starts_with('/') => Ok(Self::Json(rest.to_owned())),
            "json" => Err(format!(
                "{rest:?} is not a JSON pointer: it starts with / (RFC 6901), as in json:/token"
            )),
            "cookie" if !rest.is_empty() => Ok(Self::Cookie(rest.to_owned())),
            "header" if !rest.is_empty() => Ok(Self::Header(rest.to_owned())),
            _ => Err(format!("{s:?}: {hint}")),
        }
    }

    /// The token in the walk's answers: `callback` is the callback's own
    /// answer, `page` the page the walk ended at, `cookies` every
    /// `Set-Cookie` seen from the callback on.
    pub fn take(
        &self,
        callback: &HttpResponse,
        page: &HttpResponse,
        cookies: &[String],
    ) -> Option<String> {
        let found = match self {
            Self::Json(pointer) => {
                let v: serde_json::Value = page.json().ok()?;
                v.pointer(pointer)?.as_str().map(str::to_owned)
            }
            Self::Header(name) => callback.header(name).map(str::to_owned),
            Self::Cookie(name) => cookies.iter().rev().find_map(|c| cookie_value(c, name)),
        };
        found.filter(|t| !t.trim().is_empty())
    }
}

impl fmt::Display for TokenFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(p) => write!(f, "json:{p}"),
            Self::Cookie(n) => write!(f, "cookie:{n}"),
            Self::Header(n) => write!(f, "header:{n}"),
        }
    }
}

/// The value of cookie `name` in one `Set-Cookie` header, if set and not empty.
pub fn cookie_value(set_cookie: &str, name: &str) -> Option<String> {
    let first = set_cookie.split(';').next()?;
    let (n, v) = first.split_once('=')?;
    (n.trim() == name && !v.trim().is_empty()).then(|| v.trim().to_owned())
}

/// How the callback's answer of a login that worked looks. Every matcher
/// given must hold; `status`, `location`, `header` and `cookie` are about
/// the callback's own answer, `json_field` and `body_contains` about the
/// page the walk ended at (the same one when the callback does not redirect).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpSuccess {
    pub status: Option<u16>,
    /// Text the callback's `Location` must contain.
    pub location: Option<String>,
    /// A header the callback's answer must carry, and text its value must contain.
    pub header: Option<(String, Option<String>)>,
    /// A cookie the callback's answer (or a redirect after it) must set.
    pub cookie: Option<String>,
    /// A top-level member the JSON body must have, not null (e.g. the app's own `token`).
    pub json_field: Option<String>,
    /// Text the body must contain.
    pub body_contains: Option<String>,
}

impl RpSuccess {
    /// Whether any matcher is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The first matcher that does not hold, described; `None` when all hold.
    pub fn mismatch(
        &self,
        callback: &HttpResponse,
        page: &HttpResponse,
        cookies: &[String],
    ) -> Option<String> {
        if let Some(s) = self.status
            && callback.status != s
        {
            return Some(format!(
                "the callback answered {}, not {s}",
                callback.status
            ));
        }
        if let Some(l) = &self.location {
            let at = callback.header("location").unwrap_or_default();
            if !at.contains(l.as_str()) {
                return Some(format!("the callback's Location is not …{l}…"));
            }
        }
        if let Some((name, text)) = &self.header {
            match (callback.header(name), text) {
                (None, _) => return Some(format!("the callback's answer has no {name} header")),
                (Some(v), Some(t)) if !v.contains(t.as_str()) => {
                    return Some(format!(
                        "the callback's {name} header does not contain {t:?}"
                    ));
                }
                _ => {}
            }
        }
        if let Some(c) = &self.cookie
            && !cookies.iter().any(|s| cookie_value(s, c).is_some())
        {
            return Some(format!("no cookie {c} was set"));
        }
        if let Some(field) = &self.json_field {
            let has = page
                .json::<serde_json::Value>()
                .ok()
                .and_then(|v| v.get(field).cloned())
                .is_some_and(|v| !v.is_null());
            if !has {
                return Some(format!("the page has no JSON member {field}"));
            }
        }
        if let Some(t) = &self.body_contains
            && !page.text().contains(t.as_str())
        {
            return Some(format!("the page does not contain {t:?}"));
        }
        None
    }
}

/// `[relying_party.session]`: a page only a logged-in user gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpSession {
    pub url: Url,
    /// What it answers a logged-in user (default 200).
    pub status: u16,
    /// Text its body shows a logged-in user.
    pub body_contains: Option<String>,
}

impl RpSession {
    /// Whether `page` is what a logged-in user gets.
    pub fn established(&self, page: &HttpResponse) -> bool {
        page.status == self.status
            && self
                .body_contains
                .as_ref()
                .is_none_or(|t| page.text().contains(t.as_str()))
    }
}

/// `[relying_party]`: an app that delegates login to an upstream provider.
/// The harness starts the fake provider on `upstream_port`, where the app's
/// configuration points, registered with the app's client id and secret.
#[derive(Clone)]
pub struct RelyingPartyProfile {
    /// Where a user starts logging in (the app redirects to the provider).
    pub login_url: Url,
    /// The app's redirect URI at the provider.
    pub callback_url: Url,
    /// The loopback port the fake provider must listen on.
    pub upstream_port: u16,
    pub provider: Provider,
    pub client_id: String,
    pub client_secret: ClientSecret,
    pub success: RpSuccess,
    /// When set, it decides whether a login worked.
    pub session: Option<RpSession>,
    /// Where the app's own token comes back, for its API (`[[resources]]`).
    pub token: Option<TokenFrom>,
    /// `[relying_party.browser]`: the login is walked in a headless browser.
    pub browser: Option<RpBrowser>,
    /// How long the app may take to answer at its callback when the
    /// provider hangs, before the harness calls it hung.
    pub answer_within: Duration,
}

impl fmt::Debug for RelyingPartyProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingPartyProfile")
            .field("login_url", &self.login_url.as_str())
            .field("callback_url", &self.callback_url.as_str())
            .field("upstream_port", &self.upstream_port)
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("session", &self.session)
            .field("token", &self.token)
            .field("browser", &self.browser)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelyingParty {
    login_url: String,
    callback_url: String,
    upstream_port: u16,
    provider: Option<String>,
    client_id: String,
    client_secret: String,
    success: Option<RawRpSuccess>,
    session: Option<RawRpSession>,
    token: Option<String>,
    browser: Option<RawRpBrowser>,
    answer_within: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRpBrowser {
    start: Option<String>,
    timeout: Option<String>,
    executable: Option<std::path::PathBuf>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRpSuccess {
    status: Option<u16>,
    location: Option<String>,
    header: Option<String>,
    cookie: Option<String>,
    json_field: Option<String>,
    body_contains: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRpSession {
    url: String,
    status: Option<u16>,
    body_contains: Option<String>,
}

impl Validator<'_> {
    /// `[relying_party]`, checked.
    pub(super) fn relying_party(
        &self,
        r: &RawRelyingParty,
    ) -> Result<RelyingPartyProfile, ProfileError> {
        if r.upstream_port == 0 {
            return Err(self.err(
                "relying_party.upstream_port",
                "the fixed port the app's configuration points at (not 0)",
            ));
        }
        let provider = self.rp_provider(r.provider.as_deref())?;
        self.non_empty("relying_party.client_id", &r.client_id)?;
        self.non_empty("relying_party.client_secret", &r.client_secret)?;
        let success = self.rp_success(r.success.as_ref())?;
        let session = match &r.session {
            None => None,
            Some(s) => Some(RpSession {
                url: self.url("relying_party.session.url", &s.url)?,
                status: self
                    .status("relying_party.session.status", s.status)?
                    .unwrap_or(200),
                body_contains: s.body_contains.clone(),
            }),
        };
        if success.is_empty() && session.is_none() {
            return Err(self.err(
                "relying_party",
                "say how a login that worked looks: [relying_party.session] url = a page only a logged-in user gets (best: the login is judged by the session), or [relying_party.success] with status, location, header, cookie, json_field or body_contains of the callback's answer",
            ));
        }
        let token = r
            .token
            .as_deref()
            .map(TokenFrom::parse)
            .transpose()
            .map_err(|m| self.err("relying_party.token", m))?;
        let browser = r.browser.as_ref().map(|b| self.rp_browser(b)).transpose()?;
        Ok(RelyingPartyProfile {
            browser,
            login_url: self.url("relying_party.login_url", &r.login_url)?,
            callback_url: self.url("relying_party.callback_url", &r.callback_url)?,
            upstream_port: r.upstream_port,
            provider,
            client_id: r.client_id.clone(),
            client_secret: ClientSecret::new(r.client_secret.clone()),
            success,
            session,
            token,
            answer_within: self.duration(
                "relying_party.answer_within",
                &r.answer_within,
                Duration::from_secs(5),
            )?,
        })
    }

    /// `provider`: google (the default), oidc or github.
    fn rp_provider(&self, raw: Option<&str>) -> Result<Provider, ProfileError> {
        // The fakes' own names and message (`Provider::ALL`).
        raw.unwrap_or("google")
            .parse()
            .map_err(|e: crate::upstream::UnknownProvider| {
                self.err("relying_party.provider", e.to_string())
            })
    }

    /// `[relying_party.browser]`.
    fn rp_browser(&self, b: &RawRpBrowser) -> Result<RpBrowser, ProfileError> {
        if let Some(s) = &b.start {
            self.non_empty("relying_party.browser.start", s)?;
        }
        Ok(RpBrowser {
            start: b.start.clone(),
            timeout: self.duration(
                "relying_party.browser.timeout",
                &b.timeout,
                Duration::from_secs(15),
            )?,
            process: BrowserProcess::new(b.executable.clone()),
        })
    }

    fn rp_success(&self, raw: Option<&RawRpSuccess>) -> Result<RpSuccess, ProfileError> {
        let Some(s) = raw else {
            return Ok(RpSuccess::default());
        };
        let header = match &s.header {
            None => None,
            Some(h) => {
                let (name, text) = match h.split_once(':') {
                    Some((n, t)) => (n.trim(), Some(t.trim().to_owned())),
                    None => (h.trim(), None),
                };
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(self.err(
                        "relying_party.success.header",
                        format!("{name:?} is not a header name: write \"Name\" or \"Name: text\""),
                    ));
                }
                Some((name.to_owned(), text.filter(|t| !t.is_empty())))
            }
        };
        for (field, v) in [
            ("cookie", &s.cookie),
            ("json_field", &s.json_field),
            ("location", &s.location),
        ] {
            if let Some(v) = v {
                self.non_empty(&format!("relying_party.success.{field}"), v)?;
            }
        }
        Ok(RpSuccess {
            status: self.status("relying_party.success.status", s.status)?,
            location: s.location.clone(),
            header,
            cookie: s.cookie.clone(),
            json_field: s.json_field.clone(),
            body_contains: s.body_contains.clone(),
        })
    }

    fn status(&self, field: &str, status: Option<u16>) -> Result<Option<u16>, ProfileError> {
        match status {
            Some(s) if !(100..=599).contains(&s) => {
                Err(self.err(field, format!("{s} is not an HTTP status (100 to 599)")))
            }
            s => Ok(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> HttpResponse {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(*k, v.parse().unwrap());
        }
        HttpResponse {
            status,
            headers: h,
            body: body.as_bytes().to_vec(),
            url: Url::parse("http://127.0.0.1:1/callback").unwrap(),
            elapsed: Duration::ZERO,
            heavy: None,
        }
    }

    #[test]
    fn token_locations_parse_and_take() {
        assert_eq!(
            TokenFrom::parse("json:/token"),
            Ok(TokenFrom::Json("/token".into()))
        );
        assert_eq!(
            TokenFrom::parse("cookie:jwt"),
            Ok(TokenFrom::Cookie("jwt".into()))
        );
        assert!(
            TokenFrom::parse("json:token")
                .unwrap_err()
                .contains("JSON pointer")
        );
        assert!(TokenFrom::parse("body:x").is_err());
        assert!(TokenFrom::parse("cookie:").is_err());

        let cb = answer(302, &[("location", "/app"), ("x-token", "h.t.x")], "");
        let page = answer(200, &[], r#"{"token": "j.w.t", "n": 3}"#);
        let cookies = vec![
            "other=1; Path=/".to_owned(),
            "jwt=c.o.k; HttpOnly".to_owned(),
        ];
        assert_eq!(
            TokenFrom::Json("/token".into())
                .take(&cb, &page, &cookies)
                .as_deref(),
            Some("j.w.t")
        );
        assert_eq!(
            TokenFrom::Json("/n".into()).take(&cb, &page, &cookies),
            None
        );
        assert_eq!(
            TokenFrom::Header("X-Token".into())
                .take(&cb, &page, &cookies)
                .as_deref(),
            Some("h.t.x")
        );
        assert_eq!(
            TokenFrom::Cookie("jwt".into())
                .take(&cb, &page, &cookies)
                .as_deref(),
            Some("c.o.k")
        );
        assert_eq!(
            TokenFrom::Cookie("none".into()).take(&cb, &page, &cookies),
            None
        );
        // An emptied cookie is no token.
        assert_eq!(cookie_value("jwt=; Max-Age=0", "jwt"), None);
    }

    #[test]
    fn every_success_matcher_can_fail() {
        let cb = answer(
            302,
            &[("location", "/dashboard"), ("x-login", "ok user=ann")],
            "",
        );
        let page = answer(200, &[], r#"{"token": "t"}"#);
        let cookies = vec!["session=abc; Path=/".to_owned()];
        let all = RpSuccess {
            status: Some(302),
            location: Some("/dashboard".into()),
            header: Some(("X-Login".into(), Some("ok".into()))),
            cookie: Some("session".into()),
            json_field: Some("token".into()),
            body_contains: Some("\"token\"".into()),
        };
        assert_eq!(all.mismatch(&cb, &page, &cookies), None);
        let broken = [
            RpSuccess {
                status: Some(200),
                ..all.clone()
            },
            RpSuccess {
                location: Some("/home".into()),
                ..all.clone()
            },
            RpSuccess {
                header: Some(("X-Login".into(), Some("fail".into()))),
                ..all.clone()
            },
            RpSuccess {
                header: Some(("X-Other".into(), None)),
                ..all.clone()
            },
            RpSuccess {
                cookie: Some("sid".into()),
                ..all.clone()
            },
            RpSuccess {
                json_field: Some("error".into()),
                ..all.clone()
            },
            RpSuccess {
                body_contains: Some("Welcome".into()),
                ..all.clone()
            },
        ];
        for b in broken {
            assert!(b.mismatch(&cb, &page, &cookies).is_some(), "{b:?}");
        }
    }

    #[test]
    fn a_session_page_is_judged_by_status_and_text() {
        let s = RpSession {
            url: Url::parse("http://127.0.0.1:1/me").unwrap(),
            status: 200,
            body_contains: Some("Welcome".into()),
        };
        assert!(s.established(&answer(200, &[], "Welcome, Ann")));
        assert!(!s.established(&answer(200, &[], "Please log in")));
        assert!(!s.established(&answer(302, &[("location", "/login")], "")));
    }
}
