//! Time, injectable.
//!
//! Every expiry decision in the server reads [`Clock::now`], never the system
//! clock directly, so the test-admin API can move time forward and expiry
//! scenarios finish at once instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as JWT `NumericDate` (RFC 7519 §2).
pub type UnixTime = i64;

/// The farthest the test-admin API may move the clock from the system
/// clock, either way: ten years.
pub const MAX_OFFSET: i64 = 10 * 365 * 86_400;

/// A clock move that would take the offset past [`MAX_OFFSET`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the clock may move at most {MAX_OFFSET} seconds from the system clock, either way")]
pub struct OutOfRange;

/// The server's clock: system time plus an offset that only the test-admin
/// API ever changes.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// A clock that reads the system time.
    pub fn system() -> Self {
        Self::default()
    }

    /// Current time in seconds since the epoch.
    pub fn now(&self) -> UnixTime {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        sys + self.offset.load(Ordering::Relaxed)
    }

    /// Moves the clock forward by `seconds` (negative moves it back) and
    /// returns the new time; refused (the clock unchanged) when the offset
    /// from the system clock would leave ±[`MAX_OFFSET`].
    pub fn advance(&self, seconds: i64) -> Result<UnixTime, OutOfRange> {
        self.offset
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                o.checked_add(seconds)
                    .filter(|n| (-MAX_OFFSET..=MAX_OFFSET).contains(n))
            })
            .map_err(|_| OutOfRange)?;
        Ok(self.now())
    }

    /// How far this clock runs ahead of the system clock.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let clock = Clock::system();
        let before = clock.now();
        let after = clock.advance(3600).expect("in range");
        assert!(after >= before + 3600 && after <= before + 3601);
        assert_eq!(clock.offset(), 3600);
    }

    #[test]
    fn the_offset_never_leaves_ten_years_nor_wraps() {
        let clock = Clock::system();
        assert_eq!(clock.advance(i64::MIN), Err(OutOfRange));
        assert_eq!(clock.advance(i64::MAX), Err(OutOfRange));
        assert_eq!(clock.offset(), 0, "a refused move changes nothing");
        clock.advance(MAX_OFFSET).expect("the limit itself");
        assert_eq!(clock.advance(1), Err(OutOfRange));
        clock.advance(-2 * MAX_OFFSET).expect("the other limit");
        assert_eq!(clock.offset(), -MAX_OFFSET);
    }
}
