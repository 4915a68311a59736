//! Reassembly throughput: a 1 MB client transfer in 1460-byte segments, in order and reordered,
//! with the server acknowledging every second segment (IDS mode, release on ACK).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_capture::Timestamp;
use sekimori_decode::{TcpInfo, tcp_flags};
use sekimori_flow::Direction;
use sekimori_stream::{StreamConfig, StreamEngine, StreamSink, TcpSession};

const TOTAL: usize = 1_000_000;
const MSS: usize = 1460;

struct Count(u64);
impl StreamSink for Count {
    fn on_data(&mut self, _dir: Direction, data: &[u8]) {
        self.0 += data.len() as u64;
    }
    fn on_gap(&mut self, _dir: Direction, _len: u64) {}
    fn on_close(&mut self, _dir: Direction) {}
}

fn hdr(seq: u32, ack: u32, flags: u8) -> TcpInfo {
    TcpInfo {
        seq,
        ack,
        flags,
        window: 65535,
        header_len: 20,
        ..TcpInfo::default()
    }
}

/// Segment offsets in send order; `reorder` swaps neighbours and delays every 8th segment.
fn schedule(reorder: bool) -> Vec<usize> {
    let mut v: Vec<usize> = (0..TOTAL).step_by(MSS).collect();
    if reorder {
        for i in (1..v.len()).step_by(2) {
            v.swap(i - 1, i);
        }
        let mut i = 0;
        while i + 4 < v.len() {
            v.swap(i, i + 4);
            i += 8;
        }
    }
    v
}

fn run(eng: &mut StreamEngine, order: &[usize], data: &[u8]) -> u64 {
    let mut sess = TcpSession::default();
    let mut sink = Count(0);
    let (c, s) = (1_000u32, 9_000u32);
    let win = |mut t: TcpInfo| {
        t.options.wscale = Some(7);
        t
    };
    eng.process(
        &mut sess,
        Direction::ToServer,
        Timestamp(1),
        &win(hdr(c, 0, tcp_flags::SYN)),
        &[],
        &mut sink,
    );
    eng.process(
        &mut sess,
        Direction::ToClient,
        Timestamp(2),
        &win(hdr(s, c + 1, tcp_flags::SYN | tcp_flags::ACK)),
        &[],
        &mut sink,
    );
    eng.process(
        &mut sess,
        Direction::ToServer,
        Timestamp(3),
        &hdr(c + 1, s + 1, tcp_flags::ACK),
        &[],
        &mut sink,
    );
    let mut hi = 0usize;
    let mut have = vec![false; order.len()];
    let mut prefix = 0usize;
    for (n, &off) in order.iter().enumerate() {
        let end = (off + MSS).min(TOTAL);
        let seq = c.wrapping_add(1).wrapping_add(off as u32);
        let t = hdr(seq, s + 1, tcp_flags::ACK | tcp_flags::PSH);
        eng.process(
            &mut sess,
            Direction::ToServer,
            Timestamp(4),
            &t,
            &data[off..end],
            &mut sink,
        );
        have[off / MSS] = true;
        while prefix < have.len() && have[prefix] {
            prefix += 1;
        }
        hi = (prefix * MSS).min(TOTAL);
        if n % 2 == 1 {
            let ack = c.wrapping_add(1).wrapping_add(hi as u32);
            eng.process(
                &mut sess,
                Direction::ToClient,
                Timestamp(5),
                &hdr(s + 1, ack, tcp_flags::ACK),
                &[],
                &mut sink,
            );
        }
    }
    let ack = c.wrapping_add(1).wrapping_add(hi as u32);
    eng.process(
        &mut sess,
        Direction::ToClient,
        Timestamp(6),
        &hdr(s + 1, ack, tcp_flags::ACK),
        &[],
        &mut sink,
    );
    eng.flush(&mut sess, &mut sink);
    sink.0
}

fn bench(c: &mut Criterion) {
    let data: Vec<u8> = (0..TOTAL).map(|i| (i * 31 % 251) as u8).collect();
    let cfg = StreamConfig {
        depth: 0,
        ..StreamConfig::default()
    };
    let mut g = c.benchmark_group("reassembly_1MB");
    g.throughput(Throughput::Bytes(TOTAL as u64));
    for (name, reorder) in [("in_order", false), ("reordered", true)] {
        let order = schedule(reorder);
        let mut eng = StreamEngine::new(cfg.clone());
        assert_eq!(run(&mut eng, &order, &data), TOTAL as u64);
        g.bench_function(name, |b| b.iter(|| black_box(run(&mut eng, &order, &data))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
