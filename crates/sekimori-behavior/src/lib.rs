//! Behaviour layer of sekimori: per-host baselines ("fixed-point observation in normal times")
//! kept in an embedded SQLite store, and the detectors of `shared/docs/behavior.md` — beacons,
//! first-seen destinations, exfiltration volume, bulk reads — plus kill-chain incidents built
//! from the alerts of every layer.
//!
//! The engine creates one [`Behavior`] ([`Behavior::open`] with a state directory, or
//! [`Behavior::new`] in memory), feeds it [`FlowSummary`] per ended flow, [`DnsAnswer`],
//! [`FileRead`] and other layers' [`LayerAlert`]s, drains [`BehaviorAlert`]s and [`Incident`]s,
//! and calls [`Behavior::checkpoint`] from time to time and [`Behavior::finish`] at the end.
//!
//! ## Where this differs from, or adds to, behavior.md
//! - Beacon analysis window: min_ts is the pair's first retained connection (rolling 24 h), max_ts
//!   is the current traffic time, and the window is at least `beacon.min_span_secs` (1 h) long.
//! - The histogram's two-mode fit is used only when the intervals are regular (skew score and
//!   spread score of R(intervals) both ≥ `beacon.two_mode_min_regularity`, 0.8). With one or two
//!   connections per bin any irregular series "fits two modes"; the literal spec (set the option
//!   to 0 and `min_span_secs` to 0) flagged 8–13 pairs of ordinary browsing per synthetic
//!   20-host office week, the guarded version none, while still finding 120 s and 30 min beacons.
//! - Prevalence adjustments apply only with ≥ `beacon.prevalence_min_hosts` (10) known hosts; the
//!   first-seen raise applies to destinations first seen after the host's baseline period.
//! - Learning is per host (a host's baseline is established `learning_days` after it first
//!   appears, or by an explicit learn run); only outbound, host-initiated flows feed destinations,
//!   beacons and volume.
//! - Without a baseline the volume detector uses `exfil.no_baseline_bytes` (16 MiB) as its floor.
#![deny(missing_docs)]

pub mod alert;
pub mod beacon;
pub mod bulk;
pub mod config;
mod engine;
pub mod error;
pub mod homenet;
pub mod incident;
pub mod input;
pub mod names;
pub mod profile;
pub mod stats;
pub mod store;
pub mod time;

pub use alert::{BehaviorAlert, BehaviorKind, BehaviorRecord};
pub use config::{
    Band, BeaconConfig, BehaviorConfig, BulkReadConfig, EpisodeConfig, ExfilConfig,
    FirstSeenConfig, FirstSeenScope, IncidentConfig,
};
pub use engine::{Behavior, BehaviorStats, DestSnapshot, ProfileSnapshot, pcr};
pub use error::{BehaviorError, ConfigError, HomeNetError, StoreError, StoreWarning};
pub use homenet::HomeNet;
pub use incident::{Incident, IncidentStep, IncidentTracker, Stage};
pub use input::{DnsAnswer, FileRead, FlowSummary, Layer, LayerAlert};
pub use store::Store;
