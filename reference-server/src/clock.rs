//! Time, injectable.
//!
//! Every expiry decision in the server reads [`Clock::now`], never the system
//! clock directly, so the test-admin API can move time forward and expiry
//! scenarios finish at once instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as JWT `NumericDate` (RFC 7519 §2).
pub type UnixTime = i64;

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
    /// returns the new time.
    pub fn advance(&self, seconds: i64) -> UnixTime {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
        self.now()
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
        let after = clock.advance(3600);
        assert!(after >= before + 3600 && after <= before + 3601);
        assert_eq!(clock.offset(), 3600);
    }
}
