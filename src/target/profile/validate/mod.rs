//! Validation: one method per section of the profile, each with the line and field of what
//! is wrong. `build` runs them in the order the file's sections are documented, so the first
//! error reported is the same whatever else is wrong.

use std::path::Path;
use std::time::Duration;

use toml::Spanned;
use toml::de::DeTable;
use url::Url;

use super::ProfileError;
use super::locate::{issue, parse_path, span_of};
use super::model::Lifetimes;
use super::raw::RawLifetimes;
use crate::driver::http::HostPort;

mod build;
mod clients;
mod login;
mod login_api;
mod sections;

/// Parses a duration such as `500ms`, `10s`, `2m`, `1h` or `1m30s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{s}` is not a duration: expected a number, as in \"500ms\", \"10s\", \"2m\""
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{s}`: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "" => {
                return Err(format!(
                    "`{s}` has no unit: write e.g. \"{n}s\" (units: ms, s, m, h)"
                ));
            }
            other => {
                return Err(format!(
                    "`{s}`: unknown unit `{other}` (units: ms, s, m, h)"
                ));
            }
        };
        total = total.saturating_add(d);
    }
    Ok(total)
}

/// Checks a profile's sections against the text they came from, so that every error points
/// at its line and field.
pub(in crate::target) struct Validator<'a> {
    source: &'a Path,
    text: &'a str,
    doc: &'a Spanned<DeTable<'a>>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(source: &'a Path, text: &'a str, doc: &'a Spanned<DeTable<'a>>) -> Self {
        Validator { source, text, doc }
    }
}

impl Validator<'_> {
    /// The bytes of a file a profile field names, relative to the profile's directory.
    pub(in crate::target) fn read_file(
        &self,
        field: &str,
        file: &str,
    ) -> Result<Vec<u8>, ProfileError> {
        let path = Path::new(file);
        let path = match self.source.parent() {
            Some(dir) if path.is_relative() && !dir.as_os_str().is_empty() => dir.join(path),
            _ => path.to_path_buf(),
        };
        std::fs::read(&path)
            .map_err(|e| self.err(field, format!("cannot read {}: {e}", path.display())))
    }

    pub(in crate::target) fn err(&self, field: &str, message: impl AsRef<str>) -> ProfileError {
        let span = span_of(self.doc, &parse_path(field));
        issue(
            self.source,
            self.text,
            span.start,
            field.to_owned(),
            message.as_ref(),
        )
    }

    pub(in crate::target) fn url(&self, field: &str, value: &str) -> Result<Url, ProfileError> {
        let url = Url::parse(value).map_err(|e| self.err(field, e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(self.err(
                field,
                format!(
                    "`{}` URLs are not supported: use http or https",
                    url.scheme()
                ),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(self.err(field, "the URL has no host"));
        }
        Ok(url)
    }

    pub(super) fn opt_url(
        &self,
        field: &str,
        value: &Option<String>,
    ) -> Result<Option<Url>, ProfileError> {
        value.as_deref().map(|v| self.url(field, v)).transpose()
    }

    pub(super) fn redirect_uri(&self, field: &str, value: &str) -> Result<String, ProfileError> {
        let url = self.url(field, value)?;
        if url.fragment().is_some() {
            return Err(self.err(
                field,
                "a redirect URI must not have a fragment (RFC 6749 §3.1.2)",
            ));
        }
        Ok(value.to_owned())
    }

    pub(in crate::target) fn duration(
        &self,
        field: &str,
        value: &Option<String>,
        default: Duration,
    ) -> Result<Duration, ProfileError> {
        match value {
            None => Ok(default),
            Some(v) => {
                let d = parse_duration(v).map_err(|m| self.err(field, m))?;
                if d.is_zero() {
                    return Err(self.err(field, "must be longer than zero"));
                }
                Ok(d)
            }
        }
    }

    pub(in crate::target) fn non_empty(
        &self,
        field: &str,
        value: &str,
    ) -> Result<(), ProfileError> {
        if value.trim().is_empty() {
            Err(self.err(field, "must not be empty"))
        } else {
            Ok(())
        }
    }

    pub(super) fn lifetimes(&self, raw: Option<&RawLifetimes>) -> Result<Lifetimes, ProfileError> {
        let d = Lifetimes::default();
        let Some(r) = raw else { return Ok(d) };
        let opt = |field: &str, v: &Option<String>| -> Result<Option<Duration>, ProfileError> {
            v.as_ref()
                .map(|_| self.duration(field, v, Duration::ZERO))
                .transpose()
        };
        Ok(Lifetimes {
            code: opt("lifetimes.code", &r.code)?,
            access: opt("lifetimes.access", &r.access)?,
            refresh: opt("lifetimes.refresh", &r.refresh)?,
            clock_skew: match &r.clock_skew {
                None => d.clock_skew,
                Some(v) => parse_duration(v).map_err(|m| self.err("lifetimes.clock_skew", m))?,
            },
        })
    }

    /// A `host:port` pair.
    pub(super) fn host_port(&self, field: &str, value: &str) -> Result<HostPort, ProfileError> {
        let (host, port) = value
            .rsplit_once(':')
            .filter(|(h, _)| !h.is_empty())
            .ok_or_else(|| self.err(field, format!("`{value}` is not host:port")))?;
        let port: u16 = port
            .parse()
            .map_err(|_| self.err(field, format!("`{port}` is not a port number")))?;
        Ok(HostPort::new(host.trim_matches(['[', ']']), port))
    }
}
