//! Fuzz the TLS parser: the whole input through the hello and certificate decoders, then as a
//! TCP stream (chunks and gaps in both directions) through the app layer, detection included.
//!
//! Input: byte 0 = a prefix selector (0: none, 1: a valid ClientHello record header so detection
//! succeeds, 2: a ServerHello-direction handshake header), then records [op] [len u8] [len bytes]:
//! op % 4 = 0 data to server, 1 data to client, 2 gap to server, 3 gap to client. Asserts: no
//! panic, at most one TLS transaction per flow, always `Complete`, with tx_id 0, and JA3/JA4
//! shapes as specified when present.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_app::tls::{CertInfo, md5_hex};
use sekimori_app::{
    AppConfig, AppLayer, AppParser, AppSink, AppTx, Direction, FileSink, FlowCtx, TlsParser,
    Transport, TxStage,
};
use sekimori_fuzz::{flow, replay_ops};

#[derive(Default)]
struct Sink {
    tls: u32,
}

impl FileSink for Sink {}

impl AppSink for Sink {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let AppTx::Tls(t) = tx {
            assert_eq!(stage, TxStage::Complete);
            assert_eq!(t.tx_id, 0);
            self.tls += 1;
            assert!(self.tls <= 1, "one transaction per session");
            if let (Some(s), Some(h)) = (&t.ja3, &t.ja3_hash) {
                assert_eq!(&md5_hex(s), h);
            }
            if let Some(j) = &t.ja4 {
                assert_eq!(j.len(), 36, "{j}");
                assert!(j.starts_with('t'));
            }
            let _ = t.version_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = CertInfo::from_der(data);
    for d in [Direction::ToServer, Direction::ToClient] {
        let _ = TlsParser::probe(Transport::Tcp, d, data);
    }
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let mut layer = AppLayer::new(AppConfig::default()).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = flow(443, 6);
    match sel % 3 {
        1 => layer.on_stream_data(
            &flow,
            &mut slot,
            Direction::ToServer,
            &[22, 3, 1],
            &mut sink,
        ),
        2 => layer.on_stream_data(
            &flow,
            &mut slot,
            Direction::ToClient,
            &[22, 3, 3],
            &mut sink,
        ),
        _ => {}
    }
    replay_ops(&mut layer, &flow, &mut slot, rest, &mut sink);
    layer.on_flow_end(&flow, &mut slot, &mut sink);
});
