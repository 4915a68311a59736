//! Reassembly cost: a 3-fragment IPv4 datagram (4 KB), the same shuffled, a 17-fragment
//! overlapping datagram, and a non-fragment pass-through.
//!
//! Run: `cargo bench -p sekimori-defrag --bench defrag -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_capture::{LinkType, Timestamp};
use sekimori_decode::{Decoded, decode};
use sekimori_defrag::{DefragConfig, DefragOutcome, Defragmenter, OverlapPolicy};

fn v4_frag(id: u16, offset: u16, mf: bool, data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&((20 + data.len()) as u16).to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(&((offset / 8) | if mf { 0x2000 } else { 0 }).to_be_bytes());
    v.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    v.extend_from_slice(data);
    v
}

fn dec(v: &[Vec<u8>]) -> Vec<Decoded<'_>> {
    v.iter().map(|f| decode(LinkType::RAW, f)).collect()
}

fn run(df: &mut Defragmenter, frags: &[Decoded<'_>]) -> usize {
    let mut n = 0;
    for d in frags {
        if let DefragOutcome::Reassembled { datagram, .. } = df.process(Timestamp(1), d) {
            n += datagram.len();
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let payload = vec![0x55u8; 4000];
    let three = [
        v4_frag(7, 0, true, &payload[..1480]),
        v4_frag(7, 1480, true, &payload[1480..2960]),
        v4_frag(7, 2960, false, &payload[2960..]),
    ];
    let shuffled = [three[2].clone(), three[0].clone(), three[1].clone()];
    // The 17-fragment overlap pattern (see the crate's policy table test).
    let pattern: [(u8, u16, u16); 17] = [
        (b'A', 0, 3),
        (b'B', 4, 2),
        (b'C', 6, 3),
        (b'D', 10, 1),
        (b'E', 13, 2),
        (b'F', 15, 3),
        (b'G', 18, 2),
        (b'H', 20, 2),
        (b'I', 22, 1),
        (b'J', 1, 4),
        (b'K', 6, 3),
        (b'L', 9, 3),
        (b'M', 12, 3),
        (b'N', 16, 1),
        (b'O', 19, 1),
        (b'P', 20, 1),
        (b'Q', 22, 2),
    ];
    let overlap: Vec<Vec<u8>> = pattern
        .iter()
        .enumerate()
        .map(|(i, &(c, off, len))| v4_frag(9, off * 8, i + 1 != 17, &vec![c; usize::from(len) * 8]))
        .collect();
    let mut plain = v4_frag(1, 0, false, &payload[..100]);
    plain[6] = 0x40;

    let three_d = dec(&three);
    let shuffled_d = dec(&shuffled);
    let overlap_d = dec(&overlap);
    let plain_d = [decode(LinkType::RAW, &plain)];

    let mut df = Defragmenter::new(DefragConfig {
        policy: OverlapPolicy::Linux,
        ..DefragConfig::default()
    })
    .unwrap();
    assert_eq!(run(&mut df, &three_d), 4020);
    assert_eq!(run(&mut df, &shuffled_d), 4020);
    assert_eq!(run(&mut df, &overlap_d), 212);

    let mut g = c.benchmark_group("defrag");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ipv4_3_frags_in_order/datagram", |b| {
        b.iter(|| run(&mut df, black_box(&three_d)))
    });
    g.bench_function("ipv4_3_frags_shuffled/datagram", |b| {
        b.iter(|| run(&mut df, black_box(&shuffled_d)))
    });
    g.bench_function("ipv4_17_overlapping_frags/datagram", |b| {
        b.iter(|| run(&mut df, black_box(&overlap_d)))
    });
    g.bench_function("not_fragment/packet", |b| {
        b.iter(|| run(&mut df, black_box(&plain_d)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
