//! Builds pcap files of crafted traffic for tests, so each test states what it tests: a TCP
//! session segmented, reordered, overlapped or wrapped around 2^32; UDP and ICMP; IPv4/IPv6
//! fragments in any order with any content; Ethernet with or without VLAN/QinQ tags, raw IP,
//! Linux SLL and BSD null framing. Everything is deterministic (fixed clock, ISNs, IP ids).
//!
//! The pieces:
//! - [`Trace`]: the frames of one pcap file, with a [`Link`] and a clock that advances 1 ms per
//!   frame; writes the file ([`Trace::write_pcap`], [`Trace::pcap_bytes`]).
//! - [`TcpSession`]: one TCP connection written into a trace step by step.
//! - [`udp_packet`], [`tcp_packet`], [`icmp_echo_packet`], [`icmp_port_unreachable_packet`]:
//!   single IP packets, to push into a trace or to fragment.
//! - [`fragment`], [`fragment_sizes`], [`fragment_at`], [`pick`]: IP fragmentation.
//! - [`PcapWriter`]: a plain classic-pcap writer (little-endian, microseconds).
//!
//! ```
//! use sekimori_fixtures::{ep, fragment, pick, udp_packet, Link, TcpSession, Trace};
//!
//! let mut t = Trace::new(Link::Vlan(10));
//! let mut s = TcpSession::new(ep("10.0.0.1:40000"), ep("10.0.0.2:80")).mss(4);
//! s.handshake(&mut t);
//! // Four 4-byte segments planned, sent out of order, the second one twice.
//! let segs = s.plan_client(b"GET / HTTP/1.0\r\n");
//! s.emit_order(&mut t, &segs, &[0, 2, 1, 1, 3]).server_ack(&mut t);
//! // 19 bytes = 5 segments, acknowledged after every second one and at the end.
//! s.server(&mut t, b"HTTP/1.0 200 OK\r\n\r\n").close(&mut t);
//!
//! // A UDP datagram in 3 fragments, last one first.
//! let dgram = udp_packet(ep("10.0.0.1:5000"), ep("10.0.0.2:53"), &[0u8; 40]);
//! let frags = fragment(&dgram, 16, 0x4242).unwrap();
//! t.push_ips(&pick(&frags, &[2, 0, 1]));
//!
//! let pcap: Vec<u8> = t.pcap_bytes(); // or t.write_pcap(path)
//! assert_eq!(t.frames().len(), 3 + (5 + 1) + (5 + 3) + 4 + 3);
//! # let _ = pcap;
//! ```
//!
//! Misuse that can only be a bug in the test itself (mixing IPv4 and IPv6 endpoints, a payload
//! larger than an IP packet, an out-of-range index, an invalid address literal) panics with a
//! message naming the problem; malformed packets given to the fragmentation functions are
//! reported as [`FragError`].
#![deny(missing_docs)]

pub mod archive;
pub mod frag;
pub mod link;
pub mod packet;
pub mod pcap;
pub mod proto;
pub mod sample;
pub mod shared;
pub mod tcp;
pub mod trace;

use std::net::SocketAddr;

pub use frag::{FragError, fragment, fragment_at, fragment_sizes, fragmentable, pick};
pub use link::{Link, mac_for};
pub use packet::{
    TcpFlags, icmp_echo_packet, icmp_port_unreachable_packet, tcp_packet, udp_packet,
};
pub use proto::{Mail, Smb2, dns_answer, dns_query, rfc2047_b, smtp_send, tls_session};
pub use pcap::{Frame, PcapWriter, Ts, linktype, pcap_bytes, write_pcap};
pub use tcp::{Segment, TcpSession};
pub use trace::Trace;

/// Parses an endpoint literal: `"10.0.0.1:80"` or `"[2001:db8::1]:443"`.
///
/// # Panics
/// If the literal is not a valid socket address (a typo in the test).
pub fn ep(s: &str) -> SocketAddr {
    match s.parse() {
        Ok(a) => a,
        Err(e) => panic!("sekimori-fixtures: bad endpoint literal {s:?}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(ep("10.0.0.1:80").port(), 80);
        assert!(ep("[2001:db8::1]:443").is_ipv6());
    }

    #[test]
    #[should_panic(expected = "bad endpoint literal")]
    fn bad_endpoint() {
        ep("10.0.0.1");
    }
}
