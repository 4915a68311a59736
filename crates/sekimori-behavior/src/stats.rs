//! The statistics of the beacon score (behavior.md): quartiles, Bowley skewness, MAD, the
//! regularity statistic R, the 24-bin histogram score with its two-mode fit, the duration score and
//! the missed-beat adjustment. Pure functions over slices; callers pass scratch buffers so nothing
//! allocates once the buffers have grown.
//!
//! Quartile method (stated because results depend on it): the input is sorted ascending; Q2 is the
//! median (mean of the two middle values for even n); Q1 and Q3 are the medians of the lower and the
//! upper half, where for odd n the middle element belongs to neither half (the Moore–McCabe
//! convention, as TI calculators compute it; Tukey's hinges would include it). n = 1 gives
//! Q1 = Q2 = Q3 = x₁; n = 0 gives zeros.

/// Number of histogram bins over the analysis window (spec: 24).
pub const BINS: usize = 24;

/// Median of an ascending slice; 0 when empty.
pub fn median_sorted(x: &[f64]) -> f64 {
    let n = x.len();
    if n == 0 {
        return 0.0;
    }
    let mid = n / 2;
    let hi = x.get(mid).copied().unwrap_or(0.0);
    if n % 2 == 1 {
        hi
    } else {
        let lo = x.get(mid.wrapping_sub(1)).copied().unwrap_or(hi);
        (lo + hi) / 2.0
    }
}

/// (Q1, Q2, Q3) of an ascending slice, by the method in the module documentation.
pub fn quartiles_sorted(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len();
    match n {
        0 => (0.0, 0.0, 0.0),
        1 => {
            let v = x.first().copied().unwrap_or(0.0);
            (v, v, v)
        }
        _ => {
            let half = n / 2;
            let lower = x.get(..half).unwrap_or(&[]);
            let upper = x.get(n - half..).unwrap_or(&[]);
            (median_sorted(lower), median_sorted(x), median_sorted(upper))
        }
    }
}

/// Bowley (quartile) skewness: (Q1 + Q3 − 2·Q2)/(Q3 − Q1), defined as 0 when Q3 − Q1 < 10 or when
/// the median equals a quartile (spec).
pub fn bowley(q1: f64, q2: f64, q3: f64) -> f64 {
    let iqr = q3 - q1;
    if iqr < 10.0 || q2 == q1 || q2 == q3 || !iqr.is_finite() {
        return 0.0;
    }
    ((q1 + q3 - 2.0 * q2) / iqr).clamp(-1.0, 1.0)
}

/// Median absolute deviation of an ascending slice around its median `med`; `scratch` is reused.
pub fn mad_sorted(x: &[f64], med: f64, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend(x.iter().map(|v| (v - med).abs()));
    scratch.sort_by(f64::total_cmp);
    median_sorted(scratch)
}

/// What a sample is, for the spread score's rule when the median is below 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleKind {
    /// Intervals between connections (seconds): a median below 1 scores spread 1.
    Intervals,
    /// Bytes per connection: a median below 1 scores spread 0.
    Sizes,
}

/// The parts of the regularity statistic R(x).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Regularity {
    /// Bowley skewness s.
    pub skew: f64,
    /// 1 − |s|.
    pub skew_score: f64,
    /// Median of the sample.
    pub median: f64,
    /// Median absolute deviation.
    pub mad: f64,
    /// (median − MAD)/median clamped to ≥ 0 (or the median < 1 rule).
    pub spread_score: f64,
    /// R = mean(skew score, spread score).
    pub r: f64,
}

/// R(x) over an ascending sample (spec: mean of the Bowley skew score and the MAD spread score).
pub fn regularity(sorted: &[f64], kind: SampleKind, scratch: &mut Vec<f64>) -> Regularity {
    if sorted.is_empty() {
        return Regularity::default();
    }
    let (q1, q2, q3) = quartiles_sorted(sorted);
    let skew = bowley(q1, q2, q3);
    let skew_score = 1.0 - skew.abs();
    let median = q2;
    let mad = mad_sorted(sorted, median, scratch);
    let spread_score = if median < 1.0 {
        match kind {
            SampleKind::Intervals => 1.0,
            SampleKind::Sizes => 0.0,
        }
    } else {
        ((median - mad) / median).clamp(0.0, 1.0)
    };
    Regularity {
        skew,
        skew_score,
        median,
        mad,
        spread_score,
        r: (skew_score + spread_score) / 2.0,
    }
}

/// Counts of the ascending times `t` (any unit) in 24 equal bins over `[min_ts, max_ts]`; times
/// outside are ignored, `max_ts` falls in the last bin, and a zero-length window puts everything
/// in bin 0.
pub fn histogram(t: &[i64], min_ts: i64, max_ts: i64) -> [u32; BINS] {
    let mut c = [0u32; BINS];
    let span = i128::from(max_ts) - i128::from(min_ts);
    for &x in t {
        if x < min_ts || x > max_ts {
            continue;
        }
        let bin = if span <= 0 {
            0
        } else {
            let b = (i128::from(x) - i128::from(min_ts)) * BINS as i128 / span;
            usize::try_from(b).unwrap_or(BINS - 1).min(BINS - 1)
        };
        if let Some(slot) = c.get_mut(bin) {
            *slot = slot.saturating_add(1);
        }
    }
    c
}

/// The parts of the histogram score.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HistScore {
    /// Coefficient of variation σ/μ of the bin counts (population σ); 0 when all bins are empty.
    pub cv: f64,
    /// Two-mode fit, when ≥ 11 bins are non-empty.
    pub fit: Option<f64>,
    /// Non-empty bins.
    pub nonempty: usize,
    /// Final histogram score in [0, 1].
    pub score: f64,
}

/// Histogram score (spec): max(0, 1 − CV); with ≥ 11 non-empty bins, bar heights are grouped in
/// buckets of ceil(0.05 · max bar) (bucket = height div size) and fit = (largest group + second
/// group)/(non-empty bins − 1); score = min(1, max(1 − CV, fit)).
///
/// `allow_fit` = false skips the two-mode fit (the caller's guard, a documented addition to the
/// spec: see `BeaconConfig::two_mode_min_regularity`).
pub fn hist_score(c: &[u32; BINS], allow_fit: bool) -> HistScore {
    let n = BINS as f64;
    let total: f64 = c.iter().map(|&v| f64::from(v)).sum();
    if total <= 0.0 {
        return HistScore::default();
    }
    let mean = total / n;
    let var = c
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let cv = var.sqrt() / mean;
    let base = (1.0 - cv).max(0.0);
    let nonempty = c.iter().filter(|&&v| v > 0).count();
    if nonempty < 11 || !allow_fit {
        return HistScore {
            cv,
            fit: None,
            nonempty,
            score: base.min(1.0),
        };
    }
    let max_bar = c.iter().copied().max().unwrap_or(0);
    let size = (f64::from(max_bar) * 0.05).ceil().max(1.0) as u32;
    // Bucket index of every non-empty bar; at most 24 distinct indices, counted without allocating.
    let mut idx = [0u32; BINS];
    let mut cnt = [0u32; BINS];
    let mut used = 0usize;
    for &v in c.iter().filter(|&&v| v > 0) {
        let b = v / size;
        match idx.get(..used).and_then(|s| s.iter().position(|&x| x == b)) {
            Some(p) => {
                if let Some(k) = cnt.get_mut(p) {
                    *k += 1;
                }
            }
            None => {
                if let (Some(i), Some(k)) = (idx.get_mut(used), cnt.get_mut(used)) {
                    *i = b;
                    *k = 1;
                    used += 1;
                }
            }
        }
    }
    let groups = cnt.get_mut(..used).unwrap_or(&mut []);
    groups.sort_unstable_by(|a, b| b.cmp(a));
    let first = groups.first().copied().unwrap_or(0);
    let second = groups.get(1).copied().unwrap_or(0);
    let fit = f64::from(first + second) / (nonempty as f64 - 1.0);
    HistScore {
        cv,
        fit: Some(fit),
        nonempty,
        score: base.max(fit).min(1.0),
    }
}

/// Duration score (spec): only with ≥ 6 non-empty bins; max(coverage = (t_n − t_1)/(max_ts −
/// min_ts), longest run of consecutive non-empty bins / 12), capped at 1. Otherwise 0.
pub fn duration_score(c: &[u32; BINS], t1: i64, tn: i64, min_ts: i64, max_ts: i64) -> f64 {
    let nonempty = c.iter().filter(|&&v| v > 0).count();
    if nonempty < 6 {
        return 0.0;
    }
    let span = (i128::from(max_ts) - i128::from(min_ts)) as f64;
    let coverage = if span > 0.0 {
        ((i128::from(tn) - i128::from(t1)) as f64 / span).max(0.0)
    } else {
        0.0
    };
    let mut best = 0usize;
    let mut run = 0usize;
    for &v in c {
        if v > 0 {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    coverage.max(best as f64 / 12.0).min(1.0)
}

/// Missed beats (spec): an interval d that is a near multiple k·m of the median interval m,
/// 2 ≤ k ≤ `max_multiple` and |d − k·m| ≤ `tolerance`·m, counts as k beats of d/k each.
/// Writes the adjusted intervals to `out` and returns the number of beats added.
pub fn split_missed_beats(
    intervals: &[f64],
    median: f64,
    max_multiple: u32,
    tolerance: f64,
    out: &mut Vec<f64>,
) -> u32 {
    out.clear();
    let mut added = 0u32;
    for &d in intervals {
        if median > 0.0 && max_multiple >= 2 && d > median {
            let k = (d / median).round();
            if k >= 2.0
                && k <= f64::from(max_multiple)
                && (d - k * median).abs() <= tolerance * median
            {
                let k_int = k as u32;
                for _ in 0..k_int {
                    out.push(d / k);
                }
                added = added.saturating_add(k_int - 1);
                continue;
            }
        }
        out.push(d);
    }
    added
}

/// Nearest-rank percentile (p in (0, 1]) of an ascending slice; 0 when empty.
pub fn percentile_sorted(x: &[u64], p: f64) -> u64 {
    if x.is_empty() {
        return 0;
    }
    let rank = (p.clamp(0.0, 1.0) * x.len() as f64).ceil() as usize;
    x.get(rank.clamp(1, x.len()) - 1).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn median_and_quartiles_by_hand() {
        assert_eq!(median_sorted(&[]), 0.0);
        assert_eq!(median_sorted(&[3.0]), 3.0);
        assert_eq!(median_sorted(&[1.0, 4.0]), 2.5);
        // n = 11: lower half 1..5, upper half 7..11 (the middle 6 in neither).
        let x: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(quartiles_sorted(&x), (3.0, 6.0, 9.0));
        // n = 8: halves 1..4 and 5..8.
        let x: Vec<f64> = (1..=8).map(f64::from).collect();
        assert_eq!(quartiles_sorted(&x), (2.5, 4.5, 6.5));
        // n = 5 [10,20,30,40,100]: Q1 = median(10,20) = 15, Q3 = median(40,100) = 70.
        assert_eq!(
            quartiles_sorted(&[10.0, 20.0, 30.0, 40.0, 100.0]),
            (15.0, 30.0, 70.0)
        );
        assert_eq!(quartiles_sorted(&[7.0]), (7.0, 7.0, 7.0));
        assert_eq!(quartiles_sorted(&[1.0, 9.0]), (1.0, 5.0, 9.0));
        assert_eq!(quartiles_sorted(&[]), (0.0, 0.0, 0.0));
    }

    #[test]
    fn bowley_by_hand() {
        // (15 + 70 − 60)/55 = 25/55.
        assert!(close(bowley(15.0, 30.0, 70.0), 25.0 / 55.0));
        // Symmetric: 0.
        assert_eq!(bowley(100.0, 120.0, 140.0), 0.0);
        // Left-skewed: (100 + 140 − 2·135)/40 = −0.75.
        assert!(close(bowley(100.0, 135.0, 140.0), -0.75));
        // IQR < 10 → 0; median on a quartile → 0.
        assert_eq!(bowley(1.0, 2.0, 9.0), 0.0);
        assert_eq!(bowley(10.0, 10.0, 50.0), 0.0);
        assert_eq!(bowley(10.0, 50.0, 50.0), 0.0);
    }

    #[test]
    fn mad_and_regularity_by_hand() {
        let x = [10.0, 20.0, 30.0, 40.0, 100.0];
        let mut s = Vec::new();
        // |x − 30| = 20,10,0,10,70 → sorted 0,10,10,20,70 → 10.
        assert_eq!(mad_sorted(&x, 30.0, &mut s), 10.0);
        let r = regularity(&x, SampleKind::Sizes, &mut s);
        assert!(close(r.skew, 25.0 / 55.0));
        assert!(close(r.skew_score, 1.0 - 25.0 / 55.0));
        assert_eq!(r.mad, 10.0);
        assert!(close(r.spread_score, 20.0 / 30.0));
        assert!(close(r.r, ((1.0 - 25.0 / 55.0) + 20.0 / 30.0) / 2.0));
        // A perfectly regular sample: R = 1.
        let y = [120.0; 9];
        let r = regularity(&y, SampleKind::Intervals, &mut s);
        assert_eq!((r.skew, r.mad, r.r), (0.0, 0.0, 1.0));
        // MAD larger than the median clamps the spread score at 0: [1, 1, 100, 200, 300] →
        // median 100, deviations 99,99,0,100,200 → MAD 99 → (100−99)/100 = 0.01.
        let z = [1.0, 1.0, 100.0, 200.0, 300.0];
        let r = regularity(&z, SampleKind::Sizes, &mut s);
        assert!(close(r.spread_score, 0.01));
        // [0, 0, 10, 20, 20]: median 10, deviations 10,10,0,10,10 → MAD 10 → spread 0. (For
        // non-negative data MAD ≤ median, so the clamp only guards odd inputs.)
        let w = [0.0, 0.0, 10.0, 20.0, 20.0];
        let r = regularity(&w, SampleKind::Sizes, &mut s);
        assert_eq!(r.spread_score, 0.0);
        let neg = [-50.0, -40.0, 5.0, 60.0, 70.0];
        assert_eq!(
            regularity(&neg, SampleKind::Sizes, &mut s).spread_score,
            0.0
        );
        // Median < 1: intervals score spread 1, sizes 0.
        let tiny = [0.0, 0.0, 0.5];
        assert_eq!(
            regularity(&tiny, SampleKind::Intervals, &mut s).spread_score,
            1.0
        );
        assert_eq!(
            regularity(&tiny, SampleKind::Sizes, &mut s).spread_score,
            0.0
        );
        assert_eq!(
            regularity(&[], SampleKind::Sizes, &mut s),
            Regularity::default()
        );
    }

    #[test]
    fn histogram_bins_by_hand() {
        // Window [0, 240]: bins of 10; 0→0, 9→0, 10→1, 239→23, 240 (max) → 23, 300 ignored.
        let c = histogram(&[0, 9, 10, 239, 240, 300, -1], 0, 240);
        assert_eq!(c[0], 2);
        assert_eq!(c[1], 1);
        assert_eq!(c[23], 2);
        assert_eq!(c.iter().sum::<u32>(), 5);
        let z = histogram(&[5, 5], 5, 5);
        assert_eq!(z[0], 2);
        // Extreme values do not overflow.
        let e = histogram(&[i64::MIN, i64::MAX], i64::MIN, i64::MAX);
        assert_eq!(e[0] + e[23], 2);
    }

    #[test]
    fn hist_score_by_hand() {
        // Flat: CV 0 → 1; with 24 non-empty equal bars the fit is 24/23 → capped at 1.
        let h = hist_score(&[3; 24], true);
        assert_eq!(h.cv, 0.0);
        assert_eq!(h.score, 1.0);
        // 12 bins of 2, 12 of 0: mean 1, σ 1 → CV 1 → base 0; 12 non-empty equal bars: fit = 12/11.
        let mut c = [0u32; 24];
        for v in c.iter_mut().step_by(2) {
            *v = 2;
        }
        let h = hist_score(&c, true);
        assert!(close(h.cv, 1.0));
        assert!(close(h.fit.unwrap(), 12.0 / 11.0));
        assert_eq!(h.score, 1.0);
        // 6 bars of 4: mean 1, var = (6·9 + 18·1)/24 = 3 → CV √3 → 0; fewer than 11 → no fit.
        let mut c = [0u32; 24];
        for v in c.iter_mut().take(6) {
            *v = 4;
        }
        let h = hist_score(&c, true);
        assert!(close(h.cv, 3f64.sqrt()));
        assert_eq!((h.fit, h.score), (None, 0.0));
        // 12 bars: heights 1..=12 once each. max 12 → bucket size ceil(0.6) = 1 → 12 groups of 1:
        // fit = (1 + 1)/11. mean 78/24 = 3.25, Σv² = 650 → var = 650/24 − 3.25² = 16.52… → CV > 1.
        let mut c = [0u32; 24];
        for (i, v) in c.iter_mut().take(12).enumerate() {
            *v = i as u32 + 1;
        }
        let h = hist_score(&c, true);
        assert!(close(h.fit.unwrap(), 2.0 / 11.0));
        assert!(close(h.cv, (650.0f64 / 24.0 - 3.25 * 3.25).sqrt() / 3.25));
        assert!(close(h.score, 2.0 / 11.0));
        // Big bars: max 100 → size 5; heights 100, 98, 96 → buckets 20, 19, 19.
        let mut c = [0u32; 24];
        for (i, v) in c.iter_mut().take(12).enumerate() {
            *v = [100, 98, 96][i % 3];
        }
        let h = hist_score(&c, true);
        assert!(close(h.fit.unwrap(), 12.0 / 11.0));
        assert_eq!(hist_score(&[0; 24], true), HistScore::default());
        // Without the fit, 12 bars of 1 in alternate bins score 1 − CV = 0.
        let mut c = [0u32; 24];
        for v in c.iter_mut().step_by(2) {
            *v = 1;
        }
        assert_eq!(hist_score(&c, true).score, 1.0);
        let g = hist_score(&c, false);
        assert_eq!((g.fit, g.score), (None, 0.0));
    }

    #[test]
    fn duration_by_hand() {
        let mut c = [0u32; 24];
        // 5 non-empty bins → 0.
        for v in c.iter_mut().take(5) {
            *v = 1;
        }
        assert_eq!(duration_score(&c, 0, 100, 0, 100), 0.0);
        // 6 consecutive bins in a 240 s window, t1 = 0, tn = 60: coverage 0.25, run 6/12 = 0.5.
        c[5] = 1;
        assert!(close(duration_score(&c, 0, 60, 0, 240), 0.5));
        // Full coverage → 1.
        assert_eq!(duration_score(&c, 0, 240, 0, 240), 1.0);
        // Alternating bins: run 1 → coverage decides (0.8).
        let mut c = [0u32; 24];
        for v in c.iter_mut().step_by(2) {
            *v = 1;
        }
        assert!(close(duration_score(&c, 10, 90, 0, 100), 0.8));
        // Run of 13 → capped at 1.
        let mut c = [0u32; 24];
        for v in c.iter_mut().take(13) {
            *v = 1;
        }
        assert_eq!(duration_score(&c, 0, 1, 0, 100), 1.0);
    }

    #[test]
    fn missed_beats_by_hand() {
        let mut out = Vec::new();
        let added = split_missed_beats(
            &[120.0, 240.0, 118.0, 365.0, 600.0, 190.0],
            120.0,
            3,
            0.2,
            &mut out,
        );
        // 240 → 2×120; 365 → 3×121.67 (|365 − 360| ≤ 24); 600 = 5× is beyond 3×; 190 → k = 2 but
        // |190 − 240| = 50 > 24 → kept.
        assert_eq!(added, 1 + 2);
        assert_eq!(out.len(), 6 + 3);
        assert_eq!(&out[..3], &[120.0, 120.0, 120.0]);
        assert!(close(out[4], 365.0 / 3.0));
        assert_eq!(out[7], 600.0);
        assert_eq!(out[8], 190.0);
        assert_eq!(split_missed_beats(&[5.0, 10.0], 0.0, 3, 0.2, &mut out), 0);
        assert_eq!(out, vec![5.0, 10.0]);
    }

    #[test]
    fn percentile_nearest_rank() {
        let x: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&x, 0.99), 99);
        assert_eq!(percentile_sorted(&x, 1.0), 100);
        assert_eq!(percentile_sorted(&x, 0.5), 50);
        assert_eq!(percentile_sorted(&[7], 0.9), 7);
        assert_eq!(percentile_sorted(&[], 0.9), 0);
        // 10 values, p90 → rank 9.
        let y: Vec<u64> = (10..20).collect();
        assert_eq!(percentile_sorted(&y, 0.9), 18);
    }
}
