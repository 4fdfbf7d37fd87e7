//! The local provider: a sentence-transformers BERT model (all-MiniLM-L6-v2 by default) run
//! with candle on a dedicated thread.
//!
//! Inference is CPU-bound and takes tens of milliseconds per chunk, so it never runs on an
//! async executor thread. One model thread per process serves every caller from two queues,
//! and queries go before indexing work.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use serde::Deserialize;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};
use tokio::sync::oneshot;

use super::bert::{self, BertConfig, BertModel};
use super::tokens::WordPieceCounter;
use super::{EmbedError, Embedder, Priority, TokenCounter, normalise};
use crate::config::EmbeddingProviderKind;

/// Files the local provider reads from the model folder.
pub const REQUIRED_FILES: [&str; 3] = ["model.safetensors", "config.json", "tokenizer.json"];
/// Input limit when the folder has no `sentence_bert_config.json`; all-MiniLM-L6-v2's value.
const DEFAULT_MAX_SEQUENCE_LENGTH: usize = 256;
/// Sequences run through the model at once. Texts are sorted by length first, so a batch
/// needs little padding.
const INFERENCE_BATCH: usize = 8;

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: usize,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<Result<Vec<Vec<f32>>, EmbedError>>,
}

#[derive(Default)]
struct Queues {
    query: VecDeque<Job>,
    index: VecDeque<Job>,
}

/// Jobs waiting for the model thread.
#[derive(Default)]
struct JobQueue {
    queues: Mutex<Queues>,
    ready: Condvar,
}

impl JobQueue {
    fn push(&self, priority: Priority, job: Job) {
        let mut queues = self
            .queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match priority {
            Priority::Query => queues.query.push_back(job),
            Priority::Index => queues.index.push_back(job),
        }
        self.ready.notify_one();
    }

    /// Blocks until a job is waiting; query jobs first.
    fn pop(&self) -> Job {
        let mut queues = self
            .queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if let Some(job) = queues
                .query
                .pop_front()
                .or_else(|| queues.index.pop_front())
            {
                return job;
            }
            queues = self
                .ready
                .wait(queues)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// The loaded model and tokenizer; owned by the model thread.
struct Model {
    bert: BertModel,
    tokenizer: Tokenizer,
}

impl Model {
    fn load(dir: &Path, max_sequence_length: usize) -> anyhow::Result<Self> {
        let config_path = dir.join("config.json");
        let config: BertConfig = serde_json::from_slice(
            &std::fs::read(&config_path)
                .map_err(|e| anyhow::anyhow!("failed to read {}: {e}", config_path.display()))?,
        )
        .map_err(|e| anyhow::anyhow!("{} is not a BERT config: {e}", config_path.display()))?;

        let weights_path = dir.join("model.safetensors");
        let weights = std::fs::read(&weights_path)
            .map_err(|e| anyhow::anyhow!("failed to read {}: {e}", weights_path.display()))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &bert::device())
            .map_err(|e| anyhow::anyhow!("failed to open {}: {e}", weights_path.display()))?;
        let bert = BertModel::load(vb, &config)
            .map_err(|e| anyhow::anyhow!("failed to load the model in {}: {e}", dir.display()))?;

        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| anyhow::anyhow!("failed to load {}: {e}", tokenizer_path.display()))?;
        // tokenizer.json of all-MiniLM-L6-v2 truncates and pads to 128 tokens, but
        // sentence-transformers truncates at max_seq_length (256); 128 would cut the tail of
        // every chunk longer than that and change its vector.
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_sequence_length.min(config.max_position_embeddings),
                ..TruncationParams::default()
            }))
            .map_err(|e| anyhow::anyhow!("failed to configure truncation: {e}"))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        Ok(Self { bert, tokenizer })
    }

    /// Embeds texts in batches of similar length; returns unnormalised mean-pooled vectors.
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for batch in order.chunks(INFERENCE_BATCH) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let embedded = self.embed_batch(inputs)?;
            for (&i, vector) in batch.iter().zip(embedded) {
                vectors[i] = vector;
            }
        }
        Ok(vectors)
    }

    fn embed_batch(&self, texts: Vec<&str>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let model_error = |e: &dyn std::fmt::Display| EmbedError::Model(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts, true)
            .map_err(|e| model_error(&e))?;
        let batch = encodings.len();
        let width = encodings.first().map_or(0, |e| e.len());
        let mut ids = Vec::with_capacity(batch * width);
        let mut mask = Vec::with_capacity(batch * width);
        for encoding in &encodings {
            ids.extend_from_slice(encoding.get_ids());
            mask.extend_from_slice(encoding.get_attention_mask());
        }
        let device = bert::device();
        let ids = Tensor::from_vec(ids, (batch, width), &device).map_err(|e| model_error(&e))?;
        let mask = Tensor::from_vec(mask, (batch, width), &device).map_err(|e| model_error(&e))?;
        let hidden = self
            .bert
            .forward(&ids, &mask)
            .map_err(|e| model_error(&e))?;
        bert::mean_pool(&hidden, &mask)
            .and_then(|pooled| pooled.to_vec2::<f32>())
            .map_err(|e| model_error(&e))
    }
}

/// Runs jobs until the process exits. A panic inside the model fails that job only.
fn run_model_thread(model: Model, queue: Arc<JobQueue>) {
    loop {
        let job = queue.pop();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.embed(&job.texts)))
                .unwrap_or_else(|_| Err(EmbedError::Model("the model panicked".to_owned())));
        // The caller may have given up (for example a cancelled request); nothing to do then.
        let _ = job.reply.send(result);
    }
}

pub struct LocalEmbedder {
    model_name: String,
    counter: Arc<WordPieceCounter>,
    queue: Arc<JobQueue>,
    max_input_tokens: usize,
    batch_size: usize,
}

/// Models loaded in this process, by folder and name: tests and the `reindex` command start
/// the service several times, and each start reuses the loaded model and its thread.
static LOADED: OnceLock<Mutex<HashMap<ModelKey, Arc<LocalEmbedder>>>> = OnceLock::new();

/// The model folder (canonical when possible) and the configured model name.
type ModelKey = (PathBuf, String);

impl LocalEmbedder {
    /// Returns the required files that are missing from `dir`.
    pub fn missing_files(dir: &Path) -> Vec<&'static str> {
        REQUIRED_FILES
            .into_iter()
            .filter(|name| !dir.join(name).is_file())
            .collect()
    }

    /// Loads the model in `dir` and starts its thread, or returns the copy already loaded.
    pub fn load_shared(
        dir: &Path,
        model_name: &str,
        batch_size: usize,
    ) -> anyhow::Result<Arc<Self>> {
        let key = (
            dir.canonicalize().unwrap_or_else(|_| dir.to_owned()),
            model_name.to_owned(),
        );
        let loaded = LOADED.get_or_init(Mutex::default);
        let mut loaded = loaded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(embedder) = loaded.get(&key) {
            return Ok(embedder.clone());
        }
        let embedder = Arc::new(Self::load(dir, model_name, batch_size)?);
        loaded.insert(key, embedder.clone());
        Ok(embedder)
    }

    fn load(dir: &Path, model_name: &str, batch_size: usize) -> anyhow::Result<Self> {
        let started = std::time::Instant::now();
        let pooling_path = dir.join("1_Pooling/config.json");
        if let Ok(bytes) = std::fs::read(&pooling_path) {
            let pooling: PoolingConfig = serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is invalid: {e}", pooling_path.display()))?;
            if !pooling.pooling_mode_mean_tokens {
                anyhow::bail!(
                    "{} selects a pooling mode other than mean pooling, which is the only one \
                     implemented",
                    pooling_path.display()
                );
            }
        }
        let max_sequence_length = match std::fs::read(dir.join("sentence_bert_config.json")) {
            Ok(bytes) => {
                serde_json::from_slice::<SentenceBertConfig>(&bytes)
                    .map_err(|e| anyhow::anyhow!("sentence_bert_config.json is invalid: {e}"))?
                    .max_seq_length
            }
            Err(_) => DEFAULT_MAX_SEQUENCE_LENGTH,
        };
        let model = Model::load(dir, max_sequence_length)?;
        let counter = Arc::new(WordPieceCounter::from_file(&dir.join("tokenizer.json"))?);
        let queue = Arc::new(JobQueue::default());
        let thread_queue = queue.clone();
        std::thread::Builder::new()
            .name("embedding-model".to_owned())
            .spawn(move || run_model_thread(model, thread_queue))
            .map_err(|e| anyhow::anyhow!("failed to start the embedding model thread: {e}"))?;
        tracing::info!(
            model_dir = %dir.display(),
            model = model_name,
            max_sequence_length,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded the local embedding model"
        );
        Ok(Self {
            model_name: model_name.to_owned(),
            counter,
            queue,
            max_input_tokens: max_sequence_length,
            batch_size,
        })
    }
}

#[async_trait::async_trait]
impl Embedder for LocalEmbedder {
    fn provider(&self) -> EmbeddingProviderKind {
        EmbeddingProviderKind::Local
    }

    fn model(&self) -> &str {
        &self.model_name
    }

    fn token_counter(&self) -> Arc<dyn TokenCounter> {
        self.counter.clone()
    }

    fn max_input_tokens(&self) -> Option<usize> {
        Some(self.max_input_tokens)
    }

    async fn embed(
        &self,
        texts: Vec<String>,
        priority: Priority,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut vectors = Vec::with_capacity(texts.len());
        // One job per batch, so a query waits for at most one batch of indexing work.
        let mut pending = texts.into_iter().peekable();
        while pending.peek().is_some() {
            let batch: Vec<String> = pending.by_ref().take(self.batch_size.max(1)).collect();
            let count = batch.len();
            let (reply, result) = oneshot::channel();
            self.queue.push(
                priority,
                Job {
                    texts: batch,
                    reply,
                },
            );
            let embedded = result
                .await
                .map_err(|_| EmbedError::Model("the model thread stopped".to_owned()))??;
            vectors.extend(normalise(embedded, count)?);
        }
        Ok(vectors)
    }
}
