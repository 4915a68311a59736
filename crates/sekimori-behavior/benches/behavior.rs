//! Flows per second through the behaviour layer (in-memory baseline): a synthetic day of 200
//! hosts browsing 3,000 sites with a few beacons, fed as ended flows in time order.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_behavior::{Behavior, BehaviorConfig, FlowSummary, HomeNet};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

struct Flow {
    t: i64,
    client: Addr,
    server: Addr,
    name: usize,
    out: u64,
    inn: u64,
}

fn rng(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn workload(n: usize) -> (Vec<String>, Vec<Flow>) {
    let names: Vec<String> = (0..3000)
        .map(|i| format!("www.site{i}.example.net"))
        .collect();
    let mut s = 42u64;
    let t0 = 1_711_929_600i64 + 8 * 3600;
    let mut flows: Vec<Flow> = (0..n)
        .map(|i| {
            let host = (rng(&mut s) % 200) as u8;
            // Zipf-ish choice of site.
            let r = (rng(&mut s) % 1_000_000) as f64 / 1_000_000.0;
            let name = ((r * r * r) * names.len() as f64) as usize;
            let beacon = i % 50 == 0;
            let name = if beacon {
                2999 - usize::from(host % 5)
            } else {
                name
            };
            Flow {
                t: t0 + (i as i64 * 10 * 3600) / n as i64,
                client: Addr::v4([10, 0, host, 1]),
                server: Addr::v4([52, (name >> 8) as u8, name as u8, 7]),
                name,
                out: 500 + rng(&mut s) % 5000,
                inn: 5000 + rng(&mut s) % 500_000,
            }
        })
        .collect();
    flows.sort_by_key(|f| f.t);
    (names, flows)
}

fn bench(c: &mut Criterion) {
    let n = 50_000;
    let (names, flows) = workload(n);
    let home = HomeNet::parse("10.0.0.0/8").unwrap_or_default();
    let mut g = c.benchmark_group("behavior");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("on_flow_50k", |b| {
        b.iter(|| {
            let mut beh = Behavior::new(BehaviorConfig::default(), home.clone()).expect("config");
            for f in &flows {
                beh.on_flow(&FlowSummary {
                    ts_start: Timestamp(f.t * 1_000_000_000),
                    ts_end: Timestamp((f.t + 1) * 1_000_000_000),
                    client: f.client,
                    server: f.server,
                    sport: 50_000,
                    dport: 443,
                    proto: 6,
                    app_proto: Some("tls"),
                    server_name: names.get(f.name).map(String::as_str),
                    bytes_to_server: f.out,
                    bytes_to_client: f.inn,
                    pkts_to_server: 5,
                    pkts_to_client: 9,
                    encrypted: true,
                    flow_id: 0,
                });
            }
            black_box(beh.drain_alerts().count())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
