//! The decoded view of one packet. Every field borrows from (or indexes into) the captured bytes:
//! decoding allocates nothing.

use std::net::IpAddr;

/// An IP address stored as 16 bytes (IPv4 mapped into the first 4 bytes, rest zero), cheap to hash
/// and compare on the hot path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Addr {
    /// Address bytes; for IPv4 only the first four are used.
    pub bytes: [u8; 16],
    /// True for IPv6.
    pub v6: bool,
}

impl Addr {
    /// An IPv4 address.
    pub const fn v4(b: [u8; 4]) -> Self {
        Addr { bytes: [b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], v6: false }
    }
    /// An IPv6 address.
    pub const fn v6(b: [u8; 16]) -> Self {
        Addr { bytes: b, v6: true }
    }
    /// As a std address (for printing and config matching; not for the hot path).
    pub fn to_ip(self) -> IpAddr {
        if self.v6 {
            IpAddr::from(self.bytes)
        } else {
            IpAddr::from([self.bytes[0], self.bytes[1], self.bytes[2], self.bytes[3]])
        }
    }
}

impl From<IpAddr> for Addr {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Addr::v4(a.octets()),
            IpAddr::V6(a) => Addr::v6(a.octets()),
        }
    }
}

/// IPv4 header fields sekimori uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipv4Info {
    /// Header length in bytes (20..=60).
    pub header_len: u8,
    /// Type of service / DSCP+ECN byte.
    pub tos: u8,
    /// Total length field.
    pub total_len: u16,
    /// Identification.
    pub id: u16,
    /// Don't Fragment flag.
    pub df: bool,
    /// More Fragments flag.
    pub mf: bool,
    /// Fragment offset in bytes (field value × 8).
    pub frag_offset: u16,
    /// Time to live.
    pub ttl: u8,
    /// Protocol number of the payload.
    pub proto: u8,
    /// True when the header checksum is wrong.
    pub bad_checksum: bool,
}

/// IPv6 fragment extension header, when present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipv6Frag {
    /// Fragment offset in bytes.
    pub offset: u16,
    /// More Fragments flag.
    pub mf: bool,
    /// Identification.
    pub id: u32,
    /// Next header after the fragment header.
    pub next_header: u8,
    /// Offset (from the start of the IPv6 header) of the fragment header itself.
    pub header_offset: u16,
}

/// IPv6 header fields sekimori uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipv6Info {
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Payload length field.
    pub payload_len: u16,
    /// Hop limit.
    pub hop_limit: u8,
    /// The upper-layer protocol after all extension headers.
    pub proto: u8,
    /// Length of the fixed header plus all extension headers (offset of the upper-layer header).
    pub header_len: u16,
    /// Fragment header, if one was present.
    pub frag: Option<Ipv6Frag>,
}

/// The network layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ip {
    /// IPv4.
    V4(Ipv4Info),
    /// IPv6.
    V6(Ipv6Info),
}

/// TCP flag bits as in the header's flags byte (FIN=0x01 … CWR=0x80).
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR.
    pub const CWR: u8 = 0x80;
}

/// TCP options sekimori tracks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size.
    pub mss: Option<u16>,
    /// Window scale shift.
    pub wscale: Option<u8>,
    /// SACK permitted.
    pub sack_permitted: bool,
    /// Timestamps (TSval, TSecr).
    pub timestamps: Option<(u32, u32)>,
}

/// TCP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Header length in bytes.
    pub header_len: u8,
    /// Flags byte (see [`tcp_flags`]).
    pub flags: u8,
    /// Raw window field (unscaled).
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Parsed options.
    pub options: TcpOptions,
}

/// UDP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UdpInfo {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Length field.
    pub len: u16,
}

/// The 5-tuple of the packet embedded in an ICMP error message (when it could be decoded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IcmpEmbedded {
    /// Source of the original packet.
    pub src: Addr,
    /// Destination of the original packet.
    pub dst: Addr,
    /// Protocol of the original packet.
    pub proto: u8,
    /// Source port (0 when the protocol has none).
    pub sport: u16,
    /// Destination port (0 when the protocol has none).
    pub dport: u16,
}

/// ICMPv4 or ICMPv6 header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IcmpInfo {
    /// Type.
    pub icmp_type: u8,
    /// Code.
    pub code: u8,
    /// Identifier (echo request/reply), else 0.
    pub id: u16,
    /// Sequence (echo request/reply), else 0.
    pub seq: u16,
    /// The embedded packet of an error message (destination unreachable, time exceeded, ...).
    pub embedded: Option<IcmpEmbedded>,
}

/// The transport layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum L4 {
    /// No transport header was decoded (non-first fragment, unknown protocol, truncation).
    #[default]
    None,
    /// TCP.
    Tcp(TcpInfo),
    /// UDP.
    Udp(UdpInfo),
    /// ICMPv4.
    Icmpv4(IcmpInfo),
    /// ICMPv6.
    Icmpv6(IcmpInfo),
    /// Another IP protocol (GRE, SCTP, ESP, ...), decoded no further.
    Other(u8),
}

/// One decoded packet. Borrows the captured bytes; `payload` is a sub-slice of `data`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Decoded<'a> {
    /// The whole captured packet, link header included.
    pub data: &'a [u8],
    /// VLAN ids, outermost first (802.1Q / 802.1ad, up to three tags).
    pub vlan: [u16; 3],
    /// How many entries of `vlan` are used.
    pub vlan_count: u8,
    /// Offset of the IP header in `data` (meaningful when `ip` is Some).
    pub l3_offset: u16,
    /// Network layer, when an IP header was decoded.
    pub ip: Option<Ip>,
    /// IP source address (zero when `ip` is None).
    pub src: Addr,
    /// IP destination address (zero when `ip` is None).
    pub dst: Addr,
    /// Transport layer.
    pub l4: L4,
    /// Offset of the transport header in `data` (meaningful when `l4` is not None).
    pub l4_offset: u16,
    /// Transport payload (TCP/UDP data, ICMP body after the 8-byte header); for fragments and
    /// undecoded protocols the IP payload.
    pub payload: &'a [u8],
    /// Decoder anomalies seen in this packet.
    pub anomalies: crate::anomaly::Anomalies,
}

impl Decoded<'_> {
    /// VLAN ids in use, outermost first.
    pub fn vlans(&self) -> &[u16] {
        &self.vlan[..self.vlan_count as usize]
    }
    /// The IP protocol number of the transport layer, if an IP header was decoded.
    pub fn ip_proto(&self) -> Option<u8> {
        match self.ip? {
            Ip::V4(h) => Some(h.proto),
            Ip::V6(h) => Some(h.proto),
        }
    }
    /// True when this packet is an IP fragment (not an atomic IPv6 fragment).
    pub fn is_fragment(&self) -> bool {
        match self.ip {
            Some(Ip::V4(h)) => h.mf || h.frag_offset != 0,
            Some(Ip::V6(h)) => h.frag.is_some_and(|f| f.mf || f.offset != 0),
            None => false,
        }
    }
    /// Source and destination ports (TCP/UDP), else (0, 0).
    pub fn ports(&self) -> (u16, u16) {
        match self.l4 {
            L4::Tcp(t) => (t.sport, t.dport),
            L4::Udp(u) => (u.sport, u.dport),
            _ => (0, 0),
        }
    }
}
