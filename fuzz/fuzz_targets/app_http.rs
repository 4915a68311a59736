//! Fuzz the HTTP/1.x parser through the app layer with arbitrary operation sequences.
//!
//! Input: byte 0 = config bits (tiny caps, no multipart, no request decompression), then records
//! [op] [len u8] [len bytes]: op % 5 = 0 data to server, 1 data to client, 2 gap to server,
//! 3 gap to client, 4 close one direction. A fixed first request makes the flow HTTP, so every
//! byte after it reaches the parser. Asserts: no panic; parser memory stays bounded; every
//! transaction is completed exactly once; every opened body stream is closed exactly once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_app::{
    AppConfig, AppLayer, AppSink, AppTx, Direction, FileClose, FileId, FileOpen, FileSink, FlowCtx,
    TxStage,
};

#[derive(Default)]
struct Sink {
    complete: Vec<u64>,
    open: Vec<FileId>,
    closed: Vec<FileId>,
}

impl FileSink for Sink {
    fn file_open(&mut self, _f: &FlowCtx<'_>, o: &FileOpen<'_>) {
        assert!(!self.open.contains(&o.id));
        self.open.push(o.id);
    }
    fn file_data(&mut self, _f: &FlowCtx<'_>, id: FileId, d: &[u8]) {
        assert!(self.open.contains(&id) && !self.closed.contains(&id));
        assert!(!d.is_empty());
    }
    fn file_close(&mut self, _f: &FlowCtx<'_>, id: FileId, _e: &FileClose) {
        assert!(self.open.contains(&id) && !self.closed.contains(&id));
        self.closed.push(id);
    }
}

impl AppSink for Sink {
    fn on_detect(&mut self, _f: &FlowCtx<'_>, _p: sekimori_app::AppProto, _d: Direction, _r: bool) {
        // A new parser (after a CONNECT tunnel switched back to HTTP) numbers from 0 again.
        self.complete.clear();
    }
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if stage == TxStage::Complete {
            let id = tx.tx_id();
            assert!(!self.complete.contains(&id), "tx {id} completed twice");
            self.complete.push(id);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&bits, mut rest)) = data.split_first() else {
        return;
    };
    let mut cfg = AppConfig::default();
    if bits & 1 != 0 {
        cfg.max_pending = 4096;
        cfg.http.max_head_len = 512;
        cfg.http.max_headers = 8;
        cfg.http.max_tx = 4;
        cfg.http.request_body_limit = 64;
        cfg.http.response_body_limit = 64;
        cfg.http.decompress_max_output = 4096;
        cfg.http.bomb_limit = 1024;
        cfg.http.bomb_ratio = 4;
    }
    cfg.http.multipart = bits & 2 == 0;
    cfg.http.decompress_requests = bits & 4 == 0;
    let mut layer = AppLayer::new(cfg).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = sekimori_fuzz::flow(80, 6);
    layer.on_stream_data(
        &flow,
        &mut slot,
        Direction::ToServer,
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        &mut sink,
    );
    while let [op, len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (chunk, next) = tail.split_at(n);
        rest = next;
        match op % 5 {
            0 => layer.on_stream_data(&flow, &mut slot, Direction::ToServer, chunk, &mut sink),
            1 => layer.on_stream_data(&flow, &mut slot, Direction::ToClient, chunk, &mut sink),
            2 => layer.on_stream_gap(
                &flow,
                &mut slot,
                Direction::ToServer,
                u64::from(*len) + 1,
                &mut sink,
            ),
            3 => layer.on_stream_gap(
                &flow,
                &mut slot,
                Direction::ToClient,
                u64::from(*len) + 1,
                &mut sink,
            ),
            _ => {
                let dir = if len % 2 == 0 {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                };
                layer.on_stream_close(&flow, &mut slot, dir, &mut sink);
            }
        }
        let mem = AppLayer::flow_state(&slot).map_or(0, |s| s.memory());
        assert!(mem < 64 * 1024 * 1024, "flow memory {mem}");
    }
    layer.on_flow_end(&flow, &mut slot, &mut sink);
    assert_eq!(
        sink.open.len(),
        sink.closed.len(),
        "every body stream is closed"
    );
});
