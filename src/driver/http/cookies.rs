//! Cookie jars: one simulated browser each.

use std::fmt;
use std::sync::Arc;

use reqwest::cookie::CookieStore as _;
use url::Url;

/// A cookie jar: one simulated browser. Clones share the jar; `Driver::new_browser` makes a
/// fresh one.
#[derive(Clone, Default)]
pub struct Browser {
    pub(super) jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new() -> Self {
        Self::default()
    }

    /// The `Cookie` header this browser would send to `url`.
    pub fn cookie_header(&self, url: &Url) -> Option<String> {
        self.jar
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// Adds a cookie as if `url` had set it with `Set-Cookie: cookie`.
    pub fn add_cookie(&self, cookie: &str, url: &Url) {
        self.jar.add_cookie_str(cookie, url);
    }
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Browser { .. }")
    }
}
