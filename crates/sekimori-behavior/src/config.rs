//! Configuration of the behaviour layer: every threshold, window, cap and list, with the defaults of
//! `shared/docs/behavior.md`. Deserialises with serde (unknown keys are errors) and validates.

use std::net::IpAddr;

use serde::Deserialize;

use crate::error::ConfigError;

/// Beacon score bands of behavior.md: ≥ 0.50 low, ≥ 0.75 medium, ≥ 0.90 high.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below 0.50: not periodic.
    None,
    /// 0.50 ≤ score < 0.75.
    Low,
    /// 0.75 ≤ score < 0.90.
    Medium,
    /// score ≥ 0.90.
    High,
}

impl Band {
    /// The band of a final beacon score.
    pub fn of(score: f64) -> Band {
        if score >= 0.90 {
            Band::High
        } else if score >= 0.75 {
            Band::Medium
        } else if score >= 0.50 {
            Band::Low
        } else {
            Band::None
        }
    }
    /// Lower-case name (`none`, `low`, `medium`, `high`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Band::None => "none",
            Band::Low => "low",
            Band::Medium => "medium",
            Band::High => "high",
        }
    }
}

/// Beacon detection settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BeaconConfig {
    /// Run the beacon detector.
    pub enabled: bool,
    /// Length of the rolling analysis window in seconds of traffic time (default 24 h). The window
    /// is `[max(first traffic seen, now − window), now]`; connection times older than it are dropped.
    pub window_secs: u64,
    /// Shortest analysis window of a pair in seconds (an addition to the spec, see the engine
    /// documentation): a pair seen only for a few minutes is scored over this span.
    pub min_span_secs: u64,
    /// Minimum distinct connection start times (whole seconds) for a pair to be scored (spec: 4).
    pub min_connections: usize,
    /// Lowest band that raises an alert (default medium).
    pub alert_band: Band,
    /// Connection records kept per (host, destination, port) pair; the oldest are dropped first.
    pub max_conns_per_pair: usize,
    /// Connection records kept over all pairs; past it the least recently active pairs are dropped.
    pub max_total_conns: usize,
    /// The histogram's two-mode fit is used only when both parts of R(intervals), the skew score
    /// 1 − |s| and the spread score (median − MAD)/median, are at least this (an addition to the
    /// spec; 0 = literal spec). The fit exists to forgive gaps in regular beacons; for irregular
    /// traffic with one or two connections per bin any two bar heights "fit", which made ordinary
    /// occasional visits score like beacons.
    pub two_mode_min_regularity: f64,
    /// Largest multiple of the median interval treated as missed beats (spec: 2× or 3×).
    pub missed_beat_max_multiple: u32,
    /// Relative tolerance for "near multiple": |d − k·m| ≤ tolerance · m.
    pub missed_beat_tolerance: f64,
    /// Connections per day at or above which a pair is a strobe (spec: 86,400).
    pub strobe_per_day: f64,
    /// Raw connections (not deduplicated) a pair needs before it can be called a strobe, so that a
    /// burst of a few parallel connections is never extrapolated into a daily rate.
    pub strobe_min_connections: usize,
    /// Prevalence (share of internal hosts talking to the destination) at or above which the score
    /// is lowered (spec: 50%).
    pub prevalence_high: f64,
    /// Prevalence at or below which the score is raised (spec: 2%).
    pub prevalence_rare: f64,
    /// Size of the prevalence adjustment, down or up (spec: 0.15).
    pub prevalence_adjust: f64,
    /// Prevalence adjustments apply only when at least this many internal hosts are known: with a
    /// handful of hosts a share means nothing (one host alone would be "100% prevalent").
    pub prevalence_min_hosts: usize,
    /// A destination first seen by the host within this many days raises the score (spec: 7).
    pub first_seen_days: u32,
    /// Size of the first-seen raise (spec: 0.15).
    pub first_seen_adjust: f64,
    /// Also score internal → internal pairs (default: external destinations only).
    pub include_internal: bool,
}

impl Default for BeaconConfig {
    fn default() -> Self {
        BeaconConfig {
            enabled: true,
            window_secs: 86_400,
            min_span_secs: 3_600,
            min_connections: 4,
            alert_band: Band::Medium,
            max_conns_per_pair: 2_048,
            max_total_conns: 2_000_000,
            two_mode_min_regularity: 0.8,
            missed_beat_max_multiple: 3,
            missed_beat_tolerance: 0.2,
            strobe_per_day: 86_400.0,
            strobe_min_connections: 1_800,
            prevalence_high: 0.50,
            prevalence_rare: 0.02,
            prevalence_adjust: 0.15,
            prevalence_min_hosts: 10,
            first_seen_days: 7,
            first_seen_adjust: 0.15,
            include_internal: false,
        }
    }
}

/// Who is told about first-seen destinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstSeenScope {
    /// No first-seen alerts (the fact still weighs up beacon and volume detections).
    Off,
    /// Alert when the destination is new to the host.
    Host,
    /// Alert only when the destination is new to the whole network.
    Network,
}

/// First-seen destination settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FirstSeenConfig {
    /// Which first-seen destinations raise an (informational, severity 4) alert.
    pub alert: FirstSeenScope,
    /// Skip allowlisted destinations.
    pub skip_allowlisted: bool,
}

impl Default for FirstSeenConfig {
    fn default() -> Self {
        FirstSeenConfig {
            alert: FirstSeenScope::Host,
            skip_allowlisted: true,
        }
    }
}

/// Exfiltration-volume settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExfilConfig {
    /// Run the detector.
    pub enabled: bool,
    /// Absolute floor: outbound bytes per flow or per hour to one destination (spec: 1 MiB).
    pub floor_bytes: u64,
    /// Threshold used while the host has no baseline (learning, or too few active hours): the
    /// "absolute volume" detector that runs from the first packet. Large-upload rules use 10–20 MB.
    pub no_baseline_bytes: u64,
    /// Multiple of the baseline percentile the outbound bytes must reach (spec: 10×).
    pub baseline_factor: f64,
    /// Percentile of the host's hourly outbound bytes to external destinations (spec: 99th).
    pub baseline_percentile: f64,
    /// Active hours of history needed before the baseline is used.
    pub min_baseline_hours: usize,
    /// Hourly outbound totals kept per host (default 30 days' worth).
    pub hour_history: usize,
    /// Producer–consumer ratio the traffic must exceed (spec: 0.5).
    pub pcr_min: f64,
    /// An upload within this many seconds after a bulk-read alert of the same host weighs more.
    pub after_bulk_read_secs: u64,
}

impl Default for ExfilConfig {
    fn default() -> Self {
        ExfilConfig {
            enabled: true,
            floor_bytes: 1 << 20,
            no_baseline_bytes: 16 << 20,
            baseline_factor: 10.0,
            baseline_percentile: 0.99,
            min_baseline_hours: 24,
            hour_history: 720,
            pcr_min: 0.5,
            after_bulk_read_secs: 3_600,
        }
    }
}

/// Bulk-read settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BulkReadConfig {
    /// Run the detector.
    pub enabled: bool,
    /// Sliding window in seconds (spec: 10 min).
    pub window_secs: u64,
    /// Factor over the client's baseline (spec: 10×).
    pub factor: f64,
    /// Absolute floor on distinct files in the window (spec: 20).
    pub floor_files: u64,
    /// Absolute floor on bytes in the window (spec: 10 MiB).
    pub floor_bytes: u64,
    /// Percentile of the client's daily peak windows used as its baseline.
    pub baseline_percentile: f64,
    /// Days of per-client read history kept.
    pub history_days: usize,
    /// Reads kept per (client, server) window; the oldest are dropped first.
    pub max_reads_per_window: usize,
    /// (client, server) windows kept at once.
    pub max_windows: usize,
}

impl Default for BulkReadConfig {
    fn default() -> Self {
        BulkReadConfig {
            enabled: true,
            window_secs: 600,
            factor: 10.0,
            floor_files: 20,
            floor_bytes: 10 << 20,
            baseline_percentile: 0.9,
            history_days: 30,
            max_reads_per_window: 4_096,
            max_windows: 50_000,
        }
    }
}

/// Episode settings: one alert per episode, updates when it grows.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EpisodeConfig {
    /// An episode with no alert-worthy activity for this long ends; the next one is new.
    pub idle_secs: u64,
    /// Minimum traffic time between two records of one episode.
    pub update_interval_secs: u64,
    /// The episode's metric (connections, bytes, files) must grow by this factor for an update.
    pub growth_factor: f64,
    /// Episodes remembered at once (oldest dropped).
    pub max_episodes: usize,
}

impl Default for EpisodeConfig {
    fn default() -> Self {
        EpisodeConfig {
            idle_secs: 86_400,
            update_interval_secs: 3_600,
            growth_factor: 2.0,
            max_episodes: 100_000,
        }
    }
}

/// Incident (kill-chain) settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentConfig {
    /// Build incidents.
    pub enabled: bool,
    /// The steps of one incident lie within this many seconds (spec: 24 h).
    pub window_secs: u64,
    /// Distinct kill-chain stages needed for an incident.
    pub min_stages: usize,
    /// Alerts remembered per host.
    pub max_alerts_per_host: usize,
    /// Hosts tracked at once.
    pub max_hosts: usize,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            enabled: true,
            window_secs: 86_400,
            min_stages: 2,
            max_alerts_per_host: 256,
            max_hosts: 50_000,
        }
    }
}

/// Destinations that poll by design and are never beacons: operating-system update and
/// connectivity checks and certificate-status responders (suffix match on labels). Deliberately
/// narrow: a whole `google.com` or `microsoft.com` would hide C&C hosted on those services.
pub const DEFAULT_ALLOWLIST: &[&str] = &[
    "windowsupdate.com",
    "update.microsoft.com",
    "delivery.mp.microsoft.com",
    "msftconnecttest.com",
    "msftncsi.com",
    "time.windows.com",
    "connectivitycheck.gstatic.com",
    "update.googleapis.com",
    "captive.apple.com",
    "swscan.apple.com",
    "time.apple.com",
    "detectportal.firefox.com",
    "ocsp.digicert.com",
    "ocsp.pki.goog",
    "ocsp.sectigo.com",
    "ocsp.globalsign.com",
    "ntp.nict.jp",
];

/// All settings of the behaviour layer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BehaviorConfig {
    /// Learning period in days of traffic time (spec: 7).
    pub learning_days: u32,
    /// Profile entries unseen for this many days of traffic time expire (spec: 30).
    pub max_age_days: u32,
    /// Internal hosts profiled at once (least recently seen evicted).
    pub max_hosts: usize,
    /// Destinations per host (least recently seen evicted).
    pub max_dests_per_host: usize,
    /// Network-wide destinations (least recently seen evicted).
    pub max_network_dests: usize,
    /// (direction, protocol, port) entries per host.
    pub max_ports_per_host: usize,
    /// Internal servers per host.
    pub max_servers_per_host: usize,
    /// Address → name mappings remembered from DNS answers.
    pub dns_cache_entries: usize,
    /// Offset of local time from UTC in seconds, for hour-of-week and day boundaries.
    pub utc_offset_secs: i64,
    /// Destination names excluded from beacon scoring (suffix match on labels: `example.com`
    /// covers `a.example.com`; a leading `*.` is accepted and ignored).
    pub allowlist: Vec<String>,
    /// Destination networks excluded from beacon scoring, as `addr/prefix` or a bare address.
    pub allow_cidrs: Vec<String>,
    /// The site's DNS resolvers: DNS to them is never a beacon.
    pub dns_resolvers: Vec<IpAddr>,
    /// Beacon detector.
    pub beacon: BeaconConfig,
    /// First-seen destination detector.
    pub first_seen: FirstSeenConfig,
    /// Exfiltration-volume detector.
    pub exfil: ExfilConfig,
    /// Bulk-read detector.
    pub bulk_read: BulkReadConfig,
    /// Episodes.
    pub episodes: EpisodeConfig,
    /// Incidents.
    pub incident: IncidentConfig,
}

impl Default for BehaviorConfig {
    fn default() -> Self {
        BehaviorConfig {
            learning_days: 7,
            max_age_days: 30,
            max_hosts: 20_000,
            max_dests_per_host: 4_096,
            max_network_dests: 200_000,
            max_ports_per_host: 256,
            max_servers_per_host: 256,
            dns_cache_entries: 200_000,
            utc_offset_secs: 0,
            allowlist: DEFAULT_ALLOWLIST.iter().map(|s| s.to_string()).collect(),
            allow_cidrs: Vec::new(),
            dns_resolvers: Vec::new(),
            beacon: BeaconConfig::default(),
            first_seen: FirstSeenConfig::default(),
            exfil: ExfilConfig::default(),
            bulk_read: BulkReadConfig::default(),
            episodes: EpisodeConfig::default(),
            incident: IncidentConfig::default(),
        }
    }
}

fn check(ok: bool, field: &'static str, why: &'static str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid { field, why })
    }
}

fn unit(x: f64) -> bool {
    x.is_finite() && (0.0..=1.0).contains(&x)
}

impl BehaviorConfig {
    /// Checks ranges (caps ≥ 1, windows > 0, ratios in [0, 1], factors finite and > 0) and that the
    /// allowlist networks parse.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(self.max_age_days > 0, "max_age_days", "must be > 0")?;
        check(self.max_hosts > 0, "max_hosts", "must be > 0")?;
        check(
            self.max_dests_per_host > 0,
            "max_dests_per_host",
            "must be > 0",
        )?;
        check(
            self.max_network_dests > 0,
            "max_network_dests",
            "must be > 0",
        )?;
        check(
            self.max_ports_per_host > 0,
            "max_ports_per_host",
            "must be > 0",
        )?;
        check(
            self.max_servers_per_host > 0,
            "max_servers_per_host",
            "must be > 0",
        )?;
        check(
            self.dns_cache_entries >= 2,
            "dns_cache_entries",
            "must be ≥ 2",
        )?;
        check(
            self.utc_offset_secs.abs() <= 14 * 3600,
            "utc_offset_secs",
            "must be within ±14 h",
        )?;
        let b = &self.beacon;
        check(b.window_secs >= 60, "beacon.window_secs", "must be ≥ 60")?;
        check(
            b.min_connections >= 4,
            "beacon.min_connections",
            "must be ≥ 4",
        )?;
        check(
            b.max_conns_per_pair >= b.min_connections,
            "beacon.max_conns_per_pair",
            "must be ≥ min_connections",
        )?;
        check(
            b.max_total_conns >= b.max_conns_per_pair,
            "beacon.max_total_conns",
            "must be ≥ max_conns_per_pair",
        )?;
        check(
            unit(b.two_mode_min_regularity),
            "beacon.two_mode_min_regularity",
            "must be in [0, 1]",
        )?;
        check(
            b.missed_beat_max_multiple >= 1,
            "beacon.missed_beat_max_multiple",
            "must be ≥ 1",
        )?;
        check(
            unit(b.missed_beat_tolerance) && b.missed_beat_tolerance < 0.5,
            "beacon.missed_beat_tolerance",
            "must be in [0, 0.5)",
        )?;
        check(
            b.strobe_per_day.is_finite() && b.strobe_per_day > 0.0,
            "beacon.strobe_per_day",
            "must be > 0",
        )?;
        check(
            unit(b.prevalence_high),
            "beacon.prevalence_high",
            "must be in [0, 1]",
        )?;
        check(
            unit(b.prevalence_rare),
            "beacon.prevalence_rare",
            "must be in [0, 1]",
        )?;
        check(
            unit(b.prevalence_adjust),
            "beacon.prevalence_adjust",
            "must be in [0, 1]",
        )?;
        check(
            unit(b.first_seen_adjust),
            "beacon.first_seen_adjust",
            "must be in [0, 1]",
        )?;
        let x = &self.exfil;
        check(
            x.baseline_factor.is_finite() && x.baseline_factor > 0.0,
            "exfil.baseline_factor",
            "must be > 0",
        )?;
        check(
            unit(x.baseline_percentile) && x.baseline_percentile > 0.0,
            "exfil.baseline_percentile",
            "must be in (0, 1]",
        )?;
        check(
            x.pcr_min.is_finite() && (-1.0..1.0).contains(&x.pcr_min),
            "exfil.pcr_min",
            "must be in [-1, 1)",
        )?;
        check(x.hour_history >= 1, "exfil.hour_history", "must be ≥ 1")?;
        let r = &self.bulk_read;
        check(r.window_secs > 0, "bulk_read.window_secs", "must be > 0")?;
        check(
            r.factor.is_finite() && r.factor > 0.0,
            "bulk_read.factor",
            "must be > 0",
        )?;
        check(
            unit(r.baseline_percentile) && r.baseline_percentile > 0.0,
            "bulk_read.baseline_percentile",
            "must be in (0, 1]",
        )?;
        check(r.history_days >= 1, "bulk_read.history_days", "must be ≥ 1")?;
        check(
            r.max_reads_per_window >= 1,
            "bulk_read.max_reads_per_window",
            "must be ≥ 1",
        )?;
        check(r.max_windows >= 1, "bulk_read.max_windows", "must be ≥ 1")?;
        let e = &self.episodes;
        check(
            e.growth_factor.is_finite() && e.growth_factor > 1.0,
            "episodes.growth_factor",
            "must be > 1",
        )?;
        check(e.max_episodes >= 1, "episodes.max_episodes", "must be ≥ 1")?;
        let i = &self.incident;
        check(i.window_secs > 0, "incident.window_secs", "must be > 0")?;
        check(
            (1..=5).contains(&i.min_stages),
            "incident.min_stages",
            "must be in 1..=5",
        )?;
        check(
            i.max_alerts_per_host >= 1,
            "incident.max_alerts_per_host",
            "must be ≥ 1",
        )?;
        check(i.max_hosts >= 1, "incident.max_hosts", "must be ≥ 1")?;
        for c in &self.allow_cidrs {
            crate::homenet::parse_cidr(c).map_err(|_| ConfigError::BadCidr(c.clone()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_values_and_valid() {
        let c = BehaviorConfig::default();
        assert_eq!(c.learning_days, 7);
        assert_eq!(c.max_age_days, 30);
        assert_eq!(c.beacon.alert_band, Band::Medium);
        assert_eq!(c.exfil.floor_bytes, 1_048_576);
        assert_eq!(c.bulk_read.window_secs, 600);
        assert_eq!(c.bulk_read.floor_files, 20);
        assert_eq!(c.bulk_read.floor_bytes, 10 * 1_048_576);
        assert_eq!(c.incident.window_secs, 86_400);
        c.validate().unwrap();
    }

    #[test]
    fn deserialises_partial_and_rejects_unknown() {
        let c: BehaviorConfig = serde_json::from_str(
            r#"{"learning_days": 3, "allowlist": ["*.windowsupdate.com"], "dns_resolvers": ["10.0.0.53"],
                "beacon": {"alert_band": "high"}}"#,
        )
        .unwrap();
        assert_eq!(c.learning_days, 3);
        assert_eq!(c.beacon.alert_band, Band::High);
        assert_eq!(c.beacon.window_secs, 86_400);
        assert_eq!(c.dns_resolvers.len(), 1);
        assert!(serde_json::from_str::<BehaviorConfig>(r#"{"learnin_days": 3}"#).is_err());
        assert!(serde_json::from_str::<BehaviorConfig>(r#"{"beacon": {"bogus": 1}}"#).is_err());
    }

    #[test]
    fn validation_catches_bad_values() {
        let mut c = BehaviorConfig::default();
        c.exfil.baseline_percentile = 1.5;
        assert!(c.validate().is_err());
        let c = BehaviorConfig {
            allow_cidrs: vec!["10.0.0.0/99".into()],
            ..Default::default()
        };
        assert!(matches!(c.validate(), Err(ConfigError::BadCidr(_))));
        let mut c = BehaviorConfig::default();
        c.beacon.min_connections = 2;
        assert!(c.validate().is_err());
        let mut c = BehaviorConfig::default();
        c.episodes.growth_factor = f64::NAN;
        assert!(c.validate().is_err());
    }

    #[test]
    fn bands() {
        assert_eq!(Band::of(0.49), Band::None);
        assert_eq!(Band::of(0.50), Band::Low);
        assert_eq!(Band::of(0.75), Band::Medium);
        assert_eq!(Band::of(0.8999), Band::Medium);
        assert_eq!(Band::of(0.90), Band::High);
        assert_eq!(Band::of(f64::NAN), Band::None);
        assert!(Band::High > Band::Medium && Band::Medium > Band::Low);
    }
}
