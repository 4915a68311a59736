//! The signature layer in the pipeline: rules loaded from `-S` files are compiled once; every
//! packet is inspected with its payload, and every completed HTTP, DNS and TLS transaction with
//! its sticky buffers; each match becomes an EVE `alert` with `layer: "signature"`.

use sekimori_app::{AppTx, FlowCtx, HttpTx, TlsTx, TxStage};
use sekimori_capture::Timestamp;
use sekimori_detect::{
    Alert, Buffers, DeferredAlert, DetectEngine, FileFacts, FlowFacts, FlowState, PacketInfo,
    RuleId, Scope, Scratch,
};
use sekimori_files::TrackedFile;
use sekimori_eve::dns::write_alert_dns_fields;
use sekimori_eve::http::{HttpLogOptions, write_http_fields};
use sekimori_eve::tls::{TlsLogOptions, write_tls_fields};
use sekimori_eve::{EveWriter, Header, Obj};
use sekimori_flow::Direction;
use sekimori_rules::{
    Action, AppProto as RuleProto, Buffer, Classifications, Vars, load_files,
    parse_threshold_config,
};
use std::path::{Path, PathBuf};
use crate::alerts::{AlertAction, AlertFields, AlertOut};
use crate::config::DetectSection;

/// Where signature alerts are written: the EVE writer and the alert fan-out (fast.log,
/// incidents).
pub(crate) struct Out<'a> {
    pub eve: &'a mut EveWriter,
    pub alerts: &'a mut AlertOut,
}

/// The compiled rules and the per-worker matching memory.
pub(crate) struct Signatures {
    engine: DetectEngine,
    classes: Classifications,
    scratch: Scratch,
    /// Storage of the buffers built from a transaction (header lists).
    text: Vec<u8>,
    /// Alerts raised.
    pub alerts: u64,
    /// IPS mode: drop and reject rules block.
    pub ips: bool,
    /// The drop/reject rule that matched since the engine last took it (IPS mode only).
    pub dropped: Option<RuleDrop>,
    /// A pass rule acting on the flow matched since the engine last took it: the flow is
    /// passed (not inspected any more; its `flow` record says `action: pass`).
    pub passed_flow: bool,
    /// Which evidence fields (payload, packet) alerts carry.
    pub evidence_out: EvidenceOut,
    needs_stream: bool,
    /// `filestore` rules that matched since the caller last took them.
    pub filestore_requests: Vec<FilestoreRequest>,
    /// Some rule has `filestore`.
    has_filestore: bool,
    /// Matching memory of [`Signatures::stores_at_open`], apart from the real one so that the
    /// look-ahead leaves no trace (thresholds, xbits).
    probe: Scratch,
}

/// What a packet inspection knows besides the payload: the stream engine's events on the
/// packet and the captured packet itself (for the alert's `packet` field).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PacketExtra<'a> {
    pub stream_events: &'a [&'static str],
    pub packet: Option<&'a [u8]>,
    pub linktype: u32,
    /// The payload went into the TCP stream: the stream rules inspect it there.
    pub in_stream: bool,
    /// The IP header with its options / extension headers (`ipv4.hdr`, `ipv6.hdr`).
    pub ip_header: Option<&'a [u8]>,
}

/// A drop or reject rule that matched in IPS mode: the packet (and its flow) is dropped, and
/// the `drop` record carries the rule's `alert` object.
#[derive(Clone, Debug)]
pub(crate) struct RuleDrop {
    pub reject: bool,
    /// The drop applies to the flow (later packets are dropped unseen), not just this packet:
    /// see [`sekimori_detect::ActionScope`].
    pub flow: bool,
    /// A threshold.config `rate_filter` made the rule drop (Suricata's drop reason
    /// `threshold detection_filter`).
    pub threshold: bool,
    pub gid: u32,
    pub sid: u64,
    pub rev: u32,
    pub signature: String,
    pub category: String,
    pub severity: u8,
}

/// A `filestore` rule matched: what it asks to store (see [`Signatures::filestore_requests`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilestoreRequest {
    /// The transaction the match was on.
    pub tx_id: u64,
    /// The direction of the match.
    pub dir: Direction,
    /// The match was on one file (file keywords), which the default scope stores.
    pub on_file: bool,
    /// `filestore` direction as written (`request`, `to_server`, `response`, `to_client`,
    /// `both`), when given.
    pub direction: Option<String>,
    /// `filestore` scope as written (`file`, `tx`, `ssn`, `flow`), when given.
    pub scope: Option<String>,
}

/// What loading the rule files gave.
pub(crate) struct Loaded {
    pub sigs: Signatures,
    pub warnings: Vec<String>,
}

impl Signatures {
    /// Loads and compiles `files` with `$HOME_NET` set; classtypes are checked against a
    /// `classification.config` (or `*.classification.config`) beside the first file, if any.
    pub(crate) fn load(files: &[PathBuf], home_net: &[String], side: &DetectSection) -> Loaded {
        let mut vars = Vars::suricata_defaults();
        vars.set_address("HOME_NET", &format!("[{}]", home_net.join(",")));
        let classes = side
            .classification_file
            .clone()
            .or_else(|| files.first().and_then(|f| classification_beside(f)))
            .and_then(|p| Classifications::load(&p).ok())
            .map(|(c, _)| c)
            .unwrap_or_else(|| Classifications::parse(SURICATA_CLASSIFICATIONS).0);
        let set = load_files(files, &vars, &classes);
        let mut warnings = Vec::new();
        if !set.errors.is_empty() {
            warnings.push(format!(
                "{} rule(s) failed to load and are not used; `sekimori rules check FILE` lists why",
                set.errors.len()
            ));
        }
        let mut engine = DetectEngine::new(&set);
        // `detect.threshold_file` (Suricata's `threshold-file`), else a `threshold.config` beside
        // the first rule file.
        if let Some(path) = side
            .threshold_file
            .clone()
            .or_else(|| files.first().and_then(|f| file_beside(f, "threshold.config")))
        {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let (entries, errors) = parse_threshold_config(&text, &vars);
                    engine.apply_threshold_config(&entries);
                    if !errors.is_empty() {
                        warnings.push(format!(
                            "{}: {} line(s) not understood",
                            path.display(),
                            errors.len()
                        ));
                    }
                }
                Err(e) => warnings.push(format!("{}: {e}", path.display())),
            }
        }
        if !engine.skipped().is_empty() {
            warnings.push(format!(
                "{} rule(s) use keywords the matcher does not support yet and are not used",
                engine.skipped().len()
            ));
        }
        Loaded {
            sigs: Signatures {
                classes,
                scratch: Scratch::new(),
                text: Vec::new(),
                alerts: 0,
                ips: false,
                dropped: None,
                passed_flow: false,
                evidence_out: EvidenceOut::default(),
                needs_stream: engine.needs_stream(),
                filestore_requests: Vec::new(),
                has_filestore: (0..engine.len() as RuleId).any(|id| engine.meta(id).is_some_and(|m| m.filestore)),
                probe: Scratch::new(),
                engine,
            },
            warnings,
        }
    }

    /// Whether a `filestore` rule matches file `f` as it opens, on what is known then (its name,
    /// `filename`/`fileext`), as Suricata matches such rules at open. Such a file is then kept
    /// whole rather than cut at the HTTP body limit (Suricata lifts the limit for it). Nothing
    /// is written and no flow state changes; the rule alerts when the file is inspected.
    pub(crate) fn stores_at_open(&mut self, flow: &FlowCtx<'_>, f: &sekimori_app::FileOpen<'_>) -> bool {
        if !self.has_filestore {
            return false;
        }
        let mut info = tx_info(flow.src, flow.dst, flow.sport, flow.dport, flow.proto, flow.ts);
        info.app_proto = rule_proto(f.proto.name());
        info.flow = Some(flow_facts(f.dir, true));
        let mut bufs = Buffers::new(Scope::Transaction);
        bufs.add(Buffer::FileName, f.name);
        bufs.file = Some(FileFacts { name: f.name, magic: None, size: 0, md5: None, sha1: None, sha256: None });
        let alerts = self.engine.inspect(&info, &bufs, None, &mut self.probe);
        alerts.iter().any(|a| self.engine.meta(a.rule).is_some_and(|m| m.filestore))
    }

    /// Number of rules in use.
    pub(crate) fn len(&self) -> usize {
        self.engine.len()
    }

    /// Writes `alerts` (skipping `noalert` and pass rules) with `header`; `app` is the app-layer
    /// object of the transaction, written under the app protocol's name.
    fn write(
        &mut self,
        out: &mut Out<'_>,
        header: Header<'_>,
        alerts: &[Alert],
        cx: &AlertCx<'_>,
    ) -> bool {
        let AlertCx {
            tx_id,
            app_proto,
            app,
            dir,
            ip_proto,
            evidence,
            files,
            extra,
        } = *cx;
        let ev_out = self.evidence_out;
        let mut any = false;
        for a in alerts {
            let Some(meta) = self.engine.meta(a.rule) else {
                continue;
            };
            // Pass rules do not alert; nor do config rules (their `config:` was applied).
            if matches!(a.action, Action::Pass | Action::Config) {
                continue;
            }
            let category = meta
                .classtype
                .as_deref()
                .and_then(|c| self.classes.get(c).map(|x| x.description.clone()))
                .unwrap_or_default();
            let drop_rule = matches!(
                a.action,
                Action::Drop | Action::Reject | Action::RejectSrc | Action::RejectDst | Action::RejectBoth
            );
            // As Suricata: `blocked` only when the engine really drops (IPS mode).
            let blocked = drop_rule && self.ips;
            let fields = AlertFields {
                action: if blocked { AlertAction::Blocked } else { AlertAction::Allowed },
                drop_rule,
                gid: meta.gid,
                sid: meta.sid.into(),
                rev: meta.rev,
                signature: &meta.msg,
                category: &category,
                severity: meta.priority,
                layer: "signature",
                kind: "",
            };
            if blocked && self.dropped.is_none() {
                self.dropped = Some(RuleDrop {
                    reject: a.action != Action::Drop,
                    flow: meta.action_scope.applies_to_flow(ip_proto),
                    threshold: a.rate_filtered,
                    gid: meta.gid,
                    sid: meta.sid.into(),
                    rev: meta.rev,
                    signature: meta.msg.to_string(),
                    category: category.clone(),
                    severity: meta.priority,
                });
            }
            if a.noalert {
                continue;
            }
            any = true;
            self.alerts += 1;
            let pkt_src = if header.pcap_cnt.is_some() { "wire/pcap" } else { "stream (flow timeout)" };
            let alert_flow = out.alerts.flow;
            out.alerts.emit(out.eve, &header, Some(pkt_src), tx_id, &fields, |o| {
                if let (Some(p), Some(obj)) = (app_proto, app) {
                    o.raw(p, obj);
                }
                for (k, obj) in extra {
                    o.raw(k, obj);
                }
                if let Some(f) = files {
                    o.raw("files", f);
                }
                if let Some(p) = app_proto {
                    o.str("app_proto", p);
                }
                if let Some(d) = dir {
                    o.str("direction", if d == Direction::ToServer { "to_server" } else { "to_client" });
                }
                if let Some(f) = alert_flow.as_ref() {
                    sekimori_eve::write_alert_flow(o, f);
                }
                if let Some(ev) = evidence.as_ref().filter(|_| ev_out.any()) {
                    write_evidence(o, ev_out, ev);
                }
            });
        }
        any
    }

    /// Inspects one packet's payload, and reports the transaction alerts that were waiting for
    /// this packet (see [`DeferredAlert`]); `extra` brings the stream engine's events on the
    /// packet (`stream-event`), whether its data went into the stream, and the captured packet
    /// for the alert's evidence fields. Returns true when an alert was written.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn packet(
        &mut self,
        out: &mut Out<'_>,
        header: Header<'_>,
        info: &PacketInfo,
        payload: &[u8],
        mut flow: Option<&mut FlowState>,
        app_proto: Option<&str>,
        extra: &PacketExtra<'_>,
    ) -> bool {
        let mut any = false;
        if let Some(fs) = flow.as_deref_mut()
            && fs.first_ts.is_none()
        {
            fs.first_ts = Some(info.ts);
        }
        if flow.is_some() {
            self.refresh_vars(out.eve, flow.as_deref());
        }
        if let (Some(fs), Some(ff)) = (flow.as_deref_mut(), info.flow)
            && !fs.deferred.is_empty()
        {
            let mut ready = Vec::new();
            fs.deferred.retain_mut(|d| {
                if d.dir != ff.direction {
                    d.acked = true;
                    true
                } else if d.acked {
                    ready.push(d.clone());
                    false
                } else {
                    true
                }
            });
            any |= self.write_deferred(out, header, &ready);
        }
        if flow.as_deref().is_some_and(|fs| fs.passed) {
            return any;
        }
        let mut bufs = Buffers::packet(payload);
        bufs.stream_events.extend_from_slice(extra.stream_events);
        bufs.in_stream = extra.in_stream;
        if let Some(h) = extra.ip_header {
            match info.ip_version {
                4 => bufs.add(Buffer::Ipv4Hdr, h),
                6 => bufs.add(Buffer::Ipv6Hdr, h),
                _ => &mut bufs,
            };
        }
        let alerts = self
            .engine
            .inspect(info, &bufs, flow.as_deref_mut(), &mut self.scratch)
            .to_vec();
        let evidence = Evidence { payload, stream: false, packet: extra.packet, linktype: extra.linktype };
        any | self.write_packet_alerts(out, header, info, &alerts, flow, app_proto, evidence)
    }

    /// Writes the alerts of a packet or stream inspection: flow variables and pass first, then
    /// the alerts with the data they matched as evidence.
    #[allow(clippy::too_many_arguments)]
    fn write_packet_alerts(
        &mut self,
        out: &mut Out<'_>,
        header: Header<'_>,
        info: &PacketInfo,
        alerts: &[Alert],
        flow: Option<&mut FlowState>,
        app_proto: Option<&str>,
        evidence: Evidence<'_>,
    ) -> bool {
        self.refresh_vars(out.eve, flow.as_deref());
        self.note_pass(alerts, info.ip_proto, flow);
        let cx = AlertCx {
            tx_id: None,
            app_proto,
            app: None,
            dir: info.flow.map(|f| f.direction),
            ip_proto: info.ip_proto,
            evidence: Some(evidence),
            files: None,
            extra: &[],
        };
        self.write(out, header, alerts, &cx)
    }

    /// Whether any rule inspects raw stream data (`tcp-stream`, `flow:only_stream`): only
    /// then is reassembled data kept for [`Signatures::stream`].
    pub(crate) fn needs_stream(&self) -> bool {
        self.needs_stream
    }

    /// Inspects reassembled stream data with the rules that need the stream (Suricata's raw
    /// stream inspection): `chunks` are the contiguous pieces (holes split them) with their
    /// stream offsets (absolute `offset`/`depth` count from the stream's start), each rule
    /// alerts once; `shown` is the alert's payload (the data with its holes marked).
    /// Returns true when an alert was written.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn stream<'c>(
        &mut self,
        out: &mut Out<'_>,
        header: Header<'_>,
        info: &PacketInfo,
        chunks: impl Iterator<Item = (u64, &'c [u8])>,
        shown: &[u8],
        mut flow: Option<&mut FlowState>,
        app_proto: Option<&str>,
        extra: &PacketExtra<'_>,
    ) -> bool {
        if flow.as_deref().is_some_and(|fs| fs.passed) {
            return false;
        }
        let mut alerts: Vec<Alert> = Vec::new();
        for (off, c) in chunks {
            let mut bufs = Buffers::new(Scope::Packet);
            bufs.stream = Some(c);
            bufs.stream_offset = off;
            bufs.stream_only = true;
            let got = self
                .engine
                .inspect(info, &bufs, flow.as_deref_mut(), &mut self.scratch);
            for a in got {
                if !alerts.iter().any(|b| b.rule == a.rule) {
                    alerts.push(*a);
                }
            }
        }
        if alerts.is_empty() {
            return false;
        }
        alerts.sort_by_key(|a| a.rule);
        let evidence = Evidence { payload: shown, stream: true, packet: extra.packet, linktype: extra.linktype };
        self.write_packet_alerts(out, header, info, &alerts, flow, app_proto, evidence)
    }

    /// Suricata 7's conditional logging: a matching rule with `config: logging disable, type
    /// tx` switches off the records of transaction `tx_id` (`scope tx`) or of every
    /// transaction of the flow from now on (`scope flow`).
    fn apply_config(&self, alerts: &[Alert], tx_id: u64, flow: Option<&mut FlowState>) {
        let Some(fs) = flow else { return };
        for a in alerts {
            match self.engine.meta(a.rule).and_then(|m| m.config) {
                Some(c) if c.scope == sekimori_rules::ConfigScope::Flow => fs.log_disabled = true,
                Some(_) if !fs.tx_log_disabled.contains(&tx_id) => fs.tx_log_disabled.push(tx_id),
                _ => {}
            }
        }
    }

    /// The flow's variables as EVE members (`traffic`, `metadata`), empty when no flowbit is set.
    pub(crate) fn flow_vars(&self, state: &FlowState) -> Vec<u8> {
        let mut out = Vec::new();
        sekimori_eve::flow_vars_members(&mut out, self.engine.flowbits_set(state));
        out
    }

    /// Tells the EVE writer the flow's variables as they are after an inspection, for the
    /// records written next (alerts included).
    fn refresh_vars(&self, eve: &mut EveWriter, state: Option<&FlowState>) {
        match state {
            Some(fs) => eve.set_flow_vars(&self.flow_vars(fs)),
            None => eve.set_flow_vars(&[]),
        }
    }

    /// A pass rule acting on the flow among `alerts` passes the flow: no more inspection.
    fn note_pass(&mut self, alerts: &[Alert], ip_proto: u8, flow: Option<&mut FlowState>) {
        let pass = alerts.iter().any(|a| {
            a.action == Action::Pass
                && self
                    .engine
                    .meta(a.rule)
                    .is_some_and(|m| m.action_scope.applies_to_flow(ip_proto))
        });
        if pass {
            self.passed_flow = true;
            if let Some(fs) = flow {
                fs.passed = true;
            }
        }
    }

    fn write_deferred(
        &mut self,
        out: &mut Out<'_>,
        header: Header<'_>,
        ready: &[DeferredAlert],
    ) -> bool {
        let mut any = false;
        for d in ready {
            let cx = AlertCx {
                tx_id: Some(d.tx_id),
                app_proto: Some(d.app_proto),
                app: d.app_object.as_deref(),
                dir: Some(d.dir),
                ip_proto: 6,
                evidence: None,
                files: d.files.as_deref(),
                extra: &d.extra_objects,
            };
            any |= self.write(out, header, &[d.alert], &cx);
        }
        any
    }

    /// Writes every alert still waiting in `flow` with `header` (the flow ends).
    pub(crate) fn flush_deferred(
        &mut self,
        out: &mut Out<'_>,
        mut header: Header<'_>,
        flow: Option<&mut FlowState>,
    ) -> bool {
        let Some(fs) = flow else { return false };
        if let Some(t) = fs.first_ts {
            header.ts = t;
        }
        let ready = std::mem::take(&mut fs.deferred);
        self.write_deferred(out, header, &ready)
    }

    /// Inspects a finished file with the file keywords (`filename`, `fileext`, `filemagic`,
    /// `filesize`, `filemd5`/`filesha1`/`filesha256`, and the `file.name` buffer); alerts are
    /// written now with `header`, on the file's transaction and direction. Returns whether an
    /// alert was written and the sids of the matching `filestore` rules (`fileinfo.sid`).
    /// `app` is the transaction's app-layer object for the alert; `files` gives the alert's
    /// `files` array, told the sids of the `filestore` rules that matched (the file is being
    /// stored when there are any).
    /// `filestore` matches with a transaction or flow scope are queued in
    /// [`Signatures::filestore_requests`]. With `defer` (and a flow state) the alerts wait in
    /// the flow's state like transaction alerts (see [`DeferredAlert`]) instead of being
    /// written now.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn inspect_file(
        &mut self,
        out: &mut Out<'_>,
        header: Header<'_>,
        flow: &FlowCtx<'_>,
        file: &TrackedFile,
        data: Option<&[u8]>,
        mut state: Option<&mut FlowState>,
        app: Option<&[u8]>,
        files: &dyn Fn(&[u32]) -> Option<Vec<u8>>,
        defer: bool,
    ) -> (bool, Vec<u32>) {
        if state.as_deref().is_some_and(|s| s.passed) {
            return (false, Vec::new());
        }
        let proto = file.proto.name();
        let mut info = tx_info(flow.src, flow.dst, flow.sport, flow.dport, flow.proto, flow.ts);
        info.app_proto = rule_proto(proto);
        info.flow = Some(flow_facts(file.dir, true));
        let mut bufs = Buffers::new(Scope::Transaction);
        bufs.add(Buffer::FileName, &file.name);
        if let Some(d) = data {
            bufs.add(Buffer::FileData, d);
        }
        bufs.file = Some(FileFacts {
            name: &file.name,
            magic: file.magic.as_deref(),
            size: file.size,
            md5: file.md5.as_ref().map(|d| &d[..]),
            sha1: file.sha1.as_ref().map(|d| &d[..]),
            sha256: file.sha256.as_ref().map(|d| &d[..]),
        });
        let alerts: Vec<Alert> = self
            .engine
            .inspect(&info, &bufs, state.as_deref_mut(), &mut self.scratch)
            .to_vec();
        self.refresh_vars(out.eve, state.as_deref());
        self.note_pass(&alerts, flow.proto, state.as_deref_mut());
        let sids: Vec<u32> = alerts
            .iter()
            .filter_map(|a| self.engine.meta(a.rule).filter(|m| m.filestore).map(|m| m.sid))
            .collect();
        self.queue_filestore(&alerts, file.tx_id, file.dir, true);
        let files = files(&sids);
        if defer && let Some(s) = state.as_mut() {
            s.deferred.extend(alerts.iter().map(|&alert| DeferredAlert {
                alert,
                dir: file.dir,
                acked: false,
                tx_id: file.tx_id,
                app_proto: proto,
                app_object: app.map(<[u8]>::to_vec),
                extra_objects: Vec::new(),
                files: files.clone(),
            }));
            return (false, sids);
        }
        let cx = AlertCx {
            tx_id: Some(file.tx_id),
            app_proto: Some(proto),
            app,
            dir: Some(file.dir),
            ip_proto: flow.proto,
            evidence: None,
            files: files.as_deref(),
            extra: &[],
        };
        (self.write(out, header, &alerts, &cx), sids)
    }

    /// Queues the `filestore` requests of the `filestore` rules among `alerts` (matched on
    /// transaction `tx_id` in direction `dir`; `on_file`: the match was on one file).
    fn queue_filestore(&mut self, alerts: &[Alert], tx_id: u64, dir: Direction, on_file: bool) {
        for a in alerts {
            let Some(m) = self.engine.meta(a.rule).filter(|m| m.filestore) else {
                continue;
            };
            self.filestore_requests.push(FilestoreRequest {
                tx_id,
                dir,
                on_file,
                direction: m.filestore_opts.0.clone(),
                scope: m.filestore_opts.1.clone(),
            });
        }
    }

    /// Inspects a transaction with its sticky buffers, as Suricata does per side: HTTP's
    /// request side when the request is complete (`RequestComplete`, or at `Complete` if that
    /// stage was not seen), its response side at `Complete` (with the request buffers too, for
    /// rules that use both), TLS's client and server sides and DNS requests at `Complete`.
    /// A rule alerts once per transaction. With `immediate` (UDP, flow end) the alerts are
    /// written now with `header`; otherwise they wait in the flow's state for the packet
    /// Suricata reports them on (see [`DeferredAlert`]). Returns true when an alert was written.
    /// `files` gives the alert's `files` array for a direction (the transaction's files that
    /// way), when it has any.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn inspect_tx(
        &mut self,
        out: &mut Out<'_>,
        mut header: Header<'_>,
        flow: &FlowCtx<'_>,
        ts: Timestamp,
        tx: &AppTx<'_>,
        stage: TxStage,
        immediate: bool,
        mut state: Option<&mut FlowState>,
        files: &dyn Fn(Direction) -> Option<Vec<u8>>,
    ) -> bool {
        let (tx_id, proto) = match tx {
            AppTx::Http(h) => (h.tx_id, "http"),
            AppTx::Dns(d) if d.is_request() || d.is_response() => (d.tx_id, "dns"),
            AppTx::Tls(t) => (t.tx_id, "tls"),
            AppTx::Smb(m) => (m.tx_id, "smb"),
            AppTx::Quic(q) => (q.tx_id, "quic"),
            _ => return false,
        };
        if state.is_some() {
            self.refresh_vars(out.eve, state.as_deref());
        }
        if state.as_deref().is_some_and(|s| s.passed) {
            return false;
        }
        // Alerts waiting for their packet show the transaction as it is when they are written
        // (Suricata logs the transaction at output time): refresh their object at every stage.
        if let Some(s) = state.as_deref_mut()
            && s.deferred.iter().any(|d| d.tx_id == tx_id && d.app_proto == proto)
        {
            let obj = app_json(tx);
            for d in s.deferred.iter_mut().filter(|d| d.tx_id == tx_id && d.app_proto == proto) {
                d.app_object = Some(obj.clone());
            }
        }
        let request_done = state
            .as_deref()
            .is_some_and(|s| s.tx_request_done.contains(&tx_id));
        let passes: &[Direction] = match (tx, stage) {
            (AppTx::Http(_), TxStage::RequestComplete) if !request_done => &[Direction::ToServer],
            (AppTx::Http(_), TxStage::Complete) if request_done => &[Direction::ToClient],
            (AppTx::Http(_) | AppTx::Tls(_), TxStage::Complete) => {
                &[Direction::ToServer, Direction::ToClient]
            }
            (AppTx::Dns(d), TxStage::Complete) if d.is_response() => &[Direction::ToClient],
            (AppTx::Dns(_), TxStage::Complete) => &[Direction::ToServer],
            // `smb.share` / `smb.named_pipe` are request-side buffers.
            (AppTx::Smb(_), TxStage::Complete) => &[Direction::ToServer],
            // A QUIC hello is inspected on the side that sent it.
            (AppTx::Quic(q), TxStage::Complete) if q.dir == Some(Direction::ToClient) => {
                &[Direction::ToClient]
            }
            (AppTx::Quic(_), TxStage::Complete) => &[Direction::ToServer],
            _ => return false,
        };
        if header.pcap_cnt.is_none()
            && let Some(t) = state.as_deref().and_then(|s| s.first_ts)
        {
            header.ts = t;
        }
        let mut text = std::mem::take(&mut self.text);
        let mut info = tx_info(flow.src, flow.dst, flow.sport, flow.dport, flow.proto, ts);
        info.app_proto = rule_proto(proto);
        let mut any = false;
        let mut local_fired: Vec<(u64, u32)> = Vec::new();
        let mut app_object: Option<Vec<u8>> = None;
        let dns_events: Vec<String> = match tx {
            AppTx::Dns(d) => d.events().map(|e| format!("dns.{}", e.name())).collect(),
            _ => Vec::new(),
        };
        for &dir in passes {
            let mut bufs = Buffers::new(Scope::Transaction);
            match tx {
                AppTx::Http(h) => http_buffers(h, dir, &mut text, &mut bufs),
                AppTx::Dns(d) => {
                    // Over UDP the datagram that created the transaction is the packet.
                    if !d.raw.is_empty() {
                        bufs.packet = Some(&d.raw);
                    }
                    bufs.dns_opcode = Some(d.message.header.opcode());
                    bufs.app_events.extend(dns_events.iter().map(String::as_str));
                    // `dns.query` is the request's (as Suricata 7).
                    if d.is_request() {
                        for q in (0..).map_while(|i| d.message.query_name(i)) {
                            bufs.add(Buffer::DnsQuery, q);
                        }
                    }
                }
                AppTx::Tls(t) => tls_buffers(t, dir, &mut bufs),
                AppTx::Smb(m) => smb_buffers(m, &mut bufs),
                AppTx::Quic(q) => quic_buffers(q, &mut bufs),
                _ => {}
            }
            if bufs.sticky().is_empty()
                && bufs.app_events.is_empty()
                && bufs.tls_version.is_none()
                && bufs.dns_opcode.is_none()
                && bufs.stream.is_none()
            {
                continue;
            }
            info.flow = Some(flow_facts(dir, true));
            let alerts: Vec<Alert> = self
                .engine
                .inspect(&info, &bufs, state.as_deref_mut(), &mut self.scratch)
                .to_vec();
            self.refresh_vars(out.eve, state.as_deref());
            self.note_pass(&alerts, flow.proto, state.as_deref_mut());
            self.apply_config(&alerts, tx_id, state.as_deref_mut());
            let fired = match state.as_deref_mut() {
                Some(s) => &mut s.tx_fired,
                None => &mut local_fired,
            };
            let alerts: Vec<Alert> = alerts
                .into_iter()
                .filter(|a| !fired.contains(&(tx_id, a.rule)))
                .collect();
            fired.extend(alerts.iter().map(|a| (tx_id, a.rule)));
            if alerts.is_empty() {
                continue;
            }
            self.queue_filestore(&alerts, tx_id, dir, false);
            let obj = app_object.get_or_insert_with(|| app_json(tx)).clone();
            let tx_files = files(dir);
            if immediate || state.is_none() {
                let cx = AlertCx {
                    tx_id: Some(tx_id),
                    app_proto: Some(proto),
                    app: Some(&obj),
                    dir: Some(dir),
                    ip_proto: flow.proto,
                    evidence: None,
                    files: tx_files.as_deref(),
                    extra: &[],
                };
                // Reported on the packet that completed this side: oriented as that packet.
                let mut h = header;
                if dir == Direction::ToClient
                    && let Some(ep) = h.endpoints.as_mut()
                {
                    std::mem::swap(&mut ep.src, &mut ep.dst);
                    std::mem::swap(&mut ep.sport, &mut ep.dport);
                }
                any |= self.write(out, h, &alerts, &cx);
            } else if let Some(s) = state.as_deref_mut() {
                s.deferred
                    .extend(alerts.into_iter().map(|alert| DeferredAlert {
                        alert,
                        dir,
                        acked: false,
                        tx_id,
                        app_proto: proto,
                        app_object: Some(obj.clone()),
                        extra_objects: Vec::new(),
                        files: tx_files.clone(),
                    }));
            }
        }
        if let Some(s) = state {
            if stage == TxStage::Complete {
                // Alerts still waiting are reported with the transaction as it is then.
                if s.deferred
                    .iter()
                    .any(|d| d.tx_id == tx_id && d.app_proto == proto)
                {
                    let obj = app_object.unwrap_or_else(|| app_json(tx));
                    for d in s
                        .deferred
                        .iter_mut()
                        .filter(|d| d.tx_id == tx_id && d.app_proto == proto)
                    {
                        d.app_object = Some(obj.clone());
                    }
                }
                s.tx_fired.retain(|(t, _)| *t != tx_id);
                s.tx_request_done.retain(|t| *t != tx_id);
            } else {
                s.tx_request_done.push(tx_id);
            }
        }
        text.clear();
        self.text = text;
        any
    }
}

/// What an alert record carries besides the rule: the transaction, its app protocol and
/// object, and the direction of the packet it is reported on.
#[derive(Clone, Copy)]
struct AlertCx<'x> {
    tx_id: Option<u64>,
    app_proto: Option<&'x str>,
    app: Option<&'x [u8]>,
    dir: Option<Direction>,
    /// IP protocol of the packet or flow (decides whether a payload rule's drop takes the flow).
    ip_proto: u8,
    /// The data the alert is about, for the payload/packet fields.
    evidence: Option<Evidence<'x>>,
    /// The alert's `files` array (JSON), when it is about a transaction with files.
    files: Option<&'x [u8]>,
    /// More app-layer objects after the main one (SMTP's `email`).
    extra: &'x [(&'static str, Vec<u8>)],
}

/// What an alert record shows of the data it matched: Suricata's alert `payload`,
/// `payload_printable` and `stream` (the packet payload, or the stream data for a match on
/// the reassembled stream) and `packet`/`packet_info` (the packet as captured).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Evidence<'a> {
    pub payload: &'a [u8],
    pub stream: bool,
    pub packet: Option<&'a [u8]>,
    pub linktype: u32,
}

/// Which evidence fields alerts carry (`outputs.eve-log.types.alert.payload`,
/// `payload-printable`, `packet`, `payload-buffer-size`). All off by default, as Suricata.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EvidenceOut {
    pub payload: bool,
    pub printable: bool,
    pub packet: bool,
    /// Largest payload shown (bytes).
    pub max: usize,
}

impl EvidenceOut {
    fn any(self) -> bool {
        self.payload || self.printable || self.packet
    }
}


fn write_evidence(o: &mut Obj<'_>, cfg: EvidenceOut, ev: &Evidence<'_>) {
    let payload = ev.payload.get(..cfg.max.max(1)).unwrap_or(ev.payload);
    let mut text = String::new();
    if cfg.payload {
        text.clear();
        sekimori_eve::format::push_base64(&mut text, payload);
        o.str("payload", &text);
    }
    if cfg.printable {
        sekimori_stream::raw::printable(payload, &mut text);
        o.str("payload_printable", &text);
    }
    if cfg.payload || cfg.printable {
        o.u64("stream", u64::from(ev.stream));
    }
    if cfg.packet
        && let Some(p) = ev.packet
    {
        text.clear();
        sekimori_eve::format::push_base64(&mut text, p);
        o.str("packet", &text);
        o.obj("packet_info", |x| {
            x.u64("linktype", ev.linktype.into());
        });
    }
}

/// The JSON object Suricata embeds in an alert on this transaction.
fn app_json(tx: &AppTx<'_>) -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut o = Obj::new(&mut buf);
        match tx {
            AppTx::Http(h) => write_http_fields(&mut o, h, &HttpLogOptions::default()),
            AppTx::Tls(t) => write_tls_fields(&mut o, t, &TlsLogOptions::default()),
            AppTx::Dns(d) => write_alert_dns_fields(&mut o, d),
            AppTx::Smb(m) => sekimori_eve::smb::write_smb_fields(&mut o, m),
            AppTx::Quic(q) => sekimori_eve::quic::write_quic_fields(&mut o, q),
            _ => {}
        }
        o.end();
    }
    buf
}

/// Ranges of `text` holding the built buffers of one HTTP side.
struct Built {
    header: std::ops::Range<usize>,
    names: std::ops::Range<usize>,
    per_header: Vec<std::ops::Range<usize>>,
}

/// Appends Suricata's `http.header` (`Name: value\r\n` per header), `http.header_names`
/// (`\r\n` + `Name\r\n` per header + `\r\n`) and the per-header `Name: value` strings of
/// one side's headers to `text`.
fn build_headers(headers: &sekimori_app::http::Headers, text: &mut Vec<u8>) -> Built {
    let h0 = text.len();
    for (n, v) in headers.iter() {
        text.extend_from_slice(n);
        text.extend_from_slice(b": ");
        text.extend_from_slice(v);
        text.extend_from_slice(b"\r\n");
    }
    let header = h0..text.len();
    let n0 = text.len();
    text.extend_from_slice(b"\r\n");
    for (n, _) in headers.iter() {
        text.extend_from_slice(n);
        text.extend_from_slice(b"\r\n");
    }
    text.extend_from_slice(b"\r\n");
    let names = n0..text.len();
    let mut per_header = Vec::new();
    for (n, v) in headers.iter() {
        let p0 = text.len();
        text.extend_from_slice(n);
        text.extend_from_slice(b": ");
        text.extend_from_slice(v);
        per_header.push(p0..text.len());
    }
    Built {
        header,
        names,
        per_header,
    }
}

/// The head without its first line (the request or status line).
fn after_first_line(head: &[u8]) -> &[u8] {
    match head.iter().position(|&b| b == b'\n') {
        Some(i) => head.get(i + 1..).unwrap_or(&[]),
        None => &[],
    }
}

/// The sticky buffers of one side of an HTTP transaction (the response side also carries the
/// request's). `text` must be empty; it holds the built buffers.
fn http_buffers<'a>(h: &'a HttpTx, dir: Direction, text: &'a mut Vec<u8>, bufs: &mut Buffers<'a>) {
    text.clear();
    let req = build_headers(h.request_headers(), text);
    let res = (dir == Direction::ToClient).then(|| build_headers(h.response_headers(), text));
    let text: &'a [u8] = text;
    let slice = |r: &std::ops::Range<usize>| text.get(r.clone()).unwrap_or(&[]);
    let mut stream: Option<&'a [u8]> = None;
    let mut add = |b: Buffer, v: Option<&'a [u8]>| {
        if let Some(v) = v {
            bufs.add(b, v);
        }
    };
    // Request side.
    add(Buffer::HttpUri, h.uri_normalized());
    add(Buffer::HttpUriRaw, h.uri_raw());
    add(Buffer::HttpMethod, h.method());
    add(Buffer::HttpHost, h.host());
    add(Buffer::HttpHostRaw, h.request_header(b"host"));
    add(Buffer::HttpUserAgent, h.user_agent());
    add(Buffer::HttpRequestLine, h.request_line());
    add(Buffer::HttpReferer, h.referer());
    add(Buffer::HttpAccept, h.request_header(b"accept"));
    add(Buffer::HttpAcceptEnc, h.request_header(b"accept-encoding"));
    add(Buffer::HttpAcceptLang, h.request_header(b"accept-language"));
    add(Buffer::HttpConnection, h.request_header(b"connection"));
    if h.request_seen() {
        let head = h.request_head_raw();
        if dir == Direction::ToServer {
            // Payload rules of an `http` rule inspect the stream: the request head stands for
            // the raw request data here.
            stream = Some(head);
            add(Buffer::HttpProtocol, h.protocol());
            add(Buffer::HttpStart, Some(head));
            add(Buffer::HttpHeader, Some(slice(&req.header)));
            add(Buffer::HttpHeaderRaw, Some(after_first_line(head)));
            add(Buffer::HttpHeaderNames, Some(slice(&req.names)));
            add(Buffer::HttpCookie, h.request_header(b"cookie"));
            add(Buffer::HttpContentType, h.request_header(b"content-type"));
            add(Buffer::HttpContentLen, h.request_header(b"content-length"));
            for r in &req.per_header {
                add(Buffer::HttpRequestHeader, Some(slice(r)));
            }
            if !h.request_body().is_empty() {
                add(Buffer::HttpRequestBody, Some(h.request_body()));
                add(Buffer::FileData, Some(h.request_body()));
            }
        } else if !h.request_body().is_empty() {
            add(Buffer::HttpRequestBody, Some(h.request_body()));
        }
    }
    // Response side.
    if let Some(res) = res.as_ref().filter(|_| h.response_seen()) {
        let head = h.response_head_raw();
        stream = Some(head);
        add(Buffer::HttpStatCode, h.status_raw());
        add(Buffer::HttpStatMsg, h.status_msg());
        add(Buffer::HttpResponseLine, h.response_line());
        add(Buffer::HttpProtocol, h.response_protocol());
        add(Buffer::HttpStart, Some(head));
        add(Buffer::HttpHeader, Some(slice(&res.header)));
        add(Buffer::HttpHeaderRaw, Some(after_first_line(head)));
        add(Buffer::HttpHeaderNames, Some(slice(&res.names)));
        add(Buffer::HttpCookie, h.response_header(b"set-cookie"));
        add(Buffer::HttpContentType, h.content_type());
        add(Buffer::HttpContentLen, h.response_header(b"content-length"));
        add(Buffer::HttpServer, h.response_header(b"server"));
        add(Buffer::HttpLocation, h.location());
        for r in &res.per_header {
            add(Buffer::HttpResponseHeader, Some(slice(r)));
        }
        if !h.response_body().is_empty() {
            add(Buffer::FileData, Some(h.response_body()));
        }
    }
    bufs.stream = stream;
}

/// The sticky buffers of one side of a TLS handshake (the server side also carries the
/// client's).
fn tls_buffers<'a>(t: &'a TlsTx, dir: Direction, bufs: &mut Buffers<'a>) {
    bufs.tls_version = Some(if dir == Direction::ToClient {
        t.version
    } else {
        t.client_version
    })
    .filter(|v| *v != 0);
    let mut add = |b: Buffer, v: Option<&'a [u8]>| {
        if let Some(v) = v {
            bufs.add(b, v);
        }
    };
    add(Buffer::TlsSni, t.sni());
    // `tls.random*` and `tls.certs`: this side's hello random and certificate chain.
    let random = if dir == Direction::ToClient {
        t.server_hello.as_ref().map(|h| h.random.as_slice())
    } else {
        t.client_hello.as_ref().map(|h| h.random.as_slice())
    };
    if let Some(r) = random.filter(|r| r.len() == 32) {
        add(Buffer::TlsRandom, Some(r));
        add(Buffer::TlsRandomTime, r.get(..4));
        add(Buffer::TlsRandomBytes, r.get(4..));
    }
    let chain = if dir == Direction::ToClient {
        &t.server_chain
    } else {
        &t.client_chain
    };
    for c in chain {
        add(Buffer::TlsCerts, Some(c.as_slice()));
    }
    add(Buffer::Ja3Hash, t.ja3_hash.as_deref().map(str::as_bytes));
    add(Buffer::Ja3String, t.ja3.as_deref().map(str::as_bytes));
    if dir == Direction::ToClient {
        add(Buffer::Ja3sHash, t.ja3s_hash.as_deref().map(str::as_bytes));
        add(Buffer::Ja3sString, t.ja3s.as_deref().map(str::as_bytes));
        if let Some(c) = &t.server_cert {
            add(Buffer::TlsCertSubject, Some(c.subject.as_bytes()));
            add(Buffer::TlsCertIssuer, Some(c.issuer.as_bytes()));
            add(Buffer::TlsCertSerial, Some(c.serial.as_bytes()));
            add(Buffer::TlsCertFingerprint, Some(c.fingerprint.as_bytes()));
        }
    } else if let Some(c) = &t.client_cert {
        add(Buffer::TlsCertSubject, Some(c.subject.as_bytes()));
        add(Buffer::TlsCertIssuer, Some(c.issuer.as_bytes()));
        add(Buffer::TlsCertSerial, Some(c.serial.as_bytes()));
        add(Buffer::TlsCertFingerprint, Some(c.fingerprint.as_bytes()));
    }
}

/// The `ja3.*` / `ja3s.*` buffers of a QUIC hello.
fn quic_buffers<'a>(q: &'a sekimori_app::QuicTx, bufs: &mut Buffers<'a>) {
    for (b, v) in [
        (Buffer::Ja3Hash, &q.ja3_hash),
        (Buffer::Ja3String, &q.ja3),
        (Buffer::Ja3sHash, &q.ja3s_hash),
        (Buffer::Ja3sString, &q.ja3s),
    ] {
        if let Some(v) = v {
            bufs.add(b, v.as_bytes());
        }
    }
}

/// The SMB buffers of a TREE_CONNECT transaction: `smb.share` for a disk or print share,
/// `smb.named_pipe` for a pipe (share type 2), as Suricata splits them.
fn smb_buffers<'a>(m: &'a sekimori_app::SmbTx, bufs: &mut Buffers<'a>) {
    const TREE_CONNECT: u16 = 3;
    if m.command != TREE_CONNECT || m.share.is_empty() {
        return;
    }
    if m.share_type == Some(2) {
        bufs.add(Buffer::SmbNamedPipe, &m.share);
    } else {
        bufs.add(Buffer::SmbShare, &m.share);
    }
}

/// Flow facts for the matcher.
pub(crate) fn flow_facts(dir: Direction, established: bool) -> FlowFacts {
    FlowFacts {
        direction: dir,
        established,
    }
}

/// The rule language's name for an app protocol.
pub(crate) fn rule_proto(name: &str) -> Option<RuleProto> {
    RuleProto::parse(name)
}

/// A timestamp-only packet view for transaction inspection.
pub(crate) fn tx_info(
    src: sekimori_decode::Addr,
    dst: sekimori_decode::Addr,
    sport: u16,
    dport: u16,
    proto: u8,
    ts: Timestamp,
) -> PacketInfo {
    PacketInfo {
        ts,
        ip_version: if src.v6 { 6 } else { 4 },
        src,
        dst,
        sport,
        dport,
        ip_proto: proto,
        ttl: 0,
        tos: 0,
        ip_id: 0,
        fragment: false,
        tcp: None,
        icmp: None,
        flow: Some(flow_facts(Direction::ToServer, true)),
        app_proto: None,
        anomalies: Default::default(),
        stream_size: None,
    }
}

/// A file named `name` in the directory of a rule file, if it exists.
fn file_beside(rules: &Path, name: &str) -> Option<PathBuf> {
    let dir = rules
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let p = dir.join(name);
    p.is_file().then_some(p)
}

/// A `classification.config` (or `*.classification.config`) beside a rule file, if any.
pub fn classification_beside(rules: &Path) -> Option<PathBuf> {
    let dir = rules
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n == "classification.config" || n.ends_with(".classification.config")
            })
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// The classtypes of Suricata's default `classification.config` (name, description, priority),
/// used when no classification file is found beside the rules.
const SURICATA_CLASSIFICATIONS: &str = "\
config classification: not-suspicious,Not Suspicious Traffic,3
config classification: unknown,Unknown Traffic,3
config classification: bad-unknown,Potentially Bad Traffic,2
config classification: attempted-recon,Attempted Information Leak,2
config classification: successful-recon-limited,Information Leak,2
config classification: successful-recon-largescale,Large Scale Information Leak,2
config classification: attempted-dos,Attempted Denial of Service,2
config classification: successful-dos,Denial of Service,2
config classification: attempted-user,Attempted User Privilege Gain,1
config classification: unsuccessful-user,Unsuccessful User Privilege Gain,1
config classification: successful-user,Successful User Privilege Gain,1
config classification: attempted-admin,Attempted Administrator Privilege Gain,1
config classification: successful-admin,Successful Administrator Privilege Gain,1
config classification: rpc-portmap-decode,Decode of an RPC Query,2
config classification: shellcode-detect,Executable code was detected,1
config classification: string-detect,A suspicious string was detected,3
config classification: suspicious-filename-detect,A suspicious filename was detected,2
config classification: suspicious-login,An attempted login using a suspicious username was detected,2
config classification: system-call-detect,A system call was detected,2
config classification: tcp-connection,A TCP connection was detected,4
config classification: trojan-activity,A Network Trojan was detected,1
config classification: unusual-client-port-connection,A client was using an unusual port,2
config classification: network-scan,Detection of a Network Scan,3
config classification: denial-of-service,Detection of a Denial of Service Attack,2
config classification: non-standard-protocol,Detection of a non-standard protocol or event,2
config classification: protocol-command-decode,Generic Protocol Command Decode,3
config classification: web-application-activity,access to a potentially vulnerable web application,2
config classification: web-application-attack,Web Application Attack,1
config classification: misc-activity,Misc activity,3
config classification: misc-attack,Misc Attack,2
config classification: icmp-event,Generic ICMP event,3
config classification: inappropriate-content,Inappropriate Content was Detected,1
config classification: policy-violation,Potential Corporate Privacy Violation,1
config classification: default-login-attempt,Attempt to login by a default username and password,2
config classification: targeted-activity,Targeted Malicious Activity was Detected,1
config classification: exploit-kit,Exploit Kit Activity Detected,1
config classification: external-ip-check,Device Retrieving External IP Address Detected,2
config classification: domain-c2,Domain Observed Used for C2 Detected,1
config classification: pup-activity,Possibly Unwanted Program Detected,2
config classification: credential-theft,Successful Credential Theft Detected,1
config classification: social-engineering,Possible Social Engineering Attempted,2
config classification: coin-mining,Crypto Currency Mining Activity Detected,2
config classification: command-and-control,Malware Command and Control Activity Detected,1
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_classifications_parse_like_suricatas_file() {
        let (c, errors) = Classifications::parse(SURICATA_CLASSIFICATIONS);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.len(), 43);
        let t = c.get("trojan-activity").expect("trojan-activity");
        assert_eq!(
            (t.description.as_str(), t.priority),
            ("A Network Trojan was detected", 1)
        );
        let p = c
            .get("protocol-command-decode")
            .expect("protocol-command-decode");
        assert_eq!(
            (p.description.as_str(), p.priority),
            ("Generic Protocol Command Decode", 3)
        );
        assert!(c.get("no-such-class").is_none());
    }

    #[test]
    fn header_block_without_its_first_line() {
        assert_eq!(
            after_first_line(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            b"Host: a\r\n\r\n"
        );
        assert_eq!(after_first_line(b"GET / HTTP/1.1"), b"");
        assert_eq!(after_first_line(b""), b"");
        assert_eq!(after_first_line(b"\n"), b"");
    }

    /// Loads `rules` (IPS mode) from a temporary file.
    fn sigs_of(rules: &str, tag: &str) -> Signatures {
        let dir = std::env::temp_dir()
            .join(format!("sekimori-sigs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("t.rules");
        std::fs::write(&f, rules).expect("write");
        let mut l = Signatures::load(&[f], &["10.0.0.0/8".to_string()], &DetectSection::default());
        std::fs::remove_dir_all(&dir).expect("cleanup");
        l.sigs.ips = true;
        l.sigs
    }

    /// Inspects one to-server TCP (6) or UDP (17) packet of a flow; returns the sids alerted.
    fn run(sigs: &mut Signatures, ip_proto: u8, payload: &[u8], fs: &mut FlowState) -> usize {
        let mut eve = EveWriter::new(Box::new(std::io::sink()));
        let mut alerts = AlertOut::new();
        let info = PacketInfo {
            ip_version: 4,
            src: sekimori_decode::Addr::v4([10, 0, 0, 1]),
            dst: sekimori_decode::Addr::v4([192, 0, 2, 1]),
            sport: 40000,
            dport: 80,
            ip_proto,
            flow: Some(flow_facts(Direction::ToServer, true)),
            ..PacketInfo::default()
        };
        let header = Header {
            ts: Timestamp(0),
            flow_id: Some(1),
            pcap_cnt: Some(1),
            event_type: "alert",
            vlan: &[],
            endpoints: None,
        };
        let before = sigs.alerts;
        sigs.packet(&mut Out { eve: &mut eve, alerts: &mut alerts }, header, &info, payload, Some(fs), None, &PacketExtra::default());
        (sigs.alerts - before) as usize
    }

    #[test]
    fn drops_apply_to_the_packet_or_the_flow_as_suricata() {
        let mut sigs = sigs_of(
            "drop ip any any -> any any (flow:stateless; dsize:9; sid:1;)\n\
             drop tcp any any -> any any (content:\"flow\"; sid:2;)\n\
             drop udp any any -> any any (content:\"udp\"; sid:3;)\n\
             drop tcp any any -> any any (content:\"quiet\"; noalert; sid:4;)\n",
            "drop",
        );
        let mut fs = FlowState::new();
        assert_eq!(run(&mut sigs, 6, b"pkt-pkt-p", &mut fs), 1);
        let d = sigs.dropped.take().expect("drop");
        assert_eq!((d.sid, d.flow, d.threshold), (1, false, false));
        assert_eq!(run(&mut sigs, 6, b"flow", &mut fs), 1);
        let d = sigs.dropped.take().expect("drop");
        assert_eq!((d.sid, d.flow), (2, true));
        assert_eq!(run(&mut sigs, 17, b"udp", &mut fs), 1);
        assert!(!sigs.dropped.take().expect("drop").flow);
        // noalert: no alert, but the drop happens
        assert_eq!(run(&mut sigs, 6, b"quiet", &mut fs), 0);
        assert_eq!(sigs.dropped.take().map(|d| d.sid), Some(4));
        assert_eq!(run(&mut sigs, 6, b"nothing", &mut fs), 0);
        assert!(sigs.dropped.is_none());
    }

    #[test]
    fn a_flow_pass_stops_inspection() {
        let mut sigs = sigs_of(
            "pass tcp 10.0.0.0/8 any -> any 80 (sid:1;)\n\
             drop ip any any -> any any (flow:stateless; sid:2;)\n",
            "pass",
        );
        let mut fs = FlowState::new();
        assert_eq!(run(&mut sigs, 6, b"a", &mut fs), 0);
        assert!(std::mem::take(&mut sigs.passed_flow));
        assert!(fs.passed && sigs.dropped.is_none());
        // later packets of the flow are not inspected
        assert_eq!(run(&mut sigs, 6, b"b", &mut fs), 0);
        assert!(!sigs.passed_flow && sigs.dropped.is_none());
        // another flow (UDP: the pass rule does not apply) is dropped packet by packet
        let mut other = FlowState::new();
        assert_eq!(run(&mut sigs, 17, b"c", &mut other), 1);
        assert!(!sigs.dropped.take().expect("drop").flow);
        assert!(!other.passed);
    }

    #[test]
    fn threshold_file_is_found_beside_the_rules() {
        let dir = std::env::temp_dir().join(format!("sekimori-detect-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let rules = dir.join("x.rules");
        std::fs::write(&rules, "").expect("write");
        assert!(file_beside(&rules, "threshold.config").is_none());
        std::fs::write(dir.join("threshold.config"), "").expect("write");
        assert_eq!(
            file_beside(&rules, "threshold.config"),
            Some(dir.join("threshold.config"))
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
