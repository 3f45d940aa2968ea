//! Fuzz the ingest path: parse any bytes as a payload, map, tag, redact, chunk.
#![no_main]
use cxone_core::envelope::Envelope;
use cxone_core::ingest::{parse_payload, prepare, IngestConfig};
use cxone_core::mapping::Mapping;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CFG: LazyLock<IngestConfig> = LazyLock::new(|| IngestConfig::seeded(true));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(payload) = parse_payload(text) {
        let env = Envelope::extract(&payload, &CFG.mapping);
        let _ = prepare(&payload, &env, &CFG);
        // The same bytes as a mapping spec.
        let _ = Mapping::parse(&payload);
    }
});
