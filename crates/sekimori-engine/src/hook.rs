//! The seam between the foundation and the protocol layer: what the engine hands to whoever
//! parses application data. One trait, so a protocol layer (or a test) plugs in at one place.

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use sekimori_flow::Direction;
use std::any::Any;

/// Identity of the flow an event belongs to, oriented client → server.
#[derive(Clone, Copy, Debug)]
pub struct FlowInfo {
    /// The flow id (as in EVE records).
    pub id: u64,
    /// Client address.
    pub src: Addr,
    /// Server address.
    pub dst: Addr,
    /// Client port (0 for protocols without ports).
    pub sport: u16,
    /// Server port.
    pub dport: u16,
    /// IP protocol.
    pub proto: u8,
    /// VLAN ids, outermost first (`vlan_count` are used).
    pub vlan: [u16; 3],
    /// How many VLAN ids are used.
    pub vlan_count: u8,
    /// Time of the packet that caused the event (or of the flow's end).
    pub ts: Timestamp,
}

impl FlowInfo {
    /// The VLAN ids in use.
    pub fn vlans(&self) -> &[u16] {
        &self.vlan[..usize::from(self.vlan_count).min(3)]
    }
}

/// Per-flow state a hook keeps (its parsers' state); stored inside the flow, dropped with it.
pub type AppSlot = Option<Box<dyn Any + Send>>;

/// Receives application data, in order, per flow and direction.
///
/// Directions are TCP roles: `ToServer` is what the client sent. Every method has an empty default.
pub trait AppHook: Send {
    /// Reassembled TCP bytes, in order, for one direction.
    fn on_stream_data(
        &mut self,
        _flow: &FlowInfo,
        _slot: &mut AppSlot,
        _dir: Direction,
        _data: &[u8],
    ) {
    }
    /// `len` bytes of one direction are missing (the hook should resynchronise).
    fn on_stream_gap(&mut self, _flow: &FlowInfo, _slot: &mut AppSlot, _dir: Direction, _len: u64) {
    }
    /// One direction of the TCP stream ended.
    fn on_stream_close(&mut self, _flow: &FlowInfo, _slot: &mut AppSlot, _dir: Direction) {}
    /// The payload of one UDP datagram.
    fn on_udp(&mut self, _flow: &FlowInfo, _slot: &mut AppSlot, _dir: Direction, _payload: &[u8]) {}
    /// The flow ended (after its streams were flushed). Returns the app protocol name to log on
    /// the flow record, if the hook detected one.
    fn on_flow_end(&mut self, _flow: &FlowInfo, _slot: &mut AppSlot) -> Option<&'static str> {
        None
    }
}

/// A hook that ignores everything (the foundation alone).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoApp;

impl AppHook for NoApp {}
