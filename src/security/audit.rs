//! The security audit log: an actor that records security events in memory (for the API and
//! the live stream), in the application log, and optionally in a tamper-evident file.
//!
//! File lines are chained: each carries `chain=<hex>`, the HMAC-SHA256 (keyed with
//! `SECURITY_AUDIT_HMAC_KEY`) of the previous line's chain value and this line with its own
//! chain value zeroed. Editing, reordering or deleting a line breaks the chain after it, which
//! `mcp-markdown-manager audit verify FILE` reports. In the text format the level word and event
//! name are fields and the client IP is always the last field, so `grep` and `awk '{print $NF}'`
//! work on it directly.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix::prelude::*;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::config::{AuditFormat, Secret, SecurityConfig};

/// Events kept in memory for `GET /api/security/events`.
const MEMORY_CAPACITY: usize = 5000;
/// Events that may wait for the writer; more are dropped (and counted) rather than blocking.
const QUEUE_CAPACITY: usize = 10_000;
const ZERO_CHAIN: &str = "0000000000000000000000000000000000000000000000000000000000000000";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
            Self::Critical => "CRITICAL",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "debug" => Some(Self::Debug),
            "info" => Some(Self::Info),
            "warn" | "warning" => Some(Self::Warning),
            "error" => Some(Self::Error),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

/// One security event. `details` never holds a secret or article content.
#[derive(Debug, Clone, Serialize)]
pub struct SecurityEvent {
    pub id: u64,
    pub timestamp: DateTime<Utc>,
    pub event: &'static str,
    pub level: Level,
    pub ip: Option<IpAddr>,
    /// Name of the token involved (`admin` for the admin token); never the token itself.
    pub token: Option<String>,
    pub details: Value,
}

impl SecurityEvent {
    pub fn new(event: &'static str, level: Level) -> Self {
        Self {
            id: 0,
            timestamp: Utc::now(),
            event,
            level,
            ip: None,
            token: None,
            details: Value::Object(serde_json::Map::new()),
        }
    }

    pub fn ip(mut self, ip: impl Into<Option<IpAddr>>) -> Self {
        self.ip = ip.into();
        self
    }

    pub fn token(mut self, name: impl Into<String>) -> Self {
        self.token = Some(name.into());
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.details {
            map.insert(key.to_owned(), value.into());
        }
        self
    }
}

/// A cheap, cloneable handle for emitting events. Emitting never blocks: when the writer's
/// queue is full the event is dropped and counted.
#[derive(Clone)]
pub struct Audit {
    addr: Option<Addr<AuditLog>>,
    dropped: Arc<AtomicU64>,
    stream: broadcast::Sender<SecurityEvent>,
}

impl Audit {
    /// Starts the writer on its own thread, so file writes never stall request handling.
    pub fn start(config: &SecurityConfig) -> anyhow::Result<Self> {
        let (stream, _) = broadcast::channel(256);
        if !config.audit_enabled {
            return Ok(Self {
                addr: None,
                dropped: Arc::new(AtomicU64::new(0)),
                stream,
            });
        }
        let file = if config.audit_file {
            Some(ChainedFile::open(config)?)
        } else {
            None
        };
        let sender = stream.clone();
        let arbiter = Arbiter::new();
        let addr = AuditLog::start_in_arbiter(&arbiter.handle(), move |ctx| {
            ctx.set_mailbox_capacity(QUEUE_CAPACITY);
            AuditLog {
                file,
                recent: VecDeque::with_capacity(MEMORY_CAPACITY),
                next_id: 1,
                stream: sender,
            }
        });
        Ok(Self {
            addr: Some(addr),
            dropped: Arc::new(AtomicU64::new(0)),
            stream,
        })
    }

    pub fn emit(&self, event: SecurityEvent) {
        metrics::counter!("mcp_security_events_total", "event" => event.event).increment(1);
        let Some(addr) = &self.addr else {
            return;
        };
        if addr.try_send(Record(event)).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            metrics::counter!("mcp_audit_events_dropped_total").increment(1);
            // Log the first drop and then every thousandth, so a flood cannot flood the log too.
            if dropped == 1 || dropped.is_multiple_of(1000) {
                tracing::error!(
                    dropped,
                    "security audit queue is full; events are being dropped"
                );
            }
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SecurityEvent> {
        self.stream.subscribe()
    }

    pub async fn query(&self, filter: EventFilter) -> Vec<SecurityEvent> {
        match &self.addr {
            Some(addr) => addr.send(Query(filter)).await.unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Waits until every queued event is written and the file is synced.
    pub async fn flush(&self) {
        if let Some(addr) = &self.addr {
            let _ = addr.send(Flush).await;
        }
    }
}

pub struct AuditLog {
    file: Option<ChainedFile>,
    recent: VecDeque<SecurityEvent>,
    next_id: u64,
    stream: broadcast::Sender<SecurityEvent>,
}

impl Actor for AuditLog {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Record(SecurityEvent);

impl Handler<Record> for AuditLog {
    type Result = ();

    fn handle(&mut self, Record(mut event): Record, _: &mut Self::Context) {
        event.id = self.next_id;
        self.next_id += 1;
        log_event(&event);
        if let Some(file) = &mut self.file
            && let Err(error) = file.append(&event)
        {
            tracing::error!(%error, event = event.event, "failed to write the security audit file");
        }
        if self.recent.len() == MEMORY_CAPACITY {
            self.recent.pop_front();
        }
        // Nobody listening is not an error.
        let _ = self.stream.send(event.clone());
        self.recent.push_back(event);
    }
}

fn log_event(event: &SecurityEvent) {
    let ip = event.ip.map(|ip| ip.to_string());
    let ip = ip.as_deref().unwrap_or("-");
    let token = event.token.as_deref().unwrap_or("-");
    match event.level {
        Level::Debug => {
            tracing::debug!(target: "security", event = event.event, ip, token, details = %event.details)
        }
        Level::Info => {
            tracing::info!(target: "security", event = event.event, ip, token, details = %event.details)
        }
        Level::Warning => {
            tracing::warn!(target: "security", event = event.event, ip, token, details = %event.details)
        }
        Level::Error | Level::Critical => {
            tracing::error!(target: "security", event = event.event, ip, token, details = %event.details)
        }
    }
}

/// Filters for `GET /api/security/events`.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub event: Option<String>,
    pub min_level: Option<Level>,
    pub ip: Option<IpAddr>,
    pub since: Option<DateTime<Utc>>,
    pub limit: usize,
}

#[derive(Message)]
#[rtype(result = "Vec<SecurityEvent>")]
struct Query(EventFilter);

impl Handler<Query> for AuditLog {
    type Result = MessageResult<Query>;

    fn handle(&mut self, Query(filter): Query, _: &mut Self::Context) -> Self::Result {
        let matches = self
            .recent
            .iter()
            .rev()
            .filter(|e| filter.event.as_deref().is_none_or(|name| e.event == name))
            .filter(|e| filter.min_level.is_none_or(|level| e.level >= level))
            .filter(|e| filter.ip.is_none_or(|ip| e.ip == Some(ip)))
            .filter(|e| filter.since.is_none_or(|since| e.timestamp >= since))
            .take(filter.limit)
            .cloned()
            .collect();
        MessageResult(matches)
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Flush;

impl Handler<Flush> for AuditLog {
    type Result = ();

    fn handle(&mut self, _: Flush, _: &mut Self::Context) {
        if let Some(file) = &mut self.file
            && let Err(error) = file.sync()
        {
            tracing::error!(%error, "failed to sync the security audit file");
        }
    }
}

/// The audit file with its hash chain and size-based rotation (`file`, `file.1`, … `file.N`).
struct ChainedFile {
    path: PathBuf,
    file: File,
    size: u64,
    format: AuditFormat,
    key: Secret,
    max_bytes: u64,
    max_files: usize,
    sequence: u64,
    previous_chain: String,
}

impl ChainedFile {
    fn open(config: &SecurityConfig) -> anyhow::Result<Self> {
        let path = config.audit_file_path.clone();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        // Continue the chain of an existing file, so a restart does not look like tampering.
        let (sequence, previous_chain) = match last_line(&path) {
            Some(line) => (
                field(&line, "seq")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
                field(&line, "chain").unwrap_or_else(|| ZERO_CHAIN.to_owned()),
            ),
            None => (0, ZERO_CHAIN.to_owned()),
        };
        let file = open_append(&path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path,
            file,
            size,
            format: config.audit_format,
            key: config.audit_key.clone(),
            max_bytes: config.audit_max_file_bytes.max(1024),
            max_files: config.audit_max_files.max(1),
            sequence,
            previous_chain,
        })
    }

    fn append(&mut self, event: &SecurityEvent) -> anyhow::Result<()> {
        self.sequence += 1;
        let unsigned = render(event, self.sequence, self.format);
        let chain = chain_value(self.key.expose(), &self.previous_chain, &unsigned)?;
        let line = unsigned.replacen(ZERO_CHAIN, &chain, 1);
        if self.size + line.len() as u64 + 1 > self.max_bytes && self.size > 0 {
            self.rotate()?;
        }
        self.file.write_all(line.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.size += line.len() as u64 + 1;
        self.previous_chain = chain;
        Ok(())
    }

    fn rotate(&mut self) -> anyhow::Result<()> {
        self.file.sync_all()?;
        for index in (1..self.max_files).rev() {
            let from = rotated_path(&self.path, index);
            if from.exists() {
                std::fs::rename(&from, rotated_path(&self.path, index + 1))?;
            }
        }
        std::fs::rename(&self.path, rotated_path(&self.path, 1))?;
        let oldest = rotated_path(&self.path, self.max_files + 1);
        if oldest.exists() {
            std::fs::remove_file(oldest)?;
        }
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }

    fn sync(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        self.file.sync_data()
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn rotated_path(path: &Path, index: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{index}"));
    PathBuf::from(name)
}

fn last_line(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|line| !line.trim().is_empty())
        .last()
}

/// Renders an event with a zeroed chain value, in the configured format.
fn render(event: &SecurityEvent, sequence: u64, format: AuditFormat) -> String {
    let timestamp = event.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true);
    let ip = event.ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
    match format {
        AuditFormat::Text => {
            let token = event.token.as_ref().map_or_else(
                || "-".to_owned(),
                |name| Value::String(name.clone()).to_string(),
            );
            format!(
                "{timestamp} {} {} token={token} details={} seq={sequence} chain={ZERO_CHAIN} {ip}",
                event.level.word(),
                event.event,
                event.details,
            )
        }
        AuditFormat::Json => serde_json::json!({
            "timestamp": timestamp,
            "level": event.level.word(),
            "event": event.event,
            "token": event.token,
            "details": event.details,
            "seq": sequence,
            "chain": ZERO_CHAIN,
            "ip": ip,
        })
        .to_string(),
    }
}

fn chain_value(key: &str, previous: &str, unsigned_line: &str) -> anyhow::Result<String> {
    let mut mac = HmacSha256::new_from_slice(key.as_bytes())
        .map_err(|e| anyhow::anyhow!("invalid audit key: {e}"))?;
    mac.update(previous.as_bytes());
    mac.update(b"\n");
    mac.update(unsigned_line.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Reads `name=value` (text) or `"name":value` (JSON) from a line.
fn field(line: &str, name: &str) -> Option<String> {
    if line.starts_with('{') {
        let value: Value = serde_json::from_str(line).ok()?;
        return match &value[name] {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        };
    }
    let prefix = format!("{name}=");
    line.split(' ')
        .find_map(|part| part.strip_prefix(&prefix))
        .map(str::to_owned)
}

/// The result of `audit verify`.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every line verified.
    Intact { lines: usize, first_sequence: u64 },
    /// The chain breaks at this 1-based line number.
    Broken { line: usize, reason: String },
}

/// Verifies a file's chain. A first line with `seq=1` must start from the zero hash; a later
/// first line continues a rotated-away file and is trusted as the start. Every following line
/// must follow exactly.
pub fn verify(path: &Path, key: &str) -> anyhow::Result<Verification> {
    let file = File::open(path)?;
    let mut previous: Option<(u64, String)> = None;
    let mut first_sequence = 0;
    let mut count = 0;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        count += 1;
        let (Some(sequence), Some(chain)) = (
            field(&line, "seq").and_then(|s| s.parse::<u64>().ok()),
            field(&line, "chain"),
        ) else {
            return Ok(Verification::Broken {
                line: number,
                reason: "the line has no seq or chain field".to_owned(),
            });
        };
        let unsigned = line.replacen(&chain, ZERO_CHAIN, 1);
        match &previous {
            // The very first event of a chain starts from the zero hash, so it is checked too.
            None if sequence == 1 => {
                first_sequence = 1;
                if chain_value(key, ZERO_CHAIN, &unsigned)? != chain {
                    return Ok(Verification::Broken {
                        line: number,
                        reason: "the chain hash does not match: the line was edited".to_owned(),
                    });
                }
            }
            None => first_sequence = sequence,
            Some((previous_sequence, previous_chain)) => {
                if sequence != previous_sequence + 1 {
                    return Ok(Verification::Broken {
                        line: number,
                        reason: format!(
                            "sequence jumps from {previous_sequence} to {sequence}: {} line(s) removed or reordered",
                            sequence.abs_diff(previous_sequence + 1)
                        ),
                    });
                }
                let expected = chain_value(key, previous_chain, &unsigned)?;
                if expected != chain {
                    return Ok(Verification::Broken {
                        line: number,
                        reason: "the chain hash does not match: the line was edited".to_owned(),
                    });
                }
            }
        }
        previous = Some((sequence, chain));
    }
    Ok(Verification::Intact {
        lines: count,
        first_sequence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, format: AuditFormat) -> SecurityConfig {
        SecurityConfig {
            audit_enabled: true,
            audit_file: true,
            audit_file_path: dir.join("audit.log"),
            audit_format: format,
            audit_max_file_bytes: 10 * 1024 * 1024,
            audit_max_files: 3,
            audit_key: Secret::new("k"),
            trusted_proxies: Vec::new(),
            suspicious_input_action: crate::config::SuspiciousInputAction::Log,
            metrics_token: None,
            cors_origins: Vec::new(),
        }
    }

    fn event(name: &'static str, ip: &str) -> SecurityEvent {
        SecurityEvent::new(name, Level::Warning)
            .ip(ip.parse::<IpAddr>().ok())
            .token("agent one")
            .detail("path", "/api/articles")
    }

    #[test]
    fn text_lines_end_with_the_ip_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), AuditFormat::Text);
        let mut file = ChainedFile::open(&config).unwrap();
        for ip in ["203.0.113.5", "203.0.113.5", "198.51.100.1"] {
            file.append(&event("auth_failure", ip)).unwrap();
        }
        let text = std::fs::read_to_string(&config.audit_file_path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains(" WARNING auth_failure "));
        assert_eq!(lines[0].split_whitespace().last(), Some("203.0.113.5"));
        assert_eq!(
            verify(&config.audit_file_path, "k").unwrap(),
            Verification::Intact {
                lines: 3,
                first_sequence: 1
            }
        );
        assert!(matches!(
            verify(&config.audit_file_path, "wrong key").unwrap(),
            Verification::Broken { line: 1, .. }
        ));
    }

    #[test]
    fn edited_and_deleted_lines_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), AuditFormat::Json);
        let mut file = ChainedFile::open(&config).unwrap();
        for _ in 0..4 {
            file.append(&event("rate_limit_exceeded", "192.0.2.1"))
                .unwrap();
        }
        let path = &config.audit_file_path;
        let original = std::fs::read_to_string(path).unwrap();

        let mut edited: Vec<String> = original.lines().map(str::to_owned).collect();
        edited[2] = edited[2].replace("192.0.2.1", "192.0.2.9");
        std::fs::write(path, edited.join("\n") + "\n").unwrap();
        assert!(matches!(
            verify(path, "k").unwrap(),
            Verification::Broken { line: 3, .. }
        ));

        let mut lines: Vec<&str> = original.lines().collect();
        lines.remove(2);
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
        match verify(path, "k").unwrap() {
            Verification::Broken { line, reason } => {
                assert_eq!(line, 3);
                assert!(reason.contains("removed"), "{reason}");
            }
            other => panic!("deletion not detected: {other:?}"),
        }
    }

    #[test]
    fn reopening_continues_the_chain_and_rotation_keeps_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), AuditFormat::Text);
        config.audit_max_file_bytes = 1024;
        {
            let mut file = ChainedFile::open(&config).unwrap();
            file.append(&event("auth_failure", "192.0.2.1")).unwrap();
        }
        let mut file = ChainedFile::open(&config).unwrap();
        for _ in 0..20 {
            file.append(&event("auth_failure", "192.0.2.1")).unwrap();
        }
        assert!(rotated_path(&config.audit_file_path, 1).exists());
        assert!(!rotated_path(&config.audit_file_path, 4).exists());
        assert!(matches!(
            verify(&config.audit_file_path, "k").unwrap(),
            Verification::Intact { .. }
        ));
        assert!(matches!(
            verify(&rotated_path(&config.audit_file_path, 1), "k").unwrap(),
            Verification::Intact { .. }
        ));
    }
}
