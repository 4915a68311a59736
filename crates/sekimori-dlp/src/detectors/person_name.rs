//! 氏名 (person names): a kanji name (2–6 characters, one space allowed between family and given
//! name) or a kana name right after 氏名/名前/フリガナ/カナ, or any name-shaped cell of a name
//! column. Honorifics (様, 殿, さん) are stripped; common form words after the label are not names.

use regex::Regex;

use super::{Detector, Input, Match, Validation, trim_cell};

/// Person name detector.
#[derive(Debug)]
pub struct PersonName {
    label: Regex,
}

/// Words that follow a name label in forms without being a name.
const STOP: [&str; 30] = [
    "変更",
    "記入",
    "入力",
    "欄",
    "必須",
    "確認",
    "登録",
    "及",
    "等",
    "住所",
    "生年",
    "電話",
    "年齢",
    "性別",
    "不詳",
    "未",
    "漢字",
    "表記",
    "一覧",
    "様式",
    "番号",
    "記載",
    "フリガナ",
    "カナ",
    "ふりがな",
    "氏名",
    "名前",
    "連絡",
    "記号",
    "会社",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Han,
    Katakana,
    Hiragana,
}

fn script(c: char) -> Option<Script> {
    match c {
        '々' | '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' => {
            Some(Script::Han)
        }
        'ー' | '\u{30A1}'..='\u{30FA}' => Some(Script::Katakana),
        '\u{3041}'..='\u{3096}' => Some(Script::Hiragana),
        _ => None,
    }
}

/// Reads a name at the start of `s`: returns (byte length, canonical value without spaces).
fn read_name(s: &str) -> Option<(usize, String)> {
    let first = s.chars().next()?;
    let sc = script(first)?;
    let (min, max) = match sc {
        Script::Han => (2, 6),
        _ => (2, 16),
    };
    let mut len = 0;
    let mut chars = 0;
    let mut spaces = 0;
    let mut value = String::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == ' ' {
            // One space inside the name, only if the same script continues.
            let next_same = it.peek().and_then(|&(_, n)| script(n)) == Some(sc);
            if spaces == 0 && chars > 0 && next_same {
                spaces += 1;
                continue;
            }
            break;
        }
        if script(c) != Some(sc) {
            break;
        }
        chars += 1;
        value.push(c);
        len = i + c.len_utf8();
        if chars > max + 2 {
            return None;
        }
    }
    for h in ["様", "殿", "さん", "くん", "君"] {
        if let Some(v) = value.strip_suffix(h) {
            value.truncate(v.len());
            len -= h.len();
            while s.get(..len).is_some_and(|p| p.ends_with(' ')) {
                len -= 1;
            }
            chars = value.chars().count();
            break;
        }
    }
    if chars < min || chars > max {
        return None;
    }
    if sc == Script::Hiragana
        && value.starts_with(['を', 'は', 'が', 'の', 'に', 'も', 'と', 'で', 'へ', 'や'])
    {
        return None;
    }
    if STOP.iter().any(|w| value.starts_with(w))
        || [
            "番号",
            "年月日",
            "住所",
            "電話",
            "メール",
            "フリガナ",
            "ふりがな",
        ]
        .iter()
        .any(|w| value.contains(w))
    {
        return None;
    }
    Some((len, value))
}

impl PersonName {
    /// Compiles the detector.
    pub fn new() -> Result<Self, regex::Error> {
        let label = Regex::new(
            r"(?:氏名|お名前|名前|フリガナ|ふりがな|カナ|氏 名)[\x20]*(?:[(（][^)）\n]{0,8}[)）])?[\x20:,、\t=]*",
        )?;
        Ok(PersonName { label })
    }
}

impl Detector for PersonName {
    fn name(&self) -> &str {
        "person_name"
    }
    fn validation(&self) -> Validation {
        Validation::FormatOnly
    }
    fn requires_context(&self) -> bool {
        true
    }
    fn keywords(&self) -> Vec<&str> {
        vec!["氏名", "名前", "フリガナ", "ふりがな", "カナ"]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec![
            "氏名",
            "名前",
            "フリガナ",
            "ふりがな",
            "カナ",
            "姓名",
            "name",
        ]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let (base, text) = input.window(64, 128);
        for m in self.label.find_iter(text) {
            let start = base + m.end();
            if start < input.from || start >= input.to {
                continue;
            }
            let Some(rest) = input.text.get(start..) else {
                continue;
            };
            if let Some((len, value)) = read_name(rest) {
                out.push(Match {
                    start,
                    end: start + len,
                    value,
                });
            }
        }
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        if let Some((len, v)) = read_name(c) {
            return (len == c.len()).then_some(v);
        }
        // Latin names in a name column: letters, spaces, dots, apostrophes, hyphens; two words.
        let ok = (3..=60).contains(&c.len())
            && c.contains(' ')
            && c.bytes()
                .all(|b| b.is_ascii_alphabetic() || b" .'-".contains(&b))
            && c.bytes().any(|b| b.is_ascii_alphabetic());
        ok.then(|| c.to_ascii_lowercase())
    }
    fn mask(&self, value: &str) -> String {
        let mut it = value.chars();
        let first = it.next().map(String::from).unwrap_or_default();
        format!("{first}{}", "*".repeat(it.count().clamp(1, 4)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    #[test]
    fn after_labels() {
        let d = PersonName::new().unwrap();
        assert_eq!(find_all(&d, "氏名：山田太郎"), vec!["山田太郎"]);
        assert_eq!(find_all(&d, "氏名 山田 太郎 様"), vec!["山田太郎"]);
        assert_eq!(
            find_all(&d, "お名前（漢字）: 佐藤花子さん"),
            vec!["佐藤花子"]
        );
        assert_eq!(
            find_all(&d, "フリガナ：ヤマダ タロウ"),
            vec!["ヤマダタロウ"]
        );
        assert_eq!(find_all(&d, "ﾌﾘｶﾞﾅ ﾔﾏﾀﾞ ﾀﾛｳ"), vec!["ヤマダタロウ"]);
        assert_eq!(find_all(&d, "名前,鈴木一郎\n"), vec!["鈴木一郎"]);
    }

    #[test]
    fn not_names() {
        let d = PersonName::new().unwrap();
        assert!(find_all(&d, "山田太郎").is_empty(), "no label");
        assert!(find_all(&d, "氏名変更届").is_empty());
        assert!(find_all(&d, "名前を入力してください").is_empty());
        assert!(find_all(&d, "氏名,住所,電話番号").is_empty());
        assert!(find_all(&d, "氏名：山").is_empty(), "one kanji");
        assert!(
            find_all(&d, "氏名：東京都千代田区丸の内").is_empty(),
            "too long"
        );
    }

    #[test]
    fn cell_and_mask() {
        let d = PersonName::new().unwrap();
        assert_eq!(d.validate_cell("山田 太郎").as_deref(), Some("山田太郎"));
        assert_eq!(
            d.validate_cell("Taro Yamada").as_deref(),
            Some("taro yamada")
        );
        assert_eq!(d.validate_cell("1234"), None);
        assert_eq!(d.validate_cell("山田太郎 (営業部)"), None);
        assert_eq!(d.mask("山田太郎"), "山***");
        assert_eq!(d.mask("taro yamada"), "t****");
    }
}
