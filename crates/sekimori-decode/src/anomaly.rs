//! Decoder anomalies: named as Suricata's decoder events so EVE `anomaly` records line up.

/// A decoder anomaly (Suricata's `decoder.*` event names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Anomaly {
    /// Packet shorter than an Ethernet header.
    EthernetPktTooSmall,
    /// IPv4 packet shorter than the minimal header.
    Ipv4PktTooSmall,
    /// IPv4 header length field below 20.
    Ipv4HlenTooSmall,
    /// IPv4 total length shorter than the header length.
    Ipv4IplenSmallerThanHlen,
    /// IPv4 packet shorter than its total length says.
    Ipv4TruncPkt,
    /// IP version field is neither 4 nor 6 where IPv4/IPv6 was expected.
    Ipv4WrongIpVer,
    /// IPv6 packet shorter than the fixed header.
    Ipv6PktTooSmall,
    /// IPv6 packet shorter than its payload length says.
    Ipv6TruncPkt,
    /// Wrong IP version in an IPv6 context.
    Ipv6WrongIpVer,
    /// TCP segment shorter than the minimal header.
    TcpPktTooSmall,
    /// TCP header length field inconsistent with the packet.
    TcpHlenTooSmall,
    /// UDP datagram shorter than its header.
    UdpPktTooSmall,
    /// UDP length field inconsistent with the packet.
    UdpHlenInvalid,
    /// ICMPv4 message shorter than its header.
    Icmpv4PktTooSmall,
    /// ICMPv6 message shorter than its header.
    Icmpv6PktTooSmall,
    /// VLAN header truncated.
    VlanHeaderTooSmall,
    /// More VLAN layers than supported.
    VlanTooManyLayers,
    /// Linux SLL header truncated.
    SllPktTooSmall,
    /// Null/loopback header truncated.
    NullPktTooSmall,
    /// Link type not supported.
    UnsupportedLinkType,
}

impl Anomaly {
    /// Suricata's event name, e.g. `decoder.ipv4.trunc_pkt`.
    pub const fn name(self) -> &'static str {
        match self {
            Anomaly::EthernetPktTooSmall => "decoder.ethernet.pkt_too_small",
            Anomaly::Ipv4PktTooSmall => "decoder.ipv4.pkt_too_small",
            Anomaly::Ipv4HlenTooSmall => "decoder.ipv4.hlen_too_small",
            Anomaly::Ipv4IplenSmallerThanHlen => "decoder.ipv4.iplen_smaller_than_hlen",
            Anomaly::Ipv4TruncPkt => "decoder.ipv4.trunc_pkt",
            Anomaly::Ipv4WrongIpVer => "decoder.ipv4.wrong_ip_version",
            Anomaly::Ipv6PktTooSmall => "decoder.ipv6.pkt_too_small",
            Anomaly::Ipv6TruncPkt => "decoder.ipv6.trunc_pkt",
            Anomaly::Ipv6WrongIpVer => "decoder.ipv6.wrong_ip_version",
            Anomaly::TcpPktTooSmall => "decoder.tcp.pkt_too_small",
            Anomaly::TcpHlenTooSmall => "decoder.tcp.hlen_too_small",
            Anomaly::UdpPktTooSmall => "decoder.udp.pkt_too_small",
            Anomaly::UdpHlenInvalid => "decoder.udp.hlen_invalid",
            Anomaly::Icmpv4PktTooSmall => "decoder.icmpv4.pkt_too_small",
            Anomaly::Icmpv6PktTooSmall => "decoder.icmpv6.pkt_too_small",
            Anomaly::VlanHeaderTooSmall => "decoder.vlan.header_too_small",
            Anomaly::VlanTooManyLayers => "decoder.vlan.too_many_layers",
            Anomaly::SllPktTooSmall => "decoder.sll.pkt_too_small",
            Anomaly::NullPktTooSmall => "decoder.null.pkt_too_small",
            Anomaly::UnsupportedLinkType => "decoder.unsupported_link_type",
        }
    }
}

/// The anomalies of one packet, kept inline (no allocation); extras beyond capacity are counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Anomalies {
    items: [Option<Anomaly>; 4],
    len: u8,
    /// Anomalies that did not fit.
    pub overflow: u8,
}

impl Anomalies {
    /// Records an anomaly.
    pub fn push(&mut self, a: Anomaly) {
        if (self.len as usize) < self.items.len() {
            self.items[self.len as usize] = Some(a);
            self.len += 1;
        } else {
            self.overflow = self.overflow.saturating_add(1);
        }
    }
    /// True when none were recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The recorded anomalies.
    pub fn iter(&self) -> impl Iterator<Item = Anomaly> + '_ {
        self.items[..self.len as usize].iter().flatten().copied()
    }
}
