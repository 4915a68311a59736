//! Link-layer encapsulation of IP packets: Ethernet (optionally VLAN or QinQ tagged), raw IP,
//! Linux cooked capture (SLL) and BSD null/loopback.

use etherparse::{
    ArpHardwareId, EtherType, Ethernet2Header, LinuxSllHeader, LinuxSllPacketType,
    LinuxSllProtocolType, SingleVlanHeader, VlanId, VlanPcp,
};

use crate::pcap::linktype;

/// How IP packets are framed in a trace. One link type per pcap file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II, untagged.
    #[default]
    Ethernet,
    /// Ethernet II with one 802.1Q tag (TPID 0x8100) carrying this VLAN id (low 12 bits).
    Vlan(u16),
    /// Ethernet II with two tags (QinQ): an 802.1ad outer tag (TPID 0x88a8) and an 802.1Q inner
    /// tag (TPID 0x8100).
    QinQ {
        /// Outer (service) VLAN id.
        outer: u16,
        /// Inner (customer) VLAN id.
        inner: u16,
    },
    /// No link header (`LINKTYPE_RAW`, 101).
    Raw,
    /// Linux cooked capture v1 (`LINKTYPE_LINUX_SLL`, 113), packet type "to us".
    LinuxSll,
    /// BSD loopback (`LINKTYPE_NULL`, 0): little-endian address family 2 (IPv4) or 24 (IPv6).
    Null,
}

impl Link {
    /// The pcap link type for files of this encapsulation.
    pub fn linktype(self) -> u32 {
        match self {
            Link::Ethernet | Link::Vlan(_) | Link::QinQ { .. } => linktype::ETHERNET,
            Link::Raw => linktype::RAW,
            Link::LinuxSll => linktype::LINUX_SLL,
            Link::Null => linktype::NULL,
        }
    }

    /// Frames an IP packet. MAC addresses are derived from the packet's IP addresses (see
    /// [`mac_for`]); the EtherType/protocol follows the IP version nibble.
    pub fn wrap(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let ether_type = if v6 { EtherType::IPV6 } else { EtherType::IPV4 };
        let (src, dst) = ip_addr_tails(ip);
        let mut out = Vec::with_capacity(ip.len() + 22);
        let eth = |outer_type: EtherType| Ethernet2Header {
            source: mac_for(src),
            destination: mac_for(dst),
            ether_type: outer_type,
        };
        let tag = |id: u16, next: EtherType| SingleVlanHeader {
            pcp: VlanPcp::ZERO,
            drop_eligible_indicator: false,
            vlan_id: VlanId::try_new(id & VlanId::MAX_U16).unwrap_or(VlanId::ZERO),
            ether_type: next,
        };
        match self {
            Link::Ethernet => out.extend_from_slice(&eth(ether_type).to_bytes()),
            Link::Vlan(id) => {
                out.extend_from_slice(&eth(EtherType::VLAN_TAGGED_FRAME).to_bytes());
                out.extend_from_slice(&tag(id, ether_type).to_bytes());
            }
            Link::QinQ { outer, inner } => {
                out.extend_from_slice(&eth(EtherType::PROVIDER_BRIDGING).to_bytes());
                out.extend_from_slice(&tag(outer, EtherType::VLAN_TAGGED_FRAME).to_bytes());
                out.extend_from_slice(&tag(inner, ether_type).to_bytes());
            }
            Link::Raw => {}
            Link::LinuxSll => {
                let mut addr = [0u8; 8];
                addr[..6].copy_from_slice(&mac_for(src));
                let h = LinuxSllHeader {
                    packet_type: LinuxSllPacketType::HOST,
                    arp_hrd_type: ArpHardwareId::ETHERNET,
                    sender_address_valid_length: 6,
                    sender_address: addr,
                    protocol_type: LinuxSllProtocolType::EtherType(ether_type),
                };
                out.extend_from_slice(&h.to_bytes());
            }
            Link::Null => out.extend_from_slice(&(if v6 { 24u32 } else { 2u32 }).to_le_bytes()),
        }
        out.extend_from_slice(ip);
        out
    }
}

/// The last four bytes of the source and destination addresses of an IP packet (zeros when the
/// packet is too short to have them).
fn ip_addr_tails(ip: &[u8]) -> ([u8; 4], [u8; 4]) {
    let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
    let (s, d) = if v6 {
        (20..24, 36..40)
    } else {
        (12..16, 16..20)
    };
    let get = |r: std::ops::Range<usize>| -> [u8; 4] {
        ip.get(r).and_then(|b| b.try_into().ok()).unwrap_or([0; 4])
    };
    (get(s), get(d))
}

/// The MAC address the fixtures use for a host: `02:00:` followed by the last four bytes of its
/// IP address (locally administered, unicast).
pub fn mac_for(addr_tail: [u8; 4]) -> [u8; 6] {
    [
        0x02,
        0x00,
        addr_tail[0],
        addr_tail[1],
        addr_tail[2],
        addr_tail[3],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ep;
    use crate::packet::udp_packet;
    use etherparse::{LinkSlice, NetSlice, SlicedPacket, TransportSlice};

    fn udp4() -> Vec<u8> {
        udp_packet(ep("10.1.2.3:1000"), ep("10.9.8.7:53"), b"q")
    }

    fn check_udp(p: &SlicedPacket<'_>) {
        match &p.transport {
            Some(TransportSlice::Udp(u)) => {
                assert_eq!((u.source_port(), u.destination_port()), (1000, 53));
                assert_eq!(u.payload(), b"q");
            }
            other => panic!("not udp: {other:?}"),
        }
    }

    #[test]
    fn ethernet_macs_from_ips() {
        let f = Link::Ethernet.wrap(&udp4());
        let p = SlicedPacket::from_ethernet(&f).expect("parse");
        match &p.link {
            Some(LinkSlice::Ethernet2(e)) => {
                assert_eq!(e.source(), [2, 0, 10, 1, 2, 3]);
                assert_eq!(e.destination(), [2, 0, 10, 9, 8, 7]);
                assert_eq!(e.ether_type(), EtherType::IPV4);
            }
            other => panic!("{other:?}"),
        }
        check_udp(&p);
        assert_eq!(Link::Ethernet.linktype(), 1);
    }

    #[test]
    fn single_and_double_vlan() {
        let f = Link::Vlan(100).wrap(&udp4());
        assert_eq!(&f[12..14], &[0x81, 0x00]);
        let p = SlicedPacket::from_ethernet(&f).expect("parse");
        let ids: Vec<u16> = p
            .link_exts
            .iter()
            .filter_map(|e| match e {
                etherparse::LinkExtSlice::Vlan(v) => Some(v.vlan_identifier().value()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, vec![100]);
        check_udp(&p);

        let f = Link::QinQ {
            outer: 10,
            inner: 4095,
        }
        .wrap(&udp4());
        assert_eq!(&f[12..14], &[0x88, 0xa8]);
        assert_eq!(&f[16..18], &[0x81, 0x00]);
        let p = SlicedPacket::from_ethernet(&f).expect("parse");
        let ids: Vec<u16> = p
            .link_exts
            .iter()
            .filter_map(|e| match e {
                etherparse::LinkExtSlice::Vlan(v) => Some(v.vlan_identifier().value()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, vec![10, 4095]);
        check_udp(&p);
    }

    #[test]
    fn raw_sll_null() {
        let ip = udp4();
        let raw = Link::Raw.wrap(&ip);
        assert_eq!(raw, ip);
        check_udp(&SlicedPacket::from_ip(&raw).expect("raw"));
        assert_eq!(Link::Raw.linktype(), 101);

        let sll = Link::LinuxSll.wrap(&ip);
        assert_eq!(sll.len(), ip.len() + 16);
        let p = SlicedPacket::from_linux_sll(&sll).expect("sll");
        assert!(matches!(p.net, Some(NetSlice::Ipv4(_))));
        check_udp(&p);
        assert_eq!(Link::LinuxSll.linktype(), 113);

        let null = Link::Null.wrap(&ip);
        assert_eq!(&null[..4], &[2, 0, 0, 0]);
        check_udp(&SlicedPacket::from_ip(&null[4..]).expect("null"));
        let v6 = udp_packet(ep("[2001:db8::1]:1000"), ep("[2001:db8::2]:53"), b"q");
        assert_eq!(&Link::Null.wrap(&v6)[..4], &[24, 0, 0, 0]);
        assert_eq!(Link::Null.linktype(), 0);
    }

    #[test]
    fn ipv6_ethertype_and_short_input() {
        let v6 = udp_packet(ep("[2001:db8::a:b]:1"), ep("[2001:db8::c:d]:2"), b"");
        let f = Link::Ethernet.wrap(&v6);
        assert_eq!(&f[12..14], &[0x86, 0xdd]);
        assert_eq!(&f[6..12], &[2, 0, 0, 0x0a, 0, 0x0b]);
        // Garbage still frames (zero MACs), no panic.
        assert_eq!(Link::Vlan(5).wrap(&[0x45]).len(), 19);
        assert_eq!(Link::Ethernet.wrap(&[]).len(), 14);
    }
}
