//! The beacon score of one (host, destination, port) pair, exactly as behavior.md defines it, and
//! the prevalence/rarity/first-seen adjustments.

use crate::config::BeaconConfig;
use crate::stats::{
    BINS, HistScore, Regularity, SampleKind, duration_score, hist_score, histogram, mad_sorted,
    median_sorted, regularity, split_missed_beats,
};

/// Reusable buffers for [`score_pair`].
#[derive(Debug, Default)]
pub struct Scratch {
    times: Vec<i64>,
    sizes: Vec<f64>,
    ints: Vec<f64>,
    adj: Vec<f64>,
    tmp: Vec<f64>,
}

/// Every part of one pair's score, for the alert's evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct BeaconScore {
    /// 0.25·R(intervals) + 0.25·R(sizes) + 0.25·histogram + 0.25·duration, before adjustments.
    pub raw: f64,
    /// R over the (missed-beat adjusted) intervals.
    pub intervals: Regularity,
    /// R over the bytes sent per connection.
    pub sizes: Regularity,
    /// Histogram score parts.
    pub hist: HistScore,
    /// Bin counts over the window.
    pub counts: [u32; BINS],
    /// Duration score.
    pub duration: f64,
    /// Distinct start times (whole seconds) in the window.
    pub distinct: usize,
    /// Connections in the window (not deduplicated).
    pub total: usize,
    /// Beats added by the missed-beat rule.
    pub missed_beats: u32,
    /// Relative jitter: MAD/median of the adjusted intervals (0 when the median is 0).
    pub jitter: f64,
    /// First distinct start time in the window.
    pub t1: i64,
    /// Last distinct start time.
    pub tn: i64,
    /// Connections per day over the span of the retained connections.
    pub rate_per_day: f64,
    /// True when the pair is a strobe (≥ `strobe_per_day`, with enough connections).
    pub strobe: bool,
}

/// Scores the connections `(start second, bytes sent)` that fall in `[min_ts, max_ts]`.
/// None when fewer than `cfg.min_connections` distinct start times remain.
pub fn score_pair<I>(
    conns: I,
    min_ts: i64,
    max_ts: i64,
    cfg: &BeaconConfig,
    s: &mut Scratch,
) -> Option<BeaconScore>
where
    I: IntoIterator<Item = (i64, u64)>,
{
    s.times.clear();
    s.sizes.clear();
    for (t, b) in conns {
        if t >= min_ts && t <= max_ts {
            s.times.push(t);
            s.sizes.push(b as f64);
        }
    }
    let total = s.times.len();
    s.times.sort_unstable();
    let raw_span = match (s.times.first(), s.times.last()) {
        (Some(&a), Some(&b)) => (i128::from(b) - i128::from(a)) as f64,
        _ => 0.0,
    };
    s.times.dedup();
    let distinct = s.times.len();
    if distinct < cfg.min_connections.max(2) {
        return None;
    }
    let (t1, tn) = (
        s.times.first().copied().unwrap_or(0),
        s.times.last().copied().unwrap_or(0),
    );

    s.ints.clear();
    s.ints.extend(s.times.windows(2).map(|w| match w {
        [a, b] => (i128::from(*b) - i128::from(*a)) as f64,
        _ => 0.0,
    }));
    s.ints.sort_by(f64::total_cmp);
    let m = median_sorted(&s.ints);
    let missed_beats = split_missed_beats(
        &s.ints,
        m,
        cfg.missed_beat_max_multiple,
        cfg.missed_beat_tolerance,
        &mut s.adj,
    );
    s.adj.sort_by(f64::total_cmp);
    let intervals = regularity(&s.adj, SampleKind::Intervals, &mut s.tmp);
    s.sizes.sort_by(f64::total_cmp);
    let sizes = regularity(&s.sizes, SampleKind::Sizes, &mut s.tmp);

    let counts = histogram(&s.times, min_ts, max_ts);
    // Guard on the two-mode fit (see `BeaconConfig::two_mode_min_regularity`): both parts of
    // R(intervals) — skew score and spread score — must reach the minimum.
    let regular = intervals.skew_score.min(intervals.spread_score) >= cfg.two_mode_min_regularity;
    let hist = hist_score(&counts, regular);
    let duration = duration_score(&counts, t1, tn, min_ts, max_ts);
    let raw = 0.25 * intervals.r + 0.25 * sizes.r + 0.25 * hist.score + 0.25 * duration;

    let jitter = if intervals.median > 0.0 {
        mad_sorted(&s.adj, intervals.median, &mut s.tmp) / intervals.median
    } else {
        0.0
    };
    let rate_per_day = if raw_span > 0.0 {
        total as f64 * 86_400.0 / raw_span
    } else {
        0.0
    };
    let strobe = total >= cfg.strobe_min_connections && rate_per_day >= cfg.strobe_per_day;
    Some(BeaconScore {
        raw,
        intervals,
        sizes,
        hist,
        counts,
        duration,
        distinct,
        total,
        missed_beats,
        jitter,
        t1,
        tn,
        rate_per_day,
        strobe,
    })
}

/// Applies the spec's adjustments to a raw score: prevalence ≥ `prevalence_high` → −adjust,
/// ≤ `prevalence_rare` → +adjust (only when `prevalence` is Some, i.e. enough hosts are known);
/// destination first seen within `first_seen_days` → +`first_seen_adjust`. Clamped to [0, 1].
/// Returns (final score, total adjustment).
pub fn adjust(
    raw: f64,
    prevalence: Option<f64>,
    first_seen_recent: bool,
    cfg: &BeaconConfig,
) -> (f64, f64) {
    let mut a = 0.0;
    if let Some(p) = prevalence {
        if p >= cfg.prevalence_high {
            a -= cfg.prevalence_adjust;
        } else if p <= cfg.prevalence_rare {
            a += cfg.prevalence_adjust;
        }
    }
    if first_seen_recent {
        a += cfg.first_seen_adjust;
    }
    let f = raw + a;
    (
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        },
        a,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BeaconConfig {
        BeaconConfig::default()
    }

    #[test]
    fn perfect_beacon_scores_one() {
        let conns: Vec<(i64, u64)> = (0..100).map(|i| (1000 + i * 60, 300)).collect();
        let s = score_pair(conns, 1000, 1000 + 99 * 60, &cfg(), &mut Scratch::default()).unwrap();
        assert_eq!(s.distinct, 100);
        assert_eq!(s.intervals.r, 1.0);
        assert_eq!(s.intervals.median, 60.0);
        assert_eq!(s.sizes.r, 1.0);
        assert_eq!(s.hist.score, 1.0);
        assert_eq!(s.duration, 1.0);
        assert_eq!(s.raw, 1.0);
        assert_eq!(s.jitter, 0.0);
        assert!(!s.strobe);
    }

    #[test]
    fn eligibility_and_window() {
        let c = cfg();
        let mut sc = Scratch::default();
        // Three distinct times (two duplicates) → not eligible.
        assert!(
            score_pair(
                [(0, 1), (0, 1), (10, 1), (20, 1), (20, 5)],
                0,
                100,
                &c,
                &mut sc
            )
            .is_none()
        );
        // Four distinct → eligible.
        assert!(score_pair([(0, 1), (10, 1), (20, 1), (30, 1)], 0, 100, &c, &mut sc).is_some());
        // Times outside the window do not count.
        assert!(score_pair([(0, 1), (10, 1), (20, 1), (300, 1)], 0, 100, &c, &mut sc).is_none());
        assert!(score_pair(std::iter::empty(), 0, 0, &c, &mut sc).is_none());
    }

    #[test]
    fn hand_computed_small_pair() {
        // Times 0, 100, 200, 400 in window [0, 400]; sizes 10, 10, 10, 10.
        // Intervals 100, 100, 200; median 100; 200 = 2×100 → split → 100 ×4 → R = 1.
        // Sizes constant → R(sizes): skew 0 (IQR < 10) → 1; MAD 0 → spread 1 → 1.
        // Bins of 400/24: 0→0, 100→6, 200→12, 400→23: four bars of 1, mean 1/6,
        // var = 4/24 − 1/36 = 5/36 → σ = √5/6 → CV = √5 ≈ 2.236 → 0; < 11 bins → no fit.
        // Duration: 4 non-empty bins < 6 → 0. Raw = 0.25 + 0.25 + 0 + 0 = 0.5.
        let s = score_pair(
            [(0, 10), (100, 10), (200, 10), (400, 10)],
            0,
            400,
            &cfg(),
            &mut Scratch::default(),
        )
        .unwrap();
        assert_eq!(s.missed_beats, 1);
        assert_eq!(s.intervals.r, 1.0);
        assert_eq!(s.sizes.r, 1.0);
        assert!((s.hist.cv - 5f64.sqrt()).abs() < 1e-9);
        assert_eq!(s.hist.score, 0.0);
        assert_eq!(s.duration, 0.0);
        assert!((s.raw - 0.5).abs() < 1e-12);
        assert_eq!((s.t1, s.tn), (0, 400));
    }

    #[test]
    fn strobe_needs_rate_and_volume() {
        let c = cfg();
        let mut sc = Scratch::default();
        // 2,000 connections, one per second: a strobe.
        let s = score_pair((0..2000).map(|i| (i, 100)), 0, 2000, &c, &mut sc).unwrap();
        assert!(s.strobe);
        assert!(s.rate_per_day >= 86_400.0);
        // 50 connections within 10 s: a high rate but far too few to call it a strobe.
        let s = score_pair((0..50).map(|i| (i / 5, 100)), 0, 10, &c, &mut sc).unwrap();
        assert!(!s.strobe);
    }

    #[test]
    fn adjustments() {
        let c = cfg();
        assert_eq!(adjust(0.8, Some(0.6), false, &c), (0.8 - 0.15, -0.15));
        assert_eq!(adjust(0.8, Some(0.01), false, &c).1, 0.15);
        assert_eq!(adjust(0.8, Some(0.2), false, &c), (0.8, 0.0));
        assert_eq!(adjust(0.8, None, true, &c).1, 0.15);
        assert_eq!(adjust(0.95, Some(0.01), true, &c).0, 1.0);
        assert_eq!(adjust(0.1, Some(0.9), false, &c).0, 0.0);
        assert_eq!(adjust(f64::NAN, None, false, &c).0, 0.0);
    }
}
