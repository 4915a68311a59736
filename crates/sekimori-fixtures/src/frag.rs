//! IP fragmentation: split an IPv4 or IPv6 packet into fragments, or craft single fragments at
//! any offset with any content (overlaps, tiny first fragments, duplicates via [`pick`]).
//!
//! The *fragmentable part* is everything after the IPv4 header, or after the fixed 40-byte IPv6
//! header (extension headers already present travel inside the fragments; the Fragment header
//! is inserted right after the fixed header).

use etherparse::{IpFragOffset, IpNumber, Ipv4Header, Ipv6FragmentHeader, Ipv6Header};

/// Why a fragment could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragError {
    /// The input does not parse as an IPv4 or IPv6 packet.
    #[error("not an IPv4/IPv6 packet: {0}")]
    NotIp(String),
    /// Fragment offsets are in 8-byte units.
    #[error("fragment offset {0} is not a multiple of 8")]
    Misaligned(usize),
    /// The offset does not fit the 13-bit field (max 65528).
    #[error("fragment offset {0} is beyond 65528")]
    OffsetTooLarge(usize),
    /// The fragment would exceed the IP length field.
    #[error("fragment of {0} bytes does not fit one IP packet")]
    TooLarge(usize),
}

/// The header to copy into fragments and the fragmentable part.
enum Parsed<'a> {
    V4(Ipv4Header, &'a [u8]),
    V6(Ipv6Header, &'a [u8]),
}

fn parse(packet: &[u8]) -> Result<Parsed<'_>, FragError> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => {
            let (h, _) =
                Ipv4Header::from_slice(packet).map_err(|e| FragError::NotIp(e.to_string()))?;
            let end = usize::from(h.total_len).min(packet.len());
            let body = packet.get(h.header_len()..end).unwrap_or(&[]);
            Ok(Parsed::V4(h, body))
        }
        Some(6) => {
            let (h, rest) =
                Ipv6Header::from_slice(packet).map_err(|e| FragError::NotIp(e.to_string()))?;
            let body = rest.get(..usize::from(h.payload_length)).unwrap_or(rest);
            Ok(Parsed::V6(h, body))
        }
        other => Err(FragError::NotIp(format!("version nibble {other:?}"))),
    }
}

/// The fragmentable part of `packet` (what fragment offsets count into).
pub fn fragmentable(packet: &[u8]) -> Result<&[u8], FragError> {
    Ok(match parse(packet)? {
        Parsed::V4(_, b) | Parsed::V6(_, b) => b,
    })
}

/// One fragment of the datagram `packet` (its header is the template): `data` placed at byte
/// `offset` of the fragmentable part, MF = `more`, identification `id` (16 bits used for IPv4,
/// 32 for IPv6). The data need not match `packet`'s content: that is how overlaps with
/// different bytes are made.
pub fn fragment_at(
    packet: &[u8],
    offset: usize,
    data: &[u8],
    more: bool,
    id: u32,
) -> Result<Vec<u8>, FragError> {
    if !offset.is_multiple_of(8) {
        return Err(FragError::Misaligned(offset));
    }
    let units = u16::try_from(offset / 8).map_err(|_| FragError::OffsetTooLarge(offset))?;
    let off = IpFragOffset::try_new(units).map_err(|_| FragError::OffsetTooLarge(offset))?;
    match parse(packet)? {
        Parsed::V4(mut h, _) => {
            h.fragment_offset = off;
            h.more_fragments = more;
            h.dont_fragment = false;
            h.identification = id as u16;
            h.set_payload_len(data.len())
                .map_err(|_| FragError::TooLarge(data.len()))?;
            h.header_checksum = h.calc_header_checksum();
            let mut out = Vec::with_capacity(h.header_len() + data.len());
            out.extend_from_slice(&h.to_bytes());
            out.extend_from_slice(data);
            Ok(out)
        }
        Parsed::V6(mut h, _) => {
            let fh = Ipv6FragmentHeader::new(h.next_header, off, more, id);
            h.next_header = IpNumber::IPV6_FRAGMENTATION_HEADER;
            h.set_payload_length(data.len() + Ipv6FragmentHeader::LEN)
                .map_err(|_| FragError::TooLarge(data.len()))?;
            let mut out =
                Vec::with_capacity(Ipv6Header::LEN + Ipv6FragmentHeader::LEN + data.len());
            out.extend_from_slice(&h.to_bytes());
            out.extend_from_slice(&fh.to_bytes());
            out.extend_from_slice(data);
            Ok(out)
        }
    }
}

/// Splits `packet` into fragments carrying `size` bytes each (rounded down to a multiple of 8,
/// at least 8); the last one carries the rest. In order; reorder or repeat them with [`pick`].
pub fn fragment(packet: &[u8], size: usize, id: u32) -> Result<Vec<Vec<u8>>, FragError> {
    let size = (size / 8 * 8).max(8);
    let body = fragmentable(packet)?;
    if body.is_empty() {
        return Ok(vec![fragment_at(packet, 0, &[], false, id)?]);
    }
    let n = body.len().div_ceil(size);
    body.chunks(size)
        .enumerate()
        .map(|(i, chunk)| fragment_at(packet, i * size, chunk, i + 1 < n, id))
        .collect()
}

/// Splits `packet` into fragments of the given data sizes, in order, plus one final fragment
/// with whatever is left (e.g. `&[8]` = a tiny 8-byte first fragment, then the rest). Every
/// size but the one that reaches the end must be a multiple of 8.
pub fn fragment_sizes(packet: &[u8], sizes: &[usize], id: u32) -> Result<Vec<Vec<u8>>, FragError> {
    let body = fragmentable(packet)?;
    let mut out = Vec::new();
    let mut pos = 0;
    for &sz in sizes {
        if pos >= body.len() {
            break;
        }
        let end = pos.saturating_add(sz).min(body.len());
        let chunk = body.get(pos..end).unwrap_or(&[]);
        out.push(fragment_at(packet, pos, chunk, end < body.len(), id)?);
        pos = end;
    }
    if pos < body.len() || out.is_empty() {
        out.push(fragment_at(
            packet,
            pos,
            body.get(pos..).unwrap_or(&[]),
            false,
            id,
        )?);
    }
    Ok(out)
}

/// `items[i]` for each `i` in `order`, cloned: reorder (`&[2, 0, 1]`), duplicate (`&[0, 0, 1]`)
/// or drop (`&[0, 2]`) fragments or anything else.
///
/// # Panics
/// If an index is out of range (a bug in the test).
pub fn pick<T: Clone>(items: &[T], order: &[usize]) -> Vec<T> {
    order
        .iter()
        .map(|&i| match items.get(i) {
            Some(x) => x.clone(),
            None => panic!(
                "sekimori-fixtures: pick index {i} out of range ({} items)",
                items.len()
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TcpFlags;
    use crate::ep;
    use crate::packet::{tcp_packet, udp_packet};
    use etherparse::{Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice};

    /// (offset, more, id, data) of an IPv4 fragment, checking header length fields/checksum.
    fn v4(f: &[u8]) -> (usize, bool, u16, Vec<u8>) {
        let h = Ipv4HeaderSlice::from_slice(f).expect("v4 header");
        assert_eq!(usize::from(h.total_len()), f.len());
        assert_eq!(h.header_checksum(), h.to_header().calc_header_checksum());
        assert!(!h.dont_fragment());
        (
            usize::from(h.fragments_offset().byte_offset()),
            h.more_fragments(),
            h.identification(),
            f[h.slice().len()..].to_vec(),
        )
    }

    /// Same for IPv6: (offset, more, id, next header in frag header, data).
    fn v6(f: &[u8]) -> (usize, bool, u32, u8, Vec<u8>) {
        let h = Ipv6HeaderSlice::from_slice(f).expect("v6 header");
        assert_eq!(h.next_header(), IpNumber::IPV6_FRAGMENTATION_HEADER);
        assert_eq!(usize::from(h.payload_length()), f.len() - 40);
        let fh = Ipv6FragmentHeaderSlice::from_slice(&f[40..]).expect("frag header");
        (
            usize::from(fh.fragment_offset().byte_offset()),
            fh.more_fragments(),
            fh.identification(),
            fh.next_header().0,
            f[48..].to_vec(),
        )
    }

    #[test]
    fn ipv4_split_and_reassemble() {
        let payload: Vec<u8> = (0..100u8).collect();
        let p = udp_packet(ep("10.0.0.1:1"), ep("10.0.0.2:2"), &payload);
        let body = fragmentable(&p).expect("body").to_vec();
        assert_eq!(body.len(), 108);
        let frags = fragment(&p, 30, 0xbeef).expect("fragment");
        let parsed: Vec<_> = frags.iter().map(|f| v4(f)).collect();
        let shape: Vec<(usize, bool, u16, usize)> =
            parsed.iter().map(|x| (x.0, x.1, x.2, x.3.len())).collect();
        assert_eq!(
            shape,
            vec![
                (0, true, 0xbeef, 24),
                (24, true, 0xbeef, 24),
                (48, true, 0xbeef, 24),
                (72, true, 0xbeef, 24),
                (96, false, 0xbeef, 12)
            ]
        );
        let joined: Vec<u8> = parsed.iter().flat_map(|x| x.3.clone()).collect();
        assert_eq!(joined, body);
    }

    #[test]
    fn ipv6_split_and_reassemble() {
        let payload = vec![0x5a; 200];
        let p = tcp_packet(
            ep("[2001:db8::1]:1"),
            ep("[2001:db8::2]:2"),
            9,
            9,
            TcpFlags::PSH_ACK,
            &payload,
        );
        let body = fragmentable(&p).expect("body").to_vec();
        let frags = fragment(&p, 64, 0x1234_5678).expect("fragment");
        assert_eq!(frags.len(), 4);
        let parsed: Vec<_> = frags.iter().map(|f| v6(f)).collect();
        let shape: Vec<(usize, bool, u32, u8, usize)> = parsed
            .iter()
            .map(|x| (x.0, x.1, x.2, x.3, x.4.len()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (0, true, 0x1234_5678, 6, 64),
                (64, true, 0x1234_5678, 6, 64),
                (128, true, 0x1234_5678, 6, 64),
                (192, false, 0x1234_5678, 6, 28)
            ]
        );
        let joined: Vec<u8> = parsed.iter().flat_map(|x| x.4.clone()).collect();
        assert_eq!(joined, body);
    }

    #[test]
    fn tiny_first_fragment_and_custom_sizes() {
        let p = udp_packet(ep("10.0.0.1:1"), ep("10.0.0.2:2"), &[1u8; 40]);
        let frags = fragment_sizes(&p, &[8], 7).expect("sizes");
        let parsed: Vec<_> = frags.iter().map(|f| v4(f)).collect();
        assert_eq!(
            parsed
                .iter()
                .map(|x| (x.0, x.1, x.3.len()))
                .collect::<Vec<_>>(),
            vec![(0, true, 8), (8, false, 40)]
        );
        // First fragment holds only the UDP header.
        assert_eq!(parsed[0].3, fragmentable(&p).expect("b")[..8].to_vec());
        // Sizes covering everything: no extra empty fragment.
        let frags = fragment_sizes(&p, &[16, 16, 100], 7).expect("sizes");
        let parsed: Vec<_> = frags.iter().map(|f| v4(f)).collect();
        assert_eq!(
            parsed
                .iter()
                .map(|x| (x.0, x.1, x.3.len()))
                .collect::<Vec<_>>(),
            vec![(0, true, 16), (16, true, 16), (32, false, 16)]
        );
        assert_eq!(
            fragment_sizes(&p, &[5, 8], 7),
            Err(FragError::Misaligned(5))
        );
    }

    #[test]
    fn overlapping_fragments_with_different_content() {
        let p = udp_packet(ep("10.0.0.1:1"), ep("10.0.0.2:2"), &[b'A'; 24]);
        let first = fragment_at(&p, 0, &fragmentable(&p).expect("b")[..16], true, 9).expect("f0");
        let overlap = fragment_at(&p, 8, &[b'B'; 16], true, 9).expect("f1");
        let last = fragment_at(&p, 24, &[b'C'; 8], false, 9).expect("f2");
        assert_eq!(v4(&overlap), (8, true, 9, vec![b'B'; 16]));
        assert_eq!(v4(&last).0, 24);
        assert!(!v4(&last).1);
        assert_eq!(v4(&first).3.len(), 16);
        let dup = pick(&[first.clone(), overlap, last], &[2, 0, 0, 1]);
        assert_eq!(dup.len(), 4);
        assert_eq!(dup[1], first);
        assert_eq!(dup[1], dup[2]);
    }

    #[test]
    fn errors_not_panics() {
        let p = udp_packet(ep("10.0.0.1:1"), ep("10.0.0.2:2"), b"x");
        assert_eq!(
            fragment_at(&p, 3, b"", true, 1),
            Err(FragError::Misaligned(3))
        );
        assert_eq!(
            fragment_at(&p, 65536, b"", true, 1),
            Err(FragError::OffsetTooLarge(65536))
        );
        assert!(matches!(
            fragment_at(&p, 0, &vec![0; 70_000], true, 1),
            Err(FragError::TooLarge(70_000))
        ));
        assert!(matches!(fragment(&[], 8, 1), Err(FragError::NotIp(_))));
        assert!(matches!(
            fragment(&[0x45, 0, 0], 8, 1),
            Err(FragError::NotIp(_))
        ));
        assert!(matches!(
            fragment(&[0x60; 10], 8, 1),
            Err(FragError::NotIp(_))
        ));
        assert!(matches!(fragment(b"hello", 8, 1), Err(FragError::NotIp(_))));
        // An IP packet with no payload: one empty final fragment.
        let mut empty = p.clone();
        empty.truncate(20);
        empty[2..4].copy_from_slice(&20u16.to_be_bytes());
        let f = fragment(&empty, 8, 1).expect("empty");
        assert_eq!(f.len(), 1);
        assert_eq!(v4(&f[0]), (0, false, 1, vec![]));
    }

    #[test]
    #[should_panic(expected = "pick index 3 out of range")]
    fn pick_out_of_range_is_a_clear_panic() {
        pick(&[1, 2, 3], &[3]);
    }
}
