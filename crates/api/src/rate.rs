//! A request rate per user: each user has a bucket of `burst` requests, refilled at `per_second`;
//! a request finding it empty is answered 429 with `Retry-After` (seconds until the next one is
//! allowed), in Looker's error shape. One user's burst never slows another's requests.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct UserRates {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets untouched this long are full again; dropped so the map stays small.
const FORGET_AFTER: Duration = Duration::from_secs(600);

impl UserRates {
    /// `per_second` requests a second per user on average, `burst` at once.
    pub fn new(per_second: f64, burst: u32) -> UserRates {
        UserRates { per_second: per_second.max(0.001), burst: f64::from(burst.max(1)), buckets: Mutex::default() }
    }

    /// Takes one request from `user`'s bucket; when empty, how long until there is one.
    pub fn take(&self, user: i64) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.at) < FORGET_AFTER);
        }
        let bucket = buckets.entry(user).or_insert(Bucket { tokens: self.burst, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.per_second).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate_per_user() {
        let rates = UserRates::new(10.0, 2);
        assert!(rates.take(1).is_ok() && rates.take(1).is_ok());
        let wait = rates.take(1).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100), "{wait:?}");
        assert!(rates.take(2).is_ok(), "another user has a bucket of its own");
        std::thread::sleep(Duration::from_millis(110));
        assert!(rates.take(1).is_ok(), "refilled");
    }
}
