//! "One story per host": alerts of any layer for one internal host chain into an incident when
//! they follow the kill chain delivery → download → C&C → collection → exfiltration within a
//! window (default 24 h).
//!
//! Stage of an alert: `mail` → delivery; `file` and `policy` → download; `signature`, `intel`,
//! behaviour `beacon`/`dns_tunnel` → C&C; behaviour `bulk_read` → collection; `dlp`, behaviour
//! `exfil_volume` → exfiltration. Other behaviour kinds (`first_seen`, `scan`, `off_hours`) are
//! context only and start no step.
//!
//! The chain is the longest sequence of alerts with strictly increasing stages and
//! non-decreasing times whose first and last alerts lie within the window (an exact dynamic
//! programme over the host's remembered alerts). An incident is reported when the chain reaches
//! `min_stages` distinct stages, and reported again (same id, `update: true`) each time it gains a
//! stage. Severity: min(stage cap, worst step severity − (stages − 1)) clamped to 1..=4, where
//! the stage cap is 3 for two stages, 2 for three and 1 for four or five.

use std::collections::{HashMap, VecDeque};

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::IncidentConfig;
use crate::input::{Layer, LayerAlert};
use crate::time::{eve_time, ser_ts};

/// A kill-chain stage, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Mail delivery.
    Delivery,
    /// A file downloaded.
    Download,
    /// Command and control (`c2`).
    #[serde(rename = "c2")]
    CommandAndControl,
    /// Collection (bulk reads).
    Collection,
    /// Exfiltration.
    Exfiltration,
}

impl Stage {
    /// 0..5 in kill-chain order.
    pub const fn index(self) -> usize {
        match self {
            Stage::Delivery => 0,
            Stage::Download => 1,
            Stage::CommandAndControl => 2,
            Stage::Collection => 3,
            Stage::Exfiltration => 4,
        }
    }
}

/// The stage an alert stands for (module documentation), or None for context-only alerts.
pub fn stage_of(layer: Layer, kind: &str) -> Option<Stage> {
    match layer {
        Layer::Mail => Some(Stage::Delivery),
        Layer::File | Layer::Policy => Some(Stage::Download),
        Layer::Signature | Layer::Intel => Some(Stage::CommandAndControl),
        Layer::Dlp => Some(Stage::Exfiltration),
        Layer::Behavior => match kind {
            "beacon" | "dns_tunnel" => Some(Stage::CommandAndControl),
            "bulk_read" => Some(Stage::Collection),
            "exfil_volume" => Some(Stage::Exfiltration),
            _ => None,
        },
    }
}

/// One step of an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IncidentStep {
    /// Stage.
    pub stage: Stage,
    /// Time of the alert.
    #[serde(serialize_with = "ser_ts")]
    pub timestamp: Timestamp,
    /// Layer of the alert.
    pub layer: Layer,
    /// Kind within the layer.
    pub kind: String,
    /// Signature text.
    pub signature: String,
    /// Alert severity.
    pub severity: u8,
}

/// The `incident` object of an `event_type: incident` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// Incident id (stable across updates).
    pub id: u64,
    /// The internal host.
    #[serde(serialize_with = "ser_host")]
    pub host: Addr,
    /// 1 (high) … 4.
    pub severity: u8,
    /// Stages reached, in order.
    pub stages: Vec<Stage>,
    /// First step time.
    #[serde(serialize_with = "ser_ts")]
    pub first_seen: Timestamp,
    /// Last step time.
    #[serde(serialize_with = "ser_ts")]
    pub last_seen: Timestamp,
    /// The steps of the chain.
    pub steps: Vec<IncidentStep>,
    /// Alerts of the host remembered within the window (chained or not).
    pub alerts: u64,
    /// False for the first record, true when the incident grew.
    pub update: bool,
}

fn ser_host<S: serde::Serializer>(a: &Addr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&a.to_ip())
}

impl Incident {
    /// The whole EVE record: `timestamp` (of the last step), `event_type: incident`, `src_ip`,
    /// and the `incident` object.
    pub fn to_eve_json(&self) -> Value {
        json!({
            "timestamp": eve_time(self.last_seen),
            "event_type": "incident",
            "src_ip": self.host.to_ip().to_string(),
            "incident": self,
        })
    }
}

#[derive(Clone, Debug)]
struct Remembered {
    ts: i64,
    stage: Option<Stage>,
    step: IncidentStep,
}

#[derive(Clone, Debug, Default)]
struct HostChain {
    alerts: VecDeque<Remembered>,
    open: Option<(u64, usize, i64)>, // (id, stages reported, last step ts)
    last_ts: i64,
}

/// Counters of the incident builder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncidentStats {
    /// Alerts received.
    pub alerts: u64,
    /// Alerts with no stage (context only).
    pub unstaged: u64,
    /// Incidents opened.
    pub incidents: u64,
    /// Incident updates.
    pub updates: u64,
    /// Hosts dropped by the host cap.
    pub hosts_evicted: u64,
}

/// Builds incidents from alerts of all layers.
#[derive(Debug)]
pub struct IncidentTracker {
    cfg: IncidentConfig,
    hosts: HashMap<Addr, HostChain>,
    next_id: u64,
    stats: IncidentStats,
}

fn nanos(ts: Timestamp) -> i64 {
    ts.0
}

impl IncidentTracker {
    /// A tracker whose ids start at `next_id`.
    pub fn new(cfg: IncidentConfig, next_id: u64) -> Self {
        IncidentTracker {
            cfg,
            hosts: HashMap::new(),
            next_id,
            stats: IncidentStats::default(),
        }
    }

    /// The next id that will be given (persist it to keep ids unique across runs).
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Counters.
    pub fn stats(&self) -> IncidentStats {
        self.stats
    }

    /// Adds an alert; returns the incident record when it opens or grows.
    pub fn add(&mut self, a: &LayerAlert<'_>) -> Option<Incident> {
        self.stats.alerts += 1;
        if !self.cfg.enabled {
            return None;
        }
        let stage = stage_of(a.layer, a.kind);
        if stage.is_none() {
            self.stats.unstaged += 1;
        }
        let window_ns = i64::try_from(self.cfg.window_secs)
            .unwrap_or(i64::MAX / 2)
            .saturating_mul(1_000_000_000);
        let ts = nanos(a.ts);
        if !self.hosts.contains_key(&a.host) && self.hosts.len() >= self.cfg.max_hosts {
            // Drop the host quiet for longest.
            if let Some(k) = self
                .hosts
                .iter()
                .min_by_key(|(k, h)| (h.last_ts, **k))
                .map(|(k, _)| *k)
            {
                self.hosts.remove(&k);
                self.stats.hosts_evicted += 1;
            }
        }
        let h = self.hosts.entry(a.host).or_default();
        h.last_ts = h.last_ts.max(ts);
        let step = IncidentStep {
            stage: stage.unwrap_or(Stage::Delivery),
            timestamp: a.ts,
            layer: a.layer,
            kind: a.kind.chars().take(64).collect(),
            signature: a.signature.chars().take(512).collect(),
            severity: a.severity.clamp(1, 4),
        };
        // Keep time order (alerts of different layers may arrive slightly out of order).
        let pos = h
            .alerts
            .iter()
            .rposition(|r| r.ts <= ts)
            .map_or(0, |p| p + 1);
        h.alerts.insert(pos, Remembered { ts, stage, step });
        let horizon = h.last_ts.saturating_sub(window_ns);
        while h.alerts.front().is_some_and(|r| r.ts < horizon)
            || h.alerts.len() > self.cfg.max_alerts_per_host
        {
            h.alerts.pop_front();
        }
        if let Some((_, _, last)) = h.open
            && ts.saturating_sub(last) > window_ns
        {
            h.open = None;
        }
        stage?;
        let chain = best_chain(&h.alerts, window_ns);
        let n = chain.len();
        if n < self.cfg.min_stages {
            return None;
        }
        let steps: Vec<IncidentStep> = chain
            .iter()
            .filter_map(|&i| h.alerts.get(i).map(|r| r.step.clone()))
            .collect();
        let last_step_ts = steps.last().map_or(ts, |s| nanos(s.timestamp));
        let (id, update) = match h.open {
            Some((id, reported, _)) if n <= reported => {
                h.open = Some((id, reported, last_step_ts.max(h.open.map_or(0, |o| o.2))));
                return None;
            }
            Some((id, _, _)) => (id, true),
            None => {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1);
                (id, false)
            }
        };
        h.open = Some((id, n, last_step_ts));
        if update {
            self.stats.updates += 1;
        } else {
            self.stats.incidents += 1;
        }
        let worst = steps.iter().map(|s| s.severity).min().unwrap_or(4);
        let cap = match n {
            0..=2 => 3,
            3 => 2,
            _ => 1,
        };
        let by_steps = i64::from(worst) - (n as i64 - 1);
        let severity = u8::try_from(by_steps.clamp(1, 4)).unwrap_or(1).min(cap);
        Some(Incident {
            id,
            host: a.host,
            severity,
            stages: steps.iter().map(|s| s.stage).collect(),
            first_seen: steps.first().map_or(a.ts, |s| s.timestamp),
            last_seen: steps.last().map_or(a.ts, |s| s.timestamp),
            steps,
            alerts: h.alerts.len() as u64,
            update,
        })
    }
}

/// Indices of the longest chain: strictly increasing stage, time order, span ≤ window. For each
/// alert and chain length, the latest possible chain start is kept (a later start can only help
/// later alerts fit the window), which makes the programme exact.
fn best_chain(alerts: &VecDeque<Remembered>, window_ns: i64) -> Vec<usize> {
    const L: usize = 5;
    let n = alerts.len();
    // start[i][l] = latest start of a chain of length l+1 ending at i; prev[i][l] = predecessor.
    let mut start: Vec<[Option<i64>; L]> = vec![[None; L]; n];
    let mut prev: Vec<[Option<usize>; L]> = vec![[None; L]; n];
    let mut best: Option<(usize, usize)> = None; // (i, l)
    for i in 0..n {
        let Some(ri) = alerts.get(i) else { continue };
        let Some(si) = ri.stage else { continue };
        if let Some(s) = start.get_mut(i).and_then(|s| s.get_mut(0)) {
            *s = Some(ri.ts);
        }
        for j in 0..i {
            let Some(rj) = alerts.get(j) else { continue };
            let Some(sj) = rj.stage else { continue };
            if sj >= si {
                continue;
            }
            for l in 0..L - 1 {
                let Some(st) = start.get(j).and_then(|s| s.get(l)).copied().flatten() else {
                    continue;
                };
                if ri.ts.saturating_sub(st) > window_ns {
                    continue;
                }
                let cur = start.get(i).and_then(|s| s.get(l + 1)).copied().flatten();
                if cur.is_none_or(|c| st > c) {
                    if let Some(s) = start.get_mut(i).and_then(|s| s.get_mut(l + 1)) {
                        *s = Some(st);
                    }
                    if let Some(p) = prev.get_mut(i).and_then(|p| p.get_mut(l + 1)) {
                        *p = Some(j);
                    }
                }
            }
        }
        for l in (0..L).rev() {
            if start
                .get(i)
                .and_then(|s| s.get(l))
                .copied()
                .flatten()
                .is_some()
            {
                // Prefer longer chains; among equals the latest ending.
                if best.is_none_or(|(_, bl)| l >= bl) {
                    best = Some((i, l));
                }
                break;
            }
        }
    }
    let mut out = Vec::new();
    let Some((mut i, mut l)) = best else {
        return out;
    };
    loop {
        out.push(i);
        if l == 0 {
            break;
        }
        match prev.get(i).and_then(|p| p.get(l)).copied().flatten() {
            Some(j) => {
                i = j;
                l -= 1;
            }
            None => break,
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Addr = Addr::v4([10, 0, 0, 7]);

    fn al(t_min: i64, layer: Layer, kind: &'static str, sev: u8) -> LayerAlert<'static> {
        LayerAlert {
            ts: Timestamp(t_min * 60 * 1_000_000_000),
            host: H,
            layer,
            kind,
            severity: sev,
            signature: "sig",
        }
    }

    #[test]
    fn stages() {
        assert_eq!(
            stage_of(Layer::Mail, "link_mismatch"),
            Some(Stage::Delivery)
        );
        assert_eq!(stage_of(Layer::File, ""), Some(Stage::Download));
        assert_eq!(stage_of(Layer::Intel, ""), Some(Stage::CommandAndControl));
        assert_eq!(
            stage_of(Layer::Behavior, "beacon"),
            Some(Stage::CommandAndControl)
        );
        assert_eq!(
            stage_of(Layer::Behavior, "bulk_read"),
            Some(Stage::Collection)
        );
        assert_eq!(
            stage_of(Layer::Behavior, "exfil_volume"),
            Some(Stage::Exfiltration)
        );
        assert_eq!(stage_of(Layer::Dlp, ""), Some(Stage::Exfiltration));
        assert_eq!(stage_of(Layer::Behavior, "first_seen"), None);
    }

    #[test]
    fn full_kill_chain_grows_in_severity() {
        let mut t = IncidentTracker::new(IncidentConfig::default(), 100);
        assert!(t.add(&al(0, Layer::Mail, "exe_in_archive", 3)).is_none());
        let i = t.add(&al(5, Layer::File, "pe", 3)).unwrap();
        assert_eq!((i.id, i.update, i.severity), (100, false, 2));
        assert_eq!(i.stages, vec![Stage::Delivery, Stage::Download]);
        // Another download adds no stage: no record.
        assert!(t.add(&al(6, Layer::File, "pe", 3)).is_none());
        // A first-seen is context only.
        assert!(t.add(&al(7, Layer::Behavior, "first_seen", 4)).is_none());
        let i = t.add(&al(60, Layer::Behavior, "beacon", 2)).unwrap();
        assert_eq!((i.id, i.update, i.severity), (100, true, 1));
        let i = t.add(&al(300, Layer::Behavior, "bulk_read", 2)).unwrap();
        assert_eq!(i.stages.len(), 4);
        let i = t.add(&al(320, Layer::Dlp, "", 2)).unwrap();
        assert_eq!(
            i.stages,
            vec![
                Stage::Delivery,
                Stage::Download,
                Stage::CommandAndControl,
                Stage::Collection,
                Stage::Exfiltration
            ]
        );
        assert_eq!((i.id, i.severity, i.alerts), (100, 1, 7));
        assert_eq!(i.first_seen, Timestamp(0));
        let e = i.to_eve_json();
        assert_eq!(e["event_type"], "incident");
        assert_eq!(e["src_ip"], "10.0.0.7");
        assert_eq!(e["incident"]["stages"][2], "c2");
        assert_eq!(e["incident"]["steps"][4]["layer"], "dlp");
        assert_eq!(t.stats().incidents, 1);
        assert_eq!(t.stats().updates, 3);
    }

    #[test]
    fn out_of_order_and_window() {
        let cfg = IncidentConfig::default();
        let mut t = IncidentTracker::new(cfg, 1);
        // Exfiltration before any C&C: no chain of two yet.
        assert!(t.add(&al(0, Layer::Dlp, "", 3)).is_none());
        // A beacon later does not chain backwards.
        assert!(t.add(&al(10, Layer::Behavior, "beacon", 3)).is_none());
        // Exfil after the beacon chains: c2 → exfiltration; severity min(3, 3 − 1) = 2.
        let i = t.add(&al(20, Layer::Behavior, "exfil_volume", 3)).unwrap();
        assert_eq!(
            i.stages,
            vec![Stage::CommandAndControl, Stage::Exfiltration]
        );
        assert_eq!(i.severity, 2);
        // 25 h later: the old steps are outside the window; a new pair makes a new incident.
        assert!(t.add(&al(25 * 60, Layer::Mail, "x", 4)).is_none());
        let j = t.add(&al(25 * 60 + 1, Layer::Signature, "", 4)).unwrap();
        assert_eq!((j.id, j.update), (2, false));
        assert_eq!(j.severity, 3);
    }

    #[test]
    fn chain_respects_window_span() {
        let cfg = IncidentConfig {
            window_secs: 3600,
            ..Default::default()
        };
        let mut t = IncidentTracker::new(cfg, 1);
        assert!(t.add(&al(0, Layer::Mail, "", 3)).is_none());
        // 2 h later: the mail is too old to chain.
        assert!(t.add(&al(120, Layer::Behavior, "beacon", 3)).is_none());
        let i = t.add(&al(150, Layer::Behavior, "bulk_read", 3)).unwrap();
        assert_eq!(i.stages, vec![Stage::CommandAndControl, Stage::Collection]);
    }

    #[test]
    fn bounded_and_disabled() {
        let mut cfg = IncidentConfig {
            max_hosts: 3,
            max_alerts_per_host: 4,
            ..Default::default()
        };
        let mut t = IncidentTracker::new(cfg.clone(), 1);
        for i in 0..100u8 {
            let a = LayerAlert {
                ts: Timestamp(i64::from(i)),
                host: Addr::v4([10, 0, 0, i]),
                layer: Layer::Signature,
                kind: "",
                severity: 9,
                signature: "",
            };
            t.add(&a);
        }
        assert!(t.hosts.len() <= 3);
        for i in 0..100 {
            t.add(&al(i, Layer::Signature, "", 2));
        }
        assert!(t.hosts.get(&H).unwrap().alerts.len() <= 4);
        cfg.enabled = false;
        let mut t = IncidentTracker::new(cfg, 1);
        t.add(&al(0, Layer::Mail, "", 1));
        assert!(t.add(&al(1, Layer::File, "", 1)).is_none());
    }
}
