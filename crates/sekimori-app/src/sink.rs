//! What the protocol layer hands out: typed transactions, events and streamed bodies. The engine
//! implements [`AppSink`] (and so [`FileSink`]) to write EVE, run rules, track files and feed DLP.

use crate::dns::DnsTx;
use crate::http::HttpTx;
use crate::quic::QuicTx;
use crate::rfb::RfbTx;
use crate::smb::SmbTx;
use crate::smtp::SmtpTx;
use crate::tls::TlsTx;
use crate::types::{AppEvent, AppProto, Direction, FlowCtx, TxStage};

/// A transaction of any protocol, borrowed for the duration of one sink call.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum AppTx<'a> {
    /// An HTTP/1.x request/response pair.
    Http(&'a HttpTx),
    /// One DNS message (Suricata 7 makes each message its own transaction).
    Dns(&'a DnsTx),
    /// One TLS session (handshake facts and fingerprints), completed when the handshake is done.
    Tls(&'a TlsTx),
    /// One SMTP transaction (one message and its envelope).
    Smtp(&'a SmtpTx),
    /// One SMB request/response pair, or the file transaction of an open file and direction.
    Smb(&'a SmbTx),
    /// The RFB (VNC) handshake of a connection.
    Rfb(&'a RfbTx),
    /// One TLS hello carried by QUIC Initial packets.
    Quic(&'a QuicTx),
}

impl AppTx<'_> {
    /// The protocol of the transaction.
    pub fn proto(&self) -> AppProto {
        match self {
            AppTx::Http(_) => AppProto::Http,
            AppTx::Dns(_) => AppProto::Dns,
            AppTx::Tls(_) => AppProto::Tls,
            AppTx::Smtp(_) => AppProto::Smtp,
            AppTx::Smb(_) => AppProto::Smb,
            AppTx::Rfb(_) => AppProto::Rfb,
            AppTx::Quic(_) => AppProto::Quic,
        }
    }
    /// The transaction id within its flow (EVE `tx_id`).
    pub fn tx_id(&self) -> u64 {
        match self {
            AppTx::Http(t) => t.tx_id,
            AppTx::Dns(t) => t.tx_id,
            AppTx::Tls(t) => t.tx_id,
            AppTx::Smtp(t) => t.tx_id,
            AppTx::Smb(t) => t.tx_id,
            AppTx::Rfb(t) => t.tx_id,
            AppTx::Quic(t) => t.tx_id,
        }
    }
}

/// Identifies one streamed body (file) within a flow; unique per flow and increasing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u64);

/// What kind of body a stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// An HTTP response body (a download).
    ResponseBody,
    /// An HTTP request body that is not multipart, of a method other than POST and PUT.
    RequestBody,
    /// An HTTP POST or PUT request body that is not multipart: Suricata 7 tracks it as a file
    /// (named by the URI path), unlike the bodies of other methods.
    RequestFile,
    /// One part of a `multipart/form-data` request body (an upload when it has a file name).
    FormPart,
    /// A MIME part of a mail message that is an attachment (named, or not text).
    MailAttachment,
    /// A text part of a mail message (plain or HTML body), streamed for DLP.
    MailBody,
    /// Data of SMB READ responses of one open file, in arrival order (a download).
    SmbRead,
    /// Data of SMB WRITE requests of one open file, in arrival order (an upload).
    SmbWrite,
}

/// A body stream being opened.
#[derive(Clone, Copy, Debug)]
pub struct FileOpen<'a> {
    /// The stream's id (passed again to `file_data` and `file_close`).
    pub id: FileId,
    /// The protocol carrying it.
    pub proto: AppProto,
    /// The transaction it belongs to.
    pub tx_id: u64,
    /// `ToServer` for uploads and request bodies, `ToClient` for downloads.
    pub dir: Direction,
    /// What the stream is.
    pub kind: FileKind,
    /// File name: the `filename` of Content-Disposition when given, else the normalised URI path
    /// (as Suricata names HTTP files). Empty when neither is known.
    pub name: &'a [u8],
    /// For form parts: the form field name (`name=` of Content-Disposition).
    pub field: &'a [u8],
    /// The declared content type of the stream, when known (without parameters).
    pub content_type: &'a [u8],
    /// Size announced by Content-Length (of the decoded stream only when no content coding).
    pub declared_len: Option<u64>,
}

impl FileOpen<'_> {
    /// Whether Suricata tracks this stream as a file (logs `fileinfo` for it): not the bodies
    /// of requests other than POST and PUT, not the text parts of mail, and of a multipart form
    /// only the parts with a file name.
    pub fn is_suricata_file(&self) -> bool {
        match self.kind {
            FileKind::RequestBody | FileKind::MailBody => false,
            FileKind::FormPart => !self.name.is_empty(),
            FileKind::ResponseBody
            | FileKind::RequestFile
            | FileKind::MailAttachment
            | FileKind::SmbRead
            | FileKind::SmbWrite => true,
        }
    }
}

/// How a body stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileStatus {
    /// Every byte was delivered.
    Complete,
    /// Delivery stopped at a cap (decompression limit, bomb ratio) or the flow ended early.
    Truncated,
    /// Bytes were missing in the TCP stream.
    Gap,
    /// The encoding could not be decoded (bytes were delivered undecoded from that point).
    Error,
}

/// The end of a body stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileClose {
    /// How it ended.
    pub status: FileStatus,
    /// Bytes delivered through `file_data`.
    pub size: u64,
}

/// Receives body streams as they arrive: open, data (any number of times), close. DLP and file
/// tracking consume these. Every method has an empty default.
pub trait FileSink {
    /// A new body stream starts.
    fn file_open(&mut self, _flow: &FlowCtx<'_>, _file: &FileOpen<'_>) {}
    /// The next decoded bytes of an open stream.
    fn file_data(&mut self, _flow: &FlowCtx<'_>, _id: FileId, _data: &[u8]) {}
    /// The stream ended; no further calls for `id`.
    fn file_close(&mut self, _flow: &FlowCtx<'_>, _id: FileId, _end: &FileClose) {}
}

/// Receives everything the protocol layer produces for the engine: detection, transactions (at
/// each stage; log them at [`TxStage::Complete`]), app-layer events, and (through the
/// [`FileSink`] supertrait) body streams.
pub trait AppSink: FileSink {
    /// A protocol was detected on the flow (`dir`: the engine's direction whose data decided).
    /// `reversed`: the flow's roles are the opposite of its orientation (the engine's client is
    /// the server); the layer then swaps directions for the parser, and Suricata swaps the flow
    /// (its records name the real client as `src`).
    fn on_detect(
        &mut self,
        _flow: &FlowCtx<'_>,
        _proto: AppProto,
        _dir: Direction,
        _reversed: bool,
    ) {
    }
    /// A transaction progressed. Called in stage order for each transaction; `Complete` exactly
    /// once, after which the transaction is gone.
    fn on_tx(&mut self, flow: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage);
    /// An app-layer event (anomaly).
    fn on_event(&mut self, _flow: &FlowCtx<'_>, _event: &AppEvent) {}
}

/// A sink that ignores everything (for benchmarks and callers that only want statistics).
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl FileSink for NullSink {}
impl AppSink for NullSink {
    fn on_tx(&mut self, _flow: &FlowCtx<'_>, _tx: AppTx<'_>, _stage: TxStage) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(kind: FileKind, name: &[u8]) -> FileOpen<'_> {
        FileOpen {
            id: FileId(1),
            proto: AppProto::Http,
            tx_id: 0,
            dir: Direction::ToServer,
            kind,
            name,
            field: b"f",
            content_type: &[],
            declared_len: None,
        }
    }

    #[test]
    fn which_streams_suricata_logs_as_files() {
        assert!(open(FileKind::ResponseBody, b"/").is_suricata_file());
        assert!(open(FileKind::RequestFile, b"/up").is_suricata_file());
        assert!(!open(FileKind::RequestBody, b"/q").is_suricata_file());
        assert!(!open(FileKind::MailBody, b"").is_suricata_file());
        assert!(open(FileKind::MailAttachment, b"a.pdf").is_suricata_file());
        assert!(open(FileKind::FormPart, b"doc.txt").is_suricata_file());
        assert!(
            !open(FileKind::FormPart, b"").is_suricata_file(),
            "a plain form field"
        );
        assert!(open(FileKind::SmbRead, b"x").is_suricata_file());
        assert!(open(FileKind::SmbWrite, b"x").is_suricata_file());
    }
}
