//! The text of a report, bounded and named: findings and reasons cut at
//! [`KEPT_TEXT`], scenario ids as slugs, times in RFC 3339.

use super::model::{Finding, NotReached};

/// The most a finding's field, a reason or a control keeps (the exchanges
/// themselves are in the evidence).
pub const KEPT_TEXT: usize = 4096;

/// `text` cut to `limit` bytes on a char boundary, saying how long it was.
pub fn bounded(mut text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let total = text.len();
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(&format!("… (cut; {total} bytes in all)"));
    text.shrink_to_fit();
    text
}

impl Finding {
    /// Every field within [`KEPT_TEXT`].
    pub fn bounded(self) -> Finding {
        Finding {
            requirement: bounded(self.requirement, KEPT_TEXT),
            expected: bounded(self.expected, KEPT_TEXT),
            actual: bounded(self.actual, KEPT_TEXT),
            kind: self.kind,
        }
    }
}

impl NotReached {
    /// Reason and fix within [`KEPT_TEXT`].
    pub fn bounded(self) -> NotReached {
        NotReached {
            reason: bounded(self.reason, KEPT_TEXT),
            fix: self.fix.map(|f| bounded(f, KEPT_TEXT)),
        }
    }
}

/// Lower-case slug of a scenario name: letters and digits kept, every other
/// run of characters becomes one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        "scenario".to_owned()
    } else {
        out
    }
}

/// Formats a [`std::time::SystemTime`] as RFC 3339 in UTC, to the second.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
