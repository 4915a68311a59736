//! Traffic-time helpers: EVE timestamp text, hour-of-week and day numbers.

use sekimori_capture::Timestamp;

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (the well-known era-based civil-from-days conversion).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A timestamp as Suricata's EVE writes it: `2016-07-13T22:42:07.573103+0000` (UTC).
pub fn eve_time(ts: Timestamp) -> String {
    let secs = ts.secs();
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}+0000",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        ts.subsec_micros()
    )
}

/// Serde helper: a [`Timestamp`] as EVE text.
pub fn ser_ts<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&eve_time(*ts))
}

/// Hour of the week 0..168 with Monday 00:00 local time = 0 (`offset` = local − UTC in seconds).
pub fn hour_of_week(secs: i64, offset: i64) -> usize {
    let local = secs.saturating_add(offset);
    let day = local.div_euclid(86_400);
    // 1970-01-01 was a Thursday: weekday (Mon = 0) = (day + 3) mod 7.
    let wd = (day + 3).rem_euclid(7);
    let hour = local.rem_euclid(86_400) / 3600;
    usize::try_from(wd * 24 + hour).unwrap_or(0).min(167)
}

/// Local day number (days since 1970-01-01 in local time).
pub fn day_of(secs: i64, offset: i64) -> i64 {
    secs.saturating_add(offset).div_euclid(86_400)
}

/// Seconds → a [`Timestamp`], saturating.
pub fn ts_of(secs: i64) -> Timestamp {
    Timestamp(secs.saturating_mul(1_000_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eve_text() {
        assert_eq!(
            eve_time(Timestamp::from_micros(1_468_449_727, 573_103)),
            "2016-07-13T22:42:07.573103+0000"
        );
        assert_eq!(eve_time(Timestamp(0)), "1970-01-01T00:00:00.000000+0000");
        assert_eq!(
            eve_time(Timestamp::from_micros(951_782_400, 1)),
            "2000-02-29T00:00:00.000001+0000"
        );
        assert_eq!(eve_time(Timestamp(-1)), "1969-12-31T23:59:59.999999+0000");
        // Extremes do not panic.
        let _ = eve_time(Timestamp(i64::MIN));
        let _ = eve_time(Timestamp(i64::MAX));
    }

    #[test]
    fn hours_of_week() {
        // 1970-01-05 was a Monday.
        assert_eq!(hour_of_week(4 * 86_400, 0), 0);
        assert_eq!(hour_of_week(4 * 86_400 + 3 * 3600 + 59, 0), 3);
        // Thursday 1970-01-01 00:00 → 3·24.
        assert_eq!(hour_of_week(0, 0), 72);
        // Sunday 23:00.
        assert_eq!(hour_of_week(4 * 86_400 - 3600, 0), 167);
        // +9 h offset (JST): UTC Sunday 15:00 is Monday 00:00 local.
        assert_eq!(hour_of_week(4 * 86_400 - 9 * 3600, 9 * 3600), 0);
        assert!(hour_of_week(i64::MIN, 0) < 168 && hour_of_week(i64::MAX, 3600) < 168);
        assert_eq!(day_of(86_399, 0), 0);
        assert_eq!(day_of(86_399, 1), 1);
        assert_eq!(day_of(-1, 0), -1);
    }
}
