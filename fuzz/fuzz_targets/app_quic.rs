//! Fuzz the QUIC Initial parser (header, protection removal, frames, hellos) with datagrams
//! through the app layer.
//!
//! Input: byte 0 = selector (bit 0: prefix a well-formed v1 Initial header with an 8-byte DCID
//! so detection succeeds), then records [dir] [len u16 LE] [len bytes], each one datagram
//! (dir & 1 = 0 to server, 1 to client). Asserts: no panic; transaction ids unique and
//! increasing; a client transaction has a JA3 and a server one a JA3S.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_app::quic::initial_header;
use sekimori_app::{
    AppConfig, AppLayer, AppParser, AppSink, AppTx, Direction, FileSink, FlowCtx, QuicParser,
    Transport, TxStage,
};
use sekimori_fuzz::flow;

#[derive(Default)]
struct Sink {
    next: u64,
}

impl FileSink for Sink {}

impl AppSink for Sink {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let AppTx::Quic(t) = tx {
            assert_eq!(stage, TxStage::Complete);
            assert_eq!(t.tx_id, self.next);
            self.next += 1;
            match t.dir {
                Some(Direction::ToServer) => assert!(t.ja3.is_some()),
                Some(Direction::ToClient) => assert!(t.ja3s.is_some()),
                None => panic!("no direction"),
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = initial_header(data);
    let _ = QuicParser::probe(Transport::Udp, Direction::ToServer, data);
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let mut layer = AppLayer::new(AppConfig::default()).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = flow(443, 17);
    let mut prefix = Vec::new();
    if sel & 1 != 0 {
        prefix.extend_from_slice(&[0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x40, 0x40]);
    }
    let mut first = true;
    while let [dir, a, b, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*a, *b])).min(tail.len());
        let (dgram, next) = tail.split_at(len);
        let d = if dir & 1 == 0 { Direction::ToServer } else { Direction::ToClient };
        if first && !prefix.is_empty() {
            let mut p = prefix.clone();
            p.extend_from_slice(dgram);
            layer.on_udp(&flow, &mut slot, d, &p, &mut sink);
        } else {
            layer.on_udp(&flow, &mut slot, d, dgram, &mut sink);
        }
        first = false;
        rest = next;
    }
    layer.on_flow_end(&flow, &mut slot, &mut sink);
});
