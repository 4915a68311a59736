//! Fuzz the SMB parser as a TCP stream (chunks and gaps in both directions) through the app
//! layer, detection included.
//!
//! Input: byte 0 = selector (bit 0: prefix a NetBIOS + SMB2 NEGOTIATE request so detection
//! succeeds; bit 1: tiny `smb.max_record_buffer` so the streamed-record path runs; bit 2: tiny
//! `smb.max_tx`), then records [op] [len u8] [len bytes]: op % 4 = 0 data to server, 1 data to
//! client, 2 gap to server, 3 gap to client. Asserts: no panic; each transaction completed
//! exactly once with a unique id; file data only between open and close of a known stream, and
//! every stream closed by flow end with its size equal to the bytes delivered.
#![no_main]

use std::collections::{HashMap, HashSet};

use libfuzzer_sys::fuzz_target;
use sekimori_app::{
    AppConfig, AppLayer, AppParser, AppSink, AppTx, Direction, FileClose, FileId, FileOpen,
    FileSink, FlowCtx, SmbParser, Transport, TxStage,
};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

#[derive(Default)]
struct Sink {
    done: HashSet<u64>,
    open: HashMap<FileId, u64>,
    closed: HashSet<FileId>,
}

impl FileSink for Sink {
    fn file_open(&mut self, _f: &FlowCtx<'_>, file: &FileOpen<'_>) {
        assert!(!self.open.contains_key(&file.id) && !self.closed.contains(&file.id));
        self.open.insert(file.id, 0);
    }
    fn file_data(&mut self, _f: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        let n = self.open.get_mut(&id).expect("data for an open stream");
        *n += data.len() as u64;
    }
    fn file_close(&mut self, _f: &FlowCtx<'_>, id: FileId, end: &FileClose) {
        let n = self.open.remove(&id).expect("close of an open stream");
        assert_eq!(n, end.size);
        self.closed.insert(id);
    }
}

impl AppSink for Sink {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let AppTx::Smb(t) = tx {
            assert_eq!(stage, TxStage::Complete);
            assert!(self.done.insert(t.tx_id), "transaction completed twice");
            let _ = t.command_name();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for d in [Direction::ToServer, Direction::ToClient] {
        let _ = SmbParser::probe(Transport::Tcp, d, data);
    }
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let mut cfg = AppConfig::default();
    if sel & 2 != 0 {
        cfg.smb.max_record_buffer = 200;
    }
    if sel & 4 != 0 {
        cfg.smb.max_tx = 2;
        cfg.smb.max_open_files = 2;
    }
    let mut layer = AppLayer::new(cfg).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = FlowCtx {
        id: 1,
        src: Addr::v4([10, 0, 0, 1]),
        dst: Addr::v4([10, 0, 0, 2]),
        sport: 40000,
        dport: 445,
        proto: 6,
        vlan: &[],
        ts: Timestamp(0),
    };
    if sel & 1 != 0 {
        // NetBIOS header + SMB2 NEGOTIATE request header (64 bytes) + a 36-byte body.
        let mut m = vec![0u8, 0, 0, 100];
        m.extend_from_slice(b"\xfeSMB");
        m.extend_from_slice(&[64, 0]);
        m.resize(4 + 100, 0);
        m[4 + 64] = 36;
        layer.on_stream_data(&flow, &mut slot, Direction::ToServer, &m, &mut sink);
    }
    while let Some((&op, r)) = rest.split_first() {
        let Some((&len, r)) = r.split_first() else {
            break;
        };
        let n = usize::from(len).min(r.len());
        let (chunk, r) = r.split_at(n);
        rest = r;
        let dir = if op & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if op % 4 < 2 {
            layer.on_stream_data(&flow, &mut slot, dir, chunk, &mut sink);
        } else {
            layer.on_stream_gap(&flow, &mut slot, dir, u64::from(len), &mut sink);
        }
    }
    layer.on_flow_end(&flow, &mut slot, &mut sink);
    assert!(sink.open.is_empty(), "streams left open at flow end");
});
