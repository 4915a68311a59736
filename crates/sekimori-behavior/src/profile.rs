//! The baseline held in memory: per-host profiles, network-wide destinations, beacon connection
//! records and open episodes. [`crate::store`] persists exactly this.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use sekimori_decode::Addr;
use serde::{Deserialize, Serialize};

/// Hours in a week.
pub const HOW: usize = 168;

/// Store-wide facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Traffic time (s) of the first flow ever profiled: the start of the learning period.
    pub baseline_start: Option<i64>,
    /// Start of the current contiguous observation (reset after a gap longer than the beacon
    /// window): the beacon analysis window never starts before it.
    pub observed_since: Option<i64>,
    /// Traffic time of the latest event.
    pub now: i64,
    /// Traffic time at which an explicit learn run ended: the learning period is over.
    pub learned_until: Option<i64>,
    /// Next episode id.
    pub next_episode: u64,
    /// Next incident id.
    pub next_incident: u64,
}

/// The flow a pair saw last (its addresses and ports go into the alert).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastFlow {
    /// Server address.
    pub ip: Addr,
    /// Client port.
    pub sport: u16,
    /// Server port.
    pub dport: u16,
    /// IP protocol.
    pub proto: u8,
    /// Flow id.
    pub flow_id: u64,
}

/// Connection records of one (host, destination, port) pair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pair {
    /// Server port.
    pub port: u16,
    /// (start second, bytes to server), in arrival order.
    pub conns: VecDeque<(i64, u64)>,
    /// Connections added since the last scoring (not persisted).
    pub pending: u32,
    /// Traffic time of the last scoring (not persisted).
    pub scored_at: i64,
    /// Latest flow.
    pub last: LastFlow,
}

/// One destination of one host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DestEntry {
    /// Latest address (for a name) or the address itself.
    pub ip: Option<Addr>,
    /// First contact (s).
    pub first_seen: i64,
    /// Latest contact (s).
    pub last_seen: i64,
    /// Connections.
    pub conns: u64,
    /// Bytes host → destination.
    pub bytes_out: u64,
    /// Bytes destination → host.
    pub bytes_in: u64,
    /// Hour (s / 3600) of the hourly accumulators.
    pub hour: i64,
    /// Bytes out in that hour.
    pub hour_out: u64,
    /// Bytes in in that hour.
    pub hour_in: u64,
    /// Beacon pairs of this destination, one per server port.
    pub pairs: Vec<Pair>,
}

/// Key of a port entry: (direction 0 = outbound/host is client, 1 = inbound/host is server, proto, port).
pub type PortKey = (u8, u8, u16);

/// Use of one port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortStat {
    /// Connections.
    pub conns: u64,
    /// Latest use (s).
    pub last_seen: i64,
}

/// One day of reads from one internal server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerDay {
    /// Local day number.
    pub day: i64,
    /// Flow bytes server → host.
    pub bytes: u64,
    /// Files read.
    pub files: u64,
    /// Bytes of files read.
    pub file_bytes: u64,
}

/// Use of one internal server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerStat {
    /// First use (s).
    pub first_seen: i64,
    /// Latest use (s).
    pub last_seen: i64,
    /// Connections.
    pub conns: u64,
    /// Per-day totals, oldest first.
    pub days: VecDeque<ServerDay>,
}

/// One day of a host's file reads (all internal servers), with the busiest sliding window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadDay {
    /// Local day number.
    pub day: i64,
    /// Distinct files in the busiest non-alarming window of the day.
    pub peak_files: u64,
    /// Bytes in the busiest non-alarming window of the day.
    pub peak_bytes: u64,
}

/// Everything known about one internal host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostProfile {
    /// First activity (s).
    pub first_seen: i64,
    /// Latest activity (s).
    pub last_seen: i64,
    /// Seen during an explicit learn run: its baseline counts as established.
    pub learned: bool,
    /// External destinations by name (lower case) and by address text.
    pub dests: HashMap<Box<str>, DestEntry>,
    /// Ports used.
    pub ports: HashMap<PortKey, PortStat>,
    /// Internal servers used.
    pub servers: HashMap<Addr, ServerStat>,
    /// Bytes out to external destinations per hour of week (summed over weeks).
    pub how_out: Vec<u64>,
    /// Bytes in from external destinations per hour of week.
    pub how_in: Vec<u64>,
    /// Outbound bytes to external destinations of each past active hour, oldest first.
    pub hour_ring: VecDeque<u64>,
    /// Hour (s / 3600) being accumulated.
    pub cur_hour: i64,
    /// Outbound bytes in the current hour.
    pub cur_out: u64,
    /// Inbound bytes in the current hour.
    pub cur_in: u64,
    /// Daily read peaks, oldest first.
    pub read_days: VecDeque<ReadDay>,
    /// Latest bulk-read alert (s).
    pub last_bulk_alert: Option<i64>,
}

impl HostProfile {
    /// A fresh profile first seen at `now`.
    pub fn new(now: i64) -> Self {
        HostProfile {
            first_seen: now,
            last_seen: now,
            learned: false,
            dests: HashMap::new(),
            ports: HashMap::new(),
            servers: HashMap::new(),
            how_out: vec![0; HOW],
            how_in: vec![0; HOW],
            hour_ring: VecDeque::new(),
            cur_hour: now.div_euclid(3600),
            cur_out: 0,
            cur_in: 0,
            read_days: VecDeque::new(),
            last_bulk_alert: None,
        }
    }

    /// Closes the current hour when `hour` is later: its outbound total joins the ring (active
    /// hours only), bounded to `keep` values.
    pub fn roll_hour(&mut self, hour: i64, keep: usize) {
        if hour <= self.cur_hour {
            return;
        }
        if self.cur_out > 0 || self.cur_in > 0 {
            self.hour_ring.push_back(self.cur_out);
            while self.hour_ring.len() > keep {
                self.hour_ring.pop_front();
            }
        }
        self.cur_hour = hour;
        self.cur_out = 0;
        self.cur_in = 0;
    }

    /// Connection records held by this host's pairs.
    pub fn pair_conns(&self) -> usize {
        self.dests
            .values()
            .flat_map(|d| d.pairs.iter())
            .map(|p| p.conns.len())
            .sum()
    }
}

/// One destination network-wide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetDest {
    /// First contact by any host (s).
    pub first_seen: i64,
    /// Latest contact (s).
    pub last_seen: i64,
    /// Internal hosts whose profile holds it.
    pub hosts: u32,
}

/// One open episode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// Episode id.
    pub id: u64,
    /// First alert-worthy activity (s).
    pub started: i64,
    /// Latest alert-worthy activity (s).
    pub last_activity: i64,
    /// Time of the latest record (s).
    pub last_report: i64,
    /// Level at the latest record (beacon band as 0..3; 0 for others).
    pub level: u8,
    /// Metric at the latest record (connections, bytes, files).
    pub metric: u64,
    /// Score at the latest record.
    pub score: f64,
}

/// The whole baseline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Store-wide facts.
    pub meta: Meta,
    /// Per-host profiles.
    pub hosts: HashMap<Addr, HostProfile>,
    /// Network-wide destinations.
    pub net: HashMap<Box<str>, NetDest>,
    /// Open episodes by key.
    pub episodes: HashMap<String, Episode>,
}

impl State {
    /// Connection records held by all pairs.
    pub fn pair_conns(&self) -> usize {
        self.hosts.values().map(HostProfile::pair_conns).sum()
    }
}

/// When `map` holds more than `cap` entries, removes the least recently seen down to
/// `cap − cap/8` (so the work is amortised over cap/8 inserts) and returns them.
pub fn evict_lru<K, V, F>(map: &mut HashMap<K, V>, cap: usize, last_seen: F) -> Vec<(K, V)>
where
    K: Eq + Hash + Clone + Ord,
    F: Fn(&V) -> i64,
{
    if map.len() <= cap {
        return Vec::new();
    }
    let target = cap.saturating_sub(cap / 8);
    let mut order: Vec<(i64, K)> = map.iter().map(|(k, v)| (last_seen(v), k.clone())).collect();
    // Oldest first; ties broken by key so eviction is deterministic.
    order.sort_unstable();
    let excess = map.len().saturating_sub(target);
    let mut out = Vec::with_capacity(excess);
    for (_, k) in order.into_iter().take(excess) {
        if let Some(v) = map.remove(&k) {
            out.push((k, v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_eviction_bounds_and_order() {
        let mut m: HashMap<u32, i64> = (0..100u32).map(|k| (k, i64::from(k))).collect();
        assert!(evict_lru(&mut m, 100, |v| *v).is_empty());
        m.insert(100, 100);
        let gone = evict_lru(&mut m, 100, |v| *v);
        // Down to 100 − 12 = 88: the 13 oldest go.
        assert_eq!(m.len(), 88);
        assert_eq!(gone.len(), 13);
        assert!(gone.iter().all(|(k, _)| *k < 13));
        assert!(m.contains_key(&100));
        let mut one: HashMap<u32, i64> = [(1, 5), (2, 3)].into_iter().collect();
        let gone = evict_lru(&mut one, 1, |v| *v);
        assert_eq!(gone, vec![(2, 3)]);
    }

    #[test]
    fn hour_ring_rolls_only_active_hours() {
        let mut h = HostProfile::new(0);
        h.cur_out = 10;
        h.roll_hour(1, 3);
        h.roll_hour(2, 3); // empty hour: not recorded
        h.cur_out = 20;
        h.roll_hour(5, 3);
        h.cur_in = 1;
        h.roll_hour(4, 3); // earlier hour: ignored
        assert_eq!(h.cur_in, 1);
        h.roll_hour(6, 3);
        h.cur_out = 40;
        h.roll_hour(7, 3);
        assert_eq!(h.hour_ring, VecDeque::from(vec![20, 0, 40]));
    }
}
