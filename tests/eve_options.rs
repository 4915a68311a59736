//! EVE options and conventions as Suricata has them: the alert's `flow` object, flowbit
//! variables (`traffic`, `metadata`), `community_id`, conditional logging (`config:`), the
//! engine log (`sekimori.log`) and `--engine-analysis`.

mod common;

use common::{analyze, of_type, sekimori};
use sekimori_fixtures::{Link, TcpSession, Trace, ep};
use std::path::Path;

/// One HTTP GET and its answer, then a close.
fn http_pcap(dir: &Path) -> std::path::PathBuf {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40000"), ep("10.0.0.2:80"));
    s.handshake(&mut t);
    s.client(&mut t, b"GET /x HTTP/1.1\r\nHost: test.example\r\nUser-Agent: Mozilla/5.0\r\n\r\n");
    s.server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    s.close(&mut t);
    let p = dir.join("http.pcap");
    t.write_pcap(&p).unwrap();
    p
}

fn rules(dir: &Path, text: &str) -> String {
    let p = dir.join("t.rules");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn alerts_carry_the_flow_and_its_variables() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = http_pcap(dir.path());
    let r = rules(
        dir.path(),
        "alert http any any -> any any (http.user_agent; content:\"Mozilla\"; flowbits:set,traffic/id/moz; flowbits:set,seen; sid:1;)\n",
    );
    let out_dir = dir.path().join("out");
    let (out, eve) = analyze(&out_dir, &["-S", &r, "-k", "none"], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts = of_type(&eve, "alert");
    assert_eq!(alerts.len(), 1, "{eve:#?}");
    let a = alerts[0];
    // The flow object: counters so far, start, the flow's endpoints.
    assert_eq!(a["flow"]["src_ip"], "10.0.0.1");
    assert_eq!(a["flow"]["dest_port"], 80);
    assert!(a["flow"]["pkts_toserver"].as_u64().unwrap() >= 2);
    assert!(a["flow"]["start"].is_string());
    assert_eq!(a["traffic"]["id"], serde_json::json!(["moz"]));
    assert_eq!(a["metadata"]["flowbits"], serde_json::json!(["seen"]));
    for t in ["http", "flow"] {
        let r = of_type(&eve, t);
        assert_eq!(r[0]["traffic"]["id"], serde_json::json!(["moz"]), "{t}");
    }
    // No community_id unless asked for.
    assert!(eve.iter().all(|r| r.get("community_id").is_none()));
    // The engine log says what was loaded.
    let log = std::fs::read_to_string(out_dir.join("sekimori.log")).unwrap();
    assert!(log.contains("<Info> -- main: This is sekimori version"), "{log}");
}

#[test]
fn community_id_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = http_pcap(dir.path());
    let (out, eve) = analyze(
        &dir.path().join("out"),
        &["-k", "none", "--set", "outputs.community_id=true"],
        &[&pcap],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The value itself is checked against the specification in sekimori-eve; here: every
    // record of the flow carries the same one.
    let want = of_type(&eve, "flow")[0]["community_id"].as_str().unwrap().to_string();
    assert!(want.starts_with("1:") && want.len() == 30, "{want}");
    for t in ["http", "flow"] {
        let r = of_type(&eve, t);
        assert_eq!(r[0]["community_id"], want.as_str(), "{t}");
    }
}

#[test]
fn config_rule_switches_the_transaction_record_off() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = http_pcap(dir.path());
    let r = rules(
        dir.path(),
        "config http any any -> any any (http.host; content:\"test\"; config:logging disable, type tx, scope tx; sid:1;)\n",
    );
    let (out, eve) = analyze(&dir.path().join("out"), &["-S", &r, "-k", "none"], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(of_type(&eve, "http").is_empty(), "{eve:#?}");
    assert!(of_type(&eve, "alert").is_empty());
    assert_eq!(of_type(&eve, "flow").len(), 1);
    // A config rule that does not match leaves the record alone.
    let r = rules(
        dir.path(),
        "config http any any -> any any (http.host; content:\"other\"; config:logging disable, type tx, scope tx; sid:1;)\n",
    );
    let (_, eve) = analyze(&dir.path().join("out2"), &["-S", &r, "-k", "none"], &[&pcap]);
    assert_eq!(of_type(&eve, "http").len(), 1);
}

#[test]
fn engine_analysis_reports_rules_in_suricatas_words() {
    let dir = tempfile::tempdir().unwrap();
    let r = rules(
        dir.path(),
        "alert http any any -> any any (http.uri; content:\"abcdef\"; bsize:2; sid:1;)\n\
         alert http any any -> any any (http.uri; content:\"a\"; sid:2;)\n",
    );
    let out_dir = dir.path().join("out");
    let o = out_dir.display().to_string();
    let out = sekimori(&["analyze", "-q", "-l", &o, "-S", &r, "--engine-analysis"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let log = std::fs::read_to_string(out_dir.join("sekimori.log")).unwrap();
    assert!(log.contains("<Error> -- detect-bsize: signature can't match as required content length 6 exceeds bsize value: 2"), "{log}");
    assert!(log.contains("error parsing signature \"alert http any any -> any any (http.uri; content:\"abcdef\"; bsize:2; sid:1;)\""));
    assert!(log.contains("1 rule files processed. 1 rules successfully loaded, 1 rules failed, 0 rules skipped"));
    let analysis = std::fs::read_to_string(out_dir.join("rules.json")).unwrap();
    let lines: Vec<serde_json::Value> = analysis.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], 2);
    assert_eq!(lines[0]["lists"], serde_json::json!(["http.uri"]));
    // With --init-errors-fatal the failure is fatal: exit code 1, and the log says so.
    let out = sekimori(&["analyze", "-q", "-l", &o, "-S", &r, "--engine-analysis", "--init-errors-fatal"]);
    assert_eq!(out.status.code(), Some(1));
    let log = std::fs::read_to_string(out_dir.join("sekimori.log")).unwrap();
    assert!(log.trim_end().ends_with("<Error> -- main: Loading signatures failed."), "{log}");
}

#[test]
fn fragments_are_inspected_as_packets_without_a_flow() {
    let dir = tempfile::tempdir().unwrap();
    let whole = sekimori_fixtures::udp_packet(ep("[2001:db8::1]:5000"), ep("[2001:db8::2]:53"), &[0x41; 64]);
    let frags = sekimori_fixtures::fragment(&whole, 16, 7).unwrap();
    // The second fragment comes twice: the reassembler sees an overlap.
    let mut t = Trace::new(Link::Ethernet);
    t.push_ips(&sekimori_fixtures::pick(&frags, &[0, 1, 1, 2, 3, 4]));
    let pcap = dir.path().join("frag.pcap");
    t.write_pcap(&pcap).unwrap();
    let r = rules(
        dir.path(),
        "alert pkthdr any any -> any any (decode-event:ipv6.frag_overlap; sid:2200072;)\n\
         alert ipv6 any any -> any any (ipv6.hdr; content:\"|2c|\"; offset:6; depth:1; sid:2;)\n",
    );
    let (out, eve) = analyze(&dir.path().join("out"), &["-S", &r, "-k", "none"], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts = of_type(&eve, "alert");
    let overlap: Vec<_> = alerts.iter().filter(|a| a["alert"]["signature_id"] == 2200072).collect();
    assert_eq!(overlap.len(), 1, "{alerts:#?}");
    assert_eq!(overlap[0]["pcap_cnt"], 3);
    assert_eq!(overlap[0]["proto"], "IPv6-Frag");
    assert!(overlap[0].get("flow_id").is_none());
    assert!(overlap[0].get("flow").is_none());
    // `ipv6.hdr` sees every fragment's header (next header 44, the Fragment header).
    assert_eq!(alerts.iter().filter(|a| a["alert"]["signature_id"] == 2).count(), 6);
}
