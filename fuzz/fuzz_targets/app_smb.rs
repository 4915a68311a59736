//! Fuzz the SMB parser as a TCP stream (chunks and gaps in both directions) through the app
//! layer, detection included.
//!
//! Input: byte 0 = selector (bit 0: prefix a NetBIOS + SMB2 NEGOTIATE request so detection
//! succeeds; bit 1: tiny `smb.max_record_buffer` so the streamed-record path runs; bit 2: tiny
//! `smb.max_tx`), then records [op] [len u8] [len bytes]: op % 4 = 0 data to server, 1 data to
//! client, 2 gap to server, 3 gap to client. Asserts: no panic; each transaction completed
//! exactly once with a unique id (and handed over before, not after, its completion); file
//! data only between open and close of a known stream, and every stream closed by flow end
//! with its size equal to the bytes delivered.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use sekimori_app::{
    AppConfig, AppLayer, AppParser, AppSink, AppTx, Direction, FileClose, FileId, FileOpen,
    FileSink, FlowCtx, SmbParser, Transport, TxStage,
};
use sekimori_fuzz::{FileLedger, flow, replay_ops};

#[derive(Default)]
struct Sink {
    done: HashSet<u64>,
    files: FileLedger,
}

impl FileSink for Sink {
    fn file_open(&mut self, _f: &FlowCtx<'_>, file: &FileOpen<'_>) {
        self.files.open(file);
    }
    fn file_data(&mut self, _f: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        self.files.data(id, data);
    }
    fn file_close(&mut self, _f: &FlowCtx<'_>, id: FileId, end: &FileClose) {
        self.files.close(id, end);
    }
}

impl AppSink for Sink {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let AppTx::Smb(t) = tx {
            // File transactions are also handed over (RequestComplete) as their file closes.
            assert!(matches!(stage, TxStage::Complete | TxStage::RequestComplete));
            assert!(!self.done.contains(&t.tx_id), "transaction handed over after completion");
            if stage == TxStage::Complete {
                assert!(self.done.insert(t.tx_id), "transaction completed twice");
            }
            let _ = t.command_name();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for d in [Direction::ToServer, Direction::ToClient] {
        let _ = SmbParser::probe(Transport::Tcp, d, data);
    }
    let Some((&sel, rest)) = data.split_first() else {
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
    let flow = flow(445, 6);
    if sel & 1 != 0 {
        // NetBIOS header + SMB2 NEGOTIATE request header (64 bytes) + a 36-byte body.
        let mut m = vec![0u8, 0, 0, 100];
        m.extend_from_slice(b"\xfeSMB");
        m.extend_from_slice(&[64, 0]);
        m.resize(4 + 100, 0);
        m[4 + 64] = 36;
        layer.on_stream_data(&flow, &mut slot, Direction::ToServer, &m, &mut sink);
    }
    replay_ops(&mut layer, &flow, &mut slot, rest, &mut sink);
    layer.on_flow_end(&flow, &mut slot, &mut sink);
    assert_eq!(sink.files.still_open(), 0, "streams left open at flow end");
});
