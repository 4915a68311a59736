//! Decoder anomalies: named as Suricata's decoder events so EVE `anomaly` records line up.
//!
//! The names are those of Suricata 7.0 (`decode-events.c`), plus `decoder.sll2.pkt_too_small`
//! (Suricata 8) and one sekimori-specific name, `decoder.unsupported_link_type` (Suricata refuses
//! such captures at start-up instead of flagging packets). The defragmentation events
//! (`decoder.ipv4.frag_overlap`, ...) live here too because Suricata reports them in the same
//! `decoder.*` namespace; `sekimori-defrag` raises them.

/// Declares [`Anomaly`] together with its name table, its "invalid" classification and the list of
/// all variants, so the four can never drift apart.
macro_rules! anomalies {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal, $invalid:literal;)*) => {
        /// A decoder anomaly (Suricata's `decoder.*` event names).
        ///
        /// `a as usize` is a dense index in `0..Anomaly::COUNT` (used by the statistics array).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[repr(u8)]
        pub enum Anomaly {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Anomaly {
            /// Every anomaly, in declaration (= index) order.
            pub const ALL: &'static [Anomaly] = &[$(Anomaly::$variant,)*];

            /// Suricata's event name, e.g. `decoder.ipv4.trunc_pkt`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Anomaly::$variant => $name,)*
                }
            }

            /// True when Suricata raises this event as an *invalid-packet* event
            /// (`ENGINE_SET_INVALID_EVENT`): the layer it concerns could not be decoded and Suricata
            /// stops decoding the packet there. Informational events (unknown ICMP type, IPv6
            /// routing header type 0, ...) return false.
            pub const fn is_invalid(self) -> bool {
                match self {
                    $(Anomaly::$variant => $invalid,)*
                }
            }
        }
    };
}

anomalies! {
    // ---- link layer ----
    /// Packet shorter than an Ethernet header.
    EthernetPktTooSmall => "decoder.ethernet.pkt_too_small", true;
    /// VLAN header truncated.
    VlanHeaderTooSmall => "decoder.vlan.header_too_small", true;
    /// VLAN tag followed by an unknown ethertype.
    VlanUnknownType => "decoder.vlan.unknown_type", true;
    /// More VLAN layers than supported (more than three tags).
    VlanTooManyLayers => "decoder.vlan.too_many_layers", false;
    /// Linux SLL header truncated.
    SllPktTooSmall => "decoder.sll.pkt_too_small", true;
    /// Linux SLL2 header truncated.
    Sll2PktTooSmall => "decoder.sll2.pkt_too_small", true;
    /// Null/loopback header truncated.
    NullPktTooSmall => "decoder.ltnull.pkt_too_small", true;
    /// Null/loopback address family is neither IPv4 nor IPv6.
    NullUnsupportedType => "decoder.ltnull.unsupported_type", false;
    /// Raw-IP link type whose version nibble is neither 4 nor 6.
    IpRawInvalidIpVersion => "decoder.ipraw.invalid_ip_version", false;
    /// PPPoE session header truncated.
    PppoePktTooSmall => "decoder.pppoe.pkt_too_small", true;
    /// PPP protocol field is not a known protocol.
    PppWrongType => "decoder.ppp.wrong_type", true;
    /// PPP protocol known but not decoded (LCP, IPCP, IPX, ...).
    PppUnsupProto => "decoder.ppp.unsup_proto", false;
    /// PPP carries IPv4 but the packet is shorter than an IPv4 header.
    PppIp4PktTooSmall => "decoder.ppp.ip4_pkt_too_small", true;
    /// PPP carries IPv6 but the packet is shorter than an IPv6 header.
    PppIp6PktTooSmall => "decoder.ppp.ip6_pkt_too_small", true;
    /// Link type not supported (sekimori-specific name).
    UnsupportedLinkType => "decoder.unsupported_link_type", true;

    // ---- IPv4 ----
    /// IPv4 packet shorter than the minimal header.
    Ipv4PktTooSmall => "decoder.ipv4.pkt_too_small", true;
    /// IPv4 header length field below 20.
    Ipv4HlenTooSmall => "decoder.ipv4.hlen_too_small", true;
    /// IPv4 total length shorter than the header length.
    Ipv4IplenSmallerThanHlen => "decoder.ipv4.iplen_smaller_than_hlen", true;
    /// IPv4 packet shorter than its total length says.
    Ipv4TruncPkt => "decoder.ipv4.trunc_pkt", true;
    /// IPv4 option of a type sekimori does not know.
    Ipv4OptInvalid => "decoder.ipv4.opt_invalid", false;
    /// IPv4 option with an impossible length.
    Ipv4OptInvalidLen => "decoder.ipv4.opt_invalid_len", true;
    /// IPv4 option whose content is malformed (bad pointer, bad CIPSO tag, ...).
    Ipv4OptMalformed => "decoder.ipv4.opt_malformed", true;
    /// IPv4 options not padded to a multiple of 8 bytes.
    Ipv4OptPadRequired => "decoder.ipv4.opt_pad_required", false;
    /// IPv4 options end without an End-of-List option where one was needed.
    Ipv4OptEolRequired => "decoder.ipv4.opt_eol_required", false;
    /// The same IPv4 option appears twice.
    Ipv4OptDuplicate => "decoder.ipv4.opt_duplicate", false;
    /// Unknown IPv4 option (kept for Suricata parity; sekimori raises `opt_invalid`, as Suricata does).
    Ipv4OptUnknown => "decoder.ipv4.opt_unknown", true;
    /// IP version field is not 4 where IPv4 was expected.
    Ipv4WrongIpVer => "decoder.ipv4.wrong_ip_version", true;
    /// IPv4 packet carrying ICMPv6.
    Ipv4WithIcmpv6 => "decoder.ipv4.icmpv6", true;

    // ---- ICMPv4 ----
    /// ICMPv4 message shorter than its header.
    Icmpv4PktTooSmall => "decoder.icmpv4.pkt_too_small", true;
    /// ICMPv4 type not known.
    Icmpv4UnknownType => "decoder.icmpv4.unknown_type", false;
    /// ICMPv4 code not valid for its type.
    Icmpv4UnknownCode => "decoder.icmpv4.unknown_code", false;
    /// ICMPv4 error message whose embedded IPv4 header is truncated.
    Icmpv4Ipv4TruncPkt => "decoder.icmpv4.ipv4_trunc_pkt", true;
    /// ICMPv4 error message whose embedded packet is not IPv4.
    Icmpv4Ipv4UnknownVer => "decoder.icmpv4.ipv4_unknown_ver", true;

    // ---- ICMPv6 ----
    /// ICMPv6 type not known.
    Icmpv6UnknownType => "decoder.icmpv6.unknown_type", false;
    /// ICMPv6 code not valid for its type.
    Icmpv6UnknownCode => "decoder.icmpv6.unknown_code", false;
    /// ICMPv6 message shorter than its header.
    Icmpv6PktTooSmall => "decoder.icmpv6.pkt_too_small", true;
    /// ICMPv6 error message whose embedded packet is not IPv6.
    Icmpv6Ipv6UnknownVersion => "decoder.icmpv6.ipv6_unknown_version", true;
    /// ICMPv6 error message whose embedded IPv6 header is truncated.
    Icmpv6Ipv6TruncPkt => "decoder.icmpv6.ipv6_trunc_pkt", true;
    /// MLD message with a hop limit other than 1.
    Icmpv6MldMessageWithInvalidHl => "decoder.icmpv6.mld_message_with_invalid_hl", false;
    /// ICMPv6 type in an unassigned range.
    Icmpv6UnassignedType => "decoder.icmpv6.unassigned_type", false;
    /// ICMPv6 type in an experimentation range.
    Icmpv6ExperimentationType => "decoder.icmpv6.experimentation_type", false;

    // ---- IPv6 ----
    /// IPv6 packet shorter than the fixed header.
    Ipv6PktTooSmall => "decoder.ipv6.pkt_too_small", true;
    /// IPv6 packet shorter than its payload length says.
    Ipv6TruncPkt => "decoder.ipv6.trunc_pkt", true;
    /// IPv6 extension header runs past the payload.
    Ipv6TruncExthdr => "decoder.ipv6.trunc_exthdr", true;
    /// Two fragment headers.
    Ipv6ExthdrDuplFh => "decoder.ipv6.exthdr_dupl_fh", false;
    /// Fragment header with offset 0 and MF clear (an atomic fragment).
    Ipv6ExthdrUselessFh => "decoder.ipv6.exthdr_useless_fh", false;
    /// Two routing headers.
    Ipv6ExthdrDuplRh => "decoder.ipv6.exthdr_dupl_rh", false;
    /// Two hop-by-hop headers.
    Ipv6ExthdrDuplHh => "decoder.ipv6.exthdr_dupl_hh", false;
    /// More than two destination-options headers.
    Ipv6ExthdrDuplDh => "decoder.ipv6.exthdr_dupl_dh", false;
    /// Two authentication headers.
    Ipv6ExthdrDuplAh => "decoder.ipv6.exthdr_dupl_ah", false;
    /// Two ESP headers (kept for Suricata parity; decoding stops at ESP so it is never raised).
    Ipv6ExthdrDuplEh => "decoder.ipv6.exthdr_dupl_eh", false;
    /// Hop-by-hop / destination option length inconsistent with its header.
    Ipv6ExthdrInvalidOptlen => "decoder.ipv6.exthdr_invalid_optlen", true;
    /// IP version field is not 6 where IPv6 was expected.
    Ipv6WrongIpVer => "decoder.ipv6.wrong_ip_version", true;
    /// Authentication header with a non-zero reserved field.
    Ipv6ExthdrAhResNotNull => "decoder.ipv6.exthdr_ah_res_not_null", false;
    /// Unknown hop-by-hop option.
    Ipv6HopoptsUnknownOpt => "decoder.ipv6.hopopts_unknown_opt", false;
    /// Hop-by-hop header containing only padding.
    Ipv6HopoptsOnlyPadding => "decoder.ipv6.hopopts_only_padding", false;
    /// Unknown destination option.
    Ipv6DstoptsUnknownOpt => "decoder.ipv6.dstopts_unknown_opt", false;
    /// Destination-options header containing only padding.
    Ipv6DstoptsOnlyPadding => "decoder.ipv6.dstopts_only_padding", false;
    /// Routing header type 0 (deprecated, RFC 5095).
    Ipv6RhType0 => "decoder.ipv6.rh_type_0", false;
    /// PadN option of length zero.
    Ipv6ZeroLenPadn => "decoder.ipv6.zero_len_padn", false;
    /// Fragment header with a non-zero reserved field.
    Ipv6FhNonZeroReservedField => "decoder.ipv6.fh_non_zero_reserved_field", false;
    /// Data after a No-Next-Header.
    Ipv6DataAfterNoneHeader => "decoder.ipv6.data_after_none_header", false;
    /// Next header value sekimori does not know.
    Ipv6UnknownNextHeader => "decoder.ipv6.unknown_next_header", false;
    /// IPv6 packet carrying ICMPv4.
    Ipv6WithIcmpv4 => "decoder.ipv6.icmpv4", false;
    /// Non-last IPv6 fragment whose length is not a multiple of 8.
    Ipv6FragInvalidLength => "decoder.ipv6.frag_invalid_length", false;

    // ---- TCP ----
    /// TCP segment shorter than the minimal header.
    TcpPktTooSmall => "decoder.tcp.pkt_too_small", true;
    /// TCP header length (data offset) larger than the segment.
    TcpHlenTooSmall => "decoder.tcp.hlen_too_small", true;
    /// TCP options length invalid (data offset below 5 or above 15 words, as Suricata reports it).
    TcpInvalidOptlen => "decoder.tcp.invalid_optlen", true;
    /// TCP option with a length invalid for its kind.
    TcpOptInvalidLen => "decoder.tcp.opt_invalid_len", false;
    /// The same TCP option appears twice.
    TcpOptDuplicate => "decoder.tcp.opt_duplicate", false;

    // ---- UDP ----
    /// UDP length field larger than the IP payload.
    UdpPktTooSmall => "decoder.udp.pkt_too_small", true;
    /// IP payload shorter than a UDP header.
    UdpHlenTooSmall => "decoder.udp.hlen_too_small", true;
    /// Kept for Suricata parity (defined there, never raised by Suricata 7 nor by sekimori).
    UdpHlenInvalid => "decoder.udp.hlen_invalid", true;
    /// UDP length field below 8.
    UdpLenInvalid => "decoder.udp.len_invalid", true;

    // ---- fragmentation (raised by sekimori-defrag) ----
    /// IPv4 fragment would make the datagram larger than 65535 bytes.
    Ipv4FragPktTooLarge => "decoder.ipv4.frag_pkt_too_large", false;
    /// IPv6 fragment would make the datagram larger than 65535 bytes of payload.
    Ipv6FragPktTooLarge => "decoder.ipv6.frag_pkt_too_large", false;
    /// IPv4 fragment overlapping data already held.
    Ipv4FragOverlap => "decoder.ipv4.frag_overlap", false;
    /// IPv6 fragment overlapping data already held.
    Ipv6FragOverlap => "decoder.ipv6.frag_overlap", false;
    /// IPv4 fragment ignored (limits: memcap, trackers, fragments per datagram, inconsistent end).
    Ipv4FragIgnored => "decoder.ipv4.frag_ignored", false;
    /// IPv6 fragment ignored (limits: memcap, trackers, fragments per datagram, inconsistent end).
    Ipv6FragIgnored => "decoder.ipv6.frag_ignored", false;
}

impl Anomaly {
    /// Number of anomaly kinds (the length of [`Anomaly::ALL`]).
    pub const COUNT: usize = Anomaly::ALL.len();

    /// Index of this anomaly in `0..COUNT` (same as `self as usize`).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The anomaly with Suricata name `name`, if any.
    pub fn from_name(name: &str) -> Option<Anomaly> {
        Anomaly::ALL.iter().copied().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How many anomalies one packet keeps inline.
const INLINE: usize = 8;

/// The anomalies of one packet, kept inline (no allocation); extras beyond capacity are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anomalies {
    items: [Option<Anomaly>; INLINE],
    len: u8,
    /// Anomalies that did not fit.
    pub overflow: u8,
}

impl Anomalies {
    /// Records an anomaly.
    pub fn push(&mut self, a: Anomaly) {
        match self.items.get_mut(self.len as usize) {
            Some(slot) => {
                *slot = Some(a);
                self.len += 1;
            }
            None => self.overflow = self.overflow.saturating_add(1),
        }
    }
    /// True when none were recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Number of anomalies kept (not counting `overflow`).
    pub fn len(&self) -> usize {
        self.len as usize
    }
    /// The recorded anomalies.
    pub fn iter(&self) -> impl Iterator<Item = Anomaly> + '_ {
        self.items.iter().take(self.len as usize).flatten().copied()
    }
    /// True when `a` was recorded.
    pub fn contains(&self, a: Anomaly) -> bool {
        self.iter().any(|x| x == a)
    }
    /// True when any recorded anomaly is an invalid-packet event (see [`Anomaly::is_invalid`]).
    pub fn any_invalid(&self) -> bool {
        self.iter().any(Anomaly::is_invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_suricata_shaped() {
        let mut names: Vec<&str> = Anomaly::ALL.iter().map(|a| a.name()).collect();
        assert!(names.iter().all(|n| n.starts_with("decoder.")));
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate anomaly name");
    }

    #[test]
    fn index_is_dense_and_matches_all() {
        for (i, a) in Anomaly::ALL.iter().enumerate() {
            assert_eq!(a.index(), i);
            assert_eq!(*a as usize, i);
            assert_eq!(Anomaly::from_name(a.name()), Some(*a));
        }
        assert_eq!(Anomaly::COUNT, Anomaly::ALL.len());
        assert_eq!(Anomaly::from_name("decoder.nope"), None);
    }

    #[test]
    fn known_names() {
        assert_eq!(Anomaly::Ipv4TruncPkt.name(), "decoder.ipv4.trunc_pkt");
        assert_eq!(
            Anomaly::NullPktTooSmall.name(),
            "decoder.ltnull.pkt_too_small"
        );
        assert_eq!(
            Anomaly::Ipv4FragOverlap.to_string(),
            "decoder.ipv4.frag_overlap"
        );
        assert!(Anomaly::TcpHlenTooSmall.is_invalid());
        assert!(!Anomaly::Icmpv4UnknownType.is_invalid());
    }

    #[test]
    fn inline_capacity_and_overflow() {
        let mut a = Anomalies::default();
        assert!(a.is_empty());
        for _ in 0..INLINE + 3 {
            a.push(Anomaly::TcpOptDuplicate);
        }
        assert_eq!(a.len(), INLINE);
        assert_eq!(a.overflow, 3);
        assert_eq!(a.iter().count(), INLINE);
        assert!(a.contains(Anomaly::TcpOptDuplicate));
        assert!(!a.contains(Anomaly::TcpPktTooSmall));
        assert!(!a.any_invalid());
        let mut b = Anomalies::default();
        b.push(Anomaly::Ipv4TruncPkt);
        assert!(b.any_invalid());
    }
}
