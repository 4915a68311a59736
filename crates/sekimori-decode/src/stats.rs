//! Decoder counters.

use crate::anomaly::Anomaly;
use crate::types::{Decoded, Ip, L4};

/// Per-layer decoder counters. Plain counters: the owner calls [`DecodeStats::record`] once per
/// decoded packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeStats {
    /// Packets decoded.
    pub pkts: u64,
    /// Captured bytes of those packets.
    pub bytes: u64,
    /// Packets with an IPv4 header.
    pub ipv4: u64,
    /// Packets with an IPv6 header.
    pub ipv6: u64,
    /// Packets without an IP layer (ARP, LLC, undecodable, ...).
    pub no_ip: u64,
    /// Packets with a decoded TCP header.
    pub tcp: u64,
    /// Packets with a decoded UDP header.
    pub udp: u64,
    /// Packets with a decoded ICMPv4 header.
    pub icmpv4: u64,
    /// Packets with a decoded ICMPv6 header.
    pub icmpv6: u64,
    /// Packets with another IP protocol (not decoded further).
    pub other_l4: u64,
    /// Packets carrying at least one VLAN tag.
    pub vlan: u64,
    /// Packets carrying two or more VLAN tags.
    pub vlan_qinq: u64,
    /// IP fragments (non-atomic).
    pub fragments: u64,
    /// IPv4 packets whose header checksum is wrong.
    pub ipv4_bad_checksum: u64,
    /// Packets with at least one anomaly.
    pub pkts_with_anomalies: u64,
    /// Packets with at least one invalid-packet anomaly ([`Anomaly::is_invalid`]).
    pub invalid: u64,
    /// Count per anomaly kind, indexed by `anomaly as usize`.
    pub anomalies: [u64; Anomaly::COUNT],
    /// Anomalies that did not fit in a packet's inline list (counted, kind unknown).
    pub anomalies_overflow: u64,
}

impl Default for DecodeStats {
    fn default() -> Self {
        DecodeStats {
            pkts: 0,
            bytes: 0,
            ipv4: 0,
            ipv6: 0,
            no_ip: 0,
            tcp: 0,
            udp: 0,
            icmpv4: 0,
            icmpv6: 0,
            other_l4: 0,
            vlan: 0,
            vlan_qinq: 0,
            fragments: 0,
            ipv4_bad_checksum: 0,
            pkts_with_anomalies: 0,
            invalid: 0,
            anomalies: [0; Anomaly::COUNT],
            anomalies_overflow: 0,
        }
    }
}

impl DecodeStats {
    /// Counts one decoded packet.
    pub fn record(&mut self, d: &Decoded<'_>) {
        self.pkts += 1;
        self.bytes += d.data.len() as u64;
        match d.ip {
            Some(Ip::V4(h)) => {
                self.ipv4 += 1;
                self.ipv4_bad_checksum += u64::from(h.bad_checksum);
            }
            Some(Ip::V6(_)) => self.ipv6 += 1,
            None => self.no_ip += 1,
        }
        match d.l4 {
            L4::None => {}
            L4::Tcp(_) => self.tcp += 1,
            L4::Udp(_) => self.udp += 1,
            L4::Icmpv4(_) => self.icmpv4 += 1,
            L4::Icmpv6(_) => self.icmpv6 += 1,
            L4::Other(_) => self.other_l4 += 1,
        }
        if d.vlan_count > 0 {
            self.vlan += 1;
        }
        if d.vlan_count > 1 {
            self.vlan_qinq += 1;
        }
        if d.is_fragment() {
            self.fragments += 1;
        }
        if !d.anomalies.is_empty() {
            self.pkts_with_anomalies += 1;
            if d.anomalies.any_invalid() {
                self.invalid += 1;
            }
            for a in d.anomalies.iter() {
                if let Some(c) = self.anomalies.get_mut(a.index()) {
                    *c += 1;
                }
            }
            self.anomalies_overflow += u64::from(d.anomalies.overflow);
        }
    }

    /// Count of one anomaly kind.
    pub fn anomaly(&self, a: Anomaly) -> u64 {
        self.anomalies.get(a.index()).copied().unwrap_or(0)
    }

    /// The anomaly kinds seen at least once, with their counts (for stats output).
    pub fn anomalies_seen(&self) -> impl Iterator<Item = (Anomaly, u64)> + '_ {
        Anomaly::ALL
            .iter()
            .map(|&a| (a, self.anomaly(a)))
            .filter(|&(_, n)| n > 0)
    }

    /// Adds another set of counters (per-thread totals).
    pub fn merge(&mut self, o: &DecodeStats) {
        self.pkts += o.pkts;
        self.bytes += o.bytes;
        self.ipv4 += o.ipv4;
        self.ipv6 += o.ipv6;
        self.no_ip += o.no_ip;
        self.tcp += o.tcp;
        self.udp += o.udp;
        self.icmpv4 += o.icmpv4;
        self.icmpv6 += o.icmpv6;
        self.other_l4 += o.other_l4;
        self.vlan += o.vlan;
        self.vlan_qinq += o.vlan_qinq;
        self.fragments += o.fragments;
        self.ipv4_bad_checksum += o.ipv4_bad_checksum;
        self.pkts_with_anomalies += o.pkts_with_anomalies;
        self.invalid += o.invalid;
        for (a, b) in self.anomalies.iter_mut().zip(o.anomalies.iter()) {
            *a += b;
        }
        self.anomalies_overflow += o.anomalies_overflow;
    }
}
