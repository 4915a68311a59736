//! Pieces the fuzz targets share: the flow they pretend to be, the replay of a fuzz input as
//! TCP stream operations, and a ledger that checks the file-stream contract of the app layer.

use std::collections::{HashMap, HashSet};

use sekimori_app::{AppLayer, AppSink, AppSlot, Direction, FileClose, FileId, FileOpen, FlowCtx};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

/// 10.0.0.1:40000 -> 10.0.0.2:`dport` over IP protocol `proto`, flow id 1, at time 0.
pub fn flow(dport: u16, proto: u8) -> FlowCtx<'static> {
    FlowCtx {
        id: 1,
        src: Addr::v4([10, 0, 0, 1]),
        dst: Addr::v4([10, 0, 0, 2]),
        sport: 40000,
        dport,
        proto,
        vlan: &[],
        ts: Timestamp(0),
    }
}

/// Feeds `ops` to `layer` as records `[op] [len u8] [len bytes]`: `op % 4` = 0 data to server,
/// 1 data to client, 2 a gap of `len` bytes to server, 3 a gap to client. A short last record
/// delivers what is there.
pub fn replay_ops(
    layer: &mut AppLayer,
    flow: &FlowCtx<'_>,
    slot: &mut AppSlot,
    mut ops: &[u8],
    sink: &mut dyn AppSink,
) {
    while let Some((&op, r)) = ops.split_first() {
        let Some((&len, r)) = r.split_first() else {
            break;
        };
        let n = usize::from(len).min(r.len());
        let (chunk, r) = r.split_at(n);
        ops = r;
        let dir = if op & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if op % 4 < 2 {
            layer.on_stream_data(flow, slot, dir, chunk, sink);
        } else {
            layer.on_stream_gap(flow, slot, dir, u64::from(len), sink);
        }
    }
}

/// Checks the file-stream contract: an id is opened once, gets data only while open, is closed
/// once with the size it was given.
#[derive(Debug, Default)]
pub struct FileLedger {
    open: HashMap<FileId, u64>,
    closed: HashSet<FileId>,
}

impl FileLedger {
    /// A file opens.
    pub fn open(&mut self, file: &FileOpen<'_>) {
        assert!(!self.closed.contains(&file.id), "file id reused after close");
        assert!(self.open.insert(file.id, 0).is_none(), "file id opened twice");
    }

    /// Data for `id`.
    pub fn data(&mut self, id: FileId, data: &[u8]) {
        let n = self.open.get_mut(&id).expect("data for a closed or unknown file");
        *n += data.len() as u64;
    }

    /// `id` closes.
    pub fn close(&mut self, id: FileId, end: &FileClose) {
        let n = self.open.remove(&id).expect("close of a closed or unknown file");
        assert_eq!(n, end.size, "close reports the bytes delivered");
        self.closed.insert(id);
    }

    /// Files still open (must be none after the flow ended).
    pub fn still_open(&self) -> usize {
        self.open.len()
    }
}
