//! The per-worker file tracker: a [`FileSink`] that hashes, types, optionally stores and fans
//! out every body stream, and queues a [`TrackedFile`] record for each one that ends.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hashbrown::HashMap;
use md5::{Digest, Md5};
use sekimori_app::{
    AppProto, Direction, FileClose, FileId, FileKind, FileOpen, FileSink, FileStatus, FlowCtx,
};
use sha1::Sha1;
use sha2::Sha256;

use crate::error::FileError;
use crate::magic::{self, HEAD_LEN, TextStats};
use crate::store::{self, Pending, StoreConfig};

/// The final state of a file, named as Suricata writes it in `fileinfo.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileState {
    /// Every byte was seen.
    Closed,
    /// The stream stopped early (a cap, a gap, the flow ended, or the file was evicted).
    Truncated,
    /// The file failed (Suricata's `ERROR`; not produced for HTTP bodies, whose decoding
    /// errors close the file as `CLOSED` with the rest delivered undecoded).
    Error,
}

impl FileState {
    /// `CLOSED`, `TRUNCATED` or `ERROR`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FileState::Closed => "CLOSED",
            FileState::Truncated => "TRUNCATED",
            FileState::Error => "ERROR",
        }
    }
}

/// Which digests to compute (Suricata's `force-hash`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hashes {
    /// MD5.
    pub md5: bool,
    /// SHA-1.
    pub sha1: bool,
    /// SHA-256 (always computed when the filestore is on: it names the stored file).
    pub sha256: bool,
}

impl Default for Hashes {
    fn default() -> Self {
        Hashes {
            md5: true,
            sha1: true,
            sha256: true,
        }
    }
}

/// Configuration of a [`FileTracker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileConfig {
    /// Digests to compute.
    pub hashes: Hashes,
    /// Determine the content type (`force-magic`).
    pub magic: bool,
    /// Most files open at once; opening one more evicts the oldest as `TRUNCATED`.
    pub max_open: usize,
    /// Store files to disk. Which files are kept is decided as Suricata's filestore does: every
    /// file with [`FileConfig::force_store`], else the files a `filestore` rule asked for (see
    /// [`FileTracker::settle`], [`FileTracker::store_tx`], [`FileTracker::store_flow`]).
    pub store: Option<StoreConfig>,
    /// Store every file (Suricata's `file-store.force-filestore`).
    pub force_store: bool,
    /// Where an HTTP body file ends when it is not stored (Suricata's libhtp body limits).
    pub http_body_limits: HttpBodyLimits,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            hashes: Hashes::default(),
            magic: true,
            max_open: 4096,
            store: None,
            force_store: false,
            http_body_limits: HttpBodyLimits::default(),
        }
    }
}

/// Suricata carries an HTTP body into its file only up to libhtp's `request-body-limit` /
/// `response-body-limit`: the data chunk that reaches the limit is cut at it, and any later
/// data ends the file as `TRUNCATED` (a body that ends with that chunk stays `CLOSED`). Files
/// to be stored (forced, or asked for by a `filestore` rule) are not limited, nor are form
/// parts. 0 = unlimited; the default is unlimited. Only the file record (size, hashes, magic,
/// store) is affected: content observers and the layers beside the tracker (DLP, YARA) still
/// see the whole body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpBodyLimits {
    /// Bytes of a request body (upload).
    pub request: u64,
    /// Bytes of a response body (download).
    pub response: u64,
}

/// A file that has ended: everything EVE's `fileinfo` needs (no serde; the EVE layer formats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedFile {
    /// The flow's id.
    pub flow_id: u64,
    /// The stream id within the flow.
    pub id: FileId,
    /// The protocol that carried it.
    pub proto: AppProto,
    /// The transaction it belongs to.
    pub tx_id: u64,
    /// `ToServer` for uploads, `ToClient` for downloads.
    pub dir: Direction,
    /// What the stream was.
    pub kind: FileKind,
    /// The file name (Content-Disposition filename or URI path).
    pub name: Vec<u8>,
    /// Form field name, for form parts.
    pub field: Vec<u8>,
    /// Declared content type.
    pub content_type: Vec<u8>,
    /// Size announced by the protocol.
    pub declared_len: Option<u64>,
    /// Bytes seen.
    pub size: u64,
    /// How it ended.
    pub state: FileState,
    /// Bytes were missing.
    pub gaps: bool,
    /// Content type description; `None` for empty files or when magic is off.
    pub magic: Option<String>,
    /// MD5 digest, when computed.
    pub md5: Option<[u8; 16]>,
    /// SHA-1 digest, when computed.
    pub sha1: Option<[u8; 20]>,
    /// SHA-256 digest, when computed.
    pub sha256: Option<[u8; 32]>,
    /// Where the filestore put it (`Some` means `stored: true`).
    pub stored: Option<PathBuf>,
    /// The file is to be stored (forced, or asked for by a `filestore` rule) but is not in the
    /// filestore yet (Suricata's alert `files[].storing`).
    pub storing: bool,
    /// Number of the file among the stored ones (1-based; EVE `file_id` of stored files).
    pub store_id: Option<u64>,
    /// The app-layer object of the file's transaction as it was last given to
    /// [`FileTracker::set_app_object`] before the file ended: (key, JSON object), e.g.
    /// `("http", {...})`, for the `fileinfo` record.
    pub app_object: Option<(&'static str, Vec<u8>)>,
    /// Per-tracker sequence number of the file (1-based, in opening order; EVE `file_id`).
    pub seq: u64,
}

/// Lower-case hex of a digest.
pub fn hex(d: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(d.len() * 2);
    for &b in d {
        s.push(char::from(H[usize::from(b >> 4)]));
        s.push(char::from(H[usize::from(b & 15)]));
    }
    s
}

impl TrackedFile {
    /// MD5 as lower-case hex.
    pub fn md5_hex(&self) -> Option<String> {
        self.md5.as_ref().map(|d| hex(d))
    }
    /// SHA-1 as lower-case hex.
    pub fn sha1_hex(&self) -> Option<String> {
        self.sha1.as_ref().map(|d| hex(d))
    }
    /// SHA-256 as lower-case hex.
    pub fn sha256_hex(&self) -> Option<String> {
        self.sha256.as_ref().map(|d| hex(d))
    }
}

/// Receives the content of every file as it streams (DLP, YARA, ...). Observers see files in
/// the order of the calls the tracker receives; `close` gets the finished record.
pub trait FileObserver {
    /// A file starts.
    fn open(&mut self, flow: &FlowCtx<'_>, file: &FileOpen<'_>);
    /// The next bytes of file `id` of flow `flow_id`.
    fn data(&mut self, flow_id: u64, id: FileId, data: &[u8]);
    /// The file ended (normally, or evicted/flushed by the tracker).
    fn close(&mut self, file: &TrackedFile);
}

/// Counters of a [`FileTracker`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Files opened.
    pub opened: u64,
    /// Files closed (any state; includes evicted and flushed ones).
    pub closed: u64,
    /// Closed with state `CLOSED`.
    pub complete: u64,
    /// Closed with state `TRUNCATED`.
    pub truncated: u64,
    /// Closed with state `ERROR`.
    pub errors: u64,
    /// Files whose content encoding could not be decoded (closed as `CLOSED`: the rest was
    /// delivered undecoded, as Suricata/libhtp does).
    pub decode_errors: u64,
    /// Files with gaps.
    pub gaps: u64,
    /// Files evicted because `max_open` files were open.
    pub evicted: u64,
    /// Files closed by [`FileTracker::close_flow`] / [`FileTracker::close_all`].
    pub flushed: u64,
    /// Bytes received for open files.
    pub bytes: u64,
    /// Data or close calls for a file that is not open (dropped).
    pub unknown: u64,
    /// Opens of an id that was already open (the old one is closed as truncated first).
    pub duplicate_open: u64,
    /// Files written to the filestore.
    pub stored: u64,
    /// Stored files whose content was already in the filestore.
    pub store_dedup: u64,
    /// Files not stored because they passed `max_file_size`.
    pub store_skipped_size: u64,
    /// Filestore I/O errors (the file is then not stored; Suricata's `file_store.fs_errors`).
    pub store_errors: u64,
    /// Closed files whose store decision was taken by [`FileTracker::settle`] with no store.
    pub store_declined: u64,
}

struct Open {
    seq: u64,
    proto: AppProto,
    tx_id: u64,
    dir: Direction,
    kind: FileKind,
    name: Vec<u8>,
    field: Vec<u8>,
    content_type: Vec<u8>,
    declared_len: Option<u64>,
    size: u64,
    /// To be stored (forced, or a `filestore` rule asked).
    store: bool,
    head: Vec<u8>,
    text: TextStats,
    md5: Option<Md5>,
    sha1: Option<Sha1>,
    sha256: Option<Sha256>,
    pending: Option<Pending>,
    /// Bytes after which the file record stops ([`HttpBodyLimits`]; 0 = none).
    limit: u64,
    /// Data arrived past `limit`: the file ends as `TRUNCATED` whatever the protocol says.
    cut: bool,
}

/// Tracks the files of one worker's flows. Implements [`FileSink`]; finished files are queued
/// for [`FileTracker::pop_closed`] / [`FileTracker::drain_closed`].
pub struct FileTracker {
    cfg: FileConfig,
    open: HashMap<(u64, FileId), Open>,
    order: BTreeMap<u64, (u64, FileId)>,
    seq: u64,
    done: std::collections::VecDeque<TrackedFile>,
    observers: Vec<Box<dyn FileObserver>>,
    stats: FileStats,
    /// Closed files waiting for the store decision: their temporary file, by file sequence
    /// number.
    unsettled: HashMap<u64, Pending>,
    /// `filestore` with flow scope: files opened later in these directions (to server, to
    /// client) are stored, per flow.
    flow_store: HashMap<u64, [bool; 2]>,
    /// `filestore` with transaction scope: files of the transaction in these directions are
    /// stored, per (flow, transaction).
    tx_store: HashMap<(u64, u64), [bool; 2]>,
    /// Files stored so far (numbers `store_id`).
    store_seq: u64,
    /// The app-layer object of recent transactions, per (flow, transaction).
    app_objects: HashMap<(u64, u64), (&'static str, Vec<u8>)>,
    /// Files of unfinished transactions that ended already, per (flow, transaction), for the
    /// `files` of alerts on the transaction (see [`FileTracker::remember`]).
    tx_files: HashMap<(u64, u64), Vec<TrackedFile>>,
}

/// Files remembered per transaction; more are not listed in alerts.
const MAX_TX_FILES: usize = 16;

/// An open file as an alert's `files` lists it (Suricata's state `OPEN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFileView<'a> {
    /// File name.
    pub name: &'a [u8],
    /// Bytes seen so far.
    pub size: u64,
    /// Direction of the transfer.
    pub dir: Direction,
    /// The file will be stored.
    pub storing: bool,
}

/// Transactions whose app-layer object is kept at once (all flows); beyond, the table is
/// emptied (records then lack the object) rather than grown.
const MAX_APP_OBJECTS: usize = 4096;

/// Index of a direction in the per-direction store flags.
fn dir_index(d: Direction) -> usize {
    usize::from(d != Direction::ToServer)
}

impl FileTracker {
    /// A tracker with `cfg`; creates the filestore directories when storing.
    pub fn new(mut cfg: FileConfig) -> Result<Self, FileError> {
        if let Some(st) = &cfg.store {
            store::prepare(&st.dir)?;
            cfg.hashes.sha256 = true;
        }
        cfg.max_open = cfg.max_open.max(1);
        Ok(FileTracker {
            cfg,
            open: HashMap::new(),
            order: BTreeMap::new(),
            seq: 0,
            done: std::collections::VecDeque::new(),
            observers: Vec::new(),
            stats: FileStats::default(),
            unsettled: HashMap::new(),
            flow_store: HashMap::new(),
            tx_store: HashMap::new(),
            store_seq: 0,
            app_objects: HashMap::new(),
            tx_files: HashMap::new(),
        })
    }

    /// Adds a content observer (called for every file after the tracker's own processing).
    pub fn add_observer(&mut self, obs: Box<dyn FileObserver>) {
        self.observers.push(obs);
    }

    /// The configuration in force.
    pub fn config(&self) -> &FileConfig {
        &self.cfg
    }

    /// Counters so far.
    pub fn stats(&self) -> &FileStats {
        &self.stats
    }

    /// Files open now.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The oldest finished file not yet taken.
    pub fn pop_closed(&mut self) -> Option<TrackedFile> {
        self.done.pop_front()
    }

    /// Takes every finished file, oldest first.
    pub fn drain_closed(&mut self) -> impl Iterator<Item = TrackedFile> + '_ {
        self.done.drain(..)
    }

    /// Closes every open file of flow `flow_id` as `TRUNCATED` (the flow ended or was evicted
    /// before the protocol closed them).
    pub fn close_flow(&mut self, flow_id: u64) {
        let mut keys: Vec<(u64, (u64, FileId))> = self
            .open
            .iter()
            .filter(|(k, _)| k.0 == flow_id)
            .map(|(k, o)| (o.seq, *k))
            .collect();
        keys.sort_unstable();
        for (_, k) in keys {
            self.stats.flushed += 1;
            self.finish(k, FileState::Truncated, false);
        }
        self.end_flow(flow_id);
    }

    /// Closes every open file as `TRUNCATED` (end of input), oldest first.
    pub fn close_all(&mut self) {
        while let Some((_, k)) = self.order.pop_first() {
            self.stats.flushed += 1;
            self.finish(k, FileState::Truncated, false);
        }
    }

    /// Moves a finished temporary file to its content address; returns the path and the
    /// file's `store_id`.
    fn commit(&mut self, p: Pending, sha256: &[u8; 32]) -> (Option<PathBuf>, Option<u64>) {
        let Some(st) = &self.cfg.store else {
            p.discard();
            return (None, None);
        };
        match p.commit(&st.dir, &hex(sha256)) {
            Ok((path, dup)) => {
                self.stats.stored += 1;
                self.stats.store_dedup += u64::from(dup);
                self.store_seq += 1;
                (Some(path), Some(self.store_seq))
            }
            Err(_) => {
                self.stats.store_errors += 1;
                (None, None)
            }
        }
    }

    /// Whether a file opened now in flow `flow_id`, transaction `tx_id`, direction `dir` is
    /// to be stored.
    fn wants_store(&self, flow_id: u64, tx_id: u64, dir: Direction) -> bool {
        let i = dir_index(dir);
        self.cfg.force_store
            || self.flow_store.get(&flow_id).is_some_and(|d| d[i])
            || self.tx_store.get(&(flow_id, tx_id)).is_some_and(|d| d[i])
    }

    /// Takes the store decision on a closed file (from [`FileTracker::pop_closed`]): with
    /// `store` (a `filestore` rule matched the file) or when storing was asked for earlier,
    /// its content goes to the filestore and `t.stored` is set; otherwise the temporary copy
    /// is removed. A file with no pending copy (the store is off, the file was too big, or it
    /// was settled already) is left as it is.
    pub fn settle(&mut self, t: &mut TrackedFile, store: bool) {
        let Some(p) = self.unsettled.remove(&t.seq) else {
            return;
        };
        let asked = store
            || t.storing
            || self
                .tx_store
                .get(&(t.flow_id, t.tx_id))
                .is_some_and(|d| d[dir_index(t.dir)]);
        match (asked, t.sha256) {
            (true, Some(d)) => {
                (t.stored, t.store_id) = self.commit(p, &d);
                t.storing = false;
            }
            _ => {
                self.stats.store_declined += 1;
                p.discard();
            }
        }
    }

    /// Marks an open file to be stored (a `filestore` rule matched it before it ended).
    pub fn store_file(&mut self, flow_id: u64, id: FileId) {
        if let Some(o) = self.open.get_mut(&(flow_id, id)) {
            o.store = true;
        }
    }

    /// `filestore` with transaction scope: every file of transaction `tx_id` of the flow in
    /// the directions `dirs` (to server, to client) is stored, the open ones and those to come.
    pub fn store_tx(&mut self, flow_id: u64, tx_id: u64, dirs: [bool; 2]) {
        if self.cfg.store.is_none() {
            return;
        }
        let e = self.tx_store.entry((flow_id, tx_id)).or_insert([false; 2]);
        e[0] |= dirs[0];
        e[1] |= dirs[1];
        for ((f, _), o) in self.open.iter_mut() {
            if *f == flow_id && o.tx_id == tx_id && dirs[dir_index(o.dir)] {
                o.store = true;
            }
        }
    }

    /// `filestore` with flow (session) scope: files the flow opens from now on in the
    /// directions `dirs` are stored. Files already open are not (their start was not kept for
    /// the store, as Suricata decides).
    pub fn store_flow(&mut self, flow_id: u64, dirs: [bool; 2]) {
        if self.cfg.store.is_none() {
            return;
        }
        let e = self.flow_store.entry(flow_id).or_insert([false; 2]);
        e[0] |= dirs[0];
        e[1] |= dirs[1];
    }

    /// Whether the filestore is on.
    pub fn storing_enabled(&self) -> bool {
        self.cfg.store.is_some()
    }

    /// Forgets the store requests and app-layer objects of a flow ([`FileTracker::close_flow`]
    /// calls it after closing the flow's files).
    pub fn end_flow(&mut self, flow_id: u64) {
        self.flow_store.remove(&flow_id);
        self.tx_store.retain(|(f, _), _| *f != flow_id);
        self.app_objects.retain(|(f, _), _| *f != flow_id);
        self.tx_files.retain(|(f, _), _| *f != flow_id);
    }

    /// Keeps a copy of a finished (and settled) file until its transaction is finished
    /// ([`FileTracker::forget_app_object`]) or its flow ends, so that alerts on the transaction
    /// can list it (Suricata's alert `files`).
    pub fn remember(&mut self, t: &TrackedFile) {
        if self.tx_files.len() >= MAX_APP_OBJECTS
            && !self.tx_files.contains_key(&(t.flow_id, t.tx_id))
        {
            self.tx_files.clear();
        }
        let list = self.tx_files.entry((t.flow_id, t.tx_id)).or_default();
        if list.len() < MAX_TX_FILES {
            let mut c = t.clone();
            c.app_object = None;
            list.push(c);
        }
    }

    /// The finished files of transaction `tx_id` of the flow still remembered, oldest first.
    pub fn tx_closed_files(&self, flow_id: u64, tx_id: u64) -> &[TrackedFile] {
        self.tx_files
            .get(&(flow_id, tx_id))
            .map_or(&[], Vec::as_slice)
    }

    /// The files of transaction `tx_id` of the flow that are still open, oldest first.
    pub fn tx_open_files(&self, flow_id: u64, tx_id: u64) -> Vec<OpenFileView<'_>> {
        let mut v: Vec<(u64, OpenFileView<'_>)> = self
            .open
            .iter()
            .filter(|((f, _), o)| *f == flow_id && o.tx_id == tx_id)
            .map(|(_, o)| {
                (
                    o.seq,
                    OpenFileView {
                        name: &o.name,
                        size: o.size,
                        dir: o.dir,
                        storing: o.store && o.pending.is_some(),
                    },
                )
            })
            .collect();
        v.sort_by_key(|(s, _)| *s);
        v.into_iter().map(|(_, f)| f).collect()
    }

    /// Sets the app-layer object (`key`, serialised JSON object) of transaction `tx_id` of
    /// flow `flow_id`: files of the transaction that end later carry it
    /// ([`TrackedFile::app_object`]), as Suricata's `fileinfo` records carry the `http` object.
    pub fn set_app_object(&mut self, flow_id: u64, tx_id: u64, key: &'static str, json: Vec<u8>) {
        if self.app_objects.len() >= MAX_APP_OBJECTS
            && !self.app_objects.contains_key(&(flow_id, tx_id))
        {
            self.app_objects.clear();
        }
        self.app_objects.insert((flow_id, tx_id), (key, json));
    }

    /// Forgets the app-layer object and the remembered files of a transaction that is
    /// finished.
    pub fn forget_app_object(&mut self, flow_id: u64, tx_id: u64) {
        self.app_objects.remove(&(flow_id, tx_id));
        self.tx_files.remove(&(flow_id, tx_id));
    }

    fn finish(&mut self, key: (u64, FileId), state: FileState, gaps: bool) {
        let Some(o) = self.open.remove(&key) else {
            self.stats.unknown += 1;
            return;
        };
        self.order.remove(&o.seq);
        let magic = if self.cfg.magic {
            magic::describe(&o.head, &o.text)
        } else {
            None
        };
        let md5 = o.md5.map(|h| h.finalize().into());
        let sha1 = o.sha1.map(|h| h.finalize().into());
        let sha256: Option<[u8; 32]> = o.sha256.map(|h| h.finalize().into());
        let mut stored = None;
        let mut store_id = None;
        if let Some(p) = o.pending {
            if o.store {
                if let Some(d) = &sha256 {
                    (stored, store_id) = self.commit(p, d);
                }
            } else {
                // Kept until the caller decides (a `filestore` rule may still match the file).
                self.unsettled.insert(o.seq, p);
            }
        }
        self.stats.closed += 1;
        match state {
            FileState::Closed => self.stats.complete += 1,
            FileState::Truncated => self.stats.truncated += 1,
            FileState::Error => self.stats.errors += 1,
        }
        self.stats.gaps += u64::from(gaps);
        let rec = TrackedFile {
            flow_id: key.0,
            id: key.1,
            proto: o.proto,
            tx_id: o.tx_id,
            dir: o.dir,
            kind: o.kind,
            name: o.name,
            field: o.field,
            content_type: o.content_type,
            declared_len: o.declared_len,
            size: o.size,
            state,
            gaps,
            magic,
            md5,
            sha1,
            sha256,
            stored,
            storing: false,
            store_id,
            app_object: self.app_objects.get(&(key.0, o.tx_id)).cloned(),
            seq: o.seq,
        };
        for obs in &mut self.observers {
            obs.close(&rec);
        }
        self.done.push_back(rec);
    }
}

impl FileSink for FileTracker {
    fn file_open(&mut self, flow: &FlowCtx<'_>, f: &FileOpen<'_>) {
        let key = (flow.id, f.id);
        if self.open.contains_key(&key) {
            self.stats.duplicate_open += 1;
            self.finish(key, FileState::Truncated, false);
        }
        while self.open.len() >= self.cfg.max_open {
            let Some((_, old)) = self.order.pop_first() else {
                break;
            };
            self.stats.evicted += 1;
            self.finish(old, FileState::Truncated, false);
        }
        self.seq += 1;
        self.stats.opened += 1;
        let h = self.cfg.hashes;
        let pending = match &self.cfg.store {
            Some(st) => match Pending::create(&st.dir, self.seq) {
                Ok(p) => Some(p),
                Err(_) => {
                    self.stats.store_errors += 1;
                    None
                }
            },
            None => None,
        };
        let store = self.wants_store(flow.id, f.tx_id, f.dir);
        let o = Open {
            store,
            seq: self.seq,
            proto: f.proto,
            tx_id: f.tx_id,
            dir: f.dir,
            kind: f.kind,
            name: f.name.to_vec(),
            field: f.field.to_vec(),
            content_type: f.content_type.to_vec(),
            declared_len: f.declared_len,
            size: 0,
            head: Vec::new(),
            text: TextStats::default(),
            md5: h.md5.then(Md5::new),
            sha1: h.sha1.then(Sha1::new),
            sha256: h.sha256.then(Sha256::new),
            limit: match (f.proto, f.kind, f.dir) {
                (AppProto::Http, FileKind::FormPart, _) => 0,
                (AppProto::Http, _, Direction::ToServer) => self.cfg.http_body_limits.request,
                (AppProto::Http, _, Direction::ToClient) => self.cfg.http_body_limits.response,
                _ => 0,
            },
            cut: false,
            pending,
        };
        self.order.insert(self.seq, key);
        self.open.insert(key, o);
        for obs in &mut self.observers {
            obs.open(flow, f);
        }
    }

    fn file_data(&mut self, flow: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        let Some(o) = self.open.get_mut(&(flow.id, id)) else {
            self.stats.unknown += 1;
            return;
        };
        self.stats.bytes = self.stats.bytes.saturating_add(data.len() as u64);
        let whole = data;
        let data = if o.limit == 0 || o.store {
            data
        } else if o.size >= o.limit {
            o.cut |= !data.is_empty();
            &[]
        } else {
            let room = usize::try_from(o.limit - o.size).unwrap_or(usize::MAX);
            data.get(..room.min(data.len())).unwrap_or(data)
        };
        o.size = o.size.saturating_add(data.len() as u64);
        if self.cfg.magic {
            let room = HEAD_LEN.saturating_sub(o.head.len());
            o.head
                .extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
            o.text.update(data);
        }
        if let Some(h) = &mut o.md5 {
            h.update(data);
        }
        if let Some(h) = &mut o.sha1 {
            h.update(data);
        }
        if let Some(h) = &mut o.sha256 {
            h.update(data);
        }
        if let (Some(p), Some(st)) = (&mut o.pending, &self.cfg.store) {
            if st.max_file_size != 0 && o.size > st.max_file_size {
                if let Some(p) = o.pending.take() {
                    p.discard();
                }
                self.stats.store_skipped_size += 1;
            } else if p.write(data).is_err() {
                if let Some(p) = o.pending.take() {
                    p.discard();
                }
                self.stats.store_errors += 1;
            }
        }
        for obs in &mut self.observers {
            obs.data(flow.id, id, whole);
        }
    }

    fn file_close(&mut self, flow: &FlowCtx<'_>, id: FileId, end: &FileClose) {
        let (state, gaps) = match end.status {
            FileStatus::Complete => (FileState::Closed, false),
            FileStatus::Truncated => (FileState::Truncated, false),
            FileStatus::Gap => (FileState::Truncated, true),
            // The protocol layer delivered the rest undecoded, as libhtp does; Suricata logs
            // such a file as CLOSED. Counted in `decode_errors`.
            FileStatus::Error => {
                self.stats.decode_errors += 1;
                (FileState::Closed, false)
            }
        };
        let cut = self.open.get(&(flow.id, id)).is_some_and(|o| o.cut);
        let state = if cut && state == FileState::Closed { FileState::Truncated } else { state };
        self.finish((flow.id, id), state, gaps);
    }
}

impl Drop for FileTracker {
    fn drop(&mut self) {
        // Remove temporary files of files that never closed.
        for (_, o) in self.open.drain() {
            if let Some(p) = o.pending {
                p.discard();
            }
        }
        for (_, p) in self.unsettled.drain() {
            p.discard();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekimori_capture::Timestamp;
    use sekimori_decode::Addr;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn flow(id: u64) -> FlowCtx<'static> {
        FlowCtx {
            id,
            src: Addr::v4([10, 0, 0, 1]),
            dst: Addr::v4([10, 0, 0, 2]),
            sport: 40000,
            dport: 80,
            proto: 6,
            vlan: &[],
            ts: Timestamp(0),
        }
    }

    fn open_msg(id: u64, name: &[u8]) -> FileOpen<'_> {
        FileOpen {
            id: FileId(id),
            proto: AppProto::Http,
            tx_id: id,
            dir: Direction::ToClient,
            kind: FileKind::ResponseBody,
            name,
            field: b"",
            content_type: b"text/plain",
            declared_len: None,
        }
    }

    fn run(
        t: &mut FileTracker,
        fl: u64,
        id: u64,
        chunks: &[&[u8]],
        status: FileStatus,
    ) -> TrackedFile {
        let f = flow(fl);
        t.file_open(&f, &open_msg(id, b"/x"));
        let mut n = 0;
        for c in chunks {
            t.file_data(&f, FileId(id), c);
            n += c.len() as u64;
        }
        t.file_close(&f, FileId(id), &FileClose { status, size: n });
        t.pop_closed().expect("closed file")
    }

    #[test]
    fn known_digest_vectors() {
        let mut t = FileTracker::new(FileConfig::default()).unwrap();
        let r = run(&mut t, 1, 0, &[b"abc"], FileStatus::Complete);
        assert_eq!(r.md5_hex().unwrap(), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            r.sha1_hex().unwrap(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            r.sha256_hex().unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(r.size, 3);
        assert_eq!(r.state, FileState::Closed);
        assert_eq!(
            r.magic.as_deref(),
            Some("ASCII text, with no line terminators")
        );
        let e = run(&mut t, 1, 1, &[], FileStatus::Complete);
        assert_eq!(e.md5_hex().unwrap(), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            e.sha256_hex().unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(e.magic, None);
        assert_eq!(t.stats().complete, 2);
    }

    #[test]
    fn http_body_limit_cuts_the_file_record_as_libhtp_does() {
        let cfg = FileConfig {
            http_body_limits: HttpBodyLimits { request: 0, response: 4 },
            ..FileConfig::default()
        };
        let mut t = FileTracker::new(cfg).unwrap();
        // The chunk that reaches the limit is cut at it; the body ends there: CLOSED.
        let r = run(&mut t, 1, 0, &[b"ab", b"cdef"], FileStatus::Complete);
        assert_eq!((r.size, r.state), (4, FileState::Closed));
        assert_eq!(r.md5_hex().unwrap(), "e2fc714c4727ee9395f324cd2e7f331f", "md5(abcd)");
        // More data after the limit: TRUNCATED, the record keeps the first 4 bytes.
        let r = run(&mut t, 1, 1, &[b"abcd", b"e"], FileStatus::Complete);
        assert_eq!((r.size, r.state), (4, FileState::Truncated));
        // Exactly the limit in one chunk, then nothing: CLOSED.
        let r = run(&mut t, 1, 2, &[b"abcd"], FileStatus::Complete);
        assert_eq!((r.size, r.state), (4, FileState::Closed));
        assert_eq!(t.stats().unknown, 0);
        assert_eq!(t.stats().bytes, 6 + 5 + 4, "every byte received is counted");
        // Uploads use the request limit (0: unlimited); other protocols are not limited.
        let f = flow(2);
        let mut up = open_msg(7, b"/up");
        up.dir = Direction::ToServer;
        t.file_open(&f, &up);
        t.file_data(&f, FileId(7), b"0123456789");
        t.file_close(&f, FileId(7), &FileClose { status: FileStatus::Complete, size: 10 });
        assert_eq!(t.pop_closed().unwrap().size, 10);
        let mut mail = open_msg(8, b"a.txt");
        mail.proto = AppProto::Smtp;
        t.file_open(&f, &mail);
        t.file_data(&f, FileId(8), b"0123456789");
        t.file_close(&f, FileId(8), &FileClose { status: FileStatus::Complete, size: 10 });
        assert_eq!(t.pop_closed().unwrap().size, 10);
    }

    #[test]
    fn files_to_be_stored_are_not_cut_at_the_body_limit() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = FileConfig {
            http_body_limits: HttpBodyLimits { request: 4, response: 4 },
            store: Some(StoreConfig { dir: dir.path().join("filestore"), max_file_size: 0 }),
            force_store: true,
            ..FileConfig::default()
        };
        let mut t = FileTracker::new(cfg).unwrap();
        let r = run(&mut t, 1, 0, &[b"abcd", b"efgh"], FileStatus::Complete);
        assert_eq!((r.size, r.state), (8, FileState::Closed));
    }

    #[test]
    fn hash_selection() {
        let cfg = FileConfig {
            hashes: Hashes {
                md5: false,
                sha1: false,
                sha256: true,
            },
            magic: false,
            ..FileConfig::default()
        };
        let mut t = FileTracker::new(cfg).unwrap();
        let r = run(&mut t, 1, 0, &[b"abc"], FileStatus::Complete);
        assert!(r.md5.is_none() && r.sha1.is_none() && r.sha256.is_some() && r.magic.is_none());
    }

    #[test]
    fn chunking_invariance() {
        let mut data = Vec::new();
        for i in 0..10_000u32 {
            data.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        data.extend_from_slice(&[0, 1, 2, 255]);
        let mut t = FileTracker::new(FileConfig::default()).unwrap();
        let whole = run(&mut t, 1, 0, &[&data], FileStatus::Complete);
        for (i, step) in [1usize, 2, 3, 17, 1000, 4095, 4096, 4097, 65536]
            .into_iter()
            .enumerate()
        {
            let chunks: Vec<&[u8]> = data.chunks(step).collect();
            let r = run(&mut t, 2, i as u64 + 1, &chunks, FileStatus::Complete);
            assert_eq!(
                (r.md5, r.sha1, r.sha256),
                (whole.md5, whole.sha1, whole.sha256),
                "{step}"
            );
            assert_eq!(r.magic, whole.magic, "{step}");
            assert_eq!(r.size, data.len() as u64);
        }
    }

    #[test]
    fn end_states() {
        let mut t = FileTracker::new(FileConfig::default()).unwrap();
        let r = run(&mut t, 1, 0, &[b"ab"], FileStatus::Truncated);
        assert_eq!((r.state, r.gaps), (FileState::Truncated, false));
        let r = run(&mut t, 1, 1, &[b"ab"], FileStatus::Gap);
        assert_eq!((r.state, r.gaps), (FileState::Truncated, true));
        assert_eq!(r.state.as_str(), "TRUNCATED");
        let r = run(&mut t, 1, 2, &[b"ab"], FileStatus::Error);
        assert_eq!((r.state.as_str(), r.gaps), ("CLOSED", false));
        assert_eq!(FileState::Error.as_str(), "ERROR");
        let s = t.stats();
        assert_eq!(
            (s.truncated, s.gaps, s.decode_errors, s.complete, s.closed),
            (2, 1, 1, 1, 3)
        );
        // Data and close for unknown files are counted, not fatal.
        let f = flow(9);
        t.file_data(&f, FileId(7), b"zz");
        t.file_close(
            &f,
            FileId(7),
            &FileClose {
                status: FileStatus::Complete,
                size: 0,
            },
        );
        assert_eq!(t.stats().unknown, 2);
        assert!(t.pop_closed().is_none());
    }

    #[test]
    fn cap_evicts_oldest_and_flushes() {
        let cfg = FileConfig {
            max_open: 2,
            ..FileConfig::default()
        };
        let mut t = FileTracker::new(cfg).unwrap();
        let (a, b) = (flow(1), flow(2));
        t.file_open(&a, &open_msg(0, b"/a"));
        t.file_open(&a, &open_msg(1, b"/b"));
        t.file_data(&a, FileId(0), b"first");
        t.file_open(&b, &open_msg(0, b"/c"));
        assert_eq!(t.open_count(), 2);
        let ev = t.pop_closed().unwrap();
        assert_eq!(
            (ev.name.as_slice(), ev.state, ev.size),
            (&b"/a"[..], FileState::Truncated, 5)
        );
        assert_eq!(t.stats().evicted, 1);
        t.close_flow(2);
        let c = t.pop_closed().unwrap();
        assert_eq!((c.flow_id, c.name.as_slice()), (2, &b"/c"[..]));
        t.close_all();
        assert_eq!(t.pop_closed().unwrap().name, b"/b");
        assert_eq!(t.open_count(), 0);
        assert_eq!(t.stats().flushed, 2);
        // Re-opening an open id closes the old one first.
        t.file_open(&a, &open_msg(3, b"/d"));
        t.file_open(&a, &open_msg(3, b"/e"));
        assert_eq!(t.stats().duplicate_open, 1);
        assert_eq!(t.pop_closed().unwrap().name, b"/d");
    }

    #[derive(Default)]
    struct Seen {
        log: Vec<String>,
        bytes: Vec<u8>,
    }
    struct Obs(Rc<RefCell<Seen>>);
    impl FileObserver for Obs {
        fn open(&mut self, _flow: &FlowCtx<'_>, f: &FileOpen<'_>) {
            self.0.borrow_mut().log.push(format!("open {}", f.id.0));
        }
        fn data(&mut self, _flow_id: u64, _id: FileId, data: &[u8]) {
            self.0.borrow_mut().bytes.extend_from_slice(data);
        }
        fn close(&mut self, file: &TrackedFile) {
            self.0
                .borrow_mut()
                .log
                .push(format!("close {} {}", file.id.0, file.size));
        }
    }

    #[test]
    fn observers_fan_out() {
        let mut t = FileTracker::new(FileConfig::default()).unwrap();
        let s1 = Rc::new(RefCell::new(Seen::default()));
        let s2 = Rc::new(RefCell::new(Seen::default()));
        t.add_observer(Box::new(Obs(s1.clone())));
        t.add_observer(Box::new(Obs(s2.clone())));
        run(&mut t, 1, 4, &[b"he", b"llo"], FileStatus::Complete);
        for s in [s1, s2] {
            let s = s.borrow();
            assert_eq!(s.log, vec!["open 4".to_owned(), "close 4 5".to_owned()]);
            assert_eq!(s.bytes, b"hello");
        }
    }

    #[test]
    fn filestore_layout_dedup_and_limit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("filestore");
        let cfg = FileConfig {
            hashes: Hashes {
                md5: false,
                sha1: false,
                sha256: false,
            },
            store: Some(StoreConfig {
                dir: root.clone(),
                max_file_size: 10,
            }),
            force_store: true,
            ..FileConfig::default()
        };
        let mut t = FileTracker::new(cfg).unwrap();
        let f = flow(1);
        t.file_open(&f, &open_msg(0, b"/abc"));
        t.file_data(&f, FileId(0), b"a");
        // While streaming, the content is only in tmp/.
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 1);
        t.file_data(&f, FileId(0), b"bc");
        t.file_close(
            &f,
            FileId(0),
            &FileClose {
                status: FileStatus::Complete,
                size: 3,
            },
        );
        let r = t.pop_closed().unwrap();
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            r.sha256_hex().as_deref(),
            Some(sha),
            "sha256 forced on by the store"
        );
        let want = root.join("ba").join(sha);
        assert_eq!(r.stored.as_deref(), Some(want.as_path()));
        assert_eq!(std::fs::read(&want).unwrap(), b"abc");
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        // Same content again: deduplicated.
        let r2 = run(&mut t, 1, 1, &[b"ab", b"c"], FileStatus::Complete);
        assert_eq!(r2.stored.as_deref(), Some(want.as_path()));
        assert_eq!(t.stats().store_dedup, 1);
        // Too big: not stored, temp removed, counted.
        let r3 = run(&mut t, 1, 2, &[b"0123456789", b"x"], FileStatus::Complete);
        assert!(r3.stored.is_none());
        assert_eq!(t.stats().store_skipped_size, 1);
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        assert_eq!(t.stats().stored, 2);
        // Files open at drop leave no temp file behind.
        t.file_open(&f, &open_msg(5, b"/z"));
        t.file_data(&f, FileId(5), b"zz");
        drop(t);
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        assert_eq!(store::store_path(&root, sha), want);
    }

    fn store_cfg(root: &std::path::Path) -> FileConfig {
        FileConfig {
            store: Some(StoreConfig {
                dir: root.to_path_buf(),
                max_file_size: 0,
            }),
            ..FileConfig::default()
        }
    }

    fn open_dir(id: u64, tx: u64, dir: Direction) -> FileOpen<'static> {
        FileOpen {
            id: FileId(id),
            proto: AppProto::Http,
            tx_id: tx,
            dir,
            kind: FileKind::ResponseBody,
            name: b"/f",
            field: b"",
            content_type: b"",
            declared_len: None,
        }
    }

    fn close(t: &mut FileTracker, f: &FlowCtx<'_>, id: u64) -> TrackedFile {
        t.file_close(
            f,
            FileId(id),
            &FileClose {
                status: FileStatus::Complete,
                size: 0,
            },
        );
        t.pop_closed().expect("closed")
    }

    #[test]
    fn store_only_what_a_rule_asks_for() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("fs");
        let mut t = FileTracker::new(store_cfg(&root)).unwrap();
        let f = flow(1);
        // Not asked: the temporary copy is removed when settled without store.
        t.file_open(&f, &open_dir(1, 0, Direction::ToClient));
        t.file_data(&f, FileId(1), b"one");
        let mut a = close(&mut t, &f, 1);
        assert!(a.stored.is_none());
        t.settle(&mut a, false);
        assert!(a.stored.is_none() && a.store_id.is_none());
        assert_eq!(t.stats().store_declined, 1);
        assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        // A file rule matched at close: stored, numbered 1.
        t.file_open(&f, &open_dir(2, 1, Direction::ToClient));
        t.file_data(&f, FileId(2), b"two");
        let mut b = close(&mut t, &f, 2);
        t.settle(&mut b, true);
        assert_eq!(b.store_id, Some(1));
        let p = b.stored.clone().expect("stored");
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // Settling twice changes nothing.
        t.settle(&mut b, false);
        assert_eq!(b.stored.as_deref(), Some(p.as_path()));
        // Marked while open: committed at close without a decision.
        t.file_open(&f, &open_dir(3, 2, Direction::ToClient));
        t.store_file(1, FileId(3));
        t.file_data(&f, FileId(3), b"three");
        let c = close(&mut t, &f, 3);
        assert_eq!(c.store_id, Some(2));
        assert!(c.stored.is_some());
        assert_eq!(t.stats().stored, 2);
    }

    #[test]
    fn tx_and_flow_scopes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("fs");
        let mut t = FileTracker::new(store_cfg(&root)).unwrap();
        let f = flow(7);
        // Open before the flow-scope request: not stored (its start was not kept for it).
        t.file_open(&f, &open_dir(1, 0, Direction::ToClient));
        t.store_flow(7, [true, true]);
        t.file_data(&f, FileId(1), b"early");
        let mut early = close(&mut t, &f, 1);
        t.settle(&mut early, false);
        assert!(early.stored.is_none());
        // Opened after: stored.
        t.file_open(&f, &open_dir(2, 1, Direction::ToServer));
        t.file_data(&f, FileId(2), b"late");
        assert!(close(&mut t, &f, 2).stored.is_some());
        // Another flow is not affected; tx scope covers open files of the direction asked.
        let g = flow(8);
        t.file_open(&g, &open_dir(1, 4, Direction::ToClient));
        t.file_open(&g, &open_dir(2, 4, Direction::ToServer));
        t.store_tx(8, 4, [false, true]);
        t.file_data(&g, FileId(1), b"down");
        t.file_data(&g, FileId(2), b"up");
        assert!(close(&mut t, &g, 1).stored.is_some());
        let mut up = close(&mut t, &g, 2);
        t.settle(&mut up, false);
        assert!(up.stored.is_none());
        t.close_flow(7);
        t.end_flow(8);
        assert!(t.pop_closed().is_none());
        t.file_open(&f, &open_dir(3, 9, Direction::ToClient));
        t.file_data(&f, FileId(3), b"after end");
        let mut z = close(&mut t, &f, 3);
        t.settle(&mut z, false);
        assert!(z.stored.is_none());
    }

    #[test]
    fn files_carry_their_transaction_object() {
        let mut t = FileTracker::new(FileConfig::default()).unwrap();
        let f = flow(3);
        t.set_app_object(3, 0, "http", br#"{"hostname":"a"}"#.to_vec());
        t.file_open(&f, &open_dir(1, 0, Direction::ToClient));
        t.set_app_object(3, 0, "http", br#"{"hostname":"b"}"#.to_vec());
        let r = close(&mut t, &f, 1);
        assert_eq!(
            r.app_object,
            Some(("http", br#"{"hostname":"b"}"#.to_vec()))
        );
        // Another transaction has none; a forgotten one neither.
        t.file_open(&f, &open_dir(2, 1, Direction::ToClient));
        assert_eq!(close(&mut t, &f, 2).app_object, None);
        t.forget_app_object(3, 0);
        t.file_open(&f, &open_dir(3, 0, Direction::ToClient));
        assert_eq!(close(&mut t, &f, 3).app_object, None);
        // Flow end forgets them too.
        t.set_app_object(3, 5, "http", b"{}".to_vec());
        t.file_open(&f, &open_dir(4, 5, Direction::ToClient));
        t.close_flow(3);
        assert!(
            t.pop_closed().unwrap().app_object.is_some(),
            "closed by the flow end with it"
        );
        t.file_open(&f, &open_dir(5, 5, Direction::ToClient));
        assert_eq!(close(&mut t, &f, 5).app_object, None);
    }

    #[test]
    fn transaction_files_for_alerts() {
        let mut t = FileTracker::new(FileConfig::default()).unwrap();
        let f = flow(4);
        t.file_open(&f, &open_dir(1, 2, Direction::ToClient));
        t.file_data(&f, FileId(1), b"abc");
        t.file_open(&f, &open_dir(2, 2, Direction::ToServer));
        t.file_open(&f, &open_dir(3, 9, Direction::ToClient));
        let open = t.tx_open_files(4, 2);
        assert_eq!(open.len(), 2);
        assert_eq!(
            (open[0].size, open[0].dir, open[0].storing),
            (3, Direction::ToClient, false)
        );
        assert!(t.tx_closed_files(4, 2).is_empty());
        let done = close(&mut t, &f, 1);
        t.remember(&done);
        assert_eq!(t.tx_closed_files(4, 2).len(), 1);
        assert_eq!(t.tx_closed_files(4, 2)[0].size, 3);
        assert_eq!(t.tx_open_files(4, 2).len(), 1);
        for _ in 0..40 {
            t.remember(&done);
        }
        assert_eq!(t.tx_closed_files(4, 2).len(), MAX_TX_FILES, "bounded");
        t.forget_app_object(4, 2);
        assert!(t.tx_closed_files(4, 2).is_empty());
        t.remember(&done);
        t.close_flow(4);
        assert!(t.tx_closed_files(4, 2).is_empty() && t.tx_open_files(4, 9).is_empty());
    }

    #[test]
    fn forced_store_and_disabled_store() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("fs");
        let mut cfg = store_cfg(&root);
        cfg.force_store = true;
        let mut t = FileTracker::new(cfg).unwrap();
        let f = flow(1);
        t.file_open(&f, &open_dir(1, 0, Direction::ToClient));
        t.file_data(&f, FileId(1), b"x");
        assert_eq!(close(&mut t, &f, 1).store_id, Some(1));
        // No store configured: requests are ignored, nothing breaks.
        let mut t = FileTracker::new(FileConfig::default()).unwrap();
        t.store_flow(1, [true, true]);
        t.store_tx(1, 0, [true, true]);
        t.file_open(&f, &open_dir(1, 0, Direction::ToClient));
        t.store_file(1, FileId(1));
        let mut r = close(&mut t, &f, 1);
        t.settle(&mut r, true);
        assert!(r.stored.is_none());
        assert!(!t.storing_enabled());
    }
}
