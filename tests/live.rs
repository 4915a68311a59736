//! Live capture end to end on the loopback interface (build with `--features live`; needs root or
//! CAP_NET_RAW). Traffic goes only to 127.0.0.1.
#![cfg(feature = "live")]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn run_on_loopback_logs_flows_and_stops_cleanly_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sekimori"))
        .args(["run", "-i", "lo", "-f", "udp port 39999", "-l"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sekimori starts");
    std::thread::sleep(Duration::from_millis(1500));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..3 {
        sock.send_to(b"sekimori live test", "127.0.0.1:39999").unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "sekimori did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    let eve = common::read_eve(&dir.path().join("eve.json"));
    let flows = common::of_type(&eve, "flow");
    assert_eq!(flows.len(), 1, "{eve:#?}");
    assert_eq!(flows[0]["dest_port"], 39999);
    assert_eq!(flows[0]["proto"], "UDP");
    assert!(flows[0]["flow"]["pkts_toserver"].as_u64().unwrap() >= 3);
}
