//! The per-packet pipeline and the end-of-run flush.

use crate::config::{Config, ConfigError};
use crate::app::{EveApp, Fanout, Layers, ctx as app_ctx};
use crate::detect::{Out, Signatures, flow_facts, rule_proto};
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
use sekimori_stream::{StreamEngine, TcpSession, TcpState};
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
    stop_after: Stage,
}

impl Engine {
    /// Builds the pipeline and creates `log_dir/eve.json`.
    pub fn new(opts: EngineOptions) -> Result<Engine, EngineError> {
        let cfg = opts.config;
        cfg.validate()?;
        let eve_file = cfg.outputs.eve_filename.clone();
        let eve = EveWriter::create(&opts.log_dir.join(&eve_file))?;
        let fast = cfg.outputs.fast_log.then(|| opts.log_dir.join(&cfg.outputs.fast_filename));
        let mut engine = Self::with_writer(cfg, eve, eve_file)?;
        engine.layers.ips = opts.simulate_ips;
        if let Some(path) = fast {
            engine.layers.alerts = AlertOut::with_fast_log(&path).map_err(|e| EngineError::Output { path, source: e })?;
        }
        if !opts.rule_files.is_empty() {
            let mut loaded = Signatures::load(&opts.rule_files, &engine.cfg.vars.home_net, &engine.cfg.detect);
            engine.warnings.extend(loaded.warnings);
            loaded.sigs.ips = opts.simulate_ips;
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
        // In IPS mode a dropped flow's later packets are dropped unseen, as Suricata does.
        let flow_dropped = layers.ips && flow.action == FlowAction::Drop;
        if flow_dropped {
            *verdict = Verdict::Drop;
            *drop_reason = Some(DropReason::FlowDrop);
        }
        // A layer's policy (DLP `block_at`) that decided to drop the flow, with its name.
        let mut layer_drop = None;
        match d.l4 {
            _ if !full || flow_dropped => {}
            L4::Tcp(tcp) if checksum_ok && !hit.icmp_error => {
                let info = flow_info(flow, pkt.ts);
                let FlowData { tcp: sess, app: app_slot, hook: hook_slot, detect: detect_flow, server_name, .. } = &mut flow.user;
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
                let res = stream.process(sess, dir, pkt.ts, &tcp, d.payload, &mut sink);
                let detected = out.detected;
                flow.alerted |= out.alerted;
                layer_drop = out.drop_flow;
                flow.state = flow_state_for(res.state, flow.state);
                if let Some((proto, swap)) = detected {
                    flow.app_proto = Some(proto.name());
                    if swap {
                        // Detection found the client on the other side: log the flow as it is.
                        flow.swap();
                        flow.user.tcp.reverse_roles();
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
            L4::Udp(_) if checksum_ok && !hit.icmp_error => {
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
        if full
            && !hit.icmp_error
            && !flow_dropped
            && let Layers { sigs: Some(sigs), alerts, .. } = &mut *layers
        {
            let mut info = PacketInfo::from_decoded(d, pkt.ts);
            info.flow = Some(flow_facts(dir, flow.state != FlowState::New));
            info.app_proto = flow.app_proto.and_then(rule_proto);
            let header = Header {
                ts: pkt.ts,
                flow_id: Some(flow.id()),
                pcap_cnt: Some(pkt.pcap_cnt),
                event_type: "alert",
                vlan: d.vlans(),
                endpoints: Some(packet_endpoints(d)),
            };
            let state = flow.user.detect.get_or_insert_with(DetectFlow::new);
            if sigs.packet(&mut Out { eve, alerts }, header, &info, d.payload, Some(state), flow.app_proto) {
                flow.alerted = true;
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
        {
            let FlowData { tcp: sess, app: app_slot, hook: hook_slot, app_proto, detect: detect_flow, server_name } = &mut e.flow.user;
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
                stream.flush(sess, &mut sink);
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
            stream.release(sess);
        }
        if self.eve_type_enabled("flow") {
            write_flow_record(&mut self.eve, &e);
        }
        self.behavior_flow(&e);
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
                        .u64("overlap_diff_data", ss.overlaps_different_data);
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

fn write_flow_record(eve: &mut EveWriter, e: &EndedFlow<FlowData>) {
    let f = &e.flow;
    let has_ports = matches!(f.proto(), 6 | 17 | 132 | 136);
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
            ts_max_regions: None,
            tc_max_regions: None,
        }
    });
    let rec = FlowRecord {
        flow_id: f.id(),
        vlan: f.vlans(),
        endpoints: Endpoints {
            src: f.src(),
            sport: has_ports.then_some(f.sport()),
            dst: f.dst(),
            dport: has_ports.then_some(f.dport()),
            proto: f.proto(),
        },
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
        tcp,
    };
    eve.record("flow", |b| write_flow(b, &rec));
}
