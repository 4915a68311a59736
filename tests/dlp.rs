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
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("upload.pcap");
    t.write_pcap(&pcap).unwrap();
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
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
