//! Internet checksums (RFC 1071): IPv4 header, TCP/UDP and ICMP over IPv4/IPv6.
//!
//! The one's-complement sum is computed 8 bytes at a time into a 64-bit accumulator (two 32-bit
//! big-endian halves per step, folded at the end), which is equivalent to summing 16-bit words and
//! several times faster on long segments.

use crate::types::{Decoded, Ip, L4};

/// Adds the bytes of `data` (as big-endian 16-bit words, odd tail padded with zero) to `acc`.
/// `acc` is an unfolded 64-bit accumulator; pass the result to [`fold`].
#[inline]
pub fn sum_bytes(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let v = u64::from_be_bytes(w);
        acc += (v >> 32) + (v & 0xffff_ffff);
    }
    let rest = chunks.remainder();
    let mut pairs = rest.chunks_exact(2);
    for p in &mut pairs {
        let mut w = [0u8; 2];
        w.copy_from_slice(p);
        acc += u64::from(u16::from_be_bytes(w));
    }
    if let [last] = pairs.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

/// Folds a 64-bit accumulator into a 16-bit one's-complement sum (not yet complemented).
#[inline]
pub fn fold(acc: u64) -> u16 {
    // Branch-free: 64 → 33 → 17 → 16 bits.
    let a = (acc & 0xffff_ffff) + (acc >> 32);
    let a = (a & 0xffff) + (a >> 16);
    let a = (a & 0xffff) + (a >> 16);
    let a = (a & 0xffff) + (a >> 16);
    a as u16
}

/// The Internet checksum of `data` (the value to put in a checksum field that is zero in `data`).
pub fn internet_checksum(data: &[u8]) -> u16 {
    !fold(sum_bytes(0, data))
}

/// The checksum of an IPv4 header whose checksum field (bytes 10..12) is treated as zero.
pub fn ipv4_header_checksum(header: &[u8]) -> u16 {
    let mut acc = sum_bytes(0, header);
    if let Some(c) = header.get(10..12) {
        let mut w = [0u8; 2];
        w.copy_from_slice(c);
        // Remove the stored checksum from the sum: adding its one's complement cancels it.
        acc += u64::from(!u16::from_be_bytes(w));
    }
    !fold(acc)
}

/// True when an IPv4 header (including options) carries a correct checksum.
#[inline]
pub fn ipv4_header_valid(header: &[u8]) -> bool {
    // Fast path for the option-less 20-byte header: five 32-bit words.
    if let Some(h) = header.first_chunk::<20>().filter(|_| header.len() == 20) {
        let w = |i: usize| u64::from(u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]));
        return fold(w(0) + w(4) + w(8) + w(12) + w(16)) == 0xffff;
    }
    fold(sum_bytes(0, header)) == 0xffff
}

/// Pseudo-header sum for IPv4 (RFC 793/768).
fn pseudo_v4(src: &[u8; 4], dst: &[u8; 4], proto: u8, len: usize) -> u64 {
    let mut acc = sum_bytes(0, src);
    acc = sum_bytes(acc, dst);
    acc + u64::from(proto) + len as u64
}

/// Pseudo-header sum for IPv6 (RFC 8200 section 8.1).
fn pseudo_v6(src: &[u8; 16], dst: &[u8; 16], proto: u8, len: usize) -> u64 {
    let mut acc = sum_bytes(0, src);
    acc = sum_bytes(acc, dst);
    acc + u64::from(proto) + len as u64
}

/// The bytes of the transport segment (header + data) as the IP header bounds it, when they were
/// all captured. None for fragments, truncated packets and packets without a transport header.
fn l4_segment<'a>(d: &Decoded<'a>) -> Option<&'a [u8]> {
    if d.is_fragment() || matches!(d.l4, L4::None) {
        return None;
    }
    let l3 = d.l3_offset as usize;
    let end = match d.ip? {
        Ip::V4(h) => l3.checked_add(h.total_len as usize)?,
        Ip::V6(h) => l3.checked_add(40 + h.payload_len as usize)?,
    };
    d.data.get(d.l4_offset as usize..end)
}

fn first4(a: &[u8; 16]) -> [u8; 4] {
    [a[0], a[1], a[2], a[3]]
}

/// Verifies the TCP or UDP checksum of a decoded packet over IPv4 or IPv6.
///
/// Returns `None` when it cannot be computed: not TCP/UDP, a fragment, or a truncated capture
/// (the IP header announces more bytes than were captured). A UDP checksum of zero over IPv4 means
/// "no checksum" and counts as valid; over IPv6 it is invalid (RFC 8200).
pub fn tcp_udp_checksum_valid(d: &Decoded<'_>) -> Option<bool> {
    let (proto, csum_at) = match d.l4 {
        L4::Tcp(_) => (6u8, 16usize),
        L4::Udp(_) => (17u8, 6usize),
        _ => return None,
    };
    let mut seg = l4_segment(d)?;
    if let L4::Udp(u) = d.l4 {
        // UDP covers its own length, which may be shorter than the IP payload.
        seg = seg.get(..u.len as usize)?;
    }
    let stored = seg.get(csum_at..csum_at + 2)?;
    if proto == 17 && stored == [0, 0] {
        return Some(matches!(d.ip, Some(Ip::V4(_))));
    }
    let acc = match d.ip? {
        Ip::V4(_) => pseudo_v4(
            &first4(&d.src.bytes),
            &first4(&d.dst.bytes),
            proto,
            seg.len(),
        ),
        Ip::V6(_) => pseudo_v6(&d.src.bytes, &d.dst.bytes, proto, seg.len()),
    };
    Some(fold(sum_bytes(acc, seg)) == 0xffff)
}

/// Verifies the ICMPv4 (no pseudo-header) or ICMPv6 (with pseudo-header) checksum.
/// `None` under the same conditions as [`tcp_udp_checksum_valid`].
pub fn icmp_checksum_valid(d: &Decoded<'_>) -> Option<bool> {
    let seg = match d.l4 {
        L4::Icmpv4(_) | L4::Icmpv6(_) => l4_segment(d)?,
        _ => return None,
    };
    if seg.len() < 4 {
        return None;
    }
    let acc = match (d.l4, d.ip?) {
        (L4::Icmpv6(_), Ip::V6(_)) => pseudo_v6(&d.src.bytes, &d.dst.bytes, 58, seg.len()),
        _ => 0,
    };
    Some(fold(sum_bytes(acc, seg)) == 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: the plain RFC 1071 16-bit loop.
    fn naive(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for c in data.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0]) << 8
            };
            acc += u32::from(w);
        }
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        !(acc as u16)
    }

    #[test]
    fn matches_naive_for_all_lengths() {
        let data: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for len in 0..data.len() {
            assert_eq!(
                internet_checksum(&data[..len]),
                naive(&data[..len]),
                "len {len}"
            );
        }
        let ff = [0xffu8; 1500];
        assert_eq!(internet_checksum(&ff), naive(&ff));
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example: sum of 0001 f203 f4f5 f6f7 = 0xddf2 (before complement).
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum_bytes(0, &d)), 0xddf2);
    }

    #[test]
    fn ipv4_header() {
        // A well-known header (Wikipedia IPv4 checksum example): checksum 0xb861.
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert!(ipv4_header_valid(&h));
        assert_eq!(ipv4_header_checksum(&h), 0xb861);
        h[11] = 0x62;
        assert!(!ipv4_header_valid(&h));
        assert_eq!(ipv4_header_checksum(&h), 0xb861);
    }
}
