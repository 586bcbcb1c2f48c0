//! `--start-at`: the instant every shard of a run starts at, written in RFC 3339 UTC to the
//! second (`2026-12-02T05:00:00Z`), the form `date -u +%Y-%m-%dT%H:%M:%SZ` prints.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Not an instant `--start-at` takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --start-at `{0}`: write a UTC instant like 2026-12-02T05:00:00Z")]
pub struct StartAtError(pub String);

/// An instant written `2026-12-02T05:00:00Z` (RFC 3339 in UTC, to the second).
pub fn parse_start_at(text: &str) -> Result<SystemTime, StartAtError> {
    let bad = || StartAtError(text.to_owned());
    let b = text.trim().as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, StartAtError> {
        std::str::from_utf8(&b[r])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&m) || !(1..=days_in_month).contains(&d) || hh > 23 || mm > 59 || ss > 59
    {
        return Err(bad());
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    let secs = u64::try_from(secs).map_err(|_| bad())?;
    Ok(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_instants_parse_as_utc() {
        let t = parse_start_at("2026-12-02T05:00:00Z").unwrap();
        let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_796_187_600);
        assert_eq!(parse_start_at("1970-01-01T00:00:00Z").unwrap(), UNIX_EPOCH);
        for bad in [
            "2026-12-02 05:00:00Z",
            "2026-12-02T05:00:00+01:00",
            "2026-13-02T05:00:00Z",
            "x",
        ] {
            assert!(parse_start_at(bad).is_err(), "{bad}");
        }
    }
}
