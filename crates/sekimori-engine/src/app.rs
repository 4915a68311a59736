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
        while let Some(mut t) = self.layers.files.pop_closed() {
            self.file_read(flow, &t);
            let sids = self.inspect_file(flow, &t);
            // The store decision: a `filestore` rule matched the file, or asked for its
            // transaction or flow earlier (Suricata's filestore keyword).
            self.layers.files.settle(&mut t, !sids.is_empty());
            if self.layers.sigs.is_some() {
                // Alerts on the transaction list its files until it is finished.
                self.layers.files.remember(&t);
            }
            let yara = self.judge_file(flow, &t);
            if !log {
                continue;
            }
            let header = self.file_header(flow, &t, "fileinfo");
            let rec = FileInfoRecord {
                header,
                pkt_src: Some(self.pkt_src()),
                metadata: None,
                app_proto: Some(t.proto.name()),
                file: file_info(&t, &sids, false),
            };
            if yara.is_empty() {
                let app = t.app_object.as_ref();
                self.eve.record("fileinfo", |b| {
                    write_fileinfo(b, &rec, |o| {
                        if let Some((k, obj)) = app {
                            o.raw(k, obj);
                        }
                    })
                });
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
        let Layers { sigs, alerts, files, .. } = &mut *self.layers;
        let Some(sigs) = sigs.as_mut() else { return };
        let (flow_id, tx_id) = (flow.id, tx.tx_id());
        let store_on = files.storing_enabled();
        // The alert's `files`: the transaction's files in the alert's direction, as they are
        // now (the ended ones, then the open ones as `OPEN`). Their magic is not shown: Suricata
        // determines it when it logs the file, after the alert.
        let files_of = |dir: Direction| -> Option<Vec<u8>> {
            let mut list: Vec<FileInfo<'_>> = files
                .tx_closed_files(flow_id, tx_id)
                .iter()
                .filter(|t| t.dir == dir)
                .map(|t| FileInfo { magic: None, ..file_info(t, &[], false) })
                .collect();
            let open = files.tx_open_files(flow_id, tx_id);
            list.extend(open.iter().filter(|o| o.dir == dir).map(|o| FileInfo {
                filename: o.name,
                state: "OPEN",
                size: o.size,
                storing: o.storing && store_on,
                tx_id,
                ..FileInfo::default()
            }));
            (!list.is_empty()).then(|| sekimori_eve::fileinfo::files_array(&list))
        };
        if sigs.inspect_tx(
            &mut Out { eve: self.eve, alerts },
            header,
            flow,
            ts,
            tx,
            stage,
            immediate,
            self.detect_flow.as_deref_mut(),
            &files_of,
        ) {
            self.alerted = true;
        }
        self.apply_filestore(flow);
    }

    /// The signature layer's file keywords on a finished file; returns the sids of the
    /// `filestore` rules that matched it.
    fn inspect_file(&mut self, flow: &FlowCtx<'_>, t: &TrackedFile) -> Vec<u32> {
        let header = self.file_header(flow, t, "alert");
        // A mail's attachments are inspected with its transaction, which Suricata reports (in
        // IDS mode, over TCP) on the packet acknowledging the message, with the `smtp` and
        // `email` objects of the finished transaction (filled in by `note_smtp_tx`).
        let immediate = self.layers.ips || self.pcap_cnt.is_none() || flow.proto != 6;
        let defer = t.proto == AppProto::Smtp && !immediate;
        let Layers { sigs, alerts, inspect, files, .. } = &mut *self.layers;
        let Some(sigs) = sigs.as_mut() else { return Vec::new() };
        // HTTP bodies are `file.data` of their transaction already; mail attachments and SMB
        // files get theirs here, from the bytes the inspection layer kept.
        let data = match t.proto {
            AppProto::Smtp | AppProto::Smb => inspect.kept_data(t.flow_id, t.id),
            _ => None,
        };
        // The alert carries the transaction's object (when it is the app protocol's) and the
        // file, as Suricata's `files` array shows it at the alert: not stored yet, `storing`
        // when a `filestore` rule matched and the filestore is on.
        let app = t.app_object.as_ref().filter(|(k, _)| *k == t.proto.name()).map(|(_, o)| o.as_slice());
        let store_on = files.storing_enabled();
        let files_json = |sids: &[u32]| {
            let mut f = file_info(t, sids, !sids.is_empty() && store_on);
            f.stored = false;
            f.file_id = None;
            Some(sekimori_eve::fileinfo::files_array(&[f]))
        };
        let (alerted, sids) = sigs.inspect_file(
            &mut Out { eve: self.eve, alerts },
            header,
            flow,
            t,
            data,
            self.detect_flow.as_deref_mut(),
            app,
            &files_json,
            defer,
        );
        self.alerted |= alerted;
        self.apply_filestore(flow);
        sids
    }

    /// A finished SMTP transaction: alerts on its attachments that wait for their packet get
    /// the transaction's `smtp` and `email` objects, as Suricata logs them.
    fn note_smtp_tx(&mut self, m: &sekimori_app::smtp::SmtpTx) {
        let Some(fs) = self.detect_flow.as_deref_mut() else { return };
        if !fs.deferred.iter().any(|d| d.tx_id == m.tx_id && d.app_proto == "smtp") {
            return;
        }
        let object = |f: &dyn Fn(&mut Obj<'_>)| {
            let mut b = Vec::new();
            let mut o = Obj::new(&mut b);
            f(&mut o);
            o.end();
            b
        };
        let smtp = object(&|o| sekimori_eve::smtp::write_smtp_fields(o, m));
        let opts = SmtpLogOptions { log_url_scheme: self.out.smtp_log_url_scheme, ..SmtpLogOptions::default() };
        let email = m.email.as_ref().map(|_| object(&|o| sekimori_eve::smtp::write_email_fields(o, m, &opts)));
        for d in fs.deferred.iter_mut().filter(|d| d.tx_id == m.tx_id && d.app_proto == "smtp") {
            d.app_object = Some(smtp.clone());
            d.extra_objects = email.iter().map(|e| ("email", e.clone())).collect();
        }
    }

    /// Carries out the `filestore` requests of the rules that matched (transaction and flow
    /// scopes; the default scope on a file is decided when the file is settled).
    fn apply_filestore(&mut self, flow: &FlowCtx<'_>) {
        let Layers { sigs, files, .. } = &mut *self.layers;
        let Some(sigs) = sigs.as_mut() else { return };
        for r in sigs.filestore_requests.drain(..) {
            let here = [r.dir == Direction::ToServer, r.dir == Direction::ToClient];
            let dirs = match r.direction.as_deref() {
                Some("request" | "to_server") => [true, false],
                Some("response" | "to_client") => [false, true],
                Some("both") => [true, true],
                _ => here,
            };
            match r.scope.as_deref() {
                Some("tx") => files.store_tx(flow.id, r.tx_id, dirs),
                Some("ssn" | "flow") => files.store_flow(flow.id, dirs),
                // The file a file keyword matched is settled by the caller; a match on the
                // transaction's buffers stores the transaction's files in its direction.
                _ if r.on_file => {}
                _ => files.store_tx(flow.id, r.tx_id, dirs),
            }
        }
    }

    /// Whether a `config:` rule switched off the records of `tx` (a DNS response goes with
    /// its request's transaction).
    fn tx_logging_disabled(&self, tx: &AppTx<'_>) -> bool {
        let Some(fs) = self.detect_flow.as_deref() else { return false };
        let ids = match tx {
            AppTx::Http(h) => [Some(h.tx_id), None],
            AppTx::Dns(d) => [Some(d.tx_id), d.request_tx_id],
            AppTx::Tls(t) => [Some(t.tx_id), None],
            AppTx::Smtp(m) => [Some(m.tx_id), None],
            AppTx::Smb(m) => [Some(m.tx_id), None],
            _ => [None, None],
        };
        fs.log_disabled || ids.into_iter().flatten().any(|id| fs.tx_logging_disabled(id))
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
            // A `filestore` rule that matches the file by name at open keeps it whole.
            if self.layers.files.storing_enabled()
                && self.layers.sigs.as_mut().is_some_and(|s| s.stores_at_open(flow, f))
            {
                self.layers.files.store_file(flow.id, f.id);
            }
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
        // The transaction's `http` object as it is now goes with the files that end before
        // the transaction (Suricata's `fileinfo` records carry it).
        if let AppTx::Http(h) = &tx
            && stage != TxStage::Complete
            && (self.enabled("fileinfo") || self.layers.sigs.is_some())
        {
            let mut obj = Vec::new();
            let mut o = Obj::new(&mut obj);
            sekimori_eve::http::write_http_fields(&mut o, h, &HttpLogOptions::default());
            o.end();
            self.layers.files.set_app_object(flow.id, h.tx_id, "http", obj);
        }
        // Likewise the `smb` object of an SMB file transaction, handed over as its file closes.
        if let AppTx::Smb(m) = &tx
            && stage != TxStage::Complete
            && (self.enabled("fileinfo") || self.layers.sigs.is_some())
        {
            let mut obj = Vec::new();
            let mut o = Obj::new(&mut obj);
            sekimori_eve::smb::write_smb_fields(&mut o, m);
            o.end();
            self.layers.files.set_app_object(flow.id, m.tx_id, "smb", obj);
        }
        if stage == TxStage::RequestHeaders {
            // The Host is known before the response body (a download) is judged.
            self.learn_names(flow, &tx);
        }
        self.inspect_tx(flow, &tx, stage);
        if stage != TxStage::Complete {
            return;
        }
        // The transaction is finished: its files are not listed any more.
        self.layers.files.forget_app_object(flow.id, tx.tx_id());
        self.learn_names(flow, &tx);
        if let AppTx::Smtp(m) = &tx {
            self.note_smtp_tx(m);
        }
        // A `config: logging disable` rule matched the transaction: its record is not written.
        if self.tx_logging_disabled(&tx) {
            return;
        }
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
                    opts: HttpLogOptions {
                        dump_all_headers: match self.out.http_dump_all_headers.as_str() {
                            "both" => sekimori_eve::http::DumpHeaders::Both,
                            "request" => sekimori_eve::http::DumpHeaders::Request,
                            "response" => sekimori_eve::http::DumpHeaders::Response,
                            _ => sekimori_eve::http::DumpHeaders::None,
                        },
                        ..HttpLogOptions::default()
                    },
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
                    opts: SmtpLogOptions { log_url_scheme: self.out.smtp_log_url_scheme, ..SmtpLogOptions::default() },
                };
                self.eve.record("smtp", |b| write_smtp(b, &rec));
            }
            AppTx::Smb(m) if self.enabled("smb") => {
                let rec = SmbRecord { header: self.header(flow, "smb"), pkt_src: Some(self.pkt_src()), metadata: None, tx: m };
                self.eve.record("smb", |b| write_smb(b, &rec));
            }
            AppTx::Quic(q) if self.enabled("quic") => {
                // Oriented as the packet that carried the hello.
                let mut header = self.header(flow, "quic");
                if q.dir == Some(Direction::ToClient)
                    && let Some(ep) = header.endpoints.as_mut()
                {
                    std::mem::swap(&mut ep.src, &mut ep.dst);
                    std::mem::swap(&mut ep.sport, &mut ep.dport);
                }
                let rec = sekimori_eve::quic::QuicRecord { header, pkt_src: Some(self.pkt_src()), tx: q };
                self.eve.record("quic", |b| sekimori_eve::quic::write_quic(b, &rec));
            }
            AppTx::Rfb(r) if self.enabled("rfb") => {
                let rec = sekimori_eve::rfb::RfbRecord { header: self.header(flow, "rfb"), pkt_src: Some(self.pkt_src()), tx: r };
                self.eve.record("rfb", |b| sekimori_eve::rfb::write_rfb(b, &rec));
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
        // Oriented as the packet that raised it (Suricata's LOG_DIR_PACKET).
        let mut header = self.header(flow, "anomaly");
        if e.dir == Direction::ToClient
            && let Some(ep) = header.endpoints.as_mut()
        {
            std::mem::swap(&mut ep.src, &mut ep.dst);
            std::mem::swap(&mut ep.sport, &mut ep.dport);
        }
        let rec = AnomalyRecord {
            header,
            kind: "applayer",
            event: e.name,
            app_proto: e.proto.map(AppProto::name),
            layer: Some(e.layer.as_str()),
            tx_id: e.tx_id,
        };
        self.eve.record("anomaly", |b| write_anomaly(b, &rec));
    }
}

/// Suricata's `stats.file_store` counters, written when the filestore is on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FileStoreStats {
    /// Files open for storing at once beyond the limit (never: temporary files are not capped).
    pub open_files_max_hit: u64,
    /// Filestore I/O errors.
    pub fs_errors: u64,
}

impl FileStoreStats {
    /// The counters of `files`, or `None` when it stores nothing.
    pub(crate) fn of(files: &FileTracker) -> Option<FileStoreStats> {
        files
            .storing_enabled()
            .then(|| FileStoreStats { open_files_max_hit: 0, fs_errors: files.stats().store_errors })
    }

    /// Writes `file_store` into the `stats` object.
    pub(crate) fn write(&self, o: &mut Obj<'_>) {
        o.obj("file_store", |f| {
            f.u64("open_files_max_hit", self.open_files_max_hit).u64("fs_errors", self.fs_errors);
        });
    }
}

/// A finished file as `fileinfo` shows it; `storing`: a store is pending (alerts' `files`).
fn file_info<'t>(t: &'t TrackedFile, sids: &'t [u32], storing: bool) -> FileInfo<'t> {
    FileInfo {
        filename: &t.name,
        sids,
        magic: t.magic.as_deref(),
        gaps: t.gaps,
        state: t.state.as_str(),
        md5: t.md5.as_ref().map(|h| &h[..]),
        sha1: t.sha1.as_ref().map(|h| &h[..]),
        sha256: t.sha256.as_ref().map(|h| &h[..]),
        stored: t.stored.is_some(),
        storing,
        file_id: t.store_id,
        size: t.size,
        range: None,
        tx_id: t.tx_id,
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
