//! The command line as a user meets it: the quick start on the bundled sample, clear one-line
//! errors with exit code 2 for unreadable or corrupt input, truncated captures processed with a
//! warning, bad configuration refused, and `rules check`.

mod common;

use common::{analyze, of_type, sekimori, shared_dir};
use std::path::Path;

fn sample() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/sekimori-sample.pcap"
    ))
}

#[test]
fn bundled_sample_is_what_the_generator_builds() {
    let committed = std::fs::read(sample()).expect("samples/sekimori-sample.pcap is in the repo");
    assert!(
        committed.len() < 2 << 20,
        "the bundled sample must stay small"
    );
    assert_eq!(
        committed,
        sekimori_fixtures::sample::office_hour().pcap_bytes(),
        "regenerate with: cargo run -p sekimori-fixtures --example make_sample"
    );
}

#[test]
fn quick_start_on_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let (out, eve) = analyze(dir.path(), &[], &[sample()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flows = of_type(&eve, "flow");
    // DNS query+answer + web + fragmented DNS answer + ping + 12 beacons + IPv6 + VLAN DNS.
    assert_eq!(flows.len(), 18, "{flows:#?}");
    let beacons = flows
        .iter()
        .filter(|f| f["dest_ip"] == "198.51.100.77")
        .count();
    assert_eq!(beacons, 12);
    assert!(flows.iter().any(|f| f["vlan"] == serde_json::json!([20])));
    assert!(
        flows
            .iter()
            .any(|f| f["proto"] == "ICMP" && f["response_icmp_type"] == 0)
    );
    // The page fetch and the twelve beacons, parsed and logged as Suricata logs them.
    let http = of_type(&eve, "http");
    assert_eq!(http.len(), 13);
    let beacon_posts = http
        .iter()
        .filter(|h| h["http"]["hostname"] == "cdn.example-partner.jp" && h["http"]["http_method"] == "POST")
        .count();
    assert_eq!(beacon_posts, 12);
    assert!(http.iter().any(|h| h["http"]["url"] == "/news/index.html" && h["http"]["status"] == 200));
    let dns = of_type(&eve, "dns");
    assert!(dns.iter().any(|d| d["dns"]["type"] == "answer" && d["dns"]["answers"][0]["rdata"] == "203.0.113.10"));
    assert!(flows.iter().any(|f| f["app_proto"] == "http"));
    // The five-minute calls home are a beacon to the behaviour layer, from the first run.
    let alerts = of_type(&eve, "alert");
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["alert"]["layer"], "behavior");
    assert_eq!(alerts[0]["behavior"]["kind"], "beacon");
    assert_eq!(alerts[0]["src_ip"], "192.168.10.23");
    assert_eq!(alerts[0]["dest_ip"], "198.51.100.77");
    let stats = of_type(&eve, "stats");
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0]["stats"]["decoder"]["pkts"], 167);
    assert_eq!(stats[0]["stats"]["defrag"]["ipv4"]["reassembled"], 1);
    assert_eq!(stats[0]["stats"]["app_layer"]["http"]["requests"], 13);
    assert_eq!(stats[0]["stats"]["app_layer"]["detected_http"], 13);
}

#[test]
fn summary_names_counts_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = sekimori(&[
        "analyze",
        "-l",
        dir.path().to_str().unwrap(),
        sample().to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("analysed 167 packets"), "{err}");
    assert!(err.contains("flow 18"), "{err}");
    assert!(err.contains("alert 1"), "{err}");
    assert!(err.contains("eve.json"), "{err}");
}

#[test]
fn missing_file_is_one_line_exit_2() {
    let out = sekimori(&["analyze", "-q", "/nonexistent/capture.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/capture.pcap"), "{err}");
}

#[test]
fn not_a_pcap_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.pcap");
    std::fs::write(&f, b"these are my notes, not a capture\n").unwrap();
    let out = sekimori(&[
        "analyze",
        "-q",
        "-l",
        dir.path().to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("notes.pcap"), "{err}");
    assert!(err.contains("offset 0"), "{err}");
}

#[test]
fn corrupt_record_names_file_and_offset_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(sample()).unwrap();
    // The first record header starts at 24; its caplen field (offset 32) gets an absurd value.
    bytes[32..36].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let f = dir.path().join("corrupt.pcap");
    std::fs::write(&f, bytes).unwrap();
    let out = sekimori(&[
        "analyze",
        "-q",
        "-l",
        dir.path().to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("corrupt.pcap") && err.contains("offset 24"),
        "{err}"
    );
}

#[test]
fn truncated_capture_is_processed_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(sample()).unwrap();
    let f = dir.path().join("cut.pcap");
    std::fs::write(&f, &bytes[..bytes.len() - 30]).unwrap();
    let out = sekimori(&[
        "analyze",
        "-l",
        dir.path().to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cut.pcap is truncated at byte offset"),
        "{err}"
    );
    assert!(err.contains("analysed 166 packets"), "{err}");
}

#[test]
fn several_files_are_merged_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let (out, eve) = analyze(dir.path(), &[], &[sample(), sample()]);
    assert!(out.status.success());
    let stats = of_type(&eve, "stats");
    assert_eq!(stats[0]["stats"]["decoder"]["pkts"], 334);
}

#[test]
fn bad_config_is_refused_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sekimori.toml");
    std::fs::write(&cfg, "[stream]\npolicy = \"beos\"\n").unwrap();
    let out = sekimori(&[
        "analyze",
        "-q",
        "-c",
        cfg.to_str().unwrap(),
        "-l",
        dir.path().to_str().unwrap(),
        sample().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stream.policy") && err.contains("beos"),
        "{err}"
    );

    std::fs::write(&cfg, "[flow]\nmemkap = 5\n").unwrap();
    let out = sekimori(&[
        "analyze",
        "-q",
        "-c",
        cfg.to_str().unwrap(),
        "-l",
        dir.path().to_str().unwrap(),
        sample().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sekimori.toml") && err.contains("memkap") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn home_net_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let out = sekimori(&[
        "analyze",
        "-q",
        "--home-net",
        "10.0.0.0/8,banana",
        "-l",
        dir.path().to_str().unwrap(),
        sample().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("banana"));
}

#[test]
fn rules_check_reports_json() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("local.rules");
    std::fs::write(
        &rules,
        "alert http any any -> any any (msg:\"ok\"; http.uri; content:\"/a\"; sid:1; rev:1;)\n\
         alert tcp any any -> any any (msg:\"bad\"; frobnicate; sid:2;)\n",
    )
    .unwrap();
    let out = sekimori(&["rules", "check", "--json", rules.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["loaded"], 1);
    assert_eq!(v["failed"], 1);
    assert!(v.get("unsupported").is_some());
}

#[test]
fn et_open_loads_at_least_99_percent() {
    let Some(shared) = shared_dir() else { return };
    let rules = shared.join("data/rules/et-open.rules");
    let out = sekimori(&["rules", "check", "--json", rules.to_str().unwrap()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let loaded = v["loaded"].as_u64().unwrap();
    let failed = v["failed"].as_u64().unwrap();
    assert!(
        loaded as f64 / (loaded + failed) as f64 >= 0.99,
        "loaded {loaded}, failed {failed}"
    );
    assert!(loaded >= 24_500, "loaded {loaded}");
}

#[test]
fn baseline_survives_restarts_and_a_corrupt_state_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let log = dir.path().join("log");
    let run = |sub: &[&str]| {
        let mut args: Vec<&str> = sub.to_vec();
        args.extend(["-q", "--state", state.to_str().unwrap(), "-l", log.to_str().unwrap(), sample().to_str().unwrap()]);
        sekimori(&args)
    };
    // Learning builds the baseline and raises no behaviour alert.
    let out = run(&["baseline", "learn"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(state.join("behavior.db").is_file());
    assert!(of_type(&common::read_eve(&log.join("eve.json")), "alert").is_empty());
    // The next run reads it back.
    let out = run(&["analyze"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    // A corrupt state file is reported and rebuilt, never a crash.
    std::fs::write(state.join("behavior.db"), b"this is not a database").unwrap();
    let out = run(&["analyze"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning"), "{err}");
    assert!(state.join("behavior.db").is_file());
}

#[test]
fn a_rule_that_does_not_load_is_reported_and_skipped_or_fatal_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("local.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any any (msg:\"bad\"; pcre:\"/(/\"; sid:1;)\nalert tcp any any -> any any (msg:\"ok\"; content:\"x\"; sid:2;)\n",
    )
    .unwrap();
    let r = rules.to_str().unwrap();
    // The run goes on with the rules that load, and says what it left out (also when the
    // behaviour baseline reports warnings of its own).
    let (out, _) = analyze(dir.path(), &["-S", r], &[sample()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 rule(s) failed to load"), "{err}");
    // With --init-errors-fatal, as Suricata's flag: exit code 1 and the rule's file and line.
    let (out, _) = analyze(dir.path(), &["-S", r, "--init-errors-fatal"], &[sample()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("local.rules:1:"), "{err}");
}
