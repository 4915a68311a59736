//! SMB2/3 over NetBIOS session service (TCP 445 and 139): framing, the SMB2 header (compounded
//! messages included), the commands that name things (NEGOTIATE, SESSION_SETUP with NTLMSSP,
//! TREE_CONNECT, CREATE, READ, WRITE, CLOSE), SMB1 (`NT LM 0.12`: NEGOTIATE, SESSION_SETUP_ANDX,
//! TREE_CONNECT_ANDX, NT_CREATE_ANDX, READ_ANDX/WRITE_ANDX file data, CLOSE and the other
//! commands as plain request/response transactions, see `smb1.rs`), and SMB3 encrypted
//! (transform header) messages counted but not parsed.
//!
//! Transactions follow Suricata: one per request/response pair, matched by message id
//! (interim `STATUS_PENDING` answers do not complete it), except READ and WRITE, which fold
//! into one file transaction per open file and direction, completed on CLOSE or at flow end.
//! READ response data and WRITE request data are streamed through the [`crate::FileSink`]
//! (kinds [`crate::FileKind::SmbRead`] / [`crate::FileKind::SmbWrite`]) in arrival order;
//! records larger than `smb.max_record_buffer` are streamed without being buffered.

mod smb1;
pub(crate) mod wire;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod replay_tests;

use crate::config::AppConfig;
use crate::parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
use crate::sink::{AppTx, FileClose, FileId, FileKind, FileOpen, FileStatus};
use crate::types::{AppProto, Direction, Transport, TxStage};
pub use smb1::smb1_command_name;
use wire::{HDR, Smb2Header, u16le, u32le, u64le};
pub use wire::{
    Ntlmssp, command_name, dialect_string, disposition_name, filetime_to_unix, fuid_string,
    status_name,
};

/// SMB events, with Suricata's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SmbEvent {
    /// A message could not be parsed.
    MalformedData,
    /// A NetBIOS record was larger than the parser accepts.
    RecordOverflow,
    /// The NTLMSSP AUTHENTICATE message was malformed.
    MalformedNtlmsspRequest,
    /// A second NEGOTIATE on the connection.
    DuplicateNegotiate,
    /// A request was sent to the client.
    RequestToClient,
    /// A response was sent to the server.
    ResponseToServer,
    /// Internal limit reached (transactions or open files).
    InternalError,
}

impl SmbEvent {
    /// Suricata's event name (`smb.<name>` in rules).
    pub const fn name(self) -> &'static str {
        match self {
            SmbEvent::MalformedData => "malformed_data",
            SmbEvent::RecordOverflow => "record_overflow",
            SmbEvent::MalformedNtlmsspRequest => "malformed_ntlmssp_request",
            SmbEvent::DuplicateNegotiate => "duplicate_negotiate",
            SmbEvent::RequestToClient => "request_to_client",
            SmbEvent::ResponseToServer => "response_to_server",
            SmbEvent::InternalError => "internal_error",
        }
    }
}

/// Pseudo command code of an SMB1 NEGOTIATE transaction (SMB1 command 0x72 in the high byte).
pub const SMB1_NEGOTIATE: u16 = 0x7200;

/// One SMB transaction (request/response pair, or a file transaction for READ/WRITE).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmbTx {
    /// Transaction id within the flow (EVE `tx_id`; Suricata's `smb.id` is this plus one).
    pub tx_id: u64,
    /// SMB2 command code, or [`SMB1_NEGOTIATE`].
    pub command: u16,
    /// Dialect negotiated on the connection when the transaction completed.
    pub dialect: Option<u16>,
    /// Dialect string chosen by an SMB1 NEGOTIATE response (e.g. `NT LM 0.12`), when the
    /// server answered in SMB1.
    pub smb1_dialect: Vec<u8>,
    /// Status of the (final) response, when one was seen.
    pub status: Option<u32>,
    /// Message id of the request.
    pub message_id: u64,
    /// Session id (of the response when seen, else the request).
    pub session_id: u64,
    /// Tree id.
    pub tree_id: u32,
    /// File name (UTF-8, CREATE and file transactions; empty when none).
    pub filename: Vec<u8>,
    /// Share path (TREE_CONNECT; for file transactions the share of the tree when known).
    pub share: Vec<u8>,
    /// TREE_CONNECT response share type (1 disk, 2 pipe, 3 print).
    pub share_type: Option<u8>,
    /// CREATE disposition.
    pub disposition: Option<u32>,
    /// CREATE options had FILE_DELETE_ON_CLOSE.
    pub delete_on_close: bool,
    /// CREATE response times (FILETIME): created, accessed, modified, changed.
    pub times: Option<[u64; 4]>,
    /// CREATE response end-of-file size.
    pub size: Option<u64>,
    /// File id (CREATE response, CLOSE, READ/WRITE).
    pub file_id: Option<[u8; 16]>,
    /// NTLMSSP AUTHENTICATE of a SESSION_SETUP request.
    pub ntlmssp: Option<Ntlmssp>,
    /// Dialects offered by an SMB1 NEGOTIATE (strings) or SMB2 NEGOTIATE (revisions).
    pub client_dialects: Vec<Vec<u8>>,
    /// SMB2 NEGOTIATE request dialect revisions.
    pub client_dialect_codes: Vec<u16>,
    /// NEGOTIATE response server GUID.
    pub server_guid: Option<[u8; 16]>,
    /// NEGOTIATE response max read / max write sizes.
    pub max_read_size: Option<u32>,
    /// NEGOTIATE response max write size.
    pub max_write_size: Option<u32>,
    /// File transactions: the last READ/WRITE offset and length.
    pub offset: u64,
    /// File transactions: length of the last READ/WRITE.
    pub length: u32,
    /// File transactions: bytes read (READ response data) or written (WRITE request data).
    pub file_bytes: u64,
    /// File transaction direction: `ToServer` for writes, `ToClient` for reads.
    pub file_dir: Option<Direction>,
    /// Request seen.
    pub request_done: bool,
    /// Final response seen.
    pub response_done: bool,
    /// Events raised on this transaction.
    pub events: Vec<SmbEvent>,
    /// An SMB1 transaction: `command` holds the SMB1 command in its high byte (as
    /// [`SMB1_NEGOTIATE`]), ids are SMB1's (UID, TID, 2-byte FID in `file_id[..2]`).
    pub smb1: bool,
}

impl SmbTx {
    /// Suricata's command name (`SMB2_COMMAND_...` / `SMB1_COMMAND_NEGOTIATE_PROTOCOL`).
    pub fn command_name(&self) -> Option<&'static str> {
        if self.command == SMB1_NEGOTIATE {
            Some("SMB1_COMMAND_NEGOTIATE_PROTOCOL")
        } else if self.smb1 {
            Some(smb1_command_name((self.command >> 8) as u8))
        } else {
            command_name(self.command)
        }
    }
    /// Whether the event was raised on this transaction.
    pub fn has_event(&self, e: SmbEvent) -> bool {
        self.events.contains(&e)
    }
}

/// An open file (CREATE response seen, or READ/WRITE on an unknown id).
#[derive(Debug)]
struct OpenFile {
    tree: u32,
    fid: [u8; 16],
    name: Vec<u8>,
    /// Streams: 0 = read (to client), 1 = write (to server).
    stream: [Option<(FileId, u64)>; 2],
    /// File transaction index per direction (index into `txs` by tx id).
    tx: [Option<u64>; 2],
}

/// A pending request waiting for its response.
#[derive(Debug, Clone, Copy)]
struct Pending {
    message_id: u64,
    tx_id: u64,
    /// READ request: the file it reads.
    read_file: Option<(u32, [u8; 16])>,
    /// The transaction is a file transaction (completed on CLOSE, not by the response).
    file_tx: bool,
}

/// `Pending::tx_id` of a request that makes no transaction (as Suricata: GET_INFO, most
/// SET_INFO, READ on named pipes).
const NO_TX: u64 = u64::MAX;

/// Per-direction framing state.
#[derive(Debug, Default)]
struct DirState {
    /// Bytes left of a record being streamed (larger than the buffer cap).
    rec_left: u64,
    /// Of those, bytes to skip before the file data.
    pre: u64,
    /// Then bytes of file data still to stream.
    data_left: u64,
    /// Where streamed data goes: (tree, fid, stream index).
    data_to: Option<(u32, [u8; 16], usize)>,
    /// Skipping to resynchronise after a gap.
    resync: bool,
}

/// The SMB parser of one flow.
#[derive(Debug)]
pub struct SmbParser {
    dirs: [DirState; 2],
    txs: Vec<SmbTx>,
    pending: Vec<Pending>,
    files: Vec<OpenFile>,
    /// Trees connected: (tree id, is a named pipe share).
    trees: Vec<(u32, bool)>,
    /// SMB1: the dialect the NEGOTIATE response chose (copied into later SMB1 transactions).
    smb1_dialect: Vec<u8>,
    /// SMB1: share path of each connected tree (file transactions name it).
    smb1_shares: Vec<(u32, Vec<u8>)>,
    next_tx: u64,
    dialect: Option<u16>,
    negotiated: bool,
    max_tx: usize,
    max_files: usize,
    max_record_buffer: usize,
    max_name: usize,
}

/// The stream index of a direction (reads flow to the client, writes to the server).
fn sidx(d: Direction) -> usize {
    match d {
        Direction::ToClient => 0,
        Direction::ToServer => 1,
    }
}

impl SmbParser {
    /// The transactions not yet handed over (tests and inspection).
    pub fn txs(&self) -> &[SmbTx] {
        &self.txs
    }

    fn event(&mut self, cx: &mut ParseCx<'_>, dir: Direction, tx_id: Option<u64>, e: SmbEvent) {
        if let Some(id) = tx_id
            && let Some(t) = self.txs.iter_mut().find(|t| t.tx_id == id)
            && t.events.len() < 16
        {
            t.events.push(e);
        }
        cx.event(AppProto::Smb, dir, tx_id, e.name());
    }

    fn new_tx(&mut self, cx: &mut ParseCx<'_>, h: &Smb2Header) -> u64 {
        if self.txs.len() >= self.max_tx {
            // Complete the oldest early.
            let t = self.txs.remove(0);
            self.pending.retain(|p| p.tx_id != t.tx_id);
            for f in &mut self.files {
                for s in &mut f.tx {
                    if *s == Some(t.tx_id) {
                        *s = None;
                    }
                }
            }
            cx.stats.smb.txs_evicted += 1;
            cx.tx(AppTx::Smb(&t), TxStage::Complete);
        }
        let id = self.next_tx;
        self.next_tx += 1;
        self.txs.push(SmbTx {
            tx_id: id,
            command: h.command,
            message_id: h.message_id,
            session_id: h.session_id,
            tree_id: h.tree_id,
            ..SmbTx::default()
        });
        id
    }

    fn tx_mut(&mut self, id: u64) -> Option<&mut SmbTx> {
        self.txs.iter_mut().find(|t| t.tx_id == id)
    }

    fn complete(&mut self, cx: &mut ParseCx<'_>, id: u64) {
        if let Some(pos) = self.txs.iter().position(|t| t.tx_id == id) {
            let mut t = self.txs.remove(pos);
            t.dialect = self.dialect;
            if t.smb1 && t.smb1_dialect.is_empty() {
                t.smb1_dialect.clone_from(&self.smb1_dialect);
            }
            cx.tx(AppTx::Smb(&t), TxStage::Complete);
        }
    }

    fn file_index(&mut self, tree: u32, fid: &[u8; 16]) -> Option<usize> {
        self.files
            .iter()
            .position(|f| f.tree == tree && &f.fid == fid)
    }

    /// The open file (created on demand for READ/WRITE on an unknown id, if room).
    fn file_for(&mut self, cx: &mut ParseCx<'_>, tree: u32, fid: [u8; 16]) -> Option<usize> {
        if let Some(i) = self.file_index(tree, &fid) {
            return Some(i);
        }
        if self.files.len() >= self.max_files {
            cx.stats.smb.files_dropped += 1;
            return None;
        }
        self.files.push(OpenFile {
            tree,
            fid,
            name: Vec::new(),
            stream: [None, None],
            tx: [None, None],
        });
        Some(self.files.len() - 1)
    }

    /// Streams `data` of a READ response / WRITE request into the open file's stream.
    fn file_data(&mut self, cx: &mut ParseCx<'_>, fi: usize, si: usize, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let Some(f) = self.files.get_mut(fi) else {
            return;
        };
        let id = match f.stream[si] {
            Some((id, _)) => id,
            None => {
                let id = cx.new_file_id();
                let tx_id = f.tx[si].unwrap_or(0);
                let open = FileOpen {
                    id,
                    proto: AppProto::Smb,
                    tx_id,
                    dir: if si == 0 {
                        Direction::ToClient
                    } else {
                        Direction::ToServer
                    },
                    kind: if si == 0 {
                        FileKind::SmbRead
                    } else {
                        FileKind::SmbWrite
                    },
                    name: &f.name,
                    field: b"",
                    content_type: b"",
                    declared_len: None,
                };
                cx.stats.smb.files += 1;
                cx.sink.file_open(cx.flow, &open);
                f.stream[si] = Some((id, 0));
                id
            }
        };
        if let Some((_, n)) = &mut f.stream[si] {
            *n += data.len() as u64;
        }
        if let Some(t) = f.tx[si]
            && let Some(tx) = self.txs.iter_mut().find(|x| x.tx_id == t)
        {
            tx.file_bytes += data.len() as u64;
        }
        if si == 0 {
            cx.stats.smb.read_bytes += data.len() as u64;
        } else {
            cx.stats.smb.write_bytes += data.len() as u64;
        }
        cx.sink.file_data(cx.flow, id, data);
    }

    /// Closes the streams and file transactions of open file `fi` and removes it.
    fn close_file(&mut self, cx: &mut ParseCx<'_>, fi: usize, status: FileStatus) {
        if fi >= self.files.len() {
            return;
        }
        let f = self.files.remove(fi);
        // The file transactions as they stand when their files close (Suricata's `fileinfo`
        // records carry this `smb` object): handed over before the close, completed after.
        for t in f.tx.iter().flatten() {
            if let Some(pos) = self.txs.iter().position(|x| x.tx_id == *t) {
                let mut tx = self.txs.remove(pos);
                tx.dialect = self.dialect;
                cx.tx(AppTx::Smb(&tx), TxStage::RequestComplete);
                self.txs.insert(pos, tx);
            }
        }
        for (id, size) in f.stream.into_iter().flatten() {
            cx.sink.file_close(cx.flow, id, &FileClose { status, size });
        }
        for t in f.tx.into_iter().flatten() {
            self.complete(cx, t);
        }
    }

    /// The file transaction of (file, direction), created when missing.
    fn file_tx(&mut self, cx: &mut ParseCx<'_>, fi: usize, si: usize, h: &Smb2Header) -> u64 {
        if let Some(t) = self.files.get(fi).and_then(|f| f.tx[si])
            && self.txs.iter().any(|x| x.tx_id == t)
        {
            return t;
        }
        let id = self.new_tx(cx, h);
        // (Eviction in new_tx drops transactions, never open files: `fi` is still valid.)
        // Suricata leaves `share` empty on SMB2 file transactions: it is not filled here.
        let (name, fid) = match self.files.get(fi) {
            Some(f) => (f.name.clone(), f.fid),
            None => return id,
        };
        if let Some(tx) = self.tx_mut(id) {
            tx.filename = name;
            tx.file_id = Some(fid);
            tx.file_dir = Some(if si == 0 {
                Direction::ToClient
            } else {
                Direction::ToServer
            });
        }
        if let Some(f) = self.files.get_mut(fi) {
            f.tx[si] = Some(id);
        }
        id
    }

    /// Handles one SMB2 message (header + body; `msg` may be cut short for streamed records).
    /// Returns the READ/WRITE data it carries: `(data offset in msg, data length, target)`;
    /// the caller streams what `msg` holds and, for streamed records, the rest as it arrives.
    fn message(&mut self, dir: Direction, msg: &[u8], cx: &mut ParseCx<'_>) -> Option<DataSpan> {
        let h = Smb2Header::parse(msg)?;
        cx.stats.smb.messages += 1;
        let body = msg.get(HDR..).unwrap_or_default();
        let resp = h.is_response();
        match (dir, resp) {
            (Direction::ToServer, true) => {
                self.event(cx, dir, None, SmbEvent::ResponseToServer);
                return None;
            }
            (Direction::ToClient, false) => {
                // Oplock break notifications are sent by the server without the response flag
                // only in SMB1; in SMB2 a request toward the client is anomalous.
                self.event(cx, dir, None, SmbEvent::RequestToClient);
                return None;
            }
            _ => {}
        }
        if !resp {
            cx.stats.smb.requests += 1;
            return self.request(dir, &h, msg, body, cx);
        }
        cx.stats.smb.responses += 1;
        self.response(&h, body, cx)
    }

    fn request(
        &mut self,
        dir: Direction,
        h: &Smb2Header,
        msg: &[u8],
        body: &[u8],
        cx: &mut ParseCx<'_>,
    ) -> Option<DataSpan> {
        match h.command {
            8 => {
                // READ: Length @4, Offset @8, FileId @16.
                let (Some(len), Some(off), Some(fid)) =
                    (u32le(body, 4), u64le(body, 8), wire::guid(body, 16))
                else {
                    self.event(cx, dir, None, SmbEvent::MalformedData);
                    return None;
                };
                if self.is_pipe(h.tree_id) {
                    // DCERPC over a named pipe: no file, no transaction.
                    self.push_pending(Pending {
                        message_id: h.message_id,
                        tx_id: NO_TX,
                        read_file: None,
                        file_tx: false,
                    });
                    return None;
                }
                let fi = self.file_for(cx, h.tree_id, fid)?;
                let t = self.file_tx(cx, fi, 0, h);
                if let Some(tx) = self.tx_mut(t) {
                    tx.offset = off;
                    tx.length = len;
                    tx.request_done = true;
                }
                self.push_pending(Pending {
                    message_id: h.message_id,
                    tx_id: t,
                    read_file: Some((h.tree_id, fid)),
                    file_tx: true,
                });
                None
            }
            9 => {
                // WRITE: DataOffset @2, Length @4, Offset @8, FileId @16.
                let (Some(doff), Some(len), Some(off), Some(fid)) = (
                    u16le(body, 2),
                    u32le(body, 4),
                    u64le(body, 8),
                    wire::guid(body, 16),
                ) else {
                    self.event(cx, dir, None, SmbEvent::MalformedData);
                    return None;
                };
                if self.is_pipe(h.tree_id) {
                    // DCERPC over a named pipe: a request/response transaction, no file.
                    let t = self.new_tx(cx, h);
                    if let Some(tx) = self.tx_mut(t) {
                        tx.request_done = true;
                        tx.offset = off;
                        tx.length = len;
                    }
                    self.push_pending(Pending {
                        message_id: h.message_id,
                        tx_id: t,
                        read_file: None,
                        file_tx: false,
                    });
                    return None;
                }
                let fi = self.file_for(cx, h.tree_id, fid)?;
                let t = self.file_tx(cx, fi, 1, h);
                if let Some(tx) = self.tx_mut(t) {
                    tx.offset = off;
                    tx.length = len;
                    tx.request_done = true;
                }
                self.push_pending(Pending {
                    message_id: h.message_id,
                    tx_id: t,
                    read_file: None,
                    file_tx: true,
                });
                let doff = usize::from(doff).max(HDR + 48);
                Some((doff, u64::from(len), (h.tree_id, fid, 1)))
            }
            _ => {
                if h.command == 0 && self.negotiated {
                    self.event(cx, dir, None, SmbEvent::DuplicateNegotiate);
                }
                // Suricata makes no transaction for GET_INFO, nor for SET_INFO other than
                // rename (class 10) and disposition (class 13) of files (info type 1).
                let set_info_logged =
                    body.get(2) == Some(&1) && matches!(body.get(3), Some(&10) | Some(&13));
                if h.command == 16 || (h.command == 17 && !set_info_logged) {
                    self.push_pending(Pending {
                        message_id: h.message_id,
                        tx_id: NO_TX,
                        read_file: None,
                        file_tx: false,
                    });
                    return None;
                }
                let t = self.new_tx(cx, h);
                let cap = self.max_name;
                let mut ev = None;
                let mut tx = self.txs.iter_mut().find(|x| x.tx_id == t)?.clone();
                tx.request_done = true;
                match h.command {
                    0 => {
                        let n = usize::from(u16le(body, 2).unwrap_or(0)).min(64);
                        for i in 0..n {
                            if let Some(d) = u16le(body, 36 + 2 * i) {
                                tx.client_dialect_codes.push(d);
                            }
                        }
                    }
                    1 => {
                        let o = usize::from(u16le(body, 12).unwrap_or(0));
                        let l = usize::from(u16le(body, 14).unwrap_or(0));
                        if let Some(blob) = o.checked_add(l).and_then(|e| msg.get(o..e)) {
                            match wire::ntlmssp_auth(blob, cap) {
                                Ok(n) => tx.ntlmssp = n,
                                Err(()) => ev = Some(SmbEvent::MalformedNtlmsspRequest),
                            }
                        }
                    }
                    3 => {
                        let o = usize::from(u16le(body, 4).unwrap_or(0));
                        let l = usize::from(u16le(body, 6).unwrap_or(0));
                        match o.checked_add(l).and_then(|e| msg.get(o..e)) {
                            Some(p) => wire::utf16le(p, cap, &mut tx.share),
                            None => ev = Some(SmbEvent::MalformedData),
                        }
                    }
                    5 => {
                        tx.disposition = u32le(body, 36);
                        tx.delete_on_close = u32le(body, 40).is_some_and(|o| o & 0x1000 != 0);
                        let o = usize::from(u16le(body, 44).unwrap_or(0));
                        let l = usize::from(u16le(body, 46).unwrap_or(0));
                        match o.checked_add(l).and_then(|e| msg.get(o..e)) {
                            Some(p) => wire::utf16le(p, cap, &mut tx.filename),
                            None => ev = Some(SmbEvent::MalformedData),
                        }
                    }
                    6 => {
                        tx.file_id = wire::guid(body, 8);
                        if let Some(fi) = tx.file_id.and_then(|f| self.file_index(h.tree_id, &f))
                            && let Some(f) = self.files.get(fi)
                        {
                            tx.filename = f.name.clone();
                        }
                    }
                    _ => {}
                }
                if let Some(slot) = self.txs.iter_mut().find(|x| x.tx_id == t) {
                    *slot = tx;
                }
                if let Some(e) = ev {
                    self.event(cx, dir, Some(t), e);
                }
                self.push_pending(Pending {
                    message_id: h.message_id,
                    tx_id: t,
                    read_file: None,
                    file_tx: false,
                });
                None
            }
        }
    }

    fn is_pipe(&self, tree: u32) -> bool {
        self.trees.iter().any(|&(t, p)| t == tree && p)
    }

    fn push_pending(&mut self, p: Pending) {
        self.pending.retain(|x| x.message_id != p.message_id);
        if self.pending.len() >= self.max_tx {
            self.pending.remove(0);
        }
        self.pending.push(p);
    }

    fn response(&mut self, h: &Smb2Header, body: &[u8], cx: &mut ParseCx<'_>) -> Option<DataSpan> {
        let interim = h.status == 0x103 && h.flags & wire::FLAG_ASYNC != 0;
        let pi = self
            .pending
            .iter()
            .position(|p| p.message_id == h.message_id);
        let p = match pi {
            Some(i) => {
                let p = self.pending[i];
                if !interim {
                    self.pending.remove(i);
                }
                p
            }
            None => {
                if h.command == 0 {
                    // SMB2 answer to an SMB1 NEGOTIATE (message id 0).
                    if let Some(t) = self
                        .txs
                        .iter()
                        .find(|t| t.command == SMB1_NEGOTIATE && !t.response_done)
                        .map(|t| t.tx_id)
                    {
                        Pending {
                            message_id: h.message_id,
                            tx_id: t,
                            read_file: None,
                            file_tx: false,
                        }
                    } else {
                        cx.stats.smb.unmatched_responses += 1;
                        let t = self.new_tx(cx, h);
                        Pending {
                            message_id: h.message_id,
                            tx_id: t,
                            read_file: None,
                            file_tx: false,
                        }
                    }
                } else {
                    cx.stats.smb.unmatched_responses += 1;
                    if h.command == 8 || h.command == 9 {
                        return None;
                    }
                    let t = self.new_tx(cx, h);
                    Pending {
                        message_id: h.message_id,
                        tx_id: t,
                        read_file: None,
                        file_tx: false,
                    }
                }
            }
        };
        if interim || p.tx_id == NO_TX {
            return None;
        }
        let mut stream = None;
        let mut close_fid = None;
        let mut tree_share = None;
        let mut file_name = None;
        let mut negotiated = false;
        if let Some(tx) = self.txs.iter_mut().find(|t| t.tx_id == p.tx_id) {
            if tx.status.is_none() || !tx.response_done {
                tx.status = Some(h.status);
            }
            tx.response_done = true;
            if h.session_id != 0 {
                tx.session_id = h.session_id;
            }
            if h.tree_id != 0 && h.command != 8 && h.command != 9 {
                tx.tree_id = h.tree_id;
            }
            match h.command {
                0 => {
                    if let Some(d) = u16le(body, 4) {
                        self.dialect = Some(d);
                        negotiated = true;
                    }
                    tx.server_guid = wire::guid(body, 8);
                    tx.max_read_size = u32le(body, 32);
                    tx.max_write_size = u32le(body, 36);
                }
                3 => {
                    tx.share_type = body.get(2).copied();
                    if h.status == 0 {
                        tree_share = Some((h.tree_id, tx.share_type == Some(2)));
                    }
                }
                5 if h.status == 0 => {
                    if let (Some(a), Some(b), Some(c), Some(d)) = (
                        u64le(body, 8),
                        u64le(body, 16),
                        u64le(body, 24),
                        u64le(body, 32),
                    ) {
                        tx.times = Some([a, b, c, d]);
                    }
                    tx.size = u64le(body, 48);
                    tx.file_id = wire::guid(body, 64);
                    if let Some(f) = tx.file_id {
                        file_name = Some((tx.tree_id, f, tx.filename.clone()));
                    }
                }
                6 => {
                    if let Some(f) = tx.file_id {
                        close_fid = Some((tx.tree_id, f));
                    }
                }
                8 => {
                    if h.status == 0
                        && let (Some(doff), Some(len)) = (body.get(2), u32le(body, 4))
                        && let Some((tree, fid)) = p.read_file
                    {
                        let doff = usize::from(*doff).max(HDR + 16);
                        stream = Some((doff, u64::from(len), (tree, fid, 0)));
                    }
                }
                _ => {}
            }
        }
        if negotiated {
            self.negotiated = true;
        }
        if let Some((tree, pipe)) = tree_share {
            self.trees.retain(|(t, _)| *t != tree);
            if self.trees.len() < self.max_files {
                self.trees.push((tree, pipe));
            }
        }
        if let Some((tree, fid, name)) = file_name
            && let Some(fi) = self.file_for(cx, tree, fid)
            && let Some(f) = self.files.get_mut(fi)
        {
            f.name = name;
        }
        if let Some((tree, fid)) = close_fid
            && let Some(fi) = self.file_index(tree, &fid)
        {
            self.close_file(cx, fi, FileStatus::Complete);
        }
        if !p.file_tx {
            self.complete(cx, p.tx_id);
        }
        stream
    }

    /// Handles an SMB1 message: NEGOTIATE requests become transactions; the rest is counted.
    fn smb1(&mut self, dir: Direction, msg: &[u8], cx: &mut ParseCx<'_>) {
        cx.stats.smb.smb1_messages += 1;
        let (Some(&cmd), Some(&flags)) = (msg.get(4), msg.get(9)) else {
            return;
        };
        if cmd != 0x72 {
            self.smb1_message(dir, msg, cx);
            return;
        }
        if flags & 0x80 != 0 {
            if dir == Direction::ToClient {
                self.smb1_negotiate_response(msg, cx);
            }
            return;
        }
        if dir != Direction::ToServer {
            return;
        }
        let h = Smb2Header {
            status: 0,
            command: SMB1_NEGOTIATE,
            flags: 0,
            next_command: 0,
            message_id: 0,
            tree_id: 0,
            session_id: 0,
        };
        let t = self.new_tx(cx, &h);
        let bc = usize::from(u16le(msg, 33).unwrap_or(0));
        let bytes = msg.get(35..).unwrap_or_default();
        let bytes = bytes.get(..bc.min(bytes.len())).unwrap_or_default();
        let mut dialects = Vec::new();
        for part in bytes.split(|&b| b == 0) {
            if let Some((&2, s)) = part.split_first()
                && dialects.len() < 64
            {
                dialects.push(
                    s.get(..s.len().min(self.max_name))
                        .unwrap_or_default()
                        .to_vec(),
                );
            }
        }
        if let Some(tx) = self.tx_mut(t) {
            tx.client_dialects = dialects;
            tx.request_done = true;
        }
    }

    /// An SMB1 NEGOTIATE response: completes the SMB1 NEGOTIATE transaction with its status,
    /// chosen dialect and (extended security) server GUID.
    fn smb1_negotiate_response(&mut self, msg: &[u8], cx: &mut ParseCx<'_>) {
        let Some(t) = self
            .txs
            .iter()
            .find(|t| t.command == SMB1_NEGOTIATE && !t.response_done)
            .map(|t| t.tx_id)
        else {
            cx.stats.smb.unmatched_responses += 1;
            return;
        };
        let status = u32le(msg, 5).unwrap_or(0);
        let flags2 = u16le(msg, 10).unwrap_or(0);
        let wc = msg.get(32).copied().unwrap_or(0);
        let idx = u16le(msg, 33).map(usize::from);
        let guid = if wc == 17 && flags2 & 0x0800 != 0 {
            wire::guid(msg, 69)
        } else {
            None
        };
        if let Some(tx) = self.tx_mut(t) {
            tx.status = Some(status);
            tx.response_done = true;
            tx.server_guid = guid;
            if let Some(d) = idx.and_then(|i| tx.client_dialects.get(i)) {
                tx.smb1_dialect = d.clone();
            }
        }
        if let Some(d) = self
            .txs
            .iter()
            .find(|x| x.tx_id == t)
            .map(|x| x.smb1_dialect.clone())
            .filter(|d| !d.is_empty())
        {
            self.smb1_dialect = d;
        }
        self.complete(cx, t);
    }

    /// Handles one complete NetBIOS session message (`rec` = its payload).
    fn record(&mut self, dir: Direction, rec: &[u8], cx: &mut ParseCx<'_>) {
        cx.stats.smb.records += 1;
        match rec.get(..4) {
            Some(m) if m == wire::SMB2_MAGIC => {}
            Some(m) if m == wire::SMB1_MAGIC => {
                self.smb1(dir, rec, cx);
                return;
            }
            Some(m) if m == wire::TRANSFORM_MAGIC || m == wire::COMPRESS_MAGIC => {
                cx.stats.smb.encrypted_messages += 1;
                cx.stats.smb.encrypted_bytes += rec.len() as u64;
                return;
            }
            _ => {
                cx.stats.smb.malformed += 1;
                self.event(cx, dir, None, SmbEvent::MalformedData);
                return;
            }
        }
        // Compounded messages.
        let mut off = 0usize;
        let mut n = 0;
        while let Some(m) = rec.get(off..) {
            if m.is_empty() || n >= 64 {
                break;
            }
            let Some(h) = Smb2Header::parse(m) else {
                cx.stats.smb.malformed += 1;
                self.event(cx, dir, None, SmbEvent::MalformedData);
                break;
            };
            if n > 0 {
                cx.stats.smb.compounded += 1;
            }
            let next = h.next_command as usize;
            let msg = if next >= HDR {
                m.get(..next).unwrap_or(m)
            } else {
                m
            };
            if let Some((doff, len, (tree, fid, si))) = self.message(dir, msg, cx)
                && let (Some(fi), Some(e)) = (
                    self.file_index(tree, &fid),
                    doff.checked_add(len.min(usize::MAX as u64) as usize),
                )
            {
                let end = e.min(msg.len());
                if let Some(d) = msg.get(doff..end) {
                    self.file_data(cx, fi, si, d);
                }
            }
            n += 1;
            if next < HDR {
                break;
            }
            off = match off.checked_add(next) {
                Some(o) => o,
                None => break,
            };
        }
    }

    /// Start of a record too large to buffer: `head` is all of it that is available (at
    /// least the fixed parts); the caller consumes all of `head`.
    fn large_record_start(
        &mut self,
        dir: Direction,
        head: &[u8],
        reclen: u64,
        cx: &mut ParseCx<'_>,
    ) {
        cx.stats.smb.records += 1;
        cx.stats.smb.streamed_records += 1;
        let have = head.len() as u64;
        let di = dir.index();
        self.dirs[di] = DirState {
            rec_left: reclen.saturating_sub(have),
            ..DirState::default()
        };
        let magic = head.get(..4);
        if magic == Some(wire::TRANSFORM_MAGIC) || magic == Some(wire::COMPRESS_MAGIC) {
            cx.stats.smb.encrypted_messages += 1;
            cx.stats.smb.encrypted_bytes += reclen;
            return;
        }
        if magic == Some(wire::SMB1_MAGIC) {
            // SMB1 is only parsed for NEGOTIATE (never this large): skip the record.
            cx.stats.smb.smb1_messages += 1;
            return;
        }
        let Some(h) = Smb2Header::parse(head) else {
            cx.stats.smb.malformed += 1;
            self.event(cx, dir, None, SmbEvent::RecordOverflow);
            return;
        };
        // Only the first message of an oversized record is parsed (READ/WRITE carry data).
        let next = h.next_command as usize;
        let m = if next >= HDR {
            head.get(..next).unwrap_or(head)
        } else {
            head
        };
        let Some((doff, len, target)) = self.message(dir, m, cx) else {
            return;
        };
        let doff = doff as u64;
        let dend = doff.saturating_add(len).min(reclen);
        let now_end = dend.min(have);
        if doff < now_end
            && let (Some(fi), Some(bytes)) = (
                self.file_index(target.0, &target.1),
                head.get(doff as usize..now_end as usize),
            )
        {
            self.file_data(cx, fi, target.2, bytes);
        }
        let d = &mut self.dirs[di];
        d.pre = doff.saturating_sub(have);
        d.data_left = dend.saturating_sub(doff.max(have));
        d.data_to = Some(target);
    }

    fn parse_stream(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        let di = dir.index();
        let mut pos = 0usize;
        if self.dirs[di].resync {
            // Look for a session message header followed by an SMB magic.
            let mut found = None;
            let mut from = 0;
            while let Some(i) = data
                .get(from..)
                .and_then(|d| memchr::memmem::find(d, b"SMB"))
            {
                let at = from + i;
                if at >= 5
                    && data.get(at - 5) == Some(&0)
                    && let Some(&m) = data.get(at - 1)
                    && (m == 0xfe || m == 0xff || m == 0xfd)
                {
                    found = Some(at - 5);
                    break;
                }
                from = at + 1;
            }
            match found {
                Some(s) => {
                    cx.stats.smb.resync_skipped += s as u64;
                    self.dirs[di].resync = false;
                    pos = s;
                }
                None => {
                    // Keep the last 7 bytes in case a header straddles.
                    let keep = data.len().min(7);
                    cx.stats.smb.resync_skipped += (data.len() - keep) as u64;
                    return ParseResult::Incomplete {
                        consumed: data.len() - keep,
                        needed: 1,
                    };
                }
            }
        }
        loop {
            // Continue a streamed record.
            let d = &mut self.dirs[di];
            if d.rec_left > 0 {
                let rest = data.get(pos..).unwrap_or_default();
                if rest.is_empty() {
                    return ParseResult::Ok;
                }
                let take = (rest.len() as u64).min(d.rec_left) as usize;
                let chunk = rest.get(..take).unwrap_or_default();
                let skip = (d.pre.min(take as u64)) as usize;
                d.pre -= skip as u64;
                let dn = (d.data_left.min((take - skip) as u64)) as usize;
                d.data_left -= dn as u64;
                d.rec_left -= take as u64;
                let target = d.data_to;
                if d.rec_left == 0 {
                    d.data_to = None;
                    d.data_left = 0;
                    d.pre = 0;
                }
                if let (Some((tree, fid, si)), Some(bytes)) = (target, chunk.get(skip..skip + dn))
                    && let Some(fi) = self.file_index(tree, &fid)
                {
                    self.file_data(cx, fi, si, bytes);
                }
                pos += take;
                continue;
            }
            let rest = data.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                return ParseResult::Ok;
            }
            if rest.len() < 4 {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: 4 - rest.len(),
                };
            }
            let ty = rest[0];
            let len =
                (usize::from(rest[1]) << 16) | (usize::from(rest[2]) << 8) | usize::from(rest[3]);
            if ty != 0 {
                // Session request/response/keepalive: skip.
                cx.stats.smb.nbss_other += 1;
                if rest.len() < 4 + len {
                    if len > self.max_record_buffer {
                        self.dirs[di].rec_left = len as u64;
                        pos += 4;
                        continue;
                    }
                    return ParseResult::Incomplete {
                        consumed: pos,
                        needed: 4 + len - rest.len(),
                    };
                }
                pos += 4 + len;
                continue;
            }
            if rest.len() >= 4 + len {
                let rec = rest.get(4..4 + len).unwrap_or_default();
                self.record(dir, rec, cx);
                pos += 4 + len;
                continue;
            }
            if len <= self.max_record_buffer {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: 4 + len - rest.len(),
                };
            }
            // Large record: parse its head (header + READ/WRITE fixed part) and stream the rest.
            let head_need = (HDR + 48).min(len);
            if rest.len() < 4 + head_need {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: 4 + head_need - rest.len(),
                };
            }
            let head = rest.get(4..).unwrap_or_default();
            let head = head.get(..head.len().min(len)).unwrap_or_default();
            self.large_record_start(dir, head, len as u64, cx);
            pos += 4 + head.len();
        }
    }
}

impl AppParser for SmbParser {
    fn info() -> ProtocolInfo {
        ProtocolInfo {
            proto: AppProto::Smb,
            tcp: true,
            udp: false,
        }
    }

    fn ports(cfg: &AppConfig, t: Transport) -> Vec<u16> {
        match t {
            Transport::Tcp => cfg.smb.ports.clone(),
            Transport::Udp => Vec::new(),
        }
    }

    fn any_port(cfg: &AppConfig, t: Transport) -> bool {
        t == Transport::Tcp && cfg.smb.any_port
    }

    fn probe(t: Transport, dir: Direction, data: &[u8]) -> Probe {
        if t != Transport::Tcp {
            return Probe::No;
        }
        // Skip NetBIOS session requests/responses/keepalives (port 139) before the first
        // session message.
        let mut p = data;
        for _ in 0..4 {
            let Some(&ty) = p.first() else {
                return Probe::NeedMore;
            };
            match ty {
                0x00 => break,
                0x81..=0x85 => {
                    if p.len() < 4 {
                        return Probe::NeedMore;
                    }
                    let len = (usize::from(p[1] & 1) << 16)
                        | (usize::from(p[2]) << 8)
                        | usize::from(p[3]);
                    if len > 512 {
                        // Session requests and keepalives are small; this is not NetBIOS.
                        return Probe::No;
                    }
                    match p.get(4 + len..) {
                        Some(r) => p = r,
                        None => return Probe::NeedMore,
                    }
                }
                _ => return Probe::No,
            }
        }
        if p.len() < 8 {
            return Probe::NeedMore;
        }
        let m = &p[4..8];
        if m == wire::SMB2_MAGIC {
            let resp = p.get(4 + 16).is_some_and(|f| f & 1 != 0);
            if p.len() < 4 + 17 {
                return Probe::NeedMore;
            }
            return match (dir, resp) {
                (Direction::ToServer, true) | (Direction::ToClient, false) => Probe::Reverse,
                _ => Probe::Yes,
            };
        }
        if m == wire::SMB1_MAGIC || m == wire::TRANSFORM_MAGIC || m == wire::COMPRESS_MAGIC {
            return Probe::Yes;
        }
        Probe::No
    }

    fn create(cfg: &AppConfig, _t: Transport) -> Self {
        SmbParser {
            dirs: [DirState::default(), DirState::default()],
            txs: Vec::new(),
            pending: Vec::new(),
            files: Vec::new(),
            trees: Vec::new(),
            smb1_dialect: Vec::new(),
            smb1_shares: Vec::new(),
            next_tx: 0,
            dialect: None,
            negotiated: false,
            max_tx: cfg.smb.max_tx.max(1),
            max_files: cfg.smb.max_open_files.max(1),
            max_record_buffer: cfg
                .smb
                .max_record_buffer
                .min(cfg.max_pending.saturating_sub(4)),
            max_name: cfg.smb.max_name_len,
        }
    }

    fn proto(&self) -> AppProto {
        AppProto::Smb
    }

    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        self.parse_stream(dir, data, cx)
    }

    fn gap(&mut self, dir: Direction, _len: u64, cx: &mut ParseCx<'_>) {
        cx.stats.smb.gaps += 1;
        let di = dir.index();
        self.dirs[di] = DirState {
            resync: true,
            ..DirState::default()
        };
        // Streams of this direction lose bytes: close them as gapped (new ones open later).
        let si = sidx(dir);
        for f in &mut self.files {
            if let Some((id, size)) = f.stream[si].take() {
                cx.sink.file_close(
                    cx.flow,
                    id,
                    &FileClose {
                        status: FileStatus::Gap,
                        size,
                    },
                );
            }
        }
    }

    fn close(&mut self, _dir: Direction, _tail: &[u8], _cx: &mut ParseCx<'_>) {}

    fn finish(&mut self, cx: &mut ParseCx<'_>) {
        // A file whose READ/WRITE data was still arriving when the flow ended is truncated.
        let cut: Vec<(u32, [u8; 16])> = self
            .dirs
            .iter()
            .filter(|d| d.data_left > 0)
            .filter_map(|d| d.data_to.map(|(t, f, _)| (t, f)))
            .collect();
        while let Some(f) = self.files.first() {
            let status = if cut.contains(&(f.tree, f.fid)) {
                FileStatus::Truncated
            } else {
                FileStatus::Complete
            };
            self.close_file(cx, 0, status);
        }
        let ids: Vec<u64> = self.txs.iter().map(|t| t.tx_id).collect();
        for id in ids {
            self.complete(cx, id);
        }
        self.pending.clear();
    }

    fn memory(&self) -> usize {
        self.txs.capacity() * std::mem::size_of::<SmbTx>()
            + self
                .txs
                .iter()
                .map(|t| t.filename.capacity() + t.share.capacity())
                .sum::<usize>()
            + self.files.capacity() * std::mem::size_of::<OpenFile>()
            + self.pending.capacity() * std::mem::size_of::<Pending>()
    }
}

/// Where a streamed READ/WRITE payload goes: (tree id, file id, stream index).
type Target = (u32, [u8; 16], usize);
/// Data of one message to stream: (offset in the message, length, target).
type DataSpan = (usize, u64, Target);
