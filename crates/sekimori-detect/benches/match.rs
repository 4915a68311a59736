//! Compile ET Open and measure matching throughput of a typical HTTP request (packet payload
//! plus the transaction's sticky buffers) against it.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_detect::{Buffers, DetectEngine, FlowFacts, PacketInfo, Scope, Scratch, TcpFacts};
use sekimori_rules::{AppProto, Buffer, Classifications, Vars, load_files};
use std::hint::black_box;
use std::time::Instant;

const ET: &str = "/work/shared/data/rules/et-open.rules";

fn bench(c: &mut Criterion) {
    if !std::path::Path::new(ET).exists() {
        eprintln!("{ET} missing; nothing to bench");
        return;
    }
    let set = load_files(&[ET], &Vars::suricata_defaults(), &Classifications::new());
    let t0 = Instant::now();
    let e = DetectEngine::new(&set);
    eprintln!(
        "compiled {} of {} ET Open rules in {:?}",
        e.len(),
        set.rules.len(),
        t0.elapsed()
    );
    let info = PacketInfo {
        ip_version: 4,
        ip_proto: 6,
        sport: 51000,
        dport: 80,
        src: sekimori_decode::Addr::v4([192, 168, 1, 10]),
        dst: sekimori_decode::Addr::v4([93, 184, 216, 34]),
        ttl: 64,
        tcp: Some(TcpFacts {
            flags: 0x18,
            ..TcpFacts::default()
        }),
        flow: Some(FlowFacts {
            direction: sekimori_flow::Direction::ToServer,
            established: true,
        }),
        app_proto: Some(AppProto::Http),
        ..PacketInfo::default()
    };
    let req: &[u8] = b"GET /images/logo.png?v=1.2.3 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\nAccept: image/avif,image/webp,*/*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nReferer: http://www.example.com/index.html\r\nCookie: session=abcdef0123456789\r\nConnection: keep-alive\r\n\r\n";
    let header: &[u8] = b"Host: www.example.com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\nAccept: image/avif,image/webp,*/*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nReferer: http://www.example.com/index.html\r\nCookie: session=abcdef0123456789\r\nConnection: keep-alive\r\n\r\n";
    let mut g = c.benchmark_group("et_open");
    g.throughput(Throughput::Bytes(req.len() as u64));
    let mut s = Scratch::new();
    g.bench_function("http_request_packet_plus_tx", |b| {
        b.iter(|| {
            let n1 = e.inspect(&info, &Buffers::packet(black_box(req)), None, &mut s).len();
            let mut tx = Buffers::new(Scope::Transaction);
            tx.packet = Some(req);
            tx.add(Buffer::HttpMethod, b"GET")
                .add(Buffer::HttpUri, b"/images/logo.png?v=1.2.3")
                .add(Buffer::HttpUriRaw, b"/images/logo.png?v=1.2.3")
                .add(Buffer::HttpHost, b"www.example.com")
                .add(Buffer::HttpUserAgent, b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36")
                .add(Buffer::HttpHeader, header)
                .add(Buffer::HttpHeaderRaw, header)
                .add(Buffer::HttpCookie, b"session=abcdef0123456789")
                .add(Buffer::HttpRequestLine, b"GET /images/logo.png?v=1.2.3 HTTP/1.1");
            let n2 = e.inspect(&info, &tx, None, &mut s).len();
            black_box(n1 + n2)
        })
    });
    g.finish();
    eprintln!("match stats: {:?}", s.stats);
}

criterion_group!(benches, bench);
criterion_main!(benches);
