//! Fuzzes the packet decoder: the first byte picks a link type, the rest is the frame. Checks that
//! nothing panics and that every slice the decoder returns lies inside the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_capture::LinkType;
use sekimori_decode::{DecodeStats, decode, icmp_checksum_valid, tcp_udp_checksum_valid};

const LINK_TYPES: [LinkType; 11] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::RAW_ALT12,
    LinkType::RAW_ALT14,
    LinkType(147), // unsupported
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let lt = LINK_TYPES[usize::from(sel) % LINK_TYPES.len()];
    let d = decode(lt, frame);
    let base = frame.as_ptr() as usize;
    let p = d.payload.as_ptr() as usize;
    assert!(d.payload.is_empty() || (p >= base && p + d.payload.len() <= base + frame.len()));
    assert!(usize::from(d.vlan_count) <= d.vlan.len());
    if d.ip.is_some() {
        assert!(usize::from(d.l3_offset) < frame.len());
    }
    let _ = tcp_udp_checksum_valid(&d);
    let _ = icmp_checksum_valid(&d);
    let mut stats = DecodeStats::default();
    stats.record(&d);
    assert_eq!(stats.pkts, 1);
});
