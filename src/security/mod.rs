//! Security controls: client identity behind proxies, rate limits, the audit log and
//! suspicious-input detection.

pub mod audit;
pub mod client_ip;
pub mod rate_limit;
pub mod suspicious;

pub use audit::{Audit, Level, SecurityEvent};
pub use rate_limit::{Decision, Limiter, RateLimiter};

use std::net::IpAddr;

use crate::config::SuspiciousInputAction;

/// Scans input fields for prompt-injection markers. Each match emits `suspicious_input` with the
/// field and rule names (never the text). In `reject` mode the first match fails the request
/// with a message naming the field and rules.
pub fn inspect_input(
    audit: &Audit,
    action: SuspiciousInputAction,
    fields: &[(&'static str, &str)],
    ip: Option<IpAddr>,
    token: &str,
    channel: &'static str,
) -> Result<(), String> {
    let mut rejection = None;
    for (field, text) in fields {
        let rules = suspicious::scan(text);
        if rules.is_empty() {
            continue;
        }
        metrics::counter!("mcp_suspicious_input_total", "channel" => channel).increment(1);
        audit.emit(
            SecurityEvent::new("suspicious_input", Level::Warning)
                .ip(ip)
                .token(token.to_owned())
                .detail("field", *field)
                .detail("rules", rules.clone())
                .detail("channel", channel),
        );
        if action == SuspiciousInputAction::Reject && rejection.is_none() {
            rejection = Some(format!(
                "{field} was rejected because it matches suspicious-input rules: {}",
                rules.join(", ")
            ));
        }
    }
    match rejection {
        Some(message) => Err(message),
        None => Ok(()),
    }
}
