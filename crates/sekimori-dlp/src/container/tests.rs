//! Container tests: ZIP (nested, encrypted, pseudo-encrypted, bombs), OOXML, gzip, tar, PDF, CFB.

use super::zip::build::{Member, zip};
use crate::{Confidence, Dlp, DlpConfig, ScanLimits};

fn dlp() -> Dlp {
    Dlp::new(DlpConfig::default()).unwrap()
}

const CSV: &str = "氏名,基礎年金番号,住所\n山田太郎,1234-567890,東京都港区芝公園1-1\n鈴木花子,2345-678901,大阪府大阪市北区梅田1-1\n";

#[test]
fn plain_text_file() {
    let r = dlp().scan_file(Some("a.csv"), CSV.as_bytes());
    assert_eq!(r.findings.count("pension_number"), 2);
    assert!(r.container.is_empty());
    assert!(!r.encrypted);
    assert_eq!(r.findings.file.as_deref(), Some("a.csv"));
}

#[test]
fn zip_with_csv_and_nested_zip() {
    let inner = zip(&[Member::new(
        "inner.csv",
        "基礎年金番号,氏名\n3456-789012,佐藤一郎\n".as_bytes(),
    )]);
    let sj = encoding_rs::SHIFT_JIS.encode(CSV).0.into_owned();
    let outer = zip(&[
        Member::new("list.csv", &sj),
        Member {
            deflate: false,
            ..Member::new("nested.zip", &inner)
        },
    ]);
    let r = dlp().scan_file(Some("0508a.zip"), &outer);
    assert_eq!(r.findings.count("pension_number"), 3);
    assert_eq!(r.findings.findings["pension_number"].high, 3);
    assert_eq!(r.findings.records, Some(3));
    assert_eq!(r.container, vec!["zip"]);
    assert!(!r.encrypted);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // Streamed through the Scanner in small chunks: same result.
    let d = dlp();
    let mut s = d.scanner();
    s.set_file_name(Some("0508a.zip"));
    for c in outer.chunks(100) {
        s.feed(c);
    }
    let f = s.finish();
    assert_eq!(f.count("pension_number"), 3);
    assert_eq!(f.container, vec!["zip"]);
    assert_eq!(f.file.as_deref(), Some("0508a.zip"));
}

#[test]
fn encrypted_zip_entries_are_listed() {
    let z = zip(&[
        Member {
            flags: 1,
            ..Member::new("secret.csv", &[0x13; 200])
        },
        Member::new("readme.txt", b"hello"),
    ]);
    // The deflated bytes of [0x13; 200] do inflate; make the CRC wrong so it is not pseudo-encrypted.
    let mut z = z;
    let pos = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    z[pos + 16] ^= 0xFF;
    let r = dlp().scan_file(Some("x.zip"), &z);
    assert!(r.encrypted);
    assert_eq!(r.findings.encrypted_entries.len(), 1);
    let e = &r.findings.encrypted_entries[0];
    assert_eq!(e.name, "secret.csv");
    assert_eq!(e.method, "zipcrypto");
    assert_eq!(e.size, Some(200));
    assert_eq!(r.findings.records, Some(0), "readme was read");
    let v = serde_json::to_value(&r.findings).unwrap();
    assert_eq!(v["encrypted"], true);
}

#[test]
fn aes_zip_and_all_encrypted_has_null_records() {
    let mut aes_extra = vec![0x01, 0x99, 7, 0];
    aes_extra.extend_from_slice(&[2, 0, b'A', b'E', 3, 8, 0]);
    let z = zip(&[Member {
        method_override: Some(99),
        flags: 1,
        extra: aes_extra,
        deflate: false,
        ..Member::new("名簿.xlsx", &[7; 64])
    }]);
    let r = dlp().scan_file(Some("x.zip"), &z);
    assert!(r.encrypted);
    assert_eq!(r.findings.encrypted_entries[0].method, "aes");
    assert_eq!(r.findings.records, None);
    assert!(r.findings.findings.is_empty());
    assert_eq!(r.container, vec!["zip"]);
}

#[test]
fn pseudo_encrypted_zip_is_plain() {
    let z = zip(&[Member {
        flags: 1,
        ..Member::new("list.csv", CSV.as_bytes())
    }]);
    let r = dlp().scan_file(Some("p.zip"), &z);
    assert!(!r.encrypted);
    assert_eq!(r.findings.count("pension_number"), 2);
}

#[test]
fn zip_bomb_is_capped() {
    let zeros = vec![b'0'; 50 << 20];
    let z = zip(&[Member::new("bomb.txt", &zeros)]);
    assert!(z.len() < 200_000);
    let r = dlp().scan_file(Some("b.zip"), &z);
    assert!(r.findings.truncated);
    assert!(
        r.errors
            .iter()
            .any(|e| matches!(e, super::ContainerError::RatioLimit { .. })),
        "{:?}",
        r.errors
    );
    assert!(r.findings.stats.bytes_decompressed <= (z.len() as u64 * 100).max(1 << 20) + (1 << 18));
    let limits = ScanLimits {
        max_decompressed: 1 << 20,
        max_ratio: 1_000_000,
        ..Default::default()
    };
    let r = dlp().scan_file_with_limits(Some("b.zip"), &z, &limits);
    assert!(
        r.errors
            .iter()
            .any(|e| matches!(e, super::ContainerError::SizeLimit { .. }))
    );
}

#[test]
fn depth_limit() {
    let mut cur = zip(&[Member::new("a.csv", CSV.as_bytes())]);
    for i in 0..6 {
        let name = format!("l{i}.zip");
        cur = zip(&[Member {
            deflate: false,
            ..Member::new(&name, &cur)
        }]);
    }
    let r = dlp().scan_file(Some("deep.zip"), &cur);
    assert!(r.findings.truncated);
    assert_eq!(r.findings.count("pension_number"), 0);
    assert!(
        r.errors
            .iter()
            .any(|e| matches!(e, super::ContainerError::DepthLimit { limit: 4, .. }))
    );
    let limits = ScanLimits {
        max_depth: 8,
        ..Default::default()
    };
    assert_eq!(
        dlp()
            .scan_file_with_limits(None, &cur, &limits)
            .findings
            .count("pension_number"),
        2
    );
}

#[test]
fn entry_limit() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}.txt")).collect();
    let members: Vec<Member<'_>> = names
        .iter()
        .map(|n| Member::new(n, "TEL 03-1234-5678".as_bytes()))
        .collect();
    let z = zip(&members);
    let limits = ScanLimits {
        max_entries: 5,
        ..Default::default()
    };
    let r = dlp().scan_file_with_limits(None, &z, &limits);
    assert!(r.findings.truncated);
    assert!(
        r.errors
            .iter()
            .any(|e| matches!(e, super::ContainerError::EntryLimit { limit: 5 }))
    );
}

fn xlsx() -> Vec<u8> {
    let shared = r#"<?xml version="1.0" encoding="UTF-8"?><sst><si><t>顧客一覧</t></si><si><t>氏名</t></si><si><t>基礎年金番号</t></si><si><t>生年月日</t></si><si><t>山田太郎</t></si><si><t>鈴木花子</t></si></sst>"#;
    let sheet = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>
<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c><c r="C3" t="s"><v>3</v></c></row>
<row r="4"><c r="A4" t="s"><v>4</v></c><c r="B4"><v>1234567890</v></c><c r="C4" t="inlineStr"><is><t>S45.3.2</t></is></c></row>
<row r="5"><c r="A5" t="s"><v>5</v></c><c r="B5" t="inlineStr"><is><t>2345-678901</t></is></c></row></sheetData></worksheet>"#;
    zip(&[
        Member::new("[Content_Types].xml", b"<Types/>"),
        Member::new("xl/workbook.xml", b"<workbook/>"),
        Member::new("xl/sharedStrings.xml", shared.as_bytes()),
        Member::new("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

#[test]
fn xlsx_columns_keep_headers() {
    let r = dlp().scan_file(Some("名簿.xlsx"), &xlsx());
    assert_eq!(r.container, vec!["xlsx"]);
    assert_eq!(r.findings.findings["pension_number"].high, 2);
    assert_eq!(r.findings.findings["person_name"].high, 2);
    assert_eq!(r.findings.findings["birth_date"].high, 1);
    assert_eq!(r.findings.records, Some(2));
    assert_eq!(r.findings.confidence, Some(Confidence::High));
    // Inside a ZIP: the chain names both.
    let z = zip(&[Member {
        deflate: false,
        ..Member::new("名簿.xlsx", &xlsx())
    }]);
    let r = dlp().scan_file(Some("0508a.zip"), &z);
    assert_eq!(r.container, vec!["zip", "xlsx"]);
    assert_eq!(r.findings.count("pension_number"), 2);
}

#[test]
fn docx_and_pptx() {
    let doc = r#"<w:document><w:body><w:p><w:r><w:t>基礎年金番号：</w:t></w:r><w:r><w:t>4321-765432</w:t></w:r></w:p><w:p><w:r><w:t>型番 1111-222222</w:t></w:r></w:p></w:body></w:document>"#;
    let docx = zip(&[
        Member::new("[Content_Types].xml", b"<Types/>"),
        Member::new("word/document.xml", doc.as_bytes()),
    ]);
    let r = dlp().scan_file(Some("a.docx"), &docx);
    assert_eq!(r.container, vec!["docx"]);
    assert_eq!(
        r.findings.count("pension_number"),
        2,
        "both within 300 chars of the keyword"
    );
    let slide = r#"<p:sld><a:p><a:r><a:t>カード番号 4111 1111 1111 1111</a:t></a:r></a:p></p:sld>"#;
    let pptx = zip(&[
        Member::new("[Content_Types].xml", b"<Types/>"),
        Member::new("ppt/presentation.xml", b"<p/>"),
        Member::new("ppt/slides/slide1.xml", slide.as_bytes()),
    ]);
    let r = dlp().scan_file(None, &pptx);
    assert_eq!(r.container, vec!["pptx"]);
    assert_eq!(
        r.findings.confidence_of("credit_card"),
        Some(Confidence::High)
    );
}

#[test]
fn encrypted_ooxml_in_cfb() {
    let b = super::cfb::build::cfb(&[
        ("EncryptionInfo", vec![4, 0, 4, 0]),
        ("EncryptedPackage", vec![9; 500]),
    ]);
    let r = dlp().scan_file(Some("名簿.xlsx"), &b);
    assert!(r.encrypted);
    assert_eq!(r.container, vec!["ole"]);
    assert_eq!(r.findings.encrypted_entries[0].container, "ooxml");
    assert_eq!(r.findings.encrypted_entries[0].method, "agile");
    assert_eq!(r.findings.records, None);
    // Through the streaming scanner as well.
    let mut s = dlp().scanner();
    s.feed(&b);
    assert!(s.finish().encrypted);
}

#[test]
fn gzip_and_tar() {
    use std::io::Write;
    let mut tar = Vec::new();
    let body = CSV.as_bytes();
    let mut h = vec![0u8; 512];
    h[..8].copy_from_slice(b"list.csv");
    h[100..108].copy_from_slice(b"0000644\0");
    let size = format!("{:011o}\0", body.len());
    h[124..136].copy_from_slice(size.as_bytes());
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&c| u32::from(c)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    tar.extend_from_slice(&h);
    tar.extend_from_slice(body);
    tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let gz = gz.finish().unwrap();
    let r = dlp().scan_file(Some("x.tar.gz"), &gz);
    assert_eq!(r.findings.count("pension_number"), 2);
    assert_eq!(r.container, vec!["gzip", "tar"]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // A cut gzip still yields what was read.
    let r = dlp().scan_file(Some("x.tar.gz"), &gz[..gz.len() - 10]);
    assert!(r.findings.truncated);
}

fn pdf(content: &[u8], compress: bool, encrypt: bool) -> Vec<u8> {
    use std::io::Write;
    let data = if compress {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(content).unwrap();
        z.finish().unwrap()
    } else {
        content.to_vec()
    };
    let mut p =
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n4 0 obj << /Length ".to_vec();
    p.extend_from_slice(data.len().to_string().as_bytes());
    if compress {
        p.extend_from_slice(b" /Filter /FlateDecode");
    }
    p.extend_from_slice(b" >>\nstream\n");
    p.extend_from_slice(&data);
    p.extend_from_slice(b"\nendstream\nendobj\ntrailer << /Root 1 0 R");
    if encrypt {
        p.extend_from_slice(b" /Encrypt 9 0 R");
    }
    p.extend_from_slice(b" >>\n%%EOF\n");
    p
}

#[test]
fn pdf_text_and_encryption() {
    let content = b"BT /F1 12 Tf 72 700 Td (pension number 1234-567890) Tj 0 -14 Td (card 4111 1111 1111 1111) Tj ET";
    for compress in [false, true] {
        let r = dlp().scan_file(Some("a.pdf"), &pdf(content, compress, false));
        assert_eq!(r.container, vec!["pdf"]);
        assert_eq!(r.findings.count("pension_number"), 1, "compress {compress}");
        assert_eq!(
            r.findings.confidence_of("credit_card"),
            Some(Confidence::High)
        );
    }
    let r = dlp().scan_file(Some("s.pdf"), &pdf(content, true, true));
    assert!(r.encrypted);
    assert_eq!(r.findings.encrypted_entries[0].container, "pdf");
    assert!(r.findings.findings.is_empty());
}

#[test]
fn binaries_are_not_scanned_as_text() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice("基礎年金番号 1234-567890".as_bytes());
    assert_eq!(dlp().scan_file(None, &png).findings.total(), 0);
}

#[test]
fn hostile_containers_do_not_panic() {
    let good = [
        xlsx(),
        pdf(b"BT (x) Tj ET", true, false),
        zip(&[Member::new("a", CSV.as_bytes())]),
    ];
    let d = dlp();
    for g in &good {
        for cut in (0..g.len()).step_by(13) {
            let _ = d.scan_file(None, &g[..cut]);
        }
        let mut m = g.clone();
        for i in (0..m.len()).step_by(7) {
            m[i] = m[i].wrapping_add(0x5B);
            let _ = d.scan_file(None, &m);
        }
    }
    let _ = d.scan_file(None, b"PK\x03\x04");
    let _ = d.scan_file(None, &[0x1F, 0x8B, 8, 0x08]);
    let _ = d.scan_file(None, b"%PDF-1.7 stream\n");
    let _ = d.scan_file(None, &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
}
