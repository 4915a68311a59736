//! Throughput of the file tracker: md5+sha1+sha256 and magic over a 1 MiB body in 1460-byte
//! chunks, and magic alone.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_app::{
    AppProto, Direction, FileClose, FileId, FileKind, FileOpen, FileSink, FileStatus, FlowCtx,
};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use sekimori_files::{FileConfig, FileTracker, Hashes, TextStats, describe};

fn body() -> Vec<u8> {
    let mut v = Vec::with_capacity(1 << 20);
    let mut x: u32 = 1;
    while v.len() < 1 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        v.push(b' ' + (x >> 16) as u8 % 90);
        if x.is_multiple_of(61) {
            v.push(b'\n');
        }
    }
    v
}

fn track(t: &mut FileTracker, data: &[u8]) {
    let flow = FlowCtx {
        id: 1,
        src: Addr::v4([10, 0, 0, 1]),
        dst: Addr::v4([10, 0, 0, 2]),
        sport: 1,
        dport: 80,
        proto: 6,
        vlan: &[],
        ts: Timestamp(0),
    };
    let open = FileOpen {
        id: FileId(0),
        proto: AppProto::Http,
        tx_id: 0,
        dir: Direction::ToClient,
        kind: FileKind::ResponseBody,
        name: b"/f",
        field: b"",
        content_type: b"",
        declared_len: None,
    };
    t.file_open(&flow, &open);
    for c in data.chunks(1460) {
        t.file_data(&flow, FileId(0), c);
    }
    let end = FileClose {
        status: FileStatus::Complete,
        size: data.len() as u64,
    };
    t.file_close(&flow, FileId(0), &end);
    black_box(t.pop_closed());
}

fn bench(c: &mut Criterion) {
    let data = body();
    let mut g = c.benchmark_group("files");
    g.throughput(Throughput::Bytes(data.len() as u64));
    let mut all = FileTracker::new(FileConfig::default()).expect("tracker");
    g.bench_function("md5_sha1_sha256_magic", |b| {
        b.iter(|| track(&mut all, &data))
    });
    let cfg = FileConfig {
        hashes: Hashes {
            md5: false,
            sha1: false,
            sha256: true,
        },
        ..FileConfig::default()
    };
    let mut sha = FileTracker::new(cfg).expect("tracker");
    g.bench_function("sha256_magic", |b| b.iter(|| track(&mut sha, &data)));
    g.bench_function("magic_only", |b| {
        b.iter(|| {
            let mut t = TextStats::default();
            t.update(&data);
            black_box(describe(&data[..4096], &t))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
