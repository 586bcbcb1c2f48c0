//! HTML forms as a browser sees them: parsed with `scraper`, filled in, and turned into the
//! name/value pairs a browser would submit.

use scraper::{ElementRef, Html, Selector};
use url::Url;

/// What kind of control a field is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Hidden,
    Text,
    Password,
    Email,
    Checkbox {
        checked: bool,
    },
    Radio {
        checked: bool,
    },
    Select,
    Textarea,
    /// Any other `<input type>` (number, tel, …).
    Other(String),
}

/// A named control and its current value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub kind: FieldKind,
}

/// A submit button (`<button>` without `type` or with `type=submit`, `<input type=submit>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitButton {
    pub name: Option<String>,
    pub value: Option<String>,
    /// Visible text (`<button>` content or the `value` of `<input type=submit>`).
    pub label: String,
    /// `formaction`, resolved against the page.
    pub formaction: Option<Url>,
    /// `formmethod`, upper-cased.
    pub formmethod: Option<String>,
}

impl SubmitButton {
    /// Name, value, label and id in lower case, to match words against.
    fn words(&self) -> String {
        format!(
            "{} {} {}",
            self.name.as_deref().unwrap_or(""),
            self.value.as_deref().unwrap_or(""),
            self.label
        )
        .to_ascii_lowercase()
    }

    pub fn looks_like_approval(&self) -> bool {
        let w = self.words();
        [
            "approve",
            "allow",
            "accept",
            "authorize",
            "authorise",
            "consent",
            "grant",
            "continue",
            "yes",
            "confirm",
        ]
        .iter()
        .any(|k| w.contains(k))
            && !self.looks_like_denial()
    }

    pub fn looks_like_denial(&self) -> bool {
        let w = self.words();
        [
            "deny", "reject", "decline", "cancel", "abort", "refuse", "disallow",
        ]
        .iter()
        .any(|k| w.contains(k))
    }
}

/// Which button to press on a consent page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ConsentChoice {
    /// A button whose name/value/label says approve, allow, accept… (the default).
    #[default]
    Approve,
    /// A button that says deny, reject, cancel…
    Deny,
    /// The button whose value or label equals this text.
    Button(String),
}

/// One `<form>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub id: Option<String>,
    /// `action` resolved against the page URL (the page itself if absent or empty).
    pub action: Url,
    /// `GET` or `POST` (anything else becomes `GET`, as in browsers).
    pub method: String,
    pub fields: Vec<Field>,
    pub buttons: Vec<SubmitButton>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    #[error("the form has no field named `{0}`")]
    NoSuchField(String),
}

fn sel(s: &str) -> Selector {
    // The selectors below are constants; a parse failure is a bug in this file.
    Selector::parse(s).expect("valid selector")
}

/// All forms of a page.
pub fn parse_forms(html: &str, page_url: &Url) -> Vec<Form> {
    let doc = Html::parse_document(html);
    let base = doc
        .select(&sel("base[href]"))
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h).ok())
        .unwrap_or_else(|| page_url.clone());
    let controls = sel("input, button, select, textarea");
    doc.select(&sel("form"))
        .map(|form| parse_form(form, &base, &controls))
        .collect()
}

fn parse_form(form: ElementRef<'_>, base: &Url, controls: &Selector) -> Form {
    let attr = |n: &str| form.value().attr(n);
    let action = match attr("action").map(str::trim) {
        Some(a) if !a.is_empty() => base.join(a).unwrap_or_else(|_| base.clone()),
        _ => base.clone(),
    };
    let method = match attr("method").map(|m| m.trim().to_ascii_uppercase()) {
        Some(m) if m == "POST" => "POST".to_owned(),
        _ => "GET".to_owned(),
    };
    let mut fields = Vec::new();
    let mut buttons = Vec::new();
    for el in form.select(controls) {
        match control(el, base) {
            Some(Control::Field(f)) => fields.push(f),
            Some(Control::Button(b)) => buttons.push(b),
            None => {}
        }
    }
    Form {
        id: attr("id").map(str::to_owned),
        action,
        method,
        fields,
        buttons,
    }
}

/// What a form control contributes: a field, a submit button, or nothing.
enum Control {
    Field(Field),
    Button(SubmitButton),
}

/// A form control (HTML §4.10), unless it is disabled, nameless where a
/// name is needed, or never submitted.
fn control(el: ElementRef<'_>, base: &Url) -> Option<Control> {
    let v = el.value();
    if v.attr("disabled").is_some() {
        return None;
    }
    let name = v.attr("name").map(str::to_owned);
    match v.name() {
        "input" => input(el, name, base),
        "button" => {
            let ty = v.attr("type").unwrap_or("submit").to_ascii_lowercase();
            if ty != "submit" {
                return None;
            }
            let label = el
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Some(Control::Button(button(el, name, label, base)))
        }
        "select" => select(el, name?).map(Control::Field),
        "textarea" => Some(Control::Field(Field {
            name: name?,
            value: el.text().collect(),
            kind: FieldKind::Textarea,
        })),
        _ => None,
    }
}

/// A submit button, with the target it overrides.
fn button(el: ElementRef<'_>, name: Option<String>, label: String, base: &Url) -> SubmitButton {
    let v = el.value();
    SubmitButton {
        name,
        label,
        value: v.attr("value").map(str::to_owned),
        formaction: v.attr("formaction").and_then(|a| base.join(a).ok()),
        formmethod: v.attr("formmethod").map(|m| m.to_ascii_uppercase()),
    }
}

/// An `<input>`: a submit button, a field, or nothing (`button`, `reset`,
/// `file`, or no name).
fn input(el: ElementRef<'_>, name: Option<String>, base: &Url) -> Option<Control> {
    let v = el.value();
    let ty = v.attr("type").unwrap_or("text").to_ascii_lowercase();
    let value = v.attr("value").unwrap_or("").to_owned();
    let checked = v.attr("checked").is_some();
    let kind = match ty.as_str() {
        "submit" | "image" => return Some(Control::Button(button(el, name, value, base))),
        "button" | "reset" | "file" => return None,
        "hidden" => FieldKind::Hidden,
        "text" | "search" => FieldKind::Text,
        "password" => FieldKind::Password,
        "email" => FieldKind::Email,
        "checkbox" => FieldKind::Checkbox { checked },
        "radio" => FieldKind::Radio { checked },
        other => FieldKind::Other(other.to_owned()),
    };
    let value = if matches!(kind, FieldKind::Checkbox { .. } | FieldKind::Radio { .. })
        && v.attr("value").is_none()
    {
        "on".to_owned()
    } else {
        value
    };
    Some(Control::Field(Field {
        name: name?,
        value,
        kind,
    }))
}

/// A `<select>`: its selected option, or its first.
fn select(el: ElementRef<'_>, name: String) -> Option<Field> {
    let options: Vec<ElementRef<'_>> = el.select(&sel("option")).collect();
    let chosen = options
        .iter()
        .find(|o| o.value().attr("selected").is_some())
        .or_else(|| options.first())?;
    let value = chosen
        .value()
        .attr("value")
        .map(str::to_owned)
        .unwrap_or_else(|| chosen.text().collect::<String>().trim().to_owned());
    Some(Field {
        name,
        value,
        kind: FieldKind::Select,
    })
}

impl Form {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    pub fn has_password_field(&self) -> bool {
        self.fields.iter().any(|f| f.kind == FieldKind::Password)
    }

    /// Whether this looks like a login form for these field names: it has the username field
    /// or a password input.
    pub fn is_login_form(&self, username_field: &str, password_field: &str) -> bool {
        self.has_password_field()
            || self.has_field(password_field)
            || self
                .field(username_field)
                .is_some_and(|f| f.kind != FieldKind::Hidden)
    }

    /// Sets the value of every field with this name (and checks checkboxes/radios with it).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), FormError> {
        let mut found = false;
        for f in self.fields.iter_mut().filter(|f| f.name == name) {
            found = true;
            match &mut f.kind {
                FieldKind::Checkbox { checked } | FieldKind::Radio { checked } => {
                    *checked = f.value == value;
                }
                _ => f.value = value.to_owned(),
            }
        }
        if found {
            Ok(())
        } else {
            Err(FormError::NoSuchField(name.to_owned()))
        }
    }

    /// Adds a field the page does not have (for tampering tests).
    pub fn add(&mut self, name: &str, value: &str) {
        self.fields.push(Field {
            name: name.to_owned(),
            value: value.to_owned(),
            kind: FieldKind::Hidden,
        });
    }

    /// Removes every field of this name (e.g. to drop a CSRF token).
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|f| f.name != name);
    }

    /// Fills in a login form. The username field must exist; the password field is filled if
    /// the form has it (some development login pages ask for a name only).
    pub fn fill(
        &mut self,
        username_field: &str,
        password_field: &str,
        username: &str,
        password: &str,
    ) -> Result<(), FormError> {
        self.set(username_field, username)?;
        if self.has_field(password_field) {
            self.set(password_field, password)?;
        }
        Ok(())
    }

    /// The button to press for a consent choice; `None` means submit without a button (only
    /// sensible when the form has no button at all or the choice is `Approve` and no button
    /// says deny).
    pub fn choose_button(&self, choice: &ConsentChoice) -> Option<&SubmitButton> {
        match choice {
            ConsentChoice::Approve => self
                .buttons
                .iter()
                .find(|b| b.looks_like_approval())
                .or_else(|| self.buttons.iter().find(|b| !b.looks_like_denial())),
            ConsentChoice::Deny => self.buttons.iter().find(|b| b.looks_like_denial()),
            ConsentChoice::Button(text) => self
                .buttons
                .iter()
                .find(|b| b.value.as_deref() == Some(text.as_str()) || b.label == *text),
        }
    }

    /// The pairs a browser submits when `button` is pressed: every named field (checkboxes
    /// and radios only when checked), then the button's own name and value.
    pub fn submission(&self, button: Option<&SubmitButton>) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|f| match f.kind {
                FieldKind::Checkbox { checked } | FieldKind::Radio { checked } => checked,
                _ => true,
            })
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        if let Some((name, b)) = button.and_then(|b| b.name.as_ref().map(|n| (n, b))) {
            pairs.push((name.clone(), b.value.clone().unwrap_or_default()));
        }
        pairs
    }

    /// Where and how pressing `button` sends the form.
    pub fn target(&self, button: Option<&SubmitButton>) -> (String, Url) {
        let method = button
            .and_then(|b| b.formmethod.clone())
            .filter(|m| m == "GET" || m == "POST")
            .unwrap_or_else(|| self.method.clone());
        let action = button
            .and_then(|b| b.formaction.clone())
            .unwrap_or_else(|| self.action.clone());
        (method, action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of oidc-provider 9's development login page.
    const OIDC_PROVIDER_LOGIN: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign-in</title><style>body{}</style></head>
<body><div class="login-card">
  <h1>Sign-in</h1>
  <form autocomplete="off" action="/interaction/Xq1_a-9uid" method="post">
    <input type="hidden" name="prompt" value="login"/>
    <input required type="text" name="login" placeholder="Enter any login" autofocus="on">
    <input required type="password" name="password" placeholder="and password">
    <button type="submit" class="login login-submit">Sign-in</button>
  </form>
  <div class="login-help"><a href="/interaction/Xq1_a-9uid/abort">[ Cancel ]</a></div>
</div></body></html>"#;

    const OIDC_PROVIDER_CONSENT: &str = r#"<!DOCTYPE html><html><body><div class="login-card">
  <h1>Authorize</h1>
  <ul><li><strong>public-client</strong> is requesting access to:</li></ul>
  <form autocomplete="off" action="/interaction/Xq1_a-9uid" method="post">
    <input type="hidden" name="prompt" value="consent"/>
    <button autofocus type="submit" class="login login-submit">Continue</button>
  </form>
  <div class="login-help"><a href="/interaction/Xq1_a-9uid/abort">[ Cancel ]</a></div>
</div></body></html>"#;

    /// The shape of the reference server's login and consent pages.
    const REFERENCE_LOGIN: &str = r#"<!doctype html><html><head><title>Sign in</title></head><body>
<main><form method="post" action="/interaction/abc123">
  <input type="hidden" name="csrf_token" value="tok-&amp;-1">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password"></label>
  <button type="submit">Sign in</button>
</form></main></body></html>"#;

    const REFERENCE_CONSENT: &str = r#"<!doctype html><html><body>
<form method="POST" action="/interaction/abc123/consent">
  <input type="hidden" name="csrf_token" value="tok2">
  <p>Allow <b>demo</b> to read your notes?</p>
  <select name="remember"><option value="no">Ask again</option><option value="30d" selected>30 days</option></select>
  <input type="checkbox" name="extra" value="1">
  <input type="checkbox" name="ack" checked>
  <button name="decision" value="deny">Deny</button>
  <button name="decision" value="approve">Approve</button>
</form></body></html>"#;

    fn page() -> Url {
        Url::parse("http://127.0.0.1:3000/interaction/Xq1_a-9uid").unwrap()
    }

    #[test]
    fn oidc_provider_login_form() {
        let forms = parse_forms(OIDC_PROVIDER_LOGIN, &page());
        assert_eq!(forms.len(), 1);
        let mut f = forms.into_iter().next().unwrap();
        assert_eq!(f.method, "POST");
        assert_eq!(
            f.action.as_str(),
            "http://127.0.0.1:3000/interaction/Xq1_a-9uid"
        );
        assert!(f.is_login_form("login", "password"));
        assert_eq!(f.field("prompt").unwrap().kind, FieldKind::Hidden);
        assert_eq!(f.buttons.len(), 1);
        assert_eq!(f.buttons[0].label, "Sign-in");
        f.fill("login", "password", "alice", "pw").unwrap();
        assert_eq!(
            f.submission(f.choose_button(&ConsentChoice::Approve)),
            vec![
                ("prompt".to_owned(), "login".to_owned()),
                ("login".to_owned(), "alice".to_owned()),
                ("password".to_owned(), "pw".to_owned()),
            ]
        );
        assert_eq!(
            f.fill("username", "password", "a", "b"),
            Err(FormError::NoSuchField("username".into()))
        );
    }

    #[test]
    fn oidc_provider_consent_form_is_not_a_login_form() {
        let f = &parse_forms(OIDC_PROVIDER_CONSENT, &page())[0];
        assert!(!f.is_login_form("login", "password"));
        let b = f.choose_button(&ConsentChoice::Approve).unwrap();
        assert_eq!(b.label, "Continue");
        assert!(f.choose_button(&ConsentChoice::Deny).is_none());
        assert_eq!(
            f.submission(Some(b)),
            vec![("prompt".to_owned(), "consent".to_owned())]
        );
    }

    #[test]
    fn reference_login_and_consent_forms() {
        let url = Url::parse("http://127.0.0.1:8080/interaction/abc123").unwrap();
        let mut login = parse_forms(REFERENCE_LOGIN, &url).remove(0);
        assert!(login.is_login_form("username", "password"));
        assert_eq!(login.field("csrf_token").unwrap().value, "tok-&-1");
        login.fill("username", "password", "alice", "pw").unwrap();
        let pairs = login.submission(None);
        assert_eq!(pairs[0], ("csrf_token".to_owned(), "tok-&-1".to_owned()));
        assert!(pairs.contains(&("username".to_owned(), "alice".to_owned())));

        let consent = parse_forms(REFERENCE_CONSENT, &url).remove(0);
        assert_eq!(consent.method, "POST");
        assert_eq!(
            consent.action.as_str(),
            "http://127.0.0.1:8080/interaction/abc123/consent"
        );
        assert!(!consent.is_login_form("username", "password"));
        let approve = consent.choose_button(&ConsentChoice::Approve).unwrap();
        assert_eq!(approve.value.as_deref(), Some("approve"));
        let deny = consent.choose_button(&ConsentChoice::Deny).unwrap();
        assert_eq!(deny.value.as_deref(), Some("deny"));
        let by_label = consent
            .choose_button(&ConsentChoice::Button("Deny".into()))
            .unwrap();
        assert_eq!(by_label, deny);
        let pairs = consent.submission(Some(approve));
        assert_eq!(
            pairs,
            vec![
                ("csrf_token".to_owned(), "tok2".to_owned()),
                ("remember".to_owned(), "30d".to_owned()),
                ("ack".to_owned(), "on".to_owned()),
                ("decision".to_owned(), "approve".to_owned()),
            ]
        );
    }

    #[test]
    fn formaction_formmethod_base_and_disabled_controls() {
        let html = r#"<html><head><base href="http://127.0.0.1:9/base/"></head><body>
<form action="go" method="dialog">
  <input name="a" value="1" disabled>
  <input name="b" value="2">
  <textarea name="t">hello</textarea>
  <input type="submit" name="s" value="Send" formaction="/elsewhere" formmethod="post">
  <button type="button" name="x">Not a submit</button>
</form>
<form><input name="q"></form></body></html>"#;
        let page = Url::parse("http://127.0.0.1:9/page").unwrap();
        let forms = parse_forms(html, &page);
        assert_eq!(forms.len(), 2);
        let f = &forms[0];
        assert_eq!(f.action.as_str(), "http://127.0.0.1:9/base/go");
        assert_eq!(f.method, "GET");
        assert!(f.field("a").is_none());
        assert_eq!(f.field("t").unwrap().value, "hello");
        assert_eq!(f.buttons.len(), 1);
        let (m, a) = f.target(Some(&f.buttons[0]));
        assert_eq!(m, "POST");
        assert_eq!(a.as_str(), "http://127.0.0.1:9/elsewhere");
        // A form without action submits to the page (here: the <base>).
        assert_eq!(forms[1].action.as_str(), "http://127.0.0.1:9/base/");
    }
}
