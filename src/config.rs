//! Typed configuration read from the environment once, at startup.
//!
//! Variable names follow the secure deployment guide and the original TypeScript service, so an
//! operator's existing `.env` keeps working. Every secret also accepts a `NAME_FILE` variant that
//! names a file holding the value (Docker secrets).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// Minimum length of `AUTH_TOKEN` unless `INSECURE_DEV_MODE=true`.
pub const MIN_AUTH_TOKEN_LENGTH: usize = 32;

/// A secret string whose `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret value; call sites are easy to audit with a search for `expose`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is required: {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("{name}={value:?} is invalid: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
    #[error("failed to read {name} from file {path}: {source}")]
    SecretFile {
        name: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub auth_token: Secret,
    pub insecure_dev_mode: bool,
    pub bind_address: IpAddr,
    pub port: u16,
    pub public_base_url: Option<String>,
    pub log_format: LogFormat,
    pub database: DatabaseConfig,
    pub limits: InputLimits,
    pub mcp: McpConfig,
    pub rate_limits: RateLimitConfig,
    pub security: SecurityConfig,
    /// URL path prefix the service is mounted under, e.g. `/notes`; empty for the root.
    pub base_path: String,
    /// Directory to serve the web UI from instead of the embedded copy (development).
    pub web_dir: Option<PathBuf>,
    pub semantic: SemanticConfig,
}

/// The source of embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingProviderKind {
    /// all-MiniLM-L6-v2 (or another BERT model) in this process, from `EMBEDDING_MODEL_DIR`.
    Local,
    /// An Ollama server's `/api/embed`.
    Ollama,
    /// An OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, llama.cpp, vLLM, LM Studio).
    OpenAi,
}

impl EmbeddingProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Ollama => "ollama",
            Self::OpenAi => "openai",
        }
    }

    fn default_model(self) -> &'static str {
        match self {
            Self::Local => "all-MiniLM-L6-v2",
            Self::Ollama => "nomic-embed-text",
            Self::OpenAi => "text-embedding-3-small",
        }
    }
}

/// Semantic search, embedding provider, chunking and the embedding queue.
#[derive(Debug, Clone)]
pub struct SemanticConfig {
    /// `SEMANTIC_SEARCH_ENABLED`; full-text search works either way.
    pub enabled: bool,
    pub provider: EmbeddingProviderKind,
    /// Model name sent to the provider, and the name stored with every vector: changing it
    /// re-embeds every article.
    pub model: String,
    /// Folder with `model.safetensors`, `config.json` and `tokenizer.json` (local provider).
    /// HTTP providers use its `tokenizer.json`, when present, to count tokens for chunking.
    pub model_dir: PathBuf,
    pub ollama_base_url: String,
    pub openai_api_key: Option<Secret>,
    pub openai_base_url: String,
    /// Maximum chunk length in model tokens.
    pub chunk_size: usize,
    /// Tokens repeated at the start of the next chunk when a section is split.
    pub chunk_overlap: usize,
    /// Texts per embedding call.
    pub batch_size: usize,
    /// Timeout of one HTTP embedding request.
    pub request_timeout_ms: u64,
    /// Run the embedding worker in this process (`EMBEDDING_QUEUE_ENABLED`). With several
    /// replicas, any number of them may run it; tasks are claimed with `SKIP LOCKED`.
    pub queue_enabled: bool,
    /// How often the worker looks for due tasks when it is idle.
    pub worker_interval_ms: u64,
    /// Attempts per task before it is marked failed.
    pub max_attempts: u32,
    /// Retry delay: base × 2^(attempts − 1).
    pub retry_backoff_base_ms: u64,
    /// Tasks (articles) embedded at the same time.
    pub concurrency: usize,
    /// The `k` of reciprocal rank fusion: score = Σ 1 / (k + rank).
    pub rrf_k: f64,
}

/// Largest `CHUNK_SIZE` for the local model. Its input limit is 256 tokens: two are `[CLS]`
/// and `[SEP]`, and the remaining 14 or more are for the title and headings.
pub const MAX_LOCAL_CHUNK_SIZE: usize = 240;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    /// One line per event: time, level word, event name, fields, chain hash, and the client IP last.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspiciousInputAction {
    Log,
    Reject,
}

#[derive(Debug, Clone)]
pub struct SecurityConfig {
    pub audit_enabled: bool,
    pub audit_file: bool,
    pub audit_file_path: PathBuf,
    pub audit_format: AuditFormat,
    pub audit_max_file_bytes: u64,
    pub audit_max_files: usize,
    /// Key of the audit log's hash chain: `SECURITY_AUDIT_HMAC_KEY`, else derived from `AUTH_TOKEN`.
    pub audit_key: Secret,
    /// Proxies whose `X-Forwarded-For`/`X-Real-IP` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub suspicious_input_action: SuspiciousInputAction,
    /// Separate bearer token accepted by `/metrics` besides `AUTH_TOKEN`.
    pub metrics_token: Option<Secret>,
    /// Origins allowed to call the REST API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub max_connections: u32,
    pub connect_timeout_ms: u64,
}

/// Input validation limits shared by REST, MCP, import and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    pub max_title_length: usize,
    pub max_content_length: usize,
    pub max_folder_depth: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_title_length: 500,
            max_content_length: 10 * 1024 * 1024,
            max_folder_depth: 10,
        }
    }
}

#[derive(Debug, Clone)]
pub struct McpConfig {
    pub enabled: bool,
    pub bind_session_to_ip: bool,
    pub max_sessions_total: usize,
    pub max_sessions_per_ip: usize,
    pub max_sessions_per_token: usize,
    pub session_idle_ms: u64,
    pub session_ttl_ms: u64,
    pub max_request_size_bytes: usize,
    pub multi_search_limit: usize,
    /// Interval of keep-alive comments on idle SSE streams (`/mcp` GET and `/sse`).
    pub sse_keep_alive_ms: u64,
    /// `Host` header values accepted on `/mcp` (DNS-rebinding protection).
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted on `/mcp`; requests without `Origin` always pass.
    pub allowed_origins: Vec<String>,
}

/// Limits per `window_ms`, each with its own buckets.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub window_ms: u64,
    /// MCP tool calls per access token, across all of its sessions.
    pub tool_calls_per_window: u32,
    /// REST requests per token.
    pub rest_per_window: u32,
    /// Expensive operations (imports, reindexing) per token.
    pub expensive_per_window: u32,
    /// Failed authentications per client IP before the IP is locked out for the window.
    pub auth_failures_per_window: u32,
    /// Unauthenticated requests (public articles, login) per client IP.
    pub public_per_window: u32,
    /// Keys remembered per limiter; the least recently used are forgotten first.
    pub max_keys: usize,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars().collect())
    }

    /// Reads the configuration from the given variables; tests pass their own map.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Self, ConfigError> {
        let env = Env { vars };

        let insecure_dev_mode = env.parse_or("INSECURE_DEV_MODE", false)?;
        let auth_token = env.secret("AUTH_TOKEN")?.ok_or(ConfigError::Missing {
            name: "AUTH_TOKEN",
            hint: "set it to a random string of at least 32 characters, e.g. `openssl rand -hex 32`",
        })?;
        if auth_token.expose().trim().is_empty() {
            return Err(invalid(
                "AUTH_TOKEN",
                "",
                "the admin token must not be blank",
            ));
        }
        if auth_token.expose().chars().count() < MIN_AUTH_TOKEN_LENGTH && !insecure_dev_mode {
            return Err(invalid(
                "AUTH_TOKEN",
                "[REDACTED]",
                &format!(
                    "it is shorter than {MIN_AUTH_TOKEN_LENGTH} characters; use a longer random value \
                     or set INSECURE_DEV_MODE=true for local development"
                ),
            ));
        }

        let in_container =
            std::path::Path::new("/.dockerenv").exists() || env.get("container").is_some();
        let default_bind = if in_container { "0.0.0.0" } else { "127.0.0.1" };
        let bind_address = env.parse_or(
            "BIND_ADDRESS",
            IpAddr::from_str(default_bind)
                .map_err(|e| invalid("BIND_ADDRESS", default_bind, &e.to_string()))?,
        )?;
        let port = env.parse_or("PORT", 5000u16)?;

        let log_format = match env.get("LOG_FORMAT").unwrap_or("pretty") {
            "json" => LogFormat::Json,
            "pretty" | "text" => LogFormat::Pretty,
            other => return Err(invalid("LOG_FORMAT", other, "expected `json` or `pretty`")),
        };

        let limits = InputLimits::from_env(&env)?;

        let mcp = McpConfig {
            enabled: env.parse_or("MCP_SERVER_ENABLED", true)?,
            bind_session_to_ip: env.parse_or("MCP_BIND_SESSION_TO_IP", true)?,
            max_sessions_total: env.parse_or("MCP_MAX_SESSIONS_TOTAL", 200usize)?,
            max_sessions_per_ip: env.parse_or("MCP_MAX_SESSIONS_PER_IP", 10usize)?,
            max_sessions_per_token: env.parse_or("MCP_MAX_SESSIONS_PER_TOKEN", 50usize)?,
            session_idle_ms: env.parse_or("MCP_SESSION_IDLE_MS", 300_000u64)?,
            session_ttl_ms: env.parse_or("MCP_SESSION_TTL_MS", 1_800_000u64)?,
            max_request_size_bytes: env.parse_or(
                "MCP_MAX_REQUEST_SIZE_BYTES",
                limits.max_content_length + 64 * 1024,
            )?,
            multi_search_limit: env.parse_or("MCP_MULTI_SEARCH_LIMIT", 10usize)?,
            sse_keep_alive_ms: env.parse_or("MCP_SSE_KEEP_ALIVE_MS", 15_000u64)?.max(100),
            allowed_hosts: env
                .list("MCP_ALLOWED_HOSTS")
                .unwrap_or_else(|| ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec()),
            allowed_origins: env.list("MCP_ALLOWED_ORIGINS").unwrap_or_default(),
        };
        if mcp.session_idle_ms == 0 || mcp.session_ttl_ms == 0 {
            return Err(invalid(
                "MCP_SESSION_IDLE_MS/MCP_SESSION_TTL_MS",
                "0",
                "session lifetimes must be at least 1 ms",
            ));
        }

        let rate_limits = RateLimitConfig {
            window_ms: env.parse_or("RATE_LIMIT_WINDOW_MS", 60_000u64)?,
            tool_calls_per_window: env.parse_or("RATE_LIMIT_TOOL_CALLS_PER_WINDOW", 100u32)?,
            rest_per_window: env.parse_or("RATE_LIMIT_REST_PER_WINDOW", 600u32)?,
            expensive_per_window: env.parse_or("RATE_LIMIT_EXPENSIVE_PER_WINDOW", 10u32)?,
            auth_failures_per_window: env.parse_or("RATE_LIMIT_AUTH_FAILURES_PER_WINDOW", 20u32)?,
            public_per_window: env.parse_or("RATE_LIMIT_PUBLIC_PER_WINDOW", 300u32)?,
            max_keys: env.parse_or("RATE_LIMIT_MAX_KEYS", 10_000usize)?,
        };
        if rate_limits.window_ms == 0 || rate_limits.max_keys == 0 {
            return Err(invalid(
                "RATE_LIMIT_WINDOW_MS/RATE_LIMIT_MAX_KEYS",
                "0",
                "must be at least 1",
            ));
        }

        let security = SecurityConfig::from_env(&env, &auth_token)?;
        let base_path = normalise_base_path(&env)?;

        Ok(Self {
            auth_token,
            insecure_dev_mode,
            bind_address,
            port,
            public_base_url: env
                .get("BASE_URL")
                .map(|url| url.trim_end_matches('/').to_owned()),
            log_format,
            database: DatabaseConfig::from_env(&env)?,
            limits,
            mcp,
            rate_limits,
            security,
            base_path,
            web_dir: env.get("MDM_WEB_DIR").map(PathBuf::from),
            semantic: SemanticConfig::from_env(&env)?,
        })
    }
}

impl SemanticConfig {
    /// Reads the semantic search settings from the process environment, for the `reindex`
    /// command, which needs no `AUTH_TOKEN`.
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::from_env(&Env::process())
    }

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let provider = match env
            .get("EMBEDDING_PROVIDER")
            .map(|raw| raw.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("local") => EmbeddingProviderKind::Local,
            Some("ollama") => EmbeddingProviderKind::Ollama,
            Some("openai") => EmbeddingProviderKind::OpenAi,
            Some(other) => {
                return Err(invalid(
                    "EMBEDDING_PROVIDER",
                    other,
                    "expected `local`, `ollama` or `openai`",
                ));
            }
        };
        let chunk_size = env.parse_or("CHUNK_SIZE", 200usize)?;
        let chunk_overlap = env.parse_or("CHUNK_OVERLAP", 40usize)?;
        if !(16..=8192).contains(&chunk_size) {
            return Err(invalid(
                "CHUNK_SIZE",
                &chunk_size.to_string(),
                "must be between 16 and 8192 tokens",
            ));
        }
        if provider == EmbeddingProviderKind::Local && chunk_size > MAX_LOCAL_CHUNK_SIZE {
            return Err(invalid(
                "CHUNK_SIZE",
                &chunk_size.to_string(),
                &format!(
                    "the local model reads at most 256 tokens, so CHUNK_SIZE must be at most \
                     {MAX_LOCAL_CHUNK_SIZE}"
                ),
            ));
        }
        if chunk_overlap >= chunk_size {
            return Err(invalid(
                "CHUNK_OVERLAP",
                &chunk_overlap.to_string(),
                &format!("must be smaller than CHUNK_SIZE ({chunk_size})"),
            ));
        }

        let openai_base_url = env
            .get("OPENAI_BASE_URL")
            .unwrap_or("https://api.openai.com/v1")
            .trim_end_matches('/')
            .to_owned();
        let openai_api_key = env.secret("OPENAI_API_KEY")?;
        if provider == EmbeddingProviderKind::OpenAi
            && openai_api_key.is_none()
            && openai_base_url.contains("api.openai.com")
        {
            return Err(ConfigError::Missing {
                name: "OPENAI_API_KEY",
                hint: "the OpenAI API needs a key; set OPENAI_API_KEY or OPENAI_API_KEY_FILE, \
                       or point OPENAI_BASE_URL at a server that needs none",
            });
        }

        let config = Self {
            enabled: env.parse_or("SEMANTIC_SEARCH_ENABLED", true)?,
            provider,
            model: env
                .get("EMBEDDING_MODEL")
                .unwrap_or(provider.default_model())
                .trim()
                .to_owned(),
            model_dir: PathBuf::from(
                env.get("EMBEDDING_MODEL_DIR")
                    .unwrap_or(".local/models/all-MiniLM-L6-v2"),
            ),
            ollama_base_url: env
                .get("OLLAMA_BASE_URL")
                .unwrap_or("http://localhost:11434")
                .trim_end_matches('/')
                .to_owned(),
            openai_api_key,
            openai_base_url,
            chunk_size,
            chunk_overlap,
            batch_size: env.parse_or("EMBEDDING_BATCH_SIZE", 16usize)?,
            request_timeout_ms: env.parse_or("EMBEDDING_TIMEOUT_MS", 30_000u64)?,
            queue_enabled: env.parse_or("EMBEDDING_QUEUE_ENABLED", true)?,
            worker_interval_ms: env.parse_or("EMBEDDING_QUEUE_WORKER_INTERVAL", 1_000u64)?,
            max_attempts: env.parse_or("EMBEDDING_QUEUE_MAX_RETRIES", 3u32)?,
            retry_backoff_base_ms: env.parse_or("EMBEDDING_QUEUE_RETRY_BACKOFF_BASE", 1_000u64)?,
            concurrency: env.parse_or("EMBEDDING_QUEUE_CONCURRENCY", 2usize)?,
            rrf_k: env.parse_or("SEARCH_RRF_K", 60.0f64)?,
        };
        for (name, value, range) in [
            ("EMBEDDING_BATCH_SIZE", config.batch_size as u64, 1..=256),
            (
                "EMBEDDING_TIMEOUT_MS",
                config.request_timeout_ms,
                100..=600_000,
            ),
            (
                "EMBEDDING_QUEUE_WORKER_INTERVAL",
                config.worker_interval_ms,
                50..=300_000,
            ),
            (
                "EMBEDDING_QUEUE_MAX_RETRIES",
                u64::from(config.max_attempts),
                1..=20,
            ),
            (
                "EMBEDDING_QUEUE_RETRY_BACKOFF_BASE",
                config.retry_backoff_base_ms,
                10..=3_600_000,
            ),
            (
                "EMBEDDING_QUEUE_CONCURRENCY",
                config.concurrency as u64,
                1..=32,
            ),
        ] {
            if !range.contains(&value) {
                return Err(invalid(
                    name,
                    &value.to_string(),
                    &format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
        }
        if config.model.is_empty() {
            return Err(invalid("EMBEDDING_MODEL", "", "must not be blank"));
        }
        if !(config.rrf_k.is_finite() && config.rrf_k >= 0.0) {
            return Err(invalid(
                "SEARCH_RRF_K",
                &config.rrf_k.to_string(),
                "must be a number of at least 0",
            ));
        }
        Ok(config)
    }
}

/// Reads `BASE_PATH`, or the path of `BASE_URL`, as `/prefix` without a trailing slash.
fn normalise_base_path(env: &Env) -> Result<String, ConfigError> {
    let raw = match (env.get("BASE_PATH"), env.get("BASE_URL")) {
        (Some(path), _) => path.to_owned(),
        (None, Some(url)) => match url.split_once("://") {
            Some((_, rest)) => rest
                .find('/')
                .map_or(String::new(), |i| rest[i..].to_owned()),
            None => url.to_owned(),
        },
        (None, None) => String::new(),
    };
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let valid = trimmed.split('/').all(|segment| {
        !segment.is_empty()
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !valid {
        return Err(invalid(
            "BASE_PATH",
            &raw,
            "use a path such as /notes made of letters, digits, `-`, `_` and `.`",
        ));
    }
    Ok(format!("/{trimmed}"))
}

impl SecurityConfig {
    fn from_env(env: &Env, auth_token: &Secret) -> Result<Self, ConfigError> {
        let audit_format = match env.get("SECURITY_AUDIT_FORMAT").unwrap_or("text") {
            "text" => AuditFormat::Text,
            "json" => AuditFormat::Json,
            other => {
                return Err(invalid(
                    "SECURITY_AUDIT_FORMAT",
                    other,
                    "expected `text` or `json`",
                ));
            }
        };
        let suspicious_input_action = match env.get("SUSPICIOUS_INPUT_ACTION").unwrap_or("log") {
            "log" => SuspiciousInputAction::Log,
            "reject" => SuspiciousInputAction::Reject,
            other => {
                return Err(invalid(
                    "SUSPICIOUS_INPUT_ACTION",
                    other,
                    "expected `log` or `reject`",
                ));
            }
        };
        let trusted_proxies = match env.list("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(items) => items
                .iter()
                .map(|item| parse_network(item))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let audit_key = match env.secret("SECURITY_AUDIT_HMAC_KEY")? {
            Some(key) => key,
            None => {
                use hmac::{KeyInit, Mac};
                // Derived, so operators need no extra secret; `audit verify` derives it the same way.
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(auth_token.expose().as_bytes())
                        .map_err(|e| invalid("AUTH_TOKEN", "[REDACTED]", &e.to_string()))?;
                mac.update(b"mcp-markdown-manager audit chain");
                Secret::new(hex::encode(mac.finalize().into_bytes()))
            }
        };
        Ok(Self {
            audit_enabled: env.parse_or("SECURITY_AUDIT_ENABLED", true)?,
            audit_file: env.parse_or("SECURITY_AUDIT_FILE", false)?,
            audit_file_path: PathBuf::from(
                env.get("SECURITY_AUDIT_FILE_PATH")
                    .unwrap_or("/tmp/security-audit.log"),
            ),
            audit_format,
            audit_max_file_bytes: env
                .parse_or("SECURITY_AUDIT_MAX_FILE_BYTES", 10 * 1024 * 1024u64)?,
            audit_max_files: env.parse_or("SECURITY_AUDIT_MAX_FILES", 5usize)?,
            audit_key,
            trusted_proxies,
            suspicious_input_action,
            metrics_token: env.secret("METRICS_TOKEN")?,
            cors_origins: env.list("CORS_ORIGINS").unwrap_or_default(),
        })
    }
}

/// Reads the audit chain key as the server does: `SECURITY_AUDIT_HMAC_KEY`, else derived from
/// `AUTH_TOKEN`.
pub fn audit_key_from_process_env() -> Result<Secret, ConfigError> {
    let env = Env::process();
    if let Some(key) = env.secret("SECURITY_AUDIT_HMAC_KEY")? {
        return Ok(key);
    }
    let auth_token = env.secret("AUTH_TOKEN")?.ok_or(ConfigError::Missing {
        name: "SECURITY_AUDIT_HMAC_KEY",
        hint: "set it, or AUTH_TOKEN, to the value the server used",
    })?;
    Ok(SecurityConfig::from_env(&env, &auth_token)?.audit_key)
}

/// Parses `10.0.0.0/8` or a single address such as `127.0.0.1`.
fn parse_network(item: &str) -> Result<ipnet::IpNet, ConfigError> {
    if let Ok(network) = item.parse::<ipnet::IpNet>() {
        return Ok(network);
    }
    item.parse::<IpAddr>().map(ipnet::IpNet::from).map_err(|_| {
        invalid(
            "TRUSTED_PROXIES",
            item,
            "expected an IP address or a CIDR such as 10.0.0.0/8",
        )
    })
}

impl InputLimits {
    /// Reads `MAX_TITLE_LENGTH`, `MAX_CONTENT_LENGTH` and `MAX_FOLDER_DEPTH` from the process
    /// environment, for commands that need no other configuration.
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::from_env(&Env::process())
    }

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let limits = Self {
            max_title_length: env.parse_or("MAX_TITLE_LENGTH", 500usize)?,
            max_content_length: env.parse_or("MAX_CONTENT_LENGTH", 10_485_760usize)?,
            max_folder_depth: env.parse_or("MAX_FOLDER_DEPTH", 10usize)?,
        };
        for (name, value) in [
            ("MAX_TITLE_LENGTH", limits.max_title_length),
            ("MAX_CONTENT_LENGTH", limits.max_content_length),
            ("MAX_FOLDER_DEPTH", limits.max_folder_depth),
        ] {
            if value == 0 {
                return Err(invalid(name, "0", "must be at least 1"));
            }
        }
        Ok(limits)
    }
}

impl DatabaseConfig {
    /// Reads the database settings from the process environment, for commands such as
    /// `migrate` and `import` that do not need `AUTH_TOKEN`.
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::from_env(&Env::process())
    }

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let max_connections = env.parse_or("DB_MAX_CONNECTIONS", 20u32)?;
        if max_connections == 0 {
            return Err(invalid("DB_MAX_CONNECTIONS", "0", "must be at least 1"));
        }
        let connect_timeout_ms = env.parse_or("DB_CONNECTION_TIMEOUT", 5_000u64)?;

        let url = match env.secret("DATABASE_URL")? {
            Some(url) => url,
            None => {
                let password = env.secret("DB_PASSWORD")?.ok_or(ConfigError::Missing {
                    name: "DB_PASSWORD",
                    hint: "set DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME/DB_USER and DB_PASSWORD",
                })?;
                let host = env.get("DB_HOST").unwrap_or("localhost");
                let port = env.parse_or("DB_PORT", 5432u16)?;
                let name = env.get("DB_NAME").unwrap_or("article_manager");
                let user = env.get("DB_USER").unwrap_or("article_user");
                let ssl_mode = if env.parse_or("DB_SSL", false)? {
                    "require"
                } else {
                    "prefer"
                };
                Secret::new(format!(
                    "postgres://{}:{}@{host}:{port}/{}?sslmode={ssl_mode}",
                    percent_encode(user),
                    percent_encode(password.expose()),
                    percent_encode(name),
                ))
            }
        };
        Ok(Self {
            url,
            max_connections,
            connect_timeout_ms,
        })
    }
}

/// Percent-encodes a URL userinfo or path component, so passwords may contain any character.
fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn invalid(name: &str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    fn process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// Returns a non-empty variable; an empty value counts as unset, as in most shells' `.env` files.
    fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        let trimmed = raw.trim();
        // Booleans accept the spellings operators actually write in `.env` files.
        let normalised = match trimmed.to_ascii_lowercase().as_str() {
            "1" | "yes" | "on" if std::any::type_name::<T>() == "bool" => "true".to_owned(),
            "0" | "no" | "off" if std::any::type_name::<T>() == "bool" => "false".to_owned(),
            lower if std::any::type_name::<T>() == "bool" => lower.to_owned(),
            _ => trimmed.to_owned(),
        };
        normalised
            .parse()
            .map_err(|e: T::Err| invalid(name, raw, &e.to_string()))
    }

    fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(String::from)
                .collect()
        })
    }

    /// Reads `NAME`, or the contents of the file named by `NAME_FILE`; setting both is an error.
    fn secret(&self, name: &str) -> Result<Option<Secret>, ConfigError> {
        let file_var = format!("{name}_FILE");
        match (self.get(name), self.get(&file_var)) {
            (Some(_), Some(_)) => Err(invalid(
                &file_var,
                self.get(&file_var).unwrap_or_default(),
                &format!("set either {name} or {file_var}, not both"),
            )),
            (Some(value), None) => Ok(Some(Secret::new(value))),
            (None, Some(path)) => {
                let contents =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
                        name: file_var.clone(),
                        path: PathBuf::from(path),
                        source,
                    })?;
                // Secret files usually end with a newline that is not part of the secret.
                Ok(Some(Secret::new(contents.trim_end_matches(['\n', '\r']))))
            }
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn missing_auth_token_is_rejected() {
        let err = Config::from_vars(vars(&[("DATABASE_URL", "postgres://x")])).unwrap_err();
        assert!(err.to_string().contains("AUTH_TOKEN is required"), "{err}");
    }

    #[test]
    fn short_auth_token_needs_insecure_dev_mode() {
        let short = vars(&[("AUTH_TOKEN", "short"), ("DATABASE_URL", "postgres://x")]);
        assert!(Config::from_vars(short.clone()).is_err());
        let mut dev = short;
        dev.insert("INSECURE_DEV_MODE".into(), "true".into());
        assert!(Config::from_vars(dev).is_ok());
    }

    #[test]
    fn defaults_follow_the_deployment_guide() {
        let config = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://x"),
        ]))
        .unwrap();
        assert_eq!(config.port, 5000);
        assert!(config.mcp.enabled);
        assert!(config.mcp.bind_session_to_ip);
        assert_eq!(config.mcp.max_sessions_per_ip, 10);
        assert_eq!(config.mcp.max_sessions_per_token, 50);
        assert_eq!(config.mcp.session_idle_ms, 300_000);
        assert_eq!(config.mcp.session_ttl_ms, 1_800_000);
        assert_eq!(config.limits, InputLimits::default());
        assert_eq!(config.rate_limits.tool_calls_per_window, 100);
    }

    #[test]
    fn database_url_is_built_from_parts() {
        let config = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DB_HOST", "db"),
            ("DB_PASSWORD", "p@ss/word"),
            ("DB_SSL", "true"),
        ]))
        .unwrap();
        assert_eq!(
            config.database.url.expose(),
            "postgres://article_user:p%40ss%2Fword@db:5432/article_manager?sslmode=require"
        );
    }

    #[test]
    fn secret_file_variant_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
        let config = Config::from_vars(vars(&[
            ("AUTH_TOKEN_FILE", path.to_str().unwrap()),
            ("DATABASE_URL", "postgres://x"),
        ]))
        .unwrap();
        assert_eq!(config.auth_token.expose(), TOKEN);
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://u:pw@h/d"),
        ]))
        .unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(TOKEN));
        assert!(!debug.contains("pw@h"));
        assert!(debug.contains("[REDACTED]"));
    }

    #[test]
    fn semantic_defaults() {
        let config = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://x"),
        ]))
        .unwrap();
        let semantic = config.semantic;
        assert!(semantic.enabled);
        assert_eq!(semantic.provider, EmbeddingProviderKind::Local);
        assert_eq!(semantic.model, "all-MiniLM-L6-v2");
        assert_eq!(
            semantic.model_dir,
            PathBuf::from(".local/models/all-MiniLM-L6-v2")
        );
        assert_eq!(semantic.chunk_size, 200);
        assert_eq!(semantic.chunk_overlap, 40);
    }

    #[test]
    fn chunk_overlap_must_be_below_chunk_size() {
        for (size, overlap) in [("100", "100"), ("100", "150")] {
            let err = Config::from_vars(vars(&[
                ("AUTH_TOKEN", TOKEN),
                ("DATABASE_URL", "postgres://x"),
                ("CHUNK_SIZE", size),
                ("CHUNK_OVERLAP", overlap),
            ]))
            .unwrap_err();
            assert!(err.to_string().starts_with("CHUNK_OVERLAP="), "{err}");
        }
    }

    #[test]
    fn local_chunk_size_fits_the_model() {
        let err = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://x"),
            ("CHUNK_SIZE", "300"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("at most 240"), "{err}");
        let ollama = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://x"),
            ("CHUNK_SIZE", "300"),
            ("EMBEDDING_PROVIDER", "ollama"),
        ]))
        .unwrap();
        assert_eq!(ollama.semantic.model, "nomic-embed-text");
    }

    #[test]
    fn openai_needs_a_key_for_the_official_api() {
        let err = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://x"),
            ("EMBEDDING_PROVIDER", "openai"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
        let local_server = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://x"),
            ("EMBEDDING_PROVIDER", "openai"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/"),
        ]))
        .unwrap();
        assert_eq!(
            local_server.semantic.openai_base_url,
            "http://127.0.0.1:8080/v1"
        );
    }

    #[test]
    fn invalid_numbers_name_the_variable() {
        let err = Config::from_vars(vars(&[
            ("AUTH_TOKEN", TOKEN),
            ("DATABASE_URL", "postgres://x"),
            ("PORT", "abc"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().starts_with("PORT=\"abc\" is invalid"),
            "{err}"
        );
    }
}
