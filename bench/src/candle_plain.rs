//! Benchmark 5's baseline: all-MiniLM-L6-v2 with candle written plainly — tokenizer.json as it
//! ships (fixed padding to 128 tokens), batches of 32 in input order, mean pooling. It runs in
//! its own process (`cxone-bench candle-plain`) so that its peak RSS is its own.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use serde_json::json;
use std::time::Instant;
use tokenizers::Tokenizer;

pub fn model_dir() -> std::path::PathBuf {
    std::env::var("CXONE_MODEL_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../models/all-MiniLM-L6-v2").into()
        })
}

/// Embeds `sentences` and prints {"sentences_per_s", "peak_rss_mib", "first"} as JSON.
pub fn run(sentences: &[String]) {
    let dir = model_dir();
    let config: Config =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
    let vb = unsafe {
        VarBuilder::from_mmaped_safetensors(
            &[dir.join("model.safetensors")],
            DType::F32,
            &Device::Cpu,
        )
    }
    .unwrap();
    let model = BertModel::load(vb, &config).unwrap();
    let started = Instant::now();
    let mut first = Vec::new();
    for batch in sentences.chunks(32) {
        let enc = tokenizer.encode_batch(batch.to_vec(), true).unwrap();
        let (n, len) = (enc.len(), enc[0].get_ids().len());
        let ids: Vec<u32> = enc.iter().flat_map(|e| e.get_ids().to_vec()).collect();
        let mask: Vec<u32> = enc
            .iter()
            .flat_map(|e| e.get_attention_mask().to_vec())
            .collect();
        let ids = Tensor::from_vec(ids, (n, len), &Device::Cpu).unwrap();
        let mask = Tensor::from_vec(mask, (n, len), &Device::Cpu).unwrap();
        let hidden = model
            .forward(&ids, &ids.zeros_like().unwrap(), Some(&mask))
            .unwrap();
        let m = mask.to_dtype(DType::F32).unwrap().unsqueeze(2).unwrap();
        let mean = hidden
            .broadcast_mul(&m)
            .unwrap()
            .sum(1)
            .unwrap()
            .broadcast_div(&m.sum(1).unwrap())
            .unwrap();
        let v = mean.to_vec2::<f32>().unwrap();
        if first.is_empty() {
            first = v[0].clone();
        }
    }
    let rate = sentences.len() as f64 / started.elapsed().as_secs_f64();
    let rss = cxone_e2e::peak_rss_mib(std::process::id());
    println!(
        "{}",
        json!({"sentences_per_s": rate, "peak_rss_mib": rss, "first": first})
    );
}
