//! Types shared by every later stage: timestamps, link types, packets.

use std::fmt;

/// A packet timestamp: nanoseconds since the Unix epoch (UTC).
///
/// Nanoseconds keep pcapng/ns-pcap precision; EVE prints microseconds as Suricata does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds a timestamp from seconds and microseconds.
    pub const fn from_micros(secs: i64, usecs: u32) -> Self {
        Timestamp(secs * 1_000_000_000 + usecs as i64 * 1_000)
    }
    /// Builds a timestamp from seconds and nanoseconds.
    pub const fn from_nanos(secs: i64, nsecs: u32) -> Self {
        Timestamp(secs * 1_000_000_000 + nsecs as i64)
    }
    /// Whole seconds since the epoch (floor).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }
    /// Sub-second part in microseconds.
    pub const fn subsec_micros(self) -> u32 {
        (self.0.rem_euclid(1_000_000_000) / 1_000) as u32
    }
    /// Sub-second part in nanoseconds.
    pub const fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(1_000_000_000) as u32
    }
    /// Nanoseconds elapsed from `earlier` to `self` (saturating at zero).
    pub const fn nanos_since(self, earlier: Timestamp) -> u64 {
        if self.0 > earlier.0 { (self.0 - earlier.0) as u64 } else { 0 }
    }
    /// This timestamp plus `secs` seconds.
    pub const fn add_secs(self, secs: u64) -> Timestamp {
        Timestamp(self.0.saturating_add((secs as i64).saturating_mul(1_000_000_000)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}", self.secs(), self.subsec_micros())
    }
}

/// A pcap link type (LINKTYPE_* value). An integer newtype so unknown values still parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback / null: 4-byte host-order address family.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II / 802.3.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (v4 or v6 by version nibble), the portable value.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte network-order address family.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
    /// Raw IP as some OpenBSD-era writers store it (DLT_RAW = 12 on OpenBSD, 14 elsewhere).
    pub const RAW_ALT12: LinkType = LinkType(12);
    /// Raw IP, alternative DLT value 14.
    pub const RAW_ALT14: LinkType = LinkType(14);
}

/// One captured packet as delivered by a [`crate::PacketSource`]. Borrowed: valid until the next read.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// Capture time.
    pub ts: Timestamp,
    /// Link type of the interface that captured it.
    pub linktype: LinkType,
    /// Captured bytes (possibly shorter than `orig_len` when the snaplen cut it).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
    /// 1-based packet number in the whole run (Suricata's `pcap_cnt`).
    pub pcap_cnt: u64,
    /// Index of the input (file) the packet came from.
    pub source: u16,
}
