//! Address table for rules without a fast pattern whose source or destination is a small,
//! specific address set (IP reputation style lists such as ET's Tor/CINS groups): disjoint
//! address segments, each with the rules whose set covers it, found by binary search.

use sekimori_decode::Addr;
use sekimori_rules::AddressSet;

/// A set is indexed when it covers at most this many IPv4 addresses (and, for IPv6, at most
/// 2^64 addresses); larger sets (`$EXTERNAL_NET`, `any`) stay on the plain lists.
const SMALL_V4: u64 = 1 << 20;
const SMALL_V6: u128 = 1 << 64;
/// Upper bound on (segment, rule) pairs built; beyond it the index gives up.
const MAX_PAIRS: usize = 4_000_000;

/// Is this set small enough to index?
pub(crate) fn small(set: &AddressSet) -> bool {
    if set.is_empty() {
        return false;
    }
    let v4: u64 = set
        .v4
        .ranges()
        .iter()
        .map(|&(a, b)| u64::from(b - a) + 1)
        .fold(0u64, u64::saturating_add);
    let v6: u128 = set
        .v6
        .ranges()
        .iter()
        .map(|&(a, b)| (b - a).saturating_add(1))
        .fold(0u128, u128::saturating_add);
    v4 <= SMALL_V4 && v6 <= SMALL_V6
}

#[derive(Debug, Default)]
struct Segments<T> {
    starts: Vec<T>,
    rules: Vec<Vec<u32>>,
}

impl<T: Copy + Ord + std::fmt::Debug> Segments<T> {
    fn build(ranges: &[(T, T, u32)], succ: impl Fn(T) -> Option<T>) -> Option<Self> {
        let mut bounds: Vec<T> = Vec::with_capacity(ranges.len() * 2);
        for &(lo, hi, _) in ranges {
            bounds.push(lo);
            if let Some(n) = succ(hi) {
                bounds.push(n);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let mut rules: Vec<Vec<u32>> = vec![Vec::new(); bounds.len()];
        let mut pairs = 0usize;
        for &(lo, hi, id) in ranges {
            let a = bounds.partition_point(|&b| b < lo);
            let end = match succ(hi) {
                Some(n) => bounds.partition_point(|&b| b < n),
                None => bounds.len(),
            };
            for seg in rules.get_mut(a..end)? {
                seg.push(id);
                pairs += 1;
            }
            if pairs > MAX_PAIRS {
                return None;
            }
        }
        Some(Segments {
            starts: bounds,
            rules,
        })
    }

    fn lookup(&self, v: T) -> &[u32] {
        let i = self.starts.partition_point(|&s| s <= v);
        match i.checked_sub(1).and_then(|i| self.rules.get(i)) {
            Some(r) => r,
            None => &[],
        }
    }
}

/// Rules indexed by one address side.
#[derive(Debug, Default)]
pub(crate) struct AddrIndex {
    v4: Segments<u32>,
    v6: Segments<u128>,
}

/// Builder collecting (set, rule) pairs.
#[derive(Debug, Default)]
pub(crate) struct AddrIndexBuilder {
    v4: Vec<(u32, u32, u32)>,
    v6: Vec<(u128, u128, u32)>,
}

impl AddrIndexBuilder {
    pub(crate) fn add(&mut self, set: &AddressSet, rule: u32) {
        self.v4
            .extend(set.v4.ranges().iter().map(|&(a, b)| (a, b, rule)));
        self.v6
            .extend(set.v6.ranges().iter().map(|&(a, b)| (a, b, rule)));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Build; None when the table would be too large.
    pub(crate) fn build(self) -> Option<AddrIndex> {
        Some(AddrIndex {
            v4: Segments::build(&self.v4, |x: u32| x.checked_add(1))?,
            v6: Segments::build(&self.v6, |x: u128| x.checked_add(1))?,
        })
    }
}

impl AddrIndex {
    /// Rules whose indexed set contains `a`.
    pub(crate) fn lookup(&self, a: Addr) -> &[u32] {
        if a.v6 {
            self.v6.lookup(u128::from_be_bytes(a.bytes))
        } else {
            let b = a.bytes;
            self.v4.lookup(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v4: &[(u32, u32)]) -> AddressSet {
        let mut s = AddressSet::default();
        for &(a, b) in v4 {
            s.v4.insert(a, b);
        }
        s
    }

    #[test]
    fn overlapping_sets() {
        let mut b = AddrIndexBuilder::default();
        b.add(&set(&[(10, 20), (100, 100)]), 1);
        b.add(&set(&[(15, 30)]), 2);
        b.add(&set(&[(u32::MAX - 1, u32::MAX)]), 3);
        let ix = b.build().unwrap();
        let at = |v: u32| {
            let mut r = ix.lookup(Addr::v4(v.to_be_bytes())).to_vec();
            r.sort();
            r
        };
        assert_eq!(at(9), Vec::<u32>::new());
        assert_eq!(at(10), [1]);
        assert_eq!(at(15), [1, 2]);
        assert_eq!(at(20), [1, 2]);
        assert_eq!(at(21), [2]);
        assert_eq!(at(31), Vec::<u32>::new());
        assert_eq!(at(100), [1]);
        assert_eq!(at(101), Vec::<u32>::new());
        assert_eq!(at(u32::MAX), [3]);
        assert!(ix.lookup(Addr::v6([0; 16])).is_empty());
    }

    #[test]
    fn small_sets() {
        assert!(small(&set(&[(1, 1000)])));
        assert!(!small(&set(&[(0, u32::MAX)])));
        assert!(!small(&AddressSet::any()));
        assert!(!small(&AddressSet::default()));
    }
}
