//! Arbitrary bytes as a file (ZIP, gzip, tar, PDF, OLE, OOXML or text) through `scan_file` with
//! small caps: must never panic or exceed its budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_dlp::{ScanLimits, scan_file};

fuzz_target!(|data: &[u8]| {
    let limits = ScanLimits {
        max_scan_bytes: 1 << 20,
        max_buffer_bytes: 1 << 20,
        max_depth: 4,
        max_decompressed: 4 << 20,
        max_ratio: 100,
        max_entries: 200,
    };
    let r = scan_file(Some("fuzz.bin"), data, &limits);
    assert!(r.findings.stats.bytes_decompressed <= (4 << 20) + (256 << 10));
    assert_eq!(r.encrypted, r.findings.encrypted);
});
