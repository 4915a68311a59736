//! Fuzz the RFB (VNC) handshake parser as a TCP stream (chunks and gaps in both directions)
//! through the app layer.
//!
//! Input: byte 0 = selector (bit 0: prefix both 3.8 version banners so detection succeeds),
//! then records [op] [len u8] [len bytes]: op % 4 = 0 data to server, 1 data to client, 2 gap
//! to server, 3 gap to client. Asserts: no panic; at most one RFB transaction, `Complete`,
//! tx_id 0; a decoded ServerInit's name never exceeds the handshake cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_app::rfb::MAX_HANDSHAKE;
use sekimori_app::{
    AppConfig, AppLayer, AppParser, AppSink, AppTx, Direction, FileSink, FlowCtx, RfbParser,
    Transport, TxStage,
};
use sekimori_fuzz::{flow, replay_ops};

#[derive(Default)]
struct Sink {
    rfb: u32,
}

impl FileSink for Sink {}

impl AppSink for Sink {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let AppTx::Rfb(t) = tx {
            assert_eq!(stage, TxStage::Complete);
            assert_eq!(t.tx_id, 0);
            self.rfb += 1;
            assert!(self.rfb <= 1, "one handshake per flow");
            if let Some(i) = &t.server_init {
                assert!(i.name.len() <= MAX_HANDSHAKE);
            }
            let _ = t.security_result_str();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for d in [Direction::ToServer, Direction::ToClient] {
        let _ = RfbParser::probe(Transport::Tcp, d, data);
    }
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let mut layer = AppLayer::new(AppConfig::default()).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = flow(5900, 6);
    if sel & 1 != 0 {
        layer.on_stream_data(&flow, &mut slot, Direction::ToClient, b"RFB 003.008\n", &mut sink);
        layer.on_stream_data(&flow, &mut slot, Direction::ToServer, b"RFB 003.008\n", &mut sink);
    }
    replay_ops(&mut layer, &flow, &mut slot, rest, &mut sink);
    layer.on_flow_end(&flow, &mut slot, &mut sink);
});
