//! The filestore and file records end to end, as Suricata 7 defines them: only the files a
//! `filestore` rule asks for are stored (unless `force_filestore`), the alert on a file lists it
//! in `files` with `storing`, `fileinfo` records carry the transaction's `http` object and the
//! `file_id` of stored files, and the `stats` record has `file_store` counters.

mod common;

use common::{analyze, of_type};
use sekimori_fixtures::{Link, TcpSession, Trace, ep};
use serde_json::Value;
use std::path::Path;

/// A minimal PNG: signature and a 36x36 RGBA IHDR chunk, then filler.
fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x24\x00\x00\x00\x24\x08\x06\x00\x00\x00".to_vec();
    b.extend_from_slice(&[0x11, 0x22, 0x33, 0x44]);
    b.extend(std::iter::repeat_n(0xa5u8, 1500));
    b
}

/// One flow per (path, content type, body): a GET and its 200 response.
fn downloads(files: &[(&str, &str, &[u8])]) -> Trace {
    let mut t = Trace::new(Link::Ethernet);
    for (i, (path, ct, body)) in files.iter().enumerate() {
        let port = 49500 + u16::try_from(i).unwrap();
        let mut s =
            TcpSession::new(ep(&format!("192.168.1.23:{port}")), ep("198.51.100.9:80")).mss(1400);
        let req = format!("GET {path} HTTP/1.1\r\nHost: files.example\r\n\r\n");
        let mut resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        resp.extend_from_slice(body);
        s.handshake(&mut t)
            .client(&mut t, req.as_bytes())
            .server(&mut t, &resp)
            .close(&mut t);
    }
    t
}

/// Runs the trace with `rules` and the `[files]` section `files_toml` (its `DIR` replaced by
/// the filestore directory); returns the records and the filestore directory.
fn run(dir: &Path, t: &Trace, rules: &str, files_toml: &str) -> (Vec<Value>, std::path::PathBuf) {
    let pcap = dir.join("in.pcap");
    t.write_pcap(&pcap).unwrap();
    let store = dir.join("filestore");
    let cfg = dir.join("cfg.toml");
    std::fs::write(
        &cfg,
        files_toml.replace("DIR", &store.display().to_string()),
    )
    .unwrap();
    let rules_path = dir.join("test.rules");
    std::fs::write(&rules_path, rules).unwrap();
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let (out, eve) = analyze(
        &out_dir,
        &[
            "-c",
            &cfg.display().to_string(),
            "-S",
            &rules_path.display().to_string(),
            "-k",
            "none",
        ],
        &[&pcap],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (eve, store)
}

/// Every file under the filestore's `xx/` directories (not `tmp/`).
fn stored_files(store: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for d in std::fs::read_dir(store).unwrap() {
        let d = d.unwrap();
        if d.file_name() == "tmp" {
            assert_eq!(
                std::fs::read_dir(d.path()).unwrap().count(),
                0,
                "no temporary file left"
            );
            continue;
        }
        for f in std::fs::read_dir(d.path()).unwrap() {
            v.push(f.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    v.sort();
    v
}

fn fileinfo<'a>(eve: &'a [Value], name: &str) -> &'a Value {
    of_type(eve, "fileinfo")
        .into_iter()
        .find(|r| r["fileinfo"]["filename"] == name)
        .unwrap_or_else(|| panic!("no fileinfo for {name}"))
}

const PNG_RULE: &str = "alert http any any -> any any (msg:\"store png\"; filemagic:\"PNG image data\"; filestore; sid:7; rev:1;)\n";

#[test]
fn only_files_a_filestore_rule_matched_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let png = png();
    let t = downloads(&[
        ("/a.png", "image/png", &png),
        ("/b.txt", "text/plain", b"just some text here\n"),
    ]);
    let (eve, store) = run(dir.path(), &t, PNG_RULE, "[files]\nfilestore = \"DIR\"\n");

    let a = fileinfo(&eve, "/a.png");
    assert_eq!(a["fileinfo"]["stored"], true, "{a}");
    assert_eq!(a["fileinfo"]["file_id"], 1);
    assert_eq!(a["fileinfo"]["sid"], serde_json::json!([7]));
    assert_eq!(
        a["http"]["hostname"], "files.example",
        "the transaction's http object"
    );
    assert_eq!(a["http"]["url"], "/a.png");
    let b = fileinfo(&eve, "/b.txt");
    assert_eq!(b["fileinfo"]["stored"], false);
    assert!(b["fileinfo"].get("file_id").is_none());
    assert_eq!(b["http"]["http_method"], "GET");

    let sha = a["fileinfo"]["sha256"].as_str().unwrap();
    assert_eq!(stored_files(&store), [sha.to_string()]);

    // The alert shows the file as Suricata does at that moment: being stored, not yet stored.
    let alerts = of_type(&eve, "alert");
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let f = &alerts[0]["files"][0];
    assert_eq!(f["filename"], "/a.png");
    assert_eq!(f["sid"], serde_json::json!([7]), "the filestore rule that asked");
    assert_eq!(
        (f["stored"].clone(), f["storing"].clone()),
        (Value::Bool(false), Value::Bool(true))
    );
    assert_eq!(alerts[0]["http"]["hostname"], "files.example");

    let stats = of_type(&eve, "stats");
    assert_eq!(stats.last().unwrap()["stats"]["file_store"]["fs_errors"], 0);
}

#[test]
fn force_filestore_stores_every_file_and_no_store_means_no_stats() {
    let dir = tempfile::tempdir().unwrap();
    let png = png();
    let t = downloads(&[
        ("/a.png", "image/png", &png),
        ("/b.txt", "text/plain", b"just some text here\n"),
    ]);
    let (eve, store) = run(
        dir.path(),
        &t,
        "",
        "[files]\nfilestore = \"DIR\"\nforce_filestore = true\n",
    );
    assert_eq!(stored_files(&store).len(), 2);
    let ids: Vec<u64> = of_type(&eve, "fileinfo")
        .iter()
        .map(|r| r["fileinfo"]["file_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);

    let dir = tempfile::tempdir().unwrap();
    let (eve, _) = run(dir.path(), &t, PNG_RULE, "");
    assert!(
        of_type(&eve, "fileinfo")
            .iter()
            .all(|r| r["fileinfo"]["stored"] == false)
    );
    assert!(
        of_type(&eve, "stats").last().unwrap()["stats"]
            .get("file_store")
            .is_none()
    );
}

#[test]
fn alerts_on_a_transaction_list_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let t = downloads(&[("/b.txt", "text/plain", b"just some text here\n")]);
    let rules = "alert http any any -> any any (msg:\"text\"; file_data; content:\"some text\"; sid:3;)\n\
                 alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/b.txt\"; sid:4;)\n";
    let (eve, store) = run(dir.path(), &t, rules, "[files]\nfilestore = \"DIR\"\n");
    let alerts = of_type(&eve, "alert");
    let body = alerts
        .iter()
        .find(|a| a["alert"]["signature_id"] == 3)
        .expect("file_data alert");
    let f = &body["files"];
    assert_eq!(f.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(f[0]["filename"], "/b.txt");
    assert_eq!(f[0]["state"], "CLOSED");
    assert_eq!(f[0]["size"], 20);
    assert!(
        f[0].get("magic").is_none(),
        "magic comes with the fileinfo record"
    );
    assert!(f[0].get("storing").is_none());
    // The request side has no file: no `files`.
    let uri = alerts
        .iter()
        .find(|a| a["alert"]["signature_id"] == 4)
        .expect("uri alert");
    assert!(uri.get("files").is_none(), "{uri}");
    assert!(
        stored_files(&store).is_empty(),
        "no filestore rule: nothing stored"
    );
}
