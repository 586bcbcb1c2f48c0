//! `[login]`: the strategy and what it needs (`command`, `[login.browser]`; the `api`
//! strategy's requests are in `login_api.rs`), the form's fields, the consent page.

use std::path::Path;
use std::time::Duration;

use super::Validator;
use crate::driver::browser::login::{BrowserLogin, Selectors};
use crate::driver::command::LoginCommand;
use crate::driver::forms::ConsentChoice;
use crate::target::profile::raw::{RawBrowser, RawLogin, RawLoginFields};
use crate::target::profile::{ConsentPage, LoginFields, LoginProfile, LoginStrategy, ProfileError};

impl Validator<'_> {
    /// `[login]`.
    pub(super) fn login(&self, l: &RawLogin) -> Result<LoginProfile, ProfileError> {
        let strategy = l.strategy.unwrap_or_default();
        if strategy == LoginStrategy::Form {
            self.non_empty("login.username", &l.username)?;
        }
        let command = self.login_command(strategy, l)?;
        let api = self.api_login(strategy, l)?;
        let browser = self.browser_login(strategy, l)?;
        let fields = LoginFields {
            username: l
                .fields
                .as_ref()
                .and_then(|f| f.username.clone())
                .unwrap_or_else(|| "username".into()),
            password: l
                .fields
                .as_ref()
                .and_then(|f| f.password.clone())
                .unwrap_or_else(|| "password".into()),
        };
        self.non_empty("login.fields.username", &fields.username)?;
        self.non_empty("login.fields.password", &fields.password)?;
        Ok(LoginProfile {
            strategy,
            username: l.username.clone(),
            password: l.password.clone(),
            fields,
            consent_page: l.consent.unwrap_or_default(),
            consent: l
                .consent_button
                .clone()
                .map_or(ConsentChoice::Approve, ConsentChoice::Button),
            authorization_params: l
                .authorization_params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            command,
            api,
            browser,
        })
    }

    /// `command` (and `command_timeout`): only with `strategy = "command"`, the program first.
    fn login_command(
        &self,
        strategy: LoginStrategy,
        l: &RawLogin,
    ) -> Result<Option<LoginCommand>, ProfileError> {
        match (strategy, &l.command) {
            (LoginStrategy::Command, Some(argv))
                if argv.first().is_some_and(|p| !p.trim().is_empty()) =>
            {
                Ok(Some(LoginCommand {
                    argv: argv.clone(),
                    timeout: self.duration(
                        "login.command_timeout",
                        &l.command_timeout,
                        Duration::from_secs(30),
                    )?,
                    dir: self
                        .source
                        .parent()
                        .filter(|d| !d.as_os_str().is_empty())
                        .map(Path::to_path_buf),
                }))
            }
            (LoginStrategy::Command, Some(_)) => Err(self.err(
                "login.command",
                "give the program first, as in [\"node\", \"login.js\"]",
            )),
            (LoginStrategy::Command, None) => Err(self.err(
                "login.strategy",
                "strategy = \"command\" needs command = [\"program\", \"arg\", …]",
            )),
            (_, Some(_)) => Err(self.err(
                "login.command",
                "a command is only used with strategy = \"command\"",
            )),
            (_, None) => Ok(None),
        }
    }

    /// `[login.browser]`: only with `strategy = "browser"`; the approving
    /// button is needed unless there is no consent page.
    fn browser_login(
        &self,
        strategy: LoginStrategy,
        l: &RawLogin,
    ) -> Result<Option<BrowserLogin>, ProfileError> {
        match (strategy, &l.browser) {
            (LoginStrategy::Browser, _) => {}
            (_, Some(_)) => {
                return Err(self.err("login.browser", "only used with strategy = \"browser\""));
            }
            (_, None) => return Ok(None),
        }
        let empty = RawBrowser {
            username: None,
            password: None,
            submit: None,
            approve: None,
            deny: None,
            timeout: None,
            executable: None,
        };
        let b = l.browser.as_ref().unwrap_or(&empty);
        let field_name = |f: Option<&RawLoginFields>, user: bool| {
            f.and_then(|f| {
                if user {
                    f.username.clone()
                } else {
                    f.password.clone()
                }
            })
        };
        let username = b.username.clone().unwrap_or_else(|| {
            let name = field_name(l.fields.as_ref(), true).unwrap_or_else(|| "username".into());
            format!("input[name={name:?}]")
        });
        let password = b.password.clone().unwrap_or_else(|| {
            field_name(l.fields.as_ref(), false).map_or_else(
                || "input[type=password]".into(),
                |n| format!("input[name={n:?}]"),
            )
        });
        let consent_page = l.consent.unwrap_or_default() == ConsentPage::Form;
        if consent_page && b.approve.is_none() {
            return Err(self.err(
                if l.browser.is_some() { "login.browser" } else { "login.strategy" },
                "name the consent page's approving button: [login.browser] approve = \"CSS selector\" (or consent = \"none\" if there is no consent page)",
            ));
        }
        Ok(Some(BrowserLogin::new(
            Selectors {
                username,
                password,
                submit: b.submit.clone(),
                approve: b.approve.clone(),
                deny: b.deny.clone(),
            },
            self.duration("login.browser.timeout", &b.timeout, Duration::from_secs(15))?,
            b.executable.clone(),
        )))
    }
}
