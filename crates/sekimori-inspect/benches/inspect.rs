//! Cost of one file scan: a 4 MiB PE-like body and a ZIP holding it, with and without YARA.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_inspect::{FileMeta, InspectConfig, Inspector};

fn body() -> Vec<u8> {
    let mut v = Vec::with_capacity(4 << 20);
    v.extend_from_slice(b"MZ");
    let mut x: u32 = 1;
    while v.len() < 4 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        // Half-compressible: runs of a few distinct bytes.
        v.push(b'A' + (x >> 16) as u8 % 16);
    }
    v
}

fn zip_of(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("payload.exe", o).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap().into_inner()
}

const RULES: &str = r#"
rule A { strings: $a = "EmdiviMarker" condition: $a }
rule B { strings: $h = { DE AD BE EF 13 37 } condition: $h }
rule C { strings: $g = "/gate.php" nocase condition: uint16(0) == 0x5A4D and $g }
rule D { strings: $r = /https?:\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\/[a-z]{4,8}\.php/ condition: $r }
"#;

fn run(c: &mut Criterion) {
    let data = body();
    let zip = zip_of(&data);
    let dir = std::env::temp_dir().join(format!("sekimori-inspect-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("bench.yar");
    std::fs::write(&rules, RULES).unwrap();
    let plain = Inspector::new(&InspectConfig::default()).unwrap();
    let with_yara = Inspector::new(&InspectConfig {
        yara_rules: vec![rules],
        ..InspectConfig::default()
    });
    let mut g = c.benchmark_group("inspect");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    let scan = |i: &Inspector, name: &str, d: &[u8]| {
        let mut s = i.file(FileMeta::new(name, "application/octet-stream"));
        for ch in d.chunks(16 * 1024) {
            s.feed(ch);
        }
        black_box(s.finish(None))
    };
    g.bench_function("pe_4mib_no_yara", |b| {
        b.iter(|| scan(&plain, "a.exe", &data))
    });
    g.bench_function("zip_4mib_no_yara", |b| {
        b.iter(|| scan(&plain, "a.zip", &zip))
    });
    if let Ok(y) = &with_yara {
        g.bench_function("pe_4mib_yara", |b| b.iter(|| scan(y, "a.exe", &data)));
        g.bench_function("zip_4mib_yara", |b| b.iter(|| scan(y, "a.zip", &zip)));
    }
    g.finish();
    // Per-file overhead (a new yara-x scanner per finished file).
    let small = &data[..1024];
    let mut g = c.benchmark_group("inspect_small");
    g.throughput(Throughput::Elements(1));
    g.bench_function("file_1kib_no_yara", |b| {
        b.iter(|| scan(&plain, "a.exe", small))
    });
    if let Ok(y) = &with_yara {
        g.bench_function("file_1kib_yara", |b| b.iter(|| scan(y, "a.exe", small)));
        let mut sess = y.yara_session();
        g.bench_function("file_1kib_yara_session", |b| {
            b.iter(|| {
                let mut s = y.file(FileMeta::new("a.exe", "application/octet-stream"));
                s.feed(small);
                black_box(s.finish_with(None, &mut sess))
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, run);
criterion_main!(benches);
