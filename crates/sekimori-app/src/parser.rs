//! The one trait every protocol parser implements, and the context it is handed.
//!
//! Contract (as in Suricata's app-layer): the layer gives a parser the bytes of one direction in
//! order. The parser answers [`ParseResult::Ok`] (everything consumed), [`ParseResult::Incomplete`]
//! (`consumed` bytes used, at least `needed` more required after the rest: the layer keeps
//! `data[consumed..]`, capped by `AppConfig::max_pending`, and presents it again, followed by new
//! bytes, once `needed` more arrived), [`ParseResult::Error`] (the parser gives up on the flow) or
//! [`ParseResult::Switch`] (the protocol ends here, e.g. an HTTP CONNECT tunnel: detection starts
//! again on `data[consumed..]` and everything after). Gaps are announced with
//! [`AppParser::gap`]; the parser must resynchronise on its own.

use crate::config::AppConfig;
use crate::sink::{AppSink, AppTx};
use crate::stats::AppStats;
use crate::types::{AppEvent, AppProto, Direction, EventLayer, FlowCtx, Transport, TxStage};

/// Answer of a content probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The bytes are this protocol.
    Yes,
    /// The bytes are not this protocol.
    No,
    /// Too few bytes to tell.
    NeedMore,
    /// The bytes are this protocol, but they belong to the other direction (a server speaking
    /// first where a client should, e.g. an HTTP response sent "to the server"): the flow's
    /// directions are reversed for the parser, as Suricata swaps the flow.
    Reverse,
}

/// Answer of [`AppParser::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseResult {
    /// All bytes were consumed.
    Ok,
    /// `consumed` bytes were used; the message at `data[consumed..]` needs `needed` more bytes.
    Incomplete {
        /// Bytes used (everything before the incomplete message).
        consumed: usize,
        /// Minimum number of further bytes needed (at least 1 is assumed).
        needed: usize,
    },
    /// The data cannot be parsed; the parser stops for this flow.
    Error,
    /// This protocol ends after `consumed` bytes; the rest belongs to whatever is detected next.
    Switch {
        /// Bytes used by this protocol.
        consumed: usize,
    },
}

/// Static facts about a protocol: its identity and default detection ports.
#[derive(Clone, Copy, Debug)]
pub struct ProtocolInfo {
    /// The protocol.
    pub proto: AppProto,
    /// Runs over TCP.
    pub tcp: bool,
    /// Runs over UDP.
    pub udp: bool,
}

/// Everything a parser may use while parsing: the flow, the sink, the counters, the settings.
pub struct ParseCx<'a> {
    /// The flow being parsed.
    pub flow: &'a FlowCtx<'a>,
    /// Where transactions, events and bodies go.
    pub sink: &'a mut dyn AppSink,
    /// The layer's counters.
    pub stats: &'a mut AppStats,
    /// The layer's settings.
    pub cfg: &'a AppConfig,
    /// The flow's next body-stream id (kept by the layer so ids stay unique per flow even when
    /// a parser is replaced after a protocol switch).
    pub(crate) file_ids: &'a mut u64,
}

impl ParseCx<'_> {
    /// A new body-stream id, unique within the flow.
    pub fn new_file_id(&mut self) -> crate::sink::FileId {
        let id = crate::sink::FileId(*self.file_ids);
        *self.file_ids += 1;
        id
    }

    /// Raises a parser event (`proto_parser` layer).
    pub fn event(
        &mut self,
        proto: AppProto,
        dir: Direction,
        tx_id: Option<u64>,
        name: &'static str,
    ) {
        self.stats.events += 1;
        let ev = AppEvent {
            proto: Some(proto),
            layer: EventLayer::ProtoParser,
            dir,
            tx_id,
            name,
        };
        self.sink.on_event(self.flow, &ev);
    }

    /// Hands a transaction to the sink at `stage`; counts completed ones.
    pub fn tx(&mut self, tx: AppTx<'_>, stage: TxStage) {
        if stage == TxStage::Complete {
            self.stats.txs += 1;
        }
        self.sink.on_tx(self.flow, tx, stage);
    }
}

/// A protocol parser: one instance per flow, kept in the flow's app-layer slot.
///
/// Adding a protocol: implement this trait and add `ProtocolEntry::of::<YourParser>()` to
/// [`crate::Registry::builtin`]. The three `where Self: Sized` functions describe the protocol;
/// the rest is the per-flow parser, called through `dyn AppParser`.
pub trait AppParser: Send + 'static {
    /// The protocol's identity and transports.
    fn info() -> ProtocolInfo
    where
        Self: Sized;

    /// Server ports where detection tries this protocol first (and, unless
    /// [`AppParser::any_port`], only there).
    fn ports(cfg: &AppConfig, transport: Transport) -> Vec<u16>
    where
        Self: Sized;

    /// Whether the probe may run on any port (true for protocols recognised by content alone).
    fn any_port(cfg: &AppConfig, transport: Transport) -> bool
    where
        Self: Sized;

    /// Looks at the first bytes of one direction (or one datagram) and tells whether they are
    /// this protocol. Must not panic on any input.
    fn probe(transport: Transport, dir: Direction, data: &[u8]) -> Probe
    where
        Self: Sized;

    /// A fresh parser for one flow.
    fn create(cfg: &AppConfig, transport: Transport) -> Self
    where
        Self: Sized;

    /// The protocol this parser speaks.
    fn proto(&self) -> AppProto;

    /// Parses the next bytes of `dir` (a stream chunk, or one whole datagram for UDP).
    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult;

    /// `len` bytes of `dir` are missing: drop partial state and resynchronise.
    fn gap(&mut self, dir: Direction, len: u64, cx: &mut ParseCx<'_>);

    /// `dir` ended. `tail` holds bytes kept for an incomplete message (parse what is possible).
    fn close(&mut self, dir: Direction, tail: &[u8], cx: &mut ParseCx<'_>);

    /// The flow ended: hand every remaining transaction to the sink as `Complete`.
    fn finish(&mut self, cx: &mut ParseCx<'_>);

    /// Approximate heap bytes held by this parser (for memory accounting).
    fn memory(&self) -> usize;
}
