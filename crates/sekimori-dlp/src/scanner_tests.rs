//! Tests of the streaming scanner: grading, tables, charsets, chunking and masking.

use super::*;
use crate::CustomDetector;
use encoding_rs::{EUC_JP, ISO_2022_JP, SHIFT_JIS};

fn dlp() -> Dlp {
    Dlp::new(DlpConfig::default()).unwrap()
}

fn dlp_batch(batch: usize) -> Dlp {
    Dlp::new(DlpConfig {
        batch_bytes: batch,
        ..Default::default()
    })
    .unwrap()
}

fn scan(text: &str) -> Findings {
    dlp().scan_bytes(text.as_bytes())
}

/// A comparable digest of findings (stats excluded).
fn digest(f: &Findings) -> String {
    let mut f = f.clone();
    f.stats = ScanStats::default();
    format!("{f:?}")
}

#[test]
fn pension_needs_keyword() {
    let f = scan("型番 4321-765432 の部品を発注しました。\n");
    assert_eq!(f.count("pension_number"), 0);
    assert_eq!(f.records, Some(0));
    let f = scan("基礎年金番号 4321-765432\n");
    assert_eq!(f.count("pension_number"), 1);
    assert_eq!(f.confidence_of("pension_number"), Some(Confidence::Medium));
    assert_eq!(f.records, Some(1));
    assert_eq!(f.samples, vec!["4321-76****"]);
    let f = scan("基礎年金番号：１２３４－５６７８９０");
    assert_eq!(f.count("pension_number"), 1);
    // Bare ten digits are not enough.
    assert_eq!(scan("1234567890").count("pension_number"), 0);
}

#[test]
fn keyword_window_is_300_chars() {
    let near = format!("年金番号{}1234-567890", "あ".repeat(299));
    assert_eq!(scan(&near).count("pension_number"), 1);
    let far = format!("年金番号{}1234-567890", "あ".repeat(301));
    assert_eq!(scan(&far).count("pension_number"), 0);
    let after = format!("1234-567890{}基礎年金番号", "あ".repeat(290));
    assert_eq!(scan(&after).count("pension_number"), 1);
    // Across lines too.
    assert_eq!(
        scan("基礎年金番号\n1234-567890\n").count("pension_number"),
        1
    );
}

#[test]
fn my_number_check_digit_and_grade() {
    let f = scan("番号 123456789012 です");
    assert_eq!(f.count("my_number"), 0);
    let f = scan("123456789018");
    assert_eq!(f.count("my_number"), 1);
    assert_eq!(f.confidence_of("my_number"), Some(Confidence::Low));
    let f = scan("マイナンバー：1234 5678 9018");
    assert_eq!(f.confidence_of("my_number"), Some(Confidence::High));
    assert_eq!(f.samples, vec!["1234 **** ****"]);
}

#[test]
fn phone_is_not_card_and_card_is_card() {
    let f = scan("TEL 090-1234-5678");
    assert_eq!(f.count("credit_card"), 0);
    assert_eq!(f.count("phone"), 1);
    assert_eq!(f.confidence_of("phone"), Some(Confidence::Medium));
    let f = scan("4111 1111 1111 1111");
    assert_eq!(f.count("credit_card"), 1);
    assert_eq!(f.count("phone"), 0);
    assert_eq!(f.confidence_of("credit_card"), Some(Confidence::Low));
    let f = scan("カード番号 4111-1111-1111-1111 有効期限 12/29");
    assert_eq!(f.confidence_of("credit_card"), Some(Confidence::High));
}

#[test]
fn era_dates() {
    assert_eq!(scan("生年月日：平成元年1月8日").count("birth_date"), 1);
    assert_eq!(scan("生年月日：平成元年1月7日").count("birth_date"), 0);
    assert_eq!(scan("生年月日：令和元年5月1日").count("birth_date"), 1);
    assert_eq!(scan("生年月日 S45.3.2").count("birth_date"), 1);
    assert_eq!(
        scan("平成元年1月8日に開業").count("birth_date"),
        0,
        "no keyword"
    );
    let f = scan("誕生日 1985-04-01");
    assert_eq!(f.confidence_of("birth_date"), Some(Confidence::High));
}

#[test]
fn other_detectors_in_text() {
    let f = scan(
        "氏名：山田太郎\n住所：〒100-0001 東京都千代田区千代田1-1\nメール: taro@example.co.jp\n法人番号 9234567890123\n",
    );
    assert_eq!(f.count("person_name"), 1);
    assert_eq!(f.count("postal_code"), 1);
    assert_eq!(f.count("address"), 1);
    assert_eq!(f.confidence_of("address"), Some(Confidence::Medium));
    assert_eq!(f.count("email_address"), 1);
    assert_eq!(f.count("corporate_number"), 1);
    assert_eq!(f.confidence_of("corporate_number"), Some(Confidence::High));
    assert_eq!(f.records, Some(4));
}

#[test]
fn distinct_values_are_counted_once() {
    let f = scan("基礎年金番号 1234-567890\n基礎年金番号 1234567890\n基礎年金番号 1234-567891\n");
    assert_eq!(f.count("pension_number"), 2);
    assert_eq!(f.records, Some(3));
}

#[test]
fn csv_with_pension_header() {
    let mut csv = String::from("No,氏名,基礎年金番号,生年月日,住所,備考\n");
    for i in 0..50u32 {
        csv.push_str(&format!(
            "{},山田{},{:04}-{:06},1980/01/{:02},東京都港区芝公園{}-1,\n",
            i + 1,
            ["太郎", "花子", "次郎", "三郎", "一郎"][(i % 5) as usize],
            1000 + i,
            100000 + i,
            (i % 28) + 1,
            i
        ));
    }
    csv.push_str("\n合計 50 件\n");
    csv.push_str("5555-000000\n");
    let f = scan(&csv);
    assert_eq!(f.count("pension_number"), 50);
    assert_eq!(f.findings["pension_number"].high, 50);
    assert_eq!(f.count("person_name"), 5);
    assert_eq!(f.count("birth_date"), 28);
    assert_eq!(f.findings["birth_date"].high, 28);
    assert_eq!(f.count("address"), 50);
    assert_eq!(f.confidence, Some(Confidence::High));
    assert_eq!(
        f.records,
        Some(50),
        "header, totals and free lines are not records"
    );
}

#[test]
fn tsv_and_single_column() {
    let f = scan("氏名\t電話番号\n佐藤 花子\t03-1234-5678\n鈴木一郎\t090-0000-1111\n");
    assert_eq!(f.findings["person_name"].high, 2);
    assert_eq!(f.findings["phone"].high, 2);
    assert_eq!(f.records, Some(2));
    let f = scan("基礎年金番号\n1234567890\n2345678901\n3456789012\n");
    assert_eq!(f.findings["pension_number"].high, 3);
    assert_eq!(f.records, Some(3));
}

#[test]
fn quoted_csv_cells() {
    let f = scan(
        "\"氏名\",\"マイナンバー\"\n\"山田 太郎\",\"1234-5678-9018\"\n\"x,y\",\"123456789018\"\n",
    );
    assert_eq!(f.findings["my_number"].high, 1);
    assert_eq!(f.findings["person_name"].high, 1);
    assert_eq!(f.records, Some(2));
}

const SAMPLE: &str = "お客様情報\n氏名：山田太郎\n基礎年金番号：１２３４－５６７８９０\nマイナンバー 1234 5678 9018\n\
電話 ０９０ー１２３４ー５６７８ 〒100-0001 東京都千代田区千代田1-1\n生年月日 平成元年1月8日\n\
カード番号 4111-1111-1111-1111 メール taro@example.co.jp\nﾌﾘｶﾞﾅ ﾔﾏﾀﾞ ﾀﾛｳ\n";

fn check_sample(f: &Findings) {
    for k in [
        "person_name",
        "pension_number",
        "my_number",
        "phone",
        "postal_code",
        "address",
        "birth_date",
        "credit_card",
        "email_address",
    ] {
        assert!(f.count(k) >= 1, "{k} missing in {f:?}");
    }
    assert_eq!(f.count("person_name"), 2);
    assert_eq!(f.records, Some(7));
}

#[test]
fn charsets_are_detected() {
    check_sample(&scan(SAMPLE));
    for enc in [SHIFT_JIS, EUC_JP, ISO_2022_JP] {
        let bytes = enc.encode(SAMPLE).0.into_owned();
        let f = dlp().scan_bytes(&bytes);
        assert_eq!(f.charset, Some(enc.name()));
        check_sample(&f);
        assert_eq!(
            digest(&{
                let mut g = f.clone();
                g.charset = None;
                g
            }),
            digest(&{
                let mut g = scan(SAMPLE);
                g.charset = None;
                g
            }),
            "{}",
            enc.name()
        );
    }
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(SAMPLE.as_bytes());
    check_sample(&dlp().scan_bytes(&bom));
}

#[test]
fn declared_charset() {
    let d = dlp();
    let mut s = d.scanner();
    s.set_charset("Shift_JIS").unwrap();
    s.feed(&SHIFT_JIS.encode(SAMPLE).0);
    check_sample(&s.finish());
    assert!(matches!(
        s.set_charset("klingon"),
        Err(DlpError::UnknownCharset(_))
    ));
}

fn split_all(d: &Dlp, bytes: &[u8]) {
    let whole = d.scan_bytes(bytes);
    let expect = digest(&whole);
    let mut s = d.scanner();
    for i in 0..=bytes.len() {
        s.feed(&bytes[..i]);
        s.feed(&bytes[i..]);
        let f = s.finish();
        assert_eq!(digest(&f), expect, "split at {i}");
    }
}

#[test]
fn split_at_every_byte_utf8_and_sjis() {
    let d = dlp();
    split_all(&d, SAMPLE.as_bytes());
    split_all(&d, &SHIFT_JIS.encode(SAMPLE).0);
    split_all(&d, &EUC_JP.encode(SAMPLE).0);
    split_all(&d, &ISO_2022_JP.encode(SAMPLE).0);
    check_sample(&d.scan_bytes(SAMPLE.as_bytes()));
}

#[test]
fn split_with_small_batches_is_identical() {
    // Batches run as soon as possible: the batch boundaries fall everywhere.
    let text = format!("{}{}", "前置きの文章です。".repeat(60), SAMPLE.repeat(3));
    let reference = digest(&dlp().scan_bytes(text.as_bytes()));
    for batch in [1usize, 50, 333] {
        let d = dlp_batch(batch);
        let sj = SHIFT_JIS.encode(&text).0.into_owned();
        for bytes in [text.as_bytes(), &sj] {
            let mut s = d.scanner();
            for step in [1usize, 7, 64, 1000] {
                for c in bytes.chunks(step) {
                    s.feed(c);
                }
                let mut f = s.finish();
                f.charset = None;
                let mut r = dlp().scan_bytes(text.as_bytes());
                r.charset = None;
                assert_eq!(digest(&f), digest(&r), "batch {batch} step {step}");
            }
        }
    }
    assert!(reference.contains("pension_number"));
}

#[test]
fn large_multibatch_input_counts_exactly() {
    // 2,000 lines, each with a distinct pension number after its keyword: many batches.
    let mut text = String::new();
    for i in 0..2000u32 {
        text.push_str(&format!(
            "{i}件目 基礎年金番号：{:04}-{:06} 備考なし\n",
            1000 + i % 9000,
            i
        ));
    }
    let f = dlp_batch(4096).scan_bytes(text.as_bytes());
    assert_eq!(f.count("pension_number"), 2000);
    assert_eq!(f.records, Some(2000));
    assert_eq!(f.stats.lines, 2000);
}

#[test]
fn long_lines_without_newlines() {
    let mut text = String::new();
    for i in 0..20_000u32 {
        text.push_str(&format!(
            "{{\"tel\":\"03-{:04}-{:04}\"}},",
            i / 100 + 1000,
            i % 10000
        ));
    }
    let d = dlp_batch(8192);
    let f = d.scan_bytes(text.as_bytes());
    assert_eq!(f.count("phone"), 20_000);
    assert_eq!(f.records, Some(1), "one line");
}

#[test]
fn scan_cap_truncates() {
    let cfg = DlpConfig {
        limits: ScanLimits {
            max_scan_bytes: 100,
            ..Default::default()
        },
        ..Default::default()
    };
    let d = Dlp::new(cfg).unwrap();
    let mut text = "x".repeat(90);
    text.push_str(" 基礎年金番号 1234-567890");
    let f = d.scan_bytes(text.as_bytes());
    assert!(f.truncated);
    assert_eq!(f.count("pension_number"), 0);
    assert_eq!(f.stats.bytes_scanned, 100);
    assert_eq!(f.stats.bytes_skipped, text.len() as u64 - 100);
}

#[test]
fn min_confidence_filters() {
    let cfg = DlpConfig {
        min_confidence: Confidence::Medium,
        ..Default::default()
    };
    let d = Dlp::new(cfg).unwrap();
    let f = d.scan_bytes(b"4111111111111111 and 123456789018\n");
    assert!(f.findings.is_empty());
    assert_eq!(f.records, Some(0));
    assert_eq!(f.stats.rejected_low_confidence, 2);
}

#[test]
fn custom_detector_and_disable() {
    let cfg = DlpConfig {
        custom: vec![CustomDetector {
            name: "employee_id".into(),
            pattern: "EMP-[0-9]{6}".into(),
            keywords: vec!["社員番号".into()],
            column_headers: vec!["社員番号".into()],
            require_keyword: true,
            ..Default::default()
        }],
        disabled: vec!["phone".into()],
        ..Default::default()
    };
    let d = Dlp::new(cfg).unwrap();
    assert!(!d.detector_names().contains(&"phone"));
    let f = d.scan_bytes(
        format!(
            "社員番号 EMP-123456 TEL 03-1234-5678\n{}\nEMP-999999\n",
            "あ".repeat(400)
        )
        .as_bytes(),
    );
    assert_eq!(f.count("employee_id"), 1);
    assert_eq!(f.confidence_of("employee_id"), Some(Confidence::Medium));
    assert_eq!(f.count("phone"), 0);
    let f = d.scan_bytes("社員番号,氏名\nEMP-000001,山田太郎\n".as_bytes());
    assert_eq!(f.findings["employee_id"].high, 1);
    let bad = DlpConfig {
        disabled: vec!["nope".into()],
        ..Default::default()
    };
    assert!(matches!(Dlp::new(bad), Err(DlpError::UnknownDetector(_))));
}

#[test]
fn serialized_output_never_holds_a_full_value() {
    // 100 identifiers of several kinds, each checked in raw and digits-only form.
    let mut text = String::from("氏名,基礎年金番号,マイナンバー,電話番号,カード番号,メール\n");
    let mut values: Vec<String> = Vec::new();
    let mut n = 0;
    let mut i = 0u64;
    while n < 100 {
        i += 1;
        let pension = format!("{:04}-{:06}", 2000 + i, 300000 + i * 7);
        // A valid My Number: find the check digit for an 11-digit body.
        let body = format!("{:011}", 40000000000u64 + i * 9973);
        let mynum = (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|c| detectors::checks::my_number(c.as_bytes()))
            .unwrap();
        let phone = format!("090-{:04}-{:04}", 1000 + i, 5000 + i);
        let card_body = format!("41111111{:07}", 1000000 + i);
        let card = (0..10)
            .map(|d| format!("{card_body}{d}"))
            .find(|c| detectors::checks::luhn(c.as_bytes()))
            .unwrap();
        let mail = format!("user{i}@corp{i}.example.jp");
        text.push_str(&format!(
            "山田{},{pension},{mynum},{phone},{card},{mail}\n",
            ["太郎", "花子"][(i % 2) as usize]
        ));
        values.extend([pension, mynum, phone, card, mail]);
        n += 5;
    }
    let d = Dlp::new(DlpConfig {
        max_samples: 1000,
        ..Default::default()
    })
    .unwrap();
    let f = d.scan_bytes(text.as_bytes());
    assert_eq!(f.total(), 100 + 2, "{:?}", f.findings);
    let json = serde_json::to_string(&f).unwrap();
    assert!(f.samples.len() >= 6, "{:?}", f.samples);
    for v in &values {
        assert!(!json.contains(v.as_str()), "{v} leaked");
        let digits: String = v.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 8 {
            assert!(!json.contains(&digits), "{digits} leaked");
        }
    }
    assert!(!json.contains("山田太郎") && !json.contains("山田花子"));
}

#[test]
fn findings_serialize_in_dlp_shape() {
    let mut f = scan("基礎年金番号,氏名\n1234-567890,山田太郎\n");
    f.direction = Some("to_server".into());
    f.policy = Some("pii-outbound".into());
    let v: serde_json::Value = serde_json::to_value(&f).unwrap();
    assert_eq!(v["direction"], "to_server");
    assert_eq!(v["encrypted"], false);
    assert_eq!(v["records"], 1);
    assert_eq!(v["findings"]["pension_number"]["count"], 1);
    assert_eq!(v["findings"]["person_name"]["confidence"], "high");
    assert_eq!(v["confidence"], "high");
    assert_eq!(v["policy"], "pii-outbound");
    assert!(v.get("truncated").is_none());
    assert!(v.get("file").is_none());
}

#[test]
fn hostile_inputs_do_not_panic() {
    let d = dlp_batch(16);
    let mut s = d.scanner();
    let junk: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for c in junk.chunks(37) {
        s.feed(c);
    }
    let _ = s.finish();
    s.feed(&[]);
    let f = s.finish();
    assert_eq!(f.records, Some(0));
    let _ = d.scan_bytes(&[0xE3, 0x81]);
    let _ = d.scan_bytes("\u{1b}$B".as_bytes());
    let _ = d.scan_bytes(&"9".repeat(100_000).into_bytes());
    let _ = d.scan_bytes(&"-1".repeat(50_000).into_bytes());
    let _ = d.scan_bytes(&"氏名,".repeat(50_000).into_bytes());
}
