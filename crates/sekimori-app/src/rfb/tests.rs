use super::*;
use crate::layer::AppLayer;
use crate::sink::{AppSink, FileSink};
use crate::types::FlowCtx;

#[derive(Default)]
struct Sink {
    txs: Vec<RfbTx>,
    detected: Vec<AppProto>,
}
impl FileSink for Sink {}
impl AppSink for Sink {
    fn on_detect(&mut self, _f: &FlowCtx<'_>, p: AppProto, _d: Direction, _r: bool) {
        self.detected.push(p);
    }
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let (AppTx::Rfb(t), TxStage::Complete) = (tx, stage) {
            self.txs.push(t.clone());
        }
    }
}

fn flow(dport: u16) -> FlowCtx<'static> {
    FlowCtx {
        id: 1,
        src: sekimori_decode::Addr::v4([192, 168, 1, 123]),
        dst: sekimori_decode::Addr::v4([192, 168, 1, 10]),
        sport: 58102,
        dport,
        proto: 6,
        vlan: &[],
        ts: sekimori_capture::Timestamp(0),
    }
}

fn server_init(name: &[u8]) -> Vec<u8> {
    let mut m = vec![0x03, 0x20, 0x02, 0x58]; // 800 x 600
    m.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    m.extend_from_slice(&(name.len() as u32).to_be_bytes());
    m.extend_from_slice(name);
    m
}

/// Runs a 3.8 VNC-auth handshake, the server's messages split as `chunks` says.
fn run(server_first_all: bool) -> Sink {
    let mut layer = AppLayer::new(AppConfig::default()).unwrap();
    let mut slot = None;
    let f = flow(5900);
    let mut sink = Sink::default();
    let s = Direction::ToClient;
    let c = Direction::ToServer;
    let mut server = Vec::new();
    server.extend_from_slice(b"RFB 003.008\n");
    server.extend_from_slice(&[2, 2, 5]);
    server.extend_from_slice(&[0xAA; 16]);
    server.extend_from_slice(&0u32.to_be_bytes());
    server.extend_from_slice(&server_init(b"\xa0"));
    let mut client = Vec::new();
    client.extend_from_slice(b"RFB 003.008\n");
    client.push(2);
    client.extend_from_slice(&[0x55; 16]);
    client.push(0);
    if server_first_all {
        // Every server byte before any client byte: the server side waits for the choice.
        layer.on_stream_data(&f, &mut slot, s, &server, &mut sink);
        layer.on_stream_data(&f, &mut slot, c, &client, &mut sink);
    } else {
        layer.on_stream_data(&f, &mut slot, s, &server[..12], &mut sink);
        layer.on_stream_data(&f, &mut slot, c, &client[..12], &mut sink);
        layer.on_stream_data(&f, &mut slot, s, &server[12..15], &mut sink);
        layer.on_stream_data(&f, &mut slot, c, &client[12..13], &mut sink);
        for b in server[15..].chunks(5) {
            layer.on_stream_data(&f, &mut slot, s, b, &mut sink);
        }
        layer.on_stream_data(&f, &mut slot, c, &client[13..], &mut sink);
    }
    assert_eq!(layer.on_flow_end(&f, &mut slot, &mut sink), Some("rfb"));
    sink
}

#[test]
fn vnc_auth_handshake_3_8() {
    for order in [false, true] {
        let sink = run(order);
        assert_eq!(sink.detected, vec![AppProto::Rfb]);
        assert_eq!(sink.txs.len(), 1, "one handshake transaction");
        let t = &sink.txs[0];
        let v = t.server_version.unwrap();
        assert_eq!((&v.major, &v.minor), (b"003", b"008"));
        assert_eq!(t.client_version.unwrap().minor_num(), 8);
        assert_eq!(t.offered_types, vec![2, 5]);
        assert_eq!(t.security_type, Some(2));
        assert_eq!(t.vnc_challenge, Some([0xAA; 16]));
        assert_eq!(t.vnc_response, Some([0x55; 16]));
        assert_eq!(t.security_result_str().as_deref(), Some("OK"));
        assert_eq!(t.shared, Some(false));
        let init = t.server_init.as_ref().unwrap();
        assert_eq!((init.width, init.height), (800, 600));
        assert_eq!(init.name, b"\xa0");
        let pf = init.pixel_format;
        assert_eq!((pf.bits_per_pixel, pf.depth), (32, 24));
        assert!(!pf.big_endian && pf.true_color);
        assert_eq!((pf.red_max, pf.green_max, pf.blue_max), (255, 255, 255));
        assert_eq!((pf.red_shift, pf.green_shift, pf.blue_shift), (16, 8, 0));
    }
}

#[test]
fn version_3_3_server_imposes_type_none() {
    let mut p = RfbParser::create(&AppConfig::default(), Transport::Tcp);
    p.buf[1].extend_from_slice(b"RFB 003.003\n");
    p.buf[0].extend_from_slice(b"RFB 003.003\n\x01");
    p.buf[1].extend_from_slice(&1u32.to_be_bytes());
    p.buf[1].extend_from_slice(&server_init(b"desk"));
    p.advance();
    assert_eq!(p.tx.security_type, Some(1));
    assert_eq!(
        p.tx.security_result, None,
        "3.3 sends no result for type None"
    );
    assert_eq!(p.tx.shared, Some(true));
    assert_eq!(p.tx.server_init.as_ref().unwrap().name, b"desk");
    assert_eq!(p.server, ServerStep::Done);
}

#[test]
fn probe_and_hostile_input() {
    let t = Transport::Tcp;
    assert_eq!(
        RfbParser::probe(t, Direction::ToClient, b"RFB 003.008\n"),
        Probe::Yes
    );
    assert_eq!(
        RfbParser::probe(t, Direction::ToClient, b"RFB 0"),
        Probe::NeedMore
    );
    assert_eq!(
        RfbParser::probe(t, Direction::ToClient, b"RFB 0x3.008\n"),
        Probe::No
    );
    assert_eq!(
        RfbParser::probe(t, Direction::ToClient, b"GET / HTTP/1.1"),
        Probe::No
    );
    assert_eq!(
        RfbParser::probe(Transport::Udp, Direction::ToClient, b"RFB 003.008\n"),
        Probe::No
    );
    // Garbage and huge lengths never panic and never buffer without bound.
    let mut p = RfbParser::create(&AppConfig::default(), Transport::Tcp);
    p.buf[1].extend_from_slice(b"RFB 003.008\n\x00\xff\xff\xff\xff");
    p.buf[0].extend_from_slice(b"RFB 003.008\n");
    p.advance();
    assert!(p.failed, "a fail reason longer than the cap stops parsing");
    let mut p = RfbParser::create(&AppConfig::default(), Transport::Tcp);
    p.buf[1].extend_from_slice(b"RFX 003.008\n");
    p.advance();
    assert!(p.failed);
    assert!(RfbVersion::parse(b"RFB 003.00").is_none());
}
