//! HTTP embedding providers: Ollama's `POST /api/embed` and the OpenAI-compatible
//! `POST /v1/embeddings` (OpenAI, Ollama, llama.cpp `llama-server`, vLLM, LM Studio).
//!
//! Each request has a timeout and is retried on connection errors, timeouts, 429 and 5xx
//! responses ([`RETRY_DELAYS`]); other 4xx responses fail at once. The embedding queue adds
//! its own, slower retries on top.
//!
//! NOTE: models that expect task prefixes (nomic-embed-text wants `search_query: ` and
//! `search_document: `) get the plain text; their ranking may be somewhat worse than with
//! the prefixes.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::tokens::{WordCounter, WordPieceCounter};
use super::{EmbedError, Embedder, Priority, TokenCounter, normalise};
use crate::config::{EmbeddingProviderKind, SemanticConfig};

/// Waits before the second and third attempt of one HTTP request.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(250), Duration::from_millis(1000)];
/// Maximum characters of a response body quoted in an error message.
const MAX_ERROR_BODY: usize = 300;

/// The reqwest client and the settings shared by both HTTP providers.
struct HttpClient {
    client: reqwest::Client,
    model: String,
    batch_size: usize,
    counter: Arc<dyn TokenCounter>,
}

impl HttpClient {
    fn new(config: &SemanticConfig) -> anyhow::Result<Self> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.request_timeout_ms))
            .connect_timeout(Duration::from_millis(config.request_timeout_ms.min(10_000)))
            .user_agent(concat!("mcp-markdown-manager/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("failed to build the HTTP client: {e}"))?;
        // Chunk sizes are counted with the local WordPiece tokenizer when it is available; it
        // is the tokenizer of BERT-family models such as all-minilm and nomic-embed-text.
        let tokenizer_path = config.model_dir.join("tokenizer.json");
        let counter: Arc<dyn TokenCounter> = match WordPieceCounter::from_file(&tokenizer_path) {
            Ok(counter) => Arc::new(counter),
            Err(_) => Arc::new(WordCounter),
        };
        Ok(Self {
            client,
            model: config.model.clone(),
            batch_size: config.batch_size,
            counter,
        })
    }

    /// Posts `body` to `url` with retries and returns the parsed JSON response.
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: &serde_json::Value,
        bearer: Option<&str>,
    ) -> Result<T, EmbedError> {
        let mut attempt = 0;
        loop {
            let result = self.post_once(url, body, bearer).await;
            match result {
                Err(EmbedError::Unavailable(message)) if attempt < RETRY_DELAYS.len() => {
                    tracing::debug!(url, attempt, error = %message, "retrying embedding request");
                    tokio::time::sleep(RETRY_DELAYS[attempt]).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn post_once<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: &serde_json::Value,
        bearer: Option<&str>,
    ) -> Result<T, EmbedError> {
        let mut request = self.client.post(url).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|error| {
            let kind = if error.is_timeout() {
                "timed out"
            } else if error.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            EmbedError::Unavailable(format!("POST {url} {kind}: {}", error_chain(&error)))
        })?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            let text: String = text.chars().take(MAX_ERROR_BODY).collect();
            let message = format!("POST {url} returned {status}: {text}");
            return Err(
                if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                    EmbedError::Unavailable(message)
                } else {
                    EmbedError::Rejected(message)
                },
            );
        }
        response.json::<T>().await.map_err(|error| {
            EmbedError::InvalidResponse(format!("POST {url}: {}", error_chain(&error)))
        })
    }
}

/// Installs ring as the process's rustls crypto provider. reqwest is built without a default
/// one (`rustls-no-provider`), so every `reqwest::Client` in the process, including test
/// clients, panics at construction until this has run. ring is already in the dependency tree
/// through sqlx. Calling it again does nothing.
#[expect(
    deprecated,
    reason = "rustls 0.23.48 deprecates its ring provider for lacking post-quantum key \
              exchange; the alternative, aws-lc-rs, needs a C toolchain and cmake to build"
)]
pub fn install_crypto_provider() {
    // An error means a provider is installed already, which is all this function ensures.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Joins an error and its sources: reqwest's top-level message alone hides the cause.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

pub struct OllamaEmbedder {
    http: HttpClient,
    url: String,
}

impl OllamaEmbedder {
    pub fn new(config: &SemanticConfig) -> anyhow::Result<Self> {
        Ok(Self {
            http: HttpClient::new(config)?,
            url: format!("{}/api/embed", config.ollama_base_url),
        })
    }
}

#[derive(Deserialize)]
struct OllamaResponse {
    embeddings: Vec<Vec<f32>>,
}

#[async_trait::async_trait]
impl Embedder for OllamaEmbedder {
    fn provider(&self) -> EmbeddingProviderKind {
        EmbeddingProviderKind::Ollama
    }

    fn model(&self) -> &str {
        &self.http.model
    }

    fn token_counter(&self) -> Arc<dyn TokenCounter> {
        self.http.counter.clone()
    }

    fn max_input_tokens(&self) -> Option<usize> {
        None
    }

    async fn embed(
        &self,
        texts: Vec<String>,
        _priority: Priority,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.http.batch_size.max(1)) {
            let body = json!({ "model": self.http.model, "input": batch, "truncate": true });
            let response: OllamaResponse = self.http.post(&self.url, &body, None).await?;
            vectors.extend(normalise(response.embeddings, batch.len())?);
        }
        Ok(vectors)
    }
}

pub struct OpenAiEmbedder {
    http: HttpClient,
    url: String,
    api_key: Option<crate::config::Secret>,
}

impl OpenAiEmbedder {
    pub fn new(config: &SemanticConfig) -> anyhow::Result<Self> {
        Ok(Self {
            http: HttpClient::new(config)?,
            url: format!("{}/embeddings", config.openai_base_url),
            api_key: config.openai_api_key.clone(),
        })
    }
}

#[derive(Deserialize)]
struct OpenAiResponse {
    data: Vec<OpenAiEmbedding>,
}

#[derive(Deserialize)]
struct OpenAiEmbedding {
    index: usize,
    embedding: Vec<f32>,
}

#[async_trait::async_trait]
impl Embedder for OpenAiEmbedder {
    fn provider(&self) -> EmbeddingProviderKind {
        EmbeddingProviderKind::OpenAi
    }

    fn model(&self) -> &str {
        &self.http.model
    }

    fn token_counter(&self) -> Arc<dyn TokenCounter> {
        self.http.counter.clone()
    }

    fn max_input_tokens(&self) -> Option<usize> {
        None
    }

    async fn embed(
        &self,
        texts: Vec<String>,
        _priority: Priority,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.http.batch_size.max(1)) {
            let body = json!({
                "model": self.http.model,
                "input": batch,
                "encoding_format": "float",
            });
            let bearer = self.api_key.as_ref().map(|key| key.expose());
            let mut response: OpenAiResponse = self.http.post(&self.url, &body, bearer).await?;
            // The API documents `index`; sorting by it keeps vectors aligned with the input
            // even if a server reorders them.
            response.data.sort_by_key(|item| item.index);
            let embedded = response
                .data
                .into_iter()
                .map(|item| item.embedding)
                .collect();
            vectors.extend(normalise(embedded, batch.len())?);
        }
        Ok(vectors)
    }
}
