//! Alert thresholding: the rule keywords `threshold` / `detection_filter`, and the
//! `threshold` / `event_filter` / `suppress` entries of threshold.config, driven by packet time.
//!
//! Semantics (Suricata's): `limit` alerts on the first `count` matches per `seconds` window;
//! `threshold` alerts on every `count`-th match within a window; `both` alerts once per window
//! when the `count`-th match is reached; `detection_filter` alerts on every match after the
//! first `count` within the window. A window starts at the first match and restarts with the
//! first match after it expired. A threshold.config entry replaces the rule's own threshold.

use ahash::RandomState;
use hashbrown::HashMap;
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use sekimori_rules::options::{Threshold, ThresholdType, Track};
use sekimori_rules::{
    AddressSet,
    config::{RateAction, SuppressTrack},
};

/// A `rate_filter` entry of threshold.config compiled for one rule: once more than `count`
/// matches are seen within `seconds` (per tracker), the rule's action becomes `new_action`
/// for `timeout` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateFilter {
    pub track: Track,
    pub count: u32,
    pub seconds: u32,
    pub new_action: RateAction,
    pub timeout: u32,
}

/// Tracking state of one rate filter key.
#[derive(Debug, Clone, Copy)]
struct RateEntry {
    window_start: Timestamp,
    count: u32,
    /// When the new action came in force, if it is.
    since: Option<Timestamp>,
}

/// A suppress entry compiled for one rule.
#[derive(Debug, Clone)]
pub(crate) struct Suppress {
    pub track: Option<SuppressTrack>,
    pub ip: Option<AddressSet>,
}

impl Suppress {
    /// Does this entry suppress an alert from `src` to `dst`?
    pub fn hits(&self, src: Addr, dst: Addr) -> bool {
        let inset = |a: Addr| self.ip.as_ref().is_some_and(|s| s.contains(a.to_ip()));
        match self.track {
            None => true,
            Some(SuppressTrack::BySrc) => inset(src),
            Some(SuppressTrack::ByDst) => inset(dst),
            Some(SuppressTrack::Either) => inset(src) || inset(dst),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Timestamp,
    count: u32,
}

/// Counters of the threshold table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThresholdStats {
    /// Matches checked against a threshold.
    pub checked: u64,
    /// Alerts let through by a threshold.
    pub passed: u64,
    /// Alerts withheld by a threshold or detection_filter.
    pub withheld: u64,
    /// Alerts removed by suppress entries.
    pub suppressed: u64,
    /// Tracking entries dropped because the table was full.
    pub table_full: u64,
    /// Matches whose action a `rate_filter` changed.
    pub rate_changed: u64,
}

/// Tracking state of all thresholds (keep one per engine thread/instance).
#[derive(Debug, Clone)]
pub struct ThresholdState {
    map: HashMap<(u32, Addr, Addr), Entry, RandomState>,
    rates: HashMap<(u32, Addr, Addr), RateEntry, RandomState>,
    /// Counters.
    pub stats: ThresholdStats,
    /// Maximum tracked entries (new keys beyond it are treated as fresh windows, not stored).
    pub max_entries: usize,
}

impl Default for ThresholdState {
    fn default() -> Self {
        ThresholdState {
            map: HashMap::with_hasher(RandomState::new()),
            rates: HashMap::with_hasher(RandomState::new()),
            stats: ThresholdStats::default(),
            max_entries: 1 << 20,
        }
    }
}

impl ThresholdState {
    /// New empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tracked entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Count a match of rule `rule` under rate filter `rf`; true when the filter's new action
    /// is in force for this match (Suricata's `rate_filter`: the match that exceeds `count`
    /// within `seconds` starts the `timeout`; when it has passed, counting starts again).
    pub(crate) fn rate(
        &mut self,
        rule: u32,
        rf: &RateFilter,
        src: Addr,
        dst: Addr,
        now: Timestamp,
    ) -> bool {
        let key = track_key(rule, rf.track, src, dst);
        let fresh = RateEntry {
            window_start: now,
            count: 1,
            since: None,
        };
        let e = match self.rates.get_mut(&key) {
            Some(e) => e,
            None => {
                let changed = rf.count == 0;
                if self.rates.len() >= self.max_entries {
                    self.stats.table_full += 1;
                } else {
                    let since = changed.then_some(now);
                    self.rates.insert(key, RateEntry { since, ..fresh });
                }
                if changed {
                    self.stats.rate_changed += 1;
                }
                return changed;
            }
        };
        let secs = |s: u32| u64::from(s).saturating_mul(1_000_000_000);
        if let Some(t) = e.since {
            if now.nanos_since(t) > secs(rf.timeout) {
                *e = fresh;
                return false;
            }
            self.stats.rate_changed += 1;
            return true;
        }
        if now.nanos_since(e.window_start) < secs(rf.seconds) {
            e.count = e.count.saturating_add(1);
            if e.count > rf.count {
                e.since = Some(now);
                self.stats.rate_changed += 1;
                return true;
            }
        } else {
            *e = fresh;
        }
        false
    }

    /// Drop entries whose window ended more than `max_seconds` before `now`.
    pub fn expire(&mut self, now: Timestamp, max_seconds: u64) {
        let max = max_seconds.saturating_mul(1_000_000_000);
        self.map
            .retain(|_, e| now.nanos_since(e.window_start) <= max);
        self.rates
            .retain(|_, e| now.nanos_since(e.since.unwrap_or(e.window_start)) <= max);
    }

    /// Count a match of rule `rule` and decide whether it alerts.
    pub(crate) fn check(
        &mut self,
        rule: u32,
        t: &Threshold,
        src: Addr,
        dst: Addr,
        now: Timestamp,
    ) -> bool {
        self.stats.checked += 1;
        let key = track_key(rule, t.track, src, dst);
        let window = u64::from(t.seconds).saturating_mul(1_000_000_000);
        let full = self.map.len() >= self.max_entries;
        let mut fresh = Entry {
            window_start: now,
            count: 0,
        };
        let e = match self.map.get_mut(&key) {
            Some(e) => e,
            None if full => {
                self.stats.table_full += 1;
                &mut fresh
            }
            None => self.map.entry(key).or_insert(fresh),
        };
        if now.nanos_since(e.window_start) >= window {
            // window expired: a new one starts with this match
            e.window_start = now;
            e.count = 0;
        }
        e.count = e.count.saturating_add(1);
        let alert = match t.kind {
            ThresholdType::Limit => e.count <= t.count,
            ThresholdType::Threshold => {
                if e.count >= t.count {
                    e.count = 0;
                    true
                } else {
                    false
                }
            }
            ThresholdType::Both => e.count == t.count,
            ThresholdType::DetectionFilter => e.count > t.count,
        };
        if alert {
            self.stats.passed += 1;
        } else {
            self.stats.withheld += 1;
        }
        alert
    }
}

/// The tracking key of a match of `rule` from `src` to `dst`.
fn track_key(rule: u32, track: Track, src: Addr, dst: Addr) -> (u32, Addr, Addr) {
    let zero = Addr::default();
    match track {
        Track::BySrc => (rule, src, zero),
        Track::ByDst => (rule, dst, zero),
        Track::ByRule => (rule, zero, zero),
        // by_both: the pair, in either order
        Track::ByBoth => {
            if src <= dst {
                (rule, src, dst)
            } else {
                (rule, dst, src)
            }
        }
        // by_flow needs a flow id the matcher does not have: track by the address pair
        Track::ByFlow => (rule, src, dst),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(kind: ThresholdType, track: Track, count: u32, seconds: u32) -> Threshold {
        Threshold {
            kind,
            track,
            count,
            seconds,
        }
    }

    fn secs(s: i64) -> Timestamp {
        Timestamp(s * 1_000_000_000)
    }

    const A: Addr = Addr::v4([10, 0, 0, 1]);
    const B: Addr = Addr::v4([10, 0, 0, 2]);

    fn run(t: Threshold, times: &[(i64, Addr)]) -> Vec<bool> {
        let mut s = ThresholdState::new();
        times
            .iter()
            .map(|&(ts, src)| s.check(1, &t, src, B, secs(ts)))
            .collect()
    }

    #[test]
    fn limit() {
        let t = th(ThresholdType::Limit, Track::BySrc, 2, 60);
        let r = run(
            t,
            &[(0, A), (1, A), (2, A), (3, B), (61, A), (62, A), (63, A)],
        );
        assert_eq!(r, [true, true, false, true, true, true, false]);
    }

    #[test]
    fn threshold_every_nth() {
        let t = th(ThresholdType::Threshold, Track::ByRule, 3, 60);
        let r = run(
            t,
            &[(0, A), (1, A), (2, A), (3, A), (4, A), (5, A), (100, A)],
        );
        assert_eq!(r, [false, false, true, false, false, true, false]);
    }

    #[test]
    fn both_once_per_window() {
        let t = th(ThresholdType::Both, Track::ByDst, 2, 10);
        let r = run(t, &[(0, A), (1, A), (2, A), (3, A), (20, A), (21, A)]);
        assert_eq!(r, [false, true, false, false, false, true]);
    }

    #[test]
    fn detection_filter_after_count() {
        let t = th(ThresholdType::DetectionFilter, Track::BySrc, 2, 10);
        let r = run(t, &[(0, A), (1, A), (2, A), (3, A), (3, B), (30, A)]);
        assert_eq!(r, [false, false, true, true, false, false]);
    }

    #[test]
    fn expire_and_full_table() {
        let t = th(ThresholdType::Limit, Track::BySrc, 1, 10);
        let mut s = ThresholdState::new();
        assert!(s.check(1, &t, A, B, secs(0)));
        assert_eq!(s.len(), 1);
        s.expire(secs(100), 10);
        assert!(s.is_empty());
        s.max_entries = 0;
        assert!(s.check(1, &t, A, B, secs(0)));
        assert!(s.check(1, &t, A, B, secs(0)), "untracked keys start fresh");
        assert_eq!(s.stats.table_full, 2);
    }

    #[test]
    fn suppress_tracks() {
        let mut ip = AddressSet::default();
        ip.v4.insert(
            u32::from_be_bytes([10, 0, 0, 1]),
            u32::from_be_bytes([10, 0, 0, 1]),
        );
        let all = Suppress {
            track: None,
            ip: None,
        };
        assert!(all.hits(A, B));
        let by_src = Suppress {
            track: Some(SuppressTrack::BySrc),
            ip: Some(ip.clone()),
        };
        assert!(by_src.hits(A, B));
        assert!(!by_src.hits(B, A));
        let by_dst = Suppress {
            track: Some(SuppressTrack::ByDst),
            ip: Some(ip.clone()),
        };
        assert!(by_dst.hits(B, A));
        assert!(!by_dst.hits(A, B));
        let either = Suppress {
            track: Some(SuppressTrack::Either),
            ip: Some(ip),
        };
        assert!(either.hits(B, A) && either.hits(A, B));
        assert!(!either.hits(B, B));
    }
}
