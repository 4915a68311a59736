//! Test helpers: a sink that records everything, and a one-flow harness around [`AppLayer`].

use crate::{
    AppConfig, AppEvent, AppLayer, AppProto, AppSink, AppSlot, AppTx, Direction, DnsTx, FileClose,
    FileId, FileKind, FileOpen, FileSink, FlowCtx, HttpTx, TxStage,
};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecFile {
    pub(crate) id: FileId,
    pub(crate) tx_id: u64,
    pub(crate) dir: Direction,
    pub(crate) kind: FileKind,
    pub(crate) name: Vec<u8>,
    pub(crate) field: Vec<u8>,
    pub(crate) content_type: Vec<u8>,
    pub(crate) declared_len: Option<u64>,
    pub(crate) data: Vec<u8>,
    pub(crate) close: Option<FileClose>,
}

/// Records everything the layer hands out.
#[derive(Default)]
pub(crate) struct Rec {
    pub(crate) http: Vec<HttpTx>,
    pub(crate) dns: Vec<DnsTx>,
    pub(crate) tls: Vec<crate::tls::TlsTx>,
    pub(crate) smtp: Vec<crate::smtp::SmtpTx>,
    pub(crate) smb: Vec<crate::smb::SmbTx>,
    pub(crate) stages: Vec<(u64, TxStage)>,
    pub(crate) events: Vec<AppEvent>,
    pub(crate) files: Vec<RecFile>,
    pub(crate) detected: Vec<(AppProto, Direction)>,
    /// Keep file data (off for the big tests).
    pub(crate) keep_data: bool,
    pub(crate) data_bytes: u64,
}

impl FileSink for Rec {
    fn file_open(&mut self, _flow: &FlowCtx<'_>, f: &FileOpen<'_>) {
        self.files.push(RecFile {
            id: f.id,
            tx_id: f.tx_id,
            dir: f.dir,
            kind: f.kind,
            name: f.name.to_vec(),
            field: f.field.to_vec(),
            content_type: f.content_type.to_vec(),
            declared_len: f.declared_len,
            data: Vec::new(),
            close: None,
        });
    }
    fn file_data(&mut self, _flow: &FlowCtx<'_>, id: FileId, data: &[u8]) {
        self.data_bytes += data.len() as u64;
        let keep = self.keep_data;
        let f = self
            .files
            .iter_mut()
            .find(|f| f.id == id)
            .expect("data for an unknown file");
        assert!(f.close.is_none(), "data after close");
        if keep {
            f.data.extend_from_slice(data);
        }
    }
    fn file_close(&mut self, _flow: &FlowCtx<'_>, id: FileId, end: &FileClose) {
        let f = self
            .files
            .iter_mut()
            .find(|f| f.id == id)
            .expect("close of an unknown file");
        assert!(f.close.is_none(), "double close");
        f.close = Some(*end);
    }
}

impl AppSink for Rec {
    fn on_detect(&mut self, _flow: &FlowCtx<'_>, proto: AppProto, dir: Direction, _reversed: bool) {
        self.detected.push((proto, dir));
    }
    fn on_tx(&mut self, _flow: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        self.stages.push((tx.tx_id(), stage));
        if stage == TxStage::Complete {
            match tx {
                AppTx::Http(t) => self.http.push(t.clone()),
                AppTx::Dns(t) => self.dns.push(t.clone()),
                AppTx::Tls(t) => self.tls.push(t.clone()),
                AppTx::Smtp(t) => self.smtp.push(t.clone()),
                AppTx::Smb(t) => self.smb.push(t.clone()),
                AppTx::Rfb(_) | AppTx::Quic(_) => {}
            }
        }
    }
    fn on_event(&mut self, _flow: &FlowCtx<'_>, e: &AppEvent) {
        self.events.push(*e);
    }
}

/// One flow through a fresh layer.
pub(crate) struct Harness {
    pub(crate) layer: AppLayer,
    pub(crate) slot: AppSlot,
    pub(crate) rec: Rec,
    pub(crate) proto: u8,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) ts: Timestamp,
}

impl Harness {
    pub(crate) fn new(cfg: AppConfig, proto: u8, dport: u16) -> Harness {
        Harness {
            layer: AppLayer::new(cfg).expect("valid config"),
            slot: None,
            rec: Rec {
                keep_data: true,
                ..Rec::default()
            },
            proto,
            sport: 40000,
            dport,
            ts: Timestamp::from_micros(1_600_000_000, 0),
        }
    }
    pub(crate) fn tcp(dport: u16) -> Harness {
        Harness::new(AppConfig::default(), 6, dport)
    }
    pub(crate) fn udp(dport: u16) -> Harness {
        Harness::new(AppConfig::default(), 17, dport)
    }
    fn flow(&self) -> FlowCtx<'static> {
        FlowCtx {
            id: 1,
            src: Addr::v4([10, 0, 0, 1]),
            dst: Addr::v4([10, 0, 0, 2]),
            sport: self.sport,
            dport: self.dport,
            proto: self.proto,
            vlan: &[],
            ts: self.ts,
        }
    }
    pub(crate) fn data(&mut self, dir: Direction, d: &[u8]) {
        self.ts = self.ts.add_secs(1);
        let f = self.flow();
        if self.proto == 17 {
            self.layer.on_udp(&f, &mut self.slot, dir, d, &mut self.rec);
        } else {
            self.layer
                .on_stream_data(&f, &mut self.slot, dir, d, &mut self.rec);
        }
    }
    pub(crate) fn ts_data(&mut self, d: &[u8]) {
        self.data(Direction::ToServer, d);
    }
    pub(crate) fn tc_data(&mut self, d: &[u8]) {
        self.data(Direction::ToClient, d);
    }
    pub(crate) fn gap(&mut self, dir: Direction, len: u64) {
        let f = self.flow();
        self.layer
            .on_stream_gap(&f, &mut self.slot, dir, len, &mut self.rec);
    }
    pub(crate) fn close(&mut self, dir: Direction) {
        let f = self.flow();
        self.layer
            .on_stream_close(&f, &mut self.slot, dir, &mut self.rec);
    }
    pub(crate) fn end(&mut self) -> Option<&'static str> {
        let f = self.flow();
        self.layer.on_flow_end(&f, &mut self.slot, &mut self.rec)
    }
    pub(crate) fn memory(&self) -> usize {
        AppLayer::flow_state(&self.slot).map_or(0, |s| s.memory())
    }
}
