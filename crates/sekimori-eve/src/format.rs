//! Value formats Suricata uses in EVE: timestamps, addresses, protocol names.

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

/// Converts days since 1970-01-01 to a (year, month, day) civil date (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's well-known days-to-civil arithmetic, written out from its description.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Appends a timestamp as Suricata writes it: `2016-07-13T22:42:07.573103+0000` (UTC).
pub fn push_timestamp(buf: &mut Vec<u8>, ts: Timestamp) {
    let secs = ts.secs();
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let (h, mi, s) = (sod / 3600, (sod / 60) % 60, sod % 60);
    let us = ts.subsec_micros();
    push_digits(buf, y.clamp(0, 9999) as u64, 4);
    let parts: [(u8, u64, usize); 6] = [
        (b'-', mo as u64, 2),
        (b'-', d as u64, 2),
        (b'T', h as u64, 2),
        (b':', mi as u64, 2),
        (b':', s as u64, 2),
        (b'.', us as u64, 6),
    ];
    for (c, v, w) in parts {
        buf.push(c);
        push_digits(buf, v, w);
    }
    buf.extend_from_slice(b"+0000");
}

/// Appends `v` zero-padded to `width` digits (width ≤ 8).
fn push_digits(buf: &mut Vec<u8>, v: u64, width: usize) {
    let mut tmp = [b'0'; 8];
    let mut n = v;
    for slot in tmp[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    buf.extend_from_slice(&tmp[..width]);
}

/// A timestamp as a Suricata-format string.
pub fn timestamp_string(ts: Timestamp) -> String {
    let mut v = Vec::with_capacity(31);
    push_timestamp(&mut v, ts);
    String::from_utf8(v).unwrap_or_default()
}

/// Appends an address as Suricata prints it: dotted quad, or IPv6 fully expanded with four hex
/// digits per group (`2001:0db8:0001:0000:0000:0000:0000:0002`).
pub fn push_addr(buf: &mut Vec<u8>, a: Addr) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if a.v6 {
        for (i, pair) in a.bytes.chunks_exact(2).enumerate() {
            if i > 0 {
                buf.push(b':');
            }
            for b in pair {
                buf.push(HEX[(b >> 4) as usize]);
                buf.push(HEX[(b & 0xf) as usize]);
            }
        }
    } else {
        for (i, b) in a.bytes[..4].iter().enumerate() {
            if i > 0 {
                buf.push(b'.');
            }
            let mut t = itoa::Buffer::new();
            buf.extend_from_slice(t.format(*b).as_bytes());
        }
    }
}

/// An address as a Suricata-format string.
pub fn addr_string(a: Addr) -> String {
    let mut v = Vec::with_capacity(39);
    push_addr(&mut v, a);
    String::from_utf8(v).unwrap_or_default()
}

/// Appends `data` as standard base64 with padding (RFC 4648), as EVE writes `payload`,
/// `packet` and `community_id`. Hand-written: twenty lines, not worth a dependency.
pub fn push_base64(out: &mut String, data: &[u8]) {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(data.len().div_ceil(3) * 4);
    let sym = |i: u32| char::from(ABC[(i & 63) as usize]);
    for c in data.chunks(3) {
        let b = |i: usize| u32::from(c.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if c.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if c.len() > 2 { sym(n) } else { '=' });
    }
}

/// The protocol name Suricata prints for an IP protocol number; `None` means it prints the
/// number (the table lives with the decoder: see [`sekimori_decode::ip_proto_name`]).
pub use sekimori_decode::ip_proto_name as proto_name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648() {
        for (raw, b64) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            let mut s = String::from(">");
            push_base64(&mut s, raw.as_bytes());
            assert_eq!(s, format!(">{b64}"), "appends");
        }
    }

    #[test]
    fn timestamps_match_suricata() {
        assert_eq!(
            timestamp_string(Timestamp::from_micros(1_468_449_727, 573_103)),
            "2016-07-13T22:42:07.573103+0000"
        );
        assert_eq!(
            timestamp_string(Timestamp(0)),
            "1970-01-01T00:00:00.000000+0000"
        );
        // Leap day and end of year.
        assert_eq!(
            timestamp_string(Timestamp::from_micros(951_782_400, 1)),
            "2000-02-29T00:00:00.000001+0000"
        );
        assert_eq!(
            timestamp_string(Timestamp::from_micros(1_262_303_999, 999_999)),
            "2009-12-31T23:59:59.999999+0000"
        );
    }

    #[test]
    fn ipv6_is_fully_expanded() {
        let a = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(addr_string(a), "2001:0db8:0001:0000:0000:0000:0000:0002");
        assert_eq!(addr_string(Addr::v4([10, 16, 1, 11])), "10.16.1.11");
    }
}
