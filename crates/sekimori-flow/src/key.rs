//! Flow keys: which packets belong to the same conversation, as Suricata 7 decides it.
//!
//! The key is normalised, so that both directions of a conversation produce the same key:
//! the two endpoints `(address, port)` are stored in ascending order. ICMP has no ports. It uses
//! Suricata's scheme instead: the "ports" are the ICMP type (ICMPv6: type and code) and the
//! "counterpart" type (echo request ↔ reply and so on). So an echo request and its reply meet in
//! one flow. See `SURICATA-FLOW.md` in this crate.

use sekimori_decode::{Addr, Decoded, IcmpInfo, Ip, L4};

/// IP protocol numbers the flow table handles.
pub mod proto {
    /// ICMPv4.
    pub const ICMP: u8 = 1;
    /// IPv6 encapsulated in IPv4 (6in4): the outer packet gets a flow, as in Suricata.
    pub const IPV6_IN_IPV4: u8 = 41;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ESP (keyed per direction on the SPI).
    pub const ESP: u8 = 50;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// SCTP.
    pub const SCTP: u8 = 132;
}

/// A normalised, bidirectional flow key.
///
/// For TCP, UDP and SCTP, `ports` are the transport ports. For ICMPv4 they are
/// `(type, counterpart type)`; for ICMPv6 `(type | code << 8, counterpart type)`, which is how
/// Suricata's packet/flow structs overlay ICMP on the port fields. For ESP the key is directional:
/// `addrs` = (source, destination) and `ports` hold the SPI (high half, low half).
/// Other protocols have ports `(0, 0)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// IP protocol number.
    pub proto: u8,
    /// The two addresses, ordered together with `ports` (endpoint 0 ≤ endpoint 1).
    pub addrs: [Addr; 2],
    /// The two "ports", paired with `addrs`.
    pub ports: [u16; 2],
    /// VLAN ids, outermost first, zero when absent (all zero when VLAN tracking is off).
    pub vlan: [u16; 3],
}

impl FlowKey {
    /// Builds a normalised key from one packet's endpoints.
    pub fn new(proto: u8, src: Addr, sport: u16, dst: Addr, dport: u16, vlan: [u16; 3]) -> Self {
        if (src, sport) <= (dst, dport) {
            FlowKey {
                proto,
                addrs: [src, dst],
                ports: [sport, dport],
                vlan,
            }
        } else {
            FlowKey {
                proto,
                addrs: [dst, src],
                ports: [dport, sport],
                vlan,
            }
        }
    }
}

/// The ICMP side of a flow: the type and code of the flow's first packet, and the type and code
/// expected in reply (Suricata's `icmp_s` / `icmp_d`; the reply code is always 0, as there).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowIcmp {
    /// Type of the first packet (EVE `icmp_type`).
    pub icmp_type: u8,
    /// Code of the first packet (EVE `icmp_code`).
    pub icmp_code: u8,
    /// Counterpart type, 0 when the type has none (EVE `response_icmp_type`).
    pub response_type: u8,
    /// Counterpart code: always 0 (EVE `response_icmp_code`).
    pub response_code: u8,
}

/// The counterpart of an ICMPv4 type (request ↔ reply), as Suricata pairs them.
pub const fn icmpv4_counterpart(t: u8) -> Option<u8> {
    match t {
        8 => Some(0),
        0 => Some(8),
        13 => Some(14),
        14 => Some(13),
        15 => Some(16),
        16 => Some(15),
        10 => Some(9),
        9 => Some(10),
        17 => Some(18),
        18 => Some(17),
        _ => None,
    }
}

/// The counterpart of an ICMPv6 type, as Suricata pairs them.
pub const fn icmpv6_counterpart(t: u8) -> Option<u8> {
    match t {
        128 => Some(129),
        129 => Some(128),
        135 => Some(136),
        136 => Some(135),
        133 => Some(134),
        134 => Some(133),
        130 => Some(131),
        131 => Some(130),
        139 => Some(140),
        140 => Some(139),
        144 => Some(145),
        145 => Some(144),
        146 => Some(147),
        147 => Some(146),
        148 => Some(149),
        149 => Some(148),
        151 => Some(152),
        152 => Some(151),
        157 => Some(158),
        158 => Some(157),
        _ => None,
    }
}

/// ICMPv4 error message types: these never create a flow (Suricata's `ICMPV4_IS_ERROR_MSG`).
pub const fn icmpv4_is_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// How the flow table treats one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Classified {
    /// The packet belongs to a flow (found or created).
    Flow(PacketTuple),
    /// An ICMPv4 destination-unreachable whose embedded TCP/UDP packet names this key: counted in
    /// that flow if it exists; never creates one. `src` is the outer source address.
    IcmpError { key: FlowKey, src: Addr },
    /// The packet gets no flow (fragment, undecoded or unsupported transport, ICMPv4 error).
    NoFlow,
}

/// The oriented tuple of one packet plus its normalised key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PacketTuple {
    pub key: FlowKey,
    pub src: Addr,
    pub dst: Addr,
    pub sport: u16,
    pub dport: u16,
    pub icmp: Option<FlowIcmp>,
    /// TCP flags byte, 0 for other protocols.
    pub tcp_flags: u8,
    /// The packet's VLAN ids (recorded on a new flow even when VLAN tracking is off).
    pub vlan: [u16; 3],
    /// How many of `vlan` are used.
    pub vlan_count: u8,
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

fn icmp_tuple(
    d: &Decoded<'_>,
    proto: u8,
    info: &IcmpInfo,
    vlan: [u16; 3],
    v6: bool,
) -> PacketTuple {
    let counterpart = if v6 {
        icmpv6_counterpart(info.icmp_type)
    } else {
        icmpv4_counterpart(info.icmp_type)
    };
    let cp = counterpart.unwrap_or(0);
    // ICMPv4 flows compare types only; ICMPv6 flows compare the port overlay, which holds the
    // code in the high byte (Suricata's `Port` union with `{type, code}` on little-endian hosts).
    let sport = if v6 {
        u16::from(info.icmp_type) | (u16::from(info.code) << 8)
    } else {
        u16::from(info.icmp_type)
    };
    let dport = u16::from(cp);
    PacketTuple {
        key: FlowKey::new(proto, d.src, sport, d.dst, dport, vlan),
        src: d.src,
        dst: d.dst,
        sport: 0,
        dport: 0,
        icmp: Some(FlowIcmp {
            icmp_type: info.icmp_type,
            icmp_code: info.code,
            response_type: cp,
            response_code: 0,
        }),
        tcp_flags: 0,
        vlan: d.vlan,
        vlan_count: d.vlan_count.min(3),
    }
}

/// Decides whether and how a decoded packet maps to a flow.
pub(crate) fn classify(d: &Decoded<'_>, vlan_tracking: bool) -> Classified {
    let Some(ip) = d.ip else {
        return Classified::NoFlow;
    };
    if d.is_fragment() {
        return Classified::NoFlow;
    }
    let vlan = if vlan_tracking { d.vlan } else { [0; 3] };
    let plain = |proto: u8, sport: u16, dport: u16, tcp_flags: u8| {
        Classified::Flow(PacketTuple {
            key: FlowKey::new(proto, d.src, sport, d.dst, dport, vlan),
            src: d.src,
            dst: d.dst,
            sport,
            dport,
            icmp: None,
            tcp_flags,
            vlan: d.vlan,
            vlan_count: d.vlan_count.min(3),
        })
    };
    match d.l4 {
        L4::Tcp(t) => plain(proto::TCP, t.sport, t.dport, t.flags),
        L4::Udp(u) => plain(proto::UDP, u.sport, u.dport, 0),
        L4::Icmpv4(info) => {
            if icmpv4_is_error(info.icmp_type) {
                // Only "destination unreachable" with an embedded TCP/UDP header is looked up, and
                // only on a packet without invalid-packet events (ICMPV4_DEST_UNREACH_IS_VALID).
                match info.embedded {
                    Some(e)
                        if info.icmp_type == 3
                            && (e.proto == proto::TCP || e.proto == proto::UDP)
                            && !d.anomalies.any_invalid() =>
                    {
                        Classified::IcmpError {
                            key: FlowKey::new(e.proto, e.src, e.sport, e.dst, e.dport, vlan),
                            src: d.src,
                        }
                    }
                    _ => Classified::NoFlow,
                }
            } else {
                Classified::Flow(icmp_tuple(d, proto::ICMP, &info, vlan, false))
            }
        }
        L4::Icmpv6(info) => Classified::Flow(icmp_tuple(d, proto::ICMPV6, &info, vlan, true)),
        L4::Other(p) => match p {
            // SCTP: the decoder leaves it undecoded; the ports are the first four bytes of the
            // 12-byte common header (Suricata needs the whole header before it sets up a flow).
            proto::SCTP if d.payload.len() >= 12 => {
                match (be_u16(d.payload, 0), be_u16(d.payload, 2)) {
                    (Some(s), Some(t)) => plain(proto::SCTP, s, t, 0),
                    _ => Classified::NoFlow,
                }
            }
            // ESP: keyed on the SPI (first four bytes of the 8-byte header), per direction.
            proto::ESP if d.payload.len() >= 8 => {
                match (be_u16(d.payload, 0), be_u16(d.payload, 2)) {
                    (Some(hi), Some(lo)) => Classified::Flow(PacketTuple {
                        key: FlowKey {
                            proto: proto::ESP,
                            addrs: [d.src, d.dst],
                            ports: [hi, lo],
                            vlan,
                        },
                        src: d.src,
                        dst: d.dst,
                        sport: 0,
                        dport: 0,
                        icmp: None,
                        tcp_flags: 0,
                        vlan: d.vlan,
                        vlan_count: d.vlan_count.min(3),
                    }),
                    _ => Classified::NoFlow,
                }
            }
            proto::IPV6_IN_IPV4 if matches!(ip, Ip::V4(_)) => plain(proto::IPV6_IN_IPV4, 0, 0, 0),
            _ => Classified::NoFlow,
        },
        L4::None => Classified::NoFlow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekimori_decode::{IcmpEmbedded, Ipv4Info, Ipv6Info, TcpInfo, UdpInfo};

    fn a4(x: u8) -> Addr {
        Addr::v4([10, 0, 0, x])
    }

    fn pkt(src: Addr, dst: Addr, l4: L4) -> Decoded<'static> {
        let ip = if src.v6 {
            Ip::V6(Ipv6Info {
                proto: 58,
                ..Default::default()
            })
        } else {
            Ip::V4(Ipv4Info {
                header_len: 20,
                ..Default::default()
            })
        };
        Decoded {
            ip: Some(ip),
            src,
            dst,
            l4,
            ..Default::default()
        }
    }

    fn key_of(d: &Decoded<'_>) -> FlowKey {
        match classify(d, true) {
            Classified::Flow(t) => t.key,
            other => panic!("expected a flow, got {other:?}"),
        }
    }

    #[test]
    fn both_directions_same_key() {
        let fwd = pkt(
            a4(1),
            a4(2),
            L4::Udp(UdpInfo {
                sport: 5000,
                dport: 53,
                len: 8,
            }),
        );
        let rev = pkt(
            a4(2),
            a4(1),
            L4::Udp(UdpInfo {
                sport: 53,
                dport: 5000,
                len: 8,
            }),
        );
        assert_eq!(key_of(&fwd), key_of(&rev));
        // Same addresses, ports crossed the other way: a different conversation.
        let other = pkt(
            a4(1),
            a4(2),
            L4::Udp(UdpInfo {
                sport: 53,
                dport: 5000,
                len: 8,
            }),
        );
        assert_ne!(key_of(&fwd), key_of(&other));
    }

    #[test]
    fn same_address_both_ends() {
        let a = pkt(
            a4(1),
            a4(1),
            L4::Tcp(TcpInfo {
                sport: 1,
                dport: 2,
                ..Default::default()
            }),
        );
        let b = pkt(
            a4(1),
            a4(1),
            L4::Tcp(TcpInfo {
                sport: 2,
                dport: 1,
                ..Default::default()
            }),
        );
        assert_eq!(key_of(&a), key_of(&b));
    }

    #[test]
    fn icmp_echo_pairs_and_errors_do_not() {
        let req = pkt(
            a4(1),
            a4(2),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 8,
                id: 7,
                ..Default::default()
            }),
        );
        let rep = pkt(
            a4(2),
            a4(1),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 0,
                id: 9,
                ..Default::default()
            }),
        );
        assert_eq!(key_of(&req), key_of(&rep));
        // A second request from the other side is a different flow (types not crossed).
        let req2 = pkt(
            a4(2),
            a4(1),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 8,
                ..Default::default()
            }),
        );
        assert_ne!(key_of(&req), key_of(&req2));
        // ICMPv4 codes are ignored.
        let req_code = pkt(
            a4(1),
            a4(2),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 8,
                code: 3,
                ..Default::default()
            }),
        );
        assert_eq!(key_of(&req), key_of(&req_code));
        let te = pkt(
            a4(3),
            a4(1),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 11,
                ..Default::default()
            }),
        );
        assert_eq!(classify(&te, true), Classified::NoFlow);
    }

    #[test]
    fn icmpv6_code_is_part_of_key() {
        let s = Addr::v6([0x20, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let t = Addr::v6([0x20, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let req = pkt(
            s,
            t,
            L4::Icmpv6(IcmpInfo {
                icmp_type: 128,
                ..Default::default()
            }),
        );
        let rep = pkt(
            t,
            s,
            L4::Icmpv6(IcmpInfo {
                icmp_type: 129,
                ..Default::default()
            }),
        );
        assert_eq!(key_of(&req), key_of(&rep));
        let rep_code = pkt(
            t,
            s,
            L4::Icmpv6(IcmpInfo {
                icmp_type: 129,
                code: 1,
                ..Default::default()
            }),
        );
        assert_ne!(key_of(&req), key_of(&rep_code));
        // ICMPv6 errors make their own flows (no embedded mapping in Suricata 7).
        let too_big = pkt(
            s,
            t,
            L4::Icmpv6(IcmpInfo {
                icmp_type: 2,
                ..Default::default()
            }),
        );
        assert_ne!(key_of(&req), key_of(&too_big));
    }

    #[test]
    fn unreachable_maps_to_embedded() {
        let emb = IcmpEmbedded {
            src: a4(1),
            dst: a4(2),
            proto: 17,
            sport: 5000,
            dport: 53,
        };
        let d = pkt(
            a4(9),
            a4(1),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 3,
                code: 3,
                embedded: Some(emb),
                ..Default::default()
            }),
        );
        let udp = pkt(
            a4(2),
            a4(1),
            L4::Udp(UdpInfo {
                sport: 53,
                dport: 5000,
                len: 8,
            }),
        );
        match classify(&d, true) {
            Classified::IcmpError { key, src } => {
                assert_eq!(key, key_of(&udp));
                assert_eq!(src, a4(9));
            }
            other => panic!("{other:?}"),
        }
        // Embedded ICMP (not TCP/UDP): no flow.
        let emb_icmp = IcmpEmbedded { proto: 1, ..emb };
        let d2 = pkt(
            a4(9),
            a4(1),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 3,
                embedded: Some(emb_icmp),
                ..Default::default()
            }),
        );
        assert_eq!(classify(&d2, true), Classified::NoFlow);
    }

    #[test]
    fn vlan_in_key_unless_disabled() {
        let mut a = pkt(
            a4(1),
            a4(2),
            L4::Udp(UdpInfo {
                sport: 1,
                dport: 2,
                len: 8,
            }),
        );
        let mut b = a;
        a.vlan = [10, 0, 0];
        a.vlan_count = 1;
        b.vlan = [20, 0, 0];
        b.vlan_count = 1;
        assert_ne!(key_of(&a), key_of(&b));
        let ka = match classify(&a, false) {
            Classified::Flow(t) => t.key,
            _ => unreachable!(),
        };
        let kb = match classify(&b, false) {
            Classified::Flow(t) => t.key,
            _ => unreachable!(),
        };
        assert_eq!(ka, kb);
    }

    #[test]
    fn no_flow_cases() {
        // No IP.
        assert_eq!(classify(&Decoded::default(), true), Classified::NoFlow);
        // Fragment.
        let mut f = pkt(a4(1), a4(2), L4::Udp(UdpInfo::default()));
        f.ip = Some(Ip::V4(Ipv4Info {
            mf: true,
            ..Default::default()
        }));
        assert_eq!(classify(&f, true), Classified::NoFlow);
        // Undecoded transport, GRE, IGMP.
        assert_eq!(
            classify(&pkt(a4(1), a4(2), L4::None), true),
            Classified::NoFlow
        );
        assert_eq!(
            classify(&pkt(a4(1), a4(2), L4::Other(47)), true),
            Classified::NoFlow
        );
        assert_eq!(
            classify(&pkt(a4(1), a4(2), L4::Other(2)), true),
            Classified::NoFlow
        );
        // SCTP/ESP too short.
        let mut s = pkt(a4(1), a4(2), L4::Other(132));
        s.payload = &[0, 1, 0, 2];
        assert_eq!(classify(&s, true), Classified::NoFlow);
    }

    #[test]
    fn sctp_esp_and_6in4() {
        let mut s = pkt(a4(1), a4(2), L4::Other(132));
        s.payload = &[0x13, 0x88, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0];
        let k = key_of(&s);
        assert_eq!(k.ports, [5000, 80]);
        let mut e1 = pkt(a4(1), a4(2), L4::Other(50));
        e1.payload = &[0, 0, 1, 0, 0, 0, 0, 1];
        let mut e2 = pkt(a4(2), a4(1), L4::Other(50));
        e2.payload = &[0, 0, 1, 0, 0, 0, 0, 1];
        assert_ne!(key_of(&e1), key_of(&e2), "ESP is directional");
        let t = pkt(a4(1), a4(2), L4::Other(41));
        assert_eq!(key_of(&t).proto, 41);
    }
}
