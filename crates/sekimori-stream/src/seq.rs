//! TCP sequence-number arithmetic (RFC 1982 serial number comparison, 32-bit wrap-around).
//!
//! Two sequence numbers are compared by the sign of their wrapping difference, so `0x0000_0010`
//! is "after" `0xffff_fff0`. The comparison is meaningful for numbers less than 2^31 apart, which
//! every TCP window is.

/// `a < b` in sequence space.
#[inline]
pub const fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a <= b` in sequence space.
#[inline]
pub const fn seq_leq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// `a > b` in sequence space.
#[inline]
pub const fn seq_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// `a >= b` in sequence space.
#[inline]
pub const fn seq_geq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

/// The later of two sequence numbers.
#[inline]
pub const fn seq_max(a: u32, b: u32) -> u32 {
    if seq_gt(a, b) { a } else { b }
}

/// Signed distance from `from` to `to` (positive when `to` is after `from`).
#[inline]
pub const fn seq_diff(to: u32, from: u32) -> i64 {
    to.wrapping_sub(from) as i32 as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ordering() {
        assert!(seq_lt(1, 2));
        assert!(!seq_lt(2, 2));
        assert!(seq_leq(2, 2));
        assert!(seq_gt(3, 2));
        assert!(seq_geq(3, 3));
        assert_eq!(seq_max(5, 9), 9);
        assert_eq!(seq_diff(9, 5), 4);
        assert_eq!(seq_diff(5, 9), -4);
    }

    #[test]
    fn wrap_around() {
        let near_top = u32::MAX - 10;
        let wrapped = 20u32;
        assert!(seq_lt(near_top, wrapped));
        assert!(seq_gt(wrapped, near_top));
        assert_eq!(seq_diff(wrapped, near_top), 31);
        assert_eq!(seq_diff(near_top, wrapped), -31);
        assert_eq!(seq_max(near_top, wrapped), wrapped);
        assert!(seq_leq(u32::MAX, 0));
    }

    #[test]
    fn half_space_boundary() {
        // Exactly 2^31 apart is ambiguous; the i32 cast makes it "before" in both directions
        // for the lower one, which is the documented RFC 1982 undefined case. Just ensure no panic.
        let _ = seq_lt(0, 0x8000_0000);
        let _ = seq_lt(0x8000_0000, 0);
        assert!(seq_lt(0, 0x7fff_ffff));
    }
}
