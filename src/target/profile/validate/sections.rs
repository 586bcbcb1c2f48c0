//! `[[resources]]`, `[expiry]`, `[http]`, `[test_admin]` and `[jwt_api]`.

use std::time::Duration;

use super::Validator;
use crate::driver::http::HostPort;
use crate::protocol::Scope;
use crate::target::profile::raw::{RawExpiry, RawHttp, RawJwtApi, RawResource, RawTestAdmin};
use crate::target::profile::{
    ExpiryProfile, JwtApiProfile, JwtUser, ProfileError, ResourceProfile, TestAdminProfile,
};

impl Validator<'_> {
    /// `[[resources]]`: a URL, a known method, a JSON body.
    pub(super) fn resources(
        &self,
        raw: &[RawResource],
    ) -> Result<Vec<ResourceProfile>, ProfileError> {
        let mut resources = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let at = |f: &str| format!("resources[{i}].{f}");
            let url = self.url(&at("url"), &r.url)?;
            let method = r.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
            if !matches!(
                method.as_str(),
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
            ) {
                return Err(self.err(&at("method"), format!("unknown HTTP method `{method}`")));
            }
            let body = r
                .body
                .as_ref()
                .map(serde_json::to_value)
                .transpose()
                .map_err(|e| self.err(&at("body"), e.to_string()))?;
            resources.push(ResourceProfile {
                url,
                method,
                scope: r.scope.as_deref().map(Scope::parse),
                role: r.role.clone(),
                body,
            });
        }
        Ok(resources)
    }

    /// `[expiry]`: how long an expiry scenario may wait (10 s by default).
    pub(super) fn expiry(&self, raw: Option<&RawExpiry>) -> Result<ExpiryProfile, ProfileError> {
        Ok(ExpiryProfile {
            max_wait: self.duration(
                "expiry.max_wait",
                &raw.and_then(|e| e.max_wait.clone()),
                Duration::from_secs(10),
            )?,
        })
    }

    /// `[http] timeout` (10 s by default).
    pub(super) fn timeout(&self, raw: Option<&RawHttp>) -> Result<Duration, ProfileError> {
        self.duration(
            "http.timeout",
            &raw.and_then(|h| h.timeout.clone()),
            Duration::from_secs(10),
        )
    }

    /// `[http] allow_hosts`: `host:port` pairs.
    pub(super) fn allow_hosts(&self, raw: Option<&RawHttp>) -> Result<Vec<HostPort>, ProfileError> {
        let mut extra_hosts = Vec::new();
        for (i, h) in raw.iter().flat_map(|h| h.allow_hosts.iter()).enumerate() {
            extra_hosts.push(self.host_port(&format!("http.allow_hosts[{i}]"), h)?);
        }
        Ok(extra_hosts)
    }

    /// `[test_admin]`: a URL and a token.
    pub(super) fn test_admin(
        &self,
        raw: Option<&RawTestAdmin>,
    ) -> Result<Option<TestAdminProfile>, ProfileError> {
        let Some(t) = raw else { return Ok(None) };
        self.non_empty("test_admin.token", &t.token)?;
        Ok(Some(TestAdminProfile {
            url: self.url("test_admin.url", &t.url)?,
            token: t.token.clone(),
        }))
    }

    /// `[jwt_api]` and its `[[jwt_api.users]]`.
    pub(super) fn jwt_api(
        &self,
        raw: Option<&RawJwtApi>,
    ) -> Result<Option<JwtApiProfile>, ProfileError> {
        let Some(j) = raw else { return Ok(None) };
        let login_body = match &j.login_body {
            None => serde_json::json!({"username": "{username}", "password": "{password}"}),
            Some(v) => serde_json::to_value(v)
                .map_err(|e| self.err("jwt_api.login_body", e.to_string()))?,
        };
        let mut users = Vec::new();
        for (i, u) in j.users.iter().enumerate() {
            self.non_empty(&format!("jwt_api.users[{i}].username"), &u.username)?;
            users.push(JwtUser {
                username: u.username.clone(),
                password: u.password.clone(),
                roles: u.roles.clone(),
            });
        }
        Ok(Some(JwtApiProfile {
            login_url: self.url("jwt_api.login_url", &j.login_url)?,
            login_body,
            token_field: j
                .token_field
                .clone()
                .unwrap_or_else(|| "access_token".into()),
            refresh_url: self.opt_url("jwt_api.refresh_url", &j.refresh_url)?,
            refresh_token_field: j
                .refresh_token_field
                .clone()
                .unwrap_or_else(|| "refresh_token".into()),
            refresh_with: j.refresh_with.unwrap_or_default(),
            logout_url: self.opt_url("jwt_api.logout_url", &j.logout_url)?,
            users,
        }))
    }
}
