//! SMB1 (`NT LM 0.12`) beyond NEGOTIATE: SESSION_SETUP_ANDX (NTLMSSP), TREE_CONNECT_ANDX (share),
//! NT_CREATE_ANDX (file name, times, size, FID), READ_ANDX / WRITE_ANDX (file data streamed as
//! SMB2's is), CLOSE, and every other command as a request/response transaction with its
//! status, as Suricata 7 logs them.
//!
//! Hand-rolled like the SMB2 part (see `wire.rs`): no maintained Rust crate parses SMB1
//! messages zero-copy and without panicking on hostile input; the SMB1 header and the few word
//! blocks read here are fixed little-endian layouts ([MS-CIFS] 2.2.3.1, 2.2.4). Only the first
//! command of an AndX chain is read; SMB1 records larger than `smb.max_record_buffer` are
//! skipped (counted), not streamed.

use super::wire::{self, Smb2Header, u16le, u32le, u64le};
use super::{NO_TX, Pending, SmbEvent, SmbParser, sidx};
use crate::parser::ParseCx;
use crate::sink::FileStatus;
use crate::types::Direction;

/// Size of the SMB1 header.
const HDR1: usize = 32;
/// `flags2`: strings are UTF-16LE.
const FLAGS2_UNICODE: u16 = 0x8000;

/// Suricata's name of an SMB1 command (`SMB1_COMMAND_...`).
pub fn smb1_command_name(c: u8) -> &'static str {
    match c {
        0x00 => "SMB1_COMMAND_CREATE_DIRECTORY",
        0x01 => "SMB1_COMMAND_DELETE_DIRECTORY",
        0x02 => "SMB1_COMMAND_OPEN",
        0x03 => "SMB1_COMMAND_CREATE",
        0x04 => "SMB1_COMMAND_CLOSE",
        0x05 => "SMB1_COMMAND_FLUSH",
        0x06 => "SMB1_COMMAND_DELETE",
        0x07 => "SMB1_COMMAND_RENAME",
        0x08 => "SMB1_COMMAND_QUERY_INFORMATION",
        0x09 => "SMB1_COMMAND_SET_INFORMATION",
        0x0a => "SMB1_COMMAND_READ",
        0x0b => "SMB1_COMMAND_WRITE",
        0x10 => "SMB1_COMMAND_CHECK_DIRECTORY",
        0x24 => "SMB1_COMMAND_LOCKING_ANDX",
        0x25 => "SMB1_COMMAND_TRANS",
        0x2b => "SMB1_COMMAND_ECHO",
        0x2d => "SMB1_COMMAND_OPEN_ANDX",
        0x2e => "SMB1_COMMAND_READ_ANDX",
        0x2f => "SMB1_COMMAND_WRITE_ANDX",
        0x32 => "SMB1_COMMAND_TRANS2",
        0x34 => "SMB1_COMMAND_FIND_CLOSE2",
        0x71 => "SMB1_COMMAND_TREE_DISCONNECT",
        0x72 => "SMB1_COMMAND_NEGOTIATE_PROTOCOL",
        0x73 => "SMB1_COMMAND_SESSION_SETUP_ANDX",
        0x74 => "SMB1_COMMAND_LOGOFF_ANDX",
        0x75 => "SMB1_COMMAND_TREE_CONNECT_ANDX",
        0xa0 => "SMB1_COMMAND_NT_TRANS",
        0xa2 => "SMB1_COMMAND_NT_CREATE_ANDX",
        0xa4 => "SMB1_COMMAND_NT_CANCEL",
        _ => "SMB1_COMMAND_UNKNOWN",
    }
}

/// The fixed SMB1 header fields used here.
#[derive(Clone, Copy, Debug)]
struct Hdr1 {
    cmd: u8,
    status: u32,
    response: bool,
    unicode: bool,
    tid: u16,
    pid: u16,
    uid: u16,
    mid: u16,
}

impl Hdr1 {
    fn parse(m: &[u8]) -> Option<Hdr1> {
        if m.len() < HDR1 + 1 {
            return None;
        }
        let flags2 = u16le(m, 10)?;
        Some(Hdr1 {
            cmd: *m.get(4)?,
            status: u32le(m, 5)?,
            response: m.get(9)? & 0x80 != 0,
            unicode: flags2 & FLAGS2_UNICODE != 0,
            tid: u16le(m, 24)?,
            pid: u16le(m, 26)?,
            uid: u16le(m, 28)?,
            mid: u16le(m, 30)?,
        })
    }
    /// Pairs a response with its request (MID and PID).
    fn key(&self) -> u64 {
        u64::from(self.mid) | (u64::from(self.pid) << 16) | (1 << 40)
    }
}

/// The parameter words (`wc * 2` bytes from offset 33) and the data bytes of a message, with
/// the offset of the data bytes from the header start.
fn blocks(m: &[u8]) -> (&[u8], &[u8], usize) {
    let wc = usize::from(m.get(HDR1).copied().unwrap_or(0));
    let wend = (HDR1 + 1 + wc * 2).min(m.len());
    let words = m.get(HDR1 + 1..wend).unwrap_or_default();
    let bc = usize::from(u16le(m, wend).unwrap_or(0));
    let bstart = wend + 2;
    let bytes = m.get(bstart..).unwrap_or_default();
    (
        words,
        bytes.get(..bc.min(bytes.len())).unwrap_or_default(),
        bstart,
    )
}

/// An SMB1 string starting `at` in `bytes` (whose first byte lies `base` bytes into the
/// message): UTF-16LE aligned to an even message offset when `unicode`, else ASCII; ends at
/// the terminator. Decoded into `out` (cleared), at most `cap` bytes.
fn smb1_string(
    bytes: &[u8],
    base: usize,
    at: usize,
    unicode: bool,
    cap: usize,
    out: &mut Vec<u8>,
) -> usize {
    out.clear();
    let mut at = at;
    if unicode {
        if (base + at) % 2 == 1 {
            at += 1;
        }
        let s = bytes.get(at..).unwrap_or_default();
        let n = s
            .chunks_exact(2)
            .position(|c| c == [0, 0])
            .map_or(s.len() & !1, |i| i * 2);
        wire::utf16le(s.get(..n).unwrap_or_default(), cap, out);
        at + n + 2
    } else {
        let s = bytes.get(at..).unwrap_or_default();
        let n = memchr::memchr(0, s).unwrap_or(s.len());
        out.extend_from_slice(s.get(..n.min(cap)).unwrap_or_default());
        at + n + 1
    }
}

/// A 2-byte SMB1 FID as the parser's 16-byte file key (wire order in the first two bytes).
fn fid_key(words: &[u8], at: usize) -> Option<[u8; 16]> {
    let a = words.get(at..at + 2)?;
    let mut k = [0u8; 16];
    k[0] = a[0];
    k[1] = a[1];
    Some(k)
}

fn header_of(h: &Hdr1, session: bool) -> Smb2Header {
    Smb2Header {
        status: 0,
        command: u16::from(h.cmd) << 8,
        flags: 0,
        next_command: 0,
        message_id: h.key(),
        tree_id: if session { u32::from(h.tid) } else { 0 },
        session_id: if session { u64::from(h.uid) } else { 0 },
    }
}

impl SmbParser {
    /// An SMB1 message other than NEGOTIATE.
    pub(super) fn smb1_message(&mut self, dir: Direction, msg: &[u8], cx: &mut ParseCx<'_>) {
        let Some(h) = Hdr1::parse(msg) else {
            cx.stats.smb.malformed += 1;
            self.event(cx, dir, None, SmbEvent::MalformedData);
            return;
        };
        match (h.response, dir) {
            (false, Direction::ToServer) => self.smb1_request(&h, msg, cx),
            (true, Direction::ToClient) => self.smb1_response(&h, msg, cx),
            (false, Direction::ToClient) => self.event(cx, dir, None, SmbEvent::RequestToClient),
            (true, Direction::ToServer) => self.event(cx, dir, None, SmbEvent::ResponseToServer),
        }
    }

    fn smb1_request(&mut self, h: &Hdr1, msg: &[u8], cx: &mut ParseCx<'_>) {
        let (words, bytes, bstart) = blocks(msg);
        let cap = self.max_name;
        match h.cmd {
            // WRITE_ANDX: the data goes to the file's write stream (a file transaction).
            0x2f => {
                let (Some(fid), Some(len), Some(doff)) =
                    (fid_key(words, 4), u16le(words, 20), u16le(words, 22))
                else {
                    return;
                };
                let hi = u16le(words, 18).unwrap_or(0);
                let len = usize::from(len) | (usize::from(hi) << 16);
                let tree = u32::from(h.tid);
                let Some(fi) = self.file_for(cx, tree, fid) else {
                    return;
                };
                self.smb1_file_tx(cx, fi, sidx(Direction::ToServer), h);
                let doff = usize::from(doff);
                let end = doff.saturating_add(len).min(msg.len());
                if let Some(d) = msg.get(doff..end) {
                    self.file_data(cx, fi, sidx(Direction::ToServer), d);
                }
            }
            // READ_ANDX: the response carries the data.
            0x2e => {
                if let Some(fid) = fid_key(words, 4) {
                    self.push_pending(Pending {
                        message_id: h.key(),
                        tx_id: NO_TX,
                        read_file: Some((u32::from(h.tid), fid)),
                        file_tx: true,
                    });
                }
            }
            _ => {
                let t = self.new_tx(cx, &header_of(h, true));
                let mut ev = None;
                if let Some(tx) = self.tx_mut(t) {
                    tx.smb1 = true;
                    tx.request_done = true;
                    match h.cmd {
                        // Extended security: the blob follows the parameter words.
                        0x73 if words.len() >= 24 => {
                            let l = usize::from(u16le(words, 14).unwrap_or(0));
                            if let Some(blob) = bytes.get(..l) {
                                match wire::ntlmssp_auth(blob, cap) {
                                    Ok(n) => tx.ntlmssp = n,
                                    Err(()) => ev = Some(SmbEvent::MalformedNtlmsspRequest),
                                }
                            }
                        }
                        0x75 => {
                            let pw = usize::from(u16le(words, 6).unwrap_or(0));
                            smb1_string(bytes, bstart, pw, h.unicode, cap, &mut tx.share);
                            // Suricata logs `\\server\share` with one leading backslash.
                            if tx.share.starts_with(b"\\\\") {
                                tx.share.remove(0);
                            }
                        }
                        0xa2 => {
                            tx.disposition = u32le(words, 35);
                            tx.delete_on_close = u32le(words, 39).unwrap_or(0) & 0x1000 != 0;
                            smb1_string(bytes, bstart, 0, h.unicode, cap, &mut tx.filename);
                        }
                        0x04 => tx.file_id = fid_key(words, 0),
                        _ => {}
                    }
                }
                if let Some(e) = ev {
                    self.event(cx, Direction::ToServer, Some(t), e);
                }
                self.push_pending(Pending {
                    message_id: h.key(),
                    tx_id: t,
                    read_file: None,
                    file_tx: false,
                });
            }
        }
    }

    fn smb1_response(&mut self, h: &Hdr1, msg: &[u8], cx: &mut ParseCx<'_>) {
        let Some(pos) = self.pending.iter().position(|p| p.message_id == h.key()) else {
            cx.stats.smb.unmatched_responses += 1;
            return;
        };
        let p = self.pending.remove(pos);
        let (words, _bytes, _) = blocks(msg);
        if let Some((tree, fid)) = p.read_file {
            // READ_ANDX response: DataLength at word offset 10, DataOffset at 12.
            if h.status != 0 {
                return;
            }
            let (Some(len), Some(doff)) = (u16le(words, 10), u16le(words, 12)) else {
                return;
            };
            let hi = u16le(words, 14).unwrap_or(0);
            let len = usize::from(len) | (usize::from(hi) << 16);
            let Some(fi) = self.file_for(cx, tree, fid) else {
                return;
            };
            self.smb1_file_tx(cx, fi, sidx(Direction::ToClient), h);
            let doff = usize::from(doff);
            let end = doff.saturating_add(len).min(msg.len());
            if let Some(d) = msg.get(doff..end) {
                self.file_data(cx, fi, sidx(Direction::ToClient), d);
            }
            return;
        }
        let t = p.tx_id;
        let mut close = None;
        let mut open = None;
        let mut share = None;
        if let Some(tx) = self.tx_mut(t) {
            tx.status = Some(h.status);
            tx.response_done = true;
            tx.session_id = u64::from(h.uid);
            tx.tree_id = u32::from(h.tid);
            let ok = h.status == 0;
            match h.cmd {
                0xa2 if ok && words.len() >= 63 => {
                    tx.file_id = fid_key(words, 5);
                    tx.times = Some([
                        u64le(words, 11).unwrap_or(0),
                        u64le(words, 19).unwrap_or(0),
                        u64le(words, 27).unwrap_or(0),
                        u64le(words, 35).unwrap_or(0),
                    ]);
                    tx.size = u64le(words, 55);
                    if let Some(f) = tx.file_id {
                        open = Some((u32::from(h.tid), f, tx.filename.clone()));
                    }
                }
                0x75 if ok => share = Some((u32::from(h.tid), tx.share.clone())),
                0x04 => close = tx.file_id.map(|f| (u32::from(h.tid), f)),
                _ => {}
            }
        }
        if let Some((tree, fid, name)) = open
            && let Some(fi) = self.file_for(cx, tree, fid)
            && let Some(f) = self.files.get_mut(fi)
        {
            f.name = name;
        }
        if let Some((tree, s)) = share {
            self.smb1_shares.retain(|(t, _)| *t != tree);
            if self.smb1_shares.len() < self.max_files {
                self.smb1_shares.push((tree, s));
            }
        }
        if let Some((tree, fid)) = close
            && let Some(fi) = self.file_index(tree, &fid)
        {
            self.close_file(cx, fi, FileStatus::Complete);
        }
        self.complete(cx, t);
    }

    /// The SMB1 file transaction of open file `fi` in stream `si` (Suricata logs it with
    /// session and tree id 0, the file name, the tree's share and the FID).
    fn smb1_file_tx(&mut self, cx: &mut ParseCx<'_>, fi: usize, si: usize, h: &Hdr1) {
        let fresh = self.files.get(fi).and_then(|f| f.tx[si]).is_none();
        let t = self.file_tx(cx, fi, si, &header_of(h, false));
        if !fresh {
            return;
        }
        let tree = self.files.get(fi).map_or(0, |f| f.tree);
        let share = self
            .smb1_shares
            .iter()
            .find(|(t, _)| *t == tree)
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        if let Some(tx) = self.tx_mut(t) {
            tx.smb1 = true;
            tx.share = share;
            tx.command = u16::from(h.cmd) << 8;
        }
    }
}
