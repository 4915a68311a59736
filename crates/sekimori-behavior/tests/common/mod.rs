//! Deterministic synthetic traffic for the behaviour-layer scenarios.
#![allow(dead_code)]

use sekimori_behavior::{
    Behavior, BehaviorAlert, BehaviorKind, DnsAnswer, FileRead, FlowSummary, HomeNet, Incident,
};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

/// 2024-04-01 00:00:00 UTC, a Monday.
pub const T0: i64 = 1_711_929_600;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// splitmix64: small, deterministic.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform integer in [lo, hi].
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    /// Log-uniform in [lo, hi].
    pub fn logu(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.f() * (hi.ln() - lo.ln())).exp()
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next_u64() % v.len() as u64) as usize]
    }
}

pub fn ip(a: u8, b: u8, c: u8, d: u8) -> Addr {
    Addr::v4([a, b, c, d])
}

/// A public-looking address derived from a name.
pub fn ext_ip(name: &str) -> Addr {
    let mut h: u64 = 1469598103934665603;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(1099511628211);
    }
    const FIRST: [u8; 10] = [23, 31, 45, 52, 64, 91, 104, 151, 185, 203];
    Addr::v4([
        FIRST[(h % 10) as usize],
        (h >> 8) as u8,
        (h >> 16) as u8,
        ((h >> 24) as u8).max(1),
    ])
}

#[derive(Clone, Debug)]
pub struct OwnedFlow {
    pub start: i64,
    pub dur: i64,
    pub client: Addr,
    pub server: Addr,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
    pub app: Option<String>,
    pub name: Option<String>,
    pub out: u64,
    pub inn: u64,
    pub encrypted: bool,
}

#[derive(Clone, Debug)]
pub enum Ev {
    Flow(OwnedFlow),
    Read {
        ts: i64,
        client: Addr,
        server: Addr,
        share: String,
        path: String,
        bytes: u64,
    },
    Dns {
        ts: i64,
        client: Addr,
        name: String,
        addrs: Vec<Addr>,
    },
}

impl Ev {
    /// When the engine would deliver it (flows at their end).
    pub fn at(&self) -> i64 {
        match self {
            Ev::Flow(f) => f.start + f.dur,
            Ev::Read { ts, .. } | Ev::Dns { ts, .. } => *ts,
        }
    }
}

pub fn tls(start: i64, client: Addr, name: &str, out: u64, inn: u64) -> Ev {
    Ev::Flow(OwnedFlow {
        start,
        dur: 1,
        client,
        server: ext_ip(name),
        sport: 40_000 + (start % 20_000) as u16,
        dport: 443,
        proto: 6,
        app: Some("tls".into()),
        name: Some(name.into()),
        out,
        inn,
        encrypted: true,
    })
}

pub fn secs(t: i64) -> Timestamp {
    Timestamp(t * 1_000_000_000)
}

/// Sorts by delivery time (stable) and feeds everything; returns the alerts and incidents.
pub fn feed(b: &mut Behavior, mut evs: Vec<Ev>) -> (Vec<BehaviorAlert>, Vec<Incident>) {
    evs.sort_by_key(Ev::at);
    let mut alerts = Vec::new();
    let mut incidents = Vec::new();
    let mut fid = 1u64;
    for e in &evs {
        match e {
            Ev::Flow(f) => {
                fid += 1;
                b.on_flow(&FlowSummary {
                    ts_start: secs(f.start),
                    ts_end: secs(f.start + f.dur),
                    client: f.client,
                    server: f.server,
                    sport: f.sport,
                    dport: f.dport,
                    proto: f.proto,
                    app_proto: f.app.as_deref(),
                    server_name: f.name.as_deref(),
                    bytes_to_server: f.out,
                    bytes_to_client: f.inn,
                    pkts_to_server: f.out / 1000 + 1,
                    pkts_to_client: f.inn / 1000 + 1,
                    encrypted: f.encrypted,
                    flow_id: fid,
                });
            }
            Ev::Read {
                ts,
                client,
                server,
                share,
                path,
                bytes,
            } => {
                fid += 1;
                b.on_file_read(&FileRead {
                    ts: secs(*ts),
                    client: *client,
                    server: *server,
                    sport: 50_000,
                    dport: 445,
                    share: Some(share),
                    path,
                    bytes: *bytes,
                    flow_id: fid,
                });
            }
            Ev::Dns {
                ts,
                client,
                name,
                addrs,
            } => {
                b.on_dns(&DnsAnswer {
                    ts: secs(*ts),
                    client: *client,
                    name,
                    addrs,
                });
            }
        }
        alerts.extend(b.drain_alerts());
        incidents.extend(b.drain_incidents());
    }
    (alerts, incidents)
}

/// Finishes (rescoring every pair) and collects what that produced.
pub fn finish(b: &mut Behavior, alerts: &mut Vec<BehaviorAlert>, incidents: &mut Vec<Incident>) {
    b.finish().unwrap();
    alerts.extend(b.drain_alerts());
    incidents.extend(b.drain_incidents());
}

pub fn home() -> HomeNet {
    HomeNet::parse("10.0.0.0/8").unwrap()
}

pub fn of_kind(a: &[BehaviorAlert], k: BehaviorKind) -> Vec<&BehaviorAlert> {
    a.iter().filter(|x| x.behavior.kind == k).collect()
}

/// A periodic series: every `period` s ± `jitter` (fraction), from `from` for `span` seconds,
/// skipping the beat indices in `skip`.
pub fn periodic(
    rng: &mut Rng,
    from: i64,
    span: i64,
    period: f64,
    jitter: f64,
    skip: &[usize],
    mut make: impl FnMut(i64, &mut Rng) -> Ev,
) -> Vec<Ev> {
    let mut v = Vec::new();
    let mut i = 0usize;
    loop {
        let base = from as f64 + i as f64 * period;
        if base > (from + span) as f64 {
            break;
        }
        if !skip.contains(&i) {
            let t = base + (rng.f() * 2.0 - 1.0) * jitter * period;
            v.push(make(t.round() as i64, rng));
        }
        i += 1;
    }
    v
}

/// Irregular visits of `host` to `sites` between `from` and `to`: `visits` visits at uniformly
/// random times, each of 1–5 page views 5–120 s apart, sizes log-uniform.
pub fn browse(
    rng: &mut Rng,
    host: Addr,
    sites: &[&str],
    from: i64,
    to: i64,
    visits: usize,
) -> Vec<Ev> {
    let mut v = Vec::new();
    for _ in 0..visits {
        let site = *rng.pick(sites);
        let mut t = rng.range(from, to);
        for _ in 0..rng.range(1, 5) {
            v.push(tls(
                t,
                host,
                site,
                rng.logu(500.0, 6000.0) as u64,
                rng.logu(8_000.0, 900_000.0) as u64,
            ));
            t += rng.logu(5.0, 120.0) as i64 + 1;
        }
    }
    v
}

const POPULAR: [&str; 30] = [
    "www.google.com",
    "www.youtube.com",
    "www.yahoo.co.jp",
    "news.example.jp",
    "mail.example.com",
    "www.wikipedia.org",
    "www.amazon.co.jp",
    "login.microsoftonline.com",
    "outlook.office365.com",
    "www.bing.com",
    "github.com",
    "stackoverflow.com",
    "www.nikkei.com",
    "www.asahi.com",
    "weather.example.jp",
    "docs.example.com",
    "drive.example.com",
    "slack.example.com",
    "zoom.example.us",
    "www.linkedin.com",
    "twitter.example.com",
    "www.rakuten.co.jp",
    "maps.example.com",
    "translate.example.com",
    "www.nhk.or.jp",
    "cloud.example.net",
    "jira.example.net",
    "confluence.example.net",
    "www.reuters.com",
    "www.bbc.co.uk",
];
const CDNS: [&str; 8] = [
    "cdn.jsdelivr.example",
    "fonts.gstatic.example",
    "ajax.googleapis.example",
    "static.cdn.example",
    "img.cdn.example",
    "analytics.example",
    "ads.doubleclick.example",
    "tagmanager.example",
];

/// One ordinary office day for `host`: browsing (visits of 1–9 page views to one site, each page a
/// burst of the page and its sub-resources, 5–120 s reading time per page, 10 s – 30 min between
/// visits; sizes log-uniform), a few downloads and uploads,
/// NTP every 64 s, allowlisted telemetry every 15 min, and a few SMB reads.
pub fn office_day(rng: &mut Rng, host: Addr, day_start: i64, fs: Addr) -> Vec<Ev> {
    let mut v = Vec::new();
    // Favourite sites of this host (stable per host through its seed).
    let hseed = u64::from(host.bytes[3]);
    let mut own = Rng(hseed * 7919);
    let favourites: Vec<String> = (0..6)
        .map(|i| format!("site{}-{}.example.org", own.range(0, 400), i))
        .collect();
    let mut t = day_start + 8 * HOUR + rng.range(0, 3600);
    let lunch = day_start + 12 * HOUR + rng.range(0, 1800);
    let end = day_start + 18 * HOUR + rng.range(0, 3600);
    while t < end {
        if t > lunch && t < lunch + 2700 {
            t = lunch + 2700;
        }
        // Pick a site: popular (Zipf-like), favourite, or a brand-new one.
        let r = rng.f();
        let site = if r < 0.6 {
            let k = ((rng.f().powi(2)) * POPULAR.len() as f64) as usize;
            POPULAR[k.min(POPULAR.len() - 1)].to_string()
        } else if r < 0.85 {
            rng.pick(&favourites).clone()
        } else {
            format!("www.random{}.example.net", rng.range(0, 1_000_000))
        };
        // A visit: several page views on the site (people read more than one page), each a
        // burst of the page and its sub-resources, then a longer pause before the next site.
        let pages = 1 + (rng.f() * rng.f() * 9.0) as i64;
        for _ in 0..pages {
            v.push(tls(
                t,
                host,
                &site,
                rng.logu(500.0, 6000.0) as u64,
                rng.logu(8_000.0, 900_000.0) as u64,
            ));
            for _ in 0..rng.range(2, 10) {
                let cdn = *rng.pick(&CDNS);
                v.push(tls(
                    t + rng.range(0, 4),
                    host,
                    cdn,
                    rng.logu(300.0, 3000.0) as u64,
                    rng.logu(2000.0, 300_000.0) as u64,
                ));
            }
            t += rng.logu(5.0, 120.0) as i64 + 1;
        }
        t += rng.logu(10.0, 1800.0) as i64 + 1;
    }
    // Downloads.
    for _ in 0..rng.range(0, 3) {
        let at = day_start + 9 * HOUR + rng.range(0, 8 * HOUR);
        v.push(tls(
            at,
            host,
            "download.vendor.example",
            rng.range(800, 3000) as u64,
            rng.range(5 << 20, 80 << 20) as u64,
        ));
    }
    // Uploads (webmail attachments, cloud drive): PCR > 0.5 but modest.
    for _ in 0..rng.range(0, 2) {
        let at = day_start + 9 * HOUR + rng.range(0, 8 * HOUR);
        v.push(tls(
            at,
            host,
            "drive.example.com",
            rng.range(200_000, 3_000_000) as u64,
            rng.range(5_000, 40_000) as u64,
        ));
    }
    // NTP every 64 s around the clock (excluded by protocol).
    let ntp = ip(91, 189, 94, 4);
    let mut t = day_start + rng.range(0, 63);
    while t < day_start + DAY {
        v.push(Ev::Flow(OwnedFlow {
            start: t,
            dur: 0,
            client: host,
            server: ntp,
            sport: 123,
            dport: 123,
            proto: 17,
            app: Some("ntp".into()),
            name: None,
            out: 76,
            inn: 76,
            encrypted: false,
        }));
        t += 64;
    }
    // Telemetry every 15 min (allowlisted).
    let mut t = day_start + rng.range(0, 899);
    while t < day_start + DAY {
        v.push(tls(
            t,
            host,
            "settings-win.data.telemetry.example",
            1800,
            4200,
        ));
        t += 900;
    }
    // A few file reads from the file server, spread over the day.
    for i in 0..rng.range(0, 5) {
        let at = day_start + 9 * HOUR + rng.range(0, 8 * HOUR);
        v.push(Ev::Read {
            ts: at,
            client: host,
            server: fs,
            share: "\\\\fs01\\common".into(),
            path: format!("Docs\\memo_{i}.docx"),
            bytes: rng.range(20_000, 2_000_000) as u64,
        });
    }
    v
}
