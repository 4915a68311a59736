//! The DLP layer end to end: uploads built by the fixture builder go through the whole pipeline
//! (TCP reassembly, HTTP, multipart) and the DLP alerts are checked — including that the log
//! never becomes a second copy of the leaked data.

mod common;

use common::{analyze, of_type};
use sekimori_fixtures::{Link, TcpSession, Trace, ep};

/// A CSV of `n` people whose header names the pension-number column.
fn roster(n: usize) -> (String, Vec<String>) {
    let mut csv = String::from("氏名,基礎年金番号,生年月日\r\n");
    let mut numbers = Vec::new();
    for i in 0..n {
        let num = format!("{:04}-{:06}", 1000 + i, 100_000 + i * 7);
        csv.push_str(&format!("山田{}郎,{num},昭和45年3月{}日\r\n", ["一", "二", "三"][i % 3], 1 + i % 28));
        numbers.push(num);
    }
    (csv, numbers)
}

/// A ZIP of stored entries; `encrypted` encrypts each with ZipCrypto, so its contents must be
/// reported as protected and unreadable.
fn zip(entries: &[(&str, &[u8])], encrypted: bool) -> Vec<u8> {
    sekimori_fixtures::archive::zip(entries, encrypted.then_some(b"secret".as_slice()))
}

/// A POST with the given extra headers and raw body.
fn post(server: &str, headers: &str, body: &[u8], mss: usize) -> Trace {
    let mut req = format!("POST /api/import HTTP/1.1\r\nHost: files.example.net\r\n{headers}\r\n").into_bytes();
    req.extend_from_slice(body);
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("192.168.1.10:50124"), ep(server)).mss(mss);
    s.handshake(&mut t).client(&mut t, &req).server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK").close(&mut t);
    t
}

fn dlp_alerts(eve: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    of_type(eve, "alert").into_iter().filter(|a| a["alert"]["layer"] == "dlp").collect()
}

fn upload(server: &str, file: &str, body: &[u8]) -> Trace {
    let boundary = "----sekimori0508";
    let mut part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(body);
    part.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut req = format!(
        "POST /upload.php HTTP/1.1\r\nHost: files.example.net\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        part.len()
    )
    .into_bytes();
    req.extend_from_slice(&part);
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("192.168.1.10:50123"), ep(server)).mss(1000);
    s.handshake(&mut t).client(&mut t, &req).server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK").close(&mut t);
    t
}

fn run(t: &Trace) -> (Vec<serde_json::Value>, String) {
    run_with(t, "")
}

/// Runs with a configuration file holding `toml`.
fn run_with(t: &Trace, toml: &str) -> (Vec<serde_json::Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("upload.pcap");
    t.write_pcap(&pcap).unwrap();
    let cfg = dir.path().join("sekimori.toml");
    std::fs::write(&cfg, toml).unwrap();
    let (out, eve) = analyze(dir.path(), &["-c", cfg.to_str().unwrap()], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let raw = std::fs::read_to_string(dir.path().join("eve.json")).unwrap();
    (eve, raw)
}

#[test]
fn roster_uploaded_outside_raises_one_dlp_alert_without_leaking_it() {
    let (csv, numbers) = roster(50);
    let (eve, raw) = run(&upload("203.0.113.5:80", "0508a.csv", csv.as_bytes()));
    let alerts: Vec<_> = of_type(&eve, "alert").into_iter().filter(|a| a["alert"]["layer"] == "dlp").collect();
    assert_eq!(alerts.len(), 1, "one alert per transfer, not per match: {alerts:#?}");
    let a = alerts[0];
    assert_eq!(a["src_ip"], "192.168.1.10");
    assert_eq!(a["dest_ip"], "203.0.113.5");
    assert_eq!(a["alert"]["severity"], 1, "50 high-confidence identifiers");
    assert_eq!(a["dlp"]["findings"]["pension_number"]["count"], 50);
    assert_eq!(a["dlp"]["records"], 50);
    assert_eq!(a["dlp"]["file"], "0508a.csv");
    assert_eq!(a["dlp"]["container"][0], "multipart");
    assert_eq!(a["dlp"]["encrypted"], false);
    let sig = a["alert"]["signature"].as_str().unwrap();
    assert!(sig.contains("50 basic pension numbers") && sig.contains("0508a.csv"), "{sig}");
    // Nothing leaves in the log: no pension number appears unmasked anywhere in eve.json.
    for n in &numbers {
        assert!(!raw.contains(n.as_str()), "{n} logged unmasked");
        assert!(!raw.contains(&n.replace('-', "")), "{n} logged unmasked");
    }
}

#[test]
fn internal_transfers_are_not_exfiltration() {
    let (csv, _) = roster(50);
    let (eve, _) = run(&upload("192.168.1.20:80", "0508a.csv", csv.as_bytes()));
    assert!(of_type(&eve, "alert").iter().all(|a| a["alert"]["layer"] != "dlp"));
}

#[test]
fn ordinary_upload_is_quiet() {
    let (eve, _) = run(&upload("203.0.113.5:80", "notes.txt", "今日の会議メモ: 来週の予定を確認する。型番 4321-765432 の在庫。".as_bytes()));
    assert!(of_type(&eve, "alert").iter().all(|a| a["alert"]["layer"] != "dlp"));
}

#[test]
fn zip_of_csvs_by_multipart_counts_every_file() {
    let (a, _) = roster(30);
    let (b, _) = roster(50); // same people and 20 more: distinct values are counted
    let z = zip(&[("2015/a.csv", a.as_bytes()), ("2015/b.csv", b.as_bytes())], false);
    let (eve, _) = run(&upload("203.0.113.5:80", "0508a.zip", &z));
    let alerts = dlp_alerts(&eve);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let d = &alerts[0]["dlp"];
    assert_eq!(d["findings"]["pension_number"]["count"], 50, "{d}");
    assert_eq!(d["records"], 80, "rows carrying an identifier, over both files");
    assert_eq!(d["container"], serde_json::json!(["multipart", "zip"]));
    assert_eq!(d["encrypted"], false);
}

#[test]
fn encrypted_zip_is_reported_as_protected_and_unreadable() {
    let (a, _) = roster(30);
    let z = zip(&[("2015/a.csv", a.as_bytes())], true);
    let (eve, _) = run(&upload("203.0.113.5:80", "0508a.zip", &z));
    let alerts = dlp_alerts(&eve);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["dlp"]["encrypted"], true);
    assert_eq!(alerts[0]["alert"]["severity"], 4, "a protected archive is the benign case");
    assert!(alerts[0]["dlp"].get("findings").is_none_or(|f| f.as_object().is_none_or(|m| m.is_empty())));
}

#[test]
fn gzip_encoded_body_is_decoded_before_scanning() {
    use std::io::Write;
    let (csv, _) = roster(20);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    let headers = format!("Content-Type: text/csv\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n", body.len());
    let (eve, _) = run(&post("203.0.113.5:80", &headers, &body, 1400));
    let alerts = dlp_alerts(&eve);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["dlp"]["findings"]["pension_number"]["count"], 20);
    assert_eq!(alerts[0]["dlp"]["records"], 20);
}

#[test]
fn chunked_body_split_inside_records_and_characters() {
    // Chunks of 7 bytes cut through numbers and through the 3-byte UTF-8 kanji, and the TCP
    // segments (MSS 5) cut through the chunk framing as well.
    let (csv, _) = roster(12);
    let mut body = Vec::new();
    for c in csv.as_bytes().chunks(7) {
        body.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        body.extend_from_slice(c);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let (eve, _) = run(&post("203.0.113.5:80", "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n", &body, 5));
    let alerts = dlp_alerts(&eve);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["dlp"]["findings"]["pension_number"]["count"], 12);
    assert_eq!(alerts[0]["dlp"]["records"], 12);
}

#[test]
fn shift_jis_csv_is_decoded() {
    let (csv, _) = roster(15);
    let (sjis, _, bad) = encoding_rs::SHIFT_JIS.encode(&csv);
    assert!(!bad);
    let (eve, _) = run(&upload("203.0.113.5:80", "meibo.csv", &sjis));
    let alerts = dlp_alerts(&eve);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["dlp"]["findings"]["pension_number"]["count"], 15);
    assert_eq!(alerts[0]["dlp"]["records"], 15);
}

#[test]
fn policy_thresholds_and_scope_come_from_the_config() {
    let (csv, _) = roster(50);
    let outside = upload("203.0.113.5:80", "0508a.csv", csv.as_bytes());
    // Fewer identifiers than the policy's minimum: no alert.
    let (eve, _) = run_with(&outside, "[dlp_policy]\nmin_identifiers = 200\n");
    assert!(dlp_alerts(&eve).is_empty());
    // Severity 1 only from the policy's count on.
    let (eve, _) = run_with(&outside, "[dlp_policy]\nsevere_at = 500\nname = \"pension-watch\"\n");
    let a = dlp_alerts(&eve);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["alert"]["severity"], 3);
    assert_eq!(a[0]["dlp"]["policy"], "pension-watch");
    // Internal transfers are reported when the policy asks.
    let inside = upload("192.168.1.20:80", "0508a.csv", csv.as_bytes());
    let (eve, _) = run_with(&inside, "[dlp_policy]\ninclude_internal = true\n");
    assert_eq!(dlp_alerts(&eve).len(), 1);
}

/// A minimal xlsx workbook: the roster's cells as shared strings in one sheet, in a ZIP with the
/// OOXML content types (stored entries).
fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut strings = Vec::new();
    let mut sheet = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#);
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let col = char::from(b'A' + c as u8);
            sheet.push_str(&format!(r#"<c r="{col}{}" t="s"><v>{}</v></c>"#, r + 1, strings.len()));
            strings.push(cell.clone());
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut sst = format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">"#, strings.len());
    for s in &strings {
        sst.push_str(&format!("<si><t>{s}</t></si>"));
    }
    sst.push_str("</sst>");
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
    let workbook = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="名簿" sheetId="1"/></sheets></workbook>"#;
    zip(
        &[
            ("[Content_Types].xml", types.as_bytes()),
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/sharedStrings.xml", sst.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ],
        false,
    )
}

#[test]
fn xlsx_attachment_sent_by_smtp_is_read_cell_by_cell() {
    use sekimori_fixtures::{Mail, smtp_send};
    let mut rows = vec![vec!["氏名".to_string(), "基礎年金番号".to_string(), "生年月日".to_string()]];
    let mut numbers = Vec::new();
    for i in 0..30 {
        let n = format!("{:04}-{:06}", 2000 + i, 300_000 + i * 11);
        rows.push(vec![format!("佐藤{}子", ["花", "葉", "桜"][i % 3]), n.clone(), format!("昭和50年{}月1日", 1 + i % 12)]);
        numbers.push(n);
    }
    let book = xlsx(&rows);
    let mail = Mail::new("staff@nenkin.example.jp", "someone@freemail.example.com", "名簿")
        .text("資料を送ります。")
        .attach("0508roster.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &book)
        .to_bytes();
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("192.168.1.10:50200"), ep("203.0.113.25:25")).mss(1400);
    smtp_send(&mut t, &mut s, "staff@nenkin.example.jp", &["someone@freemail.example.com"], &mail);
    let (eve, raw) = run(&t);
    let alerts = dlp_alerts(&eve);
    assert_eq!(alerts.len(), 1, "one alert for the attachment: {alerts:#?}");
    let a = alerts[0];
    assert_eq!(a["app_proto"], "smtp");
    assert_eq!(a["dlp"]["file"], "0508roster.xlsx");
    assert_eq!(a["dlp"]["findings"]["pension_number"]["count"], 30);
    assert_eq!(a["dlp"]["records"], 30);
    assert_eq!(a["dlp"]["encrypted"], false);
    let container = a["dlp"]["container"].to_string();
    assert!(container.contains("xlsx") || container.contains("ooxml"), "{container}");
    assert_eq!(a["alert"]["severity"], 1);
    for n in &numbers {
        assert!(!raw.contains(n.as_str()), "{n} logged unmasked");
    }
    // The mail itself is logged as Suricata logs it, attachment name included.
    // (QUIT after the message opens a second, empty transaction, as in Suricata.)
    let mails: Vec<_> = of_type(&eve, "smtp").into_iter().filter(|r| r.get("email").is_some()).collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["email"]["attachment"][0], "0508roster.xlsx");
}

#[test]
fn file_written_to_an_outside_smb_share_is_scanned() {
    use sekimori_fixtures::Smb2;
    let (csv, numbers) = roster(40);
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("192.168.1.10:50300"), ep("198.51.100.45:445")).mss(1400);
    let mut smb = Smb2::new().chunk(4096);
    smb.login(&mut t, &mut s, "CORP", "tanaka", "\\\\198.51.100.45\\drop");
    smb.write_file(&mut t, &mut s, "backup\\0508.csv", csv.as_bytes());
    s.close(&mut t);
    let (eve, raw) = run(&t);
    let alerts = dlp_alerts(&eve);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["app_proto"], "smb");
    assert_eq!(alerts[0]["dlp"]["findings"]["pension_number"]["count"], 40);
    assert_eq!(alerts[0]["dlp"]["direction"], "to_server");
    for n in &numbers {
        assert!(!raw.contains(n.as_str()), "{n} logged unmasked");
    }
    // Reading the same file from an internal server is not exfiltration.
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("192.168.1.10:50301"), ep("192.168.1.20:445")).mss(1400);
    let mut smb = Smb2::new();
    smb.login(&mut t, &mut s, "CORP", "tanaka", "\\\\fs01\\jinji");
    smb.read_file(&mut t, &mut s, "0508.csv", csv.as_bytes());
    s.close(&mut t);
    let (eve, _) = run(&t);
    assert!(dlp_alerts(&eve).is_empty());
    assert_eq!(of_type(&eve, "fileinfo").len(), 1, "the read is still logged as a file");
}

#[test]
fn in_ips_mode_a_large_leak_is_blocked_and_its_flow_dropped() {
    let (csv, _) = roster(150);
    let t = upload("203.0.113.5:80", "all.csv", csv.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("leak.pcap");
    t.write_pcap(&pcap).unwrap();

    // IDS mode: reported, not blocked.
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
    assert!(out.status.success());
    assert_eq!(dlp_alerts(&eve)[0]["alert"]["action"], "allowed");
    assert!(of_type(&eve, "drop").is_empty());

    // IPS mode: the packet that completed the upload and everything after it is dropped.
    let (out, eve) = analyze(dir.path(), &["--simulate-ips"], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a = dlp_alerts(&eve);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["alert"]["action"], "blocked");
    let drops = of_type(&eve, "drop");
    assert!(!drops.is_empty());
    assert_eq!(drops[0]["drop"]["reason"], "dlp");
    assert_eq!(drops[0]["pcap_cnt"], a[0]["pcap_cnt"], "the packet that completed the transfer");
    assert!(drops[1..].iter().all(|d| d["drop"]["reason"] == "flow drop"));
    let flow = of_type(&eve, "flow");
    assert_eq!(flow[0]["flow"]["action"], "drop");
    assert!(of_type(&eve, "http").is_empty() || of_type(&eve, "http")[0].get("status").is_none(), "the response never came through");
    let stats = of_type(&eve, "stats");
    let ips = &stats[0]["stats"]["ips"];
    assert_eq!(ips["blocked"].as_u64().unwrap(), drops.len() as u64);
    assert!(ips["accepted"].as_u64().unwrap() > 0);

    // Below the policy's block threshold the alert stays an alert even in IPS mode.
    let (csv, _) = roster(20);
    let t = upload("203.0.113.5:80", "some.csv", csv.as_bytes());
    t.write_pcap(&pcap).unwrap();
    let (_, eve) = analyze(dir.path(), &["--simulate-ips"], &[&pcap]);
    assert_eq!(dlp_alerts(&eve)[0]["alert"]["action"], "allowed");
    assert!(of_type(&eve, "drop").is_empty());
}

/// Percent-encodes every byte that is not unreserved (as browsers encode form fields).
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn form_posts_and_json_apis_are_decoded_before_scanning() {
    // A web form posting a person's record field by field, percent-encoded.
    let mut body = String::new();
    for i in 0..12 {
        if i > 0 {
            body.push('&');
        }
        body.push_str(&format!(
            "{}={}&{}={}",
            form_encode("氏名"),
            form_encode(&format!("鈴木{i}郎")),
            form_encode("基礎年金番号"),
            form_encode(&format!("{:04}-{:06}", 3000 + i, 400_000 + i * 13))
        ));
    }
    let t = post("203.0.113.5:80", &format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", body.len()), body.as_bytes(), 700);
    let (eve, raw) = run(&t);
    let a = dlp_alerts(&eve);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["dlp"]["findings"]["pension_number"]["count"], 12);
    assert_eq!(a[0]["dlp"]["container"][0], "form");
    assert!(!raw.contains("3000-400000"));

    // A JSON API whose client escapes every non-ASCII character.
    let esc = |s: &str| s.encode_utf16().map(|u| format!("\\u{u:04x}")).collect::<String>();
    let mut json = String::from("[");
    for i in 0..12 {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            "{{\"{}\":\"{}\",\"{}\":\"{:04}-{:06}\"}}",
            esc("氏名"),
            esc(&format!("鈴木{i}郎")),
            esc("基礎年金番号"),
            3000 + i,
            400_000 + i * 13
        ));
    }
    json.push(']');
    let t = post("203.0.113.5:80", &format!("Content-Type: application/json\r\nContent-Length: {}\r\n", json.len()), json.as_bytes(), 700);
    let (eve, _) = run(&t);
    let a = dlp_alerts(&eve);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["dlp"]["findings"]["pension_number"]["count"], 12);
    assert_eq!(a[0]["dlp"]["container"][0], "json");

    // The same numbers with no keyword anywhere (escaped or not) are not pension numbers.
    let plain = (0..12).map(|i| format!("id={:04}-{:06}", 3000 + i, 400_000 + i * 13)).collect::<Vec<_>>().join("&");
    let t = post("203.0.113.5:80", &format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", plain.len()), plain.as_bytes(), 700);
    let (eve, _) = run(&t);
    assert!(dlp_alerts(&eve).iter().all(|a| a["dlp"]["findings"].get("pension_number").is_none()), "{:#?}", dlp_alerts(&eve));

    // Without decoding the escaped keyword would hide them (what this layer exists to avoid).
    let t = post("203.0.113.5:80", &format!("Content-Type: text/plain\r\nContent-Length: {}\r\n", body.len()), body.as_bytes(), 700);
    let (eve, _) = run(&t);
    assert!(dlp_alerts(&eve).iter().all(|a| a["dlp"]["findings"].get("pension_number").is_none()));
}
