//! Pass/fail thresholds on a run's measured requests: `p95<50ms`, `error-rate<0.1%`,
//! `rps>=1000`. A bad expression is a usage error that names the column at fault.

use std::fmt;
use std::str::FromStr;

/// What a threshold measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// A latency percentile (50, 90, 95, 99) or the maximum (100).
    Percentile(u8),
    /// Failed measured requests over all measured requests, in percent.
    ErrorRate,
    /// Measured requests per second.
    Rps,
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Percentile(100) => f.write_str("max"),
            Metric::Percentile(p) => write!(f, "p{p}"),
            Metric::ErrorRate => f.write_str("error-rate"),
            Metric::Rps => f.write_str("rps"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Op::Lt => measured < bound,
            Op::Le => measured <= bound,
            Op::Gt => measured > bound,
            Op::Ge => measured >= bound,
        }
    }
}

/// A parsed threshold. Latency bounds are kept in microseconds, error rates in percent.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub metric: Metric,
    pub op: Op,
    pub bound: f64,
}

/// A threshold that does not parse; `column` is 1-based, in characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid threshold `{text}` at column {column}: {message}")]
pub struct ThresholdError {
    pub text: String,
    pub column: usize,
    pub message: String,
}

/// What a threshold is compared with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub error_rate_percent: f64,
    pub rps: f64,
}

/// A threshold's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub threshold: Threshold,
    /// The measured value, formatted in the threshold's unit.
    pub measured: String,
    pub passed: bool,
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |byte: usize, message: String| ThresholdError {
            text: text.to_owned(),
            column: text[..byte.min(text.len())].chars().count() + 1,
            message,
        };
        let lead = text.len() - text.trim_start().len();
        let rest = &text[lead..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        let metric = match name.to_ascii_lowercase().as_str() {
            "p50" => Metric::Percentile(50),
            "p90" => Metric::Percentile(90),
            "p95" => Metric::Percentile(95),
            "p99" => Metric::Percentile(99),
            "max" => Metric::Percentile(100),
            "error-rate" | "error_rate" => Metric::ErrorRate,
            "rps" => Metric::Rps,
            "" => {
                return Err(err(
                    lead,
                    "expected a metric: p50, p90, p95, p99, max, error-rate or rps".into(),
                ));
            }
            other => {
                return Err(err(
                    lead,
                    format!(
                        "unknown metric `{other}` (known: p50, p90, p95, p99, max, error-rate, rps)"
                    ),
                ));
            }
        };
        let mut pos = lead + name_len;
        pos += text[pos..].len() - text[pos..].trim_start().len();
        let after = &text[pos..];
        let (op, op_len) = if after.starts_with("<=") {
            (Op::Le, 2)
        } else if after.starts_with(">=") {
            (Op::Ge, 2)
        } else if after.starts_with('<') {
            (Op::Lt, 1)
        } else if after.starts_with('>') {
            (Op::Gt, 1)
        } else {
            return Err(err(pos, "expected a comparison: <, <=, > or >=".into()));
        };
        pos += op_len;
        pos += text[pos..].len() - text[pos..].trim_start().len();
        let value_text = text[pos..].trim_end();
        let num_len = value_text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(value_text.len());
        let number = &value_text[..num_len];
        let value: f64 = match number.parse() {
            Ok(v) if number.chars().next().is_some_and(|c| c.is_ascii_digit()) => v,
            _ => return Err(err(pos, "expected a non-negative number".into())),
        };
        let unit_pos = pos + num_len;
        let unit = value_text[num_len..].trim();
        let bound = match metric {
            Metric::Percentile(_) => match unit {
                "us" | "µs" => value,
                "ms" => value * 1e3,
                "s" => value * 1e6,
                "" => {
                    return Err(err(
                        unit_pos,
                        "a latency needs a unit: us, ms or s (e.g. p95<50ms)".into(),
                    ));
                }
                u => {
                    return Err(err(
                        unit_pos,
                        format!("unknown latency unit `{u}` (us, ms or s)"),
                    ));
                }
            },
            Metric::ErrorRate => match unit {
                "%" if value <= 100.0 => value,
                "%" => return Err(err(pos, "an error rate is at most 100%".into())),
                "" => {
                    return Err(err(
                        unit_pos,
                        "an error rate is a percentage: add % (e.g. error-rate<0.1%)".into(),
                    ));
                }
                u => return Err(err(unit_pos, format!("unexpected `{u}` after the rate"))),
            },
            Metric::Rps => match unit {
                "" | "/s" => value,
                u => return Err(err(unit_pos, format!("unexpected `{u}` after the rate"))),
            },
        };
        Ok(Threshold {
            text: text.trim().to_owned(),
            metric,
            op,
            bound,
        })
    }
}

/// `1234` µs → `1.23 ms`; below a millisecond in µs.
pub fn format_us(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else if us < 10_000_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

impl Threshold {
    pub fn evaluate(&self, m: &Measured) -> Verdict {
        let (value, shown) = match self.metric {
            Metric::Percentile(p) => {
                let us = match p {
                    50 => m.p50_us,
                    90 => m.p90_us,
                    95 => m.p95_us,
                    99 => m.p99_us,
                    _ => m.max_us,
                };
                (us as f64, format_us(us))
            }
            Metric::ErrorRate => (
                m.error_rate_percent,
                format!("{:.3}%", m.error_rate_percent),
            ),
            Metric::Rps => (m.rps, format!("{:.1} req/s", m.rps)),
        };
        Verdict {
            threshold: self.clone(),
            measured: shown,
            passed: self.op.holds(value, self.bound),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.metric, self.op.as_str())?;
        match self.metric {
            Metric::Percentile(_) => f.write_str(&format_us(self.bound as u64).replace(' ', "")),
            Metric::ErrorRate => write!(f, "{}%", self.bound),
            Metric::Rps => write!(f, "{}", self.bound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Measured {
        Measured {
            p50_us: 900,
            p90_us: 20_000,
            p95_us: 40_000,
            p99_us: 60_000,
            max_us: 90_000,
            error_rate_percent: 0.05,
            rps: 1200.0,
        }
    }

    #[test]
    fn the_issue_examples_parse_and_evaluate() {
        let t: Threshold = "p95<50ms".parse().unwrap();
        assert_eq!(
            (t.metric, t.op, t.bound),
            (Metric::Percentile(95), Op::Lt, 50_000.0)
        );
        assert!(t.evaluate(&m()).passed);
        assert_eq!(t.evaluate(&m()).measured, "40.00 ms");
        let t: Threshold = "error-rate<0.1%".parse().unwrap();
        assert_eq!(t.bound, 0.1);
        assert!(t.evaluate(&m()).passed);
        let t: Threshold = " rps >= 1000 ".parse().unwrap();
        assert_eq!((t.op, t.bound), (Op::Ge, 1000.0));
        assert!(t.evaluate(&m()).passed);
        let t: Threshold = "rps>=2000".parse().unwrap();
        assert!(!t.evaluate(&m()).passed);
        let t: Threshold = "p99<=1s".parse().unwrap();
        assert_eq!(t.bound, 1e6);
        let t: Threshold = "p50<500us".parse().unwrap();
        assert!(!t.evaluate(&m()).passed);
    }

    #[test]
    fn bad_expressions_say_where_and_why() {
        let e = "p95<50".parse::<Threshold>().unwrap_err();
        assert_eq!(e.column, 7);
        assert!(e.message.contains("needs a unit"), "{e}");
        let e = "p96<50ms".parse::<Threshold>().unwrap_err();
        assert_eq!(e.column, 1);
        assert!(e.message.contains("unknown metric `p96`"), "{e}");
        let e = "rps=1000".parse::<Threshold>().unwrap_err();
        assert_eq!(e.column, 4);
        assert!(e.message.contains("comparison"), "{e}");
        let e = "error-rate<0.1".parse::<Threshold>().unwrap_err();
        assert!(e.message.contains("percentage"), "{e}");
        let e = "error-rate<abc%".parse::<Threshold>().unwrap_err();
        assert_eq!(e.column, 12);
        let e = "p95<50parsecs".parse::<Threshold>().unwrap_err();
        assert!(e.message.contains("unknown latency unit `parsecs`"), "{e}");
        let e = "".parse::<Threshold>().unwrap_err();
        assert_eq!(e.column, 1);
        assert_eq!(
            "rps>=x".parse::<Threshold>().unwrap_err().to_string(),
            "invalid threshold `rps>=x` at column 6: expected a non-negative number"
        );
    }
}
