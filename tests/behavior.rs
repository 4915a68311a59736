//! The behaviour layer end to end: pcaps built by the fixture builder go through the whole
//! pipeline, and the alerts that come out are checked.

mod common;

use common::{analyze, of_type};
use sekimori_fixtures::{Link, TcpSession, Trace, Ts, ep};

/// Deterministic jitter in [-1, 1).
fn jitter(i: u64) -> f64 {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    (x % 2000) as f64 / 1000.0 - 1.0
}

fn write(dir: &std::path::Path, name: &str, t: &Trace) -> std::path::PathBuf {
    let p = dir.join(name);
    t.write_pcap(&p).unwrap();
    p
}

#[test]
fn beacon_every_120s_with_jitter_and_missed_beats_is_found() {
    // A PC calls an outside host every 120 s ±10% for three hours; three beats are missed.
    let start = Ts::new(1_700_000_000, 0);
    let mut t = Trace::new(Link::Ethernet);
    let mut at = 0.0f64;
    for i in 0..90u64 {
        at += 120.0 * (1.0 + 0.1 * jitter(i));
        if [20, 45, 70].contains(&i) {
            continue; // missed beats
        }
        t.at(start.plus_micros((at * 1e6) as u64));
        let mut s = TcpSession::new(ep(&format!("192.168.1.50:{}", 40000 + i)), ep("203.0.113.99:443"));
        s.handshake(&mut t).client(&mut t, &[0x17; 120]).server(&mut t, &[0x17; 60]).close(&mut t);
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = write(dir.path(), "beacon.pcap", &t);
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let beacons: Vec<_> = of_type(&eve, "alert").into_iter().filter(|a| a["behavior"]["kind"] == "beacon").collect();
    assert!(!beacons.is_empty(), "no beacon alert");
    assert_eq!(beacons[0]["src_ip"], "192.168.1.50");
    assert_eq!(beacons[0]["dest_ip"], "203.0.113.99");
    let score = beacons[0]["behavior"]["score"].as_f64().unwrap();
    assert!(score >= 0.75, "score {score}");
}

#[test]
fn ntp_every_64s_is_not_a_beacon() {
    let start = Ts::new(1_700_000_000, 0);
    let mut t = Trace::new(Link::Ethernet);
    for i in 0..200u64 {
        t.at(start.plus_micros(i * 64_000_000));
        // A new source port each time (as systemd-timesyncd does), so each poll is its own flow.
        let client = format!("192.168.1.60:{}", 41000 + i);
        t.udp(ep(&client), ep("198.51.100.123:123"), &[0x23; 48]);
        t.udp(ep("198.51.100.123:123"), ep(&client), &[0x24; 48]);
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = write(dir.path(), "ntp.pcap", &t);
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
    assert!(out.status.success());
    assert_eq!(of_type(&eve, "flow").len(), 200, "each poll is a flow the layer sees");
    let alerts = of_type(&eve, "alert");
    assert!(alerts.is_empty(), "{alerts:#?}");
}
