//! The rate-limit actor. It owns one set of buckets per limiter, so one limiter never drains
//! another, and bounds each set with an LRU. The algorithm is a sliding-window counter: the count
//! of the previous fixed window is weighted by how much of it still overlaps the sliding window,
//! so a burst at a window boundary cannot double the allowed rate.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use actix::prelude::*;
use lru::LruCache;
use serde::Serialize;

use crate::config::RateLimitConfig;

/// The independent limiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limiter {
    /// MCP tool calls per access token.
    McpToolCalls,
    /// REST requests per token.
    Rest,
    /// Expensive operations per token.
    Expensive,
    /// Failed authentications per client IP.
    AuthFailures,
    /// Unauthenticated requests per client IP.
    Public,
}

impl Limiter {
    pub const ALL: [Limiter; 5] = [
        Self::McpToolCalls,
        Self::Rest,
        Self::Expensive,
        Self::AuthFailures,
        Self::Public,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::McpToolCalls => "mcp_tool_calls",
            Self::Rest => "rest",
            Self::Expensive => "expensive",
            Self::AuthFailures => "auth_failures",
            Self::Public => "public",
        }
    }

    fn limit(self, config: &RateLimitConfig) -> u32 {
        match self {
            Self::McpToolCalls => config.tool_calls_per_window,
            Self::Rest => config.rest_per_window,
            Self::Expensive => config.expensive_per_window,
            Self::AuthFailures => config.auth_failures_per_window,
            Self::Public => config.public_per_window,
        }
    }
}

/// The outcome of a check, with what the `RateLimit` headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Time until one more request would be allowed; zero when allowed.
    pub retry_after: Duration,
    /// Time until the estimate falls back to zero.
    pub reset_after: Duration,
    pub window: Duration,
}

impl Decision {
    /// `RateLimit-Policy` header value (IETF draft): `"<limiter>";q=<limit>;w=<seconds>`.
    pub fn policy_header(&self, limiter: Limiter) -> String {
        format!(
            "\"{}\";q={};w={}",
            limiter.name(),
            self.limit,
            self.window.as_secs().max(1)
        )
    }

    /// `RateLimit` header value (IETF draft): `"<limiter>";r=<remaining>;t=<seconds>`.
    pub fn limit_header(&self, limiter: Limiter) -> String {
        format!(
            "\"{}\";r={};t={}",
            limiter.name(),
            self.remaining,
            self.reset_after.as_secs_f64().ceil() as u64
        )
    }

    /// Seconds for `Retry-After`, rounded up so a client never retries too early.
    pub fn retry_after_secs(&self) -> u64 {
        (self.retry_after.as_millis().div_ceil(1000) as u64).max(1)
    }
}

#[derive(Debug, Clone)]
struct Window {
    /// Start of the current fixed window.
    start: Instant,
    current: u32,
    previous: u32,
    refused: u64,
}

impl Window {
    fn new(now: Instant) -> Self {
        Self {
            start: now,
            current: 0,
            previous: 0,
            refused: 0,
        }
    }

    /// Moves the fixed windows forward to the one containing `now`.
    fn roll(&mut self, now: Instant, window: Duration) {
        let elapsed = now.duration_since(self.start);
        if elapsed < window {
            return;
        }
        let windows_passed = elapsed.as_nanos() / window.as_nanos().max(1);
        self.previous = if windows_passed == 1 { self.current } else { 0 };
        self.current = 0;
        let advance = window.as_nanos() * windows_passed;
        self.start += Duration::from_nanos(u64::try_from(advance).unwrap_or(u64::MAX));
    }

    /// Weighted count of requests in the sliding window ending at `now`.
    fn estimate(&self, now: Instant, window: Duration) -> f64 {
        let into_current = now.duration_since(self.start).as_secs_f64() / window.as_secs_f64();
        let previous_weight = (1.0 - into_current).clamp(0.0, 1.0);
        f64::from(self.previous) * previous_weight + f64::from(self.current)
    }

    fn decide(&self, now: Instant, window: Duration, limit: u32, allowed: bool) -> Decision {
        let estimate = self.estimate(now, window);
        let remaining = (f64::from(limit) - estimate).floor().max(0.0) as u32;
        let into_current = now.duration_since(self.start);
        let until_next_window = window.saturating_sub(into_current);
        let retry_after = if allowed || remaining > 0 {
            Duration::ZERO
        } else if self.current >= limit || self.previous == 0 {
            // Only the next window can make room, and in it the previous count is ours.
            let needed = f64::from(self.current) - f64::from(limit) + 1.0;
            let fraction = if self.current == 0 {
                1.0
            } else {
                (needed / f64::from(self.current)).clamp(0.0, 1.0)
            };
            until_next_window + window.mul_f64(fraction)
        } else {
            // The previous window's weight decays until one slot frees up.
            let excess = estimate - f64::from(limit) + 1.0;
            let per_second = f64::from(self.previous) / window.as_secs_f64();
            Duration::from_secs_f64((excess / per_second).max(0.0)).min(until_next_window)
        };
        Decision {
            allowed,
            limit,
            remaining,
            retry_after,
            reset_after: until_next_window
                + if self.current > 0 {
                    window
                } else {
                    Duration::ZERO
                },
            window,
        }
    }
}

pub struct RateLimiter {
    config: RateLimitConfig,
    buckets: HashMap<Limiter, LruCache<String, Window>>,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        let capacity = NonZeroUsize::new(config.max_keys).unwrap_or(NonZeroUsize::MIN);
        let buckets = Limiter::ALL
            .into_iter()
            .map(|limiter| (limiter, LruCache::new(capacity)))
            .collect();
        Self { config, buckets }
    }

    fn window(&self) -> Duration {
        Duration::from_millis(self.config.window_ms)
    }

    fn check(&mut self, limiter: Limiter, key: String, consume: bool) -> Decision {
        let now = Instant::now();
        let window = self.window();
        let limit = limiter.limit(&self.config);
        let Some(buckets) = self.buckets.get_mut(&limiter) else {
            return Decision {
                allowed: true,
                limit,
                remaining: limit,
                retry_after: Duration::ZERO,
                reset_after: Duration::ZERO,
                window,
            };
        };
        let bucket = buckets.get_or_insert_mut(key, || Window::new(now));
        bucket.roll(now, window);
        let allowed = bucket.estimate(now, window) + 1.0 <= f64::from(limit);
        if consume {
            if allowed {
                bucket.current += 1;
            } else {
                bucket.refused += 1;
            }
        }
        bucket.decide(now, window, limit, allowed)
    }
}

impl Actor for RateLimiter {
    type Context = Context<Self>;
}

/// Counts one request against `key` if the limit allows it.
#[derive(Debug, Message)]
#[rtype(result = "Decision")]
pub struct Acquire {
    pub limiter: Limiter,
    pub key: String,
}

impl Handler<Acquire> for RateLimiter {
    type Result = MessageResult<Acquire>;

    fn handle(&mut self, msg: Acquire, _: &mut Self::Context) -> Self::Result {
        MessageResult(self.check(msg.limiter, msg.key, true))
    }
}

/// Reports whether `key` is within its limit, without counting anything.
#[derive(Debug, Message)]
#[rtype(result = "Decision")]
pub struct Peek {
    pub limiter: Limiter,
    pub key: String,
}

impl Handler<Peek> for RateLimiter {
    type Result = MessageResult<Peek>;

    fn handle(&mut self, msg: Peek, _: &mut Self::Context) -> Self::Result {
        MessageResult(self.check(msg.limiter, msg.key, false))
    }
}

/// One bucket as shown on the security screen.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketInfo {
    pub limiter: &'static str,
    pub key: String,
    pub used: u32,
    pub limit: u32,
    pub window_ms: u64,
    pub retry_after_ms: u64,
    pub resets_in_ms: u64,
    pub refusals: u64,
}

#[derive(Debug, Message)]
#[rtype(result = "Vec<BucketInfo>")]
pub struct Snapshot;

impl Handler<Snapshot> for RateLimiter {
    type Result = MessageResult<Snapshot>;

    fn handle(&mut self, _: Snapshot, _: &mut Self::Context) -> Self::Result {
        let now = Instant::now();
        let window = self.window();
        let mut rows = Vec::new();
        for limiter in Limiter::ALL {
            let limit = limiter.limit(&self.config);
            let Some(buckets) = self.buckets.get_mut(&limiter) else {
                continue;
            };
            for (key, bucket) in buckets.iter_mut() {
                bucket.roll(now, window);
                let estimate = bucket.estimate(now, window);
                if estimate < 0.01 && bucket.refused == 0 {
                    continue;
                }
                let decision =
                    bucket.decide(now, window, limit, estimate + 1.0 <= f64::from(limit));
                rows.push(BucketInfo {
                    limiter: limiter.name(),
                    key: key.clone(),
                    used: estimate.ceil() as u32,
                    limit,
                    window_ms: self.config.window_ms,
                    retry_after_ms: decision.retry_after.as_millis() as u64,
                    resets_in_ms: decision.reset_after.as_millis() as u64,
                    refusals: bucket.refused,
                });
            }
        }
        rows.sort_by(|a, b| b.used.cmp(&a.used).then_with(|| a.key.cmp(&b.key)));
        MessageResult(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(limit: u32, window_ms: u64, max_keys: usize) -> RateLimitConfig {
        RateLimitConfig {
            window_ms,
            tool_calls_per_window: limit,
            rest_per_window: limit,
            expensive_per_window: limit,
            auth_failures_per_window: limit,
            public_per_window: limit,
            max_keys,
        }
    }

    #[test]
    fn allows_exactly_the_limit_then_refuses() {
        let mut limiter = RateLimiter::new(config(3, 60_000, 10));
        for i in 0..3 {
            let decision = limiter.check(Limiter::Rest, "a".into(), true);
            assert!(decision.allowed, "request {i}");
            assert_eq!(decision.remaining, 2 - i);
        }
        let refused = limiter.check(Limiter::Rest, "a".into(), true);
        assert!(!refused.allowed);
        assert!(refused.retry_after > Duration::ZERO);
        assert!(refused.retry_after <= Duration::from_secs(120));
    }

    #[test]
    fn limiters_and_keys_are_independent() {
        let mut limiter = RateLimiter::new(config(1, 60_000, 10));
        assert!(limiter.check(Limiter::Rest, "a".into(), true).allowed);
        assert!(!limiter.check(Limiter::Rest, "a".into(), true).allowed);
        assert!(limiter.check(Limiter::Rest, "b".into(), true).allowed);
        assert!(
            limiter
                .check(Limiter::McpToolCalls, "a".into(), true)
                .allowed
        );
    }

    #[test]
    fn peek_does_not_consume() {
        let mut limiter = RateLimiter::new(config(1, 60_000, 10));
        for _ in 0..5 {
            assert!(
                limiter
                    .check(Limiter::AuthFailures, "ip".into(), false)
                    .allowed
            );
        }
        assert!(
            limiter
                .check(Limiter::AuthFailures, "ip".into(), true)
                .allowed
        );
        assert!(
            !limiter
                .check(Limiter::AuthFailures, "ip".into(), false)
                .allowed
        );
    }

    #[test]
    fn previous_window_still_counts_after_the_boundary() {
        let window = Duration::from_secs(60);
        let start = Instant::now();
        let mut bucket = Window::new(start);
        bucket.current = 10;
        // Just after the boundary almost all of the previous window still overlaps.
        let now = start + window + Duration::from_secs(1);
        bucket.roll(now, window);
        assert_eq!(bucket.previous, 10);
        assert!(bucket.estimate(now, window) > 9.5);
        // Two windows later nothing is left.
        let later = start + window * 3;
        bucket.roll(later, window);
        assert_eq!(bucket.estimate(later, window), 0.0);
    }

    #[test]
    fn memory_is_bounded_by_the_lru() {
        let mut limiter = RateLimiter::new(config(1, 60_000, 2));
        for key in ["a", "b", "c"] {
            limiter.check(Limiter::Public, key.into(), true);
        }
        assert_eq!(limiter.buckets[&Limiter::Public].len(), 2);
    }
}
