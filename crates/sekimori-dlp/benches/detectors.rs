//! Throughput of the DLP scanner over generated mixed Japanese/ASCII text with some identifiers,
//! next to a baseline from the same run (UTF-8 validation and a line count over the same bytes:
//! the least any scanner must do), so the figure can be read as a ratio on a noisy machine.
//! `BENCH_MB=100 cargo bench -p sekimori-dlp` runs the full size (default 10 MiB).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_dlp::{Dlp, DlpConfig};
use std::hint::black_box;

/// Size of the generated corpus in MiB (`BENCH_MB`, default 10).
fn bench_mb() -> usize {
    std::env::var("BENCH_MB").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(10)
}

fn corpus(bytes: usize) -> String {
    let jp = [
        "本日は晴天なり。会議の議事録を共有します。",
        "お世話になっております。株式会社サンプルの営業部です。",
        "添付の資料をご確認ください。ご不明な点があればご連絡ください。",
        "新製品の型番 4321-765432 の在庫は十分にあります。",
        "来週の打ち合わせは午後三時からの予定です。",
    ];
    let ascii = [
        "2024-05-01T12:00:00Z INFO request served in 12ms status=200 path=/api/v1/items?id=42",
        "The quick brown fox jumps over the lazy dog; order #883712 shipped.",
        "GET /index.html HTTP/1.1 Host: www.example.co.jp User-Agent: Mozilla/5.0",
    ];
    let mut out = String::with_capacity(bytes + 256);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut n = 0u64;
    while out.len() < bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        n += 1;
        match x % 20 {
            0 => out.push_str(&format!(
                "氏名：山田太郎 基礎年金番号：{:04}-{:06}\n",
                1000 + n % 9000,
                n % 1_000_000
            )),
            1 => out.push_str(&format!(
                "TEL 090-{:04}-{:04} メール user{n}@example.jp\n",
                n % 10000,
                (n * 7) % 10000
            )),
            2 => out.push_str("カード番号 4111 1111 1111 1111 住所：東京都千代田区千代田1-1\n"),
            3..=10 => {
                out.push_str(jp[(x >> 8) as usize % jp.len()]);
                out.push('\n');
            }
            _ => {
                out.push_str(ascii[(x >> 8) as usize % ascii.len()]);
                out.push('\n');
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = corpus(bench_mb() << 20);
    let sjis = encoding_rs::SHIFT_JIS.encode(&text).0.into_owned();
    let dlp = Dlp::new(DlpConfig {
        limits: sekimori_dlp::ScanLimits {
            max_scan_bytes: u64::MAX,
            ..Default::default()
        },
        ..Default::default()
    })
    .expect("engine");
    let mut g = c.benchmark_group("dlp");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("baseline_validate_utf8_count_lines", |b| {
        b.iter(|| {
            let mut lines = 0usize;
            for ch in text.as_bytes().chunks(64 * 1024) {
                lines += std::str::from_utf8(ch).map_or(0, |s| s.len()) + memchr_count(ch);
            }
            black_box(lines)
        })
    });
    g.bench_function("scan_utf8_64k_chunks", |b| {
        b.iter(|| {
            let mut s = dlp.scanner();
            for ch in text.as_bytes().chunks(64 * 1024) {
                s.feed(ch);
            }
            black_box(s.finish())
        })
    });
    g.throughput(Throughput::Bytes(sjis.len() as u64));
    g.bench_function("scan_sjis_1500b_chunks", |b| {
        b.iter(|| {
            let mut s = dlp.scanner();
            for ch in sjis.chunks(1500) {
                s.feed(ch);
            }
            black_box(s.finish())
        })
    });
    g.finish();
}

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

criterion_group!(benches, bench);
criterion_main!(benches);
