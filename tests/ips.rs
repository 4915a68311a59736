//! Signature actions end to end: `drop` rules in IDS mode only alert; under `--simulate-ips`
//! the packet and the rest of its flow are dropped, as an inline sensor would; every alert also
//! reaches fast.log in Suricata's format.

mod common;

use common::{analyze, of_type};
use sekimori_fixtures::{Link, TcpSession, Trace, ep};

fn c2_session() -> Trace {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("192.168.1.23:49300"), ep("198.51.100.77:80")).mss(1400);
    s.handshake(&mut t)
        .client(&mut t, b"POST /img/status.php HTTP/1.1\r\nHost: cdn.example-partner.jp\r\nContent-Length: 9\r\n\r\nid=PC23&x")
        .server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
        .client(&mut t, b"POST /img/status.php HTTP/1.1\r\nHost: cdn.example-partner.jp\r\nContent-Length: 9\r\n\r\nid=PC23&y")
        .server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
        .close(&mut t);
    t
}

#[test]
fn drop_rule_alerts_in_ids_mode_and_drops_the_flow_in_ips_mode() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("c2.pcap");
    c2_session().write_pcap(&pcap).unwrap();
    let rules = dir.path().join("local.rules");
    std::fs::write(
        &rules,
        "drop tcp $HOME_NET any -> $EXTERNAL_NET 80 (msg:\"LOCAL emdivi-like status post\"; flow:established,to_server; content:\"POST /img/status.php\"; depth:20; classtype:trojan-activity; sid:9000001; rev:2;)\n",
    )
    .unwrap();
    let r = rules.to_str().unwrap();

    // IDS: the rule alerts (allowed); nothing is dropped.
    let (out, eve) = analyze(dir.path(), &["-S", r], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts: Vec<_> = of_type(&eve, "alert").into_iter().filter(|a| a["alert"]["signature_id"] == 9000001).collect();
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert!(alerts.iter().all(|a| a["alert"]["action"] == "allowed"));
    assert!(of_type(&eve, "drop").is_empty());
    let fast = std::fs::read_to_string(dir.path().join("fast.log")).unwrap();
    let line = fast.lines().find(|l| l.contains("[1:9000001:2]")).expect("fast.log line");
    assert!(line.contains("[wDrop] [**] [1:9000001:2] LOCAL emdivi-like status post [**]"), "{line}");
    assert!(line.contains("[Classification: A Network Trojan was detected] [Priority: 1] {TCP} 192.168.1.23:49300 -> 198.51.100.77:80"), "{line}");

    // IPS: the first match blocks; the flow is dropped, so the second request is never seen.
    let (out, eve) = analyze(dir.path(), &["-S", r, "--simulate-ips"], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts: Vec<_> = of_type(&eve, "alert").into_iter().filter(|a| a["alert"]["signature_id"] == 9000001).collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["alert"]["action"], "blocked");
    let drops = of_type(&eve, "drop");
    assert_eq!(drops[0]["drop"]["reason"], "rules");
    assert_eq!(drops[0]["alert"]["signature_id"], 9000001);
    assert_eq!(drops[0]["pcap_cnt"], alerts[0]["pcap_cnt"]);
    assert!(drops.len() > 1 && drops[1..].iter().all(|d| d["drop"]["reason"] == "flow drop"));
    assert_eq!(of_type(&eve, "flow")[0]["flow"]["action"], "drop");
    let fast = std::fs::read_to_string(dir.path().join("fast.log")).unwrap();
    assert!(fast.contains("[Drop] [**] [1:9000001:2]"), "{fast}");
    let stats = &of_type(&eve, "stats")[0]["stats"]["ips"];
    assert_eq!(stats["blocked"].as_u64().unwrap(), drops.len() as u64);
    assert_eq!(stats["drop_reason"]["rules"], 1);
}
