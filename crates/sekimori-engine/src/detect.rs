//! The signature layer in the pipeline: rules loaded from `-S` files are compiled once; every
//! packet is inspected with its payload, and every completed HTTP, DNS and TLS transaction with
//! its sticky buffers; each match becomes an EVE `alert` with `layer: "signature"`.

use sekimori_app::{AppTx, FlowCtx};
use sekimori_capture::Timestamp;
use sekimori_detect::{Alert, Buffers, DetectEngine, FlowFacts, FlowState, PacketInfo, Scope, Scratch};
use sekimori_eve::{EveWriter, Header, Obj};
use sekimori_flow::Direction;
use sekimori_rules::{Action, AppProto as RuleProto, Buffer, Classifications, Vars, load_files, parse_threshold_config};
use std::path::{Path, PathBuf};

/// The compiled rules and the per-worker matching memory.
pub(crate) struct Signatures {
    engine: DetectEngine,
    classes: Classifications,
    scratch: Scratch,
    /// Alerts raised.
    pub alerts: u64,
}

/// What loading the rule files gave.
pub(crate) struct Loaded {
    pub sigs: Signatures,
    pub warnings: Vec<String>,
}

impl Signatures {
    /// Loads and compiles `files` with `$HOME_NET` set; classtypes are checked against a
    /// `classification.config` (or `*.classification.config`) beside the first file, if any.
    pub(crate) fn load(files: &[PathBuf], home_net: &[String]) -> Loaded {
        let mut vars = Vars::suricata_defaults();
        vars.set_address("HOME_NET", &format!("[{}]", home_net.join(",")));
        let classes = files.first().and_then(|f| classification_beside(f)).and_then(|p| Classifications::load(&p).ok()).map(|(c, _)| c).unwrap_or_default();
        let set = load_files(files, &vars, &classes);
        let mut warnings = Vec::new();
        if !set.errors.is_empty() {
            warnings.push(format!(
                "{} rule(s) failed to load and are not used; `sekimori rules check FILE` lists why",
                set.errors.len()
            ));
        }
        let mut engine = DetectEngine::new(&set);
        // Suricata reads `threshold-file` (default /etc/suricata/threshold.config); sekimori has no
        // such setting yet, so a `threshold.config` beside the first rule file is used.
        if let Some(path) = files.first().and_then(|f| file_beside(f, "threshold.config")) {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let (entries, errors) = parse_threshold_config(&text, &vars);
                    engine.apply_threshold_config(&entries);
                    if !errors.is_empty() {
                        warnings.push(format!("{}: {} line(s) not understood", path.display(), errors.len()));
                    }
                }
                Err(e) => warnings.push(format!("{}: {e}", path.display())),
            }
        }
        if !engine.skipped().is_empty() {
            warnings.push(format!("{} rule(s) use keywords the matcher does not support yet and are not used", engine.skipped().len()));
        }
        Loaded { sigs: Signatures { engine, classes, scratch: Scratch::new(), alerts: 0 }, warnings }
    }

    /// Number of rules in use.
    pub(crate) fn len(&self) -> usize {
        self.engine.len()
    }

    fn write(&mut self, eve: &mut EveWriter, header: Header<'_>, tx_id: Option<u64>, alerts: &[Alert], app_proto: Option<&str>) -> bool {
        let mut any = false;
        for a in alerts {
            let Some(meta) = self.engine.meta(a.rule) else { continue };
            if meta.noalert || meta.action == Action::Pass {
                continue;
            }
            any = true;
            self.alerts += 1;
            let category = meta
                .classtype
                .as_deref()
                .and_then(|c| self.classes.get(c).map(|x| x.description.clone()))
                .unwrap_or_default();
            let action = if matches!(meta.action, Action::Alert) { "allowed" } else { "blocked" };
            eve.record("alert", |b| {
                let mut o = Obj::new(b);
                header.write(&mut o);
                o.str("pkt_src", "wire/pcap");
                if let Some(t) = tx_id {
                    o.u64("tx_id", t);
                }
                o.obj("alert", |x| {
                    x.str("action", action)
                        .u64("gid", meta.gid.into())
                        .u64("signature_id", meta.sid.into())
                        .u64("rev", meta.rev.into())
                        .str("signature", &meta.msg)
                        .str("category", &category)
                        .u64("severity", meta.priority.into())
                        .str("layer", "signature");
                });
                if let Some(p) = app_proto {
                    o.str("app_proto", p);
                }
                o.end();
            });
        }
        any
    }

    /// Inspects one packet's payload. Returns true when an alert was written.
    pub(crate) fn packet(
        &mut self,
        eve: &mut EveWriter,
        header: Header<'_>,
        info: &PacketInfo,
        payload: &[u8],
        flow: Option<&mut FlowState>,
        app_proto: Option<&str>,
    ) -> bool {
        let bufs = Buffers::packet(payload);
        let alerts = self.engine.inspect(info, &bufs, flow, &mut self.scratch).to_vec();
        self.write(eve, header, None, &alerts, app_proto)
    }

    /// Inspects one completed transaction with its sticky buffers. Returns true when an alert
    /// was written.
    pub(crate) fn inspect_tx(
        &mut self,
        eve: &mut EveWriter,
        header: Header<'_>,
        flow: &FlowCtx<'_>,
        ts: Timestamp,
        tx: &AppTx<'_>,
        state: Option<&mut FlowState>,
    ) -> bool {
        let empty: &[u8] = &[];
        let (bufs, tx_id, proto) = match tx {
            AppTx::Http(h) => (
                tx_buffers(&[
                    (Buffer::HttpUri, h.uri_normalized().unwrap_or(empty)),
                    (Buffer::HttpUriRaw, h.uri_raw().unwrap_or(empty)),
                    (Buffer::HttpMethod, h.method().unwrap_or(empty)),
                    (Buffer::HttpHost, h.host().unwrap_or(empty)),
                    (Buffer::HttpUserAgent, h.user_agent().unwrap_or(empty)),
                    (Buffer::HttpStatCode, h.status_raw().unwrap_or(empty)),
                ]),
                h.tx_id,
                "http",
            ),
            AppTx::Dns(d) => match d.message.query_name(0) {
                Some(q) if d.is_request() => (tx_buffers(&[(Buffer::DnsQuery, q)]), d.tx_id, "dns"),
                _ => return false,
            },
            AppTx::Tls(t) => match t.sni() {
                Some(sni) => (tx_buffers(&[(Buffer::TlsSni, sni)]), t.tx_id, "tls"),
                None => return false,
            },
            _ => return false,
        };
        let mut info = tx_info(flow.src, flow.dst, flow.sport, flow.dport, flow.proto, ts);
        info.app_proto = rule_proto(proto);
        self.transaction(eve, header, &info, &bufs, tx_id, state, proto)
    }

    /// Inspects one transaction's buffers.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn transaction(
        &mut self,
        eve: &mut EveWriter,
        header: Header<'_>,
        info: &PacketInfo,
        bufs: &Buffers<'_>,
        tx_id: u64,
        flow: Option<&mut FlowState>,
        app_proto: &str,
    ) -> bool {
        let alerts = self.engine.inspect(info, bufs, flow, &mut self.scratch).to_vec();
        self.write(eve, header, Some(tx_id), &alerts, Some(app_proto))
    }
}

/// Flow facts for the matcher.
pub(crate) fn flow_facts(dir: Direction, established: bool) -> FlowFacts {
    FlowFacts { direction: dir, established }
}

/// The rule language's name for an app protocol.
pub(crate) fn rule_proto(name: &str) -> Option<RuleProto> {
    RuleProto::parse(name)
}

/// A transaction's buffers: `Scope::Transaction` with the given sticky buffers.
pub(crate) fn tx_buffers<'a>(items: &[(Buffer, &'a [u8])]) -> Buffers<'a> {
    let mut b = Buffers::new(Scope::Transaction);
    for (buf, data) in items {
        b.add(*buf, data);
    }
    b
}

/// A timestamp-only packet view for transaction inspection.
pub(crate) fn tx_info(src: sekimori_decode::Addr, dst: sekimori_decode::Addr, sport: u16, dport: u16, proto: u8, ts: Timestamp) -> PacketInfo {
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
    }
}

/// A file named `name` in the directory of a rule file, if it exists.
fn file_beside(rules: &Path, name: &str) -> Option<PathBuf> {
    let dir = rules.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let p = dir.join(name);
    p.is_file().then_some(p)
}

/// A `classification.config` (or `*.classification.config`) beside a rule file, if any.
pub fn classification_beside(rules: &Path) -> Option<PathBuf> {
    let dir = rules.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == "classification.config" || n.ends_with(".classification.config"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}
