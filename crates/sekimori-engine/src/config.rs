//! Engine configuration (TOML). Every setting has a default that works with no file at all;
//! unknown keys are errors, so a typo never silently falls back to a default.

use sekimori_defrag::{DefragConfig, OverlapPolicy as DefragPolicy};
use sekimori_flow::{FlowConfig, FlowTimeouts, ProtoTimeouts, StateTimeouts};
use sekimori_stream::{OverlapPolicy, StreamConfig};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Errors reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid config {path}: {message}")]
    Parse {
        /// The path.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A value is out of range or malformed.
    #[error("invalid config value {key} = {value:?}: {reason}")]
    Value {
        /// Dotted key.
        key: String,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
}

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port variables (`$HOME_NET`, ...).
    pub vars: VarsConfig,
    /// Flow table.
    pub flow: FlowSection,
    /// TCP stream engine.
    pub stream: StreamSection,
    /// IP defragmentation.
    pub defrag: DefragSection,
    /// Decoder options.
    pub decoder: DecoderSection,
    /// Outputs.
    pub outputs: OutputsSection,
}

impl Config {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse { path: path.to_owned(), message },
            other => other,
        })
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("<string>"),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks values that the type system cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.flow_config()?;
        self.stream_config()?;
        self.defrag_config()?;
        for net in &self.vars.home_net {
            parse_cidr(net).map_err(|reason| ConfigError::Value {
                key: "vars.home_net".into(),
                value: net.clone(),
                reason,
            })?;
        }
        Ok(())
    }
}

/// Parses `10.0.0.0/8`, `192.168.1.1`, `2001:db8::/32` into (address, prefix length).
pub fn parse_cidr(s: &str) -> Result<(std::net::IpAddr, u8), String> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: std::net::IpAddr = a.trim().parse().map_err(|_| format!("'{a}' is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match p {
        Some(p) => p.trim().parse::<u8>().map_err(|_| format!("'{p}' is not a prefix length"))?,
        None => max,
    };
    if len > max {
        return Err(format!("prefix length {len} exceeds {max}"));
    }
    Ok((addr, len))
}

/// Variables, named as in Suricata's `vars` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VarsConfig {
    /// `$HOME_NET`: the protected networks. Default: the RFC 1918 ranges.
    pub home_net: Vec<String>,
}

impl Default for VarsConfig {
    fn default() -> Self {
        VarsConfig {
            home_net: vec!["192.168.0.0/16".into(), "10.0.0.0/8".into(), "172.16.0.0/12".into()],
        }
    }
}

/// Flow timeouts (seconds) for one protocol, by state, as Suricata's `flow-timeouts`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Flow seen in one direction only.
    pub new: u32,
    /// Flow seen in both directions (TCP: handshake completed).
    pub established: u32,
    /// TCP flow closed (FIN/RST).
    pub closed: u32,
    /// Timeout for new flows in emergency mode.
    pub emergency_new: u32,
    /// Timeout for established flows in emergency mode.
    pub emergency_established: u32,
    /// Timeout for closed flows in emergency mode.
    pub emergency_closed: u32,
}

impl From<ProtoTimeouts> for Timeouts {
    fn from(p: ProtoTimeouts) -> Self {
        Timeouts {
            new: p.normal.new,
            established: p.normal.established,
            closed: p.normal.closed,
            emergency_new: p.emergency.new,
            emergency_established: p.emergency.established,
            emergency_closed: p.emergency.closed,
        }
    }
}

impl From<Timeouts> for ProtoTimeouts {
    fn from(t: Timeouts) -> Self {
        ProtoTimeouts {
            normal: StateTimeouts { new: t.new, established: t.established, closed: t.closed },
            emergency: StateTimeouts {
                new: t.emergency_new,
                established: t.emergency_established,
                closed: t.emergency_closed,
            },
        }
    }
}

/// `[flow]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowSection {
    /// Memory the flow table may use, in bytes (Suricata default 128 MiB).
    pub memcap: u64,
    /// Largest number of flows held at once (0: as many as the memcap allows).
    pub max_flows: u64,
    /// Timeouts for TCP flows.
    pub tcp: Timeouts,
    /// Timeouts for UDP flows.
    pub udp: Timeouts,
    /// Timeouts for ICMP flows.
    pub icmp: Timeouts,
    /// Timeouts for other IP protocols.
    pub default: Timeouts,
}

impl Default for FlowSection {
    fn default() -> Self {
        // Suricata 7's shipped values, as the flow crate defines them.
        let d = FlowConfig::default();
        FlowSection {
            memcap: d.memcap_bytes,
            max_flows: d.max_flows as u64,
            tcp: d.timeouts.tcp.into(),
            udp: d.timeouts.udp.into(),
            icmp: d.timeouts.icmp.into(),
            default: d.timeouts.default.into(),
        }
    }
}

impl Config {
    /// The flow table's settings.
    pub fn flow_config(&self) -> Result<FlowConfig, ConfigError> {
        let f = &self.flow;
        Ok(FlowConfig {
            timeouts: FlowTimeouts {
                default: f.default.into(),
                tcp: f.tcp.into(),
                udp: f.udp.into(),
                icmp: f.icmp.into(),
            },
            max_flows: usize::try_from(f.max_flows).map_err(|_| ConfigError::Value {
                key: "flow.max_flows".into(),
                value: f.max_flows.to_string(),
                reason: "too large".into(),
            })?,
            memcap_bytes: f.memcap,
            midstream: self.stream.midstream,
            ..FlowConfig::default()
        })
    }

    /// The defragmenter's settings.
    pub fn defrag_config(&self) -> Result<DefragConfig, ConfigError> {
        let d = &self.defrag;
        let bad = |key: &str, value: String, reason: &str| ConfigError::Value {
            key: key.into(),
            value,
            reason: reason.into(),
        };
        let policy = DefragPolicy::from_os_name(&d.policy)
            .ok_or_else(|| bad("defrag.policy", d.policy.clone(), "expected bsd, linux, windows, solaris, first or last"))?;
        let cfg = DefragConfig {
            policy,
            timeout_secs: u64::from(d.timeout),
            memcap_bytes: usize::try_from(d.memcap).unwrap_or(usize::MAX),
            max_frags_per_datagram: d.max_frags as usize,
            ..DefragConfig::default()
        };
        cfg.validate().map_err(|e| bad("defrag", String::new(), &e.to_string()))?;
        Ok(cfg)
    }

    /// The stream engine's settings.
    pub fn stream_config(&self) -> Result<StreamConfig, ConfigError> {
        let s = &self.stream;
        let policy = s.policy.parse::<OverlapPolicy>().map_err(|e| ConfigError::Value {
            key: "stream.policy".into(),
            value: s.policy.clone(),
            reason: e.to_string(),
        })?;
        Ok(StreamConfig {
            midstream: s.midstream,
            async_oneside: s.async_oneside,
            policy,
            memcap_bytes: usize::try_from(s.memcap).unwrap_or(usize::MAX),
            depth: s.depth,
            inline: s.inline,
            ..StreamConfig::default()
        })
    }
}

/// `[stream]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamSection {
    /// Pick up sessions whose handshake was not seen.
    pub midstream: bool,
    /// Accept sessions where only one direction is seen.
    pub async_oneside: bool,
    /// Overlap policy (first, last, bsd, linux, windows, ... as Suricata names them).
    pub policy: String,
    /// Reassembly memory for all sessions, in bytes.
    pub memcap: u64,
    /// Bytes reassembled per direction (0 = unlimited).
    pub depth: u64,
    /// Release data as soon as it is contiguous instead of when acknowledged (inline IPS).
    pub inline: bool,
}

impl Default for StreamSection {
    fn default() -> Self {
        StreamSection {
            midstream: false,
            async_oneside: false,
            policy: "bsd".into(),
            memcap: 256 << 20,
            depth: 1 << 20,
            inline: false,
        }
    }
}

/// `[defrag]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefragSection {
    /// Overlap policy: bsd, linux, windows, solaris, first, last.
    pub policy: String,
    /// Memory for pending fragments, in bytes.
    pub memcap: u64,
    /// Seconds a datagram may wait for its missing fragments.
    pub timeout: u32,
    /// Most fragments accepted for one datagram.
    pub max_frags: u32,
}

impl Default for DefragSection {
    fn default() -> Self {
        let d = DefragConfig::default();
        DefragSection {
            policy: "bsd".into(),
            memcap: d.memcap_bytes as u64,
            timeout: u32::try_from(d.timeout_secs).unwrap_or(u32::MAX),
            max_frags: u32::try_from(d.max_frags_per_datagram).unwrap_or(u32::MAX),
        }
    }
}

/// `[decoder]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecoderSection {
    /// TCP/UDP checksum validation: `auto` (as Suricata's pcap mode), `yes` or `no`.
    pub checksum_checks: String,
}

impl Default for DecoderSection {
    fn default() -> Self {
        DecoderSection { checksum_checks: "auto".into() }
    }
}

/// `[outputs]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputsSection {
    /// EVE file name inside the log directory.
    pub eve_filename: String,
    /// EVE event types to write.
    pub eve_types: Vec<String>,
    /// Write decoder anomalies (`anomaly` with type `decode`); off by default, as Suricata ships.
    pub decode_anomalies: bool,
    /// Write stream anomalies (`anomaly` with type `stream`); off by default, as Suricata ships.
    pub stream_anomalies: bool,
    /// Write a final `stats` record.
    pub stats: bool,
}

impl Default for OutputsSection {
    fn default() -> Self {
        OutputsSection {
            eve_filename: "eve.json".into(),
            eve_types: vec!["alert".into(), "anomaly".into(), "flow".into(), "stats".into()],
            decode_anomalies: false,
            stream_anomalies: false,
            stats: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_defaults() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.flow.tcp.established, 600);
        assert_eq!(c.vars.home_net.len(), 3);
        assert_eq!(c.stream.policy, "bsd");
    }

    #[test]
    fn unknown_key_is_an_error_with_location() {
        let e = Config::from_toml("[flow]\nmemkap = 5\n").unwrap_err().to_string();
        assert!(e.contains("memkap"), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn bad_home_net_is_refused() {
        let e = Config::from_toml("[vars]\nhome_net = [\"10.0.0.0/33\"]\n").unwrap_err().to_string();
        assert!(e.contains("prefix length 33"), "{e}");
    }

    #[test]
    fn partial_sections_keep_other_defaults() {
        let c = Config::from_toml("[stream]\nmidstream = true\n").unwrap();
        assert!(c.stream.midstream);
        assert_eq!(c.stream.depth, 1 << 20);
    }
}
