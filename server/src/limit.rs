//! `--rate-limit`: submissions per minute per client address, in fixed one-minute windows.
//!
//! Hand-written because it is a dozen lines; a token-bucket crate (tower_governor) is the
//! natural replacement when issue 6 asks for more (proxies, bursts).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many tracked addresses, expired windows are dropped.
const PRUNE_AT: usize = 10_000;

/// Counts submissions per address; `limit` 0 lets everything through.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `limit` submissions per minute per address (0 = off).
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one submission from `ip`; `Err(seconds)` until its window ends if over.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    /// [`RateLimiter::check`] at a given time.
    pub fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= PRUNE_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.limit {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_address_and_resets_after_a_minute() {
        let limiter = RateLimiter::new(2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let t = Instant::now();
        assert_eq!(limiter.check_at(a, t), Ok(()));
        assert_eq!(limiter.check_at(a, t), Ok(()));
        assert_eq!(limiter.check_at(a, t + Duration::from_secs(20)), Err(40));
        assert_eq!(limiter.check_at(b, t), Ok(()));
        assert_eq!(limiter.check_at(a, t + WINDOW), Ok(()));
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::new(0);
        for _ in 0..1000 {
            assert_eq!(limiter.check([10, 0, 0, 1].into()), Ok(()));
        }
    }
}
