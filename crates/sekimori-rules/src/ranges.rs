//! Sorted, non-overlapping inclusive ranges over an unsigned integer domain; the common
//! representation behind address sets (u32 for IPv4, u128 for IPv6) and port sets (u16).

use serde::Serialize;

/// An unsigned integer domain with a minimum and maximum.
pub trait Domain: Copy + Ord + std::fmt::Debug {
    /// Smallest value.
    const MIN: Self;
    /// Largest value.
    const MAX: Self;
    /// `self + 1`, or `None` at the maximum.
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at the minimum.
    fn pred(self) -> Option<Self>;
}

macro_rules! domain {
    ($t:ty) => {
        impl Domain for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
        }
    };
}
domain!(u16);
domain!(u32);
domain!(u128);

/// A set of values as sorted, merged, inclusive `(start, end)` ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RangeSet<T> {
    ranges: Vec<(T, T)>,
}

impl<T: Domain> RangeSet<T> {
    /// The empty set.
    pub fn new() -> Self {
        RangeSet { ranges: Vec::new() }
    }

    /// The whole domain.
    pub fn full() -> Self {
        RangeSet {
            ranges: vec![(T::MIN, T::MAX)],
        }
    }

    /// The ranges, sorted and non-overlapping.
    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    /// True when no value is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when every value of the domain is in the set.
    pub fn is_full(&self) -> bool {
        self.ranges.len() == 1 && self.ranges.first() == Some(&(T::MIN, T::MAX))
    }

    /// Add `[a, b]` (arguments may come in any order).
    pub fn insert(&mut self, a: T, b: T) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        self.ranges.push((lo, hi));
        self.normalize();
    }

    /// Add every range of `other`.
    pub fn union_with(&mut self, other: &RangeSet<T>) {
        self.ranges.extend_from_slice(&other.ranges);
        self.normalize();
    }

    fn normalize(&mut self) {
        self.ranges.sort_unstable();
        let mut out: Vec<(T, T)> = Vec::with_capacity(self.ranges.len());
        for &(a, b) in &self.ranges {
            if let Some(last) = out.last_mut() {
                // merge overlapping or adjacent ranges
                let adjacent = last.1.succ().is_none_or(|n| a <= n);
                if adjacent {
                    if b > last.1 {
                        last.1 = b;
                    }
                    continue;
                }
            }
            out.push((a, b));
        }
        self.ranges = out;
    }

    /// Remove every value of `other`.
    pub fn subtract(&mut self, other: &RangeSet<T>) {
        if other.is_empty() || self.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(self.ranges.len() + other.ranges.len());
        for &(a, b) in &self.ranges {
            let mut cur = Some(a);
            for &(na, nb) in &other.ranges {
                let Some(c) = cur else { break };
                if nb < c || na > b {
                    continue;
                }
                if na > c
                    && let Some(p) = na.pred()
                {
                    out.push((c, p));
                }
                cur = if nb >= b { None } else { nb.succ() };
            }
            if let Some(c) = cur {
                out.push((c, b));
            }
        }
        self.ranges = out;
    }

    /// True when `other` and `self` share at least one value.
    pub fn intersects(&self, other: &RangeSet<T>) -> bool {
        self.ranges
            .iter()
            .any(|&(a, b)| other.ranges.iter().any(|&(c, d)| a <= d && c <= b))
    }

    /// Membership test (binary search).
    pub fn contains(&self, v: T) -> bool {
        let idx = self.ranges.partition_point(|&(_, end)| end < v);
        self.ranges.get(idx).is_some_and(|&(start, _)| start <= v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_merges_adjacent_and_overlapping() {
        let mut s = RangeSet::<u16>::new();
        s.insert(10, 20);
        s.insert(21, 30);
        s.insert(5, 12);
        s.insert(100, 100);
        assert_eq!(s.ranges(), &[(5, 30), (100, 100)]);
        assert!(s.contains(5) && s.contains(30) && s.contains(100));
        assert!(!s.contains(4) && !s.contains(31) && !s.contains(101));
    }

    #[test]
    fn subtract_splits() {
        let mut s = RangeSet::<u16>::full();
        let mut n = RangeSet::new();
        n.insert(80, 80);
        n.insert(0, 0);
        n.insert(65535, 65535);
        s.subtract(&n);
        assert_eq!(s.ranges(), &[(1, 79), (81, 65534)]);
        let mut all = RangeSet::<u16>::full();
        all.subtract(&RangeSet::full());
        assert!(all.is_empty());
    }

    #[test]
    fn full_and_edges() {
        let mut s = RangeSet::<u32>::new();
        s.insert(u32::MAX, 0);
        assert!(s.is_full());
        assert!(s.contains(0) && s.contains(u32::MAX));
    }
}
