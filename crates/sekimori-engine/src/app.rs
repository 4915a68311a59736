//! Wiring of the protocol layer: reassembled streams and UDP payloads go to `sekimori-app`
//! (and to an optional external [`AppHook`]); completed transactions and app-layer events come
//! back and are written as EVE `http`, `dns` and `anomaly` records.

use crate::config::OutputsSection;
use crate::detect::{Out, Signatures};
use crate::alerts::{AlertAction, AlertFields, AlertOut};
use crate::dlp::DlpLayer;
use crate::inspect::InspectLayer;
use sekimori_app::smtp::MimeInfo;
use sekimori_behavior::{Behavior, DnsAnswer, FileRead};
use sekimori_decode::Addr;
use sekimori_app::dns::message::RData;
use sekimori_files::TrackedFile;
use sekimori_detect::FlowState;
use sekimori_eve::fileinfo::{FileInfo, FileInfoRecord, write_fileinfo, write_fileinfo_fields};
use sekimori_files::FileTracker;
use crate::hook::{AppHook, AppSlot, FlowInfo};
use sekimori_app::{
    AppEvent, AppLayer, AppProto, AppSink, AppTx, FileClose, FileId, FileKind, FileOpen, FileSink, FlowCtx,
    TxStage,
};
use sekimori_capture::Timestamp;
use sekimori_eve::dns::{DnsRecordOut, records_of, write_dns};
use sekimori_eve::http::{HttpLogOptions, HttpRecord, write_http};
use sekimori_eve::smtp::{SmtpLogOptions, SmtpRecord, write_smtp};
use sekimori_eve::smb::{SmbRecord, write_smb};
use sekimori_eve::tls::{TlsLogOptions, TlsRecord, should_log, write_tls};
use sekimori_eve::{AnomalyRecord, Endpoints, EveWriter, Header, Obj, write_anomaly};
use sekimori_flow::Direction;
use sekimori_stream::StreamSink;

/// The defence layers one worker runs, kept together so that whoever produces their input
/// (a packet, a flow's end) hands them over as one.
pub(crate) struct Layers {
    /// The DLP layer, which scans outbound bodies.
    pub dlp: DlpLayer,
    /// File tracking: magic, hashes, filestore, `fileinfo` records.
    pub files: FileTracker,
    /// The signature layer, when rules are loaded.
    pub sigs: Option<Signatures>,
    /// Every layer's alerts go out through here (EVE, fast.log, incidents).
    pub alerts: AlertOut,
    /// The behaviour layer: names from DNS, file reads from internal servers, flows.
    pub behavior: Behavior,
    /// Mail checks and download inspection.
    pub inspect: InspectLayer,
    /// IPS mode (`--simulate-ips` or inline): layers may drop the flow.
    pub ips: bool,
}

/// Receives the protocol layer's output for one packet (or one flow end) and writes EVE.
pub(crate) struct EveApp<'a> {
    pub eve: &'a mut EveWriter,
    pub out: &'a OutputsSection,
    /// Time of the packet being processed (or of the flow's end).
    pub ts: Timestamp,
    /// The packet's number; None for records written at flow end.
    pub pcap_cnt: Option<u64>,
    /// Whether a reversed detection may swap the flow (midstream TCP, UDP).
    pub swap_allowed: bool,
    /// What detection found during this call: the protocol and whether to swap the flow.
    pub detected: Option<(AppProto, bool)>,
    /// The defence layers that judge what the protocols produce.
    pub layers: &'a mut Layers,
    /// Alerts written during this call (the flow is marked alerted).
    pub alerted: bool,
    /// The flow's signature state (flowbits).
    pub detect_flow: Option<&'a mut FlowState>,
    /// The flow's server name (HTTP Host, TLS SNI) for the behaviour layer.
    pub server_name: &'a mut Option<Box<str>>,
    /// Set when a layer decided to drop the rest of the flow (IPS mode only), with the reason.
    pub drop_flow: Option<&'static str>,
}

impl EveApp<'_> {
    fn enabled(&self, t: &str) -> bool {
        self.out.enabled(t)
    }

    fn pkt_src(&self) -> &'static str {
        if self.pcap_cnt.is_some() { "wire/pcap" } else { "stream (flow timeout)" }
    }

    /// The record header for `flow`, oriented as the flow will be logged (after a swap that
    /// detection asked for in this same call).
    fn header<'f>(&self, flow: &FlowCtx<'f>, event_type: &'f str) -> Header<'f> {
        let swap = self.detected.is_some_and(|(_, s)| s);
        let (src, sport, dst, dport) = if swap {
            (flow.dst, flow.dport, flow.src, flow.sport)
        } else {
            (flow.src, flow.sport, flow.dst, flow.dport)
        };
        Header {
            ts: self.ts,
            flow_id: Some(flow.id),
            pcap_cnt: self.pcap_cnt,
            event_type,
            vlan: flow.vlan,
            endpoints: Some(Endpoints { src, sport: Some(sport), dst, dport: Some(dport), proto: flow.proto }),
        }
    }
}

impl EveApp<'_> {
    /// A record header for a file: oriented as the packets that carried it (a download goes
    /// from the server to the client).
    fn file_header<'f>(&self, flow: &FlowCtx<'f>, t: &TrackedFile, event_type: &'f str) -> Header<'f> {
        let mut header = self.header(flow, event_type);
        if t.dir == Direction::ToClient
            && let Some(ep) = header.endpoints.as_mut()
        {
            std::mem::swap(&mut ep.src, &mut ep.dst);
            std::mem::swap(&mut ep.sport, &mut ep.dport);
        }
        header
    }

    /// Hands every file the tracker finished to the layers that judge files, and writes its
    /// `fileinfo` record.
    pub(crate) fn write_closed_files(&mut self, flow: &FlowCtx<'_>) {
        let log = self.enabled("fileinfo");
        while let Some(t) = self.layers.files.pop_closed() {
            self.file_read(flow, &t);
            let sids = self.inspect_file(flow, &t);
            let yara = self.judge_file(flow, &t);
            if !log {
                continue;
            }
            let header = self.file_header(flow, &t, "fileinfo");
            let (md5, sha1, sha256) = (t.md5, t.sha1, t.sha256);
            let rec = FileInfoRecord {
                header,
                pkt_src: Some(self.pkt_src()),
                metadata: None,
                app_proto: Some(t.proto.name()),
                file: FileInfo {
                    filename: &t.name,
                    sids: &sids,
                    magic: t.magic.as_deref(),
                    gaps: t.gaps,
                    state: t.state.as_str(),
                    md5: md5.as_ref().map(|h| &h[..]),
                    sha1: sha1.as_ref().map(|h| &h[..]),
                    sha256: sha256.as_ref().map(|h| &h[..]),
                    stored: t.stored.is_some(),
                    file_id: t.stored.as_ref().map(|_| t.seq),
                    size: t.size,
                    range: None,
                    tx_id: t.tx_id,
                },
            };
            if yara.is_empty() {
                self.eve.record("fileinfo", |b| write_fileinfo(b, &rec, |_| {}));
            } else {
                // `fileinfo.yara`: the rules that matched the file (or an entry of it).
                let pkt_src = self.pkt_src();
                self.eve.record("fileinfo", |b| {
                    let mut o = Obj::new(b);
                    rec.header.write(&mut o);
                    o.str("pkt_src", pkt_src).str("app_proto", t.proto.name());
                    o.obj("fileinfo", |f| {
                        write_fileinfo_fields(f, &rec.file);
                        f.serde("yara", &yara);
                    });
                    o.end();
                });
            }
        }
    }

    /// The inspection layer's verdict on a finished file: a `file` alert when the download is
    /// suspect. Returns the YARA rules that matched, for the `fileinfo` record.
    fn judge_file(&mut self, flow: &FlowCtx<'_>, t: &TrackedFile) -> Vec<String> {
        let host = self.server_name.as_deref().map(str::to_owned);
        let first_seen = match host.as_deref() {
            Some(h) => !self.layers.behavior.is_learning() && !self.layers.behavior.seen_destination(h),
            None => false,
        };
        let Some(closed) = self.layers.inspect.close(t, host.as_deref(), first_seen) else { return Vec::new() };
        let yara = closed.report.yara.clone();
        let Some(v) = closed.verdict else { return yara };
        if !self.enabled("alert") {
            return yara;
        }
        self.alerted = true;
        let header = self.file_header(flow, t, "alert");
        let kind = v.reason.first().map_or("file", |r| r.as_str());
        let fields = AlertFields::builtin(v.signature_id, &v.signature, v.severity, "file", kind);
        let proto = t.proto.name();
        self.layers.alerts.emit(self.eve, &header, Some(self.pkt_src()), Some(t.tx_id), &fields, |o| {
            o.serde("file", &v);
            o.str("app_proto", proto);
        });
        yara
    }

    /// The mail checks on a finished message: one `mail` alert naming every check that fired.
    fn judge_mail(&mut self, flow: &FlowCtx<'_>, tx_id: u64, info: &MimeInfo) {
        let Some(v) = self.layers.inspect.mail(flow.id, tx_id, info) else { return };
        if !self.enabled("alert") {
            return;
        }
        self.alerted = true;
        let header = self.header(flow, "alert");
        let kind = v.checks.first().map_or("mail", |c| c.as_str());
        let fields = AlertFields::builtin(v.signature_id, &v.signature, v.severity, "mail", kind);
        self.layers.alerts.emit(self.eve, &header, Some(self.pkt_src()), Some(tx_id), &fields, |o| {
            o.serde("mail", &v);
            o.str("app_proto", "smtp");
        });
    }
}

impl EveApp<'_> {
    /// A file a client read from a server (SMB read, HTTP download) counts towards the behaviour
    /// layer's bulk-read window when both are internal (the layer checks).
    fn file_read(&mut self, flow: &FlowCtx<'_>, t: &TrackedFile) {
        if t.dir != Direction::ToClient || !matches!(t.kind, FileKind::SmbRead | FileKind::ResponseBody) {
            return;
        }
        let path = String::from_utf8_lossy(&t.name);
        self.layers.behavior.on_file_read(&FileRead {
            ts: self.ts,
            client: flow.src,
            server: flow.dst,
            sport: flow.sport,
            dport: flow.dport,
            share: None,
            path: &path,
            bytes: t.size,
            flow_id: flow.id,
        });
    }

    /// What the behaviour layer learns from a transaction: the names of servers (HTTP Host, TLS
    /// SNI) and the addresses behind DNS names.
    fn learn_names(&mut self, flow: &FlowCtx<'_>, tx: &AppTx<'_>) {
        let name = match tx {
            AppTx::Http(h) => h.host(),
            AppTx::Tls(t) => t.sni(),
            AppTx::Dns(d) if !d.is_request() => {
                let Some(q) = d.message.query_name(0) else { return };
                let m = &d.message;
                let addrs: Vec<Addr> = m
                    .answers
                    .iter()
                    .filter_map(|r| match r.data {
                        RData::Addr(b) => {
                            let b = m.bytes(b);
                            <[u8; 4]>::try_from(b).map(Addr::v4).or_else(|_| <[u8; 16]>::try_from(b).map(Addr::v6)).ok()
                        }
                        _ => None,
                    })
                    .collect();
                if !addrs.is_empty() {
                    let q = String::from_utf8_lossy(q);
                    // The client of a DNS flow asked (a response travels to it).
                    self.layers.behavior.on_dns(&DnsAnswer { ts: self.ts, client: flow.src, name: &q, addrs: &addrs });
                }
                return;
            }
            _ => None,
        };
        if let Some(n) = name.filter(|n| !n.is_empty() && n.len() <= 253)
            && self.server_name.is_none()
        {
            *self.server_name = Some(String::from_utf8_lossy(n).into());
        }
    }

    /// Runs the transaction through the signature layer.
    /// (UDP and flow-end alerts are written now; TCP ones wait for the packet Suricata reports
    /// them on.)
    fn inspect_tx(&mut self, flow: &FlowCtx<'_>, tx: &AppTx<'_>, stage: TxStage) {
        let header = self.header(flow, "alert");
        let ts = self.ts;
        // Inline (IPS) inspects on the packet itself; IDS waits for the acknowledgement.
        let immediate = self.layers.ips || self.pcap_cnt.is_none() || flow.proto != 6;
        let Layers { sigs, alerts, .. } = &mut *self.layers;
        let Some(sigs) = sigs.as_mut() else { return };
        if sigs.inspect_tx(&mut Out { eve: self.eve, alerts }, header, flow, ts, tx, stage, immediate, self.detect_flow.as_deref_mut()) {
            self.alerted = true;
        }
    }

    /// The signature layer's file keywords on a finished file; returns the sids of the
    /// `filestore` rules that matched it.
    fn inspect_file(&mut self, flow: &FlowCtx<'_>, t: &TrackedFile) -> Vec<u32> {
        let header = self.file_header(flow, t, "alert");
        let Layers { sigs, alerts, inspect, .. } = &mut *self.layers;
        let Some(sigs) = sigs.as_mut() else { return Vec::new() };
        // HTTP bodies are `file.data` of their transaction already; mail attachments and SMB
        // files get theirs here, from the bytes the inspection layer kept.
        let data = match t.proto {
            AppProto::Smtp | AppProto::Smb => inspect.kept_data(t.flow_id, t.id),
            _ => None,
        };
        let (alerted, sids) =
            sigs.inspect_file(&mut Out { eve: self.eve, alerts }, header, flow, t, data, self.detect_flow.as_deref_mut());
        self.alerted |= alerted;
        sids
    }

    /// At flow end: writes the transaction alerts still waiting for a packet.
    pub(crate) fn flush_deferred(&mut self, flow: &FlowCtx<'_>) {
        if self.pcap_cnt.is_some() {
            return;
        }
        let header = self.header(flow, "alert");
        let Layers { sigs, alerts, .. } = &mut *self.layers;
        let Some(sigs) = sigs.as_mut() else { return };
        if sigs.flush_deferred(&mut Out { eve: self.eve, alerts }, header, self.detect_flow.as_deref_mut()) {
            self.alerted = true;
        }
    }
}

impl FileSink for EveApp<'_> {
    fn file_open(&mut self, flow: &FlowCtx<'_>, f: &FileOpen<'_>) {
        self.layers.dlp.open(flow, f);
        self.layers.inspect.open(flow, f);
        // Suricata logs transferred files, not plain request bodies nor the text parts of mail.
        if f.is_suricata_file() {
            self.layers.files.file_open(flow, f);
        }
    }
    fn file_data(&mut self, flow: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        self.layers.dlp.data(flow, id, data);
        self.layers.inspect.data(flow, id, data);
        self.layers.files.file_data(flow, id, data);
    }
    fn file_close(&mut self, flow: &FlowCtx<'_>, id: FileId, end: &FileClose) {
        self.layers.files.file_close(flow, id, end);
        self.write_closed_files(flow);
        let Some(v) = self.layers.dlp.close(flow, id, end) else { return };
        if !self.enabled("alert") {
            return;
        }
        self.alerted = true;
        let header = self.header(flow, "alert");
        let block = v.block && self.layers.ips;
        if block {
            self.drop_flow = Some("dlp");
        }
        let fields = AlertFields {
            action: if block { AlertAction::Blocked } else { AlertAction::Allowed },
            drop_rule: false,
            gid: 1,
            sid: v.sid,
            rev: 1,
            signature: &v.signature,
            category: "Potential Corporate Privacy Violation",
            severity: v.severity,
            layer: "dlp",
            kind: v.kind,
        };
        self.layers.alerts.emit(self.eve, &header, Some(self.pkt_src()), None, &fields, |o| {
            o.serde("dlp", &v.findings);
            o.str("app_proto", v.app_proto);
        });
    }
}

impl AppSink for EveApp<'_> {
    fn on_detect(&mut self, _flow: &FlowCtx<'_>, proto: AppProto, _dir: Direction, reversed: bool) {
        self.detected = Some((proto, reversed && self.swap_allowed));
    }

    fn on_tx(&mut self, flow: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if stage == TxStage::RequestHeaders {
            // The Host is known before the response body (a download) is judged.
            self.learn_names(flow, &tx);
        }
        self.inspect_tx(flow, &tx, stage);
        if stage != TxStage::Complete {
            return;
        }
        self.learn_names(flow, &tx);
        if let AppTx::Smtp(m) = &tx
            && let Some(info) = &m.email
        {
            self.judge_mail(flow, m.tx_id, info);
        }
        match tx {
            AppTx::Http(h) if self.enabled("http") => {
                let rec = HttpRecord {
                    header: self.header(flow, "http"),
                    pkt_src: Some(self.pkt_src()),
                    metadata: None,
                    tx: h,
                    opts: HttpLogOptions::default(),
                };
                self.eve.record("http", |b| write_http(b, &rec));
            }
            AppTx::Tls(t) if self.enabled("tls") && should_log(t, &TlsLogOptions::default()) => {
                let rec = TlsRecord {
                    header: self.header(flow, "tls"),
                    pkt_src: Some(self.pkt_src()),
                    metadata: None,
                    tx: t,
                    opts: TlsLogOptions::default(),
                    from_proto: None,
                };
                self.eve.record("tls", |b| {
                    write_tls(b, &rec);
                });
            }
            AppTx::Smtp(m) if self.enabled("smtp") => {
                let rec = SmtpRecord {
                    header: self.header(flow, "smtp"),
                    pkt_src: Some(self.pkt_src()),
                    metadata: None,
                    tx: m,
                    opts: SmtpLogOptions::default(),
                };
                self.eve.record("smtp", |b| write_smtp(b, &rec));
            }
            AppTx::Smb(m) if self.enabled("smb") => {
                let rec = SmbRecord { header: self.header(flow, "smb"), pkt_src: Some(self.pkt_src()), metadata: None, tx: m };
                self.eve.record("smb", |b| write_smb(b, &rec));
            }
            AppTx::Dns(d) if self.enabled("dns") => {
                for kind in records_of(d) {
                    let rec = DnsRecordOut { header: self.header(flow, "dns"), pkt_src: Some(self.pkt_src()), tx: d, kind };
                    self.eve.record("dns", |b| {
                        write_dns(b, &rec);
                    });
                }
            }
            _ => {}
        }
    }

    fn on_event(&mut self, flow: &FlowCtx<'_>, e: &AppEvent) {
        if !self.out.app_anomalies || !self.enabled("anomaly") {
            return;
        }
        let rec = AnomalyRecord {
            header: self.header(flow, "anomaly"),
            kind: "applayer",
            event: e.name,
            app_proto: e.proto.map(AppProto::name),
            layer: Some(e.layer.as_str()),
            tx_id: e.tx_id,
        };
        self.eve.record("anomaly", |b| write_anomaly(b, &rec));
    }
}

/// The protocol layer's view of a flow.
pub(crate) fn ctx(info: &FlowInfo) -> FlowCtx<'_> {
    FlowCtx {
        id: info.id,
        src: info.src,
        dst: info.dst,
        sport: info.sport,
        dport: info.dport,
        proto: info.proto,
        vlan: info.vlans(),
        ts: info.ts,
    }
}

/// Hands reassembled stream data to the protocol layer and to the external hook.
pub(crate) struct Fanout<'a, 'e> {
    pub app: &'a mut AppLayer,
    pub app_slot: &'a mut AppSlot,
    pub hook: &'a mut dyn AppHook,
    pub hook_slot: &'a mut AppSlot,
    pub info: &'a FlowInfo,
    pub out: &'a mut EveApp<'e>,
}

impl StreamSink for Fanout<'_, '_> {
    fn on_data(&mut self, dir: Direction, data: &[u8]) {
        self.app.on_stream_data(&ctx(self.info), self.app_slot, dir, data, self.out);
        self.hook.on_stream_data(self.info, self.hook_slot, dir, data);
    }
    fn on_gap(&mut self, dir: Direction, len: u64) {
        self.app.on_stream_gap(&ctx(self.info), self.app_slot, dir, len, self.out);
        self.hook.on_stream_gap(self.info, self.hook_slot, dir, len);
    }
    fn on_close(&mut self, dir: Direction) {
        self.app.on_stream_close(&ctx(self.info), self.app_slot, dir, self.out);
        self.hook.on_stream_close(self.info, self.hook_slot, dir);
        self.out.flush_deferred(&ctx(self.info));
    }
}
