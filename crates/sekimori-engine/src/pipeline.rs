//! The per-packet pipeline and the end-of-run flush.

use crate::config::{Config, ConfigError, InlineMode};
use crate::app::{EveApp, Fanout, Layers, ctx as app_ctx};
use crate::detect::{EvidenceOut, Out, PacketExtra, Signatures, flow_facts, rule_proto};
use crate::dlp::DlpLayer;
use crate::alerts::{AlertAction, AlertFields, AlertOut};
use crate::inspect::InspectLayer;
use sekimori_inspect::Inspector;
use crate::ips::{DropReason, IpsCounters, Verdict, write_drop};
use sekimori_detect::{FlowState as DetectFlow, PacketInfo};
use sekimori_files::FileTracker;
use sekimori_dlp::Dlp;
use crate::hook::{AppHook, AppSlot, FlowInfo, NoApp};
use sekimori_app::AppLayer;
use sekimori_behavior::{Behavior, BehaviorError, FlowSummary, HomeNet, Layer, LayerAlert};
use crate::summary::Summary;
use sekimori_capture::{LinkType, Packet, Timestamp};
use sekimori_decode::{DecodeStats, Decoded, L4, decode, tcp_udp_checksum_valid};
use sekimori_defrag::{DefragOutcome, Defragmenter};
use sekimori_eve::{
    AnomalyRecord, Endpoints, EveError, EveWriter, FlowRecord, Header, IcmpTypes, Obj, TcpSummary,
    write_anomaly, write_flow,
};
use sekimori_flow::{Direction, EndedFlow, Flow, FlowAction, FlowState, FlowTable};
use sekimori_stream::{RawStream, StreamEngine, StreamSink, TcpSession, TcpState};
use std::path::PathBuf;

/// Errors that stop the engine from starting or finishing.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The EVE output failed.
    #[error(transparent)]
    Eve(#[from] EveError),
    /// An output file could not be created.
    #[error("cannot write {path}: {source}")]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The behaviour layer's store failed.
    #[error("behaviour baseline: {0}")]
    Behavior(#[from] BehaviorError),
}

/// How to build an [`Engine`].
#[derive(Debug, Default)]
pub struct EngineOptions {
    /// Configuration.
    pub config: Config,
    /// Directory for eve.json.
    pub log_dir: PathBuf,
    /// Rule files (loaded by the signature layer).
    pub rule_files: Vec<PathBuf>,
    /// Where the behaviour baseline is kept across runs; None keeps it in memory for this run.
    pub state_dir: Option<PathBuf>,
    /// Build the baseline only (`baseline learn`): no behaviour alerts.
    pub learn: bool,
    /// Act as an inline IPS would (Suricata's `--simulate-ips`): drop/reject rules and layer
    /// policies drop packets and the rest of their flow, reported as `blocked` and `drop` records.
    pub simulate_ips: bool,
}

/// How far down the pipeline packets go: for benchmarks that measure what each stage costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Count the packet only (the capture baseline).
    Capture,
    /// Decode it.
    Decode,
    /// Decode, defragment and track flows (no TCP reassembly, no app layer).
    Flow,
    /// Everything.
    #[default]
    Full,
}

impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "capture" => Ok(Stage::Capture),
            "decode" => Ok(Stage::Decode),
            "flow" => Ok(Stage::Flow),
            "full" => Ok(Stage::Full),
            _ => Err(format!("unknown stage {s:?} (capture, decode, flow, full)")),
        }
    }
}

/// Per-flow state the engine keeps inside each flow.
#[derive(Default)]
pub struct FlowData {
    tcp: TcpSession,
    /// The protocol layer's state.
    app: AppSlot,
    /// The external hook's state.
    hook: AppSlot,
    /// The signature layer's state (flowbits).
    detect: Option<DetectFlow>,
    app_proto: Option<&'static str>,
    /// The server's name from HTTP Host or TLS SNI (for the behaviour layer).
    server_name: Option<Box<str>>,
    /// Reassembled data kept for raw stream inspection, per TCP role (client data first).
    raw: [RawStream; 2],
    /// The flow was swapped because the protocol layer found it reversed: the layer keeps
    /// mapping directions itself, so the stream's (swapped) roles reach it flipped back.
    app_flip: bool,
}

/// Suricata's default raw-reassembly chunk size (`stream.reassembly.toserver-chunk-size`,
/// `toclient-chunk-size`): in IDS mode stream rules inspect the data once this much is
/// waiting; inline, a packet's inspection looks this far back.
const RAW_CHUNK: u64 = 2560;
/// Raw bytes kept per direction: a chunk of context or waiting data plus one large delivery.
const RAW_CAP: usize = 64 * 1024 + 2 * RAW_CHUNK as usize;

/// Sits between the stream engine and the protocol layer: keeps a copy of the reassembled
/// data for raw stream inspection when `on`, and passes everything on.
struct RawTap<'a, S> {
    raw: &'a mut [RawStream; 2],
    on: bool,
    /// Hand the protocol layer the other direction (see [`FlowData::app_flip`]).
    flip: bool,
    inner: &'a mut S,
}

impl<S> RawTap<'_, S> {
    fn app_dir(&self, dir: Direction) -> Direction {
        if self.flip { dir.reverse() } else { dir }
    }
}

impl<S: StreamSink> StreamSink for RawTap<'_, S> {
    fn on_data(&mut self, dir: Direction, data: &[u8]) {
        if self.on
            && let Some(r) = self.raw.get_mut(dir.index())
        {
            r.push(data, RAW_CAP);
        }
        let d = self.app_dir(dir);
        self.inner.on_data(d, data);
    }
    fn on_gap(&mut self, dir: Direction, len: u64) {
        if self.on
            && let Some(r) = self.raw.get_mut(dir.index())
        {
            r.gap(len);
        }
        let d = self.app_dir(dir);
        self.inner.on_gap(d, len);
    }
    fn on_close(&mut self, dir: Direction) {
        let d = self.app_dir(dir);
        self.inner.on_close(d);
    }
}

/// What the stream engine said about a TCP packet that the signature layer needs.
#[derive(Default)]
struct TcpFacts {
    /// The packet's TCP role (None without a session).
    role: Option<Direction>,
    /// Stream offset of the packet's first payload byte in its role's stream.
    offset: u64,
    /// `stream-event` names raised on the packet.
    events: Vec<&'static str>,
    /// `stream_size`: (client, server) bytes.
    size: Option<(u32, u32)>,
    /// Depth reached in the packet's role, or the session is closing: IDS inspects the raw
    /// stream now whatever its size (Suricata's raw-reassembly flush conditions).
    flush_raw: bool,
    /// The payload went into the stream (Suricata's `PKT_STREAM_ADD`).
    in_stream: bool,
    /// Stream offset of the raw copy's offset 0 (the copy may start after the stream did).
    raw_base: u64,
}

/// Suricata's exception policies (`stream.midstream-policy`): what an IPS does when the
/// stream engine meets a condition it cannot handle as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExceptionPolicy {
    /// Carry on (the default; always in IDS mode).
    Ignore,
    /// Drop this packet and every later one of its flow.
    DropFlow,
    /// Drop this packet only.
    DropPacket,
    /// Drop the flow and answer with a reset.
    Reject,
    /// Stop inspecting the flow and let it through.
    PassFlow,
    /// Let this packet through uninspected.
    PassPacket,
}

impl ExceptionPolicy {
    fn parse(s: &str) -> Option<ExceptionPolicy> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "ignore" | "" => ExceptionPolicy::Ignore,
            // `auto` is drop-flow for an IPS (and ignore otherwise, as every policy here).
            "auto" | "drop-flow" => ExceptionPolicy::DropFlow,
            "drop-packet" => ExceptionPolicy::DropPacket,
            "reject" => ExceptionPolicy::Reject,
            // Bypass is a pass of the flow without a capture bypass here.
            "pass-flow" | "bypass" => ExceptionPolicy::PassFlow,
            "pass-packet" => ExceptionPolicy::PassPacket,
            _ => return None,
        })
    }
}

/// Suricata's raw-reassembly flush on session state: any state past TIME_WAIT in its
/// numbering (LAST_ACK, CLOSE_WAIT, CLOSING, CLOSED).
fn raw_flush_state(s: TcpState) -> bool {
    matches!(s, TcpState::LastAck | TcpState::CloseWait | TcpState::Closing | TcpState::Closed)
}

/// Stream offset of a packet's first payload byte in role `role`'s stream, as the raw stream
/// counts it (the raw copy may have started after the stream did).
fn raw_offset(sess: &TcpSession, raw: &RawStream, role: Direction, seq: u32) -> Option<u64> {
    let rel = u64::from(seq.wrapping_sub(sess.isn(role)).wrapping_sub(1));
    let delivered = sess.delivered(role);
    let base = delivered.checked_sub(raw.end())?;
    // A sequence number far behind what was delivered (wrapped) is not addressable.
    rel.checked_sub(base).filter(|o| *o <= delivered.saturating_add(1 << 20))
}

/// Adjusts a TCP checksum for payload bytes replaced by others of the same length at an even
/// offset from the TCP header (RFC 1624 incremental update).
fn checksum_adjust(csum: u16, old: &[u8], new: &[u8]) -> u16 {
    let words = |b: &[u8]| -> u64 {
        b.chunks(2)
            .map(|c| u64::from(u16::from_be_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)])))
            .sum()
    };
    let ones = |b: &[u8]| -> u64 {
        b.chunks(2)
            .map(|c| u64::from(!u16::from_be_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)])))
            .sum()
    };
    let mut acc = u64::from(!csum) + ones(old) + words(new);
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Suricata's checksum validation modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checksums {
    /// Validate, but switch off if the first 1000 packets show more than 10% invalid ones
    /// (offloaded checksums in the capture), as Suricata's pcap `auto` mode does.
    Auto,
    Validate,
    Off,
}

/// Sample size and ratio of Suricata's automatic checksum mode.
const CHECKSUM_SAMPLE: u64 = 1000;
const CHECKSUM_INVALID_RATIO: u64 = 10;

/// Counters of the engine's own work (the stages keep theirs).
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    packets: u64,
    bytes: u64,
    invalid_checksum: u64,
    checksummed: u64,
    decoder_anomalies: u64,
    stream_events: u64,
    reassembled: u64,
    defrag_held: u64,
    defrag_dropped: u64,
    behavior_alerts: u64,
}

/// One worker's pipeline.
pub struct Engine {
    cfg: Config,
    decode_stats: DecodeStats,
    defrag: Defragmenter,
    flows: FlowTable<FlowData>,
    stream: StreamEngine,
    app: AppLayer,
    /// DLP, files, signatures, alerts, behaviour, inspection.
    layers: Layers,
    last_reload: std::time::Instant,
    /// `$HOME_NET`, to tell which side of an alert is the internal host.
    home: HomeNet,
    /// The verdict on the packet being processed, and why it drops.
    verdict: Verdict,
    drop_reason: Option<DropReason>,
    ips_counters: IpsCounters,
    /// Problems with the stored baseline that did not stop the run (reported by the CLI).
    warnings: Vec<String>,
    last_checkpoint: std::time::Instant,
    hook: Box<dyn AppHook>,
    eve: EveWriter,
    eve_file: String,
    checksums: Checksums,
    counters: Counters,
    last_ts: Timestamp,
    scratch: Vec<u8>,
    /// A packet rewritten with the stream's bytes (inline overlaps).
    rewrite: Vec<u8>,
    /// `stream.midstream-policy` (IPS only).
    midstream_policy: ExceptionPolicy,
    stop_after: Stage,
}

impl Engine {
    /// Builds the pipeline and creates `log_dir/eve.json`.
    pub fn new(opts: EngineOptions) -> Result<Engine, EngineError> {
        let mut cfg = opts.config;
        cfg.validate()?;
        let urgent = cfg.stream.urgent_policy.to_ascii_lowercase();
        let urgent_warning = matches!(urgent.as_str(), "drop" | "gap").then(|| {
            format!("stream.reassembly.urgent.policy: {urgent} is not supported yet; urgent data stays in the stream (inline)")
        });
        if opts.simulate_ips && cfg.stream.inline == InlineMode::Auto {
            cfg.stream.inline = InlineMode::Yes;
        }
        let eve_file = cfg.outputs.eve_filename.clone();
        let mut eve = EveWriter::create(&opts.log_dir.join(&eve_file))?;
        eve.set_community_id(cfg.outputs.community_id.then_some(cfg.outputs.community_id_seed));
        let fast = cfg.outputs.fast_log.then(|| opts.log_dir.join(&cfg.outputs.fast_filename));
        let mut engine = Self::with_writer(cfg, eve, eve_file)?;
        engine.warnings.extend(urgent_warning);
        engine.layers.ips = opts.simulate_ips;
        if let Some(path) = fast {
            engine.layers.alerts = AlertOut::with_fast_log(&path).map_err(|e| EngineError::Output { path, source: e })?;
        }
        if !opts.rule_files.is_empty() {
            let mut loaded = Signatures::load(&opts.rule_files, &engine.cfg.vars.home_net, &engine.cfg.detect);
            engine.warnings.extend(loaded.warnings);
            loaded.sigs.ips = opts.simulate_ips;
            let o = &engine.cfg.outputs;
            loaded.sigs.evidence_out = EvidenceOut {
                payload: o.alert_payload,
                printable: o.alert_payload_printable,
                packet: o.alert_packet,
                max: usize::try_from(o.alert_payload_buffer_size).unwrap_or(usize::MAX),
            };
            engine.layers.sigs = Some(loaded.sigs);
        }
        if opts.state_dir.is_some() || opts.learn {
            let home = engine.home.clone();
            let bcfg = engine.cfg.behavior.clone();
            let (b, warnings) = match (&opts.state_dir, opts.learn) {
                (dir, true) => Behavior::learn(bcfg, home, dir.as_deref())?,
                (Some(dir), false) => Behavior::open(bcfg, home, dir)?,
                (None, false) => (Behavior::new(bcfg, home)?, Vec::new()),
            };
            engine.layers.behavior = b;
            engine.warnings.extend(warnings.iter().map(|w| w.to_string()));
        }
        Ok(engine)
    }

    /// Problems with the stored baseline that did not stop the run (it was rebuilt).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Builds the pipeline writing EVE to the given writer (tests, stdout).
    pub fn with_writer(
        cfg: Config,
        eve: EveWriter,
        eve_file: String,
    ) -> Result<Engine, EngineError> {
        let flows = FlowTable::new(cfg.flow_config()?).map_err(|e| ConfigError::Value {
            key: "flow".into(),
            value: String::new(),
            reason: e.to_string(),
        })?;
        let checksums = match cfg.decoder.checksum_checks.to_ascii_lowercase().as_str() {
            "auto" => Checksums::Auto,
            "yes" | "all" | "true" => Checksums::Validate,
            "no" | "none" | "false" => Checksums::Off,
            other => {
                return Err(ConfigError::Value {
                    key: "decoder.checksum_checks".into(),
                    value: other.into(),
                    reason: "expected auto, yes or no".into(),
                }
                .into());
            }
        };
        let home = home_net(&cfg)?;
        let midstream_policy = ExceptionPolicy::parse(&cfg.stream.midstream_policy).ok_or_else(|| {
            ConfigError::Value {
                key: "stream.midstream_policy".into(),
                value: cfg.stream.midstream_policy.clone(),
                reason: "expected ignore, auto, drop-flow, drop-packet, reject, pass-flow, pass-packet or bypass".into(),
            }
        })?;
        Ok(Engine {
            defrag: Defragmenter::new(cfg.defrag_config()?).map_err(|e| ConfigError::Value {
                key: "defrag".into(),
                value: String::new(),
                reason: e.to_string(),
            })?,
            stream: StreamEngine::new(cfg.stream_config()?),
            flows,
            decode_stats: DecodeStats::default(),
            app: AppLayer::new(cfg.app_config()).map_err(|e| ConfigError::Value {
                key: "app".into(),
                value: String::new(),
                reason: e.to_string(),
            })?,
            layers: Layers {
                dlp: DlpLayer::new(
                    Dlp::new(cfg.dlp.clone()).map_err(|e| ConfigError::Value {
                        key: "dlp".into(),
                        value: String::new(),
                        reason: e.to_string(),
                    })?,
                    home.clone(),
                    cfg.dlp_policy.clone(),
                )
                .enabled(cfg.layers.dlp),
                sigs: None,
                files: FileTracker::new(cfg.files_config()).map_err(|e| ConfigError::Value {
                    key: "files".into(),
                    value: String::new(),
                    reason: e.to_string(),
                })?,
                behavior: Behavior::new(cfg.behavior.clone(), home.clone())?,
                alerts: AlertOut::new(),
                inspect: InspectLayer::new(if cfg.layers.inspect {
                    Some(Inspector::new(&cfg.inspect).map_err(|e| ConfigError::Value {
                        key: "inspect".into(),
                        value: String::new(),
                        reason: e.to_string(),
                    })?)
                } else {
                    None
                }),
                ips: false,
            },
            last_reload: std::time::Instant::now(),
            home,
            verdict: Verdict::Accept,
            drop_reason: None,
            ips_counters: IpsCounters::default(),
            warnings: Vec::new(),
            last_checkpoint: std::time::Instant::now(),
            hook: Box::new(NoApp),
            eve,
            eve_file,
            checksums,
            counters: Counters::default(),
            last_ts: Timestamp::default(),
            scratch: Vec::new(),
            rewrite: Vec::new(),
            midstream_policy,
            stop_after: Stage::Full,
            cfg,
        })
    }

    /// Plugs in the application-layer hook (protocol parsers).
    pub fn set_hook(&mut self, hook: Box<dyn AppHook>) {
        self.hook = hook;
    }

    /// Stops processing after `stage` (benchmarks: what does each stage cost).
    pub fn set_stop_after(&mut self, stage: Stage) {
        self.stop_after = stage;
    }

    /// Processes one packet and returns the verdict on it (always [`Verdict::Accept`] unless
    /// the engine runs as an IPS).
    pub fn process(&mut self, pkt: &Packet<'_>) -> Verdict {
        self.verdict = Verdict::Accept;
        self.drop_reason = None;
        self.inspect(pkt);
        if self.layers.ips {
            self.ips_counters.count(self.verdict, self.drop_reason);
        }
        self.verdict
    }

    fn inspect(&mut self, pkt: &Packet<'_>) {
        self.counters.packets += 1;
        self.counters.bytes += pkt.data.len() as u64;
        if pkt.ts > self.last_ts {
            self.last_ts = pkt.ts;
        }
        if self.stop_after == Stage::Capture {
            return;
        }
        let d = decode(pkt.linktype, pkt.data);
        self.decode_stats.record(&d);
        if self.stop_after == Stage::Decode {
            return;
        }
        if !d.anomalies.is_empty() {
            self.decode_anomalies(pkt, &d);
        }
        self.auto_checksum_check();
        if d.is_fragment() {
            self.fragment(pkt, &d);
        } else if d.ip.is_some() {
            self.packet(pkt, &d, pkt.data.len() as u32);
        }
        if !self.layers.alerts.raised.is_empty() {
            if self.cfg.layers.behavior {
                self.write_behavior_records();
            } else {
                self.layers.alerts.raised.clear();
            }
        }
        self.expire(pkt.ts);
    }

    fn auto_checksum_check(&mut self) {
        if self.checksums == Checksums::Auto && self.counters.packets == CHECKSUM_SAMPLE {
            let bad = self.counters.invalid_checksum;
            if bad != 0 && self.counters.packets / bad < CHECKSUM_INVALID_RATIO {
                self.checksums = Checksums::Off;
            }
        }
    }

    fn decode_anomalies(&mut self, pkt: &Packet<'_>, d: &Decoded<'_>) {
        self.counters.decoder_anomalies += d.anomalies.len() as u64;
        if !self.cfg.outputs.decode_anomalies || !self.eve_type_enabled("anomaly") {
            return;
        }
        let endpoints = d.ip.map(|_| packet_endpoints(d));
        for a in d.anomalies.iter() {
            self.eve.record("anomaly", |b| {
                write_anomaly(
                    b,
                    &AnomalyRecord {
                        header: Header {
                            ts: pkt.ts,
                            flow_id: None,
                            pcap_cnt: Some(pkt.pcap_cnt),
                            event_type: "anomaly",
                            vlan: d.vlans(),
                            endpoints,
                        },
                        kind: "decode",
                        event: a.name(),
                        app_proto: None,
                        layer: None,
                        tx_id: None,
                    },
                )
            });
        }
    }

    fn fragment(&mut self, pkt: &Packet<'_>, d: &Decoded<'_>) {
        let link_len = u32::from(d.l3_offset);
        let outcome = self.defrag.process(pkt.ts, d);
        let events = outcome.anomalies();
        match outcome {
            DefragOutcome::Reassembled { datagram, .. } => {
                self.counters.reassembled += 1;
                self.scratch.clear();
                self.scratch.extend_from_slice(datagram);
            }
            DefragOutcome::Held { .. } => self.counters.defrag_held += 1,
            DefragOutcome::Dropped { .. } => self.counters.defrag_dropped += 1,
            DefragOutcome::NotFragment => {}
        }
        if !events.is_empty() {
            let mut with_events = *d;
            with_events.anomalies = events;
            self.decode_anomalies(pkt, &with_events);
        }
        self.inspect_fragment(pkt, d, events);
        if self.scratch.is_empty() {
            return;
        }
        let buf = std::mem::take(&mut self.scratch);
        let mut whole = decode(LinkType::RAW, &buf);
        whole.vlan = d.vlan;
        whole.vlan_count = d.vlan_count;
        if !whole.anomalies.is_empty() {
            self.decode_anomalies(pkt, &whole);
        }
        if !whole.is_fragment() && whole.ip.is_some() {
            self.packet(pkt, &whole, link_len + buf.len() as u32);
        }
        self.scratch = buf;
        self.scratch.clear();
    }

    /// The signatures on a fragment as it came (before reassembly), as Suricata inspects it: a
    /// packet of its own without a flow and without a decoded transport (an IPv6 fragment's
    /// protocol is the Fragment header's, 44), with the decoder's and the reassembler's events
    /// (`decode-event:ipv6.frag_overlap`, ...). Its payload is not inspected: the datagram is,
    /// once reassembled.
    fn inspect_fragment(&mut self, pkt: &Packet<'_>, d: &Decoded<'_>, events: sekimori_decode::Anomalies) {
        let Engine { layers, eve, stop_after, verdict, drop_reason, .. } = self;
        if *stop_after != Stage::Full {
            return;
        }
        let Layers { sigs: Some(sigs), alerts, .. } = layers else { return };
        alerts.set_flow::<FlowData>(eve, None);
        let v6 = matches!(d.ip, Some(sekimori_decode::Ip::V6(_)));
        let mut info = PacketInfo::from_decoded(d, pkt.ts);
        for a in events.iter() {
            if !info.anomalies.contains(a) {
                info.anomalies.push(a);
            }
        }
        info.tcp = None;
        info.icmp = None;
        (info.sport, info.dport) = (0, 0);
        let mut endpoints = packet_endpoints(d);
        (endpoints.sport, endpoints.dport) = (None, None);
        if v6 {
            info.ip_proto = 44;
            endpoints.proto = 44;
        }
        let header = Header {
            ts: pkt.ts,
            flow_id: None,
            pcap_cnt: Some(pkt.pcap_cnt),
            event_type: "alert",
            vlan: d.vlans(),
            endpoints: Some(endpoints),
        };
        let extra = PacketExtra {
            packet: Some(pkt.data),
            linktype: pkt.linktype.0,
            ip_header: ip_header_bytes(d),
            ..PacketExtra::default()
        };
        sigs.packet(&mut Out { eve, alerts }, header, &info, &[], None, None, &extra);
        // A drop rule drops the fragment (IPS); a pass rule has no flow to pass.
        sigs.passed_flow = false;
        if sigs.dropped.take().is_some() {
            *verdict = Verdict::Drop;
            *drop_reason = Some(DropReason::Rules);
        }
    }

    /// Flow, stream and app handling of one (possibly reassembled) packet.
    fn packet(&mut self, pkt: &Packet<'_>, d: &Decoded<'_>, pkt_len: u32) {
        let full = self.stop_after == Stage::Full;
        let Engine {
            flows,
            stream,
            app,
            layers,
            hook,
            counters,
            checksums,
            cfg,
            eve,
            verdict,
            drop_reason,
            rewrite,
            midstream_policy,
            ..
        } = self;
        let checksum_ok = match (*checksums, d.l4) {
            (Checksums::Off, _) => true,
            (_, L4::Tcp(_) | L4::Udp(_)) => {
                counters.checksummed += 1;
                match tcp_udp_checksum_valid(d) {
                    Some(false) => {
                        counters.invalid_checksum += 1;
                        false
                    }
                    _ => true,
                }
            }
            _ => true,
        };
        let hit = flows.lookup_with(d, pkt.ts, pkt_len, |f: &Flow<FlowData>, dir, d| {
            match d.l4 {
                L4::Tcp(t) => stream.is_session_reuse(&f.user.tcp, dir, &t),
                _ => false,
            }
        });
        let Some(hit) = hit else { return };
        let flow = hit.flow;
        let dir = hit.dir;
        layers.alerts.set_flow(eve, Some(&*flow));
        // In IPS mode a dropped flow's later packets are dropped unseen, as Suricata does.
        let flow_dropped = layers.ips && flow.action == FlowAction::Drop;
        if flow_dropped {
            *verdict = Verdict::Drop;
            *drop_reason = Some(DropReason::FlowDrop);
        }
        // A layer's policy (DLP `block_at`) that decided to drop the flow, with its name.
        let mut layer_drop = None;
        let inline = stream.config().inline;
        // Raw stream data is kept when a rule inspects it, and inline (where packets are
        // inspected with the stream's bytes).
        let raw_on = layers.sigs.as_ref().is_some_and(|s| s.needs_stream() || inline);
        let ips = layers.ips;
        let mut tcp_facts = TcpFacts::default();
        // A session that would start without its handshake while midstream pickup is off.
        let mut midstream_refused = false;
        match d.l4 {
            _ if !full || flow_dropped => {}
            L4::Tcp(tcp) if checksum_ok && !hit.icmp_error => {
                let info = flow_info(flow, pkt.ts);
                let FlowData { tcp: sess, app: app_slot, hook: hook_slot, detect: detect_flow, server_name, raw, app_flip, .. } = &mut flow.user;
                let flip = *app_flip;
                let mut out = EveApp {
                    eve,
                    out: &cfg.outputs,
                    ts: pkt.ts,
                    pcap_cnt: Some(pkt.pcap_cnt),
                    swap_allowed: sess.is_midstream(),
                    detected: None,
                    layers,
                    alerted: false,
                    detect_flow: Some(detect_flow.get_or_insert_with(DetectFlow::new)),
                    server_name,
                    drop_flow: None,
                };
                let mut sink = Fanout { app, app_slot, hook: hook.as_mut(), hook_slot, info: &info, out: &mut out };
                let mut tap = RawTap { raw, on: raw_on, flip, inner: &mut sink };
                // Past the reassembly depth segments are no longer added to the stream.
                let depth_before = sess.has_session() && sess.depth_reached(sess.role_of(dir));
                let res = stream.process(sess, dir, pkt.ts, &tcp, d.payload, &mut tap);
                if ips
                    && res.no_session
                    && !stream.config().midstream
                    && tcp.flags & sekimori_decode::tcp_flags::RST == 0
                    && tcp.flags & (sekimori_decode::tcp_flags::SYN | sekimori_decode::tcp_flags::ACK)
                        != sekimori_decode::tcp_flags::SYN
                {
                    midstream_refused = true;
                }
                if sess.has_session() {
                    let role = sess.role_of(dir);
                    let (c, s) = (Direction::ToServer, Direction::ToClient);
                    tcp_facts = TcpFacts {
                        role: Some(role),
                        offset: raw_offset(sess, &raw[role.index()], role, tcp.seq).unwrap_or(u64::MAX),
                        raw_base: sess.delivered(role).saturating_sub(raw[role.index()].end()),
                        events: res.events.iter().map(|e| e.name()).collect(),
                        size: Some((
                            sess.next_seq(c).wrapping_sub(sess.isn(c)),
                            sess.next_seq(s).wrapping_sub(sess.isn(s)),
                        )),
                        flush_raw: sess.depth_reached(role) || raw_flush_state(res.state),
                        in_stream: !d.payload.is_empty()
                            && !depth_before
                            && !res.invalid
                            && !res.retransmission
                            && !res.no_session
                            && !res.reuse,
                    };
                }
                let detected = out.detected;
                flow.alerted |= out.alerted;
                layer_drop = out.drop_flow;
                flow.state = flow_state_for(res.state, flow.state);
                if let Some((proto, swap)) = detected {
                    flow.app_proto = Some(proto.name());
                    if swap {
                        // Detection found the client on the other side: log the flow as it is.
                        flow.swap();
                        flow.user.tcp.swap_directions();
                        flow.user.raw.swap(0, 1);
                        flow.user.app_flip = !flow.user.app_flip;
                        tcp_facts.role = tcp_facts.role.map(Direction::reverse);
                    }
                }
                if !res.events.is_empty() {
                    counters.stream_events += res.events.len() as u64;
                    if cfg.outputs.stream_anomalies && cfg.outputs.enabled("anomaly") {
                        let header = Header {
                            ts: pkt.ts,
                            flow_id: Some(flow.id()),
                            pcap_cnt: Some(pkt.pcap_cnt),
                            event_type: "anomaly",
                            vlan: d.vlans(),
                            endpoints: Some(packet_endpoints(d)),
                        };
                        for e in res.events.iter() {
                            eve.record("anomaly", |b| {
                                write_anomaly(
                                    b,
                                    &AnomalyRecord { header, kind: "stream", event: e.name(), app_proto: None, layer: None, tx_id: None },
                                )
                            });
                        }
                    }
                }
            }
            // A bad UDP checksum does not keep a datagram from the app layer (Suricata checks
            // UDP checksums only for the `udpv4-csum` keywords; offloaded captures rely on it).
            L4::Udp(_) if !hit.icmp_error => {
                let info = flow_info(flow, pkt.ts);
                let FlowData { app: app_slot, hook: hook_slot, detect: detect_flow, server_name, .. } = &mut flow.user;
                let mut out = EveApp {
                    eve,
                    out: &cfg.outputs,
                    ts: pkt.ts,
                    pcap_cnt: Some(pkt.pcap_cnt),
                    swap_allowed: true,
                    detected: None,
                    layers,
                    alerted: false,
                    detect_flow: Some(detect_flow.get_or_insert_with(DetectFlow::new)),
                    server_name,
                    drop_flow: None,
                };
                app.on_udp(&app_ctx(&info), app_slot, dir, d.payload, &mut out);
                hook.on_udp(&info, hook_slot, dir, d.payload);
                flow.alerted |= out.alerted;
                layer_drop = out.drop_flow;
                if let Some((proto, swap)) = out.detected {
                    flow.app_proto = Some(proto.name());
                    if swap {
                        flow.swap();
                    }
                }
            }
            _ => {}
        }
        if let Some(layer) = layer_drop {
            flow.action = FlowAction::Drop;
            *verdict = Verdict::Drop;
            *drop_reason = Some(DropReason::Layer(layer));
        }
        // Suricata's midstream exception policy (IPS): the packet, and with a flow policy the
        // rest of the flow, goes with the reason `stream midstream`.
        let midstream_skip = midstream_refused && *midstream_policy != ExceptionPolicy::Ignore;
        if midstream_refused {
            const WHY: DropReason = DropReason::Layer("stream midstream");
            match *midstream_policy {
                ExceptionPolicy::Ignore => {}
                ExceptionPolicy::DropFlow | ExceptionPolicy::Reject => {
                    flow.action = FlowAction::Drop;
                    *verdict = if *midstream_policy == ExceptionPolicy::Reject { Verdict::Reject } else { Verdict::Drop };
                    *drop_reason = Some(WHY);
                }
                ExceptionPolicy::DropPacket => {
                    *verdict = Verdict::Drop;
                    *drop_reason = Some(WHY);
                }
                ExceptionPolicy::PassFlow => flow.action = FlowAction::Pass,
                ExceptionPolicy::PassPacket => {}
            }
        }
        if full
            && !hit.icmp_error
            && !flow_dropped
            && !midstream_skip
            && let Layers { sigs: Some(sigs), alerts, .. } = &mut *layers
        {
            alerts.set_flow(eve, Some(&*flow));
            let mut info = PacketInfo::from_decoded(d, pkt.ts);
            info.flow = Some(flow_facts(dir, flow.state != FlowState::New));
            info.app_proto = flow.app_proto.and_then(rule_proto);
            info.stream_size = tcp_facts.size;
            let header = Header {
                ts: pkt.ts,
                flow_id: Some(flow.id()),
                pcap_cnt: Some(pkt.pcap_cnt),
                event_type: "alert",
                vlan: d.vlans(),
                endpoints: Some(packet_endpoints(d)),
            };
            let FlowData { detect, raw, .. } = &mut flow.user;
            let state = detect.get_or_insert_with(DetectFlow::new);
            let role_raw = tcp_facts.role.and_then(|r| raw.get_mut(r.index()));
            // Inline, a packet is inspected (and shown) with the bytes the stream holds for
            // its range: a retransmission cannot slip different data past the rules.
            let mut payload = d.payload;
            // A datagram reassembled from fragments is shown whole, as raw IP (Suricata's
            // linktypes 228 for IPv4, 229 for IPv6).
            let reassembled = !std::ptr::eq(d.data.as_ptr(), pkt.data.as_ptr());
            let mut packet_bytes = if reassembled { d.data } else { pkt.data };
            let linktype = match (reassembled, d.ip) {
                (false, _) => pkt.linktype.0,
                (true, Some(sekimori_decode::Ip::V6(_))) => 229,
                (true, _) => 228,
            };
            if inline
                && !payload.is_empty()
                && let Some(r) = role_raw.as_deref()
                && let Some(stored) = r.stored(tcp_facts.offset, payload.len())
                && stored != payload
            {
                rewrite.clear();
                let at = usize::from(d.l4_offset);
                let hdr = match d.l4 {
                    L4::Tcp(t) => usize::from(t.header_len),
                    _ => 0,
                };
                if std::ptr::eq(d.data.as_ptr(), pkt.data.as_ptr())
                    && let Some(csum) = pkt.data.get(at + 16..at + 18)
                    && pkt.data.get(at + hdr..at + hdr + payload.len()) == Some(payload)
                {
                    let old = u16::from_be_bytes([csum[0], csum[1]]);
                    let new = checksum_adjust(old, payload, stored);
                    rewrite.extend_from_slice(pkt.data);
                    if let Some(p) = rewrite.get_mut(at + hdr..at + hdr + payload.len()) {
                        p.copy_from_slice(stored);
                    }
                    if let Some(c) = rewrite.get_mut(at + 16..at + 18) {
                        c.copy_from_slice(&new.to_be_bytes());
                    }
                    packet_bytes = rewrite.as_slice();
                    payload = rewrite.get(at + hdr..at + hdr + stored.len()).unwrap_or(stored);
                } else {
                    payload = stored;
                }
            }
            let extra = PacketExtra {
                stream_events: &tcp_facts.events,
                packet: Some(packet_bytes),
                linktype,
                in_stream: tcp_facts.in_stream,
                ip_header: ip_header_bytes(d),
            };
            if sigs.packet(&mut Out { eve, alerts }, header, &info, payload, Some(&mut *state), flow.app_proto, &extra) {
                flow.alerted = true;
            }
            // Raw stream inspection by the stream rules: inline, every packet with data looks
            // at the stream up to its last byte; IDS, the data waiting is inspected once a
            // chunk of it is there or the stream must be flushed.
            if sigs.needs_stream()
                && let Some(r) = role_raw
            {
                let mut out = Out { eve, alerts };
                if inline {
                    if !d.payload.is_empty()
                        && let Some(end) = tcp_facts.offset.checked_add(d.payload.len() as u64)
                        && let Some(w) = r.window(end, RAW_CHUNK as usize)
                        && sigs.stream(&mut out, header, &info, std::iter::once((end - w.len() as u64 + tcp_facts.raw_base, w)), w, Some(state), flow.app_proto, &extra)
                    {
                        flow.alerted = true;
                    }
                    // What the windows covered is not inspected again at flow end.
                    r.mark_inspected();
                } else if r.pending() > 0 && (r.pending() >= RAW_CHUNK || tcp_facts.flush_raw) {
                    let mut shown = Vec::new();
                    r.render_pending(&mut shown);
                    let base = tcp_facts.raw_base;
                    let chunks = r.pending_chunks_at().map(|(o, c)| (o.saturating_add(base), c));
                    if sigs.stream(&mut out, header, &info, chunks, &shown, Some(state), flow.app_proto, &extra) {
                        flow.alerted = true;
                    }
                    r.consume();
                }
            }
        }
        // A drop or reject rule matched (IPS mode): this packet goes, and the rest of its flow
        // when the rule's action applies to the flow (Suricata's action scope). A pass rule
        // acting on the flow passes it (no more inspection).
        let mut rule_drop = None;
        if let Some(sigs) = layers.sigs.as_mut() {
            if std::mem::take(&mut sigs.passed_flow) && flow.action == FlowAction::None {
                flow.action = FlowAction::Pass;
            }
            if let Some(rd) = sigs.dropped.take() {
                if rd.flow {
                    flow.action = FlowAction::Drop;
                }
                *verdict = if rd.reject { Verdict::Reject } else { Verdict::Drop };
                *drop_reason = Some(if rd.threshold {
                    DropReason::Layer("threshold detection_filter")
                } else {
                    DropReason::Rules
                });
                rule_drop = Some(rd);
            }
        }
        if verdict.is_drop()
            && let Some(reason) = *drop_reason
            && cfg.outputs.enabled("drop")
        {
            let header = Header {
                ts: pkt.ts,
                flow_id: Some(flow.id()),
                pcap_cnt: Some(pkt.pcap_cnt),
                event_type: "drop",
                vlan: d.vlans(),
                endpoints: Some(packet_endpoints(d)),
            };
            let direction = if dir == Direction::ToServer { "to_server" } else { "to_client" };
            match &rule_drop {
                Some(rd) => {
                    let alert = |o: &mut Obj<'_>| {
                        o.obj("alert", |x| {
                            x.str("action", "blocked")
                                .u64("gid", rd.gid.into())
                                .u64("signature_id", rd.sid)
                                .u64("rev", rd.rev.into())
                                .str("signature", &rd.signature)
                                .str("category", &rd.category)
                                .u64("severity", rd.severity.into());
                        });
                    };
                    write_drop(eve, &header, direction, d, reason, Some(&alert));
                }
                None => write_drop(eve, &header, direction, d, reason, None),
            }
        }
        layers.alerts.set_flow::<FlowData>(eve, None);
        let mut ended: Vec<EndedFlow<FlowData>> = Vec::new();
        flows.take_ended(|e| ended.push(e));
        for e in ended {
            self.end_flow(e);
        }
    }

    fn expire(&mut self, now: Timestamp) {
        let mut ended: Vec<EndedFlow<FlowData>> = Vec::new();
        self.flows.expire(now, |e| ended.push(e));
        for e in ended {
            self.end_flow(e);
        }
        self.defrag.expire(now);
        // Persist the baseline every five minutes of wall-clock time (a live run lasts for days;
        // a pcap run writes it at the end, however much traffic time it covers).
        if self.counters.packets.is_multiple_of(65_536) && self.last_checkpoint.elapsed().as_secs() >= 300 {
            if let Err(e) = self.layers.behavior.checkpoint() {
                self.warnings.push(format!("checkpoint of the baseline failed: {e}"));
            }
            self.last_checkpoint = std::time::Instant::now();
        }
        // Hash lists are hot-reloadable: look for changed files every ten seconds or so.
        if self.counters.packets.is_multiple_of(16_384) && self.last_reload.elapsed().as_secs() >= 10 {
            if let Some(w) = self.layers.inspect.reload() {
                self.warnings.push(w);
            }
            self.last_reload = std::time::Instant::now();
        }
    }

    /// Flushes a flow's streams into the protocol layer and the hook, and writes its `flow` record.
    fn end_flow(&mut self, mut e: EndedFlow<FlowData>) {
        let info = flow_info(&e.flow, e.flow.last());
        let Engine { stream, app, layers, hook, eve, cfg, .. } = self;
        layers.alerts.set_flow(eve, Some(&e.flow));
        {
            let raw_on = layers.sigs.as_ref().is_some_and(Signatures::needs_stream);
            let FlowData { tcp: sess, app: app_slot, hook: hook_slot, app_proto, detect: detect_flow, server_name, raw, app_flip } = &mut e.flow.user;
            let mut out = EveApp {
                eve,
                out: &cfg.outputs,
                ts: info.ts,
                pcap_cnt: None,
                swap_allowed: false,
                detected: None,
                layers,
                alerted: false,
                detect_flow: detect_flow.as_mut(),
                server_name,
                drop_flow: None,
            };
            if sess.has_session() {
                let mut sink = Fanout { app, app_slot, hook: hook.as_mut(), hook_slot, info: &info, out: &mut out };
                let mut tap = RawTap { raw, on: raw_on, flip: *app_flip, inner: &mut sink };
                stream.flush(sess, &mut tap);
            }
            if let Some(p) = app.on_flow_end(&app_ctx(&info), app_slot, &mut out) {
                *app_proto = Some(p);
            }
            if let Some(p) = hook.on_flow_end(&info, hook_slot) {
                *app_proto = Some(p);
            }
            // Transaction alerts still waiting for an acknowledging packet are written now.
            out.flush_deferred(&app_ctx(&info));
            out.layers.files.close_flow(info.id);
            out.write_closed_files(&app_ctx(&info));
            out.layers.inspect.end_flow(info.id);
            e.flow.alerted |= out.alerted;
        }
        self.raw_at_flow_end(&mut e);
        self.layers.alerts.set_flow::<FlowData>(&mut self.eve, None);
        self.stream.release(&mut e.flow.user.tcp);
        if self.eve_type_enabled("flow") {
            let vars = match (self.layers.sigs.as_ref(), e.flow.user.detect.as_ref()) {
                (Some(sigs), Some(state)) => sigs.flow_vars(state),
                _ => Vec::new(),
            };
            write_flow_record(&mut self.eve, &e, &vars);
        }
        self.behavior_flow(&e);
    }

    /// Flow end: the stream rules inspect whatever raw stream data is still waiting, in both
    /// directions, as Suricata's flow-timeout pseudo packets do (`pkt_src` "stream (flow
    /// timeout)", the flow's start time).
    fn raw_at_flow_end(&mut self, e: &mut EndedFlow<FlowData>) {
        let Engine { layers, eve, .. } = self;
        let Layers { sigs: Some(sigs), alerts, .. } = layers else { return };
        let f = &mut e.flow;
        if !sigs.needs_stream() || !f.user.tcp.has_session() || (sigs.ips && f.action == FlowAction::Drop) {
            return;
        }
        let reversed = f.user.tcp.is_reversed();
        let app_proto = f.app_proto;
        let established = f.state != FlowState::New;
        let (id, start, vlans) = (f.id(), f.start(), f.vlans().to_vec());
        let (src, dst, sport, dport) = (f.src(), f.dst(), f.sport(), f.dport());
        let mut shown = Vec::new();
        for role in [Direction::ToServer, Direction::ToClient] {
            let FlowData { raw, detect, tcp, .. } = &mut f.user;
            let Some(r) = raw.get_mut(role.index()) else { continue };
            if r.pending() == 0 {
                continue;
            }
            // The role's direction in the flow, and that direction's endpoints.
            let fdir = if reversed { role.reverse() } else { role };
            let (a, b, pa, pb) = if fdir == Direction::ToServer { (src, dst, sport, dport) } else { (dst, src, dport, sport) };
            let header = Header {
                ts: start,
                flow_id: Some(id),
                pcap_cnt: None,
                event_type: "alert",
                vlan: &vlans,
                endpoints: Some(Endpoints { src: a, sport: Some(pa), dst: b, dport: Some(pb), proto: 6 }),
            };
            let mut info = PacketInfo {
                ts: start,
                ip_version: if a.v6 { 6 } else { 4 },
                src: a,
                dst: b,
                sport: pa,
                dport: pb,
                ip_proto: 6,
                ..PacketInfo::default()
            };
            info.flow = Some(flow_facts(fdir, established));
            info.app_proto = app_proto.and_then(rule_proto);
            r.render_pending(&mut shown);
            let state = detect.get_or_insert_with(DetectFlow::new);
            let extra = PacketExtra::default();
            let base = tcp.delivered(role).saturating_sub(r.end());
            let chunks = r.pending_chunks_at().map(|(o, c)| (o.saturating_add(base), c));
            if sigs.stream(&mut Out { eve, alerts }, header, &info, chunks, &shown, Some(state), app_proto, &extra) {
                f.alerted = true;
            }
            r.consume();
        }
    }

    /// Feeds an ended flow to the behaviour layer and writes what it found.
    fn behavior_flow(&mut self, e: &EndedFlow<FlowData>) {
        if !self.cfg.layers.behavior {
            return;
        }
        let f = &e.flow;
        let app_proto = f.user.app_proto.or(f.app_proto);
        if !matches!(f.proto(), 6 | 17) {
            return;
        }
        self.layers.behavior.on_flow(&FlowSummary {
            ts_start: f.start(),
            ts_end: f.last(),
            client: f.src(),
            server: f.dst(),
            sport: f.sport(),
            dport: f.dport(),
            proto: f.proto(),
            app_proto,
            server_name: f.user.server_name.as_deref(),
            bytes_to_server: f.bytes(Direction::ToServer),
            bytes_to_client: f.bytes(Direction::ToClient),
            pkts_to_server: f.pkts(Direction::ToServer),
            pkts_to_client: f.pkts(Direction::ToClient),
            encrypted: app_proto == Some("tls"),
            flow_id: f.id(),
        });
        self.write_behavior_records();
    }

    /// Writes what the behaviour layer found, after handing it the alerts the other layers
    /// raised since the last call (so that incidents group every layer's alerts).
    fn write_behavior_records(&mut self) {
        let alerts_on = self.eve_type_enabled("alert");
        let Engine { layers: Layers { behavior, alerts, .. }, eve, counters, home, .. } = self;
        for r in alerts.raised.drain(..) {
            // This layer's own alerts are in its incident builder already.
            if r.layer == "behavior" {
                continue;
            }
            let Some(layer) = Layer::parse(r.layer) else { continue };
            // The internal host concerned: the sender of outbound traffic, else the receiver.
            let host = if home.contains(r.src) || !home.contains(r.dst) { r.src } else { r.dst };
            behavior.on_layer_alert(&LayerAlert {
                ts: r.ts,
                host,
                layer,
                kind: &r.kind,
                severity: r.severity,
                signature: &r.signature,
            });
        }
        for a in behavior.drain_alerts() {
            counters.behavior_alerts += 1;
            if !alerts_on {
                continue;
            }
            let header = Header {
                ts: a.ts,
                flow_id: (a.flow_id != 0).then_some(a.flow_id),
                pcap_cnt: None,
                event_type: "alert",
                vlan: &[],
                endpoints: Some(Endpoints {
                    src: a.src,
                    sport: Some(a.src_port),
                    dst: a.dest,
                    dport: Some(a.dest_port),
                    proto: a.proto,
                }),
            };
            let fields = AlertFields {
                action: AlertAction::Allowed,
                drop_rule: false,
                gid: 1,
                sid: a.signature_id.into(),
                rev: 1,
                signature: &a.signature,
                category: a.category,
                severity: a.severity,
                layer: "behavior",
                kind: a.behavior.kind.as_str(),
            };
            alerts.emit(eve, &header, None, None, &fields, |o| {
                o.serde("behavior", &a.behavior);
            });
        }
        alerts.raised.clear();
        for i in behavior.drain_incidents() {
            let v = i.to_eve_json();
            eve.record("incident", |b| {
                let _ = serde_json::to_writer(&mut *b, &v);
            });
        }
    }

    fn eve_type_enabled(&self, t: &str) -> bool {
        self.cfg.outputs.enabled(t)
    }

    /// Ends every flow, writes the final records, flushes the output.
    pub fn finish(mut self) -> Result<Summary, EngineError> {
        let mut ended: Vec<EndedFlow<FlowData>> = Vec::new();
        self.flows.drain(|e| ended.push(e));
        for e in ended {
            self.end_flow(e);
        }
        self.layers.behavior.finish()?;
        self.write_behavior_records();
        self.layers.alerts.flush();
        if self.cfg.outputs.stats && self.eve_type_enabled("stats") {
            self.write_stats();
        }
        let events =
            std::mem::replace(&mut self.eve, EveWriter::new(Box::new(std::io::sink()))).finish()?;
        Ok(Summary {
            packets: self.counters.packets,
            bytes: self.counters.bytes,
            flows: self.flows.stats().created,
            decoder_anomalies: self.counters.decoder_anomalies,
            stream_events: self.counters.stream_events,
            reassembled: self.counters.reassembled,
            rules: self.layers.sigs.as_ref().map_or(0, Signatures::len),
            events,
            eve_file: self.eve_file,
        })
    }

    fn write_stats(&mut self) {
        let c = self.counters;
        let ds = &self.decode_stats;
        let fs = *self.flows.stats();
        let ss = self.stream.stats().clone();
        let dfs = self.defrag.stats().clone();
        let aps = *self.app.stats();
        let ts = self.last_ts;
        let (ips, ipsc) = (self.layers.ips, self.ips_counters);
        let file_store = crate::app::FileStoreStats::of(&self.layers.files);
        self.eve.record("stats", |b| {
            let mut o = Obj::new(b);
            Header {
                ts,
                event_type: "stats",
                ..Default::default()
            }
            .write(&mut o);
            o.obj("stats", |s| {
                if ips {
                    ipsc.write(s);
                }
                if let Some(fs) = file_store {
                    fs.write(s);
                }
                s.obj("decoder", |d| {
                    d.u64("pkts", c.packets)
                        .u64("bytes", c.bytes)
                        .u64("invalid", ds.invalid)
                        .u64("ipv4", ds.ipv4)
                        .u64("ipv6", ds.ipv6)
                        .u64("tcp", ds.tcp)
                        .u64("udp", ds.udp)
                        .u64("icmpv4", ds.icmpv4)
                        .u64("icmpv6", ds.icmpv6)
                        .u64("vlan", ds.vlan)
                        .u64("vlan_qinq", ds.vlan_qinq);
                    d.obj("event", |e| {
                        for (a, n) in ds.anomalies_seen() {
                            e.u64(a.name().trim_start_matches("decoder."), n);
                        }
                    });
                });
                s.obj("flow", |f| {
                    f.u64("total", fs.created)
                        .u64("tcp", fs.created_tcp)
                        .u64("udp", fs.created_udp)
                        .u64("icmpv4", fs.created_icmp)
                        .u64("tcp_reuse", fs.tcp_reuse)
                        .u64("emerg_mode_entered", fs.emergency_entered)
                        .u64("memcap", fs.memcap_drops);
                    f.obj("end", |e| {
                        e.u64("timeout", fs.ended_timeout)
                            .u64("shutdown", fs.ended_shutdown)
                            .u64("forced", fs.ended_forced);
                    });
                });
                s.obj("tcp", |t| {
                    t.u64("sessions", ss.sessions)
                        .u64("invalid_checksum", c.invalid_checksum)
                        .u64("segment_memcap_drop", ss.memcap_drops)
                        .u64("reassembly_gap", ss.gaps)
                        .u64("overlap", ss.overlaps)
                        .u64("overlap_diff_data", ss.overlaps_different_data)
                        .u64("urgent_oob_data", ss.urgent_oob);
                });
                s.obj("app_layer", |a| {
                    a.u64("flows", aps.flows)
                        .u64("detected_http", aps.detected_http)
                        .u64("detected_dns", aps.detected_dns)
                        .u64("detect_failed", aps.detect_failed)
                        .u64("stream_bytes", aps.stream_bytes)
                        .u64("udp_datagrams", aps.udp_datagrams)
                        .u64("parsed_bytes", aps.parsed_bytes)
                        .u64("dropped_bytes", aps.dropped_bytes)
                        .u64("gaps", aps.gaps)
                        .u64("parse_errors", aps.parse_errors)
                        .u64("events", aps.events)
                        .u64("tx", aps.txs);
                    // Suricata's per-protocol counters: flows detected as each protocol...
                    a.obj("flow", |f| {
                        f.u64("http", aps.detected_http)
                            .u64("tls", aps.detected_tls)
                            .u64("smtp", aps.detected_smtp)
                            .u64("smb", aps.detected_smb);
                    });
                    // ...and transactions its parsers created. A TLS session's single
                    // transaction exists from the state's creation, so Suricata never counts
                    // one for TLS (its `app_layer.tx.tls` stays 0).
                    a.obj("tx", |t| {
                        t.u64("http", aps.http.txs).u64("tls", 0);
                    });
                    a.obj("http", |h| {
                        h.u64("requests", aps.http.requests)
                            .u64("responses", aps.http.responses)
                            .u64("unmatched_responses", aps.http.unmatched_responses)
                            .u64("decompress_errors", aps.http.decompress_errors);
                    });
                    a.obj("dns", |d| {
                        d.u64("requests", aps.dns.requests)
                            .u64("responses", aps.dns.responses)
                            .u64("malformed", aps.dns.malformed)
                            .u64("unsolicited", aps.dns.unsolicited);
                    });
                });
                s.obj("defrag", |f| {
                    f.obj("ipv4", |v| {
                        v.u64("fragments", dfs.ipv4_fragments)
                            .u64("reassembled", dfs.ipv4_reassembled);
                    });
                    f.obj("ipv6", |v| {
                        v.u64("fragments", dfs.ipv6_fragments)
                            .u64("reassembled", dfs.ipv6_reassembled);
                    });
                    f.u64("max_frag_hits", dfs.dropped_too_many_frags)
                        .u64("overlaps", dfs.overlaps)
                        .u64("timeouts", dfs.timeouts)
                        .u64("memcap", dfs.dropped_memcap)
                        .u64("dropped", c.defrag_dropped);
                });
            });
            o.end();
        });
    }
}

/// The endpoints of a decoded IP packet as its EVE records name them (ports only for TCP/UDP).
/// The IP header of `d` with its options or extension headers (the `ipv4.hdr` / `ipv6.hdr`
/// buffers).
fn ip_header_bytes<'a>(d: &Decoded<'a>) -> Option<&'a [u8]> {
    let len = match d.ip? {
        sekimori_decode::Ip::V4(h) => usize::from(h.header_len),
        sekimori_decode::Ip::V6(h) => usize::from(h.header_len),
    };
    let start = usize::from(d.l3_offset);
    d.data.get(start..start.checked_add(len)?)
}

fn packet_endpoints(d: &Decoded<'_>) -> Endpoints {
    let (sp, dp) = d.ports();
    let has_ports = matches!(d.l4, L4::Tcp(_) | L4::Udp(_));
    Endpoints {
        src: d.src,
        sport: has_ports.then_some(sp),
        dst: d.dst,
        dport: has_ports.then_some(dp),
        proto: d.ip_proto().unwrap_or(0),
    }
}

/// `$HOME_NET` for the behaviour layer.
fn home_net(cfg: &Config) -> Result<HomeNet, ConfigError> {
    HomeNet::parse(&cfg.vars.home_net.join(",")).map_err(|e| ConfigError::Value {
        key: "vars.home_net".into(),
        value: cfg.vars.home_net.join(","),
        reason: e.to_string(),
    })
}

/// Suricata moves the flow state with the TCP state: established while the connection is open
/// or half-closed, closed once it is in LAST_ACK, TIME_WAIT or CLOSED.
fn flow_state_for(tcp: TcpState, current: FlowState) -> FlowState {
    match tcp {
        TcpState::Established
        | TcpState::FinWait1
        | TcpState::FinWait2
        | TcpState::Closing
        | TcpState::CloseWait => FlowState::Established,
        TcpState::LastAck | TcpState::TimeWait | TcpState::Closed => FlowState::Closed,
        _ => current,
    }
}

fn flow_info(f: &Flow<FlowData>, ts: Timestamp) -> FlowInfo {
    let mut vlan = [0u16; 3];
    let vl = f.vlans();
    let n = vl.len().min(3);
    vlan[..n].copy_from_slice(&vl[..n]);
    FlowInfo {
        id: f.id(),
        src: f.src(),
        dst: f.dst(),
        sport: f.sport(),
        dport: f.dport(),
        proto: f.proto(),
        vlan,
        vlan_count: n as u8,
        ts,
    }
}

fn write_flow_record(eve: &mut EveWriter, e: &EndedFlow<FlowData>, vars: &[u8]) {
    let f = &e.flow;
    // Suricata prints the response type/code only once the other side answered.
    let icmp = f.icmp().map(|i| IcmpTypes {
        icmp_type: i.icmp_type,
        icmp_code: i.icmp_code,
        response: (f.pkts(Direction::ToClient) > 0).then_some((i.response_type, i.response_code)),
    });
    let tcp = (f.proto() == 6).then(|| {
        let s = &f.user.tcp;
        TcpSummary {
            flags_ts: f.tcp_flags(Direction::ToServer),
            flags_tc: f.tcp_flags(Direction::ToClient),
            state: s.has_session().then(|| s.state_name()),
            ts_gap: s.had_gap(Direction::ToServer),
            tc_gap: s.had_gap(Direction::ToClient),
            ts_max_regions: s.has_session().then(|| u32::try_from(s.max_regions(Direction::ToServer)).unwrap_or(u32::MAX)),
            tc_max_regions: s.has_session().then(|| u32::try_from(s.max_regions(Direction::ToClient)).unwrap_or(u32::MAX)),
        }
    });
    let endpoints = crate::alerts::flow_endpoints(f);
    let community_id = eve.community_id_of(&endpoints);
    let rec = FlowRecord {
        flow_id: f.id(),
        vlan: f.vlans(),
        endpoints,
        icmp,
        app_proto: f.user.app_proto.or(f.app_proto),
        pkts_toserver: f.pkts(Direction::ToServer),
        pkts_toclient: f.pkts(Direction::ToClient),
        bytes_toserver: f.bytes(Direction::ToServer),
        bytes_toclient: f.bytes(Direction::ToClient),
        start: f.start(),
        end: f.last(),
        state: f.state.as_str(),
        reason: e.reason.as_str(),
        alerted: f.alerted,
        action: f.action.as_str(),
        vars,
        community_id: community_id.as_deref(),
        tcp,
    };
    eve.record("flow", |b| write_flow(b, &rec));
}
