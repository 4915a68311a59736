//! [`Behavior`]: the layer's entry point. The engine feeds it ended flows, DNS answers, file
//! reads and other layers' alerts; it keeps the baseline, runs the detectors and hands back
//! [`BehaviorAlert`]s and [`Incident`]s.
//!
//! Time is traffic time: the latest timestamp fed in.
//!
//! Beacon analysis window: behavior.md scores a pair "in the analysis window [min_ts, max_ts] of
//! the data seen for the pair". Here min_ts is the pair's first connection still retained (the
//! rolling `beacon.window_secs`, default 24 h, bounds retention) and max_ts is the current traffic
//! time, so coverage tells whether the pair is still active when it is scored; the window is never
//! shorter than `beacon.min_span_secs` (default 1 h), so a single visit of a few page views
//! minutes apart cannot fill six bins and look "long-lived". (A network-wide
//! window, RITA-style, was tried first: it missed beacons that start late in the observation,
//! e.g. a 120 s beacon starting at 14:00 of a 24 h capture stays "low" all day.) Every hour of traffic time (and at
//! [`Behavior::checkpoint`] / [`Behavior::finish`]) a maintenance pass ages entries out, enforces
//! the caps, closes idle episodes and rescores beacon pairs that gained connections.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::alert::{BehaviorAlert, BehaviorKind, BehaviorRecord, human_bytes, round3, severity_of};
use crate::beacon::{BeaconScore, Scratch, adjust, score_pair};
use crate::bulk::Window;
use crate::config::{Band, BehaviorConfig, FirstSeenScope};
use crate::error::{BehaviorError, StoreWarning};
use crate::homenet::HomeNet;
use crate::incident::{Incident, IncidentTracker};
use crate::input::{DnsAnswer, FileRead, FlowSummary, Layer, LayerAlert, PROTO_UDP};
use crate::names::{Allowlist, NameCache, normalize};
use crate::profile::{
    DestEntry, Episode, HostProfile, LastFlow, NetDest, Pair, ReadDay, ServerDay, ServerStat,
    State, evict_lru,
};
use crate::stats::percentile_sorted;
use crate::store::Store;
use crate::time::{day_of, hour_of_week, ts_of};

/// Counters of the layer (all cumulative since construction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BehaviorStats {
    /// Flows received.
    pub flows: u64,
    /// Flows internal host → external.
    pub flows_outbound: u64,
    /// Flows external → internal host (profiled only when the host answered).
    pub flows_inbound: u64,
    /// Flows internal → internal.
    pub flows_internal: u64,
    /// Flows with neither end internal (dropped).
    pub flows_transit: u64,
    /// DNS answers received.
    pub dns_answers: u64,
    /// DNS answers dropped for an unusable name.
    pub dns_bad_names: u64,
    /// File reads received.
    pub file_reads: u64,
    /// File reads dropped (client or server not internal, or detector disabled).
    pub file_reads_ignored: u64,
    /// Alerts of other layers received.
    pub layer_alerts: u64,
    /// Flows kept out of beacon scoring (NTP, DNS to resolvers, allowlist).
    pub beacon_excluded: u64,
    /// Beacon scorings run.
    pub beacon_scored: u64,
    /// Beacon connection records dropped by the per-pair or total caps.
    pub beacon_conns_dropped: u64,
    /// Alert records emitted (first records and updates).
    pub alerts: u64,
    /// Of which beacon.
    pub alerts_beacon: u64,
    /// Of which first-seen.
    pub alerts_first_seen: u64,
    /// Of which exfil volume.
    pub alerts_exfil: u64,
    /// Of which bulk read.
    pub alerts_bulk_read: u64,
    /// Of which episode updates.
    pub alert_updates: u64,
    /// Alerts withheld because the layer runs in learn mode.
    pub alerts_suppressed_learn: u64,
    /// Incident records emitted (first records and updates).
    pub incidents: u64,
    /// Hosts evicted by the host cap.
    pub hosts_evicted: u64,
    /// Destinations evicted by the per-host or network caps.
    pub dests_evicted: u64,
    /// Entries (hosts, destinations, ports, servers, network destinations) aged out.
    pub entries_expired: u64,
    /// Maintenance passes.
    pub maintenance: u64,
    /// Checkpoints written.
    pub checkpoints: u64,
    /// Checkpoints that failed.
    pub checkpoint_errors: u64,
    /// Warnings raised when opening the store.
    pub store_warnings: u64,
}

/// One destination of a host profile, for display and tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DestSnapshot {
    /// Name or address text.
    pub dest: String,
    /// Latest address.
    pub ip: Option<String>,
    /// First contact (s).
    pub first_seen: i64,
    /// Latest contact (s).
    pub last_seen: i64,
    /// Connections.
    pub conns: u64,
    /// Bytes out.
    pub bytes_out: u64,
    /// Bytes in.
    pub bytes_in: u64,
    /// Beacon pairs: (port, connection records).
    pub beacon_pairs: Vec<(u16, usize)>,
}

/// A host profile, sorted for comparison and display (`sekimori baseline show`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileSnapshot {
    /// Host address.
    pub host: String,
    /// First activity (s).
    pub first_seen: i64,
    /// Latest activity (s).
    pub last_seen: i64,
    /// Seen by an explicit learn run.
    pub learned: bool,
    /// Destinations, by key.
    pub destinations: Vec<DestSnapshot>,
    /// Ports: (direction 0 out / 1 in, proto, port, connections).
    pub ports: Vec<(u8, u8, u16, u64)>,
    /// Internal servers: (address, connections, files read over the kept days).
    pub servers: Vec<(String, u64, u64)>,
    /// Bytes out per hour of week.
    pub how_out: Vec<u64>,
    /// Bytes in per hour of week.
    pub how_in: Vec<u64>,
    /// Outbound bytes of past active hours.
    pub hourly_out: Vec<u64>,
    /// Daily read peaks: (day, files, bytes).
    pub read_peaks: Vec<(i64, u64, u64)>,
}

/// The behaviour layer.
#[derive(Debug)]
pub struct Behavior {
    cfg: BehaviorConfig,
    home: HomeNet,
    resolvers: Vec<Addr>,
    allow: Allowlist,
    st: State,
    store: Option<Store>,
    learn_mode: bool,
    names: NameCache,
    windows: HashMap<(Addr, Addr), Window>,
    incidents: IncidentTracker,
    alerts: Vec<BehaviorAlert>,
    incident_out: Vec<Incident>,
    stats: BehaviorStats,
    scratch: Scratch,
    name_buf: String,
    key_buf: String,
    maint_hour: i64,
    conns_estimate: usize,
}

/// Producer–consumer ratio (out − in)/(out + in); 0 when both are 0.
pub fn pcr(out: u64, inn: u64) -> f64 {
    let t = out as f64 + inn as f64;
    if t > 0.0 {
        (out as f64 - inn as f64) / t
    } else {
        0.0
    }
}

fn secs_i(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX / 4)
}

fn band_level(b: Band) -> u8 {
    match b {
        Band::None => 0,
        Band::Low => 1,
        Band::Medium => 2,
        Band::High => 3,
    }
}

struct Verdict {
    kind: BehaviorKind,
    src: Addr,
    last: LastFlow,
    peer: String,
    score: f64,
    severity: u8,
    level: u8,
    metric: u64,
    key: String,
    first_seen: i64,
    last_seen: i64,
    connections: Option<u64>,
    interval_s: Option<f64>,
    jitter: Option<f64>,
    signature: String,
    evidence: Map<String, Value>,
}

impl Behavior {
    /// A layer that keeps its baseline in memory only.
    pub fn new(cfg: BehaviorConfig, home: HomeNet) -> Result<Behavior, BehaviorError> {
        Self::build(cfg, home, None, State::default(), false)
    }

    /// A layer whose baseline lives in `dir` (created if needed). Warnings (corrupt or foreign
    /// state file replaced by a fresh baseline, unreadable rows skipped) are returned for the
    /// caller to log; they are not errors.
    pub fn open(
        cfg: BehaviorConfig,
        home: HomeNet,
        dir: &Path,
    ) -> Result<(Behavior, Vec<StoreWarning>), BehaviorError> {
        cfg.validate()?;
        let (store, st, warnings) = Store::open(dir)?;
        let mut b = Self::build(cfg, home, Some(store), st, false)?;
        b.stats.store_warnings = warnings.len() as u64;
        Ok((b, warnings))
    }

    /// Explicit learn mode (`sekimori baseline learn PCAP…`): profiles are built, no alert or
    /// incident is emitted, and the checkpoint marks the learning period as over and every host
    /// seen as having an established baseline.
    pub fn learn(
        cfg: BehaviorConfig,
        home: HomeNet,
        dir: Option<&Path>,
    ) -> Result<(Behavior, Vec<StoreWarning>), BehaviorError> {
        let (mut b, w) = match dir {
            Some(d) => Self::open(cfg, home, d)?,
            None => (Self::new(cfg, home)?, Vec::new()),
        };
        b.learn_mode = true;
        Ok((b, w))
    }

    fn build(
        cfg: BehaviorConfig,
        home: HomeNet,
        store: Option<Store>,
        st: State,
        learn_mode: bool,
    ) -> Result<Behavior, BehaviorError> {
        cfg.validate()?;
        let resolvers = cfg.dns_resolvers.iter().map(|&ip| Addr::from(ip)).collect();
        let allow = Allowlist::new(&cfg.allowlist, &cfg.allow_cidrs);
        let names = NameCache::new(cfg.dns_cache_entries);
        let incidents = IncidentTracker::new(cfg.incident.clone(), st.meta.next_incident);
        let maint_hour = st.meta.now.div_euclid(3600);
        let conns_estimate = st.pair_conns();
        Ok(Behavior {
            cfg,
            home,
            resolvers,
            allow,
            st,
            store,
            learn_mode,
            names,
            windows: HashMap::new(),
            incidents,
            alerts: Vec::new(),
            incident_out: Vec::new(),
            stats: BehaviorStats::default(),
            scratch: Scratch::default(),
            name_buf: String::new(),
            key_buf: String::new(),
            maint_hour,
            conns_estimate,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &BehaviorConfig {
        &self.cfg
    }

    /// Counters.
    pub fn stats(&self) -> &BehaviorStats {
        &self.stats
    }

    /// Traffic time of the latest event.
    pub fn now(&self) -> Timestamp {
        ts_of(self.st.meta.now)
    }

    /// True while the network-wide learning period runs (no explicit learn run recorded and
    /// fewer than `learning_days` of traffic time since the first flow).
    pub fn is_learning(&self) -> bool {
        let m = &self.st.meta;
        m.learned_until.is_none()
            && m.baseline_start
                .is_none_or(|b| self.st.meta.now.saturating_sub(b) < self.learning_secs())
    }

    /// True when this run is an explicit learn run.
    pub fn is_learn_mode(&self) -> bool {
        self.learn_mode
    }

    /// Number of hosts profiled.
    pub fn host_count(&self) -> usize {
        self.st.hosts.len()
    }

    /// Number of network-wide destinations known.
    pub fn network_dest_count(&self) -> usize {
        self.st.net.len()
    }

    /// Beacon connection records held.
    pub fn beacon_conn_count(&self) -> usize {
        self.st.pair_conns()
    }

    /// Profiled hosts, sorted.
    pub fn hosts(&self) -> Vec<Addr> {
        let mut v: Vec<Addr> = self.st.hosts.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Whether any internal host has talked to the external destination `name` (a host name,
    /// any case, or an address text) within the baseline's memory: a download from a name
    /// nobody has used before is more suspect.
    pub fn seen_destination(&self, name: &str) -> bool {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        self.st.net.contains_key(key.as_str())
    }

    /// A sorted copy of one host's profile.
    pub fn profile(&self, host: Addr) -> Option<ProfileSnapshot> {
        let h = self.st.hosts.get(&host)?;
        let mut destinations: Vec<DestSnapshot> = h
            .dests
            .iter()
            .map(|(k, d)| {
                let mut beacon_pairs: Vec<(u16, usize)> =
                    d.pairs.iter().map(|p| (p.port, p.conns.len())).collect();
                beacon_pairs.sort_unstable();
                DestSnapshot {
                    dest: k.to_string(),
                    ip: d.ip.map(|a| a.to_ip().to_string()),
                    first_seen: d.first_seen,
                    last_seen: d.last_seen,
                    conns: d.conns,
                    bytes_out: d.bytes_out,
                    bytes_in: d.bytes_in,
                    beacon_pairs,
                }
            })
            .collect();
        destinations.sort_by(|a, b| a.dest.cmp(&b.dest));
        let mut ports: Vec<(u8, u8, u16, u64)> = h
            .ports
            .iter()
            .map(|(&(d, p, n), s)| (d, p, n, s.conns))
            .collect();
        ports.sort_unstable();
        let mut servers: Vec<(String, u64, u64)> = h
            .servers
            .iter()
            .map(|(a, s)| {
                (
                    a.to_ip().to_string(),
                    s.conns,
                    s.days.iter().map(|d| d.files).sum(),
                )
            })
            .collect();
        servers.sort();
        Some(ProfileSnapshot {
            host: host.to_ip().to_string(),
            first_seen: h.first_seen,
            last_seen: h.last_seen,
            learned: h.learned,
            destinations,
            ports,
            servers,
            how_out: h.how_out.clone(),
            how_in: h.how_in.clone(),
            hourly_out: h.hour_ring.iter().copied().collect(),
            read_peaks: h
                .read_days
                .iter()
                .map(|d| (d.day, d.peak_files, d.peak_bytes))
                .collect(),
        })
    }

    /// Takes the alerts produced so far (in production order).
    pub fn drain_alerts(&mut self) -> std::vec::Drain<'_, BehaviorAlert> {
        self.alerts.drain(..)
    }

    /// Takes the incident records produced so far.
    pub fn drain_incidents(&mut self) -> std::vec::Drain<'_, Incident> {
        self.incident_out.drain(..)
    }

    fn learning_secs(&self) -> i64 {
        i64::from(self.cfg.learning_days) * 86_400
    }

    fn established(&self, h: &HostProfile) -> bool {
        !self.learn_mode
            && (h.learned || self.st.meta.now.saturating_sub(h.first_seen) >= self.learning_secs())
    }

    /// End of the host's baseline period: destinations first seen after it are "new".
    fn baseline_end(&self, h: &HostProfile) -> i64 {
        if h.learned {
            self.st.meta.learned_until.unwrap_or(h.first_seen)
        } else {
            h.first_seen.saturating_add(self.learning_secs())
        }
    }

    fn window_start(&self) -> i64 {
        let now = self.st.meta.now;
        let w = now.saturating_sub(secs_i(self.cfg.beacon.window_secs));
        self.st.meta.observed_since.unwrap_or(now).max(w)
    }

    /// Advances traffic time without an event (call with packet time when flows are scarce);
    /// runs the hourly maintenance when an hour boundary passes.
    pub fn tick(&mut self, now: Timestamp) {
        self.advance(now.secs());
    }

    fn advance(&mut self, t: i64) {
        let window = secs_i(self.cfg.beacon.window_secs);
        let m = &mut self.st.meta;
        if m.baseline_start.is_none() {
            m.baseline_start = Some(t);
            m.observed_since = Some(t);
            m.now = t;
            self.maint_hour = t.div_euclid(3600);
        }
        if t > m.now {
            if t.saturating_sub(m.now) >= window {
                // A gap longer than the analysis window: the observation starts again.
                m.observed_since = Some(t);
            }
            m.now = t;
        }
        if m.now.div_euclid(3600) > self.maint_hour {
            self.maint_hour = m.now.div_euclid(3600);
            self.maintain();
        }
    }

    /// Feeds one DNS answer (names flows that carry no SNI/Host).
    pub fn on_dns(&mut self, d: &DnsAnswer<'_>) {
        self.stats.dns_answers += 1;
        self.advance(d.ts.secs());
        let mut buf = std::mem::take(&mut self.name_buf);
        if normalize(d.name, &mut buf) {
            for &a in d.addrs.iter().take(64) {
                self.names.insert(d.client, a, &buf);
            }
        } else {
            self.stats.dns_bad_names += 1;
        }
        self.name_buf = buf;
    }

    /// Feeds an alert of another layer (for incidents). Do not feed this layer's own alerts
    /// back: they are added to the incident builder already.
    pub fn on_layer_alert(&mut self, a: &LayerAlert<'_>) {
        self.stats.layer_alerts += 1;
        self.advance(a.ts.secs());
        if self.learn_mode {
            return;
        }
        if let Some(i) = self.incidents.add(a) {
            self.stats.incidents += 1;
            self.incident_out.push(i);
        }
    }

    fn host_mut(&mut self, a: Addr) -> &mut HostProfile {
        let now = self.st.meta.now;
        host_entry(
            &mut self.st.hosts,
            &mut self.st.net,
            self.cfg.max_hosts,
            now,
            &mut self.stats.hosts_evicted,
            a,
        )
    }

    /// Feeds one ended flow.
    pub fn on_flow(&mut self, f: &FlowSummary<'_>) {
        self.stats.flows += 1;
        let start = f.ts_start.secs();
        let end = f.ts_end.secs().max(start);
        self.advance(end);
        match (self.home.contains(f.client), self.home.contains(f.server)) {
            (true, false) => {
                self.stats.flows_outbound += 1;
                self.outbound(f, start, end, false);
            }
            (true, true) => {
                self.stats.flows_internal += 1;
                self.internal(f, end);
                if self.cfg.beacon.include_internal {
                    self.outbound(f, start, end, true);
                }
            }
            (false, true) => {
                self.stats.flows_inbound += 1;
                if f.pkts_to_client > 0 || f.bytes_to_client > 0 {
                    let now = self.st.meta.now;
                    let cap = self.cfg.max_ports_per_host;
                    let h = self.host_mut(f.server);
                    bump_port(h, (1, f.proto, f.dport), now, cap);
                }
            }
            (false, false) => self.stats.flows_transit += 1,
        }
    }

    fn internal(&mut self, f: &FlowSummary<'_>, end: i64) {
        let now = self.st.meta.now;
        let day = day_of(end, self.cfg.utc_offset_secs);
        let (cap_srv, cap_ports, hist) = (
            self.cfg.max_servers_per_host,
            self.cfg.max_ports_per_host,
            self.cfg.bulk_read.history_days,
        );
        let h = self.host_mut(f.client);
        bump_port(h, (0, f.proto, f.dport), now, cap_ports);
        let s = server_mut(h, f.server, now, cap_srv);
        s.conns = s.conns.saturating_add(1);
        if let Some(d) = server_day(s, day, hist) {
            d.bytes = d.bytes.saturating_add(f.bytes_to_client);
        }
        if f.pkts_to_client > 0 || f.bytes_to_client > 0 {
            let h = self.host_mut(f.server);
            bump_port(h, (1, f.proto, f.dport), now, cap_ports);
        }
    }

    fn outbound(&mut self, f: &FlowSummary<'_>, start: i64, end: i64, internal: bool) {
        let mut name_buf = std::mem::take(&mut self.name_buf);
        let mut key_buf = std::mem::take(&mut self.key_buf);
        let named = match f.server_name {
            Some(n) if normalize(n, &mut name_buf) => true,
            _ => match self.names.lookup(f.client, f.server) {
                Some(n) => {
                    name_buf.clear();
                    name_buf.push_str(n);
                    true
                }
                None => false,
            },
        };
        key_buf.clear();
        let _ = write!(key_buf, "{}", f.server.to_ip());
        self.outbound_named(
            f,
            start,
            end,
            internal,
            named.then_some(name_buf.as_str()),
            &key_buf,
        );
        self.name_buf = name_buf;
        self.key_buf = key_buf;
    }

    fn outbound_named(
        &mut self,
        f: &FlowSummary<'_>,
        start: i64,
        end: i64,
        internal: bool,
        name: Option<&str>,
        ip_key: &str,
    ) {
        let now = self.st.meta.now;
        let primary = name.unwrap_or(ip_key);
        let app = f.app_proto.unwrap_or("");
        let ntp = (f.proto == PROTO_UDP && f.dport == 123) || app.eq_ignore_ascii_case("ntp");
        let dns = (f.dport == 53 || app.eq_ignore_ascii_case("dns"))
            && self.resolvers.contains(&f.server);
        let allowed = name.is_some_and(|n| self.allow.name(n)) || self.allow.addr(f.server);
        let out = f.bytes_to_server;
        let inn = f.bytes_to_client;
        let hour = end.div_euclid(3600);

        let (max_dests, max_ports, hour_keep, offset) = (
            self.cfg.max_dests_per_host,
            self.cfg.max_ports_per_host,
            self.cfg.exfil.hour_history,
            self.cfg.utc_offset_secs,
        );
        let net_new = !self.st.net.contains_key(primary);
        let host_new;
        let mut evicted = Vec::new();
        {
            let h = host_entry(
                &mut self.st.hosts,
                &mut self.st.net,
                self.cfg.max_hosts,
                now,
                &mut self.stats.hosts_evicted,
                f.client,
            );
            host_new = !h.dests.contains_key(primary);
            bump_port(h, (0, f.proto, f.dport), now, max_ports);
            if !internal {
                h.roll_hour(hour, hour_keep);
                h.cur_out = h.cur_out.saturating_add(out);
                h.cur_in = h.cur_in.saturating_add(inn);
                let how = hour_of_week(end, offset);
                if let Some(v) = h.how_out.get_mut(how) {
                    *v = v.saturating_add(out);
                }
                if let Some(v) = h.how_in.get_mut(how) {
                    *v = v.saturating_add(inn);
                }
            }
            let keys: [Option<&str>; 2] = [Some(primary), name.map(|_| ip_key)];
            for key in keys.into_iter().flatten() {
                if !h.dests.contains_key(key) {
                    if h.dests.len() >= max_dests {
                        evicted.extend(evict_lru(&mut h.dests, max_dests.saturating_sub(1), |d| {
                            d.last_seen
                        }));
                    }
                    h.dests.insert(
                        key.into(),
                        DestEntry {
                            first_seen: now,
                            hour,
                            ..Default::default()
                        },
                    );
                    self.st
                        .net
                        .entry(key.into())
                        .or_insert(NetDest {
                            first_seen: now,
                            last_seen: now,
                            hosts: 0,
                        })
                        .hosts += 1;
                }
                if let Some(n) = self.st.net.get_mut(key) {
                    n.last_seen = now;
                }
                if let Some(d) = h.dests.get_mut(key) {
                    d.ip = Some(f.server);
                    d.last_seen = now;
                    d.conns = d.conns.saturating_add(1);
                    d.bytes_out = d.bytes_out.saturating_add(out);
                    d.bytes_in = d.bytes_in.saturating_add(inn);
                    if hour > d.hour {
                        d.hour = hour;
                        d.hour_out = 0;
                        d.hour_in = 0;
                    }
                    d.hour_out = d.hour_out.saturating_add(out);
                    d.hour_in = d.hour_in.saturating_add(inn);
                }
            }
        }
        self.stats.dests_evicted += evicted.len() as u64;
        for (k, d) in &evicted {
            release_dest(&mut self.st.net, k, d);
        }
        if self.st.net.len() > self.cfg.max_network_dests {
            let gone = evict_lru(&mut self.st.net, self.cfg.max_network_dests, |n| {
                n.last_seen
            });
            self.stats.dests_evicted += gone.len() as u64;
        }

        if !internal {
            self.first_seen_check(f, primary, name, host_new, net_new, allowed);
            self.exfil_check(f, primary, host_new);
        }

        if !self.cfg.beacon.enabled {
            return;
        }
        if ntp || dns || allowed {
            self.stats.beacon_excluded += 1;
            return;
        }
        let cap = self.cfg.beacon.max_conns_per_pair;
        let min = self.cfg.beacon.min_connections;
        let mut dropped = 0u64;
        let mut should_score = false;
        if let Some(d) = self
            .st
            .hosts
            .get_mut(&f.client)
            .and_then(|h| h.dests.get_mut(primary))
        {
            let idx = match d.pairs.iter().position(|p| p.port == f.dport) {
                Some(i) => i,
                None => {
                    d.pairs.push(Pair {
                        port: f.dport,
                        ..Default::default()
                    });
                    d.pairs.len() - 1
                }
            };
            if let Some(p) = d.pairs.get_mut(idx) {
                p.conns.push_back((start, out));
                while p.conns.len() > cap {
                    p.conns.pop_front();
                    dropped += 1;
                }
                p.last = LastFlow {
                    ip: f.server,
                    sport: f.sport,
                    dport: f.dport,
                    proto: f.proto,
                    flow_id: f.flow_id,
                };
                p.pending = p.pending.saturating_add(1);
                let n = p.conns.len();
                let every = if n < 64 { 1 } else { n / 16 };
                should_score = n >= min
                    && (p.pending as usize >= every || now.saturating_sub(p.scored_at) >= 900);
            }
        }
        self.stats.beacon_conns_dropped += dropped;
        self.conns_estimate = self
            .conns_estimate
            .saturating_add(1)
            .saturating_sub(dropped as usize);
        if self.conns_estimate > self.cfg.beacon.max_total_conns {
            self.enforce_conn_cap();
        }
        if should_score {
            self.score_beacon(f.client, primary, f.dport);
        }
    }

    fn first_seen_check(
        &mut self,
        f: &FlowSummary<'_>,
        primary: &str,
        name: Option<&str>,
        host_new: bool,
        net_new: bool,
        allowed: bool,
    ) {
        if !host_new {
            return;
        }
        let scope = self.cfg.first_seen.alert;
        let wanted = match scope {
            FirstSeenScope::Off => false,
            FirstSeenScope::Host => true,
            FirstSeenScope::Network => net_new,
        };
        if !wanted || (allowed && self.cfg.first_seen.skip_allowlisted) {
            return;
        }
        let Some(h) = self.st.hosts.get(&f.client) else {
            return;
        };
        if !self.established(h) {
            if self.learn_mode {
                self.stats.alerts_suppressed_learn += 1;
            }
            return;
        }
        let now = self.st.meta.now;
        let prevalence = self.prevalence(primary);
        let score = if net_new {
            0.5
        } else {
            0.3 + 0.2 * (1.0 - prevalence.unwrap_or(0.5))
        };
        let host = f.client.to_ip();
        let mut ev = Map::new();
        ev.insert("network_first_seen".into(), json!(net_new));
        ev.insert("name".into(), json!(name));
        ev.insert("ip".into(), json!(f.server.to_ip().to_string()));
        ev.insert(
            "hosts".into(),
            json!(self.st.net.get(primary).map_or(0, |n| n.hosts)),
        );
        ev.insert("prevalence".into(), json!(prevalence.map(round3)));
        ev.insert("app_proto".into(), json!(f.app_proto));
        let scope_txt = if net_new {
            "new to the network"
        } else {
            "new to this host"
        };
        let v = Verdict {
            kind: BehaviorKind::FirstSeen,
            src: f.client,
            last: LastFlow {
                ip: f.server,
                sport: f.sport,
                dport: f.dport,
                proto: f.proto,
                flow_id: f.flow_id,
            },
            peer: primary.to_string(),
            score,
            severity: 4,
            level: 0,
            metric: 1,
            key: String::new(),
            first_seen: now,
            last_seen: now,
            connections: Some(1),
            interval_s: None,
            jitter: None,
            signature: format!(
                "Behavior: {host} contacted {primary}:{} ({scope_txt})",
                f.dport
            ),
            evidence: ev,
        };
        self.emit(v, None);
    }

    fn prevalence(&self, key: &str) -> Option<f64> {
        let hosts = self.st.hosts.len();
        if hosts < self.cfg.beacon.prevalence_min_hosts || hosts == 0 {
            return None;
        }
        let n = self.st.net.get(key).map_or(0, |n| n.hosts);
        Some((f64::from(n) / hosts as f64).min(1.0))
    }

    fn dest_recent(&self, h: &HostProfile, d: &DestEntry, days: u32) -> bool {
        self.established(h)
            && d.first_seen > self.baseline_end(h)
            && self.st.meta.now.saturating_sub(d.first_seen) <= i64::from(days) * 86_400
    }

    fn exfil_check(&mut self, f: &FlowSummary<'_>, primary: &str, host_new: bool) {
        let x = &self.cfg.exfil;
        if !x.enabled {
            return;
        }
        let Some(h) = self.st.hosts.get(&f.client) else {
            return;
        };
        let Some(d) = h.dests.get(primary) else {
            return;
        };
        let out = f.bytes_to_server;
        if out < x.floor_bytes && d.hour_out < x.floor_bytes {
            return;
        }
        let now = self.st.meta.now;
        let established = self.established(h);
        let (threshold, p99) = if established && h.hour_ring.len() >= x.min_baseline_hours {
            let mut ring: Vec<u64> = h.hour_ring.iter().copied().collect();
            ring.sort_unstable();
            let p = percentile_sorted(&ring, x.baseline_percentile);
            let t = (p as f64 * x.baseline_factor).min(u64::MAX as f64) as u64;
            (t.max(x.floor_bytes), Some(p))
        } else {
            (x.no_baseline_bytes.max(x.floor_bytes), None)
        };
        let flow_pcr = pcr(out, f.bytes_to_client);
        let hour_pcr = pcr(d.hour_out, d.hour_in);
        let flow_hit = out >= threshold && flow_pcr > x.pcr_min;
        let hour_hit = d.hour_out >= threshold && hour_pcr > x.pcr_min;
        if !flow_hit && !hour_hit {
            return;
        }
        if self.learn_mode {
            self.stats.alerts_suppressed_learn += 1;
            return;
        }
        let metric = if hour_hit { d.hour_out.max(out) } else { out };
        let first =
            established && (host_new || self.dest_recent(h, d, self.cfg.beacon.first_seen_days));
        let after_bulk = h
            .last_bulk_alert
            .is_some_and(|t| now.saturating_sub(t) <= secs_i(x.after_bulk_read_secs));
        let ratio = metric as f64 / threshold.max(1) as f64;
        let mut score = 0.6 + (0.1 * ratio.log2()).clamp(0.0, 0.2);
        if first {
            score += 0.15;
        }
        if after_bulk {
            score += 0.15;
        }
        let score = score.clamp(0.0, 1.0);
        let mut ev = Map::new();
        ev.insert("bytes_out".into(), json!(out));
        ev.insert("bytes_in".into(), json!(f.bytes_to_client));
        ev.insert("pcr".into(), json!(round3(flow_pcr)));
        ev.insert("hour_bytes_out".into(), json!(d.hour_out));
        ev.insert("hour_bytes_in".into(), json!(d.hour_in));
        ev.insert("hour_pcr".into(), json!(round3(hour_pcr)));
        ev.insert("per".into(), json!(if flow_hit { "flow" } else { "hour" }));
        ev.insert("threshold".into(), json!(threshold));
        ev.insert("baseline_p99_hourly".into(), json!(p99));
        ev.insert("baseline".into(), json!(p99.is_some()));
        ev.insert("first_seen".into(), json!(first));
        ev.insert("after_bulk_read".into(), json!(after_bulk));
        ev.insert("encrypted".into(), json!(f.encrypted));
        ev.insert("app_proto".into(), json!(f.app_proto));
        let host = f.client.to_ip();
        let mut sig = format!(
            "Behavior: {host} sent {} to {primary}:{} (pcr {:.2}, threshold {})",
            human_bytes(metric),
            f.dport,
            if flow_hit { flow_pcr } else { hour_pcr },
            human_bytes(threshold)
        );
        if first {
            sig.push_str(", first-seen destination");
        }
        if after_bulk {
            sig.push_str(", after a bulk read");
        }
        let v = Verdict {
            kind: BehaviorKind::ExfilVolume,
            src: f.client,
            last: LastFlow {
                ip: f.server,
                sport: f.sport,
                dport: f.dport,
                proto: f.proto,
                flow_id: f.flow_id,
            },
            peer: primary.to_string(),
            score,
            severity: severity_of(score),
            level: 0,
            metric,
            key: format!("x|{}|{primary}", f.client.to_ip()),
            first_seen: d.first_seen,
            last_seen: now,
            connections: Some(d.conns),
            interval_s: None,
            jitter: None,
            signature: sig,
            evidence: ev,
        };
        self.decide(v);
    }

    fn score_beacon(&mut self, host: Addr, key: &str, port: u16) {
        let (retain_from, max_ts) = (self.window_start(), self.st.meta.now);
        let now = max_ts;
        let prevalence = self.prevalence(key);
        let Some(h) = self.st.hosts.get(&host) else {
            return;
        };
        let Some(d) = h.dests.get(key) else { return };
        let Some(p) = d.pairs.iter().find(|p| p.port == port) else {
            return;
        };
        // The analysis window of the pair: from its first connection still in the rolling window
        // to now (see the module documentation).
        let first = p
            .conns
            .iter()
            .map(|c| c.0)
            .filter(|&t| t >= retain_from && t <= max_ts)
            .min()
            .unwrap_or(retain_from);
        let min_ts = first
            .min(max_ts.saturating_sub(secs_i(self.cfg.beacon.min_span_secs)))
            .max(retain_from);
        let scored = score_pair(
            p.conns.iter().copied(),
            min_ts,
            max_ts,
            &self.cfg.beacon,
            &mut self.scratch,
        );
        let recent = self.dest_recent(h, d, self.cfg.beacon.first_seen_days);
        let last = p.last;
        let host_learned = self.established(h);
        self.stats.beacon_scored += 1;
        if let Some(p) = self
            .st
            .hosts
            .get_mut(&host)
            .and_then(|h| h.dests.get_mut(key))
            .and_then(|d| {
                let i = d.pairs.iter().position(|p| p.port == port)?;
                d.pairs.get_mut(i)
            })
        {
            p.pending = 0;
            p.scored_at = now;
        }
        let Some(s) = scored else { return };
        let (score, adj) = adjust(s.raw, prevalence, recent, &self.cfg.beacon);
        let band = Band::of(score);
        if band < self.cfg.beacon.alert_band && !s.strobe {
            return;
        }
        if self.learn_mode {
            self.stats.alerts_suppressed_learn += 1;
            return;
        }
        let v = beacon_verdict(
            host,
            key,
            port,
            last,
            &s,
            score,
            adj,
            band,
            prevalence,
            recent,
            host_learned,
            (min_ts, max_ts),
        );
        self.decide(v);
    }

    /// Episode bookkeeping: emits the first record of a new episode, or an update when the
    /// episode grew and the update interval has passed.
    fn decide(&mut self, v: Verdict) {
        let now = self.st.meta.now;
        let e = &self.cfg.episodes;
        let (idle, every, growth) = (
            secs_i(e.idle_secs),
            secs_i(e.update_interval_secs),
            e.growth_factor,
        );
        let existing = self
            .st
            .episodes
            .get_mut(&v.key)
            .filter(|ep| now.saturating_sub(ep.last_activity) <= idle);
        let (id, update) = match existing {
            Some(ep) => {
                ep.last_activity = ep.last_activity.max(now);
                let grew = v.level > ep.level || v.metric as f64 >= ep.metric as f64 * growth;
                if !grew || now.saturating_sub(ep.last_report) < every {
                    return;
                }
                ep.last_report = now;
                ep.level = ep.level.max(v.level);
                ep.metric = v.metric;
                ep.score = v.score;
                (ep.id, true)
            }
            None => {
                let id = self.st.meta.next_episode;
                self.st.meta.next_episode = id.wrapping_add(1);
                self.st.episodes.insert(
                    v.key.clone(),
                    Episode {
                        id,
                        started: now,
                        last_activity: now,
                        last_report: now,
                        level: v.level,
                        metric: v.metric,
                        score: v.score,
                    },
                );
                if self.st.episodes.len() > self.cfg.episodes.max_episodes {
                    evict_lru(&mut self.st.episodes, self.cfg.episodes.max_episodes, |e| {
                        e.last_activity
                    });
                }
                (id, false)
            }
        };
        self.emit(v, Some((id, update)));
    }

    fn emit(&mut self, v: Verdict, episode: Option<(u64, bool)>) {
        let (id, update) = episode.unwrap_or_else(|| {
            let id = self.st.meta.next_episode;
            self.st.meta.next_episode = id.wrapping_add(1);
            (id, false)
        });
        let now = self.st.meta.now;
        self.stats.alerts += 1;
        match v.kind {
            BehaviorKind::Beacon => self.stats.alerts_beacon += 1,
            BehaviorKind::FirstSeen => self.stats.alerts_first_seen += 1,
            BehaviorKind::ExfilVolume => self.stats.alerts_exfil += 1,
            BehaviorKind::BulkRead => self.stats.alerts_bulk_read += 1,
            _ => {}
        }
        if update {
            self.stats.alert_updates += 1;
        }
        let alert = BehaviorAlert {
            ts: ts_of(now),
            src: v.src,
            dest: v.last.ip,
            src_port: v.last.sport,
            dest_port: v.last.dport,
            proto: v.last.proto,
            flow_id: v.last.flow_id,
            signature_id: v.kind.signature_id(),
            signature: v.signature,
            category: v.kind.category(),
            severity: v.severity,
            behavior: BehaviorRecord {
                kind: v.kind,
                score: round3(v.score),
                connections: v.connections,
                interval_s: v.interval_s,
                jitter: v.jitter,
                first_seen: ts_of(v.first_seen),
                last_seen: ts_of(v.last_seen),
                peer: v.peer,
                episode: id,
                update,
                evidence: v.evidence,
            },
        };
        if !update && !self.learn_mode {
            let la = LayerAlert {
                ts: alert.ts,
                host: alert.src,
                layer: Layer::Behavior,
                kind: alert.behavior.kind.as_str(),
                severity: alert.severity,
                signature: &alert.signature,
            };
            if let Some(i) = self.incidents.add(&la) {
                self.stats.incidents += 1;
                self.incident_out.push(i);
            }
        }
        self.alerts.push(alert);
    }

    /// Feeds one file read from an internal server (SMB2, or HTTP from an internal web server).
    pub fn on_file_read(&mut self, r: &FileRead<'_>) {
        self.stats.file_reads += 1;
        let ts = r.ts.secs();
        self.advance(ts);
        if !self.cfg.bulk_read.enabled
            || !self.home.contains(r.client)
            || !self.home.contains(r.server)
        {
            self.stats.file_reads_ignored += 1;
            return;
        }
        let now = self.st.meta.now;
        let b = self.cfg.bulk_read.clone();
        let day = day_of(ts, self.cfg.utc_offset_secs);
        let cap_srv = self.cfg.max_servers_per_host;
        {
            let h = self.host_mut(r.client);
            let s = server_mut(h, r.server, now, cap_srv);
            if let Some(d) = server_day(s, day, b.history_days) {
                d.files = d.files.saturating_add(1);
                d.file_bytes = d.file_bytes.saturating_add(r.bytes);
            }
        }
        if !self.windows.contains_key(&(r.client, r.server)) && self.windows.len() >= b.max_windows
        {
            evict_lru(&mut self.windows, b.max_windows.saturating_sub(1), |w| {
                w.last_ts
            });
        }
        let w = self.windows.entry((r.client, r.server)).or_default();
        w.push(
            ts,
            r.bytes,
            r.path,
            r.share,
            b.window_secs,
            b.max_reads_per_window,
        );
        w.last = (r.sport, r.dport, r.flow_id);
        let (files, bytes) = (w.files(), w.bytes());
        let Some(h) = self.st.hosts.get(&r.client) else {
            return;
        };
        let established = self.established(h);
        let mut pf: Vec<u64> = h
            .read_days
            .iter()
            .filter(|d| d.day != day)
            .map(|d| d.peak_files)
            .collect();
        let mut pb: Vec<u64> = h
            .read_days
            .iter()
            .filter(|d| d.day != day)
            .map(|d| d.peak_bytes)
            .collect();
        pf.sort_unstable();
        pb.sort_unstable();
        let base_files = percentile_sorted(&pf, b.baseline_percentile);
        let base_bytes = percentile_sorted(&pb, b.baseline_percentile);
        let need_files = (base_files as f64 * b.factor).max(b.floor_files as f64);
        let need_bytes = (base_bytes as f64 * b.factor).max(b.floor_bytes as f64);
        let hit = established && (files as f64 >= need_files || bytes as f64 >= need_bytes);
        if let Some(w) = self.windows.get_mut(&(r.client, r.server)) {
            w.alarm = hit;
        }
        if !hit {
            // An ordinary window: it may raise today's peak.
            if let Some(h) = self.st.hosts.get_mut(&r.client)
                && let Some(rd) = read_day(h, day, b.history_days)
            {
                rd.peak_files = rd.peak_files.max(files);
                rd.peak_bytes = rd.peak_bytes.max(bytes);
            }
            return;
        }
        let Some(w) = self.windows.get(&(r.client, r.server)) else {
            return;
        };
        let desc = w.describe();
        let first_ts = w.first_ts().unwrap_or(ts);
        let peer = self
            .names
            .lookup(r.client, r.server)
            .map_or_else(|| r.server.to_ip().to_string(), str::to_string);
        let ratio = (files as f64 / need_files.max(1.0)).max(bytes as f64 / need_bytes.max(1.0));
        let score = (0.75 + (0.1 * ratio.log2()).clamp(0.0, 0.2)).clamp(0.0, 1.0);
        let mut ev = Map::new();
        ev.insert("files".into(), json!(files));
        ev.insert("bytes".into(), json!(bytes));
        ev.insert("window_s".into(), json!(b.window_secs));
        ev.insert("baseline_files".into(), json!(base_files));
        ev.insert("baseline_bytes".into(), json!(base_bytes));
        ev.insert("threshold_files".into(), json!(need_files.round() as u64));
        ev.insert("threshold_bytes".into(), json!(need_bytes.round() as u64));
        ev.insert("share".into(), json!(desc.share));
        ev.insert("directory".into(), json!(desc.directory));
        ev.insert("pattern".into(), json!(desc.pattern));
        ev.insert("samples".into(), json!(desc.samples));
        let place = match &desc.share {
            Some(s) if desc.directory.is_empty() => s.clone(),
            Some(s) => format!("{s}\\{}", desc.directory),
            None => desc.directory.clone(),
        };
        let signature = format!(
            "Behavior: bulk read by {} from {peer}: {files} files, {} in {} min ({place} {})",
            r.client.to_ip(),
            human_bytes(bytes),
            b.window_secs.div_ceil(60),
            desc.pattern
        );
        let v = Verdict {
            kind: BehaviorKind::BulkRead,
            src: r.client,
            last: LastFlow {
                ip: r.server,
                sport: r.sport,
                dport: r.dport,
                proto: 6,
                flow_id: r.flow_id,
            },
            peer,
            score,
            severity: severity_of(score),
            level: 0,
            metric: files.max(1),
            key: format!("r|{}|{}", r.client.to_ip(), r.server.to_ip()),
            first_seen: first_ts,
            last_seen: ts.max(first_ts),
            connections: Some(files),
            interval_s: None,
            jitter: None,
            signature,
            evidence: ev,
        };
        if let Some(h) = self.st.hosts.get_mut(&r.client) {
            h.last_bulk_alert = Some(now);
        }
        self.decide(v);
    }

    fn enforce_conn_cap(&mut self) {
        let exact = self.st.pair_conns();
        let max = self.cfg.beacon.max_total_conns;
        if exact <= max.saturating_mul(9) / 10 {
            self.conns_estimate = exact;
            return;
        }
        let target = max.saturating_mul(8) / 10;
        let mut pairs: Vec<(i64, Addr, Box<str>, u16, usize)> = Vec::new();
        for (a, h) in &self.st.hosts {
            for (k, d) in &h.dests {
                for p in &d.pairs {
                    let last = p.conns.back().map_or(i64::MIN, |c| c.0);
                    pairs.push((last, *a, k.clone(), p.port, p.conns.len()));
                }
            }
        }
        pairs.sort_unstable();
        let mut total = exact;
        for (_, a, k, port, n) in pairs {
            if total <= target {
                break;
            }
            if let Some(d) = self.st.hosts.get_mut(&a).and_then(|h| h.dests.get_mut(&k)) {
                d.pairs.retain(|p| p.port != port);
                total = total.saturating_sub(n);
                self.stats.beacon_conns_dropped += n as u64;
            }
        }
        self.conns_estimate = total;
    }

    /// The hourly maintenance: ages entries out, enforces caps, closes idle episodes, prunes
    /// bulk-read windows and rescores beacon pairs with new connections.
    fn maintain(&mut self) {
        self.stats.maintenance += 1;
        let now = self.st.meta.now;
        let horizon = now.saturating_sub(i64::from(self.cfg.max_age_days) * 86_400);
        let win_start = self.window_start();
        let hour = now.div_euclid(3600);
        let (keep_hours, hist) = (self.cfg.exfil.hour_history, self.cfg.bulk_read.history_days);
        let today = day_of(now, self.cfg.utc_offset_secs);
        let mut expired = 0u64;
        let mut released: Vec<(Box<str>, DestEntry)> = Vec::new();
        let old_hosts: Vec<Addr> = self
            .st
            .hosts
            .iter()
            .filter(|(_, h)| h.last_seen < horizon)
            .map(|(a, _)| *a)
            .collect();
        for a in old_hosts {
            if let Some(h) = self.st.hosts.remove(&a) {
                expired += 1;
                release_host(&mut self.st.net, &h);
            }
        }
        for h in self.st.hosts.values_mut() {
            h.roll_hour(hour, keep_hours);
            let old: Vec<Box<str>> = h
                .dests
                .iter()
                .filter(|(_, d)| d.last_seen < horizon)
                .map(|(k, _)| k.clone())
                .collect();
            for k in old {
                if let Some(d) = h.dests.remove(&k) {
                    expired += 1;
                    released.push((k, d));
                }
            }
            for d in h.dests.values_mut() {
                for p in &mut d.pairs {
                    while p.conns.front().is_some_and(|c| c.0 < win_start) {
                        p.conns.pop_front();
                    }
                }
                d.pairs.retain(|p| !p.conns.is_empty());
            }
            let before = h.ports.len() + h.servers.len();
            h.ports.retain(|_, p| p.last_seen >= horizon);
            h.servers.retain(|_, s| s.last_seen >= horizon);
            expired += (before - h.ports.len() - h.servers.len()) as u64;
            for s in h.servers.values_mut() {
                while s.days.front().is_some_and(|d| d.day <= today - hist as i64) {
                    s.days.pop_front();
                }
            }
            while h
                .read_days
                .front()
                .is_some_and(|d| d.day <= today - hist as i64)
            {
                h.read_days.pop_front();
            }
        }
        for (k, d) in &released {
            release_dest(&mut self.st.net, k, d);
        }
        let before = self.st.net.len();
        self.st.net.retain(|_, n| n.last_seen >= horizon);
        expired += (before - self.st.net.len()) as u64;
        self.stats.entries_expired += expired;
        let idle = secs_i(self.cfg.episodes.idle_secs);
        self.st
            .episodes
            .retain(|_, e| now.saturating_sub(e.last_activity) <= idle);
        let bw = secs_i(self.cfg.bulk_read.window_secs);
        let cap = self.cfg.bulk_read.max_reads_per_window;
        self.windows.retain(|_, w| {
            w.prune(now.saturating_sub(bw), cap);
            !w.is_empty()
        });
        self.conns_estimate = self.st.pair_conns();
        if self.conns_estimate > self.cfg.beacon.max_total_conns {
            self.enforce_conn_cap();
        }
        self.rescore_pending();
    }

    fn rescore_pending(&mut self) {
        let min = self.cfg.beacon.min_connections;
        let mut todo: Vec<(Addr, Box<str>, u16)> = Vec::new();
        for (a, h) in &self.st.hosts {
            for (k, d) in &h.dests {
                for p in &d.pairs {
                    if p.pending > 0 && p.conns.len() >= min {
                        todo.push((*a, k.clone(), p.port));
                    }
                }
            }
        }
        todo.sort_unstable();
        for (a, k, port) in todo {
            self.score_beacon(a, &k, port);
        }
    }

    /// Runs maintenance and writes the baseline to the store (no-op without a store). In learn
    /// mode it also records the end of learning and marks every profiled host as learned.
    pub fn checkpoint(&mut self) -> Result<(), BehaviorError> {
        self.maintain();
        if self.learn_mode {
            let now = self.st.meta.now;
            self.st.meta.learned_until = Some(now);
            for h in self.st.hosts.values_mut() {
                h.learned = true;
            }
        }
        self.st.meta.next_incident = self.incidents.next_id();
        let Some(store) = &self.store else {
            return Ok(());
        };
        match store.save(&self.st) {
            Ok(()) => {
                self.stats.checkpoints += 1;
                Ok(())
            }
            Err(e) => {
                self.stats.checkpoint_errors += 1;
                Err(e.into())
            }
        }
    }

    /// End of input: rescores every pair with new connections and writes a checkpoint.
    pub fn finish(&mut self) -> Result<(), BehaviorError> {
        self.checkpoint()
    }
}

#[allow(clippy::too_many_arguments)]
fn beacon_verdict(
    host: Addr,
    key: &str,
    port: u16,
    last: LastFlow,
    s: &BeaconScore,
    score: f64,
    adj: f64,
    band: Band,
    prevalence: Option<f64>,
    recent: bool,
    established: bool,
    window: (i64, i64),
) -> Verdict {
    let mut ev = Map::new();
    ev.insert("band".into(), json!(band.as_str()));
    ev.insert("raw_score".into(), json!(round3(s.raw)));
    ev.insert("adjustment".into(), json!(round3(adj)));
    ev.insert("r_intervals".into(), json!(round3(s.intervals.r)));
    ev.insert("r_sizes".into(), json!(round3(s.sizes.r)));
    ev.insert("histogram".into(), json!(round3(s.hist.score)));
    ev.insert("duration".into(), json!(round3(s.duration)));
    ev.insert("interval_skew".into(), json!(round3(s.intervals.skew)));
    ev.insert("interval_mad_s".into(), json!(round3(s.intervals.mad)));
    ev.insert("size_median".into(), json!(round3(s.sizes.median)));
    ev.insert("size_skew".into(), json!(round3(s.sizes.skew)));
    ev.insert("size_mad".into(), json!(round3(s.sizes.mad)));
    ev.insert("hist_cv".into(), json!(round3(s.hist.cv)));
    ev.insert("two_mode_fit".into(), json!(s.hist.fit.map(round3)));
    ev.insert("bins".into(), json!(s.counts.to_vec()));
    ev.insert("missed_beats".into(), json!(s.missed_beats));
    ev.insert("connections_raw".into(), json!(s.total));
    ev.insert("prevalence".into(), json!(prevalence.map(round3)));
    ev.insert("first_seen_recent".into(), json!(recent));
    ev.insert("baseline".into(), json!(established));
    ev.insert(
        "window_start".into(),
        json!(crate::time::eve_time(ts_of(window.0))),
    );
    ev.insert(
        "window_end".into(),
        json!(crate::time::eve_time(ts_of(window.1))),
    );
    ev.insert("port".into(), json!(port));
    ev.insert("strobe".into(), json!(s.strobe));
    ev.insert("rate_per_day".into(), json!(s.rate_per_day.round()));
    let hosttxt = host.to_ip();
    let (signature, severity) = if s.strobe {
        (
            format!(
                "Behavior: strobe from {hosttxt} to {key}:{port}, {:.0} connections/day",
                s.rate_per_day
            ),
            3,
        )
    } else {
        (
            format!(
                "Behavior: beacon from {hosttxt} to {key}:{port} every {:.0} s ({} connections, score {:.2}, {})",
                s.intervals.median,
                s.distinct,
                score,
                band.as_str()
            ),
            match band {
                Band::High => 1,
                Band::Medium => 2,
                _ => 3,
            },
        )
    };
    Verdict {
        kind: BehaviorKind::Beacon,
        src: host,
        last,
        peer: key.to_string(),
        score,
        severity,
        level: band_level(band),
        metric: s.distinct as u64,
        key: format!("b|{hosttxt}|{key}|{port}"),
        first_seen: s.t1,
        last_seen: s.tn,
        connections: Some(s.distinct as u64),
        interval_s: Some(round3(s.intervals.median)),
        jitter: Some(round3(s.jitter)),
        signature,
        evidence: ev,
    }
}

fn host_entry<'a>(
    hosts: &'a mut HashMap<Addr, HostProfile>,
    net: &mut HashMap<Box<str>, NetDest>,
    max: usize,
    now: i64,
    evicted: &mut u64,
    a: Addr,
) -> &'a mut HostProfile {
    if !hosts.contains_key(&a) && hosts.len() >= max {
        let gone = evict_lru(hosts, max.saturating_sub(1), |h| h.last_seen);
        *evicted += gone.len() as u64;
        for (_, h) in gone {
            release_host(net, &h);
        }
    }
    let h = hosts.entry(a).or_insert_with(|| HostProfile::new(now));
    h.last_seen = h.last_seen.max(now);
    h
}

fn release_dest(net: &mut HashMap<Box<str>, NetDest>, key: &str, _d: &DestEntry) {
    if let Some(n) = net.get_mut(key) {
        n.hosts = n.hosts.saturating_sub(1);
    }
}

fn release_host(net: &mut HashMap<Box<str>, NetDest>, h: &HostProfile) {
    for (k, d) in &h.dests {
        release_dest(net, k, d);
    }
}

fn bump_port(h: &mut HostProfile, key: (u8, u8, u16), now: i64, cap: usize) {
    if !h.ports.contains_key(&key) && h.ports.len() >= cap {
        evict_lru(&mut h.ports, cap.saturating_sub(1), |p| p.last_seen);
    }
    let p = h.ports.entry(key).or_default();
    p.conns = p.conns.saturating_add(1);
    p.last_seen = p.last_seen.max(now);
}

fn server_mut(h: &mut HostProfile, srv: Addr, now: i64, cap: usize) -> &mut ServerStat {
    if !h.servers.contains_key(&srv) && h.servers.len() >= cap {
        evict_lru(&mut h.servers, cap.saturating_sub(1), |s| s.last_seen);
    }
    let s = h.servers.entry(srv).or_insert_with(|| ServerStat {
        first_seen: now,
        ..Default::default()
    });
    s.last_seen = s.last_seen.max(now);
    s
}

fn server_day(s: &mut ServerStat, day: i64, keep: usize) -> Option<&mut ServerDay> {
    if s.days.back().is_none_or(|d| d.day < day) {
        s.days.push_back(ServerDay {
            day,
            ..Default::default()
        });
        while s.days.len() > keep {
            s.days.pop_front();
        }
    }
    // A late record of an earlier day goes to the latest entry not after it (else the oldest).
    let i = s.days.iter().rposition(|d| d.day <= day).unwrap_or(0);
    s.days.get_mut(i)
}

fn read_day(h: &mut HostProfile, day: i64, keep: usize) -> Option<&mut ReadDay> {
    if h.read_days.back().is_none_or(|d| d.day < day) {
        h.read_days.push_back(ReadDay {
            day,
            ..Default::default()
        });
        while h.read_days.len() > keep {
            h.read_days.pop_front();
        }
    }
    let i = h.read_days.iter().rposition(|d| d.day <= day).unwrap_or(0);
    h.read_days.get_mut(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(t: i64, client: Addr, server: Addr) -> FlowSummary<'static> {
        FlowSummary {
            ts_start: ts_of(t),
            ts_end: ts_of(t + 1),
            client,
            server,
            sport: 40_000,
            dport: 443,
            proto: 6,
            bytes_to_server: 100,
            bytes_to_client: 1000,
            pkts_to_server: 1,
            pkts_to_client: 1,
            ..Default::default()
        }
    }

    fn layer() -> Behavior {
        Behavior::new(
            BehaviorConfig::default(),
            HomeNet::parse("10.0.0.0/8").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn producer_consumer_ratio() {
        assert_eq!(pcr(0, 0), 0.0);
        assert_eq!(pcr(100, 0), 1.0);
        assert_eq!(pcr(0, 100), -1.0);
        assert_eq!(pcr(300, 100), 0.5);
        assert!(pcr(u64::MAX, u64::MAX).abs() < 1e-12);
    }

    #[test]
    fn directions_are_counted() {
        let mut b = layer();
        let (i1, i2, e) = (
            Addr::v4([10, 0, 0, 1]),
            Addr::v4([10, 0, 0, 2]),
            Addr::v4([8, 8, 4, 4]),
        );
        b.on_flow(&flow(1000, i1, e));
        b.on_flow(&flow(1001, i1, i2));
        b.on_flow(&flow(1002, e, i2));
        let mut silent = flow(1003, e, i1);
        (silent.pkts_to_client, silent.bytes_to_client) = (0, 0);
        b.on_flow(&silent);
        b.on_flow(&flow(1004, e, Addr::v4([9, 9, 9, 9])));
        let s = b.stats();
        assert_eq!(
            (
                s.flows,
                s.flows_outbound,
                s.flows_internal,
                s.flows_inbound,
                s.flows_transit
            ),
            (5, 1, 1, 2, 1)
        );
        // The unanswered inbound probe created no port entry on i1; the answered one did on i2.
        let p1 = b.profile(i1).unwrap();
        assert!(p1.ports.iter().all(|p| p.0 == 0));
        assert_eq!(p1.servers.len(), 1);
        assert!(b.profile(i2).unwrap().ports.iter().any(|p| p.0 == 1));
        assert_eq!(b.profile(i1).unwrap().destinations.len(), 1);
    }

    #[test]
    fn hostile_values_do_not_panic() {
        let mut b = layer();
        let h = Addr::v4([10, 0, 0, 1]);
        let long = "x".repeat(5000);
        for (i, t) in [
            i64::MIN / 1_000_000_000,
            -5,
            0,
            i64::MAX / 1_000_000_000,
            10,
            5,
        ]
        .into_iter()
        .enumerate()
        {
            let mut f = flow(t, h, Addr::v4([1, 2, 3, i as u8]));
            f.ts_end = Timestamp(if i % 2 == 0 { i64::MIN } else { i64::MAX });
            f.bytes_to_server = u64::MAX;
            f.bytes_to_client = u64::MAX;
            f.server_name = Some(if i % 2 == 0 { "\u{0}bad name" } else { &long });
            f.app_proto = Some("NTP");
            b.on_flow(&f);
            b.on_dns(&DnsAnswer {
                ts: ts_of(t),
                client: h,
                name: &long,
                addrs: &[Addr::default(); 100],
            });
            b.on_file_read(&FileRead {
                ts: ts_of(t),
                client: h,
                server: Addr::v4([10, 0, 0, 9]),
                sport: 0,
                dport: 445,
                share: Some(&long),
                path: &long,
                bytes: u64::MAX,
                flow_id: 0,
            });
            b.on_layer_alert(&LayerAlert {
                ts: ts_of(t),
                host: h,
                layer: Layer::Dlp,
                kind: &long,
                severity: 0,
                signature: &long,
            });
        }
        b.finish().unwrap();
        for a in b.drain_alerts() {
            serde_json::to_string(&a.to_eve_json()).unwrap();
        }
        assert!(b.stats().dns_bad_names > 0);
    }

    #[test]
    fn learning_period_and_first_seen() {
        let c = BehaviorConfig {
            learning_days: 1,
            ..Default::default()
        };
        let mut b = Behavior::new(c, HomeNet::parse("10.0.0.0/8").unwrap()).unwrap();
        let h = Addr::v4([10, 0, 0, 1]);
        let mut f = flow(0, h, Addr::v4([1, 1, 1, 1]));
        f.server_name = Some("a.example");
        b.on_flow(&f);
        assert!(b.is_learning());
        f.server_name = Some("b.example");
        f.ts_start = ts_of(3600);
        f.ts_end = ts_of(3601);
        b.on_flow(&f);
        assert_eq!(b.drain_alerts().count(), 0);
        f.server_name = Some("c.example");
        f.ts_start = ts_of(86_400);
        f.ts_end = ts_of(86_401);
        b.on_flow(&f);
        assert!(!b.is_learning());
        let a: Vec<_> = b.drain_alerts().collect();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].behavior.kind, BehaviorKind::FirstSeen);
        assert_eq!(a[0].behavior.peer, "c.example");
        // Known by name (a.example) — even at a new address — is not first-seen.
        f.server_name = Some("A.Example.");
        f.server = Addr::v4([2, 2, 2, 2]);
        b.on_flow(&f);
        assert_eq!(b.drain_alerts().count(), 0);
    }
}
