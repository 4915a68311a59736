use super::*;
use crate::layer::AppLayer;
use crate::replay::replay_pcap;
use crate::sink::{AppSink, FileSink};
use crate::types::FlowCtx;

#[derive(Default)]
struct Collect {
    quic: Vec<QuicTx>,
}
impl FileSink for Collect {}
impl AppSink for Collect {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let (AppTx::Quic(t), TxStage::Complete) = (tx, stage) {
            self.quic.push(t.clone());
        }
    }
}

#[test]
fn varints() {
    assert_eq!(varint(&[0x25]), Some((37, 1)));
    assert_eq!(varint(&[0x7b, 0xbd]), Some((15293, 2)));
    assert_eq!(varint(&[0x9d, 0x7f, 0x3e, 0x7d]), Some((494_878_333, 4)));
    assert_eq!(
        varint(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c]),
        Some((151_288_809_941_952_652, 8))
    );
    assert_eq!(varint(&[0x7b]), None, "truncated");
    assert_eq!(varint(&[]), None);
}

#[test]
fn initial_header_layout_and_hostile_input() {
    // Long header, Initial, version 1, DCID 8 bytes, SCID 0, token 0, length 20.
    let mut p = vec![0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 20];
    p.extend_from_slice(&[0u8; 20]);
    let h = initial_header(&p).unwrap();
    assert_eq!((h.version, h.dcid.len(), h.scid.len()), (1, 8, 0));
    assert_eq!((h.pn_offset, h.length), (17, 20));
    // Length beyond the datagram, unknown version, short header, Handshake type: no.
    assert!(initial_header(&p[..30]).is_none());
    let mut v2 = p.clone();
    v2[4] = 9;
    assert!(initial_header(&v2).is_none());
    assert!(initial_header(&[0x43, 1, 2, 3]).is_none());
    let mut hs = p.clone();
    hs[0] = 0xe3;
    assert!(initial_header(&hs).is_none());
    // A parser fed garbage that looks like an Initial never panics and logs nothing.
    let mut layer = AppLayer::new(AppConfig::default()).unwrap();
    let mut slot = None;
    let f = FlowCtx {
        id: 1,
        src: sekimori_decode::Addr::v4([10, 0, 0, 1]),
        dst: sekimori_decode::Addr::v4([10, 0, 0, 2]),
        sport: 50000,
        dport: 443,
        proto: 17,
        vlan: &[],
        ts: sekimori_capture::Timestamp(0),
    };
    let mut sink = Collect::default();
    layer.on_udp(&f, &mut slot, Direction::ToServer, &p, &mut sink);
    layer.on_udp(&f, &mut slot, Direction::ToClient, &p, &mut sink);
    layer.on_udp(&f, &mut slot, Direction::ToClient, &[0xff; 3], &mut sink);
    assert_eq!(layer.on_flow_end(&f, &mut slot, &mut sink), Some("quic"));
    assert!(sink.quic.is_empty(), "nothing authenticates");
}

/// suricata-verify `quic-ietf-ja3`: the client's and the server's Initial packets decrypt,
/// and their hellos give the JA3 / JA3S Suricata 7.0.10 logged.
#[test]
fn replay_quic_ietf_capture() {
    let Some(data) = sekimori_fixtures::shared::path("data") else {
        return; // shared data not present
    };
    let pcap = data.join("suricata-verify/tests/quic-ietf-ja3/input.pcap");
    if !pcap.exists() {
        return;
    }
    let mut layer = AppLayer::new(AppConfig::default()).unwrap();
    let mut sink = Collect::default();
    replay_pcap(&pcap, &mut layer, &mut sink).unwrap();
    assert_eq!(sink.quic.len(), 2, "{:?}", sink.quic);
    let c = &sink.quic[0];
    assert_eq!((c.tx_id, c.dir), (0, Some(Direction::ToServer)));
    assert_eq!(c.version_string(), "1");
    assert_eq!(c.sni(), Some(&b"msquic.net"[..]));
    assert_eq!(
        c.ja3.as_deref(),
        Some("771,4865-4866-4867,51-0-16-43-13-10-57-45-41,23-29,")
    );
    assert_eq!(
        c.ja3_hash.as_deref(),
        Some("292bd0719190dff4cb1033de8573310d")
    );
    let s = &sink.quic[1];
    assert_eq!((s.tx_id, s.dir), (1, Some(Direction::ToClient)));
    assert_eq!(s.ja3s.as_deref(), Some("771,4866,43-51-41"));
    assert_eq!(
        s.ja3s_hash.as_deref(),
        Some("2253c82f03b621c5144709b393fde2c9")
    );
}
