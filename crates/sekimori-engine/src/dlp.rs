//! The DLP layer in the pipeline: every body a client sends to a destination outside `$HOME_NET`
//! (HTTP request bodies and multipart parts) is streamed through `sekimori-dlp`, and a transfer
//! that carried personal data becomes one `alert` with `layer: "dlp"` and a `dlp` object.
//! Inbound downloads and internal transfers are not exfiltration and are not scanned.

use crate::config::DlpPolicy;
use sekimori_app::{FileClose, FileId, FileKind, FileOpen, FlowCtx};
use sekimori_behavior::HomeNet;
use sekimori_dlp::{BodyDecoder, BodyEncoding, Confidence, Dlp, Findings, Scanner};
use sekimori_flow::Direction;
use std::collections::HashMap;

/// Signature id of a transfer carrying personal data (detections.md: 8000000–8099999).
pub(crate) const SID_PII: u64 = 8_030_001;
/// Signature id of an encrypted archive or document leaving (contents unreadable).
pub(crate) const SID_ENCRYPTED: u64 = 8_030_002;
/// Bodies scanned at once; beyond this the oldest is finished early.
const MAX_OPEN: usize = 4096;

struct Open {
    scanner: Scanner,
    name: String,
    multipart: bool,
    to_server: bool,
    order: u64,
    proto: &'static str,
    /// Undoes form or JSON escaping of request bodies before the detectors see them.
    decoder: BodyDecoder,
}

/// One finished transfer that deserves an alert.
pub(crate) struct DlpVerdict {
    pub sid: u64,
    pub severity: u8,
    pub signature: String,
    pub findings: Findings,
    /// The protocol that carried the transfer (`http`, `smtp`, `smb`).
    pub app_proto: &'static str,
    /// For incidents: `pii` or `encrypted`.
    pub kind: &'static str,
    /// The policy's block threshold was reached (the flow is dropped in IPS mode).
    pub block: bool,
}

/// Per-worker DLP state: the compiled detectors and the bodies being scanned.
pub(crate) struct DlpLayer {
    dlp: Dlp,
    home: HomeNet,
    policy: DlpPolicy,
    open: HashMap<(u64, FileId), Open>,
    next: u64,
    /// Decoded bytes of the chunk being fed (reused).
    buf: Vec<u8>,
    /// Off: nothing is scanned (`layers.dlp = false`).
    pub enabled: bool,
    /// Bodies scanned.
    pub scanned: u64,
    /// Alerts raised.
    pub alerts: u64,
}

impl DlpLayer {
    pub(crate) fn new(dlp: Dlp, home: HomeNet, policy: DlpPolicy) -> Self {
        DlpLayer { dlp, home, policy, open: HashMap::new(), next: 0, buf: Vec::new(), enabled: true, scanned: 0, alerts: 0 }
    }

    /// Switches the layer on or off.
    pub(crate) fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }

    /// Whether the policy scans a body of `flow` travelling in `dir`: what a `$HOME_NET` host
    /// sends outside, plus internal transfers and downloads when the policy asks for them.
    fn in_scope(&self, flow: &FlowCtx<'_>, dir: Direction) -> bool {
        let (from, to) = match dir {
            Direction::ToServer => (flow.src, flow.dst),
            Direction::ToClient => (flow.dst, flow.src),
        };
        match (self.home.contains(from), self.home.contains(to)) {
            (true, false) => true,
            (true, true) => self.policy.include_internal,
            (false, true) => self.policy.include_inbound,
            (false, false) => false,
        }
    }

    pub(crate) fn open(&mut self, flow: &FlowCtx<'_>, f: &FileOpen<'_>) {
        if !self.enabled {
            return;
        }
        if matches!(f.kind, FileKind::ResponseBody) && !self.policy.include_inbound {
            return;
        }
        if !self.in_scope(flow, f.dir) {
            return;
        }
        if self.open.len() >= MAX_OPEN
            && let Some(oldest) = self.open.iter().min_by_key(|(_, o)| o.order).map(|(k, _)| *k)
        {
            self.open.remove(&oldest);
        }
        let name = String::from_utf8_lossy(f.name).into_owned();
        let to_server = f.dir == Direction::ToServer;
        let mut scanner = self.dlp.scanner();
        scanner.set_file_name((!name.is_empty()).then_some(name.as_str()));
        self.next += 1;
        let multipart = f.kind == FileKind::FormPart;
        // Form posts and JSON APIs escape text; a part of a multipart body is a file as sent.
        let enc = if multipart { BodyEncoding::Plain } else { BodyEncoding::from_content_type(f.content_type) };
        let decoder = BodyDecoder::new(enc);
        self.open.insert((flow.id, f.id), Open { scanner, name, multipart, to_server, order: self.next, proto: f.proto.name(), decoder });
    }

    pub(crate) fn data(&mut self, flow: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        if let Some(o) = self.open.get_mut(&(flow.id, id)) {
            if o.decoder.encoding() == BodyEncoding::Plain {
                o.scanner.feed(data);
            } else {
                self.buf.clear();
                o.decoder.feed(data, &mut self.buf);
                o.scanner.feed(&self.buf);
            }
        }
    }

    pub(crate) fn close(&mut self, flow: &FlowCtx<'_>, id: FileId, _end: &FileClose) -> Option<DlpVerdict> {
        let mut o = self.open.remove(&(flow.id, id))?;
        self.scanned += 1;
        self.buf.clear();
        o.decoder.finish(&mut self.buf);
        o.scanner.feed(&self.buf);
        let mut f = o.scanner.finish();
        if o.multipart {
            f.container.insert(0, "multipart".into());
        }
        match o.decoder.encoding() {
            BodyEncoding::FormUrlEncoded => f.container.insert(0, "form".into()),
            BodyEncoding::Json => f.container.insert(0, "json".into()),
            BodyEncoding::Plain => {}
        }
        f.direction = Some(if o.to_server { "to_server" } else { "to_client" }.into());
        if !o.name.is_empty() {
            f.file = Some(o.name.clone());
        }
        f.policy = Some(self.policy.name.clone());
        let mut verdict = verdict(f, &o.name, &self.policy);
        if let Some(v) = verdict.as_mut() {
            v.app_proto = o.proto;
        }
        if verdict.is_some() {
            self.alerts += 1;
        }
        verdict
    }
}

/// Human names of the finding types, for the alert sentence.
fn label(kind: &str) -> &str {
    match kind {
        "pension_number" => "basic pension numbers",
        "my_number" => "My Numbers",
        "corporate_number" => "corporate numbers",
        "credit_card" => "card numbers",
        "phone" => "phone numbers",
        "postal_code" => "postal codes",
        "birth_date" => "birth dates",
        "address" => "addresses",
        "person_name" => "person names",
        "email_address" => "e-mail addresses",
        other => other,
    }
}

/// Alert when identifiers of medium confidence or better leave (dlp.md: 1–9 high-confidence
/// identifiers → severity 3, 10 or more → severity 1), or when an encrypted container leaves.
fn verdict(f: Findings, name: &str, policy: &DlpPolicy) -> Option<DlpVerdict> {
    let kinds: Vec<(&String, u64)> = f
        .findings
        .keys()
        .map(|k| (k, f.count_at_least(k, Confidence::Medium)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let shown = if name.is_empty() { String::new() } else { format!(" {name}") };
    let container = f.container.last().cloned().unwrap_or_else(|| "body".into());
    let total: u64 = kinds.iter().map(|(_, n)| n).sum();
    if let Some((top, n)) = kinds.iter().filter(|_| total >= policy.min_identifiers.max(1)).max_by_key(|(k, n)| (*n, std::cmp::Reverse((*k).clone()))) {
        let high: u64 = f.findings.keys().map(|k| f.count_at_least(k, Confidence::High)).sum();
        let protection = if f.encrypted { "partly encrypted" } else { "plain" };
        let signature = format!("DLP: {} {} leaving in {protection} {container}{shown}", group(*n), label(top));
        let severity = if high >= policy.severe_at { 1 } else { 3 };
        let block = policy.block_at > 0 && total >= policy.block_at;
        return Some(DlpVerdict { sid: SID_PII, severity, signature, findings: f, app_proto: "", kind: "pii", block });
    }
    if f.encrypted {
        let signature = format!("DLP: encrypted {container}{shown} leaving (contents unreadable)");
        return Some(DlpVerdict { sid: SID_ENCRYPTED, severity: 4, signature, findings: f, app_proto: "", kind: "encrypted", block: false });
    }
    None
}

/// 5000 → "5,000".
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group(5), "5");
        assert_eq!(group(5000), "5,000");
        assert_eq!(group(1_250_000), "1,250,000");
    }
}
