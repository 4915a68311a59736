//! Check digits and calendar checks shared by detectors and custom validators.

/// Luhn (mod 10) over ASCII digits; false on any non-digit or fewer than 2 digits.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in digits.iter().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// My Number (個人番号) check digit over 12 ASCII digits.
///
/// P1..P11 are the first 11 digits numbered from the right; Qn = n+1 (n ≤ 6), n−5 (n ≥ 7);
/// r = Σ Pn·Qn mod 11; check = 0 if r ≤ 1 else 11 − r.
pub fn my_number(digits: &[u8]) -> bool {
    if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (body, check) = digits.split_at(11);
    let mut sum = 0u32;
    for (k, &c) in body.iter().rev().enumerate() {
        let n = k as u32 + 1;
        let q = if n <= 6 { n + 1 } else { n - 5 };
        sum += u32::from(c - b'0') * q;
    }
    let r = sum % 11;
    let expect = if r <= 1 { 0 } else { 11 - r };
    check
        .first()
        .is_some_and(|&c| u32::from(c - b'0') == expect)
}

/// Corporate number (法人番号) check digit: the first of 13 ASCII digits.
///
/// Over the other 12 digits numbered from the right (P1 = last), Qn = 1 for odd n and 2 for even n;
/// check = 9 − (Σ Pn·Qn mod 9).
pub fn corporate_number(digits: &[u8]) -> bool {
    if digits.len() != 13 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (check, body) = digits.split_at(1);
    let mut sum = 0u32;
    for (k, &c) in body.iter().rev().enumerate() {
        let n = k + 1;
        let q = if n % 2 == 1 { 1 } else { 2 };
        sum += u32::from(c - b'0') * q;
    }
    let expect = 9 - (sum % 9);
    check
        .first()
        .is_some_and(|&c| u32::from(c - b'0') == expect)
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// Whether the Gregorian date exists (year 1..=9999).
pub fn date_exists(y: u32, m: u32, d: u32) -> bool {
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let days = match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

/// Japanese eras.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// 明治 (M), 1868-01-25 .. 1912-07-29.
    Meiji,
    /// 大正 (T), 1912-07-30 .. 1926-12-24.
    Taisho,
    /// 昭和 (S), 1926-12-25 .. 1989-01-07.
    Showa,
    /// 平成 (H), 1989-01-08 .. 2019-04-30.
    Heisei,
    /// 令和 (R), 2019-05-01 ..
    Reiwa,
}

impl Era {
    /// Era from its kanji name or its one-letter abbreviation.
    pub fn parse(s: &str) -> Option<Era> {
        Some(match s {
            "明治" | "M" | "m" => Era::Meiji,
            "大正" | "T" | "t" => Era::Taisho,
            "昭和" | "S" | "s" => Era::Showa,
            "平成" | "H" | "h" => Era::Heisei,
            "令和" | "R" | "r" => Era::Reiwa,
            _ => return None,
        })
    }

    /// Gregorian year of era year 1 minus one (元年 = year 1).
    pub fn offset(self) -> u32 {
        match self {
            Era::Meiji => 1867,
            Era::Taisho => 1911,
            Era::Showa => 1925,
            Era::Heisei => 1988,
            Era::Reiwa => 2018,
        }
    }

    /// First and last day (inclusive) as `(y, m, d)`; the last of 令和 is open.
    fn span(self) -> ((u32, u32, u32), (u32, u32, u32)) {
        match self {
            Era::Meiji => ((1868, 1, 25), (1912, 7, 29)),
            Era::Taisho => ((1912, 7, 30), (1926, 12, 24)),
            Era::Showa => ((1926, 12, 25), (1989, 1, 7)),
            Era::Heisei => ((1989, 1, 8), (2019, 4, 30)),
            Era::Reiwa => ((2019, 5, 1), (9999, 12, 31)),
        }
    }

    /// Gregorian date of era year `ey` (1 = 元年), month `m`, day `d`, when it exists and lies
    /// within the era.
    pub fn to_gregorian(self, ey: u32, m: u32, d: u32) -> Option<(u32, u32, u32)> {
        if ey == 0 || ey > 99 {
            return None;
        }
        let y = self.offset() + ey;
        if !date_exists(y, m, d) {
            return None;
        }
        let (lo, hi) = self.span();
        ((lo..=hi).contains(&(y, m, d))).then_some((y, m, d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"5555555555554444"));
        assert!(luhn(b"378282246310005"));
        assert!(!luhn(b"4111111111111112"));
        assert!(!luhn(b"1"));
        assert!(!luhn(b"41a1"));
    }

    #[test]
    fn my_number_check_digit() {
        assert!(my_number(b"123456789018"));
        assert!(!my_number(b"123456789012"));
        assert!(!my_number(b"12345678901"));
        // Exactly one check digit of ten is valid for a given body.
        let valid = (0..10u8)
            .filter(|d| {
                let mut v = b"12345678901".to_vec();
                v.push(b'0' + d);
                my_number(&v)
            })
            .count();
        assert_eq!(valid, 1);
    }

    #[test]
    fn corporate_number_check_digit() {
        // Body 234567890123: sum over P from right with Q 1,2,1,2,...
        let body = b"234567890123";
        let mut found = None;
        for c in 1..=9u8 {
            let mut v = vec![b'0' + c];
            v.extend_from_slice(body);
            if corporate_number(&v) {
                found = Some(c);
            }
        }
        // Σ: digits from right 3,2,1,0,9,8,7,6,5,4,3,2 weights 1,2,1,2,... = 3+4+1+0+9+16+7+12+5+8+3+4 = 72; 72 mod 9 = 0; check 9.
        assert_eq!(found, Some(9));
        assert!(!corporate_number(b"123"));
    }

    #[test]
    fn dates_and_eras() {
        assert!(date_exists(2024, 2, 29));
        assert!(!date_exists(2023, 2, 29));
        assert!(!date_exists(1900, 2, 29));
        assert!(date_exists(2000, 2, 29));
        assert!(!date_exists(2024, 4, 31));
        assert_eq!(Era::Heisei.to_gregorian(1, 1, 8), Some((1989, 1, 8)));
        assert_eq!(Era::Heisei.to_gregorian(1, 1, 7), None);
        assert_eq!(Era::Showa.to_gregorian(64, 1, 7), Some((1989, 1, 7)));
        assert_eq!(Era::Showa.to_gregorian(64, 1, 8), None);
        assert_eq!(Era::Reiwa.to_gregorian(1, 5, 1), Some((2019, 5, 1)));
        assert_eq!(Era::Reiwa.to_gregorian(1, 4, 30), None);
        assert_eq!(Era::Heisei.to_gregorian(31, 4, 30), Some((2019, 4, 30)));
        assert_eq!(Era::Heisei.to_gregorian(31, 5, 1), None);
        assert_eq!(Era::Showa.to_gregorian(45, 3, 2), Some((1970, 3, 2)));
        assert_eq!(Era::Taisho.to_gregorian(1, 7, 30), Some((1912, 7, 30)));
        assert_eq!(Era::Meiji.to_gregorian(45, 7, 30), None);
        assert_eq!(Era::Showa.to_gregorian(0, 1, 1), None);
    }
}
