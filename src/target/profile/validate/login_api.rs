//! `strategy = "api"`: `[[login.api]]`, `page_capture` and `continue`.

use std::collections::BTreeMap;

use super::Validator;
use crate::driver::api_login::{self, ApiBody, ApiLogin, ApiStep, Capture, CaptureFrom};
use crate::target::profile::raw::{RawApiStep, RawLogin};
use crate::target::profile::{LoginStrategy, ProfileError};

impl Validator<'_> {
    /// `[[login.api]]`, `page_capture` and `continue`, checked: only with
    /// `strategy = "api"`, each placeholder known by the time it is used.
    pub(super) fn api_login(
        &self,
        strategy: LoginStrategy,
        l: &RawLogin,
    ) -> Result<Option<ApiLogin>, ProfileError> {
        let Some(steps) = self.api_steps_given(strategy, l)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for (i, raw) in steps.iter().enumerate() {
            out.push(self.api_step(i, raw)?);
        }
        let api = ApiLogin {
            page_capture: self.captures("login.page_capture", &l.page_capture)?,
            steps: out,
            continue_to: l.continue_to.clone(),
        };
        self.api_placeholders(&api)?;
        Ok(Some(api))
    }

    /// The requests, when the strategy is `api` (which needs them); the api fields are
    /// errors with any other strategy.
    fn api_steps_given<'r>(
        &self,
        strategy: LoginStrategy,
        l: &'r RawLogin,
    ) -> Result<Option<&'r [RawApiStep]>, ProfileError> {
        match (strategy, &l.api) {
            (LoginStrategy::Api, Some(steps)) if !steps.is_empty() => Ok(Some(steps)),
            (LoginStrategy::Api, _) => Err(self.err(
                "login.strategy",
                "strategy = \"api\" needs [[login.api]] requests",
            )),
            (_, None) if l.page_capture.is_empty() && l.continue_to.is_none() => Ok(None),
            (_, Some(_)) => Err(self.err("login.api", "only used with strategy = \"api\"")),
            (_, None) => {
                let field = if l.continue_to.is_some() {
                    "login.continue"
                } else {
                    "login.page_capture"
                };
                Err(self.err(field, "only used with strategy = \"api\""))
            }
        }
    }

    fn captures(
        &self,
        field: &str,
        raw: &BTreeMap<String, String>,
    ) -> Result<Vec<Capture>, ProfileError> {
        raw.iter()
            .map(|(name, from)| {
                CaptureFrom::parse(from)
                    .map(|from| Capture {
                        name: name.clone(),
                        from,
                    })
                    .map_err(|m| self.err(&format!("{field}.{name}"), m))
            })
            .collect()
    }

    /// `[[login.api]]` number `i`.
    fn api_step(&self, i: usize, raw: &RawApiStep) -> Result<ApiStep, ProfileError> {
        let at = |f: &str| format!("login.api[{i}].{f}");
        let method = raw.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| self.err(&at("method"), format!("{method:?} is not an HTTP method")))?;
        let body = match (&raw.json, &raw.form) {
            (Some(_), Some(_)) => {
                return Err(self.err(&at("form"), "give json or form, not both"));
            }
            (Some(j), None) => ApiBody::Json(
                serde_json::to_value(j).map_err(|e| self.err(&at("json"), e.to_string()))?,
            ),
            (None, Some(f)) => {
                ApiBody::Form(f.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            }
            (None, None) => ApiBody::None,
        };
        Ok(ApiStep {
            method,
            url: raw.url.clone(),
            headers: raw
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body,
            capture: self.captures(&at("capture"), &raw.capture)?,
        })
    }

    /// Every `{placeholder}` is built in or captured before it is used.
    fn api_placeholders(&self, api: &ApiLogin) -> Result<(), ProfileError> {
        for (field, template, known) in api.templates() {
            for name in api_login::placeholders(&template) {
                if !api_login::BUILT_IN.contains(&name.as_str()) && !known.contains(&name) {
                    let field = if field.starts_with("login.continue") {
                        field
                    } else {
                        field.split('.').take(2).collect::<Vec<_>>().join(".")
                    };
                    return Err(self.err(
                        &field,
                        format!(
                            "{{{name}}} is not known here: use {} or a name captured before",
                            api_login::BUILT_IN.map(|b| format!("{{{b}}}")).join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
