//! Single IP packets (no link header): TCP, UDP, ICMP echo and ICMP port unreachable, for IPv4
//! and IPv6 alike (the version follows the addresses). Built with etherparse's `PacketBuilder`,
//! so lengths and checksums are right.

use std::net::{IpAddr, SocketAddr};
use std::ops::BitOr;

use etherparse::{
    IpHeaders, IpNumber, Ipv4Extensions, Ipv4Header, Ipv6Extensions, Ipv6FlowLabel, Ipv6Header,
    PacketBuilder, TcpHeader,
};

/// Default TTL / hop limit.
pub const TTL: u8 = 64;
/// Default IPv4 identification of standalone packets.
pub const DEFAULT_IP_ID: u16 = 1;

/// TCP flag bits, combinable with `|`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No flag.
    pub const NONE: TcpFlags = TcpFlags(0);
    /// FIN.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// SYN.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// RST.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// PSH.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// ACK.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// URG.
    pub const URG: TcpFlags = TcpFlags(0x20);
    /// SYN|ACK.
    pub const SYN_ACK: TcpFlags = TcpFlags(0x12);
    /// PSH|ACK (data segments).
    pub const PSH_ACK: TcpFlags = TcpFlags(0x18);
    /// FIN|ACK.
    pub const FIN_ACK: TcpFlags = TcpFlags(0x11);
    /// RST|ACK.
    pub const RST_ACK: TcpFlags = TcpFlags(0x14);

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

/// IP-level settings of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpOpts {
    pub id: u16,
    pub ttl: u8,
}

impl Default for IpOpts {
    fn default() -> Self {
        IpOpts {
            id: DEFAULT_IP_ID,
            ttl: TTL,
        }
    }
}

/// IP headers for `src -> dst` carrying `proto`. Lengths/checksums are filled in by the builder.
///
/// # Panics
/// If one address is IPv4 and the other IPv6 (a bug in the test).
pub(crate) fn ip_headers(src: IpAddr, dst: IpAddr, proto: IpNumber, o: IpOpts) -> IpHeaders {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => IpHeaders::Ipv4(
            Ipv4Header {
                identification: o.id,
                dont_fragment: false,
                time_to_live: o.ttl,
                protocol: proto,
                source: s.octets(),
                destination: d.octets(),
                ..Default::default()
            },
            Ipv4Extensions::default(),
        ),
        (IpAddr::V6(s), IpAddr::V6(d)) => IpHeaders::Ipv6(
            Ipv6Header {
                traffic_class: 0,
                flow_label: Ipv6FlowLabel::ZERO,
                payload_length: 0,
                next_header: proto,
                hop_limit: o.ttl,
                source: s.octets(),
                destination: d.octets(),
            },
            Ipv6Extensions::default(),
        ),
        _ => panic!("sekimori-fixtures: cannot mix IPv4 and IPv6 addresses ({src} -> {dst})"),
    }
}

fn finish(r: Result<(), impl std::fmt::Debug>, out: Vec<u8>) -> Vec<u8> {
    match r {
        Ok(()) => out,
        Err(e) => panic!("sekimori-fixtures: packet cannot be built (payload too large?): {e:?}"),
    }
}

/// A TCP segment in full (used by [`crate::TcpSession`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TcpSpec<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub payload: &'a [u8],
    pub ip: IpOpts,
}

pub(crate) fn build_tcp(t: &TcpSpec<'_>) -> Vec<u8> {
    let mut h = TcpHeader::new(t.src.port(), t.dst.port(), t.seq, t.window);
    let f = t.flags;
    h.fin = f.contains(TcpFlags::FIN);
    h.syn = f.contains(TcpFlags::SYN);
    h.rst = f.contains(TcpFlags::RST);
    h.psh = f.contains(TcpFlags::PSH);
    h.ack = f.contains(TcpFlags::ACK);
    h.urg = f.contains(TcpFlags::URG);
    h.acknowledgment_number = if h.ack { t.ack } else { 0 };
    let b =
        PacketBuilder::ip(ip_headers(t.src.ip(), t.dst.ip(), IpNumber::TCP, t.ip)).tcp_header(h);
    let mut out = Vec::with_capacity(b.size(t.payload.len()));
    let r = b.write(&mut out, t.payload);
    finish(r, out)
}

/// A TCP segment as an IP packet (window 65535, IPv4 id 1). The ACK number is written only when
/// `flags` has ACK.
///
/// # Panics
/// On mixed IPv4/IPv6 endpoints or a payload too large for one IP packet.
pub fn tcp_packet(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    payload: &[u8],
) -> Vec<u8> {
    build_tcp(&TcpSpec {
        src,
        dst,
        seq,
        ack,
        flags,
        window: 65535,
        payload,
        ip: IpOpts::default(),
    })
}

pub(crate) fn build_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8], ip: IpOpts) -> Vec<u8> {
    let b = PacketBuilder::ip(ip_headers(src.ip(), dst.ip(), IpNumber::UDP, ip))
        .udp(src.port(), dst.port());
    let mut out = Vec::with_capacity(b.size(payload.len()));
    let r = b.write(&mut out, payload);
    finish(r, out)
}

/// A UDP datagram as an IP packet (IPv4 id 1).
///
/// # Panics
/// On mixed IPv4/IPv6 endpoints or a payload too large for one IP packet.
pub fn udp_packet(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    build_udp(src, dst, payload, IpOpts::default())
}

pub(crate) fn build_icmp_echo(
    src: IpAddr,
    dst: IpAddr,
    reply: bool,
    id: u16,
    seq: u16,
    payload: &[u8],
    ip: IpOpts,
) -> Vec<u8> {
    let mut out = Vec::new();
    let r = if src.is_ipv4() {
        let b = PacketBuilder::ip(ip_headers(src, dst, IpNumber::ICMP, ip));
        let b = if reply {
            b.icmpv4_echo_reply(id, seq)
        } else {
            b.icmpv4_echo_request(id, seq)
        };
        b.write(&mut out, payload)
    } else {
        let b = PacketBuilder::ip(ip_headers(src, dst, IpNumber::IPV6_ICMP, ip));
        let b = if reply {
            b.icmpv6_echo_reply(id, seq)
        } else {
            b.icmpv6_echo_request(id, seq)
        };
        b.write(&mut out, payload)
    };
    finish(r, out)
}

/// An ICMP (or ICMPv6) echo request, or reply when `reply`, as an IP packet.
///
/// # Panics
/// On mixed IPv4/IPv6 addresses or a payload too large for one IP packet.
pub fn icmp_echo_packet(
    src: IpAddr,
    dst: IpAddr,
    reply: bool,
    id: u16,
    seq: u16,
    payload: &[u8],
) -> Vec<u8> {
    build_icmp_echo(src, dst, reply, id, seq, payload, IpOpts::default())
}

/// Bytes of the offending packet quoted in an ICMP error: what fits a 576-byte IPv4 datagram
/// (RFC 1812) or a 1280-byte IPv6 one (RFC 4443).
const ICMP4_QUOTE: usize = 576 - 20 - 8;
const ICMP6_QUOTE: usize = 1280 - 40 - 8;

pub(crate) fn build_icmp_port_unreachable(
    from: IpAddr,
    to: IpAddr,
    original: &[u8],
    ip: IpOpts,
) -> Vec<u8> {
    let mut out = Vec::new();
    let r = if from.is_ipv4() {
        let quote = original.get(..ICMP4_QUOTE).unwrap_or(original);
        let t = etherparse::Icmpv4Type::DestinationUnreachable(
            etherparse::icmpv4::DestUnreachableHeader::Port,
        );
        PacketBuilder::ip(ip_headers(from, to, IpNumber::ICMP, ip))
            .icmpv4(t)
            .write(&mut out, quote)
    } else {
        let quote = original.get(..ICMP6_QUOTE).unwrap_or(original);
        let t = etherparse::Icmpv6Type::DestinationUnreachable(
            etherparse::icmpv6::DestUnreachableCode::Port,
        );
        PacketBuilder::ip(ip_headers(from, to, IpNumber::IPV6_ICMP, ip))
            .icmpv6(t)
            .write(&mut out, quote)
    };
    finish(r, out)
}

/// An ICMP "port unreachable" (type 3 code 3; ICMPv6 type 1 code 4) sent by `from` to `to`,
/// quoting `original` (normally the offending IP packet, e.g. a [`udp_packet`]), cut to the
/// RFC size limits.
///
/// # Panics
/// On mixed IPv4/IPv6 addresses.
pub fn icmp_port_unreachable_packet(from: IpAddr, to: IpAddr, original: &[u8]) -> Vec<u8> {
    build_icmp_port_unreachable(from, to, original, IpOpts::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ep;
    use etherparse::{Icmpv4Type, Icmpv6Type, NetSlice, SlicedPacket, TransportSlice};

    #[test]
    fn tcp_fields_and_checksum() {
        let p = tcp_packet(
            ep("10.0.0.1:1234"),
            ep("10.0.0.2:80"),
            0xffff_fff0,
            77,
            TcpFlags::PSH_ACK,
            b"hello",
        );
        let s = SlicedPacket::from_ip(&p).expect("parse");
        let Some(TransportSlice::Tcp(t)) = &s.transport else {
            panic!("tcp")
        };
        assert_eq!((t.source_port(), t.destination_port()), (1234, 80));
        assert_eq!(
            (t.sequence_number(), t.acknowledgment_number()),
            (0xffff_fff0, 77)
        );
        assert!(t.psh() && t.ack() && !t.syn() && !t.fin() && !t.rst());
        assert_eq!(t.payload(), b"hello");
        let Some(NetSlice::Ipv4(ip)) = &s.net else {
            panic!("v4")
        };
        let h = ip.header().to_header();
        assert_eq!(h.header_checksum, h.calc_header_checksum());
        assert_eq!(
            t.checksum(),
            t.to_header().calc_checksum_ipv4(&h, b"hello").expect("sum")
        );
        assert_eq!(usize::from(h.total_len), p.len());
        assert!(!h.dont_fragment);
        // No ACK flag: ack number not written.
        let p = tcp_packet(
            ep("10.0.0.1:1"),
            ep("10.0.0.2:2"),
            5,
            77,
            TcpFlags::SYN,
            b"",
        );
        let s = SlicedPacket::from_ip(&p).expect("parse");
        let Some(TransportSlice::Tcp(t)) = &s.transport else {
            panic!("tcp")
        };
        assert_eq!(
            (t.syn(), t.ack(), t.acknowledgment_number()),
            (true, false, 0)
        );
    }

    #[test]
    fn udp_v6() {
        let p = udp_packet(ep("[2001:db8::1]:5353"), ep("[ff02::fb]:5353"), b"mdns");
        let s = SlicedPacket::from_ip(&p).expect("parse");
        assert!(matches!(s.net, Some(NetSlice::Ipv6(_))));
        let Some(TransportSlice::Udp(u)) = &s.transport else {
            panic!("udp")
        };
        assert_eq!(u.payload(), b"mdns");
        assert_eq!(usize::from(u.length()), 8 + 4);
    }

    #[test]
    fn icmp_echo_v4_v6() {
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        for reply in [false, true] {
            let p = icmp_echo_packet(a, b, reply, 7, 9, b"ping");
            let s = SlicedPacket::from_ip(&p).expect("parse");
            let Some(TransportSlice::Icmpv4(i)) = &s.transport else {
                panic!("icmp")
            };
            match (reply, i.icmp_type()) {
                (false, Icmpv4Type::EchoRequest(e)) | (true, Icmpv4Type::EchoReply(e)) => {
                    assert_eq!((e.id, e.seq), (7, 9));
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(i.payload(), b"ping");
        }
        let a6: IpAddr = "2001:db8::1".parse().expect("ip");
        let b6: IpAddr = "2001:db8::2".parse().expect("ip");
        let p = icmp_echo_packet(a6, b6, false, 1, 2, b"x");
        let s = SlicedPacket::from_ip(&p).expect("parse");
        let Some(TransportSlice::Icmpv6(i)) = &s.transport else {
            panic!("icmp6")
        };
        assert!(matches!(i.icmp_type(), Icmpv6Type::EchoRequest(e) if e.id == 1 && e.seq == 2));
    }

    #[test]
    fn port_unreachable_embeds_the_udp_packet() {
        let udp = udp_packet(ep("10.0.0.1:5000"), ep("10.0.0.2:53"), b"query");
        let router: IpAddr = "10.0.0.254".parse().expect("ip");
        let client: IpAddr = "10.0.0.1".parse().expect("ip");
        let p = icmp_port_unreachable_packet(router, client, &udp);
        let s = SlicedPacket::from_ip(&p).expect("parse");
        let Some(TransportSlice::Icmpv4(i)) = &s.transport else {
            panic!("icmp")
        };
        assert!(matches!(
            i.icmp_type(),
            Icmpv4Type::DestinationUnreachable(etherparse::icmpv4::DestUnreachableHeader::Port)
        ));
        assert_eq!(i.payload(), &udp[..]);
        let inner = SlicedPacket::from_ip(i.payload()).expect("embedded parses");
        let Some(TransportSlice::Udp(u)) = &inner.transport else {
            panic!("embedded udp")
        };
        assert_eq!(
            (u.source_port(), u.destination_port(), u.payload()),
            (5000, 53, &b"query"[..])
        );
        // Long originals are cut to 548 bytes.
        let big = udp_packet(ep("10.0.0.1:5000"), ep("10.0.0.2:53"), &[0u8; 1400]);
        let p = icmp_port_unreachable_packet(router, client, &big);
        assert_eq!(p.len(), 576);

        let udp6 = udp_packet(ep("[2001:db8::1]:5000"), ep("[2001:db8::2]:53"), b"q6");
        let p = icmp_port_unreachable_packet(
            "2001:db8::fe".parse().expect("ip"),
            "2001:db8::1".parse().expect("ip"),
            &udp6,
        );
        let s = SlicedPacket::from_ip(&p).expect("parse");
        let Some(TransportSlice::Icmpv6(i)) = &s.transport else {
            panic!("icmp6")
        };
        assert!(matches!(
            i.icmp_type(),
            Icmpv6Type::DestinationUnreachable(etherparse::icmpv6::DestUnreachableCode::Port)
        ));
        assert_eq!(i.payload(), &udp6[..]);
    }

    #[test]
    #[should_panic(expected = "cannot mix IPv4 and IPv6")]
    fn mixed_families_panic_clearly() {
        udp_packet(ep("10.0.0.1:1"), ep("[::1]:2"), b"");
    }

    #[test]
    fn flags_combine() {
        let f = TcpFlags::SYN | TcpFlags::ACK;
        assert_eq!(f, TcpFlags::SYN_ACK);
        assert!(f.contains(TcpFlags::SYN) && !f.contains(TcpFlags::FIN));
    }
}
