//! One pcap or pcapng file read through pcap-parser's streaming readers.
//!
//! The reader keeps one ring buffer per file (128 KiB by default, grown only when a record needs
//! it, never beyond what [`CaptureOptions::max_caplen`] allows) and hands out packets that point
//! into it. pcap-parser parses the records; this module adds what it leaves to the caller:
//! per-interface link types and timestamp resolution/offset for pcapng, Simple Packet Block
//! snap lengths, the obsolete Packet Block, truncation versus corruption, and size limits.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{Block, LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};

use crate::error::describe_magic;
use crate::stats::{CaptureStats, FileStats, Progress};
use crate::types::{LinkType, Packet, Timestamp};
use crate::{CaptureError, PacketSource};

/// pcapng Section Header Block type (a byte palindrome, so endianness-free).
const SHB_TYPE: u32 = 0x0A0D_0D0A;
/// pcapng byte-order magic as read little-endian.
const BOM_LE: u32 = 0x1A2B_3C4D;
/// pcapng Interface Description Block.
const IDB_TYPE: u32 = 1;
/// Obsolete pcapng Packet Block.
const PB_TYPE: u32 = 2;
/// pcapng Simple Packet Block.
const SPB_TYPE: u32 = 3;
/// pcapng Enhanced Packet Block.
const EPB_TYPE: u32 = 6;
/// Room allowed beyond `max_caplen` for record headers and pcapng options.
const RECORD_OVERHEAD: usize = 64 * 1024;
/// Records longer than this are not skipped but reported as corruption: such a length field is
/// garbage, and skipping it would silently throw away the rest of the file.
const MAX_SKIP: u64 = 64 * 1024 * 1024;
/// Smallest read buffer accepted (enough for any file or record header).
const MIN_BUFFER: usize = 64;

/// Tuning for file readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaptureOptions {
    /// Initial read buffer size in bytes per file (at least 64). The buffer grows when a record
    /// needs it, up to `max_caplen` + 64 KiB.
    pub buffer_size: usize,
    /// Largest captured length delivered. Longer records are skipped and counted in
    /// [`CaptureStats::oversize`] (libpcap and Wireshark refuse them as corrupt).
    pub max_caplen: u32,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            buffer_size: 128 * 1024,
            max_caplen: 256 * 1024,
        }
    }
}

/// The on-disk format of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Classic libpcap format.
    Pcap {
        /// Big-endian headers.
        big_endian: bool,
        /// Nanosecond timestamps (magic `a1b23c4d`).
        nanos: bool,
        /// Kuznetzov's "modified" format (24-byte record headers, magic `a1b2cd34`).
        modified: bool,
    },
    /// pcapng (any number of sections and interfaces).
    PcapNg,
}

/// A pcapng interface: what its packets need to be interpreted.
#[derive(Clone, Copy, Debug)]
struct Iface {
    linktype: LinkType,
    snaplen: u32,
    /// Timestamp ticks per second (from `if_tsresol`, default 10^6).
    units: u64,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset: i64,
}

/// Parsing state and counters; separate from the reader so both can be borrowed at once.
struct State {
    path: PathBuf,
    format: FileFormat,
    /// Byte order of the current pcapng section or of the pcap file.
    big_endian: bool,
    /// Classic pcap: the file's link type.
    linktype: LinkType,
    /// Classic pcap: record header size (16, or 24 for the modified format).
    rec_hdr: usize,
    /// pcapng: interfaces of the current section, by interface id.
    ifaces: Vec<Iface>,
    max_caplen: u32,
    /// Timestamp of the last packet read (Simple Packet Blocks have none and reuse it).
    last_ts: Timestamp,
    counters: CaptureStats,
    file: FileStats,
}

/// What one parsed block amounts to, as plain data (no borrow of the buffer).
enum Step {
    /// Nothing to deliver; consume this many bytes.
    Consume(usize),
    /// A packet at `off..off + caplen` of the reader's current data.
    Packet {
        consume: usize,
        off: usize,
        caplen: usize,
        ts: Timestamp,
        linktype: LinkType,
        orig_len: u32,
    },
}

/// Where the main loop ended up.
struct Found {
    off: usize,
    caplen: usize,
    ts: Timestamp,
    linktype: LinkType,
    orig_len: u32,
}

/// A `Read` wrapper that retries `Interrupted` and keeps the real I/O error (pcap-parser only
/// reports that a read failed).
struct ErrReader<R> {
    inner: R,
    slot: Arc<Mutex<Option<io::Error>>>,
}

impl<R: Read> Read for ErrReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let kind = e.kind();
                    if let Ok(mut g) = self.slot.lock() {
                        *g = Some(e);
                    }
                    return Err(io::Error::from(kind));
                }
                ok => return ok,
            }
        }
    }
}

/// A pcap or pcapng file as a [`PacketSource`]. Streams: memory use is one buffer, whatever the
/// file size.
pub struct PcapFile {
    rdr: Option<Box<dyn PcapReaderIterator + Send>>,
    st: State,
    err_slot: Arc<Mutex<Option<io::Error>>>,
    /// Bytes of the packet handed out last, consumed on the next call.
    pending_consume: usize,
    /// Bytes still to skip of an oversize record, and where that record started.
    skip_remaining: u64,
    skip_start: u64,
    max_buffer: usize,
    done: bool,
    total: Option<u64>,
    source: u16,
    cnt: u64,
}

impl std::fmt::Debug for PcapFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapFile")
            .field("path", &self.st.path)
            .field("format", &self.st.format)
            .field("packets", &self.cnt)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl PcapFile {
    /// Opens a file with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        Self::open_with(path, &CaptureOptions::default())
    }

    /// Opens a file. Fails if it cannot be opened, is empty, or is not pcap/pcapng; a file cut
    /// inside its header opens fine, delivers nothing and reports truncation at offset 0.
    pub fn open_with(path: impl AsRef<Path>, opts: &CaptureOptions) -> Result<Self, CaptureError> {
        let path = path.as_ref();
        let open_err = |error| CaptureError::Open {
            path: path.to_path_buf(),
            error,
        };
        let f = File::open(path).map_err(open_err)?;
        let meta = f.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(open_err(io::Error::from(io::ErrorKind::IsADirectory)));
        }
        let total = meta.is_file().then_some(meta.len());
        Self::from_reader_with(f, path, total, opts)
    }

    /// Reads a capture from any reader (a pipe, a byte slice in a `Cursor`, a fuzzer's input).
    /// `name` is used in messages and stats.
    pub fn from_reader<R: Read + Send + 'static>(
        reader: R,
        name: impl Into<PathBuf>,
    ) -> Result<Self, CaptureError> {
        Self::from_reader_with(reader, name, None, &CaptureOptions::default())
    }

    /// [`PcapFile::from_reader`] with the total size (for progress) and options.
    pub fn from_reader_with<R: Read + Send + 'static>(
        reader: R,
        name: impl Into<PathBuf>,
        total: Option<u64>,
        opts: &CaptureOptions,
    ) -> Result<Self, CaptureError> {
        let path: PathBuf = name.into();
        let max_buffer = (opts.max_caplen as usize).saturating_add(RECORD_OVERHEAD + MIN_BUFFER);
        let cap = opts.buffer_size.clamp(MIN_BUFFER, max_buffer);
        let err_slot = Arc::new(Mutex::new(None));
        let mut rd = ErrReader {
            inner: reader,
            slot: Arc::clone(&err_slot),
        };
        let mut buf = circular::Buffer::with_capacity(cap);

        let read_err = |slot: &Arc<Mutex<Option<io::Error>>>, e: io::Error| {
            let error = slot.lock().ok().and_then(|mut g| g.take()).unwrap_or(e);
            CaptureError::Read {
                path: path.clone(),
                offset: 0,
                error,
            }
        };
        prefill(&mut rd, &mut buf, 4).map_err(|e| read_err(&err_slot, e))?;
        let head = buf.data();
        if head.is_empty() {
            return Err(CaptureError::Empty { path });
        }
        let magic = match head.get(..4) {
            Some(m) => u32::from_le_bytes([m[0], m[1], m[2], m[3]]),
            None => {
                return Err(CaptureError::NotPcap {
                    path,
                    magic: describe_magic(head),
                });
            }
        };
        let mut st = State {
            path: path.clone(),
            format: FileFormat::PcapNg,
            big_endian: false,
            linktype: LinkType(0),
            rec_hdr: 16,
            ifaces: Vec::new(),
            max_caplen: opts.max_caplen,
            last_ts: Timestamp(0),
            counters: CaptureStats {
                files: 1,
                ..CaptureStats::default()
            },
            file: FileStats {
                path: path.clone(),
                ..FileStats::default()
            },
        };
        let rdr: Option<Box<dyn PcapReaderIterator + Send>> = match magic {
            0xa1b2_c3d4 | 0xa1b2_3c4d | 0xa1b2_cd34 | 0xd4c3_b2a1 | 0x4d3c_b2a1 => {
                st.big_endian = magic & 0xffff == 0xb2a1;
                st.format = FileFormat::Pcap {
                    big_endian: st.big_endian,
                    nanos: magic == 0xa1b2_3c4d || magic == 0x4d3c_b2a1,
                    modified: magic == 0xa1b2_cd34,
                };
                prefill(&mut rd, &mut buf, 24).map_err(|e| read_err(&err_slot, e))?;
                if buf.available_data() < 24 {
                    None
                } else {
                    let r = LegacyPcapReader::from_buffer(buf, rd).map_err(|e| {
                        CaptureError::Corrupt {
                            path: path.clone(),
                            offset: 0,
                            reason: e.to_string(),
                        }
                    })?;
                    Some(Box::new(r))
                }
            }
            SHB_TYPE => {
                prefill(&mut rd, &mut buf, 12).map_err(|e| read_err(&err_slot, e))?;
                let d = buf.data();
                let be = match rd_u32(d, 8, false) {
                    Some(BOM_LE) => Some(false),
                    Some(b) if b == BOM_LE.swap_bytes() => Some(true),
                    Some(b) => {
                        return Err(CaptureError::NotPcap {
                            path,
                            magic: format!(
                                "0a 0d 0d 0a; pcapng magic but byte-order magic {b:08x} is invalid"
                            ),
                        });
                    }
                    None => None,
                };
                match be.and_then(|be| rd_u32(d, 4, be)) {
                    None => None,
                    Some(len) => {
                        if len < 28
                            || !len.is_multiple_of(4)
                            || len as usize > max_buffer - MIN_BUFFER
                        {
                            return Err(CaptureError::Corrupt {
                                path,
                                offset: 0,
                                reason: format!("section header block length {len} is invalid"),
                            });
                        }
                        buf.grow(len as usize + MIN_BUFFER);
                        prefill(&mut rd, &mut buf, len as usize)
                            .map_err(|e| read_err(&err_slot, e))?;
                        if buf.available_data() < len as usize {
                            None
                        } else {
                            let r = PcapNGReader::from_buffer(buf, rd).map_err(|e| {
                                CaptureError::Corrupt {
                                    path: path.clone(),
                                    offset: 0,
                                    reason: format!("bad section header block ({e})"),
                                }
                            })?;
                            Some(Box::new(r))
                        }
                    }
                }
            }
            _ => {
                return Err(CaptureError::NotPcap {
                    path,
                    magic: describe_magic(head),
                });
            }
        };
        let mut f = PcapFile {
            done: rdr.is_none(),
            rdr,
            st,
            err_slot,
            pending_consume: 0,
            skip_remaining: 0,
            skip_start: 0,
            max_buffer,
            total,
            source: 0,
            cnt: 0,
        };
        if f.done {
            // Cut inside the file header: a capture killed right after it started.
            f.st.file.truncated = Some(0);
            f.st.counters.truncated = 1;
        }
        Ok(f)
    }

    /// Sets `Packet::source` for the packets of this file (default 0).
    pub fn set_source(&mut self, source: u16) {
        self.source = source;
    }

    /// The file name given at open.
    pub fn path(&self) -> &Path {
        &self.st.path
    }

    /// The file's format.
    pub fn format(&self) -> FileFormat {
        self.st.format
    }

    /// Classic pcap: the file's link type. pcapng: the link type of interface 0 of the current
    /// section, once read. `None` before that.
    pub fn linktype(&self) -> Option<LinkType> {
        match self.st.format {
            FileFormat::Pcap { .. } if self.rdr.as_ref().is_some_and(|r| r.consumed() > 0) => {
                Some(self.st.linktype)
            }
            FileFormat::Pcap { .. } => None,
            FileFormat::PcapNg => self.st.ifaces.first().map(|i| i.linktype),
        }
    }

    /// Where the file was cut, if it ends inside a record (see [`FileStats::truncated`]).
    pub fn truncated_at(&self) -> Option<u64> {
        self.st.file.truncated
    }

    /// This file's summary.
    pub fn file_stats(&self) -> &FileStats {
        &self.st.file
    }

    fn consumed(&self) -> u64 {
        self.rdr.as_ref().map_or(0, |r| r.consumed() as u64)
    }

    /// Ends the file with an error, counting it.
    fn fail(&mut self, e: CaptureError) -> CaptureError {
        self.done = true;
        self.st.counters.errors += 1;
        self.st.file.error = Some(e.to_string());
        e
    }

    fn corrupt(&mut self, offset: u64, reason: String) -> CaptureError {
        let e = CaptureError::Corrupt {
            path: self.st.path.clone(),
            offset,
            reason,
        };
        self.fail(e)
    }

    fn read_error(&mut self) -> CaptureError {
        let offset = self.consumed();
        let error = self
            .err_slot
            .lock()
            .ok()
            .and_then(|mut g| g.take())
            .unwrap_or_else(|| io::Error::other("read failed"));
        let e = CaptureError::Read {
            path: self.st.path.clone(),
            offset,
            error,
        };
        self.fail(e)
    }

    fn truncate(&mut self, offset: u64) {
        self.done = true;
        self.st.file.truncated = Some(offset);
        self.st.counters.truncated = 1;
    }

    /// Runs the reader until a packet is found (or the file ends/fails).
    fn advance(&mut self) -> Result<Option<Found>, CaptureError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(rdr) = self.rdr.as_mut() else {
                self.done = true;
                return Ok(None);
            };
            if self.pending_consume > 0 {
                rdr.consume(self.pending_consume);
                self.pending_consume = 0;
            }
            if self.skip_remaining > 0 {
                let n = (rdr.data().len() as u64).min(self.skip_remaining);
                rdr.consume(n as usize);
                self.skip_remaining -= n;
                if self.skip_remaining > 0 {
                    if rdr.reader_exhausted() {
                        let at = self.skip_start;
                        self.truncate(at);
                        return Ok(None);
                    }
                    if rdr.refill().is_err() {
                        return Err(self.read_error());
                    }
                }
                continue;
            }
            let offset = rdr.consumed() as u64;
            if self.st.format == FileFormat::PcapNg
                && let Some(l) = self.st.peek_len(rdr.data())
                && l < 12
            {
                // pcap-parser 0.17 subtracts 12 from the block length unchecked (overflow on
                // some block types), so impossible lengths are stopped here.
                let reason = format!(
                    "{}: block length below the 12-byte minimum",
                    self.st.describe(rdr.data())
                );
                return Err(self.corrupt(offset, reason));
            }
            let base = rdr.data().as_ptr() as usize;
            let outcome = match rdr.next() {
                Ok((len, block)) => Ok(self.st.handle(len, block, base, offset)),
                Err(PcapError::Eof) => {
                    self.done = true;
                    return Ok(None);
                }
                Err(
                    PcapError::Incomplete(_) | PcapError::BufferTooSmall | PcapError::UnexpectedEof,
                ) => Err(None),
                Err(PcapError::ReadError) => return Err(self.read_error()),
                Err(PcapError::HeaderNotRecognized) => {
                    Err(Some("header not recognized".to_string()))
                }
                Err(PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k)) => {
                    Err(Some(format!("parser check {k:?} failed")))
                }
            };
            match outcome {
                Ok(Ok(Step::Consume(n))) => {
                    // Re-borrow: `handle` needed `self.st` while `rdr` was borrowed.
                    if let Some(r) = self.rdr.as_mut() {
                        r.consume(n);
                    }
                }
                Ok(Ok(Step::Packet {
                    consume,
                    off,
                    caplen,
                    ts,
                    linktype,
                    orig_len,
                })) => {
                    self.pending_consume = consume;
                    return Ok(Some(Found {
                        off,
                        caplen,
                        ts,
                        linktype,
                        orig_len,
                    }));
                }
                Ok(Err(reason)) => return Err(self.corrupt(offset, reason)),
                Err(Some(why)) => {
                    let data = self.rdr.as_ref().map_or(&[][..], |r| r.data());
                    let reason = format!("{}: {why}", self.st.describe(data));
                    return Err(self.corrupt(offset, reason));
                }
                Err(None) => self.need_more(offset)?,
            }
        }
    }

    /// The parser wants more bytes than the buffer holds: refill, grow, skip an oversize record,
    /// detect truncation, or detect a record that is complete yet inconsistent.
    fn need_more(&mut self, offset: u64) -> Result<(), CaptureError> {
        let Some(rdr) = self.rdr.as_mut() else {
            self.done = true;
            return Ok(());
        };
        let data = rdr.data();
        let avail = data.len() as u64;
        let declared = self.st.peek_len(data);
        match declared {
            Some(l) if l <= avail => {
                let reason = format!(
                    "{}: contents overrun the record length",
                    self.st.describe(data)
                );
                Err(self.corrupt(offset, reason))
            }
            Some(l) if l > (self.max_buffer - MIN_BUFFER) as u64 => {
                if l > MAX_SKIP {
                    let reason = format!("{}: implausible record length", self.st.describe(data));
                    return Err(self.corrupt(offset, reason));
                }
                if self.st.is_packet_record(data) {
                    self.st.counters.oversize += 1;
                } else {
                    self.st.counters.blocks_skipped += 1;
                }
                self.skip_remaining = l;
                self.skip_start = offset;
                Ok(())
            }
            _ => {
                if rdr.reader_exhausted() {
                    self.truncate(offset);
                    return Ok(());
                }
                if let Some(l) = declared {
                    // Fits the limit (checked above), so this growth is bounded.
                    rdr.grow(l as usize + MIN_BUFFER);
                }
                if rdr.refill().is_err() {
                    return Err(self.read_error());
                }
                Ok(())
            }
        }
    }
}

impl State {
    fn u32(&self, d: &[u8], at: usize) -> Option<u32> {
        rd_u32(d, at, self.big_endian)
    }

    /// Declared total length of the record/block at the start of `d`, when its header is there.
    fn peek_len(&self, d: &[u8]) -> Option<u64> {
        match self.format {
            FileFormat::Pcap { .. } => {
                if d.len() < self.rec_hdr {
                    return None;
                }
                Some(self.rec_hdr as u64 + u64::from(self.u32(d, 8)?))
            }
            FileFormat::PcapNg => {
                let be = if rd_u32(d, 0, false)? == SHB_TYPE {
                    rd_u32(d, 8, false)? != BOM_LE
                } else {
                    self.big_endian
                };
                rd_u32(d, 4, be).map(u64::from)
            }
        }
    }

    fn is_packet_record(&self, d: &[u8]) -> bool {
        match self.format {
            FileFormat::Pcap { .. } => true,
            FileFormat::PcapNg => {
                matches!(self.u32(d, 0), Some(PB_TYPE | SPB_TYPE | EPB_TYPE))
            }
        }
    }

    /// A short description of the record header at the start of `d`, for error messages.
    fn describe(&self, d: &[u8]) -> String {
        match self.format {
            FileFormat::Pcap { .. } => match (self.u32(d, 8), self.u32(d, 12)) {
                (Some(c), Some(o)) => format!("record (caplen {c}, origlen {o})"),
                _ => "record".to_string(),
            },
            FileFormat::PcapNg => {
                let be = if rd_u32(d, 0, false) == Some(SHB_TYPE) {
                    rd_u32(d, 8, false) != Some(BOM_LE)
                } else {
                    self.big_endian
                };
                match (rd_u32(d, 0, be), rd_u32(d, 4, be)) {
                    (Some(t), Some(l)) => format!("block type 0x{t:08x} (length {l})"),
                    _ => "block".to_string(),
                }
            }
        }
    }

    /// Interprets one parsed block. `base` is the address of the reader's data when the block
    /// was parsed (packet bytes are returned as offsets from it); `offset` is its file offset.
    fn handle(
        &mut self,
        len: usize,
        block: PcapBlockOwned<'_>,
        base: usize,
        offset: u64,
    ) -> Result<Step, String> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                // Upper bits may carry FCS information (LT_FCS_*); the link type is the rest.
                self.linktype = LinkType(h.network.0 as u32 & 0x03ff_ffff);
                self.rec_hdr = if h.is_modified_format() { 24 } else { 16 };
                Ok(Step::Consume(len))
            }
            PcapBlockOwned::Legacy(b) => {
                let nanos = matches!(self.format, FileFormat::Pcap { nanos: true, .. });
                let ts = if nanos {
                    Timestamp::from_nanos(i64::from(b.ts_sec), b.ts_usec)
                } else {
                    Timestamp::from_micros(i64::from(b.ts_sec), b.ts_usec)
                };
                let lt = self.linktype;
                self.packet(len, base, b.data, b.origlen, ts, lt)
            }
            PcapBlockOwned::NG(block) => self.handle_ng(len, block, base, offset),
        }
    }

    fn handle_ng(
        &mut self,
        len: usize,
        block: Block<'_>,
        base: usize,
        offset: u64,
    ) -> Result<Step, String> {
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.ifaces.clear();
                Ok(Step::Consume(len))
            }
            Block::InterfaceDescription(idb) => {
                let mut iface = Iface {
                    linktype: LinkType(u32::from(idb.linktype.0 as u16)),
                    snaplen: idb.snaplen,
                    units: 1_000_000,
                    offset: 0,
                };
                for opt in &idb.options {
                    let Ok(v) = opt.as_bytes() else { continue };
                    match opt.code.0 {
                        9 => match v.first().copied().and_then(tsresol_units) {
                            Some(u) => iface.units = u,
                            None => self.counters.bad_tsresol += 1,
                        },
                        14 => {
                            if let Ok(b) = <[u8; 8]>::try_from(v) {
                                iface.offset = if self.big_endian {
                                    i64::from_be_bytes(b)
                                } else {
                                    i64::from_le_bytes(b)
                                };
                            }
                        }
                        _ => {}
                    }
                }
                self.ifaces.push(iface);
                Ok(Step::Consume(len))
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = self.ifaces.get(epb.if_id as usize).copied() else {
                    self.counters.bad_interface += 1;
                    return Ok(Step::Consume(len));
                };
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let ts = ticks_to_ts(ticks, iface.units, iface.offset);
                self.packet(
                    len,
                    base,
                    epb.packet_data(),
                    epb.origlen,
                    ts,
                    iface.linktype,
                )
            }
            Block::SimplePacket(spb) => {
                // No timestamp and no interface id: interface 0, captured length bounded by its
                // snaplen (pcapng spec, Simple Packet Block). The time is that of the previous
                // packet (0 if none), so merges and timeouts see no jump back to 1970.
                let Some(iface) = self.ifaces.first().copied() else {
                    self.counters.bad_interface += 1;
                    return Ok(Step::Consume(len));
                };
                let mut data = spb.packet_data();
                if iface.snaplen != 0 {
                    data = data.get(..iface.snaplen as usize).unwrap_or(data);
                }
                let ts = self.last_ts;
                self.packet(len, base, data, spb.origlen, ts, iface.linktype)
            }
            Block::Unknown(ub) => {
                let bt = if self.big_endian {
                    ub.block_type.swap_bytes()
                } else {
                    ub.block_type
                };
                if bt == PB_TYPE {
                    self.packet_block(len, ub.data, base, offset)
                } else {
                    if bt != IDB_TYPE {
                        self.counters.blocks_skipped += 1;
                    }
                    Ok(Step::Consume(len))
                }
            }
            Block::NameResolution(_)
            | Block::InterfaceStatistics(_)
            | Block::SystemdJournalExport(_)
            | Block::DecryptionSecrets(_)
            | Block::ProcessInformation(_)
            | Block::Custom(_) => {
                self.counters.blocks_skipped += 1;
                Ok(Step::Consume(len))
            }
        }
    }

    /// The obsolete Packet Block (type 2). Hand-parsed: pcap-parser 0.17 returns it as an
    /// unknown block. Body: interface id (u16), drops (u16), timestamp high/low (u32 each),
    /// captured length, original length, data, options.
    fn packet_block(
        &mut self,
        len: usize,
        body: &[u8],
        base: usize,
        offset: u64,
    ) -> Result<Step, String> {
        let be = self.big_endian;
        let if_id = body.get(0..2).map(|b| {
            if be {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            }
        });
        let fields = (
            if_id,
            rd_u32(body, 4, be),
            rd_u32(body, 8, be),
            rd_u32(body, 12, be),
            rd_u32(body, 16, be),
        );
        let (Some(if_id), Some(hi), Some(lo), Some(caplen), Some(origlen)) = fields else {
            return Err(format!(
                "packet block at {offset} too short ({} bytes)",
                body.len()
            ));
        };
        let Some(data) = (caplen as usize)
            .checked_add(20)
            .and_then(|end| body.get(20..end))
        else {
            return Err(format!(
                "packet block captured length {caplen} overruns the block"
            ));
        };
        let Some(iface) = self.ifaces.get(usize::from(if_id)).copied() else {
            self.counters.bad_interface += 1;
            return Ok(Step::Consume(len));
        };
        let ts = ticks_to_ts(
            (u64::from(hi) << 32) | u64::from(lo),
            iface.units,
            iface.offset,
        );
        self.packet(len, base, data, origlen, ts, iface.linktype)
    }

    /// Applies the size checks and turns a packet slice into an offset into the reader's data.
    fn packet(
        &mut self,
        consume: usize,
        base: usize,
        data: &[u8],
        orig_len: u32,
        ts: Timestamp,
        linktype: LinkType,
    ) -> Result<Step, String> {
        let caplen = data.len();
        if caplen > self.max_caplen as usize {
            self.counters.oversize += 1;
            return Ok(Step::Consume(consume));
        }
        let mut orig_len = orig_len;
        if caplen as u64 > u64::from(orig_len) {
            self.counters.caplen_gt_origlen += 1;
            orig_len = caplen as u32; // caplen <= max_caplen, a u32
        }
        let Some(off) = (data.as_ptr() as usize).checked_sub(base) else {
            return Err("internal: packet data outside the read buffer".to_string());
        };
        self.last_ts = ts;
        Ok(Step::Packet {
            consume,
            off,
            caplen,
            ts,
            linktype,
            orig_len,
        })
    }
}

impl PacketSource for PcapFile {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let Some(f) = self.advance()? else {
            return Ok(None);
        };
        let end = f.off.checked_add(f.caplen);
        let in_buffer = self
            .rdr
            .as_ref()
            .is_some_and(|r| end.is_some_and(|e| e <= r.data().len()));
        if !in_buffer {
            let offset = self.consumed();
            return Err(self.corrupt(offset, "internal: packet outside the read buffer".into()));
        }
        let Some(data) = self.rdr.as_ref().and_then(|r| r.data().get(f.off..end?)) else {
            return Ok(None);
        };
        self.cnt += 1;
        self.st.counters.packets += 1;
        self.st.counters.bytes += data.len() as u64;
        self.st.file.packets += 1;
        self.st.file.bytes += data.len() as u64;
        Ok(Some(Packet {
            ts: f.ts,
            linktype: f.linktype,
            data,
            orig_len: f.orig_len,
            pcap_cnt: self.cnt,
            source: self.source,
        }))
    }

    fn stats(&self) -> CaptureStats {
        let mut s = self.st.counters.clone();
        s.per_file = vec![self.st.file.clone()];
        s
    }

    fn progress(&self) -> Progress {
        let done = if self.done {
            self.total.unwrap_or_else(|| self.consumed())
        } else {
            self.consumed() + self.pending_consume as u64
        };
        Progress {
            done,
            total: self.total,
        }
    }
}

/// Reads until `buf` holds at least `want` bytes or the reader is at its end.
fn prefill<R: Read>(rd: &mut R, buf: &mut circular::Buffer, want: usize) -> io::Result<()> {
    if buf.capacity() < want {
        buf.grow(want);
    }
    while buf.available_data() < want {
        let n = rd.read(buf.space())?;
        if n == 0 {
            break;
        }
        buf.fill(n);
    }
    Ok(())
}

fn rd_u32(d: &[u8], at: usize, be: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// Ticks per second for an `if_tsresol` value: MSB clear = 10^-v s, set = 2^-(v & 0x7f) s.
fn tsresol_units(v: u8) -> Option<u64> {
    if v & 0x80 == 0 {
        10u64.checked_pow(u32::from(v))
    } else {
        let e = v & 0x7f;
        (e <= 63).then(|| 1u64 << e)
    }
}

/// A pcapng timestamp (ticks since the epoch, minus `if_tsoffset` seconds) in nanoseconds.
fn ticks_to_ts(ticks: u64, units: u64, offset_secs: i64) -> Timestamp {
    let units = units.max(1);
    let secs = i128::from(ticks / units) + i128::from(offset_secs);
    let frac_ns = u128::from(ticks % units) * 1_000_000_000 / u128::from(units);
    let ns = secs * 1_000_000_000 + frac_ns as i128;
    Timestamp(ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

#[cfg(test)]
mod tests;
