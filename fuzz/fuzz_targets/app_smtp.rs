//! Fuzz the SMTP parser and its MIME decoder: the input as a TCP stream (chunks and gaps in
//! both directions) through the app layer, after an `EHLO` / `DATA` prefix so that most of the
//! input reaches the MIME decoder; plus the RFC 2047 decoder on the raw input.
//!
//! Input: byte 0 = prefix selector (0: none, 1: `EHLO` only, 2: `EHLO` + `DATA`, 3: greeting +
//! `BDAT 64`), then records [op] [len u8] [len bytes]: op % 4 = 0 data to server, 1 data to
//! client, 2 gap to server, 3 gap to client. Asserts: no panic; transactions handed over once
//! each at `Complete` with increasing ids; every opened file is closed once, with data only
//! between open and close.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_app::smtp::decode_words;
use sekimori_app::{
    AppConfig, AppLayer, AppSink, AppTx, Direction, FileClose, FileId, FileOpen, FileSink, FlowCtx,
    TxStage,
};
use sekimori_fuzz::{FileLedger, flow, replay_ops};

#[derive(Default)]
struct Sink {
    last_tx: Option<u64>,
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
        if let AppTx::Smtp(t) = tx {
            assert_eq!(stage, TxStage::Complete);
            if let Some(l) = self.last_tx {
                assert!(t.tx_id > l, "tx ids increase");
            }
            self.last_tx = Some(t.tx_id);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = decode_words(data);
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let mut layer = AppLayer::new(AppConfig::default()).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = flow(25, 6);
    let prefix: &[u8] = match sel % 4 {
        1 => b"EHLO fuzz\r\n",
        2 => b"EHLO fuzz\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
        3 => b"EHLO fuzz\r\nBDAT 64 LAST\r\n",
        _ => b"",
    };
    if !prefix.is_empty() {
        layer.on_stream_data(&flow, &mut slot, Direction::ToServer, prefix, &mut sink);
    }
    replay_ops(&mut layer, &flow, &mut slot, rest, &mut sink);
    layer.on_flow_end(&flow, &mut slot, &mut sink);
    assert_eq!(sink.files.still_open(), 0, "files left open");
});
