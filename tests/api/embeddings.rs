//! The local embedding model against reference vectors from sentence-transformers.
//!
//! `tests/fixtures/minilm_reference.json` contains vectors that sentence-transformers 6.3.0
//! computed for the same model files (see `tests/fixtures/generate_embedding_reference.py`).
//! The model files are not in git; `scripts/fetch-model.sh` downloads them, and
//! `scripts/test.sh` runs it first. Without them these tests print why and pass.

use std::path::PathBuf;

use mcp_markdown_manager::embedding::{Embedder, LocalEmbedder, Priority};
use serde::Deserialize;

/// Minimum cosine similarity between a Rust vector and its reference.
const MIN_COSINE: f64 = 0.9999;

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    /// Tokens including `[CLS]` and `[SEP]`, before truncation.
    tokens: usize,
    vector: Vec<f32>,
}

/// Returns the model folder, or `None` (after printing why) when its files are missing.
pub fn model_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("EMBEDDING_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".local/models/all-MiniLM-L6-v2")
        });
    let missing = LocalEmbedder::missing_files(&dir);
    if missing.is_empty() {
        return Some(dir);
    }
    eprintln!(
        "skipped: embedding model files {missing:?} are missing in {}; run scripts/fetch-model.sh",
        dir.display()
    );
    None
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/minilm_reference.json"
    );
    let text = std::fs::read_to_string(path).expect("reference fixture is readable");
    serde_json::from_str(&text).expect("reference fixture is valid JSON")
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

#[actix_web::test]
async fn local_vectors_match_sentence_transformers() {
    let Some(dir) = model_dir() else { return };
    let embedder = LocalEmbedder::load_shared(&dir, "all-MiniLM-L6-v2", 16).expect("model loads");
    let reference = reference();
    let texts: Vec<String> = reference
        .cases
        .iter()
        .map(|case| case.text.clone())
        .collect();
    let vectors = embedder
        .embed(texts, Priority::Index)
        .await
        .expect("embedding succeeds");
    assert_eq!(vectors.len(), reference.cases.len());
    for (case, vector) in reference.cases.iter().zip(&vectors) {
        assert_eq!(vector.len(), 384, "{:?}", case.text);
        let similarity = cosine(vector, &case.vector);
        assert!(
            similarity >= MIN_COSINE,
            "cosine {similarity:.6} < {MIN_COSINE} for {:?}",
            case.text
        );
    }
}

#[actix_web::test]
async fn local_vectors_do_not_depend_on_batching() {
    let Some(dir) = model_dir() else { return };
    let embedder = LocalEmbedder::load_shared(&dir, "all-MiniLM-L6-v2", 16).expect("model loads");
    let reference = reference();
    for case in reference.cases.iter().take(4) {
        let alone = embedder
            .embed(vec![case.text.clone()], Priority::Query)
            .await
            .expect("embedding succeeds");
        let similarity = cosine(&alone[0], &case.vector);
        assert!(similarity >= MIN_COSINE, "{similarity} for {:?}", case.text);
    }
}

#[actix_web::test]
async fn local_token_counts_match_the_reference_tokenizer() {
    let Some(dir) = model_dir() else { return };
    let embedder = LocalEmbedder::load_shared(&dir, "all-MiniLM-L6-v2", 16).expect("model loads");
    let counter = embedder.token_counter();
    assert_eq!(embedder.max_input_tokens(), Some(256));
    for case in reference().cases {
        assert_eq!(
            counter.count(&case.text) + 2,
            case.tokens,
            "{:?}",
            case.text
        );
    }
}

#[actix_web::test]
async fn similar_sentences_score_higher_than_unrelated_ones() {
    let Some(dir) = model_dir() else { return };
    let embedder = LocalEmbedder::load_shared(&dir, "all-MiniLM-L6-v2", 16).expect("model loads");
    let texts = [
        "How do I reset my password?",
        "I forgot my login credentials and need to change them.",
        "Bananas are rich in potassium.",
    ]
    .map(String::from)
    .to_vec();
    let vectors = embedder.embed(texts, Priority::Query).await.unwrap();
    let related = cosine(&vectors[0], &vectors[1]);
    let unrelated = cosine(&vectors[0], &vectors[2]);
    assert!(related > 0.6, "{related}");
    assert!(unrelated < 0.1, "{unrelated}");
}
