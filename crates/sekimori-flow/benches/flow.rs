//! Flow table throughput: lookups per second over 100k live flows (hits, both directions), and
//! create/expire churn.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sekimori_capture::Timestamp;
use sekimori_decode::{Addr, Decoded, Ip, Ipv4Info, L4, TcpInfo, UdpInfo};
use sekimori_flow::{FlowConfig, FlowTable};

const FLOWS: usize = 100_000;

fn packets() -> Vec<Decoded<'static>> {
    let mut v = Vec::with_capacity(FLOWS * 2);
    for i in 0..FLOWS {
        let c = Addr::v4([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
        let s = Addr::v4([192, 168, 1, (i % 7) as u8]);
        let sport = 1024 + (i % 50_000) as u16;
        let ip = Some(Ip::V4(Ipv4Info {
            header_len: 20,
            ..Default::default()
        }));
        let (fwd, rev) = if i % 2 == 0 {
            (
                L4::Udp(UdpInfo {
                    sport,
                    dport: 53,
                    len: 40,
                }),
                L4::Udp(UdpInfo {
                    sport: 53,
                    dport: sport,
                    len: 80,
                }),
            )
        } else {
            (
                L4::Tcp(TcpInfo {
                    sport,
                    dport: 443,
                    flags: 0x10,
                    ..Default::default()
                }),
                L4::Tcp(TcpInfo {
                    sport: 443,
                    dport: sport,
                    flags: 0x18,
                    ..Default::default()
                }),
            )
        };
        v.push(Decoded {
            ip,
            src: c,
            dst: s,
            l4: fwd,
            ..Default::default()
        });
        v.push(Decoded {
            ip,
            src: s,
            dst: c,
            l4: rev,
            ..Default::default()
        });
    }
    v
}

fn bench(c: &mut Criterion) {
    let pkts = packets();
    let mut g = c.benchmark_group("flow");
    g.throughput(Throughput::Elements(pkts.len() as u64));
    // Steady state: every packet hits one of 100k live flows.
    let mut table: FlowTable<u64> = FlowTable::new(FlowConfig::default()).unwrap();
    let t0 = Timestamp::from_micros(1_700_000_000, 0);
    for p in &pkts {
        table.lookup(p, t0, 100);
    }
    assert_eq!(table.len(), FLOWS);
    // Packet time stays within the flows' timeouts, so every lookup is a hit; `expire` runs its
    // scan once and then takes its once-per-second early return, as it does per packet in practice.
    let now = Timestamp::from_micros(1_700_000_001, 0);
    g.bench_function("lookup_hit_100k_flows", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for p in &pkts {
                if let Some(h) = table.lookup(p, now, 100) {
                    h.flow.user += 1;
                    n += 1;
                }
                table.expire(now, |_| {});
            }
            n
        })
    });
    // Churn: create 100k flows in a fresh table, then drain them.
    g.bench_function("create_and_drain_100k_flows", |b| {
        b.iter_batched(
            || {
                FlowTable::<u64>::new(FlowConfig {
                    prealloc: FLOWS,
                    ..FlowConfig::default()
                })
                .unwrap()
            },
            |mut t| {
                for p in pkts.iter().step_by(2).chain(pkts.iter().skip(1).step_by(2)) {
                    t.lookup(p, t0, 100);
                }
                let mut ended = 0u64;
                t.drain(|_| ended += 1);
                ended
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
