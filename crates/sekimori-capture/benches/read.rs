//! Packets per second reading a generated pcap (one file, and two files merged).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_capture::{MultiFileSource, PacketSource, PcapFile};
use sekimori_fixtures::{Link, TcpSession, Trace, ep};

/// A trace of `sessions` HTTP-like TCP sessions with 40 KB responses (mixed packet sizes).
fn trace(sessions: u16) -> Trace {
    let mut t = Trace::new(Link::Ethernet);
    t.step_us(10);
    let body = vec![b'x'; 40_000];
    for i in 0..sessions {
        let client = ep(&format!("10.0.{}.{}:{}", i / 250, i % 250 + 1, 40_000 + i));
        let mut s = TcpSession::new(client, ep("192.168.1.1:80"));
        s.handshake(&mut t)
            .client(&mut t, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .server(&mut t, &body)
            .close(&mut t);
    }
    t
}

fn count(src: &mut impl PacketSource) -> (u64, u64) {
    let (mut n, mut bytes) = (0u64, 0u64);
    while let Ok(Some(p)) = src.next_packet() {
        n += 1;
        bytes += p.data.len() as u64;
        black_box(p.data.first());
    }
    (n, bytes)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.pcap");
    let b = dir.path().join("b.pcap");
    let t = trace(200);
    t.write_pcap(&a).expect("write");
    t.write_pcap(&b).expect("write"); // same content again: the merge sees many ties
    let packets = t.frames().len() as u64;

    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Elements(packets));
    g.bench_function("pcap_file", |bch| {
        bch.iter(|| {
            let mut f = PcapFile::open(&a).expect("open");
            assert_eq!(count(&mut f).0, packets);
        })
    });
    g.bench_function("multi_file_single_input", |bch| {
        bch.iter(|| {
            let mut m = MultiFileSource::open(&[&a]).expect("open");
            assert_eq!(count(&mut m).0, packets);
        })
    });
    g.throughput(Throughput::Elements(packets * 2));
    g.bench_function("multi_file_merge_2", |bch| {
        bch.iter(|| {
            let mut m = MultiFileSource::open(&[&a, &b]).expect("open");
            assert_eq!(count(&mut m).0, packets * 2);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
