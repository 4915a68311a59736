//! Compiling ET Open: time, coverage, and a smoke match of typical HTTP traffic.

use sekimori_detect::{Buffers, DetectEngine, FlowFacts, PacketInfo, Scope, Scratch, TcpFacts};
use sekimori_rules::{AppProto, Buffer, Classifications, Vars, load_files};
use std::path::Path;
use std::time::Instant;

const ET: &str = "/work/shared/data/rules/et-open.rules";

#[test]
fn compile_et_open() {
    if !Path::new(ET).exists() {
        eprintln!("skipping: {ET} missing");
        return;
    }
    let set = load_files(&[ET], &Vars::suricata_defaults(), &Classifications::new());
    let t0 = Instant::now();
    let e = DetectEngine::new(&set);
    let el = t0.elapsed();
    eprintln!(
        "ET Open: {} rules loaded, {} compiled, {} skipped, ip-only {}, prefiltered {}, always {}, patterns {}, compile {:?}",
        set.rules.len(),
        e.stats.compiled,
        e.stats.skipped,
        e.stats.ip_only,
        e.stats.prefiltered,
        e.stats.always,
        e.stats.patterns,
        el
    );
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for s in e.skipped() {
        *reasons.entry(s.reason.clone()).or_default() += 1;
    }
    let mut rv: Vec<_> = reasons.into_iter().collect();
    rv.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    for (r, n) in rv.iter().take(15) {
        eprintln!("  skipped {n:6} {r}");
    }
    let mut lists = e.always_lists();
    lists.sort_by_key(|l| std::cmp::Reverse(l.4));
    for l in lists.iter().take(8) {
        eprintln!("  always list {l:?}");
    }
    eprintln!("  flowbit-gated {}", e.stats.flowbit_gated);
    assert!(set.rules.len() > 20_000);
    // nearly all of ET Open is matchable
    assert!(e.stats.compiled as f64 > 0.95 * set.rules.len() as f64);
    // generous bound for unoptimized test builds; release compiles in a few seconds
    assert!(el.as_secs() < 120, "compile took {el:?}");

    // smoke: an ordinary HTTP request runs against the whole set without panicking
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
    let req = b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n";
    let mut s = Scratch::new();
    let _ = e.inspect(&info, &Buffers::packet(req), None, &mut s);
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::HttpMethod, b"GET")
        .add(Buffer::HttpUri, b"/index.html")
        .add(Buffer::HttpHost, b"www.example.com")
        .add(Buffer::HttpUserAgent, b"Mozilla/5.0");
    let _ = e.inspect(&info, &b, None, &mut s);
    // a known-bad user agent from ET Open should fire something
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::HttpMethod, b"GET")
        .add(Buffer::HttpUri, b"/")
        .add(Buffer::HttpUserAgent, b"sqlmap/1.4");
    let fired = e.inspect(&info, &b, None, &mut s).len();
    eprintln!("sqlmap UA fired {fired}");
    assert!(s.stats.evaluated > 0);
}
