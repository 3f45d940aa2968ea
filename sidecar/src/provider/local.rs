//! The local model: all-MiniLM-L6-v2 with candle on the CPU, matching sentence-transformers
//! (batch-longest padding, truncation at 256 tokens, mean pooling, L2 normalisation).
//! Inputs are sorted by length before batching so that little time goes into padding.

use super::api::{EmbedError, Provider};
use crate::batch::Limits;
use crate::config::ProviderConfig;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use std::sync::Arc;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
pub const DIMENSIONS: usize = 384;
/// sentence-transformers' max_seq_length for this model.
pub const MAX_TOKENS: usize = 256;
/// Sentences per forward pass.
pub const BATCH: usize = 32;

struct Inner {
    model: BertModel,
    tokenizer: Tokenizer,
}

pub struct LocalProvider {
    inner: Arc<Inner>,
    max_inputs: usize,
}

impl LocalProvider {
    pub fn load(cfg: &ProviderConfig) -> Result<Self, String> {
        let dir = &cfg.model_dir;
        let missing = |f: &str| {
            format!(
                "the local model is missing {}: run scripts/setup.sh (it fetches all-MiniLM-L6-v2) or set CXONE_MODEL_DIR",
                dir.join(f).display()
            )
        };
        let config: BertConfig = serde_json::from_str(
            &std::fs::read_to_string(dir.join("config.json"))
                .map_err(|_| missing("config.json"))?,
        )
        .map_err(|e| format!("{}: {e}", dir.join("config.json").display()))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|_| missing("tokenizer.json"))?;
        // tokenizer.json pads to a fixed 128 and truncates at 128; sentence-transformers pads to
        // the longest input of the batch and truncates at 256.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| format!("tokenizer: {e}"))?;
        let weights = dir.join("model.safetensors");
        if !weights.exists() {
            return Err(missing("model.safetensors"));
        }
        // SAFETY: the weights file is mapped read-only and not modified while we run.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &Device::Cpu) }
                .map_err(|e| format!("loading the local model: {e}"))?;
        let model =
            BertModel::load(vb, &config).map_err(|e| format!("loading the local model: {e}"))?;
        Ok(LocalProvider {
            inner: Arc::new(Inner { model, tokenizer }),
            max_inputs: cfg.max_inputs_per_request.unwrap_or(BATCH),
        })
    }

    /// Embeds synchronously (CPU-bound; the async API runs this on a blocking thread).
    #[cfg(test)]
    pub fn embed_blocking(&self, inputs: &[String]) -> Result<Vec<Vec<f32>>, String> {
        self.inner.embed_sorted(inputs, BATCH)
    }
}

impl Inner {
    fn embed_sorted(&self, inputs: &[String], batch: usize) -> Result<Vec<Vec<f32>>, String> {
        let lens: Vec<usize> = inputs
            .iter()
            .map(|t| (cxone_core::tokens::Tokenizer::MiniLm.count(t) + 2).min(MAX_TOKENS))
            .collect();
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| lens[i]);
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); inputs.len()];
        for group in length_groups(&order, &lens, batch.max(1)) {
            let texts: Vec<&str> = group.iter().map(|&i| inputs[i].as_str()).collect();
            let vectors = self
                .embed_batch(&texts)
                .map_err(|e| format!("local model: {e}"))?;
            for (&i, v) in group.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(
        &self,
        texts: &[&str],
    ) -> Result<Vec<Vec<f32>>, Box<dyn std::error::Error + Send + Sync>> {
        let encodings = self.tokenizer.encode_batch(texts.to_vec(), true)?;
        let n = encodings.len();
        let len = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &encodings {
            ids.extend(e.get_ids().iter().copied());
            mask.extend(e.get_attention_mask().iter().copied());
        }
        let device = &self.model.device;
        let ids = Tensor::from_vec(ids, (n, len), device)?;
        let mask = Tensor::from_vec(mask, (n, len), device)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?; // (n, len, 384)
                                                                     // Mean over real tokens only, then unit length.
        let mask_f = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (n, len, 1)
        let summed = hidden.broadcast_mul(&mask_f)?.sum(1)?; // (n, 384)
        let counts = mask_f.sum(1)?.clamp(1e-9, f64::MAX)?; // (n, 1)
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norm)?.to_vec2::<f32>()?)
    }
}

/// Splits inputs sorted by token length into forward passes of at most `batch`, starting a new
/// one when the next input is much longer than the shortest of the current one: each pass pads
/// to its longest input, and a batch of 32 random sentences padded to its longest spends most
/// of its work on padding.
fn length_groups<'a>(order: &'a [usize], lens: &[usize], batch: usize) -> Vec<&'a [usize]> {
    let mut groups = Vec::new();
    let mut start = 0;
    for k in 1..=order.len() {
        let done = k == order.len()
            || k - start >= batch
            || lens[order[k]] > lens[order[start]] * 3 / 2 + 4;
        if done {
            groups.push(&order[start..k]);
            start = k;
        }
    }
    groups
}

impl Provider for LocalProvider {
    fn model(&self) -> &str {
        MODEL_NAME
    }

    fn dimensions(&self) -> Option<usize> {
        Some(DIMENSIONS)
    }

    fn limits(&self) -> Limits {
        Limits {
            max_inputs: self.max_inputs,
            max_tokens_per_request: usize::MAX,
            max_tokens_per_input: None,
        }
    }

    fn count_tokens(&self, text: &str) -> usize {
        cxone_core::tokens::Tokenizer::MiniLm.count(text) + 2
    }

    async fn embed(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.embed_sorted(&inputs, BATCH))
            .await
            .map_err(|e| EmbedError::Permanent(format!("local model task failed: {e}")))?
            .map_err(EmbedError::Permanent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_groups_cap_size_and_padding() {
        let lens = [5, 6, 7, 9, 20, 21, 40, 41, 42, 43];
        let order: Vec<usize> = (0..lens.len()).collect();
        let groups = length_groups(&order, &lens, 3);
        assert_eq!(
            groups,
            vec![
                &[0, 1, 2][..],
                &[3][..],
                &[4, 5][..],
                &[6, 7, 8][..],
                &[9][..]
            ]
        );
        // Every input exactly once, in order.
        assert_eq!(groups.concat(), order);
    }
    use clap::Parser;

    /// Every reference sentence (sentence-transformers 6.2.0 output) is reproduced with cosine
    /// similarity of at least 0.9999. Needs the weights: scripts/setup.sh fetches them.
    #[test]
    fn matches_sentence_transformers() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let cli = crate::cli::Cli::parse_from([
            "cxone-sidecar",
            "--model-dir",
            &format!("{root}/models/all-MiniLM-L6-v2"),
            "check",
        ]);
        let p = LocalProvider::load(&cli.config.provider)
            .expect("model weights (run scripts/setup.sh)");
        let reference: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{root}/data/minilm-reference/reference.json"))
                .unwrap(),
        )
        .unwrap();
        let items = reference["items"]
            .as_array()
            .or_else(|| reference.as_array())
            .expect("items");
        let texts: Vec<String> = items
            .iter()
            .map(|i| i["text"].as_str().unwrap().to_string())
            .collect();
        let got = p.embed_blocking(&texts).unwrap();
        let mut worst = 1.0f64;
        for (item, v) in items.iter().zip(&got) {
            let want: Vec<f64> = item["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            assert_eq!(v.len(), DIMENSIONS);
            let dot: f64 = want.iter().zip(v).map(|(a, b)| a * f64::from(*b)).sum();
            let na: f64 = want.iter().map(|a| a * a).sum::<f64>().sqrt();
            let nb: f64 = v
                .iter()
                .map(|b| f64::from(*b) * f64::from(*b))
                .sum::<f64>()
                .sqrt();
            worst = worst.min(dot / (na * nb));
        }
        println!(
            "local model vs sentence-transformers: worst cosine {worst:.7} over {} texts",
            items.len()
        );
        assert!(worst >= 0.9999, "worst cosine {worst}");
    }
}
