//! Per-packet decode cost (ns/packet) on three typical frames, next to etherparse's lax slicer on
//! the same bytes (the comparison the hand-written decoder is justified by).
//!
//! Run: `cargo bench -p sekimori-decode --bench decode -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use etherparse::{LaxSlicedPacket, PacketBuilder, TcpHeader};
use sekimori_capture::LinkType;
use sekimori_decode::{DecodeStats, decode, tcp_udp_checksum_valid};

/// TCP/IPv4 in Ethernet: ACK+PSH with timestamps and 200 bytes of payload.
fn tcp4_frame() -> Vec<u8> {
    let mut tcp = TcpHeader::new(40000, 80, 123456, 64240);
    tcp.ack = true;
    tcp.psh = true;
    tcp.acknowledgment_number = 99;
    tcp.set_options_raw(&[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2])
        .unwrap();
    let mut f = Vec::new();
    PacketBuilder::ethernet2([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12])
        .ipv4([192, 168, 1, 2], [10, 0, 0, 1], 64)
        .tcp_header(tcp)
        .write(&mut f, &[0x61; 200])
        .unwrap();
    f
}

/// TCP/IPv6 in Ethernet behind hop-by-hop (router alert) and destination-options (home address)
/// headers.
fn tcp6_ext_frame() -> Vec<u8> {
    let mut tcp = TcpHeader::new(50000, 443, 1, 1000);
    tcp.ack = true;
    let mut l4 = Vec::new();
    tcp.write(&mut l4).unwrap();
    l4.extend_from_slice(&[0x62; 200]);
    let mut payload = vec![60, 0, 5, 2, 0, 0, 0, 0]; // HBH: router alert + Pad1 x2
    // DST: home address option (mobile IPv6) + PadN(2).
    payload.extend_from_slice(&[6, 2, 0xc9, 16]);
    payload.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    payload.extend_from_slice(&[1, 2, 0, 0]);
    payload.extend_from_slice(&l4);
    let mut f = vec![7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 0x86, 0xdd];
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    f.extend_from_slice(&[0, 64]);
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    f.extend_from_slice(&payload);
    f
}

/// UDP/IPv4 behind an 802.1Q tag.
fn vlan_frame() -> Vec<u8> {
    let mut f = Vec::new();
    PacketBuilder::ethernet2([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12])
        .single_vlan(100.try_into().unwrap())
        .ipv4([192, 168, 1, 2], [10, 0, 0, 1], 64)
        .udp(5353, 53)
        .write(&mut f, &[0x63; 60])
        .unwrap();
    f
}

fn bench(c: &mut Criterion) {
    let frames = [
        ("tcp4", tcp4_frame()),
        ("tcp6_ext", tcp6_ext_frame()),
        ("vlan_udp4", vlan_frame()),
    ];
    // Sanity: every frame decodes cleanly before it is measured.
    for (name, f) in &frames {
        let d = decode(LinkType::ETHERNET, f);
        assert!(d.anomalies.is_empty(), "{name}: {:?}", d.anomalies);
        assert!(d.payload.len() >= 60, "{name}");
    }
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    for (name, f) in &frames {
        g.bench_function(format!("sekimori/{name}"), |b| {
            b.iter(|| decode(LinkType::ETHERNET, black_box(f)))
        });
        g.bench_function(format!("etherparse_lax/{name}"), |b| {
            b.iter(|| LaxSlicedPacket::from_ethernet(black_box(f)).map(|p| p.transport.is_some()))
        });
    }
    // What the engine does per packet: decode + stats + transport checksum.
    let f = &frames[0].1;
    let mut stats = DecodeStats::default();
    g.bench_function("sekimori/tcp4+stats+l4csum", |b| {
        b.iter(|| {
            let d = decode(LinkType::ETHERNET, black_box(f));
            stats.record(&d);
            tcp_udp_checksum_valid(&d)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
