//! Fuzz the DNS parser: the whole input as one message (request and response parsing, both
//! probes), then as a sequence of UDP datagrams or TCP stream chunks through the app layer.
//!
//! Input: byte 0 bit 0 = TCP, then records [op] [len u8] [len bytes]: op % 4 = 0 data to server,
//! 1 data to client, 2 gap to server (TCP), 3 gap to client (TCP). Asserts: no panic, names are
//! never longer than the limit, transaction ids strictly increase.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_app::dns::DnsMessage;
use sekimori_app::dns::message::MAX_NAME_LEN;
use sekimori_app::{
    AppConfig, AppLayer, AppParser, AppSink, AppTx, Direction, DnsParser, FileSink, FlowCtx,
    Transport, TxStage,
};

#[derive(Default)]
struct Sink {
    last: Option<u64>,
}

impl FileSink for Sink {}

impl AppSink for Sink {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        // (HTTP may be detected on the same flow: only DNS is checked here.)
        if let AppTx::Dns(t) = tx {
            assert_eq!(stage, TxStage::Complete);
            assert!(self.last.is_none_or(|l| t.tx_id > l));
            self.last = Some(t.tx_id);
            let m = &t.message;
            for q in &m.queries {
                assert!(m.name(&q.name).len() <= MAX_NAME_LEN);
            }
            for r in m.answers.iter().chain(m.authorities.iter()) {
                assert!(m.name(&r.name).len() <= MAX_NAME_LEN);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut m = DnsMessage::default();
    let _ = m.parse(data, false);
    let _ = m.parse(data, true);
    for t in [Transport::Udp, Transport::Tcp] {
        for d in [Direction::ToServer, Direction::ToClient] {
            let _ = DnsParser::probe(t, d, data);
        }
    }
    let Some((&bits, mut rest)) = data.split_first() else {
        return;
    };
    let tcp = bits & 1 != 0;
    let mut cfg = AppConfig::default();
    cfg.dns.any_port = true;
    let mut layer = AppLayer::new(cfg).expect("valid config");
    let mut slot = None;
    let mut sink = Sink::default();
    let flow = sekimori_fuzz::flow(53, if tcp { 6 } else { 17 });
    while let [op, len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (chunk, next) = tail.split_at(n);
        rest = next;
        let dir = if op % 2 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        match (op % 4, tcp) {
            (0 | 1, true) => layer.on_stream_data(&flow, &mut slot, dir, chunk, &mut sink),
            (0 | 1, false) => layer.on_udp(&flow, &mut slot, dir, chunk, &mut sink),
            (_, true) => layer.on_stream_gap(&flow, &mut slot, dir, u64::from(*len) + 1, &mut sink),
            (_, false) => layer.on_udp(&flow, &mut slot, dir, chunk, &mut sink),
        }
    }
    layer.on_flow_end(&flow, &mut slot, &mut sink);
});
