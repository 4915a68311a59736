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

use sekimori_fixtures::{Smb2, dns_answer, dns_query, tls_session};


fn behavior_alerts(eve: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    of_type(eve, "alert").into_iter().filter(|a| a["alert"]["layer"] == "behavior").collect()
}

/// Runs `sekimori analyze` with a state directory and an optional config; checks it succeeded.
fn run_state(dir: &std::path::Path, state: &std::path::Path, toml: &str, pcap: &std::path::Path) -> Vec<serde_json::Value> {
    let cfg = dir.join("behavior.toml");
    std::fs::write(&cfg, toml).unwrap();
    let out_dir = dir.join(format!("out-{}", pcap.file_stem().unwrap().to_string_lossy()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let (out, eve) = analyze(&out_dir, &["-c", cfg.to_str().unwrap(), "--state", state.to_str().unwrap()], &[pcap]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eve
}

/// `sekimori baseline learn --state STATE PCAP`.
fn learn(state: &std::path::Path, pcap: &std::path::Path) {
    let out = common::sekimori(&["baseline", "learn", "-q", "--state", state.to_str().unwrap(), pcap.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn beacon_every_30_minutes_over_a_working_day_is_found_by_name() {
    // 09:00 to 18:00, one HTTP POST every 30 minutes ±2 minutes to a compromised company site.
    let day = Ts::new(1_431_907_200 + 9 * 3600, 0); // 2015-05-18 09:00 UTC
    let mut t = Trace::new(Link::Ethernet);
    for i in 0..19u64 {
        let at = i as f64 * 1800.0 + 120.0 * jitter(i + 7);
        t.at(day.plus_micros((at.max(0.0) * 1e6) as u64));
        let mut s = TcpSession::new(ep(&format!("192.168.1.70:{}", 45000 + i)), ep("198.51.100.40:80"));
        let body = format!("u=PC70&n={i}");
        let req = format!("POST /wp/images/logo.php HTTP/1.1\r\nHost: www.kaisha-example.co.jp\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        s.handshake(&mut t).client(&mut t, req.as_bytes()).server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n").close(&mut t);
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = write(dir.path(), "c2-30min.pcap", &t);
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
    assert!(out.status.success());
    let beacons: Vec<_> = behavior_alerts(&eve).into_iter().filter(|a| a["behavior"]["kind"] == "beacon").collect();
    assert!(!beacons.is_empty(), "no beacon alert: {:#?}", behavior_alerts(&eve));
    let b = beacons.last().unwrap();
    assert_eq!(b["src_ip"], "192.168.1.70");
    assert_eq!(b["behavior"]["peer"], "www.kaisha-example.co.jp", "named from the HTTP Host");
    let interval = b["behavior"]["interval_s"].as_f64().unwrap();
    assert!((1700.0..1900.0).contains(&interval), "interval {interval}");
    // The alert reached fast.log too.
    let fast = std::fs::read_to_string(dir.path().join("fast.log")).unwrap();
    assert!(fast.lines().any(|l| l.contains("192.168.1.70") && l.contains("[1:80")), "{fast}");
}

/// A PC whose browser polls `host` over TLS every 60 s for three hours.
fn polling(host: &str, addr: &str) -> Trace {
    let start = Ts::new(1_431_939_600, 0);
    let mut t = Trace::new(Link::Ethernet);
    for i in 0..180u64 {
        t.at(start.plus_micros(i * 60_000_000 + (jitter(i) * 2e6 + 2e6) as u64));
        let mut s = TcpSession::new(ep(&format!("192.168.1.80:{}", 46000 + i)), ep(addr)).mss(1400);
        tls_session(&mut t, &mut s, host, 900, 2500);
    }
    t
}

#[test]
fn polling_of_allowlisted_services_is_not_a_beacon() {
    let dir = tempfile::tempdir().unwrap();
    // Windows' connectivity check is on the built-in allowlist.
    let pcap = write(dir.path(), "ncsi.pcap", &polling("www.msftconnecttest.com", "13.107.4.52:443"));
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
    assert!(out.status.success());
    assert!(behavior_alerts(&eve).is_empty(), "{:#?}", behavior_alerts(&eve));

    // A mail web app polled by the browser: a beacon by shape, until the site is allowlisted.
    let pcap = write(dir.path(), "webmail.pcap", &polling("outlook.office365.com", "52.97.1.10:443"));
    let state = dir.path().join("state-a");
    let eve = run_state(dir.path(), &state, "", &pcap);
    assert!(
        behavior_alerts(&eve).iter().any(|a| a["behavior"]["kind"] == "beacon" && a["behavior"]["peer"] == "outlook.office365.com"),
        "the shape alone is a beacon (this is what the allowlist is for)"
    );
    let state = dir.path().join("state-b");
    let eve = run_state(dir.path(), &state, "[behavior]\nallowlist = [\"office365.com\"]\n", &pcap);
    assert!(behavior_alerts(&eve).is_empty(), "{:#?}", behavior_alerts(&eve));
}

/// A deterministic pseudo-random sequence.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SITES: &[(&str, &str)] = &[
    ("www.yahoo.co.jp", "182.22.25.124"),
    ("news.yahoo.co.jp", "182.22.24.252"),
    ("www.google.com", "142.250.196.100"),
    ("www.nikkei.com", "23.52.160.90"),
    ("www.asahi.com", "23.52.161.21"),
    ("www.mhlw.go.jp", "203.0.113.131"),
    ("www.amazon.co.jp", "52.119.168.48"),
    ("www.rakuten.co.jp", "133.237.16.176"),
    ("ja.wikipedia.org", "103.102.166.224"),
    ("www.jma.go.jp", "203.0.113.140"),
    ("outlook.office365.com", "52.97.1.10"),
    ("teams.microsoft.com", "52.113.194.132"),
    ("www.youtube.com", "142.250.196.110"),
    ("qiita.com", "54.199.165.12"),
    ("www.japanpost.jp", "203.0.113.150"),
];

/// One working day of ordinary office traffic for `hosts` PCs: each looks a site up, then visits
/// it over TLS (a few KB up, tens to hundreds of KB down) at irregular times, 09:00–18:00.
fn office_day(day: u64, hosts: &[&str], rng: &mut Lcg, t: &mut Trace) {
    let start = 1_431_907_200 + day * 86_400 + 9 * 3600;
    let mut visits: Vec<(u64, usize, usize)> = Vec::new();
    for (h, _) in hosts.iter().enumerate() {
        for _ in 0..40 {
            visits.push((rng.below(9 * 3600), h, rng.below(SITES.len() as u64) as usize));
        }
    }
    visits.sort();
    for (n, (at, h, site)) in visits.into_iter().enumerate() {
        let (name, addr) = SITES[site];
        t.at(Ts::new((start + at) as u32, 0));
        let client_dns = format!("{}:{}", hosts[h], 50000 + n % 10000);
        let id = (n % 65536) as u16;
        t.udp(ep(&client_dns), ep("192.168.1.1:53"), &dns_query(id, name));
        t.udp(ep("192.168.1.1:53"), ep(&client_dns), &dns_answer(id, name, &[addr.parse().unwrap()]));
        let mut s = TcpSession::new(ep(&format!("{}:{}", hosts[h], 20000 + n % 30000)), ep(&format!("{addr}:443"))).mss(1400);
        let up = 600 + rng.below(2500) as usize;
        let down = 20_000 + rng.below(200_000) as usize;
        tls_session(t, &mut s, name, up, down);
    }
}

#[test]
fn a_day_of_ordinary_browsing_raises_nothing_that_matters() {
    let hosts = ["192.168.1.101", "192.168.1.102", "192.168.1.103", "192.168.1.104", "192.168.1.105", "192.168.1.106"];
    let mut rng = Lcg(42);
    let mut t = Trace::new(Link::Ethernet);
    office_day(0, &hosts, &mut rng, &mut t);
    t.sort_by_time();
    let dir = tempfile::tempdir().unwrap();
    let pcap = write(dir.path(), "browsing.pcap", &t);
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
    assert!(out.status.success());
    let flows = of_type(&eve, "flow");
    assert!(flows.iter().filter(|f| f["app_proto"] == "tls").count() >= 200, "the day is real traffic: {} flows", flows.len());
    let serious: Vec<_> = behavior_alerts(&eve).into_iter().filter(|a| a["alert"]["severity"].as_u64().unwrap() < 4).collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert!(of_type(&eve, "incident").is_empty());
}

#[test]
fn large_tls_upload_to_a_first_seen_host_after_a_week_of_small_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let pc = "192.168.1.101";
    // A week of ordinary days teaches the baseline what this office uploads.
    let mut rng = Lcg(7);
    let mut week = Trace::new(Link::Ethernet);
    for day in 0..7 {
        office_day(day, &[pc, "192.168.1.102"], &mut rng, &mut week);
    }
    week.sort_by_time();
    learn(&state, &write(dir.path(), "week.pcap", &week));

    // Day 8: 8 MB over TLS to a host never seen before.
    let mut t = Trace::new(Link::Ethernet);
    t.at(Ts::new(1_431_907_200 + 7 * 86_400 + 14 * 3600, 0));
    let mut s = TcpSession::new(ep(&format!("{pc}:51515")), ep("198.51.100.200:443")).mss(1400);
    tls_session(&mut t, &mut s, "upload.storage-example.net", 8 << 20, 4000);
    let eve = run_state(dir.path(), &state, "", &write(dir.path(), "upload.pcap", &t));
    let alerts = behavior_alerts(&eve);
    let exfil: Vec<_> = alerts.iter().filter(|a| a["behavior"]["kind"] == "exfil_volume").collect();
    assert_eq!(exfil.len(), 1, "{alerts:#?}");
    assert_eq!(exfil[0]["src_ip"], pc);
    assert_eq!(exfil[0]["dest_ip"], "198.51.100.200");
    assert!(exfil[0]["alert"]["severity"].as_u64().unwrap() <= 2, "{:#?}", exfil[0]);
    assert!(
        alerts.iter().any(|a| a["behavior"]["kind"] == "first_seen" && a["behavior"]["peer"] == "upload.storage-example.net"),
        "{alerts:#?}"
    );

    // The same upload size to a destination the office uses every day is not first-seen.
    let mut t = Trace::new(Link::Ethernet);
    t.at(Ts::new(1_431_907_200 + 7 * 86_400 + 15 * 3600, 0));
    let mut s = TcpSession::new(ep(&format!("{pc}:51516")), ep("182.22.25.124:443")).mss(1400);
    tls_session(&mut t, &mut s, "www.yahoo.co.jp", 20_000, 40_000);
    let eve = run_state(dir.path(), &state, "", &write(dir.path(), "usual.pcap", &t));
    assert!(behavior_alerts(&eve).is_empty(), "{:#?}", behavior_alerts(&eve));
}

#[test]
fn twenty_five_smb_reads_in_two_minutes_by_a_pc_that_reads_two() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let pc = "192.168.1.101";
    let fs = "192.168.1.20:445";
    // A week in which the PC opens two documents a day on the file server.
    let mut week = Trace::new(Link::Ethernet);
    for day in 0..7u64 {
        week.at(Ts::new((1_431_907_200 + day * 86_400 + 10 * 3600) as u32, 0));
        let mut s = TcpSession::new(ep(&format!("{pc}:{}", 49000 + day)), ep(fs)).mss(1400);
        let mut smb = Smb2::new();
        smb.login(&mut week, &mut s, "NENKIN", "tanaka", "\\\\fs01\\kyotsu");
        smb.read_file(&mut week, &mut s, &format!("shiryo\\day{day}-a.docx"), &[0x50; 30_000]);
        smb.read_file(&mut week, &mut s, &format!("shiryo\\day{day}-b.xlsx"), &[0x51; 20_000]);
        s.close(&mut week);
    }
    learn(&state, &write(dir.path(), "week.pcap", &week));

    // Day 8: 25 files of the personnel share within two minutes.
    let mut t = Trace::new(Link::Ethernet);
    t.at(Ts::new(1_431_907_200 + 7 * 86_400 + 11 * 3600, 0));
    let mut s = TcpSession::new(ep(&format!("{pc}:49100")), ep(fs)).mss(1400);
    let mut smb = Smb2::new();
    smb.login(&mut t, &mut s, "NENKIN", "tanaka", "\\\\fs01\\jinji");
    for i in 0..25 {
        t.advance_us(4_000_000);
        smb.read_file(&mut t, &mut s, &format!("kanyusha\\2015-05\\list{i:03}.csv"), &[0x30 + (i % 10) as u8; 40_000]);
    }
    s.close(&mut t);
    let eve = run_state(dir.path(), &state, "", &write(dir.path(), "bulk.pcap", &t));
    assert_eq!(of_type(&eve, "fileinfo").len(), 25);
    let bulk: Vec<_> = behavior_alerts(&eve).into_iter().filter(|a| a["behavior"]["kind"] == "bulk_read").collect();
    assert!(!bulk.is_empty(), "{:#?}", behavior_alerts(&eve));
    assert_eq!(bulk[0]["src_ip"], pc);
    assert_eq!(bulk[0]["dest_ip"], "192.168.1.20");
    let files = bulk.iter().map(|a| a["behavior"]["connections"].as_u64().unwrap_or(0)).max().unwrap();
    assert!(files >= 20, "{bulk:#?}");
}

#[test]
fn alerts_of_other_layers_join_the_host_incident() {
    // One PC: a beacon to its C&C, then a roster leaves by HTTP upload (DLP).
    let start = Ts::new(1_431_939_600, 0);
    let mut t = Trace::new(Link::Ethernet);
    for i in 0..40u64 {
        t.at(start.plus_micros(i * 120_000_000));
        let mut s = TcpSession::new(ep(&format!("192.168.1.90:{}", 47000 + i)), ep("198.51.100.77:80"));
        let req = "GET /img/a.gif HTTP/1.1\r\nHost: c2.example-partner.jp\r\n\r\n";
        s.handshake(&mut t).client(&mut t, req.as_bytes()).server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close(&mut t);
    }
    let mut csv = String::from("氏名,基礎年金番号\r\n");
    for i in 0..20 {
        csv.push_str(&format!("山田{i}郎,{:04}-{:06}\r\n", 1000 + i, 200_000 + i * 3));
    }
    let mut req = format!(
        "POST /up HTTP/1.1\r\nHost: c2.example-partner.jp\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        csv.len()
    )
    .into_bytes();
    req.extend_from_slice(csv.as_bytes());
    t.at(start.plus_micros(41 * 120_000_000));
    let mut s = TcpSession::new(ep("192.168.1.90:48000"), ep("198.51.100.77:80")).mss(1400);
    s.handshake(&mut t).client(&mut t, &req).server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").close(&mut t);
    let dir = tempfile::tempdir().unwrap();
    let pcap = write(dir.path(), "story.pcap", &t);
    let (out, eve) = analyze(dir.path(), &[], &[&pcap]);
    assert!(out.status.success());
    assert!(of_type(&eve, "alert").iter().any(|a| a["alert"]["layer"] == "dlp"));
    let incidents = of_type(&eve, "incident");
    assert!(!incidents.is_empty(), "no incident");
    let last = incidents.last().unwrap().to_string();
    assert!(last.contains("192.168.1.90"), "{last}");
    assert!(last.contains("\"dlp\"") && last.contains("\"behavior\""), "both layers in the story: {last}");
}
