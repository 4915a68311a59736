//! Engine configuration (TOML). Every setting has a default that works with no file at all;
//! unknown keys are errors, so a typo never silently falls back to a default.

use sekimori_inspect::InspectConfig;
use sekimori_app::AppConfig;
use sekimori_behavior::BehaviorConfig;
use sekimori_dlp::DlpConfig;
use sekimori_files::{FileConfig, HttpBodyLimits, StoreConfig};
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
    /// Application-layer protocols.
    pub app: AppSection,
    /// The behaviour layer (baseline, beacons, first-seen, exfil volume, bulk reads).
    pub behavior: BehaviorConfig,
    /// The DLP layer (detectors, limits, custom detectors).
    pub dlp: DlpConfig,
    /// File tracking.
    pub files: FilesSection,
    /// When the DLP layer raises an alert.
    pub dlp_policy: DlpPolicy,
    /// Which defence layers run (all by default; switch one off to measure what it costs).
    pub layers: LayersSection,
    /// The signature layer's side files.
    pub detect: DetectSection,
    /// Targeted-mail checks and download inspection (free-mail list, `$HOME_DOMAINS`, hash
    /// lists, YARA rules, size caps).
    pub inspect: InspectConfig,
}

/// `[detect]`: files the rules refer to (Suricata's `threshold-file`, `classification-file`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectSection {
    /// `threshold.config` (suppress, rate_filter, threshold entries); default: one beside the
    /// first rule file, if any.
    pub threshold_file: Option<PathBuf>,
    /// `classification.config`; default: one beside the first rule file, else Suricata's
    /// built-in classtypes.
    pub classification_file: Option<PathBuf>,
}

/// Switches for the layers above the protocol parsers.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayersSection {
    /// The behaviour layer (baseline, beacons, first-seen, volume, bulk reads, incidents).
    pub behavior: bool,
    /// The DLP layer.
    pub dlp: bool,
    /// Mail checks and download inspection (types, archives, hash lists, YARA).
    pub inspect: bool,
}

impl Default for LayersSection {
    fn default() -> Self {
        LayersSection { behavior: true, dlp: true, inspect: true }
    }
}

impl Config {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        Self::from_toml_with(text, &[]).map(|(c, _)| c)
    }

    /// Parses TOML text, then applies `key=value` overrides (the CLI's `--set`). Keys are this
    /// file's dotted paths (`stream.midstream`) or Suricata's names for the same settings
    /// (`stream.reassembly.depth`, `stream.async-oneside`, ...). Returns the config and the
    /// Suricata keys that have no counterpart here (ignored, for the caller to report).
    pub fn from_toml_with(
        text: &str,
        overrides: &[(String, String)],
    ) -> Result<(Config, Vec<String>), ConfigError> {
        let parse_err = |e: &dyn std::fmt::Display| ConfigError::Parse {
            path: PathBuf::from("<string>"),
            message: e.to_string().trim_end().replace('\n', " "),
        };
        // The file alone first, so its errors carry line and column.
        let cfg: Config = toml::from_str(text).map_err(|e| parse_err(&e))?;
        if overrides.is_empty() {
            cfg.validate()?;
            return Ok((cfg, Vec::new()));
        }
        let mut table: toml::Table = text.parse().map_err(|e| parse_err(&e))?;
        let mut ignored = Vec::new();
        for (key, value) in overrides {
            let Some(path) = override_path(key) else {
                ignored.push(key.clone());
                continue;
            };
            let mut candidate = table.clone();
            let parsed = if path.last().is_some_and(|k| k.ends_with("_ports")) {
                parse_port_list(value)
            } else {
                parse_scalar(value)
            };
            set_path(&mut candidate, &path, parsed).map_err(|reason| {
                ConfigError::Value {
                    key: key.clone(),
                    value: value.clone(),
                    reason,
                }
            })?;
            match toml::Value::Table(candidate.clone()).try_into::<Config>() {
                Ok(_) => table = candidate,
                // Not a key of ours (e.g. one of Suricata's many settings we do not have).
                Err(e) if e.to_string().contains("unknown field") => ignored.push(key.clone()),
                Err(e) => {
                    return Err(ConfigError::Value {
                        key: key.clone(),
                        value: value.clone(),
                        reason: e.to_string().trim().replace('\n', " "),
                    });
                }
            }
        }
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e| parse_err(&e))?;
        cfg.validate()?;
        Ok((cfg, ignored))
    }

    /// Checks values that the type system cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.flow_config()?;
        self.stream_config()?;
        self.behavior.validate().map_err(|e| ConfigError::Value {
            key: "behavior".into(),
            value: String::new(),
            reason: e.to_string(),
        })?;
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

/// Suricata's names for settings this engine has, mapped to this file's paths.
const SURICATA_KEYS: &[(&str, &str)] = &[
    ("stream.midstream", "stream.midstream"),
    ("stream.async-oneside", "stream.async_oneside"),
    ("stream.inline", "stream.inline"),
    ("stream.midstream-policy", "stream.midstream_policy"),
    ("stream.reassembly.urgent.policy", "stream.urgent_policy"),
    ("stream.memcap", "stream.memcap"),
    ("stream.reassembly.memcap", "stream.memcap"),
    ("stream.reassembly.depth", "stream.depth"),
    ("defrag.memcap", "defrag.memcap"),
    ("defrag.timeout", "defrag.timeout"),
    ("flow.memcap", "flow.memcap"),
    ("app-layer.protocols.dns.tcp.detection-ports.dp", "app.dns.tcp_ports"),
    ("app-layer.protocols.dns.udp.detection-ports.dp", "app.dns.udp_ports"),
    ("app-layer.protocols.smtp.mime.extract-urls-schemes", "app.smtp.url_schemes"),
    ("app-layer.protocols.smtp.mime.log-url-scheme", "outputs.smtp_log_url_scheme"),
    ("app-layer.protocols.smtp.mime.decode-mime", "app.smtp.decode_mime"),
    ("app-layer.protocols.smtp.raw-extraction", "app.smtp.raw_extraction"),
    ("app-layer.protocols.http.libhtp.default-config.request-body-limit", "app.http.request_body_limit"),
    ("app-layer.protocols.http.libhtp.default-config.response-body-limit", "app.http.response_body_limit"),
    ("threshold-file", "detect.threshold_file"),
    ("classification-file", "detect.classification_file"),
];

/// Our sections: a `--set` key starting with one of these is a path into this file's schema.
const SECTIONS: &[&str] = &["vars", "flow", "stream", "defrag", "decoder", "outputs", "app", "behavior", "dlp", "dlp_policy", "files", "layers", "inspect", "detect"];

fn override_path(key: &str) -> Option<Vec<String>> {
    if let Some((_, ours)) = SURICATA_KEYS.iter().find(|(k, _)| *k == key) {
        return Some(ours.split('.').map(str::to_string).collect());
    }
    // Suricata's eve-log anomaly switches: `outputs.N.eve-log.types.M.anomaly.types.stream`.
    if key.starts_with("outputs.") && key.contains(".eve-log.") {
        if key.ends_with(".anomaly.types.stream") {
            return Some(vec!["outputs".into(), "stream_anomalies".into()]);
        }
        if key.ends_with(".anomaly.types.applayer") {
            return Some(vec!["outputs".into(), "app_anomalies".into()]);
        }
        if key.ends_with(".anomaly.types.decode") {
            return Some(vec!["outputs".into(), "decode_anomalies".into()]);
        }
        if key.ends_with(".eve-log.community-id") {
            return Some(vec!["outputs".into(), "community_id".into()]);
        }
        if key.ends_with(".eve-log.community-id-seed") {
            return Some(vec!["outputs".into(), "community_id_seed".into()]);
        }
    }
    // Suricata's fast.log switch: `outputs.N.fast.enabled`.
    if key.starts_with("outputs.") && key.ends_with(".fast.enabled") {
        return Some(vec!["outputs".into(), "fast_log".into()]);
    }
    let first = key.split('.').next()?;
    SECTIONS
        .contains(&first)
        .then(|| key.split('.').map(str::to_string).collect())
}

/// A `--set` value: boolean (Suricata's yes/no too), integer (with kb/mb/gb suffixes), or string.
fn parse_scalar(v: &str) -> toml::Value {
    let t = v.trim();
    match t.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => return toml::Value::Boolean(true),
        "no" | "false" | "off" => return toml::Value::Boolean(false),
        _ => {}
    }
    if let Ok(n) = t.parse::<i64>() {
        return toml::Value::Integer(n);
    }
    let lower = t.to_ascii_lowercase();
    for (suffix, mul) in [("kb", 1i64 << 10), ("mb", 1 << 20), ("gb", 1 << 30)] {
        if let Some(n) = lower
            .strip_suffix(suffix)
            .and_then(|n| n.trim().parse::<i64>().ok())
        {
            return toml::Value::Integer(n.saturating_mul(mul));
        }
    }
    toml::Value::String(t.to_string())
}

/// `53`, `53, 1053` or `[53,1053]` as a list of integers (strings that are not numbers stay
/// strings, so deserialisation reports them).
fn parse_port_list(v: &str) -> toml::Value {
    let items = v.trim().trim_start_matches('[').trim_end_matches(']').split(',').map(|p| {
        let p = p.trim();
        p.parse::<i64>().map(toml::Value::Integer).unwrap_or_else(|_| toml::Value::String(p.to_string()))
    });
    toml::Value::Array(items.collect())
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".into());
    };
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| format!("{p} is not a section"))?;
    }
    t.insert(last.clone(), value);
    Ok(())
}

/// Parses `10.0.0.0/8`, `192.168.1.1`, `2001:db8::/32` into (address, prefix length).
pub fn parse_cidr(s: &str) -> Result<(std::net::IpAddr, u8), String> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: std::net::IpAddr = a
        .trim()
        .parse()
        .map_err(|_| format!("'{a}' is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match p {
        Some(p) => p
            .trim()
            .parse::<u8>()
            .map_err(|_| format!("'{p}' is not a prefix length"))?,
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
            home_net: vec![
                "192.168.0.0/16".into(),
                "10.0.0.0/8".into(),
                "172.16.0.0/12".into(),
            ],
        }
    }
}

/// Flow timeouts (seconds) for one protocol, by state, as Suricata's `flow-timeouts`. Each key is
/// optional: what is not given keeps the protocol's default.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// Flow seen in one direction only.
    pub new: Option<u32>,
    /// Flow seen in both directions (TCP: handshake completed).
    pub established: Option<u32>,
    /// TCP flow closed (FIN/RST).
    pub closed: Option<u32>,
    /// Timeout for new flows in emergency mode.
    pub emergency_new: Option<u32>,
    /// Timeout for established flows in emergency mode.
    pub emergency_established: Option<u32>,
    /// Timeout for closed flows in emergency mode.
    pub emergency_closed: Option<u32>,
}

impl Timeouts {
    /// These timeouts over the given defaults.
    pub fn resolve(&self, d: ProtoTimeouts) -> ProtoTimeouts {
        ProtoTimeouts {
            normal: StateTimeouts {
                new: self.new.unwrap_or(d.normal.new),
                established: self.established.unwrap_or(d.normal.established),
                closed: self.closed.unwrap_or(d.normal.closed),
            },
            emergency: StateTimeouts {
                new: self.emergency_new.unwrap_or(d.emergency.new),
                established: self
                    .emergency_established
                    .unwrap_or(d.emergency.established),
                closed: self.emergency_closed.unwrap_or(d.emergency.closed),
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
        // Suricata 7's shipped values, as the flow crate defines them; timeouts default there too.
        let d = FlowConfig::default();
        FlowSection {
            memcap: d.memcap_bytes,
            max_flows: d.max_flows as u64,
            tcp: Timeouts::default(),
            udp: Timeouts::default(),
            icmp: Timeouts::default(),
            default: Timeouts::default(),
        }
    }
}

impl Config {
    /// The flow table's settings.
    pub fn flow_config(&self) -> Result<FlowConfig, ConfigError> {
        let f = &self.flow;
        let d = FlowConfig::default().timeouts;
        Ok(FlowConfig {
            timeouts: FlowTimeouts {
                default: f.default.resolve(d.default),
                tcp: f.tcp.resolve(d.tcp),
                udp: f.udp.resolve(d.udp),
                icmp: f.icmp.resolve(d.icmp),
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
        let policy = DefragPolicy::from_os_name(&d.policy).ok_or_else(|| {
            bad(
                "defrag.policy",
                d.policy.clone(),
                "expected bsd, linux, windows, solaris, first or last",
            )
        })?;
        let cfg = DefragConfig {
            policy,
            timeout_secs: u64::from(d.timeout),
            memcap_bytes: usize::try_from(d.memcap).unwrap_or(usize::MAX),
            max_frags_per_datagram: d.max_frags as usize,
            ..DefragConfig::default()
        };
        cfg.validate()
            .map_err(|e| bad("defrag", String::new(), &e.to_string()))?;
        Ok(cfg)
    }

    /// The stream engine's settings.
    pub fn stream_config(&self) -> Result<StreamConfig, ConfigError> {
        let s = &self.stream;
        let policy = s
            .policy
            .parse::<OverlapPolicy>()
            .map_err(|e| ConfigError::Value {
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
            inline: s.inline == InlineMode::Yes,
            urgent_oob: match s.urgent_policy.to_ascii_lowercase().as_str() {
                "oob" => true,
                "inline" | "drop" | "gap" => false,
                _ => {
                    return Err(ConfigError::Value {
                        key: "stream.urgent_policy".into(),
                        value: s.urgent_policy.clone(),
                        reason: "expected inline, oob, drop or gap".into(),
                    });
                }
            },
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
    /// Release data as soon as it is contiguous instead of when acknowledged (inline IPS):
    /// `yes`, `no`, or Suricata's `auto` (inline when the engine runs as an IPS).
    pub inline: InlineMode,
    /// Suricata's `stream.midstream-policy`: what an IPS does with a session picked up without
    /// its handshake while `midstream` is off: `ignore` (default), `drop-flow`, `drop-packet`,
    /// `reject`, `pass-flow`, `pass-packet`, `bypass`, `auto`.
    pub midstream_policy: String,
    /// Suricata's `stream.reassembly.urgent.policy`: `inline` (default; urgent data stays in
    /// the stream) or `oob` (the urgent byte is out-of-band and left out). `drop` and `gap`
    /// are not supported yet: they act as `inline`, with a warning.
    pub urgent_policy: String,
}

/// `stream.inline`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InlineMode {
    /// Data is released when the peer acknowledges it (IDS).
    #[default]
    No,
    /// Data is released as soon as it is contiguous (IPS).
    Yes,
    /// `Yes` under `--simulate-ips` or an inline acquisition, else `No`.
    Auto,
}

impl<'de> Deserialize<'de> for InlineMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(true) => Ok(InlineMode::Yes),
            Raw::Bool(false) => Ok(InlineMode::No),
            Raw::Text(t) => match t.to_ascii_lowercase().as_str() {
                "yes" | "true" | "on" | "1" => Ok(InlineMode::Yes),
                "no" | "false" | "off" | "0" => Ok(InlineMode::No),
                "auto" => Ok(InlineMode::Auto),
                other => Err(serde::de::Error::custom(format!(
                    "expected yes, no or auto, found {other:?}"
                ))),
            },
        }
    }
}

impl Default for StreamSection {
    fn default() -> Self {
        StreamSection {
            midstream: false,
            async_oneside: false,
            policy: "bsd".into(),
            memcap: 256 << 20,
            depth: 1 << 20,
            // Suricata's default when the key is absent: `auto`.
            inline: InlineMode::Auto,
            midstream_policy: "ignore".into(),
            urgent_policy: "inline".into(),
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
        DecoderSection {
            checksum_checks: "auto".into(),
        }
    }
}

/// `[app]`: application-layer protocol settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSection {
    /// `[app.dns]`.
    pub dns: DnsSection,
    /// `[app.http]`.
    pub http: HttpSection,
    /// `[app.smtp]`.
    pub smtp: SmtpSection,
}

/// `[app.smtp]`: SMTP MIME settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSection {
    /// URL schemes extracted from mail text (Suricata's `smtp.mime.extract-urls-schemes`), as a
    /// list or a comma-separated string; unset keeps the parser's default.
    pub url_schemes: Option<StrList>,
    /// Decode messages (Suricata's `smtp.mime.decode-mime`); unset: on.
    pub decode_mime: Option<bool>,
    /// With decoding off, extract each raw message as a file `rawmsg` (Suricata's
    /// `smtp.raw-extraction`).
    pub raw_extraction: bool,
}

/// A list given as a TOML array or as one comma-separated string (`--set` values).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum StrList {
    /// `"http, https"`.
    One(String),
    /// `["http", "https"]`.
    Many(Vec<String>),
}

impl StrList {
    /// The items, trimmed, empty ones dropped.
    pub fn items(&self) -> Vec<String> {
        let all: Vec<&str> = match self {
            StrList::One(s) => s.trim_matches(|c| c == '[' || c == ']').split(',').collect(),
            StrList::Many(v) => v.iter().map(String::as_str).collect(),
        };
        all.into_iter().map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    }
}

/// `[app.http]`: libhtp's body limits, as Suricata's `libhtp.default-config`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSection {
    /// Bytes of each request body kept for inspection and carried into its file
    /// (`request-body-limit`; 0 = unlimited).
    pub request_body_limit: u64,
    /// Bytes of each response body kept for inspection and carried into its file
    /// (`response-body-limit`; 0 = unlimited).
    pub response_body_limit: u64,
}

impl Default for HttpSection {
    fn default() -> Self {
        let h = AppConfig::default().http;
        HttpSection {
            request_body_limit: h.request_body_limit as u64,
            response_body_limit: h.response_body_limit as u64,
        }
    }
}

/// `[app.dns]`: where DNS is looked for (it is also recognised by content on these ports only,
/// as Suricata's `detection-ports`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsSection {
    /// UDP server ports.
    pub udp_ports: Vec<u16>,
    /// TCP server ports.
    pub tcp_ports: Vec<u16>,
}

impl Default for DnsSection {
    fn default() -> Self {
        let d = AppConfig::default().dns;
        DnsSection { udp_ports: d.udp_ports, tcp_ports: d.tcp_ports }
    }
}

impl Config {
    /// The protocol layer's settings.
    pub fn app_config(&self) -> AppConfig {
        let mut a = AppConfig::default();
        a.dns.udp_ports = self.app.dns.udp_ports.clone();
        a.dns.tcp_ports = self.app.dns.tcp_ports.clone();
        // 0 is Suricata's "unlimited".
        let limit = |n: u64| if n == 0 { usize::MAX } else { usize::try_from(n).unwrap_or(usize::MAX) };
        a.http.request_body_limit = limit(self.app.http.request_body_limit);
        a.http.response_body_limit = limit(self.app.http.response_body_limit);
        if let Some(l) = &self.app.smtp.url_schemes {
            a.smtp.mime.set_url_schemes(&l.items());
        }
        if let Some(d) = self.app.smtp.decode_mime {
            a.smtp.decode_mime = d;
        }
        a.smtp.raw_extraction = self.app.smtp.raw_extraction;
        a
    }
}

/// `[dlp_policy]`: which transfers are scanned and when a finding becomes an alert
/// (defaults from ../shared/docs/dlp.md).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DlpPolicy {
    /// Policy name logged in `dlp.policy`.
    pub name: String,
    /// Identifiers (medium confidence or better) a transfer must carry to alert.
    pub min_identifiers: u64,
    /// High-confidence identifiers from which the alert has severity 1 (else 3).
    pub severe_at: u64,
    /// Also scan transfers between `$HOME_NET` hosts (not exfiltration; off by default).
    pub include_internal: bool,
    /// Also scan what `$HOME_NET` hosts download (not exfiltration; off by default).
    pub include_inbound: bool,
    /// In IPS mode, drop the flow of a transfer carrying at least this many identifiers
    /// (medium confidence or better); 0 never blocks.
    pub block_at: u64,
}

impl Default for DlpPolicy {
    fn default() -> Self {
        DlpPolicy {
            name: "pii-outbound".into(),
            min_identifiers: 1,
            severe_at: 10,
            include_internal: false,
            include_inbound: false,
            block_at: 100,
        }
    }
}

/// `[files]`: file tracking (hashes and magic are always computed, as Suricata's force-hash).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesSection {
    /// The filestore: files that a `filestore` rule asks for (every file with
    /// `force_filestore`) are stored under this directory, content-addressed by sha256
    /// (`ab/abcdef...`), as Suricata's `file-store` output.
    pub filestore: Option<PathBuf>,
    /// Largest file stored, in bytes (0: no limit).
    pub filestore_max_size: u64,
    /// Store every file, not only those a `filestore` rule asks for (Suricata's
    /// `file-store.force-filestore`).
    pub force_filestore: bool,
}

impl Config {
    /// The file tracker's settings.
    pub fn files_config(&self) -> FileConfig {
        FileConfig {
            store: self.files.filestore.clone().map(|dir| StoreConfig { dir, max_file_size: self.files.filestore_max_size }),
            force_store: self.files.force_filestore,
            http_body_limits: HttpBodyLimits {
                request: self.app.http.request_body_limit,
                response: self.app.http.response_body_limit,
            },
            ..FileConfig::default()
        }
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
    /// Write app-layer anomalies (`anomaly` with type `applayer`); on, as Suricata ships.
    pub app_anomalies: bool,
    /// Write a final `stats` record.
    pub stats: bool,
    /// Write Suricata's one-line-per-alert `fast.log` beside eve.json.
    pub fast_log: bool,
    /// Its file name inside the log directory.
    pub fast_filename: String,
    /// Alerts carry the matched data in base64 (`payload`, with `stream`), as Suricata's
    /// `outputs.eve-log.types.alert.payload`.
    pub alert_payload: bool,
    /// Alerts carry the matched data as text (`payload_printable`).
    pub alert_payload_printable: bool,
    /// Alerts carry the captured packet in base64 (`packet`, `packet_info`).
    pub alert_packet: bool,
    /// Largest payload an alert shows (bytes; Suricata's `payload-buffer-size`).
    pub alert_payload_buffer_size: u64,
    /// Suricata's `http` logger `dump-all-headers`: `none` (default), `request`, `response`
    /// or `both` (`request_headers` / `response_headers` arrays in `http` records).
    pub http_dump_all_headers: String,
    /// `smtp` records keep the scheme in `email.url` values (Suricata's
    /// `app-layer.protocols.smtp.mime.log-url-scheme`; off by default).
    pub smtp_log_url_scheme: bool,
    /// Records of a flow carry its Community ID (`community_id`), as Suricata's
    /// `outputs.eve-log.community-id` (off by default).
    pub community_id: bool,
    /// The Community ID seed (Suricata's `community-id-seed`, default 0).
    pub community_id_seed: u16,
}

impl OutputsSection {
    /// Whether EVE records of `event_type` are written.
    pub fn enabled(&self, event_type: &str) -> bool {
        self.eve_types.iter().any(|t| t == event_type)
    }
}

impl Default for OutputsSection {
    fn default() -> Self {
        OutputsSection {
            eve_filename: "eve.json".into(),
            eve_types: ["alert", "anomaly", "http", "dns", "tls", "smtp", "smb", "rfb", "quic", "fileinfo", "flow", "drop", "stats", "incident"].map(String::from).to_vec(),
            decode_anomalies: false,
            stream_anomalies: false,
            app_anomalies: true,
            stats: true,
            fast_log: true,
            fast_filename: "fast.log".into(),
            alert_payload: false,
            alert_payload_printable: false,
            alert_packet: false,
            alert_payload_buffer_size: 4096,
            http_dump_all_headers: "none".into(),
            smtp_log_url_scheme: false,
            community_id: false,
            community_id_seed: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_defaults() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(
            c.flow_config().unwrap().timeouts.tcp.normal.established,
            600
        );
        assert_eq!(c.vars.home_net.len(), 3);
        assert_eq!(c.stream.policy, "bsd");
    }

    #[test]
    fn unknown_key_is_an_error_with_location() {
        let e = Config::from_toml("[flow]\nmemkap = 5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("memkap"), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn bad_home_net_is_refused() {
        let e = Config::from_toml("[vars]\nhome_net = [\"10.0.0.0/33\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("prefix length 33"), "{e}");
    }

    #[test]
    fn set_overrides_use_suricata_or_our_names() {
        let o = |k: &str, v: &str| (k.to_string(), v.to_string());
        let (c, ignored) = Config::from_toml_with(
            "[stream]\ndepth = 5\n",
            &[
                o("stream.midstream", "true"),
                o("stream.reassembly.depth", "2mb"),
                o("flow.tcp.new", "7"),
                o("app-layer.protocols.tls.ja3-fingerprints", "yes"),
            ],
        )
        .unwrap();
        assert!(c.stream.midstream);
        assert_eq!(c.stream.depth, 2 << 20);
        let t = c.flow_config().unwrap().timeouts.tcp;
        assert_eq!(t.normal.new, 7);
        assert_eq!(
            t.normal.established, 600,
            "unset keys keep the protocol's default"
        );
        assert_eq!(
            ignored,
            vec!["app-layer.protocols.tls.ja3-fingerprints".to_string()]
        );
        let (c, _) = Config::from_toml_with(
            "",
            &[
                o("app-layer.protocols.http.libhtp.default-config.response-body-limit", "4kb"),
                o("app-layer.protocols.http.libhtp.default-config.request-body-limit", "0"),
            ],
        )
        .unwrap();
        assert_eq!(c.app_config().http.response_body_limit, 4096);
        assert_eq!(c.app_config().http.request_body_limit, usize::MAX, "0 is unlimited");
        let (c, _) = Config::from_toml_with("", &[o("app-layer.protocols.dns.tcp.detection-ports.dp", "53, 1053")]).unwrap();
        assert_eq!(c.app_config().dns.tcp_ports, vec![53, 1053]);
        // A key we do not have is reported back (the CLI warns), a bad value for one we have is an error.
        let (_, ignored) = Config::from_toml_with("", &[o("stream.midstrem", "yes")]).unwrap();
        assert_eq!(ignored, vec!["stream.midstrem".to_string()]);
        assert!(Config::from_toml_with("", &[o("stream.midstream", "banana")]).is_err());
    }

    #[test]
    fn stream_inline_takes_yes_no_or_auto() {
        let o = |v: &str| vec![("stream.inline".to_string(), v.to_string())];
        let mode = |v: &str| Config::from_toml_with("", &o(v)).map(|(c, _)| c.stream.inline);
        assert_eq!(mode("auto").unwrap(), InlineMode::Auto);
        assert_eq!(mode("yes").unwrap(), InlineMode::Yes);
        assert_eq!(mode("false").unwrap(), InlineMode::No);
        assert!(mode("sometimes").is_err());
        assert_eq!(Config::from_toml("[stream]\ninline = true\n").unwrap().stream.inline, InlineMode::Yes);
        // `auto` is not inline until the engine is told it runs as an IPS.
        let (c, _) = Config::from_toml_with("", &o("auto")).unwrap();
        assert!(!c.stream_config().unwrap().inline);
    }

    #[test]
    fn urgent_policy_from_suricata_key() {
        let o = |v: &str| vec![("stream.reassembly.urgent.policy".to_string(), v.to_string())];
        let oob = |v: &str| Config::from_toml_with("", &o(v)).unwrap().0.stream_config().map(|s| s.urgent_oob);
        assert!(oob("oob").unwrap());
        assert!(!oob("inline").unwrap());
        assert!(!oob("gap").unwrap(), "not supported yet: acts as inline");
        assert!(Config::from_toml_with("", &o("sideways")).is_err(), "a bad value is an error");
        assert!(!Config::default().stream_config().unwrap().urgent_oob);
    }

    #[test]
    fn smtp_url_schemes_and_force_filestore() {
        let o = |k: &str, v: &str| (k.to_string(), v.to_string());
        let (c, ignored) = Config::from_toml_with(
            "[files]\nforce_filestore = true\n",
            &[
                o("app-layer.protocols.smtp.mime.extract-urls-schemes", "http, https,ftp"),
                o("app-layer.protocols.smtp.mime.log-url-scheme", "yes"),
            ],
        )
        .unwrap();
        assert!(ignored.is_empty(), "{ignored:?}");
        assert!(c.outputs.smtp_log_url_scheme);
        assert!(c.files_config().force_store);
        let a = c.app_config();
        assert_eq!(a.smtp.mime.url_schemes, [b"http://".to_vec(), b"https://".to_vec(), b"ftp://".to_vec()]);
        let c = Config::from_toml("[app.smtp]\nurl_schemes = [\"ftp\"]\n").unwrap();
        assert_eq!(c.app_config().smtp.mime.url_schemes, [b"ftp://".to_vec()]);
        // Unset: the parser's default list, and no forced store.
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.app_config().smtp.mime.url_schemes, sekimori_app::AppConfig::default().smtp.mime.url_schemes);
        assert!(!c.files_config().force_store && !c.outputs.smtp_log_url_scheme);
        let a = c.app_config();
        assert!(a.smtp.decode_mime && !a.smtp.raw_extraction);
        let (c, ignored) = Config::from_toml_with(
            "",
            &[
                o("app-layer.protocols.smtp.mime.decode-mime", "no"),
                o("app-layer.protocols.smtp.raw-extraction", "yes"),
            ],
        )
        .unwrap();
        assert!(ignored.is_empty(), "{ignored:?}");
        let a = c.app_config();
        assert!(!a.smtp.decode_mime && a.smtp.raw_extraction);
    }

    #[test]
    fn partial_sections_keep_other_defaults() {
        let c = Config::from_toml("[stream]\nmidstream = true\n").unwrap();
        assert!(c.stream.midstream);
        assert_eq!(c.stream.depth, 1 << 20);
    }
}
