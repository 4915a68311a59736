//! The app layer: protocol detection plus the per-flow parser, driven by the engine.
//!
//! The engine owns one [`AppLayer`] per worker and calls it for every flow with the flow's
//! app-layer slot; the per-flow state ([`FlowApp`]) lives inside that slot, so it is dropped with
//! the flow. Detection probes the first bytes of each direction (both directions count; the
//! server port is a hint that orders the probes and, for protocols that ask for it, restricts
//! them). Once a protocol is known, bytes go to its parser; incomplete messages are held here
//! (capped) and presented again with the next bytes.

use std::any::Any;

use crate::config::AppConfig;
use crate::error::ConfigError;
use crate::parser::{AppParser, ParseCx, ParseResult};
use crate::registry::{Detect, Registry};
use crate::sink::AppSink;
use crate::stats::AppStats;
use crate::types::{AppEvent, AppProto, Direction, EventLayer, FlowCtx, Transport};

/// The per-flow slot type the engine keeps (identical to the engine's `AppSlot`).
pub type AppSlot = Option<Box<dyn Any + Send>>;

/// Protocol switches (CONNECT tunnels, upgrades) allowed per flow before the layer stops.
const MAX_SWITCHES: u8 = 4;

enum State {
    Detecting,
    Parsing(Box<dyn AppParser>),
    Failed,
}

/// Per-flow app-layer state, stored in the flow's [`AppSlot`].
pub struct FlowApp {
    state: State,
    transport: Option<Transport>,
    proto: Option<AppProto>,
    orig: Option<AppProto>,
    probe_buf: [Vec<u8>; 2],
    probe_failed: [bool; 2],
    probe_dropped: [u64; 2],
    probe_first: Option<Direction>,
    datagrams_probed: u32,
    pending: [Vec<u8>; 2],
    want: [usize; 2],
    closed: [bool; 2],
    switches: u8,
    reversed: bool,
    ended: bool,
    file_ids: u64,
}

impl FlowApp {
    fn new() -> Self {
        FlowApp {
            state: State::Detecting,
            transport: None,
            proto: None,
            orig: None,
            probe_buf: [Vec::new(), Vec::new()],
            probe_failed: [false; 2],
            probe_dropped: [0; 2],
            probe_first: None,
            datagrams_probed: 0,
            pending: [Vec::new(), Vec::new()],
            want: [0; 2],
            closed: [false; 2],
            switches: 0,
            reversed: false,
            ended: false,
            file_ids: 0,
        }
    }

    /// The protocol being parsed (or last parsed).
    pub fn app_proto(&self) -> Option<AppProto> {
        self.proto
    }

    /// The protocol before a switch (HTTP for a CONNECT tunnel), as Suricata's `app_proto_orig`.
    pub fn app_proto_orig(&self) -> Option<AppProto> {
        self.orig
    }

    /// Detection gave up on this flow with no protocol found.
    pub fn detection_failed(&self) -> bool {
        matches!(self.state, State::Failed) && self.proto.is_none() && self.orig.is_none()
    }

    /// Detection gave up on `dir` (its first bytes matched no protocol).
    pub fn direction_failed(&self, dir: Direction) -> bool {
        self.probe_failed[dir.index()]
    }

    /// The `app_proto` value Suricata would log on the flow record: the protocol, or `failed`
    /// when detection gave up, or `None` when no data was seen.
    pub fn app_proto_name(&self) -> Option<&'static str> {
        match (self.proto, self.orig) {
            (Some(p), _) => Some(p.name()),
            (None, Some(o)) => Some(o.name()),
            (None, None) if self.detection_failed() => Some("failed"),
            _ => None,
        }
    }

    /// The flow's roles are reversed (its first data came from the server): the layer maps the
    /// engine's directions the other way round for the parser. Suricata swaps such flows.
    pub fn reversed(&self) -> bool {
        self.reversed
    }

    /// The parser's direction for an engine direction.
    fn logical(&self, dir: Direction) -> Direction {
        if self.reversed { dir.reverse() } else { dir }
    }

    /// Approximate heap bytes held for this flow.
    pub fn memory(&self) -> usize {
        let bufs: usize = self
            .probe_buf
            .iter()
            .chain(self.pending.iter())
            .map(|b| b.capacity())
            .sum();
        let parser = match &self.state {
            State::Parsing(p) => p.memory(),
            _ => 0,
        };
        std::mem::size_of::<Self>() + bufs + parser
    }
}

/// Borrowed pieces of the layer a flow operation needs.
struct Env<'a> {
    cfg: &'a AppConfig,
    registry: &'a Registry,
    stats: &'a mut AppStats,
    sink: &'a mut dyn AppSink,
    flow: &'a FlowCtx<'a>,
}

impl Env<'_> {
    fn cx<'s>(&'s mut self, file_ids: &'s mut u64) -> ParseCx<'s> {
        ParseCx {
            flow: self.flow,
            sink: &mut *self.sink,
            stats: &mut *self.stats,
            cfg: self.cfg,
            file_ids,
        }
    }

    fn detect_event(&mut self, proto: Option<AppProto>, dir: Direction, name: &'static str) {
        self.stats.events += 1;
        let ev = AppEvent {
            proto,
            layer: EventLayer::ProtoDetect,
            dir,
            tx_id: None,
            name,
        };
        self.sink.on_event(self.flow, &ev);
    }
}

/// Protocol detection and parsing for every flow of one worker.
pub struct AppLayer {
    cfg: AppConfig,
    registry: Registry,
    stats: AppStats,
}

impl AppLayer {
    /// A layer with the built-in parsers.
    pub fn new(cfg: AppConfig) -> Result<Self, ConfigError> {
        let registry = Registry::builtin(&cfg);
        Self::with_registry(cfg, registry)
    }

    /// A layer with a custom set of parsers.
    pub fn with_registry(cfg: AppConfig, registry: Registry) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(AppLayer {
            cfg,
            registry,
            stats: AppStats::default(),
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &AppConfig {
        &self.cfg
    }

    /// The registered protocols.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counters so far.
    pub fn stats(&self) -> &AppStats {
        &self.stats
    }

    /// The per-flow state in `slot`, if the layer has seen the flow.
    pub fn flow_state(slot: &AppSlot) -> Option<&FlowApp> {
        slot.as_ref()?.downcast_ref::<FlowApp>()
    }

    fn split<'a>(
        &'a mut self,
        flow: &'a FlowCtx<'a>,
        slot: &'a mut AppSlot,
        sink: &'a mut dyn AppSink,
    ) -> Option<(&'a mut FlowApp, Env<'a>)> {
        if slot.is_none() {
            *slot = Some(Box::new(FlowApp::new()));
            self.stats.flows += 1;
        }
        let app = slot.as_mut()?.downcast_mut::<FlowApp>()?;
        if app.transport.is_none() {
            app.transport = Transport::from_ip_proto(flow.proto);
        }
        Some((
            app,
            Env {
                cfg: &self.cfg,
                registry: &self.registry,
                stats: &mut self.stats,
                sink,
                flow,
            },
        ))
    }

    /// Reassembled TCP bytes of `dir`, in order.
    pub fn on_stream_data(
        &mut self,
        flow: &FlowCtx<'_>,
        slot: &mut AppSlot,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn AppSink,
    ) {
        self.stats.stream_bytes += data.len() as u64;
        if data.is_empty() {
            return;
        }
        let Some((app, mut env)) = self.split(flow, slot, sink) else {
            self.stats.dropped_bytes += data.len() as u64;
            return;
        };
        if app.ended || app.closed[dir.index()] {
            env.stats.dropped_bytes += data.len() as u64;
            return;
        }
        app.stream_data(dir, data, &mut env);
    }

    /// `len` bytes of `dir` are missing from the stream.
    pub fn on_stream_gap(
        &mut self,
        flow: &FlowCtx<'_>,
        slot: &mut AppSlot,
        dir: Direction,
        len: u64,
        sink: &mut dyn AppSink,
    ) {
        self.stats.gaps += 1;
        let Some((app, mut env)) = self.split(flow, slot, sink) else {
            return;
        };
        if app.ended {
            return;
        }
        app.gap(dir, len, &mut env);
    }

    /// `dir` of the TCP stream ended (FIN/RST or stream end).
    pub fn on_stream_close(
        &mut self,
        flow: &FlowCtx<'_>,
        slot: &mut AppSlot,
        dir: Direction,
        sink: &mut dyn AppSink,
    ) {
        let Some((app, mut env)) = self.split(flow, slot, sink) else {
            return;
        };
        if app.ended {
            return;
        }
        app.close(dir, &mut env);
    }

    /// One UDP datagram of `dir`.
    pub fn on_udp(
        &mut self,
        flow: &FlowCtx<'_>,
        slot: &mut AppSlot,
        dir: Direction,
        payload: &[u8],
        sink: &mut dyn AppSink,
    ) {
        self.stats.udp_datagrams += 1;
        let Some((app, mut env)) = self.split(flow, slot, sink) else {
            self.stats.dropped_bytes += payload.len() as u64;
            return;
        };
        if app.ended {
            env.stats.dropped_bytes += payload.len() as u64;
            return;
        }
        app.datagram(dir, payload, &mut env);
    }

    /// The flow ended: flush both directions and every transaction. Returns the `app_proto`
    /// name for the flow record. The slot keeps the (finished) state; dropping it is fine.
    pub fn on_flow_end(
        &mut self,
        flow: &FlowCtx<'_>,
        slot: &mut AppSlot,
        sink: &mut dyn AppSink,
    ) -> Option<&'static str> {
        let (app, mut env) = self.split(flow, slot, sink)?;
        if !app.ended {
            app.end(&mut env);
        }
        app.app_proto_name()
    }
}

impl FlowApp {
    fn stream_data(&mut self, dir: Direction, data: &[u8], env: &mut Env<'_>) {
        match self.state {
            State::Failed => env.stats.dropped_bytes += data.len() as u64,
            State::Detecting => self.detect_stream(dir, data, env),
            State::Parsing(_) => {
                let l = self.logical(dir);
                self.feed(l, data, env)
            }
        }
    }

    fn detect_stream(&mut self, dir: Direction, data: &[u8], env: &mut Env<'_>) {
        let i = dir.index();
        let t = self.transport.unwrap_or(Transport::Tcp);
        if data.is_empty() {
            return;
        }
        if self.probe_failed[i] {
            // Kept (up to the probe limit) in case the other direction decides the protocol.
            self.keep_probe_bytes(dir, data, env);
            return;
        }
        let buffered = !self.probe_buf[i].is_empty();
        if buffered {
            self.probe_buf[i].extend_from_slice(data);
        }
        let view: &[u8] = if buffered { &self.probe_buf[i] } else { data };
        let view_len = view.len();
        let outcome = env
            .registry
            .detect(t, env.flow.sport, env.flow.dport, dir, view);
        match outcome {
            Detect::Found(proto) | Detect::Reversed(proto) => {
                self.reversed = matches!(outcome, Detect::Reversed(_));
                if buffered {
                    let bytes = std::mem::take(&mut self.probe_buf[i]);
                    self.start(proto, dir, &bytes, env);
                } else {
                    self.start(proto, dir, data, env);
                }
            }
            Detect::NeedMore if view_len < env.cfg.max_probe_len => {
                if !buffered {
                    self.keep_probe_bytes(dir, data, env);
                }
            }
            Detect::NeedMore | Detect::None => {
                if !buffered {
                    self.keep_probe_bytes(dir, data, env);
                }
                self.dir_failed(dir, env);
            }
        }
    }

    /// Buffers first bytes of a direction, up to the probe limit; the rest is dropped (and
    /// becomes a gap if the protocol is found later).
    fn keep_probe_bytes(&mut self, dir: Direction, data: &[u8], env: &mut Env<'_>) {
        let i = dir.index();
        if self.probe_first.is_none() {
            self.probe_first = Some(dir);
        }
        let room = env
            .cfg
            .max_probe_len
            .saturating_sub(self.probe_buf[i].len());
        let take = if self.probe_dropped[i] == 0 {
            room.min(data.len())
        } else {
            0
        };
        self.probe_buf[i].extend_from_slice(data.get(..take).unwrap_or(&[]));
        let dropped = (data.len() - take) as u64;
        self.probe_dropped[i] += dropped;
        env.stats.dropped_bytes += dropped;
    }

    fn dir_failed(&mut self, dir: Direction, env: &mut Env<'_>) {
        let i = dir.index();
        self.probe_failed[i] = true;
        if self.probe_failed[1 - i] {
            self.fail(env);
        }
    }

    fn fail(&mut self, env: &mut Env<'_>) {
        if !matches!(self.state, State::Failed) {
            self.state = State::Failed;
            if self.proto.is_none() && self.orig.is_none() {
                env.stats.detect_failed += 1;
            }
            for b in &mut self.probe_buf {
                env.stats.dropped_bytes += b.len() as u64;
                *b = Vec::new();
            }
        }
    }

    /// Starts the parser of `proto`, detected on `dir` (an engine direction) from `bytes`, and
    /// hands it what the other direction had buffered.
    fn start(&mut self, proto: AppProto, dir: Direction, bytes: &[u8], env: &mut Env<'_>) {
        let t = self.transport.unwrap_or(Transport::Tcp);
        let Some(entry) = env.registry.get(proto) else {
            self.fail(env);
            return;
        };
        let parser = (entry.create)(env.cfg, t);
        self.proto = Some(proto);
        match proto {
            AppProto::Http => env.stats.detected_http += 1,
            AppProto::Dns => env.stats.detected_dns += 1,
            AppProto::Tls => env.stats.detected_tls += 1,
            AppProto::Smtp => env.stats.detected_smtp += 1,
            AppProto::Smb => env.stats.detected_smb += 1,
            AppProto::Rfb => env.stats.detected_rfb += 1,
            AppProto::Quic => env.stats.detected_quic += 1,
        }
        env.sink.on_detect(env.flow, proto, dir, self.reversed);
        self.state = State::Parsing(parser);
        let other = dir.reverse();
        let oi = other.index();
        let other_bytes = std::mem::take(&mut self.probe_buf[oi]);
        let other_lost = std::mem::take(&mut self.probe_dropped[oi]);
        let other_failed = std::mem::replace(&mut self.probe_failed[oi], false);
        let lost = std::mem::take(&mut self.probe_dropped[dir.index()]);
        if other_failed {
            self.detect_event_one_direction(proto, other, env);
        }
        let other_first = self.probe_first == Some(other) && !other_bytes.is_empty();
        let (l_dir, l_other) = (self.logical(dir), self.logical(other));
        if other_first {
            self.feed(l_other, &other_bytes, env);
            self.lost(l_other, other_lost, env);
            self.feed(l_dir, bytes, env);
            self.lost(l_dir, lost, env);
        } else {
            self.feed(l_dir, bytes, env);
            self.lost(l_dir, lost, env);
            self.feed(l_other, &other_bytes, env);
            self.lost(l_other, other_lost, env);
        }
        self.probe_first = None;
    }

    /// Bytes dropped before the parser existed: a gap for it.
    fn lost(&mut self, ldir: Direction, n: u64, env: &mut Env<'_>) {
        if n > 0
            && let State::Parsing(p) = &mut self.state
        {
            p.gap(ldir, n, &mut env.cx(&mut self.file_ids));
        }
    }

    fn detect_event_one_direction(&mut self, proto: AppProto, dir: Direction, env: &mut Env<'_>) {
        env.detect_event(
            Some(proto),
            dir,
            "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION",
        );
    }

    /// Hands bytes to the parser, joining them to held bytes of an incomplete message.
    fn feed(&mut self, dir: Direction, data: &[u8], env: &mut Env<'_>) {
        let i = dir.index();
        if data.is_empty() || !matches!(self.state, State::Parsing(_)) {
            if !data.is_empty() {
                env.stats.dropped_bytes += data.len() as u64;
            }
            return;
        }
        if self.pending[i].is_empty() {
            env.stats.parsed_bytes += data.len() as u64;
            let r = match &mut self.state {
                State::Parsing(p) => p.parse(dir, data, &mut env.cx(&mut self.file_ids)),
                _ => return,
            };
            self.after_parse(dir, data, r, env);
        } else {
            env.stats.parsed_bytes += data.len() as u64;
            self.pending[i].extend_from_slice(data);
            if self.pending[i].len() < self.want[i] {
                return;
            }
            let mut buf = std::mem::take(&mut self.pending[i]);
            let r = match &mut self.state {
                State::Parsing(p) => p.parse(dir, &buf, &mut env.cx(&mut self.file_ids)),
                _ => return,
            };
            match r {
                ParseResult::Incomplete { consumed, needed }
                    if (buf.len() - consumed.min(buf.len())).saturating_add(needed.max(1))
                        <= env.cfg.max_pending =>
                {
                    // Keep the held buffer (and its allocation): drop what was consumed.
                    buf.drain(..consumed.min(buf.len()));
                    self.want[i] = buf.len() + needed.max(1);
                    self.pending[i] = buf;
                }
                _ => {
                    self.after_parse(dir, &buf, r, env);
                    if r == ParseResult::Ok && self.pending[i].capacity() == 0 {
                        buf.clear();
                        self.pending[i] = buf;
                    }
                }
            }
        }
    }

    fn after_parse(&mut self, dir: Direction, input: &[u8], r: ParseResult, env: &mut Env<'_>) {
        let i = dir.index();
        match r {
            ParseResult::Ok => {
                self.pending[i].clear();
                self.want[i] = 0;
            }
            ParseResult::Incomplete { consumed, needed } => {
                let tail = input.get(consumed.min(input.len())..).unwrap_or(&[]);
                let want = tail.len().saturating_add(needed.max(1));
                if want > env.cfg.max_pending {
                    env.stats.pending_overflows += 1;
                    env.stats.dropped_bytes += tail.len() as u64;
                    if let Some(p) = self.proto {
                        env.detect_event_parser(p, dir, "APPLAYER_PENDING_OVERFLOW");
                    }
                    self.pending[i].clear();
                    self.want[i] = 0;
                    if let State::Parsing(p) = &mut self.state {
                        p.gap(dir, tail.len() as u64, &mut env.cx(&mut self.file_ids));
                    }
                } else {
                    self.pending[i].clear();
                    self.pending[i].extend_from_slice(tail);
                    self.want[i] = want;
                }
            }
            ParseResult::Error => {
                env.stats.parse_errors += 1;
                let held: u64 = self.pending.iter().map(|b| b.len() as u64).sum();
                env.stats.dropped_bytes += held;
                self.pending = [Vec::new(), Vec::new()];
                self.want = [0; 2];
                if let State::Parsing(p) = &mut self.state {
                    p.finish(&mut env.cx(&mut self.file_ids));
                }
                self.state = State::Failed;
            }
            ParseResult::Switch { consumed } => {
                let tail = input
                    .get(consumed.min(input.len())..)
                    .unwrap_or(&[])
                    .to_vec();
                self.switch(dir, tail, env);
            }
        }
    }

    fn switch(&mut self, dir: Direction, tail: Vec<u8>, env: &mut Env<'_>) {
        if let State::Parsing(p) = &mut self.state {
            p.finish(&mut env.cx(&mut self.file_ids));
        }
        if self.orig.is_none() {
            self.orig = self.proto;
        }
        self.proto = None;
        self.switches = self.switches.saturating_add(1);
        let other = dir.reverse();
        let other_tail = std::mem::take(&mut self.pending[other.index()]);
        self.pending = [Vec::new(), Vec::new()];
        self.want = [0; 2];
        self.probe_buf = [Vec::new(), Vec::new()];
        self.probe_failed = [false; 2];
        self.probe_dropped = [0; 2];
        self.probe_first = None;
        if self.switches > MAX_SWITCHES {
            env.stats.dropped_bytes += (tail.len() + other_tail.len()) as u64;
            self.state = State::Failed;
            return;
        }
        self.state = State::Detecting;
        // `dir` is a parser direction; detection works on the engine's.
        let (e_dir, e_other) = if self.reversed {
            (dir.reverse(), other.reverse())
        } else {
            (dir, other)
        };
        self.reversed = false;
        if !other_tail.is_empty() {
            self.detect_stream(e_other, &other_tail, env);
        }
        if !tail.is_empty() {
            self.stream_data(e_dir, &tail, env);
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, env: &mut Env<'_>) {
        let i = dir.index();
        match &mut self.state {
            State::Failed => {}
            State::Detecting => {
                // Detection cannot continue across missing bytes in this direction; what was
                // buffered is kept for the other direction's verdict, followed by the gap.
                self.probe_dropped[i] = self.probe_dropped[i].saturating_add(len.max(1));
                if !self.probe_failed[i] {
                    self.dir_failed(dir, env);
                }
            }
            State::Parsing(_) => {
                let l = if self.reversed { dir.reverse() } else { dir };
                let li = l.index();
                let held = self.pending[li].len() as u64;
                env.stats.dropped_bytes += held;
                self.pending[li].clear();
                self.want[li] = 0;
                if let State::Parsing(p) = &mut self.state {
                    p.gap(l, len.saturating_add(held), &mut env.cx(&mut self.file_ids));
                }
            }
        }
    }

    fn close(&mut self, dir: Direction, env: &mut Env<'_>) {
        let i = dir.index();
        if self.closed[i] {
            return;
        }
        self.closed[i] = true;
        let l = self.logical(dir);
        let li = l.index();
        match &mut self.state {
            State::Parsing(p) => {
                let tail = std::mem::take(&mut self.pending[li]);
                self.want[li] = 0;
                p.close(l, &tail, &mut env.cx(&mut self.file_ids));
            }
            State::Detecting => {
                if !self.probe_failed[i] && !self.probe_buf[i].is_empty() {
                    self.dir_failed(dir, env);
                }
            }
            State::Failed => {}
        }
    }

    fn datagram(&mut self, dir: Direction, payload: &[u8], env: &mut Env<'_>) {
        match self.state {
            State::Failed => env.stats.dropped_bytes += payload.len() as u64,
            State::Parsing(_) => {
                env.stats.parsed_bytes += payload.len() as u64;
                let l = self.logical(dir);
                let r = match &mut self.state {
                    State::Parsing(p) => p.parse(l, payload, &mut env.cx(&mut self.file_ids)),
                    _ => return,
                };
                // Datagrams are whole: nothing is held between them.
                if r == ParseResult::Error {
                    self.after_parse(l, payload, r, env);
                }
            }
            State::Detecting => {
                let t = self.transport.unwrap_or(Transport::Udp);
                let outcome = env
                    .registry
                    .detect(t, env.flow.sport, env.flow.dport, dir, payload);
                match outcome {
                    Detect::Found(proto) | Detect::Reversed(proto) => {
                        let Some(entry) = env.registry.get(proto) else {
                            return;
                        };
                        let parser = (entry.create)(env.cfg, t);
                        self.proto = Some(proto);
                        self.reversed = matches!(outcome, Detect::Reversed(_));
                        match proto {
                            AppProto::Http => env.stats.detected_http += 1,
                            AppProto::Dns => env.stats.detected_dns += 1,
                            AppProto::Tls => env.stats.detected_tls += 1,
                            AppProto::Smtp => env.stats.detected_smtp += 1,
                            AppProto::Smb => env.stats.detected_smb += 1,
                            AppProto::Rfb => env.stats.detected_rfb += 1,
                            AppProto::Quic => env.stats.detected_quic += 1,
                        }
                        env.sink.on_detect(env.flow, proto, dir, self.reversed);
                        self.state = State::Parsing(parser);
                        self.datagram(dir, payload, env);
                    }
                    Detect::NeedMore | Detect::None => {
                        env.stats.dropped_bytes += payload.len() as u64;
                        self.datagrams_probed += 1;
                        if self.datagrams_probed >= env.cfg.max_probe_datagrams {
                            self.fail(env);
                        }
                    }
                }
            }
        }
    }

    fn end(&mut self, env: &mut Env<'_>) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            if !self.closed[dir.index()] && matches!(self.state, State::Parsing(_)) {
                self.close(dir, env);
            }
        }
        match &mut self.state {
            State::Parsing(p) => p.finish(&mut env.cx(&mut self.file_ids)),
            State::Detecting => {
                let saw_data = self.probe_failed.iter().any(|&f| f)
                    || self.probe_buf.iter().any(|b| !b.is_empty());
                if saw_data {
                    self.fail(env);
                }
            }
            State::Failed => {}
        }
        self.ended = true;
        self.pending = [Vec::new(), Vec::new()];
        self.probe_buf = [Vec::new(), Vec::new()];
    }
}

impl Env<'_> {
    fn detect_event_parser(&mut self, proto: AppProto, dir: Direction, name: &'static str) {
        self.stats.events += 1;
        let ev = AppEvent {
            proto: Some(proto),
            layer: EventLayer::ProtoParser,
            dir,
            tx_id: None,
            name,
        };
        self.sink.on_event(self.flow, &ev);
    }
}
