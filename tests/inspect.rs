//! Targeted-mail and download inspection end to end: mails and downloads built by the fixture
//! builder go through the whole pipeline (TCP, SMTP/MIME or HTTP, file tracking) and the `mail`
//! and `file` alerts that come out are checked.

mod common;

use common::{analyze, of_type};
use sekimori_fixtures::archive::{pe, zip};
use sekimori_fixtures::{Link, Mail, TcpSession, Trace, ep, rfc2047_b, smtp_send};
use serde_json::Value;
use std::path::Path;

fn alerts_of<'a>(eve: &'a [Value], layer: &str) -> Vec<&'a Value> {
    of_type(eve, "alert").into_iter().filter(|a| a["alert"]["layer"] == layer).collect()
}

/// Sends `mail` from an outside server to the organisation's mail server.
fn deliver(mail: &Mail, port: u16) -> Trace {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep(&format!("203.0.113.25:{port}")), ep("192.168.1.5:25")).mss(1400);
    smtp_send(&mut t, &mut s, "info@nenkin-support.example.com", &["tanaka@nenkin.example.jp"], &mail.to_bytes());
    t
}

fn run(dir: &Path, name: &str, t: &Trace, extra: &[&str]) -> Vec<Value> {
    let pcap = dir.join(name);
    t.write_pcap(&pcap).unwrap();
    let out_dir = dir.join(format!("out-{name}"));
    std::fs::create_dir_all(&out_dir).unwrap();
    let (out, eve) = analyze(&out_dir, extra, &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eve
}

fn checks(a: &Value) -> Vec<String> {
    a["mail"]["checks"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
}

#[test]
fn phishing_mail_raises_one_alert_naming_every_check() {
    let subject = encoding_rs::ISO_2022_JP.encode("【重要】年金記録の確認のお願い").0;
    let html = r#"<html><body><p>年金記録の確認をお願いします。</p>
<p><a href="http://203.0.113.66/nenkin/login.php">https://www.nenkin.go.jp/login</a></p>
<p>詳細は添付の資料をご覧ください。</p></body></html>"#;
    let archive = zip(&[("医療費通知のお知らせ.doc.exe", &pe(b"emdivi_t20 downloader", false))], None);
    let mail = Mail::new("\"日本年金機構\" <info@nenkin-support.example.com>", "tanaka@nenkin.example.jp", &rfc2047_b("ISO-2022-JP", &subject))
        .html(html)
        .attach("資料.zip", "application/zip", &archive);
    let dir = tempfile::tempdir().unwrap();
    let eve = run(dir.path(), "phish.pcap", &deliver(&mail, 41000), &[]);
    let mails = alerts_of(&eve, "mail");
    assert_eq!(mails.len(), 1, "one alert per message: {mails:#?}");
    let a = mails[0];
    let c = checks(a);
    for want in ["link_mismatch", "exe_in_archive", "double_extension"] {
        assert!(c.iter().any(|x| x == want), "{want} missing from {c:?}");
    }
    assert_eq!(a["alert"]["severity"], 1, "an executable behind a lying link");
    assert_eq!(a["app_proto"], "smtp");
    assert_eq!(a["mail"]["subject"], "【重要】年金記録の確認のお願い", "the ISO-2022-JP subject decoded");
    let link = &a["mail"]["links"][0];
    assert_eq!(link["href"], "http://203.0.113.66/nenkin/login.php");
    assert_eq!(link["text"], "https://www.nenkin.go.jp/login");
    let sig = a["alert"]["signature"].as_str().unwrap();
    assert!(!sig.is_empty());
    // The message itself is logged as Suricata logs it.
    let smtp: Vec<_> = of_type(&eve, "smtp").into_iter().filter(|r| r.get("email").is_some()).collect();
    assert_eq!(smtp[0]["email"]["attachment"][0], "資料.zip");
}

#[test]
fn newsletter_whose_links_show_where_they_go_is_quiet() {
    let mut html = String::from("<html><body><h1>今月のお知らせ</h1>");
    for i in 0..30 {
        html.push_str(&format!(
            r#"<p><a href="https://www.example-shop.co.jp/campaign/{i}">https://www.example-shop.co.jp/campaign/{i}</a> <a href="https://example-shop.co.jp/item/{i}">example-shop.co.jp</a> <a href="https://www.example-shop.co.jp/s/{i}">詳しくはこちら</a></p>"#
        ));
    }
    html.push_str("</body></html>");
    let mail = Mail::new("Example Shop <news@example-shop.co.jp>", "tanaka@nenkin.example.jp", "May newsletter")
        .header("Reply-To", "support@example-shop.co.jp")
        .html(&html)
        .attach("catalogue.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n");
    let dir = tempfile::tempdir().unwrap();
    let eve = run(dir.path(), "news.pcap", &deliver(&mail, 41001), &[]);
    assert!(alerts_of(&eve, "mail").is_empty(), "{:#?}", alerts_of(&eve, "mail"));
    assert!(alerts_of(&eve, "file").is_empty(), "{:#?}", alerts_of(&eve, "file"));
}

/// A PC downloads `body` by HTTP from `server` asking for `host` and `path`.
fn download(server: &str, host: &str, path: &str, content_type: &str, body: &[u8]) -> Trace {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("192.168.1.23:49500"), ep(server)).mss(1400);
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 8.0)\r\n\r\n");
    let mut resp = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    resp.extend_from_slice(body);
    s.handshake(&mut t).client(&mut t, req.as_bytes()).server(&mut t, &resp).close(&mut t);
    t
}

#[test]
fn executable_from_a_raw_ip_alerts_and_signed_software_from_a_named_host_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let exe = pe(&[0x90; 30_000], false);
    let eve = run(dir.path(), "raw.pcap", &download("198.51.100.9:80", "198.51.100.9", "/img/logo.gif", "image/gif", &exe), &[]);
    let files = alerts_of(&eve, "file");
    assert_eq!(files.len(), 1, "{files:#?}");
    let a = files[0];
    let reasons = a["file"]["reason"].to_string();
    assert!(reasons.contains("exe_from_raw_ip"), "{reasons}");
    assert!(reasons.contains("type_mismatch"), "an exe served as image/gif: {reasons}");
    assert_eq!(a["src_ip"], "198.51.100.9", "oriented as the packets that carried the file");
    assert_eq!(a["dest_ip"], "192.168.1.23");
    assert_eq!(a["file"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(a["app_proto"], "http");

    let installer = pe(&[0x90; 30_000], true);
    let eve = run(
        dir.path(),
        "vendor.pcap",
        &download("203.0.113.80:80", "download.example-vendor.co.jp", "/products/setup.exe", "application/octet-stream", &installer),
        &[],
    );
    assert!(alerts_of(&eve, "file").is_empty(), "{:#?}", alerts_of(&eve, "file"));
    assert_eq!(of_type(&eve, "fileinfo").len(), 1, "still logged as a file");
}

#[test]
fn known_bad_hash_from_a_list_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let doc = b"%PDF-1.4\n% a document someone reported\n".repeat(50);
    let sha256 = {
        // The tracker's own digest, read back from a first run's fileinfo.
        let eve = run(dir.path(), "first.pcap", &download("203.0.113.81:80", "files.example.net", "/a.pdf", "application/pdf", &doc), &[]);
        of_type(&eve, "fileinfo")[0]["fileinfo"]["sha256"].as_str().unwrap().to_string()
    };
    let list = dir.path().join("bad.sha256");
    std::fs::write(&list, format!("# reported by CSIRT\n{sha256} report-2015-05.pdf\n")).unwrap();
    let eve = run(
        dir.path(),
        "second.pcap",
        &download("203.0.113.81:80", "files.example.net", "/a.pdf", "application/pdf", &doc),
        &["--hash-list", list.to_str().unwrap()],
    );
    let files = alerts_of(&eve, "file");
    assert_eq!(files.len(), 1, "{files:#?}");
    assert!(files[0]["file"]["reason"].to_string().contains("known_bad_hash"));
}

#[cfg(feature = "yara")]
#[test]
fn yara_rules_fire_on_a_sample_inside_a_zip_inside_a_mail() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("emdivi.yar");
    std::fs::write(
        &rules,
        r#"
rule Emdivi_Marker { strings: $a = "emdivi_t20" condition: $a }
rule PE_With_Marker { strings: $a = "downloader" condition: uint16(0) == 0x5A4D and $a }
rule Never_Matches { strings: $a = "this string is not in the sample" condition: $a }
"#,
    )
    .unwrap();
    let inner = zip(&[("invoice.exe", &pe(b"emdivi_t20 downloader", false))], None);
    let outer = zip(&[("nested/docs.zip", &inner)], None);
    let mail = Mail::new("Billing <billing@example-partner.jp>", "tanaka@nenkin.example.jp", "invoice")
        .text("Please see the attached invoice.")
        .attach("invoice.zip", "application/zip", &outer);
    let eve = run(dir.path(), "yara.pcap", &deliver(&mail, 41002), &["--yara", rules.to_str().unwrap()]);
    let fileinfo = of_type(&eve, "fileinfo");
    assert_eq!(fileinfo.len(), 1);
    let yara = fileinfo[0]["fileinfo"]["yara"].to_string();
    assert!(yara.contains("Emdivi_Marker") && yara.contains("PE_With_Marker"), "{yara}");
    assert!(!yara.contains("Never_Matches"), "{yara}");
    let files = alerts_of(&eve, "file");
    assert_eq!(files.len(), 1, "{files:#?}");
    let names = files[0]["file"]["yara"].to_string();
    assert!(names.contains("Emdivi_Marker") && names.contains("PE_With_Marker"), "{names}");
    // A YARA syntax error is a clear start-up error naming the file.
    std::fs::write(&rules, "rule Broken { condition: $missing }").unwrap();
    let pcap = dir.path().join("yara.pcap");
    let (out, _) = analyze(&dir.path().join("out-broken"), &["--yara", rules.to_str().unwrap()], &[&pcap]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("emdivi.yar"), "{err}");
}

#[test]
fn executable_from_a_domain_no_one_has_used_alerts_once_a_baseline_exists() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    // A week in which the office fetches pages from its usual vendor site.
    let mut week = Trace::new(Link::Ethernet);
    for day in 0..8u32 {
        // The days before the downloads below (the fixture clock starts at 1,700,000,000).
        week.at(sekimori_fixtures::Ts::new(1_700_000_000 - (8 - day) * 86_400, 0));
        let mut s = TcpSession::new(ep(&format!("192.168.1.23:{}", 49600 + day)), ep("203.0.113.80:80")).mss(1400);
        let req = "GET /news.html HTTP/1.1\r\nHost: download.example-vendor.co.jp\r\n\r\n";
        s.handshake(&mut week).client(&mut week, req.as_bytes()).server(&mut week, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello").close(&mut week);
    }
    let pcap = dir.path().join("week.pcap");
    week.write_pcap(&pcap).unwrap();
    let out = common::sekimori(&["baseline", "learn", "-q", "-l", dir.path().join("learn").to_str().unwrap(), "--state", state.to_str().unwrap(), pcap.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let exe = pe(&[0x90; 20_000], false);
    let state_arg = ["--state", state.to_str().unwrap()];
    let mut t = download("198.51.100.30:80", "update.kaisha-example.net", "/tools/viewer.exe", "application/octet-stream", &exe);
    let eve = run(dir.path(), "new.pcap", &t, &state_arg);
    let files = alerts_of(&eve, "file");
    assert_eq!(files.len(), 1, "{files:#?}");
    assert!(files[0]["file"]["reason"].to_string().contains("exe_from_first_seen_domain"), "{}", files[0]);
    assert_eq!(files[0]["file"]["host"], "update.kaisha-example.net");

    // The same file from the site everyone uses is not suspect.
    t = download("203.0.113.80:80", "download.example-vendor.co.jp", "/tools/viewer.exe", "application/octet-stream", &exe);
    let eve = run(dir.path(), "known.pcap", &t, &state_arg);
    assert!(alerts_of(&eve, "file").is_empty(), "{:#?}", alerts_of(&eve, "file"));
}
