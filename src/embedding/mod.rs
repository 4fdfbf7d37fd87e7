//! Embedding providers behind one trait: the local BERT model (the default) and the Ollama and
//! OpenAI-compatible HTTP APIs.
//!
//! Every provider returns L2-normalised vectors ([`normalise`] checks and scales them), so
//! cosine distance and inner product rank the same way. Each vector is stored together with its
//! provider and model name, and vectors of different models are never compared.

mod bert;
mod http;
mod local;
mod tokens;

use std::sync::Arc;

use crate::config::{EmbeddingProviderKind, SemanticConfig};

pub use http::{OllamaEmbedder, OpenAiEmbedder, install_crypto_provider};
pub use local::LocalEmbedder;
pub use tokens::{TokenCounter, WordCounter, WordPieceCounter};

/// The urgency of an embedding call. The local model serves queries before queued indexing
/// work, so a search is not stuck behind a large reindex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Query,
    Index,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum EmbedError {
    /// The provider could not be reached, timed out, or returned a server error.
    #[error("embedding provider unavailable: {0}")]
    Unavailable(String),
    /// The provider rejected the request, for example an unknown model or a bad API key.
    #[error("embedding provider rejected the request: {0}")]
    Rejected(String),
    /// The provider's response does not contain usable vectors.
    #[error("embedding provider returned an invalid response: {0}")]
    InvalidResponse(String),
    /// The local model failed.
    #[error("local embedding model failed: {0}")]
    Model(String),
}

/// A source of text embeddings.
#[async_trait::async_trait]
pub trait Embedder: Send + Sync + 'static {
    /// Returns the provider name stored with each vector: `local`, `ollama` or `openai`.
    fn provider(&self) -> EmbeddingProviderKind;

    /// Returns the model name stored with each vector.
    fn model(&self) -> &str;

    /// Counts tokens for chunking, as close to the model's own tokenizer as available.
    fn token_counter(&self) -> Arc<dyn TokenCounter>;

    /// Returns the maximum input in tokens, including special tokens, that the model reads
    /// without truncating it, or `None` when unknown (HTTP providers).
    fn max_input_tokens(&self) -> Option<usize>;

    /// Embeds `texts` and returns one L2-normalised vector per text, in order.
    async fn embed(
        &self,
        texts: Vec<String>,
        priority: Priority,
    ) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Builds the configured provider, or `None` when semantic search is off. A local model whose
/// files are missing also returns `None`, and the log line names the script that fetches them. Files
/// that exist but cannot be loaded are an error.
pub fn build(config: &SemanticConfig) -> anyhow::Result<Option<Arc<dyn Embedder>>> {
    if !config.enabled {
        tracing::info!("semantic search is off (SEMANTIC_SEARCH_ENABLED=false)");
        return Ok(None);
    }
    let embedder: Arc<dyn Embedder> = match config.provider {
        EmbeddingProviderKind::Local => {
            let missing = LocalEmbedder::missing_files(&config.model_dir);
            if !missing.is_empty() {
                tracing::warn!(
                    model_dir = %config.model_dir.display(),
                    missing = ?missing,
                    "semantic search is off: the local embedding model files are missing; \
                     run scripts/fetch-model.sh (or set EMBEDDING_MODEL_DIR) and restart"
                );
                return Ok(None);
            }
            LocalEmbedder::load_shared(&config.model_dir, &config.model, config.batch_size)?
        }
        EmbeddingProviderKind::Ollama => Arc::new(OllamaEmbedder::new(config)?),
        EmbeddingProviderKind::OpenAi => Arc::new(OpenAiEmbedder::new(config)?),
    };
    tracing::info!(
        provider = embedder.provider().as_str(),
        model = embedder.model(),
        "semantic search is on"
    );
    Ok(Some(embedder))
}

/// Checks a provider's vectors and scales each to unit length. Rejects a wrong count, mixed
/// dimensions, non-finite values and zero vectors, so no unusable vector is ever stored.
pub fn normalise(
    mut vectors: Vec<Vec<f32>>,
    expected_count: usize,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    if vectors.len() != expected_count {
        return Err(EmbedError::InvalidResponse(format!(
            "expected {expected_count} vectors, got {}",
            vectors.len()
        )));
    }
    let dimensions = vectors.first().map_or(0, Vec::len);
    for vector in &mut vectors {
        if vector.is_empty() || vector.len() != dimensions {
            return Err(EmbedError::InvalidResponse(format!(
                "vectors have different or zero dimensions ({} and {dimensions})",
                vector.len()
            )));
        }
        if vector.iter().any(|value| !value.is_finite()) {
            return Err(EmbedError::InvalidResponse(
                "a vector contains NaN or infinite values".to_owned(),
            ));
        }
        let norm = vector
            .iter()
            .map(|value| f64::from(*value) * f64::from(*value))
            .sum::<f64>()
            .sqrt();
        if norm < 1e-12 {
            return Err(EmbedError::InvalidResponse(
                "a vector is all zeros".to_owned(),
            ));
        }
        for value in vector.iter_mut() {
            *value = (f64::from(*value) / norm) as f32;
        }
    }
    Ok(vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_scales_to_unit_length() {
        let vectors = normalise(vec![vec![3.0, 4.0], vec![0.0, 2.0]], 2).unwrap();
        assert_eq!(vectors[0], vec![0.6, 0.8]);
        assert_eq!(vectors[1], vec![0.0, 1.0]);
    }

    #[test]
    fn normalise_rejects_unusable_vectors() {
        let cases = [
            (vec![vec![0.0, 0.0]], 1, "all zeros"),
            (vec![vec![f32::NAN, 1.0]], 1, "NaN"),
            (vec![vec![1.0], vec![1.0, 2.0]], 2, "different"),
            (vec![vec![1.0]], 2, "expected 2 vectors"),
            (vec![vec![]], 1, "zero dimensions"),
        ];
        for (vectors, count, message) in cases {
            let error = normalise(vectors, count).unwrap_err();
            assert!(error.to_string().contains(message), "{error}");
        }
    }
}
