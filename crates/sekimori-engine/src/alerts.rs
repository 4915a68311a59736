//! One way out for every layer's alert (rules, DLP, mail, file, behaviour): the EVE `alert`
//! record with Suricata's fields plus `layer` (detections.md), the `fast.log` line for humans,
//! and the feed of the incident builder, which groups one internal host's alerts from every
//! layer into a kill-chain timeline.

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use sekimori_eve::format::proto_name;
use sekimori_eve::tls::validity_string;
use sekimori_eve::{AlertFlow, Endpoints, EveWriter, Header, Obj, addr_string};
use sekimori_flow::{Direction, Flow};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// What happened to the traffic an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AlertAction {
    /// Logged only (IDS mode, or an `alert` rule).
    Allowed,
    /// The packet was (or would be, under `--simulate-ips`) dropped.
    Blocked,
}

impl AlertAction {
    fn as_str(self) -> &'static str {
        match self {
            AlertAction::Allowed => "allowed",
            AlertAction::Blocked => "blocked",
        }
    }
}

/// The `alert` object of one record.
pub(crate) struct AlertFields<'a> {
    pub action: AlertAction,
    /// The rule's action was drop/reject (fast.log marks it even when not blocked: `[wDrop]`).
    pub drop_rule: bool,
    pub gid: u32,
    pub sid: u64,
    pub rev: u32,
    pub signature: &'a str,
    pub category: &'a str,
    pub severity: u8,
    /// `signature`, `dlp`, `mail`, `file`, `behavior`, ...
    pub layer: &'static str,
    /// Kind within the layer, for incidents (a mail check, a behaviour kind); may be empty.
    pub kind: &'a str,
}

impl<'a> AlertFields<'a> {
    /// A built-in detector's alert (gid 1, rev 1, logged only): mail and file inspection.
    pub(crate) fn builtin(sid: u32, signature: &'a str, severity: u8, layer: &'static str, kind: &'a str) -> Self {
        AlertFields {
            action: AlertAction::Allowed,
            drop_rule: false,
            gid: 1,
            sid: sid.into(),
            rev: 1,
            signature,
            category: "Potentially Bad Traffic",
            severity,
            layer,
            kind,
        }
    }
}

/// An alert remembered for the incident builder.
pub(crate) struct Raised {
    pub ts: Timestamp,
    pub src: Addr,
    pub dst: Addr,
    pub layer: &'static str,
    pub kind: String,
    pub severity: u8,
    pub signature: String,
}

/// Where alerts go besides EVE.
pub(crate) struct AlertOut {
    fast: Option<std::io::BufWriter<std::fs::File>>,
    /// Alerts raised since the engine last drained them (for incidents).
    pub raised: Vec<Raised>,
    /// Alerts written, all layers.
    pub written: u64,
    /// fast.log write failures (counted, reported at the end).
    pub fast_errors: u64,
    /// The flow of the packet being processed, for the alert's `flow` object (Suricata's
    /// `types.alert.flow`, on by default); `None` outside a flow.
    pub flow: Option<AlertFlow>,
    line: String,
}

impl AlertOut {
    /// No fast.log.
    pub(crate) fn new() -> AlertOut {
        AlertOut { fast: None, raised: Vec::new(), written: 0, fast_errors: 0, flow: None, line: String::new() }
    }

    /// Writes fast.log lines to `path` (created or truncated).
    pub(crate) fn with_fast_log(path: &Path) -> std::io::Result<AlertOut> {
        let f = std::fs::File::create(path)?;
        Ok(AlertOut { fast: Some(std::io::BufWriter::new(f)), ..AlertOut::new() })
    }

    /// Writes one alert: the EVE record (header, `pkt_src`, `tx_id`, the `alert` object, then
    /// whatever `extra` adds — the layer's object, `app_proto`, the transaction record) and
    /// the fast.log line.
    pub(crate) fn emit(
        &mut self,
        eve: &mut EveWriter,
        header: &Header<'_>,
        pkt_src: Option<&str>,
        tx_id: Option<u64>,
        a: &AlertFields<'_>,
        extra: impl FnOnce(&mut Obj<'_>),
    ) {
        self.written += 1;
        eve.record("alert", |b| {
            let mut o = Obj::new(b);
            header.write(&mut o);
            if let Some(p) = pkt_src {
                o.str("pkt_src", p);
            }
            if let Some(t) = tx_id {
                o.u64("tx_id", t);
            }
            o.obj("alert", |x| {
                x.str("action", a.action.as_str())
                    .u64("gid", a.gid.into())
                    .u64("signature_id", a.sid)
                    .u64("rev", a.rev.into())
                    .str("signature", a.signature)
                    .str("category", a.category)
                    .u64("severity", a.severity.into())
                    .str("layer", a.layer);
            });
            extra(&mut o);
            o.end();
        });
        if let Some(ep) = header.endpoints {
            self.raised.push(Raised {
                ts: header.ts,
                src: ep.src,
                dst: ep.dst,
                layer: a.layer,
                kind: a.kind.to_string(),
                severity: a.severity,
                signature: a.signature.to_string(),
            });
        }
        if self.fast.is_some() {
            self.fast_line(header, a);
        }
    }

    /// Suricata's fast.log line:
    /// `MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [gid:sid:rev] msg [**] [Classification: c] [Priority: p] {PROTO} src:sp -> dst:dp`,
    /// with `[Drop] ` before the first `[**]` for blocked alerts and `[wDrop] ` for drop rules
    /// that only alerted.
    fn fast_line(&mut self, header: &Header<'_>, a: &AlertFields<'_>) {
        let line = &mut self.line;
        line.clear();
        let (date, time) = civil(header.ts);
        let _ = write!(line, "{date}-{time}  ");
        if a.action == AlertAction::Blocked {
            line.push_str("[Drop] ");
        } else if a.drop_rule {
            line.push_str("[wDrop] ");
        }
        let class = if a.category.is_empty() { "(null)" } else { a.category };
        let _ = write!(
            line,
            "[**] [{}:{}:{}] {} [**] [Classification: {class}] [Priority: {}] ",
            a.gid, a.sid, a.rev, a.signature, a.severity
        );
        if let Some(ep) = header.endpoints {
            // Protocol and addresses spelt as in the EVE records.
            match proto_name(ep.proto) {
                Some(p) => {
                    let _ = write!(line, "{{{p}}} ");
                }
                None => {
                    let _ = write!(line, "{{PROTO:{:03}}} ", ep.proto);
                }
            }
            let (sp, dp) = (ep.sport.unwrap_or(0), ep.dport.unwrap_or(0));
            let _ = write!(line, "{}:{sp} -> {}:{dp}", addr_string(ep.src), addr_string(ep.dst));
        }
        line.push('\n');
        if let Some(f) = self.fast.as_mut()
            && f.write_all(line.as_bytes()).is_err()
        {
            self.fast_errors += 1;
        }
    }

    /// Remembers `flow` (its counters as they are now) for the `flow` object of the alerts
    /// written next; `None` when the packet has no flow.
    /// The EVE writer learns the flow too, for the fields every record of a flow carries
    /// (`community_id`).
    pub(crate) fn set_flow<T>(&mut self, eve: &mut EveWriter, flow: Option<&Flow<T>>) {
        self.flow = flow.map(alert_flow);
        eve.set_flow(self.flow.as_ref().map(|f| &f.endpoints));
    }

    /// Flushes fast.log.
    pub(crate) fn flush(&mut self) {
        if let Some(f) = self.fast.as_mut()
            && f.flush().is_err()
        {
            self.fast_errors += 1;
        }
    }
}

/// The flow's own endpoints as EVE writes them (ports only for protocols that have them).
pub(crate) fn flow_endpoints<T>(f: &Flow<T>) -> Endpoints {
    let has_ports = matches!(f.proto(), 6 | 17 | 132 | 136);
    Endpoints {
        src: f.src(),
        sport: has_ports.then_some(f.sport()),
        dst: f.dst(),
        dport: has_ports.then_some(f.dport()),
        proto: f.proto(),
    }
}

/// The alert `flow` object of `f` as it is now.
pub(crate) fn alert_flow<T>(f: &Flow<T>) -> AlertFlow {
    AlertFlow {
        pkts_toserver: f.pkts(Direction::ToServer),
        pkts_toclient: f.pkts(Direction::ToClient),
        bytes_toserver: f.bytes(Direction::ToServer),
        bytes_toclient: f.bytes(Direction::ToClient),
        start: f.start(),
        endpoints: flow_endpoints(f),
    }
}

/// `MM/DD/YYYY` and `HH:MM:SS.uuuuuu` of a timestamp (UTC, like the EVE timestamps).
fn civil(ts: Timestamp) -> (String, String) {
    // `YYYY-MM-DDTHH:MM:SS`, rearranged.
    let iso = validity_string(ts.secs());
    let (date, time) = iso.split_once('T').unwrap_or((&iso, ""));
    let mut parts = date.rsplitn(3, '-');
    let (d, m, y) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    (format!("{m}/{d}/{y}"), format!("{time}.{:06}", ts.subsec_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_matches_known_dates() {
        let ts = Timestamp::from_micros(1_507_567_510, 121_479);
        assert_eq!(civil(ts), ("10/09/2017".into(), "16:45:10.121479".into()));
        assert_eq!(civil(Timestamp::from_micros(0, 0)), ("01/01/1970".into(), "00:00:00.000000".into()));
        assert_eq!(civil(Timestamp::from_micros(951_782_400, 0)).0, "02/29/2000");
    }
}
