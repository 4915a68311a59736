//! End-to-end scenarios of the behaviour layer on synthetic, deterministic flow streams.

mod common;

use common::*;
use sekimori_behavior::{
    Behavior, BehaviorConfig, BehaviorKind, FlowSummary, Layer, LayerAlert, Stage, StoreWarning,
};

fn cfg() -> BehaviorConfig {
    BehaviorConfig::default()
}

#[allow(clippy::too_many_arguments)]
fn beacon_events(
    rng: &mut Rng,
    host: sekimori_decode::Addr,
    name: &str,
    from: i64,
    span: i64,
    period: f64,
    jitter: f64,
    skip: &[usize],
) -> Vec<Ev> {
    let name = name.to_string();
    periodic(rng, from, span, period, jitter, skip, |t, r| {
        tls(
            t,
            host,
            &name,
            380 + r.range(0, 24) as u64,
            1200 + r.range(0, 200) as u64,
        )
    })
}

#[test]
fn beacon_120s_with_jitter_and_missed_beats_is_found() {
    let mut rng = Rng(1);
    let host = ip(10, 0, 0, 5);
    let mut evs = beacon_events(
        &mut rng,
        host,
        "cdn-update.evil.example",
        T0 + 9 * HOUR,
        3 * HOUR,
        120.0,
        0.10,
        &[17, 40, 63],
    );
    // Some ordinary traffic of the same host alongside.
    evs.extend(browse(
        &mut rng,
        host,
        &["www.google.com", "news.example.jp"],
        T0 + 9 * HOUR,
        T0 + 12 * HOUR,
        15,
    ));
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    let beacons = of_kind(&alerts, BehaviorKind::Beacon);
    let first: Vec<_> = beacons.iter().filter(|a| !a.behavior.update).collect();
    assert_eq!(
        first.len(),
        1,
        "one episode, one first record: {beacons:#?}"
    );
    let a = first[0];
    assert_eq!(a.behavior.peer, "cdn-update.evil.example");
    assert_eq!(a.src, host);
    assert_eq!(a.dest_port, 443);
    assert!(a.behavior.score >= 0.75, "score {}", a.behavior.score);
    // The latest record (first or update) covers the whole series with the missed beats split.
    let last = beacons.last().unwrap();
    assert!(last.behavior.score >= 0.75);
    assert!(last.behavior.evidence["missed_beats"].as_u64().unwrap() >= 1);
    let iv = last.behavior.interval_s.unwrap();
    assert!((110.0..=130.0).contains(&iv), "interval {iv}");
    assert!(a.severity <= 2);
    assert_eq!(a.signature_id, 8_040_001);
    // The finish() rescoring over the full 3 h: compute directly from the evidence of the last record.
    assert!(last.behavior.connections.unwrap() >= 40);
    // No other kind fired (learning period: no first-seen; small volumes).
    assert!(
        alerts
            .iter()
            .all(|x| x.behavior.kind == BehaviorKind::Beacon)
    );
    // Ordinary browsing of the same host is not a beacon.
    assert!(
        beacons
            .iter()
            .all(|x| x.behavior.peer == "cdn-update.evil.example")
    );
}

#[test]
fn missed_beats_do_not_break_the_score() {
    use sekimori_behavior::beacon::{Scratch, score_pair};
    let host = ip(10, 0, 0, 5);
    let times = |skip: &[usize]| -> Vec<(i64, u64)> {
        let mut rng = Rng(11);
        beacon_events(
            &mut rng,
            host,
            "c2.evil.example",
            T0,
            3 * HOUR,
            120.0,
            0.10,
            skip,
        )
        .into_iter()
        .map(|e| match e {
            Ev::Flow(f) => (f.start, f.out),
            _ => unreachable!(),
        })
        .collect()
    };
    let full = times(&[]);
    let gappy = times(&[17, 40, 63]);
    assert_eq!(full.len(), gappy.len() + 3);
    let c = cfg().beacon;
    let mut sc = Scratch::default();
    let (lo, hi) = (T0 - 15, T0 + 3 * HOUR + 15);
    let s_full = score_pair(full.iter().copied(), lo, hi, &c, &mut sc).unwrap();
    let s_gap = score_pair(gappy.iter().copied(), lo, hi, &c, &mut sc).unwrap();
    assert_eq!(s_gap.missed_beats, 3);
    assert!(s_gap.raw >= 0.75, "{}", s_gap.raw);
    assert!(
        (s_full.intervals.r - s_gap.intervals.r).abs() < 0.1,
        "{:?} {:?}",
        s_full.intervals,
        s_gap.intervals
    );
    assert!(s_gap.intervals.r >= 0.85);
    // Without the missed-beat rule the interval regularity would suffer more.
    let mut no_split = c.clone();
    no_split.missed_beat_max_multiple = 1;
    let s_raw = score_pair(gappy.iter().copied(), lo, hi, &no_split, &mut sc).unwrap();
    assert_eq!(s_raw.missed_beats, 0);
    assert!(s_raw.intervals.mad >= s_gap.intervals.mad);
}

#[test]
fn beacon_every_30_min_over_a_working_day_is_found() {
    let mut rng = Rng(2);
    let host = ip(10, 0, 3, 7);
    let evs = beacon_events(
        &mut rng,
        host,
        "api.update-check.example",
        T0 + 9 * HOUR,
        9 * HOUR,
        1800.0,
        0.02,
        &[],
    );
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    let beacons = of_kind(&alerts, BehaviorKind::Beacon);
    assert!(!beacons.is_empty(), "30-min beacon missed");
    let last = beacons.last().unwrap();
    assert!(last.behavior.score >= 0.75, "score {}", last.behavior.score);
    let iv = last.behavior.interval_s.unwrap();
    assert!((1700.0..=1900.0).contains(&iv));
}

#[test]
fn beacons_inside_a_day_of_office_traffic_are_found() {
    // Three hosts with a full day of ordinary traffic (NTP around the clock, browsing 8–18 h);
    // one starts a 120 s beacon at 14:00, another runs a 30-min beacon through office hours.
    let fs = ip(10, 0, 1, 5);
    let mut rng = Rng(12);
    let (late, office, quiet) = (ip(10, 4, 0, 1), ip(10, 4, 0, 2), ip(10, 4, 0, 3));
    let mut evs = Vec::new();
    for h in [late, office, quiet] {
        evs.extend(office_day(&mut rng, h, T0, fs));
    }
    evs.extend(beacon_events(
        &mut rng,
        late,
        "late.evil.example",
        T0 + 14 * HOUR,
        3 * HOUR,
        120.0,
        0.10,
        &[5, 50],
    ));
    evs.extend(beacon_events(
        &mut rng,
        office,
        "office.evil.example",
        T0 + 9 * HOUR,
        9 * HOUR,
        1800.0,
        0.05,
        &[],
    ));
    let mut c = cfg();
    c.allowlist = vec!["telemetry.example".into()];
    let mut b = Behavior::new(c, home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    let beacons = of_kind(&alerts, BehaviorKind::Beacon);
    let peers: std::collections::BTreeSet<&str> =
        beacons.iter().map(|a| a.behavior.peer.as_str()).collect();
    assert_eq!(
        peers,
        ["late.evil.example", "office.evil.example"]
            .into_iter()
            .collect(),
        "{beacons:#?}"
    );
    assert!(beacons.iter().all(|a| a.behavior.score >= 0.75));
    assert_eq!(
        beacons
            .iter()
            .find(|a| a.behavior.peer == "late.evil.example")
            .unwrap()
            .src,
        late
    );
}

#[test]
fn ntp_every_64_s_and_dns_to_resolvers_are_not_beacons() {
    let host = ip(10, 0, 0, 9);
    let mut evs = Vec::new();
    for i in 0..(3 * HOUR / 64) {
        evs.push(Ev::Flow(OwnedFlow {
            start: T0 + i * 64,
            dur: 0,
            client: host,
            server: ip(91, 189, 94, 4),
            sport: 123,
            dport: 123,
            proto: 17,
            app: None,
            name: None,
            out: 76,
            inn: 76,
            encrypted: false,
        }));
        // NTP recognised by app-layer on a non-standard port.
        evs.push(Ev::Flow(OwnedFlow {
            start: T0 + i * 64 + 5,
            dur: 0,
            client: host,
            server: ip(91, 189, 94, 5),
            sport: 40_000,
            dport: 4123,
            proto: 17,
            app: Some("ntp".into()),
            name: None,
            out: 76,
            inn: 76,
            encrypted: false,
        }));
        // DNS to the configured (external) resolver every 64 s.
        evs.push(Ev::Flow(OwnedFlow {
            start: T0 + i * 64 + 9,
            dur: 0,
            client: host,
            server: ip(8, 8, 8, 8),
            sport: 50_000,
            dport: 53,
            proto: 17,
            app: Some("dns".into()),
            name: None,
            out: 60,
            inn: 120,
            encrypted: false,
        }));
    }
    let mut c = cfg();
    c.dns_resolvers = vec!["8.8.8.8".parse().unwrap()];
    let mut b = Behavior::new(c, home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs.clone());
    finish(&mut b, &mut alerts, &mut inc);
    assert!(
        of_kind(&alerts, BehaviorKind::Beacon).is_empty(),
        "{alerts:#?}"
    );
    assert_eq!(b.stats().beacon_excluded, evs.len() as u64);
    // The same DNS pattern to a resolver that is NOT configured is scored, and found.
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let only_dns: Vec<Ev> = evs
        .into_iter()
        .filter(|e| matches!(e, Ev::Flow(f) if f.dport == 53))
        .collect();
    let (mut alerts, mut inc) = feed(&mut b, only_dns);
    finish(&mut b, &mut alerts, &mut inc);
    assert!(!of_kind(&alerts, BehaviorKind::Beacon).is_empty());
}

fn polling(allowlist: bool) -> (Vec<sekimori_behavior::BehaviorAlert>, Behavior) {
    let mut rng = Rng(3);
    let mut evs = Vec::new();
    // 20 hosts; 15 poll the collaboration site every 60 s during 3 h; all browse a little.
    for h in 1..=20u8 {
        let host = ip(10, 1, 0, h);
        if h <= 15 {
            let off = rng.range(0, 59);
            evs.extend(periodic(
                &mut rng,
                T0 + 9 * HOUR + off,
                3 * HOUR,
                60.0,
                0.02,
                &[],
                |t, r| {
                    tls(
                        t,
                        host,
                        "presence.teams.example",
                        500 + r.range(0, 8) as u64,
                        700,
                    )
                },
            ));
        }
        evs.extend(browse(
            &mut rng,
            host,
            &["www.google.com"],
            T0 + 9 * HOUR,
            T0 + 12 * HOUR,
            8,
        ));
    }
    let mut c = cfg();
    if allowlist {
        c.allowlist = vec!["teams.example".into()];
    }
    let mut b = Behavior::new(c, home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    (alerts, b)
}

#[test]
fn browser_polling_an_allowlisted_popular_site_is_not_a_beacon() {
    let (alerts, b) = polling(true);
    assert!(
        of_kind(&alerts, BehaviorKind::Beacon).is_empty(),
        "{alerts:#?}"
    );
    assert!(b.stats().beacon_excluded >= 15 * 180);
    // Without the allowlist the score carries the prevalence penalty (15 of 20 hosts ≥ 50%).
    let (alerts, _) = polling(false);
    let beacons = of_kind(&alerts, BehaviorKind::Beacon);
    assert!(!beacons.is_empty());
    for a in beacons {
        assert_eq!(a.behavior.evidence["adjustment"].as_f64().unwrap(), -0.15);
        assert!(a.behavior.evidence["prevalence"].as_f64().unwrap() >= 0.5);
    }
}

/// A week (7 days) of ordinary small uploads for `host`, then day 8.
fn small_upload_week(rng: &mut Rng, host: sekimori_decode::Addr) -> Vec<Ev> {
    let mut evs = Vec::new();
    for d in 0..7 {
        let day = T0 + d * DAY;
        for h in 9..18 {
            for _ in 0..rng.range(3, 8) {
                let at = day + h * HOUR + rng.range(0, 3599);
                let site = *rng.pick(&[
                    "mail.example.com",
                    "www.google.com",
                    "chat.example.com",
                    "docs.example.com",
                ]);
                evs.push(tls(
                    at,
                    host,
                    site,
                    rng.range(5_000, 40_000) as u64,
                    rng.range(50_000, 900_000) as u64,
                ));
            }
        }
    }
    evs
}

#[test]
fn large_upload_to_a_first_seen_host_after_a_week_is_exfil() {
    let mut rng = Rng(4);
    let host = ip(10, 0, 0, 31);
    let mut evs = small_upload_week(&mut rng, host);
    let day8 = T0 + 7 * DAY;
    for i in 0..10 {
        evs.push(tls(
            day8 + 9 * HOUR + i * 300,
            host,
            "mail.example.com",
            12_000,
            300_000,
        ));
    }
    // 8 MB over TLS to a host never seen before, little coming back.
    evs.push(Ev::Flow(OwnedFlow {
        start: day8 + 10 * HOUR,
        dur: 40,
        client: host,
        server: ip(185, 220, 101, 7),
        sport: 51_000,
        dport: 443,
        proto: 6,
        app: Some("tls".into()),
        name: Some("upload.filedrop.example".into()),
        out: 8_000_000,
        inn: 24_000,
        encrypted: true,
    }));
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    let ex = of_kind(&alerts, BehaviorKind::ExfilVolume);
    assert_eq!(ex.len(), 1, "{ex:#?}");
    let e = ex[0];
    assert_eq!(e.behavior.peer, "upload.filedrop.example");
    assert_eq!(e.dest, ip(185, 220, 101, 7));
    assert_eq!(e.behavior.evidence["first_seen"], true);
    assert_eq!(e.behavior.evidence["baseline"], true);
    assert!(e.behavior.evidence["pcr"].as_f64().unwrap() > 0.9);
    assert!(e.behavior.evidence["threshold"].as_u64().unwrap() < 8_000_000);
    assert!(e.severity <= 2, "severity {}", e.severity);
    let fs = of_kind(&alerts, BehaviorKind::FirstSeen);
    assert!(
        fs.iter()
            .any(|a| a.behavior.peer == "upload.filedrop.example" && a.severity == 4)
    );
    // Nothing during the week of small uploads.
    let early: Vec<_> = alerts
        .iter()
        .filter(|a| a.ts.secs() < day8)
        .map(|a| (&a.signature, a.ts.secs() - T0))
        .collect();
    assert!(early.is_empty(), "{early:#?}");
    // The same 8 MB to a long-known destination is still above the baseline, without the weight-up.
    let mut rng = Rng(4);
    let mut evs = small_upload_week(&mut rng, host);
    evs.push(tls(
        day8 + 10 * HOUR,
        host,
        "mail.example.com",
        8_000_000,
        24_000,
    ));
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    let ex = of_kind(&alerts, BehaviorKind::ExfilVolume);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].behavior.evidence["first_seen"], false);
    assert!(ex[0].behavior.score < e.behavior.score);
}

#[test]
fn large_upload_during_learning_needs_the_absolute_floor() {
    let host = ip(10, 0, 0, 32);
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let evs = vec![
        tls(T0, host, "a.example", 8_000_000, 10_000),
        tls(T0 + 60, host, "b.example", 20_000_000, 10_000),
        tls(T0 + 120, host, "c.example", 20_000_000, 30_000_000), // download-heavy: PCR < 0.5
    ];
    let (alerts, _) = feed(&mut b, evs);
    let ex = of_kind(&alerts, BehaviorKind::ExfilVolume);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].behavior.peer, "b.example");
    assert_eq!(ex[0].behavior.evidence["baseline"], false);
    assert!(b.is_learning());
}

fn reads(
    client: sekimori_decode::Addr,
    fs: sekimori_decode::Addr,
    at: i64,
    n: usize,
    dir: &str,
) -> Vec<Ev> {
    (0..n)
        .map(|i| Ev::Read {
            ts: at + (i as i64 * 120) / n.max(1) as i64,
            client,
            server: fs,
            share: "\\\\fs01\\finance".into(),
            path: format!("{dir}\\invoice_{i:03}.pdf"),
            bytes: 180_000,
        })
        .collect()
}

#[test]
fn twenty_five_smb_reads_in_two_minutes_is_bulk_read() {
    let pc = ip(10, 0, 5, 20);
    let other = ip(10, 0, 5, 21);
    let fs = ip(10, 0, 1, 5);
    let mut evs = Vec::new();
    for d in 0..7 {
        evs.extend(reads(pc, fs, T0 + d * DAY + 10 * HOUR, 2, "Finance\\2024"));
        evs.extend(reads(
            other,
            fs,
            T0 + d * DAY + 11 * HOUR,
            2,
            "Finance\\2024",
        ));
    }
    let day8 = T0 + 7 * DAY;
    evs.extend(reads(other, fs, day8 + 10 * HOUR, 2, "Finance\\2024"));
    evs.extend(reads(
        pc,
        fs,
        day8 + 14 * HOUR,
        25,
        "Finance\\Invoices\\2024",
    ));
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    let br = of_kind(&alerts, BehaviorKind::BulkRead);
    assert_eq!(br.len(), 1, "{alerts:#?}");
    let a = br[0];
    assert_eq!(a.src, pc);
    assert_eq!(a.dest, fs);
    assert_eq!(a.dest_port, 445);
    let ev = &a.behavior.evidence;
    assert!(ev["files"].as_u64().unwrap() >= 20);
    assert_eq!(ev["baseline_files"], 2);
    assert_eq!(ev["share"], "\\\\fs01\\finance");
    assert_eq!(ev["directory"], "Finance\\Invoices\\2024");
    // invoice_000 … invoice_024 (the window closes at the 20th file or later): common prefix
    // "invoice_0".
    assert_eq!(ev["pattern"], "invoice_0*.pdf");
    assert!(a.signature.contains("invoice_0*.pdf"));
    assert!(a.severity <= 2);
}

#[test]
fn ordinary_office_traffic_raises_no_beacon_exfil_or_bulk_alerts() {
    // 20 hosts, 8 days of office traffic: 7 learning days and one day with a baseline.
    let fs = ip(10, 0, 1, 5);
    let mut rng = Rng(5);
    let mut evs = Vec::new();
    for d in 0..8 {
        for h in 1..=20u8 {
            evs.extend(office_day(&mut rng, ip(10, 2, 0, h), T0 + d * DAY, fs));
        }
    }
    let n_flows = evs.iter().filter(|e| matches!(e, Ev::Flow(_))).count();
    assert!(n_flows > 100_000, "{n_flows} flows");
    let mut c = cfg();
    c.allowlist = vec!["telemetry.example".into()];
    let mut b = Behavior::new(c, home()).unwrap();
    let (mut alerts, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut alerts, &mut inc);
    let bad: Vec<_> = alerts
        .iter()
        .filter(|a| a.behavior.kind != BehaviorKind::FirstSeen)
        .collect();
    assert!(
        bad.is_empty(),
        "{} false positives, e.g. {:#?}",
        bad.len(),
        bad.iter().take(3).collect::<Vec<_>>()
    );
    // First-seen alerts only after learning, and only informational.
    assert!(
        alerts
            .iter()
            .all(|a| a.severity == 4 && a.ts.secs() >= T0 + 7 * DAY)
    );
    assert!(b.stats().beacon_scored > 1000);
    assert!(incidents_are_empty(&inc));
}

fn incidents_are_empty(i: &[sekimori_behavior::Incident]) -> bool {
    i.is_empty()
}

#[test]
fn baseline_survives_a_restart_and_beacons_span_runs() {
    let dir = tempfile::tempdir().unwrap();
    let host = ip(10, 0, 0, 5);
    let fs = ip(10, 0, 1, 5);
    let mut rng = Rng(6);
    let mut evs: Vec<Ev> = office_day(&mut rng, host, T0, fs)
        .into_iter()
        .filter(|e| e.at() <= T0 + 9 * HOUR + 90 * 60)
        .collect();
    evs.extend(beacon_events(
        &mut rng,
        host,
        "c2.evil.example",
        T0 + 9 * HOUR,
        90 * 60,
        120.0,
        0.05,
        &[],
    ));
    let (mut b, w) = Behavior::open(cfg(), home(), dir.path()).unwrap();
    assert!(w.is_empty());
    let (mut a1, mut i1) = feed(&mut b, evs);
    finish(&mut b, &mut a1, &mut i1);
    let before: Vec<_> = b
        .hosts()
        .into_iter()
        .map(|h| b.profile(h).unwrap())
        .collect();
    let run1: Vec<_> = of_kind(&a1, BehaviorKind::Beacon)
        .into_iter()
        .filter(|a| a.behavior.peer == "c2.evil.example")
        .collect();
    assert!(!run1.is_empty());
    let episode = run1[0].behavior.episode;
    let n_before = (
        b.host_count(),
        b.network_dest_count(),
        b.beacon_conn_count(),
    );
    drop(b);

    let (mut b, w) = Behavior::open(cfg(), home(), dir.path()).unwrap();
    assert!(w.is_empty(), "{w:?}");
    let after: Vec<_> = b
        .hosts()
        .into_iter()
        .map(|h| b.profile(h).unwrap())
        .collect();
    assert_eq!(before, after);
    assert_eq!(
        (
            b.host_count(),
            b.network_dest_count(),
            b.beacon_conn_count()
        ),
        n_before
    );
    assert!(b.is_learning());

    // Run 2 continues the beacon for another 90 minutes: same episode, more connections.
    let mut rng = Rng(7);
    let evs = beacon_events(
        &mut rng,
        host,
        "c2.evil.example",
        T0 + 9 * HOUR + 90 * 60 + 120,
        90 * 60,
        120.0,
        0.05,
        &[],
    );
    let run2_conns = evs.len() as u64;
    let (mut a2, mut i2) = feed(&mut b, evs);
    finish(&mut b, &mut a2, &mut i2);
    let run2: Vec<_> = of_kind(&a2, BehaviorKind::Beacon)
        .into_iter()
        .filter(|a| a.behavior.peer == "c2.evil.example")
        .collect();
    assert!(
        run2.iter()
            .all(|a| a.behavior.update && a.behavior.episode == episode),
        "{run2:#?}"
    );
    assert!(!run2.is_empty(), "the grown episode should be reported");
    assert!(run2.last().unwrap().behavior.connections.unwrap() > run2_conns);
}

#[test]
fn corrupt_state_file_is_replaced_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("behavior.db");
    std::fs::write(
        &path,
        b"this is not an sqlite database, just garbage \x00\x01\x02".repeat(100),
    )
    .unwrap();
    let (mut b, w) = Behavior::open(cfg(), home(), dir.path()).unwrap();
    assert_eq!(w.len(), 1);
    match &w[0] {
        StoreWarning::Corrupt { moved_to, .. } => {
            assert!(moved_to.as_ref().is_some_and(|p| p.exists()))
        }
        other => panic!("unexpected warning {other:?}"),
    }
    assert!(w[0].to_string().contains("corrupt"));
    assert_eq!(b.host_count(), 0);
    assert_eq!(b.stats().store_warnings, 1);
    // It works and checkpoints normally afterwards.
    let (_a, _i) = feed(
        &mut b,
        vec![tls(T0, ip(10, 0, 0, 1), "www.example.com", 100, 1000)],
    );
    b.finish().unwrap();
    drop(b);
    let (b, w) = Behavior::open(cfg(), home(), dir.path()).unwrap();
    assert!(w.is_empty());
    assert_eq!(b.host_count(), 1);
    // A truncated file: also a warning, never a panic.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let (b, w) = Behavior::open(cfg(), home(), dir.path()).unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(b.host_count(), 0);
}

#[test]
fn store_stays_bounded_under_a_flood_of_unique_destinations() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg();
    c.max_dests_per_host = 500;
    c.max_network_dests = 3_000;
    c.max_hosts = 40;
    c.beacon.max_total_conns = 5_000;
    let (mut b, _) = Behavior::open(c, home(), dir.path()).unwrap();
    let mut flows = 0u64;
    for i in 0..60_000u32 {
        let host = ip(10, 9, (i % 100) as u8, (i % 7) as u8 + 1); // 700 distinct hosts
        let [_, x, y, z] = i.to_be_bytes();
        b.on_flow(&FlowSummary {
            ts_start: secs(T0 + i64::from(i / 10)),
            ts_end: secs(T0 + i64::from(i / 10)),
            client: host,
            server: ip(45, x, y, z),
            sport: 40000,
            dport: 443,
            proto: 6,
            bytes_to_server: 100,
            bytes_to_client: 100,
            ..Default::default()
        });
        flows += 1;
        assert!(b.host_count() <= 40);
        assert!(b.network_dest_count() <= 3_000);
    }
    for h in b.hosts() {
        assert!(b.profile(h).unwrap().destinations.len() <= 500);
    }
    assert!(b.beacon_conn_count() <= 5_000);
    assert_eq!(b.stats().flows, flows);
    assert!(b.stats().hosts_evicted > 0 && b.stats().dests_evicted > 0);
    b.finish().unwrap();
    let size = std::fs::metadata(dir.path().join("behavior.db"))
        .unwrap()
        .len();
    assert!(size < 8 << 20, "state file {size} bytes");
}

#[test]
fn entries_age_out_after_thirty_days_of_traffic_time() {
    let host = ip(10, 0, 0, 40);
    let mut b = Behavior::new(cfg(), home()).unwrap();
    feed(
        &mut b,
        vec![
            tls(T0, host, "old.example", 100, 100),
            tls(T0 + 10 * DAY, host, "mid.example", 100, 100),
        ],
    );
    feed(
        &mut b,
        vec![tls(T0 + 31 * DAY, host, "new.example", 100, 100)],
    );
    let p = b.profile(host).unwrap();
    let names: Vec<&str> = p.destinations.iter().map(|d| d.dest.as_str()).collect();
    assert!(!names.contains(&"old.example"), "{names:?}");
    assert!(names.contains(&"mid.example") && names.contains(&"new.example"));
    assert!(b.stats().entries_expired > 0);
}

#[test]
fn learn_mode_is_silent_and_establishes_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let host = ip(10, 0, 0, 50);
    let mut rng = Rng(8);
    let mut evs = beacon_events(
        &mut rng,
        host,
        "c2.evil.example",
        T0,
        3 * HOUR,
        120.0,
        0.05,
        &[],
    );
    evs.push(tls(T0 + HOUR, host, "big.example", 30_000_000, 1000));
    evs.push(tls(T0 + HOUR, host, "known.example", 1000, 1000));
    let (mut b, _) = Behavior::learn(cfg(), home(), Some(dir.path())).unwrap();
    assert!(b.is_learn_mode());
    let (mut a, mut i) = feed(&mut b, evs);
    finish(&mut b, &mut a, &mut i);
    assert!(a.is_empty() && i.is_empty());
    assert!(b.stats().alerts_suppressed_learn > 0);
    drop(b);
    // Next (normal) run: the baseline is established at once; a new destination is first-seen,
    // a known one is not.
    let (mut b, _) = Behavior::open(cfg(), home(), dir.path()).unwrap();
    assert!(!b.is_learning());
    let (a, _) = feed(
        &mut b,
        vec![
            tls(T0 + 4 * HOUR, host, "known.example", 1000, 1000),
            tls(T0 + 4 * HOUR, host, "fresh.example", 1000, 1000),
        ],
    );
    let fs = of_kind(&a, BehaviorKind::FirstSeen);
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0].behavior.peer, "fresh.example");
    assert_eq!(fs[0].behavior.evidence["network_first_seen"], true);
}

#[test]
fn dns_answers_name_flows_without_sni() {
    let host = ip(10, 0, 0, 60);
    let srv = ip(203, 0, 113, 80);
    let mut rng = Rng(9);
    let mut evs = vec![Ev::Dns {
        ts: T0 - 1,
        client: host,
        name: "Beacon.Evil.Example.".into(),
        addrs: vec![srv],
    }];
    evs.extend(periodic(&mut rng, T0, 2 * HOUR, 60.0, 0.05, &[], |t, _| {
        Ev::Flow(OwnedFlow {
            start: t,
            dur: 1,
            client: host,
            server: srv,
            sport: 50_000,
            dport: 8443,
            proto: 6,
            app: None,
            name: None,
            out: 300,
            inn: 300,
            encrypted: false,
        })
    }));
    let mut b = Behavior::new(cfg(), home()).unwrap();
    let (mut a, mut i) = feed(&mut b, evs);
    finish(&mut b, &mut a, &mut i);
    let bc = of_kind(&a, BehaviorKind::Beacon);
    assert!(!bc.is_empty());
    assert_eq!(bc[0].behavior.peer, "beacon.evil.example");
    assert_eq!(bc[0].dest, srv);
    assert_eq!(bc[0].dest_port, 8443);
}

#[test]
fn kill_chain_incident_from_all_layers() {
    let host = ip(10, 0, 0, 70);
    let fs = ip(10, 0, 1, 5);
    let mut c = cfg();
    c.learning_days = 0; // baseline detectors on at once for this scenario
    let mut b = Behavior::new(c, home()).unwrap();
    b.on_layer_alert(&LayerAlert {
        ts: secs(T0 + 8 * HOUR),
        host,
        layer: Layer::Mail,
        kind: "exe_in_archive",
        severity: 3,
        signature: "MAIL: executable in archive",
    });
    b.on_layer_alert(&LayerAlert {
        ts: secs(T0 + 8 * HOUR + 300),
        host,
        layer: Layer::File,
        kind: "pe",
        severity: 3,
        signature: "FILE: PE download",
    });
    let mut rng = Rng(10);
    let mut evs = beacon_events(
        &mut rng,
        host,
        "c2.evil.example",
        T0 + 9 * HOUR,
        2 * HOUR,
        120.0,
        0.05,
        &[],
    );
    evs.extend(reads(host, fs, T0 + 11 * HOUR + 600, 30, "HR\\Payroll"));
    evs.push(tls(
        T0 + 11 * HOUR + 1200,
        host,
        "c2.evil.example",
        40_000_000,
        30_000,
    ));
    let (mut a, mut inc) = feed(&mut b, evs);
    finish(&mut b, &mut a, &mut inc);
    assert!(!of_kind(&a, BehaviorKind::Beacon).is_empty());
    assert!(!of_kind(&a, BehaviorKind::BulkRead).is_empty());
    let ex = of_kind(&a, BehaviorKind::ExfilVolume);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].behavior.evidence["after_bulk_read"], true);
    let last = inc.last().unwrap();
    assert_eq!(
        last.stages,
        vec![
            Stage::Delivery,
            Stage::Download,
            Stage::CommandAndControl,
            Stage::Collection,
            Stage::Exfiltration
        ]
    );
    assert_eq!(last.severity, 1);
    assert!(inc.iter().all(|i| i.id == inc[0].id));
    assert!(!inc[0].update && inc.iter().skip(1).all(|i| i.update));
    let j = last.to_eve_json();
    assert_eq!(j["incident"]["host"], "10.0.0.70");
}

/// Seeds sweep of the office-traffic false-positive check (slow; run with `--ignored`). Prints the
/// false-positive count per seed, also for the literal spec (no two-mode guard, no minimum span).
#[test]
#[ignore]
fn office_traffic_false_positive_sweep() {
    let fs = ip(10, 0, 1, 5);
    let mut total = 0usize;
    for literal in [false, true] {
        for seed in 100..106u64 {
            let mut rng = Rng(seed);
            let mut evs = Vec::new();
            for d in 0..8 {
                for h in 1..=20u8 {
                    evs.extend(office_day(&mut rng, ip(10, 2, 0, h), T0 + d * DAY, fs));
                }
            }
            // Two beacons on day 8 that must be found: 120 s ± 10% from a random hour for 3 h with
            // three missed beats, and 30 min ± 10% through office hours.
            let start = T0 + 7 * DAY + rng.range(8, 14) * HOUR;
            evs.extend(beacon_events(
                &mut rng,
                ip(10, 2, 0, 1),
                "fast.evil.example",
                start,
                3 * HOUR,
                120.0,
                0.10,
                &[10, 30, 60],
            ));
            evs.extend(beacon_events(
                &mut rng,
                ip(10, 2, 0, 2),
                "slow.evil.example",
                T0 + 7 * DAY + 9 * HOUR,
                9 * HOUR,
                1800.0,
                0.10,
                &[],
            ));
            let mut c = cfg();
            c.allowlist = vec!["telemetry.example".into()];
            if literal {
                c.beacon.two_mode_min_regularity = 0.0;
                c.beacon.min_span_secs = 0;
            }
            let mut b = Behavior::new(c, home()).unwrap();
            let (mut alerts, mut inc) = feed(&mut b, evs);
            finish(&mut b, &mut alerts, &mut inc);
            let evil =
                |a: &&sekimori_behavior::BehaviorAlert| a.behavior.peer.ends_with("evil.example");
            let bad: Vec<_> = alerts
                .iter()
                .filter(|a| {
                    a.behavior.kind != BehaviorKind::FirstSeen && !a.behavior.update && !evil(a)
                })
                .collect();
            let found: std::collections::BTreeSet<&str> = alerts
                .iter()
                .filter(|a| a.behavior.kind == BehaviorKind::Beacon && evil(a))
                .map(|a| a.behavior.peer.as_str())
                .collect();
            println!(
                "literal={literal} seed={seed}: {} false positives (first records), found {found:?}",
                bad.len()
            );
            if !literal {
                assert_eq!(found.len(), 2, "seed {seed}: beacons missed");
            }
            for a in bad.iter().take(3) {
                println!("   {}", a.signature);
            }
            if !literal {
                total += bad.len();
            }
        }
    }
    assert_eq!(total, 0, "false positives over 6 seeds");
}
