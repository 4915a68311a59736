//! Rules on the reassembled stream, end to end, as Suricata 7 runs them: `tcp-stream` rules
//! inspect raw stream data (IDS: once a chunk is waiting, the session closes or the flow ends;
//! inline: every packet with the stream up to its last byte), `tcp-pkt` rules the packet only;
//! the alert shows the data it matched (`payload`, `payload_printable`, `stream`, `packet`)
//! when the output asks for it; `stream_size`, `stream-event`, and the midstream exception
//! policy of an IPS.

mod common;

use common::{analyze, of_type};
use sekimori_fixtures::{Link, TcpSession, Trace, ep};
use serde_json::Value;
use std::path::Path;

const RULES: &str = "alert tcp-stream any any -> any any (content:\"EVIL\"; sid:1;)\n\
alert tcp-stream any any -> any any (content:\"GOOD\"; sid:2;)\n\
alert tcp-pkt any any -> any any (content:\"EVIL\"; sid:3;)\n\
alert tcp-pkt any any -> any any (content:\"GOOD\"; sid:4;)\n\
alert tcp-stream any any -> any any (content:\"VERYGOODDATA\"; sid:7;)\n";

const EVIDENCE: &str =
    "[outputs]\nalert_payload = true\nalert_payload_printable = true\nalert_packet = true\n";

/// GOOD, then EVIL over the same bytes (a retransmission with other data), acknowledged.
fn overlap() -> Trace {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("1.1.1.1:12345"), ep("2.2.2.2:8080")).auto_ack(false);
    s.handshake(&mut t)
        .client_raw(&mut t, 0, b"GOOD")
        .client_raw(&mut t, 0, b"EVIL")
        .server_ack(&mut t);
    t
}

/// Writes `trace` and `rules` (when any) into `dir`, runs `analyze -k none [-S rules] extra`
/// and returns the EVE records; the run must succeed.
fn analyze_trace(dir: &Path, trace: &Trace, rules: Option<&str>, extra: &[&str]) -> Vec<Value> {
    let pcap = dir.join("t.pcap");
    trace.write_pcap(&pcap).unwrap();
    let rules_file = dir.join("t.rules");
    let mut args = vec!["-k", "none"];
    if let Some(r) = rules {
        std::fs::write(&rules_file, r).unwrap();
        args.extend(["-S", rules_file.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    let (out, eve) = analyze(dir, &args, &[&pcap]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eve
}

/// `rules` on `trace`, with the alert evidence fields on.
fn run(dir: &Path, trace: Trace, rules: &str, extra: &[&str]) -> Vec<Value> {
    let cfg = dir.join("t.toml");
    std::fs::write(&cfg, EVIDENCE).unwrap();
    let mut args = vec!["-c", cfg.to_str().unwrap()];
    args.extend_from_slice(extra);
    analyze_trace(dir, &trace, Some(rules), &args)
}

fn alerts(eve: &[Value], sid: u64) -> Vec<&Value> {
    of_type(eve, "alert")
        .into_iter()
        .filter(|a| a["alert"]["signature_id"] == sid)
        .collect()
}

#[test]
fn ids_stream_rules_see_the_first_data_at_flow_end() {
    let dir = tempfile::tempdir().unwrap();
    let eve = run(dir.path(), overlap(), RULES, &[]);
    // The stream keeps the first data (bsd policy); a few bytes never fill a chunk, so the
    // stream is inspected when the flow ends.
    assert!(alerts(&eve, 1).is_empty());
    let s = alerts(&eve, 2);
    assert_eq!(s.len(), 1, "{eve:#?}");
    assert_eq!(s[0]["pkt_src"], "stream (flow timeout)");
    assert_eq!(s[0]["payload"], "R09PRA==");
    assert_eq!(s[0]["payload_printable"], "GOOD");
    assert_eq!(s[0]["stream"], 1);
    assert_eq!(s[0]["direction"], "to_server");
    // Packet rules see each packet as captured.
    for (sid, text) in [(3, "EVIL"), (4, "GOOD")] {
        let p = alerts(&eve, sid);
        assert_eq!(p.len(), 1, "sid {sid}");
        assert_eq!(p[0]["payload_printable"], text);
        assert_eq!(p[0]["stream"], 0);
        assert_eq!(p[0]["pkt_src"], "wire/pcap");
        assert!(p[0]["packet"].as_str().is_some_and(|b| b.len() > 70));
        assert_eq!(p[0]["packet_info"]["linktype"], 1);
    }
}

#[test]
fn inline_inspects_retransmissions_as_the_stream_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let eve = run(
        dir.path(),
        overlap(),
        RULES,
        &["--simulate-ips", "--set", "stream.inline=yes"],
    );
    // Both data packets inspect the stream (GOOD) and are shown with the stream's bytes.
    assert!(alerts(&eve, 1).is_empty());
    assert!(
        alerts(&eve, 3).is_empty(),
        "EVIL never reaches the rules inline"
    );
    let s = alerts(&eve, 2);
    assert_eq!(s.len(), 2, "{eve:#?}");
    assert!(
        s.iter()
            .all(|a| a["stream"] == 1 && a["payload_printable"] == "GOOD")
    );
    let p = alerts(&eve, 4);
    assert_eq!(p.len(), 2);
    // The retransmission is shown with the stream's bytes, its TCP checksum fixed up.
    for a in p {
        let bytes = unbase64(a["packet"].as_str().unwrap());
        assert!(bytes.ends_with(b"GOOD"));
        assert!(tcp_checksum_ok(&bytes), "{bytes:?}");
    }
}

fn unbase64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    } as u32;
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &c)| a | val(c) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Ethernet + IPv4 + TCP: is the TCP checksum right?
fn tcp_checksum_ok(f: &[u8]) -> bool {
    let ip = &f[14..];
    let ihl = usize::from(ip[0] & 15) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let seg = &ip[ihl..total];
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
    };
    add(&ip[12..20]);
    add(&[0, 6]);
    add(&(seg.len() as u16).to_be_bytes());
    add(seg);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum == 0xffff
}

#[test]
fn holes_split_the_stream_and_show_in_the_payload() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("1.1.1.1:12345"), ep("2.2.2.2:8080")).auto_ack(false);
    s.handshake(&mut t)
        .client_raw(&mut t, 0, b"VERY")
        .client_raw(&mut t, 8, b"DATA")
        .server_ack(&mut t);
    let rules = "alert tcp-stream any any -> any any (content:\"VERY\"; sid:11;)\n\
                 alert tcp-stream any any -> any any (content:\"DATA\"; sid:12;)\n\
                 alert tcp-stream any any -> any any (content:\"VERYGOODDATA\"; sid:13;)\n";
    let eve = run(dir.path(), t, rules, &[]);
    for sid in [11, 12] {
        let a = alerts(&eve, sid);
        assert_eq!(a.len(), 1, "sid {sid}: {eve:#?}");
        assert_eq!(a[0]["payload_printable"], "VERY[4 bytes missing]DATA");
    }
    assert!(alerts(&eve, 13).is_empty());
}

#[test]
fn stream_rules_fire_when_the_session_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("1.1.1.1:12345"), ep("2.2.2.2:80"));
    s.handshake(&mut t)
        .client(&mut t, b"xxEVILxx")
        .rst_client(&mut t);
    let eve = run(dir.path(), t, RULES, &[]);
    let a = alerts(&eve, 1);
    assert_eq!(a.len(), 1, "{eve:#?}");
    // on the RST (a packet), not at flow end
    assert_eq!(a[0]["pkt_src"], "wire/pcap");
    assert_eq!(a[0]["pcap_cnt"], 6);
}

#[test]
fn stream_size_keyword() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40000"), ep("10.0.0.2:80"));
    s.handshake(&mut t)
        .client(&mut t, b"hello")
        .server(&mut t, &[b'x'; 300])
        .client(&mut t, b"bye");
    let rules = "alert tcp any any -> any any (flow:to_server; content:\"bye\"; stream_size:server,>,300; sid:21;)\n\
         alert tcp any any -> any any (flow:to_server; content:\"bye\"; stream_size:server,<,300; sid:22;)\n\
         alert tcp any any -> any any (flow:to_server; content:\"hello\"; stream_size:client,=,6; sid:23;)\n";
    let eve = analyze_trace(dir.path(), &t, Some(rules), &[]);
    // server sent 300 bytes + SYN: 301
    assert_eq!(alerts(&eve, 21).len(), 1, "{eve:#?}");
    assert!(alerts(&eve, 22).is_empty());
    // client: SYN + "hello"
    assert_eq!(alerts(&eve, 23).len(), 1);
}

#[test]
fn midstream_policy_drops_the_flow_in_ips_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40000"), ep("10.0.0.2:80"));
    s.client(&mut t, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let policy = ["--set", "stream.midstream-policy=drop-flow"];
    let eve = analyze_trace(dir.path(), &t, None, &[&["--simulate-ips"][..], &policy].concat());
    let drops = of_type(&eve, "drop");
    assert!(drops.len() >= 2, "{eve:#?}");
    assert_eq!(drops[0]["drop"]["reason"], "stream midstream");
    assert!(
        drops[1..]
            .iter()
            .all(|d| d["drop"]["reason"] == "flow drop")
    );
    assert_eq!(of_type(&eve, "flow")[0]["flow"]["action"], "drop");
    assert!(of_type(&eve, "http").is_empty());
    // IDS mode: the policy does nothing.
    let eve = analyze_trace(dir.path(), &t, None, &policy);
    assert!(of_type(&eve, "drop").is_empty());
}

#[test]
fn plain_tcp_rules_match_across_packets_on_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40000"), ep("10.0.0.2:143"));
    s.handshake(&mut t)
        .client_segments(&mut t, &[b"a1 LOGIN us", b"er secret\r\n"])
        .close(&mut t);
    let rules = "alert tcp any any -> any 143 (content:\"LOGIN user\"; sid:31;)\n\
         alert tcp any any -> any 143 (flow:established,to_server; content:\"LOGIN user\"; sid:32;)\n\
         alert tcp any any -> any 143 (content:\"LOGIN us\"; sid:33;)\n";
    let eve = analyze_trace(dir.path(), &t, Some(rules), &[]);
    // a payload-only rule inspects the stream: it sees the words across the segment boundary,
    // once, when the session closes
    let a = alerts(&eve, 31);
    assert_eq!(a.len(), 1, "{eve:#?}");
    assert_eq!(a[0]["pkt_src"], "wire/pcap");
    // a rule testing the packet (flow:established) sees each packet alone
    assert!(alerts(&eve, 32).is_empty());
    // and the stream is inspected once: no second alert for data seen in the first segment
    assert_eq!(alerts(&eve, 33).len(), 1);
}

#[test]
fn a_flow_swapped_after_detection_keeps_parsing_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trace::new(Link::Ethernet);
    // Picked up midstream with the server's response: detection swaps the flow.
    let mut s = TcpSession::new(ep("172.16.9.181:38498"), ep("172.16.9.189:80"));
    s.server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .client(&mut t, b"GET /favicon.ico HTTP/1.1\r\nHost: a\r\n\r\n")
        .server(
            &mut t,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        )
        .close(&mut t);
    let eve = analyze_trace(dir.path(), &t, None, &["--set", "stream.midstream=true"]);
    let http = of_type(&eve, "http");
    // the lone response, then the request with its response
    assert!(
        http.iter()
            .any(|h| h["http"]["url"] == "/favicon.ico" && h["http"]["status"] == 404),
        "{http:#?}"
    );
    let unmatched = of_type(&eve, "anomaly")
        .into_iter()
        .filter(|a| a["anomaly"]["event"] == "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST")
        .count();
    assert_eq!(unmatched, 1, "{eve:#?}");
    assert_eq!(of_type(&eve, "flow")[0]["dest_port"], 80);
}
