//! The per-packet decoder: link layer → VLAN/PPPoE → IPv4/IPv6 (+ extension headers) → TCP, UDP,
//! ICMPv4, ICMPv6.
//!
//! # Why hand-written (and not etherparse's `LaxSlicedPacket`)
//!
//! * Suricata's event taxonomy needs to know exactly which check failed at which layer, and decoding
//!   must go on after non-fatal events (IPv4 option checks, IPv6 extension-header checks, TCP option
//!   checks, ICMP type/code checks). etherparse's lax slicer stops at its first error and reports it
//!   in its own taxonomy; it validates neither IPv4 options nor TCP option lengths.
//! * Layers it does not cover: BSD null/loop, Linux SLL2, PPPoE sessions, the embedded packet of
//!   ICMP error messages, Suricata's ICMP type/code tables.
//! * It is the hot path: `benches/decode.rs` runs this decoder and `LaxSlicedPacket` over the same
//!   frames; this one does more work (checksum, options, anomalies) in less time.
//!
//! etherparse is used by the tests as an independent oracle and to build packets.
//!
//! # What the decoder guarantees
//!
//! * Never panics, never allocates; any byte sequence yields a [`Decoded`].
//! * IP payloads are trimmed to the IP total length (IPv4) / payload length (IPv6): Ethernet
//!   padding never becomes transport payload. When fewer bytes were captured than the IP header
//!   announces, `decoder.ipv4.trunc_pkt` / `decoder.ipv6.trunc_pkt` is raised and decoding goes on
//!   over what exists (transport length checks use the announced length, so a snaplen cut raises
//!   only the IP truncation event).
//! * When a transport header fails a Suricata validity check (the `is_invalid()` events), `l4` is
//!   [`L4::None`] and `payload` is the IP payload, exactly as for undecoded protocols.
//!
//! # Fragments
//!
//! For every real fragment (IPv4 with MF set or a non-zero offset; IPv6 with a fragment header that
//! is not atomic) the transport layer is **not** decoded, first fragment included: `l4` is
//! [`L4::None`], and `payload` holds the fragmentable bytes of this fragment: for IPv4 everything
//! after the IPv4 header (options included) up to the total length; for IPv6 everything after the
//! fragment header up to the payload length (extension headers that follow the fragment header
//! are part of it). `Ipv6Info::proto` is then the fragment header's next-header value and
//! `Ipv6Info::header_len` the offset just past the fragment header. This is exactly the input
//! `sekimori-defrag` needs; the reassembled datagram is decoded again with [`LinkType::RAW`].

use sekimori_capture::LinkType;

use crate::anomaly::{Anomalies, Anomaly};
use crate::checksum;
use crate::types::{
    Addr, Decoded, IcmpEmbedded, IcmpInfo, Ip, Ipv4Info, Ipv6Frag, Ipv6Info, L4, TcpInfo,
    TcpOptions, UdpInfo,
};

/// Maximum number of VLAN tags decoded (Suricata's limit).
pub const MAX_VLAN_LAYERS: usize = 3;

/// Ethertypes.
mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const IPV6: u16 = 0x86dd;
    pub const PPPOE_DISC: u16 = 0x8863;
    pub const PPPOE_SESS: u16 = 0x8864;
    pub const MPLS_UC: u16 = 0x8847;
    pub const MPLS_MC: u16 = 0x8848;
    pub const DOT1AD: u16 = 0x88a8;
    pub const DOT1AH: u16 = 0x88e7;
    pub const DCE: u16 = 0x8903;
    pub const VNTAG: u16 = 0x8926;
    pub const NSH: u16 = 0x894f;
    pub const QINQ: u16 = 0x9100;
}

/// IP protocol numbers.
mod ipproto {
    pub const HOPOPTS: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NONE: u8 = 59;
    pub const DSTOPTS: u8 = 60;
    pub const SCTP: u8 = 132;
    pub const MH: u8 = 135;
    pub const HIP: u8 = 139;
    pub const SHIM6: u8 = 140;
}

/// `N` bytes at `at`, if present.
#[inline(always)]
fn arr<const N: usize>(data: &[u8], at: usize) -> Option<&[u8; N]> {
    data.get(at..)?.first_chunk::<N>()
}

#[inline(always)]
fn be16(a: u8, b: u8) -> u16 {
    u16::from_be_bytes([a, b])
}

#[inline(always)]
fn be32(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// Decodes one captured frame of link type `linktype`.
///
/// Never fails, never panics, allocates nothing: what could not be decoded is left at its default
/// and explained by `anomalies`. Non-IP frames (ARP, LLC, ...) yield `ip: None` without anomaly.
#[inline]
pub fn decode(linktype: LinkType, data: &[u8]) -> Decoded<'_> {
    let mut d = Decoded {
        data,
        ..Decoded::default()
    };
    match linktype {
        LinkType::ETHERNET => ethernet(&mut d),
        LinkType::RAW | LinkType::RAW_ALT12 | LinkType::RAW_ALT14 => raw_ip(&mut d),
        LinkType::IPV4 => ipv4(&mut d, 0),
        LinkType::IPV6 => ipv6(&mut d, 0),
        LinkType::LINUX_SLL => sll(&mut d),
        LinkType::LINUX_SLL2 => sll2(&mut d),
        LinkType::NULL => null(&mut d, false),
        LinkType::LOOP => null(&mut d, true),
        _ => d.anomalies.push(Anomaly::UnsupportedLinkType),
    }
    d
}

// ------------------------------------------------------------------------------------------------
// Link layers

fn ethernet(d: &mut Decoded<'_>) {
    let Some(h) = arr::<14>(d.data, 0) else {
        d.anomalies.push(Anomaly::EthernetPktTooSmall);
        return;
    };
    let et = be16(h[12], h[13]);
    network_layer(d, et, 14);
}

fn sll(d: &mut Decoded<'_>) {
    let Some(h) = arr::<16>(d.data, 0) else {
        d.anomalies.push(Anomaly::SllPktTooSmall);
        return;
    };
    network_layer(d, be16(h[14], h[15]), 16);
}

fn sll2(d: &mut Decoded<'_>) {
    let Some(h) = arr::<20>(d.data, 0) else {
        d.anomalies.push(Anomaly::Sll2PktTooSmall);
        return;
    };
    network_layer(d, be16(h[0], h[1]), 20);
}

/// Address-family values meaning IPv4 / IPv6 in a null/loop header (BSD, FreeBSD, Darwin, Linux,
/// Solaris, Winsock values of AF_INET6).
fn null_family(v: u32) -> Option<bool> {
    match v {
        2 => Some(false),
        10 | 23 | 24 | 26 | 28 | 30 => Some(true),
        _ => None,
    }
}

/// BSD null (host byte order) and OpenBSD loop (network byte order). Both byte orders are
/// accepted for either, the documented one first: captures are often read on a machine of the
/// other endianness.
fn null(d: &mut Decoded<'_>, network_order: bool) {
    let Some(h) = arr::<4>(d.data, 0) else {
        d.anomalies.push(Anomaly::NullPktTooSmall);
        return;
    };
    let (le, be) = (u32::from_le_bytes(*h), u32::from_be_bytes(*h));
    let (first, second) = if network_order { (be, le) } else { (le, be) };
    match null_family(first).or_else(|| null_family(second)) {
        Some(false) => ipv4(d, 4),
        Some(true) => ipv6(d, 4),
        None => d.anomalies.push(Anomaly::NullUnsupportedType),
    }
}

fn raw_ip(d: &mut Decoded<'_>) {
    // Suricata: whatever the version, a raw packet must hold at least an IPv4 header.
    let Some(h) = arr::<20>(d.data, 0) else {
        d.anomalies.push(Anomaly::Ipv4PktTooSmall);
        return;
    };
    match h[0] >> 4 {
        4 => ipv4(d, 0),
        6 => ipv6(d, 0),
        _ => d.anomalies.push(Anomaly::IpRawInvalidIpVersion),
    }
}

/// Dispatches on an ethertype at `off`, walking up to three VLAN tags.
fn network_layer(d: &mut Decoded<'_>, mut et: u16, mut off: usize) {
    let mut in_vlan = false;
    loop {
        match et {
            ethertype::IPV4 => return ipv4(d, off),
            ethertype::IPV6 => return ipv6(d, off),
            ethertype::VLAN | ethertype::DOT1AD | ethertype::QINQ => {
                if d.vlan_count as usize >= MAX_VLAN_LAYERS {
                    d.anomalies.push(Anomaly::VlanTooManyLayers);
                    return;
                }
                let Some(v) = arr::<4>(d.data, off) else {
                    d.anomalies.push(Anomaly::VlanHeaderTooSmall);
                    return;
                };
                if let Some(slot) = d.vlan.get_mut(d.vlan_count as usize) {
                    *slot = be16(v[0], v[1]) & 0x0fff;
                    d.vlan_count += 1;
                }
                et = be16(v[2], v[3]);
                off += 4;
                in_vlan = true;
            }
            ethertype::PPPOE_SESS => return pppoe_session(d, off),
            // Known, not decoded further; no anomaly (as Suricata, which decodes some of them).
            ethertype::ARP
            | ethertype::PPPOE_DISC
            | ethertype::MPLS_UC
            | ethertype::MPLS_MC
            | ethertype::DOT1AH
            | ethertype::DCE
            | ethertype::VNTAG
            | ethertype::NSH => return,
            _ => {
                // Suricata flags an unknown type only behind a VLAN tag.
                if in_vlan {
                    d.anomalies.push(Anomaly::VlanUnknownType);
                }
                return;
            }
        }
    }
}

/// PPP protocols Suricata knows but does not decode (`decoder.ppp.unsup_proto`).
fn ppp_unsupported(proto: u16) -> bool {
    matches!(
        proto,
        0x002d // VJ compressed
            | 0x002f // VJ uncompressed (Suricata decodes it; sekimori does not)
            | 0x002b
            | 0x0023
            | 0x0025
            | 0x0027
            | 0x0029
            | 0x0031
            | 0x0033
            | 0x0035
            | 0x0201
            | 0x0231
            | 0x0233
            | 0x0281
            | 0x0283
            | 0x8021
            | 0x8023
            | 0x8025
            | 0x8027
            | 0x8029
            | 0x802b
            | 0x8033
            | 0x8035
            | 0x8057
            | 0x8281
            | 0xc021
            | 0xc023
            | 0xc025
            | 0xc223
    )
}

/// PPPoE session (RFC 2516): ver/type, code, session id, length, then the PPP protocol field
/// (one byte when protocol-field compression is used, else two).
fn pppoe_session(d: &mut Decoded<'_>, off: usize) {
    let Some(h) = arr::<7>(d.data, off) else {
        d.anomalies.push(Anomaly::PppoePktTooSmall);
        return;
    };
    if be16(h[4], h[5]) == 0 {
        return; // no PPP payload
    }
    let (proto, hlen) = if h[6] & 0x01 != 0 {
        (u16::from(h[6]), 7usize)
    } else {
        let Some(p) = arr::<2>(d.data, off + 6) else {
            d.anomalies.push(Anomaly::PppoePktTooSmall);
            return;
        };
        (be16(p[0], p[1]), 8usize)
    };
    let ip_off = off + hlen;
    let avail = d.data.len().saturating_sub(ip_off);
    match proto {
        0x0021 => {
            if avail < 20 {
                d.anomalies.push(Anomaly::PppIp4PktTooSmall);
            } else {
                ipv4(d, ip_off);
            }
        }
        0x0057 => {
            if avail < 40 {
                d.anomalies.push(Anomaly::PppIp6PktTooSmall);
            } else {
                ipv6(d, ip_off);
            }
        }
        p if ppp_unsupported(p) => d.anomalies.push(Anomaly::PppUnsupProto),
        _ => d.anomalies.push(Anomaly::PppWrongType),
    }
}

// ------------------------------------------------------------------------------------------------
// IPv4

fn ipv4(d: &mut Decoded<'_>, off: usize) {
    let data = d.data;
    let Some(h) = arr::<20>(data, off) else {
        d.anomalies.push(Anomaly::Ipv4PktTooSmall);
        return;
    };
    if h[0] >> 4 != 4 {
        d.anomalies.push(Anomaly::Ipv4WrongIpVer);
        return;
    }
    let hlen = usize::from(h[0] & 0x0f) * 4;
    if hlen < 20 {
        d.anomalies.push(Anomaly::Ipv4HlenTooSmall);
        return;
    }
    let total = usize::from(be16(h[2], h[3]));
    if total < hlen {
        d.anomalies.push(Anomaly::Ipv4IplenSmallerThanHlen);
        return;
    }
    let Ok(l3) = u16::try_from(off) else { return };
    // `arr` succeeded, so off + 20 <= data.len().
    let captured_end = data.len().min(off + total);
    if data.len() - off < total {
        d.anomalies.push(Anomaly::Ipv4TruncPkt);
    }
    let frag = be16(h[6], h[7]);
    let mut info = Ipv4Info {
        header_len: hlen as u8,
        tos: h[1],
        total_len: total as u16,
        id: be16(h[4], h[5]),
        df: frag & 0x4000 != 0,
        mf: frag & 0x2000 != 0,
        frag_offset: (frag & 0x1fff) << 3,
        ttl: h[8],
        proto: h[9],
        bad_checksum: false,
    };
    d.l3_offset = l3;
    d.src = Addr::v4([h[12], h[13], h[14], h[15]]);
    d.dst = Addr::v4([h[16], h[17], h[18], h[19]]);
    let header = data.get(off..off + hlen);
    if let Some(header) = header {
        info.bad_checksum = !checksum::ipv4_header_valid(header);
        if let Some(opts) = header.get(20..).filter(|o| !o.is_empty()) {
            ipv4_options(&mut d.anomalies, opts);
        }
    }
    d.ip = Some(Ip::V4(info));
    if header.is_none() {
        return; // header cut by the capture: Ipv4TruncPkt already explains it
    }
    let l4 = off + hlen;
    let seg = data.get(l4..captured_end).unwrap_or_default();
    if info.mf || info.frag_offset != 0 {
        d.payload = seg;
        return;
    }
    transport(d, info.proto, l4, seg, total - hlen, None);
}

/// IPv4 options (RFC 791 and friends), validated as Suricata does. Events only; never fatal here.
fn ipv4_options(an: &mut Anomalies, mut opts: &[u8]) {
    const RR: u8 = 0x07;
    const QS: u8 = 0x19;
    const TS: u8 = 0x44;
    const SEC: u8 = 0x82;
    const LSRR: u8 = 0x83;
    const ESEC: u8 = 0x85;
    const CIPSO: u8 = 0x86;
    const SID: u8 = 0x88;
    const SSRR: u8 = 0x89;
    const RTRALT: u8 = 0x94;
    /// Bit in `seen` for each option kind sekimori tracks for duplicates.
    fn bit(kind: u8) -> u16 {
        match kind {
            RR => 1,
            QS => 1 << 1,
            TS => 1 << 2,
            SEC => 1 << 3,
            LSRR => 1 << 4,
            ESEC => 1 << 5,
            CIPSO => 1 << 6,
            SID => 1 << 7,
            SSRR => 1 << 8,
            RTRALT => 1 << 9,
            _ => 0,
        }
    }

    if !opts.len().is_multiple_of(8) {
        an.push(Anomaly::Ipv4OptPadRequired);
    }
    let mut seen: u16 = 0;
    while let Some((&kind, rest)) = opts.split_first() {
        match kind {
            0 => break, // End of list
            1 => {
                opts = rest; // NOP
                continue;
            }
            _ => {}
        }
        let Some(&olen) = rest.first() else {
            an.push(Anomaly::Ipv4OptEolRequired);
            break;
        };
        let olen = usize::from(olen);
        if olen < 2 || olen > opts.len() {
            an.push(Anomaly::Ipv4OptInvalidLen);
            return;
        }
        let body = opts.get(2..olen).unwrap_or_default();
        let b = bit(kind);
        if b == 0 {
            an.push(Anomaly::Ipv4OptInvalid);
        } else if seen & b != 0 {
            an.push(Anomaly::Ipv4OptDuplicate);
        } else {
            seen |= b;
            if let Some(a) = ipv4_option_check(kind, olen, body) {
                an.push(a);
            }
        }
        opts = opts.get(olen..).unwrap_or_default();
    }
}

/// Validates one known IPv4 option; `body` is what follows type and length.
fn ipv4_option_check(kind: u8, olen: usize, body: &[u8]) -> Option<Anomaly> {
    match kind {
        // Record route, loose/strict source route: pointer >= 4, multiple of 4, <= len + 1.
        0x07 | 0x83 | 0x89 => {
            if olen < 3 {
                return Some(Anomaly::Ipv4OptInvalidLen);
            }
            let ptr = usize::from(*body.first()?);
            (ptr < 4 || ptr % 4 != 0 || ptr > olen + 1).then_some(Anomaly::Ipv4OptMalformed)
        }
        // Timestamp (RFC 781): pointer >= 5, record size 4 or 8 by flag, <= len + 1.
        0x44 => {
            if olen < 5 {
                return Some(Anomaly::Ipv4OptInvalidLen);
            }
            let ptr = usize::from(*body.first()?);
            if ptr < 5 {
                return Some(Anomaly::Ipv4OptMalformed);
            }
            let flag = body.get(1).copied().unwrap_or(0) & 0x0f;
            let rec = if flag == 1 || flag == 3 { 8 } else { 4 };
            ((ptr - 5) % rec != 0 || ptr > olen + 1).then_some(Anomaly::Ipv4OptMalformed)
        }
        0x19 => (olen < 8).then_some(Anomaly::Ipv4OptInvalidLen),
        0x82 | 0x85 => (olen < 3).then_some(Anomaly::Ipv4OptInvalidLen),
        0x88 | 0x94 => (olen != 4).then_some(Anomaly::Ipv4OptInvalidLen),
        0x86 => cipso_check(olen, body),
        _ => None,
    }
}

/// CIPSO (draft-ietf-cipso-ipsecurity-01, FIPS 188): 4-byte DOI then well-formed tags.
fn cipso_check(olen: usize, body: &[u8]) -> Option<Anomaly> {
    if olen < 10 {
        return Some(Anomaly::Ipv4OptInvalidLen);
    }
    let mut tags = body.get(4..).unwrap_or_default();
    while !tags.is_empty() {
        let Some(&[ttype, tlen]) = tags.first_chunk::<2>() else {
            return Some(Anomaly::Ipv4OptMalformed);
        };
        let tlen = usize::from(tlen);
        match ttype {
            1 | 2 | 5 | 6 | 7 => {
                if tlen < 4 || tlen > tags.len() {
                    return Some(Anomaly::Ipv4OptMalformed);
                }
                // Alignment octet is zero except for tag type 7.
                if ttype != 7 && tags.get(2).copied() != Some(0) {
                    return Some(Anomaly::Ipv4OptMalformed);
                }
                tags = tags.get(tlen..).unwrap_or_default();
            }
            _ => return Some(Anomaly::Ipv4OptMalformed),
        }
    }
    None
}

// ------------------------------------------------------------------------------------------------
// IPv6

/// Which extension headers were seen (for Suricata's duplicate events).
#[derive(Default)]
struct ExtSeen {
    hh: bool,
    rh: bool,
    fh: bool,
    ah: bool,
    dh: u8,
}

fn ipv6(d: &mut Decoded<'_>, off: usize) {
    let data = d.data;
    let Some(h) = arr::<40>(data, off) else {
        d.anomalies.push(Anomaly::Ipv6PktTooSmall);
        return;
    };
    if h[0] >> 4 != 6 {
        d.anomalies.push(Anomaly::Ipv6WrongIpVer);
        return;
    }
    let Ok(l3) = u16::try_from(off) else { return };
    let plen = usize::from(be16(h[4], h[5]));
    let declared_end = off + 40 + plen;
    let captured_end = declared_end.min(data.len());
    if data.len() < declared_end {
        d.anomalies.push(Anomaly::Ipv6TruncPkt);
    }
    let mut info = Ipv6Info {
        traffic_class: (h[0] << 4) | (h[1] >> 4),
        flow_label: u32::from(h[1] & 0x0f) << 16 | u32::from(be16(h[2], h[3])),
        payload_len: plen as u16,
        hop_limit: h[7],
        proto: h[6],
        header_len: 40,
        frag: None,
    };
    d.l3_offset = l3;
    let mut src = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&h[24..40]);
    d.src = Addr::v6(src);
    d.dst = Addr::v6(dst);

    let mut nh = h[6];
    let mut pos = off + 40;
    let mut seen = ExtSeen::default();
    loop {
        // Invariant: pos <= declared_end (each header is checked against the declared length).
        let declared_rem = declared_end - pos;
        let cap = data.get(pos..captured_end).unwrap_or_default();
        let ext_len = match nh {
            ipproto::HOPOPTS
            | ipproto::DSTOPTS
            | ipproto::ROUTING
            | ipproto::FRAGMENT
            | ipproto::AH
            | ipproto::MH
            | ipproto::HIP
            | ipproto::SHIM6 => {
                if declared_rem < 2 {
                    d.anomalies.push(Anomaly::Ipv6TruncExthdr);
                    break;
                }
                let Some(&[_, b1]) = cap.first_chunk::<2>() else {
                    break;
                };
                let b1 = usize::from(b1);
                match nh {
                    ipproto::HOPOPTS | ipproto::DSTOPTS => (b1 + 1) * 8,
                    ipproto::FRAGMENT => 8,
                    // RFC 4302: (len + 2) * 4; Suricata never goes below the 12-byte base header.
                    ipproto::AH => ((b1 + 2) * 4).max(12),
                    _ => 8 + b1 * 8,
                }
            }
            ipproto::TCP | ipproto::UDP | ipproto::ICMPV6 => {
                transport(d, nh, pos, cap, declared_rem, Some(info.hop_limit));
                break;
            }
            ipproto::NONE => {
                if declared_rem > 0 {
                    d.anomalies.push(Anomaly::Ipv6DataAfterNoneHeader);
                }
                other_l4(d, nh, pos, cap);
                break;
            }
            ipproto::ICMP => {
                d.anomalies.push(Anomaly::Ipv6WithIcmpv4);
                other_l4(d, nh, pos, cap);
                break;
            }
            ipproto::ESP | ipproto::SCTP | ipproto::GRE | ipproto::IPIP | ipproto::IPV6 => {
                other_l4(d, nh, pos, cap);
                break;
            }
            _ => {
                d.anomalies.push(Anomaly::Ipv6UnknownNextHeader);
                other_l4(d, nh, pos, cap);
                break;
            }
        };
        // An extension header of `ext_len` bytes at `pos`.
        if ext_len > declared_rem {
            d.anomalies.push(Anomaly::Ipv6TruncExthdr);
            break;
        }
        let Some(hdr) = cap.get(..ext_len) else { break }; // cut by the capture
        let Some(&[next, b1, b2, b3]) = hdr.first_chunk::<4>() else {
            break;
        };
        match nh {
            ipproto::HOPOPTS => {
                if seen.hh {
                    d.anomalies.push(Anomaly::Ipv6ExthdrDuplHh);
                } else {
                    seen.hh = true;
                    ipv6_options(&mut d.anomalies, hdr.get(2..).unwrap_or_default(), true);
                }
            }
            ipproto::DSTOPTS => {
                if seen.dh >= 2 {
                    d.anomalies.push(Anomaly::Ipv6ExthdrDuplDh);
                } else {
                    seen.dh += 1;
                    ipv6_options(&mut d.anomalies, hdr.get(2..).unwrap_or_default(), false);
                }
            }
            ipproto::ROUTING => {
                if seen.rh {
                    d.anomalies.push(Anomaly::Ipv6ExthdrDuplRh);
                } else {
                    seen.rh = true;
                    if b2 == 0 {
                        d.anomalies.push(Anomaly::Ipv6RhType0);
                    }
                }
            }
            ipproto::AH => {
                if b2 != 0 || b3 != 0 {
                    d.anomalies.push(Anomaly::Ipv6ExthdrAhResNotNull);
                }
                if seen.ah {
                    d.anomalies.push(Anomaly::Ipv6ExthdrDuplAh);
                }
                seen.ah = true;
            }
            ipproto::FRAGMENT => {
                if b1 != 0 {
                    d.anomalies.push(Anomaly::Ipv6FhNonZeroReservedField);
                }
                if seen.fh {
                    d.anomalies.push(Anomaly::Ipv6ExthdrDuplFh);
                } else if let Some(f) = arr::<8>(hdr, 0) {
                    seen.fh = true;
                    let offlg = be16(f[2], f[3]);
                    let Ok(header_offset) = u16::try_from(pos - off) else {
                        break;
                    };
                    let frag = Ipv6Frag {
                        offset: offlg & 0xfff8,
                        mf: offlg & 1 != 0,
                        id: be32(f[4], f[5], f[6], f[7]),
                        next_header: next,
                        header_offset,
                    };
                    info.frag = Some(frag);
                    if frag.offset == 0 && !frag.mf {
                        // Atomic fragment: decode on as a whole packet.
                        d.anomalies.push(Anomaly::Ipv6ExthdrUselessFh);
                    } else {
                        if frag.mf && !declared_rem.is_multiple_of(8) {
                            d.anomalies.push(Anomaly::Ipv6FragInvalidLength);
                        }
                        let Ok(hl) = u16::try_from(pos + 8 - off) else {
                            break;
                        };
                        info.proto = next;
                        info.header_len = hl;
                        d.payload = cap.get(8..).unwrap_or_default();
                        d.ip = Some(Ip::V6(info));
                        return;
                    }
                }
            }
            _ => {} // MH, HIP, SHIM6: skipped
        }
        nh = next;
        pos += ext_len;
    }
    info.proto = nh;
    info.header_len = u16::try_from(pos - off).unwrap_or(u16::MAX);
    if matches!(d.l4, L4::None) && d.payload.is_empty() {
        // Stopped inside the extension-header chain: expose what was not decoded.
        d.payload = data.get(pos..captured_end).unwrap_or_default();
    }
    d.ip = Some(Ip::V6(info));
}

/// Hop-by-hop / destination options (RFC 8200 section 4.2), checked as Suricata does.
/// `opts` is the header after its next-header and length bytes.
fn ipv6_options(an: &mut Anomalies, opts: &[u8], hop: bool) {
    let mut padding = 0u32;
    let mut other = 0u32;
    let mut i = 0usize;
    while let Some(&kind) = opts.get(i) {
        if kind == 0 {
            // Pad1
            padding += 1;
            i += 1;
            continue;
        }
        let Some(&olen) = opts.get(i + 1) else {
            an.push(Anomaly::Ipv6ExthdrInvalidOptlen);
            break;
        };
        let olen = usize::from(olen);
        if i + 2 + olen > opts.len() {
            an.push(Anomaly::Ipv6ExthdrInvalidOptlen);
            break;
        }
        match kind {
            1 => {
                // PadN
                padding += 1;
                if olen == 0 {
                    an.push(Anomaly::Ipv6ZeroLenPadn);
                }
            }
            // Router alert (2-byte value), jumbo payload (4), home address (16).
            0x05 | 0xc2 | 0xc9 => {
                let min = match kind {
                    0x05 => 2,
                    0xc2 => 4,
                    _ => 16,
                };
                if olen < min {
                    an.push(Anomaly::Ipv6ExthdrInvalidOptlen);
                    break;
                }
                other += 1;
            }
            _ => {
                an.push(if hop {
                    Anomaly::Ipv6HopoptsUnknownOpt
                } else {
                    Anomaly::Ipv6DstoptsUnknownOpt
                });
                other += 1;
            }
        }
        i += 2 + olen;
    }
    if padding > 0 && other == 0 {
        an.push(if hop {
            Anomaly::Ipv6HopoptsOnlyPadding
        } else {
            Anomaly::Ipv6DstoptsOnlyPadding
        });
    }
}

// ------------------------------------------------------------------------------------------------
// Transport

/// Decodes the transport layer at `start`. `seg` is what was captured of the IP payload from
/// `start` (bounded by the IP length), `declared` the length the IP header announces for it.
/// `v6_hop_limit` is Some for IPv6 (and carries the hop limit for the MLD check).
fn transport<'a>(
    d: &mut Decoded<'a>,
    proto: u8,
    start: usize,
    seg: &'a [u8],
    declared: usize,
    v6_hop_limit: Option<u8>,
) {
    // Default: the undecoded IP payload (kept when the transport header turns out invalid).
    d.payload = seg;
    let Ok(l4_offset) = u16::try_from(start) else {
        return;
    };
    // Each decoder writes `l4` and `payload` itself when the header is valid.
    let ok = match (proto, v6_hop_limit) {
        (ipproto::TCP, _) => tcp(d, seg, declared),
        (ipproto::UDP, _) => udp(d, seg, declared),
        (ipproto::ICMP, None) => icmpv4(d, seg, declared),
        (ipproto::ICMPV6, Some(hl)) => icmpv6(d, seg, declared, hl),
        (ipproto::ICMPV6, None) => {
            d.anomalies.push(Anomaly::Ipv4WithIcmpv6);
            false
        }
        _ => {
            d.l4 = L4::Other(proto);
            true
        }
    };
    if ok {
        d.l4_offset = l4_offset;
    }
}

/// An IP protocol decoded no further.
fn other_l4<'a>(d: &mut Decoded<'a>, proto: u8, start: usize, seg: &'a [u8]) {
    d.payload = seg;
    if let Ok(o) = u16::try_from(start) {
        d.l4 = L4::Other(proto);
        d.l4_offset = o;
    }
}

/// TCP header at the start of `seg`; true (and `l4`/`payload` set) when valid.
fn tcp<'a>(d: &mut Decoded<'a>, seg: &'a [u8], declared: usize) -> bool {
    if declared < 20 {
        d.anomalies.push(Anomaly::TcpPktTooSmall);
        return false;
    }
    // Else cut by the capture (IP truncation already flagged).
    let Some(h) = arr::<20>(seg, 0) else {
        return false;
    };
    let hlen = usize::from(h[12] >> 4) * 4;
    if declared < hlen {
        d.anomalies.push(Anomaly::TcpHlenTooSmall);
        return false;
    }
    if hlen < 20 {
        // Suricata computes the options length as an unsigned byte and reports this case so.
        d.anomalies.push(Anomaly::TcpInvalidOptlen);
        return false;
    }
    let mut t = TcpInfo {
        sport: be16(h[0], h[1]),
        dport: be16(h[2], h[3]),
        seq: be32(h[4], h[5], h[6], h[7]),
        ack: be32(h[8], h[9], h[10], h[11]),
        header_len: hlen as u8,
        flags: h[13],
        window: be16(h[14], h[15]),
        urgent: be16(h[18], h[19]),
        options: TcpOptions::default(),
    };
    match seg.get(20..hlen) {
        Some(opts) => {
            if !opts.is_empty() {
                t.options = tcp_options(&mut d.anomalies, opts);
            }
            d.payload = seg.get(hlen..).unwrap_or_default();
        }
        // Options cut by the capture: fixed header only, no payload.
        None => d.payload = &[],
    }
    d.l4 = L4::Tcp(t);
    true
}

/// TCP options, with Suricata's length and duplicate checks.
fn tcp_options(an: &mut Anomalies, mut opts: &[u8]) -> TcpOptions {
    const MSS: u8 = 2;
    const WS: u8 = 3;
    const SACKOK: u8 = 4;
    const SACK: u8 = 5;
    const TS: u8 = 8;
    const MD5: u8 = 19;
    const AO: u8 = 29;
    const TFO: u8 = 34;
    let mut o = TcpOptions::default();
    let (mut sack_seen, mut tfo_seen) = (false, false);
    while let Some((&kind, rest)) = opts.split_first() {
        match kind {
            0 => break,
            1 => {
                opts = rest;
                continue;
            }
            _ => {}
        }
        let Some(&olen) = rest.first() else { break };
        let olen = usize::from(olen);
        if olen < 2 || olen > opts.len() {
            an.push(Anomaly::TcpOptInvalidLen);
            break;
        }
        let body = opts.get(2..olen).unwrap_or_default();
        let mut dup = false;
        let mut bad_len = false;
        match kind {
            MSS => match body.first_chunk::<2>() {
                Some(&[a, b]) if olen == 4 => {
                    dup = o.mss.is_some();
                    o.mss.get_or_insert(be16(a, b));
                }
                _ => bad_len = true,
            },
            WS => match body {
                &[s] => {
                    dup = o.wscale.is_some();
                    o.wscale.get_or_insert(s);
                }
                _ => bad_len = true,
            },
            SACKOK => {
                if olen == 2 {
                    dup = o.sack_permitted;
                    o.sack_permitted = true;
                } else {
                    bad_len = true;
                }
            }
            TS => match body {
                &[a, b, c, d, e, f, g, h] => {
                    dup = o.timestamps.is_some();
                    o.timestamps
                        .get_or_insert((be32(a, b, c, d), be32(e, f, g, h)));
                }
                _ => bad_len = true,
            },
            SACK => {
                if olen != 2 && (!(10..=34).contains(&olen) || (olen - 2) % 8 != 0) {
                    bad_len = true;
                } else {
                    dup = sack_seen;
                    sack_seen = true;
                }
            }
            TFO => {
                if olen != 2 && (!(4..=18).contains(&olen) || (olen - 2) % 2 != 0) {
                    bad_len = true;
                } else {
                    dup = tfo_seen;
                    tfo_seen = true;
                }
            }
            // Experimental options; TFO when carrying its magic (RFC 7413 section 4.1.1).
            0xfd | 0xfe => {
                if olen == 4 || olen == 12 {
                    if body.first_chunk::<2>() == Some(&[0xf9, 0x89]) {
                        dup = tfo_seen;
                        tfo_seen = true;
                    }
                } else {
                    bad_len = true;
                }
            }
            MD5 => bad_len = olen != 18,
            AO => bad_len = olen < 4,
            _ => {}
        }
        if bad_len {
            an.push(Anomaly::TcpOptInvalidLen);
        } else if dup {
            an.push(Anomaly::TcpOptDuplicate);
        }
        opts = opts.get(olen..).unwrap_or_default();
    }
    o
}

/// UDP header at the start of `seg`; true (and `l4`/`payload` set) when valid.
fn udp<'a>(d: &mut Decoded<'a>, seg: &'a [u8], declared: usize) -> bool {
    if declared < 8 {
        d.anomalies.push(Anomaly::UdpHlenTooSmall);
        return false;
    }
    let Some(h) = arr::<8>(seg, 0) else {
        return false;
    };
    let len = be16(h[4], h[5]);
    let ulen = usize::from(len);
    if declared < ulen {
        d.anomalies.push(Anomaly::UdpPktTooSmall);
        return false;
    }
    if ulen < 8 {
        d.anomalies.push(Anomaly::UdpLenInvalid);
        return false;
    }
    d.l4 = L4::Udp(UdpInfo {
        sport: be16(h[0], h[1]),
        dport: be16(h[2], h[3]),
        len,
    });
    d.payload = seg.get(8..ulen.min(seg.len())).unwrap_or_default();
    true
}

/// The 5-tuple of the IPv4 packet quoted by an ICMPv4 error message.
fn embedded_v4(an: &mut Anomalies, body: &[u8]) -> Option<IcmpEmbedded> {
    let Some(h) = arr::<20>(body, 0) else {
        an.push(Anomaly::Icmpv4Ipv4TruncPkt);
        return None;
    };
    if h[0] >> 4 != 4 {
        an.push(Anomaly::Icmpv4Ipv4UnknownVer);
        return None;
    }
    let ihl = (usize::from(h[0] & 0x0f) * 4).max(20);
    let (sport, dport) = embedded_ports(h[9], body.get(ihl..).unwrap_or_default());
    Some(IcmpEmbedded {
        src: Addr::v4([h[12], h[13], h[14], h[15]]),
        dst: Addr::v4([h[16], h[17], h[18], h[19]]),
        proto: h[9],
        sport,
        dport,
    })
}

/// The 5-tuple of the IPv6 packet quoted by an ICMPv6 error message (next header of the fixed
/// header; extension headers are not walked).
fn embedded_v6(an: &mut Anomalies, body: &[u8]) -> Option<IcmpEmbedded> {
    let Some(h) = arr::<40>(body, 0) else {
        an.push(Anomaly::Icmpv6Ipv6TruncPkt);
        return None;
    };
    if h[0] >> 4 != 6 {
        an.push(Anomaly::Icmpv6Ipv6UnknownVersion);
        return None;
    }
    let mut src = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&h[24..40]);
    let (sport, dport) = embedded_ports(h[6], body.get(40..).unwrap_or_default());
    Some(IcmpEmbedded {
        src: Addr::v6(src),
        dst: Addr::v6(dst),
        proto: h[6],
        sport,
        dport,
    })
}

/// Ports of a quoted TCP/UDP header (the first 4 bytes suffice), else (0, 0).
fn embedded_ports(proto: u8, l4: &[u8]) -> (u16, u16) {
    match (proto, l4.first_chunk::<4>()) {
        (ipproto::TCP | ipproto::UDP, Some(p)) => (be16(p[0], p[1]), be16(p[2], p[3])),
        _ => (0, 0),
    }
}

/// ICMPv4 header at the start of `seg`; true (and `l4`/`payload` set) when valid.
fn icmpv4<'a>(d: &mut Decoded<'a>, seg: &'a [u8], declared: usize) -> bool {
    let an = &mut d.anomalies;
    if declared < 8 {
        an.push(Anomaly::Icmpv4PktTooSmall);
        return false;
    }
    let Some(h) = arr::<8>(seg, 0) else {
        return false;
    };
    let (ty, code) = (h[0], h[1]);
    let mut info = IcmpInfo {
        icmp_type: ty,
        code,
        ..IcmpInfo::default()
    };
    let body = seg.get(8..).unwrap_or_default();
    // (highest valid code, carries id/seq, quotes a packet), per Suricata's tables.
    let (max_code, idseq, error) = match ty {
        0 | 8 | 15 | 16 | 17 | 18 => (Some(0), true, false),
        13 | 14 => {
            if declared < 20 {
                an.push(Anomaly::Icmpv4Ipv4TruncPkt);
            }
            (Some(0), true, false)
        }
        3 => (Some(15), false, true),
        4 | 12 => (Some(0), false, true),
        5 => (Some(3), false, true),
        11 => (Some(1), false, true),
        9 => {
            // Router advertisement: num addrs * entry size (in 32-bit words) must fit.
            let need = usize::from(h[4]) * usize::from(h[5]) * 4;
            if declared < need + 8 {
                an.push(Anomaly::Icmpv4Ipv4TruncPkt);
            }
            (None, false, false)
        }
        // Router solicitation (RFC 1256); Suricata 7 reports it as unknown, sekimori knows it.
        10 => (Some(0), false, false),
        _ => {
            an.push(Anomaly::Icmpv4UnknownType);
            (None, false, false)
        }
    };
    let code_ok = max_code.is_none_or(|m| code <= m);
    if !code_ok {
        an.push(Anomaly::Icmpv4UnknownCode);
    }
    if idseq {
        info.id = be16(h[4], h[5]);
        info.seq = be16(h[6], h[7]);
    }
    if error && code_ok && !body.is_empty() {
        info.embedded = embedded_v4(an, body);
    }
    d.l4 = L4::Icmpv4(info);
    d.payload = body;
    true
}

/// ICMPv6 header at the start of `seg`; true (and `l4`/`payload` set) when valid.
fn icmpv6<'a>(d: &mut Decoded<'a>, seg: &'a [u8], declared: usize, hop_limit: u8) -> bool {
    let an = &mut d.anomalies;
    if declared < 8 {
        an.push(Anomaly::Icmpv6PktTooSmall);
        return false;
    }
    let Some(h) = arr::<8>(seg, 0) else {
        return false;
    };
    let (ty, code) = (h[0], h[1]);
    let mut info = IcmpInfo {
        icmp_type: ty,
        code,
        ..IcmpInfo::default()
    };
    let body = seg.get(8..).unwrap_or_default();
    let mut error = false;
    let bad_code = match ty {
        1 => {
            error = true;
            code > 6
        }
        2 => {
            error = true;
            code != 0
        }
        3 => {
            error = true;
            code > 1
        }
        4 => {
            error = true;
            code > 2
        }
        128 | 129 => {
            info.id = be16(h[4], h[5]);
            info.seq = be16(h[6], h[7]);
            code != 0
        }
        130..=132 => {
            if hop_limit != 1 {
                an.push(Anomaly::Icmpv6MldMessageWithInvalidHl);
            }
            code != 0
        }
        133..=137 | 141..=149 | 154 | 156..=159 => code != 0,
        138 => code > 2 && code != 255,
        139 | 140 => code > 2,
        150..=153 => false,
        155 => (code > 3 && code < 128) || code > 132,
        5..=99 | 102..=126 | 160..=199 | 202..=255 => {
            an.push(Anomaly::Icmpv6UnassignedType);
            false
        }
        100 | 101 | 200 | 201 => {
            an.push(Anomaly::Icmpv6ExperimentationType);
            false
        }
        _ => {
            an.push(Anomaly::Icmpv6UnknownType);
            false
        }
    };
    if bad_code {
        an.push(Anomaly::Icmpv6UnknownCode);
    } else if error {
        info.embedded = embedded_v6(an, body);
    }
    d.l4 = L4::Icmpv6(info);
    d.payload = body;
    true
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
