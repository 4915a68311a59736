//! Unit tests of the decoder (normal, edge and hostile inputs).

use super::*;
use crate::checksum::{icmp_checksum_valid, internet_checksum, tcp_udp_checksum_valid};
use crate::stats::DecodeStats;
use crate::types::tcp_flags;

// ---------------------------------------------------------------------------------------------
// Packet construction helpers (hand-built so that tests can craft malformed fields).

const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B: [u8; 6] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];
const V4_SRC: [u8; 4] = [192, 168, 1, 10];
const V4_DST: [u8; 4] = [10, 0, 0, 1];
const V6_SRC: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_DST: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&MAC_B);
    v.extend_from_slice(&MAC_A);
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Ethernet frame with VLAN tags (outermost first: (tpid, id)) then `ethertype` + payload.
fn eth_vlans(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&MAC_B);
    v.extend_from_slice(&MAC_A);
    for (i, &(tpid, id)) in tags.iter().enumerate() {
        if i == 0 {
            v.extend_from_slice(&tpid.to_be_bytes());
        }
        let next = tags.get(i + 1).map_or(ethertype, |t| t.0);
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(&next.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

struct V4 {
    options: Vec<u8>,
    proto: u8,
    id: u16,
    flags_frag: u16,
    ttl: u8,
    total_len: Option<u16>,
}

impl Default for V4 {
    fn default() -> Self {
        V4 {
            options: Vec::new(),
            proto: 6,
            id: 0x1234,
            flags_frag: 0x4000,
            ttl: 64,
            total_len: None,
        }
    }
}

fn ipv4_with(p: V4, payload: &[u8]) -> Vec<u8> {
    let hlen = 20 + p.options.len();
    assert!(
        hlen.is_multiple_of(4) && hlen <= 60,
        "test bug: options must pad to 4"
    );
    let total = p.total_len.unwrap_or((hlen + payload.len()) as u16);
    let mut v = vec![0x40 | (hlen / 4) as u8, 0];
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&p.id.to_be_bytes());
    v.extend_from_slice(&p.flags_frag.to_be_bytes());
    v.push(p.ttl);
    v.push(p.proto);
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&V4_SRC);
    v.extend_from_slice(&V4_DST);
    v.extend_from_slice(&p.options);
    let c = internet_checksum(&v);
    v[10..12].copy_from_slice(&c.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_with(
        V4 {
            proto,
            ..V4::default()
        },
        payload,
    )
}

fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0x00, 0x00, 0x00];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.push(next);
    v.push(64);
    v.extend_from_slice(&V6_SRC);
    v.extend_from_slice(&V6_DST);
    v.extend_from_slice(payload);
    v
}

/// An extension header (hop-by-hop / destination / routing style): next, len, body (padded by the
/// caller to a multiple of 8 with the first two bytes).
fn ext(next: u8, body: &[u8]) -> Vec<u8> {
    let total = body.len() + 2;
    assert!(
        total.is_multiple_of(8),
        "test bug: ext header must be a multiple of 8"
    );
    let mut v = vec![next, (total / 8 - 1) as u8];
    v.extend_from_slice(body);
    v
}

fn frag6(next: u8, offset: u16, mf: bool, id: u32) -> Vec<u8> {
    let mut v = vec![next, 0];
    v.extend_from_slice(&(offset | u16::from(mf)).to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v
}

fn tcp_seg(sport: u16, dport: u16, flags: u8, options: &[u8], payload: &[u8]) -> Vec<u8> {
    assert!(options.len().is_multiple_of(4));
    let hlen = 20 + options.len();
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&1000u32.to_be_bytes());
    v.extend_from_slice(&2000u32.to_be_bytes());
    v.push(((hlen / 4) as u8) << 4);
    v.push(flags);
    v.extend_from_slice(&8192u16.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(options);
    v.extend_from_slice(payload);
    v
}

fn udp_dgram(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

/// Fills the TCP/UDP checksum of an IPv4 or IPv6 packet starting at `ip`.
fn fix_l4_checksum(frame: &mut [u8], ip: usize) {
    let d = dec(LinkType::RAW, &frame[ip..]);
    let (at, proto) = match d.l4 {
        L4::Tcp(_) => (16, 6u8),
        L4::Udp(_) => (6, 17u8),
        L4::Icmpv4(_) => (2, 1u8),
        L4::Icmpv6(_) => (2, 58u8),
        _ => panic!("no l4"),
    };
    let l4 = ip + d.l4_offset as usize;
    let end = match d.ip.unwrap() {
        Ip::V4(h) => ip + h.total_len as usize,
        Ip::V6(h) => ip + 40 + h.payload_len as usize,
    };
    frame[l4 + at..l4 + at + 2].copy_from_slice(&[0, 0]);
    let mut pseudo = Vec::new();
    match d.ip.unwrap() {
        Ip::V4(_) if proto == 1 => {}
        Ip::V4(_) => {
            pseudo.extend_from_slice(&d.src.bytes[..4]);
            pseudo.extend_from_slice(&d.dst.bytes[..4]);
            pseudo.extend_from_slice(&[0, proto]);
            pseudo.extend_from_slice(&((end - l4) as u16).to_be_bytes());
        }
        Ip::V6(_) => {
            pseudo.extend_from_slice(&d.src.bytes);
            pseudo.extend_from_slice(&d.dst.bytes);
            pseudo.extend_from_slice(&((end - l4) as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, proto]);
        }
    }
    pseudo.extend_from_slice(&frame[l4..end]);
    let c = internet_checksum(&pseudo);
    frame[l4 + at..l4 + at + 2].copy_from_slice(&c.to_be_bytes());
}

/// Decodes a copy of `b` (leaked: test-only) so that the result outlives temporaries.
fn dec(lt: LinkType, b: &[u8]) -> Decoded<'static> {
    decode(lt, b.to_vec().leak())
}

fn anomalies(d: &Decoded<'_>) -> Vec<Anomaly> {
    d.anomalies.iter().collect()
}

fn tcp_of(d: &Decoded<'_>) -> TcpInfo {
    match d.l4 {
        L4::Tcp(t) => t,
        other => panic!("expected TCP, got {other:?} ({:?})", anomalies(d)),
    }
}

fn v4_of(d: &Decoded<'_>) -> Ipv4Info {
    match d.ip {
        Some(Ip::V4(h)) => h,
        other => panic!("expected IPv4, got {other:?}"),
    }
}

fn v6_of(d: &Decoded<'_>) -> Ipv6Info {
    match d.ip {
        Some(Ip::V6(h)) => h,
        other => panic!("expected IPv6, got {other:?}"),
    }
}

/// A typical TCP/IPv4 Ethernet frame: SYN with MSS, SACK-permitted, timestamps, NOP, wscale.
fn typical_tcp4_frame(payload: &[u8]) -> Vec<u8> {
    let opts = [
        2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7,
    ];
    let t = tcp_seg(40000, 80, tcp_flags::SYN | tcp_flags::ACK, &opts, payload);
    let mut f = eth(0x0800, &ipv4(6, &t));
    fix_l4_checksum(&mut f, 14);
    f
}

fn typical_tcp6_frame(payload: &[u8]) -> Vec<u8> {
    let opts = [2, 4, 0x05, 0xa0, 1, 1, 4, 2];
    let t = tcp_seg(50000, 443, tcp_flags::ACK | tcp_flags::PSH, &opts, payload);
    let mut f = eth(0x86dd, &ipv6(6, &t));
    fix_l4_checksum(&mut f, 14);
    f
}

/// Small deterministic PRNG (xorshift64*) for permutation and fuzz-style tests.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Normal packets

#[test]
fn tcp_ipv4_ethernet_fields() {
    let f = typical_tcp4_frame(b"hello");
    let d = dec(LinkType::ETHERNET, &f);
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    let h = v4_of(&d);
    assert_eq!(h.header_len, 20);
    assert_eq!(h.total_len as usize, f.len() - 14);
    assert_eq!(h.id, 0x1234);
    assert!(h.df && !h.mf);
    assert_eq!(h.ttl, 64);
    assert_eq!(h.proto, 6);
    assert!(!h.bad_checksum);
    assert_eq!(d.l3_offset, 14);
    assert_eq!(d.src, Addr::v4(V4_SRC));
    assert_eq!(d.dst, Addr::v4(V4_DST));
    assert_eq!(d.l4_offset, 34);
    let t = tcp_of(&d);
    assert_eq!((t.sport, t.dport, t.seq, t.ack), (40000, 80, 1000, 2000));
    assert_eq!(t.header_len, 40);
    assert_eq!(t.flags, tcp_flags::SYN | tcp_flags::ACK);
    assert_eq!(t.window, 8192);
    assert_eq!(t.options.mss, Some(1460));
    assert_eq!(t.options.wscale, Some(7));
    assert!(t.options.sack_permitted);
    assert_eq!(t.options.timestamps, Some((1, 2)));
    assert_eq!(d.payload, b"hello");
    assert_eq!(d.ports(), (40000, 80));
    assert_eq!(d.ip_proto(), Some(6));
    assert!(!d.is_fragment());
    assert_eq!(tcp_udp_checksum_valid(&d), Some(true));
}

#[test]
fn tcp_ipv6_ethernet_fields() {
    let f = typical_tcp6_frame(b"data!");
    let d = dec(LinkType::ETHERNET, &f);
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    let h = v6_of(&d);
    assert_eq!(h.payload_len as usize, f.len() - 54);
    assert_eq!(h.proto, 6);
    assert_eq!(h.header_len, 40);
    assert_eq!(h.hop_limit, 64);
    assert_eq!(h.frag, None);
    assert_eq!(d.src, Addr::v6(V6_SRC));
    assert_eq!(d.l4_offset, 54);
    let t = tcp_of(&d);
    assert_eq!((t.sport, t.dport), (50000, 443));
    assert_eq!(t.options.mss, Some(1440));
    assert!(t.options.sack_permitted);
    assert_eq!(d.payload, b"data!");
    assert_eq!(tcp_udp_checksum_valid(&d), Some(true));
}

#[test]
fn ipv6_traffic_class_and_flow_label() {
    let mut p = ipv6(59, &[]);
    p[0] = 0x6a; // tc high nibble 0xa
    p[1] = 0xbc; // tc low nibble 0xb, flow label high nibble 0xc
    p[2] = 0xde;
    p[3] = 0xf0;
    let d = dec(LinkType::RAW, &p);
    let h = v6_of(&d);
    assert_eq!(h.traffic_class, 0xab);
    assert_eq!(h.flow_label, 0xcdef0);
    assert_eq!(d.l4, L4::Other(59));
    assert!(d.anomalies.is_empty());
}

#[test]
fn udp_ipv4_and_ipv6() {
    let mut f = eth(0x0800, &ipv4(17, &udp_dgram(5353, 53, b"query")));
    fix_l4_checksum(&mut f, 14);
    let d = dec(LinkType::ETHERNET, &f);
    assert!(d.anomalies.is_empty());
    assert_eq!(
        d.l4,
        L4::Udp(UdpInfo {
            sport: 5353,
            dport: 53,
            len: 13
        })
    );
    assert_eq!(d.payload, b"query");
    assert_eq!(tcp_udp_checksum_valid(&d), Some(true));

    let mut f6 = eth(0x86dd, &ipv6(17, &udp_dgram(1000, 2000, b"abc")));
    fix_l4_checksum(&mut f6, 14);
    let d6 = dec(LinkType::ETHERNET, &f6);
    assert!(d6.anomalies.is_empty());
    assert_eq!(d6.ports(), (1000, 2000));
    assert_eq!(d6.payload, b"abc");
    assert_eq!(tcp_udp_checksum_valid(&d6), Some(true));
}

#[test]
fn udp_shorter_than_ip_payload_keeps_udp_length() {
    // UDP says 8+2 bytes, IP carries 4 more: payload is the UDP data only, no anomaly (Suricata).
    let mut u = udp_dgram(1, 2, b"hi");
    u.extend_from_slice(b"junk");
    let f = eth(0x0800, &ipv4(17, &u));
    let d = dec(LinkType::ETHERNET, &f);
    assert!(d.anomalies.is_empty());
    assert_eq!(d.payload, b"hi");
}

#[test]
fn ethernet_padding_is_trimmed() {
    // A bare ACK is 54 bytes; Ethernet pads to 60. The 6 pad bytes must not become payload.
    let mut f = typical_tcp4_frame(b"");
    let unpadded = f.len();
    f.resize(unpadded.max(60) + 6, 0xee);
    let d = dec(LinkType::ETHERNET, &f);
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    assert!(d.payload.is_empty(), "padding leaked: {:?}", d.payload);
    assert_eq!(tcp_udp_checksum_valid(&d), Some(true));

    let mut f = eth(0x0800, &ipv4(17, &udp_dgram(7, 9, b"x")));
    f.resize(60, 0);
    let d = dec(LinkType::ETHERNET, &f);
    assert_eq!(d.payload, b"x");

    let mut f = eth(0x86dd, &ipv6(6, &tcp_seg(1, 2, tcp_flags::ACK, &[], b"")));
    f.resize(f.len() + 10, 0xaa);
    let d = dec(LinkType::ETHERNET, &f);
    assert!(d.payload.is_empty());
    assert!(d.anomalies.is_empty());

    // Same for an unknown protocol: the IP payload stops at the total length.
    let mut f = eth(0x0800, &ipv4(89, b"ospf"));
    f.resize(60, 0);
    let d = dec(LinkType::ETHERNET, &f);
    assert_eq!(d.l4, L4::Other(89));
    assert_eq!(d.payload, b"ospf");
}

#[test]
fn non_ip_ethertypes_have_no_ip_and_no_anomaly() {
    for et in [
        0x0806u16, 0x8863, 0x88cc, /* LLDP */
        0x0042, /* 802.3 length */
        0x8847,
    ] {
        let d = dec(LinkType::ETHERNET, &eth(et, &[0u8; 46]));
        assert!(d.ip.is_none(), "ethertype {et:#x}");
        assert!(
            d.anomalies.is_empty(),
            "ethertype {et:#x}: {:?}",
            anomalies(&d)
        );
        assert_eq!(d.l4, L4::None);
    }
}

// ---------------------------------------------------------------------------------------------
// Link types

#[test]
fn every_link_type() {
    let ip4 = ipv4(17, &udp_dgram(10, 20, b"v4"));
    let ip6 = ipv6(17, &udp_dgram(30, 40, b"v6"));
    let check = |lt: LinkType, frame: &[u8], v6: bool| {
        let d = dec(lt, frame);
        assert!(d.anomalies.is_empty(), "{lt:?}: {:?}", anomalies(&d));
        if v6 {
            v6_of(&d);
            assert_eq!(d.payload, b"v6", "{lt:?}");
        } else {
            v4_of(&d);
            assert_eq!(d.payload, b"v4", "{lt:?}");
        }
    };
    // Ethernet.
    check(LinkType::ETHERNET, &eth(0x0800, &ip4), false);
    check(LinkType::ETHERNET, &eth(0x86dd, &ip6), true);
    // Raw IP, all three values, by version nibble.
    for lt in [LinkType::RAW, LinkType::RAW_ALT12, LinkType::RAW_ALT14] {
        check(lt, &ip4, false);
        check(lt, &ip6, true);
    }
    check(LinkType::IPV4, &ip4, false);
    check(LinkType::IPV6, &ip6, true);
    // Linux SLL: 16-byte header, protocol at 14.
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0];
    sll.extend_from_slice(&0x0800u16.to_be_bytes());
    sll.extend_from_slice(&ip4);
    check(LinkType::LINUX_SLL, &sll, false);
    // Linux SLL2: 20-byte header, protocol first.
    let mut sll2 = 0x86ddu16.to_be_bytes().to_vec();
    sll2.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
    sll2.extend_from_slice(&ip6);
    assert_eq!(sll2.len() - ip6.len(), 20);
    check(LinkType::LINUX_SLL2, &sll2, true);
    // NULL: host order, both byte orders accepted; every AF_INET6 value.
    for hdr in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
        check(LinkType::NULL, &[&hdr[..], &ip4].concat(), false);
    }
    for af in [24u32, 28, 30, 10, 23, 26] {
        check(
            LinkType::NULL,
            &[&af.to_le_bytes()[..], &ip6].concat(),
            true,
        );
        check(
            LinkType::NULL,
            &[&af.to_be_bytes()[..], &ip6].concat(),
            true,
        );
    }
    // LOOP: network order (and tolerant of host order).
    check(
        LinkType::LOOP,
        &[&2u32.to_be_bytes()[..], &ip4].concat(),
        false,
    );
    check(
        LinkType::LOOP,
        &[&24u32.to_be_bytes()[..], &ip6].concat(),
        true,
    );
    check(
        LinkType::LOOP,
        &[&30u32.to_le_bytes()[..], &ip6].concat(),
        true,
    );
}

#[test]
fn link_type_errors() {
    let d = dec(LinkType(147), &[1, 2, 3]);
    assert_eq!(anomalies(&d), [Anomaly::UnsupportedLinkType]);
    assert!(d.ip.is_none());

    let d = dec(
        LinkType::NULL,
        &[&7u32.to_le_bytes()[..], &ipv4(6, &[])].concat(),
    );
    assert_eq!(anomalies(&d), [Anomaly::NullUnsupportedType]);
    let d = dec(LinkType::NULL, &[2, 0, 0]);
    assert_eq!(anomalies(&d), [Anomaly::NullPktTooSmall]);
    let d = dec(LinkType::LOOP, &[]);
    assert_eq!(anomalies(&d), [Anomaly::NullPktTooSmall]);

    let d = dec(LinkType::LINUX_SLL, &[0u8; 15]);
    assert_eq!(anomalies(&d), [Anomaly::SllPktTooSmall]);
    let d = dec(LinkType::LINUX_SLL2, &[0u8; 19]);
    assert_eq!(anomalies(&d), [Anomaly::Sll2PktTooSmall]);

    let d = dec(LinkType::ETHERNET, &[0u8; 13]);
    assert_eq!(anomalies(&d), [Anomaly::EthernetPktTooSmall]);

    let mut bad = ipv4(6, &[0u8; 20]);
    bad[0] = 0x55;
    let d = dec(LinkType::RAW, &bad);
    assert_eq!(anomalies(&d), [Anomaly::IpRawInvalidIpVersion]);
    let d = dec(LinkType::RAW, &[0x45; 19]);
    assert_eq!(anomalies(&d), [Anomaly::Ipv4PktTooSmall]);
    // The IPv4-only link type checks the version itself.
    let d = dec(LinkType::IPV4, &ipv6(59, &[]));
    assert_eq!(anomalies(&d), [Anomaly::Ipv4WrongIpVer]);
    let d = dec(LinkType::IPV6, &ipv4(6, &[0u8; 10]));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6PktTooSmall]);
    let d = dec(LinkType::IPV6, &ipv4(6, &[0u8; 40]));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6WrongIpVer]);
}

// ---------------------------------------------------------------------------------------------
// VLAN, QinQ, PPPoE

#[test]
fn vlan_single_qinq_and_three_tags() {
    let ip = ipv4(17, &udp_dgram(1, 2, b"v"));
    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(&[(0x8100, 100)], 0x0800, &ip),
    );
    assert!(d.anomalies.is_empty());
    assert_eq!(d.vlans(), &[100]);
    assert_eq!(d.l3_offset, 18);
    assert_eq!(d.payload, b"v");

    // 802.1ad outer + 802.1Q inner; priority bits must be masked off.
    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(
            &[(0x88a8, 0xe000 | 10), (0x8100, 20)],
            0x86dd,
            &ipv6(59, &[]),
        ),
    );
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    assert_eq!(d.vlans(), &[10, 20]);
    assert_eq!(d.l3_offset, 22);
    v6_of(&d);

    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(&[(0x9100, 1), (0x88a8, 2), (0x8100, 3)], 0x0800, &ip),
    );
    assert!(d.anomalies.is_empty());
    assert_eq!(d.vlans(), &[1, 2, 3]);
    assert_eq!(d.payload, b"v");

    // Four tags: too many layers, no IP.
    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(
            &[(0x8100, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4)],
            0x0800,
            &ip,
        ),
    );
    assert_eq!(anomalies(&d), [Anomaly::VlanTooManyLayers]);
    assert_eq!(d.vlans(), &[1, 2, 3]);
    assert!(d.ip.is_none());
}

#[test]
fn vlan_errors_and_non_ip_inner() {
    // Truncated tag.
    let mut f = eth(0x8100, &[0, 5]);
    let d = dec(LinkType::ETHERNET, &f);
    assert_eq!(anomalies(&d), [Anomaly::VlanHeaderTooSmall]);
    f.truncate(14);
    let d = dec(LinkType::ETHERNET, &f);
    assert_eq!(anomalies(&d), [Anomaly::VlanHeaderTooSmall]);
    // ARP behind a tag: fine.
    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(&[(0x8100, 7)], 0x0806, &[0u8; 28]),
    );
    assert!(d.anomalies.is_empty());
    assert_eq!(d.vlans(), &[7]);
    // Unknown type behind a tag: Suricata's vlan.unknown_type.
    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(&[(0x8100, 7)], 0x1234, &[0u8; 28]),
    );
    assert_eq!(anomalies(&d), [Anomaly::VlanUnknownType]);
    // 802.3 length inside VLAN (PVST+) counts as unknown for Suricata too.
    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(&[(0x8100, 7)], 0x0030, &[0u8; 48]),
    );
    assert_eq!(anomalies(&d), [Anomaly::VlanUnknownType]);
}

fn pppoe(proto: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x11, 0x00, 0x12, 0x34];
    v.extend_from_slice(&((proto.len() + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(proto);
    v.extend_from_slice(payload);
    v
}

#[test]
fn pppoe_session() {
    let ip = ipv4(17, &udp_dgram(1, 2, b"ppp"));
    let d = dec(LinkType::ETHERNET, &eth(0x8864, &pppoe(&[0x00, 0x21], &ip)));
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    assert_eq!(d.l3_offset, 22);
    assert_eq!(d.payload, b"ppp");
    // Protocol-field compression (one byte).
    let d = dec(LinkType::ETHERNET, &eth(0x8864, &pppoe(&[0x21], &ip)));
    assert_eq!(d.l3_offset, 21);
    assert_eq!(d.payload, b"ppp");
    // IPv6, behind a VLAN tag.
    let d = dec(
        LinkType::ETHERNET,
        &eth_vlans(
            &[(0x8100, 9)],
            0x8864,
            &pppoe(&[0x00, 0x57], &ipv6(17, &udp_dgram(3, 4, b"six"))),
        ),
    );
    assert!(d.anomalies.is_empty());
    assert_eq!(d.payload, b"six");
    // LCP: known, not decoded.
    let d = dec(
        LinkType::ETHERNET,
        &eth(0x8864, &pppoe(&[0xc0, 0x21], &[9, 1, 0, 4])),
    );
    assert_eq!(anomalies(&d), [Anomaly::PppUnsupProto]);
    // Garbage protocol.
    let d = dec(
        LinkType::ETHERNET,
        &eth(0x8864, &pppoe(&[0x12, 0x34], &[0; 4])),
    );
    assert_eq!(anomalies(&d), [Anomaly::PppWrongType]);
    // Too small for PPPoE, and for the IP it announces.
    let d = dec(LinkType::ETHERNET, &eth(0x8864, &[0x11, 0, 0, 1, 0]));
    assert_eq!(anomalies(&d), [Anomaly::PppoePktTooSmall]);
    let d = dec(
        LinkType::ETHERNET,
        &eth(0x8864, &pppoe(&[0x00, 0x21], &[0x45; 10])),
    );
    assert_eq!(anomalies(&d), [Anomaly::PppIp4PktTooSmall]);
    let d = dec(
        LinkType::ETHERNET,
        &eth(0x8864, &pppoe(&[0x00, 0x57], &[0x60; 30])),
    );
    assert_eq!(anomalies(&d), [Anomaly::PppIp6PktTooSmall]);
}

// ---------------------------------------------------------------------------------------------
// IPv4 header and options

#[test]
fn ipv4_header_errors() {
    let good = ipv4(6, &tcp_seg(1, 2, 0, &[], b""));
    let mut p = good.clone();
    p[0] = 0x44; // IHL 4 words
    assert_eq!(
        anomalies(&dec(LinkType::IPV4, &p)),
        [Anomaly::Ipv4HlenTooSmall]
    );
    let mut p = good.clone();
    p[2..4].copy_from_slice(&19u16.to_be_bytes());
    let d = dec(LinkType::IPV4, &p);
    assert_eq!(anomalies(&d), [Anomaly::Ipv4IplenSmallerThanHlen]);
    assert!(d.ip.is_none());
    let mut p = good.clone();
    p[0] = 0x46; // claims options that are the TCP header
    p[2..4].copy_from_slice(&22u16.to_be_bytes());
    let d = dec(LinkType::IPV4, &p);
    assert_eq!(anomalies(&d), [Anomaly::Ipv4IplenSmallerThanHlen]);
    // Bad checksum: flagged in the header, no anomaly (Suricata has no event either).
    let mut p = good.clone();
    p[8] = 1; // ttl changed without fixing the checksum
    let d = dec(LinkType::IPV4, &p);
    assert!(v4_of(&d).bad_checksum);
    assert!(d.anomalies.is_empty());
    assert!(!v4_of(&dec(LinkType::IPV4, &good)).bad_checksum);
}

fn v4_opts(options: &[u8]) -> Vec<Anomaly> {
    let p = ipv4_with(
        V4 {
            options: options.to_vec(),
            ..V4::default()
        },
        &tcp_seg(1, 2, 0, &[], b"x"),
    );
    let d = dec(LinkType::IPV4, &p);
    let h = v4_of(&d);
    assert_eq!(h.header_len as usize, 20 + options.len());
    assert!(!h.bad_checksum);
    // Options never stop the transport decoding.
    assert_eq!(tcp_of(&d).sport, 1);
    assert_eq!(d.payload, b"x");
    anomalies(&d)
}

#[test]
fn ipv4_options() {
    // Record route with room for one address, pointer 4, then EOL + padding to 8.
    assert_eq!(v4_opts(&[7, 7, 4, 0, 0, 0, 0, 0]), []);
    // Router alert + NOPs (8 bytes).
    assert_eq!(v4_opts(&[0x94, 4, 0, 0, 1, 1, 1, 0]), []);
    // Timestamp (flag 1: addr+ts), pointer 5, two 8-byte records... 20 bytes + pad to 24.
    let mut ts = vec![0x44, 20, 5, 1];
    ts.extend_from_slice(&[0; 16]);
    ts.extend_from_slice(&[0; 4]);
    assert_eq!(v4_opts(&ts), []);
    // CIPSO: DOI + tag 1 (len 4, alignment 0, level) + pad.
    assert_eq!(
        v4_opts(&[0x86, 10, 0, 0, 0, 1, 1, 4, 0, 3, 0, 0, 0, 0, 0, 0]),
        []
    );
    // Pad required: 4 bytes of options are legal IP but not a multiple of 8 (Suricata's check).
    assert_eq!(v4_opts(&[1, 1, 1, 0]), [Anomaly::Ipv4OptPadRequired]);
    // Duplicate router alert.
    assert_eq!(
        v4_opts(&[0x94, 4, 0, 0, 0x94, 4, 0, 0]),
        [Anomaly::Ipv4OptDuplicate]
    );
    // Unknown option kind: opt_invalid, and parsing goes on (next is a broken RR).
    assert_eq!(
        v4_opts(&[0x9e, 4, 0, 0, 7, 3, 9, 0]),
        [Anomaly::Ipv4OptInvalid, Anomaly::Ipv4OptMalformed]
    );
    // Length running past the options.
    assert_eq!(
        v4_opts(&[7, 9, 4, 0, 0, 0, 0, 0]),
        [Anomaly::Ipv4OptInvalidLen]
    );
    // Length 0 / 1.
    assert_eq!(
        v4_opts(&[7, 1, 4, 0, 0, 0, 0, 0]),
        [Anomaly::Ipv4OptInvalidLen]
    );
    // Stream id of wrong length.
    assert_eq!(
        v4_opts(&[0x88, 3, 0, 1, 0, 0, 0, 0]),
        [Anomaly::Ipv4OptInvalidLen]
    );
    // RR pointer not a multiple of 4.
    assert_eq!(
        v4_opts(&[7, 7, 5, 0, 0, 0, 0, 0]),
        [Anomaly::Ipv4OptMalformed]
    );
    // Timestamp pointer below 5.
    assert_eq!(
        v4_opts(&[0x44, 8, 4, 0, 0, 0, 0, 0]),
        [Anomaly::Ipv4OptMalformed]
    );
    // Multi-byte option kind in the last byte: EOL required.
    assert_eq!(
        v4_opts(&[1, 1, 1, 1, 1, 1, 1, 7]),
        [Anomaly::Ipv4OptEolRequired]
    );
    // CIPSO with tag type 0 (reserved).
    assert_eq!(
        v4_opts(&[0x86, 10, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]),
        [Anomaly::Ipv4OptMalformed]
    );
    // 40 bytes of options (maximum).
    let mut max = vec![1u8; 39];
    max.push(0);
    assert_eq!(v4_opts(&max), []);
}

// ---------------------------------------------------------------------------------------------
// IPv6 extension headers

#[test]
fn ipv6_extension_header_chain() {
    // HBH (router alert + PadN) -> DST (PadN only... plus unknown option) -> Routing type 2 -> TCP.
    let hbh = ext(60, &[5, 2, 0, 0, 0, 0]);
    let dst = ext(43, &[0x1e, 4, 0, 0, 0, 0]); // unknown option 0x1e
    let mut rt_body = vec![2, 0, 0, 0, 0, 0];
    rt_body.extend_from_slice(&[0u8; 16]);
    let rt = ext(6, &rt_body);
    let t = tcp_seg(123, 456, tcp_flags::SYN, &[], b"p");
    let payload = [hbh.clone(), dst.clone(), rt.clone(), t].concat();
    let d = dec(LinkType::RAW, &ipv6(0, &payload));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6DstoptsUnknownOpt]);
    let h = v6_of(&d);
    assert_eq!(h.proto, 6);
    assert_eq!(h.header_len as usize, 40 + hbh.len() + dst.len() + rt.len());
    assert_eq!(d.l4_offset, h.header_len);
    assert_eq!(tcp_of(&d).dport, 456);
    assert_eq!(d.payload, b"p");

    // AH (len field 4 → 24 bytes) then UDP.
    let mut ah = vec![17, 4, 0, 0];
    ah.extend_from_slice(&[0u8; 20]);
    let d = dec(
        LinkType::RAW,
        &ipv6(51, &[ah, udp_dgram(1, 2, b"ah")].concat()),
    );
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    assert_eq!(v6_of(&d).header_len, 64);
    assert_eq!(d.payload, b"ah");

    // ESP stops decoding.
    let d = dec(
        LinkType::RAW,
        &ipv6(0, &[ext(50, &[1, 4, 0, 0, 0, 0]), vec![0xaa; 16]].concat()),
    );
    assert_eq!(d.l4, L4::Other(50));
    assert_eq!(v6_of(&d).proto, 50);
    assert_eq!(d.payload, &[0xaa; 16]);
    assert_eq!(anomalies(&d), [Anomaly::Ipv6HopoptsOnlyPadding]);

    // No next header with trailing data.
    let d = dec(LinkType::RAW, &ipv6(59, b"xx"));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6DataAfterNoneHeader]);
    assert_eq!(d.l4, L4::Other(59));
}

#[test]
fn ipv6_extension_header_events() {
    let t = tcp_seg(1, 2, 0, &[], b"");
    let ra = ext(0, &[5, 2, 0, 0, 0, 0]);
    // Duplicate hop-by-hop (second one skipped, TCP still decoded).
    let d = dec(
        LinkType::RAW,
        &ipv6(
            0,
            &[ra.clone(), ext(6, &[5, 2, 0, 0, 0, 0]), t.clone()].concat(),
        ),
    );
    assert_eq!(anomalies(&d), [Anomaly::Ipv6ExthdrDuplHh]);
    tcp_of(&d);
    // Only padding; zero-length PadN.
    let d = dec(
        LinkType::RAW,
        &ipv6(60, &[ext(6, &[1, 4, 0, 0, 0, 0]), t.clone()].concat()),
    );
    assert_eq!(anomalies(&d), [Anomaly::Ipv6DstoptsOnlyPadding]);
    let d = dec(
        LinkType::RAW,
        &ipv6(0, &[ext(6, &[1, 0, 1, 2, 0, 0]), t.clone()].concat()),
    );
    assert_eq!(
        anomalies(&d),
        [Anomaly::Ipv6ZeroLenPadn, Anomaly::Ipv6HopoptsOnlyPadding]
    );
    // Option running past its header.
    let d = dec(
        LinkType::RAW,
        &ipv6(0, &[ext(6, &[5, 9, 0, 0, 0, 0]), t.clone()].concat()),
    );
    assert_eq!(anomalies(&d), [Anomaly::Ipv6ExthdrInvalidOptlen]);
    // Routing header type 0.
    let d = dec(
        LinkType::RAW,
        &ipv6(43, &[ext(6, &[0, 0, 0, 0, 0, 0]), t.clone()].concat()),
    );
    assert_eq!(anomalies(&d), [Anomaly::Ipv6RhType0]);
    // Extension header longer than the payload.
    let d = dec(LinkType::RAW, &ipv6(0, &[0, 5, 0, 0, 0, 0, 0, 0]));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6TruncExthdr]);
    assert_eq!(d.l4, L4::None);
    let d = dec(LinkType::RAW, &ipv6(60, &[6]));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6TruncExthdr]);
    // Unknown next header.
    let d = dec(LinkType::RAW, &ipv6(253, b"zz"));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6UnknownNextHeader]);
    assert_eq!(d.l4, L4::Other(253));
    // ICMPv4 over IPv6.
    let d = dec(LinkType::RAW, &ipv6(1, &[8, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6WithIcmpv4]);
    // AH with non-zero reserved field, twice.
    let mut ah = vec![51, 1, 0, 1];
    ah.extend_from_slice(&[0u8; 8]);
    let mut ah2 = vec![59, 1, 0, 0];
    ah2.extend_from_slice(&[0u8; 8]);
    let d = dec(LinkType::RAW, &ipv6(51, &[ah, ah2].concat()));
    assert_eq!(
        anomalies(&d),
        [Anomaly::Ipv6ExthdrAhResNotNull, Anomaly::Ipv6ExthdrDuplAh]
    );
    // GRE, SCTP, IPIP: other, no anomaly.
    for p in [47u8, 132, 4, 41] {
        let d = dec(LinkType::RAW, &ipv6(p, &[0u8; 20]));
        assert!(d.anomalies.is_empty(), "proto {p}");
        assert_eq!(d.l4, L4::Other(p));
    }
}

#[test]
fn ipv6_fragments() {
    let hbh = ext(60, &[5, 2, 0, 0, 0, 0]);
    let dst = ext(44, &[5, 2, 0, 0, 0, 0]); // router alert in dst opts is unusual but valid-length
    // First fragment after HBH + DST: payload = everything after the fragment header.
    let data = tcp_seg(5, 6, 0, &[], &[0x41; 12]); // 32 bytes
    let p = ipv6(
        0,
        &[
            hbh.clone(),
            dst.clone(),
            frag6(6, 0, true, 0xdeadbeef),
            data.clone(),
        ]
        .concat(),
    );
    let d = dec(LinkType::RAW, &p);
    assert_eq!(anomalies(&d), [], "{:?}", anomalies(&d));
    let h = v6_of(&d);
    let f = h.frag.expect("frag header");
    assert_eq!(
        (f.offset, f.mf, f.id, f.next_header),
        (0, true, 0xdeadbeef, 6)
    );
    assert_eq!(f.header_offset as usize, 40 + 16);
    assert_eq!(h.proto, 6);
    assert_eq!(h.header_len as usize, 40 + 16 + 8);
    assert_eq!(d.l4, L4::None);
    assert_eq!(d.payload, &data[..]);
    assert!(d.is_fragment());
    // Non-first, last.
    let p = ipv6(44, &[frag6(6, 32, false, 7), b"tail".to_vec()].concat());
    let d = dec(LinkType::RAW, &p);
    assert!(d.anomalies.is_empty());
    assert_eq!(v6_of(&d).frag.unwrap().offset, 32);
    assert_eq!(d.payload, b"tail");
    assert!(d.is_fragment());
    // Non-last fragment with a length that is not a multiple of 8.
    let p = ipv6(44, &[frag6(17, 8, true, 7), b"odd".to_vec()].concat());
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &p)),
        [Anomaly::Ipv6FragInvalidLength]
    );
    // Atomic fragment: decoded through, flagged as useless.
    let p = ipv6(
        44,
        &[frag6(17, 0, false, 9), udp_dgram(7, 8, b"atomic")].concat(),
    );
    let d = dec(LinkType::RAW, &p);
    assert_eq!(anomalies(&d), [Anomaly::Ipv6ExthdrUselessFh]);
    assert!(!d.is_fragment());
    assert_eq!(d.payload, b"atomic");
    assert_eq!(v6_of(&d).header_len, 48);
    // Reserved byte set.
    let mut fh = frag6(17, 8, false, 1);
    fh[1] = 3;
    let d = dec(LinkType::RAW, &ipv6(44, &[fh, b"x".to_vec()].concat()));
    assert_eq!(anomalies(&d), [Anomaly::Ipv6FhNonZeroReservedField]);
}

#[test]
fn ipv4_fragments() {
    let first = ipv4_with(
        V4 {
            proto: 17,
            flags_frag: 0x2000,
            ..V4::default()
        },
        &udp_dgram(1, 2, &[7; 16]),
    );
    let d = dec(LinkType::IPV4, &first);
    assert!(d.anomalies.is_empty());
    assert!(d.is_fragment());
    assert_eq!(d.l4, L4::None);
    assert_eq!(
        d.payload.len(),
        24,
        "first fragment payload is the whole IP payload"
    );
    let h = v4_of(&d);
    assert!(h.mf && h.frag_offset == 0 && !h.df);

    let later = ipv4_with(
        V4 {
            proto: 17,
            flags_frag: 3,
            ..V4::default()
        },
        b"rest",
    );
    let d = dec(LinkType::IPV4, &later);
    assert!(d.is_fragment());
    assert_eq!(v4_of(&d).frag_offset, 24);
    assert_eq!(d.payload, b"rest");
    assert_eq!(tcp_udp_checksum_valid(&d), None);
}

// ---------------------------------------------------------------------------------------------
// Truncation at every offset

/// Decodes every prefix of `frame`; `expect(prefix_len, &decoded)` checks each result.
fn every_prefix(frame: &[u8], lt: LinkType, mut expect: impl FnMut(usize, &Decoded<'_>)) {
    for n in 0..=frame.len() {
        let d = dec(lt, &frame[..n]);
        expect(n, &d);
    }
}

#[test]
fn truncated_tcp_ipv4_every_offset() {
    let f = typical_tcp4_frame(b"0123456789");
    let full = f.len();
    every_prefix(&f, LinkType::ETHERNET, |n, d| {
        let a = anomalies(d);
        if n < 14 {
            assert_eq!(a, [Anomaly::EthernetPktTooSmall], "prefix {n}");
        } else if n < 34 {
            assert_eq!(a, [Anomaly::Ipv4PktTooSmall], "prefix {n}");
            assert!(d.ip.is_none());
        } else if n < full {
            assert_eq!(a, [Anomaly::Ipv4TruncPkt], "prefix {n}");
            assert_eq!(v4_of(d).total_len as usize, full - 14);
            assert_eq!(tcp_udp_checksum_valid(d), None, "prefix {n}");
            if n < 54 {
                assert_eq!(d.l4, L4::None, "prefix {n}");
            } else {
                let t = tcp_of(d);
                assert_eq!((t.sport, t.dport), (40000, 80));
                if n < 74 {
                    assert!(d.payload.is_empty(), "prefix {n}");
                } else {
                    assert_eq!(t.options.mss, Some(1460));
                    assert_eq!(d.payload, &b"0123456789"[..n - 74]);
                }
            }
        } else {
            assert!(a.is_empty());
            assert_eq!(d.payload, b"0123456789");
            assert_eq!(tcp_udp_checksum_valid(d), Some(true));
        }
    });
}

#[test]
fn truncated_tcp_ipv6_every_offset() {
    let hbh = ext(6, &[5, 2, 0, 0, 0, 0]);
    let t = tcp_seg(50000, 443, tcp_flags::ACK, &[2, 4, 5, 0xa0], b"abcdef");
    let f = eth(0x86dd, &ipv6(0, &[hbh, t].concat()));
    let full = f.len();
    every_prefix(&f, LinkType::ETHERNET, |n, d| {
        let a = anomalies(d);
        if n < 14 {
            assert_eq!(a, [Anomaly::EthernetPktTooSmall], "prefix {n}");
        } else if n < 54 {
            assert_eq!(a, [Anomaly::Ipv6PktTooSmall], "prefix {n}");
        } else if n < full {
            assert_eq!(a, [Anomaly::Ipv6TruncPkt], "prefix {n}");
            let h = v6_of(d);
            if n < 62 {
                assert_eq!(d.l4, L4::None, "prefix {n}");
            } else if n < 82 {
                assert_eq!(h.header_len, 48);
                assert_eq!(d.l4, L4::None, "prefix {n}");
            } else {
                assert_eq!(tcp_of(d).dport, 443);
                let start = 86.min(n);
                assert_eq!(d.payload, &f[start..n]);
            }
        } else {
            assert!(a.is_empty(), "{a:?}");
            assert_eq!(d.payload, b"abcdef");
        }
    });
}

#[test]
fn truncated_everything_never_panics() {
    // Every prefix of a variety of frames under every link type.
    let frames = [
        typical_tcp4_frame(b"x"),
        typical_tcp6_frame(b"y"),
        eth_vlans(
            &[(0x88a8, 1), (0x8100, 2)],
            0x8864,
            &pppoe(&[0, 0x21], &ipv4(1, &[3, 3, 0, 0, 0, 0, 0, 0])),
        ),
        eth(0x86dd, &ipv6(58, &[1, 4, 0, 0, 0, 0, 0, 0])),
    ];
    let lts = [0u32, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999].map(LinkType);
    let mut stats = DecodeStats::default();
    for f in &frames {
        for lt in lts {
            for n in 0..=f.len() {
                let d = dec(lt, &f[..n]);
                stats.record(&d);
                let _ = tcp_udp_checksum_valid(&d);
                let _ = icmp_checksum_valid(&d);
                // Invariants: payload is inside data; offsets inside data.
                let base = d.data.as_ptr() as usize;
                let p = d.payload.as_ptr() as usize;
                assert!(
                    d.payload.is_empty()
                        || (p >= base && p + d.payload.len() <= base + d.data.len())
                );
                assert!(d.vlan_count as usize <= 3);
            }
        }
    }
    assert!(stats.pkts > 0);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let lts = [0u32, 1, 12, 14, 101, 108, 113, 228, 229, 276].map(LinkType);
    let mut buf = [0u8; 200];
    for i in 0..20_000 {
        let len = rng.below(buf.len());
        for b in buf.iter_mut().take(len) {
            *b = rng.next() as u8;
        }
        // Bias towards plausible headers so deep layers are reached.
        if len > 20 && i % 2 == 0 {
            buf[0] = if i % 4 == 0 { 0x45 } else { 0x60 };
        }
        let d = decode(lts[i % lts.len()], &buf[..len]);
        let _ = tcp_udp_checksum_valid(&d);
        let _ = icmp_checksum_valid(&d);
    }
}

// ---------------------------------------------------------------------------------------------
// Transport header errors and options

#[test]
fn tcp_header_length_errors() {
    // Data offset 4 (< 5 words).
    let mut t = tcp_seg(1, 2, 0, &[], b"abcd");
    t[12] = 0x40;
    let d = dec(LinkType::IPV4, &ipv4(6, &t));
    assert_eq!(anomalies(&d), [Anomaly::TcpInvalidOptlen]);
    assert_eq!(d.l4, L4::None);
    assert_eq!(d.payload.len(), 24, "undecoded: IP payload");
    // Data offset 15 words but only 24 bytes.
    t[12] = 0xf0;
    let d = dec(LinkType::IPV4, &ipv4(6, &t));
    assert_eq!(anomalies(&d), [Anomaly::TcpHlenTooSmall]);
    assert_eq!(d.l4, L4::None);
    // Shorter than a TCP header.
    let d = dec(LinkType::IPV4, &ipv4(6, &[0u8; 19]));
    assert_eq!(anomalies(&d), [Anomaly::TcpPktTooSmall]);
    let d = dec(LinkType::RAW, &ipv6(6, &[0u8; 10]));
    assert_eq!(anomalies(&d), [Anomaly::TcpPktTooSmall]);
}

#[test]
fn udp_length_errors() {
    let d = dec(LinkType::IPV4, &ipv4(17, &[0u8; 7]));
    assert_eq!(anomalies(&d), [Anomaly::UdpHlenTooSmall]);
    let mut u = udp_dgram(1, 2, b"abc");
    u[4..6].copy_from_slice(&40u16.to_be_bytes());
    let d = dec(LinkType::IPV4, &ipv4(17, &u));
    assert_eq!(anomalies(&d), [Anomaly::UdpPktTooSmall]);
    assert_eq!(d.l4, L4::None);
    u[4..6].copy_from_slice(&4u16.to_be_bytes());
    let d = dec(LinkType::IPV4, &ipv4(17, &u));
    assert_eq!(anomalies(&d), [Anomaly::UdpLenInvalid]);
}

fn tcp_opts(opts: &[u8]) -> (TcpOptions, Vec<Anomaly>) {
    let d = dec(LinkType::IPV4, &ipv4(6, &tcp_seg(1, 2, 0, opts, b"P")));
    let t = tcp_of(&d);
    assert_eq!(d.payload, b"P", "options never cost the payload");
    (t.options, anomalies(&d))
}

#[test]
fn tcp_options_parsing() {
    let (o, a) = tcp_opts(&[1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8, 4, 2, 3, 3, 14, 0, 0, 0]);
    assert!(a.is_empty());
    assert_eq!(o.timestamps, Some((9, 8)));
    assert!(o.sack_permitted);
    assert_eq!(o.wscale, Some(14));
    assert_eq!(o.mss, None);
    // SACK block, TFO cookie, MD5 (18 bytes), all fine.
    let mut md5 = vec![19, 18];
    md5.extend_from_slice(&[0u8; 16]);
    md5.extend_from_slice(&[5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 34, 6, 1, 2, 3, 4, 1, 1]);
    let (_, a) = tcp_opts(&md5);
    assert!(a.is_empty(), "{a:?}");
    // Wrong fixed length: event, others still parsed.
    let (o, a) = tcp_opts(&[2, 3, 5, 3, 3, 2, 0, 0]);
    assert_eq!(a, [Anomaly::TcpOptInvalidLen]);
    assert_eq!(o.mss, None);
    assert_eq!(o.wscale, Some(2));
    // Duplicate MSS: first value kept.
    let (o, a) = tcp_opts(&[2, 4, 1, 0, 2, 4, 2, 0]);
    assert_eq!(a, [Anomaly::TcpOptDuplicate]);
    assert_eq!(o.mss, Some(256));
    // Option length past the header: parsing stops, segment still decoded.
    let (o, a) = tcp_opts(&[3, 3, 1, 8, 40, 0, 0, 0]);
    assert_eq!(a, [Anomaly::TcpOptInvalidLen]);
    assert_eq!(o.wscale, Some(1));
    // Length 0 would loop forever if not rejected.
    let (_, a) = tcp_opts(&[30, 0, 0, 0]);
    assert_eq!(a, [Anomaly::TcpOptInvalidLen]);
    // Bad SACK length.
    let (_, a) = tcp_opts(&[5, 6, 0, 0, 0, 0, 0, 0]);
    assert_eq!(a, [Anomaly::TcpOptInvalidLen]);
    // EOL stops parsing; garbage after it is ignored.
    let (o, a) = tcp_opts(&[0, 2, 4, 5]);
    assert!(a.is_empty());
    assert_eq!(o, TcpOptions::default());
}

// ---------------------------------------------------------------------------------------------
// ICMP

fn icmp4(ty: u8, code: u8, rest: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = vec![ty, code, 0, 0];
    v.extend_from_slice(&rest);
    v.extend_from_slice(body);
    let c = internet_checksum(&v);
    v[2..4].copy_from_slice(&c.to_be_bytes());
    v
}

#[test]
fn icmpv4_echo_and_errors() {
    let d = dec(
        LinkType::IPV4,
        &ipv4(1, &icmp4(8, 0, [0x12, 0x34, 0, 7], b"ping")),
    );
    assert!(d.anomalies.is_empty());
    match d.l4 {
        L4::Icmpv4(i) => assert_eq!(
            (i.icmp_type, i.code, i.id, i.seq, i.embedded),
            (8, 0, 0x1234, 7, None)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.payload, b"ping");
    assert_eq!(icmp_checksum_valid(&d), Some(true));

    // Port unreachable quoting a UDP datagram (IP header + 8 bytes).
    let quoted = ipv4(17, &udp_dgram(5000, 53, b"")); // 28 bytes
    let d = dec(LinkType::IPV4, &ipv4(1, &icmp4(3, 3, [0; 4], &quoted)));
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    let L4::Icmpv4(i) = d.l4 else { panic!() };
    let e = i.embedded.expect("embedded");
    assert_eq!(
        (e.src, e.dst, e.proto, e.sport, e.dport),
        (Addr::v4(V4_SRC), Addr::v4(V4_DST), 17, 5000, 53)
    );
    assert_eq!(d.payload, &quoted[..]);

    // Time exceeded quoting a TCP header cut after 8 bytes; quoted header has options.
    let q = ipv4_with(
        V4 {
            options: vec![1, 1, 1, 0],
            ..V4::default()
        },
        &tcp_seg(1111, 22, 0, &[], b""),
    );
    let d = dec(
        LinkType::IPV4,
        &ipv4(1, &icmp4(11, 0, [0; 4], &q[..24 + 8])),
    );
    let L4::Icmpv4(i) = d.l4 else { panic!() };
    let e = i.embedded.unwrap();
    assert_eq!((e.proto, e.sport, e.dport), (6, 1111, 22));
    assert!(d.anomalies.is_empty());

    // Quoted header truncated / wrong version.
    let d = dec(
        LinkType::IPV4,
        &ipv4(1, &icmp4(3, 1, [0; 4], &quoted[..12])),
    );
    assert_eq!(anomalies(&d), [Anomaly::Icmpv4Ipv4TruncPkt]);
    let L4::Icmpv4(i) = d.l4 else { panic!() };
    assert_eq!(i.embedded, None);
    let mut q6 = quoted.clone();
    q6[0] = 0x65;
    let d = dec(LinkType::IPV4, &ipv4(1, &icmp4(3, 1, [0; 4], &q6)));
    assert_eq!(anomalies(&d), [Anomaly::Icmpv4Ipv4UnknownVer]);
    // Quoted packet with an unknown protocol: addresses, no ports.
    let d = dec(
        LinkType::IPV4,
        &ipv4(1, &icmp4(3, 2, [0; 4], &ipv4(89, &[0; 8]))),
    );
    let L4::Icmpv4(i) = d.l4 else { panic!() };
    assert_eq!(
        i.embedded.map(|e| (e.proto, e.sport, e.dport)),
        Some((89, 0, 0))
    );

    // Unknown type / code; too small.
    assert_eq!(
        anomalies(&dec(LinkType::IPV4, &ipv4(1, &icmp4(42, 0, [0; 4], b"")))),
        [Anomaly::Icmpv4UnknownType]
    );
    assert_eq!(
        anomalies(&dec(
            LinkType::IPV4,
            &ipv4(1, &icmp4(3, 16, [0; 4], &quoted))
        )),
        [Anomaly::Icmpv4UnknownCode]
    );
    assert_eq!(
        anomalies(&dec(LinkType::IPV4, &ipv4(1, &icmp4(0, 1, [0; 4], b"")))),
        [Anomaly::Icmpv4UnknownCode]
    );
    assert_eq!(
        anomalies(&dec(LinkType::IPV4, &ipv4(1, &[8, 0, 0]))),
        [Anomaly::Icmpv4PktTooSmall]
    );
    // ICMPv6 over IPv4.
    assert_eq!(
        anomalies(&dec(LinkType::IPV4, &ipv4(58, &[128, 0, 0, 0, 0, 0, 0, 0]))),
        [Anomaly::Ipv4WithIcmpv6]
    );
}

#[test]
fn icmpv6_echo_errors_and_mld() {
    let mut p = ipv6(58, &[128, 0, 0, 0, 0xab, 0xcd, 0, 1, b'x']);
    fix_l4_checksum(&mut p, 0);
    let d = dec(LinkType::RAW, &p);
    assert!(d.anomalies.is_empty());
    let L4::Icmpv6(i) = d.l4 else { panic!() };
    assert_eq!((i.icmp_type, i.id, i.seq), (128, 0xabcd, 1));
    assert_eq!(d.payload, b"x");
    assert_eq!(icmp_checksum_valid(&d), Some(true));

    // Destination unreachable quoting IPv6/UDP.
    let quoted = ipv6(17, &udp_dgram(4444, 53, b"q"));
    let mut body = vec![1, 4, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&quoted);
    let d = dec(LinkType::RAW, &ipv6(58, &body));
    assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
    let L4::Icmpv6(i) = d.l4 else { panic!() };
    let e = i.embedded.unwrap();
    assert_eq!(
        (e.src, e.dst, e.proto, e.sport, e.dport),
        (Addr::v6(V6_SRC), Addr::v6(V6_DST), 17, 4444, 53)
    );

    // Packet too big quoting TCP, truncated quote, wrong version.
    let mut body = vec![2, 0, 0, 0, 0, 0, 5, 0];
    body.extend_from_slice(&ipv6(6, &tcp_seg(80, 1234, 0, &[], b""))[..48]);
    let L4::Icmpv6(i) = dec(LinkType::RAW, &ipv6(58, &body)).l4 else {
        panic!()
    };
    assert_eq!(i.embedded.map(|e| (e.sport, e.dport)), Some((80, 1234)));
    let d = dec(LinkType::RAW, &ipv6(58, &body[..30]));
    assert_eq!(anomalies(&d), [Anomaly::Icmpv6Ipv6TruncPkt]);
    body[8] = 0x45;
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &ipv6(58, &body))),
        [Anomaly::Icmpv6Ipv6UnknownVersion]
    );

    // MLD with hop limit 64 (should be 1).
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &ipv6(58, &[131, 0, 0, 0, 0, 0, 0, 0]))),
        [Anomaly::Icmpv6MldMessageWithInvalidHl]
    );
    // Neighbor solicitation with a bad code; type ranges.
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &ipv6(58, &[135, 1, 0, 0, 0, 0, 0, 0]))),
        [Anomaly::Icmpv6UnknownCode]
    );
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &ipv6(58, &[50, 0, 0, 0, 0, 0, 0, 0]))),
        [Anomaly::Icmpv6UnassignedType]
    );
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &ipv6(58, &[200, 0, 0, 0, 0, 0, 0, 0]))),
        [Anomaly::Icmpv6ExperimentationType]
    );
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &ipv6(58, &[127, 0, 0, 0, 0, 0, 0, 0]))),
        [Anomaly::Icmpv6UnknownType]
    );
    assert_eq!(
        anomalies(&dec(LinkType::RAW, &ipv6(58, &[128, 0, 0]))),
        [Anomaly::Icmpv6PktTooSmall]
    );
}

// ---------------------------------------------------------------------------------------------
// Checksums

#[test]
fn transport_checksums() {
    let mut f = typical_tcp4_frame(b"payload");
    let d = dec(LinkType::ETHERNET, &f);
    assert_eq!(tcp_udp_checksum_valid(&d), Some(true));
    let last = f.len() - 1;
    f[last] ^= 1;
    let d = dec(LinkType::ETHERNET, &f);
    assert_eq!(tcp_udp_checksum_valid(&d), Some(false));
    assert_eq!(icmp_checksum_valid(&d), None);

    let mut f6 = typical_tcp6_frame(b"odd");
    assert_eq!(
        tcp_udp_checksum_valid(&dec(LinkType::ETHERNET, &f6)),
        Some(true)
    );
    f6[30] ^= 0x80; // source address
    assert_eq!(
        tcp_udp_checksum_valid(&dec(LinkType::ETHERNET, &f6)),
        Some(false)
    );

    // UDP checksum zero: valid over IPv4, invalid over IPv6.
    let d = dec(LinkType::IPV4, &ipv4(17, &udp_dgram(1, 2, b"z")));
    assert_eq!(tcp_udp_checksum_valid(&d), Some(true));
    let d = dec(LinkType::RAW, &ipv6(17, &udp_dgram(1, 2, b"z")));
    assert_eq!(tcp_udp_checksum_valid(&d), Some(false));

    // With extension headers, the pseudo-header length is the upper-layer length.
    let mut p = ipv6(
        0,
        &[ext(17, &[1, 4, 0, 0, 0, 0]), udp_dgram(9, 10, b"ext")].concat(),
    );
    fix_l4_checksum(&mut p, 0);
    let d = dec(LinkType::RAW, &p);
    assert_eq!(tcp_udp_checksum_valid(&d), Some(true));
}

// ---------------------------------------------------------------------------------------------
// Stats

#[test]
fn stats_record() {
    let mut s = DecodeStats::default();
    s.record(&dec(LinkType::ETHERNET, &typical_tcp4_frame(b"")));
    s.record(&dec(LinkType::ETHERNET, &typical_tcp6_frame(b"")));
    s.record(&dec(
        LinkType::ETHERNET,
        &eth_vlans(&[(0x8100, 1), (0x8100, 2)], 0x0806, &[0; 28]),
    ));
    s.record(&dec(LinkType::ETHERNET, &[0u8; 5]));
    s.record(&dec(LinkType::IPV4, &ipv4(17, &[0u8; 4])));
    s.record(&dec(
        LinkType::IPV4,
        &ipv4_with(
            V4 {
                flags_frag: 0x2000,
                ..V4::default()
            },
            &[0; 8],
        ),
    ));
    assert_eq!(s.pkts, 6);
    assert_eq!((s.ipv4, s.ipv6, s.no_ip), (3, 1, 2));
    assert_eq!((s.tcp, s.udp), (2, 0));
    assert_eq!((s.vlan, s.vlan_qinq), (1, 1));
    assert_eq!(s.fragments, 1);
    assert_eq!(s.anomaly(Anomaly::EthernetPktTooSmall), 1);
    assert_eq!(s.anomaly(Anomaly::UdpHlenTooSmall), 1);
    assert_eq!(s.pkts_with_anomalies, 2);
    assert_eq!(s.invalid, 2);
    let seen: Vec<_> = s.anomalies_seen().collect();
    assert_eq!(
        seen,
        [
            (Anomaly::EthernetPktTooSmall, 1),
            (Anomaly::UdpHlenTooSmall, 1)
        ]
    );
    let mut t = DecodeStats::default();
    t.merge(&s);
    t.merge(&s);
    assert_eq!(t.pkts, 12);
    assert_eq!(t.anomaly(Anomaly::UdpHlenTooSmall), 2);
}

// ---------------------------------------------------------------------------------------------
// etherparse as an independent oracle

#[test]
fn agrees_with_etherparse_on_random_valid_packets() {
    use etherparse::{PacketBuilder, SlicedPacket, TransportSlice};
    let mut rng = Rng(42);
    for i in 0..2000 {
        let plen = rng.below(300);
        let payload: Vec<u8> = (0..plen).map(|_| rng.next() as u8).collect();
        let (sp, dp) = (rng.next() as u16, rng.next() as u16);
        let b = PacketBuilder::ethernet2(MAC_A, MAC_B);
        let mut frame = Vec::new();
        let v6 = i % 2 == 1;
        let tcp = i % 3 != 0;
        match (v6, tcp) {
            (false, true) => b
                .ipv4(V4_SRC, V4_DST, 9)
                .tcp(sp, dp, rng.next() as u32, 999)
                .write(&mut frame, &payload),
            (false, false) => b
                .ipv4(V4_SRC, V4_DST, 9)
                .udp(sp, dp)
                .write(&mut frame, &payload),
            (true, true) => b
                .ipv6(V6_SRC, V6_DST, 9)
                .tcp(sp, dp, rng.next() as u32, 999)
                .write(&mut frame, &payload),
            (true, false) => b
                .ipv6(V6_SRC, V6_DST, 9)
                .udp(sp, dp)
                .write(&mut frame, &payload),
        }
        .unwrap();
        // Random Ethernet padding.
        let pad = rng.below(20);
        frame.extend(std::iter::repeat_n(0x5a, pad));
        let d = dec(LinkType::ETHERNET, &frame);
        assert!(d.anomalies.is_empty(), "{:?}", anomalies(&d));
        let ep = SlicedPacket::from_ethernet(&frame).unwrap();
        match ep.transport.unwrap() {
            TransportSlice::Tcp(t) => {
                let mine = tcp_of(&d);
                assert_eq!(
                    (mine.sport, mine.dport, mine.seq),
                    (t.source_port(), t.destination_port(), t.sequence_number())
                );
                assert_eq!(d.payload, t.payload());
            }
            TransportSlice::Udp(u) => {
                assert_eq!(d.ports(), (u.source_port(), u.destination_port()));
                assert_eq!(d.payload, u.payload());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.payload, &payload[..]);
        assert_eq!(
            tcp_udp_checksum_valid(&d),
            Some(true),
            "etherparse writes valid checksums"
        );
    }
}
