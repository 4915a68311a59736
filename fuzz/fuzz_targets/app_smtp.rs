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

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use sekimori_app::smtp::decode_words;
use sekimori_app::{
    AppConfig, AppLayer, AppSink, AppTx, Direction, FileClose, FileId, FileOpen, FileSink, FlowCtx,
    TxStage,
};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

#[derive(Default)]
struct Sink {
    last_tx: Option<u64>,
    open: HashMap<FileId, u64>,
    closed: u64,
}

impl FileSink for Sink {
    fn file_open(&mut self, _f: &FlowCtx<'_>, file: &FileOpen<'_>) {
        assert!(self.open.insert(file.id, 0).is_none(), "file id reused");
    }
    fn file_data(&mut self, _f: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        let n = self
            .open
            .get_mut(&id)
            .expect("data for a closed or unknown file");
        *n += data.len() as u64;
    }
    fn file_close(&mut self, _f: &FlowCtx<'_>, id: FileId, end: &FileClose) {
        let n = self.open.remove(&id).expect("close of an unknown file");
        assert_eq!(n, end.size);
        self.closed += 1;
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
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let mut layer = AppLayer::new(AppConfig::default()).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = FlowCtx {
        id: 1,
        src: Addr::v4([10, 0, 0, 1]),
        dst: Addr::v4([10, 0, 0, 2]),
        sport: 40000,
        dport: 25,
        proto: 6,
        vlan: &[],
        ts: Timestamp(0),
    };
    let prefix: &[u8] = match sel % 4 {
        1 => b"EHLO fuzz\r\n",
        2 => b"EHLO fuzz\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
        3 => b"EHLO fuzz\r\nBDAT 64 LAST\r\n",
        _ => b"",
    };
    if !prefix.is_empty() {
        layer.on_stream_data(&flow, &mut slot, Direction::ToServer, prefix, &mut sink);
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
    assert!(sink.open.is_empty(), "files left open: {:?}", sink.open);
});
