//! A BERT encoder (embeddings, self-attention layers, mean pooling) on `candle-nn`, enough to
//! run sentence-transformers models such as all-MiniLM-L6-v2 from their `model.safetensors`.
//!
//! It follows the original BERT architecture (Devlin et al., 2018) as implemented by Hugging
//! Face transformers' `BertModel`: post-layer-norm residual blocks and exact (erf) GELU. Only
//! inference is supported, and only absolute position embeddings.

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
use serde::Deserialize;

/// The fields of Hugging Face's `config.json` that the encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    #[serde(default = "default_hidden_act")]
    pub hidden_act: String,
    #[serde(default = "default_position_embedding_type")]
    pub position_embedding_type: String,
}

fn default_hidden_act() -> String {
    "gelu".to_owned()
}

fn default_position_embedding_type() -> String {
    "absolute".to_owned()
}

struct Embeddings {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
}

struct SelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    norm: LayerNorm,
    heads: usize,
    head_size: usize,
}

struct Layer {
    attention: SelfAttention,
    intermediate: Linear,
    output: Linear,
    norm: LayerNorm,
}

pub struct BertModel {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    max_positions: usize,
}

impl BertModel {
    /// Loads the weights, named as in Hugging Face checkpoints (`embeddings.*`,
    /// `encoder.layer.N.*`), with or without a `bert.` prefix.
    pub fn load(vb: VarBuilder, config: &BertConfig) -> candle_core::Result<Self> {
        if config.hidden_act != "gelu" {
            return Err(candle_core::Error::Msg(format!(
                "unsupported hidden_act {:?}; only \"gelu\" is implemented",
                config.hidden_act
            )));
        }
        if config.position_embedding_type != "absolute" {
            return Err(candle_core::Error::Msg(format!(
                "unsupported position_embedding_type {:?}; only \"absolute\" is implemented",
                config.position_embedding_type
            )));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(candle_core::Error::Msg(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size, config.num_attention_heads
            )));
        }
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let hidden = config.hidden_size;
        let eps = config.layer_norm_eps;

        let vb_embeddings = vb.pp("embeddings");
        let embeddings = Embeddings {
            word: embedding(
                config.vocab_size,
                hidden,
                vb_embeddings.pp("word_embeddings"),
            )?,
            position: embedding(
                config.max_position_embeddings,
                hidden,
                vb_embeddings.pp("position_embeddings"),
            )?,
            token_type: embedding(
                config.type_vocab_size,
                hidden,
                vb_embeddings.pp("token_type_embeddings"),
            )?,
            norm: layer_norm(hidden, eps, vb_embeddings.pp("LayerNorm"))?,
        };

        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for index in 0..config.num_hidden_layers {
            let vb_layer = vb.pp(format!("encoder.layer.{index}"));
            let vb_attention = vb_layer.pp("attention");
            let attention = SelfAttention {
                query: linear(hidden, hidden, vb_attention.pp("self.query"))?,
                key: linear(hidden, hidden, vb_attention.pp("self.key"))?,
                value: linear(hidden, hidden, vb_attention.pp("self.value"))?,
                output: linear(hidden, hidden, vb_attention.pp("output.dense"))?,
                norm: layer_norm(hidden, eps, vb_attention.pp("output.LayerNorm"))?,
                heads: config.num_attention_heads,
                head_size: hidden / config.num_attention_heads,
            };
            layers.push(Layer {
                attention,
                intermediate: linear(
                    hidden,
                    config.intermediate_size,
                    vb_layer.pp("intermediate.dense"),
                )?,
                output: linear(
                    config.intermediate_size,
                    hidden,
                    vb_layer.pp("output.dense"),
                )?,
                norm: layer_norm(hidden, eps, vb_layer.pp("output.LayerNorm"))?,
            });
        }
        Ok(Self {
            embeddings,
            layers,
            max_positions: config.max_position_embeddings,
        })
    }

    /// Runs the encoder on `input_ids` and `attention_mask` (both `[batch, tokens]`, u32) and
    /// returns the last hidden state `[batch, tokens, hidden]`.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let (_batch, tokens) = input_ids.dims2()?;
        if tokens > self.max_positions {
            return Err(candle_core::Error::Msg(format!(
                "input has {tokens} tokens; the model has {} positions",
                self.max_positions
            )));
        }
        let device = input_ids.device();
        let positions = Tensor::arange(0u32, tokens as u32, device)?.unsqueeze(0)?;
        let token_types = input_ids.zeros_like()?;
        let mut hidden = self
            .embeddings
            .word
            .forward(input_ids)?
            .broadcast_add(&self.embeddings.position.forward(&positions)?)?
            .add(&self.embeddings.token_type.forward(&token_types)?)?;
        hidden = self.embeddings.norm.forward(&hidden)?;

        // Masked keys get a large negative score, so softmax gives them (almost exactly) zero
        // weight: [batch, 1, 1, tokens].
        let mask_bias = attention_mask
            .to_dtype(DType::F32)?
            .affine(1e9, -1e9)?
            .unsqueeze(1)?
            .unsqueeze(1)?;

        for layer in &self.layers {
            let attended = layer.attention.forward(&hidden, &mask_bias)?;
            let intermediate = layer.intermediate.forward(&attended)?.gelu_erf()?;
            let output = layer.output.forward(&intermediate)?;
            hidden = layer.norm.forward(&output.add(&attended)?)?;
        }
        Ok(hidden)
    }
}

impl SelfAttention {
    fn forward(&self, hidden: &Tensor, mask_bias: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, tokens, width) = hidden.dims3()?;
        let split_heads = |x: Tensor| -> candle_core::Result<Tensor> {
            x.reshape((batch, tokens, self.heads, self.head_size))?
                .transpose(1, 2)?
                .contiguous()
        };
        let query = split_heads(self.query.forward(hidden)?)?;
        let key = split_heads(self.key.forward(hidden)?)?;
        let value = split_heads(self.value.forward(hidden)?)?;

        let scale = 1.0 / (self.head_size as f64).sqrt();
        let scores = query
            .matmul(&key.t()?.contiguous()?)?
            .affine(scale, 0.0)?
            .broadcast_add(mask_bias)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights
            .matmul(&value)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch, tokens, width))?;
        let output = self.output.forward(&context)?;
        self.norm.forward(&output.add(hidden)?)
    }
}

/// Averages the hidden states of the real tokens (mask 1) of each sequence: `[batch, hidden]`.
pub fn mean_pool(hidden: &Tensor, attention_mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = attention_mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    summed.broadcast_div(&counts)
}

/// Returns the CPU device; the service runs inference on the CPU only.
pub fn device() -> Device {
    Device::Cpu
}
