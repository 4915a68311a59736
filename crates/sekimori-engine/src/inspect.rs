//! The targeted-mail and download-inspection layer in the pipeline (`sekimori-inspect`): every
//! file a protocol carries (HTTP bodies and uploads, SMTP attachments, SMB reads and writes) is
//! scanned as it streams; when it closes its report is judged as a download (alert `layer:
//! "file"`) and, for mail attachments, kept until the message ends so that one mail alert
//! (`layer: "mail"`) can name every check that fired on the message and its attachments.

use sekimori_app::smtp::MimeInfo;
use sekimori_app::{FileId, FileKind, FileOpen, FlowCtx};
use sekimori_files::TrackedFile;
use sekimori_inspect::{DownloadCtx, FileMeta, FileReport, FileScan, FileVerdict, Hashes, Inspector, MailVerdict, YaraSession};
use std::collections::HashMap;

/// Files scanned at once; beyond this the oldest scan is abandoned (counted).
const MAX_OPEN: usize = 4096;
/// Messages whose attachments wait for the end of the message.
const MAX_PENDING_MAILS: usize = 1024;
/// Attachment reports kept per message.
const MAX_ATTACHMENTS: usize = 64;

/// Per-worker state of the layer.
pub(crate) struct InspectLayer {
    /// Built once per engine and kept for the life of the process, so that the worker's YARA
    /// scanner (costly to create: ≈ 0.4 ms) can be reused for every file.
    inspector: Option<&'static Inspector>,
    yara: Option<YaraSession<'static>>,
    open: HashMap<(u64, FileId), (FileScan, u64)>,
    /// Attachment reports per (flow, SMTP transaction), until the message is judged.
    pending: HashMap<(u64, u64), Vec<FileReport>>,
    next: u64,
    /// Scans abandoned because too many files were open at once.
    pub abandoned: u64,
    /// Hash-list reload failures (the previous lists stay in force).
    pub reload_errors: u64,
}

/// What closing a file gave.
pub(crate) struct Closed {
    pub report: FileReport,
    pub verdict: Option<FileVerdict>,
}

impl InspectLayer {
    /// The layer; `None` switches it off.
    pub(crate) fn new(inspector: Option<Inspector>) -> Self {
        let inspector: Option<&'static Inspector> = inspector.map(|i| &*Box::leak(Box::new(i)));
        let yara = inspector.filter(|i| i.yara_rule_count() > 0).map(Inspector::yara_session);
        InspectLayer { inspector, yara, open: HashMap::new(), pending: HashMap::new(), next: 0, abandoned: 0, reload_errors: 0 }
    }

    pub(crate) fn open(&mut self, flow: &FlowCtx<'_>, f: &FileOpen<'_>) {
        // Plain request bodies (form posts, API calls) and the text of a mail are not files.
        if matches!(f.kind, FileKind::RequestBody | FileKind::MailBody) {
            return;
        }
        let Some(insp) = self.inspector else { return };
        if self.open.len() >= MAX_OPEN
            && let Some(oldest) = self.open.iter().min_by_key(|(_, (_, n))| *n).map(|(k, _)| *k)
        {
            self.open.remove(&oldest);
            self.abandoned += 1;
        }
        self.next += 1;
        self.open.insert((flow.id, f.id), (insp.file(FileMeta::from_open(f)), self.next));
    }

    pub(crate) fn data(&mut self, flow: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        if let Some((scan, _)) = self.open.get_mut(&(flow.id, id)) {
            scan.feed(data);
        }
    }

    /// The bytes kept of a file still open (the first `max_file_size`), for rules' `file.data`.
    pub(crate) fn kept_data(&self, flow_id: u64, id: FileId) -> Option<&[u8]> {
        self.open.get(&(flow_id, id)).map(|(scan, _)| scan.data())
    }

    /// A file the tracker finished: its report, and the download verdict on it. `host` is the
    /// HTTP Host of the flow; `first_seen` says nobody in the baseline used that name.
    pub(crate) fn close(&mut self, t: &TrackedFile, host: Option<&str>, first_seen: bool) -> Option<Closed> {
        let (scan, _) = self.open.remove(&(t.flow_id, t.id))?;
        let insp = self.inspector?;
        let hashes = Hashes::from(t);
        let report = match self.yara.as_mut() {
            Some(session) => scan.finish_with(Some(&hashes), session),
            None => scan.finish(Some(&hashes)),
        };
        let verdict = insp.download(&DownloadCtx { kind: t.kind, host, first_seen }, &report);
        if t.kind == FileKind::MailAttachment {
            if self.pending.len() >= MAX_PENDING_MAILS && !self.pending.contains_key(&(t.flow_id, t.tx_id)) {
                self.pending.clear();
            }
            let list = self.pending.entry((t.flow_id, t.tx_id)).or_default();
            if list.len() < MAX_ATTACHMENTS {
                list.push(report.clone());
            }
        }
        Some(Closed { report, verdict })
    }

    /// The verdict on a finished message and the attachments it carried.
    pub(crate) fn mail(&mut self, flow_id: u64, tx_id: u64, info: &MimeInfo) -> Option<MailVerdict> {
        let attachments = self.pending.remove(&(flow_id, tx_id)).unwrap_or_default();
        self.inspector?.mail(info, &attachments)
    }

    /// Forgets a flow's state (it ended).
    pub(crate) fn end_flow(&mut self, flow_id: u64) {
        self.open.retain(|(f, _), _| *f != flow_id);
        self.pending.retain(|(f, _), _| *f != flow_id);
    }

    /// Re-reads changed hash lists (called now and then; a bad list keeps the old one).
    pub(crate) fn reload(&mut self) -> Option<String> {
        match self.inspector?.reload_if_changed() {
            Ok(_) => None,
            Err(e) => {
                self.reload_errors += 1;
                Some(format!("hash list reload failed, the previous lists stay in force: {e}"))
            }
        }
    }
}
