//! Arbitrary bytes through the DLP streaming scanner in data-chosen chunking: must never panic,
//! and the findings must not depend on the chunking.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sekimori_dlp::{Dlp, DlpConfig};

fn engines() -> &'static (Dlp, Dlp) {
    static E: OnceLock<(Dlp, Dlp)> = OnceLock::new();
    E.get_or_init(|| {
        let big = Dlp::new(DlpConfig::default()).expect("default engine");
        // Tiny batches: every chunk boundary is also a batch boundary.
        let small = Dlp::new(DlpConfig {
            batch_bytes: 1,
            ..Default::default()
        })
        .expect("small engine");
        (big, small)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let (big, small) = engines();
    let whole = big.scan_bytes(body);
    let mut s = small.scanner();
    let mut rest = body;
    let mut k = u32::from(seed) | 1;
    while !rest.is_empty() {
        k = k.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = ((k >> 16) as usize % 97 + 1).min(rest.len());
        let (a, b) = rest.split_at(n);
        s.feed(a);
        rest = b;
    }
    let chunked = s.finish();
    if body.len() > 60_000 {
        // Lines longer than MAX_LINE may be cut at chunking-dependent points; only "no panic".
        return;
    }
    assert_eq!(whole.findings, chunked.findings);
    assert_eq!(whole.records, chunked.records);
    assert_eq!(whole.samples, chunked.samples);
    assert!(samples_masked(&chunked));
});

/// Masked samples never contain 8 or more consecutive digits of the input.
fn samples_masked(f: &sekimori_dlp::Findings) -> bool {
    f.samples.iter().all(|s| {
        let mut run = 0;
        for c in s.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            assert!(run < 8, "unmasked digits in sample {s:?}");
        }
        true
    })
}
