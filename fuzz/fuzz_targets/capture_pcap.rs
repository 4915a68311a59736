//! Arbitrary bytes as a capture file: the reader must never panic, loop forever or allocate
//! without bound, whatever the input. The first byte picks the read buffer size (small sizes
//! exercise refill/grow/skip paths) and whether the rest is split into two files to merge.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use sekimori_capture::{CaptureOptions, MultiFileSource, PacketSource, PcapFile};

fn open(data: &[u8], name: &str, opts: &CaptureOptions) -> Option<PcapFile> {
    PcapFile::from_reader_with(
        Cursor::new(data.to_vec()),
        name,
        Some(data.len() as u64),
        opts,
    )
    .ok()
}

fn drain(src: &mut impl PacketSource) {
    let mut last_cnt = 0;
    // Errors end a file; a bounded number of calls also guards against error loops.
    for _ in 0..1_000_000 {
        match src.next_packet() {
            Ok(Some(p)) => {
                assert!(p.data.len() <= 256 * 1024, "caplen limit respected");
                assert!(
                    p.data.len() as u64 <= u64::from(p.orig_len),
                    "caplen <= orig_len"
                );
                assert_eq!(p.pcap_cnt, last_cnt + 1, "pcap_cnt sequential");
                last_cnt = p.pcap_cnt;
            }
            Ok(None) => break,
            Err(e) => {
                let m = e.to_string();
                assert!(!m.contains('\n'), "one-line error");
            }
        }
    }
    let s = src.stats();
    assert_eq!(s.packets, last_cnt);
    let p = src.progress();
    if let Some(t) = p.total {
        assert!(p.done <= t, "progress within total");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let buffer_size = match ctl & 3 {
        0 => 64,
        1 => 300,
        2 => 4096,
        _ => 128 * 1024,
    };
    let opts = CaptureOptions {
        buffer_size,
        ..CaptureOptions::default()
    };
    if ctl & 4 == 0 {
        if let Some(mut f) = open(rest, "fuzz.pcap", &opts) {
            drain(&mut f);
        }
    } else {
        let cut = (usize::from(ctl >> 3) * rest.len() / 31).min(rest.len());
        let (a, b) = rest.split_at(cut);
        let files: Vec<PcapFile> = [open(a, "a", &opts), open(b, "b", &opts)]
            .into_iter()
            .flatten()
            .collect();
        if let Ok(mut m) = MultiFileSource::from_files(files) {
            drain(&mut m);
        }
    }
});
