//! 住所 (addresses): one of the 47 prefectures followed by a municipality (…市/区/町/村/郡), and the
//! rest of the address up to a space or punctuation. In a 住所 column a municipality-first value
//! (`千代田区丸の内1-1`) is accepted too.

use regex::Regex;

use super::{Detector, Input, Match, Validation, trim_cell};

/// The 47 prefectures.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

const NAME_CHARS: &str = r"\p{Han}\p{Katakana}\p{Hiragana}々ヶ";
const REST_CHARS: &str = r"\p{Han}\p{Katakana}\p{Hiragana}々ヶー0-9A-Za-z\-";

/// Address detector.
#[derive(Debug)]
pub struct Address {
    re: Regex,
    cell: Regex,
}

impl Address {
    /// Compiles the detector.
    pub fn new() -> Result<Self, regex::Error> {
        let prefs = PREFECTURES.join("|");
        let re = Regex::new(&format!(
            "(?:{prefs})[{NAME_CHARS}]{{1,10}}?(?:市|区|町|村|郡)[{REST_CHARS}]{{0,40}}"
        ))?;
        let cell = Regex::new(&format!(
            "^(?:(?:{prefs})?[{NAME_CHARS}]{{1,10}}?(?:市|区|町|村|郡))[{REST_CHARS} ]{{0,60}}$"
        ))?;
        Ok(Address { re, cell })
    }
}

impl Detector for Address {
    fn name(&self) -> &str {
        "address"
    }
    fn validation(&self) -> Validation {
        Validation::FormatOnly
    }
    fn requires_context(&self) -> bool {
        false
    }
    fn keywords(&self) -> Vec<&str> {
        vec!["住所", "所在地", "現住所", "address"]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec!["住所", "所在地", "address"]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let (base, text) = input.window(0, 256);
        for m in self.re.find_iter(text) {
            let start = base + m.start();
            if start < input.from || start >= input.to {
                continue;
            }
            let v = m.as_str().trim_end_matches('-');
            out.push(Match {
                start,
                end: start + v.len(),
                value: v.to_owned(),
            });
        }
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        self.cell.is_match(c).then(|| c.to_owned())
    }
    fn mask(&self, value: &str) -> String {
        match PREFECTURES.iter().find(|p| value.starts_with(*p)) {
            Some(p) => format!("{p}***"),
            None => format!(
                "{}***",
                value.chars().next().map(String::from).unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    #[test]
    fn prefectures_and_municipalities() {
        let d = Address::new().unwrap();
        assert_eq!(PREFECTURES.len(), 47);
        assert_eq!(
            find_all(&d, "住所：東京都千代田区丸の内1-1-1 ビル"),
            vec!["東京都千代田区丸の内1-1-1"]
        );
        assert_eq!(
            find_all(&d, "北海道札幌市中央区北1条西2丁目"),
            vec!["北海道札幌市中央区北1条西2丁目"]
        );
        assert_eq!(
            find_all(&d, "京都府京都市左京区"),
            vec!["京都府京都市左京区"]
        );
        assert_eq!(
            find_all(&d, "鹿児島県奄美市名瀬"),
            vec!["鹿児島県奄美市名瀬"]
        );
        assert_eq!(
            find_all(&d, "愛知県海部郡蟹江町"),
            vec!["愛知県海部郡蟹江町"]
        );
        for p in PREFECTURES {
            assert_eq!(find_all(&d, &format!("{p}中央市1-2")).len(), 1, "{p}");
        }
        assert!(find_all(&d, "東京都").is_empty());
        assert!(find_all(&d, "東京に住んでいます").is_empty());
        assert!(
            find_all(&d, "千代田区丸の内").is_empty(),
            "no prefecture in free text"
        );
    }

    #[test]
    fn cell_and_mask() {
        let d = Address::new().unwrap();
        assert!(d.validate_cell("千代田区丸の内1-1").is_some());
        assert!(d.validate_cell("大阪府大阪市北区梅田1-1").is_some());
        assert!(d.validate_cell("こんにちは").is_none());
        assert_eq!(d.mask("東京都千代田区丸の内1-1-1"), "東京都***");
        assert_eq!(d.mask("千代田区"), "千***");
    }
}
